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
}

/// The server's image work, with bounded memory under any load:
/// - admission: at most `workers + queueLimit` images in the pipeline; the next request gets 503 + Retry-After
///   instead of a place in an unbounded queue;
/// - decoding: at most `workers` images at once (a 24-megapixel JPEG takes 70 MB while it decodes);
/// - the encoder: one forward pass at a time, over every image waiting for it (it already uses all cores);
/// - the store: every upload waiting is committed in one transaction (group commit), and a request is answered
///   only once its transaction is durable.
final class ImagePipeline: Sendable {
    let engine: SearchEngine
    let metrics: ServerMetrics
    private let capacity: Int
    private let admitted = Atomic<Int>(0)
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
        // No cap on a commit batch: every upload in it is already embedded, and the pipeline bounds how many exist.
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

    /// Decodes and embeds an image held in memory; `name` is how an error names it (the key, or "upload").
    /// - Throws: `APIError.overloaded` when the pipeline is full, `ImageError` for a bad image.
    func embed(_ bytes: [UInt8], name: String) async throws -> EmbeddedImage {
        try admit()
        defer { leave() }
        let prepared = try await decoders.withSlot { try await decode(bytes, name: name) }
        let vector = try await encoder.submit(prepared)
        return EmbeddedImage(vector: vector, width: prepared.width, height: prepared.height)
    }

    /// Embeds an upload and stores it under `key` (replacing what was there); returns once the transaction that
    /// holds it is on disk.
    func add(_ bytes: [UInt8], key: String) async throws -> (id: UInt64, image: EmbeddedImage) {
        let image = try await embed(bytes, name: key)
        let id = try await committer.submit(NewImage(
            path: key, fileSize: Int64(bytes.count), modified: Date().timeIntervalSince1970,
            contentHash: SearchEngine.contentHash(bytes), width: image.width, height: image.height, vector: image.vector))
        return (id, image)
    }

    private func admit() throws {
        let inside = admitted.add(1, ordering: .relaxed).newValue
        guard inside <= capacity else {
            admitted.subtract(1, ordering: .relaxed)
            metrics.rejected.increment()
            throw APIError.overloaded("the server has \(capacity) images in work; retry shortly")
        }
        metrics.queueDepth.set(Double(inside))
    }

    private func leave() {
        metrics.queueDepth.set(Double(admitted.subtract(1, ordering: .relaxed).newValue))
    }

    /// Decodes and preprocesses on a Dispatch thread, off Swift's few cooperative threads.
    private func decode(_ bytes: [UInt8], name: String) async throws -> PreparedImage {
        let preprocessing = engine.preprocessing
        return try await offload { () throws(ImageError) in
            do throws(ImageError) {
                return try preprocessing.load(bytes)
            } catch {
                throw error.at(name)  // the key is the only name the client knows the upload by
            }
        }
    }
}
