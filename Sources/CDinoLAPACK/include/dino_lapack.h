// dino_lapack.h — the BLAS and LAPACK routines the patch-feature PCA needs, from OpenBLAS (which ships LAPACK).
//
// Why a shim: LAPACK's Fortran interface takes every argument by pointer and reports errors through `info`;
// this function gives Swift one call with a status, and keeps the Fortran calling convention in C.
#ifndef DINO_LAPACK_H
#define DINO_LAPACK_H

/// Eigen-decomposition of a symmetric n × n matrix (row-major or column-major: it is symmetric) with LAPACK's
/// dsyevd. On return `matrix` holds the eigenvectors as columns in column-major order — row i of the returned
/// buffer, read as a row-major matrix, is eigenvector i — and `eigenvalues` the n eigenvalues, ascending.
/// Returns 0, or LAPACK's nonzero `info` (a negative value names a bad argument, a positive one a failure to
/// converge).
int dino_symmetric_eigen(int n, double *matrix, double *eigenvalues);

/// The Gram matrix XᵀX of a row-major n × d matrix X, into the d × d `out` (upper triangle, column-major, which
/// is what dino_symmetric_eigen reads), with BLAS's dsyrk.
void dino_gram(int n, int d, const double *x, double *out);

#endif
