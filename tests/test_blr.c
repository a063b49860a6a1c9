/*
 * tests/test_blr.c — Bayesian linear regression against scikit-learn's
 * BayesianRidge fixed point (tests/golden/vb_golden.txt, made by
 * make_vb_golden.py), the closed forms of q(w) and of the predictive
 * variance, the monotone ELBO, ARD pruning, ARD by MacKay's update against
 * scikit-learn's ARDRegression (tests/golden/ard_digits_sklearn.txt, made by
 * make_ard_golden.py) and errors.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vem/vem.h>

#include "check.h"

#define MAXV 64

/* The values of the line of golden file `file` starting with name; count returned (0 if
 * missing). */
static size_t golden_in(const char *file, const char *name, double *v)
{
    return check_golden_line(file, name, v, MAXV);
}

static size_t golden(const char *name, double *v)
{
    return golden_in(VEM_GOLDEN "/vb_golden.txt", name, v);
}

typedef struct diabetes {
    vem_table t;
    double *x; /* 442 x 10 */
    double *y;
    size_t n;
} diabetes;

static int load_diabetes(diabetes *db)
{
    vem_csv_opts co;
    vem_csv_opts_init(&co);
    memset(db, 0, sizeof *db);
    if (vem_csv_read(VEM_EXAMPLE_DATA "/diabetes.csv", &co, &db->t) != VEM_OK) {
        fprintf(stderr, "diabetes.csv: %s\n", vem_errmsg());
        return -1;
    }
    db->n = db->t.rows;
    db->x = malloc(db->n * 10 * sizeof *db->x);
    db->y = malloc(db->n * sizeof *db->y);
    for (size_t r = 0; r < db->n; r++) {
        memcpy(db->x + r * 10, db->t.data + r * 11, 10 * sizeof *db->x);
        db->y[r] = db->t.data[r * 11 + 10];
    }
    return 0;
}

/* Gauss-Jordan inverse of the d x d matrix a into inv (no pivoting needed: SPD). */
static void naive_inverse(size_t d, const double *a, double *inv)
{
    double *m = malloc(d * 2 * d * sizeof *m);
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < 2 * d; j++)
            m[i * 2 * d + j] = j < d ? a[i * d + j] : (j - d == i ? 1.0 : 0.0);
    for (size_t c = 0; c < d; c++) {
        double p = m[c * 2 * d + c];
        for (size_t j = 0; j < 2 * d; j++)
            m[c * 2 * d + j] /= p;
        for (size_t r = 0; r < d; r++) {
            if (r == c)
                continue;
            double f = m[r * 2 * d + c];
            for (size_t j = 0; j < 2 * d; j++)
                m[r * 2 * d + j] -= f * m[c * 2 * d + j];
        }
    }
    for (size_t i = 0; i < d; i++)
        memcpy(inv + i * d, m + i * 2 * d + d, d * sizeof *inv);
    free(m);
}

static int monotone(const vem_fit_result *res)
{
    for (size_t i = 1; i < res->trace_len; i++)
        if (res->trace[i].objective < res->trace[i - 1].objective - 1e-9 * fabs(res->trace[i - 1].objective))
            return 0;
    return res->n_violations == 0;
}

/* One scikit-learn set-up: fit to the fixed point and compare. */
static void test_against_sklearn(const diabetes *db, const char *name, int standardize,
                                 int intercept)
{
    double g[MAXV];
    size_t ng = golden(name, g);
    CHECK(ng == 3 + 10 + 6);
    if (ng != 19)
        return;
    vem_blr *b = vem_blr_new(10);
    vem_blr_set_standardize(b, standardize);
    vem_blr_set_intercept(b, intercept);
    vem_matrix x = vem_matrix_view(db->x, db->n, 10);
    vem_fit_opts o;
    vem_fit_opts_init(&o);
    o.tol = 0;
    o.max_iter = 3000;
    vem_fit_result res;
    vem_status st = vem_blr_fit(b, &x, db->y, &o, &res);
    CHECK(st == VEM_EMAXITER);
    CHECK(monotone(&res));
    CHECK(res.trace_len == 3000);
    CHECK(isfinite(res.objective));
    CHECK_REL(vem_blr_noise_precision(b), g[0], 1e-8);
    CHECK_REL(vem_blr_weight_precision(b)[0], g[1], 1e-8);
    CHECK_REL(vem_blr_intercept(b), g[2], 1e-8);
    const double *coef = vem_blr_coef(b);
    double cmax = 0.0;
    for (int j = 0; j < 10; j++)
        cmax = fmax(cmax, fabs(g[3 + j]));
    for (int j = 0; j < 10; j++)
        CHECK_ABS(coef[j], g[3 + j], 1e-8 * cmax);
    size_t rows[3] = {0, 1, db->n - 1};
    for (int i = 0; i < 3; i++) {
        vem_matrix xr = vem_matrix_view(db->x + rows[i] * 10, 1, 10);
        double m, s;
        CHECK(vem_blr_predict(b, &xr, &m, &s) == VEM_OK);
        CHECK_REL(m, g[13 + 2 * i], 1e-8);
        /* scikit-learn's predict(return_std=True) uses the rows uncentred, x^T Sigma x, even
         * though Sigma belongs to the centred features; with standardised (zero-mean)
         * features the two agree. vem uses (x - mean)^T Sigma (x - mean), checked below. */
        if (standardize)
            CHECK_REL(s, g[14 + 2 * i], 1e-8);
    }

    /* Closed forms: Sigma = (E[alpha] I + E[beta] Z^T Z)^-1 and mu = E[beta] Sigma Z^T t on
     * the z scale; predictive variance 1/E[beta] + z^T Sigma z. */
    double mean[10] = {0}, sd[10], zz[100] = {0}, zt[10] = {0}, p[100], sig[100], cov[100];
    double ym = 0.0;
    for (size_t r = 0; r < db->n; r++) {
        for (int j = 0; j < 10; j++)
            mean[j] += db->x[r * 10 + j] / (double)db->n;
        ym += db->y[r] / (double)db->n;
    }
    for (int j = 0; j < 10; j++) {
        double v = 0.0;
        for (size_t r = 0; r < db->n; r++)
            v += (db->x[r * 10 + j] - mean[j]) * (db->x[r * 10 + j] - mean[j]);
        sd[j] = standardize ? sqrt(v / (double)db->n) : 1.0;
        if (!standardize && !intercept)
            mean[j] = 0.0;
    }
    if (!intercept)
        ym = 0.0;
    for (size_t r = 0; r < db->n; r++) {
        double z[10], t = db->y[r] - ym;
        for (int j = 0; j < 10; j++)
            z[j] = (db->x[r * 10 + j] - mean[j]) / sd[j];
        for (int i = 0; i < 10; i++) {
            zt[i] += z[i] * t;
            for (int j = 0; j < 10; j++)
                zz[i * 10 + j] += z[i] * z[j];
        }
    }
    double ea = vem_blr_weight_precision(b)[0], eb = vem_blr_noise_precision(b);
    for (int i = 0; i < 100; i++)
        p[i] = eb * zz[i] + (i % 11 == 0 ? ea : 0.0);
    naive_inverse(10, p, sig);
    vem_blr_coef_cov(b, cov);
    for (int i = 0; i < 10; i++) {
        double mu = 0.0;
        for (int j = 0; j < 10; j++) {
            mu += eb * sig[i * 10 + j] * zt[j];
            CHECK_ABS(cov[i * 10 + j] * sd[i] * sd[j], sig[i * 10 + j], 1e-9 * sig[0]);
        }
        CHECK_ABS(coef[i] * sd[i], mu, 1e-9 * cmax * sd[i]);
    }
    for (int i = 0; i < 3; i++) {
        const double *xr = db->x + rows[i] * 10;
        double z[10], v = 1.0 / eb, s;
        for (int j = 0; j < 10; j++)
            z[j] = (xr[j] - mean[j]) / sd[j];
        for (int a = 0; a < 10; a++)
            for (int c = 0; c < 10; c++)
                v += z[a] * sig[a * 10 + c] * z[c];
        vem_matrix xm = vem_matrix_view(xr, 1, 10);
        vem_blr_predict(b, &xm, NULL, &s);
        CHECK_REL(s * s, v, 1e-10);
    }
    vem_fit_result_clear(&res);
    vem_blr_free(b);
}

/* The reference numbers REFERENCE.md quotes (10 significant digits). */
static void test_reference_precisions(const diabetes *db)
{
    vem_blr *b = vem_blr_new(10);
    vem_blr_set_standardize(b, 1);
    vem_blr_set_intercept(b, 1);
    vem_matrix x = vem_matrix_view(db->x, db->n, 10);
    vem_fit_opts o;
    vem_fit_opts_init(&o);
    o.tol = 0;
    o.max_iter = 3000;
    vem_fit_result res;
    CHECK(vem_blr_fit(b, &x, db->y, &o, &res) == VEM_EMAXITER);
    CHECK(!res.converged);
    CHECK(monotone(&res));
    CHECK_REL(vem_blr_noise_precision(b), 3.410195071e-4, 2e-10);
    CHECK_REL(vem_blr_weight_precision(b)[0], 5.066334908e-3, 2e-10);
    /* Score: the mean log predictive density is a finite number of nats per row. */
    double mean, total;
    CHECK(vem_blr_score(b, &x, db->y, &mean, &total) == VEM_OK);
    CHECK_REL(total, mean * (double)db->n, 1e-12);
    CHECK(mean < -5.0 && mean > -6.0); /* noise sd about 54: -ln(54 sqrt(2 pi e)) = -5.41 */
    vem_fit_result_clear(&res);
    vem_blr_free(b);
}

/*
 * ARD by the VB update: monotone, pruned weights exactly 0, and the fit still predicts as
 * well as ridge.
 * On diabetes the precisions of the irrelevant weights grow without bound, slowly (228 after
 * 3000 sweeps, as in scikit-learn's ARDRegression, whose update is the same fixed point), so
 * the test prunes at 100.
 */
static void test_ard(const diabetes *db)
{
    vem_blr *b = vem_blr_new(10);
    vem_blr_set_standardize(b, 1);
    vem_blr_set_intercept(b, 1);
    CHECK(vem_blr_set_ard(b, 1) == VEM_OK);
    CHECK(vem_blr_ard_update(b) == VEM_BLR_MACKAY); /* the default */
    CHECK(vem_blr_set_ard_update(b, VEM_BLR_VB) == VEM_OK);
    CHECK(vem_blr_set_prune_threshold(b, 100.0) == VEM_OK);
    CHECK(vem_blr_weight_precision_len(b) == 10);
    vem_matrix x = vem_matrix_view(db->x, db->n, 10);
    vem_fit_opts o;
    vem_fit_opts_init(&o);
    o.tol = 0;
    o.max_iter = 3000;
    vem_fit_result res;
    vem_status st = vem_blr_fit(b, &x, db->y, &o, &res);
    CHECK(st == VEM_EMAXITER);
    CHECK(monotone(&res));
    size_t np = vem_blr_n_pruned(b);
    CHECK(np >= 1 && np < 10);
    for (size_t j = 0; j < 10; j++) {
        if (vem_blr_pruned(b, j)) {
            CHECK(vem_blr_coef(b)[j] == 0.0);
            CHECK(vem_blr_weight_precision(b)[j] > 100.0);
        }
    }
    double m_ard, m_ridge;
    vem_blr_score(b, &x, db->y, &m_ard, NULL);
    vem_blr *r = vem_blr_new(10);
    vem_blr_set_standardize(r, 1);
    vem_blr_set_intercept(r, 1);
    vem_fit_result rr;
    vem_blr_fit(r, &x, db->y, &o, &rr);
    vem_blr_score(r, &x, db->y, &m_ridge, NULL);
    CHECK(fabs(m_ard - m_ridge) < 0.05);
    /* Without pruning nothing is removed. */
    vem_blr_set_prune_threshold(b, INFINITY);
    vem_fit_result_clear(&res);
    o.max_iter = 200;
    CHECK(vem_blr_fit(b, &x, db->y, &o, &res) == VEM_EMAXITER);
    CHECK(vem_blr_n_pruned(b) == 0);
    CHECK(monotone(&res));
    vem_fit_result_clear(&res);
    vem_fit_result_clear(&rr);
    vem_blr_free(r);
    vem_blr_free(b);
}

/*
 * ARD by MacKay's update (the default) against scikit-learn's ARDRegression with its
 * default settings on digits: pixel px36 from the 60 other non-constant pixels,
 * standardised features, an intercept (make_ard_golden.py). ARDRegression's settings
 * are n_iter 300 and tol 1e-3 on the sum of the coefficients' changes; the test
 * asserts the same pruned set, the same iteration count, the coefficients to 1e-6
 * (measured: 4.4e-14 on the input scale), the intercept and the noise precision to
 * 1e-9 relative, the kept weights' precisions to 1e-6 relative (1.8e-11) and the
 * objective to 1e-6 nats.
 */
#define ARD_GOLDEN VEM_GOLDEN "/ard_digits_sklearn.txt"

static void test_ard_sklearn(void)
{
    vem_csv_opts co;
    vem_csv_opts_init(&co);
    vem_table t;
    if (vem_csv_read(VEM_EXAMPLE_DATA "/digits.csv", &co, &t) != VEM_OK) {
        CHECK(!"digits.csv readable");
        return;
    }
    CHECK(t.rows == 1797 && t.cols == 64 && t.names != NULL);
    /* The features: every column but the target and the constant ones, in file order. */
    const size_t n = t.rows;
    size_t tcol = 64, feats[64], d = 0;
    for (size_t j = 0; j < t.cols && t.names; j++) {
        int constant = 1;
        for (size_t r = 1; r < n && constant; r++)
            constant = t.data[r * t.cols + j] == t.data[j];
        if (strcmp(t.names[j], "px36") == 0)
            tcol = j;
        else if (!constant)
            feats[d++] = j;
    }
    CHECK(tcol == 36 && d == 60);
    double npr[1], it[1], alpha[1], icpt[1], icpt_in[1], objective[1];
    double pruned[MAXV], coef[MAXV], coef_in[MAXV], lambda[MAXV];
    size_t ok = golden_in(ARD_GOLDEN, "n_pruned", npr) == 1 &&
                golden_in(ARD_GOLDEN, "n_iter", it) == 1 &&
                golden_in(ARD_GOLDEN, "pruned", pruned) == (size_t)npr[0] &&
                golden_in(ARD_GOLDEN, "alpha", alpha) == 1 &&
                golden_in(ARD_GOLDEN, "lambda", lambda) == 60 &&
                golden_in(ARD_GOLDEN, "coef", coef) == 60 &&
                golden_in(ARD_GOLDEN, "intercept", icpt) == 1 &&
                golden_in(ARD_GOLDEN, "coef_input", coef_in) == 60 &&
                golden_in(ARD_GOLDEN, "intercept_input", icpt_in) == 1 &&
                golden_in(ARD_GOLDEN, "objective", objective) == 1;
    CHECK(ok);
    if (!ok || tcol != 36 || d != 60) {
        vem_table_clear(&t);
        return;
    }
    CHECK(npr[0] == 11 && it[0] == 47); /* what ARDRegression did: see make_ard_golden.py */
    double *x = malloc(n * d * sizeof *x), *y = malloc(n * sizeof *y), sd[64];
    for (size_t r = 0; r < n; r++) {
        for (size_t j = 0; j < d; j++)
            x[r * d + j] = t.data[r * t.cols + feats[j]];
        y[r] = t.data[r * t.cols + tcol];
    }
    for (size_t j = 0; j < d; j++) { /* divisor n, as StandardScaler and vem */
        double m = 0.0, v = 0.0;
        for (size_t r = 0; r < n; r++)
            m += x[r * d + j];
        m /= (double)n;
        for (size_t r = 0; r < n; r++)
            v += (x[r * d + j] - m) * (x[r * d + j] - m);
        sd[j] = sqrt(v / (double)n);
    }
    vem_matrix xm = vem_matrix_view(x, n, d);
    vem_blr *b = vem_blr_new(d);
    vem_blr_set_standardize(b, 1);
    vem_blr_set_intercept(b, 1);
    vem_blr_set_ard(b, 1);
    vem_fit_opts o;
    vem_fit_opts_init(&o);
    o.max_iter = 300; /* ARDRegression's n_iter and tol */
    o.tol = 1e-3;
    vem_fit_result res;
    CHECK(vem_blr_fit(b, &xm, y, &o, &res) == VEM_OK);
    CHECK(res.converged && res.n_iter == (size_t)it[0] && res.trace_len == res.n_iter);
    CHECK(res.n_violations == 0 && monotone(&res));
    CHECK(vem_blr_n_pruned(b) == (size_t)npr[0]);
    for (size_t i = 0; i < (size_t)npr[0]; i++)
        CHECK(vem_blr_pruned(b, (size_t)pruned[i]));
    const double *c = vem_blr_coef(b), *lam = vem_blr_weight_precision(b);
    double worst_z = 0.0, worst_in = 0.0;
    for (size_t j = 0; j < d; j++) {
        worst_z = fmax(worst_z, fabs(c[j] * sd[j] - coef[j]));
        worst_in = fmax(worst_in, fabs(c[j] - coef_in[j]));
        if (vem_blr_pruned(b, j)) {
            CHECK(c[j] == 0.0 && coef[j] == 0.0 && lam[j] > 1e4);
        } else {
            CHECK(lam[j] < 1e4);
            CHECK_REL(lam[j], lambda[j], 1e-6);
        }
    }
    CHECK(worst_z < 1e-6);
    CHECK(worst_in < 1e-6);
    CHECK_REL(vem_blr_intercept(b), icpt_in[0], 1e-9);
    CHECK_REL(vem_blr_noise_precision(b), alpha[0], 1e-9);
    CHECK_ABS(res.objective, objective[0], 1e-6);
    /* The pruned weights are out of the posterior: their rows of the covariance are 0. */
    double *cov = malloc(d * d * sizeof *cov);
    vem_blr_coef_cov(b, cov);
    for (size_t j = 0; j < d; j++)
        if (vem_blr_pruned(b, j))
            for (size_t k = 0; k < d; k++)
                CHECK(cov[j * d + k] == 0.0 && cov[k * d + j] == 0.0);
    free(cov);
    /* Continued to tol 1e-10 (the fixed point): the same pruned set, and the objective
     * gains < 0.1 nats (measured 1.4e-4), so the default test stops at the answer. */
    vem_blr *f = vem_blr_new(d);
    vem_blr_set_standardize(f, 1);
    vem_blr_set_intercept(f, 1);
    vem_blr_set_ard(f, 1);
    vem_fit_result rf;
    o.tol = 1e-10;
    o.max_iter = 100000;
    CHECK(vem_blr_fit(f, &xm, y, &o, &rf) == VEM_OK);
    CHECK(rf.n_iter > res.n_iter && rf.n_violations == 0);
    CHECK(rf.objective >= res.objective && rf.objective - res.objective < 0.1);
    for (size_t j = 0; j < d; j++)
        CHECK(vem_blr_pruned(f, j) == vem_blr_pruned(b, j));
    /* max_iter is honoured: 10 iterations, not converged; tol 0 runs max_iter. */
    vem_fit_result r10;
    o.tol = 1e-3;
    o.max_iter = 10;
    CHECK(vem_blr_fit(f, &xm, y, &o, &r10) == VEM_EMAXITER);
    CHECK(!r10.converged && r10.n_iter == 10 && r10.trace_len == 10);
    vem_fit_result_clear(&r10);
    o.tol = 0.0;
    o.max_iter = 60;
    CHECK(vem_blr_fit(f, &xm, y, &o, &r10) == VEM_EMAXITER);
    CHECK(!r10.converged && r10.n_iter == 60 && vem_blr_n_pruned(f) == (size_t)npr[0]);
    vem_fit_result_clear(&r10);
    /* Every weight pruned (threshold below every start): stops after one iteration. */
    vem_blr_set_prune_threshold(f, 1e-3);
    o.max_iter = 300;
    CHECK(vem_blr_fit(f, &xm, y, &o, &r10) == VEM_OK);
    CHECK(r10.converged && r10.n_iter == 1 && vem_blr_n_pruned(f) == d);
    CHECK_REL(vem_blr_intercept(f), icpt[0], 1e-12); /* mean(y): the standardised model's */
    vem_fit_result_clear(&r10);
    vem_fit_result_clear(&rf);
    vem_fit_result_clear(&res);
    vem_blr_free(f);
    vem_blr_free(b);
    free(x);
    free(y);
    vem_table_clear(&t);
}

/* A planted model: with many rows the posterior mean finds the weights and the noise. */
static void test_planted(void)
{
    const size_t n = 20000, d = 3;
    double *x = malloc(n * d * sizeof *x), *y = malloc(n * sizeof *y);
    const double w[3] = {2.385, -0.75, 0.0};
    vem_rng rng;
    vem_rng_seed(&rng, 7);
    for (size_t r = 0; r < n; r++) {
        y[r] = 4.5 + 0.3 * vem_rng_normal(&rng);
        for (size_t j = 0; j < d; j++) {
            x[r * d + j] = 10.0 + vem_rng_normal(&rng);
            y[r] += w[j] * x[r * d + j];
        }
    }
    vem_blr *b = vem_blr_new(d);
    vem_blr_set_intercept(b, 1);
    vem_matrix xm = vem_matrix_view(x, n, d);
    vem_fit_opts o;
    vem_fit_opts_init(&o);
    o.tol = 1e-10;
    o.nthreads = 2;
    vem_fit_result res;
    CHECK(vem_blr_fit(b, &xm, y, &o, &res) == VEM_OK);
    CHECK(monotone(&res));
    for (size_t j = 0; j < d; j++)
        CHECK_ABS(vem_blr_coef(b)[j], w[j], 0.01);
    CHECK_ABS(vem_blr_intercept(b), 4.5, 0.2);
    CHECK_REL(1.0 / sqrt(vem_blr_noise_precision(b)), 0.3, 0.02);
    /* Thread-count invariance: 1 thread gives the same bits. */
    vem_blr *b1 = vem_blr_new(d);
    vem_blr_set_intercept(b1, 1);
    o.nthreads = 1;
    vem_fit_result res1;
    vem_blr_fit(b1, &xm, y, &o, &res1);
    CHECK(res1.objective == res.objective);
    CHECK(memcmp(vem_blr_coef(b1), vem_blr_coef(b), d * sizeof(double)) == 0);
    vem_fit_result_clear(&res);
    vem_fit_result_clear(&res1);
    vem_blr_free(b);
    vem_blr_free(b1);
    free(x);
    free(y);
}

/*
 * The ELBO with every constant: with hyperpriors so concentrated that q(alpha) and q(beta)
 * are (almost) point masses at alpha and beta, the bound is tight and equals the exact
 * log marginal likelihood of the linear-Gaussian model (PRML eq. 3.86):
 *     M/2 ln alpha + N/2 ln beta - beta/2 ||t - Z m||^2 - alpha/2 m^T m - 1/2 ln|A| - N/2 ln 2 pi,
 * A = alpha I + beta Z^T Z, m = beta A^-1 Z^T t. The Gamma factors' own KL terms are
 * O(1 / shape): the gap shrinks tenfold per tenfold shape, the exactness of every constant.
 */
static void test_elbo_evidence(const diabetes *db)
{
    const double alpha = 2.385e-3, beta = 3.3e-4, shape = 1e9;
    vem_blr *b = vem_blr_new(10);
    vem_blr_set_standardize(b, 1);
    vem_blr_set_intercept(b, 1);
    CHECK(vem_blr_set_hyperpriors(b, shape, shape / beta, shape, shape / alpha) == VEM_OK);
    vem_matrix x = vem_matrix_view(db->x, db->n, 10);
    vem_fit_opts o;
    vem_fit_opts_init(&o);
    o.tol = 0;
    o.max_iter = 50;
    vem_fit_result res;
    CHECK(vem_blr_fit(b, &x, db->y, &o, &res) == VEM_EMAXITER);
    CHECK(monotone(&res));
    /* The evidence, computed here. */
    const size_t n = db->n;
    double mean[10] = {0}, sd[10] = {0}, zz[100] = {0}, zt[10] = {0}, a[100], ai[100], ym = 0;
    for (size_t r = 0; r < n; r++) {
        ym += db->y[r] / (double)n;
        for (int j = 0; j < 10; j++)
            mean[j] += db->x[r * 10 + j] / (double)n;
    }
    for (size_t r = 0; r < n; r++)
        for (int j = 0; j < 10; j++)
            sd[j] += (db->x[r * 10 + j] - mean[j]) * (db->x[r * 10 + j] - mean[j]) / (double)n;
    for (int j = 0; j < 10; j++)
        sd[j] = sqrt(sd[j]);
    double tt = 0.0;
    for (size_t r = 0; r < n; r++) {
        double z[10], t = db->y[r] - ym;
        tt += t * t;
        for (int j = 0; j < 10; j++)
            z[j] = (db->x[r * 10 + j] - mean[j]) / sd[j];
        for (int i = 0; i < 10; i++) {
            zt[i] += z[i] * t;
            for (int j = 0; j < 10; j++)
                zz[i * 10 + j] += z[i] * z[j];
        }
    }
    for (int i = 0; i < 100; i++)
        a[i] = beta * zz[i] + (i % 11 == 0 ? alpha : 0.0);
    naive_inverse(10, a, ai);
    double m[10], logdet = 0.0, rss = tt, mm = 0.0;
    for (int i = 0; i < 10; i++) {
        m[i] = 0.0;
        for (int j = 0; j < 10; j++)
            m[i] += beta * ai[i * 10 + j] * zt[j];
    }
    for (int i = 0; i < 10; i++) {
        mm += m[i] * m[i];
        rss -= 2.0 * m[i] * zt[i];
        for (int j = 0; j < 10; j++)
            rss += m[i] * zz[i * 10 + j] * m[j];
    }
    /* ln|A| by Cholesky. */
    double l[100] = {0};
    for (int j = 0; j < 10; j++) {
        double s = a[j * 10 + j];
        for (int k = 0; k < j; k++)
            s -= l[j * 10 + k] * l[j * 10 + k];
        l[j * 10 + j] = sqrt(s);
        logdet += 2.0 * log(l[j * 10 + j]);
        for (int i = j + 1; i < 10; i++) {
            double t = a[i * 10 + j];
            for (int k = 0; k < j; k++)
                t -= l[i * 10 + k] * l[j * 10 + k];
            l[i * 10 + j] = t / l[j * 10 + j];
        }
    }
    double evidence = 5.0 * log(alpha) + 0.5 * (double)n * log(beta) - 0.5 * beta * rss -
                      0.5 * alpha * mm - 0.5 * logdet - 0.5 * (double)n * log(2.0 * 3.14159265358979323846);
    CHECK_ABS(res.objective, evidence, 1e-6); /* 5.6e-8 here; 8e-7 at shape 1e8, 8.5e-6 at 1e7 */
    CHECK_REL(vem_blr_noise_precision(b), beta, 1e-6);
    CHECK_REL(vem_blr_weight_precision(b)[0], alpha, 1e-6);
    vem_fit_result_clear(&res);
    vem_blr_free(b);
}

static void test_save_load(const diabetes *db)
{
    vem_blr *b = vem_blr_new(10);
    vem_blr_set_standardize(b, 1);
    vem_blr_set_intercept(b, 1);
    vem_blr_set_ard(b, 1);
    vem_matrix x = vem_matrix_view(db->x, db->n, 10);
    vem_fit_result res;
    vem_blr_fit(b, &x, db->y, NULL, &res);
    const char *names[10] = {"age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"};
    CHECK(vem_blr_set_columns(b, names, "target") == VEM_OK);
    char path[] = "/tmp/vem-test-blr-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd >= 0)
        close(fd);
    CHECK(vem_blr_save(b, path, &res) == VEM_OK);
    vem_blr *c = vem_blr_load(path);
    CHECK(c != NULL);
    if (c) {
        CHECK(vem_blr_ard(c) && vem_blr_intercept_on(c) && vem_blr_standardize_on(c));
        CHECK(strcmp(vem_blr_columns(c)[2], "bmi") == 0);
        CHECK(strcmp(vem_blr_target(c), "target") == 0);
        CHECK(vem_blr_n_pruned(c) == vem_blr_n_pruned(b));
        double m1[3], s1[3], m2[3], s2[3];
        vem_matrix x3 = vem_matrix_view(db->x, 3, 10);
        vem_blr_predict(b, &x3, m1, s1);
        vem_blr_predict(c, &x3, m2, s2);
        for (int i = 0; i < 3; i++) {
            CHECK(m1[i] == m2[i]);
            CHECK(s1[i] == s2[i]);
        }
    }
    vem_blr_free(c);
    FILE *fp = fopen(path, "w");
    fputs("{\"format\": \"vem-model\", \"version\": 1, \"model\": \"blr\", \"n_features\": 0}", fp);
    fclose(fp);
    CHECK(vem_blr_load(path) == NULL);
    CHECK(strstr(vem_errmsg(), "n_features") != NULL);
    remove(path);
    vem_fit_result_clear(&res);
    vem_blr_free(b);
}

static void test_errors(const diabetes *db)
{
    CHECK(vem_blr_new(0) == NULL);
    vem_blr *b = vem_blr_new(10);
    CHECK(vem_blr_set_hyperpriors(b, 0.0, 1e-6, 1e-6, 1e-6) == VEM_EINVAL);
    CHECK(strstr(vem_errmsg(), "a0") != NULL);
    CHECK(vem_blr_set_hyperpriors(b, 1e-6, 1e-6, 1e-6, INFINITY) == VEM_EINVAL);
    CHECK(vem_blr_set_prune_threshold(b, -1.0) == VEM_EINVAL);
    CHECK(vem_blr_set_ard_update(b, (vem_blr_update)7) == VEM_EINVAL);
    vem_blr_update u = VEM_BLR_MACKAY;
    CHECK(vem_blr_update_parse("vb", &u) == VEM_OK && u == VEM_BLR_VB);
    CHECK(vem_blr_update_parse("evidence", &u) == VEM_EINVAL && u == VEM_BLR_VB);
    CHECK(strstr(vem_errmsg(), "evidence") != NULL);
    CHECK(strcmp(vem_blr_update_name(VEM_BLR_MACKAY), "mackay") == 0);
    CHECK(vem_blr_update_name((vem_blr_update)2) == NULL);
    vem_matrix x9 = vem_matrix_view(db->x, db->n, 9);
    CHECK(vem_blr_fit(b, &x9, db->y, NULL, NULL) == VEM_EINVAL);
    vem_matrix x1 = vem_matrix_view(db->x, 1, 10);
    CHECK(vem_blr_fit(b, &x1, db->y, NULL, NULL) == VEM_EINVAL);
    vem_matrix x = vem_matrix_view(db->x, db->n, 10);
    double *y = malloc(db->n * sizeof *y);
    memcpy(y, db->y, db->n * sizeof *y);
    y[5] = NAN;
    CHECK(vem_blr_fit(b, &x, y, NULL, NULL) == VEM_EINVAL);
    CHECK(strstr(vem_errmsg(), "row 6") != NULL);
    vem_fit_opts o;
    vem_fit_opts_init(&o);
    o.n_init = 2;
    CHECK(vem_blr_fit(b, &x, db->y, &o, NULL) == VEM_EINVAL);
    o.n_init = 1;
    o.algorithm = VEM_ALG_STEPWISE;
    CHECK(vem_blr_fit(b, &x, db->y, &o, NULL) == VEM_EUNSUP);
    /* A constant column cannot be standardised. */
    for (size_t r = 0; r < db->n; r++)
        y[r] = 1.0;
    double *xc = malloc(db->n * 10 * sizeof *xc);
    memcpy(xc, db->x, db->n * 10 * sizeof *xc);
    for (size_t r = 0; r < db->n; r++)
        xc[r * 10 + 3] = 2.5;
    vem_matrix xm = vem_matrix_view(xc, db->n, 10);
    vem_blr_set_standardize(b, 1);
    CHECK(vem_blr_fit(b, &xm, db->y, NULL, NULL) == VEM_EINVAL);
    CHECK(strstr(vem_errmsg(), "column 4") != NULL);
    free(xc);
    free(y);
    vem_blr_free(b);
    vem_blr_free(NULL);
}

int main(void)
{
    diabetes db;
    if (load_diabetes(&db) != 0) {
        CHECK(!"diabetes.csv readable");
        return check_report("blr");
    }
    test_against_sklearn(&db, "br_std_icpt", 1, 1);
    test_against_sklearn(&db, "br_std_noicpt", 1, 0);
    test_against_sklearn(&db, "br_raw_icpt", 0, 1);
    test_reference_precisions(&db);
    test_ard(&db);
    test_ard_sklearn();
    test_planted();
    test_elbo_evidence(&db);
    test_save_load(&db);
    test_errors(&db);
    free(db.x);
    free(db.y);
    vem_table_clear(&db.t);
    return check_report("blr");
}
