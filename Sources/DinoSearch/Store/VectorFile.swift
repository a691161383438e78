import CDinoFloat16
import Foundation
import Synchronization

/// The stored vectors a second time, addressed by id, for re-ranking: `vectors.f16` beside the catalog, memory-mapped,
/// so scoring a candidate is a dot product on a row at a computed offset instead of an LMDB B-tree lookup. LMDB stays
/// the source of truth; this file can always be rebuilt from it, and any row it cannot vouch for is read from LMDB.
///
///     header, 4096 bytes: "DSVECT01" | dimension u32 | 0 u32 | synced sequence u64
///     row of id i, at 4096 + i·(16 + 2·D): id u64 | D float16 | id u64      (little-endian)
///
/// Why it stays right without a lock shared with other processes:
/// - A row is written before the catalog transaction that commits its id, and never changed afterwards (ids are
///   never reused; a removed or replaced image's row simply stays, unused). Rows past the catalog's next id — left by
///   a writer killed before its commit — are cut off when the next writer opens the file.
/// - A row is used only when the id at both of its ends is the one asked for: a row the disk lost or tore in a power
///   failure (the rows are synced with the index, not with every batch) reads as zeros or as half a row, and is
///   taken from LMDB instead.
/// - The header's synced sequence is the catalog change up to which every row is on disk. A writer opening the store
///   rewrites the rows of the changes logged since (the change log is trimmed no further than that), and rebuilds
///   the whole file when it is missing, damaged, shorter than the catalog's ids, or ahead of the catalog (a file
///   from another store or a restored backup), writing a new file and renaming it over the old.
final class VectorFile: @unchecked Sendable {
    static let magic = Data("DSVECT01".utf8)
    static let headerSize = 4096
    /// The address space reserved for the map: rows are added by growing the file, never by mapping again.
    static let reservation = 1 << 40

    let path: String
    let dimension: Int
    let rowBytes: Int
    private let descriptor: Int32
    private let base: UnsafeMutableRawPointer
    /// Bytes of the file known to exist: rows below it can be read without a fault.
    private let knownSize: Atomic<Int>

    private init(path: String, dimension: Int, descriptor: Int32, base: UnsafeMutableRawPointer, size: Int) {
        self.path = path
        self.dimension = dimension
        self.rowBytes = 16 + 2 * dimension
        self.descriptor = descriptor
        self.base = base
        self.knownSize = Atomic(size)
    }

    deinit {
        munmap(base, Self.reservation)
        close(descriptor)
    }

    static func path(in directory: String) -> String { (directory as NSString).appendingPathComponent("vectors.f16") }

    /// Opens and maps the file; nil when it is absent or its header is not this format and dimension (a reader
    /// then re-ranks from LMDB alone; a writer rebuilds it).
    static func open(_ path: String, dimension: Int, writable: Bool) -> VectorFile? {
        let fd = Foundation.open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        var info = stat()
        guard fstat(fd, &info) == 0, Int(info.st_size) >= headerSize,
              let mapped = mmap(nil, reservation, PROT_READ, MAP_SHARED | MAP_NORESERVE, fd, 0),
              mapped != MAP_FAILED
        else {
            close(fd)
            return nil
        }
        let file = VectorFile(path: path, dimension: dimension, descriptor: fd, base: mapped, size: Int(info.st_size))
        guard file.headerIsValid else { return nil }
        return file
    }

    private var headerIsValid: Bool {
        Data(bytes: base, count: 8) == Self.magic
            && UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 8, as: UInt32.self)) == UInt32(dimension)
    }

    /// The catalog change up to which every row is on disk.
    var syncedSequence: UInt64 { UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 16, as: UInt64.self)) }

    private func offset(_ id: UInt64) -> Int { Self.headerSize + Int(id) * rowBytes }

    /// The float16 values of id's row, if the file holds a whole row for it.
    func row(_ id: UInt64) -> UnsafeRawBufferPointer? {
        guard id < UInt64((Self.reservation - Self.headerSize) / rowBytes) else { return nil }  // past the map: LMDB
        let start = offset(id), end = start + rowBytes
        if end > knownSize.load(ordering: .acquiring) {
            // Another process may have grown the file since; look once.
            var info = stat()
            guard fstat(descriptor, &info) == 0, Int(info.st_size) >= end else { return nil }
            knownSize.store(Int(info.st_size), ordering: .releasing)
        }
        let row = base + start
        guard UInt64(littleEndian: row.loadUnaligned(as: UInt64.self)) == id,
              UInt64(littleEndian: row.loadUnaligned(fromByteOffset: rowBytes - 8, as: UInt64.self)) == id
        else { return nil }
        return UnsafeRawBufferPointer(start: row + 8, count: 2 * dimension)
    }

    // MARK: Writing (the store's writer only, under its lock)

    /// Writes the rows of consecutive ids `first...` from their stored float16 bytes (one `pwrite`).
    func write(first: UInt64, _ vectors: [Data]) throws(StoreError) {
        guard !vectors.isEmpty else { return }
        var buffer = Data(capacity: vectors.count * rowBytes)
        for (i, vector) in vectors.enumerated() { Self.appendRow(to: &buffer, id: first + UInt64(i), vector) }
        try pwriteAll(buffer, at: offset(first))
        knownSize.store(max(knownSize.load(ordering: .relaxed), offset(first) + buffer.count), ordering: .releasing)
    }

    private static func appendRow(to buffer: inout Data, id: UInt64, _ vector: Data) {
        withUnsafeBytes(of: id.littleEndian) { buffer.append(contentsOf: $0) }
        buffer.append(vector)
        withUnsafeBytes(of: id.littleEndian) { buffer.append(contentsOf: $0) }
    }

    private func pwriteAll(_ bytes: Data, at offset: Int) throws(StoreError) {
        let failure: Int32? = bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = pwrite(descriptor, raw.baseAddress! + done, raw.count - done, off_t(offset + done))
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                done += n
            }
            return nil
        }
        if let failure {
            let why = failure == ENOSPC ? "no space left on device" : String(cString: strerror(failure))
            throw StoreError(.io, path: path, "cannot be written (\(why))", code: failure)
        }
    }

    /// Cuts the file to the rows of ids below `nextID` (rows past it belong to batches that never committed).
    func truncate(below nextID: UInt64) throws(StoreError) {
        guard ftruncate(descriptor, off_t(offset(nextID))) == 0 else {
            throw StoreError(.io, path: path, "cannot be truncated (\(String(cString: strerror(errno))))", code: errno)
        }
        knownSize.store(offset(nextID), ordering: .releasing)
    }

    /// Puts every written row on disk, then records `sequence` as synced.
    func sync(through sequence: UInt64) throws(StoreError) {
        guard fdatasync(descriptor) == 0 else {
            throw StoreError(.io, path: path, "cannot be synced to disk (\(String(cString: strerror(errno))))", code: errno)
        }
        var header = Data()
        withUnsafeBytes(of: sequence.littleEndian) { header.append(contentsOf: $0) }
        try pwriteAll(header, at: 16)
    }

    /// Whether the file's size covers a row for every id below `nextID`.
    func covers(nextID: UInt64) -> Bool {
        var info = stat()
        return fstat(descriptor, &info) == 0 && Int(info.st_size) >= offset(nextID)
    }

    /// Writes a complete file from the catalog's vectors (id order, so rows go out in long sequential runs) under a
    /// temporary name, synced, renamed over `path`; then opens it.
    static func create(
        at path: String, dimension: Int, txn: LMDBEnvironment.Transaction, nextID: UInt64, sequence: UInt64
    ) throws(StoreError) -> VectorFile {
        let temporary = path + ".tmp-\(getpid())"
        let fd = Foundation.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ioError(temporary, "cannot be created") }
        var closed = false
        defer {
            if !closed { close(fd) }
            unlink(temporary)  // no-op after the rename
        }
        let rowBytes = 16 + 2 * dimension
        var header = magic
        withUnsafeBytes(of: UInt32(dimension).littleEndian) { header.append(contentsOf: $0) }
        header.append(Data(count: 4))
        withUnsafeBytes(of: sequence.littleEndian) { header.append(contentsOf: $0) }
        header.append(Data(count: headerSize - header.count))
        var buffer = Data(capacity: 1 << 20)
        var bufferStart = headerSize
        func flush() -> Bool {
            defer { buffer.removeAll(keepingCapacity: true) }
            return buffer.withUnsafeBytes { raw in
                var done = 0
                while done < raw.count {
                    let n = pwrite(fd, raw.baseAddress! + done, raw.count - done, off_t(bufferStart + done))
                    if n < 0 && errno == EINTR { continue }
                    if n < 0 { return false }
                    done += n
                }
                return true
            }
        }
        buffer = header
        bufferStart = 0
        var failed = false
        try txn.scan("vectors") { (key, value) throws(StoreError) in
            let id = Catalog.id(key)
            guard value.count == 2 * dimension else {
                throw StoreError(.corrupt, path: txn.environment.path, "vector of image \(id) has \(value.count / 2) values")
            }
            let start = headerSize + Int(id) * rowBytes
            if start != bufferStart + buffer.count || buffer.count >= 1 << 20 {
                if !flush() { failed = true; return false }
                bufferStart = start
            }
            appendRow(to: &buffer, id: id, value)
            return true
        }
        guard !failed, flush(), ftruncate(fd, off_t(headerSize + Int(nextID) * rowBytes)) == 0 else {
            throw ioError(temporary, "cannot be written")
        }
        guard fsync(fd) == 0 else { throw ioError(temporary, "cannot be synced to disk") }
        close(fd)
        closed = true
        guard rename(temporary, path) == 0 else { throw ioError(path, "cannot be replaced") }
        let directory = Foundation.open((path as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
        guard let file = open(path, dimension: dimension, writable: true) else { throw ioError(path, "cannot be opened after writing") }
        return file
    }

    private static func ioError(_ path: String, _ what: String) -> StoreError {
        StoreError(.io, path: path, "\(what) (\(String(cString: strerror(errno))))", code: errno)
    }
}
