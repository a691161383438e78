import DinoTestSupport
import Foundation
import Testing

@testable import DinoSearch

/// `Store.search(_:k:minimumScore:prefix:)`: the top k among the keys under a prefix, exactly — compared with a
/// brute-force ranking of that user's stored vectors, never a filter of the store-wide top k.
@Suite(.offCooperativePool) struct PrefixSearchTests {
    /// Brute force: every stored vector under `prefix`, scored and ranked as the store ranks (score, then id).
    func truth(_ store: Store, _ query: [Float], prefix: String, k: Int, records: [ImageRecord]? = nil) throws -> [UInt64] {
        let norm = query.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let unit = query.map { $0 / norm }
        let scored = try (records ?? store.records()).filter { $0.path.hasPrefix(prefix) }.map { record in
            (score: cosine(unit, try store.vector(id: record.id)!), id: record.id)
        }
        return scored.sorted { $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id }.prefix(k).map(\.id)
    }

    @Test func smallPrefixIsExactEvenWhenTheStoreWideTopKHoldsNoneOfIt() throws {
        let dir = TemporaryDirectory()
        let d = 64
        let store = try Store(at: dir.store, dimension: d, model: "m")
        var a = ClusteredVectors(dimension: d, clusters: 20, seed: 1)
        var b = ClusteredVectors(dimension: d, clusters: 5, seed: 2)
        let userA = (0..<2000).map { NewImage(path: "user-a/\($0).jpg", vector: a.next()) }
        let userB = (0..<100).map { NewImage(path: "user-b/\($0).jpg", vector: b.next()) }
        try store.add(userA + userB)
        for _ in 0..<10 {
            let query = a.next()  // near user A's photos: the store-wide top 10 is all user A's
            #expect(try store.search(query, k: 10).allSatisfy { $0.record.path.hasPrefix("user-a/") })
            let hits = try store.search(query, k: 10, prefix: "user-b/")
            #expect(hits.map(\.id) == (try truth(store, query, prefix: "user-b/", k: 10)))
            #expect(hits.count == 10 && hits.allSatisfy { $0.record.path.hasPrefix("user-b/") })
        }
        let query = b.next()
        #expect(try store.search(query, k: 5, prefix: "user-").map(\.id) == (try store.search(query, k: 5).map(\.id)))
        #expect(try store.search(query, k: 5, prefix: "nobody/").isEmpty)
        #expect(try store.search(query, k: 100, minimumScore: 0.9, prefix: "user-b/").allSatisfy { $0.score >= 0.9 })
        #expect(try store.ids(withKeyPrefix: "user-b/").count == 100)
        // Byte prefixes, not path components: "user-b/1" holds 1, 10-19, 100... (here 1 and 10-19).
        #expect(try store.ids(withKeyPrefix: "user-b/1").count == 11)
    }

    /// Past the exact limit the index is searched with a widening candidate list; when the probed IVF lists hold
    /// too few of the prefix's images (a user whose photos lie far from the query), every one of them is scored.
    @Test func largePrefixOnAnIVFStore() throws {
        let dir = TemporaryDirectory()
        let d = 64
        let store = try Store(at: dir.store, dimension: d, model: "m")
        var a = ClusteredVectors(dimension: d, clusters: 100, seed: 3)
        var b = ClusteredVectors(dimension: d, clusters: 50, seed: 4)
        var c = ClusteredVectors(dimension: d, clusters: 3, seed: 5)
        try store.add((0..<15_000).map { NewImage(path: "a/\($0)", vector: a.next()) })
        try store.add((0..<5_000).map { NewImage(path: "b/\($0)", vector: b.next()) })
        try store.add((0..<300).map { NewImage(path: "c/\($0)", vector: c.next()) })
        try store.rebuild(layout: .ivf(for: store.count, dimension: d))
        #expect(try store.stats().layout.hasPrefix("IVF"))

        let records = try store.records()
        var found = 0
        for _ in 0..<20 {
            let query = b.next()
            let hits = try store.search(query, k: 10, minimumScore: nil, prefix: "b/", exactLimit: 100)
            #expect(hits.count == 10 && hits.allSatisfy { $0.record.path.hasPrefix("b/") })
            let expected = Set(try truth(store, query, prefix: "b/", k: 10, records: records))
            found += hits.filter { expected.contains($0.id) }.count
            // User C's photos are far from the query: the index's lists run dry and all 300 are scored.
            let far = try store.search(query, k: 10, minimumScore: nil, prefix: "c/", exactLimit: 100)
            #expect(far.map(\.id) == (try truth(store, query, prefix: "c/", k: 10, records: records)))
        }
        let recall = Double(found) / 200
        print("recall@10 within a 5,000-image prefix through the IVF index: \(recall)")
        #expect(recall >= 0.95)
    }

    /// Keys past LMDB's 511-byte key limit (the HTTP API allows 1,024 bytes, file paths 4,096) are stored, found,
    /// replaced, removed and searched by prefix like short ones — also by a prefix longer than the part kept whole.
    @Test func keysLongerThanLMDBsKeyLimit() throws {
        let dir = TemporaryDirectory()
        let d = 16
        let store = try Store(at: dir.store, dimension: d, model: "m")
        let folder = "user-7/" + String(repeating: "deep/", count: 120)  // 607 bytes
        let keys = (0..<5).map { folder + "photo-\($0).jpg" } + ["user-7/short.jpg", String(repeating: "é", count: 512)]
        let ids = try store.add(keys.enumerated().map { NewImage(path: $1, vector: randomVector(d, seed: $0)) })
        for (key, id) in zip(keys, ids) { #expect(try store.record(path: key)?.id == id) }
        #expect(try store.record(path: folder + "photo-9.jpg") == nil)
        // A key that differs only after the part kept whole is another key.
        #expect(Set(ids).count == keys.count && store.count == keys.count)
        #expect(try store.ids(withKeyPrefix: "user-7/").count == 6)
        #expect(try store.ids(withKeyPrefix: folder).count == 5)
        #expect(try store.ids(withKeyPrefix: folder + "photo-3").count == 1)
        let hits = try store.search(randomVector(d, seed: 3), k: 10, prefix: folder)
        #expect(hits.first?.record.path == folder + "photo-3.jpg" && hits.count == 5)
        // Replace and remove by key.
        let replaced = try store.add([NewImage(path: keys[1], vector: randomVector(d, seed: 99))])[0]
        #expect(try store.record(path: keys[1])?.id == replaced && store.count == keys.count)
        #expect(try store.remove(ids: [replaced]) == 1)
        #expect(try store.record(path: keys[1]) == nil && store.ids(withKeyPrefix: folder).count == 4)
    }
}
