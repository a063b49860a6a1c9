/*
 * tests/test_share.c — what a distributed fit shares before it, without MPI:
 * threads stand for processes (comm_threads.h). Shares of rows
 * (vem_csv_read_share) and of whole sequences (vem_frames_read_share) put
 * together give one process's read; categorical names get the same codes on
 * every process; failures are agreed on with one message; the default priors
 * of a distributed vbgmm fit equal one process's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vem/vem.h>

#include "check.h"
#include "comm_threads.h"

static char dir[256];

static void path_of(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", dir, name);
}

static void write_file(const char *name, const char *text)
{
    char p[300];
    path_of(p, sizeof p, name);
    FILE *f = fopen(p, "w");
    fputs(text, f);
    fclose(f);
}

/* ---------------------------------------------------------------- jobs */

/* One simulated process's call and what it got. */
typedef struct job {
    tc_endpoint e;
    void (*call)(struct job *j, const vem_comm *c);
    const char *path;
    const vem_frames_opts *fo;
    const vem_csv_opts *co;
    size_t binary_cols;
    vem_frames f;
    vem_frames_share all;
    vem_table t;
    size_t rows_all;
    vem_status st;
    char msg[512];
    vem_vbgmm *v;
    vem_matrix x;
} job;

static void *run_job(void *arg)
{
    job *j = arg;
    vem_comm c = tc_comm(&j->e);
    j->call(j, &c);
    snprintf(j->msg, sizeof j->msg, "%s", j->st != VEM_OK ? vem_errmsg() : "");
    return NULL;
}

static void call_frames(job *j, const vem_comm *c)
{
    j->st = vem_frames_read_share(j->path, j->fo, c, &j->f, &j->all);
}

static void call_rows(job *j, const vem_comm *c)
{
    j->st = vem_csv_read_share(j->path, j->co, j->binary_cols, c, &j->t, &j->rows_all);
}

/* P processes making the same call; jobs[r] hold what each got. like (may be NULL):
 * the arguments of every job. */
static void run(int p, job *jobs, const job *like, void (*call)(job *, const vem_comm *),
                const char *path, tc_transport *t)
{
    tc_init(t, p);
    for (int r = 0; r < p; r++) {
        job *j = &jobs[r];
        if (like)
            *j = *like;
        j->e = (tc_endpoint){t, r};
        j->call = call;
        j->path = path;
    }
    tc_run(p, run_job, jobs, sizeof jobs[0]);
    tc_destroy(t);
}

/* Every process failed with st and holds the same message (vem_comm_agree), holding want:
 * a program prints it once, on process 0. */
static void check_one_message(const job *jobs, int p, vem_status st, const char *want)
{
    for (int r = 0; r < p; r++) {
        CHECK(jobs[r].st == st);
        CHECK(strstr(jobs[r].msg, want) != NULL);
        CHECK(strcmp(jobs[r].msg, jobs[0].msg) == 0);
        if (!strstr(jobs[r].msg, want))
            fprintf(stderr, "  process %d: status %d, '%s'\n  wanted: %s\n", r,
                    (int)jobs[r].st, jobs[r].msg, want);
    }
}

/* ---------------------------------------------------------------- frames */

/* The shares of p processes put together are one read of the whole file. */
static void check_frames_shares(const char *name, const vem_frames_opts *o, int p)
{
    char path[300];
    path_of(path, sizeof path, name);
    vem_frames one;
    CHECK(vem_frames_read(path, o, &one) == VEM_OK);
    job jobs[TC_MAX], like = {.fo = o};
    tc_transport t;
    run(p, jobs, &like, call_frames, path, &t);
    size_t row = 0, seq = 0, dim = one.symbols ? one.n_symbols : one.cols;
    if (one.codes) { /* the largest code + 1 */
        dim = 0;
        for (size_t i = 0; i < one.rows; i++)
            dim = (size_t)one.data[i] + 1 > dim ? (size_t)one.data[i] + 1 : dim;
    }
    const size_t n_seq = one.seqs.start ? one.seqs.n_seq : 1;
    for (int r = 0; r < p; r++) {
        const vem_frames *f = &jobs[r].f;
        CHECK(jobs[r].st == VEM_OK);
        if (jobs[r].st != VEM_OK) {
            fprintf(stderr, "  %s, process %d: %s\n", name, r, jobs[r].msg);
            continue;
        }
        CHECK(jobs[r].all.rows == one.rows);
        CHECK(jobs[r].all.n_seq == n_seq);
        CHECK(jobs[r].all.dim == dim);
        CHECK(f->cols == one.cols);
        CHECK(row + f->rows <= one.rows);
        if (row + f->rows <= one.rows && f->rows)
            CHECK(memcmp(f->data, one.data + row * one.cols,
                         f->rows * f->cols * sizeof *f->data) == 0);
        /* The same symbols on every process: the whole file's. */
        CHECK(f->n_symbols == one.n_symbols);
        for (size_t i = 0; i < f->n_symbols && i < one.n_symbols; i++)
            CHECK(strcmp(f->symbols[i], one.symbols[i]) == 0);
        /* Whole sequences: the share's boundaries are the file's, shifted. */
        CHECK(f->seqs.start && f->seqs.n_seq >= 1 && f->seqs.start[0] == 0);
        CHECK(f->seqs.start[f->seqs.n_seq] == f->rows);
        if (f->rows) {
            for (size_t s = 0; s <= f->seqs.n_seq; s++)
                CHECK((one.seqs.start ? one.seqs.start[seq + s] : s * one.rows) ==
                      row + f->seqs.start[s]);
            seq += f->seqs.n_seq;
        } else {
            CHECK(f->seqs.n_seq == 1); /* one empty sequence to take part with */
        }
        row += f->rows;
    }
    CHECK(row == one.rows);
    CHECK(seq == n_seq);
    for (int r = 0; r < p; r++)
        vem_frames_clear(&jobs[r].f);
    vem_frames_clear(&one);
}

static void test_frames(void)
{
    /* Ten sequences of lengths 1..10 with a sequence column, symbol names (one,
     * "zz", only in the last sequence), numbers and integer codes (the largest
     * in the last sequence). */
    char *csv = malloc(20000), *len = malloc(200);
    size_t at = (size_t)sprintf(csv, "seq,sym,a,b,code\n"), lat = 0;
    static const char *const names[] = {"sun", "rain", "fog"};
    for (int s = 0; s < 10; s++) {
        for (int i = 0; i <= s; i++)
            at += (size_t)sprintf(csv + at, "s%d,%s,%d.25,%g,%d\n", s,
                                  s == 9 && i == 9 ? "zz" : names[(s + i) % 3], s * 10 + i,
                                  1.0 / (i + 1), s == 9 && i == 4 ? 7 : (s + i) % 3);
        lat += (size_t)sprintf(len + lat, "%d\n", s + 1);
    }
    write_file("seq.csv", csv);
    write_file("seq.len", len);
    char lpath[300];
    path_of(lpath, sizeof lpath, "seq.len");

    vem_frames_opts o;
    vem_frames_opts_init(&o);
    o.sequence_column = "seq";
    o.csv.columns = "a,b";
    for (int p = 1; p <= 4; p++)
        check_frames_shares("seq.csv", &o, p); /* numeric, by the sequence column */
    o.sequence_column = NULL;
    o.lengths = lpath;
    check_frames_shares("seq.csv", &o, 3); /* by the lengths file */
    o.lengths = NULL;
    check_frames_shares("seq.csv", &o, 3); /* one sequence: process 0 reads it */

    vem_frames_opts_init(&o);
    o.categorical = 1;
    o.sequence_column = "seq";
    o.csv.columns = "sym";
    for (int p = 2; p <= 3; p++)
        check_frames_shares("seq.csv", &o, p); /* names: the union, sorted */
    o.csv.columns = "code";
    check_frames_shares("seq.csv", &o, 3); /* codes: dim = the largest + 1 */
    free(csv);
    free(len);

    /* More processes than sequences: the last ones hold one empty sequence. */
    write_file("few.csv", "seq,a\nx,1\nx,2\ny,3\n");
    vem_frames_opts_init(&o);
    o.sequence_column = "seq";
    check_frames_shares("few.csv", &o, 4);

    /* Some processes read codes, others names: every one ends with names. */
    write_file("mixed.csv", "seq,sym\na,1\na,2\nb,3\nb,4\nc,x\nc,y\n");
    vem_frames_opts_init(&o);
    o.categorical = 1;
    o.sequence_column = "seq";
    o.csv.columns = "sym";
    check_frames_shares("mixed.csv", &o, 3);

    /* Lengths that do not cover the data: every process fails, one says so. */
    write_file("short.len", "1\n2\n3\n");
    path_of(lpath, sizeof lpath, "short.len");
    char path[300];
    path_of(path, sizeof path, "seq.csv");
    vem_frames_opts_init(&o);
    o.csv.columns = "a,b";
    o.lengths = lpath;
    job jobs[TC_MAX], like = {.fo = &o};
    tc_transport t;
    run(3, jobs, &like, call_frames, path, &t);
    check_one_message(jobs, 3, VEM_EFORMAT, "the 3 lengths add up to 6, but the data has 55 rows");
    CHECK(jobs[0].msg[0] != '\0'); /* all met it: the lowest rank says it */

    /* A bad number in the second process's share: its FILE:LINE:COL, once. */
    write_file("bad.csv", "seq,a\na,1\na,2\nb,3\nb,x4\n");
    path_of(path, sizeof path, "bad.csv");
    vem_frames_opts_init(&o);
    o.sequence_column = "seq";
    run(2, jobs, &like, call_frames, path, &t);
    check_one_message(jobs, 2, VEM_EFORMAT, "bad.csv:5:3:");
    CHECK(jobs[1].msg[0] != '\0');

    /* Digits that are not the model's symbols, in the last share: its FILE:LINE:COL. */
    static const char *const model_symbols[] = {"0", "1", "2"};
    write_file("codes.csv", "seq,c\na,0\na,1\nb,2\nb,5\n");
    path_of(path, sizeof path, "codes.csv");
    vem_frames_opts_init(&o);
    o.categorical = 1;
    o.sequence_column = "seq";
    o.csv.columns = "c";
    o.symbols = model_symbols;
    o.n_symbols = 3;
    run(2, jobs, &like, call_frames, path, &t);
    check_one_message(jobs, 2, VEM_EFORMAT, "codes.csv:5:3: symbol '5' is not one of the model's");
    CHECK(jobs[1].msg[0] != '\0');

    /* Codes read as codes, beyond the symbol count: the file's data row. */
    o.codes = 1;
    run(2, jobs, &like, call_frames, path, &t);
    check_one_message(jobs, 2, VEM_EFORMAT, "row 4: symbol code 5 is not an integer in [0, 3)");
}

/* ---------------------------------------------------------------- rows */

static void check_row_shares(const char *name, size_t binary_cols, int p)
{
    char path[300];
    path_of(path, sizeof path, name);
    vem_table one;
    CHECK((binary_cols ? vem_binary_read(path, binary_cols, &one)
                       : vem_csv_read(path, NULL, &one)) == VEM_OK);
    job jobs[TC_MAX], like = {.binary_cols = binary_cols};
    tc_transport t;
    run(p, jobs, &like, call_rows, path, &t);
    size_t row = 0;
    for (int r = 0; r < p; r++) {
        const vem_table *s = &jobs[r].t;
        CHECK(jobs[r].st == VEM_OK);
        CHECK(jobs[r].rows_all == one.rows);
        CHECK(s->cols == one.cols);
        CHECK(strcmp(s->names[0], one.names[0]) == 0);
        if (s->rows && row + s->rows <= one.rows)
            CHECK(memcmp(s->data, one.data + row * one.cols, s->rows * s->cols * sizeof *s->data) ==
                  0);
        row += s->rows;
        vem_table_clear(&jobs[r].t);
    }
    CHECK(row == one.rows);
    vem_table_clear(&one);
}

static void test_rows(void)
{
    char *csv = malloc(10000);
    size_t at = (size_t)sprintf(csv, "x,y\n");
    double raw[2 * 97];
    for (int i = 0; i < 97; i++) {
        raw[2 * i] = i * 0.5;
        raw[2 * i + 1] = 1.0 / (i + 3);
        at += (size_t)sprintf(csv + at, "%.17g,%.17g\n", raw[2 * i], raw[2 * i + 1]);
    }
    write_file("rows.csv", csv);
    char path[300];
    path_of(path, sizeof path, "rows.f64");
    FILE *f = fopen(path, "wb");
    fwrite(raw, sizeof raw[0], 2 * 97, f); /* little-endian hosts only, as the tests run */
    fclose(f);
    for (int p = 1; p <= 3; p++) {
        check_row_shares("rows.csv", 0, p);
        check_row_shares("rows.f64", 2, p);
    }
    write_file("two.csv", "x\n1\n2\n");
    check_row_shares("two.csv", 0, 4); /* more processes than rows: empty shares */

    /* A bad cell in the last share: every process fails, that one says where. */
    memcpy(strstr(csv, "\n45,") + 1, "9x", 2);
    write_file("badrows.csv", csv);
    path_of(path, sizeof path, "badrows.csv");
    job jobs[TC_MAX], like = {.binary_cols = 0};
    tc_transport t;
    run(3, jobs, &like, call_rows, path, &t);
    check_one_message(jobs, 3, VEM_EFORMAT, "badrows.csv:92:1:");
    CHECK(jobs[2].msg[0] != '\0');
    free(csv);
}

/* ---------------------------------------------------------------- vbgmm priors */

/* A short fit of j->v to j->x with the default priors; c NULL: one process. */
static void call_vbgmm(job *j, const vem_comm *c)
{
    vem_fit_opts o;
    vem_fit_opts_init(&o);
    o.max_iter = 5;
    o.nthreads = 1;
    o.comm = c;
    vem_rng rng;
    vem_rng_seed(&rng, 3);
    vem_fit_result res;
    memset(&res, 0, sizeof res);
    j->st = vem_vbgmm_fit(j->v, &j->x, &o, &rng, &res);
    if (j->st == VEM_EMAXITER)
        j->st = VEM_OK;
    vem_fit_result_clear(&res);
}

static void test_vbgmm_priors(vem_cov cov)
{
    enum { N = 300, D = 3, K = 2 };
    double *x = malloc(N * D * sizeof *x);
    vem_rng rng;
    vem_rng_seed(&rng, 17);
    for (size_t i = 0; i < N * D; i++)
        x[i] = (double)(i % D) * 3.0 + vem_rng_normal(&rng) * (1.0 + (double)(i % D));
    const size_t pl = cov == VEM_COV_FULL ? D * D : D;

    /* One process (no communicator) on all the rows. */
    job solo = {.v = vem_vbgmm_new(K, D, cov), .x = vem_matrix_view(x, N, D)};
    call_vbgmm(&solo, NULL);
    CHECK(solo.st == VEM_OK);
    vem_vbgmm *one = solo.v;

    /* Three processes, the last with no rows: the same priors on every one. */
    static const size_t split[] = {0, 130, N, N};
    job jobs[TC_MAX];
    memset(jobs, 0, sizeof jobs);
    for (int r = 0; r < 3; r++) {
        jobs[r].v = vem_vbgmm_new(K, D, cov);
        jobs[r].x = vem_matrix_view(x + split[r] * D, split[r + 1] - split[r], D);
    }
    tc_transport t;
    run(3, jobs, NULL, call_vbgmm, NULL, &t);
    const double *m1 = vem_vbgmm_mean_prior(one), *c1 = vem_vbgmm_covariance_prior(one);
    for (int r = 0; r < 3; r++) {
        CHECK(jobs[r].st == VEM_OK);
        const double *m = vem_vbgmm_mean_prior(jobs[r].v), *c = vem_vbgmm_covariance_prior(jobs[r].v);
        CHECK(m && c);
        if (!m || !c)
            continue;
        for (size_t i = 0; i < D; i++)
            CHECK_REL(m[i], m1[i], 1e-12);
        for (size_t i = 0; i < pl; i++)
            CHECK_REL(c[i], c1[i], 1e-12);
        CHECK(memcmp(m, vem_vbgmm_mean_prior(jobs[0].v), D * sizeof *m) == 0);
        CHECK(memcmp(c, vem_vbgmm_covariance_prior(jobs[0].v), pl * sizeof *c) == 0);
    }
    /* Too few rows for the default covariance prior in all: every process fails alike
     * (the same sums), as the engine's numerical failures do. */
    for (int r = 0; r < 3; r++) {
        vem_vbgmm_free(jobs[r].v);
        jobs[r].v = vem_vbgmm_new(1, D, cov);
        jobs[r].x = vem_matrix_view(x, r == 1 ? 1 : 0, D);
    }
    run(3, jobs, NULL, call_vbgmm, NULL, &t);
    for (int r = 0; r < 3; r++)
        CHECK(jobs[r].st == VEM_EINVAL && strstr(jobs[r].msg, "needs at least 2 rows"));
    for (int r = 0; r < 3; r++)
        vem_vbgmm_free(jobs[r].v);
    vem_vbgmm_free(one);
    free(x);
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/vem_share_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_frames();
    test_rows();
    test_vbgmm_priors(VEM_COV_FULL);
    test_vbgmm_priors(VEM_COV_DIAG);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_report("share");
}
