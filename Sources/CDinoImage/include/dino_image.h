// The image codecs' C boundary: libjpeg-turbo (TurboJPEG API), libpng, libwebp, libheif, libavif, libtiff, giflib,
// LibRaw, libjxl, and a BMP reader of our own.
//
// Why a shim: libpng reports errors by longjmp and TurboJPEG longjmps inside itself; a longjmp across Swift
// frames is undefined behaviour. libheif, LibRaw and libjxl are C++ and may throw (std::bad_alloc): their
// shims are C++ files that catch everything. Every setjmp/longjmp and exception stays inside these functions,
// which return a status and write a message into the caller's struct. Pixel counts are checked against a limit
// before any allocation.
// All functions are reentrant: no global state, so decoders run concurrently on several threads.
#ifndef DINO_IMAGE_H
#define DINO_IMAGE_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    DINO_FORMAT_UNKNOWN = 0,
    DINO_FORMAT_JPEG,
    DINO_FORMAT_PNG,
    DINO_FORMAT_WEBP,
    DINO_FORMAT_GIF,
    DINO_FORMAT_BMP,
    DINO_FORMAT_TIFF,
    DINO_FORMAT_HEIF,
    DINO_FORMAT_AVIF,
    DINO_FORMAT_JPEG_XL,
    DINO_FORMAT_RAW,
} dino_format;

/// Recognises an image format from its bytes (at least 16 are needed for HEIF/AVIF). Camera RAW files built
/// on TIFF (DNG, CR2, NEF, PEF…) are told from plain TIFF by their first directory: a DNGVersion tag, Canon's
/// "CR" marker, CFA or linear-raw pixels, or a reduced-resolution first image with sub-images; with fewer bytes
/// than that directory they read as TIFF.
dino_format dino_image_sniff(const uint8_t *data, size_t length);

typedef enum {
    DINO_IMAGE_OK = 0,
    /// The image was decoded but the file is damaged (e.g. truncated JPEG data); `message` says how.
    DINO_IMAGE_WARNING = 1,
    DINO_IMAGE_CORRUPT = -1,
    DINO_IMAGE_TOO_LARGE = -2,
    DINO_IMAGE_UNSUPPORTED = -3,
    DINO_IMAGE_NO_MEMORY = -4,
} dino_image_status;

/// A decoded image: 8-bit RGB, rows packed (stride = 3·width), converted as PIL's `convert("RGB")` does.
typedef struct {
    uint8_t *pixels;       ///< malloc'd; release with dino_image_free.
    int32_t width, height; ///< of `pixels` (after any DCT downscaling, before orientation).
    int32_t stored_width, stored_height; ///< as the file's header states them.
    int32_t orientation;   ///< EXIF orientation 1...8 (1 when absent or invalid).
    char message[256];     ///< the error or warning, NUL-terminated.
} dino_image;

/// Decodes a JPEG. With `min_short_side` > 0, libjpeg-turbo's DCT scaling decodes at the smallest scale whose
/// short side is still at least that many pixels; 0 decodes at full size. Images whose stored size exceeds
/// `max_pixels` are refused before anything is allocated.
dino_image_status dino_decode_jpeg(const uint8_t *data, size_t length, int32_t min_short_side,
                                   uint64_t max_pixels, dino_image *out);

/// Decodes a PNG (every bit depth and colour type, interlaced or not).
dino_image_status dino_decode_png(const uint8_t *data, size_t length, uint64_t max_pixels, dino_image *out);

/// Decodes a still WebP (lossy or lossless; alpha dropped). With `min_short_side` > 0, libwebp's rescaler
/// shrinks it by the largest whole factor that keeps the short side at least that long; 0 decodes at full size.
dino_image_status dino_decode_webp(const uint8_t *data, size_t length, int32_t min_short_side, uint64_t max_pixels,
                                   dino_image *out);

/// Decodes a HEIC/HEIF still image (the primary image; `irot`/`imir`/`clap` applied by libheif, so
/// `orientation` is always 1; 10/12-bit reduced to 8 bits; alpha dropped). With `min_short_side` > 0, the
/// decoder's YCbCr planes are shrunk by the largest whole factor up to 8 that keeps the short side at least that
/// long and only then converted to RGB; 0 converts at full size. A grid's tiles are decoded on `threads`
/// threads (0: one after another on the calling thread). With `thumbnail_short_side` > 0, the file's thumbnail
/// item stands for the picture when its short side is at least that long (stored_width/height stay the picture's).
dino_image_status dino_decode_heif(const uint8_t *data, size_t length, int32_t min_short_side, int32_t threads,
                                   int32_t thumbnail_short_side, uint64_t max_pixels, dino_image *out);

/// Decodes an AVIF still image (the primary image, 8-bit; `irot`/`imir` returned as `orientation`; alpha dropped).
dino_image_status dino_decode_avif(const uint8_t *data, size_t length, uint64_t max_pixels, dino_image *out);

/// Decodes the first image of a TIFF (`orientation` from its Orientation tag; alpha dropped).
dino_image_status dino_decode_tiff(const uint8_t *data, size_t length, uint64_t max_pixels, dino_image *out);

/// Decodes the first frame of a GIF on its logical screen.
dino_image_status dino_decode_gif(const uint8_t *data, size_t length, uint64_t max_pixels, dino_image *out);

/// Decodes a BMP (see bmp.c for the variants).
dino_image_status dino_decode_bmp(const uint8_t *data, size_t length, uint64_t max_pixels, dino_image *out);

/// Decodes a camera RAW file: its embedded JPEG preview when that is at least 256 px on the short side (decoded
/// with `min_short_side` as dino_decode_jpeg does; `orientation` from the RAW), else LibRaw's demosaiced image
/// (camera white balance, sRGB, 8 bits, already oriented). `max_pixels` bounds the sensor's size. LibRaw runs in
/// a worker process (one per concurrent caller, kept for the next file): a file that crashes it or makes it loop
/// (2 minutes by default) is a CORRUPT status here.
dino_image_status dino_decode_raw(const uint8_t *data, size_t length, int32_t min_short_side, uint64_t max_pixels,
                                  dino_image *out);

/// How long a RAW decode may take before its worker is killed (milliseconds).
void dino_raw_set_timeout(int32_t milliseconds);

/// The process IDs of the RAW decoder's idle workers (up to `capacity`); returns how many there are.
int32_t dino_raw_idle_workers(int32_t *pids, int32_t capacity);

/// Decodes the first frame of a JPEG XL file or codestream (`orientation` from the codestream).
dino_image_status dino_decode_jxl(const uint8_t *data, size_t length, uint64_t max_pixels, dino_image *out);

/// Reads the orientation tag (0x0112) from a TIFF-structured EXIF block (starting at "II*\0" or "MM\0*").
/// Returns 1...8, or 1 when the block has none or is malformed.
int32_t dino_exif_orientation(const uint8_t *tiff, size_t length);

void dino_image_free(dino_image *image);

/// Encodes 8-bit RGB (rows packed, stride 3·width) as a PNG in memory: `*out` is malloc'd (release with free),
/// `*out_length` its size. Returns 0, or -1 with the reason in `message`.
int dino_encode_png(const uint8_t *rgb, int32_t width, int32_t height, uint8_t **out, size_t *out_length,
                    char *message, size_t message_size);

/// Encodes 8-bit RGB (rows packed) as a baseline 4:2:0 JPEG of `quality` (1...100) in memory, as
/// `dino_encode_png` does: `*out` is malloc'd (release with free). Returns 0, or -1 with the reason in `message`.
int dino_encode_jpeg(const uint8_t *rgb, int32_t width, int32_t height, int32_t quality, uint8_t **out,
                     size_t *out_length, char *message, size_t message_size);

#endif
