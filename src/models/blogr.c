/*
 * src/models/blogr.c — Bayesian logistic regression by stochastic variational
 * inference on the engine's gradient path (include/vem/blogr.h, docs/blogr.md).
 *
 * Units are rows of an n x (d + 1) matrix, the label last. The E-step adds each
 * row's reparameterisation gradient of (1/S) sum_s ln p(y | z, m + L eps_s) - KL/N
 * with respect to theta = (m, scale part), and returns the estimate; the
 * engine's Adam ascends it (VEM_ALG_ADAM). Writing w = m + L eps and
 * a = z^T w, d ln p / d a = y - sigmoid(a), so per draw
 *     d/dm = g z,  d/dL_ij = g z_i eps_j (j < i),  d/d ln L_ii = g z_i eps_i L_ii,
 * with g = (y - sigmoid(a)) / S. With Sigma = L L^T and prior N(0, v I),
 *     KL = 1/2 [(tr Sigma + m^T m) / v - p + p ln v - ln |Sigma|],
 *     d(-KL)/dm = -m / v,  d(-KL)/dL_ij = -L_ij / v,  d(-KL)/d ln L_ii = 1 - L_ii^2 / v.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <vem/blogr.h>
#include <vem/comm.h>
#include <vem/model.h>

#include "internal.h"
#include "models/kmeans.h"

#define MAX_D 4096
#define START_SCALE 0.1

struct vem_blogr {
    size_t d, p, np; /* features, weights, parameters */
    vem_blogr_family family;
    int intercept, standardize;
    double prior_var;
    size_t samples;
    uint64_t seed;
    char **columns;
    char *target;

    double *shift, *scale; /* d */
    double *theta;         /* np: m, then ln s (mean field) or L's rows with ln L_ii */
    double *L;             /* p x p, row-major lower triangle (derived) */

    uint64_t key;   /* the pass's noise key (vem_model_ops.noise_key) */
    uint64_t first; /* the pass data's first unit among all processes' units */
    double n_total; /* the fit's rows: KL's divisor */
};

static const char *const family_names[] = {"mean-field", "full-rank"};

const char *vem_blogr_family_name(vem_blogr_family f)
{
    return vem__name_of(family_names, 2, (int)f);
}

vem_status vem_blogr_family_parse(const char *name, vem_blogr_family *out)
{
    size_t i = vem__name_find(name, family_names, 2);
    if (i == 2)
        return VEM_FAIL(VEM_EINVAL, "unknown family '%s' (mean-field or full-rank)",
                        name ? name : "(null)");
    *out = (vem_blogr_family)i;
    return VEM_OK;
}

/* ------------------------------------------------------- parameters */

static size_t packed(size_t i, size_t j) { return i * (i + 1) / 2 + j; }

/* L from theta. */
static void derive(vem_blogr *b)
{
    const size_t p = b->p;
    const double *t = b->theta + p;
    memset(b->L, 0, p * p * sizeof *b->L);
    for (size_t i = 0; i < p; i++) {
        if (b->family == VEM_BLOGR_MEAN_FIELD) {
            b->L[i * p + i] = exp(t[i]);
            continue;
        }
        for (size_t j = 0; j < i; j++)
            b->L[i * p + j] = t[packed(i, j)];
        b->L[i * p + i] = exp(t[packed(i, i)]);
    }
}

/* q's start: m = 0, L = START_SCALE I. */
static void reset(vem_blogr *b)
{
    const size_t p = b->p;
    memset(b->theta, 0, b->np * sizeof *b->theta);
    for (size_t i = 0; i < p; i++)
        b->theta[p + (b->family == VEM_BLOGR_FULL_RANK ? packed(i, i) : i)] = log(START_SCALE);
    derive(b);
}

/* (Re)allocate theta and L for the current family and intercept; resets q. On failure b
 * keeps its old shapes (the caller restores the setting it changed). */
static vem_status reshape(vem_blogr *b)
{
    const size_t p = b->d + (b->intercept ? 1 : 0);
    const size_t np = p + (b->family == VEM_BLOGR_FULL_RANK ? p * (p + 1) / 2 : p);
    char what[128];
    snprintf(what, sizeof what, "Bayesian logistic regression: %zu parameters and a %zu x %zu "
             "scale matrix", np, p, p);
    if (vem__check_memory(what, ((double)np + (double)p * (double)p) * sizeof(double)) != VEM_OK)
        return VEM_ENOMEM;
    double *t = vem__alloc_doubles(np, 1), *L = vem__alloc_doubles(p, p);
    if (!t || !L) {
        vem__free(t);
        vem__free(L);
        return VEM_FAIL(VEM_ENOMEM, "Bayesian logistic regression: %zu parameters", np);
    }
    vem__free(b->theta);
    vem__free(b->L);
    b->theta = t;
    b->L = L;
    b->p = p;
    b->np = np;
    reset(b);
    return VEM_OK;
}

void vem_blogr_free(vem_blogr *b)
{
    if (!b)
        return;
    vem__free(b->shift);
    vem__free(b->scale);
    vem__free(b->theta);
    vem__free(b->L);
    vem__strings_free(b->columns, b->d);
    vem__free(b->target);
    vem__free(b);
}

vem_blogr *vem_blogr_new(size_t d)
{
    if (d == 0 || d > MAX_D) {
        VEM_FAIL(VEM_EINVAL, "vem_blogr_new: d=%zu must be in [1, %d]", d, MAX_D);
        return NULL;
    }
    vem_blogr *b = vem__calloc(1, sizeof *b);
    if (!b)
        goto oom;
    b->d = d;
    b->intercept = b->standardize = 1;
    b->prior_var = 10.0;
    b->samples = 1;
    b->shift = vem__alloc_doubles(d, 1);
    b->scale = vem__alloc_doubles(d, 1);
    if (!b->shift || !b->scale || reshape(b) != VEM_OK)
        goto oom;
    for (size_t j = 0; j < d; j++)
        b->scale[j] = 1.0;
    return b;
oom:
    vem_blogr_free(b);
    VEM_FAIL(VEM_ENOMEM, "vem_blogr_new(d=%zu): out of memory", d);
    return NULL;
}

/* ------------------------------------------------------------ accessors */

size_t vem_blogr_d(const vem_blogr *b) { return b->d; }
size_t vem_blogr_n_weights(const vem_blogr *b) { return b->p; }
vem_blogr_family vem_blogr_family_of(const vem_blogr *b) { return b->family; }
int vem_blogr_intercept_on(const vem_blogr *b) { return b->intercept; }
int vem_blogr_standardize_on(const vem_blogr *b) { return b->standardize; }
double vem_blogr_prior_var(const vem_blogr *b) { return b->prior_var; }
size_t vem_blogr_samples(const vem_blogr *b) { return b->samples; }
const char *const *vem_blogr_columns(const vem_blogr *b)
{
    return (const char *const *)b->columns;
}
const char *vem_blogr_target(const vem_blogr *b) { return b->target; }
const double *vem_blogr_q_mean(const vem_blogr *b) { return b->theta; }
const double *vem_blogr_shift(const vem_blogr *b) { return b->shift; }
const double *vem_blogr_scale(const vem_blogr *b) { return b->scale; }
size_t vem_blogr_params_len(const vem_blogr *b) { return b->np; }
void vem_blogr_set_seed(vem_blogr *b, uint64_t seed) { b->seed = seed; }

vem_status vem_blogr_set_family(vem_blogr *b, vem_blogr_family f)
{
    if (f != VEM_BLOGR_MEAN_FIELD && f != VEM_BLOGR_FULL_RANK)
        return VEM_FAIL(VEM_EINVAL, "family %d: expected mean-field or full-rank", (int)f);
    vem_blogr_family old = b->family;
    b->family = f;
    vem_status st = reshape(b);
    if (st != VEM_OK)
        b->family = old;
    return st;
}

vem_status vem_blogr_set_intercept(vem_blogr *b, int on)
{
    int old = b->intercept;
    b->intercept = on != 0;
    vem_status st = reshape(b);
    if (st != VEM_OK)
        b->intercept = old;
    return st;
}

vem_status vem_blogr_set_standardize(vem_blogr *b, int on)
{
    b->standardize = on != 0;
    return VEM_OK;
}

vem_status vem_blogr_set_prior_var(vem_blogr *b, double v)
{
    if (!(v > 0.0) || !isfinite(v))
        return VEM_FAIL(VEM_EINVAL, "prior variance %g must be positive and finite", v);
    b->prior_var = v;
    return VEM_OK;
}

vem_status vem_blogr_set_samples(vem_blogr *b, size_t s)
{
    if (s == 0 || s > 100000)
        return VEM_FAIL(VEM_EINVAL, "samples=%zu must be in [1, 100000]", s);
    b->samples = s;
    return VEM_OK;
}

vem_status vem_blogr_set_columns(vem_blogr *b, const char *const *names, const char *target)
{
    return vem__names_replace(&b->columns, &b->target, b->d, names, target);
}

vem_status vem_blogr_set_transform(vem_blogr *b, const double *shift, const double *scale)
{
    for (size_t j = 0; j < b->d; j++)
        if (!isfinite(shift[j]) || !(scale[j] > 0.0) || !isfinite(scale[j]))
            return VEM_FAIL(VEM_EINVAL, "column %zu: shift %g, scale %g (finite, scale > 0)",
                            j + 1, shift[j], scale[j]);
    memcpy(b->shift, shift, b->d * sizeof *shift);
    memcpy(b->scale, scale, b->d * sizeof *scale);
    return VEM_OK;
}

void vem_blogr_params_get(const vem_blogr *b, double *out)
{
    memcpy(out, b->theta, b->np * sizeof *out);
}

vem_status vem_blogr_params_set(vem_blogr *b, const double *in)
{
    for (size_t i = 0; i < b->np; i++)
        if (!isfinite(in[i]) || (i >= b->p && fabs(in[i]) > 700.0))
            return VEM_FAIL(VEM_ENUMERIC, "blogr: parameter %zu is %g", i, in[i]);
    memcpy(b->theta, in, b->np * sizeof *in);
    derive(b);
    return VEM_OK;
}

void vem_blogr_q_cov(const vem_blogr *b, double *out)
{
    const size_t p = b->p;
    for (size_t i = 0; i < p; i++)
        for (size_t j = 0; j <= i; j++) {
            double s = 0.0;
            for (size_t k = 0; k <= j; k++)
                s += b->L[i * p + k] * b->L[j * p + k];
            out[i * p + j] = out[j * p + i] = s;
        }
}

vem_status vem_blogr_coef(const vem_blogr *b, double *mean, double *cov)
{
    const size_t d = b->d, p = b->p, k = d + 1;
    /* A: k x p; A[j][j] = 1/scale_j, A[d][j] = -shift_j/scale_j, A[d][d] = 1 (intercept). */
    double *A = vem__alloc_doubles(k * p + p * p + k * p, 1);
    if (!A)
        return VEM_FAIL(VEM_ENOMEM, "vem_blogr_coef: %zu x %zu", k, p);
    double *S = A + k * p, *AS = S + p * p;
    for (size_t j = 0; j < d; j++) {
        A[j * p + j] = 1.0 / b->scale[j];
        A[d * p + j] = -b->shift[j] / b->scale[j];
    }
    if (b->intercept)
        A[d * p + d] = 1.0;
    if (mean)
        for (size_t i = 0; i < k; i++) {
            double s = 0.0;
            for (size_t j = 0; j < p; j++)
                s += A[i * p + j] * b->theta[j];
            mean[i] = s;
        }
    if (cov) {
        vem_blogr_q_cov(b, S);
        for (size_t i = 0; i < k; i++)
            for (size_t j = 0; j < p; j++) {
                double s = 0.0;
                for (size_t l = 0; l < p; l++)
                    s += A[i * p + l] * S[l * p + j];
                AS[i * p + j] = s;
            }
        for (size_t i = 0; i < k; i++)
            for (size_t j = 0; j < k; j++) {
                double s = 0.0;
                for (size_t l = 0; l < p; l++)
                    s += AS[i * p + l] * A[j * p + l];
                cov[i * k + j] = s;
            }
    }
    vem__free(A);
    return VEM_OK;
}

/* ------------------------------------------------------------ the objective */

static double softplus(double a) { return a > 0.0 ? a + log1p(exp(-a)) : log1p(exp(a)); }
static double sigmoid(double a)
{
    return a >= 0.0 ? 1.0 / (1.0 + exp(-a)) : exp(a) / (1.0 + exp(a));
}

double vem_blogr_kl(const vem_blogr *b)
{
    const size_t p = b->p;
    const double v = b->prior_var;
    double tr = 0.0, mm = 0.0, logdet = 0.0;
    for (size_t i = 0; i < p; i++) {
        mm += b->theta[i] * b->theta[i];
        for (size_t j = 0; j <= i; j++)
            tr += b->L[i * p + j] * b->L[i * p + j];
        logdet += 2.0 * log(b->L[i * p + i]);
    }
    return 0.5 * ((tr + mm) / v - (double)p + (double)p * log(v) - logdet);
}

/* The gradient of -KL with respect to theta, into g (np). */
static void kl_grad(const vem_blogr *b, double *g)
{
    const size_t p = b->p;
    const double v = b->prior_var;
    for (size_t i = 0; i < p; i++)
        g[i] = -b->theta[i] / v;
    for (size_t i = 0; i < p; i++) {
        double lii = b->L[i * p + i];
        if (b->family == VEM_BLOGR_MEAN_FIELD) {
            g[p + i] = 1.0 - lii * lii / v;
            continue;
        }
        for (size_t j = 0; j < i; j++)
            g[p + packed(i, j)] = -b->L[i * p + j] / v;
        g[p + packed(i, i)] = 1.0 - lii * lii / v;
    }
}

/* z (p) of a row of features. */
static void features(const vem_blogr *b, const double *x, double *z)
{
    for (size_t j = 0; j < b->d; j++)
        z[j] = (x[j] - b->shift[j]) / b->scale[j];
    if (b->intercept)
        z[b->d] = 1.0;
}

/* The generator of row u's noise under key (u: the row's place among all processes' rows
 * of the pass's data, or in the minibatch). */
static void row_rng(vem_rng *r, uint64_t key, uint64_t u)
{
    vem_rng_seed(r, key ^ (0x9E3779B97F4A7C15ULL * (u + 1)));
}

/* scratch: 3 p + np doubles. */
static double objective_grad(const vem_blogr *b, const vem_matrix *xy, size_t u0, size_t u1,
                             uint64_t key, uint64_t first, double n_total, double *grad,
                             double *scratch)
{
    const size_t p = b->p, d = b->d, S = b->samples;
    const int full = b->family == VEM_BLOGR_FULL_RANK;
    double *z = scratch, *eps = z + p, *w = eps + p, *gkl = w + p;
    double obj = 0.0;
    for (size_t r = u0; r < u1; r++) {
        const double *x = xy->data + r * xy->ld;
        const double y = x[d];
        vem_rng rng;
        row_rng(&rng, key, first + r);
        features(b, x, z);
        for (size_t s = 0; s < S; s++) {
            for (size_t i = 0; i < p; i++)
                eps[i] = vem_rng_normal(&rng);
            double a = 0.0;
            for (size_t i = 0; i < p; i++) {
                double wi = b->theta[i];
                for (size_t j = 0; j <= i; j++)
                    wi += b->L[i * p + j] * eps[j];
                w[i] = wi;
                a += z[i] * wi;
            }
            obj += (y * a - softplus(a)) / (double)S;
            if (!grad)
                continue; /* the objective only (model.h) */
            const double g = (y - sigmoid(a)) / (double)S;
            for (size_t i = 0; i < p; i++) {
                const double gz = g * z[i];
                grad[i] += gz;
                if (!full) {
                    grad[p + i] += gz * eps[i] * b->L[i * p + i];
                    continue;
                }
                double *gl = grad + p + packed(i, 0);
                for (size_t j = 0; j < i; j++)
                    gl[j] += gz * eps[j];
                gl[i] += gz * eps[i] * b->L[i * p + i];
            }
        }
    }
    const double rows = (double)(u1 - u0);
    if (rows > 0.0) {
        kl_grad(b, gkl);
        for (size_t i = 0; grad && i < b->np; i++)
            grad[i] += rows * gkl[i] / n_total;
        obj -= rows * vem_blogr_kl(b) / n_total;
    }
    return obj;
}

double vem_blogr_objective_grad(const vem_blogr *b, const vem_matrix *xy, size_t u0, size_t u1,
                                uint64_t key, double n_total, double *grad)
{
    double *scratch = vem__alloc_doubles(3 * b->p + b->np, 1);
    if (!scratch) {
        VEM_FAIL(VEM_ENOMEM, "vem_blogr_objective_grad");
        return NAN;
    }
    double obj = objective_grad(b, xy, u0, u1, key, 0, n_total, grad, scratch);
    vem__free(scratch);
    return obj;
}

/* ------------------------------------------------------------ engine ops */

static size_t blogr_ess_len(const void *self) { return ((const vem_blogr *)self)->np; }

static size_t blogr_scratch_len(const void *self, size_t block)
{
    const vem_blogr *b = self;
    (void)block;
    return 3 * b->p + b->np;
}

static size_t blogr_n_units(const void *self, const vem_data *x)
{
    (void)self;
    return x->x.rows;
}

static double blogr_n_obs(const void *self, const vem_data *x)
{
    (void)self;
    return (double)x->x.rows;
}

static double blogr_estep(const void *self, const vem_data *data, size_t u0, size_t u1,
                          double *ess, double *scratch)
{
    const vem_blogr *b = self;
    return objective_grad(b, &data->x, u0, u1, b->key, b->first, b->n_total, ess, scratch);
}

static vem_status blogr_mstep(void *self, const double *ess)
{
    (void)self;
    (void)ess;
    return VEM_FAIL(VEM_EUNSUP, "blogr is fitted by stochastic gradients (VEM_ALG_ADAM)");
}

static size_t blogr_params_len(const void *self) { return ((const vem_blogr *)self)->np; }

static void blogr_params_get(const void *self, double *out) { vem_blogr_params_get(self, out); }

static vem_status blogr_params_set(void *self, const double *in)
{
    return vem_blogr_params_set(self, in);
}

static void blogr_noise_key(void *self, uint64_t key, uint64_t first)
{
    vem_blogr *b = self;
    b->key = key;
    b->first = first;
}

/* The transform from the data (the features' moments over all processes) and q's start. */
static vem_status blogr_init(void *self, vem_fit *f, vem_rng *rng)
{
    vem_blogr *b = self;
    const size_t d = b->d;
    (void)rng;
    b->n_total = vem_fit_n_obs(f);
    if (b->n_total < 2.0)
        return VEM_FAIL(VEM_EINVAL, "%.0f rows: at least 2 are needed", b->n_total);
    double *mean = vem__alloc_doubles(d + 1, 2);
    if (!mean)
        return VEM_FAIL(VEM_ENOMEM, "initialisation");
    double *var = mean + d + 1;
    vem_status st = vem__column_moments(f, mean, var);
    for (size_t j = 0; j < d && st == VEM_OK; j++) {
        b->shift[j] = b->standardize ? mean[j] : 0.0;
        b->scale[j] = 1.0;
        if (b->standardize) {
            if (!(var[j] > 0.0))
                st = VEM_FAIL(VEM_EINVAL, "column %zu is constant: it cannot be standardised",
                              j + 1);
            else
                b->scale[j] = sqrt(var[j]);
        }
    }
    vem__free(mean);
    if (st == VEM_OK)
        reset(b);
    return st;
}

static const vem_model_ops blogr_ops = {
    .name = "blogr",
    .ess_len = blogr_ess_len,
    .scratch_len = blogr_scratch_len,
    .n_units = blogr_n_units,
    .n_obs = blogr_n_obs,
    .estep = blogr_estep,
    .mstep = blogr_mstep,
    .init = blogr_init,
    .params_len = blogr_params_len,
    .params_get = blogr_params_get,
    .params_set = blogr_params_set,
    .init_on_shares = 1,
    .gradient = 1,
    .noise_key = blogr_noise_key,
};

/* ------------------------------------------------------------ the fit */

static vem_status check_label(double y, size_t r)
{
    if (y != 0.0 && y != 1.0)
        return VEM_FAIL(VEM_EINVAL, "label of row %zu is %g: labels are 0 or 1", r + 1, y);
    return VEM_OK;
}

vem_status vem_blogr_fit(vem_blogr *b, const vem_matrix *x, const double *y,
                         const vem_fit_opts *o, vem_fit_result *res)
{
    if (res)
        memset(res, 0, sizeof *res);
    if (!x || (x->rows && (!x->data || !y)))
        return VEM_FAIL(VEM_EINVAL, "no data");
    if (x->cols != b->d)
        return VEM_FAIL(VEM_EINVAL, "data has %zu columns, the model has d=%zu", x->cols, b->d);
    if (x->rows < 2 && !(o && o->comm))
        return VEM_FAIL(VEM_EINVAL, "%zu rows: at least 2 are needed", x->rows);
    vem_fit_opts opts;
    if (o)
        opts = *o;
    else {
        vem_fit_opts_init(&opts);
        opts.algorithm = VEM_ALG_ADAM;
    }
    if (opts.algorithm != VEM_ALG_ADAM)
        return VEM_FAIL(VEM_EUNSUP, "Bayesian logistic regression is fitted by stochastic "
                                    "gradients (adam); algorithm '%s' is not supported",
                        vem_algorithm_name(opts.algorithm) ? vem_algorithm_name(opts.algorithm)
                                                           : "?");
    if (opts.validation && opts.validation->x.cols != b->d + 1)
        return VEM_FAIL(VEM_EINVAL, "validation data has %zu columns: blogr's are the %zu "
                        "features then the 0/1 label (%zu)", opts.validation->x.cols, b->d,
                        b->d + 1);
    const size_t n = x->rows, d = b->d;
    double *xy = vem__alloc_doubles(n ? n : 1, d + 1);
    if (!xy)
        return VEM_FAIL(VEM_ENOMEM, "blogr: %zu x %zu copy of the data", n, d + 1);
    vem_status st = VEM_OK;
    for (size_t r = 0; r < n && st == VEM_OK; r++) {
        const double *row = x->data + r * x->ld;
        for (size_t j = 0; j < d; j++) {
            if (!isfinite(row[j])) {
                st = VEM_FAIL(VEM_EINVAL, "row %zu, column %zu is not finite", r + 1, j + 1);
                break;
            }
            xy[r * (d + 1) + j] = row[j];
        }
        if (st == VEM_OK)
            st = check_label(y[r], r);
        xy[r * (d + 1) + d] = y[r];
    }
    /* Every process checks its share; a failure anywhere stops them all alike. */
    st = vem_comm_agree(opts.comm, st);
    /* KL's divisor: the rows of all processes (init sets it too, but a warm start has
     * no init). */
    double ntot = (double)n;
    if (st == VEM_OK && opts.comm)
        st = opts.comm->reduce(&ntot, 1, opts.comm->ctx);
    if (st == VEM_OK && ntot < 2.0)
        st = VEM_FAIL(VEM_EINVAL, "%.0f rows: at least 2 are needed", ntot);
    if (st == VEM_OK) {
        vem_model m = {.ops = &blogr_ops, .self = b};
        vem_data data = vem_data_rows(vem_matrix_view(xy, n, d + 1));
        vem_rng rng;
        vem_rng_seed(&rng, b->seed);
        b->n_total = ntot;
        st = vem_fit_run(&m, &data, &opts, &rng, res);
    }
    vem__free(xy);
    return st;
}

/* ------------------------------------------------------------ prediction */

/* E[sigmoid(sign * a)], a ~ N(mu, s^2), by the trapezoid rule on +- 12 s (241 points). */
static double expected_sigmoid(double mu, double s, double sign)
{
    if (!(s > 1e-12))
        return sigmoid(sign * mu);
    const double h = 0.1, c = h / sqrt(2.0 * 3.14159265358979323846);
    double sum = 0.0;
    for (int k = -120; k <= 120; k++) {
        double t = k * h;
        sum += exp(-0.5 * t * t) * sigmoid(sign * (mu + s * t));
    }
    return c * sum;
}

/* The logit's mean and standard deviation under q for a row of features. */
static void logit_moments(const vem_blogr *b, const double *x, double *z, double *mu,
                          double *sd)
{
    const size_t p = b->p;
    features(b, x, z);
    double m = 0.0, v = 0.0;
    for (size_t i = 0; i < p; i++)
        m += z[i] * b->theta[i];
    for (size_t j = 0; j < p; j++) { /* (L^T z)_j */
        double s = 0.0;
        for (size_t i = j; i < p; i++)
            s += b->L[i * p + j] * z[i];
        v += s * s;
    }
    *mu = m;
    *sd = sqrt(v);
}

vem_status vem_blogr_predict(const vem_blogr *b, const vem_matrix *x, double *prob)
{
    if (!x || (x->rows && !x->data) || x->cols != b->d)
        return VEM_FAIL(VEM_EINVAL, "data has %zu columns, the model has d=%zu",
                        x ? x->cols : 0, b->d);
    double *z = vem__alloc_doubles(b->p, 1);
    if (!z)
        return VEM_FAIL(VEM_ENOMEM, "predict");
    for (size_t r = 0; r < x->rows; r++) {
        double mu, sd;
        logit_moments(b, x->data + r * x->ld, z, &mu, &sd);
        if (!isfinite(mu) || !isfinite(sd)) {
            vem__free(z);
            return VEM_FAIL(VEM_ENUMERIC, "data row %zu: the logit is not finite (mean %g, "
                            "sd %g)", r + 1, mu, sd);
        }
        prob[r] = expected_sigmoid(mu, sd, 1.0);
    }
    vem__free(z);
    return VEM_OK;
}

vem_status vem_blogr_score(const vem_blogr *b, const vem_matrix *x, const double *y,
                           double *mean, double *total)
{
    if (!x || (x->rows && !x->data) || x->cols != b->d || !y)
        return VEM_FAIL(VEM_EINVAL, "data has %zu columns, the model has d=%zu",
                        x ? x->cols : 0, b->d);
    if (x->rows == 0)
        return VEM_FAIL(VEM_EINVAL, "no rows to score");
    double *z = vem__alloc_doubles(b->p, 1);
    if (!z)
        return VEM_FAIL(VEM_ENOMEM, "score");
    double s = 0.0;
    vem_status st = VEM_OK;
    for (size_t r = 0; r < x->rows && st == VEM_OK; r++) {
        double mu, sd;
        if ((st = check_label(y[r], r)) != VEM_OK)
            break;
        logit_moments(b, x->data + r * x->ld, z, &mu, &sd);
        /* p(y = 0) as E[sigmoid(-a)]: no cancellation in 1 - p */
        double lp = log(expected_sigmoid(mu, sd, y[r] == 1.0 ? 1.0 : -1.0));
        if (!isfinite(lp))
            st = VEM_FAIL(VEM_ENUMERIC, "data row %zu: its log predictive probability is not "
                          "finite (logit mean %g, sd %g)", r + 1, mu, sd);
        s += lp;
    }
    vem__free(z);
    if (st != VEM_OK)
        return st;
    if (mean)
        *mean = s / (double)x->rows;
    if (total)
        *total = s;
    return VEM_OK;
}
