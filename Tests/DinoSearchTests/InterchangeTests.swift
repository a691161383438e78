import Foundation
import DinoTestSupport
import Testing

@testable import DinoSearch

/// The vector interchange format (`Interchange`): numpy's own files read back, export → import bit for bit,
/// idempotent and resumable imports, and every malformed input refused before anything is written.
@Suite(.offCooperativePool) struct InterchangeTests {
    let dimension = 24
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/npy").path

    func images(_ range: Range<Int>) -> [NewImage] {
        range.map {
            NewImage(path: "/photos/\($0).jpg", fileSize: Int64(1000 + $0), modified: 1.7e9 + Double($0), contentHash: "h\($0)",
                     width: 640 + $0, height: 480, vector: randomVector(dimension, seed: $0))
        }
    }

    /// An interchange folder with `count` rows written through the public writer.
    func folder(_ dir: TemporaryDirectory, _ name: String, model: String = "m", rows: Range<Int>,
                edit: (inout Interchange.Record, inout [Float]) -> Void = { _, _ in }) throws -> String {
        let path = dir.path + "/" + name
        let writer = try InterchangeWriter(directory: path, model: model, dimension: dimension)
        for image in images(rows) {
            var record = Interchange.Record(path: image.path, size: image.fileSize, modified: image.modified,
                                            hash: image.contentHash, width: image.width, height: image.height)
            var vector = image.vector
            edit(&record, &vector)
            try writer.append(record, vector: vector)
        }
        try writer.finish()
        return path
    }

    // MARK: .npy as numpy writes it (scripts/reference/make_npy_fixtures.py)

    @Test(arguments: ["f16", "f32", "f64", "v2"])
    func readsNumpyMatrices(name: String) throws {
        let matrix = try NumpyMatrix(contentsOf: "\(Self.fixtures)/\(name).npy")
        #expect(matrix.rows == 3 && matrix.columns == 5)
        for i in 0..<3 {
            #expect(try matrix.row(i) == (0..<5).map { Float(i * 5 + $0) / 8 - 1 })
        }
    }

    @Test func readsAnEmptyMatrix() throws {
        let matrix = try NumpyMatrix(contentsOf: "\(Self.fixtures)/empty.npy")
        #expect(matrix.rows == 0 && matrix.columns == 5)
    }

    @Test(arguments: [
        ("fortran", "Fortran order"), ("int32", "'<i4'"), ("big-endian", "'>f4'"), ("three-d", "(3, 5, 1)"),
        ("vector", "(5,)"), ("truncated", "bytes of data"), ("missing", "No such file"),
    ])
    func refusesOtherArrays(name: String, words: String) throws {
        let path = "\(Self.fixtures)/\(name).npy"
        let error = try #require(throws: StoreError.self) { try NumpyMatrix(contentsOf: path) }
        #expect(error.path == path)
        #expect(error.message.contains(words), "\(error)")
    }

    @Test func writerRoundTripsThroughTheReader() throws {
        let dir = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.path, withIntermediateDirectories: true)
        let rows = (0..<300).map { randomVector(7, seed: $0) + [.nan, -.infinity, 0] }
        let writer = try NumpyWriter(path: dir.path + "/m.npy", columns: 10)
        for row in rows { try writer.append(row) }
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/m.npy"), "complete or absent")
        try writer.finish()
        let matrix = try NumpyMatrix(contentsOf: dir.path + "/m.npy")
        #expect(matrix.rows == 300 && matrix.columns == 10)
        for i in [0, 150, 299] {
            #expect(zip(try matrix.row(i), rows[i]).allSatisfy { $0.bitPattern == $1.bitPattern })
        }
        // The header is numpy's version 1.0 dict, padded to the 64-byte alignment numpy asks for.
        let header = try Data(contentsOf: URL(fileURLWithPath: dir.path + "/m.npy")).prefix(NumpyWriter.headerSize)
        #expect(String(decoding: header.dropFirst(10), as: UTF8.self).hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (300, 10), }"))
        #expect(header.last == 0x0A && NumpyWriter.headerSize % 64 == 0)
    }

    // MARK: Export and import

    @Test func exportThenImportIsBitExact() throws {
        let dir = TemporaryDirectory()
        let source = try Store(at: dir.path + "/a", dimension: dimension, model: "m")
        try source.add(images(0..<500))
        #expect(try source.export(to: dir.path + "/export") == 500)
        let manifest = try Interchange.manifest(in: dir.path + "/export")
        #expect(manifest == Interchange.Manifest(model: "m", dimension: dimension, count: 500))

        let copy = try Store(at: dir.path + "/b", dimension: dimension, model: "m")
        let summary = try copy.import(from: dir.path + "/export")
        #expect(summary == ImportSummary(added: 500, updated: 0, unchanged: 0))
        let original = try source.records(), imported = try copy.records()
        #expect(imported.count == 500)
        for (a, b) in zip(original, imported) {
            #expect(a.path == b.path && a.fileSize == b.fileSize && a.modified == b.modified && a.added == b.added)
            #expect(a.contentHash == b.contentHash && a.width == b.width && a.height == b.height)
            let va = try #require(try source.vector(id: a.id)), vb = try #require(try copy.vector(id: b.id))
            #expect(va.map(\.bitPattern) == vb.map(\.bitPattern), "\(a.path)")
        }
        // Searches agree too, score for score.
        for seed in 0..<10 {
            let q = randomVector(dimension, seed: 9000 + seed)
            let x = try source.search(q, k: 10), y = try copy.search(q, k: 10)
            #expect(x.map(\.record.path) == y.map(\.record.path) && x.map(\.score) == y.map(\.score))
        }
        // And the second export is byte-identical in its vectors.
        try copy.export(to: dir.path + "/again")
        #expect(FileManager.default.contents(atPath: dir.path + "/export/vectors.npy")
                == FileManager.default.contents(atPath: dir.path + "/again/vectors.npy"))
    }

    /// Renormalising a float16 vector and rounding again usually gives the same bits, but not when its norm is off
    /// by more than half a float16 step of a component: the store keeps such a stored-form vector as it is.
    @Test func storedFormVectorsAreKeptBitForBit() throws {
        var found: [Float]?
        for bits in UInt16(0x3800)..<0x3C00 where found == nil {  // a in [0.5, 1), b a few steps around √(1 − a²)
            let a = Float(Float16(bitPattern: bits))
            let b = Float16((1 - a * a).squareRoot()).bitPattern
            for step in b - 2...b + 2 where found == nil {
                let v = [a, Float(Float16(bitPattern: step))]
                let norm = (v[0] * v[0] + v[1] * v[1]).squareRoot()
                if abs(norm - 1) <= 1e-3, v.map({ Float(Float16($0 / norm)) }) != v { found = v }
            }
        }
        let vector = try #require(found, "no float16 pair that renormalising moves")
        let dir = TemporaryDirectory()
        let store = try Store(at: dir.store, dimension: 2, model: "m")
        let id = try #require(try store.add([NewImage(path: "/v", vector: vector)]).first)
        #expect(try store.vector(id: id)?.map(\.bitPattern) == vector.map(\.bitPattern))
        try store.export(to: dir.path + "/e")
        let copy = try Store(at: dir.path + "/b", dimension: 2, model: "m")
        _ = try copy.import(from: dir.path + "/e")
        #expect(try copy.records().first.flatMap { try copy.vector(id: $0.id) }?.map(\.bitPattern) == vector.map(\.bitPattern))
    }

    @Test func importIsIdempotentAndReplacesChangedPaths() throws {
        let dir = TemporaryDirectory()
        let store = try Store(at: dir.store, dimension: dimension, model: "m")
        let first = try folder(dir, "first", rows: 0..<100)
        #expect(try store.import(from: first, batchSize: 7) == ImportSummary(added: 100))
        #expect(try store.import(from: first, batchSize: 7) == ImportSummary(unchanged: 100))
        let ids = Set(try store.records().map(\.id))

        // 10 vectors and 5 sizes changed, 20 new paths.
        let second = try folder(dir, "second", rows: 0..<120) { record, vector in
            let i = Int(record.path.dropFirst("/photos/".count).dropLast(4))!
            if i < 10 { vector = randomVector(dimension, seed: 5000 + i) }
            if (10..<15).contains(i) { record.size = 1 }
        }
        #expect(try store.import(from: second) == ImportSummary(added: 20, updated: 15, unchanged: 85))
        #expect(store.count == 120)
        let after = try store.records()
        #expect(Set(after.map(\.path)).count == 120)
        #expect(ids.intersection(after.map(\.id)).count == 85, "unchanged images keep their ids")
        let hit = try store.search(randomVector(dimension, seed: 5003), k: 1)
        #expect(hit.first?.record.path == "/photos/3.jpg" && (hit.first?.score ?? 0) > 0.999)
        #expect(store.index.count == 120, "replaced vectors left the index")
    }

    /// An import that takes a store past the exact layout trains the IVF index first, on rows of the catalog and
    /// the folder both, and adds every row to it.
    @Test func anImportPastTheExactLimitTrainsTheIndexFirst() throws {
        let dir = TemporaryDirectory()
        let d = 64, before = 20_000, incoming = IndexLayout.exactLimit
        let store = try Store(at: dir.store, dimension: d, model: "m")
        var generator = ClusteredVectors(dimension: d, clusters: 200, seed: 5)
        try store.add((0..<before).map { NewImage(path: "/old/\($0)", vector: generator.next()) })
        try FileManager.default.createDirectory(atPath: dir.path, withIntermediateDirectories: true)
        let writer = try InterchangeWriter(directory: dir.path + "/big", model: "m", dimension: d)
        var rows: [[Float]] = []
        for i in 0..<incoming {
            rows.append(generator.next())
            try writer.append(Interchange.Record(path: "/new/\(i)"), vector: rows[i])
        }
        try writer.finish()
        #expect(try store.import(from: dir.path + "/big", batchSize: 5000) == ImportSummary(added: incoming))
        let stats = try store.stats()
        #expect(stats.layout.hasPrefix("IVF1024,PQ32x4fs, nprobe ") && stats.layout.hasSuffix("target 0.95), trained on 100000"), "\(stats.layout)")
        #expect(stats.indexedVectors == before + incoming && !stats.rebuildAdvised)
        // Each row is found, or a tie as close as itself (float16-rounded clusters have near-copies).
        for i in stride(from: 0, to: incoming, by: 997) {
            let hit = try #require(try store.search(rows[i], k: 1).first)
            #expect(hit.record.path == "/new/\(i)" || hit.score >= 0.9999, "row \(i): \(hit.record.path) \(hit.score)")
        }
    }

    /// Several folders are one import: a bad row in the last folder stops it before the first folder is written,
    /// and progress counts the rows of all of them.
    @Test func severalFoldersAreCheckedWholeBeforeAnyIsWritten() throws {
        let dir = TemporaryDirectory()
        let store = try Store(at: dir.store, dimension: dimension, model: "m")
        try store.add(images(0..<5))
        let first = try folder(dir, "first", rows: 100..<150)
        let second = try folder(dir, "second", rows: 150..<170)
        let bad = try folder(dir, "bad", rows: 170..<180) { record, vector in
            if record.path == "/photos/175.jpg" { vector[3] = .infinity }
        }
        let before = try store.records()
        let error = try #require(throws: StoreError.self) { try store.import(from: [first, second, bad], batchSize: 10) }
        #expect(error.path?.hasPrefix(bad + "/vectors.npy row 5") == true, "\(error)")
        #expect(try store.records() == before && store.index.count == 5)

        var reported: [(Int, Int)] = []
        let summary = try store.import(from: [first, second], batchSize: 30) { reported.append(($0, $1)) }
        #expect(summary == ImportSummary(added: 70))
        #expect(reported.map(\.0) == [30, 60, 70] && reported.allSatisfy { $0.1 == 70 })
        #expect(try store.search(randomVector(dimension, seed: 160), k: 1).first?.record.path == "/photos/160.jpg")
    }

    /// Shards that together pass the exact limit are laid out once, trained on a sample drawn across all of them —
    /// including a shard too small to train on alone, first in line — and every row goes into the new index.
    @Test func shardsPastTheExactLimitAreTrainedOnceAcrossAll() throws {
        let dir = TemporaryDirectory()
        let d = 16
        let store = try Store(at: dir.store, dimension: d, model: "m")
        try FileManager.default.createDirectory(atPath: dir.path, withIntermediateDirectories: true)
        var generator = ClusteredVectors(dimension: d, clusters: 200, seed: 11)
        var rows: [[Float]] = [], shards: [String] = []
        for (s, size) in [10, IndexLayout.exactLimit * 6 / 10, IndexLayout.exactLimit / 2].enumerated() {
            let writer = try InterchangeWriter(directory: dir.path + "/part-\(s)", model: "m", dimension: d)
            for _ in 0..<size {
                rows.append(generator.next())
                try writer.append(Interchange.Record(path: "/shard/\(rows.count - 1)"), vector: rows[rows.count - 1])
            }
            try writer.finish()
            shards.append(dir.path + "/part-\(s)")
        }
        #expect(try store.import(from: shards, batchSize: 10_000) == ImportSummary(added: rows.count))
        let stats = try store.stats()
        #expect(stats.layout.hasPrefix("IVF1024,PQ8x4fs, nprobe ") && stats.layout.hasSuffix("target 0.95), trained on 100000"), "\(stats.layout)")
        #expect(stats.indexedVectors == rows.count && !stats.rebuildAdvised)
        for i in [0, 9, 10, 60_009, 60_010] + Array(stride(from: 3, to: rows.count, by: 1999)) {
            let hit = try #require(try store.search(rows[i], k: 1).first)
            #expect(hit.record.path == "/shard/\(i)" || hit.score >= 0.9999, "row \(i): \(hit.record.path) \(hit.score)")
        }
    }

    /// Only paths the store lacks count toward the layout an import plans for: importing the same 60k rows twice
    /// keeps the exact layout (counting every row would plan for 120k, past the exact limit, and re-lay the index).
    @Test func reimportingKeepsTheLayout() throws {
        let dir = TemporaryDirectory()
        let d = 16, n = IndexLayout.exactLimit * 6 / 10
        let store = try Store(at: dir.store, dimension: d, model: "m")
        try FileManager.default.createDirectory(atPath: dir.path, withIntermediateDirectories: true)
        let writer = try InterchangeWriter(directory: dir.path + "/rows", model: "m", dimension: d)
        var generator = ClusteredVectors(dimension: d, clusters: 50, seed: 9)
        for i in 0..<n { try writer.append(Interchange.Record(path: "/p/\(i)"), vector: generator.next()) }
        try writer.finish()
        #expect(try store.import(from: dir.path + "/rows", batchSize: 5000) == ImportSummary(added: n))
        #expect(try store.import(from: dir.path + "/rows", batchSize: 5000) == ImportSummary(unchanged: n))
        #expect(try store.stats().layout == IndexLayout.exact.factory)
    }

    @Test func aPathTwiceInOneBatchIsStoredOnce() throws {
        let dir = TemporaryDirectory()
        let store = try Store(at: dir.store, dimension: dimension, model: "m")
        let twice = try folder(dir, "twice", rows: 0..<10) { record, _ in record.path = "/photos/same.jpg" }
        #expect(try store.import(from: twice) == ImportSummary(added: 1, updated: 9))
        #expect(store.count == 1 && store.index.count == 1)
        #expect(try store.search(randomVector(dimension, seed: 9), k: 5).map(\.record.path) == ["/photos/same.jpg"])
    }

    /// Each malformed folder is refused with its file (and line) named, and the store is left exactly as it was.
    @Test func malformedFoldersAreRefusedBeforeAnythingIsWritten() throws {
        let dir = TemporaryDirectory()
        let store = try Store(at: dir.store, dimension: dimension, model: "m")
        try store.add(images(0..<5))
        let good = try folder(dir, "good", rows: 100..<150)
        func variant(_ name: String, _ change: (String) throws -> Void) throws -> String {
            let path = dir.path + "/" + name
            try FileManager.default.copyItem(atPath: good, toPath: path)
            try change(path)
            return path
        }
        func rewrite(_ file: String, _ change: (inout [String]) -> Void) throws {
            var lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            change(&lines)
            try lines.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        }
        func withRow(_ row: Int, _ values: [Float]) -> (String) throws -> Void {
            { path in
                let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path + "/vectors.npy"))
                try handle.seek(toOffset: UInt64(NumpyWriter.headerSize + row * self.dimension * 4))
                try handle.write(contentsOf: values.withUnsafeBytes { Data($0) })
                try handle.close()
            }
        }
        let cases: [(String, (String) throws -> Void, String, String)] = [
            ("bad-json", { try rewrite($0 + "/records.jsonl") { $0[16] = "{\"path\": " } }, "records.jsonl", "line 17: not valid JSON"),
            ("no-path", { try rewrite($0 + "/records.jsonl") { $0[3] = "{\"size\": 4}" } }, "records.jsonl", "line 4: \"path\" is missing"),
            ("path-type", { try rewrite($0 + "/records.jsonl") { $0[0] = "{\"path\": 7}" } }, "records.jsonl", "line 1: \"path\" has the wrong type"),
            ("extra-line", { try rewrite($0 + "/records.jsonl") { $0.insert("{\"path\": \"/x\"}", at: 50) } }, "records.jsonl", "has 51 lines; vectors.npy has 50 rows"),
            ("short", { try rewrite($0 + "/records.jsonl") { $0.removeLast(2); $0.append("") } }, "records.jsonl", "has 49 lines"),
            ("count", { try rewrite($0 + "/store.json") { $0[0] = $0[0].replacingOccurrences(of: "\"count\":50", with: "\"count\":60") } }, "vectors.npy", "store.json announces 60×24"),
            ("nan", withRow(20, [1, .nan]), "vectors.npy row 20 (records.jsonl line 21, /photos/120.jpg)", "NaN"),
            ("zero", withRow(33, [Float](repeating: 0, count: 24)), "vectors.npy row 33", "all zeros"),
            ("model", { try rewrite($0 + "/store.json") { $0[0] = $0[0].replacingOccurrences(of: "\"model\":\"m\"", with: "\"model\":\"other\"") } }, "model", "holds embeddings of model other"),
            ("dimension", { try rewrite($0 + "/store.json") { $0[0] = $0[0].replacingOccurrences(of: "\"dimension\":24", with: "\"dimension\":25") } }, "dimension", "holds 25-dimensional vectors"),
            ("manifest", { try FileManager.default.removeItem(atPath: $0 + "/store.json") }, "store.json", "not a dinosearch export folder"),
            ("manifest-json", { try rewrite($0 + "/store.json") { $0 = ["{\"model\": \"m\"}"] } }, "store.json", "\"dimension\" is missing"),
        ]
        let before = try store.records()
        for (name, change, place, words) in cases {
            let path = try variant(name, change)
            // Small batches: an importer that wrote before checking would have committed some of them.
            let error = try #require(throws: StoreError.self, "\(name)") { try store.import(from: path, batchSize: 10) }
            #expect(error.description.contains(words), "\(name): \(error)")
            if place != "model" && place != "dimension" {
                #expect((error.path ?? "").contains(place), "\(name): \(error)")
            }
            #expect(try store.records() == before, "\(name) wrote something")
            #expect(store.index.count == 5)
        }
        #expect(try store.import(from: good) == ImportSummary(added: 50))
        let readOnly = try Store(at: dir.store, mode: .readOnly)
        let refused = try #require(throws: StoreError.self) { try readOnly.import(from: good) }
        #expect(refused.message.contains("read-only"), "\(refused)")
    }

    @Test func searchByMatrixRowsNamesABadRow() throws {
        let dir = TemporaryDirectory()
        let store = try Store(at: dir.store, dimension: dimension, model: "m")
        try store.add(images(0..<50))
        try FileManager.default.createDirectory(atPath: dir.path, withIntermediateDirectories: true)
        let writer = try NumpyWriter(path: dir.path + "/q.npy", columns: dimension)
        for i in [4, 17] { try writer.append(randomVector(dimension, seed: i)) }
        try writer.finish()
        let answers = try store.search(rowsOf: try NumpyMatrix(contentsOf: dir.path + "/q.npy"), k: 3)
        #expect(answers.map { $0.first?.record.path } == ["/photos/4.jpg", "/photos/17.jpg"])

        let bad = try NumpyWriter(path: dir.path + "/bad.npy", columns: dimension)
        try bad.append(randomVector(dimension, seed: 1))
        try bad.append([Float](repeating: .nan, count: dimension))
        try bad.finish()
        let error = try #require(throws: StoreError.self) {
            try store.search(rowsOf: try NumpyMatrix(contentsOf: dir.path + "/bad.npy"), k: 3)
        }
        #expect(error.description.hasPrefix(dir.path + "/bad.npy row 1: "), "\(error)")
        let narrow = try #require(throws: StoreError.self) {
            try store.search(rowsOf: try NumpyMatrix(contentsOf: "\(Self.fixtures)/f32.npy"), k: 3)
        }
        #expect(narrow.kind == .dimensionMismatch && narrow.description.contains("f32.npy row 0"))
    }

    @Test func aFolderIsWrittenWholeOrNotAtAll() throws {
        let dir = TemporaryDirectory()
        let store = try Store(at: dir.store, dimension: dimension, model: "m")
        try store.add(images(0..<3))
        let target = dir.path + "/out"
        let writer = try InterchangeWriter(directory: target, model: "m", dimension: dimension)
        try writer.append(Interchange.Record(path: "/a"), vector: randomVector(dimension, seed: 1))
        #expect(!FileManager.default.fileExists(atPath: target))
        writer.discard()
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("out") }.isEmpty)

        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        try store.export(to: target)  // an empty folder is fine
        let busy = try #require(throws: StoreError.self) { try store.export(to: target) }
        #expect(busy.path == target && busy.message.contains("not empty"))
        #expect(try Interchange.manifest(in: target).count == 3)
    }
}
