import Foundation

/// A stored image retrieved around a set of seeds.
public struct RetrievedImage: Sendable, Hashable {
    public var record: ImageRecord
    /// The best cosine with any seed that retrieved it.
    public var score: Float
    /// Every seed that retrieved it (the DINOv2 paper's "collisions"), best first.
    public var seeds: [String]
}

/// The images one cluster contributes to a cluster-based retrieval.
public struct ClusterSelection: Sendable, Hashable {
    public var cluster: Int
    /// Images in the cluster.
    public var size: Int
    /// The seeds whose nearest centroid it is.
    public var seeds: [String]
    /// Up to `perCluster` images, nearest the centroid first, scored by their cosine to it.
    public var images: [ScoredImage]
}

extension Store {
    /// Sample-based retrieval (the DINOv2 paper's, around a curated set): for each seed its `k` nearest stored
    /// images with cosine ≥ `minimumScore`, a seed's own stored image left out; the union, each image once with
    /// the seeds that retrieved it, best score first. Exact on the exact layout; on IVF the store's recall applies.
    public func retrieve(_ seeds: [NamedVector], k: Int, minimumScore: Float? = nil) throws(StoreError) -> [RetrievedImage] {
        guard k >= 1 else { throw StoreError(.invalidArgument, path: directory, "k must be at least 1") }
        if let minimumScore, !(-1...1).contains(minimumScore) {
            throw StoreError(.invalidArgument, path: directory, "minimum score \(minimumScore) is outside [-1, 1]")
        }
        guard !seeds.isEmpty else { return [] }
        // One more than k, in case the seed finds itself.
        let lists = try search(seeds.map(\.vector), k: k + 1, minimumScore: minimumScore)
        var found: [UInt64: (record: ImageRecord, hits: [(seed: String, score: Float)])] = [:]
        for (seed, results) in zip(seeds, lists) {
            for result in results.filter({ $0.id != seed.storedID }).prefix(k) {
                found[result.id, default: (result.record, [])].hits.append((seed.name, result.score))
            }
        }
        return found.values.map { entry in
            let hits = entry.hits.sorted { $0.score != $1.score ? $0.score > $1.score : $0.seed < $1.seed }
            return RetrievedImage(record: entry.record, score: hits[0].score, seeds: hits.map(\.seed))
        }.sorted { $0.score != $1.score ? $0.score > $1.score : $0.record.path < $1.record.path }
    }

    /// Cluster-based retrieval (the DINOv2 paper's, with 100,000 clusters): each seed is assigned to its nearest
    /// centroid; every cluster holding at least `minimumSeeds` seeds contributes up to `perCluster` images,
    /// nearest its centroid first. Clusters with the most seeds first.
    public func retrieve(
        _ seeds: [NamedVector], byCluster clustering: Clustering, minimumSeeds: Int, perCluster: Int
    ) throws(StoreError) -> [ClusterSelection] {
        guard minimumSeeds >= 1, perCluster >= 1 else {
            throw StoreError(.invalidArgument, path: directory, "minimum seeds and images per cluster must be at least 1")
        }
        var seedsOf: [Int: [String]] = [:]
        for seed in seeds { seedsOf[clustering.nearest(to: seed.vector).cluster, default: []].append(seed.name) }
        var selections: [ClusterSelection] = []
        for (cluster, names) in seedsOf where names.count >= minimumSeeds {
            let members = clustering.members[cluster].prefix(perCluster)
            let records = try self.records(ids: members.map(\.id))
            selections.append(ClusterSelection(
                cluster: cluster, size: clustering.members[cluster].count, seeds: names.sorted(),
                images: members.compactMap { member in records[member.id].map { ScoredImage(record: $0, score: member.score) } }))
        }
        return selections.sorted { $0.seeds.count != $1.seeds.count ? $0.seeds.count > $1.seeds.count : $0.cluster < $1.cluster }
    }
}
