/*
 * src/io/source.c — data sources for out-of-core fitting (include/vem/io.h).
 *
 * A source is a file descriptor of raw little-endian float64 rows read with
 * pread(), which is safe from several threads at once. A CSV file is parsed
 * once, streaming, into an unlinked temporary file, so the later passes of EM
 * read binary at disk speed instead of parsing text every time, and the
 * temporary disappears with the descriptor even if the process dies.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vem/io.h>

#include "internal.h"
#include "io/csv_internal.h"
#include "io/docs_internal.h"
#include "io/source_internal.h"
#include "core/comm_internal.h"

struct vem_source {
    int fd;     /* rows (or frames) as raw float64; documents: their word ids (uint32) */
    int fd_count; /* documents: their counts (double); -1 otherwise */
    char *path; /* the file the user named, for messages */
    size_t rows, cols;
    size_t row0; /* the file's row of the source's first row (a share or a part of it) */
    char **names;
    vem_unit_kind kind;
    size_t n_units; /* rows, sequences or documents */
    size_t *start;  /* sequences: n_units + 1 row offsets; documents: entry offsets */
    size_t start_cap;
    size_t nvocab;  /* documents: vocabulary size */
    double tokens;  /* documents: the sum of the counts */
};

static int little_endian(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

static void swap8(double *d, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char b[8], r[8];
        memcpy(b, &d[i], 8);
        for (int j = 0; j < 8; j++)
            r[j] = b[7 - j];
        memcpy(&d[i], r, 8);
    }
}

void vem_source_close(vem_source *src)
{
    if (!src)
        return;
    if (src->fd >= 0)
        close(src->fd);
    if (src->fd_count >= 0)
        close(src->fd_count);
    vem__free(src->start);
    if (src->names) {
        for (size_t j = 0; j < src->cols; j++)
            vem__free(src->names[j]);
        vem__free(src->names);
    }
    vem__free(src->path);
    vem__free(src);
}

size_t vem_source_rows(const vem_source *src)
{
    return src->rows;
}

vem_unit_kind vem_source_unit_kind(const vem_source *src)
{
    return src->kind;
}

size_t vem_source_units(const vem_source *src)
{
    return src->kind == VEM_UNITS_ROWS ? src->rows : src->n_units;
}

const size_t *vem_source_unit_starts(const vem_source *src)
{
    return src->kind == VEM_UNITS_ROWS ? NULL : src->start;
}

size_t vem_source_nvocab(const vem_source *src)
{
    return src->kind == VEM_UNITS_DOCUMENTS ? src->nvocab : 0;
}

double vem_source_tokens(const vem_source *src)
{
    return src->kind == VEM_UNITS_DOCUMENTS ? src->tokens : 0.0;
}

size_t vem_source_cols(const vem_source *src)
{
    return src->cols;
}

const char *const *vem_source_names(const vem_source *src)
{
    return (const char *const *)src->names;
}

static vem_source *source_new(const char *path)
{
    vem_source *src = vem__calloc(1, sizeof *src);
    if (!src || !(src->path = vem__strdup(path))) {
        vem__free(src);
        VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
        return NULL;
    }
    src->fd = -1;
    src->fd_count = -1;
    src->kind = VEM_UNITS_ROWS;
    return src;
}

static vem_status index_names(vem_source *src)
{
    src->names = vem__calloc(src->cols, sizeof *src->names);
    if (!src->names)
        return VEM_FAIL(VEM_ENOMEM, "%s: column names", src->path);
    for (size_t j = 0; j < src->cols; j++) {
        char buf[32];
        snprintf(buf, sizeof buf, "%zu", j + 1);
        if (!(src->names[j] = vem__strdup(buf)))
            return VEM_FAIL(VEM_ENOMEM, "%s: column names", src->path);
    }
    return VEM_OK;
}

vem_source *vem_source_open_binary(const char *path, size_t cols)
{
    return vem_source_open_binary_share(path, cols, 0, 1);
}

vem_source *vem_source_open_binary_share(const char *path, size_t cols, size_t rank,
                                         size_t nranks)
{
    if (nranks == 0 || rank >= nranks) {
        VEM_FAIL(VEM_EINVAL, "%s: share %zu of %zu", path ? path : "(null)", rank, nranks);
        return NULL;
    }
    if (!path || cols == 0) {
        VEM_FAIL(VEM_EINVAL, "%s: the number of columns must be >= 1", path ? path : "(null)");
        return NULL;
    }
    vem_source *src = source_new(path);
    if (!src)
        return NULL;
    src->cols = cols;
    struct stat sb;
    src->fd = open(path, O_RDONLY);
    if (src->fd < 0 || fstat(src->fd, &sb) != 0) {
        VEM_FAIL(VEM_EIO, "%s: %s", path, strerror(errno));
        goto fail;
    }
    size_t size = (size_t)sb.st_size, rowbytes;
    if (!vem__mul_ok(cols, sizeof(double), &rowbytes)) {
        VEM_FAIL(VEM_EINVAL, "%s: %zu columns is too many", path, cols);
        goto fail;
    }
    if (size == 0) {
        VEM_FAIL(VEM_EFORMAT, "%s: empty file", path);
        goto fail;
    }
    if (size % rowbytes != 0) {
        VEM_FAIL(VEM_EFORMAT, "%s: size %zu bytes is not a multiple of 8 x %zu columns = %zu bytes",
                 path, size, cols, rowbytes);
        goto fail;
    }
    {
        const size_t all = size / rowbytes;
        src->row0 = (size_t)((unsigned long long)all * rank / nranks);
        src->rows = (size_t)((unsigned long long)all * (rank + 1) / nranks) - src->row0;
    }
    if (index_names(src) != VEM_OK)
        goto fail;
    return src;
fail:
    vem_source_close(src);
    return NULL;
}

static vem_status write_all(int fd, const void *p, size_t n, const char *what)
{
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return VEM_FAIL(VEM_EIO, "%s: temporary file: %s", what, strerror(errno));
        }
        c += w;
        n -= (size_t)w;
    }
    return VEM_OK;
}

typedef struct sink_ctx {
    vem_source *src;
    double *swap; /* byte-swapped copy on big-endian hosts */
} sink_ctx;

static vem_status to_temp(void *ctx, const double *rows, size_t n, size_t cols)
{
    sink_ctx *c = ctx;
    size_t bytes = n * cols * sizeof *rows;
    if (!little_endian()) {
        double *p = vem__realloc(c->swap, bytes);
        if (!p)
            return VEM_FAIL(VEM_ENOMEM, "%s: out of memory", c->src->path);
        c->swap = p;
        memcpy(p, rows, bytes);
        swap8(p, n * cols);
        rows = p;
    }
    return write_all(c->src->fd, rows, bytes, c->src->path);
}

/* An unlinked temporary file in TMPDIR (or /tmp) for the data of path, into *fd. */
static vem_status temp_file(const char *path, int *fd)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    size_t len = strlen(dir) + 32;
    char *tmpl = vem__malloc(len);
    if (!tmpl)
        return VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
    snprintf(tmpl, len, "%s/vem-stream-XXXXXX", dir);
    *fd = mkstemp(tmpl);
    vem_status st = VEM_OK;
    if (*fd < 0)
        st = VEM_FAIL(VEM_EIO, "%s: temporary file in %s: %s", path, dir, strerror(errno));
    else
        unlink(tmpl); /* gone when the descriptor closes, whatever happens */
    vem__free(tmpl);
    return st;
}

vem_source *vem_source_open_csv(const char *path, const vem_csv_opts *o)
{
    return vem_source_open_csv_share(path, o, 0, 1);
}

vem_source *vem_source_open_csv_share(const char *path, const vem_csv_opts *o, size_t rank,
                                      size_t nranks)
{
    if (!path || nranks == 0 || rank >= nranks) {
        VEM_FAIL(VEM_EINVAL, "vem_source_open_csv: a path and share %zu of %zu", rank, nranks);
        return NULL;
    }
    struct stat sb;
    if (nranks > 1 && stat(path, &sb) != 0) {
        VEM_FAIL(VEM_EIO, "%s: %s", path, strerror(errno));
        return NULL;
    }
    vem_source *src = source_new(path);
    if (!src)
        return NULL;
    if (temp_file(path, &src->fd) != VEM_OK)
        goto fail;
    sink_ctx ctx = {.src = src, .swap = NULL};
    vem_status st;
    if (nranks == 1) {
        st = vem__csv_stream(path, o, to_temp, &ctx, &src->rows, &src->cols, &src->names);
    } else {
        /* The lines that start in bytes [r S / P, (r + 1) S / P), as vem_csv_read_range. */
        const uint64_t size = (uint64_t)sb.st_size;
        st = vem__csv_stream_range(path, o, size * rank / nranks, size * (rank + 1) / nranks,
                                   to_temp, &ctx, &src->rows, &src->cols, &src->names);
    }
    vem__free(ctx.swap);
    if (st != VEM_OK)
        goto fail;
    return src;
fail:
    vem_source_close(src);
    return NULL;
}

/* Read bytes [off, off + bytes) of fd into p (positioned: safe from several threads). */
static vem_status pread_all(const vem_source *src, int fd, void *p, size_t bytes, size_t off)
{
    char *c = p;
    off_t at = (off_t)off;
    while (bytes) {
        ssize_t got = pread(fd, c, bytes, at);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return VEM_FAIL(VEM_EIO, "%s: %s", src->path,
                            got < 0 ? strerror(errno) : "file shrank while reading");
        c += got;
        at += got;
        bytes -= (size_t)got;
    }
    return VEM_OK;
}

vem_status vem_source_read(const vem_source *src, size_t row0, size_t n, double *out)
{
    if (row0 > src->rows || n > src->rows - row0)
        return VEM_FAIL(VEM_EINVAL, "%s: rows %zu..%zu outside the %zu rows", src->path, row0 + 1,
                        row0 + n, src->rows);
    vem_status st = pread_all(src, src->fd, out, n * src->cols * sizeof *out,
                              (src->row0 + row0) * src->cols * sizeof *out);
    if (st != VEM_OK)
        return st;
    if (!little_endian())
        swap8(out, n * src->cols);
    for (size_t i = 0; i < n * src->cols; i++)
        if (!isfinite(out[i]))
            return VEM_FAIL(VEM_EFORMAT, "%s: row %zu column %zu: not finite", src->path,
                            row0 + i / src->cols + 1, i % src->cols + 1);
    return VEM_OK;
}

/* ------------------------------------------------- sequences and documents */

vem_status vem_source_keep_rows(vem_source *src, size_t first, size_t last)
{
    if (!src || src->kind != VEM_UNITS_ROWS)
        return VEM_FAIL(VEM_EINVAL, "vem_source_keep_rows: a source of rows is required");
    if (last > src->rows)
        last = src->rows;
    if (first > last)
        return VEM_FAIL(VEM_EINVAL, "%s: rows %zu..%zu: first after last", src->path, first + 1,
                        last);
    src->row0 += first;
    src->rows = last - first;
    return VEM_OK;
}

vem_status vem_source_set_sequences(vem_source *src, const size_t *start, size_t n_seq)
{
    if (!src || !start || (n_seq == 0 && src->rows > 0))
        return VEM_FAIL(VEM_EINVAL, "vem_source_set_sequences: a source and >= 1 sequence");
    if (src->kind == VEM_UNITS_DOCUMENTS)
        return VEM_FAIL(VEM_EINVAL, "%s: a corpus has no sequences", src->path);
    if (start[0] != 0 || start[n_seq] != src->rows)
        return VEM_FAIL(VEM_EFORMAT, "%s: the sequences cover rows 1..%zu, the data has %zu rows",
                        src->path, start[n_seq], src->rows);
    for (size_t i = 0; i < n_seq; i++)
        if (start[i + 1] <= start[i])
            return VEM_FAIL(VEM_EFORMAT, "%s: sequence %zu is empty or out of order", src->path,
                            i + 1);
    size_t *p = vem__calloc(n_seq + 1, sizeof *p);
    if (!p)
        return VEM_FAIL(VEM_ENOMEM, "%s: %zu sequence boundaries", src->path, n_seq);
    memcpy(p, start, (n_seq + 1) * sizeof *p);
    vem__free(src->start);
    src->start = p;
    src->start_cap = n_seq + 1;
    src->n_units = n_seq;
    src->kind = VEM_UNITS_SEQUENCES;
    return VEM_OK;
}

/* A corpus chunk appended to the source: words and counts to the two files, offsets kept. */
static vem_status docs_append(void *ctx, const vem_docs_owned *c)
{
    vem_source *src = ctx;
    const size_t base = src->start[src->n_units], nnz = c->ptr[c->ndocs];
    if (src->n_units + c->ndocs + 1 > src->start_cap) {
        size_t cap = vem__max(2 * src->start_cap, src->n_units + c->ndocs + 1);
        size_t *p = vem__realloc(src->start, cap * sizeof *p);
        if (!p)
            return VEM_FAIL(VEM_ENOMEM, "%s: offsets of %zu documents", src->path, cap);
        src->start = p;
        src->start_cap = cap;
    }
    for (size_t d = 1; d <= c->ndocs; d++)
        src->start[src->n_units + d] = base + c->ptr[d];
    src->n_units += c->ndocs;
    for (size_t i = 0; i < nnz; i++)
        src->tokens += c->count[i];
    src->nvocab = vem__max(src->nvocab, c->nvocab);
    vem_status st = write_all(src->fd, c->word, nnz * sizeof *c->word, src->path);
    return st == VEM_OK ? write_all(src->fd_count, c->count, nnz * sizeof *c->count, src->path)
                        : st;
}

/* (word, count) pairs a conversion chunk collects: about 24 MB of triples. */
enum { DOCS_CHUNK = 1 << 20 };

vem_source *vem_source_open_docs(const char *path, size_t nvocab, size_t rank, size_t nranks)
{
    if (!path) {
        VEM_FAIL(VEM_EINVAL, "vem_source_open_docs: no path");
        return NULL;
    }
    vem_source *src = source_new(path);
    if (!src)
        return NULL;
    src->kind = VEM_UNITS_DOCUMENTS;
    src->start_cap = 1024;
    src->start = vem__calloc(src->start_cap, sizeof *src->start);
    if (!src->start) {
        VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    if (temp_file(path, &src->fd) != VEM_OK || temp_file(path, &src->fd_count) != VEM_OK)
        goto fail;
    if (vem__docs_stream(path, nvocab, rank, nranks, DOCS_CHUNK, docs_append, src) != VEM_OK)
        goto fail;
    /* The offsets are what stays in memory: give back the growth's spare room. */
    size_t *fit = vem__realloc(src->start, (src->n_units + 1) * sizeof *fit);
    if (fit) {
        src->start = fit;
        src->start_cap = src->n_units + 1;
    }
    src->rows = src->start[src->n_units]; /* the (word, count) entries */
    src->cols = 1;
    if (index_names(src) != VEM_OK)
        goto fail;
    return src;
fail:
    vem_source_close(src);
    return NULL;
}

/* Grow *p (elements of size sz) to hold n; VEM_ENOMEM naming what. */
static vem_status grow(void **p, size_t *cap, size_t n, size_t sz, const char *what)
{
    if (n <= *cap)
        return VEM_OK;
    size_t c = vem__max(n, *cap + *cap / 2);
    void *q = vem__realloc(*p, c * sz);
    if (!q)
        return VEM_FAIL(VEM_ENOMEM, "%s: %zu elements", what, c);
    *p = q;
    *cap = c;
    return VEM_OK;
}

/* *view: the n documents read into b. */
static void docs_view(const vem_source *src, vem__unit_buf *b, size_t n, vem_data *view)
{
    b->docs.ndocs = n;
    b->docs.nvocab = src->nvocab;
    b->docs.ptr = b->start;
    b->docs.word = b->word;
    b->docs.count = b->x;
    *view = vem_data_rows(vem_matrix_view(NULL, 0, 0));
    view->docs = &b->docs;
}

/* *view: the rows read into b, n units of them (sequences: b->start's). */
static void rows_view(const vem_source *src, vem__unit_buf *b, size_t rows, size_t n,
                      vem_data *view)
{
    *view = vem_data_rows(vem_matrix_view(b->x, rows, src->cols));
    if (src->kind == VEM_UNITS_SEQUENCES) {
        view->seq_start = b->start;
        view->n_seq = n;
    }
}

void vem__unit_buf_clear(vem__unit_buf *b)
{
    vem__free(b->x);
    vem__free(b->start);
    vem__free(b->word);
    memset(b, 0, sizeof *b);
}

vem_status vem__source_read_units(const vem_source *src, size_t u0, size_t u1, vem__unit_buf *b,
                                  vem_data *view)
{
    const size_t n = u1 - u0, cols = src->cols;
    if (u1 < u0 || u1 > vem_source_units(src))
        return VEM_FAIL(VEM_EINVAL, "%s: units %zu..%zu outside the %zu", src->path, u0 + 1, u1,
                        vem_source_units(src));
    const size_t e0 = src->kind == VEM_UNITS_ROWS ? u0 : src->start[u0];
    const size_t e1 = src->kind == VEM_UNITS_ROWS ? u1 : src->start[u1];
    vem_status st = VEM_OK;
    if (src->kind != VEM_UNITS_ROWS)
        st = grow((void **)&b->start, &b->start_cap, n + 1, sizeof *b->start, src->path);
    for (size_t i = 0; st == VEM_OK && src->kind != VEM_UNITS_ROWS && i <= n; i++)
        b->start[i] = src->start[u0 + i] - e0;
    if (st != VEM_OK)
        return st;
    if (src->kind == VEM_UNITS_DOCUMENTS) {
        st = grow((void **)&b->word, &b->word_cap, e1 - e0 + 1, sizeof *b->word, src->path);
        if (st == VEM_OK)
            st = grow((void **)&b->x, &b->x_cap, e1 - e0 + 1, sizeof *b->x, src->path);
        if (st == VEM_OK)
            st = pread_all(src, src->fd, b->word, (e1 - e0) * sizeof *b->word,
                           e0 * sizeof *b->word);
        if (st == VEM_OK)
            st = pread_all(src, src->fd_count, b->x, (e1 - e0) * sizeof *b->x,
                           e0 * sizeof *b->x);
        if (st != VEM_OK)
            return st;
        docs_view(src, b, n, view);
        return VEM_OK;
    }
    size_t want;
    if (!vem__mul_ok(e1 - e0 + 1, cols, &want))
        return VEM_FAIL(VEM_ENOMEM, "%s: %zu rows x %zu columns", src->path, e1 - e0, cols);
    st = grow((void **)&b->x, &b->x_cap, want, sizeof *b->x, src->path);
    if (st == VEM_OK)
        st = vem_source_read(src, e0, e1 - e0, b->x);
    if (st != VEM_OK)
        return st;
    rows_view(src, b, e1 - e0, n, view);
    return VEM_OK;
}

vem_status vem__source_read_list(const vem_source *src, const size_t *units, size_t m,
                                 vem__unit_buf *b, vem_data *view)
{
    const int rows = src->kind == VEM_UNITS_ROWS;
    size_t total = 0;
    for (size_t i = 0; i < m; i++) {
        if (units[i] >= vem_source_units(src))
            return VEM_FAIL(VEM_EINVAL, "%s: unit %zu outside the %zu", src->path, units[i] + 1,
                            vem_source_units(src));
        total += rows ? 1 : src->start[units[i] + 1] - src->start[units[i]];
    }
    const size_t cols = src->kind == VEM_UNITS_DOCUMENTS ? 1 : src->cols;
    size_t want;
    if (!vem__mul_ok(total + 1, cols, &want))
        return VEM_FAIL(VEM_ENOMEM, "%s: a sample of %zu rows", src->path, total);
    vem_status st = grow((void **)&b->x, &b->x_cap, want, sizeof *b->x, src->path);
    if (st == VEM_OK)
        st = grow((void **)&b->start, &b->start_cap, m + 1, sizeof *b->start, src->path);
    if (st == VEM_OK && !rows && src->kind == VEM_UNITS_DOCUMENTS)
        st = grow((void **)&b->word, &b->word_cap, total + 1, sizeof *b->word, src->path);
    size_t at = 0;
    for (size_t i = 0; st == VEM_OK && i < m; i++) {
        const size_t e0 = rows ? units[i] : src->start[units[i]];
        const size_t len = rows ? 1 : src->start[units[i] + 1] - e0;
        b->start[i] = at;
        if (src->kind == VEM_UNITS_DOCUMENTS) {
            st = pread_all(src, src->fd, b->word + at, len * sizeof *b->word,
                           e0 * sizeof *b->word);
            if (st == VEM_OK)
                st = pread_all(src, src->fd_count, b->x + at, len * sizeof *b->x,
                               e0 * sizeof *b->x);
        } else {
            st = vem_source_read(src, e0, len, b->x + at * cols);
        }
        at += len;
    }
    if (st != VEM_OK)
        return st;
    b->start[m] = at;
    if (src->kind == VEM_UNITS_DOCUMENTS) {
        docs_view(src, b, m, view);
        return VEM_OK;
    }
    rows_view(src, b, at, m, view);
    return VEM_OK;
}

vem_status vem_source_open_docs_comm(const char *path, size_t nvocab, const vem_comm *comm,
                                     vem_source **out, size_t *ndocs_all)
{
    *out = NULL;
    const vem_comm *c = comm ? comm : vem__comm_solo();
    vem_source *src = vem_source_open_docs(path, nvocab, (size_t)c->rank, (size_t)c->size);
    vem_status st = vem_comm_agree(c, src ? VEM_OK : vem__last_status());
    size_t v = src ? src->nvocab : 0, n = src ? src->n_units : 0;
    if (st == VEM_OK)
        st = vem__comm_max_size(c, &v);
    if (st == VEM_OK)
        st = vem__comm_sum_sizes(c, &n, 1);
    if (st == VEM_OK && n == 0)
        st = VEM_FAIL(VEM_EFORMAT, "%s: no documents", path);
    if (st != VEM_OK) {
        vem_source_close(src);
        return st;
    }
    src->nvocab = v;
    if (ndocs_all)
        *ndocs_all = n;
    *out = src;
    return VEM_OK;
}

void vem__source_where(const vem_source *src, const char **path, size_t *row0)
{
    *path = src->path;
    *row0 = src->row0;
}

vem_status vem__source_codes(vem_source *src, size_t n_symbols, double *max_code)
{
    enum { CHUNK_ROWS = 65536 };
    const size_t n = vem_source_rows(src);
    if (src->cols != 1)
        return VEM_FAIL(VEM_EINVAL, "%s: %zu columns: symbol codes are one column", src->path,
                        src->cols);
    double *buf = vem__alloc_doubles(vem__min(n, CHUNK_ROWS) + 1, 1), mx = 0.0;
    if (!buf)
        return VEM_FAIL(VEM_ENOMEM, "%s: a chunk of codes", src->path);
    vem_status st = VEM_OK;
    for (size_t r0 = 0; r0 < n && st == VEM_OK; r0 += CHUNK_ROWS) {
        const size_t len = vem__min(CHUNK_ROWS, n - r0);
        st = vem_source_read(src, r0, len, buf);
        for (size_t r = 0; st == VEM_OK && r < len; r++) {
            const double v = buf[r];
            if (!(v >= 0.0) || v != floor(v) || (n_symbols && !(v < (double)n_symbols)))
                st = n_symbols ? VEM_FAIL(VEM_EINVAL, "%s: row %zu: symbol code %g is not an "
                                          "integer in [0, %zu)", src->path, src->row0 + r0 + r + 1,
                                          v, n_symbols)
                               : VEM_FAIL(VEM_EINVAL, "%s: row %zu: symbol code %g is not a "
                                          "non-negative integer", src->path,
                                          src->row0 + r0 + r + 1, v);
            mx = v > mx ? v : mx;
        }
    }
    vem__free(buf);
    if (st == VEM_OK && max_code)
        *max_code = mx;
    return st;
}

vem_status vem__check_counts(const double *x, size_t d, size_t n_trials, const char *path,
                             size_t row)
{
    const char *sep = path ? ": " : "";
    double sum = 0.0;
    for (size_t j = 0; j < d; j++) {
        const double v = x[j];
        if (!(v >= 0.0) || !(v < 0x1p53) || v != floor(v))
            return VEM_FAIL(VEM_EINVAL, "%s%srow %zu, column %zu: count %g is not an integer "
                            ">= 0", path ? path : "", sep, row, j + 1, v);
        sum += v;
    }
    if (n_trials && sum != (double)n_trials)
        return VEM_FAIL(VEM_EINVAL, "%s%srow %zu: the counts sum to %.17g, not the %zu trials",
                        path ? path : "", sep, row, sum, n_trials);
    return VEM_OK;
}

vem_status vem__source_counts(vem_source *src, size_t n_trials)
{
    enum { CHUNK_ROWS = 8192 };
    const size_t n = vem_source_rows(src), d = src->cols;
    double *buf = vem__alloc_doubles(vem__min(n, CHUNK_ROWS) * d + 1, 1);
    if (!buf)
        return VEM_FAIL(VEM_ENOMEM, "%s: a chunk of counts", src->path);
    vem_status st = VEM_OK;
    for (size_t r0 = 0; r0 < n && st == VEM_OK; r0 += CHUNK_ROWS) {
        const size_t len = vem__min(CHUNK_ROWS, n - r0);
        st = vem_source_read(src, r0, len, buf);
        for (size_t r = 0; st == VEM_OK && r < len; r++)
            st = vem__check_counts(buf + r * d, d, n_trials, src->path, src->row0 + r0 + r + 1);
    }
    vem__free(buf);
    return st;
}
