/*
 * src/io/seqio.c — what sequence models read besides numbers: text columns of
 * a CSV/TSV file (symbol names, sequence ids), lengths files, and the
 * symbol <-> code mapping of categorical emissions (include/vem/hmm.h).
 *
 * The text reader splits lines with vem_csv_read's own tokenizer
 * (src/io/csv_internal.h): the same delimiter detection, quoting, trimming,
 * header detection (numbers parsed independently of the locale), column
 * choice and messages; in addition the first line is a header when a column
 * is chosen by name.
 */
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vem/fit.h>
#include <vem/hmm.h>
#include <vem/io.h>

#include "core/comm_internal.h"
#include "internal.h"
#include "io/csv_internal.h"
#include "io/source_internal.h"

/* ------------------------------------------------------------- sequences */

void vem_seqs_clear(vem_seqs *s)
{
    if (!s)
        return;
    vem__free(s->start);
    s->start = NULL;
    s->n_seq = 0;
}

vem_status vem_seqs_from_lengths(const size_t *lengths, size_t n_seq, vem_seqs *s)
{
    memset(s, 0, sizeof *s);
    if (n_seq == 0)
        return VEM_FAIL(VEM_EINVAL, "no sequences");
    size_t *st = vem__calloc(n_seq + 1, sizeof *st);
    if (!st)
        return VEM_FAIL(VEM_ENOMEM, "sequence boundaries");
    for (size_t i = 0; i < n_seq; i++) {
        if (lengths[i] == 0 || st[i] > SIZE_MAX - lengths[i]) {
            vem__free(st);
            return VEM_FAIL(VEM_EINVAL, "sequence %zu has length %zu", i + 1, lengths[i]);
        }
        st[i + 1] = st[i] + lengths[i];
    }
    s->start = st;
    s->n_seq = n_seq;
    return VEM_OK;
}

/* The whole file into a NUL-terminated buffer. */
static vem_status slurp(const char *path, char **text, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return VEM_FAIL(VEM_EIO, "%s: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = vem__malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n - 1, fp);
        if (n < cap - 1)
            break;
        char *g = cap <= SIZE_MAX / 2 ? vem__realloc(buf, cap * 2) : NULL;
        if (!g) {
            vem__free(buf);
            buf = NULL;
        } else {
            buf = g;
            cap *= 2;
        }
    }
    if (!buf) {
        fclose(fp);
        return VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
    }
    if (ferror(fp)) {
        int e = errno;
        fclose(fp);
        vem__free(buf);
        return VEM_FAIL(VEM_EIO, "%s: %s", path, strerror(e ? e : EIO));
    }
    fclose(fp);
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return VEM_OK;
}

vem_status vem_seqs_read_lengths(const char *path, size_t n_rows, vem_seqs *s)
{
    memset(s, 0, sizeof *s);
    char *text = NULL;
    size_t len = 0;
    vem_status st = slurp(path, &text, &len);
    if (st != VEM_OK)
        return st;
    size_t cap = 64, n = 0, total = 0, line = 0;
    size_t *lens = vem__calloc(cap, sizeof *lens);
    char *p = text;
    while (lens && *p) {
        char *eol = strchr(p, '\n');
        char *next = eol ? eol + 1 : p + strlen(p);
        if (eol)
            *eol = '\0';
        line++;
        char *q = p;
        while (*q == ' ' || *q == '\t' || *q == '\r')
            q++;
        if (*q && *q != '#') {
            char *end = q;
            while (*end >= '0' && *end <= '9')
                end++;
            char *rest = end;
            while (*rest == ' ' || *rest == '\t' || *rest == '\r')
                rest++;
            errno = 0;
            unsigned long long v = end > q ? strtoull(q, NULL, 10) : 0;
            if (end == q || *rest || v == 0 || errno == ERANGE || v > SIZE_MAX - total) {
                st = VEM_FAIL(VEM_EFORMAT, "%s:%zu: expected a positive sequence length, got "
                              "'%.40s'", path, line, q);
                goto done;
            }
            if (n == cap) {
                size_t *g = vem__realloc(lens, 2 * cap * sizeof *lens);
                if (!g) {
                    vem__free(lens);
                    lens = NULL;
                    break;
                }
                lens = g;
                cap *= 2;
            }
            lens[n++] = (size_t)v;
            total += (size_t)v;
        }
        p = next;
    }
    if (!lens) {
        st = VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    if (n == 0) {
        st = VEM_FAIL(VEM_EFORMAT, "%s: no sequence lengths", path);
        goto done;
    }
    if (n_rows && total != n_rows) {
        st = VEM_FAIL(VEM_EFORMAT, "%s: the %zu lengths add up to %zu, but the data has %zu rows",
                      path, n, total, n_rows);
        goto done;
    }
    st = vem_seqs_from_lengths(lens, n, s);
done:
    vem__free(lens);
    vem__free(text);
    return st;
}

vem_status vem_seqs_from_ids(const char *const *ids, size_t n, const char *source, vem_seqs *s)
{
    memset(s, 0, sizeof *s);
    if (n == 0)
        return VEM_FAIL(VEM_EINVAL, "no rows");
    /* Runs first, then a sorted copy of the run ids finds an id used by two runs. */
    size_t runs = 1;
    for (size_t i = 1; i < n; i++)
        runs += strcmp(ids[i], ids[i - 1]) != 0;
    size_t *st = vem__calloc(runs + 1, sizeof *st);
    size_t *order = vem__calloc(runs, sizeof *order);
    if (!st || !order) {
        vem__free(st);
        vem__free(order);
        return VEM_FAIL(VEM_ENOMEM, "sequence boundaries");
    }
    size_t r = 0;
    for (size_t i = 1; i < n; i++)
        if (strcmp(ids[i], ids[i - 1]) != 0)
            st[++r] = i;
    st[runs] = n;
    /* Insertion of run starts into order sorted by id (merge sort would be faster; ids are few). */
    for (size_t i = 0; i < runs; i++)
        order[i] = st[i];
    /* Shell sort on the ids of run starts. */
    for (size_t gap = runs / 2; gap > 0; gap /= 2)
        for (size_t i = gap; i < runs; i++) {
            size_t v = order[i], j = i;
            while (j >= gap && strcmp(ids[order[j - gap]], ids[v]) > 0) {
                order[j] = order[j - gap];
                j -= gap;
            }
            order[j] = v;
        }
    for (size_t i = 1; i < runs; i++) {
        if (strcmp(ids[order[i]], ids[order[i - 1]]) == 0) {
            size_t later = order[i] > order[i - 1] ? order[i] : order[i - 1];
            vem__free(st);
            vem__free(order);
            return VEM_FAIL(VEM_EFORMAT,
                            "%s: row %zu: sequence id '%.40s' comes back after other ids; the "
                            "rows of a sequence must be contiguous",
                            source ? source : "data", later + 1, ids[later]);
        }
    }
    vem__free(order);
    s->start = st;
    s->n_seq = runs;
    return VEM_OK;
}

/* --------------------------------------------------------------- symbols */

void vem_symbols_free(char **symbols, size_t n)
{
    if (!symbols)
        return;
    for (size_t i = 0; i < n; i++)
        vem__free(symbols[i]);
    vem__free(symbols);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Index of key in the sorted list of n strings, or n. */
static size_t find_sorted(const char *const *sorted, size_t n, const char *key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(sorted[mid], key);
        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return n;
}

/* Given symbols looked up by name: a sorted copy and each one's place in the given list. */
typedef struct sym_index {
    const char **sorted;
    size_t *pos;
    size_t n;
} sym_index;

static void sym_index_clear(sym_index *x)
{
    vem__free(x->sorted);
    vem__free(x->pos);
    memset(x, 0, sizeof *x);
}

static vem_status sym_index_init(sym_index *x, const char *const *symbols, size_t n)
{
    x->n = n;
    x->pos = vem__calloc(n ? n : 1, sizeof *x->pos);
    x->sorted = vem__calloc(n ? n : 1, sizeof *x->sorted);
    if (!x->pos || !x->sorted) {
        sym_index_clear(x);
        return VEM_FAIL(VEM_ENOMEM, "symbols");
    }
    for (size_t i = 0; i < n; i++)
        x->sorted[i] = symbols[i];
    qsort(x->sorted, n, sizeof *x->sorted, cmp_str);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            if (symbols[j] == x->sorted[i])
                x->pos[i] = j;
    return VEM_OK;
}

/* The place of key in the given list, or x->n if it is not there. */
static size_t sym_index_find(const sym_index *x, const char *key)
{
    size_t p = find_sorted(x->sorted, x->n, key);
    return p == x->n ? p : x->pos[p];
}

vem_status vem_symbols_encode(const char *const *cells, size_t n, const char *const *symbols,
                              size_t nsym, double *codes, char ***out_symbols, size_t *out_n)
{
    if (out_symbols)
        *out_symbols = NULL;
    if (out_n)
        *out_n = 0;
    if (symbols) {
        /* Given symbols keep their order: look up through a sorted index. */
        sym_index x;
        vem_status st = sym_index_init(&x, symbols, nsym);
        for (size_t r = 0; st == VEM_OK && r < n; r++) {
            size_t p = sym_index_find(&x, cells[r]);
            if (p == nsym)
                st = VEM_FAIL(VEM_EFORMAT, "row %zu: symbol '%.40s' is not one of the model's "
                              "%zu symbols", r + 1, cells[r], nsym);
            codes[r] = (double)p;
        }
        sym_index_clear(&x);
        return st;
    }
    const char **sorted = vem__calloc(n ? n : 1, sizeof *sorted);
    if (!sorted)
        return VEM_FAIL(VEM_ENOMEM, "symbols");
    for (size_t r = 0; r < n; r++)
        sorted[r] = cells[r];
    qsort(sorted, n, sizeof *sorted, cmp_str);
    size_t m = 0;
    for (size_t r = 0; r < n; r++)
        if (m == 0 || strcmp(sorted[r], sorted[m - 1]) != 0)
            sorted[m++] = sorted[r];
    char **names = vem__calloc(m ? m : 1, sizeof *names);
    if (!names) {
        vem__free(sorted);
        return VEM_FAIL(VEM_ENOMEM, "symbols");
    }
    for (size_t i = 0; i < m; i++) {
        names[i] = vem__strdup(sorted[i]);
        if (!names[i]) {
            vem_symbols_free(names, i);
            vem__free(sorted);
            return VEM_FAIL(VEM_ENOMEM, "symbols");
        }
    }
    for (size_t r = 0; r < n; r++)
        codes[r] = (double)find_sorted((const char *const *)names, m, cells[r]);
    vem__free(sorted);
    if (out_symbols)
        *out_symbols = names;
    else
        vem_symbols_free(names, m);
    if (out_n)
        *out_n = m;
    return VEM_OK;
}

/* ------------------------------------------------------------ row passes */

void vem_text_table_clear(vem_text_table *t)
{
    if (!t)
        return;
    if (t->cells)
        for (size_t i = 0; i < t->rows * t->cols; i++)
            vem__free(t->cells[i]);
    vem__free(t->cells);
    if (t->names)
        for (size_t j = 0; j < t->cols; j++)
            vem__free(t->names[j]);
    vem__free(t->names);
    memset(t, 0, sizeof *t);
}

/* Map path read-only (a share reader touches only the pages up to its last row,
 * and keeps no copy). *text is NULL for an empty file. */
static vem_status map_file(const char *path, char **text, size_t *len)
{
    *text = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return VEM_FAIL(VEM_EIO, "%s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return VEM_FAIL(VEM_EIO, "%s: %s", path, strerror(e));
    }
    if (sb.st_size > 0) {
        void *m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            int e = errno;
            close(fd);
            return VEM_FAIL(VEM_EIO, "%s: %s", path, strerror(e));
        }
        *text = m;
        *len = (size_t)sb.st_size;
    }
    close(fd);
    return VEM_OK;
}

static void release_text(char *text, size_t len, int mapped)
{
    if (mapped && text)
        munmap(text, len);
    else if (!mapped)
        vem__free(text);
}

/* A line of spaces and tabs only (or nothing). */
static int is_blank(const char *s, const char *e)
{
    while (s < e && (*s == ' ' || *s == '\t'))
        s++;
    return s == e;
}

/* Grow *p (a run of rows of row_bytes each, room for *cap rows) to hold need rows. */
static int grow_rows(void **p, size_t *cap, size_t need, size_t row_bytes)
{
    if (need <= *cap)
        return 1;
    size_t nc = *cap ? 2 * *cap : 1024, bytes;
    void *g = NULL;
    if (vem__mul_ok(nc, row_bytes ? row_bytes : 1, &bytes))
        g = vem__realloc(*p, bytes);
    if (!g)
        return 0;
    *p = g;
    *cap = nc;
    return 1;
}

/*
 * One pass over the data rows [first, last) of a CSV file (last SIZE_MAX: to
 * the end); max_rows > 0 stops after that many. ranged: the file is mapped
 * (a share reader touches only the pages up to its last row) and zero rows
 * is not an error (a process's share may be empty). Rows before first are
 * counted, not split, so line numbers in messages are the file's own. Lines,
 * cells, header and columns go through csv.c's tokenizer, as vem_csv_read
 * reads them: head() handles the first line (vem__csv_first_line), row()
 * each data row in the range once tk holds its cells.
 */
typedef struct row_pass row_pass;
struct row_pass {
    vem__csv_tok tk;
    const char *path;
    size_t first, last, max_rows;
    int ranged;
    vem_status (*head)(row_pass *rp, const char *s, const char *e);
    vem_status (*row)(row_pass *rp);
    size_t rows; /* rows handed to row() */
};

/* Run rp over its file with o's header and delimiter. The caller clears rp->tk, also on failure. */
static vem_status row_pass_run(row_pass *rp, const vem_csv_opts *o)
{
    vem_status st = vem__csv_tok_init(&rp->tk, rp->path, o);
    if (st != VEM_OK)
        return st;
    char *text = NULL;
    size_t len = 0, blank = 0, drow = 0; /* drow: data rows seen, read or skipped */
    st = rp->ranged ? map_file(rp->path, &text, &len) : slurp(rp->path, &text, &len);
    if (st != VEM_OK)
        return st;
    const char *p = text ? text : "", *end = p + len;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3; /* UTF-8 byte order mark, as spreadsheets write */
    while (p < end && st == VEM_OK) {
        const char *e = memchr(p, '\n', (size_t)(end - p));
        const char *next = e ? e + 1 : end;
        if (!e)
            e = end;
        if (e > p && e[-1] == '\r')
            e--;
        const char *line = p;
        p = next;
        rp->tk.line++;
        if (is_blank(line, e)) { /* fine at the end of the file, an error once data follows */
            if (!blank)
                blank = rp->tk.line;
            continue;
        }
        if (blank) {
            st = VEM_FAIL(VEM_EFORMAT,
                          "%s:%zu:1: blank line (only trailing blank lines are allowed)",
                          rp->path, blank);
            break;
        }
        if (!rp->tk.ncols) {
            st = rp->head(rp, line, e);
            if (st != VEM_OK || rp->tk.header)
                continue;
        }
        if (drow >= rp->last)
            break;
        if (drow++ < rp->first)
            continue;
        st = vem__csv_row(&rp->tk, line, e);
        if (st == VEM_OK)
            st = rp->row(rp);
        if (st == VEM_OK && ++rp->rows == rp->max_rows)
            break;
    }
    if (st == VEM_OK && !rp->tk.ncols)
        st = VEM_FAIL(VEM_EFORMAT, "%s: empty file", rp->path);
    else if (st == VEM_OK && rp->rows == 0 && !rp->ranged)
        st = VEM_FAIL(VEM_EFORMAT, "%s: header but no data rows", rp->path);
    release_text(text, len, rp->ranged);
    return st;
}

/* ------------------------------------------------------------ text table */

typedef struct text_pass {
    row_pass rp;
    const vem_csv_opts *o;
    char **cells; /* rp.rows x tk.nsel */
    size_t cap;
} text_pass;

static vem_status text_head(row_pass *rp, const char *s, const char *e)
{
    return vem__csv_first_line(&rp->tk, ((text_pass *)rp)->o, 1, s, e);
}

static vem_status text_row(row_pass *rp)
{
    text_pass *tp = (text_pass *)rp;
    size_t nsel = rp->tk.nsel;
    if (!grow_rows((void **)&tp->cells, &tp->cap, rp->rows + 1, nsel * sizeof *tp->cells))
        return VEM_FAIL(VEM_ENOMEM, "%s: out of memory", rp->path);
    /* Each selected cell copied: a column chosen twice ("1,1") gets two copies. */
    char **row = tp->cells + rp->rows * nsel;
    for (size_t i = 0; i < nsel; i++) {
        if (!(row[i] = vem__csv_cell_text(&rp->tk.cells[rp->tk.sel[i]]))) {
            for (size_t j = 0; j < i; j++)
                vem__free(row[j]);
            return VEM_FAIL(VEM_ENOMEM, "%s: out of memory", rp->path);
        }
    }
    return VEM_OK;
}

/* The text cells of data rows [first, last) of path: see row_pass. */
static vem_status text_read(const char *path, const vem_csv_opts *o, size_t first, size_t last,
                            size_t max_rows, int ranged, vem_text_table *t)
{
    memset(t, 0, sizeof *t);
    vem_csv_opts defaults;
    vem_csv_opts_init(&defaults);
    text_pass tp;
    memset(&tp, 0, sizeof tp);
    tp.o = o ? o : &defaults;
    tp.rp = (row_pass){.path = path, .first = first, .last = last, .max_rows = max_rows,
                       .ranged = ranged, .head = text_head, .row = text_row};
    vem_status st = row_pass_run(&tp.rp, tp.o);
    t->cells = tp.cells;
    t->rows = tp.rp.rows;
    t->cols = tp.rp.tk.nsel;
    t->names = tp.rp.tk.names;
    tp.rp.tk.names = NULL;
    vem__csv_tok_clear(&tp.rp.tk);
    if (st != VEM_OK)
        vem_text_table_clear(t);
    return st;
}

vem_status vem_text_table_read(const char *path, const vem_csv_opts *o, size_t max_rows,
                               vem_text_table *t)
{
    return text_read(path, o, 0, SIZE_MAX, max_rows, 0, t);
}

vem_status vem_text_table_read_rows(const char *path, const vem_csv_opts *o, size_t first,
                                    size_t last, vem_text_table *t)
{
    if (last < first) {
        memset(t, 0, sizeof *t);
        return VEM_FAIL(VEM_EINVAL, "%s: data rows [%zu, %zu): the range is reversed", path,
                        first, last);
    }
    return text_read(path, o, first, last, 0, 1, t);
}

/* ---------------------------------------------------------------- frames */

void vem_frames_opts_init(vem_frames_opts *o)
{
    memset(o, 0, sizeof *o);
    vem_csv_opts_init(&o->csv);
    o->codes = -1;
    o->last = SIZE_MAX;
}

void vem_frames_clear(vem_frames *f)
{
    if (!f)
        return;
    vem__free(f->data);
    vem_symbols_free(f->names, f->cols);
    vem_symbols_free(f->symbols, f->n_symbols);
    vem_seqs_clear(&f->seqs);
    memset(f, 0, sizeof *f);
}

vem_matrix vem_frames_matrix(const vem_frames *f)
{
    return vem_matrix_view(f->data, f->rows, f->cols);
}

/* The CSV pass of vem_frames_read. */
typedef struct frames_pass {
    row_pass rp;
    const vem_frames_opts *o;
    vem_csv_opts co; /* o->csv with the frame columns */
    char *spec;      /* a column list made here (the model's names, or all but the ids) */
    size_t idcol;    /* the sequence-id column, SIZE_MAX for none */
    double *data;    /* numeric: rows x cols; categorical: the value of each digit cell */
    double *pos;     /* categorical, given symbols: each cell's place in them */
    char **cells;    /* categorical names without given symbols */
    char **ids;      /* sequence ids (not for a row range) */
    int keep_ids;
    size_t data_cap, pos_cap, cells_cap, ids_cap;
    sym_index sx;
    int digits;               /* every categorical cell so far is an ASCII digit string */
    size_t bad_line, bad_col; /* the first cell that is not a given symbol */
    char bad[41];
} frames_pass;

/* "1,2,4": every column of ncols but skip (0-based), or NULL when none is left. */
static char *all_but(size_t ncols, size_t skip)
{
    char *spec = vem__malloc(ncols * 21 + 1);
    size_t used = 0;
    for (size_t j = 0; spec && j < ncols; j++)
        if (j != skip)
            used += (size_t)sprintf(spec + used, "%s%zu", used ? "," : "", j + 1);
    if (spec && !used) {
        vem__free(spec);
        spec = NULL;
    }
    return spec;
}

static vem_status one_column(const char *path, const char *spec)
{
    if (spec && strchr(spec, ','))
        return VEM_FAIL(VEM_EINVAL,
                        "%s: categorical emissions read one column of symbols; --columns names %s",
                        path, spec);
    return VEM_OK;
}

/* The first line: the sequence-id column, then the frame columns. */
static vem_status frames_head(row_pass *rp, const char *s, const char *e)
{
    frames_pass *fp = (frames_pass *)rp;
    const vem_frames_opts *o = fp->o;
    vem_status st;
    if (o->sequence_column) {
        vem__csv_tok ids;
        vem_csv_opts io = o->csv;
        io.columns = o->sequence_column;
        st = vem__csv_tok_init(&ids, rp->path, &io);
        if (st == VEM_OK)
            st = vem__csv_first_line(&ids, &io, 1, s, e);
        size_t ncols = ids.ncols;
        fp->idcol = st == VEM_OK ? ids.sel[0] : SIZE_MAX;
        fp->keep_ids = !rp->ranged;
        vem__csv_tok_clear(&ids);
        if (st != VEM_OK)
            return st;
        if (!fp->co.columns) {
            if (ncols == 1)
                return VEM_FAIL(VEM_EFORMAT,
                                "%s: no columns left besides the sequence column '%s'", rp->path,
                                o->sequence_column);
            if (!(fp->spec = all_but(ncols, fp->idcol)))
                return VEM_FAIL(VEM_ENOMEM, "%s: out of memory", rp->path);
            fp->co.columns = fp->spec;
            if (o->categorical && (st = one_column(rp->path, fp->spec)) != VEM_OK)
                return st;
        }
    }
    st = vem__csv_first_line(&rp->tk, &fp->co, o->categorical, s, e);
    if (st == VEM_OK && o->categorical && rp->tk.nsel != 1)
        st = VEM_FAIL(VEM_EINVAL, "%s: %zu columns: choose the symbol column with --columns",
                      rp->path, rp->tk.nsel);
    return st;
}

/* The categorical cell of a row: its value if it is a code, its place among given symbols or its text. */
static vem_status frames_symbol(frames_pass *fp, const vem__csv_cell *c, size_t r)
{
    const vem_frames_opts *o = fp->o;
    int digits = c->len > 0;
    for (size_t i = 0; i < c->len && digits; i++)
        digits = c->p[i] >= '0' && c->p[i] <= '9';
    double v = HUGE_VAL; /* a code too large for a double is no code of any model */
    if (digits && vem__csv_cell_number(&fp->rp.tk, c, &v) != VEM_OK)
        v = HUGE_VAL;
    if (!digits && o->codes == 1)
        return VEM_FAIL(VEM_EFORMAT, "%s:%zu:%zu: not an integer code: '%.*s'", fp->rp.path,
                        fp->rp.tk.line, c->col, (int)vem__min(c->len, 40), c->p);
    fp->digits &= digits;
    fp->data[r] = v;
    if (o->codes == 1)
        return VEM_OK;
    char *text = vem__csv_cell_text(c);
    if (!text)
        return VEM_FAIL(VEM_ENOMEM, "%s: out of memory", fp->rp.path);
    if (!o->symbols) {
        fp->cells[r] = text;
        return VEM_OK;
    }
    fp->pos[r] = (double)sym_index_find(&fp->sx, text);
    if (fp->pos[r] == (double)fp->sx.n && !fp->bad_line) {
        fp->bad_line = fp->rp.tk.line;
        fp->bad_col = c->col;
        snprintf(fp->bad, sizeof fp->bad, "%s", text);
    }
    vem__free(text);
    return VEM_OK;
}

static vem_status frames_row(row_pass *rp)
{
    frames_pass *fp = (frames_pass *)rp;
    const vem_frames_opts *o = fp->o;
    const size_t r = rp->rows, d = rp->tk.nsel;
    const int cat = o->categorical, names = cat && o->codes != 1;
    if (!grow_rows((void **)&fp->data, &fp->data_cap, r + 1, d * sizeof *fp->data) ||
        (names && o->symbols && !grow_rows((void **)&fp->pos, &fp->pos_cap, r + 1, sizeof *fp->pos)) ||
        (names && !o->symbols &&
         !grow_rows((void **)&fp->cells, &fp->cells_cap, r + 1, sizeof *fp->cells)) ||
        (fp->keep_ids && !grow_rows((void **)&fp->ids, &fp->ids_cap, r + 1, sizeof *fp->ids)))
        return VEM_FAIL(VEM_ENOMEM, "%s: out of memory", rp->path);
    vem_status st = VEM_OK;
    for (size_t k = 0; k < d && st == VEM_OK; k++) {
        const vem__csv_cell *c = &rp->tk.cells[rp->tk.sel[k]];
        st = cat ? frames_symbol(fp, c, r) : vem__csv_cell_number(&rp->tk, c, &fp->data[r * d + k]);
    }
    if (st == VEM_OK && fp->keep_ids &&
        !(fp->ids[r] = vem__csv_cell_text(&rp->tk.cells[fp->idcol]))) {
        st = VEM_FAIL(VEM_ENOMEM, "%s: out of memory", rp->path);
        if (names && !o->symbols)
            vem__free(fp->cells[r]);
    }
    return st;
}

/* Categorical cells once all are read: codes, places among the given symbols, or new symbols. */
static vem_status frames_encode(frames_pass *fp, vem_frames *f)
{
    const vem_frames_opts *o = fp->o;
    const size_t n = fp->rp.rows;
    f->codes = o->codes == 1 || (o->codes == -1 && fp->digits && (!o->symbols || fp->bad_line));
    if (f->codes)
        return VEM_OK;
    if (!o->symbols)
        return vem_symbols_encode((const char *const *)fp->cells, n, NULL, 0, fp->data,
                                  &f->symbols, &f->n_symbols);
    if (fp->bad_line)
        return VEM_FAIL(VEM_EFORMAT, "%s:%zu:%zu: symbol '%s' is not one of the model's %zu symbols",
                        fp->rp.path, fp->bad_line, fp->bad_col, fp->bad, o->n_symbols);
    if (n) /* a range may hold no rows */
        memcpy(fp->data, fp->pos, n * sizeof *fp->data);
    return VEM_OK;
}

static void frames_pass_clear(frames_pass *fp)
{
    size_t n = fp->rp.rows;
    vem__free(fp->data);
    vem__free(fp->pos);
    vem_symbols_free(fp->cells, fp->cells ? n : 0);
    vem_symbols_free(fp->ids, fp->ids ? n : 0);
    vem__free(fp->spec);
    sym_index_clear(&fp->sx);
    vem__csv_tok_clear(&fp->rp.tk);
}

static vem_status frames_csv(const char *path, const vem_frames_opts *o, int ranged, vem_frames *f)
{
    frames_pass fp;
    memset(&fp, 0, sizeof fp);
    fp.o = o;
    fp.co = o->csv;
    fp.idcol = SIZE_MAX;
    fp.digits = 1;
    fp.rp = (row_pass){.path = path, .first = o->first, .last = o->last, .ranged = ranged,
                       .head = frames_head, .row = frames_row};
    vem_status st = VEM_OK;
    if (!fp.co.columns && o->categorical) {
        fp.co.columns = o->symbol_column;
    } else if (!fp.co.columns && o->columns && o->n_columns) {
        size_t len = 1;
        for (size_t j = 0; j < o->n_columns; j++)
            len += strlen(o->columns[j]) + 1;
        if (!(fp.spec = vem__malloc(len)))
            return VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
        fp.spec[0] = '\0';
        for (size_t j = 0; j < o->n_columns; j++)
            strcat(strcat(fp.spec, j ? "," : ""), o->columns[j]);
        fp.co.columns = fp.spec;
    }
    if (o->categorical)
        st = one_column(path, fp.co.columns);
    if (st == VEM_OK && o->categorical && o->symbols)
        st = sym_index_init(&fp.sx, o->symbols, o->n_symbols);
    if (st == VEM_OK)
        st = row_pass_run(&fp.rp, &fp.co);
    if (st == VEM_OK && o->categorical)
        st = frames_encode(&fp, f);
    if (st == VEM_OK && fp.ids && !ranged)
        st = vem_seqs_from_ids((const char *const *)fp.ids, fp.rp.rows, path, &f->seqs);
    f->rows = fp.rp.rows;
    f->cols = fp.rp.tk.nsel;
    f->names = fp.rp.tk.names;
    fp.rp.tk.names = NULL;
    f->data = fp.data;
    fp.data = NULL;
    frames_pass_clear(&fp);
    return st;
}

/* Raw float64: the whole file, or rows [first, last) read in place. */
static vem_status frames_binary(const char *path, const vem_frames_opts *o, int ranged,
                                vem_frames *f)
{
    const size_t d = o->binary_cols;
    if (o->categorical && d != 1)
        return VEM_FAIL(VEM_EINVAL, "%s: categorical data is one column of codes (--binary-cols 1)",
                        path);
    f->codes = o->categorical;
    vem_table t;
    vem_status st = ranged ? vem__binary_read_rows(path, d, o->first, o->last, &t)
                           : vem_binary_read(path, d, &t);
    f->data = t.data;
    f->rows = t.rows;
    f->cols = t.cols;
    f->names = t.names;
    return st;
}

vem_status vem_frames_read(const char *path, const vem_frames_opts *o, vem_frames *f)
{
    if (!f)
        return VEM_FAIL(VEM_EINVAL, "vem_frames_read: no output");
    memset(f, 0, sizeof *f);
    if (!path || !o)
        return VEM_FAIL(VEM_EINVAL, "vem_frames_read: no %s", path ? "options" : "path");
    const int ranged = o->first > 0 || o->last != SIZE_MAX;
    vem_status st = VEM_OK;
    if (o->lengths && o->sequence_column)
        st = VEM_FAIL(VEM_EINVAL, "%s: give a lengths file or a sequence column, not both", path);
    else if (o->binary_cols && o->sequence_column)
        st = VEM_FAIL(VEM_EINVAL, "%s: a sequence column needs a CSV file, not raw float64 "
                      "(--binary-cols)", path);
    else if (ranged && o->lengths)
        st = VEM_FAIL(VEM_EINVAL, "%s: a lengths file applies to the whole file, not rows "
                      "[%zu, %zu)", path, o->first, o->last);
    else if (o->last < o->first)
        st = VEM_FAIL(VEM_EINVAL, "%s: data rows [%zu, %zu): the range is reversed", path,
                      o->first, o->last);
    else if (o->codes < -1 || o->codes > 1)
        st = VEM_FAIL(VEM_EINVAL, "%s: codes option %d (want -1, 0 or 1)", path, o->codes);
    if (st == VEM_OK)
        st = o->binary_cols ? frames_binary(path, o, ranged, f) : frames_csv(path, o, ranged, f);
    if (st == VEM_OK && o->lengths)
        st = vem_seqs_read_lengths(o->lengths, f->rows, &f->seqs);
    if (st != VEM_OK)
        vem_frames_clear(f);
    return st;
}

/* ------------------------------------------------ shares of a distributed fit */

/* The sequences of the whole file, decided on process 0 and broadcast. */
typedef struct layout {
    size_t n_seq;  /* S; 1 when the file is one sequence */
    size_t whole;  /* no lengths or sequence column: one sequence, all on process 0 */
    size_t *start; /* S + 1 row boundaries (whole: unused) */
} layout;

/* Process 0's part: the options tried on the file's first line (a bad column
 * choice is said once, as one process says it), then the boundaries. */
static vem_status layout_root(const char *path, const vem_frames_opts *o, layout *l)
{
    vem_frames_opts probe = *o;
    probe.lengths = NULL;
    probe.first = probe.last = 0;
    vem_frames head;
    vem_status st = vem_frames_read(path, &probe, &head);
    vem_frames_clear(&head);
    vem_seqs sq;
    memset(&sq, 0, sizeof sq);
    if (st == VEM_OK && o->lengths) {
        st = vem_seqs_read_lengths(o->lengths, 0, &sq);
    } else if (st == VEM_OK && o->sequence_column) {
        vem_text_table t;
        vem_csv_opts co = o->csv;
        co.columns = o->sequence_column;
        st = vem_text_table_read(path, &co, 0, &t);
        if (st == VEM_OK)
            st = vem_seqs_from_ids((const char *const *)t.cells, t.rows, path, &sq);
        vem_text_table_clear(&t);
    }
    if (st != VEM_OK)
        return st;
    l->whole = !sq.start;
    l->n_seq = sq.start ? sq.n_seq : 1;
    l->start = sq.start ? sq.start : vem__calloc(2, sizeof *l->start);
    return l->start ? VEM_OK : VEM_FAIL(VEM_ENOMEM, "%s: sequences", path);
}

static vem_status layout_share(const char *path, const vem_frames_opts *o, const vem_comm *c,
                               layout *l)
{
    vem_status st = vem_comm_agree(c, c->rank == 0 ? layout_root(path, o, l) : VEM_OK);
    size_t head[2] = {l->n_seq, l->whole};
    if (st == VEM_OK)
        st = vem__comm_bcast_sizes(c, head, 2);
    if (st != VEM_OK)
        return st;
    l->n_seq = head[0];
    l->whole = head[1];
    if (c->rank != 0)
        l->start = vem__calloc(l->n_seq + 1, sizeof *l->start);
    st = vem_comm_agree(c, l->start ? VEM_OK : VEM_FAIL(VEM_ENOMEM, "%s: sequences", path));
    return st == VEM_OK ? vem__comm_bcast_sizes(c, l->start, l->n_seq + 1) : st;
}

/*
 * The same codes for the categorical cells on every process (vem_frames_read_share);
 * *dim gets the symbol count. ro: the share's options (codes may be changed).
 */
static vem_status encode_share(const char *path, const vem_comm *c, vem_frames_opts *ro,
                               vem_frames *f, size_t *dim)
{
    size_t names = !f->codes;
    vem_status st = vem__comm_sum_sizes(c, &names, 1);
    if (st != VEM_OK)
        return st;
    if (names == 0 && ro->symbols) {
        *dim = ro->n_symbols;
        return VEM_OK;
    }
    if (names == 0) {
        /* Codes everywhere: the largest of all + 1 (a code past 2^53 is refused below). */
        double mx = 0.0;
        for (size_t r = 0; r < f->rows; r++)
            mx = f->data[r] > mx ? f->data[r] : mx;
        size_t m = mx < 9007199254740992.0 ? (size_t)mx : (size_t)9007199254740992.0;
        st = vem__comm_max_size(c, &m);
        *dim = m + 1;
        return st;
    }
    if (f->codes) { /* others read names: so does this process */
        ro->codes = 0;
        vem_frames_clear(f);
        st = vem_frames_read(path, ro, f);
    }
    st = vem_comm_agree(c, st);
    if (st != VEM_OK || ro->symbols) {
        *dim = ro->n_symbols;
        return st;
    }
    char **all = NULL;
    size_t n = 0;
    st = vem__comm_strings_union(c, (const char *const *)f->symbols, f->n_symbols, &all, &n);
    if (st != VEM_OK)
        return st;
    double *place = vem__alloc_doubles(f->n_symbols ? f->n_symbols : 1, 1);
    st = place ? vem_symbols_encode((const char *const *)f->symbols, f->n_symbols,
                                    (const char *const *)all, n, place, NULL, NULL)
               : VEM_FAIL(VEM_ENOMEM, "%s: symbols", path);
    for (size_t r = 0; st == VEM_OK && r < f->rows; r++)
        f->data[r] = place[(size_t)f->data[r]];
    vem__free(place);
    vem_symbols_free(f->symbols, f->n_symbols);
    f->symbols = all;
    f->n_symbols = n;
    *dim = n;
    return vem_comm_agree(c, st);
}

/* Every code an integer in [0, dim); row0: the share's first data row in the file. */
static vem_status check_codes(const char *path, const vem_frames *f, size_t dim, size_t row0)
{
    for (size_t r = 0; r < f->rows; r++) {
        const double v = f->data[r];
        if (!(v >= 0.0) || !(v < (double)dim) || v != floor(v))
            return VEM_FAIL(VEM_EFORMAT, "%s: row %zu: symbol code %g is not an integer in "
                            "[0, %zu)", path, row0 + r + 1, v, dim);
    }
    return VEM_OK;
}

/* The frames of all processes against the sequences. */
static vem_status check_total(const char *path, const vem_frames_opts *o, const layout *l,
                              size_t rows_all)
{
    const size_t want = l->whole ? rows_all : l->start[l->n_seq];
    if (rows_all == 0)
        return VEM_FAIL(VEM_EFORMAT, "%s: no data rows", path);
    if (rows_all != want && o->lengths)
        return VEM_FAIL(VEM_EFORMAT, "%s: the %zu lengths add up to %zu, but the data has %zu "
                        "rows", o->lengths, l->n_seq, want, rows_all);
    if (rows_all != want)
        return VEM_FAIL(VEM_EFORMAT, "%s: the sequence column has %zu rows, the data %zu", path,
                        want, rows_all);
    return VEM_OK;
}

/* The share's sequences [s0, s1) of l as rows of f (one empty sequence for none). */
static vem_status share_seqs(const layout *l, size_t s0, size_t s1, size_t lo, vem_frames *f)
{
    const int some = s1 > s0 && !l->whole;
    const size_t n = s1 > s0 ? s1 - s0 : 1;
    vem_seqs_clear(&f->seqs);
    f->seqs.start = vem__calloc(n + 1, sizeof *f->seqs.start);
    if (!f->seqs.start)
        return VEM_FAIL(VEM_ENOMEM, "sequences");
    f->seqs.n_seq = n;
    for (size_t i = 1; i <= n; i++)
        f->seqs.start[i] = some ? l->start[s0 + i] - lo : f->rows;
    f->seqs.start[n] = f->rows; /* the last share's extra rows were refused */
    return VEM_OK;
}

vem_status vem_frames_read_share(const char *path, const vem_frames_opts *o, const vem_comm *comm,
                                 vem_frames *f, vem_frames_share *all)
{
    if (!f || !all)
        return VEM_FAIL(VEM_EINVAL, "vem_frames_read_share: no output");
    memset(f, 0, sizeof *f);
    memset(all, 0, sizeof *all);
    if (!path || !o)
        return VEM_FAIL(VEM_EINVAL, "vem_frames_read_share: no %s", path ? "options" : "path");
    const vem_comm *c = comm ? comm : vem__comm_solo();
    layout l;
    memset(&l, 0, sizeof l);
    vem_status st = layout_share(path, o, c, &l);
    if (st != VEM_OK)
        goto out;
    /* Whole sequences [s0, s1) of the S; the last share reads to the end of the file,
     * so that rows beyond the sequences are noticed. */
    const size_t S = l.n_seq, P = (size_t)c->size, r = (size_t)c->rank;
    const size_t s0 = l.whole ? 0 : r * S / P, s1 = l.whole ? (r == 0) : (r + 1) * S / P;
    vem_frames_opts ro = *o;
    ro.lengths = NULL;
    ro.first = l.whole ? 0 : l.start[s0];
    ro.last = l.whole ? (r == 0 ? SIZE_MAX : 0) : l.start[s1];
    if (!l.whole && s1 == S && s1 > s0)
        ro.last = SIZE_MAX;
    /* A bad line in any share stops every process (the one that met it says why). */
    st = vem_comm_agree(c, vem_frames_read(path, &ro, f));
    size_t dim = f->cols;
    if (st == VEM_OK && o->categorical)
        st = encode_share(path, c, &ro, f, &dim);
    if (st == VEM_OK && o->categorical)
        st = vem_comm_agree(c, check_codes(path, f, dim, ro.first));
    size_t rows_all = f->rows;
    if (st == VEM_OK)
        st = vem__comm_sum_sizes(c, &rows_all, 1);
    if (st == VEM_OK)
        st = vem_comm_agree(c, check_total(path, o, &l, rows_all));
    if (st == VEM_OK)
        st = vem_comm_agree(c, share_seqs(&l, s0, s1, ro.first, f));
    if (st == VEM_OK) {
        all->rows = rows_all;
        all->n_seq = S;
        all->dim = dim;
    }
out:
    vem__free(l.start);
    if (st != VEM_OK)
        vem_frames_clear(f);
    return st;
}

/* ------------------------------------------------ frames as a source (out of core) */

/*
 * The CSV columns of the frames, as a column list for a row source: o's choice
 * (vem_frames_read's rules), else, with a sequence column, every column but it
 * (found by its name among the header's), else NULL (every column). *spec gets
 * a list made here (free it), or NULL.
 */
static vem_status frame_columns(const char *path, const vem_frames_opts *o, const char **cols,
                                char **spec)
{
    *spec = NULL;
    *cols = o->csv.columns ? o->csv.columns : o->categorical ? o->symbol_column : NULL;
    if (*cols)
        return o->categorical ? one_column(path, *cols) : VEM_OK;
    if (o->columns && o->n_columns) {
        size_t len = 1;
        for (size_t j = 0; j < o->n_columns; j++)
            len += strlen(o->columns[j]) + 1;
        if (!(*spec = vem__malloc(len)))
            return VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
        (*spec)[0] = '\0';
        for (size_t j = 0; j < o->n_columns; j++)
            strcat(strcat(*spec, j ? "," : ""), o->columns[j]);
        *cols = *spec;
        return VEM_OK;
    }
    if (!o->sequence_column)
        return VEM_OK;
    vem_text_table head, id;
    vem_csv_opts co = o->csv;
    co.columns = NULL;
    vem_status st = vem_text_table_read(path, &co, 1, &head);
    co.columns = o->sequence_column;
    if (st == VEM_OK)
        st = vem_text_table_read(path, &co, 1, &id);
    size_t skip = SIZE_MAX;
    for (size_t j = 0; st == VEM_OK && j < head.cols && skip == SIZE_MAX; j++)
        if (strcmp(head.names[j], id.names[0]) == 0)
            skip = j;
    if (st == VEM_OK && head.cols == 1)
        st = VEM_FAIL(VEM_EFORMAT, "%s: no columns left besides the sequence column '%s'", path,
                      o->sequence_column);
    if (st == VEM_OK && !(*spec = all_but(head.cols, skip)))
        st = VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
    if (st == VEM_OK && o->categorical)
        st = one_column(path, *spec);
    *cols = *spec;
    if (st == VEM_OK)
        vem_text_table_clear(&id);
    vem_text_table_clear(&head);
    return st;
}

vem_status vem_frames_open_source(const char *path, const vem_frames_opts *o,
                                  const vem_comm *comm, vem_source **out, vem_frames_share *all)
{
    if (!path || !o || !all || !out)
        return VEM_FAIL(VEM_EINVAL, "vem_frames_open_source: a path, options and outputs are "
                        "required");
    *out = NULL;
    memset(all, 0, sizeof *all);
    const vem_comm *c = comm ? comm : vem__comm_solo();
    vem_source *src = NULL;
    layout l;
    memset(&l, 0, sizeof l);
    char *spec = NULL;
    vem_status st = VEM_OK;
    if (o->categorical && o->codes == 0)
        st = VEM_FAIL(VEM_EUNSUP, "%s: a streamed fit reads categorical frames as integer "
                      "codes, not names", path);
    st = vem_comm_agree(c, st);
    if (st == VEM_OK)
        st = layout_share(path, o, c, &l);
    if (st != VEM_OK)
        goto out;
    /* Whole sequences [s0, s1) of the S, as vem_frames_read_share shares them. */
    const size_t S = l.n_seq, P = (size_t)c->size, r = (size_t)c->rank;
    const size_t s0 = l.whole ? 0 : r * S / P, s1 = l.whole ? (r == 0) : (r + 1) * S / P;
    const char *cols = NULL;
    if (o->binary_cols) {
        src = vem_source_open_binary(path, o->binary_cols);
    } else if ((st = frame_columns(path, o, &cols, &spec)) == VEM_OK) {
        vem_csv_opts co = o->csv;
        co.columns = cols;
        src = vem_source_open_csv(path, &co);
    }
    if (st == VEM_OK && !src)
        st = vem__last_status();
    size_t rows_all = src ? vem_source_rows(src) : 0; /* every process converted the whole file */
    if (st == VEM_OK && o->categorical && vem_source_cols(src) != 1)
        st = VEM_FAIL(VEM_EINVAL, "%s: categorical data is one column of codes", path);
    st = vem_comm_agree(c, st);
    if (st == VEM_OK)
        st = vem_comm_agree(c, check_total(path, o, &l, rows_all));
    if (st == VEM_OK) {
        const size_t lo = l.whole ? 0 : l.start[s0];
        const size_t hi = l.whole ? (r == 0 ? rows_all : 0) : s1 > s0 ? l.start[s1] : lo;
        st = vem_source_keep_rows(src, lo, hi);
        size_t one[2] = {0, hi - lo}, *starts = one, n = 1;
        if (st == VEM_OK && !l.whole && s1 > s0) {
            starts = l.start + s0;
            n = s1 - s0;
            for (size_t i = 0; i <= n; i++)
                starts[i] -= lo; /* the layout's offsets become the share's */
        }
        /* A process without sequences keeps no rows and takes part with none. */
        if (st == VEM_OK)
            st = vem_source_set_sequences(src, starts, hi > lo ? n : 0);
        st = vem_comm_agree(c, st);
    }
    double mx = 0.0;
    if (st == VEM_OK && o->categorical)
        st = vem_comm_agree(c, vem__source_codes(src, o->symbols ? o->n_symbols : 0, &mx));
    size_t dim = src && st == VEM_OK ? vem_source_cols(src) : 0;
    if (st == VEM_OK && o->categorical) {
        size_t m = o->symbols ? o->n_symbols - 1 : (size_t)mx;
        st = vem__comm_max_size(c, &m);
        dim = m + 1;
    }
    if (st == VEM_OK) {
        all->rows = rows_all;
        all->n_seq = S;
        all->dim = dim;
    }
out:
    vem__free(spec);
    vem__free(l.start);
    if (st != VEM_OK)
        vem_source_close(src);
    else
        *out = src;
    return st;
}
