/*
 * cli/cmd_vae.c — the variational autoencoder's commands (docs/vae.md):
 *
 *     vem fit vae DATA [--latent 20 --hidden 400 --activation relu --likelihood bernoulli
 *                       --binarize static|dynamic|none --samples L --epochs N --batch-size 128
 *                       --lr 1e-3 --validation FILE --patience N] -o vae.json
 *     vem score MODEL DATA [--importance-samples K]   ELBO (and IWAE) per row
 *     vem encode MODEL DATA                            posterior means and sds
 *     vem reconstruct MODEL DATA                       decoder means at the posterior means
 *     vem sample MODEL -n N                            decoder means of prior draws
 *     vem info MODEL                                   the architecture
 *
 * A thin client of include/vem/vae.h on the engine's Adam (VEM_ALG_ADAM).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

extern const cli_verb cli_vae_fit, cli_vae_score, cli_vae_sample, cli_vae_encode,
    cli_vae_reconstruct, cli_vae_info;

enum {
    OPT_LATENT = CLI_OPT_OWN,
    OPT_HIDDEN,
    OPT_ACTIVATION,
    OPT_LIKELIHOOD,
    OPT_BINARIZE,
    OPT_SAMPLES,
    OPT_EPOCHS,
    OPT_LR,
    OPT_VALIDATION,
    OPT_PATIENCE,
    OPT_IMPORTANCE,
    OPT_SEED_EVAL,
    OPT_THREADS,
};

static const cli_option fit_options[] = {
    {"latent", 0, 1, OPT_LATENT, "K", "latent dimensions (default 20)"},
    {"hidden", 0, 1, OPT_HIDDEN, "LIST",
     "hidden layer sizes of the encoder, comma-separated (default 400;\n"
     "the decoder mirrors them; 0: none)"},
    {"activation", 0, 1, OPT_ACTIVATION, "A", "relu (default), tanh or softplus"},
    {"likelihood", 0, 1, OPT_LIKELIHOOD, "L",
     "bernoulli (default; binary data: on grey levels not a normalised\n"
     "likelihood) or gaussian (learned variance per dimension)"},
    {"binarize", 0, 1, OPT_BINARIZE, "B",
     "static (x > 0.5, once), dynamic (a Bernoulli(x) draw at every\n"
     "visit) or none (default)"},
    {"samples", 0, 1, OPT_SAMPLES, "L", "reparameterised draws per row and step (default 1)"},
    {"epochs", 0, 1, OPT_EPOCHS, "N", "passes over DATA: the same as --max-iter"},
    {"lr", 0, 1, OPT_LR, "R", "Adam's step size (default 1e-3)"},
    {"validation", 0, 1, OPT_VALIDATION, "FILE",
     "held-out rows: their ELBO after every epoch in the trace;\nthe best epoch's parameters are kept"},
    {"patience", 0, 1, OPT_PATIENCE, "N",
     "with --validation: stop after N epochs without a better\nvalidation ELBO (default 0: never)"},
    {NULL, 0, 0, 0, NULL, NULL},
};

static const cli_option score_options[] = {
    {"importance-samples", 0, 1, OPT_IMPORTANCE, "K",
     "also the importance-weighted bound with K samples (Burda et al.\n"
     "2016; 5000: the usual test log-likelihood estimate)"},
    {"binarize", 0, 1, OPT_BINARIZE, "B", "static (x > 0.5) or none (default)"},
    {"seed", 0, 1, OPT_SEED_EVAL, "S", "seed of the Monte-Carlo draws (default 0)"},
    {"samples", 0, 1, OPT_SAMPLES, "L", "draws per row for the ELBO (default: the model's)"},
    {"threads", 0, 1, OPT_THREADS, "T",
     "threads of the IWAE; 0 = all (default); results do not depend on it"},
    {NULL, 0, 0, 0, NULL, NULL},
};

static const cli_option data_only_options[] = {
    {"binarize", 0, 1, OPT_BINARIZE, "B", "static (x > 0.5) or none (default)"},
    {NULL, 0, 0, 0, NULL, NULL},
};

static const cli_option *const fit_tables[] = {fit_options, cli_engine_options,
                                               cli_common_options, cli_data_options, NULL};
static const cli_option *const score_tables[] = {score_options, cli_common_options,
                                                 cli_data_options, NULL};
static const cli_option *const data_tables[] = {data_only_options, cli_common_options,
                                                cli_data_options, NULL};
static const cli_option *const info_tables[] = {cli_common_options, NULL};

/* Adam, 50 epochs of minibatches of 128 rows, every epoch run (tol 0). */
static void vae_defaults(vem_fit_opts *o)
{
    o->algorithm = VEM_ALG_ADAM;
    o->batch_size = 128;
    o->max_iter = 50;
    o->tol = 0;
}

static const cli_fit_kind vae_kind = {
    "vae", "ELBO", "row", "rows",
    CLI_MC_OPTIONS | CLI_ENGINE_BIT(CLI_OPT_TOL_RULE) |
        CLI_ENGINE_BIT(CLI_OPT_ACCELERATE) |
    CLI_ENGINE_BIT(CLI_OPT_N_INIT) | CLI_ENGINE_BIT(CLI_OPT_ALGORITHM) |
        CLI_ENGINE_BIT(CLI_OPT_KAPPA) | CLI_ENGINE_BIT(CLI_OPT_TAU) |
        CLI_ENGINE_BIT(CLI_OPT_N_BLOCKS) | CLI_ENGINE_BIT(CLI_OPT_EVAL_PASSES),
    vae_defaults};

typedef struct vae_args {
    const char *model, *data; /* operands: for fit, the kind and DATA */
    size_t latent, hidden[64], n_hidden, samples, importance, patience;
    int samples_given;
    int arch_given; /* --latent, --hidden, --activation or --likelihood */
    vem_vae_activation act;
    vem_vae_likelihood lik;
    int binarize; /* 0 none, 1 static, 2 dynamic */
    double lr;
    const char *validation;
    uint64_t seed;
    int threads;
    cli_fit_args f;
    cli_data_opts dopts;
} vae_args;

static int parse_hidden(const char *s, vae_args *a)
{
    a->n_hidden = 0;
    if (strcmp(s, "0") == 0)
        return 0;
    const char *p = s;
    while (*p) {
        char *end;
        unsigned long long v = strtoull(p, &end, 10);
        if (end == p || v == 0 || v > 1000000 || (*end && *end != ',') || a->n_hidden == 64) {
            cli_error("--hidden: expected up to 64 comma-separated sizes in [1, 1000000], "
                      "got '%s'", s);
            return CLI_EXIT_USAGE;
        }
        a->hidden[a->n_hidden++] = (size_t)v;
        p = *end ? end + 1 : end;
    }
    return 0;
}

static int own_option(vae_args *a, int id, const char *val)
{
    if (id == OPT_LATENT || id == OPT_HIDDEN || id == OPT_ACTIVATION || id == OPT_LIKELIHOOD)
        a->arch_given = 1;
    switch (id) {
    case OPT_LATENT:
        return cli_parse_size("--latent", val, 1, 1000000, &a->latent);
    case OPT_HIDDEN:
        return parse_hidden(val, a);
    case OPT_ACTIVATION:
        if (vem_vae_activation_parse(val, &a->act) != VEM_OK) {
            cli_error("--activation: expected relu, tanh or softplus, got '%s'", val);
            return CLI_EXIT_USAGE;
        }
        return 0;
    case OPT_LIKELIHOOD:
        if (vem_vae_likelihood_parse(val, &a->lik) != VEM_OK) {
            cli_error("--likelihood: expected bernoulli or gaussian, got '%s'", val);
            return CLI_EXIT_USAGE;
        }
        return 0;
    case OPT_BINARIZE:
        a->binarize = strcmp(val, "none") == 0 ? 0 : strcmp(val, "static") == 0 ? 1
                      : strcmp(val, "dynamic") == 0 && a->f.kind == &vae_kind ? 2 : -1;
        if (a->binarize < 0) {
            cli_error("--binarize: expected static, %snone; got '%s'",
                      a->f.kind == &vae_kind ? "dynamic or " : "or ", val);
            return CLI_EXIT_USAGE;
        }
        return 0;
    case OPT_SAMPLES:
        a->samples_given = 1;
        return cli_parse_size("--samples", val, 1, 100000, &a->samples);
    case OPT_EPOCHS:
        a->f.given |= CLI_ENGINE_BIT(CLI_OPT_MAX_ITER);
        return cli_parse_size("--epochs", val, 1, 1000000000, &a->f.opts.max_iter);
    case OPT_LR:
        return cli_parse_double("--lr", val, 0.0, 1, &a->lr);
    case OPT_VALIDATION:
        a->validation = val;
        return 0;
    case OPT_PATIENCE:
        return cli_parse_size("--patience", val, 0, 1000000000, &a->patience);
    case OPT_IMPORTANCE:
        return cli_parse_size("--importance-samples", val, 1, 100000000, &a->importance);
    case OPT_SEED_EVAL:
        return cli_parse_u64("--seed", val, &a->seed);
    case OPT_THREADS:
        return cli_parse_threads(val, &a->threads);
    default:
        return -1;
    }
}

/* own_option for cli_parse_model_command. */
static int own_option_cb(void *a, int id, const char *val)
{
    return own_option(a, id, val);
}

/* Parse `vem CMD ...` (nops operands required); 0 or CLI_EXIT_USAGE (reported). */
static int parse_args(int argc, char **argv, const cli_verb *v, const char *cmd, int nops,
                      vae_args *a)
{
    memset(a, 0, sizeof *a);
    cli_data_opts_init(&a->dopts);
    cli_fit_args_init(&a->f, v->fit ? v->fit : &vae_kind);
    if (!v->fit)
        a->f.kind = NULL; /* not a fit: --binarize dynamic is refused */
    a->latent = 20;
    a->hidden[0] = 400;
    a->n_hidden = 1;
    a->samples = 1;
    a->lr = 1e-3;
    cli_parser p;
    cli_parser_init(&p, argc, argv, 2, v->tables, v->fit ? v->fit->exclude : 0, cmd);
    int rc = cli_parse_model_command(&p, nops, &a->model, &a->data, own_option_cb, a, &a->f,
                                     &a->dopts);
    if (rc == 0 && (!a->model || (nops > 1 && !a->data))) {
        cli_error("%s: missing %s", cmd, a->model || v->fit ? "DATA" : "MODEL and DATA");
        rc = CLI_EXIT_USAGE;
    }
    if (rc == 0 && a->binarize == 2 && a->lik != VEM_VAE_BERNOULLI) {
        cli_error("%s: --binarize dynamic needs --likelihood bernoulli", cmd);
        rc = CLI_EXIT_USAGE;
    }
    if (rc == 0 && a->patience && !a->validation) {
        cli_error("%s: --patience needs --validation FILE", cmd);
        rc = CLI_EXIT_USAGE;
    }
    if (rc == 0 && nops > 1 && cli_data_opts_check(&a->dopts))
        rc = CLI_EXIT_USAGE;
    if (rc == 0 && v->fit && cli_fit_args_check(&a->f, cmd))
        rc = CLI_EXIT_USAGE;
    return rc == 0 ? 0 : cli_usage_error(cmd);
}

/*
 * Read DATA (d > 0: that many columns) and binarise it statically when asked: CSV, IDX
 * (gzip), .npy and raw values (--binary-cols, --dtype), --scale, through the shared
 * readers (cli_read_data).
 */
static int read_rows(const char *path, const vae_args *a, size_t d, vem_table *t)
{
    int rc = cli_read_data(path, &a->dopts, NULL, d, t);
    if (rc)
        return rc;
    if (a->binarize == 1)
        for (size_t i = 0; i < t->rows * t->cols; i++)
            t->data[i] = t->data[i] > 0.5 ? 1.0 : 0.0;
    if (t->rows == 0) {
        cli_error("%s: no rows", path);
        return CLI_EXIT_INPUT;
    }
    return 0;
}

/* read_rows for a distributed fit (--mpi): this process's share (cli_read_share), which
 * may be empty; *rows_all the rows of all processes. Every process gets the same status. */
static int read_share(const char *path, const vae_args *a, size_t d, vem_table *t,
                      size_t *rows_all)
{
    int rc = cli_read_share(path, &a->dopts, NULL, d, t, rows_all);
    if (rc)
        return rc;
    if (a->binarize == 1)
        for (size_t i = 0; i < t->rows * t->cols; i++)
            t->data[i] = t->data[i] > 0.5 ? 1.0 : 0.0;
    if (*rows_all == 0) {
        if (cli_mpi_rank() == 0)
            cli_error("%s: no rows", path);
        return CLI_EXIT_INPUT;
    }
    return 0;
}

static const char *binarize_name(int b)
{
    return b == 1 ? "static" : b == 2 ? "dynamic" : "none";
}

static int fit_vae(vae_args *a)
{
    vem_table t, tv;
    memset(&tv, 0, sizeof tv);
    memset(&t, 0, sizeof t);
    vem_vae *v = NULL;
    vem_source *src = NULL;
    size_t rows = 0, vrows = 0;
    int rc;
    if (a->f.stream) {
        /* --stream: DATA read a chunk of 65,536 rows at a time (the engine's shuffle_rows),
         * shuffled within (under --mpi each process streams its share); --binarize static thresholds each
         * row as the E-step reads it (vem_vae_set_binarize mode 2). */
        if ((rc = cli_open_source(a->data, &a->dopts, NULL, 0,
                                  a->f.mpi ? cli_mpi_comm() : NULL, &src)) != 0)
            return rc;
        t.cols = vem_source_cols(src);
        rows = vem_source_rows(src);
    } else {
        /* --mpi: each process its share of DATA (and of the validation rows); the engine
         * sums the gradients and objectives over the processes (docs/mpi.md). */
        rc = a->f.mpi ? read_share(a->data, a, 0, &t, &rows) : read_rows(a->data, a, 0, &t);
        if (rc)
            return rc;
        if (!a->f.mpi)
            rows = t.rows;
    }
    if (a->validation) {
        rc = a->f.mpi ? read_share(a->validation, a, t.cols, &tv, &vrows)
                      : read_rows(a->validation, a, t.cols, &tv);
        if (rc)
            goto out;
        if (!a->f.mpi)
            vrows = tv.rows;
    }
    if (a->f.init_model) {
        /* --init-model: the architecture and the start from the file; Adam starts anew. */
        if (a->arch_given) {
            cli_error("fit vae: --init-model takes the architecture from %s: leave out "
                      "--latent, --hidden, --activation and --likelihood",
                      a->f.init_model);
            rc = cli_usage_error("fit vae");
            goto out;
        }
        if (!(v = vem_vae_load(a->f.init_model))) {
            rc = cli_fail(VEM_EFORMAT, a->f.init_model);
            goto out;
        }
        if (vem_vae_d(v) != t.cols) {
            cli_error("%s: %zu columns, the model %s has d=%zu", a->data, t.cols,
                      a->f.init_model, vem_vae_d(v));
            rc = CLI_EXIT_INPUT;
            goto out;
        }
        a->latent = vem_vae_latent(v);
        a->n_hidden = vem_vae_n_hidden(v);
        memcpy(a->hidden, vem_vae_hidden(v), a->n_hidden * sizeof *a->hidden);
        a->lik = vem_vae_likelihood_of(v);
        a->act = vem_vae_activation_of(v);
        if (!a->samples_given)
            a->samples = vem_vae_samples(v);
        if (a->binarize == 2 && a->lik != VEM_VAE_BERNOULLI) {
            cli_error("fit vae: --binarize dynamic needs a Bernoulli model; %s is Gaussian",
                      a->f.init_model);
            rc = cli_usage_error("fit vae");
            goto out;
        }
    } else {
        v = vem_vae_new(t.cols, a->latent, a->hidden, a->n_hidden, a->lik, a->act);
    }
    vem_status s = v ? VEM_OK : VEM_EINVAL; /* vem_errmsg() says which */
    if (s == VEM_OK && (s = vem_vae_set_samples(v, a->samples)) == VEM_OK)
        s = vem_vae_set_binarize(v, a->binarize == 2 ? 1 : a->binarize == 1 && src ? 2 : 0);
    if (s != VEM_OK) {
        rc = cli_fail(s, "fit vae");
        goto out;
    }
    vem_fit_opts o = a->f.opts;
    if (a->f.mpi)
        o.comm = cli_mpi_comm();
    o.lr = a->lr;
    o.patience = a->patience;
    vem_data xv = vem_data_rows(vem_table_matrix(&tv));
    o.validation = a->validation ? &xv : NULL;
    vem_data x = vem_data_rows(vem_table_matrix(&t));
    vem_model m = vem_vae_model(v);
    vem_rng rng;
    vem_rng_seed(&rng, a->f.seed);
    vem_fit_result res;
    cli_fit_running = 1;
    s = src ? vem_fit_run_source(&m, src, &o, &rng, &res) : vem_fit_run(&m, &x, &o, &rng, &res);
    cli_fit_running = 0;
    cli_progress_end_line();
    if (src) {
        rows = (size_t)res.n_obs; /* all the processes' rows */
        if (cli_fit_usable(s) && a->binarize == 1)
            vem_vae_set_binarize(v, 0); /* saved as the in-memory static fit is */
    }
    if (!cli_fit_usable(s)) {
        /* Under MPI every rank saw the same sums and failed alike: one message. */
        rc = cli_mpi_rank() == 0 ? cli_fail(s, a->data) : cli_exit_status(s);
        goto out;
    }
    if (a->f.output && cli_mpi_rank() == 0 && (s = vem_vae_save(v, a->f.output, &res)) != VEM_OK)
        rc = cli_fail(s, a->f.output);
    if ((rc = cli_mpi_agree(rc)) != 0) {
        vem_fit_result_clear(&res);
        goto out;
    }
    if (a->f.json) {
        json_t *j = json_object();
        if (j) {
            cli_json_fit_common(j, &a->f, &res, rows);
            json_object_set_new(j, "n", json_integer((json_int_t)rows));
            json_object_set_new(j, "elbo", cli_json_real(res.objective));
            json_object_set_new(j, "mean_elbo", cli_json_real(res.objective / (double)rows));
            json_object_set_new(j, "d", json_integer((json_int_t)t.cols));
            json_object_set_new(j, "latent", json_integer((json_int_t)a->latent));
            json_object_set_new(j, "hidden", cli_json_indices(a->hidden, a->n_hidden));
            json_object_set_new(j, "likelihood", json_string(vem_vae_likelihood_name(a->lik)));
            json_object_set_new(j, "activation", json_string(vem_vae_activation_name(a->act)));
            json_object_set_new(j, "binarize", json_string(binarize_name(a->binarize)));
            json_object_set_new(j, "samples", json_integer((json_int_t)a->samples));
            json_object_set_new(j, "n_params",
                                json_integer((json_int_t)vem_vae_params_len(v)));
            if (a->validation && res.trace_len)
                json_object_set_new(j, "validation_elbo",
                                    cli_json_real(res.trace[res.trace_len - 1].validation));
        }
        rc = cli_json_emit(j);
    } else {
        printf("variational autoencoder: %zu rows, d=%zu, latent %zu, hidden", rows, t.cols,
               a->latent);
        for (size_t i = 0; i < a->n_hidden; i++)
            printf("%s%zu", i ? "," : " ", a->hidden[i]);
        printf("%s, %s, %s likelihood (binarize %s), %zu parameters\n",
               a->n_hidden ? "" : " none", vem_vae_activation_name(a->act),
               vem_vae_likelihood_name(a->lik), binarize_name(a->binarize),
               vem_vae_params_len(v));
        if (a->validation && res.trace_len)
            printf("validation ELBO: %.6f nats per row (last epoch)\n",
                   res.trace[res.trace_len - 1].validation / (double)vrows);
        cli_print_fit_tail(&a->f, &res);
    }
    vem_fit_result_clear(&res);
out:
    vem_vae_free(v);
    vem_source_close(src);
    vem_table_clear(&t);
    vem_table_clear(&tv);
    return rc;
}

/* Load MODEL and read DATA with its column count. NULL: *rc set (reported). */
static vem_vae *load(const vae_args *a, vem_table *t, int *rc)
{
    memset(t, 0, sizeof *t);
    vem_vae *v = vem_vae_load(a->model);
    if (!v) {
        *rc = cli_fail(VEM_EFORMAT, a->model);
        return NULL;
    }
    if (a->data && (*rc = read_rows(a->data, a, vem_vae_d(v), t)) != 0) {
        vem_vae_free(v);
        vem_table_clear(t);
        return NULL;
    }
    *rc = 0;
    return v;
}

static int vae_score(int argc, char **argv)
{
    vae_args a;
    vem_table t;
    int rc = parse_args(argc, argv, &cli_vae_score, "score", 2, &a);
    vem_vae *v = rc ? NULL : load(&a, &t, &rc);
    if (!v)
        return rc;
    vem_matrix x = vem_table_matrix(&t);
    const size_t n = t.rows;
    double elbo = 0, iw = 0, se = 0;
    vem_status s = vem_vae_elbo(v, &x, a.samples_given ? a.samples : 0, a.seed, NULL, &elbo);
    if (s == VEM_OK && a.importance)
        s = vem_vae_iwae(v, &x, a.importance, a.seed ^ 0x1a2b3c4dULL, a.threads, NULL, &iw, &se);
    if (s != VEM_OK) {
        rc = cli_fail(s, a.data);
    } else if (a.f.json) {
        json_t *j = json_object();
        if (j) {
            cli_json_score_common(j, "vae", "elbo", n, n, elbo);
            json_object_set_new(j, "n", json_integer((json_int_t)n));
            json_object_set_new(j, "elbo", cli_json_real(elbo));
            json_object_set_new(j, "mean_elbo", cli_json_real(elbo / (double)n));
            if (a.importance) {
                json_object_set_new(j, "importance_samples",
                                    json_integer((json_int_t)a.importance));
                json_object_set_new(j, "iwae", cli_json_real(iw));
                json_object_set_new(j, "mean_iwae", cli_json_real(iw / (double)n));
                json_object_set_new(j, "iwae_se", cli_json_real(se));
            }
        }
        rc = cli_json_emit(j);
    } else {
        cli_print_score("ELBO", "rows", n, "row", n, elbo);
        if (a.importance)
            printf("IWAE bound (k=%zu): %.10g total, %.6f per row (Monte-Carlo se %.3g total)\n",
                   a.importance, iw, iw / (double)n, se);
    }
    vem_vae_free(v);
    vem_table_clear(&t);
    return rc;
}

/* Print a rows x cols matrix with a header of prefix1, prefix2, ... (CSV). */
static void print_csv(const char *const *prefix, const double *const *m, size_t nm, size_t rows,
                      size_t cols)
{
    for (size_t q = 0; q < nm; q++)
        for (size_t j = 0; j < cols; j++)
            printf("%s%s%zu", q || j ? "," : "", prefix[q], j + 1);
    printf("\n");
    for (size_t r = 0; r < rows; r++)
        for (size_t q = 0; q < nm; q++)
            for (size_t j = 0; j < cols; j++)
                printf("%.9g%c", m[q][r * cols + j], q + 1 == nm && j + 1 == cols ? '\n' : ',');
}

static int vae_encode(int argc, char **argv)
{
    vae_args a;
    vem_table t;
    int rc = parse_args(argc, argv, &cli_vae_encode, "encode", 2, &a);
    vem_vae *v = rc ? NULL : load(&a, &t, &rc);
    if (!v)
        return rc;
    const size_t n = t.rows, k = vem_vae_latent(v);
    double *mu = malloc(n * k * sizeof *mu), *sd = malloc(n * k * sizeof *sd);
    vem_matrix x = vem_table_matrix(&t);
    vem_status s = mu && sd ? vem_vae_encode(v, &x, mu, sd) : VEM_ENOMEM;
    if (s != VEM_OK) {
        rc = cli_fail(s, a.data);
    } else if (a.f.json) {
        json_t *j = cli_json_new("vae");
        if (j) {
            json_object_set_new(j, "mean", cli_json_matrix(mu, n, k));
            json_object_set_new(j, "sd", cli_json_matrix(sd, n, k));
        }
        rc = cli_json_emit(j);
    } else {
        const char *pre[2] = {"mean", "sd"};
        const double *const m[2] = {mu, sd};
        print_csv(pre, m, 2, n, k);
    }
    free(mu);
    free(sd);
    vem_vae_free(v);
    vem_table_clear(&t);
    return rc;
}

static int vae_reconstruct(int argc, char **argv)
{
    vae_args a;
    vem_table t;
    int rc = parse_args(argc, argv, &cli_vae_reconstruct, "reconstruct", 2, &a);
    vem_vae *v = rc ? NULL : load(&a, &t, &rc);
    if (!v)
        return rc;
    const size_t n = t.rows, d = vem_vae_d(v);
    double *out = malloc(n * d * sizeof *out);
    vem_matrix x = vem_table_matrix(&t);
    vem_status s = out ? vem_vae_reconstruct(v, &x, out) : VEM_ENOMEM;
    if (s != VEM_OK) {
        rc = cli_fail(s, a.data);
    } else if (a.f.json) {
        json_t *j = cli_json_new("vae");
        if (j)
            json_object_set_new(j, "reconstruction", cli_json_matrix(out, n, d));
        rc = cli_json_emit(j);
    } else {
        const char *pre[1] = {"x"};
        const double *const m[1] = {out};
        print_csv(pre, m, 1, n, d);
    }
    free(out);
    vem_vae_free(v);
    vem_table_clear(&t);
    return rc;
}

static int vae_sample(int argc, char **argv)
{
    cli_sample_args a;
    int rc = cli_sample_parse(argc, argv, &a);
    if (rc != 0)
        return rc;
    vem_vae *v = vem_vae_load(a.model);
    if (!v)
        return cli_fail(VEM_EFORMAT, a.model);
    const size_t n = a.n, d = vem_vae_d(v);
    double *s = n <= SIZE_MAX / sizeof *s / d ? malloc((n ? n : 1) * d * sizeof *s) : NULL;
    vem_rng rng;
    vem_rng_seed(&rng, a.seed);
    vem_status st = s ? vem_vae_sample(v, n, &rng, s) : VEM_ENOMEM;
    if (st != VEM_OK) {
        rc = cli_fail(st, "sample");
    } else if (a.json) {
        json_t *j = cli_json_new("vae");
        if (j)
            json_object_set_new(j, "samples", cli_json_matrix(s, n, d));
        rc = cli_json_emit(j);
    } else {
        const char *pre[1] = {"x"};
        const double *const m[1] = {s};
        print_csv(pre, m, 1, n, d);
    }
    free(s);
    vem_vae_free(v);
    return rc;
}

static int vae_info(int argc, char **argv)
{
    vae_args a;
    vem_table t;
    int rc = parse_args(argc, argv, &cli_vae_info, "info", 1, &a);
    vem_vae *v = rc ? NULL : load(&a, &t, &rc);
    if (!v)
        return rc;
    const size_t nh = vem_vae_n_hidden(v);
    if (a.f.json) {
        json_t *j = cli_json_new("vae");
        if (j) {
            json_object_set_new(j, "d", json_integer((json_int_t)vem_vae_d(v)));
            json_object_set_new(j, "latent", json_integer((json_int_t)vem_vae_latent(v)));
            json_object_set_new(j, "hidden", cli_json_indices(vem_vae_hidden(v), nh));
            json_object_set_new(
                j, "likelihood", json_string(vem_vae_likelihood_name(vem_vae_likelihood_of(v))));
            json_object_set_new(
                j, "activation", json_string(vem_vae_activation_name(vem_vae_activation_of(v))));
            json_object_set_new(j, "samples", json_integer((json_int_t)vem_vae_samples(v)));
            json_object_set_new(j, "n_params", json_integer((json_int_t)vem_vae_params_len(v)));
        }
        rc = cli_json_emit(j);
    } else {
        printf("model: vae (variational autoencoder)\nencoder: %zu", vem_vae_d(v));
        for (size_t i = 0; i < nh; i++)
            printf(" -> %zu", vem_vae_hidden(v)[i]);
        printf(" -> 2 x %zu (mean, log-variance)\ndecoder: %zu", vem_vae_latent(v),
               vem_vae_latent(v));
        for (size_t i = nh; i-- > 0;)
            printf(" -> %zu", vem_vae_hidden(v)[i]);
        printf(" -> %zu (%s)\nactivation: %s, draws per row: %zu, binarisation in training: %s\n"
               "parameters: %zu\n",
               vem_vae_d(v),
               vem_vae_likelihood_of(v) == VEM_VAE_BERNOULLI
                   ? "Bernoulli logits"
                   : "Gaussian means; log-variances per dimension",
               vem_vae_activation_name(vem_vae_activation_of(v)), vem_vae_samples(v),
               vem_vae_binarize(v) == 1 ? "dynamic" : vem_vae_binarize(v) == 2 ? "static" : "none",
               vem_vae_params_len(v));
    }
    vem_vae_free(v);
    return rc;
}

static int vae_fit(int argc, char **argv)
{
    vae_args a;
    int rc = parse_args(argc, argv, &cli_vae_fit, "fit vae", 2, &a);
    return rc ? rc : fit_vae(&a);
}

const cli_verb cli_vae_fit = {
    vae_fit, "DATA [--latent K --hidden LIST --epochs N --lr R ...] [options]",
    "Fit a variational autoencoder (Kingma & Welling 2014) by Adam on the ELBO's\n"
    "reparameterised gradient: an MLP encoder to a diagonal Gaussian q(z|x), an MLP\n"
    "decoder to Bernoulli logits or Gaussian means with a learned variance per\n"
    "dimension, a standard normal prior, minibatches of --batch-size rows in a new\n"
    "order every epoch (docs/vae.md). Data: CSV, IDX, .npy or raw (--binary-cols).\n"
    "--mpi: each process reads its share of the rows; the gradients are summed.\n"
    "--init-model M: M's architecture and weights as the start (Adam's moments start\n"
    "at zero; --resume continues a checkpointed fit exactly).\n"
    "--stream: CSV or raw float64 DATA read 65,536 rows at a time, in a shuffled\n"
    "order of such chunks, rows shuffled within (--binarize static thresholds each\n"
    "row as it is read).",
    fit_tables, &vae_kind};
const cli_verb cli_vae_score = {
    vae_score, "MODEL DATA [--importance-samples K] [options]",
    "The ELBO of the rows of DATA (nats; total and per row, Monte Carlo with the\n"
    "model's draws per row) and with --importance-samples K the importance-weighted\n"
    "bound, an estimate of log p(x) from below, with its Monte-Carlo standard error.",
    score_tables, NULL};
const cli_verb cli_vae_sample = {
    vae_sample, "MODEL -n N [--seed S]",
    "N draws z ~ N(0, I) through the decoder: its means (Bernoulli probabilities or\n"
    "Gaussian means), CSV with a header x1, x2, ...",
    cli_sample_tables, NULL};
const cli_verb cli_vae_encode = {
    vae_encode, "MODEL DATA [options]",
    "The posterior q(z|x) of each row: its means and standard deviations (CSV: mean1,\n"
    "..., sd1, ...).",
    data_tables, NULL};
const cli_verb cli_vae_reconstruct = {
    vae_reconstruct, "MODEL DATA [options]",
    "The decoder's mean at the posterior mean of each row (CSV: x1, x2, ...).",
    data_tables, NULL};
const cli_verb cli_vae_info = {
    vae_info, "MODEL",
    "Describe a model file: the encoder's and decoder's layers, likelihood,\n"
    "activation, training draws per row and the number of parameters.",
    info_tables, NULL};
