// The forward pass, block by block as transformers' Dinov2Layer: x += LS1·Attn(LN1(x)); x += LS2·MLP(LN2(x)).
// Every matrix product goes through `gemm`; the LayerScales ride inside the output projections (see `Linear`).

extension DinoEncoder {
    func forward(
        _ pixels: UnsafePointer<Float>, batch: Int, rows: Int, columns: Int, positions: FloatBuffer,
        workspace w: Workspace, includePatches: Bool
    ) -> EncoderOutput {
        let a = architecture
        let d = a.width, n = rows * columns, r = a.registerCount, t = 1 + r + n, bt = batch * t

        embed(pixels, batch: batch, rows: rows, columns: columns, positions: positions, workspace: w)
        let x = w.stream.pointer
        for block in blocks {
            layerNorm(w.normed.pointer, x, weight: block.norm1Weight.pointer, bias: block.norm1Bias.pointer,
                      rows: bt, width: d, epsilon: a.layerNormEpsilon)
            attention(block, batch: batch, tokens: t, workspace: w)
            block.output.accumulate(x, w.context.pointer, rows: bt)  // x += LS1 · proj(context)

            layerNorm(w.normed.pointer, x, weight: block.norm2Weight.pointer, bias: block.norm2Bias.pointer,
                      rows: bt, width: d, epsilon: a.layerNormEpsilon)
            block.mlpIn.apply(w.hidden.pointer, w.normed.pointer, rows: bt)
            if a.usesSwiGLU {
                swiglu(w.gated.pointer, w.hidden.pointer, rows: bt, hidden: a.mlpWidth)
                block.mlpOut.accumulate(x, w.gated.pointer, rows: bt)
            } else {
                geluInPlace(w.hidden.pointer, count: bt * a.mlpWidth)
                block.mlpOut.accumulate(x, w.hidden.pointer, rows: bt)  // x += LS2 · fc2(GELU(fc1(·)))
            }
        }

        // Final LayerNorm: on every token if patches are wanted, otherwise only on the CLS rows.
        var cls = [Float](repeating: 0, count: batch * d)
        var patches: [Float] = [], registers: [Float] = []
        if includePatches {
            layerNorm(w.normed.pointer, x, weight: finalNormWeight.pointer, bias: finalNormBias.pointer,
                      rows: bt, width: d, epsilon: a.layerNormEpsilon)
            patches = [Float](repeating: 0, count: batch * n * d)
            registers = [Float](repeating: 0, count: batch * r * d)
            for b in 0..<batch {
                let image = w.normed.pointer + b * t * d  // [CLS, registers..., patches...]
                for j in 0..<d { cls[b * d + j] = image[j] }
                for j in 0..<(r * d) { registers[b * r * d + j] = image[d + j] }
                for j in 0..<(n * d) { patches[b * n * d + j] = image[(1 + r) * d + j] }
            }
        } else {
            cls.withUnsafeMutableBufferPointer { out in
                for b in 0..<batch {
                    layerNorm(out.baseAddress! + b * d, x + b * t * d, weight: finalNormWeight.pointer,
                              bias: finalNormBias.pointer, rows: 1, width: d, epsilon: a.layerNormEpsilon)
                }
            }
        }
        return EncoderOutput(
            batch: batch, width: d, gridRows: rows, gridColumns: columns, cls: cls, patches: patches, registers: registers)
    }

    /// Tokens of every image into the residual stream: [CLS + pos₀, registers..., patchᵢ·W + b + posᵢ].
    private func embed(
        _ pixels: UnsafePointer<Float>, batch: Int, rows: Int, columns: Int, positions: FloatBuffer,
        workspace w: Workspace
    ) {
        let a = architecture
        let p = a.patchSize, d = a.width, n = rows * columns, r = a.registerCount, t = 1 + r + n
        let height = rows * p, width = columns * p, kernel = 3 * p * p
        // Unfold: patch (b, py, px) becomes the row [c, ky, kx], the layout of the conv weight [D, 3, p, p].
        let unfolded = w.patches.pointer
        for b in 0..<batch {
            for py in 0..<rows {
                for px in 0..<columns {
                    let row = unfolded + ((b * n) + py * columns + px) * kernel
                    for c in 0..<3 {
                        for ky in 0..<p {
                            let source = pixels + ((b * 3 + c) * height + py * p + ky) * width + px * p
                            (row + (c * p + ky) * p).update(from: source, count: p)
                        }
                    }
                }
            }
        }
        patchEmbedding.apply(w.embedded.pointer, unfolded, rows: batch * n)  // [B·N, D]

        let x = w.stream.pointer
        for b in 0..<batch {
            let image = x + b * t * d
            for j in 0..<d { image[j] = clsToken[j] + clsPosition[j] }
            for j in 0..<(r * d) { image[d + j] = registerTokens[j] }
            let patchRows = image + (1 + r) * d, embedded = w.embedded.pointer + b * n * d
            for j in 0..<(n * d) { patchRows[j] = embedded[j] + positions.pointer[j] }
        }
    }

    /// Multi-head self-attention of LN1(x) (in `normed`) into `context` [B·T, D], one block of queries of one head
    /// of one image at a time.
    private func attention(_ block: Block, batch: Int, tokens t: Int, workspace w: Workspace) {
        let d = architecture.width, heads = architecture.heads, hd = d / heads
        block.qkv.apply(w.qkv.pointer, w.normed.pointer, rows: batch * t)  // [B·T, 3D]: q | k | v
        let scale = 1 / Float(hd).squareRoot()
        let rows = Workspace.queryBlock(tokens: t), blocks = (t + rows - 1) / rows
        // (image, head, query block) items are independent: each thread takes a share, with its own [rows, T] score
        // matrix, and runs single-threaded GEMMs on it (small matrices parallelise better across items than within
        // one). Blocks keep the scores in cache between the two products and the softmax when T is large.
        parallelFor(batch * heads * blocks) { items, thread in
            let scores = w.scores.pointer + thread * rows * t
            for item in items {
                let b = item / (heads * blocks), h = item / blocks % heads, first = item % blocks * rows
                let m = min(rows, t - first)
                let qh = w.qkv.pointer + b * t * 3 * d + h * hd, kh = qh + d, vh = qh + 2 * d
                // scores [m, T] = scale · Q[first ..< first + m] Kᵀ
                gemm(transposeB: true, m: m, n: t, k: hd, alpha: scale, qh + first * 3 * d, lda: 3 * d, kh, ldb: 3 * d,
                     beta: 0, scores, ldc: t)
                softmaxRows(scores, rows: m, width: t)
                // context[first ..< first + m, h·hd ..< (h+1)·hd] = softmax(scores) · V
                gemm(transposeB: false, m: m, n: hd, k: t, scores, lda: t, vh, ldb: 3 * d,
                     beta: 0, w.context.pointer + (b * t + first) * d + h * hd, ldc: d)
            }
        }
    }
}
