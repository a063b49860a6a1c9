/* tests/test_lda.c — latent Dirichlet allocation: special functions, readers, the bound
 * against a direct computation, monotone batch ELBO, planted topics, thread invariance,
 * model files, online modes and error paths. */
#include <stdlib.h>
#include <string.h>

#include <vem/vem.h>

#include "check.h"
#include "linalg/special.h"
#include "models/lda_internal.h"

#define DATA VEM_TEST_DATA "/"
#define PI_T 3.14159265358979323846

/* ---------------------------------------------------------------- special functions */

static void test_special_functions(void)
{
    const double euler = 0.57721566490153286061;
    CHECK_REL(vem__digamma(1.0), -euler, 1e-15);
    CHECK_REL(vem__digamma(0.5), -euler - 2.0 * log(2.0), 1e-15);
    CHECK_REL(vem__digamma(0.01), -100.56088545786867, 1e-14);
    CHECK_REL(vem__digamma(37.25), log(37.25) - 0.5 / 37.25 - 1.0 / (12 * 37.25 * 37.25) +
                                       1.0 / (120 * pow(37.25, 4)) - 1.0 / (252 * pow(37.25, 6)),
              1e-14);
    CHECK_REL(vem__trigamma(1.0), PI_T * PI_T / 6.0, 1e-14);
    CHECK_REL(vem__trigamma(0.5), PI_T * PI_T / 2.0, 1e-14);
    const double xs[] = {1e-6, 0.013, 0.5, 1.0, 2.385, 7.7, 10.0, 123.4, 4.5e5};
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
        CHECK_ABS(vem__lgamma(xs[i]), lgamma(xs[i]), 1e-13 * fmax(1.0, fabs(lgamma(xs[i]))));
        /* psi is the derivative of log Gamma: a central difference agrees. */
        double h = 1e-5 * xs[i];
        double fd = (lgamma(xs[i] + h) - lgamma(xs[i] - h)) / (2 * h);
        CHECK_ABS(vem__digamma(xs[i]), fd, 1e-6 * fmax(1.0, fabs(fd)));
    }
    /* Outside x > 0: NaN, at once (a huge negative argument once took |x| shift steps:
     * a resumed checkpoint with corrupted counts hung in lgamma). */
    const double bad[] = {0.0, -1.5, -1.78e127, NAN};
    for (size_t i = 0; i < 4; i++)
        CHECK(isnan(vem__digamma(bad[i])) && isnan(vem__trigamma(bad[i])) &&
              isnan(vem__lgamma(bad[i])));
}

static void test_gamma_draws(void)
{
    vem_rng r;
    vem_rng_seed(&r, 7);
    const double shapes[] = {100.0, 2.385, 0.3};
    for (size_t s = 0; s < 3; s++) {
        double a = shapes[s], m = 0, m2 = 0;
        const int n = 200000;
        int positive = 0;
        for (int i = 0; i < n; i++) {
            double x = vem__gamma_draw(&r, a);
            positive += x > 0;
            m += x;
            m2 += x * x;
        }
        CHECK(positive == n);
        m /= n;
        double var = m2 / n - m * m;
        CHECK_REL(m, a, 5.0 * sqrt(a / n) / a);
        CHECK_REL(var, a, 0.05);
    }
}

/* ---------------------------------------------------------------- readers */

static void expect_ok_corpus(const vem_docs_owned *c)
{
    static const size_t ptr[] = {0, 2, 3, 5};
    static const uint32_t word[] = {0, 2, 1, 0, 4};
    static const double count[] = {2, 1, 4, 1, 3};
    CHECK(c->ndocs == 3 && c->nvocab == 5);
    for (size_t i = 0; i < 4; i++)
        CHECK(c->ptr[i] == ptr[i]);
    for (size_t i = 0; i < 5; i++)
        CHECK(c->word[i] == word[i] && c->count[i] == count[i]);
}

static void expect_error(vem_status got, vem_status want, const char *text)
{
    CHECK(got == want);
    if (!strstr(vem_errmsg(), text)) {
        check_failures++;
        fprintf(stderr, "FAIL: message '%s' lacks '%s'\n", vem_errmsg(), text);
    }
}

static void test_readers(void)
{
    vem_docs_owned c = {0};
    CHECK(vem_docs_read_uci(DATA "lda_ok.docword.txt", &c) == VEM_OK);
    expect_ok_corpus(&c);
    vem_docs v = vem_docs_owned_view(&c);
    CHECK(vem_docs_tokens(&v) == 11.0);
    vem_docs_owned_clear(&c);
    CHECK(vem_docs_read_ldac(DATA "lda_ok.ldac", 5, &c) == VEM_OK);
    expect_ok_corpus(&c);
    vem_docs_owned_clear(&c);
    CHECK(vem_docs_read(DATA "lda_ok.ldac", 0, &c) == VEM_OK && c.nvocab == 5);
    vem_docs_owned_clear(&c);

    expect_error(vem_docs_read_uci(DATA "lda_err_range.docword.txt", &c), VEM_EFORMAT,
                 "lda_err_range.docword.txt:5: wordID 9 out of range");
    expect_error(vem_docs_read_uci(DATA "lda_err_text.docword.txt", &c), VEM_EFORMAT,
                 "lda_err_text.docword.txt:5: expected 'docID wordID count'");
    expect_error(vem_docs_read_uci(DATA "lda_err_nnz.docword.txt", &c), VEM_EFORMAT,
                 "2 data lines, header says NNZ=4");
    expect_error(vem_docs_read_uci(DATA "lda_err_zero.docword.txt", &c), VEM_EFORMAT,
                 "lda_err_zero.docword.txt:4: count must be >= 1");
    expect_error(vem_docs_read_uci(DATA "no_such_file.txt", &c), VEM_EIO, "no_such_file.txt");
    expect_error(vem_docs_read_ldac(DATA "lda_err_pairs.ldac", 0, &c), VEM_EFORMAT,
                 "lda_err_pairs.ldac:2: pair 3");
    expect_error(vem_docs_read_ldac(DATA "lda_err_id.ldac", 5, &c), VEM_EFORMAT,
                 "lda_err_id.ldac:2: pair 1: word id 7 >= vocabulary size 5");
    CHECK(c.ptr == NULL);

    vem_vocab voc = {0};
    CHECK(vem_vocab_read(DATA "lda_ok.vocab.txt", &voc) == VEM_OK && voc.n == 5);
    CHECK(voc.n == 5 && strcmp(voc.words[4], "elder") == 0);
    vem_vocab_clear(&voc);
    expect_error(vem_vocab_read(DATA "lda_err_dup.vocab.txt", &voc), VEM_EFORMAT,
                 "lda_err_dup.vocab.txt:3: word 'apple' repeats line 1");

    /* The Brown corpus in both formats holds the same counts. */
    vem_docs_owned a = {0}, b = {0};
    CHECK(vem_docs_read_uci(VEM_EXAMPLE_DATA "/brown/docword.brown.test.txt", &a) == VEM_OK);
    CHECK(vem_docs_read_ldac(VEM_EXAMPLE_DATA "/brown/brown.test.ldac", a.nvocab, &b) ==
          VEM_OK);
    CHECK(a.ndocs == 50 && b.ndocs == 50 && a.ptr[50] == b.ptr[50]);
    CHECK(a.ptr[50] == b.ptr[50] && memcmp(a.word, b.word, a.ptr[50] * sizeof *a.word) == 0 &&
          memcmp(a.count, b.count, a.ptr[50] * sizeof *a.count) == 0);
    vem_docs_owned_clear(&a);
    vem_docs_owned_clear(&b);
}

static void test_corpus_build(void)
{
    vem_corpus_opts o;
    vem_corpus_opts_init(&o);
    o.stopwords = DATA "lda_stop.txt";
    vem_docs_owned c = {0};
    vem_vocab voc = {0};
    CHECK(vem_corpus_build(DATA "lda_texts", &o, &c, &voc) == VEM_OK);
    /* a.txt: cat x2, sat, mat; b.txt: dog, cat, dogs, bark ("a" too short); c.txt: mat x3. */
    static const char *const want[] = {"bark", "cat", "dog", "dogs", "mat", "sat"};
    CHECK(voc.n == 6 && c.ndocs == 3);
    for (size_t i = 0; i < 6 && i < voc.n; i++)
        CHECK(strcmp(voc.words[i], want[i]) == 0);
    CHECK(c.ptr[1] == 3 && c.word[0] == 1 && c.count[0] == 2.0);
    CHECK(c.ptr[3] - c.ptr[2] == 1 && c.count[c.ptr[2]] == 3.0);
    vem_docs_owned_clear(&c);
    /* Words in at least 2 documents: cat and mat. */
    o.min_df = 2;
    vem_vocab v2 = {0};
    CHECK(vem_corpus_build(DATA "lda_texts", &o, &c, &v2) == VEM_OK);
    CHECK(v2.n == 2 && strcmp(v2.words[0], "cat") == 0 && strcmp(v2.words[1], "mat") == 0);
    vem_docs_owned_clear(&c);
    /* Applying an existing vocabulary keeps its ids. */
    vem_corpus_opts_init(&o);
    o.vocab = &v2;
    vem_vocab v3 = {0};
    CHECK(vem_corpus_build(DATA "lda_texts", &o, &c, &v3) == VEM_OK);
    CHECK(v3.n == 2 && c.ptr[3] == 4 && c.word[c.ptr[2]] == 1 && c.count[c.ptr[2]] == 3.0);
    vem_docs_owned_clear(&c);
    vem_vocab_clear(&v3);
    vem_vocab_clear(&v2);
    vem_vocab_clear(&voc);
    CHECK(vem_corpus_build(DATA "no_such_dir", &o, &c, &voc) == VEM_EIO);
}

/* ---------------------------------------------------------------- synthetic corpora */

/* Corpus drawn from k planted topics, each uniform over its own `per` words
 * (v = k per); documents mix two topics. */
static void planted_corpus(size_t k, size_t per, size_t ndocs, size_t len, uint64_t seed,
                           vem_docs_owned *c)
{
    const size_t v = k * per;
    vem_rng r;
    vem_rng_seed(&r, seed);
    double *counts = calloc(v, sizeof *counts);
    c->ndocs = ndocs;
    c->nvocab = v;
    c->ptr = calloc(ndocs + 1, sizeof *c->ptr);
    c->word = calloc(ndocs * v, sizeof *c->word);
    c->count = calloc(ndocs * v, sizeof *c->count);
    size_t nnz = 0;
    for (size_t d = 0; d < ndocs; d++) {
        memset(counts, 0, v * sizeof *counts);
        size_t t1 = (size_t)vem_rng_below(&r, k), t2 = (size_t)vem_rng_below(&r, k);
        double mix = 0.2 + 0.6 * vem_rng_uniform(&r);
        for (size_t i = 0; i < len; i++) {
            size_t t = vem_rng_uniform(&r) < mix ? t1 : t2;
            counts[t * per + (size_t)vem_rng_below(&r, per)] += 1.0;
        }
        for (size_t w = 0; w < v; w++)
            if (counts[w] > 0) {
                c->word[nnz] = (uint32_t)w;
                c->count[nnz++] = counts[w];
            }
        c->ptr[d + 1] = nnz;
    }
    free(counts);
}

static vem_fit_opts batch_opts(size_t iters, int threads)
{
    vem_fit_opts o;
    vem_fit_opts_init(&o);
    o.max_iter = iters;
    o.tol = 0;
    o.nthreads = threads;
    return o;
}

static void check_monotone(const vem_fit_result *res)
{
    CHECK(res->n_violations == 0);
    for (size_t i = 1; i < res->trace_len; i++) {
        double a = res->trace[i - 1].objective, b = res->trace[i].objective;
        /* Near the fixed point the ELBO stalls: allow round-off of its sum only. */
        CHECK(b >= a - 1e-13 * fabs(a));
    }
}

static void test_planted_and_monotone(void)
{
    const size_t k = 4, per = 10;
    vem_docs_owned c = {0};
    planted_corpus(k, per, 300, 60, 11, &c);
    vem_docs d = vem_docs_owned_view(&c);
    for (int warm = 0; warm < 2; warm++) {
        vem_lda *l = vem_lda_new(k, c.nvocab);
        vem_lda_set_warm_gamma(l, warm);
        vem_fit_opts o = batch_opts(40, 1);
        vem_rng r;
        vem_rng_seed(&r, 3);
        vem_fit_result res;
        vem_status st = vem_lda_fit(l, &d, &o, &r, &res, NULL);
        CHECK(st == VEM_OK || st == VEM_EMAXITER);
        check_monotone(&res);
        vem_fit_result_clear(&res);
        if (warm) { /* the warm start is checked for monotonicity only */
            vem_lda_free(l);
            continue;
        }
        /* Every fitted topic puts its 10 top words on one planted topic, and the
         * fitted topics cover all planted ones. */
        uint32_t top[10];
        int seen[4] = {0};
        for (size_t t = 0; t < k; t++) {
            CHECK(vem_lda_top_words(l, t, per, top) == VEM_OK);
            size_t planted = top[0] / per, same = 0;
            for (size_t i = 0; i < per; i++)
                same += top[i] / per == planted;
            CHECK(same == per);
            seen[planted] = 1;
        }
        CHECK(seen[0] && seen[1] && seen[2] && seen[3]);
        vem_lda_free(l);
    }
    vem_docs_owned_clear(&c);
}

/* With alpha estimated the batch ELBO still never decreases, and alpha moves. */
static void test_alpha_newton(void)
{
    vem_docs_owned c = {0};
    planted_corpus(3, 8, 200, 40, 5, &c);
    vem_docs d = vem_docs_owned_view(&c);
    vem_lda *l = vem_lda_new(3, c.nvocab);
    vem_lda_set_alpha_auto(l, 1);
    vem_lda_set_warm_gamma(l, 1);
    vem_fit_opts o = batch_opts(30, 1);
    vem_rng r;
    vem_rng_seed(&r, 9);
    vem_fit_result res;
    vem_lda_fit(l, &d, &o, &r, &res, NULL);
    check_monotone(&res);
    CHECK(vem_lda_alpha(l) != 1.0 / 3.0 && vem_lda_alpha(l) > 0);
    vem_fit_result_clear(&res);
    vem_lda_free(l);
    vem_docs_owned_clear(&c);
}

/* ---------------------------------------------------------------- restarts */

/* One fit's outcome: the ELBO, alpha, lambda and the pass history. */
typedef struct fit_out {
    vem_status st;
    double objective, alpha;
    double *lam;
    vem_lda_pass_info *hist;
    size_t hlen, best_init;
} fit_out;

/* Fit l (alpha estimated) with o, from the generator r; the outcome into out. */
static void fit_keep(vem_lda *l, const vem_docs *d, const vem_fit_opts *o, vem_rng *r,
                     fit_out *out)
{
    vem_fit_result res;
    out->st = vem_lda_fit(l, d, o, r, &res, NULL);
    out->objective = res.objective;
    out->best_init = res.best_init;
    out->alpha = vem_lda_alpha(l);
    const size_t vk = vem_lda_k(l) * vem_lda_v(l);
    out->lam = malloc(vk * sizeof(double));
    vem_lda_get_lambda(l, out->lam);
    const vem_lda_pass_info *h = vem_lda_pass_history(l, &out->hlen);
    out->hist = malloc((out->hlen + 1) * sizeof *out->hist);
    memcpy(out->hist, h, out->hlen * sizeof *h);
    vem_fit_result_clear(&res);
}

static void fit_out_clear(fit_out *f)
{
    free(f->lam);
    free(f->hist);
}

/*
 * The engine's restarts (n_init = 3) keep the best of three single fits drawn one
 * after the other from the same generator, each from alpha as set (with alpha
 * estimated, the restart before ends elsewhere): its ELBO, alpha and lambda to the
 * bit and its pass history. Batch, stepwise (its shuffles draw from the same
 * generator) and incremental EM; the best restart is not always the last.
 */
static void test_restarts(void)
{
    vem_docs_owned c = {0};
    planted_corpus(4, 6, 120, 30, 17, &c);
    vem_docs d = vem_docs_owned_view(&c);
    const size_t k = 4, vk = k * c.nvocab, n = 3;
    int not_last = 0;
    for (int alg = 0; alg < 3; alg++)
        for (uint64_t seed = 1; seed <= 3; seed++) {
            vem_fit_opts o = batch_opts(6 + 4 * (size_t)alg, 1);
            o.algorithm = alg == 0 ? VEM_ALG_BATCH : alg == 1 ? VEM_ALG_STEPWISE
                                                              : VEM_ALG_INCREMENTAL;
            o.batch_size = 16;
            o.n_blocks = 3;
            fit_out one[3], all;
            vem_rng r;
            vem_rng_seed(&r, seed);
            size_t best = 0;
            for (size_t i = 0; i < n; i++) {
                vem_lda *l = vem_lda_new(k, c.nvocab);
                vem_lda_set_alpha_auto(l, 1);
                vem_lda_set_alpha(l, 0.3);
                fit_keep(l, &d, &o, &r, &one[i]);
                vem_lda_free(l);
                CHECK(one[i].st == VEM_EMAXITER);
                if (one[i].objective > one[best].objective)
                    best = i;
            }
            CHECK(one[0].alpha != one[1].alpha); /* the restarts do differ */
            /* n_init = 3 on one model, fitted once before: every restart starts from
             * the alpha set, not the last estimate. */
            vem_lda *l = vem_lda_new(k, c.nvocab);
            vem_lda_set_alpha_auto(l, 1);
            vem_lda_set_alpha(l, 0.3);
            vem_rng_seed(&r, seed + 100);
            fit_keep(l, &d, &o, &r, &all);
            fit_out_clear(&all);
            o.n_init = n;
            vem_rng_seed(&r, seed);
            fit_keep(l, &d, &o, &r, &all);
            vem_lda_free(l);
            CHECK(all.st == VEM_EMAXITER);
            CHECK(all.best_init == best);
            not_last += best + 1 < n;
            CHECK(all.objective == one[best].objective);
            CHECK(all.alpha == one[best].alpha);
            CHECK(memcmp(all.lam, one[best].lam, vk * sizeof(double)) == 0);
            CHECK(all.hlen == one[best].hlen && all.hlen > 0);
            CHECK(all.hlen == one[best].hlen &&
                  memcmp(all.hist, one[best].hist, all.hlen * sizeof *all.hist) == 0);
            fit_out_clear(&all);
            for (size_t i = 0; i < n; i++)
                fit_out_clear(&one[i]);
        }
    CHECK(not_last > 0);
    vem_docs_owned_clear(&c);
}

/* ---------------------------------------------------------------- the bound, directly */

/* The local ELBO terms of one document written out term by term with explicit phi
 * (Blei et al. 2003 eq. 15, with E[log beta] in place of log beta, Hoffman et al.
 * 2010 eq. 16): E log p(theta) + E log p(z) + E log p(w) - E log q(theta) - E log q(z). */
static double direct_bound(size_t k, size_t v, const double *lam, double alpha,
                           const uint32_t *ids, const double *cts, size_t n, const double *g)
{
    double gs = 0, elt[8], elb[8 * 8], phi[8];
    for (size_t t = 0; t < k; t++)
        gs += g[t];
    for (size_t t = 0; t < k; t++) {
        elt[t] = vem__digamma(g[t]) - vem__digamma(gs);
        double ls = 0;
        for (size_t w = 0; w < v; w++)
            ls += lam[t * v + w];
        for (size_t w = 0; w < v; w++)
            elb[t * v + w] = vem__digamma(lam[t * v + w]) - vem__digamma(ls);
    }
    double b = lgamma(k * alpha) - k * lgamma(alpha);
    for (size_t t = 0; t < k; t++)
        b += (alpha - 1) * elt[t];
    b -= lgamma(gs);
    for (size_t t = 0; t < k; t++)
        b += lgamma(g[t]) - (g[t] - 1) * elt[t];
    for (size_t i = 0; i < n; i++) {
        double z = 0;
        for (size_t t = 0; t < k; t++)
            z += phi[t] = exp(elt[t] + elb[t * v + ids[i]]);
        for (size_t t = 0; t < k; t++) {
            double p = phi[t] / z;
            b += cts[i] * p * (elt[t] + elb[t * v + ids[i]] - log(p));
        }
    }
    return b;
}

static void test_bound_direct(void)
{
    const size_t k = 3, v = 6;
    const double lam[] = {2.385, 0.4, 7.1, 0.05, 1.3, 3.3,  /* topic 0 */
                          0.9,   5.2, 0.2, 4.4,  0.7, 0.06, /* topic 1 */
                          1.1,   1.1, 0.3, 0.8,  9.6, 2.0}; /* topic 2 */
    const size_t ptr[] = {0, 3, 5, 9};
    const uint32_t word[] = {0, 2, 5, 1, 3, 0, 1, 4, 5};
    const double count[] = {3, 1, 2, 7, 1, 1, 1, 4, 2};
    vem_docs d = {3, v, ptr, word, count};
    vem_lda *l = vem_lda_new(k, v);
    CHECK(vem_lda_set_lambda(l, lam) == VEM_OK);
    CHECK(vem_lda_set_alpha(l, 0.37) == VEM_OK);
    CHECK(vem_lda_set_estep(l, 1e-12, 1000) == VEM_OK);
    double gamma[9];
    CHECK(vem_lda_transform(l, &d, 0, 1, gamma) == VEM_OK);
    double want = 0, ntok = 0;
    for (size_t doc = 0; doc < 3; doc++)
        want += direct_bound(k, v, lam, 0.37, word + ptr[doc], count + ptr[doc],
                             ptr[doc + 1] - ptr[doc], gamma + doc * k);
    for (size_t i = 0; i < 9; i++)
        ntok += count[i];
    vem_lda_score_result r;
    CHECK(vem_lda_score(l, &d, 1, &r) == VEM_OK);
    CHECK(r.n_docs == 3 && r.n_tokens == ntok && r.n_converged == 3);
    CHECK_REL(r.bound, want, 1e-12);
    CHECK_REL(r.bound_per_word, want / ntok, 1e-12);
    CHECK_REL(r.perplexity, exp(-want / ntok), 1e-12);
    /* gamma is a fixed point: gamma_k = alpha + sum_w n_w phi_wk. */
    double g0 = 0;
    for (size_t t = 0; t < k; t++)
        g0 += gamma[t];
    CHECK_REL(g0, 3 * 0.37 + 6.0, 1e-12);
    /* The topics are lambda normalised. */
    double topics[18], back[18];
    vem_lda_get_topics(l, topics);
    vem_lda_get_lambda(l, back);
    CHECK(memcmp(back, lam, sizeof back) == 0);
    CHECK_REL(topics[2], 7.1 / (2.385 + 0.4 + 7.1 + 0.05 + 1.3 + 3.3), 1e-15);
    vem_lda_free(l);
}

/* ---------------------------------------------------------------- threads, files */

static void test_threads_and_files(void)
{
    vem_docs_owned c = {0};
    planted_corpus(5, 12, 400, 50, 21, &c);
    vem_docs d = vem_docs_owned_view(&c);
    double obj[2];
    double *lam[2];
    for (int th = 1; th <= 2; th++) {
        vem_lda *l = vem_lda_new(5, c.nvocab);
        vem_fit_opts o = batch_opts(5, th);
        vem_rng r;
        vem_rng_seed(&r, 17);
        vem_fit_result res;
        vem_lda_fit(l, &d, &o, &r, &res, NULL);
        obj[th - 1] = res.objective;
        lam[th - 1] = malloc(5 * c.nvocab * sizeof(double));
        vem_lda_get_lambda(l, lam[th - 1]);
        if (th == 2) {
            /* Model files give back the same bits. */
            const char *const words[] = {"w0", "w1"};
            (void)words;
            CHECK(vem_lda_set_alpha(l, 0.123) == VEM_OK);
            CHECK(vem_lda_save(l, "test_lda_model.json", &res) == VEM_OK);
            vem_lda *m = vem_lda_load("test_lda_model.json");
            CHECK(m != NULL);
            if (m) {
                double *back = malloc(5 * c.nvocab * sizeof(double));
                vem_lda_get_lambda(m, back);
                CHECK(memcmp(back, lam[1], 5 * c.nvocab * sizeof(double)) == 0);
                CHECK(vem_lda_alpha(m) == 0.123 && vem_lda_eta(m) == 0.2);
                CHECK(vem_lda_vocab(m) == NULL);
                vem_lda_score_result s1, s2;
                vem_lda_score(l, &d, 1, &s1);
                vem_lda_score(m, &d, 2, &s2);
                CHECK(s1.bound == s2.bound);
                free(back);
                vem_lda_free(m);
            }
            CHECK(vem_lda_load("no_such_model.json") == NULL);
            /* A damaged .npy and a JSON that does not match it are named. */
            FILE *f = fopen("test_lda_model.lambda.npy", "r+b");
            if (f) {
                fseek(f, 60, SEEK_SET); /* inside the header dict: the shape */
                fputs("(9, 9), }  ", f);
                fclose(f);
            }
            CHECK(vem_lda_load("test_lda_model.json") == NULL);
            CHECK(strstr(vem_errmsg(), "test_lda_model.lambda.npy") != NULL);
            f = fopen("test_lda_model.lambda.npy", "wb");
            if (f) {
                fputs("hello", f);
                fclose(f);
            }
            CHECK(vem_lda_load("test_lda_model.json") == NULL);
            CHECK(strstr(vem_errmsg(), "bad magic") != NULL);
            remove("test_lda_model.json");
            remove("test_lda_model.lambda.npy");
        }
        vem_fit_result_clear(&res);
        vem_lda_free(l);
    }
    CHECK(obj[0] == obj[1]);
    CHECK(memcmp(lam[0], lam[1], 5 * c.nvocab * sizeof(double)) == 0);
    free(lam[0]);
    free(lam[1]);
    vem_docs_owned_clear(&c);
}

static void test_online_modes(void)
{
    vem_docs_owned c = {0};
    planted_corpus(4, 10, 600, 50, 31, &c);
    vem_docs d = vem_docs_owned_view(&c);
    const vem_algorithm algs[] = {VEM_ALG_STEPWISE, VEM_ALG_INCREMENTAL};
    for (int i = 0; i < 2; i++) {
        vem_lda *l = vem_lda_new(4, c.nvocab);
        vem_fit_opts o = batch_opts(8, 1);
        o.algorithm = algs[i];
        o.batch_size = 64;
        o.kappa = 0.7;
        o.tau = 10;
        vem_rng r;
        vem_rng_seed(&r, 5);
        vem_fit_result res;
        vem_status st = vem_lda_fit(l, &d, &o, &r, &res, NULL);
        CHECK(st == VEM_OK || st == VEM_EMAXITER);
        vem_lda_score_result s;
        CHECK(vem_lda_score(l, &d, 1, &s) == VEM_OK);
        /* Planted topics are found: the per-word bound is close to log(1/10) ~ -2.3
         * plus the mixing cost, far above uniform over 40 words (-3.69). */
        CHECK(s.bound_per_word > -3.0);
        vem_fit_result_clear(&res);
        vem_lda_free(l);
    }
    vem_docs_owned_clear(&c);
}

/*
 * Online LDA's sparse steps (lazy decay: only a minibatch's words are touched)
 * against the dense ones (every entry of lambda blended at every minibatch):
 * the same fit to rounding, with alpha estimated too; 1 and 2 threads the same bits.
 */
static void test_sparse_steps(void)
{
    vem_docs_owned c = {0};
    planted_corpus(6, 40, 300, 30, 41, &c);
    vem_docs d = vem_docs_owned_view(&c);
    const size_t k = 6, vk = k * c.nvocab;
    double obj[3], alpha[3], *lam[3];
    for (int run = 0; run < 3; run++) {
        vem_lda *l = vem_lda_new(k, c.nvocab);
        vem_lda_set_alpha_auto(l, 1);
        vem_fit_opts o = batch_opts(4, run == 2 ? 2 : 1);
        o.algorithm = VEM_ALG_STEPWISE;
        o.batch_size = 8;
        o.tau = 10;
        o.dense_steps = run == 0;
        vem_rng r;
        vem_rng_seed(&r, 9);
        vem_fit_result res;
        vem_status st = vem_lda_fit(l, &d, &o, &r, &res, NULL);
        CHECK(st == VEM_OK || st == VEM_EMAXITER);
        CHECK(res.n_steps == 4 * ((300 + 7) / 8));
        obj[run] = res.objective;
        alpha[run] = vem_lda_alpha(l);
        lam[run] = malloc(vk * sizeof(double));
        vem_lda_get_lambda(l, lam[run]);
        vem_fit_result_clear(&res);
        vem_lda_free(l);
    }
    CHECK_REL(obj[1], obj[0], 1e-12);
    CHECK_REL(alpha[1], alpha[0], 1e-12);
    CHECK(alpha[0] != 1.0 / 6.0); /* alpha did move */
    double e = 0.0;
    for (size_t i = 0; i < vk; i++)
        e = fmax(e, fabs(lam[1][i] - lam[0][i]) / lam[0][i]);
    CHECK(e <= 1e-11);
    CHECK(obj[2] == obj[1] && alpha[2] == alpha[1]);
    CHECK(memcmp(lam[1], lam[2], vk * sizeof(double)) == 0);
    for (int run = 0; run < 3; run++)
        free(lam[run]);
    vem_docs_owned_clear(&c);
}

/* The 8-wide (AVX-512) E-step kernels give the 4-wide ones' bits (the same sums
 * lane for lane); on a CPU without AVX-512 both runs take the 4-wide path. */
static void test_wide_narrow(void)
{
    vem_docs_owned c = {0};
    planted_corpus(5, 30, 200, 60, 43, &c);
    vem_docs d = vem_docs_owned_view(&c);
    static const size_t ks[] = {3, 13, 20, 40};
    for (size_t i = 0; i < sizeof ks / sizeof *ks; i++) {
        const size_t k = ks[i], vk = k * c.nvocab;
        double obj[2], *lam[2];
        for (int narrow = 0; narrow < 2; narrow++) {
            vem__lda_narrow = narrow;
            vem_lda *l = vem_lda_new(k, c.nvocab);
            vem_fit_opts o = batch_opts(3, 2);
            vem_rng r;
            vem_rng_seed(&r, 5);
            vem_fit_result res;
            vem_status st = vem_lda_fit(l, &d, &o, &r, &res, NULL);
            CHECK(st == VEM_OK || st == VEM_EMAXITER);
            obj[narrow] = res.objective;
            lam[narrow] = malloc(vk * sizeof(double));
            vem_lda_get_lambda(l, lam[narrow]);
            vem_fit_result_clear(&res);
            vem_lda_free(l);
        }
        vem__lda_narrow = 0;
        CHECK(obj[0] == obj[1]);
        CHECK(memcmp(lam[0], lam[1], vk * sizeof(double)) == 0);
        free(lam[0]);
        free(lam[1]);
    }
    vem_docs_owned_clear(&c);
}

static void test_errors(void)
{
    CHECK(vem_lda_new(0, 5) == NULL && strstr(vem_errmsg(), "k=0") != NULL);
    CHECK(vem_lda_new(3, 0) == NULL);
    vem_lda *l = vem_lda_new(2, 5);
    CHECK(vem_lda_set_alpha(l, -1) == VEM_EINVAL);
    CHECK(vem_lda_set_alpha(l, NAN) == VEM_EINVAL);
    CHECK(vem_lda_set_eta(l, 0) == VEM_EINVAL);
    CHECK(vem_lda_set_estep(l, 1e-3, 0) == VEM_EINVAL);
    double bad[10] = {1, 1, 1, 1, 1, 1, 1, -2, 1, 1};
    CHECK(vem_lda_set_lambda(l, bad) == VEM_EINVAL && strstr(vem_errmsg(), "lambda[1][2]"));
    uint32_t top[6];
    CHECK(vem_lda_top_words(l, 2, 3, top) == VEM_EINVAL);
    CHECK(vem_lda_top_words(l, 0, 6, top) == VEM_EINVAL);
    /* A corpus with more words than the model. */
    const size_t ptr[] = {0, 1};
    const uint32_t word[] = {6};
    const double count[] = {1};
    vem_docs d = {1, 7, ptr, word, count};
    vem_lda_score_result r;
    CHECK(vem_lda_score(l, &d, 1, &r) == VEM_EINVAL && strstr(vem_errmsg(), "v=5"));
    d.nvocab = 5;
    CHECK(vem_lda_score(l, &d, 1, &r) == VEM_EINVAL && strstr(vem_errmsg(), "word id 6"));
    double coh[2];
    d.word = (const uint32_t[]){3};
    CHECK(vem_lda_coherence(l, &d, 1, coh) == VEM_EINVAL);
    CHECK(vem_lda_coherence(l, &d, 2, coh) == VEM_OK);
    vem_lda_free(l);
    vem_lda_free(NULL);
    vem_docs_owned_clear(NULL);
}

int main(void)
{
    test_special_functions();
    test_gamma_draws();
    test_readers();
    test_corpus_build();
    test_bound_direct();
    test_planted_and_monotone();
    test_alpha_newton();
    test_restarts();
    test_threads_and_files();
    test_online_modes();
    test_sparse_steps();
    test_wide_narrow();
    test_errors();
    return check_report("lda");
}
