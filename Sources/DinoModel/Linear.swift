import CDinoGEMM

/// C[m×n] = alpha · op(A) · op(B) + beta · C, row-major, through oneDNN (see CDinoGEMM for why oneDNN).
@inline(__always) func gemm(
    transposeA: Bool = false, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
    _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
    beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int
) {
    let status = dino_sgemm(
        transposeA ? 84 : 78, transposeB ? 84 : 78, Int64(m), Int64(n), Int64(k), alpha, a, Int64(lda), b,
        Int64(ldb), beta, c, Int64(ldc))
    precondition(status == 0, "dnnl_sgemm rejected its arguments (status \(status))")
}

/// A fully connected layer as PyTorch stores it: weight [out, in], bias [out].
struct Linear: Sendable {
    let weight: FloatBuffer
    let bias: FloatBuffer
    let inputs: Int
    let outputs: Int

    init(weight: [Float], bias: [Float], inputs: Int, outputs: Int, scale: [Float]? = nil) {
        precondition(weight.count == inputs * outputs && bias.count == outputs)
        self.inputs = inputs
        self.outputs = outputs
        if let scale {
            // LayerScale folded in: diag(γ)·(W x + b) = (diag(γ) W) x + γ b, so the residual add becomes the GEMM's.
            var w = weight, b = bias
            for o in 0..<outputs {
                for i in 0..<inputs { w[o * inputs + i] *= scale[o] }
                b[o] *= scale[o]
            }
            self.weight = FloatBuffer(w)
            self.bias = FloatBuffer(b)
        } else {
            self.weight = FloatBuffer(weight)
            self.bias = FloatBuffer(bias)
        }
    }

    /// out[rows × outputs] = x · Wᵀ + b.
    func apply(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, rows: Int) {
        broadcastRows(out, bias.pointer, rows: rows, width: outputs)
        multiplyAdding(out, x, rows: rows)
    }

    /// out[rows × outputs] += x · Wᵀ + b: the residual connection, with the GEMM doing the addition.
    func accumulate(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, rows: Int) {
        addRows(out, bias.pointer, rows: rows, width: outputs)
        multiplyAdding(out, x, rows: rows)
    }

    private func multiplyAdding(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, rows: Int) {
        gemm(transposeB: true, m: rows, n: outputs, k: inputs, x, lda: inputs, weight.pointer, ldb: inputs,
             beta: 1, out, ldc: outputs)
    }
}
