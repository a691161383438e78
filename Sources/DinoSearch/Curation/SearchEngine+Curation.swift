import DinoImage
import Foundation

/// The vectors a list of seed paths stands for (`SearchEngine.vectors(of:)`).
public struct SeedVectors: Sendable {
    public var vectors: [NamedVector]
    /// Files found in a folder that could not be read or decoded (a file named on its own throws instead).
    public var skipped: [IndexFailure]
}

extension SearchEngine {
    /// The vectors of the images at `paths`, for `duplicates(of:)` and `retrieve`, without writing anything:
    /// - a file is embedded, or takes its stored vector when it is in the store and unchanged;
    /// - a folder is walked as `index` walks it, each image embedded the same way (undecodable ones skipped);
    /// - a path not on disk that is a stored path or key takes its stored vector;
    /// - with `stores: true`, another store's directory gives every vector it holds (same model only).
    /// A vector from a stored image carries its id, so searches leave the image out of its own results.
    /// - Throws: `ImageError` for a named file that cannot be decoded, `StoreError.notFound` for a path that is
    ///   neither on disk nor stored, `.modelMismatch` for a store of another model.
    public func vectors(of paths: [String], stores: Bool = false) async throws -> SeedVectors {
        try await offload { [self] in
            var seeds = SeedVectors(vectors: [], skipped: [])
            for path in paths {
                let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
                guard let status = FileStatus(absolute) else {
                    guard let record = try store.record(path: path) ?? store.record(path: absolute),
                          let vector = try store.vector(id: record.id)
                    else { throw StoreError(.notFound, path: path, "is neither a file nor a stored image") }
                    seeds.vectors.append(NamedVector(name: record.path, vector: vector, storedID: record.id))
                    continue
                }
                if status.isDirectory && stores && FileManager.default.fileExists(atPath: Store.catalogPath(absolute)) {
                    seeds.vectors += try vectors(ofStore: absolute)
                } else if status.isDirectory {
                    var failures: [IndexFailure] = []
                    for file in FileWalker().files(under: [absolute], failures: &failures) {
                        do {
                            seeds.vectors.append(try vector(at: file.path))
                        } catch let error as ImageError {
                            failures.append(IndexFailure(path: file.path, reason: error.message))
                        }
                    }
                    seeds.skipped += failures
                } else {
                    seeds.vectors.append(try vector(at: absolute))
                }
            }
            return seeds
        }
    }

    /// The vector of a file: its stored one when indexed and unchanged, otherwise embedded now.
    private func vector(at absolute: String) throws -> NamedVector {
        let record = try store.record(path: absolute)
        return NamedVector(name: absolute, vector: try queryVector(at: absolute), storedID: record?.id)
    }

    /// Every vector of another store made with this engine's model, named by its paths.
    private func vectors(ofStore directory: String) throws -> [NamedVector] {
        let other = try Store(at: directory, model: encoder.fingerprint, mode: .readOnly)
        var vectors: [NamedVector] = []
        try other.forEachVectorChunk(chunk: 4096, cancel: nil) { ids, chunk in
            let records = try other.records(ids: ids)
            for (row, id) in ids.enumerated() {
                guard let record = records[id] else { continue }
                let vector = Array(chunk[(row * other.dimension)..<((row + 1) * other.dimension)])
                vectors.append(NamedVector(name: record.path, vector: vector))
            }
        }
        return vectors
    }
}
