import CDinoFaiss
import DinoTestSupport
import Foundation
import Testing

@testable import DinoSearch

/// Duplicates, retrieval and k-means on real LMDB + Faiss stores of synthetic vectors, each checked against a
/// brute-force computation over the stored vectors.
@Suite(.offCooperativePool) struct CurationTests {
    /// `originals` clustered vectors, then 1–3 near copies (cosine ≈ 0.99) of every `every`-th one: the copies'
    /// rows and the groups they plant (row indices).
    static func planted(dimension: Int, originals: Int, every: Int, seed: UInt64) -> (vectors: [[Float]], groups: [[Int]]) {
        var source = ClusteredVectors(dimension: dimension, clusters: 50, seed: seed)
        var vectors = (0..<originals).map { _ in source.next() }
        var groups: [[Int]] = []
        for original in stride(from: 0, to: originals, by: every) {
            var group = [original]
            let norm = vectors[original].reduce(0) { $0 + $1 * $1 }.squareRoot()
            for _ in 0..<(1 + original / every % 3) {
                group.append(vectors.count)
                vectors.append(vectors[original].map { $0 + 0.1 * norm / Float(dimension).squareRoot() * source.gaussian() })
            }
            groups.append(group)
        }
        return (vectors, groups)
    }

    static func store(
        _ dir: TemporaryDirectory, _ vectors: [[Float]], dimension: Int, layout: IndexLayout? = nil, probes: ProbeChoice = .standard
    ) throws -> (Store, [UInt64]) {
        let store = try Store(at: dir.store, dimension: dimension, model: "m")
        let ids = try store.add(vectors.enumerated().map { NewImage(path: "/p/\($0.offset).jpg", contentHash: "h\($0.offset)", vector: $0.element) })
        if let layout { try store.rebuild(layout: layout, probes: probes) }
        return (store, ids)
    }

    /// Connected components of the pairs with cosine ≥ threshold, by brute force over the stored vectors.
    static func bruteForceGroups(_ store: Store, _ ids: [UInt64], threshold: Float) throws -> Set<Set<UInt64>> {
        let vectors = try ids.map { try store.vector(id: $0)! }
        var components = UnionFind(count: ids.count)
        for i in ids.indices {
            for j in (i + 1)..<ids.count where cosine(vectors[i], vectors[j]) >= threshold { components.union(i, j) }
        }
        var groups: [Int: Set<UInt64>] = [:]
        for i in ids.indices { groups[components.find(i), default: []].insert(ids[i]) }
        return Set(groups.values.filter { $0.count > 1 })
    }

    static func groups(_ report: DuplicateReport) -> Set<Set<UInt64>> {
        Set(report.groups.map { Set([$0.keep.id] + $0.duplicates.map(\.record.id)) })
    }

    @Test func exactLayoutFindsTheBruteForceGroups() async throws {
        let dir = TemporaryDirectory()
        let (vectors, planted) = Self.planted(dimension: 32, originals: 1200, every: 10, seed: 3)
        let (store, ids) = try Self.store(dir, vectors, dimension: 32)
        let truth = try Self.bruteForceGroups(store, ids, threshold: 0.9)
        #expect(truth == Set(planted.map { Set($0.map { ids[$0] }) }), "the planted groups are what a threshold of 0.9 separates")
        let report = try await store.duplicates(DuplicateParameters(threshold: 0.9))
        #expect(report.images == vectors.count)
        #expect(Self.groups(report) == truth)
        #expect(report.groups.map(\.count) == report.groups.map(\.count).sorted(by: >), "largest groups first")
        for group in report.groups {
            let kept = try store.vector(id: group.keep.id)!
            for member in group.duplicates {
                #expect(abs(member.score - cosine(kept, try store.vector(id: member.record.id)!)) < 1e-4)
                #expect(member.score >= 0.9)
            }
        }
    }

    @Test func ivfGraphMatchesExactSearch() async throws {
        let (vectors, _) = Self.planted(dimension: 64, originals: 16_000, every: 8, seed: 5)
        let exactDir = TemporaryDirectory(), ivfDir = TemporaryDirectory()
        let (exact, _) = try Self.store(exactDir, vectors, dimension: 64)
        // 8 of 128 lists per search: the graph must not depend on visiting every list.
        let (ivf, _) = try Self.store(ivfDir, vectors, dimension: 64, layout: .reranked("IVF128,PQ32x4fs", nprobe: 8), probes: .fixed(8))
        #expect(!ivf.indexLock.withShared { ivf.index.layout.isExact })
        let truth = Self.groups(try await exact.duplicates(DuplicateParameters(threshold: 0.9)))
        let found = Self.groups(try await ivf.duplicates(DuplicateParameters(threshold: 0.9)))
        // Every IVF group lies inside one exact group (edges are re-scored exactly, so none is invented) ...
        let exactGroupOf = Dictionary(uniqueKeysWithValues: truth.flatMap { group in group.map { ($0, group) } })
        for group in found { #expect(group.isSubset(of: exactGroupOf[group.first!] ?? [])) }
        // ... and at least 99% of the pairs exact search joins are joined.
        func pairs(_ groups: Set<Set<UInt64>>) -> Int { groups.reduce(0) { $0 + $1.count * ($1.count - 1) / 2 } }
        let recall = Double(pairs(found)) / Double(pairs(truth))
        #expect(truth.count > 1500 && recall >= 0.99, "pair recall \(recall) over \(truth.count) groups")
        // Fewer lists than the store's own: the graph searches a private copy of the index.
        let fewer = Self.groups(try await ivf.duplicates(DuplicateParameters(threshold: 0.9, nprobe: 2)))
        for group in fewer { #expect(group.isSubset(of: exactGroupOf[group.first!] ?? [])) }
        let fewerRecall = Double(pairs(fewer)) / Double(pairs(truth))
        #expect(fewerRecall >= 0.9 && fewerRecall <= recall, "pair recall \(fewerRecall) with 2 lists")
        #expect(ivf.indexLock.withShared { dino_index_set_nprobe(ivf.index.handle, 0) } == 8, "the shared index is untouched")
    }

    @Test func identicalFilesAreOneGroupWhateverTheThreshold() async throws {
        let dir = TemporaryDirectory()
        let store = try Store(at: dir.store, dimension: 16, model: "m")
        try store.add([
            NewImage(path: "/a.jpg", contentHash: "same", vector: randomVector(16, seed: 1)),
            NewImage(path: "/b.jpg", contentHash: "same", vector: randomVector(16, seed: 2)),
            NewImage(path: "/c.jpg", contentHash: "", vector: randomVector(16, seed: 3)),
            NewImage(path: "/d.jpg", contentHash: "", vector: randomVector(16, seed: 4)),
        ])
        let report = try await store.duplicates(DuplicateParameters(threshold: 1))
        #expect(report.groups.map { Set([$0.keep.path] + $0.duplicates.map(\.record.path)) } == [["/a.jpg", "/b.jpg"]])
        #expect(report.redundant == ["/b.jpg"], "same pixels, sizes and times: the path decides")
    }

    @Test func keepRule() async throws {
        let dir = TemporaryDirectory()
        let store = try Store(at: dir.store, dimension: 16, model: "m")
        let v = randomVector(16, seed: 9)
        func image(_ path: String, _ width: Int, _ size: Int64, _ modified: Double) -> NewImage {
            NewImage(path: path, fileSize: size, modified: modified, contentHash: path, width: width, height: 100, vector: v)
        }
        try store.add([
            image("/ref/small.jpg", 100, 10, 5), image("/x/big.jpg", 400, 10, 5), image("/x/big-larger-file.jpg", 400, 20, 5),
            image("/y/big-larger-file-older.jpg", 400, 20, 1), image("/y/big-larger-file-older-b.jpg", 400, 20, 1),
        ])
        func kept(_ keepIn: [String]) async throws -> String {
            let report = try await store.duplicates(DuplicateParameters(threshold: 0.99, keepIn: keepIn))
            #expect(report.groups.count == 1 && report.groups[0].count == 5)
            return report.groups[0].keep.path
        }
        #expect(try await kept([]) == "/y/big-larger-file-older-b.jpg", "pixels, then file size, then oldest, then path")
        #expect(try await kept(["/ref"]) == "/ref/small.jpg")
        #expect(try await kept(["/ref/"]) == "/ref/small.jpg")
        #expect(try await kept(["/re"]) == "/y/big-larger-file-older-b.jpg", "a folder, not a string prefix")
        try store.remove(ids: [try store.record(path: "/y/big-larger-file-older-b.jpg")!.id, try store.record(path: "/y/big-larger-file-older.jpg")!.id])
        let report = try await store.duplicates(DuplicateParameters(threshold: 0.99))
        #expect(report.groups[0].keep.path == "/x/big-larger-file.jpg")
        #expect(report.groups[0].duplicates.map(\.record.path) == ["/ref/small.jpg", "/x/big.jpg"])
    }

    @Test func relativeDeduplicationMatchesBruteForce() throws {
        let dir = TemporaryDirectory()
        let (vectors, _) = Self.planted(dimension: 32, originals: 600, every: 5, seed: 11)
        let (store, ids) = try Self.store(dir, vectors, dimension: 32)
        let outside = (0..<40).map { NamedVector(name: "/outside/\($0).jpg", vector: vectors[$0 * 7]) }
        let matches = try store.duplicates(of: outside, threshold: 0.9)
        let stored = try ids.map { try store.vector(id: $0)! }
        var truth: [UInt64: (String, Float)] = [:]
        for query in outside {
            for (i, v) in stored.enumerated() {
                let score = cosine(query.vector, v)
                if score >= 0.9, truth[ids[i]].map({ score > $0.1 }) ?? true { truth[ids[i]] = (query.name, score) }
            }
        }
        #expect(Set(matches.map(\.record.id)) == Set(truth.keys))
        for match in matches {
            #expect(abs(match.score - truth[match.record.id]!.1) < 1e-4)
            #expect(match.match == truth[match.record.id]!.0 || abs(match.score - truth[match.record.id]!.1) < 1e-4)
        }
        #expect(matches.map(\.score) == matches.map(\.score).sorted(by: >))
    }

    /// More matches than one search returns (16): the search widens until it passes below the threshold.
    @Test func relativeDeduplicationFindsMoreThanOneSearchReturns() throws {
        let dir = TemporaryDirectory()
        var source = ClusteredVectors(dimension: 32, clusters: 10, seed: 8)
        let v = source.next()
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let copies = (0..<70).map { _ in v.map { $0 + 0.05 * norm / Float(32).squareRoot() * source.gaussian() } }
        let (store, ids) = try Self.store(dir, copies + (0..<200).map { _ in source.next() }, dimension: 32)
        let matches = try store.duplicates(of: [NamedVector(name: "/outside/v.jpg", vector: v)], threshold: 0.9)
        let truth = try ids.filter { cosine(v, try store.vector(id: $0)!) >= 0.9 }
        #expect(truth.count >= 70 && Set(matches.map(\.record.id)) == Set(truth), "\(matches.count) of \(truth.count)")
    }

    @Test func retrieveMatchesBruteForce() throws {
        let dir = TemporaryDirectory()
        var source = ClusteredVectors(dimension: 32, clusters: 20, seed: 2)
        let vectors = (0..<1500).map { _ in source.next() }
        let (store, ids) = try Self.store(dir, vectors, dimension: 32)
        let stored = try ids.map { try store.vector(id: $0)! }
        // Three stored seeds (left out of their own results) and three from outside.
        let seeds = [3, 500, 1000].map { NamedVector(name: "/p/\($0).jpg", vector: stored[$0], storedID: ids[$0]) }
            + (0..<3).map { NamedVector(name: "/new/\($0).jpg", vector: source.next()) }
        for (k, minimum) in [(4, nil), (32, nil), (32, Float(0.6))] as [(Int, Float?)] {
            let retrieved = try store.retrieve(seeds, k: k, minimumScore: minimum)
            var truth: [UInt64: [(String, Float)]] = [:]
            for seed in seeds {
                let ranked = stored.indices.filter { ids[$0] != seed.storedID }
                    .map { (ids[$0], cosine(seed.vector, stored[$0])) }
                    .filter { pair in minimum.map { pair.1 >= $0 } ?? true }
                    .sorted { $0.1 > $1.1 }.prefix(k)
                for (id, score) in ranked { truth[id, default: []].append((seed.name, score)) }
            }
            #expect(Set(retrieved.map(\.record.id)) == Set(truth.keys), "k \(k), minimum \(String(describing: minimum))")
            for image in retrieved {
                let hits = truth[image.record.id] ?? []
                #expect(Set(image.seeds) == Set(hits.map(\.0)))
                #expect(abs(image.score - (hits.map(\.1).max() ?? 0)) < 1e-4)
            }
            #expect(retrieved.map(\.score) == retrieved.map(\.score).sorted(by: >))
            #expect(!retrieved.contains { $0.record.id == ids[3] && $0.seeds.contains("/p/3.jpg") })
        }
    }

    @Test func clustersAreDeterministicAndEveryVectorIsAtItsNearestCentroid() async throws {
        let dir = TemporaryDirectory()
        var source = ClusteredVectors(dimension: 32, clusters: 12, seed: 4)
        let (store, ids) = try Self.store(dir, (0..<3000).map { _ in source.next() }, dimension: 32)
        let parameters = KMeansParameters(clusters: 12, iterations: 10, seed: 7)
        let first = try await store.cluster(parameters)
        let second = try await store.cluster(parameters)
        #expect(first.centroids == second.centroids)
        #expect(first.members == second.members)
        #expect(first.trainedOn == 3000, "256 points per centroid covers the whole store")
        #expect(Set(first.members.joined().map(\.id)) == Set(ids))
        var objective: Double = 0
        for (c, members) in first.members.enumerated() {
            #expect(members.map(\.score) == members.map(\.score).sorted(by: >), "nearest the centroid first")
            for member in members {
                let v = try store.vector(id: member.id)!
                let scores = (0..<first.count).map { cosine(v, Array(first.centroids[($0 * 32)..<(($0 + 1) * 32)])) }
                #expect(abs(member.score - scores[c]) < 1e-4)
                #expect(scores.max()! - scores[c] < 1e-4, "vector \(member.id) is nearer another centroid")
                objective += Double(member.score)
            }
        }
        #expect(abs(objective - first.objective) < 1e-2)
        #expect(abs(first.objective / 3000 - first.trainingObjective / 3000) < 1e-3, "trained on all: same objective")
        // A smaller sample than the store, with another seed: still every vector assigned.
        let sampled = try await store.cluster(KMeansParameters(clusters: 12, iterations: 10, seed: 8, pointsPerCentroid: 50))
        #expect(sampled.trainedOn == 600 && sampled.members.joined().count == 3000)

        // Cluster-based retrieval: five seeds in one cluster, one in another.
        let big = first.members.indices.max { first.members[$0].count < first.members[$1].count }!
        let seeds = try first.members[big].prefix(5).map { NamedVector(name: "\($0.id)", vector: try store.vector(id: $0.id)!) }
        let other = try first.members[(big + 1) % 12].prefix(1).map { NamedVector(name: "x", vector: try store.vector(id: $0.id)!) }
        let selections = try store.retrieve(seeds + other, byCluster: first, minimumSeeds: 3, perCluster: 7)
        #expect(selections.map(\.cluster) == [big])
        #expect(selections[0].seeds.count == 5 && selections[0].size == first.members[big].count)
        #expect(selections[0].images.map(\.record.id) == first.members[big].prefix(7).map(\.id))
    }

    @Test func badRequestsAreClearErrors() async throws {
        let dir = TemporaryDirectory()
        let store = try Store(at: dir.store, dimension: 16, model: "m")
        #expect(try await store.duplicates().groups.isEmpty, "an empty store has no duplicates")
        await #expect(throws: StoreError.self) { _ = try await store.cluster(KMeansParameters(clusters: 2)) }
        try store.add((0..<5).map { NewImage(path: "/\($0).jpg", vector: randomVector(16, seed: $0)) })
        do {
            _ = try await store.cluster(KMeansParameters(clusters: 6))
            Issue.record("6 clusters of 5 images")
        } catch let error as StoreError {
            #expect(error.kind == .invalidArgument && error.message.contains("6 clusters of 5 images"))
        }
        for threshold: Float in [1.5, -2, .nan] {
            do {
                _ = try await store.duplicates(DuplicateParameters(threshold: threshold))
                Issue.record("threshold \(threshold) accepted")
            } catch let error as StoreError {
                #expect(error.kind == .invalidArgument)
            }
        }
        #expect(throws: StoreError.self) { try store.retrieve([NamedVector(name: "q", vector: randomVector(16, seed: 1))], k: 0) }
        #expect(throws: StoreError.self) { try store.duplicates(of: [], threshold: 2) }
    }

    @Test func cancellingStopsBetweenChunks() async throws {
        let dir = TemporaryDirectory()
        var source = ClusteredVectors(dimension: 32, clusters: 20, seed: 6)
        let (store, _) = try Self.store(dir, (0..<(4 * NeighborGraph.chunk)).map { _ in source.next() }, dimension: 32)
        let started = DispatchSemaphore(value: 0)
        let task = Task { try await store.duplicates(progress: { if $0.done > 0 { started.signal() } }) }
        started.wait()
        task.cancel()
        await #expect(throws: CancellationError.self) { _ = try await task.value }
    }
}
