import CDinoImage

/// An image format recognised from a file's bytes; its name is only a hint, for camera RAW files shaped like TIFF.
public enum ImageFormat: String, Sendable, CaseIterable {
    case jpeg, png, webp, gif, bmp, tiff, heif, avif, jpegXL = "jpeg-xl", raw

    /// Extensions of camera RAW files (lowercase). A RAW whose bytes look like a plain TIFF is read as RAW when
    /// its name has one of these (see `init(sniffing:path:)`).
    public static let rawExtensions: Set<String> = [
        "dng", "cr2", "nef", "nrw", "arw", "srf", "sr2", "pef", "orf", "rw2", "raf", "srw", "erf", "3fr", "kdc",
        "dcr", "mos", "iiq", "mef", "rwl", "cr3", "crw",
    ]

    /// Recognises the format of `bytes`, or returns nil when they are no image format known here.
    public init?(sniffing bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return nil }
        switch dino_image_sniff(base.assumingMemoryBound(to: UInt8.self), bytes.count) {
        case DINO_FORMAT_JPEG: self = .jpeg
        case DINO_FORMAT_PNG: self = .png
        case DINO_FORMAT_WEBP: self = .webp
        case DINO_FORMAT_GIF: self = .gif
        case DINO_FORMAT_BMP: self = .bmp
        case DINO_FORMAT_TIFF: self = .tiff
        case DINO_FORMAT_HEIF: self = .heif
        case DINO_FORMAT_AVIF: self = .avif
        case DINO_FORMAT_JPEG_XL: self = .jpegXL
        case DINO_FORMAT_RAW: self = .raw
        default: return nil
        }
    }

    /// Recognises the format from the bytes, with the file name as a hint where the bytes cannot tell: a RAW
    /// whose first directory looks like a plain TIFF's (some NEF, ARW, SRW…) is read as RAW when its extension
    /// says so. Anything else is decided by the bytes alone.
    public init?(sniffing bytes: UnsafeRawBufferPointer, path: String?) {
        guard let format = ImageFormat(sniffing: bytes) else { return nil }
        let ext = path.map { String($0.split(separator: "/").last?.split(separator: ".").last ?? "").lowercased() }
        self = format == .tiff && ext.map(ImageFormat.rawExtensions.contains) == true ? .raw : format
    }

    var displayName: String {
        switch self {
        case .jpeg: "JPEG"
        case .png: "PNG"
        case .webp: "WebP"
        case .gif: "GIF"
        case .bmp: "BMP"
        case .tiff: "TIFF"
        case .heif: "HEIC/HEIF"
        case .avif: "AVIF"
        case .jpegXL: "JPEG XL"
        case .raw: "camera RAW"
        }
    }
}
