/*
 * src/models/kmeans.h — k-means (k-means++ seeding and Lloyd's iterations) on
 * the engine, used to initialise mixtures (and later HMM emissions).
 */
#ifndef VEM_KMEANS_H
#define VEM_KMEANS_H

#include <vem/fit.h>

/*
 * Greedy k-means++ seeding (Arthur & Vassilvitskii 2007, with 2 + floor(ln k)
 * candidates per centre as scikit-learn does): writes k x d centres to centers
 * and, if idx is non-NULL, the chosen row indices. Rows of f's data.
 */
vem_status vem__kmeanspp(vem_fit *f, size_t k, vem_rng *rng, double *centers, size_t *idx);

/*
 * Lloyd's iterations from centers (k x d, updated in place) until the summed
 * squared centre shift is <= tol * mean column variance or max_iter. Empty
 * clusters keep their centre. *inertia receives the final sum of squared
 * distances (may be NULL).
 */
vem_status vem__kmeans_lloyd(vem_fit *f, size_t k, double *centers, size_t max_iter, double tol,
                             double *inertia);

/* Column means (d) and variances (d, divisor n) of f's rows, by two passes. */
vem_status vem__column_moments(vem_fit *f, double *mean, double *var);

#endif /* VEM_KMEANS_H */
