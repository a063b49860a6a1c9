/*
 * src/models/gmm.c — Gaussian mixtures: parameters, E-step, M-step, scoring.
 *
 * The E-step evaluates log w_k + log N(x | mu_k, Sigma_k) through the precision
 * Cholesky factors U_k (Sigma_k^{-1} = U_k U_k^T):
 *     log N = -d/2 log(2 pi) + log det U_k - 1/2 || x^T U_k - mu_k^T U_k ||^2,
 * for a block of rows with one GEMM against [U_1 ... U_k] (scikit-learn's
 * _estimate_log_gaussian_prob does the same per component). Responsibilities
 * come from a log-sum-exp per row and are folded straight into the ESS:
 *     N_k = sum_n r_nk,  S1_k = sum_n r_nk (x_n - c),  S2_k = sum_n r_nk (x_n - c)(x_n - c)^T
 * (diagonal: squares only; tied: one S2 = sum_n (x_n - c)(x_n - c)^T), where c is a
 * fixed centre (the data mean, or the weighted mean of the parameters for a warm
 * start) that keeps the second moments free of cancellation. The M-step is
 * Bishop PRML eqs. 9.24-9.27 written in those statistics, plus reg_covar.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <vem/gmm.h>
#include <vem/io.h>

#include "internal.h"
#include "core/ckpt.h"
#include "linalg/linalg.h"
#include "models/gmm_grad.h"
#include "models/gmm_hc.h"
#include "models/gmm_internal.h"
#include "models/gmm_kernels.h"
#include "models/gmm_prior.h"
#include "models/gmm_struct.h"
#include "models/kmeans.h"

#define LOG_2PI 1.8378770664093454836

enum resp_mode { MODE_POSTERIOR = 0, MODE_NEAREST = 1, MODE_RANDOM = 2 };

struct vem_gmm {
    size_t k, d;
    vem_cov cov; /* the structure (M-step, parameter count) */
    vem_cov lay; /* its layout (vem_cov_layout): arrays, E-step, ESS */
    double reg_covar;
    int equal_weights; /* mclust's equalPro: the M-step keeps every weight 1 / k */
    vem_gmm_init init;
    size_t km_max_iter;
    double km_tol;

    double *weights;   /* k */
    double *means;     /* k x d */
    double *covs;      /* cov_len */
    double *prec_chol; /* prec_len */
    double *init_means;
    double *init_resp; /* init_n x k, VEM_INIT_RESP */
    size_t init_n;
    /* VEM_INIT_HC: the tree shared by the cells of a selection (borrowed), and the
     * initialisations since the fit began (restarts after the first use k-means). */
    vem__hc_cache *hc_cache;
    size_t n_inits;
    char **columns;

    /* Structured M-steps (cov != lay): the inner rule and warm-start state, scatter
     * matrices (cov_len doubles) and work (vem__gmm_struct_work_len). */
    vem__mstate ms;
    double *mscat;
    double *mwork;
    /* The gradient's reference point (gmm_uparams_get): k x d means, then the precision
     * Cholesky factors (cov_len), then for a structured covariance its map's reference
     * and current point (vem__gmm_sgrad_ref_len). NULL until first used. */
    double *uref;

    /* The conjugate prior (vem_gmm_set_prior) or NULL, and the MAP M-step's work. */
    vem__gprior *prior;
    double *pwork;

    /* Derived from the parameters for the E-step. */
    double *log_norm; /* k: log w_k + log det U_k - d/2 log 2 pi */
    double *wcat;     /* full: d x (k d) = [U_1 ... U_k]; tied: d x d = U */
    double *mu_u;     /* full, tied: k x d, mu_k^T U_k */
    double *upad;     /* full, tied: the factors zero-padded to dpad x dpad (fast kernels) */
    double *mupad;    /* full, tied: mu_u zero-padded to k x dpad */
    double *center;   /* d */
    double *work;     /* M-step work: cov_len + prec_len + max(cov_len, d * d) */
    size_t *bad;      /* k: failing pivots of the factorisations */

    /* How the E-step forms responsibilities (initialisation passes only). */
    enum resp_mode mode;
    const double *mode_centers;
    uint64_t mode_seed;
};

/* ---------------------------------------------------------------- names */

static const char *const cov_names[VEM_COV_COUNT] = {
    "full", "diag", "spherical", "tied", "EII", "EEI", "VEI",
    "EVI",  "VEE",  "EVE",       "VVE",  "EEV", "VEV", "EVV"};
static const char *const mclust_names[VEM_COV_COUNT] = {
    "VVV", "VVI", "VII", "EEE", "EII", "EEI", "VEI", "EVI", "VEE", "EVE", "VVE", "EEV", "VEV", "EVV"};
static const char *const init_names[] = {"kmeans", "kmeans++", "random", "means",
                                         "resp",   "hc",       "auto"};

const char *vem_cov_name(vem_cov c)
{
    return vem__name_of(cov_names, VEM_COV_COUNT, (int)c);
}

const char *vem_cov_mclust_name(vem_cov c)
{
    return vem__name_of(mclust_names, VEM_COV_COUNT, (int)c);
}

vem_cov vem_cov_layout(vem_cov c)
{
    switch ((int)c) {
    case VEM_COV_FULL:
    case VEM_COV_VEE:
    case VEM_COV_EVE:
    case VEM_COV_VVE:
    case VEM_COV_EEV:
    case VEM_COV_VEV:
    case VEM_COV_EVV:
        return VEM_COV_FULL;
    case VEM_COV_DIAG:
    case VEM_COV_EEI:
    case VEM_COV_VEI:
    case VEM_COV_EVI:
        return VEM_COV_DIAG;
    case VEM_COV_SPHERICAL:
    case VEM_COV_EII:
        return VEM_COV_SPHERICAL;
    case VEM_COV_TIED:
        return VEM_COV_TIED;
    }
    return (vem_cov)-1;
}

vem_status vem_gmm_cov_parse(const char *name, vem_cov *out)
{
    size_t i = vem__name_find(name, cov_names, VEM_COV_COUNT);
    if (i == VEM_COV_COUNT)
        i = vem__name_find(name, mclust_names, VEM_COV_COUNT);
    if (i == VEM_COV_COUNT)
        return VEM_FAIL(VEM_EINVAL,
                        "unknown covariance type '%s' (full, diag, spherical, tied or one of "
                        "mclust's EII, VII, EEI, VEI, EVI, VVI, EEE, VEE, EVE, VVE, EEV, VEV, "
                        "EVV, VVV)",
                        name ? name : "(null)");
    *out = (vem_cov)i;
    return VEM_OK;
}

vem_status vem_cov_parse(const char *name, vem_cov *out)
{
    size_t i = vem__name_find(name, cov_names, 4);
    if (i == 4)
        return VEM_FAIL(VEM_EINVAL, "unknown covariance type '%s' (full, diag, spherical, tied)",
                        name ? name : "(null)");
    *out = (vem_cov)i;
    return VEM_OK;
}

const char *vem_gmm_init_name(vem_gmm_init i)
{
    return vem__name_of(init_names, 7, (int)i);
}

vem_status vem_gmm_init_parse(const char *name, vem_gmm_init *out)
{
    size_t i = vem__name_find(name, init_names, 7);
    if (i == 7)
        return VEM_FAIL(VEM_EINVAL,
                        "unknown init method '%s' (kmeans, kmeans++, random, means, resp, hc, "
                        "auto)",
                        name ? name : "(null)");
    *out = (vem_gmm_init)i;
    return VEM_OK;
}

/* ---------------------------------------------------------------- sizes */

static int valid_cov(vem_cov c)
{
    return vem_cov_name(c) != NULL;
}


static size_t cov_len(vem_cov c, size_t k, size_t d)
{
    switch (c) {
    case VEM_COV_FULL:
        return k * d * d;
    case VEM_COV_DIAG:
        return k * d;
    case VEM_COV_SPHERICAL:
        return k;
    case VEM_COV_TIED:
        return d * d;
    default:
        break;
    }
    return 0;
}

/* Doubles in the S2 part of the ESS. */
static size_t s2_len(const vem_gmm *g)
{
    switch (g->lay) {
    case VEM_COV_FULL:
        return g->k * g->d * g->d;
    case VEM_COV_TIED:
        return g->d * g->d;
    default:
        return g->k * g->d;
    }
}

/* ------------------------------------------------------- object lifetime */

static void prior_free(vem__gprior *p)
{
    if (!p)
        return;
    vem__free(p->mean);
    vem__free(p->scale);
    vem__free(p);
}

void vem_gmm_free(vem_gmm *g)
{
    if (!g)
        return;
    vem__free(g->weights);
    vem__free(g->means);
    vem__free(g->covs);
    vem__free(g->prec_chol);
    vem__free(g->init_means);
    vem__free(g->init_resp);
    vem__free(g->ms.shape);
    vem__free(g->ms.orient);
    vem__free(g->mscat);
    vem__free(g->mwork);
    vem__free(g->uref);
    prior_free(g->prior);
    vem__free(g->pwork);
    vem__free(g->log_norm);
    vem__free(g->wcat);
    vem__free(g->mu_u);
    vem__free(g->upad);
    vem__free(g->bad);
    vem__free(g->mupad);
    vem__free(g->center);
    vem__free(g->work);
    vem__strings_free(g->columns, g->d);
    vem__free(g);
}

static vem_status prepare(vem_gmm *g, const double *covs);

vem_gmm *vem_gmm_new(size_t k, size_t d, vem_cov cov)
{
    size_t kd, dd, kdd;
    if (k == 0 || d == 0 || !valid_cov(cov)) {
        VEM_FAIL(VEM_EINVAL, "vem_gmm_new: k=%zu and d=%zu must be >= 1, cov=%d must be valid", k,
                 d, (int)cov);
        return NULL;
    }
    if (!vem__mul_ok(k, d, &kd) || !vem__mul_ok(d, d, &dd) || !vem__mul_ok(kd, d, &kdd)) {
        VEM_FAIL(VEM_ENOMEM, "vem_gmm_new: k=%zu d=%zu overflow", k, d);
        return NULL;
    }
    {
        /* The covariances, their factors, the scatter and work arrays, before allocating. */
        const vem_cov l = vem_cov_layout(cov);
        double cl = l == VEM_COV_FULL ? (double)kdd : l == VEM_COV_TIED ? (double)dd : (double)kd;
        double need = 6 * cl + 2 * (double)dd + 6 * (double)kd;
        char what[128];
        snprintf(what, sizeof what, "a Gaussian mixture of %zu components in %zu dimensions "
                 "(covariance %s: %.3g doubles)", k, d, vem_cov_name(cov), need);
        if (vem__check_memory(what, need * sizeof(double)) != VEM_OK)
            return NULL;
    }
    vem_gmm *g = vem__calloc(1, sizeof *g);
    if (!g)
        goto oom;
    g->k = k;
    g->d = d;
    g->cov = cov;
    g->lay = vem_cov_layout(cov);
    g->ms.max_iter = 1000;
    g->ms.tol = 1e-10;
    g->reg_covar = 1e-6;
    g->init = VEM_INIT_AUTO;
    g->km_max_iter = 300;
    g->km_tol = 1e-4;
    const vem_cov lay = g->lay;
    size_t cl = cov_len(lay, k, d);
    if (cov != lay) {
        g->ms.shape = vem__alloc_doubles(k, d);
        g->ms.orient = vem__alloc_doubles(d, d);
        g->mscat = vem__alloc_doubles((lay == VEM_COV_FULL ? kdd : kd) + k, 1);
        g->mwork = vem__alloc_doubles(vem__gmm_struct_work_len(k, d), 1);
        if (!g->ms.shape || !g->ms.orient || !g->mscat || !g->mwork)
            goto oom;
    }
    g->weights = vem__alloc_doubles(k, 1);
    g->means = vem__alloc_doubles(k, d);
    g->covs = vem__alloc_doubles(cl, 1);
    g->prec_chol = vem__alloc_doubles(cl, 1);
    g->log_norm = vem__alloc_doubles(k, 1);
    g->wcat = vem__alloc_doubles(lay == VEM_COV_FULL ? kdd : dd, 1);
    g->mu_u = vem__alloc_doubles(k, d);
    const size_t dpad = vem__gk_pad(d, 4);
    g->upad = vem__alloc_doubles(lay == VEM_COV_FULL ? k * dpad : dpad, dpad);
    g->mupad = vem__alloc_doubles(k, dpad);
    g->center = vem__alloc_doubles(d, 1);
    g->work = vem__alloc_doubles(2 * cl + vem__max(cl, dd), 1);
    g->bad = vem__calloc(k, sizeof *g->bad);
    if (!g->weights || !g->means || !g->covs || !g->prec_chol || !g->log_norm || !g->wcat ||
        !g->mu_u || !g->upad || !g->mupad || !g->center || !g->work || !g->bad)
        goto oom;
    for (size_t i = 0; i < k; i++)
        g->weights[i] = 1.0 / (double)k;
    double *c = g->work; /* identity covariances; prepare() factors from here */
    memset(c, 0, cl * sizeof *c);
    for (size_t i = 0; i < cl; i++) {
        if (lay == VEM_COV_DIAG || lay == VEM_COV_SPHERICAL)
            c[i] = 1.0;
        else if ((i % dd) / d == (i % dd) % d)
            c[i] = 1.0;
    }
    if (prepare(g, c) != VEM_OK)
        goto oom;
    return g;
oom:
    vem_gmm_free(g);
    VEM_FAIL(VEM_ENOMEM, "vem_gmm_new(k=%zu, d=%zu): out of memory", k, d);
    return NULL;
}

vem_gmm *vem_gmm_copy(const vem_gmm *g)
{
    vem_gmm *h = vem_gmm_new(g->k, g->d, g->cov);
    if (!h)
        return NULL;
    h->reg_covar = g->reg_covar;
    h->equal_weights = g->equal_weights;
    h->ms.max_iter = g->ms.max_iter;
    h->ms.tol = g->ms.tol;
    h->init = g->init;
    h->km_max_iter = g->km_max_iter;
    h->km_tol = g->km_tol;
    if (vem_gmm_set_params(h, g->weights, g->means, g->covs) != VEM_OK ||
        vem_gmm_set_columns(h, (const char *const *)g->columns) != VEM_OK ||
        (g->init_means && vem_gmm_set_init_means(h, g->init_means) != VEM_OK) ||
        (g->init_resp && vem_gmm_set_init_resp(h, g->init_n, g->init_resp) != VEM_OK)) {
        vem_gmm_free(h);
        return NULL;
    }
    h->init = g->init;
    if (g->prior) {
        vem_gmm_prior p = {g->prior->kappa, g->prior->nu, g->prior->mean, g->prior->scale};
        if (vem_gmm_set_prior(h, &p) != VEM_OK) {
            vem_gmm_free(h);
            return NULL;
        }
    }
    memcpy(h->center, g->center, g->d * sizeof *h->center);
    return h;
}

/* ------------------------------------------------------------ accessors */

size_t vem_gmm_k(const vem_gmm *g) { return g->k; }
size_t vem_gmm_d(const vem_gmm *g) { return g->d; }
vem_cov vem_gmm_cov(const vem_gmm *g) { return g->cov; }
double vem_gmm_reg_covar(const vem_gmm *g) { return g->reg_covar; }
vem_gmm_init vem_gmm_init_method(const vem_gmm *g) { return g->init; }
const double *vem_gmm_weights(const vem_gmm *g) { return g->weights; }
const double *vem_gmm_means(const vem_gmm *g) { return g->means; }
const double *vem_gmm_covariances(const vem_gmm *g) { return g->covs; }
size_t vem_gmm_covariances_len(const vem_gmm *g) { return cov_len(g->lay, g->k, g->d); }
const double *vem_gmm_precisions_cholesky(const vem_gmm *g) { return g->prec_chol; }
const char *const *vem_gmm_columns(const vem_gmm *g) { return (const char *const *)g->columns; }

vem_status vem_gmm_set_reg_covar(vem_gmm *g, double reg_covar)
{
    if (!(reg_covar >= 0.0) || !isfinite(reg_covar))
        return VEM_FAIL(VEM_EINVAL, "reg_covar=%g must be finite and >= 0", reg_covar);
    g->reg_covar = reg_covar;
    return VEM_OK;
}

void vem_gmm_set_equal_weights(vem_gmm *g, int equal)
{
    g->equal_weights = equal != 0;
}

int vem_gmm_equal_weights(const vem_gmm *g)
{
    return g->equal_weights;
}

vem_status vem_gmm_set_init(vem_gmm *g, vem_gmm_init init)
{
    if (!vem_gmm_init_name(init))
        return VEM_FAIL(VEM_EINVAL, "invalid init method %d", (int)init);
    if (init == VEM_INIT_MEANS && !g->init_means)
        return VEM_FAIL(VEM_EINVAL, "init 'means' needs vem_gmm_set_init_means first");
    if (init == VEM_INIT_RESP && !g->init_resp)
        return VEM_FAIL(VEM_EINVAL, "init 'resp' needs vem_gmm_set_init_resp first");
    g->init = init;
    return VEM_OK;
}

vem_status vem_gmm_set_kmeans(vem_gmm *g, size_t max_iter, double tol)
{
    if (!(tol >= 0.0) || !isfinite(tol))
        return VEM_FAIL(VEM_EINVAL, "k-means tol=%g must be finite and >= 0", tol);
    g->km_max_iter = max_iter;
    g->km_tol = tol;
    return VEM_OK;
}

vem_status vem_gmm_set_init_means(vem_gmm *g, const double *means)
{
    for (size_t i = 0; i < g->k * g->d; i++)
        if (!isfinite(means[i]))
            return VEM_FAIL(VEM_EINVAL, "initial mean %zu of component %zu is not finite",
                            i % g->d + 1, i / g->d + 1);
    if (!g->init_means) {
        g->init_means = vem__alloc_doubles(g->k, g->d);
        if (!g->init_means)
            return VEM_FAIL(VEM_ENOMEM, "initial means");
    }
    memcpy(g->init_means, means, g->k * g->d * sizeof *means);
    g->init = VEM_INIT_MEANS;
    return VEM_OK;
}

vem_status vem_gmm_set_mstep_control(vem_gmm *g, size_t max_iter, double tol)
{
    if (!(tol >= 0.0) || !isfinite(tol) || max_iter == 0)
        return VEM_FAIL(VEM_EINVAL, "M-step control: tol=%g must be finite and >= 0, max_iter=%zu >= 1",
                        tol, max_iter);
    g->ms.max_iter = max_iter;
    g->ms.tol = tol;
    return VEM_OK;
}

vem_status vem_gmm_set_init_resp(vem_gmm *g, size_t n, const double *resp)
{
    size_t nk;
    if (n == 0 || !resp || !vem__mul_ok(n, g->k, &nk))
        return VEM_FAIL(VEM_EINVAL, "initial responsibilities: n=%zu rows must be >= 1", n);
    for (size_t r = 0; r < n; r++) {
        double s = 0.0;
        for (size_t c = 0; c < g->k; c++) {
            double v = resp[r * g->k + c];
            if (!(v >= 0.0) || !isfinite(v))
                return VEM_FAIL(VEM_EINVAL,
                                "initial responsibility of row %zu, component %zu is %g: must be "
                                "finite and >= 0",
                                r + 1, c + 1, v);
            s += v;
        }
        if (!(s > 0.0))
            return VEM_FAIL(VEM_EINVAL, "initial responsibilities of row %zu sum to 0", r + 1);
    }
    double *copy = vem__alloc_doubles(n, g->k);
    if (!copy)
        return VEM_FAIL(VEM_ENOMEM, "initial responsibilities (%zu x %zu)", n, g->k);
    memcpy(copy, resp, nk * sizeof *copy);
    vem__free(g->init_resp);
    g->init_resp = copy;
    g->init_n = n;
    g->init = VEM_INIT_RESP;
    return VEM_OK;
}

/* ------------------------------------------------------------ the prior */

vem_status vem_gmm_set_prior(vem_gmm *g, const vem_gmm_prior *p)
{
    const size_t d = g->d;
    if (!p) {
        prior_free(g->prior);
        vem__free(g->pwork);
        g->prior = NULL;
        g->pwork = NULL;
        return VEM_OK;
    }
    if (!vem_cov_has_prior(g->cov))
        return VEM_FAIL(VEM_EUNSUP,
                        "covariance %s has no conjugate prior (mclust 6.0 has none for VEE, "
                        "EVE, VVE and EVV)",
                        vem_cov_mclust_name(g->cov));
    if (!(p->shrinkage >= 0.0) || !isfinite(p->shrinkage))
        return VEM_FAIL(VEM_EINVAL, "prior shrinkage %g must be finite and >= 0", p->shrinkage);
    if (!(p->dof > 0.0) || !isfinite(p->dof))
        return VEM_FAIL(VEM_EINVAL, "prior degrees of freedom %g must be finite and > 0", p->dof);
    if (!p->mean || !p->scale)
        return VEM_FAIL(VEM_EINVAL, "prior: mean and scale are required");
    for (size_t j = 0; j < d; j++)
        if (!isfinite(p->mean[j]))
            return VEM_FAIL(VEM_EINVAL, "prior mean %zu is not finite", j + 1);
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j <= i; j++) {
            double x = p->scale[i * d + j], y = p->scale[j * d + i];
            if (!isfinite(x) || !isfinite(y) || !(fabs(x - y) <= 1e-12 * fmax(fabs(x), fabs(y))))
                return VEM_FAIL(VEM_EINVAL,
                                "prior scale [%zu][%zu] = %.17g, [%zu][%zu] = %.17g: must be "
                                "finite and symmetric",
                                i + 1, j + 1, x, j + 1, i + 1, y);
        }
    vem__gprior *q = vem__calloc(1, sizeof *q);
    double *l = vem__alloc_doubles(d, d);
    double *work = vem__alloc_doubles(vem__gmm_prior_work_len(g->k, d) + g->k, 1);
    if (q) {
        q->mean = vem__alloc_doubles(d, 1);
        q->scale = vem__alloc_doubles(d, d);
    }
    if (!q || !l || !work || !q->mean || !q->scale) {
        prior_free(q);
        vem__free(l);
        vem__free(work);
        return VEM_FAIL(VEM_ENOMEM, "prior");
    }
    size_t bad = vem__cholesky(d, p->scale, l);
    vem__free(l);
    if (bad) {
        prior_free(q);
        vem__free(work);
        return VEM_FAIL(VEM_EINVAL, "prior scale is not positive definite (pivot %zu)", bad);
    }
    q->kappa = p->shrinkage;
    q->nu = p->dof;
    memcpy(q->mean, p->mean, d * sizeof *q->mean);
    memcpy(q->scale, p->scale, d * d * sizeof *q->scale);
    q->zeta2 = 0.0;
    for (size_t j = 0; j < d; j++)
        q->zeta2 += q->scale[j * d + j];
    q->zeta2 /= (double)d;
    prior_free(g->prior);
    vem__free(g->pwork);
    g->prior = q;
    g->pwork = work;
    return VEM_OK;
}

int vem_gmm_prior_params(const vem_gmm *g, vem_gmm_prior *out)
{
    if (!g->prior)
        return 0;
    out->shrinkage = g->prior->kappa;
    out->dof = g->prior->nu;
    out->mean = g->prior->mean;
    out->scale = g->prior->scale;
    return 1;
}

double vem_gmm_log_prior(const vem_gmm *g)
{
    if (!g->prior)
        return 0.0;
    return vem__gmm_log_prior(g->prior, g->cov, g->k, g->d, g->means, g->prec_chol);
}

/* Reads rows [r0, r0 + n) into out (n x d). */
typedef vem_status (*read_rows_fn)(const void *ctx, size_t r0, size_t n, double *out);

static vem_status read_matrix(const void *ctx, size_t r0, size_t n, double *out)
{
    const vem_matrix *x = ctx;
    for (size_t r = 0; r < n; r++)
        memcpy(out + r * x->cols, x->data + (r0 + r) * x->ld, x->cols * sizeof *out);
    return VEM_OK;
}

static vem_status read_source(const void *ctx, size_t r0, size_t n, double *out)
{
    return vem_source_read(ctx, r0, n, out);
}

/* mclust's defaultPrior from n rows by two passes (means, then centred cross-products). */
static vem_status prior_default(vem_gmm *g, size_t n, read_rows_fn rd, const void *ctx)
{
    const size_t d = g->d, block = 1024;
    if (n < 2)
        return VEM_FAIL(VEM_EINVAL, "default prior: %zu row%s; at least 2 are needed", n,
                        n == 1 ? "" : "s");
    double *buf = vem__alloc_doubles(block, d);
    double *mean = vem__alloc_doubles(d, 1);
    double *cov = vem__alloc_doubles(d, d);
    vem_status st = VEM_OK;
    if (!buf || !mean || !cov) {
        st = VEM_FAIL(VEM_ENOMEM, "default prior");
        goto out;
    }
    for (int pass = 0; pass < 2 && st == VEM_OK; pass++) {
        for (size_t r0 = 0; r0 < n && st == VEM_OK; r0 += block) {
            size_t nb = vem__min(block, n - r0);
            if ((st = rd(ctx, r0, nb, buf)) != VEM_OK)
                break;
            for (size_t r = 0; r < nb; r++) {
                const double *x = buf + r * d;
                if (pass == 0) {
                    for (size_t j = 0; j < d; j++)
                        mean[j] += x[j];
                    continue;
                }
                for (size_t i = 0; i < d; i++)
                    for (size_t j = i; j < d; j++)
                        cov[i * d + j] += (x[i] - mean[i]) * (x[j] - mean[j]);
            }
        }
        if (pass == 0)
            for (size_t j = 0; j < d; j++)
                mean[j] /= (double)n;
    }
    if (st != VEM_OK)
        goto out;
    /* var(data) (divisor n - 1) times (1/K)^(2/d); its diagonal alone when n <= d. */
    const double fac = pow(1.0 / (double)g->k, 2.0 / (double)d);
    for (size_t i = 0; i < d; i++)
        for (size_t j = i; j < d; j++) {
            double v = (i == j || n > d) ? fac * cov[i * d + j] / (double)(n - 1) : 0.0;
            cov[i * d + j] = v;
            cov[j * d + i] = v;
        }
    vem_gmm_prior p = {0.01, (double)d + 2.0, mean, cov};
    st = vem_gmm_set_prior(g, &p);
out:
    vem__free(buf);
    vem__free(mean);
    vem__free(cov);
    return st;
}

vem_status vem_gmm_set_prior_default(vem_gmm *g, const vem_matrix *x)
{
    if (!x || (!x->data && x->rows > 0) || x->cols != g->d || x->ld < x->cols)
        return VEM_FAIL(VEM_EINVAL, "default prior: data must have d=%zu columns", g->d);
    return prior_default(g, x->rows, read_matrix, x);
}

vem_status vem_gmm_set_prior_default_source(vem_gmm *g, vem_source *src)
{
    if (!src || vem_source_cols(src) != g->d)
        return VEM_FAIL(VEM_EINVAL, "default prior: data must have d=%zu columns", g->d);
    return prior_default(g, vem_source_rows(src), read_source, src);
}

vem_status vem_gmm_set_columns(vem_gmm *g, const char *const *names)
{
    char **cols = NULL;
    if (names && !(cols = vem__strings_dup(names, g->d)))
        return VEM_FAIL(VEM_ENOMEM, "column names");
    vem__strings_free(g->columns, g->d);
    g->columns = cols;
    return VEM_OK;
}

/* ------------------------------------------------ derived quantities */

/*
 * Precision Cholesky factors of covs into prec; VEM_ENUMERIC naming the
 * component if one is not positive definite. Leaves g's parameters alone.
 */
static vem_status factor(const vem_gmm *g, const double *covs, double *prec, double *work,
                         int in_mstep)
{
    /* Only an M-step adds reg_covar, so only there is raising it the remedy. */
    char hint[64] = "";
    if (in_mstep)
        snprintf(hint, sizeof hint, "; raise reg_covar (now %g)", g->reg_covar);
    const size_t k = g->k, d = g->d;
    switch (g->lay) {
    case VEM_COV_FULL:
    case VEM_COV_TIED: {
        long nf = g->lay == VEM_COV_FULL ? (long)k : 1;
        /* Components are independent: spread over the threads (work: nf d^2). */
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) if (nf > 1 && d >= 16)
#endif
        for (long c = 0; c < nf; c++) {
            const size_t o = (size_t)c * d * d;
            g->bad[c] = vem__precision_cholesky(d, covs + o, prec + o, work + o);
        }
        for (size_t c = 0; c < (size_t)nf; c++) {
            size_t bad = g->bad[c];
            if (bad) {
                if (g->lay == VEM_COV_TIED)
                    return VEM_FAIL(VEM_ENUMERIC,
                                    "the tied covariance is not positive definite (pivot %zu)%s",
                                    bad, hint);
                return VEM_FAIL(VEM_ENUMERIC,
                                "covariance of component %zu is not positive definite (pivot "
                                "%zu)%s",
                                c + 1, bad, hint);
            }
        }
        break;
    default:
        break;
    }
    case VEM_COV_DIAG:
    case VEM_COV_SPHERICAL: {
        size_t n = cov_len(g->lay, k, d);
        for (size_t i = 0; i < n; i++) {
            if (!(covs[i] > 0.0) || !isfinite(covs[i]))
                return VEM_FAIL(VEM_ENUMERIC, "variance %g of component %zu is not positive%s",
                                covs[i], (g->lay == VEM_COV_DIAG ? i / d : i) + 1, hint);
            prec[i] = 1.0 / sqrt(covs[i]);
        }
        break;
    }
    }
    return VEM_OK;
}

/* Fill the zero-padded factors (nfac x dpad x dpad) and mu_k^T U_k (k x dpad). */
static void pad_factors(const vem_gmm *g, size_t dpad, double *upad, double *mupad)
{
    const size_t k = g->k, d = g->d;
    size_t nfac = g->lay == VEM_COV_FULL ? k : 1;
    memset(upad, 0, nfac * dpad * dpad * sizeof *upad);
    memset(mupad, 0, k * dpad * sizeof *mupad);
    for (size_t f = 0; f < nfac; f++)
        for (size_t i = 0; i < d; i++)
            memcpy(upad + f * dpad * dpad + i * dpad, g->prec_chol + f * d * d + i * d,
                   d * sizeof *upad);
    for (size_t c = 0; c < k; c++)
        memcpy(mupad + c * dpad, g->mu_u + c * d, d * sizeof *mupad);
}

/* Recompute everything the E-step needs from weights, means and prec_chol. */
static void derive(vem_gmm *g)
{
    const size_t k = g->k, d = g->d;
    for (size_t c = 0; c < k; c++) {
        double logdet = 0.0;
        switch (g->lay) {
        case VEM_COV_FULL:
            for (size_t j = 0; j < d; j++)
                logdet += log(g->prec_chol[c * d * d + j * d + j]);
            break;
        case VEM_COV_TIED:
            for (size_t j = 0; j < d; j++)
                logdet += log(g->prec_chol[j * d + j]);
            break;
        case VEM_COV_DIAG:
            for (size_t j = 0; j < d; j++)
                logdet += log(g->prec_chol[c * d + j]);
            break;
        case VEM_COV_SPHERICAL:
            logdet = (double)d * log(g->prec_chol[c]);
            break;
        default:
            break;
        }
        g->log_norm[c] = log(g->weights[c]) + logdet - 0.5 * (double)d * LOG_2PI;
    }
    if (g->lay == VEM_COV_FULL) {
        for (size_t c = 0; c < k; c++) {
            const double *u = g->prec_chol + c * d * d;
            for (size_t i = 0; i < d; i++)
                for (size_t j = 0; j < d; j++)
                    g->wcat[i * k * d + c * d + j] = u[i * d + j];
        }
    } else if (g->lay == VEM_COV_TIED) {
        memcpy(g->wcat, g->prec_chol, d * d * sizeof *g->wcat);
    }
    if (g->lay == VEM_COV_FULL || g->lay == VEM_COV_TIED) {
        for (size_t c = 0; c < k; c++) {
            const double *u = g->prec_chol + (g->lay == VEM_COV_FULL ? c * d * d : 0);
            const double *mu = g->means + c * d;
            for (size_t j = 0; j < d; j++) {
                double s = 0.0;
                for (size_t i = 0; i <= j; i++) /* U is upper triangular */
                    s += mu[i] * u[i * d + j];
                g->mu_u[c * d + j] = s;
            }
        }
        pad_factors(g, vem__gk_pad(d, 4), g->upad, g->mupad);
    }
}

/* Install covs (already validated in shape) and derive; g unchanged on error. */
static vem_status prepare(vem_gmm *g, const double *covs)
{
    const size_t cl = cov_len(g->lay, g->k, g->d);
    double *prec = g->work + cl;
    double *w = g->work + 2 * cl;
    vem_status st = factor(g, covs, prec, w, 0);
    if (st != VEM_OK)
        return st;
    if (covs != g->covs)
        memmove(g->covs, covs, cl * sizeof *covs);
    memcpy(g->prec_chol, prec, cl * sizeof *prec);
    derive(g);
    return VEM_OK;
}

static void set_center_from_params(vem_gmm *g)
{
    for (size_t j = 0; j < g->d; j++) {
        double s = 0.0;
        for (size_t c = 0; c < g->k; c++)
            s += g->weights[c] * g->means[c * g->d + j];
        g->center[j] = s;
    }
}

vem_status vem_gmm_set_params(vem_gmm *g, const double *weights, const double *means,
                              const double *covariances)
{
    const size_t k = g->k, d = g->d, cl = cov_len(g->lay, k, d);
    double sum = 0.0;
    for (size_t c = 0; c < k; c++) {
        if (!(weights[c] > 0.0) || !isfinite(weights[c]))
            return VEM_FAIL(VEM_EINVAL, "weight %zu is %g; weights must be positive and finite",
                            c + 1, weights[c]);
        sum += weights[c];
    }
    if (!(fabs(sum - 1.0) <= 1e-8))
        return VEM_FAIL(VEM_EINVAL, "weights sum to %.17g, not 1", sum);
    for (size_t i = 0; i < k * d; i++)
        if (!isfinite(means[i]))
            return VEM_FAIL(VEM_EINVAL, "mean %zu of component %zu is not finite", i % d + 1,
                            i / d + 1);
    for (size_t i = 0; i < cl; i++)
        if (!isfinite(covariances[i]))
            return VEM_FAIL(VEM_EINVAL, "covariance entry %zu is not finite", i + 1);
    if (g->lay == VEM_COV_FULL || g->lay == VEM_COV_TIED) {
        size_t nf = g->lay == VEM_COV_FULL ? k : 1;
        for (size_t c = 0; c < nf; c++) {
            const double *a = covariances + c * d * d;
            for (size_t i = 0; i < d; i++)
                for (size_t j = 0; j < i; j++) {
                    double x = a[i * d + j], y = a[j * d + i];
                    if (!(fabs(x - y) <= 1e-12 * fmax(fabs(x), fabs(y))))
                        return VEM_FAIL(VEM_EINVAL,
                                        "covariance of component %zu is not symmetric: [%zu][%zu]"
                                        " = %.17g, [%zu][%zu] = %.17g",
                                        c + 1, i + 1, j + 1, x, j + 1, i + 1, y);
                }
        }
    }
    /* Factor first so that g is unchanged if a covariance is not positive definite. */
    double *prec = g->work + cl, *w = g->work + 2 * cl;
    vem_status st = factor(g, covariances, prec, w, 0);
    if (st != VEM_OK)
        return st;
    memcpy(g->weights, weights, k * sizeof *weights);
    memcpy(g->means, means, k * d * sizeof *means);
    memcpy(g->covs, covariances, cl * sizeof *covariances);
    memcpy(g->prec_chol, prec, cl * sizeof *prec);
    derive(g);
    set_center_from_params(g);
    g->ms.ok = 0; /* the next M-step's inner iterations start afresh */
    return VEM_OK;
}

/* ----------------------------------------------------------- E-step */

/*
 * Responsibilities below VEM_RESP_FLOOR times the component's weight leave the
 * row out of that component's scatter matrix (vem__gk_accum_full): the rows left
 * out weigh at most 1e-18 of the component's mass per row, far below the sum's
 * own rounding, and in well-separated data most (row, component) pairs go.
 */
#define VEM_RESP_FLOOR 1e-18

/*
 * Work of the fast kernels (src/models/gmm_kernels.c) for one sub-block of
 * VEM_GK_ROWS rows: x^T, log-densities, r .* x^T,
 * the centred rows, their gathered copies and row indices, 3 rows of normaliser
 * work and the k responsibility floors. Independent of the block size.
 */
static size_t fast_len(const vem_gmm *g)
{
    const size_t k = g->k, dpad = vem__gk_pad(g->d, 4), sb = VEM_GK_ROWS;
    return sb * (5 * dpad + k + 4) + k;
}

size_t vem__gmm_scratch_len(const vem_gmm *g, size_t block)
{
    /* The fast kernels' sub-block buffers, or (initialisation passes) block x k
     * responsibilities plus vem__gmm_accumulate's 2 block d: O(block (k + d)), never
     * O(block k d). */
    return vem__max(fast_len(g), block * (g->k + 2 * g->d));
}

/*
 * The E-step on rows x[0..n) through the fast kernels, sub-block by sub-block.
 * With logp: write log w_c + log N(x_r | c) (n x k) and return 0. Otherwise
 * return the sum of log p(x_r) in row order and, if ess is non-NULL, add the
 * rows' ESS into it. work: fast_len(g) doubles.
 */
static double fast_pass(const vem_gmm *g, const double *x, size_t ld, size_t n, double *ess,
                        double *logp, double *work)
{
    const size_t k = g->k, d = g->d, dpad = vem__gk_pad(d, 4);
    const int chol = g->lay == VEM_COV_FULL || g->lay == VEM_COV_TIED;
    const size_t nfac = g->lay == VEM_COV_FULL ? k : chol ? 1 : 0;
    const double *upad = g->upad, *mupad = g->mupad;
    double *xt = work;
    double *lpt = xt + dpad * VEM_GK_ROWS, *v = lpt + k * VEM_GK_ROWS;
    double *nw = v + 4 * dpad * VEM_GK_ROWS + VEM_GK_ROWS, *floor = nw + 3 * VEM_GK_ROWS;
    for (size_t c = 0; c < k; c++)
        floor[c] = VEM_RESP_FLOOR * g->weights[c];
    double ll = 0.0;
    for (size_t r0 = 0; r0 < n; r0 += VEM_GK_ROWS) {
        const size_t nb = vem__min(VEM_GK_ROWS, n - r0), npad = vem__gk_pad(nb, VEM_GK_RPAD);
        vem__gk_transpose(nb, d, x + r0 * ld, ld, xt, npad, dpad);
        if (chol)
            vem__gk_logp_chol(k, dpad, nfac, upad, mupad, g->log_norm, xt, npad, lpt);
        else
            vem__gk_logp_diag(k, d, g->lay == VEM_COV_SPHERICAL, g->means, g->prec_chol,
                              g->log_norm, xt, npad, lpt);
        if (logp) {
            for (size_t r = 0; r < nb; r++)
                for (size_t c = 0; c < k; c++)
                    logp[(r0 + r) * k + c] = lpt[c * npad + r];
            continue;
        }
        ll += vem__gk_normalise(nb, npad, k, lpt, nw);
        if (!ess)
            continue;
        vem__gk_center(nb, d, g->center, xt, npad);
        double *nk = ess, *s1 = ess + k, *s2 = ess + k + k * d;
        switch (g->lay) {
        case VEM_COV_FULL:
            vem__gk_accum_full(k, d, dpad, xt, lpt, npad, floor, v, nk, s1, s2);
            break;
        case VEM_COV_TIED:
            vem__gk_accum_tied(k, d, dpad, xt, lpt, npad, v, nk, s1, s2);
            break;
        case VEM_COV_DIAG:
        case VEM_COV_SPHERICAL:
            vem__gk_accum_diag(k, d, xt, lpt, npad, nk, s1, s2);
            break;
        default:
            break;
        }
    }
    return ll;
}

/* logp[r][c] = log w_c + log N(x_r | mu_c, Sigma_c) for rows x[0..n): the
 * straightforward version (one dense GEMM), kept as the tests' oracle. */
static void ref_block_logp(const vem_gmm *g, const double *x, size_t ld, size_t n, double *logp,
                       double *y)
{
    const size_t k = g->k, d = g->d;
    switch (g->lay) {
    case VEM_COV_FULL:
        vem__gemm('N', 'N', n, k * d, d, 1.0, x, ld, g->wcat, k * d, 0.0, y, k * d);
        for (size_t r = 0; r < n; r++) {
            const double *yr = y + r * k * d;
            for (size_t c = 0; c < k; c++) {
                const double *yc = yr + c * d, *m = g->mu_u + c * d;
                double q = 0.0;
                for (size_t j = 0; j < d; j++) {
                    double t = yc[j] - m[j];
                    q += t * t;
                }
                logp[r * k + c] = g->log_norm[c] - 0.5 * q;
            }
        }
        break;
    case VEM_COV_TIED:
        vem__gemm('N', 'N', n, d, d, 1.0, x, ld, g->wcat, d, 0.0, y, d);
        for (size_t r = 0; r < n; r++) {
            const double *yr = y + r * d;
            for (size_t c = 0; c < k; c++) {
                const double *m = g->mu_u + c * d;
                double q = 0.0;
                for (size_t j = 0; j < d; j++) {
                    double t = yr[j] - m[j];
                    q += t * t;
                }
                logp[r * k + c] = g->log_norm[c] - 0.5 * q;
            }
        }
        break;
    case VEM_COV_DIAG:
        for (size_t r = 0; r < n; r++) {
            const double *xr = x + r * ld;
            for (size_t c = 0; c < k; c++) {
                const double *m = g->means + c * d, *p = g->prec_chol + c * d;
                double q = 0.0;
                for (size_t j = 0; j < d; j++) {
                    double t = (xr[j] - m[j]) * p[j];
                    q += t * t;
                }
                logp[r * k + c] = g->log_norm[c] - 0.5 * q;
            }
        }
        break;
    case VEM_COV_SPHERICAL:
        for (size_t r = 0; r < n; r++) {
            const double *xr = x + r * ld;
            for (size_t c = 0; c < k; c++) {
                const double *m = g->means + c * d;
                double q = 0.0;
                for (size_t j = 0; j < d; j++) {
                    double t = xr[j] - m[j];
                    q += t * t;
                }
                double p = g->prec_chol[c];
                logp[r * k + c] = g->log_norm[c] - 0.5 * q * p * p;
            }
        }
        break;
    default:
        break;
    }
}

/* Turn row r of logp into responsibilities in place; return log p(x_r). */
static double row_normalise(double *lp, size_t k)
{
    double m = lp[0];
    for (size_t c = 1; c < k; c++)
        if (lp[c] > m)
            m = lp[c];
    if (m == -INFINITY) {
        for (size_t c = 0; c < k; c++)
            lp[c] = 1.0 / (double)k;
        return -INFINITY;
    }
    double s = 0.0;
    for (size_t c = 0; c < k; c++) {
        lp[c] = exp(lp[c] - m);
        s += lp[c];
    }
    double inv = 1.0 / s;
    for (size_t c = 0; c < k; c++)
        lp[c] *= inv;
    return m + log(s);
}

void vem__init_resp(const double *centers, uint64_t seed, size_t k, size_t d, const double *x,
                    size_t ld, size_t r0, size_t n, double *resp)
{
    for (size_t r = 0; r < n; r++) {
        double *rr = resp + r * k;
        if (centers) {
            const double *xr = x + r * ld;
            size_t best = 0;
            double bd = INFINITY;
            for (size_t c = 0; c < k; c++) {
                const double *m = centers + c * d;
                double q = 0.0;
                for (size_t j = 0; j < d; j++) {
                    double t = xr[j] - m[j];
                    q += t * t;
                }
                if (q < bd) {
                    bd = q;
                    best = c;
                }
            }
            memset(rr, 0, k * sizeof *rr);
            rr[best] = 1.0;
        } else {
            /* One generator per row: the draws do not depend on blocks or threads. */
            vem_rng rng;
            vem_rng_seed(&rng, seed ^ (0x9e3779b97f4a7c15ULL * (uint64_t)(r0 + r + 1)));
            double s = 0.0;
            for (size_t c = 0; c < k; c++) {
                rr[c] = vem_rng_uniform(&rng);
                s += rr[c];
            }
            for (size_t c = 0; c < k; c++)
                rr[c] /= s;
        }
    }
}

/* Hard or random responsibilities for the initialisation passes. */
static void init_resp(const vem_gmm *g, const double *x, size_t ld, size_t r0, size_t n,
                      double *resp)
{
    vem__init_resp(g->mode == MODE_NEAREST ? g->mode_centers : NULL, g->mode_seed, g->k, g->d, x,
                   ld, r0, n, resp);
}

void vem__gmm_log_gauss(const vem_gmm *g, const double *x, size_t ld, size_t n, double *logp,
                        double *work)
{
    fast_pass(g, x, ld, n, NULL, logp, work);
    for (size_t c = 0; c < g->k; c++) {
        const double lw = log(g->weights[c]); /* once per component, not per row */
        for (size_t r = 0; r < n; r++)
            logp[r * g->k + c] -= lw;
    }
}

/* The straightforward ESS accumulation (GEMM and one SYRK per component), the oracle. */
static void ref_accumulate(const vem_gmm *g, const double *x, size_t ld, size_t n,
                           const double *resp, double *ess, double *work)
{
    const size_t k = g->k, d = g->d;
    double *xc = work;    /* n x d */
    double *z = xc + n * d; /* n x d */
    double *nk = ess, *s1 = ess + k, *s2 = ess + k + k * d;
    for (size_t r = 0; r < n; r++) {
        for (size_t c = 0; c < k; c++)
            nk[c] += resp[r * k + c];
        for (size_t j = 0; j < d; j++)
            xc[r * d + j] = x[r * ld + j] - g->center[j];
    }
    vem__gemm('T', 'N', k, d, n, 1.0, resp, k, xc, d, 1.0, s1, d);
    switch (g->lay) {
    case VEM_COV_FULL:
        for (size_t c = 0; c < k; c++) {
            for (size_t r = 0; r < n; r++) {
                double s = sqrt(resp[r * k + c]);
                for (size_t j = 0; j < d; j++)
                    z[r * d + j] = s * xc[r * d + j];
            }
            vem__syrk_t(d, n, 1.0, z, d, 1.0, s2 + c * d * d, d);
        }
        break;
    case VEM_COV_TIED:
        vem__syrk_t(d, n, 1.0, xc, d, 1.0, s2, d);
        break;
    case VEM_COV_DIAG:
    case VEM_COV_SPHERICAL:
        for (size_t i = 0; i < n * d; i++)
            z[i] = xc[i] * xc[i];
        vem__gemm('T', 'N', k, d, n, 1.0, resp, k, z, d, 1.0, s2, d);
        break;
    default:
        break;
    }
}

void vem__gmm_accumulate(const vem_gmm *g, const double *x, size_t ld, size_t n,
                         const double *resp, double *ess, double *work)
{
    /* The fast kernels in the caller's 2 n d doubles: x^T, r^T, r .* x^T and the rows for
     * sub-blocks of sb rows; too little room (tiny n) takes the reference path. */
    const size_t k = g->k, d = g->d, dpad = vem__gk_pad(d, 4);
    size_t sb = vem__min(VEM_GK_ROWS, 2 * n * d / (3 * dpad + k) / VEM_GK_RPAD * VEM_GK_RPAD);
    if (sb == 0) {
        ref_accumulate(g, x, ld, n, resp, ess, work);
        return;
    }
    double *xt = work, *rt = xt + dpad * sb, *v = rt + k * sb;
    double *nk = ess, *s1 = ess + k, *s2 = ess + k + k * d;
    for (size_t r0 = 0; r0 < n; r0 += sb) {
        const size_t nb = vem__min(sb, n - r0), npad = vem__gk_pad(nb, VEM_GK_RPAD);
        vem__gk_transpose(nb, d, x + r0 * ld, ld, xt, npad, dpad);
        vem__gk_center(nb, d, g->center, xt, npad);
        vem__gk_transpose(nb, k, resp + r0 * k, k, rt, npad, k);
        switch (g->lay) {
        case VEM_COV_FULL:
            vem__gk_accum_full(k, d, dpad, xt, rt, npad, NULL, v, nk, s1, s2);
            break;
        case VEM_COV_TIED:
            vem__gk_accum_tied(k, d, dpad, xt, rt, npad, v, nk, s1, s2);
            break;
        case VEM_COV_DIAG:
        case VEM_COV_SPHERICAL:
            vem__gk_accum_diag(k, d, xt, rt, npad, nk, s1, s2);
            break;
        default:
            break;
        }
    }
}

static double gmm_estep(const void *self, const vem_data *data, size_t u0, size_t u1, double *ess,
                        double *scratch)
{
    const vem_gmm *g = self;
    const size_t k = g->k, n = u1 - u0, ld = data->x.ld;
    const double *x = data->x.data + u0 * ld;
    if (g->mode == MODE_POSTERIOR)
        return fast_pass(g, x, ld, n, ess, NULL, scratch);
    double *resp = scratch;      /* n x k */
    double *work = resp + n * k; /* 2 n d */
    init_resp(g, x, ld, u0, n, resp);
    vem__gmm_accumulate(g, x, ld, n, resp, ess, work);
    return 0.0;
}

static size_t gmm_ess_len(const void *self);

/*
 * The Monte-Carlo E-step (model.h, estep_mc; docs/mcem.md): each row's log w_c + log
 * N(x | c) by the fast kernels, then for each group the rows' draw counts of each
 * component divided by the group's draws (a one-hot row for one draw) as the
 * responsibilities of vem__gmm_accumulate. Draws: inverse CDF of one uniform per draw.
 * samples 0 (CEM): the most probable component (the first of ties), and the objective is
 * the classification log-likelihood sum_r max_c log(w_c N(x_r | c)).
 * scratch: gmm_scratch_len.
 */
static double gmm_estep_mc(const void *self, const vem_data *data, size_t u0, size_t u1,
                           double *ess, double *scratch, const vem_mc_draw *mc)
{
    const vem_gmm *g = self;
    const size_t k = g->k, n = u1 - u0, ld = data->x.ld, len = gmm_ess_len(g);
    const double *x = data->x.data + u0 * ld;
    double *prob = scratch;           /* n x k: log w + log N, then probabilities */
    double *resp = prob + n * k;      /* n x k: one group's responsibilities */
    double *work = resp + n * k;      /* the kernels' */
    fast_pass(g, x, ld, n, NULL, prob, work);
    double obj = 0.0;
    if (mc->samples == 0) {
        for (size_t r = 0; r < n; r++) {
            const double *lp = prob + r * k;
            size_t best = 0;
            for (size_t c = 1; c < k; c++)
                if (lp[c] > lp[best])
                    best = c;
            obj += lp[best];
            memset(resp + r * k, 0, k * sizeof *resp);
            resp[r * k + best] = 1.0;
        }
        vem__gmm_accumulate(g, x, ld, n, resp, ess, work);
        return obj;
    }
    for (size_t r = 0; r < n; r++)
        obj += row_normalise(prob + r * k, k);
    const size_t per = mc->samples / mc->groups;
    const double inv = 1.0 / (double)per;
    for (size_t q = 0; q < mc->groups; q++) {
        memset(resp, 0, n * k * sizeof *resp);
        for (size_t r = 0; r < n; r++) {
            const double *pr = prob + r * k;
            vem_rng rng;
            vem_mc_unit_rng(mc, u0 + r, q, &rng);
            for (size_t j = 0; j < per; j++) {
                double u = vem_rng_uniform(&rng), acc = 0.0;
                size_t c = 0;
                for (; c + 1 < k; c++) {
                    acc += pr[c];
                    if (u < acc)
                        break;
                }
                resp[r * k + c] += inv;
            }
        }
        vem__gmm_accumulate(g, x, ld, n, resp, ess + q * len, work);
    }
    return obj;
}

/* ------------------------------------------------ reference kernels (tests) */

size_t vem__gmm_reference_work_len(const vem_gmm *g, size_t n)
{
    /* Y (n x kd), log-probabilities (n x k), centred rows and a scaled copy. */
    return n * (g->k * g->d + g->k + 2 * g->d);
}

void vem__gmm_reference_logp(const vem_gmm *g, const double *x, size_t ld, size_t n,
                             double *logp, double *work)
{
    ref_block_logp(g, x, ld, n, logp, work);
}

double vem__gmm_reference_estep(const vem_gmm *g, const double *x, size_t ld, size_t n,
                                double *ess, double *work)
{
    const size_t k = g->k, d = g->d;
    double *y = work, *resp = y + n * k * d, *w = resp + n * k;
    double ll = 0.0;
    ref_block_logp(g, x, ld, n, resp, y);
    for (size_t r = 0; r < n; r++)
        ll += row_normalise(resp + r * k, k);
    ref_accumulate(g, x, ld, n, resp, ess, w);
    return ll;
}

/* ----------------------------------------------------------- M-step */

/*
 * Covariances of a structured model (g->cov != g->lay) into covs: the scatter
 * matrices W_k = S2_k - N_k d_k d_k^T about the new means (d_k = means - c), the
 * structure's M-step (src/models/gmm_struct.c), then reg_covar on every diagonal.
 */
static vem_status struct_covs(vem_gmm *g, const double *nk, const double *means,
                              const double *s2, double *covs)
{
    const size_t k = g->k, d = g->d;
    double *w = g->mscat, *cnt = g->mscat + (g->lay == VEM_COV_FULL ? k * d * d : k * d);
    for (size_t c = 0; c < k; c++) {
        const double *dl = means + c * d;
        double m = nk[c] + 10.0 * DBL_EPSILON;
        if (g->lay == VEM_COV_FULL) {
            const double *s = s2 + c * d * d; /* upper triangle */
            double *wc = w + c * d * d;
            for (size_t i = 0; i < d; i++)
                for (size_t j = i; j < d; j++) {
                    double v = s[i * d + j] - m * dl[i] * dl[j];
                    wc[i * d + j] = v;
                    wc[j * d + i] = v;
                }
        } else {
            for (size_t j = 0; j < d; j++)
                w[c * d + j] = s2[c * d + j] - m * dl[j] * dl[j];
        }
    }
    for (size_t c = 0; c < k; c++)
        cnt[c] = nk[c] + 10.0 * DBL_EPSILON;
    vem_status st = vem__gmm_struct_cov(g->cov, k, d, cnt, w, covs, &g->ms, g->mwork);
    if (st != VEM_OK)
        return st;
    if (g->lay == VEM_COV_FULL)
        for (size_t c = 0; c < k; c++)
            for (size_t j = 0; j < d; j++)
                covs[c * d * d + j * d + j] += g->reg_covar;
    else if (g->lay == VEM_COV_DIAG)
        for (size_t i = 0; i < k * d; i++)
            covs[i] += g->reg_covar;
    else if (g->lay == VEM_COV_SPHERICAL)
        for (size_t c = 0; c < k; c++)
            covs[c] += g->reg_covar;
    return VEM_OK;
}

/* reg_covar on every diagonal of covs (g's layout). */
static void add_reg(const vem_gmm *g, double *covs)
{
    const size_t k = g->k, d = g->d;
    if (g->lay == VEM_COV_FULL)
        for (size_t c = 0; c < k; c++)
            for (size_t j = 0; j < d; j++)
                covs[c * d * d + j * d + j] += g->reg_covar;
    else if (g->lay == VEM_COV_TIED)
        for (size_t j = 0; j < d; j++)
            covs[j * d + j] += g->reg_covar;
    else
        for (size_t i = 0; i < cov_len(g->lay, k, d); i++)
            covs[i] += g->reg_covar;
}

/*
 * The MAP M-step under g's prior (src/models/gmm_prior.c): centred means into means
 * (k x d) and covariances into covs, then reg_covar on every diagonal.
 */
static vem_status prior_covs(vem_gmm *g, const double *nk, const double *s1, const double *s2,
                             double *means, double *covs)
{
    const size_t k = g->k, d = g->d;
    double *cnt = g->pwork + vem__gmm_prior_work_len(k, d); /* k doubles past the work */
    for (size_t c = 0; c < k; c++)
        cnt[c] = nk[c] + 10.0 * DBL_EPSILON; /* as the ML M-step: no 0/0 when empty */
    vem_status st = vem__gmm_prior_mstep(g->prior, g->cov, k, d, cnt, s1, s2, g->center, means,
                                         covs, &g->ms, g->pwork, g->mwork);
    if (st == VEM_OK)
        add_reg(g, covs);
    return st;
}

static vem_status gmm_mstep(void *self, const double *ess)
{
    vem_gmm *g = self;
    const size_t k = g->k, d = g->d, cl = cov_len(g->lay, k, d);
    const double *nk = ess, *s1 = ess + k, *s2 = ess + k + k * d;
    double *covs = g->work; /* cl doubles; prepare() factors from here */
    double total = 0.0;
    for (size_t c = 0; c < k; c++)
        total += nk[c] + 10.0 * DBL_EPSILON;
    if (!(total > 0.0) || !isfinite(total))
        return VEM_FAIL(VEM_ENUMERIC, "M-step: total responsibility is %g", total);
    /* Means first (into a copy) so that a failing factorisation leaves g unchanged. */
    double *means = g->mu_u; /* reused: derive() rewrites it */
    for (size_t c = 0; c < k; c++) {
        double n = nk[c] + 10.0 * DBL_EPSILON; /* as scikit-learn: no 0/0 for an empty component */
        for (size_t j = 0; j < d; j++)
            means[c * d + j] = s1[c * d + j] / n;
    }
    if (g->prior) {
        vem_status st = prior_covs(g, nk, s1, s2, means, covs);
        if (st != VEM_OK) {
            derive(g); /* restore mu_u */
            return st;
        }
    } else if (g->cov != g->lay) {
        vem_status st = struct_covs(g, nk, means, s2, covs);
        if (st != VEM_OK) {
            derive(g); /* restore mu_u */
            return st;
        }
    } else switch (g->lay) {
    case VEM_COV_FULL:
        for (size_t c = 0; c < k; c++) {
            double n = nk[c] + 10.0 * DBL_EPSILON;
            const double *s = s2 + c * d * d, *dl = means + c * d;
            double *cv = covs + c * d * d;
            for (size_t i = 0; i < d; i++)
                for (size_t j = i; j < d; j++) {
                    double v = s[i * d + j] / n - dl[i] * dl[j];
                    cv[i * d + j] = v;
                    cv[j * d + i] = v;
                }
            for (size_t i = 0; i < d; i++)
                cv[i * d + i] += g->reg_covar;
        }
        break;
    case VEM_COV_TIED:
        for (size_t i = 0; i < d; i++)
            for (size_t j = i; j < d; j++) {
                double v = s2[i * d + j];
                for (size_t c = 0; c < k; c++)
                    v -= (nk[c] + 10.0 * DBL_EPSILON) * means[c * d + i] * means[c * d + j];
                v /= total;
                covs[i * d + j] = v;
                covs[j * d + i] = v;
            }
        for (size_t i = 0; i < d; i++)
            covs[i * d + i] += g->reg_covar;
        break;
    case VEM_COV_DIAG:
    case VEM_COV_SPHERICAL:
        for (size_t c = 0; c < k; c++) {
            double n = nk[c] + 10.0 * DBL_EPSILON, acc = 0.0;
            for (size_t j = 0; j < d; j++) {
                double dl = means[c * d + j];
                double v = s2[c * d + j] / n - dl * dl + g->reg_covar;
                if (g->lay == VEM_COV_DIAG)
                    covs[c * d + j] = v;
                acc += v;
            }
            if (g->lay == VEM_COV_SPHERICAL)
                covs[c] = acc / (double)d;
        }
        break;
    default:
        break;
    }
    double *prec = g->work + cl, *w = g->work + 2 * cl;
    vem_status st = factor(g, covs, prec, w, 1);
    if (st != VEM_OK) {
        derive(g); /* restore mu_u */
        return st;
    }
    for (size_t c = 0; c < k; c++) {
        g->weights[c] = g->equal_weights ? 1.0 / (double)k : (nk[c] + 10.0 * DBL_EPSILON) / total;
        for (size_t j = 0; j < d; j++)
            g->means[c * d + j] = g->center[j] + means[c * d + j];
    }
    memcpy(g->covs, covs, cl * sizeof *covs);
    memcpy(g->prec_chol, prec, cl * sizeof *prec);
    derive(g);
    return VEM_OK;
}

/* ------------------------------------------------------ engine glue */

static size_t gmm_ess_len(const void *self)
{
    const vem_gmm *g = self;
    return g->k + g->k * g->d + s2_len(g);
}

size_t vem__gmm_ess_len(const vem_gmm *g)
{
    return gmm_ess_len(g);
}

vem_status vem__gmm_mstep(vem_gmm *g, const double *ess)
{
    return gmm_mstep(g, ess);
}

const double *vem__gmm_center(const vem_gmm *g)
{
    return g->center;
}

void vem__gmm_set_center(vem_gmm *g, const double *center)
{
    memcpy(g->center, center, g->d * sizeof *center);
}

static size_t gmm_scratch_len(const void *self, size_t block)
{
    /* The exact E-step's, or the Monte-Carlo E-step's (gmm_estep_mc). */
    const vem_gmm *g = self;
    return vem__max(vem__gmm_scratch_len(g, block),
                    2 * block * g->k + vem__max(fast_len(g), 2 * block * g->d));
}

static size_t gmm_n_units(const void *self, const vem_data *x)
{
    (void)self;
    return x->x.rows;
}

static double gmm_n_obs(const void *self, const vem_data *x)
{
    (void)self;
    return (double)x->x.rows;
}

static size_t gmm_params_len(const void *self)
{
    const vem_gmm *g = self;
    return g->k + g->k * g->d + cov_len(g->lay, g->k, g->d);
}

static void gmm_params_get(const void *self, double *out)
{
    const vem_gmm *g = self;
    memcpy(out, g->weights, g->k * sizeof *out);
    memcpy(out + g->k, g->means, g->k * g->d * sizeof *out);
    memcpy(out + g->k + g->k * g->d, g->covs, cov_len(g->lay, g->k, g->d) * sizeof *out);
}

static vem_status gmm_params_set(void *self, const double *in)
{
    vem_gmm *g = self;
    return vem_gmm_set_params(g, in, in + g->k, in + g->k + g->k * g->d);
}

/* Everything an E-step and the next M-step read, copied as it is (an HMM's Gaussians in
 * a checkpoint): weights, means, covariances, precision Cholesky factors, then the state
 * below; the rest is derived. */
static size_t gmm_state_len(const void *self);
static void gmm_state_get(const void *self, double *out);
static vem_status gmm_state_set(void *self, const double *in);

size_t vem__gmm_exact_len(const vem_gmm *g)
{
    const size_t cl = cov_len(g->lay, g->k, g->d);
    return g->k + g->k * g->d + 2 * cl + gmm_state_len(g);
}

void vem__gmm_exact_get(const vem_gmm *g, double *out)
{
    const size_t k = g->k, d = g->d, cl = cov_len(g->lay, k, d);
    memcpy(out, g->weights, k * sizeof *out);
    memcpy(out + k, g->means, k * d * sizeof *out);
    memcpy(out + k + k * d, g->covs, cl * sizeof *out);
    memcpy(out + k + k * d + cl, g->prec_chol, cl * sizeof *out);
    gmm_state_get(g, out + k + k * d + 2 * cl);
}

void vem__gmm_exact_set(vem_gmm *g, const double *in)
{
    const size_t k = g->k, d = g->d, cl = cov_len(g->lay, k, d);
    memcpy(g->weights, in, k * sizeof *in);
    memcpy(g->means, in + k, k * d * sizeof *in);
    memcpy(g->covs, in + k + k * d, cl * sizeof *in);
    memcpy(g->prec_chol, in + k + k * d + cl, cl * sizeof *in);
    gmm_state_set(g, in + k + k * d + 2 * cl);
    derive(g);
}

/* Checkpoint state (vem_model_ops.state_*): the centre, then the structured M-step's warm
 * start (whether it holds one, the shapes and the orientation, where allocated). */
static size_t gmm_state_len(const void *self)
{
    const vem_gmm *g = self;
    return g->d + 1 + (g->ms.shape ? g->k * g->d : 0) + (g->ms.orient ? g->d * g->d : 0);
}

static void gmm_state_get(const void *self, double *out)
{
    const vem_gmm *g = self;
    const size_t k = g->k, d = g->d;
    memcpy(out, g->center, d * sizeof *out);
    out[d] = g->ms.ok;
    out += d + 1;
    if (g->ms.shape) {
        memcpy(out, g->ms.shape, k * d * sizeof *out);
        out += k * d;
    }
    if (g->ms.orient)
        memcpy(out, g->ms.orient, d * d * sizeof *out);
}

static vem_status gmm_state_set(void *self, const double *in)
{
    vem_gmm *g = self;
    const size_t k = g->k, d = g->d;
    memcpy(g->center, in, d * sizeof *in);
    g->ms.ok = in[d] != 0.0;
    in += d + 1;
    if (g->ms.shape) {
        memcpy(g->ms.shape, in, k * d * sizeof *in);
        in += k * d;
    }
    if (g->ms.orient)
        memcpy(g->ms.orient, in, d * d * sizeof *in);
    return VEM_OK;
}

/*
 * E_q[log p(X, Z | theta)] through the ESS: sum_k N_k log_norm_k - 1/2 tr(P_k M_k)
 * with M_k = sum_n r_nk (x_n - mu_k)(x_n - mu_k)^T
 *          = S2_k - S1_k e_k^T - e_k S1_k^T + N_k e_k e_k^T,  e_k = mu_k - c,
 * and P_k = U_k U_k^T (Bishop PRML eq. 9.40). Incremental EM's free energy.
 */
static double gmm_ess_objective(const void *self, const double *ess)
{
    const vem_gmm *g = self;
    const size_t k = g->k, d = g->d;
    const double *nk = ess, *s1 = ess + k, *s2 = ess + k + k * d;
    double q = 0.0, tied_tr = 0.0;
    for (size_t c = 0; c < k; c++) {
        const double *mu = g->means + c * d, *a = s1 + c * d;
        q += nk[c] * g->log_norm[c];
        double tr = 0.0;
        switch (g->lay) {
        case VEM_COV_DIAG:
        case VEM_COV_SPHERICAL:
            for (size_t j = 0; j < d; j++) {
                double e = mu[j] - g->center[j];
                double m = s2[c * d + j] - 2.0 * a[j] * e + nk[c] * e * e;
                double p = g->lay == VEM_COV_DIAG ? g->prec_chol[c * d + j] : g->prec_chol[c];
                tr += m * p * p;
            }
            break;
        case VEM_COV_FULL:
        case VEM_COV_TIED: {
            const double *u = g->prec_chol + (g->lay == VEM_COV_FULL ? c * d * d : 0);
            const double *b = g->lay == VEM_COV_FULL ? s2 + c * d * d : NULL;
            for (size_t i = 0; i < d; i++) {
                double ei = mu[i] - g->center[i];
                for (size_t j = 0; j < d; j++) {
                    double ej = mu[j] - g->center[j];
                    double pij = 0.0; /* (U U^T)_ij; U is upper triangular */
                    for (size_t l = i > j ? i : j; l < d; l++)
                        pij += u[i * d + l] * u[j * d + l];
                    double m = -a[i] * ej - ei * a[j] + nk[c] * ei * ej;
                    if (b)
                        m += i <= j ? b[i * d + j] : b[j * d + i];
                    tr += pij * m;
                }
            }
            break;
        default:
            break;
        }
        }
        if (g->lay == VEM_COV_TIED)
            tied_tr += tr;
        else
            q -= 0.5 * tr;
    }
    if (g->lay == VEM_COV_TIED) {
        const double *u = g->prec_chol;
        double tr = 0.0;
        for (size_t i = 0; i < d; i++)
            for (size_t j = 0; j < d; j++) {
                double pij = 0.0;
                for (size_t l = i > j ? i : j; l < d; l++)
                    pij += u[i * d + l] * u[j * d + l];
                tr += pij * (i <= j ? s2[i * d + j] : s2[j * d + i]);
            }
        q -= 0.5 * (tr + tied_tr);
    }
    return q;
}

static vem_status gmm_init(void *self, vem_fit *f, vem_rng *rng);

/* The log prior when g has one (a MAP fit's objective is log L + log p); else 0. */
static double gmm_objective_extra(const void *self)
{
    return vem_gmm_log_prior(self);
}

/* ------------------------------------------- gradient (model.h, ess_gradient) */

/*
 * The unconstrained coordinates u (docs/acceleration.md), whitened about the reference
 * parameters fixed by uparams_get (means mu0, precision Cholesky factors U0, P = U U^T
 * upper triangular as vem_gmm_precisions_cholesky): k log-weights (the weights their
 * softmax); the means as m with mu = mu0 + U0^-T m (full and tied storage; mu0 + m / U0
 * for diag and spherical); then the covariances. The four layouts: the factors as
 * U = U0 V, V upper triangular with log diagonal (full: k of them, row by row, i <= j;
 * tied: one; diag: k x d log V_jj; spherical: k log V). mclust's ten structured
 * covariances (cov != lay): Sigma_k = lambda_k D_k A_k D_k^T + reg_covar I (Celeux &
 * Govaert 1995) as log volumes, shapes in contrasts with det 1 and orientations
 * D = D0 Cayley(W) about the reference (src/models/gmm_grad.c), each shared or not as
 * the model's name says. At the reference u is (log w, 0, ..., 0), and every coordinate
 * is on the scale of the data's own spread, which L-BFGS needs (the raw coordinates of
 * the penguins' grams and millimetres differ by 10^6). Not offered with a prior
 * (ugrad_len 0).
 */
static size_t ucov_len(const vem_gmm *g)
{
    const size_t k = g->k, d = g->d, tri = d * (d + 1) / 2;
    if (g->cov != g->lay)
        return vem__gmm_sgrad_len(g->cov, k, d);
    return g->lay == VEM_COV_FULL ? k * tri : g->lay == VEM_COV_TIED ? tri
                                          : g->lay == VEM_COV_DIAG   ? k * d
                                                                     : k;
}

static size_t gmm_ugrad_len(const void *self)
{
    const vem_gmm *g = self;
    return g->prior ? 0 : g->k + g->k * g->d + ucov_len(g);
}

/* A structured covariance's map (reference and current point) in uref. */
static double *sgrad_ref(const vem_gmm *g)
{
    return g->uref + g->k * g->d + cov_len(g->lay, g->k, g->d);
}

static vem_status gmm_uparams_get(void *self, double *u)
{
    vem_gmm *g = self;
    const size_t k = g->k, d = g->d, pl = cov_len(g->lay, k, d);
    const int structured = g->cov != g->lay;
    const size_t rl = structured ? vem__gmm_sgrad_ref_len(g->cov, k, d) : 0;
    if (!g->uref && !(g->uref = vem__alloc_doubles(k * d + pl + rl + 1, 1)))
        return VEM_FAIL(VEM_ENOMEM, "GMM gradient: %zu doubles", k * d + pl + rl);
    if (structured) {
        /* reg_covar comes off the diagonals (the M-step added it), so that EM's
         * covariances are points of the map; where it would leave a covariance not
         * positive definite (parameters set by hand), nothing does. */
        const size_t wl = vem__gmm_sgrad_work_len(k, d);
        double *w = vem__alloc_doubles(wl, 1);
        if (!w)
            return VEM_FAIL(VEM_ENOMEM, "GMM gradient: %zu doubles", wl);
        const double r[2] = {g->reg_covar, 0.0};
        vem_status st = VEM_ENUMERIC;
        for (int i = 0; i < 2 && st == VEM_ENUMERIC; i++)
            st = vem__gmm_sgrad_ref(g->cov, k, d, g->weights, g->covs, r[i], sgrad_ref(g), w);
        vem__free(w);
        if (st != VEM_OK)
            return st;
    }
    memcpy(g->uref, g->means, k * d * sizeof *u);
    memcpy(g->uref + k * d, g->prec_chol, pl * sizeof *u);
    for (size_t c = 0; c < k; c++)
        *u++ = log(g->weights[c]);
    memset(u, 0, (k * d + ucov_len(g)) * sizeof *u);
    return VEM_OK;
}

/* U (d x d, upper) = U0 V for V from u (row by row, log diagonal); advances *uc. */
static void full_factor(size_t d, const double *u0, const double **uc, double *v, double *uf)
{
    memset(v, 0, d * d * sizeof *v);
    for (size_t i = 0; i < d; i++)
        for (size_t j = i; j < d; j++, (*uc)++)
            v[i * d + j] = i == j ? exp(**uc) : **uc;
    for (size_t i = 0; i < d; i++)
        for (size_t j = i; j < d; j++) {
            double t = 0.0;
            for (size_t l = i; l <= j; l++)
                t += u0[i * d + l] * v[l * d + j];
            uf[i * d + j] = t;
        }
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < i; j++)
            uf[i * d + j] = 0.0;
}

static vem_status gmm_uparams_set(void *self, const double *u)
{
    vem_gmm *g = self;
    const size_t k = g->k, d = g->d, cl = cov_len(g->lay, k, d);
    const size_t nf = g->lay == VEM_COV_FULL ? k : 1;
    const int structured = g->cov != g->lay;
    if (!g->uref)
        return VEM_FAIL(VEM_EINVAL, "GMM gradient: uparams_set before uparams_get");
    const size_t wl = k + k * d + cl + (structured ? vem__gmm_sgrad_work_len(k, d) : 3 * d * d);
    double *w = vem__alloc_doubles(wl, 1);
    if (!w)
        return VEM_FAIL(VEM_ENOMEM, "GMM parameters: %zu doubles", wl);
    double *mu = w + k, *covs = mu + k * d, *uf = covs + cl, *inv = uf + d * d, *v = inv + d * d;
    const double *mu0 = g->uref, *u0 = g->uref + k * d;
    double top = u[0], sum = 0.0;
    for (size_t c = 1; c < k; c++)
        top = fmax(top, u[c]);
    for (size_t c = 0; c < k; c++)
        sum += (w[c] = exp(u[c] - top));
    for (size_t c = 0; c < k; c++)
        w[c] /= sum;
    const double *m = u + k, *uc = u + k + k * d;
    if (g->lay == VEM_COV_FULL || g->lay == VEM_COV_TIED) {
        for (size_t c = 0; c < k; c++) {
            /* mu = mu0 + U0^-T m: solve U0^T t = m (U0^T lower), forward. */
            const double *f0 = u0 + (g->lay == VEM_COV_FULL ? c * d * d : 0);
            for (size_t i = 0; i < d; i++) {
                double t = m[c * d + i];
                for (size_t l = 0; l < i; l++)
                    t -= f0[l * d + i] * (mu[c * d + l] - mu0[c * d + l]);
                mu[c * d + i] = mu0[c * d + i] + t / f0[i * d + i];
            }
        }
    } else {
        const int sph = g->lay == VEM_COV_SPHERICAL;
        for (size_t c = 0; c < k; c++)
            for (size_t j = 0; j < d; j++)
                mu[c * d + j] = mu0[c * d + j] + m[c * d + j] / u0[sph ? c : c * d + j];
    }
    if (structured) {
        vem__gmm_sgrad_covs(g->cov, k, d, sgrad_ref(g), uc, covs, uf);
    } else if (g->lay == VEM_COV_FULL || g->lay == VEM_COV_TIED) {
        for (size_t f = 0; f < nf; f++) {
            /* U = U0 V, W = U^-1 (upper, back substitution), covariance W^T W. */
            full_factor(d, u0 + f * d * d, &uc, v, uf);
            memset(inv, 0, d * d * sizeof *inv);
            for (size_t j = 0; j < d; j++) {
                inv[j * d + j] = 1.0 / uf[j * d + j];
                for (size_t i = j; i-- > 0;) {
                    double t = 0.0;
                    for (size_t l = i + 1; l <= j; l++)
                        t += uf[i * d + l] * inv[l * d + j];
                    inv[i * d + j] = -t / uf[i * d + i];
                }
            }
            double *cv = covs + f * d * d;
            for (size_t i = 0; i < d; i++)
                for (size_t j = 0; j < d; j++) {
                    double t = 0.0;
                    for (size_t l = 0; l <= (i < j ? i : j); l++)
                        t += inv[l * d + i] * inv[l * d + j];
                    cv[i * d + j] = t;
                }
        }
    } else {
        for (size_t i = 0; i < cl; i++) {
            const double uu = u0[i] * exp(uc[i]);
            covs[i] = 1.0 / (uu * uu);
        }
    }
    vem_status st = vem_gmm_set_params(g, w, mu, covs);
    if (st == VEM_OK && structured) /* the point the gradient is taken at */
        memcpy(vem__gmm_sgrad_current(sgrad_ref(g)), uc, ucov_len(g) * sizeof *uc);
    vem__free(w);
    return st;
}

/*
 * The gradient in V (upper triangular, log diagonal) of n log det(U0 V) - tr(V^T U0^T S U0 V)
 * / 2, i.e. with the whitened scatter S~ = U0^T S U0: -(S~ V)_ij above the diagonal and
 * n - V_ii (S~ V)_ii on it, written row by row (i <= j) from gu on; returns the entry
 * after. s: the scatter (d x d); sv, sw: d x d of work.
 */
static double *factor_grad(size_t d, const double *s, const double *f0, const double *v, double n,
                           double *sv, double *sw, double *gu)
{
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++) {
            double t = 0.0;
            for (size_t l = 0; l < d; l++)
                t += s[i * d + l] * f0[l * d + j];
            sv[i * d + j] = t;
        }
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++) {
            double t = 0.0;
            for (size_t l = 0; l < d; l++)
                t += f0[l * d + i] * sv[l * d + j];
            sw[i * d + j] = t;
        }
    for (size_t i = 0; i < d; i++)
        for (size_t j = i; j < d; j++) {
            double t = 0.0;
            for (size_t l = 0; l < d; l++)
                t += sw[i * d + l] * v[l * d + j];
            *gu++ = i == j ? n - v[i * d + i] * t : -t;
        }
    return gu;
}

static void gmm_ess_gradient(const void *self, const double *ess, double *grad)
{
    const vem_gmm *g = self;
    const size_t k = g->k, d = g->d;
    const double *nk = ess, *s1 = ess + k, *s2 = ess + k + k * d;
    const double *u0all = g->uref + k * d;
    double n = 0.0;
    for (size_t c = 0; c < k; c++)
        n += nk[c];
    for (size_t c = 0; c < k; c++)
        grad[c] = g->equal_weights ? 0.0 : nk[c] - n * g->weights[c]; /* equalPro: held */
    double *gm = grad + k, *gu = grad + k + k * d;
    /* A structured covariance's gradient takes the components' scatter matrices (full
     * storage) or their diagonals (diag, spherical) at once, after the loop. */
    const int structured = g->cov != g->lay;
    const size_t scl = structured ? (g->lay == VEM_COV_FULL ? k * d * d : k * d) : 0;
    const size_t sl = structured ? scl + vem__gmm_sgrad_work_len(k, d) : 0;
    double *a = vem__alloc_doubles(3 * d + 4 * d * d + sl, 1);
    if (!a) { /* no room for d x d: NaN, which the optimiser reports */
        for (size_t i = 0; i < k * d + ucov_len(g); i++)
            gm[i] = NAN;
        return;
    }
    double *b = a + d, *q = b + d, *sc = q + d, *sw = sc + d * d, *v = sw + d * d, *sv = v + d * d;
    double *scat = sv + d * d, *swork = scat + scl;
    const int chol = g->lay == VEM_COV_FULL || g->lay == VEM_COV_TIED;
    if (chol)
        memset(sc, 0, d * d * sizeof *sc);
    for (size_t c = 0; c < k; c++) {
        /* a = mu_k - centre; b = sum_n r (x - mu_k) = s1_k - N_k a: the gradient in mu is
         * P b. */
        for (size_t j = 0; j < d; j++) {
            a[j] = g->means[c * d + j] - g->center[j];
            b[j] = s1[c * d + j] - nk[c] * a[j];
        }
        if (chol) {
            const double *s2c = g->lay == VEM_COV_FULL ? s2 + c * d * d : NULL;
            if (g->lay == VEM_COV_FULL)
                memset(sc, 0, d * d * sizeof *sc);
            /* The scatter about mu_k (s2 holds the upper triangle, i <= j). */
            for (size_t i = 0; i < d; i++)
                for (size_t j = 0; j < d; j++)
                    sc[i * d + j] += (s2c ? s2c[i <= j ? i * d + j : j * d + i] : 0.0) -
                                     s1[c * d + i] * a[j] - a[i] * s1[c * d + j] +
                                     nk[c] * a[i] * a[j];
            const size_t off = g->lay == VEM_COV_FULL ? c * d * d : 0;
            const double *uf = g->prec_chol + off, *f0 = u0all + off;
            /* d/dm = U0^-1 P b = U0^-1 U U^T b, U = U0 V: = V (U^T b). */
            for (size_t l = 0; l < d; l++) {
                double t = 0.0;
                for (size_t mm = 0; mm <= l; mm++)
                    t += uf[mm * d + l] * b[mm];
                q[l] = t;
            }
            /* V = U0^-1 U (upper): back substitution, column by column. */
            for (size_t j = 0; j < d; j++)
                for (size_t i = d; i-- > 0;) {
                    double t = i <= j ? uf[i * d + j] : 0.0;
                    for (size_t l = i + 1; l < d; l++)
                        t -= f0[i * d + l] * v[l * d + j];
                    v[i * d + j] = t / f0[i * d + i];
                }
            for (size_t i = 0; i < d; i++) {
                double t = 0.0;
                for (size_t l = i; l < d; l++)
                    t += v[i * d + l] * q[l];
                gm[c * d + i] = t;
            }
            if (structured)
                memcpy(scat + c * d * d, sc, d * d * sizeof *sc);
            else if (g->lay == VEM_COV_FULL)
                gu = factor_grad(d, sc, f0, v, nk[c], sv, sw, gu);
        } else {
            const int sph = g->lay == VEM_COV_SPHERICAL;
            double tr = 0.0;
            for (size_t j = 0; j < d; j++) {
                const double sjj =
                    s2[c * d + j] - 2.0 * s1[c * d + j] * a[j] + nk[c] * a[j] * a[j];
                const double uj = g->prec_chol[sph ? c : c * d + j];
                const double u0j = u0all[sph ? c : c * d + j];
                gm[c * d + j] = uj * uj * b[j] / u0j;
                if (structured)
                    scat[c * d + j] = sjj;
                else if (sph)
                    tr += sjj;
                else
                    gu[c * d + j] = nk[c] - uj * uj * sjj;
            }
            if (sph && !structured) {
                const double uc = g->prec_chol[c];
                gu[c] = (double)d * nk[c] - uc * uc * tr;
            }
        }
    }
    if (g->lay == VEM_COV_TIED) {
        /* The tied scatter: s2 is sum_n (x - c)(x - c)^T over all rows (sum_k r = 1). */
        for (size_t i = 0; i < d; i++)
            for (size_t j = 0; j < d; j++)
                sc[i * d + j] += s2[i <= j ? i * d + j : j * d + i];
        gu = factor_grad(d, sc, u0all, v, n, sv, sw, gu);
    }
    if (structured)
        vem__gmm_sgrad_grad(g->cov, k, d, sgrad_ref(g), nk, scat, gu, swork);
    vem__free(a);
}

static const vem_model_ops gmm_ops = {
    .name = "gmm",
    .ess_len = gmm_ess_len,
    .scratch_len = gmm_scratch_len,
    .n_units = gmm_n_units,
    .n_obs = gmm_n_obs,
    .estep = gmm_estep,
    .estep_mc = gmm_estep_mc,
    .mstep = gmm_mstep,
    .objective_extra = gmm_objective_extra,
    .init = gmm_init,
    .params_len = gmm_params_len,
    .params_get = gmm_params_get,
    .params_set = gmm_params_set,
    .state_len = gmm_state_len,
    .state_get = gmm_state_get,
    .state_set = gmm_state_set,
    .ess_objective = gmm_ess_objective,
    .ugrad_len = gmm_ugrad_len,
    .uparams_get = gmm_uparams_get,
    .uparams_set = gmm_uparams_set,
    .ess_gradient = gmm_ess_gradient,
};

vem_model vem_gmm_model(vem_gmm *g)
{
    vem_model m = {.ops = &gmm_ops, .self = g};
    return m;
}

/* One pass with the current responsibility mode, then the M-step. */
static vem_status init_pass(vem_gmm *g, vem_fit *f, double *ess)
{
    vem_model m = vem_gmm_model(g);
    double obj;
    vem_status st = vem_fit_pass(f, &m, ess, &obj);
    g->mode = MODE_POSTERIOR;
    g->mode_centers = NULL;
    if (st != VEM_OK)
        return st;
    return gmm_mstep(g, ess);
}

void vem__gmm_set_hc_cache(vem_gmm *g, vem__hc_cache *cache)
{
    g->hc_cache = cache;
}

/*
 * VEM_INIT_HC: the partition of the hc rows of the initialisation sample x into k
 * classes (the tree from g's cache when it is that of x, else built and, with a
 * cache, kept there), then one M-step from it (one-hot responsibilities).
 */
static vem_status init_hc(vem_gmm *g, const vem_matrix *x, double *ess)
{
    const size_t k = g->k, d = g->d, n = x->rows;
    size_t m;
    vem__hc_rows(n, &m, NULL);
    if (k > m)
        return VEM_FAIL(VEM_EINVAL,
                        "hierarchical start: k=%zu is more than the %zu rows it clusters", k, m);
    size_t *rows = m < n ? vem__calloc(m, sizeof *rows) : NULL;
    double *buf = m < n ? vem__alloc_doubles(m, d) : NULL;
    size_t *labels = vem__calloc(2 * m, sizeof *labels);
    double *z = vem__alloc_doubles(m, k);
    double *work = vem__alloc_doubles(2 * m, d);
    vem__hc_cache local = {0, NULL};
    vem__hc_cache *c = g->hc_cache ? g->hc_cache : &local;
    vem_status st = VEM_OK;
    if ((m < n && (!rows || !buf)) || !labels || !z || !work) {
        st = VEM_FAIL(VEM_ENOMEM, "hierarchical start of %zu rows", m);
        goto done;
    }
    const double *base = x->data;
    size_t ld = x->ld;
    if (rows) {
        vem__hc_rows(n, &m, rows);
        for (size_t i = 0; i < m; i++)
            memcpy(buf + i * d, x->data + rows[i] * x->ld, d * sizeof *buf);
        base = buf;
        ld = d;
    }
    if (d == 1) {
        st = vem__hc_partitions(base, m, 1, ld, &g->k, 1, labels);
    } else if (c->n != n) {
        vem__free(c->pairs);
        c->pairs = NULL;
        c->n = 0;
        if (m > 1) {
            c->pairs = vem__calloc(2 * (m - 1), sizeof *c->pairs);
            st = c->pairs ? vem__hc_tree(base, m, d, ld, c->pairs)
                          : VEM_FAIL(VEM_ENOMEM, "hierarchical start of %zu rows", m);
        }
        if (st == VEM_OK)
            c->n = n;
    }
    if (st != VEM_OK)
        goto done;
    if (d > 1)
        vem__hc_cut(c->pairs, m, k, labels, labels + m);
    for (size_t i = 0; i < m; i++)
        z[i * k + labels[i]] = 1.0;
    memset(ess, 0, gmm_ess_len(g) * sizeof *ess);
    int token = vem__blas_threads_one();
    vem__gmm_accumulate(g, base, ld, m, z, ess, work);
    vem__blas_threads_restore(token);
    st = gmm_mstep(g, ess);
done:
    if (c == &local)
        vem__free(local.pairs);
    vem__free(rows);
    vem__free(buf);
    vem__free(labels);
    vem__free(z);
    vem__free(work);
    return st;
}

static vem_status gmm_init(void *self, vem_fit *f, vem_rng *rng)
{
    vem_gmm *g = self;
    const size_t k = g->k, d = g->d;
    const vem_matrix *x = &vem_fit_data(f)->x;
    g->ms.ok = 0; /* every restart's inner iterations start afresh, as mclust's me() */
    if (x->cols != d)
        return VEM_FAIL(VEM_EINVAL, "data has %zu columns, the model has d=%zu", x->cols, d);
    if (x->rows < k)
        return VEM_FAIL(VEM_EINVAL, "%zu rows, fewer than k=%zu components", x->rows, k);
    double *ess = vem__alloc_doubles(gmm_ess_len(g), 1);
    double *centers = vem__alloc_doubles(k, d);
    size_t *idx = vem__calloc(k, sizeof *idx);
    double *var = vem__alloc_doubles(d, 1);
    vem_status st = VEM_OK;
    if (!ess || !centers || !idx || !var) {
        st = VEM_FAIL(VEM_ENOMEM, "GMM initialisation");
        goto done;
    }
    st = vem__column_moments(f, g->center, var);
    if (st != VEM_OK)
        goto done;
    vem_gmm_init how = g->init;
    if (how == VEM_INIT_AUTO)
        how = x->rows <= VEM_GMM_HC_MAX_ROWS && g->d <= VEM_GMM_HC_MAX_COLS ? VEM_INIT_HC
                                                                           : VEM_INIT_KMEANS;
    /* The tree is deterministic: restarts after the first start from k-means. */
    if (how == VEM_INIT_HC && g->n_inits++ > 0)
        how = VEM_INIT_KMEANS;
    switch (how) {
    case VEM_INIT_AUTO:
    case VEM_INIT_HC:
        st = init_hc(g, x, ess);
        break;
    case VEM_INIT_KMEANS:
        st = vem__kmeanspp(f, k, rng, centers, idx);
        if (st == VEM_OK)
            st = vem__kmeans_lloyd(f, k, centers, g->km_max_iter, g->km_tol, NULL);
        if (st != VEM_OK)
            goto done;
        g->mode = MODE_NEAREST;
        g->mode_centers = centers;
        st = init_pass(g, f, ess);
        break;
    case VEM_INIT_KMEANSPP:
        /* As scikit-learn: responsibility 1 for each seed row and 0 elsewhere. */
        st = vem__kmeanspp(f, k, rng, centers, idx);
        if (st != VEM_OK)
            goto done;
        for (size_t c = 0; c < k; c++) {
            const double *row = x->data + idx[c] * x->ld;
            double *s1 = ess + k + c * d;
            ess[c] = 1.0;
            for (size_t j = 0; j < d; j++)
                s1[j] = row[j] - g->center[j];
            double *s2 = ess + k + k * d;
            if (g->lay == VEM_COV_FULL) {
                for (size_t i = 0; i < d; i++)
                    for (size_t j = 0; j < d; j++)
                        s2[c * d * d + i * d + j] = s1[i] * s1[j];
            } else if (g->lay == VEM_COV_TIED) {
                for (size_t i = 0; i < d; i++)
                    for (size_t j = 0; j < d; j++)
                        s2[i * d + j] += s1[i] * s1[j];
            } else {
                for (size_t j = 0; j < d; j++)
                    s2[c * d + j] = s1[j] * s1[j];
            }
        }
        st = gmm_mstep(g, ess);
        break;
    case VEM_INIT_RANDOM:
        g->mode = MODE_RANDOM;
        g->mode_seed = vem_rng_next(rng);
        st = init_pass(g, f, ess);
        break;
    case VEM_INIT_RESP: {
        if (x->rows != g->init_n) {
            st = VEM_FAIL(VEM_EINVAL,
                          "initial responsibilities were given for %zu rows; the initialisation "
                          "sees %zu (data in memory with at most init_sample rows are needed)",
                          g->init_n, x->rows);
            goto done;
        }
        double *work = vem__alloc_doubles(2 * x->rows, d);
        if (!work) {
            st = VEM_FAIL(VEM_ENOMEM, "GMM initialisation");
            goto done;
        }
        memset(ess, 0, gmm_ess_len(g) * sizeof *ess);
        int token = vem__blas_threads_one();
        vem__gmm_accumulate(g, x->data, x->ld, x->rows, g->init_resp, ess, work);
        vem__blas_threads_restore(token);
        vem__free(work);
        st = gmm_mstep(g, ess);
        break;
    }
    case VEM_INIT_MEANS:
        g->mode = MODE_NEAREST;
        g->mode_centers = g->init_means;
        st = init_pass(g, f, ess);
        if (st == VEM_OK) {
            memcpy(g->means, g->init_means, k * d * sizeof *g->means);
            derive(g);
        }
        break;
    }
done:
    g->mode = MODE_POSTERIOR;
    g->mode_centers = NULL;
    vem__free(ess);
    vem__free(centers);
    vem__free(idx);
    vem__free(var);
    return st;
}

/* ------------------------------------------------------------ public fit */

static vem_status check_x(const vem_gmm *g, const vem_matrix *x)
{
    if (!x || (!x->data && x->rows > 0))
        return VEM_FAIL(VEM_EINVAL, "no data");
    if (x->cols != g->d)
        return VEM_FAIL(VEM_EINVAL, "data has %zu columns, the model has d=%zu", x->cols, g->d);
    if (x->ld < x->cols)
        return VEM_FAIL(VEM_EINVAL, "row stride %zu < %zu columns", x->ld, x->cols);
    return VEM_OK;
}

void vem_gmm_fit_opts_init(vem_fit_opts *o)
{
    vem_fit_opts_init(o);
    o->tol_rule = VEM_TOL_TOTAL;
    o->tol = 1e-8;
    o->max_iter = 10000;
}

vem_status vem_gmm_fit(vem_gmm *g, const vem_matrix *x, const vem_fit_opts *o, vem_rng *rng,
                       vem_fit_result *res)
{
    vem_fit_opts defaults;
    if (!o) {
        vem_gmm_fit_opts_init(&defaults);
        o = &defaults;
    }
    vem_status st = check_x(g, x);
    if (st != VEM_OK)
        return st;
    /* In a distributed fit (a communicator) this process's rows are a share: the
     * caller checks the total. */
    if (x->rows < g->k && !(o && o->comm))
        return VEM_FAIL(VEM_EINVAL, "%zu rows, fewer than k=%zu components", x->rows, g->k);
    vem_model m = vem_gmm_model(g);
    g->n_inits = 0;
    size_t plen = gmm_params_len(g);
    double *saved = vem__alloc_doubles(plen, 1);
    double *center = vem__alloc_doubles(g->d, 1);
    if (!saved || !center) {
        vem__free(saved);
        vem__free(center);
        return VEM_FAIL(VEM_ENOMEM, "vem_gmm_fit");
    }
    gmm_params_get(g, saved);
    memcpy(center, g->center, g->d * sizeof *center);
    vem_data data = vem_data_rows(*x);
    st = vem_fit_run(&m, &data, o, rng, res);
    if (st != VEM_OK && st != VEM_EMAXITER) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", vem_errmsg());
        gmm_params_set(g, saved);
        memcpy(g->center, center, g->d * sizeof *center);
        VEM_FAIL(st, "%s", msg);
    }
    vem__free(saved);
    vem__free(center);
    return st;
}

vem_status vem_gmm_fit_source(vem_gmm *g, vem_source *src, const vem_fit_opts *o,
                              vem_rng *rng, vem_fit_result *res)
{
    vem_fit_opts defaults;
    if (!o) {
        vem_gmm_fit_opts_init(&defaults);
        o = &defaults;
    }
    if (!src)
        return VEM_FAIL(VEM_EINVAL, "no data source");
    if (vem_source_cols(src) != g->d)
        return VEM_FAIL(VEM_EINVAL, "data has %zu columns, the model has d=%zu",
                        vem_source_cols(src), g->d);
    if (vem_source_rows(src) < g->k && !(o && o->comm))
        return VEM_FAIL(VEM_EINVAL, "%zu rows, fewer than k=%zu components", vem_source_rows(src),
                        g->k);
    vem_model m = vem_gmm_model(g);
    g->n_inits = 0;
    size_t plen = gmm_params_len(g);
    double *saved = vem__alloc_doubles(plen, 1);
    double *center = vem__alloc_doubles(g->d, 1);
    if (!saved || !center) {
        vem__free(saved);
        vem__free(center);
        return VEM_FAIL(VEM_ENOMEM, "vem_gmm_fit_source");
    }
    gmm_params_get(g, saved);
    memcpy(center, g->center, g->d * sizeof *center);
    vem_status st = vem_fit_run_source(&m, src, o, rng, res);
    if (st != VEM_OK && st != VEM_EMAXITER) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", vem_errmsg());
        gmm_params_set(g, saved);
        memcpy(g->center, center, g->d * sizeof *center);
        VEM_FAIL(st, "%s", msg);
    }
    vem__free(saved);
    vem__free(center);
    return st;
}

/* --------------------------------------------------------------- scoring */

/* Apply fn to blocks of rows: logp for each block, then a per-row callback. */
typedef void (*row_fn)(const vem_gmm *g, size_t row, double *lp, void *out);

static vem_status for_rows(const vem_gmm *g, const vem_matrix *x, row_fn fn, void *out)
{
    vem_status st = check_x(g, x);
    if (st != VEM_OK)
        return st;
    const size_t block = 1024;
    double *scratch = vem__alloc_doubles(fast_len(g) + block * g->k, 1);
    if (!scratch)
        return VEM_FAIL(VEM_ENOMEM, "scoring scratch");
    int token = vem__blas_threads_one();
    for (size_t r0 = 0; r0 < x->rows; r0 += block) {
        size_t n = vem__min(block, x->rows - r0);
        double *lp = scratch + fast_len(g);
        fast_pass(g, x->data + r0 * x->ld, x->ld, n, NULL, lp, scratch);
        for (size_t r = 0; r < n; r++) {
            /* A row no component gives a finite density (values near the overflow
             * threshold) has no score, probabilities or label. */
            const double *l = lp + r * g->k;
            double top = l[0];
            for (size_t c = 1; c < g->k; c++)
                top = l[c] > top || isnan(l[c]) ? l[c] : top;
            if (!isfinite(top)) {
                st = VEM_FAIL(VEM_ENUMERIC,
                              "data row %zu: its log-likelihood is not finite (%g under the "
                              "best component)",
                              r0 + r + 1, top);
                break;
            }
            fn(g, r0 + r, lp + r * g->k, out);
        }
        if (st != VEM_OK)
            break;
    }
    vem__blas_threads_restore(token);
    vem__free(scratch);
    return st;
}

static void row_score(const vem_gmm *g, size_t row, double *lp, void *out)
{
    ((double *)out)[row] = row_normalise(lp, g->k);
}

static void row_proba(const vem_gmm *g, size_t row, double *lp, void *out)
{
    row_normalise(lp, g->k);
    memcpy((double *)out + row * g->k, lp, g->k * sizeof *lp);
}

static void row_label(const vem_gmm *g, size_t row, double *lp, void *out)
{
    size_t best = 0;
    for (size_t c = 1; c < g->k; c++)
        if (lp[c] > lp[best])
            best = c;
    ((size_t *)out)[row] = best;
}

/* Adds log max_c p(z_n = c | x_n) = max_c log p(x_n, c) - log p(x_n) to *out. */
static void row_log_map(const vem_gmm *g, size_t row, double *lp, void *out)
{
    (void)row;
    double top = lp[0];
    for (size_t c = 1; c < g->k; c++)
        top = lp[c] > top ? lp[c] : top;
    *(double *)out += top - row_normalise(lp, g->k);
}

vem_status vem_gmm_score_samples(const vem_gmm *g, const vem_matrix *x, double *out)
{
    return for_rows(g, x, row_score, out);
}

vem_status vem_gmm_predict_proba(const vem_gmm *g, const vem_matrix *x, double *out)
{
    return for_rows(g, x, row_proba, out);
}

vem_status vem_gmm_predict(const vem_gmm *g, const vem_matrix *x, size_t *out)
{
    return for_rows(g, x, row_label, out);
}

/* Log-likelihood of a block only: the scoring twin of gmm_estep, with no ESS. */
static double score_estep(const void *self, const vem_data *data, size_t u0, size_t u1,
                          double *ess, double *scratch)
{
    const vem_gmm *g = self;
    const size_t ld = data->x.ld;
    (void)ess;
    /* The same kernels and sub-blocks as gmm_estep: the same sum, bit for bit. */
    return fast_pass(g, data->x.data + u0 * ld, ld, u1 - u0, NULL, NULL, scratch);
}

static size_t score_ess_len(const void *self)
{
    (void)self;
    return 0;
}

static const vem_model_ops gmm_score_ops = {
    .name = "gmm-score",
    .ess_len = score_ess_len,
    .scratch_len = gmm_scratch_len,
    .n_units = gmm_n_units,
    .n_obs = gmm_n_obs,
    .estep = score_estep,
};

vem_status vem_gmm_score(const vem_gmm *g, const vem_matrix *x, double *mean, double *total)
{
    vem_status st = check_x(g, x);
    if (st != VEM_OK)
        return st;
    if (x->rows == 0)
        return VEM_FAIL(VEM_EINVAL, "no rows to score");
    /* Through the engine with default slots and blocks, so the sum is the one a
     * fit with default options reports for the same parameters, bit for bit. */
    vem_model m = {.ops = &gmm_score_ops, .self = (void *)(uintptr_t)g};
    vem_data data = vem_data_rows(*x);
    vem_fit *f = vem_fit_new(&m, &data, NULL);
    if (!f)
        return vem__last_status();
    double s = 0.0, unused = 0.0;
    st = vem_fit_pass(f, &m, &unused, &s);
    vem_fit_free(f);
    if (st != VEM_OK)
        return st;
    if (!isfinite(s)) {
        /* Name the row: scored one by one, the first without a finite score fails. */
        double *rows = vem__alloc_doubles(x->rows, 1);
        if (!rows)
            return VEM_FAIL(VEM_ENOMEM, "scoring: %zu rows", x->rows);
        st = for_rows(g, x, row_score, rows);
        double run = 0.0;
        for (size_t r = 0; st == VEM_OK && r < x->rows; r++) {
            run += rows[r];
            if (!isfinite(run))
                st = VEM_FAIL(VEM_ENUMERIC,
                              "data row %zu: its log-likelihood %g takes the total past the "
                              "largest double",
                              r + 1, rows[r]);
        }
        vem__free(rows);
        return st != VEM_OK ? st
                            : VEM_FAIL(VEM_ENUMERIC, "the total log-likelihood is not finite "
                                                     "(%g)", s);
    }
    if (mean)
        *mean = s / (double)x->rows;
    if (total)
        *total = s;
    return VEM_OK;
}

vem_status vem_gmm_sample(const vem_gmm *g, size_t n, vem_rng *rng, double *out, size_t *labels)
{
    const size_t k = g->k, d = g->d;
    size_t nf = g->lay == VEM_COV_FULL ? k : g->lay == VEM_COV_TIED ? 1 : 0;
    double *chol = vem__alloc_doubles(nf ? nf * d * d : 1, 1);
    double *z = vem__alloc_doubles(d, 1);
    if (!chol || !z) {
        vem__free(chol);
        vem__free(z);
        return VEM_FAIL(VEM_ENOMEM, "sample");
    }
    for (size_t c = 0; c < nf; c++)
        vem__cholesky(d, g->covs + c * d * d, chol + c * d * d); /* PD: checked on set */
    for (size_t i = 0; i < n; i++) {
        double u = vem_rng_uniform(rng), acc = 0.0;
        size_t c = k - 1;
        for (size_t j = 0; j < k; j++) {
            acc += g->weights[j];
            if (u < acc) {
                c = j;
                break;
            }
        }
        for (size_t j = 0; j < d; j++)
            z[j] = vem_rng_normal(rng);
        double *o = out + i * d;
        const double *mu = g->means + c * d;
        for (size_t a = 0; a < d; a++) {
            double v = 0.0;
            switch (g->lay) {
            case VEM_COV_FULL:
            case VEM_COV_TIED: {
                const double *l = chol + (g->lay == VEM_COV_FULL ? c * d * d : 0);
                for (size_t b = 0; b <= a; b++)
                    v += l[a * d + b] * z[b];
                break;
            default:
                break;
            }
            case VEM_COV_DIAG:
                v = sqrt(g->covs[c * d + a]) * z[a];
                break;
            case VEM_COV_SPHERICAL:
                v = sqrt(g->covs[c]) * z[a];
                break;
            }
            o[a] = mu[a] + v;
        }
        if (labels)
            labels[i] = c;
    }
    vem__free(chol);
    vem__free(z);
    return VEM_OK;
}

/* ------------------------------------------------------ model selection */

size_t vem_gmm_n_parameters(const vem_gmm *g)
{
    /* mclust's nVarParams (R/mclust.R), written for size_t (EVV's 1 - k first added). */
    const size_t k = g->k, d = g->d, t = d * (d - 1) / 2;
    size_t cp = 0;
    switch ((int)g->cov) {
    case VEM_COV_EII:
        cp = 1;
        break;
    case VEM_COV_SPHERICAL: /* VII */
        cp = k;
        break;
    case VEM_COV_EEI:
        cp = d;
        break;
    case VEM_COV_VEI:
        cp = k + d - 1;
        break;
    case VEM_COV_EVI:
        cp = 1 + k * (d - 1);
        break;
    case VEM_COV_DIAG: /* VVI */
        cp = k * d;
        break;
    case VEM_COV_TIED: /* EEE */
        cp = d * (d + 1) / 2;
        break;
    case VEM_COV_VEE:
        cp = k + (d - 1) + t;
        break;
    case VEM_COV_EVE:
        cp = 1 + k * (d - 1) + t;
        break;
    case VEM_COV_VVE:
        cp = k + k * (d - 1) + t;
        break;
    case VEM_COV_EEV:
        cp = 1 + (d - 1) + k * t;
        break;
    case VEM_COV_VEV:
        cp = k + (d - 1) + k * t;
        break;
    case VEM_COV_EVV:
        cp = k * d * (d + 1) / 2 + 1 - k;
        break;
    case VEM_COV_FULL: /* VVV */
        cp = k * d * (d + 1) / 2;
        break;
    }
    return cp + k * d + (g->equal_weights ? 0 : k - 1);
}

double vem_gmm_bic(const vem_gmm *g, double log_likelihood, size_t n)
{
    return -2.0 * log_likelihood + (double)vem_gmm_n_parameters(g) * log((double)n);
}

double vem_gmm_aic(const vem_gmm *g, double log_likelihood)
{
    return -2.0 * log_likelihood + 2.0 * (double)vem_gmm_n_parameters(g);
}

vem_status vem_gmm_icl(const vem_gmm *g, const vem_matrix *x, double log_likelihood, double *icl)
{
    *icl = NAN;
    if (x->rows == 0)
        return VEM_FAIL(VEM_EINVAL, "ICL of no rows");
    double log_map = 0.0;
    vem_status st = for_rows(g, x, row_log_map, &log_map);
    if (st != VEM_OK)
        return st;
    double v = vem_gmm_bic(g, log_likelihood, x->rows) - 2.0 * log_map;
    if (!isfinite(v))
        return VEM_FAIL(VEM_ENUMERIC, "ICL is not finite");
    *icl = v;
    return VEM_OK;
}

/* ---- model selection's checkpoints (docs/reliability.md, "Checkpoint and resume") ----
 * Between cells: the cells done (their table entries) and the best model so far. A
 * resumed selection fits the cells after them; each cell starts from its own seed, so
 * the table and the model are those of an uninterrupted selection. */

enum { SEL_DOUBLES = 4 }; /* log_likelihood, bic, aic, icl */

static vem_status select_save(const vem_fit_opts *o, size_t done, size_t ncell,
                              const vem_gmm_select_cell *cells, const vem_gmm *best)
{
    json_t *h = json_object(), *list = json_array();
    double *v = vem__alloc_doubles(done + 1, SEL_DOUBLES);
    size_t plen = best ? gmm_params_len(best) : 0;
    double *params = vem__alloc_doubles(plen + 1, 1);
    vem_status st = VEM_OK;
    if (!h || !list || !v || !params) {
        st = VEM_FAIL(VEM_ENOMEM, "%s: checkpoint", o->checkpoint);
        goto done;
    }
    for (size_t c = 0; c < done; c++) {
        const vem_gmm_select_cell *e = &cells[c];
        json_array_append_new(list, json_pack("{s:I, s:s, s:i, s:I, s:I, s:b}", "k",
                                              (json_int_t)e->k, "cov", vem_cov_name(e->cov),
                                              "status", (int)e->status, "n_parameters",
                                              (json_int_t)e->n_parameters, "n_iter",
                                              (json_int_t)e->n_iter, "converged", e->converged));
        double *r = v + c * SEL_DOUBLES;
        r[0] = e->log_likelihood;
        r[1] = e->bic;
        r[2] = e->aic;
        r[3] = e->icl;
    }
    json_object_set_new(h, "format", json_string("vem-select-checkpoint"));
    json_object_set_new(h, "model", json_string("gmm"));
    json_object_set_new(h, "tag", json_string(o->checkpoint_tag ? o->checkpoint_tag : ""));
    json_object_set_new(h, "n_cells", json_integer((json_int_t)ncell));
    json_object_set_new(h, "cells", list);
    list = NULL;
    json_object_set_new(h, "best_k", json_integer(best ? (json_int_t)best->k : 0));
    json_object_set_new(h, "best_cov", json_string(best ? vem_cov_name(best->cov) : ""));
    if (best)
        gmm_params_get(best, params);
    vem__ckpt_section sec[] = {{"cells", v, done * SEL_DOUBLES}, {"best_params", params, plen}};
    st = vem__ckpt_write(o->checkpoint, h, sec, 2);
done:
    json_decref(h);
    json_decref(list);
    vem__free(v);
    vem__free(params);
    return st;
}

/* The cells done and the best model of the selection checkpoint o->resume; *done. */
static vem_status select_restore(const vem_fit_opts *o, size_t ncell, vem_gmm_select_cell *cells,
                                 double reg_covar, int prior, const vem_matrix *x,
                                 vem_gmm **best, size_t *done)
{
    const char *path = o->resume;
    vem__ckpt c;
    vem_status st = vem__ckpt_read(path, &c);
    if (st != VEM_OK)
        return st;
    const char *fmt = json_string_value(json_object_get(c.header, "format"));
    const char *tag = json_string_value(json_object_get(c.header, "tag"));
    const char *my_tag = o->checkpoint_tag ? o->checkpoint_tag : "";
    json_t *list = json_object_get(c.header, "cells");
    size_t nv = 0, plen = 0;
    const double *v = vem__ckpt_get(&c, "cells", &nv);
    const double *params = vem__ckpt_get(&c, "best_params", &plen);
    if (!fmt || strcmp(fmt, "vem-select-checkpoint") != 0) {
        st = VEM_FAIL(VEM_EFORMAT, "%s: not a checkpoint of a model selection (of %s)", path,
                      fmt ? fmt : "?");
    } else if (!tag || strcmp(tag, my_tag) != 0) {
        st = VEM_FAIL(VEM_EFORMAT, "%s: not a checkpoint of this fit: written for '%.200s', "
                      "this is '%.200s'", path, tag ? tag : "?", my_tag);
    } else if (!json_is_array(list) || json_array_size(list) > ncell ||
               nv != json_array_size(list) * SEL_DOUBLES) {
        st = VEM_FAIL(VEM_EFORMAT, "%s: the cells do not match this selection's %zu", path,
                      ncell);
    }
    *done = st == VEM_OK ? json_array_size(list) : 0;
    for (size_t i = 0; st == VEM_OK && i < *done; i++) {
        json_t *e = json_array_get(list, i);
        const char *cov = json_string_value(json_object_get(e, "cov"));
        json_t *k = json_object_get(e, "k"), *sst = json_object_get(e, "status");
        json_t *np = json_object_get(e, "n_parameters"), *it = json_object_get(e, "n_iter");
        vem_cov cv;
        if (!json_is_integer(k) || !cov || vem_gmm_cov_parse(cov, &cv) != VEM_OK ||
            (size_t)json_integer_value(k) != cells[i].k || cv != cells[i].cov ||
            !json_is_integer(sst) || json_integer_value(sst) > VEM_OK ||
            json_integer_value(sst) <= VEM_EINTR || !json_is_integer(np) || !json_is_integer(it) ||
            json_integer_value(np) < 0 || json_integer_value(it) < 0) {
            st = VEM_FAIL(VEM_EFORMAT, "%s: cell %zu is not this selection's (K=%zu %s)", path,
                          i + 1, cells[i].k, vem_cov_name(cells[i].cov));
            break;
        }
        /* A cell done has a fit's status, never VEM_EINTR (that cell is not done). */
        cells[i].status = (vem_status)json_integer_value(sst);
        cells[i].n_parameters = (size_t)json_integer_value(np);
        cells[i].n_iter = (size_t)json_integer_value(it);
        cells[i].converged = json_is_true(json_object_get(e, "converged"));
        cells[i].log_likelihood = v[i * SEL_DOUBLES];
        cells[i].bic = v[i * SEL_DOUBLES + 1];
        cells[i].aic = v[i * SEL_DOUBLES + 2];
        cells[i].icl = v[i * SEL_DOUBLES + 3];
    }
    json_t *bk = json_object_get(c.header, "best_k");
    const char *bc = json_string_value(json_object_get(c.header, "best_cov"));
    vem_cov bcov;
    if (st == VEM_OK && json_is_integer(bk) && json_integer_value(bk) > 0 && bc &&
        vem_gmm_cov_parse(bc, &bcov) == VEM_OK && (size_t)json_integer_value(bk) <= x->rows) {
        vem_gmm *g = vem_gmm_new((size_t)json_integer_value(bk), x->cols, bcov);
        st = g ? vem_gmm_set_reg_covar(g, reg_covar) : vem__last_status();
        if (st == VEM_OK && prior)
            st = vem_gmm_set_prior_default(g, x);
        if (st == VEM_OK && (!params || plen != gmm_params_len(g)))
            st = VEM_FAIL(VEM_EFORMAT, "%s: the best model's parameters: %zu doubles", path,
                          plen);
        if (st == VEM_OK)
            st = gmm_params_set(g, params);
        if (st == VEM_OK)
            *best = g;
        else
            vem_gmm_free(g);
    }
    vem__ckpt_clear(&c);
    return st;
}

vem_status vem_gmm_select_by(const vem_matrix *x, const size_t *ks, size_t nk,
                             const vem_cov *covs, size_t ncov, vem_gmm_init init,
                             double reg_covar, const vem_fit_opts *o, uint64_t seed, int prior,
                             vem_gmm_criterion criterion, vem_gmm_select_cell *cells,
                             vem_gmm **best)
{
    *best = NULL;
    if (criterion != VEM_CRITERION_BIC && criterion != VEM_CRITERION_ICL)
        return VEM_FAIL(VEM_EINVAL, "model selection: unknown criterion %d", (int)criterion);
    if (!x || nk == 0 || ncov == 0)
        return VEM_FAIL(VEM_EINVAL, "model selection needs at least one k and one covariance type");
    for (size_t i = 0; i < nk; i++)
        if (ks[i] == 0 || ks[i] > x->rows)
            return VEM_FAIL(VEM_EINVAL, "k=%zu must be in [1, %zu rows]", ks[i], x->rows);
    double best_value = INFINITY;
    /* The BLAS at one thread for the whole table: every fit would lower it and restore
     * it, and OpenBLAS restarts its workers at each restore, which then spin for about
     * 0.1 s, taking a core from the next fit (faithful, 126 fits: 2.0 s of wall time
     * for 0.55 s of CPU). */
    const int blas_token = vem__blas_threads_one();
    /* One tree for every cell (built by the first fit that starts from it). */
    vem__hc_cache cache = {0, NULL};
    const size_t ncell = nk * ncov;
    for (size_t c = 0; c < ncell; c++) {
        vem_gmm_select_cell *cell = &cells[c];
        memset(cell, 0, sizeof *cell);
        cell->k = ks[c / ncov];
        cell->cov = covs[c % ncov];
        cell->log_likelihood = cell->bic = cell->aic = cell->icl = NAN;
    }
    /* Checkpoints are taken between cells, not inside a cell's fit. */
    vem_fit_opts defaults, co;
    if (!o) {
        vem_gmm_fit_opts_init(&defaults);
        o = &defaults;
    }
    co = *o;
    co.checkpoint = co.resume = NULL;
    size_t done = 0;
    vem_status sel_st = VEM_OK;
    double last_ckpt = vem__now();
    if (o->resume) {
        sel_st = select_restore(o, ncell, cells, reg_covar, prior, x, best, &done);
        if (sel_st != VEM_OK) {
            vem__blas_threads_restore(blas_token);
            return sel_st;
        }
        for (size_t c = 0; c < done && *best; c++) {
            double value = criterion == VEM_CRITERION_ICL ? cells[c].icl : cells[c].bic;
            if ((cells[c].status == VEM_OK || cells[c].status == VEM_EMAXITER) &&
                value < best_value)
                best_value = value;
        }
    }
    for (size_t i = 0; i < nk; i++) {
        for (size_t j = 0; j < ncov; j++) {
            vem_gmm_select_cell *cell = &cells[i * ncov + j];
            if (i * ncov + j < done || sel_st != VEM_OK)
                continue;
            vem_gmm *g = vem_gmm_new(ks[i], x->cols, covs[j]);
            if (!g) {
                cell->status = vem__last_status();
                continue;
            }
            vem_status st = vem_gmm_set_reg_covar(g, reg_covar);
            if (st == VEM_OK && prior)
                st = vem_gmm_set_prior_default(g, x);
            if (st == VEM_OK && init != VEM_INIT_MEANS)
                st = vem_gmm_set_init(g, init);
            vem__gmm_set_hc_cache(g, &cache);
            vem_rng rng;
            vem_rng_seed(&rng, seed);
            vem_fit_result res;
            memset(&res, 0, sizeof res);
            /* The cell in the fit's progress reports ("K=3 VVV"). */
            vem_fit_opts cco = co;
            char label[48];
            const char *cname = vem_cov_mclust_name(covs[j]);
            snprintf(label, sizeof label, "K=%zu %s", ks[i], cname ? cname : "?");
            cco.label = label;
            if (st == VEM_OK)
                st = vem_gmm_fit(g, x, &cco, &rng, &res);
            cell->status = st;
            if (st == VEM_EINTR) {
                /* This cell and those after it are not fitted; a resumed selection
                 * starts again at this cell. */
                for (size_t c = i * ncov + j; c < ncell; c++)
                    cells[c].status = VEM_EINTR;
                sel_st = VEM_EINTR;
                if (o->checkpoint)
                    sel_st = select_save(o, i * ncov + j, ncell, cells, *best);
                if (sel_st == VEM_OK)
                    sel_st = VEM_EINTR;
            }
            cell->n_parameters = vem_gmm_n_parameters(g);
            if (st == VEM_OK || st == VEM_EMAXITER) {
                /* With a prior the objective is log L + log p; BIC takes log L (mclust). */
                cell->log_likelihood = res.objective - vem_gmm_log_prior(g);
                cell->bic = vem_gmm_bic(g, cell->log_likelihood, x->rows);
                cell->aic = vem_gmm_aic(g, cell->log_likelihood);
                cell->n_iter = res.n_iter;
                cell->converged = res.converged;
                if (vem_gmm_icl(g, x, cell->log_likelihood, &cell->icl) != VEM_OK)
                    cell->icl = NAN;
                double value = criterion == VEM_CRITERION_ICL ? cell->icl : cell->bic;
                if (value < best_value) {
                    best_value = value;
                    vem_gmm_free(*best);
                    *best = g;
                    g = NULL;
                }
            }
            vem_fit_result_clear(&res);
            if (g)
                vem__gmm_set_hc_cache(g, NULL);
            vem_gmm_free(g);
            const size_t now_done = i * ncov + j + 1;
            if (sel_st == VEM_OK && o->checkpoint && now_done < ncell &&
                ((o->checkpoint_every && now_done % o->checkpoint_every == 0) ||
                 (o->checkpoint_seconds > 0.0 &&
                  vem__now() - last_ckpt >= o->checkpoint_seconds))) {
                sel_st = select_save(o, now_done, ncell, cells, *best);
                last_ckpt = vem__now();
            }
        }
    }
    vem__free(cache.pairs);
    vem__blas_threads_restore(blas_token);
    if (*best)
        vem__gmm_set_hc_cache(*best, NULL);
    if (sel_st != VEM_OK)
        return sel_st;
    if (!*best)
        return VEM_FAIL(VEM_ENUMERIC, "model selection: every fit failed");
    return VEM_OK;
}

vem_status vem_gmm_select(const vem_matrix *x, const size_t *ks, size_t nk, const vem_cov *covs,
                          size_t ncov, vem_gmm_init init, double reg_covar, const vem_fit_opts *o,
                          uint64_t seed, vem_gmm_select_cell *cells, vem_gmm **best)
{
    return vem_gmm_select_by(x, ks, nk, covs, ncov, init, reg_covar, o, seed, 0,
                             VEM_CRITERION_BIC, cells, best);
}

vem_status vem_gmm_select_prior(const vem_matrix *x, const size_t *ks, size_t nk,
                                const vem_cov *covs, size_t ncov, vem_gmm_init init,
                                double reg_covar, const vem_fit_opts *o, uint64_t seed,
                                vem_gmm_select_cell *cells, vem_gmm **best)
{
    return vem_gmm_select_by(x, ks, nk, covs, ncov, init, reg_covar, o, seed, 1,
                             VEM_CRITERION_BIC, cells, best);
}
