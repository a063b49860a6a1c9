/*
 * src/models/gmm_hc.c — model-based hierarchical agglomeration, the start of
 * mclust's Mclust() (Fraley 1998, "Algorithms for model-based Gaussian
 * hierarchical clustering", SIAM J. Sci. Comput. 20(1), 270-281; Banfield &
 * Raftery 1993; mclust 6.0's defaults hc(modelName = "VVV", use = "SVD")).
 *
 * The transform (hcUse = "SVD"): the columns are centred and divided by their
 * standard deviations (n - 1 denominator; constant columns dropped), Y = U S V^T,
 * and the rows to cluster are Z = Y V S^{-1/2}, i.e. U S^{1/2}: the principal
 * components scaled by the square root of their singular values (not whitened).
 * The criterion below depends on Z only through determinants and traces of
 * scatter matrices, so the signs and order of V's columns do not matter.
 *
 * The criterion (VVV, the classification likelihood with a free covariance per
 * cluster, regularised as mclust does): a cluster of l rows with scatter matrix W
 * (sum of outer products of the deviations from its mean, p x p) costs
 *     T = l log(beta (tr W + alpha) / l)                     when l <= p,
 *     T = l log(det(W / l) + beta (tr W + alpha) / l)        when l > p,
 * (a singular W, or tr W = 0, takes the first form), with beta = 1 and alpha =
 * tr(scatter of Z) / (n p) (mclust's traceW(Z / sqrt(n p)), at least machine
 * epsilon). So a singleton costs log(alpha beta), and small clusters, whose
 * determinant would be zero, are ranked by their trace. Every step joins the pair
 * of clusters (a, b) whose join raises the sum of T least,
 *     cost(a, b) = T(a u b) - T(a) - T(b),
 * W(a u b) = W_a + W_b + (n_a n_b / (n_a + n_b)) (m_a - m_b)(m_a - m_b)^T.
 *
 * Ties: clusters sit in slots 0 .. m-1; the costs are kept for every pair (i < j)
 * in the order j (j - 1) / 2 + i, and the pair taken is the last of the smallest
 * in that order. After a join of (i, j) the new cluster takes slot i and the
 * cluster in the last slot moves to slot j. This is mclust's bookkeeping, so that
 * exact ties (duplicate rows) are broken as mclust breaks them.
 *
 * Memory: the n (n - 1) / 2 pair costs (16 MB at n = 2000) and, per cluster, its
 * mean and scatter matrix (n (p + p^2) doubles). Time: O(n^2 p^3) for the costs.
 * The search keeps each column's minimum (and its last row), so a step rescans
 * only the columns whose minimum it raised: O(n^2) in all when few are, O(n^3) at
 * worst (mclust scans every pair at every step). 0.3 s for 2000 rows, p = 3.
 *
 * Univariate data (d = 1): Mclust() does not build a tree but starts from
 * quantile classes (mclust's qclass): the smallest number of evenly spaced
 * quantiles (R's type 7) with at least K + 1 distinct values, the surplus
 * removed at the smallest gaps, the ends widened by sd sqrt(eps); class i holds
 * the rows in [q_i, q_{i+1}).
 *
 * Written from mclust's documentation, its R code and Fraley (1998); the
 * implementation (slot moves on a packed triangle, Cholesky determinants) is
 * this file's own.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "linalg/linalg.h"
#include "models/gmm_hc.h"

void vem__hc_rows(size_t n, size_t *m, size_t *rows)
{
    size_t mm = n <= VEM_GMM_HC_MAX_ROWS ? n : VEM_GMM_HC_MAX_ROWS;
    *m = mm;
    if (rows)
        for (size_t i = 0; i < mm; i++)
            rows[i] = mm == n ? i : (size_t)(((unsigned long long)i * n) / mm);
}

/* ------------------------------------------------------------ transform */

/*
 * Z (n x p, row-major, allocated) from x as hcUse = "SVD". p = 0 when every
 * column is constant.
 */
static vem_status svd_transform(const double *x, size_t n, size_t d, size_t ld, double **zout,
                                size_t *pout)
{
    *zout = NULL;
    *pout = 0;
    size_t nd, dd;
    if (!vem__mul_ok(n, d, &nd) || !vem__mul_ok(d, d, &dd))
        return VEM_FAIL(VEM_EINVAL, "hierarchical start: %zu x %zu data overflow", n, d);
    double *mean = vem__alloc_doubles(d, 3);
    double *y = vem__alloc_doubles(n, d);
    double *g = vem__alloc_doubles(d, d);
    size_t lwork = vem__sym_eig_work_len(d);
    double *work = vem__alloc_doubles(lwork, 1);
    double *z = NULL;
    vem_status st = VEM_OK;
    if (!mean || !y || !g || !work) {
        st = VEM_FAIL(VEM_ENOMEM, "hierarchical start: transform of %zu x %zu", n, d);
        goto done;
    }
    double *sd = mean + d, *lam = mean + 2 * d;
    size_t q = 0;
    for (size_t j = 0; j < d; j++) {
        double s = 0.0;
        for (size_t r = 0; r < n; r++)
            s += x[r * ld + j];
        double mu = s / (double)n, ss = 0.0;
        for (size_t r = 0; r < n; r++) {
            double e = x[r * ld + j] - mu;
            ss += e * e;
        }
        double sdv = n > 1 ? sqrt(ss / (double)(n - 1)) : 0.0;
        if (!(sdv > 0.0) || !isfinite(sdv))
            continue; /* constant column: R's scale() makes it NaN, dropCols drops it */
        for (size_t r = 0; r < n; r++)
            y[r * d + q] = (x[r * ld + j] - mu) / sdv;
        mean[q] = mu;
        sd[q] = sdv;
        q++;
    }
    if (q == 0)
        goto done;
    /* Y^T Y = V S^2 V^T. */
    for (size_t a = 0; a < q; a++)
        for (size_t b = 0; b <= a; b++) {
            double s = 0.0;
            for (size_t r = 0; r < n; r++)
                s += y[r * d + a] * y[r * d + b];
            g[a * q + b] = g[b * q + a] = s;
        }
    if (vem__sym_eig(q, g, lam, work, lwork) != 0) {
        st = VEM_FAIL(VEM_ENUMERIC, "hierarchical start: eigen-decomposition failed");
        goto done;
    }
    /* Directions of (numerically) zero variance are left out: their S^{-1/2} is
     * meaningless (R would divide by a rounding error). */
    double lmax = lam[q - 1];
    size_t p = 0;
    for (size_t c = 0; c < q; c++)
        if (lam[c] > lmax * (double)q * 64.0 * DBL_EPSILON)
            p++;
    z = vem__alloc_doubles(n, p ? p : 1);
    if (!z) {
        st = VEM_FAIL(VEM_ENOMEM, "hierarchical start: transform of %zu x %zu", n, d);
        goto done;
    }
    /* Largest first, as R's svd orders them (the order does not change the tree). */
    for (size_t c = 0; c < p; c++) {
        size_t e = q - 1 - c;
        const double *v = g + e * q;
        double scale = 1.0 / sqrt(sqrt(lam[e])); /* S^{-1/2}, S = sqrt(lambda) */
        for (size_t r = 0; r < n; r++) {
            double s = 0.0;
            for (size_t a = 0; a < q; a++)
                s += y[r * d + a] * v[a];
            z[r * p + c] = s * scale;
        }
    }
    *zout = z;
    *pout = p;
    z = NULL;
done:
    vem__free(mean);
    vem__free(y);
    vem__free(g);
    vem__free(work);
    vem__free(z);
    return st;
}

/* ---------------------------------------------------------------- tree */

typedef struct hc {
    size_t p;
    double alpha, beta;
    size_t *cnt, *rep; /* per slot: rows, lowest row */
    double *mean;      /* per slot, p */
    double *w;         /* per slot, p x p scatter (both triangles) */
    double *tr, *term; /* per slot */
    double *cost;      /* packed pairs (NaN stored as +inf: never the smallest) */
    double *colv;      /* per column j: the smallest cost(i, j), i < j */
    size_t *cola;      /* per column j: the last i with that cost */
    double *tw, *tl, *tm; /* work: p x p, p x p, p */
} hc;

static double term_of(const hc *h, size_t l, double tr, const double *w)
{
    const double lf = (double)l;
    const double base = h->beta * (tr + h->alpha) / lf;
    if (l <= h->p)
        return lf * log(base);
    if (tr == 0.0)
        return lf * log(h->alpha * h->beta / lf);
    if (vem__cholesky(h->p, w, h->tl) != 0)
        return lf * log(base); /* singular: the trace term alone */
    double detlog = 0.0;
    for (size_t k = 0; k < h->p; k++)
        detlog += log(h->tl[k * h->p + k]);
    detlog = 2.0 * detlog - (double)h->p * log(lf);
    if (detlog <= 0.0)
        return lf * log(exp(detlog) + base);
    return lf * (log(1.0 + exp(-detlog) * base) + detlog);
}

/* Join slots a and b into the work arrays: count, mean (tm), scatter (tw), trace. */
static size_t join(hc *h, size_t a, size_t b, double *tr)
{
    const size_t p = h->p, na = h->cnt[a], nb = h->cnt[b], nab = na + nb;
    const double *ma = h->mean + a * p, *mb = h->mean + b * p;
    const double c = (double)na * (double)nb / (double)nab;
    const double *wa = h->w + a * p * p, *wb = h->w + b * p * p;
    double dd = 0.0;
    for (size_t i = 0; i < p; i++) {
        double di = ma[i] - mb[i];
        h->tm[i] = di;
        dd += di * di;
    }
    for (size_t i = 0; i < p; i++)
        for (size_t j = 0; j < p; j++)
            h->tw[i * p + j] = (wa[i * p + j] + wb[i * p + j]) + c * h->tm[i] * h->tm[j];
    *tr = (h->tr[a] + h->tr[b]) + c * dd;
    return nab;
}

static double pair_cost(hc *h, size_t a, size_t b)
{
    double tr;
    size_t l = join(h, a, b, &tr);
    return term_of(h, l, tr, h->tw) - (h->term[a] + h->term[b]);
}

static inline size_t pidx(size_t i, size_t j) /* i < j */
{
    return j * (j - 1) / 2 + i;
}

static double cost_of(hc *h, size_t a, size_t b)
{
    double c = pair_cost(h, a, b);
    return isnan(c) ? INFINITY : c;
}

/* Column j's smallest cost and the last row index holding it. */
static void column_scan(hc *h, size_t j)
{
    const double *c = h->cost + pidx(0, j);
    double v = c[0];
    size_t a = 0;
    for (size_t i = 1; i < j; i++)
        if (c[i] <= v) {
            v = c[i];
            a = i;
        }
    h->colv[j] = v;
    h->cola[j] = a;
}

/* Entry (e, j) of column j becomes w (the column's minimum was right before). */
static void column_set(hc *h, size_t e, size_t j, double w)
{
    h->cost[pidx(e, j)] = w;
    if (w < h->colv[j]) {
        h->colv[j] = w;
        h->cola[j] = e;
    } else if (w == h->colv[j]) {
        if (e > h->cola[j])
            h->cola[j] = e;
    } else if (e == h->cola[j]) {
        column_scan(h, j);
    }
}

static void hc_clear(hc *h)
{
    vem__free(h->cnt);
    vem__free(h->rep);
    vem__free(h->mean);
    vem__free(h->w);
    vem__free(h->tr);
    vem__free(h->term);
    vem__free(h->cost);
    vem__free(h->colv);
    vem__free(h->cola);
    vem__free(h->tw);
    vem__free(h->tl);
    vem__free(h->tm);
}

/* The tree of the n rows z (n x p, contiguous) into pairs. */
static vem_status tree_vvv(const double *z, size_t n, size_t p, size_t *pairs)
{
    hc h;
    memset(&h, 0, sizeof h);
    h.p = p;
    if (n < 2)
        return VEM_OK;
    size_t npair, pp, npp;
    if (!vem__mul_ok(n, n - 1, &npair) || !vem__mul_ok(npair / 2, sizeof(double), &npair) ||
        !vem__mul_ok(p, p, &pp) || !vem__mul_ok(n, pp, &npp))
        return VEM_FAIL(VEM_EINVAL,
                        "hierarchical start: %zu rows need n (n - 1) / 2 pair costs, more than "
                        "memory can address",
                        n);
    npair /= sizeof(double);
    if (n > VEM__HC_MAX_TREE_ROWS)
        return VEM_FAIL(VEM_EINVAL,
                        "hierarchical start: %zu rows would need %.1f GB of pair costs; at most "
                        "%d rows (cluster a subset)",
                        n, (double)npair * 8e-9, VEM__HC_MAX_TREE_ROWS);
    /* Each row's cluster keeps a p x p scatter: n p^2 doubles, with the pair costs. */
    char what[112];
    snprintf(what, sizeof what, "hierarchical start: %zu rows x %zu x %zu scatter", n, p, p);
    vem_status mst = vem__check_memory(what, ((double)n * (double)pp + (double)n * (double)p +
                                              (double)npair) * sizeof(double));
    if (mst != VEM_OK)
        return mst;
    h.cnt = vem__calloc(n, sizeof *h.cnt);
    h.rep = vem__calloc(n, sizeof *h.rep);
    h.mean = vem__alloc_doubles(n, p);
    h.w = vem__alloc_doubles(n, pp);
    h.tr = vem__alloc_doubles(n, 1);
    h.term = vem__alloc_doubles(n, 1);
    h.cost = vem__alloc_doubles(npair, 1);
    h.colv = vem__alloc_doubles(n, 1);
    h.cola = vem__calloc(n, sizeof *h.cola);
    h.tw = vem__alloc_doubles(pp, 1);
    h.tl = vem__alloc_doubles(pp, 1);
    h.tm = vem__alloc_doubles(p, 1);
    if (!h.cnt || !h.rep || !h.mean || !h.w || !h.tr || !h.term || !h.cost || !h.colv ||
        !h.cola || !h.tw || !h.tl || !h.tm) {
        hc_clear(&h);
        return VEM_FAIL(VEM_ENOMEM,
                        "hierarchical start: %zu rows need %zu pair costs (%.0f MB)", n, npair,
                        (double)npair * 8e-6);
    }
    /* alpha = tr(scatter of Z) / (n p), mclust's traceW(Z / sqrt(n p)). */
    double trz = 0.0;
    for (size_t c = 0; c < p; c++) {
        double s = 0.0;
        for (size_t r = 0; r < n; r++)
            s += z[r * p + c];
        double mu = s / (double)n;
        for (size_t r = 0; r < n; r++) {
            double e = z[r * p + c] - mu;
            trz += e * e;
        }
    }
    h.alpha = fmax(trz / ((double)n * (double)p), DBL_EPSILON);
    h.beta = 1.0;
    const double single = log(h.alpha * h.beta);
    for (size_t r = 0; r < n; r++) {
        h.cnt[r] = 1;
        h.rep[r] = r;
        memcpy(h.mean + r * p, z + r * p, p * sizeof *z);
        h.term[r] = single;
    }
    for (size_t j = 1; j < n; j++) {
        for (size_t i = 0; i < j; i++)
            h.cost[pidx(i, j)] = cost_of(&h, i, j);
        column_scan(&h, j);
    }
    for (size_t m = n, s = 0; m >= 2; m--, s++) {
        /* The last smallest cost in packed order: the last column holding the smallest
         * column minimum, and in it the last row (each column keeps its own). */
        size_t j = 1;
        for (size_t c = 2; c < m; c++)
            if (h.colv[c] <= h.colv[j])
                j = c;
        size_t i = h.cola[j];
        pairs[2 * s] = h.rep[i] < h.rep[j] ? h.rep[i] : h.rep[j];
        pairs[2 * s + 1] = h.rep[i] < h.rep[j] ? h.rep[j] : h.rep[i];
        if (m == 2)
            break;
        /* Cluster i u j into slot i. */
        double tr;
        size_t l = join(&h, i, j, &tr);
        double *mi = h.mean + i * p;
        const double *mj = h.mean + j * p;
        const double fi = (double)h.cnt[i] / (double)l, fj = (double)h.cnt[j] / (double)l;
        for (size_t c = 0; c < p; c++)
            mi[c] = fi * mi[c] + fj * mj[c];
        memcpy(h.w + i * pp, h.tw, pp * sizeof *h.tw);
        h.term[i] = term_of(&h, l, tr, h.tw);
        h.tr[i] = tr;
        h.cnt[i] = l;
        h.rep[i] = pairs[2 * s];
        /* The last slot moves into slot j (column j is rescanned below). */
        const size_t last = m - 1;
        if (j != last) {
            h.cnt[j] = h.cnt[last];
            h.rep[j] = h.rep[last];
            h.tr[j] = h.tr[last];
            h.term[j] = h.term[last];
            memcpy(h.mean + j * p, h.mean + last * p, p * sizeof *h.mean);
            memcpy(h.w + j * pp, h.w + last * pp, pp * sizeof *h.w);
            for (size_t x = 0; x < j; x++)
                h.cost[pidx(x, j)] = h.cost[pidx(x, last)];
            for (size_t x = j + 1; x < last; x++)
                column_set(&h, j, x, h.cost[pidx(x, last)]);
        }
        /* The costs of the new cluster in slot i. */
        for (size_t x = 0; x < i; x++)
            h.cost[pidx(x, i)] = cost_of(&h, x, i);
        if (i > 0)
            column_scan(&h, i);
        for (size_t x = i + 1; x < last; x++) {
            if (x == j)
                h.cost[pidx(i, j)] = cost_of(&h, i, j);
            else
                column_set(&h, i, x, cost_of(&h, i, x));
        }
        if (j < last)
            column_scan(&h, j);
    }
    hc_clear(&h);
    return VEM_OK;
}

vem_status vem__hc_tree(const double *x, size_t n, size_t d, size_t ld, size_t *pairs)
{
    double *z = NULL;
    size_t p = 0;
    vem_status st = svd_transform(x, n, d, ld, &z, &p);
    if (st != VEM_OK)
        return st;
    if (p == 0) {
        /* Every column constant: every join costs the same; join in row order. */
        for (size_t s = 0; s + 1 < n; s++) {
            pairs[2 * s] = 0;
            pairs[2 * s + 1] = s + 1;
        }
    } else {
        st = tree_vvv(z, n, p, pairs);
    }
    vem__free(z);
    return st;
}

static size_t uf_find(size_t *parent, size_t r)
{
    while (parent[r] != r) {
        parent[r] = parent[parent[r]];
        r = parent[r];
    }
    return r;
}

void vem__hc_cut(const size_t *pairs, size_t n, size_t k, size_t *labels, size_t *work)
{
    for (size_t r = 0; r < n; r++)
        work[r] = r;
    for (size_t s = 0; s + k < n; s++) {
        size_t a = uf_find(work, pairs[2 * s]), b = uf_find(work, pairs[2 * s + 1]);
        if (a < b)
            work[b] = a;
        else
            work[a] = b;
    }
    for (size_t r = 0; r < n; r++)
        labels[r] = uf_find(work, r);
    /* By first appearance (the roots are each cluster's lowest row). */
    size_t next = 0;
    for (size_t r = 0; r < n; r++)
        work[r] = SIZE_MAX;
    for (size_t r = 0; r < n; r++) {
        size_t root = labels[r];
        if (work[root] == SIZE_MAX)
            work[root] = next++;
        labels[r] = work[root];
    }
}

/* ------------------------------------------------------- univariate data */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* R's quantile(type 7) of the sorted s (n values) at probability pr, in R's
 * arithmetic (1-based index 1 + (n - 1) pr, so that ties of rounding agree). */
static double quantile7(const double *s, size_t n, double pr)
{
    double index = 1.0 + (double)(n - 1) * pr;
    double lo = floor(index), hi = ceil(index);
    size_t l = (size_t)lo - 1, u = (size_t)hi - 1;
    if (u >= n)
        u = n - 1;
    double q = s[l];
    if (index > lo && s[u] != q) {
        double h = index - lo;
        q = (1.0 - h) * q + h * s[u];
    }
    return q;
}

/* mclust's qclass: labels 0 .. k-1 by value. work: 2 (n + 1) + (k + 2) doubles... see caller. */
static vem_status qclass(const double *x, size_t n, size_t ld, size_t k, size_t *labels)
{
    double *s = vem__alloc_doubles(n, 1);
    double *q = vem__alloc_doubles(n + 2, 1);
    size_t *ord = vem__calloc(n + 2, sizeof *ord);
    if (!s || !q || !ord) {
        vem__free(s);
        vem__free(q);
        vem__free(ord);
        return VEM_FAIL(VEM_ENOMEM, "quantile start of %zu rows", n);
    }
    double sum = 0.0;
    for (size_t r = 0; r < n; r++) {
        s[r] = x[r * ld];
        sum += s[r];
    }
    double mu = sum / (double)n, ss = 0.0;
    for (size_t r = 0; r < n; r++)
        ss += (s[r] - mu) * (s[r] - mu);
    double eps = (n > 1 ? sqrt(ss / (double)(n - 1)) : 0.0) * sqrt(DBL_EPSILON);
    qsort(s, n, sizeof *s, cmp_double);
    size_t nq = k, nu = 0;
    while (nu < k + 1 && nq <= n + 1) {
        nq++;
        nu = 0;
        for (size_t i = 0; i < nq; i++) {
            /* R's seq(0, 1, length.out = nq): i * (1 / (nq - 1)), the ends exact. */
            double pr = i + 1 == nq ? 1.0 : (double)i * (1.0 / (double)(nq - 1));
            double v = quantile7(s, n, pr);
            if (nu == 0 || v != q[nu - 1])
                q[nu++] = v;
        }
    }
    vem_status st = VEM_OK;
    if (nu < k + 1) {
        st = VEM_FAIL(VEM_EINVAL, "quantile start: too few distinct values for k=%zu", k);
        goto done;
    }
    /* Surplus quantiles: drop the left ends of the smallest gaps (stable order). */
    while (nu > k + 1) {
        size_t nr = nu - k - 1;
        /* ord: gap indices sorted by gap, ties by index (insertion sort: nu is small). */
        for (size_t i = 0; i + 1 < nu; i++) {
            size_t t = i;
            double gi = q[i + 1] - q[i];
            while (t > 0 && q[ord[t - 1] + 1] - q[ord[t - 1]] > gi) {
                ord[t] = ord[t - 1];
                t--;
            }
            ord[t] = i;
        }
        /* Mark the nr removed, then compact. */
        for (size_t i = 0; i < nr; i++)
            q[ord[i]] = NAN;
        size_t w = 0;
        for (size_t i = 0; i < nu; i++)
            if (!isnan(q[i]))
                q[w++] = q[i];
        nu = w;
    }
    q[0] = s[0] - eps;
    q[k] = s[n - 1] + eps;
    for (size_t r = 0; r < n; r++) {
        double v = x[r * ld];
        size_t c = 0;
        for (size_t i = 0; i < k; i++)
            if (v >= q[i] && v < q[i + 1])
                c = i;
        labels[r] = c;
    }
done:
    vem__free(s);
    vem__free(q);
    vem__free(ord);
    return st;
}

vem_status vem__hc_partitions(const double *x, size_t n, size_t d, size_t ld, const size_t *ks,
                              size_t nk, size_t *labels)
{
    for (size_t i = 0; i < nk; i++)
        if (ks[i] == 0 || ks[i] > n)
            return VEM_FAIL(VEM_EINVAL, "hierarchical start: k=%zu must be in [1, %zu rows]",
                            ks[i], n);
    size_t *work = vem__calloc(n ? 2 * n : 1, sizeof *work);
    if (!work)
        return VEM_FAIL(VEM_ENOMEM, "hierarchical start of %zu rows", n);
    vem_status st = VEM_OK;
    if (d == 1) {
        for (size_t i = 0; i < nk && st == VEM_OK; i++) {
            size_t *lab = labels + i * n;
            st = ks[i] == 1 ? VEM_OK : qclass(x, n, ld, ks[i], lab);
            if (ks[i] == 1)
                memset(lab, 0, n * sizeof *lab);
            if (st == VEM_OK) { /* by first appearance, as the trees' cuts */
                size_t next = 0;
                for (size_t c = 0; c < n; c++)
                    work[c] = SIZE_MAX;
                for (size_t r = 0; r < n; r++) {
                    if (work[lab[r]] == SIZE_MAX)
                        work[lab[r]] = next++;
                    lab[r] = work[lab[r]];
                }
            }
        }
    } else if (n > VEM__HC_MAX_TREE_ROWS) {
        st = VEM_FAIL(VEM_EINVAL,
                      "hierarchical start: %zu rows would need %.1f GB of pair costs; at most "
                      "%d rows (cluster a subset)",
                      n, (double)n * (double)(n - 1) * 4e-9, VEM__HC_MAX_TREE_ROWS);
    } else {
        size_t *pairs = n > 1 ? vem__calloc(2 * (n - 1), sizeof *pairs) : NULL;
        if (n > 1 && !pairs)
            st = VEM_FAIL(VEM_ENOMEM, "hierarchical start of %zu rows", n);
        if (st == VEM_OK && n > 1)
            st = vem__hc_tree(x, n, d, ld, pairs);
        for (size_t i = 0; i < nk && st == VEM_OK; i++)
            vem__hc_cut(pairs, n, ks[i], labels + i * n, work);
        vem__free(pairs);
    }
    vem__free(work);
    return st;
}

vem_status vem_gmm_hc_classes(const vem_matrix *x, const size_t *ks, size_t nk, size_t *labels)
{
    if (!x || (!x->data && x->rows > 0) || x->cols == 0 || x->ld < x->cols || !ks || !labels)
        return VEM_FAIL(VEM_EINVAL, "vem_gmm_hc_classes: no data, ks or labels");
    return vem__hc_partitions(x->data, x->rows, x->cols, x->ld, ks, nk, labels);
}
