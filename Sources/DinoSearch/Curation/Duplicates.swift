import Foundation

/// How `Store.duplicates` groups near-duplicates.
public struct DuplicateParameters: Sendable {
    /// Cosine at or above which two images are near-duplicates: a starting point, not tuned on real DINOv2 weights
    /// (README, "Duplicates, retrieval and clusters"). Lower it to join burst shots and crops, raise it towards
    /// 0.99 (Immich's setting for CLIP) for only the closest copies.
    public var threshold: Float = 0.95
    /// Neighbours searched per image (the DINOv2 paper's pipeline used 64). A group larger than this is still
    /// found whole when its members link up through each other.
    public var neighbors: Int = 16
    /// Folders whose images are kept before any other (a reference collection).
    public var keepIn: [String] = []
    /// IVF lists visited per neighbour search on an IVF store (nil: at least 32, a 64th of the lists, at most the
    /// store's own setting). Raise it if a low threshold misses pairs; exact stores ignore it.
    public var nprobe: Int? = nil

    public init(threshold: Float = 0.95, neighbors: Int = 16, keepIn: [String] = [], nprobe: Int? = nil) {
        self.threshold = threshold
        self.neighbors = neighbors
        self.keepIn = keepIn
        self.nprobe = nprobe
    }
}

/// One group of near-duplicates: the image to keep and the others, most similar first.
public struct DuplicateGroup: Sendable, Hashable {
    public var keep: ImageRecord
    /// The others, scored by the cosine of their stored vector with the kept image's.
    public var duplicates: [ScoredImage]
    /// Every image of the group, the kept one first.
    public var count: Int { 1 + duplicates.count }
}

/// What `Store.duplicates` found.
public struct DuplicateReport: Sendable {
    /// Images examined (the whole store).
    public var images: Int
    /// Groups of two or more, largest first.
    public var groups: [DuplicateGroup]
    /// Paths of every image that is not kept, group by group: what `dinosearch duplicates --redundant` prints.
    public var redundant: [String] { groups.flatMap { $0.duplicates.map(\.record.path) } }
}

/// A stored image that is a near-duplicate of an outside image (`Store.duplicates(of:)`).
public struct DuplicateMatch: Sendable, Hashable {
    public var record: ImageRecord
    /// The outside image it matches best.
    public var match: String
    public var score: Float
}

/// A stored image and a cosine score (what it is a score against depends on the result that holds it).
public struct ScoredImage: Sendable, Hashable {
    public var record: ImageRecord
    public var score: Float
}

/// A vector to compare with the store, and the name reports give it (the path of the image it came from).
public struct NamedVector: Sendable {
    public var name: String
    public var vector: [Float]
    /// The stored image this vector came from, if any: searches leave it out of its own results.
    public var storedID: UInt64?

    public init(name: String, vector: [Float], storedID: UInt64? = nil) {
        self.name = name
        self.vector = vector
        self.storedID = storedID
    }
}

extension Store {
    /// Groups of near-duplicates over the whole store, the way the DINOv2 paper deduplicated its data: each
    /// image's nearest neighbours, pairs with cosine ≥ `threshold` joined, connected components. Byte-identical
    /// files (same content hash) are always one group. One image per group is kept: images under a `keepIn`
    /// folder first, then the most pixels, the largest file, the oldest, and the path, in that order.
    ///
    /// Reads only; safe beside a writer. Cancelling the calling task stops it between chunks (`CancellationError`).
    /// - Throws: `StoreError.invalidArgument` for a threshold outside [−1, 1] or fewer than one neighbour.
    public func duplicates(
        _ parameters: DuplicateParameters = DuplicateParameters(), progress: CurationProgressHandler? = nil
    ) async throws -> DuplicateReport {
        guard (-1...1).contains(parameters.threshold) else {
            throw StoreError(.invalidArgument, path: directory, "threshold \(parameters.threshold) is outside [-1, 1]")
        }
        guard parameters.neighbors >= 1, (parameters.nprobe ?? 1) >= 1 else {
            throw StoreError(.invalidArgument, path: directory, "neighbours and lists to visit must be at least 1")
        }
        return try await offloadCancellable { [self] cancel in
            let graph = try neighborGraph(
                threshold: parameters.threshold, neighbors: parameters.neighbors, nprobe: parameters.nprobe,
                cancel: cancel, progress: progress)
            var components = UnionFind(count: graph.ids.count)
            for edge in graph.edges { components.union(Int(edge.a), Int(edge.b)) }
            try joinIdenticalFiles(graph, &components)
            try cancel.check()
            return try groups(of: &components, graph, keepIn: parameters.keepIn)
        }
    }

    /// Unites images whose files have the same SHA-256 (the `hashes` table is sorted by hash, so they are adjacent).
    private func joinIdenticalFiles(_ graph: NeighborGraph, _ components: inout UnionFind) throws(StoreError) {
        try catalog.environment.read { txn throws(StoreError) in
            var previous: (hash: Data, node: Int)? = nil
            try txn.scan("hashes") { key, _ in
                guard key.count > 9 else { return true }  // "" + "/" + id: an image added without a hash
                let hash = key.prefix(key.count - 8)
                guard let node = graph.node(Catalog.id(key.suffix(8))) else { return true }
                if let previous, previous.hash == hash { components.union(previous.node, node) }
                previous = (hash, node)
                return true
            }
        }
    }

    /// The components of two or more images as groups, with their kept image and scores.
    private func groups(of components: inout UnionFind, _ graph: NeighborGraph, keepIn: [String]) throws -> DuplicateReport {
        var members: [Int: [Int]] = [:]
        for node in graph.ids.indices where components.size(of: node) > 1 {
            members[components.find(node), default: []].append(node)
        }
        let records = try self.records(ids: members.values.joined().map { graph.ids[$0] })
        let folders = keepIn.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        func isReference(_ record: ImageRecord) -> Bool {
            folders.contains { record.path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }
        }
        // The keep rule, as a strict order: true when `a` is kept in preference to `b`.
        func preferred(_ a: ImageRecord, _ b: ImageRecord) -> Bool {
            if isReference(a) != isReference(b) { return isReference(a) }
            if a.width * a.height != b.width * b.height { return a.width * a.height > b.width * b.height }
            if a.fileSize != b.fileSize { return a.fileSize > b.fileSize }
            if a.modified != b.modified { return a.modified < b.modified }
            return a.path < b.path
        }
        var groups: [DuplicateGroup] = []
        try catalog.environment.read { txn throws(StoreError) in
            let table = txn.dbi("vectors")
            for nodes in members.values {
                let group = nodes.compactMap { records[graph.ids[$0]] }  // removed since the scan: left out
                guard group.count > 1, let keep = group.min(by: preferred),
                      var kept = try Catalog.vector(txn, id: keep.id, dimension: dimension)
                else { continue }
                kept.withUnsafeMutableBufferPointer { Self.normalise($0) }
                var duplicates: [ScoredImage] = []
                for record in group where record.id != keep.id {
                    let score = try kept.withUnsafeBufferPointer { query throws(StoreError) in
                        try txn.withValue(table, id: record.id) { Catalog.cosine(query, $0) } ?? nil
                    }
                    duplicates.append(ScoredImage(record: record, score: score ?? 0))
                }
                duplicates.sort { $0.score != $1.score ? $0.score > $1.score : $0.record.path < $1.record.path }
                groups.append(DuplicateGroup(keep: keep, duplicates: duplicates))
            }
        }
        groups.sort { $0.count != $1.count ? $0.count > $1.count : $0.keep.path < $1.keep.path }
        return DuplicateReport(images: graph.ids.count, groups: groups)
    }

    /// Relative deduplication: the stored images whose cosine with any of `vectors` is at least `threshold`, each
    /// once with its best match, best first. Every such image is found (searches widen until they pass below the
    /// threshold), up to the index's own recall on IVF layouts.
    public func duplicates(of vectors: [NamedVector], threshold: Float) throws(StoreError) -> [DuplicateMatch] {
        guard (-1...1).contains(threshold) else {
            throw StoreError(.invalidArgument, path: directory, "threshold \(threshold) is outside [-1, 1]")
        }
        var best: [UInt64: DuplicateMatch] = [:]
        for (vector, results) in zip(vectors, try search(atLeast: threshold, vectors)) {
            for result in results where result.id != vector.storedID {
                if best[result.id].map({ result.score > $0.score }) ?? true {
                    best[result.id] = DuplicateMatch(record: result.record, match: vector.name, score: result.score)
                }
            }
        }
        return best.values.sorted { $0.score != $1.score ? $0.score > $1.score : $0.record.path < $1.record.path }
    }

    /// Every stored image with cosine ≥ `threshold` to each vector: all vectors searched in batches of 1,024 at
    /// k = 16, then k quadrupled for those whose k-th result still reached the threshold, until none does.
    func search(atLeast threshold: Float, _ vectors: [NamedVector]) throws(StoreError) -> [[SearchResult]] {
        var results = [[SearchResult]](repeating: [], count: vectors.count)
        let total = count
        var pending = Array(vectors.indices), k = 16
        while !pending.isEmpty {
            var unfinished: [Int] = []
            for start in stride(from: 0, to: pending.count, by: 1024) {
                let batch = Array(pending[start..<min(start + 1024, pending.count)])
                let found = try search(batch.map { vectors[$0].vector }, k: k, minimumScore: threshold)
                for (i, list) in zip(batch, found) {
                    results[i] = list
                    if list.count == k && k < total { unfinished.append(i) }
                }
            }
            pending = unfinished
            k *= 4
        }
        return results
    }
}

/// Disjoint sets over 0..<count with union by size and path halving.
struct UnionFind {
    private var parent: [Int32]
    private var sizes: [Int32]

    init(count: Int) {
        parent = (0..<Int32(count)).map { $0 }
        sizes = Array(repeating: 1, count: count)
    }

    mutating func find(_ x: Int) -> Int {
        var x = Int32(x)
        while parent[Int(x)] != x {
            parent[Int(x)] = parent[Int(parent[Int(x)])]
            x = parent[Int(x)]
        }
        return Int(x)
    }

    mutating func union(_ a: Int, _ b: Int) {
        var (ra, rb) = (find(a), find(b))
        guard ra != rb else { return }
        if sizes[ra] < sizes[rb] { swap(&ra, &rb) }
        parent[rb] = Int32(ra)
        sizes[ra] += sizes[rb]
    }

    /// Size of the set holding `x`.
    mutating func size(of x: Int) -> Int { Int(sizes[find(x)]) }
}
