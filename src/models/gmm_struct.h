/*
 * src/models/gmm_struct.h — the M-steps of the structured covariance models
 * (Celeux & Govaert 1995; Browne & McNicholas 2014; mclust's definitions) from
 * the components' scatter matrices. Not installed.
 */
#ifndef VEM_GMM_STRUCT_H
#define VEM_GMM_STRUCT_H

#include <vem/gmm.h>

/* The inner iterations' rule and their warm-start state (shapes and orientation). */
typedef struct vem__mstate {
    size_t max_iter; /* inner iterations at most */
    double tol;      /* stop when |t - t_prev| / (1 + |t|) <= tol */
    int ok;          /* shape (and orient) hold the previous M-step's solution */
    double *shape;   /* k x d shapes (the first d for common-shape models) */
    double *orient;  /* d x d common orientation D^T (column-major; EVE, VVE) */
    size_t iter;     /* out: inner iterations of the last call */
} vem__mstate;

/* Doubles of work vem__gmm_struct_cov needs. */
size_t vem__gmm_struct_work_len(size_t k, size_t d);

/*
 * Covariances of structure cov (one of EII, EEI, VEI, EVI, VEE, EVE, VVE, EEV, VEV,
 * EVV) maximising the expected complete-data log-likelihood given the soft counts
 * nk (k) and the scatter matrices about the new means, w: k x d x d (symmetric,
 * both triangles) for the full layout, k x d (the diagonals) for the diag and
 * spherical layouts. covs receives the covariances in cov's layout
 * (vem_cov_layout). No regularisation is added. VEM_ENUMERIC when a scatter matrix
 * or an intermediate is singular (non-positive determinant or eigenvalue).
 */
vem_status vem__gmm_struct_cov(vem_cov cov, size_t k, size_t d, const double *nk,
                               const double *w, double *covs, vem__mstate *ms, double *work);

#endif /* VEM_GMM_STRUCT_H */
