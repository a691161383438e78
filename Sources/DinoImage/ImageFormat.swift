import CDinoImage

/// An image format recognised from a file's first bytes (never from its name).
public enum ImageFormat: String, Sendable, CaseIterable {
    case jpeg, png, webp, gif, bmp, tiff, heif, avif, jpegXL = "jpeg-xl"

    /// The formats dinosearch decodes.
    public var isSupported: Bool { self == .jpeg || self == .png || self == .webp }

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
        default: return nil
        }
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
        }
    }
}
