#include "dino_gemm.h"

#include <oneapi/dnnl/dnnl.h>

// From GNU OpenMP's omp.h, which lives in GCC's private include directory.
extern void omp_set_num_threads(int);
extern int omp_get_max_threads(void);

int dino_sgemm(char transA, char transB, int64_t M, int64_t N, int64_t K, float alpha, const float *A,
               int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc) {
    // "dnnl_sgemm: performs single-precision matrix-matrix multiply ... row-major format" (oneDNN API docs).
    return (int)dnnl_sgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void dino_set_threads(int threads) {
    if (threads > 0) omp_set_num_threads(threads);
}

int dino_threads(void) { return omp_get_max_threads(); }
