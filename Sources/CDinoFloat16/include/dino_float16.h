// dino_float16.h — the catalog's float16 vectors, read fast.
//
// Why a shim: the catalog stores vectors as IEEE float16, and re-ranking search candidates reads hundreds of them
// per query. Swift converts float16 through a library call per value (__extendhfsf2) unless the whole package is
// compiled for F16C, which needs unsafe flags that would keep backends from depending on dinosearch. These C
// functions use F16C/AVX2/FMA when the CPU has them (chosen once, at run time) and portable code elsewhere.
#ifndef DINO_FLOAT16_H
#define DINO_FLOAT16_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Converts n float16 values (host byte order, which is little-endian on every platform dinosearch builds for)
/// to float; `half` may be unaligned.
void dino_float16_decode(const void *half, float *out, size_t n);

/// The inner product of a float vector with a float16 vector of n values, and the float16 vector's squared norm.
void dino_float16_dot(const float *query, const void *half, size_t n, float *dot, float *norm2);

/// 1 when the F16C/AVX2 kernels are in use (for benchmarks and tests).
int dino_float16_accelerated(void);

/// Tests only: 1 makes every call take the portable path (as on a CPU without F16C), 0 restores the choice.
void dino_float16_use_portable(int on);

#ifdef __cplusplus
}
#endif
#endif
