/*
 * include/vem/blogr.h — Bayesian logistic regression by stochastic variational
 * inference (Kucukelbir et al. 2017, "Automatic differentiation variational
 * inference", JMLR 18: the reparameterisation gradient of the ELBO, Adam steps).
 *
 * The model (docs/blogr.md):
 *     p(y_n = 1 | x_n, w) = sigmoid(z_n^T w),  z_n = ((x_n - shift) / scale, 1)
 *     w ~ N(0, prior_var I)                     (p = d + 1 weights, intercept last;
 *                                                 default prior_var 10)
 * Features are standardised as vem_blr's: shift the column mean and scale the
 * column standard deviation (divisor n), each on by default; the intercept is a
 * weight like the others (penalised by the same prior) and may be turned off.
 * q(w) = N(m, L L^T) with L lower triangular and a positive diagonal (full rank)
 * or diagonal (mean field, the default). The ELBO
 *     sum_n E_q[ln p(y_n | x_n, w)] - KL(q || p)
 * is maximised by Adam on the engine (VEM_ALG_ADAM, fit.h): each row adds the
 * gradient of its estimate
 *     (1/S) sum_s ln p(y_n | x_n, m + L eps_ns) - KL / N
 * (S = samples per row, eps_ns ~ N(0, I) drawn from (the pass's noise key, the
 * row's place first + u among all processes' rows of the pass's data, as
 * vem_model_ops.noise_key gives them): per-row noise, so that the estimate does not
 * depend on threads, slots or processes), with KL in closed form.
 * The parameter vector is m (p), then the scale part: ln s (p) for the mean field
 * (L = diag s); for full rank the rows of L's lower triangle (p (p + 1) / 2, row
 * i holding L_i0 .. L_ii) with ln L_ii in place of each diagonal entry.
 */
#ifndef VEM_BLOGR_H
#define VEM_BLOGR_H

#include <vem/common.h>
#include <vem/data.h>
#include <vem/fit.h>

VEM_BEGIN_DECLS

/** Bayesian logistic regression on d features. Opaque. */
typedef struct vem_blogr vem_blogr;

/** The family of q(w). */
typedef enum vem_blogr_family {
    VEM_BLOGR_MEAN_FIELD = 0, /**< diagonal covariance (default) */
    VEM_BLOGR_FULL_RANK = 1   /**< full covariance L L^T */
} vem_blogr_family;

/** "mean-field", "full-rank"; NULL for an invalid value. */
VEM_API const char *vem_blogr_family_name(vem_blogr_family f);
/** Parse a name as above. VEM_EINVAL for an unknown name. */
VEM_API vem_status vem_blogr_family_parse(const char *name, vem_blogr_family *out);

/** New model on d >= 1 features (at most 4096), defaults as above. NULL on VEM_EINVAL or
 *  VEM_ENOMEM. q starts at m = 0, L = 0.1 I (the start of every fit). */
VEM_API vem_blogr *vem_blogr_new(size_t d);
/** Free b; NULL allowed. */
VEM_API void vem_blogr_free(vem_blogr *b);

VEM_API size_t vem_blogr_d(const vem_blogr *b);
/** Number of weights p: d + 1 with the intercept, else d. */
VEM_API size_t vem_blogr_n_weights(const vem_blogr *b);

/** Setters reset q to its start (their shapes or meaning change). VEM_EINVAL for bad values. */
VEM_API vem_status vem_blogr_set_family(vem_blogr *b, vem_blogr_family f);
VEM_API vem_blogr_family vem_blogr_family_of(const vem_blogr *b);
VEM_API vem_status vem_blogr_set_intercept(vem_blogr *b, int on);
VEM_API int vem_blogr_intercept_on(const vem_blogr *b);
VEM_API vem_status vem_blogr_set_standardize(vem_blogr *b, int on);
VEM_API int vem_blogr_standardize_on(const vem_blogr *b);
/** Prior variance (> 0, finite; default 10). */
VEM_API vem_status vem_blogr_set_prior_var(vem_blogr *b, double v);
VEM_API double vem_blogr_prior_var(const vem_blogr *b);
/** Monte-Carlo draws per row in the gradient estimate (>= 1; default 1). */
VEM_API vem_status vem_blogr_set_samples(vem_blogr *b, size_t s);
VEM_API size_t vem_blogr_samples(const vem_blogr *b);

/** Seed of the fit's generator (the engine's shuffles and noise keys; default 0). */
VEM_API void vem_blogr_set_seed(vem_blogr *b, uint64_t seed);

/** Feature names (d strings, copied) and target name (may be NULL). VEM_ENOMEM. */
VEM_API vem_status vem_blogr_set_columns(vem_blogr *b, const char *const *names,
                                         const char *target);
VEM_API const char *const *vem_blogr_columns(const vem_blogr *b);
VEM_API const char *vem_blogr_target(const vem_blogr *b);

/**
 * Fit q to rows x (n x d) and labels y (n, each 0 or 1), both borrowed for the
 * call, by vem_fit_run with o->algorithm VEM_ALG_ADAM (o may be NULL: Adam with
 * the engine's defaults, lr 1e-3 unless set; max_iter counts epochs). The rows
 * and labels are copied into one n x (d + 1) matrix (the label last) so that the
 * engine's shuffled minibatches carry each row's label. o->algorithm other than
 * ADAM: VEM_EUNSUP. Without a warm start the transform is computed from x and q
 * starts at m = 0, L = 0.1 I; with o->warm_start the fit starts from b's current q
 * and keeps its transform (q lives on that scale). o->validation, if set, holds
 * rows of the same n x (d + 1) layout (features, then the label; VEM_EINVAL
 * otherwise), the engine evaluating it with noise key 0. With o->comm (a
 * distributed fit) x and y are this process's share: the standardisation and the
 * KL's divisor N are those of all rows, the gradients summed over the processes
 * by the engine, and a bad share stops every process alike. res->objective is the ELBO estimate of the
 * final pass (nats). VEM_EINVAL: shape mismatch, n < 2, non-finite values, a
 * label other than 0 or 1, a constant column with standardisation.
 */
VEM_API vem_status vem_blogr_fit(vem_blogr *b, const vem_matrix *x, const double *y,
                                 const vem_fit_opts *o, vem_fit_result *res);

/** q's mean on the standardised scale (p weights, intercept last). Borrowed. */
VEM_API const double *vem_blogr_q_mean(const vem_blogr *b);
/** q's covariance L L^T on the standardised scale, p x p, into out. */
VEM_API void vem_blogr_q_cov(const vem_blogr *b, double *out);
/**
 * q(w) on the input scale: coefficients beta_j = w_j / scale_j and intercept
 * b - sum_j shift_j w_j / scale_j (a linear map A of w), their mean (d + 1,
 * intercept last; the intercept is 0 without the intercept and standardisation)
 * and covariance A Sigma A^T ((d + 1) x (d + 1)); either may be NULL. VEM_ENOMEM
 * (for its work arrays, p (2 d + p + 2) doubles).
 */
VEM_API vem_status vem_blogr_coef(const vem_blogr *b, double *mean, double *cov);

/**
 * Predictive probabilities p(y = 1 | x) = E_q[sigmoid(z^T w)] of each row of x:
 * the logit a = z^T w is N(z^T m, z^T Sigma z) under q, and the expectation is a
 * 1-D integral, computed by the trapezoid rule on 241 points over +- 12 standard
 * deviations (exact to round-off for this smooth integrand). VEM_EINVAL: column
 * mismatch; VEM_ENUMERIC: "data row N: ..." for a non-finite logit.
 */
VEM_API vem_status vem_blogr_predict(const vem_blogr *b, const vem_matrix *x, double *prob);
/** Mean (per row) and total log predictive probability of labels y (nats); either may be NULL.
 *  VEM_EINVAL also for a label other than 0 or 1. */
VEM_API vem_status vem_blogr_score(const vem_blogr *b, const vem_matrix *x, const double *y,
                                   double *mean, double *total);

/**
 * The per-row objective and its gradient, for checks and custom optimisers:
 * xy is rows of d features followed by the label (the matrix vem_blogr_fit hands
 * the engine); rows [u0, u1) with the noise of (key, row index). Adds the gradient
 * (vem_blogr_params_len doubles) into grad and returns the estimate
 * sum_rows [(1/S) sum_s ln p(y | x, w_s) - KL / n_total] (nats). n_total: the
 * fit's row count N (the KL's divisor). Uses the current transform (identity
 * for a model that was never fitted or loaded).
 */
VEM_API double vem_blogr_objective_grad(const vem_blogr *b, const vem_matrix *xy, size_t u0,
                                        size_t u1, uint64_t key, double n_total, double *grad);
/** KL(q || p) in closed form (nats). */
VEM_API double vem_blogr_kl(const vem_blogr *b);

/** The parameter vector described at the top of this file (vem_blogr_params_len doubles). */
VEM_API size_t vem_blogr_params_len(const vem_blogr *b);
VEM_API void vem_blogr_params_get(const vem_blogr *b, double *out);
/** VEM_EINVAL for non-finite values. */
VEM_API vem_status vem_blogr_params_set(vem_blogr *b, const double *in);

/** The feature transform: shift and scale (d each, copied). VEM_EINVAL for a non-finite shift or
 *  a scale not > 0. */
VEM_API vem_status vem_blogr_set_transform(vem_blogr *b, const double *shift,
                                           const double *scale);
VEM_API const double *vem_blogr_shift(const vem_blogr *b);
VEM_API const double *vem_blogr_scale(const vem_blogr *b);

/** Write a "blogr" model file (JSON, atomically as vem_blr_save); fit_info may be NULL. */
VEM_API vem_status vem_blogr_save(const vem_blogr *b, const char *path,
                                  const vem_fit_result *fit_info);
/** Load a "blogr" model file; NULL on failure (VEM_EIO, VEM_EFORMAT naming the key): shapes,
 *  finite values, positive scales, a positive-definite covariance are checked. */
VEM_API vem_blogr *vem_blogr_load(const char *path);

VEM_END_DECLS
#endif /* VEM_BLOGR_H */
