import Foundation
import Hummingbird
import NIOCore

/// Bounds the API enforces on parameters.
enum Limits {
    /// Most results a search or retrieval returns (400 beyond).
    static let maxK = 1000
}

/// Reading request bodies and query parameters, with the API's errors for what does not fit.
enum RequestBody {
    /// The body's media type, lowercased and without parameters (`image/jpeg`); nil when the header is absent.
    static func mediaType(_ request: Request) -> String? {
        guard let value = request.headers[.contentType] else { return nil }
        return value.split(separator: ";", maxSplits: 1).first?.trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// Image bytes come as any `image/*` type, `application/octet-stream`, or with no type at all.
    static func carriesImage(_ request: Request) -> Bool {
        guard let type = mediaType(request) else { return true }
        return type == "application/octet-stream" || type.hasPrefix("image/")
    }

    static func isJSON(_ request: Request) -> Bool { mediaType(request) == "application/json" }

    /// The whole body, refused with 413 past `limit` bytes (at once when Content-Length already says so).
    static func bytes(_ request: Request, limit: Int) async throws -> [UInt8] {
        let tooLarge = APIError(.contentTooLarge, "payload_too_large",
                                "the body is larger than the server's limit of \(limit) bytes (--max-upload)")
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit { throw tooLarge }
        do {
            let buffer = try await request.body.collect(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw tooLarge
        }
    }

    /// An image upload: 415 unless the body is declared as an image or as bytes.
    static func image(_ request: Request, limit: Int) async throws -> [UInt8] {
        guard carriesImage(request) else {
            throw APIError(.unsupportedMediaType, "unsupported_media_type",
                           "send the image's bytes with Content-Type image/* or application/octet-stream, not \(mediaType(request) ?? "")")
        }
        return try await bytes(request, limit: limit)
    }

    /// A JSON body decoded as `T` (400 with the offending key when it does not match).
    static func json<T: Decodable>(_ type: T.Type, _ request: Request, limit: Int) async throws -> T {
        let body = try await bytes(request, limit: limit)
        guard !body.isEmpty else { throw APIError.badRequest("the JSON body is empty") }
        return try JSONDecoder().decode(T.self, from: Data(body))
    }
}

/// Typed access to the query string: 400 naming the parameter when a value does not parse or is out of range.
struct QueryParameters {
    let request: Request

    func string(_ name: String) -> String? { request.uri.queryParameters[name[...]].map(String.init) }

    func int(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = string(name) else { return nil }
        guard let value = Int(text) else { throw APIError.badRequest("'\(name)' must be an integer, not '\(text)'") }
        return try Self.check(value, name, range)
    }

    func float(_ name: String, in range: ClosedRange<Float>) throws -> Float? {
        guard let text = string(name) else { return nil }
        guard let value = Float(text), value.isFinite else {
            throw APIError.badRequest("'\(name)' must be a number, not '\(text)'")
        }
        return try Self.check(value, name, range)
    }

    /// A number from the query string or a JSON body, within `range`.
    static func check(_ value: Float, _ name: String, _ range: ClosedRange<Float>) throws -> Float {
        guard range.contains(value) else {
            throw APIError.badRequest("'\(name)' must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return value
    }

    static func check(_ value: Int, _ name: String, _ range: ClosedRange<Int>) throws -> Int {
        guard range.contains(value) else {
            throw APIError.badRequest("'\(name)' must be between \(range.lowerBound) and \(range.upperBound), not \(value)")
        }
        return value
    }
}

/// A JSON response.
func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let body = try encoder.encode(value)
    return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(bytes: body)))
}
