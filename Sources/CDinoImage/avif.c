// AVIF through libavif (dav1d or aom underneath; plain C, result codes). Measured on the fixtures: bit-exact with
// Pillow, which reads AVIF with libavif too, where libheif's 4:2:0 chroma upsampling left 6.6% of the values
// more than one level apart. The primary image, 8-bit RGB (deeper images reduced by libavif as Pillow asks),
// alpha dropped; the `irot`/`imir` transforms become an EXIF orientation for the caller, as Pillow does.
#include <avif/avif.h>
#include <string.h>

#include "internal.h"

/// The EXIF orientation of an anticlockwise rotation by `angle`·90° followed by an optional mirror (0: top and
/// bottom exchanged, 1: left and right).
static int32_t orientation_of(int angle, int mirror) {
    static const int32_t rotated[4] = {1, 8, 3, 6};
    static const int32_t mirrored[4] = {4, 5, 2, 7};  // rotation, then top and bottom exchanged
    if (mirror < 0) return rotated[angle & 3];
    // Exchanging left and right equals turning by 180° more and exchanging top and bottom.
    return mirrored[(angle + (mirror == 1 ? 2 : 0)) & 3];
}

static dino_image_status failure(avifResult result, avifDecoder *decoder, dino_image *out) {
    const char *detail = decoder->diag.error[0] ? decoder->diag.error : avifResultToString(result);
    dino_set_message(out, "", detail);
    switch (result) {
    case AVIF_RESULT_OUT_OF_MEMORY: return DINO_IMAGE_NO_MEMORY;
    case AVIF_RESULT_NO_CODEC_AVAILABLE:
    case AVIF_RESULT_NOT_IMPLEMENTED: return DINO_IMAGE_UNSUPPORTED;
    default: return DINO_IMAGE_CORRUPT;
    }
}

static dino_image_status decode(avifDecoder *decoder, const uint8_t *data, size_t length, uint64_t max_pixels,
                                dino_image *out) {
    // libavif checks every item's stated size against this limit while parsing, before anything is allocated
    // (0 is reserved there: a zero limit refuses everything here anyway).
    decoder->imageSizeLimit = max_pixels == 0 ? 1 : max_pixels < UINT32_MAX ? (uint32_t)max_pixels : UINT32_MAX;
    decoder->imageDimensionLimit = 0;
    avifResult result = avifDecoderSetIOMemory(decoder, data, length);
    if (result == AVIF_RESULT_OK) result = avifDecoderParse(decoder);
    if (result != AVIF_RESULT_OK && strstr(decoder->diag.error, "too large")) {
        snprintf(out->message, sizeof out->message, "%s, above the limit of %llu pixels", decoder->diag.error,
                 (unsigned long long)max_pixels);
        return DINO_IMAGE_TOO_LARGE;
    }
    if (result != AVIF_RESULT_OK) return failure(result, decoder, out);
    const avifImage *image = decoder->image;
    dino_image_status status = dino_check_size(out, image->width, image->height, max_pixels);
    if (status != DINO_IMAGE_OK) return status;
    if ((result = avifDecoderNextImage(decoder)) != AVIF_RESULT_OK) return failure(result, decoder, out);
    image = decoder->image;
    if ((int64_t)image->width != out->stored_width || (int64_t)image->height != out->stored_height) {
        dino_set_message(out, "", "the decoded image is not the size the header states");
        return DINO_IMAGE_CORRUPT;
    }
    // With alpha, RGBA as Pillow asks for it: libavif then undoes premultiplied alpha, and the alpha is dropped
    // here (PIL's convert("RGB")).
    int alpha = image->alphaPlane != NULL;
    size_t pixels = (size_t)image->width * image->height;
    avifRGBImage rgb;
    avifRGBImageSetDefaults(&rgb, image);
    rgb.format = alpha ? AVIF_RGB_FORMAT_RGBA : AVIF_RGB_FORMAT_RGB;
    rgb.depth = 8;
    rgb.rowBytes = image->width * (alpha ? 4 : 3);
    out->pixels = malloc(pixels * 3);
    rgb.pixels = alpha ? malloc(pixels * 4) : out->pixels;
    if (!out->pixels || !rgb.pixels) {
        if (alpha) free(rgb.pixels);
        dino_set_message(out, "", "out of memory");
        return DINO_IMAGE_NO_MEMORY;
    }
    result = avifImageYUVToRGB(image, &rgb);
    if (alpha) {
        for (size_t i = 0; i < pixels; i++) memcpy(out->pixels + 3 * i, rgb.pixels + 4 * i, 3);
        free(rgb.pixels);
    }
    if (result != AVIF_RESULT_OK) return failure(result, decoder, out);
    out->width = (int32_t)image->width;
    out->height = (int32_t)image->height;
    int angle = image->transformFlags & AVIF_TRANSFORM_IROT ? image->irot.angle : 0;
    int mirror = image->transformFlags & AVIF_TRANSFORM_IMIR ? image->imir.mode : -1;
    out->orientation = orientation_of(angle, mirror);
    return DINO_IMAGE_OK;
}

dino_image_status dino_decode_avif(const uint8_t *data, size_t length, uint64_t max_pixels, dino_image *out) {
    memset(out, 0, sizeof *out);
    out->orientation = 1;
    avifDecoder *decoder = avifDecoderCreate();
    if (!decoder) {
        dino_set_message(out, "", "out of memory");
        return DINO_IMAGE_NO_MEMORY;
    }
    decoder->ignoreExif = decoder->ignoreXMP = AVIF_TRUE;  // orientation comes from irot/imir
    decoder->maxThreads = 1;  // files are decoded in parallel, one per thread
    dino_image_status status = decode(decoder, data, length, max_pixels, out);
    avifDecoderDestroy(decoder);
    if (status < 0) dino_image_free(out);
    return status;
}
