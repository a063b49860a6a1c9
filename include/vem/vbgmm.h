/*
 * include/vem/vbgmm.h — Bayesian Gaussian mixtures by variational Bayes (CAVI).
 *
 * The model (Bishop, PRML 10.2; Blei & Jordan 2006 for the stick-breaking prior):
 *     weights  pi ~ Dirichlet(alpha0, ..., alpha0)                  (VEM_VB_DIRICHLET)
 *              or pi_k = v_k prod_{j<k} (1 - v_j), v_k ~ Beta(1, alpha0), k < K,
 *                 v_K = 1 (truncated stick-breaking, a Dirichlet process; VEM_VB_DP)
 *     each component k: Lambda_k ~ Wishart(W0, nu0), mu_k | Lambda_k ~ N(m0, (beta0 Lambda_k)^-1)
 *     (diagonal covariance: the same per dimension, D independent Normal-Gamma priors)
 *     x_n | z_n = k ~ N(mu_k, Lambda_k^-1).
 * The mean-field posterior q(Z) q(pi) prod_k q(mu_k, Lambda_k) is fitted by
 * coordinate ascent on the engine (fit.h): the E-step computes the
 * responsibilities r_nk from the expected natural parameters (PRML eqs.
 * 10.46, 10.64-10.66) and their ESS (N_k, sum r (x - c), sum r (x - c)(x - c)^T
 * about the fixed centre c = m0); the "M-step" sets the global factors from the
 * ESS plus the prior (eqs. 10.58, 10.60-10.63; stick-breaking: gamma_k1 =
 * 1 + N_k, gamma_k2 = alpha0 + sum_{j>k} N_j). Because the global factors
 * are affine in the ESS, the engine's stepwise mode is stochastic variational
 * inference (Hoffman et al. 2013).
 *
 * The objective is the full evidence lower bound (ELBO, nats) with every
 * constant (PRML eqs. 10.70-10.77, written as sum_n log sum_k rho_nk minus the
 * KL divergences of the global factors from their priors), so it is comparable
 * across K; with K = 1 it equals the exact Normal-Wishart log evidence.
 *
 * Priors follow scikit-learn's BayesianGaussianMixture and default as it does:
 * weight concentration 1/K, mean prior the data mean, mean precision 1,
 * degrees of freedom D, covariance prior (W0^-1) the data covariance with
 * divisor n - 1 (diagonal: the column variances), reg_covar 1e-6 added to the
 * diagonal of each component's sample covariance (W_k^-1 += N_k reg_covar I).
 * Only full and diagonal covariances are supported.
 *
 * Shapes: weights k; means k x d; covariances (W_k^-1 / nu_k, scikit-learn's
 * covariances_) full k x d x d, diag k x d; weight concentration k
 * (Dirichlet alpha_k) or k x 2 (stick-breaking (gamma_k1, gamma_k2); the last
 * row is unused since v_K = 1).
 */
#ifndef VEM_VBGMM_H
#define VEM_VBGMM_H

#include <vem/common.h>
#include <vem/data.h>
#include <vem/fit.h>
#include <vem/gmm.h>
#include <vem/model.h>

VEM_BEGIN_DECLS

/** Prior on the mixture weights. */
typedef enum vem_vb_weight_prior {
    VEM_VB_DIRICHLET = 0, /**< finite symmetric Dirichlet(alpha0) */
    VEM_VB_DP = 1         /**< truncated stick-breaking, Beta(1, alpha0) sticks, v_K = 1 */
} vem_vb_weight_prior;

/** "dirichlet", "dp"; NULL for an invalid value. */
VEM_API const char *vem_vb_weight_prior_name(vem_vb_weight_prior p);
/** Parse "dirichlet" or "dp" (also "dirichlet_process"). VEM_EINVAL otherwise. */
VEM_API vem_status vem_vb_weight_prior_parse(const char *name, vem_vb_weight_prior *out);

/** A variational Bayesian mixture of k Gaussians in d dimensions. Opaque. */
typedef struct vem_vbgmm vem_vbgmm;

/**
 * New model with default priors (resolved from the data at the first fit).
 * cov must be VEM_COV_FULL or VEM_COV_DIAG. NULL on failure: VEM_EINVAL for
 * k or d = 0, VEM_EUNSUP for spherical or tied covariance, VEM_ENOMEM (also when
 * four k x (d x d or d) arrays exceed vem_memory_limit(), checked before allocating).
 */
VEM_API vem_vbgmm *vem_vbgmm_new(size_t k, size_t d, vem_cov cov);
/** Free v; NULL allowed. */
VEM_API void vem_vbgmm_free(vem_vbgmm *v);

VEM_API size_t vem_vbgmm_k(const vem_vbgmm *v);
VEM_API size_t vem_vbgmm_d(const vem_vbgmm *v);
VEM_API vem_cov vem_vbgmm_cov(const vem_vbgmm *v);

/* ---- priors: each VEM_EINVAL for an out-of-range value, v unchanged ---- */

/** Weight prior (default VEM_VB_DP, the truncated Dirichlet process, as scikit-learn's
 *  BayesianGaussianMixture; it was VEM_VB_DIRICHLET before issue 14). */
VEM_API vem_status vem_vbgmm_set_weight_prior(vem_vbgmm *v, vem_vb_weight_prior p);
VEM_API vem_vb_weight_prior vem_vbgmm_weight_prior(const vem_vbgmm *v);
/** alpha0 > 0 (Dirichlet concentration, or the sticks' Beta(1, alpha0)); NAN restores 1/K. */
VEM_API vem_status vem_vbgmm_set_weight_concentration_prior(vem_vbgmm *v, double alpha0);
VEM_API double vem_vbgmm_weight_concentration_prior(const vem_vbgmm *v);
/** beta0 > 0 (default 1). */
VEM_API vem_status vem_vbgmm_set_mean_precision_prior(vem_vbgmm *v, double beta0);
VEM_API double vem_vbgmm_mean_precision_prior(const vem_vbgmm *v);
/** nu0 > d - 1 (default d); NAN restores the default. */
VEM_API vem_status vem_vbgmm_set_dof_prior(vem_vbgmm *v, double nu0);
VEM_API double vem_vbgmm_dof_prior(const vem_vbgmm *v);
/** m0 (d doubles, copied); NULL restores the default (the data mean). Non-finite: VEM_EINVAL. */
VEM_API vem_status vem_vbgmm_set_mean_prior(vem_vbgmm *v, const double *m0);
/** m0 (d), or NULL while it is the default and no fit has resolved it. Borrowed. */
VEM_API const double *vem_vbgmm_mean_prior(const vem_vbgmm *v);
/**
 * Covariance prior W0^-1 (copied): full d x d symmetric positive definite,
 * diag d positive values; NULL restores the default (the data covariance,
 * divisor n - 1; where that is singular, e.g. a constant column, plus reg_covar on
 * its diagonal). VEM_EINVAL for asymmetric or non-finite values,
 * VEM_ENUMERIC if not positive definite.
 */
VEM_API vem_status vem_vbgmm_set_covariance_prior(vem_vbgmm *v, const double *c0);
/** W0^-1 (full d x d, diag d), or NULL while unresolved. Borrowed. */
VEM_API const double *vem_vbgmm_covariance_prior(const vem_vbgmm *v);
/** reg_covar >= 0 (default 1e-6): W_k^-1 gets N_k reg_covar added to its diagonal. */
VEM_API vem_status vem_vbgmm_set_reg_covar(vem_vbgmm *v, double reg_covar);
VEM_API double vem_vbgmm_reg_covar(const vem_vbgmm *v);
/** Initialisation: VEM_INIT_KMEANS (default; hard k-means labels, then an update
 *  of the global factors, as scikit-learn) or VEM_INIT_RANDOM. Others: VEM_EINVAL. */
VEM_API vem_status vem_vbgmm_set_init(vem_vbgmm *v, vem_gmm_init init);

/** Feature names (d strings, copied) for model files; NULL clears. VEM_ENOMEM. */
VEM_API vem_status vem_vbgmm_set_columns(vem_vbgmm *v, const char *const *names);
/** Feature names or NULL. Borrowed. */
VEM_API const char *const *vem_vbgmm_columns(const vem_vbgmm *v);

/* ---- the variational posterior (borrowed until v is next modified) ---- */

/** Expected weights E_q[pi_k] (k). */
VEM_API const double *vem_vbgmm_weights(const vem_vbgmm *v);
/** Posterior means m_k (k x d). */
VEM_API const double *vem_vbgmm_means(const vem_vbgmm *v);
/** W_k^-1 / nu_k = E_q[Lambda_k]^-1 (full k x d x d, diag k x d), as scikit-learn's covariances_. */
VEM_API const double *vem_vbgmm_covariances(const vem_vbgmm *v);
/** Doubles in vem_vbgmm_covariances(). */
VEM_API size_t vem_vbgmm_covariances_len(const vem_vbgmm *v);
/** beta_k (k). */
VEM_API const double *vem_vbgmm_mean_precision(const vem_vbgmm *v);
/** nu_k (k). */
VEM_API const double *vem_vbgmm_dof(const vem_vbgmm *v);
/** Dirichlet alpha_k (k), or stick-breaking (gamma_k1, gamma_k2) pairs (k x 2). */
VEM_API const double *vem_vbgmm_weight_concentration(const vem_vbgmm *v);
/** Doubles in vem_vbgmm_weight_concentration(): k or 2 k. */
VEM_API size_t vem_vbgmm_weight_concentration_len(const vem_vbgmm *v);
/** Expected counts N_k = beta_k - beta0 (k), the responsibilities' column sums at the last update. */
VEM_API const double *vem_vbgmm_counts(const vem_vbgmm *v);
/** Components with expected count N_k >= 1 (at least one observation's worth). */
VEM_API size_t vem_vbgmm_effective_components(const vem_vbgmm *v);

/**
 * Set the posterior (all copied): conc (vem_vbgmm_weight_concentration_len,
 * positive), beta (k, > 0), means (k x d), dof (k, > d - 1), covariances
 * (W_k^-1 / nu_k, shape as vem_vbgmm_covariances). The priors must be
 * resolved (set) first, since the counts N_k = beta_k - beta0 come from them.
 * VEM_EINVAL naming the value, VEM_ENUMERIC for a covariance that is not
 * positive definite; v is unchanged on error.
 */
VEM_API vem_status vem_vbgmm_set_posterior(vem_vbgmm *v, const double *conc, const double *beta,
                                           const double *means, const double *dof,
                                           const double *covariances);

/** v as an engine model (fit.h). The view borrows v. */
VEM_API vem_model vem_vbgmm_model(vem_vbgmm *v);

/**
 * Fit v to the rows of x (n x d) by CAVI on the engine: vem_fit_run on
 * vem_vbgmm_model(v); res->objective is the ELBO (nats) of the returned
 * posterior on x. Default priors are resolved from x (n >= 2 for the default
 * covariance prior). Returns as vem_fit_run; VEM_EINVAL for a column
 * mismatch or fewer than k rows. On error v's posterior is restored.
 * o->algorithm VEM_ALG_LBFGS or VEM_ALG_EM_LBFGS maximises the ELBO by L-BFGS
 * on its gradient (the model's ess_gradient; reg_covar does not enter its
 * steps; docs/acceleration.md).
 * With o->comm (a distributed fit; every process calls it) x is this
 * process's share, which may hold no rows: the default priors are resolved
 * before the fit from the rows of every process (the one-process passes, their
 * sums reduced over the communicator, so every process gets the same priors,
 * and the same errors), and kept for the initialisation of every restart on
 * process 0's sample; the k-row and 2-row checks count the rows of every
 * process (docs/vb.md).
 */
VEM_API vem_status vem_vbgmm_fit(vem_vbgmm *v, const vem_matrix *x, const vem_fit_opts *o,
                                 vem_rng *rng, vem_fit_result *res);

/**
 * The VB-GMM's fit defaults: vem_fit_opts_init's, then CAVI stops when the total
 * ELBO changes by less than 1e-3 nats (tol_rule VEM_TOL_TOTAL, tol 1e-3), as
 * scikit-learn's BayesianGaussianMixture, within max_iter 1000 (scikit-learn: 100,
 * which penguins K = 10 seed 1 reaches 39 nats short of the optimum). (The former 1e-3 per row
 * stopped 272 times earlier on Old Faithful and kept spurious components.) Online
 * algorithms test noisy pass sums: give them a per-row rule (the CLI does).
 * vem_vbgmm_fit and vem_vbgmm_fit_source use these when o is NULL.
 */
VEM_API void vem_vbgmm_fit_opts_init(vem_fit_opts *o);

/**
 * vem_vbgmm_fit on the rows of a data source read block by block (out of
 * core; io.h's vem_source_open_*). With o->algorithm = VEM_ALG_STEPWISE this is
 * stochastic variational inference (Hoffman et al. 2013): after each minibatch
 * B, S <- (1 - rho_t) S + rho_t (N / |B|) s_B, then the update of the global
 * factors from S plus the prior, i.e. a natural-gradient step of size rho_t.
 * The initialisation and default priors use o->init_sample rows. Errors as
 * vem_vbgmm_fit; VEM_EINVAL for a column mismatch.
 */
struct vem_source;
VEM_API vem_status vem_vbgmm_fit_source(vem_vbgmm *v, struct vem_source *src,
                                        const vem_fit_opts *o, vem_rng *rng,
                                        vem_fit_result *res);

/** ELBO (nats, total) of v's current posterior on x, with the optimal q(Z). */
VEM_API vem_status vem_vbgmm_elbo(const vem_vbgmm *v, const vem_matrix *x, double *elbo);

/**
 * Log posterior predictive density of each row (nats): log sum_k E[pi_k]
 * St(x | m_k, L_k, nu_k + 1 - d) with L_k = (nu_k + 1 - d) beta_k / (1 + beta_k) W_k
 * (PRML eqs. 10.81-10.82; diagonal: a product of d one-dimensional Student-t
 * densities with nu_k degrees of freedom). out has x->rows entries.
 * VEM_ENUMERIC "data row N: ..." for the first row whose density is not finite; the
 * same for vem_vbgmm_score, _predict and _predict_proba.
 */
VEM_API vem_status vem_vbgmm_score_samples(const vem_vbgmm *v, const vem_matrix *x, double *out);
/** Mean (per row) and total log predictive density; either may be NULL. */
VEM_API vem_status vem_vbgmm_score(const vem_vbgmm *v, const vem_matrix *x, double *mean,
                                   double *total);
/** Component probabilities under the predictive mixture, x->rows x k. */
VEM_API vem_status vem_vbgmm_predict_proba(const vem_vbgmm *v, const vem_matrix *x, double *out);
/** Most probable component of each row under the predictive mixture. */
VEM_API vem_status vem_vbgmm_predict(const vem_vbgmm *v, const vem_matrix *x, size_t *out);

/**
 * Draw n rows from the posterior predictive density (out: n x d; labels, may be
 * NULL: the component of each draw): a component by E[pi], then a Student-t
 * draw m_k + sqrt(dof / u) A z with A A^T = L_k^-1, z standard normal and u
 * chi-squared with dof degrees of freedom (diagonal: one t draw per dimension).
 */
VEM_API vem_status vem_vbgmm_sample(const vem_vbgmm *v, size_t n, vem_rng *rng, double *out,
                                    size_t *labels);

/**
 * Write v to a model file (JSON, "model": "vbgmm", docs/vb.md), atomically as
 * vem_gmm_save (a synced temporary renamed over path: the whole old file or the
 * whole new one at every instant). fit_info may be NULL; otherwise its
 * objective is recorded as "elbo". VEM_EINVAL if the priors are unresolved or
 * a column name is not UTF-8, VEM_EIO, VEM_ENOMEM.
 */
VEM_API vem_status vem_vbgmm_save(const vem_vbgmm *v, const char *path,
                                  const vem_fit_result *fit_info);
/**
 * The model as the JSON text of its model file (docs/formats.md) less the "fit"
 * record: one line, doubles with 17 significant digits, so parsing it gives back
 * the same bits. Returns a malloc'd string (release with free()), or NULL with
 * vem_errmsg() saying why: a NULL model, a column (or symbol, target) name that is
 * not valid UTF-8 (JSON cannot hold it), a non-finite parameter, or no memory. The
 * same failures make vem_*_save fail with VEM_EINVAL or VEM_ENOMEM.
 */
VEM_API char *vem_vbgmm_to_json(const vem_vbgmm *v);
/** Load a "vbgmm" model file; NULL on failure (VEM_EIO, VEM_EFORMAT naming the key, or
 *  declared sizes needing more numbers than the file has bytes for, checked before
 *  allocating; VEM_ENOMEM beyond vem_memory_limit()). */
VEM_API vem_vbgmm *vem_vbgmm_load(const char *path);

VEM_END_DECLS
#endif /* VEM_VBGMM_H */
