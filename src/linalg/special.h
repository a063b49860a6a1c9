/*
 * src/linalg/special.h — special functions and the random Gamma draw shared by
 * the variational models (LDA, the Bayesian mixture, Bayesian linear
 * regression): src/linalg/special.c. Not installed.
 */
#ifndef VEM_SPECIAL_H
#define VEM_SPECIAL_H

#include <vem/common.h>

/* Digamma psi(x) = d/dx log Gamma(x) for x > 0, to about 1e-15 relative; NaN for x <= 0
 * or NaN (vem__exp_digamma too). */
double vem__digamma(double x);
/* exp(psi(x)) for x > 0 without a log (0 when it underflows, for x below about 1/745). */
double vem__exp_digamma(double x);
/* Trigamma psi'(x) for x > 0; NaN for x <= 0 or NaN. */
double vem__trigamma(double x);
/* log Gamma(x) for x > 0 (thread-safe: no signgam); NaN for x <= 0 or NaN. */
double vem__lgamma(double x);
/* One Gamma(shape, 1) deviate (Marsaglia & Tsang 2000); shape > 0. */
double vem__gamma_draw(vem_rng *r, double shape);
/* One Poisson(lambda) deviate (as a double): inversion for lambda < 10, else Hormann's
 * (1993) transformed rejection PTRS; 0 for lambda <= 0. */
double vem__poisson_draw(vem_rng *r, double lambda);

#endif /* VEM_SPECIAL_H */
