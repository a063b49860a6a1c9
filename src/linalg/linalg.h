/*
 * src/linalg/linalg.h — the one place that calls BLAS (size_t -> int checks,
 * row-major wrappers, single-threaded BLAS), plus small dense kernels of our own.
 */
#ifndef VEM_LINALG_H
#define VEM_LINALG_H

#include <stddef.h>

#include <vem/common.h>

/*
 * Row-major C = alpha * op(A) op(B) + beta * C with op(A) m x kk, op(B) kk x n.
 * ta/tb are 'N' or 'T'. Sizes must fit in int (checked by the callers' block sizes).
 */
void vem__gemm(char ta, char tb, size_t m, size_t n, size_t kk, double alpha, const double *a,
               size_t lda, const double *b, size_t ldb, double beta, double *c, size_t ldc);

/*
 * Row-major C = alpha * A^T A + beta * C for A n x kk (C kk x kk), writing the
 * upper triangle (row i, columns j >= i) only.
 */
void vem__syrk_t(size_t kk, size_t n, double alpha, const double *a, size_t lda, double beta,
                 double *c, size_t ldc);

/* Make the BLAS single-threaded while the returned token is held; restore with vem__blas_threads_restore. */
int vem__blas_threads_one(void);
void vem__blas_threads_restore(int token);

/*
 * Lower Cholesky factor L of the symmetric positive definite d x d matrix a
 * (row-major; only the lower triangle is read), a = L L^T, written to l (upper
 * part zeroed). Returns 0, or the 1-based index of the first non-positive pivot.
 */
size_t vem__cholesky(size_t d, const double *a, double *l);

/*
 * Precision Cholesky factor of a covariance: U = L^{-T} (upper triangular) with
 * cov = L L^T, so cov^{-1} = U U^T (scikit-learn's precisions_cholesky_).
 * Returns 0, or the failing pivot as vem__cholesky. work: d*d doubles.
 */
size_t vem__precision_cholesky(size_t d, const double *cov, double *u, double *work);

#endif /* VEM_LINALG_H */
