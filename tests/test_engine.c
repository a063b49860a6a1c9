/* tests/test_engine.c — the engine with toy models whose answers are known. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <vem/fit.h>

#include "check.h"

#define LOG_2PI 1.8378770664093454836

/*
 * Toy model: x_n ~ N(theta, 1). ESS = (n, sum x); objective = sum log N(x | theta, 1);
 * the M-step is theta = sum x / n. `damp` makes a deliberately bad M-step.
 */
typedef struct toy {
    double theta;
    double damp;     /* 0: exact M-step; else theta moves the wrong way by damp */
    int init_calls;
    double init_lo, init_hi; /* init draws theta uniformly in [lo, hi) */
    int frozen;      /* M-step keeps theta (for restart tests) */
} toy;

static size_t toy_ess_len(const void *s) { (void)s; return 2; }
static size_t toy_units(const void *s, const vem_data *x) { (void)s; return x->x.rows; }
static double toy_obs(const void *s, const vem_data *x) { (void)s; return (double)x->x.rows; }

static double toy_estep(const void *self, const vem_data *x, size_t u0, size_t u1, double *ess,
                        double *scratch)
{
    const toy *t = self;
    (void)scratch;
    double ll = 0.0;
    for (size_t r = u0; r < u1; r++) {
        double v = x->x.data[r * x->x.ld];
        ess[0] += 1.0;
        ess[1] += v;
        ll += -0.5 * (v - t->theta) * (v - t->theta) - 0.5 * LOG_2PI;
    }
    return ll;
}

static vem_status toy_mstep(void *self, const double *ess)
{
    toy *t = self;
    if (t->frozen)
        return VEM_OK;
    double mean = ess[1] / ess[0];
    t->theta = t->damp == 0.0 ? mean : t->theta + t->damp * (t->theta - mean) + 0.5;
    return VEM_OK;
}

static vem_status toy_init(void *self, vem_fit *f, vem_rng *rng)
{
    toy *t = self;
    (void)f;
    t->init_calls++;
    t->theta = t->init_lo + (t->init_hi - t->init_lo) * vem_rng_uniform(rng);
    return VEM_OK;
}

static size_t toy_plen(const void *s) { (void)s; return 1; }
static void toy_pget(const void *s, double *o) { *o = ((const toy *)s)->theta; }
static vem_status toy_pset(void *s, const double *in) { ((toy *)s)->theta = *in; return VEM_OK; }

static const vem_model_ops toy_ops = {
    .name = "toy",
    .ess_len = toy_ess_len,
    .n_units = toy_units,
    .n_obs = toy_obs,
    .estep = toy_estep,
    .mstep = toy_mstep,
    .init = toy_init,
    .params_len = toy_plen,
    .params_get = toy_pget,
    .params_set = toy_pset,
};

static double *make_data(size_t n)
{
    double *x = malloc(n * sizeof *x);
    vem_rng r;
    vem_rng_seed(&r, 7);
    for (size_t i = 0; i < n; i++)
        x[i] = 2.385 + 1.5 * vem_rng_normal(&r);
    return x;
}

static int reduce_calls;
static size_t last_len;
static vem_status double_reduce(double *buf, size_t len, void *ctx)
{
    (void)ctx;
    reduce_calls++;
    last_len = len;
    for (size_t i = 0; i < len; i++)
        buf[i] *= 2.0; /* as if a second process held the same rows */
    return VEM_OK;
}

static void test_exact_mstep_and_pass(void)
{
    const size_t n = 10007;
    double *x = make_data(n);
    vem_data d = vem_data_rows(vem_matrix_view(x, n, 1));
    toy t = {.theta = -1.0};
    vem_model m = {.ops = &toy_ops, .self = &t};
    vem_fit_opts o;
    vem_fit_opts_init(&o);
    o.warm_start = 1;
    o.block = 100; /* many blocks per slot */
    vem_fit *f = vem_fit_new(&m, &d, &o);
    CHECK(f != NULL);
    double ess[2], obj;
    CHECK(vem_fit_pass(f, &m, ess, &obj) == VEM_OK);
    double sum = 0.0, ll = 0.0;
    for (size_t i = 0; i < n; i++) {
        sum += x[i];
        ll += -0.5 * (x[i] + 1.0) * (x[i] + 1.0) - 0.5 * LOG_2PI;
    }
    CHECK(ess[0] == (double)n);
    CHECK_REL(ess[1], sum, 1e-13);
    CHECK_REL(obj, ll, 1e-13);
    CHECK(vem_fit_init(f, NULL) == VEM_OK);
    CHECK(vem_fit_step(f) == VEM_CONTINUE);
    CHECK_REL(t.theta, sum / (double)n, 1e-13);
    /* Second iteration: change is large (theta moved), third: zero change -> converged. */
    CHECK(vem_fit_step(f) == VEM_CONTINUE);
    CHECK(vem_fit_step(f) == VEM_OK);
    CHECK(vem_fit_iter(f) == 3);
    size_t len;
    const vem_trace_entry *tr = vem_fit_trace(f, &len);
    CHECK(len == 3);
    CHECK_REL(tr[0].objective, ll, 1e-13);
    CHECK(tr[0].change == 0.0);
    CHECK(tr[1].change > 0.0);
    CHECK(fabs(tr[2].change) < 1e-12);
    CHECK(tr[0].violation == 0 && tr[1].violation == 0 && tr[2].violation == 0);
    CHECK(vem_fit_finish(f) == VEM_OK);
    CHECK_REL(vem_fit_objective(f), tr[2].objective, 1e-14);
    vem_fit_free(f);
    free(x);
}

static void test_threads_same_bits(void)
{
    const size_t n = 50021;
    double *x = make_data(n);
    vem_data d = vem_data_rows(vem_matrix_view(x, n, 1));
    double out[3][2];
    double objs[3];
    int threads[3] = {1, 2, 3};
    for (int i = 0; i < 3; i++) {
        toy t = {.theta = 0.25};
        vem_model m = {.ops = &toy_ops, .self = &t};
        vem_fit_opts o;
        vem_fit_opts_init(&o);
        o.nthreads = threads[i];
        o.block = 97;
        vem_fit *f = vem_fit_new(&m, &d, &o);
        CHECK(vem_fit_pass(f, &m, out[i], &objs[i]) == VEM_OK);
        vem_fit_free(f);
    }
    CHECK(memcmp(out[0], out[1], sizeof out[0]) == 0);
    CHECK(memcmp(out[0], out[2], sizeof out[0]) == 0);
    CHECK(memcmp(&objs[0], &objs[1], sizeof objs[0]) == 0);
    CHECK(memcmp(&objs[0], &objs[2], sizeof objs[0]) == 0);
    free(x);
}

static void test_reduce_hook(void)
{
    const size_t n = 1000;
    double *x = make_data(n);
    vem_data d = vem_data_rows(vem_matrix_view(x, n, 1));
    toy t = {.theta = 0.0};
    vem_model m = {.ops = &toy_ops, .self = &t};
    vem_fit_opts o;
    vem_fit_opts_init(&o);
    const vem_comm comm = {.rank = 0, .size = 2, .reduce = double_reduce};
    o.comm = &comm;
    o.warm_start = 1;
    o.max_iter = 2;
    vem_fit_result res;
    reduce_calls = 0;
    vem_status st = vem_fit_run(&m, &d, &o, NULL, &res);
    CHECK(st == VEM_EMAXITER);
    /* The observation count at init, two iterations and the final evaluation. */
    CHECK(reduce_calls == 4);
    CHECK(last_len == 2 + 2); /* ESS, objective, observations */
    CHECK(res.n_obs == 2.0 * (double)n);
    double ll = 0.0;
    for (size_t i = 0; i < n; i++)
        ll += -0.5 * (x[i] - t.theta) * (x[i] - t.theta) - 0.5 * LOG_2PI;
    CHECK_REL(res.objective, 2.0 * ll, 1e-13); /* the objective is summed over "processes" */
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += x[i];
    CHECK_REL(t.theta, sum / (double)n, 1e-13); /* doubling both ESS leaves the mean */
    CHECK(res.trace_len == 2);
    vem_fit_result_clear(&res);
    free(x);
}

static void test_violation_reported(void)
{
    const size_t n = 500;
    double *x = make_data(n);
    vem_data d = vem_data_rows(vem_matrix_view(x, n, 1));
    toy t = {.theta = 3.0, .damp = 0.5}; /* moves away from the mean: objective falls */
    vem_model m = {.ops = &toy_ops, .self = &t};
    vem_fit_opts o;
    vem_fit_opts_init(&o);
    o.warm_start = 1;
    o.max_iter = 5;
    o.tol = 0.0;
    vem_fit_result res;
    vem_status st = vem_fit_run(&m, &d, &o, NULL, &res);
    CHECK(st == VEM_EMAXITER);
    CHECK(res.n_violations >= 4);
    CHECK(res.trace_len == 5 && res.trace[0].violation == 0 && res.trace[1].violation == 1);
    CHECK(res.converged == 0);
    vem_fit_result_clear(&res);
    free(x);
}

static void test_restarts_keep_best(void)
{
    const size_t n = 300;
    double *x = make_data(n);
    vem_data d = vem_data_rows(vem_matrix_view(x, n, 1));
    double mean = 0.0;
    for (size_t i = 0; i < n; i++)
        mean += x[i] / (double)n;
    toy t = {.frozen = 1, .init_lo = -10.0, .init_hi = 10.0};
    vem_model m = {.ops = &toy_ops, .self = &t};
    vem_fit_opts o;
    vem_fit_opts_init(&o);
    o.n_init = 9;
    o.max_iter = 3;
    vem_rng rng, copy;
    vem_rng_seed(&rng, 11);
    copy = rng;
    vem_fit_result res;
    vem_status st = vem_fit_run(&m, &d, &o, &rng, &res);
    CHECK(st == VEM_OK); /* frozen: change 0 at iteration 2 */
    CHECK(t.init_calls == 9);
    /* Recompute the draws: the kept theta is the one nearest the data mean. */
    double best = 0.0;
    size_t best_i = 0;
    for (size_t i = 0; i < 9; i++) {
        double th = -10.0 + 20.0 * vem_rng_uniform(&copy);
        if (i == 0 || fabs(th - mean) < fabs(best - mean)) {
            best = th;
            best_i = i;
        }
    }
    CHECK(t.theta == best);
    CHECK(res.best_init == best_i);
    vem_fit_result_clear(&res);
    free(x);
}

static void test_bad_options(void)
{
    double x[3] = {1, 2, 3};
    vem_data d = vem_data_rows(vem_matrix_view(x, 3, 1));
    toy t = {0};
    vem_model m = {.ops = &toy_ops, .self = &t};
    vem_fit_opts o;
    vem_fit_opts_init(&o);
    CHECK(o.max_iter == 100 && o.tol == 1e-3 && o.n_init == 1);
    o.tol = -1.0;
    CHECK(vem_fit_new(&m, &d, &o) == NULL && strstr(vem_errmsg(), "tol") != NULL);
    vem_fit_opts_init(&o);
    o.n_init = 0;
    CHECK(vem_fit_new(&m, &d, &o) == NULL && strstr(vem_errmsg(), "n_init") != NULL);
    vem_fit_opts_init(&o);
    o.block = 0;
    CHECK(vem_fit_new(&m, &d, &o) == NULL && strstr(vem_errmsg(), "block") != NULL);
    vem_fit_opts_init(&o);
    vem_data empty = vem_data_rows(vem_matrix_view(x, 0, 1));
    CHECK(vem_fit_new(&m, &empty, &o) == NULL && strstr(vem_errmsg(), "no data") != NULL);
    vem_fit_result res;
    CHECK(vem_fit_run(&m, &empty, &o, NULL, &res) == VEM_EINVAL);
    /* Init without a generator is refused. */
    vem_fit *f = vem_fit_new(&m, &d, &o);
    CHECK(vem_fit_init(f, NULL) == VEM_EINVAL);
    vem_fit_free(f);
}

int main(void)
{
    test_exact_mstep_and_pass();
    test_threads_same_bits();
    test_reduce_hook();
    test_violation_reported();
    test_restarts_keep_best();
    test_bad_options();
    return check_report("engine");
}
