/*
 * src/models/gmm_kernels.c — fast E-step kernels of the Gaussian mixture.
 *
 * Why they look like this (measurements in docs/performance.md):
 * - Rows are transposed into feature-major sub-blocks so that every inner loop
 *   runs over 4 consecutive rows at once (one AVX2 register) with no
 *   horizontal sum, whatever d and k are: without -ffast-math the compiler
 *   never vectorises a reduction over features.
 * - The precision-Cholesky factors are upper triangular: x^T U needs d(d+1)/2
 *   multiply-adds per row and component, not d^2 as a dense GEMM computes.
 *   The kernel works in chunks of 4 output columns and walks i only up to the
 *   chunk's last column, holding 12 rows x 4 columns of accumulators in registers.
 * - The scatter matrices S2_c = sum_r r_rc x_r x_r^T: the upper triangle of
 *   (r .* x)^T x in 4 x 8 register tiles that stay in registers over a whole
 *   sub-block (broadcasts of r .* x times rows of x, 4 columns per vector).
 * - Hot kernels are compiled twice (target_clones): a baseline x86-64 version
 *   and an x86-64-v3 (AVX2 + FMA) one chosen at load time; an AVX-512 clone was
 *   no faster here (../shared/STYLE.md found them slower).
 * Results differ from the straightforward code (vem__gmm_reference_* in gmm.c)
 * by rounding only: tests/test_kernels.c holds them to 1e-12 relative.
 */
#include "models/gmm_kernels.h"

#include <math.h>
#include <string.h>

#include "linalg/vexp.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define CLONES __attribute__((target_clones("default", "arch=x86-64-v3")))
#else
#define CLONES
#endif

/*
 * 4 doubles as one vector (GNU C vector extensions). The helpers are macros, not
 * inline functions: a helper compiled for the baseline target has its 32-byte
 * vectors split in two before it is inlined into the AVX2 clone, which then
 * builds each broadcast from two halves.
 */
typedef double v4 __attribute__((vector_size(32)));
typedef double v4u __attribute__((vector_size(32), aligned(8), may_alias));
#define LD4(p) (*(const v4u *)(const void *)(p))
#define ST4(p, v) (*(v4u *)(void *)(p) = (v))
#define BC4(a) ((v4){(a), (a), (a), (a)})
#define HSUM4(v) (((v)[0] + (v)[1]) + ((v)[2] + (v)[3]))
#if defined(__clang__)
#define SHUF(a, b, i, j, k, l) __builtin_shufflevector((a), (b), i, j, k, l)
#else
typedef long long v4i __attribute__((vector_size(32)));
#define SHUF(a, b, i, j, k, l) __builtin_shuffle((a), (b), (v4i){i, j, k, l})
#endif

CLONES void vem__gk_transpose(size_t n, size_t d, const double *x, size_t ld, double *xt,
                              size_t npad, size_t dpad)
{
    /* 4 rows at a time, 4 x 4 blocks transposed in registers. */
    size_t r = 0;
    for (; r + 4 <= n; r += 4) {
        const double *a = x + r * ld, *b = a + ld, *c = b + ld, *e = c + ld;
        size_t i = 0;
        for (; i + 4 <= d; i += 4) {
            const v4 ra = LD4(a + i), rb = LD4(b + i), rc = LD4(c + i), re = LD4(e + i);
            const v4 t0 = SHUF(ra, rb, 0, 4, 2, 6), t1 = SHUF(ra, rb, 1, 5, 3, 7);
            const v4 t2 = SHUF(rc, re, 0, 4, 2, 6), t3 = SHUF(rc, re, 1, 5, 3, 7);
            double *o = xt + i * npad + r;
            ST4(o, SHUF(t0, t2, 0, 1, 4, 5));
            ST4(o + npad, SHUF(t1, t3, 0, 1, 4, 5));
            ST4(o + 2 * npad, SHUF(t0, t2, 2, 3, 6, 7));
            ST4(o + 3 * npad, SHUF(t1, t3, 2, 3, 6, 7));
        }
        for (; i < d; i++) {
            double *o = xt + i * npad + r;
            o[0] = a[i];
            o[1] = b[i];
            o[2] = c[i];
            o[3] = e[i];
        }
    }
    for (; r < n; r++)
        for (size_t i = 0; i < d; i++)
            xt[i * npad + r] = x[r * ld + i];
    for (size_t i = 0; i < d; i++)
        for (size_t q = n; q < npad; q++)
            xt[i * npad + q] = 0.0;
    for (size_t i = d; i < dpad; i++)
        memset(xt + i * npad, 0, npad * sizeof *xt);
}

void vem__gk_center(size_t n, size_t d, const double *center, double *xt, size_t npad)
{
    for (size_t i = 0; i < d; i++) {
        double *row = xt + i * npad;
        const double c = center[i];
        for (size_t r = 0; r < n; r++)
            row[r] -= c;
    }
}

/* Full covariance: one factor per component, the quadratic form in registers.
 * Tiles of 12 rows (3 vectors) x 4 columns: 12 independent accumulators hide the
 * multiply-add latency, and each loaded x serves 4 columns. */
CLONES static void logp_full(size_t k, size_t dpad, const double *upad, const double *mupad,
                             const double *log_norm, const double *xt, size_t npad, double *lpt)
{
    for (size_t c = 0; c < k; c++) {
        const double *u = upad + c * dpad * dpad, *mu = mupad + c * dpad;
        const v4 half = BC4(0.5), ln = BC4(log_norm[c]);
        for (size_t r0 = 0; r0 < npad; r0 += 12) {
            v4 q0 = BC4(0.0), q1 = q0, q2 = q0;
            for (size_t j0 = 0; j0 < dpad; j0 += 4) {
                v4 a00 = BC4(0.0), a01 = a00, a02 = a00, a10 = a00, a11 = a00, a12 = a00,
                   a20 = a00, a21 = a00, a22 = a00, a30 = a00, a31 = a00, a32 = a00;
                /* U is upper triangular: rows i > j0 + 3 are zero in this chunk,
                 * and in the chunk's diagonal 4 x 4 block row i starts at column i. */
                for (size_t i = 0; i < j0 + 4; i++) {
                    const double *xi = xt + i * npad + r0, *ui = u + i * dpad + j0;
                    const v4 x0 = LD4(xi), x1 = LD4(xi + 4), x2 = LD4(xi + 8);
                    v4 b = BC4(ui[3]);
                    a30 += x0 * b; a31 += x1 * b; a32 += x2 * b;
                    if (i == j0 + 3)
                        break;
                    b = BC4(ui[2]);
                    a20 += x0 * b; a21 += x1 * b; a22 += x2 * b;
                    if (i == j0 + 2)
                        continue;
                    b = BC4(ui[1]);
                    a10 += x0 * b; a11 += x1 * b; a12 += x2 * b;
                    if (i == j0 + 1)
                        continue;
                    b = BC4(ui[0]);
                    a00 += x0 * b; a01 += x1 * b; a02 += x2 * b;
                }
                const double *m = mu + j0;
                v4 t;
                t = a00 - BC4(m[0]); q0 += t * t;
                t = a01 - BC4(m[0]); q1 += t * t;
                t = a02 - BC4(m[0]); q2 += t * t;
                t = a10 - BC4(m[1]); q0 += t * t;
                t = a11 - BC4(m[1]); q1 += t * t;
                t = a12 - BC4(m[1]); q2 += t * t;
                t = a20 - BC4(m[2]); q0 += t * t;
                t = a21 - BC4(m[2]); q1 += t * t;
                t = a22 - BC4(m[2]); q2 += t * t;
                t = a30 - BC4(m[3]); q0 += t * t;
                t = a31 - BC4(m[3]); q1 += t * t;
                t = a32 - BC4(m[3]); q2 += t * t;
            }
            ST4(lpt + c * npad + r0, ln - half * q0);
            ST4(lpt + c * npad + r0 + 4, ln - half * q1);
            ST4(lpt + c * npad + r0 + 8, ln - half * q2);
        }
    }
}

/* Tied covariance: y = x^T U once per row, then ||y - mu_u[c]||^2 for every c. */
CLONES static void logp_tied(size_t k, size_t dpad, const double *upad, const double *mupad,
                             const double *log_norm, const double *xt, size_t npad, double *lpt)
{
    for (size_t c = 0; c < k; c++)
        memset(lpt + c * npad, 0, npad * sizeof *lpt);
    for (size_t r0 = 0; r0 < npad; r0 += 8) {
        for (size_t j0 = 0; j0 < dpad; j0 += 4) {
            v4 a[4][2];
            for (size_t jj = 0; jj < 4; jj++)
                a[jj][0] = a[jj][1] = BC4(0.0);
            for (size_t i = 0; i < j0 + 4; i++) {
                const v4 x0 = LD4(xt + i * npad + r0), x1 = LD4(xt + i * npad + r0 + 4);
                const double *ui = upad + i * dpad + j0;
                for (size_t jj = 0; jj < 4; jj++) {
                    a[jj][0] += x0 * BC4(ui[jj]);
                    a[jj][1] += x1 * BC4(ui[jj]);
                }
            }
            for (size_t c = 0; c < k; c++) {
                const double *m = mupad + c * dpad + j0;
                v4 q0 = LD4(lpt + c * npad + r0), q1 = LD4(lpt + c * npad + r0 + 4);
                for (size_t jj = 0; jj < 4; jj++) {
                    v4 t0 = a[jj][0] - BC4(m[jj]), t1 = a[jj][1] - BC4(m[jj]);
                    q0 += t0 * t0;
                    q1 += t1 * t1;
                }
                ST4(lpt + c * npad + r0, q0);
                ST4(lpt + c * npad + r0 + 4, q1);
            }
        }
    }
    for (size_t c = 0; c < k; c++)
        for (size_t r = 0; r < npad; r++)
            lpt[c * npad + r] = log_norm[c] - 0.5 * lpt[c * npad + r];
}

void vem__gk_logp_chol(size_t k, size_t dpad, size_t nfac, const double *upad,
                       const double *mupad, const double *log_norm, const double *xt, size_t npad,
                       double *lpt)
{
    if (nfac == k)
        logp_full(k, dpad, upad, mupad, log_norm, xt, npad, lpt);
    else
        logp_tied(k, dpad, upad, mupad, log_norm, xt, npad, lpt);
}

CLONES void vem__gk_logp_diag(size_t k, size_t d, int spherical, const double *means,
                              const double *prec, const double *log_norm, const double *xt,
                              size_t npad, double *lpt)
{
    size_t c = 0;
    if (!spherical) {
        /* 4 components at a time: each load of x serves 4 quadratic forms. */
        const v4 half = BC4(0.5);
        for (; c + 4 <= k; c += 4) {
            const double *m = means + c * d, *p = prec + c * d;
            for (size_t r0 = 0; r0 < npad; r0 += 4) {
                v4 q0 = BC4(0.0), q1 = q0, q2 = q0, q3 = q0;
                for (size_t j = 0; j < d; j++) {
                    const v4 xj = LD4(xt + j * npad + r0);
                    v4 t0 = (xj - BC4(m[j])) * BC4(p[j]);
                    v4 t1 = (xj - BC4(m[d + j])) * BC4(p[d + j]);
                    v4 t2 = (xj - BC4(m[2 * d + j])) * BC4(p[2 * d + j]);
                    v4 t3 = (xj - BC4(m[3 * d + j])) * BC4(p[3 * d + j]);
                    q0 += t0 * t0;
                    q1 += t1 * t1;
                    q2 += t2 * t2;
                    q3 += t3 * t3;
                }
                ST4(lpt + c * npad + r0, BC4(log_norm[c]) - half * q0);
                ST4(lpt + (c + 1) * npad + r0, BC4(log_norm[c + 1]) - half * q1);
                ST4(lpt + (c + 2) * npad + r0, BC4(log_norm[c + 2]) - half * q2);
                ST4(lpt + (c + 3) * npad + r0, BC4(log_norm[c + 3]) - half * q3);
            }
        }
    }
    for (; c < k; c++) {
        const double *m = means + c * d;
        const double *p = spherical ? NULL : prec + c * d;
        const v4 half = BC4(0.5), ln = BC4(log_norm[c]);
        const v4 ps = BC4(spherical ? prec[c] * prec[c] : 1.0);
        for (size_t r0 = 0; r0 < npad; r0 += 8) {
            v4 q0 = BC4(0.0), q1 = q0;
            for (size_t j = 0; j < d; j++) {
                const v4 mj = BC4(m[j]);
                v4 t0 = LD4(xt + j * npad + r0) - mj, t1 = LD4(xt + j * npad + r0 + 4) - mj;
                if (p) {
                    const v4 pj = BC4(p[j]);
                    t0 *= pj;
                    t1 *= pj;
                }
                q0 += t0 * t0;
                q1 += t1 * t1;
            }
            ST4(lpt + c * npad + r0, ln - half * (q0 * ps));
            ST4(lpt + c * npad + r0 + 4, ln - half * (q1 * ps));
        }
    }
}

CLONES static void col_max(size_t k, size_t npad, const double *lpt, double *mx)
{
    memcpy(mx, lpt, npad * sizeof *mx);
    for (size_t c = 1; c < k; c++) {
        const double *l = lpt + c * npad;
        for (size_t r = 0; r < npad; r++)
            mx[r] = l[r] > mx[r] ? l[r] : mx[r];
    }
}

CLONES static void col_shift(size_t k, size_t npad, double *lpt, const double *mx)
{
    for (size_t c = 0; c < k; c++) {
        double *l = lpt + c * npad;
        for (size_t r = 0; r < npad; r++)
            l[r] -= mx[r];
    }
}

CLONES static void col_sum(size_t k, size_t npad, const double *lpt, double *s)
{
    memcpy(s, lpt, npad * sizeof *s);
    for (size_t c = 1; c < k; c++) {
        const double *l = lpt + c * npad;
        for (size_t r = 0; r < npad; r++)
            s[r] += l[r];
    }
}

CLONES static void col_scale(size_t k, size_t npad, double *lpt, const double *s, double *inv)
{
    for (size_t r = 0; r < npad; r++)
        inv[r] = 1.0 / s[r];
    for (size_t c = 0; c < k; c++) {
        double *l = lpt + c * npad;
        for (size_t r = 0; r < npad; r++)
            l[r] *= inv[r];
    }
}

double vem__gk_normalise(size_t n, size_t npad, size_t k, double *lpt, double *work)
{
    double *mx = work, *s = work + npad, *t = work + 2 * npad;
    col_max(k, npad, lpt, mx);
    int dead = 0;
    for (size_t r = 0; r < n; r++) {
        if (mx[r] == -INFINITY) {
            dead = 1;
            mx[r] = 0.0; /* exp(-inf - 0) = 0 rather than NaN; fixed below */
        }
    }
    col_shift(k, npad, lpt, mx);
    vem__vexp_flush(k * npad, lpt, lpt);
    col_sum(k, npad, lpt, s); /* >= 1 (the maximum's exp(0)) unless the row is dead */
    col_scale(k, npad, lpt, s, t);
    vem__vlog(n, s, t);
    double ll = 0.0;
    if (!dead) {
        for (size_t r = 0; r < n; r++)
            ll += mx[r] + t[r];
    } else {
        for (size_t r = 0; r < n; r++) {
            if (s[r] == 0.0) { /* every log-density -inf: as row_normalise in gmm.c */
                for (size_t c = 0; c < k; c++)
                    lpt[c * npad + r] = 1.0 / (double)k;
                ll += -INFINITY;
            } else {
                ll += mx[r] + t[r];
            }
        }
    }
    for (size_t c = 0; c < k; c++)
        for (size_t r = n; r < npad; r++)
            lpt[c * npad + r] = 0.0;
    return ll;
}

/*
 * out[i * d + j] += sum_r vt[i][r] xr[r][j] for j >= i (the upper triangle), with vt
 * feature-major (dpad x npad) and xr row-major (npad x dpad), padding zero. Register
 * tiles of 4 rows i x 8 columns j (2 vectors along j) that stay in registers for the
 * whole sub-block: per row r, 2 loads of xr and 4 broadcasts of vt feed 8
 * multiply-adds, and no horizontal sums are needed. Only tiles touching the upper
 * triangle are computed (the lower half of each diagonal 4 x 4 block is wasted).
 */
CLONES static void upper_rows(size_t d, size_t dpad, const double *vt, const double *xr,
                              size_t npad, double *out)
{
    for (size_t i0 = 0; i0 < d; i0 += 4) {
        const double *v0 = vt + i0 * npad, *v1 = v0 + npad, *v2 = v1 + npad, *v3 = v2 + npad;
        for (size_t j0 = i0; j0 < d; j0 += 8) {
            v4 t[4][2];
            if (j0 + 8 <= dpad) {
                v4 c00 = BC4(0.0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
                   c30 = c00, c31 = c00;
                for (size_t r = 0; r < npad; r++) {
                    const double *xrow = xr + r * dpad + j0;
                    const v4 x0 = LD4(xrow), x1 = LD4(xrow + 4);
                    v4 b = BC4(v0[r]);
                    c00 += b * x0;
                    c01 += b * x1;
                    b = BC4(v1[r]);
                    c10 += b * x0;
                    c11 += b * x1;
                    b = BC4(v2[r]);
                    c20 += b * x0;
                    c21 += b * x1;
                    b = BC4(v3[r]);
                    c30 += b * x0;
                    c31 += b * x1;
                }
                t[0][0] = c00, t[0][1] = c01, t[1][0] = c10, t[1][1] = c11;
                t[2][0] = c20, t[2][1] = c21, t[3][0] = c30, t[3][1] = c31;
            } else {
                v4 c0 = BC4(0.0), c1 = c0, c2 = c0, c3 = c0;
                for (size_t r = 0; r < npad; r++) {
                    const v4 x0 = LD4(xr + r * dpad + j0);
                    c0 += BC4(v0[r]) * x0;
                    c1 += BC4(v1[r]) * x0;
                    c2 += BC4(v2[r]) * x0;
                    c3 += BC4(v3[r]) * x0;
                }
                t[0][0] = c0, t[1][0] = c1, t[2][0] = c2, t[3][0] = c3;
                t[0][1] = t[1][1] = t[2][1] = t[3][1] = BC4(0.0);
            }
            for (size_t ii = 0; ii < 4 && i0 + ii < d; ii++) {
                const size_t i = i0 + ii;
                for (size_t jj = 0; jj < 8; jj++) {
                    const size_t j = j0 + jj;
                    if (j >= i && j < d)
                        out[i * d + j] += t[ii][jj / 4][jj % 4];
                }
            }
        }
    }
}

/* v[i] = r .* x[i] for i < dpad; adds sum_r v[i][r] into s1[i] (i < d). */
CLONES static void scale_rows(size_t d, size_t dpad, const double *r, const double *xct,
                              size_t npad, double *v, double *s1)
{
    for (size_t i = 0; i < dpad; i++) {
        const double *x = xct + i * npad;
        double *o = v + i * npad;
        v4 acc = BC4(0.0);
        for (size_t q = 0; q < npad; q += 4) {
            v4 t = LD4(r + q) * LD4(x + q);
            ST4(o + q, t);
            acc += t;
        }
        if (i < d)
            s1[i] += HSUM4(acc);
    }
}

CLONES static double vsum(const double *r, size_t npad)
{
    v4 acc = BC4(0.0);
    for (size_t q = 0; q < npad; q += 4)
        acc += LD4(r + q);
    return HSUM4(acc);
}

/* idx[0..m) = the rows q < npad with r[q] >= floor; returns m. */
static size_t select_rows(const double *r, size_t npad, double floor, unsigned *idx)
{
    size_t m = 0;
    for (size_t q = 0; q < npad; q++) {
        idx[m] = (unsigned)q;
        m += r[q] >= floor;
    }
    return m;
}

/* The rows idx[0..m) of v (dpad x npad, feature-major) and of xr (npad x dpad,
 * row-major) into vc (dpad x m) and xc (m x dpad). */
static void gather_rows(size_t dpad, const unsigned *idx, size_t m, const double *v,
                        const double *xr, size_t npad, double *vc, double *xc)
{
    for (size_t i = 0; i < dpad; i++)
        for (size_t t = 0; t < m; t++)
            vc[i * m + t] = v[i * npad + idx[t]];
    for (size_t t = 0; t < m; t++)
        memcpy(xc + t * dpad, xr + (size_t)idx[t] * dpad, dpad * sizeof *xc);
}

void vem__gk_accum_full(size_t k, size_t d, size_t dpad, const double *xct, const double *rt,
                        size_t npad, const double *floor, double *work, double *nk, double *s1,
                        double *s2)
{
    double *v = work, *xr = work + dpad * npad;
    vem__gk_transpose(dpad, npad, xct, npad, xr, dpad, npad); /* rows again */
    double *vc = NULL, *xc = NULL;
    unsigned *idx = NULL;
    if (floor) {
        vc = xr + dpad * npad;
        xc = vc + dpad * npad;
        idx = (unsigned *)(void *)(xc + dpad * npad);
    }
    for (size_t c = 0; c < k; c++) {
        const double *r = rt + c * npad;
        nk[c] += vsum(r, npad);
        scale_rows(d, dpad, r, xct, npad, v, s1 + c * d);
        size_t m = floor ? select_rows(r, npad, floor[c], idx) : npad;
        if (m + npad / 4 > npad) {
            upper_rows(d, dpad, v, xr, npad, s2 + c * d * d);
        } else if (m > 0) {
            gather_rows(dpad, idx, m, v, xr, npad, vc, xc);
            upper_rows(d, dpad, vc, xc, m, s2 + c * d * d);
        }
    }
}

CLONES static void dots(size_t k, size_t d, const double *xct, const double *rt, size_t npad,
                        double *nk, double *s1)
{
    for (size_t c = 0; c < k; c++) {
        const double *r = rt + c * npad;
        nk[c] += vsum(r, npad);
        for (size_t i = 0; i < d; i++) {
            const double *x = xct + i * npad;
            v4 acc = BC4(0.0);
            for (size_t q = 0; q < npad; q += 4)
                acc += LD4(r + q) * LD4(x + q);
            s1[c * d + i] += HSUM4(acc);
        }
    }
}

void vem__gk_accum_tied(size_t k, size_t d, size_t dpad, const double *xct, const double *rt,
                        size_t npad, double *work, double *nk, double *s1, double *s2)
{
    dots(k, d, xct, rt, npad, nk, s1);
    vem__gk_transpose(dpad, npad, xct, npad, work, dpad, npad);
    upper_rows(d, dpad, xct, work, npad, s2);
}

CLONES void vem__gk_accum_diag(size_t k, size_t d, const double *xct, const double *rt,
                               size_t npad, double *nk, double *s1, double *s2)
{
    size_t c = 0;
    /* 4 components at a time: each load of x serves 4 pairs of sums. */
    for (; c + 4 <= k; c += 4) {
        const double *r = rt + c * npad;
        for (size_t q = 0; q < 4; q++)
            nk[c + q] += vsum(r + q * npad, npad);
        for (size_t i = 0; i < d; i++) {
            const double *x = xct + i * npad;
            v4 a0 = BC4(0.0), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            for (size_t q = 0; q < npad; q += 4) {
                const v4 xv = LD4(x + q);
                const v4 t0 = LD4(r + q) * xv, t1 = LD4(r + npad + q) * xv,
                         t2 = LD4(r + 2 * npad + q) * xv, t3 = LD4(r + 3 * npad + q) * xv;
                a0 += t0;
                a1 += t1;
                a2 += t2;
                a3 += t3;
                b0 += t0 * xv;
                b1 += t1 * xv;
                b2 += t2 * xv;
                b3 += t3 * xv;
            }
            s1[c * d + i] += HSUM4(a0);
            s1[(c + 1) * d + i] += HSUM4(a1);
            s1[(c + 2) * d + i] += HSUM4(a2);
            s1[(c + 3) * d + i] += HSUM4(a3);
            s2[c * d + i] += HSUM4(b0);
            s2[(c + 1) * d + i] += HSUM4(b1);
            s2[(c + 2) * d + i] += HSUM4(b2);
            s2[(c + 3) * d + i] += HSUM4(b3);
        }
    }
    for (; c < k; c++) {
        const double *r = rt + c * npad;
        nk[c] += vsum(r, npad);
        for (size_t i = 0; i < d; i++) {
            const double *x = xct + i * npad;
            v4 a1 = BC4(0.0), a2 = a1;
            for (size_t q = 0; q < npad; q += 4) {
                const v4 xv = LD4(x + q), t = LD4(r + q) * xv;
                a1 += t;
                a2 += t * xv;
            }
            s1[c * d + i] += HSUM4(a1);
            s2[c * d + i] += HSUM4(a2);
        }
    }
}
