import Foundation
import Synchronization

// What the whole-store operations (Duplicates.swift, Retrieval.swift, KMeans.swift) share: progress reports,
// cancellation, and reading every stored vector in chunks.

/// How far a whole-store operation has got: `done` of `total` vectors in its current `stage`.
public struct CurationProgress: Sendable {
    public enum Stage: String, Sendable {
        /// Searching each stored vector's nearest neighbours (`duplicates`).
        case neighbors
        /// Reading the k-means training sample (`cluster`); Faiss then trains on it.
        case sampling
        /// Assigning every stored vector to its nearest centroid (`cluster`).
        case assigning
    }

    public var stage: Stage
    public var done: Int
    public var total: Int
    /// Seconds since the stage started.
    public var elapsed: Double

    /// Seconds left at the rate so far; nil before anything is done.
    public var remaining: Double? {
        guard done > 0, elapsed > 0 else { return nil }
        return elapsed / Double(done) * Double(total - done)
    }
}

/// Receives progress; called on the thread doing the work, so it should return quickly.
public typealias CurationProgressHandler = @Sendable (CurationProgress) -> Void

/// Set when the task awaiting a whole-store operation is cancelled; the work checks it between chunks.
final class CancellationFlag: Sendable {
    private let cancelled = Atomic<Bool>(false)
    func cancel() { cancelled.store(true, ordering: .relaxed) }
    /// Throws `CancellationError` once cancelled.
    func check() throws(CancellationError) {
        if cancelled.load(ordering: .relaxed) { throw CancellationError() }
    }
}

/// `offload`, with the calling task's cancellation passed to the work as a flag it polls.
func offloadCancellable<T: Sendable>(_ work: @escaping @Sendable (CancellationFlag) throws -> T) async throws -> T {
    let flag = CancellationFlag()
    return try await withTaskCancellationHandler {
        try flag.check()
        return try await offload { try work(flag) }
    } onCancel: {
        flag.cancel()
    }
}

/// Calls a progress handler for one stage, timing it.
struct StageProgress {
    let stage: CurationProgress.Stage
    let total: Int
    let handler: CurationProgressHandler?
    let started = Date()

    func report(_ done: Int) {
        handler?(CurationProgress(stage: stage, done: done, total: total, elapsed: Date().timeIntervalSince(started)))
    }
}

extension Store {
    /// Calls `body` with consecutive chunks of stored vectors in id order — ids and their unit-length vectors
    /// (row-major, `chunk` rows at most) — each chunk read in its own short read transaction, so a run of many
    /// minutes never pins old LMDB pages while an indexer writes. Images added meanwhile with higher ids are
    /// included; images removed meanwhile may be missed or seen.
    func forEachVectorChunk(
        chunk: Int, cancel: CancellationFlag?, _ body: ([UInt64], [Float]) throws -> Void
    ) throws {
        var after: UInt64? = nil
        while true {
            try cancel?.check()
            var ids: [UInt64] = []
            var vectors: [Float] = []
            ids.reserveCapacity(chunk)
            vectors.reserveCapacity(chunk * dimension)
            try catalog.environment.read { txn throws(StoreError) in
                try Catalog.forEachVector(txn, dimension: dimension, from: after.map { $0 + 1 }) { id, vector in
                    ids.append(id)
                    let row = vectors.count
                    vectors += vector
                    vectors.withUnsafeMutableBufferPointer { out in
                        Self.normalise(UnsafeMutableBufferPointer(rebasing: out[row..<(row + vector.count)]))
                    }
                    return ids.count < chunk
                }
            }
            guard let last = ids.last else { return }
            try body(ids, vectors)
            after = last
            if ids.count < chunk { return }
        }
    }

    /// Scales a float16-rounded stored vector back to unit length, so inner products are cosines.
    static func normalise(_ vector: UnsafeMutableBufferPointer<Float>) {
        var norm: Float = 0
        for v in vector { norm += v * v }
        let scale = norm > 0 ? 1 / norm.squareRoot() : 0
        for i in vector.indices { vector[i] *= scale }
    }

    /// Records of `ids` still in the catalog (one read transaction), keyed by id.
    public func records(ids: some Sequence<UInt64>) throws(StoreError) -> [UInt64: ImageRecord] {
        try catalog.environment.read { txn throws(StoreError) in
            var records: [UInt64: ImageRecord] = [:]
            for id in ids where records[id] == nil {
                if let record = try Catalog.record(txn, id: id) { records[id] = record }
            }
            return records
        }
    }
}
