/*
 * src/models/gmm_kernels.h — the Gaussian mixture's fast E-step kernels
 * (src/models/gmm_kernels.c). Not installed; see docs/performance.md.
 *
 * The kernels work on a sub-block of at most VEM_GK_ROWS rows held transposed
 * ("feature-major"): xt[i * npad + r] is feature i of row r, with npad = the row
 * count rounded up to VEM_GK_RPAD and dpad = d rounded up to 4. Padding rows and
 * features are zero. Every loop then runs over rows, 4 doubles at a time,
 * with no horizontal reductions in the inner loops.
 */
#ifndef VEM_GMM_KERNELS_H
#define VEM_GMM_KERNELS_H

#include <stddef.h>

#define VEM_GK_ROWS 240 /* rows per sub-block: x^T, log-densities and r .* x stay in L2 */
#define VEM_GK_RPAD 24  /* row padding: a multiple of the kernels' 4, 8 and 12-row tiles */

static inline size_t vem__gk_pad(size_t n, size_t m)
{
    return (n + m - 1) / m * m;
}

/* xt (dpad x npad) = rows [0, n) of x (stride ld) transposed, zero-padded. */
void vem__gk_transpose(size_t n, size_t d, const double *x, size_t ld, double *xt, size_t npad,
                       size_t dpad);

/* xt[i][r] -= center[i] for i < d and rows r < n (padding rows stay zero). */
void vem__gk_center(size_t n, size_t d, const double *center, double *xt, size_t npad);

/*
 * Quadratic forms through upper-triangular factors: for factor f (nfac = k for
 * full covariances, 1 for tied), y = x^T U_f - mu_u[c] and
 * lpt[c][r] = log_norm[c] - 1/2 ||y||^2, using only the upper triangle.
 * upad: nfac x dpad x dpad (zero padded), mupad: k x dpad (zero padded).
 */
void vem__gk_logp_chol(size_t k, size_t dpad, size_t nfac, const double *upad,
                       const double *mupad, const double *log_norm, const double *xt, size_t npad,
                       double *lpt);

/*
 * Diagonal (prec k x d) or spherical (prec k) log densities:
 * lpt[c][r] = log_norm[c] - 1/2 sum_j ((x_j - m_cj) p_cj)^2.
 */
void vem__gk_logp_diag(size_t k, size_t d, int spherical, const double *means,
                       const double *prec, const double *log_norm, const double *xt, size_t npad,
                       double *lpt);

/*
 * Log-sum-exp down each column of lpt (k x npad): lpt becomes the
 * responsibilities (zero in padding rows), the return value is the sum of the
 * n rows' log p(x_r) in row order. A row whose log-densities are all -inf gets
 * responsibilities 1/k and log p = -inf. work: 3 npad doubles.
 */
double vem__gk_normalise(size_t n, size_t npad, size_t k, double *lpt, double *work);

/*
 * ESS of a sub-block from centred rows xct (dpad x npad) and responsibilities
 * rt (k x npad), added into nk (k), s1 (k x d) and s2 (layout of
 * gmm_internal.h: full k x d x d upper triangles, tied d x d upper triangle,
 * diag/spherical k x d squares). work: 4 dpad npad doubles plus npad unsigned
 * ints (full), dpad npad (tied).
 *
 * floor (full only; NULL for none): k responsibilities below which a row's
 * r x x^T is left out of component c's scatter matrix s2 (nk and s1 still take
 * every row). With floor[c] = 1e-18 w_c the rows left out weigh at most 1e-18
 * of the component's mass per row: far below the sum's own rounding, while in
 * well-separated data (the digits: 85 % of responsibilities) most rows go.
 */
void vem__gk_accum_full(size_t k, size_t d, size_t dpad, const double *xct, const double *rt,
                        size_t npad, const double *floor, double *work, double *nk, double *s1,
                        double *s2);
void vem__gk_accum_tied(size_t k, size_t d, size_t dpad, const double *xct, const double *rt,
                        size_t npad, double *work, double *nk, double *s1, double *s2);
void vem__gk_accum_diag(size_t k, size_t d, const double *xct, const double *rt, size_t npad,
                        double *nk, double *s1, double *s2);

#endif /* VEM_GMM_KERNELS_H */
