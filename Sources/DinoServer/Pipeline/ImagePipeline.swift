import DinoImage
import DinoSearch
import Dispatch
import Foundation
import Synchronization

/// An upload decoded and embedded.
struct EmbeddedImage: Sendable {
    var vector: [Float]
    var width: Int
    var height: Int
    /// SHA-256 of the bytes, hex, when asked for (uploads: the catalog recognises copies by it).
    var contentHash: String?
}

/// The server's image work, with bounded memory under any load:
/// - admission: at most `workers + queueLimit` image requests at once, from reading the body to the embedding;
///   the next one gets 503 + Retry-After before its body is read, instead of a place in an unbounded queue;
/// - decoding: at most `workers` images at once (a 24-megapixel JPEG takes 70 MB while it decodes);
/// - the encoder: one forward pass at a time, over every image waiting for it (it already uses all cores);
/// - the store: every upload waiting is committed in one transaction (group commit), and a request is answered
///   only once its transaction is durable.
final class ImagePipeline: Sendable {
    let engine: SearchEngine
    let metrics: ServerMetrics
    private let capacity: Int
    private let inWork = Atomic<Int>(0)
    private let decoders: WorkerSlots
    private let encoder: Batcher<PreparedImage, [Float]>
    private let committer: Batcher<NewImage, UInt64>

    init(engine: SearchEngine, configuration: ServerConfiguration, metrics: ServerMetrics) {
        self.engine = engine
        self.metrics = metrics
        capacity = configuration.workers + configuration.queueLimit
        decoders = WorkerSlots(configuration.workers)
        encoder = Batcher(label: "encoder", maxBatch: configuration.maxBatch) { images in
            do {
                let vectors = try engine.encoder.embed(images)
                metrics.embedded.increment(by: Int64(images.count))
                metrics.forwardPasses.increment()
                return vectors.map { .success($0) }
            } catch {
                return images.map { _ in .failure(error) }
            }
        }
        // No cap on a commit batch: an upload waiting here holds only its vector, and admission bounds the uploads.
        committer = Batcher(label: "commit", maxBatch: .max) { images in
            metrics.commitBatch.record(Double(images.count))
            do {
                return try engine.store.add(images).map { .success($0) }
            } catch {
                // One image the store refuses (a vector it rejects) must not fail the others: commit them one by one.
                guard images.count > 1 else { return [.failure(error)] }
                return images.map { image in Result { () throws(StoreError) in try engine.store.add([image])[0] } }
            }
        }
    }

    /// Runs an image request's reading and embedding as one of the admitted ones.
    /// - Throws: `APIError.overloaded` (503) at once when the pipeline is full.
    func admitted<T>(_ body: () async throws -> T) async throws -> T {
        try admit()
        defer { leave() }
        return try await body()
    }

    /// Decodes and embeds an image held in memory; `name` is how an error names it (the key, or "upload").
    /// Call it within `admitted`. - Throws: `ImageError` for a bad image.
    func embed(_ bytes: [UInt8], name: String, hashing: Bool = false) async throws -> EmbeddedImage {
        let (prepared, hash) = try await decoders.withSlot { try await decode(bytes, name: name, hashing: hashing) }
        let vector = try await encoder.submit(prepared)
        return EmbeddedImage(vector: vector, width: prepared.width, height: prepared.height, contentHash: hash)
    }

    /// Stores an embedded upload under `key` (replacing what was there); returns once the transaction that holds
    /// it is on disk.
    func add(_ image: EmbeddedImage, size: Int, key: String) async throws -> UInt64 {
        try await committer.submit(NewImage(
            path: key, fileSize: Int64(size), modified: Date().timeIntervalSince1970,
            contentHash: image.contentHash ?? "", width: image.width, height: image.height, vector: image.vector))
    }

    private func admit() throws {
        let inside = inWork.add(1, ordering: .relaxed).newValue
        guard inside <= capacity else {
            inWork.subtract(1, ordering: .relaxed)
            metrics.rejected.increment()
            throw APIError.overloaded("the server has \(capacity) images in work; retry shortly")
        }
        metrics.queueDepth.set(Double(inside))
    }

    private func leave() {
        metrics.queueDepth.set(Double(inWork.subtract(1, ordering: .relaxed).newValue))
    }

    /// Decodes, preprocesses and maybe hashes on a Dispatch thread, off Swift's few cooperative threads.
    private func decode(_ bytes: [UInt8], name: String, hashing: Bool) async throws -> (PreparedImage, String?) {
        let preprocessing = engine.preprocessing
        return try await offload {
            do {
                return (try preprocessing.load(bytes), hashing ? SearchEngine.contentHash(bytes) : nil)
            } catch let error as ImageError {
                throw error.at(name)  // the key is the only name the client knows the upload by
            }
        }
    }
}
