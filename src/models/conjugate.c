/*
 * src/models/conjugate.c — the conjugate-exponential-family maths of the variational
 * Bayesian models (src/models/conjugate.h): Dirichlet, Gamma and Normal-Wishart factors.
 *
 * Every sum runs in the order the models summed it before they shared it, so their
 * objectives and updates keep their bits.
 */
#include <math.h>
#include <string.h>

#include "internal.h"
#include "linalg/linalg.h"
#include "linalg/special.h"
#include "models/conjugate.h"

#define LOG_2 0.69314718055994530942
#define LOG_PI 1.1447298858494001741

/* ------------------------------------------------------ Dirichlet and Gamma */

void vem__dirichlet_moments(const double *q, size_t stride, size_t n, double *eln, double *mean)
{
    double s = 0.0;
    for (size_t j = 0; j < n; j++)
        s += q[j * stride];
    const double ds = vem__digamma(s);
    for (size_t j = 0; j < n; j++) {
        eln[j] = vem__digamma(q[j * stride]) - ds;
        mean[j] = q[j * stride] / s;
    }
}

double vem__dirichlet_kl(const double *q, const double *p, const double *elnq, size_t n)
{
    double sq = 0.0, sp = 0.0, s = 0.0;
    for (size_t j = 0; j < n; j++) {
        sq += q[j];
        sp += p[j];
        s += -(vem__lgamma(q[j]) - vem__lgamma(p[j])) + (q[j] - p[j]) * elnq[j];
    }
    return s + vem__lgamma(sq) - vem__lgamma(sp);
}

double vem__gamma_kl(double a, double r, double a0, double r0)
{
    return (a - a0) * vem__digamma(a) - vem__lgamma(a) + vem__lgamma(a0) + a0 * (log(r) - log(r0)) +
           a * (r0 - r) / r;
}

/* ------------------------------------------------- Wishart and Normal-Wishart */

double vem__wishart_ln_norm(double logdet_w, double nu, size_t d, double (*lgam)(double))
{
    const double dd = (double)d;
    double s = -0.5 * nu * logdet_w - 0.5 * nu * dd * LOG_2 - 0.25 * dd * (dd - 1.0) * LOG_PI;
    for (size_t i = 1; i <= d; i++)
        s -= lgam(0.5 * (nu + 1.0 - (double)i));
    return s;
}

/* sum_{i=1..d} psi((nu + 1 - i) / 2) + d ln 2. */
static double elnlam_full(double nu, size_t d)
{
    double s = (double)d * LOG_2;
    for (size_t i = 1; i <= d; i++)
        s += vem__digamma(0.5 * (nu + 1.0 - (double)i));
    return s;
}

double vem__wishart_elnlam(double nu, size_t d, int full)
{
    return full ? elnlam_full(nu, d) : (double)d * (vem__digamma(0.5 * nu) + LOG_2);
}

double vem__nw_neg_kl(double beta0, double beta, double nu0, double nu, double logdet_w0,
                      double logdet_w, double q, double tr, size_t d, double (*lgam)(double))
{
    const double dd = (double)d;
    const double elnlam = elnlam_full(nu, d) + logdet_w;
    return 0.5 * dd * log(beta0 / beta) + 0.5 * dd - 0.5 * beta0 * (dd / beta + nu * q) +
           vem__wishart_ln_norm(logdet_w0, nu0, d, lgam) -
           vem__wishart_ln_norm(logdet_w, nu, d, lgam) + 0.5 * (nu0 - nu) * elnlam - 0.5 * nu * tr +
           0.5 * nu * dd;
}

double vem__nw_neg_kl_add(double s, const vem__nw_prior *p, const vem__nw_post *post,
                          double (*lgam)(double))
{
    const size_t d = p->d, pl = p->full ? d * d : d;
    const double *m0 = p->m0, *s0 = p->winv0;
    for (size_t c = 0; c < post->k; c++) {
        const double *m = post->means + c * d, *w = post->w + c * pl;
        const double beta = post->beta[c], nu = post->nu[c];
        if (p->full) {
            double q = 0.0, tr = 0.0;
            for (size_t i = 0; i < d; i++)
                for (size_t j = 0; j < d; j++) {
                    q += (m[i] - m0[i]) * w[i * d + j] * (m[j] - m0[j]);
                    tr += s0[i * d + j] * w[i * d + j];
                }
            s += vem__nw_neg_kl(p->beta0, beta, p->nu0, nu, -p->logdet_winv0, post->logdet_w[c], q,
                                tr, d, lgam);
        } else {
            const double *wi = post->winv + c * pl;
            for (size_t j = 0; j < d; j++) {
                double t = m[j] - m0[j];
                s += vem__nw_neg_kl(p->beta0, beta, p->nu0, nu, -log(s0[j]), -log(wi[j]),
                                    t * t * w[j], s0[j] * w[j], 1, lgam);
            }
        }
    }
    return s;
}

void vem__nw_update(const vem__nw_prior *p, double n, double reg, const double *s1,
                    const double *s2, double *beta, double *nu, double *m, double *winv)
{
    const size_t d = p->d;
    const double *s0 = p->winv0;
    *beta = p->beta0 + n;
    *nu = p->nu0 + n;
    /* About the centre m0 the beta0 (m0 - c) terms vanish: m - m0 = s1 / beta. */
    for (size_t j = 0; j < d; j++)
        m[j] = s1[j] / *beta;
    if (p->full) {
        for (size_t i = 0; i < d; i++)
            for (size_t j = i; j < d; j++) {
                double t = s0[i * d + j] + s2[i * d + j] - *beta * m[i] * m[j];
                winv[i * d + j] = t;
                winv[j * d + i] = t;
            }
        for (size_t j = 0; j < d; j++)
            winv[j * d + j] += n * reg;
    } else {
        for (size_t j = 0; j < d; j++)
            winv[j] = s0[j] + s2[j] - *beta * m[j] * m[j] + n * reg;
    }
    for (size_t j = 0; j < d; j++)
        m[j] += p->m0[j];
}

/* ------------------------------------------------- tied Normal-Wishart family */

double vem__nw_mean_neg_kl(double beta0, double beta, double lq, size_t d)
{
    const double dd = (double)d;
    return 0.5 * dd * log(beta0 / beta) + 0.5 * dd - 0.5 * beta0 * (dd / beta + lq);
}

double vem__wishart_neg_kl(double nu0, double nu, double logdet_w0, double logdet_w, double tr,
                           size_t d, double (*lgam)(double))
{
    const double dd = (double)d;
    const double elnlam = elnlam_full(nu, d) + logdet_w;
    return vem__wishart_ln_norm(logdet_w0, nu0, d, lgam) -
           vem__wishart_ln_norm(logdet_w, nu, d, lgam) + 0.5 * (nu0 - nu) * elnlam - 0.5 * nu * tr +
           0.5 * nu * dd;
}

double vem__nw_tied_neg_kl_add(double s, const vem__nw_prior *p, const vem__nw_post *post,
                               double (*lgam)(double))
{
    const size_t d = p->d;
    const double *m0 = p->m0, *s0 = p->winv0, *w = post->w;
    const double nu = post->nu[0];
    for (size_t c = 0; c < post->k; c++) {
        const double *m = post->means + c * d;
        double q = 0.0;
        for (size_t i = 0; i < d; i++)
            for (size_t j = 0; j < d; j++)
                q += (m[i] - m0[i]) * w[i * d + j] * (m[j] - m0[j]);
        s += vem__nw_mean_neg_kl(p->beta0, post->beta[c], nu * q, d);
    }
    double tr = 0.0;
    for (size_t i = 0; i < d * d; i++)
        tr += s0[i] * w[i];
    return s + vem__wishart_neg_kl(p->nu0, nu, -p->logdet_winv0, post->logdet_w[0], tr, d, lgam);
}

void vem__nw_tied_update(const vem__nw_prior *p, size_t k, const double *n, const double *s1,
                         const double *s2, double *beta, double *nu, double *means, double *winv)
{
    const size_t d = p->d;
    double total = 0.0;
    for (size_t i = 0; i < d; i++)
        for (size_t j = i; j < d; j++)
            winv[i * d + j] = p->winv0[i * d + j];
    for (size_t c = 0; c < k; c++) {
        const double nc = fmax(n[c], 0.0), *a = s2 + c * d * d;
        double *m = means + c * d;
        total += nc;
        beta[c] = p->beta0 + nc;
        /* About m0: m - m0 = s1 / beta, and the scatter of state c is s2 - beta (m - m0)(..)^T. */
        for (size_t j = 0; j < d; j++)
            m[j] = s1[c * d + j] / beta[c];
        for (size_t i = 0; i < d; i++)
            for (size_t j = i; j < d; j++)
                winv[i * d + j] += a[i * d + j] - beta[c] * m[i] * m[j];
        for (size_t j = 0; j < d; j++)
            m[j] += p->m0[j];
    }
    *nu = p->nu0 + total;
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < i; j++)
            winv[i * d + j] = winv[j * d + i];
}

/* ------------------------------------------------ spherical Normal-Gamma factors */

double vem__ng_sph_elnlam(double nu, size_t d)
{
    const double dd = (double)d;
    return vem__digamma(0.5 * dd * nu) - log(0.5 * dd);
}

double vem__ng_sph_neg_kl_add(double s, const vem__nw_prior *p, const vem__nw_post *post)
{
    const size_t d = p->d;
    const double dd = (double)d, s0 = p->winv0[0];
    for (size_t c = 0; c < post->k; c++) {
        const double *m = post->means + c * d;
        const double nu = post->nu[c], sc = post->winv[c];
        double q = 0.0;
        for (size_t j = 0; j < d; j++)
            q += (m[j] - p->m0[j]) * (m[j] - p->m0[j]);
        s -= vem__gamma_kl(0.5 * dd * nu, 0.5 * dd * sc, 0.5 * dd * p->nu0, 0.5 * dd * s0);
        s += vem__nw_mean_neg_kl(p->beta0, post->beta[c], nu / sc * q, d);
    }
    return s;
}

void vem__ng_sph_update(const vem__nw_prior *p, double n, const double *s1, double s2,
                        double *beta, double *nu, double *m, double *sc)
{
    const size_t d = p->d;
    *beta = p->beta0 + n;
    *nu = p->nu0 + n;
    double q = 0.0;
    for (size_t j = 0; j < d; j++) {
        m[j] = s1[j] / *beta;
        q += m[j] * m[j];
    }
    *sc = p->winv0[0] + (s2 - *beta * q) / (double)d;
    for (size_t j = 0; j < d; j++)
        m[j] += p->m0[j];
}

/* ------------------------------------------------------------ scale matrices */

size_t vem__scale_logdet(size_t d, int full, const double *a, double *logdet, double *l)
{
    double s = 0.0;
    if (!full) {
        for (size_t j = 0; j < d; j++) {
            if (!(a[j] > 0.0) || !isfinite(a[j]))
                return j + 1;
            s += log(a[j]);
        }
    } else {
        size_t bad = vem__cholesky(d, a, l);
        if (bad)
            return bad;
        for (size_t j = 0; j < d; j++)
            s += 2.0 * log(l[j * d + j]);
    }
    *logdet = s;
    return 0;
}

size_t vem__scales_check(size_t k, size_t d, int full, const double *winv, size_t *which, double *l)
{
    const size_t pl = full ? d * d : d;
    for (size_t c = 0; c < k; c++) {
        double ld;
        size_t bad = vem__scale_logdet(d, full, winv + c * pl, &ld, l);
        if (bad) {
            *which = c;
            return bad;
        }
    }
    return 0;
}

/* Inverse of the lower triangular l (d x d) into li (lower), by forward substitution. */
static void tri_inverse(size_t d, const double *l, double *li)
{
    memset(li, 0, d * d * sizeof *li);
    for (size_t j = 0; j < d; j++) {
        li[j * d + j] = 1.0 / l[j * d + j];
        for (size_t i = j + 1; i < d; i++) {
            double s = 0.0;
            for (size_t m = j; m < i; m++)
                s += l[i * d + m] * li[m * d + j];
            li[i * d + j] = -s / l[i * d + i];
        }
    }
}

size_t vem__nw_derive(size_t d, int full, const double *winv, double nu, double *w, double *linv,
                      double *cov, double *logdet_w, double *l)
{
    const size_t pl = full ? d * d : d;
    double ld = 0.0;
    size_t bad = vem__scale_logdet(d, full, winv, &ld, l);
    if (bad)
        return bad;
    *logdet_w = -ld;
    if (full) {
        tri_inverse(d, l, linv);
        for (size_t i = 0; i < d; i++)
            for (size_t j = 0; j <= i; j++) {
                double t = 0.0;
                for (size_t m = i; m < d; m++) /* (L^-T L^-1)_ij = sum_m li[m][i] li[m][j] */
                    t += linv[m * d + i] * linv[m * d + j];
                w[i * d + j] = t;
                w[j * d + i] = t;
            }
    } else {
        for (size_t j = 0; j < d; j++)
            w[j] = 1.0 / winv[j];
    }
    for (size_t i = 0; i < pl; i++)
        cov[i] = winv[i] / nu;
    if (full) /* exactly symmetric */
        for (size_t i = 0; i < d; i++)
            for (size_t j = 0; j < i; j++)
                cov[i * d + j] = cov[j * d + i];
    return 0;
}

vem_status vem__check_finite(const double *x, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return VEM_FAIL(VEM_EINVAL, "%s entry %zu is not finite", what, i + 1);
    return VEM_OK;
}

vem_status vem__check_scale(size_t d, int full, const double *s, const char *what)
{
    vem_status st = vem__check_finite(s, full ? d * d : d, what);
    if (st != VEM_OK || !full)
        return st;
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < i; j++)
            if (!(fabs(s[i * d + j] - s[j * d + i]) <=
                  1e-12 * fmax(fabs(s[i * d + j]), fabs(s[j * d + i]))))
                return VEM_FAIL(VEM_EINVAL, "%s is not symmetric at [%zu][%zu]", what, i + 1,
                                j + 1);
    return VEM_OK;
}
