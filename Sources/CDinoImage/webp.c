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

static dino_image_status failure(VP8StatusCode code, dino_image *out) {
    dino_set_message(out, "", describe(code));
    return code == VP8_STATUS_UNSUPPORTED_FEATURE ? DINO_IMAGE_UNSUPPORTED : DINO_IMAGE_CORRUPT;
}

/// With `min_short_side` > 0, libwebp's own rescaler (area averaging, applied to the YUV rows as they are
/// decoded) shrinks the picture by the largest whole factor that keeps the short side at least that long.
dino_image_status dino_decode_webp(const uint8_t *data, size_t length, int32_t min_short_side, uint64_t max_pixels,
                                   dino_image *out) {
    memset(out, 0, sizeof *out);
    out->orientation = dino_webp_orientation(data, length);
    WebPBitstreamFeatures features;
    VP8StatusCode code = WebPGetFeatures(data, length, &features);
    if (code != VP8_STATUS_OK) return failure(code, out);
    if (features.has_animation) {
        dino_set_message(out, "", "animated WebP is not supported");
        return DINO_IMAGE_UNSUPPORTED;
    }
    dino_image_status status = dino_check_size(out, features.width, features.height, max_pixels);
    if (status != DINO_IMAGE_OK) return status;
    int w = features.width, h = features.height;
    int short_side = w < h ? w : h;
    int factor = min_short_side > 0 ? short_side / min_short_side : 1;
    if (factor > 1) {
        w /= factor;
        h /= factor;
    }
    size_t bytes = (size_t)w * h * 3;
    out->pixels = malloc(bytes);
    if (!out->pixels) {
        dino_set_message(out, "", "out of memory");
        return DINO_IMAGE_NO_MEMORY;
    }
    WebPDecoderConfig config;
    if (!WebPInitDecoderConfig(&config)) {
        dino_image_free(out);
        dino_set_message(out, "", "libwebp version mismatch");
        return DINO_IMAGE_UNSUPPORTED;
    }
    if (factor > 1) {
        config.options.use_scaling = 1;
        config.options.scaled_width = w;
        config.options.scaled_height = h;
    }
    // RGB output drops alpha without blending, as PIL's convert("RGB") does.
    config.output.colorspace = MODE_RGB;
    config.output.is_external_memory = 1;
    config.output.u.RGBA.rgba = out->pixels;
    config.output.u.RGBA.stride = w * 3;
    config.output.u.RGBA.size = bytes;
    code = WebPDecode(data, length, &config);
    WebPFreeDecBuffer(&config.output);
    if (code != VP8_STATUS_OK) {
        dino_image_free(out);
        return failure(code, out);
    }
    out->width = w;
    out->height = h;
    return DINO_IMAGE_OK;
}
