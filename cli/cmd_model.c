/*
 * cli/cmd_model.c — commands that use a saved model: predict, score, sample, info.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { OPT_PROBA = CLI_OPT_OWN, OPT_N, OPT_SEED };

static const cli_option data_command_options[] = {
    {"help", 'h', 0, CLI_OPT_HELP},
    {"json", 0, 0, CLI_OPT_JSON},
    {"columns", 0, 1, CLI_OPT_COLUMNS},
    {"header", 0, 0, CLI_OPT_HEADER},
    {"no-header", 0, 0, CLI_OPT_NO_HEADER},
    {"delimiter", 0, 1, CLI_OPT_DELIMITER},
    {"binary-cols", 0, 1, CLI_OPT_BINARY_COLS},
    {"proba", 0, 0, OPT_PROBA},
    {NULL, 0, 0, 0},
};

/* Arguments of predict and score. */
typedef struct model_data_args {
    const char *model, *data;
    cli_data_opts dopts;
    int json, proba, help;
} model_data_args;

/* Parse `vem CMD MODEL DATA [options]`; returns 0 or an exit status (reported). */
static int parse_model_data(int argc, char **argv, const char *cmd, int allow_proba,
                            model_data_args *a)
{
    memset(a, 0, sizeof *a);
    cli_data_opts_init(&a->dopts);
    cli_parser p;
    cli_parser_init(&p, argc, argv, 2, data_command_options, cmd);
    const char *val;
    int id, rc;
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
        } else if (id == CLI_OPT_HELP) {
            a->help = 1;
        } else if (id == CLI_OPT_JSON) {
            a->json = 1;
        } else if (id == OPT_PROBA && allow_proba) {
            a->proba = 1;
        } else if (id == OPT_PROBA) {
            cli_error("%s: unknown option '--proba'", cmd);
            return cli_usage_error(cmd);
        } else if ((rc = cli_data_option(&a->dopts, id, val)) != 0) {
            return cli_usage_error(cmd);
        }
    }
    if (a->help)
        return 0;
    if (!a->model || !a->data) {
        cli_error("%s: missing %s", cmd, a->model ? "DATA" : "MODEL and DATA");
        return cli_usage_error(cmd);
    }
    if (cli_data_opts_check(&a->dopts))
        return cli_usage_error(cmd);
    return 0;
}

/* Load the model and read the data with the model's columns. */
static int load_model_and_data(const model_data_args *a, vem_gmm **g, vem_table *t)
{
    memset(t, 0, sizeof *t);
    *g = cli_load_gmm(a->model);
    if (!*g)
        return CLI_EXIT_INPUT;
    int rc = cli_read_data(a->data, &a->dopts, vem_gmm_columns(*g), vem_gmm_d(*g), t);
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

int cli_cmd_predict(int argc, char **argv)
{
    model_data_args a;
    int rc = parse_model_data(argc, argv, "predict", 1, &a);
    if (rc != 0 || a.help)
        return rc ? rc : cli_command_help(stdout, "predict");
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
            rc = cli_fail(s, a.data);
        } else if (a.json) {
            json_t *o = json_object();
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
            rc = cli_fail(s, a.data);
        } else if (a.json) {
            json_t *o = json_object();
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

int cli_cmd_score(int argc, char **argv)
{
    model_data_args a;
    int rc = parse_model_data(argc, argv, "score", 0, &a);
    if (rc != 0 || a.help)
        return rc ? rc : cli_command_help(stdout, "score");
    vem_gmm *g;
    vem_table t;
    rc = load_model_and_data(&a, &g, &t);
    if (rc != 0)
        return rc;
    vem_matrix x = vem_table_matrix(&t);
    double mean, total;
    vem_status s = vem_gmm_score(g, &x, &mean, &total);
    if (s != VEM_OK) {
        rc = cli_fail(s, a.data);
    } else if (a.json) {
        json_t *o = json_object();
        json_object_set_new(o, "n", json_integer((json_int_t)t.rows));
        json_object_set_new(o, "mean_log_likelihood", cli_json_real(mean));
        json_object_set_new(o, "total_log_likelihood", cli_json_real(total));
        json_object_set_new(o, "bic", cli_json_real(vem_gmm_bic(g, total, t.rows)));
        json_object_set_new(o, "aic", cli_json_real(vem_gmm_aic(g, total)));
        rc = cli_json_emit(o);
    } else {
        printf("n: %zu\n", t.rows);
        printf("mean log-likelihood: %.17g\n", mean);
        printf("total log-likelihood: %.17g\n", total);
    }
    vem_table_clear(&t);
    vem_gmm_free(g);
    return rc;
}

static const cli_option sample_options[] = {
    {"help", 'h', 0, CLI_OPT_HELP},
    {"json", 0, 0, CLI_OPT_JSON},
    {"n-samples", 'n', 1, OPT_N},
    {"seed", 0, 1, OPT_SEED},
    {NULL, 0, 0, 0},
};

int cli_cmd_sample(int argc, char **argv)
{
    const char *model = NULL;
    size_t n = 0;
    uint64_t seed = 0;
    int json = 0, help = 0;
    cli_parser p;
    cli_parser_init(&p, argc, argv, 2, sample_options, "sample");
    const char *val;
    int id;
    while ((id = cli_next(&p, &val)) != CLI_END) {
        switch (id) {
        case CLI_BAD:
            return cli_usage_error("sample");
        case CLI_POSITIONAL:
            if (model) {
                cli_error("sample: unexpected argument '%s'", val);
                return cli_usage_error("sample");
            }
            model = val;
            break;
        case CLI_OPT_HELP:
            help = 1;
            break;
        case CLI_OPT_JSON:
            json = 1;
            break;
        case OPT_N:
            if (cli_parse_size("-n", val, 1, SIZE_MAX, &n))
                return cli_usage_error("sample");
            break;
        case OPT_SEED:
            if (cli_parse_u64("--seed", val, &seed))
                return cli_usage_error("sample");
            break;
        default:
            break;
        }
    }
    if (help)
        return cli_command_help(stdout, "sample");
    if (!model || n == 0) {
        cli_error("sample: missing %s", model ? "-n N" : "MODEL");
        return cli_usage_error("sample");
    }

    vem_gmm *g = cli_load_gmm(model);
    if (!g)
        return CLI_EXIT_INPUT;
    size_t d = vem_gmm_d(g);
    double *xs = alloc_array(n, d, sizeof *xs);
    size_t *labels = alloc_array(n, 1, sizeof *labels);
    int rc = 0;
    vem_rng rng;
    vem_rng_seed(&rng, seed);
    vem_status s;
    if (!xs || !labels) {
        rc = CLI_EXIT_INPUT;
    } else if ((s = vem_gmm_sample(g, n, &rng, xs, labels)) != VEM_OK) {
        rc = cli_fail(s, model);
    } else if (json) {
        json_t *o = json_object();
        json_object_set_new(o, "samples", cli_json_matrix(xs, n, d));
        json_object_set_new(o, "components", cli_json_indices(labels, n));
        rc = cli_json_emit(o);
    } else {
        char buf[32];
        for (size_t j = 0; j < d; j++)
            printf("%s,", cli_column_name(g, j, buf, sizeof buf));
        printf("component\n");
        for (size_t i = 0; i < n; i++) {
            for (size_t j = 0; j < d; j++)
                printf("%.17g,", xs[i * d + j]);
            printf("%zu\n", labels[i]);
        }
    }
    free(xs);
    free(labels);
    vem_gmm_free(g);
    return rc;
}

static const cli_option info_options[] = {
    {"help", 'h', 0, CLI_OPT_HELP},
    {"json", 0, 0, CLI_OPT_JSON},
    {NULL, 0, 0, 0},
};

int cli_cmd_info(int argc, char **argv)
{
    const char *model = NULL;
    int json = 0, help = 0;
    cli_parser p;
    cli_parser_init(&p, argc, argv, 2, info_options, "info");
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
        } else if (id == CLI_OPT_HELP) {
            help = 1;
        } else if (id == CLI_OPT_JSON) {
            json = 1;
        }
    }
    if (help)
        return cli_command_help(stdout, "info");
    if (!model) {
        cli_error("info: missing MODEL");
        return cli_usage_error("info");
    }
    vem_gmm *g = cli_load_gmm(model);
    if (!g)
        return CLI_EXIT_INPUT;
    int rc = 0;
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
