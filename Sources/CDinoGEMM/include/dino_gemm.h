// dino_gemm.h — the encoder's only C dependency: single-precision matrix products, the thread budget, and the
// attention softmax and GELU in AVX2 (activations.c).
//
// Why a shim: oneDNN's `dnnl_sgemm` is what the encoder calls (Benchmarks/gemm.md: 1.3–1.8x OpenBLAS on the
// ViT shapes on this machine), and both oneDNN and Faiss run on the same GNU OpenMP pool, so the thread budget
// is set once here. Swift sees only these functions; it can go if Swift ever links oneDNN's headers directly.
#ifndef DINO_GEMM_H
#define DINO_GEMM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Row-major C[M×N] = alpha · op(A)[M×K] · op(B)[K×N] + beta · C, where op transposes when trans is 'T'.
/// Returns 0 on success, otherwise a nonzero oneDNN status (only on invalid arguments).
int dino_sgemm(char transA, char transB, int64_t M, int64_t N, int64_t K, float alpha, const float *A,
               int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc);

/// Softmax of each of `rows` rows of `width` floats, in place, with AVX2/FMA; returns 1, or 0 without touching `x`
/// when the CPU lacks them (the caller then runs its portable kernel).
int dino_softmax_rows(float *x, int64_t rows, int64_t width);

/// x ← GELU(x) = x/2 · (1 + erf(x/√2)), in place, with AVX2/FMA; returns 1, or 0 without touching `x` when the CPU
/// lacks them.
int dino_gelu(float *x, int64_t count);

/// A slice of a parallel loop: items [begin, end), run by OpenMP thread `thread` (0 ..< dino_threads()).
typedef void (*dino_range_fn)(void *context, int64_t begin, int64_t end, int thread);

/// Splits [0, count) into one contiguous slice per thread of the OpenMP pool that oneDNN and Faiss use, so the
/// encoder's own loops share their threads instead of adding more. Runs inline when count < 2 or when called
/// from inside a parallel region.
void dino_parallel_for(int64_t count, dino_range_fn body, void *context);

/// Sets the number of OpenMP threads that oneDNN and Faiss use (they share GNU OpenMP's pool).
void dino_set_threads(int threads);

/// The current OpenMP thread budget.
int dino_threads(void);

#ifdef __cplusplus
}
#endif
#endif
