import Foundation

/// What `SearchEngine.restore` did.
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

extension SearchEngine {
    /// Puts quarantined files back where they came from — all of them, or those whose original path (or key) is in
    /// `paths` — and indexes them again. Refuses to overwrite anything at the original path; checks each file's
    /// SHA-256 against the journal; a key added over HTTP comes back with its journalled record and vector. Each
    /// restore is journalled (before the file moves), so the journal tells what is in the quarantine at any time.
    public func restore(from folder: String, paths: [String]? = nil) async throws -> RestoreReport {
        let folder = URL(fileURLWithPath: folder).standardizedFileURL.path
        let journal = QuarantineJournal(folder: folder)
        try store.recoverQuarantine(folder)
        let wanted = paths.map { Set($0.map { $0.hasPrefix("/") ? URL(fileURLWithPath: $0).standardizedFileURL.path : $0 }) }
        var report = RestoreReport()
        var files: [String] = []
        let held = try store.quarantined(in: folder)
        for entry in held where wanted?.contains(entry.original) ?? true {
            func skip(_ reason: String) { report.skipped.append(.init(path: entry.original, reason: reason)) }
            var back = entry
            back.action = .restore
            back.time = Date().timeIntervalSince1970
            if entry.action == .forget {
                guard let record = entry.record, let vector = entry.vector else { skip("the journal has no vector for it"); continue }
                if try store.record(path: entry.original) != nil { skip("the key is in the store again: not replaced"); continue }
                try store.add([NewImage(
                    path: record.path, fileSize: record.fileSize, modified: record.modified, contentHash: record.contentHash,
                    width: record.width, height: record.height, added: record.added, vector: vector)])
                try journal.append(back)
                report.restored.append(.init(path: entry.original, from: nil))
                continue
            }
            guard let source = entry.quarantined, FileStatus(source) != nil else {
                skip("no longer in the quarantine")
                continue
            }
            var info = stat()
            if lstat(entry.original, &info) == 0 { skip("something is at \(entry.original) already: not overwritten"); continue }
            try journal.append(back)
            switch try FileMover.move(source, to: entry.original, sha256: entry.sha256, verifySource: true) {
            case .moved:
                report.restored.append(.init(path: entry.original, from: source))
                files.append(entry.original)
            case .destinationExists:
                skip("something appeared at \(entry.original) meanwhile: not overwritten")
            case .sourceChanged(let reason):
                skip("the quarantined copy changed: \(reason)")
            }
        }
        // Files an earlier restore put back but could not index (it was stopped): indexed now.
        for entry in try store.latestEntries(in: folder) where entry.action == .restore && entry.quarantined != nil {
            if wanted?.contains(entry.original) ?? true, !files.contains(entry.original),
               FileStatus(entry.original) != nil, try store.record(path: entry.original) == nil {
                files.append(entry.original)
            }
        }
        if !files.isEmpty {
            let summary = try await offload { [self, files] in try index(files) }
            for failure in summary.failed {
                report.skipped.append(.init(path: failure.path, reason: "restored, but not indexed again: \(failure.reason)"))
            }
        }
        return report
    }
}
