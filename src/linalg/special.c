/*
 * src/linalg/special.c — digamma, trigamma and log-gamma for positive
 * arguments, and Gamma deviates, for the variational models (LDA, VB).
 *
 * The three special functions shift the argument up by the recurrences
 * psi(x) = psi(x + 1) - 1/x, psi'(x) = psi'(x + 1) + 1/x^2 and
 * log Gamma(x) = log Gamma(x + 1) - log x until x >= 10, then sum their
 * asymptotic (Stirling) series (Abramowitz & Stegun 6.1.41, 6.3.18, 6.4.12),
 * truncated where the first omitted term is below 1e-16 of the result at
 * x = 10. Our own lgamma also avoids libm's write to the global signgam,
 * a data race when several threads call lgamma().
 */
#include <math.h>

#include "linalg/special.h"

#define SHIFT_TO 10.0
#define HALF_LOG_2PI 0.91893853320467274178

/* - sum_n B_2n / (2n y^2n), n = 1..7, at f = 1 / y^2. */
static double digamma_series(double f)
{
    return f * (-1.0 / 12 +
                f * (1.0 / 120 +
                     f * (-1.0 / 252 +
                          f * (1.0 / 240 +
                               f * (-1.0 / 132 + f * (691.0 / 32760 + f * (-1.0 / 12)))))));
}

/*
 * Shift x up to y >= SHIFT_TO; returns sum_j 1 / (x + j) over the shift as one
 * fraction num / den (num' = num (x + j) + den, den' = den (x + j)): one division
 * instead of one per step. den is at most a product of ten factors below 20.
 */
static double shift_up(double *x)
{
    double y = *x;
    if (y >= SHIFT_TO)
        return 0.0;
    if (!(y > 0.0)) {
        /* Only positive arguments are used (and a huge negative one would take |x|
         * steps): NaN, which the callers' objectives report as a numerical failure. */
        *x = NAN;
        return NAN;
    }
    double num = 0.0, den = 1.0;
    while (y < SHIFT_TO) {
        num = num * y + den;
        den *= y;
        y += 1.0;
    }
    *x = y;
    return num / den;
}

double vem__digamma(double x)
{
    double r = shift_up(&x);
    return log(x) - 0.5 / x + digamma_series(1.0 / (x * x)) - r;
}

double vem__exp_digamma(double x)
{
    /* exp(psi(x)) = y exp(-1/(2y) + series - sum 1/(x+j)): one exp, no log. */
    double r = shift_up(&x);
    return x * exp(-0.5 / x + digamma_series(1.0 / (x * x)) - r);
}

double vem__trigamma(double x)
{
    if (!(x > 0.0))
        return NAN; /* as shift_up: a huge negative x would take |x| steps */
    double r = 0.0;
    while (x < SHIFT_TO) {
        r += 1.0 / (x * x);
        x += 1.0;
    }
    double ix = 1.0 / x, f = ix * ix;
    /* 1/x + 1/(2x^2) + sum_n B_2n / x^(2n+1) */
    double t = ix * f *
               (1.0 / 6 +
                f * (-1.0 / 30 +
                     f * (1.0 / 42 +
                          f * (-1.0 / 30 + f * (5.0 / 66 + f * (-691.0 / 2730 + f * (7.0 / 6)))))));
    return r + ix + 0.5 * f + t;
}

double vem__lgamma(double x)
{
    if (!(x > 0.0))
        return NAN; /* as shift_up: a huge negative x would take |x| steps */
    double prod = 1.0;
    int shifted = 0;
    while (x < SHIFT_TO) {
        prod *= x;
        x += 1.0;
        shifted = 1;
    }
    double ix = 1.0 / x, f = ix * ix;
    /* sum_n B_2n / (2n (2n - 1) x^(2n-1)), n = 1..7 */
    double t = ix * (1.0 / 12 +
                     f * (-1.0 / 360 +
                          f * (1.0 / 1260 +
                               f * (-1.0 / 1680 +
                                    f * (1.0 / 1188 + f * (-691.0 / 360360 + f * (1.0 / 156)))))));
    double s = (x - 0.5) * log(x) - x + HALF_LOG_2PI + t;
    return shifted ? s - log(prod) : s;
}

double vem__gamma_draw(vem_rng *r, double shape)
{
    if (shape < 1.0) {
        /* Gamma(a) = Gamma(a + 1) U^(1/a) (Marsaglia & Tsang 2000, section 6). */
        double u = vem_rng_uniform(r);
        while (u <= 0.0)
            u = vem_rng_uniform(r);
        return vem__gamma_draw(r, shape + 1.0) * pow(u, 1.0 / shape);
    }
    /* Marsaglia & Tsang (2000), "A simple method for generating gamma variables". */
    const double d = shape - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double x, v;
        do {
            x = vem_rng_normal(r);
            v = 1.0 + c * x;
        } while (v <= 0.0);
        v = v * v * v;
        double u = vem_rng_uniform(r);
        double x2 = x * x;
        if (u < 1.0 - 0.0331 * x2 * x2)
            return d * v;
        if (u > 0.0 && log(u) < 0.5 * x2 + d * (1.0 - v + log(v)))
            return d * v;
    }
}

double vem__poisson_draw(vem_rng *r, double lambda)
{
    if (!(lambda > 0.0))
        return 0.0;
    if (lambda < 10.0) {
        /* Inversion by sequential search: P(0) = e^-lambda, P(j) = P(j - 1) lambda / j. */
        double u = vem_rng_uniform(r), p = exp(-lambda), cdf = p;
        double j = 0.0;
        while (u > cdf && j < 1000.0) {
            j += 1.0;
            p *= lambda / j;
            cdf += p;
        }
        return j;
    }
    /* Hormann (1993), "The transformed rejection method for generating Poisson random
     * variables", algorithm PTRS. */
    const double slam = sqrt(lambda), loglam = log(lambda);
    const double b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
    const double inv_alpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2.0);
    for (;;) {
        const double u = vem_rng_uniform(r) - 0.5, v = vem_rng_uniform(r);
        const double us = 0.5 - fabs(u);
        const double k = floor((2.0 * a / us + b) * u + lambda + 0.43);
        if (us >= 0.07 && v <= vr)
            return k;
        if (k < 0.0 || (us < 0.013 && v > us))
            continue;
        if (log(v) + log(inv_alpha) - log(a / (us * us) + b) <=
            -lambda + k * loglam - lgamma(k + 1.0))
            return k;
    }
}
