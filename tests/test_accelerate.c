/*
 * tests/test_accelerate.c — beyond plain EM (docs/acceleration.md): SQUAREM
 * (VEM_ACCEL_SQUAREM), L-BFGS and EM-then-L-BFGS (VEM_ALG_LBFGS, VEM_ALG_EM_LBFGS): the
 * same optimum as EM in fewer data passes, monotone accepted points, the pass count, and
 * what they refuse; L-BFGS for the Gaussian mixture and the hidden Markov model.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vem/vem.h>

#include "../examples/linkage.h"
#include "check.h"

/* The linkage example (rate 0.1328 per EM iteration): SQUAREM reaches the closed-form MLE
 * to 1e-14 with fewer passes than EM needs for 1e-12. */
static void test_linkage(void)
{
    double passes[2], theta[2];
    for (int a = 0; a < 2; a++) {
        vem_fit_opts o;
        vem_fit_opts_init(&o);
        o.accelerate = a ? VEM_ACCEL_SQUAREM : VEM_ACCEL_NONE;
        o.tol_rule = VEM_TOL_PARAMS;
        o.tol = 1e-13;
        o.max_iter = 1000;
        vem_fit_result res;
        CHECK(linkage_run(&o, 1, &theta[a], &res) == VEM_OK);
        CHECK(res.n_violations == 0);
        passes[a] = res.n_passes;
        /* Batch EM: one pass per iteration; SQUAREM: 2 or 3 (or more) per cycle. */
        if (a == 0)
            CHECK(res.n_passes == (double)res.n_iter);
        else
            CHECK(res.n_passes >= 2.0 * (double)res.n_iter &&
                  res.n_passes <= 13.0 * (double)res.n_iter);
        vem_fit_result_clear(&res);
    }
    printf("linkage: EM %g passes, SQUAREM %g\n", passes[0], passes[1]);
    CHECK_ABS(theta[0], LINKAGE_MLE, 1e-12);
    CHECK_ABS(theta[1], LINKAGE_MLE, 1e-14);
    CHECK(passes[1] < passes[0]);
}

/* A 1-D two-component mixture whose components overlap (means 0 and 1, unit variances):
 * EM crawls (its rate is the fraction of missing information, near 1 here). SQUAREM
 * reaches an objective at least EM's, never decreasing, in under a tenth of its passes. */
static void test_overlap(void)
{
    enum { N = 2000 };
    static double xs[N];
    vem_rng r;
    vem_rng_seed(&r, 11);
    for (size_t i = 0; i < N; i++)
        xs[i] = vem_rng_normal(&r) + (vem_rng_uniform(&r) < 0.5 ? 1.0 : 0.0);
    vem_matrix x = vem_matrix_view(xs, N, 1);
    const double w[2] = {0.3, 0.7}, mu[2] = {-0.5, 1.5}, cov[2] = {0.8, 1.2};
    /* EM, SQUAREM, L-BFGS, EM then L-BFGS. */
    const char *names[4] = {"EM", "SQUAREM", "L-BFGS", "EM-L-BFGS"};
    double obj[4], passes[4];
    for (int a = 0; a < 4; a++) {
        vem_gmm *g = vem_gmm_new(2, 1, VEM_COV_FULL);
        CHECK(g && vem_gmm_set_params(g, w, mu, cov) == VEM_OK);
        if (!g)
            return;
        vem_fit_opts o;
        vem_gmm_fit_opts_init(&o);
        o.warm_start = 1;
        o.accelerate = a == 1 ? VEM_ACCEL_SQUAREM : VEM_ACCEL_NONE;
        o.algorithm = a == 2 ? VEM_ALG_LBFGS : a == 3 ? VEM_ALG_EM_LBFGS : VEM_ALG_BATCH;
        o.tol = 1e-11;
        o.max_iter = 1000000;
        vem_fit_result res;
        CHECK(vem_gmm_fit(g, &x, &o, NULL, &res) == VEM_OK);
        CHECK(res.converged && res.n_violations == 0);
        obj[a] = res.objective;
        passes[a] = res.n_passes;
        /* Every trace entry's passes never decrease, and the last is the total. */
        for (size_t i = 1; i < res.trace_len; i++)
            CHECK(res.trace[i].passes >= res.trace[i - 1].passes);
        CHECK(res.trace_len && res.trace[res.trace_len - 1].passes <= res.n_passes);
        vem_fit_result_clear(&res);
        vem_gmm_free(g);
        printf("overlap: %-9s %.10f nats in %g passes\n", names[a], obj[a], passes[a]);
    }
    /* EM stopped short (its steps were below 1e-11 nats while the optimum was 3e-6 away);
     * the others reach at least its objective in under a tenth of its passes, and the
     * quasi-Newton fits agree with each other to 1e-8 nats. */
    for (int a = 1; a < 4; a++) {
        CHECK(obj[a] >= obj[0] - 1e-9);
        CHECK(passes[a] * 10 < passes[0]);
    }
    CHECK_ABS(obj[2], obj[3], 1e-8);
    CHECK(passes[2] * 100 < passes[0]);
}

/* SQUAREM, L-BFGS and EM-L-BFGS on the four layouts and three of mclust's structured
 * covariances reach EM's optimum on Old Faithful (K = 3) to 1e-8 nats per row. */
static void test_faithful(void)
{
    vem_table t;
    memset(&t, 0, sizeof t);
    vem_csv_opts co;
    vem_csv_opts_init(&co);
    if (vem_csv_read(VEM_EXAMPLE_DATA "/faithful.csv", &co, &t) != VEM_OK) {
        CHECK(!"faithful.csv readable");
        return;
    }
    vem_matrix x = vem_table_matrix(&t);
    const vem_cov covs[] = {VEM_COV_FULL, VEM_COV_TIED, VEM_COV_DIAG, VEM_COV_SPHERICAL,
                            VEM_COV_EII, VEM_COV_VEV, VEM_COV_EVE};
    for (size_t c = 0; c < sizeof covs / sizeof *covs; c++) {
        double obj[4];
        for (int a = 0; a < 4; a++) {
            vem_gmm *g = vem_gmm_new(3, 2, covs[c]);
            vem_fit_opts o;
            vem_gmm_fit_opts_init(&o);
            o.accelerate = a == 1 ? VEM_ACCEL_SQUAREM : VEM_ACCEL_NONE;
            o.algorithm = a == 2 ? VEM_ALG_LBFGS : a == 3 ? VEM_ALG_EM_LBFGS : VEM_ALG_BATCH;
            o.tol = 1e-12;
            vem_rng rng;
            vem_rng_seed(&rng, 4);
            vem_fit_result res;
            vem_status st = g ? vem_gmm_fit(g, &x, &o, &rng, &res) : VEM_ENOMEM;
            CHECK(st == VEM_OK);
            CHECK(res.n_violations == 0);
            obj[a] = res.objective;
            vem_fit_result_clear(&res);
            vem_gmm_free(g);
        }
        printf("faithful K=3 %s: EM %.10f, SQUAREM %.10f, L-BFGS %.10f, EM-L-BFGS %.10f\n",
               vem_cov_mclust_name(covs[c]), obj[0], obj[1], obj[2], obj[3]);
        for (int a = 1; a < 4; a++)
            CHECK_ABS(obj[a], obj[0], 1e-8 * 272);
    }
    /* The MAP prior has no gradient: L-BFGS is refused by name. */
    vem_gmm *g = vem_gmm_new(3, 2, VEM_COV_VEV);
    CHECK(g && vem_gmm_set_prior_default(g, &x) == VEM_OK);
    vem_fit_opts o;
    vem_gmm_fit_opts_init(&o);
    o.algorithm = VEM_ALG_LBFGS;
    vem_rng rng;
    vem_rng_seed(&rng, 4);
    vem_fit_result res;
    CHECK(g && vem_gmm_fit(g, &x, &o, &rng, &res) == VEM_EUNSUP);
    CHECK(strstr(vem_errmsg(), "no objective gradient") != NULL);
    vem_fit_result_clear(&res);
    vem_gmm_free(g);
    vem_table_clear(&t);
}

/* The HMM (docs/hmm.md): L-BFGS and EM-L-BFGS reach Baum-Welch's optimum (run to tol 1e-12
 * in total) to 1e-8 nats per frame, from the same default start, on the Seattle weather
 * (categorical, 3 states) and Old Faithful (Gaussian, 3 states, the four layouts), with
 * monotone accepted points. */
static double hmm_fit_run(vem_hmm *h, const vem_matrix *x, vem_algorithm alg, double *passes)
{
    vem_fit_opts o;
    vem_hmm_fit_opts_init(&o);
    o.algorithm = alg;
    o.tol = 1e-12;
    o.max_iter = 100000;
    vem_rng rng;
    vem_rng_seed(&rng, 1);
    vem_fit_result res;
    vem_status st = h ? vem_hmm_fit(h, x, NULL, &o, &rng, &res) : VEM_ENOMEM;
    CHECK(st == VEM_OK);
    if (st != VEM_OK)
        return -INFINITY;
    CHECK(res.n_violations == 0);
    const double obj = res.objective;
    *passes = res.n_passes;
    vem_fit_result_clear(&res);
    return obj;
}

static void test_hmm(void)
{
    const char *names[3] = {"EM", "L-BFGS", "EM-L-BFGS"};
    const vem_algorithm algs[3] = {VEM_ALG_BATCH, VEM_ALG_LBFGS, VEM_ALG_EM_LBFGS};
    /* The Seattle weather: 1,461 days, 5 symbols. */
    vem_text_table tt;
    vem_csv_opts co;
    vem_csv_opts_init(&co);
    co.columns = "weather";
    if (vem_text_table_read(VEM_EXAMPLE_DATA "/seattle-weather.csv", &co, 0, &tt) != VEM_OK) {
        CHECK(!"seattle-weather.csv readable");
        return;
    }
    double *codes = malloc(tt.rows * sizeof *codes);
    char **syms = NULL;
    size_t nsym = 0;
    CHECK(codes && vem_symbols_encode((const char *const *)tt.cells, tt.rows, NULL, 0, codes,
                                      &syms, &nsym) == VEM_OK && nsym == 5);
    vem_symbols_free(syms, nsym);
    const size_t n_days = tt.rows;
    vem_text_table_clear(&tt);
    if (!codes)
        return;
    vem_matrix xs = vem_matrix_view(codes, n_days, 1);
    double obj[3], passes[3];
    for (int a = 0; a < 3; a++) {
        vem_hmm *h = vem_hmm_new(3, VEM_HMM_CATEGORICAL, 5, VEM_COV_FULL);
        obj[a] = hmm_fit_run(h, &xs, algs[a], &passes[a]);
        vem_hmm_free(h);
        printf("hmm seattle K=3 categorical: %-9s %.10f nats in %g passes\n", names[a], obj[a],
               passes[a]);
    }
    for (int a = 1; a < 3; a++)
        CHECK_ABS(obj[a], obj[0], 1e-8 * (double)n_days);
    free(codes);

    vem_table t;
    memset(&t, 0, sizeof t);
    vem_csv_opts_init(&co);
    if (vem_csv_read(VEM_EXAMPLE_DATA "/faithful.csv", &co, &t) != VEM_OK) {
        CHECK(!"faithful.csv readable");
        return;
    }
    vem_matrix x = vem_table_matrix(&t);
    const vem_cov covs[4] = {VEM_COV_FULL, VEM_COV_TIED, VEM_COV_DIAG, VEM_COV_SPHERICAL};
    for (int c = 0; c < 4; c++) {
        for (int a = 0; a < 3; a++) {
            vem_hmm *h = vem_hmm_new(3, VEM_HMM_GAUSSIAN, 2, covs[c]);
            obj[a] = hmm_fit_run(h, &x, algs[a], &passes[a]);
            vem_hmm_free(h);
            printf("hmm faithful K=3 gaussian %s: %-9s %.10f nats in %g passes\n",
                   vem_cov_name(covs[c]), names[a], obj[a], passes[a]);
        }
        for (int a = 1; a < 3; a++)
            CHECK_ABS(obj[a], obj[0], 1e-8 * (double)x.rows);
    }
    vem_table_clear(&t);
}

/* Only batch EM is accelerated; an unknown value is refused. */
static void test_refusals(void)
{
    static double cells[197];
    vem_data x = vem_data_rows(vem_matrix_view(cells, 0, 1));
    linkage_data(cells, &x);
    linkage lk = {0.5};
    vem_model m = {&linkage_ops, &lk};
    vem_fit_opts o;
    vem_fit_opts_init(&o);
    o.accelerate = VEM_ACCEL_SQUAREM;
    o.algorithm = VEM_ALG_STEPWISE;
    CHECK(vem_fit_new(&m, &x, &o) == NULL);
    CHECK(strstr(vem_errmsg(), "batch EM") != NULL);
    o.algorithm = VEM_ALG_BATCH;
    o.accelerate = (vem_accelerate)7;
    CHECK(vem_fit_new(&m, &x, &o) == NULL);
    vem_accelerate a;
    CHECK(vem_accelerate_parse("squarem", &a) == VEM_OK && a == VEM_ACCEL_SQUAREM);
    CHECK(vem_accelerate_parse("aitken", &a) == VEM_EINVAL);
    CHECK(strstr(vem_errmsg(), "(none, squarem)") != NULL);
}

int main(void)
{
    test_linkage();
    test_overlap();
    test_faithful();
    test_hmm();
    test_refusals();
    return check_report("accelerate");
}
