import Foundation

/// A fresh temporary store directory, removed when the test's scope ends.
public final class TemporaryDirectory: Sendable {
    public let path: String
    public init() {
        path = NSTemporaryDirectory() + "dinosearch-test-" + UUID().uuidString
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    public var store: String { path + "/store" }
}

/// A built product next to the test bundle (`swift build` puts executables and tests in one folder).
public func builtProduct(_ name: String) -> String {
    var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    while !FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path) && folder.path != "/" {
        folder.deleteLastPathComponent()
    }
    return folder.appendingPathComponent(name).path
}

/// Files of the repository that several test targets use.
public enum RepositoryFiles {
    /// The repository's root.
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    /// The tiny random ViT of the encoder tests (transformers' Dinov2Model, 2 layers, width 128).
    public static let fixtureModel = root.appendingPathComponent("Tests/DinoModelTests/Fixtures/plain/model.safetensors").path
    /// The example photos (7 JPEGs from Debian's mate-backgrounds).
    public static let photos = root.appendingPathComponent("examples/photos").path
}
