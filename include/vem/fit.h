/*
 * include/vem/fit.h — the EM engine: one loop for every model.
 *
 * GSL-style init / step / finish with a one-call driver, vem_fit_run(), on top.
 * One step is an E-step over all units (row blocks in fixed slots, run in
 * parallel with OpenMP and summed in a fixed order, so the result does not
 * depend on the thread count), the sum over processes of a distributed fit (a
 * vem_comm, e.g. MPI),
 * the monotonicity check and the M-step. Algorithms and conventions: docs/design.md.
 */
#ifndef VEM_FIT_H
#define VEM_FIT_H

#include <vem/common.h>
#include <vem/data.h>
#include <vem/model.h>

VEM_BEGIN_DECLS

/**
 * A communicator for distributed fitting (docs/mpi.md): the processes of one
 * fit and three collectives, filled by the caller from any transport (the vem
 * program from MPI; libvem never links MPI). Every process makes the same
 * sequence of calls: give each process a share of the units and the same
 * options. Each function returns VEM_OK or an error that stops the fit.
 *
 * - reduce: replace each of the len doubles of buf, in place, by its sum over
 *   all processes (MPI_Allreduce with MPI_SUM). The engine calls it after
 *   every pass over data (every E-step pass, minibatch or block) with
 *   buf = [ESS (the model's ess_len doubles), the pass's objective (nats), the
 *   pass's observation count], and in vem_fit_init with [observations, rows,
 *   units] (the per-observation divisor, the initialisation sample's share, the
 *   stepwise minibatch count).
 * - broadcast: process 0's len doubles into every process's buf.
 * - gather: every process's len doubles (len may differ between processes and
 *   be 0) to process 0, concatenated in rank order into a new array *out of
 *   *out_len doubles (release with free()); *out NULL and *out_len 0 elsewhere.
 *   Used to initialise on a sample of the rows drawn from every process.
 */
typedef struct vem_comm {
    int rank; /**< this process, 0 .. size - 1 */
    int size; /**< processes, >= 1 */
    vem_status (*reduce)(double *buf, size_t len, void *ctx);
    vem_status (*broadcast)(double *buf, size_t len, void *ctx);
    vem_status (*gather)(const double *buf, size_t len, double **out, size_t *out_len, void *ctx);
    void *ctx;
} vem_comm;

/* vem_comm_agree (agreeing on a failure over the processes): include/vem/comm.h. */

/** Progress callback: one line of text, no trailing newline. */
typedef void (*vem_log_fn)(void *ctx, const char *line);


/**
 * How the ESS are gathered between M-steps (docs/design.md, "Online EM").
 * - BATCH: all data, then one M-step (Dempster, Laird & Rubin 1977).
 * - STEPWISE: after each minibatch B of the data, in a shuffled order per
 *   pass, S <- (1 - gamma_t) S + gamma_t (N / |B|) s_B with
 *   gamma_t = (t + tau)^(-kappa), then an M-step (Sato & Ishii 2000; Cappe &
 *   Moulines 2009; Liang & Klein 2009, "stepwise EM"; Hoffman et al. 2010).
 *   t = 1, 2, ... counts minibatches over all passes. A model that can
 *   state the ESS of its initial parameters (vem_model_ops.ess_from_params,
 *   e.g. LDA's lambda - eta) starts S there and blends from t = 1, as
 *   Hoffman et al. do; otherwise the first minibatch replaces S (there is no
 *   S before it) and the M-step starts after `warmup` minibatches (S is their
 *   running mean until then).
 * - INCREMENTAL: the data in n_blocks contiguous blocks whose ESS are kept;
 *   after each block b, S <- S - s_b(old) + s_b(new), then an M-step (Neal &
 *   Hinton 1998). The first pass is a batch pass that fills every s_b.
 * - ADAM: stochastic gradient ascent for gradient models (vem_model_ops.gradient:
 *   the ESS are the gradient of the objective): minibatches as STEPWISE (batch_size
 *   units, a new shuffled order each pass); for each, the model's noise key, the
 *   E-step (the minibatch's summed gradient g and objective estimate), then Adam
 *   (Kingma & Ba 2015, Algorithm 1) on the mean gradient per unit, ascending:
 *   m <- b1 m + (1 - b1) g/|B|, v <- b2 v + (1 - b2) (g/|B|)^2,
 *   theta <- theta + lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps),
 *   then params_set(theta). The engine keeps m, v and t (checkpointed with them).
 *   max_iter counts passes (epochs).
 */
/*
 * - MCEM: Monte-Carlo EM (Wei & Tanner 1990): each iteration the model's estep_mc draws
 *   m = mc_samples latent values per unit from the posterior under the current parameters
 *   (each unit from its own generator, so the draws do not depend on threads, slots or
 *   processes) and the M-step maximises the sample-average complete-data log-likelihood;
 *   m follows mc_schedule. Not monotone: see vem_trace_entry for the check that replaces
 *   batch EM's, and vem_mc_schedule for the automatic sample size (docs/mcem.md).
 * - SEM: stochastic EM (Celeux & Diebolt 1985): MCEM with one draw per unit and a fixed
 *   schedule; a Markov chain around the MLE, usually summarised by averaging the
 *   parameters after a burn-in (mc_average_from).
 * - LBFGS: gradient-based maximum likelihood, full batch: Debian's liblbfgs (Nocedal's
 *   limited-memory BFGS with the More-Thuente line search) on the model's unconstrained
 *   coordinates (vem_model_ops.ugrad_len ... ess_gradient), one E-step pass per function
 *   evaluation; an iteration is one L-BFGS iteration, its trace entry the objective at
 *   the accepted point, checked for monotonicity as EM's. The convergence rules are EM's
 *   (tol_rule); a line search that can no longer improve the objective (round-off at the
 *   optimum) also ends the fit as converged. Not checkpointed (liblbfgs keeps its
 *   curvature pairs to itself): VEM_EUNSUP with vem_fit_opts.checkpoint or resume.
 * - EM_LBFGS: batch EM iterations while they make fast progress, then L-BFGS from where
 *   EM is (Salakhutdinov, Roweis & Ghahramani 2003): the switch comes after an iteration
 *   whose gain is at least em_switch_rate times the previous one's twice in a row (EM's
 *   rate of convergence is then the fraction of missing information, near 1: slow).
 * - CEM: classification EM (Celeux & Govaert 1992): each unit's most probable latent value
 *   (no draw), then the M-step; it increases the classification log-likelihood, which is
 *   the objective traced and checked for monotonicity (for spherical components of one
 *   common variance and equal weights, CEM is k-means).
 */
typedef enum vem_algorithm {
    VEM_ALG_BATCH = 0,
    VEM_ALG_STEPWISE = 1,
    VEM_ALG_INCREMENTAL = 2,
    VEM_ALG_ADAM = 3,
    VEM_ALG_MCEM = 4,
    VEM_ALG_SEM = 5,
    VEM_ALG_CEM = 6,
    VEM_ALG_LBFGS = 7,
    VEM_ALG_EM_LBFGS = 8
} vem_algorithm;

/** "batch", "stepwise", "incremental", "adam", "mcem", "sem", "cem", "lbfgs", "em-lbfgs";
 *  NULL for an invalid value. */
VEM_API const char *vem_algorithm_name(vem_algorithm a);
/** Parse a name as above. VEM_EINVAL for an unknown name. */
VEM_API vem_status vem_algorithm_parse(const char *name, vem_algorithm *out);

/**
 * What the convergence test compares with tol (vem_fit_opts.tol_rule). The change
 * is between the objectives of two consecutive iterations (batch) or passes (online).
 * - PER_OBS: |change of the total objective| / observations < tol, as scikit-learn's
 *   GaussianMixture (its per-sample lower bound); the default of vem_fit_opts_init.
 * - TOTAL: |change of the total objective| < tol (nats), as scikit-learn's
 *   BayesianGaussianMixture (1e-3) and hmmlearn (1e-2) compare their totals, or below
 *   the round-off of the total, 1e-12 (|objective| + observations) (1.2e-5 nats at a
 *   million frames), so that a tol below round-off still stops. Unlike a relative
 *   change, it does not depend on where the objective's zero lies (a density's
 *   log-likelihood moves with the data's units).
 */
/*
 * - PARAMS: on the parameters (params_get), the rule of Booth & Hobert (1999, sec. 2.3):
 *   max_j |theta_j(t+1) - theta_j(t)| / (|theta_j(t)| + 1e-3) < tol for three iterations in a
 *   row. For the Monte-Carlo algorithms, where one small step can be chance.
 * With MCEM and SEM, PER_OBS and TOTAL compare the means of the objective over the last
 * mc_window iterations and the mc_window before them (an averaged objective: one
 * iteration's change is mostly Monte-Carlo noise).
 */
typedef enum vem_tol_rule {
    VEM_TOL_PER_OBS = 0,
    VEM_TOL_TOTAL = 1,
    VEM_TOL_PARAMS = 2
} vem_tol_rule;

/** "per-observation", "total", "parameters"; NULL for an invalid value. */
VEM_API const char *vem_tol_rule_name(vem_tol_rule r);
/** Parse a name as above. VEM_EINVAL for an unknown name. */
VEM_API vem_status vem_tol_rule_parse(const char *name, vem_tol_rule *out);

/**
 * How MCEM's sample size m per unit changes (vem_fit_opts.mc_schedule; docs/mcem.md).
 * - FIXED: m = mc_samples throughout.
 * - GEOMETRIC: m = ceil(mc_samples mc_growth^(t-1)) at iteration t (Caffo, Jank & Jones
 *   2005 recommend geometric growth), at most mc_max_samples.
 * - AUTO: Booth & Hobert's (1999) rule. The m draws are split into mc_groups groups whose
 *   M-steps give theta_g; their spread is the Monte-Carlo standard error se_j of each
 *   parameter of the update (batch means: se_j^2 = var_g(theta_gj) / G). When the step
 *   from the previous parameters is within the Monte-Carlo error, T = sum_j
 *   (delta_j / se_j)^2 below the chi-square quantile of probability 1 - mc_alpha with P
 *   degrees of freedom (P the parameters with se_j > 0), the step was swamped by
 *   Monte-Carlo error and m grows by m / 3 for the next iteration (their k = 3), at most
 *   mc_max_samples.
 */
typedef enum vem_mc_schedule {
    VEM_MC_FIXED = 0,
    VEM_MC_GEOMETRIC = 1,
    VEM_MC_AUTO = 2
} vem_mc_schedule;

/**
 * Acceleration of batch EM (vem_fit_opts.accelerate; docs/acceleration.md).
 * - NONE: plain EM.
 * - SQUAREM: Varadhan & Roland (2008), scheme S3, on the flat parameter vector of
 *   params_get / params_set, with the model's EM map F (an E-step and an M-step) and no
 *   other model code. One iteration is a cycle: theta1 = F(theta0), theta2 = F(theta1),
 *   r = theta1 - theta0, v = theta2 - 2 theta1 + theta0, alpha = -|r| / |v| (at most
 *   -1), theta' = theta0 - 2 alpha r + alpha^2 v, then the stabilising step F(theta').
 *   Safeguards: a theta' the model refuses (params_set: a weight outside [0, 1], a
 *   covariance not positive definite) or whose objective is below theta1's takes
 *   alpha <- (alpha - 1) / 2, at most 10 times, towards alpha = -1, where theta' is
 *   theta2: the plain EM step, kept without another pass. So every cycle's objective is
 *   at least the previous one's (the monotonicity check applies to the cycles), and a
 *   cycle costs 3 E-step passes (2 at the fallback, one more per refused alpha).
 */
typedef enum vem_accelerate {
    VEM_ACCEL_NONE = 0,
    VEM_ACCEL_SQUAREM = 1
} vem_accelerate;

/** "none", "squarem"; NULL for an invalid value. */
VEM_API const char *vem_accelerate_name(vem_accelerate a);
/** Parse a name as above. VEM_EINVAL for an unknown name. */
VEM_API vem_status vem_accelerate_parse(const char *name, vem_accelerate *out);

/** "fixed", "geometric", "auto"; NULL for an invalid value. */
VEM_API const char *vem_mc_schedule_name(vem_mc_schedule s);
/** Parse a name as above. VEM_EINVAL for an unknown name. */
VEM_API vem_status vem_mc_schedule_parse(const char *name, vem_mc_schedule *out);

/**
 * Where a fit stands, given to vem_fit_opts.progress after every trace entry
 * (every iteration, or pass, and with trace_steps every minibatch or block).
 */
typedef struct vem_progress {
    const char *model;    /**< the model's name (vem_model_ops.name) */
    const char *label;    /**< vem_fit_opts.label (e.g. a selection's cell, "K=3 VVV"), or NULL */
    size_t restart;       /**< 0-based restart */
    size_t n_restarts;    /**< restarts in all */
    size_t iter;          /**< iterations (batch) or passes (online) done in this restart, >= 1 */
    size_t max_iter;      /**< vem_fit_opts.max_iter */
    size_t step;          /**< online: minibatch or block within the pass; 0: the pass's end */
    double objective;     /**< total objective (nats), as the trace entry */
    double n_obs;         /**< observations (the per-observation divisor) */
    double change;        /**< change of the objective per observation (0 for the first) */
    double tol;           /**< vem_fit_opts.tol */
    vem_tol_rule tol_rule;/**< what tol bounds */
    double seconds;       /**< wall time since this restart began */
    double fit_seconds;   /**< wall time since the fit began (all restarts; a resumed fit
                               counts the time before its checkpoint) */
    int violation;        /**< the trace entry's monotonicity flag */
    double validation;    /**< the trace entry's validation objective (NaN: none) */
    size_t mc_samples;    /**< Monte-Carlo EM: the iteration's draws per unit (0: none) */
    double passes;        /**< data passes of the restart's iterations so far (vem_trace_entry) */
} vem_progress;

/** Structured progress callback (vem_fit_opts.progress). */
typedef void (*vem_progress_fn)(void *ctx, const vem_progress *p);

/** Fit options; initialise with vem_fit_opts_init(). */
typedef struct vem_fit_opts {
    size_t max_iter;  /**< EM iterations (batch) or passes over the data (online) per restart; default 100 */
    double tol;       /**< stop when the change of the objective, measured as tol_rule says,
                           is below tol (nats); 0: run max_iter iterations; default 1e-3
                           (per observation). Models' defaults: vem_hmm_fit_opts_init,
                           vem_vbgmm_fit_opts_init */
    size_t n_init;    /**< restarts; the best final objective is kept; default 1 */
    int warm_start;   /**< non-zero: start from the model's current parameters (no init) */
    int nthreads;     /**< OpenMP threads; 0 = OpenMP default, 1 = serial */
    size_t block;     /**< units per E-step call, at most; sequences or documents spanning
                           more than 8 MB are cut into fewer (a rule on their sizes);
                           default 4096 */
    size_t nslots;    /**< fixed slots the units are split into; default 64 */
    double mono_rtol; /**< monotonicity tolerance, see vem_trace_entry; default 1e-9 */
    const vem_comm *comm; /**< a distributed fit's processes (borrowed), or NULL: one process.
                               Without a warm start every restart initialises the model on
                               process 0 on the initialisation sample (init_sample) gathered
                               from the processes, and broadcasts its parameters
                               (params_get / params_set): the one-process initialisation */
    vem_log_fn log;
    void *log_ctx;

    /* Online EM (see vem_algorithm). */
    vem_algorithm algorithm; /**< default VEM_ALG_BATCH */
    size_t batch_size;       /**< stepwise: units per minibatch; default 1000 */
    double kappa;            /**< stepwise: step-size exponent in (0.5, 1]; default 0.7 */
    double tau;              /**< stepwise: step-size offset >= 0; default 2 */
    size_t warmup;           /**< stepwise: minibatches before the first M-step, >= 1; default 1 */
    size_t n_blocks;         /**< incremental: blocks, >= 1; default 10 */
    int eval_passes;         /**< online: after each pass, evaluate the exact objective of the
                                  current parameters (one more E-step pass) for the trace and
                                  the convergence test; default 0 (use the pass's running sum) */
    int trace_steps;         /**< online: also trace every minibatch or block (step > 0) */
    size_t shuffle_rows;     /**< stepwise from a source: rows read and shuffled together
                                  (bounded shuffle buffer); default 65536 */
    size_t init_sample;      /**< rows (or frames) the initialisation sees at most: of the
                                  U rows or sequences of all the data (in process order)
                                  holding R rows, all when R <= init_sample, else the
                                  m = max(1, U init_sample / R) units i U / m, i < m, whole
                                  sequences; the same sample in memory, from a source and
                                  over a communicator. Documents: all (LDA's start does not
                                  read them). Default 100000 */
    size_t n_batches;        /**< stepwise, data in memory: if > 0, exactly this many
                                  minibatches per pass (units split evenly, some possibly
                                  empty) instead of batch_size units each; 0 (default):
                                  batch_size units each, or under a communicator
                                  ceil(units of all processes / batch_size) on every
                                  process, so that the processes agree */
    int dense_steps;         /**< stepwise: non-zero updates every ESS entry at every
                                  minibatch even when the model offers sparse steps
                                  (vem_model_ops.sparse_*); for comparisons; default 0 */
    vem_tol_rule tol_rule;   /**< what tol bounds (vem_tol_rule); default VEM_TOL_PER_OBS */

    /* Progress (optional). */
    vem_progress_fn progress; /**< called after every trace entry; NULL: none */
    void *progress_ctx;
    const char *label;        /**< passed on in vem_progress.label; NULL: none */

    /*
     * Checkpoint, resume and interrupts (vem_fit_run and vem_fit_run_source only;
     * docs/reliability.md, "Checkpoint and resume"). A checkpoint holds what the
     * loop needs to continue: the parameters, the iteration counter, the previous
     * objective, the trace, the online statistics (stepwise S and its step count,
     * incremental EM's per-block ESS), the generators' states (of every process),
     * the restart index and the best restart so far with its parameters. It is
     * taken between iterations (online: between passes) and written atomically
     * (a temporary file, then a rename) by process 0.
     */
    const char *checkpoint;     /**< write checkpoints to this file; NULL: none */
    size_t checkpoint_every;    /**< every this many iterations (passes) of a restart; 0: not
                                     by count */
    double checkpoint_seconds;  /**< when this many seconds of wall time have passed since the
                                     last one (process 0's clock); 0: not by time. With both
                                     0 a checkpoint is written only on an interrupt */
    const char *resume;         /**< continue from this checkpoint, written by a fit of the
                                     same model, data and options: with the same number of
                                     processes the result has the bits of the uninterrupted
                                     fit. VEM_EFORMAT for a checkpoint of another model, data
                                     or options; NULL: start afresh */
    int (*interrupted)(void *ctx); /**< polled after each restart's start and each iteration
                                     (pass); non-zero (on any process): write the checkpoint (if
                                     set), leave the model the best parameters so far and return
                                     VEM_EINTR. NULL: never */
    void *interrupted_ctx;
    /* Stochastic gradients (VEM_ALG_ADAM). */
    double lr;                /**< Adam's step size; default 1e-3 */
    double beta1, beta2;      /**< Adam's moment decays; default 0.9, 0.999 */
    double adam_eps;          /**< Adam's epsilon; default 1e-8 */
    const vem_data *validation; /**< held-out data (borrowed), or NULL: after every pass its
                                     objective (with the model's evaluation noise key 0) goes
                                     into the trace (vem_trace_entry.validation), the
                                     parameters of the best pass are kept and returned, and
                                     with patience the fit stops early */
    size_t patience;          /**< with validation: stop after this many passes without a
                                   better validation objective; 0 (default): never */

    const char *checkpoint_tag; /**< the caller's description of the fit (e.g. its command
                                     line less the checkpoint options), stored in a
                                     checkpoint and compared on resume; NULL: "" */

    /* Monte-Carlo EM (VEM_ALG_MCEM, SEM, CEM; the model's estep_mc). */
    size_t mc_samples;         /**< MCEM: draws per unit at the first iteration; default 100
                                    (SEM: always 1; CEM: none) */
    vem_mc_schedule mc_schedule; /**< MCEM: how m grows; default VEM_MC_AUTO */
    double mc_growth;          /**< GEOMETRIC: ratio per iteration, > 1; default 1.2 */
    size_t mc_max_samples;     /**< the largest m; default 100000 */
    size_t mc_groups;          /**< AUTO: batch-means groups G (m is kept a multiple of G),
                                    >= 2; default 10 */
    double mc_alpha;           /**< AUTO: 1 - the confidence of the swamping test, in (0, 1);
                                    default 0.25 (Booth & Hobert's) */
    size_t mc_window;          /**< MCEM, SEM: the averaging window of the objective for the
                                    convergence test and the monotonicity check, >= 1;
                                    default 5 */
    size_t mc_average_from;    /**< MCEM, SEM: if > 0, the parameters returned are the average
                                    of those after iterations mc_average_from .. the last
                                    (Polyak-Ruppert averaging; for SEM the usual summary);
                                    0 (default): the last iteration's */
    vem_accelerate accelerate; /**< batch EM's acceleration (vem_accelerate); default NONE */
    size_t lbfgs_m;            /**< LBFGS, EM_LBFGS: curvature pairs kept; default 6 */
    double em_switch_rate;     /**< EM_LBFGS: the gain ratio of two successive EM iterations
                                    that, twice in a row, hands over to L-BFGS, in (0, 1];
                                    default 0.9 */
} vem_fit_opts;

/** Defaults as documented in vem_fit_opts. */
VEM_API void vem_fit_opts_init(vem_fit_opts *o);

/**
 * One iteration of the trace. objective is the total objective (nats) of the
 * parameters entering the iteration, computed by its E-step; change is the
 * change of objective per observation from the previous iteration (0 for the
 * first); seconds is the wall time since the restart began. violation is 1 when
 * the objective decreased by more than round-off allows:
 *     objective < previous - mono_rtol * (|previous| + n_obs),
 * which batch EM and CAVI never do (Dempster, Laird & Rubin 1977, Thm 1).
 * Classification EM is checked the same way, on the classification log-likelihood.
 * MCEM and SEM are not monotone: a Monte-Carlo M-step may lower the log-likelihood by
 * chance. Their check allows for it and no more: violation is 1 when
 *     objective < previous - mono_rtol * (|previous| + n_obs) - 3 s,
 * s the standard deviation of the objective's changes over the last mc_window
 * iterations (0 until two changes exist), i.e. a drop beyond the Monte-Carlo noise
 * seen so far (docs/mcem.md). mc_samples is the number of draws per unit of the
 * iteration (0 for the other algorithms). passes counts the data passes of the restart's
 * iterations up to and including this entry's (as vem_fit_result.n_passes), so that
 * algorithms are compared on equal terms (an accelerated cycle is 2 or more passes).
 *
 * Online algorithms: iter counts passes and step is 0 for the entry that
 * closes a pass. Its objective is the sum of the pass's minibatch or block
 * objectives, each at the parameters of its moment (or, with eval_passes,
 * the exact objective of the parameters after the pass). Incremental EM's
 * entries carry the free energy F(q, theta) = sum_b [E_q log p(X_b, Z_b) + H(q_b)]
 * after the pass's last M-step, and violation flags any block whose M-step
 * lowered F (Neal & Hinton 1998 prove it never does). With trace_steps,
 * entries with step = 1, 2, ... record each minibatch or block (objective:
 * the running pass sum, or F for incremental EM).
 */
typedef struct vem_trace_entry {
    size_t iter;
    size_t step;
    double objective;
    double change;
    double seconds;
    int violation;
    double validation; /**< the objective on vem_fit_opts.validation after the pass (nats,
                            total); NaN without validation data or for a step entry */
    size_t mc_samples;
    double passes;
} vem_trace_entry;

/** Opaque state of one fit. */
typedef struct vem_fit vem_fit;

/**
 * New fit of model m to data x (both borrowed until vem_fit_free). Allocates all
 * scratch. NULL on failure (VEM_EINVAL for bad options, or for empty data unless
 * o->comm is set: a process of a distributed fit may hold none; VEM_ENOMEM);
 * see vem_errmsg().
 */
VEM_API vem_fit *vem_fit_new(const vem_model *m, const vem_data *x, const vem_fit_opts *o);
/** Free f; NULL allowed. */
VEM_API void vem_fit_free(vem_fit *f);

struct vem_source;
/**
 * New fit of m to the rows of a data source, read block by block in every
 * pass instead of held in memory (out of core). src is borrowed until
 * vem_fit_free. The model's initialisation runs on opts.init_sample rows
 * spread evenly over the file (all rows if there are fewer), read into memory.
 * With the same options, a fit from a source gives the same bits as a fit
 * from the same rows in memory whenever the initialisation sees all rows (or
 * the fit is warm-started). Errors as vem_fit_new; VEM_EUNSUP for a model
 * whose units are not rows.
 */
VEM_API vem_fit *vem_fit_new_source(const vem_model *m, struct vem_source *src,
                                    const vem_fit_opts *o);

/**
 * Start (or restart) the fit: the model's init with rng unless opts.warm_start,
 * and reset of iteration count and trace. Errors from the model's init.
 */
VEM_API vem_status vem_fit_init(vem_fit *f, vem_rng *rng);

/**
 * One EM iteration (E-step, reduce, check, M-step), or for the online
 * algorithms one pass over the data (a minibatch or block at a time, each
 * followed by its M-step; stepwise draws the rows of the pass in a new
 * shuffled order from the generator given to vem_fit_init). Returns VEM_CONTINUE while
 * running, VEM_OK once converged, VEM_EMAXITER when max_iter is reached (the
 * parameters are usable), VEM_ENUMERIC if the objective is not finite, or the
 * M-step's error.
 */
VEM_API vem_status vem_fit_step(vem_fit *f);

/**
 * Final E-step on the returned parameters, so that vem_fit_objective() is the
 * objective of the parameters the model now holds. Call after the last step.
 */
VEM_API vem_status vem_fit_finish(vem_fit *f);

/**
 * Run the E-step of model m (any model, e.g. k-means inside an initialiser)
 * over all of f's data with f's threads and slots, writing the summed ESS to
 * ess (m's ess_len doubles) and the total objective to *objective, summed over
 * the processes of o->comm. Used by models' init functions. A gradient model
 * (vem_model_ops.gradient) draws its noise with key 0 and each unit's place
 * among all processes' units, so ess is the gradient a single process holding all
 * the units would compute, up to the order of the sum. A model with float ESS
 * (vem_model_ops.ess_float, the VAE) writes ess_len floats at the start of ess.
 */
VEM_API vem_status vem_fit_pass(vem_fit *f, const vem_model *m, double *ess, double *objective);

/** The data f was created with. */
VEM_API const vem_data *vem_fit_data(const vem_fit *f);
/** Options f was created with. */
VEM_API const vem_fit_opts *vem_fit_options(const vem_fit *f);
/** Iterations done since the last vem_fit_init. */
VEM_API size_t vem_fit_iter(const vem_fit *f);
/** Latest total objective (nats); after vem_fit_finish, that of the current parameters. */
VEM_API double vem_fit_objective(const vem_fit *f);
/** Observations in the data, over all processes (the per-observation divisor). */
VEM_API double vem_fit_n_obs(const vem_fit *f);
/** Trace of the current restart; *len receives its length. Borrowed. */
VEM_API const vem_trace_entry *vem_fit_trace(const vem_fit *f, size_t *len);

/** Outcome of vem_fit_run. Release with vem_fit_result_clear. */
typedef struct vem_fit_result {
    int converged;            /**< the kept restart met tol (never with tol 0) */
    size_t n_iter;            /**< iterations of the kept restart */
    double objective;         /**< total objective of the returned parameters (nats) */
    double n_obs;             /**< observations */
    size_t n_violations;      /**< monotonicity violations in the kept restart */
    size_t best_init;         /**< 0-based index of the kept restart */
    size_t n_steps;           /**< M-steps of the kept restart (iterations for batch EM) */
    double seconds;           /**< wall time of all restarts */
    vem_trace_entry *trace;   /**< trace of the kept restart (owned) */
    size_t trace_len;
    int interrupted;          /**< stopped by vem_fit_opts.interrupted (VEM_EINTR): the
                                   parameters are the best so far, not a finished fit */
    size_t mc_samples;        /**< MCEM, SEM: draws per unit at the kept restart's last
                                   iteration; 0 otherwise */
    size_t n_averaged;        /**< MCEM, SEM: iterations averaged (mc_average_from); 0: none */
    double n_passes;          /**< data passes of the kept restart's iterations: the units its
                                   E-steps visited over the data's units (an accelerated
                                   cycle is 2 to 3 or more; a stepwise pass 1, 2 with
                                   eval_passes), not counting the initialisation, the
                                   validation data or the final evaluation */
} vem_fit_result;

/**
 * Fit m to x: o->n_init restarts (init, steps until converged or max_iter,
 * finish), keeping the parameters with the highest final objective. rng seeds
 * the initialisations. res may be NULL. Returns VEM_OK if the kept restart
 * converged, VEM_EMAXITER if it did not (parameters usable), VEM_EINTR when
 * o->interrupted stopped it (parameters: the best so far, by the restarts'
 * final objectives and the current restart's latest one; res describes that
 * restart, converged 0), or an error, in which case the model's parameters are
 * unspecified. With o->checkpoint / o->resume see vem_fit_opts; a checkpoint that
 * cannot be written or read is VEM_EIO, one that does not belong to this fit
 * VEM_EFORMAT (the message names the file and what differs).
 */
VEM_API vem_status vem_fit_run(const vem_model *m, const vem_data *x, const vem_fit_opts *o,
                               vem_rng *rng, vem_fit_result *res);
/** vem_fit_run on a data source (see vem_fit_new_source). */
VEM_API vem_status vem_fit_run_source(const vem_model *m, struct vem_source *src,
                                      const vem_fit_opts *o, vem_rng *rng, vem_fit_result *res);
/** Free what res owns; safe on a zeroed struct. */
VEM_API void vem_fit_result_clear(vem_fit_result *res);

VEM_END_DECLS
#endif /* VEM_FIT_H */
