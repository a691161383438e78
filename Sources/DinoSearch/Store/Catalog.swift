import CDinoFloat16
import Crypto
import Foundation

/// The store's source of truth, in LMDB: image records, their embeddings (float16), lookups and a change log.
///
/// Tables (keys big-endian so LMDB's byte order is numeric order):
/// - `info`     "store" → `StoreInfo` JSON (format, dimension, model, layout, next id, sequence)
/// - `images`   id → `ImageRecord` JSON
/// - `paths`    path → id (`pathKey`: paths past LMDB's 511-byte key limit are shortened with their hash)
/// - `hashes`   SHA-256 (hex) + "/" + id → empty
/// - `vectors`  id → D float16 values, little-endian
/// - `changes`  sequence → id: every id touched by a committed batch since the index file last caught up
struct Catalog {
    static let tables = ["info", "images", "paths", "hashes", "vectors", "changes"]
    static let formatVersion = 1

    let environment: LMDBEnvironment

    struct StoreInfo: Codable, Equatable {
        var formatVersion: Int
        var dimension: Int
        var model: String
        var layout: IndexLayout
        var nextID: UInt64
        /// Number of the last committed change; the index file records the one it reflects.
        var sequence: UInt64
    }

    static func key(_ id: UInt64) -> Data { withUnsafeBytes(of: id.bigEndian) { Data($0) } }
    static func id(_ key: Data) -> UInt64 { key.withUnsafeBytes { UInt64(bigEndian: $0.loadUnaligned(as: UInt64.self)) } }
    static func hashKey(_ hash: String, _ id: UInt64) -> Data { Data((hash + "/").utf8) + key(id) }

    /// LMDB's longest key (MDB_MAXKEYSIZE in Debian's build), and how much of a longer path its key keeps.
    static let pathKeyLimit = 511
    static let pathKeyKept = 446

    /// The `paths` table's key for a path: its bytes when they fit LMDB's key limit; a longer path (file paths reach
    /// 4,096 bytes, HTTP keys 1,024) keeps its first 446 bytes, then a NUL — which no path or key holds — and the
    /// SHA-256 of the whole path: 479 bytes, still one key per path, still found by a prefix scan of its beginning.
    static func pathKey(_ path: String) -> Data {
        let bytes = Data(path.utf8)
        guard bytes.count > pathKeyLimit else { return bytes }
        return bytes.prefix(pathKeyKept) + [0] + Data(SHA256.hash(data: bytes))
    }

    /// Whether a `paths` key is a shortened one (`pathKey` of a long path).
    static func isShortened(_ key: Data) -> Bool { key.count > pathKeyKept && key[key.startIndex + pathKeyKept] == 0 }

    static func info(_ txn: LMDBEnvironment.Transaction) throws(StoreError) -> StoreInfo? {
        guard let data = try txn.get("info", Data("store".utf8)) else { return nil }
        guard let info = try? JSONDecoder().decode(StoreInfo.self, from: data) else {
            throw StoreError(.corrupt, path: txn.environment.path, "store metadata cannot be decoded")
        }
        return info
    }

    static func setInfo(_ txn: LMDBEnvironment.Transaction, _ info: StoreInfo) throws(StoreError) {
        try txn.put("info", Data("store".utf8), try! JSONEncoder().encode(info))
    }

    static func record(_ txn: LMDBEnvironment.Transaction, id: UInt64) throws(StoreError) -> ImageRecord? {
        guard let data = try txn.get("images", key(id)) else { return nil }
        guard let record = try? JSONDecoder().decode(ImageRecord.self, from: data) else {
            throw StoreError(.corrupt, path: txn.environment.path, "record of image \(id) cannot be decoded")
        }
        return record
    }

    /// Stores a vector as float16 (768 bytes for 384 dimensions).
    static func encode(_ vector: [Float]) -> Data {
        var data = Data(count: vector.count * 2)
        data.withUnsafeMutableBytes { raw in
            for (i, v) in vector.enumerated() {
                raw.storeBytes(of: Float16(v).bitPattern.littleEndian, toByteOffset: 2 * i, as: UInt16.self)
            }
        }
        return data
    }

    /// Decodes a stored float16 vector (F16C where the CPU has it: Sources/CDinoFloat16).
    static func decode(_ raw: UnsafeRawBufferPointer, into out: UnsafeMutablePointer<Float>) {
        dino_float16_decode(raw.baseAddress, out, raw.count / 2)
    }

    static func decode(_ raw: UnsafeRawBufferPointer) -> [Float] {
        [Float](unsafeUninitializedCapacity: raw.count / 2) { buffer, n in
            decode(raw, into: buffer.baseAddress!)
            n = raw.count / 2
        }
    }

    /// Cosine of a unit-length query with a stored float16 vector, read in place; nil if the sizes differ.
    static func cosine(_ query: UnsafeBufferPointer<Float>, _ raw: UnsafeRawBufferPointer) -> Float? {
        guard raw.count == 2 * query.count else { return nil }
        var dot: Float = 0, norm: Float = 0
        dino_float16_dot(query.baseAddress, raw.baseAddress, query.count, &dot, &norm)
        return dot / norm.squareRoot()
    }

    /// Exact cosines of a unit-length query with the stored vectors of `ids`, in their order, keeping those at or
    /// above `minimum`; ids no longer stored are skipped. How every approximate candidate list is re-scored.
    /// With `rows` (the id-addressed vector file), each vector comes from the file where it holds the id's row, from
    /// LMDB otherwise: the same float16 bytes either way, so the same scores. A removed image's row stays in the file,
    /// so an id the index proposed just before its removal is scored: `results` drops it when its record is gone.
    static func scores(
        _ txn: LMDBEnvironment.Transaction, query: UnsafeBufferPointer<Float>, ids: some Sequence<UInt64>, minimum: Float?,
        rows: VectorFile? = nil
    ) throws(StoreError) -> [(score: Float, id: UInt64)] {
        let table = txn.dbi("vectors")
        var scored: [(score: Float, id: UInt64)] = []
        scored.reserveCapacity(ids.underestimatedCount)
        for id in ids {
            let score: Float?
            if let row = rows?.row(id) {
                score = cosine(query, row)
            } else {
                guard let stored = try txn.withValue(table, id: id, { cosine(query, $0) }) else { continue }
                score = stored
            }
            guard let score, minimum.map({ score >= $0 }) ?? true else { continue }
            scored.append((score, id))
        }
        return scored
    }

    /// `scores`, best first, ties by id: the order every search answers in.
    static func ranked(
        _ txn: LMDBEnvironment.Transaction, query: UnsafeBufferPointer<Float>, ids: some Sequence<UInt64>, minimum: Float?,
        rows: VectorFile? = nil
    ) throws(StoreError) -> [(score: Float, id: UInt64)] {
        var scored = try scores(txn, query: query, ids: ids, minimum: minimum, rows: rows)
        scored.sort { $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id }
        return scored
    }

    /// The first `k` of a ranked list whose records are still in the catalog (and pass `keep`), as search results.
    static func results(
        _ txn: LMDBEnvironment.Transaction, _ ranked: [(score: Float, id: UInt64)], k: Int,
        keep: (ImageRecord) -> Bool = { _ in true }
    ) throws(StoreError) -> [SearchResult] {
        var results: [SearchResult] = []
        for (score, id) in ranked where results.count < k {
            if let record = try record(txn, id: id), keep(record) { results.append(SearchResult(score: score, record: record)) }
        }
        return results
    }

    /// Calls `body` with each stored vector from id `start` on, in id order, decoded into a reused buffer, while it
    /// returns true. A vector of the wrong length means a damaged catalog.
    static func forEachVector(
        _ txn: LMDBEnvironment.Transaction, dimension: Int, from start: UInt64? = nil,
        _ body: (UInt64, UnsafeBufferPointer<Float>) throws(StoreError) -> Bool
    ) throws(StoreError) {
        var buffer = [Float](repeating: 0, count: dimension)
        try txn.scan("vectors", from: start.map { key($0) }) { (key, value) throws(StoreError) in
            guard value.count == 2 * dimension else {
                throw StoreError(.corrupt, path: txn.environment.path, "vector of image \(id(key)) has \(value.count / 2) values")
            }
            value.withUnsafeBytes { raw in buffer.withUnsafeMutableBufferPointer { decode(raw, into: $0.baseAddress!) } }
            return try buffer.withUnsafeBufferPointer { (vector) throws(StoreError) in try body(id(key), vector) }
        }
    }

    /// Calls `body` with the stored vectors of one snapshot in id order, `size` at a time (the last chunk shorter,
    /// never empty): ids and the vectors row-major, buffers reused between calls.
    static func forEachVectorChunk(
        _ txn: LMDBEnvironment.Transaction, dimension: Int, size: Int = 65_536,
        _ body: ([UInt64], [Float]) throws(StoreError) -> Void
    ) throws(StoreError) {
        var ids: [UInt64] = [], chunk: [Float] = []
        try forEachVector(txn, dimension: dimension) { (id, vector) throws(StoreError) in
            ids.append(id)
            chunk += vector
            if ids.count == size {
                try body(ids, chunk)
                ids.removeAll(keepingCapacity: true)
                chunk.removeAll(keepingCapacity: true)
            }
            return true
        }
        if !ids.isEmpty { try body(ids, chunk) }
    }

    static func vector(_ txn: LMDBEnvironment.Transaction, id: UInt64, dimension: Int) throws(StoreError) -> [Float]? {
        try txn.withValue("vectors", key(id)) { raw -> [Float]? in raw.count == 2 * dimension ? decode(raw) : nil } ?? nil
    }

    /// Appends one change per id to the log and advances the sequence.
    static func log(_ txn: LMDBEnvironment.Transaction, _ ids: [UInt64], info: inout StoreInfo) throws(StoreError) {
        for id in ids {
            info.sequence += 1
            try txn.put("changes", key(info.sequence), key(id))
        }
    }

    /// Removes `path`'s entry in the `paths` table if it still points at `id` (another image may hold it since).
    static func unlinkPath(_ txn: LMDBEnvironment.Transaction, _ path: String, from id: UInt64) throws(StoreError) {
        let key = pathKey(path)
        if let owner = try txn.get("paths", key), Self.id(owner) == id { try txn.delete("paths", key) }
    }

    /// Removes an image's record, lookups and vector; returns false if there was none.
    static func delete(_ txn: LMDBEnvironment.Transaction, id: UInt64) throws(StoreError) -> Bool {
        guard let record = try record(txn, id: id) else { return false }
        try txn.delete("images", key(id))
        try txn.delete("vectors", key(id))
        try unlinkPath(txn, record.path, from: id)
        try txn.delete("hashes", hashKey(record.contentHash, id))
        return true
    }
}
