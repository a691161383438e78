// JPEG encoding through libjpeg-turbo's TurboJPEG API, into memory (thumbnails). TurboJPEG reports errors by
// return value, so nothing unwinds here.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

#include "internal.h"

int dino_encode_jpeg(const uint8_t *rgb, int32_t width, int32_t height, int32_t quality, uint8_t **out,
                     size_t *out_length, char *message, size_t message_size) {
    *out = NULL;
    *out_length = 0;
    if (width <= 0 || height <= 0 || quality < 1 || quality > 100) {
        snprintf(message, message_size, "bad JPEG encoder arguments (%dx%d, quality %d)", width, height, quality);
        return -1;
    }
    tjhandle handle = tjInitCompress();
    if (!handle) {
        snprintf(message, message_size, "cannot start the JPEG encoder: %s", tjGetErrorStr2(NULL));
        return -1;
    }
    unsigned char *jpeg = NULL;  // TurboJPEG allocates it (release with tjFree)
    unsigned long length = 0;
    int status = tjCompress2(handle, rgb, width, 3 * width, height, TJPF_RGB, &jpeg, &length, TJSAMP_420, quality, 0);
    if (status != 0) {
        snprintf(message, message_size, "JPEG encoding failed: %s", tjGetErrorStr2(handle));
        tjFree(jpeg);
        tjDestroy(handle);
        return -1;
    }
    *out = malloc(length);
    if (!*out) {
        snprintf(message, message_size, "out of memory");
        tjFree(jpeg);
        tjDestroy(handle);
        return -1;
    }
    memcpy(*out, jpeg, length);
    *out_length = length;
    tjFree(jpeg);
    tjDestroy(handle);
    return 0;
}
