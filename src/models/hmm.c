/*
 * src/models/hmm.c — hidden Markov models by Baum-Welch on the engine.
 *
 * The engine's unit is a sequence; its E-step runs the forward-backward
 * recursions (Rabiner 1989, section V.A; Bishop PRML 13.2.2-13.2.4) and folds
 * the posteriors straight into the ESS: gamma_0 (start), sum_t xi_t
 * (transitions) and the emission statistics (the mixture's ESS given the
 * posteriors for Gaussian emissions, each state's mixture ESS for Gaussian-
 * mixture emissions, symbol counts for categorical ones, posterior-weighted
 * count sums for Poisson and multinomial ones).
 *
 * Scaling: the emission log-densities of frame t are shifted by their maximum
 * m_t before exponentiation, b_tk = exp(log p(x_t | k) - m_t) <= 1 with one
 * entry equal to 1, and the forward variables are normalised per frame
 * (Rabiner's c_t, Bishop's eq. 13.59):
 *     alpha_t = (alpha_{t-1} A) o b_t / c_t,   log p(X) = sum_t (log c_t + m_t).
 * The shift keeps c_t away from underflow whatever the dimension (a 64-D
 * Gaussian's densities are e^-300 and below); the per-frame normalisation
 * keeps the recursions in plain multiplications. If a frame's c_t still
 * underflows (the best-fitting state is unreachable), that frame is redone
 * with the shift max_k (log pred_k + log p(x_t | k)) (see docs/hmm.md).
 *
 * Work for a chunk of consecutive sequences (whole sequences, up to CHUNK
 * frames unless one sequence is longer):
 *   1. emission densities for fixed blocks of BLOCK frames   (parallel)
 *   2. forward recursion per sequence                         (serial)
 *   3. backward recursion per sequence with gamma_t = alpha_t o beta_t written
 *      over alpha_t and sum_t alpha_t w_{t+1}^T, w_t = b_t o beta_t / c_t (serial)
 *   4. per block: emission ESS given gamma, sum of log c_t + m_t (parallel)
 * The blocks, and the NPART partitions of them that hold partial sums, are
 * fixed by the data, and partial results are summed in order, so results do
 * not depend on the number of threads.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include <vem/hmm.h>
#include <vem/io.h>

#include "internal.h"
#include "linalg/linalg.h"
#include "linalg/special.h"
#include "linalg/vexp.h"
#include "models/fitutil.h"
#include "models/gmm_internal.h"
#include "models/hmm_internal.h"
#include "io/source_internal.h"

/* Hot kernels get an AVX2 clone chosen at load time (as src/linalg/vexp.c). */
#if defined(__x86_64__) && defined(__GLIBC__)
#define HMM_CLONES __attribute__((target_clones("default", "arch=x86-64-v3")))
#else
#define HMM_CLONES
#endif

#define BLOCK 1024   /* frames per block of the emission and statistics passes */
#define CHUNK 16384  /* frames of short sequences processed together */
#define NPART 16     /* partitions of the blocks with their own partial sums */
#define PROB_TOL 1e-8

struct vem_hmm {
    size_t k, dim;
    vem_hmm_emission em;
    vem_cov cov;
    vem_hmm_init init;
    vem_hmm_trans_init tinit;
    int nthreads;   /* resolved (>= 1) inner thread count */
    size_t max_len; /* longest sequence of the data being fitted: sizes the scratch */

    double *startprob; /* k */
    double *transmat;  /* k x k */
    double *emis;      /* categorical, multinomial: k x M probabilities; Poisson: k x d rates */
    vem_gmm *bank;     /* Gaussian: k Gaussians */
    vem_gmm **banks;   /* Gaussian mixtures: one mixture of n_mix Gaussians per state */
    size_t n_mix;
    char **symbols;    /* categorical: M names or NULL */
    char *symbol_column;
    char **columns;    /* Poisson, multinomial: dim column names or NULL */
    size_t n_trials;   /* multinomial: every frame's total count, or 0 (any) */
    unsigned update;      /* the parameters the M-step updates (PARAM_* bits) */
    unsigned init_params; /* the parameters the initialisation sets (PARAM_* bits) */
    /* MAP EM (vem_hmm_set_priors): Dirichlet concentrations (1: none) and the Poisson rates'
     * Gamma prior, lambda^a e^(-b lambda) (0, 0: none). */
    double startprob_prior, transmat_prior, emissionprob_prior, lambdas_prior, lambdas_weight;
    /* The gradient's probability coordinates last set or got (hmm_uparams_set), or NULL. */
    double *ucur;
};

/* ------------------------------------------------------------------ names */

static const char *const emission_names[] = {"gaussian", "categorical", "gmm", "poisson",
                                              "multinomial"};
static const char *const init_names[] = {"kmeans", "random"};
static const char *const trans_init_names[] = {"uniform", "random", "given"};

const char *vem_hmm_emission_name(vem_hmm_emission e)
{
    return vem__name_of(emission_names, 5, (int)e);
}

vem_status vem_hmm_emission_parse(const char *name, vem_hmm_emission *out)
{
    size_t i = vem__name_find(name, emission_names, 5);
    if (i == 5)
        return VEM_FAIL(VEM_EINVAL, "unknown emission '%s' (gaussian, categorical, gmm, "
                        "poisson, multinomial)", name ? name : "(null)");
    *out = (vem_hmm_emission)i;
    return VEM_OK;
}

const char *vem_hmm_init_name(vem_hmm_init i)
{
    return vem__name_of(init_names, 2, (int)i);
}

vem_status vem_hmm_init_parse(const char *name, vem_hmm_init *out)
{
    size_t i = vem__name_find(name, init_names, 2);
    if (i == 2)
        return VEM_FAIL(VEM_EINVAL, "unknown init method '%s' (kmeans, random)",
                        name ? name : "(null)");
    *out = (vem_hmm_init)i;
    return VEM_OK;
}

const char *vem_hmm_trans_init_name(vem_hmm_trans_init i)
{
    return vem__name_of(trans_init_names, 3, (int)i);
}

vem_status vem_hmm_trans_init_parse(const char *name, vem_hmm_trans_init *out)
{
    size_t i = vem__name_find(name, trans_init_names, 3);
    if (i == 3)
        return VEM_FAIL(VEM_EINVAL, "unknown transition init '%s' (uniform, random, given)",
                        name ? name : "(null)");
    *out = (vem_hmm_trans_init)i;
    return VEM_OK;
}

/* The emission families: Gaussian (one Gaussian or a mixture per state), the count
 * families Poisson and multinomial, and categorical. */
static int gaussian_em(vem_hmm_emission e)
{
    return e == VEM_HMM_GAUSSIAN || e == VEM_HMM_GMM;
}

static int counts_em(vem_hmm_emission e)
{
    return e == VEM_HMM_POISSON || e == VEM_HMM_MULTINOMIAL;
}

/* hmmlearn's parameter letters (params, init_params). */
enum {
    PARAM_S = 1,  /* start probabilities */
    PARAM_T = 2,  /* transitions */
    PARAM_M = 4,  /* Gaussian means */
    PARAM_C = 8,  /* Gaussian covariances */
    PARAM_E = 16, /* categorical, multinomial emission probabilities */
    PARAM_L = 32, /* Poisson rates */
    PARAM_W = 64  /* mixture weights (Gaussian-mixture emissions) */
};
static const char param_letters[] = "stmcelw";

/* The letters that apply to emission e. */
static unsigned params_of(vem_hmm_emission e)
{
    unsigned p = PARAM_S | PARAM_T;
    switch (e) {
    case VEM_HMM_GAUSSIAN:
        return p | PARAM_M | PARAM_C;
    case VEM_HMM_GMM:
        return p | PARAM_M | PARAM_C | PARAM_W;
    case VEM_HMM_POISSON:
        return p | PARAM_L;
    default:
        return p | PARAM_E;
    }
}

/* --------------------------------------------------------------- lifetime */

static void free_names(char **names, size_t n)
{
    if (!names)
        return;
    for (size_t i = 0; i < n; i++)
        vem__free(names[i]);
    vem__free(names);
}

void vem_hmm_free(vem_hmm *h)
{
    if (!h)
        return;
    vem__free(h->startprob);
    vem__free(h->transmat);
    vem__free(h->emis);
    vem_gmm_free(h->bank);
    if (h->banks)
        for (size_t i = 0; i < h->k; i++)
            vem_gmm_free(h->banks[i]);
    vem__free(h->banks);
    free_names(h->symbols, h->dim);
    free_names(h->columns, h->dim);
    vem__free(h->symbol_column);
    vem__free(h->ucur);
    vem__free(h);
}

static int resolve_threads(int n)
{
#ifdef _OPENMP
    return n > 0 ? n : omp_get_max_threads();
#else
    (void)n;
    return 1;
#endif
}

vem_hmm *vem_hmm_new(size_t k, vem_hmm_emission emission, size_t dim, vem_cov cov)
{
    return vem_hmm_new_gmm(k, emission, 1, dim, cov);
}

vem_hmm *vem_hmm_new_gmm(size_t k, vem_hmm_emission emission, size_t n_mix, size_t dim,
                         vem_cov cov)
{
    size_t kk, km;
    if (k == 0 || dim == 0 || n_mix == 0 || !vem_hmm_emission_name(emission) ||
        (gaussian_em(emission) && !vem_cov_name(cov))) {
        VEM_FAIL(VEM_EINVAL,
                 "vem_hmm_new: k=%zu and dim=%zu must be >= 1, emission=%d valid and cov=%d a "
                 "covariance type (gmm.h)", k, dim, (int)emission, (int)cov);
        return NULL;
    }
    if (!vem__mul_ok(k, k, &kk) || !vem__mul_ok(k, dim, &km) || k > UINT32_MAX) {
        VEM_FAIL(VEM_ENOMEM, "vem_hmm_new: k=%zu dim=%zu overflow", k, dim);
        return NULL;
    }
    {
        /* The transitions (and their statistics and logs), the emissions' arrays. */
        double mix = emission == VEM_HMM_GMM ? (double)n_mix : 1.0;
        double need = 4.0 * (double)k * (double)k +
                      4.0 * (double)k * mix * (double)dim *
                          (!gaussian_em(emission) || vem_cov_layout(cov) != VEM_COV_FULL
                               ? 1.0
                               : (double)dim);
        char what[128];
        snprintf(what, sizeof what, "a hidden Markov model of %zu states and %zu dimensions", k,
                 dim);
        if (vem__check_memory(what, need * sizeof(double)) != VEM_OK)
            return NULL;
    }
    vem_hmm *h = vem__calloc(1, sizeof *h);
    if (!h)
        goto oom;
    h->k = k;
    h->dim = dim;
    h->em = emission;
    h->cov = gaussian_em(emission) ? cov : VEM_COV_FULL;
    h->init = emission != VEM_HMM_CATEGORICAL ? VEM_HMM_INIT_KMEANS : VEM_HMM_INIT_RANDOM;
    h->n_mix = emission == VEM_HMM_GMM ? n_mix : 1;
    h->tinit = VEM_HMM_TRANS_UNIFORM;
    h->nthreads = resolve_threads(0);
    h->update = h->init_params = params_of(emission);
    h->startprob_prior = h->transmat_prior = h->emissionprob_prior = 1.0;
    h->startprob = vem__alloc_doubles(k, 1);
    h->transmat = vem__alloc_doubles(kk, 1);
    if (!h->startprob || !h->transmat)
        goto oom;
    for (size_t i = 0; i < k; i++)
        h->startprob[i] = 1.0 / (double)k;
    for (size_t i = 0; i < kk; i++)
        h->transmat[i] = 1.0 / (double)k;
    if (emission == VEM_HMM_GAUSSIAN) {
        h->bank = vem_gmm_new(k, dim, cov);
        if (!h->bank)
            goto oom;
    } else if (emission == VEM_HMM_GMM) {
        h->banks = vem__calloc(k, sizeof *h->banks);
        if (!h->banks)
            goto oom;
        for (size_t i = 0; i < k; i++)
            if (!(h->banks[i] = vem_gmm_new(n_mix, dim, cov)))
                goto oom;
    } else {
        h->emis = vem__alloc_doubles(km, 1);
        if (!h->emis)
            goto oom;
        for (size_t i = 0; i < km; i++)
            h->emis[i] = emission == VEM_HMM_POISSON ? 1.0 : 1.0 / (double)dim;
    }
    return h;
oom:
    vem_hmm_free(h);
    VEM_FAIL(VEM_ENOMEM, "vem_hmm_new(k=%zu, dim=%zu): out of memory", k, dim);
    return NULL;
}

vem_hmm *vem_hmm_copy(const vem_hmm *h)
{
    vem_hmm *c = vem_hmm_new_gmm(h->k, h->em, h->n_mix, h->dim, h->cov);
    if (!c)
        return NULL;
    int bad = 0;
    for (size_t i = 0; h->banks && i < h->k; i++) {
        vem_gmm_free(c->banks[i]);
        c->banks[i] = vem_gmm_copy(h->banks[i]);
        bad |= !c->banks[i];
    }
    c->init = h->init;
    c->tinit = h->tinit;
    c->nthreads = h->nthreads;
    c->max_len = h->max_len;
    c->n_trials = h->n_trials;
    c->update = h->update;
    c->init_params = h->init_params;
    c->startprob_prior = h->startprob_prior;
    c->transmat_prior = h->transmat_prior;
    c->emissionprob_prior = h->emissionprob_prior;
    c->lambdas_prior = h->lambdas_prior;
    c->lambdas_weight = h->lambdas_weight;
    memcpy(c->startprob, h->startprob, h->k * sizeof *h->startprob);
    memcpy(c->transmat, h->transmat, h->k * h->k * sizeof *h->transmat);
    if (h->emis)
        memcpy(c->emis, h->emis, h->k * h->dim * sizeof *h->emis);
    if (h->bank) {
        vem_gmm_free(c->bank);
        c->bank = vem_gmm_copy(h->bank);
    }
    if (bad || (h->em == VEM_HMM_GAUSSIAN && !c->bank) ||
        vem_hmm_set_symbols(c, (const char *const *)h->symbols) != VEM_OK ||
        (h->columns && vem_hmm_set_columns(c, (const char *const *)h->columns) != VEM_OK) ||
        vem_hmm_set_symbol_column(c, h->symbol_column) != VEM_OK) {
        vem_hmm_free(c);
        VEM_FAIL(VEM_ENOMEM, "vem_hmm_copy: out of memory");
        return NULL;
    }
    return c;
}

/* -------------------------------------------------------------- accessors */

size_t vem_hmm_k(const vem_hmm *h) { return h->k; }
vem_hmm_emission vem_hmm_emission_type(const vem_hmm *h) { return h->em; }
size_t vem_hmm_dim(const vem_hmm *h) { return h->dim; }
vem_cov vem_hmm_cov(const vem_hmm *h) { return h->cov; }
const double *vem_hmm_startprob(const vem_hmm *h) { return h->startprob; }
const double *vem_hmm_transmat(const vem_hmm *h) { return h->transmat; }
const double *vem_hmm_means(const vem_hmm *h) { return h->bank ? vem_gmm_means(h->bank) : NULL; }
const double *vem_hmm_emissionprob(const vem_hmm *h)
{
    return h->em == VEM_HMM_POISSON ? NULL : h->emis;
}

const double *vem_hmm_lambdas(const vem_hmm *h)
{
    return h->em == VEM_HMM_POISSON ? h->emis : NULL;
}

size_t vem_hmm_n_trials(const vem_hmm *h)
{
    return h->n_trials;
}
vem_hmm_init vem_hmm_init_method(const vem_hmm *h) { return h->init; }
vem_hmm_trans_init vem_hmm_trans_init_method(const vem_hmm *h) { return h->tinit; }
const char *const *vem_hmm_symbols(const vem_hmm *h) { return (const char *const *)h->symbols; }
const char *vem_hmm_symbol_column(const vem_hmm *h) { return h->symbol_column; }

const double *vem_hmm_covariances(const vem_hmm *h)
{
    return h->bank ? vem_gmm_covariances(h->bank) : NULL;
}

size_t vem_hmm_covariances_len(const vem_hmm *h)
{
    return h->bank ? vem_gmm_covariances_len(h->bank) : 0;
}

const char *const *vem_hmm_columns(const vem_hmm *h)
{
    if (counts_em(h->em))
        return (const char *const *)h->columns;
    if (h->banks)
        return vem_gmm_columns(h->banks[0]);
    return h->bank ? vem_gmm_columns(h->bank) : NULL;
}

/* names[0..n) copied into *dst (NULL clears); VEM_ENOMEM. */
static vem_status copy_names(char ***dst, size_t n, const char *const *names)
{
    char **s = NULL;
    if (names) {
        s = vem__calloc(n, sizeof *s);
        if (!s)
            return VEM_FAIL(VEM_ENOMEM, "names");
        for (size_t i = 0; i < n; i++) {
            s[i] = vem__strdup(names[i] ? names[i] : "");
            if (!s[i]) {
                free_names(s, n);
                return VEM_FAIL(VEM_ENOMEM, "names");
            }
        }
    }
    free_names(*dst, n);
    *dst = s;
    return VEM_OK;
}

vem_status vem_hmm_set_columns(vem_hmm *h, const char *const *names)
{
    if (counts_em(h->em))
        return copy_names(&h->columns, h->dim, names);
    if (h->banks)
        return vem_gmm_set_columns(h->banks[0], names);
    if (!h->bank)
        return names ? VEM_FAIL(VEM_EINVAL, "column names apply to Gaussian emissions") : VEM_OK;
    return vem_gmm_set_columns(h->bank, names);
}

size_t vem_hmm_n_mix(const vem_hmm *h)
{
    return h->n_mix;
}

const vem_gmm *vem_hmm_state_mixture(const vem_hmm *h, size_t state)
{
    return h->banks && state < h->k ? h->banks[state] : NULL;
}

vem_status vem_hmm_set_state_mixture(vem_hmm *h, size_t state, const double *weights,
                                     const double *means, const double *covariances)
{
    if (!h->banks || state >= h->k)
        return VEM_FAIL(VEM_EINVAL, "state %zu: mixture emissions need emission gmm and a state "
                        "< k=%zu", state, h->k);
    vem_status st = vem_gmm_set_params(h->banks[state], weights, means, covariances);
    if (st != VEM_OK) {
        char msg[400];
        snprintf(msg, sizeof msg, "%s", vem_errmsg());
        return VEM_FAIL(st, "state %zu: %s", state + 1, msg);
    }
    return VEM_OK;
}

vem_status vem_hmm_set_symbols(vem_hmm *h, const char *const *names)
{
    if (names && h->em != VEM_HMM_CATEGORICAL)
        return VEM_FAIL(VEM_EINVAL, "symbol names apply to categorical emissions");
    return copy_names(&h->symbols, h->dim, names);
}

vem_status vem_hmm_set_symbol_column(vem_hmm *h, const char *name)
{
    char *s = NULL;
    if (name && !(s = vem__strdup(name)))
        return VEM_FAIL(VEM_ENOMEM, "symbol column name");
    vem__free(h->symbol_column);
    h->symbol_column = s;
    return VEM_OK;
}

vem_status vem_hmm_set_init(vem_hmm *h, vem_hmm_init init)
{
    if (!vem_hmm_init_name(init))
        return VEM_FAIL(VEM_EINVAL, "invalid init method %d", (int)init);
    if (init == VEM_HMM_INIT_KMEANS && h->em == VEM_HMM_CATEGORICAL)
        return VEM_FAIL(VEM_EINVAL, "init 'kmeans' needs Gaussian emissions (categorical: random)");
    h->init = init;
    return VEM_OK;
}

vem_status vem_hmm_set_trans_init(vem_hmm *h, vem_hmm_trans_init init)
{
    if (!vem_hmm_trans_init_name(init))
        return VEM_FAIL(VEM_EINVAL, "invalid transition init %d", (int)init);
    h->tinit = init;
    return VEM_OK;
}

vem_status vem_hmm_set_reg_covar(vem_hmm *h, double reg_covar)
{
    if (h->banks) {
        for (size_t i = 0; i < h->k; i++) {
            vem_status st = vem_gmm_set_reg_covar(h->banks[i], reg_covar);
            if (st != VEM_OK)
                return st;
        }
        return VEM_OK;
    }
    if (!h->bank)
        return VEM_FAIL(VEM_EINVAL, "reg_covar applies to Gaussian emissions");
    return vem_gmm_set_reg_covar(h->bank, reg_covar);
}

double vem_hmm_reg_covar(const vem_hmm *h)
{
    if (h->banks)
        return vem_gmm_reg_covar(h->banks[0]);
    return h->bank ? vem_gmm_reg_covar(h->bank) : 0.0;
}

void vem_hmm_set_threads(vem_hmm *h, int nthreads)
{
    h->nthreads = resolve_threads(nthreads);
}

/* A probability vector of n entries: non-negative, finite, sum 1 within PROB_TOL. */
static vem_status check_prob(const double *p, size_t n, const char *what, size_t row)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!(p[i] >= 0.0) || !isfinite(p[i])) {
            if (row)
                return VEM_FAIL(VEM_EINVAL, "%s row %zu, entry %zu is %g: probabilities must "
                                "be finite and >= 0", what, row, i + 1, p[i]);
            return VEM_FAIL(VEM_EINVAL, "%s entry %zu is %g: probabilities must be finite and "
                            ">= 0", what, i + 1, p[i]);
        }
        s += p[i];
    }
    if (!(fabs(s - 1.0) <= PROB_TOL)) {
        if (row)
            return VEM_FAIL(VEM_EINVAL, "%s row %zu sums to %.17g, not 1", what, row, s);
        return VEM_FAIL(VEM_EINVAL, "%s sums to %.17g, not 1", what, s);
    }
    return VEM_OK;
}

/* Copy the probability vector p into dst, renormalised. */
static void put_prob(double *dst, const double *p, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += p[i];
    for (size_t i = 0; i < n; i++)
        dst[i] = p[i] / s;
}

vem_status vem_hmm_set_startprob(vem_hmm *h, const double *pi)
{
    vem_status st = check_prob(pi, h->k, "start probability", 0);
    if (st != VEM_OK)
        return st;
    put_prob(h->startprob, pi, h->k);
    return VEM_OK;
}

static vem_status set_rows(double *dst, const double *a, size_t rows, size_t cols,
                           const char *what)
{
    for (size_t i = 0; i < rows; i++) {
        vem_status st = check_prob(a + i * cols, cols, what, i + 1);
        if (st != VEM_OK)
            return st;
    }
    for (size_t i = 0; i < rows; i++)
        put_prob(dst + i * cols, a + i * cols, cols);
    return VEM_OK;
}

vem_status vem_hmm_set_transmat(vem_hmm *h, const double *a)
{
    return set_rows(h->transmat, a, h->k, h->k, "transition matrix");
}

vem_status vem_hmm_set_emissionprob(vem_hmm *h, const double *b)
{
    if (h->em != VEM_HMM_CATEGORICAL && h->em != VEM_HMM_MULTINOMIAL)
        return VEM_FAIL(VEM_EINVAL, "emission probabilities apply to categorical and "
                        "multinomial emissions");
    return set_rows(h->emis, b, h->k, h->dim, "emission matrix");
}

vem_status vem_hmm_set_lambdas(vem_hmm *h, const double *lambdas)
{
    if (h->em != VEM_HMM_POISSON)
        return VEM_FAIL(VEM_EINVAL, "rates (lambdas) apply to Poisson emissions");
    for (size_t i = 0; i < h->k * h->dim; i++)
        if (!(lambdas[i] >= 0.0) || !isfinite(lambdas[i]))
            return VEM_FAIL(VEM_EINVAL, "Poisson rate of state %zu, column %zu is %g: rates "
                            "must be finite and >= 0", i / h->dim + 1, i % h->dim + 1,
                            lambdas[i]);
    memcpy(h->emis, lambdas, h->k * h->dim * sizeof *h->emis);
    return VEM_OK;
}

vem_status vem_hmm_set_n_trials(vem_hmm *h, size_t n_trials)
{
    if (h->em != VEM_HMM_MULTINOMIAL)
        return VEM_FAIL(VEM_EINVAL, "the number of trials applies to multinomial emissions");
    h->n_trials = n_trials;
    return VEM_OK;
}

/* letters (NULL: all that apply) as PARAM_* bits into *out; VEM_EINVAL naming a letter that
 * is unknown or does not apply to h's emissions. */
static vem_status parse_letters(const vem_hmm *h, const char *letters, const char *what,
                                unsigned *out)
{
    const unsigned ok = params_of(h->em);
    if (!letters) {
        *out = ok;
        return VEM_OK;
    }
    unsigned m = 0;
    for (const char *c = letters; *c; c++) {
        const char *at = strchr(param_letters, *c);
        if (!at || !(ok & (1u << (at - param_letters))))
            return VEM_FAIL(VEM_EINVAL, "%s '%s': '%c' is not one of the letters of %s "
                            "emissions (s start, t transitions%s)", what, letters, *c,
                            vem_hmm_emission_name(h->em),
                            h->em == VEM_HMM_GAUSSIAN ? ", m means, c covariances"
                            : h->em == VEM_HMM_GMM  ? ", w weights, m means, c covariances"
                            : h->em == VEM_HMM_POISSON ? ", l rates"
                                                       : ", e emission probabilities");
        m |= 1u << (at - param_letters);
    }
    *out = m;
    return VEM_OK;
}

/* The letters of the bits m into buf (8 bytes). */
static const char *letters_of(unsigned m, char *buf)
{
    size_t n = 0;
    for (size_t i = 0; param_letters[i]; i++)
        if (m & (1u << i))
            buf[n++] = param_letters[i];
    buf[n] = '\0';
    return buf;
}

/* letters as PARAM_* bits into *out (what: for messages); Gaussian-mixture emissions whole. */
static vem_status param_set(const vem_hmm *h, const char *letters, const char *what,
                            unsigned *out)
{
    unsigned m = 0;
    vem_status st = parse_letters(h, letters, what, &m);
    if (st != VEM_OK)
        return st;
    const unsigned mix = PARAM_W | PARAM_M | PARAM_C;
    if (h->em == VEM_HMM_GMM && (m & mix) && (m & mix) != mix)
        return VEM_FAIL(VEM_EINVAL, "%s '%s': Gaussian-mixture emissions go whole (w, m and c "
                        "together)", what, letters);
    *out = m;
    return VEM_OK;
}

vem_status vem_hmm_set_update(vem_hmm *h, const char *letters)
{
    return param_set(h, letters, "parameters to update", &h->update);
}

vem_status vem_hmm_set_init_params(vem_hmm *h, const char *letters)
{
    return param_set(h, letters, "parameters to initialise", &h->init_params);
}

const char *vem_hmm_update(const vem_hmm *h, char buf[8])
{
    return letters_of(h->update, buf);
}

const char *vem_hmm_init_params(const vem_hmm *h, char buf[8])
{
    return letters_of(h->init_params, buf);
}

vem_status vem_hmm_set_priors(vem_hmm *h, const vem_hmm_priors *p)
{
    const double a[3] = {p->startprob, p->transmat, p->emissionprob};
    const char *names[3] = {"startprob", "transmat", "emissionprob"};
    for (int i = 0; i < 3; i++)
        if (!(a[i] >= 1.0) || !isfinite(a[i]))
            return VEM_FAIL(VEM_EINVAL, "%s prior %g: a Dirichlet concentration >= 1 (1: no "
                            "prior)", names[i], a[i]);
    if (p->emissionprob != 1.0 && h->em != VEM_HMM_CATEGORICAL && h->em != VEM_HMM_MULTINOMIAL)
        return VEM_FAIL(VEM_EINVAL, "the emissionprob prior applies to categorical and "
                        "multinomial emissions");
    if (!(p->lambdas_prior >= 0.0) || !(p->lambdas_weight >= 0.0) ||
        !isfinite(p->lambdas_prior) || !isfinite(p->lambdas_weight))
        return VEM_FAIL(VEM_EINVAL, "lambdas prior (%g, %g): both finite and >= 0",
                        p->lambdas_prior, p->lambdas_weight);
    if ((p->lambdas_prior != 0.0 || p->lambdas_weight != 0.0) && h->em != VEM_HMM_POISSON)
        return VEM_FAIL(VEM_EINVAL, "the lambdas prior applies to Poisson emissions");
    h->startprob_prior = p->startprob;
    h->transmat_prior = p->transmat;
    h->emissionprob_prior = p->emissionprob;
    h->lambdas_prior = p->lambdas_prior;
    h->lambdas_weight = p->lambdas_weight;
    return VEM_OK;
}

void vem_hmm_priors_get(const vem_hmm *h, vem_hmm_priors *p)
{
    p->startprob = h->startprob_prior;
    p->transmat = h->transmat_prior;
    p->emissionprob = h->emissionprob_prior;
    p->lambdas_prior = h->lambdas_prior;
    p->lambdas_weight = h->lambdas_weight;
}

vem_status vem_hmm_set_gaussian_prior_default(vem_hmm *h, const vem_matrix *x)
{
    if (!h->bank)
        return VEM_FAIL(VEM_EINVAL, "the conjugate prior on Gaussian emissions applies to "
                        "--emission gaussian");
    return vem_gmm_set_prior_default(h->bank, x);
}

/* Any prior (MAP EM), the Gaussian emissions' included. */
static int has_prior(const vem_hmm *h)
{
    vem_gmm_prior gp;
    return h->startprob_prior != 1.0 || h->transmat_prior != 1.0 ||
           h->emissionprob_prior != 1.0 || h->lambdas_prior != 0.0 ||
           h->lambdas_weight != 0.0 || (h->bank && vem_gmm_prior_params(h->bank, &gp));
}

/* The emission parameters (params_len's layout) of categorical and count emissions. */
static vem_status set_table(vem_hmm *h, const double *e)
{
    return h->em == VEM_HMM_POISSON ? vem_hmm_set_lambdas(h, e) : vem_hmm_set_emissionprob(h, e);
}

vem_status vem_hmm_set_gaussian(vem_hmm *h, const double *means, const double *covariances)
{
    if (h->em != VEM_HMM_GAUSSIAN)
        return VEM_FAIL(VEM_EINVAL, "means and covariances apply to Gaussian emissions");
    double *w = vem__alloc_doubles(h->k, 1);
    if (!w)
        return VEM_FAIL(VEM_ENOMEM, "vem_hmm_set_gaussian");
    for (size_t i = 0; i < h->k; i++)
        w[i] = 1.0 / (double)h->k;
    vem_status st = vem_gmm_set_params(h->bank, w, means, covariances);
    vem__free(w);
    return st;
}

/* ---------------------------------------------------------- data checks */

vem_data vem_hmm_data(const vem_matrix *x, const vem_seqs *seqs)
{
    vem_data d = vem_data_rows(*x);
    if (seqs && seqs->start) {
        d.seq_start = seqs->start;
        d.n_seq = seqs->n_seq;
    }
    return d;
}

size_t vem__hmm_longest(const vem_data *x)
{
    size_t m = 0;
    for (size_t s = 0; s < vem__hmm_n_seq(x); s++)
        m = vem__max(m, vem__hmm_seq_hi(x, s) - vem__hmm_seq_lo(x, s));
    return m;
}

vem_status vem__hmm_check_data(vem_hmm_emission em, size_t dim, size_t n_trials,
                               const vem_matrix *x, const vem_seqs *seqs, int share)
{
    if (!x || (!share && (!x->data || x->rows == 0)))
        return VEM_FAIL(VEM_EINVAL, "no data");
    if (share && x->rows == 0 && (!seqs || !seqs->start || seqs->n_seq == 0))
        return VEM_FAIL(VEM_EINVAL, "an empty share of a distributed fit needs one (empty) "
                        "sequence to take part");
    size_t want = em != VEM_HMM_CATEGORICAL ? dim : 1;
    if (x->cols != want)
        return VEM_FAIL(VEM_EINVAL, "data has %zu columns, the model needs %zu%s", x->cols, want,
                        em == VEM_HMM_CATEGORICAL ? " (one column of symbol codes)" : "");
    if (x->ld < x->cols)
        return VEM_FAIL(VEM_EINVAL, "row stride %zu < %zu columns", x->ld, x->cols);
    if (seqs && seqs->start) {
        if (seqs->n_seq == 0 || seqs->start[0] != 0 || seqs->start[seqs->n_seq] != x->rows)
            return VEM_FAIL(VEM_EINVAL, "the sequences cover rows [%zu, %zu), the data has %zu "
                            "rows", seqs->n_seq ? seqs->start[0] : 0,
                            seqs->n_seq ? seqs->start[seqs->n_seq] : 0, x->rows);
        for (size_t s = 0; s < seqs->n_seq; s++)
            if (seqs->start[s + 1] < seqs->start[s] + (share ? 0 : 1))
                return VEM_FAIL(VEM_EINVAL, "sequence %zu is empty or out of order", s + 1);
    }
    if (em == VEM_HMM_CATEGORICAL && x->rows) {
        for (size_t r = 0; r < x->rows; r++) {
            double v = x->data[r * x->ld];
            if (!(v >= 0.0) || !(v < (double)dim) || v != floor(v))
                return VEM_FAIL(VEM_EINVAL, "row %zu: symbol code %g is not an integer in [0, %zu)",
                                r + 1, v, dim);
        }
    }
    for (size_t r = 0; counts_em(em) && r < x->rows; r++) {
        vem_status st = vem__check_counts(x->data + r * x->ld, x->cols, n_trials, NULL, r + 1);
        if (st != VEM_OK)
            return st;
    }
    return VEM_OK;
}

vem_status vem__hmm_check_source(vem_hmm_emission em, size_t dim, vem_source *src, const char *fn)
{
    if (!src || vem_source_unit_kind(src) == VEM_UNITS_DOCUMENTS)
        return VEM_FAIL(VEM_EINVAL, "%s: a source of frames is required", fn);
    const size_t want = em != VEM_HMM_CATEGORICAL ? dim : 1;
    if (vem_source_cols(src) != want)
        return VEM_FAIL(VEM_EINVAL, "data has %zu columns, the model needs %zu%s",
                        vem_source_cols(src), want,
                        em == VEM_HMM_CATEGORICAL ? " (one column of symbol codes)" : "");
    return VEM_OK;
}

vem_status vem__hmm_prepare_source(vem_hmm_emission em, size_t dim, size_t n_trials,
                                   vem_source *src, size_t *max_len)
{
    vem_status st = VEM_OK;
    if (vem_source_unit_kind(src) == VEM_UNITS_ROWS) {
        const size_t one[2] = {0, vem_source_rows(src)};
        st = vem_source_set_sequences(src, one, 1);
    }
    if (st == VEM_OK && em == VEM_HMM_CATEGORICAL)
        st = vem__source_codes(src, dim, NULL);
    if (st == VEM_OK && counts_em(em))
        st = vem__source_counts(src, n_trials);
    if (st != VEM_OK)
        return st;
    const size_t *start = vem_source_unit_starts(src);
    *max_len = 0;
    for (size_t s = 0; s < vem_source_units(src); s++)
        *max_len = vem__max(*max_len, start[s + 1] - start[s]);
    return VEM_OK;
}

/* Shapes, sequence boundaries and symbol codes. share: one process's share of a
 * distributed fit, which may hold no frames and empty sequences. */
static vem_status check_data_share(const vem_hmm *h, const vem_matrix *x, const vem_seqs *seqs,
                                   int share)
{
    return vem__hmm_check_data(h->em, h->dim, h->n_trials, x, seqs, share);
}

static vem_status check_data(const vem_hmm *h, const vem_matrix *x, const vem_seqs *seqs)
{
    return check_data_share(h, x, seqs, 0);
}

/* ------------------------------------------------------- emission kernels */

/* Length of the emission part of the ESS. */
static size_t emis_ess_len(const vem_hmm *h)
{
    if (h->banks)
        return h->k * vem__gmm_ess_len(h->banks[0]);
    return h->bank ? vem__gmm_ess_len(h->bank)
                   : h->k * h->dim + (h->em == VEM_HMM_POISSON ? h->k : 0);
}

/*
 * Work one thread needs: [k: beta][k: log-densities][BLOCK: log c_t][the Gaussian
 * kernels' work for BLOCK rows, or the count emissions' log table and rate sums].
 */
static size_t thread_work_len(const vem_hmm *h)
{
    if (h->banks) /* + per-component log-densities and responsibilities */
        return vem__gmm_scratch_len(h->banks[0], BLOCK) + 2 * h->k + BLOCK +
               2 * BLOCK * h->n_mix + h->n_mix;
    return (h->bank ? vem__gmm_scratch_len(h->bank, BLOCK) : 0) +
           (counts_em(h->em) ? h->k * h->dim + h->k : 0) + 2 * h->k + BLOCK;
}

/* logp (n x k) = log p(x_t | state) for n frames from x (stride ld). */
static void emission_logp(const vem_hmm *h, const double *x, size_t ld, size_t n, double *logp,
                          double *work)
{
    const size_t k = h->k;
    if (h->bank) {
        vem__gmm_log_gauss(h->bank, x, ld, n, logp, work);
        return;
    }
    if (h->banks) {
        /* log sum_m w_km N(x | k, m): the state's mixture density by log-sum-exp. */
        const size_t mm = h->n_mix;
        double *lw = work, *lpm = lw + mm, *gw = lpm + n * mm;
        for (size_t c = 0; c < k; c++) {
            const double *w = vem_gmm_weights(h->banks[c]);
            for (size_t q = 0; q < mm; q++)
                lw[q] = log(w[q]);
            vem__gmm_log_gauss(h->banks[c], x, ld, n, lpm, gw);
            for (size_t t = 0; t < n; t++) {
                double *r = lpm + t * mm, mx = -INFINITY, sum = 0.0;
                for (size_t q = 0; q < mm; q++) {
                    r[q] += lw[q];
                    mx = r[q] > mx ? r[q] : mx;
                }
                if (mx == -INFINITY) {
                    logp[t * k + c] = -INFINITY;
                    continue;
                }
                for (size_t q = 0; q < mm; q++)
                    sum += exp(r[q] - mx);
                logp[t * k + c] = mx + log(sum);
            }
        }
        return;
    }
    if (counts_em(h->em)) {
        /* Poisson: sum_j x_j ln lambda_cj - lambda_cj - ln x_j!; multinomial: ln n! -
         * sum_j ln x_j! + sum_j x_j ln p_cj. A count of 0 adds nothing (not 0 x -inf). */
        const size_t d = h->dim;
        const int pois = h->em == VEM_HMM_POISSON;
        double *lt = work, *rate = lt + k * d; /* k x d logs; k rate sums */
        for (size_t i = 0; i < k * d; i++)
            lt[i] = log(h->emis[i]);
        for (size_t c = 0; c < k; c++) {
            double r = 0.0;
            for (size_t j = 0; pois && j < d; j++)
                r += h->emis[c * d + j];
            rate[c] = r;
        }
        for (size_t t = 0; t < n; t++) {
            const double *xt = x + t * ld;
            double cst = 0.0, tot = 0.0;
            for (size_t j = 0; j < d; j++)
                if (xt[j] > 0.0) {
                    cst -= lgamma(xt[j] + 1.0);
                    tot += xt[j];
                }
            if (!pois)
                cst += lgamma(tot + 1.0);
            for (size_t c = 0; c < k; c++) {
                const double *l = lt + c * d;
                double v = cst - rate[c];
                for (size_t j = 0; j < d; j++)
                    if (xt[j] > 0.0)
                        v += xt[j] * l[j];
                logp[t * k + c] = v;
            }
        }
        return;
    }
    for (size_t t = 0; t < n; t++) {
        size_t code = (size_t)x[t * ld];
        for (size_t c = 0; c < k; c++)
            logp[t * k + c] = log(h->emis[c * h->dim + code]);
    }
}

/*
 * Count emissions, ESS of frames x[0..n) given the state posteriors gamma (n x k):
 * ess[c d + j] += sum_t gamma_tc x_tj, and for Poisson ess[k d + c] += sum_t gamma_tc.
 */
static void count_accumulate(const vem_hmm *h, const double *x, size_t ld, size_t n,
                             const double *gamma, double *ess)
{
    const size_t k = h->k, d = h->dim;
    double *occ = h->em == VEM_HMM_POISSON ? ess + k * d : NULL;
    for (size_t t = 0; t < n; t++) {
        const double *xt = x + t * ld, *g = gamma + t * k;
        for (size_t j = 0; j < d; j++) {
            const double v = xt[j];
            if (v == 0.0)
                continue;
            for (size_t c = 0; c < k; c++)
                ess[c * d + j] += g[c] * v;
        }
        for (size_t c = 0; occ && c < k; c++)
            occ[c] += g[c];
    }
}

/* In place: row t of b (n x k) minus its maximum, which goes to m[t]. */
HMM_CLONES static void shift_rows(size_t k, size_t n, double *b, double *m)
{
    for (size_t t = 0; t < n; t++) {
        double *r = b + t * k;
        double mx = r[0];
        for (size_t c = 1; c < k; c++)
            mx = r[c] > mx ? r[c] : mx;
        if (!isfinite(mx))
            mx = 0.0; /* every density 0 (or NaN): c_t reports it */
        for (size_t c = 0; c < k; c++)
            r[c] -= mx;
        m[t] = mx;
    }
}

/* Scaled emissions b (n x k) and their shifts m (n) for n frames. */
static void emission_scaled(const vem_hmm *h, const double *x, size_t ld, size_t n, double *b,
                            double *m, double *work)
{
    const size_t k = h->k;
    if (h->em == VEM_HMM_CATEGORICAL) {
        /* Probabilities directly: no exponential, shift 0. */
        for (size_t t = 0; t < n; t++) {
            size_t code = (size_t)x[t * ld];
            for (size_t c = 0; c < k; c++)
                b[t * k + c] = h->emis[c * h->dim + code];
            m[t] = 0.0;
        }
        return;
    }
    emission_logp(h, x, ld, n, b, work);
    shift_rows(k, n, b, m);
    vem__vexp(n * k, b, b);
}

/*
 * Mixture emissions, ESS of frames x[0..n) given the state posteriors gamma
 * (n x k): for state c, responsibilities gamma_tc p(m | x_t, c) into the
 * state's mixture ESS (Rabiner 1989, eqs. 52-54). work: see thread_work_len.
 */
static void mixture_accumulate(const vem_hmm *h, const double *x, size_t ld, size_t n,
                               const double *gamma, double *ess, double *work)
{
    const size_t k = h->k, mm = h->n_mix, el = vem__gmm_ess_len(h->banks[0]);
    double *lw = work, *lpm = lw + mm, *resp = lpm + BLOCK * mm, *gw = resp + BLOCK * mm;
    for (size_t c = 0; c < k; c++) {
        const double *w = vem_gmm_weights(h->banks[c]);
        for (size_t q = 0; q < mm; q++)
            lw[q] = log(w[q]);
        vem__gmm_log_gauss(h->banks[c], x, ld, n, lpm, gw);
        for (size_t t = 0; t < n; t++) {
            const double *r = lpm + t * mm;
            double *o = resp + t * mm, mx = -INFINITY, sum = 0.0;
            for (size_t q = 0; q < mm; q++)
                mx = r[q] + lw[q] > mx ? r[q] + lw[q] : mx;
            if (mx == -INFINITY) {
                for (size_t q = 0; q < mm; q++)
                    o[q] = 0.0;
                continue;
            }
            for (size_t q = 0; q < mm; q++) {
                o[q] = exp(r[q] + lw[q] - mx);
                sum += o[q];
            }
            const double g = gamma[t * k + c] / sum;
            for (size_t q = 0; q < mm; q++)
                o[q] *= g;
        }
        vem__gmm_accumulate(h->banks[c], x, ld, n, resp, ess + c * el, gw);
    }
}

/*
 * Mixture emissions: the mixture initialisation (k-means by default) with
 * k x n_mix components on all frames; state c takes components c n_mix ..
 * (c + 1) n_mix - 1 with their weights renormalised (as hmmlearn's GMMHMM).
 */
static vem_status mixture_init(vem_hmm *h, vem_fit *f, vem_rng *rng)
{
    const size_t k = h->k, mm = h->n_mix, d = h->dim;
    vem_gmm *big = vem_gmm_new(k * mm, d, h->cov);
    if (!big)
        return vem__last_status();
    vem_status st = vem_gmm_set_reg_covar(big, vem_gmm_reg_covar(h->banks[0]));
    if (st == VEM_OK)
        st = vem_gmm_set_init(big, h->init == VEM_HMM_INIT_KMEANS ? VEM_INIT_KMEANS
                                                                  : VEM_INIT_RANDOM);
    vem_fit_opts o = *vem_fit_options(f);
    o.warm_start = 0;
    o.n_init = 1;
    o.log = NULL;
    o.algorithm = VEM_ALG_BATCH;
    vem_model gm = vem_gmm_model(big);
    vem_data rows = vem_data_rows(vem_fit_data(f)->x);
    vem_fit *g = st == VEM_OK ? vem_fit_new(&gm, &rows, &o) : NULL;
    if (st == VEM_OK && !g)
        st = vem__last_status();
    if (st == VEM_OK)
        st = gm.ops->init(gm.self, g, rng);
    vem_fit_free(g);
    const size_t cl = vem_gmm_covariances_len(h->banks[0]);
    double *w = vem__alloc_doubles(mm, 1);
    if (st == VEM_OK && !w)
        st = VEM_FAIL(VEM_ENOMEM, "mixture initialisation");
    for (size_t c = 0; c < k && st == VEM_OK; c++) {
        const double *bw = vem_gmm_weights(big) + c * mm, *bc = vem_gmm_covariances(big);
        double sum = 0.0;
        for (size_t q = 0; q < mm; q++)
            sum += bw[q];
        for (size_t q = 0; q < mm; q++)
            w[q] = bw[q] / sum;
        st = vem_hmm_set_state_mixture(h, c, w, vem_gmm_means(big) + c * mm * d,
                                       h->cov == VEM_COV_TIED ? bc : bc + c * cl);
    }
    vem__free(w);
    vem_gmm_free(big);
    return st;
}

/* ------------------------------------------------------ forward-backward */

/* FB_FRAMES: the forward pass only, each frame's log p(x_t | x_1 .. x_t-1) into post. */
enum fb_mode { FB_FIT = 0, FB_SCORE = 1, FB_POSTERIOR = 2, FB_FRAMES = 3 };

/*
 * Partial sums of a partition of the blocks: [start k][xi k x k][emission ESS]
 * (categorical counts are summed serially instead: with many symbols a copy
 * per partition would be large).
 */
static size_t part_len(const vem_hmm *h)
{
    return h->k + h->k * h->k + (h->em == VEM_HMM_CATEGORICAL ? 0 : emis_ess_len(h));
}

/* Partitions of nb blocks: a fixed number, whatever the threads. */
static size_t n_parts(size_t nb)
{
    return vem__min(nb, NPART);
}

/* Doubles of scratch for a chunk of F frames with nthr threads. */
static size_t chunk_scratch_len(const vem_hmm *h, size_t frames, int nthr)
{
    size_t nb = (frames + BLOCK - 1) / BLOCK;
    return frames * (2 * h->k + 2) + n_parts(nb) * part_len(h) + nb +
           (size_t)nthr * thread_work_len(h) + h->k * h->k + 4 * h->k;
}

static size_t chunk_frames(const vem_hmm *h)
{
    return vem__max(h->max_len, CHUNK);
}

/*
 * Forward recursion over frames [t0, hi) of the sequence starting at lo:
 * alpha_t = (alpha_{t-1} A) o b_t / c_t. Stops at the first frame whose c_t is
 * below DBL_MIN and returns it (its prediction left in pred), else returns hi.
 * Two partial sums per prediction and four for c_t shorten the dependency
 * chains; the order is fixed, so the result is too.
 */
static inline __attribute__((always_inline)) size_t forward_core(size_t k, const double *restrict A,
                                                           const double *restrict pi, size_t lo,
                                                           size_t t0, size_t hi,
                                                           const double *restrict b,
                                                           double *restrict alpha,
                                                           double *restrict cs,
                                                           double *restrict pred,
                                                           double *restrict p2,
                                                           double *restrict u)
{
    /* u: the unnormalised alpha of the previous frame, with 1 / c in inv, so that
     * the normalisation stays off the recursion's critical path. */
    double inv = 1.0;
    if (t0 > lo) {
        #pragma omp simd
        for (size_t j = 0; j < k; j++)
            u[j] = alpha[(t0 - 1) * k + j];
    }
    for (size_t t = t0; t < hi; t++) {
        double *at = alpha + t * k;
        const double *bt = b + t * k;
        if (t == lo) {
            #pragma omp simd
            for (size_t j = 0; j < k; j++)
                pred[j] = pi[j];
        } else {
            #pragma omp simd
            for (size_t j = 0; j < k; j++) {
                pred[j] = u[0] * A[j];
                p2[j] = 0.0;
            }
            size_t i = 1;
            for (; i + 1 < k; i += 2) {
                const double a1 = u[i], a2 = u[i + 1];
                const double *A1 = A + i * k, *A2 = A1 + k;
                #pragma omp simd
                for (size_t j = 0; j < k; j++) {
                    p2[j] += a1 * A1[j];
                    pred[j] += a2 * A2[j];
                }
            }
            if (i < k) {
                const double a1 = u[i], *A1 = A + i * k;
                #pragma omp simd
                for (size_t j = 0; j < k; j++)
                    p2[j] += a1 * A1[j];
            }
            #pragma omp simd
            for (size_t j = 0; j < k; j++)
                pred[j] = (pred[j] + p2[j]) * inv;
        }
        double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
        size_t j = 0;
        for (; j + 4 <= k; j += 4) {
            u[j] = pred[j] * bt[j];
            u[j + 1] = pred[j + 1] * bt[j + 1];
            u[j + 2] = pred[j + 2] * bt[j + 2];
            u[j + 3] = pred[j + 3] * bt[j + 3];
            s0 += u[j];
            s1 += u[j + 1];
            s2 += u[j + 2];
            s3 += u[j + 3];
        }
        for (; j < k; j++) {
            u[j] = pred[j] * bt[j];
            s0 += u[j];
        }
        const double c = (s0 + s1) + (s2 + s3);
        if (!(c >= DBL_MIN))
            return t;
        cs[t] = c;
        inv = 1.0 / c;
        #pragma omp simd
        for (size_t q = 0; q < k; q++)
            at[q] = u[q] * inv;
    }
    return hi;
}

/*
 * Backward recursion over the sequence [lo, hi) fused with the posteriors:
 * beta_{T-1} = 1, w_t = b_t o beta_t / c_t, beta_{t-1} = A w_t (from AT = A^T
 * as a sum of columns, vectorisable); on the way, gamma_t = alpha_t o beta_t
 * overwrites alpha_t, xi += alpha_t w_{t+1}^T (times A later) and start +=
 * gamma_lo. wn holds w_{t+1}. Only the pairs (t - 1, t) with x0 <= t < x1 add to xi
 * (x0 = lo, x1 = hi: all of them).
 */
static inline __attribute__((always_inline)) void backward_core(size_t k, const double *restrict AT,
                                                          size_t lo, size_t hi,
                                                          double *restrict alpha,
                                                          const double *restrict b,
                                                          const double *restrict cs,
                                                          double *restrict beta,
                                                          double *restrict p2,
                                                          double *restrict wn,
                                                          double *restrict xi,
                                                          double *restrict start, size_t x0,
                                                          size_t x1)
{
    #pragma omp simd
    for (size_t j = 0; j < k; j++)
        beta[j] = 1.0;
    for (size_t t = hi; t-- > lo;) {
        double *at = alpha + t * k;
        const double *bt = b + t * k;
        if (t + 1 < x1 && t + 1 >= x0) {
            for (size_t i = 0; i < k; i++) {
                const double ai = at[i];
                double *xr = xi + i * k;
                #pragma omp simd
                for (size_t q = 0; q < k; q++)
                    xr[q] += ai * wn[q];
            }
        }
        const double inv = 1.0 / cs[t];
        #pragma omp simd
        for (size_t j = 0; j < k; j++) {
            /* A state whose forward probability is 0 (unreachable, or underflowed) has
             * posterior 0 and passes nothing back: its beta may have overflowed (a state
             * the chain left long ago that explains the future far better, as in a
             * left-right model), and 0 x inf would be NaN. */
            const int live = at[j] > 0.0;
            wn[j] = live ? bt[j] * beta[j] * inv : 0.0;
            at[j] = live ? at[j] * beta[j] : 0.0;
        }
        if (t == lo) {
            #pragma omp simd
            for (size_t j = 0; j < k; j++)
                start[j] += at[j];
            break;
        }
        #pragma omp simd
        for (size_t i = 0; i < k; i++) {
            beta[i] = wn[0] * AT[i];
            p2[i] = 0.0;
        }
        size_t j = 1;
        for (; j + 1 < k; j += 2) {
            const double w1 = wn[j], w2 = wn[j + 1];
            const double *C1 = AT + j * k, *C2 = C1 + k;
            #pragma omp simd
            for (size_t i = 0; i < k; i++) {
                p2[i] += w1 * C1[i];
                beta[i] += w2 * C2[i];
            }
        }
        if (j < k) {
            const double w1 = wn[j], *C1 = AT + j * k;
            #pragma omp simd
            for (size_t i = 0; i < k; i++)
                p2[i] += w1 * C1[i];
        }
        #pragma omp simd
        for (size_t i = 0; i < k; i++)
            beta[i] += p2[i];
    }
}

/*
 * The kernels above with k known at compile time for small k (loops fully
 * unrolled and vectorised), and for any k.
 */
#define HMM_SPECIALISE(call)                                                                     \
    switch (k) {                                                                                 \
    case 2: {                                                                                    \
        const size_t kc = 2;                                                                     \
        call;                                                                                    \
    }                                                                                            \
    case 3: {                                                                                    \
        const size_t kc = 3;                                                                     \
        call;                                                                                    \
    }                                                                                            \
    case 4: {                                                                                    \
        const size_t kc = 4;                                                                     \
        call;                                                                                    \
    }                                                                                            \
    case 5: {                                                                                    \
        const size_t kc = 5;                                                                     \
        call;                                                                                    \
    }                                                                                            \
    case 6: {                                                                                    \
        const size_t kc = 6;                                                                     \
        call;                                                                                    \
    }                                                                                            \
    case 8: {                                                                                    \
        const size_t kc = 8;                                                                     \
        call;                                                                                    \
    }                                                                                            \
    default: {                                                                                   \
        const size_t kc = k;                                                                     \
        call;                                                                                    \
    }                                                                                            \
    }

HMM_CLONES static size_t forward_run(size_t k, const double *A, const double *pi, size_t lo,
                                     size_t t0, size_t hi, const double *b, double *alpha,
                                     double *cs, double *pred, double *p2, double *u)
{
    HMM_SPECIALISE(return forward_core(kc, A, pi, lo, t0, hi, b, alpha, cs, pred, p2, u))
}

HMM_CLONES static void backward_run(size_t k, const double *AT, size_t lo, size_t hi,
                                    double *alpha, const double *b, const double *cs,
                                    double *beta, double *p2, double *wn, double *xi,
                                    double *start, size_t x0, size_t x1)
{
    HMM_SPECIALISE(backward_core(kc, AT, lo, hi, alpha, b, cs, beta, p2, wn, xi, start, x0, x1);
                   return)
}

/*
 * Redo frame t of the forward pass in log space when c_t underflowed: shift by
 * s = max_k (log pred_k + log p(x_t | k)) over reachable states; b row and m_t
 * are rewritten so that the backward pass sees the same scaling. Exact unless a
 * reachable state's predicted probability is below e^-700 (its b is capped at e^700).
 */
static double rescue_frame(size_t k, const double *lp, const double *pred, double *brow, double *m,
                           double *alpha);

static double forward_rescue(const vem_hmm *h, const double *xrow, size_t ld, const double *pred,
                             double *brow, double *m, double *alpha, double *work)
{
    const size_t k = h->k;
    double *lp = work + k; /* k */
    emission_logp(h, xrow, ld, 1, lp, work + 2 * k + BLOCK);
    return rescue_frame(k, lp, pred, brow, m, alpha);
}

/* forward_rescue's work given the frame's log-densities lp (k). */
static double rescue_frame(size_t k, const double *lp, const double *pred, double *brow, double *m,
                           double *alpha)
{
    double s = -INFINITY;
    for (size_t c = 0; c < k; c++)
        if (pred[c] > 0.0 && log(pred[c]) + lp[c] > s)
            s = log(pred[c]) + lp[c];
    if (!isfinite(s))
        return 0.0; /* probability zero: the caller reports -inf */
    /* States the chain cannot be in (pred exactly 0) get b = 0: their alpha is 0
     * whatever b is, and a huge b would only overflow the backward pass. */
    double sum = 0.0;
    for (size_t c = 0; c < k; c++) {
        double e = lp[c] - s;
        brow[c] = pred[c] > 0.0 ? exp(e < 700.0 ? e : 700.0) : 0.0;
        alpha[c] = pred[c] * brow[c];
        sum += alpha[c];
    }
    *m = s;
    return sum;
}

/*
 * The forward recursion over frames [lo, hi) of one sequence (arrays indexed by frame: b, m,
 * alpha, cs, and x or logb), each frame whose c_t underflows redone in log space from its
 * log-densities: logb's row when logb is given, else emission_logp of x's row (h, ld, work
 * as forward_rescue). vec: 4 k. Returns 0, or -1 when the sequence has probability zero.
 */
static int forward_pass(const vem_hmm *h, const double *x, size_t ld, double *work,
                        const double *logb, size_t k, const double *A, const double *pi,
                        size_t lo, size_t hi, double *b, double *m, double *alpha, double *cs,
                        double *vec)
{
    double *pred = vec, *p2 = vec + k;
    size_t t = lo;
    while ((t = forward_run(k, A, pi, lo, t, hi, b, alpha, cs, pred, p2, vec + 3 * k)) < hi) {
        double *at = alpha + t * k;
        const double c = logb ? rescue_frame(k, logb + t * k, pred, b + t * k, m + t, at)
                              : forward_rescue(h, x + t * ld, ld, pred, b + t * k, m + t, at,
                                               work);
        if (!(c > 0.0))
            return -1;
        cs[t] = c;
        const double inv = 1.0 / c;
        for (size_t j = 0; j < k; j++)
            at[j] *= inv;
        t++;
    }
    return 0;
}

/*
 * Forward-backward over the sequences starts[0..nseq] (absolute rows; frames
 * are local to starts[0]). FB_FIT adds the ESS into ess; FB_POSTERIOR writes
 * gamma (frames x k) into post. Returns the total log-likelihood.
 */
static double run_chunk(const vem_hmm *h, const vem_matrix *xm, const size_t *starts, size_t nseq,
                        enum fb_mode mode, double *ess, double *post, double *scratch)
{
    const size_t k = h->k, kk = k * k, ld = xm->ld, r0 = starts[0];
    const size_t frames = starts[nseq] - r0, nb = (frames + BLOCK - 1) / BLOCK, np = n_parts(nb);
    const size_t plen = part_len(h), elen = emis_ess_len(h), twl = thread_work_len(h);
    const double *x = xm->data + r0 * ld;
    const double *A = h->transmat;
    int nthr = 1;
#ifdef _OPENMP
    if (nb >= 2 && omp_get_active_level() == 0)
        nthr = (int)vem__min((size_t)h->nthreads, nb);
#endif
    double *alpha = scratch;               /* frames x k; gamma after phase 4 */
    double *b = alpha + frames * k;        /* frames x k; w after phase 3 */
    double *m = b + frames * k;            /* frames */
    double *cs = m + frames;               /* frames */
    double *part = cs + frames;            /* np x plen */
    double *llb = part + np * plen;        /* nb: log-likelihood per block */
    double *tw = llb + nb;                 /* nthr x twl */
    double *AT = tw + (size_t)nthr * twl;  /* k x k */
    double *vec = AT + kk;                 /* 4 k */
    double *pred = vec, *beta = vec + k, *p2 = vec + 2 * k;
    const long nbl = (long)nb, npl = (long)np;
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++)
            AT[j * k + i] = A[i * k + j];

    /* 1. Scaled emission densities. */
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) num_threads(nthr) if (nthr > 1)
#endif
    for (long j = 0; j < nbl; j++) {
#ifdef _OPENMP
        size_t tid = (size_t)omp_get_thread_num();
#else
        size_t tid = 0;
#endif
        size_t t0 = (size_t)j * BLOCK, n = vem__min(BLOCK, frames - t0);
        emission_scaled(h, x + t0 * ld, ld, n, b + t0 * k, m + t0, tw + tid * twl + 2 * k + BLOCK);
    }

    /* 2-3. Forward and backward recursions (with the posteriors, the start and
     * transition counts, into partition 0's partial sums), one sequence at a time. */
    memset(part, 0, np * plen * sizeof *part);
    for (size_t s = 0; s < nseq; s++) {
        const size_t lo = starts[s] - r0, hi = starts[s + 1] - r0;
        if (forward_pass(h, x, ld, tw, NULL, k, A, h->startprob, lo, hi, b, m, alpha, cs, vec))
            return -INFINITY; /* the sequence has probability zero: no statistics */
        if (mode == FB_FIT || mode == FB_POSTERIOR)
            backward_run(k, AT, lo, hi, alpha, b, cs, beta, p2, pred, part + k, part, lo, hi);
    }

    /* 4. Log-likelihood per block and emission statistics per partition of the
     * blocks (each partition's blocks in order). */
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) num_threads(nthr) if (nthr > 1)
#endif
    for (long p = 0; p < npl; p++) {
#ifdef _OPENMP
        size_t tid = (size_t)omp_get_thread_num();
#else
        size_t tid = 0;
#endif
        double *pe = part + (size_t)p * plen + k + kk, *work = tw + tid * twl;
        double *logc = work + 2 * k, *gwork = logc + BLOCK;
        const size_t j0 = (size_t)p * nb / np, j1 = ((size_t)p + 1) * nb / np;
        for (size_t j = j0; j < j1; j++) {
            const size_t t0 = j * BLOCK, n = vem__min(BLOCK, frames - t0);
            vem__vlog(n, cs + t0, logc);
            double ll = 0.0;
            for (size_t t = 0; t < n; t++)
                ll += logc[t] + m[t0 + t];
            llb[j] = ll;
            if (mode != FB_FIT)
                continue;
            if (h->bank)
                vem__gmm_accumulate(h->bank, x + t0 * ld, ld, n, alpha + t0 * k, pe, gwork);
            else if (h->banks)
                mixture_accumulate(h, x + t0 * ld, ld, n, alpha + t0 * k, pe, gwork);
            else if (counts_em(h->em))
                count_accumulate(h, x + t0 * ld, ld, n, alpha + t0 * k, pe);
        }
    }

    /* Fixed-order reductions. */
    double ll = 0.0;
    for (size_t j = 0; j < nb; j++)
        ll += llb[j];
    if (mode == FB_FRAMES)
        for (size_t t = 0; t < frames; t++)
            post[t] = log(cs[t]) + m[t];
    if (mode == FB_POSTERIOR)
        memcpy(post, alpha, frames * k * sizeof *post);
    if (mode != FB_FIT)
        return ll;
    for (size_t j = 1; j < np; j++) {
        const double *pj = part + j * plen;
        for (size_t i = 0; i < plen; i++)
            part[i] += pj[i];
    }
    for (size_t i = 0; i < k; i++)
        ess[i] += part[i];
    for (size_t i = 0; i < kk; i++)
        ess[k + i] += A[i] * part[k + i];
    if (h->em == VEM_HMM_CATEGORICAL) {
        double *cnt = ess + k + kk;
        for (size_t t = 0; t < frames; t++) {
            size_t code = (size_t)x[t * ld];
            const double *g = alpha + t * k;
            for (size_t c = 0; c < k; c++)
                cnt[c * h->dim + code] += g[c];
        }
    } else {
        for (size_t i = 0; i < elen; i++)
            ess[k + kk + i] += part[k + kk + i];
    }
    return ll;
}

/*
 * Walk sequences [u0, u1) of x in chunks of whole sequences of at most
 * chunk_frames(h) frames (a longer sequence is a chunk of its own).
 */
static double run_units(const vem_hmm *h, const vem_data *x, size_t u0, size_t u1,
                        enum fb_mode mode, double *ess, double *post, double *scratch)
{
    const size_t cap = chunk_frames(h);
    size_t one[2];
    double ll = 0.0;
    size_t s = u0;
    while (s < u1) {
        if (vem__hmm_seq_hi(x, s) == vem__hmm_seq_lo(x, s)) {
            s++; /* an empty sequence (a distributed fit's padding) adds nothing */
            continue;
        }
        size_t e = s + 1;
        while (e < u1 && vem__hmm_seq_hi(x, e) > vem__hmm_seq_lo(x, e) &&
               vem__hmm_seq_hi(x, e) - vem__hmm_seq_lo(x, s) <= cap)
            e++;
        const size_t *starts;
        if (x->seq_start) {
            starts = x->seq_start + s;
        } else {
            one[0] = 0;
            one[1] = x->x.rows;
            starts = one;
        }
        size_t frames = vem__hmm_seq_hi(x, e - 1) - vem__hmm_seq_lo(x, s);
        double *sc = scratch, *own = NULL;
        if (frames > cap || !scratch) {
            /* Longer than the scratch was sized for (data not seen by init or fit). */
            own = vem__alloc_doubles(chunk_scratch_len(h, frames, h->nthreads), 1);
            if (!own)
                return NAN;
            sc = own;
        }
        double *p = post ? post + (vem__hmm_seq_lo(x, s) - vem__hmm_seq_lo(x, u0)) * h->k : NULL;
        ll += run_chunk(h, &x->x, starts, e - s, mode, ess, p, sc);
        vem__free(own);
        s = e;
    }
    return ll;
}

/* ------------------------------------------- forward-backward on given weights */

size_t vem__hmm_posteriors_work(size_t k, size_t T)
{
    return T * (2 * k + 2) + 2 * k * k + 4 * k;
}

double vem__hmm_posteriors(size_t k, const double *pi, const double *A, size_t T,
                           const double *logb, double *gamma, double *xi, double *start,
                           double *work)
{
    return vem__hmm_posteriors_span(k, pi, A, T, logb, gamma, xi, start, work, 0, T);
}

double vem__hmm_posteriors_span(size_t k, const double *pi, const double *A, size_t T,
                                const double *logb, double *gamma, double *xi, double *start,
                                double *work, size_t c0, size_t c1)
{
    if (T == 0 || c0 >= c1)
        return 0.0;
    const size_t kk = k * k;
    double *b = work, *m = b + T * k, *cs = m + T, *AT = cs + T, *xt = AT + kk;
    double *vec = xt + kk, *pred = vec, *beta = vec + k, *p2 = vec + 2 * k;
    double *alpha = gamma;
    memcpy(b, logb, T * k * sizeof *b);
    shift_rows(k, T, b, m);
    vem__vexp(T * k, b, b);
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++)
            AT[j * k + i] = A[i * k + j];
    if (forward_pass(NULL, NULL, 0, NULL, logb, k, A, pi, 0, T, b, m, alpha, cs, vec))
        return -INFINITY;
    double ll = 0.0;
    for (size_t s = c0; s < c1; s++)
        ll += log(cs[s]) + m[s];
    memset(xt, 0, kk * sizeof *xt);
    double *sacc = c0 == 0 ? start : NULL;
    if (!sacc) { /* backward_run adds gamma_1 somewhere: pred is free by now */
        sacc = pred;
        memset(sacc, 0, k * sizeof *sacc);
    }
    backward_run(k, AT, 0, T, alpha, b, cs, beta, p2, vec + 3 * k, xt, sacc, c0 ? c0 : 1, c1);
    for (size_t i = 0; xi && i < kk; i++)
        xi[i] += A[i] * xt[i];
    return ll;
}

/* ------------------------------------------------------------ engine glue */

static size_t hmm_ess_len(const void *self)
{
    const vem_hmm *h = self;
    return h->k + h->k * h->k + emis_ess_len(h);
}

static size_t hmm_scratch_len(const void *self, size_t block)
{
    const vem_hmm *h = self;
    (void)block; /* a unit is a whole sequence: the need depends on frames, not units */
    return chunk_scratch_len(h, chunk_frames(h), h->nthreads);
}

static size_t hmm_n_units(const void *self, const vem_data *x)
{
    (void)self;
    return vem__hmm_n_seq(x);
}

static double hmm_n_obs(const void *self, const vem_data *x)
{
    (void)self;
    return (double)x->x.rows;
}

static double hmm_estep(const void *self, const vem_data *x, size_t u0, size_t u1, double *ess,
                        double *scratch)
{
    return run_units(self, x, u0, u1, FB_FIT, ess, NULL, scratch);
}

static double hmm_score_estep(const void *self, const vem_data *x, size_t u0, size_t u1,
                              double *ess, double *scratch)
{
    (void)ess;
    return run_units(self, x, u0, u1, FB_SCORE, NULL, NULL, scratch);
}

/* Rows of a probability matrix from counts; a row with no counts keeps its values. */
static void normalise_rows(double *dst, const double *cnt, size_t rows, size_t cols)
{
    for (size_t i = 0; i < rows; i++) {
        double s = 0.0;
        for (size_t j = 0; j < cols; j++)
            s += cnt[i * cols + j];
        if (!(s > 0.0) || !isfinite(s))
            continue;
        for (size_t j = 0; j < cols; j++)
            dst[i * cols + j] = cnt[i * cols + j] / s;
    }
}

/*
 * MAP rows of probabilities (rows x cols) from counts and a Dirichlet(alpha) prior on each:
 * p_j proportional to max(n_j + alpha - 1, 0) (hmmlearn's rule; alpha >= 1 here, so never
 * clipped); keep_zero: an entry that is 0 stays 0 (start and transitions: a topology's
 * zeros). A row whose total is not positive keeps its values.
 */
static void map_rows(double *dst, const double *cnt, size_t rows, size_t cols, double alpha,
                     int keep_zero)
{
    if (alpha == 1.0) {
        normalise_rows(dst, cnt, rows, cols);
        return;
    }
    for (size_t i = 0; i < rows; i++) {
        double *d = dst + i * cols, sum = 0.0;
        const double *c = cnt + i * cols;
        for (size_t j = 0; j < cols; j++)
            sum += keep_zero && d[j] == 0.0 ? 0.0 : c[j] + alpha - 1.0;
        if (!(sum > 0.0) || !isfinite(sum))
            continue;
        for (size_t j = 0; j < cols; j++)
            d[j] = keep_zero && d[j] == 0.0 ? 0.0 : (c[j] + alpha - 1.0) / sum;
    }
}

/*
 * Gaussian emissions with some of means and covariances frozen (vem_hmm_set_update): the
 * mixture's M-step on ESS whose means are the frozen ones (sum r = n mu, the second moments
 * moved so that the scatter is about mu), then the frozen parameters put back bit for bit.
 */
static vem_status bank_mstep(vem_hmm *h, const double *ess)
{
    vem_gmm *g = h->bank;
    const unsigned up = h->update & (PARAM_M | PARAM_C);
    if (up == (PARAM_M | PARAM_C))
        return vem__gmm_mstep(g, ess);
    if (!up)
        return VEM_OK;
    const size_t k = h->k, d = h->dim, el = vem__gmm_ess_len(g), cl = vem_gmm_covariances_len(g);
    double *e = vem__alloc_doubles(el + 2 * k * d + cl + k, 1);
    if (!e)
        return VEM_FAIL(VEM_ENOMEM, "M-step: %zu doubles", el);
    double *mu = e + el, *keep_mu = mu + k * d, *keep_c = keep_mu + k * d, *w = keep_c + cl;
    memcpy(e, ess, el * sizeof *e);
    memcpy(keep_mu, vem_gmm_means(g), k * d * sizeof *mu);
    memcpy(keep_c, vem_gmm_covariances(g), cl * sizeof *keep_c);
    for (size_t c = 0; c < k; c++)
        w[c] = 1.0 / (double)k;
    if (!(up & PARAM_M)) {
        /* The ESS are about the model's centre c0: mu = means - c0 in those coordinates. */
        const double *nk = e, *s1 = ess + k;
        double *t1 = e + k, *t2 = e + k + k * d;
        const double *c0 = vem__gmm_center(g);
        for (size_t c = 0; c < k; c++)
            for (size_t j = 0; j < d; j++)
                mu[c * d + j] = keep_mu[c * d + j] - c0[j];
        for (size_t c = 0; c < k; c++) {
            const double n = nk[c] + 10.0 * DBL_EPSILON, *m = mu + c * d, *a = s1 + c * d;
            /* s2' = s2 - s1 m^T - m s1^T + 2 n m m^T, so that s2' / n - m m^T is the scatter
             * about m over n; s1' = n m. */
            for (size_t i = 0; i < d; i++) {
                if (vem_cov_layout(h->cov) == VEM_COV_FULL)
                    for (size_t j = 0; j < d; j++)
                        t2[c * d * d + i * d + j] += -a[i] * m[j] - m[i] * a[j] +
                                                     2.0 * n * m[i] * m[j];
                else if (vem_cov_layout(h->cov) == VEM_COV_TIED)
                    for (size_t j = 0; j < d; j++)
                        t2[i * d + j] += -a[i] * m[j] - m[i] * a[j] + 2.0 * n * m[i] * m[j];
                else
                    t2[c * d + i] += -2.0 * a[i] * m[i] + 2.0 * n * m[i] * m[i];
            }
            for (size_t j = 0; j < d; j++)
                t1[c * d + j] = n * m[j];
        }
    }
    vem_status st = vem__gmm_mstep(g, e);
    if (st == VEM_OK)
        st = vem_gmm_set_params(g, w, up & PARAM_M ? vem_gmm_means(g) : keep_mu,
                                up & PARAM_C ? vem_gmm_covariances(g) : keep_c);
    vem__free(e);
    return st;
}

static vem_status hmm_mstep(void *self, const double *ess)
{
    vem_hmm *h = self;
    const size_t k = h->k;
    const unsigned up = h->update;
    /* Emissions first: a covariance failure leaves every parameter unchanged. */
    if (h->bank) {
        vem_status st = bank_mstep(h, ess + k + k * k);
        if (st != VEM_OK)
            return st;
    } else if (h->banks && !(up & PARAM_M)) {
        /* frozen whole (vem_hmm_set_update) */
    } else if (h->banks) {
        const size_t el = vem__gmm_ess_len(h->banks[0]);
        for (size_t c = 0; c < k; c++) {
            vem_status st = vem__gmm_mstep(h->banks[c], ess + k + k * k + c * el);
            if (st != VEM_OK) {
                char msg[400];
                snprintf(msg, sizeof msg, "%s", vem_errmsg());
                return VEM_FAIL(st, "state %zu: %s", c + 1, msg);
            }
        }
    } else if (h->em == VEM_HMM_POISSON) {
        /* lambda_cj = (a + sum_t gamma_tc x_tj) / (b + sum_t gamma_tc), the mode of the
         * posterior under the prior lambda^a e^(-b lambda) (a = b = 0: maximum likelihood);
         * a state never visited keeps its rates. */
        const size_t d = h->dim;
        const double *sx = ess + k + k * k, *occ = sx + k * d;
        for (size_t c = 0; (up & PARAM_L) && c < k; c++) {
            const double den = occ[c] + h->lambdas_weight;
            if (den > 0.0 && isfinite(den))
                for (size_t j = 0; j < d; j++)
                    h->emis[c * d + j] = (sx[c * d + j] + h->lambdas_prior) / den;
        }
    } else if (up & PARAM_E) {
        map_rows(h->emis, ess + k + k * k, k, h->dim, h->emissionprob_prior, 0);
    }
    if (up & PARAM_S)
        map_rows(h->startprob, ess, 1, k, h->startprob_prior, 1);
    if (up & PARAM_T)
        map_rows(h->transmat, ess + k, k, k, h->transmat_prior, 1);
    return VEM_OK;
}

/* Sum over the rows of (alpha - 1) ln p_j: a Dirichlet(alpha) log density up to its
 * normaliser (0 for alpha = 1; zeros of a topology add nothing). */
static double dirichlet_kernel(const double *p, size_t n, double alpha)
{
    if (alpha == 1.0)
        return 0.0;
    double s = 0.0;
    for (size_t j = 0; j < n; j++)
        if (p[j] > 0.0)
            s += (alpha - 1.0) * log(p[j]);
    return s;
}

static double hmm_objective_extra(const void *self)
{
    return vem_hmm_log_prior(self);
}

/* MAP EM's objective beyond the log-likelihood: the log prior density of the parameters up
 * to its normalising constant (docs/hmm.md, "Priors"). */
double vem_hmm_log_prior(const vem_hmm *h)
{
    const size_t k = h->k;
    double s = dirichlet_kernel(h->startprob, k, h->startprob_prior);
    for (size_t i = 0; i < k; i++)
        s += dirichlet_kernel(h->transmat + i * k, k, h->transmat_prior);
    if (h->em == VEM_HMM_CATEGORICAL || h->em == VEM_HMM_MULTINOMIAL)
        for (size_t i = 0; i < k; i++)
            s += dirichlet_kernel(h->emis + i * h->dim, h->dim, h->emissionprob_prior);
    if (h->em == VEM_HMM_POISSON && (h->lambdas_prior != 0.0 || h->lambdas_weight != 0.0))
        for (size_t i = 0; i < k * h->dim; i++)
            s += (h->lambdas_prior > 0.0 ? h->lambdas_prior * log(h->emis[i]) : 0.0) -
                 h->lambdas_weight * h->emis[i];
    if (h->bank)
        s += vem_gmm_log_prior(h->bank);
    return s;
}

static size_t hmm_params_len(const void *self)
{
    const vem_hmm *h = self;
    size_t e = h->bank ? h->k * h->dim + vem_gmm_covariances_len(h->bank) : h->k * h->dim;
    if (h->banks)
        e = h->k * (h->n_mix + h->n_mix * h->dim + vem_gmm_covariances_len(h->banks[0]));
    return h->k + h->k * h->k + e;
}

static void hmm_params_get(const void *self, double *out)
{
    const vem_hmm *h = self;
    const size_t k = h->k;
    memcpy(out, h->startprob, k * sizeof *out);
    memcpy(out + k, h->transmat, k * k * sizeof *out);
    out += k + k * k;
    if (h->bank) {
        memcpy(out, vem_gmm_means(h->bank), k * h->dim * sizeof *out);
        memcpy(out + k * h->dim, vem_gmm_covariances(h->bank),
               vem_gmm_covariances_len(h->bank) * sizeof *out);
    } else if (h->banks) {
        const size_t mm = h->n_mix, cl = vem_gmm_covariances_len(h->banks[0]);
        for (size_t c = 0; c < k; c++) {
            memcpy(out, vem_gmm_weights(h->banks[c]), mm * sizeof *out);
            memcpy(out + mm, vem_gmm_means(h->banks[c]), mm * h->dim * sizeof *out);
            memcpy(out + mm + mm * h->dim, vem_gmm_covariances(h->banks[c]), cl * sizeof *out);
            out += mm + mm * h->dim + cl;
        }
    } else {
        memcpy(out, h->emis, k * h->dim * sizeof *out);
    }
}

static vem_status hmm_params_set(void *self, const double *in)
{
    vem_hmm *h = self;
    const size_t k = h->k;
    const double *e = in + k + k * k;
    vem_status st = VEM_OK;
    if (h->banks) {
        const size_t mm = h->n_mix, cl = vem_gmm_covariances_len(h->banks[0]);
        for (size_t c = 0; c < k && st == VEM_OK; c++) {
            st = vem_hmm_set_state_mixture(h, c, e, e + mm, e + mm + mm * h->dim);
            e += mm + mm * h->dim + cl;
        }
    } else {
        st = h->bank ? vem_hmm_set_gaussian(h, e, e + k * h->dim) : set_table(h, e);
    }
    if (st == VEM_OK)
        st = vem_hmm_set_startprob(h, in);
    if (st == VEM_OK)
        st = vem_hmm_set_transmat(h, in + k);
    return st;
}

/* Checkpoint state (vem_model_ops.state_*): the probabilities as they are (setting them
 * normalises again) and every Gaussian exactly. */
static size_t hmm_state_len(const void *self)
{
    const vem_hmm *h = self;
    size_t n = h->k + h->k * h->k + (h->emis ? h->k * h->dim : 0);
    if (h->bank)
        n += vem__gmm_exact_len(h->bank);
    for (size_t c = 0; h->banks && c < h->k; c++)
        n += vem__gmm_exact_len(h->banks[c]);
    return n;
}

static void hmm_state_get(const void *self, double *out)
{
    const vem_hmm *h = self;
    const size_t k = h->k;
    memcpy(out, h->startprob, k * sizeof *out);
    memcpy(out + k, h->transmat, k * k * sizeof *out);
    out += k + k * k;
    if (h->emis) {
        memcpy(out, h->emis, k * h->dim * sizeof *out);
        out += k * h->dim;
    }
    if (h->bank) {
        vem__gmm_exact_get(h->bank, out);
        out += vem__gmm_exact_len(h->bank);
    }
    for (size_t c = 0; h->banks && c < k; c++) {
        vem__gmm_exact_get(h->banks[c], out);
        out += vem__gmm_exact_len(h->banks[c]);
    }
}

static vem_status hmm_state_set(void *self, const double *in)
{
    vem_hmm *h = self;
    const size_t k = h->k;
    memcpy(h->startprob, in, k * sizeof *in);
    memcpy(h->transmat, in + k, k * k * sizeof *in);
    in += k + k * k;
    if (h->emis) {
        memcpy(h->emis, in, k * h->dim * sizeof *in);
        in += k * h->dim;
    }
    if (h->bank) {
        vem__gmm_exact_set(h->bank, in);
        in += vem__gmm_exact_len(h->bank);
    }
    for (size_t c = 0; h->banks && c < k; c++) {
        vem__gmm_exact_set(h->banks[c], in);
        in += vem__gmm_exact_len(h->banks[c]);
    }
    return VEM_OK;
}

void vem__dirichlet1(vem_rng *rng, double *p, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        p[i] = -log(1.0 - vem_rng_uniform(rng));
        s += p[i];
    }
    for (size_t i = 0; i < n; i++)
        p[i] /= s;
}

/*
 * Poisson and multinomial emissions (vem_hmm_init): k-means of the count vectors by the
 * Gaussian mixture's k-means initialisation (diagonal covariances, on the fit's frames as
 * independent rows), the centres as rates or, normalised, as probabilities; or random
 * (Poisson: Gamma draws with the mean and variance of all counts, as hmmlearn's PoissonHMM;
 * multinomial: Dirichlet(1) rows). Every entry at least 1e-3 of its column's mean, so no
 * rate or probability starts at an absorbing 0 where the data have counts.
 */
static vem_status count_init(vem_hmm *h, vem_fit *f, vem_rng *rng)
{
    const size_t k = h->k, d = h->dim;
    const vem_matrix *x = &vem_fit_data(f)->x;
    double *mean = vem__alloc_doubles(d, 1);
    if (!mean)
        return VEM_FAIL(VEM_ENOMEM, "count initialisation");
    double all = 0.0, all2 = 0.0;
    for (size_t r = 0; r < x->rows; r++)
        for (size_t j = 0; j < d; j++) {
            const double v = x->data[r * x->ld + j];
            mean[j] += v;
            all += v;
            all2 += v * v;
        }
    const double nr = x->rows ? (double)x->rows : 1.0, na = nr * (double)d;
    for (size_t j = 0; j < d; j++)
        mean[j] /= nr;
    vem_status st = VEM_OK;
    if (h->init == VEM_HMM_INIT_RANDOM) {
        const double m = all / na, var = all2 / na - m * m;
        for (size_t i = 0; i < k * d; i++)
            h->emis[i] = m > 0.0 && var > 0.0 ? vem__gamma_draw(rng, m * m / var) * (var / m)
                                              : 1.0;
        if (h->em == VEM_HMM_MULTINOMIAL)
            for (size_t c = 0; c < k; c++)
                vem__dirichlet1(rng, h->emis + c * d, d);
    } else {
        vem_gmm *g = vem_gmm_new(k, d, VEM_COV_DIAG);
        st = g ? vem_gmm_set_init(g, VEM_INIT_KMEANS) : vem__last_status();
        vem_fit_opts o = *vem_fit_options(f);
        o.warm_start = 0;
        o.n_init = 1;
        o.log = NULL;
        o.algorithm = VEM_ALG_BATCH;
        vem_model gm = g ? vem_gmm_model(g) : (vem_model){NULL, NULL};
        vem_data rows = vem_data_rows(*x);
        vem_fit *gf = st == VEM_OK ? vem_fit_new(&gm, &rows, &o) : NULL;
        if (st == VEM_OK && !gf)
            st = vem__last_status();
        if (st == VEM_OK)
            st = gm.ops->init(gm.self, gf, rng);
        if (st == VEM_OK)
            memcpy(h->emis, vem_gmm_means(g), k * d * sizeof *h->emis);
        vem_fit_free(gf);
        vem_gmm_free(g);
    }
    for (size_t c = 0; c < k && st == VEM_OK; c++) {
        double *e = h->emis + c * d, sum = 0.0;
        for (size_t j = 0; j < d; j++)
            sum += (e[j] = fmax(e[j], 1e-3 * mean[j]));
        for (size_t j = 0; h->em == VEM_HMM_MULTINOMIAL && j < d; j++)
            e[j] = sum > 0.0 ? e[j] / sum : 1.0 / (double)d;
    }
    vem__free(mean);
    return st;
}

static vem_status init_all(vem_hmm *h, vem_fit *f, vem_rng *rng);

/*
 * The initialisation of the parameters vem_hmm_set_init_params names; the others keep
 * their values, bit for bit (the draws for them are made and dropped, so a parameter's
 * start does not depend on which others are kept). With none named, nothing is drawn or
 * computed (the k-means of a Gaussian start would be thrown away whole).
 */
static vem_status hmm_init(void *self, vem_fit *f, vem_rng *rng)
{
    vem_hmm *h = self;
    const unsigned keep = params_of(h->em) & ~h->init_params;
    if (!keep)
        return init_all(h, f, rng);
    if (keep == params_of(h->em)) {
        /* Nothing to initialise (hmmlearn's init_params=''): no k-means, no draws. */
        h->max_len = vem__max(h->max_len, vem__hmm_longest(vem_fit_data(f)));
        return VEM_OK;
    }
    const size_t k = h->k, el = h->emis ? k * h->dim : 0;
    size_t gl = 0;
    if (h->bank)
        gl = vem__gmm_exact_len(h->bank);
    for (size_t c = 0; h->banks && c < k; c++)
        gl += vem__gmm_exact_len(h->banks[c]);
    double *save = vem__alloc_doubles(k + k * k + el + gl + 1, 1);
    if (!save)
        return VEM_FAIL(VEM_ENOMEM, "HMM initialisation");
    double *g0 = save + k + k * k + el;
    hmm_state_get(h, save); /* start, transitions, table, then every Gaussian exactly */
    vem_status st = init_all(h, f, rng);
    if (st == VEM_OK) {
        if (keep & PARAM_S)
            memcpy(h->startprob, save, k * sizeof *save);
        if (keep & PARAM_T)
            memcpy(h->transmat, save + k, k * k * sizeof *save);
        if (keep & (PARAM_E | PARAM_L))
            memcpy(h->emis, save + k + k * k, el * sizeof *save);
        if (h->banks && (keep & PARAM_M)) {
            for (size_t c = 0; c < k; c++) {
                vem__gmm_exact_set(h->banks[c], g0);
                g0 += vem__gmm_exact_len(h->banks[c]);
            }
        } else if (h->bank && (keep & (PARAM_M | PARAM_C))) {
            /* The kept part from the saved bank, the other from the initialisation. */
            vem_gmm *old = vem_gmm_copy(h->bank);
            double *w = vem__alloc_doubles(k, 1);
            if (!old || !w) {
                st = VEM_FAIL(VEM_ENOMEM, "HMM initialisation");
            } else {
                vem__gmm_exact_set(old, g0);
                for (size_t c = 0; c < k; c++)
                    w[c] = 1.0 / (double)k;
                st = vem_gmm_set_params(h->bank, w,
                                        vem_gmm_means(keep & PARAM_M ? old : h->bank),
                                        vem_gmm_covariances(keep & PARAM_C ? old : h->bank));
                if (st == VEM_OK && (keep & PARAM_M) && (keep & PARAM_C))
                    vem__gmm_exact_set(h->bank, g0);
            }
            vem_gmm_free(old);
            vem__free(w);
        }
    }
    vem__free(save);
    return st;
}

static vem_status init_all(vem_hmm *h, vem_fit *f, vem_rng *rng)
{
    const vem_data *x = vem_fit_data(f);
    const size_t k = h->k;
    /* Never below what the fit set from all its data: a source's sample may be shorter,
     * and the chunking of the forward-backward passes follows max_len. */
    h->max_len = vem__max(h->max_len, vem__hmm_longest(x));
    if (h->tinit == VEM_HMM_TRANS_RANDOM) {
        vem__dirichlet1(rng, h->startprob, k);
        for (size_t i = 0; i < k; i++)
            vem__dirichlet1(rng, h->transmat + i * k, k);
    } else if (h->tinit == VEM_HMM_TRANS_UNIFORM) {
        for (size_t i = 0; i < k; i++)
            h->startprob[i] = 1.0 / (double)k;
        for (size_t i = 0; i < k * k; i++)
            h->transmat[i] = 1.0 / (double)k;
    }
    if (h->em == VEM_HMM_CATEGORICAL) {
        for (size_t i = 0; i < k; i++)
            vem__dirichlet1(rng, h->emis + i * h->dim, h->dim);
        return VEM_OK;
    }
    if (counts_em(h->em))
        return count_init(h, f, rng);
    if (h->banks)
        return mixture_init(h, f, rng);
    /* Gaussian: the mixture's initialisation on the frames as independent rows. It
     * needs an engine over rows, not sequences, hence its own fit object. */
    vem_status st = vem_gmm_set_init(h->bank, h->init == VEM_HMM_INIT_KMEANS ? VEM_INIT_KMEANS
                                                                             : VEM_INIT_RANDOM);
    if (st != VEM_OK)
        return st;
    vem_fit_opts o = *vem_fit_options(f);
    o.warm_start = 0;
    o.n_init = 1;
    o.log = NULL;
    vem_model gm = vem_gmm_model(h->bank);
    vem_data rows = vem_data_rows(x->x);
    vem_fit *g = vem_fit_new(&gm, &rows, &o);
    if (!g)
        return vem__last_status();
    st = gm.ops->init(gm.self, g, rng);
    vem_fit_free(g);
    return st;
}

/* ------------------------------------------------- Monte-Carlo E-step */

/*
 * Buffers of the Monte-Carlo E-step for sequences of at most T frames (one
 * allocation per call: the scratch the engine hands out is sized for the exact
 * E-step, whose chunks hold no per-draw state).
 */
typedef struct mc_buf {
    double *b, *m, *cs, *alpha; /* T x k, T, T, T x k: the scaled forward pass */
    double *w;                  /* T x k: a group's averaged one-hot state weights */
    double *cp;                 /* mixtures: k x T x n_mix, p(component | x_t, state) */
    double *cw;                 /* mixtures: k x T x n_mix, averaged component counts */
    double *vec;                /* 4 k */
    double *tw;                 /* thread_work_len(h) */
    double *gw;                 /* the Gaussian kernels' work for BLOCK rows */
    uint32_t *bp;               /* CEM: T x k back pointers */
    uint32_t *best;             /* CEM, mixtures: T x k most probable component */
    double *all;
} mc_buf;

static void mc_buf_free(mc_buf *mb)
{
    vem__free(mb->all);
    vem__free(mb->bp);
    vem__free(mb->best);
}

static vem_status mc_buf_alloc(const vem_hmm *h, size_t T, int viterbi, mc_buf *mb)
{
    const size_t k = h->k, mm = h->banks ? h->n_mix : 0;
    const vem_gmm *g = h->bank ? h->bank : h->banks ? h->banks[0] : NULL;
    const size_t gwl = g ? vem__gmm_scratch_len(g, BLOCK) + 2 * BLOCK * mm + mm : 0;
    const double need = (double)T * (3.0 * (double)k + 2.0 + 2.0 * (double)k * (double)mm) +
                        4.0 * (double)k + (double)thread_work_len(h) + (double)gwl;
    memset(mb, 0, sizeof *mb);
    if (need > (double)SIZE_MAX / 16.0)
        return VEM_FAIL(VEM_ENOMEM, "Monte-Carlo E-step buffers for %zu frames", T);
    mb->all = vem__alloc_doubles((size_t)need + 1, 1);
    if (viterbi) {
        mb->bp = vem__calloc(T * k + 1, sizeof *mb->bp);
        mb->best = vem__calloc(T * k + 1, sizeof *mb->best);
    }
    if (!mb->all || (viterbi && (!mb->bp || !mb->best))) {
        mc_buf_free(mb);
        return VEM_FAIL(VEM_ENOMEM, "Monte-Carlo E-step buffers for %zu frames", T);
    }
    mb->b = mb->all;
    mb->m = mb->b + T * k;
    mb->cs = mb->m + T;
    mb->alpha = mb->cs + T;
    mb->w = mb->alpha + T * k;
    mb->cp = mb->w + T * k;
    mb->cw = mb->cp + T * k * mm;
    mb->vec = mb->cw + T * k * mm;
    mb->tw = mb->vec + 4 * k;
    mb->gw = mb->tw + thread_work_len(h);
    return VEM_OK;
}

/* Index drawn from the (unnormalised, total sum > 0) weights p[0..n) by one uniform. */
static size_t mc_pick(vem_rng *rng, const double *p, size_t n, double sum)
{
    const double u = vem_rng_uniform(rng) * sum;
    double acc = 0.0;
    size_t last = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(p[i] > 0.0))
            continue;
        last = i;
        acc += p[i];
        if (u < acc)
            return i;
    }
    return last; /* rounding: the last state of positive weight */
}

/*
 * Mixture emissions: for state c, frames [0, T) of x, cp (T x n_mix) receives
 * p(component | x_t, c), or (lmax non-NULL, CEM) best/lmax the most probable
 * component and max_q log(w_q N(x_t | c, q)) (row t, column c of a T x k array).
 */
static void mc_components(const vem_hmm *h, const double *x, size_t ld, size_t T, size_t c,
                          double *cp, uint32_t *best, double *lmax, double *gw)
{
    const size_t k = h->k, mm = h->n_mix;
    double *lw = gw, *lpm = lw + mm, *kw = lpm + BLOCK * mm;
    const double *w = vem_gmm_weights(h->banks[c]);
    for (size_t q = 0; q < mm; q++)
        lw[q] = log(w[q]);
    for (size_t t0 = 0; t0 < T; t0 += BLOCK) {
        const size_t n = vem__min(BLOCK, T - t0);
        vem__gmm_log_gauss(h->banks[c], x + t0 * ld, ld, n, lpm, kw);
        for (size_t t = 0; t < n; t++) {
            const double *r = lpm + t * mm;
            double mx = -INFINITY, sum = 0.0;
            size_t arg = 0;
            for (size_t q = 0; q < mm; q++)
                if (r[q] + lw[q] > mx) {
                    mx = r[q] + lw[q];
                    arg = q;
                }
            if (lmax) {
                best[(t0 + t) * k + c] = (uint32_t)arg;
                lmax[(t0 + t) * k + c] = mx;
                continue;
            }
            double *o = cp + (t0 + t) * mm;
            if (mx == -INFINITY) {
                for (size_t q = 0; q < mm; q++)
                    o[q] = 0.0;
                continue;
            }
            for (size_t q = 0; q < mm; q++) {
                o[q] = exp(r[q] + lw[q] - mx);
                sum += o[q];
            }
            for (size_t q = 0; q < mm; q++)
                o[q] /= sum;
        }
    }
}

/*
 * Emission statistics of one group's averaged one-hot weights: w (T x k) for
 * Gaussian and count emissions, cw (k x T x n_mix) for mixtures (categorical
 * counts are added as they are drawn).
 */
static void mc_emission_ess(const vem_hmm *h, const double *x, size_t ld, size_t T,
                            const mc_buf *mb, double *ess)
{
    const size_t k = h->k, mm = h->n_mix;
    for (size_t t0 = 0; t0 < T; t0 += BLOCK) {
        const size_t n = vem__min(BLOCK, T - t0);
        if (h->bank) {
            vem__gmm_accumulate(h->bank, x + t0 * ld, ld, n, mb->w + t0 * k, ess, mb->gw);
        } else if (counts_em(h->em)) {
            count_accumulate(h, x + t0 * ld, ld, n, mb->w + t0 * k, ess);
        } else if (h->banks) {
            const size_t el = vem__gmm_ess_len(h->banks[0]);
            for (size_t c = 0; c < k; c++)
                vem__gmm_accumulate(h->banks[c], x + t0 * ld, ld, n,
                                    mb->cw + (c * T + t0) * mm, ess + c * el, mb->gw);
        }
    }
}

/*
 * One sequence (frames x[0..T), ld) of the Monte-Carlo E-step, unit u of mc.
 * Draws: the scaled forward pass (as run_chunk's), then per group m / G state
 * paths drawn backwards, z_{T-1} ~ alpha_{T-1}, z_t ~ alpha_t(i) A(i, z_{t+1})
 * (forward filtering, backward sampling; Chib 1996, Scott 2002), and for
 * mixture emissions each frame's component given its state; returns log p(x).
 * CEM (samples 0): the Viterbi path, components included (the most probable
 * (path, components) jointly), and returns its log joint probability.
 */
static double mc_sequence(const vem_hmm *h, const double *x, size_t ld, size_t T, size_t u,
                          double *ess, const vem_mc_draw *mc, mc_buf *mb)
{
    const size_t k = h->k, kk = k * k, mm = h->n_mix, len = hmm_ess_len(h);
    const double *A = h->transmat;
    if (mc->samples == 0) {
        /* Viterbi in log space on log p(x_t | state) (mixtures: max over components). */
        double *lb = mb->b, *delta = mb->vec, *nd = delta + k;
        for (size_t t0 = 0; t0 < T; t0 += BLOCK)
            if (!h->banks)
                emission_logp(h, x + t0 * ld, ld, vem__min(BLOCK, T - t0), lb + t0 * k,
                              mb->tw + 2 * k + BLOCK);
        if (h->banks)
            for (size_t c = 0; c < k; c++)
                mc_components(h, x, ld, T, c, NULL, mb->best, lb, mb->gw);
        for (size_t j = 0; j < k; j++)
            delta[j] = log(h->startprob[j]) + lb[j];
        for (size_t t = 1; t < T; t++) {
            for (size_t j = 0; j < k; j++) {
                double best = -INFINITY;
                uint32_t arg = 0;
                for (size_t i = 0; i < k; i++) {
                    double v = delta[i] + log(A[i * k + j]);
                    if (v > best) {
                        best = v;
                        arg = (uint32_t)i;
                    }
                }
                nd[j] = best + lb[t * k + j];
                mb->bp[t * k + j] = arg;
            }
            memcpy(delta, nd, k * sizeof *delta);
        }
        size_t z = 0;
        for (size_t j = 1; j < k; j++)
            if (delta[j] > delta[z])
                z = j;
        const double obj = delta[z];
        if (!(obj > -INFINITY))
            return -INFINITY; /* probability zero (or NaN): no statistics */
        memset(mb->w, 0, T * k * sizeof *mb->w);
        if (h->banks)
            memset(mb->cw, 0, T * k * mm * sizeof *mb->cw);
        for (size_t t = T; t-- > 0;) {
            if (h->em == VEM_HMM_CATEGORICAL)
                ess[k + kk + z * h->dim + (size_t)x[t * ld]] += 1.0;
            else if (h->banks)
                mb->cw[(z * T + t) * mm + mb->best[t * k + z]] = 1.0;
            else
                mb->w[t * k + z] = 1.0;
            if (t > 0) {
                const size_t zp = mb->bp[t * k + z];
                ess[k + zp * k + z] += 1.0;
                z = zp;
            }
        }
        ess[z] += 1.0;
        mc_emission_ess(h, x, ld, T, mb, ess + k + kk);
        return obj;
    }

    /* The forward pass. */
    double *b = mb->b, *alpha = mb->alpha, *cs = mb->cs, *vec = mb->vec;
    for (size_t t0 = 0; t0 < T; t0 += BLOCK)
        emission_scaled(h, x + t0 * ld, ld, vem__min(BLOCK, T - t0), b + t0 * k, mb->m + t0,
                        mb->tw + 2 * k + BLOCK);
    if (forward_pass(h, x, ld, mb->tw, NULL, k, A, h->startprob, 0, T, b, mb->m, alpha, cs, vec))
        return -INFINITY;
    double ll = 0.0;
    for (size_t s = 0; s < T; s++)
        ll += log(cs[s]) + mb->m[s];
    if (h->banks)
        for (size_t c = 0; c < k; c++)
            mc_components(h, x, ld, T, c, mb->cp + c * T * mm, NULL, NULL, mb->gw);

    /* Backward sampling, group by group. */
    const size_t per = mc->samples / mc->groups;
    const double inv = 1.0 / (double)per;
    double *p = vec + 2 * k;
    for (size_t g = 0; g < mc->groups; g++) {
        double *eg = ess + g * len;
        vem_rng rng;
        vem_mc_unit_rng(mc, u, g, &rng);
        if (h->em != VEM_HMM_CATEGORICAL && !h->banks)
            memset(mb->w, 0, T * k * sizeof *mb->w);
        if (h->banks)
            memset(mb->cw, 0, T * k * mm * sizeof *mb->cw);
        for (size_t j = 0; j < per; j++) {
            size_t z = mc_pick(&rng, alpha + (T - 1) * k, k, 1.0);
            for (size_t s = T; s-- > 0;) {
                if (h->em == VEM_HMM_CATEGORICAL) {
                    eg[k + kk + z * h->dim + (size_t)x[s * ld]] += inv;
                } else if (h->banks) {
                    const double *pc = mb->cp + (z * T + s) * mm;
                    mb->cw[(z * T + s) * mm + mc_pick(&rng, pc, mm, 1.0)] += inv;
                } else {
                    mb->w[s * k + z] += inv;
                }
                if (s == 0)
                    break;
                const double *as = alpha + (s - 1) * k;
                double sum = 0.0;
                for (size_t i = 0; i < k; i++) {
                    p[i] = as[i] * A[i * k + z];
                    sum += p[i];
                }
                const size_t zp = mc_pick(&rng, p, k, sum);
                eg[k + zp * k + z] += inv;
                z = zp;
            }
            eg[z] += inv;
        }
        mc_emission_ess(h, x, ld, T, mb, eg + k + kk);
    }
    return ll;
}

/*
 * The Monte-Carlo E-step (model.h, estep_mc; docs/mcem.md, "Hidden Markov models"):
 * sequence by sequence, unit u drawing from vem_mc_unit_rng(mc, u, g, ...) alone, so
 * that the draws do not depend on slots or threads.
 */
static double hmm_estep_mc(const void *self, const vem_data *x, size_t u0, size_t u1,
                           double *ess, double *scratch, const vem_mc_draw *mc)
{
    const vem_hmm *h = self;
    (void)scratch;
    size_t T = 0;
    for (size_t s = u0; s < u1; s++)
        T = vem__max(T, vem__hmm_seq_hi(x, s) - vem__hmm_seq_lo(x, s));
    if (T == 0)
        return 0.0;
    mc_buf mb;
    if (mc_buf_alloc(h, T, mc->samples == 0, &mb) != VEM_OK)
        return NAN; /* the engine stops on a NaN objective (this thread has the message) */
    double obj = 0.0; /* the engine holds BLAS to one thread around its passes */
    for (size_t s = u0; s < u1; s++) {
        const size_t lo = vem__hmm_seq_lo(x, s), n = vem__hmm_seq_hi(x, s) - lo;
        if (n)
            obj += mc_sequence(h, x->x.data + lo * x->x.ld, x->x.ld, n, s, ess, mc, &mb);
    }
    mc_buf_free(&mb);
    return obj;
}

/* ------------------------------------------- gradient (model.h, ess_gradient) */

/*
 * The unconstrained coordinates u (docs/acceleration.md, docs/hmm.md). The probability
 * vectors first: the start probabilities, each transition row, and for categorical
 * emissions each state's symbol row, each as square roots, p_j = s_j^2 / sum_l s_l^2
 * (s_j = sqrt(p_j) at uparams_get). Not log-probabilities under a softmax: an HMM's
 * maximum likelihood often lies on the boundary (a single sequence's start probabilities
 * tend to a vertex, transitions that never occur to 0), and there a softmax's coordinate
 * runs off to -infinity with a gradient n_j - N p_j that vanishes with p_j: L-BFGS crept
 * towards it and stopped 2e-8 nats per frame short on Old Faithful. With square roots a
 * boundary optimum is s_j = 0, an ordinary stationary point (curvature 2 (n_j / p_j - N) / S,
 * negative there).
 * d/ds_j = 2 s_j (n_j / p_j - N) / S (S = sum_l s_l^2; 0 where p_j = 0), n the row's
 * expected counts (start, transitions or symbols) and N their sum. The map has the sign
 * and scale of s as redundant directions (along which the gradient is 0); the last u set
 * (or got) supplies them, so ess_gradient is at the current probabilities whatever set
 * them. Then Gaussian emissions: the bank's whitened coordinates without its k
 * log-weights (the bank's weights play no part in the HMM): the means as m,
 * mu = mu0 + U0^-T m, the precision Cholesky factors as U = U0 V with log diagonal, about
 * the reference point that uparams_get fixes (src/models/gmm.c, the mixture's maths).
 * Multinomial emissions: each state's category row as square roots, as categorical
 * (the ESS's weighted count sums play the symbol counts' part). Poisson emissions: the
 * rates as square roots, lambda = s^2 (a rate of 0 an ordinary point again), with
 * d/ds = 2 s (S / lambda - N), S the weighted count sum and N the state's occupancy. Not
 * offered for Gaussian-mixture emissions (ugrad_len 0).
 */
static size_t prob_ulen(const vem_hmm *h)
{
    return h->k + h->k * h->k + (h->bank ? 0 : h->k * h->dim);
}

static size_t hmm_ugrad_len(const void *self)
{
    const vem_hmm *h = self;
    const size_t k = h->k;
    if (h->banks || has_prior(h) || h->update != params_of(h->em))
        return 0; /* no gradient of a log posterior, or of a constrained likelihood (yet) */
    if (!h->bank)
        return prob_ulen(h);
    const vem_model gm = vem_gmm_model(h->bank);
    const size_t gl = gm.ops->ugrad_len(gm.self);
    return gl > k ? prob_ulen(h) + gl - k : 0;
}

/* The probability coordinates u (prob_ulen) kept for ess_gradient; VEM_ENOMEM. */
static vem_status keep_prob_u(vem_hmm *h, const double *u)
{
    if (!h->ucur && !(h->ucur = vem__alloc_doubles(prob_ulen(h), 1)))
        return VEM_FAIL(VEM_ENOMEM, "HMM gradient: %zu doubles", prob_ulen(h));
    memcpy(h->ucur, u, prob_ulen(h) * sizeof *u);
    return VEM_OK;
}

/* p (rows x cols) from the square roots s: p_j = s_j^2 / sum_l s_l^2; 0 if a row's sum is
 * not a positive finite number. */
static int sq_rows(double *p, const double *s, size_t rows, size_t cols)
{
    for (size_t r = 0; r < rows; r++) {
        const double *sr = s + r * cols;
        double *pr = p + r * cols, sum = 0.0;
        for (size_t j = 0; j < cols; j++)
            sum += (pr[j] = sr[j] * sr[j]);
        if (!(sum > 0.0) || !isfinite(sum))
            return 0;
        for (size_t j = 0; j < cols; j++)
            pr[j] /= sum;
    }
    return 1;
}

/* grad (rows x cols) = d/ds of sum_j n_j log p_j at the probabilities p, the coordinates
 * s = sign(s0_j) sqrt(p_j S0) (s0 the kept coordinates, S0 their row's sum of squares; s0
 * NULL: sqrt(p_j)): 2 sign_j (n_j / sqrt(p_j) - N sqrt(p_j)) / sqrt(S0). */
static void sq_grad(double *grad, const double *cnt, const double *p, const double *s0,
                    size_t rows, size_t cols)
{
    for (size_t r = 0; r < rows; r++) {
        double n = 0.0, ss = 0.0;
        for (size_t j = 0; j < cols; j++) {
            n += cnt[r * cols + j];
            ss += s0 ? s0[r * cols + j] * s0[r * cols + j] : 0.0;
        }
        const double scale = s0 && ss > 0.0 ? 2.0 / sqrt(ss) : 2.0;
        for (size_t j = 0; j < cols; j++) {
            const double pj = p[r * cols + j], q = sqrt(pj);
            const double g = pj > 0.0 ? scale * (cnt[r * cols + j] / q - n * q) : 0.0;
            grad[r * cols + j] = s0 && s0[r * cols + j] < 0.0 ? -g : g;
        }
    }
}

static vem_status hmm_uparams_get(void *self, double *u)
{
    vem_hmm *h = self;
    const size_t k = h->k, pl = prob_ulen(h);
    for (size_t i = 0; i < k; i++)
        u[i] = sqrt(h->startprob[i]);
    for (size_t i = 0; i < k * k; i++)
        u[k + i] = sqrt(h->transmat[i]);
    for (size_t i = 0; !h->bank && i < k * h->dim; i++)
        u[k + k * k + i] = sqrt(h->emis[i]); /* probabilities or (Poisson) rates */
    vem_status st = keep_prob_u(h, u);
    if (st != VEM_OK || !h->bank)
        return st;
    const vem_model gm = vem_gmm_model(h->bank);
    const size_t gl = gm.ops->ugrad_len(gm.self);
    double *w = vem__alloc_doubles(gl, 1);
    if (!w)
        return VEM_FAIL(VEM_ENOMEM, "HMM gradient: %zu doubles", gl);
    st = gm.ops->uparams_get(gm.self, w);
    if (st == VEM_OK)
        memcpy(u + pl, w + k, (gl - k) * sizeof *u);
    vem__free(w);
    return st;
}

static vem_status hmm_uparams_set(void *self, const double *u)
{
    vem_hmm *h = self;
    const size_t k = h->k, pl = prob_ulen(h);
    const vem_model gm = h->bank ? vem_gmm_model(h->bank) : (vem_model){NULL, NULL};
    const size_t gl = h->bank ? gm.ops->ugrad_len(gm.self) : 0;
    double *w = vem__alloc_doubles(pl + gl, 1);
    if (!w)
        return VEM_FAIL(VEM_ENOMEM, "HMM parameters: %zu doubles", pl + gl);
    double *pi = w, *a = pi + k, *b = a + k * k, *gu = w + pl;
    vem_status st = VEM_OK;
    if (h->em == VEM_HMM_POISSON)
        for (size_t i = 0; i < k * h->dim; i++)
            b[i] = u[k + k * k + i] * u[k + k * k + i];
    if (!sq_rows(pi, u, 1, k) || !sq_rows(a, u + k, k, k) ||
        (!h->bank && h->em != VEM_HMM_POISSON && !sq_rows(b, u + k + k * k, k, h->dim)))
        st = VEM_FAIL(VEM_ENUMERIC, "HMM parameters: a probability row of square roots 0");
    /* Emissions first: a factor that is not positive definite changes nothing. */
    if (st == VEM_OK && h->bank) {
        /* The bank's log-weights 0: its weights 1 / k, as vem_hmm_set_gaussian. */
        memset(gu, 0, k * sizeof *gu);
        memcpy(gu + k, u + pl, (gl - k) * sizeof *gu);
        st = gm.ops->uparams_set(gm.self, gu);
    }
    if (st == VEM_OK)
        st = keep_prob_u(h, u);
    if (st == VEM_OK) {
        if (!h->bank)
            memcpy(h->emis, b, k * h->dim * sizeof *b);
        memcpy(h->startprob, pi, k * sizeof *pi);
        memcpy(h->transmat, a, k * k * sizeof *a);
    }
    vem__free(w);
    return st;
}

static void hmm_ess_gradient(const void *self, const double *ess, double *grad)
{
    const vem_hmm *h = self;
    const size_t k = h->k, pl = prob_ulen(h);
    const double *s0 = h->ucur;
    sq_grad(grad, ess, h->startprob, s0, 1, k);
    sq_grad(grad + k, ess + k, h->transmat, s0 ? s0 + k : NULL, k, k);
    if (h->em == VEM_HMM_POISSON) {
        const size_t d = h->dim;
        const double *sx = ess + k + k * k, *occ = sx + k * d;
        for (size_t i = 0; i < k * d; i++) {
            const double lam = h->emis[i], si = s0 ? s0[k + k * k + i] : sqrt(lam);
            grad[k + k * k + i] = lam > 0.0 ? 2.0 * si * (sx[i] / lam - occ[i / d]) : 0.0;
        }
        return;
    }
    if (!h->bank) {
        sq_grad(grad + k + k * k, ess + k + k * k, h->emis, s0 ? s0 + k + k * k : NULL, k,
                h->dim);
        return;
    }
    const vem_model gm = vem_gmm_model(h->bank);
    const size_t gl = gm.ops->ugrad_len(gm.self);
    double *w = vem__alloc_doubles(gl, 1);
    if (!w) { /* NaN, which the optimiser reports */
        for (size_t i = 0; i < gl - k; i++)
            grad[pl + i] = NAN;
        return;
    }
    gm.ops->ess_gradient(gm.self, ess + k + k * k, w);
    memcpy(grad + pl, w + k, (gl - k) * sizeof *grad);
    vem__free(w);
}

static const vem_model_ops hmm_ops = {
    .name = "hmm",
    .ess_len = hmm_ess_len,
    .scratch_len = hmm_scratch_len,
    .n_units = hmm_n_units,
    .n_obs = hmm_n_obs,
    .estep = hmm_estep,
    .mstep = hmm_mstep,
    .objective_extra = hmm_objective_extra,
    .init = hmm_init,
    .params_len = hmm_params_len,
    .state_len = hmm_state_len,
    .state_get = hmm_state_get,
    .state_set = hmm_state_set,
    .params_get = hmm_params_get,
    .params_set = hmm_params_set,
    .estep_mc = hmm_estep_mc,
    .ugrad_len = hmm_ugrad_len,
    .uparams_get = hmm_uparams_get,
    .uparams_set = hmm_uparams_set,
    .ess_gradient = hmm_ess_gradient,
};

vem_model vem_hmm_model(vem_hmm *h)
{
    vem_model m = {.ops = &hmm_ops, .self = h};
    return m;
}

/* ----------------------------------------------------------- public fit */

static vem_status fit_restoring(vem_hmm *h, const vem_data *data, vem_source *src,
                                const vem_fit_opts *o, vem_rng *rng, vem_fit_result *res);

void vem_hmm_fit_opts_init(vem_fit_opts *o)
{
    vem_fit_opts_init(o);
    o->tol_rule = VEM_TOL_TOTAL;
    o->tol = 1e-7;
    o->max_iter = 1000;
}

vem_status vem_hmm_fit(vem_hmm *h, const vem_matrix *x, const vem_seqs *seqs,
                       const vem_fit_opts *o, vem_rng *rng, vem_fit_result *res)
{
    vem_fit_opts defaults;
    if (!o) {
        vem_hmm_fit_opts_init(&defaults);
        o = &defaults;
    }
    /* With a communicator, x is one process's share: it may be empty. */
    vem_status st = check_data_share(h, x, seqs, o->comm != NULL);
    if (st != VEM_OK)
        return st;
    if (gaussian_em(h->em) && !o->warm_start && !o->comm && x->rows < h->k * h->n_mix)
        return VEM_FAIL(VEM_EINVAL, "%zu frames, fewer than k=%zu states x %zu components",
                        x->rows, h->k, h->n_mix);
    vem_data data = vem_hmm_data(x, seqs);
    h->max_len = vem__hmm_longest(&data);
    return fit_restoring(h, &data, NULL, o, rng, res);
}

/* The engine's fit of h to data or src; on failure h keeps its parameters. */
static vem_status fit_restoring(vem_hmm *h, const vem_data *data, vem_source *src,
                                const vem_fit_opts *o, vem_rng *rng, vem_fit_result *res)
{
    h->nthreads = resolve_threads(o->nthreads);
    vem_model m = vem_hmm_model(h);
    return vem__fit_restoring(&m, data, src, o, rng, res, "vem_hmm_fit", 0);
}

vem_status vem_hmm_fit_source(vem_hmm *h, vem_source *src, const vem_fit_opts *o, vem_rng *rng,
                              vem_fit_result *res)
{
    vem_fit_opts defaults;
    if (!o) {
        vem_hmm_fit_opts_init(&defaults);
        o = &defaults;
    }
    vem_status st = vem__hmm_check_source(h->em, h->dim, src, "vem_hmm_fit_source");
    if (st != VEM_OK)
        return st;
    const size_t rows = vem_source_rows(src);
    if (gaussian_em(h->em) && !o->warm_start && !o->comm && rows < h->k * h->n_mix)
        return VEM_FAIL(VEM_EINVAL, "%zu frames, fewer than k=%zu states x %zu components", rows,
                        h->k, h->n_mix);
    st = vem__hmm_prepare_source(h->em, h->dim, h->n_trials, src, &h->max_len);
    return st == VEM_OK ? fit_restoring(h, NULL, src, o, rng, res) : st;
}

/* ------------------------------------------------------------- scoring */

static size_t zero_len(const void *self)
{
    (void)self;
    return 0;
}

static const vem_model_ops hmm_score_ops = {
    .name = "hmm-score",
    .ess_len = zero_len,
    .scratch_len = hmm_scratch_len,
    .n_units = hmm_n_units,
    .n_obs = hmm_n_obs,
    .estep = hmm_score_estep,
};

static vem_status per_sequence(const vem_hmm *h, const vem_matrix *x, const vem_seqs *seqs,
                               enum fb_mode mode, double *ll_out, double *post);

vem_status vem_hmm_score(const vem_hmm *h, const vem_matrix *x, const vem_seqs *seqs,
                         double *mean, double *total)
{
    vem_status st = check_data(h, x, seqs);
    if (st != VEM_OK)
        return st;
    /* A copy: scratch sizing needs the longest sequence, and h is const. */
    vem_hmm *c = vem_hmm_copy(h);
    if (!c)
        return vem__last_status();
    vem_data data = vem_hmm_data(x, seqs);
    c->max_len = vem__hmm_longest(&data);
    vem_model m = {.ops = &hmm_score_ops, .self = c};
    vem_fit *f = vem_fit_new(&m, &data, NULL);
    if (!f) {
        vem_hmm_free(c);
        return vem__last_status();
    }
    double s = 0.0, unused = 0.0;
    st = vem_fit_pass(f, &m, &unused, &s);
    vem_fit_free(f);
    vem_hmm_free(c);
    if (st != VEM_OK)
        return st;
    if (!isfinite(s)) {
        /* Name the sequence: scored one by one, the first without a finite score fails. */
        size_t ns = vem__hmm_n_seq(&data);
        double *ll = vem__alloc_doubles(ns, 1);
        if (!ll)
            return VEM_FAIL(VEM_ENOMEM, "scoring: %zu sequences", ns);
        st = per_sequence(h, x, seqs, FB_SCORE, ll, NULL);
        double run = 0.0;
        for (size_t q = 0; st == VEM_OK && q < ns; q++) {
            run += ll[q];
            if (!isfinite(run))
                st = VEM_FAIL(VEM_ENUMERIC,
                              ll[q] == -INFINITY
                                  ? "sequence %zu has probability zero under the model"
                                  : "sequence %zu: its log-likelihood is not finite",
                              q + 1);
        }
        vem__free(ll);
        return st != VEM_OK ? st
                            : VEM_FAIL(VEM_ENUMERIC, "the total log-likelihood is not finite (%g)",
                                       s);
    }
    if (mean)
        *mean = s / (double)x->rows;
    if (total)
        *total = s;
    return VEM_OK;
}

/* Run fn-style passes over each sequence serially with a private copy of h. */
static vem_status per_sequence(const vem_hmm *h, const vem_matrix *x, const vem_seqs *seqs,
                               enum fb_mode mode, double *ll_out, double *post)
{
    vem_status st = check_data(h, x, seqs);
    if (st != VEM_OK)
        return st;
    vem_data data = vem_hmm_data(x, seqs);
    size_t len = vem__hmm_longest(&data);
    double *scratch = vem__alloc_doubles(chunk_scratch_len(h, len, h->nthreads), 1);
    if (!scratch)
        return VEM_FAIL(VEM_ENOMEM, "forward-backward scratch for %zu frames", len);
    int token = vem__blas_threads_one();
    for (size_t s = 0; s < vem__hmm_n_seq(&data); s++) {
        size_t one[2] = {vem__hmm_seq_lo(&data, s), vem__hmm_seq_hi(&data, s)};
        double *p = post ? post + one[0] * (mode == FB_FRAMES ? 1 : h->k) : NULL;
        double ll = run_chunk(h, x, one, 1, mode, NULL, p, scratch);
        if (ll_out)
            ll_out[s] = ll;
        if (post && !(ll > -INFINITY)) {
            st = VEM_FAIL(VEM_ENUMERIC, "sequence %zu has probability zero under the model", s + 1);
            break;
        }
    }
    vem__blas_threads_restore(token);
    vem__free(scratch);
    return st;
}

vem_status vem_hmm_score_sequences(const vem_hmm *h, const vem_matrix *x, const vem_seqs *seqs,
                                   double *out)
{
    return per_sequence(h, x, seqs, FB_SCORE, out, NULL);
}

vem_status vem_hmm_score_frames(const vem_hmm *h, const vem_matrix *x, const vem_seqs *seqs,
                                double *out)
{
    return per_sequence(h, x, seqs, FB_FRAMES, NULL, out);
}

vem_status vem_hmm_decode_map(const vem_hmm *h, const vem_matrix *x, const vem_seqs *seqs,
                              size_t *states)
{
    const size_t k = h->k;
    double *post = x && x->rows ? vem__alloc_doubles(x->rows, k) : NULL;
    if (x && x->rows && !post)
        return VEM_FAIL(VEM_ENOMEM, "posterior decoding of %zu frames", x->rows);
    vem_status st = vem_hmm_predict_proba(h, x, seqs, post);
    for (size_t t = 0; st == VEM_OK && t < x->rows; t++) {
        const double *r = post + t * k;
        size_t arg = 0;
        for (size_t c = 1; c < k; c++)
            if (r[c] > r[arg])
                arg = c;
        states[t] = arg;
    }
    vem__free(post);
    return st;
}

vem_status vem_hmm_predict_proba(const vem_hmm *h, const vem_matrix *x, const vem_seqs *seqs,
                                 double *out)
{
    return per_sequence(h, x, seqs, FB_POSTERIOR, NULL, out);
}

/* ------------------------------------------------------------- Viterbi */

vem_status vem_hmm_decode(const vem_hmm *h, const vem_matrix *x, const vem_seqs *seqs,
                          size_t *states, double *log_prob)
{
    vem_status st = check_data(h, x, seqs);
    if (st != VEM_OK)
        return st;
    const size_t k = h->k;
    vem_data data = vem_hmm_data(x, seqs);
    size_t len = vem__hmm_longest(&data);
    double *lb = vem__alloc_doubles(len, k);         /* log emission densities */
    uint32_t *bp = vem__calloc(len * k, sizeof *bp); /* back pointers */
    double *la = vem__alloc_doubles(k * k + 3 * k, 1);
    double *work = vem__alloc_doubles(thread_work_len(h), 1);
    if (!lb || !bp || !la || !work) {
        st = VEM_FAIL(VEM_ENOMEM, "Viterbi buffers for %zu frames", len);
        goto done;
    }
    double *lpi = la + k * k, *delta = lpi + k, *nd = delta + k;
    for (size_t i = 0; i < k * k; i++)
        la[i] = log(h->transmat[i]);
    for (size_t i = 0; i < k; i++)
        lpi[i] = log(h->startprob[i]);
    int token = vem__blas_threads_one();
    double total = 0.0;
    for (size_t s = 0; s < vem__hmm_n_seq(&data) && st == VEM_OK; s++) {
        const size_t lo = vem__hmm_seq_lo(&data, s), T = vem__hmm_seq_hi(&data, s) - lo;
        for (size_t t0 = 0; t0 < T; t0 += BLOCK)
            emission_logp(h, x->data + (lo + t0) * x->ld, x->ld, vem__min(BLOCK, T - t0),
                          lb + t0 * k, work);
        for (size_t j = 0; j < k; j++)
            delta[j] = lpi[j] + lb[j];
        for (size_t t = 1; t < T; t++) {
            for (size_t j = 0; j < k; j++) {
                double best = -INFINITY;
                uint32_t arg = 0;
                for (size_t i = 0; i < k; i++) {
                    double v = delta[i] + la[i * k + j];
                    if (v > best) {
                        best = v;
                        arg = (uint32_t)i;
                    }
                }
                nd[j] = best + lb[t * k + j];
                bp[t * k + j] = arg;
            }
            memcpy(delta, nd, k * sizeof *delta);
        }
        size_t arg = 0;
        for (size_t j = 1; j < k; j++)
            if (delta[j] > delta[arg])
                arg = j;
        if (!(delta[arg] > -INFINITY) || isnan(delta[arg])) {
            st = VEM_FAIL(VEM_ENUMERIC, "sequence %zu has probability zero under the model",
                          s + 1);
            break;
        }
        total += delta[arg];
        for (size_t t = T; t-- > 0;) {
            states[lo + t] = arg;
            if (t > 0)
                arg = bp[t * k + arg];
        }
    }
    vem__blas_threads_restore(token);
    if (st == VEM_OK && log_prob)
        *log_prob = total;
done:
    vem__free(lb);
    vem__free(bp);
    vem__free(la);
    vem__free(work);
    return st;
}

/* ------------------------------------------------------------- sampling */

static size_t draw(vem_rng *rng, const double *p, size_t n)
{
    double u = vem_rng_uniform(rng), acc = 0.0;
    size_t last = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] > 0.0)
            last = i;
        acc += p[i];
        if (u < acc && p[i] > 0.0)
            return i;
    }
    return last;
}

vem_status vem_hmm_sample(const vem_hmm *h, size_t n, vem_rng *rng, double *out, size_t *states)
{
    return vem_hmm_sample_from(h, n, SIZE_MAX, rng, out, states);
}

vem_status vem_hmm_sample_from(const vem_hmm *h, size_t n, size_t start_state, vem_rng *rng,
                               double *out, size_t *states)
{
    const size_t k = h->k, d = h->dim;
    double *chol = NULL, *z = NULL;
    if (start_state != SIZE_MAX && start_state >= k)
        return VEM_FAIL(VEM_EINVAL, "start state %zu: the model's states are 0 .. %zu",
                        start_state, k - 1);
    if (h->em == VEM_HMM_MULTINOMIAL && h->n_trials == 0)
        return VEM_FAIL(VEM_EINVAL, "sampling multinomial emissions needs the number of trials "
                        "(vem_hmm_set_n_trials)");
    if (h->bank) {
        chol = vem__alloc_doubles(k, d * d);
        z = vem__alloc_doubles(d, 1);
        if (!chol || !z) {
            vem__free(chol);
            vem__free(z);
            return VEM_FAIL(VEM_ENOMEM, "sample");
        }
        const double *cv = vem_gmm_covariances(h->bank);
        for (size_t c = 0; c < k; c++) {
            double *l = chol + c * d * d;
            switch (vem_cov_layout(h->cov)) {
            case VEM_COV_FULL:
                vem__cholesky(d, cv + c * d * d, l);
                break;
            case VEM_COV_TIED:
                vem__cholesky(d, cv, l);
                break;
            case VEM_COV_DIAG:
                for (size_t j = 0; j < d; j++)
                    l[j * d + j] = sqrt(cv[c * d + j]);
                break;
            default: /* spherical */
                for (size_t j = 0; j < d; j++)
                    l[j * d + j] = sqrt(cv[c]);
                break;
            }
        }
    }
    size_t z_prev = 0;
    for (size_t t = 0; t < n; t++) {
        size_t zt = t > 0                      ? draw(rng, h->transmat + z_prev * k, k)
                    : start_state != SIZE_MAX ? start_state
                                              : draw(rng, h->startprob, k);
        if (states)
            states[t] = zt;
        if (h->banks) {
            vem_status st = vem_gmm_sample(h->banks[zt], 1, rng, out + t * d, NULL);
            if (st != VEM_OK) {
                vem__free(chol);
                vem__free(z);
                return st;
            }
        } else if (h->bank) {
            const double *mu = vem_gmm_means(h->bank) + zt * d, *l = chol + zt * d * d;
            for (size_t j = 0; j < d; j++)
                z[j] = vem_rng_normal(rng);
            for (size_t a = 0; a < d; a++) {
                double v = 0.0;
                for (size_t q = 0; q <= a; q++)
                    v += l[a * d + q] * z[q];
                out[t * d + a] = mu[a] + v;
            }
        } else if (h->em == VEM_HMM_POISSON) {
            for (size_t j = 0; j < d; j++)
                out[t * d + j] = vem__poisson_draw(rng, h->emis[zt * d + j]);
        } else if (h->em == VEM_HMM_MULTINOMIAL) {
            double *o = out + t * d;
            memset(o, 0, d * sizeof *o);
            for (size_t i = 0; i < h->n_trials; i++)
                o[draw(rng, h->emis + zt * d, d)] += 1.0;
        } else {
            out[t] = (double)draw(rng, h->emis + zt * d, d);
        }
        z_prev = zt;
    }
    vem__free(chol);
    vem__free(z);
    return VEM_OK;
}

/* ------------------------------------------------------ model selection */

size_t vem_hmm_n_parameters(const vem_hmm *h)
{
    const size_t k = h->k, d = h->dim;
    size_t p = (k - 1) + k * (k - 1);
    if (h->banks)
        return p + k * vem_gmm_n_parameters(h->banks[0]);
    if (h->em == VEM_HMM_POISSON)
        return p + k * d;
    if (!h->bank)
        return p + k * (d - 1);
    /* The bank's count less its k - 1 weights: means and the covariance structure's. */
    return p + vem_gmm_n_parameters(h->bank) - (k - 1);
}

double vem_hmm_bic(const vem_hmm *h, double log_likelihood, size_t n)
{
    return -2.0 * log_likelihood + (double)vem_hmm_n_parameters(h) * log((double)n);
}

double vem_hmm_aic(const vem_hmm *h, double log_likelihood)
{
    return -2.0 * log_likelihood + 2.0 * (double)vem_hmm_n_parameters(h);
}
