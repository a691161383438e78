import DinoSearch
import Foundation
import Hummingbird

/// A background job as `/v1/progress` reports it.
protocol ProgressReporting: Sendable {
    var operation: String { get }
    /// nil: nothing running; `.some(nil)`: running, no progress reported yet.
    var currentProgress: CurationProgress?? { get }
}

extension BackgroundJob: ProgressReporting {
    var currentProgress: CurationProgress?? { progress }
}

/// Clusters as a person browses them, a page at a time: `GET /v1/clusters` (cards, largest first, with the images
/// nearest each centroid), `GET /v1/clusters/members` (one cluster's members) and `GET /v1/progress`. The
/// k-means behind them runs once in the background (202 with its progress until it is done) and is kept in
/// the store until the store changes.
struct ClusterListingController<Context: RequestContext> {
    let engine: SearchEngine
    let jobs: BackgroundJob<KMeansParameters, Clustering>
    /// Every background job, for `/v1/progress`.
    let all: [any ProgressReporting]

    struct Member: Encodable {
        var key: String, id: UInt64, score: Float, width: Int, height: Int, bytes: Int64
    }
    struct Card: Encodable {
        var cluster: Int, size: Int, meanScore: Float, images: [Member]
        enum CodingKeys: String, CodingKey { case cluster, size, meanScore = "mean_score", images }
    }
    struct Listing: Encodable {
        var status = "ready"
        var images: Int, clusters: Int, objective: Double, offset: Int, cards: [Card]
    }
    struct Members: Encodable {
        var status = "ready"
        var cluster: Int, size: Int, meanScore: Float, offset: Int, members: [Member]
        enum CodingKeys: String, CodingKey { case status, cluster, size, meanScore = "mean_score", offset, members }
    }
    struct Running: Encodable {
        var status = "running"
        var progress: Progress?
    }
    struct Progress: Encodable {
        var operation: String, stage: String, done: Int, total: Int, elapsed: Double, remaining: Double?
        init(_ progress: CurationProgress, operation: String = "clusters") {
            (self.operation, stage, done, total) = (operation, progress.stage.rawValue, progress.done, progress.total)
            (elapsed, remaining) = (progress.elapsed, progress.remaining)
        }
    }
    struct Idle: Encodable { var status = "idle" }

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("clusters") { request, _ in
            let query = QueryParameters(request: request)
            let parameters = try Self.parameters(query)
            let offset = try query.int("offset", in: 0...Int(Int32.max)) ?? 0
            let limit = try query.int("limit", in: 1...500) ?? 48
            let sample = try query.int("sample", in: 1...16) ?? 4
            let clustering: Clustering
            switch try await offload({ try jobs.state(parameters) }) {
            case .running(let progress): return try jsonResponse(Running(progress: progress.map { Progress($0) }), status: .accepted)
            case .ready(let ready): clustering = ready
            }
            let order = Self.largestFirst(clustering)
            let shown = order.dropFirst(offset).prefix(limit)
            let records = try await offload {
                try engine.store.records(ids: shown.flatMap { clustering.members[$0].prefix(sample).map(\.id) })
            }
            let cards = shown.map { c in
                let members = clustering.members[c]
                return Card(cluster: c, size: members.count, meanScore: Self.mean(members),
                            images: members.prefix(sample).compactMap { Self.member($0, records) })
            }
            return try jsonResponse(Listing(
                images: clustering.members.reduce(0) { $0 + $1.count }, clusters: clustering.count,
                objective: clustering.objective, offset: offset, cards: cards))
        }

        group.get("clusters/members") { request, _ in
            let query = QueryParameters(request: request)
            let parameters = try Self.parameters(query)
            guard let cluster = try query.int("cluster", in: 0...(parameters.clusters - 1)) else {
                throw APIError.badRequest("'cluster' is required (0 to \(parameters.clusters - 1))")
            }
            let offset = try query.int("offset", in: 0...Int(Int32.max)) ?? 0
            let limit = try query.int("limit", in: 1...500) ?? 60
            let clustering: Clustering
            switch try await offload({ try jobs.state(parameters) }) {
            case .running(let progress): return try jsonResponse(Running(progress: progress.map { Progress($0) }), status: .accepted)
            case .ready(let ready): clustering = ready
            }
            guard cluster < clustering.count else { throw APIError.notFound("no cluster \(cluster)") }
            let members = clustering.members[cluster]
            let page = Array(members.dropFirst(offset).prefix(limit))
            let records = try await offload { try engine.store.records(ids: page.map(\.id)) }
            return try jsonResponse(Members(
                cluster: cluster, size: members.count, meanScore: Self.mean(members), offset: offset,
                members: page.compactMap { Self.member($0, records) }))
        }

        group.get("progress") { _, _ in
            for job in all {
                if let progress = job.currentProgress {
                    return try jsonResponse(Running(progress: progress.map { Progress($0, operation: job.operation) }))
                }
            }
            return try jsonResponse(Idle())
        }
    }

    static func parameters(_ query: QueryParameters) throws -> KMeansParameters {
        guard let clusters = try query.int("clusters", in: 1...1_000_000) else {
            throw APIError.badRequest("'clusters' is required")
        }
        let seed = try query.int("seed", in: Int(Int32.min)...Int(Int32.max)) ?? 1
        let iterations = try query.int("iterations", in: 1...1000) ?? 20
        return KMeansParameters(clusters: clusters, iterations: iterations, seed: seed)
    }

    /// Cluster numbers, largest first (ties by number, so pages are stable).
    static func largestFirst(_ clustering: Clustering) -> [Int] {
        clustering.members.indices.sorted {
            (clustering.members[$0].count, $1) > (clustering.members[$1].count, $0)
        }
    }

    static func mean(_ members: [Clustering.Member]) -> Float {
        members.isEmpty ? 0 : members.reduce(0) { $0 + $1.score } / Float(members.count)
    }

    static func member(_ member: Clustering.Member, _ records: [UInt64: ImageRecord]) -> Member? {
        records[member.id].map {
            Member(key: $0.path, id: member.id, score: member.score, width: $0.width, height: $0.height, bytes: $0.fileSize)
        }
    }
}
