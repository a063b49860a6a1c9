/*
 * include/vem/glmm.h — random-intercept generalized linear mixed models (GLMM) by EM:
 * exact EM with an adaptive Gauss-Hermite quadrature E-step, and Monte-Carlo EM with
 * exact draws of the random effects (docs/glmm.md).
 *
 * The model, for the rows j of group i:
 *     y_ij | u_i ~ Bernoulli(sigmoid(z_ij^T beta + u_i))   (VEM_GLMM_BINOMIAL, y in {0, 1})
 *     y_ij | u_i ~ Poisson(exp(z_ij^T beta + u_i))         (VEM_GLMM_POISSON, y in 0, 1, ...)
 *     u_i ~ N(0, sigma2), independent over groups,
 * z_ij = (1, x_ij) with the intercept (the default, lme4's y ~ x + (1|g)), else x_ij; so
 * beta has p = d + 1 coefficients, the intercept FIRST, or p = d.
 *
 * The groups are the engine's units (vem_data's sequences: the rows of a group are
 * contiguous), so a fit may be distributed over processes (each holding whole groups) or
 * read its groups from a source (vem_glmm_fit_source), and checkpointed and resumed. The
 * E-step of group i needs the posterior p(u_i | y_i): by adaptive
 * Gauss-Hermite quadrature (AGQ; nodes centred at the mode of the group's log joint and
 * scaled by its curvature, as lme4's nAGQ > 1; default 25 nodes) for --algorithm batch,
 * or by exact draws (rejection from a three-tangent envelope of the log-concave
 * posterior) for MCEM, SEM and CEM. The ESS are E[score of beta] (p), E[negative Hessian
 * of beta] (p x p), sum_i E[u_i^2] and the number of groups; the M-step is one Newton step
 * for beta (a generalised EM step, McCulloch 1997's Monte-Carlo Newton-Raphson) and
 * sigma2 = sum_i E[u_i^2] / groups. The objective is the log-likelihood by AGQ.
 *
 * The parameter vector (params_get / set, the parameter rule of fit.h) is
 * (beta_1 .. beta_p, sigma2). A checkpoint (vem_fit_opts.checkpoint) also holds each
 * restart's last values of sigma2, which the boundary rule below reads.
 *
 * Sources: McCulloch (1997) JASA 92:162; Booth & Hobert (1999) JRSS B 61:265; Pinheiro &
 * Bates (1995) JCGS 4:12 (AGQ); Golub & Welsch (1969) (Gauss-Hermite nodes); Louis (1982)
 * JRSS B 44:226 (standard errors).
 */
#ifndef VEM_GLMM_H
#define VEM_GLMM_H

#include <vem/common.h>
#include <vem/data.h>
#include <vem/fit.h>

VEM_BEGIN_DECLS

/** A random-intercept GLMM on d features. Opaque. */
typedef struct vem_glmm vem_glmm;

/** The response family (canonical links). */
typedef enum vem_glmm_family {
    VEM_GLMM_BINOMIAL = 0, /**< Bernoulli with the logit link */
    VEM_GLMM_POISSON = 1   /**< Poisson with the log link */
} vem_glmm_family;

/** "binomial", "poisson"; NULL for an invalid value. */
VEM_API const char *vem_glmm_family_name(vem_glmm_family f);
/** Parse a name as above. VEM_EINVAL for an unknown name. */
VEM_API vem_status vem_glmm_family_parse(const char *name, vem_glmm_family *out);

/** New model on d features (0 <= d <= 1000; d = 0 needs the intercept), binomial, with the
 *  intercept, 25 quadrature nodes, beta = 0, sigma2 = 1. NULL on VEM_EINVAL or VEM_ENOMEM. */
VEM_API vem_glmm *vem_glmm_new(size_t d);
/** Free g; NULL allowed. */
VEM_API void vem_glmm_free(vem_glmm *g);

/** Features d and coefficients p (d + 1 with the intercept, else d). */
VEM_API size_t vem_glmm_d(const vem_glmm *g);
VEM_API size_t vem_glmm_p(const vem_glmm *g);

/** The family (default binomial). VEM_EINVAL for a bad value. */
VEM_API vem_status vem_glmm_set_family(vem_glmm *g, vem_glmm_family f);
VEM_API vem_glmm_family vem_glmm_family_of(const vem_glmm *g);
/** Intercept on (default) or off; resets beta to 0 (its length changes). VEM_EINVAL: off with
 *  d = 0; VEM_ENOMEM. */
VEM_API vem_status vem_glmm_set_intercept(vem_glmm *g, int on);
VEM_API int vem_glmm_intercept_on(const vem_glmm *g);
/** Gauss-Hermite nodes of the AGQ, 1 <= n <= 200 (default 25, lme4's nAGQ = 25; 1 is the
 *  Laplace approximation). Nodes and weights are computed (Golub-Welsch: the eigenvalues
 *  of the Jacobi matrix by LAPACK dsyev, then one Newton step on the orthonormal
 *  recurrence and the Christoffel weights 1 / sum_k q_k(z)^2). VEM_EINVAL, VEM_ENOMEM,
 *  VEM_ENUMERIC (the eigen-solver failed). */
VEM_API vem_status vem_glmm_set_nodes(vem_glmm *g, size_t n);
VEM_API size_t vem_glmm_nodes(const vem_glmm *g);
/** The nodes z_k and weights w_k of the n-point Gauss-Hermite rule for the weight e^{-z^2}
 *  (sum_k w_k = sqrt(pi)), n each, ascending. Borrowed. */
VEM_API const double *vem_glmm_hermite_nodes(const vem_glmm *g);
VEM_API const double *vem_glmm_hermite_weights(const vem_glmm *g);
/** Seed of the fit's generator (the Monte-Carlo draws; default 0). */
VEM_API void vem_glmm_set_seed(vem_glmm *g, uint64_t seed);

/** Feature names (d strings, copied; NULL: none), the target's and the group column's
 *  (each may be NULL). VEM_ENOMEM. */
VEM_API vem_status vem_glmm_set_names(vem_glmm *g, const char *const *columns,
                                      const char *target, const char *group);
VEM_API const char *const *vem_glmm_columns(const vem_glmm *g);
VEM_API const char *vem_glmm_target(const vem_glmm *g);
VEM_API const char *vem_glmm_group_name(const vem_glmm *g);

/** beta (p; the intercept first) and sigma2. Borrowed / by value. */
VEM_API const double *vem_glmm_beta(const vem_glmm *g);
VEM_API double vem_glmm_sigma2(const vem_glmm *g);
/** Set beta (p finite values) and sigma2 (> 0, finite). VEM_EINVAL otherwise. Forgets the
 *  standard errors and the groups' effects of a previous fit. */
VEM_API vem_status vem_glmm_set_params(vem_glmm *g, const double *beta, double sigma2);
/** The parameter vector (beta, sigma2): vem_glmm_params_len = p + 1 doubles. */
VEM_API size_t vem_glmm_params_len(const vem_glmm *g);
VEM_API void vem_glmm_params_get(const vem_glmm *g, double *out);
VEM_API vem_status vem_glmm_params_set(vem_glmm *g, const double *in);

/**
 * Fit to the n rows of x (n x d), responses y (n) and group labels group (n; any finite
 * numbers, the rows of a group contiguous: a label that comes back after another group's
 * rows is VEM_EINVAL), all borrowed for the call, by vem_fit_run with o (NULL: batch EM
 * with the defaults below). o->algorithm: VEM_ALG_BATCH (exact EM, AGQ E-step), MCEM, SEM
 * or CEM (Monte-Carlo E-step); others VEM_EUNSUP. Without a warm start the parameters start
 * at the GLM fit without random effects (Newton with step halving) and sigma2 = 1; with
 * o->warm_start from g's. Every restart (o->n_init) starts there: they differ only in the
 * draws of MCEM and SEM. Checkpoints and resume (o->checkpoint, o->resume) as fit.h says:
 * a resumed fit has the bits of the uninterrupted one.
 *
 * Distributed fits (o->comm, docs/mpi.md; every process calls this, a collective): x, y
 * and group are this process's share, whole groups, the processes' shares in the order of
 * the data (rows and groups are numbered over all of them in messages); a share may be
 * empty (x->rows 0). The engine sums the statistics over the processes and initialises on
 * one process's sample; a label shared by groups of two processes is VEM_EINVAL; failures
 * are agreed (vem_comm_agree: the same status and message everywhere). Afterwards every
 * process holds the same model, the groups of all the processes included, in process
 * order. The estimates equal one process's up to the order of the sums (round-off).
 *
 * Defaults when o is NULL: batch, tol_rule VEM_TOL_PARAMS with tol 1e-9, max_iter 5000.
 *
 * After the fit g holds the standard errors by Louis' method (vem_glmm_stderr) and each
 * group's label and posterior mean and sd of u (vem_glmm_groups), both by AGQ.
 *
 * The boundary sigma2 = 0: when the MLE of sigma2 is 0, EM approaches it sublinearly
 * (sigma2_{t+1} ~ sigma2_t (1 - c sigma2_t)) and an objective rule would call the fit
 * converged while sigma2 is still falling. vem_glmm_fit detects it: sigma2 fell at every
 * one of the last 5 iterations and the Aitken extrapolation of its last three values
 * lies below 3/4 of its last value (for a path ~ 1/t it is 1/2 of it), or sigma2 fell
 * under 1e-6. Then
 * vem_glmm_at_boundary(g) is 1, res->converged 0 and the status VEM_EMAXITER (parameters
 * usable: the log-likelihood is within the last steps' change of its supremum).
 *
 * Returns VEM_OK (converged), VEM_EMAXITER, VEM_EINTR, or: VEM_EINVAL (shapes, non-finite
 * values, a response outside the family's support, groups not contiguous, fewer than 2
 * groups); VEM_ENUMERIC (a negative Hessian that is not positive definite: the features
 * are collinear, or a Monte-Carlo group's draws too few); VEM_ENOMEM.
 */
VEM_API vem_status vem_glmm_fit(vem_glmm *g, const vem_matrix *x, const double *y,
                                const double *group, const vem_fit_opts *o,
                                vem_fit_result *res);

/**
 * vem_glmm_fit on a source of groups read a chunk at a time in every pass (out of core,
 * docs/online.md; vem_fit_run_source): src's units are the groups (sequences:
 * vem_frames_open_source with the group column as the sequence column, or
 * vem_source_set_sequences), its rows d + 2 values: the features, the response and the
 * group label (equal over a group's rows). One reading pass first checks the responses
 * and labels and keeps each group's label; memory holds the engine's blocks of groups,
 * chunks of whole groups of up to 65536 rows (or one larger group) for the checks and the
 * standard errors, and the labels, not the data. The start is the GLM
 * fit on the initialisation sample of fit.h (all the groups below 100,000 rows), so the
 * fit has the bits of vem_glmm_fit on the same rows in memory (and the same threads).
 * Under o->comm each process passes its source of whole groups, as vem_glmm_fit its share.
 * Errors as vem_glmm_fit's, with "FILE: row R" (R the file's 1-based data row) for a bad
 * response or a label that changes within a group; VEM_EINVAL for a source that is not
 * one of groups or does not have d + 2 columns; the source's read errors.
 */
VEM_API vem_status vem_glmm_fit_source(vem_glmm *g, struct vem_source *src,
                                       const vem_fit_opts *o, vem_fit_result *res);

/** 1 when the last fit stopped in the slow approach to sigma2 = 0 (see vem_glmm_fit). */
VEM_API int vem_glmm_at_boundary(const vem_glmm *g);

/**
 * The log-likelihood of data (x, y, group as vem_glmm_fit) by AGQ with g's nodes: the total
 * into *total and, if per_group is not NULL (room for n doubles), each group's in the order
 * of the groups' first rows; *n_groups (may be NULL) receives their number. Errors as
 * vem_glmm_fit's checks of the data; VEM_ENUMERIC for a non-finite value.
 */
VEM_API vem_status vem_glmm_score(const vem_glmm *g, const vem_matrix *x, const double *y,
                                  const double *group, double *total, double *per_group,
                                  size_t *n_groups);

/**
 * Predictions for the rows of x (n x d): marginal (may be NULL) the marginal mean
 * E[h(z^T beta + u)], u ~ N(0, sigma2), by Gauss-Hermite quadrature with g's nodes (for
 * the Poisson family exp(z^T beta + sigma2 / 2), exactly); conditional (may be NULL)
 * h(z^T beta + u_hat), u_hat the posterior mean of the row's group from the last fit (or
 * load), matched by label (group may be NULL: no group is matched), 0 for a group not seen
 * in fitting (as lme4's predict with new levels); h the inverse link. VEM_EINVAL for a
 * non-finite feature.
 */
VEM_API vem_status vem_glmm_predict(const vem_glmm *g, const vem_matrix *x,
                                    const double *group, double *marginal,
                                    double *conditional);

/**
 * Standard errors by Louis (1982): the observed information of theta = (beta, sigma2) is
 *     I(theta) = sum_i ( E[-d2 l_i^c] - Var[d l_i^c] ),
 * l_i^c = log p(y_i, u_i | theta) the complete-data log-likelihood of group i, the moments
 * over p(u_i | y_i) by AGQ with g's nodes at the current parameters. se (p + 1) receives
 * sqrt(diag(I^{-1})), cov ((p + 1) x (p + 1), may be NULL) I^{-1}. When I is not positive
 * definite (sigma2 at the boundary) the entries are NaN and VEM_ENUMERIC is returned.
 * Data as vem_glmm_fit.
 */
VEM_API vem_status vem_glmm_louis(const vem_glmm *g, const vem_matrix *x, const double *y,
                                  const double *group, double *se, double *cov);

/** The standard errors of (beta, sigma2) (p + 1) of the last fit (or load); NULL when none
 *  (a model never fitted, or parameters set since). Borrowed. */
VEM_API const double *vem_glmm_stderr(const vem_glmm *g);

/** The groups of the last fit (or load): their number, and labels, posterior means and
 *  posterior standard deviations of u (n_groups each, borrowed; NULL when none). */
VEM_API size_t vem_glmm_groups(const vem_glmm *g, const double **labels, const double **u_mean,
                               const double **u_sd);

/** Write a "glmm" model file (JSON, atomically; keys in docs/glmm.md); fit_info may be NULL. */
VEM_API vem_status vem_glmm_save(const vem_glmm *g, const char *path,
                                 const vem_fit_result *fit_info);
/** Load a "glmm" model file; NULL on failure (VEM_EIO; VEM_EFORMAT "PATH: key 'K': what"). */
VEM_API vem_glmm *vem_glmm_load(const char *path);

/* Internal to the library's reader (src/io/glmmfile.c): store standard errors, groups and
 * the boundary flag as a fit leaves them. Not for applications. */
VEM_API vem_status vem_glmm_restore_fit(vem_glmm *g, const double *se, size_t n_groups,
                                        const double *labels, const double *u_mean,
                                        const double *u_sd, int at_boundary);

VEM_END_DECLS
#endif /* VEM_GLMM_H */
