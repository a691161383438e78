import CDinoImage

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Encodes 8-bit RGB pictures as JPEG with libjpeg-turbo (thumbnails).
public enum JPEGEncoder {
    /// The JPEG bytes of an RGB picture (`rgb.count == width · height · 3`, rows packed), 4:2:0 at `quality`.
    public static func encode(_ rgb: [UInt8], width: Int, height: Int, quality: Int = 82) throws(ImageError) -> [UInt8] {
        precondition(rgb.count == width * height * 3, "rgb must hold width · height · 3 bytes")
        var out: UnsafeMutablePointer<UInt8>? = nil
        var length = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = dino_encode_jpeg(
            rgb, Int32(width), Int32(height), Int32(quality), &out, &length, &message, message.count)
        guard status == 0, let out else {
            throw ImageError(.unwritable, message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        }
        defer { free(out) }
        return Array(UnsafeBufferPointer(start: out, count: length))
    }
}
