/// Why an image file could not be used.
///
/// Every error names the file and gives a one-line reason:
/// `"/photos/a.jpg: truncated or corrupt JPEG data (Premature end of data segment)"`.
public struct ImageError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong, for callers that branch on it.
    public enum Kind: String, Sendable {
        /// The file could not be opened or read (missing, permissions, I/O error).
        case unreadable
        /// The path is a directory.
        case isDirectory
        /// The file is empty.
        case empty
        /// The bytes are not an image format dinosearch knows.
        case notAnImage
        /// A known image format, in a variant dinosearch does not decode (12-bit JPEG, animated WebP, float TIFF…).
        case unsupportedFormat
        /// The header claims more pixels than the configured limit (a decompression bomb, or a huge scan).
        case tooLarge
        /// The image data is damaged beyond use.
        case corrupt
        /// An image could not be written (the folder is missing or read-only, the disk is full).
        case unwritable
    }

    public var kind: Kind
    /// The file at fault, when the image came from a file.
    public var path: String?
    /// The one-line reason, without the path.
    public var message: String

    public init(_ kind: Kind, path: String? = nil, _ message: String) {
        self.kind = kind
        self.path = path
        self.message = message
    }

    public var description: String { (path.map { "\($0): " } ?? "") + message }

    /// The same error, attributed to `path`.
    public func at(_ path: String) -> ImageError {
        var copy = self
        copy.path = path
        return copy
    }
}
