import DinoSearch
import Foundation
import Hummingbird

/// `POST /v1/search`: by image bytes (parameters in the query string) or by JSON naming a stored key or a vector.
struct SearchController<Context: RequestContext> {
    let pipeline: ImagePipeline
    let maxUpload: Int
    var engine: SearchEngine { pipeline.engine }

    struct Query: Decodable {
        var key: String?
        var vector: [Float]?
        var k: Int?
        var minScore: Float?
        var prefix: String?
        enum CodingKeys: String, CodingKey { case key, vector, k, minScore = "min_score", prefix }
    }

    struct Hit: Encodable {
        var rank: Int, score: Float, key: String, id: UInt64
        /// What a person sees beside the picture: its pixel size and its file's (or upload's) size in bytes.
        var width: Int, height: Int, bytes: Int64
    }
    struct Answer: Encodable {
        var results: [Hit]
        var tookMs: Double
        enum CodingKeys: String, CodingKey { case results, tookMs = "took_ms" }
    }

    func addRoutes(to group: RouterGroup<Context>) {
        group.post("search") { request, _ in
            let start = ContinuousClock.now
            let parameters = QueryParameters(request: request)
            var k = try parameters.int("k", in: 1...Limits.maxK) ?? 10
            var minScore = try parameters.float("min_score", in: -1...1)
            var prefix = parameters.string("prefix")
            let vector: [Float]
            if RequestBody.isJSON(request) {
                let query = try await RequestBody.json(Query.self, request, limit: maxUpload)
                if let value = query.k { k = try QueryParameters.check(value, "k", 1...Limits.maxK) }
                if let value = query.minScore { minScore = try QueryParameters.check(value, "min_score", -1...1) }
                prefix = query.prefix ?? prefix
                switch (query.key, query.vector) {
                case (let key?, nil): vector = try await engine.storedVector(key: key).vector
                case (nil, let given?): vector = given
                default: throw APIError.badRequest("give exactly one of 'key' and 'vector'")
                }
            } else {
                vector = try await pipeline.admitted {
                    try await pipeline.embed(try await RequestBody.image(request, limit: maxUpload), name: "query image").vector
                }
            }
            let results = try await offload { [k, minScore, prefix] in
                try engine.search(vector: vector, k: k, minimumScore: minScore, prefix: prefix)
            }
            let hits = results.enumerated().map { rank, hit in
                Hit(rank: rank + 1, score: hit.score, key: hit.record.path, id: hit.id, width: hit.record.width,
                    height: hit.record.height, bytes: hit.record.fileSize)
            }
            let took = ContinuousClock.now - start
            return try jsonResponse(Answer(results: hits, tookMs: Double(took.nanoseconds) / 1e6))
        }
    }
}
