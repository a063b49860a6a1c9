/*
 * tests/test_vbgmm.c — the variational Bayesian Gaussian mixture: the ELBO
 * against the exact Normal-Wishart evidence (K = 1), against an independent
 * oracle written from Bishop's PRML eqs. 10.71-10.77 term by term, the Old
 * Faithful references (K = 10, both weight priors), the Student-t predictive
 * density, monotonicity, thread invariance, model files and errors.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vem/vem.h>

#include "check.h"

#define PI_T 3.14159265358979323846

/* The first value of the golden line starting with name; NAN if missing. */
static double golden1(const char *name)
{
    FILE *fp = fopen(VEM_GOLDEN "/vb_golden.txt", "r");
    char line[4096];
    double v = NAN;
    size_t len = strlen(name);
    if (!fp)
        return v;
    while (fgets(line, sizeof line, fp))
        if (strncmp(line, name, len) == 0 && line[len] == ' ') {
            v = strtod(line + len, NULL);
            break;
        }
    fclose(fp);
    return v;
}

static vem_table faithful;

static int monotone(const vem_fit_result *res)
{
    for (size_t i = 1; i < res->trace_len; i++)
        if (res->trace[i].objective <
            res->trace[i - 1].objective - 1e-9 * fabs(res->trace[i - 1].objective))
            return 0;
    return res->n_violations == 0;
}

/* Digamma by a different route from the library's: recurrence to x >= 10, a shorter series. */
static double digamma_t(double x)
{
    double r = 0.0;
    while (x < 10.0) {
        r -= 1.0 / x;
        x += 1.0;
    }
    double f = 1.0 / (x * x);
    return r + log(x) - 0.5 / x - f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f / 240)));
}

/* Inverse of a symmetric positive definite d x d matrix by Gauss-Jordan; returns ln|a|. */
static double inverse(size_t d, const double *a, double *inv)
{
    double *m = malloc(d * 2 * d * sizeof *m), logdet = 0.0;
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < 2 * d; j++)
            m[i * 2 * d + j] = j < d ? a[i * d + j] : (j - d == i ? 1.0 : 0.0);
    for (size_t c = 0; c < d; c++) {
        double p = m[c * 2 * d + c];
        logdet += log(p);
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
    return logdet;
}

/* ln Gamma_d(a), the multivariate gamma function. */
static double lmvgamma(double a, size_t d)
{
    double s = 0.25 * (double)(d * (d - 1)) * log(PI_T);
    for (size_t i = 1; i <= d; i++)
        s += lgamma(a + 0.5 * (1.0 - (double)i));
    return s;
}

/* Exact log evidence of x (n x d) under one Gaussian with a Normal-Wishart prior (c0 = W0^-1). */
static double nw_evidence(const double *x, size_t n, size_t d, const double *m0, double b0,
                          double nu0, const double *c0)
{
    double xb[8] = {0}, wn[64], inv[64];
    for (size_t r = 0; r < n; r++)
        for (size_t j = 0; j < d; j++)
            xb[j] += x[r * d + j] / (double)n;
    double bn = b0 + (double)n, nun = nu0 + (double)n;
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++) {
            double s = 0.0;
            for (size_t r = 0; r < n; r++)
                s += (x[r * d + i] - xb[i]) * (x[r * d + j] - xb[j]);
            wn[i * d + j] = c0[i * d + j] + s + b0 * (double)n / bn * (xb[i] - m0[i]) * (xb[j] - m0[j]);
        }
    double ld0 = inverse(d, c0, inv), ldn = inverse(d, wn, inv);
    return -0.5 * (double)(n * d) * log(PI_T) + lmvgamma(nun / 2, d) - lmvgamma(nu0 / 2, d) +
           nu0 / 2 * ld0 - nun / 2 * ldn + 0.5 * (double)d * log(b0 / bn);
}

static vem_status fit(vem_vbgmm *v, const vem_matrix *x, size_t max_iter, double tol,
                      size_t n_init, int threads, uint64_t seed, vem_fit_result *res)
{
    vem_fit_opts o;
    vem_fit_opts_init(&o);
    o.max_iter = max_iter;
    o.tol = tol;
    o.n_init = n_init;
    o.nthreads = threads;
    vem_rng rng;
    vem_rng_seed(&rng, seed);
    return vem_vbgmm_fit(v, x, &o, &rng, res);
}

/* K = 1: the bound is tight, so the ELBO is the exact log evidence (REFERENCE.md). */
static void test_k1_evidence(void)
{
    vem_matrix x = vem_table_matrix(&faithful);
    const double want = -1303.8975177948587; /* REFERENCE.md */
    CHECK_REL(golden1("nw_evidence_full"), want, 1e-12);
    for (int p = 0; p < 2; p++) {
        vem_vbgmm *v = vem_vbgmm_new(1, 2, VEM_COV_FULL);
        vem_vbgmm_set_weight_prior(v, p ? VEM_VB_DP : VEM_VB_DIRICHLET);
        CHECK(vem_vbgmm_set_reg_covar(v, 0.0) == VEM_OK);
        vem_fit_result res;
        CHECK(fit(v, &x, 100, 1e-3, 1, 0, 1, &res) == VEM_OK);
        CHECK_REL(res.objective, want, 1e-9);
        CHECK_REL(res.trace[0].objective, want, 1e-9); /* exact after the first update */
        CHECK(monotone(&res));
        double e;
        CHECK(vem_vbgmm_elbo(v, &x, &e) == VEM_OK);
        CHECK(e == res.objective);
        CHECK(vem_vbgmm_effective_components(v) == 1);
        CHECK_REL(vem_vbgmm_counts(v)[0], 272.0, 1e-12);
        vem_fit_result_clear(&res);
        vem_vbgmm_free(v);
    }
    /* Diagonal: d independent Normal-Gamma factors. */
    vem_vbgmm *v = vem_vbgmm_new(1, 2, VEM_COV_DIAG);
    vem_vbgmm_set_reg_covar(v, 0.0);
    vem_fit_result res;
    CHECK(fit(v, &x, 100, 1e-3, 1, 0, 1, &res) == VEM_OK);
    CHECK_REL(res.objective, golden1("nw_evidence_diag"), 1e-9);
    vem_fit_result_clear(&res);
    vem_vbgmm_free(v);
    /* Other priors, against the evidence computed here. */
    const double m0[2] = {3.0, 70.0}, c0[4] = {2.385, 1.5, 1.5, 40.0};
    v = vem_vbgmm_new(1, 2, VEM_COV_FULL);
    vem_vbgmm_set_reg_covar(v, 0.0);
    CHECK(vem_vbgmm_set_mean_prior(v, m0) == VEM_OK);
    CHECK(vem_vbgmm_set_covariance_prior(v, c0) == VEM_OK);
    CHECK(vem_vbgmm_set_mean_precision_prior(v, 0.37) == VEM_OK);
    CHECK(vem_vbgmm_set_dof_prior(v, 5.5) == VEM_OK);
    CHECK(vem_vbgmm_set_weight_concentration_prior(v, 2.0) == VEM_OK);
    CHECK(fit(v, &x, 100, 1e-3, 1, 0, 1, &res) == VEM_OK);
    CHECK_REL(res.objective, nw_evidence(faithful.data, faithful.rows, 2, m0, 0.37, 5.5, c0), 1e-9);
    vem_fit_result_clear(&res);
    vem_vbgmm_free(v);
}

/*
 * The ELBO of a fitted posterior term by term as Bishop writes it (PRML eqs.
 * 10.64-10.77), with responsibilities computed here from the posterior.
 * Dirichlet prior, full covariance.
 */
static double oracle_elbo(const vem_vbgmm *v, const vem_matrix *x, double a0, double b0,
                          double nu0, const double *m0, const double *c0)
{
    const size_t k = vem_vbgmm_k(v), d = 2, n = x->rows;
    const double *alpha = vem_vbgmm_weight_concentration(v), *beta = vem_vbgmm_mean_precision(v);
    const double *nu = vem_vbgmm_dof(v), *m = vem_vbgmm_means(v), *cov = vem_vbgmm_covariances(v);
    double *w = malloc(k * 4 * sizeof *w), *lnlam = malloc(k * sizeof *w);
    double *lnpi = malloc(k * sizeof *w), *r = malloc(n * k * sizeof *w);
    double asum = 0.0, winv[4], w0[4];
    double ld_c0 = inverse(d, c0, w0); /* w0 = W0 */
    for (size_t c = 0; c < k; c++)
        asum += alpha[c];
    for (size_t c = 0; c < k; c++) {
        for (int i = 0; i < 4; i++)
            winv[i] = cov[c * 4 + i] * nu[c];
        double ldwinv = inverse(d, winv, w + c * 4);
        lnlam[c] = digamma_t(nu[c] / 2) + digamma_t((nu[c] - 1) / 2) + 2 * log(2.0) - ldwinv;
        lnpi[c] = digamma_t(alpha[c]) - digamma_t(asum);
    }
    /* 10.67, 10.46, 10.49 */
    for (size_t i = 0; i < n; i++) {
        const double *xi = x->data + i * x->ld;
        double mx = -INFINITY, s = 0.0;
        for (size_t c = 0; c < k; c++) {
            double e0 = xi[0] - m[c * 2], e1 = xi[1] - m[c * 2 + 1];
            const double *wc = w + c * 4;
            double q = e0 * e0 * wc[0] + 2 * e0 * e1 * wc[1] + e1 * e1 * wc[3];
            double lr = lnpi[c] + 0.5 * lnlam[c] - log(2 * PI_T) - 0.5 * (2.0 / beta[c] + nu[c] * q);
            r[i * k + c] = lr;
            mx = fmax(mx, lr);
        }
        for (size_t c = 0; c < k; c++)
            s += exp(r[i * k + c] - mx);
        for (size_t c = 0; c < k; c++)
            r[i * k + c] = exp(r[i * k + c] - mx) / s;
    }
    double total = 0.0;
    double lnb0 = -nu0 / 2 * (-ld_c0) - nu0 * log(2.0) - lmvgamma(nu0 / 2, d);
    double lnc_a0 = lgamma((double)k * a0) - (double)k * lgamma(a0), lnc_a = lgamma(asum);
    for (size_t c = 0; c < k; c++)
        lnc_a -= lgamma(alpha[c]);
    total += lnc_a0 - lnc_a; /* 10.73 - 10.76, constants */
    for (size_t c = 0; c < k; c++) {
        double nk = 0.0, xb[2] = {0, 0}, s[4] = {0, 0, 0, 0};
        for (size_t i = 0; i < n; i++)
            nk += r[i * k + c];
        for (size_t i = 0; i < n; i++)
            for (int j = 0; j < 2; j++)
                xb[j] += r[i * k + c] * x->data[i * x->ld + j] / nk;
        for (size_t i = 0; i < n; i++)
            for (int a = 0; a < 2; a++)
                for (int b = 0; b < 2; b++)
                    s[a * 2 + b] += r[i * k + c] * (x->data[i * x->ld + a] - xb[a]) *
                                    (x->data[i * x->ld + b] - xb[b]) / nk;
        const double *wc = w + c * 4, *mc = m + c * 2;
        double trsw = s[0] * wc[0] + 2 * s[1] * wc[1] + s[3] * wc[3];
        double dx0 = xb[0] - mc[0], dx1 = xb[1] - mc[1];
        double qx = dx0 * dx0 * wc[0] + 2 * dx0 * dx1 * wc[1] + dx1 * dx1 * wc[3];
        double dm0 = mc[0] - m0[0], dm1 = mc[1] - m0[1];
        double qm = dm0 * dm0 * wc[0] + 2 * dm0 * dm1 * wc[1] + dm1 * dm1 * wc[3];
        double trw0w = c0[0] * wc[0] + 2 * c0[1] * wc[1] + c0[3] * wc[3];
        double ldw = -inverse(d, (double[4]){cov[c * 4] * nu[c], cov[c * 4 + 1] * nu[c],
                                             cov[c * 4 + 2] * nu[c], cov[c * 4 + 3] * nu[c]},
                              (double[4]){0});
        double lnb = -nu[c] / 2 * ldw - nu[c] * log(2.0) - lmvgamma(nu[c] / 2, d);
        double entropy_lam = -lnb - (nu[c] - 3) / 2 * lnlam[c] + nu[c];
        /* 10.71 */
        total += 0.5 * nk * (lnlam[c] - 2.0 / beta[c] - nu[c] * trsw - nu[c] * qx - 2 * log(2 * PI_T));
        /* 10.72 and 10.75 */
        for (size_t i = 0; i < n; i++) {
            double ri = r[i * k + c];
            total += ri * lnpi[c] - (ri > 0 ? ri * log(ri) : 0.0);
        }
        /* 10.73 and 10.76 (the rest) */
        total += (a0 - 1) * lnpi[c] - (alpha[c] - 1) * lnpi[c];
        /* 10.74 */
        total += 0.5 * (2 * log(b0 / (2 * PI_T)) + lnlam[c] - 2 * b0 / beta[c] - b0 * nu[c] * qm) +
                 lnb0 + (nu0 - 3) / 2 * lnlam[c] - 0.5 * nu[c] * trw0w;
        /* 10.77 */
        total -= 0.5 * lnlam[c] + log(beta[c] / (2 * PI_T)) - 1.0 - entropy_lam;
    }
    free(w);
    free(lnlam);
    free(lnpi);
    free(r);
    return total;
}

static void test_oracle(void)
{
    vem_matrix x = vem_table_matrix(&faithful);
    vem_vbgmm *v = vem_vbgmm_new(3, 2, VEM_COV_FULL);
    /* The oracle writes PRML's Dirichlet terms (the default prior is stick-breaking). */
    CHECK(vem_vbgmm_set_weight_prior(v, VEM_VB_DIRICHLET) == VEM_OK);
    vem_fit_result res;
    CHECK(fit(v, &x, 7, 0.0, 1, 0, 3, &res) == VEM_EMAXITER); /* mid-way: r is not trivial */
    CHECK(monotone(&res));
    double cov[4] = {0, 0, 0, 0}, mean[2] = {0, 0};
    size_t n = x.rows;
    for (size_t i = 0; i < n; i++)
        for (int j = 0; j < 2; j++)
            mean[j] += x.data[i * 2 + j] / (double)n;
    for (size_t i = 0; i < n; i++)
        for (int a = 0; a < 2; a++)
            for (int b = 0; b < 2; b++)
                cov[a * 2 + b] += (x.data[i * 2 + a] - mean[a]) * (x.data[i * 2 + b] - mean[b]) /
                                  (double)(n - 1);
    const double *m0 = vem_vbgmm_mean_prior(v), *c0 = vem_vbgmm_covariance_prior(v);
    CHECK(m0 && c0);
    if (!m0 || !c0)
        return;
    for (int j = 0; j < 2; j++)
        CHECK_REL(m0[j], mean[j], 1e-13);
    for (int j = 0; j < 4; j++)
        CHECK_REL(c0[j], cov[j], 1e-12);
    double want = oracle_elbo(v, &x, 1.0 / 3, 1.0, 2.0, m0, c0);
    CHECK_REL(res.objective, want, 1e-10);
    double e;
    vem_vbgmm_elbo(v, &x, &e);
    CHECK_REL(e, want, 1e-10);

    /* The predictive density: sum_k E[pi_k] St(x | m_k, L_k, nu_k - 1) written out for d = 2. */
    double lp[5];
    vem_matrix x5 = vem_matrix_view(x.data, 5, 2);
    CHECK(vem_vbgmm_score_samples(v, &x5, lp) == VEM_OK);
    for (int i = 0; i < 5; i++) {
        const double *xi = x.data + i * 2;
        double p = 0.0;
        for (size_t c = 0; c < 3; c++) {
            const double *cv = vem_vbgmm_covariances(v) + c * 4, *mc = vem_vbgmm_means(v) + c * 2;
            double nu = vem_vbgmm_dof(v)[c], beta = vem_vbgmm_mean_precision(v)[c];
            double dof = nu + 1 - 2, wi[4], l[4];
            for (int j = 0; j < 4; j++)
                wi[j] = cv[j] * nu;
            double ldw = -inverse(2, wi, l); /* l = W */
            double sc = dof * beta / (1 + beta);
            double e0 = xi[0] - mc[0], e1 = xi[1] - mc[1];
            double q = sc * (e0 * e0 * l[0] + 2 * e0 * e1 * l[1] + e1 * e1 * l[3]);
            double lst = lgamma((dof + 2) / 2) - lgamma(dof / 2) + 0.5 * (2 * log(sc) + ldw) -
                         log(dof * PI_T) - (dof + 2) / 2 * log(1 + q / dof);
            p += vem_vbgmm_weights(v)[c] * exp(lst);
        }
        CHECK_REL(lp[i], log(p), 1e-12);
    }
    /* Weights: E[pi_k] = alpha_k / sum alpha. */
    double asum = 0.0;
    for (int c = 0; c < 3; c++)
        asum += vem_vbgmm_weight_concentration(v)[c];
    for (int c = 0; c < 3; c++)
        CHECK_REL(vem_vbgmm_weights(v)[c], vem_vbgmm_weight_concentration(v)[c] / asum, 1e-14);
    vem_fit_result_clear(&res);
    vem_vbgmm_free(v);
}

/* Old Faithful, K = 10: two clusters survive; REFERENCE.md's full ELBOs. */
static void test_faithful_k10(void)
{
    vem_matrix x = vem_table_matrix(&faithful);
    for (int p = 0; p < 2; p++) {
        vem_vbgmm *v = vem_vbgmm_new(10, 2, VEM_COV_FULL);
        vem_vbgmm_set_weight_prior(v, p ? VEM_VB_DP : VEM_VB_DIRICHLET);
        vem_fit_result res;
        vem_status st = fit(v, &x, 1000, 1e-10, 20, 0, 2, &res); /* restarts: local optima */
        CHECK(st == VEM_OK);
        CHECK(monotone(&res));
        CHECK_ABS(res.objective, p ? -1180.45 : -1186.23, 0.01);
        CHECK(vem_vbgmm_effective_components(v) == 2);
        /* The two clusters: short eruptions after ~54 minutes, long ones after ~80. */
        const double *w = vem_vbgmm_weights(v), *m = vem_vbgmm_means(v);
        size_t big[2], nb = 0;
        for (size_t c = 0; c < 10 && nb < 2; c++)
            if (w[c] > 0.3)
                big[nb++] = c;
        CHECK(nb == 2);
        if (nb == 2) {
            double lo = fmin(m[big[0] * 2 + 1], m[big[1] * 2 + 1]);
            double hi = fmax(m[big[0] * 2 + 1], m[big[1] * 2 + 1]);
            CHECK(fabs(lo - 54.5) < 1.0 && fabs(hi - 80.0) < 1.0);
        }
        vem_fit_result_clear(&res);
        vem_vbgmm_free(v);
    }
    /* Diagonal, stick-breaking: still monotone, two clusters dominate. */
    vem_vbgmm *v = vem_vbgmm_new(10, 2, VEM_COV_DIAG);
    vem_vbgmm_set_weight_prior(v, VEM_VB_DP);
    vem_fit_result res;
    CHECK(fit(v, &x, 1000, 1e-8, 1, 0, 2, &res) == VEM_OK);
    CHECK(monotone(&res));
    CHECK(vem_vbgmm_effective_components(v) >= 2 && vem_vbgmm_effective_components(v) <= 4);
    vem_fit_result_clear(&res);
    vem_vbgmm_free(v);
}

/* A planted 3-cluster mixture in 3-D, 30,000 rows (several slots): 1 and 2 threads give the same bits. */
static void test_threads(void)
{
    const size_t n = 30000, d = 3;
    double *x = malloc(n * d * sizeof *x);
    vem_rng rng;
    vem_rng_seed(&rng, 11);
    const double mu[3][3] = {{0, 0, 0}, {6, 1, -2}, {-3, 7, 4}};
    for (size_t r = 0; r < n; r++)
        for (size_t j = 0; j < d; j++)
            x[r * d + j] = mu[r % 3][j] + (1.0 + 0.5 * (double)j) * vem_rng_normal(&rng);
    vem_matrix xm = vem_matrix_view(x, n, d);
    double obj[2];
    vem_vbgmm *v[2];
    for (int t = 0; t < 2; t++) {
        v[t] = vem_vbgmm_new(3, d, VEM_COV_FULL);
        vem_vbgmm_set_weight_prior(v[t], VEM_VB_DP);
        vem_fit_result res;
        CHECK(fit(v[t], &xm, 200, 1e-6, 1, t + 1, 5, &res) == VEM_OK);
        CHECK(monotone(&res));
        obj[t] = res.objective;
        vem_fit_result_clear(&res);
    }
    CHECK(obj[0] == obj[1]);
    CHECK(memcmp(vem_vbgmm_means(v[0]), vem_vbgmm_means(v[1]), 3 * d * sizeof(double)) == 0);
    CHECK(vem_vbgmm_effective_components(v[0]) == 3);
    /* Predictions: the three planted clusters are separated, labels agree with r % 3 up to names. */
    size_t *lab = malloc(n * sizeof *lab), agree = 0;
    CHECK(vem_vbgmm_predict(v[0], &xm, lab) == VEM_OK);
    for (size_t r = 3; r < n; r++)
        agree += lab[r] == lab[r % 3];
    CHECK(agree > (n - 3) * 99 / 100);
    double *pr = malloc(n * 3 * sizeof *pr);
    CHECK(vem_vbgmm_predict_proba(v[0], &xm, pr) == VEM_OK);
    double s = 0.0;
    for (size_t c = 0; c < 3; c++)
        s += pr[c];
    CHECK_REL(s, 1.0, 1e-12);
    free(pr);
    free(lab);
    vem_vbgmm_free(v[0]);
    vem_vbgmm_free(v[1]);
    free(x);
}

/*
 * Stochastic VI is the engine's stepwise mode: the update of the global factors is affine in
 * the ESS, so blending ESS, S = (1 - rho) S_a + rho S_b, then updating gives the blend of the
 * natural parameters (alpha, beta, beta m, W^-1 + beta m m^T, nu) of the two updates
 * (Hoffman et al. 2013, eq. 37).
 */
static void test_svi_identity(void)
{
    vem_matrix x = vem_table_matrix(&faithful);
    vem_vbgmm *v = vem_vbgmm_new(3, 2, VEM_COV_FULL);
    vem_fit_result res;
    CHECK(fit(v, &x, 5, 0.0, 1, 0, 4, &res) == VEM_EMAXITER); /* resolves the priors */
    CHECK(monotone(&res));
    vem_fit_result_clear(&res);
    vem_model m = vem_vbgmm_model(v);
    vem_data all = vem_data_rows(x), half = vem_data_rows(vem_matrix_view(x.data, 100, 2));
    size_t len = m.ops->ess_len(m.self);
    double *sa = calloc(len, sizeof *sa), *sb = calloc(len, sizeof *sb), *sm = calloc(len, sizeof *sm);
    double obj;
    vem_fit *f = vem_fit_new(&m, &all, NULL);
    CHECK(vem_fit_pass(f, &m, sa, &obj) == VEM_OK);
    vem_fit_free(f);
    f = vem_fit_new(&m, &half, NULL);
    CHECK(vem_fit_pass(f, &m, sb, &obj) == VEM_OK);
    vem_fit_free(f);
    const double rho = 0.3, scale = 272.0 / 100.0;
    for (size_t i = 0; i < len; i++) {
        sb[i] *= scale;
        sm[i] = (1 - rho) * sa[i] + rho * sb[i];
    }
    double nat[3][3][9]; /* [update a, b, blend][component][alpha beta bm1 bm2 q11 q12 q22 nu] */
    double *ess[3] = {sa, sb, sm};
    for (int u = 0; u < 3; u++) {
        CHECK(m.ops->mstep(m.self, ess[u]) == VEM_OK);
        for (int c = 0; c < 3; c++) {
            double b = vem_vbgmm_mean_precision(v)[c], nu = vem_vbgmm_dof(v)[c];
            const double *mu = vem_vbgmm_means(v) + c * 2, *cv = vem_vbgmm_covariances(v) + c * 4;
            double *p = nat[u][c];
            p[0] = vem_vbgmm_weight_concentration(v)[c];
            p[1] = b;
            p[2] = b * mu[0];
            p[3] = b * mu[1];
            p[4] = cv[0] * nu + b * mu[0] * mu[0];
            p[5] = cv[1] * nu + b * mu[0] * mu[1];
            p[6] = cv[3] * nu + b * mu[1] * mu[1];
            p[7] = nu;
        }
    }
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < 8; i++)
            CHECK_REL(nat[2][c][i], (1 - rho) * nat[0][c][i] + rho * nat[1][c][i], 1e-11);
    free(sa);
    free(sb);
    free(sm);
    vem_vbgmm_free(v);

    /* ess_objective (for incremental VB): sum_nk r ln rho; with K = 1, r = 1, it is the whole
     * data term. */
    v = vem_vbgmm_new(1, 2, VEM_COV_FULL);
    CHECK(fit(v, &x, 3, 0.0, 1, 0, 4, &res) == VEM_EMAXITER);
    CHECK(monotone(&res));
    vem_fit_result_clear(&res);
    m = vem_vbgmm_model(v);
    double e1[7] = {0}; /* k + k d + k d d */
    f = vem_fit_new(&m, &all, NULL);
    CHECK(vem_fit_pass(f, &m, e1, &obj) == VEM_OK);
    vem_fit_free(f);
    CHECK_REL(m.ops->ess_objective(m.self, e1), obj, 1e-12);
    vem_vbgmm_free(v);

    /* Incremental VB: the free energy is checked after every block; no violation. */
    for (int p = 0; p < 2; p++) {
        v = vem_vbgmm_new(10, 2, p ? VEM_COV_DIAG : VEM_COV_FULL);
        vem_vbgmm_set_weight_prior(v, p ? VEM_VB_DP : VEM_VB_DIRICHLET);
        vem_fit_opts o;
        vem_fit_opts_init(&o);
        o.algorithm = VEM_ALG_INCREMENTAL;
        o.n_blocks = 4;
        o.max_iter = 100;
        o.tol = 1e-8;
        vem_rng rng;
        vem_rng_seed(&rng, 3);
        CHECK(vem_vbgmm_fit(v, &x, &o, &rng, &res) == VEM_OK);
        CHECK(monotone(&res));
        vem_fit_result_clear(&res);
        vem_vbgmm_free(v);
    }
}

/* SVI through the engine's stepwise mode, in memory and streamed from a file: same bits. */
static void test_svi(void)
{
    const size_t n = 30000, d = 3;
    double *x = malloc(n * d * sizeof *x);
    vem_rng rng;
    vem_rng_seed(&rng, 12);
    const double mu[3][3] = {{0, 0, 0}, {6, 1, -2}, {-3, 7, 4}};
    for (size_t r = 0; r < n; r++)
        for (size_t j = 0; j < d; j++)
            x[r * d + j] = mu[r % 3][j] + (1.0 + 0.5 * (double)j) * vem_rng_normal(&rng);
    vem_matrix xm = vem_matrix_view(x, n, d);
    vem_vbgmm *batch = vem_vbgmm_new(3, d, VEM_COV_FULL), *svi = vem_vbgmm_new(3, d, VEM_COV_FULL);
    vem_fit_result rb, rs, rf;
    CHECK(fit(batch, &xm, 200, 1e-8, 1, 0, 5, &rb) == VEM_OK);
    CHECK(monotone(&rb));
    vem_fit_opts o;
    vem_fit_opts_init(&o);
    o.algorithm = VEM_ALG_STEPWISE;
    o.batch_size = 500;
    o.max_iter = 4;
    o.tol = 0;
    o.eval_passes = 1;
    vem_rng_seed(&rng, 5);
    vem_status st = vem_vbgmm_fit(svi, &xm, &o, &rng, &rs);
    CHECK(st == VEM_OK || st == VEM_EMAXITER);
    double eb, es;
    vem_vbgmm_elbo(batch, &xm, &eb);
    vem_vbgmm_elbo(svi, &xm, &es);
    CHECK(fabs(es - eb) < 1e-4 * fabs(eb));
    CHECK(vem_vbgmm_effective_components(svi) == 3);
    /* The same from a file, block by block. */
    char path[] = "/tmp/vem-test-svi-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0 && write(fd, x, n * d * sizeof *x) == (ssize_t)(n * d * sizeof *x));
    if (fd >= 0)
        close(fd);
    vem_source *src = vem_source_open_binary(path, d);
    CHECK(src != NULL);
    if (src) {
        vem_vbgmm *w = vem_vbgmm_new(3, d, VEM_COV_FULL);
        vem_rng_seed(&rng, 5);
        st = vem_vbgmm_fit_source(w, src, &o, &rng, &rf);
        CHECK(st == VEM_OK || st == VEM_EMAXITER);
        CHECK(rf.objective == rs.objective);
        CHECK(memcmp(vem_vbgmm_means(w), vem_vbgmm_means(svi), 3 * d * sizeof(double)) == 0);
        vem_fit_result_clear(&rf);
        vem_vbgmm_free(w);
        vem_source_close(src);
    }
    remove(path);
    vem_fit_result_clear(&rb);
    vem_fit_result_clear(&rs);
    vem_vbgmm_free(batch);
    vem_vbgmm_free(svi);
    free(x);
}

/* Draws from the predictive: their mean and covariance are the predictive mixture's. */
static void test_sample(void)
{
    vem_matrix x = vem_table_matrix(&faithful);
    for (int p = 0; p < 2; p++) {
        vem_vbgmm *v = vem_vbgmm_new(2, 2, p ? VEM_COV_DIAG : VEM_COV_FULL);
        vem_fit_result res;
        CHECK(fit(v, &x, 100, 1e-8, 1, 0, 1, &res) == VEM_OK);
        CHECK(monotone(&res));
        vem_fit_result_clear(&res);
        const size_t n = 200000;
        double *s = malloc(n * 2 * sizeof *s);
        size_t *lab = malloc(n * sizeof *lab);
        vem_rng rng;
        vem_rng_seed(&rng, 9);
        CHECK(vem_vbgmm_sample(v, n, &rng, s, lab) == VEM_OK);
        double mean[2] = {0, 0}, want[2] = {0, 0}, var[2] = {0, 0}, wvar[2] = {0, 0};
        for (size_t i = 0; i < n; i++)
            for (int j = 0; j < 2; j++)
                mean[j] += s[i * 2 + j] / (double)n;
        for (size_t i = 0; i < n; i++)
            for (int j = 0; j < 2; j++)
                var[j] += (s[i * 2 + j] - mean[j]) * (s[i * 2 + j] - mean[j]) / (double)n;
        const double *w = vem_vbgmm_weights(v), *m = vem_vbgmm_means(v);
        for (int c = 0; c < 2; c++)
            for (int j = 0; j < 2; j++)
                want[j] += w[c] * m[c * 2 + j];
        for (int c = 0; c < 2; c++) {
            double b = vem_vbgmm_mean_precision(v)[c], nu = vem_vbgmm_dof(v)[c];
            double dof = p ? nu : nu - 1.0;
            for (int j = 0; j < 2; j++) {
                double winv = vem_vbgmm_covariances(v)[c * (p ? 2 : 4) + (p ? j : 3 * j)] * nu;
                double tv = dof / (dof - 2) * (1 + b) / (dof * b) * winv;
                wvar[j] += w[c] * (tv + (m[c * 2 + j] - want[j]) * (m[c * 2 + j] - want[j]));
            }
        }
        for (int j = 0; j < 2; j++) {
            CHECK_ABS(mean[j], want[j], 5 * sqrt(wvar[j] / (double)n));
            CHECK_REL(var[j], wvar[j], 0.02);
        }
        free(s);
        free(lab);
        vem_vbgmm_free(v);
    }
}

static void test_save_load(void)
{
    vem_matrix x = vem_table_matrix(&faithful);
    for (int p = 0; p < 2; p++) {
        vem_vbgmm *v = vem_vbgmm_new(4, 2, p ? VEM_COV_DIAG : VEM_COV_FULL);
        vem_vbgmm_set_weight_prior(v, p ? VEM_VB_DP : VEM_VB_DIRICHLET);
        const char *names[2] = {"eruptions", "waiting"};
        vem_vbgmm_set_columns(v, names);
        vem_fit_result res;
        vem_status fst = fit(v, &x, 50, 1e-6, 1, 0, 4, &res);
        CHECK(fst == VEM_OK || fst == VEM_EMAXITER);
        CHECK(monotone(&res));
        char path[] = "/tmp/vem-test-vbgmm-XXXXXX";
        int fd = mkstemp(path);
        if (fd >= 0)
            close(fd);
        CHECK(vem_vbgmm_save(v, path, &res) == VEM_OK);
        vem_vbgmm *w = vem_vbgmm_load(path);
        CHECK(w != NULL);
        if (w) {
            double a[10], b[10], ea, eb;
            vem_matrix x10 = vem_matrix_view(x.data, 10, 2);
            vem_vbgmm_score_samples(v, &x10, a);
            vem_vbgmm_score_samples(w, &x10, b);
            for (int i = 0; i < 10; i++)
                CHECK_REL(b[i], a[i], 1e-13);
            vem_vbgmm_elbo(v, &x, &ea);
            vem_vbgmm_elbo(w, &x, &eb);
            CHECK_REL(eb, ea, 1e-12);
            CHECK(vem_vbgmm_weight_prior(w) == vem_vbgmm_weight_prior(v));
            CHECK(strcmp(vem_vbgmm_columns(w)[1], "waiting") == 0);
            /* Warm start from the loaded model continues monotonically. */
            vem_fit_opts o;
            vem_fit_opts_init(&o);
            o.warm_start = 1;
            vem_fit_result r2;
            CHECK(vem_vbgmm_fit(w, &x, &o, NULL, &r2) == VEM_OK);
            CHECK(monotone(&r2));
            CHECK(r2.trace[0].objective >= eb - 1e-9 * fabs(eb));
            vem_fit_result_clear(&r2);
        }
        vem_vbgmm_free(w);
        FILE *fp = fopen(path, "w");
        fputs("{\"format\": \"vem-model\", \"version\": 1, \"model\": \"vbgmm\", "
              "\"covariance_type\": \"tied\"}",
              fp);
        fclose(fp);
        CHECK(vem_vbgmm_load(path) == NULL);
        CHECK(strstr(vem_errmsg(), "covariance_type") != NULL);
        remove(path);
        vem_fit_result_clear(&res);
        vem_vbgmm_free(v);
    }
}

static void test_errors(void)
{
    vem_matrix x = vem_table_matrix(&faithful);
    CHECK(vem_vbgmm_new(0, 2, VEM_COV_FULL) == NULL);
    CHECK(vem_vbgmm_new(2, 2, VEM_COV_TIED) == NULL);
    CHECK(strstr(vem_errmsg(), "tied") != NULL);
    vem_vbgmm *v = vem_vbgmm_new(2, 2, VEM_COV_FULL);
    CHECK(vem_vbgmm_set_weight_concentration_prior(v, 0.0) == VEM_EINVAL);
    CHECK(vem_vbgmm_set_mean_precision_prior(v, -1.0) == VEM_EINVAL);
    CHECK(vem_vbgmm_set_dof_prior(v, 0.5) == VEM_EINVAL);
    CHECK(vem_vbgmm_set_reg_covar(v, -1e-3) == VEM_EINVAL);
    CHECK(vem_vbgmm_set_init(v, VEM_INIT_MEANS) == VEM_EINVAL);
    const double bad[4] = {1.0, 2.0, 2.0, 1.0}, asym[4] = {1.0, 0.5, 0.4, 1.0};
    CHECK(vem_vbgmm_set_covariance_prior(v, bad) == VEM_ENUMERIC);
    CHECK(vem_vbgmm_set_covariance_prior(v, asym) == VEM_EINVAL);
    const double nanm[2] = {NAN, 1.0};
    CHECK(vem_vbgmm_set_mean_prior(v, nanm) == VEM_EINVAL);
    CHECK(vem_vbgmm_elbo(v, &x, &(double){0}) == VEM_EINVAL); /* priors unresolved */
    CHECK(vem_vbgmm_save(v, "/tmp/never-written.json", NULL) == VEM_EINVAL);
    vem_matrix x1 = vem_matrix_view(faithful.data, 1, 2);
    CHECK(fit(v, &x1, 10, 1e-3, 1, 0, 1, NULL) == VEM_EINVAL);
    vem_matrix x3 = vem_matrix_view(faithful.data, 90, 3);
    CHECK(fit(v, &x3, 10, 1e-3, 1, 0, 1, NULL) == VEM_EINVAL);
    /* A constant column makes the default covariance prior singular. */
    double *xc = malloc(faithful.rows * 2 * sizeof *xc);
    for (size_t r = 0; r < faithful.rows; r++) {
        xc[r * 2] = faithful.data[r * 2];
        xc[r * 2 + 1] = 4.0;
    }
    vem_matrix xm = vem_matrix_view(xc, faithful.rows, 2);
    CHECK(vem_vbgmm_set_reg_covar(v, 0.0) == VEM_OK);
    CHECK(fit(v, &xm, 10, 1e-3, 1, 0, 1, NULL) == VEM_ENUMERIC);
    CHECK(strstr(vem_errmsg(), "singular") != NULL);
    /* With reg_covar (default 1e-6) on its diagonal it is not: the constant column's
     * prior variance is reg_covar, the other the column's variance, and the fit runs. */
    CHECK(vem_vbgmm_set_reg_covar(v, 1e-6) == VEM_OK);
    CHECK(vem_vbgmm_set_covariance_prior(v, NULL) == VEM_OK);
    CHECK(fit(v, &xm, 100, 1e-3, 1, 0, 1, NULL) == VEM_OK);
    const double *c0 = vem_vbgmm_covariance_prior(v);
    CHECK(c0 != NULL);
    if (c0) {
        CHECK_REL(c0[3], 1e-6, 1e-9);
        CHECK(c0[1] == 0.0 && c0[2] == 0.0);
        CHECK_REL(c0[0], 1.3027283328494683 + 1e-6, 1e-12); /* np.var(ddof=1) + reg */
    }
    free(xc);
    CHECK(vem_vbgmm_load("/nonexistent/model.json") == NULL);
    vem_vbgmm_free(v);
    vem_vbgmm_free(NULL);
    vem_vb_weight_prior wp;
    CHECK(vem_vb_weight_prior_parse("pitman-yor", &wp) == VEM_EINVAL);
    CHECK(vem_vb_weight_prior_parse("dp", &wp) == VEM_OK && wp == VEM_VB_DP);
}

int main(void)
{
    vem_csv_opts co;
    vem_csv_opts_init(&co);
    if (vem_csv_read(VEM_EXAMPLE_DATA "/faithful.csv", &co, &faithful) != VEM_OK) {
        CHECK(!"faithful.csv readable");
        return check_report("vbgmm");
    }
    test_k1_evidence();
    test_oracle();
    test_faithful_k10();
    test_threads();
    test_svi_identity();
    test_svi();
    test_sample();
    test_save_load();
    test_errors();
    vem_table_clear(&faithful);
    return check_report("vbgmm");
}
