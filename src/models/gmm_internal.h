/*
 * src/models/gmm_internal.h — the Gaussian kernels of src/models/gmm.c, for
 * other models that have Gaussian parts (HMM emissions, the variational
 * Bayesian mixture). Not installed.
 *
 * A vem_gmm used this way is a bank of k Gaussians: its weights are ignored by
 * vem__gmm_log_gauss, and the ESS layout is the mixture's own:
 *     [N (k)] [S1 (k x d)] [S2: full k x d x d (upper triangles), diag and
 *     spherical k x d (squares), tied d x d (upper triangle)]
 * with S1 = sum r (x - c), S2 = sum r (x - c)(x - c)^T about the centre c.
 */
#ifndef VEM_GMM_INTERNAL_H
#define VEM_GMM_INTERNAL_H

#include <vem/gmm.h>

/* Doubles of work the functions below need for n rows. */
size_t vem__gmm_scratch_len(const vem_gmm *g, size_t n);

/* logp (n x k) = log N(x_r | mu_c, Sigma_c) for rows x[0..n) with stride ld (no weights). */
void vem__gmm_log_gauss(const vem_gmm *g, const double *x, size_t ld, size_t n, double *logp,
                        double *work);

/* Add the ESS of rows x[0..n) with responsibilities resp (n x k) into ess. work: 2 n d doubles. */
void vem__gmm_accumulate(const vem_gmm *g, const double *x, size_t ld, size_t n,
                         const double *resp, double *ess, double *work);

/* Length of the ESS array. */
size_t vem__gmm_ess_len(const vem_gmm *g);

/* The mixture's M-step from ESS (weights N_k / sum N, means, covariances + reg_covar). */
vem_status vem__gmm_mstep(vem_gmm *g, const double *ess);

/* Set the fixed centre c of the statistics (d doubles); keep it fixed during a fit. */
void vem__gmm_set_center(vem_gmm *g, const double *center);
/* The centre c of the ESS (d). */
const double *vem__gmm_center(const vem_gmm *g);
/* A checkpoint's exact copy of g (for a model holding Gaussians, e.g. an HMM's): its
 * length in doubles, get, set (derives the rest; the sizes must be g's). */
size_t vem__gmm_exact_len(const vem_gmm *g);
void vem__gmm_exact_get(const vem_gmm *g, double *out);
void vem__gmm_exact_set(vem_gmm *g, const double *in);

/*
 * The straightforward kernels (one dense GEMM for the log-densities, one SYRK
 * per component for S2), kept as the oracle of the fast ones (tests/test_kernels.c).
 * reference_logp: log w_c + log N(x_r | c), n x k. reference_estep: adds the ESS of
 * rows x[0..n) into ess, returns the sum of log p(x_r). work: reference_work_len.
 */
size_t vem__gmm_reference_work_len(const vem_gmm *g, size_t n);
void vem__gmm_reference_logp(const vem_gmm *g, const double *x, size_t ld, size_t n,
                             double *logp, double *work);
double vem__gmm_reference_estep(const vem_gmm *g, const double *x, size_t ld, size_t n,
                                double *ess, double *work);

/*
 * Initial responsibilities (n x k) of rows x[0..n) (stride ld), the first being row r0 of
 * the data: one-hot on the nearest of centers (k x d; ties to the lowest index), or, with
 * centers NULL, uniform draws normalised per row from a generator seeded by seed and the
 * row index, so the result does not depend on blocks or threads. Used by every mixture.
 */
void vem__init_resp(const double *centers, uint64_t seed, size_t k, size_t d, const double *x,
                    size_t ld, size_t r0, size_t n, double *resp);

#endif /* VEM_GMM_INTERNAL_H */
