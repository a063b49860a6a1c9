/*
 * src/models/conjugate.h — the conjugate-exponential-family maths of the variational
 * Bayesian models (the mixture, src/models/vbgmm.c, and the HMM, src/models/vbhmm.c):
 * Dirichlet and Gamma expectations and KL divergences, and the Normal-Wishart factors
 * q(mu_k, Lambda_k) = N(mu_k | m_k, (beta_k Lambda_k)^-1) W(Lambda_k | W_k, nu_k) with their
 * expectations, KL divergences and updates (Bishop PRML 10.2, appendix B); for the HMM also
 * one Wishart shared by k means (tied covariances) and spherical Normal-Gamma factors.
 * Implemented in src/models/conjugate.c. Not installed.
 *
 * Scale matrices are W^-1 ("winv"), full (d x d, row-major) or diagonal (d), as the
 * models store them; pl = d * d or d doubles each. The functions that sum log-Gamma terms
 * take the log-Gamma to use (lgam): the mixture keeps libm's lgamma, the HMM vem__lgamma,
 * so that each model's bits stay what they were.
 */
#ifndef VEM_CONJUGATE_H
#define VEM_CONJUGATE_H

#include <stddef.h>

#include <vem/common.h>

/* ---- Dirichlet and Gamma factors ---- */

/* E[ln p_j] = psi(q_j) - psi(sum q) (eln) and E[p_j] = q_j / sum q (mean) of the Dirichlet
 * Dir(q) over n entries q[0], q[stride], ... (eln and mean: n each, contiguous). */
void vem__dirichlet_moments(const double *q, size_t stride, size_t n, double *eln, double *mean);
/* KL(Dir(q) || Dir(p)) over n entries; elnq: psi(q_j) - psi(sum q). vem__lgamma. */
double vem__dirichlet_kl(const double *q, const double *p, const double *elnq, size_t n);
/* KL(Gamma(a, r) || Gamma(a0, r0)) of shapes and rates. vem__lgamma. */
double vem__gamma_kl(double a, double r, double a0, double r0);

/* ---- Wishart and Normal-Wishart factors ---- */

/* ln B(W, nu) of the Wishart normaliser in d dimensions (PRML eq. B.79) from ln|W|. */
double vem__wishart_ln_norm(double logdet_w, double nu, size_t d, double (*lgam)(double));
/* E[ln|Lambda|] - ln|W| under W(Lambda | W, nu) (PRML eq. 10.65): sum_{i=1..d}
 * psi((nu + 1 - i) / 2) + d ln 2 (full); d (psi(nu / 2) + ln 2) for a diagonal W, whose d
 * one-dimensional factors share nu. */
double vem__wishart_elnlam(double nu, size_t d, int full);

/* The prior of a family of Normal-Wishart factors, as the models hold it. */
typedef struct vem__nw_prior {
    size_t d;
    int full; /* full scale matrices, else diagonal */
    double beta0, nu0;
    const double *m0;    /* d */
    const double *winv0; /* W0^-1: pl */
    double logdet_winv0; /* ln|W0^-1| */
} vem__nw_prior;

/* k Normal-Wishart factors and what derives from them (vem__nw_derive). */
typedef struct vem__nw_post {
    size_t k;
    const double *beta, *nu; /* k each */
    const double *means;     /* k x d */
    const double *winv;      /* k x pl: W_k^-1 */
    const double *w;         /* k x pl: W_k */
    const double *logdet_w;  /* k: ln|W_k| */
} vem__nw_post;

/* -KL(q(mu, Lambda) || p(mu, Lambda)) of one Normal-Wishart factor in d dimensions (PRML
 * eqs. 10.74 and 10.77 under q with their normalisers), q = (m - m0)^T W (m - m0) and
 * tr = tr(W0^-1 W). */
double vem__nw_neg_kl(double beta0, double beta, double nu0, double nu, double logdet_w0,
                      double logdet_w, double q, double tr, size_t d, double (*lgam)(double));
/* s plus -KL(q || p) of every factor of post (a diagonal factor: d one-dimensional ones),
 * added term by term in the order of the factors. */
double vem__nw_neg_kl_add(double s, const vem__nw_prior *p, const vem__nw_post *post,
                          double (*lgam)(double));

/*
 * The update of one factor from its expected statistics about the centre m0 (PRML eqs.
 * 10.60-10.63): n = N_k (>= 0), s1 = sum r (x - m0) (d), s2 = sum r (x - m0)(x - m0)^T
 * (full: the upper triangle of d x d; diagonal: d squares), plus n reg on the diagonal of
 * W^-1. Writes beta, nu, the mean m (d) and W^-1 (pl, full: both triangles).
 */
void vem__nw_update(const vem__nw_prior *p, double n, double reg, const double *s1,
                    const double *s2, double *beta, double *nu, double *m, double *winv);

/* ---- one Wishart shared by k means ("tied"), and the pieces of the Normal-Wishart KL ---- */

/* -E_q(Lambda)[KL(N(m, (beta Lambda)^-1) || N(m0, (beta0 Lambda)^-1))] in d dimensions, with
 * lq = (m - m0)^T E[Lambda] (m - m0): the KL is affine in Lambda, so its expectation is its
 * value at E[Lambda]. */
double vem__nw_mean_neg_kl(double beta0, double beta, double lq, size_t d);
/* -KL(W(Lambda | W, nu) || W(Lambda | W0, nu0)) in d dimensions, tr = tr(W0^-1 W). */
double vem__wishart_neg_kl(double nu0, double nu, double logdet_w0, double logdet_w, double tr,
                           size_t d, double (*lgam)(double));
/* s plus -KL(q || p) of a tied family: q(Lambda) = W(W, nu) (post: nu, winv, w, logdet_w
 * one each, full) and q(mu_c | Lambda) = N(m_c, (beta_c Lambda)^-1) for the post->k means;
 * the prior p(Lambda) = W(W0, nu0), p(mu_c | Lambda) = N(m0, (beta0 Lambda)^-1). The means'
 * terms are added first, in order, then the Wishart's. */
double vem__nw_tied_neg_kl_add(double s, const vem__nw_prior *p, const vem__nw_post *post,
                               double (*lgam)(double));
/*
 * The update of a tied family from k states' statistics about m0 (as vem__nw_update: n k
 * occupancies, round-off below 0 taken as 0; s1 k x d; s2 k x d x d, upper triangles):
 * beta_c = beta0 + n_c, m_c = m0 + s1_c / beta_c, nu = nu0 + sum n_c, W^-1 = W0^-1 +
 * sum_c (s2_c - beta_c (m_c - m0)(m_c - m0)^T) (both triangles). beta, means: k, k x d.
 */
void vem__nw_tied_update(const vem__nw_prior *p, size_t k, const double *n, const double *s1,
                         const double *s2, double *beta, double *nu, double *means, double *winv);

/* ---- spherical Normal-Gamma factors ----
 *
 * One precision lambda per factor: q(lambda) = Gamma(shape d nu / 2, rate d s / 2),
 * q(mu | lambda) = N(m, (beta lambda)^-1 I_d), in hmmlearn's parametrisation (nu, s): the
 * update nu = nu0 + n, s = s0 + (the scatter summed over the d dimensions) / d is
 * hmmlearn's, E[lambda] = nu / s. The prior (vem__nw_prior with full = 0) holds s0 in
 * winv0[0]; post holds s_c in winv[c] (its w and logdet_w are not read). */

/* E[ln lambda] + ln s = psi(d nu / 2) - ln(d / 2). */
double vem__ng_sph_elnlam(double nu, size_t d);
/* s plus -KL(q || p) of every factor of post (the Gamma's, then the mean's), in order. */
double vem__ng_sph_neg_kl_add(double s, const vem__nw_prior *p, const vem__nw_post *post);
/* The update of one factor from n, s1 (d) and s2 = sum r ||x - m0||^2 about m0: beta, nu,
 * the mean m (d) and the scale *sc. */
void vem__ng_sph_update(const vem__nw_prior *p, double n, const double *s1, double s2,
                        double *beta, double *nu, double *m, double *sc);

/*
 * ln|a| of a scale matrix a (full d x d, else diagonal d) into *logdet; l: d * d work
 * (full: the Cholesky factor of a on return). 0, or the failing pivot (1-based).
 */
size_t vem__scale_logdet(size_t d, int full, const double *a, double *logdet, double *l);
/* The first of k scale matrices winv (k x pl) that is not positive definite: its pivot
 * (0: none) and, in *which, its index. l: d * d work. */
size_t vem__scales_check(size_t k, size_t d, int full, const double *winv, size_t *which,
                         double *l);
/*
 * What one factor's W^-1 (winv) and nu give: W (w, pl), ln|W| (*logdet_w), the covariance
 * W^-1 / nu (cov, pl, full: exactly symmetric) and, full, L^-1 (linv, d x d) with
 * W^-1 = L L^T. l: d * d work. 0, or the pivot of a W^-1 that is not positive definite.
 */
size_t vem__nw_derive(size_t d, int full, const double *winv, double nu, double *w, double *linv,
                      double *cov, double *logdet_w, double *l);

/* n entries of x, each finite; what names them ("scale prior entry 3 is not finite"). */
vem_status vem__check_finite(const double *x, size_t n, const char *what);
/* A scale matrix s (full: also symmetric) before its factorisation; what names it. */
vem_status vem__check_scale(size_t d, int full, const double *s, const char *what);

/* ||L^-1 (x - m)||^2 for the lower triangular li = L^-1 (d x d); t: d work. */
static inline double vem__tri_mahalanobis(size_t d, const double *li, const double *x,
                                          const double *m, double *t)
{
    double q = 0.0;
    for (size_t j = 0; j < d; j++)
        t[j] = x[j] - m[j];
    for (size_t i = 0; i < d; i++) {
        double a = 0.0;
        for (size_t j = 0; j <= i; j++)
            a += li[i * d + j] * t[j];
        q += a * a;
    }
    return q;
}

#endif /* VEM_CONJUGATE_H */
