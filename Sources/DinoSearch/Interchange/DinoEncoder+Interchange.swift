import DinoImage
import DinoModel
import Foundation

/// What `DinoEncoder.embedFiles(_:into:)` wrote.
public struct EmbedSummary: Codable, Sendable, Equatable {
    /// Images embedded (rows in `vectors.npy`).
    public var embedded = 0
    /// Files that could not be read or decoded, with the reason (also in the folder's `failures.jsonl`).
    public var failed: [Interchange.Failure] = []
}

extension DinoEncoder {
    /// Embeds image files into a new interchange folder (`Interchange`), the way `dinosearch index` would store
    /// them — absolute paths, size, modification time, SHA-256, pixel size and the L2-normalised CLS embedding —
    /// so that `import` of the folder on another machine gives the same store. Files that cannot be read or decoded
    /// are skipped and listed in `failures.jsonl`; the folder appears complete or not at all.
    /// - Parameters:
    ///   - batchSize: images per forward pass.
    ///   - decodeThreads: threads reading, hashing and decoding ahead of the encoder (rows keep the order of `paths`).
    ///   - progress: called with (files done, total) after each batch.
    public func embedFiles(
        _ paths: [String], into directory: String, preprocessing: Preprocessing = Preprocessing(), batchSize: Int = 8,
        decodeThreads: Int = IndexOptions.defaultDecodeThreads, progress: ((Int, Int) -> Void)? = nil
    ) throws -> EmbedSummary {
        let writer = try InterchangeWriter(directory: directory, model: fingerprint, dimension: architecture.width)
        let batchSize = max(1, batchSize)
        let serial = preprocessing.withOneThreadPerImage  // the prefetch threads keep the cores busy
        let prefetch = OrderedPrefetch(count: paths.count, threads: decodeThreads, window: 4 * batchSize) { i in
            Self.prepare(paths[i], serial)
        }
        defer { prefetch.cancel() }
        var summary = EmbedSummary()
        do {
            var done = 0
            var records: [Interchange.Record] = []
            var images: [PreparedImage] = []
            func flush() throws {
                for (record, vector) in zip(records, try embed(images)) { try writer.append(record, vector: vector) }
                records.removeAll(keepingCapacity: true)
                images.removeAll(keepingCapacity: true)
                progress?(done, paths.count)
            }
            while let item = prefetch.next() {
                done += 1
                switch item {
                case .image(let record, let image):
                    records.append(record)
                    images.append(image)
                    if images.count == batchSize { try flush() }
                case .failed(let failure):
                    summary.failed.append(failure)
                    writer.recordFailure(failure)
                }
            }
            try flush()
            try writer.finish()
        } catch {
            writer.discard()
            throw error
        }
        summary.embedded = writer.count
        return summary
    }

    /// One file read, hashed and decoded on a prefetch thread: its record and model input, or why not.
    private enum PreparedFile {
        case image(Interchange.Record, PreparedImage)
        case failed(Interchange.Failure)
    }

    private static func prepare(_ path: String, _ preprocessing: Preprocessing) -> PreparedFile {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        do {
            let status = FileStatus(absolute)
            let bytes = try ImageFile.read(absolute)
            let image = try preprocessing.load(bytes)
            return .image(Interchange.Record(
                path: absolute, size: Int64(bytes.count), modified: status?.modified,
                hash: SearchEngine.contentHash(bytes), width: image.width, height: image.height), image)
        } catch {  // an ImageError: the file is skipped and listed
            return .failed(Interchange.Failure(path: absolute, reason: error.message))
        }
    }
}
