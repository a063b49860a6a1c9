/*
 * cli/cmd_fit.c — `vem fit gmm DATA -k K [options]`: one fit, a warm start
 * from a saved model, or model selection by BIC over several K and
 * covariance structures (as mclust's Mclust()).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

enum { OPT_K = CLI_OPT_OWN, OPT_COVARIANCE, OPT_SELECT, OPT_INIT, OPT_REG_COVAR, OPT_PRIOR,
       OPT_EQUAL_WEIGHTS };

static const cli_option gmm_options[] = {
    {"components", 'k', 1, OPT_K, "K", "components: a number, a range A-B or a list A,B,C"},
    {"covariance", 0, 1, OPT_COVARIANCE, "C",
     "full (default), diag, spherical, tied, or an mclust name:\n"
     "EII VII EEI VEI EVI VVI EEE VEE EVE VVE EEV VEV EVV VVV\n"
     "(VVV = full, VVI = diag, VII = spherical, EEE = tied);\n"
     "a comma list, or all (the 14, as mclust's Mclust())"},
    {"select", 0, 1, OPT_SELECT, "bic|icl",
     "fit every (K, covariance) pair and keep the lowest BIC\n"
     "(Mclust()) or ICL (BIC + twice the entropy of the hard\n"
     "classification, mclustICL()); bic is implied when there is\n"
     "more than one pair"},
    {"init", 0, 1, OPT_INIT, "M",
     "auto (default), hc, kmeans, kmeans++ or random; auto is hc\n"
     "up to 2000 rows (the initialisation sample) of up to 32\n"
     "columns, kmeans otherwise.\n"
     "hc: mclust's start, model-based hierarchical agglomeration\n"
     "(VVV on the SVD-transformed data; quantile classes for one\n"
     "column), one tree cut at every K, on at most 2000 rows\n"
     "(evenly spread) and O(rows^2) memory; deterministic, so with\n"
     "--n-init N the restarts after the first start from kmeans"},
    {"reg-covar", 0, 1, OPT_REG_COVAR, "E",
     "added to covariance diagonals (default 1e-6; 0 with --prior)"},
    {"equal-weights", 0, 0, OPT_EQUAL_WEIGHTS, NULL,
     "hold every mixing weight at 1/K (mclust's equalPro); with EII and\n"
     "--algorithm cem the fit is k-means. One model: not with --select"},
    {"prior", 0, 0, OPT_PRIOR, NULL,
     "MAP fit under mclust's conjugate prior (Fraley & Raftery 2007)\n"
     "with priorControl()'s defaults: shrinkage 0.01, the column means,\n"
     "dof d + 2, scale var(data) / K^(2/d); EM maximises (and --tol\n"
     "measures) log-likelihood + log prior; BIC uses the log-likelihood,\n"
     "as mclust. Not for VEE, EVE, VVE, EVV (none in mclust; `all`\n"
     "leaves them out). Not with --mpi"},
    {NULL, 0, 0, 0, NULL, NULL},
};

static const cli_option *const fit_tables[] = {gmm_options, cli_engine_options, cli_common_options,
                                               cli_data_options, NULL};

/* Batch EM stops at a total change of 1e-8 nats within 10000 iterations
 * (vem_gmm_fit_opts_init). With --prior the objective is the log posterior
 * (log-likelihood + log prior). */
static const cli_fit_kind gmm_kind = {"gmm", "log-likelihood", "row", "rows", 0,
                                      vem_gmm_fit_opts_init};
static const cli_fit_kind gmm_map_kind = {"gmm", "log-posterior", "row", "rows", 0,
                                          vem_gmm_fit_opts_init};

/* Bounds on what a user may ask for; far above any sensible use. */
#define MAX_K 1000000
#define MAX_K_LIST 10000
#define N_COVS VEM_COV_COUNT

typedef struct fit_args {
    const char *model_type, *data;
    size_t *ks, nk;
    vem_cov covs[N_COVS];
    size_t ncov;
    int k_given, cov_given, init_given, reg_given, prior, equal_weights;
    vem_gmm_init init;
    double reg_covar;
    int select;
    vem_gmm_criterion criterion; /* --select bic|icl */
    int cov_all;                 /* --covariance all */
    cli_fit_args f; /* engine options */
    cli_data_opts dopts;
} fit_args;

/* ---- -k and --covariance lists ---- */

/* K as "3", "1-9" or "2,3,5" (items may be ranges: "1-3,8"): cli_parse_k_list. */
static int parse_k_list(fit_args *a, const char *spec)
{
    return cli_parse_k_list("-k", "components", spec, MAX_K, a->ks, MAX_K_LIST, &a->nk);
}

/* Covariance as a name, a comma list of names, or "all". */
static int parse_cov_list(fit_args *a, const char *spec)
{
    /* mclust's order (its mclust.options("emModelNames")). */
    static const vem_cov all[N_COVS] = {
        VEM_COV_EII, VEM_COV_SPHERICAL, VEM_COV_EEI, VEM_COV_VEI, VEM_COV_EVI,
        VEM_COV_DIAG, VEM_COV_TIED, VEM_COV_VEE, VEM_COV_EVE, VEM_COV_VVE,
        VEM_COV_EEV, VEM_COV_VEV, VEM_COV_EVV, VEM_COV_FULL};
    a->ncov = 0;
    a->cov_all = strcmp(spec, "all") == 0;
    if (a->cov_all) {
        memcpy(a->covs, all, sizeof all);
        a->ncov = N_COVS;
        return 0;
    }
    const char *p = spec;
    for (;;) {
        size_t len = strcspn(p, ",");
        char name[32];
        vem_cov c;
        if (len == 0 || len >= sizeof name) {
            cli_error("--covariance: expected full, diag, spherical, tied, an mclust name "
                      "(EII ... VVV), a comma list of them or all; got '%s'",
                      spec);
            return CLI_EXIT_USAGE;
        }
        memcpy(name, p, len);
        name[len] = '\0';
        if (vem_gmm_cov_parse(name, &c) != VEM_OK) {
            cli_error("--covariance: unknown covariance type '%s' (full, diag, spherical, "
                      "tied, one of mclust's EII VII EEI VEI EVI VVI EEE VEE EVE VVE EEV VEV "
                      "EVV VVV, or all)",
                      name);
            return CLI_EXIT_USAGE;
        }
        size_t i = 0;
        while (i < a->ncov && a->covs[i] != c)
            i++;
        if (i == a->ncov)
            a->covs[a->ncov++] = c;
        if (!p[len])
            return 0;
        p += len + 1;
    }
}

/* ---- arguments ---- */

static int parse_fit_args(int argc, char **argv, fit_args *a)
{
    cli_parser p;
    const char *val;
    int id, rc = 0;
    cli_parser_init(&p, argc, argv, 2, fit_tables, gmm_kind.exclude, "fit gmm");
    while (rc == 0 && (id = cli_next(&p, &val)) != CLI_END) {
        switch (id) {
        case CLI_BAD:
            rc = CLI_EXIT_USAGE;
            break;
        case CLI_POSITIONAL:
            if (!a->model_type) {
                a->model_type = val;
            } else if (!a->data) {
                a->data = val;
            } else {
                cli_error("fit gmm: unexpected argument '%s'", val);
                rc = CLI_EXIT_USAGE;
            }
            break;
        case OPT_K:
            a->k_given = 1;
            rc = parse_k_list(a, val);
            break;
        case OPT_COVARIANCE:
            a->cov_given = 1;
            rc = parse_cov_list(a, val);
            break;
        case OPT_SELECT:
            if (strcmp(val, "bic") == 0) {
                a->criterion = VEM_CRITERION_BIC;
            } else if (strcmp(val, "icl") == 0) {
                a->criterion = VEM_CRITERION_ICL;
            } else {
                cli_error("--select: 'bic' or 'icl', got '%s'", val);
                rc = CLI_EXIT_USAGE;
            }
            a->select = 1;
            break;
        case OPT_INIT:
            a->init_given = 1;
            if (vem_gmm_init_parse(val, &a->init) != VEM_OK || a->init == VEM_INIT_MEANS ||
                a->init == VEM_INIT_RESP) {
                cli_error("--init: expected auto, hc, kmeans, kmeans++ or random; got '%s'", val);
                rc = CLI_EXIT_USAGE;
            }
            break;
        case OPT_REG_COVAR:
            a->reg_given = 1;
            rc = cli_parse_double("--reg-covar", val, 0.0, 0, &a->reg_covar);
            break;
        case OPT_PRIOR:
            a->prior = 1;
            break;
        case OPT_EQUAL_WEIGHTS:
            a->equal_weights = 1;
            break;
        default:
            rc = cli_fit_or_data_option(&a->f, &a->dopts, id, val);
            break;
        }
    }
    if (rc != 0)
        return rc;
    if (!a->data) {
        cli_error("fit gmm: missing DATA");
        return CLI_EXIT_USAGE;
    }
    if (cli_data_opts_check(&a->dopts) || cli_fit_args_check(&a->f, "fit gmm"))
        return CLI_EXIT_USAGE;
    if (a->f.init_model) {
        if (a->select || a->nk > 1 || a->ncov > 1) {
            cli_error("fit gmm: --init-model fits one model: it cannot be combined with "
                      "several -k or --covariance values or --select");
            return CLI_EXIT_USAGE;
        }
        if (a->init_given || a->f.opts.n_init > 1) {
            cli_error("fit gmm: --init-model starts from the model's parameters: %s does "
                      "not apply",
                      a->init_given ? "--init" : "--n-init");
            return CLI_EXIT_USAGE;
        }
    } else if (!a->k_given) {
        cli_error("fit gmm: missing -k K (the number of components)");
        return CLI_EXIT_USAGE;
    }
    if (a->prior) {
        /* mclust has no prior for VEE, EVE, VVE, EVV: `all` leaves them out (as
         * mclustBIC with a prior), a named one is refused. */
        size_t kept = 0;
        for (size_t i = 0; i < a->ncov; i++) {
            if (vem_cov_has_prior(a->covs[i])) {
                a->covs[kept++] = a->covs[i];
            } else if (!a->cov_all) {
                cli_error("fit gmm: --prior: covariance %s has no conjugate prior (mclust 6.0 "
                          "has none for VEE, EVE, VVE and EVV)",
                          cli_cov_mclust(a->covs[i]));
                return CLI_EXIT_USAGE;
            }
        }
        a->ncov = kept;
        if (!a->reg_given)
            a->reg_covar = 0.0; /* the prior regularises, as in mclust */
        a->f.kind = &gmm_map_kind;
        if (a->f.mpi) {
            cli_error("fit gmm: --prior is not available with --mpi (the default prior needs "
                      "the moments of all the processes' rows)");
            return CLI_EXIT_USAGE;
        }
    }
    if (a->nk * a->ncov > 1)
        a->select = 1;
    if (a->equal_weights && a->select) {
        cli_error("fit gmm: --equal-weights fits one model: it cannot be combined with --select "
                  "or several -k or --covariance values");
        return CLI_EXIT_USAGE;
    }
    if (a->f.mpi && a->select) {
        cli_error("fit gmm: --mpi fits one model: it cannot be combined with --select or "
                  "several -k or --covariance values");
        return CLI_EXIT_USAGE;
    }
    if (a->f.stream && a->select) {
        cli_error("fit gmm: --stream fits one model: it cannot be combined with several -k or "
                  "--covariance values or --select");
        return CLI_EXIT_USAGE;
    }
    return 0;
}

/* ---- results ---- */

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/*
 * The log-likelihood of a fit's result: its objective, less the log prior of a MAP
 * fit (the objective is then log L + log p).
 */
static double log_likelihood(const vem_gmm *g, const vem_fit_result *res)
{
    return res->objective - vem_gmm_log_prior(g);
}

/* The GMM's fields beside the common ones (cli_json_fit_common). */
/* icl: vem_gmm_icl of the fit, or NaN (null) where the rows are not all here. */
static void add_fit_json(json_t *o, const vem_gmm *g, size_t n, const vem_fit_result *res,
                         const fit_args *a, double icl)
{
    cli_json_fit_common(o, &a->f, res, n);
    cli_json_gmm(o, g);
    const double ll = log_likelihood(g, res);
    json_object_set_new(o, "n", json_integer((json_int_t)n));
    json_object_set_new(o, "log_likelihood", cli_json_real(ll));
    json_object_set_new(o, "mean_log_likelihood", cli_json_real(ll / (double)n));
    json_object_set_new(o, "bic", cli_json_real(vem_gmm_bic(g, ll, n)));
    json_object_set_new(o, "aic", cli_json_real(vem_gmm_aic(g, ll)));
    json_object_set_new(o, "icl", isfinite(icl) ? cli_json_real(icl) : json_null());
    vem_gmm_prior p;
    if (vem_gmm_prior_params(g, &p)) {
        const size_t d = vem_gmm_d(g);
        json_t *po = json_object(), *mean = json_array(), *scale = json_array();
        for (size_t j = 0; j < d; j++) {
            json_array_append_new(mean, cli_json_real(p.mean[j]));
            json_t *row = json_array();
            for (size_t i = 0; i < d; i++)
                json_array_append_new(row, cli_json_real(p.scale[j * d + i]));
            json_array_append_new(scale, row);
        }
        json_object_set_new(po, "shrinkage", cli_json_real(p.shrinkage));
        json_object_set_new(po, "dof", cli_json_real(p.dof));
        json_object_set_new(po, "mean", mean);
        json_object_set_new(po, "scale", scale);
        json_object_set_new(o, "prior", po);
        json_object_set_new(o, "log_prior", cli_json_real(res->objective - ll));
    } else {
        json_object_set_new(o, "prior", json_null());
    }
    /* auto: the start it chose (the initialisation sample has min(n, 100000) rows). */
    vem_gmm_init how = a->init;
    if (how == VEM_INIT_AUTO)
        how = n <= VEM_GMM_HC_MAX_ROWS && vem_gmm_d(g) <= VEM_GMM_HC_MAX_COLS ? VEM_INIT_HC
                                                                             : VEM_INIT_KMEANS;
    json_object_set_new(o, "init",
                        json_string(a->f.init_model ? "model" : vem_gmm_init_name(how)));
}

static void print_fit_summary(const vem_gmm *g, size_t n, const vem_fit_result *res,
                              const fit_args *a, double icl)
{
    size_t d = vem_gmm_d(g);
    printf("Gaussian mixture: K=%zu, covariance %s, %zu rows x %zu column%s\n", vem_gmm_k(g),
           vem_cov_name(vem_gmm_cov(g)), n, d, d == 1 ? "" : "s");
    cli_print_components(stdout, g);
    const double ll = log_likelihood(g, res);
    if (vem_gmm_prior_params(g, &(vem_gmm_prior){0}))
        printf("MAP fit (--prior): log-likelihood %.10g, log prior %.10g (up to a constant)\n",
               ll, res->objective - ll);
    printf("BIC: %.10g (lower is better)  AIC: %.10g", vem_gmm_bic(g, ll, n), vem_gmm_aic(g, ll));
    if (isfinite(icl))
        printf("  ICL: %.10g", icl);
    printf("  parameters: %zu\n", vem_gmm_n_parameters(g));
    cli_print_fit_tail(&a->f, res);
}

/* ---- one fit ---- */

/* Warnings, model file and output of a finished fit of g to rows rows; frees res. */
static int report_fit(const fit_args *a, size_t rows, vem_gmm *g, vem_fit_result *res,
                      double icl)
{
    int rc = 0;
    cli_warn_not_converged(&a->f, res);
    if (a->f.output && cli_mpi_rank() == 0) {
        vem_status s = vem_gmm_save(g, a->f.output, res);
        if (s != VEM_OK)
            rc = cli_fail(s, a->f.output);
    }
    if (rc == 0 && a->f.json) {
        json_t *o = json_object();
        if (o)
            add_fit_json(o, g, rows, res, a, icl);
        rc = cli_json_emit(o);
    } else if (rc == 0) {
        print_fit_summary(g, rows, res, a, icl);
    }
    vem_fit_result_clear(res);
    return rc;
}

/*
 * One fit of g to the rows of t, or of src when streaming, or under --mpi of this
 * process's share (t or src): the engine sums the statistics over the processes
 * (cli_mpi_comm), initialises each restart on a sample gathered to process 0 and gives
 * every process the same minibatch count.
 */
static int run_fit(const fit_args *a, const vem_table *t, vem_source *src, vem_gmm *g,
                   vem_fit_opts *opts)
{
    vem_fit_result res;
    vem_rng rng;
    memset(&res, 0, sizeof res);
    vem_rng_seed(&rng, a->f.seed);
    vem_status s;
    if (a->f.mpi)
        opts->comm = cli_mpi_comm();
    cli_fit_running = 1;
    if (src) {
        s = vem_gmm_fit_source(g, src, opts, &rng, &res);
    } else {
        vem_matrix x = vem_table_matrix(t);
        s = vem_gmm_fit(g, &x, opts, &rng, &res);
    }
    cli_fit_running = 0;
    cli_progress_end_line();
    if (!cli_fit_usable(s)) {
        /* Under MPI every process saw the same sums and failed alike: one message. */
        int rc = cli_mpi_rank() == 0 ? cli_fail(s, a->data) : cli_exit_status(s);
        vem_fit_result_clear(&res);
        return rc;
    }
    /* ICL needs every row's responsibilities: in memory on one process only. */
    double icl = NAN;
    if (!src && !a->f.mpi) {
        vem_matrix x = vem_table_matrix(t);
        if (vem_gmm_icl(g, &x, log_likelihood(g, &res), &icl) != VEM_OK)
            icl = NAN;
    }
    return report_fit(a, (size_t)res.n_obs, g, &res, icl);
}

/* ---- model selection ---- */

static const char *status_token(vem_status s)
{
    switch (s) {
    case VEM_OK:
        return "ok";
    case VEM_CONTINUE:
        return "running";
    case VEM_EINVAL:
        return "invalid";
    case VEM_ENOMEM:
        return "out_of_memory";
    case VEM_EIO:
        return "io";
    case VEM_EFORMAT:
        return "format";
    case VEM_ENUMERIC:
        return "numeric";
    case VEM_EMAXITER:
        return "max_iter";
    case VEM_EUNSUP:
        return "unsupported";
    case VEM_EINTR:
        return "interrupted";
    }
    return "unknown";
}

/* The cell's value of the criterion --select minimises. */
static double cell_value(const fit_args *a, const vem_gmm_select_cell *c)
{
    return a->criterion == VEM_CRITERION_ICL ? c->icl : c->bic;
}

static int cell_failed(const fit_args *a, const vem_gmm_select_cell *c)
{
    return (c->status != VEM_OK && c->status != VEM_EMAXITER) || !isfinite(cell_value(a, c));
}

/* The BIC (or ICL) table, laid out as mclust prints it: rows K, columns covariance types. */
static void print_select_table(FILE *f, const fit_args *a, const vem_gmm_select_cell *cells,
                               size_t best)
{
    int width[N_COVS];
    char buf[64];
    size_t nfail = 0, nmaxiter = 0;
    const int icl = a->criterion == VEM_CRITERION_ICL;
    if (icl)
        fprintf(f, "ICL = BIC - 2 sum over rows of log max responsibility: lower is better "
                   "(mclust prints -ICL, where higher is better)\n");
    else
        fprintf(f, "BIC = -2 log-likelihood + parameters x log(rows): lower is better "
                   "(mclust prints -BIC, where higher is better)\n");
    fprintf(f, "%4s", "K");
    for (size_t j = 0; j < a->ncov; j++) {
        snprintf(buf, sizeof buf, "%s [%s]", vem_cov_name(a->covs[j]), cli_cov_mclust(a->covs[j]));
        width[j] = (int)strlen(buf) < 14 ? 14 : (int)strlen(buf);
        fprintf(f, "  %*s ", width[j], buf);
    }
    fputc('\n', f);
    for (size_t i = 0; i < a->nk; i++) {
        fprintf(f, "%4zu", a->ks[i]);
        for (size_t j = 0; j < a->ncov; j++) {
            size_t c = i * a->ncov + j;
            char mark = ' ';
            if (cell_failed(a, &cells[c])) {
                snprintf(buf, sizeof buf, "-");
                nfail++;
            } else {
                snprintf(buf, sizeof buf, "%.3f", cell_value(a, &cells[c]));
                if (c == best)
                    mark = '*';
                else if (!cells[c].converged)
                    mark = '+';
                if (!cells[c].converged)
                    nmaxiter++;
            }
            fprintf(f, "  %*s%c", width[j], buf, mark);
        }
        fputc('\n', f);
    }
    fprintf(f, "* lowest %s: K=%zu, covariance %s [%s]\n", icl ? "ICL" : "BIC", cells[best].k,
            vem_cov_name(cells[best].cov), cli_cov_mclust(cells[best].cov));
    if (nmaxiter)
        fprintf(f, "+ not converged within --max-iter (%zu fit%s)\n", nmaxiter,
                nmaxiter == 1 ? "" : "s");
    if (nfail) {
        fprintf(f, "failed fits (-):\n");
        for (size_t c = 0; c < a->nk * a->ncov; c++)
            if (cell_failed(a, &cells[c]))
                fprintf(f, "  K=%zu %s: %s\n", cells[c].k, vem_cov_name(cells[c].cov),
                        cells[c].status == VEM_OK || cells[c].status == VEM_EMAXITER
                            ? "ICL is not finite"
                            : vem_strerror(cells[c].status));
    }
}

static json_t *selection_json(const fit_args *a, const vem_gmm_select_cell *cells)
{
    json_t *arr = json_array();
    for (size_t c = 0; arr && c < a->nk * a->ncov; c++) {
        const vem_gmm_select_cell *e = &cells[c];
        json_t *o = json_object();
        json_object_set_new(o, "k", json_integer((json_int_t)e->k));
        json_object_set_new(o, "covariance", json_string(vem_cov_name(e->cov)));
        json_object_set_new(o, "mclust", json_string(cli_cov_mclust(e->cov)));
        json_object_set_new(o, "bic", cli_json_real(e->bic));
        json_object_set_new(o, "aic", cli_json_real(e->aic));
        json_object_set_new(o, "icl", cli_json_real(e->icl));
        json_object_set_new(o, "log_likelihood", cli_json_real(e->log_likelihood));
        json_object_set_new(o, "n_parameters", json_integer((json_int_t)e->n_parameters));
        json_object_set_new(o, "n_iter", json_integer((json_int_t)e->n_iter));
        json_object_set_new(o, "converged", json_boolean(e->converged));
        json_object_set_new(o, "status", json_string(status_token(e->status)));
        if (cell_failed(a, e))
            json_object_set_new(o, "error", json_string(vem_strerror(e->status)));
        json_array_append_new(arr, o);
    }
    return arr;
}

static int run_select(const fit_args *a, const vem_table *t, const vem_fit_opts *opts)
{
    vem_matrix x = vem_table_matrix(t);
    size_t ncell = a->nk * a->ncov;
    vem_gmm_select_cell *cells = calloc(ncell, sizeof *cells);
    vem_gmm *best = NULL;
    if (!cells) {
        cli_error("out of memory");
        return CLI_EXIT_INPUT;
    }
    double t0 = now_seconds();
    cli_progress_cells(ncell);
    cli_fit_running = 1;
    vem_status s = vem_gmm_select_by(&x, a->ks, a->nk, a->covs, a->ncov, a->init, a->reg_covar,
                                     opts, a->f.seed, a->prior, a->criterion, cells, &best);
    cli_fit_running = 0;
    cli_progress_end_line();
    double seconds = now_seconds() - t0;
    const int interrupted = s == VEM_EINTR;
    if (interrupted && !best) {
        cli_fit_usable(s);
        cli_warn("interrupted before the first (K, covariance) pair was fitted: no model%s%s",
                 opts->checkpoint ? "; continue with --resume " : "",
                 opts->checkpoint ? opts->checkpoint : "");
        free(cells);
        return 0;
    }
    if ((s != VEM_OK && !interrupted) || !best) {
        if (s == VEM_ENUMERIC)
            for (size_t c = 0; c < ncell; c++)
                fprintf(stderr, "vem: K=%zu %s: %s\n", cells[c].k, vem_cov_name(cells[c].cov),
                        vem_strerror(cells[c].status));
        int rc = cli_fail(s == VEM_OK ? VEM_ENUMERIC : s, a->data);
        vem_gmm_free(best);
        free(cells);
        return rc;
    }
    /* The chosen model's cell: the one of its K and covariance (the lists hold no repeats). */
    size_t bc = 0;
    for (size_t c = 0; c < ncell; c++)
        if (cells[c].k == vem_gmm_k(best) && cells[c].cov == vem_gmm_cov(best) &&
            !cell_failed(a, &cells[c]))
            bc = c;
    const vem_gmm_select_cell *bcell = &cells[bc];
    int rc = 0;
    if (cli_table_has_names(t) &&
        vem_gmm_set_columns(best, (const char *const *)t->names) != VEM_OK)
        rc = cli_fail(VEM_ENOMEM, "columns");
    if (interrupted) {
        cli_fit_usable(s);
        cli_warn("interrupted: the model is the best of the pairs fitted so far (K=%zu, %s; "
                 "\"interrupted\": true)%s%s", bcell->k, vem_cov_name(bcell->cov),
                 opts->checkpoint ? "; continue with --resume " : "",
                 opts->checkpoint ? opts->checkpoint : "");
    } else if (rc == 0 && !bcell->converged)
        cli_warn("the chosen model (K=%zu, %s) did not converge after %zu iterations (raise "
                 "--max-iter or --tol)",
                 bcell->k, vem_cov_name(bcell->cov), bcell->n_iter);
    vem_fit_result info;
    memset(&info, 0, sizeof info);
    info.converged = bcell->converged;
    info.n_iter = bcell->n_iter;
    info.n_steps = bcell->n_iter;
    info.objective = bcell->log_likelihood + vem_gmm_log_prior(best);
    info.n_obs = (double)t->rows;
    info.seconds = seconds;
    info.interrupted = interrupted;
    if (rc == 0 && a->f.output) {
        s = vem_gmm_save(best, a->f.output, &info);
        if (s != VEM_OK)
            rc = cli_fail(s, a->f.output);
    }
    if (rc == 0 && a->f.json) {
        json_t *o = json_object();
        if (o) {
            add_fit_json(o, best, t->rows, &info, a, bcell->icl);
            json_object_set_new(o, "criterion",
                                json_string(a->criterion == VEM_CRITERION_ICL ? "icl" : "bic"));
            json_object_set_new(o, "selection", selection_json(a, cells));
        }
        rc = cli_json_emit(o);
    } else if (rc == 0) {
        print_select_table(stdout, a, cells, bc);
        printf("\n");
        print_fit_summary(best, t->rows, &info, a, bcell->icl);
    }
    vem_gmm_free(best);
    free(cells);
    return rc;
}

/* ---- the command ---- */

static int cmd_fit(int argc, char **argv)
{
    fit_args a;
    memset(&a, 0, sizeof a);
    a.ks = malloc(MAX_K_LIST * sizeof *a.ks);
    if (!a.ks) {
        cli_error("out of memory");
        return CLI_EXIT_INPUT;
    }
    a.covs[0] = VEM_COV_FULL;
    a.ncov = 1;
    a.init = VEM_INIT_AUTO;
    a.reg_covar = 1e-6;
    cli_fit_args_init(&a.f, &gmm_kind);
    cli_data_opts_init(&a.dopts);

    vem_gmm *g = NULL;
    vem_source *src = NULL;
    vem_table t;
    memset(&t, 0, sizeof t);
    int rc = parse_fit_args(argc, argv, &a);
    if (rc != 0) {
        rc = cli_usage_error("fit gmm");
        goto out;
    }
    /* Online passes: the engine's 100 unless asked (10000 is batch EM's allowance for
     * slow stretches, not a number of passes over large data). */
    if (a.f.opts.algorithm != VEM_ALG_BATCH && a.f.opts.algorithm != VEM_ALG_LBFGS &&
        a.f.opts.algorithm != VEM_ALG_EM_LBFGS && !cli_fit_given(&a.f, CLI_OPT_MAX_ITER) &&
        !cli_fit_given(&a.f, CLI_OPT_PASSES)) {
        vem_fit_opts e;
        vem_fit_opts_init(&e);
        a.f.opts.max_iter = e.max_iter;
    }
    cli_fit_mc_defaults(&a.f);

    if (a.f.init_model) {
        g = cli_load_gmm(a.f.init_model);
        if (!g) {
            rc = CLI_EXIT_INPUT;
            goto out;
        }
        if ((a.k_given && a.ks[0] != vem_gmm_k(g)) ||
            (a.cov_given && a.covs[0] != vem_gmm_cov(g))) {
            cli_error("fit gmm: %s has K=%zu and covariance %s; -k and --covariance must agree "
                      "or be left out",
                      a.f.init_model, vem_gmm_k(g), vem_cov_name(vem_gmm_cov(g)));
            rc = cli_usage_error("fit gmm");
            goto out;
        }
        a.ks[0] = vem_gmm_k(g);
        a.nk = 1;
        a.covs[0] = vem_gmm_cov(g);
        a.ncov = 1;
        if (!a.reg_given)
            a.reg_covar = vem_gmm_reg_covar(g);
    }

    size_t rows_all = 0;
    if (a.f.stream) {
        /* Under --mpi each process streams its own share (its rows are counted by the fit). */
        rc = cli_open_source(a.data, &a.dopts, g ? vem_gmm_columns(g) : NULL,
                             g ? vem_gmm_d(g) : 0, a.f.mpi ? cli_mpi_comm() : NULL, &src);
        rows_all = a.f.mpi ? SIZE_MAX : 0;
    } else if (a.f.mpi) {
        /* A bad line in any rank's share stops every rank (that rank says why). */
        rc = cli_read_share(a.data, &a.dopts, g ? vem_gmm_columns(g) : NULL,
                            g ? vem_gmm_d(g) : 0, &t, &rows_all);
    } else {
        rc = cli_read_data(a.data, &a.dopts, g ? vem_gmm_columns(g) : NULL,
                           g ? vem_gmm_d(g) : 0, &t);
    }
    if (rc != 0)
        goto out;
    size_t kmax = 0, rows = a.f.mpi ? rows_all : src ? vem_source_rows(src) : t.rows;
    /* SIZE_MAX: not known before the fit (streamed shares); the fit checks its sample. */
    size_t cols = src ? vem_source_cols(src) : t.cols;
    for (size_t i = 0; i < a.nk; i++)
        kmax = a.ks[i] > kmax ? a.ks[i] : kmax;
    if (rows < kmax) {
        if (cli_mpi_rank() == 0)
            cli_error("%s: %zu row%s, fewer than K=%zu components", a.data, rows,
                      rows == 1 ? "" : "s", kmax);
        rc = CLI_EXIT_INPUT;
        goto out;
    }

    vem_fit_opts opts = a.f.opts;

    if (a.select) {
        rc = run_select(&a, &t, &opts);
        goto out;
    }
    if (!g) {
        g = vem_gmm_new(a.ks[0], cols, a.covs[0]);
        if (!g) {
            rc = cli_fail(VEM_ENOMEM, "model");
            goto out;
        }
        vem_status s = vem_gmm_set_init(g, a.init);
        if (s != VEM_OK) {
            rc = cli_fail(s, "--init");
            goto out;
        }
    }
    vem_status s = vem_gmm_set_reg_covar(g, a.reg_covar);
    if (a.equal_weights)
        vem_gmm_set_equal_weights(g, 1);
    if (s == VEM_OK && a.prior) {
        if (src) {
            s = vem_gmm_set_prior_default_source(g, src);
        } else {
            vem_matrix x = vem_table_matrix(&t);
            s = vem_gmm_set_prior_default(g, &x);
        }
        if (s != VEM_OK) {
            rc = cli_fail(s, "--prior");
            goto out;
        }
    }
    if (src) {
        vem_table shape = {.cols = cols, .names = (char **)vem_source_names(src)};
        if (s == VEM_OK && cli_table_has_names(&shape))
            s = vem_gmm_set_columns(g, vem_source_names(src));
    } else if (s == VEM_OK && cli_table_has_names(&t)) {
        s = vem_gmm_set_columns(g, (const char *const *)t.names);
    }
    if (s != VEM_OK) {
        rc = cli_fail(s, "model");
        goto out;
    }
    rc = run_fit(&a, &t, src, g, &opts);
out:
    vem_gmm_free(g);
    vem_source_close(src);
    vem_table_clear(&t);
    free(a.ks);
    return rc;
}

const cli_verb cli_gmm_fit = {
    cmd_fit,
    "DATA -k K [options]",
    "Fit a Gaussian mixture to the rows of DATA (CSV or TSV of numbers) by EM. Several K\n"
    "or covariance structures: every pair is fitted and the lowest BIC kept (mclust's\n"
    "table). --init-model: a warm start from a saved model (its K and covariance).",
    fit_tables,
    &gmm_kind,
};
