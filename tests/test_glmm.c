/*
 * tests/test_glmm.c — random-intercept GLMMs (include/vem/glmm.h, docs/glmm.md): the
 * Gauss-Hermite rule, exact EM (AGQ) against lme4's glmer (tests/golden/glmm_lme4.txt),
 * the AGQ log-likelihood against a brute-force quadrature, Louis' standard errors against
 * the numerical Hessian of the log-likelihood, the boundary sigma2 = 0, Monte-Carlo EM
 * against the exact MLE and its thread independence, planted parameters recovered on
 * large simulated sets (binomial and Poisson), predictions and errors; a fit from a source
 * of groups against the same rows in memory (the same bits), and distributed fits (threads
 * standing for processes: comm_threads.h) against one process.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vem/vem.h>

#include "check.h"
#include "comm_threads.h"

#define GOLDEN VEM_GOLDEN "/glmm_lme4.txt"
#define PI 3.14159265358979323846

typedef struct set {
    size_t n;
    double *x, *y, *g;
} set;

static void set_free(set *s)
{
    free(s->x);
    free(s->y);
    free(s->g);
}

/* examples/data/glmm_NAME.csv: group,x,y. */
static set read_set(const char *name)
{
    set s = {0, NULL, NULL, NULL};
    char path[512];
    snprintf(path, sizeof path, "%s/glmm_%s.csv", VEM_EXAMPLE_DATA, name);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(1);
    }
    size_t cap = 1024;
    s.x = malloc(cap * sizeof *s.x);
    s.y = malloc(cap * sizeof *s.y);
    s.g = malloc(cap * sizeof *s.g);
    char line[256];
    if (!fgets(line, sizeof line, f))
        exit(1);
    double a, b, c;
    while (fscanf(f, "%lf,%lf,%lf", &a, &b, &c) == 3) {
        if (s.n == cap) {
            cap *= 2;
            s.x = realloc(s.x, cap * sizeof *s.x);
            s.y = realloc(s.y, cap * sizeof *s.y);
            s.g = realloc(s.g, cap * sizeof *s.g);
        }
        s.g[s.n] = a;
        s.x[s.n] = b;
        s.y[s.n++] = c;
    }
    fclose(f);
    return s;
}

static vem_glmm *fit_set(const set *s, int intercept, const vem_fit_opts *o, vem_status *st,
                         vem_fit_result *res)
{
    vem_glmm *g = vem_glmm_new(1);
    CHECK(g != NULL);
    CHECK(vem_glmm_set_intercept(g, intercept) == VEM_OK);
    vem_matrix x = vem_matrix_view(s->x, s->n, 1);
    *st = vem_glmm_fit(g, &x, s->y, s->g, o, res);
    return g;
}

/* The rule integrates polynomials of degree < 2n exactly. */
static void test_hermite(void)
{
    vem_glmm *g = vem_glmm_new(1);
    const size_t ns[] = {1, 2, 5, 25, 100};
    for (size_t t = 0; t < 5; t++) {
        CHECK(vem_glmm_set_nodes(g, ns[t]) == VEM_OK);
        const double *z = vem_glmm_hermite_nodes(g), *w = vem_glmm_hermite_weights(g);
        double m0 = 0, m2 = 0, m4 = 0, m1 = 0;
        for (size_t k = 0; k < ns[t]; k++) {
            m0 += w[k];
            m1 += w[k] * z[k];
            m2 += w[k] * z[k] * z[k];
            m4 += w[k] * pow(z[k], 4);
            if (k)
                CHECK(z[k] > z[k - 1]);
        }
        CHECK_REL(m0, sqrt(PI), 1e-13);
        CHECK_ABS(m1, 0.0, 1e-13);
        if (ns[t] >= 2)
            CHECK_REL(m2, sqrt(PI) / 2, 1e-13);
        if (ns[t] >= 3)
            CHECK_REL(m4, 3 * sqrt(PI) / 4, 1e-12);
    }
    /* the 2-point rule is +- 1/sqrt(2); the largest node of the 20-point rule (Abramowitz
     * & Stegun, table 25.10) */
    CHECK(vem_glmm_set_nodes(g, 2) == VEM_OK);
    CHECK_REL(vem_glmm_hermite_nodes(g)[1], sqrt(0.5), 1e-15);
    CHECK(vem_glmm_set_nodes(g, 20) == VEM_OK);
    CHECK_REL(vem_glmm_hermite_nodes(g)[19], 5.387480890011233, 1e-13);
    CHECK(vem_glmm_set_nodes(g, 0) == VEM_EINVAL);
    CHECK(vem_glmm_set_nodes(g, 201) == VEM_EINVAL);
    vem_glmm_free(g);
}

/* log p(y_i) by the trapezoid rule on 20001 points over +- 12 posterior sds about the
 * AGQ's posterior mean: the brute-force reference. */
static double brute_loglik(const vem_glmm *g, const set *s)
{
    const double b = vem_glmm_beta(g)[0], s2 = vem_glmm_sigma2(g);
    const double *lab, *um, *usd;
    size_t ng = vem_glmm_groups(g, &lab, &um, &usd);
    double total = 0;
    size_t r = 0;
    for (size_t i = 0; i < ng; i++) {
        size_t r1 = r;
        while (r1 < s->n && s->g[r1] == lab[i])
            r1++;
        const double lo = um[i] - 12 * usd[i], h = 24 * usd[i] / 20000;
        double acc = 0, ref = -INFINITY;
        double *f = malloc(20001 * sizeof *f);
        for (int k = 0; k <= 20000; k++) {
            double u = lo + h * k, v = -0.5 * u * u / s2 - 0.5 * log(2 * PI * s2);
            for (size_t j = r; j < r1; j++) {
                double a = b * s->x[j] + u;
                v += s->y[j] * a - (a > 0 ? a + log1p(exp(-a)) : log1p(exp(a)));
            }
            f[k] = v;
            if (v > ref)
                ref = v;
        }
        for (int k = 0; k <= 20000; k++)
            acc += (k == 0 || k == 20000 ? 0.5 : 1.0) * exp(f[k] - ref);
        free(f);
        total += ref + log(acc * h);
        r = r1;
    }
    return total;
}

/* Exact EM (AGQ, 25 nodes) reaches lme4's nAGQ = 25 MLE. */
static void test_lme4(void)
{
    set s = read_set("mcculloch");
    double want[3], wse[1];
    CHECK(check_golden_line(GOLDEN, "mcculloch_agq25", want, 3) == 3);
    CHECK(check_golden_line(GOLDEN, "mcculloch_agq25_se", wse, 1) == 1);
    vem_status st;
    vem_fit_result res;
    vem_glmm *g = fit_set(&s, 0, NULL, &st, &res);
    CHECK(st == VEM_OK);
    CHECK(res.converged == 1);
    CHECK(res.n_violations == 0);
    CHECK(!vem_glmm_at_boundary(g));
    CHECK_ABS(vem_glmm_beta(g)[0], want[0], 1e-4);
    CHECK_ABS(vem_glmm_sigma2(g), want[1], 1e-4);
    CHECK_ABS(res.objective, want[2], 1e-4);
    printf("lme4 beta %.8f sigma2 %.8f loglik %.8f\nvem  beta %.8f sigma2 %.8f loglik %.8f "
           "(%zu iterations)\n",
           want[0], want[1], want[2], vem_glmm_beta(g)[0], vem_glmm_sigma2(g), res.objective,
           res.n_iter);
    /* the AGQ log-likelihood against brute force, total and by groups */
    vem_matrix x = vem_matrix_view(s.x, s.n, 1);
    double total, per[50];
    size_t ng;
    CHECK(vem_glmm_score(g, &x, s.y, s.g, &total, per, &ng) == VEM_OK);
    CHECK(ng == 50);
    CHECK_ABS(total, res.objective, 1e-9);
    double bf = brute_loglik(g, &s);
    CHECK_ABS(total, bf, 1e-8);
    printf("AGQ log-likelihood %.12f, brute force %.12f\n", total, bf);
    /* Louis' standard errors against the numerical Hessian of the AGQ log-likelihood */
    const double *se = vem_glmm_stderr(g);
    CHECK(se != NULL);
    double th[2] = {vem_glmm_beta(g)[0], vem_glmm_sigma2(g)}, H[2][2];
    const double h[2] = {1e-3, 1e-3};
    vem_glmm *t = vem_glmm_new(1);
    vem_glmm_set_intercept(t, 0);
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 2; b++) {
            double f[4];
            for (int q = 0; q < 4; q++) {
                double p[2] = {th[0], th[1]};
                p[a] += (q & 1 ? -1 : 1) * h[a];
                p[b] += (q & 2 ? -1 : 1) * h[b];
                vem_glmm_params_set(t, p);
                vem_glmm_score(t, &x, s.y, s.g, &f[q], NULL, NULL);
            }
            H[a][b] = (f[0] - f[1] - f[2] + f[3]) / (4 * h[a] * h[b]);
        }
    double det = H[0][0] * H[1][1] - H[0][1] * H[1][0];
    double se_b = sqrt(-H[1][1] / det), se_s = sqrt(-H[0][0] / det);
    CHECK_REL(se[0], se_b, 1e-4);
    CHECK_REL(se[1], se_s, 1e-4);
    CHECK_REL(se[0], wse[0], 2e-2); /* lme4's vcov: its own Hessian approximation */
    printf("SE beta: Louis %.8f numerical %.8f lme4 %.8f; SE sigma2: Louis %.8f numerical "
           "%.8f\n", se[0], se_b, wse[0], se[1], se_s);
    double se2[2], cov[4];
    CHECK(vem_glmm_louis(g, &x, s.y, s.g, se2, cov) == VEM_OK);
    CHECK(se2[0] == se[0] && se2[1] == se[1]);
    CHECK_REL(cov[0], se[0] * se[0], 1e-12);
    /* the Laplace approximation (1 node) at lme4's Laplace estimate is lme4's Laplace
     * log-likelihood */
    double lap[3];
    CHECK(check_golden_line(GOLDEN, "mcculloch_laplace", lap, 3) == 3);
    CHECK(vem_glmm_set_nodes(t, 1) == VEM_OK);
    CHECK(vem_glmm_set_params(t, lap, lap[1]) == VEM_OK);
    CHECK(vem_glmm_score(t, &x, s.y, s.g, &total, NULL, NULL) == VEM_OK);
    CHECK_ABS(total, lap[2], 1e-5);
    vem_glmm_free(t);
    vem_fit_result_clear(&res);
    vem_glmm_free(g);
    /* SQUAREM: the same MLE in fewer passes */
    vem_fit_opts o;
    vem_fit_opts_init(&o);
    o.tol_rule = VEM_TOL_PARAMS;
    o.tol = 1e-9;
    o.max_iter = 5000;
    o.accelerate = VEM_ACCEL_SQUAREM;
    vem_status st2;
    g = fit_set(&s, 0, &o, &st2, &res);
    CHECK(st2 == VEM_OK);
    CHECK_ABS(vem_glmm_beta(g)[0], want[0], 1e-4);
    CHECK_ABS(vem_glmm_sigma2(g), want[1], 1e-4);
    CHECK_ABS(res.objective, want[2], 1e-4);
    CHECK(res.n_violations == 0);
    vem_fit_result_clear(&res);
    vem_glmm_free(g);
    set_free(&s);
}

/* Poisson with an intercept: lme4's glmer(y ~ x + (1 | group), family = poisson,
 * nAGQ = 25), whose log-likelihood is relative to the saturated model (the golden file
 * adds it back). */
static void test_lme4_poisson(void)
{
    set s = read_set("poisson");
    double want[4], wse[2], ll;
    CHECK(check_golden_line(GOLDEN, "poisson_agq25", want, 4) == 4);
    CHECK(check_golden_line(GOLDEN, "poisson_agq25_se", wse, 2) == 2);
    CHECK(check_golden_line(GOLDEN, "poisson_agq25_full_loglik", &ll, 1) == 1);
    vem_glmm *g = vem_glmm_new(1);
    CHECK(vem_glmm_set_family(g, VEM_GLMM_POISSON) == VEM_OK);
    vem_matrix x = vem_matrix_view(s.x, s.n, 1);
    vem_fit_result res;
    CHECK(vem_glmm_fit(g, &x, s.y, s.g, NULL, &res) == VEM_OK);
    const double *b = vem_glmm_beta(g), *se = vem_glmm_stderr(g);
    CHECK_ABS(b[0], want[0], 1e-4);
    CHECK_ABS(b[1], want[1], 1e-4);
    CHECK_ABS(vem_glmm_sigma2(g), want[2], 1e-4);
    CHECK_ABS(res.objective, ll, 1e-4);
    CHECK_REL(se[0], wse[0], 1e-2);
    CHECK_REL(se[1], wse[1], 1e-2);
    printf("poisson: lme4 (%.8f %.8f, %.8f) %.8f; vem (%.8f %.8f, %.8f) %.8f\n", want[0], want[1],
           want[2], ll, b[0], b[1], vem_glmm_sigma2(g), res.objective);
    vem_fit_result_clear(&res);
    vem_glmm_free(g);
    set_free(&s);
}

/* 10 groups whose MLE of sigma2 is 0: flagged, never "converged". */
static void test_boundary(void)
{
    set s = read_set("boundary");
    double want[3];
    CHECK(check_golden_line(GOLDEN, "boundary_agq25", want, 3) == 3);
    CHECK(want[1] < 1e-10);
    vem_status st;
    vem_fit_result res;
    vem_glmm *g = fit_set(&s, 0, NULL, &st, &res);
    CHECK(st == VEM_EMAXITER);
    CHECK(res.converged == 0);
    CHECK(vem_glmm_at_boundary(g) == 1);
    CHECK(vem_glmm_sigma2(g) < 1e-2);
    /* EM creeps to sigma2 = 0 sublinearly: after 5000 iterations sigma2 is about 0.003 and
     * the log-likelihood 1e-3 below its supremum, lme4's singular fit */
    CHECK_ABS(vem_glmm_beta(g)[0], want[0], 0.01);
    CHECK_ABS(res.objective, want[2], 2e-3);
    CHECK(res.objective <= want[2] + 1e-9);
    printf("boundary: lme4 beta %.6f sigma2 0 loglik %.8f; vem beta %.6f sigma2 %.3g loglik "
           "%.8f after %zu iterations\n",
           want[0], want[2], vem_glmm_beta(g)[0], vem_glmm_sigma2(g), res.objective, res.n_iter);
    /* an objective rule would have stopped early: still flagged */
    vem_fit_opts o;
    vem_fit_opts_init(&o);
    o.tol_rule = VEM_TOL_TOTAL;
    o.tol = 1e-6;
    o.max_iter = 5000;
    vem_fit_result_clear(&res);
    vem_glmm_free(g);
    g = fit_set(&s, 0, &o, &st, &res);
    CHECK(st == VEM_EMAXITER);
    CHECK(res.converged == 0);
    CHECK(vem_glmm_at_boundary(g) == 1);
    vem_fit_result_clear(&res);
    vem_glmm_free(g);
    /* SQUAREM (the engine's acceleration) runs down to sigma2 < 1e-6, where the parameter
     * rule would stop: lme4's singular fit to 1e-4, and still never "converged" */
    vem_fit_opts_init(&o);
    o.tol_rule = VEM_TOL_PARAMS;
    o.tol = 1e-9;
    o.max_iter = 5000;
    o.accelerate = VEM_ACCEL_SQUAREM;
    g = fit_set(&s, 0, &o, &st, &res);
    CHECK(st == VEM_EMAXITER);
    CHECK(res.converged == 0);
    CHECK(vem_glmm_at_boundary(g) == 1);
    CHECK(vem_glmm_sigma2(g) < 1e-5);
    CHECK_ABS(vem_glmm_beta(g)[0], want[0], 1e-4);
    CHECK_ABS(res.objective, want[2], 1e-4);
    CHECK(res.n_violations == 0);
    printf("boundary, SQUAREM: beta %.8f sigma2 %.3g loglik %.8f after %zu cycles\n",
           vem_glmm_beta(g)[0], vem_glmm_sigma2(g), res.objective, res.n_iter);
    vem_fit_result_clear(&res);
    vem_glmm_free(g);
    set_free(&s);
}

static vem_glmm *fit_mc(const set *s, vem_algorithm alg, size_t m, vem_mc_schedule sch,
                        size_t iters, size_t avg, int threads, vem_fit_result *res,
                        vem_status *st)
{
    vem_fit_opts o;
    vem_fit_opts_init(&o);
    o.algorithm = alg;
    o.mc_samples = m;
    o.mc_schedule = sch;
    o.max_iter = iters;
    o.mc_average_from = avg;
    o.nthreads = threads;
    if (sch == VEM_MC_AUTO) {
        o.tol_rule = VEM_TOL_PARAMS;
        o.tol = 1e-3;
    } else {
        o.tol = 0;
    }
    vem_glmm *g = vem_glmm_new(1);
    vem_glmm_set_intercept(g, 0);
    vem_glmm_set_seed(g, 7);
    vem_matrix x = vem_matrix_view(s->x, s->n, 1);
    *st = vem_glmm_fit(g, &x, s->y, s->g, &o, res);
    return g;
}

/* MCEM within 0.01 of the exact MLE; the same bits for 1 and 3 threads. */
static void test_mcem(void)
{
    set s = read_set("mcculloch");
    double want[3];
    CHECK(check_golden_line(GOLDEN, "mcculloch_agq25", want, 3) == 3);
    vem_fit_result res;
    vem_status st;
    vem_glmm *g = fit_mc(&s, VEM_ALG_MCEM, 100, VEM_MC_AUTO, 200, 0, 1, &res, &st);
    CHECK(st == VEM_OK);
    CHECK_ABS(vem_glmm_beta(g)[0], want[0], 0.01);
    CHECK_ABS(vem_glmm_sigma2(g), want[1], 0.01);
    printf("MCEM auto: beta %.5f (%+.5f) sigma2 %.5f (%+.5f), %zu iterations, last m %zu\n",
           vem_glmm_beta(g)[0], vem_glmm_beta(g)[0] - want[0], vem_glmm_sigma2(g),
           vem_glmm_sigma2(g) - want[1], res.n_iter, res.mc_samples);
    vem_fit_result_clear(&res);
    vem_glmm_free(g);
    /* fixed m, averaged over the last 20 of 40 iterations */
    g = fit_mc(&s, VEM_ALG_MCEM, 2000, VEM_MC_FIXED, 40, 21, 2, &res, &st);
    CHECK(st == VEM_EMAXITER);
    CHECK_ABS(vem_glmm_beta(g)[0], want[0], 0.01);
    CHECK_ABS(vem_glmm_sigma2(g), want[1], 0.01);
    printf("MCEM m=2000 averaged: beta %.5f (%+.5f) sigma2 %.5f (%+.5f)\n", vem_glmm_beta(g)[0],
           vem_glmm_beta(g)[0] - want[0], vem_glmm_sigma2(g), vem_glmm_sigma2(g) - want[1]);
    /* the trace's objective is the exact (AGQ) log-likelihood of each iterate */
    CHECK(res.trace_len == 40);
    CHECK(res.trace[39].objective < want[2] + 1e-9);
    CHECK_ABS(res.trace[39].objective, want[2], 1e-2);
    vem_fit_result_clear(&res);
    vem_glmm_free(g);
    /* the same bits for 1 and 3 threads (the automatic schedule: its m and its groups) */
    double p1[2], p3[2];
    g = fit_mc(&s, VEM_ALG_MCEM, 50, VEM_MC_AUTO, 8, 0, 1, &res, &st);
    vem_glmm_params_get(g, p1);
    const double o1 = res.objective;
    vem_fit_result_clear(&res);
    vem_glmm_free(g);
    g = fit_mc(&s, VEM_ALG_MCEM, 50, VEM_MC_AUTO, 8, 0, 3, &res, &st);
    vem_glmm_params_get(g, p3);
    CHECK(memcmp(p1, p3, sizeof p1) == 0);
    CHECK(memcmp(&o1, &res.objective, sizeof o1) == 0);
    vem_fit_result_clear(&res);
    vem_glmm_free(g);
    /* SEM: a chain about the MLE, averaged over its second half */
    g = fit_mc(&s, VEM_ALG_SEM, 1, VEM_MC_FIXED, 400, 201, 2, &res, &st);
    CHECK(st == VEM_EMAXITER);
    CHECK_ABS(vem_glmm_beta(g)[0], want[0], 0.3);
    CHECK_ABS(vem_glmm_sigma2(g), want[1], 0.3);
    vem_fit_result_clear(&res);
    vem_glmm_free(g);
    /* CEM (the modes) runs and never lowers its objective */
    g = fit_mc(&s, VEM_ALG_CEM, 0, VEM_MC_FIXED, 30, 0, 1, &res, &st);
    CHECK(st == VEM_EMAXITER || st == VEM_OK);
    CHECK(res.n_violations == 0);
    vem_fit_result_clear(&res);
    vem_glmm_free(g);
    set_free(&s);
}

/* A large simulated set: the planted parameters within 4 standard errors (Louis'). */
static void planted(vem_glmm_family fam, const double *beta, double sigma2, size_t groups,
                    size_t per)
{
    const size_t n = groups * per;
    double *x = malloc(2 * n * sizeof *x), *y = malloc(n * sizeof *y), *gl = malloc(n * sizeof *gl);
    vem_rng r;
    vem_rng_seed(&r, 11 + (uint64_t)fam);
    for (size_t i = 0; i < groups; i++) {
        double u = sqrt(sigma2) * vem_rng_normal(&r);
        for (size_t j = 0; j < per; j++) {
            size_t k = i * per + j;
            x[2 * k] = vem_rng_normal(&r);
            x[2 * k + 1] = vem_rng_uniform(&r) < 0.5;
            double eta = beta[0] + beta[1] * x[2 * k] + beta[2] * x[2 * k + 1] + u;
            if (fam == VEM_GLMM_BINOMIAL) {
                y[k] = vem_rng_uniform(&r) < 1 / (1 + exp(-eta));
            } else { /* Poisson by inversion */
                double mu = exp(eta), p = exp(-mu), c = p, v = vem_rng_uniform(&r);
                double cnt = 0;
                while (v > c && cnt < 1000) {
                    cnt++;
                    p *= mu / cnt;
                    c += p;
                }
                y[k] = cnt;
            }
            gl[k] = (double)(1000 + i);
        }
    }
    vem_glmm *g = vem_glmm_new(2);
    CHECK(vem_glmm_set_family(g, fam) == VEM_OK);
    vem_matrix xm = vem_matrix_view(x, n, 2);
    vem_fit_result res;
    vem_status st = vem_glmm_fit(g, &xm, y, gl, NULL, &res);
    CHECK(st == VEM_OK);
    CHECK(res.n_violations == 0); /* the Newton (GEM) steps never lowered it */
    const double *b = vem_glmm_beta(g), *se = vem_glmm_stderr(g);
    for (int j = 0; j < 3; j++) {
        CHECK(fabs(b[j] - beta[j]) < 4 * se[j]);
        CHECK(se[j] > 0 && se[j] < 0.1);
    }
    CHECK(fabs(vem_glmm_sigma2(g) - sigma2) < 4 * se[3]);
    printf("%s planted (%g %g %g, %g): (%.4f %.4f %.4f, %.4f) se (%.4f %.4f %.4f, %.4f), %zu "
           "iterations\n", vem_glmm_family_name(fam), beta[0], beta[1], beta[2], sigma2, b[0],
           b[1], b[2], vem_glmm_sigma2(g), se[0], se[1], se[2], se[3], res.n_iter);
    /* predictions: the Poisson marginal mean in closed form against the binomial's
     * quadrature, the conditional mean at the group's posterior mean */
    double marg[2], cond[2], gg[2] = {1000, -5};
    vem_matrix x2 = vem_matrix_view(x, 2, 2);
    CHECK(vem_glmm_predict(g, &x2, gg, marg, cond) == VEM_OK);
    const double *lab, *um;
    CHECK(vem_glmm_groups(g, &lab, &um, NULL) == groups);
    CHECK(lab[0] == 1000);
    double eta0 = b[0] + b[1] * x[0] + b[2] * x[1], eta1 = b[0] + b[1] * x[2] + b[2] * x[3];
    if (fam == VEM_GLMM_POISSON) {
        CHECK_REL(marg[0], exp(eta0 + vem_glmm_sigma2(g) / 2), 1e-14);
        CHECK_REL(cond[0], exp(eta0 + um[0]), 1e-14);
        CHECK_REL(cond[1], exp(eta1), 1e-14); /* an unseen group: u = 0 */
    } else {
        CHECK_REL(cond[0], 1 / (1 + exp(-eta0 - um[0])), 1e-14);
        CHECK(marg[0] > 0 && marg[0] < 1);
        /* the marginal mean is flatter than the conditional at u = 0 */
        CHECK(fabs(marg[1] - 0.5) < fabs(cond[1] - 0.5));
    }
    vem_fit_result_clear(&res);
    vem_glmm_free(g);
    free(x);
    free(y);
    free(gl);
}

static void test_errors(void)
{
    vem_glmm *g = vem_glmm_new(1);
    double x[4] = {1, 2, 3, 4}, y[4] = {0, 1, 1, 0}, gr[4] = {1, 2, 1, 2};
    vem_matrix xm = vem_matrix_view(x, 4, 1);
    CHECK(vem_glmm_fit(g, &xm, y, gr, NULL, NULL) == VEM_EINVAL); /* not contiguous */
    double gr2[4] = {1, 1, 2, 2}, y2[4] = {0, 2, 1, 0};
    CHECK(vem_glmm_fit(g, &xm, y2, gr2, NULL, NULL) == VEM_EINVAL); /* not 0/1 */
    CHECK(vem_glmm_set_family(g, VEM_GLMM_POISSON) == VEM_OK);
    double y3[4] = {0, 1.5, 1, 0};
    CHECK(vem_glmm_fit(g, &xm, y3, gr2, NULL, NULL) == VEM_EINVAL);
    double gr3[4] = {1, 1, 1, 1};
    CHECK(vem_glmm_fit(g, &xm, y2, gr3, NULL, NULL) == VEM_EINVAL); /* one group */
    vem_fit_opts o;
    vem_fit_opts_init(&o);
    o.algorithm = VEM_ALG_STEPWISE;
    CHECK(vem_glmm_fit(g, &xm, y2, gr2, &o, NULL) == VEM_EUNSUP);
    vem_glmm_family f;
    CHECK(vem_glmm_family_parse("gamma", &f) == VEM_EINVAL);
    CHECK(vem_glmm_family_parse("poisson", &f) == VEM_OK && f == VEM_GLMM_POISSON);
    vem_glmm *g0 = vem_glmm_new(0);
    CHECK(vem_glmm_set_intercept(g0, 0) == VEM_EINVAL);
    vem_glmm_free(g0);
    double bad[3] = {0, 0, -1}; /* (intercept, x, sigma2) */
    CHECK(vem_glmm_params_set(g, bad) == VEM_EINVAL);
    vem_glmm_free(g);
}


/* ------------------------------------------------------- sources and processes */

/* What one fit leaves: the parameters, the objective, the standard errors, the groups. */
typedef struct outcome {
    vem_status st;
    double params[2], objective, se[2];
    size_t n_groups;
    double labels[64], u_mean[64];
    char msg[256];
} outcome;

static void outcome_of(const vem_glmm *g, vem_status st, const vem_fit_result *res,
                       outcome *out)
{
    memset(out, 0, sizeof *out);
    out->st = st;
    snprintf(out->msg, sizeof out->msg, "%s", st == VEM_OK || st == VEM_EMAXITER ? ""
                                                                                 : vem_errmsg());
    if (st != VEM_OK && st != VEM_EMAXITER)
        return;
    vem_glmm_params_get(g, out->params);
    out->objective = res->objective;
    memcpy(out->se, vem_glmm_stderr(g), sizeof out->se);
    const double *lab, *um;
    out->n_groups = vem_glmm_groups(g, &lab, &um, NULL);
    for (size_t i = 0; i < out->n_groups && i < 64; i++) {
        out->labels[i] = lab[i];
        out->u_mean[i] = um[i];
    }
}

/* Batch EM (the defaults) or MCEM (50 draws, 5 iterations), one thread, no intercept. */
static vem_fit_opts glmm_opts(vem_algorithm alg)
{
    vem_fit_opts o;
    vem_fit_opts_init(&o);
    o.nthreads = 1;
    o.tol_rule = VEM_TOL_PARAMS;
    o.tol = 1e-9;
    o.max_iter = 5000;
    if (alg == VEM_ALG_MCEM) {
        o.algorithm = alg;
        o.mc_samples = 50;
        o.mc_schedule = VEM_MC_FIXED;
        o.max_iter = 5;
        o.tol = 0;
    }
    return o;
}

static vem_glmm *new_model(void)
{
    vem_glmm *g = vem_glmm_new(1);
    CHECK(g && vem_glmm_set_intercept(g, 0) == VEM_OK);
    vem_glmm_set_seed(g, 7);
    return g;
}

/* Rows [r0, r1) of s in memory. */
static void fit_rows(const set *s, size_t r0, size_t r1, const vem_fit_opts *o, outcome *out)
{
    vem_glmm *g = new_model();
    vem_matrix x = vem_matrix_view(s->x + r0, r1 - r0, 1);
    vem_fit_result res;
    vem_status st = vem_glmm_fit(g, &x, s->y + r0, s->g + r0, o, &res);
    outcome_of(g, st, &res, out);
    vem_fit_result_clear(&res);
    vem_glmm_free(g);
}

/* s as a raw float64 file of (x, y, group) rows into path (a mkstemp template). */
static int write_set(const set *s, char *path)
{
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    int ok = 1;
    for (size_t r = 0; r < s->n && ok; r++) {
        double row[3] = {s->x[r], s->y[r], s->g[r]};
        ok = write(fd, row, sizeof row) == (ssize_t)sizeof row;
    }
    close(fd);
    return ok ? 0 : -1;
}

/* Rows [r0, r1) of the file at path (s's rows) as a source of their groups. */
static vem_source *open_groups(const set *s, const char *path, size_t r0, size_t r1)
{
    vem_source *src = vem_source_open_binary(path, 3);
    size_t *start = malloc((r1 - r0 + 1) * sizeof *start), n = 0;
    for (size_t r = r0; r < r1; r++)
        if (r == r0 || s->g[r] != s->g[r - 1])
            start[n++] = r - r0;
    start[n] = r1 - r0;
    if (src && (vem_source_keep_rows(src, r0, r1) != VEM_OK ||
                vem_source_set_sequences(src, start, n) != VEM_OK)) {
        vem_source_close(src);
        src = NULL;
    }
    free(start);
    return src;
}

static void fit_source(const set *s, const char *path, size_t r0, size_t r1,
                       const vem_fit_opts *o, outcome *out)
{
    vem_glmm *g = new_model();
    vem_source *src = open_groups(s, path, r0, r1);
    CHECK(src != NULL);
    vem_fit_result res;
    vem_status st = vem_glmm_fit_source(g, src, o, &res);
    outcome_of(g, st, &res, out);
    vem_fit_result_clear(&res);
    vem_source_close(src);
    vem_glmm_free(g);
}

static int same_bits(const outcome *a, const outcome *b)
{
    return a->st == b->st && memcmp(a->params, b->params, sizeof a->params) == 0 &&
           memcmp(&a->objective, &b->objective, sizeof a->objective) == 0 &&
           memcmp(a->se, b->se, sizeof a->se) == 0 && a->n_groups == b->n_groups &&
           memcmp(a->labels, b->labels, sizeof a->labels) == 0 &&
           memcmp(a->u_mean, b->u_mean, sizeof a->u_mean) == 0;
}

/* Equal within rtol (relative): parameters, objective, standard errors, groups' effects. */
static int close_to(const outcome *a, const outcome *b, double rtol)
{
    int ok = a->st == b->st && a->n_groups == b->n_groups;
    const double *pa[] = {a->params, &a->objective, a->se, a->u_mean};
    const double *pb[] = {b->params, &b->objective, b->se, b->u_mean};
    const size_t len[] = {2, 1, 2, 64};
    for (size_t k = 0; k < 4; k++)
        for (size_t i = 0; i < len[k]; i++)
            ok &= fabs(pa[k][i] - pb[k][i]) <= rtol * fmax(fabs(pb[k][i]), 1e-300);
    return ok && memcmp(a->labels, b->labels, sizeof a->labels) == 0;
}

/* A fit from a source of groups: the bits of the same rows in memory (batch EM and MCEM);
 * the source's errors. The McCulloch set has an intercept-free design: p = 1. */
static void test_source(void)
{
    set s = read_set("mcculloch");
    char path[] = "/tmp/vem_glmm_source_XXXXXX";
    CHECK(write_set(&s, path) == 0);
    const vem_algorithm algs[2] = {VEM_ALG_BATCH, VEM_ALG_MCEM};
    for (int a = 0; a < 2; a++) {
        vem_fit_opts o = glmm_opts(algs[a]);
        outcome mem, str;
        fit_rows(&s, 0, s.n, &o, &mem);
        fit_source(&s, path, 0, s.n, &o, &str);
        CHECK(mem.st == (algs[a] == VEM_ALG_BATCH ? VEM_OK : VEM_EMAXITER));
        CHECK(mem.n_groups == 50 && mem.labels[49] == 50);
        CHECK(same_bits(&str, &mem));
        printf("%s: in memory beta %.17g sigma2 %.17g, from the source the same bits: %s\n",
               vem_algorithm_name(algs[a]), mem.params[0], mem.params[1],
               same_bits(&str, &mem) ? "yes" : "NO");
    }
    /* errors: not a source of groups, a response outside {0, 1} named by the file's row,
     * a label that changes within a group */
    vem_glmm *g = new_model();
    vem_source *src = vem_source_open_binary(path, 3);
    CHECK(vem_glmm_fit_source(g, src, NULL, NULL) == VEM_EINVAL);
    CHECK(strstr(vem_errmsg(), "a source of groups") != NULL);
    vem_source_close(src);
    src = vem_source_open_binary(path, 1);
    size_t one[2] = {0, vem_source_rows(src)};
    CHECK(vem_source_set_sequences(src, one, 1) == VEM_OK);
    CHECK(vem_glmm_fit_source(g, src, NULL, NULL) == VEM_EINVAL);
    CHECK(strstr(vem_errmsg(), "reads 3") != NULL);
    vem_source_close(src);
    double y16 = s.y[16];
    s.y[16] = 2.0;
    char path2[] = "/tmp/vem_glmm_source_XXXXXX";
    CHECK(write_set(&s, path2) == 0);
    s.y[16] = y16;
    src = open_groups(&s, path2, 0, s.n);
    CHECK(vem_glmm_fit_source(g, src, NULL, NULL) == VEM_EINVAL);
    CHECK(strstr(vem_errmsg(), path2) && strstr(vem_errmsg(), "row 17: response 2"));
    vem_source_close(src);
    unlink(path2);
    /* groups 1 and 2 taken as one: the label changes within it */
    src = vem_source_open_binary(path, 3);
    size_t two[3] = {0, 30, s.n};
    CHECK(vem_source_set_sequences(src, two, 2) == VEM_OK);
    CHECK(vem_glmm_fit_source(g, src, NULL, NULL) == VEM_EINVAL);
    CHECK(strstr(vem_errmsg(), "row 16: group label 2 among the rows of group 1") != NULL);
    vem_source_close(src);
    vem_glmm_free(g);
    unlink(path);
    set_free(&s);
}

/* A distributed fit's processes (threads): each its groups [shares[r], shares[r + 1]) of
 * the set, in memory or from a source, under one communicator. */
typedef struct procs {
    const set *s;
    const char *path; /* NULL: in memory */
    size_t shares[TC_MAX + 1];
    vem_fit_opts o;
    outcome out[TC_MAX];
} procs;

static size_t group_row(const set *s, size_t grp)
{
    size_t r = 0, k = 0;
    while (r < s->n && k < grp) {
        r++;
        if (r == s->n || s->g[r] != s->g[r - 1])
            k++;
    }
    return r;
}

static void proc_fit(tc_endpoint *e, void *arg)
{
    procs *p = arg;
    vem_comm c = tc_comm(e);
    vem_fit_opts o = p->o;
    o.comm = &c;
    const size_t r0 = group_row(p->s, p->shares[e->rank]);
    const size_t r1 = group_row(p->s, p->shares[e->rank + 1]);
    if (p->path)
        fit_source(p->s, p->path, r0, r1, &o, &p->out[e->rank]);
    else
        fit_rows(p->s, r0, r1, &o, &p->out[e->rank]);
}

/* P processes, each its share of the 50 groups (the last n_empty processes none). */
static void run_procs(procs *p, int P, int n_empty)
{
    for (int r = 0; r <= P; r++) {
        const int busy = P - n_empty;
        p->shares[r] = r >= busy ? 50 : (size_t)r * 50 / (size_t)busy;
    }
    tc_run_each(P, proc_fit, p);
}

/* Distributed fits: every process holds the same model, one process's to round-off
 * (batch EM to 1e-10; MCEM, whose draws are keyed by the group's place among all, to 1e-9),
 * with an empty share too; shares streamed from sources: the in-memory shares' bits; a
 * label shared by two processes' groups: VEM_EINVAL on every process. */
static void test_processes(void)
{
    set s = read_set("mcculloch");
    char path[] = "/tmp/vem_glmm_procs_XXXXXX";
    CHECK(write_set(&s, path) == 0);
    const vem_algorithm algs[2] = {VEM_ALG_BATCH, VEM_ALG_MCEM};
    for (int a = 0; a < 2; a++) {
        const double rtol = algs[a] == VEM_ALG_BATCH ? 1e-10 : 1e-9;
        procs *p = calloc(1, sizeof *p);
        p->s = &s;
        p->o = glmm_opts(algs[a]);
        outcome one;
        fit_rows(&s, 0, s.n, &p->o, &one);
        for (int P = 2; P <= 3; P++) {
            for (int empty = 0; empty <= (P == 3); empty++) {
                run_procs(p, P, empty);
                double worst = 0;
                for (int r = 0; r < P; r++) {
                    CHECK(same_bits(&p->out[r], &p->out[0]));
                    CHECK(close_to(&p->out[r], &one, rtol));
                    worst = fmax(worst, fabs(p->out[r].params[1] - one.params[1]));
                }
                printf("%s, %d processes (%d empty): beta %.17g sigma2 %.17g (one process: "
                       "%.17g %.17g; |sigma2 diff| %.2g)\n", vem_algorithm_name(algs[a]), P,
                       empty, p->out[0].params[0], p->out[0].params[1], one.params[0],
                       one.params[1], worst);
            }
        }
        /* the same shares streamed: the bits of the shares in memory */
        run_procs(p, 2, 0);
        outcome mem = p->out[0];
        p->path = path;
        run_procs(p, 2, 0);
        CHECK(same_bits(&p->out[0], &mem) && same_bits(&p->out[1], &mem));
        free(p);
    }
    /* group 1's label again as the first group of process 1 */
    procs *p = calloc(1, sizeof *p);
    set dup = s;
    dup.g = malloc(s.n * sizeof *dup.g);
    memcpy(dup.g, s.g, s.n * sizeof *dup.g);
    for (size_t r = group_row(&s, 25); r < group_row(&s, 26); r++)
        dup.g[r] = 1;
    p->s = &dup;
    p->o = glmm_opts(VEM_ALG_BATCH);
    run_procs(p, 2, 0);
    for (int r = 0; r < 2; r++) {
        CHECK(p->out[r].st == VEM_EINVAL);
        CHECK(strstr(p->out[r].msg, "group 1: its rows are not contiguous") != NULL);
    }
    /* a bad response in process 1's share: its row among all the rows, on both */
    dup.y[400] = 3;
    memcpy(dup.g, s.g, s.n * sizeof *dup.g);
    run_procs(p, 2, 0);
    for (int r = 0; r < 2; r++)
        CHECK(p->out[r].st == VEM_EINVAL && strstr(p->out[r].msg, "row 401: response 3"));
    dup.y[400] = s.y[400];
    free(dup.g);
    free(p);
    unlink(path);
    set_free(&s);
}

int main(void)
{
    test_hermite();
    test_lme4();
    test_lme4_poisson();
    test_boundary();
    test_mcem();
    const double bb[3] = {-0.5, 1.0, 0.5}, bp[3] = {0.5, -0.3, 0.4};
    planted(VEM_GLMM_BINOMIAL, bb, 1.0, 2000, 15);
    planted(VEM_GLMM_POISSON, bp, 0.5, 1000, 10);
    test_errors();
    test_source();
    test_processes();
    return check_report("glmm");
}
