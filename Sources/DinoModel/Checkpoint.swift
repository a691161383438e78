import Foundation

/// A DINOv2 checkpoint on disk: a `.safetensors` file in the Hugging Face hub naming
/// (`encoder.layer.N.attention.attention.query.weight`, ...) or facebookresearch/dinov2's own naming
/// (`blocks.N.attn.qkv.weight`, ...), with an optional `config.json` beside it.
///
/// The two namings are mapped onto one set of logical tensors here, so the encoder has a single code path.
struct Checkpoint {
    enum Naming { case hub, original }

    let file: SafeTensorsFile
    let naming: Naming
    /// "dinov2." when the weights were saved from a model that wraps the backbone.
    let prefix: String
    let config: [String: Any]

    init(file: SafeTensorsFile, config: [String: Any]) throws(ModelError) {
        self.file = file
        self.config = config
        let names = file.entries.keys
        if let hubName = names.first(where: { $0.hasSuffix("embeddings.patch_embeddings.projection.weight") }) {
            naming = .hub
            prefix = String(hubName.dropLast("embeddings.patch_embeddings.projection.weight".count))
        } else if let originalName = names.first(where: { $0.hasSuffix("patch_embed.proj.weight") }) {
            naming = .original
            prefix = String(originalName.dropLast("patch_embed.proj.weight".count))
        } else {
            throw ModelError(.missingTensor, path: file.path, tensor: "embeddings.patch_embeddings.projection.weight",
                             "is missing: this is not a DINOv2 checkpoint")
        }
    }

    var path: String { file.path }

    func shape(_ name: String) -> [Int]? { file.entries[prefix + name]?.shape }

    /// The named tensor, checked against `shape`.
    func tensor(_ name: String, _ expected: [Int]) throws(ModelError) -> [Float] {
        guard let entry = file.entries[prefix + name] else {
            throw ModelError(.missingTensor, path: path, tensor: prefix + name, "is missing")
        }
        guard entry.shape == expected else {
            throw ModelError(.badTensor, path: path, tensor: prefix + name,
                             "has shape \(entry.shape), expected \(expected)")
        }
        let values = try file.floats(prefix + name)
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw ModelError(.badTensor, path: path, tensor: prefix + name, "holds a non-finite value at element \(bad)")
        }
        return values
    }

    // Logical tensor names in each naming.
    var patchWeight: String { naming == .hub ? "embeddings.patch_embeddings.projection.weight" : "patch_embed.proj.weight" }
    var patchBias: String { naming == .hub ? "embeddings.patch_embeddings.projection.bias" : "patch_embed.proj.bias" }
    var clsToken: String { naming == .hub ? "embeddings.cls_token" : "cls_token" }
    var positions: String { naming == .hub ? "embeddings.position_embeddings" : "pos_embed" }
    var registers: String { naming == .hub ? "embeddings.register_tokens" : "register_tokens" }
    var finalNorm: String { naming == .hub ? "layernorm" : "norm" }
    func layer(_ i: Int) -> String { naming == .hub ? "encoder.layer.\(i)." : "blocks.\(i)." }
    var attentionOutput: String { naming == .hub ? "attention.output.dense" : "attn.proj" }
    var layerScale1: String { naming == .hub ? "layer_scale1.lambda1" : "ls1.gamma" }
    var layerScale2: String { naming == .hub ? "layer_scale2.lambda1" : "ls2.gamma" }
    var swigluIn: String { naming == .hub ? "mlp.weights_in" : "mlp.w12" }
    var swigluOut: String { naming == .hub ? "mlp.weights_out" : "mlp.w3" }

    /// Query, key and value weights stacked into one [3D, D] matrix (and [3D] bias) for a single GEMM.
    func qkv(layer i: Int, width d: Int) throws(ModelError) -> (weight: [Float], bias: [Float]) {
        let stem = layer(i)
        switch naming {
        case .original:
            return (try tensor(stem + "attn.qkv.weight", [3 * d, d]), try tensor(stem + "attn.qkv.bias", [3 * d]))
        case .hub:
            var weight: [Float] = [], bias: [Float] = []
            for part in ["query", "key", "value"] {
                weight += try tensor(stem + "attention.attention.\(part).weight", [d, d])
                bias += try tensor(stem + "attention.attention.\(part).bias", [d])
            }
            return (weight, bias)
        }
    }

    /// Infers the architecture from tensor shapes; config.json only supplies what shapes cannot tell
    /// (the head count, if it is not width/64, and the LayerNorm epsilon).
    func architecture() throws(ModelError) -> DinoArchitecture {
        guard let patchShape = shape(patchWeight), patchShape.count == 4, patchShape[1] == 3,
              patchShape[2] == patchShape[3], patchShape[2] > 0, patchShape[0] > 0
        else {
            throw ModelError(.badTensor, path: path, tensor: prefix + patchWeight,
                             "has shape \(shape(patchWeight) ?? []), expected [width, 3, patch, patch]")
        }
        let width = patchShape[0], patch = patchShape[2]
        guard width % 8 == 0 else {
            throw ModelError(.badTensor, path: path, tensor: prefix + patchWeight, "has width \(width), not a multiple of 8")
        }
        var depth = 0
        while shape(layer(depth) + "norm1.weight") != nil { depth += 1 }
        guard depth > 0 else {
            throw ModelError(.missingTensor, path: path, tensor: prefix + layer(0) + "norm1.weight", "is missing")
        }
        let heads = config["num_attention_heads"] as? Int ?? width / 64
        guard heads > 0, width % heads == 0 else {
            throw ModelError(.malformed, path: path, "config.json: num_attention_heads \(heads) does not divide width \(width)")
        }
        guard let positionShape = shape(positions), positionShape.count == 3, positionShape[0] == 1,
              positionShape[2] == width
        else {
            throw ModelError(.badTensor, path: path, tensor: prefix + positions,
                             "has shape \(shape(positions) ?? []), expected [1, 1 + grid², \(width)]")
        }
        let grid = Int(Double(positionShape[1] - 1).squareRoot().rounded())
        guard grid > 0, grid * grid + 1 == positionShape[1] else {
            throw ModelError(.badTensor, path: path, tensor: prefix + positions,
                             "holds \(positionShape[1] - 1) patch positions, not a square grid")
        }
        let registerCount = shape(registers).flatMap { $0.count == 3 ? $0[1] : nil } ?? 0
        let usesSwiGLU = shape(layer(0) + swigluIn + ".weight") != nil
        let mlpWidth: Int
        if usesSwiGLU {
            guard let s = shape(layer(0) + swigluIn + ".weight"), s.count == 2, s[0] % 2 == 0, s[1] == width else {
                throw ModelError(.badTensor, path: path, tensor: prefix + layer(0) + swigluIn + ".weight",
                                 "has shape \(shape(layer(0) + swigluIn + ".weight") ?? []), expected [2·hidden, \(width)]")
            }
            mlpWidth = s[0] / 2
        } else {
            guard let s = shape(layer(0) + "mlp.fc1.weight"), s.count == 2, s[1] == width else {
                throw ModelError(.missingTensor, path: path, tensor: prefix + layer(0) + "mlp.fc1.weight",
                                 "is missing or has shape \(shape(layer(0) + "mlp.fc1.weight") ?? []), expected [hidden, \(width)]")
            }
            mlpWidth = s[0]
        }
        let epsilon = (config["layer_norm_eps"] as? Double).map(Float.init) ?? 1e-6
        let interpolation: PositionInterpolation = switch (naming, registerCount > 0) {
        case (.hub, false): .transformers
        case (_, true): .transformersRegisters
        case (.original, false): .original
        }
        return DinoArchitecture(
            width: width, depth: depth, heads: heads, patchSize: patch, registerCount: registerCount,
            mlpWidth: mlpWidth, usesSwiGLU: usesSwiGLU, positionGrid: grid, layerNormEpsilon: epsilon,
            interpolation: interpolation)
    }
}
