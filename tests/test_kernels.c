/*
 * tests/test_kernels.c — the fast E-step kernels (src/models/gmm_kernels.c)
 * against the straightforward ones they replaced (vem__gmm_reference_* in
 * src/models/gmm.c: one dense GEMM for the log-densities, scalar log-sum-exp,
 * one SYRK per component), on random models and data: every covariance type,
 * d in {1, 2, 3, 7, 16, 64}, several k, row counts on and around the kernels'
 * sub-block and padding edges, a row stride wider than d, an offset row range.
 * Everything must agree to 1e-12 relative: log-densities and log-likelihoods
 * relative to max(|value|, 1), each ESS entry relative to the largest entry of
 * its part (N, S1 or S2), since centred sums can cancel to near zero.
 * Also: the vector exp and log against libm, including -inf, 0 and +inf.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <vem/vem.h>

#include "check.h"
#include "linalg/linalg.h"
#include "linalg/vexp.h"
#include "models/gmm_internal.h"
#include "models/gmm_kernels.h"

static uint64_t state = 0x2545f4914f6cdd1dULL;

static double unif(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return (double)(state >> 11) * 0x1.0p-53;
}

static double gauss(void)
{
    double u = unif() + 1e-300, v = unif();
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

/* A random model of the given shape: weights from 0.5 + U, means N(1.7, 1.5^2),
 * covariances A A^T / d + 0.3 I (full, tied) or U(0.3, 2.3) variances. */
static vem_gmm *random_model(size_t k, size_t d, vem_cov cov)
{
    vem_gmm *g = vem_gmm_new(k, d, cov);
    double *w = malloc(k * sizeof *w), *mu = malloc(k * d * sizeof *mu);
    size_t cl = vem_gmm_covariances_len(g);
    double *cv = malloc(cl * sizeof *cv), *a = malloc(d * d * sizeof *a);
    double s = 0.0;
    for (size_t c = 0; c < k; c++)
        s += (w[c] = 0.5 + unif());
    for (size_t c = 0; c < k; c++)
        w[c] /= s;
    for (size_t i = 0; i < k * d; i++)
        mu[i] = 1.7 + 1.5 * gauss();
    if (cov == VEM_COV_FULL || cov == VEM_COV_TIED) {
        size_t nf = cov == VEM_COV_FULL ? k : 1;
        for (size_t f = 0; f < nf; f++) {
            for (size_t i = 0; i < d * d; i++)
                a[i] = gauss();
            for (size_t i = 0; i < d; i++)
                for (size_t j = 0; j < d; j++) {
                    double t = 0.0;
                    for (size_t l = 0; l < d; l++)
                        t += a[i * d + l] * a[j * d + l];
                    cv[f * d * d + i * d + j] = t / (double)d + (i == j ? 0.3 : 0.0);
                }
        }
    } else {
        for (size_t i = 0; i < cl; i++)
            cv[i] = 0.3 + 2.0 * unif();
    }
    vem_status st = vem_gmm_set_params(g, w, mu, cv);
    CHECK(st == VEM_OK);
    /* A centre that is not the weighted mean, to exercise the centring. */
    for (size_t j = 0; j < d; j++)
        a[j] = 1.1 + 0.3 * gauss();
    vem__gmm_set_center(g, a);
    free(w);
    free(mu);
    free(cv);
    free(a);
    return g;
}

static int worst_failures;

/* |got - want| <= 1e-12 * scale, counted once per comparison group. */
static double max_rel(const double *got, const double *want, size_t n, double scale)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs(got[i] - want[i]) / scale;
        if (!(e <= m))
            m = e; /* NaN sticks */
    }
    return m;
}

static double max_abs(const double *a, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, fabs(a[i]));
    return m;
}

static void one_case(size_t k, size_t d, vem_cov cov, size_t n)
{
    const double rtol = 1e-12;
    vem_gmm *g = random_model(k, d, cov);
    const size_t ld = d + 1, off = 5, rows = n + off;
    double *x = malloc(rows * ld * sizeof *x);
    for (size_t r = 0; r < rows; r++) {
        size_t c = r % k;
        const double *mu = vem_gmm_means(g) + c * d;
        for (size_t j = 0; j < ld; j++)
            x[r * ld + j] = j < d ? mu[j] + 1.3 * gauss() : NAN; /* the gap is never read */
    }
    const double *xs = x + off * ld;

    /* Log-densities: vem__gmm_log_gauss (fast) against the reference. */
    double *lf = malloc(n * k * sizeof *lf), *lr = malloc(n * k * sizeof *lr);
    double *work = malloc(vem__gmm_reference_work_len(g, n) * sizeof *work);
    double *sw = malloc(vem__gmm_scratch_len(g, n) * sizeof *sw);
    vem__gmm_log_gauss(g, xs, ld, n, lf, sw);
    vem__gmm_reference_logp(g, xs, ld, n, lr, work);
    for (size_t r = 0; r < n; r++)
        for (size_t c = 0; c < k; c++)
            lr[r * k + c] -= log(vem_gmm_weights(g)[c]);
    double e = 0.0;
    for (size_t i = 0; i < n * k; i++)
        e = fmax(e, fabs(lf[i] - lr[i]) / fmax(fabs(lr[i]), 1.0));
    CHECK(e <= rtol);

    /* The E-step through the model's operations, rows [off, off + n) of x. */
    size_t el = vem__gmm_ess_len(g);
    double *ef = calloc(el, sizeof *ef), *er = calloc(el, sizeof *er), *ea = calloc(el, sizeof *ea);
    vem_model m = vem_gmm_model(g);
    vem_data data = vem_data_rows((vem_matrix){.data = x, .rows = rows, .cols = d, .ld = ld});
    double *scratch = malloc(m.ops->scratch_len(m.self, n) * sizeof *scratch);
    double llf = m.ops->estep(m.self, &data, off, rows, ef, scratch);
    double llr = vem__gmm_reference_estep(g, xs, ld, n, er, work);
    CHECK(fabs(llf - llr) <= rtol * fmax(fabs(llr), 1.0));

    /* vem__gmm_accumulate (fast, row-major responsibilities) with the reference's. */
    double *resp = malloc(n * k * sizeof *resp);
    vem__gmm_reference_logp(g, xs, ld, n, resp, work);
    for (size_t r = 0; r < n; r++) {
        double *p = resp + r * k, mx = p[0], s = 0.0;
        for (size_t c = 1; c < k; c++)
            mx = fmax(mx, p[c]);
        for (size_t c = 0; c < k; c++)
            s += (p[c] = exp(p[c] - mx));
        for (size_t c = 0; c < k; c++)
            p[c] /= s;
    }
    double *aw = malloc(2 * n * d * sizeof *aw);
    vem__gmm_accumulate(g, xs, ld, n, resp, ea, aw);

    size_t parts[4] = {0, k, k + k * d, el};
    for (size_t p = 0; p < 3; p++) {
        size_t len = parts[p + 1] - parts[p];
        double scale = fmax(max_abs(er + parts[p], len), 1e-300);
        double ef_err = max_rel(ef + parts[p], er + parts[p], len, scale);
        double ea_err = max_rel(ea + parts[p], er + parts[p], len, scale);
        CHECK(ef_err <= rtol);
        CHECK(ea_err <= rtol);
        if (!(ef_err <= rtol) || !(ea_err <= rtol)) {
            worst_failures++;
            fprintf(stderr, "  k=%zu d=%zu cov=%s n=%zu ESS part %zu: estep %.3g, accumulate %.3g\n",
                    k, d, vem_cov_name(cov), n, p, ef_err, ea_err);
        }
    }
    if (!(e <= rtol) || !(fabs(llf - llr) <= rtol * fmax(fabs(llr), 1.0)))
        fprintf(stderr, "  k=%zu d=%zu cov=%s n=%zu: logp %.3g, ll %.17g vs %.17g\n", k, d,
                vem_cov_name(cov), n, e, llf, llr);

    /* The engine's score: the same kernels as the E-step, the reference's sum. */
    if (n >= k) {
        double total = 0.0;
        vem_matrix xm = {.data = xs, .rows = n, .cols = d, .ld = ld};
        CHECK(vem_gmm_score(g, &xm, NULL, &total) == VEM_OK);
        CHECK(fabs(total - llr) <= rtol * fmax(fabs(llr), 1.0));
    }

    free(x);
    free(lf);
    free(lr);
    free(work);
    free(sw);
    free(ef);
    free(er);
    free(ea);
    free(scratch);
    free(resp);
    free(aw);
    vem_gmm_free(g);
}

/* A row far from every component: all log-densities -inf, as the reference. */
static void test_dead_row(void)
{
    for (size_t t = 0; t < 4; t++) {
        vem_cov cov = (vem_cov[]){VEM_COV_FULL, VEM_COV_DIAG, VEM_COV_SPHERICAL, VEM_COV_TIED}[t];
        vem_gmm *g = random_model(3, 2, cov);
        double x[10 * 2];
        for (size_t i = 0; i < 20; i++)
            x[i] = gauss();
        x[14] = x[15] = 1e300; /* row 7 */
        double *work = malloc(vem__gmm_reference_work_len(g, 10) * sizeof *work);
        double *ef = calloc(vem__gmm_ess_len(g), sizeof *ef);
        double *er = calloc(vem__gmm_ess_len(g), sizeof *er);
        vem_model m = vem_gmm_model(g);
        vem_data data = vem_data_rows(vem_matrix_view(x, 10, 2));
        double *scratch = malloc(m.ops->scratch_len(m.self, 10) * sizeof *scratch);
        double llf = m.ops->estep(m.self, &data, 0, 10, ef, scratch);
        double llr = vem__gmm_reference_estep(g, x, 2, 10, er, work);
        CHECK(llr == -INFINITY);
        CHECK(llf == -INFINITY);
        CHECK(ef[0] == ef[0] && ef[1] == ef[1] && ef[2] == ef[2]); /* N_k finite: r = 1/3 */
        CHECK(fabs(ef[0] - er[0]) <= 1e-12 * er[0]);
        free(work);
        free(ef);
        free(er);
        free(scratch);
        vem_gmm_free(g);
    }
}

static void test_vexp(void)
{
    enum { N = 1003 };
    double in[N], out[N];
    for (size_t i = 0; i < N; i++)
        in[i] = -745.0 + 1455.0 * (double)i / (N - 1); /* -745 .. 710 */
    in[0] = -INFINITY;
    in[1] = 0.0;
    in[2] = -1e-300;
    vem__vexp(N, in, out);
    double e = 0.0;
    for (size_t i = 0; i < N; i++) {
        double w = exp(in[i]);
        if (w > 1e-300)
            e = fmax(e, fabs(out[i] - w) / w);
        else
            CHECK(fabs(out[i]) <= 1e-300);
    }
    CHECK(e <= 1e-15);
    CHECK(out[0] == 0.0);
    CHECK(out[1] == 1.0);
    /* The flushing variant: exp above -708, exactly 0 below. */
    double fl[N];
    vem__vexp_flush(N, in, fl);
    for (size_t i = 0; i < N; i++)
        CHECK(in[i] < -708.0 ? fl[i] == 0.0 : fl[i] == out[i]);
    for (size_t i = 0; i < N; i++)
        in[i] = (double)(i + 1) * 0.37;
    in[5] = INFINITY;
    vem__vlog(N, in, out);
    e = 0.0;
    for (size_t i = 0; i < N; i++)
        if (i != 5)
            e = fmax(e, fabs(out[i] - log(in[i])) / fmax(fabs(log(in[i])), 1.0));
    CHECK(e <= 1e-15);
    CHECK(out[5] == INFINITY);
}

/*
 * The scatter matrices with a responsibility floor: rows whose responsibility is
 * below it leave component c's s2 and nothing else. The kernel sums rows in
 * order, so leaving out rows of responsibility exactly 0 changes no bit: the
 * result must equal the dense kernel's with those responsibilities set to 0,
 * bit for bit, on the sparse path (most rows skipped) and the dense one.
 */
static void test_resp_floor(void)
{
    const size_t k = 3, d = 7, dpad = 8, n = 200, npad = vem__gk_pad(n, VEM_GK_RPAD);
    double *xt = calloc(dpad * npad, sizeof *xt), *rt = calloc(k * npad, sizeof *rt);
    double *rz = calloc(k * npad, sizeof *rz);
    double *work = calloc(4 * dpad * npad + npad, sizeof *work);
    double ess_a[3 + 3 * 7 + 3 * 49] = {0}, ess_b[3 + 3 * 7 + 3 * 49] = {0};
    for (size_t i = 0; i < d; i++)
        for (size_t r = 0; r < n; r++)
            xt[i * npad + r] = gauss();
    for (size_t r = 0; r < n; r++) {
        /* component 0: 1 row in 10 above the floor; 1: half; 2: all */
        rt[r] = r % 10 == 3 ? unif() : r % 3 ? 1e-30 : 0.0;
        rt[npad + r] = r % 2 ? 0.5 + unif() : 1e-25;
        rt[2 * npad + r] = 1e-3 + unif();
    }
    memcpy(rz, rt, k * npad * sizeof *rz);
    const double floor[3] = {1e-19, 1e-19, 1e-19};
    for (size_t i = 0; i < k * npad; i++)
        if (rz[i] < 1e-19)
            rz[i] = 0.0;
    vem__gk_accum_full(k, d, dpad, xt, rt, npad, floor, work, ess_a, ess_a + k, ess_a + k + k * d);
    vem__gk_accum_full(k, d, dpad, xt, rz, npad, NULL, work, ess_b, ess_b + k, ess_b + k + k * d);
    /* s2 equal bit for bit; nk and s1 still count the tiny responsibilities. */
    CHECK(memcmp(ess_a + k + k * d, ess_b + k + k * d, k * d * d * sizeof *ess_a) == 0);
    CHECK(fabs(ess_a[0] - ess_b[0]) <= 1e-27 && fabs(ess_a[1] - ess_b[1]) <= 1e-22);
    CHECK(fabs(ess_a[k] - ess_b[k]) <= 1e-26);
    double s2_00 = 0.0;
    for (size_t r = 0; r < n; r++)
        s2_00 += rz[r] * xt[r] * xt[r];
    CHECK(fabs(ess_a[k + k * d] - s2_00) <= 1e-12 * s2_00);
    free(xt);
    free(rt);
    free(rz);
    free(work);
}

/* U = precision Cholesky factor: upper triangular, U^T cov U = I; failing pivots. */
static void test_precision_cholesky(void)
{
    static const size_t ds[] = {1, 2, 5, 17, 64};
    for (size_t t = 0; t < sizeof ds / sizeof *ds; t++) {
        const size_t d = ds[t];
        double *a = malloc(d * d * sizeof *a), *cov = malloc(d * d * sizeof *cov);
        double *u = malloc(d * d * sizeof *u), *w = malloc(d * d * sizeof *w);
        for (size_t i = 0; i < d * d; i++)
            a[i] = gauss();
        for (size_t i = 0; i < d; i++)
            for (size_t j = 0; j < d; j++) {
                double s = 0.0;
                for (size_t l = 0; l < d; l++)
                    s += a[i * d + l] * a[j * d + l];
                cov[i * d + j] = s / (double)d + (i == j ? 0.1 : 0.0);
            }
        CHECK(vem__precision_cholesky(d, cov, u, w) == 0);
        double e = 0.0;
        for (size_t i = 0; i < d; i++)
            for (size_t j = 0; j < d; j++) {
                if (j < i)
                    CHECK(u[i * d + j] == 0.0);
                double s = 0.0; /* (U^T cov U)_ij */
                for (size_t p = 0; p < d; p++)
                    for (size_t q = 0; q < d; q++)
                        s += u[p * d + i] * cov[p * d + q] * u[q * d + j];
                e = fmax(e, fabs(s - (i == j ? 1.0 : 0.0)));
            }
        CHECK(e <= 1e-10);
        if (d >= 2) { /* not positive definite at pivot 2 */
            memset(cov, 0, d * d * sizeof *cov);
            for (size_t i = 0; i < d; i++)
                cov[i * d + i] = 1.0;
            cov[1] = cov[d] = 1.0;
            CHECK(vem__precision_cholesky(d, cov, u, w) == 2);
        }
        free(a);
        free(cov);
        free(u);
        free(w);
    }
}

int main(void)
{
    static const size_t ds[] = {1, 2, 3, 7, 16, 64};
    static const size_t ks[] = {1, 3, 5, 8};
    /* Row counts: tiny, on and around the row tiles (8, 12), the padding (24) and the
     * sub-block (240) edges. */
    static const size_t ns[] = {1, 3, 8, 9, 12, 23, 24, 25, 239, 240, 241, 700};
    static const vem_cov covs[] = {VEM_COV_FULL, VEM_COV_DIAG, VEM_COV_SPHERICAL, VEM_COV_TIED};
    for (size_t a = 0; a < 4; a++)
        for (size_t b = 0; b < sizeof ds / sizeof *ds; b++)
            for (size_t c = 0; c < sizeof ks / sizeof *ks; c++)
                for (size_t e = 0; e < sizeof ns / sizeof *ns; e++) {
                    if (ds[b] == 64 && ns[e] > 241 && ks[c] > 3)
                        continue; /* keep the run short: 64 x 8 is covered at 241 rows */
                    one_case(ks[c], ds[b], covs[a], ns[e]);
                }
    test_dead_row();
    test_vexp();
    test_resp_floor();
    test_precision_cholesky();
    (void)worst_failures;
    return check_report("kernels");
}
