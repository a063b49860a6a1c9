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

#include "hmm_common.h"

enum {
    OPT_STATES = CLI_HMM_OPT_OWN,
    OPT_EMISSION,
    OPT_COVARIANCE,
    OPT_INIT,
    OPT_INIT_TRANS,
    OPT_MOVES,
    OPT_SUBSEQ,
    OPT_BUFFER,
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
    {"covariance", 0, 1, OPT_COVARIANCE, "C",
     "gaussian: full (default), diag, spherical (one\n"
     "precision per state) or tied (one Wishart\n"
     "shared by the states)"},
    {"init", 0, 1, OPT_INIT, "M",
     "emissions: kmeans (default; categorical: random) or\nrandom"},
    {"init-transitions", 0, 1, OPT_INIT_TRANS, "T",
     "uniform (default: counts spread evenly) or random"},
    {"moves", 0, 0, OPT_MOVES, NULL,
     "after VB-EM, try deleting and merging states, keeping\n"
     "what raises the ELBO (batch only; docs/vbhmm.md)"},
    {"subsequence-length", 0, 1, OPT_SUBSEQ, "L",
     "stepwise: cut sequences into chunks of L frames, the\n"
     "units of minibatches (Foti et al. 2014; docs/vbhmm.md)"},
    {"buffer", 0, 1, OPT_BUFFER, "B",
     "with --subsequence-length: frames each side of a\n"
     "minibatch's subsequence in its E-step (default 20)"},
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
     "gaussian: Wishart degrees of freedom, > D - 1 (full,\n"
     "tied; diag, spherical: > 0; default D)"},
    {"scale-prior", 0, 1, OPT_SCALE_PRIOR, "LIST",
     "gaussian: W0^-1, one number (times I), D x D row by\n"
     "row (full, tied) or D (diag); spherical: one\n"
     "number; default 1e-3"},
    {"lambdas-shape-prior", 0, 1, OPT_LAMBDAS_SHAPE, "A",
     "poisson: Gamma shape of every rate (default 1)"},
    {"lambdas-rate-prior", 0, 1, OPT_LAMBDAS_RATE, "LIST",
     "poisson: Gamma rates, one number or D (default\nshape / the column mean)"},
    {NULL, 0, 0, 0, NULL, NULL},
};

static const cli_option *const fit_tables[] = {
    fit_options,        cli_hmm_seq_options,     cli_engine_options,
    cli_common_options, cli_frames_data_options, NULL};
static const cli_option *const decode_tables[] = {cli_hmm_posterior_options, cli_hmm_seq_options,
                                                  cli_common_options, cli_frames_data_options,
                                                  NULL};
static const cli_option *const score_tables[] = {cli_hmm_seq_options, cli_common_options,
                                                 cli_frames_data_options, NULL};

/* VB-EM stops when the total ELBO changes by < 1e-6 nats (hmmlearn's tol), within 1000
 * iterations (vem_vbhmm_fit_opts_init). No Monte-Carlo E-step, no gradient. */
static const cli_fit_kind vbhmm_kind = {"vbhmm", "ELBO", "frame", "sequences", CLI_MC_OPTIONS,
                                        vem_vbhmm_fit_opts_init};

/* ---------------------------------------------------------------- data */

/* What the shared commands (cli/hmm_common.h) need to know of a model. */
static cli_hmm_model frames_model(const void *m)
{
    const vem_vbhmm *v = m;
    const cli_hmm_model d = {.em = vem_vbhmm_emission_type(v),
                             .k = vem_vbhmm_k(v),
                             .dim = vem_vbhmm_dim(v),
                             .columns = vem_vbhmm_columns(v),
                             .symbols = vem_vbhmm_symbols(v),
                             .symbol_column = vem_vbhmm_symbol_column(v)};
    return d;
}

/* ---------------------------------------------------------------- output */

/* The model file's keys: priors, variational parameters, posterior means, occupancies. */
static void vbhmm_json(json_t *o, const void *v)
{
    cli_json_model(o, vem_vbhmm_to_json(v));
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
        cli_hmm_print_vec(buf, vem_vbhmm_transmat(v) + i * k, k);
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
        cli_hmm_print_vec(buf, e + i * d, d);
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
    int k_given, em_given, cov_given, init_given, tinit_given, moves, prior_given, buf_given;
    size_t sub_len, sub_buf;
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

static int fit_option(void *p, int id, const char *val)
{
    fit_args *a = p;
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
            return cli_bad_value("--emission", "gaussian, categorical or poisson", val);
        return 0;
    case OPT_COVARIANCE:
        a->cov_given = 1;
        if (vem_cov_parse(val, &a->cov) != VEM_OK ||
            (a->cov != VEM_COV_FULL && a->cov != VEM_COV_DIAG && a->cov != VEM_COV_SPHERICAL &&
             a->cov != VEM_COV_TIED))
            return cli_bad_value("--covariance", "full, diag, spherical or tied", val);
        return 0;
    case OPT_INIT:
        a->init_given = 1;
        return cli_hmm_init_option(val, &a->init);
    case OPT_INIT_TRANS:
        a->tinit_given = 1;
        if (vem_hmm_trans_init_parse(val, &a->tinit) != VEM_OK ||
            a->tinit == VEM_HMM_TRANS_GIVEN)
            return cli_bad_value("--init-transitions", "uniform or random", val);
        return 0;
    case OPT_MOVES:
        a->moves = 1;
        return 0;
    case OPT_SUBSEQ:
        return cli_parse_size("--subsequence-length", val, 1, (size_t)1 << 40, &a->sub_len);
    case OPT_BUFFER:
        a->buf_given = 1;
        return cli_parse_size("--buffer", val, 0, (size_t)1 << 40, &a->sub_buf);
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
        return cli_hmm_seq_option(&a->lengths, &a->seqcol, id, val) == 0
                   ? 0
                   : cli_fit_or_data_option(&a->f, &a->dopts, id, val);
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
    if (cli_hmm_check_fit(a->data, &a->dopts, &a->f, "fit vbhmm") != 0 ||
        cli_hmm_seq_conflict(a->lengths, a->seqcol, "fit vbhmm"))
        return CLI_EXIT_USAGE;
    if (a->moves && a->f.opts.algorithm != VEM_ALG_BATCH) {
        cli_error("fit vbhmm: --moves compares ELBOs of batch fits: --algorithm %s does not go "
                  "with it", vem_algorithm_name(a->f.opts.algorithm));
        return CLI_EXIT_USAGE;
    }
    if (a->buf_given && !a->sub_len) {
        cli_error("fit vbhmm: --buffer goes with --subsequence-length");
        return CLI_EXIT_USAGE;
    }
    if (a->sub_len && (a->f.opts.algorithm != VEM_ALG_STEPWISE || a->f.stream)) {
        cli_error("fit vbhmm: --subsequence-length makes the minibatches of stochastic VI in "
                  "memory: it needs --algorithm stepwise%s",
                  a->f.stream ? " and does not go with --stream" : "");
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
    int rc = cli_parse_fit_command(argc, argv, fit_tables, vbhmm_kind.exclude, "fit vbhmm",
                                   fit_option, a, &a->data);
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

/* The scale prior: one number times I, else the shape's numbers (d x d for full and tied,
 * d for diag; spherical: the one number). */
static int set_scale(vem_vbhmm *v, const char *s)
{
    if (!s)
        return 0;
    const vem_cov cov = vem_vbhmm_cov(v);
    const int mat = cov == VEM_COV_FULL || cov == VEM_COV_TIED;
    const size_t d = vem_vbhmm_dim(v), n = mat ? d * d : cov == VEM_COV_SPHERICAL ? 1 : d;
    char *end;
    double one = strtod(s, &end);
    if (end != s && *end == '\0' && isfinite(one)) {
        double *x = calloc(n, sizeof *x);
        if (!x) {
            cli_error("out of memory");
            return CLI_EXIT_INPUT;
        }
        for (size_t j = 0; j < d; j++)
            x[mat ? j * d + j : cov == VEM_COV_SPHERICAL ? 0 : j] = one;
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
    cli_hmm_json_counts(o, n, n_seq);
    json_object_set_new(o, "elbo", cli_json_real(res->objective));
    json_object_set_new(o, "elbo_per_frame", cli_json_real(res->objective / (double)n));
    json_object_set_new(o, "moves", json_boolean(vem_vbhmm_moves(v)));
    json_object_set_new(o, "moves_accepted",
                        json_integer((json_int_t)vem_vbhmm_moves_accepted(v)));
    json_object_set_new(o, "subsequence_length",
                        json_integer((json_int_t)vem_vbhmm_subsequence_length(v)));
    json_object_set_new(o, "buffer", json_integer((json_int_t)vem_vbhmm_subsequence_buffer(v)));
    json_object_set_new(o, "init", json_string(a->f.init_model
                                                   ? "model"
                                                   : vem_hmm_init_name(vem_vbhmm_init_method(v))));
}

static vem_status save(const void *v, const char *path, const vem_fit_result *res)
{
    return vem_vbhmm_save(v, path, res);
}

/* Warn, write and print the result of a fit (rank 0 under MPI). */
static int report_fit(const fit_args *a, vem_vbhmm *v, size_t n, size_t n_seq,
                      vem_fit_result *res)
{
    int rc = cli_hmm_fit_save(&a->f, res, save, v);
    if (rc != 0 || cli_mpi_rank() != 0)
        return rc;
    if (a->f.json) {
        json_t *o = json_object();
        if (o)
            fit_json(o, v, n, n_seq, res, a);
        return cli_json_emit(o);
    }
    describe(v);
    cli_hmm_print_frames(n, n_seq);
    print_vbhmm(v);
    if (vem_vbhmm_moves(v))
        printf("moves accepted: %zu\n", vem_vbhmm_moves_accepted(v));
    cli_print_fit_tail(&a->f, res);
    return 0;
}

static vem_status fit(void *v, const vem_matrix *x, const vem_seqs *seqs, vem_source *src,
                      const vem_fit_opts *o, vem_rng *rng, vem_fit_result *res)
{
    return src ? vem_vbhmm_fit_source(v, src, o, rng, res) : vem_vbhmm_fit(v, x, seqs, o, rng, res);
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
    const cli_hmm_model m0 = v0 ? frames_model(v0) : (cli_hmm_model){0};
    cli_hmm_frames fr;
    int rc = cli_hmm_frames_open(&fr, a->data, &a->dopts, a->em, v0 ? &m0 : NULL, a->seqcol,
                                 a->lengths, a->f.stream, comm);
    if (rc != 0)
        goto out;
    if (v0 && fr.all.dim != vem_vbhmm_dim(v0)) {
        if (root)
            cli_error("%s: %zu %s, but the model has %zu%s", a->data, fr.all.dim,
                      a->em == VEM_HMM_CATEGORICAL ? "symbols" : "columns", vem_vbhmm_dim(v0),
                      a->em == VEM_HMM_CATEGORICAL ? "" : " (choose them with --columns)");
        rc = CLI_EXIT_INPUT;
        goto out;
    }
    cli_hmm_frames_names(&fr);
    if (!v && (rc = cli_mpi_agree(make_model(a, &fr.in, fr.all.dim, &v))) != 0)
        goto out;
    if (!fr.src && !comm && a->em == VEM_HMM_POISSON &&
        (rc = cli_hmm_check_counts(a->data, &fr.in, 0)) != 0)
        goto out;
    if (a->em != VEM_HMM_CATEGORICAL && vem_vbhmm_init_method(v) == VEM_HMM_INIT_KMEANS &&
        !a->f.init_model && fr.all.rows < vem_vbhmm_k(v)) {
        if (root)
            cli_error("%s: %zu rows, fewer than K=%zu states", a->data, fr.all.rows,
                      vem_vbhmm_k(v));
        rc = CLI_EXIT_INPUT;
        goto out;
    }
    if (a->moves)
        vem_vbhmm_set_moves(v, 1);
    if (a->sub_len) {
        vem_status ss = vem_vbhmm_set_subsequences(v, a->sub_len, a->sub_buf);
        if (ss != VEM_OK) {
            rc = cli_fail(ss, "--subsequence-length");
            goto out;
        }
    }
    const vem_matrix x = cli_hmm_frames_matrix(&fr);
    vem_fit_result res;
    rc = cli_hmm_fit_run(&a->f, a->data, &fr, &x, comm, fit, v, &res);
    if (rc == 0)
        rc = report_fit(a, v, fr.all.rows, fr.all.n_seq, &res);
    vem_fit_result_clear(&res);
out:
    cli_hmm_frames_close(&fr);
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
    a.sub_buf = 20;
    cli_fit_args_init(&a.f, &vbhmm_kind);
    cli_data_opts_init(&a.dopts);
    if (parse_fit(argc, argv, &a) != 0)
        return cli_usage_error("fit vbhmm");
    vem_vbhmm *v = NULL;
    if (a.f.init_model) {
        v = vem_vbhmm_load(a.f.init_model);
        int rc = cli_init_model_loaded(&a.f, v != NULL);
        if (rc == 0 && ((a.k_given && a.k != vem_vbhmm_k(v)) ||
                        (a.em_given && a.em != vem_vbhmm_emission_type(v)) ||
                        (a.cov_given && a.cov != vem_vbhmm_cov(v))))
            rc = cli_hmm_init_mismatch("fit vbhmm", a.f.init_model, vem_vbhmm_k(v),
                                       vem_vbhmm_emission_type(v));
        if (rc != 0) {
            vem_vbhmm_free(v);
            return rc;
        }
        a.em = vem_vbhmm_emission_type(v);
        a.k = vem_vbhmm_k(v);
    }
    int rc = fit_data(&a, v);
    vem_vbhmm_free(v);
    return rc;
}

/* ------------------------------------------------- commands on a model */

static void *load(const char *path)
{
    return vem_vbhmm_load(path);
}

static void free_model(void *v)
{
    vem_vbhmm_free(v);
}

static vem_status proba(const void *v, const vem_matrix *x, const vem_seqs *seqs, double *out)
{
    return vem_vbhmm_predict_proba(v, x, seqs, out);
}

static vem_status viterbi(const void *v, const vem_matrix *x, const vem_seqs *seqs, size_t *states,
                          double *log_prob)
{
    return vem_vbhmm_decode(v, x, seqs, states, log_prob);
}

static vem_status draw(const void *v, size_t n, vem_rng *rng, double *out, size_t *states)
{
    return vem_vbhmm_sample(v, n, rng, out, states);
}

static void print_info(const void *v)
{
    const cli_hmm_model m = frames_model(v);
    printf("model: vbhmm (variational Bayesian hidden Markov model)\n");
    describe(v);
    printf("\n");
    cli_hmm_print_symbol_column(&m);
    print_vbhmm(v);
    printf("(priors, variational parameters and covariances: vem info --json)\n");
}

/* score: the ELBO of the frames, total and per frame. */
static int score(const cli_hmm_args *a, const void *v, const vem_matrix *x, const vem_seqs *seqs,
                 size_t n_seq)
{
    int rc = 0;
    double elbo;
    vem_status s = vem_vbhmm_elbo(v, x, seqs, &elbo);
    if (s != VEM_OK) {
        rc = cli_fail(s, a->m.data);
    } else if (a->m.json) {
        json_t *o = json_object();
        cli_json_score_common(o, "vbhmm", "elbo", n_seq, x->rows, elbo);
        cli_hmm_json_counts(o, x->rows, n_seq);
        json_object_set_new(o, "elbo", cli_json_real(elbo));
        json_object_set_new(o, "elbo_per_frame", cli_json_real(elbo / (double)x->rows));
        rc = cli_json_emit(o);
    } else {
        cli_print_score("ELBO", "sequences", n_seq, "frame", x->rows, elbo);
    }
    return rc;
}

/* decode, predict and sample: those of the HMM of posterior means (no --algorithm map). */
static const cli_hmm_kind kind = {.name = "vbhmm",
                                  .decode_tables = decode_tables,
                                  .score_tables = score_tables,
                                  .sample_tables = cli_sample_tables,
                                  .load = load,
                                  .free = free_model,
                                  .describe = frames_model,
                                  .proba = proba,
                                  .viterbi = viterbi,
                                  .draw = draw,
                                  .score = score,
                                  .json = vbhmm_json,
                                  .print = print_info};

/* decode, predict, score, sample and info (argv[1]). */
static int cmd_model(int argc, char **argv)
{
    return cli_hmm_cmd(argc, argv, &kind);
}

/* ---------------------------------------------------------------- verbs (vem.c) */

const cli_verb cli_vbhmm_fit = {
    cmd_fit,
    "DATA --states K --emission E [options]",
    "Fit a hidden Markov model by variational Bayes (VB-EM: MacKay 1997, Beal 2003)\n"
    "to the rows (frames) of DATA: Dirichlet priors on the start and transition\n"
    "probabilities; Normal-Wishart (gaussian), Dirichlet (categorical) or Gamma\n"
    "(poisson) priors on the emissions; hmmlearn's defaults. The objective is the\n"
    "ELBO with every constant; states whose expected occupancy falls below one frame\n"
    "are unused (effective_states). Sequences, columns and symbols as vem fit hmm.\n"
    "--algorithm stepwise: stochastic VI over minibatches of whole sequences, or\n"
    "with --subsequence-length of buffered subsequences of long ones.\n"
    "--init-model: a warm start from a vbhmm model file (its priors and posterior).\n"
    "docs/vbhmm.md.",
    fit_tables,
    &vbhmm_kind,
};
const cli_verb cli_vbhmm_decode = {
    cmd_model, "MODEL DATA [--posterior] [options]",
    "The most probable state path (Viterbi) of the HMM of posterior means, one\n"
    "0-based state per row, or with --posterior its K state probabilities of each\n"
    "row (CSV). Sequences and columns as for fit.",
    decode_tables, NULL};
const cli_verb cli_vbhmm_predict = {
    cmd_model, "MODEL DATA [--posterior] [options]",
    "The same as vem decode: the Viterbi path of the posterior-mean HMM, or with\n"
    "--posterior (or --proba) its state probabilities of each row.",
    decode_tables, NULL};
const cli_verb cli_vbhmm_score = {
    cmd_model, "MODEL DATA [options]",
    "The ELBO of DATA under the model's posterior (nats, total and per frame), with\n"
    "the optimal q(Z) of those frames.",
    score_tables, NULL};
const cli_verb cli_vbhmm_sample = {
    cmd_model, "MODEL -n N [--seed S]",
    "Draw one sequence of N frames from the HMM of posterior means; CSV with a\n"
    "header (the model's columns or symbol column, then 'state').",
    cli_sample_tables, NULL};
const cli_verb cli_vbhmm_info = {
    cmd_model, "MODEL",
    "Describe a vbhmm model file: the effective states' occupancies and posterior\n"
    "means (--json: priors and variational parameters too).",
    cli_info_tables, NULL};
