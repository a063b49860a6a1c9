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

/* vem__gemm in float32 (BLAS sgemm). */
void vem__sgemm(char ta, char tb, size_t m, size_t n, size_t kk, float alpha, const float *a,
                size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc);

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

/*
 * Eigen-decomposition of the symmetric d x d matrix a (row-major, both triangles
 * set) by LAPACK dsyev: on return w holds the eigenvalues in ascending order and
 * row i of a the unit eigenvector of w[i]. work: lwork >= vem__sym_eig_work_len(d)
 * doubles. Returns LAPACK's info (0 on success).
 */
int vem__sym_eig(size_t d, double *a, double *w, double *work, size_t lwork);
size_t vem__sym_eig_work_len(size_t d);

/*
 * Full SVD a = u diag(s) vt of the d x d matrix a in column-major order (LAPACK
 * dgesvd, jobu = jobvt = 'A'; a is destroyed; u, vt column-major; s descending).
 * work: lwork >= vem__sym_eig_work_len(d) doubles. Returns LAPACK's info.
 */
int vem__svd_colmajor(size_t d, double *a, double *s, double *u, double *vt, double *work,
                      size_t lwork);

#endif /* VEM_LINALG_H */
