/*
 * src/models/vbgmm.c — Bayesian Gaussian mixtures by variational Bayes (CAVI),
 * Bishop PRML 10.2, with a truncated stick-breaking prior (Blei & Jordan 2006).
 *
 * The E-step's log rho_nk (PRML eq. 10.46 with 10.64-10.66) is
 *     E[ln pi_k] + 1/2 E[ln|Lambda_k|] - d/2 ln 2 pi - 1/2 (d / beta_k + nu_k (x - m_k)^T W_k (x - m_k)),
 * a Gaussian log density with covariance (nu_k W_k)^-1 plus a per-component
 * constant cnst_k. So the Gaussian mixture's own E-step does the work
 * (gmm_internal.h): a bank of k Gaussians with means m_k, covariances
 * W_k^-1 / nu_k and weights exp(cnst_k) / Z has log w_k + log N_k = log rho_nk
 * - ln Z, and its fused pass gives the responsibilities and the ESS N_k,
 * S1_k = sum r (x - c), S2_k = sum r (x - c)(x - c)^T about the fixed centre
 * c = m0 (the mean prior). Each row adds log sum_k rho_nk to the objective:
 * with the optimal q(z_n) that is the row's part of the ELBO
 * (PRML eqs. 10.71, 10.72, 10.75). objective_extra adds -KL(q(pi) || p(pi))
 * and -KL(q(mu_k, Lambda_k) || p(mu_k, Lambda_k)) in closed form (eqs. 10.73,
 * 10.74, 10.76, 10.77 with the normalisers kept), so the engine's total is the
 * full ELBO. The update of the global factors (eqs. 10.58, 10.60-10.63) is
 *     beta_k = beta0 + N_k, nu_k = nu0 + N_k, m_k = c + (beta0 (m0 - c) + S1_k) / beta_k,
 *     W_k^-1 = W0^-1 + S2_k + beta0 (m0 - c)(m0 - c)^T - beta_k (m_k - c)(m_k - c)^T + N_k reg I,
 * the centred form of eq. 10.62 (no raw second moments, so no cancellation).
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <vem/fit.h>
#include <vem/io.h>
#include <vem/vbgmm.h>

#include "internal.h"
#include "linalg/special.h"
#include "linalg/linalg.h"
#include "models/conjugate.h"
#include "models/fitutil.h"
#include "models/gmm_internal.h"
#include "models/kmeans.h"

#define LOG_2PI 1.8378770664093454836
#define LOG_PI 1.1447298858494001741

enum mode { MODE_POSTERIOR = 0, MODE_NEAREST = 1, MODE_RANDOM = 2 };

struct vem_vbgmm {
    size_t k, d;
    vem_cov cov;
    size_t pl; /* doubles of one component's (or the prior's) scale matrix: d*d or d */

    vem_vb_weight_prior wprior;
    double alpha0; /* NAN: 1/k */
    double beta0;
    double nu0; /* NAN: d */
    double *m0; /* d */
    double *c0; /* W0^-1: pl */
    int m0_user, c0_user;   /* set by the caller (kept across fits) */
    int m0_known, c0_known; /* m0 / c0 hold values (the caller's or resolved from data) */
    int priors_shared;      /* during a distributed fit: resolved from all processes' rows */
    double logdet_c0;
    double reg_covar;
    vem_gmm_init init;
    char **columns;

    /* The posterior. */
    double *conc;  /* 2k: Dirichlet alpha_k in conc[2k], or (gamma_k1, gamma_k2) */
    double *beta;  /* k */
    double *nu;    /* k */
    double *means; /* k x d */
    double *winv;  /* k x pl: W_k^-1 */

    /* Derived from the posterior. */
    double *covs;     /* k x pl: W_k^-1 / nu_k */
    double *wmat;     /* k x pl: W_k */
    double *linv;     /* full: k x d x d, L_k^-1 with W_k^-1 = L_k L_k^T */
    double *logdet_w; /* k: ln|W_k| */
    double *elnpi;    /* k: E[ln pi_k] */
    double *weights;  /* k: E[pi_k] */
    double *counts;   /* k: beta_k - beta0 */
    double *cnst;     /* k: E-step constants beyond the Gaussian bank's log density */
    double logz;      /* ln sum_k exp(cnst_k): the bank's weights are exp(cnst_k - logz) */
    double *conc_out; /* k or 2k, the public layout */
    vem_gmm *bank;
    double *work; /* new posterior during an update, and factorisation work */

    enum mode mode;
    const double *mode_centers;
    uint64_t mode_seed;

    /* The gradient's reference point and work (vb_uparams_get), one block; NULL until
     * first used. */
    double *ublock;
    struct uref {
        double *conc;         /* 2k: concentrations */
        double *sq, *bh;      /* 2k: their blocks' whitening (dir_block_ref) */
        double *gam;          /* k: one per block */
        double *beta, *nu;    /* k */
        double *snu;          /* k: the dof coordinates' scales */
        double *means;        /* k x d */
        double *l0;           /* k x pl: full, L_ref (W^-1 = L_ref L_ref^T); diag, W^-1 */
        double *linv;         /* full: k x d x d, L_ref^-1 */
        double *params;       /* vb_params_len: the posterior uparams_set builds */
        double *work;         /* 2 d d + 2 d: ess_gradient's */
    } ur;
};

/* ---------------------------------------------------------------- names */

static const char *const weight_prior_names[] = {"dirichlet", "dp"};

const char *vem_vb_weight_prior_name(vem_vb_weight_prior p)
{
    return vem__name_of(weight_prior_names, 2, (int)p);
}

vem_status vem_vb_weight_prior_parse(const char *name, vem_vb_weight_prior *out)
{
    size_t i = vem__name_find(name, weight_prior_names, 2);
    if (i == 2 && name && strcmp(name, "dirichlet_process") == 0)
        i = VEM_VB_DP; /* the long form of "dp" */
    if (i == 2)
        return VEM_FAIL(VEM_EINVAL, "unknown weight prior '%s' (dirichlet, dp)",
                        name ? name : "(null)");
    *out = (vem_vb_weight_prior)i;
    return VEM_OK;
}

/* ------------------------------------------------------- object lifetime */

void vem_vbgmm_free(vem_vbgmm *v)
{
    if (!v)
        return;
    double *arrays[] = {v->m0,   v->c0,       v->conc,  v->beta,    v->nu,     v->means,
                        v->winv, v->covs,     v->wmat,  v->linv,    v->logdet_w, v->elnpi,
                        v->weights, v->counts, v->cnst, v->conc_out, v->work};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
        vem__free(arrays[i]);
    vem__strings_free(v->columns, v->d);
    vem_gmm_free(v->bank);
    vem__free(v->ublock);
    vem__free(v);
}

static vem_status derive(vem_vbgmm *v);

vem_vbgmm *vem_vbgmm_new(size_t k, size_t d, vem_cov cov)
{
    if (k == 0 || d == 0) {
        VEM_FAIL(VEM_EINVAL, "vem_vbgmm_new: k=%zu and d=%zu must be >= 1", k, d);
        return NULL;
    }
    if (cov != VEM_COV_FULL && cov != VEM_COV_DIAG) {
        VEM_FAIL(VEM_EUNSUP, "vem_vbgmm_new: covariance '%s' is not supported (full, diag)",
                 vem_cov_name(cov) ? vem_cov_name(cov) : "invalid");
        return NULL;
    }
    size_t kd, dd, kdd;
    if (!vem__mul_ok(k, d, &kd) || !vem__mul_ok(d, d, &dd) || !vem__mul_ok(kd, d, &kdd) ||
        kdd > ((size_t)1 << 40)) {
        VEM_FAIL(VEM_ENOMEM, "vem_vbgmm_new: k=%zu d=%zu overflow", k, d);
        return NULL;
    }
    {
        /* The precision matrices and their statistics and factors: four k x pl. */
        double pl = cov == VEM_COV_FULL ? (double)dd : (double)d;
        char what[128];
        snprintf(what, sizeof what, "a VB Gaussian mixture of %zu components in %zu dimensions",
                 k, d);
        if (vem__check_memory(what, (4.0 * (double)k * pl + 2.0 * (double)dd) * sizeof(double)) !=
            VEM_OK)
            return NULL;
    }
    vem_vbgmm *v = vem__calloc(1, sizeof *v);
    if (!v)
        goto oom;
    v->k = k;
    v->d = d;
    v->cov = cov;
    v->pl = cov == VEM_COV_FULL ? dd : d;
    v->wprior = VEM_VB_DP;
    v->alpha0 = NAN;
    v->beta0 = 1.0;
    v->nu0 = NAN;
    v->reg_covar = 1e-6;
    v->init = VEM_INIT_KMEANS;
    size_t kp = k * v->pl;
    v->m0 = vem__alloc_doubles(d, 1);
    v->c0 = vem__alloc_doubles(v->pl, 1);
    v->conc = vem__alloc_doubles(2 * k, 1);
    v->beta = vem__alloc_doubles(k, 1);
    v->nu = vem__alloc_doubles(k, 1);
    v->means = vem__alloc_doubles(k, d);
    v->winv = vem__alloc_doubles(kp, 1);
    v->covs = vem__alloc_doubles(kp, 1);
    v->wmat = vem__alloc_doubles(kp, 1);
    v->linv = vem__alloc_doubles(cov == VEM_COV_FULL ? kdd : 1, 1);
    v->logdet_w = vem__alloc_doubles(k, 1);
    v->elnpi = vem__alloc_doubles(k, 1);
    v->weights = vem__alloc_doubles(k, 1);
    v->counts = vem__alloc_doubles(k, 1);
    v->cnst = vem__alloc_doubles(k, 1);
    v->conc_out = vem__alloc_doubles(2 * k, 1);
    /* New posterior (2k + 2k + kd + kp) and factorisation work (3 dd). */
    v->work = vem__alloc_doubles(4 * k + kd + kp + 3 * dd, 1);
    v->bank = vem_gmm_new(k, d, cov);
    if (!v->m0 || !v->c0 || !v->conc || !v->beta || !v->nu || !v->means || !v->winv ||
        !v->covs || !v->wmat || !v->linv || !v->logdet_w || !v->elnpi || !v->weights ||
        !v->counts || !v->cnst || !v->conc_out || !v->work || !v->bank)
        goto oom;
    /* A proper posterior to start from: the prior with unit scale. */
    for (size_t c = 0; c < k; c++) {
        v->conc[2 * c] = 1.0;
        v->conc[2 * c + 1] = 1.0;
        v->beta[c] = 1.0;
        v->nu[c] = (double)d;
        for (size_t j = 0; j < d; j++) {
            if (cov == VEM_COV_FULL)
                v->winv[c * dd + j * d + j] = 1.0;
            else
                v->winv[c * d + j] = 1.0;
        }
    }
    for (size_t j = 0; j < d; j++) {
        if (cov == VEM_COV_FULL)
            v->c0[j * d + j] = 1.0;
        else
            v->c0[j] = 1.0;
    }
    if (derive(v) != VEM_OK)
        goto oom;
    return v;
oom:
    vem_vbgmm_free(v);
    VEM_FAIL(VEM_ENOMEM, "vem_vbgmm_new(k=%zu, d=%zu): out of memory", k, d);
    return NULL;
}

/* ------------------------------------------------------------ accessors */

size_t vem_vbgmm_k(const vem_vbgmm *v) { return v->k; }
size_t vem_vbgmm_d(const vem_vbgmm *v) { return v->d; }
vem_cov vem_vbgmm_cov(const vem_vbgmm *v) { return v->cov; }
vem_vb_weight_prior vem_vbgmm_weight_prior(const vem_vbgmm *v) { return v->wprior; }
double vem_vbgmm_mean_precision_prior(const vem_vbgmm *v) { return v->beta0; }
double vem_vbgmm_reg_covar(const vem_vbgmm *v) { return v->reg_covar; }
const double *vem_vbgmm_weights(const vem_vbgmm *v) { return v->weights; }
const double *vem_vbgmm_means(const vem_vbgmm *v) { return v->means; }
const double *vem_vbgmm_covariances(const vem_vbgmm *v) { return v->covs; }
size_t vem_vbgmm_covariances_len(const vem_vbgmm *v) { return v->k * v->pl; }
const double *vem_vbgmm_mean_precision(const vem_vbgmm *v) { return v->beta; }
const double *vem_vbgmm_dof(const vem_vbgmm *v) { return v->nu; }
const double *vem_vbgmm_weight_concentration(const vem_vbgmm *v) { return v->conc_out; }
const double *vem_vbgmm_counts(const vem_vbgmm *v) { return v->counts; }
const char *const *vem_vbgmm_columns(const vem_vbgmm *v)
{
    return (const char *const *)v->columns;
}

size_t vem_vbgmm_weight_concentration_len(const vem_vbgmm *v)
{
    return v->wprior == VEM_VB_DP ? 2 * v->k : v->k;
}

double vem_vbgmm_weight_concentration_prior(const vem_vbgmm *v)
{
    return isnan(v->alpha0) ? 1.0 / (double)v->k : v->alpha0;
}

double vem_vbgmm_dof_prior(const vem_vbgmm *v)
{
    return isnan(v->nu0) ? (double)v->d : v->nu0;
}

const double *vem_vbgmm_mean_prior(const vem_vbgmm *v)
{
    return v->m0_known ? v->m0 : NULL;
}

const double *vem_vbgmm_covariance_prior(const vem_vbgmm *v)
{
    return v->c0_known ? v->c0 : NULL;
}

size_t vem_vbgmm_effective_components(const vem_vbgmm *v)
{
    size_t n = 0;
    for (size_t c = 0; c < v->k; c++)
        n += v->counts[c] >= 1.0;
    return n;
}

vem_status vem_vbgmm_set_weight_prior(vem_vbgmm *v, vem_vb_weight_prior p)
{
    if (!vem_vb_weight_prior_name(p))
        return VEM_FAIL(VEM_EINVAL, "invalid weight prior %d", (int)p);
    v->wprior = p;
    return derive(v);
}

vem_status vem_vbgmm_set_weight_concentration_prior(vem_vbgmm *v, double alpha0)
{
    if (!isnan(alpha0) && (!(alpha0 > 0.0) || !isfinite(alpha0)))
        return VEM_FAIL(VEM_EINVAL, "weight concentration prior %g must be positive and finite",
                        alpha0);
    v->alpha0 = alpha0;
    return derive(v);
}

vem_status vem_vbgmm_set_mean_precision_prior(vem_vbgmm *v, double beta0)
{
    if (!(beta0 > 0.0) || !isfinite(beta0))
        return VEM_FAIL(VEM_EINVAL, "mean precision prior %g must be positive and finite", beta0);
    v->beta0 = beta0;
    return derive(v);
}

vem_status vem_vbgmm_set_dof_prior(vem_vbgmm *v, double nu0)
{
    if (!isnan(nu0) && (!(nu0 > (double)v->d - 1.0) || !isfinite(nu0)))
        return VEM_FAIL(VEM_EINVAL, "degrees of freedom prior %g must be > d - 1 = %zu", nu0,
                        v->d - 1);
    v->nu0 = nu0;
    return VEM_OK;
}

vem_status vem_vbgmm_set_reg_covar(vem_vbgmm *v, double reg_covar)
{
    if (!(reg_covar >= 0.0) || !isfinite(reg_covar))
        return VEM_FAIL(VEM_EINVAL, "reg_covar=%g must be finite and >= 0", reg_covar);
    v->reg_covar = reg_covar;
    return VEM_OK;
}

vem_status vem_vbgmm_set_init(vem_vbgmm *v, vem_gmm_init init)
{
    if (init != VEM_INIT_KMEANS && init != VEM_INIT_RANDOM)
        return VEM_FAIL(VEM_EINVAL, "variational mixtures initialise by kmeans or random");
    v->init = init;
    return VEM_OK;
}

vem_status vem_vbgmm_set_mean_prior(vem_vbgmm *v, const double *m0)
{
    if (!m0) {
        v->m0_user = 0;
        v->m0_known = 0;
        return VEM_OK;
    }
    vem_status st = vem__check_finite(m0, v->d, "mean prior");
    if (st != VEM_OK)
        return st;
    memcpy(v->m0, m0, v->d * sizeof *m0);
    v->m0_user = 1;
    v->m0_known = 1;
    vem__gmm_set_center(v->bank, v->m0);
    return VEM_OK;
}

/* ln|a| of a covariance-like matrix (full d x d or diag d) into *logdet; 0 or the failing pivot. */
static size_t log_det(const vem_vbgmm *v, const double *a, double *logdet, double *l)
{
    return vem__scale_logdet(v->d, v->cov == VEM_COV_FULL, a, logdet, l);
}

/* The prior of the Normal-Wishart factors (the dof prior resolved). */
static vem__nw_prior nw_prior(const vem_vbgmm *v)
{
    const vem__nw_prior p = {.d = v->d,
                             .full = v->cov == VEM_COV_FULL,
                             .beta0 = v->beta0,
                             .nu0 = vem_vbgmm_dof_prior(v),
                             .m0 = v->m0,
                             .winv0 = v->c0,
                             .logdet_winv0 = v->logdet_c0};
    return p;
}

vem_status vem_vbgmm_set_covariance_prior(vem_vbgmm *v, const double *c0)
{
    const size_t d = v->d;
    if (!c0) {
        v->c0_user = 0;
        v->c0_known = 0;
        return VEM_OK;
    }
    vem_status st = vem__check_scale(d, v->cov == VEM_COV_FULL, c0, "covariance prior");
    if (st != VEM_OK)
        return st;
    double ld = 0.0;
    size_t bad = log_det(v, c0, &ld, v->work);
    if (bad)
        return VEM_FAIL(VEM_ENUMERIC, "covariance prior is not positive definite (pivot %zu)", bad);
    memcpy(v->c0, c0, v->pl * sizeof *c0);
    v->logdet_c0 = ld;
    v->c0_user = 1;
    v->c0_known = 1;
    return derive(v);
}

vem_status vem_vbgmm_set_columns(vem_vbgmm *v, const char *const *names)
{
    char **cols = NULL;
    if (names && !(cols = vem__strings_dup(names, v->d)))
        return VEM_FAIL(VEM_ENOMEM, "column names");
    vem__strings_free(v->columns, v->d);
    v->columns = cols;
    return VEM_OK;
}

/* ------------------------------------------------ derived quantities */

/* E[ln pi_k] and E[pi_k] from the weight factor (PRML eq. 10.66; Blei & Jordan 2006, eq. 22). */
static void weight_moments(const vem_vbgmm *v, const double *conc, double *elnpi, double *ew)
{
    const size_t k = v->k;
    if (v->wprior == VEM_VB_DIRICHLET) {
        vem__dirichlet_moments(conc, 2, k, elnpi, ew);
        return;
    }
    double cum = 0.0, rem = 1.0;
    for (size_t c = 0; c + 1 < k; c++) {
        double a = conc[2 * c], b = conc[2 * c + 1], dab = vem__digamma(a + b);
        elnpi[c] = vem__digamma(a) - dab + cum;
        cum += vem__digamma(b) - dab;
        double ev = a / (a + b);
        ew[c] = rem * ev;
        rem *= 1.0 - ev;
    }
    elnpi[k - 1] = cum; /* v_K = 1 */
    ew[k - 1] = rem;
}

/*
 * Everything the E-step, the bound and the predictive density need, from the
 * posterior. VEM_ENUMERIC if some W_k^-1 is not positive definite.
 */
static vem_status derive(vem_vbgmm *v)
{
    const size_t k = v->k, d = v->d, pl = v->pl;
    const int full = v->cov == VEM_COV_FULL;
    double *l = v->work + 4 * k + k * d + k * pl; /* d*d */
    for (size_t c = 0; c < k; c++) {
        /* The covariances exactly symmetric, for the bank's check. */
        size_t bad =
            vem__nw_derive(d, full, v->winv + c * pl, v->nu[c], v->wmat + c * pl,
                           full ? v->linv + c * d * d : NULL, v->covs + c * pl, &v->logdet_w[c], l);
        if (bad)
            return VEM_FAIL(VEM_ENUMERIC,
                            "scale matrix of component %zu is not positive definite (pivot %zu)",
                            c + 1, bad);
    }
    weight_moments(v, v->conc, v->elnpi, v->weights);
    const double dd = (double)d;
    for (size_t c = 0; c < k; c++) {
        double base = vem__wishart_elnlam(v->nu[c], d, full);
        v->cnst[c] = v->elnpi[c] + 0.5 * (base - dd * log(v->nu[c])) - 0.5 * dd / v->beta[c];
        v->counts[c] = v->beta[c] - v->beta0;
        if (v->wprior == VEM_VB_DP) {
            v->conc_out[2 * c] = v->conc[2 * c];
            v->conc_out[2 * c + 1] = v->conc[2 * c + 1];
        } else {
            v->conc_out[c] = v->conc[2 * c];
        }
    }
    /*
     * The bank's weights are exp(cnst_k) normalised: then its own E-step's log w_k +
     * log N_k is log rho_nk - logz, and the mixture's fused E-step (log densities,
     * log-sum-exp, ESS in one pass over a block) is the variational E-step. A weight
     * below the smallest normal double (a component e^-708 less probable than the
     * rest) is clamped there, a change far below round-off of every responsibility.
     */
    double *uw = v->work, mx = -INFINITY, z = 0.0; /* k doubles, free until an update */
    for (size_t c = 0; c < k; c++)
        mx = fmax(mx, v->cnst[c]);
    for (size_t c = 0; c < k; c++)
        z += exp(v->cnst[c] - mx);
    v->logz = mx + log(z);
    for (size_t c = 0; c < k; c++)
        uw[c] = fmax(exp(v->cnst[c] - v->logz), DBL_MIN);
    vem_status st = vem_gmm_set_params(v->bank, uw, v->means, v->covs);
    if (st != VEM_OK)
        return st;
    vem__gmm_set_center(v->bank, v->m0);
    return VEM_OK;
}

/* ----------------------------------------------------------- the bound */

/* -KL(q(pi) || p(pi)) (PRML eqs. 10.73, 10.76; stick-breaking: sum of Beta KLs). */
static double weights_neg_kl(const vem_vbgmm *v)
{
    const size_t k = v->k;
    const double a0 = vem_vbgmm_weight_concentration_prior(v);
    double s = 0.0;
    if (v->wprior == VEM_VB_DIRICHLET) {
        double sum = 0.0;
        s = lgamma((double)k * a0) - (double)k * lgamma(a0);
        for (size_t c = 0; c < k; c++) {
            double a = v->conc[2 * c];
            sum += a;
            s += lgamma(a) + (a0 - a) * v->elnpi[c];
        }
        return s - lgamma(sum);
    }
    for (size_t c = 0; c + 1 < k; c++) {
        double a = v->conc[2 * c], b = v->conc[2 * c + 1], dab = vem__digamma(a + b);
        double elnv = vem__digamma(a) - dab, eln1v = vem__digamma(b) - dab;
        /* ln B(a, b) - ln B(1, a0) + (1 - a) E ln v + (a0 - b) E ln(1 - v) */
        s += lgamma(a) + lgamma(b) - lgamma(a + b) + log(a0) + (1.0 - a) * elnv +
             (a0 - b) * eln1v;
    }
    return s;
}

static double vb_objective_extra(const void *self)
{
    const vem_vbgmm *v = self;
    const vem__nw_prior p = nw_prior(v);
    const vem__nw_post q = {.k = v->k,
                            .beta = v->beta,
                            .nu = v->nu,
                            .means = v->means,
                            .winv = v->winv,
                            .w = v->wmat,
                            .logdet_w = v->logdet_w};
    /* libm's lgamma, as the mixture has always summed its bound. */
    return vem__nw_neg_kl_add(weights_neg_kl(v), &p, &q, lgamma);
}

/* ----------------------------------------------------------- E-step */

static size_t vb_ess_len(const void *self)
{
    return vem__gmm_ess_len(((const vem_vbgmm *)self)->bank);
}

static size_t vb_scratch_len(const void *self, size_t block)
{
    const vem_vbgmm *v = self;
    /* Responsibilities, then the Gaussian kernels' own work space; or the bank's
     * Monte-Carlo E-step's (vb_estep_mc). */
    vem_model bank = vem_gmm_model(v->bank);
    return vem__max(block * v->k + vem__gmm_scratch_len(v->bank, block),
                    bank.ops->scratch_len(bank.self, block));
}

static size_t vb_n_units(const void *self, const vem_data *x)
{
    (void)self;
    return x->x.rows;
}

static double vb_n_obs(const void *self, const vem_data *x)
{
    (void)self;
    return (double)x->x.rows;
}

/* Hard (nearest centre) or uniform random responsibilities for the initialisation passes. */
static void init_resp(const vem_vbgmm *v, const double *x, size_t ld, size_t r0, size_t n,
                      double *resp)
{
    vem__init_resp(v->mode == MODE_NEAREST ? v->mode_centers : NULL, v->mode_seed, v->k, v->d, x,
                   ld, r0, n, resp);
}

static double vb_estep(const void *self, const vem_data *data, size_t u0, size_t u1, double *ess,
                       double *scratch)
{
    const vem_vbgmm *v = self;
    const size_t k = v->k, n = u1 - u0, ld = data->x.ld;
    const double *x = data->x.data + u0 * ld;
    double *resp = scratch;      /* n x k */
    double *work = resp + n * k; /* vem__gmm_scratch_len(bank, n) */
    if (v->mode == MODE_POSTERIOR) {
        /* The bank's E-step: sum_n log sum_k w_k N_k(x_n) = sum_n log sum_k rho_nk - n logz. */
        vem_model bank = vem_gmm_model(v->bank);
        return bank.ops->estep(bank.self, data, u0, u1, ess, scratch) + (double)n * v->logz;
    }
    init_resp(v, x, ld, u0, n, resp);
    vem__gmm_accumulate(v->bank, x, ld, n, resp, ess, work);
    return 0.0;
}

/*
 * Monte-Carlo variational EM (docs/mcem.md): the bank's Monte-Carlo E-step draws each row's
 * component from q(z_n) (rho_nk normalised) and hands the draw counts to the same
 * statistics, so the update of the global factors is the usual one on sampled counts.
 * The objective is the exact E-step's (the ELBO's data part at q(z)); for the mode (CEM)
 * sum_n max_k log rho_nk, the classification ELBO that coordinate ascent over hard z and
 * q(theta) never decreases.
 */
static double vb_estep_mc(const void *self, const vem_data *data, size_t u0, size_t u1,
                          double *ess, double *scratch, const vem_mc_draw *mc)
{
    const vem_vbgmm *v = self;
    vem_model bank = vem_gmm_model(v->bank);
    return bank.ops->estep_mc(bank.self, data, u0, u1, ess, scratch, mc) +
           (double)(u1 - u0) * v->logz;
}

/* ----------------------------------------------------------- update */

/* The global factors from the ESS plus the prior (PRML eqs. 10.58, 10.60-10.63). */
static vem_status vb_mstep(void *self, const double *ess)
{
    vem_vbgmm *v = self;
    const size_t k = v->k, d = v->d, pl = v->pl;
    const double *nk = ess, *s1 = ess + k, *s2 = ess + k + k * d;
    const double a0 = vem_vbgmm_weight_concentration_prior(v);
    const vem__nw_prior p = nw_prior(v);
    for (size_t c = 0; c < k; c++)
        if (!(nk[c] >= -1e-9 * (double)k) || !isfinite(nk[c]))
            return VEM_FAIL(VEM_ENUMERIC, "update: expected count of component %zu is %g", c + 1,
                            nk[c]);
    double *conc = v->work, *beta = conc + 2 * k, *nu = beta + k, *means = nu + k;
    double *winv = means + k * d;
    double tail = 0.0;
    for (size_t c = k; c-- > 0;) {
        double n = fmax(nk[c], 0.0);
        if (v->wprior == VEM_VB_DIRICHLET) {
            conc[2 * c] = a0 + n;
            conc[2 * c + 1] = 1.0;
        } else {
            conc[2 * c] = 1.0 + n;
            conc[2 * c + 1] = a0 + tail;
        }
        tail += n;
        /* The statistics are about the centre c = m0 (S2: full, the upper triangle). */
        vem__nw_update(&p, n, v->reg_covar, s1 + c * d, s2 + c * pl, &beta[c], &nu[c],
                       means + c * d, winv + c * pl);
    }
    /* Check positive definiteness before anything changes. */
    size_t c, bad = vem__scales_check(k, d, p.full, winv, &c, winv + k * pl);
    if (bad)
        return VEM_FAIL(VEM_ENUMERIC,
                        "update: scale matrix of component %zu is not positive definite "
                        "(pivot %zu); raise reg_covar (now %g)",
                        c + 1, bad, v->reg_covar);
    memcpy(v->conc, conc, 2 * k * sizeof *conc);
    memcpy(v->beta, beta, k * sizeof *beta);
    memcpy(v->nu, nu, k * sizeof *nu);
    memcpy(v->means, means, k * d * sizeof *means);
    memcpy(v->winv, winv, k * pl * sizeof *winv);
    return derive(v);
}

/*
 * sum_n sum_k r_nk ln rho_nk through the ESS, for incremental VB's check of
 * the free energy: with M_k = sum_n r_nk (x - m_k)(x - m_k)^T = S2_k - S1_k d^T
 * - d S1_k^T + N_k d d^T (d = m_k - c), it is sum_k N_k (ln of the bank's
 * normaliser + the E-step constant) - nu_k/2 tr(W_k M_k).
 */
static double vb_ess_objective(const void *self, const double *ess)
{
    const vem_vbgmm *v = self;
    const size_t k = v->k, d = v->d, pl = v->pl;
    const double *nk = ess, *s1 = ess + k, *s2 = ess + k + k * d, dd = (double)d;
    double total = 0.0;
    for (size_t c = 0; c < k; c++) {
        const double *w = v->wmat + c * pl, *m = v->means + c * d, *a = s1 + c * d;
        double tr = 0.0;
        for (size_t i = 0; i < d; i++) {
            double di = m[i] - v->m0[i];
            if (v->cov == VEM_COV_DIAG) {
                tr += w[i] * (s2[c * d + i] - 2.0 * a[i] * di + nk[c] * di * di);
                continue;
            }
            for (size_t j = i; j < d; j++) {
                double dj = m[j] - v->m0[j];
                double mij = s2[c * d * d + i * d + j] - a[i] * dj - di * a[j] + nk[c] * di * dj;
                tr += (i == j ? 1.0 : 2.0) * w[i * d + j] * mij;
            }
        }
        double lognorm = -0.5 * dd * LOG_2PI + 0.5 * (dd * log(v->nu[c]) + v->logdet_w[c]);
        total += nk[c] * (lognorm + v->cnst[c]) - 0.5 * v->nu[c] * tr;
    }
    return total;
}

/* ------------------------------------------------------ engine glue */

static size_t vb_params_len(const void *self)
{
    const vem_vbgmm *v = self;
    return 4 * v->k + v->k * v->d + v->k * v->pl;
}

static void vb_params_get(const void *self, double *out)
{
    const vem_vbgmm *v = self;
    const size_t k = v->k;
    memcpy(out, v->conc, 2 * k * sizeof *out);
    memcpy(out + 2 * k, v->beta, k * sizeof *out);
    memcpy(out + 3 * k, v->nu, k * sizeof *out);
    memcpy(out + 4 * k, v->means, k * v->d * sizeof *out);
    memcpy(out + 4 * k + k * v->d, v->winv, k * v->pl * sizeof *out);
}

static vem_status vb_params_set(void *self, const double *in)
{
    vem_vbgmm *v = self;
    const size_t k = v->k, n = vb_params_len(v);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(in[i]))
            return VEM_FAIL(VEM_EINVAL, "posterior parameter %zu is not finite", i + 1);
    for (size_t i = 0; i < 4 * k; i++)
        if (!(in[i] > 0.0))
            return VEM_FAIL(VEM_EINVAL, "posterior parameter %zu must be positive", i + 1);
    double *saved = vem__alloc_doubles(n, 1);
    if (!saved)
        return VEM_FAIL(VEM_ENOMEM, "posterior");
    vb_params_get(v, saved);
    memcpy(v->conc, in, 2 * k * sizeof *in);
    memcpy(v->beta, in + 2 * k, k * sizeof *in);
    memcpy(v->nu, in + 3 * k, k * sizeof *in);
    memcpy(v->means, in + 4 * k, k * v->d * sizeof *in);
    memcpy(v->winv, in + 4 * k + k * v->d, k * v->pl * sizeof *in);
    vem_status st = derive(v);
    if (st != VEM_OK) {
        char msg[256];
        snprintf(msg, sizeof msg, "%s", vem_errmsg());
        vb_params_set(v, saved);
        VEM_FAIL(st, "%s", msg);
    }
    vem__free(saved);
    return st;
}

vem_status vem_vbgmm_set_posterior(vem_vbgmm *v, const double *conc, const double *beta,
                                   const double *means, const double *dof,
                                   const double *covariances)
{
    const size_t k = v->k, d = v->d, pl = v->pl;
    double *p = vem__alloc_doubles(vb_params_len(v), 1);
    if (!p)
        return VEM_FAIL(VEM_ENOMEM, "posterior");
    for (size_t c = 0; c < k; c++) {
        if (v->wprior == VEM_VB_DP) {
            p[2 * c] = conc[2 * c];
            p[2 * c + 1] = conc[2 * c + 1];
        } else {
            p[2 * c] = conc[c];
            p[2 * c + 1] = 1.0;
        }
        p[2 * k + c] = beta[c];
        p[3 * k + c] = dof[c];
        if (!(dof[c] > (double)d - 1.0)) {
            vem__free(p);
            return VEM_FAIL(VEM_EINVAL, "dof of component %zu is %g, not > d - 1", c + 1, dof[c]);
        }
        for (size_t i = 0; i < pl; i++)
            p[4 * k + k * d + c * pl + i] = covariances[c * pl + i] * dof[c];
    }
    memcpy(p + 4 * k, means, k * d * sizeof *means);
    vem_status st = vb_params_set(v, p);
    vem__free(p);
    return st;
}

/* ------------------------------------- gradient (model.h, ess_gradient) */

/*
 * The ELBO as a function of the variational parameters lambda of q(theta), with q(z)
 * optimal for them: L(lambda) = max_q(z) ELBO. By the envelope theorem dL/dlambda is the
 * partial derivative at the optimal q(z), i.e. at fixed responsibilities, a function of
 * their ESS (N_k, S1_k, S2_k about c = m0) and the priors. With them fixed the ELBO is
 * -KL(q(theta) || q*(theta)) + const, q* the coordinate-ascent update (PRML eqs.
 * 10.58, 10.60-10.63, without reg_covar, which is no part of the ELBO); per component
 * and Normal-Wishart block (full: one of dimension d; diag: d of dimension 1 sharing
 * beta_k and nu_k), with a = m_k - m0, beta* = beta0 + N_k, nu* = nu0 + N_k and
 * Q = W0^-1 + S2_k - S1_k a^T - a S1_k^T + beta* a a^T (Q = W*^-1 at m_k = m*):
 *     d/dbeta = p/(2 beta^2) (beta* - beta),   d/dm = E (S1_k - beta* a),
 *     d/dnu (E = nu W fixed) = (nu* - nu) (psi'_p(nu/2)/4 - p/(2 nu)),
 *     E-part: nu* ln|E| / 2 - tr(E Q) / 2,
 * where E = nu_k W_k = E[Lambda_k], the mean precision, and psi'_p the multivariate
 * trigamma. The weights: Dirichlet, d/dalpha_j = (alpha*_j - alpha_j) psi'(alpha_j) -
 * psi'(sum alpha) sum_l (alpha*_l - alpha_l) with alpha* = alpha0 + N; each stick's
 * Beta(g1, g2) the same with g1* = 1 + N_j, g2* = alpha0 + sum_{l>j} N_l.
 *
 * The unconstrained coordinates u (docs/acceleration.md) are whitened about the
 * reference that uparams_get fixes (its values written x_ref, beta_ref, ...; not the
 * priors), by the Fisher information of q there (so that near the optimum, where the
 * ELBO's Hessian is minus that information, every coordinate has curvature about 1):
 * u = 0 at the reference, then
 * - the concentrations (Dirichlet: k alpha_k, none for k = 1; dp: the k - 1 sticks' g1,
 *   g2; the last stick, v_K = 1, is no part of q) as S (ln x - ln x_ref) per Dirichlet
 *   block, S the square root of the block's information (dir_block_ref);
 * - k beta_k as sqrt(d/2) ln(beta_k / beta_ref);
 * - k nu_k as s ln((nu_k - d + 1) / (nu_ref - d + 1)), s = (nu_ref - d + 1)
 *   sqrt(f(nu_ref)), f the dof's information at fixed E above (diag: d times p = 1's);
 * - the means as t, m_k = m_ref + L_ref t / sqrt(beta_ref nu_ref), with W_ref^-1 =
 *   L_ref L_ref^T (diag: sqrt of W_ref^-1);
 * - E_k = U U^T with U = U_ref V, U_ref = sqrt(nu_ref) L_ref^-T, V upper triangular, row
 *   by row (i <= j), V_ii = exp(u / sqrt(2 nu_ref)), V_ij = u / sqrt(nu_ref) (diag: d
 *   diagonal entries).
 * Then W_k^-1 = nu_k U^-T U^-1 = (nu_k / nu_ref) (L_ref V^-T)(L_ref V^-T)^T. The last
 * stick's pair, which the ELBO does not read, is set as the update would: (1 + beta_K -
 * beta0, alpha0).
 */
static size_t vb_ugrad_len(const void *self)
{
    const vem_vbgmm *v = self;
    const size_t k = v->k, d = v->d;
    const size_t nw = v->wprior == VEM_VB_DP ? 2 * (k - 1) : k > 1 ? k : 0;
    return nw + 2 * k + k * d + k * (v->cov == VEM_COV_FULL ? d * (d + 1) / 2 : d);
}

/* The information about nu at fixed mean precision (per component, all its blocks). */
static double nu_info(const vem_vbgmm *v, double nu)
{
    const size_t d = v->d;
    if (v->cov == VEM_COV_DIAG)
        return (double)d * (0.25 * vem__trigamma(0.5 * nu) - 0.5 / nu);
    double s = 0.0;
    for (size_t i = 1; i <= d; i++)
        s += vem__trigamma(0.5 * (nu + 1.0 - (double)i));
    return 0.25 * s - 0.5 * (double)d / nu;
}

/*
 * A Dirichlet block (the Dirichlet weights, or one stick's Beta): n concentrations x_i at
 * x[i * st]. In y = ln x the information is F = D - c x x^T, D = diag(x_i^2 psi'(x_i)),
 * c = psi'(sum x). With b = D^-1/2 x, rho = c |b|^2 < 1 and gamma = 1 - sqrt(1 - rho),
 * S = (I - gamma bh bh^T) D^1/2 (bh = b / |b|) has S^T S = F; the coordinates are
 * u = S (y - y0). dir_block_ref stores sqrt(D_i), bh and gamma at the reference.
 */
static void dir_block_ref(size_t n, size_t st, const double *x, double *sq, double *bh,
                          double *gam)
{
    double sum = 0.0, nb2 = 0.0;
    for (size_t i = 0; i < n; i++) {
        sum += x[i * st];
        sq[i * st] = x[i * st] * sqrt(vem__trigamma(x[i * st]));
        bh[i * st] = x[i * st] / sq[i * st];
        nb2 += bh[i * st] * bh[i * st];
    }
    for (size_t i = 0; i < n; i++)
        bh[i * st] /= sqrt(nb2);
    /* 1 - rho > 0 in exact arithmetic; at huge concentrations it is round-off. */
    *gam = 1.0 - sqrt(fmax(1.0 - vem__trigamma(sum) * nb2, 1e-12));
}

/* x = x0 exp(S^-1 u), S^-1 = D^-1/2 (I + gamma / (1 - gamma) bh bh^T); advances *u. */
static void dir_block_set(size_t n, size_t st, const double **u, const double *x0,
                          const double *sq, const double *bh, double gam, double *x)
{
    const double *w = *u, f = gam / (1.0 - gam);
    double t = 0.0;
    for (size_t i = 0; i < n; i++)
        t += bh[i * st] * w[i];
    for (size_t i = 0; i < n; i++)
        x[i * st] = x0[i * st] * exp((w[i] + f * bh[i * st] * t) / sq[i * st]);
    *u += n;
}

/* d/du = S^-T d/dy in place, g (n doubles) holding d/dx on entry (d/dy_i = x_i d/dx_i). */
static void dir_block_grad(size_t n, size_t st, const double *x, const double *sq,
                           const double *bh, double gam, double *g)
{
    const double f = gam / (1.0 - gam);
    double t = 0.0;
    for (size_t i = 0; i < n; i++) {
        g[i] *= x[i * st] / sq[i * st];
        t += bh[i * st] * g[i];
    }
    for (size_t i = 0; i < n; i++)
        g[i] += f * bh[i * st] * t;
}

static vem_status vb_uparams_get(void *self, double *u)
{
    vem_vbgmm *v = self;
    const size_t k = v->k, d = v->d, pl = v->pl, full = v->cov == VEM_COV_FULL;
    struct uref *r = &v->ur;
    if (!v->ublock) {
        size_t len = 10 * k + k * d + k * pl + (full ? k * d * d : 0) + vb_params_len(v) +
                     2 * d * d + 2 * d;
        if (!(v->ublock = vem__alloc_doubles(len, 1)))
            return VEM_FAIL(VEM_ENOMEM, "VB-GMM gradient: %zu doubles", len);
        r->conc = v->ublock;
        r->sq = r->conc + 2 * k;
        r->bh = r->sq + 2 * k;
        r->gam = r->bh + 2 * k;
        r->beta = r->gam + k;
        r->nu = r->beta + k;
        r->snu = r->nu + k;
        r->means = r->snu + k;
        r->l0 = r->means + k * d;
        r->linv = r->l0 + k * pl;
        r->params = r->linv + (full ? k * d * d : 0);
        r->work = r->params + vb_params_len(v);
    }
    memcpy(r->conc, v->conc, 2 * k * sizeof *u);
    memcpy(r->beta, v->beta, k * sizeof *u);
    memcpy(r->nu, v->nu, k * sizeof *u);
    memcpy(r->means, v->means, k * d * sizeof *u);
    if (v->wprior == VEM_VB_DIRICHLET && k > 1)
        dir_block_ref(k, 2, v->conc, r->sq, r->bh, r->gam);
    else if (v->wprior == VEM_VB_DP)
        for (size_t c = 0; c + 1 < k; c++)
            dir_block_ref(2, 1, v->conc + 2 * c, r->sq + 2 * c, r->bh + 2 * c, r->gam + c);
    for (size_t c = 0; c < k; c++)
        r->snu[c] = (v->nu[c] - (double)d + 1.0) * sqrt(nu_info(v, v->nu[c]));
    if (full) {
        /* The factorisation derive() made (the same function, so the same bits). */
        for (size_t c = 0; c < k; c++)
            vem__cholesky(d, v->winv + c * pl, r->l0 + c * pl);
        memcpy(r->linv, v->linv, k * d * d * sizeof *u);
    } else {
        memcpy(r->l0, v->winv, k * pl * sizeof *u);
    }
    memset(u, 0, vb_ugrad_len(v) * sizeof *u);
    return VEM_OK;
}

static vem_status vb_uparams_set(void *self, const double *u)
{
    vem_vbgmm *v = self;
    const size_t k = v->k, d = v->d, pl = v->pl, full = v->cov == VEM_COV_FULL;
    const double dd = (double)d, sb = sqrt(0.5 * dd);
    const struct uref *r = &v->ur;
    if (!v->ublock)
        return VEM_FAIL(VEM_EINVAL, "VB-GMM gradient: uparams_set before uparams_get");
    double *conc = r->params, *beta = conc + 2 * k, *nu = beta + k, *means = nu + k;
    double *winv = means + k * d;
    memcpy(conc, r->conc, 2 * k * sizeof *conc); /* Dirichlet: the unused entries, 1 */
    if (v->wprior == VEM_VB_DIRICHLET && k > 1)
        dir_block_set(k, 2, &u, r->conc, r->sq, r->bh, r->gam[0], conc);
    else if (v->wprior == VEM_VB_DP)
        for (size_t c = 0; c + 1 < k; c++)
            dir_block_set(2, 1, &u, r->conc + 2 * c, r->sq + 2 * c, r->bh + 2 * c, r->gam[c],
                          conc + 2 * c);
    for (size_t c = 0; c < k; c++)
        beta[c] = r->beta[c] * exp(*u++ / sb);
    if (v->wprior == VEM_VB_DP) {
        /* The last stick (v_K = 1) is no part of q: as the update would set it, with the
         * expected count beta_K - beta0 (N_K at the optimum). */
        conc[2 * k - 2] = 1.0 + fmax(beta[k - 1] - v->beta0, 0.0);
        conc[2 * k - 1] = vem_vbgmm_weight_concentration_prior(v);
    }
    for (size_t c = 0; c < k; c++)
        nu[c] = dd - 1.0 + (r->nu[c] - dd + 1.0) * exp(*u++ / r->snu[c]);
    for (size_t c = 0; c < k; c++) {
        const double *t = u + c * d, *l0 = r->l0 + c * pl, *m0 = r->means + c * d;
        const double sc = 1.0 / sqrt(r->beta[c] * r->nu[c]);
        double *m = means + c * d;
        for (size_t i = 0; i < d; i++) {
            double s = 0.0;
            if (full)
                for (size_t l = 0; l <= i; l++)
                    s += l0[i * d + l] * t[l];
            else
                s = sqrt(l0[i]) * t[i];
            m[i] = m0[i] + sc * s;
        }
    }
    u += k * d;
    double *vm = r->work, *vi = vm + d * d, *b = vm; /* b overwrites V once V^-1 is known */
    for (size_t c = 0; c < k; c++) {
        const double *l0 = r->l0 + c * pl, ratio = nu[c] / r->nu[c];
        const double sd = sqrt(2.0 * r->nu[c]), so = sqrt(r->nu[c]);
        double *wi = winv + c * pl;
        if (!full) {
            for (size_t j = 0; j < d; j++)
                wi[j] = ratio * l0[j] * exp(-2.0 * *u++ / sd);
            continue;
        }
        memset(vm, 0, d * d * sizeof *vm);
        for (size_t i = 0; i < d; i++)
            for (size_t j = i; j < d; j++, u++)
                vm[i * d + j] = i == j ? exp(*u / sd) : *u / so;
        /* V^-1 (upper) by back substitution, column by column. */
        memset(vi, 0, d * d * sizeof *vi);
        for (size_t j = 0; j < d; j++) {
            vi[j * d + j] = 1.0 / vm[j * d + j];
            for (size_t i = j; i-- > 0;) {
                double s = 0.0;
                for (size_t l = i + 1; l <= j; l++)
                    s += vm[i * d + l] * vi[l * d + j];
                vi[i * d + j] = -s / vm[i * d + i];
            }
        }
        /* B = L0 V^-T (lower), then W^-1 = ratio B B^T. */
        for (size_t i = 0; i < d; i++)
            for (size_t j = 0; j < d; j++) {
                double s = 0.0;
                for (size_t l = j; l <= i; l++)
                    s += l0[i * d + l] * vi[j * d + l];
                b[i * d + j] = j <= i ? s : 0.0;
            }
        for (size_t i = 0; i < d; i++)
            for (size_t j = 0; j <= i; j++) {
                double s = 0.0;
                for (size_t l = 0; l <= j; l++)
                    s += b[i * d + l] * b[j * d + l];
                wi[i * d + j] = ratio * s;
                wi[j * d + i] = ratio * s;
            }
    }
    const size_t n = vb_params_len(v);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(r->params[i]) || (i < 4 * k && !(r->params[i] > 0.0)))
            return VEM_FAIL(VEM_ENUMERIC, "VB-GMM gradient: posterior parameter %zu is %g",
                            i + 1, r->params[i]);
    for (size_t c = 0; c < k; c++)
        if (!(nu[c] > dd - 1.0))
            return VEM_FAIL(VEM_ENUMERIC, "VB-GMM gradient: dof of component %zu is %g", c + 1,
                            nu[c]);
    vem_status st = vb_params_set(v, r->params);
    if (st != VEM_OK) {
        char msg[256];
        snprintf(msg, sizeof msg, "%s", vem_errmsg());
        return VEM_FAIL(VEM_ENUMERIC, "%s", msg);
    }
    return VEM_OK;
}

static void vb_ess_gradient(const void *self, const double *ess, double *grad)
{
    const vem_vbgmm *v = self;
    const size_t k = v->k, d = v->d, pl = v->pl, full = v->cov == VEM_COV_FULL;
    const double *nk = ess, *s1 = ess + k, *s2 = ess + k + k * d, dd = (double)d;
    const double a0 = vem_vbgmm_weight_concentration_prior(v), nu0 = vem_vbgmm_dof_prior(v);
    const struct uref *r = &v->ur;
    double *g = grad;
    if (v->wprior == VEM_VB_DIRICHLET && k > 1) {
        double sum = 0.0, gap = 0.0;
        for (size_t c = 0; c < k; c++) {
            sum += v->conc[2 * c];
            gap += a0 + nk[c] - v->conc[2 * c];
        }
        const double tsum = vem__trigamma(sum) * gap;
        for (size_t c = 0; c < k; c++) {
            const double a = v->conc[2 * c];
            g[c] = (a0 + nk[c] - a) * vem__trigamma(a) - tsum;
        }
        dir_block_grad(k, 2, v->conc, r->sq, r->bh, r->gam[0], g);
        g += k;
    } else if (v->wprior == VEM_VB_DP) {
        double tail = 0.0; /* sum_{l > c} N_l */
        for (size_t c = k - 1; c-- > 0;) {
            tail += nk[c + 1];
            const double a = v->conc[2 * c], b = v->conc[2 * c + 1];
            const double ga = 1.0 + nk[c] - a, gb = a0 + tail - b;
            const double tab = vem__trigamma(a + b) * (ga + gb);
            g[2 * c] = ga * vem__trigamma(a) - tab;
            g[2 * c + 1] = gb * vem__trigamma(b) - tab;
            dir_block_grad(2, 1, v->conc + 2 * c, r->sq + 2 * c, r->bh + 2 * c, r->gam[c],
                           g + 2 * c);
        }
        g += 2 * (k - 1);
    }
    for (size_t c = 0; c < k; c++)
        *g++ = 0.5 * dd / v->beta[c] * (v->beta0 + nk[c] - v->beta[c]) / sqrt(0.5 * dd);
    for (size_t c = 0; c < k; c++) {
        const double nu = v->nu[c];
        *g++ = (nu - dd + 1.0) * (nu0 + nk[c] - nu) * nu_info(v, nu) / r->snu[c];
    }
    double *gm = g, *gu = g + k * d;
    double *q = r->work, *qu = q + d * d, *a = qu + d * d, *eg = a + d;
    for (size_t c = 0; c < k; c++) {
        const double *m = v->means + c * d, *w = v->wmat + c * pl, *s1c = s1 + c * d;
        const double *l0 = r->l0 + c * pl, nu = v->nu[c], bs = v->beta0 + nk[c];
        const double sc = 1.0 / sqrt(r->beta[c] * r->nu[c]), np = nu0 + nk[c];
        for (size_t i = 0; i < d; i++)
            a[i] = m[i] - v->m0[i];
        /* E (S1 - beta* a), then d/dt = L_ref^T E (S1 - beta* a) / sqrt(beta_ref nu_ref). */
        for (size_t i = 0; i < d; i++) {
            double s = 0.0;
            if (full)
                for (size_t j = 0; j < d; j++)
                    s += w[i * d + j] * (s1c[j] - bs * a[j]);
            else
                s = w[i] * (s1c[i] - bs * a[i]);
            eg[i] = nu * s;
        }
        for (size_t i = 0; i < d; i++) {
            double s = 0.0;
            if (full)
                for (size_t l = i; l < d; l++)
                    s += l0[l * d + i] * eg[l];
            else
                s = sqrt(l0[i]) * eg[i];
            gm[c * d + i] = sc * s;
        }
        const double sd = sqrt(2.0 * r->nu[c]), so = sqrt(r->nu[c]);
        if (!full) {
            /* d/dlog V_j = nu* - E_j Q_j. */
            for (size_t j = 0; j < d; j++) {
                const double qj = v->c0[j] + s2[c * d + j] - 2.0 * s1c[j] * a[j] + bs * a[j] * a[j];
                *gu++ = (np - nu * w[j] * qj) / sd;
            }
            continue;
        }
        const double *s2c = s2 + c * d * d, *li = v->linv + c * d * d, *l0i = r->linv + c * d * d;
        for (size_t i = 0; i < d; i++)
            for (size_t j = i; j < d; j++) {
                double t = v->c0[i * d + j] + s2c[i * d + j] - s1c[i] * a[j] - a[i] * s1c[j] +
                           bs * a[i] * a[j];
                q[i * d + j] = t;
                q[j * d + i] = t;
            }
        /* Q~ V = U_ref^T Q U = sqrt(nu_ref nu) L_ref^-1 Q L^-T, U = sqrt(nu) L^-T the
         * current factor of E (L^-1 = linv). qu = Q L^-T first. */
        for (size_t i = 0; i < d; i++)
            for (size_t j = 0; j < d; j++) {
                double s = 0.0;
                for (size_t l = 0; l <= j; l++)
                    s += q[i * d + l] * li[j * d + l];
                qu[i * d + j] = s;
            }
        const double f = sqrt(r->nu[c] * nu);
        for (size_t i = 0; i < d; i++)
            for (size_t j = i; j < d; j++) {
                double s = 0.0;
                for (size_t l = 0; l <= i; l++)
                    s += l0i[i * d + l] * qu[l * d + j];
                s *= f;
                if (i == j) {
                    /* V_ii = U_ii / U_ref,ii. */
                    const double vii = sqrt(nu / r->nu[c]) * li[i * d + i] / l0i[i * d + i];
                    *gu++ = (np - vii * s) / sd;
                } else {
                    *gu++ = -s / so;
                }
            }
    }
}

static vem_status vb_init(void *self, vem_fit *f, vem_rng *rng);

static const vem_model_ops vb_ops = {
    .name = "vbgmm",
    .ess_len = vb_ess_len,
    .scratch_len = vb_scratch_len,
    .n_units = vb_n_units,
    .n_obs = vb_n_obs,
    .estep = vb_estep,
    .estep_mc = vb_estep_mc,
    .mstep = vb_mstep,
    .objective_extra = vb_objective_extra,
    .init = vb_init,
    .params_len = vb_params_len,
    .params_get = vb_params_get,
    .params_set = vb_params_set,
    .ess_objective = vb_ess_objective,
    .ugrad_len = vb_ugrad_len,
    .uparams_get = vb_uparams_get,
    .uparams_set = vb_uparams_set,
    .ess_gradient = vb_ess_gradient,
};

vem_model vem_vbgmm_model(vem_vbgmm *v)
{
    vem_model m = {.ops = &vb_ops, .self = v};
    return m;
}

/* ------------------------------------------------------ initialisation */

/* Second moments about the mean for the default covariance prior: a small model of its own. */
typedef struct moments {
    size_t d;
    int full;
    const double *mean;
} moments;

static size_t mom_ess_len(const void *self)
{
    const moments *m = self;
    return m->full ? m->d * m->d : m->d;
}

static double mom_estep(const void *self, const vem_data *data, size_t u0, size_t u1, double *ess,
                        double *scratch)
{
    const moments *m = self;
    const size_t d = m->d, ld = data->x.ld;
    (void)scratch;
    for (size_t r = u0; r < u1; r++) {
        const double *x = data->x.data + r * ld;
        for (size_t i = 0; i < d; i++) {
            double a = x[i] - m->mean[i];
            if (!m->full) {
                ess[i] += a * a;
                continue;
            }
            for (size_t j = i; j < d; j++)
                ess[i * d + j] += a * (x[j] - m->mean[j]);
        }
    }
    return 0.0;
}

static const vem_model_ops mom_ops = {
    .name = "vbgmm-moments",
    .ess_len = mom_ess_len,
    .n_units = vb_n_units,
    .n_obs = vb_n_obs,
    .estep = mom_estep,
};

/*
 * The default priors from the data: mean and covariance (divisor n - 1), as
 * scikit-learn. The passes go through the fit's communicator and n is the
 * observation count over all processes, so a distributed fit gets the global
 * statistics.
 */
static vem_status resolve_priors(void *self, vem_fit *f)
{
    vem_vbgmm *v = self;
    const size_t d = v->d;
    const double n = vem_fit_n_obs(f);
    if ((v->m0_user && v->c0_user) || v->priors_shared)
        return VEM_OK;
    double *mean = vem__alloc_doubles(d, 1), *var = vem__alloc_doubles(d, 1);
    double *s = vem__alloc_doubles(v->pl, 1);
    vem_status st = VEM_OK;
    if (!mean || !var || !s) {
        st = VEM_FAIL(VEM_ENOMEM, "priors");
        goto done;
    }
    st = vem__column_moments(f, mean, var);
    if (st != VEM_OK)
        goto done;
    if (!v->m0_user) {
        memcpy(v->m0, mean, d * sizeof *mean);
        v->m0_known = 1;
    }
    if (!v->c0_user) {
        if (n < 2.0) {
            st = VEM_FAIL(VEM_EINVAL, "the default covariance prior needs at least 2 rows");
            goto done;
        }
        moments mo = {.d = d, .full = v->cov == VEM_COV_FULL, .mean = mean};
        vem_model mm = {.ops = &mom_ops, .self = &mo};
        double unused;
        st = vem_fit_pass(f, &mm, s, &unused);
        if (st != VEM_OK)
            goto done;
        for (size_t i = 0; i < v->pl; i++)
            s[i] /= n - 1.0;
        if (v->cov == VEM_COV_FULL)
            for (size_t i = 0; i < d; i++)
                for (size_t j = 0; j < i; j++)
                    s[i * d + j] = s[j * d + i];
        double ld = 0.0;
        size_t bad = log_det(v, s, &ld, v->work);
        if (bad && v->reg_covar > 0.0) {
            /* A constant or collinear column: the data covariance plus reg_covar on its
             * diagonal, the regularisation every component's covariance gets (only
             * then, so that other data keep scikit-learn's prior exactly). */
            for (size_t j = 0; j < d; j++)
                s[v->cov == VEM_COV_FULL ? j * d + j : j] += v->reg_covar;
            bad = log_det(v, s, &ld, v->work);
        }
        if (bad) {
            st = VEM_FAIL(VEM_ENUMERIC,
                          "the data covariance (default covariance prior) is singular (pivot "
                          "%zu) even with reg_covar %g on its diagonal: set the prior, raise "
                          "reg_covar or remove constant or collinear columns",
                          bad, v->reg_covar);
            goto done;
        }
        memcpy(v->c0, s, v->pl * sizeof *s);
        v->logdet_c0 = ld;
        v->c0_known = 1;
    }
done:
    vem__free(mean);
    vem__free(var);
    vem__free(s);
    return st;
}

static vem_status vb_init(void *self, vem_fit *f, vem_rng *rng)
{
    vem_vbgmm *v = self;
    const size_t k = v->k, d = v->d;
    const vem_matrix *x = &vem_fit_data(f)->x;
    if (x->cols != d)
        return VEM_FAIL(VEM_EINVAL, "data has %zu columns, the model has d=%zu", x->cols, d);
    if (vem_fit_n_obs(f) < (double)k) /* over all processes */
        return VEM_FAIL(VEM_EINVAL, "%.0f rows, fewer than k=%zu components", vem_fit_n_obs(f),
                        k);
    vem_status st = resolve_priors(v, f);
    if (st != VEM_OK)
        return st;
    vem__gmm_set_center(v->bank, v->m0);
    double *ess = vem__alloc_doubles(vb_ess_len(v), 1);
    double *centers = vem__alloc_doubles(k, d);
    if (!ess || !centers) {
        st = VEM_FAIL(VEM_ENOMEM, "initialisation");
        goto done;
    }
    st = vem__init_start(f, k, v->init == VEM_INIT_KMEANS, rng, centers, &v->mode_seed);
    if (st != VEM_OK)
        goto done;
    v->mode = v->init == VEM_INIT_KMEANS ? MODE_NEAREST : MODE_RANDOM;
    v->mode_centers = centers;
    vem_model m = vem_vbgmm_model(v);
    double unused;
    st = vem_fit_pass(f, &m, ess, &unused);
    v->mode = MODE_POSTERIOR;
    v->mode_centers = NULL;
    if (st == VEM_OK)
        st = vb_mstep(v, ess);
done:
    v->mode = MODE_POSTERIOR;
    v->mode_centers = NULL;
    vem__free(ess);
    vem__free(centers);
    return st;
}

/* ------------------------------------------------------------ public fit */

/* share: one process's share of a distributed fit, which may hold no rows. */
static vem_status check_x(const vem_vbgmm *v, const vem_matrix *x, int share)
{
    if (!x || (!x->data && !(share && x->rows == 0)))
        return VEM_FAIL(VEM_EINVAL, "no data");
    if (x->cols != v->d)
        return VEM_FAIL(VEM_EINVAL, "data has %zu columns, the model has d=%zu", x->cols, v->d);
    if (x->ld < x->cols)
        return VEM_FAIL(VEM_EINVAL, "row stride %zu < %zu columns", x->ld, x->cols);
    return VEM_OK;
}

/* Fit through the engine from x or src, restoring the posterior on error. */
static vem_status fit_any(vem_vbgmm *v, const vem_matrix *x, struct vem_source *src,
                          const vem_fit_opts *o, vem_rng *rng, vem_fit_result *res)
{
    if (o && o->warm_start && (!v->m0_known || !v->c0_known))
        return VEM_FAIL(VEM_EINVAL, "a warm start needs the priors set (or a fitted model)");
    vem_model m = vem_vbgmm_model(v);
    const vem_data data = src ? (vem_data){0} : vem_data_rows(*x);
    return vem__fit_restoring(&m, &data, src, o, rng, res, "vem_vbgmm_fit", 0);
}

/*
 * The default priors from all the rows, before a fit that initialises on a
 * sample of them (on which resolve_priors would see the sample only): a
 * distributed fit (x is this process's share; every process calls it and
 * gets the same priors, the one-process passes being summed over the
 * communicator) or a fit from a source (src, read in passes).
 */
static vem_status whole_priors(vem_vbgmm *v, const vem_matrix *x, struct vem_source *src,
                               const vem_fit_opts *o)
{
    vem_fit_opts po;
    if (o)
        po = *o;
    else
        vem_fit_opts_init(&po);
    po.warm_start = 1; /* vem_fit_init only sums the counts */
    po.algorithm = VEM_ALG_BATCH;
    vem_model m = vem_vbgmm_model(v);
    const vem_data data = src ? (vem_data){0} : vem_data_rows(*x);
    return vem__priors_pass(&m, &data, src, &po, resolve_priors, v);
}

static vem_status fit_whole_priors(vem_vbgmm *v, const vem_matrix *x, struct vem_source *src,
                                   const vem_fit_opts *o, vem_rng *rng, vem_fit_result *res);

void vem_vbgmm_fit_opts_init(vem_fit_opts *o)
{
    vem_fit_opts_init(o);
    o->tol_rule = VEM_TOL_TOTAL;
    o->tol = 1e-3;
    o->max_iter = 1000;
}

vem_status vem_vbgmm_fit(vem_vbgmm *v, const vem_matrix *x, const vem_fit_opts *o, vem_rng *rng,
                         vem_fit_result *res)
{
    vem_fit_opts defaults;
    if (!o) {
        vem_vbgmm_fit_opts_init(&defaults);
        o = &defaults;
    }
    const int shared = o && o->comm;
    vem_status st = check_x(v, x, shared);
    if (st != VEM_OK)
        return st;
    /* With a communicator x is one process's share: the initialisation checks the total. */
    if (x->rows < v->k && !shared)
        return VEM_FAIL(VEM_EINVAL, "%zu rows, fewer than k=%zu components", x->rows, v->k);
    /* The default priors from all the rows, before the initialisation sees a sample of
     * them (init_sample; a distributed fit's share). */
    if ((o && o->warm_start) || (v->m0_user && v->c0_user))
        return fit_any(v, x, NULL, o, rng, res);
    return fit_whole_priors(v, x, NULL, o, rng, res);
}

/* fit_any after the default priors are resolved from all the rows (whole_priors). */
static vem_status fit_whole_priors(vem_vbgmm *v, const vem_matrix *x, struct vem_source *src,
                                   const vem_fit_opts *o, vem_rng *rng, vem_fit_result *res)
{
    vem_status st = whole_priors(v, x, src, o);
    if (st != VEM_OK)
        return st;
    v->priors_shared = 1;
    st = fit_any(v, x, src, o, rng, res);
    v->priors_shared = 0;
    return st;
}

vem_status vem_vbgmm_fit_source(vem_vbgmm *v, struct vem_source *src, const vem_fit_opts *o,
                                vem_rng *rng, vem_fit_result *res)
{
    vem_fit_opts defaults;
    if (!o) {
        vem_vbgmm_fit_opts_init(&defaults);
        o = &defaults;
    }
    if (!src)
        return VEM_FAIL(VEM_EINVAL, "no data source");
    if (vem_source_cols(src) != v->d)
        return VEM_FAIL(VEM_EINVAL, "data has %zu columns, the model has d=%zu",
                        vem_source_cols(src), v->d);
    const int shared = o && o->comm;
    if (vem_source_rows(src) < v->k && !shared)
        return VEM_FAIL(VEM_EINVAL, "%zu rows, fewer than k=%zu components",
                        vem_source_rows(src), v->k);
    if ((o && o->warm_start) || (v->m0_user && v->c0_user))
        return fit_any(v, NULL, src, o, rng, res);
    return fit_whole_priors(v, NULL, src, o, rng, res);
}

vem_status vem_vbgmm_elbo(const vem_vbgmm *v, const vem_matrix *x, double *elbo)
{
    vem_status st = check_x(v, x, 0);
    if (st != VEM_OK)
        return st;
    if (x->rows == 0)
        return VEM_FAIL(VEM_EINVAL, "no rows");
    if (!v->m0_known || !v->c0_known)
        return VEM_FAIL(VEM_EINVAL, "the priors are not resolved: fit or set them first");
    vem_model m = {.ops = &vb_ops, .self = (void *)(uintptr_t)v};
    vem_data data = vem_data_rows(*x);
    vem_fit *f = vem_fit_new(&m, &data, NULL);
    if (!f)
        return vem__last_status();
    double *ess = vem__alloc_doubles(vb_ess_len(v), 1);
    double s = 0.0;
    if (!ess)
        st = VEM_FAIL(VEM_ENOMEM, "ELBO");
    else
        st = vem_fit_pass(f, &m, ess, &s);
    vem__free(ess);
    vem_fit_free(f);
    if (st != VEM_OK)
        return st;
    *elbo = s + vb_objective_extra(v);
    return VEM_OK;
}

/* ----------------------------------------------- the predictive density */

/* lp[c] = log E[pi_c] + log St_c(x) for one row (PRML eqs. 10.81-10.82). */
static void pred_row(const vem_vbgmm *v, const double *x, double *lp, double *t)
{
    const size_t k = v->k, d = v->d, pl = v->pl;
    const double dd = (double)d;
    for (size_t c = 0; c < k; c++) {
        const double *m = v->means + c * d, b = v->beta[c], nu = v->nu[c];
        double s = log(v->weights[c]);
        if (v->cov == VEM_COV_FULL) {
            /* Delta^2 = dof beta / (1 + beta) ||L^-1 (x - m)||^2 */
            const double q = vem__tri_mahalanobis(d, v->linv + c * d * d, x, m, t);
            double dof = nu + 1.0 - dd, scale = dof * b / (1.0 + b);
            s += lgamma(0.5 * (dof + dd)) - lgamma(0.5 * dof) +
                 0.5 * (dd * log(scale) + v->logdet_w[c]) - 0.5 * dd * (log(dof) + LOG_PI) -
                 0.5 * (dof + dd) * log1p(scale * q / dof);
        } else {
            const double *w = v->wmat + c * pl;
            double dof = nu, head = lgamma(0.5 * (dof + 1.0)) - lgamma(0.5 * dof) -
                                    0.5 * (log(dof) + LOG_PI) + 0.5 * log(dof * b / (1.0 + b));
            for (size_t j = 0; j < d; j++) {
                double lam = dof * b / (1.0 + b) * w[j], u = x[j] - m[j];
                s += head + 0.5 * log(w[j]) - 0.5 * (dof + 1.0) * log1p(lam * u * u / dof);
            }
        }
        lp[c] = s;
    }
}

/* Normalise lp in place into probabilities; return log sum exp. */
static double normalise(double *lp, size_t k)
{
    double m = lp[0], s = 0.0;
    for (size_t c = 1; c < k; c++)
        if (lp[c] > m)
            m = lp[c];
    for (size_t c = 0; c < k; c++) {
        lp[c] = exp(lp[c] - m);
        s += lp[c];
    }
    for (size_t c = 0; c < k; c++)
        lp[c] /= s;
    return m + log(s);
}

enum pred_out { PRED_SCORE, PRED_PROBA, PRED_LABEL };

static vem_status predictive(const vem_vbgmm *v, const vem_matrix *x, enum pred_out what,
                             void *out)
{
    vem_status st = check_x(v, x, 0);
    if (st != VEM_OK)
        return st;
    const size_t k = v->k;
    double *lp = vem__alloc_doubles(k + v->d, 1);
    if (!lp)
        return VEM_FAIL(VEM_ENOMEM, "predictive density");
    for (size_t r = 0; r < x->rows; r++) {
        pred_row(v, x->data + r * x->ld, lp, lp + k);
        double ll = normalise(lp, k);
        if (!isfinite(ll)) {
            /* Values near the overflow threshold: no density, probabilities or label. */
            st = VEM_FAIL(VEM_ENUMERIC, "data row %zu: its log predictive density is not finite",
                          r + 1);
            break;
        }
        if (what == PRED_SCORE) {
            ((double *)out)[r] = ll;
        } else if (what == PRED_PROBA) {
            memcpy((double *)out + r * k, lp, k * sizeof *lp);
        } else {
            size_t best = 0;
            for (size_t c = 1; c < k; c++)
                if (lp[c] > lp[best])
                    best = c;
            ((size_t *)out)[r] = best;
        }
    }
    vem__free(lp);
    return st;
}

vem_status vem_vbgmm_score_samples(const vem_vbgmm *v, const vem_matrix *x, double *out)
{
    return predictive(v, x, PRED_SCORE, out);
}

vem_status vem_vbgmm_predict_proba(const vem_vbgmm *v, const vem_matrix *x, double *out)
{
    return predictive(v, x, PRED_PROBA, out);
}

vem_status vem_vbgmm_predict(const vem_vbgmm *v, const vem_matrix *x, size_t *out)
{
    return predictive(v, x, PRED_LABEL, out);
}

vem_status vem_vbgmm_score(const vem_vbgmm *v, const vem_matrix *x, double *mean, double *total)
{
    vem_status st = check_x(v, x, 0);
    if (st != VEM_OK)
        return st;
    if (x->rows == 0)
        return VEM_FAIL(VEM_EINVAL, "no rows to score");
    double *ll = vem__alloc_doubles(x->rows, 1);
    if (!ll)
        return VEM_FAIL(VEM_ENOMEM, "score");
    st = predictive(v, x, PRED_SCORE, ll);
    double s = 0.0;
    for (size_t r = 0; r < x->rows; r++)
        s += ll[r];
    vem__free(ll);
    if (st != VEM_OK)
        return st;
    if (!isfinite(s))
        return VEM_FAIL(VEM_ENUMERIC, "the total log predictive density is not finite (%g): the "
                                      "rows' sum overflows", s);
    if (mean)
        *mean = s / (double)x->rows;
    if (total)
        *total = s;
    return VEM_OK;
}

/* ------------------------------------------------------------ sampling */

/* Gamma(a, 1) by Marsaglia & Tsang (2000); a < 1 through Gamma(a + 1) U^(1/a). */
static double gamma_draw(vem_rng *rng, double a)
{
    if (a < 1.0) {
        double u = vem_rng_uniform(rng);
        return gamma_draw(rng, a + 1.0) * pow(u > 0.0 ? u : 0x1p-53, 1.0 / a);
    }
    const double d = a - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double z, w;
        do {
            z = vem_rng_normal(rng);
            w = 1.0 + c * z;
        } while (w <= 0.0);
        w = w * w * w;
        double u = vem_rng_uniform(rng);
        if (u < 1.0 - 0.0331 * z * z * z * z || log(u) < 0.5 * z * z + d * (1.0 - w + log(w)))
            return d * w;
    }
}

vem_status vem_vbgmm_sample(const vem_vbgmm *v, size_t n, vem_rng *rng, double *out,
                            size_t *labels)
{
    const size_t k = v->k, d = v->d, pl = v->pl;
    double *chol = vem__alloc_doubles(v->cov == VEM_COV_FULL ? k * d * d : 1, 1);
    double *z = vem__alloc_doubles(d, 1);
    if (!chol || !z) {
        vem__free(chol);
        vem__free(z);
        return VEM_FAIL(VEM_ENOMEM, "sample");
    }
    if (v->cov == VEM_COV_FULL)
        for (size_t c = 0; c < k; c++)
            vem__cholesky(d, v->winv + c * pl, chol + c * d * d); /* PD: checked on update */
    for (size_t i = 0; i < n; i++) {
        double u = vem_rng_uniform(rng), acc = 0.0;
        size_t c = k - 1;
        for (size_t j = 0; j < k; j++) {
            acc += v->weights[j];
            if (u < acc) {
                c = j;
                break;
            }
        }
        const double b = v->beta[c], nu = v->nu[c], *m = v->means + c * d;
        double *o = out + i * d;
        for (size_t j = 0; j < d; j++)
            z[j] = vem_rng_normal(rng);
        if (v->cov == VEM_COV_FULL) {
            double dof = nu + 1.0 - (double)d;
            double s = sqrt((1.0 + b) / (dof * b) * dof / (2.0 * gamma_draw(rng, 0.5 * dof)));
            const double *l = chol + c * d * d;
            for (size_t a = 0; a < d; a++) {
                double t = 0.0;
                for (size_t j = 0; j <= a; j++)
                    t += l[a * d + j] * z[j];
                o[a] = m[a] + s * t;
            }
        } else {
            for (size_t j = 0; j < d; j++) {
                double s = sqrt((1.0 + b) / (nu * b) * v->winv[c * d + j] * nu /
                                (2.0 * gamma_draw(rng, 0.5 * nu)));
                o[j] = m[j] + s * z[j];
            }
        }
        if (labels)
            labels[i] = c;
    }
    vem__free(chol);
    vem__free(z);
    return VEM_OK;
}
