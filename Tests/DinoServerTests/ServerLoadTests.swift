import AsyncHTTPClient
import DinoSearch
import DinoServer
import DinoTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// The server on a real loopback port under concurrent load, through AsyncHTTPClient with a pool of 8 connections.
@Suite struct ServerLoadTests {
    /// Runs `body` with a client whose pool holds at most `connections` connections to the server.
    static func withClient<T>(connections: Int, _ body: (HTTPClient) async throws -> T) async throws -> T {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = connections
        // A request waits in the pool's queue until one of the `connections` is free, and AsyncHTTPClient gives it
        // its connect timeout (10 s by default) for that: 240 requests over 8 connections on two busy cores wait
        // longer than that (getConnectionFromPoolTimeout in CI), so the wait gets the request's own deadline.
        configuration.timeout.connect = .seconds(300)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let value = try await body(client)
            try await client.shutdown()
            return value
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    struct Answer: Sendable {
        var status: Int
        var body: [UInt8]
        var retryAfter: String?
        var json: JSON { (try? JSONSerialization.jsonObject(with: Data(body))) as? JSON ?? [:] }
    }

    enum Verb { case put, post }

    static func send(
        _ client: HTTPClient, _ port: Int, _ method: Verb, _ path: String, body: [UInt8], type: String
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method == .put ? .PUT : .POST
        request.headers.add(name: "Content-Type", value: type)
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await client.execute(request, timeout: .seconds(300))  // a deadline, not a measurement: the parallel suite shares two cores
        let bytes = try await response.body.collect(upTo: 1 << 24)
        return Answer(status: Int(response.status.code), body: Array(bytes.readableBytesView),
                      retryAfter: response.headers.first(name: "Retry-After"))
    }

    /// 200 searches at once over 8 connections while 40 images are being added: no error, and every upload that
    /// was answered 200 is in the store afterwards, under its key and id.
    @Test func concurrentSearchesWhileImagesAreAdded() async throws {
        let dir = TemporaryDirectory()
        let engine = try Fixture.engine(dir)
        var seeded: [[Float]] = []
        for name in Fixture.photoNames {
            try await engine.add(try Fixture.photo(name), key: "seed/\(name).jpg")
            seeded.append(try engine.store.vector(id: engine.store.record(path: "seed/\(name).jpg")!.id)!)
        }
        let queries = seeded
        // No upload thumbnails here: in the debug build each costs about a second of CPU (the resampler is not
        // optimised), and 40 of them on two cores, beside the rest of the parallel suite, push the 240 requests past
        // their 60 s deadline. This test is about searches and uploads under load; WebInterfaceTests and the
        // conformance test cover the thumbnails.
        var configuration = ServerConfiguration()
        configuration.keepsUploadThumbnails = false
        let app = try Fixture.app(engine, configuration)
        let (searches, uploads) = try await app.test(.ahc(.http)) { testClient in
            let port = try #require(testClient.port)
            return try await Self.withClient(connections: 8) { client in
                try await Self.searchWhileUploading(client, port, queries: queries)
            }
        }
        #expect(searches.count == 200 && uploads.count == 40)
        for (i, answer) in searches {
            #expect(answer.status == 200, "\(String(decoding: answer.body, as: UTF8.self))")
            // The query is a stored seed's own vector: that seed comes first, whatever was being added.
            #expect(answer.json.resultKeys.first == "seed/\(Fixture.photoNames[i % 7]).jpg")
        }
        for (key, answer) in uploads {
            #expect(answer.status == 200, "\(key): \(String(decoding: answer.body, as: UTF8.self))")
            #expect(try engine.store.record(path: key)?.id == (answer.json.int("id")).map(UInt64.init))
        }
        #expect(engine.store.count == 47)
    }

    /// 40 uploads of distinct bytes and 200 searches by the seeds' vectors, all sent at once.
    static func searchWhileUploading(
        _ client: HTTPClient, _ port: Int, queries: [[Float]]
    ) async throws -> (searches: [(Int, Answer)], uploads: [(String, Answer)]) {
        try await withThrowingTaskGroup(of: (String, Answer).self) { group in
            for i in 0..<40 {
                // Distinct bytes (a suffix after the JPEG's end), so every upload is embedded and stored.
                let bytes = try Fixture.photo(Fixture.photoNames[i % 7]) + Array("variant \(i)".utf8)
                group.addTask {
                    ("upload/\(i).jpg", try await send(client, port, .put, "/v1/images/upload/\(i).jpg", body: bytes, type: "image/jpeg"))
                }
            }
            for i in 0..<200 {
                let query = try JSONSerialization.data(withJSONObject: ["vector": queries[i % 7].map(Double.init), "k": 5])
                group.addTask {
                    ("search \(i)", try await send(client, port, .post, "/v1/search", body: Array(query), type: "application/json"))
                }
            }
            var searches: [(Int, Answer)] = [], uploads: [(String, Answer)] = []
            for try await (name, answer) in group {
                if name.hasPrefix("search ") { searches.append((Int(name.dropFirst(7))!, answer)) } else { uploads.append((name, answer)) }
            }
            return (searches, uploads)
        }
    }

    /// Past the queue, 503 with Retry-After — an answer the OpenAPI document describes — and nothing else fails.
    @Test func overloadIsAnswered503WithRetryAfter() async throws {
        let dir = TemporaryDirectory()
        let engine = try Fixture.engine(dir)
        var configuration = ServerConfiguration()
        configuration.workers = 1
        configuration.queueLimit = 0  // one image in work at a time, none waiting
        let photo = try Fixture.photo("LadyBird")
        let answers = try await Fixture.app(engine, configuration).test(.ahc(.http)) { testClient in
            let port = try #require(testClient.port)
            return try await Self.withClient(connections: 16) { client in
                try await withThrowingTaskGroup(of: Answer.self) { group in
                    for _ in 0..<16 {
                        group.addTask { try await Self.send(client, port, .post, "/v1/embed", body: photo, type: "image/jpeg") }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
            }
        }
        let overloaded = answers.filter { $0.status == 503 }
        #expect(answers.allSatisfy { $0.status == 200 || $0.status == 503 })
        #expect(!overloaded.isEmpty && overloaded.count < 16, "\(answers.map(\.status))")
        let document = try OpenAPIDocumentModel(OpenAPIDocument.json)
        let schema = try #require(document.response("/v1/embed", "post", 503)?["content"]?["application/json"]?["schema"])
        for answer in overloaded {
            #expect(answer.retryAfter == "1")
            #expect(answer.json["error"].flatMap { ($0 as? JSON)?["code"] as? String } == "overloaded")
            #expect(document.problems(try JSONValue.parse(answer.body), schema).isEmpty)
        }
    }
}

/// `Expect: 100-continue` is answered at once, as curl and libcurl-based clients (PHP's) ask for every upload:
/// over a raw socket, the interim 100 comes before any of the body is sent, then the upload's 200.
///
/// The socket is read on a Dispatch thread: the server runs in this process on the test's executor, and a test
/// blocked in `recv` there could starve the very handler it waits for.
@Suite struct ExpectContinueTests {
    /// Connects to 127.0.0.1:`port` and returns the socket.
    static func connect(_ port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(status == 0, "connect failed: errno \(errno)")
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    static func receive(_ fd: Int32, until marker: String) -> String {
        var text = ""
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !text.contains(marker) {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            text += String(decoding: buffer[..<n], as: UTF8.self)
        }
        return text
    }

    @Test func theBodyIsInvitedAtOnce() async throws {
        let dir = TemporaryDirectory()
        let engine = try Fixture.engine(dir)
        let photo = try Fixture.photo("Aqua")
        try await Fixture.app(engine).test(.ahc(.http)) { client in
            let fd = try Self.connect(try #require(client.port))
            defer { close(fd) }
            let head = "PUT /v1/images/u/a.jpg HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/jpeg\r\n"
                + "Content-Length: \(photo.count)\r\nExpect: 100-continue\r\n\r\n"
            let (interim, final) = await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    _ = send(fd, head, head.utf8.count, 0)
                    let interim = Self.receive(fd, until: "\r\n\r\n")  // before any of the body is sent
                    _ = photo.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
                    continuation.resume(returning: (interim, Self.receive(fd, until: "}")))
                }
            }
            #expect(interim.hasPrefix("HTTP/1.1 100 Continue\r\n"), "\(interim)")
            #expect(final.hasPrefix("HTTP/1.1 200 OK\r\n") && final.contains(#""key":"u/a.jpg""#), "\(final)")
        }
        #expect(engine.store.count == 1)
    }
}
