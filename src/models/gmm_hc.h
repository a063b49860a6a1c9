/*
 * src/models/gmm_hc.h — model-based hierarchical agglomeration (Fraley 1998),
 * the start mclust's Mclust() gives EM: the rows, transformed as mclust's
 * hcUse = "SVD", are merged pairwise by the unconstrained (VVV) Gaussian
 * classification likelihood, and the tree is cut at each K. Univariate data
 * start, as Mclust(), from quantile classes. Not installed.
 */
#ifndef VEM_GMM_HC_H
#define VEM_GMM_HC_H

#include <vem/gmm.h>

/*
 * The merge tree of the n rows x (stride ld) of d >= 2 columns: pairs[2 s] and
 * pairs[2 s + 1] are the lowest row indices of the two clusters joined at step
 * s < n - 1 (the first n - k steps leave k clusters, vem__hc_cut).
 * Memory: n (n - 1) / 2 doubles of merge costs plus O(n d^2); VEM_EINVAL if n >
 * VEM__HC_MAX_TREE_ROWS or that does not fit in size_t, VEM_ENOMEM.
 */
vem_status vem__hc_tree(const double *x, size_t n, size_t d, size_t ld, size_t *pairs);

/* The most rows a tree is built for: 65536 rows need 17 GB of pair costs. */
#define VEM__HC_MAX_TREE_ROWS 65536

/*
 * Labels (0-based, numbered by first appearance in row order, as mclust's
 * partconv) of the k clusters left after the first n - k merges of pairs.
 * work: n size_t.
 */
void vem__hc_cut(const size_t *pairs, size_t n, size_t k, size_t *labels, size_t *work);

/*
 * Mclust()'s starting partitions of the rows x (n x d, stride ld) for each of
 * ks[0..nk): labels nk x n, row i for ks[i] (0-based, by first appearance).
 * d >= 2: the tree above cut at each K; d = 1: mclust's quantile classes (qclass).
 * VEM_EINVAL for k = 0 or k > n, or sizes that overflow; VEM_ENOMEM.
 */
vem_status vem__hc_partitions(const double *x, size_t n, size_t d, size_t ld, const size_t *ks,
                              size_t nk, size_t *labels);

/*
 * The tree of one initialisation sample, shared by the fits of a model selection
 * (vem_gmm_select) so that it is built once and cut at every K, as Mclust(). n: the
 * sample's rows (0 until built); pairs: the tree of its hc rows (vem__hc_rows).
 */
typedef struct vem__hc_cache {
    size_t n;
    size_t *pairs;
} vem__hc_cache;

/* Borrow cache (NULL: none) for g's next fits with VEM_INIT_HC; defined in gmm.c. */
void vem__gmm_set_hc_cache(vem_gmm *g, vem__hc_cache *cache);

/*
 * The rows of an initialisation sample of n rows that the hierarchical start
 * uses: all when n <= VEM_GMM_HC_MAX_ROWS, else m = VEM_GMM_HC_MAX_ROWS rows
 * i n / m, i < m (mclust draws its 2000 at random). Writes the count to *m and,
 * when rows is not NULL, the indices.
 */
void vem__hc_rows(size_t n, size_t *m, size_t *rows);

#endif /* VEM_GMM_HC_H */
