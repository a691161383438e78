// GIF through giflib (status codes, no longjmp): the first frame, composed as Pillow composes it — a canvas of
// the logical screen (grown to hold the frame), the area outside the frame filled with the transparent index
// when the frame has one, else index 0; palette colours looked up without blending (PIL's convert("RGB")).
#include <gif_lib.h>
#include <string.h>

#include "internal.h"

typedef struct {
    const uint8_t *data;
    size_t length, offset;
} reader;

static int read_bytes(GifFileType *gif, GifByteType *into, int count) {
    reader *r = gif->UserData;
    size_t left = r->length - r->offset;
    size_t n = count < 0 ? 0 : (size_t)count < left ? (size_t)count : left;
    memcpy(into, r->data + r->offset, n);
    r->offset += n;
    return (int)n;
}

static dino_image_status failure(int code, dino_image *out) {
    const char *why = GifErrorString(code);
    dino_set_message(out, "", why ? why : "decoding failed");
    return code == D_GIF_ERR_NOT_ENOUGH_MEM ? DINO_IMAGE_NO_MEMORY : DINO_IMAGE_CORRUPT;
}

static dino_image_status decode(GifFileType *gif, uint64_t max_pixels, dino_image *out, uint8_t **indices) {
    int transparent = -1;
    for (;;) {
        GifRecordType type;
        if (DGifGetRecordType(gif, &type) == GIF_ERROR) return failure(gif->Error, out);
        if (type == TERMINATE_RECORD_TYPE) {
            dino_set_message(out, "", "the file holds no image");
            return DINO_IMAGE_CORRUPT;
        }
        if (type == IMAGE_DESC_RECORD_TYPE) break;
        if (type != EXTENSION_RECORD_TYPE) continue;
        int code = 0;
        GifByteType *block = NULL;
        if (DGifGetExtension(gif, &code, &block) == GIF_ERROR) return failure(gif->Error, out);
        // Graphic control: the transparent index of the frame that follows.
        if (code == GRAPHICS_EXT_FUNC_CODE && block && block[0] >= 4) transparent = block[1] & 1 ? block[4] : -1;
        while (block)
            if (DGifGetExtensionNext(gif, &block) == GIF_ERROR) return failure(gif->Error, out);
    }
    if (DGifGetImageDesc(gif) == GIF_ERROR) return failure(gif->Error, out);
    GifImageDesc frame = gif->Image;
    int64_t width = gif->SWidth, height = gif->SHeight;
    if (frame.Left + frame.Width > width) width = frame.Left + frame.Width;
    if (frame.Top + frame.Height > height) height = frame.Top + frame.Height;
    dino_image_status status = dino_check_size(out, width, height, max_pixels);
    if (status != DINO_IMAGE_OK) return status;

    size_t count = (size_t)width * height;
    *indices = malloc(count);
    out->pixels = malloc(count * 3);
    if (!*indices || !out->pixels) {
        dino_set_message(out, "", "out of memory");
        return DINO_IMAGE_NO_MEMORY;
    }
    memset(*indices, transparent >= 0 ? transparent : 0, count);
    // Interlaced frames arrive in four passes: rows 0, 8, 16…; 4, 12…; 2, 6…; 1, 3…
    static const int start[] = {0, 4, 2, 1}, step[] = {8, 8, 4, 2};
    int passes = frame.Interlace ? 4 : 1;
    for (int pass = 0; pass < passes; pass++)
        for (int y = frame.Interlace ? start[pass] : 0; y < frame.Height; y += frame.Interlace ? step[pass] : 1) {
            uint8_t *row = *indices + (size_t)(frame.Top + y) * width + frame.Left;
            if (DGifGetLine(gif, row, frame.Width) == GIF_ERROR) return failure(gif->Error, out);
        }

    // The frame's own colour table, else the global one; without either Pillow reads the indices as grey.
    const ColorMapObject *map = frame.ColorMap ? frame.ColorMap : gif->SColorMap;
    uint8_t palette[256][3];
    for (int i = 0; i < 256; i++) {
        int known = map && i < map->ColorCount;
        palette[i][0] = known ? map->Colors[i].Red : map ? 0 : (uint8_t)i;
        palette[i][1] = known ? map->Colors[i].Green : map ? 0 : (uint8_t)i;
        palette[i][2] = known ? map->Colors[i].Blue : map ? 0 : (uint8_t)i;
    }
    for (size_t i = 0; i < count; i++) memcpy(out->pixels + 3 * i, palette[(*indices)[i]], 3);
    out->width = (int32_t)width;
    out->height = (int32_t)height;
    return DINO_IMAGE_OK;
}

dino_image_status dino_decode_gif(const uint8_t *data, size_t length, uint64_t max_pixels, dino_image *out) {
    memset(out, 0, sizeof *out);
    out->orientation = 1;
    reader r = {data, length, 0};
    int error = 0;
    GifFileType *gif = DGifOpen(&r, read_bytes, &error);
    if (!gif) return failure(error, out);
    uint8_t *indices = NULL;
    dino_image_status status = decode(gif, max_pixels, out, &indices);
    free(indices);
    DGifCloseFile(gif, &error);
    if (status < 0) dino_image_free(out);
    return status;
}
