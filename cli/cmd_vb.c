/*
 * cli/cmd_vb.c — the variational Bayes commands of two kinds of model:
 *
 *     vem fit vbgmm DATA -k K [--weight-prior dirichlet|dp] [--covariance full|diag] ...
 *     vem fit blr DATA --target COLUMN [--ard [--ard-update mackay|vb]] [--no-intercept] ...
 *     vem predict|score|info MODEL ...   on "vbgmm" and "blr" model files
 *     vem sample MODEL -n N              on "vbgmm" model files
 *
 * A thin client of include/vem/vbgmm.h and include/vem/blr.h.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* This file's commands (defined at its end; the parser reads their option tables). */
extern const cli_verb cli_vbgmm_fit, cli_vbgmm_predict, cli_vbgmm_score, cli_vbgmm_sample,
    cli_vbgmm_info, cli_blr_fit, cli_blr_predict, cli_blr_score, cli_blr_info;

enum {
    OPT_K = CLI_OPT_OWN,
    OPT_WEIGHT_PRIOR,
    OPT_WEIGHT_CONC,
    OPT_MEAN_PREC,
    OPT_DOF,
    OPT_MEAN_PRIOR,
    OPT_COV_PRIOR,
    OPT_REG_COVAR,
    OPT_INIT, /* the prior options: OPT_WEIGHT_PRIOR to here */
    OPT_COVARIANCE,
    OPT_TARGET,
    OPT_ARD,
    OPT_ARD_UPDATE,
    OPT_PRUNE,
    OPT_INTERCEPT,
    OPT_NO_INTERCEPT,
    OPT_STANDARDIZE,
    OPT_HYPERPRIORS,
};

static const cli_option vbgmm_fit_options[] = {
    {"components", 'k', 1, OPT_K, "K", "components (an upper bound: unneeded ones empty out)"},
    {"weight-prior", 0, 1, OPT_WEIGHT_PRIOR, "P",
     "dp (default: truncated stick-breaking, a Dirichlet process)\nor dirichlet"},
    {"weight-concentration", 0, 1, OPT_WEIGHT_CONC, "A", "alpha0 > 0 (default 1/K)"},
    {"mean-precision", 0, 1, OPT_MEAN_PREC, "B", "beta0 > 0 (default 1)"},
    {"dof", 0, 1, OPT_DOF, "NU", "Wishart degrees of freedom > D - 1 (default D)"},
    {"mean-prior", 0, 1, OPT_MEAN_PRIOR, "LIST",
     "m0: D numbers, comma-separated (default: the data mean)"},
    {"covariance-prior", 0, 1, OPT_COV_PRIOR, "LIST",
     "W0^-1: D x D numbers row by row (full) or D (diag)\n"
     "(default: the data covariance, divisor n - 1; if singular,\n"
     "plus reg-covar on its diagonal)"},
    {"covariance", 0, 1, OPT_COVARIANCE, "C", "full (default) or diag"},
    {"reg-covar", 0, 1, OPT_REG_COVAR, "E", "added to the sample covariances (default 1e-6)"},
    {"init", 0, 1, OPT_INIT, "M", "kmeans (default) or random"},
    {NULL, 0, 0, 0, NULL, NULL},
};

static const cli_option blr_fit_options[] = {
    {"target", 0, 1, OPT_TARGET, "COLUMN", "the response: a header name or 1-based index"},
    {"ard", 0, 0, OPT_ARD, NULL, "one precision per weight (automatic relevance determination)"},
    {"ard-update", 0, 1, OPT_ARD_UPDATE, "U",
     "ARD's update of the precisions: mackay (default: MacKay's\n"
     "evidence re-estimation with pruning on the way, as\n"
     "scikit-learn's ARDRegression; --tol bounds the sum of the\n"
     "weights' changes, z scale, default 1e-3; --max-iter default\n"
     "300) or vb (mean-field VB: the ELBO rule, monotone)"},
    {"prune-threshold", 0, 1, OPT_PRUNE, "T",
     "ARD: prune weights whose precision exceeds T (default 1e4)"},
    {"intercept", 0, 0, OPT_INTERCEPT, NULL,
     "fit an unpenalised intercept (centre features and target;\nthe default, as scikit-learn)"},
    {"no-intercept", 0, 0, OPT_NO_INTERCEPT, NULL, "no intercept: the line through the origin"},
    {"standardize", 0, 0, OPT_STANDARDIZE, NULL, "scale the features to mean 0, variance 1 first"},
    {"hyperpriors", 0, 1, OPT_HYPERPRIORS, "A0,B0,C0,D0",
     "Gamma shape and rate of the noise precision (A0, B0)\n"
     "and of the weight precision (C0, D0); default all 1e-6"},
    {NULL, 0, 0, 0, NULL, NULL},
};

static const cli_option blr_score_options[] = {
    {"target", 0, 1, OPT_TARGET, "COLUMN",
     "the response: a header name or 1-based index\n(default: the model's target)"},
    {NULL, 0, 0, 0, NULL, NULL},
};

static const cli_option *const vbgmm_fit_tables[] = {vbgmm_fit_options, cli_engine_options,
                                                     cli_common_options, cli_data_options, NULL};
static const cli_option *const blr_fit_tables[] = {blr_fit_options, cli_engine_options,
                                                   cli_common_options, cli_data_options, NULL};
static const cli_option *const vbgmm_predict_tables[] = {cli_proba_options, cli_common_options,
                                                         cli_data_options, NULL};
static const cli_option *const data_tables[] = {cli_common_options, cli_data_options, NULL};
static const cli_option *const blr_score_tables[] = {blr_score_options, cli_common_options,
                                                     cli_data_options, NULL};
static const cli_option *const info_tables[] = {cli_common_options, NULL};

/* CAVI stops when the total ELBO changes by < 1e-3 nats, as scikit-learn's
 * BayesianGaussianMixture, within 1000 iterations (vem_vbgmm_fit_opts_init). */
static const cli_fit_kind vbgmm_kind = {"vbgmm", "ELBO", "row", "rows", 0,
                                        vem_vbgmm_fit_opts_init};

/* The fixed point of BayesianRidge: many cheap iterations to a tight tolerance. */
static void blr_defaults(vem_fit_opts *o)
{
    o->max_iter = 1000;
    o->tol = 1e-12;
}

/* Closed-form updates in batch from a deterministic start (vem_blr_fit), in memory. */
static const cli_fit_kind blr_kind = {
    "blr", "ELBO", "row", "rows",
    CLI_ENGINE_BIT(CLI_OPT_N_INIT) | CLI_ENGINE_BIT(CLI_OPT_SEED) |
        CLI_MC_OPTIONS | CLI_ENGINE_BIT(CLI_OPT_TOL_RULE) |
        CLI_ENGINE_BIT(CLI_OPT_ACCELERATE) |
        CLI_ENGINE_BIT(CLI_OPT_ALGORITHM) | CLI_ENGINE_BIT(CLI_OPT_BATCH_SIZE) |
        CLI_ENGINE_BIT(CLI_OPT_KAPPA) | CLI_ENGINE_BIT(CLI_OPT_TAU) |
        CLI_ENGINE_BIT(CLI_OPT_N_BLOCKS) | CLI_ENGINE_BIT(CLI_OPT_STREAM) |
        CLI_ENGINE_BIT(CLI_OPT_EVAL_PASSES) | CLI_ENGINE_BIT(CLI_OPT_TRACE_STEPS),
    blr_defaults};

typedef struct vb_args {
    const char *model, *data; /* operands: for fit, the kind and DATA */
    const char *target, *hyper, *mean_prior, *cov_prior;
    int prior_given, cov_given; /* a prior option, --covariance given */
    size_t k;
    int k_given, ard, intercept, intercept_given, standardize, proba, update_given;
    vem_blr_update update;
    vem_vb_weight_prior wprior;
    vem_cov cov;
    vem_gmm_init init;
    double alpha0, beta0, nu0, reg_covar, prune;
    int prune_given;
    cli_fit_args f; /* engine options (fit), --json (every command) */
    cli_data_opts dopts;
} vb_args;

/* A model option of this file: 0 when applied, CLI_EXIT_USAGE (reported), -1 for another. */
static int own_option(vb_args *a, int id, const char *val)
{
    int rc = 0;
    /* --init-model brings its own priors: remember that one was given. */
    a->prior_given |= id >= OPT_WEIGHT_PRIOR && id <= OPT_INIT;
    switch (id) {
    case OPT_K:
        a->k_given = 1;
        rc = cli_parse_size("-k", val, 1, 1000000, &a->k);
        break;
    case OPT_WEIGHT_PRIOR:
        if (vem_vb_weight_prior_parse(val, &a->wprior) != VEM_OK) {
            cli_error("--weight-prior: expected dirichlet or dp, got '%s'", val);
            rc = CLI_EXIT_USAGE;
        }
        break;
    case OPT_WEIGHT_CONC:
        rc = cli_parse_double("--weight-concentration", val, 0.0, 1, &a->alpha0);
        break;
    case OPT_MEAN_PREC:
        rc = cli_parse_double("--mean-precision", val, 0.0, 1, &a->beta0);
        break;
    case OPT_DOF:
        rc = cli_parse_double("--dof", val, 0.0, 1, &a->nu0);
        break;
    case OPT_MEAN_PRIOR:
        a->mean_prior = val;
        break;
    case OPT_COV_PRIOR:
        a->cov_prior = val;
        break;
    case OPT_COVARIANCE:
        a->cov_given = 1;
        if (vem_cov_parse(val, &a->cov) != VEM_OK ||
            (a->cov != VEM_COV_FULL && a->cov != VEM_COV_DIAG)) {
            cli_error("--covariance: expected full or diag, got '%s'", val);
            rc = CLI_EXIT_USAGE;
        }
        break;
    case OPT_REG_COVAR:
        rc = cli_parse_double("--reg-covar", val, 0.0, 0, &a->reg_covar);
        break;
    case OPT_INIT:
        if (vem_gmm_init_parse(val, &a->init) != VEM_OK ||
            (a->init != VEM_INIT_KMEANS && a->init != VEM_INIT_RANDOM)) {
            cli_error("--init: expected kmeans or random, got '%s'", val);
            rc = CLI_EXIT_USAGE;
        }
        break;
    case OPT_TARGET:
        a->target = val;
        break;
    case OPT_ARD:
        a->ard = 1;
        break;
    case OPT_ARD_UPDATE:
        a->update_given = 1;
        if (vem_blr_update_parse(val, &a->update) != VEM_OK) {
            cli_error("--ard-update: expected mackay or vb, got '%s'", val);
            rc = CLI_EXIT_USAGE;
        }
        break;
    case OPT_PRUNE:
        a->prune_given = 1;
        rc = cli_parse_double("--prune-threshold", val, 0.0, 1, &a->prune);
        break;
    case OPT_INTERCEPT:
    case OPT_NO_INTERCEPT:
        if (a->intercept_given && a->intercept != (id == OPT_INTERCEPT)) {
            cli_error("--intercept and --no-intercept: give one");
            rc = CLI_EXIT_USAGE;
        }
        a->intercept_given = 1;
        a->intercept = id == OPT_INTERCEPT;
        break;
    case OPT_STANDARDIZE:
        a->standardize = 1;
        break;
    case OPT_HYPERPRIORS:
        a->hyper = val;
        break;
    case CLI_OPT_PROBA:
        a->proba = 1;
        break;
    default:
        return -1;
    }
    return rc;
}

/* own_option for cli_parse_model_command. */
static int own_option_cb(void *a, int id, const char *val)
{
    return own_option(a, id, val);
}

/*
 * Parse `vem CMD ...` with the options of verb v (cmd: "fit vbgmm", "predict", ...):
 * the operands go to model (for fit, the kind) and data; nops of them are required.
 * Returns 0, or CLI_EXIT_USAGE with the message and the usage line printed.
 */
static int parse_args(int argc, char **argv, const cli_verb *v, const char *cmd, int nops,
                      vb_args *a)
{
    memset(a, 0, sizeof *a);
    cli_data_opts_init(&a->dopts);
    cli_fit_args_init(&a->f, v->fit ? v->fit : &vbgmm_kind);
    a->alpha0 = NAN;
    a->beta0 = 1.0;
    a->nu0 = NAN;
    a->reg_covar = 1e-6;
    a->wprior = VEM_VB_DP;
    a->prune = 1e4;
    a->update = VEM_BLR_MACKAY;
    a->intercept = 1; /* fit blr: an intercept unless --no-intercept (scikit-learn) */
    a->cov = VEM_COV_FULL;
    a->init = VEM_INIT_KMEANS;

    cli_parser p;
    cli_parser_init(&p, argc, argv, 2, v->tables, v->fit ? v->fit->exclude : 0, cmd);
    int rc = cli_parse_model_command(&p, nops, &a->model, &a->data, own_option_cb, a, &a->f,
                                     &a->dopts);
    if (rc == 0 && (!a->model || (nops > 1 && !a->data))) {
        const char *what = a->model || v->fit ? "DATA" : nops > 1 ? "MODEL and DATA" : "MODEL";
        cli_error("%s: missing %s", cmd, what);
        rc = CLI_EXIT_USAGE;
    }
    if (rc == 0 && nops > 1 && cli_data_opts_check(&a->dopts))
        rc = CLI_EXIT_USAGE;
    if (rc == 0 && v->fit && cli_fit_args_check(&a->f, cmd))
        rc = CLI_EXIT_USAGE;
    return rc == 0 ? 0 : cli_usage_error(cmd);
}

/* The ELBO, its mean and the row count beside the common fields (cli_json_fit_common). */
static void fit_json(json_t *o, const cli_fit_args *f, const vem_fit_result *res, size_t n)
{
    cli_json_fit_common(o, f, res, n);
    json_object_set_new(o, "n", json_integer((json_int_t)n));
    json_object_set_new(o, "elbo", cli_json_real(res->objective));
    json_object_set_new(o, "mean_elbo", cli_json_real(res->objective / (double)n));
}

/* ---------------------------------------------------------------- vbgmm */

/* Exactly n comma-separated finite numbers from s into out (malloc'd); 0 or an exit status. */
static int parse_list(const char *opt, const char *s, size_t n, double **out)
{
    double *v = malloc((n ? n : 1) * sizeof *v);
    const char *p = s;
    char *end;
    if (!v) {
        cli_error("out of memory");
        return CLI_EXIT_INPUT;
    }
    for (size_t i = 0; i < n; i++) {
        v[i] = strtod(p, &end);
        if (end == p || !isfinite(v[i]) || (i + 1 < n ? *end != ',' : *end != '\0')) {
            cli_error("%s: expected %zu comma-separated numbers, got '%s'", opt, n, s);
            free(v);
            return CLI_EXIT_USAGE;
        }
        p = end + 1;
    }
    *out = v;
    return 0;
}


/* The model file's keys (priors and posterior), the expected counts and the components
 * in use. */
static void vbgmm_json(json_t *o, const vem_vbgmm *v)
{
    cli_json_model(o, vem_vbgmm_to_json(v));
    json_object_set_new(o, "effective_components",
                        json_integer((json_int_t)vem_vbgmm_effective_components(v)));
    json_object_set_new(o, "counts", cli_json_vector(vem_vbgmm_counts(v), vem_vbgmm_k(v)));
}

/* Components with an expected count of at least one row, largest first in the file's order. */
static void vbgmm_print(FILE *f, const vem_vbgmm *v)
{
    const size_t k = vem_vbgmm_k(v), d = vem_vbgmm_d(v);
    const char *const *cols = vem_vbgmm_columns(v);
    const double *w = vem_vbgmm_weights(v), *m = vem_vbgmm_means(v), *n = vem_vbgmm_counts(v);
    char buf[32];
    fprintf(f, "%9s  %-10s %-10s", "component", "weight", "count");
    for (size_t j = 0; j < d; j++)
        fprintf(f, "  %12.40s", cli_column_label(cols, j, buf, sizeof buf));
    fputc('\n', f);
    size_t hidden = 0;
    for (size_t c = 0; c < k; c++) {
        if (n[c] < 1.0) {
            hidden++;
            continue;
        }
        fprintf(f, "%9zu  %-10.6g %-10.6g", c, w[c], n[c]);
        for (size_t j = 0; j < d; j++)
            fprintf(f, "  %12.6g", m[c * d + j]);
        fputc('\n', f);
    }
    if (hidden)
        fprintf(f, "(%zu component%s with expected count < 1 not shown)\n", hidden,
                hidden == 1 ? "" : "s");
}

/* --init-model: the model file's priors and posterior; -k, --covariance must agree. */
static int load_init_model(const vb_args *a, vem_vbgmm **out)
{
    if (a->prior_given) {
        cli_error("fit vbgmm: --init-model takes the priors and the start from %s: leave out "
                  "--weight-prior, --weight-concentration, --mean-precision, --dof, --mean-prior, "
                  "--covariance-prior, --reg-covar and --init",
                  a->f.init_model);
        return cli_usage_error("fit vbgmm");
    }
    if (cli_fit_given(&a->f, CLI_OPT_N_INIT) && a->f.opts.n_init > 1) {
        cli_error("fit vbgmm: --init-model is one start (the model's posterior): --n-init %zu "
                  "does not go with it",
                  a->f.opts.n_init);
        return cli_usage_error("fit vbgmm");
    }
    vem_vbgmm *v = vem_vbgmm_load(a->f.init_model);
    if (!v)
        return cli_fail(VEM_EFORMAT, a->f.init_model);
    if ((a->k_given && a->k != vem_vbgmm_k(v)) || (a->cov_given && a->cov != vem_vbgmm_cov(v))) {
        cli_error("fit vbgmm: %s has K=%zu and covariance %s; -k and --covariance must agree or "
                  "be left out",
                  a->f.init_model, vem_vbgmm_k(v), vem_cov_name(vem_vbgmm_cov(v)));
        vem_vbgmm_free(v);
        return cli_usage_error("fit vbgmm");
    }
    *out = v;
    return 0;
}

/* A new model with the prior options. */
static int new_vbgmm(const vb_args *a, size_t cols, const char *const *names, vem_vbgmm **out)
{
    vem_vbgmm *v = vem_vbgmm_new(a->k, cols, a->cov);
    vem_status s = v ? VEM_OK : VEM_ENOMEM;
    int rc = 0;
    if (s == VEM_OK && (s = vem_vbgmm_set_weight_prior(v, a->wprior)) == VEM_OK &&
        (s = vem_vbgmm_set_weight_concentration_prior(v, a->alpha0)) == VEM_OK &&
        (s = vem_vbgmm_set_mean_precision_prior(v, a->beta0)) == VEM_OK &&
        (s = vem_vbgmm_set_dof_prior(v, a->nu0)) == VEM_OK &&
        (s = vem_vbgmm_set_reg_covar(v, a->reg_covar)) == VEM_OK &&
        (s = vem_vbgmm_set_init(v, a->init)) == VEM_OK && names)
        s = vem_vbgmm_set_columns(v, names);
    if (s == VEM_OK && (a->mean_prior || a->cov_prior)) {
        double *m0 = NULL, *c0 = NULL;
        size_t nc = a->cov == VEM_COV_FULL ? cols * cols : cols;
        if ((a->mean_prior && (rc = parse_list("--mean-prior", a->mean_prior, cols, &m0))) ||
            (a->cov_prior && (rc = parse_list("--covariance-prior", a->cov_prior, nc, &c0)))) {
            free(m0);
            vem_vbgmm_free(v);
            return rc;
        }
        if (m0)
            s = vem_vbgmm_set_mean_prior(v, m0);
        if (s == VEM_OK && c0)
            s = vem_vbgmm_set_covariance_prior(v, c0);
        free(m0);
        free(c0);
    }
    if (s != VEM_OK) {
        vem_vbgmm_free(v);
        return s == VEM_EINVAL ? (cli_fail(s, "fit vbgmm"), CLI_EXIT_USAGE) : cli_fail(s, "model");
    }
    *out = v;
    return 0;
}

static int fit_vbgmm(vb_args *a)
{
    if (!a->k_given && !a->f.init_model) {
        cli_error("fit vbgmm: missing -k K");
        return cli_usage_error("fit vbgmm");
    }
    /* The engine ignores the knobs of the other online algorithm: refuse them. */
    const unsigned stepwise = CLI_ENGINE_BIT(CLI_OPT_BATCH_SIZE) | CLI_ENGINE_BIT(CLI_OPT_KAPPA) |
                              CLI_ENGINE_BIT(CLI_OPT_TAU);
    if ((a->f.given & stepwise) && a->f.opts.algorithm != VEM_ALG_STEPWISE) {
        cli_error("fit vbgmm: --batch-size, --kappa and --tau apply to --algorithm stepwise");
        return cli_usage_error("fit vbgmm");
    }
    if (cli_fit_given(&a->f, CLI_OPT_N_BLOCKS) && a->f.opts.algorithm != VEM_ALG_INCREMENTAL) {
        cli_error("fit vbgmm: --n-blocks applies to --algorithm incremental");
        return cli_usage_error("fit vbgmm");
    }
    cli_fit_mc_defaults(&a->f);
    vem_table t;
    vem_source *src = NULL;
    vem_vbgmm *v = NULL;
    memset(&t, 0, sizeof t);
    int rc = a->f.init_model ? load_init_model(a, &v) : 0;
    if (rc)
        return rc;
    const char *const *mcols = v ? vem_vbgmm_columns(v) : NULL;
    size_t md = v ? vem_vbgmm_d(v) : 0;
    if (v)
        a->k = vem_vbgmm_k(v);
    size_t rows_all = 0;
    if (a->f.stream) {
        /* Under --mpi each process streams its own share (its rows are counted by the fit). */
        rc = cli_open_source(a->data, &a->dopts, mcols, md, a->f.mpi ? cli_mpi_comm() : NULL,
                             &src);
        rows_all = a->f.mpi ? SIZE_MAX : 0;
    } else if (a->f.mpi) {
        /* A bad line in any rank's share stops every rank (that rank says why). */
        rc = cli_read_share(a->data, &a->dopts, mcols, md, &t, &rows_all);
    } else {
        rc = cli_read_data(a->data, &a->dopts, mcols, md, &t);
    }
    if (rc)
        goto out;
    size_t rows = a->f.mpi ? rows_all : src ? vem_source_rows(src) : t.rows;
    size_t cols = src ? vem_source_cols(src) : t.cols;
    const char *const *names = src ? vem_source_names(src) : (const char *const *)t.names;
    if (rows < a->k) {
        if (cli_mpi_rank() == 0)
            cli_error("%s: %zu rows, fewer than K=%zu components", a->data, rows, a->k);
        rc = CLI_EXIT_INPUT;
        goto out;
    }
    vem_table shape = {.cols = cols, .names = (char **)names};
    if (!v && (rc = new_vbgmm(a, cols, names && cli_table_has_names(&shape) ? names : NULL, &v)))
        goto out;
    if (a->f.init_model)
        a->f.opts.n_init = 1; /* one start: the model's posterior */
    vem_fit_opts o = a->f.opts;
    vem_rng rng;
    vem_rng_seed(&rng, a->f.seed);
    vem_fit_result res;
    vem_status s = VEM_OK;
    /* --mpi: the library resolves the default priors from every rank's rows, the
     * engine sums each pass and initialises every restart on rank 0 (docs/vb.md). */
    if (a->f.mpi)
        o.comm = cli_mpi_comm();
    cli_fit_running = 1;
    if (src) {
        s = vem_vbgmm_fit_source(v, src, &o, &rng, &res);
    } else {
        vem_matrix x = vem_table_matrix(&t);
        s = vem_vbgmm_fit(v, &x, &o, &rng, &res);
    }
    cli_fit_running = 0;
    cli_progress_end_line();
    if (!cli_fit_usable(s)) {
        /* Under MPI every rank saw the same sums and failed alike: one message. */
        rc = cli_mpi_rank() == 0 ? cli_fail(s, a->data) : cli_exit_status(s);
        goto out;
    }
    cli_warn_not_converged(&a->f, &res);
    if (a->f.output && cli_mpi_rank() == 0 &&
        (s = vem_vbgmm_save(v, a->f.output, &res)) != VEM_OK)
        rc = cli_fail(s, a->f.output);
    if ((rc = cli_mpi_agree(rc)) != 0) {
        vem_fit_result_clear(&res);
        goto out;
    }
    rows = (size_t)res.n_obs; /* all the processes' rows */
    const vem_cov cov = vem_vbgmm_cov(v);
    const vem_vb_weight_prior wprior = vem_vbgmm_weight_prior(v);
    const vem_algorithm alg = a->f.opts.algorithm;
    if (a->f.json) {
        json_t *j = json_object();
        if (j) {
            fit_json(j, &a->f, &res, rows);
            vbgmm_json(j, v);
        }
        rc = cli_json_emit(j);
    } else {
        printf("Variational Bayesian Gaussian mixture: K=%zu (%s weight prior), covariance %s, "
               "%zu rows x %zu column%s%s\n",
               a->k, vem_vb_weight_prior_name(wprior), vem_cov_name(cov), rows, cols,
               cols == 1 ? "" : "s", alg == VEM_ALG_STEPWISE ? " (stochastic VI)" : "");
        printf("effective components: %zu (expected count >= 1)\n",
               vem_vbgmm_effective_components(v));
        vbgmm_print(stdout, v);
        if (!cli_by_iterations(alg) && !a->f.opts.eval_passes)
            printf("(the ELBO is an online estimate; --eval-passes computes it exactly)\n");
        cli_print_fit_tail(&a->f, &res);
    }
    vem_fit_result_clear(&res);
out:
    vem_vbgmm_free(v);
    vem_source_close(src);
    vem_table_clear(&t);
    return rc;
}

/* ---------------------------------------------------------------- blr */

/* Parse "A0,B0,C0,D0". */
static int parse_hyper(const char *s, double out[4])
{
    char *end;
    const char *p = s;
    for (int i = 0; i < 4; i++) {
        out[i] = strtod(p, &end);
        if (end == p || !isfinite(out[i]) || !(out[i] > 0.0) || (i < 3 && *end != ',') ||
            (i == 3 && *end != '\0')) {
            cli_error("--hyperpriors: expected four positive numbers A0,B0,C0,D0, got '%s'", s);
            return CLI_EXIT_USAGE;
        }
        p = end + 1;
    }
    return 0;
}

static int is_index(const char *s, size_t *out)
{
    if (!*s || strspn(s, "0123456789") != strlen(s))
        return 0;
    *out = (size_t)strtoull(s, NULL, 10);
    return *out >= 1;
}

/*
 * Features and target from DATA: with --columns, those columns then the
 * target; otherwise every column, the target by name or index. x (n x d) and
 * y are new arrays; names gets the feature names (borrowed from t) or NULL.
 * With share, only this process's share of the rows (--mpi); the checks on
 * the columns come out alike on every rank, so rank 0 alone reports them.
 */
static int read_xy(const char *path, const cli_data_opts *dopts, const char *target, int share,
                   vem_table *t, size_t *rows_all, double **x, double **y, size_t *d,
                   const char ***names, const char **tname)
{
    cli_data_opts o = *dopts;
    char *spec = NULL;
    if (dopts->columns) {
        size_t len = strlen(dopts->columns) + strlen(target) + 2;
        spec = malloc(len);
        if (!spec) {
            cli_error("out of memory");
            return CLI_EXIT_INPUT;
        }
        snprintf(spec, len, "%s,%s", dopts->columns, target);
        o.columns = spec;
    }
    /* A bad line in any rank's share stops every rank (that rank says why). */
    int rc = share ? cli_read_share(path, &o, NULL, 0, t, rows_all)
                   : cli_read_data(path, &o, NULL, 0, t);
    free(spec);
    if (!share)
        *rows_all = t->rows;
    if (rc)
        return rc;
    const int say = cli_mpi_rank() == 0;
    size_t tc = t->cols; /* target column */
    if (dopts->columns) {
        tc = t->cols - 1;
    } else {
        size_t idx;
        for (size_t j = 0; j < t->cols; j++)
            if (cli_table_has_names(t) && strcmp(t->names[j], target) == 0)
                tc = j;
        if (tc == t->cols && is_index(target, &idx) && idx <= t->cols)
            tc = idx - 1;
        if (tc == t->cols) {
            if (say)
                cli_error("%s: no column '%s' for --target (a header name or a 1-based index up "
                          "to %zu)",
                          path, target, t->cols);
            return CLI_EXIT_INPUT;
        }
    }
    if (t->cols < 2) {
        if (say)
            cli_error("%s: a regression needs at least one feature besides the target", path);
        return CLI_EXIT_INPUT;
    }
    *d = t->cols - 1;
    *x = malloc((t->rows ? t->rows : 1) * *d * sizeof **x);
    *y = malloc((t->rows ? t->rows : 1) * sizeof **y);
    *names = malloc(*d * sizeof **names);
    if (!*x || !*y || !*names) {
        cli_error("out of memory");
        return share ? cli_mpi_agree(CLI_EXIT_INPUT) : CLI_EXIT_INPUT;
    }
    if (share && (rc = cli_mpi_agree(0)) != 0)
        return rc;
    for (size_t r = 0; r < t->rows; r++) {
        size_t c = 0;
        for (size_t j = 0; j < t->cols; j++) {
            if (j == tc)
                (*y)[r] = t->data[r * t->cols + j];
            else
                (*x)[r * *d + c++] = t->data[r * t->cols + j];
        }
    }
    size_t c = 0;
    for (size_t j = 0; j < t->cols; j++)
        if (j != tc)
            (*names)[c++] = t->names ? t->names[j] : NULL;
    *tname = t->names ? t->names[tc] : NULL;
    if (!cli_table_has_names(t)) {
        free(*names);
        *names = NULL;
        *tname = NULL;
    }
    return 0;
}

static void blr_json(json_t *o, const vem_blr *b)
{
    const size_t d = vem_blr_d(b);
    double hp[4];
    vem_blr_hyperpriors(b, hp);
    json_object_set_new(o, "model", json_string("blr"));
    json_object_set_new(o, "n_features", json_integer((json_int_t)d));
    const char *const *cols = vem_blr_columns(b);
    if (cols) {
        json_t *a = json_array();
        for (size_t j = 0; a && j < d; j++)
            json_array_append_new(a, json_string(cols[j]));
        json_object_set_new(o, "columns", a);
    }
    if (vem_blr_target(b))
        json_object_set_new(o, "target", json_string(vem_blr_target(b)));
    json_object_set_new(o, "ard", json_boolean(vem_blr_ard(b)));
    if (vem_blr_ard(b))
        json_object_set_new(o, "ard_update", json_string(vem_blr_update_name(vem_blr_ard_update(b))));
    json_object_set_new(o, "fit_intercept", json_boolean(vem_blr_intercept_on(b)));
    json_object_set_new(o, "standardize", json_boolean(vem_blr_standardize_on(b)));
    json_object_set_new(o, "hyperpriors", cli_json_vector(hp, 4));
    json_object_set_new(o, "coef", cli_json_vector(vem_blr_coef(b), d));
    double *cov = malloc(d * d * sizeof *cov);
    if (cov) {
        vem_blr_coef_cov(b, cov);
        json_object_set_new(o, "coef_covariance", cli_json_matrix(cov, d, d));
        free(cov);
    }
    json_object_set_new(o, "intercept", cli_json_real(vem_blr_intercept(b)));
    json_object_set_new(o, "noise_precision", cli_json_real(vem_blr_noise_precision(b)));
    size_t na = vem_blr_weight_precision_len(b);
    json_object_set_new(o, "weight_precision",
                        na == 1 ? cli_json_real(vem_blr_weight_precision(b)[0])
                                : cli_json_vector(vem_blr_weight_precision(b), na));
    if (vem_blr_ard(b)) {
        json_t *p = json_array();
        for (size_t j = 0; p && j < d; j++)
            json_array_append_new(p, json_boolean(vem_blr_pruned(b, j)));
        json_object_set_new(o, "pruned", p);
    }
}

static void blr_print(FILE *f, const vem_blr *b)
{
    const size_t d = vem_blr_d(b);
    const char *const *cols = vem_blr_columns(b);
    double *cov = malloc(d * d * sizeof *cov);
    char buf[32];
    if (cov)
        vem_blr_coef_cov(b, cov);
    fprintf(f, "%-16s %14s %14s%s\n", "feature", "coef", "posterior sd",
            vem_blr_ard(b) ? "  weight precision" : "");
    fprintf(f, "%-16s %14.8g\n", "(intercept)", vem_blr_intercept(b));
    for (size_t j = 0; j < d; j++) {
        fprintf(f, "%-16.40s %14.8g %14.6g", cli_column_label(cols, j, buf, sizeof buf), vem_blr_coef(b)[j],
                cov ? sqrt(cov[j * d + j]) : NAN);
        if (vem_blr_ard(b))
            fprintf(f, "  %.6g%s", vem_blr_weight_precision(b)[j],
                    vem_blr_pruned(b, j) ? " (pruned)" : "");
        fputc('\n', f);
    }
    fprintf(f, "noise precision: %.10g (noise sd %.6g)\n", vem_blr_noise_precision(b),
            1.0 / sqrt(vem_blr_noise_precision(b)));
    if (!vem_blr_ard(b))
        fprintf(f, "weight precision: %.10g\n", vem_blr_weight_precision(b)[0]);
    free(cov);
}

static int fit_blr(vb_args *a)
{
    if (!a->target) {
        cli_error("fit blr: missing --target COLUMN");
        return cli_usage_error("fit blr");
    }
    if ((a->prune_given || a->update_given) && !a->ard) {
        cli_error("fit blr: --%s applies to --ard (one precision per weight)",
                  a->prune_given ? "prune-threshold" : "ard-update");
        return cli_usage_error("fit blr");
    }
    double hp[4] = {1e-6, 1e-6, 1e-6, 1e-6};
    if (a->hyper && parse_hyper(a->hyper, hp))
        return cli_usage_error("fit blr");
    vem_blr *start = NULL;
    if (a->f.init_model) {
        /* Start from the model's hyperposteriors; its settings come with it. */
        if (a->ard || a->intercept_given || a->standardize || a->hyper || a->update_given) {
            cli_error("fit blr: --init-model takes --ard, --(no-)intercept, --standardize and the "
                      "hyperpriors from %s: leave them out",
                      a->f.init_model);
            return cli_usage_error("fit blr");
        }
        start = vem_blr_load(a->f.init_model);
        if (!start)
            return cli_fail(VEM_EFORMAT, a->f.init_model);
        a->ard = vem_blr_ard(start);
        a->update = vem_blr_ard_update(start);
        a->intercept = vem_blr_intercept_on(start);
        a->standardize = vem_blr_standardize_on(start);
        vem_blr_hyperpriors(start, hp);
        a->prune = vem_blr_prune_threshold(start);
    }
    vem_table t;
    double *x = NULL, *y = NULL;
    const char **names = NULL, *tname = NULL;
    size_t d = 0;
    vem_blr *b = NULL;
    size_t rows = 0;
    int rc = read_xy(a->data, &a->dopts, a->target, a->f.mpi, &t, &rows, &x, &y, &d, &names,
                     &tname);
    if (rc)
        goto out;
    if (start && vem_blr_d(start) != d) {
        cli_error("%s: %zu features, but %s has %zu", a->data, d, a->f.init_model,
                  vem_blr_d(start));
        rc = CLI_EXIT_INPUT;
        goto out;
    }
    const int from_model = start != NULL;
    b = start ? start : vem_blr_new(d);
    start = NULL;
    vem_status s = b ? VEM_OK : VEM_ENOMEM;
    /* A model from --init-model keeps its ARD setting as loaded: vem_blr_set_ard resets the
     * precisions, and the fit is to start from them. */
    if (s == VEM_OK && !from_model && (s = vem_blr_set_ard(b, a->ard)) == VEM_OK)
        s = vem_blr_set_ard_update(b, a->update);
    if (s == VEM_OK &&
        (s = vem_blr_set_intercept(b, a->intercept)) == VEM_OK &&
        (s = vem_blr_set_standardize(b, a->standardize)) == VEM_OK &&
        (s = vem_blr_set_hyperpriors(b, hp[0], hp[1], hp[2], hp[3])) == VEM_OK &&
        (s = vem_blr_set_prune_threshold(b, a->prune)) == VEM_OK)
        s = vem_blr_set_columns(b, names, tname);
    if (s != VEM_OK) {
        rc = cli_fail(s, "model");
        goto out;
    }
    vem_fit_opts o = a->f.opts;
    /* MacKay's ARD: ARDRegression's stopping test and its defaults (n_iter 300, tol 1e-3
     * on the sum of the weights' changes), unless given. */
    if (a->ard && a->update == VEM_BLR_MACKAY) {
        if (!cli_fit_given(&a->f, CLI_OPT_MAX_ITER) && !cli_fit_given(&a->f, CLI_OPT_PASSES))
            o.max_iter = a->f.opts.max_iter = 300;
        if (!cli_fit_given(&a->f, CLI_OPT_TOL))
            o.tol = a->f.opts.tol = 1e-3;
    }
    /* --mpi: every statistic of the fit (the standardisation and centring, the start,
     * the ESS and the ELBO's data terms) is summed over ranks by the reduce hook. */
    if (a->f.mpi)
        o.comm = cli_mpi_comm();
    vem_matrix xm = vem_matrix_view(x, t.rows, d);
    vem_fit_result res;
    cli_fit_running = 1;
    s = vem_blr_fit(b, &xm, y, &o, &res);
    cli_fit_running = 0;
    cli_progress_end_line();
    if (!cli_fit_usable(s)) {
        /* Under MPI every rank saw the same sums, so every rank failed alike: one message. */
        rc = cli_mpi_rank() == 0 ? cli_fail(s, a->data) : cli_exit_status(s);
        goto out;
    }
    if (a->ard && a->update == VEM_BLR_MACKAY && !res.converged && o.tol > 0.0)
        /* MacKay's test is on the weights, not on the objective the shared message quotes. */
        cli_warn("not converged after %zu iteration%s (the weights still moved by --tol %g "
                 "or more in all; raise --max-iter or --tol)",
                 res.n_iter, res.n_iter == 1 ? "" : "s", o.tol);
    else
        cli_warn_not_converged(&a->f, &res);
    if (a->f.output && cli_mpi_rank() == 0 && (s = vem_blr_save(b, a->f.output, &res)) != VEM_OK)
        rc = cli_fail(s, a->f.output);
    if ((rc = cli_mpi_agree(rc)) != 0) {
        vem_fit_result_clear(&res);
        goto out;
    }
    if (a->f.json) {
        json_t *j = json_object();
        if (j) {
            fit_json(j, &a->f, &res, rows);
            blr_json(j, b);
            json_object_set_new(j, "n_pruned", json_integer((json_int_t)vem_blr_n_pruned(b)));
        }
        rc = cli_json_emit(j);
    } else {
        printf("Bayesian linear regression (%s): %zu rows, %zu feature%s, target %s\n",
               !a->ard ? "mean-field VB"
               : a->update == VEM_BLR_MACKAY ? "ARD, MacKay's evidence updates"
                                             : "mean-field VB, ARD",
               rows, d, d == 1 ? "" : "s", tname ? tname : a->target);
        blr_print(stdout, b);
        cli_print_fit_tail(&a->f, &res);
    }
    vem_fit_result_clear(&res);
out:
    vem_blr_free(start);
    vem_blr_free(b);
    free(x);
    free(y);
    free(names);
    vem_table_clear(&t);
    return rc;
}

/* ------------------------------------------------------- model commands */

/* Features (and, with want_y, the target) for a BLR model from DATA. */
static int blr_data(const vb_args *a, const vem_blr *b, int want_y, vem_table *t, double **x,
                    double **y)
{
    const size_t d = vem_blr_d(b);
    const char *const *cols = vem_blr_columns(b);
    const char *target = a->target ? a->target : vem_blr_target(b);
    memset(t, 0, sizeof *t);
    if (want_y) {
        if (!target) {
            cli_error("score: the model does not name its target: give --target COLUMN");
            return CLI_EXIT_USAGE;
        }
        cli_data_opts o = a->dopts;
        char *spec = NULL;
        if (!o.columns && cols && !o.binary_cols) {
            size_t len = strlen(target) + 2;
            for (size_t j = 0; j < d; j++)
                len += strlen(cols[j]) + 1;
            spec = malloc(len);
            if (!spec)
                return CLI_EXIT_INPUT;
            spec[0] = '\0';
            for (size_t j = 0; j < d; j++) {
                if (j)
                    strcat(spec, ",");
                strcat(spec, cols[j]);
            }
            o.columns = spec;
        }
        const char **names = NULL, *tname = NULL;
        size_t dd = 0, rows = 0;
        int rc = read_xy(a->data, &o, target, 0, t, &rows, x, y, &dd, &names, &tname);
        free(spec);
        free(names);
        if (rc == 0 && dd != d) {
            cli_error("%s: %zu feature columns, but the model has %zu", a->data, dd, d);
            return CLI_EXIT_INPUT;
        }
        return rc;
    }
    int rc = cli_read_data(a->data, &a->dopts, cols, d, t);
    if (rc)
        return rc;
    *x = t->data;
    return 0;
}

/* Load a vbgmm model file and, when data, read DATA with its columns. NULL: reported, *rc. */
static vem_vbgmm *vbgmm_load(const vb_args *a, vem_table *t, int *rc)
{
    memset(t, 0, sizeof *t);
    *rc = 0;
    vem_vbgmm *v = vem_vbgmm_load(a->model);
    if (!v) {
        *rc = cli_fail(VEM_EFORMAT, a->model);
        return NULL;
    }
    if (a->data && (*rc = cli_read_data(a->data, &a->dopts, vem_vbgmm_columns(v), vem_vbgmm_d(v),
                                        t)) != 0) {
        vem_vbgmm_free(v);
        return NULL;
    }
    return v;
}

/* A JSON object naming the model kind, for predict and sample. */
static int vbgmm_predict(int argc, char **argv)
{
    vb_args a;
    vem_table t;
    int rc = parse_args(argc, argv, &cli_vbgmm_predict, "predict", 2, &a);
    vem_vbgmm *v = rc ? NULL : vbgmm_load(&a, &t, &rc);
    if (!v)
        return rc;
    const size_t k = vem_vbgmm_k(v);
    vem_matrix x = vem_table_matrix(&t);
    json_t *j = a.f.json ? cli_json_new("vbgmm") : NULL;
    if (a.proba) {
        double *p = malloc((t.rows ? t.rows : 1) * k * sizeof *p);
        vem_status s = p ? vem_vbgmm_predict_proba(v, &x, p) : VEM_ENOMEM;
        if (s != VEM_OK)
            rc = cli_fail(s, a.data);
        else if (j)
            json_object_set_new(j, "proba", cli_json_matrix(p, t.rows, k));
        else
            for (size_t r = 0; r < t.rows; r++)
                for (size_t c = 0; c < k; c++)
                    printf("%.10g%c", p[r * k + c], c + 1 < k ? ',' : '\n');
        free(p);
    } else {
        size_t *l = malloc((t.rows ? t.rows : 1) * sizeof *l);
        vem_status s = l ? vem_vbgmm_predict(v, &x, l) : VEM_ENOMEM;
        if (s != VEM_OK)
            rc = cli_fail(s, a.data);
        else if (j)
            json_object_set_new(j, "labels", cli_json_indices(l, t.rows));
        else
            for (size_t r = 0; r < t.rows; r++)
                printf("%zu\n", l[r]);
        free(l);
    }
    if (j && rc == 0)
        rc = cli_json_emit(j);
    else
        json_decref(j);
    vem_vbgmm_free(v);
    vem_table_clear(&t);
    return rc;
}

/* The lines and keys of a score under the posterior predictive density (vbgmm and blr). */
static int score_report(const vb_args *a, const char *kind, size_t n, double mean, double total)
{
    if (!a->f.json) {
        cli_print_score("log predictive density", "rows", n, "row", n, total);
        return 0;
    }
    json_t *j = json_object();
    if (j) {
        cli_json_score_common(j, kind, "log_likelihood", n, n, total);
        json_object_set_new(j, "n", json_integer((json_int_t)n));
        json_object_set_new(j, "mean_log_likelihood", cli_json_real(mean));
        json_object_set_new(j, "total_log_likelihood", cli_json_real(total));
        json_object_set_new(j, "log_likelihood", cli_json_real(total));
        json_object_set_new(j, "density", json_string("posterior predictive"));
    }
    return cli_json_emit(j);
}

static int vbgmm_score(int argc, char **argv)
{
    vb_args a;
    vem_table t;
    int rc = parse_args(argc, argv, &cli_vbgmm_score, "score", 2, &a);
    vem_vbgmm *v = rc ? NULL : vbgmm_load(&a, &t, &rc);
    if (!v)
        return rc;
    vem_matrix x = vem_table_matrix(&t);
    double mean = 0, total = 0;
    vem_status s = vem_vbgmm_score(v, &x, &mean, &total);
    rc = s != VEM_OK ? cli_fail(s, a.data) : score_report(&a, "vbgmm", t.rows, mean, total);
    vem_vbgmm_free(v);
    vem_table_clear(&t);
    return rc;
}

static int vbgmm_info(int argc, char **argv)
{
    vb_args a;
    vem_table t;
    int rc = parse_args(argc, argv, &cli_vbgmm_info, "info", 1, &a);
    vem_vbgmm *v = rc ? NULL : vbgmm_load(&a, &t, &rc);
    if (!v)
        return rc;
    if (a.f.json) {
        json_t *j = json_object();
        if (j)
            vbgmm_json(j, v);
        rc = cli_json_emit(j);
    } else {
        printf("model: vbgmm (variational Bayesian Gaussian mixture)\n");
        printf("components: K=%zu (%s weight prior), effective %zu\nfeatures: D=%zu\n",
               vem_vbgmm_k(v), vem_vb_weight_prior_name(vem_vbgmm_weight_prior(v)),
               vem_vbgmm_effective_components(v), vem_vbgmm_d(v));
        printf("covariance: %s\n", vem_cov_name(vem_vbgmm_cov(v)));
        printf("priors: weight concentration %g, mean precision %g, dof %g, reg_covar %g\n",
               vem_vbgmm_weight_concentration_prior(v), vem_vbgmm_mean_precision_prior(v),
               vem_vbgmm_dof_prior(v), vem_vbgmm_reg_covar(v));
        vbgmm_print(stdout, v);
    }
    vem_vbgmm_free(v);
    return rc;
}

/* vem sample MODEL -n N: draws from a vbgmm model's posterior predictive density. */
static int vbgmm_sample(int argc, char **argv)
{
    cli_sample_args a;
    int rc = cli_sample_parse(argc, argv, &a);
    if (rc != 0)
        return rc;
    vem_vbgmm *v = vem_vbgmm_load(a.model);
    if (!v)
        return cli_fail(VEM_EFORMAT, a.model);
    size_t n = a.n, d = vem_vbgmm_d(v);
    double *s = n <= SIZE_MAX / sizeof *s / d ? malloc(n * d * sizeof *s) : NULL;
    size_t *lab = malloc(n * sizeof *lab);
    vem_rng rng;
    vem_rng_seed(&rng, a.seed);
    vem_status st = s && lab ? vem_vbgmm_sample(v, n, &rng, s, lab) : VEM_ENOMEM;
    if (st != VEM_OK)
        rc = cli_fail(st, "sample");
    else
        rc = cli_sample_print("vbgmm", s, lab, n, d, vem_vbgmm_columns(v), "component", a.json);
    free(s);
    free(lab);
    vem_vbgmm_free(v);
    return rc;
}

/* Load a blr model file and read DATA: features, and with want_y the target. NULL: *rc. */
static vem_blr *blr_load(const vb_args *a, int want_y, vem_table *t, double **x, double **y,
                         int *rc)
{
    *x = *y = NULL;
    memset(t, 0, sizeof *t);
    *rc = 0;
    vem_blr *b = vem_blr_load(a->model);
    if (!b) {
        *rc = cli_fail(VEM_EFORMAT, a->model);
        return NULL;
    }
    if (a->data && (*rc = blr_data(a, b, want_y, t, x, y)) != 0) {
        if (want_y) {
            free(*x);
            free(*y);
        }
        vem_table_clear(t);
        vem_blr_free(b);
        return NULL;
    }
    return b;
}

static int blr_predict(int argc, char **argv)
{
    vb_args a;
    vem_table t;
    double *x, *y;
    int rc = parse_args(argc, argv, &cli_blr_predict, "predict", 2, &a);
    vem_blr *b = rc ? NULL : blr_load(&a, 0, &t, &x, &y, &rc);
    if (!b)
        return rc;
    const size_t n = t.rows;
    vem_matrix xm = vem_matrix_view(x, n, vem_blr_d(b));
    double *m = malloc((n ? n : 1) * sizeof *m), *sd = malloc((n ? n : 1) * sizeof *sd);
    vem_status s = m && sd ? vem_blr_predict(b, &xm, m, sd) : VEM_ENOMEM;
    if (s != VEM_OK) {
        rc = cli_fail(s, a.data);
    } else if (a.f.json) {
        json_t *j = cli_json_new("blr");
        if (j) {
            json_object_set_new(j, "mean", cli_json_vector(m, n));
            json_object_set_new(j, "sd", cli_json_vector(sd, n));
        }
        rc = cli_json_emit(j);
    } else {
        printf("mean,sd\n");
        for (size_t r = 0; r < n; r++)
            printf("%.10g,%.10g\n", m[r], sd[r]);
    }
    free(m);
    free(sd);
    vem_blr_free(b);
    vem_table_clear(&t);
    return rc;
}

static int blr_score(int argc, char **argv)
{
    vb_args a;
    vem_table t;
    double *x, *y;
    int rc = parse_args(argc, argv, &cli_blr_score, "score", 2, &a);
    vem_blr *b = rc ? NULL : blr_load(&a, 1, &t, &x, &y, &rc);
    if (!b)
        return rc;
    vem_matrix xm = vem_matrix_view(x, t.rows, vem_blr_d(b));
    double mean = 0, total = 0;
    vem_status s = vem_blr_score(b, &xm, y, &mean, &total);
    rc = s != VEM_OK ? cli_fail(s, a.data) : score_report(&a, "blr", t.rows, mean, total);
    free(x);
    free(y);
    vem_blr_free(b);
    vem_table_clear(&t);
    return rc;
}

static int blr_info(int argc, char **argv)
{
    vb_args a;
    vem_table t;
    double *x, *y;
    int rc = parse_args(argc, argv, &cli_blr_info, "info", 1, &a);
    vem_blr *b = rc ? NULL : blr_load(&a, 0, &t, &x, &y, &rc);
    if (!b)
        return rc;
    if (a.f.json) {
        json_t *j = json_object();
        if (j)
            blr_json(j, b);
        rc = cli_json_emit(j);
    } else {
        printf("model: blr (Bayesian linear regression, %s)\n",
               !vem_blr_ard(b) ? "mean-field VB"
               : vem_blr_ard_update(b) == VEM_BLR_MACKAY ? "ARD, MacKay's evidence updates"
                                                         : "mean-field VB, ARD");
        printf("features: D=%zu, target: %s\nintercept: %s, standardize: %s\n", vem_blr_d(b),
               vem_blr_target(b) ? vem_blr_target(b) : "(not named)",
               vem_blr_intercept_on(b) ? "yes" : "no", vem_blr_standardize_on(b) ? "yes" : "no");
        blr_print(stdout, b);
    }
    vem_blr_free(b);
    return rc;
}

static int vbgmm_fit(int argc, char **argv)
{
    vb_args a;
    int rc = parse_args(argc, argv, &cli_vbgmm_fit, "fit vbgmm", 2, &a);
    return rc ? rc : fit_vbgmm(&a);
}

static int blr_fit(int argc, char **argv)
{
    vb_args a;
    int rc = parse_args(argc, argv, &cli_blr_fit, "fit blr", 2, &a);
    return rc ? rc : fit_blr(&a);
}

const cli_verb cli_vbgmm_fit = {
    vbgmm_fit, "DATA -k K [options]",
    "Fit a Bayesian Gaussian mixture by variational Bayes (coordinate ascent).\n"
    "K is an upper bound: unneeded components empty out. Priors default as\n"
    "scikit-learn's BayesianGaussianMixture. --algorithm stepwise is stochastic\n"
    "variational inference (Hoffman et al. 2013): minibatch statistics blended,\n"
    "S <- (1 - rho) S + rho (N/|B|) s_B, then the update of the global factors.\n"
    "--algorithm lbfgs or em-lbfgs maximises the ELBO by L-BFGS on its gradient\n"
    "(docs/acceleration.md).\n"
    "--init-model starts from a fitted model's priors and posterior; --mpi sums\n"
    "the statistics over processes (docs/vb.md).",
    vbgmm_fit_tables, &vbgmm_kind};
const cli_verb cli_vbgmm_predict = {
    vbgmm_predict, "MODEL DATA [--proba] [options]",
    "The most probable component (0-based) of each row of DATA under the posterior\n"
    "predictive mixture, one per line, or with --proba the K component probabilities\n"
    "per row (CSV). When the model names its columns and DATA has a header, the same\n"
    "columns are selected by name.",
    vbgmm_predict_tables, NULL};
const cli_verb cli_vbgmm_score = {
    vbgmm_score, "MODEL DATA [options]",
    "The number of rows and the total and mean log density (nats) of DATA under the\n"
    "model's posterior predictive (a mixture of Student t). Columns as for predict.",
    data_tables, NULL};
const cli_verb cli_vbgmm_sample = {
    vbgmm_sample, "MODEL -n N [--seed S]",
    "Draw N rows from the model's posterior predictive density; CSV with a header\n"
    "(the model's columns, then 'component').",
    cli_sample_tables, NULL};
const cli_verb cli_vbgmm_info = {
    vbgmm_info, "MODEL",
    "Describe a model file: K and the effective components, D, covariance, priors,\n"
    "and the weight, expected count and mean of each component.",
    info_tables, NULL};
const cli_verb cli_blr_fit = {
    blr_fit, "DATA --target COLUMN [options]",
    "Bayesian linear regression by mean-field variational Bayes, q(w) q(alpha) q(beta)\n"
    "with Gamma hyperpriors (scikit-learn's BayesianRidge fixed point). --ard: one\n"
    "precision per weight, by default by MacKay's evidence updates with pruning and\n"
    "stopping as scikit-learn's ARDRegression (--tol, --max-iter: see --ard-update).\n"
    "The features are --columns, or every column but the target.\n"
    "--init-model starts from a fitted model's settings and hyperposteriors q(alpha),\n"
    "q(beta); --mpi sums the statistics over processes (docs/vb.md).",
    blr_fit_tables, &blr_kind};
const cli_verb cli_blr_predict = {
    blr_predict, "MODEL DATA [options]",
    "The predictive mean and standard deviation of the target for each row of DATA\n"
    "(CSV: mean,sd). When the model names its features and DATA has a header, the\n"
    "same columns are selected by name.",
    data_tables, NULL};
const cli_verb cli_blr_score = {
    blr_score, "MODEL DATA [options]",
    "The number of rows and the total and mean log predictive density (nats) of the\n"
    "target of DATA under the model. Features are selected as for predict.",
    blr_score_tables, NULL};
const cli_verb cli_blr_info = {
    blr_info, "MODEL",
    "Describe a model file: features, target, settings, coefficients with their\n"
    "posterior sd, and the noise and weight precisions.",
    info_tables, NULL};
