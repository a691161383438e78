/// The shape of a DINOv2 vision transformer, inferred from a checkpoint's tensors (and `config.json` if present).
public struct DinoArchitecture: Sendable, Hashable, Codable {
    /// Embedding width D (384 for ViT-S, 768 ViT-B, 1024 ViT-L, 1536 ViT-g).
    public var width: Int
    /// Number of transformer blocks.
    public var depth: Int
    /// Attention heads (width / 64 for every published DINOv2).
    public var heads: Int
    /// Side of the square patches in pixels (14).
    public var patchSize: Int
    /// Register tokens between the CLS token and the patches (0, or 4 for the `*-with-registers` models).
    public var registerCount: Int
    /// Hidden width of the MLP (4·D, or the SwiGLU width).
    public var mlpWidth: Int
    /// Whether the MLP is SwiGLU (`weights_in`/`weights_out`, ViT-g) rather than GELU (`fc1`/`fc2`).
    public var usesSwiGLU: Bool
    /// Side of the checkpoint's square grid of position embeddings (37 for the published 518-pixel models).
    public var positionGrid: Int
    /// LayerNorm epsilon (1e-6).
    public var layerNormEpsilon: Float
    /// How the position grid is resized to other input sizes.
    public var interpolation: PositionInterpolation

    /// A short human name: "ViT-S/14", "ViT-B/14 + 4 registers", ...
    public var name: String {
        let size = [384: "S", 768: "B", 1024: "L", 1536: "g"][width] ?? "\(width)-wide"
        let base = "ViT-\(size)/\(patchSize)"
        return registerCount > 0 ? "\(base) + \(registerCount) registers" : base
    }

    /// Multiply-adds ×2 of one forward pass at `height × width` pixels (what benchmarks divide time by).
    public func flops(height: Int, width inputWidth: Int) -> Double {
        let patches = Double((height / patchSize) * (inputWidth / patchSize))
        let tokens = 1 + Double(registerCount) + patches
        let d = Double(width)
        let mlp = usesSwiGLU ? 3 * d * Double(mlpWidth) : 2 * d * Double(mlpWidth)
        let perLayer = tokens * (4 * d * d + mlp) + 2 * tokens * tokens * d
        return 2 * (Double(depth) * perLayer + patches * d * Double(3 * patchSize * patchSize))
    }
}
