/* tests/test_adam.c — the engine's stochastic-gradient algorithm (VEM_ALG_ADAM) with a toy
 * gradient model whose answers are known. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vem/fit.h>

#include "check.h"
#include "comm_threads.h"

/*
 * Toy gradient model: theta = (a, b); unit n's objective estimate is
 * f_n = -(x_n - a - b eps_n)^2 / 2 with eps_n ~ N(0, 1) drawn from (key, n), so that
 * E f_n = -((x_n - a)^2 + b^2) / 2, maximised at a = mean x, b = 0. The "ESS" are the
 * gradient: d f / d a = r, d f / d b = r eps, r = x - a - b eps.
 */
typedef struct gtoy {
    double a, b;
    uint64_t key, first;
} gtoy;

static double noise(uint64_t key, size_t u)
{
    vem_rng r;
    vem_rng_seed(&r, key * 0x9e3779b97f4a7c15ull + (uint64_t)u);
    return vem_rng_normal(&r);
}

static size_t g_len(const void *s) { (void)s; return 2; }
static size_t g_units(const void *s, const vem_data *x) { (void)s; return x->x.rows; }
static double g_obs(const void *s, const vem_data *x) { (void)s; return (double)x->x.rows; }

static double g_estep(const void *self, const vem_data *x, size_t u0, size_t u1, double *ess,
                      double *scratch)
{
    const gtoy *t = self;
    (void)scratch;
    double f = 0.0;
    for (size_t u = u0; u < u1; u++) {
        double e = noise(t->key, t->first + u), r = x->x.data[u * x->x.ld] - t->a - t->b * e;
        if (ess) { /* NULL: the objective only (a validation pass, model.h) */
            ess[0] += r;
            ess[1] += r * e;
        }
        f += -0.5 * r * r;
    }
    return f;
}

static vem_status g_init(void *self, vem_fit *f, vem_rng *rng)
{
    gtoy *t = self;
    (void)f;
    (void)rng;
    t->a = 5.0;
    t->b = 1.0;
    return VEM_OK;
}

static size_t g_plen(const void *s) { (void)s; return 2; }
static void g_get(const void *s, double *o)
{
    o[0] = ((const gtoy *)s)->a;
    o[1] = ((const gtoy *)s)->b;
}
static vem_status g_set(void *s, const double *in)
{
    ((gtoy *)s)->a = in[0];
    ((gtoy *)s)->b = in[1];
    return VEM_OK;
}
static void g_key(void *s, uint64_t key, uint64_t first)
{
    ((gtoy *)s)->key = key;
    ((gtoy *)s)->first = first;
}

static const vem_model_ops gtoy_ops = {
    .name = "gtoy",
    .ess_len = g_len,
    .n_units = g_units,
    .n_obs = g_obs,
    .estep = g_estep,
    .init = g_init,
    .params_len = g_plen,
    .params_get = g_get,
    .params_set = g_set,
    .gradient = 1,
    .noise_key = g_key,
};

static double *data(size_t n, double mean, uint64_t seed)
{
    double *x = malloc(n * sizeof *x);
    vem_rng r;
    vem_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++)
        x[i] = mean + vem_rng_normal(&r);
    return x;
}

static void adam_opts(vem_fit_opts *o)
{
    vem_fit_opts_init(o);
    o->algorithm = VEM_ALG_ADAM;
    o->tol = 0.0;
    o->batch_size = 50;
    o->lr = 0.05;
}

/* The first step from (a, b) on one minibatch of all rows: Adam's first step is
 * lr g / (|g| + eps) per coordinate (m / (1 - b1) = g, v / (1 - b2) = g^2). */
static void test_first_step(void)
{
    const size_t n = 40;
    double *x = data(n, 1.0, 3);
    gtoy t = {0, 0, 0, 0};
    vem_model m = {&gtoy_ops, &t};
    vem_data d = vem_data_rows(vem_matrix_view(x, n, 1));
    vem_fit_opts o;
    adam_opts(&o);
    o.batch_size = n;
    o.max_iter = 1;
    o.nthreads = 1;
    vem_rng rng;
    vem_rng_seed(&rng, 1);
    vem_fit *f = vem_fit_new(&m, &d, &o);
    CHECK(f && vem_fit_init(f, &rng) == VEM_OK);
    /* The key the engine will draw: the fit's shuffle generator is seeded from rng's next
     * value, then shuffles n rows, then draws the key; replay that here. */
    vem_rng r0;
    vem_rng_seed(&r0, 1);
    vem_rng sh;
    vem_rng_seed(&sh, vem_rng_next(&r0));
    size_t *perm = malloc(n * sizeof *perm);
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)vem_rng_below(&sh, i), tmp = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = tmp;
    }
    uint64_t key = vem_rng_next(&sh);
    double g[2] = {0, 0};
    for (size_t u = 0; u < n; u++) {
        double e = noise(key, u), r = x[perm[u]] - 5.0 - 1.0 * e;
        g[0] += r / (double)n;
        g[1] += r * e / (double)n;
    }
    CHECK(vem_fit_step(f) == VEM_EMAXITER);
    CHECK_REL(t.a, 5.0 + 0.05 * g[0] / (fabs(g[0]) + 1e-8), 1e-14);
    CHECK_REL(t.b, 1.0 + 0.05 * g[1] / (fabs(g[1]) + 1e-8), 1e-14);
    vem_fit_free(f);
    free(perm);
    free(x);
}

/* Many epochs reach the optimum a = mean x, b = 0; 1 and 2 threads give the same bits. */
static void test_converges_and_threads(void)
{
    const size_t n = 1000;
    double *x = data(n, 2.0, 11);
    double mean = 0.0;
    for (size_t i = 0; i < n; i++)
        mean += x[i] / (double)n;
    double a[2], b[2];
    for (int th = 1; th <= 2; th++) {
        gtoy t = {0, 0, 0, 0};
        vem_model m = {&gtoy_ops, &t};
        vem_data d = vem_data_rows(vem_matrix_view(x, n, 1));
        vem_fit_opts o;
        adam_opts(&o);
        o.max_iter = 60;
        o.nthreads = th;
        vem_rng rng;
        vem_rng_seed(&rng, 5);
        vem_fit_result res;
        CHECK(vem_fit_run(&m, &d, &o, &rng, &res) == VEM_EMAXITER);
        CHECK(res.n_iter == 60 && res.n_steps == 60 * 20);
        a[th - 1] = t.a;
        b[th - 1] = t.b;
        vem_fit_result_clear(&res);
    }
    CHECK_ABS(a[0], mean, 0.05);
    CHECK_ABS(b[0], 0.0, 0.05);
    CHECK(memcmp(&a[0], &a[1], sizeof a[0]) == 0 && memcmp(&b[0], &b[1], sizeof b[0]) == 0);
    free(x);
}

static int polls, stop_at;
static int stop_after(void *ctx)
{
    (void)ctx;
    return ++polls == stop_at;
}

/* A checkpoint taken by an interrupt mid-fit, resumed: the uninterrupted bits (Adam's
 * moments and step count are in the checkpoint). With validation data too. */
static void test_checkpoint_resume(void)
{
    const size_t n = 300;
    double *x = data(n, -1.0, 13), *xv = data(100, -1.0, 17);
    char path[64];
    snprintf(path, sizeof path, "adam_ckpt_%d.bin", (int)getpid());
    vem_data d = vem_data_rows(vem_matrix_view(x, n, 1));
    vem_data dv = vem_data_rows(vem_matrix_view(xv, 100, 1));
    for (int with_val = 0; with_val <= 1; with_val++) {
        double full[2], resumed[2];
        for (int pass = 0; pass < 3; pass++) {
            gtoy t = {0, 0, 0, 0};
            vem_model m = {&gtoy_ops, &t};
            vem_fit_opts o;
            adam_opts(&o);
            o.max_iter = 25;
            o.n_init = 2;
            o.lr = 0.01;
            o.validation = with_val ? &dv : NULL;
            polls = 0;
            stop_at = 30; /* restart 2's 4th pass (restart 1: 26 polls) */
            if (pass == 1) {
                o.checkpoint = path;
                o.interrupted = stop_after;
            } else if (pass == 2) {
                o.resume = path;
            }
            vem_rng rng;
            vem_rng_seed(&rng, 9);
            vem_fit_result res;
            vem_status st = vem_fit_run(&m, &d, &o, &rng, &res);
            if (pass == 1) {
                CHECK(st == VEM_EINTR && res.interrupted);
            } else {
                CHECK(st == VEM_EMAXITER);
                double *dst = pass == 0 ? full : resumed;
                dst[0] = t.a;
                dst[1] = t.b;
                CHECK(res.n_iter == 25);
                if (with_val)
                    CHECK(res.trace_len == 25 && isfinite(res.trace[24].validation));
            }
            vem_fit_result_clear(&res);
        }
        CHECK(memcmp(full, resumed, sizeof full) == 0);
    }
    remove(path);
    free(x);
    free(xv);
}

/* Early stopping: training data centred at 0 from a = 5, validation data at 10: the
 * validation objective is best after the first pass and worse after, so patience 2
 * stops after pass 3 and the first pass's parameters are returned. */
static void test_early_stopping(void)
{
    const size_t n = 200;
    double *x = data(n, 0.0, 19), *xv = data(50, 10.0, 23);
    vem_data d = vem_data_rows(vem_matrix_view(x, n, 1));
    vem_data dv = vem_data_rows(vem_matrix_view(xv, 50, 1));
    double first[2] = {NAN, NAN};
    for (int run = 0; run < 2; run++) {
        gtoy t = {0, 0, 0, 0};
        vem_model m = {&gtoy_ops, &t};
        vem_fit_opts o;
        adam_opts(&o);
        o.max_iter = run == 0 ? 1 : 50;
        o.validation = &dv;
        o.patience = 2;
        vem_rng rng;
        vem_rng_seed(&rng, 4);
        vem_fit_result res;
        vem_status st = vem_fit_run(&m, &d, &o, &rng, &res);
        if (run == 0) {
            CHECK(st == VEM_EMAXITER);
            first[0] = t.a;
            first[1] = t.b;
        } else {
            CHECK(st == VEM_OK && res.converged && res.n_iter == 3);
            CHECK(res.trace_len == 3 && res.trace[0].validation > res.trace[1].validation &&
                  res.trace[1].validation > res.trace[2].validation);
            CHECK(t.a == first[0] && t.b == first[1]);
        }
        vem_fit_result_clear(&res);
    }
    free(x);
    free(xv);
}

/* Data-parallel gradients: over 2 processes holding uneven shares, a full pass's summed
 * gradient (noise key 0, each unit's noise by its place among all units) equals one
 * process's to round-off. */
enum { DP_N = 301, DP_CUT = 120 };
static double dp_x[DP_N], dp_grad[2][2];

static void dp_proc(tc_endpoint *e, void *arg)
{
    (void)arg;
    vem_comm c = tc_comm(e);
    const size_t lo = e->rank == 0 ? 0 : DP_CUT, hi = e->rank == 0 ? DP_CUT : DP_N;
    gtoy t = {0.5, 0.7, 0, 0};
    vem_model m = {&gtoy_ops, &t};
    vem_data d = vem_data_rows(vem_matrix_view(dp_x + lo, hi - lo, 1));
    vem_fit_opts o;
    adam_opts(&o);
    o.comm = &c;
    o.warm_start = 1;
    vem_fit *f = vem_fit_new(&m, &d, &o);
    double obj;
    CHECK(f && vem_fit_init(f, NULL) == VEM_OK &&
          vem_fit_pass(f, &m, dp_grad[e->rank], &obj) == VEM_OK);
    vem_fit_free(f);
}

static void test_data_parallel(void)
{
    vem_rng r;
    vem_rng_seed(&r, 29);
    for (size_t i = 0; i < DP_N; i++)
        dp_x[i] = 1.0 + vem_rng_normal(&r);
    tc_run_each(2, dp_proc, NULL);
    gtoy t = {0.5, 0.7, 0, 0};
    vem_model m = {&gtoy_ops, &t};
    vem_data d = vem_data_rows(vem_matrix_view(dp_x, DP_N, 1));
    vem_fit_opts o;
    adam_opts(&o);
    o.warm_start = 1;
    vem_fit *f = vem_fit_new(&m, &d, &o);
    double one[2] = {0, 0}, obj;
    CHECK(f && vem_fit_init(f, NULL) == VEM_OK && vem_fit_pass(f, &m, one, &obj) == VEM_OK);
    vem_fit_free(f);
    for (int p = 0; p < 2; p++)
        for (int i = 0; i < 2; i++)
            CHECK_REL(dp_grad[p][i], one[i], 1e-12);
}

/* A gradient model needs adam, adam needs a gradient model; options in range. */
static void test_refusals(void)
{
    double x[4] = {1, 2, 3, 4};
    vem_data d = vem_data_rows(vem_matrix_view(x, 4, 1));
    gtoy t = {0, 0, 0, 0};
    vem_model m = {&gtoy_ops, &t};
    vem_fit_opts o;
    vem_fit_opts_init(&o);
    vem_rng rng;
    vem_rng_seed(&rng, 1);
    CHECK(vem_fit_run(&m, &d, &o, &rng, NULL) == VEM_EINVAL); /* batch EM */
    adam_opts(&o);
    o.lr = 0.0;
    CHECK(vem_fit_run(&m, &d, &o, &rng, NULL) == VEM_EINVAL);
    adam_opts(&o);
    o.beta2 = 1.0;
    CHECK(vem_fit_run(&m, &d, &o, &rng, NULL) == VEM_EINVAL);
    vem_algorithm a;
    CHECK(vem_algorithm_parse("adam", &a) == VEM_OK && a == VEM_ALG_ADAM);
}

int main(void)
{
    test_first_step();
    test_converges_and_threads();
    test_checkpoint_resume();
    test_early_stopping();
    test_data_parallel();
    test_refusals();
    return check_report("adam");
}
