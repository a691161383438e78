import CDinoGEMM

// Element-wise kernels of the forward pass: LayerNorm, GELU (erf), SiLU gating, softmax, bias broadcast.
// Each is a free function, outputs first, then inputs, then sizes; each works on row-major rows in place where it
// can, in 8-wide SIMD (two SSE halves in a baseline x86-64 build; softmax and GELU have AVX2 kernels in C,
// Sources/CDinoGEMM/activations.c), and allocates nothing.

typealias Vec = SIMD8<Float>

@inline(__always) private func load(_ p: UnsafePointer<Float>) -> Vec {
    UnsafeRawPointer(p).loadUnaligned(as: Vec.self)
}

@inline(__always) private func store(_ v: Vec, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vec.self)
}

// Lane-wise max/min as compare-and-select. The standard library's `pointwiseMax`/`clamped` stayed out-of-line
// generic calls in profiles (9% of a batch-8 forward pass); these compile to vmaxps/vminps.
@inline(__always) private func vmax(_ a: Vec, _ b: Vec) -> Vec { a.replacing(with: b, where: a .< b) }
@inline(__always) private func vmin(_ a: Vec, _ b: Vec) -> Vec { a.replacing(with: b, where: a .> b) }
@inline(__always) private func vclamp(_ x: Vec, _ lo: Float, _ hi: Float) -> Vec {
    vmin(vmax(x, Vec(repeating: lo)), Vec(repeating: hi))
}

/// e^x, 8 lanes at once: Cephes' expf (range reduction by ln 2, degree-6 polynomial), within 2 ulp.
@inline(__always) func vexp(_ x: Vec) -> Vec {
    let x = vclamp(x, -87.3, 88.7)
    // Round x·log2(e) to an integer n by adding 1.5·2²³: the sum's low mantissa bits then hold n (|n| < 2²²),
    // which avoids Swift's generic float-to-int vector conversion (slow) and gives 2ⁿ by integer arithmetic.
    let magic = x * 1.44269504088896341 + 12582912
    let n = magic - 12582912
    var r = x - n * 0.693359375
    r = r + n * 2.12194440e-4
    var p = Vec(repeating: 1.9875691500e-4)
    p = p * r + 1.3981999507e-3
    p = p * r + 8.3334519073e-3
    p = p * r + 4.1665795894e-2
    p = p * r + 1.6666665459e-1
    p = p * r + 5.0000001201e-1
    p = p * r * r + r + 1
    let bits = (unsafeBitCast(magic, to: SIMD8<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
    return p * unsafeBitCast(bits, to: Vec.self)
}

/// erf(x), 8 lanes at once: the rational approximation Eigen and XLA use for float (clamped to ±4, where erf is ±1
/// in float), within a few ulp.
@inline(__always) func verf(_ x: Vec) -> Vec {
    let x = vclamp(x, -4, 4)
    let x2 = x * x
    var p = x2 * -2.72614225801306e-10 + 2.77068142495902e-08
    p = x2 * p + -2.10102402082508e-06
    p = x2 * p + -5.69250639462346e-05
    p = x2 * p + -7.34990630326855e-04
    p = x2 * p + -2.95459980854025e-03
    p = x2 * p + -1.60960333262415e-02
    p = x * p
    var q = x2 * -1.45660718464996e-05 + -2.13374055278905e-04
    q = x2 * q + -1.68282697438203e-03
    q = x2 * q + -7.37332916720468e-03
    q = x2 * q + -1.42647390514189e-02
    return p / q
}

/// Applies `body` to `count` floats 8 at a time; the tail goes through a zero-padded vector.
@inline(__always) private func forEachVector(
    _ x: UnsafeMutablePointer<Float>, _ count: Int, _ body: (Vec) -> Vec
) {
    var i = 0
    while i + 8 <= count {
        store(body(load(x + i)), x + i)
        i += 8
    }
    if i < count {
        var tail = Vec(repeating: 0)
        for j in 0..<(count - i) { tail[j] = x[i + j] }
        let result = body(tail)
        for j in 0..<(count - i) { x[i + j] = result[j] }
    }
}

/// x ← GELU(x) = x/2 · (1 + erf(x/√2)), the exact (not tanh) GELU of the reference; parallel over slices.
func geluInPlace(_ x: UnsafeMutablePointer<Float>, count: Int) {
    let chunk = 4096
    parallelFor((count + chunk - 1) / chunk) { chunks, _ in
        let start = chunks.lowerBound * chunk, end = min(chunks.upperBound * chunk, count)
        if dino_gelu(x + start, Int64(end - start)) != 0 { return }  // AVX2/FMA in C where the CPU has them
        forEachVector(x + start, end - start) { v in v * 0.5 * (1 + verf(v * 0.70710678118654752)) }
    }
}

/// out[r, j] = SiLU(x[r, j]) · x[r, hidden + j] for rows of 2·hidden values (the SwiGLU gate and value halves).
func swiglu(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, rows: Int, hidden: Int) {
    precondition(hidden % 8 == 0, "SwiGLU width must be a multiple of 8")  // the reference rounds it up to one
    parallelFor(rows) { slice, _ in for r in slice {
        let gate = x + r * 2 * hidden, value = gate + hidden, o = out + r * hidden
        for j in stride(from: 0, to: hidden, by: 8) {
            let g = load(gate + j)
            store(g / (1 + vexp(-g)) * load(value + j), o + j)
        }
    } }
}

/// The first `count` (< 8) lanes from `p`, the others `fill`.
@inline(__always) private func loadPartial(_ p: UnsafePointer<Float>, _ count: Int, fill: Float) -> Vec {
    var v = Vec(repeating: fill)
    for j in 0..<count { v[j] = p[j] }
    return v
}

/// Each row of `rows × width` values ← softmax(row), in place.
func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
    // AVX2/FMA in C where the CPU has them (Sources/CDinoGEMM/activations.c): this Swift code is compiled for baseline
    // x86-64, where SIMD8 runs as two SSE halves.
    if dino_softmax_rows(x, Int64(rows), Int64(width)) == 0 { softmaxRowsPortable(x, rows: rows, width: width) }
}

/// `softmaxRows` without the C kernel (CPUs without AVX2, and the test that compares the two).
func softmaxRowsPortable(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
    let whole = width & ~7, tail = width - whole
    for r in 0..<rows {
        let row = x + r * width
        var maxV = loadPartial(row + whole, tail, fill: -.infinity)
        for j in stride(from: 0, to: whole, by: 8) { maxV = vmax(maxV, load(row + j)) }
        let m = maxV.max()
        var sumV = Vec(repeating: 0)
        for j in stride(from: 0, to: whole, by: 8) {
            let e = vexp(load(row + j) - m)
            store(e, row + j)
            sumV += e
        }
        var tailExp = vexp(loadPartial(row + whole, tail, fill: 0) - m)
        for j in 0..<8 where j >= tail { tailExp[j] = 0 }
        for j in 0..<tail { row[whole + j] = tailExp[j] }
        sumV += tailExp
        let inverse = 1 / sumV.sum()
        for j in stride(from: 0, to: whole, by: 8) { store(load(row + j) * inverse, row + j) }
        for j in 0..<tail { row[whole + j] *= inverse }
    }
}

/// out[r] = LayerNorm(x[r]) · weight + bias for `rows` rows of `width` values (two-pass mean and variance).
func layerNorm(
    _ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    bias: UnsafePointer<Float>, rows: Int, width: Int, epsilon: Float
) {
    precondition(width % 8 == 0, "LayerNorm width must be a multiple of 8")
    parallelFor(rows) { slice, _ in for r in slice {
        let row = x + r * width, o = out + r * width
        var s = Vec(repeating: 0)
        for j in stride(from: 0, to: width, by: 8) { s += load(row + j) }
        let mean = s.sum() / Float(width)
        var v = Vec(repeating: 0)
        for j in stride(from: 0, to: width, by: 8) {
            let d = load(row + j) - mean
            v += d * d
        }
        let rstd = 1 / (v.sum() / Float(width) + epsilon).squareRoot()
        for j in stride(from: 0, to: width, by: 8) {
            store((load(row + j) - mean) * rstd * load(weight + j) + load(bias + j), o + j)
        }
    } }
}

/// Every row of `rows × width` values ← `vector` (broadcast; a GEMM with beta = 1 then adds onto it).
/// Split across the pool: done serially, the other thread spun idle in OpenMP's barrier meanwhile.
func broadcastRows(_ out: UnsafeMutablePointer<Float>, _ vector: UnsafePointer<Float>, rows: Int, width: Int) {
    parallelFor(rows) { slice, _ in
        for r in slice { (out + r * width).update(from: vector, count: width) }
    }
}

/// Every row of `rows × width` values ← row + `vector`.
func addRows(_ out: UnsafeMutablePointer<Float>, _ vector: UnsafePointer<Float>, rows: Int, width: Int) {
    parallelFor(rows) { slice, _ in
        for r in slice {
            let o = out + r * width
            for j in 0..<width { o[j] += vector[j] }
        }
    }
}
