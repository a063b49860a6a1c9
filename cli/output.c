/*
 * cli/output.c — printing results: JSON objects for scripts (built with
 * jansson, one object per command) and compact tables for people.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* ---- JSON ---- */

json_t *cli_json_new(const char *kind)
{
    json_t *o = json_object();
    if (o)
        json_object_set_new(o, "model", json_string(kind));
    return o;
}

json_t *cli_json_real(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

json_t *cli_json_vector(const double *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        json_array_append_new(a, cli_json_real(v[i]));
    return a;
}

json_t *cli_json_matrix(const double *v, size_t rows, size_t cols)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < rows; i++)
        json_array_append_new(a, cli_json_vector(v + i * cols, cols));
    return a;
}

json_t *cli_json_indices(const size_t *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        json_array_append_new(a, json_integer((json_int_t)v[i]));
    return a;
}

void cli_print_matrix(const double *v, size_t rows, size_t cols)
{
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++)
            printf("%.17g%c", v[i * cols + j], j + 1 < cols ? ',' : '\n');
}

/* The exit status of a failure while an output object was built, reported then and returned
 * by cli_json_emit (which then prints nothing). */
static int json_failed;

void cli_json_model(json_t *obj, char *text)
{
    int made = text != NULL;
    json_t *m = made ? json_loads(text, 0, NULL) : NULL;
    free(text);
    if (!m) {
        /* vem_*_to_json said why (a column name that is not UTF-8, memory): exit status 2. */
        if (!json_failed)
            json_failed = cli_fail(made ? VEM_ENOMEM : VEM_EINVAL, "model");
        return;
    }
    json_object_del(m, "format");
    json_object_del(m, "version");
    json_object_update(obj, m);
    json_decref(m);
}

void cli_json_gmm(json_t *obj, const vem_gmm *g)
{
    cli_json_model(obj, vem_gmm_to_json(g));
    json_object_set_new(obj, "n_parameters", json_integer((json_int_t)vem_gmm_n_parameters(g)));
}

int cli_json_emit(json_t *obj)
{
    if (json_failed) {
        json_decref(obj);
        return json_failed;
    }
    if (!obj) {
        cli_error("out of memory building the JSON output");
        return CLI_EXIT_INPUT;
    }
    int rc = json_dumpf(obj, stdout, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(obj);
    if (rc != 0) {
        cli_error("cannot write the JSON output");
        return CLI_EXIT_INPUT;
    }
    fputc('\n', stdout);
    return 0;
}

/* ---- text ---- */

const char *cli_column_label(const char *const *cols, size_t j, char *buf, size_t size)
{
    if (cols && cols[j])
        return cols[j];
    snprintf(buf, size, "x%zu", j + 1);
    return buf;
}

/* Width of a table column: its title, at least 12 characters for numbers. */
static int column_width(const char *title)
{
    size_t n = strlen(title);
    return n < 12 ? 12 : (int)(n > 40 ? 40 : n);
}

void cli_print_components(FILE *f, const vem_gmm *g)
{
    size_t k = vem_gmm_k(g), d = vem_gmm_d(g);
    const double *w = vem_gmm_weights(g), *mu = vem_gmm_means(g);
    char buf[32];
    fprintf(f, "%9s  %-12s", "component", "weight");
    for (size_t j = 0; j < d; j++) {
        const char *name = cli_column_label(vem_gmm_columns(g), j, buf, sizeof buf);
        fprintf(f, "  %*.*s", column_width(name), 40, name);
    }
    fputc('\n', f);
    for (size_t i = 0; i < k; i++) {
        fprintf(f, "%9zu  %-12.6g", i, w[i]);
        for (size_t j = 0; j < d; j++) {
            const char *name = cli_column_label(vem_gmm_columns(g), j, buf, sizeof buf);
            fprintf(f, "  %*.6g", column_width(name), mu[i * d + j]);
        }
        fputc('\n', f);
    }
}

static void print_row(FILE *f, const char *label, const double *v, size_t n)
{
    fprintf(f, "  %-12s", label);
    for (size_t j = 0; j < n; j++)
        fprintf(f, " %13.6g", v[j]);
    fputc('\n', f);
}

void cli_print_gmm(FILE *f, const vem_gmm *g)
{
    size_t k = vem_gmm_k(g), d = vem_gmm_d(g);
    vem_cov cov = vem_gmm_cov(g);
    const double *w = vem_gmm_weights(g), *mu = vem_gmm_means(g);
    const double *c = vem_gmm_covariances(g);
    char buf[32];

    fprintf(f, "model: gmm (Gaussian mixture)\n");
    fprintf(f, "components: K=%zu\nfeatures: D=%zu\n", k, d);
    fprintf(f, "covariance: %s [mclust %s]\n", vem_cov_name(cov), cli_cov_mclust(cov));
    fprintf(f, "columns:");
    for (size_t j = 0; j < d; j++)
        fprintf(f, "%s %s", j ? "," : "", cli_column_label(vem_gmm_columns(g), j, buf, sizeof buf));
    fprintf(f, "%s\n", vem_gmm_columns(g) ? "" : " (not named)");
    fprintf(f, "reg_covar: %g\n", vem_gmm_reg_covar(g));
    fprintf(f, "parameters: %zu\n\n", vem_gmm_n_parameters(g));
    cli_print_components(f, g);
    for (size_t i = 0; i < k; i++) {
        fprintf(f, "\ncomponent %zu: weight %.6g\n", i, w[i]);
        print_row(f, "mean", mu + i * d, d);
        switch (vem_cov_layout(cov)) {
        case VEM_COV_FULL:
            for (size_t r = 0; r < d; r++)
                print_row(f, r == 0 ? "covariance" : "", c + (i * d + r) * d, d);
            break;
        case VEM_COV_DIAG:
            print_row(f, "variances", c + i * d, d);
            break;
        case VEM_COV_SPHERICAL:
            print_row(f, "variance", c + i, 1);
            break;
        case VEM_COV_TIED:
            break;
        }
    }
    if (vem_cov_layout(cov) == VEM_COV_TIED) {
        fprintf(f, "\nshared covariance:\n");
        for (size_t r = 0; r < d; r++)
            print_row(f, "", c + r * d, d);
    }
}

int cli_finish_stdout(void)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error("error writing to standard output");
        return CLI_EXIT_INPUT;
    }
    return 0;
}

/* ---- vem sample, for every kind ---- */

enum { OPT_SAMPLE_N = CLI_OPT_OWN, OPT_SAMPLE_SEED, OPT_SAMPLE_START };

static const cli_option sample_options[] = {
    {"n-samples", 'n', 1, OPT_SAMPLE_N, "N", "draws (rows, or frames of one sequence) (>= 1)"},
    {"seed", 0, 1, OPT_SAMPLE_SEED, "S", "random seed (default 0)"},
    {NULL, 0, 0, 0, NULL, NULL},
};

static const cli_option sample_state_options[] = {
    {"start-state", 0, 1, OPT_SAMPLE_START, "S",
     "the first frame's state (0-based; default: drawn\nfrom the start probabilities)"},
    {NULL, 0, 0, 0, NULL, NULL},
};

const cli_option *const cli_sample_tables[] = {sample_options, cli_common_options, NULL};
const cli_option *const cli_sample_state_tables[] = {sample_options, sample_state_options,
                                                     cli_common_options, NULL};

int cli_sample_parse(int argc, char **argv, cli_sample_args *a)
{
    return cli_sample_parse_tables(argc, argv, cli_sample_tables, a);
}

int cli_sample_parse_tables(int argc, char **argv, const cli_option *const *tables,
                            cli_sample_args *a)
{
    memset(a, 0, sizeof *a);
    a->start_state = SIZE_MAX;
    cli_parser p;
    cli_parser_init(&p, argc, argv, 2, tables, 0, "sample");
    const char *val;
    int id, rc = 0;
    while (rc == 0 && (id = cli_next(&p, &val)) != CLI_END) {
        if (id == CLI_BAD) {
            rc = CLI_EXIT_USAGE;
        } else if (id == CLI_POSITIONAL && a->model) {
            cli_error("sample: unexpected argument '%s'", val);
            rc = CLI_EXIT_USAGE;
        } else if (id == CLI_POSITIONAL) {
            a->model = val;
        } else if (id == CLI_OPT_JSON) {
            a->json = 1;
        } else if (id == OPT_SAMPLE_N) {
            rc = cli_parse_size("-n", val, 1, (size_t)1 << 40, &a->n);
        } else if (id == OPT_SAMPLE_SEED) {
            rc = cli_parse_u64("--seed", val, &a->seed);
        } else if (id == OPT_SAMPLE_START) {
            rc = cli_parse_size("--start-state", val, 0, 100000, &a->start_state);
        }
    }
    if (rc == 0 && (!a->model || a->n == 0)) {
        cli_error("sample: missing %s", a->model ? "-n N" : "MODEL");
        rc = CLI_EXIT_USAGE;
    }
    return rc ? cli_usage_error("sample") : 0;
}

int cli_sample_print(const char *kind, const double *xs, const size_t *labels, size_t n, size_t d,
                     const char *const *cols, const char *label_name, int json)
{
    if (json) {
        json_t *o = cli_json_new(kind);
        char key[32];
        snprintf(key, sizeof key, "%ss", label_name);
        if (o) {
            json_object_set_new(o, "samples", cli_json_matrix(xs, n, d));
            json_object_set_new(o, key, cli_json_indices(labels, n));
        }
        return cli_json_emit(o);
    }
    char buf[32];
    for (size_t j = 0; j < d; j++)
        printf("%s,", cli_column_label(cols, j, buf, sizeof buf));
    printf("%s\n", label_name);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < d; j++)
            printf("%.17g,", xs[i * d + j]);
        printf("%zu\n", labels[i]);
    }
    return 0;
}
