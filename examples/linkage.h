/*
 * examples/linkage.h — genetic linkage (Rao 1973, pp. 368-369; Dempster, Laird & Rubin
 * 1977, sec. 1) as a vem model written on the public interface (vem/model.h), with an
 * exact E-step and a Monte-Carlo one: the worked example of docs/mcem.md, used by
 * examples/linkage.c and tests/test_mcem.c.
 *
 * 197 animals fall into four cells with probabilities (1/2 + theta/4, (1 - theta)/4,
 * (1 - theta)/4, theta/4); the counts are (125, 18, 20, 34). Split the first cell into
 * two latent cells of probabilities 1/2 and theta/4: the complete data are multinomial
 * and theta's complete-data MLE is (x2 + y4) / (x2 + y2 + y3 + y4), x2 the animals of the
 * first cell in its theta/4 part. Each animal is a unit (one column: its cell, 0 to 3);
 * the ESS are [E x2 + y4, y2 + y3]. The exact E-step takes E x2 = n1 p with
 * p = (theta/4) / (1/2 + theta/4); the Monte-Carlo one draws each first-cell animal's
 * latent cell m times (Bernoulli(p)). The log-likelihood is
 * sum_n log p(cell_n | theta), maximised at theta = 0.6268214978709824 (the positive
 * root of 197 theta^2 - 15 theta - 68 = 0).
 */
#ifndef VEM_EXAMPLE_LINKAGE_H
#define VEM_EXAMPLE_LINKAGE_H

#include <math.h>
#include <vem/vem.h>

/* The counts and the exact MLE (the root of 197 t^2 - 15 t - 68). */
static const double linkage_counts[4] = {125, 18, 20, 34};
#define LINKAGE_MLE ((15.0 + sqrt(15.0 * 15.0 + 4.0 * 197.0 * 68.0)) / (2.0 * 197.0))

typedef struct linkage {
    double theta;
} linkage;

static double linkage_logp(double theta, int cell)
{
    const double p[4] = {0.5 + theta / 4, (1 - theta) / 4, (1 - theta) / 4, theta / 4};
    return log(p[cell]);
}

static size_t linkage_ess_len(const void *self)
{
    (void)self;
    return 2;
}

static size_t linkage_n_units(const void *self, const vem_data *x)
{
    (void)self;
    return x->x.rows;
}

static double linkage_n_obs(const void *self, const vem_data *x)
{
    (void)self;
    return (double)x->x.rows;
}

/* The share of the first cell's theta/4 part. */
static double linkage_p(double theta)
{
    return (theta / 4) / (0.5 + theta / 4);
}

static double linkage_estep(const void *self, const vem_data *x, size_t u0, size_t u1,
                            double *ess, double *scratch)
{
    const double theta = ((const linkage *)self)->theta;
    (void)scratch;
    double ll = 0;
    for (size_t u = u0; u < u1; u++) {
        const int cell = (int)x->x.data[u * x->x.ld];
        ll += linkage_logp(theta, cell);
        if (cell == 0)
            ess[0] += linkage_p(theta);
        else if (cell == 3)
            ess[0] += 1;
        else
            ess[1] += 1;
    }
    return ll;
}

/* The Monte-Carlo E-step: m / G Bernoulli(p) draws per group and first-cell animal; the
 * mode (CEM) puts it in the likelier part (p > 1/2, never here for theta < 2). */
static double linkage_estep_mc(const void *self, const vem_data *x, size_t u0, size_t u1,
                               double *ess, double *scratch, const vem_mc_draw *mc)
{
    const double theta = ((const linkage *)self)->theta, p = linkage_p(theta);
    const size_t g = mc->groups, per = mc->samples ? mc->samples / g : 0;
    (void)scratch;
    double ll = 0;
    for (size_t u = u0; u < u1; u++) {
        const int cell = (int)x->x.data[u * x->x.ld];
        ll += linkage_logp(theta, cell);
        for (size_t q = 0; q < g; q++) {
            double *e = ess + 2 * q;
            if (cell == 3) {
                e[0] += 1;
            } else if (cell != 0) {
                e[1] += 1;
            } else if (per == 0) {
                e[0] += p > 0.5;
            } else {
                vem_rng rng;
                vem_mc_unit_rng(mc, u, q, &rng);
                size_t hits = 0;
                for (size_t j = 0; j < per; j++)
                    hits += vem_rng_uniform(&rng) < p;
                e[0] += (double)hits / (double)per;
            }
        }
    }
    if (per == 0) /* the classification log-likelihood of the first cell's parts */
        for (size_t u = u0; u < u1; u++)
            if ((int)x->x.data[u * x->x.ld] == 0)
                ll += (p > 0.5 ? log(theta / 4) : log(0.5)) - linkage_logp(theta, 0);
    return ll;
}

static vem_status linkage_mstep(void *self, const double *ess)
{
    const double t = ess[0] / (ess[0] + ess[1]);
    if (!(t > 0 && t < 1))
        return VEM_ENUMERIC; /* (a model of libvem's own would say why: VEM_FAIL) */
    ((linkage *)self)->theta = t;
    return VEM_OK;
}

static vem_status linkage_init(void *self, struct vem_fit *f, vem_rng *rng)
{
    (void)f;
    (void)rng;
    ((linkage *)self)->theta = 0.5;
    return VEM_OK;
}

static size_t linkage_params_len(const void *self)
{
    (void)self;
    return 1;
}

static void linkage_params_get(const void *self, double *out)
{
    out[0] = ((const linkage *)self)->theta;
}

static vem_status linkage_params_set(void *self, const double *in)
{
    if (!(in[0] > 0 && in[0] < 1))
        return VEM_EINVAL;
    ((linkage *)self)->theta = in[0];
    return VEM_OK;
}

static const vem_model_ops linkage_ops = {
    .name = "linkage",
    .ess_len = linkage_ess_len,
    .n_units = linkage_n_units,
    .n_obs = linkage_n_obs,
    .estep = linkage_estep,
    .estep_mc = linkage_estep_mc,
    .mstep = linkage_mstep,
    .init = linkage_init,
    .params_len = linkage_params_len,
    .params_get = linkage_params_get,
    .params_set = linkage_params_set,
};

/* The 197 animals as one column of cell numbers (cells: 197 doubles). */
static void linkage_data(double *cells, vem_data *x)
{
    size_t n = 0;
    for (int c = 0; c < 4; c++)
        for (int i = 0; i < (int)linkage_counts[c]; i++)
            cells[n++] = c;
    x->x.data = cells;
    x->x.rows = n;
    x->x.cols = 1;
    x->x.ld = 1;
}

/*
 * Fit the model from theta = 0.5 with options o and the generator seeded with seed:
 * theta receives the estimate, res the fit's result (release with vem_fit_result_clear).
 * Returns vem_fit_run's status.
 */
static inline vem_status linkage_run(const vem_fit_opts *o, uint64_t seed, double *theta,
                                     vem_fit_result *res)
{
    static double cells[197];
    vem_data x = vem_data_rows(vem_matrix_view(cells, 0, 1));
    linkage_data(cells, &x);
    linkage lk = {0.5};
    vem_model model = {&linkage_ops, &lk};
    vem_rng rng;
    vem_rng_seed(&rng, seed);
    vem_status st = vem_fit_run(&model, &x, o, &rng, res);
    *theta = lk.theta;
    return st;
}

/* linkage_run with algorithm alg, m draws per animal (MCEM), schedule sch, iters
 * iterations (tol 0), parameters averaged from iteration average_from (0: not), threads
 * threads. */
static inline vem_status linkage_fit(vem_algorithm alg, size_t m, vem_mc_schedule sch, size_t iters,
                                     size_t average_from, uint64_t seed, int threads,
                                     double *theta, vem_fit_result *res)
{
    vem_fit_opts o;
    vem_fit_opts_init(&o);
    o.algorithm = alg;
    o.mc_samples = m ? m : 1;
    o.mc_schedule = sch;
    o.max_iter = iters;
    o.tol = 0;
    o.mc_average_from = average_from;
    o.nthreads = threads;
    return linkage_run(&o, seed, theta, res);
}

#endif /* VEM_EXAMPLE_LINKAGE_H */
