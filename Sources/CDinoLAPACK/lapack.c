#include "dino_lapack.h"

#include <stdlib.h>

// LAPACK's Fortran symbol, as OpenBLAS exports it.
extern void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
                    double *work, const int *lwork, int *iwork, const int *liwork, int *info);

extern void dsyrk_(const char *uplo, const char *trans, const int *n, const int *k, const double *alpha,
                   const double *a, const int *lda, const double *beta, double *c, const int *ldc);

void dino_gram(int n, int d, const double *x, double *out) {
    // Row-major X (n × d) is column-major Xᵀ (d × n, leading dimension d): XᵀX = Xᵀ·(Xᵀ)ᵀ, dsyrk with trans "N".
    const double one = 1, zero = 0;
    dsyrk_("U", "N", &d, &n, &one, x, &d, &zero, out, &d);
}

int dino_symmetric_eigen(int n, double *matrix, double *eigenvalues) {
    int info = 0, lwork = -1, liwork = -1, iwork_size = 0;
    double work_size = 0;
    // A workspace query first ("lwork = -1 ... the routine only calculates the optimal sizes").
    dsyevd_("V", "U", &n, matrix, &n, eigenvalues, &work_size, &lwork, &iwork_size, &liwork, &info);
    if (info != 0) return info;
    lwork = (int)work_size;
    liwork = iwork_size;
    double *work = malloc(sizeof(double) * (size_t)lwork);
    int *iwork = malloc(sizeof(int) * (size_t)liwork);
    if (work == NULL || iwork == NULL) {
        free(work);
        free(iwork);
        return -1000;
    }
    dsyevd_("V", "U", &n, matrix, &n, eigenvalues, work, &lwork, iwork, &liwork, &info);
    free(work);
    free(iwork);
    return info;
}
