/*
 * include/vem/vbhmm.h — hidden Markov models by variational Bayes (MacKay 1997; Beal 2003,
 * ch. 3), on the same engine as the other models.
 *
 * The model: K hidden states, start probabilities pi ~ Dirichlet(a0_pi), each row of the
 * transition matrix A_i ~ Dirichlet(a0_A[i]) and per-state emissions with conjugate priors:
 *   Gaussian, full covariance: Lambda_k ~ Wishart(W0, nu0), mu_k | Lambda_k ~
 *     N(m0, (beta0 Lambda_k)^-1); diagonal: the same per dimension (d one-dimensional
 *     Normal-Gamma factors with the shared beta and nu); spherical: one precision per
 *     state, lambda_k ~ Gamma(d nu0 / 2, rate d s0 / 2), mu_k | lambda_k ~ N(m0, (beta0
 *     lambda_k)^-1 I) (hmmlearn's dof and scale, so that its update is hmmlearn's); tied:
 *     one Lambda ~ Wishart(W0, nu0) shared by the states, mu_k | Lambda ~ N(m0, (beta0
 *     Lambda)^-1);
 *   categorical: the k-th row of the emission matrix B_k ~ Dirichlet(b0[k]);
 *   Poisson: each rate lambda_kj ~ Gamma(shape a0, rate r0_j).
 * The variational posterior q(pi) q(A) q(emissions) q(Z) is fitted by coordinate ascent
 * (VB-EM). The E-step runs the HMM's forward-backward recursions on the sub-normalised
 * weights exp E[ln pi], exp E[ln A] and emission weights exp E[ln p(x_t | theta_k)]
 * (src/models/hmm_internal.h), the "M-step" sets every factor to prior + expected counts.
 *
 * The objective is the evidence lower bound (ELBO, nats, total) with every constant:
 * the sum over sequences of the log normalisers of q(Z) (= E_q[ln p(X, Z | theta)] -
 * E_q[ln q(Z)] at the optimal q(Z)), minus KL(q(pi) || p(pi)), the rows' KL(q(A_i) ||
 * p(A_i)) and the emissions' KL. hmmlearn's lower bound drops d/2 ln(2 pi) per frame for
 * Gaussian emissions (its VariationalGaussianHMM); vem keeps it, so
 *     ELBO(vem) = lower bound(hmmlearn) - n_frames d/2 ln(2 pi)   (docs/vbhmm.md)
 * for full and tied covariances (diag and spherical in d > 1 dimensions: hmmlearn's E-step
 * and bound take the scale for a d-dimensional Wishart's, so its models differ from these).
 * With K = 1 the ELBO is the exact log evidence of the conjugate model.
 *
 * Priors and defaults follow hmmlearn 0.3's VariationalGaussianHMM and
 * VariationalCategoricalHMM: startprob and transmat priors 1/K, emissionprob prior 1/M,
 * means prior the data mean, beta prior 1, dof prior d, scale prior (W0^-1) 1e-3 I.
 * The Gaussian priors are shared by the states (hmmlearn allows one per state).
 * Poisson (no hmmlearn counterpart): shape 1, rate 1 / the column mean (floored at 1e-3).
 *
 * Shapes (row-major): startprob K; transmat K x K; means K x d; beta K; dof K (tied: 1);
 * scale (W_k^-1, hmmlearn's scale_posterior_) full K x d x d, diag K x d, spherical K
 * (s_k), tied d x d; covariances (W_k^-1 / nu_k = E[Lambda_k]^-1, spherical s_k / nu_k,
 * hmmlearn's covars_) as scale; emissionprob K x M; Poisson shape and rate K x d.
 *
 * Data as vem_hmm_fit: frames are the rows of a vem_matrix (categorical: one column of
 * integer codes held as doubles; Poisson: non-negative integer counts), sequences a
 * vem_seqs (NULL: one sequence). For the engine a unit is a sequence, an observation a
 * frame. Threads: an object is used by one thread at a time; scoring, decoding and
 * sampling only read it. Formats, maths and sources: docs/vbhmm.md.
 */
#ifndef VEM_VBHMM_H
#define VEM_VBHMM_H

#include <vem/common.h>
#include <vem/data.h>
#include <vem/fit.h>
#include <vem/gmm.h>
#include <vem/hmm.h>
#include <vem/io.h>
#include <vem/model.h>

VEM_BEGIN_DECLS

/** A variational Bayesian hidden Markov model. Opaque. */
typedef struct vem_vbhmm vem_vbhmm;

/**
 * New K-state model with default priors (the data-dependent ones resolved at the first
 * fit). emission: VEM_HMM_GAUSSIAN (dim = d features; cov VEM_COV_FULL, VEM_COV_DIAG,
 * VEM_COV_SPHERICAL or VEM_COV_TIED),
 * VEM_HMM_CATEGORICAL (dim = M symbols) or VEM_HMM_POISSON (dim = d count columns); cov
 * is read for Gaussian emissions only. The posterior starts as a proper one (every
 * Dirichlet parameter 1, means 0, beta 1, dof d, scale the identity; Gamma(1, 1)). NULL on
 * failure: VEM_EINVAL (k or dim 0, k or dim above 100000, an emission that is not one of
 * the three, an invalid cov), VEM_EUNSUP (mclust's other covariance structures,
 * Gaussian-mixture or multinomial emissions), VEM_ENOMEM (also beyond vem_memory_limit(),
 * checked before allocating).
 */
VEM_API vem_vbhmm *vem_vbhmm_new(size_t k, vem_hmm_emission emission, size_t dim, vem_cov cov);
/** Free v; NULL allowed. */
VEM_API void vem_vbhmm_free(vem_vbhmm *v);
/** Deep copy (priors, posterior, options, names); NULL on VEM_ENOMEM. */
VEM_API vem_vbhmm *vem_vbhmm_copy(const vem_vbhmm *v);

VEM_API size_t vem_vbhmm_k(const vem_vbhmm *v);
/** d for Gaussian and Poisson emissions, M for categorical. */
VEM_API size_t vem_vbhmm_dim(const vem_vbhmm *v);
VEM_API vem_hmm_emission vem_vbhmm_emission_type(const vem_vbhmm *v);
/** Covariance type of Gaussian emissions (VEM_COV_FULL for the others). */
VEM_API vem_cov vem_vbhmm_cov(const vem_vbhmm *v);

/* ---- priors (hmmlearn's names and meanings); each VEM_EINVAL for a bad value, naming it,
 *      and v unchanged; NULL (or NAN) restores the default ---- */

/** Dirichlet parameters of the start probabilities (K, each > 0 and finite; default 1/K). */
VEM_API vem_status vem_vbhmm_set_startprob_prior(vem_vbhmm *v, const double *a0);
/** Dirichlet parameters of each row of the transition matrix (K x K, > 0; default 1/K). */
VEM_API vem_status vem_vbhmm_set_transmat_prior(vem_vbhmm *v, const double *a0);
/** Categorical: Dirichlet parameters of each state's emission row (K x M, > 0; default
 *  1/M). VEM_EINVAL for other emissions. */
VEM_API vem_status vem_vbhmm_set_emissionprob_prior(vem_vbhmm *v, const double *b0);
/** Gaussian: the prior mean m0 (d, finite; default the data mean). */
VEM_API vem_status vem_vbhmm_set_means_prior(vem_vbhmm *v, const double *m0);
/** Gaussian: beta0 > 0, the prior precision of the means in units of Lambda (default 1). */
VEM_API vem_status vem_vbhmm_set_beta_prior(vem_vbhmm *v, double beta0);
/** Gaussian: nu0, the Wishart degrees of freedom: > d - 1 (full, tied) or > 0 (diag,
 *  spherical); NAN: d. */
VEM_API vem_status vem_vbhmm_set_dof_prior(vem_vbhmm *v, double nu0);
/**
 * Gaussian: the scale prior W0^-1 (hmmlearn's scale_prior), full and tied d x d symmetric
 * positive definite, diag d positive values, spherical one positive number s0 (default
 * 1e-3 I). VEM_ENUMERIC if not positive definite.
 */
VEM_API vem_status vem_vbhmm_set_scale_prior(vem_vbhmm *v, const double *s0);
/**
 * Poisson: every rate's Gamma prior, shape a0 > 0 (NAN: 1) and rates r0 (d, each > 0;
 * NULL: a0 / the column's mean, the mean floored at 1e-3, so that the prior mean is the
 * data mean). VEM_EINVAL for other emissions.
 */
VEM_API vem_status vem_vbhmm_set_lambdas_prior(vem_vbhmm *v, double shape, const double *rate);

/** Priors as they are now: K, K x K, K x M (NULL unless categorical). Borrowed. */
VEM_API const double *vem_vbhmm_startprob_prior(const vem_vbhmm *v);
VEM_API const double *vem_vbhmm_transmat_prior(const vem_vbhmm *v);
VEM_API const double *vem_vbhmm_emissionprob_prior(const vem_vbhmm *v);
/** Gaussian m0 (d), or NULL while it is the default and no fit has resolved it (or not
 *  Gaussian). Borrowed. */
VEM_API const double *vem_vbhmm_means_prior(const vem_vbhmm *v);
VEM_API double vem_vbhmm_beta_prior(const vem_vbhmm *v);
VEM_API double vem_vbhmm_dof_prior(const vem_vbhmm *v);
/** Gaussian W0^-1 (full, tied d x d; diag d; spherical 1), or NULL if not Gaussian.
 *  Borrowed. */
VEM_API const double *vem_vbhmm_scale_prior(const vem_vbhmm *v);
/** Poisson a0; NAN for other emissions. */
VEM_API double vem_vbhmm_lambdas_shape_prior(const vem_vbhmm *v);
/** Poisson r0 (d), or NULL while unresolved (or not Poisson). Borrowed. */
VEM_API const double *vem_vbhmm_lambdas_rate_prior(const vem_vbhmm *v);

/* ---- initialisation ---- */

/**
 * Emissions' initialisation (unless warm-started): VEM_HMM_INIT_KMEANS (Gaussian and
 * Poisson default: k-means++ and Lloyd on all frames as rows; the hard labels give the
 * first emission update) or VEM_HMM_INIT_RANDOM (categorical default; Gaussian and Poisson:
 * uniform random responsibilities; categorical: each state's expected symbol counts
 * (n / K) times a Dirichlet(1) draw). VEM_EINVAL for kmeans with categorical emissions.
 */
VEM_API vem_status vem_vbhmm_set_init(vem_vbhmm *v, vem_hmm_init init);
VEM_API vem_hmm_init vem_vbhmm_init_method(const vem_vbhmm *v);
/**
 * Start and transition initialisation: VEM_HMM_TRANS_UNIFORM (default: expected counts
 * spread evenly, n_seq / K per start and (n - n_seq) / K^2 per transition) or
 * VEM_HMM_TRANS_RANDOM (those totals times Dirichlet(1) draws). VEM_EINVAL for
 * VEM_HMM_TRANS_GIVEN.
 */
VEM_API vem_status vem_vbhmm_set_trans_init(vem_vbhmm *v, vem_hmm_trans_init init);
VEM_API vem_hmm_trans_init vem_vbhmm_trans_init_method(const vem_vbhmm *v);

/**
 * Delete and merge moves after VB-EM (default off). VB-EM is coordinate ascent: a state
 * duplicated on one cluster, or a state holding a few sequences' first frames, is a local
 * optimum it cannot leave, so with many states it keeps more than the data need. With
 * moves on, once VB-EM converges every effective state's deletion (its statistics removed,
 * its factors back at the prior) and every pair's merge (statistics added: start,
 * transitions in and out, emissions) is proposed, smallest states and closest emissions
 * first; VB-EM runs 100 iterations from the proposal and the first whose ELBO beats the
 * current one is accepted and run to convergence; until none is (Hughes, Stephenson &
 * Sudderth 2015). Every accepted move raises the ELBO. Batch VB-EM only (a fit with
 * another algorithm is VEM_EINVAL); checkpoints are taken in the first run only (the moves
 * are deterministic, so a resumed fit makes the same ones); res describes the last run.
 */
VEM_API vem_status vem_vbhmm_set_moves(vem_vbhmm *v, int on);
VEM_API int vem_vbhmm_moves(const vem_vbhmm *v);
/** Moves the last fit accepted. */
VEM_API size_t vem_vbhmm_moves_accepted(const vem_vbhmm *v);

/**
 * Stochastic VI on long sequences with buffered subsequences (Foti, Xu, Laird & Fox 2014,
 * "Stochastic variational inference for hidden Markov models", NIPS; docs/vbhmm.md):
 * length > 0 cuts every sequence into chunks of `length` frames (the last may be shorter),
 * which become the engine's units, so that a stepwise minibatch (vem_fit_opts.batch_size
 * units) is a run of consecutive chunks: a subsequence of batch_size x length frames. Its
 * E-step runs forward-backward on the run widened by `buffer` frames on each side (clipped
 * to the sequence), the forward pass of a window that starts inside a sequence starting
 * from the stationary distribution of E_q[A]; only the run's frames give statistics (their
 * posteriors, the transitions into them, the start counts of a run at a sequence's start)
 * and its ELBO estimate (the log predictive normalisers of its frames). The engine scales a
 * minibatch's statistics by chunks / batch_size, so they estimate the whole data's.
 * A fit with length > 0 must use VEM_ALG_STEPWISE in memory (VEM_EINVAL otherwise; not a
 * source); its initialisation uses the chunks' frames as the whole sequences' would, and
 * its reported objective (vem_fit_result.objective) is the exact ELBO of the final
 * posterior over whole sequences (the passes' trace entries are the minibatch estimates).
 * length 0 (the default): units are whole sequences. Not stored in model files.
 * VEM_EINVAL when length > 0 and buffer exceeds 2^40; VEM_ENOMEM.
 */
VEM_API vem_status vem_vbhmm_set_subsequences(vem_vbhmm *v, size_t length, size_t buffer);
/** The subsequence length (0: whole sequences) and buffer of vem_vbhmm_set_subsequences. */
VEM_API size_t vem_vbhmm_subsequence_length(const vem_vbhmm *v);
VEM_API size_t vem_vbhmm_subsequence_buffer(const vem_vbhmm *v);

/* ---- names, stored in model files (as vem_hmm_set_columns and friends) ---- */

/** Gaussian or Poisson column names (d strings, copied; NULL clears). VEM_EINVAL for
 *  categorical emissions, VEM_ENOMEM. */
VEM_API vem_status vem_vbhmm_set_columns(vem_vbhmm *v, const char *const *names);
VEM_API const char *const *vem_vbhmm_columns(const vem_vbhmm *v);
/** Categorical symbol names (M strings, copied; NULL clears). VEM_EINVAL otherwise. */
VEM_API vem_status vem_vbhmm_set_symbols(vem_vbhmm *v, const char *const *names);
VEM_API const char *const *vem_vbhmm_symbols(const vem_vbhmm *v);
/** The data column categorical symbols are read from (copied; NULL clears). */
VEM_API vem_status vem_vbhmm_set_symbol_column(vem_vbhmm *v, const char *name);
VEM_API const char *vem_vbhmm_symbol_column(const vem_vbhmm *v);

/* ---- the variational posterior (borrowed until v is next modified) ---- */

/** Dirichlet parameters of q(pi) (K) and of the rows of q(A) (K x K). */
VEM_API const double *vem_vbhmm_startprob_posterior(const vem_vbhmm *v);
VEM_API const double *vem_vbhmm_transmat_posterior(const vem_vbhmm *v);
/** Gaussian q(mu_k, Lambda_k): means m_k (K x d), beta_k (K), nu_k (K; tied: the one nu),
 *  W_k^-1 (the scale's shape above); NULL for other emissions. */
VEM_API const double *vem_vbhmm_means(const vem_vbhmm *v);
VEM_API const double *vem_vbhmm_beta_posterior(const vem_vbhmm *v);
VEM_API const double *vem_vbhmm_dof_posterior(const vem_vbhmm *v);
VEM_API const double *vem_vbhmm_scale_posterior(const vem_vbhmm *v);
/** Doubles in vem_vbhmm_scale_posterior() and vem_vbhmm_covariances(): K d^2 (full), K d
 *  (diag), K (spherical), d^2 (tied); 0 if not Gaussian. */
VEM_API size_t vem_vbhmm_covariances_len(const vem_vbhmm *v);
/** Categorical: Dirichlet parameters of q(B_k) (K x M); NULL otherwise. */
VEM_API const double *vem_vbhmm_emissionprob_posterior(const vem_vbhmm *v);
/** Poisson: Gamma shapes and rates of q(lambda_kj) (K x d each); NULL otherwise. */
VEM_API const double *vem_vbhmm_lambdas_shape_posterior(const vem_vbhmm *v);
VEM_API const double *vem_vbhmm_lambdas_rate_posterior(const vem_vbhmm *v);

/** Posterior means: E[pi] (K), E[A] (K x K). */
VEM_API const double *vem_vbhmm_startprob(const vem_vbhmm *v);
VEM_API const double *vem_vbhmm_transmat(const vem_vbhmm *v);
/** Gaussian: W_k^-1 / nu_k = E[Lambda_k]^-1 (shape of the scale; spherical s_k / nu_k =
 *  1 / E[lambda_k]), hmmlearn's covars_. */
VEM_API const double *vem_vbhmm_covariances(const vem_vbhmm *v);
/** Categorical: E[B] (K x M). Poisson: E[lambda] = shape / rate (K x d). NULL otherwise. */
VEM_API const double *vem_vbhmm_emissionprob(const vem_vbhmm *v);
VEM_API const double *vem_vbhmm_lambdas(const vem_vbhmm *v);

/**
 * Expected occupancy of each state, sum over all frames of p(z_t = k) at the last update
 * (K): beta_k - beta0 (Gaussian), sum_m (b_km - b0_km) (categorical), rate_k1 - r0_1
 * (Poisson). Borrowed.
 */
VEM_API const double *vem_vbhmm_occupancy(const vem_vbhmm *v);
/** States whose expected occupancy is at least 1 frame (as vem_vbgmm_effective_components). */
VEM_API size_t vem_vbhmm_effective_states(const vem_vbhmm *v);

/**
 * Set the posterior of the start and transition probabilities: Dirichlet parameters
 * start (K) and trans (K x K), each > 0 and finite (copied). VEM_EINVAL naming the entry;
 * v unchanged on error.
 */
VEM_API vem_status vem_vbhmm_set_posterior_transitions(vem_vbhmm *v, const double *start,
                                                       const double *trans);
/**
 * Gaussian: set q(mu_k, Lambda_k): means (K x d), beta (K, > 0), dof (K, tied 1; > d - 1,
 * diag and spherical > 0), scale W_k^-1 (shape of vem_vbhmm_scale_posterior(), positive
 * definite). The priors must be
 * resolved (set, or from a fit) first: the occupancies are beta_k - beta0. VEM_EINVAL
 * naming the value, VEM_ENUMERIC for a scale that is not positive definite; v unchanged
 * on error.
 */
VEM_API vem_status vem_vbhmm_set_posterior_gaussian(vem_vbhmm *v, const double *means,
                                                    const double *beta, const double *dof,
                                                    const double *scale);
/** Categorical: set q(B) (K x M Dirichlet parameters, > 0). VEM_EINVAL otherwise. */
VEM_API vem_status vem_vbhmm_set_posterior_categorical(vem_vbhmm *v, const double *b);
/** Poisson: set q(lambda) (shape and rate, K x d each, > 0; the rate prior resolved).
 *  VEM_EINVAL otherwise. */
VEM_API vem_status vem_vbhmm_set_posterior_poisson(vem_vbhmm *v, const double *shape,
                                                   const double *rate);

/* ---- fitting ---- */

/**
 * v as an engine model (fit.h), for data built with vem_hmm_data. The view borrows v.
 * ESS layout: [start K][transitions K x K][emissions: Gaussian N_k (K), sum_t gamma_tk
 * (x_t - m0) (K x d), sum_t gamma_tk (x_t - m0)(x_t - m0)^T (full and tied K x d x d,
 * upper triangle used; diag K x d, its diagonal; spherical K, its trace); categorical
 * symbol counts (K x M); Poisson N_k (K), sum_t gamma_tk
 * x_t (K x d)]. The E-step returns the sum of the sequences' log normalisers,
 * objective_extra the -KL terms: their sum is the ELBO. The update is affine in the ESS,
 * so the engine's stepwise algorithm is stochastic variational inference (Hoffman et al.
 * 2013) over whole sequences (docs/vbhmm.md).
 */
VEM_API vem_model vem_vbhmm_model(vem_vbhmm *v);

/**
 * The VB-HMM's fit defaults: vem_fit_opts_init's, then batch VB-EM stops when the total
 * ELBO changes by less than 1e-6 nats (tol_rule VEM_TOL_TOTAL, tol 1e-6, hmmlearn's
 * default), within max_iter 1000 (hmmlearn: 100). vem_vbhmm_fit and _fit_source use
 * these when o is NULL.
 */
VEM_API void vem_vbhmm_fit_opts_init(vem_fit_opts *o);

/**
 * Fit v by VB-EM from its initialisation (or its current posterior when o->warm_start)
 * on frames x split by seqs (NULL: one sequence). Default priors are resolved from all the
 * frames first (under o->comm: of every process). res->objective is the ELBO (nats,
 * total) of the returned posterior with its optimal q(Z). Returns as vem_fit_run;
 * VEM_EINVAL for a shape mismatch, bad codes or counts, seqs not covering the rows, fewer
 * frames than states (k-means), or a warm start whose priors are unresolved; on an error
 * v's posterior is restored.
 *
 * Distributed fits: with o->comm, x and seqs are this process's share of whole sequences
 * (possibly no frames, with one empty sequence), as vem_hmm_fit.
 */
VEM_API vem_status vem_vbhmm_fit(vem_vbhmm *v, const vem_matrix *x, const vem_seqs *seqs,
                                 const vem_fit_opts *o, vem_rng *rng, vem_fit_result *res);

struct vem_source;
/**
 * vem_vbhmm_fit on the frames of a source read a block of whole sequences at a time
 * (out of core; as vem_hmm_fit_source: a source of rows is made one sequence). The
 * default priors come from a pass over all the frames, the initialisation from
 * o->init_sample frames. Errors as vem_vbhmm_fit plus the source's.
 */
VEM_API vem_status vem_vbhmm_fit_source(vem_vbhmm *v, struct vem_source *src,
                                        const vem_fit_opts *o, vem_rng *rng,
                                        vem_fit_result *res);

/**
 * ELBO (nats, total) of v's posterior on x (seqs: NULL for one sequence), with the
 * optimal q(Z) of those frames: the sum of the sequences' log normalisers plus the -KL
 * terms (which do not depend on the data). It equals a fit's res->objective on the fit's
 * data. The priors must be resolved. Errors as vem_vbhmm_fit; VEM_ENUMERIC when a
 * sequence has weight zero.
 */
VEM_API vem_status vem_vbhmm_elbo(const vem_vbhmm *v, const vem_matrix *x, const vem_seqs *seqs,
                                  double *elbo);

/**
 * The plug-in HMM of the posterior means (E[pi], E[A], m_k with W_k^-1 / nu_k, E[B],
 * E[lambda]), as a new vem_hmm (free it with vem_hmm_free), names copied. Decoding,
 * posteriors and sampling below use it, as hmmlearn does for its variational models.
 * NULL on failure (VEM_ENOMEM, VEM_ENUMERIC).
 */
VEM_API vem_hmm *vem_vbhmm_to_hmm(const vem_vbhmm *v);
/** Viterbi path under vem_vbhmm_to_hmm(v) (vem_hmm_decode; log_prob: of that HMM). */
VEM_API vem_status vem_vbhmm_decode(const vem_vbhmm *v, const vem_matrix *x,
                                    const vem_seqs *seqs, size_t *states, double *log_prob);
/** State posteriors under vem_vbhmm_to_hmm(v) (x->rows x K; vem_hmm_predict_proba). */
VEM_API vem_status vem_vbhmm_predict_proba(const vem_vbhmm *v, const vem_matrix *x,
                                           const vem_seqs *seqs, double *out);
/** One sequence of n frames from vem_vbhmm_to_hmm(v) (vem_hmm_sample). */
VEM_API vem_status vem_vbhmm_sample(const vem_vbhmm *v, size_t n, vem_rng *rng, double *out,
                                    size_t *states);

/* ---- model files (JSON, "model": "vbhmm"; docs/vbhmm.md) ---- */

/**
 * Write v (priors, variational parameters, posterior means) atomically as vem_hmm_save.
 * fit_info may be NULL; otherwise its objective is recorded as "elbo". VEM_EINVAL if the
 * priors are unresolved or a name is not UTF-8, VEM_EIO, VEM_ENOMEM.
 */
VEM_API vem_status vem_vbhmm_save(const vem_vbhmm *v, const char *path,
                                  const vem_fit_result *fit_info);
/** The model file's JSON text less "fit" (one line, 17 significant digits); malloc'd,
 *  NULL on failure (vem_errmsg()). */
VEM_API char *vem_vbhmm_to_json(const vem_vbhmm *v);
/**
 * Load a "vbhmm" model file, validating shapes, finiteness and every parameter's range.
 * The priors in the file are kept (as set by the caller). NULL on failure: VEM_EIO,
 * VEM_EFORMAT naming the file and key (also for declared sizes beyond the file's bytes,
 * checked before allocating), VEM_ENOMEM, VEM_ENUMERIC (a scale not positive definite).
 */
VEM_API vem_vbhmm *vem_vbhmm_load(const char *path);

VEM_END_DECLS
#endif /* VEM_VBHMM_H */
