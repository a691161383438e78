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
    ///   - progress: called with (files done, total) after each batch.
    public func embedFiles(
        _ paths: [String], into directory: String, preprocessing: Preprocessing = Preprocessing(), batchSize: Int = 8,
        progress: ((Int, Int) -> Void)? = nil
    ) throws -> EmbedSummary {
        let writer = try InterchangeWriter(directory: directory, model: fingerprint, dimension: architecture.width)
        let batchSize = max(1, batchSize)
        var summary = EmbedSummary()
        do {
            var done = 0
            for start in stride(from: 0, to: paths.count, by: batchSize) {
                var records: [Interchange.Record] = []
                var images: [PreparedImage] = []
                for path in paths[start..<min(start + batchSize, paths.count)] {
                    let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
                    do {
                        let status = FileStatus(absolute)
                        let bytes = try ImageFile.read(absolute)
                        let image = try preprocessing.load(bytes)
                        records.append(Interchange.Record(
                            path: absolute, size: Int64(bytes.count), modified: status?.modified,
                            hash: SearchEngine.contentHash(bytes), width: image.width, height: image.height))
                        images.append(image)
                    } catch {  // an ImageError: the file is skipped and listed
                        let failure = Interchange.Failure(path: absolute, reason: error.message)
                        summary.failed.append(failure)
                        writer.recordFailure(failure)
                    }
                }
                for (record, vector) in zip(records, try embed(images)) { try writer.append(record, vector: vector) }
                done += min(batchSize, paths.count - start)
                progress?(done, paths.count)
            }
            try writer.finish()
        } catch {
            writer.discard()
            throw error
        }
        summary.embedded = writer.count
        return summary
    }
}
