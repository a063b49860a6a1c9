/*
 * src/models/gmm_grad.h — the unconstrained coordinates of the structured covariance
 * models (EII, EEI, VEI, EVI, VEE, EVE, VVE, EEV, VEV, EVV) for the Gaussian mixture's
 * objective gradient (model.h, ess_gradient; docs/acceleration.md). Sigma_k = lambda_k
 * D_k A_k D_k^T + r I (Celeux & Govaert 1995), r the reg_covar that the M-step adds:
 * log volumes, the shapes' log diagonals in a contrast basis, the orientations as
 * D = D0 Cayley(W). Not installed.
 */
#ifndef VEM_GMM_GRAD_H
#define VEM_GMM_GRAD_H

#include <vem/gmm.h>

/* The number of coordinates of cov's covariances for k components in d dimensions. */
size_t vem__gmm_sgrad_len(vem_cov cov, size_t k, size_t d);

/* Doubles of the reference (and current point) that the functions below share. */
size_t vem__gmm_sgrad_ref_len(vem_cov cov, size_t k, size_t d);

/* Doubles of work any of the functions below needs. */
size_t vem__gmm_sgrad_work_len(size_t k, size_t d);

/*
 * Fix the reference point ref (vem__gmm_sgrad_ref_len doubles) from weights (k) and
 * covs (k covariances in cov's layout, vem_cov_layout) less r on their diagonals, the
 * coordinates' origin; the current point is set to it (all coordinates 0). Covariances
 * that are not of the structure are projected onto it (their log variances averaged
 * over what the structure shares, off-diagonals along the axes dropped). VEM_ENUMERIC
 * when a covariance less r I is not positive definite.
 */
vem_status vem__gmm_sgrad_ref(vem_cov cov, size_t k, size_t d, const double *weights,
                              const double *covs, double r, double *ref, double *work);

/* The covariances (cov's layout) at the coordinates uc (vem__gmm_sgrad_len doubles). */
void vem__gmm_sgrad_covs(vem_cov cov, size_t k, size_t d, const double *ref, const double *uc,
                         double *covs, double *work);

/* The current point: the coordinates the gradient is evaluated at (set them after the
 * covariances they give have been accepted). */
double *vem__gmm_sgrad_current(double *ref);

/*
 * grad (vem__gmm_sgrad_len doubles) = d loglik / d uc at the current point, from the soft
 * counts nk (k) and the scatter matrices about the means, scat: k x d x d (both
 * triangles) for the full layout, k x d (their diagonals) for diag and spherical.
 */
void vem__gmm_sgrad_grad(vem_cov cov, size_t k, size_t d, const double *ref, const double *nk,
                         const double *scat, double *grad, double *work);

#endif /* VEM_GMM_GRAD_H */
