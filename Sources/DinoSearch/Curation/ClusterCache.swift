import Foundation

extension Store {
    /// `cluster(_:progress:)`, kept in the store (`<store>/cache/clusters-k<K>-s<SEED>-i<ITERATIONS>-p<POINTS>.bin`) and
    /// reused while the store is unchanged (same change sequence): a page that shows clusters computes k-means once.
    /// A damaged or stale cache file is simply recomputed.
    public func cachedCluster(
        _ parameters: KMeansParameters, progress: CurationProgressHandler? = nil
    ) async throws -> Clustering {
        if let cached = try cachedClusterIfCurrent(parameters) { return cached }
        let sequence = try changeSequence()
        let clustering = try await cluster(parameters, progress: progress)
        if mode == .readWrite { try? ClusterFile.write(clustering, sequence: sequence, to: clusterCachePath(parameters)) }
        return clustering
    }

    /// The cached clustering for `parameters` if it is current; nil if it must be computed.
    public func cachedClusterIfCurrent(_ parameters: KMeansParameters) throws(StoreError) -> Clustering? {
        let sequence = try changeSequence()
        guard let (clustering, at) = ClusterFile.read(clusterCachePath(parameters)), at == sequence,
              clustering.dimension == dimension else { return nil }
        return clustering
    }

    func clusterCachePath(_ parameters: KMeansParameters) -> String {
        "\(directory)/cache/clusters-k\(parameters.clusters)-s\(parameters.seed)-i\(parameters.iterations)"
            + "-p\(parameters.pointsPerCentroid).bin"
    }
}

/// The cache file's layout, little-endian: "DSCLUST1", the change sequence, clusters, dimension, images (UInt64
/// each), objective and training objective (Float64), trained-on (UInt64), the centroids (Float32), then per
/// cluster its size (UInt64) and its members (id UInt64, score Float32).
enum ClusterFile {
    static let magic = Array("DSCLUST1".utf8)

    static func write(_ clustering: Clustering, sequence: UInt64, to path: String) throws {
        var bytes = magic
        func put<T>(_ value: T) { withUnsafeBytes(of: value) { bytes += $0 } }
        let images = clustering.members.reduce(0) { $0 + $1.count }
        put(sequence.littleEndian)
        put(UInt64(clustering.count).littleEndian)
        put(UInt64(clustering.dimension).littleEndian)
        put(UInt64(images).littleEndian)
        put(clustering.objective.bitPattern.littleEndian)
        put(clustering.trainingObjective.bitPattern.littleEndian)
        put(UInt64(clustering.trainedOn).littleEndian)
        bytes.reserveCapacity(bytes.count + clustering.centroids.count * 4 + clustering.count * 8 + images * 12)
        for value in clustering.centroids { put(value.bitPattern.littleEndian) }
        for members in clustering.members {
            put(UInt64(members.count).littleEndian)
            for member in members {
                put(member.id.littleEndian)
                put(member.score.bitPattern.littleEndian)
            }
        }
        let folder = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// The clustering and the change sequence it was computed at; nil for a missing, short or foreign file.
    static func read(_ path: String) -> (Clustering, UInt64)? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return data.withUnsafeBytes { raw -> (Clustering, UInt64)? in
            var offset = 0
            func take<T: FixedWidthInteger>(_: T.Type) -> T? {
                guard offset + MemoryLayout<T>.size <= raw.count else { return nil }
                defer { offset += MemoryLayout<T>.size }
                return T(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: T.self))
            }
            guard raw.count >= magic.count, Array(raw.prefix(magic.count)) == magic else { return nil }
            offset = magic.count
            guard let sequence = take(UInt64.self), let k = take(UInt64.self), let d = take(UInt64.self),
                  let images = take(UInt64.self), let objective = take(UInt64.self),
                  let training = take(UInt64.self), let trainedOn = take(UInt64.self),
                  k <= 10_000_000, d <= 65_536, images <= UInt64(raw.count) / 12,
                  UInt64(raw.count - offset) >= k * d * 4 + k * 8 + images * 12
            else { return nil }
            var centroids = [Float](repeating: 0, count: Int(k * d))
            for i in centroids.indices { centroids[i] = Float(bitPattern: take(UInt32.self)!) }
            var members: [[Clustering.Member]] = []
            members.reserveCapacity(Int(k))
            var seen: UInt64 = 0
            for _ in 0..<k {
                guard let size = take(UInt64.self), size <= images - seen else { return nil }
                seen += size
                var cluster: [Clustering.Member] = []
                cluster.reserveCapacity(Int(size))
                for _ in 0..<size {
                    guard let id = take(UInt64.self), let score = take(UInt32.self) else { return nil }
                    cluster.append(Clustering.Member(id: id, score: Float(bitPattern: score)))
                }
                members.append(cluster)
            }
            guard seen == images, offset == raw.count else { return nil }
            return (Clustering(dimension: Int(d), centroids: centroids, members: members,
                               objective: Double(bitPattern: objective), trainingObjective: Double(bitPattern: training),
                               trainedOn: Int(trainedOn)), sequence)
        }
    }
}
