import DinoImage
import Foundation
import Synchronization

/// Small JPEG pictures of stored images for people to look at (the web page's grids), kept in the store
/// (`<store>/thumbnails/<size>/<first two hex digits>/<content hash>.jpg`) and keyed by content hash, so a file
/// that moved or was copied reuses its thumbnail and a changed file gets a new one.
///
/// Made on demand from the indexed file (DCT-scaled decode, oriented upright) or, for images added over HTTP,
/// from the upload's bytes, in the background after the upload is answered (`keepLater`): no file stands behind them.
/// A thumbnail is made once per content hash and size however many requests ask for it at the same time.
public final class Thumbnails: Sendable {
    /// The sizes served: the longer side in pixels (grid cells, and a large view).
    public static let sizes = [256, 1024]

    /// A thumbnail's JPEG bytes and a validator for HTTP caches (changes exactly when the bytes may).
    public struct Thumbnail: Sendable {
        public var jpeg: [UInt8]
        public var etag: String
    }

    public let store: Store
    /// The folder holding them.
    public let directory: String
    private let inFlight = Mutex<[String: Task<[UInt8], any Error>]>([:])
    private let madeCount = Atomic<Int>(0)

    /// Thumbnails decoded from a file since this object was made (cache hits and waits on one in progress excluded).
    public var made: Int { madeCount.load(ordering: .relaxed) }

    public init(store: Store) {
        self.store = store
        directory = (store.directory as NSString).appendingPathComponent("thumbnails")
    }

    /// The thumbnail of a stored image at `size` (one of `sizes`).
    /// - Throws: `IndexedFileProblem` when there is none and the file cannot be read back (gone, changed, not a
    ///   file); `ImageError` when the file no longer decodes.
    public func thumbnail(of record: ImageRecord, size: Int) async throws -> Thumbnail {
        precondition(Self.sizes.contains(size), "thumbnail sizes are \(Self.sizes)")
        let hash = record.contentHash
        let etag = "\"\(hash.isEmpty ? "id\(record.id)" : hash)-\(size)\""
        if let cached = kept(contentHash: hash, size: size) {
            return Thumbnail(jpeg: cached, etag: etag)
        }
        // An upload's thumbnails may still be in the making (`keepLater`): wait for them rather than fail.
        if let pending = inFlight.withLock({ $0[Self.uploadSlot(hash)] }) {
            _ = try? await pending.value
            if let cached = kept(contentHash: hash, size: size) { return Thumbnail(jpeg: cached, etag: etag) }
        }
        let path: String
        switch try store.indexedFile(of: record) {
        case .success(let file): path = file
        case .failure(let problem): throw problem
        }
        let slot = "\(hash.isEmpty ? "id\(record.id)" : hash)/\(size)"
        let task = inFlight.withLock { tasks -> Task<[UInt8], any Error>? in
            if let running = tasks[slot] { return running }
            // Made and saved by a request that finished between the look above and this one.
            if !hash.isEmpty && FileManager.default.fileExists(atPath: self.path(hash, size)) { return nil }
            let task = Task { [self] in
                try await offload { [self] () throws -> [UInt8] in
                    madeCount.add(1, ordering: .relaxed)
                    let decoded = try Self.decoder(for: record, longSide: size).decode(contentsOf: path)
                    let jpeg = try Self.encode(decoded.image, longSide: size)
                    if !hash.isEmpty { save(jpeg, hash: hash, size: size) }
                    return jpeg
                }
            }
            tasks[slot] = task
            return task
        }
        guard let task else {
            guard let saved = kept(contentHash: hash, size: size) else { throw IndexedFileProblem.gone }
            return Thumbnail(jpeg: saved, etag: etag)
        }
        defer { _ = inFlight.withLock { $0.removeValue(forKey: slot) } }
        return Thumbnail(jpeg: try await task.value, etag: etag)
    }

    /// Makes and keeps every size of thumbnail for an image that arrives as bytes (an HTTP upload of `width` ×
    /// `height` pixels as shown): nothing of it can be read back later. Errors are swallowed: a missing thumbnail
    /// shows as a placeholder, not a failed upload.
    public func keep(_ bytes: [UInt8], width: Int, height: Int, contentHash: String) {
        guard !contentHash.isEmpty,
              Self.sizes.contains(where: { !FileManager.default.fileExists(atPath: path(contentHash, $0)) })
        else { return }
        let shape = ImageRecord(id: 0, path: "", fileSize: 0, modified: 0, contentHash: contentHash, width: width,
                                height: height, added: 0)
        guard let decoded = try? Self.decoder(for: shape, longSide: Self.sizes.max()!).decode(bytes) else { return }
        // Largest first: once the small one (the grids') is there, every size is.
        for size in Self.sizes.reversed() where !FileManager.default.fileExists(atPath: path(contentHash, size)) {
            if let jpeg = try? Self.encode(decoded.image, longSide: size) { save(jpeg, hash: contentHash, size: size) }
        }
    }

    /// Uploads whose thumbnails may wait to be made at once; past that, `keepLater` makes them before returning
    /// (each waiting upload holds its bytes: this bounds the memory, and slows uploads only under a flood).
    public static let maxPendingUploads = 8

    /// `keep`, after the caller's answer: started in the background at utility priority (a request for the thumbnail
    /// meanwhile waits for it), unless `maxPendingUploads` are waiting already, in which case it is done before
    /// returning.
    public func keepLater(_ bytes: [UInt8], width: Int, height: Int, contentHash: String) async {
        guard !contentHash.isEmpty else { return }
        let slot = Self.uploadSlot(contentHash)
        let started = inFlight.withLock { tasks -> Bool in
            if tasks[slot] != nil { return true }
            guard tasks.keys.filter({ $0.hasPrefix("upload/") }).count < Self.maxPendingUploads else { return false }
            tasks[slot] = Task.detached { [self] in
                // Below the requests' priority: under a flood of uploads, searches and embeddings go first.
                await withCheckedContinuation { done in
                    DispatchQueue.global(qos: .utility).async { [self] in
                        keep(bytes, width: width, height: height, contentHash: contentHash)
                        done.resume()
                    }
                }
                _ = inFlight.withLock { $0.removeValue(forKey: slot) }
                return []
            }
            return true
        }
        if !started { _ = try? await offload { [self] in keep(bytes, width: width, height: height, contentHash: contentHash) } }
    }

    static func uploadSlot(_ hash: String) -> String { "upload/" + hash }

    /// The thumbnail kept for a content hash at `size`, if there is one (nothing is made).
    public func kept(contentHash: String, size: Int) -> [UInt8]? {
        guard !contentHash.isEmpty else { return nil }
        return try? Array(Data(contentsOf: URL(fileURLWithPath: path(contentHash, size))))
    }

    /// Where the thumbnail of `hash` at `size` lives.
    func path(_ hash: String, _ size: Int) -> String {
        "\(directory)/\(size)/\(hash.prefix(2))/\(hash).jpg"
    }

    /// Written to a temporary name and renamed: a reader sees a whole file or none. A cache: no sync needed.
    private func save(_ jpeg: [UInt8], hash: String, size: Int) {
        let target = path(hash, size)
        let folder = (target as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let temporary = "\(folder)/.\(hash).\(UUID().uuidString).partial"
        do {
            try Data(jpeg).write(to: URL(fileURLWithPath: temporary))
            if rename(temporary, target) != 0 { unlink(temporary) }
        } catch {
            unlink(temporary)
        }
    }

    /// A decoder that DCT-scales a JPEG no smaller than the thumbnail needs (the record knows the full size).
    static func decoder(for record: ImageRecord, longSide: Int) -> ImageDecoder {
        let long = max(record.width, record.height), short = min(record.width, record.height)
        let needed = long > 0 && short > 0 ? (longSide * short + long - 1) / long : longSide
        return ImageDecoder(minimumShortSide: max(1, needed))
    }

    static func encode(_ image: RGBImage, longSide: Int) throws(ImageError) -> [UInt8] {
        let small = image.thumbnail(longSide: longSide)
        return try JPEGEncoder.encode(small.rgb, width: small.width, height: small.height, quality: longSide > 256 ? 85 : 80)
    }
}
