/*
 * src/models/blr.c — Bayesian linear regression by mean-field VB on the engine
 * (Bishop PRML 10.3; Drugowitsch 2013; ARD as PRML 7.2.2 in its variational form).
 *
 * Units are rows. A pass adds each row's ESS (n, t^2, z t, z z^T) and its
 * expected log-likelihood E_q[ln N(t | z^T w, 1/beta)] =
 *     1/2 (E[ln beta] - ln 2 pi) - E[beta]/2 ((t - z^T mu)^2 + z^T Sigma z);
 * objective_extra adds E[ln p(w | alpha)] + H[q(w)] and, for each Gamma
 * factor, E[ln p] + H[q], so the engine's total is the full ELBO. The update
 * is one sweep of coordinate ascent: q(w), then q(alpha), then q(beta), each
 * the exact maximiser given the others, so the ELBO never decreases.
 *
 * ARD by MacKay's update (the default with ARD) runs its own loop on the ESS of
 * one pass (they do not change between iterations): q(w) given the point
 * estimates lambda_i, beta, then their re-estimation and pruning, ARDRegression's
 * stopping test on the posterior means, and a last q(w) (include/vem/blr.h).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <vem/blr.h>
#include <vem/comm.h>

#include "internal.h"
#include "linalg/special.h"
#include "linalg/linalg.h"
#include "models/kmeans.h"

#define LOG_2PI 1.8378770664093454836

struct vem_blr {
    size_t d, na; /* features; weight precisions (1, or d with ARD) */
    int ard, intercept, standardize;
    vem_blr_update update; /* ARD's update rule */
    double a0, b0, c0, d0; /* Gamma hyperpriors: noise (a0, b0), weights (c0, d0) */
    double prune;
    char **columns;
    char *target;

    /* Feature and target transform. */
    double *shift, *scale; /* d */
    double yshift;

    /* The posterior (z scale). */
    double *mu;             /* d; 0 for pruned weights */
    double *sigma;          /* d x d; rows and columns of pruned weights are 0 */
    double *alpha_a, *alpha_b; /* na */
    double beta_a, beta_b;
    int *pruned; /* d */

    /* Derived. */
    double *ealpha, *elnalpha; /* na */
    double ebeta, elnbeta;
    double logdet_sigma;
    double *coef; /* d, input scale */
    double icpt;

    const double *y; /* borrowed during a fit */
    int keep_start;  /* warm start: keep q(alpha), q(beta) (e.g. a loaded model) */
    double *mk_ess;  /* MacKay's fit: where blr_init leaves the ESS of its pass (borrowed) */
    double *work;    /* 3 d^2 + 2 d */
};

/* E_q[ln p(x)] + H[q(x)] for q = Gamma(a, b), p = Gamma(a0, b0) (shape, rate). */
static double gamma_terms(double a, double b, double a0, double b0)
{
    double elnx = vem__digamma(a) - log(b), ex = a / b;
    return a0 * log(b0) - lgamma(a0) + (a0 - 1.0) * elnx - b0 * ex + a - log(b) + lgamma(a) +
           (1.0 - a) * vem__digamma(a);
}

/* ------------------------------------------------------- object lifetime */

void vem_blr_free(vem_blr *b)
{
    if (!b)
        return;
    double *arrays[] = {b->shift, b->scale,  b->mu,       b->sigma, b->alpha_a,
                        b->alpha_b, b->ealpha, b->elnalpha, b->coef,  b->work};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
        vem__free(arrays[i]);
    vem__free(b->pruned);
    vem__strings_free(b->columns, b->d);
    vem__free(b->target);
    vem__free(b);
}

static void derive(vem_blr *b);

/* ARD by MacKay's update: the precisions are point estimates stored as (value, 1). */
static int is_mackay(const vem_blr *b)
{
    return b->ard && b->update == VEM_BLR_MACKAY;
}

/* Reset the posterior to the prior-like start: E[alpha] = 1, E[beta] = 1 / var, nothing pruned. */
static void reset(vem_blr *b, double n, double var)
{
    const size_t d = b->d;
    memset(b->mu, 0, d * sizeof *b->mu);
    memset(b->sigma, 0, d * d * sizeof *b->sigma);
    for (size_t j = 0; j < d; j++) {
        b->pruned[j] = 0;
        b->sigma[j * d + j] = 1.0;
    }
    if (is_mackay(b)) {
        /* lambda_i = 1, beta = 1 / var, as ARDRegression */
        for (size_t i = 0; i < b->na; i++) {
            b->alpha_a[i] = 1.0;
            b->alpha_b[i] = 1.0;
        }
        b->beta_a = 1.0 / var;
        b->beta_b = 1.0;
    } else {
        for (size_t i = 0; i < b->na; i++) {
            b->alpha_a[i] = b->c0 + (b->ard ? 0.5 : 0.5 * (double)d);
            b->alpha_b[i] = b->alpha_a[i];
        }
        b->beta_a = b->a0 + 0.5 * n;
        b->beta_b = b->beta_a * var;
    }
    b->logdet_sigma = 0.0;
    derive(b);
}

static vem_status alloc_precisions(vem_blr *b)
{
    double *aa = vem__alloc_doubles(b->na, 1), *ab = vem__alloc_doubles(b->na, 1);
    double *ea = vem__alloc_doubles(b->na, 1), *el = vem__alloc_doubles(b->na, 1);
    if (!aa || !ab || !ea || !el) {
        vem__free(aa);
        vem__free(ab);
        vem__free(ea);
        vem__free(el);
        return VEM_FAIL(VEM_ENOMEM, "weight precisions");
    }
    vem__free(b->alpha_a);
    vem__free(b->alpha_b);
    vem__free(b->ealpha);
    vem__free(b->elnalpha);
    b->alpha_a = aa;
    b->alpha_b = ab;
    b->ealpha = ea;
    b->elnalpha = el;
    return VEM_OK;
}

vem_blr *vem_blr_new(size_t d)
{
    size_t dd;
    if (d == 0 || !vem__mul_ok(d, d, &dd) || dd > ((size_t)1 << 36)) {
        VEM_FAIL(VEM_EINVAL, "vem_blr_new: d=%zu must be in [1, 2^18]", d);
        return NULL;
    }
    /* The posterior covariance, its three work arrays and the precisions: five d x d. */
    char what[160];
    snprintf(what, sizeof what, "Bayesian linear regression on %zu features (5 x %zu x %zu doubles)",
             d, d, d);
    if (vem__check_memory(what, 5.0 * (double)dd * sizeof(double)) != VEM_OK)
        return NULL;
    vem_blr *b = vem__calloc(1, sizeof *b);
    if (!b)
        goto oom;
    b->d = d;
    b->na = 1;
    b->a0 = b->b0 = b->c0 = b->d0 = 1e-6;
    b->prune = 1e4;
    b->shift = vem__alloc_doubles(d, 1);
    b->scale = vem__alloc_doubles(d, 1);
    b->mu = vem__alloc_doubles(d, 1);
    b->sigma = vem__alloc_doubles(dd, 1);
    b->coef = vem__alloc_doubles(d, 1);
    b->work = vem__alloc_doubles(3 * dd + 2 * d, 1);
    b->pruned = vem__calloc(d, sizeof *b->pruned);
    if (!b->shift || !b->scale || !b->mu || !b->sigma || !b->coef || !b->work || !b->pruned ||
        alloc_precisions(b) != VEM_OK)
        goto oom;
    for (size_t j = 0; j < d; j++)
        b->scale[j] = 1.0;
    reset(b, 1.0, 1.0);
    return b;
oom:
    vem_blr_free(b);
    VEM_FAIL(VEM_ENOMEM, "vem_blr_new(d=%zu): out of memory", d);
    return NULL;
}

/* ------------------------------------------------------------ accessors */

size_t vem_blr_d(const vem_blr *b) { return b->d; }
vem_blr_update vem_blr_ard_update(const vem_blr *b) { return b->update; }

static const char *const update_names[] = {"mackay", "vb"};

const char *vem_blr_update_name(vem_blr_update u)
{
    return vem__name_of(update_names, 2, (int)u);
}

vem_status vem_blr_update_parse(const char *name, vem_blr_update *out)
{
    size_t i = vem__name_find(name, update_names, 2);
    if (i == 2)
        return VEM_FAIL(VEM_EINVAL, "unknown ARD update '%s' (mackay or vb)",
                        name ? name : "(null)");
    *out = (vem_blr_update)i;
    return VEM_OK;
}

vem_status vem_blr_set_ard_update(vem_blr *b, vem_blr_update u)
{
    if (u != VEM_BLR_MACKAY && u != VEM_BLR_VB)
        return VEM_FAIL(VEM_EINVAL, "ARD update %d: expected VEM_BLR_MACKAY or VEM_BLR_VB",
                        (int)u);
    if (u != b->update) {
        b->update = u;
        reset(b, 1.0, 1.0);
    }
    return VEM_OK;
}
int vem_blr_ard(const vem_blr *b) { return b->ard; }
int vem_blr_intercept_on(const vem_blr *b) { return b->intercept; }
int vem_blr_standardize_on(const vem_blr *b) { return b->standardize; }
double vem_blr_prune_threshold(const vem_blr *b) { return b->prune; }
const double *vem_blr_coef(const vem_blr *b) { return b->coef; }
double vem_blr_intercept(const vem_blr *b) { return b->icpt; }
double vem_blr_noise_precision(const vem_blr *b) { return b->ebeta; }
const double *vem_blr_weight_precision(const vem_blr *b) { return b->ealpha; }
size_t vem_blr_weight_precision_len(const vem_blr *b) { return b->na; }
const char *const *vem_blr_columns(const vem_blr *b) { return (const char *const *)b->columns; }
const char *vem_blr_target(const vem_blr *b) { return b->target; }

int vem_blr_pruned(const vem_blr *b, size_t i)
{
    return i < b->d && b->pruned[i];
}

size_t vem_blr_n_pruned(const vem_blr *b)
{
    size_t n = 0;
    for (size_t j = 0; j < b->d; j++)
        n += b->pruned[j] != 0;
    return n;
}

void vem_blr_hyperpriors(const vem_blr *b, double out[4])
{
    out[0] = b->a0;
    out[1] = b->b0;
    out[2] = b->c0;
    out[3] = b->d0;
}

vem_status vem_blr_set_ard(vem_blr *b, int ard)
{
    size_t na = ard ? b->d : 1;
    if (na != b->na) {
        size_t old = b->na;
        b->na = na;
        if (alloc_precisions(b) != VEM_OK) {
            b->na = old;
            return VEM_FAIL(VEM_ENOMEM, "weight precisions");
        }
    }
    b->ard = ard != 0;
    reset(b, 1.0, 1.0);
    return VEM_OK;
}

vem_status vem_blr_set_intercept(vem_blr *b, int on)
{
    b->intercept = on != 0;
    return VEM_OK;
}

vem_status vem_blr_set_standardize(vem_blr *b, int on)
{
    b->standardize = on != 0;
    return VEM_OK;
}

vem_status vem_blr_set_hyperpriors(vem_blr *b, double a0, double b0, double c0, double d0)
{
    const double v[4] = {a0, b0, c0, d0};
    static const char *const names[4] = {"a0 (noise shape)", "b0 (noise rate)",
                                         "c0 (weight shape)", "d0 (weight rate)"};
    for (int i = 0; i < 4; i++)
        if (!(v[i] > 0.0) || !isfinite(v[i]))
            return VEM_FAIL(VEM_EINVAL, "hyperprior %s = %g must be positive and finite",
                            names[i], v[i]);
    b->a0 = a0;
    b->b0 = b0;
    b->c0 = c0;
    b->d0 = d0;
    return VEM_OK;
}

vem_status vem_blr_set_prune_threshold(vem_blr *b, double threshold)
{
    if (!(threshold > 0.0))
        return VEM_FAIL(VEM_EINVAL, "pruning threshold %g must be positive", threshold);
    b->prune = threshold;
    return VEM_OK;
}

vem_status vem_blr_set_columns(vem_blr *b, const char *const *names, const char *target)
{
    return vem__names_replace(&b->columns, &b->target, b->d, names, target);
}

/* Expectations of the Gamma factors, and the coefficients on the input scale. */
static void derive(vem_blr *b)
{
    const int point = is_mackay(b);
    for (size_t i = 0; i < b->na; i++) {
        b->ealpha[i] = b->alpha_a[i] / b->alpha_b[i];
        b->elnalpha[i] = point ? log(b->ealpha[i])
                               : vem__digamma(b->alpha_a[i]) - log(b->alpha_b[i]);
    }
    b->ebeta = b->beta_a / b->beta_b;
    b->elnbeta = point ? log(b->ebeta) : vem__digamma(b->beta_a) - log(b->beta_b);
    double icpt = b->yshift;
    for (size_t j = 0; j < b->d; j++) {
        b->coef[j] = b->pruned[j] ? 0.0 : b->mu[j] / b->scale[j];
        icpt -= b->coef[j] * b->shift[j];
    }
    b->icpt = icpt;
}

void vem_blr_coef_cov(const vem_blr *b, double *out)
{
    const size_t d = b->d;
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++)
            out[i * d + j] = b->sigma[i * d + j] / (b->scale[i] * b->scale[j]);
}

/* ----------------------------------------------------------- the engine */

static size_t blr_ess_len(const void *self)
{
    const vem_blr *b = self;
    return 2 + b->d + b->d * b->d;
}

static size_t blr_scratch_len(const void *self, size_t block)
{
    (void)block;
    return 2 * ((const vem_blr *)self)->d;
}

static size_t blr_n_units(const void *self, const vem_data *x)
{
    (void)self;
    return x->x.rows;
}

static double blr_n_obs(const void *self, const vem_data *x)
{
    (void)self;
    return (double)x->x.rows;
}

static double blr_estep(const void *self, const vem_data *data, size_t u0, size_t u1,
                        double *ess, double *scratch)
{
    const vem_blr *b = self;
    const size_t d = b->d, ld = data->x.ld;
    double *z = scratch, *sz = scratch + d;
    double *zt = ess + 2, *zz = ess + 2 + d;
    double obj = 0.0;
    for (size_t r = u0; r < u1; r++) {
        const double *x = data->x.data + r * ld;
        double t = b->y[r] - b->yshift, pred = 0.0, var = 0.0;
        for (size_t j = 0; j < d; j++) {
            z[j] = (x[j] - b->shift[j]) / b->scale[j];
            pred += z[j] * b->mu[j];
        }
        for (size_t i = 0; i < d; i++) {
            double s = 0.0;
            for (size_t j = 0; j < d; j++)
                s += b->sigma[i * d + j] * z[j];
            sz[i] = s;
            var += z[i] * s;
        }
        ess[0] += 1.0;
        ess[1] += t * t;
        for (size_t i = 0; i < d; i++) {
            zt[i] += z[i] * t;
            for (size_t j = i; j < d; j++)
                zz[i * d + j] += z[i] * z[j];
        }
        double res = t - pred;
        obj += 0.5 * (b->elnbeta - LOG_2PI) - 0.5 * b->ebeta * (res * res + var);
    }
    return obj;
}

/*
 * q(w) = N(mu, Sigma) over the kept weights from the ESS, given E[alpha] (or
 * lambda) and E[beta] (PRML eqs. 10.99-10.100); the kept weights' indices are
 * left in b->work (as size_t), their count in *mp.
 */
static vem_status posterior_w(vem_blr *b, const double *ess, size_t *mp)
{
    const size_t d = b->d;
    const double *zt = ess + 2, *zz = ess + 2 + d;
    size_t m = 0;
    size_t *idx = (size_t *)(void *)b->work; /* d indices fit in d doubles */
    for (size_t j = 0; j < d; j++)
        if (!b->pruned[j])
            idx[m++] = j;
    double *p = b->work + d, *l = p + d * d, *li = l + d * d;
    /* q(w): P = E[A] + E[beta] Z^T Z over the kept weights. */
    for (size_t a = 0; a < m; a++)
        for (size_t c = 0; c <= a; c++) {
            size_t i = idx[c], j = idx[a]; /* i <= j: upper triangle of zz */
            double v = b->ebeta * zz[i * d + j];
            p[a * m + c] = v;
            p[c * m + a] = v;
        }
    for (size_t a = 0; a < m; a++)
        p[a * m + a] += b->ealpha[b->ard ? idx[a] : 0];
    if (m > 0) {
        size_t bad = vem__cholesky(m, p, l);
        if (bad)
            return VEM_FAIL(VEM_ENUMERIC, "the posterior precision of the weights is not "
                                          "positive definite (pivot %zu)", bad);
    }
    double logdet = 0.0;
    for (size_t a = 0; a < m; a++) {
        logdet -= 2.0 * log(l[a * m + a]);
        /* forward substitution for L^-1, column by column */
        li[a * m + a] = 1.0 / l[a * m + a];
        for (size_t r = a + 1; r < m; r++) {
            double s = 0.0;
            for (size_t q = a; q < r; q++)
                s += l[r * m + q] * li[q * m + a];
            li[r * m + a] = -s / l[r * m + r];
        }
        for (size_t r = 0; r < a; r++)
            li[r * m + a] = 0.0;
    }
    memset(b->sigma, 0, d * d * sizeof *b->sigma);
    memset(b->mu, 0, d * sizeof *b->mu);
    for (size_t a = 0; a < m; a++)
        for (size_t c = 0; c <= a; c++) {
            double s = 0.0;
            for (size_t q = a; q < m; q++) /* (L^-T L^-1)_ac = sum_q li[q][a] li[q][c] */
                s += li[q * m + a] * li[q * m + c];
            b->sigma[idx[a] * d + idx[c]] = s;
            b->sigma[idx[c] * d + idx[a]] = s;
        }
    for (size_t a = 0; a < m; a++) {
        double s = 0.0;
        for (size_t c = 0; c < m; c++)
            s += b->sigma[idx[a] * d + idx[c]] * zt[idx[c]];
        b->mu[idx[a]] = b->ebeta * s;
    }
    b->logdet_sigma = logdet;
    *mp = m;
    return VEM_OK;
}

/*
 * One sweep of coordinate ascent from the ESS: q(w) (PRML eqs. 10.99-10.100),
 * q(alpha) (10.93-10.95, or per weight with ARD), q(beta) (the analogue for the noise).
 */
static vem_status blr_mstep(void *self, const double *ess)
{
    vem_blr *b = self;
    const size_t d = b->d;
    const double n = ess[0], tt = ess[1], *zt = ess + 2, *zz = ess + 2 + d;
    size_t m = 0;
    const size_t *idx = (const size_t *)(const void *)b->work;
    vem_status st = posterior_w(b, ess, &m);
    if (st != VEM_OK)
        return st;
    /* q(alpha) */
    if (b->ard) {
        for (size_t a = 0; a < m; a++) {
            size_t j = idx[a];
            b->alpha_a[j] = b->c0 + 0.5;
            b->alpha_b[j] = b->d0 + 0.5 * (b->mu[j] * b->mu[j] + b->sigma[j * d + j]);
        }
    } else {
        double s = 0.0;
        for (size_t j = 0; j < d; j++)
            s += b->mu[j] * b->mu[j] + b->sigma[j * d + j];
        b->alpha_a[0] = b->c0 + 0.5 * (double)m;
        b->alpha_b[0] = b->d0 + 0.5 * s;
    }
    /* q(beta): E||t - Z w||^2 = t^T t - 2 mu^T Z^T t + mu^T Z^T Z mu + tr(Z^T Z Sigma). */
    double quad = tt;
    for (size_t i = 0; i < d; i++) {
        quad -= 2.0 * b->mu[i] * zt[i];
        for (size_t j = 0; j < d; j++) {
            double a = i <= j ? zz[i * d + j] : zz[j * d + i];
            quad += a * (b->mu[i] * b->mu[j] + b->sigma[i * d + j]);
        }
    }
    b->beta_a = b->a0 + 0.5 * n;
    b->beta_b = b->b0 + 0.5 * fmax(quad, 0.0);
    derive(b);
    if (!isfinite(b->ebeta) || !(b->ebeta > 0.0))
        return VEM_FAIL(VEM_ENUMERIC, "noise precision is %g", b->ebeta);
    return VEM_OK;
}

static double blr_objective_extra(const void *self)
{
    const vem_blr *b = self;
    const size_t d = b->d;
    double s = 0.5 * b->logdet_sigma, m = 0.0, ew2 = 0.0;
    for (size_t j = 0; j < d; j++) {
        if (b->pruned[j])
            continue;
        m += 1.0;
        double w2 = b->mu[j] * b->mu[j] + b->sigma[j * d + j];
        if (b->ard) {
            s += 0.5 * b->elnalpha[j] - 0.5 * b->ealpha[j] * w2 +
                 gamma_terms(b->alpha_a[j], b->alpha_b[j], b->c0, b->d0);
        }
        ew2 += w2;
    }
    s += 0.5 * m; /* entropy of q(w) without ln 2 pi, which cancels with E ln p(w | alpha) */
    if (!b->ard)
        s += 0.5 * m * b->elnalpha[0] - 0.5 * b->ealpha[0] * ew2 +
             gamma_terms(b->alpha_a[0], b->alpha_b[0], b->c0, b->d0);
    return s + gamma_terms(b->beta_a, b->beta_b, b->a0, b->b0);
}

static vem_status blr_init(void *self, vem_fit *f, vem_rng *rng);

/*
 * Moments of the target as a model of its own, so that they go through the
 * fit's communicator like the features' (a distributed fit gets the global
 * mean and variance): ess[0] = sum y (first pass, ymean NAN) or
 * sum (y - ymean)^2 (second pass).
 */
typedef struct ymoments {
    const double *y;
    double ymean;
} ymoments;

static size_t ymom_ess_len(const void *self)
{
    (void)self;
    return 1;
}

static double ymom_estep(const void *self, const vem_data *data, size_t u0, size_t u1,
                         double *ess, double *scratch)
{
    const ymoments *m = self;
    (void)data;
    (void)scratch;
    double s = 0.0;
    for (size_t r = u0; r < u1; r++) {
        double t = isnan(m->ymean) ? m->y[r] : m->y[r] - m->ymean;
        s += isnan(m->ymean) ? t : t * t;
    }
    ess[0] += s;
    return 0.0;
}

static const vem_model_ops ymom_ops = {
    .name = "blr-target-moments",
    .ess_len = ymom_ess_len,
    .n_units = blr_n_units,
    .n_obs = blr_n_obs,
    .estep = ymom_estep,
};

/* The parameters for checkpoints: q(w) (mu, Sigma and log |Sigma|), q(alpha), q(beta) and
 * the pruned weights, copied as they are; the rest is derived. */
static size_t blr_params_len(const void *self)
{
    const vem_blr *b = self;
    return 2 * b->d + b->d * b->d + 2 * b->na + 3;
}

static void blr_params_get(const void *self, double *out)
{
    const vem_blr *b = self;
    const size_t d = b->d, na = b->na;
    memcpy(out, b->mu, d * sizeof *out);
    memcpy(out + d, b->sigma, d * d * sizeof *out);
    out += d + d * d;
    memcpy(out, b->alpha_a, na * sizeof *out);
    memcpy(out + na, b->alpha_b, na * sizeof *out);
    out += 2 * na;
    out[0] = b->beta_a;
    out[1] = b->beta_b;
    out[2] = b->logdet_sigma;
    for (size_t j = 0; j < d; j++)
        out[3 + j] = b->pruned[j];
}

static vem_status blr_params_set(void *self, const double *in)
{
    vem_blr *b = self;
    const size_t d = b->d, na = b->na;
    const double *p = in + d + d * d + 2 * na;
    if (!(p[0] > 0.0 && p[1] > 0.0 && isfinite(p[0]) && isfinite(p[1]) && isfinite(p[2])))
        return VEM_FAIL(VEM_EINVAL, "blr: noise posterior Gamma(%g, %g), log|Sigma| %g", p[0],
                        p[1], p[2]);
    for (size_t i = 0; i < 2 * na; i++)
        if (!(in[d + d * d + i] > 0.0) || !isfinite(in[d + d * d + i]))
            return VEM_FAIL(VEM_EINVAL, "blr: weight precision posterior parameter %g",
                            in[d + d * d + i]);
    for (size_t i = 0; i < d + d * d; i++)
        if (!isfinite(in[i]))
            return VEM_FAIL(VEM_EINVAL, "blr: posterior mean or covariance entry %g", in[i]);
    memcpy(b->mu, in, d * sizeof *in);
    memcpy(b->sigma, in + d, d * d * sizeof *in);
    memcpy(b->alpha_a, in + d + d * d, na * sizeof *in);
    memcpy(b->alpha_b, in + d + d * d + na, na * sizeof *in);
    b->beta_a = p[0];
    b->beta_b = p[1];
    b->logdet_sigma = p[2];
    for (size_t j = 0; j < d; j++)
        b->pruned[j] = p[3 + j] != 0.0;
    derive(b);
    return VEM_OK;
}

static const vem_model_ops blr_ops = {
    .name = "blr",
    .ess_len = blr_ess_len,
    .scratch_len = blr_scratch_len,
    .n_units = blr_n_units,
    .n_obs = blr_n_obs,
    .estep = blr_estep,
    .mstep = blr_mstep,
    .objective_extra = blr_objective_extra,
    .init = blr_init,
    .params_len = blr_params_len,
    .params_get = blr_params_get,
    .params_set = blr_params_set,
    .init_on_shares = 1,
};

/* The transform from the data, the starting posterior, one pass and the first update. */
static vem_status blr_init(void *self, vem_fit *f, vem_rng *rng)
{
    vem_blr *b = self;
    const size_t d = b->d;
    const double n = vem_fit_n_obs(f); /* over all processes */
    (void)rng;
    if (n < 2.0)
        return VEM_FAIL(VEM_EINVAL, "%.0f rows: at least 2 are needed", n);
    double *mean = vem__alloc_doubles(d, 1), *var = vem__alloc_doubles(d, 1);
    double *ess = vem__alloc_doubles(blr_ess_len(b), 1);
    vem_status st = VEM_OK;
    if (!mean || !var || !ess) {
        st = VEM_FAIL(VEM_ENOMEM, "initialisation");
        goto done;
    }
    st = vem__column_moments(f, mean, var);
    if (st != VEM_OK)
        goto done;
    for (size_t j = 0; j < d; j++) {
        b->shift[j] = b->intercept || b->standardize ? mean[j] : 0.0;
        b->scale[j] = 1.0;
        if (b->standardize) {
            if (!(var[j] > 0.0)) {
                st = VEM_FAIL(VEM_EINVAL, "column %zu is constant: it cannot be standardised",
                              j + 1);
                goto done;
            }
            b->scale[j] = sqrt(var[j]);
        }
    }
    /* Target mean and variance (two passes: no cancellation). */
    ymoments ymo = {.y = b->y, .ymean = NAN};
    vem_model ym_model = {.ops = &ymom_ops, .self = &ymo};
    double ym = 0.0, yv = 0.0, unused;
    st = vem_fit_pass(f, &ym_model, &ym, &unused);
    if (st != VEM_OK)
        goto done;
    ym /= n;
    ymo.ymean = ym;
    st = vem_fit_pass(f, &ym_model, &yv, &unused);
    if (st != VEM_OK)
        goto done;
    yv /= n;
    b->yshift = b->intercept ? ym : 0.0;
    if (b->keep_start)
        derive(b); /* start from the current q(alpha), q(beta) */
    else
        reset(b, n, yv > 0.0 ? yv : 1.0);
    vem_model m = {.ops = &blr_ops, .self = b};
    st = vem_fit_pass(f, &m, ess, &unused);
    if (st == VEM_OK && b->mk_ess)
        memcpy(b->mk_ess, ess, blr_ess_len(b) * sizeof *ess); /* MacKay's loop takes over */
    else if (st == VEM_OK)
        st = blr_mstep(b, ess);
done:
    vem__free(mean);
    vem__free(var);
    vem__free(ess);
    return st;
}


/* ------------------------------------------------------ MacKay's ARD */

/* ||t - Z mu||^2 from the ESS: t^T t - 2 mu^T Z^T t + mu^T Z^T Z mu (zz: upper triangle). */
static double mackay_rss(const vem_blr *b, const double *ess)
{
    const size_t d = b->d;
    const double *zt = ess + 2, *zz = ess + 2 + d, *mu = b->mu;
    double q = ess[1];
    for (size_t i = 0; i < d; i++) {
        if (b->pruned[i])
            continue;
        double s = zz[i * d + i] * mu[i];
        for (size_t j = i + 1; j < d; j++)
            if (!b->pruned[j])
                s += 2.0 * zz[i * d + j] * mu[j];
        q += mu[i] * (s - 2.0 * zt[i]);
    }
    return fmax(q, 0.0);
}

/*
 * L = ln p(t | lambda, beta) + sum_i (c0 ln lambda_i - d0 lambda_i) + a0 ln beta - b0 beta
 * over the kept weights, for q(w) just computed from these precisions (posterior_w):
 * ln p(t | lambda, beta) = n/2 (ln beta - ln 2 pi) + 1/2 sum ln lambda_i + 1/2 ln|Sigma|
 * - beta/2 rss - 1/2 sum lambda_i mu_i^2 (PRML eq. 3.86 with one precision per weight).
 */
static double mackay_objective(const vem_blr *b, double n, double rss)
{
    double s = 0.5 * n * (b->elnbeta - LOG_2PI) + 0.5 * b->logdet_sigma - 0.5 * b->ebeta * rss +
               b->a0 * b->elnbeta - b->b0 * b->ebeta;
    for (size_t j = 0; j < b->d; j++)
        if (!b->pruned[j])
            s += (0.5 + b->c0) * b->elnalpha[j] - 0.5 * b->ealpha[j] * b->mu[j] * b->mu[j] -
                 b->d0 * b->ealpha[j];
    return s;
}

/*
 * MacKay's re-estimation from q(w) and rss: gamma_i = 1 - lambda_i Sigma_ii,
 * lambda_i = (gamma_i + 2 c0) / (mu_i^2 + 2 d0), beta = (n - sum gamma + 2 a0) /
 * (rss + 2 b0); then every kept weight whose lambda_i passed the threshold is pruned
 * (mu_i = 0). Returns the number of weights still kept.
 */
static size_t mackay_update(vem_blr *b, double n, double rss)
{
    const size_t d = b->d;
    double sg = 0.0;
    for (size_t j = 0; j < d; j++) {
        if (b->pruned[j])
            continue;
        double g = 1.0 - b->ealpha[j] * b->sigma[j * d + j]; /* the old lambda_i */
        sg += g;
        b->alpha_a[j] = (g + 2.0 * b->c0) / (b->mu[j] * b->mu[j] + 2.0 * b->d0);
        b->alpha_b[j] = 1.0;
    }
    b->beta_a = (n - sg + 2.0 * b->a0) / (rss + 2.0 * b->b0);
    b->beta_b = 1.0;
    size_t kept = 0;
    for (size_t j = 0; j < d; j++) {
        if (!b->pruned[j] && b->alpha_a[j] > b->prune) {
            b->pruned[j] = 1;
            b->mu[j] = 0.0;
        }
        kept += !b->pruned[j];
    }
    derive(b);
    return kept;
}

static vem_status trace_add(vem_trace_entry **tr, size_t *len, size_t *cap,
                            const vem_trace_entry *e)
{
    if (*len == *cap) {
        size_t nc = *cap ? 2 * *cap : 64;
        vem_trace_entry *t = vem__realloc(*tr, nc * sizeof *t);
        if (!t)
            return VEM_FAIL(VEM_ENOMEM, "trace");
        *tr = t;
        *cap = nc;
    }
    (*tr)[(*len)++] = *e;
    return VEM_OK;
}

/*
 * ARD by MacKay's update: the transform, the start and the ESS from the engine's
 * initialisation (one pass, summed over a communicator's processes, so that every
 * process iterates alike), then ARDRegression's loop on the ESS.
 */
static vem_status fit_mackay(vem_blr *b, const vem_model *m, const vem_data *data,
                             const vem_fit_opts *o, vem_rng *rng, vem_fit_result *res)
{
    const size_t d = b->d;
    const double t0 = vem__now();
    double *ess = vem__alloc_doubles(blr_ess_len(b), 1), *prev = vem__alloc_doubles(d, 1);
    vem_trace_entry *tr = NULL;
    size_t len = 0, cap = 0, k = 0, nviol = 0;
    int converged = 0;
    double obj = NAN, n = 0.0;
    vem_fit *f = NULL;
    vem_status st = VEM_OK;
    if (!ess || !prev) {
        st = VEM_FAIL(VEM_ENOMEM, "MacKay's ARD: statistics");
        goto done;
    }
    f = vem_fit_new(m, data, o);
    if (!f) {
        st = vem__last_status();
        goto done;
    }
    b->mk_ess = ess;
    st = vem_fit_init(f, rng);
    b->mk_ess = NULL;
    if (st != VEM_OK)
        goto done;
    n = ess[0];
    size_t kept = d - vem_blr_n_pruned(b), m_unused;
    while (k < o->max_iter && kept > 0) {
        if ((st = posterior_w(b, ess, &m_unused)) != VEM_OK)
            goto done;
        double rss = mackay_rss(b, ess), cur = mackay_objective(b, n, rss);
        if (!isfinite(cur)) {
            st = VEM_FAIL(VEM_ENUMERIC, "blr: objective is %g in iteration %zu", cur, k + 1);
            goto done;
        }
        vem_trace_entry e = {.iter = k + 1, .objective = cur, .seconds = vem__now() - t0};
        if (k > 0) {
            e.change = (cur - obj) / n;
            e.violation = cur < obj - o->mono_rtol * (fabs(obj) + n);
            nviol += (size_t)e.violation;
        }
        if ((st = trace_add(&tr, &len, &cap, &e)) != VEM_OK)
            goto done;
        if (o->progress) {
            /* As the engine reports its own loops' entries (vem_progress). */
            vem_progress p = {.model = m->ops->name,
                              .label = o->label,
                              .restart = 0,
                              .n_restarts = 1,
                              .iter = e.iter,
                              .max_iter = o->max_iter,
                              .objective = e.objective,
                              .n_obs = n,
                              .change = e.change,
                              .tol = o->tol,
                              .tol_rule = o->tol_rule,
                              .seconds = e.seconds,
                              .fit_seconds = e.seconds,
                              .violation = e.violation};
            o->progress(o->progress_ctx, &p);
        }
        obj = cur;
        k++;
        kept = mackay_update(b, n, rss);
        if (!isfinite(b->ebeta) || !(b->ebeta > 0.0)) {
            st = VEM_FAIL(VEM_ENUMERIC, "noise precision is %g", b->ebeta);
            goto done;
        }
        /* ARDRegression's test: the posterior means moved by less than tol in all. */
        double moved = 0.0;
        for (size_t j = 0; j < d; j++)
            moved += fabs(prev[j] - b->mu[j]);
        if (k > 1 && moved < o->tol) {
            converged = 1;
            break;
        }
        memcpy(prev, b->mu, d * sizeof *prev);
    }
    if (kept == 0)
        converged = 1; /* nothing left to fit */
    /* q(w) from the final precisions, and its objective. */
    if ((st = posterior_w(b, ess, &m_unused)) != VEM_OK)
        goto done;
    derive(b);
    obj = mackay_objective(b, n, mackay_rss(b, ess));
    if (!isfinite(obj))
        st = VEM_FAIL(VEM_ENUMERIC, "blr: objective is %g", obj);
done:
    vem_fit_free(f);
    vem__free(ess);
    vem__free(prev);
    if (st != VEM_OK) {
        vem__free(tr);
        return st;
    }
    res->converged = converged;
    res->n_iter = k;
    res->n_steps = k;
    res->objective = obj;
    res->n_obs = n;
    res->n_violations = nviol;
    res->best_init = 0;
    res->seconds = vem__now() - t0;
    res->trace = tr;
    res->trace_len = len;
    return converged ? VEM_OK : VEM_EMAXITER;
}

/* ------------------------------------------------------------ the fit */

vem_status vem_blr_fit(vem_blr *b, const vem_matrix *x, const double *y, const vem_fit_opts *o,
                       vem_fit_result *res)
{
    if (res)
        memset(res, 0, sizeof *res);
    const vem_comm *comm = o ? o->comm : NULL;
    if (!x || (x->rows && (!x->data || !y)))
        return VEM_FAIL(VEM_EINVAL, "no data");
    if (x->cols != b->d)
        return VEM_FAIL(VEM_EINVAL, "data has %zu columns, the model has d=%zu", x->cols, b->d);
    /* With a communicator x is one process's share, possibly empty: the initialisation
     * checks the total, and the processes agree on their targets before the fit. */
    if (x->rows < 2 && !comm)
        return VEM_FAIL(VEM_EINVAL, "%zu rows: at least 2 are needed", x->rows);
    vem_status bad = VEM_OK;
    for (size_t r = 0; r < x->rows && bad == VEM_OK; r++)
        if (!isfinite(y[r]))
            bad = comm ? VEM_FAIL(VEM_EINVAL, "target of row %zu of process %d's share is not "
                                  "finite", r + 1, comm->rank)
                       : VEM_FAIL(VEM_EINVAL, "target of row %zu is not finite", r + 1);
    if ((bad = vem_comm_agree(comm, bad)) != VEM_OK)
        return bad;
    vem_fit_opts opts;
    if (o)
        opts = *o;
    else
        vem_fit_opts_init(&opts);
    if (opts.n_init != 1)
        return VEM_FAIL(VEM_EINVAL, "n_init=%zu: the start is deterministic, use 1", opts.n_init);
    if (b->ard && (opts.checkpoint || opts.resume))
        return VEM_FAIL(VEM_EUNSUP, "ARD fits prune weights and fit again: checkpoints are not "
                                    "supported with ARD (fit without --checkpoint/--resume)");
    if (opts.algorithm != VEM_ALG_BATCH)
        return VEM_FAIL(VEM_EUNSUP, "Bayesian linear regression fits in batch (closed-form "
                                    "updates); algorithm '%s' is not supported",
                        vem_algorithm_name(opts.algorithm) ? vem_algorithm_name(opts.algorithm)
                                                           : "?");
    /* The data statistics (centring, standardisation) always come from x: a warm
     * start keeps only the hyperposteriors q(alpha), q(beta) to start from. */
    b->keep_start = opts.warm_start;
    opts.warm_start = 0;
    vem_model m = {.ops = &blr_ops, .self = b};
    vem_data data = vem_data_rows(*x);
    vem_rng rng;
    vem_rng_seed(&rng, 0);
    vem_fit_result local;
    memset(&local, 0, sizeof local);
    b->y = y;
    vem_status st = is_mackay(b) ? fit_mackay(b, &m, &data, &opts, &rng, &local)
                                 : vem_fit_run(&m, &data, &opts, &rng, &local);
    /* VB's ARD: prune the weights whose precision passed the threshold, refit the rest. */
    while (b->ard && !is_mackay(b) && (st == VEM_OK || st == VEM_EMAXITER)) {
        size_t newly = 0;
        for (size_t j = 0; j < b->d; j++)
            if (!b->pruned[j] && b->ealpha[j] > b->prune) {
                b->pruned[j] = 1;
                newly++;
            }
        if (!newly)
            break;
        size_t iters = local.n_iter;
        vem_fit_result_clear(&local);
        opts.warm_start = 1;
        st = vem_fit_run(&m, &data, &opts, &rng, &local);
        local.n_iter += iters;
    }
    b->y = NULL;
    b->keep_start = 0;
    if (res)
        *res = local;
    else
        vem_fit_result_clear(&local);
    return st;
}

/* ------------------------------------------------------------ prediction */

static double predict_row(const vem_blr *b, const double *x, double *z, double *var)
{
    const size_t d = b->d;
    double mean = b->yshift, v = 1.0 / b->ebeta;
    for (size_t j = 0; j < d; j++) {
        z[j] = (x[j] - b->shift[j]) / b->scale[j];
        mean += z[j] * b->mu[j];
    }
    for (size_t i = 0; i < d; i++) {
        double s = 0.0;
        for (size_t j = 0; j < d; j++)
            s += b->sigma[i * d + j] * z[j];
        v += z[i] * s;
    }
    *var = v;
    return mean;
}

vem_status vem_blr_predict(const vem_blr *b, const vem_matrix *x, double *mean, double *sd)
{
    if (!x || !x->data || x->cols != b->d)
        return VEM_FAIL(VEM_EINVAL, "data has %zu columns, the model has d=%zu",
                        x ? x->cols : 0, b->d);
    double *z = vem__alloc_doubles(b->d, 1);
    if (!z)
        return VEM_FAIL(VEM_ENOMEM, "predict");
    for (size_t r = 0; r < x->rows; r++) {
        double var;
        double m = predict_row(b, x->data + r * x->ld, z, &var);
        if (!isfinite(m) || !(var >= 0) || !isfinite(var)) {
            vem__free(z);
            return VEM_FAIL(VEM_ENUMERIC,
                            "data row %zu: the prediction is not finite (mean %g, variance %g)",
                            r + 1, m, var);
        }
        if (mean)
            mean[r] = m;
        if (sd)
            sd[r] = sqrt(var);
    }
    vem__free(z);
    return VEM_OK;
}

vem_status vem_blr_score(const vem_blr *b, const vem_matrix *x, const double *y, double *mean,
                         double *total)
{
    if (!x || !x->data || x->cols != b->d || !y)
        return VEM_FAIL(VEM_EINVAL, "data has %zu columns, the model has d=%zu",
                        x ? x->cols : 0, b->d);
    if (x->rows == 0)
        return VEM_FAIL(VEM_EINVAL, "no rows to score");
    double *z = vem__alloc_doubles(b->d, 1);
    if (!z)
        return VEM_FAIL(VEM_ENOMEM, "score");
    double s = 0.0;
    for (size_t r = 0; r < x->rows; r++) {
        double var;
        double m = predict_row(b, x->data + r * x->ld, z, &var);
        double lr = -0.5 * (LOG_2PI + log(var)) - 0.5 * (y[r] - m) * (y[r] - m) / var;
        if (!isfinite(lr)) {
            vem__free(z);
            return VEM_FAIL(VEM_ENUMERIC, "data row %zu: its log predictive density is not "
                            "finite (mean %g, variance %g)", r + 1, m, var);
        }
        s += lr;
    }
    if (!isfinite(s)) {
        vem__free(z);
        return VEM_FAIL(VEM_ENUMERIC, "the total log predictive density is not finite (%g): "
                        "the rows' sum overflows", s);
    }
    vem__free(z);
    if (mean)
        *mean = s / (double)x->rows;
    if (total)
        *total = s;
    return VEM_OK;
}

/* ------------------------------------------------------------ state */

size_t vem_blr_state_len(const vem_blr *b)
{
    return 4 * b->d + 1 + b->d * b->d + 2 * b->na + 2;
}

void vem_blr_state_get(const vem_blr *b, double *out)
{
    const size_t d = b->d;
    double *p = out;
    memcpy(p, b->shift, d * sizeof *p);
    p += d;
    memcpy(p, b->scale, d * sizeof *p);
    p += d;
    *p++ = b->yshift;
    memcpy(p, b->mu, d * sizeof *p);
    p += d;
    memcpy(p, b->sigma, d * d * sizeof *p);
    p += d * d;
    for (size_t i = 0; i < b->na; i++) {
        *p++ = b->alpha_a[i];
        *p++ = b->alpha_b[i];
    }
    *p++ = b->beta_a;
    *p++ = b->beta_b;
    for (size_t j = 0; j < d; j++)
        *p++ = b->pruned[j] ? 1.0 : 0.0;
}

vem_status vem_blr_state_set(vem_blr *b, const double *in)
{
    const size_t d = b->d, n = vem_blr_state_len(b);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(in[i]))
            return VEM_FAIL(VEM_EINVAL, "state value %zu is not finite", i + 1);
    for (size_t j = 0; j < d; j++)
        if (!(in[d + j] > 0.0))
            return VEM_FAIL(VEM_EINVAL, "scale of column %zu is %g, not positive", j + 1,
                            in[d + j]);
    const double *g = in + 3 * d + 1 + d * d;
    for (size_t i = 0; i < 2 * b->na + 2; i++)
        if (!(g[i] > 0.0))
            return VEM_FAIL(VEM_EINVAL, "Gamma parameter %zu is %g, not positive", i + 1, g[i]);
    for (size_t j = 0; j < d; j++) {
        double s = in[3 * d + 1 + j * d + j];
        if (!(s >= 0.0))
            return VEM_FAIL(VEM_EINVAL, "posterior variance of weight %zu is %g", j + 1, s);
    }
    /* The posterior covariance over the kept weights: symmetric and positive definite,
     * checked before b changes (its log-determinant enters the bound). */
    const double *sg = in + 3 * d + 1, *pr = g + 2 * b->na + 2;
    double logdet = 0.0;
    {
        size_t m = 0;
        for (size_t i = 0; i < d; i++)
            m += pr[i] == 0.0;
        double *sk = b->work, *lk = b->work + d * d;
        size_t r = 0;
        for (size_t i = 0; i < d; i++) {
            if (pr[i] != 0.0)
                continue;
            size_t c = 0;
            for (size_t j = 0; j < d; j++) {
                if (pr[j] != 0.0)
                    continue;
                double a = sg[i * d + j], t = sg[j * d + i];
                if (fabs(a - t) > 1e-6 * sqrt(fabs(sg[i * d + i] * sg[j * d + j])))
                    return VEM_FAIL(VEM_EINVAL,
                                    "sigma is not symmetric: [%zu][%zu] = %g, [%zu][%zu] = %g",
                                    i + 1, j + 1, a, j + 1, i + 1, t);
                sk[r * m + c++] = a;
            }
            r++;
        }
        if (m) {
            size_t bad = vem__cholesky(m, sk, lk);
            if (bad)
                return VEM_FAIL(VEM_EINVAL,
                                "sigma is not positive definite (pivot %zu of the %zu kept "
                                "weights)",
                                bad, m);
            for (size_t i = 0; i < m; i++)
                logdet += 2.0 * log(lk[i * m + i]);
        }
    }
    const double *p = in;
    memcpy(b->shift, p, d * sizeof *p);
    p += d;
    memcpy(b->scale, p, d * sizeof *p);
    p += d;
    b->yshift = *p++;
    memcpy(b->mu, p, d * sizeof *p);
    p += d;
    memcpy(b->sigma, p, d * d * sizeof *p);
    p += d * d;
    for (size_t i = 0; i < b->na; i++) {
        b->alpha_a[i] = *p++;
        b->alpha_b[i] = *p++;
    }
    b->beta_a = *p++;
    b->beta_b = *p++;
    for (size_t j = 0; j < d; j++)
        b->pruned[j] = *p++ != 0.0;
    b->logdet_sigma = logdet; /* ln|Sigma| over the kept weights, for the bound */
    derive(b);
    return VEM_OK;
}
