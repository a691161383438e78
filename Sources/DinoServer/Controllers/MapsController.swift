import DinoImage
import DinoSearch
import Foundation
import HTTPTypes
import Hummingbird

/// The PCA map of an image's patch features (the DINOv2 paper's Fig. 1): `GET /v1/maps/{key}` for a stored image,
/// `POST /v1/maps` for an upload. `format=png` (default) draws the map at the model's input size, `format=npy`
/// returns the patch tokens (rows × columns × D, float32). The PCA is fitted on the image alone.
struct MapsController<Context: RequestContext> {
    let pipeline: ImagePipeline
    let thumbnails: Thumbnails
    let maxUpload: Int
    var engine: SearchEngine { pipeline.engine }

    struct Options {
        var resolution: Int, threshold: Double, npy: Bool
        init(_ request: Request) throws {
            let query = QueryParameters(request: request)
            resolution = try query.int("resolution", in: 14...1344) ?? 448
            threshold = Double(try query.float("threshold", in: -1000...1000) ?? 0)
            switch query.string("format") ?? "png" {
            case "png": npy = false
            case "npy": npy = true
            case let other: throw APIError.badRequest("'format' must be png or npy, not '\(other)'")
            }
        }
    }

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("maps/**") { request, _ in
            let key = try ImageKey(request, after: "/v1/maps/")
            let options = try Options(request)
            guard let record = try await offload({ try engine.store.record(path: key.value) }) else {
                throw APIError.notFound("no image with key '\(key.value)'")
            }
            let features = try await pipeline.admitted {
                try await Self.features(
                    of: record, key: key.value, resolution: options.resolution, engine: engine, thumbnails: thumbnails)
            }
            return try await Self.response(features, options)
        }

        group.post("maps") { request, _ in
            let options = try Options(request)
            let features = try await pipeline.admitted {
                let bytes = try await RequestBody.image(request, limit: maxUpload)
                return try await engine.patchFeatures(bytes, name: "upload", resolution: options.resolution)
            }
            return try await Self.response(features, options)
        }
    }

    /// A stored image's patch tokens: from its indexed file, or for a key added over HTTP from the large thumbnail
    /// kept from its upload (the only picture there is).
    static func features(
        of record: ImageRecord, key: String, resolution: Int, engine: SearchEngine, thumbnails: Thumbnails
    ) async throws -> (tokens: PatchTokens, image: DenseImage) {
        switch try engine.store.indexedFile(of: record) {
        case .success(let path):
            return try await engine.patchFeatures(contentsOf: path, resolution: resolution)
        case .failure(.notAFile):
            guard let kept = thumbnails.kept(contentHash: record.contentHash, size: 1024) else {
                throw FilesController<Context>.error(.notAFile, key: key)
            }
            return try await engine.patchFeatures(kept, name: key, resolution: resolution)
        case .failure(let problem):
            throw FilesController<Context>.error(problem, key: key)
        }
    }

    static func response(_ features: (tokens: PatchTokens, image: DenseImage), _ options: Options) async throws -> Response {
        let tokens = features.tokens, image = features.image
        var headers: HTTPFields = [.cacheControl: "no-store"]
        headers[HTTPField.Name("X-Patch-Grid")!] = "\(tokens.columns)x\(tokens.rows)"
        if options.npy {
            headers[.contentType] = "application/octet-stream"
            headers[.contentDisposition] = "attachment; filename=\"tokens.npy\""
            let bytes = NumpyWriter.encode(tokens.tokens, shape: [tokens.rows, tokens.columns, tokens.width])
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        let (png, share) = try await offload { () throws -> ([UInt8], Double) in
            let pca: PatchPCA
            do {
                pca = try PatchPCA(fitting: [tokens], threshold: options.threshold)
            } catch {
                throw APIError(.unprocessableContent, "undecodable_image", "no patch map: \(error)")
            }
            let map = pca.map(tokens)
            let share = Double(map.foreground.filter { $0 }.count) / Double(max(map.foreground.count, 1))
            let png = try PNGEncoder.encode(map.rendered(width: image.inputWidth, height: image.inputHeight),
                                            width: image.inputWidth, height: image.inputHeight)
            return (png, share)
        }
        headers[HTTPField.Name("X-Foreground")!] = String(format: "%.3f", share)
        headers[.contentType] = "image/png"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: png)))
    }
}
