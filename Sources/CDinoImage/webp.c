// WebP through libwebp (no longjmp there; plain status codes).
#include <string.h>
#include <webp/decode.h>

#include "internal.h"

static const char *describe(VP8StatusCode code) {
    switch (code) {
    case VP8_STATUS_OUT_OF_MEMORY: return "out of memory";
    case VP8_STATUS_INVALID_PARAM: return "invalid parameter";
    case VP8_STATUS_BITSTREAM_ERROR: return "corrupt bitstream";
    case VP8_STATUS_UNSUPPORTED_FEATURE: return "unsupported feature";
    case VP8_STATUS_NOT_ENOUGH_DATA: return "the file ends early (truncated)";
    default: return "decoding failed";
    }
}

dino_image_status dino_decode_webp(const uint8_t *data, size_t length, uint64_t max_pixels, dino_image *out) {
    memset(out, 0, sizeof *out);
    out->orientation = dino_webp_orientation(data, length);
    WebPBitstreamFeatures features;
    VP8StatusCode code = WebPGetFeatures(data, length, &features);
    if (code != VP8_STATUS_OK) {
        dino_set_message(out, "", describe(code));
        return code == VP8_STATUS_UNSUPPORTED_FEATURE ? DINO_IMAGE_UNSUPPORTED : DINO_IMAGE_CORRUPT;
    }
    if (features.has_animation) {
        dino_set_message(out, "", "animated WebP is not supported");
        return DINO_IMAGE_UNSUPPORTED;
    }
    dino_image_status status = dino_check_size(out, features.width, features.height, max_pixels);
    if (status != DINO_IMAGE_OK) return status;
    size_t bytes = (size_t)features.width * features.height * 3;
    out->pixels = malloc(bytes);
    if (!out->pixels) {
        dino_set_message(out, "", "out of memory");
        return DINO_IMAGE_NO_MEMORY;
    }
    // RGB output drops alpha without blending, as PIL's convert("RGB") does.
    if (!WebPDecodeRGBInto(data, length, out->pixels, bytes, features.width * 3)) {
        dino_image_free(out);
        dino_set_message(out, "", "corrupt or truncated image data");
        return DINO_IMAGE_CORRUPT;
    }
    out->width = features.width;
    out->height = features.height;
    return DINO_IMAGE_OK;
}
