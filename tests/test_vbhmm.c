/*
 * tests/test_vbhmm.c — the variational Bayesian HMM (include/vem/vbhmm.h, docs/vbhmm.md):
 * with one state the ELBO is the closed-form log evidence of the conjugate model; hmmlearn
 * 0.3.3's VariationalGaussianHMM (full, tied, spherical) and VariationalCategoricalHMM from
 * the same starts (tests/golden/make_vbhmm_golden.py); the number of states VB keeps on
 * planted data; monotone bounds; model files; stepwise (SVI); thread invariance; spherical
 * and tied covariances end to end; the error paths.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vem/vem.h>

#include "check.h"

#define LOG_PI 1.1447298858494001741
#define LOG_2PI 1.8378770664093454836

static vem_frames read_frames(const char *file, const char *columns, int categorical)
{
    vem_frames_opts o;
    vem_frames_opts_init(&o);
    o.csv.columns = columns;
    o.categorical = categorical;
    vem_frames f;
    memset(&f, 0, sizeof f);
    vem_status s = vem_frames_read(file, &o, &f);
    CHECK(s == VEM_OK);
    if (s != VEM_OK)
        fprintf(stderr, "%s\n", vem_errmsg());
    return f;
}

/* ln|a| of a symmetric positive definite d x d matrix by Gaussian elimination. */
static double logdet(const double *a, size_t d)
{
    double m[16], s = 0.0;
    memcpy(m, a, d * d * sizeof *m);
    for (size_t i = 0; i < d; i++) {
        s += log(m[i * d + i]);
        for (size_t r = i + 1; r < d; r++) {
            double f = m[r * d + i] / m[i * d + i];
            for (size_t c = i; c < d; c++)
                m[r * d + c] -= f * m[i * d + c];
        }
    }
    return s;
}

/* ln Gamma_d(a), the multivariate gamma function. */
static double lmgamma(double a, size_t d)
{
    double s = 0.25 * (double)d * ((double)d - 1.0) * LOG_PI;
    for (size_t i = 1; i <= d; i++)
        s += lgamma(a + 0.5 * (1.0 - (double)i));
    return s;
}

/* Log evidence of x (n x d) under the Normal-Wishart model (Murphy 2007, "Conjugate
 * Bayesian analysis of the Gaussian distribution"), full scale s0 = W0^-1. */
static double nw_evidence(const double *x, size_t n, size_t d, const double *m0, double beta0,
                          double nu0, const double *s0)
{
    double mean[4] = {0}, sn[16];
    for (size_t r = 0; r < n; r++)
        for (size_t j = 0; j < d; j++)
            mean[j] += x[r * d + j] / (double)n;
    const double bn = beta0 + (double)n, nn = nu0 + (double)n;
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++) {
            double s = 0.0;
            for (size_t r = 0; r < n; r++)
                s += (x[r * d + i] - mean[i]) * (x[r * d + j] - mean[j]);
            sn[i * d + j] = s0[i * d + j] + s + beta0 * (double)n / bn * (mean[i] - m0[i]) *
                                                    (mean[j] - m0[j]);
        }
    return -0.5 * (double)(n * d) * LOG_PI + lmgamma(0.5 * nn, d) - lmgamma(0.5 * nu0, d) +
           0.5 * nu0 * logdet(s0, d) - 0.5 * nn * logdet(sn, d) +
           0.5 * (double)d * log(beta0 / bn);
}

/* Log evidence of x (n x d) under the spherical Normal-Gamma model: lambda ~ Gamma(a0, rate
 * b0), mu | lambda ~ N(m0, (beta0 lambda)^-1 I), x_i | mu, lambda ~ N(mu, lambda^-1 I). */
static double ng_evidence(const double *x, size_t n, size_t d, const double *m0, double beta0,
                          double a0, double b0)
{
    double mean[4] = {0}, ss = 0.0, dm = 0.0;
    for (size_t r = 0; r < n; r++)
        for (size_t j = 0; j < d; j++)
            mean[j] += x[r * d + j] / (double)n;
    for (size_t r = 0; r < n; r++)
        for (size_t j = 0; j < d; j++)
            ss += (x[r * d + j] - mean[j]) * (x[r * d + j] - mean[j]);
    for (size_t j = 0; j < d; j++)
        dm += (mean[j] - m0[j]) * (mean[j] - m0[j]);
    const double bn = beta0 + (double)n, an = a0 + 0.5 * (double)(n * d);
    const double rn = b0 + 0.5 * (ss + beta0 * (double)n / bn * dm);
    return -0.5 * (double)(n * d) * LOG_2PI + 0.5 * (double)d * log(beta0 / bn) + lgamma(an) -
           lgamma(a0) + a0 * log(b0) - an * log(rn);
}

/* Fit v to x with defaults (seed 1); the result's objective. */
static double fit_default(vem_vbhmm *v, const vem_matrix *x, const vem_seqs *seqs,
                          vem_fit_result *res)
{
    vem_fit_opts o;
    vem_vbhmm_fit_opts_init(&o);
    vem_rng rng;
    vem_rng_seed(&rng, 1);
    vem_status s = vem_vbhmm_fit(v, x, seqs, &o, &rng, res);
    CHECK(s == VEM_OK);
    if (s != VEM_OK)
        fprintf(stderr, "fit: %s\n", vem_errmsg());
    return res->objective;
}

/* K = 1: q factorises exactly, so the ELBO after the first update is the log evidence. */
static void test_closed_form_gaussian(void)
{
    vem_frames f = read_frames(VEM_EXAMPLE_DATA "/faithful.csv", NULL, 0);
    vem_matrix x = vem_frames_matrix(&f);
    const double m0[2] = {3.1, 70.2}, s0[4] = {2.3, 0.4, 0.4, 30.5};
    const double beta0 = 0.37, nu0 = 3.4;
    /* Full covariance, the caller's priors. */
    vem_vbhmm *v = vem_vbhmm_new(1, VEM_HMM_GAUSSIAN, 2, VEM_COV_FULL);
    CHECK(vem_vbhmm_set_means_prior(v, m0) == VEM_OK);
    CHECK(vem_vbhmm_set_beta_prior(v, beta0) == VEM_OK);
    CHECK(vem_vbhmm_set_dof_prior(v, nu0) == VEM_OK);
    CHECK(vem_vbhmm_set_scale_prior(v, s0) == VEM_OK);
    vem_fit_result res;
    double elbo = fit_default(v, &x, NULL, &res);
    double want = nw_evidence(x.data, x.rows, 2, m0, beta0, nu0, s0);
    CHECK_REL(elbo, want, 1e-9);
    printf("closed form, Gaussian full K=1: ELBO %.15g, evidence %.15g, rel %.2e\n", elbo, want,
           fabs(elbo - want) / fabs(want));
    CHECK(res.n_violations == 0);
    CHECK(vem_vbhmm_effective_states(v) == 1);
    CHECK_REL(vem_vbhmm_occupancy(v)[0], (double)x.rows, 1e-12);
    vem_fit_result_clear(&res);
    vem_vbhmm_free(v);

    /* Full covariance, the default priors (hmmlearn's): m0 the data mean, 1e-3 I. */
    v = vem_vbhmm_new(1, VEM_HMM_GAUSSIAN, 2, VEM_COV_FULL);
    elbo = fit_default(v, &x, NULL, &res);
    const double *dm0 = vem_vbhmm_means_prior(v), ds0[4] = {1e-3, 0.0, 0.0, 1e-3};
    CHECK(dm0 != NULL);
    want = nw_evidence(x.data, x.rows, 2, dm0, 1.0, 2.0, ds0);
    CHECK_REL(elbo, want, 1e-9);
    vem_fit_result_clear(&res);
    vem_vbhmm_free(v);

    /* Diagonal: d independent one-dimensional Normal-Gamma factors. */
    v = vem_vbhmm_new(1, VEM_HMM_GAUSSIAN, 2, VEM_COV_DIAG);
    const double sd[2] = {2.3, 30.5};
    CHECK(vem_vbhmm_set_means_prior(v, m0) == VEM_OK);
    CHECK(vem_vbhmm_set_beta_prior(v, beta0) == VEM_OK);
    CHECK(vem_vbhmm_set_dof_prior(v, nu0) == VEM_OK);
    CHECK(vem_vbhmm_set_scale_prior(v, sd) == VEM_OK);
    elbo = fit_default(v, &x, NULL, &res);
    want = 0.0;
    double *col = malloc(x.rows * sizeof *col);
    for (size_t j = 0; j < 2; j++) {
        for (size_t r = 0; r < x.rows; r++)
            col[r] = x.data[r * 2 + j];
        want += nw_evidence(col, x.rows, 1, m0 + j, beta0, nu0, sd + j);
    }
    free(col);
    CHECK_REL(elbo, want, 1e-9);
    printf("closed form, Gaussian diag K=1: ELBO %.15g, evidence %.15g, rel %.2e\n", elbo, want,
           fabs(elbo - want) / fabs(want));
    vem_fit_result_clear(&res);
    vem_vbhmm_free(v);

    /* Spherical: one Normal-Gamma factor, lambda ~ Gamma(d nu0 / 2, rate d s0 / 2) in
     * hmmlearn's parametrisation (dof nu0, scale s0). */
    const double ss0 = 2.3;
    v = vem_vbhmm_new(1, VEM_HMM_GAUSSIAN, 2, VEM_COV_SPHERICAL);
    CHECK(vem_vbhmm_set_means_prior(v, m0) == VEM_OK);
    CHECK(vem_vbhmm_set_beta_prior(v, beta0) == VEM_OK);
    CHECK(vem_vbhmm_set_dof_prior(v, nu0) == VEM_OK);
    CHECK(vem_vbhmm_set_scale_prior(v, &ss0) == VEM_OK);
    elbo = fit_default(v, &x, NULL, &res);
    want = ng_evidence(x.data, x.rows, 2, m0, beta0, nu0, ss0);
    CHECK_REL(elbo, want, 1e-9);
    printf("closed form, Gaussian spherical K=1: ELBO %.15g, evidence %.15g, rel %.2e\n", elbo,
           want, fabs(elbo - want) / fabs(want));
    CHECK(res.n_violations == 0);
    CHECK_REL(vem_vbhmm_occupancy(v)[0], (double)x.rows, 1e-12);
    vem_fit_result_clear(&res);
    vem_vbhmm_free(v);
    /* ... and with the defaults (dof d = 2, scale 1e-3: Gamma(2, rate 1e-3)). */
    v = vem_vbhmm_new(1, VEM_HMM_GAUSSIAN, 2, VEM_COV_SPHERICAL);
    elbo = fit_default(v, &x, NULL, &res);
    CHECK(vem_vbhmm_dof_prior(v) == 2.0 && vem_vbhmm_scale_prior(v)[0] == 1e-3);
    want = ng_evidence(x.data, x.rows, 2, vem_vbhmm_means_prior(v), 1.0, 2.0, 1e-3);
    CHECK_REL(elbo, want, 1e-9);
    printf("closed form, Gaussian spherical K=1, default priors: ELBO %.15g, evidence %.15g, "
           "rel %.2e\n", elbo, want, fabs(elbo - want) / fabs(want));
    vem_fit_result_clear(&res);
    vem_vbhmm_free(v);
    /* One dimension: spherical, diag and full are the same model. */
    for (size_t j = 0; j < 2; j++) {
        double *c1 = malloc(x.rows * sizeof *c1), e1[3];
        for (size_t r = 0; r < x.rows; r++)
            c1[r] = x.data[r * 2 + j];
        vem_matrix x1 = vem_matrix_view(c1, x.rows, 1);
        const vem_cov covs[3] = {VEM_COV_SPHERICAL, VEM_COV_DIAG, VEM_COV_FULL};
        for (size_t t = 0; t < 3; t++) {
            v = vem_vbhmm_new(1, VEM_HMM_GAUSSIAN, 1, covs[t]);
            CHECK(vem_vbhmm_set_means_prior(v, m0 + j) == VEM_OK);
            CHECK(vem_vbhmm_set_beta_prior(v, beta0) == VEM_OK);
            CHECK(vem_vbhmm_set_dof_prior(v, nu0) == VEM_OK);
            CHECK(vem_vbhmm_set_scale_prior(v, &ss0) == VEM_OK);
            e1[t] = fit_default(v, &x1, NULL, &res);
            vem_fit_result_clear(&res);
            vem_vbhmm_free(v);
        }
        want = ng_evidence(c1, x.rows, 1, m0 + j, beta0, 0.5 * nu0, 0.5 * ss0);
        CHECK_REL(e1[0], want, 1e-9);
        CHECK_REL(e1[1], want, 1e-9);
        CHECK_REL(e1[2], want, 1e-9);
        free(c1);
    }

    /* Tied with one state is the full model: the Normal-Wishart evidence. */
    v = vem_vbhmm_new(1, VEM_HMM_GAUSSIAN, 2, VEM_COV_TIED);
    CHECK(vem_vbhmm_set_means_prior(v, m0) == VEM_OK);
    CHECK(vem_vbhmm_set_beta_prior(v, beta0) == VEM_OK);
    CHECK(vem_vbhmm_set_dof_prior(v, nu0) == VEM_OK);
    CHECK(vem_vbhmm_set_scale_prior(v, s0) == VEM_OK);
    elbo = fit_default(v, &x, NULL, &res);
    want = nw_evidence(x.data, x.rows, 2, m0, beta0, nu0, s0);
    CHECK_REL(elbo, want, 1e-9);
    printf("closed form, Gaussian tied K=1: ELBO %.15g, evidence %.15g, rel %.2e\n", elbo, want,
           fabs(elbo - want) / fabs(want));
    CHECK(res.n_violations == 0);
    CHECK(vem_vbhmm_covariances_len(v) == 4);
    vem_fit_result_clear(&res);
    vem_vbhmm_free(v);
    vem_frames_clear(&f);
}

static void test_closed_form_categorical(void)
{
    vem_frames f = read_frames(VEM_EXAMPLE_DATA "/seattle-weather.csv", "weather", 1);
    vem_matrix x = vem_frames_matrix(&f);
    CHECK(f.n_symbols == 5);
    const double b0[5] = {0.3, 1.7, 0.9, 2.2, 0.5};
    vem_vbhmm *v = vem_vbhmm_new(1, VEM_HMM_CATEGORICAL, 5, VEM_COV_FULL);
    CHECK(vem_vbhmm_set_emissionprob_prior(v, b0) == VEM_OK);
    vem_fit_result res;
    double elbo = fit_default(v, &x, NULL, &res);
    double cnt[5] = {0}, a = 0.0, want = 0.0;
    for (size_t r = 0; r < x.rows; r++)
        cnt[(size_t)x.data[r]] += 1.0;
    for (size_t j = 0; j < 5; j++) {
        want += lgamma(b0[j] + cnt[j]) - lgamma(b0[j]);
        a += b0[j];
    }
    want += lgamma(a) - lgamma(a + (double)x.rows);
    CHECK_REL(elbo, want, 1e-9);
    printf("closed form, categorical K=1: ELBO %.15g, evidence %.15g, rel %.2e\n", elbo, want,
           fabs(elbo - want) / fabs(want));
    vem_fit_result_clear(&res);
    vem_vbhmm_free(v);
    vem_frames_clear(&f);
}

static void test_closed_form_poisson(void)
{
    vem_frames f = read_frames(VEM_EXAMPLE_DATA "/seattle-counts.csv", NULL, 0);
    vem_matrix x = vem_frames_matrix(&f);
    const double a0 = 1.3, r0[2] = {0.45, 0.21};
    vem_vbhmm *v = vem_vbhmm_new(1, VEM_HMM_POISSON, 2, VEM_COV_FULL);
    CHECK(vem_vbhmm_set_lambdas_prior(v, a0, r0) == VEM_OK);
    vem_fit_result res;
    double elbo = fit_default(v, &x, NULL, &res);
    double want = 0.0;
    for (size_t j = 0; j < 2; j++) {
        double s = 0.0;
        for (size_t r = 0; r < x.rows; r++) {
            s += x.data[r * 2 + j];
            want -= lgamma(x.data[r * 2 + j] + 1.0);
        }
        want += a0 * log(r0[j]) - lgamma(a0) + lgamma(a0 + s) -
                (a0 + s) * log(r0[j] + (double)x.rows);
    }
    CHECK_REL(elbo, want, 1e-9);
    printf("closed form, Poisson K=1: ELBO %.15g, evidence %.15g, rel %.2e\n", elbo, want,
           fabs(elbo - want) / fabs(want));
    vem_fit_result_clear(&res);
    vem_vbhmm_free(v);
    vem_frames_clear(&f);
}

/* The largest relative difference of n values against the golden line NAME KEY. */
static double golden_diff(const char *name, const char *key, const double *got, size_t n)
{
    double want[4096], worst = 0.0;
    char line[128];
    snprintf(line, sizeof line, "%s %s", name, key);
    size_t m = check_golden_line(VEM_GOLDEN "/vbhmm_hmmlearn.txt", line, want, 4096);
    CHECK(m == n);
    if (m != n)
        return INFINITY;
    for (size_t i = 0; i < n; i++)
        worst = fmax(worst, fabs(got[i] - want[i]) / fmax(fabs(want[i]), 1e-300));
    return worst;
}

/* hmmlearn's fit from the same start, N iterations: variational parameters to 1e-8, the
 * ELBO to hmmlearn's bound less its dropped constant. */
static void golden_case(const char *name, const vem_matrix *x, const vem_seqs *seqs)
{
    char path[512], line[128];
    snprintf(path, sizeof path, VEM_GOLDEN "/vbhmm_%s.init.json", name);
    vem_vbhmm *v = vem_vbhmm_load(path);
    CHECK(v != NULL);
    if (!v) {
        fprintf(stderr, "%s\n", vem_errmsg());
        return;
    }
    double it = 0.0, dropped = 0.0, final = 0.0, hist[256];
    snprintf(line, sizeof line, "%s iterations", name);
    CHECK(check_golden_line(VEM_GOLDEN "/vbhmm_hmmlearn.txt", line, &it, 1) == 1);
    snprintf(line, sizeof line, "%s dropped", name);
    CHECK(check_golden_line(VEM_GOLDEN "/vbhmm_hmmlearn.txt", line, &dropped, 1) == 1);
    snprintf(line, sizeof line, "%s final", name);
    CHECK(check_golden_line(VEM_GOLDEN "/vbhmm_hmmlearn.txt", line, &final, 1) == 1);
    snprintf(line, sizeof line, "%s history", name);
    size_t nh = check_golden_line(VEM_GOLDEN "/vbhmm_hmmlearn.txt", line, hist, 256);
    CHECK(nh == (size_t)it);
    CHECK_REL(dropped, (double)(x->rows * (vem_vbhmm_emission_type(v) == VEM_HMM_GAUSSIAN
                                               ? x->cols
                                               : 0)) * 0.5 * LOG_2PI,
              1e-14);
    vem_fit_opts o;
    vem_vbhmm_fit_opts_init(&o);
    o.warm_start = 1;
    o.max_iter = (size_t)it;
    o.tol = 0.0;
    vem_fit_result res;
    vem_status s = vem_vbhmm_fit(v, x, seqs, &o, NULL, &res);
    CHECK(s == VEM_EMAXITER);
    CHECK(res.n_iter == (size_t)it && res.trace_len == nh);
    CHECK(res.n_violations == 0);
    double worst_bound = 0.0;
    for (size_t i = 0; i < nh && i < res.trace_len; i++)
        worst_bound = fmax(worst_bound, fabs(res.trace[i].objective - (hist[i] - dropped)) /
                                            fabs(hist[i] - dropped));
    CHECK(worst_bound <= 1e-10);
    CHECK_REL(res.objective, final - dropped, 1e-10);
    const size_t k = vem_vbhmm_k(v), d = vem_vbhmm_dim(v);
    const size_t n_dof = vem_vbhmm_cov(v) == VEM_COV_TIED ? 1 : k;
    double worst = 0.0;
    worst = fmax(worst, golden_diff(name, "startprob_posterior",
                                    vem_vbhmm_startprob_posterior(v), k));
    worst = fmax(worst, golden_diff(name, "transmat_posterior",
                                    vem_vbhmm_transmat_posterior(v), k * k));
    if (vem_vbhmm_emission_type(v) == VEM_HMM_GAUSSIAN) {
        worst = fmax(worst, golden_diff(name, "means_posterior", vem_vbhmm_means(v), k * d));
        worst = fmax(worst, golden_diff(name, "beta_posterior", vem_vbhmm_beta_posterior(v), k));
        worst = fmax(worst,
                     golden_diff(name, "dof_posterior", vem_vbhmm_dof_posterior(v), n_dof));
        worst = fmax(worst, golden_diff(name, "scale_posterior", vem_vbhmm_scale_posterior(v),
                                        vem_vbhmm_covariances_len(v)));
    } else {
        worst = fmax(worst, golden_diff(name, "emissionprob_posterior",
                                        vem_vbhmm_emissionprob_posterior(v), k * d));
    }
    CHECK(worst <= 1e-8);
    printf("hmmlearn %s: %zu iterations, parameters max rel diff %.2e, bounds max rel diff "
           "%.2e, final ELBO %.10f (hmmlearn %.10f - %.6f)\n",
           name, res.n_iter, worst, worst_bound, res.objective, final, dropped);
    double e;
    CHECK(vem_vbhmm_elbo(v, x, seqs, &e) == VEM_OK);
    CHECK(e == res.objective);
    vem_fit_result_clear(&res);
    vem_vbhmm_free(v);
}

static void test_hmmlearn_golden(void)
{
    vem_frames f = read_frames(VEM_EXAMPLE_DATA "/faithful.csv", NULL, 0);
    vem_matrix x = vem_frames_matrix(&f);
    golden_case("faithful_k3", &x, NULL);
    vem_frames_clear(&f);

    f = read_frames(VEM_EXAMPLE_DATA "/seattle-weather.csv", "temp_max,temp_min", 0);
    x = vem_frames_matrix(&f);
    const size_t lens[4] = {366, 365, 365, 365};
    vem_seqs seqs;
    CHECK(vem_seqs_from_lengths(lens, 4, &seqs) == VEM_OK);
    golden_case("temps_k4", &x, &seqs);
    golden_case("temps_tied_k4", &x, &seqs);
    /* Spherical in two dimensions: the Normal-Gamma model (hmmlearn's update, with the
     * Normal-Gamma E-step and bound in place of hmmlearn's: make_vbhmm_golden.py). */
    golden_case("temps_sph_k4", &x, &seqs);
    vem_frames_clear(&f);
    f = read_frames(VEM_EXAMPLE_DATA "/seattle-weather.csv", "temp_max", 0);
    x = vem_frames_matrix(&f);
    golden_case("tmax_sph_k3", &x, &seqs); /* d = 1: hmmlearn's own spherical model */
    vem_seqs_clear(&seqs);
    vem_frames_clear(&f);

    f = read_frames(VEM_EXAMPLE_DATA "/faithful.csv", NULL, 0);
    x = vem_frames_matrix(&f);
    golden_case("faithful_tied_k3", &x, NULL);
    vem_frames_clear(&f);

    f = read_frames(VEM_EXAMPLE_DATA "/seattle-weather.csv", "weather", 1);
    x = vem_frames_matrix(&f);
    golden_case("weather_k3", &x, NULL);
    vem_frames_clear(&f);
}

/* Planted 3-state Gaussian HMM (full covariances): 20 sequences of 500 frames. */
static double *planted(size_t *n, vem_seqs *seqs)
{
    vem_hmm *truth = vem_hmm_new(3, VEM_HMM_GAUSSIAN, 2, VEM_COV_FULL);
    const double pi[3] = {0.6, 0.3, 0.1};
    const double a[9] = {0.9, 0.07, 0.03, 0.05, 0.9, 0.05, 0.1, 0.05, 0.85};
    const double mu[6] = {0.0, 0.0, 4.0, 1.5, -2.5, 3.5};
    const double cov[12] = {1.0, 0.3, 0.3, 0.5, 0.6, -0.2, -0.2, 0.8, 0.4, 0.0, 0.0, 1.3};
    CHECK(vem_hmm_set_startprob(truth, pi) == VEM_OK);
    CHECK(vem_hmm_set_transmat(truth, a) == VEM_OK);
    CHECK(vem_hmm_set_gaussian(truth, mu, cov) == VEM_OK);
    const size_t nseq = 20, T = 500;
    double *x = malloc(nseq * T * 2 * sizeof *x);
    size_t lens[20];
    vem_rng rng;
    vem_rng_seed(&rng, 7);
    for (size_t s = 0; s < nseq; s++) {
        CHECK(vem_hmm_sample(truth, T, &rng, x + s * T * 2, NULL) == VEM_OK);
        lens[s] = T;
    }
    CHECK(vem_seqs_from_lengths(lens, nseq, seqs) == VEM_OK);
    vem_hmm_free(truth);
    *n = nseq * T;
    return x;
}

static void test_effective_states(void)
{
    size_t n;
    vem_seqs seqs;
    double *xd = planted(&n, &seqs);
    vem_matrix x = vem_matrix_view(xd, n, 2);
    /* Plain VB-EM keeps duplicated states (a local optimum of coordinate ascent). */
    vem_vbhmm *v = vem_vbhmm_new(8, VEM_HMM_GAUSSIAN, 2, VEM_COV_FULL);
    vem_fit_result res;
    vem_fit_opts po;
    vem_vbhmm_fit_opts_init(&po);
    vem_rng prng;
    vem_rng_seed(&prng, 1);
    vem_status ps = vem_vbhmm_fit(v, &x, &seqs, &po, &prng, &res);
    CHECK(ps == VEM_OK || ps == VEM_EMAXITER);
    double plain = res.objective;
    const size_t plain_states = vem_vbhmm_effective_states(v);
    CHECK(res.n_violations == 0);
    CHECK(plain_states > 3);
    vem_fit_result_clear(&res);
    /* With delete and merge moves: the 3 planted states, and a higher ELBO. */
    CHECK(vem_vbhmm_set_moves(v, 1) == VEM_OK);
    fit_default(v, &x, &seqs, &res);
    CHECK(vem_vbhmm_effective_states(v) == 3);
    CHECK(vem_vbhmm_moves_accepted(v) >= 1);
    CHECK(res.objective > plain);
    CHECK(res.n_violations == 0);
    CHECK(res.converged);
    printf("planted 3 states, K=8: plain VB-EM effective_states %zu (ELBO %.6f); with moves "
           "%zu (ELBO %.6f, %zu moves), violations %zu\n", plain_states, plain,
           vem_vbhmm_effective_states(v), res.objective, vem_vbhmm_moves_accepted(v),
           res.n_violations);
    /* The three states kept are the planted ones. */
    const double mu[6] = {0.0, 0.0, 4.0, 1.5, -2.5, 3.5};
    for (size_t t = 0; t < 3; t++) {
        double best = INFINITY;
        for (size_t c = 0; c < 8; c++) {
            if (vem_vbhmm_occupancy(v)[c] < 1.0)
                continue;
            const double *m = vem_vbhmm_means(v) + 2 * c;
            best = fmin(best, hypot(m[0] - mu[2 * t], m[1] - mu[2 * t + 1]));
        }
        CHECK(best < 0.1);
    }
    /* Decoding the plug-in HMM agrees with the posterior's most probable states. */
    size_t *z = malloc(n * sizeof *z);
    double *p = malloc(n * 8 * sizeof *p), lp;
    CHECK(vem_vbhmm_decode(v, &x, &seqs, z, &lp) == VEM_OK);
    CHECK(vem_vbhmm_predict_proba(v, &x, &seqs, p) == VEM_OK);
    size_t agree = 0;
    for (size_t r = 0; r < n; r++) {
        size_t b = 0;
        for (size_t c = 1; c < 8; c++)
            if (p[r * 8 + c] > p[r * 8 + b])
                b = c;
        agree += b == z[r];
    }
    CHECK(agree > n * 98 / 100);
    /* Thread invariance: 1 and 2 threads, the same bits. */
    vem_vbhmm *w1 = vem_vbhmm_new(4, VEM_HMM_GAUSSIAN, 2, VEM_COV_FULL);
    vem_vbhmm *w2 = vem_vbhmm_new(4, VEM_HMM_GAUSSIAN, 2, VEM_COV_FULL);
    vem_fit_opts o;
    vem_vbhmm_fit_opts_init(&o);
    o.max_iter = 20;
    vem_rng r1, r2;
    vem_rng_seed(&r1, 3);
    vem_rng_seed(&r2, 3);
    vem_fit_result a1, a2;
    o.nthreads = 1;
    CHECK(vem_vbhmm_fit(w1, &x, &seqs, &o, &r1, &a1) != VEM_EINVAL);
    o.nthreads = 2;
    CHECK(vem_vbhmm_fit(w2, &x, &seqs, &o, &r2, &a2) != VEM_EINVAL);
    CHECK(a1.objective == a2.objective);
    CHECK(memcmp(vem_vbhmm_scale_posterior(w1), vem_vbhmm_scale_posterior(w2),
                 4 * 4 * sizeof(double)) == 0);
    vem_fit_result_clear(&a1);
    vem_fit_result_clear(&a2);
    vem_vbhmm_free(w1);
    vem_vbhmm_free(w2);
    /* Stochastic VI: minibatches of 4 whole sequences. */
    vem_vbhmm *sv = vem_vbhmm_new(3, VEM_HMM_GAUSSIAN, 2, VEM_COV_FULL);
    vem_vbhmm_fit_opts_init(&o);
    o.algorithm = VEM_ALG_STEPWISE;
    o.batch_size = 4;
    o.max_iter = 30;
    o.tol_rule = VEM_TOL_PER_OBS;
    o.tol = 1e-6;
    vem_rng_seed(&r1, 5);
    vem_fit_result sr;
    vem_status s = vem_vbhmm_fit(sv, &x, &seqs, &o, &r1, &sr);
    CHECK(s == VEM_OK || s == VEM_EMAXITER);
    double e;
    CHECK(vem_vbhmm_elbo(sv, &x, &seqs, &e) == VEM_OK);
    CHECK(e == sr.objective);
    /* Close to the batch optimum of the same 3 states (it is the same posterior mode). */
    vem_vbhmm *bv = vem_vbhmm_new(3, VEM_HMM_GAUSSIAN, 2, VEM_COV_FULL);
    vem_fit_result br;
    fit_default(bv, &x, &seqs, &br);
    CHECK(fabs(sr.objective - br.objective) < 1e-3 * fabs(br.objective));
    printf("SVI (stepwise, 4 sequences a minibatch): ELBO %.6f after %zu passes; batch %.6f\n",
           sr.objective, sr.n_iter, br.objective);
    vem_fit_result_clear(&sr);
    vem_fit_result_clear(&br);
    vem_vbhmm_free(sv);
    vem_vbhmm_free(bv);
    free(z);
    free(p);
    vem_fit_result_clear(&res);
    vem_vbhmm_free(v);
    vem_seqs_clear(&seqs);
    free(xd);
}

/* Monotone bounds on Seattle's weather (categorical) and temperatures (Gaussian). */
static void test_monotone(void)
{
    vem_frames f = read_frames(VEM_EXAMPLE_DATA "/seattle-weather.csv", "weather", 1);
    vem_matrix x = vem_frames_matrix(&f);
    for (size_t k = 1; k <= 8; k++) {
        vem_vbhmm *v = vem_vbhmm_new(k, VEM_HMM_CATEGORICAL, 5, VEM_COV_FULL);
        vem_fit_result res;
        fit_default(v, &x, NULL, &res);
        CHECK(res.n_violations == 0);
        for (size_t i = 1; i < res.trace_len; i++)
            CHECK(res.trace[i].objective >= res.trace[i - 1].objective - 1e-9);
        if (k == 8)
            printf("Seattle weather, categorical, K=8: ELBO %.6f, effective_states %zu, %zu "
                   "iterations, violations %zu\n", res.objective,
                   vem_vbhmm_effective_states(v), res.n_iter, res.n_violations);
        vem_fit_result_clear(&res);
        vem_vbhmm_free(v);
    }
    vem_frames_clear(&f);
    f = read_frames(VEM_EXAMPLE_DATA "/seattle-weather.csv", "temp_max,temp_min", 0);
    x = vem_frames_matrix(&f);
    for (int diag = 0; diag < 2; diag++) {
        vem_vbhmm *v = vem_vbhmm_new(6, VEM_HMM_GAUSSIAN, 2, diag ? VEM_COV_DIAG : VEM_COV_FULL);
        vem_fit_result res;
        fit_default(v, &x, NULL, &res);
        CHECK(res.n_violations == 0);
        size_t bad = 0;
        for (size_t i = 1; i < res.trace_len; i++)
            bad += res.trace[i].objective < res.trace[i - 1].objective;
        CHECK(bad == 0);
        printf("Seattle temperatures, Gaussian %s, K=6: ELBO %.6f, effective_states %zu, %zu "
               "iterations, decreases %zu\n", diag ? "diag" : "full", res.objective,
               vem_vbhmm_effective_states(v), res.n_iter, bad);
        vem_fit_result_clear(&res);
        vem_vbhmm_free(v);
    }
    vem_frames_clear(&f);
    f = read_frames(VEM_EXAMPLE_DATA "/seattle-counts.csv", NULL, 0);
    x = vem_frames_matrix(&f);
    vem_vbhmm *v = vem_vbhmm_new(5, VEM_HMM_POISSON, 2, VEM_COV_FULL);
    vem_fit_result res;
    fit_default(v, &x, NULL, &res);
    CHECK(res.n_violations == 0);
    vem_fit_result_clear(&res);
    vem_vbhmm_free(v);
    vem_frames_clear(&f);
}

/* Save, load, the same JSON and ELBO; sampling from the posterior means. */
static void test_files(void)
{
    vem_frames f = read_frames(VEM_EXAMPLE_DATA "/seattle-weather.csv", "weather", 1);
    vem_matrix x = vem_frames_matrix(&f);
    vem_vbhmm *v = vem_vbhmm_new(3, VEM_HMM_CATEGORICAL, 5, VEM_COV_FULL);
    CHECK(vem_vbhmm_set_symbols(v, (const char *const *)f.symbols) == VEM_OK);
    CHECK(vem_vbhmm_set_symbol_column(v, "weather") == VEM_OK);
    vem_fit_result res;
    fit_default(v, &x, NULL, &res);
    const char *path = "test_vbhmm_model.json";
    CHECK(vem_vbhmm_save(v, path, &res) == VEM_OK);
    vem_vbhmm *w = vem_vbhmm_load(path);
    CHECK(w != NULL);
    if (w) {
        char *a = vem_vbhmm_to_json(v), *b = vem_vbhmm_to_json(w);
        CHECK(a && b && strcmp(a, b) == 0);
        free(a);
        free(b);
        double e;
        CHECK(vem_vbhmm_elbo(w, &x, NULL, &e) == VEM_OK);
        CHECK(e == res.objective);
        CHECK(strcmp(vem_vbhmm_symbols(w)[4], "sun") == 0);
        double xs[50];
        size_t zs[50];
        vem_rng rng;
        vem_rng_seed(&rng, 9);
        CHECK(vem_vbhmm_sample(w, 50, &rng, xs, zs) == VEM_OK);
        for (size_t i = 0; i < 50; i++)
            CHECK(xs[i] >= 0 && xs[i] < 5 && zs[i] < 3);
    }
    vem_vbhmm_free(w);
    /* A Gaussian model too, diag. */
    vem_frames_clear(&f);
    f = read_frames(VEM_EXAMPLE_DATA "/faithful.csv", NULL, 0);
    x = vem_frames_matrix(&f);
    vem_vbhmm *g = vem_vbhmm_new(2, VEM_HMM_GAUSSIAN, 2, VEM_COV_DIAG);
    vem_fit_result gr;
    fit_default(g, &x, NULL, &gr);
    CHECK(vem_vbhmm_save(g, path, &gr) == VEM_OK);
    w = vem_vbhmm_load(path);
    CHECK(w != NULL);
    if (w) {
        char *a = vem_vbhmm_to_json(g), *b = vem_vbhmm_to_json(w);
        CHECK(a && b && strcmp(a, b) == 0);
        free(a);
        free(b);
    }
    vem_vbhmm_free(w);
    vem_vbhmm_free(g);
    vem_fit_result_clear(&gr);
    /* A broken file names the key. */
    FILE *fp = fopen(path, "w");
    fputs("{\"format\": \"vem-model\", \"version\": 1, \"model\": \"vbhmm\", \"emission\": "
          "\"categorical\", \"n_states\": 2, \"n_symbols\": 2, \"startprob_prior\": [1, 1], "
          "\"transmat_prior\": [[1, 1], [1, 1]], \"startprob_posterior\": [1, -1], "
          "\"transmat_posterior\": [[1, 1], [1, 1]]}\n", fp);
    fclose(fp);
    CHECK(vem_vbhmm_load(path) == NULL);
    CHECK(strstr(vem_errmsg(), "startprob_posterior") != NULL);
    remove(path);
    vem_fit_result_clear(&res);
    vem_vbhmm_free(v);
    vem_frames_clear(&f);
}

/*
 * Spherical and tied covariances end to end on Old Faithful (one sequence) and Seattle's
 * temperatures (four yearly sequences): monotone ELBO, the model file round trip, the
 * plug-in HMM of the right covariance type, decoding after a load, stochastic VI (from
 * ess_from_params) near batch VB-EM, and moves.
 */
static void test_spherical_tied(void)
{
    vem_frames f = read_frames(VEM_EXAMPLE_DATA "/faithful.csv", NULL, 0);
    vem_matrix x = vem_frames_matrix(&f);
    vem_frames ft = read_frames(VEM_EXAMPLE_DATA "/seattle-weather.csv", "temp_max,temp_min", 0);
    vem_matrix xt = vem_frames_matrix(&ft);
    const size_t lens[4] = {366, 365, 365, 365};
    vem_seqs seqs;
    CHECK(vem_seqs_from_lengths(lens, 4, &seqs) == VEM_OK);
    const char *path = "test_vbhmm_cov.json";
    const vem_cov covs[2] = {VEM_COV_SPHERICAL, VEM_COV_TIED};
    for (size_t t = 0; t < 2; t++) {
        const vem_cov cov = covs[t];
        const char *name = vem_cov_name(cov);
        /* Monotone on both series; every iteration checked by the engine too. */
        vem_vbhmm *v = vem_vbhmm_new(4, VEM_HMM_GAUSSIAN, 2, cov);
        vem_fit_result res;
        fit_default(v, &x, NULL, &res);
        size_t bad = 0;
        for (size_t i = 1; i < res.trace_len; i++)
            bad += res.trace[i].objective < res.trace[i - 1].objective;
        CHECK(bad == 0 && res.n_violations == 0 && res.converged);
        CHECK(vem_vbhmm_effective_states(v) >= 2);
        CHECK(vem_vbhmm_covariances_len(v) == (cov == VEM_COV_TIED ? 4 : 4 * 1));
        printf("Old Faithful, Gaussian %s, K=4: ELBO %.6f, effective_states %zu, %zu "
               "iterations, decreases %zu\n", name, res.objective, vem_vbhmm_effective_states(v),
               res.n_iter, bad);
        double occ = 0.0;
        for (size_t c = 0; c < 4; c++)
            occ += vem_vbhmm_occupancy(v)[c];
        CHECK_REL(occ, (double)x.rows, 1e-9);
        /* The model file: the same JSON, the same ELBO, decoding and sampling after a load. */
        CHECK(vem_vbhmm_save(v, path, &res) == VEM_OK);
        vem_vbhmm *w = vem_vbhmm_load(path);
        CHECK(w != NULL);
        if (w) {
            char *a = vem_vbhmm_to_json(v), *b = vem_vbhmm_to_json(w);
            CHECK(a && b && strcmp(a, b) == 0);
            free(a);
            free(b);
            CHECK(vem_vbhmm_cov(w) == cov);
            double e;
            CHECK(vem_vbhmm_elbo(w, &x, NULL, &e) == VEM_OK);
            CHECK(e == res.objective);
            vem_hmm *h = vem_vbhmm_to_hmm(w);
            CHECK(h && vem_hmm_cov(h) == cov);
            CHECK(h && vem_hmm_covariances_len(h) == vem_vbhmm_covariances_len(w));
            CHECK(h && memcmp(vem_hmm_covariances(h), vem_vbhmm_covariances(w),
                              vem_vbhmm_covariances_len(w) * sizeof(double)) == 0);
            vem_hmm_free(h);
            size_t *z1 = malloc(x.rows * sizeof *z1), *z2 = malloc(x.rows * sizeof *z2);
            double lp1, lp2;
            CHECK(vem_vbhmm_decode(v, &x, NULL, z1, &lp1) == VEM_OK);
            CHECK(vem_vbhmm_decode(w, &x, NULL, z2, &lp2) == VEM_OK);
            CHECK(lp1 == lp2 && memcmp(z1, z2, x.rows * sizeof *z1) == 0);
            free(z1);
            free(z2);
            double xs[20];
            size_t zs[10];
            vem_rng rng;
            vem_rng_seed(&rng, 4);
            CHECK(vem_vbhmm_sample(w, 10, &rng, xs, zs) == VEM_OK);
        }
        vem_vbhmm_free(w);
        /* A warm start from the converged posterior stays there. */
        vem_fit_opts o;
        vem_vbhmm_fit_opts_init(&o);
        o.warm_start = 1;
        vem_fit_result wr;
        CHECK(vem_vbhmm_fit(v, &x, NULL, &o, NULL, &wr) == VEM_OK);
        CHECK(wr.objective >= res.objective);
        CHECK(wr.objective - res.objective < 1e-6 * fabs(res.objective));
        vem_fit_result_clear(&wr);
        vem_fit_result_clear(&res);
        vem_vbhmm_free(v);

        /* Seattle's temperatures: batch VB-EM, then stochastic VI (2 sequences a
         * minibatch, from the statistics the start stands for) ends near it. */
        v = vem_vbhmm_new(3, VEM_HMM_GAUSSIAN, 2, cov);
        fit_default(v, &xt, &seqs, &res);
        CHECK(res.n_violations == 0);
        vem_vbhmm *sv = vem_vbhmm_new(3, VEM_HMM_GAUSSIAN, 2, cov);
        vem_vbhmm_fit_opts_init(&o);
        o.algorithm = VEM_ALG_STEPWISE;
        o.batch_size = 2;
        o.max_iter = 40;
        vem_rng r1;
        vem_rng_seed(&r1, 1);
        vem_fit_result sr;
        vem_status st = vem_vbhmm_fit(sv, &xt, &seqs, &o, &r1, &sr);
        CHECK(st == VEM_OK || st == VEM_EMAXITER);
        CHECK(fabs(sr.objective - res.objective) < 2e-3 * fabs(res.objective));
        printf("Seattle temperatures, Gaussian %s, K=3: batch ELBO %.6f (%zu iterations), SVI "
               "%.6f (%zu passes)\n", name, res.objective, res.n_iter, sr.objective, sr.n_iter);
        vem_fit_result_clear(&sr);
        vem_vbhmm_free(sv);
        vem_fit_result_clear(&res);
        vem_vbhmm_free(v);

        /* Moves: K = 8 on Old Faithful keeps duplicated states; deletes and merges (their
         * statistics from ess_from_params) remove some and raise the ELBO. */
        v = vem_vbhmm_new(8, VEM_HMM_GAUSSIAN, 2, cov);
        fit_default(v, &x, NULL, &res);
        const double plain = res.objective;
        const size_t plain_states = vem_vbhmm_effective_states(v);
        vem_fit_result_clear(&res);
        CHECK(vem_vbhmm_set_moves(v, 1) == VEM_OK);
        fit_default(v, &x, NULL, &res);
        CHECK(res.n_violations == 0);
        CHECK(vem_vbhmm_moves_accepted(v) >= 1);
        CHECK(res.objective > plain);
        CHECK(vem_vbhmm_effective_states(v) < plain_states);
        printf("Old Faithful, Gaussian %s, K=8: plain %zu states (ELBO %.6f), moves %zu states "
               "(ELBO %.6f, %zu moves)\n", name, plain_states, plain,
               vem_vbhmm_effective_states(v), res.objective, vem_vbhmm_moves_accepted(v));
        vem_fit_result_clear(&res);
        vem_vbhmm_free(v);
    }
    /* The parameters' shapes and ranges: tied has one dof and one scale. */
    vem_vbhmm *v = vem_vbhmm_new(2, VEM_HMM_GAUSSIAN, 2, VEM_COV_TIED);
    const double m0[2] = {0.0, 0.0}, mu[4] = {1.0, 2.0, 3.0, 4.0}, beta[2] = {5.0, 6.0};
    const double nu_bad = 0.5, nu = 9.0, sc[4] = {2.0, 0.5, 0.5, 3.0};
    CHECK(vem_vbhmm_set_means_prior(v, m0) == VEM_OK);
    CHECK(vem_vbhmm_set_posterior_gaussian(v, mu, beta, &nu_bad, sc) == VEM_EINVAL);
    CHECK(strstr(vem_errmsg(), "tied dof posterior") != NULL);
    CHECK(vem_vbhmm_set_posterior_gaussian(v, mu, beta, &nu, sc) == VEM_OK);
    CHECK(vem_vbhmm_dof_posterior(v)[0] == 9.0 && vem_vbhmm_covariances(v)[1] == 0.5 / 9.0);
    CHECK(vem_vbhmm_set_dof_prior(v, 0.5) == VEM_EINVAL);
    vem_vbhmm_free(v);
    v = vem_vbhmm_new(2, VEM_HMM_GAUSSIAN, 3, VEM_COV_SPHERICAL);
    const double s_bad = -1.0, s_ok = 0.25;
    CHECK(vem_vbhmm_set_scale_prior(v, &s_bad) == VEM_ENUMERIC);
    CHECK(vem_vbhmm_set_scale_prior(v, &s_ok) == VEM_OK);
    CHECK(vem_vbhmm_set_dof_prior(v, 0.5) == VEM_OK); /* > 0 is enough: Gamma(3 nu0 / 2) */
    CHECK(vem_vbhmm_covariances_len(v) == 2);
    vem_vbhmm_free(v);
    remove(path);
    vem_seqs_clear(&seqs);
    vem_frames_clear(&ft);
    vem_frames_clear(&f);
}

static void test_errors(void)
{
    CHECK(vem_vbhmm_new(0, VEM_HMM_GAUSSIAN, 2, VEM_COV_FULL) == NULL);
    CHECK(strstr(vem_errmsg(), "k=0") != NULL);
    CHECK(vem_vbhmm_new(2, VEM_HMM_GAUSSIAN, 2, VEM_COV_EII) == NULL);
    CHECK(strstr(vem_errmsg(), "EII") != NULL);
    CHECK(vem_vbhmm_new(2, VEM_HMM_GAUSSIAN, 2, (vem_cov)99) == NULL);
    CHECK(vem_vbhmm_new(2, VEM_HMM_GMM, 2, VEM_COV_FULL) == NULL);
    CHECK(strstr(vem_errmsg(), "gmm") != NULL);
    vem_vbhmm *v = vem_vbhmm_new(2, VEM_HMM_GAUSSIAN, 2, VEM_COV_FULL);
    CHECK(vem_vbhmm_set_dof_prior(v, 0.5) == VEM_EINVAL);
    CHECK(vem_vbhmm_set_beta_prior(v, -1.0) == VEM_EINVAL);
    const double nonpd[4] = {1.0, 2.0, 2.0, 1.0}, asym[4] = {1.0, 0.1, 0.2, 1.0};
    CHECK(vem_vbhmm_set_scale_prior(v, nonpd) == VEM_ENUMERIC);
    CHECK(vem_vbhmm_set_scale_prior(v, asym) == VEM_EINVAL);
    const double bad_pi[2] = {1.0, 0.0};
    CHECK(vem_vbhmm_set_startprob_prior(v, bad_pi) == VEM_EINVAL);
    CHECK(strstr(vem_errmsg(), "entry 2") != NULL);
    CHECK(vem_vbhmm_set_emissionprob_prior(v, bad_pi) == VEM_EINVAL);
    CHECK(vem_vbhmm_set_init(v, VEM_HMM_INIT_RANDOM) == VEM_OK);
    CHECK(vem_vbhmm_set_trans_init(v, VEM_HMM_TRANS_GIVEN) == VEM_EINVAL);
    double xd[6] = {1.0, 2.0, 3.0, 4.0, 5.0, 6.0};
    vem_matrix x3 = vem_matrix_view(xd, 2, 3);
    vem_fit_result res;
    CHECK(vem_vbhmm_fit(v, &x3, NULL, NULL, NULL, &res) == VEM_EINVAL);
    CHECK(strstr(vem_errmsg(), "3 columns") != NULL);
    vem_matrix x2 = vem_matrix_view(xd, 3, 2);
    vem_fit_opts o;
    vem_vbhmm_fit_opts_init(&o);
    o.warm_start = 1;
    CHECK(vem_vbhmm_fit(v, &x2, NULL, &o, NULL, &res) == VEM_EINVAL);
    CHECK(strstr(vem_errmsg(), "priors") != NULL);
    double elbo;
    CHECK(vem_vbhmm_elbo(v, &x2, NULL, &elbo) == VEM_EINVAL);
    CHECK(vem_vbhmm_save(v, "never.json", NULL) == VEM_EINVAL);
    const size_t bad_lens[2] = {1, 1};
    vem_seqs seqs;
    CHECK(vem_seqs_from_lengths(bad_lens, 2, &seqs) == VEM_OK);
    CHECK(vem_vbhmm_fit(v, &x2, &seqs, NULL, NULL, &res) == VEM_EINVAL);
    CHECK(strstr(vem_errmsg(), "cover") != NULL);
    vem_seqs_clear(&seqs);
    vem_vbhmm_free(v);
    v = vem_vbhmm_new(2, VEM_HMM_CATEGORICAL, 3, VEM_COV_FULL);
    CHECK(vem_vbhmm_set_init(v, VEM_HMM_INIT_KMEANS) == VEM_EINVAL);
    vem_matrix xc = vem_matrix_view(xd, 6, 1);
    CHECK(vem_vbhmm_fit(v, &xc, NULL, NULL, NULL, &res) == VEM_EINVAL);
    CHECK(strstr(vem_errmsg(), "symbol code 3") != NULL);
    CHECK(vem_vbhmm_set_columns(v, NULL) == VEM_EINVAL);
    vem_vbhmm_free(v);
    v = vem_vbhmm_new(2, VEM_HMM_POISSON, 1, VEM_COV_FULL);
    const double frac[3] = {1.0, 2.5, 3.0};
    vem_matrix xp = vem_matrix_view(frac, 3, 1);
    CHECK(vem_vbhmm_fit(v, &xp, NULL, NULL, NULL, &res) == VEM_EINVAL);
    CHECK(vem_vbhmm_load("no-such-file.json") == NULL);
    CHECK(vem_vbhmm_load(VEM_GOLDEN "/seattle_k2.init.json") == NULL); /* an "hmm" file */
    CHECK(strstr(vem_errmsg(), "hmm") != NULL);
    vem_vbhmm_free(v);
    vem_vbhmm_free(NULL);
}

int main(void)
{
    test_closed_form_gaussian();
    test_closed_form_categorical();
    test_closed_form_poisson();
    test_hmmlearn_golden();
    test_effective_states();
    test_monotone();
    test_files();
    test_spherical_tied();
    test_errors();
    return check_report("vbhmm");
}
