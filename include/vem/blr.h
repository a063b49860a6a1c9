/*
 * include/vem/blr.h — Bayesian linear regression by mean-field variational Bayes
 * (with ARD, by default, by MacKay's evidence updates as scikit-learn's ARDRegression).
 *
 * The model (Bishop, PRML 10.3; Drugowitsch 2013, "Variational Bayesian
 * inference for linear and logistic regression", arXiv:1310.5438):
 *     y_n | w, beta ~ N(z_n^T w, 1 / beta)         (beta: noise precision)
 *     w | alpha ~ N(0, alpha^-1 I)                 (alpha: weight precision)
 *       or, with ARD, w_i | alpha_i ~ N(0, 1 / alpha_i), one alpha per weight
 *     alpha ~ Gamma(c0, d0), beta ~ Gamma(a0, b0)  (shape, rate; all 1e-6 by
 *                                                    default, as scikit-learn's BayesianRidge)
 * fitted as q(w) q(alpha) q(beta) by coordinate ascent on the engine (fit.h):
 * a pass gathers the ESS (Z^T Z, Z^T t, t^T t, n) and each row's expected
 * log-likelihood; the update sets q(w) = N(mu, Sigma) with
 * Sigma = (E[A] + E[beta] Z^T Z)^-1, mu = E[beta] Sigma Z^T t (PRML eqs.
 * 10.99-10.100 with ARD's diagonal E[A]), then q(alpha) (eqs. 10.93-10.95) and
 * q(beta) in turn. The fixed point is that of scikit-learn's BayesianRidge
 * (MacKay's evidence approximation); with ARD the two update rules below have
 * the same fixed points for a given pruned set, but MacKay's prunes on the way,
 * as ARDRegression, and so may end with another pruned set. The VB objective
 * is the full ELBO (nats, every constant kept).
 *
 * Features: z = (x - shift) / scale, where shift is the column mean when the
 * intercept or standardisation is on (else 0) and scale the column standard
 * deviation (divisor n) with standardisation (else 1); the target is
 * t = y - mean(y) with the intercept (else y). The intercept is not
 * penalised: as scikit-learn, it is mean(y) - shift^T coef after the fit.
 * Coefficients, their covariance and the intercept are reported on the
 * input scale.
 *
 * ARD has two update rules for the per-weight precisions (vem_blr_set_ard_update;
 * docs/vb.md, "ARD"), which share their fixed points but not their paths:
 * - VEM_BLR_MACKAY (default): MacKay's evidence (type-II maximum likelihood)
 *   re-estimation, as scikit-learn's ARDRegression (MacKay 1992, "Bayesian
 *   interpolation"; per weight as the relevance vector machine's, Tipping 2001,
 *   PRML eqs. 7.87-7.89, with the Gamma hyperpriors added). The precisions
 *   are point estimates lambda_i, beta; an iteration sets q(w) = N(mu, Sigma)
 *   given them (as above), then, with gamma_i = 1 - lambda_i Sigma_ii,
 *       lambda_i = (gamma_i + 2 c0) / (mu_i^2 + 2 d0),
 *       beta = (n - sum_i gamma_i + 2 a0) / (||t - Z mu||^2 + 2 b0),
 *   prunes every weight whose lambda_i exceeds the threshold at once (mu_i = 0,
 *   dropped from q(w), lambda_i kept as it was), and stops when the posterior
 *   means moved by sum_i |mu_i - mu_i(previous)| < tol (z scale), or when every
 *   weight is pruned; q(w) is then recomputed from the final precisions. These
 *   are the stationary equations of L = ln p(t | lambda, beta) +
 *   sum_i (c0 ln lambda_i - d0 lambda_i) + a0 ln beta - b0 beta over the kept
 *   weights (the log evidence plus the Gamma log densities of ln lambda_i, ln beta
 *   without their constants), which is the reported objective: the evidence
 *   lower bound of q(w) at the point estimates, equal to L because q(w) is the
 *   exact conditional posterior. The updates are fixed-point steps, not a
 *   coordinate ascent: L is not guaranteed to increase (no decrease was seen
 *   on the data of the tests); a decrease is flagged in the trace all the same.
 * - VEM_BLR_VB: the mean-field updates above with q(alpha_i) = Gamma(c0 + 1/2,
 *   d0 + (mu_i^2 + Sigma_ii) / 2) (PRML eqs. 10.93-10.95 per weight), monotone
 *   in the full ELBO; the fit runs to the engine's test, then the weights whose
 *   E[alpha_i] exceeds the threshold are pruned and the rest refitted (from the
 *   current q(alpha), q(beta)), until none is newly pruned; the ELBO reported is
 *   that of the pruned model. Weights are pruned only at convergence, so a
 *   weight whose lambda_i MacKay's path carries past the threshold in its first
 *   iterations (and prunes at once) can instead settle here at a finite
 *   stationary point below it: on the digits problem of the tests the 11
 *   weights ARDRegression prunes end between 5,594 and 9,536 (the point
 *   MacKay's update also reaches when nothing is pruned) and none is pruned
 *   (docs/vb.md, "ARD").
 * Either way pruned coefficients are exactly 0 (default threshold 1e4 on the z
 * scale, as scikit-learn's threshold_lambda).
 */
#ifndef VEM_BLR_H
#define VEM_BLR_H

#include <vem/common.h>
#include <vem/data.h>
#include <vem/fit.h>

VEM_BEGIN_DECLS

/** Bayesian linear regression on d features. Opaque. */
typedef struct vem_blr vem_blr;

/** New model on d >= 1 features, defaults as above. NULL on VEM_EINVAL (d = 0) or VEM_ENOMEM
 *  (also when five d x d arrays of doubles exceed vem_memory_limit(), checked first). */
VEM_API vem_blr *vem_blr_new(size_t d);
/** Free b; NULL allowed. */
VEM_API void vem_blr_free(vem_blr *b);

VEM_API size_t vem_blr_d(const vem_blr *b);

/** One weight precision per weight (non-zero) or one shared (0, default). Resets the fit. */
VEM_API vem_status vem_blr_set_ard(vem_blr *b, int ard);
VEM_API int vem_blr_ard(const vem_blr *b);
/** How ARD updates the weight precisions (see the top of this file). */
typedef enum vem_blr_update {
    VEM_BLR_MACKAY = 0, /**< MacKay's evidence re-estimation, as ARDRegression (default) */
    VEM_BLR_VB = 1      /**< mean-field variational Bayes (coordinate ascent on the ELBO) */
} vem_blr_update;

/** "mackay", "vb"; NULL for an invalid value. */
VEM_API const char *vem_blr_update_name(vem_blr_update u);
/** Parse a name as above into *out. VEM_EINVAL for an unknown name. */
VEM_API vem_status vem_blr_update_parse(const char *name, vem_blr_update *out);
/**
 * The ARD update rule (used when ARD is on; the shared-precision fit is always
 * VB). VEM_EINVAL for a value outside the enum. Changing it resets the fit (the
 * stored precisions mean different things: Gamma factors for VB, point
 * estimates for MacKay); setting the current value changes nothing.
 */
VEM_API vem_status vem_blr_set_ard_update(vem_blr *b, vem_blr_update u);
VEM_API vem_blr_update vem_blr_ard_update(const vem_blr *b);
/** Fit an unpenalised intercept (default off here; `vem fit blr` turns it on unless
 *  --no-intercept, as scikit-learn's fit_intercept=True). */
VEM_API vem_status vem_blr_set_intercept(vem_blr *b, int on);
VEM_API int vem_blr_intercept_on(const vem_blr *b);
/** Standardise the features to mean 0 and variance 1 (divisor n) before fitting (default off). */
VEM_API vem_status vem_blr_set_standardize(vem_blr *b, int on);
VEM_API int vem_blr_standardize_on(const vem_blr *b);
/**
 * Gamma hyperpriors (shape, rate), all > 0 and finite: noise precision
 * Gamma(a0, b0), weight precision Gamma(c0, d0). VEM_EINVAL otherwise.
 * scikit-learn's names: alpha_1, alpha_2 (noise), lambda_1, lambda_2 (weights).
 */
VEM_API vem_status vem_blr_set_hyperpriors(vem_blr *b, double a0, double b0, double c0,
                                           double d0);
/** The four hyperprior values a0, b0, c0, d0 into out[4]. */
VEM_API void vem_blr_hyperpriors(const vem_blr *b, double out[4]);
/** ARD pruning threshold on E[alpha_i] (VB) or lambda_i (MacKay), z scale (> 0, INFINITY
 *  disables; default 1e4). VEM_EINVAL otherwise. */
VEM_API vem_status vem_blr_set_prune_threshold(vem_blr *b, double threshold);
VEM_API double vem_blr_prune_threshold(const vem_blr *b);

/** Feature names (d strings, copied) and target name (may be NULL) for model files. VEM_ENOMEM. */
VEM_API vem_status vem_blr_set_columns(vem_blr *b, const char *const *names, const char *target);
/** Feature names or NULL. Borrowed. */
VEM_API const char *const *vem_blr_columns(const vem_blr *b);
/** Target name or NULL. Borrowed. */
VEM_API const char *vem_blr_target(const vem_blr *b);

/**
 * Fit to the rows of x (n x d) and targets y (n), both borrowed for the call.
 * o may be NULL (engine defaults: tol 1e-3 nats per row, 100 iterations);
 * o->n_init must be 1 (the start is deterministic: E[alpha] = 1, E[beta] =
 * 1 / var(t), as scikit-learn). res->objective is the ELBO (nats) of the
 * returned posterior. Returns VEM_OK, VEM_EMAXITER (usable), VEM_EINVAL (shape
 * mismatch, n < 2, non-finite values, a constant column with standardisation),
 * VEM_EUNSUP (o->algorithm other than VEM_ALG_BATCH: the updates are closed form),
 * VEM_ENUMERIC. With o->comm (a distributed fit) x and y are this process's
 * share (possibly fewer than 2 rows): the column and target moments of the
 * transform and the start are summed over the processes like the ESS, so every
 * process gets the model of all rows; n >= 2 applies to the total. With
 * o->warm_start the coordinate ascent starts from b's current q(alpha) and
 * q(beta) (e.g. a loaded model) instead of the default start; the centring and
 * standardisation are still computed from x.
 *
 * With ARD and VEM_BLR_MACKAY the iterations are MacKay's (see the top of this
 * file) on the ESS of one pass over x, and the options mean ARDRegression's:
 * o->max_iter bounds the iterations (ARDRegression: n_iter, 300; the engine's
 * default is 100), o->tol bounds sum_i |mu_i - mu_i(previous)| on the z scale
 * (ARDRegression: tol, 1e-3; o->tol_rule is not used), tol 0 runs max_iter
 * iterations unless every weight is pruned. res->n_iter counts the iterations
 * as ARDRegression's loop does; res->trace has one entry per iteration, the
 * objective L of the precisions entering it; res->objective is L of the returned
 * model. With VEM_BLR_VB each refit after pruning runs up to o->max_iter
 * iterations of its own, and res->n_iter is their sum.
 */
VEM_API vem_status vem_blr_fit(vem_blr *b, const vem_matrix *x, const double *y,
                               const vem_fit_opts *o, vem_fit_result *res);

/** Posterior mean of the weights on the input scale (d; pruned weights are 0). Borrowed. */
VEM_API const double *vem_blr_coef(const vem_blr *b);
/** Posterior covariance of the weights on the input scale, d x d, into out. */
VEM_API void vem_blr_coef_cov(const vem_blr *b, double *out);
/** The intercept (0 unless the intercept or standardisation is on). */
VEM_API double vem_blr_intercept(const vem_blr *b);
/** E[beta], the noise precision (MacKay's update: its estimate, ARDRegression's alpha_). */
VEM_API double vem_blr_noise_precision(const vem_blr *b);
/** E[alpha] (1 value) or E[alpha_i] (d values, on the z scale; with MacKay's update the
 *  estimates lambda_i, pruned ones at the value that crossed the threshold). Borrowed. */
VEM_API const double *vem_blr_weight_precision(const vem_blr *b);
/** 1, or d with ARD. */
VEM_API size_t vem_blr_weight_precision_len(const vem_blr *b);
/** Number of weights pruned by ARD. */
VEM_API size_t vem_blr_n_pruned(const vem_blr *b);
/** Whether weight i was pruned. */
VEM_API int vem_blr_pruned(const vem_blr *b, size_t i);

/**
 * Predictive mean and standard deviation of each row of x (PRML eq. 10.105):
 * mean = intercept + x^T coef, var = 1 / E[beta] + z^T Sigma z. sd may be NULL.
 * VEM_EINVAL for a column mismatch; VEM_ENUMERIC "data row N: ..." for the first row
 * whose mean or variance is not finite (also in vem_blr_score).
 */
VEM_API vem_status vem_blr_predict(const vem_blr *b, const vem_matrix *x, double *mean,
                                   double *sd);
/** Mean (per row) and total log predictive density (nats) of y given x; either may be NULL. */
VEM_API vem_status vem_blr_score(const vem_blr *b, const vem_matrix *x, const double *y,
                                 double *mean, double *total);

/**
 * The whole state as a flat vector, for model files: [shift (d), scale (d),
 * yshift, mu (d, z scale), Sigma (d x d, z scale), alpha shape and rate
 * (2 per weight precision), beta shape and rate, pruned flags (d, 0 or 1)].
 * With ARD and MacKay's update the precisions are point estimates, stored as
 * the pairs (lambda_i, 1) and (beta, 1) (so that shape / rate gives them back
 * exactly). vem_blr_state_len doubles.
 */
VEM_API size_t vem_blr_state_len(const vem_blr *b);
VEM_API void vem_blr_state_get(const vem_blr *b, double *out);
/** Set the state (validated: finite, positive scales and Gamma parameters). VEM_EINVAL. */
VEM_API vem_status vem_blr_state_set(vem_blr *b, const double *in);

/**
 * Write a "blr" model file (JSON), atomically as vem_gmm_save (the whole old file
 * or the whole new one at every instant); fit_info may be NULL. VEM_EIO, VEM_ENOMEM.
 */
VEM_API vem_status vem_blr_save(const vem_blr *b, const char *path, const vem_fit_result *fit_info);
/**
 * The model as the JSON text of its model file (docs/formats.md) less the "fit"
 * record: one line, doubles with 17 significant digits, so parsing it gives back
 * the same bits. Returns a malloc'd string (release with free()), or NULL with
 * vem_errmsg() saying why: a NULL model, a column (or symbol, target) name that is
 * not valid UTF-8 (JSON cannot hold it), a non-finite parameter, or no memory. The
 * same failures make vem_*_save fail with VEM_EINVAL or VEM_ENOMEM.
 */
VEM_API char *vem_blr_to_json(const vem_blr *b);
/**
 * Load a "blr" model file; NULL on failure (VEM_EIO, VEM_EFORMAT naming the key).
 * Checked before allocating: n_features x n_features numbers must fit in the file,
 * and five such arrays in vem_memory_limit() (VEM_ENOMEM). Refused: a sigma that is
 * not symmetric or not positive definite over the kept weights, a coef of other
 * than n_features numbers, a noise_precision that is not positive.
 */
VEM_API vem_blr *vem_blr_load(const char *path);

VEM_END_DECLS
#endif /* VEM_BLR_H */
