import CDinoFaiss
import Foundation
import Synchronization

/// A dinosearch store: one directory holding the LMDB catalog (the source of truth: records and float16 vectors),
/// a Faiss index derived from it and an id-addressed copy of the vectors for re-ranking (`VectorFile`), both of
/// which can always be rebuilt from the catalog.
///
/// ```swift
/// let store = try Store(at: "/var/lib/photos/.dinosearch", dimension: 384, model: encoder.fingerprint)
/// let ids = try store.add([NewImage(path: "/photos/a.jpg", vector: embedding)])
/// let hits = try store.search(embedding, k: 10)          // [SearchResult], cosine scores, best first
/// ```
///
/// Concurrency: any number of concurrent searches, one mutation at a time (mutations wait for each other).
/// A second process that opens the store for writing gets `StoreError.locked`; read-only openers may search
/// while a writer works, and see every batch it has committed.
///
/// Durability: each `add`/`remove` call is one LMDB transaction. The index file is saved now and then, on
/// `flush()` and when the store is released; a process killed at any instant loses no committed batch, because opening replays the catalog's
/// change log into the index (or rebuilds the index when its file is missing, damaged or of another layout).
public final class Store: Sendable {
    public enum Mode: Sendable { case readWrite, readOnly }

    /// The store directory.
    public let directory: String
    public let mode: Mode
    /// Embedding dimension of every vector in the store.
    public let dimension: Int
    /// Fingerprint of the model whose embeddings the store holds.
    public let model: String

    let catalog: Catalog
    private let lockDescriptor: Int32
    let indexLock = ReadWriteLock()
    let writer = Mutex<Void>(())
    /// The live index and the change sequence it reflects. Read under `indexLock` shared, changed under exclusive.
    nonisolated(unsafe) var index: VectorIndex
    nonisolated(unsafe) var indexSequence: UInt64
    let unsavedChanges = Atomic<Int>(0)
    /// The id-addressed copy of the vectors that re-ranking reads (nil where it cannot be mapped: LMDB serves).
    /// Set while opening, never changed after.
    nonisolated(unsafe) var vectorFile: VectorFile?

    /// Save the index after this many changes, so replay on open stays short.
    static let saveEvery = 20_000

    var indexPath: String { Self.indexPath(directory) }
    static func indexPath(_ directory: String) -> String { (directory as NSString).appendingPathComponent("index.faiss") }
    static func catalogPath(_ directory: String) -> String { (directory as NSString).appendingPathComponent("catalog.mdb") }

    /// Opens the store in `directory`, creating it if the directory is absent or empty.
    /// - Parameters:
    ///   - dimension: required to create a store; checked against an existing one.
    ///   - model: the encoder's fingerprint; a store made with another model is refused. `nil` accepts any
    ///     existing store (for tools that only read metadata).
    /// - Throws: `StoreError` — `.locked` if another process writes to it, `.modelMismatch`, `.newerFormat`,
    ///   `.notAStore` for a foreign directory, `.io` for a read-only or full file system.
    public convenience init(at directory: String, dimension: Int? = nil, model: String? = nil, mode: Mode = .readWrite) throws(StoreError) {
        try self.init(at: directory, dimension: dimension, model: model, mode: mode, mapSize: 1 << 30)
    }

    /// `mapSize`: LMDB's first map reservation (tests start it small to exercise growth).
    init(at directory: String, dimension: Int?, model: String?, mode: Mode, mapSize: Int) throws(StoreError) {
        let directory = URL(fileURLWithPath: directory).standardizedFileURL.path
        self.directory = directory
        self.mode = mode
        let catalogPath = Self.catalogPath(directory)
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw StoreError(.notAStore, path: directory, "is a file, not a store directory") }
            let contents = (try? fm.contentsOfDirectory(atPath: directory)) ?? []
            if !contents.isEmpty && !contents.contains("catalog.mdb") {
                throw StoreError(.notAStore, path: directory, "is not a dinosearch store (it holds other files and no catalog.mdb)")
            }
        }
        let exists = fm.fileExists(atPath: catalogPath)
        if !exists {
            guard mode == .readWrite else {
                throw StoreError(.notFound, path: directory, "no store here yet (`dinosearch index FOLDER` makes one)")
            }
            guard dimension != nil, model != nil else {
                throw StoreError(.notFound, path: directory, "no store here yet (creating one needs a model)")
            }
            do {
                try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw StoreError(.io, path: directory, "cannot be created (\(error.localizedDescription))")
            }
        }

        // One writer per store across processes: an exclusive, non-blocking flock on `lock`.
        var lockDescriptor: Int32 = -1
        if mode == .readWrite {
            let lockPath = (directory as NSString).appendingPathComponent("lock")
            lockDescriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard lockDescriptor >= 0 else {
                throw StoreError(.io, path: lockPath, "cannot be opened (\(String(cString: strerror(errno))))", code: errno)
            }
            if flock(lockDescriptor, LOCK_EX | LOCK_NB) != 0 {
                let holder = (try? String(contentsOfFile: lockPath, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
                close(lockDescriptor)
                throw StoreError(.locked, path: directory, "store is locked by another writer" + (holder.isEmpty ? "" : " (pid \(holder))"))
            }
            ftruncate(lockDescriptor, 0)
            let pid = "\(getpid())\n"
            _ = pid.withCString { Foundation.write(lockDescriptor, $0, strlen($0)) }
        }
        self.lockDescriptor = lockDescriptor
        if mode == .readWrite { IndexFile.removeStaleTemporaries(of: Self.indexPath(directory)) }

        do throws(StoreError) {
            let environment = try LMDBEnvironment(
                path: catalogPath, databases: Catalog.tables, readOnly: mode == .readOnly, mapSize: mapSize)
            catalog = Catalog(environment: environment)
            var info = try environment.read { txn throws(StoreError) in try Catalog.info(txn) }
            if info == nil {
                guard mode == .readWrite, let dimension, let model, !exists else {
                    throw StoreError(.notAStore, path: catalogPath, "is an LMDB file without dinosearch metadata")
                }
                let fresh = Catalog.StoreInfo(formatVersion: Catalog.formatVersion, dimension: dimension, model: model,
                                              layout: .exact, nextID: 1, sequence: 0)
                try environment.write { txn throws(StoreError) in try Catalog.setInfo(txn, fresh) }
                info = fresh
            }
            let stored = info!
            guard stored.formatVersion <= Catalog.formatVersion else {
                throw StoreError(.newerFormat, path: directory,
                                 "store format \(stored.formatVersion) is newer than this dinosearch reads (\(Catalog.formatVersion)); upgrade dinosearch")
            }
            if let model, model != stored.model {
                throw StoreError(.modelMismatch, path: directory,
                                 "store holds embeddings of model \(stored.model), not \(model); use a separate --store for each model")
            }
            if let dimension, dimension != stored.dimension {
                throw StoreError(.dimensionMismatch, path: directory, "store holds \(stored.dimension)-dimensional vectors, not \(dimension)")
            }
            self.dimension = stored.dimension
            self.model = stored.model
            (index, indexSequence) = (try VectorIndex.make(stored.layout, dimension: stored.dimension), 0)
            try loadIndex(info: stored)
            vectorFile = try openVectorFile(info: stored)
        } catch {
            if lockDescriptor >= 0 { close(lockDescriptor) }
            throw error
        }
    }

    deinit {
        if mode == .readWrite && unsavedChanges.load(ordering: .relaxed) > 0 { try? saveIndex() }
        if lockDescriptor >= 0 { close(lockDescriptor) }
    }

    // MARK: Index life cycle

    /// Brings `index` to the catalog's state: the saved file plus replayed changes, or a rebuild.
    func loadIndex(info: Catalog.StoreInfo) throws(StoreError) {
        if let (saved, meta) = try? IndexFile.read(indexPath), meta.layout == info.layout,
           meta.dimension == info.dimension, meta.sequence <= info.sequence,
           (try? replay(into: saved, after: meta.sequence, upTo: info.sequence)) != nil
        {
            index = saved
            indexSequence = info.sequence
            unsavedChanges.store(Int(info.sequence - meta.sequence), ordering: .relaxed)
            return
        }
        try rebuildIndex(layout: info.layout, save: mode == .readWrite, probes: info.layout.probeChoice)
    }

    /// Applies the logged changes (after, upTo] to `target`: every touched id is removed, then re-added if the
    /// catalog still has it. Throws if the log no longer reaches back to `after` (the file is too old).
    func replay(into target: VectorIndex, after: UInt64, upTo: UInt64) throws(StoreError) {
        guard upTo > after else { return }
        guard let ids = try touchedIDs(after: after, upTo: upTo) else {
            throw StoreError(.corrupt, path: indexPath, "change log does not reach the index file")
        }
        try target.remove(ids.map { Int64(bitPattern: $0) })
        let (vectors, present) = try loadVectors(ids)
        try target.add(vectors, ids: present.map { Int64(bitPattern: $0) })
    }

    /// The ids the changes (after, upTo] touched, ascending; nil when the change log no longer reaches back to `after`.
    func touchedIDs(after: UInt64, upTo: UInt64) throws(StoreError) -> [UInt64]? {
        var touched = Set<UInt64>()
        var first: UInt64?
        try catalog.environment.read { txn throws(StoreError) in
            try txn.scan("changes", from: Catalog.key(after + 1)) { key, value in
                let sequence = Catalog.id(key)
                if sequence > upTo { return false }
                if first == nil { first = sequence }
                touched.insert(Catalog.id(value))
                return true
            }
        }
        return first == after + 1 || upTo <= after ? touched.sorted() : nil
    }

    /// The vector file, brought to the catalog's state (`VectorFile` says how); a reader takes it as it is.
    func openVectorFile(info: Catalog.StoreInfo) throws(StoreError) -> VectorFile? {
        let path = VectorFile.path(in: directory)
        guard mode == .readWrite else { return VectorFile.open(path, dimension: dimension, writable: false) }
        if let file = VectorFile.open(path, dimension: dimension, writable: true), file.covers(nextID: info.nextID),
           file.syncedSequence <= info.sequence,
           let touched = try touchedIDs(after: file.syncedSequence, upTo: info.sequence)
        {
            try file.truncate(below: info.nextID)
            if !touched.isEmpty {
                try catalog.environment.read { txn throws(StoreError) in
                    for id in touched {
                        if let vector = try txn.get("vectors", Catalog.key(id)) { try file.write(first: id, [vector]) }
                    }
                }
                try file.sync(through: info.sequence)
            }
            return file
        }
        return try catalog.environment.read { txn throws(StoreError) in
            try VectorFile.create(at: path, dimension: dimension, txn: txn, nextID: info.nextID, sequence: info.sequence)
        }
    }

    /// The stored vectors of those `ids` still in the catalog, concatenated, and which ids they are.
    func loadVectors(_ ids: [UInt64]) throws(StoreError) -> ([Float], [UInt64]) {
        try catalog.environment.read { txn throws(StoreError) in
            var vectors: [Float] = []
            var present: [UInt64] = []
            vectors.reserveCapacity(ids.count * dimension)
            for id in ids {
                if let v = try Catalog.vector(txn, id: id, dimension: dimension) {
                    vectors += v
                    present.append(id)
                }
            }
            return (vectors, present)
        }
    }

    /// Makes a fresh index of `layout` from every vector in the catalog (training it on a sample if needed),
    /// streaming: memory holds the training sample and one chunk of vectors, never the whole catalog.
    /// - Parameter incoming: rows about to be imported (checked already), one matrix per folder; the training sample
    ///   is drawn across the catalog and them in proportion, so the index fits what the store is about to hold.
    /// - Parameter probes: how an IVF index's probe count is chosen; measured on the catalog once the index holds it
    ///   (an import measures after its rows are in: `recalibrate`).
    func rebuildIndex(
        layout: IndexLayout, save: Bool, incoming: [NumpyMatrix] = [], probes: ProbeChoice = .standard
    ) throws(StoreError) {
        var layout = layout
        let fresh = try VectorIndex.make(layout, dimension: dimension)
        // One snapshot, so the index matches exactly one catalog state.
        let sequence = try catalog.environment.read { txn throws(StoreError) in
            let count = try txn.count("vectors")
            if !fresh.isTrained {
                let extra = incoming.reduce(0) { $0 + $1.rows }
                let sampleSize = min(count + extra, IndexLayout.trainingSampleLimit)
                guard sampleSize > 0 else { throw StoreError(.index, path: directory, "\(layout.factory) needs vectors to train on") }
                let fromCatalog = sampleSize * count / (count + extra)
                // Rows i·n/s of each source: spread evenly over the catalog and over the incoming rows.
                var sample: [Float] = []
                sample.reserveCapacity(sampleSize * dimension)
                var row = 0
                if fromCatalog > 0 {
                    try Catalog.forEachVector(txn, dimension: dimension) { (_, vector) throws(StoreError) in
                        if row == (sample.count / dimension) * count / fromCatalog { sample += vector }
                        row += 1
                        return sample.count < fromCatalog * dimension
                    }
                }
                if sampleSize > fromCatalog {
                    // The incoming matrices read as one sequence of `extra` rows.
                    let fromIncoming = sampleSize - fromCatalog
                    var (matrix, firstRow) = (0, 0)
                    for i in 0..<fromIncoming {
                        let row = i * extra / fromIncoming
                        while row >= firstRow + incoming[matrix].rows {
                            (firstRow, matrix) = (firstRow + incoming[matrix].rows, matrix + 1)
                        }
                        sample += try storable(incoming[matrix].row(row - firstRow), path: incoming[matrix].path)
                    }
                }
                try fresh.train(sample)
                layout.trainedOn = sampleSize
            }
            try Catalog.forEachVectorChunk(txn, dimension: dimension) { (ids, chunk) throws(StoreError) in
                try fresh.add(chunk, ids: ids.map { Int64(bitPattern: $0) })
            }
            if incoming.isEmpty {
                layout = try calibrated(fresh, layout: layout, choice: probes, txn: txn)
            } else if case .fixed(let count) = probes, layout.nprobe != nil {
                fresh.nprobe = count
                layout.nprobe = fresh.nprobe
            }
            return try Catalog.info(txn)?.sequence ?? 0
        }
        fresh.layout = layout
        indexLock.withExclusive {
            index = fresh
            indexSequence = sequence
        }
        if save { try saveIndex() }
    }

    /// Writes the index file (atomically), records its layout in the catalog and trims the change log it covers.
    /// Callers hold `writer` (or are the initialiser), so the index does not change underneath.
    func saveIndex() throws(StoreError) {
        let (current, sequence) = indexLock.withShared { (index, indexSequence) }
        try IndexFile.write(current, meta: .init(sequence: sequence, dimension: dimension, layout: current.layout,
                                                 count: current.count), to: indexPath)
        // The vector file's rows are on disk up to the same change before the log that could restore them is trimmed.
        try vectorFile?.sync(through: sequence)
        try catalog.environment.write { txn throws(StoreError) in
            if var info = try Catalog.info(txn), info.layout != current.layout {
                info.layout = current.layout
                try Catalog.setInfo(txn, info)
            }
            var obsolete: [Data] = []
            try txn.scan("changes") { key, _ in
                guard Catalog.id(key) <= sequence else { return false }
                obsolete.append(key)
                return true
            }
            for key in obsolete { try txn.delete("changes", key) }
        }
        unsavedChanges.store(0, ordering: .relaxed)
    }
}
