// Camera RAW through LibRaw (the reentrant libraw_r). For retrieval the camera's own rendering is the better
// and much faster input: the embedded JPEG preview when its short side is at least 256 px; otherwise LibRaw
// demosaics (AHD) with the camera's white balance into 8-bit sRGB, as rawpy's postprocess(use_camera_wb=True)
// does. LibRaw is C++: every call stays inside one try block, so no exception reaches Swift; and it runs in a
// worker process (raw_process.cpp).
#include <libraw/libraw.h>

#include <cstring>
#include <new>

#include "guarded.hpp"

namespace {

constexpr int kPreviewShortSide = 256;

/// LibRaw reports damaged or missing raw data here and carries on with what it has: the caller gets a warning.
void on_data_error(void *user, const char *, const int offset) {
    dino_image *out = static_cast<dino_image *>(user);
    if (!out->message[0]) snprintf(out->message, sizeof out->message, "damaged or missing raw data (at byte %d)", offset);
}
void quiet_memory_error(void *, const char *, const char *) {}

dino_image_status failure(int code, dino_image *out) {
    dino_set_message(out, "", libraw_strerror(code));
    switch (code) {
    case LIBRAW_FILE_UNSUPPORTED:
    case LIBRAW_NOT_IMPLEMENTED:
        return DINO_IMAGE_UNSUPPORTED;
    case LIBRAW_UNSUFFICIENT_MEMORY:
    case LIBRAW_MEMPOOL_OVERFLOW:
        return DINO_IMAGE_NO_MEMORY;
    case LIBRAW_TOO_BIG:
        return DINO_IMAGE_TOO_LARGE;
    default:
        return DINO_IMAGE_CORRUPT;
    }
}

/// EXIF orientation for LibRaw's `flip` (LibRaw stores the TIFF orientation as dcraw's flip bits).
int32_t orientation_of_flip(int flip) {
    static const int32_t table[8] = {1, 2, 4, 3, 5, 8, 6, 7};
    return flip >= 0 && flip < 8 ? table[flip] : 1;
}

/// The embedded JPEG preview, when there is one large enough. Returns 1 and fills `out` when it was used.
int decode_preview(libraw_data_t *raw, int32_t min_short_side, uint64_t max_pixels, dino_image *out) {
    if (libraw_unpack_thumb(raw) != LIBRAW_SUCCESS || raw->thumbnail.tformat != LIBRAW_THUMBNAIL_JPEG ||
        !raw->thumbnail.thumb || raw->thumbnail.tlength == 0)
        return 0;
    dino_image preview;
    dino_image_status status = dino_decode_jpeg(reinterpret_cast<const uint8_t *>(raw->thumbnail.thumb),
                                                raw->thumbnail.tlength, min_short_side, max_pixels, &preview);
    int short_side = preview.stored_width < preview.stored_height ? preview.stored_width : preview.stored_height;
    if (status != DINO_IMAGE_OK || short_side < kPreviewShortSide) {
        dino_image_free(&preview);
        return 0;
    }
    *out = preview;  // (drops any message about the raw data: the preview is whole)
    out->orientation = orientation_of_flip(raw->sizes.flip);  // the raw file's orientation; previews carry none
    return 1;
}

dino_image_status decode_file(libraw_data_t *raw, const uint8_t *data, size_t length, int32_t min_short_side,
                              uint64_t max_pixels, dino_image *out) {
    int rc = libraw_open_buffer(raw, const_cast<uint8_t *>(data), length);
    if (rc != LIBRAW_SUCCESS) return failure(rc, out);
    dino_image_status status = dino_check_size(out, raw->sizes.raw_width, raw->sizes.raw_height, max_pixels);
    if (status != DINO_IMAGE_OK) return status;
    if (decode_preview(raw, min_short_side, max_pixels, out)) return DINO_IMAGE_OK;

    // LibRaw rounds a partly read last sample up to a whole one and fills what is missing without a word: a file
    // cut inside its raw data is noticed here, from where the format says the data ends.
    const auto &unpacker = static_cast<LibRaw *>(raw->parent_class)->get_internal_data_pointer()->unpacker_data;
    if (unpacker.data_size > 0 && unpacker.data_offset + INT64(unpacker.data_size) > INT64(length))
        dino_set_message(out, "", "the raw data ends early (truncated)");

    raw->params.use_camera_wb = 1;
    raw->params.output_bps = 8;
    raw->params.output_color = 1;  // sRGB
    if ((rc = libraw_unpack(raw)) != LIBRAW_SUCCESS || (rc = libraw_dcraw_process(raw)) != LIBRAW_SUCCESS)
        return failure(rc, out);
    libraw_processed_image_t *image = libraw_dcraw_make_mem_image(raw, &rc);
    if (!image) return failure(rc, out);
    // The processed image is already turned by the file's orientation.
    if (image->type != LIBRAW_IMAGE_BITMAP || image->colors != 3 || image->bits != 8 ||
        image->data_size != size_t(image->width) * image->height * 3) {
        libraw_dcraw_clear_mem(image);
        dino_set_message(out, "", "LibRaw returned an unexpected pixel layout");
        return DINO_IMAGE_UNSUPPORTED;
    }
    out->pixels = static_cast<uint8_t *>(malloc(image->data_size));
    if (!out->pixels) {
        libraw_dcraw_clear_mem(image);
        throw std::bad_alloc();
    }
    memcpy(out->pixels, image->data, image->data_size);
    out->width = out->stored_width = image->width;
    out->height = out->stored_height = image->height;
    libraw_dcraw_clear_mem(image);
    return out->message[0] ? DINO_IMAGE_WARNING : DINO_IMAGE_OK;
}

}  // namespace

/// The decode itself, in the calling process (raw_process.cpp runs it in a worker process).
dino_image_status dino_decode_raw_here(const uint8_t *data, size_t length, int32_t min_short_side,
                                       uint64_t max_pixels, dino_image *out) {
    memset(out, 0, sizeof *out);
    out->orientation = 1;
    libraw_data_t *raw = libraw_init(0);
    if (!raw) {
        dino_set_message(out, "", "out of memory");
        return DINO_IMAGE_NO_MEMORY;
    }
    libraw_set_dataerror_handler(raw, on_data_error, out);  // LibRaw's own handler prints to stderr
    libraw_set_memerror_handler(raw, quiet_memory_error, nullptr);
    dino_image_status status = guarded(out, [&] { return decode_file(raw, data, length, min_short_side, max_pixels, out); });
    libraw_close(raw);
    if (status < 0) dino_image_free(out);
    return status;
}

