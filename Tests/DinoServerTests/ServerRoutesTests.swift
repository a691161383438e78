import DinoSearch
import DinoServer
import DinoTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Every route and status code, through the router (`app.test(.router)`), on a real store and the fixture model.
@Suite struct ServerRoutesTests {
    @Test func imagesAreAddedReadReplacedAndRemoved() async throws {
        let dir = TemporaryDirectory()
        let engine = try Fixture.engine(dir)
        try await Fixture.app(engine).test(.router) { client in
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)

            let added = try await client.put("user-42/2024/IMG_0012.jpg", try Fixture.photo("Aqua"))
            #expect(added.status == .ok)
            #expect(added.json["key"] as? String == "user-42/2024/IMG_0012.jpg")
            #expect(added.json.int("width") == 2560 && added.json.int("height") == 1600)
            let id = try #require(added.json.int("id"))
            // Committed: the store has it the moment the answer exists.
            #expect(try engine.store.record(path: "user-42/2024/IMG_0012.jpg")?.id == UInt64(id))

            let record = try await client.execute(uri: "/v1/images/user-42/2024/IMG_0012.jpg", method: .get)
            #expect(record.status == .ok)
            let size = try Fixture.photo("Aqua").count
            #expect(record.json.int("id") == id && record.json.int("bytes") == size)
            #expect((record.json["sha256"] as? String)?.count == 64)
            // Slashes may come percent-encoded; other characters too.
            let encoded = try await client.execute(uri: "/v1/images/user-42%2F2024%2FIMG_0012.jpg", method: .get)
            #expect(encoded.json.int("id") == id)
            let spaced = try await client.put("user-42/with%20space%20%C3%A9.jpg", try Fixture.photo("Garden"))
            #expect(spaced.json["key"] as? String == "user-42/with space é.jpg")

            // Re-putting a key replaces it: a new id, the same key, one image.
            let replaced = try await client.put("user-42/2024/IMG_0012.jpg", try Fixture.photo("LadyBird"))
            #expect(replaced.status == .ok && replaced.json.int("id") != id)
            let stats = try await client.execute(uri: "/v1/stats", method: .get)
            #expect(stats.json.int("images") == 2 && stats.json.int("dimension") == 128)
            #expect(stats.json["layout"] as? String == "IDMap2,Flat")
            #expect(stats.json["model"] as? String == engine.encoder.fingerprint)

            let deleted = try await client.execute(uri: "/v1/images/user-42/2024/IMG_0012.jpg", method: .delete)
            #expect(deleted.status == .ok && deleted.json["deleted"] as? Bool == true)
            let again = try await client.execute(uri: "/v1/images/user-42/2024/IMG_0012.jpg", method: .delete)
            #expect(again.status == .notFound && again.errorCode == "not_found")
            let gone = try await client.execute(uri: "/v1/images/user-42/2024/IMG_0012.jpg", method: .get)
            #expect(gone.status == .notFound && gone.errorCode == "not_found")
            #expect(engine.store.count == 1)

            // The longest key allowed, 1,024 bytes (twice LMDB's key limit), works like any other.
            let longest = "user-42/" + String(repeating: "x", count: 1012) + ".jpg"
            #expect(try await client.put(longest, try Fixture.photo("Aqua")).status == .ok)
            #expect(try await client.execute(uri: "/v1/images/\(longest)", method: .get).json["key"] as? String == longest)
            let mine = try await client.post("/v1/search", json: ["key": longest, "prefix": "user-42/xxx", "k": 2])
            #expect(mine.json.resultKeys == [longest])
        }
    }

    @Test func searchByBytesByKeyAndByVector() async throws {
        let dir = TemporaryDirectory()
        let engine = try Fixture.engine(dir)
        try await Fixture.app(engine).test(.router) { client in
            for name in Fixture.photoNames { #expect(try await client.put("u/\(name).jpg", try Fixture.photo(name)).status == .ok) }

            let byBytes = try await client.post("/v1/search?k=3", image: try Fixture.photo("Garden"))
            #expect(byBytes.status == .ok)
            #expect(byBytes.json.resultKeys.first == "u/Garden.jpg" && byBytes.json.results.count == 3)
            #expect(byBytes.json.results.map { $0.int("rank") } == [1, 2, 3])
            #expect(((byBytes.json.results.first?["score"] as? Double) ?? 0) > 0.999)
            #expect(byBytes.json["took_ms"] is Double)
            // The library's answer is the server's answer.
            let library = try await engine.search(try Fixture.photo("Garden"), k: 3)
            #expect(byBytes.json.resultKeys == library.map(\.record.path))

            let octets = try await client.post("/v1/search", image: try Fixture.photo("Aqua"),
                                               headers: [.contentType: "application/octet-stream"])
            #expect(octets.json.resultKeys.first == "u/Aqua.jpg" && octets.json.results.count == 7)
            let untyped = try await client.post("/v1/search?k=1", image: try Fixture.photo("Aqua"), headers: [:])
            #expect(untyped.json.resultKeys == ["u/Aqua.jpg"])

            let byKey = try await client.post("/v1/search", json: ["key": "u/LadyBird.jpg", "k": 2])
            #expect(byKey.status == .ok && byKey.json.resultKeys.first == "u/LadyBird.jpg" && byKey.json.results.count == 2)

            let vector = try #require(try engine.store.vector(id: engine.store.record(path: "u/GreenMeadow.jpg")!.id))
            let byVector = try await client.post("/v1/search", json: ["vector": vector.map { Double($0) }, "k": 1])
            #expect(byVector.json.resultKeys == ["u/GreenMeadow.jpg"])

            let minScore = try await client.post("/v1/search", json: ["key": "u/Aqua.jpg", "min_score": 0.9999])
            #expect(minScore.json.resultKeys == ["u/Aqua.jpg"])
        }
    }

    /// One store, two users: each searches only their own keys, even when the other's photos match better.
    @Test func prefixIsolatesUsers() async throws {
        let dir = TemporaryDirectory()
        let engine = try Fixture.engine(dir)
        try await Fixture.app(engine).test(.router) { client in
            for name in Fixture.photoNames { _ = try await client.put("user-1/\(name).jpg", try Fixture.photo(name)) }
            for name in ["Aqua", "Garden"] { _ = try await client.put("user-2/\(name).jpg", try Fixture.photo(name)) }
            _ = try await client.put("user-10/Aqua.jpg", try Fixture.photo("Aqua"))

            let mine = try await client.post("/v1/search?k=10&prefix=user-2/", image: try Fixture.photo("LadyBird"))
            #expect(Set(mine.json.resultKeys) == ["user-2/Aqua.jpg", "user-2/Garden.jpg"])
            let byKey = try await client.post("/v1/search", json: ["key": "user-1/Aqua.jpg", "prefix": "user-2/", "k": 1])
            #expect(byKey.json.resultKeys == ["user-2/Aqua.jpg"])
            // A prefix is bytes, not a path component: "user-1" also holds "user-10"; "user-1/" does not.
            let component = try await client.post("/v1/search?k=20&prefix=user-1/", image: try Fixture.photo("Aqua"))
            #expect(component.json.results.count == 7 && component.json.resultKeys.allSatisfy { $0.hasPrefix("user-1/") })
            let loose = try await client.post("/v1/search?k=20&prefix=user-1", image: try Fixture.photo("Aqua"))
            #expect(loose.json.results.count == 8)
            let nobody = try await client.post("/v1/search?prefix=user-3/", json: ["key": "user-1/Aqua.jpg"])
            #expect(nobody.status == .ok && nobody.json.results.isEmpty)
        }
    }

    @Test func embedReturnsTheLibrarysEmbedding() async throws {
        let dir = TemporaryDirectory()
        let engine = try Fixture.engine(dir)
        try await Fixture.app(engine).test(.router) { client in
            let response = try await client.post("/v1/embed", image: try Fixture.photo("YellowFlower"),
                                                  headers: [.contentType: "image/jpeg; charset=binary"])
            #expect(response.status == .ok)
            let embedding = try #require(response.json["embedding"] as? [Double])
            let expected = try await engine.embed(try Fixture.photo("YellowFlower"))
            #expect(embedding.count == 128)
            #expect(zip(embedding, expected).allSatisfy { abs($0 - Double($1)) <= 1e-6 })
            #expect(response.json["model"] as? String == engine.encoder.fingerprint)
            #expect(response.json.int("width") != nil && response.json.int("height") != nil)
            #expect(engine.store.count == 0)  // nothing stored
        }
    }

    @Test func badRequestsGetTheirStatusAndAJSONError() async throws {
        let dir = TemporaryDirectory()
        let engine = try Fixture.engine(dir)
        var configuration = ServerConfiguration()
        configuration.maxUpload = 300_000
        try await Fixture.app(engine, configuration).test(.router) { client in
            _ = try await client.put("a.jpg", try Fixture.photo("Aqua"))
            func expectError(_ response: TestResponse, _ status: HTTPResponse.Status, _ code: String,
                             sourceLocation: SourceLocation = #_sourceLocation) {
                #expect(response.status == status, sourceLocation: sourceLocation)
                #expect(response.errorCode == code, "\(response.text)", sourceLocation: sourceLocation)
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true, sourceLocation: sourceLocation)
                #expect(((response.json["error"] as? JSON)?["message"] as? String)?.isEmpty == false, sourceLocation: sourceLocation)
            }
            // 413: past --max-upload (LadyBird.jpg is 352 KB).
            expectError(try await client.put("big.jpg", try Fixture.photo("LadyBird")), .contentTooLarge, "payload_too_large")
            expectError(try await client.post("/v1/search", image: [UInt8](repeating: 0, count: 300_001)),
                        .contentTooLarge, "payload_too_large")
            // 415: neither an image nor (where accepted) JSON.
            expectError(try await client.put("x.jpg", try Fixture.photo("Aqua"), headers: [.contentType: "text/plain"]),
                        .unsupportedMediaType, "unsupported_media_type")
            expectError(try await client.post("/v1/search", image: try Fixture.photo("Aqua"),
                                              headers: [.contentType: "application/x-www-form-urlencoded"]),
                        .unsupportedMediaType, "unsupported_media_type")
            expectError(try await client.post("/v1/embed", json: ["key": "a.jpg"]), .unsupportedMediaType, "unsupported_media_type")
            // 422: bytes that do not decode, and a decompression bomb, with the decoder's reason naming the key.
            let garbage = try await client.put("user/garbage.jpg", Array("not an image".utf8))
            expectError(garbage, .unprocessableContent, "undecodable_image")
            #expect(((garbage.json["error"] as? JSON)?["message"] as? String)?.hasPrefix("user/garbage.jpg: ") == true)
            let bomb = try await client.post("/v1/embed", image: try Fixture.bomb(), headers: [.contentType: "image/png"])
            expectError(bomb, .unprocessableContent, "undecodable_image")
            #expect(((bomb.json["error"] as? JSON)?["message"] as? String)?.contains("pixels") == true, "\(bomb.text)")
            expectError(try await client.put("empty.jpg", []), .unprocessableContent, "undecodable_image")
            #expect(engine.store.count == 1)  // nothing of the failures was stored
            // 400: k out of range, bad numbers, bad JSON, ambiguous queries, bad keys.
            expectError(try await client.post("/v1/search?k=1001", json: ["key": "a.jpg"]), .badRequest, "bad_request")
            expectError(try await client.post("/v1/search?k=0", json: ["key": "a.jpg"]), .badRequest, "bad_request")
            expectError(try await client.post("/v1/search", json: ["key": "a.jpg", "k": 5000]), .badRequest, "bad_request")
            expectError(try await client.post("/v1/search?k=ten", json: ["key": "a.jpg"]), .badRequest, "bad_request")
            expectError(try await client.post("/v1/search?min_score=nan", json: ["key": "a.jpg"]), .badRequest, "bad_request")
            expectError(try await client.post("/v1/search", json: ["key": "a.jpg", "vector": [1.0]]), .badRequest, "bad_request")
            expectError(try await client.post("/v1/search", json: ["k": 3]), .badRequest, "bad_request")
            expectError(try await client.post("/v1/search", json: ["vector": [1.0, 2.0]]), .badRequest, "bad_request")
            expectError(try await client.post("/v1/search", json: ["vector": [Double](repeating: 0, count: 128)]),
                        .badRequest, "bad_request")
            expectError(try await client.post("/v1/search", json: ["key": 7]), .badRequest, "bad_request")
            expectError(try await client.execute(uri: "/v1/search", method: .post, headers: [.contentType: "application/json"],
                                                 body: ByteBuffer(string: "{not json")), .badRequest, "bad_request")
            expectError(try await client.put(String(repeating: "k", count: 1025), try Fixture.photo("Aqua")), .badRequest, "bad_request")
            expectError(try await client.execute(uri: "/v1/images/%FF%FE", method: .get), .badRequest, "bad_request")
            expectError(try await client.execute(uri: "/v1/images/a%00b", method: .get), .badRequest, "bad_request")
            // 404: unknown key, unknown route.
            expectError(try await client.post("/v1/search", json: ["key": "missing.jpg"]), .notFound, "not_found")
            expectError(try await client.execute(uri: "/v1/images/missing.jpg", method: .get), .notFound, "not_found")
            expectError(try await client.execute(uri: "/v2/nothing", method: .get), .notFound, "not_found")
            // No URL fetching: a JSON "url" is not a field the server knows.
            expectError(try await client.post("/v1/search", json: ["url": "http://127.0.0.1:1/x.jpg"]), .badRequest, "bad_request")
        }
    }

    @Test func curationRoutes() async throws {
        let dir = TemporaryDirectory()
        let engine = try Fixture.engine(dir)
        try await Fixture.app(engine).test(.router) { client in
            for name in Fixture.photoNames { _ = try await client.put("u/\(name).jpg", try Fixture.photo(name)) }
            _ = try await client.put("u/copy-of-Aqua.jpg", try Fixture.photo("Aqua"))  // identical bytes: always a group

            let duplicates = try await client.execute(uri: "/v1/duplicates?threshold=0.999", method: .get)
            #expect(duplicates.status == .ok && duplicates.json.int("images") == 8)
            let groups = try #require(duplicates.json["groups"] as? [JSON])
            #expect(groups.count == 1)
            let keep = try #require(groups.first?["keep"] as? JSON)
            let members = try #require(groups.first?["duplicates"] as? [JSON])
            #expect(Set([keep["key"] as? String, members.first?["key"] as? String]) == ["u/Aqua.jpg", "u/copy-of-Aqua.jpg"])
            #expect(((members.first?["score"] as? Double) ?? 0) > 0.999)
            // The library's answer is the server's answer.
            let report = try await engine.store.duplicates(DuplicateParameters(threshold: 0.999))
            #expect(report.groups.first?.keep.path == keep["key"] as? String)
            #expect(try await client.execute(uri: "/v1/duplicates?threshold=2", method: .get).status == .badRequest)

            let retrieved = try await client.post("/v1/retrieve", json: ["keys": ["u/Garden.jpg"], "k": 3])
            #expect(retrieved.status == .ok && retrieved.json.int("seeds") == 1)
            let library = try engine.store.retrieve(
                [NamedVector(name: "u/Garden.jpg", vector: try engine.store.vector(id: engine.store.record(path: "u/Garden.jpg")!.id)!,
                             storedID: engine.store.record(path: "u/Garden.jpg")!.id)], k: 3)
            #expect(retrieved.json.resultKeys == library.map(\.record.path))
            #expect(!retrieved.json.resultKeys.contains("u/Garden.jpg"))  // a stored seed is not its own result
            #expect(retrieved.json.results.allSatisfy { ($0["seeds"] as? [String]) == ["u/Garden.jpg"] })
            #expect(try await client.post("/v1/retrieve", json: ["keys": ["nope.jpg"]]).status == .notFound)
            #expect(try await client.post("/v1/retrieve", json: [String: Any]()).status == .badRequest)

            let clusters = try await client.post("/v1/clusters", json: ["clusters": 2, "sample": 2])
            #expect(clusters.status == .ok && clusters.json.int("images") == 8)
            let list = try #require(clusters.json["clusters"] as? [JSON])
            #expect(list.count == 2 && list.compactMap { $0.int("size") }.reduce(0, +) == 8)
            #expect(list.allSatisfy { (($0["images"] as? [JSON])?.count ?? 0) <= 2 })
            #expect(clusters.json["objective"] is Double)
            #expect(try await client.post("/v1/clusters", json: ["clusters": 0]).status == .badRequest)
        }
    }

    @Test func metricsCountRequestsByRoute() async throws {
        let dir = TemporaryDirectory()
        let engine = try Fixture.engine(dir)
        try await Fixture.app(engine).test(.router) { client in
            _ = try await client.put("user-secret/a.jpg", try Fixture.photo("Aqua"))
            _ = try await client.put("b.jpg", Array("junk".utf8))
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(metrics.status == .ok && metrics.headers[.contentType]?.hasPrefix("text/plain") == true)
            let text = metrics.text
            #expect(text.contains(#"dinosearch_http_requests_total{method="PUT",route="/v1/images/**",status="200"} 1"#))
            #expect(text.contains(#"dinosearch_http_requests_total{method="PUT",route="/v1/images/**",status="422"} 1"#))
            #expect(text.contains("dinosearch_http_request_duration_seconds_bucket"))
            #expect(text.contains("dinosearch_images_count 1"))
            #expect(text.contains("dinosearch_embedded_images_total 1"))
            #expect(text.contains("dinosearch_inference_queue_depth_images 0"))
            #expect(!text.contains("user-secret"))  // routes, never keys
        }
    }
}
