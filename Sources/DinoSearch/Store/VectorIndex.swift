import CDinoFaiss
import Foundation

/// A Faiss index over L2-normalised vectors with the inner-product metric, so scores are cosines.
///
/// Owns one `faiss::Index` through the C shim; no C++ exception reaches Swift (each becomes a `StoreError`).
/// `@unchecked Sendable`: Faiss allows concurrent `search` calls, and `Store` serialises every mutation against
/// searches with its readers-writer lock.
final class VectorIndex: @unchecked Sendable {
    let handle: OpaquePointer
    /// Set once when a rebuild records its training sample, before the index is shared.
    var layout: IndexLayout

    private init(handle: OpaquePointer, layout: IndexLayout) {
        self.handle = handle
        self.layout = layout
        if let nprobe = layout.nprobe { dino_index_set_nprobe(handle, Int64(nprobe)) }
    }

    deinit { dino_index_free(handle) }

    /// Runs a shim call that reports failure through a status and a message buffer.
    private static func call(_ what: String, _ body: (UnsafeMutablePointer<CChar>, Int) -> Int32) throws(StoreError) {
        var buffer = [CChar](repeating: 0, count: 512)
        let status = buffer.withUnsafeMutableBufferPointer { body($0.baseAddress!, $0.count) }
        guard status == 0 else {
            let message = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw StoreError(.index, "\(what) failed in Faiss: \(message)")
        }
    }

    /// A new, empty index of the given layout.
    static func make(_ layout: IndexLayout, dimension: Int) throws(StoreError) -> VectorIndex {
        var handle: OpaquePointer?
        try call("creating \(layout.factory)") { dino_index_create(layout.factory, Int32(dimension), &handle, $0, $1) }
        return VectorIndex(handle: handle!, layout: layout)
    }

    /// An index deserialised from bytes written by `serialize`; any damage becomes an error, never a crash.
    static func deserialize(_ bytes: UnsafeRawBufferPointer, layout: IndexLayout) throws(StoreError) -> VectorIndex {
        var handle: OpaquePointer?
        try call("reading the index") { dino_index_read(bytes.baseAddress, bytes.count, &handle, $0, $1) }
        return VectorIndex(handle: handle!, layout: layout)
    }

    /// Streams the index's bytes to `sink`, which returns false to abort.
    func serialize(_ sink: (UnsafeRawBufferPointer) -> Bool) throws(StoreError) {
        try withoutActuallyEscaping(sink) { (escapable) throws(StoreError) in
            var closure = escapable
            try withUnsafeMutablePointer(to: &closure) { (pointer) throws(StoreError) in
                try Self.call("writing the index") { error, size in
                    dino_index_write(handle, { context, bytes, count in
                        let sink = context!.assumingMemoryBound(to: ((UnsafeRawBufferPointer) -> Bool).self).pointee
                        return sink(UnsafeRawBufferPointer(start: bytes, count: count)) ? 0 : 1
                    }, pointer, error, size)
                }
            }
        }
    }

    /// An independent copy (through Faiss's own serialisation, which every index type supports) that visits
    /// `nprobe` lists per search: a whole-store job can trade recall for speed without touching the shared index.
    func copy(nprobe: Int?) throws(StoreError) -> VectorIndex {
        var bytes: [UInt8] = []
        try serialize { chunk in
            bytes.append(contentsOf: chunk)
            return true
        }
        var layout = layout
        layout.nprobe = nprobe
        return try bytes.withUnsafeBytes { raw in Result { () throws(StoreError) in try Self.deserialize(raw, layout: layout) } }.get()
    }

    /// IVF lists visited per search (0 for indexes without lists); setting it clamps to 1...lists. Not safe
    /// against concurrent searches: callers hold `Store.indexLock` exclusively or own the index alone.
    var nprobe: Int {
        get { Int(dino_index_set_nprobe(handle, 0)) }
        set { dino_index_set_nprobe(handle, Int64(max(newValue, 1))) }
    }

    var dimension: Int { Int(dino_index_dimension(handle)) }
    var count: Int { Int(dino_index_count(handle)) }
    var isTrained: Bool { dino_index_is_trained(handle) != 0 }

    /// Trains the coarse quantizer and codebooks on `vectors` (n × dimension, row-major).
    func train(_ vectors: [Float]) throws(StoreError) {
        let n = vectors.count / dimension
        try Self.call("training \(layout.factory) on \(n) vectors") { error, size in
            vectors.withUnsafeBufferPointer { dino_index_train(handle, Int64(n), $0.baseAddress, error, size) }
        }
    }

    func add(_ vectors: [Float], ids: [Int64]) throws(StoreError) {
        precondition(vectors.count == ids.count * dimension)
        guard !ids.isEmpty else { return }
        try Self.call("adding \(ids.count) vectors") { error, size in
            vectors.withUnsafeBufferPointer { v in
                ids.withUnsafeBufferPointer { dino_index_add(handle, Int64(ids.count), v.baseAddress, $0.baseAddress, error, size) }
            }
        }
    }

    @discardableResult
    func remove(_ ids: [Int64]) throws(StoreError) -> Int {
        guard !ids.isEmpty else { return 0 }
        var removed: Int64 = 0
        try Self.call("removing \(ids.count) vectors") { error, size in
            ids.withUnsafeBufferPointer { dino_index_remove(handle, Int64(ids.count), $0.baseAddress, &removed, error, size) }
        }
        return Int(removed)
    }

    /// The k best (score, id) pairs for each of the n queries; absent results are dropped.
    func search(_ queries: [Float], k: Int) throws(StoreError) -> [[(score: Float, id: Int64)]] {
        let n = queries.count / dimension
        guard n > 0, k > 0 else { return [] }
        var scores = [Float](repeating: 0, count: n * k)
        var labels = [Int64](repeating: -1, count: n * k)
        try Self.call("searching") { error, size in
            queries.withUnsafeBufferPointer { q in
                dino_index_search(handle, Int64(n), q.baseAddress, Int64(k), &scores, &labels, error, size)
            }
        }
        return (0..<n).map { i in
            (0..<k).compactMap { j in labels[i * k + j] >= 0 ? (scores[i * k + j], labels[i * k + j]) : nil }
        }
    }
}
