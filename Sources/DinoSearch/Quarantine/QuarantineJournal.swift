import Foundation

/// One line of a quarantine folder's journal (`journal.jsonl`). A `move` line is written and synced *before* the
/// file moves, a `restore` line before it moves back, so after a crash at any instant each file is in place or in
/// the quarantine with a line that says where it came from; `Store.recoverQuarantine` finishes what was begun.
public struct QuarantineEntry: Codable, Sendable, Equatable {
    public enum Action: String, Codable, Sendable {
        /// A file is moved into the quarantine (`quarantined`) and forgotten by the store.
        case move
        /// An image added over HTTP (no file) is forgotten by the store; its record and vector are in this line.
        case forget
        /// A quarantined file goes back to `original` (or a forgotten key back into the store).
        case restore
    }

    public var action: Action
    /// Where the file was (or the key it had).
    public var original: String
    /// Where it is in the quarantine folder (nil for a forgotten key).
    public var quarantined: String?
    /// SHA-256 of the file's bytes, hex, checked before it moves and after every copy.
    public var sha256: String
    public var size: Int64
    /// Its modification time, seconds since 1970 (restored with the file).
    public var modified: Double
    /// When the line was written, seconds since 1970.
    public var time: Double
    /// The image its group kept (why this one went).
    public var kept: String?
    /// What the store held (so `restore` brings the image back as it was, without the model or the upload).
    public var record: ImageRecord?
    /// The stored embedding as the catalog holds it: float16, little-endian (base64 in the JSON).
    public var vector: Data?
}

/// The journal file: appended a line at a time, each synced before the caller goes on.
struct QuarantineJournal {
    static let fileName = "journal.jsonl"
    /// An empty file that marks the folder as a quarantine, so `index` never walks into it.
    static let marker = ".dinosearch-quarantine"
    let folder: String
    var path: String { (folder as NSString).appendingPathComponent(Self.fileName) }

    /// Every line so far, in order. A last line cut short by a crash is ignored (it was never synced, so nothing
    /// was moved after it); any other line that does not decode is an error.
    func entries() throws(StoreError) -> [QuarantineEntry] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        var lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true)
        let complete = data.last == UInt8(ascii: "\n")
        var entries: [QuarantineEntry] = []
        let decoder = JSONDecoder()
        if !complete, !lines.isEmpty, (try? decoder.decode(QuarantineEntry.self, from: Data(lines.last!))) == nil {
            lines.removeLast()
        }
        for (number, line) in lines.enumerated() {
            guard let entry = try? decoder.decode(QuarantineEntry.self, from: Data(line)) else {
                throw StoreError(.corrupt, path: path, "line \(number + 1) of the quarantine journal cannot be read")
            }
            entries.append(entry)
        }
        return entries
    }

    /// Appends one line and syncs the file (and, when the journal is new, its folder).
    func append(_ entry: QuarantineEntry) throws(StoreError) { try append([entry]) }

    /// Appends lines and syncs the file once (and, when the journal is new, its folder).
    func append(_ entries: [QuarantineEntry]) throws(StoreError) {
        guard !entries.isEmpty else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var line = Data()
        for entry in entries {
            line += try! encoder.encode(entry)
            line.append(UInt8(ascii: "\n"))
        }
        let existed = FileManager.default.fileExists(atPath: path)
        let descriptor = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileMover.error(path, "cannot be opened for writing") }
        defer { close(descriptor) }
        // A last line torn by a crash was never synced and nothing moved after it: cut it off, so the new lines
        // follow the last complete one (a newline after it instead would leave an unreadable line in the middle).
        if let end = completeLength(descriptor), ftruncate(descriptor, off_t(end)) != 0 {
            throw FileMover.error(path, "cannot be written")
        }
        let written = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == line.count, fsync(descriptor) == 0 else { throw FileMover.error(path, "cannot be written") }
        if !existed {
            _ = FileManager.default.createFile(atPath: (folder as NSString).appendingPathComponent(Self.marker), contents: nil)
            try FileMover.syncFolder(folder)
        }
    }

    /// The length of the open journal up to and including its last newline, or nil when it ends with one (or is
    /// empty). Reads backwards from the end, so a long journal is not read whole for every batch.
    private func completeLength(_ descriptor: Int32) -> Int? {
        var size = stat()
        guard fstat(descriptor, &size) == 0, size.st_size > 0 else { return nil }
        var end = Int(size.st_size)
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var first = true
        while end > 0 {
            let start = max(0, end - chunk.count)
            let count = chunk.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, end - start, off_t(start)) }
            guard count == end - start else { return nil }
            if first, chunk[count - 1] == UInt8(ascii: "\n") { return nil }
            first = false
            if let newline = chunk[..<count].lastIndex(of: UInt8(ascii: "\n")) { return start + newline + 1 }
            end = start
        }
        return 0
    }
}
