/*
 * tests/test_gmm.c — Gaussian mixtures against a naive oracle (explicit
 * inverses, explicit responsibilities, two-pass covariances), planted
 * mixtures, invariants and errors.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <vem/vem.h>

#include "check.h"

#define LOG_2PI 1.8378770664093454836

static const vem_cov all_covs[4] = {VEM_COV_FULL, VEM_COV_DIAG, VEM_COV_SPHERICAL, VEM_COV_TIED};

/* ------------------------------------------------------------ the oracle */

/* Full d x d covariance of component c, whatever the type. */
static void full_cov(const vem_gmm *g, size_t c, double *out)
{
    size_t d = vem_gmm_d(g);
    const double *cv = vem_gmm_covariances(g);
    memset(out, 0, d * d * sizeof *out);
    switch (vem_gmm_cov(g)) {
    case VEM_COV_FULL:
        memcpy(out, cv + c * d * d, d * d * sizeof *out);
        break;
    case VEM_COV_TIED:
        memcpy(out, cv, d * d * sizeof *out);
        break;
    case VEM_COV_DIAG:
        for (size_t j = 0; j < d; j++)
            out[j * d + j] = cv[c * d + j];
        break;
    case VEM_COV_SPHERICAL:
        for (size_t j = 0; j < d; j++)
            out[j * d + j] = cv[c];
        break;
    }
}

/* Gauss-Jordan with partial pivoting: inverse of a (d x d) into inv, returns log|det a|. */
static double naive_inverse(size_t d, const double *a, double *inv)
{
    double *m = malloc(d * 2 * d * sizeof *m);
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < 2 * d; j++)
            m[i * 2 * d + j] = j < d ? a[i * d + j] : (j - d == i ? 1.0 : 0.0);
    double logdet = 0.0;
    for (size_t c = 0; c < d; c++) {
        size_t p = c;
        for (size_t r = c + 1; r < d; r++)
            if (fabs(m[r * 2 * d + c]) > fabs(m[p * 2 * d + c]))
                p = r;
        for (size_t j = 0; j < 2 * d; j++) {
            double t = m[c * 2 * d + j];
            m[c * 2 * d + j] = m[p * 2 * d + j];
            m[p * 2 * d + j] = t;
        }
        double piv = m[c * 2 * d + c];
        logdet += log(fabs(piv));
        for (size_t j = 0; j < 2 * d; j++)
            m[c * 2 * d + j] /= piv;
        for (size_t r = 0; r < d; r++) {
            if (r == c)
                continue;
            double f = m[r * 2 * d + c];
            for (size_t j = 0; j < 2 * d; j++)
                m[r * 2 * d + j] -= f * m[c * 2 * d + j];
        }
    }
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++)
            inv[i * d + j] = m[i * 2 * d + d + j];
    free(m);
    return logdet;
}

/* log w_c + log N(x | mu_c, Sigma_c) for every row and component: n x k. */
static void naive_logp(const vem_gmm *g, const double *x, size_t n, double *lp)
{
    size_t k = vem_gmm_k(g), d = vem_gmm_d(g);
    double *cov = malloc(d * d * sizeof *cov), *inv = malloc(d * d * sizeof *inv);
    for (size_t c = 0; c < k; c++) {
        full_cov(g, c, cov);
        double logdet = naive_inverse(d, cov, inv);
        const double *mu = vem_gmm_means(g) + c * d;
        for (size_t r = 0; r < n; r++) {
            double q = 0.0;
            for (size_t i = 0; i < d; i++)
                for (size_t j = 0; j < d; j++)
                    q += (x[r * d + i] - mu[i]) * inv[i * d + j] * (x[r * d + j] - mu[j]);
            lp[r * k + c] = log(vem_gmm_weights(g)[c]) - 0.5 * ((double)d * LOG_2PI + logdet + q);
        }
    }
    free(cov);
    free(inv);
}

static double naive_loglik(const vem_gmm *g, const double *x, size_t n, double *resp)
{
    size_t k = vem_gmm_k(g);
    double *lp = malloc(n * k * sizeof *lp), total = 0.0;
    naive_logp(g, x, n, lp);
    for (size_t r = 0; r < n; r++) {
        double m = -INFINITY, s = 0.0;
        for (size_t c = 0; c < k; c++)
            m = fmax(m, lp[r * k + c]);
        for (size_t c = 0; c < k; c++)
            s += exp(lp[r * k + c] - m);
        double l = m + log(s);
        total += l;
        if (resp)
            for (size_t c = 0; c < k; c++)
                resp[r * k + c] = exp(lp[r * k + c] - l);
    }
    free(lp);
    return total;
}

/* ------------------------------------------------------------- fixtures */

/* A planted mixture: 3 components in 3-D, well separated, with correlations. */
static vem_gmm *planted(vem_cov cov)
{
    const size_t k = 3, d = 3;
    static const double w[3] = {0.2385, 0.4115, 0.35};
    static const double mu[9] = {-4.1, 0.3, 2.2, 3.7, -2.9, 0.0, 1.2, 4.4, -3.3};
    double full[27] = {1.3, 0.4, -0.2, 0.4, 0.9, 0.1, -0.2, 0.1, 0.6,
                       0.5, -0.1, 0.0, -0.1, 1.7, 0.3, 0.0, 0.3, 0.8,
                       2.1, 0.6, 0.2, 0.6, 0.7, -0.1, 0.2, -0.1, 1.1};
    double c[27];
    switch (cov) {
    case VEM_COV_FULL:
        memcpy(c, full, sizeof full);
        break;
    case VEM_COV_TIED:
        memcpy(c, full, 9 * sizeof *full);
        break;
    case VEM_COV_DIAG:
        for (size_t i = 0; i < k; i++)
            for (size_t j = 0; j < d; j++)
                c[i * d + j] = full[i * 9 + j * 4];
        break;
    case VEM_COV_SPHERICAL:
        c[0] = 0.8;
        c[1] = 1.9;
        c[2] = 0.55;
        break;
    }
    vem_gmm *g = vem_gmm_new(k, d, cov);
    CHECK(vem_gmm_set_params(g, w, mu, c) == VEM_OK);
    return g;
}

static double *draw(const vem_gmm *g, size_t n, uint64_t seed)
{
    double *x = malloc(n * vem_gmm_d(g) * sizeof *x);
    vem_rng r;
    vem_rng_seed(&r, seed);
    CHECK(vem_gmm_sample(g, n, &r, x, NULL) == VEM_OK);
    return x;
}

/* ----------------------------------------------------------------- tests */

static void test_score_equals_naive(void)
{
    for (int t = 0; t < 4; t++) {
        vem_gmm *g = planted(all_covs[t]);
        const size_t n = 1500; /* more than one scoring block */
        double *x = draw(g, n, 3 + (uint64_t)t);
        double *ll = malloc(n * sizeof *ll), *resp = malloc(n * 3 * sizeof *resp);
        double *proba = malloc(n * 3 * sizeof *proba), *naive_resp = malloc(n * 3 * sizeof *resp);
        vem_matrix m = vem_matrix_view(x, n, 3);
        CHECK(vem_gmm_score_samples(g, &m, ll) == VEM_OK);
        double want = naive_loglik(g, x, n, naive_resp), got = 0.0, worst = 0.0;
        double *lp = malloc(n * 3 * sizeof *lp);
        naive_logp(g, x, n, lp);
        for (size_t r = 0; r < n; r++) {
            got += ll[r];
            double m0 = fmax(fmax(lp[3 * r], lp[3 * r + 1]), lp[3 * r + 2]);
            double l = m0 + log(exp(lp[3 * r] - m0) + exp(lp[3 * r + 1] - m0) + exp(lp[3 * r + 2] - m0));
            worst = fmax(worst, fabs(ll[r] - l) / fabs(l));
        }
        CHECK(worst < 1e-12);
        CHECK_REL(got, want, 1e-12);
        double mean, total;
        CHECK(vem_gmm_score(g, &m, &mean, &total) == VEM_OK);
        CHECK_REL(total, want, 1e-12);
        CHECK_REL(mean, want / (double)n, 1e-12);
        CHECK(vem_gmm_predict_proba(g, &m, proba) == VEM_OK);
        double pworst = 0.0;
        for (size_t i = 0; i < n * 3; i++)
            pworst = fmax(pworst, fabs(proba[i] - naive_resp[i]));
        CHECK(pworst < 1e-12);
        size_t *lab = malloc(n * sizeof *lab);
        CHECK(vem_gmm_predict(g, &m, lab) == VEM_OK);
        size_t agree = 0;
        for (size_t r = 0; r < n; r++) {
            size_t b = 0;
            for (size_t c = 1; c < 3; c++)
                if (naive_resp[r * 3 + c] > naive_resp[r * 3 + b])
                    b = c;
            agree += lab[r] == b;
        }
        CHECK(agree == n);
        free(lab);
        free(lp);
        free(ll);
        free(resp);
        free(proba);
        free(naive_resp);
        free(x);
        vem_gmm_free(g);
    }
}

/* One EM iteration from known parameters equals the naive M-step. */
static void test_one_iteration_equals_naive(void)
{
    for (int t = 0; t < 4; t++) {
        vem_cov cov = all_covs[t];
        vem_gmm *g = planted(cov);
        const size_t n = 2000, k = 3, d = 3;
        double *x = draw(g, n, 21 + (uint64_t)t);
        /* Perturb the parameters so that the step moves them. */
        double w[3] = {0.3, 0.3, 0.4}, mu[9];
        memcpy(mu, vem_gmm_means(g), sizeof mu);
        for (size_t i = 0; i < 9; i++)
            mu[i] += 0.3 * (double)((i * 7) % 5) - 0.6;
        size_t cl = vem_gmm_covariances_len(g);
        double *cv = malloc(cl * sizeof *cv);
        memcpy(cv, vem_gmm_covariances(g), cl * sizeof *cv);
        CHECK(vem_gmm_set_params(g, w, mu, cv) == VEM_OK);
        double *resp = malloc(n * k * sizeof *resp);
        double ll0 = naive_loglik(g, x, n, resp);
        const double reg = 1e-6;
        double nk[3] = {0}, mean[9] = {0};
        for (size_t r = 0; r < n; r++)
            for (size_t c = 0; c < k; c++) {
                nk[c] += resp[r * k + c];
                for (size_t j = 0; j < d; j++)
                    mean[c * d + j] += resp[r * k + c] * x[r * d + j];
            }
        for (size_t c = 0; c < k; c++)
            for (size_t j = 0; j < d; j++)
                mean[c * d + j] /= nk[c];
        double cfull[27] = {0}, tied[9] = {0};
        for (size_t c = 0; c < k; c++)
            for (size_t r = 0; r < n; r++)
                for (size_t i = 0; i < d; i++)
                    for (size_t j = 0; j < d; j++) {
                        double v = resp[r * k + c] * (x[r * d + i] - mean[c * d + i]) *
                                   (x[r * d + j] - mean[c * d + j]);
                        cfull[c * 9 + i * 3 + j] += v;
                        tied[i * 3 + j] += v;
                    }
        vem_matrix m = vem_matrix_view(x, n, d);
        vem_fit_opts o;
        vem_fit_opts_init(&o);
        o.warm_start = 1;
        o.max_iter = 1;
        o.block = 333;
        vem_fit_result res;
        CHECK(vem_gmm_fit(g, &m, &o, NULL, &res) == VEM_EMAXITER);
        CHECK(res.trace_len == 1);
        CHECK_REL(res.trace[0].objective, ll0, 1e-12);
        for (size_t c = 0; c < k; c++) {
            CHECK_REL(vem_gmm_weights(g)[c], nk[c] / (double)n, 1e-12);
            for (size_t j = 0; j < d; j++)
                CHECK_REL(vem_gmm_means(g)[c * d + j], mean[c * d + j], 1e-11);
        }
        const double *got = vem_gmm_covariances(g);
        for (size_t c = 0; c < k; c++)
            for (size_t i = 0; i < d; i++)
                for (size_t j = 0; j < d; j++) {
                    double full = cfull[c * 9 + i * 3 + j] / nk[c] + (i == j ? reg : 0.0);
                    if (cov == VEM_COV_FULL)
                        CHECK_REL(got[c * 9 + i * 3 + j], full, 1e-10);
                    else if (cov == VEM_COV_DIAG && i == j)
                        CHECK_REL(got[c * 3 + i], full, 1e-10);
                    else if (cov == VEM_COV_TIED && c == 0)
                        CHECK_REL(got[i * 3 + j], tied[i * 3 + j] / (double)n + (i == j ? reg : 0.0),
                                  1e-10);
                }
        if (cov == VEM_COV_SPHERICAL)
            for (size_t c = 0; c < k; c++) {
                double s = 0.0;
                for (size_t j = 0; j < d; j++)
                    s += cfull[c * 9 + j * 4] / nk[c] + reg;
                CHECK_REL(got[c], s / 3.0, 1e-10);
            }
        /* The returned objective is that of the returned parameters. */
        CHECK_REL(res.objective, naive_loglik(g, x, n, NULL), 1e-12);
        vem_fit_result_clear(&res);
        free(cv);
        free(resp);
        free(x);
        vem_gmm_free(g);
    }
}

/* Planted parameters are recovered from 30,000 draws; the trace is monotone. */
static void test_planted_recovery(void)
{
    for (int t = 0; t < 4; t++) {
        vem_cov cov = all_covs[t];
        vem_gmm *truth = planted(cov);
        const size_t n = 30000, d = 3;
        double *x = draw(truth, n, 99);
        vem_gmm *g = vem_gmm_new(3, d, cov);
        vem_fit_opts o;
        vem_fit_opts_init(&o);
        o.tol = 1e-8;
        o.max_iter = 500;
        vem_rng rng;
        vem_rng_seed(&rng, 5);
        vem_fit_result res;
        vem_matrix m = vem_matrix_view(x, n, d);
        vem_status st = vem_gmm_fit(g, &m, &o, &rng, &res);
        CHECK(st == VEM_OK);
        CHECK(res.converged == 1);
        CHECK(res.n_violations == 0);
        for (size_t i = 1; i < res.trace_len; i++)
            CHECK(res.trace[i].objective >= res.trace[i - 1].objective - 1e-9 * fabs(res.trace[i - 1].objective));
        /* Match components by nearest mean, then compare. */
        for (size_t c = 0; c < 3; c++) {
            const double *tm = vem_gmm_means(truth) + c * d;
            size_t b = 0;
            double bd = INFINITY;
            for (size_t e = 0; e < 3; e++) {
                double q = 0.0;
                for (size_t j = 0; j < d; j++)
                    q += pow(vem_gmm_means(g)[e * d + j] - tm[j], 2);
                if (q < bd) {
                    bd = q;
                    b = e;
                }
            }
            CHECK(sqrt(bd) < 0.05);
            CHECK_ABS(vem_gmm_weights(g)[b], vem_gmm_weights(truth)[c], 0.01);
            if (cov == VEM_COV_DIAG)
                for (size_t j = 0; j < d; j++)
                    CHECK_REL(vem_gmm_covariances(g)[b * d + j], vem_gmm_covariances(truth)[c * d + j], 0.05);
            if (cov == VEM_COV_FULL)
                for (size_t j = 0; j < d * d; j++)
                    CHECK_ABS(vem_gmm_covariances(g)[b * d * d + j], vem_gmm_covariances(truth)[c * d * d + j], 0.06);
        }
        vem_fit_result_clear(&res);
        vem_gmm_free(g);
        vem_gmm_free(truth);
        free(x);
    }
}

/* 1, 2 and 3 threads give the same bits, for every covariance type and init. */
static void test_thread_invariance(void)
{
    vem_gmm *truth = planted(VEM_COV_FULL);
    const size_t n = 20011, d = 3;
    double *x = draw(truth, n, 17);
    vem_matrix m = vem_matrix_view(x, n, d);
    for (int t = 0; t < 4; t++)
        for (int init = 0; init < 3; init++) {
            double obj[3];
            double *means[3], *covs[3];
            for (int th = 0; th < 3; th++) {
                vem_gmm *g = vem_gmm_new(3, d, all_covs[t]);
                vem_gmm_set_init(g, (vem_gmm_init)init);
                vem_fit_opts o;
                vem_fit_opts_init(&o);
                o.nthreads = th + 1;
                o.block = 512;
                o.n_init = 2;
                vem_rng rng;
                vem_rng_seed(&rng, 2385);
                vem_fit_result res;
                vem_status st = vem_gmm_fit(g, &m, &o, &rng, &res);
                CHECK(st == VEM_OK || st == VEM_EMAXITER);
                obj[th] = res.objective;
                size_t cl = vem_gmm_covariances_len(g);
                means[th] = malloc(3 * d * sizeof(double));
                covs[th] = malloc(cl * sizeof(double));
                memcpy(means[th], vem_gmm_means(g), 3 * d * sizeof(double));
                memcpy(covs[th], vem_gmm_covariances(g), cl * sizeof(double));
                if (th > 0) {
                    CHECK(memcmp(&obj[0], &obj[th], sizeof obj[0]) == 0);
                    CHECK(memcmp(means[0], means[th], 3 * d * sizeof(double)) == 0);
                    CHECK(memcmp(covs[0], covs[th], cl * sizeof(double)) == 0);
                }
                vem_fit_result_clear(&res);
                vem_gmm_free(g);
            }
            for (int th = 0; th < 3; th++) {
                free(means[th]);
                free(covs[th]);
            }
        }
    free(x);
    vem_gmm_free(truth);
}

/* Old Faithful against the figures every peer agrees on (../shared/REFERENCE.md). */
static void test_faithful_reference(void)
{
    vem_table t;
    memset(&t, 0, sizeof t);
    vem_csv_opts co;
    vem_csv_opts_init(&co);
    if (vem_csv_read(VEM_EXAMPLE_DATA "/faithful.csv", &co, &t) != VEM_OK) {
        CHECK(!"faithful.csv readable");
        return;
    }
    vem_matrix m = vem_table_matrix(&t);
    static const double want[2] = {-4.155382, -4.219876};
    for (int t2 = 0; t2 < 2; t2++) {
        vem_gmm *g = vem_gmm_new(2, 2, all_covs[t2]);
        vem_fit_opts o;
        vem_fit_opts_init(&o);
        o.tol = 1e-10;
        o.max_iter = 1000;
        vem_rng rng;
        vem_rng_seed(&rng, 0);
        vem_fit_result res;
        CHECK(vem_gmm_fit(g, &m, &o, &rng, &res) == VEM_OK);
        CHECK_ABS(res.objective / 272.0, want[t2], 5e-7);
        /* Scoring sums through the same slots as the fit's final evaluation: same bits. */
        double total = 0.0;
        CHECK(vem_gmm_score(g, &m, NULL, &total) == VEM_OK);
        CHECK(memcmp(&total, &res.objective, sizeof total) == 0);
        CHECK(res.n_violations == 0);
        double bic = vem_gmm_bic(g, res.objective, 272);
        CHECK_REL(bic, -2.0 * res.objective + (double)vem_gmm_n_parameters(g) * log(272.0), 1e-15);
        vem_fit_result_clear(&res);
        vem_gmm_free(g);
    }
    /* Model selection: full covariance with 2 or 3 components wins on BIC (mclust picks EEE 3 / VVV 2). */
    size_t ks[3] = {1, 2, 3};
    vem_gmm_select_cell cells[12];
    vem_gmm *best = NULL;
    vem_fit_opts o;
    vem_fit_opts_init(&o);
    CHECK(vem_gmm_select(&m, ks, 3, all_covs, 4, VEM_INIT_KMEANS, 1e-6, &o, 0, cells, &best) == VEM_OK);
    CHECK(best != NULL);
    double lowest = INFINITY;
    for (int i = 0; i < 12; i++) {
        CHECK(cells[i].status == VEM_OK || cells[i].status == VEM_EMAXITER);
        lowest = fmin(lowest, cells[i].bic);
    }
    CHECK(cells[0].k == 1 && cells[0].cov == VEM_COV_FULL && cells[11].k == 3 && cells[11].cov == VEM_COV_TIED);
    CHECK(vem_gmm_k(best) >= 2);
    CHECK(cells[1 * 4 + 0].bic < cells[0].bic); /* two clusters beat one */
    vem_gmm_free(best);
    vem_table_clear(&t);
}

static void test_parameter_counts(void)
{
    /* mclust's nVarParams + means + proportions for d = 4, G = 3. */
    static const size_t want[4] = {44, 26, 17, 24};
    for (int t = 0; t < 4; t++) {
        vem_gmm *g = vem_gmm_new(3, 4, all_covs[t]);
        CHECK(vem_gmm_n_parameters(g) == want[t]);
        CHECK_REL(vem_gmm_aic(g, -100.0), 200.0 + 2.0 * (double)want[t], 1e-15);
        vem_gmm_free(g);
    }
}

static void test_sample_moments(void)
{
    vem_gmm *g = planted(VEM_COV_FULL);
    const size_t n = 200000;
    double *x = malloc(n * 3 * sizeof *x);
    size_t *lab = malloc(n * sizeof *lab);
    vem_rng r;
    vem_rng_seed(&r, 8);
    CHECK(vem_gmm_sample(g, n, &r, x, lab) == VEM_OK);
    double cnt[3] = {0}, mu[9] = {0}, c01 = 0.0;
    for (size_t i = 0; i < n; i++) {
        cnt[lab[i]] += 1.0;
        for (size_t j = 0; j < 3; j++)
            mu[lab[i] * 3 + j] += x[i * 3 + j];
    }
    for (size_t c = 0; c < 3; c++) {
        CHECK_ABS(cnt[c] / (double)n, vem_gmm_weights(g)[c], 0.005);
        for (size_t j = 0; j < 3; j++)
            CHECK_ABS(mu[c * 3 + j] / cnt[c], vem_gmm_means(g)[c * 3 + j], 0.02);
    }
    for (size_t i = 0; i < n; i++)
        if (lab[i] == 0)
            c01 += (x[i * 3] - mu[0] / cnt[0]) * (x[i * 3 + 1] - mu[1] / cnt[0]);
    CHECK_ABS(c01 / cnt[0], 0.4, 0.03);
    free(x);
    free(lab);
    vem_gmm_free(g);
}

static void test_errors(void)
{
    CHECK(vem_gmm_new(0, 3, VEM_COV_DIAG) == NULL);
    CHECK(strstr(vem_errmsg(), "k=0") != NULL);
    CHECK(vem_gmm_new(2, 0, VEM_COV_DIAG) == NULL);
    CHECK(vem_gmm_new(2, 2, (vem_cov)VEM_COV_COUNT) == NULL);
    vem_cov c;
    CHECK(vem_cov_parse("diag", &c) == VEM_OK && c == VEM_COV_DIAG);
    CHECK(vem_cov_parse("banana", &c) == VEM_EINVAL && strstr(vem_errmsg(), "banana"));
    /* The mclust-only models are mixtures' alone: vem_cov_parse (HMMs) refuses them. */
    CHECK(vem_cov_parse("VEV", &c) == VEM_EINVAL);
    CHECK(vem_gmm_cov_parse("VVV", &c) == VEM_OK && c == VEM_COV_FULL);
    CHECK(vem_gmm_cov_parse("EEE", &c) == VEM_OK && c == VEM_COV_TIED);
    CHECK(vem_gmm_cov_parse("VEV", &c) == VEM_OK && c == VEM_COV_VEV);
    CHECK(vem_cov_layout(VEM_COV_VEV) == VEM_COV_FULL && vem_cov_layout(VEM_COV_EII) ==
          VEM_COV_SPHERICAL && vem_cov_layout(VEM_COV_VEI) == VEM_COV_DIAG);
    CHECK(strcmp(vem_cov_mclust_name(VEM_COV_DIAG), "VVI") == 0);
    vem_gmm_init gi;
    CHECK(vem_gmm_init_parse("kmeans++", &gi) == VEM_OK && gi == VEM_INIT_KMEANSPP);
    CHECK(vem_gmm_init_parse("zz", &gi) == VEM_EINVAL);

    vem_gmm *g = vem_gmm_new(2, 2, VEM_COV_FULL);
    CHECK(vem_gmm_set_init(g, VEM_INIT_MEANS) == VEM_EINVAL); /* no means given yet */
    double w[2] = {0.5, 0.5}, mu[4] = {0, 0, 1, 1};
    double good[8] = {1, 0.2, 0.2, 1, 2, 0, 0, 2};
    double notpd[8] = {1, 2, 2, 1, 2, 0, 0, 2};
    double asym[8] = {1, 0.2, 0.3, 1, 2, 0, 0, 2};
    CHECK(vem_gmm_set_params(g, w, mu, good) == VEM_OK);
    CHECK(vem_gmm_set_params(g, w, mu, notpd) == VEM_ENUMERIC);
    CHECK(strstr(vem_errmsg(), "component 1") != NULL);
    CHECK(vem_gmm_covariances(g)[1] == 0.2); /* unchanged */
    CHECK(vem_gmm_set_params(g, w, mu, asym) == VEM_EINVAL && strstr(vem_errmsg(), "symmetric"));
    double wbad[2] = {0.5, 0.6}, wneg[2] = {1.5, -0.5};
    CHECK(vem_gmm_set_params(g, wbad, mu, good) == VEM_EINVAL && strstr(vem_errmsg(), "sum"));
    CHECK(vem_gmm_set_params(g, wneg, mu, good) == VEM_EINVAL && strstr(vem_errmsg(), "weight 2"));
    double mnan[4] = {0, NAN, 1, 1};
    CHECK(vem_gmm_set_params(g, w, mnan, good) == VEM_EINVAL);
    CHECK(vem_gmm_set_reg_covar(g, -1.0) == VEM_EINVAL);
    double x[6] = {1, 2, 3, 4, 5, 6};
    vem_matrix one = vem_matrix_view(x, 1, 2), three = vem_matrix_view(x, 2, 3);
    vem_fit_opts o;
    vem_fit_opts_init(&o);
    vem_rng rng;
    vem_rng_seed(&rng, 1);
    CHECK(vem_gmm_fit(g, &one, &o, &rng, NULL) == VEM_EINVAL && strstr(vem_errmsg(), "fewer than k=2"));
    CHECK(vem_gmm_fit(g, &three, &o, &rng, NULL) == VEM_EINVAL && strstr(vem_errmsg(), "columns"));
    double out[2];
    CHECK(vem_gmm_score_samples(g, &three, out) == VEM_EINVAL);
    /* A collapsed covariance with reg_covar = 0: numerical failure, parameters restored. */
    double dup[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    vem_matrix same = vem_matrix_view(dup, 4, 2);
    CHECK(vem_gmm_set_reg_covar(g, 0.0) == VEM_OK);
    CHECK(vem_gmm_fit(g, &same, &o, &rng, NULL) == VEM_ENUMERIC);
    CHECK(strstr(vem_errmsg(), "reg_covar") != NULL);
    CHECK(vem_gmm_covariances(g)[1] == 0.2);
    vem_gmm_free(g);
}

/* Given means: rows go to the nearest mean, the means are kept as given. */
static void test_init_means(void)
{
    vem_gmm *truth = planted(VEM_COV_DIAG);
    const size_t n = 3000;
    double *x = draw(truth, n, 4);
    vem_gmm *g = vem_gmm_new(3, 3, VEM_COV_DIAG);
    CHECK(vem_gmm_set_init_means(g, vem_gmm_means(truth)) == VEM_OK);
    CHECK(vem_gmm_init_method(g) == VEM_INIT_MEANS);
    vem_fit_opts o;
    vem_fit_opts_init(&o);
    o.max_iter = 0; /* initialisation only */
    vem_rng rng;
    vem_rng_seed(&rng, 1);
    vem_matrix m = vem_matrix_view(x, n, 3);
    CHECK(vem_gmm_fit(g, &m, &o, &rng, NULL) == VEM_EMAXITER);
    CHECK(memcmp(vem_gmm_means(g), vem_gmm_means(truth), 9 * sizeof(double)) == 0);
    CHECK_ABS(vem_gmm_weights(g)[1], vem_gmm_weights(truth)[1], 0.03);
    free(x);
    vem_gmm_free(g);
    vem_gmm_free(truth);
}

/*
 * BIC against R mclust on penguins (tests/golden/mclust_penguins_bic.R): K = 1 is
 * closed form, so every covariance type must agree to round-off, which pins the
 * parameter counts and the formula; for K = 2-4 each fit may find another local
 * optimum, so with 8 restarts vem must be within 1 % of mclust or better, and pick
 * mclust's model.
 */
static void test_mclust_bic(void)
{
    FILE *fp = fopen(VEM_GOLDEN "/mclust_penguins_bic.txt", "r");
    CHECK(fp != NULL);
    if (!fp)
        return;
    double ref[4][4];
    char line[512];
    int rows = 0;
    while (fgets(line, sizeof line, fp) && rows < 4) {
        if (line[0] == '#')
            continue;
        int k;
        if (sscanf(line, "%d %lf %lf %lf %lf", &k, &ref[rows][0], &ref[rows][1], &ref[rows][2],
                   &ref[rows][3]) == 5)
            rows++;
    }
    fclose(fp);
    CHECK(rows == 4);
    vem_table t;
    memset(&t, 0, sizeof t);
    vem_csv_opts co;
    vem_csv_opts_init(&co);
    co.columns = "beak_length_mm,beak_depth_mm,flipper_length_mm,body_mass_g";
    CHECK(vem_csv_read(VEM_EXAMPLE_DATA "/penguins.csv", &co, &t) == VEM_OK);
    vem_matrix m = vem_table_matrix(&t);
    size_t ks[4] = {1, 2, 3, 4};
    vem_gmm_select_cell cells[16];
    vem_gmm *best = NULL;
    vem_fit_opts o;
    vem_fit_opts_init(&o);
    o.n_init = 8;
    CHECK(vem_gmm_select(&m, ks, 4, all_covs, 4, VEM_INIT_KMEANS, 1e-6, &o, 0, cells, &best) ==
          VEM_OK);
    for (int j = 0; j < 4; j++)
        CHECK_REL(cells[j].bic, -ref[0][j], 1e-9);
    for (int i = 1; i < 4; i++)
        for (int j = 0; j < 4; j++)
            CHECK_ABS(fmin(cells[i * 4 + j].bic, -ref[i][j] * 1.01), cells[i * 4 + j].bic, 0.0);
    CHECK(best && vem_gmm_k(best) == 3 && vem_gmm_cov(best) == VEM_COV_TIED);
    vem_gmm_free(best);
    vem_table_clear(&t);
}

int main(void)
{
    test_score_equals_naive();
    test_one_iteration_equals_naive();
    test_planted_recovery();
    test_thread_invariance();
    test_faithful_reference();
    test_parameter_counts();
    test_sample_moments();
    test_errors();
    test_init_means();
    test_mclust_bic();
    return check_report("gmm");
}
