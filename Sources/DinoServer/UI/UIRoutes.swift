import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// The web interface: the pages (`/`, `/clusters`, `/maps`, `/duplicates`, `/stats`: one HTML shell, drawn by the script from
/// the address) and their two assets, all compiled into the binary. Nothing is fetched from any other origin:
/// the Content-Security-Policy allows this server alone (and `blob:` pictures the page makes itself).
enum UIRoutes {
    static let pages = ["/", "/clusters", "/maps", "/duplicates", "/stats"]

    static let contentSecurityPolicy = [
        "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' blob: data:",
        "connect-src 'self'", "form-action 'none'", "frame-ancestors 'none'", "base-uri 'none'",
    ].joined(separator: "; ")

    struct Asset {
        let body: String
        let type: String
        let etag: String
        init(_ body: String, type: String) {
            self.body = body
            self.type = type
            etag = "\"" + SHA256.hash(data: Data(body.utf8)).prefix(12).map { String(format: "%02x", $0) }.joined() + "\""
        }
    }

    static let page = Asset(PageAsset.html, type: "text/html; charset=utf-8")
    static let assets: [String: Asset] = [
        "/ui/app.js": Asset(ScriptAsset.javascript, type: "text/javascript; charset=utf-8"),
        "/ui/style.css": Asset(StyleAsset.css, type: "text/css; charset=utf-8"),
    ]

    /// Total size of what a page loads, in bytes (the README promises ≤ 150 KB).
    static var totalBytes: Int { page.body.utf8.count + assets.values.reduce(0) { $0 + $1.body.utf8.count } }

    static func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        for path in pages {
            router.get(RouterPath(path)) { request, _ in respond(page, request) }
        }
        for (path, asset) in assets {
            router.get(RouterPath(path)) { request, _ in respond(asset, request) }
        }
    }

    static func respond(_ asset: Asset, _ request: Request) -> Response {
        var headers: HTTPFields = [
            .contentType: asset.type, .eTag: asset.etag, .cacheControl: "no-cache",
            .contentSecurityPolicy: contentSecurityPolicy, .xContentTypeOptions: "nosniff",
            HTTPField.Name("Referrer-Policy")!: "no-referrer", HTTPField.Name("X-Frame-Options")!: "DENY",
        ]
        if request.headers[.ifNoneMatch] == asset.etag {
            headers[.contentType] = nil
            return Response(status: .notModified, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: asset.body)))
    }
}
