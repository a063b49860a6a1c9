/*
 * include/vem/lda.h — latent Dirichlet allocation fitted by variational EM.
 *
 * Smoothed LDA (Blei, Ng & Jordan 2003, section 5.4; the Dirichlet prior eta
 * on the topics as in Hoffman, Blei & Bach 2010): theta_d ~ Dir(alpha) (a
 * symmetric scalar alpha), beta_k ~ Dir(eta), z_di ~ Mult(theta_d),
 * w_di ~ Mult(beta_{z_di}). Mean-field q(theta_d) = Dir(gamma_d),
 * q(z_di) = Mult(phi_dw), q(beta_k) = Dir(lambda_k).
 *
 * E-step, per document (Blei et al. 2003 eqs. 6-7, written as Hoffman et al.
 * 2010 Algorithm 2): phi_dwk ∝ exp(E[log theta_dk] + E[log beta_kw]),
 * gamma_dk = alpha + sum_w n_dw phi_dwk, repeated until the mean absolute change
 * of gamma_d is below the threshold (default 1e-3) or the sweep limit (100).
 * M-step: lambda_kw = eta + sum_d n_dw phi_dwk (Hoffman et al. 2010 eq. 6 with
 * rho = 1); alpha fixed or by Newton's method (Minka 2000; Blei et al. 2003
 * appendix A.4.2). The objective is the ELBO (Hoffman et al. 2010 eq. 16):
 * per-document local terms plus -KL(q(beta) || p(beta)).
 *
 * Units: documents; observations (the per-observation divisor): tokens. All
 * quantities in nats. Maths and formats: docs/lda.md.
 */
#ifndef VEM_LDA_H
#define VEM_LDA_H

#include <vem/common.h>
#include <vem/corpus.h>
#include <vem/data.h>
#include <vem/fit.h>
#include <vem/model.h>

VEM_BEGIN_DECLS

/** An LDA model with k topics over a vocabulary of v words. Opaque. */
typedef struct vem_lda vem_lda;

/**
 * New model; lambda is set to 1 everywhere until a fit initialises it (random
 * Gamma(100, 1/100) entries, as Hoffman et al. and scikit-learn). Defaults:
 * alpha = eta = 1/k, alpha fixed, gamma threshold 1e-3, 100 sweeps.
 * NULL on failure: VEM_EINVAL if k or v is 0 or v >= 2^32, VEM_ENOMEM (also when
 * two k x v arrays exceed vem_memory_limit(), checked before allocating).
 */
VEM_API vem_lda *vem_lda_new(size_t k, size_t v);
/** Free l; NULL allowed. */
VEM_API void vem_lda_free(vem_lda *l);

VEM_API size_t vem_lda_k(const vem_lda *l);
VEM_API size_t vem_lda_v(const vem_lda *l);

/**
 * Document-topic prior alpha (symmetric), in [1e-100, 1e10]; VEM_EINVAL
 * otherwise. It is also the alpha every restart of a fit that initialises
 * (no warm start) starts from, even when a fit since estimated another.
 */
VEM_API vem_status vem_lda_set_alpha(vem_lda *l, double alpha);
/** The current alpha: as set, or as the last fit left it (estimated with alpha auto). */
VEM_API double vem_lda_alpha(const vem_lda *l);
/** Non-zero: re-estimate alpha in every M-step by Newton's method (lda-c's "estimate"). */
VEM_API void vem_lda_set_alpha_auto(vem_lda *l, int on);
VEM_API int vem_lda_alpha_auto(const vem_lda *l);
/** Topic-word prior eta, in [1e-100, 1e10]; VEM_EINVAL otherwise. */
VEM_API vem_status vem_lda_set_eta(vem_lda *l, double eta);
VEM_API double vem_lda_eta(const vem_lda *l);
/**
 * Per-document E-step stopping rule: mean |change of gamma_dk| over k below
 * tol (>= 0), or max_sweeps (>= 1) sweeps. VEM_EINVAL otherwise.
 */
VEM_API vem_status vem_lda_set_estep(vem_lda *l, double tol, size_t max_sweeps);

/**
 * Non-zero: while an engine fit runs (between its init and the next), start
 * each training document's E-step from its gamma of the previous pass instead
 * of alpha + n_d / k. Batch EM then never lowers the ELBO (each E-step starts
 * where the last ended; Neal & Hinton 1998), at the price of k doubles per
 * document; the fresh start (default, as Hoffman et al. and scikit-learn) gets
 * further in few passes. Off by default.
 */
VEM_API void vem_lda_set_warm_gamma(vem_lda *l, int on);

/**
 * Set lambda from a k x v row-major array (topic k's pseudo-counts in row k),
 * all entries finite and > 0 (VEM_EINVAL otherwise). Derived quantities
 * (E[log beta], its exponential) are recomputed.
 */
VEM_API vem_status vem_lda_set_lambda(vem_lda *l, const double *lambda);
/** Copy lambda (k x v, row-major) into out. */
VEM_API void vem_lda_get_lambda(const vem_lda *l, double *out);
/** Copy the topics' posterior means E[beta_kw] = lambda_kw / sum_w lambda_kw (k x v) into out. */
VEM_API void vem_lda_get_topics(const vem_lda *l, double *out);

/**
 * Vocabulary words (v strings, copied), used by save and by the CLI; NULL
 * clears it. VEM_EINVAL if a word is NULL or empty, VEM_ENOMEM.
 */
VEM_API vem_status vem_lda_set_vocab(vem_lda *l, const char *const *words);
/** Borrowed vocabulary (v strings), or NULL when none is set. */
VEM_API const char *const *vem_lda_vocab(const vem_lda *l);

/**
 * The model as the engine sees it (borrowed l). Its data is a vem_data whose
 * docs field is the corpus; every word id must be below v (vem_lda_fit
 * checks it, the engine does not). ESS: the k x v expected
 * word-topic counts (stored word-major, v x k), then sum_d sum_k E[log theta_dk],
 * the document count, the count of documents whose E-step converged and the
 * total sweeps. objective = sum of the documents' local ELBO terms;
 * objective_extra = -KL(q(beta) || p(beta)). Each document's E-step starts
 * from gamma_dk = alpha + n_d / k (lda-c's start), or from its last gamma
 * with vem_lda_set_warm_gamma (then the E-step writes the stored gamma rows
 * of its own documents: disjoint between slots, so still thread-safe).
 * init starts a restart: alpha as last set (vem_lda_set_alpha), random
 * lambda, a new pass history (those of the restarts before it in the same
 * fit are kept). Parameters (params_get/params_set, k v + 2 doubles): lambda
 * word-major, alpha, and a tag naming the restart they come from, so that
 * when the engine sets the best restart's parameters back, its pass history
 * comes back with them (vem_lda_pass_history).
 */
VEM_API vem_model vem_lda_model(vem_lda *l);

/** E-step statistics of one pass (one M-step) of a fit; stepwise passes report the minibatch estimate scaled to the corpus. */
typedef struct vem_lda_pass_info {
    size_t n_docs;        /**< documents in the pass */
    size_t n_converged;   /**< documents whose gamma met the threshold before the sweep limit */
    double mean_sweeps;   /**< mean sweeps per document */
} vem_lda_pass_info;

/**
 * Fit l to docs on the engine (vem_fit_run with o): batch variational EM, or
 * with o->algorithm online variational Bayes (VEM_ALG_STEPWISE: Hoffman et
 * al. 2010 with rho_t = (t + tau)^-kappa, t counting minibatches as in
 * docs/online.md) or incremental EM. The slot count is capped so that the
 * per-slot ESS buffers stay near 48 MB (at least 2 slots). rng seeds the initial lambda (o->warm_start: the current lambda is kept; the
 * pass history and warm-start gammas still start afresh). With o->n_init
 * restarts (no warm start), each starts from the alpha last set
 * (vem_lda_set_alpha, default 1/k) and a new random lambda drawn from rng in
 * turn, so restart r is the single fit that the r-th draw from rng would give;
 * the restart with the highest final ELBO is kept: its lambda, its alpha
 * (estimated with alpha auto) and its pass history. docs may hold no
 * documents in a process of a distributed fit (o->comm set); every process
 * then draws the same initial lambda from the same rng.
 * Returns VEM_OK (converged by o->tol), VEM_EMAXITER (o->max_iter passes done;
 * parameters usable) or an error: VEM_EINVAL if a word id is >= v or a count
 * is negative or not finite, or (without o->comm) every document is empty,
 * VEM_ENOMEM, VEM_ENUMERIC. res may be NULL; info
 * (may be NULL) receives the last M-step's E-step statistics.
 */
VEM_API vem_status vem_lda_fit(vem_lda *l, const vem_docs *docs, const vem_fit_opts *o,
                               vem_rng *rng, vem_fit_result *res, vem_lda_pass_info *info);

struct vem_source;
/**
 * vem_lda_fit on the documents of a source (io.h: vem_source_open_docs), read
 * a block of documents at a time (out of core: memory holds the model, the
 * read buffers and the documents' offsets, not the corpus). Batch, stepwise
 * (runs of batch_size documents in a shuffled order, each run read whole;
 * the sparse lazy-decay steps as in memory) and incremental EM; with the same
 * options the result is vem_lda_fit's on the same corpus, bit for bit, when
 * the initialisation sample holds every document (o->init_sample >= the
 * corpus's (word, count) pairs) or the fit is warm-started. Errors as
 * vem_lda_fit, plus the source's (VEM_EIO), VEM_EINVAL for a source that is
 * not a corpus or a vocabulary larger than v, and VEM_EUNSUP with warm-start
 * gammas (vem_lda_set_warm_gamma: K doubles per document in memory).
 */
VEM_API vem_status vem_lda_fit_source(vem_lda *l, struct vem_source *src, const vem_fit_opts *o,
                                      vem_rng *rng, vem_fit_result *res, vem_lda_pass_info *info);

/**
 * E-step statistics of every pass of the last fit (one entry per M-step, in
 * order; *len receives the count): with restarts, of the restart kept.
 * Borrowed, valid until the next fit.
 */
VEM_API const vem_lda_pass_info *vem_lda_pass_history(const vem_lda *l, size_t *len);

/**
 * Topic proportions of each document: the E-step from gamma_dk = alpha + n_d/k
 * with lambda fixed, then theta_dk = gamma_dk / sum_k gamma_dk (normalised = 1)
 * or gamma itself (normalised = 0), written to out (ndocs x k, row-major).
 * nthreads: 0 = OpenMP default; results do not depend on it.
 * VEM_EINVAL if docs->nvocab > v (ids beyond v are rejected), VEM_ENOMEM.
 */
VEM_API vem_status vem_lda_transform(const vem_lda *l, const vem_docs *docs, int normalised,
                                     int nthreads, double *out);

/** Held-out evaluation of a corpus under a model (vem_lda_score). */
typedef struct vem_lda_score_result {
    size_t n_docs;
    double n_tokens;
    double bound;          /**< sum over documents of the ELBO's local terms (nats) */
    double bound_per_word; /**< bound / n_tokens */
    double perplexity;     /**< exp(-bound_per_word) */
    size_t n_converged;    /**< documents whose E-step met the threshold */
} vem_lda_score_result;

/**
 * Held-out per-word bound: the E-step for each document with lambda fixed,
 * then the local terms of the ELBO (Hoffman et al. 2010 eq. 16, without the
 * global term, which does not scale with the held-out set):
 *   sum_w n_dw log sum_k exp(E[log theta_dk] + E[log beta_kw])
 *   + sum_k (alpha - gamma_dk) E[log theta_dk] + sum_k (lgamma(gamma_dk) - lgamma(alpha))
 *   + lgamma(k alpha) - lgamma(sum_k gamma_dk).
 * Deterministic and independent of nthreads. VEM_EINVAL (vocabulary, or every
 * document empty: "no words: ..."), VEM_ENOMEM.
 */
VEM_API vem_status vem_lda_score(const vem_lda *l, const vem_docs *docs, int nthreads,
                                 vem_lda_score_result *r);

/**
 * Document-completion perplexity: the tokens of each document, listed in
 * word-id order, are split alternately (even positions observed, odd held
 * out); gamma is fitted on the observed half, and the held-out half is scored
 * with the posterior means theta = gamma / sum gamma, beta = E[beta]:
 *   exp(-sum_d sum_w h_dw log sum_k theta_dk beta_kw / sum h).
 * Counts must be integers (VEM_EINVAL otherwise). *n_heldout (may be NULL)
 * receives the held-out tokens.
 */
VEM_API vem_status vem_lda_completion(const vem_lda *l, const vem_docs *docs, int nthreads,
                                      double *perplexity, double *n_heldout);

/**
 * Indices of the n (<= v) most probable words of topic t (< k), by lambda,
 * most probable first (ties by lower id), into out. VEM_EINVAL for bad t or n.
 */
VEM_API vem_status vem_lda_top_words(const vem_lda *l, size_t t, size_t n, uint32_t *out);

/**
 * UMass topic coherence (Mimno et al. 2011, eq. 1) of each topic's n top
 * words over the documents of docs:
 *   C_t = sum_{m=2..n} sum_{j<m} log((D(w_m, w_j) + 1) / D(w_j)),
 * D(w) = documents containing w, D(w, w') = documents containing both; a top
 * word in no document contributes nothing (its pairs are skipped). Written to
 * out[0..k). VEM_EINVAL if n < 2 or n > v, VEM_ENOMEM.
 */
VEM_API vem_status vem_lda_coherence(const vem_lda *l, const vem_docs *docs, size_t n,
                                     double *out);

/**
 * Save l: a JSON model file at path (format "vem-model", model "lda": k, v,
 * alpha, eta, E-step settings, the vocabulary when set, fit information) and
 * lambda (k x v float64, C order) in a NumPy .npy file beside it, named in
 * the JSON's "lambda_file": STEM.npy, or STEM.XXXXXX.npy when a file has that
 * name (STEM: path with ".json" replaced by ".lambda", or ".lambda" appended).
 * The two are committed as one unit: the .npy is written to a synced
 * temporary and linked to a name no file has, then the JSON naming it is
 * renamed over path (the commit), then the old model's .npy is removed: at
 * every instant path and the .npy it names are the old pair or the new one
 * (docs/reliability.md, "Atomic outputs"). On failure the old pair is
 * untouched and nothing new is left. fit_info may be NULL. VEM_EIO, VEM_ENOMEM.
 */
VEM_API vem_status vem_lda_save(const vem_lda *l, const char *path,
                                const vem_fit_result *fit_info);

/**
 * Load a model saved by vem_lda_save (the .npy is found relative to the
 * JSON's directory). NULL on failure: VEM_EIO, VEM_EFORMAT naming the file
 * and key, or the .npy header or shape at fault, or n_topics x n_words doubles
 * beyond the .npy file's size (header and size checked before allocating);
 * VEM_ENOMEM (also beyond vem_memory_limit()).
 */
VEM_API vem_lda *vem_lda_load(const char *path);

VEM_END_DECLS
#endif /* VEM_LDA_H */
