/*
 * src/models/lda.c — latent Dirichlet allocation by variational EM
 * (include/vem/lda.h; maths and sources in docs/lda.md).
 *
 * Layout: lambda, its E[log beta] and the ESS are stored word-major (v x k),
 * so the E-step reads and writes one contiguous row of k doubles per distinct
 * word of a document and touches nothing else (sparse E-step).
 *
 * The E-step uses two free rescalings. phi_dwk ∝ exp(E[log theta_dk]) exp(E[log beta_kw])
 * does not change when the first factor is scaled per document or the second
 * per word, so the sweeps use
 *     et_k = exp(psi(gamma_k) - max_j psi(gamma_j))      (document scale dropped)
 *     eb_wk = exp(E[log beta_kw] - max_j E[log beta_jw])  (per-word scale, cached)
 * whose largest entries are 1: no underflow for any realistic alpha and eta,
 * and the scales come back exactly in the bound as log terms. The normaliser
 * s_w = sum_k et_k eb_wk has a floor of 1e-300 (VEM_LDA_FLOOR) only against a
 * total underflow; no epsilon is ever added to it (gensim's and scikit-learn's
 * `+ eps` of the input dtype competes with real probabilities: REFERENCE.md).
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include <vem/io.h>
#include <vem/lda.h>

#include "internal.h"
#include "linalg/special.h"
#include "models/lda_internal.h"

int vem__lda_narrow;

/* The vector helpers below are inlined into target_clones kernels only; GCC's note that
 * AVX vector returns change the ABI (-Wpsabi) concerns calls across files, not these. */
#pragma GCC diagnostic ignored "-Wpsabi"

#define VEM_LDA_FLOOR 1e-300
/* Range of alpha and eta: the vector special functions need normal numbers and
 * products of ten shifted arguments below the overflow threshold. */
#define PRIOR_MIN 1e-100
#define PRIOR_MAX 1e10
/* Bytes of per-slot ESS buffers vem_lda_fit aims for (slot count cap). */
#define SLOT_BUDGET (48.0 * 1024 * 1024)
/* Extra ESS entries after the v x k counts. */
/* X_MCALL, X_MCONE: set by the Monte-Carlo E-step only (lda_estep_mc). */
enum { X_ELOGTHETA = 0, X_NDOCS, X_NCONV, X_SWEEPS, X_MCALL, X_MCONE, N_EXTRA };

/* The E-step statistics of one restart's passes, one entry per M-step. */
typedef struct lda_run {
    vem_lda_pass_info *e;
    size_t len, cap;
    size_t serial; /* which restart: 1, 2, ... in the model's life; 0 for none */
} lda_run;

struct vem_lda {
    size_t k, v;
    size_t kp; /* k rounded up to a multiple of 8: the row stride of eb */
    double alpha, eta;
    double alpha_init; /* the alpha every restart starts from: the one last set */
    int alpha_auto;
    int warm_gamma; /* start each document's E-step from its last gamma */
    double gtol;
    size_t max_sweeps;
    int nthreads; /* for the M-step's derived quantities; 0 = OpenMP default */
    size_t gather_rows; /* rows of eb a worker copies per document (scratch size) */

    double *lam;    /* v x k */
    double *eb;     /* v x kp: exp(E[log beta_kw] - shift_w), zero padding */
    double *shift;  /* v: max_k E[log beta_kw] */
    double *lamsum; /* k */
    double *psisum; /* k: psi(lamsum) */
    double *work;   /* v: per-word partial sums of the global term */
    double global;  /* -KL(q(beta) || p(beta)) of the current lambda */
    char **vocab;

    /* Warm starts of gamma for the training documents (set by init). */
    double *gcache;
    size_t gcache_docs;
    const vem_docs *gcache_key;

    /*
     * The pass histories of the latest restarts, at most one per restart a fit
     * makes (restart serial s in runs[s % nruns]); runs[cur] is the one the
     * parameters come from: the running restart, or after the engine restored
     * the best restart's parameters (params_set), that restart's.
     */
    lda_run *runs;
    size_t nruns, cur, serial;
};

/* ---------------------------------------------------------------- lifetime */

static void free_vocab(vem_lda *l)
{
    if (l->vocab) {
        for (size_t w = 0; w < l->v; w++)
            vem__free(l->vocab[w]);
        vem__free(l->vocab);
        l->vocab = NULL;
    }
}

static void drop_cache(vem_lda *l)
{
    vem__free(l->gcache);
    l->gcache = NULL;
    l->gcache_docs = 0;
    l->gcache_key = NULL;
}

void vem_lda_free(vem_lda *l)
{
    if (!l)
        return;
    vem__free(l->lam);
    vem__free(l->eb);
    vem__free(l->shift);
    vem__free(l->lamsum);
    vem__free(l->psisum);
    vem__free(l->work);
    free_vocab(l);
    drop_cache(l);
    for (size_t r = 0; r < l->nruns; r++)
        vem__free(l->runs[r].e);
    vem__free(l->runs);
    vem__free(l);
}

static void prepare(vem_lda *l);

vem_lda *vem_lda_new(size_t k, size_t v)
{
    size_t vk;
    if (k == 0 || v == 0 || v > UINT32_MAX) {
        VEM_FAIL(VEM_EINVAL, "vem_lda_new: k=%zu and v=%zu must be >= 1 (v < 2^32)", k, v);
        return NULL;
    }
    if (!vem__mul_ok(v, k, &vk) || vk > SIZE_MAX / sizeof(double) - N_EXTRA) {
        VEM_FAIL(VEM_ENOMEM, "vem_lda_new: k=%zu v=%zu overflow", k, v);
        return NULL;
    }
    {
        /* lambda and exp E[log beta] (padded), k x v each. */
        char what[96];
        snprintf(what, sizeof what, "LDA with %zu topics over %zu words", k, v);
        if (vem__check_memory(what, 2.0 * (double)((k + 7) / 8 * 8) * (double)v * sizeof(double)) !=
            VEM_OK)
            return NULL;
    }
    vem_lda *l = vem__calloc(1, sizeof *l);
    if (!l)
        goto oom;
    l->k = k;
    l->kp = (k + 7) / 8 * 8;
    l->v = v;
    l->alpha = l->alpha_init = 1.0 / (double)k;
    l->eta = 1.0 / (double)k;
    l->gtol = 1e-3;
    l->max_sweeps = 100;
    l->nthreads = 1;
    l->lam = vem__alloc_doubles(v, k);
    l->eb = vem__alloc_doubles(v, l->kp); /* zeroed: the padding stays 0 */
    l->shift = vem__alloc_doubles(v, 1);
    l->lamsum = vem__alloc_doubles(k, 1);
    l->psisum = vem__alloc_doubles(k, 1);
    l->work = vem__alloc_doubles(v, 1);
    if (!l->lam || !l->eb || !l->shift || !l->lamsum || !l->psisum || !l->work)
        goto oom;
    for (size_t i = 0; i < vk; i++)
        l->lam[i] = 1.0;
    prepare(l);
    return l;
oom:
    vem_lda_free(l);
    VEM_FAIL(VEM_ENOMEM, "vem_lda_new(k=%zu, v=%zu): out of memory", k, v);
    return NULL;
}

size_t vem_lda_k(const vem_lda *l) { return l->k; }
size_t vem_lda_v(const vem_lda *l) { return l->v; }
double vem_lda_alpha(const vem_lda *l) { return l->alpha; }
double vem_lda_eta(const vem_lda *l) { return l->eta; }
int vem_lda_alpha_auto(const vem_lda *l) { return l->alpha_auto; }

vem_status vem_lda_set_alpha(vem_lda *l, double alpha)
{
    if (!(alpha >= PRIOR_MIN && alpha <= PRIOR_MAX))
        return VEM_FAIL(VEM_EINVAL, "alpha=%g must be in [%g, %g]", alpha, PRIOR_MIN, PRIOR_MAX);
    l->alpha = l->alpha_init = alpha;
    return VEM_OK;
}

void vem_lda_set_warm_gamma(vem_lda *l, int on)
{
    l->warm_gamma = on != 0;
}

void vem_lda_set_alpha_auto(vem_lda *l, int on)
{
    l->alpha_auto = on != 0;
}

vem_status vem_lda_set_eta(vem_lda *l, double eta)
{
    if (!(eta >= PRIOR_MIN && eta <= PRIOR_MAX))
        return VEM_FAIL(VEM_EINVAL, "eta=%g must be in [%g, %g]", eta, PRIOR_MIN, PRIOR_MAX);
    if (eta == l->eta)
        return VEM_OK; /* nothing derived changes (the K x V digammas are not cheap) */
    l->eta = eta;
    prepare(l); /* the global term depends on eta */
    return VEM_OK;
}

vem_status vem_lda_set_estep(vem_lda *l, double tol, size_t max_sweeps)
{
    if (!(tol >= 0.0) || !isfinite(tol) || max_sweeps == 0)
        return VEM_FAIL(VEM_EINVAL, "E-step: tol=%g must be finite and >= 0, max_sweeps=%zu >= 1",
                        tol, max_sweeps);
    l->gtol = tol;
    l->max_sweeps = max_sweeps;
    return VEM_OK;
}

vem_status vem_lda_set_lambda(vem_lda *l, const double *lambda)
{
    const size_t k = l->k, v = l->v;
    for (size_t t = 0; t < k; t++)
        for (size_t w = 0; w < v; w++) {
            double x = lambda[t * v + w];
            if (!(x > 0.0) || !isfinite(x))
                return VEM_FAIL(VEM_EINVAL, "lambda[%zu][%zu]=%g must be finite and > 0", t, w,
                                x);
        }
    for (size_t t = 0; t < k; t++)
        for (size_t w = 0; w < v; w++)
            l->lam[w * k + t] = lambda[t * v + w];
    prepare(l);
    return VEM_OK;
}

void vem_lda_get_lambda(const vem_lda *l, double *out)
{
    const size_t k = l->k, v = l->v;
    for (size_t w = 0; w < v; w++)
        for (size_t t = 0; t < k; t++)
            out[t * v + w] = l->lam[w * k + t];
}

void vem_lda_get_topics(const vem_lda *l, double *out)
{
    const size_t k = l->k, v = l->v;
    for (size_t w = 0; w < v; w++)
        for (size_t t = 0; t < k; t++)
            out[t * v + w] = l->lam[w * k + t] / l->lamsum[t];
}

vem_status vem_lda_set_vocab(vem_lda *l, const char *const *words)
{
    if (!words) {
        free_vocab(l);
        return VEM_OK;
    }
    for (size_t w = 0; w < l->v; w++)
        if (!words[w] || !words[w][0])
            return VEM_FAIL(VEM_EINVAL, "vocabulary word %zu is empty", w + 1);
    char **p = vem__calloc(l->v, sizeof *p);
    if (!p)
        return VEM_FAIL(VEM_ENOMEM, "vocabulary");
    for (size_t w = 0; w < l->v; w++) {
        p[w] = vem__strdup(words[w]);
        if (!p[w]) {
            for (size_t j = 0; j < w; j++)
                vem__free(p[j]);
            vem__free(p);
            return VEM_FAIL(VEM_ENOMEM, "vocabulary");
        }
    }
    free_vocab(l);
    l->vocab = p;
    return VEM_OK;
}

const char *const *vem_lda_vocab(const vem_lda *l)
{
    return (const char *const *)l->vocab;
}

/* ------------------------------------------------------- derived quantities */

static int resolve_threads(int n)
{
#ifdef _OPENMP
    return n > 0 ? n : omp_get_max_threads();
#else
    (void)n;
    return 1;
#endif
}

/* ------------------------------------------------------------ the E-step */

/* Document doc of d: its word ids, counts and length. */
static size_t doc_view(const vem_docs *d, size_t doc, const uint32_t **ids, const double **cts)
{
    size_t lo = d->ptr[doc], hi = d->ptr[doc + 1];
    *ids = d->word + lo;
    *cts = d->count + lo;
    return hi - lo;
}

/* The starting gamma of a document of ntok tokens: alpha + ntok / k (as lda-c). */
static void gamma_start(const vem_lda *l, const double *cts, size_t n, double *g)
{
    double ntok = 0.0;
    for (size_t i = 0; i < n; i++)
        ntok += cts[i];
    const double g0 = l->alpha + ntok / (double)l->k;
    for (size_t t = 0; t < l->k; t++)
        g[t] = g0;
}

/*
 * A document as the kernels read it: its words and counts, and the rows of eb
 * they use: row ridx[i] of rows for word i. rows is either eb itself
 * (ridx = ids) or a copy of the document's rows made once per E-step
 * (ridx = 0, 1, ...): the copy is contiguous and 64-byte aligned, so the 30
 * or so sweeps that follow stream it from cache instead of gathering rows
 * from all of eb. Narrow rows (k <= 24) are copied too: the copy costs a
 * sweep's reads once, and with AVX-512 eb's unaligned rows cost more.
 */
typedef struct doc_ref {
    const uint32_t *ids;
    const double *cts;
    size_t n;
    const double *rows;
    const uint32_t *ridx;
    /* The next document's words (pf_n of them; NULL: none), whose rows of eb
     * and of pf_ess (stride k; NULL: none) doc_gamma prefetches. */
    const uint32_t *pf_ids;
    size_t pf_n;
    const double *pf_ess;
} doc_ref;

/* Most doubles of eb rows one worker copies per document (8 MB). */
#define GATHER_MAX ((size_t)1 << 20)

/* Rows a worker's copy holds for documents of at most max_nnz distinct words. */
static size_t gather_rows_for(const vem_lda *l, size_t max_nnz)
{
    return vem__min(max_nnz, GATHER_MAX / l->kp);
}

/* Doubles of scratch for a row copy of `rows` rows and its index. */
static size_t gather_len(const vem_lda *l, size_t rows)
{
    return rows * l->kp + rows / 2 + 1 + 8; /* + 8: room to align the rows to 64 bytes */
}

/* Set up dr for a document; gbuf (gather_len(l, cap) doubles, or NULL) receives its rows when they fit. */
static void doc_setup(const vem_lda *l, const uint32_t *ids, const double *cts, size_t n,
                      double *gbuf, size_t cap, doc_ref *dr)
{
    const size_t kp = l->kp;
    dr->ids = ids;
    dr->cts = cts;
    dr->n = n;
    dr->rows = l->eb;
    dr->ridx = ids;
    dr->pf_ids = NULL;
    dr->pf_n = 0;
    dr->pf_ess = NULL;
    if (!gbuf || n > cap || n < 8)
        return;
    /* Rows on 64-byte boundaries (kp * 8 bytes is a multiple of 64): an
     * unaligned 8-double load crosses two cache lines. */
    gbuf += (64 - (uintptr_t)gbuf % 64) % 64 / sizeof *gbuf;
    uint32_t *idx = (uint32_t *)(void *)(gbuf + cap * kp);
    for (size_t i = 0; i < n; i++) {
        memcpy(gbuf + i * kp, l->eb + (size_t)ids[i] * kp, kp * sizeof *gbuf);
        idx[i] = (uint32_t)i;
    }
    dr->rows = gbuf;
    dr->ridx = idx;
}

/* Largest number of distinct words in a document of d. */
static size_t max_doc_nnz(const vem_docs *d)
{
    size_t m = 0;
    for (size_t doc = 0; doc < d->ndocs; doc++)
        m = vem__max(m, d->ptr[doc + 1] - d->ptr[doc]);
    return m;
}

/*
 * et_k = exp(psi(g_k) - max_j psi(g_j)) for k < k, 0 in the padding up to kp;
 * dg receives psi(g_k). Returns the max.
 */
static double exp_elog(size_t k, size_t kp, const double *g, double *dg, double *et)
{
    double mx = -INFINITY;
    for (size_t t = 0; t < k; t++) {
        dg[t] = vem__digamma(g[t]);
        mx = dg[t] > mx ? dg[t] : mx;
    }
    for (size_t t = 0; t < k; t++)
        et[t] = exp(dg[t] - mx);
    for (size_t t = k; t < kp; t++)
        et[t] = 0.0;
    return mx;
}

/*
 * The hot kernels are compiled twice (baseline and x86-64-v3, chosen once per
 * process from the CPU) with multiply-adds contracted to FMA. The file is C11,
 * where GCC's default is -ffp-contract=off, hence its optimize attribute. Clang
 * has no such attribute; its default, -ffp-contract=on, already contracts
 * a * b + c within an expression, which is every multiply-add in these kernels.
 */
#if defined(__GNUC__) && !defined(__clang__)
#define KERNEL __attribute__((target_clones("default", "arch=x86-64-v3"), optimize("fp-contract=fast")))
#else
#define KERNEL __attribute__((target_clones("default", "arch=x86-64-v3")))
#endif

/* Words per chunk of the sweep kernel, and the topic block (kp is a multiple of it). */
#define CHUNK 32
#define TB 8

typedef double v4d __attribute__((vector_size(32)));
typedef int64_t v4l __attribute__((vector_size(32)));
/* The same vector type at any 8-byte alignment, allowed to alias doubles: loads from rows. */
typedef double v4du __attribute__((vector_size(32), aligned(8), may_alias));
#define ld4(p) (*(const v4du *)(const void *)(p))

#if defined(__clang__)
#define SHUF4(a, b, i, j, k, l) __builtin_shufflevector((a), (b), i, j, k, l)
#else
#define SHUF4(a, b, i, j, k, l) __builtin_shuffle((a), (b), (v4l){i, j, k, l})
#endif

/*
 * The sums of the lanes of a, b, c and d in one vector, each as
 * (x0 + x2) + (x1 + x3): five shuffles and three adds for four words, where
 * extracting the lanes one by one takes about four operations per word.
 */
static inline __attribute__((always_inline)) v4d hsum4x4(v4d a, v4d b, v4d c, v4d d)
{
    const v4d ac = SHUF4(a, c, 0, 1, 4, 5) + SHUF4(a, c, 2, 3, 6, 7); /* a02 a13 c02 c13 */
    const v4d bd = SHUF4(b, d, 0, 1, 4, 5) + SHUF4(b, d, 2, 3, 6, 7);
    return SHUF4(ac, bd, 0, 4, 2, 6) + SHUF4(ac, bd, 1, 5, 3, 7);
}

/* max(x, VEM_LDA_FLOOR) lane by lane; a NaN becomes the floor. */
static inline __attribute__((always_inline)) v4d floor4(v4d x)
{
    const v4d fl = {VEM_LDA_FLOOR, VEM_LDA_FLOOR, VEM_LDA_FLOOR, VEM_LDA_FLOOR};
    const v4l gt = x > fl;
    return (v4d)(((v4l)x & gt) | ((v4l)fl & ~gt));
}

/*
 * acc[t0, t0 + 8 nb) += sum_j r_j rows_j[t0, t0 + 8 nb) over the m words of a
 * chunk, in two interleaved word streams (even and odd j) added at the end:
 * 4 nb accumulators, enough independent FMA chains to cover their latency
 * (nb = 3: 12 of the 16 AVX registers). Each lane's order of additions is
 * that of nb = 1, so the blocking does not change the bits. The loops over u
 * are unrolled at every optimisation level: an array indexed in a loop that
 * stays a loop lives on the stack (-O2 without the pragma: twice as slow).
 */
static inline __attribute__((always_inline)) void
acc_blocks(int nb, const double *const *rows, const double *r, size_t m, size_t t0,
           double *acc)
{
    v4d a[6], b[6];
#pragma GCC unroll 6
    for (int u = 0; u < 2 * nb; u++) {
        a[u] = ld4(acc + t0 + 4 * u);
        b[u] = (v4d){0, 0, 0, 0};
    }
    size_t j = 0;
    for (; j + 1 < m; j += 2) {
        const double *p = rows[j] + t0, *q = rows[j + 1] + t0;
        const double rp = r[j], rq = r[j + 1];
#pragma GCC unroll 6
        for (int u = 0; u < 2 * nb; u++) {
            a[u] += rp * ld4(p + 4 * u);
            b[u] += rq * ld4(q + 4 * u);
        }
    }
    if (j < m) {
        const double *p = rows[j] + t0;
#pragma GCC unroll 6
        for (int u = 0; u < 2 * nb; u++)
            a[u] += r[j] * ld4(p + 4 * u);
    }
#pragma GCC unroll 6
    for (int u = 0; u < 2 * nb; u++) {
        const v4d x = a[u] + b[u];
        memcpy(acc + t0 + 4 * u, &x, sizeof x);
    }
}

/*
 * One sweep's data part: acc_k = sum_i (c_i / s_i) eb_{w_i k} with
 * s_i = sum_k et_k eb_{w_i k}, over rows of stride kp (zero padded). Words go
 * in chunks: first the chunk's normalisers (independent dot products, four
 * words' lanes summed together by shuffles), then the accumulation, three
 * topic blocks at a time with the accumulators in registers and two
 * interleaved word streams to hide the FMA latency. With rev, the chunks go
 * last to first (doc_gamma alternates): a sweep then starts on the rows the
 * last one ended on, still in L1, where a fixed order finds none of them
 * there once a document's rows outgrow L1 (k = 100: 0.8 KB a word; 6 % of
 * the fit on short documents). The order of every sum is fixed by kp, n and
 * rev alone, so the bits do not depend on the threads. Compiled twice
 * (baseline and x86-64-v3 with FMA contraction); the clone is chosen once per
 * process from the CPU.
 */
KERNEL static void
sweep_words(size_t kp, const double *restrict eb, const uint32_t *restrict ids,
            const double *restrict cts, size_t n, const double *restrict et,
            double *restrict acc, int rev)
{
    const double *rows[CHUNK];
    double r[CHUNK];
    for (size_t t = 0; t < kp; t++)
        acc[t] = 0.0;
    const size_t nch = (n + CHUNK - 1) / CHUNK;
    for (size_t c = 0; c < nch; c++) {
        const size_t i0 = (rev ? nch - 1 - c : c) * CHUNK;
        const size_t m = n - i0 < CHUNK ? n - i0 : CHUNK;
        for (size_t j = 0; j < m; j++)
            rows[j] = eb + (size_t)ids[i0 + j] * kp;
        /* Normalisers of four words at a time: eight independent FMA chains. */
        size_t j = 0;
        for (; j + 4 <= m; j += 4) {
            const double *p0 = rows[j], *p1 = rows[j + 1], *p2 = rows[j + 2], *p3 = rows[j + 3];
            v4d a0 = {0, 0, 0, 0}, a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, d0 = a0, d1 = a0;
            for (size_t t0 = 0; t0 < kp; t0 += TB) {
                const v4d e0 = ld4(et + t0), e1 = ld4(et + t0 + 4);
                a0 += e0 * ld4(p0 + t0);
                a1 += e1 * ld4(p0 + t0 + 4);
                b0 += e0 * ld4(p1 + t0);
                b1 += e1 * ld4(p1 + t0 + 4);
                c0 += e0 * ld4(p2 + t0);
                c1 += e1 * ld4(p2 + t0 + 4);
                d0 += e0 * ld4(p3 + t0);
                d1 += e1 * ld4(p3 + t0 + 4);
            }
            const v4d rv = ld4(cts + i0 + j) / floor4(hsum4x4(a0 + a1, b0 + b1, c0 + c1, d0 + d1));
            memcpy(r + j, &rv, sizeof rv);
        }
        for (; j < m; j++) {
            const double *p = rows[j];
            v4d a0 = {0, 0, 0, 0}, a1 = {0, 0, 0, 0};
            for (size_t t0 = 0; t0 < kp; t0 += TB) {
                a0 += ld4(et + t0) * ld4(p + t0);
                a1 += ld4(et + t0 + 4) * ld4(p + t0 + 4);
            }
            v4d a = a0 + a1;
            double sj = (a[0] + a[2]) + (a[1] + a[3]);
            r[j] = cts[i0 + j] / (sj > VEM_LDA_FLOOR ? sj : VEM_LDA_FLOOR);
        }
        size_t t0 = 0;
        for (; t0 + 3 * TB <= kp; t0 += 3 * TB)
            acc_blocks(3, rows, r, m, t0, acc);
        if (kp - t0 == 2 * TB)
            acc_blocks(2, rows, r, m, t0, acc);
        else if (kp - t0 == TB)
            acc_blocks(1, rows, r, m, t0, acc);
    }
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
/*
 * The same kernels for CPUs with AVX-512 (x86-64-v4), chosen per call by
 * wide_ok(): one 8-topic block is one 8-double vector where the kernels above
 * hold two of 4, and 32 registers hold twice the accumulators. The sums are
 * those of the 4-wide kernels lane for lane, in the same order, so both give
 * the same bits. Not a third target_clones clone: GCC splits 8-double vectors
 * through the stack in the AVX2 clone. Measured on Zen 5 (one thread, 10
 * passes, short documents): k = 100 about 10 % faster, k = 20 about 12 % with
 * the row copy aligned to 64 bytes (doc_setup), where unaligned 64-byte loads
 * each cross two cache lines. GCC 12 or later: __builtin_cpu_supports with an
 * ISA level, __builtin_shufflevector.
 */
#define VEM_LDA_WIDE 1
#define WIDE __attribute__((target("arch=x86-64-v4"), optimize("fp-contract=fast")))
typedef double v8d __attribute__((vector_size(64)));
typedef int64_t v8l __attribute__((vector_size(64)));
typedef double v8du __attribute__((vector_size(64), aligned(8), may_alias));
#define ld8(p) (*(const v8du *)(const void *)(p))

static int wide_ok(void)
{
    return !vem__lda_narrow && __builtin_cpu_supports("x86-64-v4");
}

/* Lanes u and u + 4 of a added: the a0 + a1 of sweep_words. */
static inline __attribute__((always_inline)) v4d lohi8(v8d a)
{
    v4d lo, hi;
    memcpy(&lo, &a, sizeof lo);
    memcpy(&hi, (const char *)&a + sizeof lo, sizeof hi);
    return lo + hi;
}

/* s[u] = r_u / max(sum of the lanes of a[u], floor) for four words, as in sweep_words. */
static inline __attribute__((always_inline)) v4d ratio4(const double *c, const v8d *a)
{
    return ld4(c) / floor4(hsum4x4(lohi8(a[0]), lohi8(a[1]), lohi8(a[2]), lohi8(a[3])));
}

/* acc_blocks with one 8-double vector per block: 2 nb accumulators (nb <= 5). */
static inline __attribute__((always_inline)) void
acc_blocks8(int nb, const double *const *rows, const double *r, size_t m, size_t t0,
            double *acc)
{
    v8d a[5], b[5];
#pragma GCC unroll 5
    for (int u = 0; u < nb; u++) {
        a[u] = ld8(acc + t0 + 8 * (size_t)u);
        b[u] = (v8d){0, 0, 0, 0, 0, 0, 0, 0};
    }
    size_t j = 0;
    for (; j + 1 < m; j += 2) {
        const double *p = rows[j] + t0, *q = rows[j + 1] + t0;
        const double rp = r[j], rq = r[j + 1];
#pragma GCC unroll 5
        for (int u = 0; u < nb; u++) {
            a[u] += rp * ld8(p + 8 * (size_t)u);
            b[u] += rq * ld8(q + 8 * (size_t)u);
        }
    }
    if (j < m) {
        const double *p = rows[j] + t0;
#pragma GCC unroll 5
        for (int u = 0; u < nb; u++)
            a[u] += r[j] * ld8(p + 8 * (size_t)u);
    }
#pragma GCC unroll 5
    for (int u = 0; u < nb; u++) {
        const v8d x = a[u] + b[u];
        memcpy(acc + t0 + 8 * (size_t)u, &x, sizeof x);
    }
}

/*
 * sweep_words with 8-double vectors. Normalisers eight words at a time (eight
 * FMA chains of kp / 8), then the accumulation in runs of at most five blocks,
 * as even as they come (k = 100: 5, 4, 4 rather than 4, 4, 4, 1, whose last
 * run of two chains waits on FMA latency).
 */
WIDE static void sweep_words8(size_t kp, const double *restrict eb, const uint32_t *restrict ids,
                              const double *restrict cts, size_t n, const double *restrict et,
                              double *restrict acc, int rev)
{
    const double *rows[CHUNK];
    double r[CHUNK];
    for (size_t t = 0; t < kp; t++)
        acc[t] = 0.0;
    const size_t nch = (n + CHUNK - 1) / CHUNK;
    for (size_t c = 0; c < nch; c++) {
        const size_t i0 = (rev ? nch - 1 - c : c) * CHUNK;
        const size_t m = n - i0 < CHUNK ? n - i0 : CHUNK;
        for (size_t j = 0; j < m; j++)
            rows[j] = eb + (size_t)ids[i0 + j] * kp;
        size_t j = 0;
        for (; j + 8 <= m; j += 8) {
            v8d a[8];
#pragma GCC unroll 8
            for (size_t u = 0; u < 8; u++)
                a[u] = (v8d){0, 0, 0, 0, 0, 0, 0, 0};
            for (size_t t0 = 0; t0 < kp; t0 += TB) {
                const v8d e = ld8(et + t0);
#pragma GCC unroll 8
                for (size_t u = 0; u < 8; u++)
                    a[u] += e * ld8(rows[j + u] + t0);
            }
            const v4d r0 = ratio4(cts + i0 + j, a), r1 = ratio4(cts + i0 + j + 4, a + 4);
            memcpy(r + j, &r0, sizeof r0);
            memcpy(r + j + 4, &r1, sizeof r1);
        }
        for (; j + 4 <= m; j += 4) {
            v8d a[4];
#pragma GCC unroll 4
            for (size_t u = 0; u < 4; u++)
                a[u] = (v8d){0, 0, 0, 0, 0, 0, 0, 0};
            for (size_t t0 = 0; t0 < kp; t0 += TB) {
                const v8d e = ld8(et + t0);
#pragma GCC unroll 4
                for (size_t u = 0; u < 4; u++)
                    a[u] += e * ld8(rows[j + u] + t0);
            }
            const v4d r0 = ratio4(cts + i0 + j, a);
            memcpy(r + j, &r0, sizeof r0);
        }
        for (; j < m; j++) {
            v8d a0 = {0, 0, 0, 0, 0, 0, 0, 0};
            for (size_t t0 = 0; t0 < kp; t0 += TB)
                a0 += ld8(et + t0) * ld8(rows[j] + t0);
            const v4d a = lohi8(a0);
            const double sj = (a[0] + a[2]) + (a[1] + a[3]);
            r[j] = cts[i0 + j] / (sj > VEM_LDA_FLOOR ? sj : VEM_LDA_FLOOR);
        }
        size_t t0 = 0, left = kp / TB;
        while (left > 0) {
            const size_t runs = (left + 4) / 5, nb = (left + runs - 1) / runs;
            switch (nb) {
            case 5: acc_blocks8(5, rows, r, m, t0, acc); break;
            case 4: acc_blocks8(4, rows, r, m, t0, acc); break;
            case 3: acc_blocks8(3, rows, r, m, t0, acc); break;
            case 2: acc_blocks8(2, rows, r, m, t0, acc); break;
            default: acc_blocks8(1, rows, r, m, t0, acc); break;
            }
            t0 += nb * TB;
            left -= nb;
        }
    }
}
#else
#define VEM_LDA_WIDE 0
#endif

/*
 * exp of four (vexp4) or eight (vexp8) doubles: x = n ln 2 + r with |r| <= ln 2 / 2
 * (ln 2 split in a high part exact in 32 bits and a low part, Cody & Waite 1980),
 * e^r by its Taylor polynomial of degree 13 (truncation below 5e-18 relative),
 * times 2^n built in the exponent bits. About 1 ulp; 0 below -708 (no
 * subnormals). Our own code, so the result is the same with every libm. The
 * body is written once (also vexp_digamma4/8's below): GNU C vector arithmetic
 * is generic in the vector type V (VL: the integer vector of its width), so the
 * 4- and 8-wide versions are the same operations lane for lane. n comes from the
 * bits of t = magic + n (AVX2 has no vector double -> int64 conversion).
 */
#define VEXP_BODY(V, VL, x)                                                             \
    const V zero_ = {0};                                                                \
    const V lo = zero_ - 708.0;                                                         \
    const VL under = x < lo;                                                            \
    x = (V)((VL)x & ~under) + (V)((VL)lo & under);                                      \
    const double magic = 6755399441055744.0; /* 1.5 * 2^52: rounds to an integer */     \
    const V mg = zero_ + magic;                                                         \
    const V t = x * 1.4426950408889634074 + mg;                                         \
    const V nd = t - mg;                                                                \
    V r = x - nd * 0.693145751953125;                                                   \
    r -= nd * 1.42860682030941723212e-6;                                                \
    V p = 1.0 / 6227020800.0 + r * 0.0;                                                 \
    p = p * r + 1.0 / 479001600.0;                                                      \
    p = p * r + 1.0 / 39916800.0;                                                       \
    p = p * r + 1.0 / 3628800.0;                                                        \
    p = p * r + 1.0 / 362880.0;                                                         \
    p = p * r + 1.0 / 40320.0;                                                          \
    p = p * r + 1.0 / 5040.0;                                                           \
    p = p * r + 1.0 / 720.0;                                                            \
    p = p * r + 1.0 / 120.0;                                                            \
    p = p * r + 1.0 / 24.0;                                                             \
    p = p * r + 1.0 / 6.0;                                                              \
    p = p * r + 0.5;                                                                    \
    p = p * r + 1.0;                                                                    \
    p = p * r + 1.0;                                                                    \
    VL tb, mb;                                                                          \
    memcpy(&tb, &t, sizeof tb);                                                         \
    memcpy(&mb, &mg, sizeof mb);                                                        \
    VL bits = (tb - mb + 1023) << 52;                                                   \
    V scale;                                                                            \
    memcpy(&scale, &bits, sizeof scale);                                                \
    p *= scale;                                                                         \
    return (V)((VL)p & ~under)

static inline __attribute__((always_inline)) v4d vexp4(v4d x)
{
    VEXP_BODY(v4d, v4l, x);
}

/*
 * exp(psi(x)) of four doubles x >= PRIOR_MIN: psi(x) = psi(x + 10) -
 * sum_{j<10} 1/(x + j) for every x (one fraction, as vem__exp_digamma), then
 * the asymptotic series at y = x + 10 >= 10:
 *   exp(psi(x)) = y exp(-1/(2y) + series(1/y^2) - sum_j 1/(x + j)).
 * Accurate to a few ulp for x up to about 1e29 (the product of the ten
 * shifts must not overflow; a document's gamma is at most its token count).
 */
#define VEXP_DIGAMMA_BODY(V, x, vexp)                                                    \
    const V zero_ = {0};                                                                 \
    V num = zero_, den = zero_ + 1.0;                                                    \
    for (int j = 0; j < 10; j++) {                                                       \
        num = num * x + den;                                                             \
        den *= x;                                                                        \
        x += 1.0;                                                                        \
    }                                                                                    \
    const V iy = 1.0 / x, f = iy * iy;                                                   \
    V ser = f * (-1.0 / 12 +                                                             \
                 f * (1.0 / 120 +                                                        \
                      f * (-1.0 / 252 +                                                  \
                           f * (1.0 / 240 +                                              \
                                f * (-1.0 / 132 + f * (691.0 / 32760 + f * (-1.0 / 12))))))); \
    return x * vexp(ser - 0.5 * iy - num / den)

static inline __attribute__((always_inline)) v4d vexp_digamma4(v4d x)
{
    VEXP_DIGAMMA_BODY(v4d, x, vexp4);
}

/*
 * et_t = exp(psi(g_t)) for t < k, skipping groups of four whose g equals
 * gprev (the g of the last call, updated here; NaN to start) to the bit.
 * Topics a document does not use keep gamma = alpha to the last bit from
 * sweep to sweep (at k = 100, about half the groups): their et is then the
 * same bits too, so it is kept. The groups to compute are listed first,
 * without a branch, then done two at a time: each is a chain of some 40
 * dependent operations, and two independent chains side by side keep the
 * FMA units busy where one alone waits on latency.
 */
KERNEL static void
exp_digamma_k(size_t k, const double *restrict g, double *restrict gprev, double *restrict et)
{
    const size_t k4 = k / 4 * 4;
    size_t t0 = 0;
    while (t0 < k4) { /* batches of at most 64 groups (a fixed list on the stack) */
        uint32_t todo[64];
        size_t nt = 0;
        const size_t end = k4 - t0 > 256 ? t0 + 256 : k4;
        for (; t0 < end; t0 += 4) {
            v4l a, b;
            memcpy(&a, g + t0, sizeof a);
            memcpy(&b, gprev + t0, sizeof b);
            const v4l ne = a != b; /* compared as bits, as memcmp: NaN never equals */
            memcpy(gprev + t0, &a, sizeof a);
            todo[nt] = (uint32_t)t0;
            nt += (ne[0] | ne[1] | ne[2] | ne[3]) != 0;
        }
        size_t i = 0;
        for (; i + 2 <= nt; i += 2) {
            const size_t u0 = todo[i], u1 = todo[i + 1];
            const v4d e0 = vexp_digamma4(ld4(g + u0)), e1 = vexp_digamma4(ld4(g + u1));
            memcpy(et + u0, &e0, sizeof e0);
            memcpy(et + u1, &e1, sizeof e1);
        }
        if (i < nt) {
            const v4d e0 = vexp_digamma4(ld4(g + todo[i]));
            memcpy(et + todo[i], &e0, sizeof e0);
        }
    }
    if (t0 < k) { /* the last k mod 4 topics, padded with 1 */
        const size_t m = k - t0;
        double in[4] = {1.0, 1.0, 1.0, 1.0}, out[4];
        for (size_t u = 0; u < m; u++)
            in[u] = gprev[t0 + u] = g[t0 + u];
        v4d x;
        memcpy(&x, in, sizeof x);
        const v4d e = vexp_digamma4(x);
        memcpy(out, &e, sizeof out);
        for (size_t u = 0; u < m; u++)
            et[t0 + u] = out[u];
    }
}

#if VEM_LDA_WIDE
/* vexp4 on eight lanes: the same operations, lane for lane. */
static inline __attribute__((always_inline)) v8d vexp8(v8d x)
{
    VEXP_BODY(v8d, v8l, x);
}

/* vexp_digamma4 on eight lanes. */
static inline __attribute__((always_inline)) v8d vexp_digamma8(v8d x)
{
    VEXP_DIGAMMA_BODY(v8d, x, vexp8);
}

/* Two groups of four as one vector, and back (register shuffles: a vector
 * built in memory from two halves stalls store-to-load forwarding). */
static inline __attribute__((always_inline)) v8d pair8(const double *a, const double *b)
{
    return __builtin_shufflevector(ld4(a), ld4(b), 0, 1, 2, 3, 4, 5, 6, 7);
}

static inline __attribute__((always_inline)) void unpair8(v8d x, double *a, double *b)
{
    const v4d lo = __builtin_shufflevector(x, x, 0, 1, 2, 3);
    const v4d hi = __builtin_shufflevector(x, x, 4, 5, 6, 7);
    memcpy(a, &lo, sizeof lo);
    memcpy(b, &hi, sizeof hi);
}

/*
 * exp_digamma_k with 8-double vectors: the same list of changed groups of
 * four, computed six groups (three vectors, three independent chains) at a
 * time; a short last round repeats its last group, which writes the same
 * bits twice. k = 20 is one round where the 4-wide kernel takes three.
 */
WIDE static void exp_digamma_k8(size_t k, const double *restrict g, double *restrict gprev,
                                double *restrict et)
{
    const size_t k4 = k / 4 * 4;
    size_t t0 = 0;
    while (t0 < k4) {
        uint32_t todo[64 + 5];
        size_t nt = 0;
        const size_t end = k4 - t0 > 256 ? t0 + 256 : k4;
        for (; t0 < end; t0 += 4) {
            v4l a, b;
            memcpy(&a, g + t0, sizeof a);
            memcpy(&b, gprev + t0, sizeof b);
            const v4l ne = a != b;
            memcpy(gprev + t0, &a, sizeof a);
            todo[nt] = (uint32_t)t0;
            nt += (ne[0] | ne[1] | ne[2] | ne[3]) != 0;
        }
        if (nt == 0)
            continue;
        for (size_t i = nt; i < nt + 5; i++)
            todo[i] = todo[nt - 1];
        for (size_t i = 0; i < nt; i += 6) {
            const uint32_t *u = todo + i;
            const v8d e0 = vexp_digamma8(pair8(g + u[0], g + u[1]));
            const v8d e1 = vexp_digamma8(pair8(g + u[2], g + u[3]));
            const v8d e2 = vexp_digamma8(pair8(g + u[4], g + u[5]));
            unpair8(e0, et + u[0], et + u[1]);
            unpair8(e1, et + u[2], et + u[3]);
            unpair8(e2, et + u[4], et + u[5]);
        }
    }
    if (t0 < k) {
        const size_t m = k - t0;
        double in[4] = {1.0, 1.0, 1.0, 1.0}, out[4];
        for (size_t u = 0; u < m; u++)
            in[u] = gprev[t0 + u] = g[t0 + u];
        v4d x;
        memcpy(&x, in, sizeof x);
        const v4d e = vexp_digamma4(x);
        memcpy(out, &e, sizeof out);
        for (size_t u = 0; u < m; u++)
            et[t0 + u] = out[u];
    }
}
#endif

/*
 * log of four positive normal doubles: x = 2^e m with m in [sqrt(1/2), sqrt(2)),
 * log m = 2 atanh(s) = 2 (s + s^3/3 + ... + s^23/23), s = (m - 1)/(m + 1),
 * |s| <= 0.1716 (truncation below 1e-18), plus e ln 2 in two parts. About 1 ulp.
 */
static inline __attribute__((always_inline)) v4d vlog4(v4d x)
{
    v4l bits;
    memcpy(&bits, &x, sizeof bits);
    v4l e = ((bits >> 52) & 0x7ff) - 1023;
    v4l mb = (bits & 0x000fffffffffffffLL) | 0x3ff0000000000000LL;
    v4d m;
    memcpy(&m, &mb, sizeof m);
    const v4d sq = {1.4142135623730951, 1.4142135623730951, 1.4142135623730951,
                    1.4142135623730951};
    const v4l big = m >= sq;
    m = (v4d)(((v4l)m & ~big) | ((v4l)(m * 0.5) & big));
    e -= big; /* big is -1 where true */
    /* e as a double through the bits of magic + e (AVX2 has no int64 -> double). */
    const double magic = 6755399441055744.0;
    const v4d mg = {magic, magic, magic, magic};
    v4l eb;
    memcpy(&eb, &mg, sizeof eb);
    eb += e;
    v4d ed;
    memcpy(&ed, &eb, sizeof ed);
    ed -= mg;
    const v4d sv = (m - 1.0) / (m + 1.0), s2 = sv * sv;
    v4d p = 1.0 / 23 + s2 * 0.0;
    p = p * s2 + 1.0 / 21;
    p = p * s2 + 1.0 / 19;
    p = p * s2 + 1.0 / 17;
    p = p * s2 + 1.0 / 15;
    p = p * s2 + 1.0 / 13;
    p = p * s2 + 1.0 / 11;
    p = p * s2 + 1.0 / 9;
    p = p * s2 + 1.0 / 7;
    p = p * s2 + 1.0 / 5;
    p = p * s2 + 1.0 / 3;
    p = p * s2 + 1.0;
    return ed * 0.693145751953125 + (ed * 1.42860682030941723212e-6 + 2.0 * sv * p);
}

/*
 * One word's row of the M-step's derived quantities, four topics at a time:
 * E[log beta_tw] = psi(lambda_tw) - psisum_t, written as exp(. - max) into ew
 * (kp doubles, padding 0) with the max in *shift; returns the word's part of
 * the global term, sum_t ((eta - lambda_tw) E[log beta_tw] + lgamma(lambda_tw)).
 * psi and lgamma share the shift to y = x + 10 (sum 1/(x+j) = num/den and
 * prod (x+j) = den) and log y; the series are those of lda_math.c.
 */
KERNEL static double
prep_row(size_t k, const double *restrict lw, const double *restrict psisum, double eta,
         double *restrict ew, double *restrict shift)
{
    const size_t kp = (k + 7) / 8 * 8;
    double part = 0.0, mx = -INFINITY;
    for (size_t t0 = 0; t0 < k; t0 += 4) {
        const size_t m = k - t0 < 4 ? k - t0 : 4;
        double in[4] = {1.0, 1.0, 1.0, 1.0}, ps[4] = {0, 0, 0, 0};
        for (size_t u = 0; u < m; u++) {
            in[u] = lw[t0 + u];
            ps[u] = psisum[t0 + u];
        }
        v4d x, x0;
        memcpy(&x, in, sizeof x);
        x0 = x;
        v4d num = {0, 0, 0, 0}, den = {1, 1, 1, 1};
        for (int j = 0; j < 10; j++) {
            num = num * x + den;
            den *= x;
            x += 1.0;
        }
        const v4d iy = 1.0 / x, f = iy * iy, ly = vlog4(x);
        const v4d psi = ly - 0.5 * iy +
                        f * (-1.0 / 12 +
                             f * (1.0 / 120 +
                                  f * (-1.0 / 252 +
                                       f * (1.0 / 240 +
                                            f * (-1.0 / 132 +
                                                 f * (691.0 / 32760 + f * (-1.0 / 12))))))) -
                        num / den;
        const v4d lgs = iy * (1.0 / 12 +
                              f * (-1.0 / 360 +
                                   f * (1.0 / 1260 +
                                        f * (-1.0 / 1680 +
                                             f * (1.0 / 1188 +
                                                  f * (-691.0 / 360360 + f * (1.0 / 156)))))));
        const v4d lg = (x - 0.5) * ly - x + 0.91893853320467274178 + lgs - vlog4(den);
        v4d psv;
        memcpy(&psv, ps, sizeof psv);
        const v4d e = psi - psv;
        const v4d pt = (eta - x0) * e + lg;
        double eo[4], po[4];
        memcpy(eo, &e, sizeof eo);
        memcpy(po, &pt, sizeof po);
        for (size_t u = 0; u < m; u++) {
            ew[t0 + u] = eo[u];
            mx = eo[u] > mx ? eo[u] : mx;
            part += po[u];
        }
    }
    for (size_t t0 = 0; t0 < k; t0 += 4) {
        const size_t m = k - t0 < 4 ? k - t0 : 4;
        double in[4] = {0, 0, 0, 0};
        for (size_t u = 0; u < m; u++)
            in[u] = ew[t0 + u];
        v4d e;
        memcpy(&e, in, sizeof e);
        e = vexp4(e - mx);
        memcpy(in, &e, sizeof in);
        for (size_t u = 0; u < m; u++)
            ew[t0 + u] = in[u];
    }
    for (size_t t = k; t < kp; t++)
        ew[t] = 0.0;
    *shift = mx;
    return part;
}

/*
 * From lambda: lamsum, eb, shift and the global term
 *   -KL(q(beta) || p(beta)) = sum_k [ sum_w ((eta - lambda_kw) E[log beta_kw]
 *        + lgamma(lambda_kw) - lgamma(eta)) + lgamma(v eta) - lgamma(sum_w lambda_kw) ]
 * (Hoffman et al. 2010 eq. 16, the terms outside the document sum). Per-word
 * partial sums are added in word order, so the result does not depend on the
 * thread count.
 */
static void prepare(vem_lda *l)
{
    const size_t k = l->k, v = l->v, kp = l->kp;
    const double eta = l->eta;
    for (size_t t = 0; t < k; t++)
        l->lamsum[t] = 0.0;
    for (size_t w = 0; w < v; w++)
        for (size_t t = 0; t < k; t++)
            l->lamsum[t] += l->lam[w * k + t];
    for (size_t t = 0; t < k; t++)
        l->psisum[t] = vem__digamma(l->lamsum[t]);
    const long nv = (long)v;
    const double *lamsum = l->lamsum, *psisum = l->psisum;
    (void)kp;
    double *lam = l->lam, *eb = l->eb, *shift = l->shift, *work = l->work;
    /* Every word's row the same (a new model's lambda = 1): one row computed and copied,
     * the same bits as computing each (a fitted lambda differs at once: a short check). */
    size_t same = 1;
    while (same < v && memcmp(lam + same * k, lam, k * sizeof *lam) == 0)
        same++;
    if (same == v) {
        work[0] = prep_row(k, lam, psisum, eta, eb, shift);
        for (size_t w = 1; w < v; w++) {
            memcpy(eb + w * kp, eb, kp * sizeof *eb);
            shift[w] = shift[0];
            work[w] = work[0];
        }
    } else {
#ifdef _OPENMP
        const int nth = resolve_threads(l->nthreads);
#pragma omp parallel for schedule(static) num_threads(nth)
#endif
        for (long wl = 0; wl < nv; wl++) {
            size_t w = (size_t)wl;
            work[w] = prep_row(k, lam + w * k, psisum, eta, eb + w * kp, shift + w);
        }
    }
    double g = 0.0;
    for (size_t w = 0; w < v; w++)
        g += work[w];
    g -= (double)k * (double)v * vem__lgamma(eta);
    for (size_t t = 0; t < k; t++)
        g += vem__lgamma((double)v * eta) - vem__lgamma(lamsum[t]);
    l->global = g;
}

/* Words of the next document whose rows doc_gamma prefetches per sweep (a
 * short document takes 20 to 30 sweeps: most of the next one is covered). */
#define PF_WORDS 4

/*
 * Prefetch the rows of eb and of pf_ess of the next document's words
 * [from, from + PF_WORDS) (dr->pf_ids); returns where the next call starts.
 * The copy of the next document's rows (doc_setup) and its ESS update
 * (finish_words) otherwise wait on cache misses: eb is v kp doubles, the ESS
 * of a slot v k, far beyond L2 at k = 100 (6 to 8 % of the fit there).
 * A few per sweep: in larger bursts (16 words, or a whole document) the
 * prefetches stall on the cache's miss slots and cost more. Inlined: GCC
 * takes a function whose only effect is prefetching for a pure one, and
 * drops calls whose result is unused.
 */
static inline __attribute__((always_inline)) size_t prefetch_next(const vem_lda *l,
                                                                  const doc_ref *dr, size_t from)
{
    const size_t to = vem__min(dr->pf_n, from + PF_WORDS);
    for (size_t i = from; i < to; i++) {
        const char *p = (const char *)(l->eb + (size_t)dr->pf_ids[i] * l->kp);
        for (size_t b = 0; b < l->kp * sizeof(double); b += 64)
            __builtin_prefetch(p + b);
        if (dr->pf_ess) {
            const char *e = (const char *)(dr->pf_ess + (size_t)dr->pf_ids[i] * l->k);
            for (size_t b = 0; b < l->k * sizeof(double) + 63; b += 64) /* rows not aligned */
                __builtin_prefetch(e + b, 1);
        }
    }
    return to;
}

/*
 * Coordinate ascent on gamma for one document (Blei et al. 2003 eqs. 6-7 with
 * phi eliminated: gamma_k = alpha + et_k sum_i c_i eb_ik / s_i), starting from
 * g, until the mean |change| < gtol or max_sweeps. Returns the sweeps done;
 * *conv is 1 when the threshold was met. w: 3 kp doubles of work.
 */
static size_t doc_gamma(const vem_lda *l, const doc_ref *dr, double *g, double *w, int *conv)
{
    const size_t n = dr->n;
    const size_t k = l->k, kp = l->kp;
    double *dg = w, *et = w + kp, *acc = w + 2 * kp;
    *conv = 1;
    if (n == 0) {
        for (size_t t = 0; t < k; t++)
            g[t] = l->alpha;
        return 0;
    }
    const double tolk = l->gtol * (double)k;
    for (size_t t = k; t < kp; t++)
        et[t] = 0.0;
    for (size_t t = 0; t < k; t++)
        dg[t] = NAN; /* the previous gamma, for exp_digamma_k */
#if VEM_LDA_WIDE
    const int wide = wide_ok();
#endif
    size_t pf = 0; /* the next document's words prefetched so far */
    for (size_t s = 1; s <= l->max_sweeps; s++) {
        pf = prefetch_next(l, dr, pf);
        /* exp(E[log theta_k]) up to the factor exp(-psi(sum gamma)), which cancels. */
#if VEM_LDA_WIDE
        if (wide)
            exp_digamma_k8(k, g, dg, et);
        else
#endif
            exp_digamma_k(k, g, dg, et);
#if VEM_LDA_WIDE
        if (wide)
            sweep_words8(kp, dr->rows, dr->ridx, dr->cts, n, et, acc, (int)(s & 1));
        else
#endif
            sweep_words(kp, dr->rows, dr->ridx, dr->cts, n, et, acc, (int)(s & 1));
        double change = 0.0;
        for (size_t t = 0; t < k; t++) {
            double gn = l->alpha + et[t] * acc[t];
            change += fabs(gn - g[t]);
            g[t] = gn;
        }
        if (change < tolk)
            return s;
    }
    *conv = 0;
    return l->max_sweeps;
}

/*
 * sum_i c_i (log s_i + shift_{w_i}) over a document's words, s_i as in
 * sweep_words, and (ess non-NULL) the expected counts c_i et_k eb_ik / s_i
 * added to row w_i of ess (stride k). *ntok receives sum_i c_i. Four words
 * at a time, as in sweep_words (eight independent chains, the sums in one
 * vector, four logs at once): one word at a time, each normaliser was a
 * chain of kp / 4 dependent FMAs.
 */
KERNEL static double
finish_words(const vem_lda *l, const doc_ref *dr, const double *restrict et, double *restrict ess,
             double *ntok)
{
    const size_t k = l->k, kp = l->kp, n = dr->n;
    const uint32_t *restrict ids = dr->ids;
    const double *restrict cts = dr->cts;
    double words = 0.0, nt = 0.0;
    for (size_t i0 = 0; i0 < n; i0 += 4) {
        const size_t m = n - i0 < 4 ? n - i0 : 4;
        const double *p[4];
        /* Past the last word, its row again: computed, not used. */
#pragma GCC unroll 4
        for (size_t u = 0; u < 4; u++)
            p[u] = dr->rows + (size_t)dr->ridx[i0 + (u < m ? u : m - 1)] * kp;
        v4d a[4], b[4];
#pragma GCC unroll 4
        for (size_t u = 0; u < 4; u++)
            a[u] = b[u] = (v4d){0, 0, 0, 0};
        for (size_t t0 = 0; t0 < kp; t0 += TB) {
            const v4d e0 = ld4(et + t0), e1 = ld4(et + t0 + 4);
#pragma GCC unroll 4
            for (size_t u = 0; u < 4; u++) {
                a[u] += e0 * ld4(p[u] + t0);
                b[u] += e1 * ld4(p[u] + t0 + 4);
            }
        }
        const v4d sv = floor4(hsum4x4(a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]));
        const v4d lv = vlog4(sv);
        double sa[4], la[4];
        memcpy(sa, &sv, sizeof sa);
        memcpy(la, &lv, sizeof la);
        for (size_t u = 0; u < m; u++) {
            const size_t i = i0 + u, wd = ids[i];
            words += cts[i] * (la[u] + l->shift[wd]);
            nt += cts[i];
            if (ess) {
                const double r = cts[i] / sa[u];
                const double *restrict q = p[u];
                double *restrict e = ess + wd * k;
                for (size_t t = 0; t < k; t++)
                    e[t] += r * et[t] * q[t];
            }
        }
    }
    *ntok = nt;
    return words;
}

/*
 * The ELBO's local terms of one document at gamma g with the optimal phi, and
 * (when ess is non-NULL) the document's expected counts n_dw phi_dwk added to
 * ess (v x k). *elogtheta receives sum_k E[log theta_k]. w: 3 kp doubles.
 *   sum_i c_i log sum_k exp(E[log theta_k] + E[log beta_{k w_i}])
 *   + sum_k (alpha - g_k) E[log theta_k] + sum_k (lgamma(g_k) - lgamma(alpha))
 *   + lgamma(k alpha) - lgamma(sum_k g_k)
 */
static double doc_bound(const vem_lda *l, const doc_ref *dr, const double *g, double *w,
                        double *ess, double *elogtheta)
{
    const size_t k = l->k, kp = l->kp;
    double *dg = w, *et = w + kp;
    double gsum = 0.0;
    for (size_t t = 0; t < k; t++)
        gsum += g[t];
    const double psum = vem__digamma(gsum);
    const double mx = exp_elog(k, kp, g, dg, et);
    double ntok = 0.0;
    double words = finish_words(l, dr, et, ess, &ntok);
    words += ntok * (mx - psum);
    double rest = vem__lgamma((double)k * l->alpha) - vem__lgamma(gsum);
    const double lga = vem__lgamma(l->alpha);
    double se = 0.0;
    for (size_t t = 0; t < k; t++) {
        const double e = dg[t] - psum;
        se += e;
        rest += (l->alpha - g[t]) * e + vem__lgamma(g[t]) - lga;
    }
    if (elogtheta)
        *elogtheta = se;
    return words + rest;
}

/* ------------------------------------------------------- the engine's view */

static size_t lda_ess_len(const void *self)
{
    const vem_lda *l = self;
    return l->v * l->k + N_EXTRA;
}

static size_t lda_scratch_len(const void *self, size_t block)
{
    (void)block;
    const vem_lda *l = self;
    return 4 * l->kp + gather_len(l, l->gather_rows);
}

static size_t lda_n_units(const void *self, const vem_data *x)
{
    (void)self;
    return x->docs ? x->docs->ndocs : 0;
}

static double lda_n_obs(const void *self, const vem_data *x)
{
    (void)self;
    return x->docs ? vem_docs_tokens(x->docs) : 0.0;
}

static double lda_estep(const void *self, const vem_data *x, size_t u0, size_t u1, double *ess,
                        double *scratch)
{
    const vem_lda *l = self;
    const vem_docs *d = x->docs;
    const size_t k = l->k;
    const int cached = l->warm_gamma && l->gcache && l->gcache_key == d && l->gcache_docs == d->ndocs;
    double obj = 0.0, se_all = 0.0, nconv = 0.0, sweeps = 0.0;
    double *w = scratch, *gl = scratch + 3 * l->kp, *gbuf = scratch + 4 * l->kp;
    for (size_t doc = u0; doc < u1; doc++) {
        const uint32_t *ids;
        const double *cts;
        size_t n = doc_view(d, doc, &ids, &cts);
        /* The cached gamma of this document is written by this call only:
         * documents are split between slots, so no two threads share a row. */
        double *g = cached ? l->gcache + doc * k : gl;
        if (!cached)
            gamma_start(l, cts, n, g);
        doc_ref dr;
        doc_setup(l, ids, cts, n, gbuf, l->gather_rows, &dr);
        if (doc + 1 < u1) {
            const double *nct;
            dr.pf_n = doc_view(d, doc + 1, &dr.pf_ids, &nct);
            dr.pf_ess = ess;
        }
        int conv;
        sweeps += (double)doc_gamma(l, &dr, g, w, &conv);
        nconv += conv;
        double se;
        obj += doc_bound(l, &dr, g, w, ess, &se);
        se_all += se;
    }
    double *x_ = ess + l->v * k;
    x_[X_ELOGTHETA] += se_all;
    x_[X_NDOCS] += (double)(u1 - u0);
    x_[X_NCONV] += nconv;
    x_[X_SWEEPS] += sweeps;
    return obj;
}

/*
 * The Monte-Carlo E-step (model.h, estep_mc; docs/mcem.md, "LDA"): each document's
 * variational E-step as lda_estep's (the q(theta_d) q(z_dn) fixed point), then, in
 * place of the expected counts c phi_dwk, topic draws from q(z_dn): per group g, from
 * vem_mc_unit_rng(mc, doc, g, ...), m / G samples of the document, a sample giving each
 * word of count c ceil(c) draws of weight c / ceil(c) (c draws for an integer count),
 * word by word; the group's array receives the draws' one-hot counts / (m / G). q is
 * LDA's variational posterior, not the exact one: this is Monte-Carlo variational EM.
 * samples 0 (CEM): each word's most probable topic under q(z) takes its count. Returns
 * the documents' ELBO terms, the exact E-step's objective. The extras (E[log theta],
 * documents, convergence) are exact and go to every group; X_MCALL and X_MCONE tell
 * lda_mstep whether it sees a group's statistics (an M-step of the automatic schedule's
 * error estimate, which is not a pass of the history) or their mean.
 */
static double lda_estep_mc(const void *self, const vem_data *x, size_t u0, size_t u1,
                           double *ess, double *scratch, const vem_mc_draw *mc)
{
    const vem_lda *l = self;
    const vem_docs *d = x->docs;
    const size_t k = l->k, kp = l->kp, len = lda_ess_len(l), G = mc->samples ? mc->groups : 1;
    const int cached = l->warm_gamma && l->gcache && l->gcache_key == d && l->gcache_docs == d->ndocs;
    double obj = 0.0, se_all = 0.0, nconv = 0.0, sweeps = 0.0;
    double *w = scratch, *gl = scratch + 3 * l->kp, *gbuf = scratch + 4 * l->kp;
    double *cum = w + 2 * kp; /* free after doc_gamma: a word's cumulative q(z) */
    const size_t per = mc->samples ? mc->samples / G : 1;
    const double inv = 1.0 / (double)per;
    for (size_t doc = u0; doc < u1; doc++) {
        const uint32_t *ids;
        const double *cts;
        size_t n = doc_view(d, doc, &ids, &cts);
        double *g = cached ? l->gcache + doc * k : gl;
        if (!cached)
            gamma_start(l, cts, n, g);
        doc_ref dr;
        doc_setup(l, ids, cts, n, gbuf, l->gather_rows, &dr);
        int conv;
        sweeps += (double)doc_gamma(l, &dr, g, w, &conv);
        nconv += conv;
        double se;
        obj += doc_bound(l, &dr, g, w, NULL, &se); /* leaves et = exp(E[log theta]) at w + kp */
        se_all += se;
        const double *et = w + kp;
        for (size_t q = 0; q < G; q++) {
            double *eg = ess + q * len;
            vem_rng rng;
            if (mc->samples)
                vem_mc_unit_rng(mc, doc, q, &rng);
            for (size_t i = 0; i < n; i++) {
                const double *row = dr.rows + (size_t)dr.ridx[i] * kp;
                double *e = eg + (size_t)ids[i] * k;
                if (!(cts[i] > 0.0))
                    continue;
                if (!mc->samples) {
                    size_t best = 0;
                    for (size_t t = 1; t < k; t++)
                        if (et[t] * row[t] > et[best] * row[best])
                            best = t;
                    e[best] += cts[i];
                    continue;
                }
                double acc = 0.0;
                size_t last = 0;
                for (size_t t = 0; t < k; t++) {
                    const double p = et[t] * row[t];
                    acc += p;
                    cum[t] = acc;
                    if (p > 0.0)
                        last = t;
                }
                const double nd = ceil(cts[i]), wt = cts[i] / nd * inv;
                const size_t draws = per * (size_t)nd;
                for (size_t j = 0; j < draws; j++) {
                    const double u = vem_rng_uniform(&rng) * acc;
                    size_t lo = 0, hi = last; /* the first t with u < cum[t] */
                    while (lo < hi) {
                        const size_t mid = lo + (hi - lo) / 2;
                        if (u < cum[mid])
                            hi = mid;
                        else
                            lo = mid + 1;
                    }
                    e[lo] += wt;
                }
            }
        }
    }
    for (size_t q = 0; q < G; q++) {
        double *x_ = ess + q * len + l->v * k;
        x_[X_ELOGTHETA] += se_all;
        x_[X_NDOCS] += (double)(u1 - u0);
        x_[X_NCONV] += nconv;
        x_[X_SWEEPS] += sweeps;
        x_[X_MCALL] += (double)(u1 - u0);
        if (q == 0)
            x_[X_MCONE] += (double)G * (double)(u1 - u0);
    }
    return obj;
}

/*
 * Newton's method for the symmetric alpha maximising
 *   f(a) = D (lgamma(k a) - k lgamma(a)) + (a - 1) S,   S = sum_d sum_k E[log theta_dk]
 * (Blei et al. 2003 appendix A.4.2; lda-c's opt_alpha), in u = log a so that a
 * stays positive: f is concave in a, and the step is halved until f does not
 * decrease.
 */
static double newton_alpha(double a, double D, double S, size_t k)
{
    const double kd = (double)k;
    double f = D * (vem__lgamma(kd * a) - kd * vem__lgamma(a)) + (a - 1.0) * S;
    for (int it = 0; it < 100; it++) {
        double df = D * (kd * vem__digamma(kd * a) - kd * vem__digamma(a)) + S;
        double d2f = D * (kd * kd * vem__trigamma(kd * a) - kd * vem__trigamma(a));
        double du1 = a * df, du2 = a * a * d2f + a * df;
        double step = du2 < 0.0 ? -du1 / du2 : (du1 > 0 ? 1.0 : -1.0);
        if (step > 5.0)
            step = 5.0;
        if (step < -5.0)
            step = -5.0;
        double an = a, fn = f;
        /* Near the optimum f changes by less than its own round-off, so a test of
         * fn >= f alone would stop Newton about sqrt(eps) short, at a point that
         * depends on the order of the sums in S (threads, processes); a slack of
         * 1e-13 |f| (far below any real decrease) lets the quadratic steps finish
         * on f' = 0 instead. */
        const double slack = 1e-13 * (fabs(f) + 1.0);
        for (int h = 0; h < 60; h++) {
            an = a * exp(step);
            fn = D * (vem__lgamma(kd * an) - kd * vem__lgamma(an)) + (an - 1.0) * S;
            if (fn >= f - slack || !(an > 0.0))
                break;
            step *= 0.5;
        }
        if (!(fn >= f - slack) || !(an > 0.0) || !isfinite(an))
            break;
        double rel = fabs(an - a) / a;
        a = an;
        f = fn;
        if (rel < 1e-12)
            break;
    }
    return a;
}

/*
 * Start the pass history of a new restart, in a fit of n restarts: the
 * histories of the n - 1 restarts before it are kept (one of them may turn out
 * the best, and the engine then restores its parameters through params_set).
 */
static vem_status new_run(vem_lda *l, size_t n)
{
    n = vem__max(n, 1);
    if (n > l->nruns) {
        lda_run *r = vem__realloc(l->runs, n * sizeof *r);
        if (!r)
            return VEM_FAIL(VEM_ENOMEM, "lda: pass histories of %zu restarts", n);
        memset(r + l->nruns, 0, (n - l->nruns) * sizeof *r);
        l->runs = r;
        l->nruns = n;
    }
    l->serial++;
    l->cur = l->serial % n;
    l->runs[l->cur].len = 0;
    l->runs[l->cur].serial = l->serial;
    return VEM_OK;
}

static vem_status push_hist(vem_lda *l, const double *x)
{
    vem_status st;
    if (!l->runs && (st = new_run(l, 1)) != VEM_OK) /* an engine fit without init */
        return st;
    lda_run *r = &l->runs[l->cur];
    if (r->len == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 32;
        vem_lda_pass_info *p = vem__realloc(r->e, cap * sizeof *p);
        if (!p)
            return VEM_FAIL(VEM_ENOMEM, "lda: pass history");
        r->e = p;
        r->cap = cap;
    }
    vem_lda_pass_info *e = &r->e[r->len++];
    /* Counts summed by the engine (or restored from a checkpoint): in range before
     * they become integers. */
    if (!(x[X_NDOCS] >= 0.0 && x[X_NDOCS] < 0x1p62 && x[X_NCONV] >= 0.0 &&
          x[X_NCONV] < 0x1p62 && x[X_SWEEPS] >= 0.0))
        return VEM_FAIL(VEM_ENUMERIC, "lda: pass counts %g documents, %g converged",
                        x[X_NDOCS], x[X_NCONV]);
    e->n_docs = (size_t)x[X_NDOCS];
    e->n_converged = (size_t)x[X_NCONV];
    e->mean_sweeps = x[X_NDOCS] > 0 ? x[X_SWEEPS] / x[X_NDOCS] : 0.0;
    return VEM_OK;
}

/* lambda_kw = eta + sum_d n_dw phi_dwk (Hoffman et al. 2010 eq. 6 with rho = 1). */
static vem_status lda_mstep(void *self, const double *ess)
{
    vem_lda *l = self;
    const size_t vk = l->v * l->k;
    const double *x = ess + vk;
    for (size_t i = 0; i < vk; i++)
        l->lam[i] = l->eta + ess[i];
    if (l->alpha_auto && x[X_NDOCS] > 0)
        l->alpha = fmin(fmax(newton_alpha(l->alpha, x[X_NDOCS], x[X_ELOGTHETA], l->k), PRIOR_MIN),
                        PRIOR_MAX);
    prepare(l);
    /* One group's statistics of a Monte-Carlo E-step (X_MCONE is G or 0 times X_MCALL
     * there, once X_MCALL in the groups' mean): not a pass of the history. */
    if (x[X_MCALL] > 0.0 && x[X_MCONE] != x[X_MCALL])
        return VEM_OK;
    return push_hist(l, x);
}

static double lda_objective_extra(const void *self)
{
    return ((const vem_lda *)self)->global;
}

/*
 * Parameters: lambda (v x k, word-major), alpha (estimated or not: with
 * alpha auto each restart ends with its own), then the serial of the restart
 * they come from, which selects that restart's pass history when the engine
 * sets the best restart's parameters back.
 */
static size_t lda_params_len(const void *self)
{
    const vem_lda *l = self;
    return l->v * l->k + 2;
}

static void lda_params_get(const void *self, double *out)
{
    const vem_lda *l = self;
    const size_t vk = l->v * l->k;
    memcpy(out, l->lam, vk * sizeof *out);
    out[vk] = l->alpha;
    out[vk + 1] = l->runs ? (double)l->runs[l->cur].serial : 0.0;
}

static vem_status lda_params_set(void *self, const double *in)
{
    vem_lda *l = self;
    const size_t vk = l->v * l->k;
    for (size_t i = 0; i <= vk; i++)
        if (!(in[i] > 0.0) || !isfinite(in[i]))
            return VEM_FAIL(VEM_EINVAL, "lda: parameter %zu is %g, must be finite and > 0", i,
                            in[i]);
    memcpy(l->lam, in, vk * sizeof *in);
    l->alpha = in[vk];
    prepare(l);
    /* The history of the restart the parameters come from; none if it is gone. */
    for (size_t r = 0; r < l->nruns; r++)
        if (l->runs[r].serial != 0 && (double)l->runs[r].serial == in[vk + 1]) {
            l->cur = r;
            return VEM_OK;
        }
    return new_run(l, l->nruns);
}

/*
 * One restart's start: alpha as last set (with alpha auto the restart before
 * re-estimated it), random lambda, Gamma(100, 1/100) entries drawn topic by
 * topic (the k x v order of Hoffman et al.'s and scikit-learn's
 * initialisation), and fresh warm-start gammas for the training documents.
 * eta is never estimated: every restart has the one set.
 */
static vem_status start_fit(vem_lda *l, const vem_docs *d, size_t n_init);

static vem_status lda_init(void *self, vem_fit *f, vem_rng *rng)
{
    vem_lda *l = self;
    const size_t k = l->k, v = l->v;
    l->alpha = l->alpha_init;
    for (size_t t = 0; t < k; t++)
        for (size_t w = 0; w < v; w++)
            l->lam[w * k + t] = vem__gamma_draw(rng, 100.0) / 100.0;
    prepare(l);
    return start_fit(l, vem_fit_data(f)->docs, vem_fit_options(f)->n_init);
}

/*
 * What every restart starts with, from random or from given parameters: an
 * empty pass history (the restarts before it, of a fit of n_init, kept) and
 * fresh warm-start gammas for the training documents d.
 */
static vem_status start_fit(vem_lda *l, const vem_docs *d, size_t n_init)
{
    const size_t k = l->k;
    vem_status st = new_run(l, n_init);
    if (st != VEM_OK)
        return st;
    drop_cache(l);
    if (d)
        l->gather_rows = gather_rows_for(l, max_doc_nnz(d));
    if (l->warm_gamma && d && d->ndocs > 0) {
        char what[96];
        snprintf(what, sizeof what, "lda: the gammas of %zu documents x %zu topics", d->ndocs, k);
        if ((st = vem__check_memory(what, (double)d->ndocs * (double)k * sizeof(double))) !=
            VEM_OK)
            return st;
        l->gcache = vem__alloc_doubles(d->ndocs, k);
        if (!l->gcache)
            return VEM_FAIL(VEM_ENOMEM, "lda: gamma of %zu documents x %zu topics", d->ndocs, k);
        for (size_t doc = 0; doc < d->ndocs; doc++) {
            const uint32_t *ids;
            const double *cts;
            size_t n = doc_view(d, doc, &ids, &cts);
            gamma_start(l, cts, n, l->gcache + doc * k);
        }
        l->gcache_docs = d->ndocs;
        l->gcache_key = d;
    }
    return VEM_OK;
}

/* The statistics the current lambda stands for: stepwise EM blends into them (Hoffman et al. 2010). */
static void lda_ess_from_params(const void *self, double *ess)
{
    const vem_lda *l = self;
    const size_t vk = l->v * l->k;
    for (size_t i = 0; i < vk; i++)
        ess[i] = l->lam[i] - l->eta;
    memset(ess + vk, 0, N_EXTRA * sizeof *ess);
}

/*
 * Sparse stepwise EM (model.h; docs/lda.md, "Online LDA"): the engine keeps
 * lambda - eta = c s with a scalar c and touches only the rows (words) of a
 * minibatch. E[log beta_kw] = psi(eta + c s_wk) - psi(v eta + c colsum_k) is
 * then exact for any word whenever it is computed, so each minibatch computes it
 * (and exp, the shift) for its own words only, just before its E-step: Vowpal
 * Wabbit's lazy decay, without its approximations. The global term and every
 * row come back at the end of each pass (refresh).
 */
static void lda_sparse_shape(const void *self, size_t *n_rows, size_t *row_len)
{
    const vem_lda *l = self;
    *n_rows = l->v;
    *row_len = l->k;
}

static size_t lda_sparse_rows(const void *self, const vem_data *x, size_t u0, size_t u1,
                              uint32_t *rows, unsigned char *seen)
{
    (void)self;
    const vem_docs *d = x->docs;
    u1 = u1 < d->ndocs ? u1 : d->ndocs;
    size_t n = 0;
    for (size_t doc = u0; doc < u1; doc++) {
        const uint32_t *ids;
        const double *cts;
        size_t len = doc_view(d, doc, &ids, &cts);
        for (size_t i = 0; i < len; i++)
            if (!seen[ids[i]]) {
                seen[ids[i]] = 1;
                rows[n++] = ids[i];
            }
    }
    for (size_t i = 0; i < n; i++)
        seen[rows[i]] = 0;
    return n;
}

static vem_status lda_sparse_prepare(void *self, const double *s, const double *colsum,
                                     double c, const uint32_t *rows, size_t n)
{
    vem_lda *l = self;
    const size_t k = l->k, kp = l->kp;
    const double eta = l->eta;
    for (size_t t = 0; t < k; t++) {
        l->lamsum[t] = (double)l->v * eta + c * colsum[t];
        l->psisum[t] = vem__digamma(l->lamsum[t]);
    }
    double *lam = l->lam, *eb = l->eb, *shift = l->shift;
    const double *psisum = l->psisum;
    const long nl = (long)n;
#ifdef _OPENMP
    const int nth = resolve_threads(l->nthreads);
#pragma omp parallel for schedule(static) num_threads(nth) if (n >= 256)
#endif
    for (long i = 0; i < nl; i++) {
        const size_t w = rows[i];
        for (size_t t = 0; t < k; t++)
            lam[w * k + t] = eta + c * s[w * k + t];
        (void)prep_row(k, lam + w * k, psisum, eta, eb + w * kp, shift + w);
    }
    return VEM_OK;
}

static vem_status lda_sparse_mstep(void *self, const double *s, const double *colsum, double c,
                                   const uint32_t *rows, size_t n)
{
    (void)colsum;
    (void)n;
    vem_lda *l = self;
    const size_t vk = l->v * l->k;
    const double *x = s + vk;
    if (!rows) { /* the end of a pass: every row, and the global term */
        for (size_t i = 0; i < vk; i++)
            l->lam[i] = l->eta + c * s[i];
        prepare(l);
        return VEM_OK;
    }
    /* The rows of lambda are brought up to date when a minibatch next reads them. */
    if (l->alpha_auto && x[X_NDOCS] > 0)
        l->alpha = fmin(fmax(newton_alpha(l->alpha, x[X_NDOCS], x[X_ELOGTHETA], l->k), PRIOR_MIN),
                        PRIOR_MAX);
    return push_hist(l, x);
}

static const vem_model_ops lda_ops = {
    .name = "lda",
    .ess_len = lda_ess_len,
    .scratch_len = lda_scratch_len,
    .n_units = lda_n_units,
    .n_obs = lda_n_obs,
    .estep = lda_estep,
    .mstep = lda_mstep,
    .objective_extra = lda_objective_extra,
    .init = lda_init,
    .params_len = lda_params_len,
    .params_get = lda_params_get,
    .params_set = lda_params_set,
    .ess_from_params = lda_ess_from_params,
    .sparse_shape = lda_sparse_shape,
    .sparse_rows = lda_sparse_rows,
    .sparse_prepare = lda_sparse_prepare,
    .sparse_mstep = lda_sparse_mstep,
    .estep_mc = lda_estep_mc,
};

vem_model vem_lda_model(vem_lda *l)
{
    vem_model m = {.ops = &lda_ops, .self = l};
    return m;
}

/* ---------------------------------------------------------------- fitting */

/* Word ids of d must be below v. */
static vem_status check_docs(const vem_lda *l, const vem_docs *d)
{
    if (!d)
        return VEM_FAIL(VEM_EINVAL, "lda: no corpus");
    if (d->nvocab > l->v)
        return VEM_FAIL(VEM_EINVAL, "corpus has %zu words, model has v=%zu", d->nvocab, l->v);
    const size_t nnz = d->ptr[d->ndocs];
    for (size_t i = 0; i < nnz; i++) {
        if (d->word[i] >= l->v)
            return VEM_FAIL(VEM_EINVAL, "word id %u >= v=%zu", (unsigned)d->word[i], l->v);
        if (!(d->count[i] >= 0.0) || !isfinite(d->count[i]))
            return VEM_FAIL(VEM_EINVAL, "count %g must be finite and >= 0", d->count[i]);
    }
    return VEM_OK;
}

/*
 * The engine's options for a fit of l: o's, with the slots capped so that the
 * engine's per-slot ESS buffers stay near SLOT_BUDGET bytes (k = 100,
 * v = 10,000: 8 MB each, 6 slots; at least 2); the count depends on the model's size only,
 * never on the threads.
 */
static void engine_opts(vem_lda *l, const vem_fit_opts *o, vem_fit_opts *oo)
{
    if (o)
        *oo = *o;
    else
        vem_fit_opts_init(oo);
    double bytes = (double)lda_ess_len(l) * (double)sizeof(double);
    oo->nslots = vem__min(oo->nslots, vem__max((size_t)(SLOT_BUDGET / bytes), 2));
    l->nthreads = oo->nthreads;
}

/* After a fit: its cache dropped, its last pass's statistics into info (may be NULL). */
static void fit_done(vem_lda *l, vem_lda_pass_info *info)
{
    drop_cache(l);
    if (info) {
        size_t n;
        const vem_lda_pass_info *h = vem_lda_pass_history(l, &n);
        memset(info, 0, sizeof *info);
        if (n)
            *info = h[n - 1];
    }
}

vem_status vem_lda_fit(vem_lda *l, const vem_docs *docs, const vem_fit_opts *o, vem_rng *rng,
                       vem_fit_result *res, vem_lda_pass_info *info)
{
    vem_status st = check_docs(l, docs);
    if (st != VEM_OK)
        return st;
    /* Alone, a corpus without a word has no bound per token to fit (0 / 0). */
    if ((!o || !o->comm) && docs->ndocs > 0 && docs->ptr[docs->ndocs] == 0)
        return VEM_FAIL(VEM_EINVAL, "no words: all %zu documents are empty", docs->ndocs);
    vem_fit_opts oo;
    engine_opts(l, o, &oo);
    l->gather_rows = gather_rows_for(l, max_doc_nnz(docs));
    vem_data x = {.x = {NULL, 0, 0, 0}, .seq_start = NULL, .n_seq = 0, .docs = docs};
    vem_model m = vem_lda_model(l);
    /* A warm start skips the model's init: start the fit's state here. */
    if (oo.warm_start && (st = start_fit(l, docs, 1)) != VEM_OK)
        return st;
    st = vem_fit_run(&m, &x, &oo, rng, res);
    fit_done(l, info);
    return st;
}

vem_status vem_lda_fit_source(vem_lda *l, vem_source *src, const vem_fit_opts *o, vem_rng *rng,
                              vem_fit_result *res, vem_lda_pass_info *info)
{
    if (!src || vem_source_unit_kind(src) != VEM_UNITS_DOCUMENTS)
        return VEM_FAIL(VEM_EINVAL, "vem_lda_fit_source: a source of documents is required");
    if (vem_source_nvocab(src) > l->v)
        return VEM_FAIL(VEM_EINVAL, "corpus has %zu words, model has v=%zu",
                        vem_source_nvocab(src), l->v);
    if (l->warm_gamma)
        return VEM_FAIL(VEM_EUNSUP, "lda: warm-start gammas keep K doubles per document in "
                                    "memory: not with a source");
    if ((!o || !o->comm) && vem_source_units(src) > 0 && !(vem_source_tokens(src) > 0))
        return VEM_FAIL(VEM_EINVAL, "no words: all %zu documents are empty",
                        vem_source_units(src));
    vem_fit_opts oo;
    engine_opts(l, o, &oo);
    /* The documents' sizes are in memory (their offsets): the largest, as vem_lda_fit. */
    const size_t *ptr = vem_source_unit_starts(src);
    size_t most = 0;
    for (size_t d = 0; d < vem_source_units(src); d++)
        most = vem__max(most, ptr[d + 1] - ptr[d]);
    l->gather_rows = gather_rows_for(l, most);
    vem_model m = vem_lda_model(l);
    vem_status st = oo.warm_start ? start_fit(l, NULL, 1) : VEM_OK;
    if (st == VEM_OK)
        st = vem_fit_run_source(&m, src, &oo, rng, res);
    fit_done(l, info);
    return st;
}

const vem_lda_pass_info *vem_lda_pass_history(const vem_lda *l, size_t *len)
{
    *len = l->runs ? l->runs[l->cur].len : 0;
    return l->runs ? l->runs[l->cur].e : NULL;
}

/* ------------------------------------------------- transform, score, completion */

/* Per-thread scratch for the per-document loops below. */
typedef struct doc_loop {
    int nth;
    size_t per;   /* doubles per thread */
    double *buf;
} doc_loop;

static vem_status loop_init(doc_loop *dl, int nthreads, size_t per)
{
    dl->nth = resolve_threads(nthreads);
    dl->per = per;
    dl->buf = vem__alloc_doubles((size_t)dl->nth, per);
    return dl->buf ? VEM_OK : VEM_FAIL(VEM_ENOMEM, "lda: scratch");
}

static double *loop_scratch(const doc_loop *dl)
{
#ifdef _OPENMP
    return dl->buf + (size_t)omp_get_thread_num() * dl->per;
#else
    return dl->buf;
#endif
}

vem_status vem_lda_transform(const vem_lda *l, const vem_docs *docs, int normalised,
                             int nthreads, double *out)
{
    vem_status st = check_docs(l, docs);
    if (st != VEM_OK)
        return st;
    doc_loop dl;
    const size_t cap = gather_rows_for(l, max_doc_nnz(docs));
    if ((st = loop_init(&dl, nthreads, 3 * l->kp + gather_len(l, cap))) != VEM_OK)
        return st;
    const size_t k = l->k;
    const long nd = (long)docs->ndocs;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 8) num_threads(dl.nth)
#endif
    for (long dd = 0; dd < nd; dd++) {
        const size_t doc = (size_t)dd;
        const uint32_t *ids;
        const double *cts;
        size_t n = doc_view(docs, doc, &ids, &cts);
        double *g = out + doc * k, *w = loop_scratch(&dl);
        doc_ref dr;
        doc_setup(l, ids, cts, n, w + 3 * l->kp, cap, &dr);
        int conv;
        gamma_start(l, cts, n, g);
        doc_gamma(l, &dr, g, w, &conv);
        if (normalised) {
            double s = 0.0;
            for (size_t t = 0; t < k; t++)
                s += g[t];
            for (size_t t = 0; t < k; t++)
                g[t] /= s;
        }
    }
    vem__free(dl.buf);
    return VEM_OK;
}

vem_status vem_lda_score(const vem_lda *l, const vem_docs *docs, int nthreads,
                         vem_lda_score_result *r)
{
    memset(r, 0, sizeof *r);
    vem_status st = check_docs(l, docs);
    if (st != VEM_OK)
        return st;
    /* No word: no bound per word (0 / 0) to report. */
    if (docs->ndocs > 0 && docs->ptr[docs->ndocs] == 0)
        return VEM_FAIL(VEM_EINVAL, "no words: all %zu documents are empty", docs->ndocs);
    doc_loop dl;
    const size_t cap = gather_rows_for(l, max_doc_nnz(docs));
    if ((st = loop_init(&dl, nthreads, 4 * l->kp + gather_len(l, cap))) != VEM_OK)
        return st;
    double *per = vem__alloc_doubles(docs->ndocs ? docs->ndocs : 1, 2);
    if (!per) {
        vem__free(dl.buf);
        return VEM_FAIL(VEM_ENOMEM, "lda: score of %zu documents", docs->ndocs);
    }
    const long nd = (long)docs->ndocs;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 8) num_threads(dl.nth)
#endif
    for (long dd = 0; dd < nd; dd++) {
        const size_t doc = (size_t)dd;
        const uint32_t *ids;
        const double *cts;
        size_t n = doc_view(docs, doc, &ids, &cts);
        double *w = loop_scratch(&dl), *g = w + 3 * l->kp;
        doc_ref dr;
        doc_setup(l, ids, cts, n, w + 4 * l->kp, cap, &dr);
        int conv;
        gamma_start(l, cts, n, g);
        doc_gamma(l, &dr, g, w, &conv);
        per[2 * doc] = doc_bound(l, &dr, g, w, NULL, NULL);
        per[2 * doc + 1] = conv;
    }
    /* Summed in document order: independent of the thread count. */
    for (size_t doc = 0; doc < docs->ndocs; doc++) {
        r->bound += per[2 * doc];
        r->n_converged += (size_t)per[2 * doc + 1];
    }
    r->n_docs = docs->ndocs;
    r->n_tokens = vem_docs_tokens(docs);
    r->bound_per_word = r->n_tokens > 0 ? r->bound / r->n_tokens : 0.0;
    r->perplexity = exp(-r->bound_per_word);
    vem__free(per);
    vem__free(dl.buf);
    return VEM_OK;
}

vem_status vem_lda_completion(const vem_lda *l, const vem_docs *docs, int nthreads,
                              double *perplexity, double *n_heldout)
{
    vem_status st = check_docs(l, docs);
    if (st != VEM_OK)
        return st;
    const size_t k = l->k;
    const size_t maxn = max_doc_nnz(docs);
    for (size_t i = 0; i < docs->ptr[docs->ndocs]; i++)
        if (docs->count[i] != floor(docs->count[i]))
            return VEM_FAIL(VEM_EINVAL, "completion: count %g is not an integer", docs->count[i]);
    doc_loop dl;
    /* work 3k, gamma k, 1/lamsum k, observed ids (as doubles) and counts 2 maxn */
    if ((st = loop_init(&dl, nthreads, 4 * l->kp + 2 * maxn + 1)) != VEM_OK)
        return st;
    double *per = vem__alloc_doubles(docs->ndocs ? docs->ndocs : 1, 2);
    uint32_t *idbuf = vem__calloc((size_t)dl.nth * (maxn + 1), sizeof *idbuf);
    if (!per || !idbuf) {
        vem__free(per);
        vem__free(idbuf);
        vem__free(dl.buf);
        return VEM_FAIL(VEM_ENOMEM, "lda: completion");
    }
    const long nd = (long)docs->ndocs;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 8) num_threads(dl.nth)
#endif
    for (long dd = 0; dd < nd; dd++) {
        const size_t doc = (size_t)dd;
        const uint32_t *ids;
        const double *cts;
        size_t n = doc_view(docs, doc, &ids, &cts);
        double *w = loop_scratch(&dl), *g = w + 3 * l->kp, *oc = w + 4 * l->kp;
#ifdef _OPENMP
        uint32_t *oid = idbuf + (size_t)omp_get_thread_num() * (maxn + 1);
#else
        uint32_t *oid = idbuf;
#endif
        /* Token t (0-based, word-id order) is observed when t is even. */
        size_t no = 0;
        double pos = 0.0;
        for (size_t i = 0; i < n; i++) {
            double c = cts[i];
            double even = floor((c + 1.0 - fmod(pos, 2.0)) / 2.0);
            if (even > 0) {
                oid[no] = ids[i];
                oc[no++] = even;
            }
            pos += c;
        }
        int conv;
        doc_ref dr;
        doc_setup(l, oid, oc, no, NULL, 0, &dr);
        gamma_start(l, oc, no, g);
        doc_gamma(l, &dr, g, w, &conv);
        double gs = 0.0;
        for (size_t t = 0; t < k; t++)
            gs += g[t];
        double ll = 0.0, nh = 0.0;
        pos = 0.0;
        for (size_t i = 0; i < n; i++) {
            double c = cts[i];
            double held = c - floor((c + 1.0 - fmod(pos, 2.0)) / 2.0);
            pos += c;
            if (held <= 0)
                continue;
            const double *lw = l->lam + (size_t)ids[i] * k;
            double p = 0.0;
            for (size_t t = 0; t < k; t++)
                p += g[t] * lw[t] / l->lamsum[t];
            ll += held * log(p / gs);
            nh += held;
        }
        per[2 * doc] = ll;
        per[2 * doc + 1] = nh;
    }
    double ll = 0.0, nh = 0.0;
    for (size_t doc = 0; doc < docs->ndocs; doc++) {
        ll += per[2 * doc];
        nh += per[2 * doc + 1];
    }
    vem__free(per);
    vem__free(idbuf);
    vem__free(dl.buf);
    if (n_heldout)
        *n_heldout = nh;
    if (nh <= 0)
        return VEM_FAIL(VEM_EINVAL, "completion: no held-out tokens");
    *perplexity = exp(-ll / nh);
    return VEM_OK;
}

/* ------------------------------------------------------ topics, coherence */

vem_status vem_lda_top_words(const vem_lda *l, size_t t, size_t n, uint32_t *out)
{
    const size_t k = l->k, v = l->v;
    if (t >= k || n == 0 || n > v)
        return VEM_FAIL(VEM_EINVAL, "top words: topic %zu of k=%zu, n=%zu of v=%zu", t, k, n, v);
    /* Insertion into a sorted list of n: O(v n), fine for the few words shown. */
    size_t len = 0;
    for (size_t w = 0; w < v; w++) {
        double x = l->lam[w * k + t];
        if (len == n && !(x > l->lam[(size_t)out[n - 1] * k + t]))
            continue;
        size_t pos = len < n ? len++ : n - 1;
        while (pos > 0 && x > l->lam[(size_t)out[pos - 1] * k + t]) {
            out[pos] = out[pos - 1];
            pos--;
        }
        out[pos] = (uint32_t)w;
    }
    return VEM_OK;
}

/* Binary search for word w in a document's increasing ids. */
static int doc_has(const uint32_t *ids, size_t n, uint32_t w)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ids[mid] < w)
            lo = mid + 1;
        else if (ids[mid] > w)
            hi = mid;
        else
            return 1;
    }
    return 0;
}

vem_status vem_lda_coherence(const vem_lda *l, const vem_docs *docs, size_t n, double *out)
{
    vem_status st = check_docs(l, docs);
    if (st != VEM_OK)
        return st;
    if (n < 2 || n > l->v)
        return VEM_FAIL(VEM_EINVAL, "coherence: n=%zu top words must be in [2, v=%zu]", n, l->v);
    uint32_t *top = vem__calloc(n, sizeof *top);
    double *df = vem__alloc_doubles(n, n); /* df[i n + j]: docs with both (i == j: df) */
    unsigned char *has = vem__calloc(n, 1);
    if (!top || !df || !has) {
        vem__free(top);
        vem__free(df);
        vem__free(has);
        return VEM_FAIL(VEM_ENOMEM, "coherence");
    }
    for (size_t t = 0; t < l->k; t++) {
        vem_lda_top_words(l, t, n, top);
        memset(df, 0, n * n * sizeof *df);
        for (size_t doc = 0; doc < docs->ndocs; doc++) {
            const uint32_t *ids;
            const double *cts;
            size_t m = doc_view(docs, doc, &ids, &cts);
            for (size_t i = 0; i < n; i++)
                has[i] = (unsigned char)doc_has(ids, m, top[i]);
            for (size_t i = 0; i < n; i++)
                if (has[i])
                    for (size_t j = 0; j <= i; j++)
                        if (has[j])
                            df[i * n + j] += 1.0;
        }
        double c = 0.0;
        for (size_t m = 1; m < n; m++)
            for (size_t j = 0; j < m; j++)
                if (df[j * n + j] > 0)
                    c += log((df[m * n + j] + 1.0) / df[j * n + j]);
        out[t] = c;
    }
    vem__free(top);
    vem__free(df);
    vem__free(has);
    return VEM_OK;
}
