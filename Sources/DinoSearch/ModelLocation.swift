import DinoModel
import Foundation

/// Where the DINOv2 checkpoint comes from: `--model`, else `$DINOSEARCH_MODEL`, else the cached
/// facebook/dinov2-small that `dinosearch model download small` fetches.
public enum ModelLocation {
    /// The model path in force.
    /// - Throws: `ModelError(.unreadable)` saying how to provide a model when none is found.
    public static func resolve(_ explicit: String? = nil) throws(ModelError) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        if let fromEnvironment = ProcessInfo.processInfo.environment["DINOSEARCH_MODEL"], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        let cached = ModelCache.folder(for: PublishedModel(.small))
        if FileManager.default.fileExists(atPath: (cached as NSString).appendingPathComponent("model.safetensors")) {
            return cached
        }
        throw ModelError(
            .unreadable,
            "no model: run `dinosearch model download small`, or pass --model PATH / set DINOSEARCH_MODEL to a "
                + "facebook/dinov2-* model.safetensors (or its folder)")
    }
}
