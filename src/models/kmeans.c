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
} kmeans;

static size_t km_ess_len(const void *self)
{
    const kmeans *m = self;
    return m->k + m->k * m->d;
}

static size_t nearest(const double *row, const double *centers, size_t k, size_t d, double *dist)
{
    size_t best = 0;
    double bd = INFINITY;
    for (size_t c = 0; c < k; c++) {
        const double *m = centers + c * d;
        double q = 0.0;
        for (size_t j = 0; j < d; j++) {
            double t = row[j] - m[j];
            q += t * t;
        }
        if (q < bd) {
            bd = q;
            best = c;
        }
    }
    *dist = bd;
    return best;
}

static double km_estep(const void *self, const vem_data *x, size_t u0, size_t u1, double *ess,
                       double *scratch)
{
    const kmeans *m = self;
    (void)scratch;
    double inertia = 0.0;
    for (size_t r = u0; r < u1; r++) {
        const double *row = x->x.data + r * x->x.ld;
        double dist;
        size_t c = nearest(row, m->centers, m->k, m->d, &dist);
        inertia += dist;
        ess[c] += 1.0;
        double *s = ess + m->k + c * m->d;
        for (size_t j = 0; j < m->d; j++)
            s[j] += row[j];
    }
    return -inertia;
}

static const vem_model_ops kmeans_ops = {
    .name = "kmeans",
    .ess_len = km_ess_len,
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
    vem_status st = VEM_OK;
    if (!ess || !mean || !var) {
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
    kmeans km = {.k = k, .d = d, .centers = centers};
    vem_model m = {.ops = &kmeans_ops, .self = &km};
    double obj = 0.0;
    for (size_t it = 0; it < max_iter; it++) {
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
    return st;
}

/* ---------------------------------------------------- k-means++ seeding */

/*
 * Sum over rows of min(closest[r], |x_r - cand|^2), in fixed chunks summed in
 * order so the total does not depend on the thread count; if update, also
 * store the minima in closest.
 */
static double potential(const vem_matrix *x, const double *cand, double *closest, int update,
                        int nthreads)
{
    enum { NCHUNK = 64 };
    double part[NCHUNK];
    const size_t n = x->rows, d = x->cols;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(nthreads)
#endif
    for (long ch = 0; ch < NCHUNK; ch++) {
        size_t lo = (size_t)ch * n / NCHUNK, hi = ((size_t)ch + 1) * n / NCHUNK;
        double s = 0.0;
        for (size_t r = lo; r < hi; r++) {
            const double *row = x->data + r * x->ld;
            double q = 0.0;
            for (size_t j = 0; j < d; j++) {
                double t = row[j] - cand[j];
                q += t * t;
            }
            double v = q < closest[r] ? q : closest[r];
            if (update)
                closest[r] = v;
            s += v;
        }
        part[ch] = s;
    }
#ifndef _OPENMP
    (void)nthreads;
#endif
    double s = 0.0;
    for (size_t ch = 0; ch < NCHUNK; ch++)
        s += part[ch];
    return s;
}

/* The first row whose running sum of closest[] exceeds target (the last row if none). */
static size_t draw_row(const double *closest, size_t n, double target)
{
    double acc = 0.0;
    for (size_t r = 0; r < n; r++) {
        acc += closest[r];
        if (acc > target)
            return r;
    }
    /* Round-off can leave target >= the total: take the last row with weight. */
    for (size_t r = n; r-- > 0;)
        if (closest[r] > 0.0)
            return r;
    return n - 1;
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
    double *closest = vem__alloc_doubles(n, 1);
    if (!closest)
        return VEM_FAIL(VEM_ENOMEM, "k-means++: %zu distances", n);
    const size_t trials = 2 + (size_t)log((double)k);
    size_t first = (size_t)vem_rng_below(rng, n);
    memcpy(centers, x->data + first * x->ld, d * sizeof *centers);
    if (idx)
        idx[0] = first;
    for (size_t r = 0; r < n; r++)
        closest[r] = INFINITY;
    double pot = potential(x, centers, closest, 1, nthreads);
    for (size_t c = 1; c < k; c++) {
        size_t best = 0;
        double best_pot = INFINITY;
        for (size_t t = 0; t < trials; t++) {
            size_t cand = draw_row(closest, n, vem_rng_uniform(rng) * pot);
            double p = potential(x, x->data + cand * x->ld, closest, 0, nthreads);
            if (p < best_pot) {
                best_pot = p;
                best = cand;
            }
        }
        memcpy(centers + c * d, x->data + best * x->ld, d * sizeof *centers);
        if (idx)
            idx[c] = best;
        pot = potential(x, centers + c * d, closest, 1, nthreads);
    }
    vem__free(closest);
    return VEM_OK;
}
