/*
 * cli/plot_geom.c — the geometry of `vem plot`, without cairo (cli/plot.h): nice ticks,
 * ellipses, contours, quantiles, Jensen-Shannon distances and classical MDS.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot.h"

void plot_nice_ticks(double lo, double hi, size_t target, int integer, plot_ticks *t)
{
    memset(t, 0, sizeof *t);
    if (!(hi > lo) || !isfinite(lo) || !isfinite(hi)) {
        t->n = 1;
        t->v[0] = lo;
        t->step = 1;
        return;
    }
    if (target < 2)
        target = 2;
    /* Heckbert's rounding of the raw step to 1, 2, 5 or 10 times a power of ten, then
     * coarser steps while too many ticks would fit. */
    double raw = (hi - lo) / (double)(target - 1);
    double e = floor(log10(raw)), f = raw / pow(10, e);
    double m = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
    double step = m * pow(10, e);
    if (m == 10)
        m = 1;
    if (integer && step < 1)
        step = m = 1;
    for (;;) {
        double first = ceil(lo / step - 1e-9), last = floor(hi / step + 1e-9);
        if (last - first + 1 <= PLOT_MAX_TICKS)
            break;
        step *= m == 2 ? 2.5 : 2; /* 1 -> 2 -> 5 -> 10 */
        m = m == 1 ? 2 : m == 2 ? 5 : 1;
    }
    /* At least two ticks: finer steps (10 -> 5 -> 2 -> 1) while fewer fall in the range. */
    while (!integer || step > 1) {
        double first = ceil(lo / step - 1e-9), last = floor(hi / step + 1e-9);
        if (last - first + 1 >= 2)
            break;
        step /= m == 5 ? 2.5 : 2; /* 5 -> 2 -> 1 -> 0.5 */
        m = m == 5 ? 2 : m == 2 ? 1 : 5;
    }
    double first = ceil(lo / step - 1e-9), last = floor(hi / step + 1e-9);
    for (double i = first; i <= last && t->n < PLOT_MAX_TICKS; i++) {
        double v = i * step;
        t->v[t->n++] = fabs(v) < step * 1e-9 ? 0.0 : v;
    }
    t->step = step;
    double digits = -floor(log10(step) + 1e-9);
    t->decimals = digits > 0 ? (int)digits : 0;
}

void plot_axis_range(double min, double max, double pad, double *lo, double *hi)
{
    if (!(max > min)) {
        double w = min != 0 ? fabs(min) * 0.1 : 1;
        *lo = min - w;
        *hi = min + w;
        return;
    }
    *lo = min - pad * (max - min);
    *hi = max + pad * (max - min);
}

/* The Cholesky factor (l11, l21, l22) of s; 0, or -1 when s is not positive definite. */
static int chol2(const double s[4], double *l11, double *l21, double *l22)
{
    if (!(s[0] > 0) || !isfinite(s[0]) || !isfinite(s[1]) || !isfinite(s[3]))
        return -1;
    *l11 = sqrt(s[0]);
    *l21 = s[1] / *l11;
    double r = s[3] - *l21 * *l21;
    if (!(r > 0))
        return -1;
    *l22 = sqrt(r);
    return 0;
}

int plot_ellipse(const double mu[2], const double s[4], double r, size_t n, double *xy)
{
    double l11, l21, l22;
    if (chol2(s, &l11, &l21, &l22) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        double t = 2 * PLOT_PI * (double)i / (double)n, c = cos(t), sn = sin(t);
        xy[2 * i] = mu[0] + r * l11 * c;
        xy[2 * i + 1] = mu[1] + r * (l21 * c + l22 * sn);
    }
    return 0;
}

double plot_normal2(const double x[2], const double mu[2], const double s[4])
{
    double l11, l21, l22;
    if (chol2(s, &l11, &l21, &l22) != 0)
        return 0;
    double z1 = (x[0] - mu[0]) / l11;
    double z2 = (x[1] - mu[1] - l21 * z1) / l22;
    return exp(-0.5 * (z1 * z1 + z2 * z2)) / (2 * PLOT_PI * l11 * l22);
}

/* The point where the level crosses the edge from (xa, ya) valued fa to (xb, yb) fb. */
static void cross(double xa, double ya, double fa, double xb, double yb, double fb, double level,
                  double *x, double *y)
{
    double t = fb != fa ? (level - fa) / (fb - fa) : 0.5;
    *x = xa + t * (xb - xa);
    *y = ya + t * (yb - ya);
}

size_t plot_contour(const double *f, size_t nx, size_t ny, const double *xs, const double *ys,
                    double level, plot_segment_fn fn, void *ctx)
{
    size_t count = 0;
    for (size_t j = 0; j + 1 < ny; j++)
        for (size_t i = 0; i + 1 < nx; i++) {
            /* Corners counter-clockwise from the bottom left; edge e joins corner e and
             * corner e + 1 (mod 4). */
            const double cx[4] = {xs[i], xs[i + 1], xs[i + 1], xs[i]};
            const double cy[4] = {ys[j], ys[j], ys[j + 1], ys[j + 1]};
            const double v[4] = {f[j * nx + i], f[j * nx + i + 1], f[(j + 1) * nx + i + 1],
                                 f[(j + 1) * nx + i]};
            if (!isfinite(v[0]) || !isfinite(v[1]) || !isfinite(v[2]) || !isfinite(v[3]))
                continue;
            int above[4], n_above = 0;
            for (int c = 0; c < 4; c++)
                n_above += above[c] = v[c] >= level;
            if (n_above == 0 || n_above == 4)
                continue;
            double px[4], py[4];
            int has[4];
            for (int e = 0; e < 4; e++) {
                int a = e, b = (e + 1) % 4;
                has[e] = above[a] != above[b];
                if (has[e])
                    cross(cx[a], cy[a], v[a], cx[b], cy[b], v[b], level, &px[e], &py[e]);
            }
            int n_cross = has[0] + has[1] + has[2] + has[3];
            if (n_cross == 2) {
                int e0 = -1, e1 = -1;
                for (int e = 0; e < 4; e++)
                    if (has[e]) {
                        if (e0 < 0)
                            e0 = e;
                        else
                            e1 = e;
                    }
                fn(ctx, px[e0], py[e0], px[e1], py[e1]);
                count++;
            } else {
                /* A saddle: corners 0 and 2 on one side, 1 and 3 on the other. When the
                 * centre is on corner 0's side, 0 and 2 are joined through it and the
                 * segments cut off corners 1 (edges 0, 1) and 3 (edges 2, 3); else they cut
                 * off corners 0 (edges 3, 0) and 2 (edges 1, 2). */
                int centre = (v[0] + v[1] + v[2] + v[3]) / 4 >= level;
                if (centre == above[0]) {
                    fn(ctx, px[0], py[0], px[1], py[1]);
                    fn(ctx, px[2], py[2], px[3], py[3]);
                } else {
                    fn(ctx, px[3], py[3], px[0], py[0]);
                    fn(ctx, px[1], py[1], px[2], py[2]);
                }
                count += 2;
            }
        }
    return count;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double plot_quantile(double *v, size_t n, double q)
{
    qsort(v, n, sizeof *v, cmp_double);
    double h = q * (double)(n - 1);
    size_t i = (size_t)floor(h);
    if (i + 1 >= n)
        return v[n - 1];
    return v[i] + (h - (double)i) * (v[i + 1] - v[i]);
}

double plot_js_distance(const double *p, const double *q, size_t n)
{
    double js = 0;
    for (size_t i = 0; i < n; i++) {
        double m = 0.5 * (p[i] + q[i]);
        if (p[i] > 0)
            js += 0.5 * p[i] * log(p[i] / m);
        if (q[i] > 0)
            js += 0.5 * q[i] * log(q[i] / m);
    }
    js /= log(2.0);
    return js > 0 ? sqrt(js < 1 ? js : 1) : 0;
}

/* LAPACK (Debian's liblapack.so.3): eigenvalues and vectors of a symmetric matrix. */
extern void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
                   double *w, double *work, const int *lwork, int *info);

int plot_mds(const double *d, size_t k, double *xy)
{
    memset(xy, 0, k * 2 * sizeof *xy);
    if (k < 2)
        return 0;
    if (k > 4096)
        return -1;
    double *b = malloc(k * k * sizeof *b), *w = malloc(k * sizeof *w),
           *mean = malloc(k * sizeof *mean);
    int n = (int)k, lwork = -1, info = 0;
    double q;
    if (!b || !w || !mean)
        goto fail;
    /* B = -J D^2 J / 2: squared distances, double-centred. */
    double all = 0;
    for (size_t i = 0; i < k; i++) {
        mean[i] = 0;
        for (size_t j = 0; j < k; j++)
            mean[i] += d[i * k + j] * d[i * k + j];
        all += mean[i];
        mean[i] /= (double)k;
    }
    all /= (double)(k * k);
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++)
            b[i * k + j] = -0.5 * (d[i * k + j] * d[i * k + j] - mean[i] - mean[j] + all);
    dsyev_("V", "U", &n, b, &n, w, &q, &lwork, &info);
    if (info != 0)
        goto fail;
    lwork = (int)q;
    double *work = malloc((size_t)lwork * sizeof *work);
    if (!work)
        goto fail;
    dsyev_("V", "U", &n, b, &n, w, work, &lwork, &info);
    free(work);
    if (info != 0)
        goto fail;
    /* Eigenvalues ascending; eigenvector i is column i, i.e. b[i * k ...] (column-major). */
    for (int axis = 0; axis < 2; axis++) {
        size_t e = k - 1 - (size_t)axis;
        double scale = w[e] > 0 ? sqrt(w[e]) : 0, big = 0;
        for (size_t i = 0; i < k; i++)
            if (fabs(b[e * k + i]) > fabs(big) + 1e-12)
                big = b[e * k + i];
        double sign = big < 0 ? -1 : 1;
        for (size_t i = 0; i < k; i++)
            xy[2 * i + (size_t)axis] = sign * scale * b[e * k + i];
    }
    free(b);
    free(w);
    free(mean);
    return 0;
fail:
    free(b);
    free(w);
    free(mean);
    return -1;
}
