import Crypto
import DinoModel
import FlyingFox
import DinoTestSupport
import Foundation
import Testing

@testable import DinoSearch

/// `ModelDownloader` against a real HTTP server on loopback that serves the tiny fixture checkpoint the way the
/// hub does (Range requests, the file's SHA-256 as X-Linked-Etag).
@Suite struct ModelDownloadTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../DinoModelTests/Fixtures/plain").standardizedFileURL

    /// What the server saw and how it should misbehave.
    final class Server: @unchecked Sendable {
        let lock = NSLock()
        var ranges: [String] = []
        var announcedSHA256: String?
        var model: Data
        let http: HTTPServer
        var task: Task<Void, Error>?

        init(model: Data? = nil) throws {
            self.model = try model ?? Data(contentsOf: ModelDownloadTests.fixture.appendingPathComponent("model.safetensors"))
            http = HTTPServer(address: try .inet(ip4: "127.0.0.1", port: 0), logger: .disabled)
        }

        func start() async throws -> URL {
            let config = try Data(contentsOf: ModelDownloadTests.fixture.appendingPathComponent("config.json"))
            await http.appendRoute("GET /facebook/dinov2-small/resolve/main/config.json") { _ in
                HTTPResponse(statusCode: .ok, body: config)
            }
            await http.appendRoute("GET /facebook/dinov2-small/resolve/main/model.safetensors") { [self] request in
                lock.withLock { respond(request) }
            }
            task = Task { try await http.run() }
            try await http.waitUntilListening(timeout: 60)  // generous: a loaded 2-core CI machine starts it slowly
            guard case let .ip4(_, port) = await http.listeningAddress else { throw CancellationError() }
            return URL(string: "http://127.0.0.1:\(port)")!
        }

        private func respond(_ request: HTTPRequest) -> HTTPResponse {
            let sha = announcedSHA256 ?? SHA256.hash(data: model).hex
            var headers: HTTPHeaders = [HTTPHeader("X-Linked-Etag"): "\"\(sha)\""]
            if let range = request.headers[HTTPHeader("Range")] {
                ranges.append(range)
                let start = Int(range.dropFirst("bytes=".count).dropLast())!
            guard start < model.count else { return HTTPResponse(statusCode: HTTPStatusCode(416, phrase: "Range Not Satisfiable")) }
                headers[HTTPHeader("Content-Range")] = "bytes \(start)-\(model.count - 1)/\(model.count)"
                return HTTPResponse(statusCode: .partialContent, headers: headers, body: model.subdata(in: start..<model.count))
            }
            return HTTPResponse(statusCode: .ok, headers: headers, body: model)
        }

        func stop() async {
            await http.stop(timeout: 1)
            task?.cancel()
        }
    }

    @Test func downloadsAndChecksTheCheckpoint() async throws {
        let server = try Server()
        let endpoint = try await server.start()
        let dir = TemporaryDirectory()
        let progress = Progress()
        let folder = try await ModelDownloader(endpoint: endpoint)
            .download(PublishedModel(.small), into: dir.path + "/dinov2-small") { file, done, total in
                progress.record(file, done, total)
            }
        await server.stop()
        let encoder = try DinoEncoder(contentsOf: folder)
        let reference = try DinoEncoder(contentsOf: Self.fixture.path)
        #expect(encoder.fingerprint == reference.fingerprint)
        #expect(!FileManager.default.fileExists(atPath: folder + "/model.safetensors.part"))
        #expect(progress.finalDone("model.safetensors") == Int64(server.model.count))
        #expect(server.ranges.isEmpty)
    }

    /// Downloads with a `.part` file already holding `part(model)`; returns the Range headers the server saw.
    func downloadOver(part: (Data) -> Data) async throws -> [String] {
        let server = try Server()
        let endpoint = try await server.start()
        let dir = TemporaryDirectory()
        let folder = dir.path + "/dinov2-small"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try part(server.model).write(to: URL(fileURLWithPath: folder + "/model.safetensors.part"))
        try await ModelDownloader(endpoint: endpoint).download(PublishedModel(.small), into: folder)
        await server.stop()
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder + "/model.safetensors")) == server.model)
        return server.ranges
    }

    @Test func resumesAPartialDownload() async throws {
        let size = try Data(contentsOf: Self.fixture.appendingPathComponent("model.safetensors")).count
        #expect(try await downloadOver { $0.prefix(size / 2) } == ["bytes=\(size / 2)-"])
    }

    @Test func restartsAPartFileThatIsTooLong() async throws {
        let size = try Data(contentsOf: Self.fixture.appendingPathComponent("model.safetensors")).count
        #expect(try await downloadOver { $0 + Data(count: 10) } == ["bytes=\(size + 10)-"])
    }

    /// Runs a download from `server` that must fail; returns the error and the folder it downloaded into.
    func failedDownload(
        from server: Server, of model: PublishedModel = PublishedModel(.small), in dir: TemporaryDirectory
    ) async throws -> (error: ModelError?, folder: String) {
        let endpoint = try await server.start()
        let folder = dir.path + "/m"
        let error = await #expect(throws: ModelError.self) {
            try await ModelDownloader(endpoint: endpoint).download(model, into: folder)
        }
        await server.stop()
        return (error, folder)
    }

    @Test func refusesAChecksumMismatch() async throws {
        let server = try Server()
        server.announcedSHA256 = String(repeating: "ab", count: 32)
        let dir = TemporaryDirectory()
        let (error, folder) = try await failedDownload(from: server, in: dir)
        #expect(error?.kind == .download)
        #expect(error?.message.contains("SHA-256") == true)
        #expect(!FileManager.default.fileExists(atPath: folder + "/model.safetensors"))
        #expect(!FileManager.default.fileExists(atPath: folder + "/model.safetensors.part"))
    }

    @Test func refusesAFileThatIsNotACheckpoint() async throws {
        let dir = TemporaryDirectory()
        let (error, folder) = try await failedDownload(from: try Server(model: Data(repeating: 7, count: 5000)), in: dir)
        #expect(error?.kind == .malformed)
        #expect(!FileManager.default.fileExists(atPath: folder + "/model.safetensors"))
    }

    @Test func reportsAMissingModel() async throws {
        let dir = TemporaryDirectory()
        let (error, _) = try await failedDownload(from: try Server(), of: PublishedModel(.giant, registers: true), in: dir)
        #expect(error?.kind == .download)
        #expect(error?.message.contains("404") == true)
    }

    @Test func namesThePublishedRepositories() {
        #expect(PublishedModel(.small).repository == "facebook/dinov2-small")
        #expect(PublishedModel(.large, registers: true).repository == "facebook/dinov2-with-registers-large")
    }
}

/// Collects progress callbacks (they arrive on URLSession's queue).
final class Progress: @unchecked Sendable {
    private let lock = NSLock()
    private var last: [String: Int64] = [:]
    func record(_ file: String, _ done: Int64, _ total: Int64?) {
        lock.lock()
        last[file] = done
        lock.unlock()
    }
    func finalDone(_ file: String) -> Int64? {
        lock.lock()
        defer { lock.unlock() }
        return last[file]
    }
}
