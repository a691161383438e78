import Crypto
import Foundation

/// Moves a photo without ever overwriting anything and without a moment when it exists nowhere: on one file system
/// one `renameat2(RENAME_NOREPLACE)`; across file systems a copy to a temporary name, synced and checked against
/// the expected SHA-256, then linked into place, and only then the original removed (a crash in between leaves two
/// copies, which recovery resolves). Folders are synced after each step.
enum FileMover {
    enum Outcome: Equatable { case moved, destinationExists, sourceChanged(String) }

    /// Moves `source` to `destination` (creating its folders), refusing to replace anything there.
    /// `sha256`: the bytes' expected hash, checked on a copy across file systems (and before moving at all when
    /// `verifySource`). After a rename, the two folders still to be synced are added to `unsynced` (the caller
    /// syncs a batch of them at once, before it relies on the move); the other ways sync as they go, since their
    /// order of steps must reach the disk in that order.
    static func move(
        _ source: String, to destination: String, sha256: String, verifySource: Bool, unsynced: inout Set<String>
    ) throws(StoreError) -> Outcome {
        let folder = (destination as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw Self.error(folder, "cannot be created")
        }
        if verifySource, let actual = try? hash(of: source), actual != sha256 {
            return .sourceChanged("its bytes changed since it was indexed")
        }
        // One atomic step on one file system: the file is at one name or the other, never both, never neither.
        if let rename = renameNoReplace {
            if rename(AT_FDCWD, source, AT_FDCWD, destination, 1 /* RENAME_NOREPLACE */) == 0 {
                unsynced.insert(folder)
                unsynced.insert((source as NSString).deletingLastPathComponent)
                return .moved
            }
            if errno == EEXIST { return .destinationExists }
            guard [EXDEV, EINVAL, ENOSYS].contains(errno) else {
                throw error(destination, "cannot be created (\(String(cString: strerror(errno))))")
            }
        }
        // A file system without that rename: a hard link, then the old name removed (a crash between leaves one file
        // under two names, which `Store.recoverQuarantine` resolves).
        if link(source, destination) == 0 {
            try syncFolder(folder)
            return try removeOriginal(source)
        }
        switch errno {
        case EEXIST: return .destinationExists
        case EXDEV, EPERM, EOPNOTSUPP, EMLINK: break  // another file system, or one without hard links: copy
        default: throw error(destination, "cannot be created (\(String(cString: strerror(errno))))")
        }
        let partial = folder + "/." + (destination as NSString).lastPathComponent + ".partial-\(getpid())"
        try copy(source, to: partial)
        guard (try? hash(of: partial)) == sha256 else {
            unlink(partial)
            return .sourceChanged("the copy's SHA-256 differs from the file's: not moved")
        }
        defer { unlink(partial) }
        guard link(partial, destination) == 0 else {
            if errno == EEXIST { return .destinationExists }
            throw error(destination, "cannot be created (\(String(cString: strerror(errno))))")
        }
        try syncFolder(folder)
        return try removeOriginal(source)
    }

    /// renameat2(2), looked up at run time: glibc declares it only under _GNU_SOURCE, which Swift's Glibc module
    /// leaves undefined. nil where the C library has none (then: link and unlink).
    private static let renameNoReplace:
        (@convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32)? = {
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "renameat2") else { return nil }  // RTLD_DEFAULT
            return unsafeBitCast(
                symbol, to: (@convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32).self)
        }()

    private static func removeOriginal(_ source: String) throws(StoreError) -> Outcome {
        guard unlink(source) == 0 else { throw error(source, "cannot be removed (\(String(cString: strerror(errno))))") }
        try syncFolder((source as NSString).deletingLastPathComponent)
        return .moved
    }

    /// Copies a file's bytes and modification time, then syncs the copy. The copy must not exist yet.
    static func copy(_ source: String, to destination: String) throws(StoreError) {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw error(source, "cannot be read") }
        defer { close(input) }
        let output = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw error(destination, "cannot be created (\(String(cString: strerror(errno))))") }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if count == 0 { break }
            guard count > 0 else { close(output); unlink(destination); throw error(source, "cannot be read") }
            let written = buffer.withUnsafeBytes { write(output, $0.baseAddress, count) }
            guard written == count else { close(output); unlink(destination); throw error(destination, "cannot be written (disk full?)") }
        }
        var info = stat()
        if fstat(input, &info) == 0 {
            var times = [info.st_atim, info.st_mtim]
            futimens(output, &times)
        }
        guard fsync(output) == 0, close(output) == 0 else { unlink(destination); throw error(destination, "cannot be written") }
    }

    /// SHA-256 of a file's bytes, hex, read a megabyte at a time.
    static func hash(of path: String) throws(StoreError) -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw error(path, "cannot be read") }
        defer { close(descriptor) }
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { break }
            guard count > 0 else { throw error(path, "cannot be read") }
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[..<count])) }
        }
        return hasher.finalize().hex
    }

    /// Makes a folder's entries durable (a rename, link or unlink in it).
    static func syncFolder(_ folder: String) throws(StoreError) {
        let descriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw error(folder, "cannot be opened") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw error(folder, "cannot be synced") }
    }

    static func error(_ path: String, _ message: String) -> StoreError {
        StoreError(.io, path: path, message)
    }
}
