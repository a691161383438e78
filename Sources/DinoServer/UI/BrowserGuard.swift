import Hummingbird

/// What keeps other web sites away from a server that has no API key (loopback only): a page elsewhere cannot
/// reach it through a name that resolves to 127.0.0.1 (DNS rebinding: the `Host` must be a loopback name or the
/// address the server listens on), nor make a person's browser change the store (`Origin`, when sent with a
/// method other than GET or HEAD, must be this server's own). With keys set, the key is the protection: the page
/// keeps it in `sessionStorage`, which no other origin can read, and sends it only in `Authorization`.
struct BrowserGuard<Context: RequestContext>: RouterMiddleware {
    /// Host names (without port, lowercased) the server answers to.
    let hosts: Set<String>

    init(listeningOn host: String) {
        hosts = ["localhost", "127.0.0.1", "[::1]", Self.bracketed(host.lowercased())]
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let authority = (request.head.authority ?? "").lowercased()
        // No Host at all (an HTTP/1.0 client, a test client) is no browser's request: browsers always send one.
        guard authority.isEmpty || hosts.contains(Self.hostName(authority)) else {
            throw APIError(.forbidden, "forbidden",
                           "the Host '\(authority)' is not this server's address (open it as http://127.0.0.1:PORT)")
        }
        if request.method != .get && request.method != .head, let origin = request.headers[.origin] {
            let own = ["http://" + authority, "https://" + authority]
            guard own.contains(origin.lowercased()) else {
                throw APIError(.forbidden, "forbidden", "cross-origin request from '\(origin)' refused")
            }
        }
        return try await next(request, context)
    }

    /// `host:port`, `[v6]:port` or a bare host → the host as `hosts` holds it.
    static func hostName(_ authority: String) -> String {
        if authority.hasPrefix("["), let end = authority.firstIndex(of: "]") { return String(authority[...end]) }
        let parts = authority.split(separator: ":", omittingEmptySubsequences: false)
        return parts.count == 2 ? String(parts[0]) : bracketed(authority)
    }

    static func bracketed(_ host: String) -> String {
        host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
    }
}
