/*
 * tests/test_lda_share.c — a corpus read in shares by the processes of a
 * distributed fit (vem_docs_read_share_comm) and the agreement on a step's
 * outcome (vem_comm_agree), with threads standing for processes
 * (tests/comm_threads.h), no MPI: the shares concatenate to the one-process
 * corpus, every process learns the vocabulary size and the document count,
 * a bad line in one share is every process's error with that share's
 * FILE:LINE, and an LDA fit over the shares is one process's fit.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vem/vem.h>

#include "check.h"
#include "comm_threads.h"

#define DATA VEM_TEST_DATA "/"

enum { PMAX = 3 };

/* What one "process" does and gets. */
typedef struct job {
    tc_endpoint e;
    const char *path;
    size_t nvocab;
    int fit;              /* then fit an LDA model on the share */
    vem_status mine;      /* agree: this process's status ... */
    const char *detail;   /* ... and its detail */
    vem_status st, agreed;
    char msg[512];
    vem_docs_owned c;
    size_t ndocs_all;
    double objective, alpha;
    double *lambda;
} job;

static vem_fit_opts fit_opts(void)
{
    vem_fit_opts o;
    vem_fit_opts_init(&o);
    o.max_iter = 8;
    o.tol = 0;
    o.nthreads = 1;
    return o;
}

/* Fit K = 3 topics with alpha estimated, from seed 4; objective, alpha and lambda out. */
static vem_status fit(const vem_docs_owned *c, const vem_comm *comm, double *objective,
                      double *alpha, double **lambda)
{
    vem_lda *l = vem_lda_new(3, c->nvocab);
    vem_lda_set_alpha_auto(l, 1);
    vem_fit_opts o = fit_opts();
    o.comm = comm;
    vem_rng r;
    vem_rng_seed(&r, 4);
    vem_fit_result res;
    vem_docs d = vem_docs_owned_view(c);
    vem_status st = vem_lda_fit(l, &d, &o, &r, &res, NULL);
    *objective = res.objective;
    *alpha = vem_lda_alpha(l);
    *lambda = malloc(3 * c->nvocab * sizeof **lambda);
    vem_lda_get_lambda(l, *lambda);
    vem_fit_result_clear(&res);
    vem_lda_free(l);
    return st;
}

static void *run_process(void *arg)
{
    job *j = arg;
    vem_comm comm = tc_comm(&j->e);
    if (j->path) {
        j->st = vem_docs_read_share_comm(j->path, j->nvocab, &comm, &j->c, &j->ndocs_all);
        if (j->st == VEM_OK && j->fit)
            j->st = fit(&j->c, &comm, &j->objective, &j->alpha, &j->lambda);
    } else {
        /* vem_errmsg() is per thread: this "process's" detail first. */
        vem_status s = j->mine;
        if (s != VEM_OK)
            vem_docs_read_uci(j->detail, &j->c); /* sets a detail naming the path */
        j->agreed = vem_comm_agree(&comm, s);
    }
    snprintf(j->msg, sizeof j->msg, "%s", vem_errmsg());
    return NULL;
}

/* Run p "processes" on jobs j[0..p) (each with its rank set here). */
static void run(job *j, int p)
{
    tc_transport t;
    tc_init(&t, p);
    pthread_t th[PMAX];
    for (int r = 0; r < p; r++) {
        j[r].e = (tc_endpoint){&t, r};
        pthread_create(&th[r], NULL, run_process, &j[r]);
    }
    for (int r = 0; r < p; r++)
        pthread_join(th[r], NULL);
    tc_destroy(&t);
}

static void clear(job *j, int p)
{
    for (int r = 0; r < p; r++) {
        vem_docs_owned_clear(&j[r].c);
        free(j[r].lambda);
    }
}

/* The shares of path over p processes, in rank order, are the one-process corpus. */
static void check_shares(const char *path, size_t nvocab, int p)
{
    vem_docs_owned one = {0};
    CHECK(vem_docs_read(path, nvocab, &one) == VEM_OK);
    job j[PMAX];
    memset(j, 0, sizeof j);
    for (int r = 0; r < p; r++) {
        j[r].path = path;
        j[r].nvocab = nvocab;
    }
    run(j, p);
    size_t doc = 0, nnz = 0;
    for (int r = 0; r < p; r++) {
        const vem_docs_owned *c = &j[r].c;
        CHECK(j[r].st == VEM_OK);
        CHECK(j[r].ndocs_all == one.ndocs);
        CHECK(c->nvocab == one.nvocab);
        CHECK(c->ndocs > 0 && c->ndocs < one.ndocs); /* a real split */
        for (size_t i = 0; i < c->ndocs && doc + i < one.ndocs; i++)
            CHECK(c->ptr[i + 1] - c->ptr[i] == one.ptr[doc + i + 1] - one.ptr[doc + i]);
        const size_t n = c->ptr[c->ndocs];
        CHECK(nnz + n <= one.ptr[one.ndocs]);
        if (nnz + n <= one.ptr[one.ndocs]) {
            CHECK(memcmp(c->word, one.word + nnz, n * sizeof *c->word) == 0);
            CHECK(memcmp(c->count, one.count + nnz, n * sizeof *c->count) == 0);
        }
        doc += c->ndocs;
        nnz += n;
    }
    CHECK(doc == one.ndocs && nnz == one.ptr[one.ndocs]);
    clear(j, p);
    vem_docs_owned_clear(&one);
}

/* Every process fails alike, with the detail of the first share that failed. */
static void check_error(const char *path, int p, vem_status want, const char *text)
{
    job j[PMAX];
    memset(j, 0, sizeof j);
    for (int r = 0; r < p; r++)
        j[r].path = path;
    run(j, p);
    for (int r = 0; r < p; r++) {
        CHECK(j[r].st == want);
        CHECK(j[r].c.ptr == NULL && j[r].c.ndocs == 0);
        if (!strstr(j[r].msg, text)) {
            check_failures++;
            fprintf(stderr, "FAIL: process %d's detail '%s' lacks '%s'\n", r, j[r].msg, text);
        }
    }
    clear(j, p);
}

/* A copy of the UCI fixture with line `bad` replaced by text: the file's name. */
static const char *bad_copy(const char *name, int bad, const char *text)
{
    FILE *in = fopen(DATA "lda_mpi.docword.txt", "r"), *out = fopen(name, "w");
    char line[256];
    for (int n = 1; in && out && fgets(line, sizeof line, in); n++)
        fputs(n == bad ? text : line, out);
    if (in)
        fclose(in);
    if (out)
        fclose(out);
    return name;
}

static void test_shares(void)
{
    /* 90 documents (17 and 58 empty), 40 words; UCI cut on document boundaries,
     * LDA-C on lines: its vocabulary size is the largest id + 1 over the shares. */
    check_shares(DATA "lda_mpi.docword.txt", 0, 2);
    check_shares(DATA "lda_mpi.docword.txt", 40, 3);
    check_shares(DATA "lda_mpi.ldac", 0, 2);
    check_shares(DATA "lda_mpi.ldac", 0, 3);
}

static void test_share_errors(void)
{
    /* Line 830 lies in the second share: the first process reports it too. */
    check_error(bad_copy("test_lda_share_bad.docword.txt", 830, "61 7 x\n"), 2, VEM_EFORMAT,
                "test_lda_share_bad.docword.txt:830: expected 'docID wordID count'");
    /* A bad line in every share: the first process's (line 4 is the first data line). */
    check_error(bad_copy("test_lda_share_bad.docword.txt", 4, "1 7 x\n"), 2, VEM_EFORMAT,
                "test_lda_share_bad.docword.txt:4: expected");
    remove("test_lda_share_bad.docword.txt");
    check_error(DATA "no_such_file.docword.txt", 2, VEM_EIO, "no_such_file.docword.txt");
    /* A corpus without documents: said once for all. */
    FILE *f = fopen("test_lda_share_empty.docword.txt", "w");
    if (f) {
        fputs("0\n5\n0\n", f);
        fclose(f);
    }
    check_error("test_lda_share_empty.docword.txt", 2, VEM_EFORMAT,
                "test_lda_share_empty.docword.txt: no documents");
    remove("test_lda_share_empty.docword.txt");
    /* One process (comm NULL): the whole corpus, any line order. */
    vem_docs_owned c = {0};
    size_t n = 0;
    CHECK(vem_docs_read_share_comm(DATA "lda_ok.docword.txt", 0, NULL, &c, &n) == VEM_OK);
    CHECK(n == 3 && c.ndocs == 3 && c.nvocab == 5);
    vem_docs_owned_clear(&c);
}

/* vem_comm_agree: the first failing process's status and detail everywhere. */
static void test_agree(void)
{
    static const struct {
        vem_status s[PMAX];
        vem_status want;
        const char *text;
    } cases[] = {
        {{VEM_OK, VEM_OK, VEM_OK}, VEM_OK, NULL},
        {{VEM_OK, VEM_ENUMERIC, VEM_OK}, VEM_ENUMERIC, "no_such_1"},
        {{VEM_OK, VEM_EIO, VEM_ENOMEM}, VEM_EIO, "no_such_1"},
        {{VEM_EINVAL, VEM_OK, VEM_ENOMEM}, VEM_EINVAL, "no_such_0"},
    };
    static const char *const details[PMAX] = {"no_such_0", "no_such_1", "no_such_2"};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        job j[PMAX];
        memset(j, 0, sizeof j);
        for (int r = 0; r < PMAX; r++) {
            j[r].mine = cases[i].s[r];
            j[r].detail = details[r];
        }
        run(j, PMAX);
        for (int r = 0; r < PMAX; r++) {
            CHECK(j[r].agreed == cases[i].want);
            CHECK(!cases[i].text || strstr(j[r].msg, cases[i].text) != NULL);
        }
        clear(j, PMAX);
    }
    CHECK(vem_comm_agree(NULL, VEM_EFORMAT) == VEM_EFORMAT);
    CHECK(vem_comm_agree(NULL, VEM_OK) == VEM_OK);
}

/* The fit over two shares is one process's fit on the whole corpus (the same random
 * start on both, the statistics summed): to round-off, and the same on both. */
static void test_fit_on_shares(void)
{
    vem_docs_owned one = {0};
    CHECK(vem_docs_read(DATA "lda_mpi.docword.txt", 0, &one) == VEM_OK);
    double obj1, alpha1, *lam1 = NULL;
    CHECK(fit(&one, NULL, &obj1, &alpha1, &lam1) == VEM_EMAXITER);
    job j[2];
    memset(j, 0, sizeof j);
    for (int r = 0; r < 2; r++) {
        j[r].path = DATA "lda_mpi.docword.txt";
        j[r].fit = 1;
    }
    run(j, 2);
    const size_t vk = 3 * one.nvocab;
    for (int r = 0; r < 2; r++) {
        CHECK(j[r].st == VEM_EMAXITER);
        CHECK_REL(j[r].objective, obj1, 1e-12);
        CHECK_REL(j[r].alpha, alpha1, 1e-12);
        for (size_t i = 0; j[r].lambda && i < vk; i++)
            CHECK_REL(j[r].lambda[i], lam1[i], 1e-10);
    }
    CHECK(j[0].objective == j[1].objective && j[0].alpha == j[1].alpha);
    CHECK(j[0].lambda && j[1].lambda && memcmp(j[0].lambda, j[1].lambda, vk * sizeof(double)) == 0);
    clear(j, 2);
    free(lam1);
    vem_docs_owned_clear(&one);
}

int main(void)
{
    test_shares();
    test_share_errors();
    test_agree();
    test_fit_on_shares();
    return check_report("lda_share");
}
