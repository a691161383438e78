import Crypto
import DinoImage
import DinoModel
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// dinosearch as a library: a store, the DINOv2 encoder and the image pipeline behind one object.
///
/// ```swift
/// let engine = try SearchEngine(store: "/var/lib/photos/index", model: "/models/dinov2-small")
/// let id = try await engine.add(uploadBytes, key: "user-42/IMG_0012.jpg")     // never touches disk
/// let hits = try await engine.search(queryBytes, k: 10, minimumScore: 0.5)
/// for hit in hits { print(hit.score, hit.record.path) }
/// ```
/// Safe to call from concurrent tasks: searches run in parallel, writes are serialised by the store. Methods that
/// decode or run the model are `async` and do that work on Dispatch threads. Errors are `ImageError` (a bad
/// image), `ModelError` (a bad model) or `StoreError` (the store refused), each naming the file at fault.
public final class SearchEngine: Sendable {
    /// The catalog and vector index (usable directly for lower-level work).
    public let store: Store
    /// The DINOv2 model every embedding comes from.
    public let encoder: DinoEncoder
    /// How images become encoder input (sizes, normalisation, fast or full-size decoding).
    public let preprocessing: Preprocessing

    /// Opens (or creates) the store at `directory` for `encoder`.
    /// - Parameter mode: `.readOnly` to search a store another process is writing to.
    /// - Throws: `StoreError` (`.modelMismatch` if the store was made with another model, `.locked` ...).
    public init(
        store directory: String, encoder: DinoEncoder, mode: Store.Mode = .readWrite,
        preprocessing: Preprocessing = Preprocessing()
    ) throws(StoreError) {
        precondition(preprocessing.crop % encoder.architecture.patchSize == 0, "crop must be a multiple of the patch size")
        self.encoder = encoder
        self.preprocessing = preprocessing
        store = try Store(at: directory, dimension: encoder.architecture.width, model: encoder.fingerprint, mode: mode)
    }

    /// Loads the checkpoint at `model` (see `ModelLocation`) and opens the store, both at once: on a large
    /// store, reading and verifying the index file takes as long as loading the model.
    public convenience init(
        store directory: String, model: String? = nil, mode: Store.Mode = .readWrite,
        preprocessing: Preprocessing = Preprocessing()
    ) throws {
        let modelPath = try ModelLocation.resolve(model)
        // A store that does not exist yet needs the model to be created: open it after the model then.
        let exists = FileManager.default.fileExists(atPath: Store.catalogPath(directory))
        guard exists else {
            try self.init(store: directory, encoder: try DinoEncoder(contentsOf: modelPath), mode: mode,
                          preprocessing: preprocessing)
            return
        }
        final class Opening: @unchecked Sendable { var result: Result<Store, StoreError>? }  // read after wait()
        let opening = Opening()
        let group = DispatchGroup()
        group.enter()
        Thread.detachNewThread {
            opening.result = Result { () throws(StoreError) in try Store(at: directory, mode: mode) }
            group.leave()
        }
        let loaded = Result { try DinoEncoder(contentsOf: modelPath) }
        group.wait()
        let store = try opening.result!.get()
        let encoder = try loaded.get()
        guard store.model == encoder.fingerprint else {
            throw StoreError(.modelMismatch, path: store.directory,
                             "store holds embeddings of model \(store.model), not \(encoder.fingerprint) (\(modelPath)); "
                                + "use a separate --store for each model")
        }
        guard store.dimension == encoder.architecture.width else {
            throw StoreError(.dimensionMismatch, path: store.directory,
                             "store holds \(store.dimension)-d vectors, the model makes \(encoder.architecture.width)-d")
        }
        self.init(store: store, encoder: encoder, preprocessing: preprocessing)
    }

    init(store: Store, encoder: DinoEncoder, preprocessing: Preprocessing) {
        precondition(preprocessing.crop % encoder.architecture.patchSize == 0, "crop must be a multiple of the patch size")
        self.store = store
        self.encoder = encoder
        self.preprocessing = preprocessing
    }

    // MARK: Embedding

    /// Unit-length embeddings of prepared images, in one batched forward pass.
    public func embed(_ images: [PreparedImage]) throws(ModelError) -> [[Float]] {
        try encoder.embed(images)
    }

    /// The unit-length embedding of an image held in memory.
    public func embed(_ bytes: [UInt8]) async throws -> [Float] {
        try await offload { [self] in try embed([preprocessing.load(bytes)])[0] }
    }

    /// The unit-length embedding of an image file.
    public func embed(contentsOf path: String) async throws -> [Float] {
        try await offload { [self] in try embed([preprocessing.load(contentsOf: path)])[0] }
    }

    // MARK: Adding and removing

    /// Adds an image held in memory (an upload never touches disk) under `key`, which the catalog keeps in
    /// the record's `path` field; adding again under the same key replaces the entry. Returns the new id.
    @discardableResult
    public func add(_ bytes: [UInt8], key: String) async throws -> UInt64 {
        try await offload { [self] in
            let prepared: PreparedImage
            do {
                prepared = try preprocessing.load(bytes)
            } catch let error as ImageError {
                throw error.at(key)  // the upload's key is the only name the caller knows it by
            }
            let vector = try embed([prepared])[0]
            return try store.add([NewImage(
                path: key, fileSize: Int64(bytes.count), modified: Date().timeIntervalSince1970,
                contentHash: Self.contentHash(bytes), width: prepared.width, height: prepared.height, vector: vector)])[0]
        }
    }

    /// Adds an image from a URL: `file:` URLs are read from disk, `http(s):` URLs fetched. The key defaults to
    /// the URL's path (files) or the whole URL.
    @discardableResult
    public func add(contentsOf url: URL, key: String? = nil) async throws -> UInt64 {
        if url.isFileURL {
            let path = url.standardizedFileURL.path
            let bytes = try await offload { try ImageFile.read(path) }
            return try await add(bytes, key: key ?? path)
        }
        let (data, response) = try await URLSession.shared.data(from: url)
        if let http = response as? HTTPURLResponse, !(200..<300).contains(http.statusCode) {
            throw ImageError(.unreadable, path: url.absoluteString, "the server answered HTTP \(http.statusCode)")
        }
        return try await add([UInt8](data), key: key ?? url.absoluteString)
    }

    /// Removes images by id; returns how many were in the store.
    @discardableResult
    public func remove(ids: [UInt64]) throws(StoreError) -> Int { try store.remove(ids: ids) }

    /// Removes the image stored under a key or path; returns whether there was one.
    @discardableResult
    public func remove(key: String) throws(StoreError) -> Bool {
        guard let record = try store.record(path: key) else { return false }
        return try store.remove(ids: [record.id]) > 0
    }

    // MARK: Searching

    /// The `k` stored images most similar to `vector` (any length; it is normalised), best first, with true
    /// cosine scores; those below `minimumScore` are left out. With `prefix`, only images whose key starts with
    /// it are searched (exactly: see `Store.search(_:k:minimumScore:prefix:)`).
    public func search(
        vector: [Float], k: Int = 10, minimumScore: Float? = nil, prefix: String? = nil
    ) throws(StoreError) -> [SearchResult] {
        guard let prefix, !prefix.isEmpty else { return try store.search(vector, k: k, minimumScore: minimumScore) }
        return try store.search(vector, k: k, minimumScore: minimumScore, prefix: prefix)
    }

    /// The images most similar to a stored one (which comes first, with score 1).
    public func search(
        id: UInt64, k: Int = 10, minimumScore: Float? = nil, prefix: String? = nil
    ) throws(StoreError) -> [SearchResult] {
        guard let vector = try store.vector(id: id) else {
            throw StoreError(.notFound, path: store.directory, "no image with id \(id)")
        }
        return try search(vector: vector, k: k, minimumScore: minimumScore, prefix: prefix)
    }

    /// The images most similar to an image held in memory.
    public func search(
        _ bytes: [UInt8], k: Int = 10, minimumScore: Float? = nil, prefix: String? = nil
    ) async throws -> [SearchResult] {
        try await offload { [self] in
            try search(vector: embed([preprocessing.load(bytes)])[0], k: k, minimumScore: minimumScore, prefix: prefix)
        }
    }

    /// The images most similar to an image file. A file already in the store, unchanged since it was indexed,
    /// reuses its stored vector instead of running the model.
    public func search(contentsOf path: String, k: Int = 10, minimumScore: Float? = nil) async throws -> [SearchResult] {
        try await offload { [self] in try store.search(queryVector(at: path), k: k, minimumScore: minimumScore) }
    }

    /// The vector a query file stands for: its stored one when the file is indexed and unchanged.
    public func queryVector(contentsOf path: String) async throws -> [Float] {
        try await offload { [self] in try queryVector(at: path) }
    }

    /// `queryVector(contentsOf:)` on the calling thread (a Dispatch thread: it reads the store and may run the model).
    func queryVector(at path: String) throws -> [Float] {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        if let record = try store.record(path: absolute), let status = FileStatus(absolute),
           status.size == record.fileSize, status.modified == record.modified,
           let stored = try store.vector(id: record.id) {
            return stored
        }
        return try embed([preprocessing.load(contentsOf: absolute)])[0]
    }

    /// SHA-256 of a file's bytes, hex: how the catalog recognises moved and duplicated files (`ImageRecord.contentHash`).
    public static func contentHash(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).hex
    }
}

/// Size and modification time of a file, as the catalog records them.
struct FileStatus: Equatable, Sendable {
    var size: Int64
    var modified: Double
    var isDirectory: Bool
    var isRegular: Bool

    /// Follows symlinks; nil when the path does not exist or cannot be examined.
    init?(_ path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        self.init(info)
    }

    init(_ info: stat) {
        size = Int64(info.st_size)
        modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
        isDirectory = (info.st_mode & S_IFMT) == S_IFDIR
        isRegular = (info.st_mode & S_IFMT) == S_IFREG
    }
}

extension DinoEncoder {
    /// Unit-length embeddings of prepared images (all of one size), in one batched forward pass.
    public func embed(_ images: [PreparedImage]) throws(ModelError) -> [[Float]] {
        guard let side = images.first?.side else { return [] }
        var pixels: [Float] = []
        pixels.reserveCapacity(images.count * 3 * side * side)
        for image in images { pixels += image.pixels }
        let output = try encode(pixels, batch: images.count, height: side, width: side)
        return (0..<images.count).map { output.embedding($0) }
    }
}
