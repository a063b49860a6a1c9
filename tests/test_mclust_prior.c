/*
 * tests/test_mclust_prior.c — the conjugate prior (vem_gmm_set_prior) against R mclust
 * 6.0's priorControl() (tests/golden/mclust_prior.R and its committed output
 * mclust_prior.txt; R is not needed here).
 *
 * 1. vem_gmm_set_prior_default equals defaultPrior(X, 2, "VVV") (mean, dof, scale).
 * 2. From the same fixed partition, every model with a prior reaches mclust::me's
 *    log-likelihood to 1e-8 (absolute, nats) on faithful and penguins, K = 2 and 3,
 *    and mvn()'s at K = 1; the parameters agree to 1e-6 relative and the BIC (2 log L
 *    - p log n, mclust's sign) to 1e-10 relative; no fit decreases its objective.
 *    (The fits run a fixed 20,000 iterations: see fit_from_labels.)
 *    Where mclust gives no result (a mixing proportion fell below its threshold),
 *    vem's fit ends with a component of weight below 1e-6: the same collapse.
 * 3. From Mclust()'s hierarchical partitions, the BIC table of mclustBIC(G = 1:9,
 *    prior = priorControl()) to 1e-6 relative, and the same choice. No fit decreases its
 *    objective except EEI's (mclust's unshrunk means), by less than 2e-3 nats.
 * 4. Errors: VEE, EVE, VVE, EVV refuse a prior; bad shrinkage, dof, scale.
 * 5. In memory, streamed and on 2 threads the same bits; stepwise EM close by.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vem/vem.h>

#include "check.h"
#include "mclust_data.h"

#define NMOD 10


static const vem_cov order[NMOD] = {VEM_COV_EII, VEM_COV_SPHERICAL, VEM_COV_EEI, VEM_COV_VEI,
                                    VEM_COV_EVI, VEM_COV_DIAG,      VEM_COV_TIED, VEM_COV_EEV,
                                    VEM_COV_VEV, VEM_COV_FULL};


typedef struct fit_out {
    vem_status st;
    double ll, bic, min_w;
    size_t n_violations;
    double max_drop; /* largest decrease of the objective over the iterations (nats) */
    vem_gmm *g;
} fit_out;

/* MAP fit of model cov with K components from 1-based labels, mclust's default prior. */
static fit_out fit_from_labels(const vem_matrix *x, size_t k, vem_cov cov, const int *labels,
                               double tol)
{
    const size_t n = x->rows;
    fit_out out = {VEM_ENOMEM, NAN, NAN, NAN, 0, 0.0, NULL};
    double *z = calloc(n * k, sizeof *z);
    vem_gmm *g = vem_gmm_new(k, x->cols, cov);
    if (!z || !g)
        goto done;
    for (size_t r = 0; r < n; r++)
        z[r * k + (size_t)(labels ? labels[r] - 1 : 0)] = 1.0;
    vem_fit_opts o;
    vem_fit_opts_init(&o);
    /* A fixed 20,000 iterations: at a posterior mode the objective is flat to second
     * order while the log-likelihood still moves to first order, so a rule on the
     * objective stops before the log-likelihood settles to 1e-8 (mclust's rule is on the
     * log-likelihood itself, tol 1e-13). */
    o.tol = tol;
    o.max_iter = 20000;
    o.nthreads = 1;
    vem_rng rng;
    vem_rng_seed(&rng, 1);
    vem_fit_result res;
    memset(&res, 0, sizeof res);
    if (vem_gmm_set_reg_covar(g, 0.0) != VEM_OK || vem_gmm_set_init_resp(g, n, z) != VEM_OK ||
        vem_gmm_set_mstep_control(g, 1000, 1e-13) != VEM_OK ||
        vem_gmm_set_prior_default(g, x) != VEM_OK)
        goto done;
    out.st = vem_gmm_fit(g, x, &o, &rng, &res);
    if (out.st == VEM_OK || out.st == VEM_EMAXITER) {
        out.ll = res.objective - vem_gmm_log_prior(g);
        out.bic = -vem_gmm_bic(g, out.ll, n);
        out.n_violations = res.n_violations;
        for (size_t i = 1; i < res.trace_len; i++)
            out.max_drop = fmax(out.max_drop, res.trace[i - 1].objective - res.trace[i].objective);
        out.min_w = INFINITY;
        for (size_t c = 0; c < k; c++)
            out.min_w = fmin(out.min_w, vem_gmm_weights(g)[c]);
        out.g = g;
        g = NULL;
    }
    vem_fit_result_clear(&res);
done:
    vem_gmm_free(g);
    free(z);
    return out;
}

/* Covariance c of g as a full d x d matrix. */
static void full_cov(const vem_gmm *g, size_t c, double *s)
{
    const size_t d = vem_gmm_d(g);
    const double *cv = vem_gmm_covariances(g);
    memset(s, 0, d * d * sizeof *s);
    switch (vem_cov_layout(vem_gmm_cov(g))) {
    case VEM_COV_FULL:
        memcpy(s, cv + c * d * d, d * d * sizeof *s);
        break;
    case VEM_COV_TIED:
        memcpy(s, cv, d * d * sizeof *s);
        break;
    case VEM_COV_DIAG:
        for (size_t j = 0; j < d; j++)
            s[j * d + j] = cv[c * d + j];
        break;
    default:
        for (size_t j = 0; j < d; j++)
            s[j * d + j] = cv[c];
        break;
    }
}

/* max |a - b| / max |b| over the parameters on the rest of a "par" line. */
static double param_diff(const vem_gmm *g, char *p)
{
    const size_t k = vem_gmm_k(g), d = vem_gmm_d(g);
    double worst = 0.0, s[16];
    double scale_w = 1.0, scale_m = 0.0, scale_s = 0.0;
    double want_w[16], want_m[64], want_s[256];
    for (size_t c = 0; c < k; c++)
        want_w[c] = strtod(p, &p);
    for (size_t i = 0; i < k * d; i++) {
        want_m[i] = strtod(p, &p);
        scale_m = fmax(scale_m, fabs(want_m[i]));
    }
    for (size_t i = 0; i < k * d * d; i++) {
        want_s[i] = strtod(p, &p);
        scale_s = fmax(scale_s, fabs(want_s[i]));
    }
    for (size_t c = 0; c < k; c++) {
        worst = fmax(worst, fabs(vem_gmm_weights(g)[c] - want_w[c]) / scale_w);
        for (size_t j = 0; j < d; j++)
            worst = fmax(worst, fabs(vem_gmm_means(g)[c * d + j] - want_m[c * d + j]) / scale_m);
        full_cov(g, c, s);
        for (size_t i = 0; i < d * d; i++)
            worst = fmax(worst, fabs(s[i] - want_s[c * d * d + i]) / scale_s);
    }
    return worst;
}



static void check_errors(const vem_matrix *x)
{
    static const vem_cov none[4] = {VEM_COV_VEE, VEM_COV_EVE, VEM_COV_VVE, VEM_COV_EVV};
    for (size_t i = 0; i < 4; i++) {
        vem_gmm *g = vem_gmm_new(2, x->cols, none[i]);
        CHECK(g && vem_gmm_set_prior_default(g, x) == VEM_EUNSUP);
        CHECK(g && !vem_gmm_prior_params(g, &(vem_gmm_prior){0}));
        vem_gmm_free(g);
    }
    vem_gmm *g = vem_gmm_new(2, 2, VEM_COV_FULL);
    double mean[2] = {0, 0}, scale[4] = {1, 0, 0, 1}, bad[4] = {1, 2, 2, 1}, asym[4] = {1, 0.5, 0, 1};
    vem_gmm_prior p = {0.01, 4, mean, scale};
    CHECK(g && vem_gmm_set_prior(g, &p) == VEM_OK);
    vem_gmm_prior q;
    CHECK(vem_gmm_prior_params(g, &q) == 1 && q.shrinkage == 0.01 && q.dof == 4 && q.scale[3] == 1);
    p.shrinkage = -1;
    CHECK(vem_gmm_set_prior(g, &p) == VEM_EINVAL);
    p.shrinkage = 0.01;
    p.dof = 0;
    CHECK(vem_gmm_set_prior(g, &p) == VEM_EINVAL);
    p.dof = 4;
    p.scale = bad;
    CHECK(vem_gmm_set_prior(g, &p) == VEM_EINVAL);
    p.scale = asym;
    CHECK(vem_gmm_set_prior(g, &p) == VEM_EINVAL);
    CHECK(vem_gmm_prior_params(g, &q) == 1 && q.scale[1] == 0); /* unchanged on error */
    CHECK(vem_gmm_set_prior(g, NULL) == VEM_OK && !vem_gmm_prior_params(g, &q));
    CHECK(vem_gmm_log_prior(g) == 0.0);
    vem_matrix one = {x->data, 1, 2, x->ld};
    CHECK(vem_gmm_set_prior_default(g, &one) == VEM_EINVAL);
    vem_gmm_free(g);
}

/*
 * A MAP fit (kmeans start) in memory, from a streamed source, on 2 threads and by
 * stepwise EM: the first three give the same bits; stepwise ends near batch EM. The
 * M-step sees only summed statistics, so every path takes the prior unchanged.
 */
static void check_paths(const vem_matrix *x, const char *file, const char *cols)
{
    double obj[4] = {NAN, NAN, NAN, NAN}, lp[4] = {NAN, NAN, NAN, NAN};
    char path[512];
    snprintf(path, sizeof path, "%s/%s", VEM_EXAMPLE_DATA, file);
    for (int run = 0; run < 4; run++) {
        vem_gmm *g = vem_gmm_new(3, x->cols, VEM_COV_FULL);
        vem_fit_opts o;
        vem_fit_opts_init(&o);
        o.nthreads = run == 2 ? 2 : 1;
        if (run == 3) {
            o.algorithm = VEM_ALG_STEPWISE;
            o.batch_size = 50;
            o.max_iter = 50;
        }
        vem_rng rng;
        vem_rng_seed(&rng, 3);
        vem_fit_result res;
        memset(&res, 0, sizeof res);
        vem_status st = VEM_EINVAL;
        if (run == 1) {
            vem_csv_opts co;
            vem_csv_opts_init(&co);
            co.columns = cols;
            vem_source *src = vem_source_open_csv(path, &co);
            CHECK(src != NULL);
            if (g && src && vem_gmm_set_reg_covar(g, 0.0) == VEM_OK &&
                vem_gmm_set_prior_default_source(g, src) == VEM_OK)
                st = vem_gmm_fit_source(g, src, &o, &rng, &res);
            vem_source_close(src);
        } else if (g && vem_gmm_set_reg_covar(g, 0.0) == VEM_OK &&
                   vem_gmm_set_prior_default(g, x) == VEM_OK) {
            st = vem_gmm_fit(g, x, &o, &rng, &res);
        }
        CHECK(st == VEM_OK || (run == 3 && st == VEM_EMAXITER));
        CHECK(res.n_violations == 0);
        obj[run] = res.objective;
        lp[run] = g ? vem_gmm_log_prior(g) : NAN;
        CHECK(isfinite(obj[run]) && isfinite(lp[run]) && lp[run] < 0.0);
        vem_fit_result_clear(&res);
        vem_gmm_free(g);
    }
    printf("paths: batch %.10f, stream %.10f, 2 threads %.10f, stepwise %.10f (log prior %.6f)\n",
           obj[0], obj[1], obj[2], obj[3], lp[0]);
    CHECK(obj[1] == obj[0] && lp[1] == lp[0]);
    CHECK(obj[2] == obj[0] && lp[2] == lp[0]);
    CHECK_ABS(obj[3], obj[0], 1.0);
}

int main(void)
{
    dataset sets[2];
    mclust_load_sets(sets);
    if (check_failures)
        return check_report("mclust_prior");
    check_errors(&sets[0].x);
    check_paths(&sets[1].x, "penguins.csv",
                "beak_length_mm,beak_depth_mm,flipper_length_mm,body_mass_g");
    FILE *fp = fopen(VEM_GOLDEN "/mclust_prior.txt", "r");
    CHECK(fp != NULL);
    if (!fp)
        return check_report("mclust_prior");
    static char line[65536];
    static int labels[2][4][MAXN]; /* [set][K][row], K = 2, 3 */
    static int hcl[2][10][MAXN];   /* [set][G][row] */
    static double rbic[2][9][NMOD];
    static char rbest[2][16];
    static int rbest_g[2];
    fit_out last = {0};
    size_t n_me = 0, n_na = 0, n_par = 0, n_prior = 0, n_bic = 0, n_eei_viol = 0;
    double worst_ll = 0.0, worst_par = 0.0;
    while (fgets(line, sizeof line, fp)) {
        char kind[16], a[16], *rest;
        dataset *ds = golden_line(line, sets, 2, kind, &rest);
        if (!ds)
            continue;
        const size_t si = (size_t)(ds - sets), n = ds->x.rows, d = ds->x.cols;
        CHECK(n <= MAXN);
        if (strcmp(kind, "prior") == 0) {
            vem_gmm *g = vem_gmm_new(2, d, VEM_COV_FULL);
            vem_gmm_prior p;
            CHECK(g && vem_gmm_set_prior_default(g, &ds->x) == VEM_OK &&
                  vem_gmm_prior_params(g, &p) == 1);
            if (g && vem_gmm_prior_params(g, &p)) {
                CHECK_REL(p.shrinkage, strtod(rest, &rest), 1e-15);
                CHECK_REL(p.dof, strtod(rest, &rest), 1e-15);
                for (size_t j = 0; j < d; j++)
                    CHECK_REL(p.mean[j], strtod(rest, &rest), 1e-13);
                for (size_t i = 0; i < d * d; i++)
                    CHECK_REL(p.scale[i], strtod(rest, &rest), 1e-12);
            }
            vem_gmm_free(g);
            n_prior++;
        } else if (strcmp(kind, "labels") == 0) {
            int k = (int)strtol(rest, &rest, 10);
            CHECK(k >= 2 && k <= 3 && read_labels(rest, labels[si][k], n) == 0);
        } else if (strcmp(kind, "hc") == 0) {
            int gg = (int)strtol(rest, &rest, 10);
            CHECK(gg >= 2 && gg <= 9 && read_labels(rest, hcl[si][gg], n) == 0);
        } else if (strcmp(kind, "me") == 0) {
            int k, it;
            char llv[64], bicv[64];
            CHECK(sscanf(rest, "%15s %d %63s %d %63s", a, &k, llv, &it, bicv) == 5);
            vem_cov cov;
            CHECK(vem_gmm_cov_parse(a, &cov) == VEM_OK);
            vem_gmm_free(last.g);
            last = fit_from_labels(&ds->x, (size_t)k, cov, k == 1 ? NULL : labels[si][k], 0.0);
            CHECK(last.st == VEM_EMAXITER); /* tol 0: the 20,000 iterations */
            CHECK(last.n_violations == 0);
            if (strcmp(llv, "NA") == 0) {
                /* mclust: "mixing proportion fell below threshold" */
                printf("me %-8s %s K=%d  vem %.10f (smallest weight %.2e)  mclust NA\n", ds->name, a,
                       k, last.ll, last.min_w);
                CHECK(last.min_w < 1e-6);
                n_na++;
                continue;
            }
            double want = strtod(llv, NULL), diff = fabs(last.ll - want);
            printf("me %-8s %s K=%d  vem %.10f  mclust %.10f  |diff| %.2e\n", ds->name, a, k, last.ll,
                   want, diff);
            CHECK_ABS(last.ll, want, 1e-8);
            CHECK_REL(last.bic, strtod(bicv, NULL), 1e-10);
            if (!(diff <= worst_ll))
                worst_ll = diff;
            n_me++;
        } else if (strcmp(kind, "par") == 0) {
            int k;
            char *p = rest;
            CHECK(sscanf(p, "%15s %d", a, &k) == 2);
            p = strchr(strchr(p, ' ') + 1, ' ') + 1;
            if (last.g && !(last.min_w < 1e-6) && !strstr(p, "NA")) {
                CHECK((int)vem_gmm_k(last.g) == k);
                double diff = param_diff(last.g, p);
                CHECK(diff <= 1e-6);
                if (!(diff <= worst_par))
                    worst_par = diff;
                n_par++;
            }
        } else if (strcmp(kind, "bic") == 0) {
            int gg = (int)strtol(rest, &rest, 10);
            CHECK(gg >= 1 && gg <= 9);
            size_t j = 0;
            for (char *tok = strtok(rest, " \n"); tok && j < NMOD; tok = strtok(NULL, " \n"))
                rbic[si][gg - 1][j++] = strcmp(tok, "NA") == 0 ? NAN : strtod(tok, NULL);
            CHECK(j == NMOD);
        } else if (strcmp(kind, "best") == 0) {
            int gg;
            CHECK(sscanf(rest, "%15s %d", a, &gg) == 2);
            snprintf(rbest[si], sizeof rbest[si], "%s", a);
            rbest_g[si] = gg;
        }
    }
    fclose(fp);
    vem_gmm_free(last.g);
    printf("me: %zu fits, max |diff| %.3e nats; %zu where mclust gives NA; parameters max rel "
           "diff %.3e over %zu fits\n",
           n_me, worst_ll, n_na, worst_par, n_par);
    CHECK(n_prior == 2);
    CHECK(n_me + n_na == 2 * 3 * NMOD);
    CHECK(n_me >= 52);
    CHECK(n_par == n_me);

    /* The BIC tables from Mclust's own starting partitions. */
    for (size_t si = 0; si < 2; si++) {
        const size_t n = sets[si].x.rows;
        double best = -INFINITY, worst = 0.0;
        size_t best_g = 0, best_j = 0, skipped = 0;
        for (int gg = 1; gg <= 9; gg++) {
            int *lab = hcl[si][gg];
            if (gg == 1)
                for (size_t r = 0; r < n; r++)
                    lab[r] = 1;
            for (size_t j = 0; j < NMOD; j++) {
                double want = rbic[si][gg - 1][j];
                if (isnan(want)) { /* NA: mclust's fit lost a component */
                    skipped++;
                    continue;
                }
                /* BIC to 1e-6 relative: a per-row rule of 1e-12 on the objective is enough. */
                fit_out f = fit_from_labels(&sets[si].x, (size_t)gg, order[j], lab, 1e-12);
                CHECK(f.st == VEM_OK);
                if (f.n_violations)
                    printf("violations: %s G=%d %s: %zu, largest decrease %.2e nats\n",
                           sets[si].name, gg, vem_cov_mclust_name(order[j]), f.n_violations,
                           f.max_drop);
                double rel = fabs(f.bic - want) / fabs(want);
                if (!(rel <= 1e-6))
                    printf("bic %s G=%d %s: vem %.6f, mclust %.6f (rel %.2e)\n", sets[si].name,
                           gg, vem_cov_mclust_name(order[j]), f.bic, want, rel);
                CHECK_REL(f.bic, want, 1e-6);
                /* EEI keeps mclust's unshrunk means, not the MAP's: its objective may fall
                 * (seen: up to 1.0e-3 nats, faithful G = 9); every other model never. */
                if (order[j] == VEM_COV_EEI) {
                    CHECK(f.max_drop < 2e-3);
                    n_eei_viol += f.n_violations > 0;
                } else {
                    CHECK(f.n_violations == 0);
                }
                if (!(rel <= worst))
                    worst = rel;
                if (f.bic > best) {
                    best = f.bic;
                    best_g = (size_t)gg;
                    best_j = j;
                }
                vem_gmm_free(f.g);
                n_bic++;
            }
        }
        printf("bic %s: max relative diff %.3e (%zu NA cells skipped); highest BIC %s K=%zu "
               "(mclust %s K=%d)\n",
               sets[si].name, worst, skipped, vem_cov_mclust_name(order[best_j]), best_g,
               rbest[si], rbest_g[si]);
        CHECK(strcmp(vem_cov_mclust_name(order[best_j]), rbest[si]) == 0);
        CHECK(best_g == (size_t)rbest_g[si]);
    }
    CHECK(n_bic >= 120);
    printf("bic: %zu fits; %zu EEI fits flagged by the monotonicity check\n", n_bic, n_eei_viol);
    for (size_t i = 0; i < 2; i++)
        vem_table_clear(&sets[i].t);
    return check_report("mclust_prior");
}
