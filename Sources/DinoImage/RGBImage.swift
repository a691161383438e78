#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// An 8-bit RGB image, rows packed (3 bytes a pixel, no padding).
///
/// `@unchecked Sendable`: the pixels are written only while the image is being made, never after it is shared.
public final class RGBImage: @unchecked Sendable {
    /// Size in pixels.
    public let width: Int
    public let height: Int
    /// malloc'd; owned by this object.
    let pixels: UnsafeMutablePointer<UInt8>

    /// Takes ownership of `pixels`, a malloc'd buffer of `width · height · 3` bytes.
    init(width: Int, height: Int, taking pixels: UnsafeMutablePointer<UInt8>) {
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A copy of `bytes` (`width · height · 3` values, RGB, rows packed).
    public convenience init(width: Int, height: Int, bytes: [UInt8]) {
        precondition(width > 0 && height > 0 && bytes.count == width * height * 3, "RGB byte count mismatch")
        let buffer = malloc(bytes.count)!.assumingMemoryBound(to: UInt8.self)
        bytes.withUnsafeBufferPointer { buffer.update(from: $0.baseAddress!, count: bytes.count) }
        self.init(width: width, height: height, taking: buffer)
    }

    deinit { free(pixels) }

    /// The pixels as an array (RGB, rows packed).
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: pixels, count: width * height * 3)) }

    /// The image as a viewer shows it for an EXIF orientation (1 = as stored ... 8 = rotated 90° anticlockwise),
    /// the same pixel permutation as PIL's `ImageOps.exif_transpose`.
    public func oriented(_ orientation: Int) -> RGBImage {
        guard (2...8).contains(orientation) else { return self }
        let w = width, h = height
        let swaps = orientation >= 5
        let outWidth = swaps ? h : w, outHeight = swaps ? w : h
        let out = malloc(w * h * 3)!.assumingMemoryBound(to: UInt8.self)
        for oy in 0..<outHeight {
            for ox in 0..<outWidth {
                let (ix, iy): (Int, Int) =
                    switch orientation {
                    case 2: (w - 1 - ox, oy)            // mirrored horizontally
                    case 3: (w - 1 - ox, h - 1 - oy)    // rotated 180°
                    case 4: (ox, h - 1 - oy)            // mirrored vertically
                    case 5: (oy, ox)                    // transposed
                    case 6: (oy, h - 1 - ox)            // stored rotated 90° anticlockwise: turn clockwise
                    case 7: (w - 1 - oy, h - 1 - ox)    // transversed
                    default: (w - 1 - oy, ox)           // 8: stored rotated 90° clockwise: turn anticlockwise
                    }
                let from = pixels + (iy * w + ix) * 3, to = out + (oy * outWidth + ox) * 3
                to[0] = from[0]
                to[1] = from[1]
                to[2] = from[2]
            }
        }
        return RGBImage(width: outWidth, height: outHeight, taking: out)
    }
}
