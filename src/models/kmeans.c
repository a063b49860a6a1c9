/*
 * src/models/kmeans.c — k-means for initialisation, on the engine.
 *
 * Lloyd's algorithm is hard EM: the E-step assigns each row to its nearest
 * centre and sums counts and coordinates (the ESS), the M-step takes the means.
 * Running it through vem_fit_pass gives it the engine's threads, fixed-order
 * reduction and reduce hook for free.
 */
#include "models/kmeans.h"

#include <math.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "internal.h"

typedef double v4 __attribute__((vector_size(32)));
typedef double v4u __attribute__((vector_size(32), aligned(8), may_alias));

/* The row loops are compiled twice, baseline and AVX2 (chosen at load time), so
 * that the 4 lanes of v4 are one register. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define CLONES __attribute__((target_clones("default", "arch=x86-64-v3")))
#else
#define CLONES
#endif

/*
 * Centres (or candidates) c[0..nc) of dimension d transposed into groups of 4
 * lanes, ct[(g * d + j) * 4 + lane], unused lanes zero: ng * d * 4 doubles.
 */
static void lanes_pack(const double *c, size_t nc, size_t d, double *ct)
{
    size_t ng = (nc + 3) / 4;
    for (size_t t = 0; t < ng * 4; t++)
        for (size_t j = 0; j < d; j++)
            ct[((t / 4) * d + j) * 4 + t % 4] = t < nc ? c[t * d + j] : 0.0;
}

/*
 * q[t] = sum_j (row[j] - c_t[j])^2 for the ng * 4 lanes of ct. Each lane is the
 * scalar loop's sum of squares, term for term and in the same order (this file
 * is compiled without FMA contraction), so the values, and hence the nearest
 * centre and k-means++'s choices, are those of the plain loop, bit for bit; the
 * lanes only spare the reduction the compiler will not vectorise. A macro, not
 * an inline function: see the note on v4 in gmm_kernels.c.
 */
#define LANES_DIST(row, ct, ng, d, q)                                                            \
    do {                                                                                         \
        for (size_t g_ = 0; g_ < (ng); g_++) {                                                   \
            v4 acc_ = {0.0, 0.0, 0.0, 0.0};                                                      \
            const double *cg_ = (ct) + g_ * (d) * 4;                                             \
            for (size_t j_ = 0; j_ < (d); j_++) {                                                \
                const double x_ = (row)[j_];                                                     \
                v4 t_ = (v4){x_, x_, x_, x_} - *(const v4u *)(const void *)(cg_ + j_ * 4);       \
                acc_ += t_ * t_;                                                                 \
            }                                                                                    \
            *(v4u *)(void *)((q) + g_ * 4) = acc_;                                               \
        }                                                                                        \
    } while (0)

/* ------------------------------------------------ column moments (2 passes) */

typedef struct moments {
    size_t d;
    const double *mean; /* NULL: first pass (sums); else second pass (squared deviations) */
} moments;

static size_t mom_ess_len(const void *self) { return ((const moments *)self)->d; }
static size_t mom_n_units(const void *self, const vem_data *x) { (void)self; return x->x.rows; }
static double mom_n_obs(const void *self, const vem_data *x) { (void)self; return (double)x->x.rows; }

static double mom_estep(const void *self, const vem_data *x, size_t u0, size_t u1, double *ess,
                        double *scratch)
{
    const moments *m = self;
    (void)scratch;
    for (size_t r = u0; r < u1; r++) {
        const double *row = x->x.data + r * x->x.ld;
        if (m->mean) {
            for (size_t j = 0; j < m->d; j++) {
                double t = row[j] - m->mean[j];
                ess[j] += t * t;
            }
        } else {
            for (size_t j = 0; j < m->d; j++)
                ess[j] += row[j];
        }
    }
    return 0.0;
}

static const vem_model_ops moments_ops = {
    .name = "moments",
    .ess_len = mom_ess_len,
    .n_units = mom_n_units,
    .n_obs = mom_n_obs,
    .estep = mom_estep,
};

vem_status vem__column_moments(vem_fit *f, double *mean, double *var)
{
    const vem_matrix *x = &vem_fit_data(f)->x;
    moments mo = {.d = x->cols, .mean = NULL};
    vem_model m = {.ops = &moments_ops, .self = &mo};
    double obj;
    vem_status st = vem_fit_pass(f, &m, mean, &obj);
    if (st != VEM_OK)
        return st;
    double n = vem_fit_n_obs(f);
    for (size_t j = 0; j < x->cols; j++)
        mean[j] /= n;
    mo.mean = mean;
    st = vem_fit_pass(f, &m, var, &obj);
    if (st != VEM_OK)
        return st;
    for (size_t j = 0; j < x->cols; j++)
        var[j] /= n;
    return VEM_OK;
}

/* -------------------------------------------------------- Lloyd's E-step */

typedef struct kmeans {
    size_t k, d;
    const double *centers;
    const double *ct; /* the centres in lanes (lanes_pack) */
} kmeans;

static size_t km_ess_len(const void *self)
{
    const kmeans *m = self;
    return m->k + m->k * m->d;
}

static size_t km_scratch_len(const void *self, size_t block)
{
    const kmeans *m = self;
    (void)block;
    return (m->k + 3) / 4 * 4; /* one row's distances */
}

/*
 * Lloyd's assignment step: each row to its nearest centre (the first of equals),
 * distances in vector lanes over the centres. Measured here at d = 16, k = 8:
 * a pass is bound by reading the rows from memory, and screening with a GEMM
 * (||x||^2 - 2 x.c + ||c||^2) was slower, its packing of each block costing more
 * than the distances it replaces.
 */
CLONES static double km_rows(const kmeans *m, const vem_data *x, size_t u0, size_t u1,
                            double *ess, double *scratch)
{
    const size_t k = m->k, d = m->d, ng = (k + 3) / 4;
    double *q = scratch;
    double inertia = 0.0;
    for (size_t r = u0; r < u1; r++) {
        const double *row = x->x.data + r * x->x.ld;
        LANES_DIST(row, m->ct, ng, d, q);
        size_t c = 0;
        double dist = INFINITY;
        for (size_t t = 0; t < k; t++)
            if (q[t] < dist) {
                dist = q[t];
                c = t;
            }
        inertia += dist;
        ess[c] += 1.0;
        double *s = ess + m->k + c * m->d;
        for (size_t j = 0; j < m->d; j++)
            s[j] += row[j];
    }
    return -inertia;
}

static double km_estep(const void *self, const vem_data *x, size_t u0, size_t u1, double *ess,
                       double *scratch)
{
    return km_rows(self, x, u0, u1, ess, scratch);
}

static const vem_model_ops kmeans_ops = {
    .name = "kmeans",
    .ess_len = km_ess_len,
    .scratch_len = km_scratch_len,
    .n_units = mom_n_units,
    .n_obs = mom_n_obs,
    .estep = km_estep,
};

vem_status vem__kmeans_lloyd(vem_fit *f, size_t k, double *centers, size_t max_iter, double tol,
                             double *inertia)
{
    const vem_matrix *x = &vem_fit_data(f)->x;
    const size_t d = x->cols;
    double *ess = vem__alloc_doubles(k + k * d, 1);
    double *mean = vem__alloc_doubles(d, 1), *var = vem__alloc_doubles(d, 1);
    double *ct = vem__alloc_doubles((k + 3) / 4 * 4, d);
    vem_status st = VEM_OK;
    if (!ess || !mean || !var || !ct) {
        st = VEM_FAIL(VEM_ENOMEM, "k-means");
        goto done;
    }
    /* scikit-learn's tolerance: tol times the mean column variance. */
    st = vem__column_moments(f, mean, var);
    if (st != VEM_OK)
        goto done;
    double tol_abs = 0.0;
    for (size_t j = 0; j < d; j++)
        tol_abs += var[j];
    tol_abs = tol * tol_abs / (double)d;
    kmeans km = {.k = k, .d = d, .centers = centers, .ct = ct};
    vem_model m = {.ops = &kmeans_ops, .self = &km};
    double obj = 0.0;
    for (size_t it = 0; it < max_iter; it++) {
        lanes_pack(centers, k, d, ct);
        st = vem_fit_pass(f, &m, ess, &obj);
        if (st != VEM_OK)
            goto done;
        double shift = 0.0;
        for (size_t c = 0; c < k; c++) {
            if (ess[c] == 0.0)
                continue; /* an empty cluster keeps its centre */
            for (size_t j = 0; j < d; j++) {
                double v = ess[k + c * d + j] / ess[c];
                double t = v - centers[c * d + j];
                shift += t * t;
                centers[c * d + j] = v;
            }
        }
        if (shift <= tol_abs)
            break;
    }
    if (inertia)
        *inertia = -obj;
done:
    vem__free(ess);
    vem__free(mean);
    vem__free(var);
    vem__free(ct);
    return st;
}

/* ---------------------------------------------------- k-means++ seeding */

/* More candidates than 2 + ln k can reach for any size_t k. */
#define MAXCAND 48

/* Rows [lo, hi) of potential(): sums into s[0..nc). */
CLONES static void pot_rows(const vem_matrix *x, size_t lo, size_t hi, const double *cand,
                            const double *ct, size_t nc, double *closest, int update, double *s)
{
    const size_t d = x->cols, ng = (nc + 3) / 4;
    for (size_t t = 0; t < nc; t++)
        s[t] = 0.0;
    for (size_t r = lo; r < hi; r++) {
        const double *row = x->data + r * x->ld;
        double q[MAXCAND];
        if (ct) {
            LANES_DIST(row, ct, ng, d, q);
        } else {
            for (size_t t = 0; t < nc; t++) {
                double a = 0.0;
                for (size_t j = 0; j < d; j++) {
                    double u = row[j] - cand[t * d + j];
                    a += u * u;
                }
                q[t] = a;
            }
        }
        for (size_t t = 0; t < nc; t++) {
            double v = q[t] < closest[r] ? q[t] : closest[r];
            s[t] += v;
            if (update)
                closest[r] = v;
        }
    }
}

/*
 * For each of the nc candidates (rows of cand, nc <= MAXCAND): the sum over rows
 * of min(closest[r], |x_r - cand_t|^2), into pot[t], all in one pass over x. If
 * update (nc must be 1), also store the minima in closest. Rows are summed in
 * fixed chunks, and the chunks in order, so the totals do not depend on the
 * thread count; each distance is the same sum of squares, in the same order, as
 * a scalar loop computes (the 4 candidates of a vector are independent lanes;
 * this file is compiled without FMA contraction), so the results equal those
 * of evaluating the candidates one pass at a time.
 */
static void potential(const vem_matrix *x, const double *cand, size_t nc, double *closest,
                      int update, int nthreads, double *pot)
{
    enum { NCHUNK = 64 };
    double part[NCHUNK][MAXCAND];
    const size_t n = x->rows, d = x->cols, ng = (nc + 3) / 4;
    /* Candidates transposed into groups of 4 lanes: ct[(g * d + j) * 4 + lane]. */
    double *ct = vem__alloc_doubles(ng * d * 4, 1);
    if (ct) /* else (out of memory for a few doubles) the scalar loop below */
        lanes_pack(cand, nc, d, ct);
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(nthreads)
#endif
    for (long ch = 0; ch < NCHUNK; ch++) {
        size_t lo = (size_t)ch * n / NCHUNK, hi = ((size_t)ch + 1) * n / NCHUNK;
        pot_rows(x, lo, hi, cand, ct, nc, closest, update, part[ch]);
    }
#ifndef _OPENMP
    (void)nthreads;
#endif
    for (size_t t = 0; t < nc; t++) {
        double a = 0.0;
        for (size_t ch = 0; ch < NCHUNK; ch++)
            a += part[ch][t];
        pot[t] = a;
    }
    vem__free(ct);
}

/*
 * For each target t: the first row whose running sum of closest[] exceeds it (the
 * last row with weight if none: round-off can leave a target >= the total). One
 * scan for all targets, in increasing order; the running sum is the same as
 * one scan per target would compute.
 */
static void draw_rows(const double *closest, size_t n, const double *target, size_t nt,
                      size_t *out)
{
    size_t order[MAXCAND];
    for (size_t t = 0; t < nt; t++) {
        size_t p = t;
        while (p > 0 && target[order[p - 1]] > target[t]) {
            order[p] = order[p - 1];
            p--;
        }
        order[p] = t;
    }
    size_t next = 0;
    double acc = 0.0;
    for (size_t r = 0; r < n && next < nt; r++) {
        acc += closest[r];
        while (next < nt && acc > target[order[next]])
            out[order[next++]] = r;
    }
    if (next < nt) {
        size_t last = n - 1;
        for (size_t r = n; r-- > 0;)
            if (closest[r] > 0.0) {
                last = r;
                break;
            }
        while (next < nt)
            out[order[next++]] = last;
    }
}

vem_status vem__kmeanspp(vem_fit *f, size_t k, vem_rng *rng, double *centers, size_t *idx)
{
    const vem_matrix *x = &vem_fit_data(f)->x;
    const size_t n = x->rows, d = x->cols;
    int nthreads = vem_fit_options(f)->nthreads;
#ifdef _OPENMP
    if (nthreads <= 0)
        nthreads = omp_get_max_threads();
#endif
    if (n < k)
        return VEM_FAIL(VEM_EINVAL, "%zu rows, fewer than k=%zu", n, k);
    /* The one O(n) buffer of the initialisation: each row's squared distance
     * to its closest centre so far (8 MB for a million rows). */
    double *closest = vem__alloc_doubles(n, 1);
    double *cand = vem__alloc_doubles(MAXCAND, d);
    if (!closest || !cand) {
        vem__free(closest);
        vem__free(cand);
        return VEM_FAIL(VEM_ENOMEM, "k-means++: %zu distances", n);
    }
    const size_t trials = 2 + (size_t)log((double)k);
    size_t first = (size_t)vem_rng_below(rng, n);
    memcpy(centers, x->data + first * x->ld, d * sizeof *centers);
    if (idx)
        idx[0] = first;
    for (size_t r = 0; r < n; r++)
        closest[r] = INFINITY;
    double pot;
    potential(x, centers, 1, closest, 1, nthreads, &pot);
    for (size_t c = 1; c < k; c++) {
        /* Draw every candidate first (closest and pot do not change between the
         * draws), then evaluate them all in one pass. */
        double target[MAXCAND], p[MAXCAND];
        size_t rows[MAXCAND];
        for (size_t t = 0; t < trials; t++)
            target[t] = vem_rng_uniform(rng) * pot;
        draw_rows(closest, n, target, trials, rows);
        for (size_t t = 0; t < trials; t++)
            memcpy(cand + t * d, x->data + rows[t] * x->ld, d * sizeof *cand);
        potential(x, cand, trials, closest, 0, nthreads, p);
        size_t best = 0;
        double best_pot = INFINITY;
        for (size_t t = 0; t < trials; t++) {
            if (p[t] < best_pot) {
                best_pot = p[t];
                best = rows[t];
            }
        }
        memcpy(centers + c * d, x->data + best * x->ld, d * sizeof *centers);
        if (idx)
            idx[c] = best;
        potential(x, centers + c * d, 1, closest, 1, nthreads, &pot);
    }
    vem__free(closest);
    vem__free(cand);
    return VEM_OK;
}
