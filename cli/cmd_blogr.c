/*
 * cli/cmd_blogr.c — Bayesian logistic regression by stochastic variational
 * inference (include/vem/blogr.h, docs/blogr.md):
 *
 *     vem fit blogr DATA --target COLUMN [--full-rank | --mean-field] [--samples L]
 *                   [--epochs N] [--batch-size B] [--lr R] [--prior-var V] -o m.json
 *     vem predict|score|info MODEL ...   on "blogr" model files
 *
 * The fit runs the engine's Adam in four stages of N/4 epochs (warm starts) with
 * step sizes R, R/4, R/20, R/100 (docs/blogr.md: a decaying step size brings q
 * to the optimum instead of a noise ball around it); --constant-lr runs one stage.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

extern const cli_verb cli_blogr_fit, cli_blogr_predict, cli_blogr_score, cli_blogr_info;

enum {
    OPT_TARGET = CLI_OPT_OWN,
    OPT_FULL_RANK,
    OPT_MEAN_FIELD,
    OPT_SAMPLES,
    OPT_EPOCHS,
    OPT_LR,
    OPT_CONSTANT_LR,
    OPT_PRIOR_VAR,
    OPT_NO_INTERCEPT,
    OPT_NO_STANDARDIZE,
};

static const cli_option fit_options[] = {
    {"target", 0, 1, OPT_TARGET, "COLUMN", "the 0/1 label: a header name or 1-based index"},
    {"full-rank", 0, 0, OPT_FULL_RANK, NULL, "q(w) a Gaussian with a full covariance"},
    {"mean-field", 0, 0, OPT_MEAN_FIELD, NULL, "q(w) a Gaussian with a diagonal covariance (default)"},
    {"samples", 0, 1, OPT_SAMPLES, "L", "Monte-Carlo draws per row in the gradient (default 1)"},
    {"epochs", 0, 1, OPT_EPOCHS, "N", "passes over the data (default 1000; as --max-iter)"},
    {"lr", 0, 1, OPT_LR, "R", "Adam's first step size (default 0.01; then R/4, R/20, R/100)"},
    {"constant-lr", 0, 0, OPT_CONSTANT_LR, NULL, "keep the step size R for every epoch"},
    {"prior-var", 0, 1, OPT_PRIOR_VAR, "V", "prior variance of each weight (default 10)"},
    {"no-intercept", 0, 0, OPT_NO_INTERCEPT, NULL, "no intercept weight"},
    {"no-standardize", 0, 0, OPT_NO_STANDARDIZE, NULL, "use the features as they are"},
    {NULL, 0, 0, 0, NULL, NULL},
};

static const cli_option score_options[] = {
    {"target", 0, 1, OPT_TARGET, "COLUMN",
     "the 0/1 label: a header name or 1-based index\n(default: the model's target)"},
    {NULL, 0, 0, 0, NULL, NULL},
};

static const cli_option *const fit_tables[] = {fit_options, cli_engine_options,
                                               cli_common_options, cli_data_options, NULL};
static const cli_option *const data_tables[] = {cli_common_options, cli_data_options, NULL};
static const cli_option *const score_tables[] = {score_options, cli_common_options,
                                                 cli_data_options, NULL};
static const cli_option *const info_tables[] = {cli_common_options, NULL};

static void blogr_defaults(vem_fit_opts *o)
{
    o->algorithm = VEM_ALG_ADAM;
    o->max_iter = 1000;
    o->tol = 0.0; /* a stochastic objective: run the epochs */
    o->batch_size = 32;
}

/* Adam from a deterministic start; the options of other algorithms, restarts and
 * the out-of-core, distributed and checkpointed paths are not offered (yet). */
static const cli_fit_kind blogr_kind = {
    "blogr", "ELBO", "row", "rows",
    CLI_MC_OPTIONS | CLI_ENGINE_BIT(CLI_OPT_TOL_RULE) |
        CLI_ENGINE_BIT(CLI_OPT_ACCELERATE) |
    CLI_ENGINE_BIT(CLI_OPT_N_INIT) | CLI_ENGINE_BIT(CLI_OPT_ALGORITHM) |
        CLI_ENGINE_BIT(CLI_OPT_KAPPA) | CLI_ENGINE_BIT(CLI_OPT_TAU) |
        CLI_ENGINE_BIT(CLI_OPT_N_BLOCKS) | CLI_ENGINE_BIT(CLI_OPT_STREAM) |
        CLI_ENGINE_BIT(CLI_OPT_EVAL_PASSES) | CLI_ENGINE_BIT(CLI_OPT_TRACE_STEPS) |
        CLI_ENGINE_BIT(CLI_OPT_INIT_MODEL) | CLI_ENGINE_BIT(CLI_OPT_MPI) |
        CLI_ENGINE_BIT(CLI_OPT_CHECKPOINT) | CLI_ENGINE_BIT(CLI_OPT_CHECKPOINT_EVERY) |
        CLI_ENGINE_BIT(CLI_OPT_RESUME) | CLI_ENGINE_BIT(CLI_OPT_TOL),
    blogr_defaults};

typedef struct args {
    const char *model, *data, *target;
    int full_rank, mean_field, constant_lr, no_intercept, no_standardize;
    size_t samples, epochs;
    int epochs_given;
    double lr, prior_var;
    cli_fit_args f;
    cli_data_opts dopts;
} args;

static int own_option(args *a, int id, const char *val)
{
    switch (id) {
    case OPT_TARGET:
        a->target = val;
        return 0;
    case OPT_FULL_RANK:
        a->full_rank = 1;
        return 0;
    case OPT_MEAN_FIELD:
        a->mean_field = 1;
        return 0;
    case OPT_SAMPLES:
        return cli_parse_size("--samples", val, 1, 100000, &a->samples);
    case OPT_EPOCHS:
        a->epochs_given = 1;
        return cli_parse_size("--epochs", val, 1, 100000000, &a->epochs);
    case OPT_LR:
        return cli_parse_double("--lr", val, 0.0, 1, &a->lr);
    case OPT_CONSTANT_LR:
        a->constant_lr = 1;
        return 0;
    case OPT_PRIOR_VAR:
        return cli_parse_double("--prior-var", val, 0.0, 1, &a->prior_var);
    case OPT_NO_INTERCEPT:
        a->no_intercept = 1;
        return 0;
    case OPT_NO_STANDARDIZE:
        a->no_standardize = 1;
        return 0;
    default:
        return -1;
    }
}

/* own_option for cli_parse_model_command. */
static int own_option_cb(void *a, int id, const char *val)
{
    return own_option(a, id, val);
}

static int parse_args(int argc, char **argv, const cli_verb *v, const char *cmd, int nops,
                      args *a)
{
    memset(a, 0, sizeof *a);
    cli_data_opts_init(&a->dopts);
    cli_fit_args_init(&a->f, &blogr_kind);
    a->samples = 1;
    a->lr = 0.01;
    a->prior_var = 10.0;
    cli_parser p;
    cli_parser_init(&p, argc, argv, 2, v->tables, v->fit ? v->fit->exclude : 0, cmd);
    int rc = cli_parse_model_command(&p, nops, &a->model, &a->data, own_option_cb, a, &a->f,
                                     &a->dopts);
    if (rc == 0 && (!a->model || (nops > 1 && !a->data))) {
        cli_error("%s: missing %s", cmd, a->model || v->fit ? "DATA" : "MODEL");
        rc = CLI_EXIT_USAGE;
    }
    if (rc == 0 && a->full_rank && a->mean_field) {
        cli_error("%s: --full-rank and --mean-field: give one", cmd);
        rc = CLI_EXIT_USAGE;
    }
    if (rc == 0 && a->epochs_given && cli_fit_given(&a->f, CLI_OPT_MAX_ITER)) {
        cli_error("%s: --epochs and --max-iter: give one", cmd);
        rc = CLI_EXIT_USAGE;
    }
    if (rc == 0 && nops > 1 && cli_data_opts_check(&a->dopts))
        rc = CLI_EXIT_USAGE;
    if (rc == 0 && v->fit && cli_fit_args_check(&a->f, cmd))
        rc = CLI_EXIT_USAGE;
    return rc == 0 ? 0 : cli_usage_error(cmd);
}

/* Column index of target in t (a header name or a 1-based index); t->cols if none. */
static size_t target_column(const vem_table *t, const char *target)
{
    for (size_t j = 0; j < t->cols; j++)
        if (cli_table_has_names(t) && strcmp(t->names[j], target) == 0)
            return j;
    if (*target && strspn(target, "0123456789") == strlen(target)) {
        size_t idx = (size_t)strtoull(target, NULL, 10);
        if (idx >= 1 && idx <= t->cols)
            return idx - 1;
    }
    return t->cols;
}

/* Split t into features x (n x (cols - 1)) and labels y at column tc (new arrays). */
static int split_xy(const vem_table *t, size_t tc, double **x, double **y)
{
    const size_t n = t->rows, d = t->cols - 1;
    *x = malloc((n ? n : 1) * d * sizeof **x);
    *y = malloc((n ? n : 1) * sizeof **y);
    if (!*x || !*y) {
        cli_error("out of memory");
        return CLI_EXIT_INPUT;
    }
    for (size_t r = 0; r < n; r++)
        for (size_t j = 0, c = 0; j < t->cols; j++) {
            if (j == tc)
                (*y)[r] = t->data[r * t->cols + j];
            else
                (*x)[r * d + c++] = t->data[r * t->cols + j];
        }
    return 0;
}

static void model_json(json_t *o, const vem_blogr *b)
{
    const size_t d = vem_blogr_d(b), p = vem_blogr_n_weights(b);
    json_object_set_new(o, "model", json_string("blogr"));
    json_object_set_new(o, "n_features", json_integer((json_int_t)d));
    const char *const *cols = vem_blogr_columns(b);
    if (cols) {
        json_t *a = json_array();
        for (size_t j = 0; a && j < d; j++)
            json_array_append_new(a, json_string(cols[j]));
        json_object_set_new(o, "columns", a);
    }
    if (vem_blogr_target(b))
        json_object_set_new(o, "target", json_string(vem_blogr_target(b)));
    json_object_set_new(o, "family", json_string(vem_blogr_family_name(vem_blogr_family_of(b))));
    json_object_set_new(o, "fit_intercept", json_boolean(vem_blogr_intercept_on(b)));
    json_object_set_new(o, "standardize", json_boolean(vem_blogr_standardize_on(b)));
    json_object_set_new(o, "prior_var", cli_json_real(vem_blogr_prior_var(b)));
    double *m = malloc((d + 1) * (d + 2) * sizeof *m), *qc = malloc(p * p * sizeof *qc);
    if (m && qc && vem_blogr_coef(b, m, m + d + 1) == VEM_OK) {
        double *c = m + d + 1;
        vem_blogr_q_cov(b, qc);
        json_object_set_new(o, "coef", cli_json_vector(m, d));
        json_object_set_new(o, "intercept", cli_json_real(m[d]));
        json_object_set_new(o, "coef_covariance", cli_json_matrix(c, d + 1, d + 1));
        json_object_set_new(o, "q_mean", cli_json_vector(vem_blogr_q_mean(b), p));
        json_object_set_new(o, "q_covariance", cli_json_matrix(qc, p, p));
    }
    free(m);
    free(qc);
}

static void model_print(FILE *f, const vem_blogr *b)
{
    const size_t d = vem_blogr_d(b);
    double *m = malloc((d + 1) * (d + 2) * sizeof *m);
    char buf[32];
    double *c = m ? m + d + 1 : NULL;
    if (!m || vem_blogr_coef(b, m, c) != VEM_OK) {
        free(m);
        fprintf(f, "(out of memory)\n");
        return;
    }
    fprintf(f, "%-16s %14s %14s\n", "feature", "coef", "posterior sd");
    fprintf(f, "%-16s %14.8g %14.6g\n", "(intercept)", m[d], sqrt(c[d * (d + 1) + d]));
    for (size_t j = 0; j < d; j++)
        fprintf(f, "%-16.40s %14.8g %14.6g\n", cli_column_label(vem_blogr_columns(b), j, buf,
                                                                 sizeof buf),
                m[j], sqrt(c[j * (d + 1) + j]));
    free(m);
}

static int fit(args *a)
{
    if (!a->target) {
        cli_error("fit blogr: missing --target COLUMN");
        return cli_usage_error("fit blogr");
    }
    vem_table t;
    double *x = NULL, *y = NULL;
    const char **names = NULL;
    vem_blogr *b = NULL;
    vem_fit_result res;
    memset(&res, 0, sizeof res);
    int rc = cli_read_data(a->data, &a->dopts, NULL, 0, &t);
    if (rc)
        return rc;
    size_t tc = target_column(&t, a->target);
    if (tc == t.cols) {
        cli_error("%s: no column '%s' for --target (a header name or a 1-based index up to %zu)",
                  a->data, a->target, t.cols);
        rc = CLI_EXIT_INPUT;
        goto out;
    }
    if (t.cols < 2) {
        cli_error("%s: a regression needs at least one feature besides the target", a->data);
        rc = CLI_EXIT_INPUT;
        goto out;
    }
    const size_t d = t.cols - 1;
    if ((rc = split_xy(&t, tc, &x, &y)) != 0)
        goto out;
    if (cli_table_has_names(&t) && (names = malloc(d * sizeof *names)) != NULL)
        for (size_t j = 0, c = 0; j < t.cols; j++)
            if (j != tc)
                names[c++] = t.names[j];
    b = vem_blogr_new(d);
    vem_status s = b ? VEM_OK : VEM_ENOMEM;
    if (s == VEM_OK &&
        (s = vem_blogr_set_family(b, a->full_rank ? VEM_BLOGR_FULL_RANK
                                                  : VEM_BLOGR_MEAN_FIELD)) == VEM_OK &&
        (s = vem_blogr_set_intercept(b, !a->no_intercept)) == VEM_OK &&
        (s = vem_blogr_set_standardize(b, !a->no_standardize)) == VEM_OK &&
        (s = vem_blogr_set_prior_var(b, a->prior_var)) == VEM_OK &&
        (s = vem_blogr_set_samples(b, a->samples)) == VEM_OK)
        s = vem_blogr_set_columns(b, names, cli_table_has_names(&t) ? t.names[tc] : NULL);
    if (s != VEM_OK) {
        rc = cli_fail(s, "model");
        goto out;
    }
    vem_blogr_set_seed(b, a->f.seed);
    vem_fit_opts o = a->f.opts;
    size_t epochs = a->epochs_given ? a->epochs : o.max_iter;
    a->f.opts.max_iter = epochs; /* what --json reports */
    const double factors[4] = {1.0, 0.25, 0.05, 0.01};
    const int stages = a->constant_lr ? 1 : 4;
    vem_matrix xm = vem_matrix_view(x, t.rows, d);
    size_t done = 0;
    for (int st = 0; st < stages; st++) {
        size_t e = a->constant_lr ? epochs : epochs / 4 + (st < (int)(epochs % 4) ? 1 : 0);
        if (e == 0)
            continue;
        o.max_iter = e;
        o.lr = a->lr * factors[st];
        o.warm_start = done > 0;
        vem_fit_result_clear(&res);
        cli_fit_running = 1;
        s = vem_blogr_fit(b, &xm, y, &o, &res);
        cli_fit_running = 0;
        cli_progress_end_line();
        if (!cli_fit_usable(s)) {
            rc = cli_fail(s, a->data);
            goto out;
        }
        done += res.n_iter;
        if (res.interrupted)
            break;
    }
    res.n_iter = done;
    if (a->f.output && (s = vem_blogr_save(b, a->f.output, &res)) != VEM_OK) {
        rc = cli_fail(s, a->f.output);
        goto out;
    }
    if (a->f.json) {
        json_t *j = json_object();
        if (j) {
            cli_json_fit_common(j, &a->f, &res, t.rows);
            json_object_set_new(j, "n", json_integer((json_int_t)t.rows));
            json_object_set_new(j, "elbo", cli_json_real(res.objective));
            json_object_set_new(j, "mean_elbo", cli_json_real(res.objective / (double)t.rows));
            model_json(j, b);
        }
        rc = cli_json_emit(j);
    } else {
        printf("Bayesian logistic regression (SVI, %s q): %zu rows, %zu feature%s, target %s\n",
               vem_blogr_family_name(vem_blogr_family_of(b)), t.rows, d, d == 1 ? "" : "s",
               vem_blogr_target(b) ? vem_blogr_target(b) : a->target);
        model_print(stdout, b);
        cli_print_fit_tail(&a->f, &res);
    }
out:
    vem_fit_result_clear(&res);
    vem_blogr_free(b);
    free(x);
    free(y);
    free(names);
    vem_table_clear(&t);
    return rc;
}

/* The model file and DATA's features (the model's columns by name where it has them);
 * with want_y the labels too. NULL: reported, *rc. */
static vem_blogr *load(const args *a, int want_y, vem_table *t, double **x, double **y, int *rc)
{
    *x = *y = NULL;
    memset(t, 0, sizeof *t);
    vem_blogr *b = vem_blogr_load(a->model);
    if (!b) {
        *rc = cli_fail(VEM_EFORMAT, a->model);
        return NULL;
    }
    *rc = 0;
    if (!a->data)
        return b;
    const size_t d = vem_blogr_d(b);
    if (!want_y) {
        if ((*rc = cli_read_data(a->data, &a->dopts, vem_blogr_columns(b), d, t)) == 0)
            *x = t->data;
        if (*rc) {
            vem_table_clear(t);
            vem_blogr_free(b);
            return NULL;
        }
        return b;
    }
    const char *target = a->target ? a->target : vem_blogr_target(b);
    if (!target) {
        cli_error("score: the model does not name its target: give --target COLUMN");
        *rc = CLI_EXIT_USAGE;
    } else if ((*rc = cli_read_data(a->data, &a->dopts, NULL, 0, t)) == 0) {
        size_t tc = target_column(t, target);
        if (tc == t->cols || t->cols != d + 1) {
            cli_error("%s: expected %zu feature columns and the target '%s'", a->data, d, target);
            *rc = CLI_EXIT_INPUT;
        } else {
            *rc = split_xy(t, tc, x, y);
        }
    }
    if (*rc) {
        free(*x);
        free(*y);
        vem_table_clear(t);
        vem_blogr_free(b);
        return NULL;
    }
    return b;
}

static int blogr_predict(int argc, char **argv)
{
    args a;
    vem_table t;
    double *x, *y;
    int rc = parse_args(argc, argv, &cli_blogr_predict, "predict", 2, &a);
    vem_blogr *b = rc ? NULL : load(&a, 0, &t, &x, &y, &rc);
    if (!b)
        return rc;
    const size_t n = t.rows;
    vem_matrix xm = vem_matrix_view(x, n, vem_blogr_d(b));
    double *p = malloc((n ? n : 1) * sizeof *p);
    vem_status s = p ? vem_blogr_predict(b, &xm, p) : VEM_ENOMEM;
    if (s != VEM_OK) {
        rc = cli_fail(s, a.data);
    } else if (a.f.json) {
        json_t *j = cli_json_new("blogr");
        if (j)
            json_object_set_new(j, "probability", cli_json_vector(p, n));
        rc = cli_json_emit(j);
    } else {
        printf("probability\n");
        for (size_t r = 0; r < n; r++)
            printf("%.10g\n", p[r]);
    }
    free(p);
    vem_blogr_free(b);
    vem_table_clear(&t);
    return rc;
}

static int blogr_score(int argc, char **argv)
{
    args a;
    vem_table t;
    double *x, *y;
    int rc = parse_args(argc, argv, &cli_blogr_score, "score", 2, &a);
    vem_blogr *b = rc ? NULL : load(&a, 1, &t, &x, &y, &rc);
    if (!b)
        return rc;
    vem_matrix xm = vem_matrix_view(x, t.rows, vem_blogr_d(b));
    double mean = 0, total = 0;
    vem_status s = vem_blogr_score(b, &xm, y, &mean, &total);
    if (s != VEM_OK) {
        rc = cli_fail(s, a.data);
    } else if (!a.f.json) {
        cli_print_score("log predictive probability", "rows", t.rows, "row", t.rows, total);
    } else {
        json_t *j = json_object();
        if (j) {
            cli_json_score_common(j, "blogr", "log_likelihood", t.rows, t.rows, total);
            json_object_set_new(j, "n", json_integer((json_int_t)t.rows));
            json_object_set_new(j, "mean_log_likelihood", cli_json_real(mean));
            json_object_set_new(j, "total_log_likelihood", cli_json_real(total));
            json_object_set_new(j, "log_likelihood", cli_json_real(total));
            json_object_set_new(j, "density", json_string("posterior predictive"));
        }
        rc = cli_json_emit(j);
    }
    free(x);
    free(y);
    vem_blogr_free(b);
    vem_table_clear(&t);
    return rc;
}

static int blogr_info(int argc, char **argv)
{
    args a;
    vem_table t;
    double *x, *y;
    int rc = parse_args(argc, argv, &cli_blogr_info, "info", 1, &a);
    vem_blogr *b = rc ? NULL : load(&a, 0, &t, &x, &y, &rc);
    if (!b)
        return rc;
    if (a.f.json) {
        json_t *j = json_object();
        if (j)
            model_json(j, b);
        rc = cli_json_emit(j);
    } else {
        printf("model: blogr (Bayesian logistic regression by SVI, %s q)\n",
               vem_blogr_family_name(vem_blogr_family_of(b)));
        printf("features: D=%zu, target: %s\nintercept: %s, standardize: %s, prior variance: "
               "%g\n",
               vem_blogr_d(b), vem_blogr_target(b) ? vem_blogr_target(b) : "(not named)",
               vem_blogr_intercept_on(b) ? "yes" : "no",
               vem_blogr_standardize_on(b) ? "yes" : "no", vem_blogr_prior_var(b));
        model_print(stdout, b);
    }
    vem_blogr_free(b);
    return rc;
}

static int blogr_fit(int argc, char **argv)
{
    args a;
    int rc = parse_args(argc, argv, &cli_blogr_fit, "fit blogr", 2, &a);
    return rc ? rc : fit(&a);
}

const cli_verb cli_blogr_fit = {
    blogr_fit, "DATA --target COLUMN [options]",
    "Bayesian logistic regression by stochastic variational inference: a Gaussian\n"
    "q(w) (mean-field or full-rank) fitted by Adam on reparameterised gradients of\n"
    "the ELBO, prior N(0, V I) on standardised features plus an intercept. The step\n"
    "size falls from R to R/100 in four stages of the epochs (docs/blogr.md).",
    fit_tables, &blogr_kind};
const cli_verb cli_blogr_predict = {
    blogr_predict, "MODEL DATA [options]",
    "The predictive probability p(y = 1 | x) = E_q[sigmoid(z^T w)] of each row of\n"
    "DATA. When the model names its features and DATA has a header, the same\n"
    "columns are selected by name.",
    data_tables, NULL};
const cli_verb cli_blogr_score = {
    blogr_score, "MODEL DATA [options]",
    "The number of rows and the total and mean log predictive probability (nats) of\n"
    "the labels of DATA (the model's target column, or --target) under the model.",
    score_tables, NULL};
const cli_verb cli_blogr_info = {
    blogr_info, "MODEL",
    "Describe a model file: features, target, settings, coefficients with their\n"
    "posterior sd on the input scale.",
    info_tables, NULL};
