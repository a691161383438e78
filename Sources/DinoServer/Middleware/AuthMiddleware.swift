import Crypto
import Foundation
import Hummingbird

/// Bearer-key access to `/v1`: with no key configured every request passes; otherwise the write key allows
/// everything and the read key everything but adding, removing and moving images (PUT, DELETE, and applying or
/// undoing a duplicate review: 403).
///
/// Keys are compared as SHA-256 digests, byte by byte without an early exit: neither a key's length nor the
/// position of its first wrong byte shows in the response time.
struct AuthMiddleware<Context: RequestContext>: RouterMiddleware {
    private let write: [UInt8]?
    private let read: [UInt8]?

    init(apiKey: String?, readKey: String?) {
        write = apiKey.map(Self.digest)
        read = readKey.map(Self.digest)
    }

    static func digest(_ key: some StringProtocol) -> [UInt8] { Array(SHA256.hash(data: Data(key.utf8))) }

    /// Constant-time equality of two digests (always 32 bytes).
    static func same(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.count == b.count && zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let write else { return try await next(request, context) }
        let challenge: HTTPFields = [.wwwAuthenticate: "Bearer"]
        guard let header = request.headers[.authorization], header.count > 7,
              header.prefix(7).lowercased() == "bearer "
        else {
            throw APIError(.unauthorized, "unauthorized", "this route needs 'Authorization: Bearer KEY'", headers: challenge)
        }
        let presented = Self.digest(header.dropFirst(7))
        let isWriter = Self.same(presented, write)
        let isReader = read.map { Self.same(presented, $0) } ?? false
        guard isWriter || isReader else {
            throw APIError(.unauthorized, "unauthorized", "the API key is not valid", headers: challenge)
        }
        if !isWriter && Self.changesTheStore(request.method, path: request.uri.path) {
            throw APIError(.forbidden, "forbidden", "the read key cannot add, remove or move images")
        }
        return try await next(request, context)
    }

    /// The requests that add, remove or move images, or record a person's choices; every other `/v1` route only
    /// reads the store (a POST of a query or an upload to embed).
    static func changesTheStore(_ method: HTTPRequest.Method, path: String) -> Bool {
        method == .put || method == .delete || method == .patch
            || (method == .post && ["/v1/duplicates/apply", "/v1/duplicates/undo"].contains(path))
    }
}
