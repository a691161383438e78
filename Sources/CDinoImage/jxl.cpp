// JPEG XL through libjxl's decoder API (status codes; C++ inside, so the calls stay in one try block). The
// first frame, 8-bit RGB in the image's own colour space (sRGB for photos), alpha dropped; the orientation of
// the codestream is left to the caller, like EXIF orientation for the other formats.
#include <jxl/decode.h>

#include <cstring>
#include <new>

#include "guarded.hpp"

namespace {

dino_image_status decode(JxlDecoder *decoder, const uint8_t *data, size_t length, uint64_t max_pixels,
                         dino_image *out) {
    if (JxlDecoderSubscribeEvents(decoder, JXL_DEC_BASIC_INFO | JXL_DEC_FULL_IMAGE) != JXL_DEC_SUCCESS ||
        JxlDecoderSetKeepOrientation(decoder, JXL_TRUE) != JXL_DEC_SUCCESS ||
        JxlDecoderSetInput(decoder, data, length) != JXL_DEC_SUCCESS) {
        dino_set_message(out, "", "cannot start the JPEG XL decoder");
        return DINO_IMAGE_NO_MEMORY;
    }
    JxlDecoderCloseInput(decoder);
    const JxlPixelFormat format = {3, JXL_TYPE_UINT8, JXL_NATIVE_ENDIAN, 0};
    for (;;) {
        JxlDecoderStatus status = JxlDecoderProcessInput(decoder);
        switch (status) {
        case JXL_DEC_BASIC_INFO: {
            JxlBasicInfo info;
            if (JxlDecoderGetBasicInfo(decoder, &info) != JXL_DEC_SUCCESS) {
                dino_set_message(out, "", "unreadable header");
                return DINO_IMAGE_CORRUPT;
            }
            dino_image_status checked = dino_check_size(out, info.xsize, info.ysize, max_pixels);
            if (checked != DINO_IMAGE_OK) return checked;
            out->orientation = info.orientation >= 1 && info.orientation <= 8 ? int32_t(info.orientation) : 1;
            break;
        }
        case JXL_DEC_NEED_IMAGE_OUT_BUFFER: {
            size_t size = 0;
            if (JxlDecoderImageOutBufferSize(decoder, &format, &size) != JXL_DEC_SUCCESS ||
                size != size_t(out->stored_width) * out->stored_height * 3) {
                dino_set_message(out, "", "unexpected output size");
                return DINO_IMAGE_CORRUPT;
            }
            out->pixels = static_cast<uint8_t *>(malloc(size));
            if (!out->pixels) throw std::bad_alloc();
            if (JxlDecoderSetImageOutBuffer(decoder, &format, out->pixels, size) != JXL_DEC_SUCCESS) {
                dino_set_message(out, "", "the decoder refused the output buffer");
                return DINO_IMAGE_CORRUPT;
            }
            break;
        }
        case JXL_DEC_FULL_IMAGE:  // the first frame is whole: animations stop here
            if (!out->pixels) {
                dino_set_message(out, "", "no image data");
                return DINO_IMAGE_CORRUPT;
            }
            out->width = out->stored_width;
            out->height = out->stored_height;
            return DINO_IMAGE_OK;
        case JXL_DEC_NEED_MORE_INPUT:
            dino_set_message(out, "", "the file ends early (truncated)");
            return DINO_IMAGE_CORRUPT;
        case JXL_DEC_SUCCESS:
            dino_set_message(out, "", "the file holds no image");
            return DINO_IMAGE_CORRUPT;
        case JXL_DEC_ERROR:
            dino_set_message(out, "", "corrupt or unsupported codestream");
            return DINO_IMAGE_CORRUPT;
        default:
            break;  // boxes, previews and other events not subscribed to
        }
    }
}

}  // namespace

extern "C" dino_image_status dino_decode_jxl(const uint8_t *data, size_t length, uint64_t max_pixels,
                                             dino_image *out) {
    memset(out, 0, sizeof *out);
    out->orientation = 1;
    JxlDecoder *decoder = JxlDecoderCreate(nullptr);
    if (!decoder) {
        dino_set_message(out, "", "out of memory");
        return DINO_IMAGE_NO_MEMORY;
    }
    dino_image_status status = guarded(out, [&] { return decode(decoder, data, length, max_pixels, out); });
    JxlDecoderDestroy(decoder);
    if (status < 0) dino_image_free(out);
    return status;
}
