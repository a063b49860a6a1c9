/*
 * cli/hmm_common.h — what the two hidden Markov model kinds of the program share
 * (cli/hmm_common.c): `vem fit hmm` and `vem fit vbhmm` read frames and sequences alike,
 * their commands on a model file take the same arguments, and decode, predict, score,
 * sample and info run alike (cli_hmm_kind: what differs). cmd_hmm.c and cmd_vbhmm.c keep
 * what is their model's own.
 */
#ifndef VEM_CLI_HMM_COMMON_H
#define VEM_CLI_HMM_COMMON_H

#include "cli.h"

/* The option ids of the shared tables and of cli_hmm_parse_args; each kind's file numbers
 * its own options from CLI_HMM_OPT_OWN. */
enum {
    CLI_HMM_OPT_LENGTHS = CLI_OPT_OWN,
    CLI_HMM_OPT_SEQCOL,
    CLI_HMM_OPT_POSTERIOR,
    CLI_HMM_OPT_DECODE_ALG, /* decode on an hmm: --algorithm viterbi|map */
    CLI_HMM_OPT_PER_FRAME,  /* score on an hmm: --per-frame */
    CLI_HMM_OPT_OWN
};

/** How the frames of DATA form sequences (--lengths, --sequence-column): fit, decode,
 *  predict and score. */
extern const cli_option cli_hmm_seq_options[];
/** --posterior (and its alias --proba): decode and predict. */
extern const cli_option cli_hmm_posterior_options[];

/** What the shared commands need to know of a saved model. */
typedef struct cli_hmm_model {
    vem_hmm_emission em;
    size_t k;                   /**< states */
    size_t dim;                 /**< features, or symbols (categorical) */
    const char *const *columns; /**< the feature columns' names, or NULL */
    const char *const *symbols; /**< categorical: the symbols' names, or NULL */
    const char *symbol_column;  /**< categorical: the symbol column's name, or NULL */
    size_t n_trials;            /**< multinomial: each frame's total count, or 0 */
} cli_hmm_model;

/** The reader's options for DATA (d) of emission em: columns, symbols and symbol column
 *  from model (NULL: a new fit), the sequences from seqcol or lengths. */
void cli_hmm_frames_opts(const cli_data_opts *d, vem_hmm_emission em, const cli_hmm_model *model,
                         const char *seqcol, const char *lengths, vem_frames_opts *o);
/** Frames of counts: integers >= 0, summing to n_trials in every row when it is not 0;
 *  else an error naming the file's line and column. 0 or CLI_EXIT_INPUT (reported). */
int cli_hmm_check_counts(const char *path, const vem_frames *in, size_t n_trials);
/** Read DATA for model: symbol codes within its symbols, its number of features, counts
 *  for Poisson and multinomial emissions. 0 or an exit status (reported; in cleared). */
int cli_hmm_read(const char *path, const cli_data_opts *d, const cli_hmm_model *model,
                 const char *seqcol, const char *lengths, vem_frames *in);
/** The frames' sequences, or NULL (the whole file is one sequence); their number. */
const vem_seqs *cli_hmm_seqs(const vem_frames *in);
size_t cli_hmm_n_seq(const vem_frames *in);

/** "  LABEL       v0 v1 ...": one row of a model's description. */
void cli_hmm_print_vec(const char *label, const double *v, size_t n);
/** The fit's or the score's counts: "n" (frames) and "n_sequences". */
void cli_hmm_json_counts(json_t *o, size_t n, size_t n_seq);

/** `vem decode|predict|score MODEL DATA [options]` on an HMM kind. */
typedef struct cli_hmm_args {
    cli_model_args m;
    const char *lengths, *seqcol;
    int posterior, map, per_frame;
} cli_hmm_args;
/** Parse them (the ids above). 0, or CLI_EXIT_USAGE (reported, with the usage line). */
int cli_hmm_parse_args(int argc, char **argv, const char *cmd, const cli_option *const *tables,
                       cli_hmm_args *a);
/** --lengths or --sequence-column (id) into *lengths or *seqcol: 0, or -1 for another id. */
int cli_hmm_seq_option(const char **lengths, const char **seqcol, int id, const char *val);

/**
 * An HMM kind of the program: what the shared commands call on its models (m). The
 * commands work on a vem_hmm unless the kind gives its own load, free, proba, viterbi and
 * draw (the variational HMM: those of its posterior-mean HMM); only a vem_hmm decodes
 * frame by frame (decode --algorithm map, and "algorithm" in decode's JSON).
 */
typedef struct cli_hmm_kind {
    const char *name; /**< "hmm": model files and JSON */
    /** The options of decode and predict, of score and of sample. */
    const cli_option *const *decode_tables, *const *score_tables, *const *sample_tables;
    void *(*load)(const char *path); /**< a model file, or NULL (vem_errmsg) */
    void (*free)(void *m);
    cli_hmm_model (*describe)(const void *m);
    vem_status (*proba)(const void *m, const vem_matrix *x, const vem_seqs *seqs, double *out);
    vem_status (*viterbi)(const void *m, const vem_matrix *x, const vem_seqs *seqs, size_t *states,
                          double *log_prob);
    /** n frames and their states (no given first state). */
    vem_status (*draw)(const void *m, size_t n, vem_rng *rng, double *out, size_t *states);
    /** Whether m can be sampled: 0, or an exit status (reported; path names m). NULL: yes. */
    int (*sample_check)(const void *m, const char *path);
    /** score: the objective of the frames x (sequences seqs, n_seq of them), printed as
     *  a asks; 0 or an exit status (reported). */
    int (*score)(const cli_hmm_args *a, const void *m, const vem_matrix *x, const vem_seqs *seqs,
                 size_t n_seq);
    void (*json)(json_t *o, const void *m); /**< info --json: the model's keys */
    void (*print)(const void *m);           /**< info: the model described */
} cli_hmm_kind;

/** The model of the kind's file path, or NULL (reported). */
void *cli_hmm_load(const cli_hmm_kind *kind, const char *path);
/** A command's model (*m) and its frames of DATA (in), as parsed into a: 0, or an exit
 *  status (reported; nothing to free). */
int cli_hmm_open(const cli_hmm_kind *kind, const cli_hmm_args *a, void **m, vem_frames *in);
/**
 * A command on a model file of the kind, the command argv[1]: `vem decode|predict MODEL
 * DATA [options]` (the Viterbi path, each frame's most probable state or the state
 * posteriors), `vem score MODEL DATA [options]` (kind->score), `vem sample MODEL -n N
 * [options]` (draws as CSV or JSON, the symbols of a categorical model by name) or
 * `vem info MODEL [--json]`. The run function of the kind's verbs (cli_verb).
 */
int cli_hmm_cmd(int argc, char **argv, const cli_hmm_kind *kind);
/** Model files whose symbol column is named: "symbol column: NAME" (vem info). */
void cli_hmm_print_symbol_column(const cli_hmm_model *model);

/* ---- fits ---- */

/** The first checks of a fit's arguments: DATA given, the data options, the engine's.
 *  0 or CLI_EXIT_USAGE (reported). */
int cli_hmm_check_fit(const char *data, const cli_data_opts *d, cli_fit_args *f, const char *cmd);
/** --lengths and --sequence-column both given: reported, non-zero. */
int cli_hmm_seq_conflict(const char *lengths, const char *seqcol, const char *cmd);
/** --init M (kmeans or random) into *init: 0, or CLI_EXIT_USAGE (reported). */
int cli_hmm_init_option(const char *val, vem_hmm_init *init);
/** --init-model of K=k states of emission em, which --states, --emission (and the kind's
 *  own) contradict: reported (rank 0). Returns CLI_EXIT_USAGE. */
int cli_hmm_init_mismatch(const char *cmd, const char *path, size_t k, vem_hmm_emission em);

/** A fit's frames: this process's share read whole, or opened as a source (--stream). */
typedef struct cli_hmm_frames {
    vem_frames in;        /**< the frames read; with a source, its column names only */
    vem_source *src;      /**< --stream: the source, else NULL */
    vem_frames_share all; /**< the totals of every process */
} cli_hmm_frames;
/**
 * Read (or with stream open) this process's share of the frames of path for a fit of
 * emission em: the data options d, the columns and symbols of model (--init-model; NULL:
 * a new fit), the sequences from seqcol or lengths, over comm (NULL: one process). A
 * failure is agreed and said once; options that do not fit the file are usage errors.
 * Returns 0 or an exit status; fr is to be closed either way.
 */
int cli_hmm_frames_open(cli_hmm_frames *fr, const char *path, const cli_data_opts *d,
                        vem_hmm_emission em, const cli_hmm_model *model, const char *seqcol,
                        const char *lengths, int stream, const vem_comm *comm);
/** The source's column names stand for the frames' (a new model's columns). */
void cli_hmm_frames_names(cli_hmm_frames *fr);
/** The frames as a matrix; an empty share's data pointer is valid (never read). */
vem_matrix cli_hmm_frames_matrix(const cli_hmm_frames *fr);
/** Release what fr holds. */
void cli_hmm_frames_close(cli_hmm_frames *fr);

/** A kind's fit of m to x (sequences seqs) or, with src, to the source (cli_hmm_fit_run;
 *  NULL: m is a vem_hmm). */
typedef vem_status (*cli_hmm_fit_fn)(void *m, const vem_matrix *x, const vem_seqs *seqs,
                                     vem_source *src, const vem_fit_opts *o, vem_rng *rng,
                                     vem_fit_result *res);
/**
 * Fit m to the frames fr (x: cli_hmm_frames_matrix) by fit (NULL: m is a vem_hmm) with f's
 * options and seed over comm, the progress line around it: 0 when the model is usable (res
 * filled), else the exit status (said by rank 0; path names the data).
 */
int cli_hmm_fit_run(const cli_fit_args *f, const char *path, cli_hmm_frames *fr,
                    const vem_matrix *x, const vem_comm *comm, cli_hmm_fit_fn fit, void *m,
                    vem_fit_result *res);
/**
 * The start of a fit's report: the not-converged warning (rank 0), the model m written by
 * save (NULL: m is a vem_hmm; rank 0, with -o), the exit status agreed by the ranks (under
 * --mpi): 0, or the exit status. Rank 0 alone goes on to print.
 */
int cli_hmm_fit_save(const cli_fit_args *f, const vem_fit_result *res,
                     vem_status (*save)(const void *m, const char *path, const vem_fit_result *res),
                     const void *m);
/** ", N frames in S sequences" after a model's description, and the line's end. */
void cli_hmm_print_frames(size_t n, size_t n_seq);

#endif /* VEM_CLI_HMM_COMMON_H */
