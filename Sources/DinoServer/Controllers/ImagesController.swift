import DinoSearch
import Foundation
import Hummingbird

/// `/v1/images/{key}`: add (PUT), read (GET) and remove (DELETE) one image under the backend's own key.
struct ImagesController<Context: RequestContext> {
    let pipeline: ImagePipeline
    let maxUpload: Int
    /// Where thumbnails of uploads are kept; nil keeps none.
    let thumbnails: Thumbnails?
    var engine: SearchEngine { pipeline.engine }

    struct Added: Encodable { var id: UInt64; var key: String; var width: Int; var height: Int }
    struct Record: Encodable {
        var id: UInt64, key: String, width: Int, height: Int, bytes: Int64, sha256: String, added: Double
        init(_ record: ImageRecord) {
            (id, key, width, height) = (record.id, record.path, record.width, record.height)
            (bytes, sha256, added) = (record.fileSize, record.contentHash, record.added)
        }
    }
    struct Deleted: Encodable { var id: UInt64; var key: String; var deleted = true }

    func addRoutes(to group: RouterGroup<Context>) {
        group.put("images/**") { request, _ in
            let key = try ImageKey(request)
            let (bytes, image) = try await pipeline.admitted {
                let bytes = try await RequestBody.image(request, limit: maxUpload)
                return (bytes, try await pipeline.embed(bytes, name: key.value, hashing: true))
            }
            let id = try await pipeline.add(image, size: bytes.count, key: key.value)
            if let thumbnails, let hash = image.contentHash {
                // No file stands behind an uploaded key: its pictures are made now or never — in the background,
                // so uploads are not slowed by them (a thumbnail request meanwhile waits for them).
                await thumbnails.keepLater(bytes, width: image.width, height: image.height, contentHash: hash)
            }
            return try jsonResponse(Added(id: id, key: key.value, width: image.width, height: image.height))
        }
        group.get("images/**") { request, _ in
            let key = try ImageKey(request)
            guard let record = try await offload({ try engine.store.record(path: key.value) }) else {
                throw APIError.notFound("no image with key '\(key.value)'")
            }
            return try jsonResponse(Record(record))
        }
        group.delete("images/**") { request, _ in
            let key = try ImageKey(request)
            let removed = try await offload { () throws -> ImageRecord? in
                guard let record = try engine.store.record(path: key.value) else { return nil }
                return try engine.store.remove(ids: [record.id]) > 0 ? record : nil
            }
            guard let removed else { throw APIError.notFound("no image with key '\(key.value)'") }
            return try jsonResponse(Deleted(id: removed.id, key: key.value))
        }
    }
}

/// An image's key: the rest of the path after `/v1/images/` (or another route's prefix), percent-decoded (so a key
/// may hold `/` as itself or as `%2F`), valid UTF-8, 1 to 1,024 bytes, without NUL.
struct ImageKey {
    static let maxBytes = 1024
    let value: String

    init(_ request: Request, after prefix: String = "/v1/images/") throws {
        let path = request.uri.path
        guard path.hasPrefix(prefix) else { throw APIError.badRequest("no image key in the path") }
        let raw = path.dropFirst(prefix.count)
        guard let key = String(raw).removingPercentEncoding else {
            throw APIError.badRequest("the image key is not valid percent-encoded UTF-8")
        }
        guard !key.isEmpty else { throw APIError.badRequest("the image key is empty") }
        guard key.utf8.count <= Self.maxBytes else {
            throw APIError.badRequest("the image key has \(key.utf8.count) bytes; at most \(Self.maxBytes) are allowed")
        }
        guard !key.utf8.contains(0) else { throw APIError.badRequest("the image key contains a NUL byte") }
        value = key
    }
}
