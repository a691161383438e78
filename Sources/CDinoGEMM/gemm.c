#include "dino_gemm.h"

#include <oneapi/dnnl/dnnl.h>

// From GNU OpenMP's omp.h, which lives in GCC's private include directory.
extern void omp_set_num_threads(int);
extern int omp_get_max_threads(void);
extern int omp_get_thread_num(void);
extern int omp_get_num_threads(void);
extern int omp_in_parallel(void);
// libgomp's entry point for `#pragma omp parallel`: calling it directly needs no -fopenmp (an unsafe flag for
// SwiftPM) and gives the very thread pool oneDNN uses.
extern void GOMP_parallel(void (*fn)(void *), void *data, unsigned num_threads, unsigned flags);

int dino_sgemm(char transA, char transB, int64_t M, int64_t N, int64_t K, float alpha, const float *A,
               int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc) {
    // "dnnl_sgemm: performs single-precision matrix-matrix multiply ... row-major format" (oneDNN API docs).
    return (int)dnnl_sgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void dino_set_threads(int threads) {
    if (threads > 0) omp_set_num_threads(threads);
}

int dino_threads(void) { return omp_get_max_threads(); }

struct slice_job {
    int64_t count;
    dino_range_fn body;
    void *context;
};

static void run_slice(void *data) {
    const struct slice_job *job = data;
    int thread = omp_get_thread_num(), threads = omp_get_num_threads();
    int64_t begin = job->count * thread / threads, end = job->count * (thread + 1) / threads;
    if (begin < end) job->body(job->context, begin, end, thread);
}

void dino_parallel_for(int64_t count, dino_range_fn body, void *context) {
    if (count < 2 || omp_get_max_threads() < 2 || omp_in_parallel()) {
        if (count > 0) body(context, 0, count, 0);
        return;
    }
    struct slice_job job = {count, body, context};
    GOMP_parallel(run_slice, &job, 0, 0);
}
