// JPEG through libjpeg-turbo's TurboJPEG API. TurboJPEG's error handler longjmps back into its own function,
// which returns -1; nothing jumps out of this file.
#include <string.h>
#include <turbojpeg.h>

#include "internal.h"

/// The smallest DCT scaling factor whose short side stays at least `target` (1/1 when none is smaller).
static tjscalingfactor choose_scale(int width, int height, int target) {
    tjscalingfactor best = {1, 1};
    if (target <= 0) return best;
    int count = 0;
    tjscalingfactor *factors = tjGetScalingFactors(&count);
    int best_short = width < height ? width : height;
    for (int i = 0; factors && i < count; i++) {
        tjscalingfactor f = factors[i];
        if (f.num > f.denom) continue;
        int w = TJSCALED(width, f), h = TJSCALED(height, f);
        int short_side = w < h ? w : h;
        if (short_side >= target && short_side < best_short) {
            best = f;
            best_short = short_side;
        }
    }
    return best;
}

/// PIL's CMYK→RGB: JPEG stores Adobe-inverted CMYK, which PIL reads as "CMYK;I" (inverting it back), then
/// r = (255−k) − (c·(255−k))/255 with its rounding division by 255.
static void cmyk_to_rgb(const uint8_t *cmyk, uint8_t *rgb, size_t pixels) {
    for (size_t i = 0; i < pixels; i++, cmyk += 4, rgb += 3) {
        int nk = cmyk[3];  // stored inverted: 255 − k
        for (int c = 0; c < 3; c++) {
            int ink = 255 - cmyk[c];
            int t = ink * nk + 128;
            int v = nk - (((t >> 8) + t) >> 8);
            rgb[c] = (uint8_t)(v < 0 ? 0 : v);
        }
    }
}

/// libjpeg's message for a variant it cannot decode ("Unsupported JPEG data precision 12") says so.
static dino_image_status failure(tjhandle tj, dino_image *out) {
    const char *why = tjGetErrorStr2(tj);
    dino_set_message(out, "", why);
    return strstr(why, "Unsupported") ? DINO_IMAGE_UNSUPPORTED : DINO_IMAGE_CORRUPT;
}

dino_image_status dino_decode_jpeg(const uint8_t *data, size_t length, int32_t min_short_side,
                                   uint64_t max_pixels, dino_image *out) {
    memset(out, 0, sizeof *out);
    out->orientation = dino_jpeg_orientation(data, length);
    if (length > 0xFFFFFFFFul) {
        dino_set_message(out, "", "file too large for the JPEG decoder");
        return DINO_IMAGE_TOO_LARGE;
    }
    tjhandle tj = tjInitDecompress();
    if (!tj) {
        dino_set_message(out, "cannot start the JPEG decoder: ", tjGetErrorStr2(NULL));
        return DINO_IMAGE_NO_MEMORY;
    }
    dino_image_status status = DINO_IMAGE_OK;
    uint8_t *cmyk = NULL;
    int width = 0, height = 0, subsampling = 0, colorspace = 0;
    if (tjDecompressHeader3(tj, data, (unsigned long)length, &width, &height, &subsampling, &colorspace) != 0) {
        status = failure(tj, out);
        goto done;
    }
    if ((status = dino_check_size(out, width, height, max_pixels)) != DINO_IMAGE_OK) goto done;

    tjscalingfactor scale = choose_scale(width, height, min_short_side);
    int w = TJSCALED(width, scale), h = TJSCALED(height, scale);
    int is_cmyk = colorspace == TJCS_CMYK || colorspace == TJCS_YCCK;
    out->pixels = malloc((size_t)w * h * 3);
    if (is_cmyk) cmyk = malloc((size_t)w * h * 4);
    if (!out->pixels || (is_cmyk && !cmyk)) {
        dino_set_message(out, "", "out of memory");
        status = DINO_IMAGE_NO_MEMORY;
        goto done;
    }
    out->width = w;
    out->height = h;
    // TJFLAG_LIMITSCANS refuses progressive files with hundreds of scans (a known way to burn CPU).
    int rc = tjDecompress2(tj, data, (unsigned long)length, is_cmyk ? cmyk : out->pixels, w, 0, h,
                           is_cmyk ? TJPF_CMYK : TJPF_RGB, TJFLAG_LIMITSCANS);
    if (rc != 0) {
        status = failure(tj, out);
        if (tjGetErrorCode(tj) != TJERR_WARNING) goto done;
        status = DINO_IMAGE_WARNING;  // e.g. "Premature end of JPEG file": the rest of the picture is grey
    }
    if (is_cmyk) cmyk_to_rgb(cmyk, out->pixels, (size_t)w * h);

done:
    free(cmyk);
    if (status < 0) dino_image_free(out);
    tjDestroy(tj);
    return status;
}
