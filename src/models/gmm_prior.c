/*
 * src/models/gmm_prior.c — MAP M-steps of Gaussian mixtures under the conjugate
 * prior of Fraley & Raftery (2007, J. Classification 24:155-181), as mclust 6.0's
 * me() applies it (its Fortran me*p routines, read for their equations).
 *
 * Prior: mu_k | Sigma_k ~ N(mu_p, Sigma_k / kappa), an inverse-Wishart (nu, Lambda)
 * on the ellipsoidal covariances, inverse gammas (nu / 2, zeta^2 / 2) on the
 * variances of the spherical and diagonal ones (zeta^2 = tr(Lambda) / d), and a
 * uniform prior on the weights (so the weights stay n_k / n).
 *
 * Every MAP M-step is the structure's maximum-likelihood M-step with two changes:
 * the scatter matrices W_k (about xbar_k) become
 *     B_k = W_k + c_k (xbar_k - mu_p)(xbar_k - mu_p)^T + L_k,  c_k = kappa n_k / (n_k + kappa),
 * and the counts n_k become n_k + e_k, where L_k (the prior scale the model adds per
 * component) and e_k (the exponent of |Sigma_k| the prior adds) are the model's own:
 *
 *   model   e_k                          L_k
 *   VVV     nu + d + 2                   Lambda
 *   EEE     (nu + d + 1 + K [kappa>0])/K Lambda / K
 *   EEV     (nu + d + 1 + [kappa>0]) / K Lambda
 *   VEV     0                            Lambda
 *   EII     1 + (nu + 2) / (K d)         0  (mclust adds no scale to EII)
 *   VII     [kappa>0] + (nu + 2) / d     zeta^2 / d I
 *   EEI     (nu + 1 + [kappa>0]) / K     zeta^2 / K I
 *   VEI     (nu + 2 + [kappa>0]) / d     zeta^2 I
 *   EVI     (nu + 1 + [kappa>0]) / K     zeta^2 I
 *   VVI     nu + 2 + [kappa>0]           zeta^2 I
 *
 * (the denominators of mclust's meeiip, meviip, meeeip, meveip, meevip, mevvip,
 * meeeep, meeevp, mevevp, mevvvp, written as counts). At K = 1 every model takes
 * its family's one-component MAP, as mclust's mvn(): VII's for EII and VII, VVI's
 * for the diagonal models, and for the ellipsoidal ones Sigma = B / (n + nu + d + 1
 * + [kappa>0]). The means are (n_k xbar_k + kappa mu_p) / (n_k + kappa), except for
 * EEI with K > 1, whose means mclust leaves at xbar_k.
 *
 * The log prior is then, up to a constant,
 *     log p(theta) = -1/2 sum_k [kappa (mu_k - mu_p)^T Sigma_k^-1 (mu_k - mu_p)
 *                                + tr(Sigma_k^-1 L_k) + e_k log |Sigma_k|],
 * and each M-step above is its exact maximiser together with the expected
 * complete-data log-likelihood (EEI's means excepted), so EM on
 * log L + log p never decreases.
 */
#include "models/gmm_prior.h"

#include <math.h>
#include <string.h>

#include "internal.h"

int vem_cov_has_prior(vem_cov cov)
{
    switch ((int)cov) {
    case VEM_COV_VEE:
    case VEM_COV_EVE:
    case VEM_COV_VVE:
    case VEM_COV_EVV:
        return 0;
    default:
        return vem_cov_name(cov) != NULL;
    }
}

size_t vem__gmm_prior_work_len(size_t k, size_t d)
{
    return 2 * d + k + k * d * d + d * d;
}

/* e_k, and L_k = lfac Lambda (lmat) or lfac zeta^2 I, of structure cov at k components. */
static void terms(const vem__gprior *p, vem_cov cov, size_t k, size_t d, double *e, double *lfac,
                  int *lmat)
{
    const double kk = p->kappa > 0.0 ? 1.0 : 0.0, nu = p->nu, dd = (double)d, g = (double)k;
    const vem_cov lay = vem_cov_layout(cov);
    *lfac = 1.0;
    *lmat = lay == VEM_COV_FULL || lay == VEM_COV_TIED;
    if (k == 1) { /* mclust's mvn(): XII, XXI, XXX */
        if (lay == VEM_COV_SPHERICAL)
            cov = VEM_COV_SPHERICAL;
        else if (lay == VEM_COV_DIAG)
            cov = VEM_COV_DIAG;
        else {
            *e = nu + dd + 1.0 + kk;
            return;
        }
    }
    switch ((int)cov) {
    case VEM_COV_FULL:
        *e = nu + dd + 2.0;
        break;
    case VEM_COV_TIED:
        *e = (nu + dd + 1.0 + g * kk) / g;
        *lfac = 1.0 / g;
        break;
    case VEM_COV_EEV:
        *e = (nu + dd + 1.0 + kk) / g;
        break;
    case VEM_COV_VEV:
        *e = 0.0;
        break;
    case VEM_COV_EII:
        *e = 1.0 + (nu + 2.0) / (g * dd);
        *lfac = 0.0;
        break;
    case VEM_COV_SPHERICAL:
        *e = kk + (nu + 2.0) / dd;
        *lfac = 1.0 / dd;
        break;
    case VEM_COV_EEI:
        *e = (nu + 1.0 + kk) / g;
        *lfac = 1.0 / g;
        break;
    case VEM_COV_VEI:
        *e = (nu + 2.0 + kk) / dd;
        break;
    case VEM_COV_EVI:
        *e = (nu + 1.0 + kk) / g;
        break;
    case VEM_COV_DIAG:
        *e = nu + 2.0 + kk;
        break;
    default:
        *e = 0.0;
        break;
    }
}

/* Entry (i, j) of L_k. */
static double lk(const vem__gprior *p, size_t d, double lfac, int lmat, size_t i, size_t j)
{
    if (lmat)
        return lfac * p->scale[i * d + j];
    return i == j ? lfac * p->zeta2 : 0.0;
}

vem_status vem__gmm_prior_mstep(const vem__gprior *p, vem_cov cov, size_t k, size_t d,
                                const double *cnt, const double *s1, const double *s2,
                                const double *center, double *means, double *covs,
                                vem__mstate *ms, double *work, double *swork)
{
    const vem_cov lay = vem_cov_layout(cov);
    double e, lfac;
    int lmat;
    terms(p, cov, k, d, &e, &lfac, &lmat);
    const int shrink = !(cov == VEM_COV_EEI && k > 1);
    double *pm = work, *n2 = pm + d, *b = n2 + k, *v = b + vem__max(k * d * d, d * d);
    const size_t bl = lay == VEM_COV_FULL ? d * d : lay == VEM_COV_TIED ? 0 : d;
    for (size_t j = 0; j < d; j++)
        pm[j] = p->mean[j] - center[j];
    if (lay == VEM_COV_TIED)
        memset(b, 0, d * d * sizeof *b);
    double ntot = 0.0;
    for (size_t c = 0; c < k; c++) {
        const double m = cnt[c], ck = p->kappa > 0.0 ? p->kappa * m / (m + p->kappa) : 0.0;
        const double *a = s1 + c * d;
        double *mu = means + c * d, *bc = b + c * bl;
        n2[c] = m + e;
        ntot += n2[c];
        for (size_t j = 0; j < d; j++) {
            const double dk = a[j] / m;
            v[j] = dk - pm[j];
            mu[j] = shrink ? (a[j] + p->kappa * pm[j]) / (m + p->kappa) : dk;
        }
        switch (lay) {
        case VEM_COV_FULL: {
            const double *s = s2 + c * d * d; /* upper triangle */
            for (size_t i = 0; i < d; i++)
                for (size_t j = i; j < d; j++) {
                    double x = s[i * d + j] - m * (a[i] / m) * (a[j] / m) + ck * v[i] * v[j] +
                               lk(p, d, lfac, lmat, i, j);
                    bc[i * d + j] = x;
                    bc[j * d + i] = x;
                }
            break;
        }
        case VEM_COV_TIED:
            for (size_t i = 0; i < d; i++)
                for (size_t j = i; j < d; j++)
                    b[i * d + j] += ck * v[i] * v[j] - m * (a[i] / m) * (a[j] / m);
            break;
        default:
            for (size_t j = 0; j < d; j++) {
                const double dk = a[j] / m;
                bc[j] = s2[c * d + j] - m * dk * dk + ck * v[j] * v[j] +
                        lk(p, d, lfac, lmat, j, j);
            }
            break;
        }
    }
    if (lay == VEM_COV_TIED) {
        for (size_t i = 0; i < d; i++)
            for (size_t j = i; j < d; j++) {
                double x = (b[i * d + j] + s2[i * d + j] + p->scale[i * d + j]) / ntot;
                covs[i * d + j] = x;
                covs[j * d + i] = x;
            }
        return VEM_OK;
    }
    if (lay == VEM_COV_FULL && (cov == VEM_COV_FULL || k == 1)) {
        for (size_t c = 0; c < k; c++)
            for (size_t i = 0; i < d * d; i++)
                covs[c * d * d + i] = b[c * d * d + i] / n2[c];
        return VEM_OK;
    }
    if (lay == VEM_COV_SPHERICAL && (cov == VEM_COV_SPHERICAL || k == 1)) {
        for (size_t c = 0; c < k; c++) {
            double s = 0.0;
            for (size_t j = 0; j < d; j++)
                s += b[c * d + j];
            covs[c] = s / ((double)d * n2[c]);
        }
        return VEM_OK;
    }
    if (lay == VEM_COV_DIAG && (cov == VEM_COV_DIAG || k == 1)) {
        for (size_t c = 0; c < k; c++)
            for (size_t j = 0; j < d; j++)
                covs[c * d + j] = b[c * d + j] / n2[c];
        return VEM_OK;
    }
    /* EII, EEI, VEI, EVI, EEV, VEV: the structure's M-step on (n_k + e_k, B_k). */
    return vem__gmm_struct_cov(cov, k, d, n2, b, covs, ms, swork);
}

double vem__gmm_log_prior(const vem__gprior *p, vem_cov cov, size_t k, size_t d,
                          const double *means, const double *prec)
{
    const vem_cov lay = vem_cov_layout(cov);
    double e, lfac;
    int lmat;
    terms(p, cov, k, d, &e, &lfac, &lmat);
    double sum = 0.0;
    for (size_t c = 0; c < k; c++) {
        const double *mu = means + c * d;
        double q = 0.0, tr = 0.0, logdet = 0.0;
        if (lay == VEM_COV_FULL || lay == VEM_COV_TIED) {
            const double *u = prec + (lay == VEM_COV_FULL ? c * d * d : 0);
            for (size_t j = 0; j < d; j++) {
                logdet -= 2.0 * log(u[j * d + j]);
                double y = 0.0; /* (U^T x)_j; U upper triangular */
                for (size_t i = 0; i <= j; i++)
                    y += u[i * d + j] * (mu[i] - p->mean[i]);
                q += y * y;
                /* column j of U, u_j: u_j^T L u_j */
                for (size_t i = 0; i <= j; i++)
                    for (size_t l = 0; l <= j; l++)
                        tr += u[i * d + j] * lk(p, d, lfac, lmat, i, l) * u[l * d + j];
            }
        } else {
            for (size_t j = 0; j < d; j++) {
                const double pj = lay == VEM_COV_DIAG ? prec[c * d + j] : prec[c];
                logdet -= 2.0 * log(pj);
                const double t = pj * (mu[j] - p->mean[j]);
                q += t * t;
                tr += lk(p, d, lfac, lmat, j, j) * pj * pj;
            }
        }
        sum += (p->kappa > 0.0 ? p->kappa * q : 0.0) + tr + e * logdet;
    }
    return -0.5 * sum;
}
