import CDinoGEMM
import Foundation
import Synchronization

/// What one forward pass returns for a batch of images.
public struct EncoderOutput: Sendable {
    /// Images in the batch.
    public var batch: Int
    /// Embedding width D.
    public var width: Int
    /// Patch grid of the input (height / patch, width / patch).
    public var gridRows: Int, gridColumns: Int
    /// CLS tokens after the final LayerNorm (transformers' `pooler_output`), [batch, D], not normalised.
    public var cls: [Float]
    /// Patch tokens after the final LayerNorm, [batch, rows·columns, D] (row-major grid); empty unless asked for.
    public var patches: [Float]
    /// Register tokens after the final LayerNorm, [batch, registers, D], for models that have them; empty unless
    /// patches were asked for.
    public var registers: [Float] = []

    /// Image `i`'s CLS token scaled to unit length: the vector that goes into the index.
    public func embedding(_ i: Int) -> [Float] {
        let v = cls[(i * width)..<((i + 1) * width)]
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return v.map { $0 / max(norm, .leastNormalMagnitude) }
    }
}

/// A DINOv2 vision transformer that turns preprocessed images into CLS (and patch) embeddings.
///
/// Load a published checkpoint and embed a batch:
/// ```swift
/// let encoder = try DinoEncoder(contentsOf: "dinov2-small/")   // folder with model.safetensors + config.json
/// let out = try encoder.encode(pixels, batch: 8, height: 224, width: 224)
/// let vector = out.embedding(0)                                 // 384 floats, unit length
/// ```
/// Mirrors transformers' `Dinov2Model` / `Dinov2WithRegistersModel` (modeling_dinov2*.py) block for block.
/// Safe to share between tasks: each forward pass takes its own scratch space from a pool.
public final class DinoEncoder: Sendable {
    /// The architecture inferred from the checkpoint.
    public let architecture: DinoArchitecture
    /// The checkpoint file the weights came from.
    public let path: String
    /// Identifies the weights: architecture name plus a 128-bit hash of the header and a sample of the data.
    public let fingerprint: String

    struct Block: Sendable {
        let norm1Weight: FloatBuffer, norm1Bias: FloatBuffer
        let qkv: Linear  // query, key, value stacked: [3D, D]
        let output: Linear  // attention.output.dense with layer_scale1 folded in
        let norm2Weight: FloatBuffer, norm2Bias: FloatBuffer
        let mlpIn: Linear  // fc1 [H, D], or SwiGLU weights_in [2H, D]
        let mlpOut: Linear  // fc2 / weights_out [D, H] with layer_scale2 folded in
    }

    let patchEmbedding: Linear  // conv 14×14 stride 14 as a GEMM over unfolded patches: [D, 3·p·p]
    let clsToken: [Float]
    let registerTokens: [Float]
    let positionGrid: [Float]  // [grid², D], the patch part of position_embeddings
    let clsPosition: [Float]
    let blocks: [Block]
    let finalNormWeight: FloatBuffer, finalNormBias: FloatBuffer

    private let resizedPositions = Mutex<[SIMD2<Int32>: FloatBuffer]>([:])
    private let workspaces = Mutex<[Workspace]>([])

    /// Loads a checkpoint: a `.safetensors` file, or a folder holding `model.safetensors` (and `config.json`).
    /// - Throws: `ModelError` naming the file and tensor when the file is unreadable, malformed, lacks a tensor or
    ///   has one of the wrong shape.
    public convenience init(contentsOf path: String) throws(ModelError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ModelError(.unreadable, path: path, "does not exist")
        }
        let folder = isDirectory.boolValue ? path : (path as NSString).deletingLastPathComponent
        let file = isDirectory.boolValue ? (path as NSString).appendingPathComponent("model.safetensors") : path
        var config: [String: Any] = [:]
        let configPath = (folder as NSString).appendingPathComponent("config.json")
        if let data = FileManager.default.contents(atPath: configPath) {
            guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw ModelError(.malformed, path: configPath, "is not a JSON object")
            }
            config = object
        }
        try self.init(checkpoint: Checkpoint(file: SafeTensorsFile(path: file), config: config))
    }

    init(checkpoint c: Checkpoint) throws(ModelError) {
        let arch = try c.architecture()
        let d = arch.width, p = arch.patchSize, h = arch.mlpWidth
        architecture = arch
        path = c.path

        patchEmbedding = Linear(
            weight: try c.tensor(c.patchWeight, [d, 3, p, p]), bias: try c.tensor(c.patchBias, [d]),
            inputs: 3 * p * p, outputs: d)
        clsToken = try c.tensor(c.clsToken, [1, 1, d])
        registerTokens = arch.registerCount > 0 ? try c.tensor(c.registers, [1, arch.registerCount, d]) : []
        let positions = try c.tensor(c.positions, [1, 1 + arch.positionGrid * arch.positionGrid, d])
        clsPosition = Array(positions[0..<d])
        positionGrid = Array(positions[d...])

        var blocks: [Block] = []
        for i in 0..<arch.depth {
            let stem = c.layer(i)
            let qkv = try c.qkv(layer: i, width: d)
            let mlpRows = arch.usesSwiGLU ? 2 * h : h
            let inName = arch.usesSwiGLU ? c.swigluIn : "mlp.fc1", outName = arch.usesSwiGLU ? c.swigluOut : "mlp.fc2"
            blocks.append(Block(
                norm1Weight: FloatBuffer(try c.tensor(stem + "norm1.weight", [d])),
                norm1Bias: FloatBuffer(try c.tensor(stem + "norm1.bias", [d])),
                qkv: Linear(weight: qkv.weight, bias: qkv.bias, inputs: d, outputs: 3 * d),
                output: Linear(
                    weight: try c.tensor(stem + c.attentionOutput + ".weight", [d, d]),
                    bias: try c.tensor(stem + c.attentionOutput + ".bias", [d]), inputs: d, outputs: d,
                    scale: try c.tensor(stem + c.layerScale1, [d])),
                norm2Weight: FloatBuffer(try c.tensor(stem + "norm2.weight", [d])),
                norm2Bias: FloatBuffer(try c.tensor(stem + "norm2.bias", [d])),
                mlpIn: Linear(
                    weight: try c.tensor(stem + inName + ".weight", [mlpRows, d]),
                    bias: try c.tensor(stem + inName + ".bias", [mlpRows]), inputs: d, outputs: mlpRows),
                mlpOut: Linear(
                    weight: try c.tensor(stem + outName + ".weight", [d, h]),
                    bias: try c.tensor(stem + outName + ".bias", [d]), inputs: h, outputs: d,
                    scale: try c.tensor(stem + c.layerScale2, [d]))))
        }
        self.blocks = blocks
        finalNormWeight = FloatBuffer(try c.tensor(c.finalNorm + ".weight", [d]))
        finalNormBias = FloatBuffer(try c.tensor(c.finalNorm + ".bias", [d]))
        fingerprint = "\(arch.name.replacingOccurrences(of: " ", with: ""))-\(Self.hash(c.file.fingerprintBytes()))"
    }

    /// Two FNV-1a 64-bit hashes with different offsets, as 32 hex digits: enough to tell checkpoints apart
    /// (this guards against mixing models in one store, not against an adversary).
    private static func hash(_ parts: [Data]) -> String {
        var a: UInt64 = 0xcbf2_9ce4_8422_2325, b: UInt64 = 0x6c62_272e_07bb_0142
        for part in parts {
            part.withUnsafeBytes { raw in
                for byte in raw {
                    a = (a ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
                    b = (b ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 ^ (b >> 29)
                }
            }
        }
        return String(format: "%016llx%016llx", a, b)
    }

    /// Runs the encoder on `batch` images of `height × width` pixels, channels first and already normalised
    /// (`pixels.count == batch · 3 · height · width`).
    /// - Parameter includePatches: also return the patch tokens (for patch-level tools such as PCA maps).
    /// - Throws: `ModelError.badInput` when the sizes are not positive multiples of the patch size or the pixel
    ///   count does not match.
    public func encode(
        _ pixels: [Float], batch: Int, height: Int, width: Int, includePatches: Bool = false
    ) throws(ModelError) -> EncoderOutput {
        let p = architecture.patchSize
        guard batch > 0, height >= p, width >= p, height % p == 0, width % p == 0 else {
            throw ModelError(.badInput, "input \(height)×\(width) is not a positive multiple of the \(p)-pixel patch")
        }
        guard pixels.count == batch * 3 * height * width else {
            throw ModelError(.badInput, "expected \(batch * 3 * height * width) pixel values, got \(pixels.count)")
        }
        let rows = height / p, columns = width / p
        let positions = positions(rows: rows, columns: columns)
        let workspace = takeWorkspace(batch: batch, tokens: 1 + architecture.registerCount + rows * columns)
        defer { giveBack(workspace) }
        return pixels.withUnsafeBufferPointer { input in
            forward(input.baseAddress!, batch: batch, rows: rows, columns: columns, positions: positions,
                    workspace: workspace, includePatches: includePatches)
        }
    }

    /// Position embeddings resized to a patch grid, computed once per grid and kept.
    private func positions(rows: Int, columns: Int) -> FloatBuffer {
        let key = SIMD2(Int32(rows), Int32(columns))
        if let cached = resizedPositions.withLock({ $0[key] }) { return cached }
        let resized = FloatBuffer(architecture.interpolation.resize(
            positionGrid, grid: architecture.positionGrid, width: architecture.width, rows: rows, columns: columns))
        resizedPositions.withLock { cache in
            if cache.count >= Self.keptSizes { cache.removeAll() }  // images of many sizes (patch maps): stay bounded
            cache[key] = resized
        }
        return resized
    }

    /// Scratch spaces and position grids kept for this many input sizes at most: one size (224²) in indexing,
    /// many in patch maps of photos of every aspect ratio, where a 1,022-pixel input's workspace is ~300 MB.
    static let keptSizes = 4

    /// Returns a workspace to the pool, dropping the oldest beyond `keptSizes`.
    private func giveBack(_ workspace: Workspace) {
        workspaces.withLock { pool in
            pool.append(workspace)
            if pool.count > Self.keptSizes { pool.removeFirst() }
        }
    }

    private func takeWorkspace(batch: Int, tokens: Int) -> Workspace {
        let found = workspaces.withLock { pool -> Workspace? in
            guard let i = pool.firstIndex(where: { $0.fits(batch: batch, tokens: tokens) }) else { return nil }
            return pool.remove(at: i)
        }
        return found ?? Workspace(architecture: architecture, batch: batch, tokens: tokens)
    }
}
