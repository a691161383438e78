import CDinoImage

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A decoded photo, oriented as a viewer shows it.
public struct DecodedImage: Sendable {
    /// The pixels, EXIF orientation applied; smaller than the stored size when a JPEG (or a RAW's JPEG preview)
    /// was DCT-downscaled, a WebP rescaled, a HEIC's planes shrunk or its thumbnail item used.
    public var image: RGBImage
    /// The format the bytes were recognised as.
    public var format: ImageFormat
    /// The full size of the picture as a viewer shows it (stored size, swapped for orientations 5–8); for a RAW
    /// read through its preview, the preview's size.
    public var width: Int, height: Int
    /// Set when the file is damaged but the decoder recovered a usable picture (e.g. a truncated JPEG).
    public var warning: String?
}

/// Turns image bytes into RGB pixels, converting every mode as PIL's `convert("RGB")` does: JPEG, PNG, WebP,
/// HEIC/HEIF, AVIF, TIFF, GIF (first frame), BMP, JPEG XL and camera RAW (embedded preview or demosaiced).
///
/// Safe to use from several threads at once. Every failure is an `ImageError`; nothing a file contains can
/// crash the process or make it allocate more than `maxPixels` pixels.
public struct ImageDecoder: Sendable {
    /// Images with more pixels than this are refused before decoding (PIL refuses above 2 × 89.5 megapixels).
    public var maxPixels: Int = 180_000_000
    /// Files larger than this many bytes are refused before being read.
    public var maxFileBytes: Int = 1 << 30
    /// When set, large JPEGs and WebPs are decoded smaller: JPEGs (and RAW files' JPEG previews) with
    /// libjpeg-turbo's DCT scaling to the smallest scale whose short side is still at least this many pixels,
    /// WebPs with libwebp's area-averaging rescaler to at least twice that (its box filter is softer than PIL's
    /// bicubic; the margin halves the difference at no measurable cost). Much faster for large photos, slightly
    /// different pixels (measured in Benchmarks/README.md). HEIC/HEIF keeps libheif's planes, shrinks them by box
    /// means (the largest whole factor up to 8 that keeps the short side at least twice this long, as for WebP)
    /// and converts only that to RGB. nil decodes every image at full size.
    public var minimumShortSide: Int?
    /// Threads one image may use: the tiles of a HEIC grid (an iPhone photo is 48 of them) are decoded on that
    /// many. 1 for callers that already decode several images at once (the indexer); the default, all cores,
    /// suits one image in flight (a query, an upload).
    public var threadsPerImage: Int
    /// When set, a HEIC whose thumbnail item has a short side of at least this many pixels is decoded from that
    /// thumbnail (an iPhone's is 320×240): two orders of magnitude faster, and an approximation of the picture
    /// (its fidelity is measured in Benchmarks/README.md). `width` and `height` stay the picture's. nil: never.
    public var embeddedThumbnailMinimumSide: Int?

    public init(
        maxPixels: Int = 180_000_000, minimumShortSide: Int? = nil, threadsPerImage: Int? = nil,
        embeddedThumbnailMinimumSide: Int? = nil
    ) {
        self.maxPixels = maxPixels
        self.minimumShortSide = minimumShortSide
        self.embeddedThumbnailMinimumSide = embeddedThumbnailMinimumSide
        self.threadsPerImage = max(1, threadsPerImage ?? Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// Decodes an image file; errors carry `path`.
    public func decode(contentsOf path: String) throws(ImageError) -> DecodedImage {
        let bytes = try ImageFile.read(path, maxBytes: maxFileBytes)
        let result = bytes.withUnsafeBytes { raw in Result { () throws(ImageError) in try decode(raw, path: path) } }
        do {
            return try result.get()
        } catch {
            throw error.at(path)
        }
    }

    /// Decodes an image held in memory.
    public func decode(_ bytes: [UInt8]) throws(ImageError) -> DecodedImage {
        let result = bytes.withUnsafeBytes { raw in Result { () throws(ImageError) in try decode(raw) } }
        return try result.get()
    }

    /// Decodes an image held in memory.
    public func decode(_ bytes: UnsafeRawBufferPointer) throws(ImageError) -> DecodedImage {
        try decode(bytes, path: nil)
    }

    /// `path`'s extension is a hint for RAW files that look like TIFF (`ImageFormat.init(sniffing:path:)`).
    func decode(_ bytes: UnsafeRawBufferPointer, path: String?) throws(ImageError) -> DecodedImage {
        guard bytes.count > 0, let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            throw ImageError(.empty, "the file is empty")
        }
        guard let format = ImageFormat(sniffing: bytes, path: path) else {
            throw ImageError(.notAnImage, "not an image (no known image signature)")
        }
        let limit = UInt64(max(maxPixels, 0))
        var raw = dino_image()
        let status: dino_image_status =
            switch format {
            case .jpeg: dino_decode_jpeg(base, bytes.count, Int32(clamping: minimumShortSide ?? 0), limit, &raw)
            case .png: dino_decode_png(base, bytes.count, limit, &raw)
            case .webp:
                dino_decode_webp(base, bytes.count, Int32(clamping: 2 * (minimumShortSide ?? 0)), limit, &raw)
            case .heif:
                // Box means, like libwebp's rescaler, are softer than PIL's bicubic: shrunk to at least twice the
                // short side, as WebP is. libheif counts background threads: 0 keeps every tile on this thread.
                dino_decode_heif(base, bytes.count, Int32(clamping: 2 * (minimumShortSide ?? 0)),
                                 Int32(clamping: threadsPerImage > 1 ? threadsPerImage : 0),
                                 Int32(clamping: embeddedThumbnailMinimumSide ?? 0), limit, &raw)
            case .avif: dino_decode_avif(base, bytes.count, limit, &raw)
            case .tiff: dino_decode_tiff(base, bytes.count, limit, &raw)
            case .gif: dino_decode_gif(base, bytes.count, limit, &raw)
            case .bmp: dino_decode_bmp(base, bytes.count, limit, &raw)
            case .jpegXL: dino_decode_jxl(base, bytes.count, limit, &raw)
            case .raw: dino_decode_raw(base, bytes.count, Int32(clamping: minimumShortSide ?? 0), limit, &raw)
            }
        // One line: some libraries (libheif) put line breaks in their messages.
        let message = withUnsafeBytes(of: raw.message) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            .split(whereSeparator: \.isNewline).joined(separator: "; ")
        switch status {
        case DINO_IMAGE_OK, DINO_IMAGE_WARNING:
            break
        case DINO_IMAGE_TOO_LARGE:
            throw ImageError(.tooLarge, "\(message) (a decompression bomb, or raise the pixel limit)")
        case DINO_IMAGE_UNSUPPORTED:
            throw ImageError(.unsupportedFormat, "unsupported \(format.displayName) variant: \(message)")
        case DINO_IMAGE_NO_MEMORY:
            throw ImageError(.corrupt, "\(format.displayName) decoder ran out of memory: \(message)")
        default:
            throw ImageError(.corrupt, "corrupt \(format.displayName) file: \(message)")
        }
        let stored = RGBImage(width: Int(raw.width), height: Int(raw.height), taking: raw.pixels)
        let orientation = Int(raw.orientation)
        let swaps = orientation >= 5
        return DecodedImage(
            image: stored.oriented(orientation), format: format,
            width: Int(swaps ? raw.stored_height : raw.stored_width),
            height: Int(swaps ? raw.stored_width : raw.stored_height),
            warning: status == DINO_IMAGE_WARNING ? "damaged \(format.displayName) data (\(message)); decoded what was readable" : nil)
    }
}
