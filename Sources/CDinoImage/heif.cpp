// HEIC/HEIF through libheif (HEVC by libde265). libheif's C API is C++ inside:
// every call stays within one try block so that no exception (std::bad_alloc on a hostile size) reaches Swift.
#include <libheif/heif.h>

#include <cstring>
#include <new>

#include "guarded.hpp"

namespace {

dino_image_status failure(const heif_error &error, dino_image *out) {
    dino_set_message(out, "", error.message);
    switch (error.code) {
    case heif_error_Unsupported_feature:
    case heif_error_Unsupported_filetype:
        return DINO_IMAGE_UNSUPPORTED;
    case heif_error_Memory_allocation_error:
        return error.subcode == heif_suberror_Security_limit_exceeded ? DINO_IMAGE_TOO_LARGE : DINO_IMAGE_NO_MEMORY;
    default:
        return DINO_IMAGE_CORRUPT;
    }
}

dino_image_status decode(const uint8_t *data, size_t length, uint64_t max_pixels, dino_image *out,
                         heif_context *context, heif_image_handle **handle, heif_image **image) {
    heif_error error = heif_context_read_from_memory_without_copy(context, data, length, nullptr);
    if (error.code != heif_error_Ok) return failure(error, out);
    if ((error = heif_context_get_primary_image_handle(context, handle)).code != heif_error_Ok)
        return failure(error, out);
    // The size after the file's own rotation and crop (irot, clap): what the decoder will allocate.
    dino_image_status status = dino_check_size(out, heif_image_handle_get_width(*handle),
                                               heif_image_handle_get_height(*handle), max_pixels);
    if (status != DINO_IMAGE_OK) return status;

    heif_decoding_options *options = heif_decoding_options_alloc();
    if (!options) throw std::bad_alloc();
    options->convert_hdr_to_8bit = 1;  // 10/12-bit to 8 bits, as pillow-heif does by default
    // libheif applies the transformations (irot, imir, clap) that HEIF makes normative; interleaved RGB drops alpha
    // without blending, as PIL's convert("RGB") does.
    error = heif_decode_image(*handle, image, heif_colorspace_RGB, heif_chroma_interleaved_RGB, options);
    heif_decoding_options_free(options);
    if (error.code != heif_error_Ok) return failure(error, out);

    int width = heif_image_get_width(*image, heif_channel_interleaved);
    int height = heif_image_get_height(*image, heif_channel_interleaved);
    int stride = 0;
    const uint8_t *plane = heif_image_get_plane_readonly(*image, heif_channel_interleaved, &stride);
    if (!plane || width != out->stored_width || height != out->stored_height ||
        heif_image_get_bits_per_pixel_range(*image, heif_channel_interleaved) != 8) {
        dino_set_message(out, "", "the decoder returned an unexpected pixel layout");
        return DINO_IMAGE_CORRUPT;
    }
    out->pixels = static_cast<uint8_t *>(malloc(size_t(width) * height * 3));
    if (!out->pixels) throw std::bad_alloc();
    for (int y = 0; y < height; y++) memcpy(out->pixels + size_t(y) * width * 3, plane + size_t(y) * stride, size_t(width) * 3);
    out->width = width;
    out->height = height;
    return DINO_IMAGE_OK;
}

}  // namespace

extern "C" dino_image_status dino_decode_heif(const uint8_t *data, size_t length, uint64_t max_pixels,
                                              dino_image *out) {
    memset(out, 0, sizeof *out);
    // libheif applies irot/imir itself; EXIF orientation in HEIF is informative only (Apple writes both, and
    // applying it again would rotate twice), so none is left for the caller.
    out->orientation = 1;
    heif_context *context = heif_context_alloc();
    if (!context) {
        dino_set_message(out, "", "out of memory");
        return DINO_IMAGE_NO_MEMORY;
    }
    heif_image_handle *handle = nullptr;
    heif_image *image = nullptr;
    dino_image_status status = guarded(out, [&] { return decode(data, length, max_pixels, out, context, &handle, &image); });
    if (image) heif_image_release(image);
    if (handle) heif_image_handle_release(handle);
    heif_context_free(context);
    if (status < 0) dino_image_free(out);
    return status;
}
