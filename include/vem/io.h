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

#include <stdio.h>

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
 * Most columns a CSV or TSV line may have (2^22), counted on the first line before
 * its cells are: more is VEM_EFORMAT "FILE:1: N columns, more than the limit of
 * 4194304" (docs/reliability.md, "Limits"). Wider data: the raw float64 format.
 */
#define VEM_CSV_MAX_COLS 4194304u

/**
 * Read a CSV or TSV file of numbers. Detection: the delimiter is the one of
 * ',', '\t', ';' found in the first line (in that order of preference); the
 * first line is a header when any of its cells is not a number. Blank lines
 * at the end are ignored; "\r\n" line ends are accepted. Only the selected
 * columns are parsed as numbers; other columns may hold text.
 * Errors (t is left zeroed): VEM_EIO (missing or unreadable file),
 * VEM_EFORMAT with FILE:LINE:COL for an empty file, a header without data,
 * a non-numeric cell, NaN or Inf, a ragged row, an unknown column name or
 * index, more than VEM_CSV_MAX_COLS columns; VEM_ENOMEM.
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

/** Element types of raw binary and .npy data (docs/formats.md). */
typedef enum vem_dtype {
    VEM_DTYPE_FLOAT64 = 0, /**< little-endian IEEE double ('<f8') */
    VEM_DTYPE_FLOAT32 = 1, /**< little-endian IEEE float ('<f4') */
    VEM_DTYPE_UINT8 = 2    /**< unsigned byte ('|u1'), 0..255 */
} vem_dtype;

/** "float64", "float32", "uint8"; NULL for another value. */
VEM_API const char *vem_dtype_name(vem_dtype d);
/** The dtype of that name into *out; VEM_EINVAL for another name. */
VEM_API vem_status vem_dtype_parse(const char *name, vem_dtype *out);

/**
 * Read raw little-endian values of dtype, cols per row, row-major, no header,
 * into doubles (vem_binary_read for VEM_DTYPE_FLOAT64). Errors: VEM_EIO;
 * VEM_EFORMAT if the size is not a multiple of the value size x cols, the file
 * is empty, or a float is NaN or Inf (naming row and column); VEM_EINVAL for
 * cols 0 or an unknown dtype; VEM_ENOMEM (also for data beyond the memory limit).
 */
VEM_API vem_status vem_binary_read_dtype(const char *path, size_t cols, vem_dtype dtype,
                                         vem_table *t);

/**
 * Largest bytes of IDX data that vem_idx_read accepts per byte of a gzip file
 * (deflate's largest compression ratio): a header declaring more is refused
 * before anything is allocated.
 */
#define VEM_IDX_GZ_RATIO 1032

/**
 * Read an IDX file of unsigned bytes (MNIST's format: magic 0x00000803 for N
 * images of R x C pixels, 0x00000801 for N labels), gzip-compressed or plain
 * (detected from the content, not the name), into an N x (product of the other
 * dimensions) table of the raw values 0..255 (N x 1 for labels); columns named
 * "1", "2", ... Errors, t left zeroed: VEM_EIO (missing or unreadable file);
 * VEM_EFORMAT "FILE: what" for a bad magic, a type other than 0x08, a truncated
 * header or data, a dimension of 0, dimensions whose product overflows, more
 * values declared than a plain file holds or than VEM_IDX_GZ_RATIO times a gzip
 * file's size, bytes after the declared values, a damaged gzip stream;
 * VEM_ENOMEM (also for data beyond the memory limit, checked before allocating).
 */
VEM_API vem_status vem_idx_read(const char *path, vem_table *t);

/**
 * Read a NumPy .npy file (format 1.0, 2.0 or 3.0) holding a 2-D array, or a
 * 1-D array read as one column, of dtype '<f8', '<f4' or '|u1', in C order,
 * into a table of doubles; columns named "1", "2", ... Errors, t left zeroed:
 * VEM_EIO; VEM_EFORMAT "FILE: what" for a bad magic, version or header, another
 * dtype, fortran_order True, a shape of 0 or more than 2 dimensions, data
 * shorter or longer than the shape, a NaN or Inf (naming row and column);
 * VEM_ENOMEM (also for data beyond the memory limit, checked before allocating).
 */
VEM_API vem_status vem_npy_read(const char *path, vem_table *t);

/**
 * A data source: rows read block by block from a file instead of held in
 * memory (out-of-core fitting, vem_fit_new_source). Opaque; reads are
 * thread-safe (positioned reads). A CSV file is validated and converted in
 * one streaming pass into an unlinked temporary raw float64 file in TMPDIR
 * (or /tmp), so later passes read binary at disk speed; a raw float64 file is
 * read in place. Memory stays bounded by the read buffers, whatever the rows.
 */
struct vem_comm; /* fit.h: a distributed fit's processes */
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
/**
 * Share rank of nranks (rank < nranks) of a CSV/TSV file as a source, for a
 * process of a distributed out-of-core fit: the rows of the lines that start
 * in bytes [rank S / nranks, (rank + 1) S / nranks) of the file's S bytes,
 * as vem_csv_read_range reads them (the first line fixes the columns and
 * header for every share; messages carry the file's own line numbers). A
 * share may hold no rows. Errors as vem_source_open_csv; VEM_EINVAL for a bad
 * share. Only the share's rows go to the temporary file.
 */
VEM_API vem_source *vem_source_open_csv_share(const char *path, const vem_csv_opts *o,
                                              size_t rank, size_t nranks);
/**
 * Share rank of nranks of a raw float64 file as a source: rows
 * [rank N / nranks, (rank + 1) N / nranks) of its N rows, read in place.
 * Errors as vem_source_open_binary; VEM_EINVAL for a bad share.
 */
VEM_API vem_source *vem_source_open_binary_share(const char *path, size_t cols, size_t rank,
                                                 size_t nranks);
/**
 * Keep rows [first, last) of a source of rows (last beyond the rows: to the
 * end), e.g. a process's whole sequences before vem_source_set_sequences.
 * VEM_EINVAL for a source of sequences or documents, or first > last.
 */
VEM_API vem_status vem_source_keep_rows(vem_source *src, size_t first, size_t last);
/** Close src; NULL allowed. */
VEM_API void vem_source_close(vem_source *src);
/** Rows in the source (sequences: frames; documents: (word, count) pairs). */
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

/** What a source's units are: what the engine's E-step walks over. */
typedef enum vem_unit_kind {
    VEM_UNITS_ROWS = 0,      /**< one row each (mixtures, regressions) */
    VEM_UNITS_SEQUENCES = 1, /**< runs of rows (HMMs): vem_source_set_sequences */
    VEM_UNITS_DOCUMENTS = 2  /**< bags of words (LDA): vem_source_open_docs */
} vem_unit_kind;

/**
 * Open share rank of nranks of a corpus (UCI docword, or LDA-C when path ends
 * in ".ldac") as a source of documents, for out-of-core topic models
 * (vem_lda_fit_source). The share is vem_docs_read_share's (rank 0 of 1: the
 * whole corpus; a UCI file must then be grouped by document in increasing
 * docID order, as `vem corpus` writes it, else VEM_EFORMAT "FILE:LINE: docID N
 * out of order"), read once, a chunk of about a million (word, count) pairs
 * at a time, into two unlinked temporary files (word ids as uint32, counts
 * as float64: 12 bytes a pair) in TMPDIR (or /tmp); memory holds one chunk
 * while converting and then only the documents' offsets (8 bytes each).
 * nvocab as vem_docs_read. Errors: those of vem_docs_read_share (FILE:LINE
 * messages), VEM_EIO for the temporary files, VEM_ENOMEM. NULL on failure.
 */
VEM_API vem_source *vem_source_open_docs(const char *path, size_t nvocab, size_t rank,
                                         size_t nranks);
/**
 * This process's share of a corpus as a source of documents
 * (vem_source_open_docs with comm's rank and size), over the communicator
 * comm (NULL: one process, the whole corpus; a collective otherwise): the
 * processes agree on the outcome, take the largest vocabulary size of the
 * shares as every source's (vem_source_nvocab) and sum the documents into
 * *ndocs_all (may be NULL). The source into *out (close with
 * vem_source_close). Errors, the same status and message on every process
 * (vem_comm_agree; *out NULL): those of vem_source_open_docs, VEM_EFORMAT
 * "FILE: no documents".
 */
VEM_API vem_status vem_source_open_docs_comm(const char *path, size_t nvocab,
                                             const struct vem_comm *comm, vem_source **out,
                                             size_t *ndocs_all);
/**
 * Make the rows of src frames of n_seq sequences: sequence s is rows
 * [start[s], start[s + 1]) (n_seq + 1 offsets, start[0] = 0, increasing,
 * start[n_seq] = the source's rows; copied), for out-of-core HMMs
 * (vem_hmm_fit_source); n_seq 0 only for a source without rows (a process of
 * a distributed fit without sequences). VEM_EINVAL for no sequences or a corpus source;
 * VEM_EFORMAT for offsets that do not cover the rows or an empty sequence;
 * VEM_ENOMEM.
 */
VEM_API vem_status vem_source_set_sequences(vem_source *src, const size_t *start, size_t n_seq);
/** What src's units are (VEM_UNITS_ROWS unless made otherwise). */
VEM_API vem_unit_kind vem_source_unit_kind(const vem_source *src);
/** Units of src: rows, sequences or documents. */
VEM_API size_t vem_source_units(const vem_source *src);
/** Sequences: the n + 1 row offsets; documents: the n + 1 (word, count) offsets; rows: NULL. Borrowed. */
VEM_API const size_t *vem_source_unit_starts(const vem_source *src);
/** Documents: the vocabulary size (the given nvocab, the UCI W, or LDA-C's largest id + 1); else 0. */
VEM_API size_t vem_source_nvocab(const vem_source *src);
/** Documents: the tokens (sum of the counts); else 0. */
VEM_API double vem_source_tokens(const vem_source *src);

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
 * each place. max_rows > 0 stops after that many data rows (0: all). o may be NULL
 * (the defaults of vem_csv_opts_init).
 * VEM_EIO; VEM_EFORMAT with FILE:LINE:COL (ragged row, unknown column, no data);
 * VEM_ENOMEM.
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
 * cell is VEM_EFORMAT naming the 1-based row (vem_frames_read names FILE:LINE:COL).
 * codes has n entries. VEM_EINVAL for a NULL cell or argument; VEM_ENOMEM.
 */
VEM_API vem_status vem_symbols_encode(const char *const *cells, size_t n,
                                      const char *const *symbols, size_t nsym, double *codes,
                                      char ***out_symbols, size_t *out_n);
/** Free a list of n strings from vem_symbols_encode; NULL allowed. */
VEM_API void vem_symbols_free(char **symbols, size_t n);

/**
 * Sequence boundaries: sequence s is rows [start[s], start[s+1]); start has
 * n_seq + 1 entries, start[0] = 0, strictly increasing (no empty sequence).
 * Owned when filled by the readers below; release with vem_seqs_clear.
 */
typedef struct vem_seqs {
    size_t *start;
    size_t n_seq;
} vem_seqs;

/** Release what s owns and zero it; safe on a zeroed struct. */
VEM_API void vem_seqs_clear(vem_seqs *s);
/**
 * Boundaries from n_seq lengths (each >= 1), into s (owned). VEM_EINVAL for a
 * zero length, VEM_ENOMEM.
 */
VEM_API vem_status vem_seqs_from_lengths(const size_t *lengths, size_t n_seq, vem_seqs *s);
/**
 * Read a lengths file: one positive integer per line (blank lines and lines
 * starting with '#' ignored). The lengths must add up to n_rows (0: no check).
 * VEM_EIO; VEM_EFORMAT with FILE:LINE for a bad line or a wrong total.
 */
VEM_API vem_status vem_seqs_read_lengths(const char *path, size_t n_rows, vem_seqs *s);
/**
 * Boundaries from a sequence-id per row: a sequence is a run of equal ids.
 * VEM_EFORMAT naming the row if an id comes back after another id's run
 * (sequences must be contiguous). source names the data in messages (may be NULL).
 */
VEM_API vem_status vem_seqs_from_ids(const char *const *ids, size_t n, const char *source,
                                     vem_seqs *s);

/**
 * Options for vem_frames_read; initialise with vem_frames_opts_init. Pointers
 * are borrowed for the call.
 */
typedef struct vem_frames_opts {
    /** Delimiter and header as for vem_csv_read; csv.columns chooses the
     *  frame columns (NULL: the defaults below). */
    vem_csv_opts csv;
    /** > 0: the file is raw little-endian float64, this many values per row
     *  (no column choice, no sequence column). */
    size_t binary_cols;
    /** 0: numeric frames (Gaussian emissions); 1: one column of symbol names
     *  or integer codes (categorical emissions). */
    int categorical;
    /** Numeric: the default frame columns (e.g. a model's feature names), n_columns of them. */
    const char *const *columns;
    size_t n_columns;
    /** Categorical: the default symbol column (e.g. a model's). */
    const char *symbol_column;
    /** Categorical: given symbols (a model's), n_symbols of them; the code of a
     *  cell is its position in this list. NULL: new symbols from the data. */
    const char *const *symbols;
    size_t n_symbols;
    /** Categorical: -1 decide (default), 0 the cells are names, 1 the cells are integer codes. */
    int codes;
    /** A lengths file (vem_seqs_read_lengths), or NULL. */
    const char *lengths;
    /** A column of sequence ids (a sequence is a run of equal ids), or NULL. */
    const char *sequence_column;
    /** Data rows [first, last) only (0-based, header not counted; defaults 0
     *  and SIZE_MAX: all), for a process's share of a distributed fit. */
    size_t first, last;
} vem_frames_opts;

/** The defaults: o->csv from vem_csv_opts_init, binary_cols 0, numeric frames, no model
 *  columns, symbols or symbol column, codes -1 (decide), no lengths file or sequence
 *  column (one sequence), first 0, last SIZE_MAX. */
VEM_API void vem_frames_opts_init(vem_frames_opts *o);

/** The frames of a data file and their sequences; owns its memory. Release with vem_frames_clear. */
typedef struct vem_frames {
    double *data;   /**< rows x cols, row-major: features, or (categorical, cols = 1) codes */
    size_t rows, cols;
    char **names;   /**< cols column names (the header's, or "1", "2", ...); categorical
                         CSV: names[0] is the symbol column */
    char **symbols; /**< categorical names read without given symbols: the n_symbols distinct
                         names sorted bytewise (strcmp); NULL otherwise */
    size_t n_symbols;
    int codes;      /**< categorical: 1 if the cells were integer codes (data holds them as read) */
    vem_seqs seqs;  /**< from the lengths file or the sequence column; n_seq = 0 (start NULL)
                         when there is neither, or for a row range */
} vem_frames;

/** Release what f owns and zero it; safe on a zeroed struct. */
VEM_API void vem_frames_clear(vem_frames *f);
/** View of f's frames (rows x cols). */
VEM_API vem_matrix vem_frames_matrix(const vem_frames *f);

/**
 * Read the frames of a sequence model (an HMM) from a CSV/TSV file, or a raw
 * float64 file (o->binary_cols), with their sequences.
 *
 * Frame columns: o->csv.columns; else, categorical, o->symbol_column; else,
 * numeric, o->columns; else every column but o->sequence_column (NULL: every
 * column). Numbers are parsed as vem_csv_read parses them (exactly, whatever
 * the locale; the same FILE:LINE:COL messages).
 *
 * Categorical: one column. A cell is an integer code when every cell of the
 * rows read is a string of ASCII digits, o->codes is not 0 and, with given
 * symbols, some cell is not one of them; the codes are then the numbers read
 * (checking them against the symbol count is the model's business).
 * Otherwise the cells are names: with o->symbols, each is looked up there
 * (positions), else the distinct names sorted become f->symbols (the codes are
 * positions in that list).
 *
 * Sequences: o->lengths (the lengths must add up to the rows) or the runs of
 * o->sequence_column (the rows of a sequence contiguous), else f->seqs is
 * empty and the file is one sequence.
 *
 * Row range: with first > 0 or last < SIZE_MAX only those data rows are
 * read (the file's own line numbers in messages; rows before first are
 * counted, not parsed); the range may hold no rows (f->rows = 0, VEM_OK;
 * names still set), and no sequences are returned: the caller, which chose
 * the range on sequence boundaries, knows them (o->lengths must be NULL;
 * o->sequence_column only leaves its column out of the frames).
 *
 * Errors (f is left zeroed): VEM_EINVAL for conflicting options: lengths and
 * a sequence column, a sequence column in a raw file, lengths with a row
 * range, last < first, categorical raw data of more than one column,
 * several categorical columns ("choose the symbol column"), no column left
 * besides the sequence column. VEM_EIO (missing or unreadable file, or
 * lengths file). VEM_EFORMAT with FILE:LINE:COL for an empty file, a header
 * without data, a ragged row, a bad number, an unknown column, a name that is
 * not one of the given symbols ("is not one of the model's M symbols"), a
 * cell that is not an integer code when o->codes = 1; with FILE:LINE for a
 * bad lengths file or lengths that do not add up to the rows; with FILE and
 * the row for a sequence id that comes back after another's run. VEM_ENOMEM.
 * Raw float64 errors as vem_binary_read.
 */
VEM_API vem_status vem_frames_read(const char *path, const vem_frames_opts *o, vem_frames *f);

/**
 * The "model" field of a vem model file ("gmm", ...), copied into buf (size
 * bytes). VEM_EIO, VEM_EFORMAT if the file is not a vem model file.
 */
VEM_API vem_status vem_model_file_kind(const char *path, char *buf, size_t size);

/* ---- shares of a distributed fit (docs/mpi.md) ---- */

/* The communicator (include/vem/fit.h). */

/**
 * Read this process's share of the rows of a data file for a distributed fit,
 * over the communicator comm (every process calls it: a collective; comm NULL
 * reads the whole file as one process). Rank r of P reads, of a raw float64
 * file (binary_cols > 0 values per row, as vem_binary_read), rows
 * [r N / P, (r + 1) N / P) by their offsets; of a CSV/TSV file of S bytes (o as
 * for vem_csv_read; binary_cols 0), the lines that start in bytes
 * [r S / P, (r + 1) S / P), as vem_csv_read_range. A share may be empty
 * (t->rows = 0; t->cols and t->names still set). *rows_all (may be NULL) gets
 * the rows of all the processes.
 *
 * Errors, the same status and vem_errmsg() on every process (vem_comm_agree:
 * those of the lowest-ranked process that met the failure; print it on one): VEM_EIO (missing or unreadable file); VEM_EFORMAT with
 * FILE:LINE:COL for a bad cell in any process's share (the file's own line
 * numbers), or naming row and column for a non-finite raw value; VEM_EINVAL;
 * VEM_ENOMEM; a failed collective's status. t is left zeroed on failure.
 */
VEM_API vem_status vem_csv_read_share(const char *path, const vem_csv_opts *o, size_t binary_cols,
                                      const struct vem_comm *comm, vem_table *t, size_t *rows_all);

/** What the processes of a distributed read of frames hold together (vem_frames_read_share). */
typedef struct vem_frames_share {
    size_t rows;  /**< frames of all the processes (the file's data rows) */
    size_t n_seq; /**< sequences of the file (1 when the file is one sequence) */
    size_t dim;   /**< numeric: columns; categorical: the symbol count of every process:
                       the given symbols', the union's, or the largest code + 1 */
} vem_frames_share;

/**
 * Read this process's share of the frames of a sequence model (an HMM) for a
 * distributed fit, over the communicator comm (every process calls it: a
 * collective). Options and file formats as vem_frames_read (o->first and
 * o->last are ignored). Process 0 decides the sequences: o->lengths, the runs
 * of o->sequence_column, or neither: the file is one sequence. Process r of P
 * then reads the whole sequences [r S / P, (r + 1) S / P) of the S; the last
 * process with sequences reads to the end of the file (rows beyond the
 * sequences are refused). One sequence: process 0 reads it all.
 *
 * f->seqs are the share's sequences, rows of f (at least one: a process
 * without sequences gets one empty sequence, as vem_hmm_fit takes part with
 * under a communicator; otherwise none is empty). Categorical frames get the
 * same codes on every process: with o->symbols, positions in them; when every
 * process read integer codes, those codes, checked against o->n_symbols (with
 * o->symbols) or all->dim = the largest code of all + 1; otherwise names (a
 * process that read codes reads its share again as names) mapped to the
 * sorted distinct names of all the processes, returned in f->symbols (the
 * same list on every process). *all gets the totals.
 *
 * comm NULL: one process, which reads the whole file.
 *
 * Errors, the same status and vem_errmsg() on every process (vem_comm_agree:
 * those of the lowest-ranked process that met the failure; print it on one): VEM_EINVAL for the conflicting options of
 * vem_frames_read; VEM_EIO; VEM_EFORMAT with FILE:LINE:COL for a bad cell
 * in any share or the file's first line, with FILE:LINE for a bad lengths
 * file, "FILE: the N lengths add up to R, but the data has M rows" (FILE the
 * lengths file), "FILE: the sequence column has R rows, the data M", "FILE: no
 * data rows", "FILE: row R: symbol code C is not an integer in [0, M)" (R the
 * file's 1-based data row), or a sequence id that comes back after another's
 * run; VEM_ENOMEM; a failed collective's status. f is left zeroed on failure.
 */
VEM_API vem_status vem_frames_read_share(const char *path, const vem_frames_opts *o,
                                         const struct vem_comm *comm, vem_frames *f,
                                         vem_frames_share *all);

/**
 * The frames of a sequence model as a source, for an out-of-core HMM fit
 * (vem_hmm_fit_source), over the communicator comm (NULL: one process; a
 * collective otherwise). Options and sequences as vem_frames_read_share:
 * process 0 decides the sequences (o->lengths; the runs of
 * o->sequence_column, whose ids process 0 then holds in memory while it
 * reads them; or one sequence) and process r keeps the whole sequences
 * [r S / P, (r + 1) S / P) of the S (a process without any keeps no rows and
 * takes part with none). A CSV file is converted whole, streaming, into each
 * process's temporary file (vem_source_open_csv: disk, not memory); a raw
 * float64 file (o->binary_cols) is read in place. Categorical frames are one
 * column of integer codes (names need vem_frames_read: VEM_EUNSUP when
 * o->codes is 0; a name cell is VEM_EFORMAT "not a number" naming its
 * FILE:LINE:COL); all->dim is then the given symbol count, or the largest code
 * of all the processes + 1 (one reading pass). The source into *out (close
 * with vem_source_close), the totals into *all. Errors, the same status and
 * message on every process (vem_comm_agree; *out NULL): those of
 * vem_frames_read_share and vem_source_open_csv.
 */
VEM_API vem_status vem_frames_open_source(const char *path, const vem_frames_opts *o,
                                          const struct vem_comm *comm, vem_source **out,
                                          vem_frames_share *all);

/**
 * Atomic outputs (docs/reliability.md). Every file the library writes (model
 * files, a model's .npy, corpora, vocabularies) is written to a temporary
 * beside its target, TARGET.vem-tmp.PID.XXXXXX (PID the writer's process id,
 * XXXXXX six letters or digits), flushed, synced with fsync and renamed over
 * the target, and the directory is synced: at every instant the target is the
 * whole old file or the whole new one. A failed write removes its temporary
 * and leaves the old file as it was. Opening a temporary for TARGET first
 * removes the stale ones of TARGET that a kill -9 left (PID not a live process
 * and older than this process's first output).
 *
 * vem_output_cleanup removes every temporary (file or uncommitted corpus
 * directory) that a writer of this process holds at the moment of the call.
 * It is async-signal-safe (atomic loads, unlink, rmdir) and meant for a
 * handler of SIGINT, SIGTERM or SIGHUP that then ends the process (the write
 * it interrupted must not go on: its commit would fail with VEM_EIO). At most
 * 64 temporaries with names under 4096 bytes are tracked at once.
 */
VEM_API void vem_output_cleanup(void);

/**
 * A caller's own file written the same way (the CLI's --trace): vem_output_open
 * creates the temporary beside path, registers it for vem_output_cleanup and
 * returns it open for writing, *tmp receiving its name (NULL on failure: VEM_EIO,
 * VEM_ENOMEM, see vem_errmsg()). vem_output_commit flushes, syncs and closes fp
 * and renames it over path, or, when failed is non-zero or a step fails, removes
 * it (VEM_EIO "PATH: reason") and leaves path as it was. It frees tmp either way.
 */
VEM_API FILE *vem_output_open(const char *path, char **tmp);
VEM_API vem_status vem_output_commit(FILE *fp, char *tmp, const char *path, int failed);

VEM_END_DECLS
#endif /* VEM_IO_H */
