import Foundation

/// The near-duplicate graph of a store: for every stored vector its `neighbors` nearest through the store's own
/// index (exact Faiss search up to 100k vectors, IVF-PQ above), each candidate re-scored exactly against its
/// stored vector, and only the pairs at or above a threshold kept. Computed in chunks of queries, so memory is the
/// kept edges and one chunk: no N×N matrix ever exists.
struct NeighborGraph {
    /// Stored ids, ascending; graph nodes are indices into it.
    var ids: [UInt64]
    /// Undirected edges between node indices (a < b), each once: pairs whose stored vectors' cosine reached the
    /// threshold.
    var edges: [(a: Int32, b: Int32)]

    /// Queries per Faiss call: large enough for BLAS and Faiss's OpenMP to be efficient, small enough that a
    /// cancellation or a progress line comes every second or so at 1M vectors.
    static let chunk = 4096

    /// IVF lists each neighbour search visits unless asked otherwise: a near-duplicate sits in its image's list or
    /// a nearby one, so a fraction of the lists a top-k query needs finds it. At 1M vectors (2,048 lists) 16 and 32
    /// lists found every planted pair that 256 did at cosine 0.95 (Benchmarks/README.md), four to five times faster.
    /// An index whose probe count was measured (`ProbeCalibration.duplicateNprobe`) uses the measured one instead.
    static func nprobe(for layout: IndexLayout) -> Int? {
        guard let nprobe = layout.nprobe, let lists = IndexLayout.lists(in: layout.factory) else { return layout.nprobe }
        if let measured = layout.calibration?.duplicateNprobe { return min(measured, nprobe) }
        return min(nprobe, max(32, lists / 64))
    }

    /// The node index of a stored id, if it is a node.
    func node(_ id: UInt64) -> Int? {
        var low = 0, high = ids.count
        while low < high {
            let mid = (low + high) / 2
            if ids[mid] < id { low = mid + 1 } else { high = mid }
        }
        return low < ids.count && ids[low] == id ? low : nil
    }
}

extension Store {
    /// Builds the graph of pairs whose cosine is at least `threshold`, searching `neighbors` per vector and
    /// visiting `nprobe` IVF lists per search (nil: `NeighborGraph.nprobe(for:)`).
    func neighborGraph(
        threshold: Float, neighbors: Int, nprobe: Int?, cancel: CancellationFlag?, progress: CurationProgressHandler?
    ) throws -> NeighborGraph {
        let total = count
        let stage = StageProgress(stage: .neighbors, total: total, handler: progress)
        stage.report(0)
        var ids: [UInt64] = []
        ids.reserveCapacity(total)
        var pairs: [(a: UInt64, b: UInt64)] = []
        if mode == .readOnly { try refresh() }
        // Another nprobe than the shared index's: search a private copy (Faiss 1.7.3's fast-scan IVF takes no
        // per-search parameters), so concurrent queries keep their recall. Images added meanwhile are not in it.
        let searched = try indexLock.withShared { () throws(StoreError) -> VectorIndex? in
            let wanted = nprobe ?? NeighborGraph.nprobe(for: index.layout)
            return wanted == index.layout.nprobe || index.layout.nprobe == nil ? nil : try index.copy(nprobe: wanted)
        }
        try forEachVectorChunk(chunk: NeighborGraph.chunk, cancel: cancel) { chunkIDs, vectors in
            ids += chunkIDs
            // One more than asked: a vector usually finds itself first.
            let candidates: [[(score: Float, id: Int64)]]
            if let searched {
                candidates = try searched.search(vectors, k: min(neighbors + 1, max(searched.count, 1)))
            } else {
                candidates = try indexLock.withShared { () throws(StoreError) in
                    try index.search(vectors, k: min(neighbors + 1, max(index.count, 1)))
                }
            }
            // Approximate scores from IVF-PQ are only a ranking: every candidate is re-scored on its stored vector.
            try catalog.environment.read { txn throws(StoreError) in
                try vectors.withUnsafeBufferPointer { all throws(StoreError) in
                    for (row, list) in candidates.enumerated() {
                        let id = chunkIDs[row]
                        let query = UnsafeBufferPointer(rebasing: all[(row * dimension)..<((row + 1) * dimension)])
                        let others = list.lazy.map { UInt64(bitPattern: $0.id) }.filter { $0 != id }
                        for (_, other) in try Catalog.scores(txn, query: query, ids: others, minimum: threshold) {
                            pairs.append((min(id, other), max(id, other)))
                        }
                    }
                }
            }
            stage.report(ids.count)
        }
        // Each pair may have been found from both ends: keep it once.
        pairs.sort { $0.a != $1.a ? $0.a < $1.a : $0.b < $1.b }
        var graph = NeighborGraph(ids: ids, edges: [])
        var previous: (UInt64, UInt64)? = nil
        for pair in pairs where previous.map({ $0 != pair }) ?? true {
            previous = pair
            // An image added after the scan passed its id is not a node; its pairs wait for the next run.
            guard let a = graph.node(pair.a), let b = graph.node(pair.b) else { continue }
            graph.edges.append((Int32(a), Int32(b)))
        }
        return graph
    }
}
