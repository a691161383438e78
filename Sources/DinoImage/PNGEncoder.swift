import CDinoImage
import Foundation

/// Writes 8-bit RGB pictures as PNG with libpng (through the codec shim: no `longjmp` reaches Swift).
public enum PNGEncoder {
    /// The PNG bytes of an RGB picture (`rgb.count == width · height · 3`, rows packed).
    public static func encode(_ rgb: [UInt8], width: Int, height: Int) throws(ImageError) -> [UInt8] {
        precondition(rgb.count == width * height * 3, "rgb must hold width · height · 3 bytes")
        var out: UnsafeMutablePointer<UInt8>? = nil
        var length = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = dino_encode_png(rgb, Int32(width), Int32(height), &out, &length, &message, message.count)
        guard status == 0, let out else {
            throw ImageError(.unwritable, message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        }
        defer { free(out) }
        return Array(UnsafeBufferPointer(start: out, count: length))
    }

    /// Writes a PNG file whole or not at all: to a temporary name beside `path`, then renamed over it.
    /// - Throws: `ImageError.unwritable` naming `path` (missing or read-only folder, full disk).
    public static func write(_ rgb: [UInt8], width: Int, height: Int, to path: String) throws(ImageError) {
        let bytes = try encode(rgb, width: width, height: height)
        let temporary = (path as NSString).deletingLastPathComponent + "/." + (path as NSString).lastPathComponent
            + ".partial-\(getpid())"
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: temporary))
            guard rename(temporary, path) == 0 else {
                throw ImageError(.unwritable, path: path, "cannot be written (\(String(cString: strerror(errno))))")
            }
        } catch let error as ImageError {
            unlink(temporary)
            throw error
        } catch {
            unlink(temporary)
            throw ImageError(.unwritable, path: path, "cannot be written (\((error as NSError).localizedDescription))")
        }
    }
}
