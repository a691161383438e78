import DinoTestSupport
import Foundation
import Testing

@testable import DinoSearch

/// Acting on duplicates without ever losing a photo: `Store.quarantine`, `SearchEngine.restore` and
/// `dinosearch duplicates --quarantine` / `dinosearch restore`, on real files, a real store and the fixture model.
@Suite(.serialized, .offCooperativePool) struct QuarantineTests {
    static let threshold: Float = 0.9999
    static let smallPhotos = CLI.repository.appendingPathComponent("Tests/DinoSearchTests/Fixtures/curation").path

    /// `copies` files per small fixture photo under `folder/<name>/`: the first the photo itself, the others the
    /// same pixels with bytes appended after the PNG's end (a distinct file, an identical embedding: duplicates;
    /// the fixture model puts some different photos above 0.99, so duplicates are looked for at 0.9999).
    static func library(in folder: String, copies: Int) throws -> [String: String] {
        var hashes: [String: String] = [:]
        let names = try FileManager.default.contentsOfDirectory(atPath: smallPhotos).filter { $0.hasSuffix("-256.png") }.sorted()
        for name in names {
            let family = folder + "/" + name.replacingOccurrences(of: "-256.png", with: "")
            try FileManager.default.createDirectory(atPath: family, withIntermediateDirectories: true)
            let bytes = try Data(contentsOf: URL(fileURLWithPath: smallPhotos + "/" + name))
            for copy in 0..<copies {
                let path = family + "/copy-\(copy).png"
                let data = bytes + Data(String(repeating: "+", count: copy).utf8)  // later copies are larger files
                try data.write(to: URL(fileURLWithPath: path))
                hashes[path] = SearchEngine.contentHash([UInt8](data))
            }
        }
        return hashes
    }

    /// Every file of `hashes` exactly once: at its place, or in the quarantine with the same bytes.
    static func everyFileOnce(_ hashes: [String: String], quarantine: String) throws -> (inPlace: Int, quarantined: Int) {
        var found: [String: Int] = [:]
        if let walker = FileManager.default.enumerator(atPath: quarantine) {
            for case let name as String in walker where name.hasSuffix(".png") && !name.contains(".partial-") {
                found[try FileMover.hash(of: quarantine + "/" + name), default: 0] += 1
            }
        }
        var inPlace = 0
        for (path, hash) in hashes {
            let here = FileManager.default.fileExists(atPath: path)
            if here {
                #expect(try FileMover.hash(of: path) == hash, "\(path) changed")
                inPlace += 1
            }
            #expect((here ? 1 : 0) + found[hash, default: 0] == 1, "\(path): \(here ? "in place" : "not in place"), \(found[hash, default: 0]) in the quarantine")
        }
        return (inPlace, hashes.count - inPlace)
    }

    func engine(_ dir: TemporaryDirectory) throws -> SearchEngine {
        try SearchEngine(store: dir.store, model: CLI.fixtureModel)
    }

    @Test func quarantineThenRestoreGivesBackEveryFileAndEveryAnswer() async throws {
        let dir = TemporaryDirectory()
        let folder = dir.path + "/photos"
        let hashes = try Self.library(in: folder, copies: 3)
        let engine = try engine(dir)
        _ = try engine.index([folder])
        let store = engine.store
        let before = try store.records().sorted { $0.path < $1.path }
        let queries = try before.map { try store.vector(id: $0.id)! }
        // Every image ranked for every query (copies tie, and ties are broken by id, which a restore renews).
        func ranking(_ query: [Float]) throws -> [String] {
            try store.search(query, k: 21).map { "\($0.score) \($0.record.path)" }.sorted()
        }
        let answers = try queries.map(ranking)

        let report = try await store.duplicates(DuplicateParameters(threshold: Self.threshold))
        #expect(report.groups.count == 7 && report.groups.allSatisfy { $0.count == 3 })
        // The keep rule: same pixels, so the largest file (the copy with the most bytes appended) is kept.
        for group in report.groups { #expect(group.keep.path.hasSuffix("copy-2.png"), "\(group.keep.path)") }
        let requests = report.groups.flatMap { g in g.duplicates.map { QuarantineRequest(path: $0.record.path, kept: g.keep.path) } }
        let quarantine = store.defaultQuarantineFolder

        // A dry run plans exactly what the real one does, and moves and forgets nothing.
        let plan = try store.quarantine(requests, into: quarantine, dryRun: true)
        #expect(plan.moved.count == 14 && plan.skipped.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: quarantine) && store.count == 21)

        let done = try store.quarantine(requests, into: quarantine)
        #expect(done == plan)
        #expect(store.count == 7)
        for moved in done.moved {
            #expect(!FileManager.default.fileExists(atPath: moved.path))
            let below = String(moved.path.dropFirst(folder.count))  // the path below the indexed folder, kept
            #expect(moved.to == quarantine + "/photos" + below)
            #expect(try FileMover.hash(of: moved.to!) == hashes[moved.path])
            #expect(try store.record(path: moved.path) == nil)
        }
        #expect(try Self.everyFileOnce(hashes, quarantine: quarantine) == (7, 14))
        let journal = try QuarantineJournal(folder: quarantine).entries()
        #expect(journal.count == 14 && journal.allSatisfy { $0.action == .move && $0.kept?.hasSuffix("copy-2.png") == true })
        #expect(try store.quarantined(in: quarantine).count == 14)

        let restored = try engine.store.restore(from: quarantine)
        #expect(restored.restored.count == 14 && restored.skipped.isEmpty)
        #expect(try Self.everyFileOnce(hashes, quarantine: quarantine) == (21, 0))
        #expect(try store.quarantined(in: quarantine).isEmpty)
        #expect(try QuarantineJournal(folder: quarantine).entries().filter { $0.action == .restore }.count == 14)
        let after = try store.records().sorted { $0.path < $1.path }
        #expect(after.map(\.path) == before.map(\.path))
        #expect(after.map(\.modified) == before.map(\.modified))  // the files' times came back with them
        #expect(after.map(\.added) == before.map(\.added))
        #expect(try after.map { try store.vector(id: $0.id)! } == queries)  // the vectors the model computed
        #expect(try queries.map(ranking) == answers)
        #expect(try store.indexedFolders() == [folder])  // restored files add no folders
    }

    @Test func changedProtectedAndLinkedFilesStayWhereTheyAre() async throws {
        let dir = TemporaryDirectory()
        let folder = dir.path + "/photos"
        let hashes = try Self.library(in: folder, copies: 2)
        let engine = try engine(dir)
        _ = try engine.index([folder])
        let store = engine.store
        let changed = folder + "/Aqua/copy-1.png", kept = folder + "/Garden/copy-1.png"
        let rewritten = folder + "/LadyBird/copy-1.png", linked = folder + "/YellowFlower/copy-1.png"
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: 100)], ofItemAtPath: changed)
        // Same size and time (to the nanosecond), other bytes: only the hash tells.
        var info = stat()
        #expect(lstat(rewritten, &info) == 0)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: rewritten))
        bytes[bytes.count - 1] ^= 1
        try bytes.write(to: URL(fileURLWithPath: rewritten))
        var times = [info.st_atim, info.st_mtim]
        #expect(utimensat(AT_FDCWD, rewritten, &times, 0) == 0)
        // A symbolic link in place of the file (to the same bytes elsewhere in the folder).
        try FileManager.default.moveItem(atPath: linked, toPath: folder + "/moved.png")
        try FileManager.default.createSymbolicLink(atPath: linked, withDestinationPath: folder + "/moved.png")

        let requests = [changed, kept, rewritten, linked, folder + "/none.png"].map { QuarantineRequest(path: $0) }
        let report = try store.quarantine(requests, into: dir.path + "/q", protecting: [folder + "/Garden"])
        #expect(report.moved.isEmpty)
        let reasons = Dictionary(uniqueKeysWithValues: report.skipped.map { ($0.path, $0.reason) })
        #expect(reasons[changed]?.contains("changed since it was indexed") == true)
        #expect(reasons[kept] == "in a kept folder (--keep-in)")
        #expect(reasons[rewritten] == "its bytes changed since it was indexed")
        #expect(reasons[linked]?.contains("symbolic link") == true)
        #expect(reasons[folder + "/none.png"] == "not in the store")
        for path in [changed, kept, rewritten] { #expect(FileManager.default.fileExists(atPath: path)) }
        #expect(store.count == hashes.count)
        // The journal says a move was meant for the rewritten file; recovery leaves it in place.
        try store.recoverQuarantine(dir.path + "/q")
        #expect(try FileManager.default.fileExists(atPath: rewritten) && (store.record(path: rewritten)) != nil)
    }

    @Test func aQuarantineInsideAnIndexedFolderIsNotIndexedAgain() async throws {
        let dir = TemporaryDirectory()
        let folder = dir.path + "/photos"
        _ = try Self.library(in: folder, copies: 2)
        let engine = try engine(dir)
        _ = try engine.index([folder])
        let quarantine = folder + "/quarantine"
        let report = try engine.store.quarantine([QuarantineRequest(path: folder + "/Aqua/copy-1.png")], into: quarantine)
        #expect(report.moved.count == 1 && engine.store.count == 13)
        let again = try engine.index([folder])
        #expect(again.added == 0 && engine.store.count == 13)  // the quarantined copy is not found again
    }

    @Test func restoreNeverOverwritesAndChecksTheBytes() async throws {
        let dir = TemporaryDirectory()
        let folder = dir.path + "/photos"
        _ = try Self.library(in: folder, copies: 2)
        let engine = try engine(dir)
        _ = try engine.index([folder])
        let (a, b) = (folder + "/Aqua/copy-0.png", folder + "/Garden/copy-0.png")
        let quarantine = dir.path + "/q"
        let report = try engine.store.quarantine([QuarantineRequest(path: a), QuarantineRequest(path: b)], into: quarantine)
        #expect(report.moved.count == 2)
        try Data("someone else's file".utf8).write(to: URL(fileURLWithPath: a))
        let tampered = try #require(report.moved.first { $0.path == b }?.to)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: tampered))
        bytes[10] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: tampered))

        let restored = try engine.store.restore(from: quarantine)
        #expect(restored.restored.isEmpty)
        #expect(restored.skipped.map(\.path).sorted() == [a, b])
        #expect(try String(contentsOfFile: a, encoding: .utf8) == "someone else's file")
        #expect(!FileManager.default.fileExists(atPath: b))
        #expect(try engine.store.quarantined(in: quarantine).count == 2)  // both still there, with their journal lines
    }

    @Test func aMoveAcrossFileSystemsIsCheckedBeforeTheOriginalGoes() async throws {
        let dir = TemporaryDirectory()
        let other = "/dev/shm/dinosearch-quarantine-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: other) }
        let folder = dir.path + "/photos"
        let hashes = try Self.library(in: folder, copies: 2)
        try #require(!Store.sameDevice(folder, other), "needs /dev/shm on a file system of its own")
        let engine = try engine(dir)
        _ = try engine.index([folder])
        let source = folder + "/Aqua/copy-1.png"

        // A copy whose hash is not the file's (the file changed under us) is not kept, and the original stays.
        var unsynced = Set<String>()
        let outcome = try FileMover.move(
            source, to: other + "/x.png", sha256: String(repeating: "0", count: 64), verifySource: false, unsynced: &unsynced)
        #expect(outcome == .sourceChanged("the copy's SHA-256 differs from the file's: not moved"))
        #expect(try FileManager.default.fileExists(atPath: source) && (FileManager.default.contentsOfDirectory(atPath: other)).isEmpty)

        let report = try engine.store.quarantine([QuarantineRequest(path: source)], into: other)
        #expect(report.moved.count == 1 && !FileManager.default.fileExists(atPath: source))
        #expect(try FileMover.hash(of: report.moved[0].to!) == hashes[source])
        let restored = try engine.store.restore(from: other)
        #expect(try restored.restored.count == 1 && (FileMover.hash(of: source)) == hashes[source])
    }

    @Test func imagesAddedOverHTTPAreForgottenAndComeBack() async throws {
        let dir = TemporaryDirectory()
        let engine = try engine(dir)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: CLI.photos + "/Garden.jpg")))
        let id = try await engine.add(bytes, key: "user-1/garden.jpg")
        let vector = try #require(try engine.store.vector(id: id))
        let added = try #require(try engine.store.record(path: "user-1/garden.jpg")).added
        let quarantine = dir.path + "/q"
        let report = try engine.store.quarantine([QuarantineRequest(path: "user-1/garden.jpg", kept: "user-1/other.jpg")], into: quarantine)
        #expect(report.moved == [.init(path: "user-1/garden.jpg", to: nil, kept: "user-1/other.jpg")])
        #expect(try engine.store.record(path: "user-1/garden.jpg") == nil)
        let restored = try engine.store.restore(from: quarantine, paths: ["user-1/garden.jpg"])
        #expect(restored.restored == [.init(path: "user-1/garden.jpg", from: nil)])
        let back = try #require(try engine.store.record(path: "user-1/garden.jpg"))
        #expect(try engine.store.vector(id: back.id) == vector && back.contentHash == SearchEngine.contentHash(bytes))
        #expect(back.added == added)
    }

    /// A batch of journal lines cut short by a crash (kill -9 stops a long write at a page boundary) is not part of
    /// the journal: the next batch starts after the last complete line, and every complete line still reads.
    @Test func aJournalCutShortByACrashStaysReadable() throws {
        let dir = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.path, withIntermediateDirectories: true)
        let journal = QuarantineJournal(folder: dir.path)
        func entry(_ n: Int) -> QuarantineEntry {
            QuarantineEntry(action: .move, original: "/photos/\(n).jpg", quarantined: dir.path + "/photos/\(n).jpg",
                            sha256: String(repeating: "ab", count: 32), size: Int64(n), modified: 1, time: 2, kept: nil,
                            record: nil, vector: nil)
        }
        try journal.append((0..<3).map(entry))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: journal.path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"action":"move","original":"/photos/cut"#.utf8))
        try handle.close()
        #expect(try journal.entries() == (0..<3).map(entry))  // the torn tail is ignored when read…
        try journal.append((3..<5).map(entry))
        #expect(try journal.entries() == (0..<5).map(entry))  // …and cut off when the next batch is written
        let text = try String(contentsOfFile: journal.path, encoding: .utf8)
        #expect(!text.contains("/photos/cut") && text.hasSuffix("\n"))
    }

    /// kill -9 at random instants of `dinosearch duplicates --quarantine` over 200 files, several times, then a run
    /// to the end: after every kill each file is exactly once in place or in the quarantine, and at the end the
    /// store holds exactly the kept images; `dinosearch restore` then gives back all 200, byte for byte.
    @Test func killMinusNineDuringAQuarantineLosesNothing() async throws {
        let dir = TemporaryDirectory()
        let folder = dir.path + "/photos"
        let hashes = try Self.library(in: folder, copies: 29)  // 7 × 29 = 203 files, 196 of them to move
        // The store made through the library, as `index` would make it but without the model (embedding 203 files
        // in the debug build, beside the parallel suite, starves the tests that time their loopback servers): each
        // family's files share one vector.
        do {
            let store = try Store(at: dir.store, dimension: 16, model: "quarantine-test")
            try store.recordIndexedFolders([folder])
            var family: [String: [Float]] = [:]
            var generator = SystemRandomNumberGenerator()
            try store.add(hashes.keys.sorted().map { path in
                let name = (path as NSString).deletingLastPathComponent
                let vector = family[name] ?? (0..<16).map { _ in Float.random(in: -1...1, using: &generator) }
                family[name] = vector
                let status = FileStatus(path)!
                return NewImage(path: path, fileSize: status.size, modified: status.modified, contentHash: hashes[path]!,
                                width: 256, height: 160, vector: vector)
            })
        }
        let cli = CLI(store: dir.store)
        let quarantine = dir.path + "/quarantine"
        var generator = SystemRandomNumberGenerator()
        let journal = QuarantineJournal(folder: quarantine)
        func lines() -> Int { (try? Data(contentsOf: URL(fileURLWithPath: journal.path)))?.filter { $0 == 10 }.count ?? 0 }
        for trial in 0..<5 {
            // Killed once the journal has grown by a random number of lines: in the middle of a file's move, of the
            // store's transaction or of the journal's write, wherever that instant falls.
            let target = lines() + Int.random(in: 1...35, using: &generator)
            let process = try cli.start(["duplicates", "--threshold", "\(Self.threshold)", "--quarantine", "--quarantine-folder", quarantine])
            while process.isRunning && lines() < target { usleep(200) }
            usleep(UInt32.random(in: 0...3000, using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let counts = try Self.everyFileOnce(hashes, quarantine: quarantine)
            print("kill \(trial + 1): \(counts.quarantined) quarantined, \(counts.inPlace) in place")
        }
        let finished = try cli.run("duplicates", "--threshold", "\(Self.threshold)", "--quarantine", "--quarantine-folder", quarantine, "--json")
        #expect(finished.status == 0, "\(finished.stderr)")
        #expect(try Self.everyFileOnce(hashes, quarantine: quarantine) == (7, 196))
        let store = try Store(at: dir.store, mode: .readOnly)
        #expect(store.count == 7)
        let entries = try journal.entries()
        for entry in try store.quarantined(in: quarantine) {
            #expect(try entry.sha256 == hashes[entry.original] && (FileMover.hash(of: entry.quarantined!)) == entry.sha256)
        }
        #expect(Set(entries.map(\.original)).count == 196)

        let restored = try cli.run("restore", "--quarantine", quarantine, "--json")
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(try Self.everyFileOnce(hashes, quarantine: quarantine) == (203, 0))
        #expect(try Store(at: dir.store, mode: .readOnly).count == 203)
    }

    @Test func theCLIsDryRunMovesNothingAndSaysWhatWouldMove() async throws {
        let dir = TemporaryDirectory()
        let folder = dir.path + "/photos"
        let hashes = try Self.library(in: folder, copies: 2)
        let cli = CLI(store: dir.store)
        #expect(try cli.run("index", folder).status == 0)
        let plan = try cli.run("duplicates", "--threshold", "\(Self.threshold)", "--quarantine", "--dry-run", "--json",
                               "--keep-in", folder + "/Aqua")
        #expect(plan.status == 0, "\(plan.stderr)")
        let json = try #require(plan.json as? [String: Any])
        let moved = json["moved"] as? [[String: Any]] ?? []
        let skipped = json["skipped"] as? [[String: Any]] ?? []
        #expect(moved.count == 6 && skipped.count == 1)
        #expect(skipped.first?["reason"] as? String == "in a kept folder (--keep-in)")
        #expect(moved.allSatisfy { ($0["to"] as? String)?.hasPrefix(dir.store + "/quarantine/photos/") == true })
        #expect(moved.allSatisfy { !($0["path"] as? String ?? "").hasPrefix(folder + "/Aqua/") })
        #expect(try Self.everyFileOnce(hashes, quarantine: dir.store + "/quarantine") == (14, 0))
        #expect(!FileManager.default.fileExists(atPath: dir.store + "/quarantine"))
    }
}
