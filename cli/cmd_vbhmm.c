/*
 * cli/cmd_vbhmm.c — variational Bayesian hidden Markov models on the command line:
 *
 *     vem fit vbhmm DATA --states K --emission gaussian|categorical|poisson [options]
 *     vem decode|predict|score|sample|info MODEL ...     (on a "vbhmm" model file)
 *
 * Frames and sequences as `vem fit hmm` (--lengths, --sequence-column, --columns); the
 * priors have hmmlearn's names and meanings (docs/vbhmm.md). A thin client of
 * include/vem/vbhmm.h.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum {
    OPT_STATES = CLI_OPT_OWN,
    OPT_EMISSION,
    OPT_COVARIANCE,
    OPT_LENGTHS,
    OPT_SEQCOL,
    OPT_INIT,
    OPT_INIT_TRANS,
    OPT_MOVES,
    OPT_POSTERIOR,
    /* The prior options: OPT_STARTPROB_PRIOR to OPT_LAMBDAS_RATE. */
    OPT_STARTPROB_PRIOR,
    OPT_TRANSMAT_PRIOR,
    OPT_EMISSIONPROB_PRIOR,
    OPT_MEANS_PRIOR,
    OPT_BETA_PRIOR,
    OPT_DOF_PRIOR,
    OPT_SCALE_PRIOR,
    OPT_LAMBDAS_SHAPE,
    OPT_LAMBDAS_RATE
};

static const cli_option fit_options[] = {
    {"states", 'k', 1, OPT_STATES, "K", "hidden states (an upper bound: unneeded ones empty out)"},
    {"emission", 0, 1, OPT_EMISSION, "E",
     "gaussian (numeric columns), categorical (one column\n"
     "of symbol names or integer codes) or poisson (columns\n"
     "of counts)"},
    {"covariance", 0, 1, OPT_COVARIANCE, "C", "gaussian: full (default) or diag"},
    {"init", 0, 1, OPT_INIT, "M",
     "emissions: kmeans (default; categorical: random) or\nrandom"},
    {"init-transitions", 0, 1, OPT_INIT_TRANS, "T",
     "uniform (default: counts spread evenly) or random"},
    {"moves", 0, 0, OPT_MOVES, NULL,
     "after VB-EM, try deleting and merging states, keeping\n"
     "what raises the ELBO (batch only; docs/vbhmm.md)"},
    {"startprob-prior", 0, 1, OPT_STARTPROB_PRIOR, "A",
     "Dirichlet prior of the start probabilities: one\nnumber or K (default 1/K)"},
    {"transmat-prior", 0, 1, OPT_TRANSMAT_PRIOR, "A",
     "Dirichlet prior of each transition row: one number\nor K x K row by row (default 1/K)"},
    {"emissionprob-prior", 0, 1, OPT_EMISSIONPROB_PRIOR, "B",
     "categorical: Dirichlet prior of each state's symbols:\none number or K x M (default 1/M)"},
    {"means-prior", 0, 1, OPT_MEANS_PRIOR, "LIST",
     "gaussian: m0, D numbers (default the data mean)"},
    {"beta-prior", 0, 1, OPT_BETA_PRIOR, "B",
     "gaussian: precision of the means in units of the\nstate's precision (default 1)"},
    {"dof-prior", 0, 1, OPT_DOF_PRIOR, "NU",
     "gaussian: Wishart degrees of freedom, > D - 1 (diag:\n> 0; default D)"},
    {"scale-prior", 0, 1, OPT_SCALE_PRIOR, "LIST",
     "gaussian: W0^-1, one number (times I), D x D row by\nrow (full) or D (diag); default 1e-3"},
    {"lambdas-shape-prior", 0, 1, OPT_LAMBDAS_SHAPE, "A",
     "poisson: Gamma shape of every rate (default 1)"},
    {"lambdas-rate-prior", 0, 1, OPT_LAMBDAS_RATE, "LIST",
     "poisson: Gamma rates, one number or D (default\nshape / the column mean)"},
    {NULL, 0, 0, 0, NULL, NULL},
};

/* How the frames of DATA form sequences: fit, decode, predict and score. */
static const cli_option seq_options[] = {
    {"lengths", 0, 1, OPT_LENGTHS, "FILE", "sequence lengths, one per line, summing to the rows"},
    {"sequence-column", 0, 1, OPT_SEQCOL, "NAME",
     "rows with the same id in this column form a sequence"},
    {NULL, 0, 0, 0, NULL, NULL},
};

static const cli_option decode_options[] = {
    {"posterior", 0, 0, OPT_POSTERIOR, NULL, "the K state probabilities of each row (CSV)"},
    {"proba", 0, 0, OPT_POSTERIOR, NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL},
};

static const cli_option *const fit_tables[] = {fit_options,        seq_options,
                                               cli_engine_options, cli_common_options,
                                               cli_frames_data_options, NULL};
static const cli_option *const decode_tables[] = {decode_options, seq_options, cli_common_options,
                                                  cli_frames_data_options, NULL};
static const cli_option *const score_tables[] = {seq_options, cli_common_options,
                                                 cli_frames_data_options, NULL};
static const cli_option *const info_tables[] = {cli_common_options, NULL};

/* VB-EM stops when the total ELBO changes by < 1e-6 nats (hmmlearn's tol), within 1000
 * iterations (vem_vbhmm_fit_opts_init). No Monte-Carlo E-step, no gradient. */
static const cli_fit_kind vbhmm_kind = {"vbhmm", "ELBO", "frame", "sequences", CLI_MC_OPTIONS,
                                        vem_vbhmm_fit_opts_init};

/* ---------------------------------------------------------------- data */

/* The reader's options for DATA: columns, symbols and symbol column from model (NULL: a
 * new fit). */
static void frames_opts(const cli_data_opts *d, vem_hmm_emission em, const vem_vbhmm *model,
                        const char *seqcol, const char *lengths, vem_frames_opts *o)
{
    vem_frames_opts_init(o);
    o->csv.header = d->header;
    o->csv.delim = d->delim;
    o->csv.columns = d->columns;
    o->binary_cols = d->binary_cols;
    o->categorical = em == VEM_HMM_CATEGORICAL;
    if (model && o->categorical) {
        o->symbols = vem_vbhmm_symbols(model);
        o->n_symbols = vem_vbhmm_dim(model);
        o->symbol_column = vem_vbhmm_symbol_column(model);
    } else if (model) {
        o->columns = vem_vbhmm_columns(model);
        o->n_columns = vem_vbhmm_dim(model);
    }
    o->sequence_column = seqcol;
    o->lengths = lengths;
}

/* 1 when the frames' first line is a header (names that are not just row numbers). */
static size_t header_lines(const vem_frames *in)
{
    const char *n0 = in->names ? in->names[0] : "1";
    return strspn(n0, "0123456789") != strlen(n0);
}

/* Poisson frames: counts (integers >= 0), else an error naming the file's line and column.
 * 0 or CLI_EXIT_INPUT (reported). */
static int check_counts(const char *path, const vem_frames *in)
{
    const size_t d = in->cols, h = header_lines(in);
    char buf[32];
    for (size_t r = 0; r < in->rows; r++)
        for (size_t j = 0; j < d; j++) {
            const double x = in->data[r * d + j];
            if (!(x >= 0.0) || !(x < 0x1p53) || x != floor(x)) {
                cli_error("%s:%zu: column %s: %g is not a count (an integer >= 0)", path,
                          r + 1 + h,
                          cli_column_label((const char *const *)in->names, j, buf, sizeof buf),
                          x);
                return CLI_EXIT_INPUT;
            }
        }
    return 0;
}

/* Read DATA for a model of emission em (model: see frames_opts). 0 or an exit status
 * (reported). */
static int read_input(const char *path, const cli_data_opts *d, vem_hmm_emission em,
                      const vem_vbhmm *model, const char *seqcol, const char *lengths,
                      vem_frames *in)
{
    vem_frames_opts o;
    frames_opts(d, em, model, seqcol, lengths, &o);
    vem_status s = vem_frames_read(path, &o, in);
    if (s != VEM_OK) {
        int rc = cli_fail(s, path);
        return s == VEM_EINVAL ? CLI_EXIT_USAGE : rc; /* options that do not fit the file */
    }
    int rc = 0;
    if (model && em == VEM_HMM_CATEGORICAL && in->codes) {
        /* Codes beyond the model's symbols, named by their line. */
        const size_t nsym = vem_vbhmm_dim(model), h = header_lines(in);
        for (size_t r = 0; r < in->rows && rc == 0; r++) {
            const double v = in->data[r];
            if (!(v >= 0.0) || !(v < (double)nsym) || v != floor(v)) {
                cli_error("%s:%zu: symbol code %g is not an integer in [0, %zu)", path, r + 1 + h,
                          v, nsym);
                rc = CLI_EXIT_INPUT;
            }
        }
    }
    if (rc == 0 && model && em != VEM_HMM_CATEGORICAL && in->cols != vem_vbhmm_dim(model)) {
        cli_error("%s: %zu columns, but the model has %zu features (choose them with --columns)",
                  path, in->cols, vem_vbhmm_dim(model));
        rc = CLI_EXIT_INPUT;
    }
    if (rc == 0 && em == VEM_HMM_POISSON)
        rc = check_counts(path, in);
    if (rc != 0)
        vem_frames_clear(in);
    return rc;
}

static const vem_seqs *seqs_of(const vem_frames *in)
{
    return in->seqs.start ? &in->seqs : NULL;
}

static size_t n_seq_of(const vem_frames *in)
{
    return in->seqs.start ? in->seqs.n_seq : 1;
}

static vem_vbhmm *load_vbhmm(const char *path)
{
    vem_vbhmm *v = vem_vbhmm_load(path);
    if (!v)
        cli_fail(VEM_EFORMAT, path);
    return v;
}

/* ---------------------------------------------------------------- output */

/* The model file's keys: priors, variational parameters, posterior means, occupancies. */
static void vbhmm_json(json_t *o, const vem_vbhmm *v)
{
    cli_json_model(o, vem_vbhmm_to_json(v));
}

static void print_vec(const char *label, const double *v, size_t n)
{
    printf("  %-10s", label);
    for (size_t j = 0; j < n; j++)
        printf(" %11.6g", v[j]);
    printf("\n");
}

static void describe(const vem_vbhmm *v)
{
    const vem_hmm_emission em = vem_vbhmm_emission_type(v);
    printf("Variational Bayesian HMM: K=%zu states (%zu effective), ", vem_vbhmm_k(v),
           vem_vbhmm_effective_states(v));
    if (em == VEM_HMM_CATEGORICAL)
        printf("categorical emissions (%zu symbols)", vem_vbhmm_dim(v));
    else if (em == VEM_HMM_POISSON)
        printf("Poisson emissions (%zu count columns)", vem_vbhmm_dim(v));
    else
        printf("Gaussian emissions (%zu features, covariance %s)", vem_vbhmm_dim(v),
               vem_cov_name(vem_vbhmm_cov(v)));
}

/* The posterior means of the effective states (occupancy >= 1 frame). */
static void print_vbhmm(const vem_vbhmm *v)
{
    const size_t k = vem_vbhmm_k(v), d = vem_vbhmm_dim(v);
    const vem_hmm_emission em = vem_vbhmm_emission_type(v);
    const double *occ = vem_vbhmm_occupancy(v);
    char buf[64];
    printf("posterior means of the states with occupancy >= 1 frame:\n");
    printf("  %-10s %11s %11s\n", "state", "occupancy", "start");
    for (size_t i = 0; i < k; i++)
        if (occ[i] >= 1.0) {
            snprintf(buf, sizeof buf, "%zu", i);
            printf("  %-10s %11.6g %11.6g\n", buf, occ[i], vem_vbhmm_startprob(v)[i]);
        }
    printf("transition matrix (row: from, column: to):\n");
    for (size_t i = 0; i < k; i++) {
        if (occ[i] < 1.0)
            continue;
        snprintf(buf, sizeof buf, "state %zu", i);
        print_vec(buf, vem_vbhmm_transmat(v) + i * k, k);
    }
    const char *const *names = em == VEM_HMM_CATEGORICAL ? vem_vbhmm_symbols(v)
                                                         : vem_vbhmm_columns(v);
    const double *e = em == VEM_HMM_CATEGORICAL ? vem_vbhmm_emissionprob(v)
                      : em == VEM_HMM_POISSON   ? vem_vbhmm_lambdas(v)
                                                : vem_vbhmm_means(v);
    printf("%s:\n  %-10s", em == VEM_HMM_CATEGORICAL ? "emission probabilities"
                           : em == VEM_HMM_POISSON   ? "rates (lambda)"
                                                     : "means",
           "");
    for (size_t j = 0; j < d; j++) {
        if (names)
            printf(" %11.11s", names[j]);
        else if (em == VEM_HMM_CATEGORICAL)
            printf(" %11zu", j);
        else
            printf(" %11.11s", cli_column_label(NULL, j, buf, sizeof buf));
    }
    printf("\n");
    for (size_t i = 0; i < k; i++) {
        if (occ[i] < 1.0)
            continue;
        snprintf(buf, sizeof buf, "state %zu", i);
        print_vec(buf, e + i * d, d);
    }
    if (vem_vbhmm_effective_states(v) < k)
        printf("(%zu state%s with occupancy < 1 frame not shown)\n",
               k - vem_vbhmm_effective_states(v),
               k - vem_vbhmm_effective_states(v) == 1 ? "" : "s");
}

/* ---------------------------------------------------------------- fit */

typedef struct fit_args {
    const char *data, *lengths, *seqcol;
    size_t k;
    int k_given, em_given, cov_given, init_given, tinit_given, moves, prior_given;
    vem_hmm_emission em;
    vem_cov cov;
    vem_hmm_init init;
    vem_hmm_trans_init tinit;
    const char *startprob_prior, *transmat_prior, *emissionprob_prior, *means_prior;
    const char *scale_prior, *lambdas_rate;
    double beta0, nu0, shape0;
    cli_fit_args f; /* engine options */
    cli_data_opts dopts;
} fit_args;

/* "OPT: expected WHAT, got 'VAL'"; CLI_EXIT_USAGE. */
static int bad_value(const char *opt, const char *what, const char *val)
{
    cli_error("%s: expected %s, got '%s'", opt, what, val);
    return CLI_EXIT_USAGE;
}

static int fit_option(fit_args *a, int id, const char *val)
{
    a->prior_given |= id >= OPT_STARTPROB_PRIOR && id <= OPT_LAMBDAS_RATE;
    switch (id) {
    case OPT_STATES:
        a->k_given = 1;
        return cli_parse_size("--states", val, 1, 100000, &a->k);
    case OPT_EMISSION:
        a->em_given = 1;
        if (vem_hmm_emission_parse(val, &a->em) != VEM_OK ||
            (a->em != VEM_HMM_GAUSSIAN && a->em != VEM_HMM_CATEGORICAL &&
             a->em != VEM_HMM_POISSON))
            return bad_value("--emission", "gaussian, categorical or poisson", val);
        return 0;
    case OPT_COVARIANCE:
        a->cov_given = 1;
        if (vem_cov_parse(val, &a->cov) != VEM_OK ||
            (a->cov != VEM_COV_FULL && a->cov != VEM_COV_DIAG))
            return bad_value("--covariance", "full or diag", val);
        return 0;
    case OPT_LENGTHS:
        a->lengths = val;
        return 0;
    case OPT_SEQCOL:
        a->seqcol = val;
        return 0;
    case OPT_INIT:
        a->init_given = 1;
        return vem_hmm_init_parse(val, &a->init) == VEM_OK
                   ? 0
                   : bad_value("--init", "kmeans or random", val);
    case OPT_INIT_TRANS:
        a->tinit_given = 1;
        if (vem_hmm_trans_init_parse(val, &a->tinit) != VEM_OK ||
            a->tinit == VEM_HMM_TRANS_GIVEN)
            return bad_value("--init-transitions", "uniform or random", val);
        return 0;
    case OPT_MOVES:
        a->moves = 1;
        return 0;
    case OPT_STARTPROB_PRIOR:
        a->startprob_prior = val;
        return 0;
    case OPT_TRANSMAT_PRIOR:
        a->transmat_prior = val;
        return 0;
    case OPT_EMISSIONPROB_PRIOR:
        a->emissionprob_prior = val;
        return 0;
    case OPT_MEANS_PRIOR:
        a->means_prior = val;
        return 0;
    case OPT_SCALE_PRIOR:
        a->scale_prior = val;
        return 0;
    case OPT_LAMBDAS_RATE:
        a->lambdas_rate = val;
        return 0;
    case OPT_BETA_PRIOR:
        return cli_parse_double("--beta-prior", val, 0.0, 1, &a->beta0);
    case OPT_DOF_PRIOR:
        return cli_parse_double("--dof-prior", val, 0.0, 1, &a->nu0);
    case OPT_LAMBDAS_SHAPE:
        return cli_parse_double("--lambdas-shape-prior", val, 0.0, 1, &a->shape0);
    default:
        return cli_fit_or_data_option(&a->f, &a->dopts, id, val);
    }
}

/* The emission-specific prior options given for another emission: CLI_EXIT_USAGE. */
static int check_priors(const fit_args *a)
{
    const int gauss = a->em == VEM_HMM_GAUSSIAN, cat = a->em == VEM_HMM_CATEGORICAL;
    const char *bad = NULL;
    if (!gauss && (a->means_prior || a->scale_prior || !isnan(a->beta0) || !isnan(a->nu0)))
        bad = "--means-prior, --beta-prior, --dof-prior and --scale-prior apply to gaussian";
    else if (!cat && a->emissionprob_prior)
        bad = "--emissionprob-prior applies to categorical";
    else if (a->em != VEM_HMM_POISSON && (a->lambdas_rate || !isnan(a->shape0)))
        bad = "--lambdas-shape-prior and --lambdas-rate-prior apply to poisson";
    else if (!gauss && a->cov_given)
        bad = "--covariance applies to gaussian";
    if (bad) {
        cli_error("fit vbhmm: %s emissions", bad);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

static int check_fit(fit_args *a)
{
    if (!a->data) {
        cli_error("fit vbhmm: missing DATA");
        return CLI_EXIT_USAGE;
    }
    if (cli_data_opts_check(&a->dopts) ||
        cli_data_opts_frames_only(&a->dopts, a->data, "fit vbhmm") ||
        cli_fit_args_check(&a->f, "fit vbhmm"))
        return CLI_EXIT_USAGE;
    if (a->lengths && a->seqcol) {
        cli_error("fit vbhmm: give --lengths or --sequence-column, not both");
        return CLI_EXIT_USAGE;
    }
    if (a->moves && a->f.opts.algorithm != VEM_ALG_BATCH) {
        cli_error("fit vbhmm: --moves compares ELBOs of batch fits: --algorithm %s does not go "
                  "with it", vem_algorithm_name(a->f.opts.algorithm));
        return CLI_EXIT_USAGE;
    }
    if (a->f.init_model) {
        if (a->prior_given || a->init_given || a->tinit_given) {
            cli_error("fit vbhmm: --init-model takes the priors and the start from %s: leave "
                      "out the prior options, --init and --init-transitions", a->f.init_model);
            return CLI_EXIT_USAGE;
        }
        if (cli_fit_given(&a->f, CLI_OPT_N_INIT) && a->f.opts.n_init > 1) {
            cli_error("fit vbhmm: --init-model is one start (the model's posterior): --n-init "
                      "%zu does not go with it", a->f.opts.n_init);
            return CLI_EXIT_USAGE;
        }
        return 0;
    }
    if (!a->k_given) {
        cli_error("fit vbhmm: missing --states K");
        return CLI_EXIT_USAGE;
    }
    if (!a->em_given) {
        cli_error("fit vbhmm: missing --emission gaussian|categorical|poisson");
        return CLI_EXIT_USAGE;
    }
    if (a->em == VEM_HMM_CATEGORICAL && a->init_given && a->init == VEM_HMM_INIT_KMEANS) {
        cli_error("fit vbhmm: --init kmeans needs Gaussian or Poisson emissions (categorical: "
                  "random)");
        return CLI_EXIT_USAGE;
    }
    return check_priors(a);
}

static int parse_fit(int argc, char **argv, fit_args *a)
{
    cli_parser p;
    const char *val;
    int id, rc = 0, seen_type = 0;
    cli_parser_init(&p, argc, argv, 2, fit_tables, vbhmm_kind.exclude, "fit vbhmm");
    while (rc == 0 && (id = cli_next(&p, &val)) != CLI_END) {
        if (id == CLI_BAD) {
            rc = CLI_EXIT_USAGE;
        } else if (id != CLI_POSITIONAL) {
            rc = fit_option(a, id, val);
        } else if (!seen_type) {
            seen_type = 1; /* "vbhmm" */
        } else if (!a->data) {
            a->data = val;
        } else {
            cli_error("fit vbhmm: unexpected argument '%s'", val);
            rc = CLI_EXIT_USAGE;
        }
    }
    return rc != 0 ? rc : check_fit(a);
}

/*
 * n comma-separated finite numbers from s, or one number repeated n times (one: the
 * alternative count's message, e.g. "1 or 4"), into out (malloc'd). 0 or CLI_EXIT_USAGE.
 */
static int parse_list(const char *opt, const char *s, size_t n, int one, double **out)
{
    double *v = malloc((n ? n : 1) * sizeof *v);
    if (!v) {
        cli_error("out of memory");
        return CLI_EXIT_INPUT;
    }
    const char *p = s;
    char *end;
    size_t i = 0;
    for (; i < n; i++) {
        v[i] = strtod(p, &end);
        if (end == p || !isfinite(v[i]))
            break;
        if (*end != ',') {
            i++;
            p = end;
            break;
        }
        p = end + 1;
    }
    if (*p == '\0' && one && i == 1) {
        for (size_t j = 1; j < n; j++)
            v[j] = v[0];
        i = n;
    }
    if (i != n || *p != '\0') {
        if (one)
            cli_error("%s: expected one number or %zu comma-separated numbers, got '%s'", opt, n,
                      s);
        else
            cli_error("%s: expected %zu comma-separated numbers, got '%s'", opt, n, s);
        free(v);
        return CLI_EXIT_USAGE;
    }
    *out = v;
    return 0;
}

/* A prior option's list (when given) into the setter. 0 or an exit status (reported). */
static int set_list(vem_vbhmm *v, const char *opt, const char *s, size_t n, int one,
                    vem_status (*set)(vem_vbhmm *, const double *))
{
    if (!s)
        return 0;
    double *x = NULL;
    int rc = parse_list(opt, s, n, one, &x);
    if (rc != 0)
        return rc;
    vem_status st = set(v, x);
    free(x);
    if (st != VEM_OK) {
        cli_fail(st, opt);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

/* The scale prior: one number times I, else the shape's numbers. */
static int set_scale(vem_vbhmm *v, const char *s)
{
    if (!s)
        return 0;
    const size_t d = vem_vbhmm_dim(v), n = vem_vbhmm_cov(v) == VEM_COV_FULL ? d * d : d;
    char *end;
    double one = strtod(s, &end);
    if (end != s && *end == '\0' && isfinite(one)) {
        double *x = calloc(n, sizeof *x);
        if (!x) {
            cli_error("out of memory");
            return CLI_EXIT_INPUT;
        }
        for (size_t j = 0; j < d; j++)
            x[vem_vbhmm_cov(v) == VEM_COV_FULL ? j * d + j : j] = one;
        vem_status st = vem_vbhmm_set_scale_prior(v, x);
        free(x);
        if (st != VEM_OK) {
            cli_fail(st, "--scale-prior");
            return CLI_EXIT_USAGE;
        }
        return 0;
    }
    return set_list(v, "--scale-prior", s, n, 0, vem_vbhmm_set_scale_prior);
}

static vem_status set_rate(vem_vbhmm *v, const double *r)
{
    return vem_vbhmm_set_lambdas_prior(v, vem_vbhmm_lambdas_shape_prior(v), r);
}

/* The prior options into a new model. 0 or an exit status (reported). */
static int set_priors(const fit_args *a, vem_vbhmm *v)
{
    const size_t k = a->k, d = vem_vbhmm_dim(v);
    int rc = set_list(v, "--startprob-prior", a->startprob_prior, k, 1,
                      vem_vbhmm_set_startprob_prior);
    if (rc == 0)
        rc = set_list(v, "--transmat-prior", a->transmat_prior, k * k, 1,
                      vem_vbhmm_set_transmat_prior);
    if (rc == 0)
        rc = set_list(v, "--emissionprob-prior", a->emissionprob_prior, k * d, 1,
                      vem_vbhmm_set_emissionprob_prior);
    if (rc == 0)
        rc = set_list(v, "--means-prior", a->means_prior, d, 0, vem_vbhmm_set_means_prior);
    if (rc == 0)
        rc = set_scale(v, a->scale_prior);
    vem_status st = VEM_OK;
    const char *what = NULL;
    if (rc == 0 && !isnan(a->beta0) && (st = vem_vbhmm_set_beta_prior(v, a->beta0)) != VEM_OK)
        what = "--beta-prior";
    if (rc == 0 && !what && !isnan(a->nu0) && (st = vem_vbhmm_set_dof_prior(v, a->nu0)) != VEM_OK)
        what = "--dof-prior";
    if (rc == 0 && !what && !isnan(a->shape0) &&
        (st = vem_vbhmm_set_lambdas_prior(v, a->shape0, NULL)) != VEM_OK)
        what = "--lambdas-shape-prior";
    if (what) {
        cli_fail(st, what);
        return CLI_EXIT_USAGE;
    }
    if (rc == 0)
        rc = set_list(v, "--lambdas-rate-prior", a->lambdas_rate, d, 1, set_rate);
    return rc;
}

/* A new model for the data in (dim: features, or symbols for categorical data). */
static int make_model(const fit_args *a, const vem_frames *in, size_t dim, vem_vbhmm **out)
{
    vem_vbhmm *v = vem_vbhmm_new(a->k, a->em, dim, a->cov);
    if (!v)
        return cli_fail(VEM_EINVAL, "model");
    vem_status s = VEM_OK;
    const vem_table names = {.names = in->names, .cols = in->cols};
    if (a->init_given)
        s = vem_vbhmm_set_init(v, a->init);
    if (s == VEM_OK && a->tinit_given)
        s = vem_vbhmm_set_trans_init(v, a->tinit);
    if (s == VEM_OK && a->em == VEM_HMM_CATEGORICAL) {
        s = vem_vbhmm_set_symbols(v, (const char *const *)in->symbols);
        if (s == VEM_OK && !a->dopts.binary_cols && in->names)
            s = vem_vbhmm_set_symbol_column(v, in->names[0]);
    }
    if (s == VEM_OK && a->em != VEM_HMM_CATEGORICAL && !a->dopts.binary_cols && in->names &&
        cli_table_has_names(&names))
        s = vem_vbhmm_set_columns(v, (const char *const *)in->names);
    if (s != VEM_OK) {
        vem_vbhmm_free(v);
        return cli_fail(s, "model");
    }
    int rc = set_priors(a, v);
    if (rc != 0) {
        vem_vbhmm_free(v);
        return rc;
    }
    *out = v;
    return 0;
}

/* The fit's fields beside the common ones (cli_json_fit_common). */
static void fit_json(json_t *o, const vem_vbhmm *v, size_t n, size_t n_seq,
                     const vem_fit_result *res, const fit_args *a)
{
    cli_json_fit_common(o, &a->f, res, n_seq);
    vbhmm_json(o, v);
    json_object_set_new(o, "n", json_integer((json_int_t)n));
    json_object_set_new(o, "n_sequences", json_integer((json_int_t)n_seq));
    json_object_set_new(o, "elbo", cli_json_real(res->objective));
    json_object_set_new(o, "elbo_per_frame", cli_json_real(res->objective / (double)n));
    json_object_set_new(o, "moves", json_boolean(vem_vbhmm_moves(v)));
    json_object_set_new(o, "moves_accepted",
                        json_integer((json_int_t)vem_vbhmm_moves_accepted(v)));
    json_object_set_new(o, "init", json_string(a->f.init_model
                                                   ? "model"
                                                   : vem_hmm_init_name(vem_vbhmm_init_method(v))));
}

/* Warn, write and print the result of a fit (rank 0 under MPI). */
static int report_fit(const fit_args *a, vem_vbhmm *v, size_t n, size_t n_seq,
                      vem_fit_result *res)
{
    int rc = 0, root = cli_mpi_rank() == 0;
    vem_status s;
    if (root)
        cli_warn_not_converged(&a->f, res);
    if (a->f.output && root && (s = vem_vbhmm_save(v, a->f.output, res)) != VEM_OK)
        rc = cli_fail(s, a->f.output);
    if (a->f.mpi)
        rc = cli_mpi_agree(rc);
    if (rc != 0 || !root)
        return rc;
    if (a->f.json) {
        json_t *o = json_object();
        if (o)
            fit_json(o, v, n, n_seq, res, a);
        return cli_json_emit(o);
    }
    describe(v);
    printf(", %zu frames in %zu sequence%s\n", n, n_seq, n_seq == 1 ? "" : "s");
    print_vbhmm(v);
    if (vem_vbhmm_moves(v))
        printf("moves accepted: %zu\n", vem_vbhmm_moves_accepted(v));
    cli_print_fit_tail(&a->f, res);
    return 0;
}

/*
 * Every rank reads whole sequences of the file (vem_frames_read_share) or streams them
 * (vem_frames_open_source), then fits with the communicator, as `vem fit hmm`.
 */
static int fit_data(const fit_args *a, vem_vbhmm *v0)
{
    const vem_comm *comm = a->f.mpi ? cli_mpi_comm() : NULL;
    const int root = cli_mpi_rank() == 0;
    vem_vbhmm *v = v0;
    vem_frames in;
    memset(&in, 0, sizeof in);
    vem_source *src = NULL;
    vem_frames_share all;
    vem_frames_opts fo;
    frames_opts(&a->dopts, a->em, v0, a->seqcol, a->lengths, &fo);
    vem_status s;
    if (a->f.stream) {
        fo.codes = a->em == VEM_HMM_CATEGORICAL ? 1 : -1; /* streamed symbols are codes */
        s = vem_frames_open_source(a->data, &fo, comm, &src, &all);
    } else {
        s = vem_frames_read_share(a->data, &fo, comm, &in, &all);
    }
    if (s != VEM_OK) {
        int rc = cli_fail_agreed(s);
        return s == VEM_EINVAL ? CLI_EXIT_USAGE : rc;
    }
    int rc = 0;
    if (v0 && all.dim != vem_vbhmm_dim(v0)) {
        if (root)
            cli_error("%s: %zu %s, but the model has %zu%s", a->data, all.dim,
                      a->em == VEM_HMM_CATEGORICAL ? "symbols" : "columns", vem_vbhmm_dim(v0),
                      a->em == VEM_HMM_CATEGORICAL ? "" : " (choose them with --columns)");
        rc = CLI_EXIT_INPUT;
        goto out;
    }
    if (src) { /* the source's column names stand for the frames' */
        in.names = (char **)vem_source_names(src);
        in.cols = vem_source_cols(src);
    }
    if (!v && (rc = cli_mpi_agree(make_model(a, &in, all.dim, &v))) != 0)
        goto out;
    if (!src && !comm && a->em == VEM_HMM_POISSON && (rc = check_counts(a->data, &in)) != 0)
        goto out;
    if (a->em != VEM_HMM_CATEGORICAL && vem_vbhmm_init_method(v) == VEM_HMM_INIT_KMEANS &&
        !a->f.init_model && all.rows < vem_vbhmm_k(v)) {
        if (root)
            cli_error("%s: %zu rows, fewer than K=%zu states", a->data, all.rows, vem_vbhmm_k(v));
        rc = CLI_EXIT_INPUT;
        goto out;
    }
    if (a->moves)
        vem_vbhmm_set_moves(v, 1);
    vem_matrix x = vem_frames_matrix(&in);
    static const double no_rows = 0.0;
    if (!x.data)
        x.data = &no_rows; /* never read: an empty share */
    vem_fit_opts opts = a->f.opts;
    opts.comm = comm;
    vem_fit_result res;
    memset(&res, 0, sizeof res);
    vem_rng rng;
    vem_rng_seed(&rng, a->f.seed);
    cli_fit_running = 1;
    s = src ? vem_vbhmm_fit_source(v, src, &opts, &rng, &res)
            : vem_vbhmm_fit(v, &x, &in.seqs, &opts, &rng, &res);
    cli_fit_running = 0;
    cli_progress_end_line();
    if (!cli_fit_usable(s))
        rc = root ? cli_fail(s, a->data) : cli_exit_status(s);
    if (rc == 0)
        rc = report_fit(a, v, all.rows, all.n_seq, &res);
    vem_fit_result_clear(&res);
out:
    if (src) {
        in.names = NULL;
        vem_source_close(src);
    }
    vem_frames_clear(&in);
    if (v != v0)
        vem_vbhmm_free(v);
    return rc;
}

static int cmd_fit(int argc, char **argv)
{
    fit_args a;
    memset(&a, 0, sizeof a);
    a.cov = VEM_COV_FULL;
    a.beta0 = a.nu0 = a.shape0 = NAN;
    cli_fit_args_init(&a.f, &vbhmm_kind);
    cli_data_opts_init(&a.dopts);
    if (parse_fit(argc, argv, &a) != 0)
        return cli_usage_error("fit vbhmm");
    vem_vbhmm *v = NULL;
    if (a.f.init_model) {
        v = vem_vbhmm_load(a.f.init_model);
        if (!v && cli_mpi_rank() == 0)
            cli_fail(VEM_EFORMAT, a.f.init_model);
        if (a.f.mpi && cli_mpi_agree(v ? 0 : CLI_EXIT_INPUT) != 0) {
            vem_vbhmm_free(v);
            return CLI_EXIT_INPUT;
        }
        if (!v)
            return CLI_EXIT_INPUT;
        if ((a.k_given && a.k != vem_vbhmm_k(v)) ||
            (a.em_given && a.em != vem_vbhmm_emission_type(v)) ||
            (a.cov_given && a.cov != vem_vbhmm_cov(v))) {
            if (cli_mpi_rank() == 0)
                cli_error("fit vbhmm: %s has K=%zu and %s emissions; --states, --emission and "
                          "--covariance must agree or be left out",
                          a.f.init_model, vem_vbhmm_k(v),
                          vem_hmm_emission_name(vem_vbhmm_emission_type(v)));
            vem_vbhmm_free(v);
            return cli_mpi_rank() == 0 ? cli_usage_error("fit vbhmm") : CLI_EXIT_USAGE;
        }
        a.em = vem_vbhmm_emission_type(v);
        a.k = vem_vbhmm_k(v);
    }
    int rc = fit_data(&a, v);
    vem_vbhmm_free(v);
    return rc;
}

/* ------------------------------------------------- commands on a model */

typedef struct model_args {
    const char *model, *data, *lengths, *seqcol;
    int json, posterior;
    cli_data_opts dopts;
} model_args;

static int parse_model_data(int argc, char **argv, const char *cmd,
                            const cli_option *const *tables, model_args *a)
{
    memset(a, 0, sizeof *a);
    cli_data_opts_init(&a->dopts);
    cli_parser p;
    cli_parser_init(&p, argc, argv, 2, tables, 0, cmd);
    const char *val;
    int id;
    while ((id = cli_next(&p, &val)) != CLI_END) {
        if (id == CLI_BAD)
            return cli_usage_error(cmd);
        if (id == CLI_POSITIONAL) {
            if (!a->model) {
                a->model = val;
            } else if (!a->data) {
                a->data = val;
            } else {
                cli_error("%s: unexpected argument '%s'", cmd, val);
                return cli_usage_error(cmd);
            }
        } else if (id == CLI_OPT_JSON) {
            a->json = 1;
        } else if (id == OPT_POSTERIOR) {
            a->posterior = 1;
        } else if (id == OPT_LENGTHS) {
            a->lengths = val;
        } else if (id == OPT_SEQCOL) {
            a->seqcol = val;
        } else if (cli_data_option(&a->dopts, id, val) != 0) {
            return cli_usage_error(cmd);
        }
    }
    if (!a->model || !a->data) {
        cli_error("%s: missing %s", cmd, a->model ? "DATA" : "MODEL and DATA");
        return cli_usage_error(cmd);
    }
    if (a->lengths && a->seqcol) {
        cli_error("%s: give --lengths or --sequence-column, not both", cmd);
        return cli_usage_error(cmd);
    }
    if (cli_data_opts_check(&a->dopts) || cli_data_opts_frames_only(&a->dopts, a->data, cmd))
        return cli_usage_error(cmd);
    return 0;
}

/* A model command's model and frames: 0 or an exit status (reported). */
static int open_model_data(const model_args *a, vem_vbhmm **v, vem_frames *in)
{
    *v = load_vbhmm(a->model);
    if (!*v)
        return CLI_EXIT_INPUT;
    int rc = read_input(a->data, &a->dopts, vem_vbhmm_emission_type(*v), *v, a->seqcol,
                        a->lengths, in);
    if (rc != 0) {
        vem_vbhmm_free(*v);
        *v = NULL;
    }
    return rc;
}

/* decode, and predict: the Viterbi path or the state posteriors of the posterior-mean HMM. */
static int decode(int argc, char **argv, const char *cmd)
{
    model_args a;
    int rc = parse_model_data(argc, argv, cmd, decode_tables, &a);
    vem_vbhmm *v;
    vem_frames in;
    if (rc != 0 || (rc = open_model_data(&a, &v, &in)) != 0)
        return rc;
    const vem_matrix x = vem_frames_matrix(&in);
    const size_t n = x.rows, k = vem_vbhmm_k(v);
    vem_status s;
    if (a.posterior) {
        double *p = malloc(n * k * sizeof *p);
        if (!p) {
            cli_error("out of memory");
            rc = CLI_EXIT_INPUT;
        } else if ((s = vem_vbhmm_predict_proba(v, &x, seqs_of(&in), p)) != VEM_OK) {
            rc = cli_fail(s, a.data);
        } else if (a.json) {
            json_t *o = cli_json_new("vbhmm");
            json_object_set_new(o, "proba", cli_json_matrix(p, n, k));
            rc = cli_json_emit(o);
        } else {
            cli_print_matrix(p, n, k);
        }
        free(p);
    } else {
        size_t *z = malloc((n ? n : 1) * sizeof *z);
        double lp = 0.0;
        if (!z) {
            cli_error("out of memory");
            rc = CLI_EXIT_INPUT;
        } else if ((s = vem_vbhmm_decode(v, &x, seqs_of(&in), z, &lp)) != VEM_OK) {
            rc = cli_fail(s, a.data);
        } else if (a.json) {
            json_t *o = cli_json_new("vbhmm");
            json_object_set_new(o, "states", cli_json_indices(z, n));
            json_object_set_new(o, "log_probability", cli_json_real(lp));
            rc = cli_json_emit(o);
        } else {
            for (size_t i = 0; i < n; i++)
                printf("%zu\n", z[i]);
        }
        free(z);
    }
    vem_frames_clear(&in);
    vem_vbhmm_free(v);
    return rc;
}

static int cmd_score(int argc, char **argv)
{
    model_args a;
    int rc = parse_model_data(argc, argv, "score", score_tables, &a);
    vem_vbhmm *v;
    vem_frames in;
    if (rc != 0 || (rc = open_model_data(&a, &v, &in)) != 0)
        return rc;
    const vem_matrix x = vem_frames_matrix(&in);
    double elbo;
    vem_status s = vem_vbhmm_elbo(v, &x, seqs_of(&in), &elbo);
    if (s != VEM_OK) {
        rc = cli_fail(s, a.data);
    } else if (a.json) {
        json_t *o = json_object();
        cli_json_score_common(o, "vbhmm", "elbo", n_seq_of(&in), x.rows, elbo);
        json_object_set_new(o, "n", json_integer((json_int_t)x.rows));
        json_object_set_new(o, "n_sequences", json_integer((json_int_t)n_seq_of(&in)));
        json_object_set_new(o, "elbo", cli_json_real(elbo));
        json_object_set_new(o, "elbo_per_frame", cli_json_real(elbo / (double)x.rows));
        rc = cli_json_emit(o);
    } else {
        cli_print_score("ELBO", "sequences", n_seq_of(&in), "frame", x.rows, elbo);
    }
    vem_frames_clear(&in);
    vem_vbhmm_free(v);
    return rc;
}

static int cmd_sample(int argc, char **argv)
{
    cli_sample_args a;
    int rc = cli_sample_parse(argc, argv, &a);
    if (rc != 0)
        return rc;
    vem_vbhmm *v = load_vbhmm(a.model);
    if (!v)
        return CLI_EXIT_INPUT;
    const int cat = vem_vbhmm_emission_type(v) == VEM_HMM_CATEGORICAL;
    const size_t n = a.n, d = cat ? 1 : vem_vbhmm_dim(v);
    double *xs = n <= SIZE_MAX / sizeof *xs / d ? malloc(n * d * sizeof *xs) : NULL;
    size_t *z = malloc(n * sizeof *z);
    vem_rng rng;
    vem_rng_seed(&rng, a.seed);
    vem_status s;
    const char *const *sym = vem_vbhmm_symbols(v);
    if (!xs || !z) {
        cli_error("out of memory");
        rc = CLI_EXIT_INPUT;
    } else if ((s = vem_vbhmm_sample(v, n, &rng, xs, z)) != VEM_OK) {
        rc = cli_fail(s, a.model);
    } else if (!cat) {
        rc = cli_sample_print("vbhmm", xs, z, n, d, vem_vbhmm_columns(v), "state", a.json);
    } else if (a.json) {
        json_t *o = cli_json_new("vbhmm"), *l = json_array();
        for (size_t i = 0; l && i < n; i++)
            json_array_append_new(l, sym ? json_string(sym[(size_t)xs[i]])
                                         : json_integer((json_int_t)xs[i]));
        json_object_set_new(o, "samples", l);
        json_object_set_new(o, "states", cli_json_indices(z, n));
        rc = cli_json_emit(o);
    } else {
        const char *col = vem_vbhmm_symbol_column(v);
        printf("%s,state\n", col ? col : "symbol");
        for (size_t i = 0; i < n; i++) {
            if (sym)
                printf("%s,%zu\n", sym[(size_t)xs[i]], z[i]);
            else
                printf("%zu,%zu\n", (size_t)xs[i], z[i]);
        }
    }
    free(xs);
    free(z);
    vem_vbhmm_free(v);
    return rc;
}

static int cmd_info(int argc, char **argv)
{
    const char *model = NULL;
    int json = 0;
    cli_parser p;
    cli_parser_init(&p, argc, argv, 2, info_tables, 0, "info");
    const char *val;
    int id;
    while ((id = cli_next(&p, &val)) != CLI_END) {
        if (id == CLI_BAD)
            return cli_usage_error("info");
        if (id == CLI_POSITIONAL) {
            if (model) {
                cli_error("info: unexpected argument '%s'", val);
                return cli_usage_error("info");
            }
            model = val;
        } else if (id == CLI_OPT_JSON) {
            json = 1;
        }
    }
    if (!model) {
        cli_error("info: missing MODEL");
        return cli_usage_error("info");
    }
    vem_vbhmm *v = load_vbhmm(model);
    if (!v)
        return CLI_EXIT_INPUT;
    int rc = 0;
    if (json) {
        json_t *o = json_object();
        if (o)
            vbhmm_json(o, v);
        rc = cli_json_emit(o);
    } else {
        printf("model: vbhmm (variational Bayesian hidden Markov model)\n");
        describe(v);
        printf("\n");
        if (vem_vbhmm_emission_type(v) == VEM_HMM_CATEGORICAL && vem_vbhmm_symbol_column(v))
            printf("symbol column: %s\n", vem_vbhmm_symbol_column(v));
        print_vbhmm(v);
        printf("(priors, variational parameters and covariances: vem info --json)\n");
    }
    vem_vbhmm_free(v);
    return rc;
}

/* ---------------------------------------------------------------- verbs (vem.c) */

static int run_decode(int argc, char **argv)
{
    return decode(argc, argv, "decode");
}

static int run_predict(int argc, char **argv)
{
    return decode(argc, argv, "predict");
}

const cli_verb cli_vbhmm_fit = {
    cmd_fit,
    "DATA --states K --emission E [options]",
    "Fit a hidden Markov model by variational Bayes (VB-EM: MacKay 1997, Beal 2003)\n"
    "to the rows (frames) of DATA: Dirichlet priors on the start and transition\n"
    "probabilities; Normal-Wishart (gaussian), Dirichlet (categorical) or Gamma\n"
    "(poisson) priors on the emissions; hmmlearn's defaults. The objective is the\n"
    "ELBO with every constant; states whose expected occupancy falls below one frame\n"
    "are unused (effective_states). Sequences, columns and symbols as vem fit hmm.\n"
    "--algorithm stepwise: stochastic VI over minibatches of whole sequences.\n"
    "--init-model: a warm start from a vbhmm model file (its priors and posterior).\n"
    "docs/vbhmm.md.",
    fit_tables,
    &vbhmm_kind,
};
const cli_verb cli_vbhmm_decode = {
    run_decode, "MODEL DATA [--posterior] [options]",
    "The most probable state path (Viterbi) of the HMM of posterior means, one\n"
    "0-based state per row, or with --posterior its K state probabilities of each\n"
    "row (CSV). Sequences and columns as for fit.",
    decode_tables, NULL};
const cli_verb cli_vbhmm_predict = {
    run_predict, "MODEL DATA [--posterior] [options]",
    "The same as vem decode: the Viterbi path of the posterior-mean HMM, or with\n"
    "--posterior (or --proba) its state probabilities of each row.",
    decode_tables, NULL};
const cli_verb cli_vbhmm_score = {
    cmd_score, "MODEL DATA [options]",
    "The ELBO of DATA under the model's posterior (nats, total and per frame), with\n"
    "the optimal q(Z) of those frames.",
    score_tables, NULL};
const cli_verb cli_vbhmm_sample = {
    cmd_sample, "MODEL -n N [--seed S]",
    "Draw one sequence of N frames from the HMM of posterior means; CSV with a\n"
    "header (the model's columns or symbol column, then 'state').",
    cli_sample_tables, NULL};
const cli_verb cli_vbhmm_info = {
    cmd_info, "MODEL",
    "Describe a vbhmm model file: the effective states' occupancies and posterior\n"
    "means (--json: priors and variational parameters too).",
    info_tables, NULL};
