/*
 * src/io/corpus.c — bag-of-words corpora (include/vem/corpus.h): UCI and
 * LDA-C readers, the UCI writer, vocabularies, and corpus building from text.
 *
 * Readers collect (document, word, count) triples, then build the CSR arrays
 * with a counting sort by document and a sort by word within each document,
 * summing repeated pairs. Every problem is reported as "FILE:LINE: what".
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <vem/comm.h>
#include <vem/corpus.h>

#include "core/comm_internal.h"
#include "internal.h"
#include "io/atomic.h"
#include "io/docs_internal.h"

void vem_docs_owned_clear(vem_docs_owned *c)
{
    if (!c)
        return;
    vem__free(c->ptr);
    vem__free(c->word);
    vem__free(c->count);
    memset(c, 0, sizeof *c);
}

vem_docs vem_docs_owned_view(const vem_docs_owned *c)
{
    vem_docs d;
    d.ndocs = c->ndocs;
    d.nvocab = c->nvocab;
    d.ptr = c->ptr;
    d.word = c->word;
    d.count = c->count;
    return d;
}

double vem_docs_tokens(const vem_docs *d)
{
    double s = 0.0;
    const size_t nnz = d->ptr[d->ndocs];
    for (size_t i = 0; i < nnz; i++)
        s += d->count[i];
    return s;
}

/* ------------------------------------------------------------ triples */

typedef struct triple {
    size_t doc;
    uint32_t word;
    double count;
} triple;

typedef struct triples {
    triple *t;
    size_t n, cap;
} triples;

static int triples_push(triples *a, size_t doc, uint32_t word, double count)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? 2 * a->cap : 1024;
        triple *p = vem__realloc(a->t, cap * sizeof *p);
        if (!p)
            return -1;
        a->t = p;
        a->cap = cap;
    }
    a->t[a->n].doc = doc;
    a->t[a->n].word = word;
    a->t[a->n].count = count;
    a->n++;
    return 0;
}

static int cmp_word(const void *a, const void *b)
{
    uint32_t x = ((const triple *)a)->word, y = ((const triple *)b)->word;
    return (x > y) - (x < y);
}

/* CSR from the triples (documents < ndocs); repeated pairs are summed. */
static vem_status build_csr(triples *a, size_t ndocs, size_t nvocab, vem_docs_owned *out)
{
    memset(out, 0, sizeof *out);
    out->ndocs = ndocs;
    out->nvocab = nvocab;
    out->ptr = vem__calloc(ndocs + 1, sizeof *out->ptr);
    triple *sorted = vem__calloc(a->n ? a->n : 1, sizeof *sorted);
    if (!out->ptr || !sorted)
        goto oom;
    for (size_t i = 0; i < a->n; i++)
        out->ptr[a->t[i].doc + 1]++;
    for (size_t d = 0; d < ndocs; d++)
        out->ptr[d + 1] += out->ptr[d];
    {
        size_t *fill = vem__calloc(ndocs + 1, sizeof *fill);
        if (!fill)
            goto oom;
        for (size_t i = 0; i < a->n; i++) {
            size_t d = a->t[i].doc;
            sorted[out->ptr[d] + fill[d]++] = a->t[i];
        }
        vem__free(fill);
    }
    out->word = vem__calloc(a->n ? a->n : 1, sizeof *out->word);
    out->count = vem__alloc_doubles(a->n ? a->n : 1, 1);
    if (!out->word || !out->count)
        goto oom;
    size_t nnz = 0;
    for (size_t d = 0; d < ndocs; d++) {
        size_t lo = out->ptr[d], hi = out->ptr[d + 1];
        qsort(sorted + lo, hi - lo, sizeof *sorted, cmp_word);
        out->ptr[d] = nnz;
        for (size_t i = lo; i < hi; i++) {
            if (nnz > out->ptr[d] && out->word[nnz - 1] == sorted[i].word) {
                out->count[nnz - 1] += sorted[i].count;
            } else {
                out->word[nnz] = sorted[i].word;
                out->count[nnz++] = sorted[i].count;
            }
        }
    }
    out->ptr[ndocs] = nnz;
    vem__free(sorted);
    return VEM_OK;
oom:
    vem__free(sorted);
    vem_docs_owned_clear(out);
    return VEM_FAIL(VEM_ENOMEM, "corpus: out of memory");
}

/* Where a streaming read sends its documents (vem__docs_stream); NULL: collect them all. */
typedef struct docs_sink {
    vem__docs_chunk_fn fn;
    void *ctx;
    size_t chunk; /* triples a chunk holds before it ends at the next document */
} docs_sink;

/* ------------------------------------------------------------ parsing */

/* Parse an unsigned decimal integer at *p (after blanks); advances *p. 0 on success. */
static int parse_uint(const char **p, unsigned long long *out)
{
    const char *s = *p;
    while (*s == ' ' || *s == '\t')
        s++;
    if (!isdigit((unsigned char)*s))
        return -1;
    unsigned long long v = 0;
    while (isdigit((unsigned char)*s)) {
        unsigned d = (unsigned)(*s - '0');
        if (v > (ULLONG_MAX - d) / 10)
            return -2;
        v = v * 10 + d;
        s++;
    }
    *p = s;
    *out = v;
    return 0;
}

/* Only blanks (and a line end) left at p. */
static int at_end(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
        p++;
    return *p == '\0';
}

static FILE *open_read(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        VEM_FAIL(VEM_EIO, "%s: cannot open: %s", path, strerror(errno));
    return f;
}

/* The rest of f after a blank line holds only white space (blank lines end the data). */
static int rest_blank(FILE *f)
{
    int c;
    while ((c = fgetc(f)) != EOF)
        if (!isspace(c))
            return 0;
    return 1;
}

/* The three header lines of a UCI file (D, W, NNZ) into hdr; the file is left after them. */
static vem_status uci_header(FILE *f, const char *path, char **line, size_t *cap,
                             unsigned long long hdr[3])
{
    static const char *const hname[3] = {"D (documents)", "W (words)", "NNZ (lines)"};
    for (int h = 0; h < 3; h++) {
        if (getline(line, cap, f) < 0)
            return VEM_FAIL(VEM_EFORMAT, "%s:%d: missing header line %s", path, h + 1, hname[h]);
        const char *p = *line;
        /* A UTF-8 byte-order mark before the first line, as vem_csv_read accepts. */
        if (h == 0 && strncmp(p, "\xEF\xBB\xBF", 3) == 0)
            p += 3;
        if (parse_uint(&p, &hdr[h]) != 0 || !at_end(p))
            return VEM_FAIL(VEM_EFORMAT, "%s:%d: header line %s is not a non-negative integer",
                            path, h + 1, hname[h]);
    }
    if (hdr[1] == 0 || hdr[1] > UINT32_MAX)
        return VEM_FAIL(VEM_EFORMAT, "%s:2: W=%llu must be in [1, 2^32)", path, hdr[1]);
    /* D against the file's size, before the document offsets are allocated: a document takes
     * at least one byte of the file (docs/reliability.md). NNZ allocates nothing: the data
     * lines are counted as they are read. */
    struct stat sb;
    if (fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode))
        return vem__check_declared(path, "D", (double)hdr[0], "documents", sizeof(size_t), 3, 1,
                                   (double)sb.st_size);
    return VEM_OK;
}

/*
 * One UCI data line (line lineno of path, the seen-th data line): its 1-based
 * docID, wordID and count, checked against the header.
 */
static vem_status uci_line(const char *path, size_t lineno, const char *line, size_t seen,
                           const unsigned long long hdr[3], unsigned long long *d,
                           unsigned long long *w, unsigned long long *c)
{
    const char *p = line;
    if (parse_uint(&p, d) != 0 || parse_uint(&p, w) != 0 || parse_uint(&p, c) != 0 || !at_end(p))
        return VEM_FAIL(VEM_EFORMAT, "%s:%zu: expected 'docID wordID count' (three integers)",
                        path, lineno);
    if (*d < 1 || *d > hdr[0])
        return VEM_FAIL(VEM_EFORMAT, "%s:%zu: docID %llu out of range [1, %llu]", path, lineno,
                        *d, hdr[0]);
    if (*w < 1 || *w > hdr[1])
        return VEM_FAIL(VEM_EFORMAT, "%s:%zu: wordID %llu out of range [1, %llu]", path, lineno,
                        *w, hdr[1]);
    if (*c == 0)
        return VEM_FAIL(VEM_EFORMAT, "%s:%zu: count must be >= 1", path, lineno);
    if (seen > hdr[2])
        return VEM_FAIL(VEM_EFORMAT, "%s:%zu: more than NNZ=%llu data lines", path, lineno,
                        hdr[2]);
    return VEM_OK;
}

vem_status vem_docs_read_uci(const char *path, vem_docs_owned *out)
{
    memset(out, 0, sizeof *out);
    FILE *f = open_read(path);
    if (!f)
        return VEM_EIO;
    char *line = NULL;
    size_t cap = 0, lineno = 3;
    unsigned long long hdr[3];
    triples a = {0};
    vem_status st = uci_header(f, path, &line, &cap, hdr);
    if (st != VEM_OK)
        goto done;
    size_t seen = 0;
    while (getline(&line, &cap, f) >= 0) {
        lineno++;
        if (at_end(line)) {
            /* Blank lines are tolerated at the end of the file only. */
            if (!rest_blank(f)) {
                st = VEM_FAIL(VEM_EFORMAT, "%s:%zu: blank line inside the data", path, lineno);
                goto done;
            }
            break;
        }
        unsigned long long d, w, c;
        if ((st = uci_line(path, lineno, line, ++seen, hdr, &d, &w, &c)) != VEM_OK)
            goto done;
        if (triples_push(&a, (size_t)(d - 1), (uint32_t)(w - 1), (double)c) != 0) {
            st = VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
            goto done;
        }
    }
    if (ferror(f)) {
        st = VEM_FAIL(VEM_EIO, "%s: read error", path);
        goto done;
    }
    if (seen != hdr[2]) {
        st = VEM_FAIL(VEM_EFORMAT, "%s:%zu: %zu data lines, header says NNZ=%llu", path, lineno,
                      seen, hdr[2]);
        goto done;
    }
    st = build_csr(&a, (size_t)hdr[0], (size_t)hdr[1], out);
done:
    vem__free(a.t);
    free(line);
    fclose(f);
    return st;
}

/*
 * One LDA-C line (line lineno of path, not blank) as document doc: its pairs
 * pushed to a, *maxid raised to its largest id, *any set when it has a pair.
 */
static vem_status ldac_line(const char *path, size_t lineno, const char *line, size_t nvocab,
                            size_t doc, triples *a, unsigned long long *maxid, int *any)
{
    const char *p = line;
    unsigned long long m;
    if (parse_uint(&p, &m) != 0)
        return VEM_FAIL(VEM_EFORMAT, "%s:%zu: expected the number of pairs M first", path,
                        lineno);
    for (unsigned long long j = 0; j < m; j++) {
        unsigned long long w, c;
        if (parse_uint(&p, &w) != 0 || *p != ':')
            return VEM_FAIL(VEM_EFORMAT, "%s:%zu: pair %llu: expected 'id:count'%s", path, lineno,
                            j + 1, at_end(p) ? " (fewer pairs than M)" : "");
        p++;
        if (parse_uint(&p, &c) != 0 || !(*p == ' ' || *p == '\t' || at_end(p)))
            return VEM_FAIL(VEM_EFORMAT, "%s:%zu: pair %llu: count is not an integer", path,
                            lineno, j + 1);
        if (c == 0)
            return VEM_FAIL(VEM_EFORMAT, "%s:%zu: pair %llu: count must be >= 1", path, lineno,
                            j + 1);
        if ((nvocab > 0 && w >= nvocab) || w >= UINT32_MAX)
            return VEM_FAIL(VEM_EFORMAT, "%s:%zu: pair %llu: word id %llu >= vocabulary size %zu",
                            path, lineno, j + 1, w, nvocab);
        if (w > *maxid)
            *maxid = w;
        *any = 1;
        if (triples_push(a, doc, (uint32_t)w, (double)c) != 0)
            return VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
    }
    if (!at_end(p))
        return VEM_FAIL(VEM_EFORMAT, "%s:%zu: more pairs than M=%llu", path, lineno, m);
    return VEM_OK;
}

vem_status vem_docs_read_ldac(const char *path, size_t nvocab, vem_docs_owned *out)
{
    memset(out, 0, sizeof *out);
    FILE *f = open_read(path);
    if (!f)
        return VEM_EIO;
    char *line = NULL;
    size_t cap = 0, lineno = 0, ndocs = 0;
    unsigned long long maxid = 0;
    int any = 0;
    triples a = {0};
    vem_status st = VEM_OK;
    while (getline(&line, &cap, f) >= 0) {
        lineno++;
        if (at_end(line)) {
            if (!rest_blank(f)) {
                st = VEM_FAIL(VEM_EFORMAT,
                              "%s:%zu: blank line inside the data (an empty document is '0')",
                              path, lineno);
                goto done;
            }
            break;
        }
        if ((st = ldac_line(path, lineno, line, nvocab, ndocs, &a, &maxid, &any)) != VEM_OK)
            goto done;
        ndocs++;
    }
    if (ferror(f)) {
        st = VEM_FAIL(VEM_EIO, "%s: read error", path);
        goto done;
    }
    if (ndocs == 0) {
        st = VEM_FAIL(VEM_EFORMAT, "%s: no documents", path);
        goto done;
    }
    st = build_csr(&a, ndocs, nvocab > 0 ? nvocab : (any ? (size_t)maxid + 1 : 1), out);
done:
    vem__free(a.t);
    free(line);
    fclose(f);
    return st;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

vem_status vem_docs_read(const char *path, size_t nvocab, vem_docs_owned *out)
{
    if (ends_with(path, ".ldac"))
        return vem_docs_read_ldac(path, nvocab, out);
    vem_status st = vem_docs_read_uci(path, out);
    if (st == VEM_OK && nvocab > 0) {
        if (out->nvocab > nvocab) {
            size_t w = out->nvocab;
            vem_docs_owned_clear(out);
            return VEM_FAIL(VEM_EFORMAT, "%s:2: W=%zu words, vocabulary has %zu", path, w,
                            nvocab);
        }
        out->nvocab = nvocab;
    }
    return st;
}

/* ------------------------------------------------------------ shares */

/* Newlines in bytes [0, end) of f: the number of the line that starts at end, less one. */
static vem_status count_newlines(FILE *f, const char *path, off_t end, size_t *n)
{
    char buf[1 << 16];
    *n = 0;
    if (fseeko(f, 0, SEEK_SET) != 0)
        return VEM_FAIL(VEM_EIO, "%s: cannot seek: %s", path, strerror(errno));
    off_t left = end;
    while (left > 0) {
        size_t want = left < (off_t)sizeof buf ? (size_t)left : sizeof buf;
        size_t got = fread(buf, 1, want, f);
        if (got == 0)
            return VEM_FAIL(VEM_EIO, "%s: read error", path);
        for (const char *p = buf, *e = buf + got; (p = memchr(p, '\n', (size_t)(e - p))); p++)
            (*n)++;
        left -= (off_t)got;
    }
    return VEM_OK;
}

/* Offset of the first line that starts at or after a (0 < a <= size): just past the first
 * newline at or after byte a - 1, or size. */
static vem_status line_start_at(FILE *f, const char *path, off_t a, off_t size, char **line,
                                size_t *cap, off_t *out)
{
    if (fseeko(f, a - 1, SEEK_SET) != 0)
        return VEM_FAIL(VEM_EIO, "%s: cannot seek: %s", path, strerror(errno));
    ssize_t got = getline(line, cap, f);
    *out = got < 0 ? size : a - 1 + (off_t)got;
    return VEM_OK;
}

/* The docID a UCI data line starts with, or 0 when it starts with no integer. */
static unsigned long long uci_docid(const char *line)
{
    const char *p = line;
    unsigned long long d;
    return parse_uint(&p, &d) == 0 ? d : 0;
}

/*
 * Where a UCI share that would start at byte a really starts: the first line
 * at or after a whose docID differs from that of the first line at or after a
 * (so a document cut by a goes whole to the share before), or a line with no
 * docID (a blank or malformed line, reported by the share that gets it), or
 * size. *docid: that line's docID, or 0 at the end or on a line without one.
 */
static vem_status uci_cut(FILE *f, const char *path, off_t a, off_t size, char **line,
                          size_t *cap, off_t *cut, unsigned long long *docid)
{
    off_t p = size;
    vem_status st = line_start_at(f, path, a, size, line, cap, &p);
    *cut = size;
    *docid = 0;
    if (st != VEM_OK || p >= size)
        return st;
    if (fseeko(f, p, SEEK_SET) != 0)
        return VEM_FAIL(VEM_EIO, "%s: cannot seek: %s", path, strerror(errno));
    unsigned long long d0 = 0;
    for (;;) {
        off_t at = ftello(f);
        if (getline(line, cap, f) < 0)
            return ferror(f) ? VEM_FAIL(VEM_EIO, "%s: read error", path) : VEM_OK;
        unsigned long long d = uci_docid(*line);
        if (d == 0 || (d0 != 0 && d != d0)) {
            *cut = at;
            *docid = d;
            return VEM_OK;
        }
        d0 = d;
    }
}

static vem_status share_args(const char *path, size_t rank, size_t nranks)
{
    if (nranks == 0 || rank >= nranks)
        return VEM_FAIL(VEM_EINVAL, "%s: share %zu of %zu", path, rank, nranks);
    return VEM_OK;
}

static off_t file_size(FILE *f)
{
    if (fseeko(f, 0, SEEK_END) != 0)
        return -1;
    return ftello(f);
}

/* Byte offset r (size - lo) / n + lo, without overflow for any file size. */
static off_t split_at(off_t lo, off_t size, size_t r, size_t n)
{
    double frac = (double)r / (double)n;
    off_t a = lo + (off_t)(frac * (double)(size - lo));
    return a < lo ? lo : a > size ? size : a;
}

/*
 * Hand the documents [*cfirst, upto) collected in a (document indices relative to
 * *cfirst) to sink as one CSR chunk, then start the next chunk at upto.
 */
static vem_status flush_chunk(triples *a, size_t *cfirst, size_t upto, size_t nvocab,
                              const docs_sink *sink)
{
    vem_docs_owned chunk;
    vem_status st = build_csr(a, upto - *cfirst, nvocab, &chunk);
    if (st == VEM_OK)
        st = sink->fn(sink->ctx, &chunk);
    vem_docs_owned_clear(&chunk);
    a->n = 0;
    *cfirst = upto;
    return st;
}

static vem_status share_uci(const char *path, size_t nvocab, size_t rank, size_t nranks,
                            vem_docs_owned *out, size_t *first_doc, const docs_sink *sink)
{
    FILE *f = open_read(path);
    if (!f)
        return VEM_EIO;
    char *line = NULL;
    size_t cap = 0;
    unsigned long long hdr[3];
    triples a = {0};
    vem_status st = uci_header(f, path, &line, &cap, hdr);
    if (st != VEM_OK)
        goto done;
    const off_t data = ftello(f), size = file_size(f);
    if (data < 0 || size < 0) {
        st = VEM_FAIL(VEM_EIO, "%s: cannot seek: %s", path, strerror(errno));
        goto done;
    }
    /* This share: the lines in [lo, hi), documents [first, last) (0-based). */
    off_t lo = data, hi = size;
    unsigned long long first = 0, last = hdr[0], d;
    if (rank > 0) {
        if ((st = uci_cut(f, path, split_at(data, size, rank, nranks), size, &line, &cap, &lo,
                          &d)) != VEM_OK)
            goto done;
        first = d ? d - 1 : hdr[0];
    }
    if (rank + 1 < nranks) {
        if ((st = uci_cut(f, path, split_at(data, size, rank + 1, nranks), size, &line, &cap, &hi,
                          &d)) != VEM_OK)
            goto done;
        last = d ? d - 1 : hdr[0];
    }
    if (last < first)
        last = first; /* out of order: reported below on the share's first line */
    size_t lineno;
    if ((st = count_newlines(f, path, lo, &lineno)) != VEM_OK)
        goto done;
    if (fseeko(f, lo, SEEK_SET) != 0) {
        st = VEM_FAIL(VEM_EIO, "%s: cannot seek: %s", path, strerror(errno));
        goto done;
    }
    size_t data_lines = 0, cfirst = (size_t)first;
    unsigned long long prev = first + 1;
    const size_t nv = nvocab > 0 ? nvocab : (size_t)hdr[1];
    while (ftello(f) < hi && getline(&line, &cap, f) >= 0) {
        lineno++;
        if (at_end(line)) {
            if (!rest_blank(f)) {
                st = VEM_FAIL(VEM_EFORMAT, "%s:%zu: blank line inside the data", path, lineno);
                goto done;
            }
            break;
        }
        unsigned long long w, c;
        /* Blank lines end the data, so the data line number is the line number less 3. */
        if ((st = uci_line(path, lineno, line, lineno - 3, hdr, &d, &w, &c)) != VEM_OK)
            goto done;
        if (d < prev || d > last) {
            st = VEM_FAIL(VEM_EFORMAT,
                          "%s:%zu: docID %llu out of order: a distributed read needs the lines "
                          "grouped by document in increasing docID order",
                          path, lineno, d);
            goto done;
        }
        /* Streaming: a chunk ends where a document starts once it is large enough. */
        if (sink && d != prev && a.n >= sink->chunk &&
            (st = flush_chunk(&a, &cfirst, (size_t)(d - 1), nv, sink)) != VEM_OK)
            goto done;
        prev = d;
        data_lines = lineno - 3;
        if (triples_push(&a, (size_t)(d - 1) - cfirst, (uint32_t)(w - 1), (double)c) != 0) {
            st = VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
            goto done;
        }
    }
    if (ferror(f)) {
        st = VEM_FAIL(VEM_EIO, "%s: read error", path);
        goto done;
    }
    /* The share holding the end of the data knows how many data lines the file has. */
    if (rank + 1 == nranks && (a.n > 0 || lo == data) && data_lines != hdr[2]) {
        st = VEM_FAIL(VEM_EFORMAT, "%s:%zu: %zu data lines, header says NNZ=%llu", path,
                      lineno, data_lines, hdr[2]);
        goto done;
    }
    if (nvocab > 0 && hdr[1] > nvocab) {
        st = VEM_FAIL(VEM_EFORMAT, "%s:2: W=%llu words, vocabulary has %zu", path, hdr[1], nvocab);
        goto done;
    }
    if (sink)
        st = flush_chunk(&a, &cfirst, (size_t)last, nv, sink);
    else
        st = build_csr(&a, (size_t)(last - first), nv, out);
    if (first_doc)
        *first_doc = (size_t)first;
done:
    vem__free(a.t);
    free(line);
    fclose(f);
    return st;
}

static vem_status share_ldac(const char *path, size_t nvocab, size_t rank, size_t nranks,
                             vem_docs_owned *out, size_t *first_doc, const docs_sink *sink)
{
    FILE *f = open_read(path);
    if (!f)
        return VEM_EIO;
    char *line = NULL;
    size_t cap = 0, lineno = 0, ndocs = 0, cfirst = 0;
    unsigned long long maxid = 0;
    int any = 0;
    triples a = {0};
    vem_status st = VEM_OK;
    const off_t size = file_size(f);
    off_t lo = 0, hi = size;
    if (size < 0) {
        st = VEM_FAIL(VEM_EIO, "%s: cannot seek: %s", path, strerror(errno));
        goto done;
    }
    if (rank > 0 && (st = line_start_at(f, path, split_at(0, size, rank, nranks), size, &line,
                                        &cap, &lo)) != VEM_OK)
        goto done;
    if (rank + 1 < nranks && (st = line_start_at(f, path, split_at(0, size, rank + 1, nranks),
                                                 size, &line, &cap, &hi)) != VEM_OK)
        goto done;
    if ((st = count_newlines(f, path, lo, &lineno)) != VEM_OK)
        goto done;
    const size_t first = lineno; /* one document per line before this share */
    if (fseeko(f, lo, SEEK_SET) != 0) {
        st = VEM_FAIL(VEM_EIO, "%s: cannot seek: %s", path, strerror(errno));
        goto done;
    }
    while (ftello(f) < hi && getline(&line, &cap, f) >= 0) {
        lineno++;
        if (at_end(line)) {
            if (!rest_blank(f)) {
                st = VEM_FAIL(VEM_EFORMAT,
                              "%s:%zu: blank line inside the data (an empty document is '0')",
                              path, lineno);
                goto done;
            }
            break;
        }
        if (sink && a.n >= sink->chunk &&
            (st = flush_chunk(&a, &cfirst, ndocs, nvocab > 0 ? nvocab : (size_t)maxid + 1,
                              sink)) != VEM_OK)
            goto done;
        if ((st = ldac_line(path, lineno, line, nvocab, ndocs - cfirst, &a, &maxid, &any)) !=
            VEM_OK)
            goto done;
        ndocs++;
    }
    if (ferror(f)) {
        st = VEM_FAIL(VEM_EIO, "%s: read error", path);
        goto done;
    }
    if (sink)
        st = flush_chunk(&a, &cfirst, ndocs, nvocab > 0 ? nvocab : (any ? (size_t)maxid + 1 : 1),
                         sink);
    else
        st = build_csr(&a, ndocs, nvocab > 0 ? nvocab : (any ? (size_t)maxid + 1 : 1), out);
    if (first_doc)
        *first_doc = first;
done:
    vem__free(a.t);
    free(line);
    fclose(f);
    return st;
}

vem_status vem_docs_read_share(const char *path, size_t nvocab, size_t rank, size_t nranks,
                               vem_docs_owned *out, size_t *first_doc)
{
    memset(out, 0, sizeof *out);
    vem_status st = share_args(path, rank, nranks);
    if (st != VEM_OK)
        return st;
    if (ends_with(path, ".ldac"))
        return share_ldac(path, nvocab, rank, nranks, out, first_doc, NULL);
    return share_uci(path, nvocab, rank, nranks, out, first_doc, NULL);
}

vem_status vem__docs_stream(const char *path, size_t nvocab, size_t rank, size_t nranks,
                            size_t chunk, vem__docs_chunk_fn fn, void *ctx)
{
    vem_status st = share_args(path, rank, nranks);
    if (st != VEM_OK)
        return st;
    const docs_sink sink = {fn, ctx, chunk ? chunk : 1};
    vem_docs_owned unused;
    memset(&unused, 0, sizeof unused);
    if (ends_with(path, ".ldac"))
        return share_ldac(path, nvocab, rank, nranks, &unused, NULL, &sink);
    return share_uci(path, nvocab, rank, nranks, &unused, NULL, &sink);
}

vem_status vem_docs_read_share_comm(const char *path, size_t nvocab, const vem_comm *comm,
                                   vem_docs_owned *out, size_t *ndocs_all)
{
    vem_status st = comm ? vem_docs_read_share(path, nvocab, (size_t)comm->rank,
                                               (size_t)comm->size, out, NULL)
                         : vem_docs_read(path, nvocab, out);
    size_t v = out->nvocab;
    double n = (double)out->ndocs; /* exact below 2^53 */
    if (comm && (st = vem_comm_agree(comm, st)) == VEM_OK) {
        st = vem__comm_max_size(comm, &v);
        if (st == VEM_OK)
            st = comm->reduce(&n, 1, comm->ctx);
    }
    if (st == VEM_OK && n == 0)
        st = VEM_FAIL(VEM_EFORMAT, "%s: no documents", path);
    if (st != VEM_OK) {
        vem_docs_owned_clear(out);
        return st;
    }
    out->nvocab = v;
    if (ndocs_all)
        *ndocs_all = (size_t)n;
    return VEM_OK;
}

/* d as UCI text to f; non-zero on a write error. */
static int uci_to(const vem_docs *d, FILE *f)
{
    int bad = fprintf(f, "%zu\n%zu\n%zu\n", d->ndocs, d->nvocab, d->ptr[d->ndocs]) < 0;
    for (size_t doc = 0; doc < d->ndocs && !bad; doc++)
        for (size_t i = d->ptr[doc]; i < d->ptr[doc + 1]; i++) {
            double c = d->count[i];
            if (c == floor(c) && c < 1e15)
                fprintf(f, "%zu %u %.0f\n", doc + 1, (unsigned)d->word[i] + 1, c);
            else
                fprintf(f, "%zu %u %.17g\n", doc + 1, (unsigned)d->word[i] + 1, c);
        }
    return bad || ferror(f);
}

vem_status vem_docs_write_uci(const vem_docs *d, const char *path)
{
    char *tmp = NULL;
    FILE *f = vem__atomic_open(path, &tmp);
    if (!f)
        return vem__last_status();
    return vem__atomic_commit(f, tmp, path, uci_to(d, f));
}

/* ------------------------------------------------------------ vocabulary */

void vem_vocab_clear(vem_vocab *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n; i++)
        vem__free(v->words[i]);
    vem__free(v->words);
    memset(v, 0, sizeof *v);
}

/* A string -> index hash set (open addressing, FNV-1a). */
typedef struct strmap {
    size_t *slot; /* index + 1, 0 empty */
    size_t cap;
} strmap;

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* Find s among words[] through m; returns its index or SIZE_MAX (and *where the free slot). */
static size_t map_find(const strmap *m, char *const *words, const char *s, size_t *where)
{
    size_t i = (size_t)(fnv1a(s) & (m->cap - 1));
    while (m->slot[i]) {
        if (strcmp(words[m->slot[i] - 1], s) == 0)
            return m->slot[i] - 1;
        i = (i + 1) & (m->cap - 1);
    }
    *where = i;
    return SIZE_MAX;
}

/* Grow m to hold at least 2 n entries, re-inserting words[0..n). */
static int map_reserve(strmap *m, char *const *words, size_t n)
{
    if (m->cap >= 2 * (n + 1))
        return 0;
    size_t cap = m->cap ? m->cap : 64;
    while (cap < 2 * (n + 1))
        cap *= 2;
    size_t *slot = vem__calloc(cap, sizeof *slot);
    if (!slot)
        return -1;
    vem__free(m->slot);
    m->slot = slot;
    m->cap = cap;
    for (size_t j = 0; j < n; j++) {
        size_t where = 0;
        map_find(m, words, words[j], &where);
        m->slot[where] = j + 1;
    }
    return 0;
}

/* A growable list of owned strings. */
typedef struct strlist {
    char **s;
    size_t n, cap;
} strlist;

static int list_push(strlist *l, const char *s, size_t len)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 256;
        char **p = vem__realloc(l->s, cap * sizeof *p);
        if (!p)
            return -1;
        l->s = p;
        l->cap = cap;
    }
    char *c = vem__malloc(len + 1);
    if (!c)
        return -1;
    memcpy(c, s, len);
    c[len] = '\0';
    l->s[l->n++] = c;
    return 0;
}

static void list_free(strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        vem__free(l->s[i]);
    vem__free(l->s);
    memset(l, 0, sizeof *l);
}

vem_status vem_vocab_read(const char *path, vem_vocab *out)
{
    memset(out, 0, sizeof *out);
    FILE *f = open_read(path);
    if (!f)
        return VEM_EIO;
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t got;
    strlist l = {0};
    strmap m = {0};
    vem_status st = VEM_OK;
    while ((got = getline(&line, &cap, f)) >= 0) {
        lineno++;
        size_t len = (size_t)got;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0) {
            int c;
            while ((c = fgetc(f)) != EOF)
                if (!isspace(c)) {
                    st = VEM_FAIL(VEM_EFORMAT, "%s:%zu: empty line (word %zu)", path, lineno,
                                  lineno);
                    goto done;
                }
            break;
        }
        for (size_t i = 0; i < len; i++)
            if (isspace((unsigned char)line[i]) || line[i] == '\0') {
                st = VEM_FAIL(VEM_EFORMAT, "%s:%zu: a word may not contain whitespace", path,
                              lineno);
                goto done;
            }
        if (map_reserve(&m, l.s, l.n) != 0) {
            st = VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
            goto done;
        }
        size_t where = 0, prev = map_find(&m, l.s, line, &where);
        if (prev != SIZE_MAX) {
            st = VEM_FAIL(VEM_EFORMAT, "%s:%zu: word '%.40s' repeats line %zu", path, lineno, line,
                          prev + 1);
            goto done;
        }
        if (list_push(&l, line, len) != 0) {
            st = VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
            goto done;
        }
        m.slot[where] = l.n;
    }
    if (ferror(f)) {
        st = VEM_FAIL(VEM_EIO, "%s: read error", path);
        goto done;
    }
    if (l.n == 0) {
        st = VEM_FAIL(VEM_EFORMAT, "%s: empty vocabulary", path);
        goto done;
    }
    out->words = l.s;
    out->n = l.n;
    l.s = NULL;
    l.n = 0;
done:
    list_free(&l);
    vem__free(m.slot);
    free(line);
    fclose(f);
    return st;
}

/* v's words, one a line, to f; non-zero on a write error. */
static int vocab_to(const vem_vocab *v, FILE *f)
{
    for (size_t i = 0; i < v->n; i++)
        if (fprintf(f, "%s\n", v->words[i]) < 0)
            return 1;
    return ferror(f);
}

vem_status vem_vocab_write(const vem_vocab *v, const char *path)
{
    char *tmp = NULL;
    FILE *f = vem__atomic_open(path, &tmp);
    if (!f)
        return vem__last_status();
    return vem__atomic_commit(f, tmp, path, vocab_to(v, f));
}

/* ------------------------------------------------------------ a corpus as one unit */

/*
 * vem_corpus_write (docs/formats.md, "Corpus files and atomic writes"):
 * PREFIX.docword.txt -> B.corpus/docword.txt and PREFIX.vocab.txt ->
 * B.corpus/vocab.txt are symbolic links (B the prefix's last component), and
 * PREFIX.corpus -> B.corpus.XXXXXX names the generation directory holding the
 * pair. A new pair goes into a new generation, synced, and is committed by
 * renaming a new PREFIX.corpus link over the old one: both names switch at once.
 */

static char *cat3(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
    char *s = vem__malloc(n);
    if (s)
        snprintf(s, n, "%s%s%s", a, b, c);
    return s;
}

/* The target of the symbolic link path (malloc'd), or NULL (not a link, or an error). */
static char *read_link(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) != 0 || !S_ISLNK(sb.st_mode))
        return NULL;
    size_t cap = (size_t)sb.st_size + 2;
    char *t = vem__malloc(cap);
    if (!t)
        return NULL;
    ssize_t n = readlink(path, t, cap);
    if (n < 0 || (size_t)n >= cap) {
        vem__free(t);
        return NULL;
    }
    t[n] = '\0';
    return t;
}

static int link_is(const char *path, const char *target)
{
    char *t = read_link(path);
    int same = t && strcmp(t, target) == 0;
    vem__free(t);
    return same;
}

/* Make path a symbolic link to target atomically: a new link renamed over path. */
static vem_status put_link(const char *path, const char *target)
{
    char mid[48];
    snprintf(mid, sizeof mid, ".vem-tmp.%ld.XXXXXX", (long)getpid());
    char *t = cat3(path, mid, "");
    if (!t)
        return VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
    sigset_t old;
    vem__signals_hold(&old); /* until the name is registered */
    int fd = mkstemp(t);     /* reserves a fresh name, which the link then takes */
    int e = errno;
    if (fd >= 0) {
        close(fd);
        unlink(t);
        if (symlink(target, t) != 0)
            fd = -1, e = errno;
    }
    if (fd >= 0)
        vem__tmp_register(t, 0);
    vem__signals_release(&old);
    if (fd >= 0) {
        if (rename(t, path) != 0) {
            fd = -1, e = errno;
            unlink(t);
        }
        vem__tmp_forget(t);
    }
    vem__free(t);
    return fd < 0 ? VEM_FAIL(VEM_EIO, "%s: %s", path, strerror(e)) : VEM_OK;
}

/* Write gen/name (a new file, registered until the commit) with fn, synced. */
static vem_status gen_file(const char *gen, const char *name, const vem_docs *d,
                           const vem_vocab *v, const char *what)
{
    char *p = cat3(gen, "/", name);
    if (!p)
        return VEM_FAIL(VEM_ENOMEM, "%s: out of memory", what);
    int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    int e = errno;
    if (f) {
        vem__tmp_register(p, 0);
        int bad = d ? uci_to(d, f) : vocab_to(v, f);
        bad = bad || fflush(f) != 0 || fsync(fileno(f)) != 0;
        e = bad ? errno : 0;
        bad = fclose(f) != 0 || bad;
        if (bad && !e)
            e = errno ? errno : EIO;
        if (!bad)
            e = 0;
    } else if (fd >= 0) {
        close(fd);
    }
    vem__free(p);
    return e ? VEM_FAIL(VEM_EIO, "%s: %s", what, strerror(e)) : VEM_OK;
}

/* Remove generation gen (its two files, then the directory; best effort). */
static void gen_remove(const char *gen, int forget)
{
    static const char *const names[] = {"/docword.txt", "/vocab.txt"};
    for (int i = 0; i < 2; i++) {
        char *p = cat3(gen, names[i], "");
        if (p) {
            unlink(p);
            if (forget)
                vem__tmp_forget(p);
        }
        vem__free(p);
    }
    rmdir(gen);
    if (forget)
        vem__tmp_forget(gen);
}

static void gen_forget(const char *gen)
{
    static const char *const names[] = {"/docword.txt", "/vocab.txt"};
    for (int i = 0; i < 2; i++) {
        char *p = cat3(gen, names[i], "");
        if (p)
            vem__tmp_forget(p);
        vem__free(p);
    }
    vem__tmp_forget(gen);
}

static void sync_path(const char *p)
{
    int fd = open(p, O_RDONLY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

/* A new generation directory DIR/B.corpus.XXXXXX, registered; NULL on failure. */
static char *gen_new(const char *dir, const char *base)
{
    char *g = cat3(dir, base, ".corpus.XXXXXX");
    if (!g) {
        VEM_FAIL(VEM_ENOMEM, "%s: out of memory", base);
        return NULL;
    }
    sigset_t old;
    vem__signals_hold(&old); /* until the directory is registered */
    if (!mkdtemp(g)) {
        int e = errno;
        vem__signals_release(&old);
        g[strlen(g) - 7] = '\0'; /* the name without ".XXXXXX" */
        VEM_FAIL(VEM_EIO, "%s: cannot create: %s", g, strerror(e));
        vem__free(g);
        return NULL;
    }
    vem__tmp_register(g, 1);
    vem__signals_release(&old);
    (void)chmod(g, 0755); /* mkdtemp makes it 0700; an output is as readable as a file */
    return g;
}

/* Copy file from into the new file to (synced); hard link first. */
static vem_status copy_into(const char *from, const char *to)
{
    struct stat sb;
    if (lstat(from, &sb) == 0 && S_ISREG(sb.st_mode) && link(from, to) == 0)
        return VEM_OK;
    FILE *in = fopen(from, "rb");
    if (!in)
        return VEM_FAIL(VEM_EIO, "%s: %s", from, strerror(errno));
    int fd = open(to, O_WRONLY | O_CREAT | O_EXCL, 0644);
    FILE *out = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!out) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        fclose(in);
        return VEM_FAIL(VEM_EIO, "%s: %s", to, strerror(e));
    }
    char buf[65536];
    size_t n;
    int bad = 0;
    while (!bad && (n = fread(buf, 1, sizeof buf, in)) > 0)
        bad = fwrite(buf, 1, n, out) != n;
    bad = bad || ferror(in) || fflush(out) != 0 || fsync(fileno(out)) != 0;
    bad = (fclose(out) != 0) || bad;
    fclose(in);
    return bad ? VEM_FAIL(VEM_EIO, "%s: write error", to) : VEM_OK;
}

/* name is B.corpus.XXXXXX (six letters or digits). */
static int gen_name_of(const char *name, const char *base)
{
    size_t b = strlen(base);
    if (strncmp(name, base, b) != 0 || strncmp(name + b, ".corpus.", 8) != 0)
        return 0;
    name += b + 8;
    for (int i = 0; i < 6; i++)
        if (!isalnum((unsigned char)name[i]))
            return 0;
    return name[6] == '\0';
}

/* Remove the generations of base but keep: old, and those older than this process's first output. */
static void gen_sweep(const char *dir, const char *base, const char *keep, const char *old)
{
    DIR *dd = opendir(*dir ? dir : ".");
    if (!dd)
        return;
    struct dirent *e;
    while ((e = readdir(dd)) != NULL) {
        if (strcmp(e->d_name, keep) == 0 || !gen_name_of(e->d_name, base))
            continue;
        char *full = cat3(dir, e->d_name, "");
        struct stat sb;
        if (full && lstat(full, &sb) == 0 && S_ISDIR(sb.st_mode) &&
            ((old && strcmp(old, e->d_name) == 0) || vem__older_than_epoch(&sb)))
            gen_remove(full, 0);
        vem__free(full);
    }
    closedir(dd);
}

vem_status vem_corpus_write(const vem_docs *d, const vem_vocab *v, const char *prefix)
{
    if (!d || !v || !prefix || !*prefix)
        return VEM_FAIL(VEM_EINVAL, "vem_corpus_write: %s is NULL or empty",
                        !d ? "docs" : !v ? "vocab" : "prefix");
    if (v->n != d->nvocab)
        return VEM_FAIL(VEM_EINVAL, "%s: %zu words in the vocabulary, %zu in the corpus", prefix,
                        v->n, d->nvocab);
    (void)vem__output_epoch();
    vem_status st = VEM_OK;
    char *dir = vem__dir_of(prefix);
    const char *base = vem__base_of(prefix);
    char *docword = cat3(prefix, ".docword.txt", ""), *vocab = cat3(prefix, ".vocab.txt", "");
    char *pointer = cat3(prefix, ".corpus", "");
    char *doc_target = cat3(base, ".corpus/docword.txt", "");
    char *vocab_target = cat3(base, ".corpus/vocab.txt", "");
    char *gen = NULL, *old = NULL;
    if (!dir || !docword || !vocab || !pointer || !doc_target || !vocab_target) {
        st = VEM_FAIL(VEM_ENOMEM, "%s: out of memory", prefix);
        goto done;
    }
    vem__clean_stale(pointer);
    vem__clean_stale(docword);
    vem__clean_stale(vocab);
    struct stat sb;
    if (lstat(pointer, &sb) == 0 && !S_ISLNK(sb.st_mode)) {
        st = VEM_FAIL(VEM_EIO, "%s: exists and is not the link vem makes (docs/formats.md)",
                      pointer);
        goto done;
    }
    /* 1. The new generation, whole and synced. */
    if (!(gen = gen_new(dir, base))) {
        st = vem__last_status();
        goto done;
    }
    if ((st = gen_file(gen, "docword.txt", d, NULL, docword)) != VEM_OK ||
        (st = gen_file(gen, "vocab.txt", NULL, v, vocab)) != VEM_OK) {
        gen_remove(gen, 1);
        goto done;
    }
    sync_path(gen);
    /* 2. The two names as links through PREFIX.corpus; files of another layout are first
     *    moved into a generation of their own, so that the names keep their contents. */
    old = read_link(pointer);
    if (!link_is(docword, doc_target) || !link_is(vocab, vocab_target)) {
        int had_doc = lstat(docword, &sb) == 0, had_voc = lstat(vocab, &sb) == 0;
        if (had_doc || had_voc) {
            char *g0 = gen_new(dir, base), *p = NULL;
            st = g0 ? VEM_OK : vem__last_status();
            if (st == VEM_OK && had_doc && (p = cat3(g0, "/docword.txt", "")) != NULL)
                st = copy_into(docword, p);
            vem__free(p);
            p = NULL;
            if (st == VEM_OK && had_voc && (p = cat3(g0, "/vocab.txt", "")) != NULL)
                st = copy_into(vocab, p);
            vem__free(p);
            if (st == VEM_OK) {
                sync_path(g0);
                gen_forget(g0);
                st = put_link(pointer, vem__base_of(g0));
            }
            if (st != VEM_OK) {
                if (g0)
                    gen_remove(g0, 1);
                vem__free(g0);
                gen_remove(gen, 1);
                goto done;
            }
            vem__free(old);
            old = vem__strdup(vem__base_of(g0));
            vem__free(g0);
        }
        if ((st = put_link(docword, doc_target)) != VEM_OK ||
            (st = put_link(vocab, vocab_target)) != VEM_OK) {
            gen_remove(gen, 1);
            goto done;
        }
    }
    /* 3. The commit: PREFIX.corpus names the new generation. Forgotten first: a signal
     *    after the rename must not remove what is now the corpus. */
    gen_forget(gen);
    if ((st = put_link(pointer, vem__base_of(gen))) != VEM_OK) {
        gen_remove(gen, 0);
        goto done;
    }
    vem__sync_dir(pointer);
    /* 4. The old generation (first, registered so that a signal now removes it too), then
     *    stale ones. */
    if (old && !strchr(old, '/') && gen_name_of(old, base)) {
        char *og = cat3(dir, old, "");
        if (og) {
            static const char *const names[] = {"/docword.txt", "/vocab.txt"};
            vem__tmp_register(og, 1);
            for (int i = 0; i < 2; i++) {
                char *p = cat3(og, names[i], "");
                if (p)
                    vem__tmp_register(p, 0);
                vem__free(p);
            }
            gen_remove(og, 1);
        }
        vem__free(og);
    }
    gen_sweep(dir, base, vem__base_of(gen), old && !strchr(old, '/') ? old : NULL);
done:
    vem__free(old);
    vem__free(gen);
    vem__free(vocab_target);
    vem__free(doc_target);
    vem__free(pointer);
    vem__free(vocab);
    vem__free(docword);
    vem__free(dir);
    return st;
}

/* ------------------------------------------------------------ building from text */

void vem_corpus_opts_init(vem_corpus_opts *o)
{
    memset(o, 0, sizeof *o);
    o->min_len = 2;
    o->min_df = 1;
    o->max_df = 1.0;
}

/* Tokeniser state shared by the documents of one build. */
typedef struct builder {
    const vem_corpus_opts *o;
    strlist stop;
    strmap stopmap;
    strlist words; /* every kept word seen (no vocabulary), or the vocabulary's words */
    strmap wordmap;
    triples tr;
    size_t ndocs;
    int fixed; /* words come from o->vocab */
    char *tok;
    size_t tokcap;
} builder;

static size_t lookup(const strmap *m, char *const *words, const char *s)
{
    if (!m->cap)
        return SIZE_MAX;
    size_t where;
    return map_find(m, words, s, &where);
}

/* Add the token tok (lowercase, NUL-terminated) to document b->ndocs. */
static vem_status add_token(builder *b, const char *tok, size_t len)
{
    if (len < b->o->min_len)
        return VEM_OK;
    if (lookup(&b->stopmap, b->stop.s, tok) != SIZE_MAX)
        return VEM_OK;
    size_t where = 0, id = SIZE_MAX;
    if (b->wordmap.cap)
        id = map_find(&b->wordmap, b->words.s, tok, &where);
    if (id == SIZE_MAX) {
        if (b->fixed)
            return VEM_OK;
        if (b->words.n >= UINT32_MAX - 1)
            return VEM_FAIL(VEM_EINVAL, "corpus: more than 2^32 distinct words");
        if (map_reserve(&b->wordmap, b->words.s, b->words.n) != 0)
            return VEM_FAIL(VEM_ENOMEM, "corpus: out of memory");
        map_find(&b->wordmap, b->words.s, tok, &where);
        if (list_push(&b->words, tok, len) != 0)
            return VEM_FAIL(VEM_ENOMEM, "corpus: out of memory");
        id = b->words.n - 1;
        b->wordmap.slot[where] = b->words.n;
    }
    if (triples_push(&b->tr, b->ndocs, (uint32_t)id, 1.0) != 0)
        return VEM_FAIL(VEM_ENOMEM, "corpus: out of memory");
    return VEM_OK;
}

/* Tokenise text[0..n) into the current document. */
static vem_status add_text(builder *b, const char *text, size_t n)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && !isalpha((unsigned char)text[i]) )
            i++;
        size_t j = i;
        while (j < n && isalpha((unsigned char)text[j]) && (unsigned char)text[j] < 128)
            j++;
        if (j > i) {
            size_t len = j - i;
            if (len + 1 > b->tokcap) {
                char *p = vem__realloc(b->tok, len + 1);
                if (!p)
                    return VEM_FAIL(VEM_ENOMEM, "corpus: out of memory");
                b->tok = p;
                b->tokcap = len + 1;
            }
            for (size_t c = 0; c < len; c++)
                b->tok[c] = (char)tolower((unsigned char)text[i + c]);
            b->tok[len] = '\0';
            vem_status st = add_token(b, b->tok, len);
            if (st != VEM_OK)
                return st;
        }
        i = j > i ? j : i + 1;
    }
    return VEM_OK;
}

static vem_status read_stopwords(builder *b, const char *path)
{
    FILE *f = open_read(path);
    if (!f)
        return VEM_EIO;
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    vem_status st = VEM_OK;
    while ((got = getline(&line, &cap, f)) >= 0) {
        char *h = strchr(line, '#');
        if (h)
            *h = '\0';
        char *s = line;
        while (*s && isspace((unsigned char)*s))
            s++;
        size_t len = 0;
        while (s[len] && !isspace((unsigned char)s[len])) {
            s[len] = (char)tolower((unsigned char)s[len]);
            len++;
        }
        s[len] = '\0';
        if (len == 0 || lookup(&b->stopmap, b->stop.s, s) != SIZE_MAX)
            continue;
        size_t where = 0;
        if (map_reserve(&b->stopmap, b->stop.s, b->stop.n) != 0 ||
            (map_find(&b->stopmap, b->stop.s, s, &where), list_push(&b->stop, s, len) != 0)) {
            st = VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
            break;
        }
        b->stopmap.slot[where] = b->stop.n;
    }
    free(line);
    fclose(f);
    return st;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read a whole file into *buf (NUL-terminated); *n its length. */
static vem_status slurp(const char *path, char **buf, size_t *n)
{
    FILE *f = open_read(path);
    if (!f)
        return VEM_EIO;
    size_t cap = 4096, len = 0;
    char *p = vem__malloc(cap);
    while (p) {
        size_t got = fread(p + len, 1, cap - len - 1, f);
        len += got;
        if (len + 1 < cap)
            break;
        char *q = vem__realloc(p, 2 * cap);
        if (!q) {
            vem__free(p);
            p = NULL;
            break;
        }
        p = q;
        cap *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (!p)
        return VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
    if (bad) {
        vem__free(p);
        return VEM_FAIL(VEM_EIO, "%s: read error", path);
    }
    p[len] = '\0';
    *buf = p;
    *n = len;
    return VEM_OK;
}

static vem_status read_documents(builder *b, const char *path)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return VEM_FAIL(VEM_EIO, "%s: cannot open: %s", path, strerror(errno));
    vem_status st = VEM_OK;
    if (S_ISDIR(sb.st_mode)) {
        DIR *dir = opendir(path);
        if (!dir)
            return VEM_FAIL(VEM_EIO, "%s: cannot open: %s", path, strerror(errno));
        strlist names = {0};
        struct dirent *e;
        while ((e = readdir(dir)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            if (list_push(&names, e->d_name, strlen(e->d_name)) != 0) {
                closedir(dir);
                list_free(&names);
                return VEM_FAIL(VEM_ENOMEM, "corpus: out of memory");
            }
        }
        closedir(dir);
        qsort(names.s, names.n, sizeof *names.s, cmp_str);
        for (size_t i = 0; i < names.n && st == VEM_OK; i++) {
            size_t plen = strlen(path) + strlen(names.s[i]) + 2;
            char *full = vem__malloc(plen);
            if (!full) {
                st = VEM_FAIL(VEM_ENOMEM, "corpus: out of memory");
                break;
            }
            snprintf(full, plen, "%s/%s", path, names.s[i]);
            struct stat fs;
            if (stat(full, &fs) == 0 && S_ISREG(fs.st_mode)) {
                char *text = NULL;
                size_t n = 0;
                st = slurp(full, &text, &n);
                if (st == VEM_OK) {
                    st = add_text(b, text, n);
                    b->ndocs++;
                }
                vem__free(text);
            }
            vem__free(full);
        }
        list_free(&names);
    } else {
        FILE *f = open_read(path);
        if (!f)
            return VEM_EIO;
        char *line = NULL;
        size_t cap = 0;
        ssize_t got;
        while (st == VEM_OK && (got = getline(&line, &cap, f)) >= 0) {
            st = add_text(b, line, (size_t)got);
            b->ndocs++;
        }
        if (st == VEM_OK && ferror(f))
            st = VEM_FAIL(VEM_EIO, "%s: read error", path);
        free(line);
        fclose(f);
    }
    if (st == VEM_OK && b->ndocs == 0)
        st = VEM_FAIL(VEM_EFORMAT, "%s: no documents", path);
    return st;
}

vem_status vem_corpus_build(const char *path, const vem_corpus_opts *o, vem_docs_owned *docs,
                            vem_vocab *vocab)
{
    vem_corpus_opts defaults;
    if (!o) {
        vem_corpus_opts_init(&defaults);
        o = &defaults;
    }
    memset(docs, 0, sizeof *docs);
    memset(vocab, 0, sizeof *vocab);
    if (!(o->max_df > 0.0) || o->max_df > 1.0)
        return VEM_FAIL(VEM_EINVAL, "corpus: max_df=%g must be in (0, 1]", o->max_df);
    builder b;
    memset(&b, 0, sizeof b);
    b.o = o;
    vem_status st = VEM_OK;
    vem_docs_owned raw = {0};
    size_t *df = NULL, *remap = NULL;
    if (o->stopwords && (st = read_stopwords(&b, o->stopwords)) != VEM_OK)
        goto done;
    if (o->vocab) {
        b.fixed = 1;
        for (size_t i = 0; i < o->vocab->n; i++) {
            size_t where = 0;
            if (map_reserve(&b.wordmap, b.words.s, b.words.n) != 0 ||
                map_find(&b.wordmap, b.words.s, o->vocab->words[i], &where) != SIZE_MAX ||
                list_push(&b.words, o->vocab->words[i], strlen(o->vocab->words[i])) != 0) {
                st = VEM_FAIL(VEM_EINVAL, "corpus: vocabulary word %zu repeated or no memory",
                              i + 1);
                goto done;
            }
            b.wordmap.slot[where] = b.words.n;
        }
    }
    if ((st = read_documents(&b, path)) != VEM_OK)
        goto done;
    if ((st = build_csr(&b.tr, b.ndocs, b.words.n ? b.words.n : 1, &raw)) != VEM_OK)
        goto done;
    if (b.fixed) {
        *docs = raw;
        memset(&raw, 0, sizeof raw);
        vocab->words = b.words.s;
        vocab->n = b.words.n;
        b.words.s = NULL;
        b.words.n = 0;
        goto done;
    }
    /* Document-frequency filters, then the kept words in byte order. */
    df = vem__calloc(b.words.n + 1, sizeof *df);
    remap = vem__calloc(b.words.n + 1, sizeof *remap);
    if (!df || !remap) {
        st = VEM_FAIL(VEM_ENOMEM, "corpus: out of memory");
        goto done;
    }
    for (size_t i = 0; i < raw.ptr[raw.ndocs]; i++)
        df[raw.word[i]]++;
    const double maxdf = o->max_df * (double)raw.ndocs;
    strlist kept = {0};
    for (size_t w = 0; w < b.words.n; w++)
        if (df[w] >= o->min_df && (double)df[w] <= maxdf)
            if (list_push(&kept, b.words.s[w], strlen(b.words.s[w])) != 0) {
                list_free(&kept);
                st = VEM_FAIL(VEM_ENOMEM, "corpus: out of memory");
                goto done;
            }
    if (kept.n == 0) {
        list_free(&kept);
        st = VEM_FAIL(VEM_EFORMAT, "%s: no word passes the filters (min_df %zu, max_df %g)", path,
                      o->min_df, o->max_df);
        goto done;
    }
    qsort(kept.s, kept.n, sizeof *kept.s, cmp_str);
    for (size_t w = 0; w < b.words.n; w++)
        remap[w] = SIZE_MAX;
    for (size_t j = 0; j < kept.n; j++)
        remap[lookup(&b.wordmap, b.words.s, kept.s[j])] = j;
    b.tr.n = 0;
    for (size_t d = 0; d < raw.ndocs; d++)
        for (size_t i = raw.ptr[d]; i < raw.ptr[d + 1]; i++)
            if (remap[raw.word[i]] != SIZE_MAX &&
                triples_push(&b.tr, d, (uint32_t)remap[raw.word[i]], raw.count[i]) != 0) {
                list_free(&kept);
                st = VEM_FAIL(VEM_ENOMEM, "corpus: out of memory");
                goto done;
            }
    st = build_csr(&b.tr, raw.ndocs, kept.n, docs);
    if (st == VEM_OK) {
        vocab->words = kept.s;
        vocab->n = kept.n;
    } else {
        list_free(&kept);
    }
done:
    vem__free(df);
    vem__free(remap);
    vem_docs_owned_clear(&raw);
    list_free(&b.stop);
    vem__free(b.stopmap.slot);
    list_free(&b.words);
    vem__free(b.wordmap.slot);
    vem__free(b.tr.t);
    vem__free(b.tok);
    return st;
}
