/*
 * src/models/gmm_prior.h — the conjugate prior of Fraley & Raftery (2007) for
 * Gaussian mixtures, as mclust 6.0 applies it: MAP M-steps and the log prior.
 * Not installed.
 */
#ifndef VEM_GMM_PRIOR_H
#define VEM_GMM_PRIOR_H

#include <vem/gmm.h>

#include "models/gmm_struct.h"

/* A prior held by a mixture (copied from vem_gmm_prior). */
typedef struct vem__gprior {
    double kappa;  /* shrinkage of the means */
    double nu;     /* degrees of freedom */
    double zeta2;  /* tr(scale) / d: the scalar scale of the spherical and diagonal models */
    double *mean;  /* d */
    double *scale; /* d x d, symmetric positive definite */
} vem__gprior;

/* Doubles of work vem__gmm_prior_mstep needs (besides vem__gmm_struct_work_len). */
size_t vem__gmm_prior_work_len(size_t k, size_t d);

/*
 * The MAP M-step of structure cov from the mixture's ESS (include/vem/gmm.h's layout,
 * about the centre c; counts already carrying the 10-epsilon floor in cnt): means
 * (k x d, centred: mu_k - c) and covariances in cov's layout, without reg_covar.
 * work: vem__gmm_prior_work_len doubles; swork: vem__gmm_struct_work_len (structured
 * models only). VEM_ENUMERIC as the structured M-steps.
 */
vem_status vem__gmm_prior_mstep(const vem__gprior *p, vem_cov cov, size_t k, size_t d,
                                const double *cnt, const double *s1, const double *s2,
                                const double *center, double *means, double *covs,
                                vem__mstate *ms, double *work, double *swork);

/*
 * log p(theta) up to its normalising constant (docs: include/vem/gmm.h) for means
 * (k x d, not centred) and the precision Cholesky factors prec (cov's layout).
 */
double vem__gmm_log_prior(const vem__gprior *p, vem_cov cov, size_t k, size_t d,
                          const double *means, const double *prec);

#endif /* VEM_GMM_PRIOR_H */
