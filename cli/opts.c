/*
 * cli/opts.c — messages, option parsing, number validation and data loading
 * shared by the subcommands.
 *
 * The option parser is our own rather than getopt_long: it is small, behaves
 * the same on every libc (options may follow operands, as in
 * `vem fit gmm data.csv -k 2`), and names the command in its messages.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* ---- messages ---- */

/* Print prefix and the message, its control bytes escaped (vem_escape_text: messages
 * quote arguments and input), and a newline. */
static void print_message(const char *prefix, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
static void print_message(const char *prefix, const char *fmt, va_list ap)
{
    char raw[1024], safe[4096];
    cli_progress_break();
    vsnprintf(raw, sizeof raw, fmt, ap);
    vem_escape_text(safe, sizeof safe, raw);
    fprintf(stderr, "%s%s\n", prefix, safe);
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    print_message("vem: ", fmt, ap);
    va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
    if (cli_mpi_rank() != 0)
        return; /* every rank would say the same */
    va_list ap;
    va_start(ap, fmt);
    print_message("vem: warning: ", fmt, ap);
    va_end(ap);
}

int cli_exit_status(vem_status s)
{
    return s == VEM_ENUMERIC ? CLI_EXIT_NUMERIC : CLI_EXIT_INPUT;
}

int cli_fail(vem_status s, const char *what)
{
    const char *msg = vem_errmsg();
    if (msg && *msg)
        cli_error("%s", msg);
    else
        cli_error("%s: %s", what, vem_strerror(s));
    return cli_exit_status(s);
}

int cli_fail_agreed(vem_status s)
{
    const char *msg = vem_errmsg();
    if (cli_mpi_rank() == 0 && msg && *msg)
        cli_error("%s", msg);
    return cli_exit_status(s);
}

/* ---- option parsing ---- */

const cli_option cli_common_options[] = {
    {"help", 'h', 0, CLI_OPT_HELP, NULL, "this help"},
    {"json", 0, 0, CLI_OPT_JSON, NULL, "print the result as one JSON object (docs/schema.json)"},
    {NULL, 0, 0, 0, NULL, NULL},
};

const cli_option cli_data_options[] = {
    {"columns", 0, 1, CLI_OPT_COLUMNS, "LIST",
     "columns by header name or 1-based index, comma-separated"},
    {"header", 0, 0, CLI_OPT_HEADER, NULL, "the first line is a header (default: detected)"},
    {"no-header", 0, 0, CLI_OPT_NO_HEADER, NULL, "the first line is data"},
    {"delimiter", 0, 1, CLI_OPT_DELIMITER, "C",
     "cell delimiter: one character or 'tab' (default: detected)"},
    {"binary-cols", 0, 1, CLI_OPT_BINARY_COLS, "D",
     "DATA is raw little-endian values (--dtype), D per row"},
    {"dtype", 0, 1, CLI_OPT_DTYPE, "T",
     "the raw values of --binary-cols: float64 (default), float32 or uint8"},
    {"format", 0, 1, CLI_OPT_FORMAT, "F",
     "csv, idx or npy (default: by the name: .npy, .idx or -ubyte[.gz], else csv)"},
    {"scale", 0, 1, CLI_OPT_SCALE, "S",
     "divide every value read by S (255: bytes into [0, 1]; default 1)"},
    {NULL, 0, 0, 0, NULL, NULL},
};

const cli_option cli_frames_data_options[] = {
    {"columns", 0, 1, CLI_OPT_COLUMNS, "LIST",
     "columns by header name or 1-based index, comma-separated"},
    {"header", 0, 0, CLI_OPT_HEADER, NULL, "the first line is a header (default: detected)"},
    {"no-header", 0, 0, CLI_OPT_NO_HEADER, NULL, "the first line is data"},
    {"delimiter", 0, 1, CLI_OPT_DELIMITER, "C",
     "cell delimiter: one character or 'tab' (default: detected)"},
    {"binary-cols", 0, 1, CLI_OPT_BINARY_COLS, "D",
     "DATA is raw little-endian float64, D values per row"},
    {NULL, 0, 0, 0, NULL, NULL},
};

const cli_option cli_proba_options[] = {
    {"proba", 0, 0, CLI_OPT_PROBA, NULL, "the K component probabilities of each row (CSV)"},
    {NULL, 0, 0, 0, NULL, NULL},
};

void cli_parser_init(cli_parser *p, int argc, char **argv, int first,
                     const cli_option *const *tables, unsigned exclude, const char *cmd)
{
    p->argc = argc;
    p->argv = argv;
    p->next = first;
    p->operands_only = 0;
    p->tables = tables;
    p->exclude = exclude;
    p->cmd = cmd;
}

static int excluded(const cli_parser *p, const cli_option *o)
{
    return o->id >= CLI_OPT_ENGINE && o->id < CLI_OPT_ENGINE_END &&
           (p->exclude & CLI_ENGINE_BIT(o->id));
}

int cli_option_is(const cli_option *o, const char *name, size_t len, char short_name)
{
    return name ? strlen(o->name) == len && memcmp(o->name, name, len) == 0
                : o->short_name && o->short_name == short_name;
}

/* The accepted option of this long name (len bytes) or short letter; *off: it exists in
 * the command's tables but is excluded for its kind. */
static const cli_option *find(const cli_parser *p, const char *name, size_t len, char c, int *off)
{
    *off = 0;
    for (const cli_option *const *t = p->tables; *t; t++)
        for (const cli_option *o = *t; o->name; o++) {
            if (!cli_option_is(o, name, len, c))
                continue;
            if (excluded(p, o)) {
                *off = 1;
                continue;
            }
            return o;
        }
    return NULL;
}

/* Levenshtein distance of a[0..n) and b, capped at 9. */
static size_t edit_distance(const char *a, size_t n, const char *b)
{
    size_t m = strlen(b), row[64];
    if (n >= 63 || m >= 63)
        return 9;
    for (size_t j = 0; j <= m; j++)
        row[j] = j;
    for (size_t i = 1; i <= n; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= m; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            best = up + 1 < best ? up + 1 : best;
            best = row[j - 1] + 1 < best ? row[j - 1] + 1 : best;
            row[j] = best;
            diag = up;
        }
    }
    return row[m] < 9 ? row[m] : 9;
}

/* Report an option this command does not take: one of another command, or a typo. */
static int report_unknown(const cli_parser *p, const char *arg, const char *name, size_t len,
                          char c, int off)
{
    const char *where = NULL;
    if (off || cli_option_known(name, len, c, p->cmd, &where)) {
        /* "score of lda models"; "fit lda" names its kind already. */
        char to[96];
        if (!strchr(p->cmd, ' ') && cli_current_kind)
            snprintf(to, sizeof to, "%s of %s models", p->cmd, cli_current_kind);
        else
            snprintf(to, sizeof to, "%s", p->cmd);
        if (where && !off)
            cli_error("%s: option '%s' does not apply to %s (it is an option of %s)", p->cmd,
                      arg, to, where);
        else
            cli_error("%s: option '%s' does not apply to %s", p->cmd, arg, to);
        return CLI_BAD;
    }
    const char *best = NULL;
    size_t bd = 9;
    for (const cli_option *const *t = p->tables; name && *t; t++)
        for (const cli_option *o = *t; o->name; o++) {
            size_t d = edit_distance(name, len, o->name);
            if (!excluded(p, o) && d < bd) {
                bd = d;
                best = o->name;
            }
        }
    if (best && bd <= (len < 6 ? 1 : 2))
        cli_error("%s: unknown option '%s' (did you mean --%s?)", p->cmd, arg, best);
    else
        cli_error("%s: unknown option '%s'", p->cmd, arg);
    return CLI_BAD;
}

int cli_next(cli_parser *p, const char **value)
{
    *value = NULL;
    if (p->next >= p->argc)
        return CLI_END;
    const char *a = p->argv[p->next++];
    /* "-" alone is an operand (conventionally stdin), as is everything after "--". */
    if (p->operands_only || a[0] != '-' || a[1] == '\0') {
        *value = a;
        return CLI_POSITIONAL;
    }
    if (strcmp(a, "--") == 0) {
        p->operands_only = 1;
        return cli_next(p, value);
    }
    const cli_option *o;
    const char *attached = NULL;
    int off;
    if (a[1] == '-') {
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        o = find(p, name, len, 0, &off);
        if (!o) {
            char shown[80];
            snprintf(shown, sizeof shown, "--%.*s", (int)(len < 60 ? len : 60), name);
            return report_unknown(p, shown, name, len, 0, off);
        }
        if (eq) {
            if (!o->has_arg) {
                cli_error("%s: option '--%s' takes no value", p->cmd, o->name);
                return CLI_BAD;
            }
            attached = eq + 1;
        }
    } else {
        o = find(p, NULL, 0, a[1], &off);
        if (!o) {
            char shown[3] = {'-', a[1], '\0'};
            return report_unknown(p, shown, NULL, 0, a[1], off);
        }
        if (a[2] != '\0') {
            if (!o->has_arg) {
                cli_error("%s: unknown option '%s'", p->cmd, a);
                return CLI_BAD;
            }
            attached = a[2] == '=' ? a + 3 : a + 2; /* "-k2" and "-k=2" */
        }
    }
    if (o->has_arg) {
        if (attached) {
            *value = attached;
        } else if (p->next < p->argc) {
            *value = p->argv[p->next++];
        } else if (a[1] == '-') {
            cli_error("%s: option '--%s' needs a value", p->cmd, o->name);
            return CLI_BAD;
        } else {
            cli_error("%s: option '-%c' needs a value", p->cmd, o->short_name);
            return CLI_BAD;
        }
    }
    return o->id;
}

/* ---- numbers ---- */

/* Decimal digits only: strtoull would accept spaces, a sign (and negate "-1"), or hex. */
static int all_digits(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

int cli_parse_u64(const char *opt, const char *s, uint64_t *out)
{
    if (!all_digits(s)) {
        cli_error("%s: not a non-negative integer: '%s'", opt, s);
        return CLI_EXIT_USAGE;
    }
    errno = 0;
    unsigned long long v = strtoull(s, NULL, 10);
    int too_large = errno == ERANGE;
#if ULLONG_MAX > UINT64_MAX
    too_large = too_large || v > UINT64_MAX;
#endif
    if (too_large) {
        cli_error("%s: too large: '%s'", opt, s);
        return CLI_EXIT_USAGE;
    }
    *out = (uint64_t)v;
    return 0;
}

int cli_parse_size(const char *opt, const char *s, size_t min, size_t max, size_t *out)
{
    uint64_t v;
    if (cli_parse_u64(opt, s, &v))
        return CLI_EXIT_USAGE;
    if (v < min) {
        cli_error("%s must be >= %zu, got %s", opt, min, s);
        return CLI_EXIT_USAGE;
    }
    if (v > max) {
        cli_error("%s must be <= %zu, got %s", opt, max, s);
        return CLI_EXIT_USAGE;
    }
    *out = (size_t)v;
    return 0;
}

int cli_parse_double(const char *opt, const char *s, double min, int strict, double *out)
{
    char *end;
    /* strtod skips leading space and reads "nan"/"inf": refuse all of those. */
    if (!*s || *s == ' ' || *s == '\t' || *s == '\n') {
        cli_error("%s: not a number: '%s'", opt, s);
        return CLI_EXIT_USAGE;
    }
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0') {
        cli_error("%s: not a number: '%s'", opt, s);
        return CLI_EXIT_USAGE;
    }
    if (!isfinite(v)) {
        cli_error("%s: not a finite number: '%s'", opt, s);
        return CLI_EXIT_USAGE;
    }
    if (strict ? !(v > min) : !(v >= min)) {
        cli_error("%s must be %s %g, got %s", opt, strict ? ">" : ">=", min, s);
        return CLI_EXIT_USAGE;
    }
    *out = v;
    return 0;
}

/* ---- data options ---- */

void cli_data_opts_init(cli_data_opts *d)
{
    d->columns = NULL;
    d->header = -1;
    d->delim = 0;
    d->binary_cols = 0;
    d->csv_option_set = 0;
    d->dtype = VEM_DTYPE_FLOAT64;
    d->dtype_set = 0;
    d->format = CLI_FORMAT_AUTO;
    d->scale = 1;
}

static int parse_delimiter(const char *s, char *out)
{
    if (strcmp(s, "\\t") == 0 || strcmp(s, "tab") == 0) {
        *out = '\t';
        return 0;
    }
    if (strcmp(s, "comma") == 0) {
        *out = ',';
        return 0;
    }
    if (strcmp(s, "semicolon") == 0) {
        *out = ';';
        return 0;
    }
    /* Digits, signs, dots, quotes and line ends belong to the cells themselves. */
    if (s[0] && !s[1] && !strchr("0123456789+-.eE\"\r\n", s[0])) {
        *out = s[0];
        return 0;
    }
    cli_error("--delimiter: expected one character (or 'tab'), got '%s'", s);
    return CLI_EXIT_USAGE;
}

int cli_data_option(cli_data_opts *d, int id, const char *val)
{
    switch (id) {
    case CLI_OPT_COLUMNS:
        if (!*val) {
            cli_error("--columns: empty list");
            return CLI_EXIT_USAGE;
        }
        d->columns = val;
        d->csv_option_set = 1;
        return 0;
    case CLI_OPT_HEADER:
        d->header = 1;
        d->csv_option_set = 1;
        return 0;
    case CLI_OPT_NO_HEADER:
        d->header = 0;
        d->csv_option_set = 1;
        return 0;
    case CLI_OPT_DELIMITER:
        d->csv_option_set = 1;
        return parse_delimiter(val, &d->delim);
    case CLI_OPT_BINARY_COLS:
        return cli_parse_size("--binary-cols", val, 1, SIZE_MAX / 8, &d->binary_cols);
    case CLI_OPT_DTYPE:
        if (vem_dtype_parse(val, &d->dtype) != VEM_OK) {
            cli_error("--dtype: expected float64, float32 or uint8, got '%s'", val);
            return CLI_EXIT_USAGE;
        }
        d->dtype_set = 1;
        return 0;
    case CLI_OPT_FORMAT:
        if (strcmp(val, "csv") == 0)
            d->format = CLI_FORMAT_CSV;
        else if (strcmp(val, "idx") == 0)
            d->format = CLI_FORMAT_IDX;
        else if (strcmp(val, "npy") == 0)
            d->format = CLI_FORMAT_NPY;
        else {
            cli_error("--format: expected csv, idx or npy, got '%s' (raw values: --binary-cols)",
                      val);
            return CLI_EXIT_USAGE;
        }
        return 0;
    case CLI_OPT_SCALE:
        return cli_parse_double("--scale", val, 0, 1, &d->scale);
    default:
        return -1;
    }
}

int cli_data_opts_check(const cli_data_opts *d)
{
    if (d->binary_cols && d->csv_option_set) {
        cli_error("--binary-cols reads raw columns: it cannot be combined with "
                  "--columns, --header, --no-header or --delimiter");
        return CLI_EXIT_USAGE;
    }
    if (d->binary_cols && d->format != CLI_FORMAT_AUTO) {
        cli_error("--binary-cols reads raw values: it cannot be combined with --format");
        return CLI_EXIT_USAGE;
    }
    if (d->dtype_set && !d->binary_cols) {
        cli_error("--dtype is the type of raw values: it needs --binary-cols (IDX and .npy "
                  "files say their type)");
        return CLI_EXIT_USAGE;
    }
    if (d->csv_option_set && (d->format == CLI_FORMAT_IDX || d->format == CLI_FORMAT_NPY)) {
        cli_error("--columns, --header, --no-header and --delimiter are for CSV files, not "
                  "--format %s", d->format == CLI_FORMAT_IDX ? "idx" : "npy");
        return CLI_EXIT_USAGE;
    }
    return 0;
}

/* s ends with suffix. */
static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

cli_data_format cli_data_format_of(const char *path, const cli_data_opts *d)
{
    if (d->binary_cols)
        return CLI_FORMAT_BINARY;
    if (d->format != CLI_FORMAT_AUTO)
        return d->format;
    if (ends_with(path, ".npy"))
        return CLI_FORMAT_NPY;
    static const char *const idx[] = {".idx", "-ubyte", ".idx.gz", "-ubyte.gz"};
    for (size_t i = 0; i < sizeof idx / sizeof *idx; i++)
        if (ends_with(path, idx[i]))
            return CLI_FORMAT_IDX;
    return CLI_FORMAT_CSV;
}

int cli_data_opts_frames_only(const cli_data_opts *d, const char *path, const char *cmd)
{
    cli_data_format f = path ? cli_data_format_of(path, d) : d->format;
    if (d->dtype_set || d->scale != 1 || f == CLI_FORMAT_IDX || f == CLI_FORMAT_NPY) {
        cli_error("%s reads CSV/TSV or raw float64 frames: --dtype, --scale, IDX and .npy "
                  "data are for the row models",
                  cmd);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

/* Read an IDX, .npy or raw file whole (not CSV). */
static vem_status read_whole(const char *path, const cli_data_opts *d, cli_data_format f,
                             vem_table *t)
{
    return f == CLI_FORMAT_IDX   ? vem_idx_read(path, t)
           : f == CLI_FORMAT_NPY ? vem_npy_read(path, t)
                                 : vem_binary_read_dtype(path, d->binary_cols, d->dtype, t);
}

/* Divide t's values by --scale. */
static void apply_scale(const cli_data_opts *d, vem_table *t)
{
    if (d->scale == 1 || !t->data)
        return;
    const size_t n = t->rows * t->cols;
    for (size_t i = 0; i < n; i++)
        t->data[i] /= d->scale;
}

/* ---- reading data ---- */

int cli_table_has_names(const vem_table *t)
{
    if (!t->names)
        return 0;
    for (size_t j = 0; j < t->cols; j++)
        if (!t->names[j] || !all_digits(t->names[j]))
            return 1;
    return 0;
}

/*
 * The model's column names as a --columns list, or NULL when they cannot be
 * written as one: a name holding a comma, or made of digits (it would be read
 * as an index). Caller frees.
 */
static char *columns_spec(const char *const *cols, size_t d)
{
    size_t len = 1;
    for (size_t j = 0; j < d; j++) {
        if (!cols[j] || !*cols[j] || strchr(cols[j], ',') || all_digits(cols[j]))
            return NULL;
        len += strlen(cols[j]) + 1;
    }
    char *s = malloc(len);
    if (!s)
        return NULL;
    char *p = s;
    for (size_t j = 0; j < d; j++) {
        size_t n = strlen(cols[j]);
        if (j)
            *p++ = ',';
        memcpy(p, cols[j], n);
        p += n;
    }
    *p = '\0';
    return s;
}

static vem_status read_csv(const char *path, const cli_data_opts *d, const char *columns,
                           int header, vem_table *t)
{
    vem_csv_opts o;
    vem_csv_opts_init(&o);
    o.header = header;
    o.delim = d->delim;
    o.columns = columns;
    return vem_csv_read(path, &o, t);
}

/* The CSV options of d; without --columns, the model's columns by name (with a
 * header, when they can be listed): *spec is that list (caller frees) or NULL. */
static void csv_opts_of(const cli_data_opts *d, const char *const *model_cols, size_t model_d,
                        vem_csv_opts *o, char **spec)
{
    *spec = !d->columns && model_cols && d->header != 0 ? columns_spec(model_cols, model_d)
                                                        : NULL;
    vem_csv_opts_init(o);
    o->header = d->header;
    o->delim = d->delim;
    o->columns = d->columns ? d->columns : *spec;
}

int cli_read_share(const char *path, const cli_data_opts *d, const char *const *model_cols,
                   size_t model_d, vem_table *t, size_t *rows_all)
{
    const cli_data_format f = cli_data_format_of(path, d);
    vem_status s;
    if ((f == CLI_FORMAT_IDX || f == CLI_FORMAT_NPY) && d->csv_option_set) {
        if (cli_mpi_rank() == 0) /* the same on every process: said once */
            cli_error("%s: --columns, --header, --no-header and --delimiter are for CSV files; "
                      "this one is read as %s (--format csv to read it as CSV)",
                      path, f == CLI_FORMAT_IDX ? "IDX" : ".npy");
        return CLI_EXIT_USAGE;
    }
    if (f == CLI_FORMAT_IDX || f == CLI_FORMAT_NPY ||
        (f == CLI_FORMAT_BINARY && d->dtype != VEM_DTYPE_FLOAT64)) {
        /* Every process reads the file and keeps its rows [r N / P, (r + 1) N / P). */
        const vem_comm *comm = cli_mpi_comm();
        s = vem_comm_agree(comm, read_whole(path, d, f, t));
        if (s != VEM_OK) {
            vem_table_clear(t);
            return cli_fail_agreed(s);
        }
        const size_t r = comm ? (size_t)comm->rank : 0, p = comm ? (size_t)comm->size : 1;
        const size_t n = t->rows, lo = n * r / p, hi = n * (r + 1) / p;
        memmove(t->data, t->data + lo * t->cols, (hi - lo) * t->cols * sizeof *t->data);
        t->rows = hi - lo;
        if (rows_all)
            *rows_all = n;
    } else {
        char *spec;
        vem_csv_opts o;
        csv_opts_of(d, d->binary_cols ? NULL : model_cols, model_d, &o, &spec);
        s = vem_csv_read_share(path, &o, d->binary_cols, cli_mpi_comm(), t, rows_all);
        free(spec);
        if (s != VEM_OK)
            return cli_fail_agreed(s);
    }
    apply_scale(d, t);
    if (model_d && t->cols != model_d) { /* alike on every process: said once */
        if (cli_mpi_rank() == 0)
            cli_error("%s: %zu columns, but the model has %zu features", path, t->cols, model_d);
        vem_table_clear(t);
        return CLI_EXIT_INPUT;
    }
    return 0;
}

int cli_open_source(const char *path, const cli_data_opts *d, const char *const *model_cols,
                    size_t model_d, const vem_comm *comm, vem_source **out)
{
    *out = NULL;
    vem_source *src;
    const size_t rank = comm ? (size_t)comm->rank : 0, size = comm ? (size_t)comm->size : 1;
    const cli_data_format f = cli_data_format_of(path, d);
    if (f == CLI_FORMAT_IDX || f == CLI_FORMAT_NPY || d->dtype != VEM_DTYPE_FLOAT64 ||
        d->scale != 1) {
        /* The same on every process: said once. */
        if (cli_mpi_rank() == 0)
            cli_error("%s: --stream reads CSV/TSV or raw float64 files without --scale; "
                      "read %s data in memory (without --stream)",
                      path, f == CLI_FORMAT_IDX ? "IDX" : f == CLI_FORMAT_NPY ? ".npy"
                                               : d->scale != 1 ? "scaled" : vem_dtype_name(d->dtype));
        return CLI_EXIT_USAGE;
    }
    if (d->binary_cols) {
        src = vem_source_open_binary_share(path, d->binary_cols, rank, size);
    } else {
        char *spec;
        vem_csv_opts o;
        csv_opts_of(d, model_cols, model_d, &o, &spec);
        src = vem_source_open_csv_share(path, &o, rank, size);
        free(spec);
    }
    vem_status s = vem_comm_agree(comm, src ? VEM_OK : vem_errmsg()[0] ? VEM_EFORMAT : VEM_EIO);
    if (s != VEM_OK) {
        vem_source_close(src);
        return cli_fail_agreed(s);
    }
    if (model_d && vem_source_cols(src) != model_d) { /* alike on every process: said once */
        if (cli_mpi_rank() == 0)
            cli_error("%s: %zu columns, but the model has %zu features", path,
                      vem_source_cols(src), model_d);
        vem_source_close(src);
        return CLI_EXIT_INPUT;
    }
    *out = src;
    return 0;
}

int cli_read_data(const char *path, const cli_data_opts *d, const char *const *model_cols,
                  size_t model_d, vem_table *t)
{
    vem_status s;
    memset(t, 0, sizeof *t);
    const cli_data_format f = cli_data_format_of(path, d);
    if (f != CLI_FORMAT_CSV && d->csv_option_set) {
        cli_error("%s: --columns, --header, --no-header and --delimiter are for CSV files; "
                  "this one is read as %s (--format csv to read it as CSV)",
                  path, f == CLI_FORMAT_IDX ? "IDX" : ".npy");
        return CLI_EXIT_USAGE;
    }
    if (f != CLI_FORMAT_CSV) {
        s = read_whole(path, d, f, t);
        if (s != VEM_OK)
            return cli_fail(s, path);
    } else {
        char *spec = NULL;
        if (!d->columns && model_cols && d->header != 0)
            spec = columns_spec(model_cols, model_d);
        if (spec) {
            /*
             * Select the model's columns by name. If the file has no header that
             * fails; a file of exactly the model's columns without a header is
             * then read whole. Otherwise the first error is the one to report.
             */
            s = read_csv(path, d, spec, d->header, t);
            if (s != VEM_OK) {
                char first[512];
                snprintf(first, sizeof first, "%s", vem_errmsg());
                int ok = s == VEM_EFORMAT && d->header == -1 &&
                         read_csv(path, d, NULL, 0, t) == VEM_OK && t->cols == model_d;
                if (!ok) {
                    vem_table_clear(t);
                    free(spec);
                    if (*first)
                        cli_error("%s", first);
                    else
                        cli_error("%s: %s", path, vem_strerror(s));
                    return cli_exit_status(s);
                }
            }
            free(spec);
        } else {
            s = read_csv(path, d, d->columns, d->header, t);
            if (s != VEM_OK)
                return cli_fail(s, path);
        }
    }
    if (t->rows == 0) {
        vem_table_clear(t);
        cli_error("%s: no data rows", path);
        return CLI_EXIT_INPUT;
    }
    apply_scale(d, t);
    if (model_d && t->cols != model_d) {
        cli_error("%s: %zu column%s, but the model has %zu feature%s%s", path, t->cols,
                  t->cols == 1 ? "" : "s", model_d, model_d == 1 ? "" : "s",
                  d->columns ? "" : " (choose them with --columns)");
        vem_table_clear(t);
        return CLI_EXIT_INPUT;
    }
    return 0;
}

vem_gmm *cli_load_gmm(const char *path)
{
    char kind[64];
    vem_status s = vem_model_file_kind(path, kind, sizeof kind);
    if (s != VEM_OK) {
        cli_fail(s, path);
        return NULL;
    }
    if (strcmp(kind, "gmm") != 0) {
        cli_error("%s: a '%s' model; this command handles Gaussian mixtures ('gmm')", path, kind);
        return NULL;
    }
    vem_gmm *g = vem_gmm_load(path);
    if (!g)
        cli_fail(VEM_EFORMAT, path);
    return g;
}

const char *cli_cov_mclust(vem_cov c)
{
    const char *name = vem_cov_mclust_name(c);
    return name ? name : "?";
}

int cli_memory_limit_from_env(void)
{
    const char *s = getenv("VEM_MEMORY_LIMIT");
    if (!s || !*s)
        return 0;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    double unit = 1;
    switch (*end) {
    case 'k': case 'K': unit = 1e3; end++; break;
    case 'm': case 'M': unit = 1e6; end++; break;
    case 'g': case 'G': unit = 1e9; end++; break;
    case 't': case 'T': unit = 1e12; end++; break;
    default: break;
    }
    if (errno || end == s || *end || !(v * unit >= 1) || v * unit > 1.8e19) {
        cli_error("VEM_MEMORY_LIMIT: expected a size in bytes such as 4G or 512M, got '%s'",
                  s);
        return CLI_EXIT_USAGE;
    }
    vem_set_memory_limit((size_t)(v * unit));
    return 0;
}

/* ---- lists of K (fit gmm -k, fit hmm --states) ---- */

static int is_digits(const char *s)
{
    return *s && strspn(s, "0123456789") == strlen(s);
}

/* Append k to ks (nk of cap) unless it is there already. */
static int add_k(const char *opt, size_t k, size_t *ks, size_t cap, size_t *nk)
{
    for (size_t i = 0; i < *nk; i++)
        if (ks[i] == k)
            return 0; /* repeated: one fit is enough */
    if (*nk == cap) {
        cli_error("%s: more than %zu values", opt, cap);
        return CLI_EXIT_USAGE;
    }
    ks[(*nk)++] = k;
    return 0;
}

/* One number of a list, with the messages the user should see. */
static int parse_one_k(const char *opt, const char *what, const char *s, const char *whole,
                       size_t max_k, size_t *k)
{
    if (!is_digits(s)) {
        cli_error("%s: expected a number of %s, a range A-B or a list A,B,C; got '%s'", opt,
                  what, whole);
        return CLI_EXIT_USAGE;
    }
    return cli_parse_size("K", s, 1, max_k, k);
}

int cli_parse_k_list(const char *opt, const char *what, const char *spec, size_t max_k,
                     size_t *ks, size_t cap, size_t *nk)
{
    char *copy = strdup(spec);
    if (!copy) {
        cli_error("out of memory");
        return CLI_EXIT_INPUT;
    }
    *nk = 0;
    int rc = 0;
    char *item = copy;
    for (;;) {
        char *comma = strchr(item, ',');
        if (comma)
            *comma = '\0';
        char *dash = strchr(item, '-');
        size_t lo, hi;
        if (dash) {
            *dash = '\0';
            rc = parse_one_k(opt, what, item, spec, max_k, &lo);
            if (rc == 0)
                rc = parse_one_k(opt, what, dash + 1, spec, max_k, &hi);
            if (rc == 0 && hi < lo) {
                cli_error("%s: empty range '%zu-%zu'", opt, lo, hi);
                rc = CLI_EXIT_USAGE;
            }
            if (rc == 0 && hi - lo >= cap) {
                cli_error("%s: more than %zu values", opt, cap);
                rc = CLI_EXIT_USAGE;
            }
            for (size_t k = lo; rc == 0 && k <= hi; k++)
                rc = add_k(opt, k, ks, cap, nk);
        } else {
            rc = parse_one_k(opt, what, item, spec, max_k, &lo);
            if (rc == 0)
                rc = add_k(opt, lo, ks, cap, nk);
        }
        if (rc != 0 || !comma)
            break;
        item = comma + 1;
    }
    free(copy);
    return rc;
}
