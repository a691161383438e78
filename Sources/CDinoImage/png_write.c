// PNG encoding through libpng, into memory (the caller writes the file, so a failed encode never leaves a
// partial file). The setjmp is in dino_encode_png: libpng's longjmp unwinds only its own frames and this one.
#include <png.h>
#include <setjmp.h>
#include <string.h>

#include "internal.h"

typedef struct {
    uint8_t *bytes;
    size_t length, capacity;
    char *message;
    size_t message_size;
} writer;

static void write_bytes(png_structp png, png_bytep data, size_t count) {
    writer *w = png_get_io_ptr(png);
    if (w->length + count > w->capacity) {
        size_t capacity = (w->capacity + count) * 2;
        uint8_t *grown = realloc(w->bytes, capacity);
        if (!grown) png_error(png, "out of memory");
        w->bytes = grown;
        w->capacity = capacity;
    }
    memcpy(w->bytes + w->length, data, count);
    w->length += count;
}

static void flush_nothing(png_structp png) { (void)png; }

static void on_write_error(png_structp png, png_const_charp message) {
    writer *w = png_get_error_ptr(png);
    snprintf(w->message, w->message_size, "%s", message);
    png_longjmp(png, 1);
}

static void on_write_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

int dino_encode_png(const uint8_t *rgb, int32_t width, int32_t height, uint8_t **out, size_t *out_length,
                    char *message, size_t message_size) {
    *out = NULL;
    *out_length = 0;
    writer w = {NULL, 0, 0, message, message_size};
    if (width <= 0 || height <= 0) {
        snprintf(message, message_size, "a PNG needs a positive size, not %d×%d", width, height);
        return -1;
    }
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &w, on_write_error, on_write_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        snprintf(message, message_size, "out of memory");
        return -1;
    }
    volatile int status = -1;
    if (setjmp(png_jmpbuf(png))) goto done;
    png_set_write_fn(png, &w, write_bytes, flush_nothing);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int32_t y = 0; y < height; y++) png_write_row(png, (png_const_bytep)(rgb + (size_t)y * (size_t)width * 3));
    png_write_end(png, NULL);
    status = 0;
done:
    png_destroy_write_struct(&png, &info);
    if (status == 0) {
        *out = w.bytes;
        *out_length = w.length;
    } else {
        free(w.bytes);
    }
    return status;
}
