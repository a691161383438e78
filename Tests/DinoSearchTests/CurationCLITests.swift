import DinoModel
import DinoTestSupport
import Foundation
import Testing

@testable import DinoSearch

/// `duplicates`, `retrieve` and `cluster` on real embeddings: the built binary and the fixture model over the
/// example photos and transformed copies of them (Fixtures/curation: downscaled, recompressed, re-encoded as PNG,
/// made by scripts/reference/make_curation_fixtures.py) plus byte-identical copies under other names.
@Suite(.serialized, .offCooperativePool) struct CurationCLITests {
    typealias JSON = [String: Any]
    static let copies = CLI.repository.appendingPathComponent("Tests/DinoSearchTests/Fixtures/curation").path

    /// A library of 7 photo families (original, 3 transformed copies, and for two of them a byte-identical copy
    /// elsewhere), indexed; returns the CLI, the photo folders and each path's family.
    struct Library {
        let dir = TemporaryDirectory()
        let cli: CLI
        let originals: String, transformed: String, identical: String
        var family: [String: String] = [:]

        init() throws {
            cli = CLI(store: dir.store)
            originals = try photoFolder(in: dir.path)
            transformed = dir.path + "/transformed"
            identical = dir.path + "/backup"
            let fm = FileManager.default
            try fm.copyItem(atPath: CurationCLITests.copies, toPath: transformed)
            try fm.createDirectory(atPath: identical, withIntermediateDirectories: true)
            for name in ["Aqua.jpg", "LadyBird.jpg"] {
                let copy = identical + "/copy of " + name
                try fm.copyItem(atPath: originals + "/" + name, toPath: copy)
                // Newer than the original, so the keep rule's "oldest" decides between the two.
                try fm.setAttributes([.modificationDate: Date().addingTimeInterval(60)], ofItemAtPath: copy)
            }
            for folder in [originals, transformed, identical] {
                for name in try fm.contentsOfDirectory(atPath: folder) {
                    family[folder + "/" + name] = String(name.replacingOccurrences(of: "copy of ", with: "").prefix { $0 != "-" && $0 != "." })
                }
            }
            let indexed = try cli.run("index", originals, transformed, identical)
            #expect(indexed.status == 0, "\(indexed.stderr)")
        }

        /// A threshold halfway between the least similar pair of one family and the most similar pair of two.
        func separatingThreshold() throws -> Float {
            let store = try Store(at: dir.store, mode: .readOnly)
            let records = try store.records()
            #expect(records.count == family.count && records.count == 30)
            let vectors = try records.map { try store.vector(id: $0.id)! }
            var within: Float = 1, between: Float = -1
            for i in records.indices {
                for j in records.indices where j > i {
                    let score = cosine(vectors[i], vectors[j])
                    if family[records[i].path] == family[records[j].path] { within = min(within, score) } else { between = max(between, score) }
                }
            }
            #expect(within > between, "the fixture model separates the families: \(within) vs \(between)")
            return (within + between) / 2
        }
    }

    @Test func duplicatesFindsEachFamilyExactly() throws {
        let library = try Library()
        let threshold = String(try library.separatingThreshold())
        let result = try library.cli.run("duplicates", "--threshold", threshold, "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(result.json as? JSON)
        #expect(report.int("images") == 30)
        let groups = try #require(report["groups"] as? [JSON])
        #expect(groups.count == 7)
        var seen = Set<String>()
        for group in groups {
            let keep = try #require(group["keep"] as? JSON)
            let duplicates = try #require(group["duplicates"] as? [JSON])
            let keepPath = try #require(keep["path"] as? String)
            let paths = [keepPath] + duplicates.compactMap { $0["path"] as? String }
            #expect(Set(paths.map { library.family[$0] }).count == 1, "one family per group: \(paths)")
            seen.formUnion(paths)
            // The original has the most pixels; its byte-identical copy ties on everything but the path.
            #expect(keepPath.hasPrefix(library.originals + "/"), "\(keepPath)")
            #expect(keep.int("width")! * keep.int("height")! >= 1280 * 1024 && keep["id"] is Int)
            let scores = duplicates.compactMap { $0["score"] as? Double }
            #expect(scores.count == duplicates.count && scores == scores.sorted(by: >) && scores.allSatisfy { $0 <= 1.0001 })
        }
        #expect(seen == Set(library.family.keys))
        #expect(groups.compactMap { ($0["duplicates"] as? [Any])?.count } == [4, 4, 3, 3, 3, 3, 3], "largest first")

        // The reference folder wins; --redundant lists the rest, NUL-separated with -0.
        let kept = try library.cli.run("duplicates", "--threshold", threshold, "--keep-in", library.transformed, "--redundant", "-0")
        #expect(kept.status == 0, "\(kept.stderr)")
        let redundant = kept.stdout.split(separator: "\0").map(String.init)
        #expect(redundant.count == 23 && kept.stdout.hasSuffix("\0"))
        #expect(!redundant.contains { $0.hasSuffix("-q30.jpg") }, "the largest copy in the reference folder is kept")
        #expect(redundant.filter { $0.hasPrefix(library.originals + "/") }.count == 7)

        // Text: one block per group, the kept image first.
        let text = try library.cli.run("duplicates", "--threshold", threshold)
        #expect(text.stdout.hasPrefix("group 1: 5 images\n  keep   \(library.originals)/"), "\(text.stdout)")
        #expect(text.stderr.contains("30 images, 7 groups of near-duplicates, 23 not kept"), "\(text.stderr)")

        // At a threshold above every pair, only byte-identical files are grouped.
        let identical = try #require(try library.cli.run("duplicates", "--threshold", "1", "--json").json as? JSON)
        #expect((identical["groups"] as? [Any])?.count == 2)
    }

    @Test func againstFilesFoldersAndStores() throws {
        let library = try Library()
        let threshold = String(try library.separatingThreshold())
        // Downloads: a transformed copy of one photo (not in the store) and an unrelated image.
        let downloads = library.dir.path + "/downloads"
        try FileManager.default.createDirectory(atPath: downloads, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: library.transformed + "/Garden-640.jpg", toPath: downloads + "/garden.jpg")
        try Data("not an image".utf8).write(to: URL(fileURLWithPath: downloads + "/notes.jpg"))
        let result = try library.cli.run("duplicates", "--against", downloads, "--threshold", threshold, "--json")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("skipped \(downloads)/notes.jpg"), "\(result.stderr)")
        let matches = try #require((result.json as? JSON)?["matches"] as? [JSON])
        #expect(Set(matches.compactMap { $0["path"] as? String }.map { library.family[$0] }) == ["Garden"])
        #expect(matches.count == 4 && matches.allSatisfy { $0["match"] as? String == downloads + "/garden.jpg" })

        // Another store as the reference set: every stored image of those families matches.
        let other = CLI(store: library.dir.path + "/other")
        #expect(try other.run("index", library.identical).status == 0)
        let stores = try library.cli.run("duplicates", "--against", library.dir.path + "/other", "--threshold", threshold, "--json")
        let storeMatches = try #require((stores.json as? JSON)?["matches"] as? [JSON])
        #expect(Set(storeMatches.compactMap { $0["path"] as? String }.map { library.family[$0] }) == ["Aqua", "LadyBird"])
        #expect(storeMatches.count == 10, "each family's 5 stored images, once each: \(storeMatches.count)")
    }

    @Test func retrieveMatchesBruteForceAndLinks() async throws {
        let library = try Library()
        let seed = CLI.repository.appendingPathComponent("examples/queries/ladybird-closer.jpg").path
        let storedSeed = library.originals + "/Garden.jpg"
        let result = try library.cli.run("retrieve", seed, storedSeed, "-k", "6", "--json", "--link", library.dir.path + "/selected")
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(result.json as? JSON)
        #expect(report.int("seeds") == 2)
        let results = try #require(report["results"] as? [JSON])

        // Brute force over the stored vectors with the library's own embedding of the seed. Identical copies tie,
        // so the check is that each seed took k images none of which scores below one it left.
        let engine = try SearchEngine(store: library.dir.store, model: CLI.fixtureModel, mode: .readOnly)
        let store = engine.store
        let records = try store.records()
        let storedID = try store.record(path: storedSeed)!.id
        let seedVectors = [seed: try await engine.embed(contentsOf: seed), storedSeed: try store.vector(id: storedID)!]
        var brute: [String: [String: Float]] = [:]  // seed → path → cosine
        for (name, vector) in seedVectors {
            for record in records where !(name == storedSeed && record.id == storedID) {
                brute[name, default: [:]][record.path] = cosine(vector, try store.vector(id: record.id)!)
            }
        }
        for name in [seed, storedSeed] {
            let taken = Set(results.filter { ($0["seeds"] as? [String])?.contains(name) == true }.compactMap { $0["path"] as? String })
            #expect(taken.count == 6, "\(name) retrieved \(taken.count)")
            let weakestTaken = taken.compactMap { brute[name]![$0] }.min() ?? 1
            let strongestLeft = brute[name]!.filter { !taken.contains($0.key) }.map(\.value).max() ?? -1
            #expect(weakestTaken >= strongestLeft - 1e-4, "\(name): took \(weakestTaken), left \(strongestLeft)")
        }
        for item in results {
            let path = try #require(item["path"] as? String)
            let seeds = try #require(item["seeds"] as? [String])
            let best = seeds.compactMap { brute[$0]?[path] }.max() ?? -2
            #expect(abs(Float(item["score"] as! Double) - best) < 1e-4, "\(path)")
        }
        #expect(results.map { $0["score"] as! Double } == results.map { $0["score"] as! Double }.sorted(by: >))
        // One symbolic link per result; equal file names made unique.
        let links = try FileManager.default.contentsOfDirectory(atPath: library.dir.path + "/selected")
        #expect(links.count == results.count)
        let targets = try links.map { try FileManager.default.destinationOfSymbolicLink(atPath: library.dir.path + "/selected/" + $0) }
        #expect(Set(targets) == Set(results.compactMap { $0["path"] as? String }))

        // --min-score drops weaker results.
        let strict = try #require(try library.cli.run("retrieve", seed, "-k", "6", "--min-score", "0.9999", "--json").json as? JSON)
        let strictScores = (strict["results"] as? [JSON] ?? []).compactMap { $0["score"] as? Double }
        #expect(strictScores.allSatisfy { $0 >= 0.9999 } && strictScores.count < 6)
    }

    @Test func clusterIsDeterministicAndCoversTheStore() throws {
        let library = try Library()
        let first = try library.cli.run("cluster", "--clusters", "7", "--seed", "3", "--json")
        #expect(first.status == 0, "\(first.stderr)")
        let again = try library.cli.run("cluster", "--clusters", "7", "--seed", "3", "--json")
        #expect(first.stdout == again.stdout, "same seed, same clusters")
        let clusters = try #require((first.json as? JSON)?["clusters"] as? [JSON])
        #expect(clusters.count == 7)
        let images = clusters.flatMap { ($0["images"] as? [JSON]) ?? [] }.compactMap { $0["path"] as? String }
        #expect(images.count == 30 && Set(images) == Set(library.family.keys))
        #expect(clusters.compactMap { $0.int("size") }.reduce(0, +) == 30)

        let sampled = try #require(try library.cli.run("cluster", "--clusters", "7", "--seed", "3", "--sample", "1", "--json").json as? JSON)
        #expect((sampled["clusters"] as? [JSON])?.allSatisfy { ($0["images"] as? [Any])?.count ?? 0 <= 1 } == true)

        // Cluster-based retrieval: the clusters of the seeds, nearest the centroid first.
        let byCluster = try library.cli.run(
            "retrieve", library.originals + "/Aqua.jpg", library.identical + "/copy of Aqua.jpg", "--by-cluster",
            "--clusters", "7", "--seed", "3", "--min-seeds", "2", "--per-cluster", "3", "--json")
        #expect(byCluster.status == 0, "\(byCluster.stderr)")
        let selected = try #require((byCluster.json as? JSON)?["clusters"] as? [JSON])
        #expect(selected.count == 1 && (selected[0]["seeds"] as? [String])?.count == 2)
        let scores = (selected[0]["images"] as? [JSON] ?? []).compactMap { $0["score"] as? Double }
        #expect(scores.count == min(3, selected[0].int("size") ?? 0) && scores == scores.sorted(by: >))
    }

    @Test func badInputIsOneClearLine() throws {
        let library = try Library()
        let cli = library.cli
        func check(_ arguments: [String], status: Int32, says text: String) throws {
            let result = try cli.run(arguments)
            #expect(result.status == status, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(text), "\(arguments): \(result.stderr)")
        }
        try check(["duplicates", "--threshold", "1.5"], status: 2, says: "'--threshold' must be between -1 and 1")
        try check(["retrieve", "x.jpg", "--min-score=-3"], status: 2, says: "'--min-score' must be between -1 and 1")
        try check(["cluster"], status: 2, says: "'--clusters N' is required")
        try check(["cluster", "--clusters", "31"], status: 1, says: "cannot make 31 clusters of 30 images")
        try check(["retrieve", "a.jpg", "--by-cluster"], status: 2, says: "'--by-cluster' needs '--clusters N'")
        try check(["duplicates", "--json", "--redundant"], status: 2, says: "mutually exclusive")
        let broken = library.dir.path + "/broken.jpg"
        try Data("not an image".utf8).write(to: URL(fileURLWithPath: broken))
        try check(["retrieve", broken], status: 1, says: broken)
        try check(["retrieve", library.dir.path + "/missing.jpg"], status: 1, says: "is neither a file nor a stored image")
        try check(["duplicates", "--against", broken], status: 1, says: broken)

        _ = try Store(at: library.dir.path + "/empty-store", dimension: 128, model: try DinoEncoder(contentsOf: CLI.fixtureModel).fingerprint)
        let onEmpty = CLI(store: library.dir.path + "/empty-store")
        let none = try onEmpty.run("duplicates", "--json")
        #expect(none.status == 0 && (none.json as? JSON)?.int("images") == 0, "\(none.stderr)")
        let cluster = try onEmpty.run("cluster", "--clusters", "2")
        #expect(cluster.status == 1 && cluster.stderr.contains("the store is empty"), "\(cluster.stderr)")
        #expect(cluster.stderr.split(separator: "\n").count == 1)
        let missing = try CLI(store: library.dir.path + "/no-store").run("duplicates")
        #expect(missing.status == 1 && missing.stderr.contains("no store here yet"), "\(missing.stderr)")
    }

    /// Ctrl-C during a whole-store run: the command stops between chunks and says so (exit 130).
    @Test func interruptStopsCleanly() throws {
        let dir = TemporaryDirectory()
        let fingerprint = try DinoEncoder(contentsOf: CLI.fixtureModel).fingerprint
        do {
            let store = try Store(at: dir.store, dimension: 128, model: fingerprint)
            var source = ClusteredVectors(dimension: 128, clusters: 50, seed: 1)
            for start in stride(from: 0, to: 40_000, by: 5_000) {
                try store.add((start..<(start + 5_000)).map { NewImage(path: "/p/\($0).jpg", vector: source.next()) })
            }
        }
        let stderr = Pipe()
        let process = try CLI(store: dir.store).start(["duplicates"], stderr: stderr)
        // Wait for the first progress line (the search has begun), then press Ctrl-C.
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains("searching neighbours: 0/40000") {
            let chunk = stderr.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += chunk
        }
        Thread.sleep(forTimeInterval: 0.5)
        process.interrupt()
        seen += stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: seen, as: UTF8.self)
        #expect(process.terminationStatus == 130, "\(text)")
        #expect(text.contains("dinosearch: interrupted") && !text.contains("searching neighbours: 40000/40000"), "\(text)")
    }
}
