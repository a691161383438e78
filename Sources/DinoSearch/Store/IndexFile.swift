import Crypto
import Foundation

/// The vector index on disk: a header that says which catalog state it reflects, then Faiss's own bytes.
///
///     "DSINDEX1" | format u32 | meta length u32 | payload length u64 | SHA-256 of payload (32) | meta JSON | payload
///
/// Written to a temporary name, fsynced, renamed over the old file and the directory fsynced, so a crash leaves
/// either the old file or the new one. On read, lengths and checksum are verified before Faiss sees a byte, so a
/// truncated or garbage file is reported (and rebuilt from the catalog), never parsed.
enum IndexFile {
    static let magic = Data("DSINDEX1".utf8)
    static let format: UInt32 = 1
    static let headerSize = 8 + 4 + 4 + 8 + 32

    struct Meta: Codable, Equatable {
        var sequence: UInt64
        var dimension: Int
        var layout: IndexLayout
        var count: Int
    }

    /// Where `write` puts the file before renaming it: one name per process.
    static func temporaryPath(for path: String) -> String { path + ".tmp-\(getpid())" }

    /// Deletes the temporaries of `path` that killed writers left half-written (each as large as the index).
    /// Only the process holding the store's writer lock may call it: no other writer can be making one.
    static func removeStaleTemporaries(of path: String) {
        let directory = (path as NSString).deletingLastPathComponent
        let prefix = (path as NSString).lastPathComponent + ".tmp-"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where name.hasPrefix(prefix) {
            unlink((directory as NSString).appendingPathComponent(name))
        }
    }

    static func write(_ index: VectorIndex, meta: Meta, to path: String) throws(StoreError) {
        let temporary = temporaryPath(for: path)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ioError(temporary, "cannot be created") }
        var closed = false
        defer {
            if !closed { close(fd) }
            unlink(temporary)  // no-op after the rename
        }
        let metaBytes = try! JSONEncoder().encode(meta)
        var hasher = SHA256()
        var payloadLength: UInt64 = 0
        var failure: Int32 = 0
        func writeAll(_ bytes: UnsafeRawBufferPointer) -> Bool {
            var offset = 0
            while offset < bytes.count {
                let n = Foundation.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return false
                }
                offset += n
            }
            return true
        }
        _ = Data(count: headerSize).withUnsafeBytes(writeAll)
        _ = metaBytes.withUnsafeBytes(writeAll)
        do throws(StoreError) {
            try index.serialize { chunk in
                hasher.update(bufferPointer: chunk)
                payloadLength += UInt64(chunk.count)
                return writeAll(chunk)
            }
        } catch {
            throw failure != 0 ? ioError(temporary, "cannot be written", failure) : error
        }
        guard failure == 0 else { throw ioError(temporary, "cannot be written", failure) }
        var header = magic
        withUnsafeBytes(of: format.littleEndian) { header.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(metaBytes.count).littleEndian) { header.append(contentsOf: $0) }
        withUnsafeBytes(of: payloadLength.littleEndian) { header.append(contentsOf: $0) }
        header.append(contentsOf: hasher.finalize())
        let written = header.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        guard written == headerSize else { throw ioError(temporary, "cannot be written") }
        guard fsync(fd) == 0 else { throw ioError(temporary, "cannot be synced to disk") }
        close(fd)
        closed = true
        guard rename(temporary, path) == 0 else { throw ioError(path, "cannot be replaced") }
        let directory = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }

    /// Reads and verifies an index file; throws `.corrupt` for anything damaged and `.notFound` if it is absent.
    static func read(_ path: String) throws(StoreError) -> (VectorIndex, Meta) {
        guard FileManager.default.fileExists(atPath: path) else { throw StoreError(.notFound, path: path, "does not exist") }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw StoreError(.io, path: path, "cannot be read (\(error.localizedDescription))")
        }
        func corrupt(_ why: String) -> StoreError { StoreError(.corrupt, path: path, "index file is damaged: \(why)") }
        guard data.count >= headerSize, data.prefix(8) == magic else { throw corrupt("bad header") }
        let (version, metaLength, payloadLength) = data.withUnsafeBytes { raw in
            (UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self)),
             Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 12, as: UInt32.self))),
             UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self)))
        }
        guard version == format else { throw corrupt("format \(version), expected \(format)") }
        guard UInt64(data.count) == UInt64(headerSize) + UInt64(metaLength) + payloadLength else {
            throw corrupt("\(data.count) bytes where the header promises \(headerSize + metaLength) + \(payloadLength)")
        }
        let metaRange = headerSize..<(headerSize + metaLength)
        guard let meta = try? JSONDecoder().decode(Meta.self, from: data.subdata(in: metaRange)) else {
            throw corrupt("unreadable metadata")
        }
        let expected = data.subdata(in: 24..<56)
        let index = try data.withUnsafeBytes { raw -> Result<VectorIndex, StoreError> in
            let payload = UnsafeRawBufferPointer(rebasing: raw[metaRange.upperBound...])  // no copy of a large file
            guard Data(SHA256.hash(data: payload)) == expected else { return .failure(corrupt("checksum mismatch")) }
            return Result { () throws(StoreError) in try VectorIndex.deserialize(payload, layout: meta.layout) }
        }.get()
        guard index.dimension == meta.dimension, index.count == meta.count else {
            throw corrupt("holds \(index.count) vectors of \(index.dimension) dimensions, metadata says \(meta.count) of \(meta.dimension)")
        }
        return (index, meta)
    }

    private static func ioError(_ path: String, _ what: String, _ code: Int32 = errno) -> StoreError {
        StoreError(.io, path: path, "\(what) (\(String(cString: strerror(code))))", code: code)
    }
}
