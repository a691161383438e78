import AsyncHTTPClient
import DinoSearch
import DinoTestSupport
import Foundation
import NIOCore
import Testing

/// `dinosearch serve` as users run it: the built binary on a loopback port, stopped by SIGTERM or killed.
@Suite(.offCooperativePool) struct ServeCommandTests {
    static let binary = builtProduct("dinosearch")

    /// A running `dinosearch serve --port 0 --json`, with the port it printed.
    final class Server: @unchecked Sendable {  // set up once, then only read
        let process = Process()
        let port: Int
        let errors = Pipe()

        init(store: String, arguments: [String] = [], environment: [String: String] = [:]) throws {
            let output = Pipe()
            process.executableURL = URL(fileURLWithPath: ServeCommandTests.binary)
            process.arguments = ["serve", "--port", "0", "--json", "--store", store] + arguments
            var env = ProcessInfo.processInfo.environment
            env["DINOSEARCH_MODEL"] = Fixture.model
            env.removeValue(forKey: "DINOSEARCH_API_KEY")
            for (key, value) in environment { env[key] = value }
            process.environment = env
            process.standardOutput = output
            process.standardError = errors
            try process.run()
            // The first line on stdout: {"url": "...", "port": N}, once the server listens.
            var line = Data()
            while !line.contains(10) {
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                line.append(chunk)
            }
            let json = try JSONSerialization.jsonObject(with: line.prefix { $0 != 10 }) as? [String: Any]
            port = try #require(json?["port"] as? Int, "no port line; stderr: \(String(decoding: errors.fileHandleForReading.availableData, as: UTF8.self))")
        }

        deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }  // a failed test leaves no server

        func stop(_ signal: Int32) -> Int32 {
            kill(process.processIdentifier, signal)
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    /// A client with a pool of 8 connections to the server.
    static func client() -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 8
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Uploads `count` distinct images, 8 at a time, and returns the key and id of each one answered 200.
    /// Requests cut off by the server stopping (or by the client's shutdown) simply fail; their images may or may
    /// not be stored.
    static func upload(_ count: Int, to port: Int, with client: HTTPClient, answered: Counter) async -> [(String, Int)] {
        defer { answered.finish() }
        return await withTaskGroup(of: (String, Int)?.self) { group in
            for i in 0..<count {
                group.addTask {
                    let key = "u/\(i).jpg"
                    guard let photo = try? Fixture.photo(Fixture.photoNames[i % 7]) else { return nil }
                    var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/images/\(key)")
                    request.method = .PUT
                    request.headers.add(name: "Content-Type", value: "image/jpeg")
                    request.body = .bytes(ByteBuffer(bytes: photo + Array("variant \(i)".utf8)))
                    let response: HTTPClientResponse
                    do {
                        response = try await client.execute(request, timeout: .seconds(120))
                    } catch {
                        answered.fail("\(error)")
                        return nil
                    }
                    guard response.status.code == 200,
                          let body = try? await response.body.collect(upTo: 1 << 20),
                          let json = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
                          let id = json["id"] as? Int
                    else {
                        answered.fail("HTTP \(response.status.code)")
                        return nil
                    }
                    answered.increment()
                    return (key, id)
                }
            }
            return await group.reduce(into: [(String, Int)]()) { if let answer = $1 { $0.append(answer) } }
        }
    }

    /// Starts 60 uploads, waits for 10 answers, stops the server with `signal`, then ends the client (requests
    /// still queued fail at once) and returns the server's exit status and the acknowledged uploads.
    static func uploadAndStop(_ server: Server, _ signal: Int32) async throws -> (Int32, [(String, Int)]) {
        let client = Self.client()
        let answered = Counter()
        // On the global executor, not this suite's blocking threads, which other suites may be holding.
        let sent = Task(executorPreference: globalConcurrentExecutor) {
            await Self.upload(60, to: server.port, with: client, answered: answered)
        }
        do {
            try await Self.waitFor(10, answered)
        } catch {
            try? await client.shutdown()
            throw error
        }
        let status = server.stop(signal)  // mid-stream: some uploads in flight, others not yet sent
        try? await client.shutdown()
        return (status, await sent.value)
    }

    /// Waits until `count` uploads were answered (at most 10 minutes: CI runs other suites beside this one, and on
    /// two cores their Faiss and encoder threads left a spawned server without a first answer for 5), or until every
    /// upload has ended.
    static func waitFor(_ count: Int, _ answered: Counter) async throws {
        let deadline = ContinuousClock.now + .seconds(600)
        while answered.value < count && !answered.finished && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        try #require(answered.value >= count, "only \(answered.value) uploads were answered; failures: \(answered.failures.prefix(3))")
    }

    /// Every upload answered 200 is in the store — under its key, with the id the answer gave.
    static func expectStored(_ acknowledged: [(String, Int)], in store: String) throws {
        let reopened = try Store(at: store, mode: .readOnly)
        for (key, id) in acknowledged {
            #expect(try reopened.record(path: key)?.id == UInt64(id), "\(key) was answered 200 but is not stored")
        }
        // And the index agrees with the catalog: each acknowledged image is found by its own vector (among the
        // variants of the same photo, which share it).
        for (key, id) in acknowledged.suffix(5) {
            let vector = try #require(try reopened.vector(id: UInt64(id)))
            #expect(try reopened.search(vector, k: 100).contains { $0.record.path == key && $0.score > 0.999 })
        }
    }

    @Test func sigtermFinishesInFlightUploadsSavesAndExitsZero() async throws {
        let dir = TemporaryDirectory()
        let server = try Server(store: dir.store)
        let (status, acknowledged) = try await Self.uploadAndStop(server, SIGTERM)
        #expect(status == 0, "\(String(decoding: server.errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))")
        #expect(acknowledged.count >= 10)
        try Self.expectStored(acknowledged, in: dir.store)
        // Saved on the way out: the index file reflects every change, so the next start replays nothing.
        #expect(FileManager.default.fileExists(atPath: dir.store + "/index.faiss"))
        let restarted = try Server(store: dir.store)
        #expect(restarted.stop(SIGINT) == 0)
    }

    @Test func killMinusNineLosesNothingThatWasAnswered() async throws {
        let dir = TemporaryDirectory()
        let server = try Server(store: dir.store)
        let (_, acknowledged) = try await Self.uploadAndStop(server, SIGKILL)
        #expect(server.process.terminationReason == .uncaughtSignal)
        try Self.expectStored(acknowledged, in: dir.store)
    }

    /// The server's search by image bytes puts first the image `dinosearch query` puts first, on the same store.
    @Test func searchByBytesAgreesWithTheQueryCommand() async throws {
        let dir = TemporaryDirectory()
        let server = try Server(store: dir.store)
        defer { _ = server.stop(SIGTERM) }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        for name in Fixture.photoNames {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(server.port)/v1/images/\(Fixture.photos)/\(name).jpg")
            request.method = .PUT
            request.body = .bytes(ByteBuffer(bytes: try Fixture.photo(name)))
            #expect(try await client.execute(request, timeout: .seconds(30)).status.code == 200)
        }
        for name in ["Garden", "LadyBird"] {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(server.port)/v1/search?k=3")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "image/jpeg")
            request.body = .bytes(ByteBuffer(bytes: try Fixture.photo(name)))
            let body = try await client.execute(request, timeout: .seconds(30)).body.collect(upTo: 1 << 20)
            let served = ((try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? JSON)?["results"] as? [JSON] ?? [])
                .compactMap { $0["key"] as? String }
            // `query` reads the store the server is writing (read-only, beside the writer).
            let query = Process()
            query.executableURL = URL(fileURLWithPath: Self.binary)
            query.arguments = ["query", "\(Fixture.photos)/\(name).jpg", "-k", "3", "--json", "--store", dir.store,
                               "--model", Fixture.model]
            let output = Pipe()
            query.standardOutput = output
            try query.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            query.waitUntilExit()
            let answers = try #require(try JSONSerialization.jsonObject(with: data) as? [JSON])
            let cli = (answers.first?["results"] as? [JSON] ?? []).compactMap { $0["path"] as? String }
            #expect(served.first == "\(Fixture.photos)/\(name).jpg")
            #expect(served == cli)
        }
        try await client.shutdown()
    }

    @Test func refusesToListenBeyondLoopbackWithoutAKey() throws {
        let dir = TemporaryDirectory()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["serve", "--host", "0.0.0.0", "--store", dir.store, "--model", Fixture.model]
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "DINOSEARCH_API_KEY")
        process.environment = env
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 1)
        #expect(message.contains("refusing to listen on 0.0.0.0") && message.contains("DINOSEARCH_API_KEY"), "\(message)")
        #expect(!FileManager.default.fileExists(atPath: dir.store))  // refused before anything was opened
    }

    /// --max-upload takes sizes with units, and the limit it sets is the one the server enforces.
    @Test func maxUploadTakesSizesWithUnits() async throws {
        let bad = Process()
        bad.executableURL = URL(fileURLWithPath: Self.binary)
        bad.arguments = ["serve", "--max-upload", "12XB"]
        let errors = Pipe()
        bad.standardError = errors
        try bad.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        bad.waitUntilExit()
        #expect(bad.terminationStatus == 2 && message.contains("'--max-upload' must be a size"), "\(message)")

        let dir = TemporaryDirectory()
        let server = try Server(store: dir.store, arguments: ["--max-upload", "100KB"])
        defer { _ = server.stop(SIGTERM) }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        for (name, status) in [("FreshFlower", 200), ("Aqua", 413)] {  // 80,905 and 200,353 bytes
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(server.port)/v1/images/\(name).jpg")
            request.method = .PUT
            request.body = .bytes(ByteBuffer(bytes: try Fixture.photo(name)))
            #expect(try await client.execute(request, timeout: .seconds(60)).status.code == status, "\(name)")
        }
        try await client.shutdown()
    }
}

/// Uploads answered, failed (with why), and whether all have ended; thread-safe.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    private var errors: [String] = []
    private var done = false
    func increment() { lock.withLock { count += 1 } }
    func fail(_ reason: String) { lock.withLock { errors.append(reason) } }
    func finish() { lock.withLock { done = true } }
    var value: Int { lock.withLock { count } }
    var failures: [String] { lock.withLock { errors } }
    var finished: Bool { lock.withLock { done } }
}

/// The example client (examples/http-client/client.py, standard-library Python) against the real server: it
/// indexes the example photos and finds one of them by its bytes. Skipped where there is no python3.
@Suite(.offCooperativePool) struct ExampleClientTests {
    static let python = ["/usr/bin/python3", "/usr/local/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) }

    func run(_ arguments: [String]) throws -> (status: Int32, stdout: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.python!)
        process.arguments = [Fixture.repository.appendingPathComponent("examples/http-client/client.py").path] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test(.enabled(if: python != nil)) func indexesAFolderAndSearchesIt() throws {
        let dir = TemporaryDirectory()
        let server = try ServeCommandTests.Server(store: dir.store)
        defer { _ = server.stop(SIGTERM) }
        let url = "http://127.0.0.1:\(server.port)"
        let indexed = try run(["--url", url, "index", Fixture.photos, "--prefix", "user-1/"])
        #expect(indexed.status == 0)
        #expect(indexed.stdout.split(separator: "\n").count == 7 && indexed.stdout.contains("user-1/Garden.jpg"))
        let found = try run(["--url", url, "search", "\(Fixture.photos)/Garden.jpg", "-k", "3", "--prefix", "user-1/"])
        #expect(found.status == 0)
        #expect(found.stdout.hasPrefix("1  1.000  user-1/Garden.jpg\n"), "\(found.stdout)")
        let nobody = try run(["--url", url, "search", "\(Fixture.photos)/Garden.jpg", "--prefix", "user-2/"])
        #expect(nobody.status == 0 && nobody.stdout.isEmpty)
    }
}
