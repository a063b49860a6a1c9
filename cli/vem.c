/*
 * cli/vem.c — the `vem` program: the table of model kinds, the table of
 * commands, dispatch, and every help text (generated from the option tables).
 *
 *     vem fit gmm faithful.csv -k 2 -o m.json
 *     vem predict m.json faithful.csv --proba
 *
 * Adding a model: one row of `kinds` and the model's own cmd_*.c file.
 * Exit statuses (README, "Exit status"): 0 ok, 1 usage error (a model file of the
 * wrong kind for the command included), 2 bad input, 3 numerical failure,
 * 130 interrupted.
 */
#include <ctype.h>
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* ---- the tables ---- */

/* The commands of each kind, defined in the kind's own file (cmd_*.c). Adding a model: its
 * file, its line here and its row in `kinds`. */
extern const cli_verb cli_gmm_fit, cli_gmm_predict, cli_gmm_score, cli_gmm_sample, cli_gmm_info;
extern const cli_verb cli_hmm_fit, cli_hmm_predict, cli_hmm_score, cli_hmm_sample, cli_hmm_info,
    cli_hmm_decode;
extern const cli_verb cli_lda_fit, cli_lda_score, cli_lda_info, cli_lda_transform,
    cli_lda_topics, cli_lda_corpus;
extern const cli_verb cli_vbgmm_fit, cli_vbgmm_predict, cli_vbgmm_score, cli_vbgmm_sample,
    cli_vbgmm_info;
extern const cli_verb cli_vbhmm_fit, cli_vbhmm_predict, cli_vbhmm_score, cli_vbhmm_sample,
    cli_vbhmm_info, cli_vbhmm_decode;
extern const cli_verb cli_blr_fit, cli_blr_predict, cli_blr_score, cli_blr_info;
extern const cli_verb cli_blogr_fit, cli_blogr_predict, cli_blogr_score, cli_blogr_info;
extern const cli_verb cli_glmm_fit, cli_glmm_predict, cli_glmm_score, cli_glmm_info;
extern const cli_verb cli_vae_fit, cli_vae_score, cli_vae_sample, cli_vae_encode,
    cli_vae_reconstruct, cli_vae_info;
extern const cli_verb cli_plot;

static const cli_kind kinds[] = {
    {"gmm",
     "Gaussian mixture by EM; model selection by BIC over K and covariance (as mclust)",
     {&cli_gmm_fit, &cli_gmm_predict, &cli_gmm_score, &cli_gmm_sample, &cli_gmm_info, NULL, NULL,
      NULL}},
    {"hmm",
     "hidden Markov model by Baum-Welch (Gaussian, Gaussian-mixture, categorical emissions)",
     {&cli_hmm_fit, &cli_hmm_predict, &cli_hmm_score, &cli_hmm_sample, &cli_hmm_info,
      &cli_hmm_decode, NULL, NULL}},
    {"lda",
     "latent Dirichlet allocation by variational EM (batch, online, incremental)",
     {&cli_lda_fit, NULL, &cli_lda_score, NULL, &cli_lda_info, NULL, &cli_lda_transform,
      &cli_lda_topics}},
    {"vbgmm",
     "variational Bayesian Gaussian mixture (Dirichlet or stick-breaking weight prior)",
     {&cli_vbgmm_fit, &cli_vbgmm_predict, &cli_vbgmm_score, &cli_vbgmm_sample, &cli_vbgmm_info,
      NULL, NULL, NULL}},
    {"vbhmm",
     "variational Bayesian hidden Markov model (Gaussian, categorical, Poisson emissions)",
     {&cli_vbhmm_fit, &cli_vbhmm_predict, &cli_vbhmm_score, &cli_vbhmm_sample, &cli_vbhmm_info,
      &cli_vbhmm_decode, NULL, NULL}},
    {"blr",
     "Bayesian linear regression by mean-field variational Bayes (ARD optional)",
     {&cli_blr_fit, &cli_blr_predict, &cli_blr_score, NULL, &cli_blr_info, NULL, NULL, NULL}},
    {"blogr",
     "Bayesian logistic regression by stochastic variational inference (Adam)",
     {&cli_blogr_fit, &cli_blogr_predict, &cli_blogr_score, NULL, &cli_blogr_info, NULL, NULL,
      NULL}},
    {"glmm",
     "random-intercept GLMM (binomial, poisson) by exact EM (adaptive quadrature) or MCEM",
     {&cli_glmm_fit, &cli_glmm_predict, &cli_glmm_score, NULL, &cli_glmm_info, NULL, NULL,
      NULL}},
    {"vae",
     "variational autoencoder by stochastic gradients of the ELBO (Adam)",
     {&cli_vae_fit, NULL, &cli_vae_score, &cli_vae_sample, &cli_vae_info, NULL, NULL, NULL,
      &cli_vae_encode, &cli_vae_reconstruct}},
};
#define N_KINDS (sizeof kinds / sizeof kinds[0])

/* A command: on a kind (verb >= 0: fit names the kind, the others read it from MODEL), or
 * of its own (own). */
typedef struct command {
    const char *name;
    int verb;
    const char *usage;   /* after "vem NAME " */
    const char *summary; /* one line of `vem help` */
    const cli_verb *own;
} command;

static const command commands[] = {
    {"fit", CLI_VERB_FIT, "KIND DATA [options]", "fit a model: vem help fit lists the kinds",
     NULL},
    {"predict", CLI_VERB_PREDICT, "MODEL DATA [options]",
     "labels (mixtures), states (HMMs) or predictions (regression) of new data", NULL},
    {"score", CLI_VERB_SCORE, "MODEL DATA [options]",
     "log-likelihood or ELBO of new data under a model", NULL},
    {"sample", CLI_VERB_SAMPLE, "MODEL -n N [--seed S]", "draw data from a model", NULL},
    {"info", CLI_VERB_INFO, "MODEL", "describe a model file", NULL},
    {"decode", CLI_VERB_DECODE, "MODEL DATA [options]",
     "most probable state path (Viterbi) or state posteriors", NULL},
    {"transform", CLI_VERB_TRANSFORM, "MODEL CORPUS [options]",
     "topic proportions of new documents", NULL},
    {"topics", CLI_VERB_TOPICS, "MODEL [options]", "top words of each topic", NULL},
    {"encode", CLI_VERB_ENCODE, "MODEL DATA [options]",
     "posterior means and standard deviations of the latent variables", NULL},
    {"reconstruct", CLI_VERB_RECONSTRUCT, "MODEL DATA [options]",
     "the decoder's mean at each row's posterior mean", NULL},
    {"corpus", -1, "TEXTS -o PREFIX [options]", "bag-of-words corpus from text files",
     &cli_lda_corpus},
    {"plot", -1, "KIND MODEL [DATA] -o FILE.png|svg|pdf [options]",
     "pictures of a model or a fit (PNG, SVG, PDF; needs cairo)", &cli_plot},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const command *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static const cli_kind *find_kind(const char *name)
{
    for (size_t i = 0; i < N_KINDS; i++)
        if (strcmp(kinds[i].name, name) == 0)
            return &kinds[i];
    return NULL;
}

/* "gmm, hmm, vbgmm" : the kinds that have verb v. */
static const char *kinds_with(int v)
{
    static char buf[256];
    buf[0] = '\0';
    for (size_t i = 0; i < N_KINDS; i++)
        if (kinds[i].verbs[v])
            snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", buf[0] ? ", " : "",
                     kinds[i].name);
    return buf;
}

const char *cli_current_kind = NULL;

/* A command that takes an option of this long name (len bytes) or short letter: "predict
 * hmm", "fit blr", "corpus"; cmd of another kind first; never cmd of cli_current_kind
 * itself; NULL when none does. */
static const char *option_home(const char *name, size_t len, char short_name, const char *cmd)
{
    static char buf[64];
    for (int pass = 0; pass < 2; pass++)
        for (size_t c = 0; c < N_COMMANDS; c++) {
            if ((strcmp(commands[c].name, cmd) == 0) != (pass == 0))
                continue;
            for (size_t k = 0; k < (commands[c].own ? 1 : N_KINDS); k++) {
                const cli_verb *v =
                    commands[c].own ? commands[c].own : kinds[k].verbs[commands[c].verb];
                for (const cli_option *const *t = v ? v->tables : NULL; t && *t; t++)
                    for (const cli_option *o = *t; o->name; o++) {
                        if (!cli_option_is(o, name, len, short_name))
                            continue;
                        if (cli_current_kind && !commands[c].own &&
                            strcmp(kinds[k].name, cli_current_kind) == 0 &&
                            strcmp(commands[c].name, cmd) == 0)
                            continue; /* this very command: excluded for the kind */
                        snprintf(buf, sizeof buf, "%s%s%s", commands[c].name,
                                 commands[c].own ? "" : " ", commands[c].own ? "" : kinds[k].name);
                        return buf;
                    }
            }
        }
    return NULL;
}

int cli_option_known(const char *name, size_t len, char short_name, const char *cmd,
                     const char **where)
{
    char verb[32];
    snprintf(verb, sizeof verb, "%.*s", (int)strcspn(cmd, " "), cmd);
    *where = option_home(name, len, short_name, verb);
    return *where != NULL;
}

/* ---- help ---- */

static const char usage_head[] =
    "usage: vem <command> [<args>] [--json]\n"
    "\n"
    "commands:\n";

static const char usage_tail[] =
    "\n"
    "Every command accepts --json and then prints one JSON object (docs/schema.json).\n"
    "Exit status: 0 ok, 1 usage error, 2 bad input, 3 numerical failure, 130 interrupted.\n"
    "vem help COMMAND, vem help fit KIND: the options of a command.\n";

/* The commands and the kinds of model: `vem help`. */
static void cli_usage(FILE *f)
{
    fputs(usage_head, f);
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "  %-10s %s\n", "help", "this text, or the options of a command");
    fprintf(f, "\nkinds of model (vem fit KIND):\n");
    for (size_t i = 0; i < N_KINDS; i++)
        fprintf(f, "  %-10s %s\n", kinds[i].name, kinds[i].summary);
    fputs(usage_tail, f);
}

/* An engine option's default for kind k, or "" when none is shown. */
static const char *engine_default(int id, const vem_fit_opts *o, char *buf, size_t size)
{
    switch (id) {
    case CLI_OPT_N_INIT:
        snprintf(buf, size, "%zu", o->n_init);
        break;
    case CLI_OPT_MAX_ITER:
        snprintf(buf, size, "%zu", o->max_iter);
        break;
    case CLI_OPT_TOL:
        snprintf(buf, size, "%g", o->tol);
        break;
    case CLI_OPT_SEED:
        snprintf(buf, size, "0");
        break;
    case CLI_OPT_THREADS:
        snprintf(buf, size, "%d", o->nthreads);
        break;
    case CLI_OPT_ALGORITHM:
        snprintf(buf, size, "%s", vem_algorithm_name(o->algorithm));
        break;
    case CLI_OPT_BATCH_SIZE:
        snprintf(buf, size, "%zu", o->batch_size);
        break;
    case CLI_OPT_KAPPA:
        snprintf(buf, size, "%g", o->kappa);
        break;
    case CLI_OPT_TAU:
        snprintf(buf, size, "%g", o->tau);
        break;
    case CLI_OPT_N_BLOCKS:
        snprintf(buf, size, "%zu", o->n_blocks);
        break;
    case CLI_OPT_TOL_RULE:
        snprintf(buf, size, "%s", vem_tol_rule_name(o->tol_rule));
        break;
    case CLI_OPT_ACCELERATE:
        snprintf(buf, size, "%s", vem_accelerate_name(o->accelerate));
        break;
    case CLI_OPT_MC_SAMPLES:
        snprintf(buf, size, "%zu", o->mc_samples);
        break;
    case CLI_OPT_MC_SCHEDULE:
        snprintf(buf, size, "%s", vem_mc_schedule_name(o->mc_schedule));
        break;
    case CLI_OPT_MC_GROWTH:
        snprintf(buf, size, "%g", o->mc_growth);
        break;
    case CLI_OPT_MC_MAX_SAMPLES:
        snprintf(buf, size, "%zu", o->mc_max_samples);
        break;
    case CLI_OPT_MC_GROUPS:
        snprintf(buf, size, "%zu", o->mc_groups);
        break;
    case CLI_OPT_AVERAGE_FROM:
        snprintf(buf, size, "%zu", o->mc_average_from);
        break;
    default:
        buf[0] = '\0';
    }
    return buf;
}

/* The help text of o with %O, %U and %S replaced, and its default appended. */
static void option_text(const cli_option *o, const cli_fit_kind *k, const vem_fit_opts *defs,
                        char *out, size_t size)
{
    size_t n = 0;
    for (const char *s = o->help; *s && n + 1 < size; s++) {
        const char *sub = NULL;
        if (s[0] == '%' && s[1]) {
            if (s[1] == 'O')
                sub = k ? k->objective : "objective";
            else if (s[1] == 'U')
                sub = k ? k->unit : "observation";
            else if (s[1] == 'S')
                sub = k ? k->units : "units";
            else if (s[1] == 'T') {
                /* What --tol bounds: the kind's rule (vem_tol_rule) in batch. */
                char what[160];
                if (!k)
                    snprintf(what, sizeof what, "the objective per observation changes by < T "
                                                "nats\n(batch GMM, HMM and VB-GMM: the total);");
                else if (defs && defs->tol_rule == VEM_TOL_TOTAL)
                    snprintf(what, sizeof what, "the total %s changes by < T nats\n(batch; "
                             "online: per %s, default 0.001);", k->objective, k->unit);
                else
                    snprintf(what, sizeof what, "the %s per %s changes by < T nats;",
                             k->objective, k->unit);
                n += (size_t)snprintf(out + n, size - n, "%s", what);
                if (n >= size)
                    n = size - 1;
                s++;
                continue;
            }
        }
        if (sub) {
            n += (size_t)snprintf(out + n, size - n, "%s", sub);
            if (n >= size)
                n = size - 1;
            s++;
        } else {
            out[n++] = *s;
        }
    }
    out[n] = '\0';
    char def[64];
    if (defs && *engine_default(o->id, defs, def, sizeof def)) {
        /* On the last line if it fits in 80 columns, else on a line of its own. */
        const char *last = strrchr(out, '\n');
        size_t width = strlen(last ? last + 1 : out) + strlen(def) + 11 + 27;
        snprintf(out + n, size - n, "%s(default %s)", width > 80 ? "\n" : " ", def);
    }
}

static void print_table(FILE *f, const cli_option *t, unsigned exclude, const cli_fit_kind *k)
{
    vem_fit_opts defs;
    if (t == cli_engine_options) {
        vem_fit_opts_init(&defs);
        if (k && k->defaults)
            k->defaults(&defs);
    }
    for (const cli_option *o = t; o->name; o++) {
        if (!o->help)
            continue;
        if (o->id >= CLI_OPT_ENGINE && o->id < CLI_OPT_ENGINE_END &&
            (exclude & CLI_ENGINE_BIT(o->id)))
            continue;
        char head[64], text[512];
        int n;
        if (o->short_name)
            n = snprintf(head, sizeof head, "  -%c, --%s%s%s", o->short_name, o->name,
                         o->arg ? " " : "", o->arg ? o->arg : "");
        else
            n = snprintf(head, sizeof head, "  --%s%s%s", o->name, o->arg ? " " : "",
                         o->arg ? o->arg : "");
        option_text(o, k, t == cli_engine_options ? &defs : NULL, text, sizeof text);
        if (n > 25)
            fprintf(f, "%s\n%27s", head, "");
        else
            fprintf(f, "%-27s", head);
        for (const char *line = text;;) {
            const char *nl = strchr(line, '\n');
            fprintf(f, "%.*s\n", (int)(nl ? nl - line : (long)strlen(line)), line);
            if (!nl)
                break;
            line = nl + 1;
            fprintf(f, "%27s", "");
        }
    }
}

/* The group of an option table: the command's own, the engine's, the data tables', or the
 * common --help/--json. */
static int table_group(const cli_option *t)
{
    return t == cli_engine_options ? 1 : t == cli_data_options || t == cli_frames_data_options ? 2 : t == cli_common_options ? 3
                                                                                            : 0;
}

/* The options of one command of one kind: its own with --help and --json, the engine's,
 * the data options; own_only: its own alone. */
static void print_options(FILE *f, const cli_verb *v, int own_only)
{
    static const int order[4] = {0, 3, 1, 2};
    const char *heads[4] = {"options:", "engine options (one name for one thing in every kind):",
                            "data options:", "options:"};
    int own_shown = 0;
    for (int i = 0; i < (own_only ? 1 : 4); i++) {
        int g = order[i], shown = g == 3 && own_shown;
        for (const cli_option *const *t = v->tables; *t; t++) {
            if (table_group(*t) != g)
                continue;
            if (!shown)
                fprintf(f, "\n%s\n", heads[g]);
            shown = 1;
            own_shown |= g == 0;
            print_table(f, *t, v->fit ? v->fit->exclude : 0, v->fit);
        }
    }
}

/* The help of `fit KIND` (kind NULL: every kind) or of a command on f: 0, or -1 unknown. */
static int cli_help(FILE *f, const char *cmd, const char *kind)
{
    const command *c = find_command(cmd);
    if (!c)
        return -1;
    if (c->own) {
        fprintf(f, "usage: vem %s %s\n\n%s\n", c->name, c->usage, c->own->about);
        print_options(f, c->own, 0);
        return 0;
    }
    if (c->verb == CLI_VERB_FIT && kind) {
        const cli_kind *k = find_kind(kind);
        if (!k)
            return -1;
        const cli_verb *v = k->verbs[CLI_VERB_FIT];
        fprintf(f, "usage: vem fit %s %s\n\n%s\n", k->name, v->usage, v->about);
        print_options(f, v, 0);
        return 0;
    }
    if (kind)
        return -1;
    fprintf(f, "usage: vem %s %s\n\n%c%s.\n", c->name, c->usage,
            toupper((unsigned char)c->summary[0]), c->summary + 1);
    if (c->verb == CLI_VERB_FIT) {
        fprintf(f, "\nkinds (vem help fit KIND for the options of each):\n");
        for (size_t i = 0; i < N_KINDS; i++)
            fprintf(f, "  %-8s vem fit %s %s\n  %-8s %s\n", kinds[i].name, kinds[i].name,
                    kinds[i].verbs[CLI_VERB_FIT]->usage, "", kinds[i].summary);
        fprintf(f, "\nengine options (each kind takes those it can honour, under these names;\n"
                   "its defaults and its list: vem help fit KIND):\n");
        print_table(f, cli_engine_options, 0, NULL);
        return 0;
    }
    fprintf(f, "MODEL is a model file written by vem fit -o; its kind chooses what %s does.\n",
            c->name);
    int data = 0;
    for (size_t i = 0; i < N_KINDS; i++) {
        const cli_verb *v = kinds[i].verbs[c->verb];
        if (!v)
            continue;
        fprintf(f, "\n%s models: vem %s %s\n%s\n", kinds[i].name, c->name, v->usage, v->about);
        print_options(f, v, 1);
        for (const cli_option *const *t = v->tables; *t; t++)
            data |= *t == cli_data_options || *t == cli_frames_data_options;
    }
    fprintf(f, "\noptions of every kind:\n");
    print_table(f, cli_common_options, 0, NULL);
    if (data) {
        fprintf(f, "\ndata options (kinds that read a data table):\n");
        print_table(f, cli_data_options, 0, NULL);
    }
    return 0;
}

/* cli_help on stdout, then the flush; an exit status. */
static int cli_help_out(const char *cmd, const char *kind)
{
    if (cli_help(stdout, cmd, kind) != 0)
        return CLI_EXIT_USAGE;
    return cli_finish_stdout();
}

int cli_usage_error(const char *cmd)
{
    char name[32];
    const char *sp = strchr(cmd, ' ');
    snprintf(name, sizeof name, "%.*s", (int)(sp ? sp - cmd : (long)strlen(cmd)), cmd);
    const command *c = find_command(name);
    const cli_kind *k = sp ? find_kind(sp + 1) : NULL;
    if (c && c->verb == CLI_VERB_FIT && k)
        fprintf(stderr, "usage: vem fit %s %s\n(vem help fit %s for the options)\n", k->name,
                k->verbs[CLI_VERB_FIT]->usage, k->name);
    else if (c)
        fprintf(stderr, "usage: vem %s %s\n(vem help %s for the options)\n", c->name, c->usage,
                c->name);
    else
        fputs("usage: vem <command> [<args>]  (vem help for the commands)\n", stderr);
    return CLI_EXIT_USAGE;
}

/* ---- dispatch ---- */

/* The first operand after the command (the kind for fit, the model file otherwise). */
static const char *first_operand(int argc, char **argv)
{
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return i + 1 < argc ? argv[i + 1] : NULL;
        if (argv[i][0] != '-' || argv[i][1] == '\0')
            return argv[i];
    }
    return NULL;
}

static int asks_help(int argc, char **argv)
{
    for (int i = 2; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    return 0;
}

static int help_command(int argc, char **argv)
{
    if (argc == 2) {
        cli_usage(stdout);
        return cli_finish_stdout();
    }
    const char *kind = argc > 3 ? argv[3] : NULL;
    if (argc > 4 || cli_help(stdout, argv[2], kind) != 0) {
        if (!find_command(argv[2]))
            cli_error("help: unknown command '%s'", argv[2]);
        else if (strcmp(argv[2], "fit") == 0)
            cli_error("help: unknown kind of model '%s' (%s)", kind, kinds_with(CLI_VERB_FIT));
        else
            cli_error("help: %s takes no kind (vem help %s)", argv[2], argv[2]);
        return cli_usage_error("");
    }
    return cli_finish_stdout();
}

/*
 * Options no kind's `cmd` takes are usage errors before any file is read (the model file's
 * kind chooses the options, so without this a missing file would hide a typo).
 */
static int prescan(const command *c, int argc, char **argv)
{
    const cli_option *tables[N_KINDS * 8 + 1];
    size_t n = 0;
    for (size_t k = 0; k < N_KINDS; k++) {
        const cli_verb *v = kinds[k].verbs[c->verb];
        for (const cli_option *const *t = v ? v->tables : NULL; t && *t; t++) {
            size_t i = 0;
            while (i < n && tables[i] != *t)
                i++;
            if (i == n && n < N_KINDS * 8)
                tables[n++] = *t;
        }
    }
    tables[n] = NULL;
    cli_parser p;
    cli_parser_init(&p, argc, argv, 2, tables, 0, c->name);
    const char *val;
    int id;
    while ((id = cli_next(&p, &val)) != CLI_END)
        if (id == CLI_BAD)
            return cli_usage_error(c->name);
    return 0;
}

/* The verb of cmd for the model named on the command line; NULL and an exit status in *rc
 * when there is none. */
static const cli_verb *resolve(const command *c, int argc, char **argv, int *rc)
{
    *rc = 0;
    if (c->own)
        return c->own;
    const char *op = first_operand(argc, argv);
    char kind[64];
    if (c->verb == CLI_VERB_FIT) {
        if (!op) {
            cli_error("fit: missing the kind of model (%s)", kinds_with(CLI_VERB_FIT));
            *rc = cli_usage_error("fit");
            return NULL;
        }
        snprintf(kind, sizeof kind, "%s", op);
        if (!find_kind(kind)) {
            cli_error("fit: unknown kind of model '%s' (vem fits %s)", op,
                      kinds_with(CLI_VERB_FIT));
            *rc = cli_usage_error("fit");
            return NULL;
        }
    } else {
        if (!op) {
            cli_error("%s: missing MODEL", c->name);
            *rc = cli_usage_error(c->name);
            return NULL;
        }
        vem_status s = vem_model_file_kind(op, kind, sizeof kind);
        if (s != VEM_OK) {
            *rc = cli_fail(s, op);
            return NULL;
        }
        if (!find_kind(kind)) {
            cli_error("%s: unknown kind of model '%s'", op, kind);
            *rc = CLI_EXIT_INPUT;
            return NULL;
        }
    }
    cli_current_kind = find_kind(kind)->name;
    const cli_verb *v = find_kind(kind)->verbs[c->verb];
    if (!v) {
        cli_error("%s: %s is a '%s' model; %s takes a model of kind %s", c->name, op, kind,
                  c->name, kinds_with(c->verb));
        *rc = cli_usage_error(c->name);
    }
    return v;
}

/*
 * During a fit the first SIGINT or SIGTERM asks the engine to stop after the current
 * iteration (cli_stop_requested; the command writes the checkpoint and the model so far
 * and exits 130). Otherwise, and at a second SIGINT:
 * SIGINT: exit status 130 whatever the command was doing; SIGTERM and SIGHUP:
 * the default action (the process ends by that signal). Either way the
 * temporaries of an output being written are removed first
 * (vem_output_cleanup, async-signal-safe) and the output keeps its old
 * contents (docs/reliability.md, "Atomic outputs").
 */
static void on_signal(int sig)
{
    if ((sig == SIGINT || sig == SIGTERM) && cli_fit_running && !cli_stop_requested) {
        /* The first one during a fit: the engine stops after the current iteration. */
        static const char msg[] = "vem: interrupted: stopping after this iteration "
                                  "(interrupt again to stop now)\n";
        cli_stop_requested = 1;
        ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
        (void)w;
        return;
    }
    vem_output_cleanup();
    if (sig == SIGINT) {
        static const char msg[] = "vem: interrupted\n";
        ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
        (void)w;
        _exit(CLI_EXIT_INTERRUPTED);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Catch sig unless the parent left it ignored (a background job of a script ignores SIGINT). */
static void catch_signal(int sig)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART; /* reads cut by the first interrupt of a fit go on */
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGTERM);
    sigaddset(&sa.sa_mask, SIGHUP);
    if (sigaction(sig, NULL, &old) == 0 && old.sa_handler != SIG_IGN)
        sigaction(sig, &sa, NULL);
}

/* At exit: nothing is registered unless a write was cut short by exit() itself. */
static void cleanup_at_exit(void)
{
    vem_output_cleanup();
}

/*
 * "BLAS: ..." for --version: OpenBLAS's build and the kernels it chose for this CPU
 * (looked up at run time: the BLAS is Debian's libblas.so.3 alternative). OpenBLAS
 * 0.3.21 (Debian 12) takes CPUs newer than it knows, Sapphire Rapids among them, for a
 * Pentium 4 and runs SSE3 kernels, 3 to 5 times slower (docs/performance.md): said here.
 */
static void blas_line(void)
{
    void *pc = dlsym(RTLD_DEFAULT, "openblas_get_corename");
    void *pf = dlsym(RTLD_DEFAULT, "openblas_get_config");
    char *(*core)(void) = NULL, *(*config)(void) = NULL;
    memcpy(&core, &pc, sizeof core);
    memcpy(&config, &pf, sizeof config);
    if (!core || !config) {
        printf("BLAS: not OpenBLAS (libblas.so.3)\n");
        return;
    }
    const char *c = core();
    printf("BLAS: %s; kernels: %s\n", config(), c);
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    static const char *const old[] = {"Prescott", "Core2", "Penryn", "Dunnington", "Nehalem",
                                      "Sandybridge", "Katmai", "Northwood", "Banias"};
    int stale = 0;
    for (size_t i = 0; i < sizeof old / sizeof *old; i++)
        stale |= strcmp(c, old[i]) == 0;
    const char *better = __builtin_cpu_supports("avx512f") ? "SkylakeX"
                         : __builtin_cpu_supports("avx2") ? "Haswell"
                                                          : NULL;
    if (stale && better)
        printf("BLAS: this CPU has %s: OPENBLAS_CORETYPE=%s runs OpenBLAS's faster kernels\n",
               strcmp(better, "SkylakeX") == 0 ? "AVX-512" : "AVX2", better);
#endif
}

int main(int argc, char **argv)
{
    catch_signal(SIGINT);
    catch_signal(SIGTERM);
    catch_signal(SIGHUP);
    atexit(cleanup_at_exit);
    if (argc < 2) {
        cli_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    int lrc = cli_memory_limit_from_env();
    if (lrc != 0)
        return lrc;
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        cli_usage(stdout);
        return cli_finish_stdout();
    }
    if (strcmp(cmd, "help") == 0)
        return help_command(argc, argv);
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("vem %s%s\n", vem_version(), cli_mpi_available() ? " (with MPI)" : "");
        blas_line();
        cli_plot_version();
        return cli_finish_stdout();
    }
    const command *c = find_command(cmd);
    if (!c) {
        if (cmd[0] == '-')
            cli_error("unknown option '%s'", cmd);
        else
            cli_error("unknown command '%s'", cmd);
        return cli_usage_error("");
    }
    if (asks_help(argc, argv)) {
        /* `vem X --help` is `vem help X`; `vem fit KIND --help` is `vem help fit KIND`. */
        const char *op = c->verb == CLI_VERB_FIT ? first_operand(argc, argv) : NULL;
        if (op && !find_kind(op)) {
            cli_error("fit: unknown kind of model '%s' (vem fits %s)", op,
                      kinds_with(CLI_VERB_FIT));
            return cli_usage_error("fit");
        }
        return cli_help_out(cmd, op);
    }

    /* A distributed run: MPI before anything reads data, finalised after. */
    int use_mpi = 0;
    for (int i = 2; i < argc; i++)
        use_mpi |= strcmp(argv[i], "--mpi") == 0;
    if (use_mpi) {
        int mrc = cli_mpi_begin(&argc, &argv);
        if (mrc != 0)
            return mrc;
    }
    cli_argc = argc;
    cli_argv = argv;
    int rc = c->verb > CLI_VERB_FIT ? prescan(c, argc, argv) : 0;
    const cli_verb *v = rc ? NULL : resolve(c, argc, argv, &rc);
    if (v)
        rc = cli_progress_finish(v->run(argc, argv));
    if (rc == 0)
        rc = cli_finish_stdout();
    if (rc == 0 && cli_fit_interrupted)
        rc = CLI_EXIT_INTERRUPTED;
    cli_mpi_end();
    return rc;
}
