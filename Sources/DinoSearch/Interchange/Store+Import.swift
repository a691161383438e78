import Foundation

/// What `Store.import(from:)` did. Counts are images.
public struct ImportSummary: Codable, Sendable, Equatable {
    /// Paths that were not in the store.
    public var added = 0
    /// Paths that were, with another vector or other metadata: replaced.
    public var updated = 0
    /// Paths already stored exactly so (an import run twice, or resumed).
    public var unchanged = 0

    public init(added: Int = 0, updated: Int = 0, unchanged: Int = 0) {
        (self.added, self.updated, self.unchanged) = (added, updated, unchanged)
    }
}

extension Store {
    /// Adds the images of an interchange folder (`Interchange`; written by `export` or `dinosearch embed --out`).
    /// The same as `import(from: [directory])`.
    public func `import`(
        from directory: String, batchSize: Int = 1000, progress: ((Int, Int) -> Void)? = nil
    ) throws(StoreError) -> ImportSummary {
        try self.import(from: [directory], batchSize: batchSize, progress: progress)
    }

    /// Adds the images of several interchange folders — the shards of a distributed embedding job, say — as one
    /// import.
    ///
    /// Every folder is checked whole first — `store.json` against this store's model and dimension, every line of
    /// `records.jsonl`, every row of `vectors.npy` (finite, not zero) and their counts — and nothing is written if
    /// anything is wrong in any of them: the error names the file and line. The same pass counts the paths not yet
    /// stored. A store the import takes past its index layout gets the recommended one first, trained once on a
    /// sample drawn evenly across the catalog and all the folders, its probe count measured once the rows are in.
    /// Then the rows are streamed in, folder by folder, in batches of `batchSize`, one transaction each (rows are read from disk as needed: memory does not grow with
    /// the folders' size): a path already stored is replaced, or left alone when nothing about it changed, so an
    /// import is idempotent and one killed halfway finishes when run again.
    /// - Parameter progress: called with (done, total) after each batch, counting rows of all folders.
    public func `import`(
        from directories: [String], batchSize: Int = 1000, progress: ((Int, Int) -> Void)? = nil
    ) throws(StoreError) -> ImportSummary {
        try requireWritable()
        var sources: [ImportSource] = []
        var newPaths = 0
        for directory in directories {
            let (source, new) = try checkedSource(directory)
            sources.append(source)
            newPaths += new
        }

        // A store this import takes past its layout is re-laid first, trained across the catalog and the folders:
        // the rows then go straight into the final index instead of growing an exact one of everything.
        let (current, planned) = (indexLock.withShared { index.layout }, count + newPaths)
        let relaid = current.rebuildAdvised(count: planned, dimension: dimension)
        if relaid {
            try writer.withLock { (_) throws(StoreError) in
                try rebuildIndex(layout: .recommended(for: planned, dimension: dimension), save: true,
                                 incoming: sources.map(\.matrix))
            }
        }

        var summary = ImportSummary()
        let total = sources.reduce(0) { $0 + $1.matrix.rows }
        var batch: [NewImage] = []
        func commitBatch() throws(StoreError) {
            for outcome in try commit(batch, keepingUnchanged: true) {
                switch outcome {
                case .added: summary.added += 1
                case .replaced: summary.updated += 1
                case .unchanged: summary.unchanged += 1
                }
            }
            batch.removeAll(keepingCapacity: true)
            progress?(summary.added + summary.updated + summary.unchanged, total)
        }
        for source in sources {
            var reading = SequentialRows(source.matrix)
            try source.records.forEach { (line, record) throws(StoreError) in
                batch.append(NewImage(
                    path: record.path, fileSize: record.size ?? 0, modified: record.modified ?? 0,
                    contentHash: record.hash ?? "", width: record.width ?? 0, height: record.height ?? 0,
                    added: record.added, vector: try reading.row(line - 1)))
                if batch.count >= batchSize { try commitBatch() }
            }
        }
        if !batch.isEmpty { try commitBatch() }
        try flush()
        // The new index was laid out before its rows were in: its probe count is measured now that they are.
        if relaid { try recalibrate(.standard) }
        return summary
    }

    /// One folder of an import, opened and checked whole.
    private struct ImportSource {
        let matrix: NumpyMatrix
        let records: RecordLines
    }

    /// Opens `directory` and checks all of it against this store; returns it with the number of its paths the store
    /// does not hold yet.
    private func checkedSource(_ directory: String) throws(StoreError) -> (ImportSource, newPaths: Int) {
        let manifest = try Interchange.manifest(in: directory)
        guard manifest.model == model else {
            throw StoreError(.modelMismatch, path: directory,
                             "holds embeddings of model \(manifest.model); the store holds \(model) (use another --store)")
        }
        guard manifest.dimension == dimension else {
            throw StoreError(.dimensionMismatch, path: directory,
                             "holds \(manifest.dimension)-dimensional vectors; the store holds \(dimension)")
        }
        let vectorsPath = (directory as NSString).appendingPathComponent(Interchange.vectorsFile)
        let matrix = try NumpyMatrix(contentsOf: vectorsPath)
        guard matrix.rows == manifest.count, matrix.columns == manifest.dimension else {
            throw StoreError(.malformed, path: vectorsPath,
                             "is \(matrix.rows)×\(matrix.columns); store.json announces \(manifest.count)×\(manifest.dimension)")
        }
        let records = try RecordLines(directory: directory)
        var lines = 0, newPaths = 0
        var checking = SequentialRows(matrix)
        try catalog.environment.read { txn throws(StoreError) in
            try records.forEach { (line, record) throws(StoreError) in
                lines = line
                guard line <= matrix.rows else { return }
                let place = "\(vectorsPath) row \(line - 1) (records.jsonl line \(line), \(record.path))"
                _ = try storable(checking.row(line - 1), path: place)
                if try txn.get("paths", Catalog.pathKey(record.path)) == nil { newPaths += 1 }
            }
        }
        guard lines == matrix.rows else {
            throw StoreError(.malformed, path: records.path, "has \(lines) lines; vectors.npy has \(matrix.rows) rows")
        }
        return (ImportSource(matrix: matrix, records: records), newPaths)
    }
}

/// `records.jsonl`, read a megabyte at a time and decoded one line at a time.
struct RecordLines {
    let path: String
    private let file: ReadOnlyFile

    init(directory: String) throws(StoreError) {
        path = (directory as NSString).appendingPathComponent(Interchange.recordsFile)
        file = try ReadOnlyFile(path)
    }

    /// Calls `body` with each line's number (from 1) and record; a line that is not a record with a path throws
    /// an error naming it. A final newline ends the last line rather than starting an empty one.
    func forEach(_ body: (Int, Interchange.Record) throws(StoreError) -> Void) throws(StoreError) {
        let decoder = JSONDecoder()
        var line = 0
        func decode(_ bytes: ArraySlice<UInt8>) throws(StoreError) {
            line += 1
            let record: Interchange.Record
            do {
                record = try decoder.decode(Interchange.Record.self, from: Data(bytes))
            } catch {
                throw StoreError(.malformed, path: path, "line \(line): \(Interchange.reason(error))")
            }
            guard !record.path.isEmpty else { throw StoreError(.malformed, path: path, "line \(line): \"path\" is empty") }
            try body(line, record)
        }
        var pending: [UInt8] = []  // the start of a line whose end is not read yet
        var offset = 0
        while true {
            let chunk = try file.read(at: offset, count: 1 << 20)
            guard !chunk.isEmpty else { break }
            offset += chunk.count
            pending += chunk
            var start = 0
            while let newline = pending[start...].firstIndex(of: 0x0A) {
                try decode(pending[start..<newline])
                start = newline + 1
            }
            pending.removeFirst(start)
        }
        if !pending.isEmpty { try decode(pending[...]) }
    }
}
