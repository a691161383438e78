// HEIC/HEIF through libheif (HEVC by libde265). libheif's C API is C++ inside:
// every call stays within one try block so that no exception (std::bad_alloc on a hostile size) reaches Swift.
#include <libheif/heif.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>
#include <vector>

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

/// A run of source samples [begin, end) that one output sample averages.
struct Span {
    int begin, end;
};

/// The spans of `factor` samples each (the last one shorter) that shrink `size` samples to `count`; for a
/// subsampled chroma plane (`shift` 1), the chroma samples under each luma span.
void spans(int size, int factor, int count, int shift, int plane_size, Span *out) {
    for (int i = 0; i < count; i++) {
        int begin = i * factor, end = std::min(size, begin + factor);
        out[i] = {std::min(begin >> shift, plane_size - 1), std::min(((end - 1) >> shift) + 1, plane_size)};
    }
}

/// The mean of each box of a plane (8-bit samples, or 16-bit ones holding `bits`): one pass over the rows.
template <typename Sample>
void shrink(const uint8_t *plane, int stride, int width, const Span *columns, int out_width, const Span *rows,
            int out_height, float *out) {
    std::vector<uint32_t> sums(static_cast<size_t>(width));
    for (int r = 0; r < out_height; r++) {
        std::fill(sums.begin(), sums.end(), 0u);
        for (int y = rows[r].begin; y < rows[r].end; y++) {
            const Sample *line = reinterpret_cast<const Sample *>(plane + size_t(y) * stride);
            for (int x = 0; x < width; x++) sums[size_t(x)] += line[x];
        }
        const float height = float(rows[r].end - rows[r].begin);
        for (int c = 0; c < out_width; c++) {
            uint32_t sum = 0;
            for (int x = columns[c].begin; x < columns[c].end; x++) sum += sums[size_t(x)];
            out[size_t(r) * out_width + c] = float(sum) / (height * float(columns[c].end - columns[c].begin));
        }
    }
}

/// YCbCr→RGB as libheif defines it for an nclx matrix (Kr, Kb), in the planes' own units.
struct Conversion {
    float r_cr, g_cb, g_cr, b_cb;
    bool full_range;
};

/// The conversion libheif would apply to this decoded image, or false where it does more than a matrix
/// (identity/GBR, YCgCo, chromaticity-derived, ICtCp): those keep the full path.
bool conversion_of(const heif_image *image, Conversion *out) {
    float kr = 0.299f, kb = 0.114f;  // BT.601, full range: libheif's default without an nclx profile
    bool full_range = true;
    heif_color_profile_nclx *nclx = nullptr;
    if (heif_image_get_nclx_color_profile(image, &nclx).code == heif_error_Ok && nclx) {
        full_range = nclx->full_range_flag != 0;
        switch (int(nclx->matrix_coefficients)) {
        case 1: kr = 0.2126f; kb = 0.0722f; break;
        case 2: case 5: case 6: break;
        case 4: kr = 0.30f; kb = 0.11f; break;
        case 7: kr = 0.212f; kb = 0.087f; break;
        case 9: case 10: kr = 0.2627f; kb = 0.0593f; break;
        default:
            heif_nclx_color_profile_free(nclx);
            return false;
        }
        heif_nclx_color_profile_free(nclx);
    }
    *out = {2 * (1 - kr), 2 * kb * (1 - kb) / (kb + kr - 1), 2 * kr * (1 - kr) / (kb + kr - 1), 2 * (1 - kb),
            full_range};
    return true;
}

/// The image shrunk by `factor` (box means of each plane) and only then converted to 8-bit RGB: the work of a
/// full-size conversion is skipped for a picture that the model sees at 256 pixels. Takes the decoder's YCbCr
/// planes (4:2:0, 4:2:2, 4:4:4), or the planar RGB that libheif 1.15 assembles grids into (it converts every tile).
/// Returns false when the decoded layout is not one of these (the caller decodes to RGB instead).
bool shrink_to_rgb(const heif_image *image, int factor, int expected_width, int expected_height, dino_image *out) {
    const heif_colorspace colorspace = heif_image_get_colorspace(image);
    const heif_chroma chroma = heif_image_get_chroma_format(image);
    const bool ycbcr = colorspace == heif_colorspace_YCbCr;
    if (!(ycbcr && (chroma == heif_chroma_420 || chroma == heif_chroma_422 || chroma == heif_chroma_444)) &&
        !(colorspace == heif_colorspace_RGB && chroma == heif_chroma_444))
        return false;
    const heif_channel channels[3] = {ycbcr ? heif_channel_Y : heif_channel_R, ycbcr ? heif_channel_Cb : heif_channel_G,
                                      ycbcr ? heif_channel_Cr : heif_channel_B};
    const int shift_x = chroma == heif_chroma_420 || chroma == heif_chroma_422 ? 1 : 0;
    const int shift_y = chroma == heif_chroma_420 ? 1 : 0;
    const int bits = heif_image_get_bits_per_pixel_range(image, channels[0]);
    Conversion conversion = {0, 0, 0, 0, true};
    if (bits < 8 || bits > 16 || (ycbcr && !conversion_of(image, &conversion))) return false;

    const int width = heif_image_get_width(image, channels[0]), height = heif_image_get_height(image, channels[0]);
    if (width != expected_width || height != expected_height) return false;
    const int out_width = (width + factor - 1) / factor, out_height = (height + factor - 1) / factor;
    const size_t count = size_t(out_width) * out_height;
    std::vector<float> means[3];
    for (int p = 0; p < 3; p++) {
        const int shift_px = p == 0 ? 0 : shift_x, shift_py = p == 0 ? 0 : shift_y;
        const int plane_width = heif_image_get_width(image, channels[p]);
        const int plane_height = heif_image_get_height(image, channels[p]);
        int stride = 0;
        const uint8_t *plane = heif_image_get_plane_readonly(image, channels[p], &stride);
        // 8-bit samples in bytes, deeper ones in 16-bit words (what `shrink` reads).
        const int storage = heif_image_get_bits_per_pixel(image, channels[p]);
        if (!plane || heif_image_get_bits_per_pixel_range(image, channels[p]) != bits ||
            storage != (bits == 8 ? 8 : 16) ||
            plane_width < (width + (1 << shift_px) - 1) >> shift_px ||
            plane_height < (height + (1 << shift_py) - 1) >> shift_py)
            return false;
        std::vector<Span> columns(static_cast<size_t>(out_width)), rows(static_cast<size_t>(out_height));
        spans(width, factor, out_width, shift_px, plane_width, columns.data());
        spans(height, factor, out_height, shift_py, plane_height, rows.data());
        means[p].resize(count);
        if (bits == 8)
            shrink<uint8_t>(plane, stride, plane_width, columns.data(), out_width, rows.data(), out_height, means[p].data());
        else
            shrink<uint16_t>(plane, stride, plane_width, columns.data(), out_width, rows.data(), out_height, means[p].data());
    }

    out->pixels = static_cast<uint8_t *>(malloc(count * 3));
    if (!out->pixels) throw std::bad_alloc();
    // In units of the planes' bit depth, then to 8 bits (convert_hdr_to_8bit, as the full path asks libheif).
    const float top = float((1 << bits) - 1), half = float(1 << (bits - 1)), to8 = 255.0f / top;
    const float luma_scale = conversion.full_range ? 1.0f : 255.0f / 219.0f;
    const float chroma_scale = conversion.full_range ? 1.0f : 255.0f / 224.0f;
    const float black = conversion.full_range ? 0.0f : 16.0f * float(1 << (bits - 8));
    for (size_t i = 0; i < count; i++) {
        float rgb[3] = {means[0][i], means[1][i], means[2][i]};
        if (ycbcr) {
            const float luma = (rgb[0] - black) * luma_scale, blue = (rgb[1] - half) * chroma_scale;
            const float red = (rgb[2] - half) * chroma_scale;
            rgb[0] = luma + conversion.r_cr * red;
            rgb[1] = luma + conversion.g_cb * blue + conversion.g_cr * red;
            rgb[2] = luma + conversion.b_cb * blue;
        }
        for (int c = 0; c < 3; c++)
            out->pixels[i * 3 + c] = uint8_t(std::lround(std::clamp(rgb[c], 0.0f, top) * to8));
    }
    out->width = out_width;
    out->height = out_height;
    return true;
}

/// The largest box (up to 8, as JPEG's DCT scaling) that keeps the short side at `min_short_side` or more.
int shrink_factor(int width, int height, int min_short_side) {
    if (min_short_side <= 0) return 1;
    const int short_side = std::min(width, height);
    int factor = 1;
    while (factor < 8 && (short_side + factor) / (factor + 1) >= min_short_side) factor++;
    return factor;
}

/// The file's thumbnail item when its short side (as shown) is at least `min_short_side`, else null.
heif_image_handle *usable_thumbnail(const heif_image_handle *primary, int min_short_side) {
    heif_item_id ids[4];
    const int count = heif_image_handle_get_list_of_thumbnail_IDs(primary, ids, 4);
    heif_image_handle *best = nullptr;
    for (int i = 0; i < count; i++) {
        heif_image_handle *thumbnail = nullptr;
        if (heif_image_handle_get_thumbnail(primary, ids[i], &thumbnail).code != heif_error_Ok || !thumbnail) continue;
        const int side = std::min(heif_image_handle_get_width(thumbnail), heif_image_handle_get_height(thumbnail));
        const bool smaller = !best || side < std::min(heif_image_handle_get_width(best), heif_image_handle_get_height(best));
        if (side >= min_short_side && smaller) std::swap(best, thumbnail);
        if (thumbnail) heif_image_handle_release(thumbnail);
    }
    return best;
}

dino_image_status decode(const uint8_t *data, size_t length, int32_t min_short_side, int32_t threads,
                         int32_t thumbnail_short_side, uint64_t max_pixels, dino_image *out, heif_context *context,
                         heif_image_handle **handle, heif_image **image) {
    // A grid's tiles on `threads` threads of libheif's (0: one after another on this thread).
    heif_context_set_max_decoding_threads(context, threads);
    heif_error error = heif_context_read_from_memory_without_copy(context, data, length, nullptr);
    if (error.code != heif_error_Ok) return failure(error, out);
    if ((error = heif_context_get_primary_image_handle(context, handle)).code != heif_error_Ok)
        return failure(error, out);
    // The size after the file's own rotation and crop (irot, clap): what the decoder will allocate.
    dino_image_status status = dino_check_size(out, heif_image_handle_get_width(*handle),
                                               heif_image_handle_get_height(*handle), max_pixels);
    if (status != DINO_IMAGE_OK) return status;
    if (thumbnail_short_side > 0) {
        // The picture's size stays the primary image's (stored_width/height); the pixels are the thumbnail's.
        if (heif_image_handle *thumbnail = usable_thumbnail(*handle, thumbnail_short_side)) {
            const int width = heif_image_handle_get_width(thumbnail), height = heif_image_handle_get_height(thumbnail);
            const bool turned = (width > height) != (out->stored_width > out->stored_height) && width != height &&
                                out->stored_width != out->stored_height;
            if (!turned && uint64_t(width) * uint64_t(height) <= max_pixels) {
                heif_image_handle_release(*handle);
                *handle = thumbnail;
                min_short_side = 0;  // already small
            } else {
                heif_image_handle_release(thumbnail);  // oriented unlike the picture: not trusted to stand for it
            }
        }
    }
    const int shown_width = heif_image_handle_get_width(*handle), shown_height = heif_image_handle_get_height(*handle);

    heif_decoding_options *options = heif_decoding_options_alloc();
    if (!options) throw std::bad_alloc();
    options->convert_hdr_to_8bit = 1;  // 10/12-bit to 8 bits, as pillow-heif does by default
    // libheif applies the transformations (irot, imir, clap) that HEIF makes normative, on whichever planes it
    // returns.
    const int factor = shrink_factor(shown_width, shown_height, min_short_side);
    if (factor > 1) {
        // The decoder's own planes (YCbCr, no conversion), shrunk and converted here.
        error = heif_decode_image(*handle, image, heif_colorspace_undefined, heif_chroma_undefined, options);
        if (error.code != heif_error_Ok) {
            heif_decoding_options_free(options);
            return failure(error, out);
        }
        if (shrink_to_rgb(*image, factor, shown_width, shown_height, out)) {
            heif_decoding_options_free(options);
            return DINO_IMAGE_OK;
        }
        heif_image_release(*image);
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
    if (!plane || width != shown_width || height != shown_height ||
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

extern "C" dino_image_status dino_decode_heif(const uint8_t *data, size_t length, int32_t min_short_side,
                                              int32_t threads, int32_t thumbnail_short_side, uint64_t max_pixels,
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
    dino_image_status status = guarded(out, [&] {
        return decode(data, length, min_short_side, threads, thumbnail_short_side, max_pixels, out, context, &handle,
                      &image);
    });
    if (image) heif_image_release(image);
    if (handle) heif_image_handle_release(handle);
    heif_context_free(context);
    if (status < 0) dino_image_free(out);
    return status;
}
