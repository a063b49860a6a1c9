/* src/linalg/linalg.c — BLAS boundary and small dense kernels. */
#include "linalg/linalg.h"

#include <dlfcn.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include "internal.h"

/* Fortran BLAS (LP64: 32-bit int), as every Debian BLAS provides. */
void dgemm_(const char *ta, const char *tb, const int *m, const int *n, const int *k,
            const double *alpha, const double *a, const int *lda, const double *b,
            const int *ldb, const double *beta, double *c, const int *ldc);
void dsyrk_(const char *uplo, const char *trans, const int *n, const int *k, const double *alpha,
            const double *a, const int *lda, const double *beta, double *c, const int *ldc);

static int to_int(size_t v)
{
    /* Callers pass block-sized dimensions; a larger value is a programming error. */
    return v > (size_t)INT_MAX ? INT_MAX : (int)v;
}

void vem__gemm(char ta, char tb, size_t m, size_t n, size_t kk, double alpha, const double *a,
               size_t lda, const double *b, size_t ldb, double beta, double *c, size_t ldc)
{
    if (m == 0 || n == 0)
        return;
    /* Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T. */
    int im = to_int(m), in = to_int(n), ik = to_int(kk);
    int ilda = to_int(lda), ildb = to_int(ldb), ildc = to_int(ldc);
    dgemm_(&tb, &ta, &in, &im, &ik, &alpha, b, &ildb, a, &ilda, &beta, c, &ildc);
}

void vem__syrk_t(size_t kk, size_t n, double alpha, const double *a, size_t lda, double beta,
                 double *c, size_t ldc)
{
    if (kk == 0)
        return;
    /* Row-major A (n x kk) is column-major A^T (kk x n): C = (A^T)(A^T)^T, 'N'.
     * Column-major lower of C is row-major upper. */
    int ik = to_int(kk), in = to_int(n), ilda = to_int(lda), ildc = to_int(ldc);
    const char uplo = 'L', trans = 'N';
    dsyrk_(&uplo, &trans, &ik, &in, &alpha, a, &ilda, &beta, c, &ildc);
}

typedef void (*set_threads_fn)(int);
typedef int (*get_threads_fn)(void);

static void lookup_openblas(set_threads_fn *set, get_threads_fn *get)
{
    /* Looked up at run time: the BLAS is chosen by Debian's alternatives, and
     * only OpenBLAS has these. Converting void * to a function pointer is POSIX. */
    static _Thread_local int done;
    static _Thread_local set_threads_fn s;
    static _Thread_local get_threads_fn g;
    if (!done) {
        void *ps = dlsym(RTLD_DEFAULT, "openblas_set_num_threads");
        void *pg = dlsym(RTLD_DEFAULT, "openblas_get_num_threads");
        memcpy(&s, &ps, sizeof s);
        memcpy(&g, &pg, sizeof g);
        done = 1;
    }
    *set = s;
    *get = g;
}

int vem__blas_threads_one(void)
{
    set_threads_fn set;
    get_threads_fn get;
    lookup_openblas(&set, &get);
    if (!set || !get)
        return 0;
    int old = get();
    if (old != 1)
        set(1);
    return old;
}

void vem__blas_threads_restore(int token)
{
    set_threads_fn set;
    get_threads_fn get;
    lookup_openblas(&set, &get);
    if (set && token > 1)
        set(token);
}

size_t vem__cholesky(size_t d, const double *a, double *l)
{
    memset(l, 0, d * d * sizeof *l);
    for (size_t j = 0; j < d; j++) {
        double s = a[j * d + j];
        for (size_t p = 0; p < j; p++)
            s -= l[j * d + p] * l[j * d + p];
        if (!(s > 0.0))
            return j + 1;
        double ljj = sqrt(s);
        l[j * d + j] = ljj;
        for (size_t i = j + 1; i < d; i++) {
            double t = a[i * d + j];
            for (size_t p = 0; p < j; p++)
                t -= l[i * d + p] * l[j * d + p];
            l[i * d + j] = t / ljj;
        }
    }
    return 0;
}

size_t vem__precision_cholesky(size_t d, const double *cov, double *u, double *work)
{
    size_t bad = vem__cholesky(d, cov, work);
    if (bad)
        return bad;
    /* Solve L M = I for M = L^{-1} (lower) by forward substitution, column by
     * column, then U = M^T. */
    memset(u, 0, d * d * sizeof *u);
    for (size_t c = 0; c < d; c++) {
        for (size_t i = c; i < d; i++) {
            double s = (i == c) ? 1.0 : 0.0;
            for (size_t p = c; p < i; p++)
                s -= work[i * d + p] * u[c * d + p];
            u[c * d + i] = s / work[i * d + i];
        }
    }
    /* u now holds M^T row c = column c of M, i.e. u[c][i] = M[i][c]: U = M^T. */
    return 0;
}
