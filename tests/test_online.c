/*
 * tests/test_online.c — online and out-of-core EM in the engine: stepwise,
 * incremental and streaming, on Gaussian mixtures.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vem/vem.h>

#include "check.h"
#include "models/gmm_internal.h"

/* A planted mixture: 4 well-separated components in 3-D with correlations. */
static vem_gmm *planted(void)
{
    static const double w[4] = {0.1385, 0.2115, 0.3, 0.35};
    static const double mu[12] = {0, 0, 0, 4.5, 4, 0, -4, 3, 2.5, 1, -5, -3};
    double cov[36] = {0};
    for (size_t c = 0; c < 4; c++) {
        for (size_t j = 0; j < 3; j++)
            cov[c * 9 + j * 4] = 0.6 + 0.2 * (double)((c + j) % 3);
        cov[c * 9 + 1] = cov[c * 9 + 3] = 0.15;
    }
    vem_gmm *g = vem_gmm_new(4, 3, VEM_COV_FULL);
    CHECK(vem_gmm_set_params(g, w, mu, cov) == VEM_OK);
    return g;
}

static double *draw(size_t n, uint64_t seed)
{
    vem_gmm *g = planted();
    double *x = malloc(n * 3 * sizeof *x);
    vem_rng r;
    vem_rng_seed(&r, seed);
    CHECK(vem_gmm_sample(g, n, &r, x, NULL) == VEM_OK);
    vem_gmm_free(g);
    return x;
}

static double fit_mean_ll(const double *x, size_t n, const vem_fit_opts *o, uint64_t seed,
                          vem_fit_result *res, vem_gmm **out)
{
    vem_gmm *g = vem_gmm_new(4, 3, VEM_COV_FULL);
    vem_matrix m = vem_matrix_view(x, n, 3);
    vem_rng rng;
    vem_rng_seed(&rng, seed);
    vem_status st = vem_gmm_fit(g, &m, o, &rng, res);
    CHECK(st == VEM_OK || st == VEM_EMAXITER);
    double ll = res->objective / (double)n;
    if (out)
        *out = g;
    else
        vem_gmm_free(g);
    return ll;
}

/* Batch EM's optimum on x, tightly converged. */
static double batch_optimum(const double *x, size_t n)
{
    vem_fit_opts o;
    vem_fit_opts_init(&o);
    o.tol = 1e-12;
    o.max_iter = 5000;
    vem_fit_result res;
    double ll = fit_mean_ll(x, n, &o, 1, &res, NULL);
    CHECK(res.converged);
    vem_fit_result_clear(&res);
    return ll;
}

/* Stepwise EM on a planted 100,000-row mixture: within 0.01 nats/row of batch after 3 passes. */
static void test_stepwise_three_passes(void)
{
    const size_t n = 100000;
    double *x = draw(n, 11);
    double best = batch_optimum(x, n);
    vem_fit_opts o;
    vem_fit_opts_init(&o);
    o.algorithm = VEM_ALG_STEPWISE;
    o.max_iter = 3;
    o.tol = 0.0;
    o.trace_steps = 1;
    vem_fit_result res;
    double ll = fit_mean_ll(x, n, &o, 5, &res, NULL);
    CHECK(res.n_iter == 3);
    CHECK(res.n_steps == 300); /* 100 minibatches of 1000 rows per pass */
    CHECK(ll <= best + 1e-9);
    CHECK(best - ll < 0.01);
    /* The trace: 100 step entries then the pass entry, for each pass. */
    CHECK(res.trace_len == 303);
    CHECK(res.trace[0].step == 1 && res.trace[100].step == 0 && res.trace[100].iter == 1);
    CHECK(res.trace[302].iter == 3 && res.trace[302].step == 0);
    vem_fit_result_clear(&res);
    /* 1 and 2 threads give the same bits. */
    o.trace_steps = 0;
    o.batch_size = 20000; /* several slots per minibatch */
    vem_gmm *g1, *g2;
    vem_fit_result r1, r2;
    o.nthreads = 1;
    fit_mean_ll(x, n, &o, 5, &r1, &g1);
    o.nthreads = 2;
    fit_mean_ll(x, n, &o, 5, &r2, &g2);
    CHECK(memcmp(&r1.objective, &r2.objective, sizeof r1.objective) == 0);
    CHECK(memcmp(vem_gmm_means(g1), vem_gmm_means(g2), 12 * sizeof(double)) == 0);
    CHECK(memcmp(vem_gmm_covariances(g1), vem_gmm_covariances(g2), 36 * sizeof(double)) == 0);
    vem_fit_result_clear(&r1);
    vem_fit_result_clear(&r2);
    vem_gmm_free(g1);
    vem_gmm_free(g2);
    free(x);
}

/* Incremental EM: free energy never decreases; same fixed point as batch EM. */
static void test_incremental(void)
{
    const size_t n = 20000;
    double *x = draw(n, 12);
    double best = batch_optimum(x, n);
    vem_fit_opts o;
    vem_fit_opts_init(&o);
    o.algorithm = VEM_ALG_INCREMENTAL;
    o.n_blocks = 7;
    o.tol = 1e-12;
    o.max_iter = 3000;
    o.trace_steps = 1;
    vem_fit_result res;
    double ll = fit_mean_ll(x, n, &o, 1, &res, NULL);
    CHECK(res.converged);
    CHECK(res.n_violations == 0);
    CHECK(fabs(ll - best) < 1e-6);
    /* Every block step raises the free energy (round-off aside). */
    size_t drops = 0;
    for (size_t i = 1; i < res.trace_len; i++) {
        double a = res.trace[i - 1].objective, b = res.trace[i].objective;
        if (b < a - 1e-9 * fabs(a))
            drops++;
    }
    CHECK(drops == 0);
    CHECK(res.trace[0].step == 0 && res.trace[1].step == 1 && res.trace[7].step == 7);
    /* At the fixed point the free energy is the log-likelihood (the E-step is exact). */
    CHECK(fabs(res.trace[res.trace_len - 1].objective / (double)n - ll) < 1e-9);
    vem_fit_result_clear(&res);
    /* Thread invariance. */
    o.trace_steps = 0;
    o.max_iter = 5;
    vem_fit_result r1, r2;
    o.nthreads = 1;
    fit_mean_ll(x, n, &o, 1, &r1, NULL);
    o.nthreads = 2;
    fit_mean_ll(x, n, &o, 1, &r2, NULL);
    CHECK(memcmp(&r1.objective, &r2.objective, sizeof r1.objective) == 0);
    vem_fit_result_clear(&r1);
    vem_fit_result_clear(&r2);
    free(x);
}

/* The GMM's E_q log p(X, Z) through ESS equals the direct sum over rows. */
static void test_ess_objective(void)
{
    const size_t n = 3000;
    double *x = draw(n, 13);
    vem_gmm *g = planted();
    const vem_cov covs[4] = {VEM_COV_FULL, VEM_COV_DIAG, VEM_COV_SPHERICAL, VEM_COV_TIED};
    for (int t = 0; t < 4; t++) {
        vem_gmm *h = vem_gmm_new(4, 3, covs[t]);
        size_t cl = vem_gmm_covariances_len(h);
        double *cv = calloc(cl, sizeof *cv);
        for (size_t i = 0; i < cl; i++)
            cv[i] = covs[t] == VEM_COV_DIAG || covs[t] == VEM_COV_SPHERICAL ? 0.7 + 0.1 * (double)(i % 3) : 0.0;
        if (covs[t] == VEM_COV_FULL || covs[t] == VEM_COV_TIED)
            for (size_t c = 0; c < cl / 9; c++)
                for (size_t j = 0; j < 3; j++)
                    cv[c * 9 + j * 4] = 0.8 + 0.15 * (double)j;
        double mu[12];
        for (size_t i = 0; i < 12; i++)
            mu[i] = vem_gmm_means(g)[i] + 0.4;
        CHECK(vem_gmm_set_params(h, vem_gmm_weights(g), mu, cv) == VEM_OK);
        /* Centre away from the origin so that the centring is exercised. */
        double c[3] = {2.385, -1.5, 0.75};
        vem__gmm_set_center(h, c);
        vem_model m = vem_gmm_model(h);
        vem_data data = vem_data_rows(vem_matrix_view(x, n, 3));
        vem_fit *f = vem_fit_new(&m, &data, NULL);
        double *ess = calloc(m.ops->ess_len(m.self), sizeof *ess), obj;
        CHECK(vem_fit_pass(f, &m, ess, &obj) == VEM_OK);
        double q = m.ops->ess_objective(m.self, ess);
        /* Direct: sum_n sum_k r_nk (log w_k + log N(x_n | k)). */
        double *lp = malloc(n * 4 * sizeof *lp), *work = malloc(vem__gmm_scratch_len(h, n) * sizeof(double));
        double *resp = malloc(n * 4 * sizeof *resp);
        vem_matrix xm = vem_matrix_view(x, n, 3);
        vem__gmm_log_gauss(h, x, 3, n, lp, work);
        CHECK(vem_gmm_predict_proba(h, &xm, resp) == VEM_OK);
        double want = 0.0, ent = 0.0;
        for (size_t i = 0; i < n * 4; i++) {
            want += resp[i] * (log(vem_gmm_weights(h)[i % 4]) + lp[i]);
            if (resp[i] > 0.0)
                ent -= resp[i] * log(resp[i]);
        }
        CHECK_REL(q, want, 1e-11);
        CHECK_REL(q + ent, obj, 1e-11); /* ELBO = log-likelihood after an exact E-step */
        free(lp);
        free(work);
        free(resp);
        free(ess);
        free(cv);
        vem_fit_free(f);
        vem_gmm_free(h);
    }
    vem_gmm_free(g);
    free(x);
}

static char tmpdir[64];

static const char *tmp_path(const char *name)
{
    static char buf[4][160];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof buf[i], "%s/%s", tmpdir, name);
    return buf[i];
}

static void write_files(const double *x, size_t n)
{
    FILE *fb = fopen(tmp_path("x.f64"), "wb");
    CHECK(fwrite(x, sizeof *x, n * 3, fb) == n * 3);
    fclose(fb);
    FILE *fc = fopen(tmp_path("x.csv"), "w");
    fprintf(fc, "a,b,c\n");
    for (size_t r = 0; r < n; r++)
        fprintf(fc, "%.17g,%.17g,%.17g\n", x[3 * r], x[3 * r + 1], x[3 * r + 2]);
    fclose(fc);
}

/* Streaming batch EM gives the same bits as in-memory batch EM on the same data. */
static void test_stream_same_bits(void)
{
    const size_t n = 30011;
    double *x = draw(n, 14);
    write_files(x, n);
    vem_csv_opts co;
    vem_csv_opts_init(&co);
    vem_source *csv = vem_source_open_csv(tmp_path("x.csv"), &co);
    vem_source *bin = vem_source_open_binary(tmp_path("x.f64"), 3);
    CHECK(csv && bin);
    if (!csv || !bin)
        return;
    CHECK(vem_source_rows(csv) == n && vem_source_cols(csv) == 3);
    CHECK(strcmp(vem_source_names(csv)[1], "b") == 0);
    CHECK(vem_source_rows(bin) == n && strcmp(vem_source_names(bin)[2], "3") == 0);
    const vem_algorithm algs[3] = {VEM_ALG_BATCH, VEM_ALG_STEPWISE, VEM_ALG_INCREMENTAL};
    for (int a = 0; a < 3; a++) {
        vem_fit_opts o;
        vem_fit_opts_init(&o);
        o.algorithm = algs[a];
        o.max_iter = 6;
        o.tol = 0.0;
        o.block = 1000;
        o.batch_size = 2000;
        /* Stepwise from a source shuffles within chunks, so it only matches memory
         * when one chunk holds all rows. */
        o.shuffle_rows = n;
        vem_gmm *gm = vem_gmm_new(4, 3, VEM_COV_FULL);
        vem_gmm *gc = vem_gmm_new(4, 3, VEM_COV_FULL);
        vem_gmm *gb = vem_gmm_new(4, 3, VEM_COV_FULL);
        vem_matrix m = vem_matrix_view(x, n, 3);
        vem_fit_result rm, rc, rb;
        vem_rng r1, r2, r3;
        vem_rng_seed(&r1, 9);
        vem_rng_seed(&r2, 9);
        vem_rng_seed(&r3, 9);
        CHECK(vem_gmm_fit(gm, &m, &o, &r1, &rm) == VEM_EMAXITER);
        CHECK(vem_gmm_fit_source(gc, csv, &o, &r2, &rc) == VEM_EMAXITER);
        o.nthreads = 1;
        CHECK(vem_gmm_fit_source(gb, bin, &o, &r3, &rb) == VEM_EMAXITER);
        if (algs[a] != VEM_ALG_STEPWISE) {
            CHECK(memcmp(&rm.objective, &rc.objective, sizeof rm.objective) == 0);
            CHECK(memcmp(&rm.objective, &rb.objective, sizeof rm.objective) == 0);
            CHECK(memcmp(vem_gmm_means(gm), vem_gmm_means(gc), 12 * sizeof(double)) == 0);
            CHECK(memcmp(vem_gmm_covariances(gm), vem_gmm_covariances(gb), 36 * sizeof(double)) == 0);
            for (size_t i = 0; i < rm.trace_len; i++)
                CHECK(rm.trace[i].objective == rc.trace[i].objective);
        } else {
            /* Same statistics, another shuffle: close, not identical. */
            CHECK(fabs(rm.objective - rc.objective) / (double)n < 0.01);
            CHECK(memcmp(&rc.objective, &rb.objective, sizeof rc.objective) == 0);
        }
        vem_fit_result_clear(&rm);
        vem_fit_result_clear(&rc);
        vem_fit_result_clear(&rb);
        vem_gmm_free(gm);
        vem_gmm_free(gc);
        vem_gmm_free(gb);
    }
    /* Stepwise from the source with a small shuffle buffer still gets there. */
    vem_fit_opts o;
    vem_fit_opts_init(&o);
    o.algorithm = VEM_ALG_STEPWISE;
    o.max_iter = 3;
    o.tol = 0.0;
    o.shuffle_rows = 4096;
    o.batch_size = 500;
    vem_gmm *g = vem_gmm_new(4, 3, VEM_COV_FULL);
    vem_rng rng;
    vem_rng_seed(&rng, 3);
    vem_fit_result res;
    CHECK(vem_gmm_fit_source(g, bin, &o, &rng, &res) == VEM_EMAXITER);
    CHECK(batch_optimum(x, n) - res.objective / (double)n < 0.01);
    vem_fit_result_clear(&res);
    vem_gmm_free(g);
    vem_source_close(csv);
    vem_source_close(bin);
    free(x);
}

static void test_errors(void)
{
    double x[30];
    for (int i = 0; i < 30; i++)
        x[i] = 0.1 * i;
    vem_gmm *g = vem_gmm_new(2, 3, VEM_COV_DIAG);
    vem_matrix m = vem_matrix_view(x, 10, 3);
    vem_rng rng;
    vem_rng_seed(&rng, 1);
    vem_fit_opts o;
    vem_fit_opts_init(&o);
    o.algorithm = VEM_ALG_STEPWISE;
    o.kappa = 0.5;
    CHECK(vem_gmm_fit(g, &m, &o, &rng, NULL) == VEM_EINVAL && strstr(vem_errmsg(), "kappa"));
    o.kappa = 1.01;
    CHECK(vem_gmm_fit(g, &m, &o, &rng, NULL) == VEM_EINVAL && strstr(vem_errmsg(), "(0.5, 1]"));
    o.kappa = 1.0;
    o.batch_size = 0;
    CHECK(vem_gmm_fit(g, &m, &o, &rng, NULL) == VEM_EINVAL && strstr(vem_errmsg(), "batch_size"));
    vem_fit_opts_init(&o);
    o.algorithm = VEM_ALG_INCREMENTAL;
    o.n_blocks = 0;
    CHECK(vem_gmm_fit(g, &m, &o, &rng, NULL) == VEM_EINVAL && strstr(vem_errmsg(), "n_blocks"));
    vem_algorithm a;
    CHECK(vem_algorithm_parse("stepwise", &a) == VEM_OK && a == VEM_ALG_STEPWISE);
    CHECK(vem_algorithm_parse("online", &a) == VEM_EINVAL);
    /* A NaN in a raw file is found while streaming, naming row and column. */
    x[3 * 7 + 2] = NAN;
    FILE *fb = fopen(tmp_path("nan.f64"), "wb");
    fwrite(x, sizeof *x, 30, fb);
    fclose(fb);
    vem_source *src = vem_source_open_binary(tmp_path("nan.f64"), 3);
    CHECK(src != NULL);
    vem_fit_opts_init(&o);
    if (src) {
        CHECK(vem_gmm_fit_source(g, src, &o, &rng, NULL) == VEM_EFORMAT);
        CHECK(strstr(vem_errmsg(), "row 8 column 3: not finite") != NULL);
        vem_source_close(src);
    }
    CHECK(vem_source_open_binary(tmp_path("nan.f64"), 4) == NULL && strstr(vem_errmsg(), "multiple"));
    CHECK(vem_source_open_binary(tmp_path("missing.f64"), 3) == NULL);
    /* A bad CSV cell is reported with its place when the source is opened. */
    FILE *fc = fopen(tmp_path("bad.csv"), "w");
    fprintf(fc, "a,b,c\n1,2,3\n4,x5,6\n");
    fclose(fc);
    CHECK(vem_source_open_csv(tmp_path("bad.csv"), NULL) == NULL);
    CHECK(strstr(vem_errmsg(), "bad.csv:3:3:") != NULL);
    vem_gmm_free(g);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/vem-test-online-XXXXXX");
    if (!mkdtemp(tmpdir))
        return 1;
    test_ess_objective();
    test_stepwise_three_passes();
    test_incremental();
    test_stream_same_bits();
    test_errors();
    const char *names[] = {"x.f64", "x.csv", "nan.f64", "bad.csv"};
    for (int i = 0; i < 4; i++)
        unlink(tmp_path(names[i]));
    rmdir(tmpdir);
    return check_report("online");
}
