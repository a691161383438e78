import DinoSearch

extension SearchEngine {
    /// The stored vector and id of the image under `key`, read on a Dispatch thread; 404 when there is none.
    func storedVector(key: String) async throws -> (vector: [Float], id: UInt64) {
        try await offload { [self] in
            guard let record = try store.record(path: key), let vector = try store.vector(id: record.id) else {
                throw APIError.notFound("no image with key '\(key)'")
            }
            return (vector, record.id)
        }
    }
}
