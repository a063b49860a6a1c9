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
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vem/hmm.h>
#include <vem/io.h>

#include "internal.h"
#include "io/csv_internal.h"

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

vem_status vem_symbols_encode(const char *const *cells, size_t n, const char *const *symbols,
                              size_t nsym, double *codes, char ***out_symbols, size_t *out_n)
{
    if (out_symbols)
        *out_symbols = NULL;
    if (out_n)
        *out_n = 0;
    if (symbols) {
        /* Given symbols keep their order: look up through a sorted index. */
        size_t *idx = vem__calloc(nsym ? nsym : 1, sizeof *idx);
        const char **sorted = vem__calloc(nsym ? nsym : 1, sizeof *sorted);
        if (!idx || !sorted) {
            vem__free(idx);
            vem__free(sorted);
            return VEM_FAIL(VEM_ENOMEM, "symbols");
        }
        for (size_t i = 0; i < nsym; i++)
            sorted[i] = symbols[i];
        qsort(sorted, nsym, sizeof *sorted, cmp_str);
        for (size_t i = 0; i < nsym; i++)
            for (size_t j = 0; j < nsym; j++)
                if (symbols[j] == sorted[i])
                    idx[i] = j;
        vem_status st = VEM_OK;
        for (size_t r = 0; r < n; r++) {
            size_t p = find_sorted(sorted, nsym, cells[r]);
            if (p == nsym) {
                st = VEM_FAIL(VEM_EFORMAT, "row %zu: symbol '%.40s' is not one of the model's "
                              "%zu symbols", r + 1, cells[r], nsym);
                break;
            }
            codes[r] = (double)idx[p];
        }
        vem__free(idx);
        vem__free(sorted);
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

/* ------------------------------------------------------------ text table */

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

/*
 * The text cells of data rows [first, last) of path (last SIZE_MAX: to the end);
 * max_rows > 0 stops after that many. ranged: zero rows is not an error (a
 * process's share may be empty). Rows before first are counted, not split, so
 * line numbers in messages are the file's own. Lines, cells, header and
 * columns go through csv.c's tokenizer, as vem_csv_read reads them.
 */
static vem_status text_read(const char *path, const vem_csv_opts *o, size_t first, size_t last,
                            size_t max_rows, int ranged, vem_text_table *t)
{
    memset(t, 0, sizeof *t);
    vem_csv_opts defaults;
    if (!o) {
        vem_csv_opts_init(&defaults);
        o = &defaults;
    }
    vem__csv_tok tk;
    vem_status st = vem__csv_tok_init(&tk, path, o);
    if (st != VEM_OK)
        return st;
    char *text = NULL;
    size_t len = 0;
    st = ranged ? map_file(path, &text, &len) : slurp(path, &text, &len);
    if (st != VEM_OK) {
        vem__csv_tok_clear(&tk);
        return st;
    }
    size_t rows = 0, cap = 0, blank = 0, nsel = 0;
    char **cells = NULL;
    const char *p = text ? text : "", *end = p + len;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3; /* UTF-8 byte order mark, as spreadsheets write */
    size_t drow = 0; /* data rows seen, read or skipped */
    while (p < end) {
        const char *e = memchr(p, '\n', (size_t)(end - p));
        const char *next = e ? e + 1 : end;
        if (!e)
            e = end;
        if (e > p && e[-1] == '\r')
            e--;
        const char *line = p;
        p = next;
        tk.line++;
        if (is_blank(line, e)) { /* fine at the end of the file, an error once data follows */
            if (!blank)
                blank = tk.line;
            continue;
        }
        if (blank) {
            st = VEM_FAIL(VEM_EFORMAT,
                          "%s:%zu:1: blank line (only trailing blank lines are allowed)", path,
                          blank);
            goto fail;
        }
        if (!tk.ncols) {
            st = vem__csv_first_line(&tk, o, 1, line, e);
            if (st != VEM_OK)
                goto fail;
            nsel = tk.nsel;
            t->names = tk.names;
            t->cols = nsel;
            tk.names = NULL;
            if (tk.header)
                continue;
        }
        if (drow >= last)
            break;
        if (drow++ < first)
            continue;
        st = vem__csv_row(&tk, line, e);
        if (st != VEM_OK)
            goto fail;
        if (rows == cap) {
            size_t nc = cap ? 2 * cap : 1024, bytes;
            char **g = NULL;
            if (vem__mul_ok(nc, nsel ? nsel : 1, &bytes) && vem__mul_ok(bytes, sizeof *g, &bytes))
                g = vem__realloc(cells, bytes);
            if (!g) {
                st = VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
                goto fail;
            }
            cells = g;
            cap = nc;
        }
        /* Each selected cell copied: a column chosen twice ("1,1") gets two copies. */
        for (size_t i = 0; i < nsel; i++) {
            char *c = vem__csv_cell_text(&tk.cells[tk.sel[i]]);
            if (!c) {
                for (size_t j = 0; j < i; j++)
                    vem__free(cells[rows * nsel + j]);
                st = VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
                goto fail;
            }
            cells[rows * nsel + i] = c;
        }
        rows++;
        if (max_rows && rows >= max_rows)
            break;
    }
    if (!tk.ncols) {
        st = VEM_FAIL(VEM_EFORMAT, "%s: empty file", path);
        goto fail;
    }
    if (rows == 0 && !ranged) {
        st = VEM_FAIL(VEM_EFORMAT, "%s: header but no data rows", path);
        goto fail;
    }
    vem__csv_tok_clear(&tk);
    release_text(text, len, ranged);
    t->cells = cells;
    t->rows = rows;
    return VEM_OK;
fail:
    vem__csv_tok_clear(&tk);
    release_text(text, len, ranged);
    t->cells = cells;
    t->rows = rows;
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
