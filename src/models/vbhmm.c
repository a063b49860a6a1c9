/*
 * src/models/vbhmm.c — hidden Markov models by variational Bayes (MacKay 1997; Beal 2003,
 * ch. 3; McGrory & Titterington 2009), on the engine.
 *
 * The E-step of one sequence: the emission log-weights
 *     ln b~_tk = E_q[ln p(x_t | theta_k)]
 * (Gaussian: 1/2 E ln|Lambda_k| - d/2 ln 2 pi - 1/2 (d / beta_k + nu_k (x - m_k)^T W_k
 * (x - m_k)), Bishop PRML eq. 10.64-10.65, tied with the one W and nu; spherical:
 * d/2 E ln lambda_k with the weight nu_k / s_k; categorical: psi(b_kx) - psi(sum_m b_km);
 * Poisson: sum_j x_j (psi(a_kj) - ln r_kj) - a_kj / r_kj - ln x_j!), then the HMM's
 * scaled forward-backward (vem__hmm_posteriors, src/models/hmm_internal.h) on
 * pi~ = exp E[ln pi] and A~ = exp E[ln A]. It returns ln Z, the log normaliser of the
 * optimal q(Z), which is E_q[ln p(X, Z | theta)] - E_q[ln q(Z)]; the posteriors gamma_t and
 * the expected transitions give the ESS. objective_extra adds the -KL of the global
 * factors, so the engine's objective is the ELBO with every constant (Beal 2003, eq.
 * 3.79). The update sets every factor to prior + ESS (Beal 2003, eqs. 3.54-3.57; PRML
 * eqs. 10.58-10.63 for the Normal-Wishart factors, written about the fixed centre
 * c = m0 as src/models/vbgmm.c does).
 *
 * Parameters for the engine (params_get/set): [startprob posterior K][transmat posterior
 * K x K][emissions: Gaussian beta K, nu K (tied: 1), means K x d, W^-1 K x pl (tied: one
 * d x d; spherical: the scale s_k, pl = 1); categorical K x M;
 * Poisson shapes K x d, rates K x d]. Everything else derives from them, so restarts and
 * checkpoints need no other state.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include <vem/fit.h>
#include <vem/io.h>
#include <vem/vbhmm.h>

#include "internal.h"
#include "linalg/linalg.h"
#include "linalg/special.h"
#include "models/conjugate.h"
#include "models/fitutil.h"
#include "models/gmm_internal.h"
#include "models/hmm_internal.h"
#include "models/kmeans.h"

#define LOG_2PI 1.8378770664093454836
#define MAX_DIM 100000
/* A long window's emission passes run over blocks of EBLOCK frames (in parallel when the
 * E-step is not inside the engine's threads), its statistics summed in NPART parts fixed
 * by the frame count, so that the bits do not depend on the thread count. */
#define EBLOCK 2048
#define NPART 8

/* What the E-step does: the variational posteriors, or the responsibilities of an
 * initialisation (hard k-means labels, random, uniform). */
enum mode { MODE_POSTERIOR = 0, MODE_NEAREST, MODE_RANDOM, MODE_UNIFORM };

struct vem_vbhmm {
    size_t k, dim;
    vem_hmm_emission em;
    vem_cov cov;
    size_t pl;      /* Gaussian: doubles of one scale matrix (d*d, d, spherical 1); else 0 */
    size_t elen;    /* doubles of the emission posterior */
    size_t max_len; /* longest sequence of the data being fitted: sizes the scratch */
    int nthreads;   /* threads of a long window's emission passes (the fit's; >= 1) */
    vem_hmm_init init;
    vem_hmm_trans_init tinit;

    /* Priors. */
    double *pi0, *a0; /* k, k x k */
    double *b0;       /* categorical: k x M */
    double *m0;       /* Gaussian: d */
    int m0_user, m0_known;
    double beta0, nu0; /* nu0 NAN: d */
    double *s0;        /* Gaussian W0^-1: pl */
    double logdet_s0;  /* ln|W0^-1| */
    double shape0;     /* Poisson a0 (NAN: 1) */
    double *r0;        /* Poisson: d */
    int r0_user, r0_known;
    int priors_shared; /* during a fit: resolved from all the data already */

    /* The posterior, one array: [pi k][A k x k][emissions elen]. */
    double *post;
    double *pi_q, *a_q, *e_q;

    /* Derived from the posterior (derive()). */
    double *pi_t, *a_t;       /* exp E[ln pi], exp E[ln A] */
    double *elnpi, *elna;     /* E[ln pi], E[ln A] */
    double *pi_mean, *a_mean; /* E[pi], E[A] */
    double *occ;              /* k: expected occupancies */
    /* Gaussian, per scale (k of them; tied: 1): */
    double *linv;             /* full, tied: d x d, L_k^-1 with W_k^-1 = L_k L_k^T */
    double *wmat;             /* pl, W_k (spherical: 1 / s_k) */
    double *logdet_w;         /* ln|W_k| (spherical: -ln s_k) */
    double *cst;              /* Gaussian: k, the emission log-weight's constant */
    double *covs;             /* per scale: pl, W_k^-1 / nu_k */
    double *eln;              /* categorical k x M E[ln B]; Poisson k x d E[ln lambda] */
    double *emean;            /* categorical k x M E[B]; Poisson k x d E[lambda] */
    double *esum;             /* Poisson: k, sum_j E[lambda_kj] */
    double *work;             /* an update's new posterior and factorisation work */

    char **columns, **symbols;
    char *symbol_column;

    /* Foti et al.'s (2014) buffered subsequences (vem_vbhmm_set_subsequences): units are
     * chunks of sub_len frames, each E-step window widened by sub_buf frames a side, and
     * the forward pass of a window that starts inside a sequence starts from stat, the
     * stationary distribution of E[A] ((k + 1) x k: the distribution, then solver work). */
    size_t sub_len, sub_buf;
    double *stat;
    const vem_data *sub_whole; /* during a fit: the whole sequences */
    size_t *sub_seq;           /* during a fit: the sequence of each chunk */
    const size_t *sub_starts;  /* during a fit: the chunks' first rows (the units' starts of
                                  the fit's data; other data, e.g. a distributed fit's
                                  initialisation sample, has whole sequences) */

    int moves;        /* delete and merge moves after VB-EM (vem_vbhmm_set_moves) */
    size_t n_moves;   /* moves accepted by the last fit */

    enum mode mode;
    const double *mode_centers;
    uint64_t mode_seed;
};

/* E[ln p] and E[p] of Dirichlet rows (rows x cols). */
static void dirichlet_moments(const double *q, size_t rows, size_t cols, double *eln,
                              double *mean)
{
    for (size_t i = 0; i < rows; i++)
        vem__dirichlet_moments(q + i * cols, 1, cols, eln + i * cols, mean + i * cols);
}

/* ---------------------------------------------------------------- lifetime */

static int is_gauss(const vem_vbhmm *v)
{
    return v->em == VEM_HMM_GAUSSIAN;
}

static int is_full(const vem_vbhmm *v)
{
    return v->em == VEM_HMM_GAUSSIAN && v->cov == VEM_COV_FULL;
}

static int is_tied(const vem_vbhmm *v)
{
    return v->em == VEM_HMM_GAUSSIAN && v->cov == VEM_COV_TIED;
}

static int is_sph(const vem_vbhmm *v)
{
    return v->em == VEM_HMM_GAUSSIAN && v->cov == VEM_COV_SPHERICAL;
}

/* Gaussian scale matrices that are d x d (full, tied). */
static int is_mat(const vem_vbhmm *v)
{
    return is_full(v) || is_tied(v);
}

/* Gaussian: the Wishart (Gamma) factors, each with its nu and scale: one per state, or one
 * shared by the states (tied). */
static size_t n_scales(const vem_vbhmm *v)
{
    return is_tied(v) ? 1 : v->k;
}

/* Where entry (j, j) of a scale sits in its pl doubles (spherical: the one number). */
static size_t diag_at(const vem_vbhmm *v, size_t j)
{
    return is_mat(v) ? j * v->dim + j : is_sph(v) ? 0 : j;
}

void vem_vbhmm_free(vem_vbhmm *v)
{
    if (!v)
        return;
    double *arrays[] = {v->pi0,     v->a0,     v->b0,       v->m0,      v->s0,   v->r0,
                        v->post,    v->pi_t,   v->a_t,      v->elnpi,   v->elna, v->pi_mean,
                        v->a_mean,  v->occ,    v->linv,     v->wmat,    v->logdet_w,
                        v->cst,     v->covs,   v->eln,      v->emean,   v->esum, v->work};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
        vem__free(arrays[i]);
    vem__free(v->stat);
    vem__strings_free(v->columns, v->dim);
    vem__strings_free(v->symbols, v->dim);
    vem__free(v->symbol_column);
    vem__free(v);
}

static vem_status derive(vem_vbhmm *v);
static void stationary(size_t k, const double *A, double *p, double *m);
static vem_status elbo_pass(vem_vbhmm *v, const vem_data *data, const vem_fit_opts *o,
                            double *elbo);

/* Default Dirichlet priors 1/K (start, transitions) and 1/M (emissions). */
static void default_dirichlet(double *p, size_t n, size_t of)
{
    for (size_t i = 0; i < n; i++)
        p[i] = 1.0 / (double)of;
}

/* Default scale prior 1e-3 I (hmmlearn's). */
static void default_scale(vem_vbhmm *v)
{
    const size_t d = v->dim;
    memset(v->s0, 0, v->pl * sizeof *v->s0);
    for (size_t j = 0; j < d; j++)
        v->s0[diag_at(v, j)] = 1e-3;
    v->logdet_s0 = (is_sph(v) ? 1.0 : (double)d) * log(1e-3);
}

vem_vbhmm *vem_vbhmm_new(size_t k, vem_hmm_emission emission, size_t dim, vem_cov cov)
{
    if (k == 0 || dim == 0 || k > MAX_DIM || dim > MAX_DIM) {
        VEM_FAIL(VEM_EINVAL, "vem_vbhmm_new: k=%zu and dim=%zu must be in [1, %d]", k, dim,
                 MAX_DIM);
        return NULL;
    }
    if (emission != VEM_HMM_GAUSSIAN && emission != VEM_HMM_CATEGORICAL &&
        emission != VEM_HMM_POISSON) {
        const char *n = vem_hmm_emission_name(emission);
        VEM_FAIL(n ? VEM_EUNSUP : VEM_EINVAL,
                 "vem_vbhmm_new: emission '%s' is not supported (gaussian, categorical, "
                 "poisson)", n ? n : "invalid");
        return NULL;
    }
    if (emission == VEM_HMM_GAUSSIAN && cov != VEM_COV_FULL && cov != VEM_COV_DIAG &&
        cov != VEM_COV_SPHERICAL && cov != VEM_COV_TIED) {
        VEM_FAIL(vem_cov_name(cov) ? VEM_EUNSUP : VEM_EINVAL,
                 "vem_vbhmm_new: covariance '%s' is not supported (full, diag, spherical, tied)",
                 vem_cov_name(cov) ? vem_cov_name(cov) : "invalid");
        return NULL;
    }
    const size_t d = dim;
    const int gauss = emission == VEM_HMM_GAUSSIAN;
    const int full = gauss && (cov == VEM_COV_FULL || cov == VEM_COV_TIED);
    /* Doubles of one scale (d x d, d, or one number) and the scales (tied: one). */
    const size_t pl = gauss ? (full ? d * d : cov == VEM_COV_SPHERICAL ? 1 : d) : 0;
    const size_t ns = gauss && cov == VEM_COV_TIED ? 1 : k;
    const size_t elen = gauss ? k + ns + k * d + ns * pl : emission == VEM_HMM_CATEGORICAL
                                                               ? k * d
                                                               : 2 * k * d;
    {
        char what[128];
        snprintf(what, sizeof what, "a VB hidden Markov model of %zu states in %zu dimensions", k,
                 d);
        double doubles = 8.0 * (double)k * (double)k + 6.0 * (double)elen + 4.0 * (double)pl;
        if (vem__check_memory(what, doubles * sizeof(double)) != VEM_OK)
            return NULL;
    }
    vem_vbhmm *v = vem__calloc(1, sizeof *v);
    if (!v)
        goto oom;
    v->k = k;
    v->dim = d;
    v->em = emission;
    v->cov = gauss ? cov : VEM_COV_FULL;
    v->pl = pl;
    v->elen = elen;
    v->init = emission == VEM_HMM_CATEGORICAL ? VEM_HMM_INIT_RANDOM : VEM_HMM_INIT_KMEANS;
    v->tinit = VEM_HMM_TRANS_UNIFORM;
    v->beta0 = 1.0;
    v->nu0 = NAN;
#ifdef _OPENMP
    v->nthreads = omp_get_max_threads();
#else
    v->nthreads = 1;
#endif
    v->shape0 = NAN;
    const size_t kk = k * k;
    v->pi0 = vem__alloc_doubles(k, 1);
    v->a0 = vem__alloc_doubles(kk, 1);
    v->post = vem__alloc_doubles(k + kk + elen, 1);
    v->pi_t = vem__alloc_doubles(k, 1);
    v->a_t = vem__alloc_doubles(kk, 1);
    v->elnpi = vem__alloc_doubles(k, 1);
    v->elna = vem__alloc_doubles(kk, 1);
    v->pi_mean = vem__alloc_doubles(k, 1);
    v->a_mean = vem__alloc_doubles(kk, 1);
    v->occ = vem__alloc_doubles(k, 1);
    /* An update's new posterior, then factorisation work (3 d*d). */
    v->work = vem__alloc_doubles(k + kk + elen + 3 * (gauss ? d * d : 1) + k, 1);
    if (!v->pi0 || !v->a0 || !v->post || !v->pi_t || !v->a_t || !v->elnpi || !v->elna ||
        !v->pi_mean || !v->a_mean || !v->occ || !v->work)
        goto oom;
    if (gauss) {
        v->m0 = vem__alloc_doubles(d, 1);
        v->s0 = vem__alloc_doubles(pl, 1);
        v->linv = vem__alloc_doubles(full ? ns * d * d : 1, 1);
        v->wmat = vem__alloc_doubles(k, pl);
        v->logdet_w = vem__alloc_doubles(k, 1);
        v->cst = vem__alloc_doubles(k, 1);
        v->covs = vem__alloc_doubles(k, pl);
        if (!v->m0 || !v->s0 || !v->linv || !v->wmat || !v->logdet_w || !v->cst || !v->covs)
            goto oom;
    } else {
        v->eln = vem__alloc_doubles(k, d);
        v->emean = vem__alloc_doubles(k, d);
        v->b0 = emission == VEM_HMM_CATEGORICAL ? vem__alloc_doubles(k, d) : NULL;
        v->r0 = emission == VEM_HMM_POISSON ? vem__alloc_doubles(d, 1) : NULL;
        v->esum = emission == VEM_HMM_POISSON ? vem__alloc_doubles(k, 1) : NULL;
        if (!v->eln || !v->emean || (emission == VEM_HMM_CATEGORICAL && !v->b0) ||
            (emission == VEM_HMM_POISSON && (!v->r0 || !v->esum)))
            goto oom;
    }
    v->pi_q = v->post;
    v->a_q = v->post + k;
    v->e_q = v->post + k + kk;
    default_dirichlet(v->pi0, k, k);
    default_dirichlet(v->a0, kk, k);
    if (v->b0)
        default_dirichlet(v->b0, k * d, d);
    if (gauss)
        default_scale(v);
    for (size_t j = 0; v->r0 && j < d; j++)
        v->r0[j] = 1.0;
    /* A proper posterior to start from. */
    for (size_t i = 0; i < k + kk; i++)
        v->post[i] = 1.0;
    if (gauss) {
        double *beta = v->e_q, *nu = beta + k, *sq = nu + ns + k * d;
        for (size_t c = 0; c < k; c++)
            beta[c] = 1.0;
        for (size_t c = 0; c < ns; c++) {
            nu[c] = (double)d;
            for (size_t j = 0; j < d; j++)
                sq[c * pl + diag_at(v, j)] = 1.0;
        }
    } else {
        for (size_t i = 0; i < elen; i++)
            v->e_q[i] = 1.0;
    }
    if (derive(v) != VEM_OK)
        goto oom;
    return v;
oom:
    vem_vbhmm_free(v);
    VEM_FAIL(VEM_ENOMEM, "vem_vbhmm_new(k=%zu, dim=%zu): out of memory", k, dim);
    return NULL;
}

vem_vbhmm *vem_vbhmm_copy(const vem_vbhmm *v)
{
    vem_vbhmm *c = vem_vbhmm_new(v->k, v->em, v->dim, v->cov);
    if (!c)
        return NULL;
    const size_t k = v->k, kk = k * k, d = v->dim;
    memcpy(c->pi0, v->pi0, k * sizeof *v->pi0);
    memcpy(c->a0, v->a0, kk * sizeof *v->a0);
    if (v->b0)
        memcpy(c->b0, v->b0, k * d * sizeof *v->b0);
    if (v->m0)
        memcpy(c->m0, v->m0, d * sizeof *v->m0);
    if (v->s0)
        memcpy(c->s0, v->s0, v->pl * sizeof *v->s0);
    if (v->r0)
        memcpy(c->r0, v->r0, d * sizeof *v->r0);
    c->m0_user = v->m0_user;
    c->m0_known = v->m0_known;
    c->beta0 = v->beta0;
    c->nu0 = v->nu0;
    c->logdet_s0 = v->logdet_s0;
    c->shape0 = v->shape0;
    c->r0_user = v->r0_user;
    c->r0_known = v->r0_known;
    c->init = v->init;
    c->tinit = v->tinit;
    c->moves = v->moves;
    c->n_moves = v->n_moves;
    c->max_len = v->max_len;
    c->nthreads = v->nthreads;
    memcpy(c->post, v->post, (k + kk + v->elen) * sizeof *v->post);
    vem_status st = vem_vbhmm_set_subsequences(c, v->sub_len, v->sub_buf);
    if (st == VEM_OK)
        st = derive(c);
    if (st == VEM_OK && v->columns)
        st = vem_vbhmm_set_columns(c, (const char *const *)v->columns);
    if (st == VEM_OK && v->symbols)
        st = vem_vbhmm_set_symbols(c, (const char *const *)v->symbols);
    if (st == VEM_OK && v->symbol_column)
        st = vem_vbhmm_set_symbol_column(c, v->symbol_column);
    if (st != VEM_OK) {
        vem_vbhmm_free(c);
        return NULL;
    }
    return c;
}

/* ---------------------------------------------------------------- accessors */

size_t vem_vbhmm_k(const vem_vbhmm *v) { return v->k; }
size_t vem_vbhmm_dim(const vem_vbhmm *v) { return v->dim; }
vem_hmm_emission vem_vbhmm_emission_type(const vem_vbhmm *v) { return v->em; }
vem_cov vem_vbhmm_cov(const vem_vbhmm *v) { return v->cov; }
const double *vem_vbhmm_startprob_prior(const vem_vbhmm *v) { return v->pi0; }
const double *vem_vbhmm_transmat_prior(const vem_vbhmm *v) { return v->a0; }
const double *vem_vbhmm_emissionprob_prior(const vem_vbhmm *v) { return v->b0; }
double vem_vbhmm_beta_prior(const vem_vbhmm *v) { return v->beta0; }
const double *vem_vbhmm_scale_prior(const vem_vbhmm *v) { return v->s0; }
vem_hmm_init vem_vbhmm_init_method(const vem_vbhmm *v) { return v->init; }
vem_hmm_trans_init vem_vbhmm_trans_init_method(const vem_vbhmm *v) { return v->tinit; }
const char *const *vem_vbhmm_columns(const vem_vbhmm *v) { return (const char *const *)v->columns; }
const char *const *vem_vbhmm_symbols(const vem_vbhmm *v) { return (const char *const *)v->symbols; }
const char *vem_vbhmm_symbol_column(const vem_vbhmm *v) { return v->symbol_column; }
const double *vem_vbhmm_startprob_posterior(const vem_vbhmm *v) { return v->pi_q; }
const double *vem_vbhmm_transmat_posterior(const vem_vbhmm *v) { return v->a_q; }
const double *vem_vbhmm_startprob(const vem_vbhmm *v) { return v->pi_mean; }
const double *vem_vbhmm_transmat(const vem_vbhmm *v) { return v->a_mean; }
const double *vem_vbhmm_occupancy(const vem_vbhmm *v) { return v->occ; }

double vem_vbhmm_dof_prior(const vem_vbhmm *v)
{
    return !is_gauss(v) ? NAN : isnan(v->nu0) ? (double)v->dim : v->nu0;
}

const double *vem_vbhmm_means_prior(const vem_vbhmm *v)
{
    return is_gauss(v) && v->m0_known ? v->m0 : NULL;
}

double vem_vbhmm_lambdas_shape_prior(const vem_vbhmm *v)
{
    return v->em != VEM_HMM_POISSON ? NAN : isnan(v->shape0) ? 1.0 : v->shape0;
}

const double *vem_vbhmm_lambdas_rate_prior(const vem_vbhmm *v)
{
    return v->em == VEM_HMM_POISSON && v->r0_known ? v->r0 : NULL;
}

/* The Gaussian posterior's pieces. */
static double *g_beta(const vem_vbhmm *v) { return v->e_q; }
static double *g_nu(const vem_vbhmm *v) { return v->e_q + v->k; }
static double *g_means(const vem_vbhmm *v) { return v->e_q + v->k + n_scales(v); }
static double *g_scale(const vem_vbhmm *v) { return g_means(v) + v->k * v->dim; }

const double *vem_vbhmm_means(const vem_vbhmm *v) { return is_gauss(v) ? g_means(v) : NULL; }
const double *vem_vbhmm_beta_posterior(const vem_vbhmm *v)
{
    return is_gauss(v) ? g_beta(v) : NULL;
}
const double *vem_vbhmm_dof_posterior(const vem_vbhmm *v) { return is_gauss(v) ? g_nu(v) : NULL; }
const double *vem_vbhmm_scale_posterior(const vem_vbhmm *v)
{
    return is_gauss(v) ? g_scale(v) : NULL;
}
const double *vem_vbhmm_covariances(const vem_vbhmm *v) { return is_gauss(v) ? v->covs : NULL; }
size_t vem_vbhmm_covariances_len(const vem_vbhmm *v) { return n_scales(v) * v->pl; }

const double *vem_vbhmm_emissionprob_posterior(const vem_vbhmm *v)
{
    return v->em == VEM_HMM_CATEGORICAL ? v->e_q : NULL;
}

const double *vem_vbhmm_lambdas_shape_posterior(const vem_vbhmm *v)
{
    return v->em == VEM_HMM_POISSON ? v->e_q : NULL;
}

const double *vem_vbhmm_lambdas_rate_posterior(const vem_vbhmm *v)
{
    return v->em == VEM_HMM_POISSON ? v->e_q + v->k * v->dim : NULL;
}

const double *vem_vbhmm_emissionprob(const vem_vbhmm *v)
{
    return v->em == VEM_HMM_CATEGORICAL ? v->emean : NULL;
}

const double *vem_vbhmm_lambdas(const vem_vbhmm *v)
{
    return v->em == VEM_HMM_POISSON ? v->emean : NULL;
}

vem_status vem_vbhmm_set_moves(vem_vbhmm *v, int on)
{
    v->moves = on != 0;
    return VEM_OK;
}

int vem_vbhmm_moves(const vem_vbhmm *v) { return v->moves; }

vem_status vem_vbhmm_set_subsequences(vem_vbhmm *v, size_t length, size_t buffer)
{
    if (length > 0 && buffer > ((size_t)1 << 40))
        return VEM_FAIL(VEM_EINVAL, "subsequence buffer %zu frames is too large", buffer);
    vem__free(v->stat);
    v->stat = NULL;
    v->sub_len = length;
    v->sub_buf = length ? buffer : 0;
    if (!length)
        return VEM_OK;
    v->stat = vem__alloc_doubles(v->k + 1, v->k);
    if (!v->stat) {
        v->sub_len = v->sub_buf = 0;
        return VEM_FAIL(VEM_ENOMEM, "subsequences: stationary distribution of %zu states",
                        v->k);
    }
    stationary(v->k, v->a_mean, v->stat, v->stat + v->k);
    return VEM_OK;
}

size_t vem_vbhmm_subsequence_length(const vem_vbhmm *v) { return v->sub_len; }
size_t vem_vbhmm_subsequence_buffer(const vem_vbhmm *v) { return v->sub_buf; }
size_t vem_vbhmm_moves_accepted(const vem_vbhmm *v) { return v->n_moves; }

size_t vem_vbhmm_effective_states(const vem_vbhmm *v)
{
    size_t n = 0;
    for (size_t c = 0; c < v->k; c++)
        n += v->occ[c] >= 1.0;
    return n;
}

/* ---------------------------------------------------------------- setters */

/* n entries of p, each positive and finite; what names them. */
static vem_status check_positive(const double *p, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++)
        if (!(p[i] > 0.0) || !isfinite(p[i]))
            return VEM_FAIL(VEM_EINVAL, "%s entry %zu is %g: it must be positive and finite",
                            what, i + 1, p[i]);
    return VEM_OK;
}

vem_status vem_vbhmm_set_startprob_prior(vem_vbhmm *v, const double *a0)
{
    if (!a0) {
        default_dirichlet(v->pi0, v->k, v->k);
        return VEM_OK;
    }
    vem_status st = check_positive(a0, v->k, "startprob prior");
    if (st == VEM_OK)
        memcpy(v->pi0, a0, v->k * sizeof *a0);
    return st == VEM_OK ? derive(v) : st;
}

vem_status vem_vbhmm_set_transmat_prior(vem_vbhmm *v, const double *a0)
{
    if (!a0) {
        default_dirichlet(v->a0, v->k * v->k, v->k);
        return VEM_OK;
    }
    vem_status st = check_positive(a0, v->k * v->k, "transmat prior");
    if (st == VEM_OK)
        memcpy(v->a0, a0, v->k * v->k * sizeof *a0);
    return st == VEM_OK ? derive(v) : st;
}

vem_status vem_vbhmm_set_emissionprob_prior(vem_vbhmm *v, const double *b0)
{
    if (v->em != VEM_HMM_CATEGORICAL)
        return VEM_FAIL(VEM_EINVAL, "the emissionprob prior is for categorical emissions");
    if (!b0) {
        default_dirichlet(v->b0, v->k * v->dim, v->dim);
        return derive(v);
    }
    vem_status st = check_positive(b0, v->k * v->dim, "emissionprob prior");
    if (st == VEM_OK)
        memcpy(v->b0, b0, v->k * v->dim * sizeof *b0);
    return st == VEM_OK ? derive(v) : st;
}

vem_status vem_vbhmm_set_means_prior(vem_vbhmm *v, const double *m0)
{
    if (!is_gauss(v))
        return VEM_FAIL(VEM_EINVAL, "the means prior is for Gaussian emissions");
    if (!m0) {
        v->m0_user = 0;
        v->m0_known = 0;
        return VEM_OK;
    }
    vem_status st = vem__check_finite(m0, v->dim, "means prior");
    if (st != VEM_OK)
        return st;
    memcpy(v->m0, m0, v->dim * sizeof *m0);
    v->m0_user = 1;
    v->m0_known = 1;
    return derive(v);
}

vem_status vem_vbhmm_set_beta_prior(vem_vbhmm *v, double beta0)
{
    if (!is_gauss(v))
        return VEM_FAIL(VEM_EINVAL, "the beta prior is for Gaussian emissions");
    if (isnan(beta0))
        beta0 = 1.0;
    if (!(beta0 > 0.0) || !isfinite(beta0))
        return VEM_FAIL(VEM_EINVAL, "beta prior %g must be positive and finite", beta0);
    v->beta0 = beta0;
    return derive(v);
}

vem_status vem_vbhmm_set_dof_prior(vem_vbhmm *v, double nu0)
{
    if (!is_gauss(v))
        return VEM_FAIL(VEM_EINVAL, "the dof prior is for Gaussian emissions");
    const double lo = is_mat(v) ? (double)v->dim - 1.0 : 0.0;
    if (!isnan(nu0) && (!(nu0 > lo) || !isfinite(nu0)))
        return VEM_FAIL(VEM_EINVAL, "dof prior %g must be finite and > %g (%s covariance%s)",
                        nu0, lo, vem_cov_name(v->cov), is_mat(v) ? ": d - 1" : "");
    v->nu0 = nu0;
    return VEM_OK;
}

/* The dimension of one scale as vem__scale_logdet sees it: d, or 1 for the spherical
 * scale (one number). */
static size_t scale_dim(const vem_vbhmm *v)
{
    return is_sph(v) ? 1 : v->dim;
}

/* ln|a| of a scale-like matrix (full and tied d x d, diag d, spherical 1) into *logdet, l:
 * d*d work; 0 or the failing pivot. */
static size_t log_det(const vem_vbhmm *v, const double *a, double *logdet, double *l)
{
    return vem__scale_logdet(scale_dim(v), is_mat(v), a, logdet, l);
}

/* A scale matrix (full, tied: symmetric, finite) before its factorisation; what names it. */
static vem_status check_scale(const vem_vbhmm *v, const double *s, const char *what)
{
    return vem__check_scale(scale_dim(v), is_mat(v), s, what);
}

/* The prior of the Gaussian emissions' Normal-Wishart factors (the dof prior resolved). */
static vem__nw_prior nw_prior(const vem_vbhmm *v)
{
    const vem__nw_prior p = {.d = v->dim,
                             .full = is_mat(v),
                             .beta0 = v->beta0,
                             .nu0 = vem_vbhmm_dof_prior(v),
                             .m0 = v->m0,
                             .winv0 = v->s0,
                             .logdet_winv0 = v->logdet_s0};
    return p;
}

vem_status vem_vbhmm_set_scale_prior(vem_vbhmm *v, const double *s0)
{
    if (!is_gauss(v))
        return VEM_FAIL(VEM_EINVAL, "the scale prior is for Gaussian emissions");
    if (!s0) {
        default_scale(v);
        return derive(v);
    }
    vem_status st = check_scale(v, s0, "scale prior");
    if (st != VEM_OK)
        return st;
    double ld = 0.0;
    size_t bad = log_det(v, s0, &ld, v->work);
    if (bad)
        return VEM_FAIL(VEM_ENUMERIC, "scale prior is not positive definite (pivot %zu)", bad);
    memcpy(v->s0, s0, v->pl * sizeof *s0);
    v->logdet_s0 = ld;
    return derive(v);
}

vem_status vem_vbhmm_set_lambdas_prior(vem_vbhmm *v, double shape, const double *rate)
{
    if (v->em != VEM_HMM_POISSON)
        return VEM_FAIL(VEM_EINVAL, "the lambdas prior is for Poisson emissions");
    if (!isnan(shape) && (!(shape > 0.0) || !isfinite(shape)))
        return VEM_FAIL(VEM_EINVAL, "lambdas shape prior %g must be positive and finite", shape);
    if (rate) {
        vem_status st = check_positive(rate, v->dim, "lambdas rate prior");
        if (st != VEM_OK)
            return st;
        memcpy(v->r0, rate, v->dim * sizeof *rate);
    }
    v->shape0 = shape;
    v->r0_user = rate != NULL;
    v->r0_known = rate != NULL;
    return derive(v);
}

vem_status vem_vbhmm_set_init(vem_vbhmm *v, vem_hmm_init init)
{
    if (!vem_hmm_init_name(init))
        return VEM_FAIL(VEM_EINVAL, "invalid initialisation %d", (int)init);
    if (init == VEM_HMM_INIT_KMEANS && v->em == VEM_HMM_CATEGORICAL)
        return VEM_FAIL(VEM_EINVAL, "kmeans initialises Gaussian and Poisson emissions "
                                    "(categorical: random)");
    v->init = init;
    return VEM_OK;
}

vem_status vem_vbhmm_set_trans_init(vem_vbhmm *v, vem_hmm_trans_init init)
{
    if (init != VEM_HMM_TRANS_UNIFORM && init != VEM_HMM_TRANS_RANDOM)
        return VEM_FAIL(VEM_EINVAL, "the transitions initialise uniform or random");
    v->tinit = init;
    return VEM_OK;
}

/* Replace *dst by copies of n names (NULL clears). */
static vem_status copy_names(char ***dst, size_t n, const char *const *names)
{
    char **c = NULL;
    if (names && !(c = vem__strings_dup(names, n)))
        return VEM_FAIL(VEM_ENOMEM, "names");
    vem__strings_free(*dst, n);
    *dst = c;
    return VEM_OK;
}

vem_status vem_vbhmm_set_columns(vem_vbhmm *v, const char *const *names)
{
    if (v->em == VEM_HMM_CATEGORICAL)
        return VEM_FAIL(VEM_EINVAL, "categorical emissions have symbols, not columns");
    return copy_names(&v->columns, v->dim, names);
}

vem_status vem_vbhmm_set_symbols(vem_vbhmm *v, const char *const *names)
{
    if (v->em != VEM_HMM_CATEGORICAL)
        return VEM_FAIL(VEM_EINVAL, "symbols are for categorical emissions");
    return copy_names(&v->symbols, v->dim, names);
}

vem_status vem_vbhmm_set_symbol_column(vem_vbhmm *v, const char *name)
{
    char *c = NULL;
    if (name && !(c = vem__strdup(name)))
        return VEM_FAIL(VEM_ENOMEM, "symbol column");
    vem__free(v->symbol_column);
    v->symbol_column = c;
    return VEM_OK;
}

/* ------------------------------------------------------------ derived quantities */

/*
 * Everything the E-step, the bound and the accessors need, from the posterior and the
 * priors. VEM_ENUMERIC if some W_k^-1 is not positive definite.
 */
/*
 * p (k) = the stationary distribution of the transition matrix A (k x k, rows summing to 1,
 * every entry positive: a posterior mean of Dirichlet rows): the solution of p (A - I) = 0,
 * sum p = 1, by Gaussian elimination with partial pivoting on M = (A - I)^T with its last
 * row replaced by ones. m: k x k work.
 */
static void stationary(size_t k, const double *A, double *p, double *m)
{
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++)
            m[i * k + j] = i + 1 == k ? 1.0 : A[j * k + i] - (i == j ? 1.0 : 0.0);
    for (size_t i = 0; i < k; i++)
        p[i] = i + 1 == k ? 1.0 : 0.0;
    for (size_t c = 0; c < k; c++) {
        size_t piv = c;
        for (size_t r = c + 1; r < k; r++)
            if (fabs(m[r * k + c]) > fabs(m[piv * k + c]))
                piv = r;
        if (!(fabs(m[piv * k + c]) > 0.0))
            goto uniform;
        if (piv != c) {
            for (size_t j = 0; j < k; j++) {
                double t = m[c * k + j];
                m[c * k + j] = m[piv * k + j];
                m[piv * k + j] = t;
            }
            double t = p[c];
            p[c] = p[piv];
            p[piv] = t;
        }
        for (size_t r = c + 1; r < k; r++) {
            const double f = m[r * k + c] / m[c * k + c];
            for (size_t j = c; j < k; j++)
                m[r * k + j] -= f * m[c * k + j];
            p[r] -= f * p[c];
        }
    }
    for (size_t c = k; c-- > 0;) {
        double t = p[c];
        for (size_t j = c + 1; j < k; j++)
            t -= m[c * k + j] * p[j];
        p[c] = t / m[c * k + c];
    }
    /* Rounding may leave tiny negatives: clip and renormalise. */
    double sum = 0.0;
    for (size_t i = 0; i < k; i++) {
        p[i] = p[i] > 0.0 ? p[i] : 0.0;
        sum += p[i];
    }
    if (sum > 0.0 && isfinite(sum)) {
        for (size_t i = 0; i < k; i++)
            p[i] /= sum;
        return;
    }
uniform:
    for (size_t i = 0; i < k; i++)
        p[i] = 1.0 / (double)k;
}

static vem_status derive(vem_vbhmm *v)
{
    const size_t k = v->k, kk = k * k, d = v->dim;
    dirichlet_moments(v->pi_q, 1, k, v->elnpi, v->pi_mean);
    dirichlet_moments(v->a_q, k, k, v->elna, v->a_mean);
    for (size_t i = 0; i < k; i++)
        v->pi_t[i] = exp(v->elnpi[i]);
    for (size_t i = 0; i < kk; i++)
        v->a_t[i] = exp(v->elna[i]);
    if (v->stat)
        stationary(k, v->a_mean, v->stat, v->stat + k);
    if (is_gauss(v)) {
        const size_t pl = v->pl;
        const double dd = (double)d;
        const double *beta = g_beta(v), *nu = g_nu(v), *sq = g_scale(v);
        double *l = v->work + k + kk + v->elen; /* d*d */
        for (size_t c = 0; c < n_scales(v); c++) {
            size_t bad = vem__nw_derive(scale_dim(v), is_mat(v), sq + c * pl, nu[c],
                                        v->wmat + c * pl, is_mat(v) ? v->linv + c * d * d : NULL,
                                        v->covs + c * pl, &v->logdet_w[c], l);
            if (bad && is_tied(v))
                return VEM_FAIL(VEM_ENUMERIC,
                                "the tied scale matrix is not positive definite (pivot %zu)", bad);
            if (bad)
                return VEM_FAIL(VEM_ENUMERIC,
                                "scale matrix of state %zu is not positive definite (pivot %zu)",
                                c + 1, bad);
        }
        for (size_t c = 0; c < k; c++) {
            /* 1/2 E ln|Lambda_k| (tied: the shared one; spherical: d/2 E ln lambda_k). */
            const size_t w = is_tied(v) ? 0 : c;
            const double half_eln =
                is_sph(v) ? 0.5 * dd * (vem__ng_sph_elnlam(nu[c], d) + v->logdet_w[c])
                          : 0.5 * (vem__wishart_elnlam(nu[w], d, is_mat(v)) + v->logdet_w[w]);
            v->cst[c] = half_eln - 0.5 * dd * LOG_2PI - 0.5 * dd / beta[c];
            v->occ[c] = beta[c] - v->beta0;
        }
    } else if (v->em == VEM_HMM_CATEGORICAL) {
        dirichlet_moments(v->e_q, k, d, v->eln, v->emean);
        for (size_t c = 0; c < k; c++) {
            double s = 0.0;
            for (size_t j = 0; j < d; j++)
                s += v->e_q[c * d + j] - v->b0[c * d + j];
            v->occ[c] = s;
        }
    } else {
        const double *shape = v->e_q, *rate = v->e_q + k * d;
        for (size_t c = 0; c < k; c++) {
            double s = 0.0;
            for (size_t j = 0; j < d; j++) {
                const double a = shape[c * d + j], r = rate[c * d + j];
                v->eln[c * d + j] = vem__digamma(a) - log(r);
                v->emean[c * d + j] = a / r;
                s += a / r;
            }
            v->esum[c] = s;
            v->occ[c] = rate[c * d] - v->r0[0];
        }
    }
    return VEM_OK;
}

/* ------------------------------------------------------------------ the bound */

static double vb_objective_extra(const void *self)
{
    const vem_vbhmm *v = self;
    const size_t k = v->k, d = v->dim;
    double s = -vem__dirichlet_kl(v->pi_q, v->pi0, v->elnpi, k);
    for (size_t i = 0; i < k; i++)
        s -= vem__dirichlet_kl(v->a_q + i * k, v->a0 + i * k, v->elna + i * k, k);
    if (is_gauss(v)) {
        const vem__nw_prior p = nw_prior(v);
        const vem__nw_post q = {.k = k,
                                .beta = g_beta(v),
                                .nu = g_nu(v),
                                .means = g_means(v),
                                .winv = g_scale(v),
                                .w = v->wmat,
                                .logdet_w = v->logdet_w};
        if (is_tied(v))
            s = vem__nw_tied_neg_kl_add(s, &p, &q, vem__lgamma);
        else if (is_sph(v))
            s = vem__ng_sph_neg_kl_add(s, &p, &q);
        else
            s = vem__nw_neg_kl_add(s, &p, &q, vem__lgamma);
    } else if (v->em == VEM_HMM_CATEGORICAL) {
        for (size_t c = 0; c < k; c++)
            s -= vem__dirichlet_kl(v->e_q + c * d, v->b0 + c * d, v->eln + c * d, d);
    } else {
        const double a0 = vem_vbhmm_lambdas_shape_prior(v);
        const double *shape = v->e_q, *rate = v->e_q + k * d;
        for (size_t c = 0; c < k; c++)
            for (size_t j = 0; j < d; j++)
                s -= vem__gamma_kl(shape[c * d + j], rate[c * d + j], a0, v->r0[j]);
    }
    return s;
}

/* ---------------------------------------------------------------- the E-step */

static size_t emis_ess_len(const vem_vbhmm *v)
{
    const size_t k = v->k, d = v->dim;
    return is_gauss(v) ? k + k * d + k * v->pl : v->em == VEM_HMM_CATEGORICAL ? k * d : k + k * d;
}

static size_t vb_ess_len(const void *self)
{
    const vem_vbhmm *v = self;
    return v->k + v->k * v->k + emis_ess_len(v);
}

/* Scratch of one E-step call: logb, gamma (T x k each), the forward-backward work, and a
 * frame's centred values (d). */
static size_t seq_scratch(const vem_vbhmm *v, size_t T)
{
    return 2 * T * v->k + vem__hmm_posteriors_work(v->k, T) +
           (size_t)v->nthreads * (v->dim + v->k) + NPART * emis_ess_len(v);
}

static size_t vb_scratch_len(const void *self, size_t block)
{
    const vem_vbhmm *v = self;
    (void)block; /* units are whole sequences: the need depends on the longest */
    return seq_scratch(v, vem__max(v->max_len, 1));
}

static size_t vb_n_units(const void *self, const vem_data *x)
{
    (void)self;
    return vem__hmm_n_seq(x);
}

static double vb_n_obs(const void *self, const vem_data *x)
{
    (void)self;
    return (double)x->x.rows;
}

/* logb (T x k) = E_q[ln p(x_t | theta_k)] for the T frames from x (stride ld). */
static void emission_elogp(const vem_vbhmm *v, const double *x, size_t ld, size_t T,
                           double *logb, double *t)
{
    const size_t k = v->k, d = v->dim;
    if (v->em == VEM_HMM_CATEGORICAL) {
        for (size_t r = 0; r < T; r++) {
            const size_t sym = (size_t)x[r * ld];
            for (size_t c = 0; c < k; c++)
                logb[r * k + c] = v->eln[c * d + sym];
        }
        return;
    }
    if (v->em == VEM_HMM_POISSON) {
        for (size_t r = 0; r < T; r++) {
            const double *xr = x + r * ld;
            double lf = 0.0;
            for (size_t j = 0; j < d; j++)
                lf += vem__lgamma(xr[j] + 1.0);
            for (size_t c = 0; c < k; c++) {
                const double *el = v->eln + c * d;
                double s = 0.0;
                for (size_t j = 0; j < d; j++)
                    s += xr[j] == 0.0 ? 0.0 : xr[j] * el[j];
                logb[r * k + c] = s - v->esum[c] - lf;
            }
        }
        return;
    }
    const double *means = g_means(v), *nu = g_nu(v);
    for (size_t c = 0; c < k; c++) {
        const double *m = means + c * d;
        const size_t f = is_tied(v) ? 0 : c; /* the state's Wishart (Gamma) factor */
        for (size_t r = 0; r < T; r++) {
            const double *xr = x + r * ld;
            double q = 0.0;
            if (is_mat(v)) {
                q = vem__tri_mahalanobis(d, v->linv + f * d * d, xr, m, t);
            } else if (is_sph(v)) {
                for (size_t j = 0; j < d; j++) {
                    double u = xr[j] - m[j];
                    q += u * u;
                }
                q *= v->wmat[c];
            } else {
                const double *w = v->wmat + c * d;
                for (size_t j = 0; j < d; j++) {
                    double u = xr[j] - m[j];
                    q += w[j] * u * u;
                }
            }
            logb[r * k + c] = v->cst[c] - 0.5 * nu[f] * q;
        }
    }
}

/* The emission ESS of T frames with posteriors gamma (T x k), added into e. */
static void emission_ess(const vem_vbhmm *v, const double *x, size_t ld, size_t T,
                         const double *gamma, double *e, double *t)
{
    const size_t k = v->k, d = v->dim;
    if (v->em == VEM_HMM_CATEGORICAL) {
        for (size_t r = 0; r < T; r++) {
            const size_t sym = (size_t)x[r * ld];
            for (size_t c = 0; c < k; c++)
                e[c * d + sym] += gamma[r * k + c];
        }
        return;
    }
    double *nk = e, *s1 = e + k, *s2 = e + k + k * d;
    for (size_t r = 0; r < T; r++) {
        const double *xr = x + r * ld;
        double tt = 0.0; /* spherical: ||x - m0||^2 */
        if (is_gauss(v))
            for (size_t j = 0; j < d; j++) {
                t[j] = xr[j] - v->m0[j];
                tt += t[j] * t[j];
            }
        for (size_t c = 0; c < k; c++) {
            const double g = gamma[r * k + c];
            if (g == 0.0)
                continue;
            nk[c] += g;
            double *a = s1 + c * d;
            if (!is_gauss(v)) {
                for (size_t j = 0; j < d; j++)
                    a[j] += g * xr[j];
                continue;
            }
            for (size_t j = 0; j < d; j++)
                a[j] += g * t[j];
            if (is_mat(v)) {
                double *b = s2 + c * d * d;
                for (size_t i = 0; i < d; i++) {
                    const double gi = g * t[i];
                    for (size_t j = i; j < d; j++)
                        b[i * d + j] += gi * t[j];
                }
            } else if (is_sph(v)) {
                s2[c] += g * tt;
            } else {
                double *b = s2 + c * d;
                for (size_t j = 0; j < d; j++)
                    b[j] += g * t[j] * t[j];
            }
        }
    }
}

/* splitmix64: the random initial responsibilities from (seed, row). */
static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* The initialisation's responsibilities of T frames (row r0 the first's place in the
 * data): one-hot on the nearest k-means centre (the mixtures' vem__init_resp), uniform
 * random, or uniform. */
static void init_gamma(const vem_vbhmm *v, const double *x, size_t ld, size_t T, size_t r0,
                       double *gamma)
{
    const size_t k = v->k;
    if (v->mode == MODE_NEAREST) {
        vem__init_resp(v->mode_centers, 0, k, v->dim, x, ld, r0, T, gamma);
        return;
    }
    for (size_t r = 0; r < T; r++) {
        double *g = gamma + r * k;
        if (v->mode == MODE_UNIFORM) {
            for (size_t c = 0; c < k; c++)
                g[c] = 1.0 / (double)k;
        } else { /* MODE_RANDOM */
            uint64_t h = mix64(v->mode_seed ^ mix64((uint64_t)(r0 + r)));
            double s = 0.0;
            for (size_t c = 0; c < k; c++) {
                h = mix64(h);
                g[c] = (double)(h >> 11) * 0x1p-53 + 0x1p-54;
                s += g[c];
            }
            for (size_t c = 0; c < k; c++)
                g[c] /= s;
        }
    }
}

/* The calling thread's number in an OpenMP team (0 outside one, or without OpenMP). */
static size_t thread_id(void)
{
#ifdef _OPENMP
    return (size_t)omp_get_thread_num();
#else
    return 0;
#endif
}

/*
 * The E-step of frames [a, b) of one sequence of T frames (x its first frame, row lo of the
 * data): the forward-backward runs on the window [a - buffer, b + buffer] within the
 * sequence; only frames [a, b) give statistics (the transitions into them, the start counts
 * when a is 0) and the returned objective (their log predictive normalisers; with a = 0,
 * b = T the sequence's ln Z). An initialisation adds the statistics of its responsibilities
 * of [a, b), with the start and transition counts spread evenly.
 */
static double window_estep(const vem_vbhmm *v, const double *x, size_t ld, size_t T, size_t lo,
                           size_t a, size_t b, double *ess, double *scratch)
{
    const size_t k = v->k, kk = k * k;
    const size_t w0 = a - vem__min(a, v->sub_buf), w1 = vem__min(T, b + v->sub_buf);
    const size_t W = w1 - w0;
    double *logb = scratch, *gamma = logb + W * k;
    double *work = gamma + W * k, *t = work + vem__hmm_posteriors_work(k, W);
    if (v->mode != MODE_POSTERIOR) {
        /* An initialisation: the emissions' ESS of given responsibilities, evenly spread
         * start and transition counts (the initialiser may redraw them). */
        init_gamma(v, x + a * ld, ld, b - a, lo + a, gamma);
        for (size_t c = 0; a == 0 && c < k; c++)
            ess[c] += 1.0 / (double)k;
        for (size_t i = 0; i < kk; i++)
            ess[k + i] += (double)(b - (a ? a : 1)) / (double)kk;
        emission_ess(v, x + a * ld, ld, b - a, gamma, ess + k + kk, t);
        return 0.0;
    }
    /* Threads for the emission passes of a long window, unless inside the engine's. */
    const size_t nb = (W + EBLOCK - 1) / EBLOCK;
    int nthr = 1;
#ifdef _OPENMP
    if (nb >= 2 && v->nthreads > 1 && omp_get_active_level() == 0)
        nthr = (int)vem__min((size_t)v->nthreads, nb);
#endif
    const size_t tl = v->dim + v->k; /* a thread's work in t */
    const long nbl = (long)nb;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(nthr) if (nthr > 1)
#endif
    for (long j = 0; j < nbl; j++) {
        const size_t tid = thread_id();
        const size_t r0 = (size_t)j * EBLOCK, n = vem__min(EBLOCK, W - r0);
        emission_elogp(v, x + (w0 + r0) * ld, ld, n, logb + r0 * k, t + tid * tl);
    }
    const double z = vem__hmm_posteriors_span(k, w0 == 0 ? v->pi_t : v->stat, v->a_t, W, logb,
                                              gamma, ess + k, a == 0 ? ess : NULL, work,
                                              a - w0, b - w0);
    if (!(z > -INFINITY)) /* gamma is unspecified: the engine fails on the -inf */
        return z;
    /* The emission statistics of [a, b): in parts of whole blocks when there are several,
     * each part summed in frame order, the parts in order. */
    const size_t C = b - a, nc = (C + EBLOCK - 1) / EBLOCK, np = vem__min(nc, NPART);
    const double *g = gamma + (a - w0) * k;
    double *es = ess + k + kk;
    if (np <= 1) {
        emission_ess(v, x + a * ld, ld, C, g, es, t);
        return z;
    }
    const size_t el = emis_ess_len(v);
    double *parts = t + (size_t)v->nthreads * tl;
    memset(parts, 0, np * el * sizeof *parts);
    const long npl = (long)np;
    nthr = (int)vem__min((size_t)nthr, np);
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(nthr) if (nthr > 1)
#endif
    for (long p = 0; p < npl; p++) {
        const size_t tid = thread_id();
        const size_t r0 = (size_t)p * nc / np * EBLOCK;
        const size_t r1 = vem__min(((size_t)p + 1) * nc / np * EBLOCK, C);
        emission_ess(v, x + (a + r0) * ld, ld, r1 - r0, g + r0 * k, parts + (size_t)p * el,
                     t + tid * tl);
    }
    for (size_t p = 0; p < np; p++)
        for (size_t i = 0; i < el; i++)
            es[i] += parts[p * el + i];
    return z;
}

static double vb_estep(const void *self, const vem_data *data, size_t u0, size_t u1, double *ess,
                       double *scratch)
{
    const vem_vbhmm *v = self;
    const size_t ld = data->x.ld;
    double ll = 0.0;
    if (!v->sub_seq || data->seq_start != v->sub_starts) {
        for (size_t s = u0; s < u1; s++) {
            const size_t lo = vem__hmm_seq_lo(data, s), T = vem__hmm_seq_hi(data, s) - lo;
            if (T > 0)
                ll += window_estep(v, data->x.data + lo * ld, ld, T, lo, 0, T, ess, scratch);
        }
        return ll;
    }
    /* Subsequences (during a fit): the units of data are chunks, chunk u of the fit's
     * sequence sub_seq[u]; each run of consecutive chunks of one sequence is one window. */
    const vem_data *w = v->sub_whole;
    for (size_t u = u0, e; u < u1; u = e) {
        const size_t s = v->sub_seq[u];
        for (e = u + 1; e < u1 && v->sub_seq[e] == s;)
            e++;
        const size_t lo = vem__hmm_seq_lo(w, s), T = vem__hmm_seq_hi(w, s) - lo;
        ll += window_estep(v, data->x.data + lo * ld, ld, T, lo, vem__hmm_seq_lo(data, u) - lo,
                           vem__hmm_seq_hi(data, e - 1) - lo, ess, scratch);
    }
    return ll;
}

/* ------------------------------------------------------------------- the update */

/* The posterior from the ESS plus the priors (Beal 2003, eqs. 3.54-3.57; PRML eqs.
 * 10.60-10.63 about the centre c = m0). Nothing changes on error. */
static vem_status vb_mstep(void *self, const double *ess)
{
    vem_vbhmm *v = self;
    const size_t k = v->k, kk = k * k, d = v->dim;
    const double *es = ess + k + kk;
    double *np = v->work; /* the new posterior, laid out as v->post */
    for (size_t i = 0; i < k + kk; i++) {
        if (!(ess[i] >= -1e-9) || !isfinite(ess[i]))
            return VEM_FAIL(VEM_ENUMERIC, "update: expected %s count %zu is %g",
                            i < k ? "start" : "transition", i < k ? i + 1 : i - k + 1, ess[i]);
        np[i] = (i < k ? v->pi0[i] : v->a0[i - k]) + fmax(ess[i], 0.0);
    }
    double *ne = np + k + kk;
    if (is_gauss(v)) {
        const size_t pl = v->pl;
        const vem__nw_prior p = nw_prior(v);
        const double *nk = es, *s1 = es + k, *s2 = es + k + k * d;
        double *beta = ne, *nu = ne + k, *means = nu + n_scales(v), *sq = means + k * d;
        for (size_t c = 0; c < k; c++) {
            if (!(nk[c] >= -1e-9) || !isfinite(nk[c]))
                return VEM_FAIL(VEM_ENUMERIC, "update: expected occupancy of state %zu is %g",
                                c + 1, nk[c]);
            /* The statistics are about the centre c = m0 (S2: full, the upper triangle). */
            if (is_sph(v))
                vem__ng_sph_update(&p, fmax(nk[c], 0.0), s1 + c * d, s2[c], &beta[c], &nu[c],
                                   means + c * d, &sq[c]);
            else if (!is_tied(v))
                vem__nw_update(&p, fmax(nk[c], 0.0), 0.0, s1 + c * d, s2 + c * pl, &beta[c],
                               &nu[c], means + c * d, sq + c * pl);
        }
        if (is_tied(v)) /* one scale from every state's statistics */
            vem__nw_tied_update(&p, k, nk, s1, s2, beta, nu, means, sq);
        size_t c, bad = vem__scales_check(n_scales(v), scale_dim(v), p.full, sq, &c,
                                          ne + v->elen);
        if (bad && is_tied(v))
            return VEM_FAIL(VEM_ENUMERIC,
                            "update: the tied scale matrix is not positive definite (pivot %zu)",
                            bad);
        if (bad)
            return VEM_FAIL(VEM_ENUMERIC,
                            "update: scale matrix of state %zu is not positive definite "
                            "(pivot %zu)",
                            c + 1, bad);
    } else if (v->em == VEM_HMM_CATEGORICAL) {
        for (size_t i = 0; i < k * d; i++) {
            if (!(es[i] >= -1e-9) || !isfinite(es[i]))
                return VEM_FAIL(VEM_ENUMERIC, "update: expected symbol count %zu is %g", i + 1,
                                es[i]);
            ne[i] = v->b0[i] + fmax(es[i], 0.0);
        }
    } else {
        const double a0 = vem_vbhmm_lambdas_shape_prior(v);
        const double *nk = es, *sx = es + k;
        for (size_t c = 0; c < k; c++)
            for (size_t j = 0; j < d; j++) {
                const double a = sx[c * d + j], n = nk[c];
                if (!(a >= -1e-9) || !isfinite(a) || !(n >= -1e-9) || !isfinite(n))
                    return VEM_FAIL(VEM_ENUMERIC, "update: statistics of state %zu are not "
                                    "finite and >= 0", c + 1);
                ne[c * d + j] = a0 + fmax(a, 0.0);
                ne[k * d + c * d + j] = v->r0[j] + fmax(n, 0.0);
            }
    }
    memcpy(v->post, np, (k + kk + v->elen) * sizeof *np);
    return derive(v);
}

/* The ESS the posterior stands for (posterior - prior): stochastic VI blends into them. */
static void vb_ess_from_params(const void *self, double *ess)
{
    const vem_vbhmm *v = self;
    const size_t k = v->k, kk = k * k, d = v->dim;
    for (size_t i = 0; i < k; i++)
        ess[i] = v->pi_q[i] - v->pi0[i];
    for (size_t i = 0; i < kk; i++)
        ess[k + i] = v->a_q[i] - v->a0[i];
    double *es = ess + k + kk;
    if (is_gauss(v)) {
        const size_t pl = v->pl;
        const double *beta = g_beta(v), *means = g_means(v), *sq = g_scale(v);
        double *nk = es, *s1 = es + k, *s2 = es + k + k * d;
        double total = 0.0;
        for (size_t c = 0; c < k; c++)
            total += beta[c] - v->beta0;
        for (size_t c = 0; c < k; c++) {
            nk[c] = beta[c] - v->beta0;
            const double *m = means + c * d;
            for (size_t j = 0; j < d; j++)
                s1[c * d + j] = beta[c] * (m[j] - v->m0[j]);
            if (is_sph(v)) { /* s = s0 + (S2 - beta ||m - m0||^2) / d */
                double q = 0.0;
                for (size_t j = 0; j < d; j++)
                    q += (m[j] - v->m0[j]) * (m[j] - v->m0[j]);
                s2[c] = (double)d * (sq[c] - v->s0[0]) + beta[c] * q;
                continue;
            }
            if (is_tied(v)) {
                /* Only the sum over the states of the within-state scatters is kept (W^-1 -
                 * W0^-1): each state gets its share by occupancy, as the tied model assumes
                 * one covariance. */
                const double share = total > 0.0 ? nk[c] / total : 1.0 / (double)k;
                for (size_t i = 0; i < pl; i++) {
                    const size_t a = i / d, b = i % d;
                    s2[c * pl + i] = share * (sq[i] - v->s0[i]) +
                                     beta[c] * (m[a] - v->m0[a]) * (m[b] - v->m0[b]);
                }
                continue;
            }
            for (size_t i = 0; i < pl; i++) {
                const size_t a = is_full(v) ? i / d : i, b = is_full(v) ? i % d : i;
                s2[c * pl + i] = sq[c * pl + i] - v->s0[i] +
                                 beta[c] * (m[a] - v->m0[a]) * (m[b] - v->m0[b]);
            }
        }
    } else if (v->em == VEM_HMM_CATEGORICAL) {
        for (size_t i = 0; i < k * d; i++)
            es[i] = v->e_q[i] - v->b0[i];
    } else {
        const double a0 = vem_vbhmm_lambdas_shape_prior(v);
        for (size_t c = 0; c < k; c++) {
            es[c] = v->e_q[k * d + c * d] - v->r0[0];
            for (size_t j = 0; j < d; j++)
                es[k + c * d + j] = v->e_q[c * d + j] - a0;
        }
    }
}

/* ----------------------------------------------------------------- parameters */

static size_t vb_params_len(const void *self)
{
    const vem_vbhmm *v = self;
    return v->k + v->k * v->k + v->elen;
}

static void vb_params_get(const void *self, double *out)
{
    const vem_vbhmm *v = self;
    memcpy(out, v->post, vb_params_len(v) * sizeof *out);
}

/* The posterior's ranges (in: laid out as v->post); VEM_EINVAL naming the entry. */
static vem_status check_posterior(const vem_vbhmm *v, const double *in)
{
    const size_t k = v->k, kk = k * k, d = v->dim, n = vb_params_len(v);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(in[i]))
            return VEM_FAIL(VEM_EINVAL, "posterior parameter %zu is not finite", i + 1);
    vem_status st = check_positive(in, k, "startprob posterior");
    if (st == VEM_OK)
        st = check_positive(in + k, kk, "transmat posterior");
    const double *e = in + k + kk;
    if (st != VEM_OK)
        return st;
    if (is_gauss(v)) {
        const double lo = is_mat(v) ? (double)d - 1.0 : 0.0;
        const size_t ns = n_scales(v);
        st = check_positive(e, k, "beta posterior");
        for (size_t c = 0; st == VEM_OK && c < ns; c++)
            if (!(e[k + c] > lo))
                return is_tied(v) ? VEM_FAIL(VEM_EINVAL, "tied dof posterior %g is not > %g",
                                             e[k], lo)
                                  : VEM_FAIL(VEM_EINVAL,
                                             "dof posterior of state %zu is %g, not > %g", c + 1,
                                             e[k + c], lo);
        for (size_t c = 0; st == VEM_OK && c < ns; c++)
            st = check_scale(v, e + k + ns + k * d + c * v->pl, "scale posterior");
        return st;
    }
    return check_positive(e, v->elen, v->em == VEM_HMM_CATEGORICAL ? "emissionprob posterior"
                                                                   : "lambdas posterior");
}

static vem_status vb_params_set(void *self, const double *in)
{
    vem_vbhmm *v = self;
    const size_t n = vb_params_len(v);
    vem_status st = check_posterior(v, in);
    if (st != VEM_OK)
        return st;
    double *saved = vem__alloc_doubles(n, 1);
    if (!saved)
        return VEM_FAIL(VEM_ENOMEM, "posterior");
    memcpy(saved, v->post, n * sizeof *saved);
    memcpy(v->post, in, n * sizeof *in);
    st = derive(v);
    if (st != VEM_OK) {
        char msg[256];
        snprintf(msg, sizeof msg, "%s", vem_errmsg());
        memcpy(v->post, saved, n * sizeof *saved);
        derive(v);
        VEM_FAIL(st, "%s", msg);
    }
    vem__free(saved);
    return st;
}

vem_status vem_vbhmm_set_posterior_transitions(vem_vbhmm *v, const double *start,
                                               const double *trans)
{
    const size_t k = v->k, n = vb_params_len(v);
    double *p = vem__alloc_doubles(n, 1);
    if (!p)
        return VEM_FAIL(VEM_ENOMEM, "posterior");
    memcpy(p, v->post, n * sizeof *p);
    memcpy(p, start, k * sizeof *p);
    memcpy(p + k, trans, k * k * sizeof *p);
    vem_status st = vb_params_set(v, p);
    vem__free(p);
    return st;
}

/* Set the emission part e (elen doubles) of the posterior. */
static vem_status set_emission_posterior(vem_vbhmm *v, const double *e)
{
    const size_t k = v->k, n = vb_params_len(v);
    double *p = vem__alloc_doubles(n, 1);
    if (!p)
        return VEM_FAIL(VEM_ENOMEM, "posterior");
    memcpy(p, v->post, n * sizeof *p);
    memcpy(p + k + k * k, e, v->elen * sizeof *p);
    vem_status st = vb_params_set(v, p);
    vem__free(p);
    return st;
}

vem_status vem_vbhmm_set_posterior_gaussian(vem_vbhmm *v, const double *means,
                                            const double *beta, const double *dof,
                                            const double *scale)
{
    if (!is_gauss(v))
        return VEM_FAIL(VEM_EINVAL, "not a Gaussian model");
    if (!v->m0_known)
        return VEM_FAIL(VEM_EINVAL, "set the means prior (or fit) before the posterior");
    const size_t k = v->k, d = v->dim;
    double *e = vem__alloc_doubles(v->elen, 1);
    if (!e)
        return VEM_FAIL(VEM_ENOMEM, "posterior");
    const size_t ns = n_scales(v);
    memcpy(e, beta, k * sizeof *e);
    memcpy(e + k, dof, ns * sizeof *e);
    memcpy(e + k + ns, means, k * d * sizeof *e);
    memcpy(e + k + ns + k * d, scale, ns * v->pl * sizeof *e);
    vem_status st = set_emission_posterior(v, e);
    vem__free(e);
    return st;
}

vem_status vem_vbhmm_set_posterior_categorical(vem_vbhmm *v, const double *b)
{
    if (v->em != VEM_HMM_CATEGORICAL)
        return VEM_FAIL(VEM_EINVAL, "not a categorical model");
    return set_emission_posterior(v, b);
}

vem_status vem_vbhmm_set_posterior_poisson(vem_vbhmm *v, const double *shape, const double *rate)
{
    if (v->em != VEM_HMM_POISSON)
        return VEM_FAIL(VEM_EINVAL, "not a Poisson model");
    if (!v->r0_known)
        return VEM_FAIL(VEM_EINVAL, "set the lambdas prior (or fit) before the posterior");
    const size_t kd = v->k * v->dim;
    double *e = vem__alloc_doubles(2 * kd, 1);
    if (!e)
        return VEM_FAIL(VEM_ENOMEM, "posterior");
    memcpy(e, shape, kd * sizeof *e);
    memcpy(e + kd, rate, kd * sizeof *e);
    vem_status st = set_emission_posterior(v, e);
    vem__free(e);
    return st;
}

/* ----------------------------------------------------------------- priors from data */

/* Column sums of the frames: a small model over the same units (sequences). */
static size_t sums_ess_len(const void *self)
{
    return ((const vem_vbhmm *)self)->dim;
}

static size_t zero_scratch(const void *self, size_t block)
{
    (void)self;
    (void)block;
    return 0;
}

static double sums_estep(const void *self, const vem_data *data, size_t u0, size_t u1,
                         double *ess, double *scratch)
{
    const vem_vbhmm *v = self;
    (void)scratch;
    const size_t d = v->dim, ld = data->x.ld;
    for (size_t s = u0; s < u1; s++)
        for (size_t r = vem__hmm_seq_lo(data, s); r < vem__hmm_seq_hi(data, s); r++)
            for (size_t j = 0; j < d; j++)
                ess[j] += data->x.data[r * ld + j];
    return 0.0;
}

static const vem_model_ops sums_ops = {
    .name = "vbhmm-sums",
    .ess_len = sums_ess_len,
    .scratch_len = zero_scratch,
    .n_units = vb_n_units,
    .n_obs = vb_n_obs,
    .estep = sums_estep,
};

/* The data-dependent default priors (Gaussian m0, Poisson r0) from all of f's frames
 * (over f's communicator). */
static vem_status resolve_priors(void *self, vem_fit *f)
{
    vem_vbhmm *v = self;
    const size_t d = v->dim;
    const int need = (is_gauss(v) && !v->m0_user) || (v->em == VEM_HMM_POISSON && !v->r0_user);
    if (!need || v->priors_shared)
        return VEM_OK;
    const double n = vem_fit_n_obs(f);
    if (!(n >= 1.0))
        return VEM_FAIL(VEM_EINVAL, "no frames to resolve the default priors from");
    double *sum = vem__alloc_doubles(d, 1);
    if (!sum)
        return VEM_FAIL(VEM_ENOMEM, "priors");
    vem_vbhmm *vv = v;
    vem_model m = {.ops = &sums_ops, .self = vv};
    double unused;
    vem_status st = vem_fit_pass(f, &m, sum, &unused);
    if (st == VEM_OK && is_gauss(v)) {
        for (size_t j = 0; j < d; j++)
            v->m0[j] = sum[j] / n;
        v->m0_known = 1;
    } else if (st == VEM_OK) {
        const double a0 = vem_vbhmm_lambdas_shape_prior(v);
        for (size_t j = 0; j < d; j++)
            v->r0[j] = a0 / fmax(sum[j] / n, 1e-3);
        v->r0_known = 1;
    }
    vem__free(sum);
    return st == VEM_OK ? derive(v) : st;
}

/* --------------------------------------------------------------- initialisation */

/* The frames as rows, for k-means: the engine's row units over the same matrix. */
static size_t rows_n_units(const void *self, const vem_data *x)
{
    (void)self;
    return x->x.rows;
}

static size_t rows_ess_len(const void *self)
{
    (void)self;
    return 0;
}

static double rows_estep(const void *self, const vem_data *x, size_t u0, size_t u1, double *ess,
                         double *scratch)
{
    (void)self;
    (void)x;
    (void)u0;
    (void)u1;
    (void)ess;
    (void)scratch;
    return 0.0;
}

static const vem_model_ops rows_ops = {
    .name = "vbhmm-rows",
    .ess_len = rows_ess_len,
    .scratch_len = zero_scratch,
    .n_units = rows_n_units,
    .n_obs = vb_n_obs,
    .estep = rows_estep,
};

/* Each of rows rows of a (cols each) replaced by its total times a Dirichlet(1) draw. */
static void redraw_rows(vem_rng *rng, double *a, size_t rows, size_t cols)
{
    for (size_t i = 0; i < rows; i++) {
        double *r = a + i * cols, s = 0.0;
        for (size_t j = 0; j < cols; j++)
            s += r[j];
        vem__dirichlet1(rng, r, cols);
        for (size_t j = 0; j < cols; j++)
            r[j] *= s;
    }
}

/*
 * One restart's start: responsibilities (hard k-means labels of the frames as rows,
 * random or uniform) give the emissions' ESS, the start and transition counts are spread
 * evenly (or by Dirichlet(1) draws), and the update makes the posterior.
 */
static vem_status vb_init(void *self, vem_fit *f, vem_rng *rng)
{
    vem_vbhmm *v = self;
    const vem_data *data = vem_fit_data(f);
    const size_t k = v->k, kk = k * k, d = v->dim;
    v->max_len = vem__max(v->max_len, vem__hmm_longest(data));
    vem_status st = resolve_priors(v, f);
    if (st != VEM_OK)
        return st;
    double *ess = vem__alloc_doubles(vb_ess_len(v), 1);
    double *centers = vem__alloc_doubles(k, d);
    if (!ess || !centers) {
        st = VEM_FAIL(VEM_ENOMEM, "initialisation");
        goto done;
    }
    if (v->em == VEM_HMM_CATEGORICAL) {
        v->mode = MODE_UNIFORM;
    } else if (v->init == VEM_HMM_INIT_KMEANS) {
        if (data->x.rows < k) {
            st = VEM_FAIL(VEM_EINVAL, "%zu frames, fewer than k=%zu states", data->x.rows, k);
            goto done;
        }
        vem_fit_opts o = *vem_fit_options(f);
        o.warm_start = 1;
        o.n_init = 1;
        o.log = NULL;
        o.algorithm = VEM_ALG_BATCH;
        o.comm = NULL;
        o.checkpoint = NULL;
        o.resume = NULL;
        o.progress = NULL;
        o.interrupted = NULL;
        o.validation = NULL;
        vem_model rm = {.ops = &rows_ops, .self = v};
        vem_data rows = vem_data_rows(data->x);
        vem_fit *g = vem_fit_new(&rm, &rows, &o);
        if (!g) {
            st = vem__last_status();
            goto done;
        }
        st = vem__init_start(g, k, 1, rng, centers, &v->mode_seed);
        vem_fit_free(g);
        if (st != VEM_OK)
            goto done;
        v->mode = MODE_NEAREST;
        v->mode_centers = centers;
    } else {
        v->mode = MODE_RANDOM;
        v->mode_seed = vem_rng_next(rng);
    }
    vem_model m = vem_vbhmm_model(v);
    double unused;
    st = vem_fit_pass(f, &m, ess, &unused);
    v->mode = MODE_POSTERIOR;
    v->mode_centers = NULL;
    if (st != VEM_OK)
        goto done;
    if (v->tinit == VEM_HMM_TRANS_RANDOM) {
        redraw_rows(rng, ess, 1, k);
        redraw_rows(rng, ess + k, k, k);
    }
    if (v->em == VEM_HMM_CATEGORICAL) /* each state's n / K symbols spread by Dirichlet(1) */
        redraw_rows(rng, ess + k + kk, k, d);
    st = vb_mstep(v, ess);
done:
    v->mode = MODE_POSTERIOR;
    v->mode_centers = NULL;
    vem__free(ess);
    vem__free(centers);
    return st;
}

static const vem_model_ops vb_ops = {
    .name = "vbhmm",
    .ess_len = vb_ess_len,
    .scratch_len = vb_scratch_len,
    .n_units = vb_n_units,
    .n_obs = vb_n_obs,
    .estep = vb_estep,
    .mstep = vb_mstep,
    .objective_extra = vb_objective_extra,
    .init = vb_init,
    .params_len = vb_params_len,
    .params_get = vb_params_get,
    .params_set = vb_params_set,
    .ess_from_params = vb_ess_from_params,
};

vem_model vem_vbhmm_model(vem_vbhmm *v)
{
    vem_model m = {.ops = &vb_ops, .self = v};
    return m;
}

/* ------------------------------------------------------------------ public fit */

/* Shapes, sequence boundaries, symbol codes and counts, finite Gaussian frames. share: one
 * process's share of a distributed fit, which may hold no frames and empty sequences. */
static vem_status check_data_share(const vem_vbhmm *v, const vem_matrix *x, const vem_seqs *seqs,
                                   int share)
{
    vem_status st = vem__hmm_check_data(v->em, v->dim, 0, x, seqs, share);
    for (size_t r = 0; st == VEM_OK && is_gauss(v) && r < x->rows; r++) {
        const double *xr = x->data + r * x->ld;
        for (size_t j = 0; j < x->cols; j++)
            if (!isfinite(xr[j]))
                return VEM_FAIL(VEM_EINVAL, "row %zu, column %zu: %g is not finite", r + 1, j + 1,
                                xr[j]);
    }
    return st;
}

void vem_vbhmm_fit_opts_init(vem_fit_opts *o)
{
    vem_fit_opts_init(o);
    o->tol_rule = VEM_TOL_TOTAL;
    o->tol = 1e-6;
    o->max_iter = 1000;
}

/* The engine's fit of v to data or src; on failure v keeps its posterior. */
static vem_status fit_restoring(vem_vbhmm *v, const vem_data *data, vem_source *src,
                                const vem_fit_opts *o, vem_rng *rng, vem_fit_result *res)
{
    vem_model m = vem_vbhmm_model(v);
    return vem__fit_restoring(&m, data, src, o, rng, res, "vem_vbhmm_fit", 1);
}

/*
 * The default priors from all the frames, before a fit whose initialisation may see a
 * sample of them (init_sample; a process's share): a pass of a fit of its own (warm
 * start, batch), summed over o->comm, so every process gets the same priors.
 */
static vem_status whole_priors(vem_vbhmm *v, const vem_data *data, vem_source *src,
                               const vem_fit_opts *o)
{
    vem_fit_opts po = *o;
    po.warm_start = 1; /* vem_fit_init only sums the counts */
    po.algorithm = VEM_ALG_BATCH;
    po.checkpoint = NULL;
    po.resume = NULL;
    po.n_init = 1;
    po.accelerate = VEM_ACCEL_NONE;
    vem_model m = vem_vbhmm_model(v);
    return vem__priors_pass(&m, data, src, &po, resolve_priors, v);
}

/* ------------------------------------------------------------------- moves */

/* The emission ESS of state j added into state i (i != SIZE_MAX), then j's zeroed. */
static void emis_fold(const vem_vbhmm *v, double *e, size_t i, size_t j)
{
    const size_t k = v->k, d = v->dim;
    size_t off[3], len[3], n = 0;
    if (v->em == VEM_HMM_CATEGORICAL) {
        off[n] = 0, len[n++] = d;
    } else {
        off[n] = 0, len[n++] = 1;
        off[n] = k, len[n++] = d;
        if (is_gauss(v))
            off[n] = k + k * d, len[n++] = v->pl;
    }
    for (size_t p = 0; p < n; p++)
        for (size_t q = 0; q < len[p]; q++) {
            if (i != SIZE_MAX)
                e[off[p] + i * len[p] + q] += e[off[p] + j * len[p] + q];
            e[off[p] + j * len[p] + q] = 0.0;
        }
}

/*
 * A move's proposal (Hughes, Stephenson & Sudderth 2015): the ESS the posterior stands
 * for, with state j's start, transitions and emissions merged into state i's (i != SIZE_MAX) or
 * deleted, then the update. State j is left with its prior alone.
 */
static vem_status propose(vem_vbhmm *v, size_t i, size_t j, double *ess)
{
    const size_t k = v->k, kk = k * k;
    double *st = ess, *tr = ess + k;
    vb_ess_from_params(v, ess);
    if (i != SIZE_MAX) {
        st[i] += st[j];
        for (size_t c = 0; c < k; c++) /* row j into row i, then column j into column i */
            tr[i * k + c] += tr[j * k + c];
        for (size_t r = 0; r < k; r++)
            if (r != j)
                tr[r * k + i] += tr[r * k + j];
    }
    st[j] = 0.0;
    for (size_t c = 0; c < k; c++)
        tr[j * k + c] = tr[c * k + j] = 0.0;
    emis_fold(v, ess + k + kk, i, j);
    for (size_t c = 0; c < k + kk; c++) /* round-off of posterior - prior */
        ess[c] = fmax(ess[c], 0.0);
    return vb_mstep(v, ess);
}

/* How far apart the emissions of states i and j are (posterior means), to try the closest
 * merges first. */
static double emis_distance(const vem_vbhmm *v, size_t i, size_t j)
{
    const size_t d = v->dim;
    double s = 0.0;
    if (is_gauss(v)) {
        const double *m = g_means(v);
        const size_t wi = is_tied(v) ? 0 : i, wj = is_tied(v) ? 0 : j;
        for (size_t a = 0; a < d; a++) {
            const double vi = v->covs[wi * v->pl + diag_at(v, a)];
            const double vj = v->covs[wj * v->pl + diag_at(v, a)];
            const double t = m[i * d + a] - m[j * d + a];
            s += t * t / (vi + vj);
        }
        return s;
    }
    for (size_t a = 0; a < d; a++)
        s += fabs(v->emean[i * d + a] - v->emean[j * d + a]) /
             (v->em == VEM_HMM_POISSON ? fmax(v->emean[i * d + a] + v->emean[j * d + a], 1e-12)
                                       : 1.0);
    return s;
}

typedef struct move {
    size_t i, j; /* merge j into i, or delete j (i = SIZE_MAX) */
    double key;  /* order of trial */
} move;

static int move_cmp(const void *a, const void *b)
{
    const move *x = a, *y = b;
    return x->key < y->key ? -1 : x->key > y->key ? 1 : 0;
}

/* Iterations a proposal runs before its ELBO is compared (sooner if it converges). */
#define MOVE_PROBE 100

/*
 * Delete and merge moves after VB-EM (Hughes, Stephenson & Sudderth 2015): each
 * effective state's deletion (smallest first) and each pair's merge (closest emissions
 * first) is proposed, VB-EM runs MOVE_PROBE iterations from it, and the first proposal
 * whose ELBO beats the current one is accepted and run to convergence; until no proposal
 * is accepted. VB-EM never lowers the ELBO, so every accepted move raises it. res: the
 * current fit's result on entry, the final one's on return (its violations the sum over
 * every run).
 */
static vem_status run_moves(vem_vbhmm *v, const vem_data *data, vem_source *src,
                            const vem_fit_opts *o, vem_rng *rng, vem_fit_result *res)
{
    const size_t k = v->k, plen = vb_params_len(v);
    vem_fit_opts po = *o;
    po.warm_start = 1;
    po.n_init = 1;
    po.checkpoint = NULL;
    po.resume = NULL;
    double *saved = vem__alloc_doubles(plen, 1), *ess = vem__alloc_doubles(vb_ess_len(v), 1);
    move *cand = vem__calloc(k + k * k, sizeof *cand);
    vem_status st = VEM_OK;
    if (!saved || !ess || !cand) {
        st = VEM_FAIL(VEM_ENOMEM, "moves");
        goto done;
    }
    size_t violations = res->n_violations;
    for (int accepted = 1; accepted && st == VEM_OK;) {
        accepted = 0;
        size_t n = 0;
        for (size_t j = 0; j < k; j++) {
            if (v->occ[j] < 1.0)
                continue;
            cand[n++] = (move){SIZE_MAX, j, v->occ[j] - 1e18}; /* deletes first */
            for (size_t i = 0; i < j; i++)
                if (v->occ[i] >= 1.0)
                    cand[n++] = (move){i, j, emis_distance(v, i, j)};
        }
        if (n <= 1)
            break;
        qsort(cand, n, sizeof *cand, move_cmp);
        const double cur = res->objective;
        vb_params_get(v, saved);
        for (size_t c = 0; c < n && !accepted && st == VEM_OK; c++) {
            if (propose(v, cand[c].i, cand[c].j, ess) != VEM_OK) {
                st = vb_params_set(v, saved);
                continue;
            }
            vem_fit_result r2;
            memset(&r2, 0, sizeof r2);
            po.max_iter = vem__min(o->max_iter, MOVE_PROBE);
            vem_model m = vem_vbhmm_model(v);
            vem_status s2 = src ? vem_fit_run_source(&m, src, &po, rng, &r2)
                                : vem_fit_run(&m, data, &po, rng, &r2);
            if ((s2 == VEM_OK || s2 == VEM_EMAXITER) && r2.objective > cur + 1e-9 * fabs(cur)) {
                accepted = 1;
                v->n_moves++;
                violations += r2.n_violations;
                if (s2 == VEM_EMAXITER && o->max_iter > MOVE_PROBE) {
                    vem_fit_result_clear(&r2);
                    po.max_iter = o->max_iter;
                    s2 = src ? vem_fit_run_source(&m, src, &po, rng, &r2)
                             : vem_fit_run(&m, data, &po, rng, &r2);
                    violations += r2.n_violations;
                }
                vem_fit_result_clear(res);
                *res = r2;
                if (s2 != VEM_OK && s2 != VEM_EMAXITER)
                    st = s2;
            } else {
                vem_fit_result_clear(&r2);
                if (s2 == VEM_EINTR)
                    st = s2;
                vem_status rs = vb_params_set(v, saved);
                if (st == VEM_OK)
                    st = rs;
            }
        }
    }
    res->n_violations = violations;
done:
    vem__free(saved);
    vem__free(ess);
    vem__free(cand);
    return st;
}

/* Resolve the default priors (unless set or warm-started), then fit. */
/*
 * The chunks of sub_len frames of data's sequences as the units of *chunks (the same
 * frames; *starts, owned by the caller, their boundaries) and v->sub_seq (each chunk's
 * sequence). VEM_ENOMEM.
 */
static vem_status make_chunks(vem_vbhmm *v, const vem_data *data, vem_data *chunks,
                              size_t **starts)
{
    const size_t L = v->sub_len, ns = vem__hmm_n_seq(data);
    size_t n = 0;
    for (size_t s = 0; s < ns; s++) {
        const size_t T = vem__hmm_seq_hi(data, s) - vem__hmm_seq_lo(data, s);
        n += T / L + (T % L != 0);
    }
    size_t *st = vem__calloc(n + 1, sizeof *st), *seq = vem__calloc(n ? n : 1, sizeof *seq);
    if (!st || !seq) {
        vem__free(st);
        vem__free(seq);
        return VEM_FAIL(VEM_ENOMEM, "subsequences: %zu chunks", n);
    }
    size_t c = 0;
    for (size_t s = 0; s < ns; s++)
        for (size_t r = vem__hmm_seq_lo(data, s); r < vem__hmm_seq_hi(data, s); r += L) {
            st[c] = r;
            seq[c++] = s;
        }
    st[n] = n ? vem__hmm_seq_hi(data, seq[n - 1]) : 0;
    *chunks = *data;
    chunks->seq_start = st;
    chunks->n_seq = n;
    *starts = st;
    v->sub_seq = seq;
    return VEM_OK;
}

static vem_status fit_any(vem_vbhmm *v, const vem_data *data, vem_source *src,
                          const vem_fit_opts *o, vem_rng *rng, vem_fit_result *res)
{
    const int need = (is_gauss(v) && !v->m0_user) || (v->em == VEM_HMM_POISSON && !v->r0_user);
    if (o->warm_start && ((is_gauss(v) && !v->m0_known) ||
                          (v->em == VEM_HMM_POISSON && !v->r0_known)))
        return VEM_FAIL(VEM_EINVAL, "a warm start needs the priors set (or a fitted model)");
    if (v->moves && o->algorithm != VEM_ALG_BATCH)
        return VEM_FAIL(VEM_EINVAL, "delete and merge moves compare ELBOs: batch VB-EM only");
    if (v->sub_len && (o->algorithm != VEM_ALG_STEPWISE || src))
        return VEM_FAIL(VEM_EINVAL, "subsequence minibatches (Foti et al. 2014) are for "
                                    "stochastic VI in memory: algorithm stepwise, not %s",
                        src ? "a source" : vem_algorithm_name(o->algorithm));
    vem_status st = VEM_OK;
#ifdef _OPENMP
    v->nthreads = o->nthreads > 0 ? o->nthreads : omp_get_max_threads();
#endif
    if (need && !o->warm_start)
        st = whole_priors(v, data, src, o);
    if (st != VEM_OK)
        return st;
    v->priors_shared = need && !o->warm_start;
    v->n_moves = 0;
    vem_fit_result mine;
    vem_fit_result *r = res ? res : &mine;
    memset(&mine, 0, sizeof mine);
    vem_data chunks;
    size_t *starts = NULL;
    if (v->sub_len)
        st = make_chunks(v, data, &chunks, &starts);
    if (st == VEM_OK) {
        v->sub_whole = data;
        v->sub_starts = starts;
        st = fit_restoring(v, v->sub_len ? &chunks : data, src, o, rng, r);
    }
    vem__free(starts);
    vem__free(v->sub_seq);
    v->sub_seq = NULL;
    v->sub_whole = NULL;
    v->sub_starts = NULL;
    if (v->sub_len && (st == VEM_OK || st == VEM_EMAXITER || st == VEM_EINTR)) {
        /* The passes' objectives are buffered estimates: report the exact ELBO. */
        vem_status es = elbo_pass(v, data, o, &r->objective);
        if (es != VEM_OK)
            st = es;
    }
    if (v->moves && (st == VEM_OK || st == VEM_EMAXITER)) {
        vem_status ms = run_moves(v, data, src, o, rng, r);
        if (ms != VEM_OK)
            st = ms;
        else
            st = r->converged ? VEM_OK : VEM_EMAXITER;
    }
    v->priors_shared = 0;
    vem_fit_result_clear(&mine);
    return st;
}

vem_status vem_vbhmm_fit(vem_vbhmm *v, const vem_matrix *x, const vem_seqs *seqs,
                         const vem_fit_opts *o, vem_rng *rng, vem_fit_result *res)
{
    vem_fit_opts defaults;
    if (!o) {
        vem_vbhmm_fit_opts_init(&defaults);
        o = &defaults;
    }
    vem_status st = check_data_share(v, x, seqs, o->comm != NULL);
    if (st != VEM_OK)
        return st;
    if (v->em != VEM_HMM_CATEGORICAL && v->init == VEM_HMM_INIT_KMEANS && !o->warm_start &&
        !o->comm && x->rows < v->k)
        return VEM_FAIL(VEM_EINVAL, "%zu frames, fewer than k=%zu states", x->rows, v->k);
    vem_data data = vem_hmm_data(x, seqs);
    v->max_len = vem__hmm_longest(&data);
    return fit_any(v, &data, NULL, o, rng, res);
}

vem_status vem_vbhmm_fit_source(vem_vbhmm *v, vem_source *src, const vem_fit_opts *o,
                                vem_rng *rng, vem_fit_result *res)
{
    vem_fit_opts defaults;
    if (!o) {
        vem_vbhmm_fit_opts_init(&defaults);
        o = &defaults;
    }
    vem_status st = vem__hmm_check_source(v->em, v->dim, src, "vem_vbhmm_fit_source");
    if (st != VEM_OK)
        return st;
    const size_t rows = vem_source_rows(src);
    if (v->em != VEM_HMM_CATEGORICAL && v->init == VEM_HMM_INIT_KMEANS && !o->warm_start &&
        !o->comm && rows < v->k)
        return VEM_FAIL(VEM_EINVAL, "%zu frames, fewer than k=%zu states", rows, v->k);
    st = vem__hmm_prepare_source(v->em, v->dim, 0, src, &v->max_len);
    return st == VEM_OK ? fit_any(v, NULL, src, o, rng, res) : st;
}

/* ------------------------------------------------------------- score, plug-in HMM */

/* *elbo = the ELBO of v's posterior on data (whole sequences), summed over o's communicator when o is given; *elbo is left alone on error. */
static vem_status elbo_pass(vem_vbhmm *v, const vem_data *data, const vem_fit_opts *o,
                            double *elbo)
{
    vem_fit_opts eo;
    vem_fit_opts_init(&eo);
    if (o) {
        eo.comm = o->comm;
        eo.nthreads = o->nthreads;
        eo.nslots = o->nslots;
    }
    vem_model m = vem_vbhmm_model(v);
    vem_fit *f = vem_fit_new(&m, data, &eo);
    double *ess = vem__alloc_doubles(vb_ess_len(v), 1);
    double s = 0.0;
    vem_status st;
    if (!f)
        st = vem__last_status();
    else if (!ess)
        st = VEM_FAIL(VEM_ENOMEM, "ELBO");
    else
        st = vem_fit_pass(f, &m, ess, &s);
    if (st == VEM_OK) {
        s += vb_objective_extra(v);
        if (!isfinite(s))
            st = VEM_FAIL(VEM_ENUMERIC, "the ELBO is not finite (%g): a sequence has weight "
                                        "zero under the model", s);
    }
    vem__free(ess);
    vem_fit_free(f);
    if (st == VEM_OK)
        *elbo = s;
    return st;
}

vem_status vem_vbhmm_elbo(const vem_vbhmm *v, const vem_matrix *x, const vem_seqs *seqs,
                          double *elbo)
{
    vem_status st = check_data_share(v, x, seqs, 0);
    if (st != VEM_OK)
        return st;
    if ((is_gauss(v) && !v->m0_known) || (v->em == VEM_HMM_POISSON && !v->r0_known))
        return VEM_FAIL(VEM_EINVAL, "the priors are not resolved: fit or set them first");
    /* A copy: the scratch is sized by the longest sequence, and v is const. */
    vem_vbhmm *c = vem_vbhmm_copy(v);
    if (!c)
        return vem__last_status();
    vem_data data = vem_hmm_data(x, seqs);
    c->max_len = vem__hmm_longest(&data);
    st = elbo_pass(c, &data, NULL, elbo);
    vem_vbhmm_free(c);
    return st;
}

vem_hmm *vem_vbhmm_to_hmm(const vem_vbhmm *v)
{
    vem_hmm *h = vem_hmm_new(v->k, v->em, v->dim, v->cov);
    if (!h)
        return NULL;
    vem_status st = vem_hmm_set_startprob(h, v->pi_mean);
    if (st == VEM_OK)
        st = vem_hmm_set_transmat(h, v->a_mean);
    if (st == VEM_OK && is_gauss(v))
        st = vem_hmm_set_gaussian(h, g_means(v), v->covs);
    else if (st == VEM_OK && v->em == VEM_HMM_CATEGORICAL)
        st = vem_hmm_set_emissionprob(h, v->emean);
    else if (st == VEM_OK)
        st = vem_hmm_set_lambdas(h, v->emean);
    if (st == VEM_OK && v->columns)
        st = vem_hmm_set_columns(h, (const char *const *)v->columns);
    if (st == VEM_OK && v->symbols)
        st = vem_hmm_set_symbols(h, (const char *const *)v->symbols);
    if (st == VEM_OK && v->symbol_column)
        st = vem_hmm_set_symbol_column(h, v->symbol_column);
    if (st != VEM_OK) {
        vem_hmm_free(h);
        return NULL;
    }
    return h;
}

vem_status vem_vbhmm_decode(const vem_vbhmm *v, const vem_matrix *x, const vem_seqs *seqs,
                            size_t *states, double *log_prob)
{
    vem_hmm *h = vem_vbhmm_to_hmm(v);
    if (!h)
        return vem__last_status();
    vem_status st = vem_hmm_decode(h, x, seqs, states, log_prob);
    vem_hmm_free(h);
    return st;
}

vem_status vem_vbhmm_predict_proba(const vem_vbhmm *v, const vem_matrix *x,
                                   const vem_seqs *seqs, double *out)
{
    vem_hmm *h = vem_vbhmm_to_hmm(v);
    if (!h)
        return vem__last_status();
    vem_status st = vem_hmm_predict_proba(h, x, seqs, out);
    vem_hmm_free(h);
    return st;
}

vem_status vem_vbhmm_sample(const vem_vbhmm *v, size_t n, vem_rng *rng, double *out,
                            size_t *states)
{
    vem_hmm *h = vem_vbhmm_to_hmm(v);
    if (!h)
        return vem__last_status();
    vem_status st = vem_hmm_sample(h, n, rng, out, states);
    vem_hmm_free(h);
    return st;
}
