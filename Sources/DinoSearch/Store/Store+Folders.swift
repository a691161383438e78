import Foundation

extension Store {
    /// The folders (and single files) `index` has been given, absolute and standardised, in the order first seen.
    /// Files are read back for a person (thumbnails, originals, patch maps) only from inside these: a key added over
    /// HTTP may look like any path, and a symbolic link inside a folder may point anywhere.
    public func indexedFolders() throws(StoreError) -> [String] {
        try catalog.environment.read { txn throws(StoreError) in try Self.folders(txn) }
    }

    /// Adds folders to `indexedFolders()` (those already there, or inside one there, are not added again).
    public func recordIndexedFolders(_ paths: [String]) throws(StoreError) {
        try requireWritable()
        let standardised = paths.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        try writer.withLock { (_) throws(StoreError) in
            try catalog.environment.write { txn throws(StoreError) in
                var folders = try Self.folders(txn)
                // A file or folder inside one already recorded adds nothing (a restored file is indexed on its own).
                let added = standardised.filter { path in !folders.contains { Store.isInside(path, $0) } }
                guard !added.isEmpty else { return }
                folders += added
                try txn.put("info", Data("folders".utf8), try! JSONEncoder().encode(folders))
            }
        }
    }

    /// The file a record names, if it may be read back for a person: the catalog holds it, it lies inside an
    /// indexed folder once every symbolic link is resolved, and it is the file that was indexed (same size and
    /// modification time). Otherwise the reason, in words for the person.
    public func indexedFile(of record: ImageRecord) throws(StoreError) -> Result<String, IndexedFileProblem> {
        let folders = try indexedFolders()
        guard record.path.hasPrefix("/") else { return .failure(.notAFile) }
        guard let resolved = Self.resolved(record.path) else { return .failure(.gone) }
        let inside = folders.contains { folder in
            guard let root = Self.resolved(folder) else { return false }
            return Store.isInside(resolved, root)
        }
        guard inside else {
            let named = folders.contains { Store.isInside(record.path, $0) }
            return .failure(named ? .outsideIndexedFolders : .notAFile)
        }
        guard let status = FileStatus(resolved), status.isRegular else { return .failure(.gone) }
        guard status.size == record.fileSize, status.modified == record.modified else { return .failure(.changed) }
        return .success(resolved)
    }

    static func folders(_ txn: LMDBEnvironment.Transaction) throws(StoreError) -> [String] {
        guard let data = try txn.get("info", Data("folders".utf8)) else { return [] }
        guard let folders = try? JSONDecoder().decode([String].self, from: data) else {
            throw StoreError(.corrupt, path: txn.environment.path, "the list of indexed folders cannot be decoded")
        }
        return folders
    }

    /// `path` with every symbolic link resolved; nil if it does not exist.
    static func resolved(_ path: String) -> String? {
        guard let real = realpath(path, nil) else { return nil }
        defer { free(real) }
        return String(cString: real)
    }
}

/// Why a stored image's file cannot be read back (`Store.indexedFile(of:)`).
public enum IndexedFileProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// The key was added over HTTP (or the store was imported): no file of ours stands behind it.
    case notAFile
    /// The file is no longer there.
    case gone
    /// The file's size or modification time differs from what was indexed.
    case changed
    /// The path resolves (through a symbolic link) outside every indexed folder.
    case outsideIndexedFolders

    public var description: String {
        switch self {
        case .notAFile: "this image was not indexed from a file (added over HTTP or imported), or the store predates "
            + "the record of indexed folders (run `dinosearch index` on the folder again)"
        case .gone: "the file is no longer there"
        case .changed: "the file changed since it was indexed (`dinosearch index` the folder again)"
        case .outsideIndexedFolders: "the file lies outside the indexed folders once links are resolved"
        }
    }
}
