// HEIC/HEIF and AVIF through libheif (HEVC by libde265, AV1 by dav1d or aom). libheif's C API is C++ inside:
// every call stays within one try block so that no exception (std::bad_alloc on a hostile size) reaches Swift.
#include <libheif/heif.h>

#include <cstring>
#include <new>

extern "C" {
#include "internal.h"
}

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

/// Whether an AVIF's colour image is coded 4:2:0: the first non-monochrome `av1C` box's subsampling bits.
bool avif_is_420(const uint8_t *data, size_t length) {
    for (size_t i = 0; i + 11 <= length; i++) {
        if (memcmp(data + i, "av1C", 4) != 0) continue;
        uint8_t flags = data[i + 6];  // tier, high bit depth, 12-bit, monochrome, subsampling x, y, siting
        if (flags & 0x10) continue;   // monochrome: an alpha plane
        return (flags & 0x0C) == 0x0C;
    }
    return false;
}

/// Kr and Kb of the YCbCr matrices AVIF files use; false for others (which go through libheif's conversion).
bool matrix_weights(heif_matrix_coefficients matrix, float *kr, float *kb) {
    switch (matrix) {
    case heif_matrix_coefficients_ITU_R_BT_709_5: *kr = 0.2126f, *kb = 0.0722f; return true;
    case heif_matrix_coefficients_unspecified:  // libavif reads "unspecified" as BT.601
    case heif_matrix_coefficients_ITU_R_BT_470_6_System_B_G:
    case heif_matrix_coefficients_ITU_R_BT_601_6: *kr = 0.299f, *kb = 0.114f; return true;
    case heif_matrix_coefficients_ITU_R_BT_2020_2_non_constant_luminance: *kr = 0.2627f, *kb = 0.0593f; return true;
    default: return false;
    }
}

/// 8-bit 4:2:0 YCbCr to RGB as libavif (Pillow's AVIF reader, and browsers') does it: chroma upsampled
/// bilinearly (9:3:3:1 from the nearest four chroma samples, centred siting) rather than repeated as libheif 1.15
/// does, then the nclx matrix in floating point. Returns false, leaving `out` untouched, for anything else.
bool avif_420_to_rgb(const heif_image_handle *handle, const heif_image *image, dino_image *out) {
    if (heif_image_get_colorspace(image) != heif_colorspace_YCbCr ||
        heif_image_get_chroma_format(image) != heif_chroma_420 ||
        heif_image_get_bits_per_pixel_range(image, heif_channel_Y) != 8)
        return false;
    heif_color_profile_nclx *nclx = nullptr;
    if (heif_image_handle_get_nclx_color_profile(handle, &nclx).code != heif_error_Ok || !nclx) return false;
    float kr = 0, kb = 0;
    bool known = matrix_weights(nclx->matrix_coefficients, &kr, &kb);
    bool full = nclx->full_range_flag;
    heif_nclx_color_profile_free(nclx);
    if (!known) return false;
    int width = heif_image_get_width(image, heif_channel_Y), height = heif_image_get_height(image, heif_channel_Y);
    int chroma_width = heif_image_get_width(image, heif_channel_Cb);
    int chroma_height = heif_image_get_height(image, heif_channel_Cb);
    int y_stride = 0, cb_stride = 0, cr_stride = 0;
    const uint8_t *luma = heif_image_get_plane_readonly(image, heif_channel_Y, &y_stride);
    const uint8_t *cb = heif_image_get_plane_readonly(image, heif_channel_Cb, &cb_stride);
    const uint8_t *cr = heif_image_get_plane_readonly(image, heif_channel_Cr, &cr_stride);
    if (!luma || !cb || !cr || width != out->stored_width || height != out->stored_height ||
        chroma_width != (width + 1) / 2 || chroma_height != (height + 1) / 2)
        return false;
    out->pixels = static_cast<uint8_t *>(malloc(size_t(width) * height * 3));
    if (!out->pixels) throw std::bad_alloc();
    const float kg = 1 - kr - kb;
    const float y_scale = full ? 1 / 255.0f : 1 / 219.0f, y_offset = full ? 0 : 16;
    const float c_scale = full ? 1 / 255.0f : 1 / 224.0f;
    auto clamp = [](int v, int hi) { return v < 0 ? 0 : v > hi ? hi : v; };
    for (int y = 0; y < height; y++) {
        int cy = y / 2, ny = clamp(y % 2 ? cy + 1 : cy - 1, chroma_height - 1);  // the other nearest chroma row
        uint8_t *o = out->pixels + size_t(y) * width * 3;
        for (int x = 0; x < width; x++, o += 3) {
            int cx = x / 2, nx = clamp(x % 2 ? cx + 1 : cx - 1, chroma_width - 1);
            auto sample = [&](const uint8_t *plane, int stride) {
                return (9.0f * plane[cy * stride + cx] + 3.0f * plane[cy * stride + nx] +
                        3.0f * plane[ny * stride + cx] + plane[ny * stride + nx]) / 16.0f;
            };
            float l = (luma[y * y_stride + x] - y_offset) * y_scale;
            float u = (sample(cb, cb_stride) - 128) * c_scale, v = (sample(cr, cr_stride) - 128) * c_scale;
            float r = l + 2 * (1 - kr) * v, b = l + 2 * (1 - kb) * u;
            float g = l - (2 * kr * (1 - kr) * v + 2 * kb * (1 - kb) * u) / kg;
            o[0] = uint8_t(clamp(int(r * 255 + 0.5f), 255));
            o[1] = uint8_t(clamp(int(g * 255 + 0.5f), 255));
            o[2] = uint8_t(clamp(int(b * 255 + 0.5f), 255));
        }
    }
    out->width = width;
    out->height = height;
    return true;
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
    // libheif applies the transformations (irot, imir, clap) that HEIF makes normative.
    if (dino_image_sniff(data, length) == DINO_FORMAT_AVIF && avif_is_420(data, length)) {
        error = heif_decode_image(*handle, image, heif_colorspace_YCbCr, heif_chroma_420, options);
        if (error.code == heif_error_Ok && avif_420_to_rgb(*handle, *image, out)) {
            heif_decoding_options_free(options);
            return DINO_IMAGE_OK;
        }
        if (*image) heif_image_release(*image);
        *image = nullptr;
    }
    // Interleaved RGB drops alpha without blending, as PIL's convert("RGB") does.
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
    dino_image_status status;
    try {
        status = decode(data, length, max_pixels, out, context, &handle, &image);
    } catch (const std::bad_alloc &) {
        dino_set_message(out, "", "out of memory");
        status = DINO_IMAGE_NO_MEMORY;
    } catch (...) {
        dino_set_message(out, "", "the decoder failed");
        status = DINO_IMAGE_CORRUPT;
    }
    if (image) heif_image_release(image);
    if (handle) heif_image_handle_release(handle);
    heif_context_free(context);
    if (status < 0) dino_image_free(out);
    return status;
}
