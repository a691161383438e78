// TIFF through libtiff: its RGBA interface reads every layout libtiff knows (strips and tiles, contiguous or
// planar, 1–16-bit, grey, RGB, palette, CMYK, YCbCr, every compression it was built with). Errors go to a handler
// on this TIFF handle only (libtiff ≥ 4.5), so concurrent decodes never share state; libtiff does not longjmp.
#include <string.h>
#include <tiffio.h>

#include "internal.h"

typedef struct {
    const uint8_t *data;
    size_t length, offset;
    dino_image *out;
} reader;

static tmsize_t read_bytes(thandle_t handle, void *into, tmsize_t count) {
    reader *r = handle;
    size_t left = r->offset < r->length ? r->length - r->offset : 0;
    size_t n = (size_t)count < left ? (size_t)count : left;
    memcpy(into, r->data + r->offset, n);
    r->offset += n;
    return (tmsize_t)n;
}
static tmsize_t write_bytes(thandle_t handle, void *from, tmsize_t count) { (void)handle, (void)from, (void)count; return -1; }
static toff_t seek(thandle_t handle, toff_t offset, int whence) {
    reader *r = handle;
    uint64_t base = whence == SEEK_CUR ? r->offset : whence == SEEK_END ? r->length : 0;
    if (offset > UINT64_MAX - base) return (toff_t)-1;
    r->offset = (size_t)(base + offset);  // reading past the end yields 0 bytes
    return r->offset;
}
static int close_file(thandle_t handle) { (void)handle; return 0; }
static toff_t size_of(thandle_t handle) { return ((reader *)handle)->length; }
static int no_map(thandle_t handle, void **base, toff_t *size) { (void)handle, (void)base, (void)size; return 0; }
static void no_unmap(thandle_t handle, void *base, toff_t size) { (void)handle, (void)base, (void)size; }

/// Keeps libtiff's first error as the message (the first names the cause; later ones are consequences).
static int on_error(TIFF *tif, void *user, const char *module, const char *format, va_list args) {
    (void)tif, (void)module;
    dino_image *out = user;
    if (!out->message[0]) vsnprintf(out->message, sizeof out->message, format, args);
    return 1;
}
static int on_warning(TIFF *tif, void *user, const char *module, const char *format, va_list args) {
    (void)tif, (void)user, (void)module, (void)format, (void)args;  // unknown tags and the like: pixels unaffected
    return 1;
}

static dino_image_status decode(TIFF *tif, uint64_t max_pixels, dino_image *out) {
    uint32_t width = 0, height = 0;
    if (!TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &width) || !TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &height)) {
        dino_set_message(out, "", "the first image has no width or height");
        return DINO_IMAGE_CORRUPT;
    }
    dino_image_status status = dino_check_size(out, width, height, max_pixels);
    if (status != DINO_IMAGE_OK) return status;
    uint16_t orientation = ORIENTATION_TOPLEFT;
    TIFFGetFieldDefaulted(tif, TIFFTAG_ORIENTATION, &orientation);
    out->orientation = orientation >= 1 && orientation <= 8 ? orientation : 1;

    // PIL's convert("RGB") drops alpha without blending. libtiff would premultiply unassociated alpha, so every
    // extra sample is declared unspecified (this handle's copy of the tag only) and ignored.
    uint16_t extra_count = 0, *extra = NULL;
    if (TIFFGetField(tif, TIFFTAG_EXTRASAMPLES, &extra_count, &extra) && extra_count > 0) {
        uint16_t unspecified[extra_count];
        for (int i = 0; i < extra_count; i++) unspecified[i] = EXTRASAMPLE_UNSPECIFIED;
        TIFFSetField(tif, TIFFTAG_EXTRASAMPLES, extra_count, unspecified);
    }
    char why[1024] = "";
    TIFFRGBAImage image;
    // Stop at the first unreadable strip or tile, as PIL does, rather than return a partly blank picture.
    if (!TIFFRGBAImageOK(tif, why) || !TIFFRGBAImageBegin(&image, tif, 1, why)) {
        if (!out->message[0]) dino_set_message(out, "", why);
        return DINO_IMAGE_UNSUPPORTED;
    }
    // Rows as stored, top first: the orientation is applied by the caller, for every format alike.
    image.orientation = image.req_orientation = ORIENTATION_TOPLEFT;

    // A band of rows at a time keeps the 4-byte-per-pixel RGBA buffer small.
    uint32_t band = 256, strip_rows = 0, tile_rows = 0;
    if (TIFFIsTiled(tif) && TIFFGetField(tif, TIFFTAG_TILELENGTH, &tile_rows) && tile_rows > band) band = tile_rows;
    else if (TIFFGetField(tif, TIFFTAG_ROWSPERSTRIP, &strip_rows) && strip_rows > band && strip_rows < height) band = strip_rows;
    if (band > height) band = height;
    uint32_t *rgba = malloc((size_t)width * band * 4);
    out->pixels = malloc((size_t)width * height * 3);
    if (!rgba || !out->pixels) {
        dino_set_message(out, "", "out of memory");
        status = DINO_IMAGE_NO_MEMORY;
    }
    for (uint32_t y = 0; status == DINO_IMAGE_OK && y < height; y += band) {
        uint32_t rows = height - y < band ? height - y : band;
        image.row_offset = (int)y;
        image.col_offset = 0;
        if (!TIFFRGBAImageGet(&image, rgba, width, rows)) {
            if (!out->message[0]) dino_set_message(out, "", "the image data cannot be read");
            status = DINO_IMAGE_CORRUPT;
            break;
        }
        uint8_t *row = out->pixels + (size_t)y * width * 3;
        for (size_t i = 0; i < (size_t)width * rows; i++) {
            row[3 * i] = (uint8_t)TIFFGetR(rgba[i]);
            row[3 * i + 1] = (uint8_t)TIFFGetG(rgba[i]);
            row[3 * i + 2] = (uint8_t)TIFFGetB(rgba[i]);
        }
    }
    free(rgba);
    TIFFRGBAImageEnd(&image);
    if (status == DINO_IMAGE_OK) {
        out->width = (int32_t)width;
        out->height = (int32_t)height;
        if (out->message[0]) status = DINO_IMAGE_WARNING;  // libtiff complained but every row was read
    }
    return status;
}

dino_image_status dino_decode_tiff(const uint8_t *data, size_t length, uint64_t max_pixels, dino_image *out) {
    memset(out, 0, sizeof *out);
    out->orientation = 1;
    reader r = {data, length, 0, out};
    TIFFOpenOptions *options = TIFFOpenOptionsAlloc();
    if (!options) {
        dino_set_message(out, "", "out of memory");
        return DINO_IMAGE_NO_MEMORY;
    }
    TIFFOpenOptionsSetErrorHandlerExtR(options, on_error, out);
    TIFFOpenOptionsSetWarningHandlerExtR(options, on_warning, out);
    // No single allocation above 1 GiB, whatever a strip's byte count claims.
    TIFFOpenOptionsSetMaxSingleMemAlloc(options, (tmsize_t)1 << 30);
    // "m": no memory mapping (the bytes are already in memory). Only the first directory is ever read.
    TIFF *tif = TIFFClientOpenExt("image", "rm", &r, read_bytes, write_bytes, seek, close_file, size_of, no_map,
                                  no_unmap, options);
    TIFFOpenOptionsFree(options);
    dino_image_status status;
    if (!tif) {
        if (!out->message[0]) dino_set_message(out, "", "not a readable TIFF");
        status = DINO_IMAGE_CORRUPT;
    } else {
        status = decode(tif, max_pixels, out);
        TIFFClose(tif);
    }
    if (status < 0) dino_image_free(out);
    return status;
}
