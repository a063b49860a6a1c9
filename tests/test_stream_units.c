/*
 * tests/test_stream_units.c — out-of-core fits of sequences and documents
 * (io.h: vem_source_set_sequences, vem_source_open_docs): a fit from a source
 * equals the in-memory fit bit for bit when the initialisation sees every
 * unit, for HMMs and LDA, with batch, stepwise and incremental EM, and with
 * E-step calls cut by size (a small block); bad corpora are refused with
 * their line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <vem/vem.h>

#include "check.h"

static char tmpdir[256];

static const char *tmp_path(const char *name)
{
    static char buf[4][512];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof buf[i], "%s/%s", tmpdir, name);
    return buf[i];
}

/* Whole-model parameters through the engine's interface. */
static double *params_of(vem_model m, size_t *len)
{
    *len = m.ops->params_len(m.self);
    double *p = malloc(*len * sizeof *p);
    m.ops->params_get(m.self, p);
    return p;
}

static int same_bits(const double *a, const double *b, size_t n)
{
    return memcmp(a, b, n * sizeof *a) == 0;
}

/* ------------------------------------------------------------------- HMM */

enum { NSEQ = 40, DIM = 2 };

/* Two-state Gaussian sequences of lengths 20 .. 98 into *x (rows x DIM) and starts. */
static size_t make_frames(double **x, size_t *start)
{
    vem_rng rng;
    vem_rng_seed(&rng, 11);
    size_t rows = 0;
    start[0] = 0;
    for (size_t s = 0; s < NSEQ; s++)
        start[s + 1] = (rows += 20 + (s * 37) % 79);
    *x = malloc(rows * DIM * sizeof **x);
    int state = 0;
    for (size_t r = 0; r < rows; r++) {
        if (vem_rng_uniform(&rng) < 0.1)
            state = 1 - state;
        for (size_t j = 0; j < DIM; j++)
            (*x)[r * DIM + j] = (state ? 3.0 : -1.0) + vem_rng_normal(&rng);
    }
    return rows;
}

static void write_f64(const char *path, const double *x, size_t n)
{
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(x, sizeof *x, n, f) == n);
    if (f)
        fclose(f);
}

/* A fixed-length run (no convergence test to fall either side of) on two threads. */
static void case_opts(vem_fit_opts *o, vem_algorithm alg, size_t block, size_t max_iter,
                      size_t batch_size, size_t n_blocks)
{
    vem_fit_opts_init(o);
    o->algorithm = alg;
    o->max_iter = max_iter;
    o->tol = 0;
    o->nthreads = 2;
    o->block = block;
    o->batch_size = batch_size;
    o->n_blocks = n_blocks;
}

static void hmm_case(vem_algorithm alg, size_t block, const vem_matrix *x, const vem_seqs *sq,
                     vem_source *src)
{
    vem_fit_opts o;
    case_opts(&o, alg, block, 6, 7, 3);
    o.n_init = 2;
    vem_hmm *a = vem_hmm_new(3, VEM_HMM_GAUSSIAN, DIM, VEM_COV_FULL);
    vem_hmm *b = vem_hmm_new(3, VEM_HMM_GAUSSIAN, DIM, VEM_COV_FULL);
    vem_rng ra, rb;
    vem_rng_seed(&ra, 5);
    vem_rng_seed(&rb, 5);
    vem_fit_result res_a, res_b;
    vem_status sa = vem_hmm_fit(a, x, sq, &o, &ra, &res_a);
    vem_status sb = vem_hmm_fit_source(b, src, &o, &rb, &res_b);
    CHECK(sa == VEM_EMAXITER && sb == VEM_EMAXITER);
    size_t la, lb;
    double *pa = params_of(vem_hmm_model(a), &la), *pb = params_of(vem_hmm_model(b), &lb);
    CHECK(la == lb && same_bits(pa, pb, la));
    CHECK(memcmp(&res_a.objective, &res_b.objective, sizeof(double)) == 0);
    CHECK(res_a.n_iter == res_b.n_iter && res_a.trace_len == res_b.trace_len);
    if (!(la == lb && same_bits(pa, pb, la)))
        fprintf(stderr, "  hmm %s block %zu: %.17g vs %.17g\n", vem_algorithm_name(alg), block,
                res_a.objective, res_b.objective);
    free(pa);
    free(pb);
    vem_fit_result_clear(&res_a);
    vem_fit_result_clear(&res_b);
    vem_hmm_free(a);
    vem_hmm_free(b);
}

static void test_hmm(void)
{
    double *data;
    size_t start[NSEQ + 1];
    size_t rows = make_frames(&data, start);
    write_f64(tmp_path("frames.f64"), data, rows * DIM);
    vem_source *src = vem_source_open_binary(tmp_path("frames.f64"), DIM);
    CHECK(src != NULL);
    if (!src)
        return;
    CHECK(vem_source_set_sequences(src, start, NSEQ) == VEM_OK);
    CHECK(vem_source_unit_kind(src) == VEM_UNITS_SEQUENCES && vem_source_units(src) == NSEQ);
    CHECK(vem_source_unit_starts(src)[NSEQ] == rows);
    vem_matrix x = vem_matrix_view(data, rows, DIM);
    vem_seqs sq = {start, NSEQ};
    for (int alg = 0; alg < 3; alg++) {
        hmm_case((vem_algorithm)alg, 4096, &x, &sq, src);
        hmm_case((vem_algorithm)alg, 3, &x, &sq, src); /* several E-step calls per slot */
    }
    /* Bad sequence boundaries are refused with what is wrong. */
    size_t bad[3] = {0, 5, rows + 1};
    CHECK(vem_source_set_sequences(src, bad, 2) == VEM_EFORMAT);
    size_t empty[3] = {0, 0, rows};
    CHECK(vem_source_set_sequences(src, empty, 2) == VEM_EFORMAT && strstr(vem_errmsg(), "empty"));
    /* A GMM does not take sequences as its units. */
    vem_gmm *g = vem_gmm_new(2, DIM, VEM_COV_FULL);
    vem_rng rng;
    vem_rng_seed(&rng, 1);
    CHECK(vem_gmm_fit_source(g, src, NULL, &rng, NULL) == VEM_EINVAL &&
          strstr(vem_errmsg(), "sequences"));
    vem_gmm_free(g);
    /* A sample that misses units still initialises and fits. */
    vem_hmm *h = vem_hmm_new(2, VEM_HMM_GAUSSIAN, DIM, VEM_COV_DIAG);
    vem_fit_opts o;
    vem_fit_opts_init(&o);
    o.init_sample = 300;
    vem_status st = vem_hmm_fit_source(h, src, &o, &rng, NULL);
    CHECK(st == VEM_OK || st == VEM_EMAXITER);
    vem_hmm_free(h);
    vem_source_close(src);
    free(data);
}

/* ------------------------------------------------------------------- LDA */

enum { NDOCS = 300, V = 60 };

/* A corpus of NDOCS documents over V words, two planted topics, some empty documents. */
static void make_corpus(vem_docs_owned *c)
{
    vem_rng rng;
    vem_rng_seed(&rng, 3);
    c->ndocs = NDOCS;
    c->nvocab = V;
    c->ptr = calloc(NDOCS + 1, sizeof *c->ptr);
    c->word = malloc((size_t)NDOCS * V * sizeof *c->word);
    c->count = malloc((size_t)NDOCS * V * sizeof *c->count);
    size_t nnz = 0;
    for (size_t d = 0; d < NDOCS; d++) {
        int topic = d % 2;
        for (size_t w = 0; w < V && d % 37 != 5; w++) {
            int in = (w < V / 2) == (topic == 0);
            if (vem_rng_uniform(&rng) < (in ? 0.4 : 0.05)) {
                c->word[nnz] = (uint32_t)w;
                c->count[nnz++] = 1.0 + (double)(vem_rng_next(&rng) % 4);
            }
        }
        c->ptr[d + 1] = nnz;
    }
}

static void lda_case(vem_algorithm alg, size_t block, int dense, const vem_docs *d,
                     vem_source *src)
{
    vem_fit_opts o;
    case_opts(&o, alg, block, 4, 32, 4);
    o.dense_steps = dense;
    vem_lda *a = vem_lda_new(3, V), *b = vem_lda_new(3, V);
    vem_rng ra, rb;
    vem_rng_seed(&ra, 9);
    vem_rng_seed(&rb, 9);
    vem_fit_result res_a, res_b;
    vem_status sa = vem_lda_fit(a, d, &o, &ra, &res_a, NULL);
    vem_status sb = vem_lda_fit_source(b, src, &o, &rb, &res_b, NULL);
    CHECK(sa == VEM_EMAXITER && sb == VEM_EMAXITER);
    size_t la, lb;
    double *pa = params_of(vem_lda_model(a), &la), *pb = params_of(vem_lda_model(b), &lb);
    CHECK(la == lb && same_bits(pa, pb, la));
    CHECK(memcmp(&res_a.objective, &res_b.objective, sizeof(double)) == 0);
    if (!(la == lb && same_bits(pa, pb, la)))
        fprintf(stderr, "  lda %s block %zu dense %d: %.17g vs %.17g\n", vem_algorithm_name(alg),
                block, dense, res_a.objective, res_b.objective);
    free(pa);
    free(pb);
    vem_fit_result_clear(&res_a);
    vem_fit_result_clear(&res_b);
    vem_lda_free(a);
    vem_lda_free(b);
}

static void test_lda(void)
{
    vem_docs_owned c;
    memset(&c, 0, sizeof c);
    make_corpus(&c);
    vem_docs d = vem_docs_owned_view(&c);
    CHECK(vem_docs_write_uci(&d, tmp_path("docword.txt")) == VEM_OK);
    vem_source *src = vem_source_open_docs(tmp_path("docword.txt"), 0, 0, 1);
    CHECK(src != NULL);
    if (!src)
        return;
    CHECK(vem_source_unit_kind(src) == VEM_UNITS_DOCUMENTS && vem_source_units(src) == NDOCS);
    CHECK(vem_source_nvocab(src) == V);
    CHECK(memcmp(vem_source_unit_starts(src), c.ptr, (NDOCS + 1) * sizeof *c.ptr) == 0);
    double tokens = vem_docs_tokens(&d), got = vem_source_tokens(src);
    CHECK(memcmp(&tokens, &got, sizeof got) == 0);
    for (int alg = 0; alg < 3; alg++) {
        lda_case((vem_algorithm)alg, 4096, 0, &d, src);
        lda_case((vem_algorithm)alg, 5, 0, &d, src);
    }
    lda_case(VEM_ALG_STEPWISE, 4096, 1, &d, src); /* dense steps */

    /* Shares: two of them hold the corpus's documents, in order. */
    vem_source *s0 = vem_source_open_docs(tmp_path("docword.txt"), 0, 0, 2);
    vem_source *s1 = vem_source_open_docs(tmp_path("docword.txt"), 0, 1, 2);
    CHECK(s0 && s1);
    if (s0 && s1) {
        CHECK(vem_source_units(s0) + vem_source_units(s1) == NDOCS);
        CHECK(vem_source_units(s0) > 0 && vem_source_units(s1) > 0);
        CHECK_REL(vem_source_tokens(s0) + vem_source_tokens(s1), tokens, 1e-15);
    }
    vem_source_close(s0);
    vem_source_close(s1);
    /* A warm-gamma fit needs the documents in memory. */
    vem_lda *l = vem_lda_new(2, V);
    vem_lda_set_warm_gamma(l, 1);
    vem_rng rng;
    vem_rng_seed(&rng, 1);
    CHECK(vem_lda_fit_source(l, src, NULL, &rng, NULL, NULL) == VEM_EUNSUP);
    vem_lda_free(l);
    vem_source_close(src);

    /* Chunked conversion: a corpus larger than one conversion chunk, read back whole. */
    /* Out-of-order UCI lines are refused with their line. */
    FILE *f = fopen(tmp_path("bad.txt"), "w");
    fputs("3\n4\n4\n2 1 1\n1 2 1\n3 1 2\n3 4 1\n", f);
    fclose(f);
    CHECK(vem_source_open_docs(tmp_path("bad.txt"), 0, 0, 1) == NULL &&
          strstr(vem_errmsg(), "bad.txt:5") && strstr(vem_errmsg(), "out of order"));
    /* LDA-C reads too. */
    f = fopen(tmp_path("c.ldac"), "w");
    fputs("2 0:1 3:2\n0\n1 2:5\n", f);
    fclose(f);
    vem_source *lc = vem_source_open_docs(tmp_path("c.ldac"), 0, 0, 1);
    CHECK(lc && vem_source_units(lc) == 3 && vem_source_nvocab(lc) == 4);
    CHECK(lc && vem_source_tokens(lc) == 8.0 && vem_source_unit_starts(lc)[3] == 3);
    vem_source_close(lc);
    vem_docs_owned_clear(&c);
}

/* ----------------------------------------------------------- row shares */

static void test_shares(void)
{
    enum { R = 101, C = 3 };
    FILE *f = fopen(tmp_path("rows.csv"), "w");
    double x[R * C];
    fprintf(f, "a,b,c\n");
    for (size_t i = 0; i < R; i++) {
        for (size_t j = 0; j < C; j++)
            x[i * C + j] = (double)(i * 10 + j) + 0.25;
        fprintf(f, "%.17g,%.17g,%.17g\n", x[i * C], x[i * C + 1], x[i * C + 2]);
    }
    fclose(f);
    write_f64(tmp_path("rows.f64"), x, R * C);
    for (int bin = 0; bin < 2; bin++) {
        double got[R * C];
        size_t at = 0;
        for (size_t r = 0; r < 3; r++) {
            vem_source *s = bin ? vem_source_open_binary_share(tmp_path("rows.f64"), C, r, 3)
                                : vem_source_open_csv_share(tmp_path("rows.csv"), NULL, r, 3);
            CHECK(s != NULL);
            if (!s)
                continue;
            CHECK(vem_source_cols(s) == C && vem_source_rows(s) > 0);
            if (at + vem_source_rows(s) <= R)
                CHECK(vem_source_read(s, 0, vem_source_rows(s), got + at * C) == VEM_OK);
            at += vem_source_rows(s);
            vem_source_close(s);
        }
        CHECK(at == R && memcmp(got, x, sizeof x) == 0);
    }
    CHECK(vem_source_open_csv_share(tmp_path("rows.csv"), NULL, 3, 3) == NULL);
    /* Part of a source: rows [10, 20). */
    vem_source *s = vem_source_open_binary(tmp_path("rows.f64"), C);
    double part[10 * C];
    CHECK(vem_source_keep_rows(s, 10, 20) == VEM_OK && vem_source_rows(s) == 10);
    CHECK(vem_source_read(s, 0, 10, part) == VEM_OK && memcmp(part, x + 10 * C, sizeof part) == 0);
    CHECK(vem_source_keep_rows(s, 5, 2) == VEM_EINVAL);
    vem_source_close(s);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/vem-test-stream-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_hmm();
    test_lda();
    test_shares();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return check_report("stream_units");
}
