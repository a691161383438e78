// Helpers shared by the codec files; not part of the module's interface.
#ifndef DINO_IMAGE_INTERNAL_H
#define DINO_IMAGE_INTERNAL_H

#include <stdio.h>
#include <stdlib.h>

#include "dino_image.h"

int32_t dino_jpeg_orientation(const uint8_t *data, size_t length);
int32_t dino_webp_orientation(const uint8_t *data, size_t length);
void dino_set_message(dino_image *image, const char *prefix, const char *text);
/// LibRaw's decode in the calling process; dino_decode_raw runs it in a worker process.
dino_image_status dino_decode_raw_here(const uint8_t *data, size_t length, int32_t min_short_side,
                                       uint64_t max_pixels, dino_image *out);

/// Refuses a size whose pixel count is zero or above the limit, before anything is allocated.
static inline dino_image_status dino_check_size(dino_image *out, int64_t width, int64_t height, uint64_t max_pixels) {
    out->stored_width = (int32_t)width;
    out->stored_height = (int32_t)height;
    if (width <= 0 || height <= 0) {
        dino_set_message(out, "", "the header gives a zero image size");
        return DINO_IMAGE_CORRUPT;
    }
    if ((uint64_t)width * (uint64_t)height > max_pixels) {
        snprintf(out->message, sizeof out->message, "%lld×%lld pixels is above the limit of %llu pixels",
                 (long long)width, (long long)height, (unsigned long long)max_pixels);
        return DINO_IMAGE_TOO_LARGE;
    }
    return DINO_IMAGE_OK;
}

#endif
