#if canImport(Glibc)
import Glibc
private let systemRead = Glibc.read
#else
import Darwin
private let systemRead = Darwin.read
#endif

/// Reading image files with errors that say what went wrong.
public enum ImageFile {
    /// Reads a whole file. Refuses directories, empty files and files above `maxBytes`.
    public static func read(_ path: String, maxBytes: Int = 1 << 30) throws(ImageError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            if code == EISDIR { throw ImageError(.isDirectory, path: path, "is a directory, not an image") }
            throw ImageError(.unreadable, path: path, "cannot open: \(String(cString: strerror(code)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw ImageError(.unreadable, path: path, "cannot stat: \(String(cString: strerror(errno)))")
        }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw ImageError(.isDirectory, path: path, "is a directory, not an image") }
        let size = Int(info.st_size)
        if size == 0 { throw ImageError(.empty, path: path, "the file is empty") }
        if size > maxBytes {
            throw ImageError(.tooLarge, path: path, "the file is \(size) bytes, above the limit of \(maxBytes)")
        }
        var failure: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            while count < size {
                let n = systemRead(fd, buffer.baseAddress! + count, size - count)
                if n < 0 && errno == EINTR { continue }
                if n < 0 { failure = errno; break }
                if n == 0 { break }  // the file shrank while we read it
                count += n
            }
        }
        if failure != 0 { throw ImageError(.unreadable, path: path, "read failed: \(String(cString: strerror(failure)))") }
        if bytes.isEmpty { throw ImageError(.empty, path: path, "the file is empty") }
        return bytes
    }
}
