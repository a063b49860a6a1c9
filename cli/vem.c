/*
 * cli/vem.c — the `vem` program: subcommand dispatch and help texts.
 *
 *     vem fit gmm faithful.csv -k 2 -o m.json
 *     vem predict m.json faithful.csv --proba
 *
 * Exit statuses: 0 ok, 1 usage error, 2 input error, 3 numerical failure.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char usage_text[] =
    "usage: vem <command> [<args>] [--json]\n"
    "\n"
    "commands:\n"
    "  fit gmm DATA -k K [options]    fit a Gaussian mixture by EM (K may be 1-9 or 2,3,5)\n"
    "  predict MODEL DATA [--proba]   most probable component of each row, or probabilities\n"
    "  score MODEL DATA               log-likelihood of the rows under the model\n"
    "  sample MODEL -n N [--seed S]   draw N rows from the model\n"
    "  info MODEL                     describe a model file\n"
    "  fit hmm DATA --states K        fit a hidden Markov model by Baum-Welch\n"
    "  decode MODEL DATA              most probable state path (Viterbi) or posteriors\n"
    "  fit lda CORPUS --vocab V -k K  fit latent Dirichlet allocation (variational EM)\n"
    "  corpus TEXTS -o PREFIX         bag-of-words corpus from text files\n"
    "  topics MODEL                   top words of each topic\n"
    "  transform MODEL CORPUS         topic proportions of new documents\n"
    "  fit vbgmm DATA -k K            variational Bayesian Gaussian mixture\n"
    "  fit blr DATA --target COLUMN   Bayesian linear regression (mean-field VB)\n"
    "  help [COMMAND]                 this text, or the options of a command\n"
    "\n"
    "Every command accepts --json and then prints one JSON object on stdout.\n"
    "Exit status: 0 ok, 1 usage error, 2 input error, 3 numerical failure.\n"
    "Run 'vem help fit' (or 'vem fit --help') for the options of a command.\n";

static const char data_options_text[] =
    "data options:\n"
    "  --columns LIST       columns by header name or 1-based index, comma-separated\n"
    "  --header, --no-header   the first line is (not) a header (default: detected)\n"
    "  --delimiter C        cell delimiter: one character or 'tab' (default: detected)\n"
    "  --binary-cols D      DATA is raw little-endian float64, D values per row\n";

static const char fit_text[] =
    "usage: vem fit gmm DATA -k K [options]\n"
    "\n"
    "Fit a Gaussian mixture to the rows of DATA (CSV or TSV of numbers) by EM.\n"
    "\n"
    "options:\n"
    "  -k, --components K   components: a number, a range A-B or a list A,B,C\n"
    "  --covariance C       full (default), diag, spherical, tied, a comma list, or all\n"
    "  --select bic         fit every (K, covariance) pair and keep the lowest BIC;\n"
    "                       implied when there is more than one pair\n"
    "  --init M             kmeans (default), kmeans++ or random\n"
    "  --init-model MODEL   start from a saved model's parameters (its K and covariance)\n"
    "  --n-init N           restarts, the best log-likelihood is kept (default 1)\n"
    "  --max-iter N         EM iterations per restart (default 100)\n"
    "  --tol T              stop when the log-likelihood per row changes by < T nats\n"
    "                       (default 1e-3)\n"
    "  --reg-covar E        added to covariance diagonals (default 1e-6)\n"
    "  --seed S             random seed (default 0)\n"
    "  --threads T          threads; 0 = all available (default); results do not\n"
    "                       depend on it\n"
    "  --algorithm A        batch (default), stepwise or incremental (online EM)\n"
    "  --passes N           passes over the data for online EM (same as --max-iter)\n"
    "  --batch-size B       stepwise: rows per minibatch (default 1000)\n"
    "  --kappa K            stepwise: step size (t + tau)^-kappa, kappa in (0.5, 1]\n"
    "                       (default 0.7)\n"
    "  --tau T              stepwise: step-size offset >= 0 (default 2)\n"
    "  --blocks B           incremental: blocks of rows (default 10)\n"
    "  --stream             do not load DATA: read it block by block in every pass\n"
    "                       (CSV is converted once to a temporary binary file)\n"
    "  --trace-steps        online EM: trace every minibatch or block too\n"
    "  --eval-passes        online EM: exact log-likelihood after every pass\n"
    "  --mpi                distributed fit: run under mpirun, each process reads its\n"
    "                       share of DATA (vem built with -DVEM_WITH_MPI=ON)\n"
    "  -o, --output MODEL   write the fitted model (JSON) to MODEL\n"
    "  --json               print the result as one JSON object\n"
    "  --verbose            progress on stderr even when it is not a terminal\n";

static const char predict_text[] =
    "usage: vem predict MODEL DATA [--proba] [options]\n"
    "\n"
    "Print the most probable component (0-based) of each row of DATA, one per\n"
    "line, or with --proba the K component probabilities per row (CSV).\n"
    "When the model names its columns and DATA has a header, the same columns\n"
    "are selected by name unless --columns is given.\n"
    "\n"
    "options:\n"
    "  --proba              probabilities instead of labels\n"
    "  --json               {\"labels\": [...]} or {\"proba\": [[...], ...]}\n";

static const char score_text[] =
    "usage: vem score MODEL DATA [options]\n"
    "\n"
    "Print the number of rows and the mean and total log-likelihood (nats) of\n"
    "DATA under MODEL. Columns are selected as for 'vem predict'.\n"
    "\n"
    "options:\n"
    "  --json               {\"n\", \"mean_log_likelihood\", \"total_log_likelihood\"}\n";

static const char sample_text[] =
    "usage: vem sample MODEL -n N [--seed S] [--json]\n"
    "\n"
    "Draw N rows from MODEL; prints CSV with a header (the model's columns, then\n"
    "'component').\n"
    "\n"
    "options:\n"
    "  -n, --n-samples N    rows to draw (>= 1)\n"
    "  --seed S             random seed (default 0)\n"
    "  --json               {\"samples\": [[...], ...], \"components\": [...]}\n";

static const char info_text[] =
    "usage: vem info MODEL [--json]\n"
    "\n"
    "Describe a model file: type, K, D, covariance, weights, means, covariances\n"
    "and the number of free parameters.\n";

static const struct {
    const char *name;
    const char *usage; /* first line of the help */
    const char *help;
    int with_data;
} commands[] = {
    {"fit", "usage: vem fit gmm DATA -k K [options]", fit_text, 1},
    {"predict", "usage: vem predict MODEL DATA [--proba] [options]", predict_text, 1},
    {"score", "usage: vem score MODEL DATA [options]", score_text, 1},
    {"sample", "usage: vem sample MODEL -n N [--seed S] [--json]", sample_text, 0},
    {"info", "usage: vem info MODEL [--json]", info_text, 0},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

void cli_usage(FILE *f)
{
    fputs(usage_text, f);
}

int cli_command_help(FILE *f, const char *cmd)
{
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (strcmp(commands[i].name, cmd) == 0) {
            fputs(commands[i].help, f);
            if (commands[i].with_data)
                fprintf(f, "\n%s", data_options_text);
            return 0;
        }
    }
    return -1;
}

int cli_usage_error(const char *cmd)
{
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (strcmp(commands[i].name, cmd) == 0) {
            fprintf(stderr, "%s\n(vem help %s for the options)\n", commands[i].usage, cmd);
            return CLI_EXIT_USAGE;
        }
    }
    fputs("usage: vem <command> [<args>]  (vem help for the commands)\n", stderr);
    return CLI_EXIT_USAGE;
}

/*
 * Which model a command is about: for "fit", the model type (first operand);
 * for the commands on a model file, the file's "model" field; "" otherwise or
 * when the file cannot be read (the command itself then reports the problem).
 */
static const char *model_kind(const char *cmd, int argc, char **argv)
{
    static char kind[64];
    const char *first = NULL;
    for (int i = 2; i < argc && !first; i++)
        if (argv[i][0] != '-' || argv[i][1] == '\0')
            first = argv[i];
    if (!first)
        return "";
    if (strcmp(cmd, "fit") == 0)
        return first;
    if (strcmp(cmd, "predict") && strcmp(cmd, "score") && strcmp(cmd, "sample") &&
        strcmp(cmd, "info") && strcmp(cmd, "decode"))
        return "";
    if (vem_model_file_kind(first, kind, sizeof kind) != VEM_OK)
        return "";
    return kind;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        cli_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        cli_usage(stdout);
        return cli_finish_stdout();
    }
    if (strcmp(cmd, "help") == 0) {
        if (argc == 2) {
            cli_usage(stdout);
            return cli_finish_stdout();
        }
        /* The other models' commands print their own help: "vem help fit lda" is
         * "vem fit lda --help", "vem help topics" is "vem topics --help". */
        const char *topic = argv[2];
        const char *model = strcmp(topic, "fit") == 0 && argc > 3 ? argv[3] : "";
        int (*other)(const char *, int, char **) = NULL;
        if (strcmp(model, "hmm") == 0 || strcmp(topic, "decode") == 0)
            other = cli_hmm_main;
        else if (strcmp(model, "lda") == 0 || strcmp(topic, "topics") == 0 ||
                 strcmp(topic, "transform") == 0 || strcmp(topic, "corpus") == 0)
            other = cli_lda_main;
        else if (strcmp(model, "vbgmm") == 0 || strcmp(model, "blr") == 0)
            other = cli_vb_main;
        if (other) {
            char *args[5] = {argv[0], argv[2], NULL, NULL, NULL};
            int n = 2;
            if (*model)
                args[n++] = argv[3];
            args[n++] = (char *)"--help";
            int rc = other(topic, n, args);
            return rc ? rc : cli_finish_stdout();
        }
        if (argc > 3 || cli_command_help(stdout, argv[2]) != 0) {
            cli_error("help: unknown command '%s'", argv[2]);
            return cli_usage_error("");
        }
        return cli_finish_stdout();
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("vem %s%s\n", vem_version(), cli_mpi_available() ? " (with MPI)" : "");
        return cli_finish_stdout();
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
    int rc;
    const char *kind = model_kind(cmd, argc, argv);
    if (strcmp(kind, "hmm") == 0 || strcmp(cmd, "decode") == 0)
        rc = cli_hmm_main(cmd, argc, argv);
    else if (strcmp(kind, "lda") == 0 || strcmp(cmd, "topics") == 0 ||
             strcmp(cmd, "transform") == 0 || strcmp(cmd, "corpus") == 0)
        rc = cli_lda_main(cmd, argc, argv);
    else if (strcmp(kind, "vbgmm") == 0 || strcmp(kind, "blr") == 0)
        rc = cli_vb_main(cmd, argc, argv);
    else if (strcmp(cmd, "fit") == 0)
        rc = cli_cmd_fit(argc, argv);
    else if (strcmp(cmd, "predict") == 0)
        rc = cli_cmd_predict(argc, argv);
    else if (strcmp(cmd, "score") == 0)
        rc = cli_cmd_score(argc, argv);
    else if (strcmp(cmd, "sample") == 0)
        rc = cli_cmd_sample(argc, argv);
    else if (strcmp(cmd, "info") == 0)
        rc = cli_cmd_info(argc, argv);
    else {
        if (cmd[0] == '-')
            cli_error("unknown option '%s'", cmd);
        else
            cli_error("unknown command '%s'", cmd);
        return cli_usage_error("");
    }
    if (rc == 0)
        rc = cli_finish_stdout();
    cli_mpi_end();
    return rc;
}
