/*
 * src/io/csv_internal.h — the CSV/TSV tokenizer that every text-table reader
 * uses (vem_csv_read and its range and streaming forms, vem_text_table_read),
 * so that all agree on delimiters, quotes, headers, column choices and what a
 * number is. Not installed.
 */
#ifndef VEM_CSV_INTERNAL_H
#define VEM_CSV_INTERNAL_H

#include <locale.h>

#include <vem/io.h>

/* One cell of the current line; p points into the caller's line. */
typedef struct vem__csv_cell {
    const char *p; /* content: surrounding spaces and quotes removed */
    size_t len;
    size_t col;  /* 1-based byte column where the cell starts (just after the delimiter) */
    int escaped; /* quoted content holding "" pairs that stand for one quote */
} vem__csv_cell;

/*
 * The tokenizer's state. Rules (docs/formats.md): the delimiter is the one
 * of ',', tab, ';' found outside quotes in the first line (in that order of
 * preference) unless given; cells lose surrounding spaces (and tabs unless
 * tabs delimit) and one pair of double quotes, inside which "" is one quote
 * and the delimiter is text; the first line is a header when one of its
 * non-empty cells is not a number. Numbers are parsed exactly and
 * independently of the process locale.
 */
typedef struct vem__csv_tok {
    const char *path; /* for messages */
    int header;       /* -1 until the first line decides */
    char delim;       /* 0 until the first line decides */
    int tab_is_space; /* tabs are trimmed like spaces unless they delimit */
    size_t line;      /* number of the line being handled, 1-based: the caller counts */
    size_t ncols;     /* cells per row, fixed by the first line; 0 before it */
    vem__csv_cell *cells; /* the last line split */
    size_t ncells, cells_cap;
    size_t *sel; /* source column of each selected column */
    size_t nsel;
    char **names; /* nsel selected column names: header cells, or "1", "2", ... */
    char *tmp;    /* NUL-terminated copy of a cell for strtod */
    size_t tmp_cap;
    locale_t cloc, old_loc; /* the thread's "C" locale while the tokenizer is in use */
} vem__csv_tok;

/*
 * Set up tk for path with the options o (header, delim; columns is read by
 * vem__csv_first_line) and switch this thread to the "C" locale until
 * vem__csv_tok_clear. VEM_EINVAL for a bad header option or delimiter,
 * VEM_ENOMEM; tk needs no clearing then.
 */
vem_status vem__csv_tok_init(vem__csv_tok *tk, const char *path, const vem_csv_opts *o);
/* Restore the thread's locale and free what tk holds (names too: take them first). */
void vem__csv_tok_clear(vem__csv_tok *tk);

/*
 * The first non-blank line [s, e) (no '\n'; a '\r' before it removed; no
 * byte order mark) fixes the delimiter, the column count, the header, and the
 * selection of o->columns (names, or 1-based indices when no name matches)
 * with their names. named_header: a column chosen by name makes the first
 * line a header when o->header is -1. VEM_EFORMAT, VEM_EINVAL, VEM_ENOMEM.
 */
vem_status vem__csv_first_line(vem__csv_tok *tk, const vem_csv_opts *o, int named_header,
                               const char *s, const char *e);
/* Split [s, e) into tk->cells. VEM_EFORMAT "PATH:LINE:COL: unterminated quoted cell" and the like. */
vem_status vem__csv_split(vem__csv_tok *tk, const char *s, const char *e);
/* Split a data line and check that it has ncols cells ("row has N cells, expected M"). */
vem_status vem__csv_row(vem__csv_tok *tk, const char *s, const char *e);
/*
 * The number in a selected cell, parsed exactly and independently of the
 * locale, or VEM_EFORMAT saying precisely what is wrong ("PATH:LINE:COL: not a
 * number: 'abc'", empty cell, NaN or Inf, out of range); VEM_ENOMEM.
 */
vem_status vem__csv_cell_number(vem__csv_tok *tk, const vem__csv_cell *c, double *out);
/* A malloc'd copy of a cell's text with "" pairs turned into one quote; NULL on ENOMEM. */
char *vem__csv_cell_text(const vem__csv_cell *c);

/* Receives n parsed rows of cols values (row-major) at a time; VEM_OK to go on. */
typedef vem_status (*vem__csv_sink)(void *ctx, const double *rows, size_t n, size_t cols);

/*
 * Parse a CSV file as vem_csv_read does (same options, checks and messages),
 * handing the rows to sink in chunks instead of keeping them. On success
 * *rows and *cols are set and *names receives the cols column names (caller
 * frees each and the array with vem__free).
 */
vem_status vem__csv_stream(const char *path, const vem_csv_opts *o, vem__csv_sink sink, void *ctx,
                           size_t *rows, size_t *cols, char ***names);

/* vem__csv_stream on the lines of vem_csv_read_range(path, o, begin, end) (same rules and messages). */
vem_status vem__csv_stream_range(const char *path, const vem_csv_opts *o, uint64_t begin,
                                 uint64_t end, vem__csv_sink sink, void *ctx, size_t *rows,
                                 size_t *cols, char ***names);

/*
 * Rows [first, last) of a raw little-endian float64 file of cols values per row
 * (last SIZE_MAX: to the end; both clipped to the file's rows) into t, names
 * "1", "2", ...; the range may be empty. Errors as vem_source_open_binary and
 * vem_source_read.
 */
vem_status vem__binary_read_rows(const char *path, size_t cols, size_t first, size_t last,
                                 vem_table *t);

#endif /* VEM_CSV_INTERNAL_H */
