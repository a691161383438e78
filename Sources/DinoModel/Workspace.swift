/// Scratch buffers for one forward pass, sized for a batch and token count and reused across calls so the
/// steady state allocates nothing.
final class Workspace: @unchecked Sendable {  // used by one forward pass at a time (taken from a locked pool)
    let batch: Int, tokens: Int
    let stream: FloatBuffer  // residual stream [B·T, D]
    let normed: FloatBuffer  // LayerNorm output [B·T, D]
    let qkv: FloatBuffer  // [B·T, 3D]
    let scores: FloatBuffer  // one head's attention matrix [T, T] per thread
    let context: FloatBuffer  // attention output before the projection [B·T, D]
    let hidden: FloatBuffer  // MLP hidden for one slice of rows [mlpRows, H] (SwiGLU: [mlpRows, 2H])
    let gated: FloatBuffer  // SwiGLU output [mlpRows, H]

    /// Rows of the MLP computed at a time: large enough for efficient GEMMs, small enough that the hidden slice
    /// (512 × 1536 floats = 3 MiB for ViT-S) stays in the L3 cache between fc1, GELU and fc2.
    static let mlpRows = 512
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
        scores = FloatBuffer(count: parallelThreads * tokens * tokens)
        context = FloatBuffer(count: rows * d)
        let slice = min(rows, Self.mlpRows)
        hidden = FloatBuffer(count: slice * (a.usesSwiGLU ? 2 * h : h))
        gated = FloatBuffer(count: a.usesSwiGLU ? slice * h : 0)
        patches = FloatBuffer(count: batch * patchCount * 3 * a.patchSize * a.patchSize)
        embedded = FloatBuffer(count: batch * patchCount * d)
    }

    func fits(batch: Int, tokens: Int) -> Bool { self.batch == batch && self.tokens == tokens }
}
