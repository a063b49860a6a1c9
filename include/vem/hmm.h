/*
 * include/vem/hmm.h — hidden Markov models fitted by Baum-Welch (EM), on the
 * same engine as the mixtures.
 *
 * A K-state HMM has start probabilities pi (K), a row-stochastic transition
 * matrix A (K x K, row-major, A[i*K + j] = p(z_t = j | z_{t-1} = i)) and one
 * emission distribution per state: Gaussian (any covariance type of gmm.h, the 14 of
 * mclust included, shapes as there, d features), categorical (M symbols coded
 * 0 .. M-1, emission matrix K x M), a Gaussian mixture per state, Poisson (d
 * independent count columns, rates K x d) or multinomial (counts of M
 * categories, emission matrix K x M). Fitting is Baum-Welch (Rabiner 1989;
 * Bishop PRML 13.2) with a forward-backward pass scaled per frame after a
 * max-shift of the emission log-densities (docs/hmm.md). Probabilities that
 * are exactly zero stay zero through fitting, so left-right topologies work.
 *
 * Data: the frames are the rows of a vem_matrix (categorical: one column of
 * integer codes held as doubles; Poisson and multinomial: non-negative integer
 * counts held as doubles) and the sequences are described by a
 * vem_seqs (NULL: all rows are one sequence). Log-likelihoods are in nats.
 * For the engine, a unit is a sequence and an observation is a frame.
 *
 * Threads: an object is used by one thread at a time (as every vem object);
 * score, decode, predict_proba and sample only read it. Work inside a long
 * sequence runs on vem_hmm_set_threads() threads over fixed blocks of frames,
 * so results never depend on the thread count. Formats, maths and sources:
 * docs/hmm.md.
 */
#ifndef VEM_HMM_H
#define VEM_HMM_H

#include <vem/common.h>
#include <vem/data.h>
#include <vem/fit.h>
#include <vem/gmm.h>
#include <vem/io.h>
#include <vem/model.h>

VEM_BEGIN_DECLS

/** Emission family of every state. */
typedef enum vem_hmm_emission {
    VEM_HMM_GAUSSIAN = 0,    /**< multivariate normal per state */
    VEM_HMM_CATEGORICAL = 1, /**< discrete symbols 0 .. M-1 */
    VEM_HMM_GMM = 2,         /**< a mixture of n_mix Gaussians per state (vem_hmm_new_gmm) */
    VEM_HMM_POISSON = 3,     /**< d independent Poisson counts per frame, rates lambda (K x d):
                                  log p(x | k) = sum_j x_j ln lambda_kj - lambda_kj - ln x_j! */
    VEM_HMM_MULTINOMIAL = 4  /**< counts of M categories per frame, n = their sum the trials:
                                  log p(x | k) = ln n! - sum_j ln x_j! + sum_j x_j ln p_kj */
} vem_hmm_emission;

/** "gaussian", "categorical", "gmm", "poisson", "multinomial"; NULL for an invalid value. */
VEM_API const char *vem_hmm_emission_name(vem_hmm_emission e);
/** Parse a name as above. VEM_EINVAL for an unknown name. */
VEM_API vem_status vem_hmm_emission_parse(const char *name, vem_hmm_emission *out);

/** How a fit initialises the emissions (unless warm-started). */
typedef enum vem_hmm_init {
    VEM_HMM_INIT_KMEANS = 0, /**< Gaussian: the mixture's k-means initialisation on all frames
                                  (means, per-cluster covariances); default for Gaussian;
                                  Poisson and multinomial (their default): k-means of the count
                                  vectors, the centres as rates (Poisson) or, normalised, as
                                  category probabilities (multinomial), each entry at least
                                  1e-3 of its column's mean (never an absorbing 0) */
    VEM_HMM_INIT_RANDOM = 1  /**< categorical: rows drawn from Dirichlet(1) (default);
                                  Gaussian: the mixture's random-responsibility initialisation;
                                  Poisson: rates drawn from the Gamma distribution with the mean
                                  and variance of all counts (as hmmlearn's PoissonHMM);
                                  multinomial: rows drawn from Dirichlet(1) */
} vem_hmm_init;

/** How a fit initialises start and transition probabilities (unless warm-started). */
typedef enum vem_hmm_trans_init {
    VEM_HMM_TRANS_UNIFORM = 0, /**< pi = 1/K, A = 1/K everywhere (default) */
    VEM_HMM_TRANS_RANDOM = 1,  /**< pi and each row of A drawn from Dirichlet(1) */
    VEM_HMM_TRANS_GIVEN = 2    /**< keep pi and A as set (e.g. a left-right pattern of
                                    zeros, which stay zero); only the emissions are initialised */
} vem_hmm_trans_init;

/** "kmeans", "random" / "uniform", "random", "given"; NULL for invalid values. */
VEM_API const char *vem_hmm_init_name(vem_hmm_init i);
VEM_API vem_status vem_hmm_init_parse(const char *name, vem_hmm_init *out);
VEM_API const char *vem_hmm_trans_init_name(vem_hmm_trans_init i);
VEM_API vem_status vem_hmm_trans_init_parse(const char *name, vem_hmm_trans_init *out);

/* vem_seqs, its readers and vem_frames_read (the frames of a data file): vem/io.h. */

/** A hidden Markov model. Opaque. */
typedef struct vem_hmm vem_hmm;

/**
 * New K-state HMM. dim is d (features) for Gaussian emissions, M (symbols)
 * for categorical, d count columns for Poisson, M categories for multinomial;
 * cov is used for Gaussian emissions only (VEM_HMM_GMM: one component per
 * state, see vem_hmm_new_gmm). Parameters start uniform (pi, A, categorical
 * and multinomial emissions), at rate 1 (Poisson) or standard normal (means 0,
 * identity covariances). NULL on failure: VEM_EINVAL (k or dim 0, invalid
 * emission, or, for Gaussian emissions, cov not a covariance type of gmm.h),
 * VEM_ENOMEM (also when 4 k x k plus the
 * emissions' arrays exceed vem_memory_limit(), checked before allocating).
 */
VEM_API vem_hmm *vem_hmm_new(size_t k, vem_hmm_emission emission, size_t dim, vem_cov cov);
/**
 * New K-state HMM whose emissions are mixtures of n_mix Gaussians in d
 * dimensions with covariance type cov (emission VEM_HMM_GMM; each state's
 * mixture is a vem_gmm, see vem_hmm_state_mixture). For the other emissions
 * n_mix must be 1 and this is vem_hmm_new. Errors as vem_hmm_new.
 */
VEM_API vem_hmm *vem_hmm_new_gmm(size_t k, vem_hmm_emission emission, size_t n_mix, size_t d,
                                 vem_cov cov);
/** Free h; NULL allowed. */
VEM_API void vem_hmm_free(vem_hmm *h);
/** Deep copy (parameters, options, names); NULL on VEM_ENOMEM. */
VEM_API vem_hmm *vem_hmm_copy(const vem_hmm *h);

VEM_API size_t vem_hmm_k(const vem_hmm *h);
VEM_API vem_hmm_emission vem_hmm_emission_type(const vem_hmm *h);
/** d for Gaussian and Poisson emissions, M for categorical and multinomial. */
VEM_API size_t vem_hmm_dim(const vem_hmm *h);
/** Covariance type of Gaussian emissions. */
VEM_API vem_cov vem_hmm_cov(const vem_hmm *h);

/**
 * Start probabilities (K, >= 0, summing to 1 within 1e-8; renormalised).
 * VEM_EINVAL naming the bad value; h unchanged on error.
 */
VEM_API vem_status vem_hmm_set_startprob(vem_hmm *h, const double *pi);
/** Transition matrix (K x K row-major, rows as startprob). VEM_EINVAL naming the row. */
VEM_API vem_status vem_hmm_set_transmat(vem_hmm *h, const double *a);
/**
 * Gaussian emission parameters: means (K x d), covariances (shape by covariance
 * type, gmm.h). VEM_EINVAL for non-Gaussian h or bad values, VEM_ENUMERIC for a
 * covariance that is not positive definite. h unchanged on error.
 */
VEM_API vem_status vem_hmm_set_gaussian(vem_hmm *h, const double *means, const double *covariances);
/** Categorical or multinomial emission matrix (K x M, rows as startprob). VEM_EINVAL
 *  otherwise. */
VEM_API vem_status vem_hmm_set_emissionprob(vem_hmm *h, const double *b);
/**
 * Poisson rates (K x d, each finite and >= 0; a rate 0 gives a count above 0 probability
 * 0). VEM_EINVAL for other emissions or a bad value (naming state and column); h unchanged
 * on error.
 */
VEM_API vem_status vem_hmm_set_lambdas(vem_hmm *h, const double *lambdas);
/**
 * Multinomial emissions: the trials n of every frame (the sum of its counts), or 0 (the
 * default) when frames may differ. A fit with n > 0 refuses a frame whose counts sum to
 * another value (VEM_EINVAL naming the row); vem_hmm_sample needs n > 0. VEM_EINVAL for
 * other emissions.
 */
VEM_API vem_status vem_hmm_set_n_trials(vem_hmm *h, size_t n_trials);
/** The trials of multinomial emissions (0: any); 0 for other emissions. */
VEM_API size_t vem_hmm_n_trials(const vem_hmm *h);

/** Start probabilities, K. Borrowed until h is next modified. */
VEM_API const double *vem_hmm_startprob(const vem_hmm *h);
/** Transition matrix, K x K row-major. Borrowed. */
VEM_API const double *vem_hmm_transmat(const vem_hmm *h);
/** Gaussian means K x d, or NULL for categorical emissions. Borrowed. */
VEM_API const double *vem_hmm_means(const vem_hmm *h);
/** Gaussian covariances (gmm.h shapes), or NULL. Borrowed. */
VEM_API const double *vem_hmm_covariances(const vem_hmm *h);
/** Doubles in vem_hmm_covariances() (0 for categorical). */
VEM_API size_t vem_hmm_covariances_len(const vem_hmm *h);
/** Categorical or multinomial emission matrix K x M, else NULL. Borrowed. */
VEM_API const double *vem_hmm_emissionprob(const vem_hmm *h);
/** Poisson rates K x d, else NULL. Borrowed. */
VEM_API const double *vem_hmm_lambdas(const vem_hmm *h);
/** Components per state (1 unless emission is VEM_HMM_GMM). */
VEM_API size_t vem_hmm_n_mix(const vem_hmm *h);
/**
 * The emission mixture of state (0-based) for VEM_HMM_GMM: read it with the
 * vem_gmm getters (weights n_mix, means n_mix x d, covariances). NULL otherwise. Borrowed.
 */
VEM_API const vem_gmm *vem_hmm_state_mixture(const vem_hmm *h, size_t state);
/**
 * Set the emission mixture of state: arguments and errors as vem_gmm_set_params
 * (message prefixed with the 1-based state). VEM_EINVAL if h is not VEM_HMM_GMM.
 */
VEM_API vem_status vem_hmm_set_state_mixture(vem_hmm *h, size_t state, const double *weights,
                                             const double *means, const double *covariances);

/** Emission initialisation (default random for categorical, kmeans for the others).
 *  VEM_EINVAL for kmeans with categorical emissions. */
VEM_API vem_status vem_hmm_set_init(vem_hmm *h, vem_hmm_init init);
VEM_API vem_hmm_init vem_hmm_init_method(const vem_hmm *h);
/** Start/transition initialisation (default uniform). */
VEM_API vem_status vem_hmm_set_trans_init(vem_hmm *h, vem_hmm_trans_init init);
VEM_API vem_hmm_trans_init vem_hmm_trans_init_method(const vem_hmm *h);
/**
 * The parameters the M-step updates, in hmmlearn's letters (its `params`): s start, t
 * transitions, then m means and c covariances (Gaussian), w weights, m, c (Gaussian
 * mixtures: all three or none), e emission probabilities (categorical, multinomial), l rates
 * (Poisson). NULL: all that apply (the default). The others stay bit for bit as they are.
 * Frozen Gaussian means: the covariances are fitted about them. VEM_EINVAL naming a letter
 * that does not apply. A model with frozen parameters has no gradient (lbfgs refused).
 */
VEM_API vem_status vem_hmm_set_update(vem_hmm *h, const char *letters);
/** The letters of the updated parameters into buf (at most 7 and the NUL); returns buf. */
VEM_API const char *vem_hmm_update(const vem_hmm *h, char buf[8]);
/**
 * The parameters a fit's initialisation sets (hmmlearn's `init_params`; letters and errors
 * as vem_hmm_set_update; NULL: all). The others keep their values (from vem_hmm_set_* or a
 * loaded model) bit for bit; their random draws are still made, so the ones initialised
 * do not depend on which are kept. With none ("": hmmlearn's init_params=''), the
 * initialisation does nothing (no k-means, no draws): the fit starts from the parameters as
 * they are, as a warm start does.
 */
VEM_API vem_status vem_hmm_set_init_params(vem_hmm *h, const char *letters);
VEM_API const char *vem_hmm_init_params(const vem_hmm *h, char buf[8]);

/**
 * MAP EM's priors (docs/hmm.md, "Priors"): symmetric Dirichlet concentrations on the start
 * probabilities, each transition row and (categorical, multinomial) each emission row, each
 * >= 1 (1: no prior; hmmlearn's startprob_prior, transmat_prior, emissionprob_prior, whose
 * MAP rule p_j proportional to n_j + alpha - 1 this is, zeros of a topology kept); and for
 * Poisson rates the prior density lambda^a e^(-b lambda) (a = lambdas_prior >= 0, b =
 * lambdas_weight >= 0; 0, 0: none), whose MAP rate is (a + sum gamma x) / (b + sum gamma).
 */
typedef struct vem_hmm_priors {
    double startprob, transmat, emissionprob;
    double lambdas_prior, lambdas_weight;
} vem_hmm_priors;
/**
 * Set the priors; the fit's objective becomes the log posterior, log-likelihood plus the
 * log prior density up to its normalising constant, and is checked monotone as the
 * log-likelihood is. VEM_EINVAL for a value out of range or a prior that does not apply to
 * h's emissions. A model with a prior has no gradient (lbfgs refused).
 */
VEM_API vem_status vem_hmm_set_priors(vem_hmm *h, const vem_hmm_priors *p);
/**
 * The log prior density (nats) of h's parameters under its priors, up to the normalising
 * constants: sum (alpha - 1) ln p over the Dirichlet rows, sum a ln lambda - b lambda over
 * the Poisson rates, plus vem_gmm_log_prior of the Gaussian emissions; 0 without priors.
 * A MAP fit's objective is the log-likelihood plus this.
 */
VEM_API double vem_hmm_log_prior(const vem_hmm *h);
/** The priors (1, 1, 1, 0, 0 when none is set). */
VEM_API void vem_hmm_priors_get(const vem_hmm *h, vem_hmm_priors *p);
/**
 * Gaussian emissions: mclust's conjugate prior on the state Gaussians with its default
 * hyperparameters from the frames x (vem_gmm_set_prior_default: Fraley & Raftery 2007), so
 * that the M-step is MAP and the objective adds the prior's log density
 * (vem_gmm_log_prior). VEM_EINVAL for other emissions; else as vem_gmm_set_prior_default.
 */
VEM_API vem_status vem_hmm_set_gaussian_prior_default(vem_hmm *h, const vem_matrix *x);

/** reg_covar of Gaussian emissions (default 1e-6; gmm.h). VEM_EINVAL if < 0 or not finite. */
VEM_API vem_status vem_hmm_set_reg_covar(vem_hmm *h, double reg_covar);
VEM_API double vem_hmm_reg_covar(const vem_hmm *h);
/**
 * Threads for the work inside one long sequence (emission densities and
 * statistics over fixed blocks of frames); 0 = OpenMP default. vem_hmm_fit
 * sets it from the fit options. Results never depend on it.
 */
VEM_API void vem_hmm_set_threads(vem_hmm *h, int nthreads);

/** Gaussian or Poisson feature names, multinomial category names (d strings, copied;
 *  NULL clears). VEM_EINVAL for categorical emissions (vem_hmm_set_symbols), VEM_ENOMEM. */
VEM_API vem_status vem_hmm_set_columns(vem_hmm *h, const char *const *names);
VEM_API const char *const *vem_hmm_columns(const vem_hmm *h);
/** Categorical symbol names (M strings, copied; NULL clears), stored in model files. */
VEM_API vem_status vem_hmm_set_symbols(vem_hmm *h, const char *const *names);
VEM_API const char *const *vem_hmm_symbols(const vem_hmm *h);
/** Name of the data column categorical symbols are read from (copied; NULL clears). */
VEM_API vem_status vem_hmm_set_symbol_column(vem_hmm *h, const char *name);
VEM_API const char *vem_hmm_symbol_column(const vem_hmm *h);

/**
 * h as an engine model (fit.h) for data built with vem_hmm_data. The view
 * borrows h. ESS layout: [start K][transitions K x K][emissions: the mixture's
 * ESS for Gaussian (gmm_internal.h), K x M counts for categorical, K x d sums of
 * gamma_t x_t then K occupancies sum_t gamma_t for Poisson, K x M sums of gamma_t x_t for
 * multinomial].
 */
VEM_API vem_model vem_hmm_model(vem_hmm *h);
/** The engine's view of frames x split by seqs (NULL: one sequence); borrows both. */
VEM_API vem_data vem_hmm_data(const vem_matrix *x, const vem_seqs *seqs);

/**
 * Fit h by Baum-Welch from its initialisation (or its current parameters
 * when o->warm_start). x: frames (n x d, or n x 1 integer codes < M); seqs:
 * boundaries or NULL. Convergence: as o->tol_rule and o->tol say (vem_hmm_fit_opts_init).
 * Returns as vem_fit_run; VEM_EINVAL for a shape mismatch, bad codes or counts (not
 * integers >= 0 below 2^53, or a multinomial frame whose sum is not n_trials), seqs
 * not covering the rows, or fewer frames than states (k-means init). On an
 * error h's parameters are restored.
 *
 * Distributed fits: with o->reduce set, x and seqs are this process's share
 * (whole sequences) and the hook sums the statistics over processes. A share
 * may hold no frames (x->rows = 0, x->data may be NULL; seqs then gives one
 * empty sequence) and seqs may contain empty sequences, which add nothing: every process then runs
 * the same number of passes, minibatches and blocks (docs/hmm.md, "Distributed
 * fitting"). Initialise on one process and warm-start the others.
 */
VEM_API vem_status vem_hmm_fit(vem_hmm *h, const vem_matrix *x, const vem_seqs *seqs,
                               const vem_fit_opts *o, vem_rng *rng, vem_fit_result *res);

/**
 * The HMM's fit defaults: vem_fit_opts_init's, then batch Baum-Welch stops when the
 * total log-likelihood changes by less than 1e-7 nats (tol_rule VEM_TOL_TOTAL,
 * tol 1e-7), within max_iter 1000. hmmlearn's 1e-2 (total) and the former 1e-3 per
 * frame stop on the plateaus of Baum-Welch: on Seattle's weather (3 categorical
 * states, seeds 0-9) a fit continued to a total change of 1e-10 then gains up to 5
 * nats; from 1e-7 it gains < 0.1 nats (docs/hmm.md, "Convergence"). Online
 * algorithms test noisy pass sums: give them a per-frame rule (the CLI does).
 * vem_hmm_fit and vem_hmm_fit_source use these when o is NULL.
 */
VEM_API void vem_hmm_fit_opts_init(vem_fit_opts *o);

struct vem_source;
/**
 * vem_hmm_fit on the frames of a data source read a block of whole sequences
 * at a time (out of core; io.h: vem_source_open_csv or _binary, then
 * vem_source_set_sequences; a source of rows without sequences is made one
 * sequence, which is then read whole). Batch, stepwise (runs of batch_size
 * sequences in a shuffled order, each run read whole) and incremental EM as
 * in memory; with the same options the result is the in-memory fit's, bit
 * for bit, when the initialisation sample holds every frame (o->init_sample
 * >= the frames) or the fit is warm-started. Categorical codes and Poisson or
 * multinomial counts are checked in one reading pass first. Errors as vem_hmm_fit, plus the source's (VEM_EIO,
 * VEM_EFORMAT for a non-finite value) and VEM_EINVAL for a corpus source.
 */
VEM_API vem_status vem_hmm_fit_source(vem_hmm *h, struct vem_source *src, const vem_fit_opts *o,
                                      vem_rng *rng, vem_fit_result *res);

/**
 * Log-likelihood of the data (nats): total into *total, per frame into *mean
 * (either may be NULL). Through the engine with default options, so it equals
 * a default fit's reported log-likelihood bit for bit. Errors as vem_hmm_fit, and
 * VEM_ENUMERIC "sequence N has probability zero under the model" (or a total that is
 * not finite) instead of a -inf or NaN result.
 */
VEM_API vem_status vem_hmm_score(const vem_hmm *h, const vem_matrix *x, const vem_seqs *seqs,
                                 double *mean, double *total);
/** Log-likelihood of each sequence into out (n_seq entries; 1 when seqs is NULL). */
VEM_API vem_status vem_hmm_score_sequences(const vem_hmm *h, const vem_matrix *x,
                                           const vem_seqs *seqs, double *out);
/**
 * Viterbi decoding: the most probable state path of each sequence into states
 * (x->rows entries, 0-based). *log_prob (may be NULL) receives the sum over
 * sequences of the best path's log joint probability. Ties go to the lower
 * state index. VEM_ENUMERIC if a sequence has probability zero.
 */
VEM_API vem_status vem_hmm_decode(const vem_hmm *h, const vem_matrix *x, const vem_seqs *seqs,
                                  size_t *states, double *log_prob);
/**
 * Posterior (MAP) decoding: each frame's most probable state, argmax_k p(z_t = k |
 * sequence), into states (x->rows entries; ties to the lower index). Unlike the Viterbi
 * path it maximises the expected number of correctly decoded frames, and the sequence it
 * gives may have probability zero (hmmlearn's algorithm="map"). Errors as
 * vem_hmm_predict_proba.
 */
VEM_API vem_status vem_hmm_decode_map(const vem_hmm *h, const vem_matrix *x,
                                      const vem_seqs *seqs, size_t *states);
/**
 * Per-frame log-likelihood: out[t] = ln p(x_t | x_1 .. x_t-1) within the frame's sequence
 * (x->rows entries, nats), the forward pass's ln c_t; they add up to each sequence's
 * log-likelihood. VEM_ENUMERIC when a sequence has probability zero; else as vem_hmm_score.
 */
VEM_API vem_status vem_hmm_score_frames(const vem_hmm *h, const vem_matrix *x,
                                        const vem_seqs *seqs, double *out);
/** Posterior state probabilities p(z_t = k | sequence) into out (x->rows x K). */
VEM_API vem_status vem_hmm_predict_proba(const vem_hmm *h, const vem_matrix *x,
                                         const vem_seqs *seqs, double *out);
/**
 * Draw one sequence of n frames: out n x d (categorical: n x 1 codes as
 * doubles), states (may be NULL) n state indices. Poisson counts by inversion
 * (rate < 10) or Hormann's (1993) transformed rejection; multinomial counts as
 * n_trials categorical draws (VEM_EINVAL when n_trials is 0).
 */
VEM_API vem_status vem_hmm_sample(const vem_hmm *h, size_t n, vem_rng *rng, double *out,
                                  size_t *states);
/**
 * vem_hmm_sample with the first frame's state given (0 .. K-1; SIZE_MAX: drawn from the
 * start probabilities), as hmmlearn's sample(currstate=...). VEM_EINVAL for a state >= K.
 */
VEM_API vem_status vem_hmm_sample_from(const vem_hmm *h, size_t n, size_t start_state,
                                       vem_rng *rng, double *out, size_t *states);

/**
 * Free parameters: (K - 1) + K (K - 1) + emissions (Gaussian K d + covariance
 * parameters as gmm.h; categorical and multinomial K (M - 1); Poisson K d; mixtures K
 * times a mixture's count, vem_gmm_n_parameters), as hmmlearn counts them.
 */
VEM_API size_t vem_hmm_n_parameters(const vem_hmm *h);
/** BIC = -2 log L + p log n, n = frames. */
VEM_API double vem_hmm_bic(const vem_hmm *h, double log_likelihood, size_t n);
/** AIC = -2 log L + 2 p. */
VEM_API double vem_hmm_aic(const vem_hmm *h, double log_likelihood);

/**
 * Write an HMM model file (JSON, "model": "hmm", docs/hmm.md), atomically as
 * vem_gmm_save (path is the whole old file or the whole new one at every instant). fit_info may be NULL. VEM_EIO, VEM_EINVAL (names not UTF-8), VEM_ENOMEM.
 */
VEM_API vem_status vem_hmm_save(const vem_hmm *h, const char *path,
                                const vem_fit_result *fit_info);
/**
 * The model as the JSON text of its model file (docs/formats.md) less the "fit"
 * record: one line, doubles with 17 significant digits, so parsing it gives back
 * the same bits. Returns a malloc'd string (release with free()), or NULL with
 * vem_errmsg() saying why: a NULL model, a column (or symbol, target) name that is
 * not valid UTF-8 (JSON cannot hold it), a non-finite parameter, or no memory. The
 * same failures make vem_*_save fail with VEM_EINVAL or VEM_ENOMEM.
 */
VEM_API char *vem_hmm_to_json(const vem_hmm *h);
/**
 * Load an HMM model file, validating shapes, finiteness, probabilities (>= 0,
 * rows summing to 1 within 1e-8) and covariances. NULL on failure: VEM_EIO,
 * VEM_EFORMAT naming the file and key, or when the declared sizes need more numbers
 * than the file has bytes for (checked before allocating), VEM_ENOMEM beyond
 * vem_memory_limit(), VEM_ENUMERIC.
 */
VEM_API vem_hmm *vem_hmm_load(const char *path);

VEM_END_DECLS
#endif /* VEM_HMM_H */
