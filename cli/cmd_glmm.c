/*
 * cli/cmd_glmm.c — random-intercept generalized linear mixed models (include/vem/glmm.h,
 * docs/glmm.md):
 *
 *     vem fit glmm DATA --target y --group g [--family binomial|poisson] [--columns x1,x2]
 *                  [--no-intercept] [--quadrature-nodes N] [--algorithm batch|mcem|sem|cem]
 *                  [--stream] [--mpi] [--checkpoint FILE] [--resume FILE] [--n-init N]
 *     vem predict|score|info MODEL ...   on "glmm" model files
 *
 * DATA is read whole; the features are --columns (names or 1-based indices), or every
 * column but the target and the group. Rows need not be sorted by group: when a group's
 * rows are not contiguous, fit and score sort them (stably) so that they are, as the
 * library wants (DATA's order is kept otherwise). With --stream or --mpi the groups are
 * read from a CSV/TSV file whose groups' rows must be contiguous (the runs of the group
 * column, as an HMM's sequences): each process reads, or streams, its share of whole
 * groups.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

extern const cli_verb cli_glmm_fit, cli_glmm_predict, cli_glmm_score, cli_glmm_info;

enum {
    OPT_TARGET = CLI_OPT_OWN,
    OPT_GROUP,
    OPT_FAMILY,
    OPT_NO_INTERCEPT,
    OPT_NODES,
};

static const cli_option fit_options[] = {
    {"target", 0, 1, OPT_TARGET, "COLUMN",
     "the response: 0/1 (binomial) or counts (poisson); a header name or 1-based index"},
    {"group", 0, 1, OPT_GROUP, "COLUMN",
     "the group of each row (numbers): one random intercept per group"},
    {"family", 0, 1, OPT_FAMILY, "F", "binomial (logit link, default) or poisson (log link)"},
    {"no-intercept", 0, 0, OPT_NO_INTERCEPT, NULL,
     "no fixed intercept (lme4's y ~ 0 + x + (1|g))"},
    {"quadrature-nodes", 0, 1, OPT_NODES, "N",
     "adaptive Gauss-Hermite nodes of the E-step and the\nlog-likelihood (default 25, lme4's "
     "nAGQ = 25; 1: Laplace)"},
    {NULL, 0, 0, 0, NULL, NULL},
};

static const cli_option score_options[] = {
    {"target", 0, 1, OPT_TARGET, "COLUMN", "the response column (default: the model's target)"},
    {"group", 0, 1, OPT_GROUP, "COLUMN", "the group column (default: the model's)"},
    {NULL, 0, 0, 0, NULL, NULL},
};

static const cli_option predict_options[] = {
    {"group", 0, 1, OPT_GROUP, "COLUMN",
     "the group column, for the conditional means (default: the\nmodel's, when DATA has it)"},
    {NULL, 0, 0, 0, NULL, NULL},
};

static const cli_option *const fit_tables[] = {fit_options, cli_engine_options,
                                               cli_common_options, cli_data_options, NULL};
static const cli_option *const predict_tables[] = {predict_options, cli_common_options,
                                                   cli_data_options, NULL};
static const cli_option *const score_tables[] = {score_options, cli_common_options,
                                                 cli_data_options, NULL};
static const cli_option *const info_tables[] = {cli_common_options, NULL};

static void glmm_defaults(vem_fit_opts *o)
{
    o->algorithm = VEM_ALG_BATCH;
    o->max_iter = 5000;
    o->tol = 1e-9;
    o->tol_rule = VEM_TOL_PARAMS;
}

/* Batch EM (AGQ) and the Monte-Carlo algorithms, on groups in memory or streamed, on one
 * process or several (--mpi), with checkpoints; no online algorithm. */
static const cli_fit_kind glmm_kind = {
    "glmm", "log-likelihood", "row", "groups",
    CLI_ENGINE_BIT(CLI_OPT_BATCH_SIZE) | CLI_ENGINE_BIT(CLI_OPT_KAPPA) |
        CLI_ENGINE_BIT(CLI_OPT_TAU) | CLI_ENGINE_BIT(CLI_OPT_N_BLOCKS) |
        CLI_ENGINE_BIT(CLI_OPT_EVAL_PASSES) | CLI_ENGINE_BIT(CLI_OPT_TRACE_STEPS) |
        CLI_ENGINE_BIT(CLI_OPT_INIT_MODEL) | CLI_ENGINE_BIT(CLI_OPT_PASSES),
    glmm_defaults};

typedef struct args {
    const char *model, *data, *target, *group, *family, *columns;
    int no_intercept;
    size_t nodes;
    cli_fit_args f;
    cli_data_opts dopts;
} args;

static int own_option(void *va, int id, const char *val)
{
    args *a = va;
    switch (id) {
    case OPT_TARGET:
        a->target = val;
        return 0;
    case OPT_GROUP:
        a->group = val;
        return 0;
    case OPT_FAMILY:
        a->family = val;
        return 0;
    case OPT_NO_INTERCEPT:
        a->no_intercept = 1;
        return 0;
    case OPT_NODES:
        return cli_parse_size("--quadrature-nodes", val, 1, 200, &a->nodes);
    default:
        return -1;
    }
}

static int parse_args(int argc, char **argv, const cli_verb *v, const char *cmd, int nops,
                      args *a)
{
    memset(a, 0, sizeof *a);
    cli_data_opts_init(&a->dopts);
    cli_fit_args_init(&a->f, &glmm_kind);
    a->nodes = 25;
    cli_parser p;
    cli_parser_init(&p, argc, argv, 2, v->tables, v->fit ? v->fit->exclude : 0, cmd);
    int rc = cli_parse_model_command(&p, nops, &a->model, &a->data, own_option, a, &a->f,
                                     &a->dopts);
    if (rc == 0 && (!a->model || (nops > 1 && !a->data))) {
        cli_error("%s: missing %s", cmd, a->model || v->fit ? "DATA" : "MODEL");
        rc = CLI_EXIT_USAGE;
    }
    if (rc == 0 && nops > 1 && cli_data_opts_check(&a->dopts))
        rc = CLI_EXIT_USAGE;
    if (rc == 0 && v->fit) {
        const vem_algorithm alg = a->f.opts.algorithm;
        if (alg != VEM_ALG_BATCH && alg != VEM_ALG_MCEM && alg != VEM_ALG_SEM &&
            alg != VEM_ALG_CEM) {
            cli_error("%s: --algorithm %s: a GLMM is fitted by batch (exact EM), mcem, sem or "
                      "cem", cmd, vem_algorithm_name(alg));
            rc = CLI_EXIT_USAGE;
        }
        /* The Monte-Carlo algorithms: the engine's 100 iterations unless asked, then their
         * defaults (docs/mcem.md). */
        if (rc == 0 && alg != VEM_ALG_BATCH && !cli_fit_given(&a->f, CLI_OPT_MAX_ITER)) {
            vem_fit_opts e;
            vem_fit_opts_init(&e);
            a->f.opts.max_iter = e.max_iter;
        }
        if (rc == 0 && alg != VEM_ALG_BATCH && !cli_fit_given(&a->f, CLI_OPT_TOL_RULE) &&
            !cli_fit_given(&a->f, CLI_OPT_TOL) && alg == VEM_ALG_CEM) {
            a->f.opts.tol_rule = VEM_TOL_TOTAL;
            a->f.opts.tol = 1e-9;
        }
        /* Every restart starts from the same GLM fit: only the draws of mcem and sem
         * differ between them. */
        if (rc == 0 && a->f.opts.n_init > 1 && (alg == VEM_ALG_BATCH || alg == VEM_ALG_CEM)) {
            cli_error("%s: --n-init %zu: every restart of %s starts from the same GLM fit and "
                      "takes the same path; restarts apply to mcem and sem (other draws)", cmd,
                      a->f.opts.n_init, alg == VEM_ALG_BATCH ? "batch EM" : "cem");
            rc = CLI_EXIT_USAGE;
        }
        /* after the check, which resets a non-batch fit's rule to the engine's default */
        if (rc == 0 && cli_fit_args_check(&a->f, cmd))
            rc = CLI_EXIT_USAGE;
        if (rc == 0)
            cli_fit_mc_defaults(&a->f);
    }
    /* --columns selects the features among DATA's columns here, not when reading. */
    a->columns = a->dopts.columns;
    a->dopts.columns = NULL;
    return rc == 0 ? 0 : cli_usage_error(cmd);
}

/* Non-zero on the ranks other than 0 of a distributed fit, whose column checks come out
 * as rank 0's: rank 0 alone says what is wrong. */
static int quiet;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    if (quiet)
        return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    cli_error("%s", buf);
}

/* Column index of name in t (a header name or a 1-based index); t->cols if none. */
static size_t find_column(const vem_table *t, const char *name)
{
    for (size_t j = 0; j < t->cols; j++)
        if (cli_table_has_names(t) && strcmp(t->names[j], name) == 0)
            return j;
    if (*name && strspn(name, "0123456789") == strlen(name)) {
        size_t idx = (size_t)strtoull(name, NULL, 10);
        if (idx >= 1 && idx <= t->cols)
            return idx - 1;
    }
    return t->cols;
}

static int need_column(const vem_table *t, const char *path, const char *name, const char *opt,
                       size_t *out)
{
    *out = find_column(t, name);
    if (*out == t->cols) {
        say("%s: no column '%s' for %s (a header name or a 1-based index up to %zu)", path, name,
            opt, t->cols);
        return CLI_EXIT_INPUT;
    }
    return 0;
}

/* The feature columns: the comma-separated list (names or indices), or the model's names
 * (model_cols, d of them), or every column but skip1 and skip2. *idx new (d entries). */
static int feature_columns(const vem_table *t, const char *path, const char *list,
                           const char *const *model_cols, size_t model_d, size_t skip1,
                           size_t skip2, size_t **idx, size_t *d)
{
    *idx = malloc((t->cols + 1) * sizeof **idx);
    *d = 0;
    if (!*idx) {
        cli_error("out of memory");
        return CLI_EXIT_INPUT;
    }
    if (list) {
        char *copy = strdup(list), *save = NULL;
        if (!copy) {
            cli_error("out of memory");
            return CLI_EXIT_INPUT;
        }
        for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            size_t j;
            if (need_column(t, path, tok, "--columns", &j) || *d == t->cols) {
                free(copy);
                return CLI_EXIT_INPUT;
            }
            (*idx)[(*d)++] = j;
        }
        free(copy);
    } else if (model_cols) {
        for (size_t k = 0; k < model_d; k++) {
            size_t j;
            if (need_column(t, path, model_cols[k], "the model's features", &j))
                return CLI_EXIT_INPUT;
            (*idx)[(*d)++] = j;
        }
    } else {
        for (size_t j = 0; j < t->cols; j++)
            if (j != skip1 && j != skip2)
                (*idx)[(*d)++] = j;
    }
    if (model_cols == NULL && model_d != (size_t)-1 && *d != model_d) {
        say("%s: %zu feature columns, the model has %zu", path, *d, model_d);
        return CLI_EXIT_INPUT;
    }
    return 0;
}

static int cmp_label(const void *pa, const void *pb)
{
    const double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

/* Non-zero when the n labels' equal values form one run each. */
static int runs_contiguous(const double *label, size_t n)
{
    size_t runs = 0;
    double *first = malloc((n ? n : 1) * sizeof *first);
    if (!first)
        return 0; /* sort: what the library needs in any case */
    for (size_t r = 0; r < n; r++)
        if (r == 0 || label[r] != label[r - 1])
            first[runs++] = label[r];
    qsort(first, runs, sizeof *first, cmp_label);
    size_t i = 1;
    while (i < runs && first[i] != first[i - 1])
        i++;
    free(first);
    return i >= runs;
}

/* Rows of t in an order that makes each group contiguous (stable by group label). */
static const double *sort_group_col;
static int cmp_rows(const void *pa, const void *pb)
{
    const size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    const double ga = sort_group_col[a], gb = sort_group_col[b];
    if (ga != gb)
        return ga < gb ? -1 : 1;
    return (a > b) - (a < b);
}

/* The design: x (n x d), y (n), group (n), rows sorted by group when sort and the groups'
 * rows are not contiguous; y or group may be skipped (column t->cols). New arrays. */
typedef struct design {
    double *x, *y, *g;
    size_t n, d;
} design;

static void design_free(design *ds)
{
    free(ds->x);
    free(ds->y);
    free(ds->g);
}

static int make_design(const vem_table *t, const size_t *idx, size_t d, size_t yc, size_t gc,
                       int sort, design *ds)
{
    const size_t n = t->rows;
    memset(ds, 0, sizeof *ds);
    ds->n = n;
    ds->d = d;
    ds->x = malloc((n ? n : 1) * (d ? d : 1) * sizeof *ds->x);
    ds->y = malloc((n ? n : 1) * sizeof *ds->y);
    ds->g = malloc((n ? n : 1) * sizeof *ds->g);
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    double *gcol = malloc((n ? n : 1) * sizeof *gcol);
    if (!ds->x || !ds->y || !ds->g || !order || !gcol) {
        free(order);
        free(gcol);
        cli_error("out of memory");
        return CLI_EXIT_INPUT;
    }
    for (size_t r = 0; r < n; r++) {
        order[r] = r;
        gcol[r] = gc < t->cols ? t->data[r * t->cols + gc] : 0.0;
    }
    if (sort && gc < t->cols && !runs_contiguous(gcol, n)) {
        sort_group_col = gcol;
        qsort(order, n, sizeof *order, cmp_rows);
        sort_group_col = NULL;
    }
    for (size_t i = 0; i < n; i++) {
        const double *row = t->data + order[i] * t->cols;
        for (size_t k = 0; k < d; k++)
            ds->x[i * d + k] = row[idx[k]];
        ds->y[i] = yc < t->cols ? row[yc] : 0.0;
        ds->g[i] = gcol[order[i]];
    }
    free(order);
    free(gcol);
    return 0;
}

/* "x", "(Intercept)": the name of coefficient j. */
static const char *coef_name(const vem_glmm *g, size_t j, char *buf, size_t size)
{
    if (vem_glmm_intercept_on(g)) {
        if (j == 0)
            return "(Intercept)";
        j--;
    }
    return cli_column_label(vem_glmm_columns(g), j, buf, size);
}

static void model_json(json_t *o, const vem_glmm *g)
{
    const size_t p = vem_glmm_p(g), d = vem_glmm_d(g);
    char buf[32];
    json_object_set_new(o, "model", json_string("glmm"));
    json_object_set_new(o, "family", json_string(vem_glmm_family_name(vem_glmm_family_of(g))));
    json_object_set_new(o, "link", json_string(vem_glmm_family_of(g) == VEM_GLMM_POISSON
                                                   ? "log" : "logit"));
    json_object_set_new(o, "n_features", json_integer((json_int_t)d));
    json_object_set_new(o, "fit_intercept", json_boolean(vem_glmm_intercept_on(g)));
    json_object_set_new(o, "quadrature_nodes", json_integer((json_int_t)vem_glmm_nodes(g)));
    if (vem_glmm_target(g))
        json_object_set_new(o, "target", json_string(vem_glmm_target(g)));
    if (vem_glmm_group_name(g))
        json_object_set_new(o, "group", json_string(vem_glmm_group_name(g)));
    json_t *names = json_array();
    for (size_t j = 0; names && j < p; j++)
        json_array_append_new(names, json_string(coef_name(g, j, buf, sizeof buf)));
    json_object_set_new(o, "coef_names", names);
    json_object_set_new(o, "beta", cli_json_vector(vem_glmm_beta(g), p));
    json_object_set_new(o, "sigma2", cli_json_real(vem_glmm_sigma2(g)));
    const double *se = vem_glmm_stderr(g);
    if (se) {
        json_object_set_new(o, "beta_stderr", cli_json_vector(se, p));
        json_object_set_new(o, "sigma2_stderr", cli_json_real(se[p]));
        json_object_set_new(o, "stderr_method", json_string("louis"));
    }
    json_object_set_new(o, "at_boundary", json_boolean(vem_glmm_at_boundary(g)));
    json_object_set_new(o, "n_groups", json_integer((json_int_t)vem_glmm_groups(g, NULL, NULL,
                                                                                   NULL)));
}

static void model_print(FILE *f, const vem_glmm *g)
{
    const size_t p = vem_glmm_p(g);
    const double *se = vem_glmm_stderr(g), *b = vem_glmm_beta(g);
    char buf[32];
    fprintf(f, "%-20s %14s %14s\n", "term", "estimate", "std. error");
    for (size_t j = 0; j < p; j++)
        fprintf(f, "%-20.40s %14.8g %14.6g\n", coef_name(g, j, buf, sizeof buf), b[j],
                se ? se[j] : NAN);
    fprintf(f, "%-20s %14.8g %14.6g\n", "sigma2 (intercepts)", vem_glmm_sigma2(g),
            se ? se[p] : NAN);
    fprintf(f, "standard errors: %s\n",
            se ? "Louis (1982), observed information by AGQ" : "none");
}

static const char boundary_text[] =
    "slow convergence near the boundary sigma^2 = 0: sigma2 was still falling toward 0 "
    "(the MLE is probably sigma2 = 0, a singular fit; the coefficients are close to the GLM's "
    "without random effects)";

/* Write, warn and print a fit to n rows (under --mpi rank 0 does, and every rank returns
 * the same status). */
static int report(const args *a, const vem_glmm *g, size_t n, const vem_fit_result *res)
{
    const int root = cli_mpi_rank() == 0, bnd = vem_glmm_at_boundary(g);
    const vem_glmm_family fam = vem_glmm_family_of(g);
    const size_t ng = vem_glmm_groups(g, NULL, NULL, NULL);
    int rc = 0;
    vem_status s;
    if (root && a->f.output && (s = vem_glmm_save(g, a->f.output, res)) != VEM_OK)
        rc = cli_fail(s, a->f.output);
    if (a->f.mpi)
        rc = cli_mpi_agree(rc); /* every rank exits alike */
    if (rc != 0 || !root)
        return rc;
    if (bnd)
        cli_warn("%s", boundary_text);
    else
        cli_warn_not_converged(&a->f, res);
    if (a->f.json) {
        json_t *j = json_object();
        if (j) {
            cli_json_fit_common(j, &a->f, res, ng);
            model_json(j, g);
            const double k = (double)vem_glmm_p(g) + 1.0, ll = res->objective;
            json_object_set_new(j, "n", json_integer((json_int_t)n));
            json_object_set_new(j, "log_likelihood", cli_json_real(ll));
            json_object_set_new(j, "mean_log_likelihood", cli_json_real(ll / (double)n));
            json_object_set_new(j, "aic", cli_json_real(-2.0 * ll + 2.0 * k));
            json_object_set_new(j, "bic", cli_json_real(-2.0 * ll + k * log((double)n)));
            if (bnd)
                json_object_set_new(j, "boundary_warning", json_string(boundary_text));
        }
        return cli_json_emit(j);
    }
    printf("random-intercept GLMM (%s, %s link), %s: %zu rows in %zu groups, target %s\n",
           vem_glmm_family_name(fam), fam == VEM_GLMM_POISSON ? "log" : "logit",
           a->f.opts.algorithm == VEM_ALG_BATCH ? "exact EM (adaptive Gauss-Hermite)"
                                                : vem_algorithm_name(a->f.opts.algorithm),
           n, ng, vem_glmm_target(g) ? vem_glmm_target(g) : a->target);
    model_print(stdout, g);
    if (bnd)
        printf("at the boundary: yes (sigma2 -> 0; not converged)\n");
    cli_print_fit_tail(&a->f, res);
    return 0;
}

/* A new model on d features named names (may be NULL), the target's and the group's names
 * (may be NULL), with a's options; NULL after a message (*rc). */
static vem_glmm *new_model(const args *a, vem_glmm_family fam, size_t d, const char **names,
                           const char *target, const char *group, int *rc)
{
    vem_glmm *g = vem_glmm_new(d);
    vem_status s = g ? VEM_OK : VEM_EINVAL;
    if (s == VEM_OK && (s = vem_glmm_set_family(g, fam)) == VEM_OK &&
        (s = vem_glmm_set_intercept(g, !a->no_intercept)) == VEM_OK &&
        (s = vem_glmm_set_nodes(g, a->nodes)) == VEM_OK)
        s = vem_glmm_set_names(g, names, target, group);
    if (s != VEM_OK) {
        *rc = s == VEM_EINVAL ? (cli_fail(s, "fit glmm"), CLI_EXIT_USAGE) : cli_fail(s, "model");
        vem_glmm_free(g);
        return NULL;
    }
    vem_glmm_set_seed(g, a->f.seed);
    return g;
}

/* ------------------------------------------------ streamed and distributed fits */

/* Run order of the group column's cells (by text, then by row). */
static char *const *sort_cells;
static const size_t *sort_starts;
static int cmp_runs(const void *pa, const void *pb)
{
    const size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    const int c = strcmp(sort_cells[sort_starts[a]], sort_cells[sort_starts[b]]);
    return c ? c : (a > b) - (a < b);
}

/*
 * The groups' rows contiguous in DATA (rank 0 reads its group column as text, as the
 * reader of sequences does next): else the first line where a group comes back, with the
 * line where its earlier rows end. header: DATA's first line is a header.
 */
static int check_order(const char *path, const vem_csv_opts *co, const char *gspec, int header)
{
    vem_csv_opts o = *co;
    o.columns = gspec;
    vem_text_table t;
    vem_status s = vem_text_table_read(path, &o, 0, &t);
    if (s != VEM_OK)
        return cli_fail(s, path);
    size_t *starts = malloc((t.rows + 1) * sizeof *starts), *order = NULL, runs = 0;
    for (size_t r = 0; starts && r < t.rows; r++)
        if (r == 0 || strcmp(t.cells[r], t.cells[r - 1]) != 0)
            starts[runs++] = r;
    if (starts)
        starts[runs] = t.rows;
    order = starts ? malloc((runs + 1) * sizeof *order) : NULL;
    int rc = 0;
    if (!order) {
        cli_error("out of memory");
        rc = CLI_EXIT_INPUT;
    } else {
        for (size_t i = 0; i < runs; i++)
            order[i] = i;
        sort_cells = t.cells;
        sort_starts = starts;
        qsort(order, runs, sizeof *order, cmp_runs);
        size_t back = runs, before = 0; /* the earliest run that comes back; its previous run */
        for (size_t i = 1; i < runs; i++)
            if (strcmp(t.cells[starts[order[i]]], t.cells[starts[order[i - 1]]]) == 0 &&
                (back == runs || order[i] < back)) {
                back = order[i];
                before = order[i - 1];
            }
        if (back < runs) {
            const size_t line = starts[back] + 1 + (header ? 1 : 0);
            cli_error("%s:%zu: group '%.40s' comes back after other groups' rows (its earlier "
                      "rows end at line %zu): with --stream or --mpi the rows of a group must be "
                      "contiguous; sort DATA by the group column (without --stream and --mpi, "
                      "vem sorts the rows in memory)",
                      path, line, t.cells[starts[back]], starts[before + 1] + (header ? 1 : 0));
            rc = CLI_EXIT_INPUT;
        }
    }
    free(starts);
    free(order);
    vem_text_table_clear(&t);
    return rc;
}

/*
 * --stream, --mpi: the columns found in DATA's first line (on every rank, alike: rank 0
 * says what is wrong), the groups' order checked on rank 0, then every rank reads (or
 * streams) its whole groups with the reader of an HMM's sequences, the group column as
 * the sequence column and the frames' columns the features, the target and the group;
 * the fit sums over the ranks.
 */
static int fit_shared(args *a, vem_glmm_family fam)
{
    const vem_comm *comm = a->f.mpi ? cli_mpi_comm() : NULL;
    const int root = cli_mpi_rank() == 0;
    const char *what = a->f.stream ? "--stream" : "--mpi";
    if (a->dopts.binary_cols || cli_data_format_of(a->data, &a->dopts) != CLI_FORMAT_CSV) {
        if (root)
            cli_error("fit glmm: %s reads a CSV/TSV file (the runs of its group column are the "
                      "groups); read %s without %s", what, a->data, what);
        return CLI_EXIT_USAGE;
    }
    vem_csv_opts co;
    vem_csv_opts_init(&co);
    co.header = a->dopts.header;
    co.delim = a->dopts.delim;
    vem_text_table head;
    vem_status s = vem_comm_agree(comm, vem_text_table_read(a->data, &co, 1, &head));
    if (s != VEM_OK)
        return cli_fail_agreed(s);
    const vem_table names = {.names = head.names, .cols = head.cols};
    const int header = cli_table_has_names(&names);
    size_t *idx = NULL, d = 0, yc = 0, gc = 0;
    char *spec = NULL, gspec[24];
    const char **fnames = NULL;
    vem_glmm *g = NULL;
    vem_frames fr;
    memset(&fr, 0, sizeof fr);
    vem_source *src = NULL;
    double *y = NULL, *gl = NULL;
    vem_fit_result res;
    memset(&res, 0, sizeof res);
    quiet = !root;
    int rc = need_column(&names, a->data, a->target, "--target", &yc);
    if (rc == 0)
        rc = need_column(&names, a->data, a->group, "--group", &gc);
    if (rc == 0 && yc == gc) {
        say("fit glmm: --target and --group name the same column");
        rc = CLI_EXIT_USAGE;
    }
    if (rc == 0)
        rc = feature_columns(&names, a->data, a->columns, NULL, (size_t)-1, yc, gc, &idx, &d);
    quiet = 0;
    if (rc == 0 && !(spec = malloc((d + 2) * 24 + 1))) {
        cli_error("out of memory");
        rc = CLI_EXIT_INPUT;
    }
    if (rc == 0) {
        /* the frames: the features, the target, the group label (1-based indices) */
        size_t used = 0;
        for (size_t k = 0; k < d + 2; k++)
            used += (size_t)sprintf(spec + used, "%s%zu", k ? "," : "",
                                    (k < d ? idx[k] : k == d ? yc : gc) + 1);
        snprintf(gspec, sizeof gspec, "%zu", gc + 1);
        if (root)
            rc = check_order(a->data, &co, gspec, header);
    }
    if (a->f.mpi)
        rc = cli_mpi_agree(rc);
    if (rc != 0)
        goto out;
    vem_frames_opts fo;
    vem_frames_opts_init(&fo);
    fo.csv = co;
    fo.csv.columns = spec;
    fo.sequence_column = gspec;
    vem_frames_share all;
    s = a->f.stream ? vem_frames_open_source(a->data, &fo, comm, &src, &all)
                    : vem_frames_read_share(a->data, &fo, comm, &fr, &all);
    if (s != VEM_OK) {
        rc = cli_fail_agreed(s);
        goto out;
    }
    if (header && (fnames = malloc((d ? d : 1) * sizeof *fnames)) != NULL)
        for (size_t k = 0; k < d; k++)
            fnames[k] = head.names[idx[k]];
    g = new_model(a, fam, d, fnames, header ? head.names[yc] : NULL,
                  header ? head.names[gc] : NULL, &rc);
    if (a->f.mpi)
        rc = cli_mpi_agree(rc);
    if (rc != 0)
        goto out;
    vem_fit_opts opts = a->f.opts;
    opts.comm = comm;
    cli_fit_running = 1;
    if (src) {
        s = vem_glmm_fit_source(g, src, &opts, &res);
    } else {
        /* this rank's rows: features, response and label in each frame */
        const size_t n = fr.rows, w = d + 2;
        y = malloc((n ? n : 1) * sizeof *y);
        gl = malloc((n ? n : 1) * sizeof *gl);
        for (size_t r = 0; y && gl && r < n; r++) {
            y[r] = fr.data[r * w + d];
            gl[r] = fr.data[r * w + d + 1];
        }
        static const double no_rows = 0.0;
        vem_matrix x = {n ? fr.data : &no_rows, n, d, w};
        s = y && gl ? vem_glmm_fit(g, &x, y, gl, &opts, &res) : VEM_ENOMEM;
    }
    cli_fit_running = 0;
    cli_progress_end_line();
    if (!cli_fit_usable(s) && s == VEM_EINVAL && !src) {
        /* The data's rows in memory: the library names the row (among all the ranks'),
         * this names the file. Failures are agreed: every rank returns the same status. */
        if (root)
            cli_error("%s: %s", a->data, vem_errmsg());
        rc = cli_exit_status(s);
    } else if (!cli_fit_usable(s)) {
        rc = cli_fail_agreed(s);
    } else {
        rc = report(a, g, all.rows, &res);
    }
out:
    vem_fit_result_clear(&res);
    vem_glmm_free(g);
    vem_source_close(src);
    vem_frames_clear(&fr);
    vem_text_table_clear(&head);
    free(idx);
    free(spec);
    free(fnames);
    free(y);
    free(gl);
    return rc;
}

static int fit(args *a)
{
    if (!a->target || !a->group) {
        cli_error("fit glmm: missing %s", !a->target ? "--target COLUMN" : "--group COLUMN");
        return cli_usage_error("fit glmm");
    }
    vem_glmm_family fam = VEM_GLMM_BINOMIAL;
    if (a->family && vem_glmm_family_parse(a->family, &fam) != VEM_OK) {
        cli_error("fit glmm: --family %s: binomial or poisson", a->family);
        return cli_usage_error("fit glmm");
    }
    if (a->f.stream || a->f.mpi)
        return fit_shared(a, fam);
    vem_table t;
    design ds;
    memset(&ds, 0, sizeof ds);
    size_t *idx = NULL, d = 0, yc, gc;
    const char **names = NULL;
    vem_glmm *g = NULL;
    vem_fit_result res;
    memset(&res, 0, sizeof res);
    int rc = cli_read_data(a->data, &a->dopts, NULL, 0, &t);
    if (rc)
        return rc;
    if ((rc = need_column(&t, a->data, a->target, "--target", &yc)) != 0 ||
        (rc = need_column(&t, a->data, a->group, "--group", &gc)) != 0 ||
        (rc = feature_columns(&t, a->data, a->columns, NULL, (size_t)-1, yc, gc, &idx, &d)) !=
            0 ||
        (rc = make_design(&t, idx, d, yc, gc, 1, &ds)) != 0)
        goto out;
    if (yc == gc) {
        cli_error("fit glmm: --target and --group name the same column");
        rc = CLI_EXIT_USAGE;
        goto out;
    }
    if (cli_table_has_names(&t) && (names = malloc((d ? d : 1) * sizeof *names)) != NULL)
        for (size_t k = 0; k < d; k++)
            names[k] = t.names[idx[k]];
    g = new_model(a, fam, d, names, cli_table_has_names(&t) ? t.names[yc] : NULL,
                  cli_table_has_names(&t) ? t.names[gc] : NULL, &rc);
    if (!g)
        goto out;
    vem_matrix xm = vem_matrix_view(ds.x, ds.n, d);
    cli_fit_running = 1;
    vem_status s = vem_glmm_fit(g, &xm, ds.y, ds.g, &a->f.opts, &res);
    cli_fit_running = 0;
    cli_progress_end_line();
    if (!cli_fit_usable(s))
        rc = cli_fail(s, a->data);
    else
        rc = report(a, g, ds.n, &res);
out:
    vem_fit_result_clear(&res);
    vem_glmm_free(g);
    design_free(&ds);
    free(idx);
    free(names);
    vem_table_clear(&t);
    return rc;
}

/* The model and DATA's design: want_y for score; the group column is needed for score and
 * optional for predict (gc = cols without it). NULL: reported, *rc. */
static vem_glmm *load(const args *a, int want_y, vem_table *t, design *ds, int *rc)
{
    memset(t, 0, sizeof *t);
    memset(ds, 0, sizeof *ds);
    vem_glmm *g = vem_glmm_load(a->model);
    if (!g) {
        *rc = cli_fail(VEM_EFORMAT, a->model);
        return NULL;
    }
    *rc = 0;
    if (!a->data)
        return g;
    const char *target = a->target ? a->target : vem_glmm_target(g);
    const char *group = a->group ? a->group : vem_glmm_group_name(g);
    size_t *idx = NULL, d = 0, yc, gc;
    if (want_y && (!target || !group)) {
        cli_error("score: the model does not name its %s: give %s COLUMN",
                  !target ? "target" : "group", !target ? "--target" : "--group");
        *rc = CLI_EXIT_USAGE;
    } else if ((*rc = cli_read_data(a->data, &a->dopts, NULL, 0, t)) == 0) {
        yc = gc = t->cols;
        if (want_y && (*rc = need_column(t, a->data, target, "--target", &yc)) == 0)
            *rc = need_column(t, a->data, group, "--group", &gc);
        if (!want_y && group) {
            gc = find_column(t, group);
            if (gc == t->cols && a->group)
                *rc = need_column(t, a->data, group, "--group", &gc);
        }
        const char *const *mc = a->columns ? NULL : vem_glmm_columns(g);
        if (*rc == 0 && mc && !cli_table_has_names(t))
            mc = NULL;
        if (*rc == 0)
            *rc = feature_columns(t, a->data, a->columns, mc, vem_glmm_d(g), yc, gc, &idx, &d);
        if (*rc == 0)
            *rc = make_design(t, idx, d, yc, gc, want_y, ds);
        if (!want_y && gc == t->cols) {
            free(ds->g);
            ds->g = NULL;
        }
    }
    free(idx);
    if (*rc) {
        design_free(ds);
        vem_table_clear(t);
        vem_glmm_free(g);
        return NULL;
    }
    return g;
}

static int glmm_predict(int argc, char **argv)
{
    args a;
    vem_table t;
    design ds;
    int rc = parse_args(argc, argv, &cli_glmm_predict, "predict", 2, &a);
    vem_glmm *g = rc ? NULL : load(&a, 0, &t, &ds, &rc);
    if (!g)
        return rc;
    const size_t n = ds.n;
    vem_matrix xm = vem_matrix_view(ds.x, n, vem_glmm_d(g));
    double *m = malloc((n ? n : 1) * 2 * sizeof *m);
    vem_status s = m ? vem_glmm_predict(g, &xm, ds.g, m, m + n) : VEM_ENOMEM;
    if (s != VEM_OK) {
        rc = cli_fail(s, a.data);
    } else if (a.f.json) {
        json_t *j = cli_json_new("glmm");
        if (j) {
            json_object_set_new(j, "mean", cli_json_vector(m, n));
            json_object_set_new(j, "conditional_mean", cli_json_vector(m + n, n));
        }
        rc = cli_json_emit(j);
    } else {
        printf("marginal_mean conditional_mean\n");
        for (size_t r = 0; r < n; r++)
            printf("%.10g %.10g\n", m[r], m[n + r]);
    }
    free(m);
    design_free(&ds);
    vem_glmm_free(g);
    vem_table_clear(&t);
    return rc;
}

static int glmm_score(int argc, char **argv)
{
    args a;
    vem_table t;
    design ds;
    int rc = parse_args(argc, argv, &cli_glmm_score, "score", 2, &a);
    vem_glmm *g = rc ? NULL : load(&a, 1, &t, &ds, &rc);
    if (!g)
        return rc;
    vem_matrix xm = vem_matrix_view(ds.x, ds.n, vem_glmm_d(g));
    double total = 0.0, *per = malloc((ds.n ? ds.n : 1) * sizeof *per);
    size_t ng = 0;
    vem_status s = per ? vem_glmm_score(g, &xm, ds.y, ds.g, &total, per, &ng) : VEM_ENOMEM;
    if (s != VEM_OK) {
        rc = cli_fail(s, a.data);
    } else if (!a.f.json) {
        cli_print_score("log-likelihood", "groups", ng, "row", ds.n, total);
    } else {
        json_t *j = json_object();
        if (j) {
            cli_json_score_common(j, "glmm", "log_likelihood", ng, ds.n, total);
            json_object_set_new(j, "n", json_integer((json_int_t)ds.n));
            json_object_set_new(j, "n_groups", json_integer((json_int_t)ng));
            json_object_set_new(j, "log_likelihood", cli_json_real(total));
            json_object_set_new(j, "total_log_likelihood", cli_json_real(total));
            json_object_set_new(j, "mean_log_likelihood", cli_json_real(total / (double)ds.n));
            json_object_set_new(j, "group_log_likelihood", cli_json_vector(per, ng));
            json_object_set_new(j, "quadrature_nodes",
                                json_integer((json_int_t)vem_glmm_nodes(g)));
        }
        rc = cli_json_emit(j);
    }
    free(per);
    design_free(&ds);
    vem_glmm_free(g);
    vem_table_clear(&t);
    return rc;
}

static int glmm_info(int argc, char **argv)
{
    args a;
    vem_table t;
    design ds;
    int rc = parse_args(argc, argv, &cli_glmm_info, "info", 1, &a);
    vem_glmm *g = rc ? NULL : load(&a, 0, &t, &ds, &rc);
    if (!g)
        return rc;
    if (a.f.json) {
        json_t *j = json_object();
        if (j)
            model_json(j, g);
        rc = cli_json_emit(j);
    } else {
        printf("model: glmm (random-intercept GLMM, %s family, %s link)\n",
               vem_glmm_family_name(vem_glmm_family_of(g)),
               vem_glmm_family_of(g) == VEM_GLMM_POISSON ? "log" : "logit");
        printf("features: D=%zu, target: %s, group: %s, intercept: %s\n", vem_glmm_d(g),
               vem_glmm_target(g) ? vem_glmm_target(g) : "(not named)",
               vem_glmm_group_name(g) ? vem_glmm_group_name(g) : "(not named)",
               vem_glmm_intercept_on(g) ? "yes" : "no");
        printf("groups fitted: %zu, quadrature nodes: %zu, at the boundary sigma2 = 0: %s\n",
               vem_glmm_groups(g, NULL, NULL, NULL), vem_glmm_nodes(g),
               vem_glmm_at_boundary(g) ? "yes" : "no");
        model_print(stdout, g);
    }
    vem_glmm_free(g);
    return rc;
}

static int glmm_fit(int argc, char **argv)
{
    args a;
    int rc = parse_args(argc, argv, &cli_glmm_fit, "fit glmm", 2, &a);
    return rc ? rc : fit(&a);
}

const cli_verb cli_glmm_fit = {
    glmm_fit, "DATA --target COLUMN --group COLUMN [options]",
    "Random-intercept generalized linear mixed model, y ~ x + (1|group) (binomial with\n"
    "the logit link, or poisson with the log link), by exact EM with an adaptive\n"
    "Gauss-Hermite E-step (batch) or by Monte-Carlo EM with exact draws of the\n"
    "random intercepts (mcem, sem, cem). Standard errors by Louis' method. Batch EM\n"
    "stops on the parameter rule (--tol-rule parameters: every parameter's relative\n"
    "change below --tol 1e-9, three iterations in a row). A fit whose sigma2 creeps\n"
    "toward 0 is reported as slow convergence near the boundary, never as converged\n"
    "(--accelerate squarem gets there fastest; docs/glmm.md).\n"
    "Rows need not be sorted by group in memory. --stream reads the groups from a\n"
    "CSV/TSV file in every pass and --mpi gives each process its share of whole\n"
    "groups (both: mpirun ... --mpi --stream); then each group's rows must be\n"
    "contiguous (a group that comes back is an error naming its line), and the fit is\n"
    "the one in memory (streamed: the same bits; P processes: to round-off).\n"
    "--checkpoint and --resume: the resumed fit has the bits of the uninterrupted one.\n"
    "--n-init restarts differ only in the draws: for mcem and sem.",
    fit_tables, &glmm_kind};
const cli_verb cli_glmm_predict = {
    glmm_predict, "MODEL DATA [options]",
    "Each row's marginal mean E[h(x^T beta + u)], u ~ N(0, sigma2), and conditional\n"
    "mean h(x^T beta + u_g) at its group's posterior mean u_g (u_g = 0 for a group\n"
    "the fit did not see, or without the group column); h the inverse link.",
    predict_tables, NULL};
const cli_verb cli_glmm_score = {
    glmm_score, "MODEL DATA [options]",
    "The log-likelihood (nats) of DATA's groups under the model by adaptive\n"
    "Gauss-Hermite quadrature: total, per row, and per group with --json.",
    score_tables, NULL};
const cli_verb cli_glmm_info = {
    glmm_info, "MODEL",
    "Describe a model file: family, coefficients and sigma2 with their standard\n"
    "errors, groups, the boundary flag.",
    info_tables, NULL};
