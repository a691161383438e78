import Foundation

/// A file written through a 1 MiB buffer under a temporary name (`PATH.partial-PID`) and renamed to `PATH` by
/// `finish()` once on disk: it is complete or absent. One released unfinished removes its temporary file.
final class BufferedFile {
    let path: String
    private let partial: String
    private let file: FileHandle
    private var buffer: [UInt8] = []

    /// Creates (or truncates) the temporary file.
    init(path: String) throws(StoreError) {
        self.path = path
        partial = path + ".partial-\(getpid())"
        guard FileManager.default.createFile(atPath: partial, contents: nil),
              let file = FileHandle(forWritingAtPath: partial)
        else { throw StoreError(.io, path: path, "cannot be created (\(String(cString: strerror(errno))))") }
        self.file = file
        buffer.reserveCapacity(1 << 20)
    }

    deinit {
        try? file.close()
        try? FileManager.default.removeItem(atPath: partial)  // gone already when finished
    }

    func write<Bytes: Sequence>(_ bytes: Bytes) throws(StoreError) where Bytes.Element == UInt8 {
        buffer += bytes
        if buffer.count >= 1 << 20 { try drain() }
    }

    /// Writes what is buffered, then `start` over the file's first bytes (a header that could only be known at the
    /// end), syncs the file and renames it into place.
    func finish(rewritingStartWith start: [UInt8] = []) throws(StoreError) {
        try drain()
        do {
            if !start.isEmpty {
                try file.seek(toOffset: 0)
                try file.write(contentsOf: start)
            }
            try file.synchronize()
            try file.close()
        } catch {
            throw StoreError(.io, path: path, "cannot be written (\(error.localizedDescription))")
        }
        guard rename(partial, path) == 0 else {
            throw StoreError(.io, path: path, "cannot be put in place (\(String(cString: strerror(errno))))", code: errno)
        }
    }

    private func drain() throws(StoreError) {
        do {
            try file.write(contentsOf: buffer)
        } catch {
            throw StoreError(.io, path: path, "cannot be written (\(error.localizedDescription))")
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
