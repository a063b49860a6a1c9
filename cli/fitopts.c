/*
 * cli/fitopts.c — the engine options of every `vem fit KIND` (one table, one
 * parser, per-kind defaults and exclusions), and the parts of a fit's or a
 * score's output that every kind shares (docs/schema.json, docs/formats.md).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const cli_option cli_engine_options[] = {
    {"n-init", 0, 1, CLI_OPT_N_INIT, "N", "restarts; the best %O is kept"},
    {"max-iter", 0, 1, CLI_OPT_MAX_ITER, "N", "iterations (batch) or passes (online) per restart"},
    {"passes", 0, 1, CLI_OPT_PASSES, "N", "the same as --max-iter"},
    {"tol", 0, 1, CLI_OPT_TOL, "T", "stop when %T\n0: run --max-iter iterations"},
    {"seed", 0, 1, CLI_OPT_SEED, "S", "random seed"},
    {"threads", 0, 1, CLI_OPT_THREADS, "T",
     "threads; 0 = all available; results do not depend on it"},
    {"algorithm", 0, 1, CLI_OPT_ALGORITHM, "A",
     "batch, stepwise or incremental (online EM), mcem, sem or cem\n"
     "(Monte-Carlo, stochastic or classification EM: docs/mcem.md), or\n"
     "lbfgs or em-lbfgs (quasi-Newton maximum likelihood: gmm with any of\n"
     "the 14 covariance types, not with --prior; hmm with any emission\n"
     "but gmm, without priors or frozen parameters; vbgmm, its ELBO;\n"
     "docs/acceleration.md)"},
    {"accelerate", 0, 1, CLI_OPT_ACCELERATE, "A",
     "batch EM: none, or squarem (Varadhan & Roland 2008: two EM steps\n"
     "extrapolated, safeguarded; docs/acceleration.md)"},
    {"tol-rule", 0, 1, CLI_OPT_TOL_RULE, "R",
     "what --tol bounds: per-observation, total (the objective's change;\n"
     "mcem and sem: of its mean over 5 iterations), or parameters (the\n"
     "largest relative change, 3 iterations in a row: Booth & Hobert)"},
    {"mc-samples", 0, 1, CLI_OPT_MC_SAMPLES, "M", "mcem: draws per %U at the first iteration"},
    {"mc-schedule", 0, 1, CLI_OPT_MC_SCHEDULE, "S",
     "mcem: fixed, geometric (M --mc-growth^t), or auto (more draws when\n"
     "a step is within its Monte-Carlo error: Booth & Hobert 1999)"},
    {"mc-growth", 0, 1, CLI_OPT_MC_GROWTH, "R", "mcem --mc-schedule geometric: ratio per iteration"},
    {"mc-max-samples", 0, 1, CLI_OPT_MC_MAX_SAMPLES, "M", "mcem: at most M draws per %U"},
    {"mc-groups", 0, 1, CLI_OPT_MC_GROUPS, "G",
     "mcem --mc-schedule auto: batch-means groups of the draws"},
    {"average-from", 0, 1, CLI_OPT_AVERAGE_FROM, "N",
     "mcem, sem: return the mean of the parameters after iterations\n"
     "N, N+1, ... (Polyak-Ruppert); 0: the last iteration's"},
    {"batch-size", 0, 1, CLI_OPT_BATCH_SIZE, "B", "stepwise: %S per minibatch"},
    {"kappa", 0, 1, CLI_OPT_KAPPA, "K", "stepwise: step size (t + tau)^-kappa, kappa in (0.5, 1]"},
    {"tau", 0, 1, CLI_OPT_TAU, "T", "stepwise: step-size offset >= 0"},
    {"n-blocks", 0, 1, CLI_OPT_N_BLOCKS, "B", "incremental: blocks of %S"},
    {"blocks", 0, 1, CLI_OPT_N_BLOCKS, "B", NULL},
    {"stream", 0, 0, CLI_OPT_STREAM, NULL,
     "do not load DATA: read it block by block in every pass\n"
     "(CSV is converted once to a temporary binary file)"},
    {"init-model", 0, 1, CLI_OPT_INIT_MODEL, "MODEL", "start from a saved model's parameters"},
    {"eval-passes", 0, 0, CLI_OPT_EVAL_PASSES, NULL,
     "online: exact %O after every pass (one more E-step pass)"},
    {"trace-steps", 0, 0, CLI_OPT_TRACE_STEPS, NULL, "online: trace every minibatch or block too"},
    {"mpi", 0, 0, CLI_OPT_MPI, NULL,
     "distributed fit under mpirun: each process reads its share of\n"
     "the data (vem built with -DVEM_WITH_MPI=ON)"},
    {"output", 'o', 1, CLI_OPT_OUTPUT, "MODEL", "write the fitted model (JSON) to MODEL"},
    {"verbose", 'v', 0, CLI_OPT_VERBOSE, NULL,
     "progress on stderr even when it is not a terminal\n(plain lines, at most one a second)"},
    {"trace", 0, 1, CLI_OPT_TRACE, "FILE",
     "write every iteration's %O (all restarts) to FILE as CSV"},
    {"checkpoint", 0, 1, CLI_OPT_CHECKPOINT, "FILE",
     "write the fit's state to FILE (atomically) every --checkpoint-every\n"
     "and on SIGTERM or the first SIGINT, which stop the fit after the\n"
     "current iteration (exit status 130)"},
    {"checkpoint-every", 0, 1, CLI_OPT_CHECKPOINT_EVERY, "N",
     "N iterations (passes), or Ns / Nm / Nh of wall time; default 10m"},
    {"resume", 0, 1, CLI_OPT_RESUME, "FILE",
     "continue the fit saved in checkpoint FILE (same command line):\n"
     "the same bits as an uninterrupted fit"},
    {NULL, 0, 0, 0, NULL, NULL},
};

void cli_fit_args_init(cli_fit_args *f, const cli_fit_kind *k)
{
    memset(f, 0, sizeof *f);
    vem_fit_opts_init(&f->opts);
    if (k->defaults)
        k->defaults(&f->opts);
    f->kind = k;
}

int cli_parse_threads(const char *val, int *out)
{
    size_t n;
    int rc = cli_parse_size("--threads", val, 0, 65536, &n);
    if (rc == 0)
        *out = (int)n;
    return rc;
}

int cli_fit_given(const cli_fit_args *f, int id)
{
    return (f->given & CLI_ENGINE_BIT(id)) != 0;
}

/* --checkpoint-every: N iterations, or N followed by s, m or h (wall time). */
static int parse_every(const char *val, vem_fit_opts *o)
{
    char *end;
    double v = strtod(val, &end);
    double unit = *end == 's' ? 1.0 : *end == 'm' ? 60.0 : *end == 'h' ? 3600.0 : 0.0;
    if (*end == '\0' && v >= 1.0 && v <= 1e9 && v == floor(v)) {
        o->checkpoint_every = (size_t)v;
        o->checkpoint_seconds = 0.0;
        return 0;
    }
    if (unit > 0.0 && end[1] == '\0' && end != val && v > 0.0 && isfinite(v) && v * unit < 1e9) {
        o->checkpoint_every = 0;
        o->checkpoint_seconds = v * unit;
        return 0;
    }
    cli_error("--checkpoint-every: expected N iterations (an integer >= 1) or a time such as "
              "30s, 10m or 2h; got '%s'", val);
    return CLI_EXIT_USAGE;
}

/* An engine option (or --json) into f: 0, CLI_EXIT_USAGE (reported), -1 when id is none. */
static int cli_fit_option(cli_fit_args *f, int id, const char *val)
{
    vem_fit_opts *o = &f->opts;
    int rc = 0;
    if (id == CLI_OPT_JSON) {
        f->json = 1;
        return 0;
    }
    if (id < CLI_OPT_ENGINE || id >= CLI_OPT_ENGINE_END)
        return -1;
    f->given |= CLI_ENGINE_BIT(id);
    switch (id) {
    case CLI_OPT_N_INIT:
        rc = cli_parse_size("--n-init", val, 1, 1000000, &o->n_init);
        break;
    case CLI_OPT_MAX_ITER:
    case CLI_OPT_PASSES:
        rc = cli_parse_size(id == CLI_OPT_PASSES ? "--passes" : "--max-iter", val, 1, 1000000000,
                            &o->max_iter);
        break;
    case CLI_OPT_TOL:
        rc = cli_parse_double("--tol", val, 0.0, 0, &o->tol);
        break;
    case CLI_OPT_SEED:
        rc = cli_parse_u64("--seed", val, &f->seed);
        break;
    case CLI_OPT_THREADS:
        rc = cli_parse_threads(val, &o->nthreads);
        break;
    case CLI_OPT_ALGORITHM:
        if (vem_algorithm_parse(val, &o->algorithm) != VEM_OK || o->algorithm == VEM_ALG_ADAM) {
            cli_error("--algorithm: expected batch, stepwise, incremental, mcem, sem, cem, "
                      "lbfgs or em-lbfgs; got '%s'", val);
            rc = CLI_EXIT_USAGE;
        }
        break;
    case CLI_OPT_ACCELERATE:
        if (vem_accelerate_parse(val, &o->accelerate) != VEM_OK) {
            cli_error("--accelerate: expected none or squarem; got '%s'", val);
            rc = CLI_EXIT_USAGE;
        }
        break;
    case CLI_OPT_TOL_RULE:
        if (vem_tol_rule_parse(val, &o->tol_rule) != VEM_OK) {
            cli_error("--tol-rule: expected per-observation, total or parameters; got '%s'", val);
            rc = CLI_EXIT_USAGE;
        }
        break;
    case CLI_OPT_MC_SAMPLES:
        rc = cli_parse_size("--mc-samples", val, 1, 100000000, &o->mc_samples);
        break;
    case CLI_OPT_MC_SCHEDULE:
        if (vem_mc_schedule_parse(val, &o->mc_schedule) != VEM_OK) {
            cli_error("--mc-schedule: expected fixed, geometric or auto; got '%s'", val);
            rc = CLI_EXIT_USAGE;
        }
        break;
    case CLI_OPT_MC_GROWTH:
        rc = cli_parse_double("--mc-growth", val, 1.0, 1, &o->mc_growth);
        if (rc == 0 && o->mc_growth > 100.0) {
            cli_error("--mc-growth must be in (1, 100], got %s", val);
            rc = CLI_EXIT_USAGE;
        }
        break;
    case CLI_OPT_MC_MAX_SAMPLES:
        rc = cli_parse_size("--mc-max-samples", val, 1, 100000000, &o->mc_max_samples);
        break;
    case CLI_OPT_MC_GROUPS:
        rc = cli_parse_size("--mc-groups", val, 2, 1000, &o->mc_groups);
        break;
    case CLI_OPT_AVERAGE_FROM:
        rc = cli_parse_size("--average-from", val, 0, 1000000000, &o->mc_average_from);
        break;
    case CLI_OPT_BATCH_SIZE:
        rc = cli_parse_size("--batch-size", val, 1, (size_t)1 << 40, &o->batch_size);
        break;
    case CLI_OPT_KAPPA:
        rc = cli_parse_double("--kappa", val, 0.5, 1, &o->kappa);
        if (rc == 0 && o->kappa > 1.0) {
            cli_error("--kappa must be in (0.5, 1], got %s", val);
            rc = CLI_EXIT_USAGE;
        }
        break;
    case CLI_OPT_TAU:
        rc = cli_parse_double("--tau", val, 0.0, 0, &o->tau);
        break;
    case CLI_OPT_N_BLOCKS:
        rc = cli_parse_size("--n-blocks", val, 1, (size_t)1 << 40, &o->n_blocks);
        break;
    case CLI_OPT_STREAM:
        f->stream = 1;
        break;
    case CLI_OPT_INIT_MODEL:
        f->init_model = val;
        break;
    case CLI_OPT_EVAL_PASSES:
        o->eval_passes = 1;
        break;
    case CLI_OPT_TRACE_STEPS:
        o->trace_steps = 1;
        break;
    case CLI_OPT_MPI:
        f->mpi = 1;
        break;
    case CLI_OPT_OUTPUT:
        if (!*val) {
            cli_error("-o: empty file name");
            rc = CLI_EXIT_USAGE;
        }
        f->output = val;
        break;
    case CLI_OPT_VERBOSE:
        f->verbose = 1;
        break;
    case CLI_OPT_CHECKPOINT:
    case CLI_OPT_RESUME:
        if (!*val) {
            cli_error("--%s: empty file name", id == CLI_OPT_RESUME ? "resume" : "checkpoint");
            rc = CLI_EXIT_USAGE;
        }
        if (id == CLI_OPT_RESUME)
            o->resume = val;
        else
            o->checkpoint = val;
        break;
    case CLI_OPT_CHECKPOINT_EVERY:
        rc = parse_every(val, o);
        break;
    case CLI_OPT_TRACE:
        if (!*val) {
            cli_error("--trace: empty file name");
            rc = CLI_EXIT_USAGE;
        }
        f->trace = val;
        break;
    default:
        return -1;
    }
    return rc;
}

int cli_parse_model_command(cli_parser *p, int nops, const char **model, const char **data,
                            int (*own)(void *a, int id, const char *val), void *a,
                            cli_fit_args *f, cli_data_opts *d)
{
    const char *val;
    int id, rc = 0;
    while (rc == 0 && (id = cli_next(p, &val)) != CLI_END) {
        if (id == CLI_BAD) {
            rc = CLI_EXIT_USAGE;
        } else if (id == CLI_POSITIONAL) {
            if (!*model) {
                *model = val;
            } else if (!*data && nops > 1) {
                *data = val;
            } else {
                cli_error("%s: unexpected argument '%s'", p->cmd, val);
                rc = CLI_EXIT_USAGE;
            }
        } else if ((rc = own(a, id, val)) < 0) {
            rc = cli_fit_or_data_option(f, d, id, val);
        }
    }
    return rc;
}

int cli_fit_or_data_option(cli_fit_args *f, cli_data_opts *d, int id, const char *val)
{
    int rc = cli_fit_option(f, id, val);
    if (rc < 0 && d)
        rc = cli_data_option(d, id, val);
    return rc == 0 ? 0 : CLI_EXIT_USAGE;
}

volatile sig_atomic_t cli_fit_running, cli_stop_requested;
int cli_fit_interrupted;
int cli_argc;
char **cli_argv;

int cli_fit_usable(vem_status s)
{
    if (s == VEM_EINTR)
        cli_fit_interrupted = 1;
    return s == VEM_OK || s == VEM_EMAXITER || s == VEM_EINTR;
}

static int stop_requested(void *ctx)
{
    (void)ctx;
    return cli_stop_requested != 0;
}

/* Options that do not change a fit's bits, and whether each takes a value. */
static const struct {
    const char *name;
    int value;
} untagged[] = {
    {"--checkpoint", 1}, {"--checkpoint-every", 1}, {"--resume", 1}, {"--output", 1},
    {"-o", 1}, {"--threads", 1}, {"--trace", 1}, {"--json", 0}, {"--verbose", 0},
    {"-v", 0}, {"--mpi", 0},
};

/* The command line less the options above: a checkpoint's tag (opts.checkpoint_tag), made
 * once; kept for the program's life (reachable, so not a leak). */
static char *command_tag(void)
{
    static char *made;
    if (made)
        return made;
    size_t len = 1;
    for (int i = 0; i < cli_argc; i++)
        len += strlen(cli_argv[i]) + 1;
    char *tag = malloc(len), *p = tag;
    if (!tag)
        return NULL;
    *p = '\0';
    for (int i = 1; i < cli_argc; i++) {
        const char *a = cli_argv[i];
        int skip = 0;
        for (size_t j = 0; j < sizeof untagged / sizeof *untagged && !skip; j++) {
            size_t n = strlen(untagged[j].name);
            if (strcmp(a, untagged[j].name) == 0) {
                skip = 1;
                i += untagged[j].value; /* its value too */
            } else if (untagged[j].value && strncmp(a, untagged[j].name, n) == 0 &&
                       a[n] == '=') {
                skip = 1;
            }
        }
        if (skip)
            continue;
        if (p != tag)
            *p++ = ' ';
        strcpy(p, a);
        p += strlen(a);
    }
    made = tag;
    return tag;
}

/* The engine options that apply to one algorithm only: the option, the algorithms. */
static const struct {
    int id;
    unsigned algorithms; /* bit per vem_algorithm */
    const char *name, *which;
} online_only[] = {
    {CLI_OPT_BATCH_SIZE, (1u << VEM_ALG_STEPWISE) | (1u << VEM_ALG_ADAM), "--batch-size",
     "stepwise or adam"},
    {CLI_OPT_KAPPA, 1u << VEM_ALG_STEPWISE, "--kappa", "stepwise"},
    {CLI_OPT_TAU, 1u << VEM_ALG_STEPWISE, "--tau", "stepwise"},
    {CLI_OPT_N_BLOCKS, 1u << VEM_ALG_INCREMENTAL, "--n-blocks", "incremental"},
    {CLI_OPT_EVAL_PASSES, (1u << VEM_ALG_STEPWISE) | (1u << VEM_ALG_INCREMENTAL), "--eval-passes",
     "stepwise or incremental"},
    {CLI_OPT_TRACE_STEPS,
     (1u << VEM_ALG_STEPWISE) | (1u << VEM_ALG_INCREMENTAL) | (1u << VEM_ALG_ADAM),
     "--trace-steps", "stepwise, incremental or adam"},
    {CLI_OPT_ACCELERATE, 1u << VEM_ALG_BATCH, "--accelerate", "batch"},
    {CLI_OPT_MC_SAMPLES, 1u << VEM_ALG_MCEM, "--mc-samples", "mcem"},
    {CLI_OPT_MC_SCHEDULE, 1u << VEM_ALG_MCEM, "--mc-schedule", "mcem"},
    {CLI_OPT_MC_GROWTH, 1u << VEM_ALG_MCEM, "--mc-growth", "mcem"},
    {CLI_OPT_MC_MAX_SAMPLES, 1u << VEM_ALG_MCEM, "--mc-max-samples", "mcem"},
    {CLI_OPT_MC_GROUPS, 1u << VEM_ALG_MCEM, "--mc-groups", "mcem"},
    {CLI_OPT_AVERAGE_FROM, (1u << VEM_ALG_MCEM) | (1u << VEM_ALG_SEM), "--average-from",
     "mcem or sem"},
};

/* The algorithms whose convergence test is batch EM's, on consecutive objectives. */
static int batch_rules(vem_algorithm a)
{
    return a == VEM_ALG_BATCH || a == VEM_ALG_CEM || a == VEM_ALG_LBFGS || a == VEM_ALG_EM_LBFGS;
}

int cli_fit_args_check(cli_fit_args *f, const char *cmd)
{
    for (size_t i = 0; i < sizeof online_only / sizeof *online_only; i++)
        if (cli_fit_given(f, online_only[i].id) &&
            !(online_only[i].algorithms & (1u << f->opts.algorithm))) {
            cli_error("%s: %s applies to --algorithm %s (the algorithm is %s)", cmd,
                      online_only[i].name, online_only[i].which,
                      vem_algorithm_name(f->opts.algorithm));
            return CLI_EXIT_USAGE;
        }
    if (cli_fit_given(f, CLI_OPT_MC_GROWTH) && f->opts.mc_schedule != VEM_MC_GEOMETRIC) {
        cli_error("%s: --mc-growth applies to --mc-schedule geometric", cmd);
        return CLI_EXIT_USAGE;
    }
    if (cli_fit_given(f, CLI_OPT_MC_GROUPS) && f->opts.mc_schedule != VEM_MC_AUTO) {
        cli_error("%s: --mc-groups applies to --mc-schedule auto", cmd);
        return CLI_EXIT_USAGE;
    }
    if (f->opts.algorithm == VEM_ALG_MCEM && f->opts.mc_samples > f->opts.mc_max_samples) {
        cli_error("%s: --mc-samples %zu is above --mc-max-samples %zu", cmd, f->opts.mc_samples,
                  f->opts.mc_max_samples);
        return CLI_EXIT_USAGE;
    }
    if (f->opts.tol_rule == VEM_TOL_PARAMS && cli_fit_given(f, CLI_OPT_TOL_RULE) &&
        (f->opts.algorithm == VEM_ALG_STEPWISE || f->opts.algorithm == VEM_ALG_INCREMENTAL)) {
        cli_error("%s: --tol-rule parameters applies to batch, mcem, sem and cem", cmd);
        return CLI_EXIT_USAGE;
    }
    if (cli_fit_given(f, CLI_OPT_MAX_ITER) && cli_fit_given(f, CLI_OPT_PASSES)) {
        cli_error("%s: --passes is another name of --max-iter: give one", cmd);
        return CLI_EXIT_USAGE;
    }
    char kind[64];
    if (f->init_model && vem_model_file_kind(f->init_model, kind, sizeof kind) == VEM_OK &&
        strcmp(kind, f->kind->name) != 0) {
        /* A model of another kind: a usage error (an unreadable file is reported as bad
         * input where the command loads it). */
        cli_error("%s: --init-model %s is a '%s' model, not a '%s' one", cmd, f->init_model,
                  kind, f->kind->name);
        return CLI_EXIT_USAGE;
    }
    /* Online passes sum objectives at moving parameters, too noisy for a total rule:
     * unless --tol is given, they test the change per observation at the engine's
     * default (vem_fit_opts_init). */
    if (!batch_rules(f->opts.algorithm) &&
        f->opts.tol_rule != VEM_TOL_PER_OBS && !cli_fit_given(f, CLI_OPT_TOL) &&
        !cli_fit_given(f, CLI_OPT_TOL_RULE)) {
        vem_fit_opts e;
        vem_fit_opts_init(&e);
        f->opts.tol_rule = e.tol_rule;
        f->opts.tol = e.tol;
    }
    f->opts.warm_start = f->init_model != NULL;
    if ((cli_fit_given(f, CLI_OPT_CHECKPOINT_EVERY)) && !f->opts.checkpoint) {
        cli_error("%s: --checkpoint-every needs --checkpoint FILE", cmd);
        return CLI_EXIT_USAGE;
    }
    if (f->opts.checkpoint && !cli_fit_given(f, CLI_OPT_CHECKPOINT_EVERY))
        f->opts.checkpoint_seconds = 600.0;
    if (!(f->tag = command_tag())) {
        cli_error("%s: out of memory", cmd);
        return CLI_EXIT_INPUT;
    }
    f->opts.checkpoint_tag = f->tag;
    f->opts.interrupted = stop_requested;
    f->opts.interrupted_ctx = NULL;
    cli_progress_setup(f);
    return 0;
}

/* ---- what every fit and score prints ---- */

static const char *objective_key(const cli_fit_kind *k)
{
    if (strcmp(k->objective, "ELBO") == 0)
        return "elbo";
    return strcmp(k->objective, "log-posterior") == 0 ? "log_posterior" : "log_likelihood";
}

/* The fit's trace as a list of objects (iter, step when online, objective, change, seconds,
 * violation). */
static json_t *cli_json_trace(const vem_fit_result *res, vem_algorithm alg)
{
    json_t *trace = json_array();
    for (size_t i = 0; trace && i < res->trace_len; i++) {
        const vem_trace_entry *e = &res->trace[i];
        json_t *t = json_object();
        json_object_set_new(t, "iter", json_integer((json_int_t)e->iter));
        if (alg == VEM_ALG_STEPWISE || alg == VEM_ALG_INCREMENTAL || alg == VEM_ALG_ADAM)
            json_object_set_new(t, "step", json_integer((json_int_t)e->step));
        if (alg == VEM_ALG_MCEM || alg == VEM_ALG_SEM)
            json_object_set_new(t, "mc_samples", json_integer((json_int_t)e->mc_samples));
        json_object_set_new(t, "passes", cli_json_real(e->passes));
        json_object_set_new(t, "objective", cli_json_real(e->objective));
        json_object_set_new(t, "change", cli_json_real(e->change));
        json_object_set_new(t, "seconds", cli_json_real(e->seconds));
        json_object_set_new(t, "violation", json_boolean(e->violation));
        if (isfinite(e->validation))
            json_object_set_new(t, "validation", cli_json_real(e->validation));
        json_array_append_new(trace, t);
    }
    return trace;
}

/* JSON integers are signed 64-bit in jansson: larger seeds go out as text. */
static json_t *seed_json(uint64_t seed)
{
    if (seed <= (uint64_t)INT64_MAX)
        return json_integer((json_int_t)seed);
    char buf[32];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)seed);
    return json_string(buf);
}

void cli_json_fit_common(json_t *o, const cli_fit_args *f, const vem_fit_result *res,
                         size_t n_units)
{
    const vem_fit_opts *opts = &f->opts;
    size_t n_obs = (size_t)llround(res->n_obs);
    cli_json_score_common(o, f->kind->name, objective_key(f->kind), n_units, n_obs,
                          res->objective);
    json_object_set_new(o, "converged", json_boolean(res->converged));
    if (res->interrupted)
        json_object_set_new(o, "interrupted", json_true());
    json_object_set_new(o, "n_iter", json_integer((json_int_t)res->n_iter));
    json_object_set_new(o, "seconds", cli_json_real(res->seconds));
    json_object_set_new(o, "threads", json_integer(opts->nthreads));
    json_object_set_new(o, "algorithm", json_string(vem_algorithm_name(opts->algorithm)));
    json_object_set_new(o, "streamed", json_boolean(f->stream));
    json_object_set_new(o, "n_init", json_integer((json_int_t)opts->n_init));
    json_object_set_new(o, "max_iter", json_integer((json_int_t)opts->max_iter));
    json_object_set_new(o, "tol", cli_json_real(opts->tol));
    json_object_set_new(o, "seed", seed_json(f->seed));
    json_object_set_new(o, "best_init", json_integer((json_int_t)res->best_init));
    json_object_set_new(o, "n_steps", json_integer((json_int_t)res->n_steps));
    json_object_set_new(o, "monotonicity_violations",
                        json_integer((json_int_t)res->n_violations));
    json_object_set_new(o, "tol_rule", json_string(vem_tol_rule_name(opts->tol_rule)));
    json_object_set_new(o, "accelerate", json_string(vem_accelerate_name(opts->accelerate)));
    json_object_set_new(o, "n_passes", cli_json_real(res->n_passes));
    if (opts->algorithm == VEM_ALG_MCEM || opts->algorithm == VEM_ALG_SEM) {
        json_t *m = json_object();
        json_object_set_new(m, "schedule", json_string(opts->algorithm == VEM_ALG_SEM
                                                            ? "fixed"
                                                            : vem_mc_schedule_name(opts->mc_schedule)));
        json_object_set_new(m, "first_samples",
                            json_integer((json_int_t)(opts->algorithm == VEM_ALG_SEM
                                                          ? 1 : opts->mc_samples)));
        json_object_set_new(m, "last_samples", json_integer((json_int_t)res->mc_samples));
        json_object_set_new(m, "n_averaged", json_integer((json_int_t)res->n_averaged));
        json_object_set_new(o, "monte_carlo", m);
    }
    json_object_set_new(o, "processes", json_integer(cli_mpi_size()));
    if (cli_mpi_active()) {
        double sec;
        size_t calls, doubles;
        cli_mpi_stats(&sec, &calls, &doubles);
        json_t *m = json_object();
        json_object_set_new(m, "allreduce_seconds", cli_json_real(sec));
        json_object_set_new(m, "allreduce_calls", json_integer((json_int_t)calls));
        json_object_set_new(m, "allreduce_doubles", json_integer((json_int_t)doubles));
        json_object_set_new(o, "mpi", m);
    }
    json_object_set_new(o, "trace", cli_json_trace(res, opts->algorithm));
}

void cli_json_score_common(json_t *o, const char *model, const char *objective_name,
                           size_t n_units, size_t n_obs, double objective)
{
    json_object_set_new(o, "model", json_string(model));
    json_object_set_new(o, "n_units", json_integer((json_int_t)n_units));
    json_object_set_new(o, "n_obs", json_integer((json_int_t)n_obs));
    json_object_set_new(o, "objective", cli_json_real(objective));
    json_object_set_new(o, "objective_name", json_string(objective_name));
    json_object_set_new(o, "objective_per_obs",
                        cli_json_real(n_obs ? objective / (double)n_obs : NAN));
}

int cli_by_iterations(vem_algorithm a)
{
    return a == VEM_ALG_BATCH || a == VEM_ALG_MCEM || a == VEM_ALG_SEM || a == VEM_ALG_CEM ||
           a == VEM_ALG_LBFGS || a == VEM_ALG_EM_LBFGS;
}

void cli_fit_mc_defaults(cli_fit_args *f)
{
    vem_fit_opts *o = &f->opts;
    /* MCEM: the parameter rule (the objective's changes are Monte-Carlo noise); SEM: a
     * chain, run --max-iter iterations and average the second half. */
    if (o->algorithm == VEM_ALG_MCEM && !cli_fit_given(f, CLI_OPT_TOL) &&
        !cli_fit_given(f, CLI_OPT_TOL_RULE)) {
        o->tol_rule = VEM_TOL_PARAMS;
        o->tol = 1e-3;
    }
    if (o->algorithm == VEM_ALG_SEM) {
        if (!cli_fit_given(f, CLI_OPT_TOL))
            o->tol = 0.0;
        if (!cli_fit_given(f, CLI_OPT_AVERAGE_FROM))
            o->mc_average_from = o->max_iter / 2 + 1;
    }
}

void cli_warn_not_converged(const cli_fit_args *f, const vem_fit_result *res)
{
    if (res->interrupted) {
        cli_warn("interrupted after %zu %s of restart %zu: the model is the best so far "
                 "(\"interrupted\": true)%s%s", res->n_iter,
                 cli_by_iterations(f->opts.algorithm) ? "iterations" : "passes",
                 res->best_init + 1, f->opts.checkpoint ? "; continue with --resume " : "",
                 f->opts.checkpoint ? f->opts.checkpoint : "");
        return;
    }
    if (res->converged)
        return;
    int batch = cli_by_iterations(f->opts.algorithm);
    /* --tol 0 asks for a fixed number of iterations: running them is what was asked. */
    if (f->opts.tol == 0.0) {
        cli_warn("ran %zu %s%s (--tol 0)", res->n_iter, batch ? "iteration" : "pass",
                 res->n_iter == 1 ? "" : (batch ? "s" : "es"));
        return;
    }
    /* The change the next convergence test would see: online EM tests the change between
     * passes; batch EM from the last iteration's E-step to the returned parameters. */
    if (f->opts.tol_rule == VEM_TOL_PARAMS || f->opts.algorithm == VEM_ALG_MCEM ||
        f->opts.algorithm == VEM_ALG_SEM) {
        cli_warn("not converged after %zu iteration%s (--algorithm %s, --tol-rule %s; raise "
                 "--max-iter or --tol)", res->n_iter, res->n_iter == 1 ? "" : "s",
                 vem_algorithm_name(f->opts.algorithm), vem_tol_rule_name(f->opts.tol_rule));
        return;
    }
    double change = NAN;
    if (f->opts.algorithm != VEM_ALG_BATCH && f->opts.algorithm != VEM_ALG_CEM) {
        for (size_t i = res->trace_len; i-- > 0;)
            if (res->trace[i].step == 0) {
                change = res->trace[i].change;
                break;
            }
    } else if (res->trace_len && res->n_obs > 0) {
        change = (res->objective - res->trace[res->trace_len - 1].objective) / res->n_obs;
    }
    if (f->opts.tol_rule == VEM_TOL_TOTAL)
        cli_warn("not converged after %zu %s%s (last change %.3g nats in total; raise --max-iter "
                 "or --tol)",
                 res->n_iter, batch ? "iteration" : "pass",
                 res->n_iter == 1 ? "" : (batch ? "s" : "es"), change * res->n_obs);
    else
        cli_warn("not converged after %zu %s%s (last change %.3g nats per %s; raise --max-iter "
                 "or --tol)",
                 res->n_iter, batch ? "iteration" : "pass",
                 res->n_iter == 1 ? "" : (batch ? "s" : "es"), change, f->kind->unit);
}

void cli_print_fit_tail(const cli_fit_args *f, const vem_fit_result *res)
{
    printf("%s: %.10g total, %.8g per %s (nats)\n", f->kind->objective, res->objective,
           res->n_obs > 0 ? res->objective / res->n_obs : NAN, f->kind->unit);
    printf("iterations: %zu, converged: %s\n", res->n_iter, res->converged ? "yes" : "no");
    if (f->mpi)
        printf("processes: %d\n", cli_mpi_size());
    if (res->n_violations)
        printf("warning: the %s decreased in %zu iteration%s (monotonicity violations: a "
               "numerical problem)\n",
               f->kind->objective, res->n_violations, res->n_violations == 1 ? "" : "s");
    if (f->output)
        printf("model written to %s\n", f->output);
}

void cli_print_score(const char *objective, const char *units, size_t n_units, const char *unit,
                     size_t n_obs, double objective_total)
{
    printf("%s: %zu\n", units, n_units);
    if (strncmp(units, unit, strlen(unit)) != 0)
        printf("%ss: %zu\n", unit, n_obs);
    printf("mean %s: %.17g nats per %s\n", objective, objective_total / (double)n_obs, unit);
    printf("total %s: %.17g nats\n", objective, objective_total);
}
