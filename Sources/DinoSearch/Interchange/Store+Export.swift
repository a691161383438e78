import Foundation

extension Store {
    /// Writes every image's record and stored vector to the folder `directory` in the interchange format
    /// (`Interchange`): one consistent snapshot of the catalog, streamed, so a million images need no more memory
    /// than a few. `directory` must not exist or be empty; it appears complete or not at all.
    /// Vectors are the stored ones (unit length, float16-rounded) as float32: importing them gives back the same bits.
    /// - Parameter progress: called with (done, total) every few thousand images.
    /// - Returns: the number of images written.
    @discardableResult
    public func export(to directory: String, progress: ((Int, Int) -> Void)? = nil) throws(StoreError) -> Int {
        let writer = try InterchangeWriter(directory: directory, model: model, dimension: dimension)
        do throws(StoreError) {
            try catalog.environment.read { txn throws(StoreError) in
                let total = try txn.count("images")
                try txn.scan("images") { (key, value) throws(StoreError) in
                    let id = Catalog.id(key)
                    guard let record = try? JSONDecoder().decode(ImageRecord.self, from: value),
                          let vector = try Catalog.vector(txn, id: id, dimension: dimension)
                    else { throw StoreError(.corrupt, path: catalog.environment.path, "image \(id) has no readable record or vector") }
                    try writer.append(Interchange.Record(record), vector: vector)
                    if writer.count % 4096 == 0 { progress?(writer.count, total) }
                    return true
                }
                progress?(writer.count, total)
            }
            try writer.finish()
        } catch {
            writer.discard()
            throw error
        }
        return writer.count
    }
}
