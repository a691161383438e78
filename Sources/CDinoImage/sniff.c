// Format detection from the first bytes, and the EXIF orientation tag. Pure byte parsing, every read bounded.
#include <string.h>

#include "dino_image.h"
#include "internal.h"

static uint32_t read16(const uint8_t *p, int big) { return big ? (p[0] << 8 | p[1]) : (p[1] << 8 | p[0]); }
static uint32_t read32(const uint8_t *p, int big) {
    return big ? ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3])
               : ((uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0]);
}

/// Whether a TIFF-structured file is a camera RAW (see dino_image.h).
static int tiff_is_raw(const uint8_t *t, size_t n) {
    if (n >= 12 && memcmp(t + 8, "CR\x02\0", 4) == 0) return 1;  // Canon CR2: "CR", version 2.0
    if (n < 8) return 0;
    int big = t[0] == 'M';
    uint32_t ifd = read32(t + 4, big);
    if (ifd > n || n - ifd < 2) return 0;
    uint32_t entries = read16(t + ifd, big);
    int reduced = 0, sub_images = 0;
    const uint8_t *e = t + ifd + 2;
    for (size_t i = 0, room = n - ifd - 2; i < entries && room >= 12; i++, e += 12, room -= 12) {
        uint32_t tag = read16(e, big), type = read16(e + 2, big);
        uint32_t value = type == 3 ? read16(e + 8, big) : read32(e + 8, big);
        if (tag == 0xC612) return 1;                                       // DNGVersion
        if (tag == 0x0106 && (value == 32803 || value == 34892)) return 1;  // CFA or LinearRaw pixels
        if (tag == 0x00FE && (value & 1)) reduced = 1;                     // a thumbnail or preview first
        if (tag == 0x014A) sub_images = 1;                                 // SubIFDs: the raw data is below
    }
    return reduced && sub_images;
}

dino_format dino_image_sniff(const uint8_t *d, size_t n) {
    if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) return DINO_FORMAT_JPEG;
    if (n >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0) return DINO_FORMAT_PNG;
    if (n >= 12 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBP", 4) == 0) return DINO_FORMAT_WEBP;
    if (n >= 6 && (memcmp(d, "GIF87a", 6) == 0 || memcmp(d, "GIF89a", 6) == 0)) return DINO_FORMAT_GIF;
    if (n >= 14 && d[0] == 'B' && d[1] == 'M') return DINO_FORMAT_BMP;
    if (n >= 4 && (memcmp(d, "II*\0", 4) == 0 || memcmp(d, "MM\0*", 4) == 0))
        return tiff_is_raw(d, n) ? DINO_FORMAT_RAW : DINO_FORMAT_TIFF;
    // RAW formats with signatures of their own: Olympus ORF, Panasonic RW2, Fujifilm RAF, Canon CRW.
    if (n >= 4 && (memcmp(d, "IIRO", 4) == 0 || memcmp(d, "IIRS", 4) == 0 || memcmp(d, "MMOR", 4) == 0 ||
                   memcmp(d, "IIU\0", 4) == 0))
        return DINO_FORMAT_RAW;
    if (n >= 16 && memcmp(d, "FUJIFILMCCD-RAW ", 16) == 0) return DINO_FORMAT_RAW;
    if (n >= 14 && memcmp(d, "II\x1a\0\0\0HEAPCCDR", 14) == 0) return DINO_FORMAT_RAW;
    if (n >= 2 && d[0] == 0xFF && d[1] == 0x0A) return DINO_FORMAT_JPEG_XL;
    if (n >= 12 && memcmp(d, "\0\0\0\x0cJXL \r\n\x87\n", 12) == 0) return DINO_FORMAT_JPEG_XL;
    if (n >= 12 && memcmp(d + 4, "ftyp", 4) == 0) {
        const uint8_t *brand = d + 8;
        if (memcmp(brand, "crx ", 4) == 0) return DINO_FORMAT_RAW;  // Canon CR3
        if (memcmp(brand, "avif", 4) == 0 || memcmp(brand, "avis", 4) == 0) return DINO_FORMAT_AVIF;
        static const char *heif[] = {"heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1"};
        for (size_t i = 0; i < sizeof heif / sizeof heif[0]; i++)
            if (memcmp(brand, heif[i], 4) == 0) return DINO_FORMAT_HEIF;
    }
    return DINO_FORMAT_UNKNOWN;
}

int32_t dino_exif_orientation(const uint8_t *t, size_t n) {
    // Some writers keep the APP1 "Exif\0\0" prefix in PNG eXIf and WebP EXIF chunks too.
    if (n >= 6 && memcmp(t, "Exif\0\0", 6) == 0) { t += 6; n -= 6; }
    if (n < 8) return 1;
    int big;
    if (memcmp(t, "II*\0", 4) == 0) big = 0;
    else if (memcmp(t, "MM\0*", 4) == 0) big = 1;
    else return 1;
    uint32_t ifd = read32(t + 4, big);
    if (ifd > n || n - ifd < 2) return 1;
    uint32_t entries = read16(t + ifd, big);
    const uint8_t *e = t + ifd + 2;
    size_t room = n - ifd - 2;
    for (uint32_t i = 0; i < entries && room >= 12; i++, e += 12, room -= 12) {
        if (read16(e, big) != 0x0112) continue;
        if (read16(e + 2, big) != 3 || read32(e + 4, big) != 1) return 1;  // SHORT, one value
        uint32_t value = read16(e + 8, big);
        return value >= 1 && value <= 8 ? (int32_t)value : 1;
    }
    return 1;
}

int32_t dino_jpeg_orientation(const uint8_t *d, size_t n) {
    size_t i = 2;  // after SOI
    while (i + 4 <= n) {
        if (d[i] != 0xFF) return 1;            // not a marker: the header is damaged, leave it to the decoder
        uint8_t marker = d[i + 1];
        if (marker == 0xFF) { i++; continue; } // fill byte
        if (marker == 0xDA || marker == 0xD9) return 1;  // start of scan / end of image: no EXIF before data
        size_t length = (size_t)d[i + 2] << 8 | d[i + 3];
        if (length < 2 || length > n - i - 2) return 1;
        if (marker == 0xE1 && length >= 8 && memcmp(d + i + 4, "Exif\0\0", 6) == 0)
            return dino_exif_orientation(d + i + 10, length - 8);
        i += 2 + length;
    }
    return 1;
}

int32_t dino_webp_orientation(const uint8_t *d, size_t n) {
    size_t i = 12;  // after "RIFF" size "WEBP"
    while (i + 8 <= n) {
        uint32_t size = read32(d + i + 4, 0);
        if (size > n - i - 8) return 1;
        if (memcmp(d + i, "EXIF", 4) == 0) return dino_exif_orientation(d + i + 8, size);
        i += 8 + size + (size & 1);
    }
    return 1;
}

void dino_image_free(dino_image *image) {
    free(image->pixels);
    image->pixels = NULL;
}

void dino_set_message(dino_image *image, const char *prefix, const char *text) {
    snprintf(image->message, sizeof image->message, "%s%s", prefix, text ? text : "");
}
