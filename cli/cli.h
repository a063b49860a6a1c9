/*
 * cli/cli.h — private interface between the files of the `vem` program.
 *
 * The program is a client of the public API only (<vem/vem.h>); nothing here
 * is installed. Exit statuses, option parsing, data loading and printing are
 * shared by the commands; each model kind has its own file (cmd_fit.c and
 * cmd_model.c: Gaussian mixtures; cmd_hmm.c, cmd_vbhmm.c, cmd_lda.c, cmd_vb.c), the two
 * hidden Markov model kinds sharing cli/hmm_common.h.
 */
#ifndef VEM_CLI_H
#define VEM_CLI_H

#include <signal.h>
#include <stdio.h>

#include <jansson.h>
#include <vem/vem.h>

/* Exit statuses (README, "Exit status"; docs/formats.md). */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_USAGE = 1,      /**< usage error, a model file of the wrong kind included */
    CLI_EXIT_INPUT = 2,      /**< bad input */
    CLI_EXIT_NUMERIC = 3,    /**< numerical failure */
    CLI_EXIT_INTERRUPTED = 130 /**< SIGINT */
};

/* ---- messages (opts.c) ---- */

/** Print "vem: <message>" and a newline to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/** Print "vem: warning: <message>" and a newline to stderr. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/**
 * Report a failed library call: "vem: " + vem_errmsg(), or, when the library
 * left no detail, "vem: <what>: <vem_strerror(s)>". Returns the exit status for s.
 */
int cli_fail(vem_status s, const char *what);
/* A failure every process agreed on (vem_comm_agree: every process holds its detail):
 * vem_errmsg() printed by rank 0 only; the exit status for s. */
int cli_fail_agreed(vem_status s);
/** Exit status for a library error: 3 for VEM_ENUMERIC, 2 for the others. */
int cli_exit_status(vem_status s);
/** vem_set_memory_limit from the environment's VEM_MEMORY_LIMIT ("4G", "512M", bytes), if set:
 *  0, or CLI_EXIT_USAGE after a message for a bad value. */
int cli_memory_limit_from_env(void);

/* ---- option parsing (opts.c) ---- */

/**
 * One option a command accepts. Every option is written once, in one table:
 * the parser, the help text and the check that an option applies to a command
 * all read the same rows.
 */
typedef struct cli_option {
    const char *name; /**< long name without the leading "--" */
    char short_name;  /**< 0 for none */
    int has_arg;      /**< 1: takes a value ("--tol 1e-4", "--tol=1e-4", "-k2", "-k 2", "-k=2") */
    int id;           /**< > 0, returned by cli_next */
    const char *arg;  /**< the value's name in the help ("K", "FILE"); NULL for a flag */
    const char *help; /**< help text; "\n" starts a continuation line; NULL: an alias kept out
                           of the help. In engine options %O is the objective's name, %U the
                           observation, %S the units of a minibatch or block */
} cli_option;

/* What cli_next returns besides an option's id. */
enum {
    CLI_END = 0,         /**< no arguments left */
    CLI_POSITIONAL = -1, /**< *value is an operand */
    CLI_BAD = -2         /**< unknown option or missing value; already reported */
};

/** State of a pass over argv; options may come before, between or after operands. */
typedef struct cli_parser {
    int argc;
    char **argv;
    int next;                          /**< index of the next argument */
    int operands_only;                 /**< after "--" */
    const cli_option *const *tables;   /**< the options accepted, NULL-terminated list of tables */
    unsigned exclude;                  /**< engine options (CLI_ENGINE_BIT) not accepted */
    const char *cmd;                   /**< command name for messages, e.g. "fit gmm" */
} cli_parser;

/** Parser over argv[first..argc) accepting the options of tables (NULL-terminated), less the
 *  engine options in exclude. */
void cli_parser_init(cli_parser *p, int argc, char **argv, int first,
                     const cli_option *const *tables, unsigned exclude, const char *cmd);
/** Non-zero when o is the option of this long name (len bytes of name) or, with name NULL,
 *  of this short letter. */
int cli_option_is(const cli_option *o, const char *name, size_t len, char short_name);
/**
 * Next option id, CLI_POSITIONAL, CLI_END or CLI_BAD. *value: the option's value or operand.
 * An option of another command is reported as not applying to this one; an unknown one
 * with the nearest known name ("did you mean --covariance?").
 */
int cli_next(cli_parser *p, const char **value);

/*
 * Validating number parsers: the whole string must be a number in range.
 * Each returns 0, or prints "vem: OPTION: ..." and returns CLI_EXIT_USAGE.
 */
int cli_parse_size(const char *opt, const char *s, size_t min, size_t max, size_t *out);
int cli_parse_u64(const char *opt, const char *s, uint64_t *out);
/** A finite double >= min (> min when strict). */
int cli_parse_double(const char *opt, const char *s, double min, int strict, double *out);
/**
 * A list of K (numbers of components or states): "3", "1-9", "2,3,5" or "1-3,8", in order,
 * repeats dropped, each in [1, max_k], at most cap of them, into ks (*nk of them). what
 * names the things counted in the message ("components"). 0, or CLI_EXIT_USAGE
 * (reported, naming opt).
 */
int cli_parse_k_list(const char *opt, const char *what, const char *spec, size_t max_k,
                     size_t *ks, size_t cap, size_t *nk);

/** Option ids shared by every command (each command adds its own above CLI_OPT_OWN). */
enum {
    CLI_OPT_HELP = 1,
    CLI_OPT_JSON,
    CLI_OPT_COLUMNS,
    CLI_OPT_HEADER,
    CLI_OPT_NO_HEADER,
    CLI_OPT_DELIMITER,
    CLI_OPT_BINARY_COLS,
    CLI_OPT_PROBA,
    CLI_OPT_FORMAT,
    CLI_OPT_DTYPE,
    CLI_OPT_SCALE,
    /* The engine options (fitopts.c), one bit each in a cli_fit_kind's exclusions. */
    CLI_OPT_ENGINE = 32,
    CLI_OPT_N_INIT = CLI_OPT_ENGINE,
    CLI_OPT_MAX_ITER,
    CLI_OPT_PASSES,
    CLI_OPT_TOL,
    CLI_OPT_SEED,
    CLI_OPT_THREADS,
    CLI_OPT_ALGORITHM,
    CLI_OPT_BATCH_SIZE,
    CLI_OPT_KAPPA,
    CLI_OPT_TAU,
    CLI_OPT_N_BLOCKS,
    CLI_OPT_STREAM,
    CLI_OPT_INIT_MODEL,
    CLI_OPT_EVAL_PASSES,
    CLI_OPT_TRACE_STEPS,
    CLI_OPT_MPI,
    CLI_OPT_OUTPUT,
    CLI_OPT_VERBOSE,
    CLI_OPT_CHECKPOINT,
    CLI_OPT_CHECKPOINT_EVERY,
    CLI_OPT_RESUME,
    CLI_OPT_TRACE,
    CLI_OPT_MC_SAMPLES,
    CLI_OPT_MC_SCHEDULE,
    CLI_OPT_MC_GROWTH,
    CLI_OPT_MC_MAX_SAMPLES,
    CLI_OPT_MC_GROUPS,
    CLI_OPT_AVERAGE_FROM,
    CLI_OPT_TOL_RULE,
    CLI_OPT_ACCELERATE,
    CLI_OPT_ENGINE_END,
    CLI_OPT_OWN = 100
};

/** The exclusion bit of an engine option id. */
#define CLI_ENGINE_BIT(id) (1u << ((id) - CLI_OPT_ENGINE))
/* The Monte-Carlo EM options (docs/mcem.md): excluded by the kinds whose model has no
 * Monte-Carlo E-step (they take no --algorithm either; the engine would refuse the
 * algorithms by name). */
#define CLI_MC_OPTIONS                                                                           \
    (CLI_ENGINE_BIT(CLI_OPT_MC_SAMPLES) | CLI_ENGINE_BIT(CLI_OPT_MC_SCHEDULE) |                  \
     CLI_ENGINE_BIT(CLI_OPT_MC_GROWTH) | CLI_ENGINE_BIT(CLI_OPT_MC_MAX_SAMPLES) |                \
     CLI_ENGINE_BIT(CLI_OPT_MC_GROUPS) | CLI_ENGINE_BIT(CLI_OPT_AVERAGE_FROM))

/** --help and --json: every command. */
extern const cli_option cli_common_options[];
/** --columns, --header, --no-header, --delimiter, --binary-cols, --dtype, --format, --scale:
 *  commands reading DATA. */
extern const cli_option cli_data_options[];
/** The CSV and raw float64 options alone (no --dtype, --format, --scale): the HMMs' frames. */
extern const cli_option cli_frames_data_options[];
/** --proba: the mixtures' predict (component probabilities). */
extern const cli_option cli_proba_options[];
/** The engine options: every `fit KIND` (fitopts.c). */
extern const cli_option cli_engine_options[];

/* ---- data ---- */

/** A data file's format (--format, or chosen by cli_data_format). */
typedef enum cli_data_format {
    CLI_FORMAT_AUTO = 0, /**< by the options and the name: cli_data_format */
    CLI_FORMAT_CSV,
    CLI_FORMAT_BINARY, /**< raw values, --binary-cols per row, of --dtype */
    CLI_FORMAT_IDX,    /**< MNIST's IDX, gzip or plain (vem_idx_read) */
    CLI_FORMAT_NPY     /**< NumPy .npy (vem_npy_read) */
} cli_data_format;

/** How a data file is read (--columns, --header/--no-header, --delimiter, --binary-cols,
 *  --dtype, --format, --scale). */
typedef struct cli_data_opts {
    const char *columns; /**< NULL: all columns, or the model's when it names them */
    int header;          /**< -1 detect, 0 none, 1 first line */
    char delim;          /**< 0 detect */
    size_t binary_cols;  /**< > 0: raw file with this many columns */
    int csv_option_set;  /**< some CSV-only option was given */
    vem_dtype dtype;     /**< --dtype: the raw file's values (float64 unless given) */
    int dtype_set;       /**< --dtype was given */
    cli_data_format format; /**< --format (CLI_FORMAT_AUTO unless given) */
    double scale;        /**< --scale: every value is divided by it (1: as read) */
} cli_data_opts;

/**
 * The format DATA at path is read in: raw with --binary-cols, else --format,
 * else by the name: *.npy is .npy; *.idx, *-ubyte, *.idx1-ubyte, *.idx3-ubyte
 * (each also with .gz) are IDX; anything else CSV/TSV.
 */
cli_data_format cli_data_format_of(const char *path, const cli_data_opts *d);
/**
 * For commands that read DATA only as CSV or raw float64 frames (the HMMs):
 * CLI_EXIT_USAGE (reported, naming cmd) when --dtype, --format, --scale or an
 * IDX or .npy name asks for more; else 0.
 */
int cli_data_opts_frames_only(const cli_data_opts *d, const char *path, const char *cmd);

void cli_data_opts_init(cli_data_opts *d);
/**
 * Apply option id with value val if it is a data option. Returns 0 when applied,
 * CLI_EXIT_USAGE for a bad value, -1 when id is not a data option.
 */
int cli_data_option(cli_data_opts *d, int id, const char *val);
/** CLI_EXIT_USAGE (reported) for conflicting data options, else 0. */
int cli_data_opts_check(const cli_data_opts *d);

/**
 * Read DATA into t. When model_cols is non-NULL and no --columns was given, the
 * model's columns are selected by name from a CSV with a header (a file without
 * one is read whole). When model_d > 0 the table must have that many columns.
 * Returns 0 or an exit status (reported).
 */
int cli_read_data(const char *path, const cli_data_opts *d, const char *const *model_cols,
                  size_t model_d, vem_table *t);
/**
 * Read this process's share of DATA for a distributed fit (--mpi) with
 * vem_csv_read_share over cli_mpi_comm(): rows [r N / P, (r + 1) N / P) of a raw
 * float64 file, or the lines starting in bytes [r S / P, (r + 1) S / P) of a CSV
 * file; *rows_all gets the rows of all processes. Column selection as
 * cli_read_data; a share may be empty. Every process calls it and gets the same
 * exit status; one message (the library's agreed failure, or rank 0's for a
 * column count that differs from model_d). Returns 0 or an exit status.
 */
int cli_read_share(const char *path, const cli_data_opts *d, const char *const *model_cols,
                   size_t model_d, vem_table *t, size_t *rows_all);
/**
 * Open DATA as a source for out-of-core fitting (--stream): CSV converted once
 * to a temporary binary file, or raw float64 read in place. Column selection as
 * cli_read_data. Returns 0 or an exit status (reported).
 */
int cli_open_source(const char *path, const cli_data_opts *d, const char *const *model_cols,
                    size_t model_d, const vem_comm *comm, vem_source **out);
/** Non-zero when t's column names came from a header rather than being numbered "1", "2", ... */
int cli_table_has_names(const vem_table *t);

/** Load a Gaussian mixture model file; NULL (reported, exit status 2) on failure. */
vem_gmm *cli_load_gmm(const char *path);

/** "VVV", "VVI", "VII", "EEE": mclust's name of a covariance structure. */
const char *cli_cov_mclust(vem_cov c);

/* ---- output (output.c) ---- */

/** A new output object holding "model": kind (NULL when out of memory). */
json_t *cli_json_new(const char *kind);
/** A JSON number, or null for NaN and infinities (JSON has neither). */
json_t *cli_json_real(double v);
/** JSON array of n doubles. */
json_t *cli_json_vector(const double *v, size_t n);
/** JSON array of rows arrays of cols doubles (row-major). */
json_t *cli_json_matrix(const double *v, size_t rows, size_t cols);
/** JSON array of n integers (labels, states, components). */
json_t *cli_json_indices(const size_t *v, size_t n);
/** Print rows x cols doubles (row-major) on stdout as CSV lines, 17 significant digits. */
void cli_print_matrix(const double *v, size_t rows, size_t cols);
/** Add the keys of a model file's text (vem_*_to_json: text is freed; NULL when it could
 *  not be made) to obj, less "format" and "version": the model's parameters as saved. */
void cli_json_model(json_t *obj, char *text);
/** Add the model's fields (model, covariance_type, sizes, columns, weights, means,
 *  covariances, reg_covar: its model file's) and n_parameters to obj. */
void cli_json_gmm(json_t *obj, const vem_gmm *g);
/** `vem sample MODEL -n N [--seed S] [--json]`: the same options for every kind. */
typedef struct cli_sample_args {
    const char *model;
    size_t n;
    uint64_t seed;
    int json;
    size_t start_state; /* --start-state (HMMs), SIZE_MAX when not given */
} cli_sample_args;
extern const cli_option *const cli_sample_tables[];
/** sample's options with --start-state (the HMMs'). */
extern const cli_option *const cli_sample_state_tables[];
/** Parse sample's arguments; 0, or CLI_EXIT_USAGE (reported, with the usage line). */
int cli_sample_parse(int argc, char **argv, cli_sample_args *a);
/** The same with the option tables given (cli_sample_tables or cli_sample_state_tables). */
int cli_sample_parse_tables(int argc, char **argv, const cli_option *const *tables,
                            cli_sample_args *a);
/** n draws (n x d, row-major) and their components or states (label_name: "component",
 *  "state") as CSV with a header (cols, or x1, x2, ...), or as JSON {"model", "samples",
 *  "<label_name>s"}. Returns 0 or an exit status. */
int cli_sample_print(const char *kind, const double *xs, const size_t *labels, size_t n, size_t d,
                     const char *const *cols, const char *label_name, int json);
/** Print obj as one compact JSON line on stdout (17 significant digits) and release it.
 *  Returns 0, or 2 when it could not be built or written. */
int cli_json_emit(json_t *obj);

/** Column j's name: cols[j], or "x1", "x2", ... (written into buf) when cols is NULL. */
const char *cli_column_label(const char *const *cols, size_t j, char *buf, size_t size);
/** The component table: weight and mean per column. */
void cli_print_components(FILE *f, const vem_gmm *g);
/** Everything about a model, for `vem info`. */
void cli_print_gmm(FILE *f, const vem_gmm *g);
/** Flush stdout; reports a write error and returns 2 if there was one. */
int cli_finish_stdout(void);

/* ---- engine options and results common to every fit (fitopts.c) ---- */

/** What the engine options mean for one kind of model: names, units, defaults. */
typedef struct cli_fit_kind {
    const char *name;      /**< "gmm" */
    const char *objective; /**< "log-likelihood" or "ELBO" (text); JSON: objective_name */
    const char *unit;      /**< the per-observation divisor: "row", "frame", "token" */
    const char *units;     /**< what minibatches and blocks hold: "rows", "sequences", ... */
    unsigned exclude;      /**< CLI_ENGINE_BIT of the engine options the kind does not take */
    /** The kind's defaults over vem_fit_opts_init's; NULL: those. */
    void (*defaults)(vem_fit_opts *o);
} cli_fit_kind;

/** The engine options of one `fit KIND`, as given over the kind's defaults. */
typedef struct cli_fit_args {
    vem_fit_opts opts;       /**< max_iter, tol, n_init, nthreads, algorithm, online knobs */
    uint64_t seed;           /**< --seed */
    const char *output;      /**< -o, or NULL */
    const char *init_model;  /**< --init-model, or NULL */
    const char *trace;       /**< --trace FILE, or NULL */
    int json, verbose, stream, mpi;
    unsigned given;          /**< CLI_ENGINE_BIT of every engine option given */
    const char *tag;         /**< the command line less the options that do not change the
                                  fit's bits (opts.checkpoint_tag; made once per program) */
    const cli_fit_kind *kind;
} cli_fit_args;

/** Defaults of kind k. */
void cli_fit_args_init(cli_fit_args *f, const cli_fit_kind *k);
/** Non-zero for the algorithms that count iterations, not passes (batch, mcem, sem, cem). */
int cli_by_iterations(vem_algorithm a);
/** The Monte-Carlo algorithms' defaults where not given: MCEM the parameter rule with tol
 *  1e-3, SEM --tol 0 and --average-from max_iter / 2 + 1 (docs/mcem.md). Call once
 *  max_iter is final. */
void cli_fit_mc_defaults(cli_fit_args *f);
/** An engine option or --json (into f), else a data option (into d, which may be NULL):
 *  0, or CLI_EXIT_USAGE (reported). --help never gets here: vem.c answers it. */
int cli_fit_or_data_option(cli_fit_args *f, cli_data_opts *d, int id, const char *val);
/** After parsing: conflicts between engine options (reported), and the progress report
 *  (cli_progress_setup).
 *  Returns 0 or CLI_EXIT_USAGE. */
int cli_fit_args_check(cli_fit_args *f, const char *cmd);
/** --threads T (0: all available), for fits and the commands that take it: 0 or
 *  CLI_EXIT_USAGE (reported). */
int cli_parse_threads(const char *val, int *out);
/** Non-zero when the engine option id was given. */
int cli_fit_given(const cli_fit_args *f, int id);

/**
 * The parse loop of a model command taking MODEL (or a fit's DATA) and, with nops 2, DATA:
 * operands into *model and *data, the command's own options through own (which returns
 * -1 for an option that is not its own, else 0 or CLI_EXIT_USAGE, reported), then the
 * engine and data options (into f and d). Returns 0 or CLI_EXIT_USAGE (reported); the
 * caller checks that the operands it needs were given.
 */
int cli_parse_model_command(cli_parser *p, int nops, const char **model, const char **data,
                            int (*own)(void *a, int id, const char *val), void *a,
                            cli_fit_args *f, cli_data_opts *d);

/* ---- the arguments of fits and of commands on a saved model (cmdargs.c) ---- */

/**
 * The parse loop of `vem fit KIND DATA [options]` (cmd: "fit hmm"): argv[2], the kind,
 * skipped, one DATA operand into *data, every option through option (0, or CLI_EXIT_USAGE
 * reported). Returns 0 or CLI_EXIT_USAGE (reported, without the usage line).
 */
int cli_parse_fit_command(int argc, char **argv, const cli_option *const *tables, unsigned exclude,
                          const char *cmd, int (*option)(void *a, int id, const char *val), void *a,
                          const char **data);

/** "OPT: expected WHAT, got 'VAL'" (reported); returns CLI_EXIT_USAGE. */
int cli_bad_value(const char *opt, const char *what, const char *val);

/** What every `vem CMD MODEL DATA [options]` takes. */
typedef struct cli_model_args {
    const char *model, *data;
    int json;
    cli_data_opts dopts;
} cli_model_args;

/**
 * Parse `vem CMD MODEL DATA [options]` with the options of tables into a (zeroed first):
 * the operands, --json, the command's own options through own (ctx its state; it returns
 * -1 for an option that is not its own, else 0 or CLI_EXIT_USAGE, reported; NULL: none),
 * the data options. Returns 0 with both operands given, or CLI_EXIT_USAGE (reported, with
 * the usage line).
 */
int cli_parse_model_args(int argc, char **argv, const char *cmd, const cli_option *const *tables,
                         cli_model_args *a, int (*own)(void *ctx, int id, const char *val),
                         void *ctx);

/** The options of `vem info MODEL`: --help and --json. */
extern const cli_option *const cli_info_tables[];
/** Parse `vem info MODEL [--json]`: 0, or CLI_EXIT_USAGE (reported, with the usage line). */
int cli_parse_info(int argc, char **argv, const char **model, int *json);

/**
 * After loading f->init_model (loaded: non-zero when it loaded): the failure said once
 * (rank 0) and, under --mpi, agreed on by every rank. Returns 0 or CLI_EXIT_INPUT.
 */
int cli_init_model_loaded(const cli_fit_args *f, int loaded);

/*
 * Interrupts (docs/reliability.md, "Signals"): while cli_fit_running is set (by the
 * commands around their call of the library's fit), the first
 * SIGINT or SIGTERM only sets cli_stop_requested, which the engine polls between
 * iterations (opts.interrupted): it writes the checkpoint and stops with the best
 * parameters so far, which the command writes marked "interrupted"; the command then
 * exits 130 (cli_fit_interrupted, set by cli_fit_usable). A second SIGINT
 * exits at once.
 */
extern volatile sig_atomic_t cli_fit_running, cli_stop_requested;
extern int cli_fit_interrupted;
/** The command line (main's argc, argv), for checkpoint tags. */
extern int cli_argc;
extern char **cli_argv;
/** Whether s leaves a usable model: VEM_OK, VEM_EMAXITER or VEM_EINTR (which also sets
 *  cli_fit_interrupted, on every process). */
int cli_fit_usable(vem_status s);

/** The JSON fields every fit carries (docs/schema.json, "fit"): model, converged, n_iter,
 *  n_units, n_obs, objective, objective_name, objective_per_obs, seconds, threads, trace. */
void cli_json_fit_common(json_t *o, const cli_fit_args *f, const vem_fit_result *res,
                         size_t n_units);
/** The JSON fields every score carries: model, n_units, n_obs, objective, objective_name,
 *  objective_per_obs. */
void cli_json_score_common(json_t *o, const char *model, const char *objective_name,
                           size_t n_units, size_t n_obs, double objective);
/** The closing lines of every fit summary: objective (total and per observation, nats),
 *  iterations, convergence, monotonicity warnings, the model file. */
void cli_print_fit_tail(const cli_fit_args *f, const vem_fit_result *res);
/** The lines of every score: units, observations, objective total and per observation. */
void cli_print_score(const char *objective, const char *units, size_t n_units,
                     const char *unit, size_t n_obs, double objective_total);
/** The "not converged" warning with the last change per observation. */
void cli_warn_not_converged(const cli_fit_args *f, const vem_fit_result *res);

/* ---- progress and --trace (progress.c; docs/reliability.md, "Progress and traces") ---- */

/** Install the progress report in f->opts (rank 0 only): a line updated in place on a
 *  terminal, plain lines at most once a second with --verbose off one, and the entries
 *  kept for --trace. Nothing when none of these applies. */
void cli_progress_setup(cli_fit_args *f);
/** Model selection: the number of fits (cells) the command runs, for the time left. */
void cli_progress_cells(size_t n);
/** The command's fit returned: show its last state and end the terminal line. */
void cli_progress_end_line(void);
/** End a terminal progress line that is being redrawn, so that a message starts on a
 *  line of its own (cli_error and cli_warn call it). */
void cli_progress_break(void);
/** The command ended with exit status rc: end the line, write --trace (atomically) if the
 *  fit began. Returns rc, or 2 (reported) when rc is 0 and the trace could not be written. */
int cli_progress_finish(int rc);

/* ---- model kinds and commands (vem.c) ---- */

/** One command of one kind: what runs it, its options, its help. */
typedef struct cli_verb {
    int (*run)(int argc, char **argv);   /**< argv[1] is the command; for fit argv[2] the kind */
    const char *usage;                   /**< "DATA -k K [options]": after "vem fit gmm " */
    const char *about;                   /**< what it does: a paragraph */
    const cli_option *const *tables;     /**< its options, NULL-terminated */
    const cli_fit_kind *fit;             /**< for fit: the engine options' meaning */
} cli_verb;

/** The commands a model kind has; NULL where it has none. */
enum {
    CLI_VERB_FIT,
    CLI_VERB_PREDICT,
    CLI_VERB_SCORE,
    CLI_VERB_SAMPLE,
    CLI_VERB_INFO,
    CLI_VERB_DECODE,
    CLI_VERB_TRANSFORM,
    CLI_VERB_TOPICS,
    CLI_VERB_ENCODE,
    CLI_VERB_RECONSTRUCT,
    CLI_N_VERBS
};

/** A model kind: one row of the kinds table in vem.c. */
typedef struct cli_kind {
    const char *name;    /**< as in model files' "model" and `vem fit NAME` */
    const char *summary; /**< one line */
    const cli_verb *verbs[CLI_N_VERBS];
} cli_kind;

/** "vem: <message>" is already printed: add the command's usage line and return CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd);
/** The kind of model the running command serves (set by vem.c once known), or NULL. */
extern const char *cli_current_kind;
/** Non-zero when a command other than cmd of cli_current_kind ("score", "fit gmm") takes an
 *  option of this long name (len bytes of name) or short letter (name NULL); *where
 *  receives one such command, "score hmm" or "fit blr", the same command's first. */
int cli_option_known(const char *name, size_t len, char short_name, const char *cmd,
                     const char **where);

/* ---- pictures (cmd_plot.c) ---- */

/** The "plots: ..." line of --version: cairo's version, or why the build has none. */
void cli_plot_version(void);

/* ---- distributed fits (mpi.c) ---- */

/* Non-zero when this vem was built with MPI (-DVEM_WITH_MPI=ON). */
int cli_mpi_available(void);
/* MPI_Init, and stdout silenced on ranks other than 0; 0 or an exit status (reported). */
int cli_mpi_begin(int *argc, char ***argv);
/* MPI_Finalize if cli_mpi_begin succeeded. */
void cli_mpi_end(void);
/* Non-zero between cli_mpi_begin and cli_mpi_end. */
int cli_mpi_active(void);
/* This process's rank and the number of processes (0 and 1 without MPI). */
int cli_mpi_rank(void);
int cli_mpi_size(void);
/* Time in the reduction hook on this rank (waiting for other ranks included), calls, doubles. */
void cli_mpi_stats(double *seconds, size_t *calls, size_t *doubles);
/* The engine's communicator over MPI_COMM_WORLD (rank, size; reduce is
 * MPI_Allreduce(MPI_SUM) in place, broadcast MPI_Bcast from rank 0, gather
 * MPI_Gatherv to rank 0); valid between cli_mpi_begin and cli_mpi_end (NULL in a
 * build without MPI). Everything a distributed fit does besides printing is the
 * library's, over it. */
const vem_comm *cli_mpi_comm(void);
/* The largest exit status over all ranks, so that every rank exits alike (a collective:
 * every rank calls it). */
int cli_mpi_agree(int rc);

#endif /* VEM_CLI_H */
