import Foundation

/// An image to put in quarantine: its path (or HTTP key) and the image of its group that stays.
public struct QuarantineRequest: Sendable, Hashable {
    public var path: String
    public var kept: String?
    public init(path: String, kept: String? = nil) {
        self.path = path
        self.kept = kept
    }
}

/// What `Store.quarantine` did: every request is in exactly one of the two lists.
public struct QuarantineReport: Sendable, Encodable, Equatable {
    public struct Moved: Sendable, Encodable, Equatable {
        public var path: String
        /// Where it went; nil for a key added over HTTP, which is only forgotten (its record and vector journalled).
        public var to: String?
        public var kept: String?
        public init(path: String, to: String?, kept: String?) { (self.path, self.to, self.kept) = (path, to, kept) }
    }
    public struct Skipped: Sendable, Encodable, Equatable {
        public var path: String
        public var reason: String
        public init(path: String, reason: String) { (self.path, self.reason) = (path, reason) }
    }
    public var moved: [Moved] = []
    public var skipped: [Skipped] = []
}

extension Store {
    /// Where quarantined files go unless told otherwise: `<store>/quarantine`.
    public var defaultQuarantineFolder: String { (directory as NSString).appendingPathComponent("quarantine") }

    /// Moves each requested file into the quarantine `folder`, keeping its path below the folder it was indexed
    /// from (`<folder>/<indexed folder's name>/<path below it>`), and forgets it in the store. Never deletes a
    /// photo: a file under a `protecting` folder, one that changed since it was indexed (size, time or SHA-256),
    /// a symbolic link, or one outside the indexed folders is not moved but reported in `skipped` with the reason.
    /// Images added over HTTP (keys with no file) are forgotten. Each journal line keeps the image's record and
    /// stored vector, so `restore` brings it back as it was.
    ///
    /// Crash-safe: the journal line is synced before each file moves, and a move never leaves the file nowhere
    /// (`FileMover`); whatever a crash interrupted is finished by `recoverQuarantine` (called here first).
    /// - Parameter dryRun: report the plan, move and forget nothing.
    public func quarantine(
        _ requests: [QuarantineRequest], into folder: String, protecting: [String] = [], dryRun: Bool = false
    ) throws(StoreError) -> QuarantineReport {
        if !dryRun { try requireWritable() }
        let folder = URL(fileURLWithPath: folder).standardizedFileURL.path
        let journal = QuarantineJournal(folder: folder)
        if !dryRun {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw StoreError(.io, path: folder, "the quarantine folder cannot be created")
            }
            try recoverQuarantine(folder)
        }
        let protected = protecting.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        let roots = try indexedFolders()
        var report = QuarantineReport()
        var planned = Set<String>()
        var pending: [(record: ImageRecord, destination: String, kept: String?)] = []
        for request in requests {
            func skip(_ reason: String) { report.skipped.append(.init(path: request.path, reason: reason)) }
            guard let record = try record(path: request.path) else { skip("not in the store"); continue }
            if protected.contains(where: { Self.isInside(record.path, $0) }) { skip("in a kept folder (--keep-in)"); continue }
            let problem: IndexedFileProblem?
            switch try indexedFile(of: record) {
            case .success: problem = nil
            case .failure(let found): problem = found
            }
            if problem == .notAFile {
                if record.path.hasPrefix("/") && FileManager.default.fileExists(atPath: record.path) {
                    skip("the store does not know which folders were indexed: run `dinosearch index` on them again")
                    continue
                }
                if !dryRun { try forget(record, kept: request.kept, journal: journal, folder: folder) }
                report.moved.append(.init(path: record.path, to: nil, kept: request.kept))
                continue
            }
            if let problem { skip(problem.description); continue }
            var info = stat()
            guard lstat(record.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
                skip("a symbolic link: only the file itself is ever moved")
                continue
            }
            guard let root = roots.filter({ Self.isInside(record.path, $0) }).max(by: { $0.count < $1.count }) else {
                skip(IndexedFileProblem.outsideIndexedFolders.description)
                continue
            }
            let destination = Self.freeName(
                folder + "/" + (root as NSString).lastPathComponent + "/" + record.path.dropFirst(root.count + 1),
                taken: planned)
            planned.insert(destination)
            pending.append((record, destination, request.kept))
        }
        if dryRun {
            report.moved += pending.map { .init(path: $0.record.path, to: $0.destination, kept: $0.kept) }
            return report
        }
        // In batches: the batch's journal lines synced once, then its moves, then the folders the renames touched
        // synced, then one store transaction forgetting what moved. A crash anywhere leaves each file in place or
        // moved with its line; `recoverQuarantine` forgets in the store what moved before the transaction.
        for start in stride(from: 0, to: pending.count, by: Self.quarantineBatch) {
            let batch = pending[start..<min(start + Self.quarantineBatch, pending.count)]
            try journal.append(try batch.map { item throws(StoreError) in
                QuarantineEntry(
                    action: .move, original: item.record.path, quarantined: item.destination,
                    sha256: item.record.contentHash, size: item.record.fileSize, modified: item.record.modified,
                    time: Date().timeIntervalSince1970, kept: item.kept, record: item.record,
                    vector: try storedVector(item.record.id))
            })
            var unsynced = Set<String>()
            var moved: [UInt64] = []
            for item in batch {
                func skip(_ reason: String) { report.skipped.append(.init(path: item.record.path, reason: reason)) }
                switch try FileMover.move(
                    item.record.path, to: item.destination, sha256: item.record.contentHash, verifySource: true,
                    unsynced: &unsynced)
                {
                case .moved:
                    moved.append(item.record.id)
                    report.moved.append(.init(path: item.record.path, to: item.destination, kept: item.kept))
                case .destinationExists:
                    skip("something appeared at \(item.destination) meanwhile: not moved")
                case .sourceChanged(let reason):
                    skip(reason)
                }
            }
            for folder in unsynced { try FileMover.syncFolder(folder) }
            _ = try remove(ids: moved)
        }
        return report
    }

    /// Files moved per journal sync and store transaction.
    static let quarantineBatch = 256

    /// Forgets an image added over HTTP: journalled with its record and vector first, then removed.
    private func forget(_ record: ImageRecord, kept: String?, journal: QuarantineJournal, folder: String) throws(StoreError) {
        try journal.append(QuarantineEntry(
            action: .forget, original: record.path, quarantined: nil, sha256: record.contentHash, size: record.fileSize,
            modified: record.modified, time: Date().timeIntervalSince1970, kept: kept, record: record,
            vector: try storedVector(record.id)))
        _ = try remove(ids: [record.id])
    }

    /// An image's vector exactly as the catalog stores it (float16 bytes).
    func storedVector(_ id: UInt64) throws(StoreError) -> Data? {
        try catalog.environment.read { txn throws(StoreError) in try txn.get("vectors", Catalog.key(id)) }
    }

    /// Finishes what a crash interrupted in `folder`: half-made copies are removed; a file found both in place and
    /// in the quarantine (the move's last step did not run) is removed from its place only when the quarantine holds
    /// the same file (the same inode, or on another file system the same SHA-256); a file in the quarantine whose
    /// record the store still holds is forgotten; the same for a key whose `forget` line was written.
    public func recoverQuarantine(_ folder: String) throws(StoreError) {
        let folder = URL(fileURLWithPath: folder).standardizedFileURL.path
        if let walker = FileManager.default.enumerator(atPath: folder) {
            for case let name as String in walker where (name as NSString).lastPathComponent.contains(".partial-") {
                unlink(folder + "/" + name)
            }
        }
        var latest: [String: QuarantineEntry] = [:]
        for entry in try QuarantineJournal(folder: folder).entries() { latest[entry.original] = entry }
        for entry in latest.values {
            switch entry.action {
            case .move:
                guard let destination = entry.quarantined, FileStatus(destination) != nil else { continue }
                if let original = FileStatus(entry.original), original.isRegular {
                    guard Self.sameFile(entry.original, destination)
                            || (!Self.sameDevice(entry.original, destination)
                                && (try? FileMover.hash(of: destination)) == entry.sha256)
                    else { continue }
                    guard unlink(entry.original) == 0 else { throw FileMover.error(entry.original, "cannot be removed") }
                    try FileMover.syncFolder((entry.original as NSString).deletingLastPathComponent)
                }
                if let record = try record(path: entry.original), record.contentHash == entry.sha256 {
                    _ = try remove(ids: [record.id])
                }
            case .forget:
                if let record = try record(path: entry.original), record.contentHash == entry.sha256 {
                    _ = try remove(ids: [record.id])
                }
            case .restore:
                // Moved back but not yet out of the quarantine (the last step of the move): drop the quarantine's name.
                if let destination = entry.quarantined, FileStatus(destination) != nil, FileStatus(entry.original) != nil,
                   Self.sameFile(entry.original, destination) {
                    unlink(destination)
                }
            }
        }
    }

    static func isInside(_ path: String, _ folder: String) -> Bool {
        path == folder || path.hasPrefix(folder == "/" ? "/" : folder + "/")
    }

    /// `path`, or `name (2).ext`, `name (3).ext`… — the first that neither exists nor is planned.
    static func freeName(_ path: String, taken: Set<String>) -> String {
        var candidate = path, n = 1
        let stem = (path as NSString).deletingPathExtension, ext = (path as NSString).pathExtension
        while taken.contains(candidate) || FileManager.default.fileExists(atPath: candidate) {
            n += 1
            candidate = "\(stem) (\(n))" + (ext.isEmpty ? "" : ".\(ext)")
        }
        return candidate
    }

    static func sameFile(_ a: String, _ b: String) -> Bool {
        var x = stat(), y = stat()
        return lstat(a, &x) == 0 && lstat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino
    }

    static func sameDevice(_ a: String, _ b: String) -> Bool {
        var x = stat(), y = stat()
        return lstat(a, &x) == 0 && lstat(b, &y) == 0 && x.st_dev == y.st_dev
    }
}
