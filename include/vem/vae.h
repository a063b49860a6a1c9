/*
 * include/vem/vae.h — the variational autoencoder (Kingma & Welling 2014), a
 * gradient model on vem's engine (docs/vae.md).
 *
 * An MLP encoder maps a row x (d numbers) through hidden layers to the mean and
 * log-variance of a diagonal Gaussian q(z|x) in `latent` dimensions; an MLP decoder
 * (the hidden layers in reverse order) maps z to the parameters of p(x|z):
 * - VEM_VAE_BERNOULLI: d logits, for binary data. On grey levels in [0, 1] the
 *   "Bernoulli" log-likelihood sum_j x_j log p_j + (1 - x_j) log(1 - p_j) is the
 *   usual cross-entropy but NOT a normalised likelihood (its integral over [0, 1]^d
 *   is not 1): its ELBO and IWAE numbers are not log-densities. Binarise the data
 *   (statically, or dynamically: vem_vae_set_binarize) for a proper likelihood.
 * - VEM_VAE_GAUSSIAN: d means and a learned log-variance per dimension (not per
 *   row), a density on R^d.
 * The prior is N(0, I); KL(q || p) is analytic; the expected log-likelihood is a
 * Monte-Carlo estimate over `samples` reparameterised draws z = mu + sigma * eps.
 * Objective per row: ELBO = E_q[log p(x|z)] - KL(q(z|x) || p(z)), in nats.
 *
 * Parameters: one vector (vem_vae_get_params), layer after layer (encoder hidden
 * layers, encoder output of 2 * latent numbers: mu then log sigma^2, decoder hidden
 * layers, decoder output), each as its weight matrix W (in x out, row-major: a
 * layer computes h_in W + b; PyTorch's nn.Linear weight transposed) followed by its
 * bias (out), then, for the Gaussian likelihood, the d log-variances. They are
 * float32 (get_params widens them to double, set_params rounds to float32); the
 * network runs in float32 (BLAS sgemm; 0/1 input rows enter the first layer as
 * sparse rows, docs/vae.md), its gradient too, sums over rows in double. Built
 * with -DVEM_VAE_DOUBLE the network runs in double (the gradient test).
 *
 * Threading: the evaluation functions are read-only on v and may run
 * concurrently on the same v; setters are not.
 */
#ifndef VEM_VAE_H
#define VEM_VAE_H

#include <vem/common.h>
#include <vem/data.h>
#include <vem/fit.h>
#include <vem/model.h>

VEM_BEGIN_DECLS

typedef enum vem_vae_likelihood {
    VEM_VAE_BERNOULLI = 0,
    VEM_VAE_GAUSSIAN = 1
} vem_vae_likelihood;

typedef enum vem_vae_activation {
    VEM_VAE_RELU = 0,
    VEM_VAE_TANH = 1,
    VEM_VAE_SOFTPLUS = 2
} vem_vae_activation;

/** "bernoulli", "gaussian"; "relu", "tanh", "softplus"; NULL for an invalid value. */
VEM_API const char *vem_vae_likelihood_name(vem_vae_likelihood l);
VEM_API const char *vem_vae_activation_name(vem_vae_activation a);
/** Parse the names above; VEM_EINVAL for an unknown one. */
VEM_API vem_status vem_vae_likelihood_parse(const char *name, vem_vae_likelihood *out);
VEM_API vem_status vem_vae_activation_parse(const char *name, vem_vae_activation *out);

typedef struct vem_vae vem_vae;

/**
 * A VAE for d-dimensional rows: encoder d -> hidden[0] -> ... -> hidden[n_hidden-1]
 * -> 2 latent, decoder latent -> hidden[n_hidden-1] -> ... -> hidden[0] -> d
 * (n_hidden may be 0: linear maps). Parameters are zero until initialised
 * (vem_vae_init_params, or the engine's init). NULL on VEM_EINVAL or VEM_ENOMEM.
 */
VEM_API vem_vae *vem_vae_new(size_t d, size_t latent, const size_t *hidden, size_t n_hidden,
                             vem_vae_likelihood lik, vem_vae_activation act);
VEM_API void vem_vae_free(vem_vae *v);

VEM_API size_t vem_vae_d(const vem_vae *v);
VEM_API size_t vem_vae_latent(const vem_vae *v);
VEM_API size_t vem_vae_n_hidden(const vem_vae *v);
VEM_API const size_t *vem_vae_hidden(const vem_vae *v); /**< borrowed, n_hidden sizes */
VEM_API vem_vae_likelihood vem_vae_likelihood_of(const vem_vae *v);
VEM_API vem_vae_activation vem_vae_activation_of(const vem_vae *v);

/** Reparameterised draws per row in the training E-step (L >= 1; default 1). Set it
 * before a fit is created: the engine sizes the E-step's scratch from it. */
VEM_API vem_status vem_vae_set_samples(vem_vae *v, size_t samples);
VEM_API size_t vem_vae_samples(const vem_vae *v);
/**
 * Binarisation in the training E-step. mode 1, dynamic (Bernoulli likelihood only,
 * else VEM_EINVAL): each x_ij in [0, 1] replaced by a Bernoulli(x_ij) draw from the
 * row's noise, new at every visit. mode 2, static on the fly: x_ij replaced by
 * (x_ij > 0.5), for data that cannot be binarised before the fit (a streamed file);
 * the same as fitting thresholded data. 0: none (the default). Evaluations use the
 * data as given. Any other mode: VEM_EINVAL.
 */
VEM_API vem_status vem_vae_set_binarize(vem_vae *v, int mode);
VEM_API int vem_vae_binarize(const vem_vae *v);

/** Number of parameters (doubles). */
VEM_API size_t vem_vae_params_len(const vem_vae *v);
VEM_API void vem_vae_get_params(const vem_vae *v, double *out);
/** Set all parameters, rounded to float32 (each must be finite there, |x| < 3.4e38;
 * VEM_EINVAL otherwise, nothing changed). */
VEM_API vem_status vem_vae_set_params(vem_vae *v, const double *in);

/**
 * Initialise as PyTorch's nn.Linear does by default: every weight and bias of a layer
 * with fan_in inputs uniform on (-1/sqrt(fan_in), 1/sqrt(fan_in)), drawn from rng
 * in parameter order; Gaussian log-variances 0. Nothing is taken from data.
 */
VEM_API vem_status vem_vae_init_params(vem_vae *v, vem_rng *rng);

/**
 * The model for the engine (fit.h, VEM_ALG_ADAM): units are rows; the E-step adds the
 * gradient of the summed ELBO estimates of its rows and returns that sum; the noise
 * of row u in a pass is drawn from a generator seeded by (key, first + u) (noise_key:
 * first is the row's offset among all processes' rows, so one row has one noise). Init
 * is vem_vae_init_params. Borrowed: v must outlive the model.
 */
VEM_API vem_model vem_vae_model(vem_vae *v);

/**
 * ELBO estimates with `samples` draws per row (0: vem_vae_samples), the noise of
 * row i seeded by (seed, i): per row into rows (x->rows doubles, or NULL) and their
 * sum into *total. VEM_EINVAL on a column count other than d.
 */
VEM_API vem_status vem_vae_elbo(const vem_vae *v, const vem_matrix *x, size_t samples,
                                uint64_t seed, double *rows, double *total);
/**
 * The importance-weighted bound with k samples (Burda et al. 2016),
 * log (1/k) sum_s p(x, z_s) / q(z_s | x), z_s ~ q(z|x): per row into rows (or NULL),
 * the sum into *total and its Monte-Carlo standard error into *se (or NULL): per
 * row, by the delta method, sqrt(var(w) / (k mean(w)^2)) with w the k weights; the
 * rows' errors added in quadrature. k = 1 is the ELBO estimate with one draw;
 * k -> infinity gives log p(x). Rows run in parallel on nthreads OpenMP threads (0: the
 * OpenMP default); the results do not depend on it.
 */
VEM_API vem_status vem_vae_iwae(const vem_vae *v, const vem_matrix *x, size_t k, uint64_t seed,
                                int nthreads, double *rows, double *total, double *se);
/** Posterior means and standard deviations of q(z|x) per row (x->rows x latent each). */
VEM_API vem_status vem_vae_encode(const vem_vae *v, const vem_matrix *x, double *mean,
                                  double *sd);
/** n draws z ~ N(0, I) through the decoder: Bernoulli means (probabilities) or
 * Gaussian means, n x d into out. */
VEM_API vem_status vem_vae_sample(const vem_vae *v, size_t n, vem_rng *rng, double *out);
/** The decoder's mean at the posterior mean of each row (x->rows x d into out). */
VEM_API vem_status vem_vae_reconstruct(const vem_vae *v, const vem_matrix *x, double *out);

/**
 * Save to path: a JSON document (format "vem-model", model "vae": architecture,
 * likelihood, activation, samples, the fit record) and the parameter vector in a
 * NumPy .npy file beside it (float64, shape (1, params_len)), written as one unit
 * as LDA's files are (docs/formats.md). fit_info may be NULL.
 */
VEM_API vem_status vem_vae_save(const vem_vae *v, const char *path,
                                const vem_fit_result *fit_info);
/** Load a model saved by vem_vae_save; NULL with vem_errmsg() on failure. */
VEM_API vem_vae *vem_vae_load(const char *path);

VEM_END_DECLS
#endif /* VEM_VAE_H */
