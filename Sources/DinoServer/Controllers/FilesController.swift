import DinoImage
import DinoSearch
import Foundation
import Hummingbird

/// What a person looks at: `GET /v1/thumbnails/{key}?size=256|1024` (JPEG, cached in the store, `ETag` and 304)
/// and `GET /v1/originals/{key}` (the indexed file itself, only from inside an indexed folder).
struct FilesController<Context: RequestContext> {
    let engine: SearchEngine
    let thumbnails: Thumbnails

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("thumbnails/**") { request, _ in
            let key = try ImageKey(request, after: "/v1/thumbnails/")
            let size = try QueryParameters(request: request).int("size", in: 1...4096) ?? 256
            guard Thumbnails.sizes.contains(size) else {
                throw APIError.badRequest("'size' must be one of \(Thumbnails.sizes.map(String.init).joined(separator: ", "))")
            }
            let record = try await storedRecord(key)
            let thumbnail: Thumbnails.Thumbnail
            do {
                // The validator is known before any work: a browser revalidating gets 304 without a decode.
                if let validator = request.headers[.ifNoneMatch], !record.contentHash.isEmpty,
                   validator.contains("\"\(record.contentHash)-\(size)\"") {
                    return Response(status: .notModified, headers: Self.caching(etag: "\"\(record.contentHash)-\(size)\""))
                }
                thumbnail = try await thumbnails.thumbnail(of: record, size: size)
            } catch let problem as IndexedFileProblem {
                throw Self.error(problem, key: key.value)
            }
            var headers = Self.caching(etag: thumbnail.etag)
            headers[.contentType] = "image/jpeg"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: thumbnail.jpeg)))
        }

        group.get("originals/**") { request, _ in
            let key = try ImageKey(request, after: "/v1/originals/")
            let record = try await storedRecord(key)
            let bytes = try await offload { () throws -> [UInt8] in
                switch try engine.store.indexedFile(of: record) {
                case .success(let path): return try ImageFile.read(path)
                case .failure(let problem): throw Self.error(problem, key: key.value)
                }
            }
            let type = bytes.withUnsafeBytes { ImageFormat(sniffing: $0) }.map(Self.mediaType) ?? "application/octet-stream"
            var headers = Self.caching(etag: "\"\(record.contentHash.isEmpty ? "id\(record.id)" : record.contentHash)\"")
            headers[.contentType] = type
            headers[.contentDisposition] = "inline"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }

    private func storedRecord(_ key: ImageKey) async throws -> ImageRecord {
        guard let record = try await offload({ try engine.store.record(path: key.value) }) else {
            throw APIError.notFound("no image with key '\(key.value)'")
        }
        return record
    }

    /// Thumbnails and originals are named by content hash: a browser may keep them, but asks again after a day
    /// (a key can come to name other bytes).
    static func caching(etag: String) -> HTTPFields {
        [.eTag: etag, .cacheControl: "private, max-age=86400"]
    }

    /// Why a stored image cannot be shown, as the API reports it (the page draws a placeholder with the message).
    static func error(_ problem: IndexedFileProblem, key: String) -> APIError {
        switch problem {
        case .outsideIndexedFolders: APIError(.forbidden, "forbidden", "'\(key)': \(problem)")
        case .gone, .changed: APIError(.gone, "file_unavailable", "'\(key)': \(problem)")
        case .notAFile: APIError(.notFound, "file_unavailable", "'\(key)': \(problem)")
        }
    }

    /// The media type of a format recognised from the bytes.
    static func mediaType(_ format: ImageFormat) -> String {
        switch format {
        case .jpeg: "image/jpeg"
        case .png: "image/png"
        case .webp: "image/webp"
        case .gif: "image/gif"
        case .bmp: "image/bmp"
        case .tiff: "image/tiff"
        case .avif: "image/avif"
        case .heif: "image/heic"
        case .jpegXL: "image/jxl"
        case .raw: "application/octet-stream"
        }
    }
}
