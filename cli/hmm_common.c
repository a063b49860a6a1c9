/*
 * cli/hmm_common.c — what `vem fit hmm` and `vem fit vbhmm` and the commands on their model
 * files share (cli/hmm_common.h).
 *
 * Frames are the rows of DATA; sequences come from a lengths file (--lengths) or a
 * sequence-id column (--sequence-column), else the whole file is one sequence.
 * Categorical data is one column of symbol names (the mapping, sorted names, is stored in
 * the model) or of integer codes; Poisson and multinomial data are columns of counts
 * (integers >= 0).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hmm_common.h"

const cli_option cli_hmm_seq_options[] = {
    {"lengths", 0, 1, CLI_HMM_OPT_LENGTHS, "FILE",
     "sequence lengths, one per line, summing to the rows"},
    {"sequence-column", 0, 1, CLI_HMM_OPT_SEQCOL, "NAME",
     "rows with the same id in this column form a sequence"},
    {NULL, 0, 0, 0, NULL, NULL},
};

const cli_option cli_hmm_posterior_options[] = {
    {"posterior", 0, 0, CLI_HMM_OPT_POSTERIOR, NULL, "the K state probabilities of each row (CSV)"},
    {"proba", 0, 0, CLI_HMM_OPT_POSTERIOR, NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL},
};

/* ---------------------------------------------------------------- data */

void cli_hmm_frames_opts(const cli_data_opts *d, vem_hmm_emission em, const cli_hmm_model *model,
                         const char *seqcol, const char *lengths, vem_frames_opts *o)
{
    vem_frames_opts_init(o);
    o->csv.header = d->header;
    o->csv.delim = d->delim;
    o->csv.columns = d->columns;
    o->binary_cols = d->binary_cols;
    o->categorical = em == VEM_HMM_CATEGORICAL;
    if (model && o->categorical) {
        o->symbols = model->symbols;
        o->n_symbols = model->dim;
        o->symbol_column = model->symbol_column;
    } else if (model) {
        o->columns = model->columns;
        o->n_columns = model->dim;
    }
    o->sequence_column = seqcol;
    o->lengths = lengths;
}

/* 1 when the frames' first line is a header (names that are not just row numbers). */
static size_t header_lines(const vem_frames *in)
{
    const char *n0 = in->names ? in->names[0] : "1";
    return strspn(n0, "0123456789") != strlen(n0);
}

int cli_hmm_check_counts(const char *path, const vem_frames *in, size_t n_trials)
{
    const size_t d = in->cols, h = header_lines(in);
    char buf[32];
    for (size_t r = 0; r < in->rows; r++) {
        const double *x = in->data + r * d;
        double sum = 0.0;
        for (size_t j = 0; j < d; j++) {
            if (!(x[j] >= 0.0) || !(x[j] < 0x1p53) || x[j] != floor(x[j])) {
                cli_error("%s:%zu: column %s: %g is not a count (an integer >= 0)", path, r + 1 + h,
                          cli_column_label((const char *const *)in->names, j, buf, sizeof buf),
                          x[j]);
                return CLI_EXIT_INPUT;
            }
            sum += x[j];
        }
        if (n_trials && sum != (double)n_trials) {
            cli_error("%s:%zu: the counts sum to %.17g, not the %zu trials of the model", path,
                      r + 1 + h, sum, n_trials);
            return CLI_EXIT_INPUT;
        }
    }
    return 0;
}

/* Symbol codes beyond the model's symbols, named by their line here: the reader takes
 * codes as they are, and the model knows rows only. The line: the data row, after the
 * header (a symbol column named by the file: not an index name). */
static int check_codes(const char *path, const vem_frames *in, size_t nsym)
{
    const size_t h = header_lines(in);
    for (size_t r = 0; r < in->rows; r++) {
        const double v = in->data[r];
        if (!(v >= 0.0) || !(v < (double)nsym) || v != floor(v)) {
            cli_error("%s:%zu: symbol code %g is not an integer in [0, %zu)", path, r + 1 + h, v,
                      nsym);
            return CLI_EXIT_INPUT;
        }
    }
    return 0;
}

int cli_hmm_read(const char *path, const cli_data_opts *d, const cli_hmm_model *model,
                 const char *seqcol, const char *lengths, vem_frames *in)
{
    const vem_hmm_emission em = model->em;
    vem_frames_opts o;
    cli_hmm_frames_opts(d, em, model, seqcol, lengths, &o);
    vem_status s = vem_frames_read(path, &o, in);
    if (s != VEM_OK) {
        int rc = cli_fail(s, path);
        return s == VEM_EINVAL ? CLI_EXIT_USAGE : rc; /* options that do not fit the file */
    }
    int rc = 0;
    if (em == VEM_HMM_CATEGORICAL && in->codes)
        rc = check_codes(path, in, model->dim);
    if (rc == 0 && em != VEM_HMM_CATEGORICAL && in->cols != model->dim) {
        cli_error("%s: %zu columns, but the model has %zu features (choose them with --columns)",
                  path, in->cols, model->dim);
        rc = CLI_EXIT_INPUT;
    }
    if (rc == 0 && (em == VEM_HMM_POISSON || em == VEM_HMM_MULTINOMIAL))
        rc = cli_hmm_check_counts(path, in, model->n_trials);
    if (rc != 0)
        vem_frames_clear(in);
    return rc;
}

const vem_seqs *cli_hmm_seqs(const vem_frames *in)
{
    return in->seqs.start ? &in->seqs : NULL;
}

size_t cli_hmm_n_seq(const vem_frames *in)
{
    return in->seqs.start ? in->seqs.n_seq : 1;
}

/* ---------------------------------------------------------------- output */

void cli_hmm_print_vec(const char *label, const double *v, size_t n)
{
    printf("  %-10s", label);
    for (size_t j = 0; j < n; j++)
        printf(" %11.6g", v[j]);
    printf("\n");
}

void cli_hmm_json_counts(json_t *o, size_t n, size_t n_seq)
{
    json_object_set_new(o, "n", json_integer((json_int_t)n));
    json_object_set_new(o, "n_sequences", json_integer((json_int_t)n_seq));
}

void cli_hmm_print_symbol_column(const cli_hmm_model *model)
{
    if (model->em == VEM_HMM_CATEGORICAL && model->symbol_column)
        printf("symbol column: %s\n", model->symbol_column);
}

void cli_hmm_print_frames(size_t n, size_t n_seq)
{
    printf(", %zu frames in %zu sequence%s\n", n, n_seq, n_seq == 1 ? "" : "s");
}

/* ------------------------------------------------- commands on a model */

int cli_hmm_seq_option(const char **lengths, const char **seqcol, int id, const char *val)
{
    if (id == CLI_HMM_OPT_LENGTHS)
        *lengths = val;
    else if (id == CLI_HMM_OPT_SEQCOL)
        *seqcol = val;
    else
        return -1;
    return 0;
}

/* The options of cli_hmm_parse_args beside the operands, --json and the data options. */
static int own_option(void *ctx, int id, const char *val)
{
    cli_hmm_args *a = ctx;
    switch (id) {
    case CLI_HMM_OPT_POSTERIOR:
        a->posterior = 1;
        return 0;
    case CLI_HMM_OPT_PER_FRAME:
        a->per_frame = 1;
        return 0;
    case CLI_HMM_OPT_DECODE_ALG:
        if (strcmp(val, "viterbi") != 0 && strcmp(val, "map") != 0) {
            cli_error("--algorithm: expected viterbi or map, got '%s'", val);
            return CLI_EXIT_USAGE;
        }
        a->map = strcmp(val, "map") == 0;
        return 0;
    default:
        return cli_hmm_seq_option(&a->lengths, &a->seqcol, id, val);
    }
}

int cli_hmm_parse_args(int argc, char **argv, const char *cmd, const cli_option *const *tables,
                       cli_hmm_args *a)
{
    memset(a, 0, sizeof *a);
    int rc = cli_parse_model_args(argc, argv, cmd, tables, &a->m, own_option, a);
    if (rc != 0)
        return rc;
    if (cli_hmm_seq_conflict(a->lengths, a->seqcol, cmd))
        return cli_usage_error(cmd);
    if (cli_data_opts_check(&a->m.dopts) || cli_data_opts_frames_only(&a->m.dopts, a->m.data, cmd))
        return cli_usage_error(cmd);
    if (a->map && a->posterior) {
        cli_error("%s: --algorithm map decodes the posteriors: give it or --posterior", cmd);
        return cli_usage_error(cmd);
    }
    return 0;
}

static void free_model(const cli_hmm_kind *kind, void *m)
{
    if (kind->free)
        kind->free(m);
    else
        vem_hmm_free(m);
}

void *cli_hmm_load(const cli_hmm_kind *kind, const char *path)
{
    void *m = kind->load ? kind->load(path) : vem_hmm_load(path);
    if (!m)
        cli_fail(VEM_EFORMAT, path);
    return m;
}

int cli_hmm_open(const cli_hmm_kind *kind, const cli_hmm_args *a, void **m, vem_frames *in)
{
    *m = cli_hmm_load(kind, a->m.model);
    if (!*m)
        return CLI_EXIT_INPUT;
    const cli_hmm_model model = kind->describe(*m);
    int rc = cli_hmm_read(a->m.data, &a->m.dopts, &model, a->seqcol, a->lengths, in);
    if (rc != 0) {
        free_model(kind, *m);
        *m = NULL;
    }
    return rc;
}

/* decode's output of the posteriors or of the states of in's frames under m. */
static int decode(const cli_hmm_args *a, const cli_hmm_kind *kind, const void *m, size_t k,
                  const vem_frames *in)
{
    const vem_matrix x = vem_frames_matrix(in);
    const vem_seqs *seqs = cli_hmm_seqs(in);
    const size_t n = x.rows;
    int rc = 0;
    vem_status s;
    if (a->posterior) {
        double *p = malloc(n * k * sizeof *p);
        if (!p) {
            cli_error("out of memory");
            rc = CLI_EXIT_INPUT;
        } else if ((s = kind->proba ? kind->proba(m, &x, seqs, p)
                                    : vem_hmm_predict_proba(m, &x, seqs, p)) != VEM_OK) {
            rc = cli_fail(s, a->m.data);
        } else if (a->m.json) {
            json_t *o = cli_json_new(kind->name);
            json_object_set_new(o, "proba", cli_json_matrix(p, n, k));
            rc = cli_json_emit(o);
        } else {
            cli_print_matrix(p, n, k);
        }
        free(p);
        return rc;
    }
    size_t *z = malloc((n ? n : 1) * sizeof *z);
    double lp = 0.0;
    if (!z) {
        cli_error("out of memory");
        rc = CLI_EXIT_INPUT;
    } else if ((s = a->map          ? vem_hmm_decode_map(m, &x, seqs, z)
                    : kind->viterbi ? kind->viterbi(m, &x, seqs, z, &lp)
                                    : vem_hmm_decode(m, &x, seqs, z, &lp)) != VEM_OK) {
        rc = cli_fail(s, a->m.data);
    } else if (a->m.json) {
        json_t *o = cli_json_new(kind->name);
        json_object_set_new(o, "states", cli_json_indices(z, n));
        if (!kind->viterbi) /* a vem_hmm's */
            json_object_set_new(o, "algorithm", json_string(a->map ? "map" : "viterbi"));
        if (!a->map) /* the Viterbi path's log joint probability */
            json_object_set_new(o, "log_probability", cli_json_real(lp));
        rc = cli_json_emit(o);
    } else {
        for (size_t i = 0; i < n; i++)
            printf("%zu\n", z[i]);
    }
    free(z);
    return rc;
}

/* decode and predict (cmd). */
static int cmd_decode(int argc, char **argv, const char *cmd, const cli_hmm_kind *kind)
{
    cli_hmm_args a;
    void *m;
    vem_frames in;
    int rc = cli_hmm_parse_args(argc, argv, cmd, kind->decode_tables, &a);
    if (rc != 0 || (rc = cli_hmm_open(kind, &a, &m, &in)) != 0)
        return rc;
    rc = decode(&a, kind, m, kind->describe(m).k, &in);
    vem_frames_clear(&in);
    free_model(kind, m);
    return rc;
}

/* n draws from m printed (a: sample's arguments). */
static int sample(const cli_sample_args *a, const cli_hmm_kind *kind, const void *m)
{
    const cli_hmm_model model = kind->describe(m);
    const int cat = model.em == VEM_HMM_CATEGORICAL;
    const size_t n = a->n, d = cat ? 1 : model.dim;
    double *xs = n <= SIZE_MAX / sizeof *xs / d ? malloc(n * d * sizeof *xs) : NULL;
    size_t *z = malloc(n * sizeof *z);
    vem_rng rng;
    vem_rng_seed(&rng, a->seed);
    int rc = 0;
    vem_status s;
    const char *const *sym = model.symbols;
    if (!xs || !z) {
        cli_error("out of memory");
        rc = CLI_EXIT_INPUT;
    } else if ((s = kind->draw
                        ? kind->draw(m, n, &rng, xs, z)
                        : vem_hmm_sample_from(m, n, a->start_state, &rng, xs, z)) != VEM_OK) {
        rc = cli_fail(s, a->model);
    } else if (!cat) {
        rc = cli_sample_print(kind->name, xs, z, n, d, model.columns, "state", a->json);
    } else if (a->json) {
        /* Categorical: the symbols drawn (their codes when the model names none). */
        json_t *o = cli_json_new(kind->name), *l = json_array();
        for (size_t i = 0; l && i < n; i++)
            json_array_append_new(l, sym ? json_string(sym[(size_t)xs[i]])
                                         : json_integer((json_int_t)xs[i]));
        json_object_set_new(o, "samples", l);
        json_object_set_new(o, "states", cli_json_indices(z, n));
        rc = cli_json_emit(o);
    } else {
        printf("%s,state\n", model.symbol_column ? model.symbol_column : "symbol");
        for (size_t i = 0; i < n; i++) {
            if (sym)
                printf("%s,%zu\n", sym[(size_t)xs[i]], z[i]);
            else
                printf("%zu,%zu\n", (size_t)xs[i], z[i]);
        }
    }
    free(xs);
    free(z);
    return rc;
}

static int cmd_score(int argc, char **argv, const cli_hmm_kind *kind)
{
    cli_hmm_args a;
    void *m;
    vem_frames in;
    int rc = cli_hmm_parse_args(argc, argv, "score", kind->score_tables, &a);
    if (rc != 0 || (rc = cli_hmm_open(kind, &a, &m, &in)) != 0)
        return rc;
    const vem_matrix x = vem_frames_matrix(&in);
    rc = kind->score(&a, m, &x, cli_hmm_seqs(&in), cli_hmm_n_seq(&in));
    vem_frames_clear(&in);
    free_model(kind, m);
    return rc;
}

static int cmd_sample(int argc, char **argv, const cli_hmm_kind *kind)
{
    cli_sample_args a;
    int rc = cli_sample_parse_tables(argc, argv, kind->sample_tables, &a);
    if (rc != 0)
        return rc;
    void *m = cli_hmm_load(kind, a.model);
    if (!m)
        return CLI_EXIT_INPUT;
    rc = kind->sample_check ? kind->sample_check(m, a.model) : 0;
    if (rc == 0)
        rc = sample(&a, kind, m);
    free_model(kind, m);
    return rc;
}

static int cmd_info(int argc, char **argv, const cli_hmm_kind *kind)
{
    const char *path;
    int json;
    int rc = cli_parse_info(argc, argv, &path, &json);
    if (rc != 0)
        return rc;
    void *m = cli_hmm_load(kind, path);
    if (!m)
        return CLI_EXIT_INPUT;
    if (json) {
        json_t *o = json_object();
        if (o)
            kind->json(o, m);
        rc = cli_json_emit(o);
    } else {
        kind->print(m);
    }
    free_model(kind, m);
    return rc;
}

int cli_hmm_cmd(int argc, char **argv, const cli_hmm_kind *kind)
{
    const char *cmd = argv[1];
    if (strcmp(cmd, "score") == 0)
        return cmd_score(argc, argv, kind);
    if (strcmp(cmd, "sample") == 0)
        return cmd_sample(argc, argv, kind);
    if (strcmp(cmd, "info") == 0)
        return cmd_info(argc, argv, kind);
    return cmd_decode(argc, argv, cmd, kind); /* decode, predict */
}

/* ---------------------------------------------------------------- fits */

int cli_hmm_check_fit(const char *data, const cli_data_opts *d, cli_fit_args *f, const char *cmd)
{
    if (!data) {
        cli_error("%s: missing DATA", cmd);
        return CLI_EXIT_USAGE;
    }
    if (cli_data_opts_check(d) || cli_data_opts_frames_only(d, data, cmd) ||
        cli_fit_args_check(f, cmd))
        return CLI_EXIT_USAGE;
    return 0;
}

int cli_hmm_init_option(const char *val, vem_hmm_init *init)
{
    return vem_hmm_init_parse(val, init) == VEM_OK
               ? 0
               : cli_bad_value("--init", "kmeans or random", val);
}

int cli_hmm_seq_conflict(const char *lengths, const char *seqcol, const char *cmd)
{
    if (!lengths || !seqcol)
        return 0;
    cli_error("%s: give --lengths or --sequence-column, not both", cmd);
    return 1;
}

int cli_hmm_init_mismatch(const char *cmd, const char *path, size_t k, vem_hmm_emission em)
{
    if (cli_mpi_rank() != 0)
        return CLI_EXIT_USAGE;
    cli_error("%s: %s has K=%zu and %s emissions; --states, --emission and --covariance must "
              "agree or be left out",
              cmd, path, k, vem_hmm_emission_name(em));
    return cli_usage_error(cmd);
}

int cli_hmm_frames_open(cli_hmm_frames *fr, const char *path, const cli_data_opts *d,
                        vem_hmm_emission em, const cli_hmm_model *model, const char *seqcol,
                        const char *lengths, int stream, const vem_comm *comm)
{
    memset(fr, 0, sizeof *fr);
    vem_frames_opts fo;
    cli_hmm_frames_opts(d, em, model, seqcol, lengths, &fo);
    vem_status s;
    if (stream) {
        fo.codes = em == VEM_HMM_CATEGORICAL ? 1 : -1; /* streamed symbols are codes */
        s = vem_frames_open_source(path, &fo, comm, &fr->src, &fr->all);
    } else {
        s = vem_frames_read_share(path, &fo, comm, &fr->in, &fr->all);
    }
    if (s != VEM_OK) {
        int rc = cli_fail_agreed(s);
        return s == VEM_EINVAL ? CLI_EXIT_USAGE : rc; /* options that do not fit the file */
    }
    return 0;
}

void cli_hmm_frames_names(cli_hmm_frames *fr)
{
    if (fr->src) {
        fr->in.names = (char **)vem_source_names(fr->src);
        fr->in.cols = vem_source_cols(fr->src);
    }
}

vem_matrix cli_hmm_frames_matrix(const cli_hmm_frames *fr)
{
    static const double no_rows = 0.0;
    vem_matrix x = vem_frames_matrix(&fr->in);
    if (!x.data)
        x.data = &no_rows; /* never read: an empty share */
    return x;
}

void cli_hmm_frames_close(cli_hmm_frames *fr)
{
    if (fr->src) {
        fr->in.names = NULL; /* the source's */
        vem_source_close(fr->src);
        fr->src = NULL;
    }
    vem_frames_clear(&fr->in);
}

int cli_hmm_fit_run(const cli_fit_args *f, const char *path, cli_hmm_frames *fr,
                    const vem_matrix *x, const vem_comm *comm, cli_hmm_fit_fn fit, void *m,
                    vem_fit_result *res)
{
    /* Under --mpi: sums, each restart initialised on rank 0, the same minibatch count
     * everywhere. */
    vem_fit_opts opts = f->opts;
    opts.comm = comm;
    memset(res, 0, sizeof *res);
    vem_rng rng;
    vem_rng_seed(&rng, f->seed);
    cli_fit_running = 1;
    vem_status s = fit       ? fit(m, x, &fr->in.seqs, fr->src, &opts, &rng, res)
                   : fr->src ? vem_hmm_fit_source(m, fr->src, &opts, &rng, res)
                             : vem_hmm_fit(m, x, &fr->in.seqs, &opts, &rng, res);
    cli_fit_running = 0;
    cli_progress_end_line();
    if (cli_fit_usable(s))
        return 0;
    /* Every rank saw the same sums, so every rank failed alike: one message. */
    return cli_mpi_rank() == 0 ? cli_fail(s, path) : cli_exit_status(s);
}

int cli_hmm_fit_save(const cli_fit_args *f, const vem_fit_result *res,
                     vem_status (*save)(const void *m, const char *path, const vem_fit_result *res),
                     const void *m)
{
    const int root = cli_mpi_rank() == 0;
    int rc = 0;
    vem_status s;
    if (root)
        cli_warn_not_converged(f, res);
    if (f->output && root &&
        (s = save ? save(m, f->output, res) : vem_hmm_save(m, f->output, res)) != VEM_OK)
        rc = cli_fail(s, f->output);
    if (f->mpi)
        rc = cli_mpi_agree(rc); /* every rank exits alike */
    return rc;
}
