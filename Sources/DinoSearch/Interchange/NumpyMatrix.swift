import Foundation

/// A two-dimensional `.npy` array of floats, mapped from disk (numpy's format, versions 1–3: magic, header length,
/// a Python dict literal, then the raw rows). Reads little-endian float16, float32 and float64 in C order, which is
/// what `np.save` writes for a float matrix; rows come back as `Float`.
///
/// The file is memory-mapped, so a million 384-d rows cost page cache, not heap.
public struct NumpyMatrix: Sendable {
    /// The file it was read from.
    public let path: String
    public let rows: Int
    public let columns: Int
    private let data: Data
    private let offset: Int
    private let scalarBytes: Int

    /// Opens `path`. Throws `StoreError(.malformed)` naming the file for anything but a 2-D float matrix whose
    /// size matches its header.
    public init(contentsOf path: String) throws(StoreError) {
        func malformed(_ why: String) -> StoreError { StoreError(.malformed, path: path, why) }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw StoreError(.io, path: path, "cannot be read (\(error.localizedDescription))")
        }
        guard data.count >= 10, data.prefix(6) == Data([0x93] + Array("NUMPY".utf8)) else {
            throw malformed("is not a .npy file")
        }
        let major = data[6]
        let lengthBytes = major == 1 ? 2 : 4
        let scalarBytes: Int
        guard (1...3).contains(major), data.count >= 8 + lengthBytes else { throw malformed("has .npy version \(major), which is not read") }
        let headerLength = (0..<lengthBytes).reduce(0) { $0 | Int(data[8 + $1]) << (8 * $1) }
        let offset = 8 + lengthBytes + headerLength
        guard offset <= data.count else { throw malformed("ends inside its header") }
        let header = String(decoding: data[(8 + lengthBytes)..<offset], as: UTF8.self)

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
        guard !overflow, data.count - offset == bytes else {
            throw malformed("holds \(data.count - offset) bytes of data; its shape \(shape) needs \(bytes)")
        }
        (self.data, self.offset, self.scalarBytes) = (data, offset, scalarBytes)
        (self.path, self.rows, self.columns) = (path, rows, columns)
    }

    /// Row `i` as `Float`s.
    public func row(_ i: Int) -> [Float] {
        precondition(i >= 0 && i < rows, "row \(i) outside 0..<\(rows)")
        let start = offset + i * columns * scalarBytes
        return data.withUnsafeBytes { raw in
            (0..<columns).map { j in
                let at = start + j * scalarBytes
                switch scalarBytes {
                case 2: return Float(Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt16.self))))
                case 4: return Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
                default: return Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt64.self))))
                }
            }
        }
    }

    /// The literal after `'key':` in a header dict such as `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`.
    static func value(of key: String, in header: String) -> String? {
        guard let range = header.range(of: "'\(key)':") else { return nil }
        let rest = header[range.upperBound...].drop { $0 == " " }
        if rest.hasPrefix("(") { return rest.firstIndex(of: ")").map { String(rest[...$0]) } }
        return rest.firstIndex { $0 == "," || $0 == "}" }.map { String(rest[..<$0]).trimmingCharacters(in: .whitespaces) }
    }
}

/// Writes an N×D float32 `.npy` file row by row, without holding it in memory: the header is written with room
/// for any row count and rewritten with the true count by `finish()`, which then renames the file from
/// `PATH.partial-PID` to `PATH`, so the file is complete or absent.
public final class NumpyWriter {
    public let path: String
    public let columns: Int
    public private(set) var rows = 0
    private let partial: String
    private let file: FileHandle
    private var buffer: [UInt8] = []

    /// 128 bytes of magic, version, length and padded dict: enough for any shape numpy can describe.
    static let headerSize = 128

    /// Creates (or truncates) `path`.
    public init(path: String, columns: Int) throws(StoreError) {
        self.path = path
        self.columns = columns
        partial = path + ".partial-\(getpid())"
        guard FileManager.default.createFile(atPath: partial, contents: nil),
              let file = FileHandle(forWritingAtPath: partial)
        else { throw StoreError(.io, path: path, "cannot be created (\(String(cString: strerror(errno))))") }
        self.file = file
        buffer.reserveCapacity(1 << 20)
        buffer += Self.header(rows: 0, columns: columns)
    }

    deinit {
        try? file.close()
        try? FileManager.default.removeItem(atPath: partial)  // unfinished: leave nothing behind
    }

    /// The version 1.0 header for an N×D little-endian float32 C-order array, padded to `headerSize`.
    static func header(rows: Int, columns: Int) -> [UInt8] {
        let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"
        let padded = dict + String(repeating: " ", count: headerSize - 10 - dict.utf8.count - 1) + "\n"
        let length = UInt16(padded.utf8.count)
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Array(padded.utf8)
    }

    /// Appends one row of `columns` values.
    public func append(_ row: [Float]) throws(StoreError) {
        precondition(row.count == columns, "row of \(row.count) values for a matrix of \(columns) columns")
        for value in row { withUnsafeBytes(of: value.bitPattern.littleEndian) { buffer += $0 } }
        rows += 1
        if buffer.count >= 1 << 20 { try drain() }
    }

    /// Writes what is buffered, then the header with the final row count, and flushes the file to disk.
    public func finish() throws(StoreError) {
        try drain()
        do {
            try file.seek(toOffset: 0)
            try file.write(contentsOf: Self.header(rows: rows, columns: columns))
            try file.synchronize()
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
