/*
 * tests/test_sparse.c — the engine's sparse stepwise EM (vem_model_ops.sparse_*,
 * docs/online.md "Sparse stepwise EM") on a model made for checking it: word
 * counts. Its ESS are, per word, [sum of counts, number of documents] (rows of
 * 2) and a tail [documents]; its parameters are the ESS themselves, so the
 * M-step shows exactly what the engine blended. Checked:
 * - the sparse path ends every pass with the same statistics as the dense one
 *   (every entry blended at every minibatch) to 1e-12, from the same seed;
 * - it touches only the minibatch's words: every row an E-step reads was
 *   prepared for that minibatch, and the rows prepared in a pass number at most
 *   the corpus's (document, word) pairs, far fewer than words x minibatches;
 * - the column sums it hands the model are those of its rows; c decays below 1
 *   within a pass and is 1 at the refresh that ends it;
 * - 1 and 2 threads give the same bits.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <vem/vem.h>

#include "check.h"

enum { V = 3000, NDOCS = 240, PER_DOC = 6, RL = 2 };

typedef struct counts {
    double s[V * RL + 1]; /* the parameters: the last blended statistics */
    unsigned fresh[V];    /* the minibatch a row was last prepared for */
    unsigned step;        /* minibatches prepared so far */
    size_t rows_prepared; /* over the fit */
    size_t dense_msteps, sparse_msteps, refreshes;
    int bad_colsum, bad_c;
} counts;

static size_t stale_reads; /* rows E-steps read that were not prepared for their minibatch */

static size_t c_ess_len(const void *self)
{
    (void)self;
    return V * RL + 1;
}

static size_t c_n_units(const void *self, const vem_data *x)
{
    (void)self;
    return x->docs->ndocs;
}

static double c_n_obs(const void *self, const vem_data *x)
{
    (void)self;
    return (double)x->docs->ndocs;
}

static double c_estep(const void *self, const vem_data *x, size_t u0, size_t u1, double *ess,
                      double *scratch)
{
    (void)scratch;
    const counts *m = self;
    const vem_docs *d = x->docs;
    double obj = 0.0;
    for (size_t doc = u0; doc < u1; doc++) {
        for (size_t i = d->ptr[doc]; i < d->ptr[doc + 1]; i++) {
            uint32_t w = d->word[i];
            ess[w * RL] += d->count[i];
            ess[w * RL + 1] += 1.0;
            obj += d->count[i];
            if (m->fresh[w] != m->step) /* read without a fresh preparation */
                __atomic_fetch_add(&stale_reads, 1, __ATOMIC_RELAXED);
        }
        ess[V * RL] += 1.0;
    }
    return obj;
}

static vem_status c_mstep(void *self, const double *ess)
{
    counts *m = self;
    memcpy(m->s, ess, sizeof m->s);
    m->dense_msteps++;
    return VEM_OK;
}

static size_t c_params_len(const void *self)
{
    (void)self;
    return V * RL + 1;
}

static void c_params_get(const void *self, double *out)
{
    memcpy(out, ((const counts *)self)->s, sizeof(((const counts *)self)->s));
}

static vem_status c_params_set(void *self, const double *in)
{
    memcpy(((counts *)self)->s, in, sizeof(((counts *)self)->s));
    return VEM_OK;
}

static void c_ess_from_params(const void *self, double *ess)
{
    memcpy(ess, ((const counts *)self)->s, sizeof(((const counts *)self)->s));
}

static void c_shape(const void *self, size_t *n_rows, size_t *row_len)
{
    (void)self;
    *n_rows = V;
    *row_len = RL;
}

static size_t c_rows(const void *self, const vem_data *x, size_t u0, size_t u1, uint32_t *rows,
                     unsigned char *seen)
{
    (void)self;
    const vem_docs *d = x->docs;
    size_t n = 0;
    for (size_t i = d->ptr[u0]; i < d->ptr[u1]; i++)
        if (!seen[d->word[i]]) {
            seen[d->word[i]] = 1;
            rows[n++] = d->word[i];
        }
    for (size_t i = 0; i < n; i++)
        seen[rows[i]] = 0;
    return n;
}

static void check_colsum(counts *m, const double *s, const double *colsum)
{
    for (size_t j = 0; j < RL; j++) {
        double t = 0.0;
        for (size_t w = 0; w < V; w++)
            t += s[w * RL + j];
        if (!(fabs(t - colsum[j]) <= 1e-12 * fabs(t)))
            m->bad_colsum++;
    }
}

static vem_status c_prepare(void *self, const double *s, const double *colsum, double c,
                            const uint32_t *rows, size_t n)
{
    counts *m = self;
    (void)c;
    check_colsum(m, s, colsum);
    m->step++;
    for (size_t i = 0; i < n; i++)
        m->fresh[rows[i]] = m->step;
    m->rows_prepared += n;
    return VEM_OK;
}

static vem_status c_sparse_mstep(void *self, const double *s, const double *colsum, double c,
                                 const uint32_t *rows, size_t n)
{
    counts *m = self;
    check_colsum(m, s, colsum);
    if (!rows) {
        if (c != 1.0)
            m->bad_c++;
        for (size_t i = 0; i < V * RL; i++)
            m->s[i] = c * s[i];
        for (size_t w = 0; w < V; w++) /* every row current until the next step */
            m->fresh[w] = m->step;
        m->refreshes++;
    } else {
        if (!(c < 1.0 && c > 0.0))
            m->bad_c++;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < RL; j++)
                m->s[rows[i] * RL + j] = c * s[rows[i] * RL + j];
        m->sparse_msteps++;
    }
    m->s[V * RL] = s[V * RL];
    return VEM_OK;
}

static const vem_model_ops counts_ops = {
    .name = "counts",
    .ess_len = c_ess_len,
    .n_units = c_n_units,
    .n_obs = c_n_obs,
    .estep = c_estep,
    .mstep = c_mstep,
    .params_len = c_params_len,
    .params_get = c_params_get,
    .params_set = c_params_set,
    .ess_from_params = c_ess_from_params,
    .sparse_shape = c_shape,
    .sparse_rows = c_rows,
    .sparse_prepare = c_prepare,
    .sparse_mstep = c_sparse_mstep,
};

/* PER_DOC distinct words per document out of V, counts 1..4. */
static void corpus(size_t *ptr, uint32_t *word, double *count)
{
    vem_rng r;
    vem_rng_seed(&r, 11);
    ptr[0] = 0;
    for (size_t d = 0; d < NDOCS; d++) {
        size_t base = (size_t)vem_rng_below(&r, V - PER_DOC);
        for (size_t i = 0; i < PER_DOC; i++) {
            word[d * PER_DOC + i] = (uint32_t)(base + i);
            count[d * PER_DOC + i] = 1.0 + (double)vem_rng_below(&r, 4);
        }
        ptr[d + 1] = (d + 1) * PER_DOC;
    }
}

static void run(const vem_docs *docs, int dense, int threads, counts *m)
{
    memset(m, 0, sizeof *m);
    for (size_t i = 0; i < V * RL; i++)
        m->s[i] = 0.5 + (double)(i % 7) * 0.25; /* the model's initial statistics */
    m->s[V * RL] = NDOCS;
    for (size_t w = 0; w < V; w++)
        m->fresh[w] = ~0u;
    vem_model mod = {&counts_ops, m};
    vem_data x = {.docs = docs};
    vem_fit_opts o;
    vem_fit_opts_init(&o);
    o.algorithm = VEM_ALG_STEPWISE;
    o.batch_size = 16;
    o.max_iter = 3;
    o.tol = 0;
    o.warm_start = 1;
    o.kappa = 0.6;
    o.tau = 1;
    o.nthreads = threads;
    o.dense_steps = dense;
    vem_rng rng;
    vem_rng_seed(&rng, 3);
    vem_fit_result res;
    vem_status st = vem_fit_run(&mod, &x, &o, &rng, &res);
    CHECK(st == VEM_OK || st == VEM_EMAXITER);
    vem_fit_result_clear(&res);
}

int main(void)
{
    static size_t ptr[NDOCS + 1];
    static uint32_t word[NDOCS * PER_DOC];
    static double count[NDOCS * PER_DOC];
    corpus(ptr, word, count);
    vem_docs docs = {NDOCS, V, ptr, word, count};
    static counts dense, sparse, sparse2;
    run(&docs, 1, 1, &dense);
    stale_reads = 0;
    run(&docs, 0, 1, &sparse);
    run(&docs, 0, 2, &sparse2);
    const size_t steps = 3 * (NDOCS / 16);
    /* The dense run never takes the sparse path and vice versa. */
    CHECK(dense.dense_msteps == steps && dense.sparse_msteps == 0 && dense.step == 0);
    CHECK(sparse.dense_msteps == 0 && sparse.sparse_msteps == steps && sparse.refreshes == 3);
    /* Same statistics at the end. */
    double e = 0.0;
    for (size_t i = 0; i <= V * RL; i++)
        e = fmax(e, fabs(sparse.s[i] - dense.s[i]) / fabs(dense.s[i]));
    CHECK(e <= 1e-12);
    /* The statistics did move: the last minibatches' words weigh more than the start. */
    CHECK(fabs(dense.s[word[0] * RL] - (0.5 + (double)((word[0] * RL) % 7) * 0.25)) > 1e-3);
    /* Only the minibatches' words were read and prepared. */
    CHECK(stale_reads == 0);
    CHECK(sparse.step == steps);
    CHECK(sparse.rows_prepared <= 3 * (size_t)NDOCS * PER_DOC);
    CHECK(sparse.rows_prepared < steps * V / 10);
    CHECK(sparse.bad_colsum == 0 && sparse.bad_c == 0);
    /* Threads change no bit. */
    CHECK(memcmp(sparse.s, sparse2.s, sizeof sparse.s) == 0);
    return check_report("sparse");
}
