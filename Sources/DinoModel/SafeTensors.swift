import Foundation

/// A read-only view of a `.safetensors` file: an 8-byte little-endian header length, a JSON header mapping
/// tensor names to `{dtype, shape, data_offsets}`, then the tensor bytes.
///
/// The whole file is memory-mapped once; every offset in the header is checked against the file's size before
/// any tensor is read, so a header that lies cannot make us read outside the file.
public struct SafeTensorsFile: Sendable {
    /// Element types the encoder accepts; each is converted to `Float` once, at load.
    public enum DType: String, Sendable {
        case f32 = "F32", f16 = "F16", bf16 = "BF16"

        var size: Int { self == .f32 ? 4 : 2 }
    }

    public struct Entry: Sendable, Equatable {
        public var dtype: DType
        public var shape: [Int]
        /// Byte range within the data section.
        var range: Range<Int>
    }

    public let path: String
    public let entries: [String: Entry]
    private let data: Data
    private let dataStart: Int

    /// The largest header we accept (the published giant checkpoint's header is about 40 KiB).
    static let maximumHeaderSize = 100 << 20

    public init(path: String) throws(ModelError) {
        let bytes: Data
        do {
            bytes = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw ModelError(.unreadable, path: path, "cannot be read (\(error.localizedDescription))")
        }
        try self.init(path: path, bytes: bytes)
    }

    /// Parses safetensors bytes already in memory; `path` only names them in errors.
    public init(path: String, bytes: Data) throws(ModelError) {
        self.path = path
        func malformed(_ message: String) -> ModelError { ModelError(.malformed, path: path, message) }
        guard bytes.count >= 8 else { throw malformed("is too short to be a safetensors file (\(bytes.count) bytes)") }
        let headerSize = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard headerSize <= UInt64(min(bytes.count - 8, Self.maximumHeaderSize)) else {
            throw malformed("header claims \(headerSize) bytes but the file has \(bytes.count - 8) after the length")
        }
        let headerEnd = 8 + Int(headerSize)
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: bytes.subdata(in: 8..<headerEnd))
        } catch {
            throw malformed("header is not valid JSON")
        }
        guard let header = json as? [String: Any] else { throw malformed("header is not a JSON object") }

        let dataSize = bytes.count - headerEnd
        var entries: [String: Entry] = [:]
        for (name, value) in header where name != "__metadata__" {
            func bad(_ message: String) -> ModelError { ModelError(.malformed, path: path, tensor: name, message) }
            guard let info = value as? [String: Any],
                  let dtypeName = info["dtype"] as? String,
                  let shapeValues = info["shape"] as? [Any],
                  let offsetValues = info["data_offsets"] as? [Any], offsetValues.count == 2
            else { throw bad("has an incomplete header entry (dtype, shape and data_offsets are required)") }
            guard let dtype = DType(rawValue: dtypeName) else {
                throw ModelError(.badTensor, path: path, tensor: name, "has data type \(dtypeName); F32, F16 or BF16 expected")
            }
            let shape = try shapeValues.map { (v: Any) throws(ModelError) -> Int in
                guard let n = v as? Int, n >= 0, n < 1 << 40 else { throw bad("has an invalid shape") }
                return n
            }
            let offsets = try offsetValues.map { (v: Any) throws(ModelError) -> Int in
                guard let n = v as? Int, n >= 0 else { throw bad("has invalid data_offsets") }
                return n
            }
            var count = 1
            for n in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: n)
                guard !overflow, product < 1 << 40 else { throw bad("has a shape too large to be real") }
                count = product
            }
            guard offsets[0] <= offsets[1], offsets[1] <= dataSize else {
                throw bad("has data_offsets \(offsets) outside the \(dataSize)-byte data section (truncated file?)")
            }
            guard offsets[1] - offsets[0] == count * dtype.size else {
                throw bad("has shape \(shape) (\(count * dtype.size) bytes) but \(offsets[1] - offsets[0]) bytes of data")
            }
            entries[name] = Entry(dtype: dtype, shape: shape, range: offsets[0]..<offsets[1])
        }
        self.entries = entries
        self.data = bytes
        self.dataStart = headerEnd
    }

    /// The tensor's values converted to `Float`, in row-major order.
    public func floats(_ name: String) throws(ModelError) -> [Float] {
        guard let entry = entries[name] else {
            throw ModelError(.missingTensor, path: path, tensor: name, "is missing")
        }
        let count = entry.range.count / entry.dtype.size
        return data.withUnsafeBytes { raw in
            let base = raw.baseAddress! + dataStart + entry.range.lowerBound
            switch entry.dtype {
            case .f32:
                return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                    memcpy(buffer.baseAddress!, base, count * 4)
                    for i in 0..<count { buffer[i] = Float(bitPattern: UInt32(littleEndian: buffer[i].bitPattern)) }
                    initialized = count
                }
            case .f16:
                return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                    for i in 0..<count {
                        let bits = UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                        buffer[i] = Float(Float16(bitPattern: bits))
                    }
                    initialized = count
                }
            case .bf16:
                return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                    for i in 0..<count {
                        let bits = UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                        buffer[i] = Float(bitPattern: UInt32(bits) << 16)
                    }
                    initialized = count
                }
            }
        }
    }

    /// The header and a sample of the data, for a fingerprint that tells two checkpoints apart without reading
    /// every byte of a multi-gigabyte file: the header, plus 64 evenly spaced 64 KiB windows of the data.
    public func fingerprintBytes() -> [Data] {
        var parts = [data.subdata(in: 0..<dataStart)]
        let dataSize = data.count - dataStart
        let window = 64 << 10
        if dataSize <= 64 * window {
            parts.append(data.subdata(in: dataStart..<data.count))
        } else {
            for i in 0..<64 {
                let start = dataStart + (dataSize - window) / 63 * i
                parts.append(data.subdata(in: start..<(start + window)))
            }
        }
        return parts
    }
}
