/*
 * include/vem/fit.h — the EM engine: one loop for every model.
 *
 * GSL-style init / step / finish with a one-call driver, vem_fit_run(), on top.
 * One step is an E-step over all units (row blocks in fixed slots, run in
 * parallel with OpenMP and summed in a fixed order, so the result does not
 * depend on the thread count), the optional reduce hook (e.g. MPI_Allreduce),
 * the monotonicity check and the M-step. Algorithms and conventions: docs/design.md.
 */
#ifndef VEM_FIT_H
#define VEM_FIT_H

#include <vem/common.h>
#include <vem/data.h>
#include <vem/model.h>

VEM_BEGIN_DECLS

/**
 * Reduction hook, called after every data pass with the pass's summed ESS
 * (len doubles) and objective (nats, total over this process's units). A
 * distributed driver replaces both, in place, by their sums over all processes.
 * Returns VEM_OK or an error that stops the fit.
 */
typedef vem_status (*vem_reduce_fn)(double *ess, size_t len, double *objective, void *ctx);

/** Progress callback: one line of text, no trailing newline. */
typedef void (*vem_log_fn)(void *ctx, const char *line);

/** Fit options; initialise with vem_fit_opts_init(). */
typedef struct vem_fit_opts {
    size_t max_iter;  /**< EM iterations per restart; default 100 */
    double tol;       /**< stop when |change of objective per observation| < tol (nats); default 1e-3 */
    size_t n_init;    /**< restarts; the best final objective is kept; default 1 */
    int warm_start;   /**< non-zero: start from the model's current parameters (no init) */
    int nthreads;     /**< OpenMP threads; 0 = OpenMP default, 1 = serial */
    size_t block;     /**< units per E-step block; default 4096 */
    size_t nslots;    /**< fixed slots the units are split into; default 64 */
    double mono_rtol; /**< monotonicity tolerance, see vem_trace_entry; default 1e-9 */
    vem_reduce_fn reduce;
    void *reduce_ctx;
    vem_log_fn log;
    void *log_ctx;
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
 */
typedef struct vem_trace_entry {
    size_t iter;
    double objective;
    double change;
    double seconds;
    int violation;
} vem_trace_entry;

/** Opaque state of one fit. */
typedef struct vem_fit vem_fit;

/**
 * New fit of model m to data x (both borrowed until vem_fit_free). Allocates all
 * scratch. NULL on failure (VEM_EINVAL for bad options or empty data,
 * VEM_ENOMEM); see vem_errmsg().
 */
VEM_API vem_fit *vem_fit_new(const vem_model *m, const vem_data *x, const vem_fit_opts *o);
/** Free f; NULL allowed. */
VEM_API void vem_fit_free(vem_fit *f);

/**
 * Start (or restart) the fit: the model's init with rng unless opts.warm_start,
 * and reset of iteration count and trace. Errors from the model's init.
 */
VEM_API vem_status vem_fit_init(vem_fit *f, vem_rng *rng);

/**
 * One EM iteration (E-step, reduce, check, M-step). Returns VEM_CONTINUE while
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
 * ess (m's ess_len doubles) and the total objective to *objective. The reduce
 * hook is applied. Used by models' init functions.
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
/** Observations in the data (the per-observation divisor). */
VEM_API double vem_fit_n_obs(const vem_fit *f);
/** Trace of the current restart; *len receives its length. Borrowed. */
VEM_API const vem_trace_entry *vem_fit_trace(const vem_fit *f, size_t *len);

/** Outcome of vem_fit_run. Release with vem_fit_result_clear. */
typedef struct vem_fit_result {
    int converged;            /**< the kept restart met tol */
    size_t n_iter;            /**< iterations of the kept restart */
    double objective;         /**< total objective of the returned parameters (nats) */
    double n_obs;             /**< observations */
    size_t n_violations;      /**< monotonicity violations in the kept restart */
    size_t best_init;         /**< 0-based index of the kept restart */
    double seconds;           /**< wall time of all restarts */
    vem_trace_entry *trace;   /**< trace of the kept restart (owned) */
    size_t trace_len;
} vem_fit_result;

/**
 * Fit m to x: o->n_init restarts (init, steps until converged or max_iter,
 * finish), keeping the parameters with the highest final objective. rng seeds
 * the initialisations. res may be NULL. Returns VEM_OK if the kept restart
 * converged, VEM_EMAXITER if it did not (parameters usable), or an error, in
 * which case the model's parameters are unspecified.
 */
VEM_API vem_status vem_fit_run(const vem_model *m, const vem_data *x, const vem_fit_opts *o,
                               vem_rng *rng, vem_fit_result *res);
/** Free what res owns; safe on a zeroed struct. */
VEM_API void vem_fit_result_clear(vem_fit_result *res);

VEM_END_DECLS
#endif /* VEM_FIT_H */
