// BMP, read here: Debian has no BMP library (Pillow, libvips and most viewers carry their own reader too).
// Follows Pillow's BmpImagePlugin: OS/2 and Windows headers (12, 40, 52, 56, 64, 108, 124 bytes), 1/4/8-bit
// palettes, 16-bit 5-5-5, 24-bit, 32-bit with the alpha/pad byte dropped, bit fields, RLE8 and RLE4 as Pillow
// expands them, bottom-up and top-down rows. Every read is bounded by the buffer; pure byte parsing.
#include <string.h>

#include "internal.h"

static uint32_t u16(const uint8_t *p) { return p[0] | p[1] << 8; }
static uint32_t u32(const uint8_t *p) { return (uint32_t)p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

/// One colour channel of a bit-field pixel: Pillow's "BGR;15"/"BGR;16" arithmetic (v·255/max, truncated) for
/// fields up to 8 bits, the top 8 bits of wider ones.
typedef struct { int shift, bits; } field;

static field field_of(uint32_t mask) {
    field f = {0, 0};
    if (!mask) return f;
    while (!(mask & 1)) { mask >>= 1; f.shift++; }
    while (mask & 1) { mask >>= 1; f.bits++; }
    return f;
}

static uint8_t channel(uint32_t pixel, field f) {
    if (f.bits == 0) return 0;
    uint32_t v = (pixel >> f.shift) & (f.bits == 32 ? UINT32_MAX : (1u << f.bits) - 1);
    return f.bits <= 8 ? (uint8_t)(v * 255 / ((1u << f.bits) - 1)) : (uint8_t)(v >> (f.bits - 8));
}

/// Pillow's BmpRleDecoder: palette indices in file order (bottom row first unless top-down), 0 where runs skip.
/// Returns 0 when the data ends before the picture is whole.
static int expand_rle(const uint8_t *d, size_t n, size_t at, int rle4, uint32_t width, size_t total,
                      uint8_t *indices) {
    size_t filled = 0, x = 0;
    while (filled < total) {
        if (at + 2 > n) return 0;
        uint32_t count = d[at], byte = d[at + 1];
        at += 2;
        if (count) {  // a run
            if (x + count > width) count = x < width ? (uint32_t)(width - x) : 0;
            if (count > total - filled) count = (uint32_t)(total - filled);
            for (uint32_t i = 0; i < count; i++)
                indices[filled++] = rle4 ? (i % 2 ? byte & 0x0F : byte >> 4) : (uint8_t)byte;
            x += count;
        } else if (byte == 0) {  // end of line
            while (filled % width) indices[filled++] = 0;
            x = 0;
        } else if (byte == 1) {  // end of bitmap: the rest stays 0
            memset(indices + filled, 0, total - filled);
            return 1;
        } else if (byte == 2) {  // delta: skip right, up
            if (at + 2 > n) return 0;
            size_t skip = d[at] + (size_t)d[at + 1] * width;
            at += 2;
            if (skip > total - filled) skip = total - filled;
            memset(indices + filled, 0, skip);
            filled += skip;
            x = filled % width;
        } else {  // absolute: `byte` literal indices, padded to a 16-bit boundary of the file
            size_t wanted = byte < total - filled ? byte : total - filled;
            size_t bytes = rle4 ? (wanted + 1) / 2 : wanted;
            if (bytes > n - at) return 0;
            for (size_t i = 0; i < wanted; i++) indices[filled++] = rle4 ? (i % 2 ? d[at + i / 2] & 0x0F : d[at + i / 2] >> 4) : d[at + i];
            at += bytes;
            x += byte;
            if (at % 2) at++;
        }
    }
    return 1;
}

dino_image_status dino_decode_bmp(const uint8_t *d, size_t n, uint64_t max_pixels, dino_image *out) {
    memset(out, 0, sizeof *out);
    out->orientation = 1;
    if (n < 18 || d[0] != 'B' || d[1] != 'M') {
        dino_set_message(out, "", "the file ends inside the header (truncated)");
        return DINO_IMAGE_CORRUPT;
    }
    uint32_t offset = u32(d + 10), header = u32(d + 14);
    if (header != 12 && header != 40 && header != 52 && header != 56 && header != 64 && header != 108 && header != 124) {
        snprintf(out->message, sizeof out->message, "unsupported BMP header type (%u bytes)", header);
        return DINO_IMAGE_UNSUPPORTED;
    }
    if (n < 14 + (size_t)header) {
        dino_set_message(out, "", "the file ends inside the header (truncated)");
        return DINO_IMAGE_CORRUPT;
    }
    const uint8_t *h = d + 18;  // after the header's size field
    int64_t width, height;
    uint32_t bits, compression = 0, colors = 0, palette_entry = 4;
    int top_down = 0;
    uint32_t masks[3] = {0, 0, 0};  // red, green, blue bit fields, when the file states them
    size_t after_header = 14 + header;
    if (header == 12) {
        width = u16(h), height = u16(h + 2), bits = u16(h + 6);
        palette_entry = 3;
    } else {
        top_down = h[7] == 0xFF;
        width = u32(h);
        height = top_down ? (int64_t)((1ull << 32) - u32(h + 4)) : u32(h + 4);
        bits = u16(h + 10), compression = u32(h + 12), colors = u32(h + 28);
        if (compression == 3) {  // bit fields: inside a V2+ header, or 12 bytes after a 40-byte one
            const uint8_t *m = header >= 52 ? h + 36 : d + after_header;
            if (header < 52) after_header += 12;
            if ((size_t)(m - d) + 12 > n) {
                dino_set_message(out, "", "the file ends inside the bit masks (truncated)");
                return DINO_IMAGE_CORRUPT;
            }
            for (int i = 0; i < 3; i++) masks[i] = u32(m + 4 * i);
        }
    }
    // No bit fields, or all zero (which Pillow reads as the default layout): 5-5-5 at 16 bits, else 8-8-8.
    if (!(masks[0] | masks[1] | masks[2])) {
        int five = bits == 16;
        masks[0] = five ? 0x7C00 : 0xFF0000, masks[1] = five ? 0x3E0 : 0xFF00, masks[2] = five ? 0x1F : 0xFF;
    }
    if (bits != 1 && bits != 4 && bits != 8 && bits != 16 && bits != 24 && bits != 32) {
        snprintf(out->message, sizeof out->message, "unsupported BMP pixel depth (%u bits)", bits);
        return DINO_IMAGE_UNSUPPORTED;
    }
    int rle = compression == 1 || compression == 2;
    if (compression > 3 || (compression == 3 && bits < 16) || (compression == 1 && bits != 8) ||
        (compression == 2 && bits != 4)) {
        snprintf(out->message, sizeof out->message, "unsupported BMP compression %u at %u bits", compression, bits);
        return DINO_IMAGE_UNSUPPORTED;
    }
    dino_image_status status = dino_check_size(out, width, height, max_pixels);
    if (status != DINO_IMAGE_OK) return status;

    uint8_t palette[256][3] = {{0}};  // indices past the table are black
    if (bits <= 8) {
        if (colors == 0) colors = 1u << bits;
        if (colors > 65536) {
            snprintf(out->message, sizeof out->message, "unsupported BMP palette size (%u)", colors);
            return DINO_IMAGE_UNSUPPORTED;
        }
        size_t available = n > after_header ? (n - after_header) / palette_entry : 0;
        for (size_t i = 0; i < colors && i < 256 && i < available; i++)
            for (int c = 0; c < 3; c++) palette[i][c] = d[after_header + i * palette_entry + 2 - c];  // BGR
        if (offset == after_header) offset += palette_entry * colors;  // no gap stated: pixels follow the table
    }
    if (offset >= n) {
        dino_set_message(out, "", "the file ends before the pixel data (truncated)");
        return DINO_IMAGE_CORRUPT;
    }
    size_t stride = (((size_t)width * bits + 31) >> 3) & ~(size_t)3;
    size_t total = (size_t)width * height;
    if (!rle && stride * height > n - offset) {
        dino_set_message(out, "", "the file ends inside the pixel data (truncated)");
        return DINO_IMAGE_CORRUPT;
    }
    uint8_t *indices = rle ? malloc(total) : NULL;
    out->pixels = malloc(total * 3);
    if (!out->pixels || (rle && !indices)) {
        free(indices);
        dino_image_free(out);
        dino_set_message(out, "", "out of memory");
        return DINO_IMAGE_NO_MEMORY;
    }
    if (rle && !expand_rle(d, n, offset, compression == 2, (uint32_t)width, total, indices)) {
        free(indices);
        dino_image_free(out);
        dino_set_message(out, "", "the file ends inside the RLE data (truncated)");
        return DINO_IMAGE_CORRUPT;
    }
    field f[3] = {field_of(masks[0]), field_of(masks[1]), field_of(masks[2])};
    for (int64_t row = 0; row < height; row++) {
        int64_t y = top_down ? row : height - 1 - row;  // the row's place in the picture
        uint8_t *o = out->pixels + (size_t)y * width * 3;
        const uint8_t *s = rle ? NULL : d + offset + (size_t)row * stride;
        for (int64_t x = 0; x < width; x++, o += 3) {
            if (rle || bits <= 8) {
                uint32_t index = rle ? indices[(size_t)row * width + x]
                               : bits == 8 ? s[x]
                               : bits == 4 ? (s[x / 2] >> (x % 2 ? 0 : 4)) & 0x0F
                                           : (s[x / 8] >> (7 - x % 8)) & 1;
                memcpy(o, palette[index], 3);
            } else if (bits == 24 && compression == 0) {
                o[0] = s[3 * x + 2], o[1] = s[3 * x + 1], o[2] = s[3 * x];
            } else {
                const uint8_t *p = s + x * (bits / 8);
                uint32_t pixel = bits == 16 ? u16(p) : bits == 24 ? (p[0] | p[1] << 8 | p[2] << 16) : u32(p);
                for (int c = 0; c < 3; c++) o[c] = channel(pixel, f[c]);
            }
        }
    }
    free(indices);
    out->width = (int32_t)width;
    out->height = (int32_t)height;
    return DINO_IMAGE_OK;
}
