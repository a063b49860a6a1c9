/*
 * include/vem/io.h — reading data tables (numbers, or text cells and the symbols
 * they name) and what every model file shares. Each model's own save and load
 * are declared in its header (gmm.h, hmm.h, lda.h, vbgmm.h, blr.h).
 *
 * Errors name the place: vem_errmsg() reads "FILE:LINE:COL: what is wrong"
 * (1-based line and column, column counted in bytes) for bad cells, and
 * "FILE: what" for file-level problems. Text is parsed independently of the
 * process locale. Formats: docs/formats.md.
 */
#ifndef VEM_IO_H
#define VEM_IO_H

#include <vem/common.h>
#include <vem/data.h>

VEM_BEGIN_DECLS

/** A dense table read from a file; owns its memory. Release with vem_table_clear. */
typedef struct vem_table {
    double *data;  /**< rows x cols, row-major */
    size_t rows, cols;
    char **names;  /**< cols column names (header cells, or "1", "2", ... without header) */
} vem_table;

/** Release what t owns and zero it; safe on a zeroed struct. */
VEM_API void vem_table_clear(vem_table *t);
/** View of t's data. */
VEM_API vem_matrix vem_table_matrix(const vem_table *t);

/** Options for vem_csv_read; initialise with vem_csv_opts_init. */
typedef struct vem_csv_opts {
    int header;          /**< -1 detect (default), 0 no header, 1 first line is a header */
    char delim;          /**< 0 detect among ',', '\t', ';' (default), or the delimiter */
    const char *columns; /**< NULL for all, or a comma-separated list of names or 1-based indices */
} vem_csv_opts;

VEM_API void vem_csv_opts_init(vem_csv_opts *o);

/**
 * Read a CSV or TSV file of numbers. Detection: the delimiter is the one of
 * ',', '\t', ';' found in the first line (in that order of preference); the
 * first line is a header when any of its cells is not a number. Blank lines
 * at the end are ignored; "\r\n" line ends are accepted. Only the selected
 * columns are parsed as numbers; other columns may hold text.
 * Errors (t is left zeroed): VEM_EIO (missing or unreadable file),
 * VEM_EFORMAT with FILE:LINE:COL for an empty file, a header without data,
 * a non-numeric cell, NaN or Inf, a ragged row, an unknown column name or
 * index; VEM_ENOMEM.
 */
VEM_API vem_status vem_csv_read(const char *path, const vem_csv_opts *o, vem_table *t);

/**
 * Read the rows of the lines of a CSV/TSV file that start in bytes
 * [begin, end), for splitting a file among processes: the ranges
 * [i S / P, (i + 1) S / P) for i = 0..P-1 (S the file size) give every row
 * to exactly one process, split on line boundaries. Delimiter, header and
 * columns come from the file's first line, as vem_csv_read detects them;
 * error messages carry the file's own line numbers (a process whose range
 * starts later counts the lines before it). A range may hold no rows
 * (t->rows = 0, VEM_OK). Errors as vem_csv_read, except that a blank line is
 * only detected within one range.
 */
VEM_API vem_status vem_csv_read_range(const char *path, const vem_csv_opts *o, uint64_t begin,
                                      uint64_t end, vem_table *t);

/**
 * Read raw little-endian float64 values, cols per row, row-major, no header.
 * Errors: VEM_EIO; VEM_EFORMAT if the size is not a multiple of 8 * cols,
 * the file is empty, or a value is NaN or Inf (naming row and column);
 * VEM_EINVAL if cols is 0.
 */
VEM_API vem_status vem_binary_read(const char *path, size_t cols, vem_table *t);

/**
 * A data source: rows read block by block from a file instead of held in
 * memory (out-of-core fitting, vem_fit_new_source). Opaque; reads are
 * thread-safe (positioned reads). A CSV file is validated and converted in
 * one streaming pass into an unlinked temporary raw float64 file in TMPDIR
 * (or /tmp), so later passes read binary at disk speed; a raw float64 file is
 * read in place. Memory stays bounded by the read buffers, whatever the rows.
 */
typedef struct vem_source vem_source;

/**
 * Open a CSV/TSV file as a source (options and errors as vem_csv_read; a bad
 * cell is reported with FILE:LINE:COL during the conversion pass). VEM_EIO also
 * if the temporary file cannot be written. NULL on failure (see vem_errmsg()).
 */
VEM_API vem_source *vem_source_open_csv(const char *path, const vem_csv_opts *o);
/**
 * Open a raw little-endian float64 file of cols values per row as a source.
 * Errors as vem_binary_read, except that non-finite values are found when the
 * rows are read (the reading pass fails with VEM_EFORMAT naming row and column).
 */
VEM_API vem_source *vem_source_open_binary(const char *path, size_t cols);
/** Close src; NULL allowed. */
VEM_API void vem_source_close(vem_source *src);
/** Rows in the source. */
VEM_API size_t vem_source_rows(const vem_source *src);
/** Columns per row. */
VEM_API size_t vem_source_cols(const vem_source *src);
/** Column names (cols strings; from the CSV header, or "1", "2", ...). Borrowed. */
VEM_API const char *const *vem_source_names(const vem_source *src);
/**
 * Read rows [row0, row0 + n) into out (n x cols, row-major). Thread-safe.
 * VEM_EINVAL if the range is outside the source; VEM_EIO; VEM_EFORMAT for a
 * NaN or Inf ("PATH: row R column C: not finite", 1-based).
 */
VEM_API vem_status vem_source_read(const vem_source *src, size_t row0, size_t n, double *out);

/** Cells of some columns of a CSV/TSV file read as text. Owns its memory. */
typedef struct vem_text_table {
    char **cells; /**< rows x cols strings, row-major */
    size_t rows, cols;
    char **names; /**< cols names (header cells, or "1", "2", ... without header) */
} vem_text_table;

/** Release what t owns and zero it; safe on a zeroed struct. */
VEM_API void vem_text_table_clear(vem_text_table *t);
/**
 * Read the columns o->columns (NULL: all) of a CSV or TSV file as text, with
 * vem_csv_read's delimiter and header detection (a header is assumed when a
 * column is chosen by name). Surrounding spaces and one pair of double
 * quotes are removed. A column chosen more than once ("1,1") is copied into
 * each place. max_rows > 0 stops after that many data rows.
 * VEM_EIO; VEM_EFORMAT with FILE:LINE:COL (ragged row, unknown column, no data); VEM_ENOMEM.
 */
VEM_API vem_status vem_text_table_read(const char *path, const vem_csv_opts *o, size_t max_rows,
                                       vem_text_table *t);
/**
 * Read data rows [first, last) of a CSV or TSV file as text (last = SIZE_MAX:
 * to the end), for splitting a file among processes by rows: columns,
 * delimiter and header come from the file's first line as in
 * vem_text_table_read, and messages carry the file's own line numbers. The
 * rows before first are counted, not parsed; the range may hold no rows
 * (t->rows = 0, VEM_OK; t->names still set). VEM_EINVAL if last < first;
 * otherwise errors as vem_text_table_read, found within the range only.
 */
VEM_API vem_status vem_text_table_read_rows(const char *path, const vem_csv_opts *o, size_t first,
                                            size_t last, vem_text_table *t);

/**
 * Symbol names to codes. With symbols == NULL, the distinct cells sorted
 * bytewise (strcmp) become the symbols, returned in *out_symbols (*out_n of
 * them; free with vem_symbols_free). With a given symbol list (nsym names),
 * each cell is looked up there (codes are positions in that list); an unknown
 * cell is VEM_EFORMAT naming the 1-based row. codes has n entries.
 */
VEM_API vem_status vem_symbols_encode(const char *const *cells, size_t n,
                                      const char *const *symbols, size_t nsym, double *codes,
                                      char ***out_symbols, size_t *out_n);
/** Free a list of n strings from vem_symbols_encode; NULL allowed. */
VEM_API void vem_symbols_free(char **symbols, size_t n);

/**
 * The "model" field of a vem model file ("gmm", ...), copied into buf (size
 * bytes). VEM_EIO, VEM_EFORMAT if the file is not a vem model file.
 */
VEM_API vem_status vem_model_file_kind(const char *path, char *buf, size_t size);

VEM_END_DECLS
#endif /* VEM_IO_H */
