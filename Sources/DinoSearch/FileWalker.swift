import DinoImage
import Foundation

/// Finds the image files under a set of paths: directories are walked recursively (symlinked ones followed,
/// each real directory visited once, so symlink loops end), hidden entries skipped unless asked for. A store's
/// own folder (its thumbnails) and a quarantine folder are never walked into: their pictures are not photos to
/// index, and a quarantined copy indexed again would undo the quarantine.
struct FileWalker {
    /// A file whose presence marks a folder as dinosearch's own (a store holds its catalog; a quarantine its marker).
    static let ownFolderMarkers = ["catalog.mdb", QuarantineJournal.marker]

    var includeHidden = false

    /// File extensions taken as images even when their bytes are not (those then fail with a clear reason).
    static let imageExtensions = Set([
        "jpg", "jpeg", "jpe", "jfif", "png", "webp", "heic", "heif", "avif", "gif", "bmp", "tif", "tiff", "jxl",
    ]).union(ImageFormat.rawExtensions)

    /// Absolute, normalised paths of the candidate files with the status the walk read, sorted by path;
    /// unreadable directories land in `failures`.
    func files(under roots: [String], failures: inout [IndexFailure]) -> [(path: String, status: FileStatus)] {
        var found: [String: FileStatus] = [:]
        var visited = Set<[UInt64]>()
        for root in roots {
            let path = URL(fileURLWithPath: root).standardizedFileURL.path
            var info = stat()
            guard stat(path, &info) == 0 else { continue }  // the caller checks roots exist
            if (info.st_mode & S_IFMT) == S_IFDIR {
                walk(path, &found, &visited, &failures)
            } else if (info.st_mode & S_IFMT) == S_IFREG {
                found[path] = FileStatus(info)  // named explicitly: taken even if hidden or not sniffed as an image
            }
        }
        return found.sorted { $0.key < $1.key }.map { (path: $0.key, status: $0.value) }
    }

    private func walk(
        _ directory: String, _ found: inout [String: FileStatus], _ visited: inout Set<[UInt64]>,
        _ failures: inout [IndexFailure]
    ) {
        var info = stat()
        guard stat(directory, &info) == 0 else { return }
        guard visited.insert([UInt64(info.st_dev), UInt64(info.st_ino)]).inserted else { return }  // a loop
        guard let handle = opendir(directory) else {
            failures.append(IndexFailure(path: directory, reason: "cannot list directory: \(String(cString: strerror(errno)))"))
            return
        }
        var names: [String] = []
        var own = false
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            if Self.ownFolderMarkers.contains(name) { own = true }
            if name == "." || name == ".." || (!includeHidden && name.hasPrefix(".")) { continue }
            names.append(name)
        }
        closedir(handle)
        if own { return }
        for name in names.sorted() {
            let path = directory == "/" ? "/" + name : directory + "/" + name
            var entry = stat()
            guard stat(path, &entry) == 0 else { continue }  // a dangling symlink
            switch entry.st_mode & S_IFMT {
            case S_IFDIR: walk(path, &found, &visited, &failures)
            case S_IFREG where Self.isCandidate(path, size: Int(entry.st_size)): found[path] = FileStatus(entry)
            default: break
            }
        }
    }

    /// An image extension, or image bytes under any name.
    static func isCandidate(_ path: String, size: Int) -> Bool {
        let ext = (path as NSString).pathExtension.lowercased()
        if imageExtensions.contains(ext) { return true }
        guard size >= 12 else { return false }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: 16)
        let n = head.withUnsafeMutableBytes { read(fd, $0.baseAddress, 16) }
        guard n > 0 else { return false }
        return head.withUnsafeBytes { ImageFormat(sniffing: UnsafeRawBufferPointer(rebasing: $0.prefix(n))) } != nil
    }
}
