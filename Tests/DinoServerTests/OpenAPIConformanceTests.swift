import DinoSearch
import DinoServer
import DinoTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The server against its OpenAPI document (`GET /openapi.json`): a script of requests that reaches every
/// documented status of every documented operation; each answer's status must be documented for its operation
/// and its JSON body must match the documented schema — no missing, undocumented or mistyped field.
///
/// Why a schema-driven test in Swift rather than spec-first code generation: keys hold slashes (`{key...}`), which
/// OpenAPI path templates cannot express and swift-openapi-generator would refuse; and a test that needs neither
/// Python nor a code generator runs in plain `swift test`.
@Suite(.offCooperativePool) struct OpenAPIConformanceTests {
    struct Call {
        var method: HTTPRequest.Method
        var uri: String
        var operation: String  // the documented path template
        var status: Int
        var headers: HTTPFields = [:]
        var body: [UInt8]? = nil
        /// Repeat the call (up to a minute) until it answers `status`: for work the server finishes in the background.
        var awaiting = false
    }

    static let writeKey = "write-key-for-tests"
    static let readKey = "read-key-for-tests"

    @Test func everyDocumentedOperationAndStatusIsServedAsDocumented() async throws {
        let document = try OpenAPIDocumentModel(try await servedDocument())
        let dir = TemporaryDirectory()
        let engine = try Fixture.engine(dir)
        let photos = try IndexedPhotos(dir, engine: engine)
        let (kept, gone, escape) = (IndexedPhotos.encoded(photos.kept), IndexedPhotos.encoded(photos.gone),
                                    IndexedPhotos.encoded(photos.escape))
        var configuration = ServerConfiguration(apiKey: Self.writeKey, readKey: Self.readKey)
        configuration.maxUpload = 300_000
        let auth: HTTPFields = [.authorization: "Bearer \(Self.writeKey)"]
        let read: HTTPFields = [.authorization: "Bearer \(Self.readKey)"]
        let jpeg: HTTPFields = [.authorization: "Bearer \(Self.writeKey)", .contentType: "image/jpeg"]
        let json: HTTPFields = [.authorization: "Bearer \(Self.writeKey)", .contentType: "application/json"]
        let aqua = try Fixture.photo("Aqua"), garden = try Fixture.photo("Garden"), big = try Fixture.photo("LadyBird")
        let tooBig = [UInt8](repeating: 32, count: 300_001)
        func body(_ object: Any) -> [UInt8] { [UInt8](try! JSONSerialization.data(withJSONObject: object)) }
        let image = "/v1/images/{key}"
        let (thumbnail, original, map) = ("/v1/thumbnails/{key}", "/v1/originals/{key}", "/v1/maps/{key}")
        let members = "/v1/clusters/members"
        let (review, decisions, plan) = ("/v1/duplicates/review", "/v1/duplicates/decisions", "/v1/duplicates/plan")
        let (apply, undo, difference) = ("/v1/duplicates/apply", "/v1/duplicates/undo", "/v1/duplicates/difference")
        let etag = "\"" + (try engine.store.record(path: photos.kept)!.contentHash) + "-256\""

        let calls: [Call] = [
            Call(method: .get, uri: "/healthz", operation: "/healthz", status: 200),
            Call(method: .get, uri: "/openapi.json", operation: "/openapi.json", status: 200),
            Call(method: .get, uri: "/v1/stats", operation: "/v1/stats", status: 401),
            Call(method: .put, uri: "/v1/images/u/a.jpg", operation: image, status: 200, headers: jpeg, body: aqua),
            Call(method: .put, uri: "/v1/images/u/g.jpg", operation: image, status: 200, headers: jpeg, body: garden),
            Call(method: .put, uri: "/v1/images/u/a-copy.jpg", operation: image, status: 200, headers: jpeg, body: aqua),
            Call(method: .put, uri: "/v1/images/u/x.jpg", operation: image, status: 401, body: aqua),
            Call(method: .put, uri: "/v1/images/u/x.jpg", operation: image, status: 403, headers: read, body: aqua),
            Call(method: .put, uri: "/v1/images/u/x.jpg", operation: image, status: 413, headers: jpeg, body: big),
            Call(method: .put, uri: "/v1/images/u/x.jpg", operation: image, status: 415,
                 headers: [.authorization: "Bearer \(Self.writeKey)", .contentType: "text/plain"], body: aqua),
            Call(method: .put, uri: "/v1/images/u/x.jpg", operation: image, status: 422, headers: jpeg, body: Array("no".utf8)),
            Call(method: .put, uri: "/v1/images/" + String(repeating: "k", count: 1025), operation: image, status: 400,
                 headers: jpeg, body: aqua),
            Call(method: .get, uri: "/v1/stats", operation: "/v1/stats", status: 200, headers: read),
            Call(method: .get, uri: "/v1/images/u/a.jpg", operation: image, status: 200, headers: read),
            Call(method: .get, uri: "/v1/images/u/none.jpg", operation: image, status: 404, headers: auth),
            Call(method: .get, uri: "/v1/images/%FF", operation: image, status: 400, headers: auth),
            Call(method: .get, uri: "/v1/images/u/a.jpg", operation: image, status: 401),
            Call(method: .post, uri: "/v1/search?k=2", operation: "/v1/search", status: 200, headers: jpeg, body: aqua),
            Call(method: .post, uri: "/v1/search", operation: "/v1/search", status: 200, headers: json,
                 body: body(["key": "u/g.jpg", "prefix": "u/", "min_score": 0.1])),
            Call(method: .post, uri: "/v1/search", operation: "/v1/search", status: 200, headers: json,
                 body: body(["vector": [Double](repeating: 0.5, count: 128), "k": 1])),
            Call(method: .post, uri: "/v1/search?k=1001", operation: "/v1/search", status: 400, headers: jpeg, body: aqua),
            Call(method: .post, uri: "/v1/search", operation: "/v1/search", status: 401, body: aqua),
            Call(method: .post, uri: "/v1/search", operation: "/v1/search", status: 404, headers: json, body: body(["key": "no"])),
            Call(method: .post, uri: "/v1/search", operation: "/v1/search", status: 413, headers: jpeg, body: tooBig),
            Call(method: .post, uri: "/v1/search", operation: "/v1/search", status: 415,
                 headers: [.authorization: "Bearer \(Self.writeKey)", .contentType: "text/html"], body: aqua),
            Call(method: .post, uri: "/v1/search", operation: "/v1/search", status: 422, headers: jpeg, body: [0xFF, 0xD8]),
            Call(method: .post, uri: "/v1/embed", operation: "/v1/embed", status: 200, headers: read + [.contentType: "image/jpeg"],
                 body: garden),
            Call(method: .post, uri: "/v1/embed", operation: "/v1/embed", status: 401, body: garden),
            Call(method: .post, uri: "/v1/embed", operation: "/v1/embed", status: 413, headers: jpeg, body: tooBig),
            Call(method: .post, uri: "/v1/embed", operation: "/v1/embed", status: 415, headers: json, body: body(["key": "u/a.jpg"])),
            Call(method: .post, uri: "/v1/embed", operation: "/v1/embed", status: 422, headers: jpeg, body: try Fixture.bomb()),
            Call(method: .get, uri: "/v1/duplicates?threshold=0.99", operation: "/v1/duplicates", status: 200, headers: read),
            Call(method: .get, uri: "/v1/duplicates?neighbors=0", operation: "/v1/duplicates", status: 400, headers: auth),
            Call(method: .get, uri: "/v1/duplicates", operation: "/v1/duplicates", status: 401),
            Call(method: .post, uri: "/v1/retrieve", operation: "/v1/retrieve", status: 200, headers: json,
                 body: body(["keys": ["u/a.jpg"], "vectors": [[Double](repeating: 1, count: 128)], "k": 2])),
            Call(method: .post, uri: "/v1/retrieve", operation: "/v1/retrieve", status: 400, headers: json, body: body(["k": 2])),
            Call(method: .post, uri: "/v1/retrieve", operation: "/v1/retrieve", status: 401, body: body(["keys": ["u/a.jpg"]])),
            Call(method: .post, uri: "/v1/retrieve", operation: "/v1/retrieve", status: 404, headers: json, body: body(["keys": ["no"]])),
            Call(method: .post, uri: "/v1/retrieve", operation: "/v1/retrieve", status: 413, headers: json, body: tooBig),
            Call(method: .post, uri: "/v1/clusters", operation: "/v1/clusters", status: 200, headers: json,
                 body: body(["clusters": 2, "iterations": 5, "seed": 3, "sample": 1])),
            Call(method: .post, uri: "/v1/clusters", operation: "/v1/clusters", status: 400, headers: json, body: body(["sample": 2])),
            Call(method: .post, uri: "/v1/clusters", operation: "/v1/clusters", status: 401, body: body(["clusters": 2])),
            Call(method: .post, uri: "/v1/clusters", operation: "/v1/clusters", status: 413, headers: json, body: tooBig),
            Call(method: .delete, uri: "/v1/images/u/a-copy.jpg", operation: image, status: 403, headers: read),
            Call(method: .delete, uri: "/v1/images/u/a-copy.jpg", operation: image, status: 401),
            Call(method: .delete, uri: "/v1/images/u/a-copy.jpg", operation: image, status: 200, headers: auth),
            Call(method: .delete, uri: "/v1/images/u/a-copy.jpg", operation: image, status: 404, headers: auth),
            Call(method: .delete, uri: "/v1/images/%FF", operation: image, status: 400, headers: auth),
            Call(method: .get, uri: "/v1/thumbnails/\(kept)", operation: thumbnail, status: 200, headers: read),
            Call(method: .get, uri: "/v1/thumbnails/u/g.jpg?size=1024", operation: thumbnail, status: 200, headers: read,
                 awaiting: true),  // an upload's thumbnails are made after its answer
            Call(method: .get, uri: "/v1/thumbnails/\(kept)", operation: thumbnail, status: 304,
                 headers: read + [.ifNoneMatch: etag]),
            Call(method: .get, uri: "/v1/thumbnails/\(kept)?size=300", operation: thumbnail, status: 400, headers: read),
            Call(method: .get, uri: "/v1/thumbnails/\(kept)", operation: thumbnail, status: 401),
            Call(method: .get, uri: "/v1/thumbnails/\(escape)", operation: thumbnail, status: 403, headers: read),
            Call(method: .get, uri: "/v1/thumbnails/u/none.jpg", operation: thumbnail, status: 404, headers: read),
            Call(method: .get, uri: "/v1/thumbnails/\(gone)", operation: thumbnail, status: 410, headers: read),
            Call(method: .get, uri: "/v1/originals/\(kept)", operation: original, status: 200, headers: read),
            Call(method: .get, uri: "/v1/originals/%FF", operation: original, status: 400, headers: read),
            Call(method: .get, uri: "/v1/originals/\(kept)", operation: original, status: 401),
            Call(method: .get, uri: "/v1/originals/\(escape)", operation: original, status: 403, headers: read),
            Call(method: .get, uri: "/v1/originals/u/g.jpg", operation: original, status: 404, headers: read),
            Call(method: .get, uri: "/v1/originals/\(gone)", operation: original, status: 410, headers: read),
            Call(method: .get, uri: "/v1/maps/\(kept)?resolution=112", operation: map, status: 200, headers: read),
            Call(method: .get, uri: "/v1/maps/u/g.jpg?resolution=112&format=npy", operation: map, status: 200, headers: read,
                 awaiting: true),
            Call(method: .get, uri: "/v1/maps/\(kept)?format=gif", operation: map, status: 400, headers: read),
            Call(method: .get, uri: "/v1/maps/\(kept)", operation: map, status: 401),
            Call(method: .get, uri: "/v1/maps/\(escape)", operation: map, status: 403, headers: read),
            Call(method: .get, uri: "/v1/maps/u/none.jpg", operation: map, status: 404, headers: read),
            Call(method: .get, uri: "/v1/maps/\(gone)", operation: map, status: 410, headers: read),
            Call(method: .post, uri: "/v1/maps?resolution=112", operation: "/v1/maps", status: 200,
                 headers: read + [.contentType: "image/jpeg"], body: garden),
            Call(method: .post, uri: "/v1/maps?resolution=1", operation: "/v1/maps", status: 400, headers: jpeg, body: garden),
            Call(method: .post, uri: "/v1/maps", operation: "/v1/maps", status: 401, body: garden),
            Call(method: .post, uri: "/v1/maps", operation: "/v1/maps", status: 413, headers: jpeg, body: tooBig),
            Call(method: .post, uri: "/v1/maps", operation: "/v1/maps", status: 415, headers: json, body: garden),
            Call(method: .post, uri: "/v1/maps", operation: "/v1/maps", status: 422, headers: jpeg, body: Array("no".utf8)),
            Call(method: .get, uri: "/v1/clusters?clusters=2&seed=5", operation: "/v1/clusters", status: 202, headers: read),
            Call(method: .get, uri: "/v1/clusters/members?clusters=2&seed=5&cluster=0", operation: members, status: 202,
                 headers: read),
            Call(method: .get, uri: "/v1/progress", operation: "/v1/progress", status: 200, headers: read),
            Call(method: .get, uri: "/v1/clusters?clusters=2&seed=5&sample=2", operation: "/v1/clusters", status: 200,
                 headers: read, awaiting: true),
            Call(method: .get, uri: "/v1/clusters/members?clusters=2&seed=5&cluster=1&limit=1", operation: members,
                 status: 200, headers: read),
            Call(method: .get, uri: "/v1/clusters", operation: "/v1/clusters", status: 400, headers: read),
            Call(method: .get, uri: "/v1/clusters?clusters=2", operation: "/v1/clusters", status: 401),
            Call(method: .get, uri: "/v1/clusters/members?clusters=2&cluster=2", operation: members, status: 400, headers: read),
            Call(method: .get, uri: "/v1/clusters/members?clusters=2&cluster=0", operation: members, status: 401),
            Call(method: .get, uri: "/v1/progress", operation: "/v1/progress", status: 401),
            // The duplicate review, at the end: applying forgets u/a.jpg (byte-identical to the indexed Aqua.jpg,
            // which the keep rule keeps as the older file), and undo brings it back. Files do not move: the server
            // runs without --allow-file-changes.
            Call(method: .get, uri: "/v1/duplicates/review?threshold=0.99", operation: review, status: 202, headers: read),
            Call(method: .get, uri: "/v1/duplicates/review?threshold=0.99", operation: review, status: 200, headers: read,
                 awaiting: true),
            Call(method: .get, uri: "/v1/duplicates/review?threshold=2", operation: review, status: 400, headers: read),
            Call(method: .get, uri: "/v1/duplicates/review", operation: review, status: 401),
            Call(method: .put, uri: "/v1/duplicates/decisions", operation: decisions, status: 200, headers: json,
                 body: body(["group": "g", "key": "u/x.jpg", "decision": "keep"])),
            Call(method: .put, uri: "/v1/duplicates/decisions", operation: decisions, status: 400, headers: json,
                 body: body(["group": "g", "key": "u/x.jpg", "decision": "maybe"])),
            Call(method: .put, uri: "/v1/duplicates/decisions", operation: decisions, status: 401,
                 body: body(["group": "g", "key": "u/x.jpg", "decision": "keep"])),
            Call(method: .put, uri: "/v1/duplicates/decisions", operation: decisions, status: 403,
                 headers: read + [.contentType: "application/json"], body: body(["group": "g", "key": "u/x.jpg", "decision": "keep"])),
            Call(method: .get, uri: "/v1/duplicates/plan?threshold=0.99", operation: plan, status: 200, headers: read),
            Call(method: .get, uri: "/v1/duplicates/plan?threshold=0.99&format=sh", operation: plan, status: 200, headers: read),
            Call(method: .get, uri: "/v1/duplicates/plan?threshold=0.99&format=xml", operation: plan, status: 400, headers: read),
            Call(method: .get, uri: "/v1/duplicates/plan?threshold=0.99", operation: plan, status: 401),
            Call(method: .post, uri: "/v1/duplicates/apply", operation: apply, status: 403,
                 headers: read + [.contentType: "application/json"], body: body(["threshold": 0.99])),
            Call(method: .post, uri: "/v1/duplicates/apply", operation: apply, status: 401, body: body(["threshold": 0.99])),
            Call(method: .post, uri: "/v1/duplicates/apply", operation: apply, status: 400, headers: json, body: body(["threshold": 5])),
            Call(method: .post, uri: "/v1/duplicates/undo", operation: undo, status: 404, headers: auth),
            Call(method: .post, uri: "/v1/duplicates/apply", operation: apply, status: 200, headers: json, body: body(["threshold": 0.99])),
            Call(method: .post, uri: "/v1/duplicates/undo", operation: undo, status: 403, headers: read),
            Call(method: .post, uri: "/v1/duplicates/undo", operation: undo, status: 401),
            Call(method: .post, uri: "/v1/duplicates/undo", operation: undo, status: 200, headers: auth),
            Call(method: .get, uri: "/v1/duplicates/difference?a=\(kept)&b=u/g.jpg&resolution=112", operation: difference,
                 status: 200, headers: read),
            Call(method: .get, uri: "/v1/duplicates/difference?a=\(kept)", operation: difference, status: 400, headers: read),
            Call(method: .get, uri: "/v1/duplicates/difference?a=\(kept)&b=\(kept)", operation: difference, status: 401),
            Call(method: .get, uri: "/v1/duplicates/difference?a=\(escape)&b=\(kept)", operation: difference, status: 403,
                 headers: read),
            Call(method: .get, uri: "/v1/duplicates/difference?a=\(kept)&b=none", operation: difference, status: 404, headers: read),
            Call(method: .get, uri: "/v1/duplicates/difference?a=\(gone)&b=\(kept)", operation: difference, status: 410, headers: read),
            // Thresholds never asked for: their groups are not computed yet.
            Call(method: .get, uri: "/v1/duplicates/plan?threshold=0.61", operation: plan, status: 409, headers: read),
            Call(method: .get, uri: "/v1/duplicates/review?threshold=0.61", operation: review, status: 200, headers: read,
                 awaiting: true),  // that computation done (one runs at a time), the next one starts with the apply
            Call(method: .post, uri: "/v1/duplicates/apply", operation: apply, status: 409, headers: json, body: body(["threshold": 0.63])),
            Call(method: .get, uri: "/metrics", operation: "/metrics", status: 200),
        ]

        let exercised = try await Fixture.app(engine, configuration).test(.router) { client in
            var exercised = Set<String>()
            for call in calls {
                var response = try await client.execute(
                    uri: call.uri, method: call.method, headers: call.headers, body: call.body.map { ByteBuffer(bytes: $0) })
                let deadline = ContinuousClock.now + .seconds(60)
                while call.awaiting && response.status.code != call.status && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(50))
                    response = try await client.execute(uri: call.uri, method: call.method, headers: call.headers)
                }
                let method = call.method.rawValue.lowercased()
                let label = "\(call.method) \(call.uri.prefix(60)) → \(response.status.code)"
                #expect(response.status.code == call.status, "\(label): \(String(buffer: response.body).prefix(300))")
                exercised.insert("\(method) \(call.operation) \(response.status.code)")
                guard let documented = document.response(call.operation, method, response.status.code) else {
                    Issue.record("\(label): status not documented for \(method) \(call.operation)")
                    continue
                }
                let contentType = response.headers[.contentType] ?? ""
                let onlyJSON = documented["content"]?.object?.keys.allSatisfy { $0 == "application/json" } ?? false
                if let schema = documented["content"]?["application/json"]?["schema"],
                   onlyJSON || contentType.hasPrefix("application/json") {
                    #expect(contentType.hasPrefix("application/json"), "\(label): \(contentType)")
                    let value = try JSONValue.parse(response.body.readableBytesView)
                    let problems = document.problems(value, schema)
                    #expect(problems.isEmpty, "\(label): \(problems)")
                } else if let content = documented["content"]?.object {
                    // Pictures, files and metrics: the answer's media type is one the document lists (`image/*` too).
                    let type = contentType.split(separator: ";").first.map(String.init) ?? ""
                    let listed = content.keys.contains { $0 == type || ($0.hasSuffix("/*") && type.hasPrefix($0.dropLast())) }
                    #expect(listed && response.body.readableBytes > 0, "\(label): \(contentType) not in \(content.keys.sorted())")
                } else {
                    #expect(response.body.readableBytes == 0, "\(label): a body where none is documented")
                }
                if response.status == .unauthorized { #expect(response.headers[.wwwAuthenticate] == "Bearer") }
            }
            // Neither an undocumented method on a documented path nor an unknown path is served.
            for (method, uri) in [(HTTPRequest.Method.get, "/v1/search"), (.post, "/v1/stats"), (.patch, "/v1/images/a"), (.get, "/v1/x")] {
                let response = try await client.execute(uri: uri, method: method, headers: auth)
                #expect(response.status == .notFound, "\(method) \(uri)")
            }
            return exercised
        }

        // Every documented status of every operation was reached — but 503, which needs concurrent load
        // (ServerLoadTests drives it on the image routes and checks it against this document too).
        var documented = Set<String>()
        for (path, method) in document.operations {
            for status in document.root["paths"]?[path]?[method]?["responses"]?.object?.keys ?? [:].keys where status != "503" {
                documented.insert("\(method) \(path) \(status)")
            }
        }
        #expect(documented.subtracting(exercised).isEmpty, "documented but not exercised: \(documented.subtracting(exercised).sorted())")
        #expect(exercised.subtracting(documented).isEmpty, "served but not documented: \(exercised.subtracting(documented).sorted())")
    }

    /// The document served is valid JSON, OpenAPI 3, and names the operations this suite checks.
    func servedDocument() async throws -> String {
        let dir = TemporaryDirectory()
        return try await Fixture.app(try Fixture.engine(dir)).test(.router) { client in
            let response = try await client.execute(uri: "/openapi.json", method: .get)
            return String(buffer: response.body)
        }
    }

    @Test func theServedDocumentIsOpenAPI3() async throws {
        let document = try OpenAPIDocumentModel(try await servedDocument())
        #expect(document.root["openapi"]?.string?.hasPrefix("3.") == true)
        #expect(document.operations.count == 25)
        #expect(document.root["components"]?["securitySchemes"]?["bearer"]?["scheme"]?.string == "bearer")

        // The checker itself finds what it must: a missing field, an undocumented one, a wrong type, a bad item.
        let schema = try #require(document.response("/v1/search", "post", 200)?["content"]?["application/json"]?["schema"])
        let size = #""width": 4, "height": 3, "bytes": 9"#
        let good = #"{"results": [{"rank": 1, "score": 0.5, "key": "a", "id": 3, "# + size + #"}], "took_ms": 1.5}"#
        #expect(document.problems(try JSONValue.parse(Array(good.utf8)), schema).isEmpty)
        let bad = #"{"results": [{"rank": 1.5, "score": "high", "key": "a", "id": 3, "path": "a", "# + size + #"}], "extra": true}"#
        let problems = document.problems(try JSONValue.parse(Array(bad.utf8)), schema)
        #expect(Set(problems) == [
            "$: 'took_ms' is missing", "$: 'extra' is not documented", "$.results[0]: 'path' is not documented",
            "$.results[0].rank: number(1.5) is not of type integer", "$.results[0].score: string(\"high\") is not of type number",
        ], "\(problems)")
    }
}
