import AsyncHTTPClient
import DinoImage
import DinoSearch
import DinoServer
import DinoTestSupport
import Foundation
import HTTPTypes
import NIOHTTP1
import Hummingbird
import HummingbirdTesting
import Testing

/// What the web interface stands on: its pages and assets, thumbnails and originals read back from indexed
/// folders only, the browser guard, the cluster listing's background k-means and the patch maps. The pages
/// themselves are driven in a real browser by Tests/Browser (scripts/test-browser.sh).
@Suite(.serialized, .offCooperativePool) struct WebInterfaceTests {
    @Test func pagesComeWithAStrictPolicyWithinTheBudgetAndNotUnderNoUI() async throws {
        let dir = TemporaryDirectory()
        let engine = try Fixture.engine(dir)
        try await Fixture.app(engine).test(.router) { client in
            var total = 0
            for path in ["/", "/clusters", "/maps", "/stats", "/ui/app.js", "/ui/style.css"] {
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.status == .ok, "\(path)")
                let policy = response.headers[.contentSecurityPolicy] ?? ""
                #expect(policy.contains("default-src 'none'") && policy.contains("script-src 'self'"), "\(path): \(policy)")
                #expect(!policy.contains("http") && !policy.contains("unsafe"), "\(path): \(policy)")
                #expect(response.headers[.xContentTypeOptions] == "nosniff")
                if path.hasPrefix("/ui/") || path == "/" { total += response.body.readableBytes }
                let etag = try #require(response.headers[.eTag])
                let again = try await client.execute(uri: path, method: .get, headers: [.ifNoneMatch: etag])
                #expect(again.status == .notModified && again.body.readableBytes == 0, "\(path)")
            }
            #expect(total <= 150_000, "page assets: \(total) bytes")
            let page = try await client.execute(uri: "/maps?key=x", method: .get)
            #expect(page.text.contains("<script type=\"module\" src=\"/ui/app.js\">"))
            #expect(!page.text.contains("http://") && !page.text.contains("https://"))
        }
        var apiOnly = ServerConfiguration()
        apiOnly.userInterface = false
        try await Fixture.app(engine, apiOnly).test(.router) { client in
            let page = try await client.execute(uri: "/", method: .get)
            let script = try await client.execute(uri: "/ui/app.js", method: .get)
            let stats = try await client.execute(uri: "/v1/stats", method: .get)
            #expect(page.status == .notFound && script.status == .notFound && stats.status == .ok)
        }
    }

    @Test func aThumbnailIsMadeOnceUprightAndServedFromTheStoreAfterwards() async throws {
        let dir = TemporaryDirectory()
        let engine = try Fixture.engine(dir)
        let photos = try IndexedPhotos(dir, engine: engine)
        // A copy of the same bytes elsewhere in the folder: same content hash, same thumbnail.
        let copy = photos.folder + "/copy-of-aqua.jpg"
        try FileManager.default.copyItem(atPath: photos.kept, toPath: copy)
        let rotated = photos.folder + "/rotated.jpg"
        try FileManager.default.copyItem(
            atPath: Fixture.repository.appendingPathComponent("Tests/DinoImageTests/Fixtures/orientation6.jpg").path,
            toPath: rotated)
        _ = try engine.index([photos.folder])
        let thumbnails = Thumbnails(store: engine.store)
        let record = try #require(try engine.store.record(path: photos.kept))

        // Sixteen requests at once for one picture: one decode.
        let answers = try await withThrowingTaskGroup(of: Thumbnails.Thumbnail.self) { group in
            for _ in 0..<16 { group.addTask { try await thumbnails.thumbnail(of: record, size: 256) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(thumbnails.made == 1)
        #expect(Set(answers.map(\.jpeg)).count == 1 && Set(answers.map(\.etag)).count == 1)
        let decoded = try ImageDecoder().decode(answers[0].jpeg)
        #expect(max(decoded.width, decoded.height) == 256 && decoded.format == .jpeg)
        #expect(decoded.width * 1600 / decoded.height == 2560)  // Aqua is 2560 × 1600: the aspect is kept

        let copied = try await thumbnails.thumbnail(of: try #require(try engine.store.record(path: copy)), size: 256)
        #expect(copied.jpeg == answers[0].jpeg && thumbnails.made == 1)
        let large = try await thumbnails.thumbnail(of: record, size: 1024)
        #expect(try ImageDecoder().decode(large.jpeg).width == 1024 && thumbnails.made == 2)

        // Upright: the fixture is stored 96 × 72 with EXIF orientation 6 (shown 72 × 96; never enlarged).
        let upright = try await thumbnails.thumbnail(of: try #require(try engine.store.record(path: rotated)), size: 256)
        let shown = try ImageDecoder().decode(upright.jpeg)
        #expect(shown.width == 72 && shown.height == 96)

        // A fresh server over the same store serves them from disk without decoding again.
        let fresh = Thumbnails(store: engine.store)
        _ = try await fresh.thumbnail(of: record, size: 256)
        #expect(fresh.made == 0)
    }

    @Test func filesThatChangedWentOrLeftTheFoldersAreNeverRead() async throws {
        let dir = TemporaryDirectory()
        let engine = try Fixture.engine(dir)
        let photos = try IndexedPhotos(dir, engine: engine)
        #expect(try engine.store.indexedFolders() == [photos.folder])
        func problem(_ path: String) throws -> IndexedFileProblem? {
            guard case .failure(let problem) = try engine.store.indexedFile(of: try #require(try engine.store.record(path: path)))
            else { return nil }
            return problem
        }
        #expect(try problem(photos.kept) == nil)
        #expect(try problem(photos.gone) == .gone)
        #expect(try problem(photos.escape) == .outsideIndexedFolders)
        // Same size, new time: changed.
        let handle = try #require(FileHandle(forWritingAtPath: photos.other))
        try handle.seekToEnd()
        try handle.close()
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: photos.other)
        #expect(try problem(photos.other) == .changed)

        // A key added over HTTP that looks like a path is no file of ours, even when that file exists.
        try await Fixture.app(engine).test(.router) { client in
            let passwd = try await client.put("%2Fetc%2Fhostname", try Fixture.photo("Garden"))
            #expect(passwd.status == .ok)
            let original = try await client.execute(uri: "/v1/originals/%2Fetc%2Fhostname", method: .get)
            #expect(original.status == .notFound && original.errorCode == "file_unavailable")
            let served = try await client.execute(uri: "/v1/originals/\(IndexedPhotos.encoded(photos.kept))", method: .get)
            #expect(served.status == .ok && served.headers[.contentType] == "image/jpeg")
            #expect(Array(served.body.readableBytesView) == [UInt8](try Data(contentsOf: URL(fileURLWithPath: photos.kept))))
            let gone = try await client.execute(uri: "/v1/thumbnails/\(IndexedPhotos.encoded(photos.gone))", method: .get)
            #expect(gone.status == .gone && (gone.json["error"] as? JSON)?["message"] as? String ?? "" == "'\(photos.gone)': the file is no longer there")
        }
    }

    @Test func uploadsKeepTheirThumbnailsUnlessToldNot() async throws {
        let dir = TemporaryDirectory()
        let engine = try Fixture.engine(dir)
        try await Fixture.app(engine).test(.router) { client in
            #expect(try await client.put("user/1.jpg", try Fixture.photo("LadyBird")).status == .ok)
            // Made after the answer, on a background queue.
            var small = try await client.execute(uri: "/v1/thumbnails/user/1.jpg", method: .get)
            for _ in 0..<600 where small.status != .ok {
                try await Task.sleep(for: .milliseconds(50))
                small = try await client.execute(uri: "/v1/thumbnails/user/1.jpg", method: .get)
            }
            #expect(small.status == .ok)
            let large = try await client.execute(uri: "/v1/thumbnails/user/1.jpg?size=1024", method: .get)
            #expect(try ImageDecoder().decode(Array(large.body.readableBytesView)).width == 1024)
            #expect(try ImageDecoder().decode(Array(small.body.readableBytesView)).width == 256)
            let map = try await client.execute(uri: "/v1/maps/user/1.jpg?resolution=112&format=npy", method: .get)
            #expect(map.status == .ok)
            let grid = try #require(map.headers[HTTPField.Name("X-Patch-Grid")!]).split(separator: "x").compactMap { Int($0) }
            let npy = String(decoding: map.body.readableBytesView.prefix(128), as: UTF8.self)
            #expect(npy.contains("'shape': (\(grid[1]), \(grid[0]), 128)"), "\(npy)")
        }
        var none = ServerConfiguration()
        none.keepsUploadThumbnails = false
        try await Fixture.app(engine, none).test(.router) { client in
            #expect(try await client.put("user/2.jpg", try Fixture.photo("Aqua")).status == .ok)
            try await Task.sleep(for: .seconds(1))  // time enough for a background thumbnail, were one made
            let missing = try await client.execute(uri: "/v1/thumbnails/user/2.jpg", method: .get)
            #expect(missing.status == .notFound && missing.errorCode == "file_unavailable")
        }
    }

    @Test func foreignHostsAndCrossOriginWritesAreRefusedWithoutAKey() async throws {
        let dir = TemporaryDirectory()
        let engine = try Fixture.engine(dir)
        // AsyncHTTPClient sends the Host header it is given (HummingbirdTesting's live client sets its own).
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { try? http.shutdown().wait() }
        @Sendable func status(_ port: Int, _ method: HTTPMethod, _ path: String, _ headers: [(String, String)]) async throws -> UInt {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
            request.method = method
            for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
            return try await http.execute(request, timeout: .seconds(30)).status.code
        }
        try await Fixture.app(engine, ServerConfiguration(port: 0)).test(.live) { client in
            let port = client.port!, own = "127.0.0.1:\(port)"
            let answers = [
                try await status(port, .GET, "/v1/stats", []),
                try await status(port, .GET, "/v1/stats", [("Host", "attacker.example:\(port)")]),
                try await status(port, .GET, "/", [("Host", "attacker.example")]),
                try await status(port, .GET, "/", [("Host", "localhost:\(port)")]),
                try await status(port, .DELETE, "/v1/images/x", [("Origin", "http://attacker.example")]),
                try await status(port, .POST, "/v1/search", [("Origin", "null")]),
                try await status(port, .DELETE, "/v1/images/x", [("Origin", "http://\(own)")]),
                try await status(port, .GET, "/v1/stats", [("Origin", "http://attacker.example")]),  // reads are not writes
            ]
            #expect(answers == [200, 403, 403, 200, 403, 403, 404, 200])
        }
        // With a key the key protects: a reverse proxy may use any Host name.
        try await Fixture.app(engine, ServerConfiguration(port: 0, apiKey: "k")).test(.live) { client in
            let answer = try await status(client.port!, .GET, "/v1/stats", [("Host", "photos.example"), ("Authorization", "Bearer k")])
            #expect(answer == 200)
        }
    }

    @Test func clusterListingsRunInTheBackgroundAndAreKeptUntilTheStoreChanges() async throws {
        let dir = TemporaryDirectory()
        let engine = try Fixture.engine(dir)
        try await Fixture.app(engine).test(.router) { client in
            for name in Fixture.photoNames { #expect(try await client.put("p/\(name)", try Fixture.photo(name)).status == .ok) }
            func listing() async throws -> TestResponse {
                try await client.execute(uri: "/v1/clusters?clusters=3&seed=2&sample=2", method: .get)
            }
            func ready() async throws -> JSON {
                for _ in 0..<600 {
                    let response = try await listing()
                    if response.status == .ok { return response.json }
                    #expect(response.status == .accepted && response.json["status"] as? String == "running")
                    try await Task.sleep(for: .milliseconds(50))
                }
                Issue.record("k-means did not finish")
                return [:]
            }
            #expect(try await listing().status == .accepted)
            let first = try await ready()
            let cards = first["cards"] as? [JSON] ?? []
            let sizes = cards.compactMap { $0.int("size") }
            #expect(sizes.count == 3 && sizes.reduce(0, +) == 7 && sizes == sizes.sorted(by: >))
            #expect(cards.allSatisfy { ($0["images"] as? [JSON])?.count == min($0.int("size")!, 2) })
            let cached = try FileManager.default.contentsOfDirectory(atPath: dir.store + "/cache")
            #expect(cached.count == 1)

            // Unchanged store: answered at once (200), from memory or from the cache file.
            #expect(try await listing().status == .ok)
            let reopened = try #require(try engine.store.cachedClusterIfCurrent(KMeansParameters(clusters: 3, seed: 2)))
            #expect(cards.map { $0.int("size")! } == reopened.members.map(\.count).sorted(by: >))
            let members = try await client.execute(uri: "/v1/clusters/members?clusters=3&seed=2&cluster=\(cards[0].int("cluster")!)", method: .get)
            #expect((members.json["members"] as? [JSON])?.compactMap { $0["id"] as? Int }
                    == reopened.members[cards[0].int("cluster")!].map { Int($0.id) })

            // A change to the store: computed again.
            #expect(try await client.put("p/extra", try Fixture.photo("Aqua")).status == .ok)
            #expect(try engine.store.cachedClusterIfCurrent(KMeansParameters(clusters: 3, seed: 2)) == nil)
            #expect(try await listing().status == .accepted)
            let second = try await ready()
            #expect((second["cards"] as? [JSON] ?? []).compactMap { $0.int("size") }.reduce(0, +) == 8)
        }
    }

    @Test func theDifferenceMapIsRedWhereAPhotoWasEdited() async throws {
        let dir = TemporaryDirectory()
        let engine = try Fixture.engine(dir)
        let photos = try IndexedPhotos(dir, engine: engine)
        // A copy of Aqua with its top-left eighth painted black, indexed from a folder of its own.
        let decoded = try ImageDecoder().decode(contentsOf: photos.kept)
        var rgb = decoded.image.bytes
        let (w, h) = (decoded.image.width, decoded.image.height)
        for y in 0..<(h / 3) { for x in 0..<(w / 3) { for c in 0..<3 { rgb[(y * w + x) * 3 + c] = 0 } } }
        let edited = dir.path + "/edited/Aqua-edited.jpg"
        try FileManager.default.createDirectory(atPath: dir.path + "/edited", withIntermediateDirectories: true)
        try Data(try JPEGEncoder.encode(rgb, width: w, height: h, quality: 95)).write(to: URL(fileURLWithPath: edited))
        _ = try engine.index([dir.path + "/edited"])

        try await Fixture.app(engine).test(.router) { client in
            func difference(_ a: String, _ b: String) async throws -> (png: DecodedImage, mean: Float, least: Float) {
                let response = try await client.execute(
                    uri: "/v1/duplicates/difference?a=\(IndexedPhotos.encoded(a))&b=\(IndexedPhotos.encoded(b))&resolution=224",
                    method: .get)
                #expect(response.status == .ok, "\(response.text.prefix(200))")
                let mean = Float(response.headers[HTTPField.Name("X-Mean-Cosine")!] ?? "") ?? -1
                let least = Float(response.headers[HTTPField.Name("X-Min-Cosine")!] ?? "") ?? -1
                return (try ImageDecoder().decode(Array(response.body.readableBytesView)), mean, least)
            }
            let same = try await difference(photos.kept, photos.kept)
            #expect(same.mean == 1 && same.least == 1)
            #expect(Set(same.png.image.bytes) == [255])  // all white: nothing differs
            let changed = try await difference(photos.kept, edited)
            #expect(changed.least < changed.mean && changed.mean < 1)
            // Redder (less green) in the painted corner than in the untouched opposite one.
            func green(_ x0: Int, _ y0: Int) -> Double {
                let image = changed.png.image, bytes = image.bytes
                var sum = 0.0
                for y in y0..<(y0 + image.height / 4) { for x in x0..<(x0 + image.width / 4) { sum += Double(bytes[(y * image.width + x) * 3 + 1]) } }
                return sum / Double(image.width / 4 * image.height / 4)
            }
            let image = changed.png.image
            #expect(green(0, 0) + 40 < green(image.width * 3 / 4, image.height * 3 / 4), "\(green(0, 0)) vs \(green(image.width * 3 / 4, image.height * 3 / 4))")
        }
    }

    @Test func aDamagedClusterCacheIsRecomputedNotTrusted() async throws {
        let dir = TemporaryDirectory()
        let engine = try Fixture.engine(dir)
        for name in Fixture.photoNames { _ = try await engine.add(try Fixture.photo(name), key: name) }
        let parameters = KMeansParameters(clusters: 2, seed: 4)
        let clustering = try await engine.store.cachedCluster(parameters)
        let file = try #require(try FileManager.default.contentsOfDirectory(atPath: dir.store + "/cache").first)
        let path = dir.store + "/cache/" + file
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(try engine.store.cachedClusterIfCurrent(parameters)?.members == clustering.members)
        for cut in [0, 8, 30, bytes.count / 2, bytes.count - 1] {
            try bytes.prefix(cut).write(to: URL(fileURLWithPath: path))
            #expect(try engine.store.cachedClusterIfCurrent(parameters) == nil, "cut at \(cut)")
        }
        var flipped = bytes
        flipped[8 + 8] ^= 0xFF  // the cluster count
        try flipped.write(to: URL(fileURLWithPath: path))
        #expect(try engine.store.cachedClusterIfCurrent(parameters) == nil)
        #expect(try await engine.store.cachedCluster(parameters).members == clustering.members)
    }
}
