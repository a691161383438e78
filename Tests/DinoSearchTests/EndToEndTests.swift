import DinoImage
import FlyingFox
import Foundation
import DinoTestSupport
import Testing

@testable import DinoSearch

/// The product as users run it: the built `dinosearch` binary on real photos with the tiny fixture model.
@Suite(.serialized, .offCooperativePool) struct EndToEndTests {
    typealias JSON = [String: Any]

    /// Polls the store (read-only, as another process) until `count` images are committed, the indexer exits,
    /// or 5 minutes pass; returns the last count seen.
    func waitForCommitted(_ count: Int, in store: String, while process: Process) -> Int {
        var committed = 0
        let deadline = Date(timeIntervalSinceNow: 300)
        while committed < count && Date() < deadline && process.isRunning {
            Thread.sleep(forTimeInterval: 0.05)
            committed = (try? Store(at: store, mode: .readOnly).count) ?? 0
        }
        return committed
    }

    @Test func indexQueryAndReindex() throws {
        let dir = TemporaryDirectory()
        let cli = CLI(store: dir.store)
        let photos = try photoFolder(in: dir.path)
        let first = try cli.run("index", photos, "--json")
        #expect(first.status == 0, "\(first.stderr)")
        let summary = try #require(first.json as? JSON)
        #expect(summary.int("added") == 7 && summary.int("unchanged") == 0 && summary.int("updated") == 0)
        #expect(summary.int("moved") == 0 && summary.int("removed") == 0 && (summary["failed"] as? [Any])?.isEmpty == true)

        let query = try cli.run("query", photos + "/Aqua.jpg", "-k", "3", "--json")
        #expect(query.status == 0, "\(query.stderr)")
        let answers = try #require(query.json as? [JSON])
        let results = try #require(answers.first?["results"] as? [JSON])
        #expect(answers.first?["query"] as? String == photos + "/Aqua.jpg")
        #expect(results.count == 3)
        #expect(results.first?["path"] as? String == photos + "/Aqua.jpg")
        #expect(((results.first?["score"] as? Double) ?? 0) > 0.999)
        #expect(results.map { $0.int("rank") } == [1, 2, 3])
        #expect(results.allSatisfy { $0["id"] is Int })
        let scores = results.compactMap { $0["score"] as? Double }
        #expect(scores == scores.sorted(by: >))

        // The human form: rank, score with 3 decimals, path.
        let text = try cli.run("query", photos + "/Aqua.jpg", "-k", "1")
        #expect(text.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "1  1.000  \(photos)/Aqua.jpg")

        let again = try #require(try cli.run("index", photos, "--json").json as? JSON)
        #expect(again.int("added") == 0 && again.int("unchanged") == 7 && again.int("updated") == 0)

        let stats = try #require(try cli.run("stats", "--json").json as? JSON)
        #expect(stats.int("images") == 7)
    }

    /// A query image not in the store is embedded; one that is reuses its vector (same answer).
    @Test func queryByOutsideImage() throws {
        let dir = TemporaryDirectory()
        let cli = CLI(store: dir.store)
        let photos = try photoFolder(in: dir.path)
        try cli.run("index", photos)
        let outside = dir.path + "/outside.jpg"
        try FileManager.default.copyItem(atPath: photos + "/LadyBird.jpg", toPath: outside)
        let answers = try #require(try cli.run("query", outside, "--json", "-k", "2", "--min-score", "0.5").json as? [JSON])
        let results = try #require(answers.first?["results"] as? [JSON])
        #expect(results.first?["path"] as? String == photos + "/LadyBird.jpg")
        #expect(((results.first?["score"] as? Double) ?? 0) > 0.999)
        let none = try #require(try cli.run("query", outside, "--json", "--min-score", "1.01").json as? [JSON])
        #expect((none.first?["results"] as? [Any])?.isEmpty == true)
    }

    @Test func modifiedMovedTouchedAndDeletedFiles() throws {
        let dir = TemporaryDirectory()
        let cli = CLI(store: dir.store)
        let photos = try photoFolder(in: dir.path)
        try cli.run("index", photos)
        let fm = FileManager.default
        // Touched: new modification time, same bytes.
        try fm.setAttributes([.modificationDate: Date(timeIntervalSinceNow: 60)], ofItemAtPath: photos + "/Garden.jpg")
        // Modified: other bytes at the same path.
        try Data(contentsOf: URL(fileURLWithPath: Fixturesless.jpeg)).write(to: URL(fileURLWithPath: photos + "/Aqua.jpg"))
        // Moved into a subfolder and renamed.
        try fm.createDirectory(atPath: photos + "/2024", withIntermediateDirectories: true)
        try fm.moveItem(atPath: photos + "/LadyBird.jpg", toPath: photos + "/2024/ladybird-renamed.jpg")
        // Deleted.
        try fm.removeItem(atPath: photos + "/GreenMeadow.jpg")

        let summary = try #require(try cli.run("index", photos, "--json").json as? JSON)
        #expect(summary.int("updated") == 1, "\(summary)")
        #expect(summary.int("moved") == 1, "\(summary)")
        #expect(summary.int("added") == 0, "\(summary)")
        #expect(summary.int("unchanged") == 4, "\(summary)")  // 3 untouched + the touched one
        #expect(summary.int("removed") == 0, "without --prune the deleted file stays")

        let store = try Store(at: dir.store, mode: .readOnly)
        let moved = try #require(try store.record(path: photos + "/2024/ladybird-renamed.jpg"))
        #expect(try store.record(path: photos + "/LadyBird.jpg") == nil)
        #expect(moved.width == 2560 && moved.height == 1600)
        let touched = try #require(try store.record(path: photos + "/Garden.jpg"))
        #expect(touched.modified == FileStatus(photos + "/Garden.jpg")!.modified)

        let pruned = try #require(try cli.run("index", photos, "--prune", "--json").json as? JSON)
        #expect(pruned.int("removed") == 1 && pruned.int("added") == 0 && pruned.int("unchanged") == 6, "\(pruned)")
        let stats = try #require(try cli.run("stats", "--json").json as? JSON)
        #expect(stats.int("images") == 6)
        // The moved image is found under its new path, with its old vector.
        let answers = try #require(try cli.run("query", photos + "/2024/ladybird-renamed.jpg", "-k", "1", "--json").json as? [JSON])
        #expect((answers.first?["results"] as? [JSON])?.first?["path"] as? String == photos + "/2024/ladybird-renamed.jpg")
    }

    @Test func brokenFilesAreReportedAndTheRestIndexed() throws {
        let dir = TemporaryDirectory()
        let cli = CLI(store: dir.store)
        let photos = try photoFolder(in: dir.path)
        let aqua = try Data(contentsOf: URL(fileURLWithPath: photos + "/Aqua.jpg"))
        try Data().write(to: URL(fileURLWithPath: photos + "/empty.jpg"))
        try Data("not an image\n".utf8).write(to: URL(fileURLWithPath: photos + "/text.webp"))
        try Data(aqua.prefix(200)).write(to: URL(fileURLWithPath: photos + "/headless.jpg"))
        try Data("some notes".utf8).write(to: URL(fileURLWithPath: photos + "/notes.txt"))  // not an image: ignored
        try Data(aqua.prefix(aqua.count / 2)).write(to: URL(fileURLWithPath: photos + "/half.jpg"))  // recoverable
        // A symlink loop and a dangling link: the walk must end and skip both.
        try FileManager.default.createDirectory(atPath: photos + "/sub", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: photos + "/sub/loop", withDestinationPath: "..")
        try FileManager.default.createSymbolicLink(atPath: photos + "/sub/gone.jpg", withDestinationPath: "nowhere.jpg")
        try FileManager.default.createDirectory(atPath: photos + "/.hidden", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: photos + "/Garden.jpg", toPath: photos + "/.hidden/copy.jpg")

        let result = try cli.run("index", photos, "--json")
        #expect(result.status == 0)
        let summary = try #require(result.json as? JSON)
        let failed = try #require(summary["failed"] as? [JSON])
        let failedPaths = Set(failed.compactMap { $0["path"] as? String })
        #expect(failedPaths == [photos + "/empty.jpg", photos + "/text.webp", photos + "/headless.jpg"], "\(failed)")
        #expect(failed.allSatisfy { !(($0["reason"] as? String) ?? "").isEmpty })
        #expect(summary.int("added") == 8, "7 photos and the truncated one: \(summary)")
        #expect(result.stderr.contains("empty.jpg") && result.stderr.contains("half.jpg"))

        #expect(try cli.run("index", photos, "--strict").status == 1)
        let hidden = try #require(try cli.run("index", photos, "--hidden", "--json").json as? JSON)
        #expect(hidden.int("added") == 1, "the hidden copy reuses Garden's vector: \(hidden)")
    }

    /// kill -9 in the middle of a run, then run again: every committed batch kept, nothing twice.
    @Test func killedIndexerResumes() throws {
        let dir = TemporaryDirectory()
        let cli = CLI(store: dir.store)
        let photos = try photoFolder(in: dir.path, variants: 73)
        let total = 80
        let process = try cli.start(["index", photos, "--batch-size", "4"])
        let committed = waitForCommitted(12, in: dir.store, while: process)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try #require(committed >= 12 && committed < total, "killed after \(committed) of \(total)")

        let summary = try #require(try cli.run("index", photos, "--json").json as? JSON)
        let before = summary.int("unchanged") ?? -1
        #expect(before >= committed, "\(summary)")
        #expect(before + (summary.int("added") ?? 0) == total, "\(summary)")
        let store = try Store(at: dir.store, mode: .readOnly)
        let records = try store.records()
        #expect(records.count == total)
        #expect(Set(records.map(\.path)).count == total)
        #expect(store.count == total)
    }

    /// Ctrl-C: the run stops after the batch in flight, saves, reports what it did, exits 130; the next run
    /// finishes the job.
    @Test func interruptedIndexerStopsCleanly() throws {
        let dir = TemporaryDirectory()
        let cli = CLI(store: dir.store)
        let photos = try photoFolder(in: dir.path, variants: 73)
        let out = Pipe()
        let process = try cli.start(["index", photos, "--batch-size", "4", "--json"], stdout: out)
        let committed = waitForCommitted(8, in: dir.store, while: process)
        kill(process.processIdentifier, SIGINT)
        let output = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(committed >= 8 && committed < 80, "interrupted after \(committed)")
        #expect(process.terminationStatus == 130)
        let summary = try #require(try JSONSerialization.jsonObject(with: output) as? JSON)
        #expect(summary["interrupted"] as? Bool == true)
        let added = try #require(summary.int("added"))
        #expect(added >= committed && added < 80, "\(summary)")
        #expect(try Store(at: dir.store, mode: .readOnly).count == added)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.store).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)

        let rest = try #require(try cli.run("index", photos, "--json").json as? JSON)
        #expect(rest.int("added") == 80 - added && rest.int("unchanged") == added, "\(rest)")
        #expect(rest["interrupted"] as? Bool == false)
    }

    /// Queries from other processes while an indexer writes: each succeeds and sees a consistent store.
    @Test func queriesDuringIndexing() throws {
        let dir = TemporaryDirectory()
        let cli = CLI(store: dir.store)
        let photos = try photoFolder(in: dir.path, variants: 60)
        try cli.run("index", photos + "/Aqua.jpg")
        let indexer = try cli.start(["index", photos, "--batch-size", "4"])
        var queries = 0
        while indexer.isRunning || queries < 2 {
            let result = try cli.run("query", photos + "/Aqua.jpg", "-k", "5", "--json")
            #expect(result.status == 0, "\(result.stderr)")
            let results = try #require((result.json as? [JSON])?.first?["results"] as? [JSON])
            #expect(results.first?["path"] as? String == photos + "/Aqua.jpg")
            let scores = results.compactMap { $0["score"] as? Double }
            #expect(scores == scores.sorted(by: >))
            #expect(results.allSatisfy { FileManager.default.fileExists(atPath: ($0["path"] as? String) ?? "") })
            queries += 1
        }
        indexer.waitUntilExit()
        #expect(indexer.terminationStatus == 0)
        print("\(queries) queries ran while indexing")
    }

    @Test func embedOutputsMatchTheReferencePipeline() throws {
        let dir = TemporaryDirectory()
        let cli = CLI(store: dir.store)
        let files = ["Aqua.jpg", "GreenMeadow.jpg"].map { CLI.photos + "/" + $0 }
        let reference = try JSONSerialization.jsonObject(with: Data(contentsOf: CLI.repository.appendingPathComponent(
            "Tests/DinoSearchTests/Fixtures/pipeline_reference.json"))) as! [JSON]
        func expected(_ path: String) -> [Double] {
            reference.first { $0["file"] as? String == (path as NSString).lastPathComponent }!["embedding"] as! [Double]
        }
        // Full-size decoding: the same pixels as PIL, so the same embedding as transformers.
        for (flags, bound) in [(["--full-decode"], 1e-5), ([], 1e-3)] {
            let result = try cli.run(["embed", "--json"] + flags + files)
            #expect(result.status == 0, "\(result.stderr)")
            let rows = try #require(result.json as? [JSON])
            #expect(rows.count == 2)
            for (row, file) in zip(rows, files) {
                #expect(row["path"] as? String == file)
                let embedding = try #require(row["embedding"] as? [Double])
                #expect(embedding.count == 128)
                let worst = zip(embedding, expected(file)).map { abs($0 - $1) }.max()!
                print("embed \(flags) \((file as NSString).lastPathComponent): max |Δ| vs PIL + transformers \(worst)")
                #expect(worst <= bound)
            }
        }

        try FileManager.default.createDirectory(atPath: dir.path, withIntermediateDirectories: true)
        let npy = dir.path + "/out.npy"
        #expect(try cli.run(["embed", "--npy", npy] + files).status == 0)
        let data = try Data(contentsOf: URL(fileURLWithPath: npy))
        #expect(data.prefix(6) == Data([0x93] + Array("NUMPY".utf8)))
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        let header = String(decoding: data[10..<(10 + headerLength)], as: UTF8.self)
        #expect(header.contains("'descr': '<f4'") && header.contains("'shape': (2, 128)"))
        #expect((10 + headerLength) % 64 == 0)
        #expect(data.count == 10 + headerLength + 2 * 128 * 4)
    }

    @Test func failuresSayWhatToDo() throws {
        let dir = TemporaryDirectory()
        var cli = CLI(store: dir.store)
        let photos = try photoFolder(in: dir.path)

        // No model anywhere.
        var noModel = cli
        noModel.model = ""
        noModel.environment["XDG_CACHE_HOME"] = dir.path + "/empty-cache"
        let missing = try noModel.run("index", photos)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("dinosearch model download small"), "\(missing.stderr)")
        #expect(missing.stderr.split(separator: "\n").count == 1)

        // A query image that cannot be read.
        try cli.run("index", photos)
        let unreadable = try cli.run("query", dir.path + "/nope.png")
        #expect(unreadable.status == 1 && unreadable.stderr.contains("nope.png"), "\(unreadable.stderr)")

        // A store made with another model.
        cli.model = CLI.repository.appendingPathComponent("Tests/DinoModelTests/Fixtures/swiglu/model.safetensors").path
        let other = try cli.run("query", photos + "/Aqua.jpg")
        #expect(other.status == 1 && other.stderr.lowercased().contains("model"), "\(other.stderr)")
        #expect(!other.stderr.contains("Fatal error"))

        // Bad usage.
        #expect(try cli.run("query", photos + "/Aqua.jpg", "-k", "0").status == 2)
        #expect(try cli.run("index").status == 2)
        #expect(try cli.run("index", dir.path + "/no-such-folder").status == 1)
    }

    @Test func lockedStoreIsReportedNotWaitedFor() throws {
        let dir = TemporaryDirectory()
        let cli = CLI(store: dir.store)
        let photos = try photoFolder(in: dir.path)
        try cli.run("index", photos + "/Aqua.jpg")
        let holder = try Store(at: dir.store)  // this process holds the writer lock
        let result = try cli.run("index", photos)
        #expect(result.status == 1 && result.stderr.contains("locked"), "\(result.stderr)")
        _ = holder
    }

    /// The library API a backend uses: bytes in memory, search by bytes, id and vector, removal by key.
    @Test func libraryAPI() async throws {
        let dir = TemporaryDirectory()
        let engine = try SearchEngine(store: dir.store, model: CLI.fixtureModel)
        let aqua = try ImageFile.read(CLI.photos + "/Aqua.jpg")
        let meadow = try ImageFile.read(CLI.photos + "/GreenMeadow.jpg")
        async let a = engine.add(aqua, key: "user-1/aqua")
        async let b = engine.add(meadow, key: "user-1/meadow")
        let (aquaID, meadowID) = try await (a, b)
        #expect(aquaID != meadowID)
        let byBytes = try await engine.search(aqua, k: 2)
        #expect(byBytes.first?.record.path == "user-1/aqua" && byBytes.first!.score > 0.999)
        #expect(try engine.search(id: meadowID, k: 1).first?.id == meadowID)
        let vector = try await engine.embed(meadow)
        #expect(try engine.search(vector: vector, k: 1, minimumScore: 0.99).first?.id == meadowID)
        let fileID = try await engine.add(contentsOf: URL(fileURLWithPath: CLI.photos + "/Garden.jpg"))
        #expect(try engine.store.record(id: fileID)?.path == CLI.photos + "/Garden.jpg")
        #expect(try engine.remove(key: "user-1/aqua"))
        #expect(try await engine.search(aqua, k: 3).allSatisfy { $0.id != aquaID })
        do {
            _ = try await engine.add(Array("not an image".utf8), key: "bad")
            Issue.record("a text upload was accepted")
        } catch let error as ImageError {
            #expect(error.kind == .notAnImage)
        }
    }
}

/// Adding from an http URL, against a real HTTP server on loopback.
@Suite struct AddFromURLTests {
    @Test func addsFromHTTPAndReportsServerErrors() async throws {
        let photo = try Data(contentsOf: URL(fileURLWithPath: CLI.photos + "/Garden.jpg"))
        let http = HTTPServer(address: try .inet(ip4: "127.0.0.1", port: 0), logger: .disabled)
        await http.appendRoute("GET /photos/garden.jpg") { _ in HTTPResponse(statusCode: .ok, body: photo) }
        await http.appendRoute("GET /photos/missing.jpg") { _ in HTTPResponse(statusCode: .notFound) }
        let task = Task { try await http.run() }
        defer { task.cancel() }
        try await http.waitUntilListening(timeout: 60)
        guard case let .ip4(_, port) = await http.listeningAddress else { throw CancellationError() }

        let dir = TemporaryDirectory()
        let engine = try SearchEngine(store: dir.store, model: CLI.fixtureModel)
        let url = URL(string: "http://127.0.0.1:\(port)/photos/garden.jpg")!
        let id = try await engine.add(contentsOf: url)
        #expect(try engine.store.record(id: id)?.path == url.absoluteString)
        let local = try await engine.search(contentsOf: CLI.photos + "/Garden.jpg", k: 1)
        #expect(local.first?.id == id && local.first!.score > 0.999)
        do {
            _ = try await engine.add(contentsOf: URL(string: "http://127.0.0.1:\(port)/photos/missing.jpg")!)
            Issue.record("a 404 was added")
        } catch let error as ImageError {
            #expect(error.kind == .unreadable && error.message.contains("404"), "\(error)")
        }
        await http.stop(timeout: 1)
    }
}

/// A JPEG with other bytes than the example photos (one of the image fixtures).
enum Fixturesless {
    static let jpeg = CLI.repository.appendingPathComponent("Tests/DinoImageTests/Fixtures/baseline.jpg").path
}
