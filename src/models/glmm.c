/*
 * src/models/glmm.c — random-intercept GLMMs by exact EM (adaptive Gauss-Hermite
 * quadrature) and Monte-Carlo EM (include/vem/glmm.h, docs/glmm.md).
 *
 * Units are groups: vem_data's sequences over an n x (d + 1) matrix whose rows are the
 * features then the response. For group i with linear predictors eta_j = z_j^T beta, the
 * log joint of u (less constants) is
 *     f(u) = sum_j [y_j (eta_j + u) - b(eta_j + u)] - u^2 / (2 sigma2),
 * b = softplus (binomial) or exp (Poisson); f is strictly concave (f'' <= -1 / sigma2).
 * Its mode u_hat (safeguarded Newton) and curvature give the AGQ nodes
 * u_k = u_hat + sqrt(2) s z_k, s = (-f''(u_hat))^(-1/2), and
 *     log p(y_i) = c_i + log(sqrt(2) s) + log sum_k w_k e^{z_k^2} e^{f(u_k)},
 * c_i = sum_j c(y_j) - log(2 pi sigma2) / 2. The posterior weights of the nodes give the
 * E-step's moments. Exact draws: rejection from the envelope made of the tangents of f at
 * u_hat - delta, u_hat and u_hat + delta (delta = sqrt(2) s), which bounds f above because
 * f is concave (for a normal posterior the acceptance rate is 0.89).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vem/comm.h>
#include <vem/glmm.h>
#include <vem/io.h>
#include <vem/model.h>

#include "core/comm_internal.h"
#include "internal.h"
#include "io/source_internal.h"
#include "linalg/linalg.h"
#include "linalg/special.h"

#define MAX_D 1000
#define MAX_NODES 200
#define SIGMA2_FLOOR 1e-300
#define SQRT2 1.41421356237309504880
#define LOG_2PI 1.83787706640934548356

struct vem_glmm {
    size_t d, p;
    vem_glmm_family family;
    int intercept;
    size_t nq;
    double *hz, *hw, *lw; /* nodes, weights, log w_k + z_k^2 */
    double *beta;         /* p */
    double sigma2;
    uint64_t seed;
    char **columns;
    char *target, *group;

    /* The last fit's (or the loaded file's). */
    double *se; /* p + 1, or NULL */
    size_t n_groups;
    double *labels, *umean, *usd;
    int boundary;

    /* During a fit. */
    size_t max_rows; /* rows of the largest group: the E-step's scratch */
    int glm_mode;    /* the initialisation: u = 0, no random effect */
    double *work;    /* M-step: p x p + p */
    double *hist;    /* sigma2 after each iteration, with its restart */
    size_t *hist_restart;
    size_t hist_len, hist_cap;
    size_t hist_restarts; /* the fit's restarts: the checkpoint state holds each one's path */
    vem_progress_fn user_progress;
    void *user_ctx;
};

static const char *const family_names[] = {"binomial", "poisson"};

const char *vem_glmm_family_name(vem_glmm_family f)
{
    return vem__name_of(family_names, 2, (int)f);
}

vem_status vem_glmm_family_parse(const char *name, vem_glmm_family *out)
{
    size_t i = vem__name_find(name, family_names, 2);
    if (i == 2)
        return VEM_FAIL(VEM_EINVAL, "unknown family '%s' (binomial or poisson)",
                        name ? name : "(null)");
    *out = (vem_glmm_family)i;
    return VEM_OK;
}

/* ------------------------------------------------------- Gauss-Hermite nodes */

/* Orthonormal Hermite polynomials q_0 .. q_{n-1} at z (weight e^{-z^2}): returns q_n, and
 * q_{n-1} into *qm1 and sum_{k<n} q_k^2 into *ss. */
static double hermite_q(size_t n, double z, double *qm1, double *ss)
{
    double q0 = 0.0, q1 = 0.7511255444649425; /* pi^(-1/4) */
    double s = 0.0;
    for (size_t k = 0; k < n; k++) {
        s += q1 * q1;
        double q2 = z * sqrt(2.0 / (double)(k + 1)) * q1 - sqrt((double)k / (double)(k + 1)) * q0;
        q0 = q1;
        q1 = q2;
    }
    *qm1 = q0;
    *ss = s;
    return q1;
}

/* Golub-Welsch: the eigenvalues of the Jacobi matrix (zero diagonal, off-diagonal
 * sqrt(k / 2)) are the nodes; one Newton step on q_n polishes each, and the weights are
 * Christoffel's 1 / sum_k q_k(z)^2 (accurate in relative terms in the tails too). */
static vem_status hermite_rule(size_t n, double *z, double *w)
{
    const size_t lwork = vem__sym_eig_work_len(n);
    double *a = vem__alloc_doubles(n * n + lwork, 1);
    if (!a)
        return VEM_FAIL(VEM_ENOMEM, "Gauss-Hermite rule of %zu nodes", n);
    for (size_t k = 0; k + 1 < n; k++)
        a[k * n + k + 1] = a[(k + 1) * n + k] = sqrt((double)(k + 1) / 2.0);
    int info = vem__sym_eig(n, a, z, a + n * n, lwork);
    vem__free(a);
    if (info != 0)
        return VEM_FAIL(VEM_ENUMERIC, "Gauss-Hermite rule of %zu nodes: dsyev info %d", n, info);
    for (size_t k = 0; k < n; k++) {
        double qm1, ss, qn = hermite_q(n, z[k], &qm1, &ss);
        double dq = sqrt(2.0 * (double)n) * qm1;
        if (dq != 0.0)
            z[k] -= qn / dq;
        hermite_q(n, z[k], &qm1, &ss);
        w[k] = 1.0 / ss;
    }
    if (n % 2 == 1)
        z[n / 2] = 0.0;
    for (size_t k = 0; k < n / 2; k++) { /* exact symmetry */
        double zz = 0.5 * (z[n - 1 - k] - z[k]), ww = 0.5 * (w[k] + w[n - 1 - k]);
        z[k] = -zz;
        z[n - 1 - k] = zz;
        w[k] = w[n - 1 - k] = ww;
    }
    return VEM_OK;
}

/* ------------------------------------------------------- object */

static void forget_fit(vem_glmm *g)
{
    vem__free(g->se);
    vem__free(g->labels);
    g->se = g->labels = g->umean = g->usd = NULL;
    g->n_groups = 0;
    g->boundary = 0;
}

void vem_glmm_free(vem_glmm *g)
{
    if (!g)
        return;
    forget_fit(g);
    vem__free(g->hz);
    vem__free(g->beta);
    vem__free(g->work);
    vem__free(g->hist);
    vem__free(g->hist_restart);
    vem__strings_free(g->columns, g->d);
    vem__free(g->target);
    vem__free(g->group);
    vem__free(g);
}

/* beta and the M-step's work for the current p; beta reset to 0. */
static vem_status reshape(vem_glmm *g, size_t p)
{
    double *b = vem__alloc_doubles(p ? p : 1, 1), *w = vem__alloc_doubles(p * p + p + 1, 1);
    if (!b || !w) {
        vem__free(b);
        vem__free(w);
        return VEM_FAIL(VEM_ENOMEM, "GLMM with %zu coefficients", p);
    }
    vem__free(g->beta);
    vem__free(g->work);
    g->beta = b;
    g->work = w;
    g->p = p;
    forget_fit(g);
    return VEM_OK;
}

vem_glmm *vem_glmm_new(size_t d)
{
    if (d > MAX_D) {
        VEM_FAIL(VEM_EINVAL, "vem_glmm_new: d=%zu must be at most %d", d, MAX_D);
        return NULL;
    }
    vem_glmm *g = vem__calloc(1, sizeof *g);
    if (!g || reshape(g, d + 1) != VEM_OK || vem_glmm_set_nodes(g, 25) != VEM_OK) {
        vem_glmm_free(g);
        VEM_FAIL(VEM_ENOMEM, "vem_glmm_new(d=%zu): out of memory", d);
        return NULL;
    }
    g->d = d;
    g->intercept = 1;
    g->sigma2 = 1.0;
    return g;
}

size_t vem_glmm_d(const vem_glmm *g) { return g->d; }
size_t vem_glmm_p(const vem_glmm *g) { return g->p; }
vem_glmm_family vem_glmm_family_of(const vem_glmm *g) { return g->family; }
int vem_glmm_intercept_on(const vem_glmm *g) { return g->intercept; }
size_t vem_glmm_nodes(const vem_glmm *g) { return g->nq; }
const double *vem_glmm_hermite_nodes(const vem_glmm *g) { return g->hz; }
const double *vem_glmm_hermite_weights(const vem_glmm *g) { return g->hw; }
void vem_glmm_set_seed(vem_glmm *g, uint64_t seed) { g->seed = seed; }
const char *const *vem_glmm_columns(const vem_glmm *g)
{
    return (const char *const *)g->columns;
}
const char *vem_glmm_target(const vem_glmm *g) { return g->target; }
const char *vem_glmm_group_name(const vem_glmm *g) { return g->group; }
const double *vem_glmm_beta(const vem_glmm *g) { return g->beta; }
double vem_glmm_sigma2(const vem_glmm *g) { return g->sigma2; }
int vem_glmm_at_boundary(const vem_glmm *g) { return g->boundary; }
const double *vem_glmm_stderr(const vem_glmm *g) { return g->se; }
size_t vem_glmm_params_len(const vem_glmm *g) { return g->p + 1; }

size_t vem_glmm_groups(const vem_glmm *g, const double **labels, const double **u_mean,
                       const double **u_sd)
{
    if (labels)
        *labels = g->labels;
    if (u_mean)
        *u_mean = g->umean;
    if (u_sd)
        *u_sd = g->usd;
    return g->n_groups;
}

vem_status vem_glmm_set_family(vem_glmm *g, vem_glmm_family f)
{
    if (f != VEM_GLMM_BINOMIAL && f != VEM_GLMM_POISSON)
        return VEM_FAIL(VEM_EINVAL, "family %d: expected binomial or poisson", (int)f);
    g->family = f;
    forget_fit(g);
    return VEM_OK;
}

vem_status vem_glmm_set_intercept(vem_glmm *g, int on)
{
    on = on != 0;
    if (!on && g->d == 0)
        return VEM_FAIL(VEM_EINVAL, "a GLMM without features needs the intercept");
    vem_status st = reshape(g, g->d + (size_t)on);
    if (st == VEM_OK)
        g->intercept = on;
    return st;
}

vem_status vem_glmm_set_nodes(vem_glmm *g, size_t n)
{
    if (n < 1 || n > MAX_NODES)
        return VEM_FAIL(VEM_EINVAL, "quadrature nodes=%zu must be in [1, %d]", n, MAX_NODES);
    double *z = vem__alloc_doubles(n, 3);
    if (!z)
        return VEM_FAIL(VEM_ENOMEM, "Gauss-Hermite rule of %zu nodes", n);
    vem_status st = hermite_rule(n, z, z + n);
    if (st != VEM_OK) {
        vem__free(z);
        return st;
    }
    for (size_t k = 0; k < n; k++)
        z[2 * n + k] = log(z[n + k]) + z[k] * z[k];
    vem__free(g->hz);
    g->hz = z;
    g->hw = z + n;
    g->lw = z + 2 * n;
    g->nq = n;
    return VEM_OK;
}

vem_status vem_glmm_set_names(vem_glmm *g, const char *const *columns, const char *target,
                              const char *group)
{
    char *gr = group ? vem__strdup(group) : NULL;
    if (group && !gr)
        return VEM_FAIL(VEM_ENOMEM, "names");
    vem_status st = vem__names_replace(&g->columns, &g->target, g->d, columns, target);
    if (st != VEM_OK) {
        vem__free(gr);
        return st;
    }
    vem__free(g->group);
    g->group = gr;
    return VEM_OK;
}

void vem_glmm_params_get(const vem_glmm *g, double *out)
{
    memcpy(out, g->beta, g->p * sizeof *out);
    out[g->p] = g->sigma2;
}

static vem_status params_set(vem_glmm *g, const double *in, int forget)
{
    for (size_t j = 0; j < g->p; j++)
        if (!isfinite(in[j]))
            return VEM_FAIL(VEM_EINVAL, "glmm: coefficient %zu is %g", j + 1, in[j]);
    if (!(in[g->p] > 0.0) || !isfinite(in[g->p]))
        return VEM_FAIL(VEM_EINVAL, "glmm: sigma2 is %g (positive and finite)", in[g->p]);
    memcpy(g->beta, in, g->p * sizeof *in);
    g->sigma2 = in[g->p];
    if (forget)
        forget_fit(g);
    return VEM_OK;
}

vem_status vem_glmm_params_set(vem_glmm *g, const double *in) { return params_set(g, in, 1); }

vem_status vem_glmm_set_params(vem_glmm *g, const double *beta, double sigma2)
{
    double *t = vem__alloc_doubles(g->p + 1, 1);
    if (!t)
        return VEM_FAIL(VEM_ENOMEM, "glmm parameters");
    memcpy(t, beta, g->p * sizeof *t);
    t[g->p] = sigma2;
    vem_status st = params_set(g, t, 1);
    vem__free(t);
    return st;
}

vem_status vem_glmm_restore_fit(vem_glmm *g, const double *se, size_t n_groups,
                                const double *labels, const double *u_mean, const double *u_sd,
                                int at_boundary)
{
    forget_fit(g);
    if (se) {
        if (!(g->se = vem__alloc_doubles(g->p + 1, 1)))
            return VEM_FAIL(VEM_ENOMEM, "standard errors");
        memcpy(g->se, se, (g->p + 1) * sizeof *se);
    }
    if (n_groups) {
        if (!(g->labels = vem__alloc_doubles(n_groups, 3)))
            return VEM_FAIL(VEM_ENOMEM, "%zu groups", n_groups);
        g->umean = g->labels + n_groups;
        g->usd = g->umean + n_groups;
        memcpy(g->labels, labels, n_groups * sizeof *labels);
        memcpy(g->umean, u_mean, n_groups * sizeof *u_mean);
        memcpy(g->usd, u_sd, n_groups * sizeof *u_sd);
        g->n_groups = n_groups;
    }
    g->boundary = at_boundary != 0;
    return VEM_OK;
}

/* ------------------------------------------------------- one group */

static double softplus(double a) { return a > 0.0 ? a + log1p(exp(-a)) : log1p(exp(a)); }

/* The linear predictor of a row of features. */
static double row_eta(const vem_glmm *g, const double *x)
{
    double e = g->intercept ? g->beta[0] : 0.0;
    const double *b = g->beta + (g->intercept ? 1 : 0);
    for (size_t j = 0; j < g->d; j++)
        e += b[j] * x[j];
    return e;
}

/* The inverse link. */
static double mean_of(const vem_glmm *g, double eta)
{
    if (g->family == VEM_GLMM_POISSON)
        return exp(eta);
    return eta >= 0.0 ? 1.0 / (1.0 + exp(-eta)) : exp(eta) / (1.0 + exp(eta));
}

/* A group: its rows' linear predictors and responses. */
typedef struct grp {
    const double *eta, *y;
    size_t n;
    double cst; /* sum_j c(y_j) - log(2 pi sigma2) / 2 */
} grp;

/*
 * f(u) less constants, and f'(u) into *d1, f''(u) into *d2 (either may be NULL); with mu
 * and w (may be NULL) each row's mean and variance function at eta_j + u.
 */
static double eval_f(const vem_glmm *g, const grp *gr, double u, double *d1, double *d2,
                     double *mu, double *w)
{
    double f = 0.0, s1 = 0.0, s2 = 0.0;
    const int pois = g->family == VEM_GLMM_POISSON;
    for (size_t j = 0; j < gr->n; j++) {
        const double a = gr->eta[j] + u, y = gr->y[j];
        double m, v;
        if (pois) {
            m = exp(a);
            v = m;
            f += y * a - m;
        } else {
            const double e = exp(-fabs(a));
            m = a >= 0.0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
            v = m * (1.0 - m);
            f += y * a - (a > 0.0 ? a : 0.0) - log1p(e);
        }
        s1 += y - m;
        s2 += v;
        if (mu) {
            mu[j] = m;
            w[j] = v;
        }
    }
    f -= 0.5 * u * u / g->sigma2;
    if (d1)
        *d1 = s1 - u / g->sigma2;
    if (d2)
        *d2 = -s2 - 1.0 / g->sigma2;
    return f;
}

/* The mode of f (safeguarded Newton: f' decreases, so every point brackets the root on one
 * side); f at the mode into *fmode, f'' into *d2. NaN when it fails. */
static double find_mode(const vem_glmm *g, const grp *gr, double *fmode, double *d2)
{
    double u = 0.0, lo = -INFINITY, hi = INFINITY;
    const double cap = 2.0 + 10.0 * sqrt(g->sigma2);
    for (int it = 0; it < 200; it++) {
        double g1, h;
        eval_f(g, gr, u, &g1, &h, NULL, NULL);
        if (!isfinite(g1) || !isfinite(h))
            return NAN;
        if (g1 == 0.0)
            break; /* the root itself (bisecting now would leave it) */
        if (g1 > 0.0)
            lo = u;
        else
            hi = u;
        double step = g1 / -h;
        if (step > cap)
            step = cap;
        else if (step < -cap)
            step = -cap;
        if (fabs(step) <= 1e-13 * (1.0 + fabs(u))) {
            u += step;
            break;
        }
        double next = u + step;
        if (!(next > lo && next < hi) && isfinite(lo) && isfinite(hi))
            next = 0.5 * (lo + hi);
        u = next;
        if (isfinite(lo) && isfinite(hi) && hi - lo <= 1e-14 * (1.0 + fabs(u)))
            break;
    }
    *fmode = eval_f(g, gr, u, NULL, d2, NULL, NULL);
    return u;
}

static double group_const(const vem_glmm *g, const grp *gr)
{
    double c = -0.5 * (LOG_2PI + log(g->sigma2));
    if (g->family == VEM_GLMM_POISSON)
        for (size_t j = 0; j < gr->n; j++)
            c -= vem__lgamma(gr->y[j] + 1.0);
    return c;
}

/*
 * AGQ on a group: returns log p(y_i) and, when mu_bar (n) is not NULL, the posterior
 * means of each row's mean and variance function (mu_bar, w_bar) and of u and u^2
 * (mom[0], mom[1]); tmu, tw: n doubles of scratch. *u_hat, *scale, *fmode (each may be
 * NULL): the mode, the scale and f at the mode.
 */
static double agq(const vem_glmm *g, const grp *gr, double *mu_bar, double *w_bar,
                  double *mom, double *tmu, double *tw, double *u_hat, double *scale,
                  double *fmode)
{
    double fm, h;
    const double um = find_mode(g, gr, &fm, &h);
    if (!isfinite(um) || !(h < 0.0))
        return NAN;
    const double s = 1.0 / sqrt(-h), c = SQRT2 * s;
    double A = 0.0, e1 = 0.0, e2 = 0.0;
    if (mu_bar) {
        memset(mu_bar, 0, gr->n * sizeof *mu_bar);
        memset(w_bar, 0, gr->n * sizeof *w_bar);
    }
    for (size_t k = 0; k < g->nq; k++) {
        const double u = um + c * g->hz[k];
        const double f = eval_f(g, gr, u, NULL, NULL, mu_bar ? tmu : NULL, tw);
        const double a = exp(g->lw[k] + f - fm);
        A += a;
        e1 += a * u;
        e2 += a * u * u;
        if (mu_bar)
            for (size_t j = 0; j < gr->n; j++) {
                mu_bar[j] += a * tmu[j];
                w_bar[j] += a * tw[j];
            }
    }
    if (mu_bar) {
        for (size_t j = 0; j < gr->n; j++) {
            mu_bar[j] /= A;
            w_bar[j] /= A;
        }
        mom[0] = e1 / A;
        mom[1] = e2 / A;
    }
    if (u_hat)
        *u_hat = um;
    if (scale)
        *scale = s;
    if (fmode)
        *fmode = fm;
    return gr->cst + log(c) + fm + log(A);
}

/* ------------------------------------------------------- engine ops */

static size_t glmm_ess_len(const void *self)
{
    const vem_glmm *g = self;
    return g->p + g->p * g->p + 2;
}

static size_t glmm_scratch_len(const void *self, size_t block)
{
    (void)block;
    return 7 * (((const vem_glmm *)self)->max_rows + 1);
}

static size_t glmm_n_units(const void *self, const vem_data *x)
{
    (void)self;
    return x->n_seq;
}

static double glmm_n_obs(const void *self, const vem_data *x)
{
    (void)self;
    return (double)x->x.rows;
}

/* Group u of data: its linear predictors into eta, responses into y. */
static grp load_group(const vem_glmm *g, const vem_data *data, size_t u, double *eta, double *y)
{
    const size_t r0 = data->seq_start[u], r1 = data->seq_start[u + 1], ld = data->x.ld;
    for (size_t r = r0; r < r1; r++) {
        const double *row = data->x.data + r * ld;
        eta[r - r0] = row_eta(g, row);
        y[r - r0] = row[g->d];
    }
    grp gr = {eta, y, r1 - r0, 0.0};
    gr.cst = group_const(g, &gr);
    return gr;
}

/* Add the statistics of a group, given its rows' mean mu and weight w (posterior averages)
 * and E[u^2], into ess. */
static void add_stats(const vem_glmm *g, const vem_data *data, size_t u, const double *y,
                      const double *mu, const double *w, double eu2, double *ess)
{
    const size_t p = g->p, d = g->d, off = g->intercept ? 1 : 0, ld = data->x.ld;
    const size_t r0 = data->seq_start[u], r1 = data->seq_start[u + 1];
    double *sc = ess, *H = ess + p;
    for (size_t r = r0; r < r1; r++) {
        const double *x = data->x.data + r * ld;
        const size_t j = r - r0;
        const double res = y[j] - mu[j], wj = w[j];
        if (off) {
            sc[0] += res;
            H[0] += wj;
            for (size_t b = 0; b < d; b++)
                H[1 + b] += wj * x[b];
        }
        for (size_t a = 0; a < d; a++) {
            const double wx = wj * x[a];
            sc[off + a] += res * x[a];
            double *Ha = H + (off + a) * p + off;
            for (size_t b = a; b < d; b++)
                Ha[b] += wx * x[b];
        }
    }
    ess[p + p * p] += eu2;
    ess[p + p * p + 1] += 1.0;
}

static double glmm_estep(const void *self, const vem_data *data, size_t u0, size_t u1,
                         double *ess, double *scratch)
{
    const vem_glmm *g = self;
    const size_t m = g->max_rows + 1;
    double *eta = scratch, *y = eta + m, *mu = y + m, *w = mu + m, *tmu = w + m, *tw = tmu + m;
    double obj = 0.0;
    for (size_t u = u0; u < u1; u++) {
        grp gr = load_group(g, data, u, eta, y);
        if (g->glm_mode) {
            double f = 0.0;
            eval_f(g, &gr, 0.0, NULL, NULL, mu, w);
            for (size_t j = 0; j < gr.n; j++) /* the GLM's log-likelihood (u = 0, no prior) */
                f += g->family == VEM_GLMM_POISSON
                         ? y[j] * eta[j] - mu[j] - vem__lgamma(y[j] + 1.0)
                         : y[j] * eta[j] - softplus(eta[j]);
            add_stats(g, data, u, y, mu, w, 0.0, ess);
            obj += f;
            continue;
        }
        double mom[2] = {0.0, 0.0};
        obj += agq(g, &gr, mu, w, mom, tmu, tw, NULL, NULL, NULL);
        add_stats(g, data, u, y, mu, w, mom[1], ess);
    }
    return obj;
}

/* The three-tangent envelope of f about the mode (see the top of the file). */
typedef struct envelope {
    double fm, zl, zr, gl, gr, pl, pm; /* f(mode), knots, slopes, piece probabilities */
} envelope;

static envelope make_envelope(const vem_glmm *g, const grp *gr, double um, double fm, double s)
{
    const double delta = SQRT2 * s, ul = um - delta, ur = um + delta;
    double gl, grr;
    const double fl = eval_f(g, gr, ul, &gl, NULL, NULL, NULL);
    const double fr = eval_f(g, gr, ur, &grr, NULL, NULL, NULL);
    /* f'' <= -1/sigma2 gives f'(ul) >= delta / sigma2: the computed slopes only round. */
    const double minslope = 0.5 * delta / g->sigma2;
    if (!(gl > minslope))
        gl = minslope;
    if (!(grr < -minslope))
        grr = -minslope;
    envelope e;
    e.fm = fm;
    e.gl = gl;
    e.gr = grr;
    e.zl = fmin(um, ul + (fm - fl) / gl);
    e.zr = fmax(um, ur + (fm - fr) / grr);
    const double al = 1.0 / gl, am = e.zr - e.zl, ar = -1.0 / grr, t = al + am + ar;
    e.pl = al / t;
    e.pm = am / t;
    return e;
}

/* One exact draw from p(u | y) ~ e^{f(u)}; the rows' means and weights at it into mu, w.
 * NaN after 10^6 rejections. */
static double draw_u(const vem_glmm *g, const grp *gr, const envelope *e, vem_rng *rng,
                     double *mu, double *w)
{
    for (int tries = 0; tries < 1000000; tries++) {
        const double v = vem_rng_uniform(rng);
        double u, env;
        if (v < e->pl) {
            const double t = 1.0 - vem_rng_uniform(rng); /* (0, 1] */
            u = e->zl + log(t) / e->gl;
            env = e->gl * (u - e->zl);
        } else if (v < e->pl + e->pm) {
            u = e->zl + (e->zr - e->zl) * vem_rng_uniform(rng);
            env = 0.0;
        } else {
            const double t = 1.0 - vem_rng_uniform(rng);
            u = e->zr + log(t) / e->gr;
            env = e->gr * (u - e->zr);
        }
        const double f = eval_f(g, gr, u, NULL, NULL, mu, w);
        const double acc = 1.0 - vem_rng_uniform(rng);
        if (log(acc) <= f - e->fm - env)
            return u;
    }
    return NAN;
}

static double glmm_estep_mc(const void *self, const vem_data *data, size_t u0, size_t u1,
                            double *ess, double *scratch, const vem_mc_draw *mc)
{
    const vem_glmm *g = self;
    const size_t m = g->max_rows + 1, len = glmm_ess_len(g);
    double *eta = scratch, *y = eta + m, *mu = y + m, *w = mu + m, *tmu = w + m, *tw = tmu + m;
    double obj = 0.0;
    for (size_t u = u0; u < u1; u++) {
        grp gr = load_group(g, data, u, eta, y);
        double um, s, fm;
        const double ll = agq(g, &gr, NULL, NULL, NULL, NULL, NULL, &um, &s, &fm);
        if (!isfinite(ll))
            return NAN;
        if (mc->samples == 0) { /* classification EM: the mode */
            const double f = eval_f(g, &gr, um, NULL, NULL, mu, w);
            add_stats(g, data, u, y, mu, w, um * um, ess);
            obj += gr.cst + f;
            continue;
        }
        obj += ll;
        const envelope e = make_envelope(g, &gr, um, fm, s);
        const size_t per = mc->samples / mc->groups;
        for (size_t q = 0; q < mc->groups; q++) {
            vem_rng rng;
            vem_mc_unit_rng(mc, u, q, &rng);
            memset(mu, 0, gr.n * sizeof *mu);
            memset(w, 0, gr.n * sizeof *w);
            double su2 = 0.0;
            for (size_t k = 0; k < per; k++) {
                const double v = draw_u(g, &gr, &e, &rng, tmu, tw);
                if (!isfinite(v))
                    return NAN;
                su2 += v * v;
                for (size_t j = 0; j < gr.n; j++) {
                    mu[j] += tmu[j];
                    w[j] += tw[j];
                }
            }
            const double inv = 1.0 / (double)per;
            for (size_t j = 0; j < gr.n; j++) {
                mu[j] *= inv;
                w[j] *= inv;
            }
            add_stats(g, data, u, y, mu, w, su2 * inv, ess + q * len);
        }
    }
    return obj;
}

/* Cholesky solve of the p x p SPD a (upper triangle set: mirrored here) with b; x into b.
 * work: p x p. Non-zero when a is not positive definite. */
static int spd_solve(size_t p, double *a, double *b, double *work)
{
    for (size_t i = 0; i < p; i++)
        for (size_t j = 0; j < i; j++)
            a[i * p + j] = a[j * p + i];
    if (vem__cholesky(p, a, work) != 0)
        return 1;
    for (size_t i = 0; i < p; i++) { /* L z = b */
        double s = b[i];
        for (size_t k = 0; k < i; k++)
            s -= work[i * p + k] * b[k];
        b[i] = s / work[i * p + i];
    }
    for (size_t i = p; i-- > 0;) { /* L^T x = z */
        double s = b[i];
        for (size_t k = i + 1; k < p; k++)
            s -= work[k * p + i] * b[k];
        b[i] = s / work[i * p + i];
    }
    return 0;
}

/* The Newton step for beta from the statistics (into step, p). */
static vem_status newton_step(vem_glmm *g, const double *ess, double *step)
{
    const size_t p = g->p;
    double *H = g->work, *L = vem__alloc_doubles(p * p, 1);
    if (!L)
        return VEM_FAIL(VEM_ENOMEM, "glmm M-step");
    memcpy(H, ess + p, p * p * sizeof *H);
    memcpy(step, ess, p * sizeof *step);
    int bad = spd_solve(p, H, step, L);
    vem__free(L);
    if (bad)
        return VEM_FAIL(VEM_ENUMERIC, "glmm: the expected negative Hessian of beta is not "
                                      "positive definite (collinear features?)");
    return VEM_OK;
}

static vem_status glmm_mstep(void *self, const double *ess)
{
    vem_glmm *g = self;
    const size_t p = g->p;
    const double groups = ess[p + p * p + 1];
    if (!(groups > 0.0))
        return VEM_FAIL(VEM_EINVAL, "glmm: no groups");
    double *step = g->work + p * p;
    vem_status st = newton_step(g, ess, step);
    if (st != VEM_OK)
        return st;
    for (size_t j = 0; j < p; j++)
        g->beta[j] += step[j];
    if (!g->glm_mode)
        g->sigma2 = fmax(ess[p + p * p] / groups, SIGMA2_FLOOR);
    return VEM_OK;
}

static size_t glmm_params_len(const void *self) { return ((const vem_glmm *)self)->p + 1; }
static void glmm_params_get(const void *self, double *out) { vem_glmm_params_get(self, out); }
static vem_status glmm_params_set(void *self, const double *in)
{
    return params_set(self, in, 0);
}

static const vem_model_ops glmm_ops;

/* The GLM without random effects by Newton with step halving, from beta = 0 but the
 * intercept at the link of the mean response; then sigma2 = 1 (lme4's start, theta = 1). */
static vem_status glmm_init(void *self, vem_fit *f, vem_rng *rng)
{
    vem_glmm *g = self;
    (void)rng;
    const vem_data *data = vem_fit_data(f);
    const size_t p = g->p, len = glmm_ess_len(g);
    memset(g->beta, 0, p * sizeof *g->beta);
    if (g->intercept) {
        double s = 0.0;
        for (size_t r = 0; r < data->x.rows; r++)
            s += data->x.data[r * data->x.ld + g->d];
        double ybar = data->x.rows ? s / (double)data->x.rows : 0.5;
        if (g->family == VEM_GLMM_POISSON) {
            g->beta[0] = log(fmax(ybar, 1e-3));
        } else {
            ybar = fmin(fmax(ybar, 1e-3), 1.0 - 1e-3);
            g->beta[0] = log(ybar / (1.0 - ybar));
        }
    }
    double *ess = vem__alloc_doubles(len + 2 * p, 1);
    if (!ess)
        return VEM_FAIL(VEM_ENOMEM, "glmm initialisation");
    double *step = ess + len, *b0 = step + p;
    vem_model m = {&glmm_ops, g};
    vem_status st = VEM_OK;
    g->glm_mode = 1;
    g->sigma2 = 1.0;
    double ll = -INFINITY;
    for (int it = 0; it < 50 && st == VEM_OK; it++) {
        double obj;
        memset(ess, 0, len * sizeof *ess);
        if ((st = vem_fit_pass(f, &m, ess, &obj)) != VEM_OK)
            break;
        if (isfinite(ll) && !(obj >= ll - 1e-12 * fabs(ll))) {
            /* the step went too far: halve it (beta = b0 + step / 2) */
            for (size_t j = 0; j < p; j++) {
                step[j] *= 0.5;
                g->beta[j] = b0[j] + step[j];
            }
            if (fabs(step[0]) + fabs(step[p - 1]) < 1e-12)
                break;
            continue;
        }
        const int done = isfinite(ll) && fabs(obj - ll) < 1e-10 * (fabs(ll) + 1.0);
        ll = obj;
        if (done)
            break;
        if ((st = newton_step(g, ess, step)) != VEM_OK)
            break;
        memcpy(b0, g->beta, p * sizeof *b0);
        for (size_t j = 0; j < p; j++)
            g->beta[j] += step[j];
    }
    g->glm_mode = 0;
    g->sigma2 = 1.0;
    vem__free(ess);
    return st;
}

/*
 * The checkpoint state (model.h): the boundary rule of vem_glmm_fit reads the last
 * HIST_KEEP values of sigma2 of the kept restart, which a resumed fit has not seen. So
 * the state is, for each of the fit's restarts, the count n <= HIST_KEEP and then its last
 * n values of sigma2 (oldest first), HIST_KEEP + 1 doubles a restart. The engine also
 * saves and restores it around the Monte-Carlo groups' and SQUAREM's trial M-steps, which
 * leave the path as it was.
 */
enum { HIST_KEEP = 24 };

/* Room for cap entries of the sigma2 path; non-zero when there is none. */
static int hist_reserve(vem_glmm *g, size_t cap)
{
    if (cap <= g->hist_cap)
        return 0;
    double *h = vem__realloc(g->hist, cap * sizeof *h);
    if (h)
        g->hist = h;
    size_t *r = h ? vem__realloc(g->hist_restart, cap * sizeof *r) : NULL;
    if (r)
        g->hist_restart = r;
    if (!h || !r)
        return 1;
    g->hist_cap = cap;
    return 0;
}

static size_t glmm_state_len(const void *self)
{
    const vem_glmm *g = self;
    return vem__max(g->hist_restarts, 1) * (HIST_KEEP + 1);
}

static void glmm_state_get(const void *self, double *out)
{
    const vem_glmm *g = self;
    const size_t nr = vem__max(g->hist_restarts, 1);
    memset(out, 0, nr * (HIST_KEEP + 1) * sizeof *out);
    for (size_t r = 0; r < nr; r++) {
        double *o = out + r * (HIST_KEEP + 1), last[HIST_KEEP];
        size_t n = 0;
        for (size_t i = g->hist_len; i-- > 0 && n < HIST_KEEP;)
            if (g->hist_restart[i] == r)
                last[n++] = g->hist[i];
        o[0] = (double)n;
        for (size_t j = 0; j < n; j++)
            o[1 + j] = last[n - 1 - j];
    }
}

static vem_status glmm_state_set(void *self, const double *in)
{
    vem_glmm *g = self;
    const size_t nr = vem__max(g->hist_restarts, 1);
    for (size_t r = 0; r < nr; r++) {
        const double *o = in + r * (HIST_KEEP + 1);
        if (!(o[0] >= 0.0 && o[0] <= HIST_KEEP && o[0] == floor(o[0])))
            return VEM_FAIL(VEM_EINVAL, "glmm: state of restart %zu: %g values of sigma2", r + 1,
                            o[0]);
        for (size_t j = 0; j < (size_t)o[0]; j++)
            if (!(o[1 + j] > 0.0) || !isfinite(o[1 + j]))
                return VEM_FAIL(VEM_EINVAL, "glmm: state of restart %zu: sigma2 %g", r + 1,
                                o[1 + j]);
    }
    if (hist_reserve(g, nr * HIST_KEEP))
        return VEM_FAIL(VEM_ENOMEM, "glmm: the path of sigma2");
    g->hist_len = 0;
    for (size_t r = 0; r < nr; r++) {
        const double *o = in + r * (HIST_KEEP + 1);
        for (size_t j = 0; j < (size_t)o[0]; j++) {
            g->hist[g->hist_len] = o[1 + j];
            g->hist_restart[g->hist_len++] = r;
        }
    }
    return VEM_OK;
}

static const vem_model_ops glmm_ops = {
    .name = "glmm",
    .ess_len = glmm_ess_len,
    .scratch_len = glmm_scratch_len,
    .n_units = glmm_n_units,
    .n_obs = glmm_n_obs,
    .estep = glmm_estep,
    .mstep = glmm_mstep,
    .init = glmm_init,
    .params_len = glmm_params_len,
    .params_get = glmm_params_get,
    .params_set = glmm_params_set,
    .state_len = glmm_state_len,
    .state_get = glmm_state_get,
    .state_set = glmm_state_set,
    .estep_mc = glmm_estep_mc,
};

/* ------------------------------------------------------- data */

/*
 * The engine's data and what the steps around its run need: this process's groups, in
 * memory (xy: the features then the response, and the groups' first rows) or read from a
 * source (src: the features, the response and the group label; xy and start NULL).
 */
typedef struct prepared {
    double *xy;
    size_t *start;
    double *labels; /* each group's label, and room for a sorted copy */
    size_t n, n_groups, max_rows;
    vem_data data;
    vem_source *src;
} prepared;

/* Groups read from a source at a time: whole groups of at most this many rows (or one). */
enum { CHUNK_ROWS = 65536 };

static void prepared_clear(prepared *pd)
{
    vem__free(pd->xy);
    vem__free(pd->start);
    vem__free(pd->labels);
    memset(pd, 0, sizeof *pd);
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* NULL when v is a response of g's family, else the family's support. */
static const char *bad_response(const vem_glmm *g, double v)
{
    if (g->family == VEM_GLMM_BINOMIAL)
        return v == 0.0 || v == 1.0 ? NULL : "binomial: 0 or 1";
    return v >= 0.0 && v == floor(v) && v < 1e15 ? NULL : "poisson: a count 0, 1, ...";
}

/* VEM_EINVAL naming a label that two groups share; sorts the n labels in place. */
static vem_status distinct_labels(double *labels, size_t n)
{
    qsort(labels, n, sizeof *labels, cmp_double);
    for (size_t i = 1; i < n; i++)
        if (labels[i] == labels[i - 1])
            return VEM_FAIL(VEM_EINVAL, "group %g: its rows are not contiguous (sort the rows "
                            "by group)", labels[i]);
    return VEM_OK;
}

/*
 * Data in memory: the rows copied with their responses, the groups found (runs of equal
 * labels) and checked. row0: the first row's place among all processes' rows, for
 * messages. empty_ok: no rows is a share of a distributed fit, not an error.
 */
static vem_status prepare(const vem_glmm *g, const vem_matrix *x, const double *y,
                          const double *group, size_t row0, int empty_ok, prepared *pd)
{
    memset(pd, 0, sizeof *pd);
    if (!x || (x->rows && (!x->data || !y || !group)))
        return VEM_FAIL(VEM_EINVAL, "glmm: no data");
    if (x->cols != g->d)
        return VEM_FAIL(VEM_EINVAL, "data has %zu feature columns, the model has d=%zu",
                        x->cols, g->d);
    const size_t n = x->rows, d = g->d;
    if (n == 0 && !empty_ok)
        return VEM_FAIL(VEM_EINVAL, "glmm: no rows");
    pd->xy = vem__alloc_doubles(n ? n : 1, d + 1);
    pd->start = vem__calloc(n + 1, sizeof *pd->start);
    pd->labels = vem__alloc_doubles(n ? n : 1, 2);
    if (!pd->xy || !pd->start || !pd->labels) {
        prepared_clear(pd);
        return VEM_FAIL(VEM_ENOMEM, "glmm: a copy of %zu x %zu data", n, d + 1);
    }
    vem_status st = VEM_OK;
    size_t ng = 0, maxr = 0;
    for (size_t r = 0; r < n && st == VEM_OK; r++) {
        const double *row = x->data + r * x->ld;
        for (size_t j = 0; j < d; j++) {
            if (!isfinite(row[j])) {
                st = VEM_FAIL(VEM_EINVAL, "row %zu, feature %zu is not finite", row0 + r + 1,
                              j + 1);
                break;
            }
            pd->xy[r * (d + 1) + j] = row[j];
        }
        const double v = y[r];
        const char *why = st == VEM_OK ? bad_response(g, v) : NULL;
        if (why)
            st = VEM_FAIL(VEM_EINVAL, "row %zu: response %g (%s)", row0 + r + 1, v, why);
        if (st == VEM_OK && !isfinite(group[r]))
            st = VEM_FAIL(VEM_EINVAL, "row %zu: group label %g is not finite", row0 + r + 1,
                          group[r]);
        pd->xy[r * (d + 1) + d] = v;
        if (st == VEM_OK && (r == 0 || group[r] != group[r - 1])) {
            if (ng)
                maxr = vem__max(maxr, r - pd->start[ng - 1]);
            pd->start[ng] = r;
            pd->labels[ng++] = group[r];
        }
    }
    if (st == VEM_OK && ng) {
        pd->start[ng] = n;
        maxr = vem__max(maxr, n - pd->start[ng - 1]);
        double *sorted = pd->labels + n;
        memcpy(sorted, pd->labels, ng * sizeof *sorted);
        st = distinct_labels(sorted, ng);
    }
    if (st != VEM_OK) {
        prepared_clear(pd);
        return st;
    }
    pd->n = n;
    pd->n_groups = ng;
    pd->max_rows = maxr;
    pd->data = vem_data_rows(vem_matrix_view(pd->xy, n, d + 1));
    pd->data.seq_start = pd->start;
    pd->data.n_seq = ng;
    return VEM_OK;
}

/* The groups [u0, end) of a source that one read takes: as many whole groups as
 * CHUNK_ROWS rows hold, one at least. */
static size_t chunk_end(const size_t *start, size_t n_groups, size_t u0)
{
    size_t u1 = u0 + 1;
    while (u1 < n_groups && start[u1 + 1] - start[u0] <= CHUNK_ROWS)
        u1++;
    return u1;
}

/*
 * A source of groups: one reading pass, a chunk of groups at a time, checks every
 * response and that each group's rows carry one label, and keeps the labels; the
 * groups' sizes come from the source's offsets.
 */
static vem_status prepare_source(const vem_glmm *g, vem_source *src, prepared *pd)
{
    memset(pd, 0, sizeof *pd);
    const size_t d = g->d;
    if (!src || vem_source_unit_kind(src) == VEM_UNITS_DOCUMENTS ||
        (vem_source_unit_kind(src) == VEM_UNITS_ROWS && vem_source_rows(src) > 0))
        return VEM_FAIL(VEM_EINVAL, "vem_glmm_fit_source: a source of groups (sequences: "
                        "vem_source_set_sequences, vem_frames_open_source) is required");
    const char *path;
    size_t row0;
    vem__source_where(src, &path, &row0);
    if (vem_source_cols(src) != d + 2)
        return VEM_FAIL(VEM_EINVAL, "%s: %zu columns; a GLMM on d=%zu features reads %zu (the "
                        "features, the response, the group label)", path,
                        vem_source_cols(src), d, d + 2);
    const size_t ng = vem_source_units(src);
    const size_t *start = vem_source_unit_starts(src);
    pd->labels = vem__alloc_doubles(ng ? ng : 1, 2);
    if (!pd->labels)
        return VEM_FAIL(VEM_ENOMEM, "glmm: %zu groups", ng);
    vem__unit_buf b;
    memset(&b, 0, sizeof b);
    vem_status st = VEM_OK;
    for (size_t u0 = 0, u1; u0 < ng && st == VEM_OK; u0 = u1) {
        u1 = chunk_end(start, ng, u0);
        vem_data view;
        st = vem__source_read_units(src, u0, u1, &b, &view);
        for (size_t u = u0; u < u1 && st == VEM_OK; u++) {
            pd->max_rows = vem__max(pd->max_rows, start[u + 1] - start[u]);
            for (size_t r = start[u]; r < start[u + 1] && st == VEM_OK; r++) {
                const double *row = view.x.data + (r - start[u0]) * view.x.ld;
                const char *why = bad_response(g, row[d]);
                if (why)
                    st = VEM_FAIL(VEM_EINVAL, "%s: row %zu: response %g (%s)", path,
                                  row0 + r + 1, row[d], why);
                else if (r == start[u])
                    pd->labels[u] = row[d + 1];
                else if (row[d + 1] != pd->labels[u])
                    st = VEM_FAIL(VEM_EINVAL, "%s: row %zu: group label %g among the rows of "
                                  "group %g", path, row0 + r + 1, row[d + 1], pd->labels[u]);
            }
        }
    }
    vem__unit_buf_clear(&b);
    if (st == VEM_OK && ng) {
        double *sorted = pd->labels + ng;
        memcpy(sorted, pd->labels, ng * sizeof *sorted);
        st = distinct_labels(sorted, ng);
    }
    if (st != VEM_OK) {
        prepared_clear(pd);
        return st;
    }
    pd->src = src;
    pd->n = vem_source_rows(src);
    pd->n_groups = ng;
    return VEM_OK;
}

/* ------------------------------------------------------- Louis and group effects */

/* Invert the SPD k x k a into inv; non-zero when a is not positive definite. */
static int spd_inverse(size_t k, const double *a, double *inv)
{
    double *L = vem__alloc_doubles(2 * k * k + k, 1);
    if (!L)
        return 2;
    double *col = L + k * k, *tmp = col + k;
    int bad = 0;
    for (size_t c = 0; c < k && !bad; c++) {
        memcpy(tmp, a, k * k * sizeof *tmp);
        for (size_t i = 0; i < k; i++)
            col[i] = i == c;
        bad = spd_solve(k, tmp, col, L);
        for (size_t i = 0; i < k; i++)
            inv[i * k + c] = col[i];
    }
    vem__free(L);
    return bad;
}

/* Louis' observed information of the n groups of data (in memory, groups of at most
 * max_rows rows) ADDED into info ((p+1)^2), and each group's posterior mean and sd of u
 * into um, usd (may be NULL). */
static vem_status louis_info(const vem_glmm *g, const vem_data *data, size_t n,
                             size_t max_rows, double *info, double *um, double *usd)
{
    const size_t p = g->p, k = p + 1, m = max_rows + 1, d = g->d, off = g->intercept ? 1 : 0;
    double *buf = vem__alloc_doubles(4 * m + 3 * k + k * k, 1);
    if (!buf)
        return VEM_FAIL(VEM_ENOMEM, "glmm standard errors");
    double *eta = buf, *y = eta + m, *tmu = y + m, *tw = tmu + m, *s = tw + m, *es = s + k,
           *z = es + k, *eh = z + k; /* eh: k x k */
    const double s2 = g->sigma2;
    vem_status st = VEM_OK;
    for (size_t i = 0; i < n && st == VEM_OK; i++) {
        grp gr = load_group(g, data, i, eta, y);
        double fm, h;
        const double mode = find_mode(g, &gr, &fm, &h);
        if (!isfinite(mode) || !(h < 0.0)) {
            st = VEM_FAIL(VEM_ENUMERIC, "group %zu: no posterior mode", i + 1);
            break;
        }
        const double c = SQRT2 / sqrt(-h);
        double A = 0.0, e1 = 0.0, e2 = 0.0;
        memset(es, 0, k * sizeof *es);
        memset(eh, 0, k * k * sizeof *eh);
        for (size_t q = 0; q < g->nq; q++) {
            const double u = mode + c * g->hz[q];
            const double f = eval_f(g, &gr, u, NULL, NULL, tmu, tw);
            const double a = exp(g->lw[q] + f - fm);
            A += a;
            e1 += a * u;
            e2 += a * u * u;
            memset(s, 0, k * sizeof *s);
            for (size_t j = 0; j < gr.n; j++) {
                const double *x = data->x.data + (data->seq_start[i] + j) * data->x.ld;
                if (off)
                    z[0] = 1.0;
                for (size_t b = 0; b < d; b++)
                    z[off + b] = x[b];
                const double res = y[j] - tmu[j];
                for (size_t a2 = 0; a2 < p; a2++) {
                    s[a2] += res * z[a2];
                    for (size_t b = 0; b < p; b++) /* E[-H] for beta */
                        eh[a2 * k + b] += a * tw[j] * z[a2] * z[b];
                }
            }
            s[p] = -0.5 / s2 + 0.5 * u * u / (s2 * s2);
            eh[p * k + p] += a * (u * u / (s2 * s2 * s2) - 0.5 / (s2 * s2));
            for (size_t a2 = 0; a2 < k; a2++) {
                es[a2] += a * s[a2];
                for (size_t b = 0; b < k; b++) /* - E[s s^T] */
                    eh[a2 * k + b] -= a * s[a2] * s[b];
            }
        }
        for (size_t a2 = 0; a2 < k; a2++)
            for (size_t b = 0; b < k; b++)
                info[a2 * k + b] += eh[a2 * k + b] / A + (es[a2] / A) * (es[b] / A);
        if (um) {
            um[i] = e1 / A;
            usd[i] = sqrt(fmax(e2 / A - um[i] * um[i], 0.0));
        }
    }
    vem__free(buf);
    return st;
}

/* louis_info over this process's groups, in memory or read from the source a chunk of
 * groups at a time; groups of at most max_rows rows. */
static vem_status louis_groups(const vem_glmm *g, const prepared *pd, size_t max_rows,
                               double *info, double *um, double *usd)
{
    if (!pd->src)
        return louis_info(g, &pd->data, pd->n_groups, max_rows, info, um, usd);
    const size_t *start = vem_source_unit_starts(pd->src);
    vem__unit_buf b;
    memset(&b, 0, sizeof b);
    vem_status st = VEM_OK;
    for (size_t u0 = 0, u1; u0 < pd->n_groups && st == VEM_OK; u0 = u1) {
        u1 = chunk_end(start, pd->n_groups, u0);
        vem_data view;
        st = vem__source_read_units(pd->src, u0, u1, &b, &view);
        if (st == VEM_OK)
            st = louis_info(g, &view, u1 - u0, max_rows, info, um ? um + u0 : NULL,
                            usd ? usd + u0 : NULL);
    }
    vem__unit_buf_clear(&b);
    return st;
}

/* Standard errors (k) and their covariance (k x k, may be NULL) from the information;
 * NaN and non-zero when it is not positive definite. */
static int info_to_se(size_t k, const double *info, double *se, double *cov)
{
    double *inv = vem__alloc_doubles(k * k, 1);
    const int bad = !inv || spd_inverse(k, info, inv);
    for (size_t i = 0; i < k; i++)
        se[i] = bad ? NAN : sqrt(inv[i * k + i]);
    if (cov)
        for (size_t i = 0; i < k * k; i++)
            cov[i] = bad ? NAN : inv[i];
    vem__free(inv);
    return bad;
}

vem_status vem_glmm_louis(const vem_glmm *g, const vem_matrix *x, const double *y,
                          const double *group, double *se, double *cov)
{
    prepared pd;
    vem_status st = prepare(g, x, y, group, 0, 0, &pd);
    if (st != VEM_OK)
        return st;
    const size_t k = g->p + 1;
    double *info = vem__alloc_doubles(k * k, 1);
    st = info ? louis_info(g, &pd.data, pd.n_groups, pd.max_rows, info, NULL, NULL)
              : VEM_FAIL(VEM_ENOMEM, "glmm standard errors");
    if (st == VEM_OK && info_to_se(k, info, se, cov))
        st = VEM_FAIL(VEM_ENUMERIC, "glmm: the observed information is not positive "
                                    "definite (sigma2 at the boundary 0?)");
    vem__free(info);
    prepared_clear(&pd);
    return st;
}

/* ------------------------------------------------------- fit */

static void record_progress(void *ctx, const vem_progress *p)
{
    vem_glmm *g = ctx;
    if (p->step == 0) {
        if (g->hist_len == g->hist_cap)
            hist_reserve(g, g->hist_cap ? 2 * g->hist_cap : 256);
        if (g->hist_len < g->hist_cap) {
            g->hist[g->hist_len] = g->sigma2;
            g->hist_restart[g->hist_len++] = p->restart;
        }
    }
    if (g->user_progress)
        g->user_progress(g->user_ctx, p);
}

/*
 * The boundary rule of vem_glmm_fit on the kept restart's sigma2 path (n_iter iterations;
 * docs/glmm.md, "The boundary sigma^2 = 0"). Exact EM: sigma2 < 1e-6, or it fell at each of
 * the last 5 iterations and the Aitken extrapolation of the last three is below 3/4 of the
 * last. Monte-Carlo EM and SEM (stochastic), whose steps are noisy: sigma2 < 1e-6, or over
 * the last HIST_KEEP iterations the least-squares slope of ln sigma2 on ln t is below -1/2
 * with a t statistic below -5 (a 1/t path has slope -1; a path that settles at an interior
 * value has slope 0).
 */
static int near_boundary(const vem_glmm *g, size_t restart, int stochastic, size_t n_iter)
{
    double s[HIST_KEEP];
    size_t n = 0;
    for (size_t i = g->hist_len; i-- > 0 && n < HIST_KEEP;)
        if (g->hist_restart[i] == restart)
            s[HIST_KEEP - 1 - n++] = g->hist[i];
    if (n == 0)
        return 0;
    const double *last = s + HIST_KEEP - 1;
    if (*last < 1e-6)
        return 1;
    if (stochastic) {
        if (n < HIST_KEEP || n_iter < HIST_KEEP)
            return 0;
        double mx = 0.0, my = 0.0, sxx = 0.0, sxy = 0.0, syy = 0.0;
        for (size_t j = 0; j < HIST_KEEP; j++) {
            mx += log((double)(n_iter - HIST_KEEP + 1 + j)) / HIST_KEEP;
            my += log(s[j]) / HIST_KEEP;
        }
        for (size_t j = 0; j < HIST_KEEP; j++) {
            const double dx = log((double)(n_iter - HIST_KEEP + 1 + j)) - mx,
                         dy = log(s[j]) - my;
            sxx += dx * dx;
            sxy += dx * dy;
            syy += dy * dy;
        }
        const double b = sxy / sxx, rss = fmax(syy - b * sxy, 0.0);
        const double se = sqrt(rss / (double)(HIST_KEEP - 2) / sxx);
        return b < -0.5 && (se == 0.0 || b / se < -5.0);
    }
    if (n < 6)
        return 0;
    const double *w = last - 5; /* the last six */
    for (size_t i = 1; i < 6; i++)
        if (!(w[i] < w[i - 1]))
            return 0;
    const double d1 = w[4] - w[3], d2 = w[5] - w[4], dd = d2 - d1;
    if (dd == 0.0)
        return 1; /* a straight line down: reaches 0 */
    const double lim = w[5] - d2 * d2 / dd;
    return lim < 0.75 * w[5];
}

/* The options of a fit (o NULL: the defaults of vem_glmm_fit), or VEM_EUNSUP. */
static vem_status fit_options(const vem_fit_opts *o, vem_fit_opts *opts)
{
    if (o) {
        *opts = *o;
    } else {
        vem_fit_opts_init(opts);
        opts->tol_rule = VEM_TOL_PARAMS;
        opts->tol = 1e-9;
        opts->max_iter = 5000;
    }
    if (opts->algorithm != VEM_ALG_BATCH && opts->algorithm != VEM_ALG_MCEM &&
        opts->algorithm != VEM_ALG_SEM && opts->algorithm != VEM_ALG_CEM)
        return VEM_FAIL(VEM_EUNSUP, "glmm: algorithm '%s' (batch, mcem, sem or cem)",
                        vem_algorithm_name(opts->algorithm) ? vem_algorithm_name(opts->algorithm)
                                                            : "?");
    return VEM_OK;
}

/* Under a communicator: no label shared by two groups of any processes (process 0 looks
 * at every label). A collective. */
static vem_status distinct_over(const vem_comm *c, const prepared *pd)
{
    double *all = NULL;
    size_t got = 0;
    vem_status st = c->gather(pd->labels, pd->n_groups, &all, &got, c->ctx);
    if (st != VEM_OK)
        return st;
    if (c->rank == 0)
        st = distinct_labels(all, got);
    free(all);
    return vem_comm_agree(c, st);
}

/*
 * After a fit: the standard errors (Louis' information summed over the processes) and
 * the labels and posterior means and sds of u of all the groups (n_all), in the
 * processes' order, on every process. A collective under c.
 */
static vem_status fit_effects(vem_glmm *g, const prepared *pd, const vem_comm *c,
                              size_t n_all, size_t max_rows)
{
    const size_t k = g->p + 1, n = pd->n_groups;
    double *info = vem__alloc_doubles(k * k + 1, 1); /* and a failure count */
    double *mine = vem__alloc_doubles(3 * n + 1, 1); /* labels | u means | u sds */
    double *se = vem__alloc_doubles(k, 1), *lab = vem__alloc_doubles(n_all ? n_all : 1, 3);
    vem_status st = info && mine && se && lab ? VEM_OK
                                              : VEM_FAIL(VEM_ENOMEM, "glmm: %zu groups' effects",
                                                         n_all);
    if (c)
        st = vem_comm_agree(c, st);
    if (st == VEM_OK) {
        memcpy(mine, pd->labels, n * sizeof *mine);
        st = louis_groups(g, pd, max_rows, info, mine + n, mine + 2 * n);
        if (st == VEM_ENUMERIC) { /* a group without a posterior mode: NaN, not an error */
            info[k * k] = 1.0;
            st = VEM_OK;
        }
        if (c)
            st = vem_comm_agree(c, st); /* a read or an allocation that failed */
        if (st == VEM_OK && c)
            st = c->reduce(info, k * k + 1, c->ctx);
    }
    if (st == VEM_OK && (info[k * k] != 0.0 || info_to_se(k, info, se, NULL)))
        for (size_t i = 0; i < k; i++)
            se[i] = NAN; /* singular at the boundary: NaN, not an error */
    if (st == VEM_OK && !c)
        memcpy(lab, mine, 3 * n * sizeof *lab);
    if (st == VEM_OK && c) {
        /* Each process's groups as (label, mean, sd) triples, gathered in process order. */
        double *tri = vem__alloc_doubles(3 * n + 1, 1), *all = NULL;
        size_t got = 0;
        st = vem_comm_agree(c, tri ? VEM_OK : VEM_FAIL(VEM_ENOMEM, "glmm: %zu groups", n));
        for (size_t i = 0; st == VEM_OK && i < n; i++)
            for (size_t j = 0; j < 3; j++)
                tri[3 * i + j] = mine[j * n + i];
        if (st == VEM_OK)
            st = c->gather(tri, 3 * n, &all, &got, c->ctx);
        if (st == VEM_OK && c->rank == 0)
            for (size_t i = 0; i < n_all && 3 * i + 2 < got; i++)
                for (size_t j = 0; j < 3; j++)
                    lab[j * n_all + i] = all[3 * i + j];
        if (st == VEM_OK)
            st = c->broadcast(lab, 3 * n_all, c->ctx);
        free(all);
        vem__free(tri);
    }
    vem__free(info);
    vem__free(mine);
    if (st != VEM_OK) {
        vem__free(se);
        vem__free(lab);
        return st;
    }
    g->se = se;
    g->labels = lab;
    g->umean = lab + n_all;
    g->usd = lab + 2 * n_all;
    g->n_groups = n_all;
    return VEM_OK;
}

/* The fit of prepared data (this process's share under opts->comm), then its effects. */
static vem_status fit_prepared(vem_glmm *g, prepared *pd, vem_fit_opts *opts,
                               vem_fit_result *res)
{
    const vem_comm *c = opts->comm;
    size_t n_all = pd->n_groups, max_rows = pd->max_rows;
    vem_status st = VEM_OK;
    if (c) {
        st = vem__comm_sum_sizes(c, &n_all, 1);
        if (st == VEM_OK)
            st = vem__comm_max_size(c, &max_rows);
        if (st == VEM_OK)
            st = distinct_over(c, pd);
        if (st != VEM_OK)
            return st;
    }
    if (n_all < 2)
        return VEM_FAIL(VEM_EINVAL, "glmm: %zu group%s: at least 2 are needed", n_all,
                        n_all == 1 ? "" : "s");
    /* The largest group of all the processes: a distributed start may gather any group
     * to process 0. */
    g->max_rows = max_rows;
    g->hist_len = 0;
    g->hist_restarts = opts->warm_start ? 1 : vem__max(opts->n_init, 1);
    g->user_progress = opts->progress;
    g->user_ctx = opts->progress_ctx;
    opts->progress = record_progress;
    opts->progress_ctx = g;
    opts->validation = NULL;
    forget_fit(g);
    vem_model m = {&glmm_ops, g};
    vem_rng rng;
    vem_rng_seed(&rng, g->seed);
    st = pd->src ? vem_fit_run_source(&m, pd->src, opts, &rng, res)
                 : vem_fit_run(&m, &pd->data, opts, &rng, res);
    g->user_progress = NULL;
    g->user_ctx = NULL;
    if (st != VEM_OK && st != VEM_EMAXITER && st != VEM_EINTR)
        return st;
    const int bnd = near_boundary(g, res->best_init,
                                  opts->algorithm == VEM_ALG_MCEM ||
                                      opts->algorithm == VEM_ALG_SEM,
                                  res->n_iter);
    vem_status est = fit_effects(g, pd, c, n_all, max_rows);
    if (est != VEM_OK)
        return est;
    g->boundary = bnd;
    if (bnd) {
        res->converged = 0;
        if (st == VEM_OK)
            st = VEM_EMAXITER;
    }
    return st;
}

/* This process's first row among all processes' rows (n: its rows). A collective. */
static vem_status rows_before(const vem_comm *c, size_t n, size_t *row0)
{
    *row0 = 0;
    const size_t P = (size_t)c->size, r = (size_t)c->rank;
    double *v = vem__alloc_doubles(P, 1);
    vem_status st = vem_comm_agree(c, v ? VEM_OK : VEM_FAIL(VEM_ENOMEM, "glmm: %zu processes",
                                                            P));
    if (st == VEM_OK) {
        v[r] = (double)n;
        st = c->reduce(v, P, c->ctx);
    }
    for (size_t i = 0; st == VEM_OK && i < r; i++)
        *row0 += (size_t)v[i];
    vem__free(v);
    return st;
}

vem_status vem_glmm_fit(vem_glmm *g, const vem_matrix *x, const double *y, const double *group,
                        const vem_fit_opts *o, vem_fit_result *res)
{
    vem_fit_result local;
    if (!res)
        res = &local;
    memset(res, 0, sizeof *res);
    vem_fit_opts opts;
    vem_status st = fit_options(o, &opts);
    if (st != VEM_OK)
        return st;
    const vem_comm *c = opts.comm;
    size_t row0 = 0;
    if (c && (st = rows_before(c, x ? x->rows : 0, &row0)) != VEM_OK)
        return st;
    prepared pd;
    st = prepare(g, x, y, group, row0, c != NULL, &pd);
    if (c)
        st = vem_comm_agree(c, st);
    if (st == VEM_OK)
        st = fit_prepared(g, &pd, &opts, res);
    prepared_clear(&pd);
    if (res == &local)
        vem_fit_result_clear(&local);
    return st;
}

vem_status vem_glmm_fit_source(vem_glmm *g, vem_source *src, const vem_fit_opts *o,
                               vem_fit_result *res)
{
    vem_fit_result local;
    if (!res)
        res = &local;
    memset(res, 0, sizeof *res);
    vem_fit_opts opts;
    vem_status st = fit_options(o, &opts);
    if (st != VEM_OK)
        return st;
    prepared pd;
    st = prepare_source(g, src, &pd);
    if (opts.comm)
        st = vem_comm_agree(opts.comm, st);
    if (st == VEM_OK)
        st = fit_prepared(g, &pd, &opts, res);
    prepared_clear(&pd);
    if (res == &local)
        vem_fit_result_clear(&local);
    return st;
}

/* ------------------------------------------------------- score and predict */

vem_status vem_glmm_score(const vem_glmm *g, const vem_matrix *x, const double *y,
                          const double *group, double *total, double *per_group,
                          size_t *n_groups)
{
    prepared pd;
    vem_status st = prepare(g, x, y, group, 0, 0, &pd);
    if (st != VEM_OK)
        return st;
    const size_t m = pd.max_rows + 1;
    double *buf = vem__alloc_doubles(2 * m, 1);
    if (!buf) {
        prepared_clear(&pd);
        return VEM_FAIL(VEM_ENOMEM, "glmm score");
    }
    double sum = 0.0;
    for (size_t i = 0; i < pd.n_groups; i++) {
        grp gr = load_group(g, &pd.data, i, buf, buf + m);
        const double ll = agq(g, &gr, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
        if (!isfinite(ll)) {
            st = VEM_FAIL(VEM_ENUMERIC, "group %g: its log-likelihood is %g", pd.labels[i], ll);
            break;
        }
        if (per_group)
            per_group[i] = ll;
        sum += ll;
    }
    if (st == VEM_OK) {
        if (total)
            *total = sum;
        if (n_groups)
            *n_groups = pd.n_groups;
    }
    vem__free(buf);
    prepared_clear(&pd);
    return st;
}

/* Index of label among the fitted groups (sorted search on a copy would be faster; the
 * fitted labels are in first-row order), or n_groups. */
static size_t find_group(const vem_glmm *g, double label)
{
    for (size_t i = 0; i < g->n_groups; i++)
        if (g->labels[i] == label)
            return i;
    return g->n_groups;
}

vem_status vem_glmm_predict(const vem_glmm *g, const vem_matrix *x, const double *group,
                            double *marginal, double *conditional)
{
    if (!x || (x->rows && !x->data) || x->cols != g->d)
        return VEM_FAIL(VEM_EINVAL, "data has %zu feature columns, the model has d=%zu",
                        x ? x->cols : 0, g->d);
    const double sd = sqrt(g->sigma2), rpi = 0.56418958354775628695; /* 1 / sqrt(pi) */
    size_t last = g->n_groups;
    double last_label = NAN;
    for (size_t r = 0; r < x->rows; r++) {
        const double *row = x->data + r * x->ld;
        for (size_t j = 0; j < g->d; j++)
            if (!isfinite(row[j]))
                return VEM_FAIL(VEM_EINVAL, "row %zu, feature %zu is not finite", r + 1, j + 1);
        const double eta = row_eta(g, row);
        if (marginal) {
            if (g->family == VEM_GLMM_POISSON) {
                marginal[r] = exp(eta + 0.5 * g->sigma2);
            } else {
                double s = 0.0;
                for (size_t k = 0; k < g->nq; k++)
                    s += g->hw[k] * mean_of(g, eta + SQRT2 * sd * g->hz[k]);
                marginal[r] = s * rpi;
            }
        }
        if (conditional) {
            double u = 0.0;
            if (group && g->n_groups) {
                if (!(group[r] == last_label)) {
                    last_label = group[r];
                    last = find_group(g, group[r]);
                }
                if (last < g->n_groups)
                    u = g->umean[last];
            }
            conditional[r] = mean_of(g, eta + u);
        }
    }
    return VEM_OK;
}
