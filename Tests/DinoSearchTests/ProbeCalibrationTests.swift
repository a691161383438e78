import Foundation
import DinoTestSupport
import Testing

@testable import DinoSearch

/// The measured probe count (issue 23): chosen on the store's own vectors when an IVF index is built, it must reach
/// its recall target on queries it never saw, be the smallest that does, and follow `--nprobe` / `--recall`.
/// Serialized: each test builds and measures IVF indexes with Faiss's OpenMP threads on both cores, and run side by
/// side they starved the server suites' spawned processes in CI.
@Suite(.offCooperativePool, .serialized) struct ProbeCalibrationTests {
    let dimension = 32

    /// A store of `n` clustered vectors (the tests' usual synthetic embeddings) and the generator, for held-out
    /// queries from the same distribution.
    func clusteredStore(_ directory: String, n: Int) throws -> (Store, ClusteredVectors) {
        var generator = ClusteredVectors(dimension: dimension, clusters: 200, seed: 5)
        let store = try Store(at: directory, dimension: dimension, model: "m")
        for start in stride(from: 0, to: n, by: 5000) {
            try store.add((start..<min(start + 5000, n)).map { NewImage(path: "/v/\($0)", vector: generator.next()) })
        }
        return (store, generator)
    }

    /// Recall@10 of `Store.search` against exact search, on queries from outside the store.
    func heldOutRecall(_ store: Store, _ queries: [[Float]], truth: [Set<UInt64>]) throws -> Double {
        let found = try store.search(queries, k: 10)
        let hits = zip(found, truth).map { hits, wanted in hits.count { wanted.contains($0.id) } }
        return Double(hits.reduce(0, +)) / Double(10 * queries.count)
    }

    @Test func theMeasuredProbeCountIsTheSmallestThatReachesTheTargetOnHeldOutQueries() throws {
        let dir = TemporaryDirectory()
        let (store, generatorAfterStore) = try clusteredStore(dir.store, n: 12_000)
        var generator = generatorAfterStore
        let queries = (0..<300).map { _ in generator.next() }
        let truth = try store.search(queries, k: 10).map { Set($0.map(\.id)) }  // still exact: the store is small

        var chosen: [Double: Int] = [:]
        for target in [0.8, 0.95, 0.99] {
            try store.rebuild(layout: .ivf(lists: 256, dimension: dimension), probes: .measured(recall: target))
            let layout = store.index.layout
            let calibration = try #require(layout.calibration)
            let nprobe = try #require(layout.nprobe)
            #expect(calibration.target == target && calibration.k == 10 && calibration.queries == 1000)
            #expect(calibration.recall >= target, "measured \(calibration.recall) at nprobe \(nprobe)")
            #expect(store.index.nprobe == nprobe)
            chosen[target] = nprobe

            // Queries it never saw reach the target too (within what 300 queries can tell) ...
            let reached = try heldOutRecall(store, queries, truth: truth)
            print("target \(target): nprobe \(nprobe), recall on the store's vectors \(calibration.recall), held out \(reached)")
            #expect(reached >= target - 0.02)
            // ... and half as many lists do not: the count is the smallest, not merely a safe one.
            if nprobe >= 2 {
                store.index.nprobe = nprobe / 2
                #expect(try heldOutRecall(store, queries, truth: truth) < target)
                store.index.nprobe = nprobe
            }
        }
        #expect(chosen[0.8]! < chosen[0.95]! && chosen[0.95]! < chosen[0.99]!)
        #expect(chosen[0.99]! < 256)  // not the whole index
    }

    /// Eleven copies of each of 300 vectors: a stored vector's copies share its list, so one list finds every
    /// near-duplicate; the search count must still reach the target on the blends, which lie between the lists.
    @Test func copiesOfEachVectorNeedOneListForDuplicates() throws {
        let dir = TemporaryDirectory()
        let store = try Store(at: dir.store, dimension: dimension, model: "m")
        try store.add((0..<(300 * 11)).map { i in NewImage(path: "/v/\(i)", vector: randomVector(dimension, seed: i / 11)) })
        try store.rebuild(layout: .ivf(lists: 64, dimension: dimension), probes: .measured(recall: 0.99))
        let calibration = try #require(store.index.layout.calibration)
        #expect(calibration.recall >= 0.99)
        #expect(calibration.queries == 1000)
        #expect(calibration.duplicateNprobe == 1)
    }

    @Test func aGivenProbeCountIsKeptMeasuredAndSurvivesReopeningAndRecovery() throws {
        let dir = TemporaryDirectory()
        var store: Store? = try clusteredStore(dir.store, n: 8000).0
        try store!.rebuild(layout: .ivf(lists: 128, dimension: dimension), probes: .fixed(3))
        let layout = store!.index.layout
        #expect(layout.nprobe == 3 && store!.index.nprobe == 3)
        let calibration = try #require(layout.calibration)
        #expect(calibration.target == nil && calibration.recall > 0 && calibration.recall < 1)
        #expect(try store!.stats().layout.contains("nprobe 3 (recall@10 "))

        // Reopened: the same layout from the index file and the catalog.
        store = nil
        store = try Store(at: dir.store, dimension: dimension, model: "m")
        #expect(store!.index.layout == layout && store!.index.nprobe == 3)
        // The index file lost: the rebuild on opening keeps the given count rather than measuring another.
        store = nil
        try FileManager.default.removeItem(atPath: Store.indexPath(dir.store))
        let recovered = try Store(at: dir.store, dimension: dimension, model: "m")
        #expect(recovered.index.layout.nprobe == 3 && recovered.index.layout.calibration?.target == nil)

        // A rebuild measures again (by default, against recall 0.95), and the new choice replaces the old one.
        try recovered.rebuild(layout: .ivf(lists: 128, dimension: dimension))
        #expect(recovered.index.layout.calibration?.target == 0.95)
        #expect(recovered.index.layout.nprobe != 3)
    }

    @Test func recalibratingTheLiveIndexAppliesAndSavesTheNewCount() throws {
        let dir = TemporaryDirectory()
        var store: Store? = try clusteredStore(dir.store, n: 8000).0
        try store!.rebuild(layout: .ivf(lists: 128, dimension: dimension), probes: .fixed(128))
        try store!.recalibrate(.measured(recall: 0.9))
        let nprobe = try #require(store!.index.layout.nprobe)
        #expect(nprobe < 128 && store!.index.nprobe == nprobe)
        #expect(store!.index.layout.calibration?.target == 0.9)
        store = nil
        store = try Store(at: dir.store, dimension: dimension, model: "m")
        #expect(store!.index.layout.nprobe == nprobe)
    }

    @Test func impossibleTargetsAreRefused() throws {
        let dir = TemporaryDirectory()
        let (store, _) = try clusteredStore(dir.store, n: 1000)
        for target in [0, 1.5, -1, .nan] {
            #expect(throws: StoreError.self) { try store.rebuild(layout: .ivf(lists: 16, dimension: dimension), probes: .measured(recall: target)) }
        }
        #expect(throws: StoreError.self) { try store.rebuild(layout: .ivf(lists: 16, dimension: dimension), probes: .fixed(0)) }
    }

    @Test func exactAndListlessLayoutsAreNotCalibrated() throws {
        let dir = TemporaryDirectory()
        let (store, _) = try clusteredStore(dir.store, n: 2000)
        try store.rebuild(layout: .exact)
        #expect(store.index.layout.calibration == nil && store.index.layout.nprobe == nil)
        try store.rebuild(layout: IndexLayout(named: "HNSW16", count: 2000, dimension: dimension))
        #expect(store.index.layout.calibration == nil)
    }
}
