import Foundation

/// One image in a store's catalog.
public struct ImageRecord: Codable, Sendable, Hashable {
    /// Stable id; never reused within a store.
    public var id: UInt64
    /// Absolute, normalised path (or a caller-chosen key for images that never touched disk).
    public var path: String
    /// File size in bytes.
    public var fileSize: Int64
    /// Modification time, seconds since 1970.
    public var modified: Double
    /// SHA-256 of the file's bytes, hex.
    public var contentHash: String
    /// Pixel size of the decoded image.
    public var width: Int
    public var height: Int
    /// When the image entered the store, seconds since 1970.
    public var added: Double

    /// Whether `image` describes the same file as this record (path, size, time, hash, pixel size).
    func matches(_ image: NewImage) -> Bool {
        path == image.path && fileSize == image.fileSize && modified == image.modified
            && contentHash == image.contentHash && width == image.width && height == image.height
    }
}

/// An image to add: its metadata and its embedding (any length; it is L2-normalised on the way in).
public struct NewImage: Sendable {
    public var path: String
    public var fileSize: Int64
    public var modified: Double
    public var contentHash: String
    public var width: Int
    public var height: Int
    /// When the image first entered a store (kept by `import`); nil: now.
    public var added: Double?
    public var vector: [Float]

    public init(
        path: String, fileSize: Int64 = 0, modified: Double = 0, contentHash: String = "", width: Int = 0,
        height: Int = 0, added: Double? = nil, vector: [Float]
    ) {
        self.path = path
        self.fileSize = fileSize
        self.modified = modified
        self.contentHash = contentHash
        self.width = width
        self.height = height
        self.added = added
        self.vector = vector
    }
}

/// One search hit: the image and its cosine similarity to the query (computed exactly from the stored vector).
public struct SearchResult: Sendable, Hashable {
    public var score: Float
    public var record: ImageRecord
    public var id: UInt64 { record.id }
}
