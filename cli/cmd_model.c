/*
 * cli/cmd_model.c — commands that use a saved model: predict, score, sample, info.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const cli_option *const predict_tables[] = {cli_proba_options, cli_common_options,
                                                   cli_data_options, NULL};
static const cli_option *const score_tables[] = {cli_common_options, cli_data_options, NULL};
/* Arguments of predict and score. */
typedef struct model_data_args {
    cli_model_args m;
    int proba;
} model_data_args;

/* --proba (predict): cli_parse_model_args's own option. */
static int proba_option(void *proba, int id, const char *val)
{
    (void)val;
    if (id != CLI_OPT_PROBA)
        return -1;
    *(int *)proba = 1;
    return 0;
}

/* Parse `vem CMD MODEL DATA [options]`; returns 0 or an exit status (reported). */
static int parse_model_data(int argc, char **argv, const char *cmd, int allow_proba,
                            model_data_args *a)
{
    a->proba = 0;
    int rc = cli_parse_model_args(argc, argv, cmd, allow_proba ? predict_tables : score_tables,
                                  &a->m, proba_option, &a->proba);
    if (rc == 0 && cli_data_opts_check(&a->m.dopts))
        return cli_usage_error(cmd);
    return rc;
}

/* Load the model and read the data with the model's columns. */
static int load_model_and_data(const model_data_args *a, vem_gmm **g, vem_table *t)
{
    memset(t, 0, sizeof *t);
    *g = cli_load_gmm(a->m.model);
    if (!*g)
        return CLI_EXIT_INPUT;
    int rc = cli_read_data(a->m.data, &a->m.dopts, vem_gmm_columns(*g), vem_gmm_d(*g), t);
    if (rc != 0) {
        vem_gmm_free(*g);
        *g = NULL;
    }
    return rc;
}

/* n * m elements of size bytes, or NULL with an error when it would overflow or fail. */
static void *alloc_array(size_t n, size_t m, size_t size)
{
    if (m && n > SIZE_MAX / m / size) {
        cli_error("out of memory (%zu x %zu values)", n, m);
        return NULL;
    }
    void *p = malloc(n * m * size + 1);
    if (!p)
        cli_error("out of memory (%zu x %zu values)", n, m);
    return p;
}

static int cmd_predict(int argc, char **argv)
{
    model_data_args a;
    int rc = parse_model_data(argc, argv, "predict", 1, &a);
    if (rc != 0)
        return rc;
    vem_gmm *g;
    vem_table t;
    rc = load_model_and_data(&a, &g, &t);
    if (rc != 0)
        return rc;
    vem_matrix x = vem_table_matrix(&t);
    size_t n = t.rows, k = vem_gmm_k(g);
    vem_status s;
    if (a.proba) {
        double *p = alloc_array(n, k, sizeof *p);
        if (!p) {
            rc = CLI_EXIT_INPUT;
        } else if ((s = vem_gmm_predict_proba(g, &x, p)) != VEM_OK) {
            rc = cli_fail(s, a.m.data);
        } else if (a.m.json) {
            json_t *o = cli_json_new("gmm");
            json_object_set_new(o, "proba", cli_json_matrix(p, n, k));
            rc = cli_json_emit(o);
        } else {
            cli_print_matrix(p, n, k);
        }
        free(p);
    } else {
        size_t *labels = alloc_array(n, 1, sizeof *labels);
        if (!labels) {
            rc = CLI_EXIT_INPUT;
        } else if ((s = vem_gmm_predict(g, &x, labels)) != VEM_OK) {
            rc = cli_fail(s, a.m.data);
        } else if (a.m.json) {
            json_t *o = cli_json_new("gmm");
            json_object_set_new(o, "labels", cli_json_indices(labels, n));
            rc = cli_json_emit(o);
        } else {
            for (size_t i = 0; i < n; i++)
                printf("%zu\n", labels[i]);
        }
        free(labels);
    }
    vem_table_clear(&t);
    vem_gmm_free(g);
    return rc;
}

static int cmd_score(int argc, char **argv)
{
    model_data_args a;
    int rc = parse_model_data(argc, argv, "score", 0, &a);
    if (rc != 0)
        return rc;
    vem_gmm *g;
    vem_table t;
    rc = load_model_and_data(&a, &g, &t);
    if (rc != 0)
        return rc;
    vem_matrix x = vem_table_matrix(&t);
    double mean, total;
    vem_status s = vem_gmm_score(g, &x, &mean, &total);
    if (s != VEM_OK) {
        rc = cli_fail(s, a.m.data);
    } else if (a.m.json) {
        json_t *o = json_object();
        cli_json_score_common(o, "gmm", "log_likelihood", t.rows, t.rows, total);
        json_object_set_new(o, "n", json_integer((json_int_t)t.rows));
        json_object_set_new(o, "mean_log_likelihood", cli_json_real(mean));
        json_object_set_new(o, "total_log_likelihood", cli_json_real(total));
        json_object_set_new(o, "log_likelihood", cli_json_real(total));
        json_object_set_new(o, "bic", cli_json_real(vem_gmm_bic(g, total, t.rows)));
        json_object_set_new(o, "aic", cli_json_real(vem_gmm_aic(g, total)));
        rc = cli_json_emit(o);
    } else {
        cli_print_score("log-likelihood", "rows", t.rows, "row", t.rows, total);
    }
    vem_table_clear(&t);
    vem_gmm_free(g);
    return rc;
}

static int cmd_sample(int argc, char **argv)
{
    cli_sample_args a;
    int rc = cli_sample_parse(argc, argv, &a);
    if (rc != 0)
        return rc;
    vem_gmm *g = cli_load_gmm(a.model);
    if (!g)
        return CLI_EXIT_INPUT;
    size_t n = a.n, d = vem_gmm_d(g);
    double *xs = alloc_array(n, d, sizeof *xs);
    size_t *labels = alloc_array(n, 1, sizeof *labels);
    vem_rng rng;
    vem_rng_seed(&rng, a.seed);
    vem_status s;
    if (!xs || !labels)
        rc = CLI_EXIT_INPUT;
    else if ((s = vem_gmm_sample(g, n, &rng, xs, labels)) != VEM_OK)
        rc = cli_fail(s, a.model);
    else
        rc = cli_sample_print("gmm", xs, labels, n, d, vem_gmm_columns(g), "component", a.json);
    free(xs);
    free(labels);
    vem_gmm_free(g);
    return rc;
}

static int cmd_info(int argc, char **argv)
{
    const char *model;
    int json;
    int rc = cli_parse_info(argc, argv, &model, &json);
    if (rc != 0)
        return rc;
    vem_gmm *g = cli_load_gmm(model);
    if (!g)
        return CLI_EXIT_INPUT;
    if (json) {
        json_t *o = json_object();
        if (o)
            cli_json_gmm(o, g);
        rc = cli_json_emit(o);
    } else {
        cli_print_gmm(stdout, g);
    }
    vem_gmm_free(g);
    return rc;
}

const cli_verb cli_gmm_predict = {
    cmd_predict, "MODEL DATA [--proba] [options]",
    "The most probable component (0-based) of each row of DATA, one per line, or with\n"
    "--proba the K component probabilities per row (CSV). When the model names its\n"
    "columns and DATA has a header, the same columns are selected by name.",
    predict_tables, NULL};
const cli_verb cli_gmm_score = {
    cmd_score, "MODEL DATA [options]",
    "The number of rows and the total and mean log-likelihood (nats) of DATA under\n"
    "MODEL (--json: with its BIC and AIC). Columns are selected as for predict.",
    score_tables, NULL};
const cli_verb cli_gmm_sample = {
    cmd_sample, "MODEL -n N [--seed S]",
    "Draw N rows from MODEL; CSV with a header (the model's columns, then 'component').",
    cli_sample_tables, NULL};
const cli_verb cli_gmm_info = {
    cmd_info, "MODEL",
    "Describe a model file: K, D, covariance, weights, means, covariances and the\n"
    "number of free parameters.",
    cli_info_tables, NULL};
