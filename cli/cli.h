/*
 * cli/cli.h — private interface between the files of the `vem` program.
 *
 * The program is a client of the public API only (<vem/vem.h>); nothing here
 * is installed. Exit statuses, option parsing, data loading and printing are
 * shared by the subcommands (cmd_fit.c, cmd_model.c).
 */
#ifndef VEM_CLI_H
#define VEM_CLI_H

#include <stdio.h>

#include <jansson.h>
#include <vem/vem.h>

/* Exit statuses (docs: STYLE.md section 11). */
enum { CLI_EXIT_OK = 0, CLI_EXIT_USAGE = 1, CLI_EXIT_INPUT = 2, CLI_EXIT_NUMERIC = 3 };

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
/** Exit status for a library error: 3 for VEM_ENUMERIC, 2 for the others. */
int cli_exit_status(vem_status s);

/* ---- option parsing (opts.c) ---- */

/** One option a command accepts. */
typedef struct cli_option {
    const char *name; /**< long name without the leading "--" */
    char short_name;  /**< 0 for none */
    int has_arg;      /**< 1: takes a value ("--tol 1e-4", "--tol=1e-4", "-k2", "-k 2") */
    int id;           /**< > 0, returned by cli_next */
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
    int next;                  /**< index of the next argument */
    int operands_only;         /**< after "--" */
    const cli_option *options; /**< terminated by an entry with name NULL */
    const char *cmd;           /**< command name for messages, e.g. "fit gmm" */
} cli_parser;

/** Parser over argv[first..argc). */
void cli_parser_init(cli_parser *p, int argc, char **argv, int first, const cli_option *options,
                     const char *cmd);
/** Next option id, CLI_POSITIONAL, CLI_END or CLI_BAD. *value: the option's value or operand. */
int cli_next(cli_parser *p, const char **value);

/*
 * Validating number parsers: the whole string must be a number in range.
 * Each returns 0, or prints "vem: OPTION: ..." and returns CLI_EXIT_USAGE.
 */
int cli_parse_size(const char *opt, const char *s, size_t min, size_t max, size_t *out);
int cli_parse_u64(const char *opt, const char *s, uint64_t *out);
/** A finite double >= min (> min when strict). */
int cli_parse_double(const char *opt, const char *s, double min, int strict, double *out);

/** Option ids shared by every command (each command adds its own above CLI_OPT_OWN). */
enum {
    CLI_OPT_HELP = 1,
    CLI_OPT_JSON,
    CLI_OPT_COLUMNS,
    CLI_OPT_HEADER,
    CLI_OPT_NO_HEADER,
    CLI_OPT_DELIMITER,
    CLI_OPT_BINARY_COLS,
    CLI_OPT_OWN = 100
};

/* ---- data ---- */

/** How a data file is read (--columns, --header/--no-header, --delimiter, --binary-cols). */
typedef struct cli_data_opts {
    const char *columns; /**< NULL: all columns, or the model's when it names them */
    int header;          /**< -1 detect, 0 none, 1 first line */
    char delim;          /**< 0 detect */
    size_t binary_cols;  /**< > 0: raw float64 file with this many columns */
    int csv_option_set;  /**< some CSV-only option was given */
} cli_data_opts;

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
 * Read this process's share of DATA for a distributed fit (--mpi): rows
 * [r N / P, (r + 1) N / P) of a raw float64 file, or the lines starting in
 * bytes [r S / P, (r + 1) S / P) of a CSV file. Column selection as
 * cli_read_data; a share may be empty. Returns 0 or an exit status (reported).
 */
int cli_read_share(const char *path, const cli_data_opts *d, const char *const *model_cols,
                   size_t model_d, int rank, int nranks, vem_table *t);
/**
 * Open DATA as a source for out-of-core fitting (--stream): CSV converted once
 * to a temporary binary file, or raw float64 read in place. Column selection as
 * cli_read_data. Returns 0 or an exit status (reported).
 */
int cli_open_source(const char *path, const cli_data_opts *d, const char *const *model_cols,
                    size_t model_d, vem_source **out);
/** Non-zero when t's column names came from a header rather than being numbered "1", "2", ... */
int cli_table_has_names(const vem_table *t);

/** Load a Gaussian mixture model file; NULL (reported, exit status 2) on failure. */
vem_gmm *cli_load_gmm(const char *path);

/** "VVV", "VVI", "VII", "EEE": mclust's name of a covariance structure. */
const char *cli_cov_mclust(vem_cov c);

/* ---- output (output.c) ---- */

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
/** Add the model's fields (model, covariance_type, sizes, columns, weights, means,
 *  covariances, reg_covar, n_parameters) to obj. */
void cli_json_gmm(json_t *obj, const vem_gmm *g);
/** Print obj as one compact JSON line on stdout (17 significant digits) and release it.
 *  Returns 0, or 2 when it could not be built or written. */
int cli_json_emit(json_t *obj);

/** Column name j of the model (its stored name, or "x1", "x2", ...), into buf. */
const char *cli_column_name(const vem_gmm *g, size_t j, char *buf, size_t size);
/** The component table: weight and mean per column. */
void cli_print_components(FILE *f, const vem_gmm *g);
/** Everything about a model, for `vem info`. */
void cli_print_gmm(FILE *f, const vem_gmm *g);
/** Flush stdout; reports a write error and returns 2 if there was one. */
int cli_finish_stdout(void);

/* ---- commands ---- */

int cli_cmd_fit(int argc, char **argv);
int cli_cmd_predict(int argc, char **argv);
int cli_cmd_score(int argc, char **argv);
int cli_cmd_sample(int argc, char **argv);
int cli_cmd_info(int argc, char **argv);

/* Help texts (vem.c). */
void cli_usage(FILE *f);
/** Full help of a command ("fit", "predict", ...) on f; returns 0, or -1 for an unknown command. */
int cli_command_help(FILE *f, const char *cmd);
/** "vem: <message>" is already printed: add the command's usage line and return CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd);

/* ---- models beyond Gaussian mixtures (one file each) ---- */

/*
 * Entry points of the other models' commands: cmd_hmm.c (hidden Markov
 * models: fit hmm, decode, and predict/score/sample/info on an "hmm" model
 * file), cmd_lda.c (fit lda, topics, transform, corpus, and score/info on an
 * "lda" model), cmd_vb.c (fit vbgmm, fit blr, and predict/score/info on their
 * models). verb is argv[1]; for "fit", the model type is the first operand
 * after it. Each returns an exit status (CLI_EXIT_*).
 */
int cli_hmm_main(const char *verb, int argc, char **argv);
int cli_lda_main(const char *verb, int argc, char **argv);
int cli_vb_main(const char *verb, int argc, char **argv);


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
/* The engine's reduction hook: MPI_Allreduce(MPI_SUM) of buf in place. */
vem_status cli_mpi_allreduce(double *buf, size_t len, void *ctx);
/* The largest exit status over all ranks (a collective: every rank calls it). */
int cli_mpi_agree(int rc);
/* The sum of v over all ranks. */
double cli_mpi_sum(double v);
/* Broadcast n doubles from rank 0; 0 or an exit status. */
int cli_mpi_bcast(double *buf, size_t n);
/* Every rank's n x cols rows, concatenated in rank order on rank 0 (malloc'd; NULL
 * elsewhere); *total receives the number of rows on rank 0. */
double *cli_mpi_gather_rows(const double *rows, size_t n, size_t cols, size_t *total);

#endif /* VEM_CLI_H */
