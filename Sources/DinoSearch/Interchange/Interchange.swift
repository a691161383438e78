import Foundation

/// The vector interchange format: a folder of three files that numpy and pandas read without dinosearch.
///
/// - `vectors.npy` — N×D float32; row i belongs to line i of
/// - `records.jsonl` — one JSON object per line: `path` (required on import) and, where known, `id`, `size`,
///   `modified`, `hash`, `width`, `height`, `added`;
/// - `store.json` — `{"model": FINGERPRINT, "dimension": D, "count": N}`.
///
/// ```python
/// vectors = np.load("export/vectors.npy"); records = pd.read_json("export/records.jsonl", lines=True)
/// ```
/// `dinosearch export` and `dinosearch embed --out` write it, `dinosearch import` reads it.
public enum Interchange {
    public static let vectorsFile = "vectors.npy"
    public static let recordsFile = "records.jsonl"
    public static let manifestFile = "store.json"
    /// Images a writer could not embed (`embed --out`): one `{"path", "reason"}` per line. Not read by import.
    public static let failuresFile = "failures.jsonl"

    /// `store.json`.
    public struct Manifest: Codable, Sendable, Equatable {
        /// Fingerprint of the model the vectors come from (`dinosearch model show` prints it).
        public var model: String
        public var dimension: Int
        /// Rows in `vectors.npy`, lines in `records.jsonl`.
        public var count: Int

        public init(model: String, dimension: Int, count: Int) {
            self.model = model
            self.dimension = dimension
            self.count = count
        }
    }

    /// One line of `records.jsonl`. Only `path` is required; the rest is carried into the store where given.
    public struct Record: Codable, Sendable, Equatable {
        public var path: String
        public var id: UInt64?
        public var size: Int64?
        public var modified: Double?
        public var hash: String?
        public var width: Int?
        public var height: Int?
        public var added: Double?

        public init(
            path: String, id: UInt64? = nil, size: Int64? = nil, modified: Double? = nil, hash: String? = nil,
            width: Int? = nil, height: Int? = nil, added: Double? = nil
        ) {
            self.path = path
            self.id = id
            self.size = size
            self.modified = modified
            self.hash = hash
            self.width = width
            self.height = height
            self.added = added
        }

        /// A stored image's record as it is exported.
        public init(_ record: ImageRecord) {
            self.init(path: record.path, id: record.id, size: record.fileSize, modified: record.modified,
                      hash: record.contentHash.isEmpty ? nil : record.contentHash, width: record.width,
                      height: record.height, added: record.added)
        }
    }

    /// A failure line of `failures.jsonl`.
    public struct Failure: Codable, Sendable, Equatable {
        public var path: String
        public var reason: String

        public init(path: String, reason: String) {
            self.path = path
            self.reason = reason
        }
    }

    /// Reads `store.json` of the folder `directory`.
    public static func manifest(in directory: String) throws(StoreError) -> Manifest {
        let path = (directory as NSString).appendingPathComponent(manifestFile)
        guard let data = FileManager.default.contents(atPath: path) else {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory)
            throw StoreError(exists && isDirectory.boolValue ? .malformed : .notFound, path: path,
                             exists ? "is missing: not a dinosearch export folder" : "no such folder")
        }
        do {
            let manifest = try JSONDecoder().decode(Manifest.self, from: data)
            guard manifest.dimension > 0, manifest.count >= 0, !manifest.model.isEmpty else {
                throw StoreError(.malformed, path: path, "needs a model, a dimension above 0 and a count of 0 or more")
            }
            return manifest
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.malformed, path: path, "is not {\"model\", \"dimension\", \"count\"} JSON (\(Self.reason(error)))")
        }
    }

    /// One readable line for a JSON decoding error.
    static func reason(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "\"\(key.stringValue)\" is missing"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            let key = context.codingPath.last?.stringValue ?? "a value"
            return "\"\(key)\" has the wrong type"
        case DecodingError.dataCorrupted: return "not valid JSON"
        default: return "\(error)"
        }
    }
}

/// Writes an interchange folder row by row: into a hidden sibling folder first, renamed onto `directory` by
/// `finish()`, so the folder either does not exist or is complete (a killed writer leaves only the hidden
/// `.NAME.partial-PID` folder, which the next writer of the same name removes).
public final class InterchangeWriter {
    /// The folder being written.
    public let directory: String
    public let model: String
    public let dimension: Int
    private let staging: String
    private let vectors: NumpyWriter
    private let records: BufferedFile
    private var failures: [Interchange.Failure] = []
    private let encoder = JSONEncoder()

    /// Starts a folder at `directory`, which must not exist or be empty.
    public init(directory: String, model: String, dimension: Int) throws(StoreError) {
        let directory = URL(fileURLWithPath: directory).standardizedFileURL.path
        let fm = FileManager.default
        var isFolder: ObjCBool = false
        if fm.fileExists(atPath: directory, isDirectory: &isFolder) {
            guard isFolder.boolValue else { throw StoreError(.io, path: directory, "exists and is not a folder") }
            guard (try? fm.contentsOfDirectory(atPath: directory))?.isEmpty == true else {
                throw StoreError(.io, path: directory, "is not empty; choose a new folder (nothing was written)")
            }
        }
        self.directory = directory
        self.model = model
        self.dimension = dimension
        let parent = (directory as NSString).deletingLastPathComponent
        let name = (directory as NSString).lastPathComponent
        for stale in (try? fm.contentsOfDirectory(atPath: parent)) ?? [] where stale.hasPrefix(".\(name).partial-") {
            try? fm.removeItem(atPath: (parent as NSString).appendingPathComponent(stale))
        }
        staging = (parent as NSString).appendingPathComponent(".\(name).partial-\(getpid())")
        do {
            try fm.createDirectory(atPath: staging, withIntermediateDirectories: true)
        } catch {
            throw StoreError(.io, path: directory, "cannot be created (\(error.localizedDescription))")
        }
        vectors = try NumpyWriter(path: (staging as NSString).appendingPathComponent(Interchange.vectorsFile), columns: dimension)
        records = try BufferedFile(path: (staging as NSString).appendingPathComponent(Interchange.recordsFile))
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    }

    /// Rows written so far.
    public var count: Int { vectors.rows }

    /// Appends one image: its record and its vector (`dimension` values).
    public func append(_ record: Interchange.Record, vector: [Float]) throws(StoreError) {
        guard vector.count == dimension else {
            throw StoreError(.dimensionMismatch, path: record.path, "vector has \(vector.count) dimensions, not \(dimension)")
        }
        try vectors.append(vector)
        try records.write(try! encoder.encode(record))
        try records.write(CollectionOfOne(0x0A))
    }

    /// Notes an image that could not be embedded (written to `failures.jsonl` when there are any).
    public func recordFailure(_ failure: Interchange.Failure) { failures.append(failure) }

    /// Flushes both files, writes `store.json` and failures, and moves the folder into place.
    public func finish() throws(StoreError) {
        try vectors.finish()
        try records.finish()
        let manifest = Interchange.Manifest(model: model, dimension: dimension, count: vectors.rows)
        do {
            if !failures.isEmpty {
                let text = failures.map { String(decoding: try! encoder.encode($0), as: UTF8.self) + "\n" }.joined()
                try Data(text.utf8).write(to: URL(fileURLWithPath: (staging as NSString).appendingPathComponent(Interchange.failuresFile)))
            }
            try encoder.encode(manifest).write(to: URL(fileURLWithPath: (staging as NSString).appendingPathComponent(Interchange.manifestFile)))
        } catch {
            throw StoreError(.io, path: staging, "cannot be written (\(error.localizedDescription))")
        }
        // rename(2) replaces an empty directory in one step.
        guard rename(staging, directory) == 0 else {
            throw StoreError(.io, path: directory, "cannot be put in place (\(String(cString: strerror(errno))))", code: errno)
        }
    }

    /// Abandons the folder: removes what was written.
    public func discard() {
        try? FileManager.default.removeItem(atPath: staging)
    }
}
