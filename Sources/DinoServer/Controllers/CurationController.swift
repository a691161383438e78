import DinoSearch
import Foundation
import Hummingbird
import Synchronization

/// The curation pipeline over the whole store (`dinosearch duplicates`, `retrieve`, `cluster`):
/// `GET /v1/duplicates`, `POST /v1/retrieve`, `POST /v1/clusters`. One such operation runs at a time (each reads
/// every vector); a second one meanwhile gets 503 with `Retry-After`.
final class CurationController<Context: RequestContext>: Sendable {
    let engine: SearchEngine
    let maxUpload: Int
    private let busy = Atomic<Bool>(false)

    init(engine: SearchEngine, maxUpload: Int) {
        self.engine = engine
        self.maxUpload = maxUpload
    }

    struct Image: Encodable { var key: String; var id: UInt64; var score: Float }
    struct Kept: Encodable { var key: String; var id: UInt64; var width: Int; var height: Int }
    struct Group: Encodable { var keep: Kept; var duplicates: [Image] }
    struct DuplicatesReport: Encodable { var images: Int; var groups: [Group] }

    struct RetrieveQuery: Decodable {
        var keys: [String]?
        var vectors: [[Float]]?
        var k: Int?
        var minScore: Float?
        enum CodingKeys: String, CodingKey { case keys, vectors, k, minScore = "min_score" }
    }
    struct Retrieved: Encodable { var key: String; var id: UInt64; var score: Float; var seeds: [String] }
    struct RetrieveReport: Encodable { var seeds: Int; var results: [Retrieved] }

    struct ClusterQuery: Decodable {
        var clusters: Int
        var iterations: Int?
        var seed: Int?
        var sample: Int?
    }
    struct Cluster: Encodable { var cluster: Int; var size: Int; var images: [Image] }
    struct ClusterReport: Encodable { var images: Int; var objective: Double; var clusters: [Cluster] }

    func addRoutes(to group: RouterGroup<Context>) {
        let engine = engine
        group.get("duplicates") { [self] request, _ in
            let query = QueryParameters(request: request)
            let threshold = try query.float("threshold", in: -1...1) ?? DuplicateParameters().threshold
            let neighbors = try query.int("neighbors", in: 1...1024) ?? DuplicateParameters().neighbors
            let report = try await exclusively {
                try await engine.store.duplicates(DuplicateParameters(threshold: threshold, neighbors: neighbors))
            }
            return try jsonResponse(DuplicatesReport(images: report.images, groups: report.groups.map { group in
                Group(keep: Kept(key: group.keep.path, id: group.keep.id, width: group.keep.width, height: group.keep.height),
                      duplicates: group.duplicates.map { Image(key: $0.record.path, id: $0.record.id, score: $0.score) })
            }))
        }

        group.post("retrieve") { [self] request, _ in
            let query = try await RequestBody.json(RetrieveQuery.self, request, limit: maxUpload)
            let k = try QueryParameters.check(query.k ?? 4, "k", 1...Limits.maxK)
            var seeds: [NamedVector] = []
            for key in query.keys ?? [] {
                let (vector, id) = try await engine.storedVector(key: key)
                seeds.append(NamedVector(name: key, vector: vector, storedID: id))
            }
            for (i, vector) in (query.vectors ?? []).enumerated() { seeds.append(NamedVector(name: "vector \(i)", vector: vector)) }
            guard !seeds.isEmpty else { throw APIError.badRequest("give seed images as 'keys' or 'vectors'") }
            let retrieved = try await exclusively { [seeds] in
                try await offload { try engine.store.retrieve(seeds, k: k, minimumScore: query.minScore) }
            }
            return try jsonResponse(RetrieveReport(seeds: seeds.count, results: retrieved.map {
                Retrieved(key: $0.record.path, id: $0.record.id, score: $0.score, seeds: $0.seeds)
            }))
        }

        group.post("clusters") { [self] request, _ in
            let query = try await RequestBody.json(ClusterQuery.self, request, limit: maxUpload)
            let clusters = try QueryParameters.check(query.clusters, "clusters", 1...1_000_000)
            let iterations = try QueryParameters.check(query.iterations ?? 20, "iterations", 1...1000)
            let sample = try QueryParameters.check(query.sample ?? 10, "sample", 1...1_000_000)
            let parameters = KMeansParameters(clusters: clusters, iterations: iterations, seed: query.seed ?? 1)
            let report = try await exclusively {
                let clustering = try await engine.store.cluster(parameters)
                return try await offload { () throws -> ClusterReport in
                    var report = ClusterReport(images: 0, objective: clustering.objective, clusters: [])
                    for (c, members) in clustering.members.enumerated() {
                        let shown = members.prefix(sample)
                        let records = try engine.store.records(ids: shown.map(\.id))
                        report.images += members.count
                        report.clusters.append(Cluster(cluster: c, size: members.count, images: shown.compactMap { member in
                            records[member.id].map { Image(key: $0.path, id: member.id, score: member.score) }
                        }))
                    }
                    return report
                }
            }
            return try jsonResponse(report)
        }
    }

    /// Runs a whole-store operation unless another one is running (then 503).
    private func exclusively<T: Sendable>(_ operation: @Sendable () async throws -> T) async throws -> T {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            throw APIError.overloaded("another duplicates, retrieve or clusters request is running", retryAfter: 10)
        }
        defer { busy.store(false, ordering: .releasing) }
        return try await operation()
    }
}
