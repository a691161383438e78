import Foundation

/// What `Store.restore` did.
public struct RestoreReport: Sendable, Encodable, Equatable {
    public struct Restored: Sendable, Encodable, Equatable {
        public var path: String
        /// Where it was in the quarantine; nil for a key added over HTTP (brought back from the journal).
        public var from: String?
    }
    public var restored: [Restored] = []
    public var skipped: [QuarantineReport.Skipped] = []
}

extension Store {
    /// What the quarantine in `folder` holds now: for each original path or key, the journal line that put it
    /// there (the latest line about it is a `move` or a `forget`, or a `restore` that a crash stopped before the
    /// file moved: it is still in the quarantine and nothing is at its original path).
    public func quarantined(in folder: String) throws(StoreError) -> [QuarantineEntry] {
        try latestEntries(in: folder).compactMap { entry in
            guard entry.action == .restore else { return entry }
            guard let source = entry.quarantined, FileStatus(source) != nil, FileStatus(entry.original) == nil else { return nil }
            var unfinished = entry
            unfinished.action = .move
            return unfinished
        }
    }

    /// The latest journal line about each original path or key, in the order they first appear.
    func latestEntries(in folder: String) throws(StoreError) -> [QuarantineEntry] {
        let folder = URL(fileURLWithPath: folder).standardizedFileURL.path
        var latest: [String: QuarantineEntry] = [:]
        var order: [String] = []
        for entry in try QuarantineJournal(folder: folder).entries() {
            if latest[entry.original] == nil { order.append(entry.original) }
            latest[entry.original] = entry
        }
        return order.compactMap { latest[$0] }
    }
}

extension Store {
    /// Puts quarantined files back where they came from — all of them, or those whose original path (or key) is in
    /// `paths` — and into the store again, with the record and vector the journal kept (the bytes are checked to be
    /// the ones indexed, so the embedding is the one the model would compute again). Refuses to overwrite anything
    /// at an original path; a key added over HTTP comes back without its upload. Each restore is journalled before
    /// the file moves, so the journal tells what is in the quarantine at any time.
    public func restore(from folder: String, paths: [String]? = nil) throws(StoreError) -> RestoreReport {
        try requireWritable()
        let folder = URL(fileURLWithPath: folder).standardizedFileURL.path
        let journal = QuarantineJournal(folder: folder)
        try recoverQuarantine(folder)
        let wanted = paths.map { Set($0.map { $0.hasPrefix("/") ? URL(fileURLWithPath: $0).standardizedFileURL.path : $0 }) }
        var report = RestoreReport()
        var back: [NewImage] = []
        for entry in try quarantined(in: folder) where wanted?.contains(entry.original) ?? true {
            func skip(_ reason: String) { report.skipped.append(.init(path: entry.original, reason: reason)) }
            guard let record = entry.record, let vector = entry.vector, vector.count == dimension * 2 else {
                skip("the journal line has no stored vector for it")
                continue
            }
            let image = NewImage(
                path: record.path, fileSize: record.fileSize, modified: record.modified, contentHash: record.contentHash,
                width: record.width, height: record.height, added: record.added,
                vector: vector.withUnsafeBytes { Catalog.decode($0) })
            var restoring = entry
            restoring.action = .restore
            restoring.time = Date().timeIntervalSince1970
            if entry.action == .forget {
                if try self.record(path: entry.original) != nil { skip("the key is in the store again: not replaced"); continue }
                try add([image])
                try journal.append(restoring)
                report.restored.append(.init(path: entry.original, from: nil))
                continue
            }
            guard let source = entry.quarantined, FileStatus(source) != nil else { skip("no longer in the quarantine"); continue }
            var info = stat()
            if lstat(entry.original, &info) == 0 { skip("something is at \(entry.original) already: not overwritten"); continue }
            try journal.append(restoring)
            var unsynced = Set<String>()
            defer { for folder in unsynced { try? FileMover.syncFolder(folder) } }
            switch try FileMover.move(source, to: entry.original, sha256: entry.sha256, verifySource: true, unsynced: &unsynced) {
            case .moved:
                report.restored.append(.init(path: entry.original, from: source))
                back.append(image)
            case .destinationExists:
                skip("something appeared at \(entry.original) meanwhile: not overwritten")
            case .sourceChanged(let reason):
                skip("the quarantined copy changed: \(reason)")
            }
        }
        // Files an earlier restore put back but was stopped before storing: stored now.
        let restoredNow = Set(back.map(\.path))
        for entry in try latestEntries(in: folder) where entry.action == .restore && entry.quarantined != nil {
            guard wanted?.contains(entry.original) ?? true, !restoredNow.contains(entry.original),
                  let record = entry.record, let vector = entry.vector, vector.count == dimension * 2,
                  let status = FileStatus(entry.original), status.size == record.fileSize,
                  status.modified == record.modified, try self.record(path: entry.original) == nil
            else { continue }
            back.append(NewImage(
                path: record.path, fileSize: record.fileSize, modified: record.modified, contentHash: record.contentHash,
                width: record.width, height: record.height, added: record.added,
                vector: vector.withUnsafeBytes { Catalog.decode($0) }))
        }
        if !back.isEmpty { try add(back) }
        return report
    }
}
