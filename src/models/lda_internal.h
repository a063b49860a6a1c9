/*
 * src/models/lda_internal.h — special functions and the random Gamma draw used
 * by latent Dirichlet allocation (src/models/lda_math.c), exposed for tests.
 * Not installed.
 */
#ifndef VEM_LDA_INTERNAL_H
#define VEM_LDA_INTERNAL_H

#include <vem/common.h>

/* Digamma psi(x) = d/dx log Gamma(x) for x > 0, to about 1e-15 relative. */
double vem__digamma(double x);
/* exp(psi(x)) for x > 0 without a log (0 when it underflows, for x below about 1/745). */
double vem__exp_digamma(double x);
/* Trigamma psi'(x) for x > 0. */
double vem__trigamma(double x);
/* log Gamma(x) for x > 0 (thread-safe: no signgam). */
double vem__lgamma(double x);
/* One Gamma(shape, 1) deviate (Marsaglia & Tsang 2000); shape > 0. */
double vem__gamma_draw(vem_rng *r, double shape);

#endif /* VEM_LDA_INTERNAL_H */
