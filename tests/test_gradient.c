/*
 * tests/test_gradient.c — the models' objective gradients (model.h, ess_gradient; issue 18):
 * the gradient from the ESS (Fisher's identity) against central finite differences of the
 * objective in the model's unconstrained coordinates, with two Richardson steps, at
 * parameters away from the optimum. Also: uparams_get / uparams_set round-trip the
 * parameters, and the models' configurations without a gradient say so (ugrad_len 0).
 * Models: the Gaussian mixture (four layouts, and mclust's ten structured covariances also
 * away from the reference point, with L-BFGS on three against EM) and the hidden Markov
 * model (categorical emissions on the Seattle weather, Gaussian emissions of the four
 * layouts on Old Faithful as one sequence and as three), and the variational Bayesian
 * mixture (its ELBO; full and diag, both weight priors; L-BFGS against CAVI).
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
 * differences are at the objective's round-off (1e-8 absolute at 5,000 nats). At u =
 * shift sin(1.7 i + 0.3) away from the reference point that uparams_get fixes (shift 0:
 * at it), where the whitened factors and the scales are not the identity. */
static double gradient_error_at(const vem_model *m, const vem_data *x, double step,
                                double shift, const char *what)
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
    for (size_t i = 0; shift != 0.0 && i < p; i++)
        u[i] += shift * sin(1.7 * (double)i + 0.3);
    objective_at(m, x, u, ess, scratch);
    m->ops->ess_gradient(m->self, ess, g);
    double gmax = 0.0;
    for (size_t i = 0; i < p; i++)
        gmax = fmax(gmax, fabs(g[i]));
    double worst = 0.0;
    for (size_t i = 0; i < p; i++) {
        const double h = step * fmax(1.0, fabs(u[i])); /* whitened coordinates: O(1) */
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
    for (size_t i = 0; shift != 0.0 && i < p; i++)
        u[i] -= shift * sin(1.7 * (double)i + 0.3);
    objective_at(m, x, u, NULL, scratch); /* back where it was */
    if (shift != 0.0)
        printf("%s, shifted %g: %zu coordinates, |grad| max %.3g, worst relative error %.2e\n",
               what, shift, p, gmax, worst);
    else
        printf("%s: %zu coordinates, |grad| max %.3g, worst relative error %.2e\n", what, p,
               gmax, worst);
    free(u);
    free(v);
    free(g);
    free(ess);
    free(scratch);
    return worst;
}

static double gradient_error(const vem_model *m, const vem_data *x, double step, const char *what)
{
    return gradient_error_at(m, x, step, 0.0, what);
}

/* A Gaussian mixture 3 EM iterations from vem's default start: the gradient is far from 0.
 * The structured covariances also away from the reference point (the orientations' Cayley
 * transforms not I). */
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
    CHECK(gradient_error(&m, &x, 2e-2, what) < 1e-6);
    if (vem_cov_layout(cov) != cov)
        CHECK(gradient_error_at(&m, &x, 2e-2, 0.5, what) < 1e-6);
    free(u);
    free(c0);
    vem_gmm_free(g);
}

/* A VB mixture 3 CAVI iterations from vem's default start (seed 2): the gradient of the ELBO
 * in its coordinates against finite differences, and the uparams round trip (the same
 * posterior to round-off: W^-1's entries relative to sqrt(w_ii w_jj)). */
static void test_vbgmm(const dataset *ds, size_t k, vem_cov cov, vem_vb_weight_prior wp)
{
    const size_t d = ds->x.cols;
    vem_vbgmm *v = vem_vbgmm_new(k, d, cov);
    CHECK(v != NULL);
    if (!v)
        return;
    CHECK(vem_vbgmm_set_weight_prior(v, wp) == VEM_OK);
    vem_fit_opts o;
    vem_vbgmm_fit_opts_init(&o);
    o.max_iter = 3;
    o.tol = 0;
    vem_rng rng;
    vem_rng_seed(&rng, 2);
    vem_fit_result res;
    CHECK(vem_vbgmm_fit(v, &ds->x, &o, &rng, &res) == VEM_EMAXITER);
    vem_fit_result_clear(&res);
    vem_model m = vem_vbgmm_model(v);
    vem_data x = vem_data_rows(ds->x);
    const size_t p = m.ops->ugrad_len(m.self), pl = m.ops->params_len(m.self);
    CHECK(p > 0);
    double *u = calloc(p + 1, sizeof *u), *t0 = calloc(pl, sizeof *t0);
    double *t1 = calloc(pl, sizeof *t1);
    if (!u || !t0 || !t1) {
        CHECK(!"memory");
        return;
    }
    m.ops->params_get(m.self, t0);
    CHECK(m.ops->uparams_get(m.self, u) == VEM_OK);
    CHECK(m.ops->uparams_set(m.self, u) == VEM_OK);
    m.ops->params_get(m.self, t1);
    /* params: 2k concentrations, k beta, k nu, k x d means, k W^-1 (d x d or d). */
    const size_t wl = cov == VEM_COV_FULL ? d * d : d, w0 = 4 * k + k * d;
    double worst = 0.0;
    for (size_t i = 0; i < w0; i++)
        worst = fmax(worst, fabs(t1[i] - t0[i]) / fmax(1.0, fabs(t0[i])));
    for (size_t c = 0; c < k; c++)
        for (size_t i = 0; i < wl; i++) {
            const double *w = t0 + w0 + c * wl;
            const size_t a = cov == VEM_COV_FULL ? i / d : i, b = cov == VEM_COV_FULL ? i % d : i;
            const double s = sqrt(w[a * (wl == d ? 1 : d + 1)] * w[b * (wl == d ? 1 : d + 1)]);
            worst = fmax(worst, fabs(t1[w0 + c * wl + i] - w[i]) / s);
        }
    char what[80];
    snprintf(what, sizeof what, "vbgmm %s K=%zu %s %s", ds->name, k, vem_cov_name(cov),
             vem_vb_weight_prior_name(wp));
    printf("%s: uparams round trip, worst relative error %.2e\n", what, worst);
    CHECK(worst < 1e-12);
    CHECK(gradient_error(&m, &x, 2e-2, what) < 1e-6);
    CHECK(gradient_error_at(&m, &x, 2e-2, 0.5, what) < 1e-6);
    free(u);
    free(t0);
    free(t1);
    vem_vbgmm_free(v);
}

/* L-BFGS and EM-L-BFGS with a structured covariance reach EM's optimum (EM to 1e-12 in
 * total, from the same default start, seed 3) within 1e-8 nats per row, monotone. */
static void test_gmm_lbfgs(const dataset *ds, size_t k, vem_cov cov)
{
    const char *names[3] = {"EM", "L-BFGS", "EM-L-BFGS"};
    const vem_algorithm algs[3] = {VEM_ALG_BATCH, VEM_ALG_LBFGS, VEM_ALG_EM_LBFGS};
    double obj[3], passes[3];
    for (int a = 0; a < 3; a++) {
        vem_gmm *g = vem_gmm_new(k, ds->x.cols, cov);
        vem_fit_opts o;
        vem_gmm_fit_opts_init(&o);
        o.algorithm = algs[a];
        o.tol = 1e-12;
        o.tol_rule = VEM_TOL_TOTAL;
        o.max_iter = 100000;
        vem_rng rng;
        vem_rng_seed(&rng, 3);
        vem_fit_result res;
        vem_status st = g ? vem_gmm_fit(g, &ds->x, &o, &rng, &res) : VEM_ENOMEM;
        CHECK(st == VEM_OK);
        obj[a] = st == VEM_OK ? res.objective : -INFINITY;
        passes[a] = st == VEM_OK ? res.n_passes : 0.0;
        if (st == VEM_OK) {
            CHECK(res.converged && res.n_violations == 0);
            vem_fit_result_clear(&res);
        }
        vem_gmm_free(g);
    }
    printf("gmm %s K=%zu %s:", ds->name, k, vem_cov_mclust_name(cov));
    for (int a = 0; a < 3; a++)
        printf(" %s %.10f (%g passes)%s", names[a], obj[a], passes[a], a < 2 ? "," : "\n");
    for (int a = 1; a < 3; a++)
        CHECK_ABS(obj[a], obj[0], 1e-8 * (double)ds->x.rows);
}

/* L-BFGS and EM-then-L-BFGS on the ELBO's gradient reach CAVI's optimum (all three from the
 * same k-means start, seed s, tol 1e-12 in total) on Old Faithful, within 1e-8 nats per row,
 * every fit monotone. */
static void test_vbgmm_lbfgs(const dataset *ds, size_t k, vem_cov cov, vem_vb_weight_prior wp,
                             uint64_t seed)
{
    const vem_algorithm algs[3] = {VEM_ALG_BATCH, VEM_ALG_LBFGS, VEM_ALG_EM_LBFGS};
    double elbo[3] = {NAN, NAN, NAN};
    for (int a = 0; a < 3; a++) {
        vem_vbgmm *v = vem_vbgmm_new(k, ds->x.cols, cov);
        CHECK(v && vem_vbgmm_set_weight_prior(v, wp) == VEM_OK);
        if (!v)
            return;
        vem_fit_opts o;
        vem_vbgmm_fit_opts_init(&o);
        o.algorithm = algs[a];
        o.tol = 1e-12;
        o.max_iter = 100000;
        vem_rng rng;
        vem_rng_seed(&rng, seed);
        vem_fit_result res;
        CHECK(vem_vbgmm_fit(v, &ds->x, &o, &rng, &res) == VEM_OK);
        CHECK(res.converged && res.n_violations == 0);
        double check = NAN;
        CHECK(vem_vbgmm_elbo(v, &ds->x, &check) == VEM_OK);
        CHECK_REL(check, res.objective, 1e-12);
        elbo[a] = res.objective;
        printf("vbgmm %s K=%zu %s %s seed %llu, %s: ELBO %.10f, %zu iterations, %.0f passes\n",
               ds->name, k, vem_cov_name(cov), vem_vb_weight_prior_name(wp),
               (unsigned long long)seed, vem_algorithm_name(algs[a]), res.objective, res.n_iter,
               res.n_passes);
        vem_fit_result_clear(&res);
        vem_vbgmm_free(v);
    }
    const double n = (double)ds->x.rows;
    CHECK(fabs(elbo[1] - elbo[0]) / n < 1e-8);
    CHECK(fabs(elbo[2] - elbo[0]) / n < 1e-8);
}

/* The Seattle weather (column weather, 5 symbols) as codes; NULL if unreadable. */
static double *load_seattle(size_t *n)
{
    vem_text_table t;
    vem_csv_opts co;
    vem_csv_opts_init(&co);
    co.columns = "weather";
    if (vem_text_table_read(VEM_EXAMPLE_DATA "/seattle-weather.csv", &co, 0, &t) != VEM_OK)
        return NULL;
    double *codes = malloc(t.rows * sizeof *codes);
    char **syms = NULL;
    size_t nsym = 0;
    int ok = codes && vem_symbols_encode((const char *const *)t.cells, t.rows, NULL, 0, codes,
                                         &syms, &nsym) == VEM_OK && nsym == 5;
    *n = t.rows;
    vem_symbols_free(syms, nsym);
    vem_text_table_clear(&t);
    if (!ok) {
        free(codes);
        return NULL;
    }
    return codes;
}

/* An HMM 3 Baum-Welch iterations from vem's default start (seed 2): the gradient of the
 * log-likelihood in its coordinates against finite differences, and the uparams round
 * trip (the same parameters to round-off). */
static void test_hmm(vem_hmm *h, const vem_matrix *xm, const vem_seqs *seqs, const char *what)
{
    vem_fit_opts o;
    vem_hmm_fit_opts_init(&o);
    o.max_iter = 3;
    o.tol = 0;
    vem_rng rng;
    vem_rng_seed(&rng, 2);
    vem_fit_result res;
    CHECK(vem_hmm_fit(h, xm, seqs, &o, &rng, &res) == VEM_EMAXITER);
    vem_fit_result_clear(&res);
    vem_model m = vem_hmm_model(h);
    vem_data x = vem_hmm_data(xm, seqs);
    const size_t p = m.ops->ugrad_len(m.self), pl = m.ops->params_len(m.self);
    CHECK(p > 0);
    double *u = calloc(p + 1, sizeof *u), *t0 = calloc(pl, sizeof *t0), *t1 = calloc(pl, sizeof *t1);
    if (!u || !t0 || !t1) {
        CHECK(!"memory");
        return;
    }
    m.ops->params_get(m.self, t0);
    CHECK(m.ops->uparams_get(m.self, u) == VEM_OK);
    CHECK(m.ops->uparams_set(m.self, u) == VEM_OK);
    m.ops->params_get(m.self, t1);
    double worst = 0.0;
    for (size_t i = 0; i < pl; i++)
        worst = fmax(worst, fabs(t1[i] - t0[i]) / fmax(1.0, fabs(t0[i])));
    CHECK(worst < 1e-12);
    CHECK(gradient_error(&m, &x, 5e-3, what) < 1e-6);
    free(u);
    free(t0);
    free(t1);
}

static void test_hmms(const dataset *faithful)
{
    size_t n = 0;
    double *codes = load_seattle(&n);
    CHECK(codes != NULL);
    if (codes) {
        vem_matrix x = vem_matrix_view(codes, n, 1);
        vem_hmm *h = vem_hmm_new(3, VEM_HMM_CATEGORICAL, 5, VEM_COV_FULL);
        CHECK(h != NULL);
        if (h)
            test_hmm(h, &x, NULL, "hmm seattle K=3 categorical");
        vem_hmm_free(h);
        free(codes);
    }
    /* Old Faithful as one sequence and as three (100, 100, 72 rows). */
    const size_t lengths[3] = {100, 100, 72};
    vem_seqs seqs;
    memset(&seqs, 0, sizeof seqs);
    CHECK(faithful->x.rows == 272 && vem_seqs_from_lengths(lengths, 3, &seqs) == VEM_OK);
    const vem_cov layouts[4] = {VEM_COV_FULL, VEM_COV_TIED, VEM_COV_DIAG, VEM_COV_SPHERICAL};
    for (int t = 0; t < 4; t++)
        for (int s = 0; s < 2; s++) {
            vem_hmm *h = vem_hmm_new(3, VEM_HMM_GAUSSIAN, 2, layouts[t]);
            CHECK(h != NULL);
            char what[80];
            snprintf(what, sizeof what, "hmm faithful K=3 gaussian %s, %s", vem_cov_name(layouts[t]),
                     s ? "3 sequences" : "1 sequence");
            if (h)
                test_hmm(h, &faithful->x, s ? &seqs : NULL, what);
            vem_hmm_free(h);
        }
    vem_seqs_clear(&seqs);
    /* A probability 0 (a left-right topology) is the coordinate 0, which stays 0 through
     * uparams_set, with gradient 0: as under Baum-Welch, zeros stay zero. */
    {
        const double pi[2] = {1.0, 0.0}, a[4] = {0.7, 0.3, 0.0, 1.0}, b[4] = {0.8, 0.2, 0.1, 0.9};
        double xs[6] = {0, 0, 1, 0, 1, 1}, u[10], g[10];
        vem_matrix x6 = vem_matrix_view(xs, 6, 1);
        vem_hmm *z = vem_hmm_new(2, VEM_HMM_CATEGORICAL, 2, VEM_COV_FULL);
        CHECK(z && vem_hmm_set_startprob(z, pi) == VEM_OK && vem_hmm_set_transmat(z, a) == VEM_OK &&
              vem_hmm_set_emissionprob(z, b) == VEM_OK);
        if (z) {
            vem_model zm = vem_hmm_model(z);
            vem_data xd = vem_hmm_data(&x6, NULL);
            double ess[10] = {0}, *scr = calloc(zm.ops->scratch_len(zm.self, 1) + 1, sizeof *scr);
            CHECK(scr && zm.ops->ugrad_len(zm.self) == 10 && zm.ops->ess_len(zm.self) == 10);
            CHECK(zm.ops->uparams_get(zm.self, u) == VEM_OK && u[1] == 0.0 && u[4] == 0.0);
            CHECK(zm.ops->uparams_set(zm.self, u) == VEM_OK);
            CHECK(vem_hmm_startprob(z)[1] == 0.0 && vem_hmm_transmat(z)[2] == 0.0);
            if (scr)
                zm.ops->estep(zm.self, &xd, 0, 1, ess, scr);
            zm.ops->ess_gradient(zm.self, ess, g);
            CHECK(g[1] == 0.0 && g[4] == 0.0 && g[2] != 0.0);
            free(scr);
        }
        vem_hmm_free(z);
    }
    /* Count emissions (issue 19): Poisson rates and multinomial rows as square roots, on
     * Seattle's daily counts and weekly weather counts (examples/data). */
    {
        vem_table t;
        vem_csv_opts co;
        vem_csv_opts_init(&co);
        for (int e = 0; e < 2; e++) {
            const char *path = e ? VEM_EXAMPLE_DATA "/seattle-weekly.csv"
                                 : VEM_EXAMPLE_DATA "/seattle-counts.csv";
            CHECK(vem_csv_read(path, &co, &t) == VEM_OK);
            vem_matrix x = vem_table_matrix(&t);
            vem_hmm *hc = vem_hmm_new(3, e ? VEM_HMM_MULTINOMIAL : VEM_HMM_POISSON, x.cols,
                                      VEM_COV_FULL);
            CHECK(hc != NULL);
            if (hc)
                test_hmm(hc, &x, NULL, e ? "hmm seattle weekly K=3 multinomial"
                                         : "hmm seattle counts K=3 poisson");
            vem_hmm_free(hc);
            vem_table_clear(&t);
        }
    }
    /* Structured covariances of Gaussian emissions: the bank's map (src/models/gmm_grad.c). */
    {
        vem_hmm *hs = vem_hmm_new(3, VEM_HMM_GAUSSIAN, 2, VEM_COV_EVE);
        CHECK(hs != NULL);
        if (hs)
            test_hmm(hs, &faithful->x, NULL, "hmm faithful K=3 gaussian EVE");
        vem_hmm_free(hs);
    }
    /* Gaussian-mixture emissions have no unconstrained map (yet). */
    vem_hmm *h = vem_hmm_new_gmm(3, VEM_HMM_GMM, 2, 2, VEM_COV_FULL);
    vem_model m = vem_hmm_model(h);
    CHECK(h && m.ops->ugrad_len(m.self) == 0);
    vem_hmm_free(h);
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
    test_hmms(&sets[0]);
    for (int si = 0; si < 2; si++)
        for (int t = 0; t < 2; t++)
            for (int w = 0; w < 2; w++)
                test_vbgmm(&sets[si], 3, t ? VEM_COV_DIAG : VEM_COV_FULL,
                           w ? VEM_VB_DP : VEM_VB_DIRICHLET);
    test_vbgmm_lbfgs(&sets[0], 5, VEM_COV_FULL, VEM_VB_DP, 1);
    test_vbgmm_lbfgs(&sets[0], 5, VEM_COV_FULL, VEM_VB_DIRICHLET, 1);
    test_vbgmm_lbfgs(&sets[0], 5, VEM_COV_DIAG, VEM_VB_DP, 1);
    test_vbgmm_lbfgs(&sets[0], 3, VEM_COV_DIAG, VEM_VB_DIRICHLET, 3);
    /* mclust's ten structured covariances (Sigma = lambda D A D^T): d = 2 (one orientation
     * coordinate) and d = 4 (six). */
    const vem_cov structs[10] = {VEM_COV_EII, VEM_COV_EEI, VEM_COV_VEI, VEM_COV_EVI,
                                 VEM_COV_VEE, VEM_COV_EVE, VEM_COV_VVE, VEM_COV_EEV,
                                 VEM_COV_VEV, VEM_COV_EVV};
    for (int si = 0; si < 2; si++)
        for (int t = 0; t < 10; t++)
            test_gmm(&sets[si], 3, structs[t]);
    test_gmm_lbfgs(&sets[0], 3, VEM_COV_EVE);
    test_gmm_lbfgs(&sets[0], 3, VEM_COV_VEV);
    test_gmm_lbfgs(&sets[1], 4, VEM_COV_EVV);
    /* The MAP prior has no unconstrained map (yet). */
    vem_gmm *g = vem_gmm_new(2, 2, VEM_COV_VEV);
    vem_model m = vem_gmm_model(g);
    CHECK(g && m.ops->ugrad_len(m.self) == 11); /* 2 + 4 + 2 volumes, 1 shape, 2 angles */
    CHECK(g && vem_gmm_set_prior_default(g, &sets[0].x) == VEM_OK && m.ops->ugrad_len(m.self) == 0);
    vem_gmm_free(g);
    vem_table_clear(&sets[0].t);
    vem_table_clear(&sets[1].t);
    return check_report("gradient");
}
