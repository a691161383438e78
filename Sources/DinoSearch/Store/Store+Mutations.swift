import Foundation

extension Store {
    /// Adds a batch of images in one transaction and returns their new ids, in order.
    /// An image whose path is already in the store replaces the old entry (which gets removed).
    /// - Throws: `.dimensionMismatch` or `.invalidVector` (naming the path) before anything is written;
    ///   `.io` if the disk refuses, in which case nothing of the batch is stored.
    @discardableResult
    public func add(_ images: [NewImage]) throws(StoreError) -> [UInt64] {
        try commit(images, keepingUnchanged: false).map(\.id)
    }

    /// What `commit` did with one image.
    enum Outcome: Equatable {
        case added(UInt64), replaced(UInt64), unchanged(UInt64)
        var id: UInt64 {
            switch self { case .added(let id), .replaced(let id), .unchanged(let id): id }
        }
        var isUnchanged: Bool { self == .unchanged(id) }
    }

    /// Stores a batch in one transaction. With `keepingUnchanged`, an image whose path is stored with the same
    /// metadata and the same stored vector is left as it is (what makes `import` idempotent); otherwise every
    /// image gets a new id, replacing any entry at its path.
    func commit(_ images: [NewImage], keepingUnchanged: Bool) throws(StoreError) -> [Outcome] {
        try requireWritable()
        var vectors: [Data] = []
        for image in images { vectors.append(Catalog.encode(try storable(image.vector, path: image.path))) }
        return try writer.withLock { (_) throws(StoreError) -> [Outcome] in
            let now = Date().timeIntervalSince1970
            let (outcomes, replaced, sequence) = try catalog.environment.write { txn throws(StoreError) in
                guard var info = try Catalog.info(txn) else { throw StoreError(.corrupt, path: directory, "store metadata vanished") }
                var outcomes: [Outcome] = [], replaced: [UInt64] = []
                for (image, vector) in zip(images, vectors) {
                    var old: UInt64?
                    if let stored = try txn.get("paths", Catalog.pathKey(image.path)) { old = Catalog.id(stored) }
                    if keepingUnchanged, let old, let record = try Catalog.record(txn, id: old),
                       record.matches(image), try txn.get("vectors", Catalog.key(old)) == vector {
                        outcomes.append(.unchanged(old))
                        continue
                    }
                    if let old, try Catalog.delete(txn, id: old) { replaced.append(old) }
                    let id = info.nextID
                    info.nextID += 1
                    let record = ImageRecord(
                        id: id, path: image.path, fileSize: image.fileSize, modified: image.modified,
                        contentHash: image.contentHash, width: image.width, height: image.height, added: image.added ?? now)
                    try txn.put("images", Catalog.key(id), try! JSONEncoder().encode(record))
                    try txn.put("paths", Catalog.pathKey(image.path), Catalog.key(id))
                    try txn.put("hashes", Catalog.hashKey(image.contentHash, id), Data())
                    try txn.put("vectors", Catalog.key(id), vector)
                    outcomes.append(old == nil ? .added(id) : .replaced(id))
                }
                let written = outcomes.filter { !$0.isUnchanged }.map(\.id)
                // The new ids are consecutive: their rows go into the vector file before the catalog commits them.
                if let first = written.first {
                    try vectorFile?.write(first: first, zip(outcomes, vectors).filter { !$0.0.isUnchanged }.map(\.1))
                }
                try Catalog.log(txn, replaced + written, info: &info)
                try Catalog.setInfo(txn, info)
                return (outcomes, replaced, info.sequence)
            }
            // A path given twice in one batch replaces an id of this very batch: only survivors enter the index.
            let gone = Set(replaced)
            var ids: [Int64] = [], added: [Float] = []
            for (outcome, vector) in zip(outcomes, vectors) where !outcome.isUnchanged && !gone.contains(outcome.id) {
                ids.append(Int64(bitPattern: outcome.id))
                added += vector.withUnsafeBytes { Catalog.decode($0) }
            }
            try indexLock.withExclusive { () throws(StoreError) in
                try index.remove(replaced.map { Int64(bitPattern: $0) })
                try index.add(added, ids: ids)
                indexSequence = sequence
            }
            try noteChanges(ids.count + replaced.count)
            return outcomes
        }
    }

    /// Removes images by id; returns how many were in the store. Removed ids never appear in results again.
    @discardableResult
    public func remove(ids: [UInt64]) throws(StoreError) -> Int {
        try requireWritable()
        return try writer.withLock { (_) throws(StoreError) -> Int in
            let (removed, sequence) = try catalog.environment.write { txn throws(StoreError) in
                guard var info = try Catalog.info(txn) else { throw StoreError(.corrupt, path: directory, "store metadata vanished") }
                var removed: [UInt64] = []
                for id in Set(ids) where try Catalog.delete(txn, id: id) { removed.append(id) }
                try Catalog.log(txn, removed, info: &info)
                try Catalog.setInfo(txn, info)
                return (removed, info.sequence)
            }
            try indexLock.withExclusive { () throws(StoreError) in
                try index.remove(removed.map { Int64(bitPattern: $0) })
                indexSequence = sequence
            }
            try noteChanges(removed.count)
            return removed.count
        }
    }

    /// Points an image at a new path (a file moved or renamed with the same bytes): no vector changes.
    public func move(id: UInt64, to path: String) throws(StoreError) {
        try updateRecord(id: id) { (txn, record) throws(StoreError) in
            try Catalog.unlinkPath(txn, record.path, from: id)
            record.path = path
            try txn.put("paths", Catalog.pathKey(path), Catalog.key(id))
        }
    }

    /// Records a new size and modification time for an image whose bytes did not change (a file touched or
    /// rewritten identically): no vector changes.
    public func touch(id: UInt64, fileSize: Int64, modified: Double) throws(StoreError) {
        try updateRecord(id: id) { (_, record) throws(StoreError) in
            record.fileSize = fileSize
            record.modified = modified
        }
    }

    /// Rewrites one image's record in a write transaction (`change` may also touch the lookup tables); the
    /// vector and the index stay as they are.
    private func updateRecord(
        id: UInt64, _ change: (LMDBEnvironment.Transaction, inout ImageRecord) throws(StoreError) -> Void
    ) throws(StoreError) {
        try requireWritable()
        try writer.withLock { (_) throws(StoreError) in
            try catalog.environment.write { txn throws(StoreError) in
                guard var record = try Catalog.record(txn, id: id) else {
                    throw StoreError(.notFound, path: directory, "no image with id \(id)")
                }
                try change(txn, &record)
                try txn.put("images", Catalog.key(id), try! JSONEncoder().encode(record))
            }
        }
    }

    /// Rebuilds the index from the catalog with `layout` (default: the recommended layout for the store's size),
    /// retraining IVF codebooks on a fresh sample, and choosing an IVF index's probe count as `probes` says:
    /// by default the fewest lists that reach recall@10 ≥ 0.95 on queries drawn from the store — a thousand of its
    /// vectors and as many blends of three (`IndexLayout.calibration` records what was measured).
    public func rebuild(layout: IndexLayout? = nil, probes: ProbeChoice = .standard) throws(StoreError) {
        try requireWritable()
        if case .measured(let recall) = probes, !(recall > 0 && recall <= 1) {
            throw StoreError(.invalidArgument, path: directory, "a recall target must be above 0 and at most 1, not \(recall)")
        }
        if case .fixed(let count) = probes, count < 1 {
            throw StoreError(.invalidArgument, path: directory, "nprobe must be at least 1, not \(count)")
        }
        try writer.withLock { (_) throws(StoreError) in
            try rebuildIndex(layout: layout ?? .recommended(for: count, dimension: dimension), save: true, probes: probes)
        }
    }

    /// Saves the index file if changes are not yet in it (also done every `saveEvery` changes and on deinit).
    public func flush() throws(StoreError) {
        guard mode == .readWrite else { return }
        try writer.withLock { (_) throws(StoreError) in
            if unsavedChanges.load(ordering: .relaxed) > 0 { try saveIndex() }
        }
    }

    private func noteChanges(_ n: Int) throws(StoreError) {
        let total = unsavedChanges.add(n, ordering: .relaxed).newValue
        if total >= Self.saveEvery { try saveIndex() }
    }

    func requireWritable() throws(StoreError) {
        guard mode == .readWrite else { throw StoreError(.io, path: directory, "store is open read-only") }
    }

    /// The vector as it is stored and indexed: checked, L2-normalised and rounded through float16, so the index,
    /// the catalog and every rebuild hold exactly the same numbers.
    func storable(_ vector: [Float], path: String) throws(StoreError) -> [Float] {
        let unit = try normalised(vector, what: path)
        // A vector already in stored form (float16 values, unit length to float16 precision, e.g. exported from a
        // store) is kept bit for bit: normalising it again could move a value by one float16 step.
        let norm = vector.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
        if abs(norm - 1) <= 1e-3, vector.allSatisfy({ Float(Float16($0)) == $0 }) { return vector }
        return unit.map { Float(Float16($0)) }
    }

    func normalised(_ vector: [Float], what: String) throws(StoreError) -> [Float] {
        guard vector.count == dimension else {
            throw StoreError(.dimensionMismatch, path: what, "vector has \(vector.count) dimensions; the store holds \(dimension)")
        }
        guard vector.allSatisfy(\.isFinite) else { throw StoreError(.invalidVector, path: what, "vector holds NaN or infinity") }
        let norm = vector.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
        guard norm > 0, norm.isFinite else { throw StoreError(.invalidVector, path: what, "vector is all zeros") }
        return vector.map { $0 / norm }
    }
}
