/*
 * tests/test_plot_geom.c — the geometry of `vem plot` (cli/plot_geom.c, compiled into
 * this test): nice ticks, ellipses, the bivariate normal, marching squares, quantiles,
 * the Jensen-Shannon distance and classical multidimensional scaling.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <vem/vem.h>

#include "check.h"
#include "plot.h"

static void check_ticks(double lo, double hi, size_t target, int integer, size_t n,
                        const double *want, double step, int decimals)
{
    plot_ticks t;
    plot_nice_ticks(lo, hi, target, integer, &t);
    CHECK(t.n == n);
    for (size_t i = 0; i < n && i < t.n; i++)
        CHECK_ABS(t.v[i], want[i], 1e-12 * step);
    CHECK_REL(t.step, step, 1e-12);
    CHECK(t.decimals == decimals);
}

static void test_ticks_known(void)
{
    /* Old Faithful's axes (the ranges plot_axis_range gives them). */
    check_ticks(1.46, 5.24, 6, 0, 4, (const double[]){2, 3, 4, 5}, 1, 0);
    check_ticks(40.88, 98.12, 6, 0, 5, (const double[]){50, 60, 70, 80, 90}, 10, 0);
    check_ticks(-0.0123, 0.0456, 6, 0, 6, (const double[]){-0.01, 0, 0.01, 0.02, 0.03, 0.04}, 0.01,
                2);
    check_ticks(0.6, 3.4, 6, 1, 3, (const double[]){1, 2, 3}, 1, 0);
    check_ticks(0, 1e9, 6, 0, 6, (const double[]){0, 2e8, 4e8, 6e8, 8e8, 1e9}, 2e8, 0);
    check_ticks(2322.19, 4024.72, 6, 0, 4, (const double[]){2500, 3000, 3500, 4000}, 500, 0);
    /* Zero is exactly zero, not 1e-17. */
    plot_ticks t;
    plot_nice_ticks(-0.3, 0.3, 6, 0, &t);
    int zero = 0;
    for (size_t i = 0; i < t.n; i++)
        zero += t.v[i] == 0.0 && !signbit(t.v[i]);
    CHECK(zero == 1);
}

/* Every range: between 2 and PLOT_MAX_TICKS ticks inside it, evenly spaced by 1, 2 or 5
 * times a power of ten. */
static void test_ticks_any_range(void)
{
    vem_rng rng;
    vem_rng_seed(&rng, 2385);
    int bad = 0;
    for (int trial = 0; trial < 20000; trial++) {
        /* Spans from 1e-6 to 1e6, away from zero by up to 5e5 spans. */
        double span = pow(10, 12 * vem_rng_uniform(&rng) - 6);
        double lo = (vem_rng_uniform(&rng) - 0.5) * span * pow(10, 6 * vem_rng_uniform(&rng));
        double hi = lo + span;
        size_t target = 2 + (size_t)(vem_rng_uniform(&rng) * 10);
        plot_ticks t;
        plot_nice_ticks(lo, hi, target, 0, &t);
        double e = floor(log10(t.step) + 1e-9), m = t.step / pow(10, e);
        int ok = t.n >= 2 && t.n <= PLOT_MAX_TICKS &&
                 (fabs(m - 1) < 1e-9 || fabs(m - 2) < 1e-9 || fabs(m - 5) < 1e-9);
        for (size_t i = 0; ok && i < t.n; i++) {
            /* Rounding: 1e-9 steps, or a few ulps of values far from zero. */
            double tol = 1e-9 * t.step + 4e-16 * fabs(t.v[i]);
            ok &= t.v[i] >= lo - tol && t.v[i] <= hi + tol;
            if (i)
                ok &= fabs(t.v[i] - t.v[i - 1] - t.step) <= 2 * tol;
        }
        /* About the target: not more than twice as many, nor fewer than a third. */
        ok &= t.n <= 2 * target + 1 && 3 * t.n + 3 >= target;
        bad += !ok;
    }
    CHECK(bad == 0);
}

static void test_axis_range(void)
{
    double lo, hi;
    plot_axis_range(1.6, 5.1, 0.04, &lo, &hi);
    CHECK_REL(lo, 1.46, 1e-12);
    CHECK_REL(hi, 5.24, 1e-12);
    plot_axis_range(3, 3, 0.04, &lo, &hi);
    CHECK_REL(lo, 2.7, 1e-12);
    CHECK_REL(hi, 3.3, 1e-12);
    plot_axis_range(0, 0, 0.04, &lo, &hi);
    CHECK(lo == -1 && hi == 1);
}

static void test_ellipse(void)
{
    const double mu[2] = {1.5, -2}, s[4] = {2.385, 0.7, 0.7, 1.1};
    double xy[2 * 64];
    const double det = s[0] * s[3] - s[1] * s[2];
    for (int r = 1; r <= 2; r++) {
        CHECK(plot_ellipse(mu, s, r, 64, xy) == 0);
        double worst = 0;
        for (size_t i = 0; i < 64; i++) {
            double dx = xy[2 * i] - mu[0], dy = xy[2 * i + 1] - mu[1];
            double m2 = (s[3] * dx * dx - 2 * s[1] * dx * dy + s[0] * dy * dy) / det;
            worst = fmax(worst, fabs(m2 - r * r));
        }
        CHECK(worst < 1e-12);
    }
    /* The first point: mu + r (l11, l21). */
    CHECK_REL(xy[0], 1.5 + 2 * sqrt(2.385), 1e-14);
    CHECK_REL(xy[1], -2 + 2 * 0.7 / sqrt(2.385), 1e-14);
    const double bad[4] = {1, 2, 2, 1};
    double before = xy[0];
    CHECK(plot_ellipse(mu, bad, 1, 64, xy) == -1);
    CHECK(xy[0] == before);
    CHECK(plot_normal2(mu, mu, bad) == 0);
    CHECK_REL(plot_normal2(mu, mu, s), 1 / (2 * PLOT_PI * sqrt(det)), 1e-14);
    const double x[2] = {2.5, -1};
    double z = ((s[3] - 2 * s[1] + s[0]) / det); /* (1, 1) S^-1 (1, 1)^T */
    CHECK_REL(plot_normal2(x, mu, s), exp(-0.5 * z) / (2 * PLOT_PI * sqrt(det)), 1e-14);
}

typedef struct seg_stats {
    size_t n;
    double worst, length;
} seg_stats;

static void on_segment(void *ctx, double x0, double y0, double x1, double y1)
{
    seg_stats *s = ctx;
    s->n++;
    s->worst = fmax(s->worst, fabs(hypot(x0, y0) - 1));
    s->worst = fmax(s->worst, fabs(hypot(x1, y1) - 1));
    s->length += hypot(x1 - x0, y1 - y0);
}

static void test_contour(void)
{
    enum { N = 101 };
    static double f[N * N];
    double xs[N], ys[N];
    for (size_t i = 0; i < N; i++)
        xs[i] = ys[i] = -2 + 4.0 * (double)i / (N - 1);
    for (size_t j = 0; j < N; j++)
        for (size_t i = 0; i < N; i++)
            f[j * N + i] = xs[i] * xs[i] + ys[j] * ys[j];
    seg_stats st = {0, 0, 0};
    size_t n = plot_contour(f, N, N, xs, ys, 1.0, on_segment, &st);
    CHECK(n == st.n && n > 100);
    /* Linear interpolation of r^2 along a cell's edge (h = 0.04) is off by < h^2. */
    CHECK(st.worst < 0.04 * 0.04);
    CHECK_REL(st.length, 2 * PLOT_PI, 2e-3);
    /* A level outside the values: nothing. */
    st = (seg_stats){0, 0, 0};
    CHECK(plot_contour(f, N, N, xs, ys, 9.0, on_segment, &st) == 0 && st.n == 0);

    /* A saddle f = x y on one cell, level 0.1: two segments, cutting off the corners of
     * the other side from the centre (whose value is 0 < 0.1). */
    const double sx[2] = {-1, 1}, sy[2] = {-1, 1};
    const double sf[4] = {1, -1, -1, 1}; /* (-1,-1) (1,-1) / (-1,1) (1,1) */
    st = (seg_stats){0, 0, 0};
    CHECK(plot_contour(sf, 2, 2, sx, sy, 0.1, on_segment, &st) == 2 && st.n == 2);
}

static void test_quantile(void)
{
    double v[4] = {3, 1, 2, 4};
    CHECK(plot_quantile(v, 4, 0.5) == 2.5);
    CHECK(plot_quantile(v, 4, 0) == 1);
    CHECK(plot_quantile(v, 4, 1) == 4);
    CHECK_REL(plot_quantile(v, 4, 0.1), 1.3, 1e-14);
    double one = 2.385;
    CHECK(plot_quantile(&one, 1, 0.3) == 2.385);
}

static void test_js(void)
{
    const double p[3] = {0.2, 0.3, 0.5}, q[3] = {0.5, 0.5, 0}, r[3] = {0, 0, 1};
    const double a[2] = {0.5, 0.5}, b[2] = {1, 0};
    CHECK(plot_js_distance(p, p, 3) == 0);
    CHECK_REL(plot_js_distance(q, r, 3), 1, 1e-14);
    CHECK_REL(plot_js_distance(a, b, 2), 0.5579230452841438, 1e-14);
    CHECK_REL(plot_js_distance(p, q, 3), plot_js_distance(q, p, 3), 1e-15);
}

static void test_mds(void)
{
    /* Five points of the plane: their scaling has the same distances. */
    const double pts[5][2] = {{0, 0}, {3, 0.5}, {1.2, 2.385}, {-1.7, 1.1}, {0.4, -2}};
    double d[25], xy[10];
    for (size_t i = 0; i < 5; i++)
        for (size_t j = 0; j < 5; j++)
            d[i * 5 + j] = hypot(pts[i][0] - pts[j][0], pts[i][1] - pts[j][1]);
    CHECK(plot_mds(d, 5, xy) == 0);
    double worst = 0;
    for (size_t i = 0; i < 5; i++)
        for (size_t j = 0; j < 5; j++)
            worst = fmax(worst, fabs(hypot(xy[2 * i] - xy[2 * j], xy[2 * i + 1] - xy[2 * j + 1]) -
                                     d[i * 5 + j]));
    CHECK(worst < 1e-10);
    /* Centred, and each axis's largest coordinate positive. */
    double sx = 0, sy = 0, bx = 0, by = 0;
    for (size_t i = 0; i < 5; i++) {
        sx += xy[2 * i];
        sy += xy[2 * i + 1];
        if (fabs(xy[2 * i]) > fabs(bx))
            bx = xy[2 * i];
        if (fabs(xy[2 * i + 1]) > fabs(by))
            by = xy[2 * i + 1];
    }
    CHECK(fabs(sx) < 1e-10 && fabs(sy) < 1e-10 && bx > 0 && by > 0);
    /* Three points on a line: the second axis is empty. */
    const double line[9] = {0, 1, 3, 1, 0, 2, 3, 2, 0};
    double l2[6];
    CHECK(plot_mds(line, 3, l2) == 0);
    CHECK(fabs(l2[1]) < 1e-7 && fabs(l2[3]) < 1e-7 && fabs(l2[5]) < 1e-7);
    CHECK_REL(fabs(l2[4] - l2[0]), 3, 1e-12);
    double one[2] = {7, 7};
    const double zero = 0;
    CHECK(plot_mds(&zero, 1, one) == 0 && one[0] == 0 && one[1] == 0);
}

int main(void)
{
    test_ticks_known();
    test_ticks_any_range();
    test_axis_range();
    test_ellipse();
    test_contour();
    test_quantile();
    test_js();
    test_mds();
    return check_report("plot_geom");
}
