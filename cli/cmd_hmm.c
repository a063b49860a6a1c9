/*
 * cli/cmd_hmm.c — hidden Markov models on the command line:
 *
 *     vem fit hmm DATA --states K --emission gaussian|gmm|categorical|poisson|multinomial
 *                  [options]
 *     vem decode MODEL DATA [--posterior]
 *     vem predict|score|sample|info MODEL ...     (on an "hmm" model file)
 *
 * Frames, sequences, symbols and counts are read as cli/hmm_common.c reads them, for
 * `vem fit vbhmm` too.
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
    OPT_REG_COVAR,
    OPT_MIX,
    OPT_TRIALS,
    OPT_UPDATE,
    OPT_INIT_PARAMS,
    OPT_STARTPROB_PRIOR,
    OPT_TRANSMAT_PRIOR,
    OPT_EMISSIONPROB_PRIOR,
    OPT_LAMBDAS_PRIOR,
    OPT_LAMBDAS_WEIGHT,
    OPT_PRIOR,
    OPT_SELECT
};

#define MAX_STATES_LIST 64 /* --states values of one selection */

static const cli_option fit_options[] = {
    {"states", 'k', 1, OPT_STATES, "K",
     "hidden states: a number, or a range or list (1-8,\n"
     "2,3,5) to fit each and keep the best by --select"},
    {"select", 0, 1, OPT_SELECT, "C",
     "with several K: bic (default), aic, icl (BIC of the\n"
     "Viterbi path's joint likelihood) or elbo (the VB-HMM's\n"
     "evidence bound, highest kept); prints the table"},
    {"emission", 0, 1, OPT_EMISSION, "E",
     "gaussian (numeric columns), gmm (a Gaussian mixture\n"
     "per state), categorical (one column of symbol\n"
     "names or integer codes), poisson (columns of\n"
     "counts, independent Poisson) or multinomial\n"
     "(columns of category counts per frame)"},
    {"mix", 0, 1, OPT_MIX, "M", "gmm: Gaussian components per state (default 2)"},
    {"trials", 0, 1, OPT_TRIALS, "N",
     "multinomial: every frame's counts sum to N (checked;\n"
     "stored in the model; needed by vem sample)"},
    {"covariance", 0, 1, OPT_COVARIANCE, "C", "full (default), diag, spherical, tied or one of\n"
     "mclust's 14 names (EII ... VVV; Gaussian emissions)"},
    {"init", 0, 1, OPT_INIT, "M",
     "emissions: kmeans (default; categorical: random) or\n"
     "random"},
    {"init-transitions", 0, 1, OPT_INIT_TRANS, "T", "uniform (default) or random (Dirichlet)"},
    {"reg-covar", 0, 1, OPT_REG_COVAR, "E", "added to covariance diagonals (default 1e-6)"},
    {"update", 0, 1, OPT_UPDATE, "L",
     "the parameters the M-step updates, hmmlearn's letters\n"
     "(default all): s start, t transitions, m means, c\n"
     "covariances, w mixture weights, e emission\n"
     "probabilities, l Poisson rates; the others stay as\n"
     "they are, bit for bit"},
    {"init-params", 0, 1, OPT_INIT_PARAMS, "L",
     "the parameters the initialisation sets (letters as\n"
     "--update; default all); the others keep their values\n"
     "(from --init-model, or uniform start and transitions)"},
    {"startprob-prior", 0, 1, OPT_STARTPROB_PRIOR, "A",
     "MAP EM: Dirichlet(A) prior on the start probabilities\n"
     "(A >= 1; default 1, none)"},
    {"transmat-prior", 0, 1, OPT_TRANSMAT_PRIOR, "A",
     "MAP EM: Dirichlet(A) prior on each transition row"},
    {"emissionprob-prior", 0, 1, OPT_EMISSIONPROB_PRIOR, "A",
     "MAP EM: Dirichlet(A) prior on each emission row\n"
     "(categorical, multinomial)"},
    {"lambdas-prior", 0, 1, OPT_LAMBDAS_PRIOR, "A",
     "MAP EM, Poisson: the rates' prior lambda^A e^(-B lambda)\n"
     "(A >= 0; default 0)"},
    {"lambdas-weight", 0, 1, OPT_LAMBDAS_WEIGHT, "B",
     "MAP EM, Poisson: B of --lambdas-prior (>= 0; default 0)"},
    {"prior", 0, 0, OPT_PRIOR, NULL,
     "MAP EM, gaussian: mclust's conjugate prior on the state\n"
     "Gaussians, its defaults from the data (as fit gmm --prior)"},
    {NULL, 0, 0, 0, NULL, NULL},
};

static const cli_option decode_options[] = {
    {"algorithm", 0, 1, CLI_HMM_OPT_DECODE_ALG, "A",
     "viterbi (default: the most probable path) or map\n"
     "(each frame's most probable state)"},
    {NULL, 0, 0, 0, NULL, NULL},
};

static const cli_option score_options[] = {
    {"per-frame", 0, 0, CLI_HMM_OPT_PER_FRAME, NULL,
     "each frame's ln p(x_t | the frames before it in its\n"
     "sequence) (CSV; they add up to the total)"},
    {NULL, 0, 0, 0, NULL, NULL},
};

static const cli_option *const fit_tables[] = {
    fit_options,        cli_hmm_seq_options,     cli_engine_options,
    cli_common_options, cli_frames_data_options, NULL};
static const cli_option *const decode_tables[] = {cli_hmm_posterior_options, decode_options,
                                                  cli_hmm_seq_options,       cli_common_options,
                                                  cli_frames_data_options,   NULL};
static const cli_option *const score_tables[] = {score_options, cli_hmm_seq_options,
                                                 cli_common_options, cli_frames_data_options, NULL};

/* Batch Baum-Welch stops when the total log-likelihood changes by < 1e-7 nats, within
 * 1000 iterations (vem_hmm_fit_opts_init). */
static const cli_fit_kind hmm_kind = {"hmm", "log-likelihood", "frame", "sequences", 0,
                                      vem_hmm_fit_opts_init};

/* ---------------------------------------------------------------- data */

/* What the shared commands (cli/hmm_common.h) need to know of a model. */
static cli_hmm_model frames_model(const void *m)
{
    const vem_hmm *h = m;
    const cli_hmm_model d = {.em = vem_hmm_emission_type(h),
                             .k = vem_hmm_k(h),
                             .dim = vem_hmm_dim(h),
                             .columns = vem_hmm_columns(h),
                             .symbols = vem_hmm_symbols(h),
                             .symbol_column = vem_hmm_symbol_column(h),
                             .n_trials = vem_hmm_n_trials(h)};
    return d;
}

/* ---------------------------------------------------------------- output */

/* The model file's keys and the number of free parameters. */
static void hmm_json(json_t *o, const void *h)
{
    cli_json_model(o, vem_hmm_to_json(h));
    json_object_set_new(o, "n_parameters", json_integer((json_int_t)vem_hmm_n_parameters(h)));
}


/* Symbol c's name (the model's symbol, else its code) into buf, or the model's own string. */
static const char *symbol_label(const vem_hmm *h, size_t c, char *buf, size_t size)
{
    const char *const *sym = vem_hmm_symbols(h);
    if (sym)
        return sym[c];
    snprintf(buf, size, "%zu", c);
    return buf;
}

static void print_hmm(const vem_hmm *h)
{
    size_t k = vem_hmm_k(h), d = vem_hmm_dim(h);
    char buf[64];
    printf("start probabilities:\n");
    cli_hmm_print_vec("", vem_hmm_startprob(h), k);
    printf("transition matrix (row: from, column: to):\n");
    for (size_t i = 0; i < k; i++) {
        snprintf(buf, sizeof buf, "state %zu", i);
        cli_hmm_print_vec(buf, vem_hmm_transmat(h) + i * k, k);
    }
    const vem_hmm_emission em = vem_hmm_emission_type(h);
    if (em == VEM_HMM_POISSON || em == VEM_HMM_MULTINOMIAL) {
        printf("%s:\n  %-10s", em == VEM_HMM_POISSON ? "rates (lambda)" : "category probabilities",
               "");
        for (size_t j = 0; j < d; j++)
            printf(" %11.11s", cli_column_label(vem_hmm_columns(h), j, buf, sizeof buf));
        printf("\n");
        for (size_t i = 0; i < k; i++) {
            snprintf(buf, sizeof buf, "state %zu", i);
            cli_hmm_print_vec(
                buf, (em == VEM_HMM_POISSON ? vem_hmm_lambdas(h) : vem_hmm_emissionprob(h)) + i * d,
                d);
        }
    } else if (em == VEM_HMM_CATEGORICAL) {
        printf("emission probabilities:\n  %-10s", "");
        for (size_t j = 0; j < d; j++)
            printf(" %11.11s", symbol_label(h, j, buf, sizeof buf));
        printf("\n");
        for (size_t i = 0; i < k; i++) {
            snprintf(buf, sizeof buf, "state %zu", i);
            cli_hmm_print_vec(buf, vem_hmm_emissionprob(h) + i * d, d);
        }
    } else {
        printf("means:\n  %-10s", "");
        for (size_t j = 0; j < d; j++)
            printf(" %11.11s", cli_column_label(vem_hmm_columns(h), j, buf, sizeof buf));
        printf("\n");
        for (size_t i = 0; i < k; i++) {
            const vem_gmm *g = vem_hmm_state_mixture(h, i);
            if (!g) {
                snprintf(buf, sizeof buf, "state %zu", i);
                cli_hmm_print_vec(buf, vem_hmm_means(h) + i * d, d);
                continue;
            }
            for (size_t q = 0; q < vem_hmm_n_mix(h); q++) {
                snprintf(buf, sizeof buf, "%zu.%zu w=%.3g", i, q, vem_gmm_weights(g)[q]);
                cli_hmm_print_vec(buf, vem_gmm_means(g) + q * d, d);
            }
        }
    }
}

static void describe(const vem_hmm *h)
{
    if (vem_hmm_emission_type(h) == VEM_HMM_CATEGORICAL)
        printf("Hidden Markov model: K=%zu states, categorical emissions (%zu symbols)",
               vem_hmm_k(h), vem_hmm_dim(h));
    else if (vem_hmm_emission_type(h) == VEM_HMM_POISSON)
        printf("Hidden Markov model: K=%zu states, Poisson emissions (%zu count columns)",
               vem_hmm_k(h), vem_hmm_dim(h));
    else if (vem_hmm_emission_type(h) == VEM_HMM_MULTINOMIAL && vem_hmm_n_trials(h))
        printf("Hidden Markov model: K=%zu states, multinomial emissions (%zu categories, %zu "
               "trials per frame)", vem_hmm_k(h), vem_hmm_dim(h), vem_hmm_n_trials(h));
    else if (vem_hmm_emission_type(h) == VEM_HMM_MULTINOMIAL)
        printf("Hidden Markov model: K=%zu states, multinomial emissions (%zu categories)",
               vem_hmm_k(h), vem_hmm_dim(h));
    else if (vem_hmm_emission_type(h) == VEM_HMM_GMM)
        printf("Hidden Markov model: K=%zu states, Gaussian-mixture emissions (%zu components, "
               "%zu features, covariance %s)",
               vem_hmm_k(h), vem_hmm_n_mix(h), vem_hmm_dim(h), vem_cov_name(vem_hmm_cov(h)));
    else
        printf("Hidden Markov model: K=%zu states, Gaussian emissions (%zu features, covariance "
               "%s)",
               vem_hmm_k(h), vem_hmm_dim(h), vem_cov_name(vem_hmm_cov(h)));
}

/* ---------------------------------------------------------------- fit */

typedef struct fit_args {
    const char *data, *lengths, *seqcol;
    size_t k, n_mix, n_trials;
    size_t ks[MAX_STATES_LIST], nk; /* --states: the values */
    int select;                     /* 0: one fit; 1 bic, 2 aic, 3 icl, 4 elbo */
    int mix_given, k_given, em_given, cov_given, init_given, tinit_given, reg_given;
    int trials_given, prior;
    const char *update, *init_params;
    vem_hmm_priors priors;
    vem_hmm_emission em;
    vem_cov cov;
    vem_hmm_init init;
    vem_hmm_trans_init tinit;
    double reg_covar;
    cli_fit_args f; /* engine options */
    cli_data_opts dopts;
} fit_args;

/* The options of fit hmm's own tables; the others go to cli_fit_or_data_option. */
static int fit_option(void *p, int id, const char *val)
{
    fit_args *a = p;
    switch (id) {
    case OPT_STATES:
        a->k_given = 1;
        if (cli_parse_k_list("--states", "states", val, 100000, a->ks, MAX_STATES_LIST, &a->nk))
            return CLI_EXIT_USAGE;
        a->k = a->ks[0];
        return 0;
    case OPT_SELECT:
        a->select = strcmp(val, "bic") == 0   ? 1
                    : strcmp(val, "aic") == 0 ? 2
                    : strcmp(val, "icl") == 0 ? 3
                    : strcmp(val, "elbo") == 0 ? 4
                                              : 0;
        return a->select ? 0 : cli_bad_value("--select", "bic, aic, icl or elbo", val);
    case OPT_MIX:
        a->mix_given = 1;
        return cli_parse_size("--mix", val, 1, 100000, &a->n_mix);
    case OPT_EMISSION:
        a->em_given = 1;
        return vem_hmm_emission_parse(val, &a->em) == VEM_OK
                   ? 0
                   : cli_bad_value("--emission",
                                   "gaussian, gmm, categorical, poisson or multinomial", val);
    case OPT_UPDATE:
        a->update = val;
        return 0;
    case OPT_INIT_PARAMS:
        a->init_params = val;
        return 0;
    case OPT_STARTPROB_PRIOR:
        return cli_parse_double("--startprob-prior", val, 1.0, 0, &a->priors.startprob);
    case OPT_TRANSMAT_PRIOR:
        return cli_parse_double("--transmat-prior", val, 1.0, 0, &a->priors.transmat);
    case OPT_EMISSIONPROB_PRIOR:
        return cli_parse_double("--emissionprob-prior", val, 1.0, 0, &a->priors.emissionprob);
    case OPT_LAMBDAS_PRIOR:
        return cli_parse_double("--lambdas-prior", val, 0.0, 0, &a->priors.lambdas_prior);
    case OPT_LAMBDAS_WEIGHT:
        return cli_parse_double("--lambdas-weight", val, 0.0, 0, &a->priors.lambdas_weight);
    case OPT_PRIOR:
        a->prior = 1;
        return 0;
    case OPT_TRIALS:
        a->trials_given = 1;
        return cli_parse_size("--trials", val, 1, (size_t)1 << 52, &a->n_trials);
    case OPT_COVARIANCE:
        a->cov_given = 1;
        return vem_gmm_cov_parse(val, &a->cov) == VEM_OK
                   ? 0
                   : cli_bad_value("--covariance",
                                   "full, diag, spherical, tied or an mclust name (EII, VII, EEI, "
                                   "VEI, EVI, VVI, EEE, VEE, EVE, VVE, EEV, VEV, EVV, VVV)",
                                   val);
    case OPT_INIT:
        a->init_given = 1;
        return cli_hmm_init_option(val, &a->init);
    case OPT_INIT_TRANS:
        a->tinit_given = 1;
        return vem_hmm_trans_init_parse(val, &a->tinit) == VEM_OK
                   ? 0
                   : cli_bad_value("--init-transitions", "uniform or random", val);
    case OPT_REG_COVAR:
        a->reg_given = 1;
        return cli_parse_double("--reg-covar", val, 0.0, 0, &a->reg_covar);
    default:
        return cli_hmm_seq_option(&a->lengths, &a->seqcol, id, val) == 0
                   ? 0
                   : cli_fit_or_data_option(&a->f, &a->dopts, id, val);
    }
}

/* Conflicts between the options once they are all read. 0 or CLI_EXIT_USAGE (reported). */
static int check_fit(fit_args *a)
{
    if (cli_hmm_check_fit(a->data, &a->dopts, &a->f, "fit hmm") != 0)
        return CLI_EXIT_USAGE;
    /* --init with --init-model keeps the model's start and transitions only: the
     * emissions are initialised afresh, so the fit is no warm start. */
    a->f.opts.warm_start = a->f.init_model != NULL && !a->init_given && !a->init_params;
    if (a->prior && (a->f.mpi || a->f.stream)) {
        cli_error("fit hmm: --prior takes its defaults from all the frames in memory: not "
                  "with --mpi or --stream");
        return CLI_EXIT_USAGE;
    }
    if (a->nk > 1 && !a->select)
        a->select = 1;
    if (a->select && (a->f.init_model || a->f.mpi || a->f.stream)) {
        cli_error("fit hmm: a selection over --states fits in memory on one process from "
                  "fresh starts: not with --init-model, --mpi or --stream");
        return CLI_EXIT_USAGE;
    }
    if (a->select == 4) {
        /* The VB-HMM of the same emission and covariance must exist (vem_vbhmm_new says
         * which do), and it takes hmmlearn's default priors, not the MAP ones. */
        vem_vbhmm *probe = vem_vbhmm_new(1, a->em, 1, a->cov);
        vem_vbhmm_free(probe);
        if (!probe || a->prior || a->f.opts.algorithm != VEM_ALG_BATCH) {
            cli_error("fit hmm: --select elbo fits the variational Bayesian HMM (vem fit vbhmm) "
                      "at each K: %s",
                      !probe ? vem_errmsg()
                      : a->prior ? "not with --prior (it has its own priors)"
                                 : "batch fits only");
            return CLI_EXIT_USAGE;
        }
    }
    if (a->init_params && a->init_given) {
        cli_error("fit hmm: give --init-params or --init, not both (--init with --init-model "
                  "is --init-params with the emission letters)");
        return CLI_EXIT_USAGE;
    }
    if (cli_hmm_seq_conflict(a->lengths, a->seqcol, "fit hmm"))
        return CLI_EXIT_USAGE;
    if (a->f.init_model) {
        if (a->tinit_given) {
            cli_error("fit hmm: --init-model gives the start and transition probabilities: "
                      "--init-transitions does not apply");
            return CLI_EXIT_USAGE;
        }
        if (!a->init_given && a->f.opts.n_init > 1) {
            cli_error("fit hmm: --init-model starts from the model's parameters: --n-init "
                      "applies with --init (emissions initialised afresh)");
            return CLI_EXIT_USAGE;
        }
        return 0;
    }
    if (!a->k_given) {
        cli_error("fit hmm: missing --states K");
        return CLI_EXIT_USAGE;
    }
    if (!a->em_given) {
        cli_error("fit hmm: missing --emission gaussian|gmm|categorical|poisson|multinomial");
        return CLI_EXIT_USAGE;
    }
    if (a->mix_given && a->em != VEM_HMM_GMM) {
        cli_error("fit hmm: --mix applies to --emission gmm");
        return CLI_EXIT_USAGE;
    }
    if (a->trials_given && a->em != VEM_HMM_MULTINOMIAL) {
        cli_error("fit hmm: --trials applies to --emission multinomial");
        return CLI_EXIT_USAGE;
    }
    if (a->em != VEM_HMM_GAUSSIAN && a->em != VEM_HMM_GMM && (a->cov_given || a->reg_given)) {
        cli_error("fit hmm: --covariance and --reg-covar apply to Gaussian emissions");
        return CLI_EXIT_USAGE;
    }
    if (a->em == VEM_HMM_CATEGORICAL && a->init_given && a->init == VEM_HMM_INIT_KMEANS) {
        cli_error("fit hmm: --init kmeans needs Gaussian emissions (categorical: random)");
        return CLI_EXIT_USAGE;
    }
    return 0;
}

static int parse_fit(int argc, char **argv, fit_args *a)
{
    int rc = cli_parse_fit_command(argc, argv, fit_tables, hmm_kind.exclude, "fit hmm", fit_option,
                                   a, &a->data);
    if (rc != 0 || (rc = check_fit(a)) != 0)
        return rc;
    /* Monte-Carlo EM, SEM, CEM: the engine's 100 iterations unless asked (1000 is batch
     * Baum-Welch's allowance for slow stretches), then their defaults (docs/mcem.md). */
    const vem_algorithm alg = a->f.opts.algorithm;
    if ((alg == VEM_ALG_MCEM || alg == VEM_ALG_SEM || alg == VEM_ALG_CEM) &&
        !cli_fit_given(&a->f, CLI_OPT_MAX_ITER) && !cli_fit_given(&a->f, CLI_OPT_PASSES)) {
        vem_fit_opts e;
        vem_fit_opts_init(&e);
        a->f.opts.max_iter = e.max_iter;
    }
    cli_fit_mc_defaults(&a->f);
    return 0;
}

/* The HMM's fields beside the common ones (cli_json_fit_common). */
static void fit_json(json_t *o, const vem_hmm *h, size_t n, size_t n_seq, const vem_fit_result *res,
                     const fit_args *a)
{
    cli_json_fit_common(o, &a->f, res, n_seq);
    hmm_json(o, h);
    /* MAP EM: the objective is the log posterior; the log-likelihood is without the prior. */
    const double lp = vem_hmm_log_prior(h), ll = res->objective - lp;
    char buf[8];
    cli_hmm_json_counts(o, n, n_seq);
    json_object_set_new(o, "log_likelihood", cli_json_real(ll));
    json_object_set_new(o, "mean_log_likelihood", cli_json_real(ll / (double)n));
    if (lp != 0.0)
        json_object_set_new(o, "log_prior", cli_json_real(lp));
    json_object_set_new(o, "bic", cli_json_real(vem_hmm_bic(h, ll, n)));
    json_object_set_new(o, "aic", cli_json_real(vem_hmm_aic(h, ll)));
    json_object_set_new(o, "update", json_string(vem_hmm_update(h, buf)));
    json_object_set_new(o, "init_params", json_string(vem_hmm_init_params(h, buf)));
    json_object_set_new(o, "init",
                        json_string(a->f.init_model && !a->init_given && !a->init_params
                                        ? "model"
                                        : vem_hmm_init_name(vem_hmm_init_method(h))));
}

/* A new model for the data in (dim: features, or symbols for categorical data). */
static int make_model(const fit_args *a, const vem_frames *in, size_t dim, vem_hmm **out)
{
    vem_hmm *h = vem_hmm_new_gmm(a->k, a->em, a->em == VEM_HMM_GMM ? a->n_mix : 1, dim, a->cov);
    if (!h)
        return cli_fail(VEM_EINVAL, "model");
    vem_status s = VEM_OK;
    const vem_table names = {.names = in->names, .cols = in->cols};
    if (a->init_given)
        s = vem_hmm_set_init(h, a->init);
    if (s == VEM_OK && a->tinit_given)
        s = vem_hmm_set_trans_init(h, a->tinit);
    if (s == VEM_OK && (a->em == VEM_HMM_GAUSSIAN || a->em == VEM_HMM_GMM))
        s = vem_hmm_set_reg_covar(h, a->reg_covar);
    if (s == VEM_OK && a->trials_given)
        s = vem_hmm_set_n_trials(h, a->n_trials);
    if (s == VEM_OK && a->em == VEM_HMM_CATEGORICAL) {
        s = vem_hmm_set_symbols(h, (const char *const *)in->symbols);
        if (s == VEM_OK && !a->dopts.binary_cols)
            s = vem_hmm_set_symbol_column(h, in->names[0]);
    }
    if (s == VEM_OK && a->em != VEM_HMM_CATEGORICAL && !a->dopts.binary_cols &&
        cli_table_has_names(&names))
        s = vem_hmm_set_columns(h, (const char *const *)in->names);
    if (s != VEM_OK) {
        vem_hmm_free(h);
        return cli_fail(s, "model");
    }
    *out = h;
    return 0;
}

/* The fit's parameters to update and initialise and its priors, on h (new or loaded); the
 * Gaussian prior's defaults from the frames x. 0 or an exit status (reported). */
static int configure(const fit_args *a, vem_hmm *h, const vem_matrix *x)
{
    vem_status s = VEM_OK;
    const char *what = "--update";
    if (a->update)
        s = vem_hmm_set_update(h, a->update);
    if (s == VEM_OK && a->init_params) {
        what = "--init-params";
        s = vem_hmm_set_init_params(h, a->init_params);
    }
    if (s == VEM_OK) {
        what = "prior";
        s = vem_hmm_set_priors(h, &a->priors);
    }
    if (s == VEM_OK && a->prior) {
        what = "--prior";
        s = vem_hmm_set_gaussian_prior_default(h, x);
    }
    if (s == VEM_OK)
        return 0;
    if (cli_mpi_rank() == 0)
        cli_fail(s, what);
    return s == VEM_EINVAL ? CLI_EXIT_USAGE : cli_exit_status(s);
}

/* Warn, write and print the result of a fit to n frames in n_seq sequences (rank 0 under MPI). */
/* selection: the JSON table of a selection over K (taken; NULL: none). */
static int report_fit(const fit_args *a, vem_hmm *h, size_t n, size_t n_seq, vem_fit_result *res,
                      json_t *selection)
{
    int rc = cli_hmm_fit_save(&a->f, res, NULL, h);
    if (rc != 0 || cli_mpi_rank() != 0) {
        json_decref(selection);
        return rc;
    }
    if (a->f.json) {
        json_t *o = json_object();
        if (o)
            fit_json(o, h, n, n_seq, res, a);
        if (o && selection) {
            static const char *const crit[] = {"", "bic", "aic", "icl", "elbo"};
            json_object_set_new(o, "criterion", json_string(crit[a->select]));
            json_object_set_new(o, "selection", selection);
        } else {
            json_decref(selection);
        }
        rc = cli_json_emit(o);
    } else {
        describe(h);
        cli_hmm_print_frames(n, n_seq);
        print_hmm(h);
        const double lp = vem_hmm_log_prior(h), ll = res->objective - lp;
        printf("BIC: %.10g (lower is better)  AIC: %.10g  parameters: %zu\n",
               vem_hmm_bic(h, ll, n), vem_hmm_aic(h, ll), vem_hmm_n_parameters(h));
        if (lp != 0.0)
            printf("MAP fit (priors): log-likelihood %.10g, log prior %.10g (up to a "
                   "constant); the objective below is their sum\n", ll, lp);
        cli_print_fit_tail(&a->f, res);
    }
    return rc;
}

static int fit_data(const fit_args *a, vem_hmm *h0);
static int select_data(const fit_args *a);

static int cmd_fit(int argc, char **argv)
{
    fit_args a;
    memset(&a, 0, sizeof a);
    a.priors = (vem_hmm_priors){1.0, 1.0, 1.0, 0.0, 0.0};
    a.cov = VEM_COV_FULL;
    a.reg_covar = 1e-6;
    a.n_mix = 2;
    cli_fit_args_init(&a.f, &hmm_kind);
    cli_data_opts_init(&a.dopts);
    int rc = parse_fit(argc, argv, &a);
    if (rc != 0)
        return cli_usage_error("fit hmm");
    vem_hmm *h = NULL;
    if (a.f.init_model) {
        h = vem_hmm_load(a.f.init_model);
        rc = cli_init_model_loaded(&a.f, h != NULL);
        if (rc == 0 && ((a.k_given && a.k != vem_hmm_k(h)) ||
                        (a.em_given && a.em != vem_hmm_emission_type(h)) ||
                        (a.mix_given && a.n_mix != vem_hmm_n_mix(h)) ||
                        (a.cov_given && a.cov != vem_hmm_cov(h))))
            rc = cli_hmm_init_mismatch("fit hmm", a.f.init_model, vem_hmm_k(h),
                                       vem_hmm_emission_type(h));
        if (rc != 0) {
            vem_hmm_free(h);
            return rc;
        }
        a.em = vem_hmm_emission_type(h);
        if (a.reg_given && (a.em == VEM_HMM_GAUSSIAN || a.em == VEM_HMM_GMM))
            vem_hmm_set_reg_covar(h, a.reg_covar);
        if (a.trials_given && a.em == VEM_HMM_MULTINOMIAL)
            vem_hmm_set_n_trials(h, a.n_trials);
        /* --init with --init-model: the model's start and transitions (its zeros, a
         * topology), emissions initialised afresh. */
        vem_status is = VEM_OK;
        if (a.init_given && (is = vem_hmm_set_init(h, a.init)) == VEM_OK)
            is = vem_hmm_set_trans_init(h, VEM_HMM_TRANS_GIVEN);
        if (is != VEM_OK) {
            vem_hmm_free(h);
            return cli_fail(is, "--init");
        }
    }
    rc = a.select ? select_data(&a) : fit_data(&a, h);
    vem_hmm_free(h);
    return rc;
}

/* ---------------------------------------------------- choosing K (--select) */

typedef struct sel_row {
    size_t k, n_parameters, n_iter;
    double log_likelihood, bic, aic, icl, elbo; /* elbo: NAN unless --select elbo */
    int converged;
    vem_status status;
} sel_row;

static double sel_value(int select, const sel_row *r)
{
    return select == 2 ? r->aic : select == 3 ? r->icl : select == 4 ? -r->elbo : r->bic;
}

static int sel_failed(int select, const sel_row *r)
{
    return (r->status != VEM_OK && r->status != VEM_EMAXITER) || !isfinite(sel_value(select, r));
}

/* The table, one row per K; * marks the kept one, + a fit that ran out of iterations. */
static void print_selection(const fit_args *a, const sel_row *rows, size_t n, size_t best)
{
    static const char *const name[] = {"", "BIC", "AIC", "ICL", "ELBO"};
    const int elbo = a->select == 4;
    if (elbo)
        printf("ELBO: higher is better (the variational Bayesian HMM's evidence bound, "
               "nats; docs/vbhmm.md)\n");
    else
        printf("%s: lower is better (ICL: BIC with the Viterbi path's joint log-likelihood)\n",
               name[a->select]);
    printf("%6s %18s %10s %16s %16s %16s%s\n", "states", "log-likelihood", "parameters", "BIC",
           "AIC", "ICL", elbo ? "             ELBO" : "");
    for (size_t i = 0; i < n; i++) {
        const sel_row *r = &rows[i];
        if (sel_failed(a->select, r)) {
            printf("%6zu  failed: %s\n", r->k, vem_strerror(r->status));
            continue;
        }
        printf("%6zu %18.6f %10zu %16.6f %16.6f %16.6f", r->k, r->log_likelihood,
               r->n_parameters, r->bic, r->aic, r->icl);
        if (elbo)
            printf(" %16.6f", r->elbo);
        printf("%c\n", i == best ? '*' : !r->converged ? '+' : ' ');
    }
    printf("* %s %s: %zu states\n", elbo ? "highest" : "lowest", name[a->select], rows[best].k);
}

static json_t *selection_json(const sel_row *rows, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "k", json_integer((json_int_t)rows[i].k));
        json_object_set_new(o, "log_likelihood", cli_json_real(rows[i].log_likelihood));
        json_object_set_new(o, "n_parameters", json_integer((json_int_t)rows[i].n_parameters));
        json_object_set_new(o, "bic", cli_json_real(rows[i].bic));
        json_object_set_new(o, "aic", cli_json_real(rows[i].aic));
        json_object_set_new(o, "icl", cli_json_real(rows[i].icl));
        if (!isnan(rows[i].elbo))
            json_object_set_new(o, "elbo", cli_json_real(rows[i].elbo));
        json_object_set_new(o, "n_iter", json_integer((json_int_t)rows[i].n_iter));
        json_object_set_new(o, "converged", json_boolean(rows[i].converged));
        json_object_set_new(o, "status", json_string(vem_strerror(rows[i].status)));
        json_array_append_new(arr, o);
    }
    return arr;
}

/*
 * *elbo = the ELBO of the variational Bayesian HMM of k states fitted to x (vem fit vbhmm's
 * defaults: hmmlearn's priors, its tolerance and iterations; the selection's seed, restarts
 * and threads; columns or symbols as the frames'), for --select elbo.
 */
static vem_status vb_elbo(const fit_args *a, const vem_frames *in, const vem_matrix *x,
                          size_t dim, size_t k, double *elbo)
{
    vem_vbhmm *v = vem_vbhmm_new(k, a->em, dim, a->cov);
    if (!v)
        return VEM_ENOMEM; /* the combination was checked with the options */
    vem_fit_opts o;
    vem_vbhmm_fit_opts_init(&o);
    o.n_init = a->f.opts.n_init;
    o.nthreads = a->f.opts.nthreads;
    vem_rng rng;
    vem_rng_seed(&rng, a->f.seed);
    vem_fit_result res;
    memset(&res, 0, sizeof res);
    cli_fit_running = 1;
    vem_status st = vem_vbhmm_fit(v, x, &in->seqs, &o, &rng, &res);
    cli_fit_running = 0;
    cli_progress_end_line();
    if (cli_fit_usable(st))
        *elbo = res.objective;
    vem_fit_result_clear(&res);
    vem_vbhmm_free(v);
    return st;
}

/*
 * Fit each K of --states from fresh starts (the same seed and options), in memory, and keep
 * the one with the lowest criterion: BIC, AIC, or ICL = -2 ln p(X, z*) + p ln T with z* the
 * Viterbi path (the classification likelihood of Biernacki, Celeux & Govaert 2000, with
 * the HMM's most probable state sequence as the classification), or the highest ELBO of
 * the variational Bayesian HMM at each K (the kept model is still the Baum-Welch fit).
 */
static int select_data(const fit_args *a)
{
    vem_frames in;
    memset(&in, 0, sizeof in);
    vem_frames_share all;
    vem_frames_opts fo;
    cli_hmm_frames_opts(&a->dopts, a->em, NULL, a->seqcol, a->lengths, &fo);
    vem_status s = vem_frames_read_share(a->data, &fo, NULL, &in, &all);
    if (s != VEM_OK) {
        int rc = cli_fail(s, a->data);
        return s == VEM_EINVAL ? CLI_EXIT_USAGE : rc;
    }
    int rc = 0;
    if (a->em == VEM_HMM_POISSON || a->em == VEM_HMM_MULTINOMIAL)
        rc = cli_hmm_check_counts(a->data, &in, a->trials_given ? a->n_trials : 0);
    const vem_matrix x = vem_frames_matrix(&in);
    sel_row rows[MAX_STATES_LIST];
    size_t *z = malloc((x.rows ? x.rows : 1) * sizeof *z), best = SIZE_MAX;
    vem_hmm *keep = NULL;
    vem_fit_result keep_res;
    memset(&keep_res, 0, sizeof keep_res);
    fit_args one = *a;
    if (!z && rc == 0) {
        cli_error("out of memory");
        rc = CLI_EXIT_INPUT;
    }
    for (size_t i = 0; rc == 0 && i < a->nk; i++) {
        sel_row *r = &rows[i];
        memset(r, 0, sizeof *r);
        r->k = one.k = a->ks[i];
        r->log_likelihood = r->bic = r->aic = r->icl = r->elbo = NAN;
        vem_hmm *h = NULL;
        if ((rc = make_model(&one, &in, all.dim, &h)) != 0 || (rc = configure(&one, h, &x)) != 0) {
            vem_hmm_free(h);
            break;
        }
        vem_rng rng;
        vem_rng_seed(&rng, a->f.seed);
        vem_fit_result res;
        memset(&res, 0, sizeof res);
        cli_fit_running = 1;
        r->status = vem_hmm_fit(h, &x, &in.seqs, &a->f.opts, &rng, &res);
        cli_fit_running = 0;
        cli_progress_end_line();
        if (r->status == VEM_EINTR) {
            rc = cli_fail(r->status, a->data);
            vem_fit_result_clear(&res);
            vem_hmm_free(h);
            break;
        }
        double lpath = NAN;
        if (cli_fit_usable(r->status) &&
            vem_hmm_decode(h, &x, cli_hmm_seqs(&in), z, &lpath) == VEM_OK) {
            const double logn = log((double)x.rows);
            r->log_likelihood = res.objective - vem_hmm_log_prior(h);
            r->n_parameters = vem_hmm_n_parameters(h);
            r->bic = vem_hmm_bic(h, r->log_likelihood, x.rows);
            r->aic = vem_hmm_aic(h, r->log_likelihood);
            r->icl = -2.0 * lpath + (double)r->n_parameters * logn;
            r->n_iter = res.n_iter;
            r->converged = res.converged;
        }
        if (a->select == 4 && cli_fit_usable(r->status))
            r->status = vb_elbo(a, &in, &x, all.dim, r->k, &r->elbo);
        if (!sel_failed(a->select, r) &&
            (best == SIZE_MAX || sel_value(a->select, r) < sel_value(a->select, &rows[best]))) {
            best = i;
            vem_hmm_free(keep);
            vem_fit_result_clear(&keep_res);
            keep = h;
            keep_res = res;
        } else {
            vem_hmm_free(h);
            vem_fit_result_clear(&res);
        }
    }
    if (rc == 0 && best == SIZE_MAX) {
        cli_error("%s: every fit of the selection failed (the first: %s)", a->data,
                  vem_strerror(rows[0].status));
        rc = CLI_EXIT_NUMERIC;
    }
    if (rc == 0) {
        if (!a->f.json)
            print_selection(a, rows, a->nk, best);
        one.k = rows[best].k;
        rc = report_fit(&one, keep, all.rows, all.n_seq, &keep_res,
                        a->f.json ? selection_json(rows, a->nk) : NULL);
    }
    vem_hmm_free(keep);
    vem_fit_result_clear(&keep_res);
    free(z);
    vem_frames_clear(&in);
    return rc;
}

/* ---------------------------------------------------- distributed fits (--mpi) */

/*
 * Every rank reads whole sequences of the file (vem_frames_read_share: the
 * sequences decided on rank 0, the same symbols on every rank, failures agreed
 * on and said once), then fits with the communicator. What follows the read
 * comes out alike on every rank (the same totals), so rank 0 alone says it.
 */
static int fit_data(const fit_args *a, vem_hmm *h0)
{
    const vem_comm *comm = a->f.mpi ? cli_mpi_comm() : NULL;
    const int root = cli_mpi_rank() == 0;
    vem_hmm *h = h0;
    const cli_hmm_model m0 = h0 ? frames_model(h0) : (cli_hmm_model){0};
    cli_hmm_frames fr;
    int rc = cli_hmm_frames_open(&fr, a->data, &a->dopts, a->em, h0 ? &m0 : NULL, a->seqcol,
                                 a->lengths, a->f.stream, comm);
    if (rc != 0)
        goto out;
    if (a->em != VEM_HMM_CATEGORICAL && h0 && fr.all.dim != vem_hmm_dim(h0)) {
        if (root)
            cli_error("%s: %zu columns, but the model has %zu features (choose them with "
                      "--columns)",
                      a->data, fr.all.dim, vem_hmm_dim(h0));
        rc = CLI_EXIT_INPUT;
        goto out;
    }
    cli_hmm_frames_names(&fr);
    if (!h && (rc = cli_mpi_agree(make_model(a, &fr.in, fr.all.dim, &h))) != 0)
        goto out;
    if (!fr.src && !comm && (a->em == VEM_HMM_POISSON || a->em == VEM_HMM_MULTINOMIAL) &&
        (rc = cli_hmm_check_counts(a->data, &fr.in, vem_hmm_n_trials(h))) != 0)
        goto out;
    if ((a->em == VEM_HMM_GAUSSIAN || a->em == VEM_HMM_GMM) &&
        fr.all.rows < vem_hmm_k(h) * vem_hmm_n_mix(h) && (!a->f.init_model || a->init_given)) {
        if (root)
            cli_error("%s: %zu rows, fewer than K=%zu states x %zu components", a->data,
                      fr.all.rows, vem_hmm_k(h), vem_hmm_n_mix(h));
        rc = CLI_EXIT_INPUT;
        goto out;
    }
    const vem_matrix x = cli_hmm_frames_matrix(&fr);
    if ((rc = cli_mpi_agree(configure(a, h, &x))) != 0)
        goto out;
    vem_fit_result res;
    rc = cli_hmm_fit_run(&a->f, a->data, &fr, &x, comm, NULL, h, &res);
    if (rc == 0)
        rc = report_fit(a, h, fr.all.rows, fr.all.n_seq, &res, NULL);
    vem_fit_result_clear(&res);
out:
    cli_hmm_frames_close(&fr);
    if (h != h0)
        vem_hmm_free(h);
    return rc;
}

/* ------------------------------------------------- commands on a model */

/* Multinomial emissions are drawn with the model's number of trials. */
static int sample_check(const void *h, const char *path)
{
    if (vem_hmm_emission_type(h) != VEM_HMM_MULTINOMIAL || vem_hmm_n_trials(h))
        return 0;
    cli_error("%s: sampling multinomial emissions needs the number of trials of a frame: "
              "fit with --trials N",
              path);
    return CLI_EXIT_INPUT;
}

static void print_info(const void *model)
{
    const vem_hmm *h = model;
    printf("model: hmm (hidden Markov model)\n");
    describe(h);
    printf("\nparameters: %zu\n", vem_hmm_n_parameters(h));
    const cli_hmm_model m = frames_model(h);
    cli_hmm_print_symbol_column(&m);
    print_hmm(h);
    if (vem_hmm_emission_type(h) == VEM_HMM_GMM)
        printf("(weights and covariances of the mixtures: vem info --json)\n");
    if (vem_hmm_emission_type(h) == VEM_HMM_GAUSSIAN) {
        size_t k = vem_hmm_k(h), d = vem_hmm_dim(h);
        const double *c = vem_hmm_covariances(h);
        printf("covariances (%s):\n", vem_cov_name(vem_hmm_cov(h)));
        char buf[32];
        switch (vem_cov_layout(vem_hmm_cov(h))) {
        case VEM_COV_FULL:
            for (size_t i = 0; i < k; i++)
                for (size_t r = 0; r < d; r++) {
                    snprintf(buf, sizeof buf, "state %zu", i);
                    cli_hmm_print_vec(r ? "" : buf, c + (i * d + r) * d, d);
                }
            break;
        case VEM_COV_DIAG:
            for (size_t i = 0; i < k; i++) {
                snprintf(buf, sizeof buf, "state %zu", i);
                cli_hmm_print_vec(buf, c + i * d, d);
            }
            break;
        case VEM_COV_SPHERICAL:
            cli_hmm_print_vec("", c, k);
            break;
        case VEM_COV_TIED:
            for (size_t r = 0; r < d; r++)
                cli_hmm_print_vec("", c + r * d, d);
            break;
        default:
            break;
        }
    }
}

/* score: the log-likelihood, total and per frame, or each frame's (--per-frame). */
static int score(const cli_hmm_args *a, const void *h, const vem_matrix *x, const vem_seqs *seqs,
                 size_t n_seq)
{
    int rc = 0;
    double mean, total;
    vem_status s = vem_hmm_score(h, x, seqs, &mean, &total);
    double *pf = NULL;
    if (s == VEM_OK && a->per_frame) {
        pf = malloc((x->rows ? x->rows : 1) * sizeof *pf);
        s = pf ? vem_hmm_score_frames(h, x, seqs, pf) : VEM_ENOMEM;
    }
    if (!pf && a->per_frame && s == VEM_ENOMEM) {
        cli_error("out of memory");
        rc = CLI_EXIT_INPUT;
    } else if (s != VEM_OK) {
        rc = cli_fail(s, a->m.data);
    } else if (pf && !a->m.json) {
        printf("log_likelihood\n");
        cli_print_matrix(pf, x->rows, 1);
    } else if (a->m.json) {
        json_t *o = json_object();
        cli_json_score_common(o, "hmm", "log_likelihood", n_seq, x->rows, total);
        cli_hmm_json_counts(o, x->rows, n_seq);
        json_object_set_new(o, "mean_log_likelihood", cli_json_real(mean));
        json_object_set_new(o, "total_log_likelihood", cli_json_real(total));
        json_object_set_new(o, "log_likelihood", cli_json_real(total));
        json_object_set_new(o, "bic", cli_json_real(vem_hmm_bic(h, total, x->rows)));
        json_object_set_new(o, "aic", cli_json_real(vem_hmm_aic(h, total)));
        if (pf)
            json_object_set_new(o, "frame_log_likelihood", cli_json_vector(pf, x->rows));
        rc = cli_json_emit(o);
    } else {
        cli_print_score("log-likelihood", "sequences", n_seq, "frame", x->rows, total);
    }
    free(pf);
    return rc;
}

/* The shared commands' own kind: load, decode and sample are the vem_hmm ones. */
static const cli_hmm_kind kind = {.name = "hmm",
                                  .decode_tables = decode_tables,
                                  .score_tables = score_tables,
                                  .sample_tables = cli_sample_state_tables,
                                  .describe = frames_model,
                                  .sample_check = sample_check,
                                  .score = score,
                                  .json = hmm_json,
                                  .print = print_info};

/* decode, predict, score, sample and info (argv[1]). */
static int cmd_model(int argc, char **argv)
{
    return cli_hmm_cmd(argc, argv, &kind);
}

/* ---------------------------------------------------------------- verbs (vem.c) */

const cli_verb cli_hmm_fit = {
    cmd_fit,
    "DATA --states K --emission E [options]",
    "Fit a hidden Markov model to the rows (frames) of DATA by Baum-Welch. Sequences\n"
    "come from --lengths or --sequence-column, else the whole file is one sequence.\n"
    "--columns: the feature columns (gaussian, gmm), the count columns (poisson,\n"
    "multinomial) or the one symbol column (categorical). --init-model: a warm start from a saved model (its K and\n"
    "emissions; zeros stay zero); with --init, its start and transition\n"
    "probabilities (a topology) are kept and the emissions initialised afresh.\n"
    "--stream: a block of whole sequences at a time (categorical: integer codes).\n"
    "--mpi: each process reads (or streams) whole sequences (docs/hmm.md,\n"
    "\"Distributed fitting\"). --algorithm lbfgs or em-lbfgs: quasi-Newton maximum\n"
    "likelihood for every emission but gmm (docs/hmm.md).",
    fit_tables,
    &hmm_kind,
};
const cli_verb cli_hmm_decode = {
    cmd_model, "MODEL DATA [--algorithm viterbi|map] [--posterior] [options]",
    "The most probable state path (Viterbi), one 0-based state per row; with\n"
    "--algorithm map each frame's most probable state (posterior decoding); with\n"
    "--posterior the K state probabilities of each row (CSV). Sequences and columns\n"
    "as for fit. --json: {\"states\": [...], \"algorithm\": ..., \"log_probability\":\n"
    "... (viterbi)} or {\"proba\": [[...], ...]}.",
    decode_tables, NULL};
const cli_verb cli_hmm_predict = {
    cmd_model, "MODEL DATA [--posterior] [options]",
    "The same as vem decode: the most probable state of each row (Viterbi path), or\n"
    "with --posterior (or --proba) the K state probabilities of each row (CSV).",
    decode_tables, NULL};
const cli_verb cli_hmm_score = {
    cmd_model, "MODEL DATA [options]",
    "The number of sequences and frames and the total and mean (per frame)\n"
    "log-likelihood (nats) of DATA under the HMM (--json: with its BIC and AIC);\n"
    "--per-frame: each frame's conditional log-likelihood instead (CSV; --json:\n"
    "frame_log_likelihood).",
    score_tables, NULL};
const cli_verb cli_hmm_sample = {
    cmd_model, "MODEL -n N [--seed S] [--start-state S]",
    "Draw one sequence of N frames; CSV with a header (the model's columns or symbol\n"
    "column, then 'state'). --start-state: the first frame's state.",
    cli_sample_state_tables, NULL};
const cli_verb cli_hmm_info = {
    cmd_model, "MODEL",
    "Describe an HMM model file: states, emissions, start and transition\n"
    "probabilities, emission parameters and the number of free parameters.",
    cli_info_tables, NULL};
