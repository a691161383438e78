/// Why a model file could not be used.
///
/// Every error names the file and, where one is at fault, the tensor:
/// `"model.safetensors: tensor 'encoder.layer.3.norm1.weight' has shape [384, 2], expected [384]"`.
public struct ModelError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// The file could not be opened or read.
        case unreadable
        /// The bytes are not a well-formed safetensors file (truncated, header out of bounds, bad JSON ...).
        case malformed
        /// A tensor the architecture needs is absent.
        case missingTensor
        /// A tensor has a shape or data type the architecture does not allow.
        case badTensor
        /// A download failed or delivered something that is not the checkpoint it should be.
        case download
        /// The input given to the encoder does not fit the model (size not a multiple of the patch ...).
        case badInput
    }

    public var kind: Kind
    /// The model file at fault, if any.
    public var path: String?
    /// The tensor at fault, if any.
    public var tensor: String?
    public var message: String

    public init(_ kind: Kind, path: String? = nil, tensor: String? = nil, _ message: String) {
        self.kind = kind
        self.path = path
        self.tensor = tensor
        self.message = message
    }

    public var description: String {
        var text = ""
        if let path { text += "\(path): " }
        if let tensor { text += "tensor '\(tensor)' " }
        return text + message
    }
}
