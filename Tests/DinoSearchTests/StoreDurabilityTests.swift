import Foundation
import DinoTestSupport
import Testing

@testable import DinoSearch

/// Crash safety, damaged files and bad input: the store loses nothing committed and never half-writes.
@Suite(.offCooperativePool) struct StoreDurabilityTests {
    let dimension = 32

    func fill(_ store: Store, _ n: Int) throws -> [UInt64] {
        try store.add((0..<n).map { NewImage(path: "/p/\($0)", vector: randomVector(dimension, seed: $0)) })
    }

    @Test func killedWriterLosesNoCommittedBatch() throws {
        let dir = TemporaryDirectory()
        let writer = builtProduct("store-writer")
        let batchSize = 50
        let process = Process()
        process.executableURL = URL(fileURLWithPath: writer)
        process.arguments = [dir.store, "100000", "\(batchSize)", "\(dimension)"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        // Read "committed N" lines until a few batches are in, then SIGKILL mid-stream.
        var committed = -1
        var buffer = Data()
        while committed < 12 {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            buffer += chunk
            let lines = String(decoding: buffer, as: UTF8.self).split(separator: "\n")
            if let last = lines.last(where: { $0.hasPrefix("committed ") }) { committed = Int(last.dropFirst(10))! }
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(committed >= 12)

        let store = try Store(at: dir.store, dimension: dimension, model: "synthetic")
        let count = store.count
        #expect(count % batchSize == 0, "no half batch: \(count) images")
        #expect(count >= (committed + 1) * batchSize)
        #expect(try store.stats().indexedVectors == count)
        // The vector file holds every committed vector (rows of the killed batch cut off, the rest caught up).
        #expect(try vectorFileMismatches(store).isEmpty)
        #expect(store.vectorFile!.covers(nextID: UInt64(count + 1)) && !store.vectorFile!.covers(nextID: UInt64(count + 2)))
        // Every reported batch is searchable: each image's own vector finds it first.
        for batch in stride(from: 0, through: committed, by: 3) {
            let path = "/synthetic/\(batch)/7"
            let stored = try #require(try store.record(path: path))
            let hit = try store.search(try #require(try store.vector(id: stored.id)), k: 1)
            #expect(hit.first?.record.path == path)
        }
        // Adding continues with fresh ids.
        let more = try store.add([NewImage(path: "/after", vector: randomVector(dimension, seed: 99))])
        #expect(store.count == count + 1)
        #expect(try store.record(path: "/after")?.id == more[0])
    }

    @Test(arguments: ["delete", "truncate", "garbage", "zero"])
    func damagedIndexFileIsRebuiltFromTheCatalog(damage: String) throws {
        let dir = TemporaryDirectory()
        var expected: [UInt64] = []
        do {
            let store = try Store(at: dir.store, dimension: dimension, model: "m")
            _ = try fill(store, 300)
            try store.flush()
            expected = try store.search(randomVector(dimension, seed: 7), k: 10).map(\.id)
        }
        let indexPath = dir.store + "/index.faiss"
        let size = try FileManager.default.attributesOfItem(atPath: indexPath)[.size] as! Int
        switch damage {
        case "delete": try FileManager.default.removeItem(atPath: indexPath)
        case "truncate": truncate(indexPath, off_t(size / 2))
        case "garbage":
            var bytes = try Data(contentsOf: URL(fileURLWithPath: indexPath))
            for i in stride(from: 100, to: bytes.count, by: 97) { bytes[i] ^= 0x5A }
            try bytes.write(to: URL(fileURLWithPath: indexPath))
        default: try Data(count: size).write(to: URL(fileURLWithPath: indexPath))
        }
        let reopened = try Store(at: dir.store, dimension: dimension, model: "m")
        #expect(reopened.count == 300)
        #expect(try reopened.search(randomVector(dimension, seed: 7), k: 10).map(\.id) == expected)
        #expect(try IndexFile.read(indexPath).1.count == 300)  // the rebuilt file was saved
    }

    @Test func indexBehindTheCatalogIsCaughtUpByReplay() throws {
        let dir = TemporaryDirectory()
        let indexPath = dir.store + "/index.faiss"
        do {
            let store = try Store(at: dir.store, dimension: dimension, model: "m")
            _ = try fill(store, 100)
            try store.flush()
        }
        let saved = try Data(contentsOf: URL(fileURLWithPath: indexPath))
        do {
            let store = try Store(at: dir.store, dimension: dimension, model: "m")
            let more = try store.add((100..<150).map { NewImage(path: "/p/\($0)", vector: randomVector(dimension, seed: $0)) })
            try store.remove(ids: [more[0]])
        }
        try saved.write(to: URL(fileURLWithPath: indexPath))  // an index file from before those batches
        let reopened = try Store(at: dir.store, dimension: dimension, model: "m")
        #expect(reopened.count == 149)
        #expect(try reopened.stats().indexedVectors == 149)
        #expect(try reopened.search(randomVector(dimension, seed: 120), k: 1).first?.record.path == "/p/120")
        #expect(try reopened.search(randomVector(dimension, seed: 100), k: 1).first?.record.path != "/p/100")
    }

    @Test func badVectorsAreRefusedAndTheStoreIsIntact() throws {
        let dir = TemporaryDirectory()
        let store = try Store(at: dir.store, dimension: dimension, model: "m")
        _ = try fill(store, 10)
        let good = randomVector(dimension, seed: 500)
        let cases: [([Float], StoreError.Kind)] = [
            (Array(good.prefix(5)), .dimensionMismatch),
            (good.enumerated().map { $0.offset == 3 ? .nan : $0.element }, .invalidVector),
            (good.enumerated().map { $0.offset == 3 ? .infinity : $0.element }, .invalidVector),
            ([Float](repeating: 0, count: dimension), .invalidVector),
        ]
        for (vector, kind) in cases {
            // A bad vector anywhere in a batch refuses the whole batch.
            let batch = [NewImage(path: "/ok", vector: good), NewImage(path: "/bad.jpg", vector: vector)]
            let error = #expect(throws: StoreError.self) { try store.add(batch) }
            #expect(error?.kind == kind)
            #expect(error?.path == "/bad.jpg")
            #expect(store.count == 10)
            #expect(try store.record(path: "/ok") == nil)
            #expect(throws: StoreError.self) { try store.search(vector, k: 3) }
        }
    }

    @Test func refusesAnotherModelANewerFormatAndForeignDirectories() throws {
        let dir = TemporaryDirectory()
        do {
            let store = try Store(at: dir.store, dimension: dimension, model: "model-a")
            _ = try fill(store, 5)
        }
        do {
            let error = #expect(throws: StoreError.self, "a store of another model was opened") { try Store(at: dir.store, dimension: dimension, model: "model-b") }
            #expect(error?.kind == .modelMismatch)
        }
        do {
            let error = #expect(throws: StoreError.self, "a store of another dimension was opened") { try Store(at: dir.store, dimension: 64, model: "model-a") }
            #expect(error?.kind == .dimensionMismatch)
        }
        // A store written by a future version.
        do {
            let store = try Store(at: dir.store, dimension: dimension, model: "model-a")
            try store.catalog.environment.write { txn throws(StoreError) in
                var info = try Catalog.info(txn)!
                info.formatVersion = 99
                try Catalog.setInfo(txn, info)
            }
        }
        do {
            let error = #expect(throws: StoreError.self, "a newer format was opened") { try Store(at: dir.store, dimension: dimension, model: "model-a") }
            #expect(error?.kind == .newerFormat)
        }
        // A directory of someone else's files, and a catalog that is not LMDB.
        let foreign = dir.path + "/foreign"
        try FileManager.default.createDirectory(atPath: foreign, withIntermediateDirectories: true)
        try Data("hello".utf8).write(to: URL(fileURLWithPath: foreign + "/notes.txt"))
        do {
            let error = #expect(throws: StoreError.self, "a foreign directory was opened") { try Store(at: foreign, dimension: dimension, model: "m") }
            #expect(error?.kind == .notAStore)
        }
        let fake = dir.path + "/fake"
        try FileManager.default.createDirectory(atPath: fake, withIntermediateDirectories: true)
        try Data(repeating: 0x42, count: 20000).write(to: URL(fileURLWithPath: fake + "/catalog.mdb"))
        do {
            let error = #expect(throws: StoreError.self, "a garbage catalog was opened") { try Store(at: fake, dimension: dimension, model: "m") }
            #expect(error?.kind == .notAStore)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: foreign + "/notes.txt")) == Data("hello".utf8))
    }

    @Test func secondWriterIsLockedOutButReadersSearch() throws {
        let dir = TemporaryDirectory()
        let store = try Store(at: dir.store, dimension: dimension, model: "m")
        _ = try fill(store, 20)
        do {
            let error = #expect(throws: StoreError.self, "a second writer got in") { try Store(at: dir.store, dimension: dimension, model: "m") }
            #expect(error?.kind == .locked)
            #expect(error?.description.contains("pid \(getpid())") == true)
        }
        let reader = try Store(at: dir.store, mode: .readOnly)
        #expect(reader.count == 20)
        // The reader sees batches the writer commits afterwards.
        _ = try store.add([NewImage(path: "/late", vector: randomVector(dimension, seed: 777))])
        #expect(try reader.search(randomVector(dimension, seed: 777), k: 1).first?.record.path == "/late")
        #expect(throws: StoreError.self) { try reader.add([NewImage(path: "/x", vector: randomVector(dimension, seed: 1))]) }
    }

    @Test(.enabled(if: getuid() != 0, "root ignores permissions; see readOnlyMountGivesAClearError"))
    func unwritableDirectoryGivesAClearError() throws {
        let dir = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.store, withIntermediateDirectories: true)
        chmod(dir.store, 0o500)
        defer { chmod(dir.store, 0o700) }
        #expect(throws: StoreError.self) { try Store(at: dir.store, dimension: dimension, model: "m") }
    }

    /// A writer killed while saving leaves `index.faiss.tmp-PID`; the next writer removes it.
    @Test func halfWrittenIndexFilesOfKilledWritersAreRemoved() throws {
        let dir = TemporaryDirectory()
        do { _ = try fill(try Store(at: dir.store, dimension: dimension, model: "m"), 5) }
        let stale = dir.store + "/index.faiss.tmp-99999"
        try Data(repeating: 7, count: 4096).write(to: URL(fileURLWithPath: stale))
        let reader = try Store(at: dir.store, mode: .readOnly)
        #expect(FileManager.default.fileExists(atPath: stale), "readers leave the writer's files alone")
        _ = reader
        let writer = try Store(at: dir.store, dimension: dimension, model: "m")
        #expect(!FileManager.default.fileExists(atPath: stale))
        #expect(writer.count == 5)
    }

    /// LMDB's map starts small here and must double several times, each time retrying the transaction.
    @Test func fullMapGrowsAndRetries() throws {
        let dir = TemporaryDirectory()
        do {
            let store = try Store(at: dir.store, dimension: dimension, model: "m", mode: .readWrite, mapSize: 64 << 10)
            for batch in 0..<20 {
                try store.add((0..<100).map {
                    NewImage(path: "/grow/\(batch)/\($0)", vector: randomVector(dimension, seed: batch * 100 + $0))
                })
            }
            #expect(store.count == 2000)
        }
        let reopened = try Store(at: dir.store, dimension: dimension, model: "m")
        #expect(reopened.count == 2000)
        #expect(try reopened.search(randomVector(dimension, seed: 1234), k: 1).first?.record.path == "/grow/12/34")
        let catalogBytes = (try FileManager.default.attributesOfItem(atPath: dir.store + "/catalog.mdb")[.size] as? Int) ?? 0
        #expect(catalogBytes > 64 << 10, "the catalog outgrew the first map (\(catalogBytes) bytes)")
    }

    /// A real full file system (a 1 MiB tmpfs): the batch that does not fit fails with a clear error, every
    /// earlier batch survives, and the store opens again. Needs root for `mount`.
    @Test(.enabled(if: TmpfsMount.available, "needs root to mount a tmpfs"))
    func fullDiskFailsCleanlyAndLosesNothing() throws {
        let dir = TemporaryDirectory()
        let mount = try #require(TmpfsMount(at: dir.path, kilobytes: 1024))
        var committed = 0
        var failure: StoreError?
        do {
            let store = try Store(at: dir.store, dimension: 256, model: "m")
            while failure == nil && committed < 100_000 {
                do {
                    try store.add((0..<200).map {
                        NewImage(path: "/full/\(committed + $0)", vector: randomVector(256, seed: committed + $0))
                    })
                    committed += 200
                } catch {
                    failure = error
                }
            }
        }
        let error = try #require(failure, "the disk never filled")
        #expect(error.kind == .io, "\(error)")
        #expect(error.description.contains("disk full") || error.description.contains("no space"), "\(error)")
        print("disk full after \(committed) vectors: \(error)")
        let reopened = try Store(at: dir.store, dimension: 256, model: "m", mode: .readOnly)
        #expect(reopened.count == committed)
        #expect(try reopened.search(randomVector(256, seed: 7), k: 1).first?.record.path == "/full/7")
        _ = mount
    }

    /// A read-only file system: opening for writing fails with a clear error, nothing crashes. Needs root.
    @Test(.enabled(if: TmpfsMount.available, "needs root to mount a tmpfs"))
    func readOnlyMountGivesAClearError() throws {
        let dir = TemporaryDirectory()
        let mount = try #require(TmpfsMount(at: dir.path, kilobytes: 4096))
        do {
            let store = try Store(at: dir.store, dimension: dimension, model: "m")
            _ = try fill(store, 10)
            try store.flush()
        }
        try mount.remountReadOnly()
        #expect {
            try Store(at: dir.store, dimension: dimension, model: "m")
        } throws: { error in
            (error as? StoreError)?.kind == .io && "\(error)".lowercased().contains("read-only")
        }
    }

    @Test func concurrentSearchesDuringWrites() async throws {
        let dir = TemporaryDirectory()
        let store = try Store(at: dir.store, dimension: dimension, model: "m")
        _ = try fill(store, 500)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for b in 0..<20 {
                    try store.add((0..<25).map { NewImage(path: "/w/\(b)/\($0)", vector: randomVector(self.dimension, seed: 10_000 + b * 25 + $0)) })
                }
            }
            for t in 0..<4 {
                group.addTask {
                    for q in 0..<50 {
                        let hits = try store.search(randomVector(self.dimension, seed: t * 100 + q), k: 5)
                        #expect(hits.count == 5)
                        #expect(zip(hits, hits.dropFirst()).allSatisfy { $0.score >= $1.score })
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(store.count == 1000)
        #expect(try store.stats().indexedVectors == 1000)
    }
}
