// Resizing the checkpoint's grid of position embeddings to the input's grid of patches.
// Mirrors `interpolate_pos_encoding` in transformers' modeling_dinov2.py (bicubic, align_corners=False),
// modeling_dinov2_with_registers.py (the same with antialias=True) and facebookresearch/dinov2's
// vision_transformer.py (scale_factor = (size + offset) / grid), which all call torch's `interpolate`; the weights
// below follow torch's CPU kernels (UpSampleKernel.cpp) so the result matches to float rounding.

/// How a checkpoint's position grid is resized to another patch grid.
public struct PositionInterpolation: Sendable, Hashable, Codable {
    /// Added to the target size to form torch's `scale_factor` (facebookresearch/dinov2's `interpolate_offset`);
    /// 0 means the target size is passed directly, as transformers does.
    public var offset: Double
    /// Whether the bicubic filter is widened when shrinking (torch's `antialias=True`, PIL's resampling).
    public var antialias: Bool

    /// transformers' `Dinov2Model`.
    public static let transformers = PositionInterpolation(offset: 0, antialias: false)
    /// transformers' `Dinov2WithRegistersModel`, and facebookresearch/dinov2's `*_reg` models.
    public static let transformersRegisters = PositionInterpolation(offset: 0, antialias: true)
    /// facebookresearch/dinov2's models without registers (`interpolate_offset=0.1`, no antialias).
    public static let original = PositionInterpolation(offset: 0.1, antialias: false)

    /// For each output index along one axis, the input indices and weights that make it.
    func axisWeights(inputSize: Int, outputSize: Int) -> [[(index: Int, weight: Float)]] {
        // torch: compute_scales_value = scale given ? 1 / scale_factor : input / output, as float.
        let scale = offset == 0
            ? Float(inputSize) / Float(outputSize)
            : Float(1.0 / ((Double(outputSize) + offset) / Double(inputSize)))
        return (0..<outputSize).map { i in
            antialias
                ? Self.antialiasedWeights(i, inputSize: inputSize, scale: scale)
                : Self.bicubicWeights(i, inputSize: inputSize, scale: scale)
        }
    }

    /// torch's upsample_bicubic2d: Keys' cubic with A = -0.75 on the 4 nearest inputs, indices clamped at the edges.
    private static func bicubicWeights(_ i: Int, inputSize: Int, scale: Float) -> [(index: Int, weight: Float)] {
        let a: Float = -0.75
        let real = scale * (Float(i) + 0.5) - 0.5
        let floorValue = real.rounded(.down)
        let t = real - floorValue
        let near = { (x: Float) in ((a + 2) * x - (a + 3)) * x * x + 1 }
        let far = { (x: Float) in ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }
        let weights = [far(t + 1), near(t), near(1 - t), far(2 - t)]
        return (0..<4).map { k in
            (index: min(max(Int(floorValue) - 1 + k, 0), inputSize - 1), weight: weights[k])
        }
    }

    /// torch's _upsample_bicubic2d_aa (PIL's algorithm): Keys' cubic with A = -0.5, stretched by the scale when
    /// shrinking, truncated at the edges and normalised to sum 1.
    private static func antialiasedWeights(_ i: Int, inputSize: Int, scale: Float) -> [(index: Int, weight: Float)] {
        let a: Float = -0.5
        let filter = { (x: Float) -> Float in
            let x = abs(x)
            if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
            if x < 2 { return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }
            return 0
        }
        let support: Float = scale >= 1 ? 2 * scale : 2
        let center = scale * (Float(i) + 0.5)
        let inverse: Float = scale >= 1 ? 1 / scale : 1
        let start = max(Int(center - support + 0.5), 0)
        let end = min(Int(center + support + 0.5), inputSize)
        var weights = (start..<end).map { j in filter((Float(j) - center + 0.5) * inverse) }
        let total = weights.reduce(0, +)
        if total != 0 { weights = weights.map { $0 / total } }
        return zip(start..<end, weights).map { (index: $0, weight: $1) }
    }

    /// Resizes a `grid × grid` array of `width`-wide embeddings (row-major, position-major) to `rows × columns`.
    func resize(_ embeddings: [Float], grid: Int, width: Int, rows: Int, columns: Int) -> [Float] {
        if rows == grid && columns == grid { return embeddings }  // the reference skips interpolation here too
        let across = axisWeights(inputSize: grid, outputSize: columns)
        let down = axisWeights(inputSize: grid, outputSize: rows)
        // Along x first: [grid, columns, width], then along y: [rows, columns, width].
        var horizontal = [Float](repeating: 0, count: grid * columns * width)
        for y in 0..<grid {
            for x in 0..<columns {
                let out = (y * columns + x) * width
                for (index, weight) in across[x] {
                    let from = (y * grid + index) * width
                    for c in 0..<width { horizontal[out + c] += weight * embeddings[from + c] }
                }
            }
        }
        var result = [Float](repeating: 0, count: rows * columns * width)
        for y in 0..<rows {
            for (index, weight) in down[y] {
                for x in 0..<columns {
                    let out = (y * columns + x) * width, from = (index * columns + x) * width
                    for c in 0..<width { result[out + c] += weight * horizontal[from + c] }
                }
            }
        }
        return result
    }
}
