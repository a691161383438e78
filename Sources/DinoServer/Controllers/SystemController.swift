import DinoSearch
import Foundation
import Hummingbird

/// Routes about the server itself: liveness, store statistics, metrics and the API's own description.
struct SystemController<Context: RequestContext> {
    let engine: SearchEngine
    let metrics: ServerMetrics
    let thumbnails: Thumbnails

    struct Stats: Encodable {
        var images: Int
        var model: String
        var dimension: Int
        var layout: String
        /// The store's directory and a short name for it (its folder's name) for a page's header.
        var store: String
        var name: String
        var indexedVectors: Int
        var catalogBytes: Int64
        var indexBytes: Int64
        var rebuildAdvised: Bool
        enum CodingKeys: String, CodingKey {
            case images, model, dimension, layout, store, name, indexedVectors = "indexed_vectors"
            case catalogBytes = "catalog_bytes", indexBytes = "index_bytes", rebuildAdvised = "rebuild_advised"
        }
    }

    /// Routes outside `/v1`: no authentication.
    func addOpenRoutes(to router: Router<Context>) {
        router.get("healthz") { _, _ in try jsonResponse(["status": "ok"]) }
        router.get("metrics") { _, _ in
            metrics.images.set(Double(engine.store.count))
            metrics.thumbnailsMade.set(Double(thumbnails.made))
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.registry.emitToBuffer())))
        }
        router.get("openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
    }

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("stats") { _, _ in
            let stats = try await offload { try engine.store.stats() }
            let directory = engine.store.directory
            return try jsonResponse(Stats(
                images: stats.images, model: stats.model, dimension: stats.dimension, layout: stats.layout,
                store: directory, name: (directory as NSString).lastPathComponent, indexedVectors: stats.indexedVectors,
                catalogBytes: stats.catalogBytes, indexBytes: stats.indexBytes, rebuildAdvised: stats.rebuildAdvised))
        }
    }
}
