#include "dino_float16.h"

#include <string.h>

// Portable conversion of one IEEE binary16 value, exact for every input (subnormals, infinities, NaN).
static float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exponent = (h >> 10) & 0x1F;
    uint32_t mantissa = h & 0x3FF;
    uint32_t bits;
    if (exponent == 0x1F) {
        bits = sign | 0x7F800000u | (mantissa << 13);  // infinity or NaN
    } else if (exponent != 0) {
        bits = sign | ((exponent + 112) << 23) | (mantissa << 13);  // normal: rebias 15 → 127
    } else if (mantissa == 0) {
        bits = sign;  // zero
    } else {
        // Subnormal: shift the mantissa up until its leading one is the implicit bit.
        exponent = 113;
        while (!(mantissa & 0x400)) {
            mantissa <<= 1;
            exponent--;
        }
        bits = sign | (exponent << 23) | ((mantissa & 0x3FF) << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static uint16_t load_half(const void *half, size_t i) {
    uint16_t h;
    memcpy(&h, (const uint8_t *)half + 2 * i, sizeof h);
    return h;
}

static void decode_portable(const void *half, float *out, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = half_to_float(load_half(half, i));
}

static void dot_portable(const float *query, const void *half, size_t n, float *dot, float *norm2) {
    float d = 0, m = 0;
    for (size_t i = 0; i < n; i++) {
        float v = half_to_float(load_half(half, i));
        d += query[i] * v;
        m += v * v;
    }
    *dot = d;
    *norm2 = m;
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

__attribute__((target("avx2,fma,f16c"))) static void decode_f16c(const void *half, float *out, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128i h = _mm_loadu_si128((const __m128i *)((const uint8_t *)half + 2 * i));
        _mm256_storeu_ps(out + i, _mm256_cvtph_ps(h));
    }
    for (; i < n; i++) out[i] = half_to_float(load_half(half, i));
}

__attribute__((target("avx2,fma,f16c"))) static float horizontal_sum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma,f16c"))) static void dot_f16c(const float *query, const void *half, size_t n,
                                                               float *dot, float *norm2) {
    __m256 d0 = _mm256_setzero_ps(), d1 = _mm256_setzero_ps(), m0 = _mm256_setzero_ps(), m1 = _mm256_setzero_ps();
    size_t i = 0;
    const uint8_t *bytes = (const uint8_t *)half;
    for (; i + 16 <= n; i += 16) {  // two independent chains hide the FMA latency
        __m256 v0 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(bytes + 2 * i)));
        __m256 v1 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(bytes + 2 * i + 16)));
        d0 = _mm256_fmadd_ps(_mm256_loadu_ps(query + i), v0, d0);
        d1 = _mm256_fmadd_ps(_mm256_loadu_ps(query + i + 8), v1, d1);
        m0 = _mm256_fmadd_ps(v0, v0, m0);
        m1 = _mm256_fmadd_ps(v1, v1, m1);
    }
    float d = horizontal_sum(_mm256_add_ps(d0, d1)), m = horizontal_sum(_mm256_add_ps(m0, m1));
    for (; i < n; i++) {
        float v = half_to_float(load_half(half, i));
        d += query[i] * v;
        m += v * v;
    }
    *dot = d;
    *norm2 = m;
}

static int portable_only = 0;

static int has_f16c(void) {
    static int cached = -1;  // computed once; every thread computes the same value
    int known = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
        __atomic_store_n(&cached, known, __ATOMIC_RELAXED);
    }
    return known && !__atomic_load_n(&portable_only, __ATOMIC_RELAXED);
}

void dino_float16_use_portable(int on) { __atomic_store_n(&portable_only, on, __ATOMIC_RELAXED); }

void dino_float16_decode(const void *half, float *out, size_t n) {
    if (has_f16c()) decode_f16c(half, out, n); else decode_portable(half, out, n);
}

void dino_float16_dot(const float *query, const void *half, size_t n, float *dot, float *norm2) {
    if (has_f16c()) dot_f16c(query, half, n, dot, norm2); else dot_portable(query, half, n, dot, norm2);
}

int dino_float16_accelerated(void) { return has_f16c(); }

#else

void dino_float16_decode(const void *half, float *out, size_t n) { decode_portable(half, out, n); }
void dino_float16_dot(const float *query, const void *half, size_t n, float *dot, float *norm2) {
    dot_portable(query, half, n, dot, norm2);
}
int dino_float16_accelerated(void) { return 0; }
void dino_float16_use_portable(int on) { (void)on; }

#endif
