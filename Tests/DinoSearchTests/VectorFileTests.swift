import Foundation
import DinoTestSupport
import Testing

@testable import DinoSearch

/// Every stored vector's row in the vector file, checked against the catalog's bytes: the ids whose row is missing or
/// differs (empty when the file is complete and right).
func vectorFileMismatches(_ store: Store) throws -> [UInt64] {
    let file = try #require(store.vectorFile)
    var wrong: [UInt64] = []
    try store.catalog.environment.read { txn throws(StoreError) in
        try txn.scan("vectors") { key, value in
            let id = Catalog.id(key)
            if file.row(id).map({ Data($0) }) != value { wrong.append(id) }
            return true
        }
    }
    return wrong
}

/// The id-addressed float16 file that re-ranking reads (issue 23): the same answers as LMDB, and rebuilt or caught
/// up whenever it is missing, short, damaged, stale or behind the catalog.
@Suite(.offCooperativePool) struct VectorFileTests {
    let dimension = 32

    func images(_ range: Range<Int>) -> [NewImage] {
        range.map { NewImage(path: "/p/\($0)", contentHash: "h\($0)", vector: randomVector(dimension, seed: $0)) }
    }

    /// Results of `queries` as (path, score bits), so equality means byte-identical answers.
    func answers(_ store: Store, _ queries: [[Float]]) throws -> [[String]] {
        try store.search(queries, k: 10).map { $0.map { "\($0.record.path) \($0.score.bitPattern)" } }
    }

    @Test func reRankingFromTheFileGivesTheSameAnswersAsFromTheCatalog() throws {
        let dir = TemporaryDirectory()
        let store = try Store(at: dir.store, dimension: dimension, model: "m")
        try store.add(images(0..<4000))
        try store.remove(ids: [5, 50, 500])  // removed rows stay in the file; they must not come back
        try store.rebuild(layout: .ivf(lists: 32, dimension: dimension))
        #expect(try vectorFileMismatches(store).isEmpty)
        let queries = (0..<60).map { randomVector(dimension, seed: 10_000 + $0) } + [randomVector(dimension, seed: 50)]
        let fromFile = try answers(store, queries)
        let file = store.vectorFile
        store.vectorFile = nil
        let fromCatalog = try answers(store, queries)
        store.vectorFile = file
        #expect(fromFile == fromCatalog)
        #expect(!fromFile.joined().contains { $0.hasPrefix("/p/49 ") })  // id 50 is /p/49: removed
        // Prefix search reads the file too, with the same answers.
        let prefixed = try store.search(queries[0], k: 5, prefix: "/p/1")
        store.vectorFile = nil
        #expect(try store.search(queries[0], k: 5, prefix: "/p/1").map(\.id) == prefixed.map(\.id))
        store.vectorFile = file
    }

    @Test(arguments: ["delete", "truncate", "header", "ahead", "behind"])
    func aDamagedOrStaleFileIsRebuiltFromTheCatalog(damage: String) throws {
        let dir = TemporaryDirectory()
        let path = VectorFile.path(in: dir.store)
        var older = Data()
        do {
            let store = try Store(at: dir.store, dimension: dimension, model: "m")
            try store.add(images(0..<200))
            try store.flush()
            older = try Data(contentsOf: URL(fileURLWithPath: path))
            try store.add(images(200..<300))
        }
        switch damage {
        case "delete": try FileManager.default.removeItem(atPath: path)
        case "truncate": truncate(path, off_t(VectorFile.headerSize + 150 * (16 + 2 * dimension)))
        case "header":
            let fd = open(path, O_WRONLY)
            _ = pwrite(fd, "NOTAFILE", 8, 0)
            close(fd)
        case "ahead":  // a file that claims changes the catalog never had (another store's, a restored backup)
            let fd = open(path, O_WRONLY)
            var sequence = UInt64(1_000_000).littleEndian
            _ = pwrite(fd, &sequence, 8, 16)
            close(fd)
        default:  // a copy from before the last batch, whose changes the saved index already trimmed from the log
            try older.write(to: URL(fileURLWithPath: path))
        }
        let reopened = try Store(at: dir.store, dimension: dimension, model: "m")
        #expect(try vectorFileMismatches(reopened).isEmpty)
        #expect(reopened.vectorFile?.syncedSequence == (try reopened.changeSequence()))
        #expect(try reopened.search(randomVector(dimension, seed: 250), k: 1).first?.record.path == "/p/250")
    }

    /// A power failure can lose rows the catalog committed (rows are synced with the index, not every batch): a
    /// reader takes those ids from LMDB, and the next writer restores them from the change log.
    @Test func rowsLostAfterTheirCommitAreReadFromTheCatalogAndRestored() throws {
        let dir = TemporaryDirectory()
        let path = VectorFile.path(in: dir.store)
        let rowBytes = 16 + 2 * dimension
        var expected: [[String]] = []
        let queries = (200..<300).map { randomVector(dimension, seed: $0) }
        do {
            let store = try Store(at: dir.store, dimension: dimension, model: "m")
            try store.add(images(0..<200))
            try store.flush()
            try store.add(images(200..<300))
            expected = try answers(store, queries)
            // What the disk kept: batch two's rows lost or torn (a whole row of zeros, half a row), its header not
            // yet advanced. The writer is still open, so no save syncs them again.
            let fd = open(path, O_WRONLY)
            for id in 201...300 {
                let zeros = [UInt8](repeating: 0, count: id % 2 == 0 ? rowBytes : rowBytes / 2)
                _ = pwrite(fd, zeros, zeros.count, off_t(VectorFile.headerSize + id * rowBytes + (id % 2 == 0 ? 0 : rowBytes / 2)))
            }
            close(fd)
            let reader = try Store(at: dir.store, mode: .readOnly)
            #expect(try vectorFileMismatches(reader).count == 100)
            #expect(try answers(reader, queries) == expected, "rows that fail their check come from LMDB")
            // Kill the writer's chance to save: its file descriptor's header is rewound as a crash would leave it.
            store.vectorFile = nil
            store.unsavedChanges.store(0, ordering: .relaxed)
        }
        let reopened = try Store(at: dir.store, dimension: dimension, model: "m")
        #expect(try vectorFileMismatches(reopened).isEmpty)
        #expect(try answers(reopened, queries) == expected)
    }
}
