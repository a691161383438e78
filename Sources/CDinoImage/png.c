// PNG through libpng. libpng reports errors by longjmp: the setjmp is in dino_decode_png itself, so the jump
// only ever unwinds libpng's frames and this one.
#include <png.h>
#include <setjmp.h>
#include <string.h>

#include "internal.h"

typedef struct {
    const uint8_t *data;
    size_t length, offset;
    dino_image *out;
} reader;

static void read_bytes(png_structp png, png_bytep into, size_t count) {
    reader *r = png_get_io_ptr(png);
    if (count > r->length - r->offset) png_error(png, "the file ends early (truncated)");
    memcpy(into, r->data + r->offset, count);
    r->offset += count;
}

static void on_error(png_structp png, png_const_charp message) {
    reader *r = png_get_error_ptr(png);
    dino_set_message(r->out, "", message);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;  // ancillary-chunk problems (bad iCCP, CRC of a text chunk): the pixels are unaffected
}

dino_image_status dino_decode_png(const uint8_t *data, size_t length, uint64_t max_pixels, dino_image *out) {
    memset(out, 0, sizeof *out);
    out->orientation = 1;
    reader r = {data, length, 0, out};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &r, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        dino_set_message(out, "", "out of memory");
        return DINO_IMAGE_NO_MEMORY;
    }
    volatile dino_image_status status = DINO_IMAGE_CORRUPT;
    if (setjmp(png_jmpbuf(png))) goto done;  // out->message was set by on_error

    png_set_read_fn(png, &r, read_bytes);
    png_set_benign_errors(png, 1);
    png_read_info(png, info);
    png_uint_32 width = 0, height = 0;
    int depth = 0, color = 0, interlace = 0;
    png_get_IHDR(png, info, &width, &height, &depth, &color, &interlace, NULL, NULL);
    if ((status = dino_check_size(out, width, height, max_pixels)) != DINO_IMAGE_OK) goto done;
    status = DINO_IMAGE_CORRUPT;

    png_bytep exif = NULL;
    png_uint_32 exif_length = 0;
    if (png_get_eXIf_1(png, info, &exif_length, &exif) && exif) out->orientation = dino_exif_orientation(exif, exif_length);

    // PIL's convert("RGB"): palettes expanded, 1/2/4-bit grey scaled to 0...255, grey replicated, alpha and
    // tRNS dropped (not blended), 16-bit samples reduced to their high byte; no gamma correction.
    if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (depth == 16) png_set_strip_16(png);
    if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
    png_set_strip_alpha(png);
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_channels(png, info) != 3 || png_get_bit_depth(png, info) != 8 ||
        png_get_rowbytes(png, info) != (size_t)width * 3) {
        dino_set_message(out, "", "unexpected pixel layout after conversion to RGB");
        goto done;
    }
    out->pixels = malloc((size_t)width * height * 3);
    if (!out->pixels) {
        dino_set_message(out, "", "out of memory");
        status = DINO_IMAGE_NO_MEMORY;
        goto done;
    }
    out->width = (int32_t)width;
    out->height = (int32_t)height;
    // Interlaced images take one sweep per pass; libpng merges each pass into the row already there.
    for (int pass = 0; pass < passes; pass++)
        for (png_uint_32 y = 0; y < height; y++) png_read_row(png, out->pixels + (size_t)y * width * 3, NULL);
    status = DINO_IMAGE_OK;

done:
    png_destroy_read_struct(&png, &info, NULL);
    if (status < 0) dino_image_free(out);
    return status;
}
