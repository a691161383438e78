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
        let response = try await client.execute(request, timeout: .seconds(60))
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
        let app = try Fixture.app(engine)
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
