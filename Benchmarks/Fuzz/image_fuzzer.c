// libFuzzer target over the image codec shim (Sources/CDinoImage): every input is sniffed, then decoded by the
// decoder its bytes select, at full size and with JPEG DCT scaling, under AddressSanitizer and UBSan. The shim is
// instrumented; the Debian libraries it calls are not (their crashes still show, their silent overreads do not).
// Build and run with Benchmarks/Fuzz/fuzz.sh; not part of `swift build` or CI.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dino_image.h"

static void check(const dino_image *image, dino_image_status status) {
    if (status < 0) {
        if (image->pixels) abort();  // a failed decode must not hand out pixels
        return;
    }
    // Touch every pixel: a decoder that reported success must have written a whole buffer.
    volatile uint8_t sum = 0;
    size_t n = (size_t)image->width * image->height * 3;
    for (size_t i = 0; i < n; i++) sum ^= image->pixels[i];
    if (image->orientation < 1 || image->orientation > 8) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint64_t limit = 4u << 20;  // keep each run small: 4 megapixels
    dino_image image;
    dino_image_status status;
    switch (dino_image_sniff(data, size)) {
    case DINO_FORMAT_JPEG:
        status = dino_decode_jpeg(data, size, 0, limit, &image);
        check(&image, status);
        dino_image_free(&image);
        status = dino_decode_jpeg(data, size, 16, limit, &image);
        break;
    case DINO_FORMAT_PNG:
        status = dino_decode_png(data, size, limit, &image);
        break;
    case DINO_FORMAT_WEBP:
        status = dino_decode_webp(data, size, 0, limit, &image);
        check(&image, status);
        dino_image_free(&image);
        status = dino_decode_webp(data, size, 16, limit, &image);
        break;
    case DINO_FORMAT_HEIF:
        // Full size; planes shrunk before conversion; the thumbnail item where there is one.
        status = dino_decode_heif(data, size, 0, 0, 0, limit, &image);
        check(&image, status);
        dino_image_free(&image);
        status = dino_decode_heif(data, size, 16, 0, 0, limit, &image);
        check(&image, status);
        dino_image_free(&image);
        status = dino_decode_heif(data, size, 16, 0, 16, limit, &image);
        break;
    case DINO_FORMAT_AVIF:
        status = dino_decode_avif(data, size, limit, &image);
        break;
    case DINO_FORMAT_TIFF:
        status = dino_decode_tiff(data, size, limit, &image);
        break;
    case DINO_FORMAT_GIF:
        status = dino_decode_gif(data, size, limit, &image);
        break;
    case DINO_FORMAT_BMP:
        status = dino_decode_bmp(data, size, limit, &image);
        break;
    case DINO_FORMAT_RAW:
        status = dino_decode_raw(data, size, 0, limit, &image);
        break;
    case DINO_FORMAT_JPEG_XL:
        status = dino_decode_jxl(data, size, limit, &image);
        break;
    default:
        (void)dino_exif_orientation(data, size);
        return 0;
    }
    check(&image, status);
    dino_image_free(&image);
    return 0;
}
