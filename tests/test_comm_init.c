/*
 * tests/test_comm_init.c — a distributed fit's default initialisation is one
 * process's: for every model, three threads standing for three processes
 * (tests/comm_threads.h, no MPI), each with an uneven share of the units, fit
 * from the same seed with restarts and an initialisation sample smaller than
 * the data, and must give one process's model on all the data (to rounding:
 * the sums are associated differently), the same on every process; and so
 * when each process streams its share from a file (a source).
 */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include <vem/vem.h>

#include "check.h"
#include "comm_threads.h"

enum { NP = 3 };

/* The same fixed-length run everywhere: no convergence test to fall either side of. */
static void fit_opts(vem_fit_opts *o)
{
    vem_fit_opts_init(o);
    o->n_init = 2;
    o->tol = 0;
    o->max_iter = 15;
    o->nthreads = 1;
    o->init_sample = 200;
}

static double *params_of(vem_model m, size_t *len)
{
    *len = m.ops->params_len(m.self);
    double *p = malloc(*len * sizeof *p);
    m.ops->params_get(m.self, p);
    return p;
}

/* Every process's parameters equal one process's to rtol, and each other's bits. */
static void check_same(vem_model one, vem_model *procs, const vem_fit_result *r1,
                       const vem_fit_result *rp, double rtol, const char *what)
{
    size_t n1, n;
    double *p1 = params_of(one, &n1);
    double *p0 = NULL;
    int bad = 0;
    for (int r = 0; r < NP; r++) {
        double *p = params_of(procs[r], &n);
        CHECK(n == n1);
        CHECK(rp[r].best_init == r1->best_init);
        CHECK_REL(rp[r].objective, r1->objective, 1e-11);
        for (size_t i = 0; n == n1 && i < n; i++)
            if (!(fabs(p[i] - p1[i]) <= rtol * fmax(fabs(p1[i]), 1e-3)))
                bad++;
        if (r == 0)
            p0 = p;
        else {
            CHECK(memcmp(p, p0, n * sizeof *p) == 0);
            free(p);
        }
    }
    CHECK(bad == 0);
    if (bad)
        fprintf(stderr, "  %s: %d parameters differ from one process's\n", what, bad);
    free(p0);
    free(p1);
}

/* Process r's share [lo, hi) of n units: uneven (1 : 2 : 3). */
static void share(size_t n, int r, size_t *lo, size_t *hi)
{
    static const size_t w[NP + 1] = {0, 1, 3, 6};
    *lo = n * w[r] / 6;
    *hi = n * w[r + 1] / 6;
}

/* ---------------------------------------------------------------- GMM, VB-GMM */

/* The two row models through one table: the same data, shares and files. */
typedef struct row_kind {
    const char *name;
    void *(*make)(void);
    vem_status (*fit)(void *m, const vem_matrix *x, const vem_fit_opts *o, vem_rng *rng,
                      vem_fit_result *res);
    vem_status (*fit_source)(void *m, vem_source *src, const vem_fit_opts *o, vem_rng *rng,
                             vem_fit_result *res);
    vem_model (*model)(void *m);
    void (*release)(void *m);
} row_kind;

enum { GN = 900, GD = 2, GK = 3 };
static double gx[GN * GD];
static void *gproc[NP];
static vem_fit_result gres[NP];
static const row_kind *gkind;
static char gcsv[256];

static void *gmm_make(void) { return vem_gmm_new(GK, GD, VEM_COV_FULL); }
static vem_status gmm_fit(void *m, const vem_matrix *x, const vem_fit_opts *o, vem_rng *rng,
                          vem_fit_result *res) { return vem_gmm_fit(m, x, o, rng, res); }
static vem_status gmm_fit_source(void *m, vem_source *src, const vem_fit_opts *o, vem_rng *rng,
                                 vem_fit_result *res) { return vem_gmm_fit_source(m, src, o, rng, res); }
static vem_model gmm_model(void *m) { return vem_gmm_model(m); }
static void gmm_release(void *m) { vem_gmm_free(m); }

static void *vbgmm_make(void) { return vem_vbgmm_new(5, GD, VEM_COV_FULL); }
static vem_status vbgmm_fit(void *m, const vem_matrix *x, const vem_fit_opts *o, vem_rng *rng,
                            vem_fit_result *res) { return vem_vbgmm_fit(m, x, o, rng, res); }
static vem_status vbgmm_fit_source(void *m, vem_source *src, const vem_fit_opts *o,
                                   vem_rng *rng, vem_fit_result *res)
{
    return vem_vbgmm_fit_source(m, src, o, rng, res);
}
static vem_model vbgmm_model(void *m) { return vem_vbgmm_model(m); }
static void vbgmm_release(void *m) { vem_vbgmm_free(m); }

/* GMM with restarts; VB-GMM, whose default priors come from all the rows (summed over
 * the processes) while the start comes from the one-process sample. */
static const row_kind row_kinds[] = {
    {"gmm", gmm_make, gmm_fit, gmm_fit_source, gmm_model, gmm_release},
    {"vbgmm", vbgmm_make, vbgmm_fit, vbgmm_fit_source, vbgmm_model, vbgmm_release},
};

/* arg non-NULL: each process streams its byte share of the CSV file gcsv. */
static void row_proc(tc_endpoint *e, void *arg)
{
    vem_comm c = tc_comm(e);
    vem_fit_opts o;
    fit_opts(&o);
    o.comm = &c;
    size_t lo, hi;
    share(GN, e->rank, &lo, &hi);
    vem_matrix x = vem_matrix_view(gx + lo * GD, hi - lo, GD);
    vem_rng rng;
    vem_rng_seed(&rng, 5);
    if (!arg) {
        gkind->fit(gproc[e->rank], &x, &o, &rng, &gres[e->rank]);
        return;
    }
    vem_source *src = vem_source_open_csv_share(gcsv, NULL, (size_t)e->rank, NP);
    gkind->fit_source(gproc[e->rank], src, &o, &rng, &gres[e->rank]);
    vem_source_close(src);
}

static void test_rows(void)
{
    vem_rng rng;
    vem_rng_seed(&rng, 11);
    for (size_t i = 0; i < GN; i++)
        for (size_t j = 0; j < GD; j++)
            gx[i * GD + j] = 4.0 * (double)((i * 7 + j) % GK) + vem_rng_normal(&rng);
    snprintf(gcsv, sizeof gcsv, "/tmp/vem-comm-init-%ld.csv", (long)getpid());
    FILE *f = fopen(gcsv, "w");
    for (size_t i = 0; i < GN; i++)
        fprintf(f, "%.17g,%.17g\n", gx[i * GD], gx[i * GD + 1]);
    fclose(f);
    for (size_t kind = 0; kind < sizeof row_kinds / sizeof row_kinds[0]; kind++) {
        gkind = &row_kinds[kind];
        void *one = gkind->make();
        vem_fit_opts o;
        fit_opts(&o);
        vem_rng_seed(&rng, 5);
        vem_matrix x = vem_matrix_view(gx, GN, GD);
        vem_fit_result r1;
        CHECK(gkind->fit(one, &x, &o, &rng, &r1) == VEM_EMAXITER);
        /* In memory, then each process streaming its share of the CSV file. */
        for (int pass = 0; pass < 2; pass++) {
            for (int r = 0; r < NP; r++)
                gproc[r] = gkind->make();
            tc_run_each(NP, row_proc, pass ? gcsv : NULL);
            vem_model m[NP];
            for (int r = 0; r < NP; r++)
                m[r] = gkind->model(gproc[r]);
            char what[64];
            snprintf(what, sizeof what, "%s%s", gkind->name, pass ? " streamed shares" : "");
            check_same(gkind->model(one), m, &r1, gres, 1e-9, what);
            for (int r = 0; r < NP; r++) {
                vem_fit_result_clear(&gres[r]);
                gkind->release(gproc[r]);
            }
        }
        vem_fit_result_clear(&r1);
        gkind->release(one);
    }
    remove(gcsv);
}

/* ---------------------------------------------------------------- HMM */

enum { HS = 30 };
static double *hx;
static size_t hstart[HS + 1];
static vem_hmm *hproc[NP];
static vem_fit_result hres[NP];

static char hbin[256];

/* One restart: this HMM's restarts reach the same optimum (relabelled), and which of
 * two equal ELBOs is kept would turn on round-off; GMM's test covers the restarts. */
static void hmm_opts(vem_fit_opts *o)
{
    fit_opts(o);
    o->n_init = 1;
}

/* arg non-NULL: each process streams its whole sequences from the raw file hbin. */
static void hmm_proc(tc_endpoint *e, void *arg)
{
    vem_comm c = tc_comm(e);
    vem_fit_opts o;
    hmm_opts(&o);
    o.comm = &c;
    size_t s0, s1;
    share(HS, e->rank, &s0, &s1);
    size_t st[HS + 1];
    for (size_t s = s0; s <= s1; s++)
        st[s - s0] = hstart[s] - hstart[s0];
    vem_matrix x = vem_matrix_view(hx + hstart[s0] * GD, hstart[s1] - hstart[s0], GD);
    vem_seqs sq = {st, s1 - s0};
    vem_rng rng;
    vem_rng_seed(&rng, 5);
    if (!arg) {
        vem_hmm_fit(hproc[e->rank], &x, &sq, &o, &rng, &hres[e->rank]);
        return;
    }
    vem_source *src = vem_source_open_binary(hbin, GD);
    vem_source_keep_rows(src, hstart[s0], hstart[s1]);
    vem_source_set_sequences(src, st, s1 - s0);
    vem_hmm_fit_source(hproc[e->rank], src, &o, &rng, &hres[e->rank]);
    vem_source_close(src);
}

static void test_hmm(void)
{
    vem_rng rng;
    vem_rng_seed(&rng, 12);
    hstart[0] = 0;
    for (size_t s = 0; s < HS; s++)
        hstart[s + 1] = hstart[s] + 15 + (s * 13) % 40;
    const size_t rows = hstart[HS];
    hx = malloc(rows * GD * sizeof *hx);
    int state = 0;
    for (size_t r = 0; r < rows; r++) {
        if (vem_rng_uniform(&rng) < 0.15)
            state = (state + 1) % 3;
        for (size_t j = 0; j < GD; j++)
            hx[r * GD + j] = 3.0 * state + vem_rng_normal(&rng);
    }
    vem_hmm *one = vem_hmm_new(3, VEM_HMM_GAUSSIAN, GD, VEM_COV_DIAG);
    vem_fit_opts o;
    hmm_opts(&o);
    vem_rng_seed(&rng, 5);
    vem_matrix x = vem_matrix_view(hx, rows, GD);
    vem_seqs sq = {hstart, HS};
    vem_fit_result r1;
    CHECK(rows > o.init_sample); /* the sample is a strict subset */
    CHECK(vem_hmm_fit(one, &x, &sq, &o, &rng, &r1) == VEM_EMAXITER);
    for (int r = 0; r < NP; r++)
        hproc[r] = vem_hmm_new(3, VEM_HMM_GAUSSIAN, GD, VEM_COV_DIAG);
    tc_run_each(NP, hmm_proc, NULL);
    vem_model m[NP];
    for (int r = 0; r < NP; r++)
        m[r] = vem_hmm_model(hproc[r]);
    check_same(vem_hmm_model(one), m, &r1, hres, 1e-8, "hmm");
    for (int r = 0; r < NP; r++) {
        vem_fit_result_clear(&hres[r]);
        vem_hmm_free(hproc[r]);
    }
    snprintf(hbin, sizeof hbin, "/tmp/vem-comm-init-%ld.f64", (long)getpid());
    FILE *f = fopen(hbin, "wb");
    CHECK(fwrite(hx, sizeof *hx, rows * GD, f) == rows * GD);
    fclose(f);
    for (int r = 0; r < NP; r++)
        hproc[r] = vem_hmm_new(3, VEM_HMM_GAUSSIAN, GD, VEM_COV_DIAG);
    tc_run_each(NP, hmm_proc, hbin);
    for (int r = 0; r < NP; r++)
        m[r] = vem_hmm_model(hproc[r]);
    check_same(vem_hmm_model(one), m, &r1, hres, 1e-8, "hmm streamed shares");
    for (int r = 0; r < NP; r++) {
        vem_fit_result_clear(&hres[r]);
        vem_hmm_free(hproc[r]);
    }
    remove(hbin);
    vem_fit_result_clear(&r1);
    vem_hmm_free(one);
    free(hx);
}

/* ---------------------------------------------------------------- LDA */

enum { LD = 240, LV = 40 };
static vem_docs_owned corpus;
static vem_lda *lproc[NP];
static vem_fit_result lres[NP];

/* NULL: the default batch fit; else online fits, with sparse or dense steps. */
typedef struct lda_online {
    int dense;
    const char *corpus; /* non-NULL: a batch fit, each process streaming its share of this file */
} lda_online;

static void lda_proc(tc_endpoint *e, void *arg)
{
    const lda_online *on = arg;
    vem_comm c = tc_comm(e);
    vem_fit_opts o;
    fit_opts(&o);
    o.comm = &c;
    if (on && on->corpus) {
        vem_source *src = vem_source_open_docs(on->corpus, LV, (size_t)e->rank, NP);
        vem_rng rng;
        vem_rng_seed(&rng, 5);
        vem_lda_fit_source(lproc[e->rank], src, &o, &rng, &lres[e->rank], NULL);
        vem_source_close(src);
        return;
    }
    if (on) {
        o.algorithm = VEM_ALG_STEPWISE;
        o.batch_size = 20;
        o.max_iter = 3;
        o.n_init = 1;
        o.dense_steps = on->dense;
    }
    size_t d0, d1;
    share(LD, e->rank, &d0, &d1);
    /* The share as its own CSR (offsets from 0). */
    size_t *ptr = malloc((d1 - d0 + 1) * sizeof *ptr);
    for (size_t d = d0; d <= d1; d++)
        ptr[d - d0] = corpus.ptr[d] - corpus.ptr[d0];
    vem_docs docs = {.ndocs = d1 - d0,
                     .nvocab = LV,
                     .ptr = ptr,
                     .word = corpus.word + corpus.ptr[d0],
                     .count = corpus.count + corpus.ptr[d0]};
    vem_rng rng;
    vem_rng_seed(&rng, 5);
    vem_lda_fit(lproc[e->rank], &docs, &o, &rng, &lres[e->rank], NULL);
    free(ptr);
}

static void test_lda(void)
{
    vem_rng rng;
    vem_rng_seed(&rng, 13);
    corpus.ndocs = LD;
    corpus.nvocab = LV;
    corpus.ptr = calloc(LD + 1, sizeof *corpus.ptr);
    corpus.word = malloc((size_t)LD * LV * sizeof *corpus.word);
    corpus.count = malloc((size_t)LD * LV * sizeof *corpus.count);
    size_t nnz = 0;
    for (size_t d = 0; d < LD; d++) {
        for (size_t w = 0; w < LV; w++)
            if (vem_rng_uniform(&rng) < (((w < LV / 2) == (d % 2 == 0)) ? 0.4 : 0.05)) {
                corpus.word[nnz] = (uint32_t)w;
                corpus.count[nnz++] = 1.0 + (double)(vem_rng_next(&rng) % 3);
            }
        corpus.ptr[d + 1] = nnz;
    }
    vem_docs all = vem_docs_owned_view(&corpus);
    vem_lda *one = vem_lda_new(2, LV);
    vem_fit_opts o;
    fit_opts(&o);
    vem_rng_seed(&rng, 5);
    vem_fit_result r1;
    CHECK(vem_lda_fit(one, &all, &o, &rng, &r1, NULL) == VEM_EMAXITER);
    for (int r = 0; r < NP; r++)
        lproc[r] = vem_lda_new(2, LV);
    tc_run_each(NP, lda_proc, NULL);
    vem_model m[NP];
    for (int r = 0; r < NP; r++)
        m[r] = vem_lda_model(lproc[r]);
    check_same(vem_lda_model(one), m, &r1, lres, 1e-9, "lda");
    for (int r = 0; r < NP; r++) {
        vem_fit_result_clear(&lres[r]);
        vem_lda_free(lproc[r]);
    }
    /* Each process streaming its share of the corpus written as UCI: the same model. */
    char path[256];
    snprintf(path, sizeof path, "/tmp/vem-comm-init-%ld.docword", (long)getpid());
    CHECK(vem_docs_write_uci(&all, path) == VEM_OK);
    lda_online streamed = {0, path};
    for (int r = 0; r < NP; r++)
        lproc[r] = vem_lda_new(2, LV);
    tc_run_each(NP, lda_proc, &streamed);
    for (int r = 0; r < NP; r++)
        m[r] = vem_lda_model(lproc[r]);
    check_same(vem_lda_model(one), m, &r1, lres, 1e-9, "lda streamed shares");
    for (int r = 0; r < NP; r++) {
        vem_fit_result_clear(&lres[r]);
        vem_lda_free(lproc[r]);
    }
    remove(path);
    /* Online over the processes: the sparse steps, which sum only the rows some
     * process's minibatch touched, give the dense steps' model to rounding. */
    lda_online dense = {1, NULL}, sparse = {0, NULL};
    vem_lda *ref[NP];
    vem_fit_result rref[NP];
    for (int r = 0; r < NP; r++)
        lproc[r] = vem_lda_new(2, LV);
    tc_run_each(NP, lda_proc, &dense);
    for (int r = 0; r < NP; r++) {
        ref[r] = lproc[r];
        rref[r] = lres[r];
        lproc[r] = vem_lda_new(2, LV);
    }
    tc_run_each(NP, lda_proc, &sparse);
    for (int r = 0; r < NP; r++)
        m[r] = vem_lda_model(lproc[r]);
    rref[0].best_init = lres[0].best_init;
    check_same(vem_lda_model(ref[0]), m, &rref[0], lres, 1e-9, "lda online sparse vs dense");
    CHECK(lres[0].n_iter == 3 && rref[0].n_iter == 3);
    for (int r = 0; r < NP; r++) {
        vem_fit_result_clear(&lres[r]);
        vem_fit_result_clear(&rref[r]);
        vem_lda_free(lproc[r]);
        vem_lda_free(ref[r]);
    }
    vem_fit_result_clear(&r1);
    vem_lda_free(one);
    vem_docs_owned_clear(&corpus);
}

/* ---------------------------------------------------------------- BLR */

enum { BN = 300, BD = 3 };
static double bx[BN * BD], by[BN];
static vem_blr *bproc[NP];
static vem_fit_result bres[NP];

static void blr_proc(tc_endpoint *e, void *arg)
{
    (void)arg;
    vem_comm c = tc_comm(e);
    vem_fit_opts o;
    fit_opts(&o);
    o.n_init = 1;
    o.comm = &c;
    size_t lo, hi;
    share(BN, e->rank, &lo, &hi);
    vem_matrix x = vem_matrix_view(bx + lo * BD, hi - lo, BD);
    vem_blr_fit(bproc[e->rank], &x, by + lo, &o, &bres[e->rank]);
}

static void test_blr(void)
{
    vem_rng rng;
    vem_rng_seed(&rng, 14);
    for (size_t i = 0; i < BN; i++) {
        for (size_t j = 0; j < BD; j++)
            bx[i * BD + j] = vem_rng_normal(&rng);
        by[i] = 1.5 * bx[i * BD] - 2.0 * bx[i * BD + 2] + 0.3 * vem_rng_normal(&rng);
    }
    vem_blr *one = vem_blr_new(BD);
    vem_fit_opts o;
    fit_opts(&o);
    o.n_init = 1;
    vem_matrix x = vem_matrix_view(bx, BN, BD);
    vem_fit_result r1;
    CHECK(vem_blr_fit(one, &x, by, &o, &r1) == VEM_EMAXITER);
    for (int r = 0; r < NP; r++)
        bproc[r] = vem_blr_new(BD);
    tc_run_each(NP, blr_proc, NULL);
    for (int r = 0; r < NP; r++) {
        CHECK_REL(bres[r].objective, r1.objective, 1e-11);
        for (size_t j = 0; j < BD; j++)
            CHECK_REL(vem_blr_coef(bproc[r])[j], vem_blr_coef(one)[j], 1e-9);
        vem_fit_result_clear(&bres[r]);
        vem_blr_free(bproc[r]);
    }
    vem_fit_result_clear(&r1);
    vem_blr_free(one);
}

int main(void)
{
    test_rows();
    test_hmm();
    test_lda();
    test_blr();
    return check_report("comm_init");
}
