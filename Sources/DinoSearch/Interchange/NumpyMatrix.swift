import Foundation

/// A two-dimensional `.npy` array of floats on disk (numpy's format, versions 1–3: magic, header length, a Python
/// dict literal, then the raw rows). Reads little-endian float16, float32 and float64 in C order, which is what
/// `np.save` writes for a float matrix; rows come back as `Float`.
///
/// Rows are read on demand with `pread`, so a million 384-d rows cost no memory until asked for.
public struct NumpyMatrix: Sendable {
    /// The file it was read from.
    public let path: String
    public let rows: Int
    public let columns: Int
    private let file: ReadOnlyFile
    private let offset: Int
    private let scalarBytes: Int

    /// Opens `path`. Throws `StoreError(.malformed)` naming the file for anything but a 2-D float matrix whose
    /// size matches its header.
    public init(contentsOf path: String) throws(StoreError) {
        func malformed(_ why: String) -> StoreError { StoreError(.malformed, path: path, why) }
        let file = try ReadOnlyFile(path)
        // The header: 10 or 12 bytes of preamble, then the dict (64 KiB is numpy's own limit for version 1).
        let preamble = try file.read(at: 0, count: 12)
        guard preamble.count >= 10, preamble.prefix(6) == [0x93] + Array("NUMPY".utf8) else {
            throw malformed("is not a .npy file")
        }
        let major = preamble[6]
        let lengthBytes = major == 1 ? 2 : 4
        guard (1...3).contains(major), preamble.count >= 8 + lengthBytes else {
            throw malformed("has .npy version \(major), which is not read")
        }
        let headerLength = (0..<lengthBytes).reduce(0) { $0 | Int(preamble[8 + $1]) << (8 * $1) }
        guard headerLength <= 1 << 20 else { throw malformed("has a header of \(headerLength) bytes") }
        let offset = 8 + lengthBytes + headerLength
        let headerBytes = try file.read(at: 8 + lengthBytes, count: headerLength)
        guard headerBytes.count == headerLength else { throw malformed("ends inside its header") }
        let header = String(decoding: headerBytes, as: UTF8.self)

        let scalarBytes: Int
        let descr = Self.value(of: "descr", in: header)
        switch descr {
        case "'<f2'": scalarBytes = 2
        case "'<f4'": scalarBytes = 4
        case "'<f8'": scalarBytes = 8
        default: throw malformed("holds \(descr ?? "an unknown type"); float16, float32 or float64 (little-endian) expected")
        }
        guard Self.value(of: "fortran_order", in: header) == "False" else {
            throw malformed("is in Fortran order; save it with np.save(np.ascontiguousarray(...))")
        }
        guard let shape = Self.value(of: "shape", in: header), shape.hasPrefix("("), shape.hasSuffix(")") else {
            throw malformed("has no shape in its header")
        }
        let dimensions = shape.dropFirst().dropLast().split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard dimensions.count == 2, let rows = Int(dimensions[0]), let columns = Int(dimensions[1]), rows >= 0, columns > 0 else {
            throw malformed("has shape \(shape); a 2-D array (rows, dimension) is expected")
        }
        let (bytes, overflow) = rows.multipliedReportingOverflow(by: columns * scalarBytes)
        guard !overflow, file.size - offset == bytes else {
            throw malformed("holds \(file.size - offset) bytes of data; its shape \(shape) needs \(bytes)")
        }
        (self.path, self.rows, self.columns) = (path, rows, columns)
        (self.file, self.offset, self.scalarBytes) = (file, offset, scalarBytes)
    }

    /// Rows `range`, concatenated (row-major), as `Float`s.
    public func rows(_ range: Range<Int>) throws(StoreError) -> [Float] {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows, "rows \(range) outside 0..<\(rows)")
        let rowBytes = columns * scalarBytes
        let bytes = try file.read(at: offset + range.lowerBound * rowBytes, count: range.count * rowBytes)
        guard bytes.count == range.count * rowBytes else {
            throw StoreError(.io, path: path, "ended early (was it changed while being read?)")
        }
        let count = range.count * columns
        return bytes.withUnsafeBytes { raw in
            [Float](unsafeUninitializedCapacity: count) { out, n in
                for j in 0..<count {
                    let at = j * scalarBytes
                    switch scalarBytes {
                    case 2: out[j] = Float(Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt16.self))))
                    case 4: out[j] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
                    default: out[j] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt64.self))))
                    }
                }
                n = count
            }
        }
    }

    /// Row `i` as `Float`s.
    public func row(_ i: Int) throws(StoreError) -> [Float] { try rows(i..<(i + 1)) }

    /// The literal after `'key':` in a header dict such as `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`.
    static func value(of key: String, in header: String) -> String? {
        guard let range = header.range(of: "'\(key)':") else { return nil }
        let rest = header[range.upperBound...].drop { $0 == " " }
        if rest.hasPrefix("(") { return rest.firstIndex(of: ")").map { String(rest[...$0]) } }
        return rest.firstIndex { $0 == "," || $0 == "}" }.map { String(rest[..<$0]).trimmingCharacters(in: .whitespaces) }
    }
}

/// Reads a matrix's rows in ascending order, a block of `blockRows` at a time.
struct SequentialRows {
    let matrix: NumpyMatrix
    var blockRows = 4096
    private var block: [Float] = []
    private var start = 0

    init(_ matrix: NumpyMatrix) { self.matrix = matrix }

    /// Row `i`; `i` must not go below the previous call's.
    mutating func row(_ i: Int) throws(StoreError) -> [Float] {
        let d = matrix.columns
        if i < start || i >= start + block.count / d {
            start = i
            block = try matrix.rows(i..<min(i + blockRows, matrix.rows))
        }
        return Array(block[((i - start) * d)..<((i - start + 1) * d)])
    }
}

/// A file open for reading, closed when the last reference goes. `Sendable`: the descriptor never changes, and
/// `pread` takes its own position, so concurrent reads are safe.
final class ReadOnlyFile: Sendable {
    let path: String
    let descriptor: Int32
    let size: Int

    init(_ path: String) throws(StoreError) {
        self.path = path
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw StoreError(errno == ENOENT ? .notFound : .io, path: path, "cannot be read (\(String(cString: strerror(errno))))")
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(descriptor)
            throw StoreError(.io, path: path, "is not a regular file")
        }
        size = Int(info.st_size)
    }

    deinit { close(descriptor) }

    /// Up to `count` bytes from `offset` (fewer at the end of the file).
    func read(at offset: Int, count: Int) throws(StoreError) -> [UInt8] {
        var failure: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, done in
            while done < count {
                let n = pread(descriptor, buffer.baseAddress! + done, count - done, off_t(offset + done))
                if n < 0 && errno == EINTR { continue }
                if n < 0 { failure = errno; break }
                if n == 0 { break }
                done += n
            }
        }
        if failure != 0 { throw StoreError(.io, path: path, "read failed (\(String(cString: strerror(failure))))", code: failure) }
        return bytes
    }
}

/// Writes an N×D float32 `.npy` file row by row, without holding it in memory: the header is written with room
/// for any row count and rewritten with the true count by `finish()`, which then renames the file from
/// `PATH.partial-PID` to `PATH`, so the file is complete or absent.
public final class NumpyWriter {
    public let path: String
    public let columns: Int
    public private(set) var rows = 0
    private let file: BufferedFile

    /// 128 bytes of magic, version, length and padded dict: enough for any shape numpy can describe.
    static let headerSize = 128

    /// Starts the file (it appears at `path` when finished).
    public init(path: String, columns: Int) throws(StoreError) {
        self.path = path
        self.columns = columns
        file = try BufferedFile(path: path)
        try file.write(Self.header(rows: 0, columns: columns))
    }

    /// The version 1.0 header for an N×D little-endian float32 C-order array, padded to `headerSize`.
    static func header(rows: Int, columns: Int) -> [UInt8] { header(shape: [rows, columns]) }

    /// The version 1.0 header for a little-endian float32 C-order array of any shape, padded to `headerSize`.
    static func header(shape: [Int]) -> [UInt8] {
        let dimensions = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")  // Python's tuple
        let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(dimensions)), }"
        let padded = dict + String(repeating: " ", count: headerSize - 10 - dict.utf8.count - 1) + "\n"
        let length = UInt16(padded.utf8.count)
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Array(padded.utf8)
    }

    /// Appends one row of `columns` values.
    public func append(_ row: [Float]) throws(StoreError) {
        precondition(row.count == columns, "row of \(row.count) values for a matrix of \(columns) columns")
        try file.write(row.map(\.bitPattern.littleEndian).withUnsafeBytes { Array($0) })
        rows += 1
    }

    /// Writes the header with the final row count and puts the file in place.
    public func finish() throws(StoreError) {
        try file.finish(rewritingStartWith: Self.header(rows: rows, columns: columns))
    }

    /// Writes a whole float32 array of `shape` (C order) as a `.npy` file, whole or not at all.
    public static func write(_ values: [Float], shape: [Int], to path: String) throws(StoreError) {
        let file = try BufferedFile(path: path)  // an unfinished file removes its temporary name
        try file.write(encode(values, shape: shape))
        try file.finish()
    }

    /// The bytes of a `.npy` file holding a float32 array of `shape` (C order).
    public static func encode(_ values: [Float], shape: [Int]) -> [UInt8] {
        precondition(values.count == shape.reduce(1, *), "values do not fill the shape")
        return header(shape: shape) + values.map(\.bitPattern.littleEndian).withUnsafeBytes { Array($0) }
    }
}
