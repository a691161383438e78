import DinoSearch
import Hummingbird

/// `POST /v1/embed`: an image's DINOv2 embedding, nothing stored (Immich's `/predict` use: the caller keeps the vector).
struct EmbedController<Context: RequestContext> {
    let pipeline: ImagePipeline
    let maxUpload: Int

    struct Embedding: Encodable { var embedding: [Float]; var model: String; var width: Int; var height: Int }

    func addRoutes(to group: RouterGroup<Context>) {
        group.post("embed") { request, _ in
            let image = try await pipeline.admitted {
                try await pipeline.embed(try await RequestBody.image(request, limit: maxUpload), name: "upload")
            }
            return try jsonResponse(Embedding(
                embedding: image.vector, model: pipeline.engine.encoder.fingerprint, width: image.width,
                height: image.height))
        }
    }
}
