import Foundation
import DinoTestSupport
import Testing

@testable import DinoSearch

/// `export`, `import`, `embed --out` and `query --vectors` as users and scripts run them: the built binary, the
/// fixture model, the example photos.
@Suite(.serialized, .offCooperativePool) struct InterchangeCLITests {
    typealias JSON = [String: Any]

    /// Records by path, with their stored vectors.
    func contents(of store: String) throws -> [String: (ImageRecord, [Float])] {
        let opened = try Store(at: store, mode: .readOnly)
        var out: [String: (ImageRecord, [Float])] = [:]
        for record in try opened.records() { out[record.path] = (record, try opened.vector(id: record.id) ?? []) }
        return out
    }

    /// Embedding on "another machine" (`embed --out`) and importing gives the store that `index` gives.
    @Test func embedOutThenImportEqualsIndex() throws {
        let dir = TemporaryDirectory()
        let photos = try photoFolder(in: dir.path)
        try Data("not an image".utf8).write(to: URL(fileURLWithPath: photos + "/broken.jpg"))
        let files = try FileManager.default.contentsOfDirectory(atPath: photos).sorted().map { photos + "/" + $0 }

        let indexed = CLI(store: dir.path + "/indexed")
        #expect(try indexed.run("index", photos).status == 0)
        let shard = dir.path + "/shard"
        let embed = try CLI(store: dir.path + "/unused").run(["embed", "--out", shard] + files)
        #expect(embed.status == 0, "\(embed.stderr)")
        #expect(embed.stdout.hasPrefix("embedded 7, failed 1"), "\(embed.stdout)")
        #expect(embed.stderr.contains("skipped \(photos)/broken.jpg: "), "\(embed.stderr)")
        let failures = try String(contentsOfFile: shard + "/failures.jsonl", encoding: .utf8)
        #expect(failures.split(separator: "\n").count == 1 && failures.contains("\"path\":\"\(photos)/broken.jpg\""))
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/unused"), "embed touches no store")

        // The same files from a list (a blank line, a CRLF ending), decoded on three threads ahead of the encoder:
        // the same folder byte for byte, rows in the list's order.
        let list = dir.path + "/files.txt"
        try (files.prefix(4).joined(separator: "\n") + "\n\n" + files.dropFirst(4).joined(separator: "\r\n") + "\n")
            .write(toFile: list, atomically: true, encoding: .utf8)
        let listed = try CLI(store: dir.path + "/unused").run("embed", "--files-from", list, "--out", dir.path + "/listed",
                                                             "--decode-threads", "3")
        #expect(listed.status == 0, "\(listed.stderr)")
        for file in ["vectors.npy", "records.jsonl", "failures.jsonl", "store.json"] {
            #expect(FileManager.default.contents(atPath: shard + "/" + file) == FileManager.default.contents(atPath: dir.path + "/listed/" + file),
                    "\(file) differs")
        }
        let noList = try CLI(store: dir.path + "/unused").run("embed", "--files-from", dir.path + "/missing.txt", "--out", dir.path + "/x")
        #expect(noList.status == 1 && noList.stderr.contains("cannot read the list \(dir.path)/missing.txt"), "\(noList.stderr)")
        #expect(try CLI(store: dir.path + "/unused").run("embed").status == 2)

        let cli = CLI(store: dir.path + "/imported", model: "/nonexistent/model.safetensors")  // no model needed
        let imported = try cli.run("import", shard, "--json")
        #expect(imported.status == 0, "\(imported.stderr)")
        let summary = try #require(imported.json as? JSON)
        #expect(summary.int("added") == 7 && summary.int("updated") == 0 && summary.int("unchanged") == 0, "\(summary)")

        let a = try contents(of: dir.path + "/indexed"), b = try contents(of: dir.path + "/imported")
        #expect(Set(a.keys) == Set(b.keys) && a.count == 7)
        for (path, (record, vector)) in a {
            let (other, otherVector) = try #require(b[path])
            #expect(record.fileSize == other.fileSize && record.modified == other.modified, "\(path)")
            #expect(record.contentHash == other.contentHash && record.width == other.width && record.height == other.height)
            #expect(vector.map(\.bitPattern) == otherVector.map(\.bitPattern), "\(path)")
        }
        let q1 = try indexed.run("query", photos + "/Aqua.jpg", "-k", "7", "--json")
        let q2 = try CLI(store: dir.path + "/imported").run("query", photos + "/Aqua.jpg", "-k", "7", "--json")
        let r1 = try #require((q1.json as? [JSON])?.first?["results"] as? [JSON])
        let r2 = try #require((q2.json as? [JSON])?.first?["results"] as? [JSON])
        #expect(r1.map { $0["path"] as? String } == r2.map { $0["path"] as? String } && r1.count == 7)
        #expect(r1.map { $0["score"] as? Double } == r2.map { $0["score"] as? Double })

        // The shard describes the indexed files exactly: importing it there changes nothing.
        let again = try #require(try indexed.run("import", shard, "--json").json as? JSON)
        #expect(again.int("unchanged") == 7 && again.int("added") == 0 && again.int("updated") == 0, "\(again)")
    }

    @Test func queryByVectors() throws {
        let dir = TemporaryDirectory()
        let photos = try photoFolder(in: dir.path)
        let cli = CLI(store: dir.store)
        #expect(try cli.run("index", photos).status == 0)
        #expect(try cli.run("export", dir.path + "/export").status == 0)
        let paths = try String(contentsOfFile: dir.path + "/export/records.jsonl", encoding: .utf8)
            .split(separator: "\n").map { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? JSON)?["path"] as? String
            }
        let q = dir.path + "/export/vectors.npy"
        let modelless = CLI(store: dir.store, model: "/nonexistent/model.safetensors")
        let result = try modelless.run("query", "--vectors", q, "-k", "3", "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let answers = try #require(result.json as? [JSON])
        #expect(answers.count == 7)
        for (row, answer) in answers.enumerated() {
            #expect(answer["query"] as? String == "\(q):\(row)")
            let results = try #require(answer["results"] as? [JSON])
            #expect(results.count == 3 && results.map { $0.int("rank") } == [1, 2, 3])
            #expect(results.first?["path"] as? String == paths[row], "row \(row)")
            #expect(((results.first?["score"] as? Double) ?? 0) > 0.9999)
        }
        // The same answer as the image query it stands for.
        let byImage = try #require(try cli.run("query", photos + "/Garden.jpg", "-k", "3", "--json").json as? [JSON])
        let row = try #require(paths.firstIndex(of: photos + "/Garden.jpg"))
        let a = byImage[0]["results"] as? [JSON], b = answers[row]["results"] as? [JSON]
        #expect(a?.map { $0["path"] as? String } == b?.map { $0["path"] as? String })

        #expect(try cli.run("query", photos + "/Garden.jpg", "--vectors", q).status == 2)
        #expect(try cli.run("query").status == 2)
        let missing = try cli.run("query", "--vectors", dir.path + "/none.npy")
        #expect(missing.status == 1 && missing.stderr.contains("none.npy"))
    }

    @Test func importRefusalsLeaveTheStoreAsItWas() throws {
        let dir = TemporaryDirectory()
        let photos = try photoFolder(in: dir.path)
        let cli = CLI(store: dir.store)
        #expect(try cli.run("index", photos).status == 0)
        let before = try contents(of: dir.store).keys.sorted()

        // Another model's embeddings.
        let other = CLI(store: dir.store, model: CLI.repository.appendingPathComponent(
            "Tests/DinoModelTests/Fixtures/registers/model.safetensors").path)
        #expect(try other.run("embed", "--out", dir.path + "/other", photos + "/Aqua.jpg").status == 0)
        let refused = try cli.run("import", dir.path + "/other")
        #expect(refused.status == 1)
        #expect(refused.stderr.split(separator: "\n").count == 1 && refused.stderr.contains("model"), "\(refused.stderr)")

        // A malformed line.
        #expect(try cli.run("export", dir.path + "/export").status == 0)
        let records = dir.path + "/export/records.jsonl"
        var lines = try String(contentsOfFile: records, encoding: .utf8).split(separator: "\n").map(String.init)
        lines[4] = "{\"path\": \"/a.jpg\", \"size\": \"big\"}"
        try (lines.joined(separator: "\n") + "\n").write(toFile: records, atomically: true, encoding: .utf8)
        let malformed = try cli.run("import", dir.path + "/export")
        #expect(malformed.status == 1)
        #expect(malformed.stderr.contains("records.jsonl: line 5: \"size\" has the wrong type"), "\(malformed.stderr)")

        // Not an export folder; an export into a non-empty folder; usage.
        let notExport = try cli.run("import", photos)
        #expect(notExport.status == 1 && notExport.stderr.contains("store.json"), "\(notExport.stderr)")
        let busy = try cli.run("export", photos)
        #expect(busy.status == 1 && busy.stderr.contains("not empty"), "\(busy.stderr)")
        #expect(try cli.run("import").status == 2)
        #expect(try cli.run("embed", "--out", dir.path + "/x", "--json", photos + "/Aqua.jpg").status == 2)

        #expect(try contents(of: dir.store).keys.sorted() == before)
    }

    /// kill -9 in the middle of an import, then the same command again: every row exactly once, bit for bit.
    @Test func killedImportResumes() throws {
        let dir = TemporaryDirectory()
        let total = 60_000, dimension = 32
        let source = dir.path + "/vectors"
        try FileManager.default.createDirectory(atPath: dir.path, withIntermediateDirectories: true)
        let writer = try InterchangeWriter(directory: source, model: "test-model", dimension: dimension)
        var generator = ClusteredVectors(dimension: dimension, clusters: 50, seed: 7)
        var vectors: [String: [Float]] = [:]
        for i in 0..<total {
            let vector = generator.next()
            vectors["/img/\(i).jpg"] = vector
            try writer.append(Interchange.Record(path: "/img/\(i).jpg", size: Int64(i)), vector: vector)
        }
        try writer.finish()

        let cli = CLI(store: dir.store)
        let process = try cli.start(["import", source, "--batch-size", "200"])
        var committed = 0
        let deadline = Date(timeIntervalSinceNow: 120)
        while committed < 4000 && Date() < deadline && process.isRunning {
            Thread.sleep(forTimeInterval: 0.02)
            committed = (try? Store(at: dir.store, mode: .readOnly).count) ?? 0
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try #require(committed >= 4000 && committed < total, "killed after \(committed) of \(total)")

        let resumed = try cli.run("import", source, "--json")
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let summary = try #require(resumed.json as? JSON)
        let unchanged = summary.int("unchanged") ?? -1
        #expect(unchanged >= committed && unchanged + (summary.int("added") ?? 0) == total, "\(summary)")
        #expect(summary.int("updated") == 0)

        let store = try Store(at: dir.store, mode: .readOnly)
        #expect(store.count == total && store.index.count == total)
        let records = try store.records()
        #expect(Set(records.map(\.path)).count == total)
        for record in records.filter({ $0.id % 997 == 0 }) {
            let stored = try #require(try store.vector(id: record.id))
            let expected = try store.storable(try #require(vectors[record.path]), path: record.path)
            #expect(stored.map(\.bitPattern) == expected.map(\.bitPattern), "\(record.path)")
        }
    }

    /// `rebuild --layout`: exact, ivf, any Faiss factory string; a bad one is refused and the index kept.
    @Test func rebuildWithANamedLayout() throws {
        let dir = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.path, withIntermediateDirectories: true)
        let dimension = 32, total = 3000
        let writer = try InterchangeWriter(directory: dir.path + "/vectors", model: "test-model", dimension: dimension)
        var generator = ClusteredVectors(dimension: dimension, clusters: 40, seed: 3)
        for i in 0..<total { try writer.append(Interchange.Record(path: "/img/\(i).jpg"), vector: generator.next()) }
        try writer.finish()
        let cli = CLI(store: dir.store)
        #expect(try cli.run("import", dir.path + "/vectors").status == 0)

        func layout(after arguments: String...) throws -> String? {
            let result = try cli.run(["rebuild", "--json"] + arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            return (result.json as? JSON)?["layout"] as? String
        }
        /// Every stored vector of the first rows finds its own image first.
        func selfMatches() throws -> Bool {
            let answers = try #require(try cli.run("query", "--vectors", dir.path + "/vectors/vectors.npy", "-k", "1", "--json").json as? [JSON])
            return answers.enumerated().allSatisfy { row, answer in
                ((answer["results"] as? [JSON])?.first?["path"] as? String) == "/img/\(row).jpg"
            }
        }
        let ivf = try #require(try layout(after: "--layout", "ivf"))
        #expect(ivf.hasPrefix("IVF128,PQ16x4fs, nprobe ") && ivf.hasSuffix("target 0.95), trained on 3000"), "\(ivf)")
        #expect(try selfMatches())
        // The probe count given, or measured against another recall; the two together are refused.
        #expect(try layout(after: "--layout", "ivf", "--nprobe", "5")?.hasPrefix("IVF128,PQ16x4fs, nprobe 5 (recall@10 ") == true)
        #expect(try layout(after: "--layout", "ivf", "--recall", "0.99")?.contains("; target 0.99)") == true)
        let both = try cli.run("rebuild", "--nprobe", "5", "--recall", "0.9")
        #expect(both.status != 0 && both.stderr.contains("give one"), "\(both.stderr)")
        #expect(try layout(after: "--layout", "IVF64,Flat")?.hasPrefix("IVF64,Flat, nprobe ") == true)
        #expect(try layout(after: "--layout", "HNSW16") == "IDMap2,HNSW16")
        #expect(try selfMatches())
        let bad = try cli.run("rebuild", "--layout", "NoSuchIndex")
        #expect(bad.status == 1 && bad.stderr.contains("NoSuchIndex"), "\(bad.stderr)")
        #expect(try (cli.run("stats", "--json").json as? JSON)?["layout"] as? String == "IDMap2,HNSW16")
        #expect(try layout(after: "--layout", "exact") == "IDMap2,Flat")
        #expect(try layout() == "IDMap2,Flat", "3000 images: exact is the recommended layout")
    }
}
