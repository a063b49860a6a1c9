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
 * Covariance shapes by layout (vem_cov_layout): full k x d x d; diag k x d;
 * spherical k; tied d x d. The structured models (EII, VEV, ...) store their
 * covariances in their layout's shape, every entry written out.
 */
#ifndef VEM_GMM_H
#define VEM_GMM_H

#include <vem/common.h>
#include <vem/data.h>
#include <vem/fit.h>
#include <vem/model.h>

VEM_BEGIN_DECLS

/**
 * Covariance structure: the 14 models of Celeux & Govaert (1995, Pattern
 * Recognition 28(5), 781-793) in mclust's names (Fraley & Raftery; mclust 6.0),
 * Sigma_k = lambda_k D_k A_k D_k^T with volume lambda_k = |Sigma_k|^(1/d), shape
 * A_k diagonal with |A_k| = 1 and orientation D_k orthogonal; each letter of the
 * name says whether volume, shape and orientation are Equal across components,
 * Variable, or (shape, orientation) the Identity. The first four keep their
 * scikit-learn names and values. Which M-steps are closed form and which
 * iterate: docs/design.md.
 */
typedef enum vem_cov {
    VEM_COV_FULL = 0,      /**< VVV: one full covariance per component */
    VEM_COV_DIAG = 1,      /**< VVI: one diagonal covariance per component */
    VEM_COV_SPHERICAL = 2, /**< VII: lambda_k I, one variance per component */
    VEM_COV_TIED = 3       /**< EEE: one full covariance shared by all components */
} vem_cov;

/*
 * The other ten structures are values of vem_cov too, defined as constants rather
 * than enumerators: the four above are the layouts every Gaussian model switches
 * over (HMM emissions and the VB mixture take only those), the ten exist for
 * mixtures only and map onto a layout (vem_cov_layout).
 */
#define VEM_COV_EII ((vem_cov)4)  /**< lambda I, one variance shared by all components */
#define VEM_COV_EEI ((vem_cov)5)  /**< lambda A, one diagonal covariance shared by all */
#define VEM_COV_VEI ((vem_cov)6)  /**< lambda_k A: diagonal, common shape, own volumes (iterative) */
#define VEM_COV_EVI ((vem_cov)7)  /**< lambda A_k: diagonal, common volume, own shapes */
#define VEM_COV_VEE ((vem_cov)8)  /**< lambda_k C, |C| = 1: common shape and orientation (iterative) */
#define VEM_COV_EVE ((vem_cov)9)  /**< lambda D A_k D^T: common volume and orientation (iterative;
                                       Browne & McNicholas 2014) */
#define VEM_COV_VVE ((vem_cov)10) /**< lambda_k D A_k D^T: common orientation (iterative; Browne &
                                       McNicholas 2014, as mclust) */
#define VEM_COV_EEV ((vem_cov)11) /**< lambda D_k A D_k^T: common volume and shape */
#define VEM_COV_VEV ((vem_cov)12) /**< lambda_k D_k A D_k^T: common shape (iterative) */
#define VEM_COV_EVV ((vem_cov)13) /**< lambda C_k, |C_k| = 1: common volume */

/** Number of covariance structures (valid vem_cov values are 0 .. VEM_COV_COUNT - 1). */
#define VEM_COV_COUNT 14

/**
 * "full", "diag", "spherical", "tied" for the first four, mclust's name ("EII",
 * "VEV", ...) for the others; NULL for an invalid value. Model files record it.
 */
VEM_API const char *vem_cov_name(vem_cov c);
/** mclust's three-letter name of every structure ("VVV" for full, ...); NULL if invalid. */
VEM_API const char *vem_cov_mclust_name(vem_cov c);
/**
 * Parse "full", "diag", "spherical" or "tied" into *out: the four structures every
 * Gaussian model in vem takes (mixtures, HMM emissions; the VB mixture takes full
 * and diag). VEM_EINVAL for any other name, the mclust-only models included.
 */
VEM_API vem_status vem_cov_parse(const char *name, vem_cov *out);
/**
 * Parse any of the 14 mixture structures: the names of vem_cov_name and mclust's
 * names (upper case; "VVV", "VVI", "VII", "EEE" are full, diag, spherical, tied).
 * VEM_EINVAL for an unknown name.
 */
VEM_API vem_status vem_gmm_cov_parse(const char *name, vem_cov *out);
/**
 * The layout of c's covariance array (one of the first four): full for VVV, VEE,
 * EVE, VVE, EEV, VEV, EVV (k x d x d), diag for VVI, EEI, VEI, EVI (k x d),
 * spherical for VII, EII (k), tied for EEE (d x d). The E-step, the expected
 * sufficient statistics and model files follow the layout; only the M-step (and
 * the parameter count) is the structure's own. -1 cast to vem_cov if invalid.
 */
VEM_API vem_cov vem_cov_layout(vem_cov c);


/**
 * How a fit initialises the parameters (unless warm-started). The default is
 * VEM_INIT_AUTO: the hierarchical start (VEM_INIT_HC, as mclust's Mclust()) when
 * the initialisation sees at most VEM_GMM_HC_MAX_ROWS rows of at most
 * VEM_GMM_HC_MAX_COLS columns, k-means otherwise.
 */
typedef enum vem_gmm_init {
    VEM_INIT_KMEANS = 0,   /**< k-means++ seeding, Lloyd's iterations, then one M-step */
    VEM_INIT_KMEANSPP = 1, /**< k-means++ seeding; the M-step on the k seeds alone (as scikit-learn) */
    VEM_INIT_RANDOM = 2,   /**< uniform random responsibilities, normalised per row, then an M-step */
    VEM_INIT_MEANS = 3,    /**< given means (vem_gmm_set_init_means): rows assigned to the nearest
                                mean, an M-step for weights and covariances, the given means kept */
    VEM_INIT_RESP = 4,     /**< given responsibilities (vem_gmm_set_init_resp): one M-step from
                                them, as mclust's me() starts from z */
    VEM_INIT_HC = 5,       /**< model-based hierarchical agglomeration (Fraley 1998) as mclust
                                6.0's Mclust() starts: hc(modelName = "VVV", use = "SVD") cut at
                                k clusters (hclass), one M-step from that partition; univariate
                                data from mclust's quantile classes (qclass). Deterministic.
                                On at most VEM_GMM_HC_MAX_ROWS rows of the initialisation sample
                                (i n / m, i < m, when it has more: mclust draws 2000 at random),
                                so its memory is bounded: about 16 MB of pair costs at 2000
                                rows. With n_init > 1 the first restart starts from the tree
                                and the others from k-means (VEM_INIT_KMEANS), the best kept.
                                Details and the criterion: vem_gmm_hc_classes, docs/design.md */
    VEM_INIT_AUTO = 6      /**< the default: VEM_INIT_HC when the initialisation sample has at
                                most VEM_GMM_HC_MAX_ROWS rows and the data at most
                                VEM_GMM_HC_MAX_COLS columns, else VEM_INIT_KMEANS */
} vem_gmm_init;

/**
 * Rows the hierarchical start (VEM_INIT_HC) clusters at most, and the largest
 * initialisation sample for which VEM_INIT_AUTO chooses it: mclust's
 * mclust.options("subset"), 2000. Its n (n - 1) / 2 pair costs take 16 MB there; the
 * tree of 2000 rows in 3 columns takes about 0.3 s (one core of a 2-core VM).
 */
#define VEM_GMM_HC_MAX_ROWS 2000
/**
 * The most columns for which VEM_INIT_AUTO chooses the hierarchical start: its VVV
 * merges cost O(d^2) each, so the tree of 1797 rows takes about 6 s of one core at
 * 64 columns (the digits) and minutes at 784 (28 x 28 images), where k-means takes
 * well under a second. mclust has no such switch; ask for VEM_INIT_HC to get its start.
 */
#define VEM_GMM_HC_MAX_COLS 32

/**
 * mclust's starting partitions, hclass(hc(x), ks) (mclust 6.0 defaults): labels
 * (nk x n, row i for ks[i], row-major, 0-based and numbered by first appearance
 * in row order as mclust's partconv) of the n = x->rows rows into ks[i] classes.
 * d >= 2: the rows are centred and scaled (sd, n - 1 denominator; constant columns
 * dropped) and rotated onto their principal axes scaled by the square root of the
 * singular values (mclust's hcUse = "SVD", Y = U S V^T, Z = U S^{1/2}); starting from
 * singletons, the pair of clusters whose join raises the summed cost T least is
 * joined, T = l log(det(W/l) + (tr W + alpha)/l) for a cluster of l > d rows with
 * scatter matrix W and l log((tr W + alpha)/l) for l <= d, alpha = tr(scatter of Z)
 * / (n d) (mclust's hcVVV with its alpha and beta = 1; Fraley 1998, SIAM J. Sci.
 * Comput. 20(1)), ties broken as mclust breaks them; the tree is cut at each K.
 * d = 1: mclust's quantile classes (Mclust() builds no tree for univariate data).
 * All n rows are used (no subset), at most 65536 (17 GB of pair costs; VEM_EINVAL
 * beyond: cluster a subset). Memory: n (n - 1) / 2 doubles plus O(n d^2);
 * time O(n^2 d^3) for the costs, O(n^2) to O(n^3) for the searches. VEM_EINVAL for
 * k = 0 or k > n or sizes that overflow,
 * VEM_ENOMEM (checked before allocating), VEM_ENUMERIC if the transform fails.
 */
VEM_API vem_status vem_gmm_hc_classes(const vem_matrix *x, const size_t *ks, size_t nk,
                                      size_t *labels);

/** "kmeans", "kmeans++", "random", "means", "resp", "hc", "auto"; NULL for an invalid value. */
VEM_API const char *vem_gmm_init_name(vem_gmm_init i);
/** Parse a name as above. VEM_EINVAL for an unknown name. */
VEM_API vem_status vem_gmm_init_parse(const char *name, vem_gmm_init *out);

/** A mixture of k Gaussians in d dimensions. Opaque. */
typedef struct vem_gmm vem_gmm;

/**
 * New mixture with k components in d dimensions, initialised to weights 1/k,
 * zero means and identity covariances. NULL on failure: VEM_EINVAL if k or d
 * is 0 or cov invalid, VEM_ENOMEM (also when 6 covariances' worth of doubles plus
 * 2 d x d exceed vem_memory_limit(), checked before allocating: docs/reliability.md).
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
/**
 * Equal mixing weights (mclust's emControl(equalPro = TRUE)): non-zero makes every M-step
 * set each weight to 1 / k (the initialisation's too, from the first M-step on), and
 * vem_gmm_n_parameters counts k - 1 fewer parameters. Classification EM
 * (VEM_ALG_CEM) of an EII mixture with equal weights is k-means (docs/mcem.md).
 * Default 0: weights estimated.
 */
VEM_API void vem_gmm_set_equal_weights(vem_gmm *g, int equal);
/** Non-zero when the weights are held equal (vem_gmm_set_equal_weights). */
VEM_API int vem_gmm_equal_weights(const vem_gmm *g);
/** Initialisation method (default VEM_INIT_AUTO). VEM_EINVAL for an invalid value. */
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
 * Convergence rule of the iterative M-steps (VEI, VEE, EVE, VVE, VEV): the inner
 * iterations stop when the relative change of their objective,
 * |t - t_prev| / (1 + |t|), is at most tol, or after max_iter iterations (mclust's
 * emControl tol[2] and itmax[2]; defaults 1e-10 and 1000, mclust's sqrt(eps) and
 * unlimited). t is sum_k n_k log lambda_k for VEI, VEE, VEV and sum_k tr(W_k D
 * A_k^-1 D^T) for EVE and VVE (docs/design.md). VEM_EINVAL if tol < 0, not finite,
 * or max_iter is 0.
 */
VEM_API vem_status vem_gmm_set_mstep_control(vem_gmm *g, size_t max_iter, double tol);
/**
 * Means (k x d, copied) for VEM_INIT_MEANS; also selects that method.
 * VEM_EINVAL if any value is not finite.
 */
VEM_API vem_status vem_gmm_set_init_means(vem_gmm *g, const double *means);

/**
 * Responsibilities (n x k row-major, copied; rows of non-negative numbers, each
 * summing to a positive value) for VEM_INIT_RESP; also selects that method. The
 * fit's first parameters are one M-step from them, as mclust's me(data, modelName, z)
 * starts (a hard partition is z = one-hot labels). The fit's initialisation must see
 * exactly these n rows: data in memory with n <= init_sample rows (include/vem/fit.h),
 * else the fit fails with VEM_EINVAL. VEM_EINVAL for a negative or non-finite entry
 * or a row summing to 0; VEM_ENOMEM.
 */
VEM_API vem_status vem_gmm_set_init_resp(vem_gmm *g, size_t n, const double *resp);

/**
 * The conjugate prior of Fraley & Raftery (2007, "Bayesian regularization for normal
 * mixture estimation and model-based clustering", J. Classification 24:155-181), as
 * mclust 6.0 applies it (priorControl(), defaultPrior()): with a prior set, a fit is
 * a MAP (posterior mode) fit, EM on log L(theta) + log p(theta).
 *
 *   mu_k | Sigma_k ~ N(mean, Sigma_k / shrinkage)
 *   Sigma_k ~ inverse Wishart(dof, scale)          (ellipsoidal models: EEE EEV VEV VVV)
 *   variances ~ inverse gamma(dof / 2, zeta^2 / 2) (spherical and diagonal models:
 *                                                   EII VII EEI VEI EVI VVI),
 *                                                   zeta^2 = tr(scale) / d
 *   weights ~ uniform (they stay n_k / n)
 *
 * The M-step of model M is M's maximum-likelihood M-step with the scatter matrices
 * W_k replaced by B_k = W_k + c_k (xbar_k - mean)(xbar_k - mean)^T + L_k,
 * c_k = shrinkage n_k / (n_k + shrinkage), and the counts n_k by n_k + e_k; the means
 * become (n_k xbar_k + shrinkage mean) / (n_k + shrinkage). e_k and L_k are the
 * model's, read from mclust's Fortran (me*p): e.g. VVV Sigma_k = B_k / (n_k + dof +
 * d + 2) with L_k = scale; EEE Sigma = sum_k B_k / (n + K + dof + d + 1); VII
 * sigma_k^2 = tr(B_k) / (d n_k + dof + d + 2) with zeta^2 added once. The table is in
 * src/models/gmm_prior.c and docs/design.md ("The conjugate prior"), with mclust's
 * own departures from the paper, kept so that vem's fits are mclust's: EII adds no scale (its sigma^2 is
 * sum_k tr(B_k) / (n d + K d + dof + 2) with L_k = 0), EEI keeps the unshrunk means,
 * and at K = 1 every model takes its family's one-component MAP (mclust's mvn()).
 *
 * The fit's objective (vem_fit_result.objective, checked for monotonicity by the
 * engine) is log L + log p with log p(theta) = -1/2 sum_k [shrinkage (mu_k -
 * mean)^T Sigma_k^-1 (mu_k - mean) + tr(Sigma_k^-1 L_k) + e_k log|Sigma_k|], the log
 * prior density up to its normalising constant (vem_gmm_log_prior). The log-likelihood
 * alone is objective - vem_gmm_log_prior(g), and BIC, AIC and model selection use it,
 * as mclust's BIC does. Every M-step above maximises E[log p(X, Z | theta)] + log p
 * exactly except EEI's (mclust's unshrunk means), so EEI's objective may fall slightly.
 *
 * mclust 6.0 has no prior for VEE, EVE, VVE and EVV: vem refuses them too.
 */
typedef struct vem_gmm_prior {
    double shrinkage;    /**< kappa_p >= 0: prior sample size of the means (mclust 0.01); 0: no
                              prior on the means */
    double dof;          /**< nu_p > 0: degrees of freedom (mclust d + 2) */
    const double *mean;  /**< mu_p, d values (mclust: the column means) */
    const double *scale; /**< Lambda_p, d x d symmetric positive definite (mclust:
                              var(data) / K^(2/d); the spherical and diagonal models use
                              tr(scale) / d) */
} vem_gmm_prior;

/**
 * Set g's prior (mean and scale copied), or remove it with p NULL (the default: a
 * maximum-likelihood fit, bit for bit as without this call). Applies from the next
 * M-step. VEM_EUNSUP for VEE, EVE, VVE and EVV (mclust has no prior for them);
 * VEM_EINVAL for a negative or non-finite shrinkage, a dof <= 0, a non-finite mean or a
 * scale that is not symmetric (1e-12 relative) positive definite; VEM_ENOMEM. g is
 * unchanged on error.
 */
VEM_API vem_status vem_gmm_set_prior(vem_gmm *g, const vem_gmm_prior *p);
/** 1 if structure c takes a prior (all but VEE, EVE, VVE, EVV, as mclust 6.0), else 0. */
VEM_API int vem_cov_has_prior(vem_cov c);
/**
 * Set mclust's default prior for g's K and the rows of x (n x d, n >= 2), as
 * defaultPrior(x, K, model) with priorControl()'s defaults: shrinkage 0.01, mean the
 * column means, dof d + 2, scale var(x) / K^(2/d) (the sample covariance, divisor
 * n - 1; its diagonal alone when n <= d). Errors as vem_gmm_set_prior; VEM_EINVAL on
 * a d mismatch, fewer than 2 rows or a constant column (a singular scale).
 */
VEM_API vem_status vem_gmm_set_prior_default(vem_gmm *g, const vem_matrix *x);
struct vem_source;
/** As vem_gmm_set_prior_default, from the rows of a source read twice in blocks (io.h). */
VEM_API vem_status vem_gmm_set_prior_default_source(vem_gmm *g, struct vem_source *src);
/**
 * g's prior into *out (mean and scale borrowed from g); returns 1, or 0 (out untouched)
 * when g has none.
 */
VEM_API int vem_gmm_prior_params(const vem_gmm *g, vem_gmm_prior *out);
/** log p(theta) at g's parameters (nats, up to a constant; see vem_gmm_prior); 0 without a prior. */
VEM_API double vem_gmm_log_prior(const vem_gmm *g);

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
 * docs/design.md, objective = log-likelihood (nats), plus vem_gmm_log_prior(g) (through
 * objective_extra) when g has a prior. The view borrows g.
 */
VEM_API vem_model vem_gmm_model(vem_gmm *g);

/**
 * Fit g to the rows of x (n x d) with the engine: vem_fit_run(vem_gmm_model(g), ...),
 * with o NULL: vem_gmm_fit_opts_init's options. Returns as vem_fit_run; VEM_EINVAL
 * if x has d != vem_gmm_d(g) columns or fewer than k rows (not checked when o->comm is
 * set: then x is one process's share, possibly empty, and the caller checks the total). On error g's parameters are
 * restored.
 */
VEM_API vem_status vem_gmm_fit(vem_gmm *g, const vem_matrix *x, const vem_fit_opts *o,
                               vem_rng *rng, vem_fit_result *res);

/**
 * The mixture's fit defaults: vem_fit_opts_init's, then batch EM stops when the
 * total log-likelihood changes by less than 1e-8 nats (tol_rule VEM_TOL_TOTAL, tol
 * 1e-8), within max_iter 10000; vem_gmm_fit, vem_gmm_fit_source and vem_gmm_select
 * use them when their options are NULL. vem_fit_opts_init's per-row 1e-3 is
 * scikit-learn's GaussianMixture rule, which stops EM on slow stretches (faithful,
 * EEE, K = 5, from mclust's start: 17 nats short of the optimum it reaches later). From mclust's
 * starts, fits to these defaults give mclust's converged BIC table to 1e-6 relative
 * on faithful and penguins (docs/design.md). Online algorithms test noisy pass
 * sums: give them a per-row rule (the CLI does).
 */
VEM_API void vem_gmm_fit_opts_init(vem_fit_opts *o);

struct vem_source;
/**
 * Fit g to the rows of a data source without loading them (io.h,
 * vem_fit_new_source): batch EM reads the file once per iteration, online
 * algorithms once per pass. o NULL: vem_gmm_fit_opts_init's. Returns and restores as
 * vem_gmm_fit.
 */
VEM_API vem_status vem_gmm_fit_source(vem_gmm *g, struct vem_source *src, const vem_fit_opts *o,
                                      vem_rng *rng, vem_fit_result *res);

/**
 * Log density log p(x_n) of each row (nats), out has x->rows entries (x is
 * n x d, row-major with stride x->ld). VEM_EINVAL on a d mismatch. Read-only on g.
 * VEM_ENUMERIC "data row N: ..." for the first row whose density is not finite under
 * any component (values near the overflow threshold, e.g. 1e308); the same for
 * vem_gmm_score, vem_gmm_predict_proba and vem_gmm_predict.
 */
VEM_API vem_status vem_gmm_score_samples(const vem_gmm *g, const vem_matrix *x, double *out);
/**
 * Mean log density per row (nats) into *mean and the total into *total (either
 * may be NULL), summed as the engine sums a fit's final evaluation, so the
 * total equals vem_fit_result.objective of a fit with default block and slot
 * options bit for bit (with a prior the objective is that total plus
 * vem_gmm_log_prior(g), rounded once). VEM_EINVAL on a d mismatch or no rows; VEM_ENOMEM;
 * VEM_ENUMERIC naming the row when the total is not finite.
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
 * Free parameters as mclust's nMclustParams: (k - 1; 0 with equal weights) + k d + the covariance's
 * (nVarParams): EII 1, VII k, EEI d, VEI k + d - 1, EVI 1 + k (d - 1), VVI k d,
 * EEE d(d+1)/2, VEE k + d - 1 + d(d-1)/2, EVE 1 + k(d-1) + d(d-1)/2,
 * VVE k + k(d-1) + d(d-1)/2, EEV 1 + (d-1) + k d(d-1)/2, VEV k + (d-1) + k d(d-1)/2,
 * EVV 1 - k + k d(d+1)/2, VVV k d(d+1)/2 (full, diag, spherical, tied as scikit-learn).
 */
VEM_API size_t vem_gmm_n_parameters(const vem_gmm *g);
/**
 * BIC = -2 log L + p log n (scikit-learn's sign, lower is better); mclust reports
 * 2 log L - p log n, its negative (higher is better). log_likelihood total, nats.
 */
VEM_API double vem_gmm_bic(const vem_gmm *g, double log_likelihood, size_t n);
/** AIC = -2 log L + 2 p. */
VEM_API double vem_gmm_aic(const vem_gmm *g, double log_likelihood);
/**
 * ICL, the integrated completed likelihood as BIC penalised by the entropy of
 * the hard classification (Biernacki, Celeux & Govaert 2000, IEEE PAMI 22(7),
 * eq. 12 with BIC's approximation; mclust's icl()):
 * ICL = BIC - 2 sum_n log max_c p(z_n = c | x_n), BIC = vem_gmm_bic(g,
 * log_likelihood, x->rows); scikit-learn's sign (lower is better; mclust
 * reports the negative). x is n x d row-major, the rows g was fitted to, and
 * log_likelihood their total (nats). *icl is NaN on error. VEM_EINVAL on a d
 * mismatch or no rows; VEM_ENOMEM; VEM_ENUMERIC if it is not finite.
 */
VEM_API vem_status vem_gmm_icl(const vem_gmm *g, const vem_matrix *x, double log_likelihood,
                               double *icl);

/** One cell of a model-selection table. */
typedef struct vem_gmm_select_cell {
    size_t k;
    vem_cov cov;
    vem_status status;     /**< the fit's status (VEM_OK, VEM_EMAXITER or an error) */
    double log_likelihood; /**< total, nats; NaN if the fit failed */
    double bic, aic;       /**< NaN if the fit failed */
    double icl;            /**< vem_gmm_icl of the fit; NaN if the fit or ICL failed */
    size_t n_parameters;
    size_t n_iter;
    int converged;
} vem_gmm_select_cell;

/**
 * Fit every combination of ks[0..nk) and covs[0..ncov) to x (same options o, NULL:
 * vem_gmm_fit_opts_init's; rng reseeded from seed for each cell so cells are
 * independent of order) and
 * keep the model with the lowest BIC in *best (new object, caller frees).
 * cells receives nk * ncov entries, row i * ncov + j for ks[i], covs[j]. A
 * cell whose fit fails records its status and is skipped. init is the
 * initialisation method of every cell; with VEM_INIT_HC (or VEM_INIT_AUTO choosing
 * it) one tree is built and cut at every k, as Mclust(). VEM_EINVAL for empty lists
 * or k > rows; VEM_ENUMERIC if every cell failed.
 *
 * o->checkpoint, o->resume and o->interrupted (vem_fit_opts) apply between cells: a
 * checkpoint holds the cells fitted and the best model so far, written every
 * o->checkpoint_every cells or o->checkpoint_seconds, and when a cell's fit is
 * interrupted; resuming fits the remaining cells, giving the table and model of an
 * uninterrupted selection (each cell starts from its own seed). Interrupted: returns
 * VEM_EINTR with the cells not fitted marked VEM_EINTR and *best the best so far (NULL
 * when no cell was done). Checkpoint errors as vem_fit_run's.
 */
VEM_API vem_status vem_gmm_select(const vem_matrix *x, const size_t *ks, size_t nk,
                                  const vem_cov *covs, size_t ncov, vem_gmm_init init,
                                  double reg_covar, const vem_fit_opts *o, uint64_t seed,
                                  vem_gmm_select_cell *cells, vem_gmm **best);

/**
 * vem_gmm_select with every cell a MAP fit under mclust's default prior for its K
 * (vem_gmm_set_prior_default on x), as Mclust(x, G, prior = priorControl()): the
 * cells' log_likelihood is the log-likelihood alone (the objective less the log
 * prior) and BIC and AIC are computed from it, as mclust's. A structure without a
 * prior (vem_cov_has_prior) records VEM_EUNSUP in its cells; pass only the others to
 * get mclust's table. Errors as vem_gmm_select.
 */
VEM_API vem_status vem_gmm_select_prior(const vem_matrix *x, const size_t *ks, size_t nk,
                                        const vem_cov *covs, size_t ncov, vem_gmm_init init,
                                        double reg_covar, const vem_fit_opts *o, uint64_t seed,
                                        vem_gmm_select_cell *cells, vem_gmm **best);

/** What model selection minimises. */
typedef enum vem_gmm_criterion {
    VEM_CRITERION_BIC = 0, /**< vem_gmm_bic (mclust's Mclust()) */
    VEM_CRITERION_ICL = 1  /**< vem_gmm_icl (mclust's mclustICL()) */
} vem_gmm_criterion;

/**
 * The general form of vem_gmm_select (prior 0, VEM_CRITERION_BIC) and
 * vem_gmm_select_prior (prior 1): every cell as there, with its ICL, and *best the
 * cell with the lowest value of criterion (ties: the first in row order). A cell
 * whose criterion is not finite is skipped. VEM_EINVAL also for an unknown criterion;
 * otherwise errors as vem_gmm_select.
 */
VEM_API vem_status vem_gmm_select_by(const vem_matrix *x, const size_t *ks, size_t nk,
                                     const vem_cov *covs, size_t ncov, vem_gmm_init init,
                                     double reg_covar, const vem_fit_opts *o, uint64_t seed,
                                     int prior, vem_gmm_criterion criterion,
                                     vem_gmm_select_cell *cells, vem_gmm **best);

/**
 * Write a GMM model file (JSON, docs/formats.md) atomically: to
 * PATH.vem-tmp.PID.XXXXXX beside it, synced, then renamed over path (io.h,
 * vem_output_cleanup; docs/reliability.md): at every instant path is the whole
 * old file or the whole new one; on failure the old file is untouched and the
 * temporary removed. fit_info may be
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
