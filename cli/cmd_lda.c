/*
 * cli/cmd_lda.c — latent Dirichlet allocation commands:
 *
 *     vem corpus TEXTS -o PREFIX [--stopwords FILE] [--min-df N] [--max-df F] [--vocab V]
 *     vem fit lda CORPUS --vocab VOCAB -k K [options] -o MODEL.json
 *     mpirun -np P vem fit lda CORPUS ... --mpi     (each process reads a share)
 *     vem topics MODEL [--top N] [--coherence CORPUS]
 *     vem transform MODEL CORPUS
 *     vem score MODEL CORPUS [--completion] [--json]
 *     vem info MODEL
 *
 * CORPUS is UCI bag-of-words ("docword") or, for a name ending in ".ldac",
 * Blei's LDA-C format. Maths and formats: docs/lda.md.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum {
    OPT_K = CLI_OPT_OWN,
    OPT_VOCAB,
    OPT_ALPHA,
    OPT_ETA,
    OPT_GAMMA_TOL,
    OPT_SWEEPS,
    OPT_WARM_GAMMA,
    OPT_DENSE_STEPS,
    OPT_THREADS,
    OPT_TOP,
    OPT_COHERENCE,
    OPT_COMPLETION,
    OPT_GAMMA,
    OPT_OUTPUT,
    OPT_STOPWORDS,
    OPT_MIN_DF,
    OPT_MAX_DF,
    OPT_MIN_LEN,
    OPT_EXPORT,
    OPT_CORPUS
};

static const cli_option fit_options[] = {
    {"components", 'k', 1, OPT_K, "K", "topics"},
    {"vocab", 0, 1, OPT_VOCAB, "VOCAB", "the words of CORPUS's ids, one per line"},
    {"alpha", 0, 1, OPT_ALPHA, "V|auto",
     "document-topic prior, or Newton estimation (default 1/K)"},
    {"eta", 0, 1, OPT_ETA, "V", "topic-word prior (default 1/K)"},
    {"gamma-tol", 0, 1, OPT_GAMMA_TOL, "T",
     "E-step: mean change of gamma to stop at (default 1e-3)"},
    {"max-sweeps", 0, 1, OPT_SWEEPS, "N", "E-step: sweeps per document at most (default 100)"},
    {"warm-gamma", 0, 0, OPT_WARM_GAMMA, NULL,
     "start each E-step from the document's last gamma\n"
     "(batch: the ELBO then provably never decreases)"},
    {"dense-steps", 0, 0, OPT_DENSE_STEPS, NULL,
     "stepwise: update all K x V statistics at every minibatch\n"
     "instead of only the minibatch's words (lazy decay; the\n"
     "same result to rounding); for comparisons"},
    {NULL, 0, 0, 0, NULL, NULL},
};

/* --threads of the commands that run E-steps on a fitted model (score, transform). */
static const cli_option threads_options[] = {
    {"threads", 0, 1, OPT_THREADS, "T", "threads; 0 = all (default); results do not depend on it"},
    {NULL, 0, 0, 0, NULL, NULL},
};

static const cli_option topics_options[] = {
    {"top", 0, 1, OPT_TOP, "N", "words per topic (default 10)"},
    {"coherence", 0, 1, OPT_COHERENCE, "CORPUS", "UMass coherence of each topic over CORPUS"},
    {"export", 0, 1, OPT_EXPORT, "pyldavis",
     "instead: the arguments of pyLDAvis.prepare() as one JSON object\n"
     "(needs --corpus; to -o FILE, or stdout)"},
    {"corpus", 0, 1, OPT_CORPUS, "CORPUS",
     "--export: the documents (their topic proportions, lengths and\nword counts)"},
    {"output", 'o', 1, OPT_OUTPUT, "FILE", "--export: written to FILE (atomically)"},
    {NULL, 0, 0, 0, NULL, NULL},
};

static const cli_option transform_options[] = {
    {"gamma", 0, 0, OPT_GAMMA, NULL, "the variational Dirichlet parameters gamma instead"},
    {NULL, 0, 0, 0, NULL, NULL},
};

static const cli_option score_options[] = {
    {"completion", 0, 0, OPT_COMPLETION, NULL,
     "document-completion perplexity too (gamma fitted on\n"
     "alternate tokens, the others scored)"},
    {NULL, 0, 0, 0, NULL, NULL},
};

static const cli_option corpus_options[] = {
    {"output", 'o', 1, OPT_OUTPUT, "PREFIX", "write PREFIX.docword.txt and PREFIX.vocab.txt"},
    {"stopwords", 0, 1, OPT_STOPWORDS, "FILE",
     "drop the words of FILE (e.g. examples/data/stopwords-en.txt)"},
    {"min-len", 0, 1, OPT_MIN_LEN, "N", "shortest token kept (default 2)"},
    {"min-df", 0, 1, OPT_MIN_DF, "N", "keep words in at least N documents (default 1)"},
    {"max-df", 0, 1, OPT_MAX_DF, "F",
     "keep words in at most this fraction of documents (default 1)"},
    {"vocab", 0, 1, OPT_VOCAB, "VOCAB", "apply an existing vocabulary instead (no df filters)"},
    {NULL, 0, 0, 0, NULL, NULL},
};

static const cli_option *const fit_tables[] = {fit_options, cli_engine_options,
                                               cli_common_options, NULL};
static const cli_option *const topics_tables[] = {topics_options, cli_common_options, NULL};
static const cli_option *const transform_tables[] = {transform_options, threads_options,
                                                     cli_common_options, NULL};
static const cli_option *const score_tables[] = {score_options, threads_options,
                                                 cli_common_options, NULL};
static const cli_option *const info_tables[] = {cli_common_options, NULL};
static const cli_option *const corpus_tables[] = {corpus_options, cli_common_options, NULL};

/* LDA's engine defaults: 50 passes, stop at 1e-4 nats per token, online VB's
 * minibatches of 128 documents with step (t + 10)^-0.7 (Hoffman et al. 2010). */
static void lda_defaults(vem_fit_opts *o)
{
    o->max_iter = 50;
    o->tol = 1e-4;
    o->batch_size = 128;
    o->kappa = 0.7;
    o->tau = 10.0;
    o->n_blocks = 10;
}

static const cli_fit_kind lda_kind = {"lda", "ELBO", "token", "documents", 0,
                                      lda_defaults};

/* Everything the LDA commands parse; each command's tables admit only its own options. */
typedef struct lda_args {
    const char *ops[3];
    int nops;
    const char *vocab, *output, *coherence, *stopwords, *corpus;
    int export_pyldavis;
    size_t k, sweeps, top, min_df, min_len;
    double alpha, eta, gamma_tol, max_df;
    int alpha_auto, alpha_set, eta_set, json, warm_gamma, completion, gamma, dense_steps, threads;
    cli_fit_args f; /* fit: the engine options */
} lda_args;

/*
 * Parse the options of command cmd (its tables) and its operands, at most 3
 * (for fit the first, the kind, is skipped). fit: the engine options into
 * a->f, checked. 0 or CLI_EXIT_USAGE (reported, with the usage line).
 */
static int parse(int argc, char **argv, const char *cmd, const cli_option *const *tables,
                 lda_args *a)
{
    memset(a, 0, sizeof *a);
    a->top = 10;
    a->sweeps = 100;
    a->gamma_tol = 1e-3;
    a->min_len = 2;
    a->min_df = 1;
    a->max_df = 1.0;
    const int fit = tables == fit_tables;
    cli_fit_args_init(&a->f, &lda_kind);
    cli_parser p;
    cli_parser_init(&p, argc, argv, 2, tables, fit ? lda_kind.exclude : 0, cmd);
    const char *val;
    int id, rc = 0, kind_seen = !fit;
    while (rc == 0 && (id = cli_next(&p, &val)) != CLI_END) {
        switch (id) {
        case CLI_BAD: rc = CLI_EXIT_USAGE; break;
        case CLI_POSITIONAL:
            if (!kind_seen) {
                kind_seen = 1;
            } else if (a->nops == 3) {
                cli_error("%s: unexpected argument '%s'", cmd, val);
                rc = CLI_EXIT_USAGE;
            } else {
                a->ops[a->nops++] = val;
            }
            break;
        case CLI_OPT_JSON: a->json = a->f.json = 1; break;
        case OPT_K: rc = cli_parse_size("-k", val, 1, 1u << 20, &a->k); break;
        case OPT_VOCAB: a->vocab = val; break;
        case OPT_ALPHA:
            if (strcmp(val, "auto") == 0)
                a->alpha_auto = 1;
            else
                rc = cli_parse_double("--alpha", val, 0.0, 1, &a->alpha), a->alpha_set = 1;
            break;
        case OPT_ETA:
            rc = cli_parse_double("--eta", val, 0.0, 1, &a->eta);
            a->eta_set = 1;
            break;
        case OPT_GAMMA_TOL: rc = cli_parse_double("--gamma-tol", val, 0.0, 0, &a->gamma_tol); break;
        case OPT_SWEEPS: rc = cli_parse_size("--max-sweeps", val, 1, 1u << 30, &a->sweeps); break;
        case OPT_WARM_GAMMA: a->warm_gamma = 1; break;
        case OPT_DENSE_STEPS: a->dense_steps = 1; break;
        case OPT_THREADS:
            rc = cli_parse_threads(val, &a->threads);
            break;
        case OPT_TOP: rc = cli_parse_size("--top", val, 1, 1u << 20, &a->top); break;
        case OPT_COHERENCE: a->coherence = val; break;
        case OPT_EXPORT:
            if (strcmp(val, "pyldavis") != 0)
                rc = cli_bad_value("--export", "pyldavis", val);
            a->export_pyldavis = 1;
            break;
        case OPT_CORPUS: a->corpus = val; break;
        case OPT_COMPLETION: a->completion = 1; break;
        case OPT_GAMMA: a->gamma = 1; break;
        case OPT_OUTPUT: a->output = val; break;
        case OPT_STOPWORDS: a->stopwords = val; break;
        case OPT_MIN_DF: rc = cli_parse_size("--min-df", val, 1, SIZE_MAX, &a->min_df); break;
        case OPT_MAX_DF:
            /* A fraction of the documents: out of (0, 1] is a usage error, as 0 is. */
            rc = cli_parse_double("--max-df", val, 0.0, 1, &a->max_df);
            if (rc == 0 && a->max_df > 1.0) {
                cli_error("--max-df must be a fraction of the documents in (0, 1], got %s", val);
                rc = CLI_EXIT_USAGE;
            }
            break;
        case OPT_MIN_LEN: rc = cli_parse_size("--min-len", val, 1, 1024, &a->min_len); break;
        default: rc = cli_fit_or_data_option(&a->f, NULL, id, val); break;
        }
    }
    if (rc == 0 && fit)
        rc = cli_fit_args_check(&a->f, cmd);
    if (rc == 0 && a->dense_steps && a->f.opts.algorithm != VEM_ALG_STEPWISE) {
        cli_error("%s: --dense-steps applies to --algorithm stepwise", cmd);
        rc = CLI_EXIT_USAGE;
    }
    if (rc == 0 && fit && a->f.init_model && a->f.opts.n_init > 1) {
        cli_error("%s: --init-model starts from one model: --n-init does not apply", cmd);
        rc = CLI_EXIT_USAGE;
    }
    return rc ? cli_usage_error(cmd) : 0;
}

/* Exactly n operands, else "cmd: what" and the usage line. */
static int operands(const lda_args *a, int n, const char *cmd, const char *what)
{
    if (a->nops == n)
        return 0;
    cli_error("%s: %s", cmd, what);
    return cli_usage_error(cmd);
}

/* Read CORPUS (nvocab 0: from the file); 0 or an exit status (reported). */
static int read_corpus(const char *path, size_t nvocab, vem_docs_owned *c)
{
    vem_status s = vem_docs_read(path, nvocab, c);
    return s == VEM_OK ? 0 : cli_fail(s, path);
}

static vem_lda *load_model(const char *path)
{
    vem_lda *l = vem_lda_load(path);
    if (!l)
        cli_fail(VEM_EFORMAT, path); /* exit status 2, as every input error */
    return l;
}



/* "w1 w2 ..." of topic t: words, or "#id" without a vocabulary. */
static void print_topic(FILE *f, const vem_lda *l, const uint32_t *top, size_t n)
{
    const char *const *voc = vem_lda_vocab(l);
    for (size_t i = 0; i < n; i++) {
        if (voc)
            fprintf(f, "%s%s", i ? " " : "", voc[top[i]]);
        else
            fprintf(f, "%s#%u", i ? " " : "", (unsigned)top[i]);
    }
}

static json_t *topics_json(const vem_lda *l, size_t n)
{
    json_t *a = json_array();
    uint32_t *top = calloc(n, sizeof *top);
    const char *const *voc = vem_lda_vocab(l);
    for (size_t t = 0; a && top && t < vem_lda_k(l); t++) {
        vem_lda_top_words(l, t, n, top);
        json_t *w = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(w, voc ? json_string(voc[top[i]])
                                         : json_integer((json_int_t)top[i]));
        json_array_append_new(a, w);
    }
    free(top);
    return a;
}

/* ---------------------------------------------------------------- fit */

/*
 * Report a failed step of a fit once: by rank 0 under --mpi, where every
 * process holds the same status and detail (vem_comm_agree and the readers
 * built on it); the others only return the exit status. 0 for VEM_OK.
 */
static int report(vem_status s, const char *what)
{
    if (s == VEM_OK)
        return 0;
    return cli_mpi_rank() == 0 ? cli_fail(s, what) : cli_exit_status(s);
}

/* A step every process took on its own, agreed over comm (NULL: one process), then reported. */
static int settle(const vem_comm *comm, vem_status s, const char *what)
{
    return report(vem_comm_agree(comm, s), what);
}

/*
 * The model to fit: a new one with K topics over the corpus's vocabulary, or
 * the one --init-model names (every process loads it), whose lambda, alpha and
 * eta the fit starts from. Every process of comm calls it and returns the
 * same. 0 or an exit status (reported).
 */
static int make_model(const lda_args *a, const vem_comm *comm, const vem_vocab *voc,
                      size_t nvocab, vem_lda **out)
{
    vem_lda *l = NULL;
    const char *init = a->f.init_model;
    int rc;
    *out = NULL;
    if (init) {
        l = vem_lda_load(init);
        if ((rc = settle(comm, l ? VEM_OK : VEM_EFORMAT, init)) != 0) {
            vem_lda_free(l);
            return rc;
        }
        const char *bad = NULL;
        if (a->k && a->k != vem_lda_k(l))
            bad = "-k";
        else if (nvocab > vem_lda_v(l) || (voc->n && voc->n != vem_lda_v(l)))
            bad = "the corpus's vocabulary";
        if (bad) {
            if (cli_mpi_rank() == 0)
                cli_error("fit lda: %s has K=%zu topics over V=%zu words: %s does not agree "
                          "(corpus: %zu words)",
                          init, vem_lda_k(l), vem_lda_v(l), bad, voc->n ? voc->n : nvocab);
            vem_lda_free(l);
            return CLI_EXIT_USAGE;
        }
    } else {
        l = vem_lda_new(a->k, nvocab);
        if ((rc = settle(comm, l ? VEM_OK : VEM_ENOMEM, "model")) != 0) {
            vem_lda_free(l);
            return rc;
        }
    }
    vem_status s = VEM_OK;
    if (a->alpha_set)
        s = vem_lda_set_alpha(l, a->alpha);
    if (s == VEM_OK && a->eta_set)
        s = vem_lda_set_eta(l, a->eta);
    if (s == VEM_OK)
        s = vem_lda_set_estep(l, a->gamma_tol, a->sweeps);
    if (s == VEM_OK && voc->n)
        s = vem_lda_set_vocab(l, (const char *const *)voc->words);
    if ((rc = settle(comm, s, "options")) != 0) {
        vem_lda_free(l);
        return rc;
    }
    vem_lda_set_alpha_auto(l, a->alpha_auto);
    vem_lda_set_warm_gamma(l, a->warm_gamma);
    *out = l;
    return 0;
}

/* The fit's own lines before the common tail: sizes, priors, E-step, topics. */
static void print_fit(const lda_args *a, const vem_lda *l, size_t ndocs,
                      const vem_fit_result *res, const vem_lda_pass_info *hist, size_t hlen)
{
    const size_t k = vem_lda_k(l), v = vem_lda_v(l), ntop = a->top < v ? a->top : v;
    printf("LDA: K=%zu, %zu documents, %.0f tokens, vocabulary %zu, %s\n", k, ndocs, res->n_obs,
           v, vem_algorithm_name(a->f.opts.algorithm));
    printf("alpha %.6g%s, eta %.6g\n", vem_lda_alpha(l), a->alpha_auto ? " (estimated)" : "",
           vem_lda_eta(l));
    if (hlen)
        printf("E-step: %zu of %zu documents converged in the last pass (mean %.1f sweeps)\n",
               hist[hlen - 1].n_converged, hist[hlen - 1].n_docs, hist[hlen - 1].mean_sweeps);
    uint32_t *top = calloc(ntop, sizeof *top);
    for (size_t t = 0; top && t < k; t++) {
        vem_lda_top_words(l, t, ntop, top);
        printf("topic %2zu: ", t);
        print_topic(stdout, l, top, ntop);
        putchar('\n');
    }
    free(top);
    cli_print_fit_tail(&a->f, res);
}

/* The fit as JSON: the common fields, then LDA's. */
static int fit_json(const lda_args *a, const vem_lda *l, size_t ndocs,
                    const vem_fit_result *res, const vem_lda_pass_info *hist, size_t hlen)
{
    const size_t v = vem_lda_v(l);
    json_t *j = json_object();
    if (!j)
        return cli_json_emit(j);
    cli_json_fit_common(j, &a->f, res, ndocs);
    json_object_set_new(j, "n_topics", json_integer((json_int_t)vem_lda_k(l)));
    json_object_set_new(j, "n_words", json_integer((json_int_t)v));
    json_object_set_new(j, "n_docs", json_integer((json_int_t)ndocs));
    json_object_set_new(j, "n_tokens", json_integer((json_int_t)llround(res->n_obs)));
    json_object_set_new(j, "elbo", cli_json_real(res->objective));
    json_object_set_new(j, "elbo_per_token", cli_json_real(res->objective / res->n_obs));
    json_object_set_new(j, "alpha", cli_json_real(vem_lda_alpha(l)));
    json_object_set_new(j, "eta", cli_json_real(vem_lda_eta(l)));
    json_t *cv = json_array();
    for (size_t i = 0; cv && i < hlen; i++)
        json_array_append_new(cv, json_integer((json_int_t)hist[i].n_converged));
    json_object_set_new(j, "estep_converged", cv);
    json_object_set_new(j, "topics", topics_json(l, a->top < v ? a->top : v));
    return cli_json_emit(j);
}

static int cmd_fit(int argc, char **argv)
{
    lda_args a;
    int rc = parse(argc, argv, "fit lda", fit_tables, &a);
    if (rc)
        return rc;
    if ((rc = operands(&a, 1, "fit lda", "one CORPUS is required")) != 0)
        return rc;
    if (a.k == 0 && !a.f.init_model) {
        cli_error("fit lda: -k K is required");
        return cli_usage_error("fit lda");
    }
    if (a.f.opts.algorithm == VEM_ALG_CEM) {
        /* Hard assignments under q(z) maximise no objective LDA reports (docs/mcem.md, "LDA"):
         * the engine would flag the ELBO's drops as violations of a monotone algorithm. */
        cli_error("fit lda: --algorithm cem is not offered for LDA (its E-step is variational: "
                  "hard topics do not increase the ELBO); use mcem or sem");
        return cli_usage_error("fit lda");
    }
    cli_fit_mc_defaults(&a.f); /* max_iter is final (lda_defaults, --max-iter) */
    if (a.f.stream && a.warm_gamma) {
        cli_error("fit lda: --warm-gamma keeps K doubles per document in memory: not with "
                  "--stream");
        return cli_usage_error("fit lda");
    }
    /* --mpi: each process reads its share of the documents; the library agrees on every
     * step's outcome over the processes, and the fit all-reduces [K x V counts, extras,
     * ELBO, tokens] once per pass, minibatch or block. */
    const vem_comm *comm = a.f.mpi ? cli_mpi_comm() : NULL;
    const int root = cli_mpi_rank() == 0;
    vem_vocab voc = {0};
    vem_docs_owned c = {0};
    vem_source *src = NULL;
    vem_lda *l = NULL;
    vem_fit_result res;
    memset(&res, 0, sizeof res);
    if (a.vocab && (rc = settle(comm, vem_vocab_read(a.vocab, &voc), a.vocab)) != 0)
        goto out;
    size_t ndocs = 0;
    /* --stream: this process's documents in temporary files, read a block at a time. */
    if (a.f.stream)
        rc = report(vem_source_open_docs_comm(a.ops[0], voc.n, comm, &src, &ndocs), a.ops[0]);
    else if (comm)
        rc = report(vem_docs_read_share_comm(a.ops[0], voc.n, comm, &c, &ndocs), a.ops[0]);
    else if ((rc = read_corpus(a.ops[0], voc.n, &c)) == 0)
        ndocs = c.ndocs;
    if (rc != 0 ||
        (rc = make_model(&a, comm, &voc, src ? vem_source_nvocab(src) : c.nvocab, &l)) != 0)
        goto out;
    vem_fit_opts o = a.f.opts;
    o.dense_steps = a.dense_steps;
    o.comm = comm;
    /* Without --init-model every process draws the same initial lambda of every restart:
     * it depends on K, V and the seed only. */
    vem_rng rng;
    vem_rng_seed(&rng, a.f.seed);
    vem_docs d = vem_docs_owned_view(&c);
    cli_fit_running = 1;
    vem_status st = src ? vem_lda_fit_source(l, src, &o, &rng, &res, NULL)
                        : vem_lda_fit(l, &d, &o, &rng, &res, NULL);
    cli_fit_running = 0;
    cli_progress_end_line();
    /* Every process saw the same sums, so every process failed alike. */
    /* The fit's failures are about the corpus (e.g. no words): name it. */
    if (!cli_fit_usable(st) && *vem_errmsg()) {
        if (root)
            cli_error("%s: %s", a.ops[0], vem_errmsg());
        rc = cli_exit_status(st);
        goto out;
    }
    if (!cli_fit_usable(st) && (rc = report(st, "fit lda")) != 0)
        goto out;
    if (a.f.output &&
        (rc = settle(comm, root ? vem_lda_save(l, a.f.output, &res) : VEM_OK, a.f.output)) != 0)
        goto out;
    if (root)
        cli_warn_not_converged(&a.f, &res);
    size_t hlen;
    const vem_lda_pass_info *hist = vem_lda_pass_history(l, &hlen); /* the kept restart's */
    if (a.json)
        rc = fit_json(&a, l, ndocs, &res, hist, hlen);
    else
        print_fit(&a, l, ndocs, &res, hist, hlen);
out:
    vem_fit_result_clear(&res);
    vem_lda_free(l);
    vem_source_close(src);
    vem_docs_owned_clear(&c);
    vem_vocab_clear(&voc);
    return rc;
}

/* ---------------------------------------------------------------- model commands */

/*
 * `vem topics MODEL --export pyldavis --corpus CORPUS [-o FILE]`: the five arguments of
 * pyLDAvis.prepare() (Sievert & Shirley 2014's LDAvis) under their names, so that
 * pyLDAvis.prepare(**json.load(f)) takes them: topic_term_dists (K x V, E[beta]),
 * doc_topic_dists (D x K, the normalised gamma of each document, as vem transform),
 * doc_lengths (tokens of each document), vocab, term_frequency (each word's count in
 * CORPUS). Written atomically to FILE, or to stdout.
 */
static int export_pyldavis(const lda_args *a, const vem_lda *l)
{
    vem_docs_owned c = {0};
    int rc = read_corpus(a->corpus, vem_lda_v(l), &c);
    if (rc != 0)
        return rc;
    const vem_docs d = vem_docs_owned_view(&c);
    const size_t k = vem_lda_k(l), v = vem_lda_v(l), nd = d.ndocs;
    double *beta = malloc(k * v * sizeof *beta), *theta = malloc((nd ? nd : 1) * k * sizeof *theta);
    double *tf = calloc(v, sizeof *tf);
    json_t *j = json_object(), *len = json_array(), *voc = json_array();
    vem_status s = VEM_OK;
    if (!beta || !theta || !tf || !j || !len || !voc)
        s = VEM_ENOMEM;
    else
        s = vem_lda_transform(l, &d, 1, 0, theta);
    if (s != VEM_OK) {
        rc = cli_fail(s, a->corpus);
        goto out;
    }
    vem_lda_get_topics(l, beta);
    for (size_t i = 0; i < nd; i++) {
        double n = 0;
        for (size_t e = d.ptr[i]; e < d.ptr[i + 1]; e++) {
            n += d.count[e];
            tf[d.word[e]] += d.count[e];
        }
        json_array_append_new(len, n == floor(n) ? json_integer((json_int_t)n) : json_real(n));
    }
    const char *const *words = vem_lda_vocab(l);
    for (size_t w = 0; w < v; w++) {
        char buf[32];
        snprintf(buf, sizeof buf, "#%zu", w);
        json_array_append_new(voc, json_string(words ? words[w] : buf));
    }
    json_object_set_new(j, "topic_term_dists", cli_json_matrix(beta, k, v));
    json_object_set_new(j, "doc_topic_dists", cli_json_matrix(theta, nd, k));
    json_object_set_new(j, "doc_lengths", len);
    json_object_set_new(j, "vocab", voc);
    json_object_set_new(j, "term_frequency", cli_json_vector(tf, v));
    len = voc = NULL;
    if (!a->output) {
        rc = cli_json_emit(j);
        j = NULL;
    } else {
        char *tmp = NULL;
        FILE *fp = vem_output_open(a->output, &tmp);
        if (!fp) {
            rc = cli_fail(VEM_EIO, a->output);
        } else {
            int bad = json_dumpf(j, fp, JSON_COMPACT | JSON_REAL_PRECISION(17)) != 0;
            bad |= fputc('\n', fp) == EOF;
            if ((s = vem_output_commit(fp, tmp, a->output, bad)) != VEM_OK)
                rc = cli_fail(s, a->output);
        }
    }
out:
    json_decref(j);
    json_decref(len);
    json_decref(voc);
    free(beta);
    free(theta);
    free(tf);
    vem_docs_owned_clear(&c);
    return rc;
}

static int cmd_topics(int argc, char **argv)
{
    lda_args a;
    int rc = parse(argc, argv, "topics", topics_tables, &a);
    if (rc || (rc = operands(&a, 1, "topics", "one MODEL is required")) != 0)
        return rc;
    if (a.export_pyldavis != (a.corpus != NULL) || (a.output && !a.export_pyldavis)) {
        cli_error("topics: --export pyldavis and --corpus go together%s",
                  a.output && !a.export_pyldavis ? "; -o is for --export" : "");
        return cli_usage_error("topics");
    }
    if (a.export_pyldavis && (a.json || a.coherence)) {
        cli_error("topics: --export writes pyLDAvis's JSON; --json and --coherence are for "
                  "the top words");
        return cli_usage_error("topics");
    }
    if (a.export_pyldavis) {
        vem_lda *m = load_model(a.ops[0]);
        if (!m)
            return CLI_EXIT_INPUT;
        rc = export_pyldavis(&a, m);
        vem_lda_free(m);
        return rc;
    }
    vem_lda *l = load_model(a.ops[0]);
    if (!l)
        return CLI_EXIT_INPUT;
    size_t k = vem_lda_k(l), n = a.top < vem_lda_v(l) ? a.top : vem_lda_v(l);
    double *coh = NULL;
    vem_docs_owned c = {0};
    if (a.coherence) {
        if (n < 2) {
            cli_error("topics: --coherence needs --top >= 2");
            vem_lda_free(l);
            return CLI_EXIT_USAGE;
        }
        if ((rc = read_corpus(a.coherence, vem_lda_v(l), &c)) != 0) {
            vem_lda_free(l);
            return rc;
        }
        coh = calloc(k, sizeof *coh);
        vem_docs d = vem_docs_owned_view(&c);
        vem_status s = coh ? vem_lda_coherence(l, &d, n, coh) : VEM_ENOMEM;
        if (s != VEM_OK) {
            rc = cli_fail(s, "coherence");
            goto out;
        }
    }
    if (a.json) {
        json_t *j = cli_json_new("lda");
        json_object_set_new(j, "n_topics", json_integer((json_int_t)k));
        json_object_set_new(j, "topics", topics_json(l, n));
        if (coh)
            json_object_set_new(j, "coherence", cli_json_vector(coh, k));
        rc = cli_json_emit(j);
        goto out;
    }
    uint32_t *top = calloc(n, sizeof *top);
    for (size_t t = 0; top && t < k; t++) {
        vem_lda_top_words(l, t, n, top);
        printf("topic %2zu: ", t);
        if (coh)
            printf("(coherence %.2f) ", coh[t]);
        print_topic(stdout, l, top, n);
        putchar('\n');
    }
    free(top);
out:
    free(coh);
    vem_docs_owned_clear(&c);
    vem_lda_free(l);
    return rc;
}

/* MODEL and CORPUS of transform and score: 0, or an exit status (reported; nothing to free). */
static int load_model_corpus(const lda_args *a, const char *cmd, vem_lda **l, vem_docs_owned *c)
{
    int rc = operands(a, 2, cmd, "MODEL and CORPUS are required");
    if (rc)
        return rc;
    if (!(*l = load_model(a->ops[0])))
        return CLI_EXIT_INPUT;
    if ((rc = read_corpus(a->ops[1], vem_lda_v(*l), c)) != 0) {
        vem_lda_free(*l);
        *l = NULL;
    }
    return rc;
}

static int cmd_transform(int argc, char **argv)
{
    lda_args a;
    vem_lda *l = NULL;
    vem_docs_owned c = {0};
    int rc = parse(argc, argv, "transform", transform_tables, &a);
    if (rc || (rc = load_model_corpus(&a, "transform", &l, &c)) != 0)
        return rc;
    size_t k = vem_lda_k(l);
    double *out = calloc(c.ndocs ? c.ndocs * k : 1, sizeof *out);
    vem_docs d = vem_docs_owned_view(&c);
    vem_status s = out ? vem_lda_transform(l, &d, !a.gamma, a.threads, out) : VEM_ENOMEM;
    if (s != VEM_OK) {
        rc = cli_fail(s, "transform");
        goto done;
    }
    if (a.json) {
        json_t *j = cli_json_new("lda");
        json_object_set_new(j, a.gamma ? "gamma" : "theta", cli_json_matrix(out, c.ndocs, k));
        rc = cli_json_emit(j);
        goto done;
    }
    for (size_t i = 0; i < c.ndocs; i++)
        for (size_t t = 0; t < k; t++)
            printf("%.10g%c", out[i * k + t], t + 1 < k ? ',' : '\n');
done:
    free(out);
    vem_docs_owned_clear(&c);
    vem_lda_free(l);
    return rc;
}

static int cmd_score(int argc, char **argv)
{
    lda_args a;
    vem_lda *l = NULL;
    vem_docs_owned c = {0};
    int rc = parse(argc, argv, "score", score_tables, &a);
    if (rc || (rc = load_model_corpus(&a, "score", &l, &c)) != 0)
        return rc;
    vem_docs d = vem_docs_owned_view(&c);
    vem_lda_score_result r;
    vem_status s = vem_lda_score(l, &d, a.threads, &r);
    if (s != VEM_OK) {
        /* About the corpus (e.g. no words): name it. */
        cli_error("%s: %s", a.ops[1], *vem_errmsg() ? vem_errmsg() : vem_strerror(s));
        rc = cli_exit_status(s);
        goto done;
    }
    double comp = 0.0, nh = 0.0;
    if (a.completion && (s = vem_lda_completion(l, &d, a.threads, &comp, &nh)) != VEM_OK) {
        rc = cli_fail(s, "completion");
        goto done;
    }
    const size_t ntok = (size_t)llround(r.n_tokens);
    if (a.json) {
        json_t *j = json_object();
        cli_json_score_common(j, "lda", "elbo", r.n_docs, ntok, r.bound);
        json_object_set_new(j, "n_docs", json_integer((json_int_t)r.n_docs));
        json_object_set_new(j, "n_tokens", json_integer((json_int_t)ntok));
        json_object_set_new(j, "bound", cli_json_real(r.bound));
        json_object_set_new(j, "bound_per_word", cli_json_real(r.bound_per_word));
        json_object_set_new(j, "perplexity", cli_json_real(r.perplexity));
        json_object_set_new(j, "n_converged", json_integer((json_int_t)r.n_converged));
        if (a.completion) {
            json_object_set_new(j, "completion_perplexity", cli_json_real(comp));
            json_object_set_new(j, "completion_tokens", json_integer((json_int_t)llround(nh)));
        }
        rc = cli_json_emit(j);
        goto done;
    }
    cli_print_score(lda_kind.objective, lda_kind.units, r.n_docs, lda_kind.unit, ntok, r.bound);
    printf("bound per word: %.8f nats (local terms), perplexity: %.4f\n", r.bound_per_word,
           r.perplexity);
    if (a.completion)
        printf("document completion perplexity: %.4f (%.0f held-out tokens)\n", comp, nh);
done:
    vem_docs_owned_clear(&c);
    vem_lda_free(l);
    return rc;
}

static int cmd_info(int argc, char **argv)
{
    lda_args a;
    int rc = parse(argc, argv, "info", info_tables, &a);
    if (rc || (rc = operands(&a, 1, "info", "one MODEL is required")) != 0)
        return rc;
    vem_lda *l = load_model(a.ops[0]);
    if (!l)
        return CLI_EXIT_INPUT;
    if (a.json) {
        json_t *j = cli_json_new("lda");
        json_object_set_new(j, "n_topics", json_integer((json_int_t)vem_lda_k(l)));
        json_object_set_new(j, "n_words", json_integer((json_int_t)vem_lda_v(l)));
        json_object_set_new(j, "alpha", cli_json_real(vem_lda_alpha(l)));
        json_object_set_new(j, "eta", cli_json_real(vem_lda_eta(l)));
        json_object_set_new(j, "has_vocab", json_boolean(vem_lda_vocab(l) != NULL));
        rc = cli_json_emit(j);
    } else {
        printf("latent Dirichlet allocation: K=%zu topics, V=%zu words%s\n", vem_lda_k(l),
               vem_lda_v(l), vem_lda_vocab(l) ? ", with vocabulary" : "");
        printf("alpha %.6g%s, eta %.6g\n", vem_lda_alpha(l),
               vem_lda_alpha_auto(l) ? " (estimated)" : "", vem_lda_eta(l));
    }
    vem_lda_free(l);
    return rc;
}

static int cmd_corpus(int argc, char **argv)
{
    lda_args a;
    int rc = parse(argc, argv, "corpus", corpus_tables, &a);
    if (rc || (rc = operands(&a, 1, "corpus", "one TEXTS path is required")) != 0)
        return rc;
    if (!a.output) {
        cli_error("corpus: -o PREFIX is required");
        return cli_usage_error("corpus");
    }
    vem_vocab given = {0}, voc = {0};
    vem_docs_owned c = {0};
    char *p1 = NULL, *p2 = NULL;
    vem_status s;
    if (a.vocab && (s = vem_vocab_read(a.vocab, &given)) != VEM_OK)
        return cli_fail(s, a.vocab);
    vem_corpus_opts o;
    vem_corpus_opts_init(&o);
    o.stopwords = a.stopwords;
    o.min_len = a.min_len;
    o.min_df = a.min_df;
    o.max_df = a.max_df;
    o.vocab = a.vocab ? &given : NULL;
    if ((s = vem_corpus_build(a.ops[0], &o, &c, &voc)) != VEM_OK) {
        rc = cli_fail(s, a.ops[0]);
        goto done;
    }
    size_t n = strlen(a.output) + 16;
    p1 = malloc(n);
    p2 = malloc(n);
    if (!p1 || !p2) {
        rc = cli_fail(VEM_ENOMEM, "corpus");
        goto done;
    }
    snprintf(p1, n, "%s.docword.txt", a.output);
    snprintf(p2, n, "%s.vocab.txt", a.output);
    vem_docs d = vem_docs_owned_view(&c);
    if ((s = vem_corpus_write(&d, &voc, a.output)) != VEM_OK) {
        rc = cli_fail(s, a.output);
        goto done;
    }
    double tok = vem_docs_tokens(&d);
    if (a.json) {
        json_t *j = json_object();
        json_object_set_new(j, "n_docs", json_integer((json_int_t)c.ndocs));
        json_object_set_new(j, "n_words", json_integer((json_int_t)voc.n));
        json_object_set_new(j, "n_tokens", json_integer((json_int_t)llround(tok)));
        json_object_set_new(j, "docword", json_string(p1));
        json_object_set_new(j, "vocab", json_string(p2));
        rc = cli_json_emit(j);
    } else {
        printf("%zu documents, %zu words, %.0f tokens: %s, %s\n", c.ndocs, voc.n, tok, p1, p2);
    }
done:
    free(p1);
    free(p2);
    vem_docs_owned_clear(&c);
    vem_vocab_clear(&voc);
    vem_vocab_clear(&given);
    return rc;
}

/* ---------------------------------------------------------------- the verbs (vem.c) */

const cli_verb cli_lda_fit = {
    cmd_fit,
    "CORPUS [--vocab VOCAB] -k K [options] [-o MODEL.json]",
    "Fit latent Dirichlet allocation by variational EM (batch), online variational\n"
    "Bayes (stepwise) or incremental EM. CORPUS: UCI bag-of-words (docword) or\n"
    "LDA-C (a name ending in .ldac); VOCAB: one word per line. -o MODEL.json also\n"
    "writes the .npy it names (MODEL.lambda.npy or MODEL.lambda.XXXXXX.npy; the two\n"
    "are committed as one unit). --init-model starts from a model's topics (lambda),\n"
    "alpha and eta (--alpha and --eta override them). --stream: the corpus is read\n"
    "once into temporary files and then a block of documents at a time. --mpi: each\n"
    "process reads (or streams) its share of the documents (UCI: grouped by\n"
    "document in docID order).",
    fit_tables,
    &lda_kind,
};
const cli_verb cli_lda_topics = {
    cmd_topics, "MODEL [--top N] [--coherence CORPUS] | MODEL --export pyldavis --corpus CORPUS [-o FILE]",
    "Print the N most probable words of each topic, with the UMass coherence of each\n"
    "topic over CORPUS when given. --export pyldavis: the five arguments of\n"
    "pyLDAvis.prepare() (topic_term_dists, doc_topic_dists, doc_lengths, vocab,\n"
    "term_frequency) for CORPUS as one JSON object, which\n"
    "pyLDAvis.prepare(**json.load(open(FILE))) takes (docs/lda.md).",
    topics_tables, NULL};
const cli_verb cli_lda_transform = {
    cmd_transform, "MODEL CORPUS [--gamma] [options]",
    "Topic proportions of each document of CORPUS (CSV, one row per document), or\n"
    "the variational Dirichlet parameters gamma with --gamma.",
    transform_tables, NULL};
const cli_verb cli_lda_score = {
    cmd_score, "MODEL CORPUS [--completion] [options]",
    "Held-out per-word bound (nats; local ELBO terms, Hoffman et al. 2010 eq. 16)\n"
    "and its perplexity exp(-bound).",
    score_tables, NULL};
const cli_verb cli_lda_info = {cmd_info, "MODEL", "Describe an LDA model file.", info_tables,
                               NULL};
const cli_verb cli_lda_corpus = {
    cmd_corpus, "TEXTS -o PREFIX [options]",
    "Build a bag-of-words corpus from TEXTS: a folder (one document per file) or a\n"
    "file (one document per line). Tokens: runs of ASCII letters, lowercased.\n"
    "Writes PREFIX.docword.txt (UCI) and PREFIX.vocab.txt as one unit: links\n"
    "through PREFIX.corpus to a directory holding the pair (docs/formats.md).",
    corpus_tables, NULL};
