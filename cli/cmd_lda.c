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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

enum {
    OPT_K = CLI_OPT_OWN,
    OPT_VOCAB,
    OPT_ALGORITHM,
    OPT_PASSES,
    OPT_BATCH,
    OPT_KAPPA,
    OPT_TAU,
    OPT_BLOCKS,
    OPT_ALPHA,
    OPT_ETA,
    OPT_SEED,
    OPT_THREADS,
    OPT_TOL,
    OPT_GAMMA_TOL,
    OPT_SWEEPS,
    OPT_WARM_GAMMA,
    OPT_DENSE_STEPS,
    OPT_OUTPUT,
    OPT_VERBOSE,
    OPT_TOP,
    OPT_COHERENCE,
    OPT_COMPLETION,
    OPT_STOPWORDS,
    OPT_MIN_DF,
    OPT_MAX_DF,
    OPT_MIN_LEN,
    OPT_GAMMA,
    OPT_INIT_MODEL,
    OPT_MPI
};

static const cli_option lda_options[] = {
    {"help", 'h', 0, CLI_OPT_HELP, NULL, ""},
    {"json", 0, 0, CLI_OPT_JSON, NULL, ""},
    {"components", 'k', 1, OPT_K, "V", ""},
    {"vocab", 0, 1, OPT_VOCAB, "V", ""},
    {"algorithm", 0, 1, OPT_ALGORITHM, "V", ""},
    {"passes", 0, 1, OPT_PASSES, "V", ""},
    {"max-iter", 0, 1, OPT_PASSES, "V", ""},
    {"batch-size", 0, 1, OPT_BATCH, "V", ""},
    {"kappa", 0, 1, OPT_KAPPA, "V", ""},
    {"tau", 0, 1, OPT_TAU, "V", ""},
    {"blocks", 0, 1, OPT_BLOCKS, "V", ""},
    {"alpha", 0, 1, OPT_ALPHA, "V", ""},
    {"eta", 0, 1, OPT_ETA, "V", ""},
    {"seed", 0, 1, OPT_SEED, "V", ""},
    {"threads", 0, 1, OPT_THREADS, "V", ""},
    {"tol", 0, 1, OPT_TOL, "V", ""},
    {"gamma-tol", 0, 1, OPT_GAMMA_TOL, "V", ""},
    {"max-sweeps", 0, 1, OPT_SWEEPS, "V", ""},
    {"warm-gamma", 0, 0, OPT_WARM_GAMMA, NULL, ""},
    {"dense-steps", 0, 0, OPT_DENSE_STEPS, NULL, ""},
    {"output", 'o', 1, OPT_OUTPUT, "V", ""},
    {"verbose", 'v', 0, OPT_VERBOSE, NULL, ""},
    {"top", 0, 1, OPT_TOP, "V", ""},
    {"coherence", 0, 1, OPT_COHERENCE, "V", ""},
    {"completion", 0, 0, OPT_COMPLETION, NULL, ""},
    {"stopwords", 0, 1, OPT_STOPWORDS, "V", ""},
    {"min-df", 0, 1, OPT_MIN_DF, "V", ""},
    {"max-df", 0, 1, OPT_MAX_DF, "V", ""},
    {"min-len", 0, 1, OPT_MIN_LEN, "V", ""},
    {"gamma", 0, 0, OPT_GAMMA, NULL, ""},
    {"init-model", 0, 1, OPT_INIT_MODEL, "V", ""},
    {"mpi", 0, 0, OPT_MPI, NULL, ""},
    {NULL, 0, 0, 0, NULL, NULL},
};

static const cli_option *const lda_tables[] = {lda_options, NULL};

static const char fit_help[] =
    "usage: vem fit lda CORPUS [--vocab VOCAB] -k K [options] [-o MODEL.json]\n"
    "       mpirun -np P vem fit lda CORPUS ... --mpi\n"
    "\n"
    "Fit latent Dirichlet allocation by variational EM. CORPUS: UCI bag-of-words\n"
    "(docword) or LDA-C (a name ending in .ldac); VOCAB: one word per line.\n"
    "\n"
    "options:\n"
    "  -k, --components K   topics\n"
    "  --algorithm A        batch (default), stepwise (online VB) or incremental\n"
    "  --passes N           EM iterations / passes over the corpus (default 50)\n"
    "  --tol T              stop when the ELBO per token changes by < T nats (default 1e-4;\n"
    "                       0 runs every pass)\n"
    "  --batch-size B       stepwise: documents per minibatch (default 128)\n"
    "  --kappa K, --tau T   stepwise: step (t + tau)^-kappa (defaults 0.7 and 10)\n"
    "  --dense-steps        stepwise: update all K x V statistics at every minibatch\n"
    "                       instead of only the minibatch's words (lazy decay; the\n"
    "                       same result to rounding); for comparisons\n"
    "  --blocks N           incremental: blocks of documents (default 10)\n"
    "  --alpha V|auto       document-topic prior, or Newton estimation (default 1/K)\n"
    "  --eta V              topic-word prior (default 1/K)\n"
    "  --gamma-tol T        E-step: mean change of gamma to stop at (default 1e-3)\n"
    "  --max-sweeps N       E-step: sweeps per document at most (default 100)\n"
    "  --warm-gamma         start each E-step from the document's last gamma\n"
    "                       (batch: the ELBO then provably never decreases)\n"
    "  --seed S             random seed of the initial topics (default 0)\n"
    "  --init-model M       start from the topics (lambda), alpha and eta of model M\n"
    "                       (--alpha and --eta override them)\n"
    "  --mpi                distributed fit under mpirun: each process reads its share\n"
    "                       of the documents (UCI: grouped by document in docID order)\n"
    "  --threads T          threads; 0 = all (default); results do not depend on it\n"
    "  -o, --output MODEL   write MODEL.json and MODEL.lambda.npy\n"
    "  --json               print the result as one JSON object\n"
    "  --verbose            progress on stderr even when it is not a terminal\n";

static const char corpus_help[] =
    "usage: vem corpus TEXTS -o PREFIX [options]\n"
    "\n"
    "Build a bag-of-words corpus from TEXTS: a folder (one document per file) or a\n"
    "file (one document per line). Tokens: runs of ASCII letters, lowercased.\n"
    "Writes PREFIX.docword.txt (UCI) and PREFIX.vocab.txt.\n"
    "\n"
    "options:\n"
    "  --stopwords FILE     drop the words of FILE (e.g. examples/data/stopwords-en.txt)\n"
    "  --min-len N          shortest token kept (default 2)\n"
    "  --min-df N           keep words in at least N documents (default 1)\n"
    "  --max-df F           keep words in at most this fraction of documents (default 1)\n"
    "  --vocab VOCAB        apply an existing vocabulary instead (no df filters)\n";

static const char topics_help[] =
    "usage: vem topics MODEL [--top N] [--coherence CORPUS] [--json]\n"
    "\n"
    "Print the N most probable words of each topic (default 10), with the\n"
    "UMass coherence of each topic over CORPUS when given.\n";

static const char transform_help[] =
    "usage: vem transform MODEL CORPUS [--gamma] [--json] [--threads T]\n"
    "\n"
    "Topic proportions of each document of CORPUS (CSV, one row per document),\n"
    "or the variational Dirichlet parameters gamma with --gamma.\n";

static const char score_help[] =
    "usage: vem score MODEL CORPUS [--completion] [--json] [--threads T]\n"
    "\n"
    "Held-out per-word bound (nats; local ELBO terms, Hoffman et al. 2010 eq. 16)\n"
    "and its perplexity exp(-bound). --completion adds document-completion\n"
    "perplexity (gamma fitted on alternate tokens, the others scored).\n";

static const char info_help[] = "usage: vem info MODEL [--json]\n\nDescribe an LDA model file.\n";

/* Everything the LDA commands parse. */
typedef struct lda_args {
    const char *ops[3];
    int nops;
    const char *vocab, *output, *coherence, *stopwords, *init_model;
    size_t k, passes, batch, blocks, sweeps, top, min_df, min_len;
    double kappa, tau, alpha, eta, tol, gamma_tol, max_df;
    int alpha_auto, alpha_set, eta_set, json, verbose, help, warm_gamma, completion, gamma;
    int dense_steps;
    int kappa_set, tau_set, tol_set, batch_set, blocks_set, mpi;
    uint64_t seed;
    int threads;
    vem_algorithm algorithm;
} lda_args;

static int parse(int argc, char **argv, int first, const char *cmd, lda_args *a)
{
    memset(a, 0, sizeof *a);
    a->passes = 50;
    a->top = 10;
    a->sweeps = 100;
    a->gamma_tol = 1e-3;
    a->tol = 1e-4;
    a->min_len = 2;
    a->min_df = 1;
    a->max_df = 1.0;
    cli_parser p;
    cli_parser_init(&p, argc, argv, first, lda_tables, 0, cmd);
    const char *val;
    int id, rc = 0;
    size_t th = 0;
    while ((id = cli_next(&p, &val)) != CLI_END) {
        switch (id) {
        case CLI_BAD:
            return CLI_EXIT_USAGE;
        case CLI_POSITIONAL:
            if (a->nops == 3) {
                cli_error("%s: unexpected argument '%s'", cmd, val);
                return CLI_EXIT_USAGE;
            }
            a->ops[a->nops++] = val;
            break;
        case CLI_OPT_HELP: a->help = 1; break;
        case CLI_OPT_JSON: a->json = 1; break;
        case OPT_K: rc = cli_parse_size("-k", val, 1, 1u << 20, &a->k); break;
        case OPT_VOCAB: a->vocab = val; break;
        case OPT_ALGORITHM:
            if (vem_algorithm_parse(val, &a->algorithm) != VEM_OK) {
                cli_error("%s: --algorithm: '%s' is not batch, stepwise or incremental", cmd, val);
                rc = CLI_EXIT_USAGE;
            }
            break;
        case OPT_PASSES: rc = cli_parse_size("--passes", val, 1, 1u << 30, &a->passes); break;
        case OPT_BATCH:
            rc = cli_parse_size("--batch-size", val, 1, SIZE_MAX, &a->batch);
            a->batch_set = 1;
            break;
        case OPT_BLOCKS:
            rc = cli_parse_size("--blocks", val, 1, SIZE_MAX, &a->blocks);
            a->blocks_set = 1;
            break;
        case OPT_KAPPA:
            rc = cli_parse_double("--kappa", val, 0.0, 1, &a->kappa);
            a->kappa_set = 1;
            break;
        case OPT_TAU:
            rc = cli_parse_double("--tau", val, 0.0, 0, &a->tau);
            a->tau_set = 1;
            break;
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
        case OPT_SEED: rc = cli_parse_u64("--seed", val, &a->seed); break;
        case OPT_THREADS:
            rc = cli_parse_size("--threads", val, 0, 1024, &th);
            a->threads = (int)th;
            break;
        case OPT_TOL:
            rc = cli_parse_double("--tol", val, 0.0, 0, &a->tol);
            a->tol_set = 1;
            break;
        case OPT_GAMMA_TOL: rc = cli_parse_double("--gamma-tol", val, 0.0, 0, &a->gamma_tol); break;
        case OPT_SWEEPS: rc = cli_parse_size("--max-sweeps", val, 1, 1u << 30, &a->sweeps); break;
        case OPT_WARM_GAMMA: a->warm_gamma = 1; break;
        case OPT_DENSE_STEPS: a->dense_steps = 1; break;
        case OPT_OUTPUT: a->output = val; break;
        case OPT_VERBOSE: a->verbose = 1; break;
        case OPT_TOP: rc = cli_parse_size("--top", val, 1, 1u << 20, &a->top); break;
        case OPT_COHERENCE: a->coherence = val; break;
        case OPT_COMPLETION: a->completion = 1; break;
        case OPT_STOPWORDS: a->stopwords = val; break;
        case OPT_MIN_DF: rc = cli_parse_size("--min-df", val, 1, SIZE_MAX, &a->min_df); break;
        case OPT_MAX_DF: rc = cli_parse_double("--max-df", val, 0.0, 1, &a->max_df); break;
        case OPT_MIN_LEN: rc = cli_parse_size("--min-len", val, 1, 1024, &a->min_len); break;
        case OPT_GAMMA: a->gamma = 1; break;
        case OPT_INIT_MODEL: a->init_model = val; break;
        case OPT_MPI:
            if (strcmp(cmd, "fit lda") != 0) {
                if (cli_mpi_rank() == 0)
                    cli_error("%s: --mpi is for fit lda only (this command needs no MPI)", cmd);
                return CLI_EXIT_USAGE;
            }
            a->mpi = 1;
            break;
        default:
            cli_error("%s: option not accepted here", cmd);
            return CLI_EXIT_USAGE;
        }
        if (rc)
            return rc;
    }
    return 0;
}

/* The first line of a help text (its usage line) on stderr, for usage errors. */
static int usage(const char *help)
{
    const char *nl = strchr(help, '\n');
    fprintf(stderr, "%.*s\n(add --help for the options)\n", (int)(nl ? nl - help : 0), help);
    return CLI_EXIT_USAGE;
}

static int help_out(const char *help)
{
    fputs(help, stdout);
    return 0;
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

static void progress(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "%s\n", line);
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
 * Settle a step every process of a distributed fit takes alike on shared
 * files (the vocabulary, --init-model): status s is agreed on (the worst over
 * the processes, a collective) and reported once, by rank 0, or by a process
 * that failed where rank 0 did not. Without --mpi, cli_fail as usual.
 */
static int settle_shared(vem_status s, const char *what)
{
    int mine = s == VEM_OK ? 0 : cli_exit_status(s);
    if (!cli_mpi_active())
        return mine ? cli_fail(s, what) : 0;
    int root = cli_mpi_agree(cli_mpi_rank() == 0 ? mine : 0);
    int all = cli_mpi_agree(mine);
    if (mine && (cli_mpi_rank() == 0 || root == 0))
        cli_fail(s, what); /* vem_errmsg() still holds this process's detail */
    return all;
}

/* The largest v over the processes, on every process (a collective): gathered on
 * rank 0 as doubles (exact below 2^53) and broadcast back. 0 or an exit status. */
static int mpi_max_size(size_t v, size_t *out)
{
    double m = (double)v;
    size_t n = 0;
    double *all = cli_mpi_gather_rows(&m, 1, 1, &n);
    int rc = 0;
    if (cli_mpi_rank() == 0) {
        if (!all)
            rc = cli_fail(VEM_ENOMEM, "--mpi");
        for (size_t i = 0; all && i < n; i++)
            m = all[i] > m ? all[i] : m;
    }
    free(all);
    rc = cli_mpi_agree(rc);
    if (rc == 0)
        rc = cli_mpi_bcast(&m, 1);
    *out = (size_t)m;
    return rc;
}

/*
 * This process's share of CORPUS for a distributed fit (--mpi): the share
 * reader cuts the file into one byte range per process on document
 * boundaries (include/vem/corpus.h). Every process then agrees on the
 * outcome (a bad line in any share stops all, reported by its reader), on
 * the vocabulary size (LDA-C without --vocab: the largest id + 1 over all
 * shares) and on the number of documents, into *ndocs_all.
 */
static int read_share(const char *path, size_t nvocab, vem_docs_owned *c, size_t *ndocs_all)
{
    vem_status s = vem_docs_read_share(path, nvocab, (size_t)cli_mpi_rank(),
                                       (size_t)cli_mpi_size(), c, NULL);
    int rc = cli_mpi_agree(s == VEM_OK ? 0 : cli_fail(s, path));
    if (rc == 0)
        rc = mpi_max_size(c->nvocab, &c->nvocab);
    if (rc != 0)
        return rc;
    *ndocs_all = (size_t)cli_mpi_sum((double)c->ndocs);
    if (*ndocs_all == 0) {
        if (cli_mpi_rank() == 0)
            cli_error("%s: no documents", path);
        return CLI_EXIT_INPUT;
    }
    return 0;
}

/*
 * The model to fit: a new one with K topics over the corpus's vocabulary, or
 * the one --init-model names (every process loads it), whose lambda, alpha and
 * eta the fit starts from. 0 or an exit status (reported).
 */
static int make_model(const lda_args *a, const vem_vocab *voc, size_t nvocab, vem_lda **out)
{
    vem_lda *l = NULL;
    *out = NULL;
    if (a->init_model) {
        l = vem_lda_load(a->init_model);
        int rc = settle_shared(l ? VEM_OK : VEM_EFORMAT, a->init_model);
        if (rc != 0) {
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
                          a->init_model, vem_lda_k(l), vem_lda_v(l), bad,
                          voc->n ? voc->n : nvocab);
            vem_lda_free(l);
            return CLI_EXIT_USAGE;
        }
    } else {
        l = vem_lda_new(a->k, nvocab);
        if (!l)
            return cli_fail(VEM_ENOMEM, "model");
    }
    if ((a->alpha_set && vem_lda_set_alpha(l, a->alpha) != VEM_OK) ||
        (a->eta_set && vem_lda_set_eta(l, a->eta) != VEM_OK) ||
        vem_lda_set_estep(l, a->gamma_tol, a->sweeps) != VEM_OK ||
        (voc->n && vem_lda_set_vocab(l, (const char *const *)voc->words) != VEM_OK)) {
        vem_lda_free(l);
        return cli_fail(VEM_EINVAL, "options");
    }
    vem_lda_set_alpha_auto(l, a->alpha_auto);
    vem_lda_set_warm_gamma(l, a->warm_gamma);
    *out = l;
    return 0;
}

static int cmd_fit(int argc, char **argv)
{
    lda_args a;
    int rc = parse(argc, argv, 3, "fit lda", &a);
    if (rc)
        return rc == CLI_EXIT_USAGE ? usage(fit_help) : rc;
    if (a.help)
        return help_out(fit_help);
    if (a.nops != 1 || (a.k == 0 && !a.init_model)) {
        cli_error("fit lda: %s", a.nops != 1 ? "one CORPUS is required" : "-k K is required");
        return usage(fit_help);
    }
    const int root = cli_mpi_rank() == 0;
    vem_vocab voc = {0};
    vem_docs_owned c = {0};
    vem_lda *l = NULL;
    vem_fit_result res;
    memset(&res, 0, sizeof res);
    if (a.vocab) {
        vem_status s = vem_vocab_read(a.vocab, &voc);
        if ((rc = settle_shared(s, a.vocab)) != 0)
            goto out;
    }
    size_t ndocs = 0;
    if (a.mpi)
        rc = read_share(a.ops[0], voc.n, &c, &ndocs);
    else if ((rc = read_corpus(a.ops[0], voc.n, &c)) == 0)
        ndocs = c.ndocs;
    if (rc != 0)
        goto out;
    /* A process that could not build the model must not leave the others waiting. */
    if ((rc = cli_mpi_agree(make_model(&a, &voc, c.nvocab, &l))) != 0)
        goto out;
    const size_t k = vem_lda_k(l), v = vem_lda_v(l);
    vem_fit_opts o;
    vem_fit_opts_init(&o);
    o.max_iter = a.passes;
    o.tol = a.tol;
    o.nthreads = a.threads;
    o.algorithm = a.algorithm;
    o.batch_size = a.batch_set ? a.batch : 128;
    o.kappa = a.kappa_set ? a.kappa : 0.7;
    o.tau = a.tau_set ? a.tau : 10.0;
    o.warm_start = a.init_model != NULL;
    if (a.blocks_set)
        o.n_blocks = a.blocks;
    if ((a.verbose || isatty(STDERR_FILENO)) && root)
        o.log = progress;
    o.dense_steps = a.dense_steps;
    if (a.mpi) {
        /* One all-reduce of [K x V counts, extras, ELBO, tokens] per pass, minibatch or
         * block, through the engine's hook; every process runs the same M-step. */
        o.reduce = cli_mpi_allreduce;
        size_t units = 1; /* a process without documents still takes part */
        if (a.algorithm == VEM_ALG_STEPWISE) {
            /* The same number of minibatches everywhere, about batch_size documents each
             * in all: each process cuts its share into nb runs of `mine` documents,
             * the last runs padded with placeholders (vem_lda_set_min_units). */
            size_t nb = (ndocs + o.batch_size - 1) / o.batch_size;
            size_t mine = (c.ndocs + nb - 1) / nb;
            o.batch_size = mine ? mine : 1;
            o.n_batches = nb; /* the same count, should the engine cut documents by it */
            units = nb * o.batch_size;
        }
        vem_lda_set_min_units(l, units);
    }
    vem_rng rng;
    vem_rng_seed(&rng, a.seed);
    vem_docs d = vem_docs_owned_view(&c);
    vem_lda_pass_info info;
    /* Without --init-model every process draws the same initial lambda: it depends on
     * K, V and the seed only (K x V Gamma draws from the seeded generator). */
    vem_status st = vem_lda_fit(l, &d, &o, &rng, &res, &info);
    if (st != VEM_OK && st != VEM_EMAXITER) {
        /* Every process saw the same sums, so every process failed alike: one message. */
        rc = root ? cli_fail(st, "fit lda") : cli_exit_status(st);
        goto out;
    }
    if (a.output && root) {
        vem_status s = vem_lda_save(l, a.output, &res);
        if (s != VEM_OK)
            rc = cli_fail(s, a.output);
    }
    if ((rc = cli_mpi_agree(rc)) != 0)
        goto out;
    if (res.n_violations && root)
        cli_warn("the ELBO decreased at %zu iteration(s) (see docs/lda.md)", res.n_violations);
    size_t hlen = 0;
    const vem_lda_pass_info *hist = vem_lda_pass_history(l, &hlen);
    const size_t ntop = a.top < v ? a.top : v;
    if (a.json) {
        json_t *j = json_object();
        json_object_set_new(j, "model", json_string("lda"));
        json_object_set_new(j, "algorithm", json_string(vem_algorithm_name(a.algorithm)));
        json_object_set_new(j, "n_topics", json_integer((json_int_t)k));
        json_object_set_new(j, "n_words", json_integer((json_int_t)v));
        json_object_set_new(j, "n_docs", json_integer((json_int_t)ndocs));
        json_object_set_new(j, "n_tokens", cli_json_real(res.n_obs));
        json_object_set_new(j, "elbo", cli_json_real(res.objective));
        json_object_set_new(j, "elbo_per_token", cli_json_real(res.objective / res.n_obs));
        json_object_set_new(j, "alpha", cli_json_real(vem_lda_alpha(l)));
        json_object_set_new(j, "eta", cli_json_real(vem_lda_eta(l)));
        json_object_set_new(j, "n_iter", json_integer((json_int_t)res.n_iter));
        json_object_set_new(j, "n_steps", json_integer((json_int_t)res.n_steps));
        json_object_set_new(j, "converged", json_boolean(res.converged));
        json_object_set_new(j, "monotonicity_violations",
                            json_integer((json_int_t)res.n_violations));
        json_object_set_new(j, "seconds", cli_json_real(res.seconds));
        json_t *tr = json_array(), *cv = json_array();
        for (size_t i = 0; i < res.trace_len; i++)
            json_array_append_new(tr, cli_json_real(res.trace[i].objective));
        for (size_t i = 0; i < hlen; i++)
            json_array_append_new(cv, json_integer((json_int_t)hist[i].n_converged));
        json_object_set_new(j, "trace", tr);
        json_object_set_new(j, "estep_converged", cv);
        json_object_set_new(j, "topics", topics_json(l, ntop));
        json_object_set_new(j, "processes", json_integer(cli_mpi_size()));
        if (cli_mpi_active()) {
            double sec;
            size_t calls, doubles;
            cli_mpi_stats(&sec, &calls, &doubles);
            json_t *m = json_object();
            json_object_set_new(m, "allreduce_seconds", cli_json_real(sec));
            json_object_set_new(m, "allreduce_calls", json_integer((json_int_t)calls));
            json_object_set_new(m, "allreduce_doubles", json_integer((json_int_t)doubles));
            json_object_set_new(j, "mpi", m);
        }
        rc = cli_json_emit(j);
        goto out;
    }
    printf("LDA: K=%zu, %zu documents, %.0f tokens, vocabulary %zu, %s", k, ndocs, res.n_obs, v,
           vem_algorithm_name(a.algorithm));
    if (cli_mpi_active())
        printf(", %d processes", cli_mpi_size());
    printf("\nELBO: %.6f total, %.7f per token\n", res.objective, res.objective / res.n_obs);
    printf("alpha %.6g%s, eta %.6g\n", vem_lda_alpha(l), a.alpha_auto ? " (estimated)" : "",
           vem_lda_eta(l));
    printf("passes: %zu, converged: %s, %.3f s\n", res.n_iter, res.converged ? "yes" : "no",
           res.seconds);
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
out:
    vem_fit_result_clear(&res);
    vem_lda_free(l);
    vem_docs_owned_clear(&c);
    vem_vocab_clear(&voc);
    return rc;
}

/* ---------------------------------------------------------------- model commands */

static int cmd_topics(int argc, char **argv)
{
    lda_args a;
    int rc = parse(argc, argv, 2, "topics", &a);
    if (rc)
        return rc == CLI_EXIT_USAGE ? usage(topics_help) : rc;
    if (a.help)
        return help_out(topics_help);
    if (a.nops != 1) {
        cli_error("topics: one MODEL is required");
        return usage(topics_help);
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
        json_t *j = json_object();
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

static int cmd_transform(int argc, char **argv)
{
    lda_args a;
    int rc = parse(argc, argv, 2, "transform", &a);
    if (rc)
        return rc == CLI_EXIT_USAGE ? usage(transform_help) : rc;
    if (a.help)
        return help_out(transform_help);
    if (a.nops != 2) {
        cli_error("transform: MODEL and CORPUS are required");
        return usage(transform_help);
    }
    vem_lda *l = load_model(a.ops[0]);
    if (!l)
        return CLI_EXIT_INPUT;
    vem_docs_owned c = {0};
    double *out = NULL;
    if ((rc = read_corpus(a.ops[1], vem_lda_v(l), &c)) != 0)
        goto done;
    size_t k = vem_lda_k(l);
    out = calloc(c.ndocs ? c.ndocs * k : 1, sizeof *out);
    vem_docs d = vem_docs_owned_view(&c);
    vem_status s = out ? vem_lda_transform(l, &d, !a.gamma, a.threads, out) : VEM_ENOMEM;
    if (s != VEM_OK) {
        rc = cli_fail(s, "transform");
        goto done;
    }
    if (a.json) {
        json_t *j = json_object();
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
    int rc = parse(argc, argv, 2, "score", &a);
    if (rc)
        return rc == CLI_EXIT_USAGE ? usage(score_help) : rc;
    if (a.help)
        return help_out(score_help);
    if (a.nops != 2) {
        cli_error("score: MODEL and CORPUS are required");
        return usage(score_help);
    }
    vem_lda *l = load_model(a.ops[0]);
    if (!l)
        return CLI_EXIT_INPUT;
    vem_docs_owned c = {0};
    if ((rc = read_corpus(a.ops[1], vem_lda_v(l), &c)) != 0)
        goto done;
    vem_docs d = vem_docs_owned_view(&c);
    vem_lda_score_result r;
    vem_status s = vem_lda_score(l, &d, a.threads, &r);
    if (s != VEM_OK) {
        rc = cli_fail(s, "score");
        goto done;
    }
    double comp = 0.0, nh = 0.0;
    if (a.completion && (s = vem_lda_completion(l, &d, a.threads, &comp, &nh)) != VEM_OK) {
        rc = cli_fail(s, "completion");
        goto done;
    }
    if (a.json) {
        json_t *j = json_object();
        json_object_set_new(j, "n_docs", json_integer((json_int_t)r.n_docs));
        json_object_set_new(j, "n_tokens", cli_json_real(r.n_tokens));
        json_object_set_new(j, "bound", cli_json_real(r.bound));
        json_object_set_new(j, "bound_per_word", cli_json_real(r.bound_per_word));
        json_object_set_new(j, "perplexity", cli_json_real(r.perplexity));
        json_object_set_new(j, "n_converged", json_integer((json_int_t)r.n_converged));
        if (a.completion) {
            json_object_set_new(j, "completion_perplexity", cli_json_real(comp));
            json_object_set_new(j, "completion_tokens", cli_json_real(nh));
        }
        rc = cli_json_emit(j);
        goto done;
    }
    printf("documents: %zu, tokens: %.0f\n", r.n_docs, r.n_tokens);
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
    int rc = parse(argc, argv, 2, "info", &a);
    if (rc)
        return rc == CLI_EXIT_USAGE ? usage(info_help) : rc;
    if (a.help)
        return help_out(info_help);
    if (a.nops != 1) {
        cli_error("info: one MODEL is required");
        return usage(info_help);
    }
    vem_lda *l = load_model(a.ops[0]);
    if (!l)
        return CLI_EXIT_INPUT;
    if (a.json) {
        json_t *j = json_object();
        json_object_set_new(j, "model", json_string("lda"));
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
    int rc = parse(argc, argv, 2, "corpus", &a);
    if (rc)
        return rc == CLI_EXIT_USAGE ? usage(corpus_help) : rc;
    if (a.help)
        return help_out(corpus_help);
    if (a.nops != 1 || !a.output) {
        cli_error("corpus: %s", a.nops != 1 ? "one TEXTS path is required" : "-o PREFIX is required");
        return usage(corpus_help);
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
    if ((s = vem_docs_write_uci(&d, p1)) != VEM_OK || (s = vem_vocab_write(&voc, p2)) != VEM_OK) {
        rc = cli_fail(s, a.output);
        goto done;
    }
    double tok = vem_docs_tokens(&d);
    if (a.json) {
        json_t *j = json_object();
        json_object_set_new(j, "n_docs", json_integer((json_int_t)c.ndocs));
        json_object_set_new(j, "n_words", json_integer((json_int_t)voc.n));
        json_object_set_new(j, "n_tokens", cli_json_real(tok));
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

static int cli_lda_main(const char *verb, int argc, char **argv)
{
    if (strcmp(verb, "fit") == 0)
        return cmd_fit(argc, argv);
    if (strcmp(verb, "topics") == 0)
        return cmd_topics(argc, argv);
    if (strcmp(verb, "transform") == 0)
        return cmd_transform(argc, argv);
    if (strcmp(verb, "score") == 0)
        return cmd_score(argc, argv);
    if (strcmp(verb, "info") == 0)
        return cmd_info(argc, argv);
    if (strcmp(verb, "corpus") == 0)
        return cmd_corpus(argc, argv);
    cli_error("%s: not a command for LDA models", verb);
    return CLI_EXIT_USAGE;
}

/* The kinds table's entries (vem.c). */
static int run_fit(int argc, char **argv) { return cli_lda_main("fit", argc, argv); }
static int run_topics(int argc, char **argv) { return cli_lda_main("topics", argc, argv); }
static int run_transform(int argc, char **argv) { return cli_lda_main("transform", argc, argv); }
static int run_score(int argc, char **argv) { return cli_lda_main("score", argc, argv); }
static int run_info(int argc, char **argv) { return cli_lda_main("info", argc, argv); }
static int run_corpus(int argc, char **argv) { return cli_lda_main("corpus", argc, argv); }
static const cli_fit_kind lda_kind = {"lda", "ELBO", "token", "documents",
                                      CLI_ENGINE_BIT(CLI_OPT_STREAM), NULL};
const cli_verb cli_lda_fit = {run_fit, "CORPUS [--vocab VOCAB] -k K [options]", fit_help, lda_tables, &lda_kind};
const cli_verb cli_lda_topics = {run_topics, "MODEL [options]", topics_help, lda_tables, NULL};
const cli_verb cli_lda_transform = {run_transform, "MODEL CORPUS [options]", transform_help, lda_tables, NULL};
const cli_verb cli_lda_score = {run_score, "MODEL CORPUS [options]", score_help, lda_tables, NULL};
const cli_verb cli_lda_info = {run_info, "MODEL", info_help, lda_tables, NULL};
const cli_verb cli_lda_corpus = {run_corpus, "TEXTS -o PREFIX [options]", corpus_help, lda_tables, NULL};
