/// Why a store operation failed. One type for every store error; `description` reads as a sentence that names the
/// file at fault: `"/photos/.dinosearch/catalog.mdb: store is locked by another writer (pid 4121)"`.
public struct StoreError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// Another process holds the store open for writing.
        case locked
        /// The store was written by a newer dinosearch (its format version is higher than this build's).
        case newerFormat
        /// The store holds embeddings of another model; mixing them would make scores meaningless.
        case modelMismatch
        /// A vector has the wrong number of dimensions for this store.
        case dimensionMismatch
        /// A vector holds NaN or infinity, or is all zeros.
        case invalidVector
        /// The directory is not a dinosearch store (foreign files, or a catalog that is not LMDB).
        case notAStore
        /// The store's files are damaged beyond what can be rebuilt from the catalog.
        case corrupt
        /// The file system refused (read-only, full, permissions).
        case io
        /// No such image in the store.
        case notFound
        /// Faiss rejected an operation.
        case index
        /// An interchange file (`vectors.npy`, `records.jsonl`, `store.json`) is malformed; the message names the line.
        case malformed
        /// A request does not fit the store: more clusters than images, a threshold outside [−1, 1], an empty store.
        case invalidArgument
    }

    public var kind: Kind
    /// The file or directory at fault.
    public var path: String?
    public var message: String
    /// The library's own code (LMDB's or errno), for diagnostics.
    var code: Int32?

    init(_ kind: Kind, path: String? = nil, _ message: String, code: Int32? = nil) {
        self.kind = kind
        self.path = path
        self.message = message
        self.code = code
    }

    public var description: String { (path.map { "\($0): " } ?? "") + message }
}
