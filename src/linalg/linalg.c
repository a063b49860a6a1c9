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
void sgemm_(const char *ta, const char *tb, const int *m, const int *n, const int *k,
            const float *alpha, const float *a, const int *lda, const float *b, const int *ldb,
            const float *beta, float *c, const int *ldc);
void dsyrk_(const char *uplo, const char *trans, const int *n, const int *k, const double *alpha,
            const double *a, const int *lda, const double *beta, double *c, const int *ldc);
/* LAPACK symmetric eigensolver and SVD. */
void dgesvd_(const char *jobu, const char *jobvt, const int *m, const int *n, double *a,
             const int *lda, double *s, double *u, const int *ldu, double *vt, const int *ldvt,
             double *work, const int *lwork, int *info);
void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
            double *work, const int *lwork, int *info);

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

void vem__sgemm(char ta, char tb, size_t m, size_t n, size_t kk, float alpha, const float *a,
                size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc)
{
    if (m == 0 || n == 0)
        return;
    int im = to_int(m), in = to_int(n), ik = to_int(kk);
    int ilda = to_int(lda), ildb = to_int(ldb), ildc = to_int(ldc);
    sgemm_(&tb, &ta, &in, &im, &ik, &alpha, b, &ildb, a, &ilda, &beta, c, &ildc);
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

size_t vem__sym_eig_work_len(size_t d)
{
    return 70 * d + 8; /* dsyev needs 3d - 1 and dgesvd 5d; the rest is blocking room */
}

int vem__sym_eig(size_t d, double *a, double *w, double *work, size_t lwork)
{
    if (d == 0)
        return 0;
    /* A symmetric row-major matrix is its own column-major transpose; dsyev leaves the
     * eigenvectors in the columns of its column-major array, i.e. in the rows of ours. */
    const char jobz = 'V', uplo = 'L';
    int id = to_int(d), il = to_int(lwork), info = 0;
    dsyev_(&jobz, &uplo, &id, a, &id, w, work, &il, &info);
    return info;
}

int vem__svd_colmajor(size_t d, double *a, double *s, double *u, double *vt, double *work,
                      size_t lwork)
{
    if (d == 0)
        return 0;
    const char job = 'A';
    int id = to_int(d), il = to_int(lwork), info = 0;
    dgesvd_(&job, &job, &id, &id, a, &id, s, u, &id, vt, &id, work, &il, &info);
    return info;
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
    if (old != 1) {
        set(1);
        /* OpenBLAS's pthread build leaves its idle workers spinning (sched_yield)
         * for about 0.1 s after loading and after each threaded call, taking a
         * core from our own threads: a whole small fit runs in that window (the
         * digits at 2 threads: 2.7 ms an iteration against 1.9). Stop them; the
         * next threaded BLAS call starts them again. */
        static _Thread_local void (*shutdown)(void);
        static _Thread_local int looked;
        if (!looked) {
            void *p = dlsym(RTLD_DEFAULT, "blas_thread_shutdown_");
            memcpy(&shutdown, &p, sizeof shutdown);
            looked = 1;
        }
        if (shutdown)
            shutdown();
    }
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

/*
 * Both halves are right-looking, so that every inner loop is a contiguous
 * multiply-subtract over a row (vectorised, no reduction): cov = R^T R with R
 * upper triangular (R = L^T, row j of R finished at step j and subtracted from
 * the rows below), then U = R^{-1} = L^{-T} solved row by row from the bottom
 * (R U = I). About 1.6x the speed of the dot-product forms at d = 64.
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("default", "arch=x86-64-v3")))
#endif
size_t vem__precision_cholesky(size_t d, const double *cov, double *u, double *work)
{
    double *r = work;
    for (size_t i = 0; i < d; i++)
        for (size_t k = i; k < d; k++)
            r[i * d + k] = cov[k * d + i]; /* the lower triangle, as vem__cholesky reads */
    for (size_t j = 0; j < d; j++) {
        const double s = r[j * d + j];
        if (!(s > 0.0))
            return j + 1;
        const double rjj = sqrt(s);
        double *restrict rj = r + j * d;
        rj[j] = rjj;
        for (size_t k = j + 1; k < d; k++)
            rj[k] /= rjj;
        for (size_t i = j + 1; i < d; i++) {
            const double f = rj[i];
            double *restrict ri = r + i * d;
            for (size_t k = i; k < d; k++)
                ri[k] -= f * rj[k];
        }
    }
    memset(u, 0, d * d * sizeof *u);
    for (size_t i = d; i-- > 0;) {
        double *restrict ui = u + i * d;
        ui[i] = 1.0;
        for (size_t j = i + 1; j < d; j++) {
            const double f = r[i * d + j];
            const double *restrict uj = u + j * d;
            for (size_t k = j; k < d; k++)
                ui[k] -= f * uj[k];
        }
        const double rii = r[i * d + i];
        for (size_t k = i; k < d; k++)
            ui[k] /= rii;
    }
    return 0;
}
