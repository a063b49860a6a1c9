/*
 * include/vem/gmm.h — Gaussian mixture models fitted by EM.
 *
 * p(x) = sum_k w_k N(x | mu_k, Sigma_k), fitted by EM (Dempster, Laird & Rubin
 * 1977; Bishop, PRML 9.2). Parameters follow scikit-learn's GaussianMixture:
 * covariances as in its covariances_ (shapes below), the E-step evaluated
 * through the precision Cholesky factors (upper triangular U_k with
 * Sigma_k^{-1} = U_k U_k^T), and reg_covar added to every covariance diagonal
 * in the M-step. All arrays are row-major doubles; log densities are in nats.
 *
 * Covariance shapes: full k x d x d; diag k x d; spherical k; tied d x d.
 */
#ifndef VEM_GMM_H
#define VEM_GMM_H

#include <vem/common.h>
#include <vem/data.h>
#include <vem/fit.h>
#include <vem/model.h>

VEM_BEGIN_DECLS

/** Covariance structure (mclust names in brackets). */
typedef enum vem_cov {
    VEM_COV_FULL = 0,      /**< one full covariance per component [VVV] */
    VEM_COV_DIAG = 1,      /**< one diagonal covariance per component [VVI] */
    VEM_COV_SPHERICAL = 2, /**< one variance per component [VII] */
    VEM_COV_TIED = 3       /**< one full covariance shared by all components [EEE] */
} vem_cov;

/** "full", "diag", "spherical", "tied"; NULL for an invalid value. */
VEM_API const char *vem_cov_name(vem_cov c);
/** Parse a name as above into *out. VEM_EINVAL for an unknown name. */
VEM_API vem_status vem_cov_parse(const char *name, vem_cov *out);

/** How a fit initialises the parameters (unless warm-started). */
typedef enum vem_gmm_init {
    VEM_INIT_KMEANS = 0,   /**< k-means++ seeding, Lloyd's iterations, then one M-step (default) */
    VEM_INIT_KMEANSPP = 1, /**< k-means++ seeding; the M-step on the k seeds alone (as scikit-learn) */
    VEM_INIT_RANDOM = 2,   /**< uniform random responsibilities, normalised per row, then an M-step */
    VEM_INIT_MEANS = 3     /**< given means (vem_gmm_set_init_means): rows assigned to the nearest
                                mean, an M-step for weights and covariances, the given means kept */
} vem_gmm_init;

/** "kmeans", "kmeans++", "random", "means"; NULL for an invalid value. */
VEM_API const char *vem_gmm_init_name(vem_gmm_init i);
/** Parse a name as above. VEM_EINVAL for an unknown name. */
VEM_API vem_status vem_gmm_init_parse(const char *name, vem_gmm_init *out);

/** A mixture of k Gaussians in d dimensions. Opaque. */
typedef struct vem_gmm vem_gmm;

/**
 * New mixture with k components in d dimensions, initialised to weights 1/k,
 * zero means and identity covariances. NULL on failure: VEM_EINVAL if k or d
 * is 0 or cov invalid, VEM_ENOMEM.
 */
VEM_API vem_gmm *vem_gmm_new(size_t k, size_t d, vem_cov cov);
/** Free g; NULL allowed. */
VEM_API void vem_gmm_free(vem_gmm *g);
/** Deep copy of g (parameters and options); NULL on VEM_ENOMEM. */
VEM_API vem_gmm *vem_gmm_copy(const vem_gmm *g);

/** Number of components k. */
VEM_API size_t vem_gmm_k(const vem_gmm *g);
/** Number of dimensions d (columns of the data). */
VEM_API size_t vem_gmm_d(const vem_gmm *g);
/** Covariance structure. */
VEM_API vem_cov vem_gmm_cov(const vem_gmm *g);

/** Non-negative value added to covariance diagonals in the M-step (default 1e-6). VEM_EINVAL if < 0 or not finite. */
VEM_API vem_status vem_gmm_set_reg_covar(vem_gmm *g, double reg_covar);
/** The value added to covariance diagonals in the M-step. */
VEM_API double vem_gmm_reg_covar(const vem_gmm *g);
/** Initialisation method (default VEM_INIT_KMEANS). VEM_EINVAL for an invalid value. */
VEM_API vem_status vem_gmm_set_init(vem_gmm *g, vem_gmm_init init);
/** The initialisation method a fit uses. */
VEM_API vem_gmm_init vem_gmm_init_method(const vem_gmm *g);
/**
 * Lloyd iterations and tolerance of the k-means initialisation (defaults 300
 * and 1e-4, as scikit-learn: stop when the summed squared centre shift is at
 * most tol times the mean column variance). VEM_EINVAL if tol < 0 or not finite.
 */
VEM_API vem_status vem_gmm_set_kmeans(vem_gmm *g, size_t max_iter, double tol);
/**
 * Means (k x d, copied) for VEM_INIT_MEANS; also selects that method.
 * VEM_EINVAL if any value is not finite.
 */
VEM_API vem_status vem_gmm_set_init_means(vem_gmm *g, const double *means);

/**
 * Set all parameters (copied): weights (k, positive, summing to 1 within 1e-8;
 * kept as given, so a model file round-trips bit for bit), means (k x d),
 * covariances (shape by covariance type, see top; symmetric within 1e-12).
 * Validates and computes the precision Cholesky factors. VEM_EINVAL naming the
 * offending value for non-finite numbers or bad weights; VEM_ENUMERIC naming
 * the component for a covariance that is not symmetric positive definite.
 * g is unchanged on error.
 */
VEM_API vem_status vem_gmm_set_params(vem_gmm *g, const double *weights, const double *means,
                                      const double *covariances);

/** Mixture weights, k. Borrowed until g is next modified. */
VEM_API const double *vem_gmm_weights(const vem_gmm *g);
/** Means, k x d. Borrowed. */
VEM_API const double *vem_gmm_means(const vem_gmm *g);
/** Covariances, shape by covariance type (see top). Borrowed. */
VEM_API const double *vem_gmm_covariances(const vem_gmm *g);
/** Number of doubles in vem_gmm_covariances(). */
VEM_API size_t vem_gmm_covariances_len(const vem_gmm *g);
/**
 * Precision Cholesky factors as scikit-learn's precisions_cholesky_: full
 * k x d x d upper triangular; diag k x d (1/sigma); spherical k; tied d x d. Borrowed.
 */
VEM_API const double *vem_gmm_precisions_cholesky(const vem_gmm *g);

/** Optional feature names (d strings, copied) stored in model files; NULL clears. VEM_ENOMEM. */
VEM_API vem_status vem_gmm_set_columns(vem_gmm *g, const char *const *names);
/** Feature names or NULL. Borrowed. */
VEM_API const char *const *vem_gmm_columns(const vem_gmm *g);

/**
 * g as an engine model (model.h, fit.h): ESS [N (k), S1 (k x d), S2] as in
 * docs/design.md, objective = log-likelihood (nats). The view borrows g.
 */
VEM_API vem_model vem_gmm_model(vem_gmm *g);

/**
 * Fit g to the rows of x (n x d) with the engine: vem_fit_run(vem_gmm_model(g), ...).
 * Returns as vem_fit_run; VEM_EINVAL if x has d != vem_gmm_d(g) columns or fewer
 * than k rows (not checked when o->comm is set: then x is one process's share,
 * possibly empty, and the caller checks the total). On error g's parameters are
 * restored.
 */
VEM_API vem_status vem_gmm_fit(vem_gmm *g, const vem_matrix *x, const vem_fit_opts *o,
                               vem_rng *rng, vem_fit_result *res);

struct vem_source;
/**
 * Fit g to the rows of a data source without loading them (io.h,
 * vem_fit_new_source): batch EM reads the file once per iteration, online
 * algorithms once per pass. Returns and restores as vem_gmm_fit.
 */
VEM_API vem_status vem_gmm_fit_source(vem_gmm *g, struct vem_source *src, const vem_fit_opts *o,
                                      vem_rng *rng, vem_fit_result *res);

/**
 * Log density log p(x_n) of each row (nats), out has x->rows entries (x is
 * n x d, row-major with stride x->ld). VEM_EINVAL on a d mismatch. Read-only on g.
 */
VEM_API vem_status vem_gmm_score_samples(const vem_gmm *g, const vem_matrix *x, double *out);
/**
 * Mean log density per row (nats) into *mean and the total into *total (either
 * may be NULL), summed as the engine sums a fit's final evaluation, so the
 * total equals vem_fit_result.objective of a fit with default block and slot
 * options bit for bit. VEM_EINVAL on a d mismatch or no rows; VEM_ENOMEM.
 */
VEM_API vem_status vem_gmm_score(const vem_gmm *g, const vem_matrix *x, double *mean,
                                 double *total);
/** Responsibilities p(z_n = c | x_n) (Bishop PRML eq. 9.23), out is x->rows x k row-major. VEM_EINVAL on a d mismatch. */
VEM_API vem_status vem_gmm_predict_proba(const vem_gmm *g, const vem_matrix *x, double *out);
/** Most probable component (0-based, ties to the lowest index) of each row; out has x->rows entries. VEM_EINVAL on a d mismatch. */
VEM_API vem_status vem_gmm_predict(const vem_gmm *g, const vem_matrix *x, size_t *out);
/**
 * Draw n samples: out is n x d, labels (may be NULL) n component indices.
 * Components by the weights, then mu + L z with Sigma = L L^T, z standard normal.
 * VEM_ENOMEM.
 */
VEM_API vem_status vem_gmm_sample(const vem_gmm *g, size_t n, vem_rng *rng, double *out,
                                  size_t *labels);

/**
 * Free parameters: (k - 1) + k d + covariance parameters (full k d(d+1)/2,
 * diag k d, spherical k, tied d(d+1)/2), as scikit-learn and mclust count them.
 */
VEM_API size_t vem_gmm_n_parameters(const vem_gmm *g);
/** BIC = -2 log L + p log n (scikit-learn's sign; mclust reports its negative). log_likelihood total, nats. */
VEM_API double vem_gmm_bic(const vem_gmm *g, double log_likelihood, size_t n);
/** AIC = -2 log L + 2 p. */
VEM_API double vem_gmm_aic(const vem_gmm *g, double log_likelihood);

/** One cell of a model-selection table. */
typedef struct vem_gmm_select_cell {
    size_t k;
    vem_cov cov;
    vem_status status;     /**< the fit's status (VEM_OK, VEM_EMAXITER or an error) */
    double log_likelihood; /**< total, nats; NaN if the fit failed */
    double bic, aic;       /**< NaN if the fit failed */
    size_t n_parameters;
    size_t n_iter;
    int converged;
} vem_gmm_select_cell;

/**
 * Fit every combination of ks[0..nk) and covs[0..ncov) to x (same options, rng
 * reseeded from seed for each cell so cells are independent of order) and
 * keep the model with the lowest BIC in *best (new object, caller frees).
 * cells receives nk * ncov entries, row i * ncov + j for ks[i], covs[j]. A
 * cell whose fit fails records its status and is skipped. init is the
 * initialisation method of every cell. VEM_EINVAL for empty lists or k > rows;
 * VEM_ENUMERIC if every cell failed.
 */
VEM_API vem_status vem_gmm_select(const vem_matrix *x, const size_t *ks, size_t nk,
                                  const vem_cov *covs, size_t ncov, vem_gmm_init init,
                                  double reg_covar, const vem_fit_opts *o, uint64_t seed,
                                  vem_gmm_select_cell *cells, vem_gmm **best);

/**
 * Write a GMM model file (JSON, docs/formats.md): to PATH.tmp.XXXXXX beside it,
 * then renamed over path, so a crash never leaves half a file. fit_info may be
 * NULL; otherwise its log-likelihood, iterations and convergence are recorded
 * (informational). Doubles are printed with 17 significant digits, so load
 * gives back the same bits. VEM_EIO; VEM_EINVAL if a column name is not
 * valid UTF-8 (JSON cannot hold it); VEM_ENOMEM.
 */
VEM_API vem_status vem_gmm_save(const vem_gmm *g, const char *path,
                                const vem_fit_result *fit_info);
/**
 * The model as the JSON text of its model file (docs/formats.md) less the "fit"
 * record: one line, doubles with 17 significant digits, so parsing it gives back
 * the same bits. Returns a malloc'd string (release with free()), or NULL with
 * vem_errmsg() saying why: a NULL model, a column (or symbol, target) name that is
 * not valid UTF-8 (JSON cannot hold it), a non-finite parameter, or no memory. The
 * same failures make vem_*_save fail with VEM_EINVAL or VEM_ENOMEM.
 */
VEM_API char *vem_gmm_to_json(const vem_gmm *g);

/**
 * Load a GMM model file. Validates format, version, shapes, finiteness, weights
 * (positive, summing to 1 within 1e-8) and positive-definite covariances.
 * NULL on failure: VEM_EIO, VEM_EFORMAT naming the file and the offending key
 * or value, VEM_ENUMERIC for a covariance that is not positive definite.
 */
VEM_API vem_gmm *vem_gmm_load(const char *path);

VEM_END_DECLS
#endif /* VEM_GMM_H */
