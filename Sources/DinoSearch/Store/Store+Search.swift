import Foundation

/// What `Store.stats()` reports.
public struct StoreStats: Codable, Sendable {
    public var images: Int
    public var dimension: Int
    public var model: String
    public var layout: String
    public var indexedVectors: Int
    public var catalogBytes: Int64
    public var indexBytes: Int64
    public var rebuildAdvised: Bool
    /// IVF lists a query visits, and how that count was measured (nil for layouts without lists).
    public var nprobe: Int?
    public var probeCalibration: ProbeCalibration?
}

extension Store {
    /// Images in the catalog.
    public var count: Int {
        (try? catalog.environment.read { txn throws(StoreError) in try txn.count("images") }) ?? 0
    }

    /// The k images most similar to `vector` by cosine, best first; scores are exact cosines against the stored
    /// vectors (candidates from an approximate index are re-ranked). Results below `minimumScore` are dropped.
    /// - Throws: `.dimensionMismatch` / `.invalidVector` for a bad query.
    public func search(_ vector: [Float], k: Int, minimumScore: Float? = nil) throws(StoreError) -> [SearchResult] {
        try search([vector], k: k, minimumScore: minimumScore)[0]
    }

    /// Several queries at once (Faiss searches them as one batch).
    public func search(_ vectors: [[Float]], k: Int, minimumScore: Float? = nil) throws(StoreError) -> [[SearchResult]] {
        guard k > 0, !vectors.isEmpty else { return vectors.map { _ in [] } }
        var queries: [Float] = []
        for v in vectors { queries += try normalised(v, what: "query") }
        if mode == .readOnly { try refresh() }
        let candidateLists = try indexLock.withShared { () throws(StoreError) in
            let layout = index.layout
            let wanted = layout.isExact ? k : max(k * layout.candidatesPerResult, layout.minimumCandidates)
            return try index.search(queries, k: min(wanted, max(index.count, 1)))
        }
        // Re-rank by the exact cosine with the stored vector (read in place from the vector file's map, or from
        // LMDB's), then decode records for the k best only; ids no longer in the catalog are skipped.
        return try catalog.environment.read { txn throws(StoreError) in
            try candidateLists.enumerated().map { (q, candidates) throws(StoreError) in
                let ranked = try queries.withUnsafeBufferPointer { all throws(StoreError) in
                    try Catalog.ranked(txn, query: UnsafeBufferPointer(rebasing: all[(q * dimension)..<((q + 1) * dimension)]),
                                       ids: candidates.lazy.map { UInt64(bitPattern: $0.id) }, minimum: minimumScore,
                                       rows: vectorFile)
                }
                return try Catalog.results(txn, ranked, k: k)
            }
        }
    }

    /// Searches by each row of a `.npy` matrix (`dinosearch query --vectors`), as one batch; a row of the wrong
    /// length, or with NaN, infinity or only zeros, is named by file and row (counted from 0).
    public func search(rowsOf matrix: NumpyMatrix, k: Int, minimumScore: Float? = nil) throws(StoreError) -> [[SearchResult]] {
        var queries: [[Float]] = []
        for i in 0..<matrix.rows {
            let query = try matrix.row(i)
            _ = try normalised(query, what: "\(matrix.path) row \(i)")
            queries.append(query)
        }
        return try search(queries, k: k, minimumScore: minimumScore)
    }

    /// The record of an image, by id.
    public func record(id: UInt64) throws(StoreError) -> ImageRecord? {
        try catalog.environment.read { txn throws(StoreError) in try Catalog.record(txn, id: id) }
    }

    /// The record of an image, by path.
    public func record(path: String) throws(StoreError) -> ImageRecord? {
        try catalog.environment.read { txn throws(StoreError) in
            guard let id = try txn.get("paths", Catalog.pathKey(path)) else { return nil }
            return try Catalog.record(txn, id: Catalog.id(id))
        }
    }

    /// Ids of the images whose bytes hash to `contentHash`.
    public func ids(withContentHash contentHash: String) throws(StoreError) -> [UInt64] {
        let prefix = Data((contentHash + "/").utf8)
        return try catalog.environment.read { txn throws(StoreError) in
            var ids: [UInt64] = []
            try txn.scan("hashes", from: prefix) { key, _ in
                guard key.starts(with: prefix), key.count == prefix.count + 8 else { return false }
                ids.append(Catalog.id(key.suffix(8)))
                return true
            }
            return ids
        }
    }

    /// The stored (unit-length, float16-rounded) vector of an image.
    public func vector(id: UInt64) throws(StoreError) -> [Float]? {
        try catalog.environment.read { txn throws(StoreError) in try Catalog.vector(txn, id: id, dimension: dimension) }
    }

    /// Every record, in id order.
    public func records() throws(StoreError) -> [ImageRecord] {
        try catalog.environment.read { txn throws(StoreError) in
            var records: [ImageRecord] = []
            try txn.scan("images") { (key, _) throws(StoreError) in
                if let record = try Catalog.record(txn, id: Catalog.id(key)) { records.append(record) }
                return true
            }
            return records
        }
    }

    /// Number of the last committed change: it moves whenever an image is added, removed, moved or touched, so a
    /// result computed over the whole store (a cached clustering) is current exactly while it stays the same.
    public func changeSequence() throws(StoreError) -> UInt64 {
        try catalog.environment.read { txn throws(StoreError) in try Catalog.info(txn)?.sequence ?? 0 }
    }

    /// What the store holds and how (`dinosearch stats`).
    public func stats() throws(StoreError) -> StoreStats {
        let images = count
        let (layout, indexed) = indexLock.withShared { (index.layout, index.count) }
        func size(_ path: String) -> Int64 {
            ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
        }
        return StoreStats(
            images: images, dimension: dimension, model: model, layout: layout.description, indexedVectors: indexed,
            catalogBytes: size(Self.catalogPath(directory)), indexBytes: size(indexPath),
            rebuildAdvised: layout.rebuildAdvised(count: images, dimension: dimension),
            nprobe: layout.nprobe, probeCalibration: layout.calibration)
    }

    /// For read-only stores: catch up with batches another process committed since the last look.
    func refresh() throws(StoreError) {
        let latest = try catalog.environment.read { txn throws(StoreError) in try Catalog.info(txn) }
        guard let latest, latest.sequence != indexLock.withShared({ indexSequence }) else { return }
        try writer.withLock { (_) throws(StoreError) in
            let current = indexLock.withShared { indexSequence }
            guard latest.sequence > current else { return }
            let caughtUp: Void? = try? indexLock.withExclusive { () throws(StoreError) in
                try replay(into: index, after: current, upTo: latest.sequence)
                indexSequence = latest.sequence
            }
            if caughtUp == nil { try loadIndex(info: latest) }  // the writer saved and trimmed its log: reload
        }
    }
}
