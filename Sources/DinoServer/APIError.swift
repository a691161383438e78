import DinoImage
import DinoModel
import DinoSearch
import Foundation
import Hummingbird
import NIOCore

/// An error as the API reports it: a real status code and `{"error": {"code", "message"}}`.
///
/// Codes (documented in the OpenAPI document): `bad_request` 400, `unauthorized` 401, `forbidden` 403,
/// `not_found` 404, `payload_too_large` 413, `unsupported_media_type` 415, `undecodable_image` 422,
/// `internal` 500, `overloaded` 503.
public struct APIError: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, "bad_request", message) }
    static func notFound(_ message: String) -> APIError { APIError(.notFound, "not_found", message) }
    static func overloaded(_ message: String, retryAfter seconds: Int = 1) -> APIError {
        APIError(.serviceUnavailable, "overloaded", message, headers: [.retryAfter: String(seconds)])
    }

    struct Body: Encodable {
        struct Detail: Encodable { var code: String; var message: String }
        var error: Detail
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = try encoder.encode(Body(error: .init(code: code, message: message)))
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: json)))
    }

    /// What the client is told about any error a handler throws. Library errors keep their one-line reason;
    /// server-side failures (a store or model error) become 500 with the reason, which names no client data.
    init(_ error: any Error) {
        switch error {
        case let error as APIError:
            self = error
        case let error as ImageError:
            self.init(.unprocessableContent, "undecodable_image", error.description)
        case let error as StoreError:
            switch error.kind {
            case .notFound: self.init(.notFound, "not_found", error.message)
            case .invalidVector, .dimensionMismatch, .invalidArgument, .malformed:
                self.init(.badRequest, "bad_request", error.message)
            default: self.init(.internalServerError, "internal", "store error: \(error.message)")
            }
        case let error as ModelError:
            self.init(.internalServerError, "internal", "model error: \(error)")
        case is DecodingError:
            self.init(.badRequest, "bad_request", "the JSON body does not match the schema (\(Self.describe(error)))")
        case is NIOTooManyBytesError:
            self.init(.contentTooLarge, "payload_too_large", "the request body is larger than the server accepts")
        case let error as HTTPError:
            let codes: [Int: String] = [
                400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "payload_too_large",
                415: "unsupported_media_type",
            ]
            let message = error.body ?? (error.status == .notFound ? "no such route" : error.status.reasonPhrase)
            self.init(error.status, codes[error.status.code] ?? "http_\(error.status.code)", message,
                      headers: error.headers)
        case is CancellationError:
            self.init(.serviceUnavailable, "overloaded", "the server is shutting down", headers: [.retryAfter: "5"])
        default:
            self.init(.internalServerError, "internal", String(describing: error))
        }
    }

    /// A decoding error in one line: the key path and what was wrong there.
    private static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
            return keys.isEmpty ? context.debugDescription : "\(keys): \(context.debugDescription)"
        }
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return path(context)
        case .keyNotFound(let key, let context):
            return path(context) + " (missing '\(key.stringValue)')"
        @unknown default:
            return "\(error)"
        }
    }
}
