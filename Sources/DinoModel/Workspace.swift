/// Scratch buffers for one forward pass, sized for a batch and token count and reused across calls so the
/// steady state allocates nothing.
final class Workspace: @unchecked Sendable {  // used by one forward pass at a time (taken from a locked pool)
    let batch: Int, tokens: Int
    let stream: FloatBuffer  // residual stream [B·T, D]
    let normed: FloatBuffer  // LayerNorm output [B·T, D]
    let qkv: FloatBuffer  // [B·T, 3D]
    let scores: FloatBuffer  // one block of one head's attention matrix [queryBlock, T] per thread
    let context: FloatBuffer  // attention output before the projection [B·T, D]
    let hidden: FloatBuffer  // MLP hidden [B·T, H] (SwiGLU: [B·T, 2H])
    let gated: FloatBuffer  // SwiGLU output [B·T, H]
    let patches: FloatBuffer  // unfolded pixels [B·N, 3·p·p], then patch embeddings [B·N, D]
    let embedded: FloatBuffer

    init(architecture a: DinoArchitecture, batch: Int, tokens: Int) {
        self.batch = batch
        self.tokens = tokens
        let rows = batch * tokens, d = a.width, h = a.mlpWidth
        let patchCount = tokens - 1 - a.registerCount
        stream = FloatBuffer(count: rows * d)
        normed = FloatBuffer(count: rows * d)
        qkv = FloatBuffer(count: rows * 3 * d)
        scores = FloatBuffer(count: parallelThreads * Self.queryBlock(tokens: tokens) * tokens)
        context = FloatBuffer(count: rows * d)
        hidden = FloatBuffer(count: rows * (a.usesSwiGLU ? 2 * h : h))
        gated = FloatBuffer(count: a.usesSwiGLU ? rows * h : 0)
        patches = FloatBuffer(count: batch * patchCount * 3 * a.patchSize * a.patchSize)
        embedded = FloatBuffer(count: batch * patchCount * d)
    }

    /// Queries per attention block: all of them up to 512 tokens (224² has 257: one block), 256 beyond, so a
    /// thread's scores (256 · T floats: 1.4 MB at 518², 5.5 MB at 1022²) grow with T, not T². At 518², 256 ran
    /// 5–8% faster than 128 or than whole heads; 64 was slower still (Benchmarks/README.md).
    static func queryBlock(tokens: Int) -> Int { tokens <= 512 ? tokens : 256 }

    func fits(batch: Int, tokens: Int) -> Bool { self.batch == batch && self.tokens == tokens }
}
