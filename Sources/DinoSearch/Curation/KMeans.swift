import CDinoFaiss
import Foundation

/// How `Store.cluster` runs k-means.
public struct KMeansParameters: Sendable {
    /// Number of clusters (the DINOv2 paper used 100,000 over 1.2 billion images).
    public var clusters: Int
    /// Lloyd iterations (Faiss's default is 25; 20 is where the objective stops moving on our measurements).
    public var iterations: Int = 20
    /// Seeds the training sample and Faiss's initial centroids: the same seed gives the same clusters.
    public var seed: Int = 1
    /// Training points per centroid: Faiss samples 256 per centroid and warns below 39; the sample is drawn
    /// from the whole store, then every vector is assigned.
    public var pointsPerCentroid: Int = 256

    public init(clusters: Int, iterations: Int = 20, seed: Int = 1, pointsPerCentroid: Int = 256) {
        self.clusters = clusters
        self.iterations = iterations
        self.seed = seed
        self.pointsPerCentroid = pointsPerCentroid
    }
}

/// The result of `Store.cluster`: centroids and every stored image assigned to its nearest one.
public struct Clustering: Sendable {
    /// One member of a cluster and its cosine to the centroid.
    public struct Member: Sendable, Hashable {
        public var id: UInt64
        public var score: Float
    }

    /// Embedding dimension.
    public var dimension: Int
    /// Unit-length centroids, row-major (clusters × dimension).
    public var centroids: [Float]
    /// Members of each cluster, nearest its centroid first (empty clusters stay, as Faiss leaves them possible).
    public var members: [[Member]]
    /// Sum over every assigned image of its cosine to its centroid: the spherical k-means objective (higher is better).
    public var objective: Double
    /// The training sample's objective after the last iteration, as Faiss reports it.
    public var trainingObjective: Double
    /// Images in the training sample.
    public var trainedOn: Int

    public var count: Int { members.count }

    /// The centroid nearest to a vector (any length; compared by cosine) and that cosine.
    public func nearest(to vector: [Float]) -> (cluster: Int, score: Float) {
        var norm: Float = 0
        for v in vector { norm += v * v }
        let scale = norm > 0 ? 1 / norm.squareRoot() : 0
        var best = (cluster: 0, score: -Float.infinity)
        for c in 0..<count {
            var dot: Float = 0
            for d in 0..<dimension { dot += centroids[c * dimension + d] * vector[d] }
            if dot * scale > best.score { best = (c, dot * scale) }
        }
        return best
    }
}

extension Store {
    /// Spherical k-means over every stored vector with Faiss's `Clustering`: trained on a seeded random sample
    /// of `pointsPerCentroid` vectors per cluster (all vectors when the store is smaller), then every vector
    /// assigned to its nearest centroid by cosine. Reads only; cancellable between chunks.
    /// - Throws: `StoreError.invalidArgument` for an empty store, fewer than one or more clusters than images.
    public func cluster(_ parameters: KMeansParameters, progress: CurationProgressHandler? = nil) async throws -> Clustering {
        try await offloadCancellable { [self] cancel in try cluster(parameters, cancel: cancel, progress: progress) }
    }

    func cluster(_ parameters: KMeansParameters, cancel: CancellationFlag?, progress: CurationProgressHandler?) throws -> Clustering {
        let k = parameters.clusters
        let total = count
        guard total > 0 else { throw StoreError(.invalidArgument, path: directory, "the store is empty: nothing to cluster") }
        guard k >= 1, k <= total else {
            throw StoreError(.invalidArgument, path: directory, "cannot make \(k) clusters of \(total) images (at most one per image)")
        }
        guard parameters.iterations >= 1, parameters.pointsPerCentroid >= 1 else {
            throw StoreError(.invalidArgument, path: directory, "iterations and points per centroid must be at least 1")
        }

        // The sample: rows chosen at random (seeded) among the store's rows in id order, read in one pass.
        let sampleSize = min(total, k.multipliedReportingOverflow(by: parameters.pointsPerCentroid).overflow
                             ? total : k * parameters.pointsPerCentroid)
        var generator = SplitMix64(seed: UInt64(bitPattern: Int64(parameters.seed)))
        var chosen = Array(0..<total)
        for i in 0..<sampleSize { chosen.swapAt(i, i + Int(generator.next() % UInt64(total - i))) }
        let rows = chosen[..<sampleSize].sorted()
        chosen = []
        var sample: [Float] = []
        sample.reserveCapacity(sampleSize * dimension)
        let sampling = StageProgress(stage: .sampling, total: total, handler: progress)
        sampling.report(0)
        var row = 0, next = 0
        try forEachVectorChunk(chunk: 65_536, cancel: cancel) { _, vectors in
            let n = vectors.count / dimension
            while next < rows.count, rows[next] < row + n {
                let r = rows[next] - row
                sample += vectors[(r * dimension)..<((r + 1) * dimension)]
                next += 1
            }
            row += n
            sampling.report(min(row, total))
        }
        let trainedOn = sample.count / dimension
        guard trainedOn >= k else {
            throw StoreError(.invalidArgument, path: directory, "cannot make \(k) clusters of \(trainedOn) images")
        }
        try cancel?.check()

        var centroids = [Float](repeating: 0, count: k * dimension)
        var trainingObjective: Float = 0
        var message = [CChar](repeating: 0, count: 512)
        let status = dino_kmeans(
            Int32(dimension), Int64(trainedOn), sample, Int64(k), Int32(parameters.iterations),
            Int32(truncatingIfNeeded: parameters.seed), &centroids, &trainingObjective, &message, message.count)
        guard status == 0 else {
            let reason = message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw StoreError(.index, path: directory, "k-means failed in Faiss: \(reason)")
        }
        sample = []

        // Assignment: every stored vector against the centroids, exactly (a flat inner-product index).
        let assigner = try VectorIndex.make(IndexLayout.exact, dimension: dimension)
        try assigner.add(centroids, ids: (0..<Int64(k)).map { $0 })
        var members = [[Clustering.Member]](repeating: [], count: k)
        var objective: Double = 0
        let assigning = StageProgress(stage: .assigning, total: total, handler: progress)
        assigning.report(0)
        var assigned = 0
        try forEachVectorChunk(chunk: 16_384, cancel: cancel) { ids, vectors in
            for (id, nearest) in zip(ids, try assigner.search(vectors, k: 1)) {
                guard let best = nearest.first else { continue }
                members[Int(best.id)].append(Clustering.Member(id: id, score: best.score))
                objective += Double(best.score)
            }
            assigned += ids.count
            assigning.report(assigned)
        }
        for c in members.indices {
            members[c].sort { $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id }
        }
        return Clustering(
            dimension: dimension, centroids: centroids, members: members, objective: objective,
            trainingObjective: Double(trainingObjective), trainedOn: trainedOn)
    }
}

/// A small, fast, seedable generator (Steele, Lea and Flood's SplitMix64): the sample must be the same for a
/// seed on every platform, which `SystemRandomNumberGenerator` cannot promise.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
