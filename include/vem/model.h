/*
 * include/vem/model.h — the interface between a model and the engine.
 *
 * A model owns its maths (E-step to expected sufficient statistics, M-step from
 * them, the objective); the engine (fit.h) owns the loop. The expected
 * sufficient statistics (ESS) are one flat array of doubles, so summing them
 * over row blocks, threads or processes (MPI_Allreduce), blending them for
 * online EM and writing them to a checkpoint are written once for every model.
 * See docs/design.md. This interface may still grow fields at the end.
 */
#ifndef VEM_MODEL_H
#define VEM_MODEL_H

#include <vem/common.h>
#include <vem/data.h>

VEM_BEGIN_DECLS

struct vem_fit;

/**
 * What a Monte-Carlo E-step draws (vem_model_ops.estep_mc; fit.h, VEM_ALG_MCEM, SEM and
 * CEM; docs/mcem.md).
 * - key: the iteration's key, drawn by the engine from the fit's generator.
 * - first: the place of the data's unit 0 among all processes' units, so that unit u
 *   draws from the generators vem_mc_unit_rng(mc, u, g, ...) give, whatever the slots,
 *   threads, blocks, streaming reads or processes.
 * - samples: m >= 1 draws of each unit's latent variables from q (the exact posterior
 *   under the current parameters); 0: no draw, the most probable value (CEM).
 * - groups: G >= 1 divides samples (or is 1 with samples 0). The ESS array holds G arrays
 *   of ess_len doubles one after the other; group g of unit u takes m / G draws from the
 *   generator vem_mc_unit_rng(mc, u, g, ...), and its array receives the sum of their
 *   statistics divided by m / G (a sample average). The engine's ESS are the mean of the
 *   G arrays; their spread estimates the Monte-Carlo error (batch means).
 */
typedef struct vem_mc_draw {
    uint64_t key;
    uint64_t first;
    size_t samples;
    size_t groups;
} vem_mc_draw;

/** Seed rng for group g of unit u of the data an estep_mc call receives: a function of
 *  (mc->key, mc->first + u, g) alone (splitmix64 finalisers of the three). */
VEM_API void vem_mc_unit_rng(const vem_mc_draw *mc, size_t u, size_t g, vem_rng *rng);

/** Operations a model supplies to the engine. Optional members may be NULL. */
typedef struct vem_model_ops {
    const char *name;
    /** Number of doubles in the ESS array. */
    size_t (*ess_len)(const void *self);
    /** Doubles of scratch one worker needs for an E-step on at most `block` units. */
    size_t (*scratch_len)(const void *self, size_t block);
    /** Number of units in x (rows for mixtures, sequences for HMMs). */
    size_t (*n_units)(const void *self, const vem_data *x);
    /** Number of observations in x, the divisor of the per-observation objective. */
    double (*n_obs)(const void *self, const vem_data *x);
    /**
     * E-step on units [u0, u1) of x: ADD their ESS into ess (ess_len doubles)
     * and return their objective (log-likelihood for EM, expected log joint
     * minus entropy terms for variational EM), in nats. Must not modify self:
     * the engine calls it from several threads at once.
     */
    double (*estep)(const void *self, const vem_data *x, size_t u0, size_t u1, double *ess,
                    double *scratch);
    /**
     * M-step: parameters from the summed ESS. The engine calls it with OpenMP's
     * thread count set to the fit's, so a model may spread independent work
     * (one factorisation per component) over a plain `omp parallel for`; its
     * result must not depend on the number of threads.
     */
    vem_status (*mstep)(void *self, const double *ess);
    /** Objective terms outside the data sum (priors, -KL of global factors); NULL means 0. */
    double (*objective_extra)(const void *self);
    /**
     * Initialise the parameters (called once per restart unless warm-starting).
     * May run data passes through vem_fit_pass(f, ...). NULL: parameters must be set.
     */
    vem_status (*init)(void *self, struct vem_fit *f, vem_rng *rng);
    /** Length of the flat parameter vector (for restarts, broadcasts, checkpoints). */
    size_t (*params_len)(const void *self);
    /** Copy the parameters into out (params_len doubles). */
    void (*params_get)(const void *self, double *out);
    /** Set the parameters from in (params_len doubles), recomputing derived quantities. */
    vem_status (*params_set)(void *self, const double *in);
    /**
     * Expected complete-data log-likelihood E_q[log p(X, Z | theta)] of the
     * current parameters, written through ESS (for an exponential family,
     * <eta(theta), S> - N A(theta) + constants). Optional: incremental EM uses
     * it to evaluate and check the free energy after every block.
     */
    double (*ess_objective)(const void *self, const double *ess);
    /**
     * The ESS the current parameters stand for (for LDA, lambda - eta), into
     * ess. Optional: when present, stepwise EM starts from them and blends
     * every minibatch in with gamma_t = (t + tau)^(-kappa) from t = 1, as
     * Hoffman et al. (2010) blend into the initial lambda; without it the
     * first minibatch replaces S.
     */
    void (*ess_from_params)(const void *self, double *ess);
    /**
     * Optional, all four or none: sparse stepwise EM, the lazy decay of Vowpal
     * Wabbit's online LDA (docs/online.md, "Sparse stepwise EM"). For a model
     * whose ESS are n_rows rows of row_len doubles followed by a short dense
     * tail, and whose units each add to few rows (LDA: a document to the rows
     * of its distinct words). The engine then keeps S = c s over the rows (a
     * scalar c, decayed at every step, the tail exact) and touches only the
     * rows a minibatch adds to, so a step costs in proportion to those, not to
     * ess_len. Used by stepwise EM on sequences or documents, in memory or from a
     * source, and under a communicator (the rows any process touched are summed).
     *
     * sparse_shape: n_rows and row_len (n_rows * row_len <= ess_len; the tail
     *   is the rest).
     * sparse_rows: the distinct rows units [u0, u1) of x add to, written to
     *   rows (room for n_rows) in a deterministic order; returns their count.
     *   seen: n_rows bytes, all zero on entry and again on return.
     * sparse_prepare: called before an E-step on units adding to `rows`: make
     *   what that E-step reads for those rows current for the statistics
     *   S = c s (rows part; the tail of s is exact), colsum (row_len) being the
     *   sum of s's rows.
     * sparse_mstep: the M-step for those statistics when only `rows` changed
     *   since the previous call; rows NULL: a refresh of every row at the end
     *   of a pass (with c = 1), not a new step.
     * Both run with OpenMP's thread count set to the fit's (see mstep).
     */
    void (*sparse_shape)(const void *self, size_t *n_rows, size_t *row_len);
    size_t (*sparse_rows)(const void *self, const vem_data *x, size_t u0, size_t u1,
                          uint32_t *rows, unsigned char *seen);
    vem_status (*sparse_prepare)(void *self, const double *s, const double *colsum, double c,
                                 const uint32_t *rows, size_t n);
    vem_status (*sparse_mstep)(void *self, const double *s, const double *colsum, double c,
                               const uint32_t *rows, size_t n);
    /**
     * Distributed fits (vem_fit_opts.comm): zero (default) initialises on process 0
     * on a sample of the rows (or frames) gathered from every process and broadcasts
     * the parameters; non-zero runs init on every process with its own share, the
     * model's passes through vem_fit_pass being summed over the processes (for an
     * initialiser that is exact only on all the data).
     */
    int init_on_shares;
    /**
     * Optional, all three or none: the state beyond the parameters that the next
     * iteration reads and that params_set does not give back bit for bit (a
     * Gaussian mixture's centre, about which its statistics are taken, and the
     * structured covariances' warm start). A checkpoint (vem_fit_opts.checkpoint)
     * saves it with the parameters; resuming calls state_set after params_set, so
     * that the resumed fit has the bits of the uninterrupted one.
     */
    size_t (*state_len)(const void *self);
    void (*state_get)(const void *self, double *out);
    vem_status (*state_set)(void *self, const double *in);
    /**
     * Gradient models (fitted by VEM_ALG_ADAM, fit.h; docs/vae.md): non-zero
     * `gradient` says that the "ESS" are the gradient of the objective with
     * respect to the parameter vector of params_get / params_set (ess_len ==
     * params_len): estep ADDS the gradient of its units' objective estimate
     * (total nats, a Monte-Carlo estimate) and returns that estimate; mstep is not
     * called (the engine's optimiser updates the parameters through params_set).
     * noise_key: called before every E-step pass over a minibatch with a key drawn
     * from the fit's generator, and before a pass over all the data (an evaluation,
     * the validation data) with key 0; the model draws the noise of unit u of the
     * pass's data from (key, first + u) alone, so that estimates do not depend on
     * threads or slots. first: the pass data's first unit among all processes' units
     * (the units of the processes before this one; 0 for a minibatch), so that a
     * distributed evaluation draws each unit's noise as one process does. A pass
     * that needs the objective alone (the validation data's, every epoch) calls
     * estep with ess NULL: the model then returns the objective estimate and skips
     * the gradient (for the VAE, the backward pass: about 2/3 of a step's work).
     */
    int gradient;
    void (*noise_key)(void *self, uint64_t key, uint64_t first);
    /**
     * A gradient model whose network runs in float32 (the VAE) may set `ess_float`:
     * its "ESS" (the gradient) are then ess_len FLOATS at the start of the double
     * array that estep receives (and that vem_fit_pass returns), summed over slots
     * in float, in slot order (the same bits for any thread count), and over MPI
     * processes in double; and it must give params_f32, its live float32 parameter
     * vector (params_len floats, the order of params_get), which the engine's Adam
     * step updates in place, its moments in float32 too (saved in checkpoints as
     * doubles, which hold floats exactly). One float pass over the parameters per
     * step instead of double ones: for the VAE on Fashion-MNIST the step's
     * double-precision traffic was a third of an epoch (bench/README.md, "VAE").
     */
    int ess_float;
    float *(*params_f32)(void *self);
    /**
     * Optional: the Monte-Carlo E-step of VEM_ALG_MCEM, VEM_ALG_SEM and VEM_ALG_CEM
     * (fit.h; docs/mcem.md). As estep on units [u0, u1) of x, but ADDS the statistics of
     * mc->samples draws of each unit's latent variables from q (the exact posterior under
     * the current parameters), averaged per group as vem_mc_draw says, into ess
     * (mc->groups x ess_len doubles); with mc->samples 0 those of the most probable value
     * (classification EM, Celeux & Govaert 1992). Unit u's draws for group g come from
     * vem_mc_unit_rng(mc, u, g, ...) alone. Returns the units' objective in nats: the
     * log-likelihood log p(x_u | theta) (exact, or an estimate where it has no closed
     * form, which the model documents) for draws; for the mode, the classification
     * log-likelihood sum_u max_z log p(x_u, z | theta), which classification EM never
     * decreases. The M-step is mstep on the mean of the groups.
     */
    double (*estep_mc)(const void *self, const vem_data *x, size_t u0, size_t u1, double *ess,
                       double *scratch, const vem_mc_draw *mc);
    /**
     * Optional, all four or none: the objective's gradient, for gradient-based maximum
     * likelihood (issue 18; docs/acceleration.md). By Fisher's identity the gradient of
     * log p(X | theta) is E_q[grad log p(X, Z | theta)] under the exact posterior, a
     * function of the ESS an E-step sums at theta (Salakhutdinov, Roweis & Ghahramani 2003).
     * - ugrad_len: the length of u, the parameters in the model's unconstrained
     *   coordinates (each model documents its map: weights by log-weights under a softmax,
     *   precision Cholesky factors with log diagonals, ...); 0 when the model's present
     *   configuration has none (then the other three are not called).
     * - uparams_get: the current parameters as u; it also fixes the map's reference point
     *   (a model may whiten its coordinates about the present parameters, so that a
     *   quasi-Newton method sees them on one scale), which uparams_set and ess_gradient use
     *   until the next uparams_get. VEM_ENOMEM.
     * - uparams_set: parameters from u (derived quantities recomputed); VEM_ENUMERIC when
     *   u maps to none the model can hold.
     * - ess_gradient: grad (ugrad_len doubles) = d objective / d u at the current
     *   parameters, from ess, the ESS of an E-step over all the data at them (summed over
     *   processes), the objective being the E-steps' total plus objective_extra.
     */
    size_t (*ugrad_len)(const void *self);
    vem_status (*uparams_get)(void *self, double *u);
    vem_status (*uparams_set)(void *self, const double *u);
    void (*ess_gradient)(const void *self, const double *ess, double *grad);
} vem_model_ops;

/** A model as the engine sees it: its operations and its state. */
typedef struct vem_model {
    const vem_model_ops *ops;
    void *self;
} vem_model;

VEM_END_DECLS
#endif /* VEM_MODEL_H */
