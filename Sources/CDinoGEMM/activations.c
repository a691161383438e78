// The attention softmax and the MLP's GELU with AVX2/FMA when the CPU has them (chosen at run time): Swift's
// SIMD8<Float> is compiled for baseline x86-64 (two SSE halves), and at 518² the softmax alone was 15% of a forward
// pass. Same polynomials (Cephes' expf, Eigen's float erf) as `vexp` and `verf` in Kernels.swift, which remain the
// portable path.
#include "dino_gemm.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

__attribute__((target("avx2,fma"))) static inline __m256 exp8(__m256 x) {
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.7f));
    // n = round(x·log2 e) through the 1.5·2²³ trick: the low mantissa bits of `magic` hold n.
    __m256 magic = _mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(12582912.f));
    __m256 n = _mm256_sub_ps(magic, _mm256_set1_ps(12582912.f));
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fmadd_ps(n, _mm256_set1_ps(2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_add_ps(_mm256_fmadd_ps(_mm256_mul_ps(p, r), r, r), _mm256_set1_ps(1.f));
    __m256i bits = _mm256_slli_epi32(
        _mm256_add_epi32(_mm256_sub_epi32(_mm256_castps_si256(magic), _mm256_set1_epi32(0x4B400000)), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

__attribute__((target("avx2,fma"))) static inline float sum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma"))) static void softmax_avx2(float *x, int64_t rows, int64_t width) {
    const int64_t whole = width & ~(int64_t)7;
    for (int64_t r = 0; r < rows; r++) {
        float *row = x + r * width;
        __m256 mv = _mm256_set1_ps(-__builtin_inff());
        for (int64_t j = 0; j < whole; j += 8) mv = _mm256_max_ps(mv, _mm256_loadu_ps(row + j));
        float m = -__builtin_inff();
        float lanes[8];
        _mm256_storeu_ps(lanes, mv);
        for (int k = 0; k < 8; k++) m = lanes[k] > m ? lanes[k] : m;
        for (int64_t j = whole; j < width; j++) m = row[j] > m ? row[j] : m;
        __m256 mm = _mm256_set1_ps(m), sv = _mm256_setzero_ps();
        for (int64_t j = 0; j < whole; j += 8) {
            __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(row + j), mm));
            _mm256_storeu_ps(row + j, e);
            sv = _mm256_add_ps(sv, e);
        }
        float sum = sum8(sv);
        if (whole < width) {
            float tail[8] = {0};
            for (int64_t j = whole; j < width; j++) tail[j - whole] = row[j] - m;
            __m256 e = exp8(_mm256_loadu_ps(tail));
            _mm256_storeu_ps(tail, e);
            for (int64_t j = whole; j < width; j++) {
                row[j] = tail[j - whole];
                sum += tail[j - whole];
            }
        }
        __m256 inverse = _mm256_set1_ps(1 / sum);
        for (int64_t j = 0; j < whole; j += 8) _mm256_storeu_ps(row + j, _mm256_mul_ps(_mm256_loadu_ps(row + j), inverse));
        for (int64_t j = whole; j < width; j++) row[j] *= 1 / sum;
    }
}

__attribute__((target("avx2,fma"))) static inline __m256 erf8(__m256 x) {
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-4.f)), _mm256_set1_ps(4.f));
    __m256 x2 = _mm256_mul_ps(x, x);
    __m256 p = _mm256_fmadd_ps(x2, _mm256_set1_ps(-2.72614225801306e-10f), _mm256_set1_ps(2.77068142495902e-08f));
    p = _mm256_fmadd_ps(x2, p, _mm256_set1_ps(-2.10102402082508e-06f));
    p = _mm256_fmadd_ps(x2, p, _mm256_set1_ps(-5.69250639462346e-05f));
    p = _mm256_fmadd_ps(x2, p, _mm256_set1_ps(-7.34990630326855e-04f));
    p = _mm256_fmadd_ps(x2, p, _mm256_set1_ps(-2.95459980854025e-03f));
    p = _mm256_fmadd_ps(x2, p, _mm256_set1_ps(-1.60960333262415e-02f));
    p = _mm256_mul_ps(x, p);
    __m256 q = _mm256_fmadd_ps(x2, _mm256_set1_ps(-1.45660718464996e-05f), _mm256_set1_ps(-2.13374055278905e-04f));
    q = _mm256_fmadd_ps(x2, q, _mm256_set1_ps(-1.68282697438203e-03f));
    q = _mm256_fmadd_ps(x2, q, _mm256_set1_ps(-7.37332916720468e-03f));
    q = _mm256_fmadd_ps(x2, q, _mm256_set1_ps(-1.42647390514189e-02f));
    return _mm256_div_ps(p, q);
}

__attribute__((target("avx2,fma"))) static void gelu_avx2(float *x, int64_t count) {
    int64_t i = 0;
    for (; i + 8 <= count; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        __m256 e = erf8(_mm256_mul_ps(v, _mm256_set1_ps(0.70710678118654752f)));
        _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_mul_ps(v, _mm256_set1_ps(0.5f)), _mm256_add_ps(e, _mm256_set1_ps(1.f))));
    }
    if (i < count) {
        float tail[8] = {0};
        for (int64_t j = i; j < count; j++) tail[j - i] = x[j];
        __m256 v = _mm256_loadu_ps(tail);
        __m256 e = erf8(_mm256_mul_ps(v, _mm256_set1_ps(0.70710678118654752f)));
        _mm256_storeu_ps(tail, _mm256_mul_ps(_mm256_mul_ps(v, _mm256_set1_ps(0.5f)), _mm256_add_ps(e, _mm256_set1_ps(1.f))));
        for (int64_t j = i; j < count; j++) x[j] = tail[j - i];
    }
}

static int has_avx2(void) {
    static int cached = -1;  // computed once; every thread computes the same value
    int known = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        __atomic_store_n(&cached, known, __ATOMIC_RELAXED);
    }
    return known;
}

int dino_softmax_rows(float *x, int64_t rows, int64_t width) {
    if (!has_avx2()) return 0;
    softmax_avx2(x, rows, width);
    return 1;
}

int dino_gelu(float *x, int64_t count) {
    if (!has_avx2()) return 0;
    gelu_avx2(x, count);
    return 1;
}
#else
int dino_softmax_rows(float *x, int64_t rows, int64_t width) {
    (void)x, (void)rows, (void)width;
    return 0;
}

int dino_gelu(float *x, int64_t count) {
    (void)x, (void)count;
    return 0;
}
#endif
