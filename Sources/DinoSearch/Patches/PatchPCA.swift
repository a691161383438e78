import CDinoLAPACK
import Foundation

/// The patch tokens of one image: a `rows × columns` grid of `width`-dimensional tokens after the final LayerNorm.
public struct PatchTokens: Sendable {
    public var rows: Int, columns: Int, width: Int
    /// `rows · columns · width` floats, the grid row by row (transformers' `last_hidden_state[:, 1 + registers:]`).
    public var tokens: [Float]
    /// The register tokens (`registers · width` floats) of models that have them, else empty.
    public var registers: [Float]
    /// The CLS token after the final LayerNorm (not normalised).
    public var cls: [Float]

    public init(rows: Int, columns: Int, width: Int, tokens: [Float], registers: [Float] = [], cls: [Float] = []) {
        precondition(tokens.count == rows * columns * width, "tokens must be rows · columns · width floats")
        self.rows = rows
        self.columns = columns
        self.width = width
        self.tokens = tokens
        self.registers = registers
        self.cls = cls
    }

    var count: Int { rows * columns }

    /// Whether patch `i` (row-major) touches the grid's edge.
    func isBorder(_ i: Int) -> Bool {
        let r = i / columns, c = i % columns
        return r == 0 || c == 0 || r == rows - 1 || c == columns - 1
    }
}

/// One image's PCA map: which patches are foreground, and their colours (black for background).
public struct PatchMap: Sendable, Equatable {
    public var rows: Int, columns: Int
    /// `rows · columns` flags, row-major.
    public var foreground: [Bool]
    /// `rows · columns · 3` bytes, RGB, row-major.
    public var colors: [UInt8]

    /// The map as an RGB picture of `width × height` pixels (rows packed), each pixel taking the colour of the
    /// patch it falls in (nearest-neighbour upsampling, as the DINOv2 authors' demo draws it).
    public func rendered(width: Int, height: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            let row = y * rows / height
            for x in 0..<width {
                let patch = (row * columns + x * columns / width) * 3
                out[(y * width + x) * 3] = colors[patch]
                out[(y * width + x) * 3 + 1] = colors[patch + 1]
                out[(y * width + x) * 3 + 2] = colors[patch + 2]
            }
        }
        return out
    }
}

/// Why a PCA could not be fitted.
public struct PatchPCAError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// The PCA of DINOv2 patch features that draws the paper's maps (its Fig. 1 and 9), fitted on the tokens of one or
/// more images together so that the same parts of objects of one kind get the same colours:
/// 1. a PCA of all patch tokens (centred); the first component's sign is chosen so that patches on the image
///    borders score lower on average than the others (background is usually at the border);
/// 2. foreground = score on that component > `threshold` (0: the paper's "negative score" rule);
/// 3. a second PCA, of the foreground tokens, three components, each signed so that its largest-magnitude loading
///    is positive, scaled to 0–255 by its minimum and maximum over the foreground tokens: red, green, blue.
/// The eigen-decompositions are LAPACK's (`dsyevd`, in double precision).
///
/// ```swift
/// let pca = try PatchPCA(fitting: [tokensA, tokensB])
/// let picture = pca.map(tokensA).rendered(width: 1024, height: 768)   // RGB bytes
/// ```
public struct PatchPCA: Sendable {
    public let threshold: Double
    let width: Int
    let mean: [Double], first: [Double]
    let foregroundMean: [Double]
    /// Three components, each `width` loadings (fewer when the foreground has fewer than four tokens).
    let components: [[Double]]
    let minimum: [Double], maximum: [Double]

    /// Fits both PCAs on the tokens of `images` together.
    /// - Throws: `PatchPCAError` when there are no tokens, the widths differ, or LAPACK fails.
    public init(fitting images: [PatchTokens], threshold: Double = 0) throws(PatchPCAError) {
        guard let width = images.first?.width, images.allSatisfy({ $0.width == width }), images.contains(where: { $0.count > 0 })
        else { throw PatchPCAError(description: "a PCA needs patch tokens of one width") }
        self.threshold = threshold
        self.width = width
        let all = images.flatMap { image in (0..<image.count).map { (image, $0) } }
        let fit = try Self.principal(all.map { Self.token($0.0, $0.1) }, width: width, count: 1)!
        var first = fit.components[0]
        mean = fit.mean

        // Sign: border patches must score lower on average than the rest. (Negating the component negates every
        // score exactly, so the scores are computed once.)
        var scores = all.map { Self.project(Self.token($0.0, $0.1), fit.mean, first) }
        var border = (sum: 0.0, n: 0), inner = (sum: 0.0, n: 0)
        for ((image, i), score) in zip(all, scores) {
            if image.isBorder(i) { border = (border.sum + score, border.n + 1) } else { inner = (inner.sum + score, inner.n + 1) }
        }
        if border.n > 0 && inner.n > 0 && border.sum / Double(border.n) > inner.sum / Double(inner.n) {
            first = first.map { -$0 }
            scores = scores.map { -$0 }
        }
        self.first = first

        let foreground = zip(all, scores).filter { $0.1 > threshold }.map { Self.token($0.0.0, $0.0.1) }
        guard foreground.count >= 2, let second = try Self.principal(foreground, width: width, count: min(3, foreground.count - 1))
        else {  // too few foreground patches to fit colours: they are drawn white
            (foregroundMean, components, minimum, maximum) = ([Double](repeating: 0, count: width), [], [], [])
            return
        }
        foregroundMean = second.mean
        // Sign: each component's largest-magnitude loading is positive.
        components = second.components.map { c in
            let largest = c.indices.max { abs(c[$0]) < abs(c[$1]) }!
            return c[largest] < 0 ? c.map { -$0 } : c
        }
        var low = [Double](repeating: .infinity, count: components.count), high = low.map { -$0 }
        for token in foreground {
            for (k, c) in components.enumerated() {
                let p = Self.project(token, foregroundMean, c)
                low[k] = min(low[k], p)
                high[k] = max(high[k], p)
            }
        }
        (minimum, maximum) = (low, high)
    }

    /// The map of one image's tokens under this fit.
    public func map(_ image: PatchTokens) -> PatchMap {
        precondition(image.width == width, "tokens of another width than the fit")
        var foreground = [Bool](repeating: false, count: image.count)
        var colors = [UInt8](repeating: 0, count: image.count * 3)
        for i in 0..<image.count {
            let token = Self.token(image, i)
            guard Self.project(token, mean, first) > threshold else { continue }
            foreground[i] = true
            for k in 0..<3 {
                guard k < components.count else { colors[i * 3 + k] = 255; continue }
                let range = maximum[k] - minimum[k]
                let scaled = range > 0 ? 255 * (Self.project(token, foregroundMean, components[k]) - minimum[k]) / range : 0
                // NaN (a model with NaN weights) draws black rather than trapping in the conversion.
                colors[i * 3 + k] = scaled.isNaN ? 0 : UInt8(min(max(scaled.rounded(.toNearestOrEven), 0), 255))
            }
        }
        return PatchMap(rows: image.rows, columns: image.columns, foreground: foreground, colors: colors)
    }

    private static func token(_ image: PatchTokens, _ i: Int) -> ArraySlice<Float> {
        image.tokens[(i * image.width)..<((i + 1) * image.width)]
    }

    private static func project(_ token: ArraySlice<Float>, _ mean: [Double], _ direction: [Double]) -> Double {
        var sum = 0.0
        for (j, v) in token.enumerated() { sum += (Double(v) - mean[j]) * direction[j] }
        return sum
    }

    /// Mean and the `count` leading principal directions (largest variance first) of `tokens`; nil for none.
    private static func principal(
        _ tokens: [ArraySlice<Float>], width: Int, count: Int
    ) throws(PatchPCAError) -> (mean: [Double], components: [[Double]])? {
        guard !tokens.isEmpty, count > 0 else { return nil }
        var mean = [Double](repeating: 0, count: width)
        for token in tokens { for (j, v) in token.enumerated() { mean[j] += Double(v) } }
        for j in 0..<width { mean[j] /= Double(tokens.count) }
        var centred = [Double](repeating: 0, count: tokens.count * width)
        for (i, token) in tokens.enumerated() {
            for (j, v) in token.enumerated() { centred[i * width + j] = Double(v) - mean[j] }
        }
        // The covariance up to a positive factor, which changes neither the directions nor their order.
        var gram = [Double](repeating: 0, count: width * width)
        dino_gram(Int32(tokens.count), Int32(width), centred, &gram)
        var values = [Double](repeating: 0, count: width)
        let info = dino_symmetric_eigen(Int32(width), &gram, &values)
        guard info == 0 else { throw PatchPCAError(description: "LAPACK's dsyevd failed (info \(info))") }
        // Ascending eigenvalues: the leading directions are the last rows.
        let components = (0..<min(count, width)).map { k in
            let row = width - 1 - k
            return Array(gram[(row * width)..<((row + 1) * width)])
        }
        return (mean, components)
    }
}
