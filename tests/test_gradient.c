/*
 * tests/test_gradient.c — the models' objective gradients (model.h, ess_gradient; issue 18):
 * the gradient from the ESS (Fisher's identity) against central finite differences of the
 * objective in the model's unconstrained coordinates, with two Richardson steps, at
 * parameters away from the optimum. Also: uparams_get / uparams_set round-trip the
 * parameters, and the models' configurations without a gradient say so (ugrad_len 0).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vem/vem.h>

#include "check.h"
#include "mclust_data.h"

/* The objective (total, nats) of m at u, and with ess non-NULL its ESS. */
static double objective_at(const vem_model *m, const vem_data *x, const double *u, double *ess,
                           double *scratch)
{
    CHECK(m->ops->uparams_set(m->self, u) == VEM_OK);
    const size_t len = m->ops->ess_len(m->self);
    double *e = ess ? ess : calloc(len, sizeof *e);
    if (ess)
        memset(ess, 0, len * sizeof *ess);
    double obj = m->ops->estep(m->self, x, 0, m->ops->n_units(m->self, x), e, scratch);
    if (m->ops->objective_extra)
        obj += m->ops->objective_extra(m->self);
    if (!ess)
        free(e);
    return obj;
}

/* The worst over the coordinates of |analytic - finite difference| / max(|g_i|, 1e-2 max |g|):
 * relative for every component of the gradient but the smallest ones, whose finite
 * differences are at the objective's round-off (1e-8 absolute at 5,000 nats). */
static double gradient_error(const vem_model *m, const vem_data *x, const char *what)
{
    const size_t p = m->ops->ugrad_len(m->self), len = m->ops->ess_len(m->self);
    const size_t n = m->ops->n_units(m->self, x);
    double *u = calloc(p, sizeof *u), *v = calloc(p, sizeof *v), *g = calloc(p, sizeof *g);
    double *ess = calloc(len, sizeof *ess);
    double *scratch = calloc(m->ops->scratch_len(m->self, n) + 1, sizeof(double));
    if (!u || !v || !g || !ess || !scratch) {
        CHECK(!"memory");
        return INFINITY;
    }
    CHECK(m->ops->uparams_get(m->self, u) == VEM_OK);
    objective_at(m, x, u, ess, scratch);
    m->ops->ess_gradient(m->self, ess, g);
    double gmax = 0.0;
    for (size_t i = 0; i < p; i++)
        gmax = fmax(gmax, fabs(g[i]));
    double worst = 0.0;
    for (size_t i = 0; i < p; i++) {
        const double h = 2e-2 * fmax(1.0, fabs(u[i])); /* whitened coordinates: O(1) */
        double dd[3];
        for (int r = 0; r < 3; r++) {
            const double hr = h / (double)(1 << r);
            memcpy(v, u, p * sizeof *v);
            v[i] = u[i] + hr;
            const double fp = objective_at(m, x, v, NULL, scratch);
            v[i] = u[i] - hr;
            const double fm = objective_at(m, x, v, NULL, scratch);
            dd[r] = (fp - fm) / (2 * hr);
        }
        /* Two Richardson steps: O(h^6). */
        const double r1 = (4 * dd[1] - dd[0]) / 3, r2 = (4 * dd[2] - dd[1]) / 3;
        const double fd = (16 * r2 - r1) / 15;
        const double e = fabs(fd - g[i]) / fmax(fabs(g[i]), 1e-2 * gmax);
        if (getenv("VEM_GRAD_VERBOSE"))
            printf("  %zu: analytic %.10g finite differences %.10g\n", i, g[i], fd);
        worst = fmax(worst, e);
    }
    objective_at(m, x, u, NULL, scratch); /* back where it was */
    printf("%s: %zu coordinates, |grad| max %.3g, worst relative error %.2e\n", what, p, gmax,
           worst);
    free(u);
    free(v);
    free(g);
    free(ess);
    free(scratch);
    return worst;
}

/* A Gaussian mixture 3 EM iterations from vem's default start: the gradient is far from 0. */
static void test_gmm(const dataset *ds, size_t k, vem_cov cov)
{
    vem_gmm *g = vem_gmm_new(k, ds->x.cols, cov);
    CHECK(g != NULL);
    if (!g)
        return;
    vem_fit_opts o;
    vem_gmm_fit_opts_init(&o);
    o.max_iter = 3;
    o.tol = 0;
    vem_rng rng;
    vem_rng_seed(&rng, 2);
    vem_fit_result res;
    CHECK(vem_gmm_fit(g, &ds->x, &o, &rng, &res) == VEM_EMAXITER);
    vem_fit_result_clear(&res);
    vem_model m = vem_gmm_model(g);
    vem_data x = vem_data_rows(ds->x);
    const size_t p = m.ops->ugrad_len(m.self);
    CHECK(p > 0);
    /* uparams round trip: the same weights, means and covariances to round-off. */
    double *u = calloc(p, sizeof *u), w0[8], mu0[64];
    const size_t cl = vem_gmm_covariances_len(g);
    double *c0 = calloc(cl, sizeof *c0);
    memcpy(w0, vem_gmm_weights(g), k * sizeof *w0);
    memcpy(mu0, vem_gmm_means(g), k * ds->x.cols * sizeof *mu0);
    memcpy(c0, vem_gmm_covariances(g), cl * sizeof *c0);
    CHECK(m.ops->uparams_get(m.self, u) == VEM_OK);
    CHECK(m.ops->uparams_set(m.self, u) == VEM_OK);
    for (size_t c = 0; c < k; c++)
        CHECK_REL(vem_gmm_weights(g)[c], w0[c], 1e-13);
    for (size_t i = 0; i < k * ds->x.cols; i++)
        CHECK_REL(vem_gmm_means(g)[i], mu0[i], 1e-15);
    for (size_t i = 0; i < cl; i++)
        CHECK_ABS(vem_gmm_covariances(g)[i], c0[i], 1e-12 * fmax(1.0, fabs(c0[i])));
    char what[64];
    snprintf(what, sizeof what, "gmm %s K=%zu %s", ds->name, k, vem_cov_name(cov));
    CHECK(gradient_error(&m, &x, what) < 1e-6);
    free(u);
    free(c0);
    vem_gmm_free(g);
}

int main(void)
{
    dataset sets[2];
    if (mclust_load_sets(sets) != 0)
        return check_report("gradient");
    const vem_cov layouts[4] = {VEM_COV_FULL, VEM_COV_TIED, VEM_COV_DIAG, VEM_COV_SPHERICAL};
    for (int si = 0; si < 2; si++)
        for (int t = 0; t < 4; t++)
            test_gmm(&sets[si], 3, layouts[t]);
    /* The structured covariances and the MAP prior have no unconstrained map (yet). */
    vem_gmm *g = vem_gmm_new(2, 2, VEM_COV_VEV);
    vem_model m = vem_gmm_model(g);
    CHECK(g && m.ops->ugrad_len(m.self) == 0);
    vem_gmm_free(g);
    vem_table_clear(&sets[0].t);
    vem_table_clear(&sets[1].t);
    return check_report("gradient");
}
