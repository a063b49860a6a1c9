/*
 * src/io/csv.c — data tables: CSV/TSV text and raw float64 files.
 *
 * The CSV reader streams the file through one large buffer (lines are handled
 * as soon as they are complete), splits each line into cell spans that point
 * into that buffer, and parses only the selected cells straight into the
 * growing row-major data array: no allocation per line or per cell. The
 * tokenizer (delimiter, quotes, header, columns, numbers) is shared with the
 * text-cell reader of src/io/seqio.c through src/io/csv_internal.h.
 *
 * Numbers: a cell with at most 19 significant digits and a decimal exponent
 * within +-27 is converted exactly with 128-bit integer arithmetic (see
 * parse_number); everything else goes to strtod under a "C" locale installed
 * for this thread only (newlocale/uselocale), so the result never depends on
 * the process locale and is always strtod's correctly rounded double.
 */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <vem/fit.h>
#include <vem/io.h>

#include "core/comm_internal.h"
#include "internal.h"
#include "io/csv_internal.h"

/* 4 MiB: large enough that fread and memchr run at memory speed, small
 * enough not to matter next to the data. Grows only for longer lines. */
#define READ_CHUNK ((size_t)1 << 22)
/* Bytes of a bad cell quoted in an error message. */
#define SHOW_MAX 40

__extension__ typedef unsigned __int128 u128;

/* 5^0 .. 5^27; 5^27 < 2^63, so every entry fits a 64-bit divisor and
 * m * 5^k fits 128 bits for any 64-bit m. */
static const uint64_t pow5[28] = {
    1ULL,
    5ULL,
    25ULL,
    125ULL,
    625ULL,
    3125ULL,
    15625ULL,
    78125ULL,
    390625ULL,
    1953125ULL,
    9765625ULL,
    48828125ULL,
    244140625ULL,
    1220703125ULL,
    6103515625ULL,
    30517578125ULL,
    152587890625ULL,
    762939453125ULL,
    3814697265625ULL,
    19073486328125ULL,
    95367431640625ULL,
    476837158203125ULL,
    2384185791015625ULL,
    11920928955078125ULL,
    59604644775390625ULL,
    298023223876953125ULL,
    1490116119384765625ULL,
    7450580596923828125ULL,
};

enum { NUM_OK, NUM_BAD, NUM_NONFINITE, NUM_RANGE, NUM_NOMEM };

typedef vem__csv_cell cell;

typedef struct reader {
    vem__csv_tok tok; /* delimiter, header, columns, the current line's cells */
    size_t blank;     /* first line of a run of blank lines not yet followed by data, 0 if none */
    double *data;
    size_t rows, rows_cap;
    /* Streaming (vem__csv_stream): rows go to the sink in chunks instead of piling up. */
    vem__csv_sink sink;
    void *sink_ctx;
    size_t flushed; /* rows already given to the sink */
} reader;

/* Rows handed to a sink at a time. */
#define SINK_ROWS 65536

void vem_table_clear(vem_table *t)
{
    if (!t)
        return;
    if (t->names) {
        for (size_t j = 0; j < t->cols; j++)
            vem__free(t->names[j]);
        vem__free(t->names);
    }
    vem__free(t->data);
    memset(t, 0, sizeof *t);
}

vem_matrix vem_table_matrix(const vem_table *t)
{
    return vem_matrix_view(t->data, t->rows, t->cols);
}

void vem_csv_opts_init(vem_csv_opts *o)
{
    o->header = -1;
    o->delim = 0;
    o->columns = NULL;
}

/* strerror through the XSI strerror_r, because strerror may share one
 * static buffer between threads. */
static vem_status fail_errno(const char *path, int err)
{
    char msg[128];
    if (strerror_r(err, msg, sizeof msg) != 0)
        snprintf(msg, sizeof msg, "error %d", err);
    return VEM_FAIL(VEM_EIO, "%s: %s", path, msg);
}

/* ---- the tokenizer ---------------------------------------------------- */

static void free_names(char **names, size_t n)
{
    if (!names)
        return;
    for (size_t j = 0; j < n; j++)
        vem__free(names[j]);
    vem__free(names);
}

vem_status vem__csv_tok_init(vem__csv_tok *tk, const char *path, const vem_csv_opts *o)
{
    memset(tk, 0, sizeof *tk);
    if (o->header < -1 || o->header > 1)
        return VEM_FAIL(VEM_EINVAL, "%s: header option %d (want -1, 0 or 1)", path, o->header);
    if (o->delim == '"' || o->delim == ' ' || o->delim == '\n' || o->delim == '\r')
        return VEM_FAIL(VEM_EINVAL, "%s: delimiter %d cannot be used", path, o->delim);
    /* The "C" numeric locale for this thread only; other threads keep theirs. */
    tk->cloc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    if (!tk->cloc)
        return VEM_FAIL(VEM_ENOMEM, "%s: cannot create the C locale", path);
    tk->old_loc = uselocale(tk->cloc);
    tk->path = path;
    tk->delim = o->delim;
    tk->header = -1;
    return VEM_OK;
}

void vem__csv_tok_clear(vem__csv_tok *tk)
{
    if (tk->cloc) {
        uselocale(tk->old_loc);
        freelocale(tk->cloc);
    }
    vem__free(tk->cells);
    vem__free(tk->sel);
    vem__free(tk->tmp);
    free_names(tk->names, tk->nsel);
    memset(tk, 0, sizeof *tk);
}

/* ---- numbers ----------------------------------------------------------- */

static int clz128(u128 x)
{
    uint64_t hi = (uint64_t)(x >> 64);
    return hi ? __builtin_clzll(hi) : 64 + __builtin_clzll((uint64_t)x);
}

/*
 * The double nearest (q + f) * 2^e2, ties to even, where q > 0 is an integer
 * and 0 <= f < 1 a fraction known only by whether it is non-zero (sticky).
 * Exact: q is cut to 53 bits with the usual round/sticky test. The callers
 * stay within about 1e-46 .. 1e47, far inside the normal range, so the bits
 * are assembled directly (ldexp was a tenth of the reading time).
 */
static double round_to_double(u128 q, int sticky, int e2)
{
    int nb = 128 - clz128(q);
    uint64_t keep;
    if (nb <= 53) {
        keep = (uint64_t)q << (53 - nb); /* exact; sticky is 0 here */
        e2 -= 53 - nb;
    } else {
        int sh = nb - 53;
        keep = (uint64_t)(q >> sh);
        u128 low = q & (((u128)1 << sh) - 1);
        u128 half = (u128)1 << (sh - 1);
        if (low > half || (low == half && (sticky || (keep & 1))))
            keep++;
        e2 += sh;
        if (keep >> 53) { /* rounded up to 2^53 */
            keep >>= 1;
            e2++;
        }
    }
    /* keep is in [2^52, 2^53): value = keep * 2^e2 = 1.f * 2^(e2 + 52). */
    uint64_t bits = ((uint64_t)(e2 + 52 + 1023) << 52) | (keep & (((uint64_t)1 << 52) - 1));
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

/* The general case: strtod, under the thread's "C" locale set by vem__csv_tok_init. */
static int parse_slow(vem__csv_tok *tk, const char *p, size_t n, double *out)
{
    /* strtod skips leading white space of its own; a cell must not start with any. */
    if (n == 0 || *p == ' ' || *p == '\t' || *p == '\n' || *p == '\v' || *p == '\f' ||
        *p == '\r')
        return NUM_BAD;
    if (n + 1 > tk->tmp_cap) {
        size_t cap = vem__max(n + 1, 2 * tk->tmp_cap);
        char *b = vem__realloc(tk->tmp, cap);
        if (!b)
            return NUM_NOMEM;
        tk->tmp = b;
        tk->tmp_cap = cap;
    }
    memcpy(tk->tmp, p, n);
    tk->tmp[n] = '\0';
    char *end;
    double v = strtod(tk->tmp, &end);
    if (end != tk->tmp + n)
        return NUM_BAD;
    if (!isfinite(v)) {
        const char *s = tk->tmp + (*tk->tmp == '-' || *tk->tmp == '+');
        char c = (char)(*s | 0x20);
        return c == 'i' || c == 'n' ? NUM_NONFINITE : NUM_RANGE;
    }
    *out = v;
    return NUM_OK;
}

/*
 * Parse p[0..n) as a whole number. Fast path for [+-]digits[.digits][e[+-]digits]
 * with m, the significant digits as an integer, below 10^19 and value
 * m * 10^e10 with |e10| <= 27:
 *   e10 >= 0: m * 5^e10 < 2^64 * 2^63 is exact in 128 bits; times 2^e10.
 *   e10 < 0:  m / 5^k (k = -e10) is computed as the 128-bit quotient of
 *             (m shifted to bit 63) * 2^64 by 5^k, which has at least 65 bits,
 *             plus "remainder non-zero"; times 2^-k.
 * Either way round_to_double gets more than 54 exact bits and a correct sticky
 * bit, so the result is the correctly rounded double, i.e. strtod's. Anything
 * else (more digits, larger exponents, hex, nan, junk) goes to strtod.
 */
static int parse_number(vem__csv_tok *tk, const char *p, size_t n, double *out)
{
    const char *s = p, *e = p + n;
    int neg = 0;
    if (s < e && (*s == '-' || *s == '+')) {
        neg = *s == '-';
        s++;
    }
    uint64_t m = 0;
    int nd = 0, any = 0;
    long e10 = 0;
    for (; s < e && (unsigned)(*s - '0') < 10; s++) {
        unsigned d = (unsigned)(*s - '0');
        any = 1;
        if (m || d) {
            if (nd == 19)
                return parse_slow(tk, p, n, out);
            m = m * 10 + d;
            nd++;
        }
    }
    if (s < e && *s == '.') {
        for (s++; s < e && (unsigned)(*s - '0') < 10; s++) {
            unsigned d = (unsigned)(*s - '0');
            any = 1;
            e10--;
            if (m || d) {
                if (nd == 19)
                    return parse_slow(tk, p, n, out);
                m = m * 10 + d;
                nd++;
            }
        }
    }
    if (!any)
        return parse_slow(tk, p, n, out);
    if (s < e && (*s == 'e' || *s == 'E')) {
        int eneg = 0;
        long x = 0;
        s++;
        if (s < e && (*s == '-' || *s == '+')) {
            eneg = *s == '-';
            s++;
        }
        if (s == e || (unsigned)(*s - '0') >= 10)
            return parse_slow(tk, p, n, out);
        for (; s < e && (unsigned)(*s - '0') < 10; s++)
            if (x < 100000) /* far past any double; keeps x from overflowing */
                x = x * 10 + (*s - '0');
        e10 += eneg ? -x : x;
    }
    if (s != e)
        return parse_slow(tk, p, n, out);
    double v;
    if (m == 0) {
        v = 0.0;
    } else if (e10 >= 0 && e10 <= 27) {
        v = round_to_double((u128)m * pow5[e10], 0, (int)e10);
    } else if (e10 < 0 && e10 >= -27) {
        int k = (int)-e10, lz = __builtin_clzll(m);
        u128 num = (u128)(m << lz) << 64;
        u128 q = num / pow5[k];
        int sticky = num % pow5[k] != 0;
        v = round_to_double(q, sticky, -64 - lz - k);
    } else {
        return parse_slow(tk, p, n, out);
    }
    *out = neg ? -v : v;
    return NUM_OK;
}

/* ---- lines and cells --------------------------------------------------- */

static int is_space(const vem__csv_tok *tk, char c)
{
    return c == ' ' || (c == '\t' && tk->tab_is_space);
}

/* Split [s, e) into rd->tok.cells. Quoted cells may hold delimiters and "" pairs. */
vem_status vem__csv_split(vem__csv_tok *tk, const char *s, const char *e)
{
    size_t n = 0;
    const char *p = s;
    for (;;) {
        if (n == tk->cells_cap) {
            size_t cap = tk->cells_cap ? 2 * tk->cells_cap : 64;
            size_t bytes;
            cell *c;
            if (!vem__mul_ok(cap, sizeof *c, &bytes) || !(c = vem__realloc(tk->cells, bytes)))
                return VEM_FAIL(VEM_ENOMEM, "%s:%zu: out of memory for %zu cells", tk->path,
                                tk->line, cap);
            tk->cells = c;
            tk->cells_cap = cap;
        }
        cell *c = &tk->cells[n++];
        c->col = (size_t)(p - s) + 1;
        c->escaped = 0;
        while (p < e && is_space(tk, *p))
            p++;
        const char *a, *b;
        if (p < e && *p == '"') {
            const char *q = p + 1;
            for (;;) {
                q = memchr(q, '"', (size_t)(e - q));
                if (!q)
                    return VEM_FAIL(VEM_EFORMAT, "%s:%zu:%zu: unterminated quoted cell",
                                    tk->path, tk->line, c->col);
                if (q + 1 < e && q[1] == '"') {
                    c->escaped = 1;
                    q += 2;
                    continue;
                }
                break;
            }
            a = p + 1;
            b = q;
            for (p = q + 1; p < e && is_space(tk, *p); p++)
                ;
            if (p < e && *p != tk->delim)
                return VEM_FAIL(VEM_EFORMAT, "%s:%zu:%zu: text after the closing quote of a cell",
                                tk->path, tk->line, c->col);
        } else {
            a = p;
            p = memchr(p, tk->delim, (size_t)(e - p));
            if (!p)
                p = e;
            b = p;
        }
        /* Spaces inside quotes are trimmed too: " 3.5 " is a number. */
        while (a < b && is_space(tk, *a))
            a++;
        while (b > a && is_space(tk, b[-1]))
            b--;
        c->p = a;
        c->len = (size_t)(b - a);
        if (p == e)
            break;
        p++; /* the delimiter */
    }
    tk->ncells = n;
    return VEM_OK;
}

/* Parse one selected cell, or say precisely what is wrong with it. */
vem_status vem__csv_cell_number(vem__csv_tok *tk, const cell *c, double *out)
{
    int r = parse_number(tk, c->p, c->len, out);
    if (r == NUM_OK)
        return VEM_OK;
    if (r == NUM_NOMEM)
        return VEM_FAIL(VEM_ENOMEM, "%s:%zu:%zu: out of memory", tk->path, tk->line, c->col);
    if (c->len == 0)
        return VEM_FAIL(VEM_EFORMAT, "%s:%zu:%zu: empty cell", tk->path, tk->line, c->col);
    int show = (int)vem__min(c->len, SHOW_MAX);
    const char *more = c->len > SHOW_MAX ? "..." : "";
    if (r == NUM_NONFINITE)
        return VEM_FAIL(VEM_EFORMAT, "%s:%zu:%zu: NaN or Inf not allowed: '%.*s%s'", tk->path,
                        tk->line, c->col, show, c->p, more);
    if (r == NUM_RANGE)
        return VEM_FAIL(VEM_EFORMAT, "%s:%zu:%zu: number out of range: '%.*s%s'", tk->path,
                        tk->line, c->col, show, c->p, more);
    char c0 = (char)(*c->p | 0x20);
    if (c0 >= 'a' && c0 <= 'z')
        return VEM_FAIL(VEM_EFORMAT,
                        "%s:%zu:%zu: not a number: '%.*s%s' (a text column? choose numeric "
                        "columns with --columns)",
                        tk->path, tk->line, c->col, show, c->p, more);
    return VEM_FAIL(VEM_EFORMAT, "%s:%zu:%zu: not a number: '%.*s%s'", tk->path, tk->line,
                    c->col, show, c->p, more);
}

/* Delimiter of the first line: the first of ',', tab, ';' found outside quotes. */
static char detect_delim(const char *s, const char *e)
{
    int inq = 0, seen_tab = 0, seen_semi = 0;
    for (const char *p = s; p < e; p++) {
        if (*p == '"')
            inq = !inq;
        else if (!inq && *p == ',')
            return ',';
        else if (!inq && *p == '\t')
            seen_tab = 1;
        else if (!inq && *p == ';')
            seen_semi = 1;
    }
    return seen_tab ? '\t' : seen_semi ? ';' : ',';
}

/* A malloc'd copy of a cell's text with "" pairs turned into one quote. */
char *vem__csv_cell_text(const cell *c)
{
    char *s = vem__malloc(c->len + 1);
    if (!s)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < c->len; i++) {
        s[k++] = c->p[i];
        if (c->escaped && c->p[i] == '"' && i + 1 < c->len && c->p[i + 1] == '"')
            i++;
    }
    s[k] = '\0';
    return s;
}

static char *index_name(size_t j)
{
    char b[24];
    snprintf(b, sizeof b, "%zu", j + 1);
    return vem__strdup(b);
}

/*
 * Resolve opts->columns against all column names into rd->tok.sel. A token equal
 * to a column name means that column even if it is all digits (a header may
 * have numeric names); otherwise an all-digit token is a 1-based index.
 */
static vem_status select_columns(vem__csv_tok *tk, const char *spec, char *const *all)
{
    size_t cap = 1;
    for (const char *q = spec; *q; q++)
        cap += *q == ',';
    tk->sel = vem__calloc(cap, sizeof *tk->sel);
    if (!tk->sel)
        return VEM_FAIL(VEM_ENOMEM, "%s: out of memory", tk->path);
    const char *p = spec;
    for (;;) {
        const char *q = strchr(p, ',');
        const char *a = p, *b = q ? q : p + strlen(p);
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        size_t len = (size_t)(b - a), j;
        if (len == 0)
            return VEM_FAIL(VEM_EINVAL, "%s: empty entry in the column list '%s'", tk->path,
                            spec);
        for (j = 0; j < tk->ncols; j++)
            if (strlen(all[j]) == len && memcmp(all[j], a, len) == 0)
                break;
        if (j == tk->ncols) {
            size_t k = 0, idx = 0;
            while (k < len && a[k] >= '0' && a[k] <= '9') {
                if (idx <= tk->ncols) /* saturate: any larger value is out of range anyway */
                    idx = idx * 10 + (size_t)(a[k] - '0');
                k++;
            }
            if (k < len)
                return VEM_FAIL(VEM_EFORMAT, "%s: no column '%.*s'", tk->path, (int)len, a);
            if (idx < 1 || idx > tk->ncols)
                return VEM_FAIL(VEM_EFORMAT, "%s: column %.*s out of range (file has %zu)",
                                tk->path, (int)len, a, tk->ncols);
            j = idx - 1;
        }
        tk->sel[tk->nsel++] = j;
        if (!q)
            break;
        p = q + 1;
    }
    return VEM_OK;
}

/* The first line fixes the delimiter, the column count, the header and the selection. */
vem_status vem__csv_first_line(vem__csv_tok *tk, const vem_csv_opts *o, int named_header,
                               const char *s, const char *e)
{
    if (!tk->delim)
        tk->delim = detect_delim(s, e);
    tk->tab_is_space = tk->delim != '\t';
    /* The column limit, counted before the cells are: delimiters outside quotes. */
    size_t ncols = 1;
    int quoted = 0;
    for (const char *q = s; q < e; q++) {
        quoted ^= *q == '"';
        ncols += !quoted && *q == tk->delim;
    }
    if (ncols > VEM_CSV_MAX_COLS)
        return VEM_FAIL(VEM_EFORMAT, "%s:%zu: %zu columns, more than the limit of %u", tk->path,
                        tk->line, ncols, (unsigned)VEM_CSV_MAX_COLS);
    vem_status st = vem__csv_split(tk, s, e);
    if (st != VEM_OK)
        return st;
    tk->ncols = tk->ncells;
    tk->header = o->header;
    if (tk->header < 0 && named_header && o->columns) {
        /* A column chosen by name needs a header: any token that is not an index. */
        for (const char *q = o->columns; *q && tk->header < 0; q++)
            if (*q != ',' && *q != ' ' && *q != '\t' && (*q < '0' || *q > '9'))
                tk->header = 1;
    }
    if (tk->header < 0) {
        /* An empty cell is no evidence either way: "1,,3" is a row with a hole. */
        tk->header = 0;
        for (size_t j = 0; j < tk->ncols && !tk->header; j++) {
            double v;
            int r = tk->cells[j].len ? parse_number(tk, tk->cells[j].p, tk->cells[j].len, &v)
                                     : NUM_OK;
            if (r == NUM_NOMEM)
                return VEM_FAIL(VEM_ENOMEM, "%s: out of memory", tk->path);
            tk->header = r == NUM_BAD;
        }
    }

    char **all = vem__calloc(tk->ncols, sizeof *all);
    if (!all)
        return VEM_FAIL(VEM_ENOMEM, "%s: out of memory for %zu columns", tk->path, tk->ncols);
    for (size_t j = 0; j < tk->ncols; j++) {
        all[j] = tk->header ? vem__csv_cell_text(&tk->cells[j]) : index_name(j);
        if (!all[j]) {
            free_names(all, tk->ncols);
            return VEM_FAIL(VEM_ENOMEM, "%s: out of memory", tk->path);
        }
    }
    if (o->columns) {
        st = select_columns(tk, o->columns, all);
    } else {
        tk->sel = vem__calloc(tk->ncols, sizeof *tk->sel);
        if (tk->sel) {
            for (size_t j = 0; j < tk->ncols; j++)
                tk->sel[j] = j;
            tk->nsel = tk->ncols;
        } else {
            st = VEM_FAIL(VEM_ENOMEM, "%s: out of memory", tk->path);
        }
    }
    if (st == VEM_OK) {
        tk->names = vem__calloc(tk->nsel, sizeof *tk->names);
        for (size_t k = 0; tk->names && k < tk->nsel; k++)
            if (!(tk->names[k] = vem__strdup(all[tk->sel[k]])))
                break;
        if (!tk->names || (tk->nsel && !tk->names[tk->nsel - 1]))
            st = VEM_FAIL(VEM_ENOMEM, "%s: out of memory", tk->path);
    }
    free_names(all, tk->ncols);
    return st;
}

vem_status vem__csv_row(vem__csv_tok *tk, const char *s, const char *e)
{
    vem_status st = vem__csv_split(tk, s, e);
    if (st != VEM_OK)
        return st;
    if (tk->ncells != tk->ncols) {
        /* Point at the first extra cell, or just past the end where a missing one should be. */
        size_t col = tk->ncells > tk->ncols ? tk->cells[tk->ncols].col : (size_t)(e - s) + 1;
        return VEM_FAIL(VEM_EFORMAT, "%s:%zu:%zu: row has %zu cells, expected %zu", tk->path,
                        tk->line, col, tk->ncells, tk->ncols);
    }
    return VEM_OK;
}

static vem_status data_row(reader *rd, const char *s, const char *e)
{
    vem_status st = vem__csv_row(&rd->tok, s, e);
    if (st != VEM_OK)
        return st;
    if (rd->rows == rd->rows_cap) {
        /* Doubling keeps the total copying linear; glibc moves large blocks by mremap. */
        /* The first block: 1024 rows, or fewer for wide rows (at most 16 MiB). */
        size_t first = vem__max(1, vem__min(1024, ((size_t)1 << 21) / vem__max(1, rd->tok.nsel)));
        size_t cap = rd->rows_cap ? 2 * rd->rows_cap : first, n;
        double *d;
        if (!vem__mul_ok(cap, rd->tok.nsel, &n) || !vem__mul_ok(n, sizeof *d, &n) ||
            !(d = vem__realloc(rd->data, n)))
            return VEM_FAIL(VEM_ENOMEM, "%s:%zu: out of memory for %zu rows", rd->tok.path,
                            rd->tok.line, cap);
        rd->data = d;
        rd->rows_cap = cap;
    }
    double *row = rd->data + rd->rows * rd->tok.nsel;
    for (size_t k = 0; k < rd->tok.nsel; k++) {
        st = vem__csv_cell_number(&rd->tok, &rd->tok.cells[rd->tok.sel[k]], &row[k]);
        if (st != VEM_OK)
            return st;
    }
    rd->rows++;
    if (rd->sink && rd->rows == SINK_ROWS) {
        st = rd->sink(rd->sink_ctx, rd->data, rd->rows, rd->tok.nsel);
        rd->flushed += rd->rows;
        rd->rows = 0;
    }
    return st;
}

/* One line without its '\n'. */
static vem_status handle_line(reader *rd, const vem_csv_opts *o, const char *s, const char *e)
{
    rd->tok.line++;
    if (e > s && e[-1] == '\r')
        e--;
    const char *p = s;
    while (p < e && (*p == ' ' || *p == '\t'))
        p++;
    if (p == e) {
        /* Blank: fine at the end of the file, an error once more data follows. */
        if (!rd->blank)
            rd->blank = rd->tok.line;
        return VEM_OK;
    }
    if (rd->blank)
        return VEM_FAIL(VEM_EFORMAT, "%s:%zu:1: blank line (only trailing blank lines are allowed)",
                        rd->tok.path, rd->blank);
    if (!rd->tok.ncols) {
        vem_status st = vem__csv_first_line(&rd->tok, o, 0, s, e);
        if (st != VEM_OK || rd->tok.header)
            return st;
    }
    return data_row(rd, s, e);
}

static vem_status read_stream(reader *rd, const vem_csv_opts *o, FILE *f)
{
    size_t cap = READ_CHUNK, len = 0;
    char *buf = vem__malloc(cap);
    if (!buf)
        return VEM_FAIL(VEM_ENOMEM, "%s: out of memory", rd->tok.path);
    vem_status st = VEM_OK;
    int first = 1;
    for (;;) {
        size_t got = fread(buf + len, 1, cap - len, f);
        int eof = got < cap - len;
        if (eof && ferror(f)) {
            st = fail_errno(rd->tok.path, errno);
            break;
        }
        len += got;
        char *p = buf, *end = buf + len;
        if (first && len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
            p += 3; /* UTF-8 byte order mark, as spreadsheets write */
        first = 0;
        char *nl;
        while (st == VEM_OK && (nl = memchr(p, '\n', (size_t)(end - p)))) {
            st = handle_line(rd, o, p, nl);
            p = nl + 1;
        }
        if (st != VEM_OK)
            break;
        if (eof) {
            if (p < end)
                st = handle_line(rd, o, p, end);
            break;
        }
        len = (size_t)(end - p);
        memmove(buf, p, len);
        if (len == cap) { /* one line longer than the buffer */
            char *b = cap <= SIZE_MAX / 2 ? vem__realloc(buf, 2 * cap) : NULL;
            if (!b) {
                st = VEM_FAIL(VEM_ENOMEM, "%s:%zu: out of memory for a long line", rd->tok.path,
                              rd->tok.line + 1);
                break;
            }
            buf = b;
            cap *= 2;
        }
    }
    vem__free(buf);
    if (st != VEM_OK)
        return st;
    if (!rd->tok.ncols)
        return VEM_FAIL(VEM_EFORMAT, "%s: empty file", rd->tok.path);
    if (!rd->rows && !rd->flushed)
        return VEM_FAIL(VEM_EFORMAT, "%s: header but no data rows", rd->tok.path);
    if (rd->sink && rd->rows) {
        vem_status st2 = rd->sink(rd->sink_ctx, rd->data, rd->rows, rd->tok.nsel);
        rd->flushed += rd->rows;
        rd->rows = 0;
        return st2;
    }
    return VEM_OK;
}

/* Lines (newlines) in bytes [0, end) of f; -1 on a read error. */
static long long count_lines(FILE *f, uint64_t end, char *buf, size_t cap)
{
    long long n = 0;
    if (fseeko(f, 0, SEEK_SET) != 0)
        return -1;
    while (end > 0) {
        size_t want = end < cap ? (size_t)end : cap;
        size_t got = fread(buf, 1, want, f);
        if (got == 0)
            return ferror(f) ? -1 : n;
        for (const char *p = buf, *e = buf + got; (p = memchr(p, '\n', (size_t)(e - p))); p++)
            n++;
        end -= got;
    }
    return n;
}

/*
 * The rows of the lines that start in bytes [begin, end) of f, after the
 * first line has set up rd (delimiter, header, columns).
 */
static vem_status read_range_lines(reader *rd, const vem_csv_opts *o, FILE *f, uint64_t start,
                                   uint64_t end)
{
    size_t cap = READ_CHUNK, len = 0;
    char *buf = vem__malloc(cap);
    if (!buf)
        return VEM_FAIL(VEM_ENOMEM, "%s: out of memory", rd->tok.path);
    vem_status st = VEM_OK;
    if (fseeko(f, (off_t)start, SEEK_SET) != 0) {
        st = fail_errno(rd->tok.path, errno);
        goto out;
    }
    uint64_t base = start; /* file offset of buf[0] */
    for (;;) {
        size_t got = fread(buf + len, 1, cap - len, f);
        int eof = got < cap - len;
        if (eof && ferror(f)) {
            st = fail_errno(rd->tok.path, errno);
            break;
        }
        len += got;
        char *p = buf, *e = buf + len, *nl;
        int done = 0;
        while (st == VEM_OK && !(done = base + (uint64_t)(p - buf) >= end) &&
               (nl = memchr(p, '\n', (size_t)(e - p)))) {
            st = handle_line(rd, o, p, nl);
            p = nl + 1;
        }
        if (st != VEM_OK || done)
            break;
        if (eof) {
            if (p < e)
                st = handle_line(rd, o, p, e);
            break;
        }
        base += (uint64_t)(p - buf);
        len = (size_t)(e - p);
        memmove(buf, p, len);
        if (len == cap) {
            char *b = cap <= SIZE_MAX / 2 ? vem__realloc(buf, 2 * cap) : NULL;
            if (!b) {
                st = VEM_FAIL(VEM_ENOMEM, "%s:%zu: out of memory for a long line", rd->tok.path,
                              rd->tok.line + 1);
                break;
            }
            buf = b;
            cap *= 2;
        }
    }
out:
    vem__free(buf);
    return st;
}

/*
 * The rows of the lines starting in bytes [begin, end) of path into r (r->sink
 * set: streamed, the last rows flushed too). On success r->data and
 * r->tok.names (r->tok.nsel) are the caller's; the tokenizer is cleared either way.
 */
static vem_status range_run(const char *path, const vem_csv_opts *o, uint64_t begin,
                            uint64_t end, reader *r)
{
    vem_status st = vem__csv_tok_init(&r->tok, path, o);
    if (st != VEM_OK)
        return st;
    FILE *f = fopen(path, "rb");
    if (!f) {
        st = fail_errno(path, errno);
        vem__csv_tok_clear(&r->tok);
        return st;
    }
    char *line = NULL, *buf = NULL;
    size_t lcap = 0;
    /* The first line fixes the layout for every process; its row, if it is one,
     * belongs to the range that holds byte 0. */
    ssize_t n1 = getline(&line, &lcap, f);
    if (n1 <= 0) {
        st = ferror(f) ? fail_errno(path, errno) : VEM_FAIL(VEM_EFORMAT, "%s: empty file", path);
        goto done;
    }
    {
        char *s = line, *e = line + n1;
        if (e > s && e[-1] == '\n')
            e--;
        if (e - s >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
            s += 3;
        st = handle_line(r, o, s, e);
        if (st == VEM_OK && !r->tok.ncols)
            st = VEM_FAIL(VEM_EFORMAT, "%s:1:1: the first line is blank", path);
        if (st != VEM_OK)
            goto done;
        if (begin > 0 || end == 0) /* [0, 0) holds no line, not even the first */
            r->rows = 0;
    }
    uint64_t start = (uint64_t)n1;
    if (begin > start) {
        /* The first line that starts at or after begin. */
        if (fseeko(f, (off_t)(begin - 1), SEEK_SET) != 0) {
            st = fail_errno(path, errno);
            goto done;
        }
        int c;
        start = begin - 1;
        while ((c = getc(f)) != EOF) {
            start++;
            if (c == '\n')
                break;
        }
        if (c == EOF)
            start++;
        buf = vem__malloc(READ_CHUNK);
        long long lines = buf ? count_lines(f, start, buf, READ_CHUNK) : -1;
        if (lines < 0) {
            st = buf ? fail_errno(path, errno) : VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
            goto done;
        }
        r->tok.line = (size_t)lines; /* error messages give the file's own line numbers */
    }
    if (start < end)
        st = read_range_lines(r, o, f, start, end);
    if (st == VEM_OK && r->sink && r->rows) {
        st = r->sink(r->sink_ctx, r->data, r->rows, r->tok.nsel);
        r->flushed += r->rows;
        r->rows = 0;
    }
done:
    free(line);
    vem__free(buf);
    fclose(f);
    char **names = r->tok.names;
    size_t nsel = r->tok.nsel;
    r->tok.names = NULL;
    vem__csv_tok_clear(&r->tok);
    r->tok.names = st == VEM_OK ? names : NULL;
    r->tok.nsel = nsel;
    if (st != VEM_OK) {
        free_names(names, nsel);
        vem__free(r->data);
        r->data = NULL;
    }
    return st;
}

static vem_status csv_run(const char *path, const vem_csv_opts *o, reader *rd);

/* vem_csv_read (ranged 0) or vem_csv_read_range (fn: the caller, for messages). */
static vem_status read_table(const char *fn, const char *path, const vem_csv_opts *o, int ranged,
                             uint64_t begin, uint64_t end, vem_table *t)
{
    if (!t)
        return VEM_FAIL(VEM_EINVAL, "%s: no output table", fn);
    memset(t, 0, sizeof *t);
    if (!path)
        return VEM_FAIL(VEM_EINVAL, "%s: no path", fn);
    vem_csv_opts def;
    if (!o) {
        vem_csv_opts_init(&def);
        o = &def;
    }
    reader rd;
    memset(&rd, 0, sizeof rd);
    vem_status st = ranged ? range_run(path, o, begin, end, &rd) : csv_run(path, o, &rd);
    if (st != VEM_OK)
        return st;
    /* Give back the unused tail of the geometric growth. */
    double *d = rd.rows ? vem__realloc(rd.data, rd.rows * rd.tok.nsel * sizeof *d) : NULL;
    t->data = d ? d : rd.data;
    t->rows = rd.rows;
    t->cols = rd.tok.nsel;
    t->names = rd.tok.names;
    return VEM_OK;
}

vem_status vem_csv_read_range(const char *path, const vem_csv_opts *o, uint64_t begin,
                              uint64_t end, vem_table *t)
{
    return read_table("vem_csv_read_range", path, o, 1, begin, end, t);
}

static vem_status stream_table(const char *path, const vem_csv_opts *o, int ranged,
                               uint64_t begin, uint64_t end, vem__csv_sink sink, void *ctx,
                               size_t *rows, size_t *cols, char ***names);

vem_status vem__csv_stream_range(const char *path, const vem_csv_opts *o, uint64_t begin,
                                 uint64_t end, vem__csv_sink sink, void *ctx, size_t *rows,
                                 size_t *cols, char ***names)
{
    return stream_table(path, o, 1, begin, end, sink, ctx, rows, cols, names);
}


/*
 * Parse path with o into rd (rd->sink set for streaming). Frees rd's work
 * buffers; on success rd->data and rd->tok.names (rd->tok.nsel of them) are
 * the caller's.
 */
static vem_status csv_run(const char *path, const vem_csv_opts *o, reader *rd)
{
    vem_status st = vem__csv_tok_init(&rd->tok, path, o);
    if (st != VEM_OK)
        return st;
    FILE *f = fopen(path, "rb");
    if (f) {
        st = read_stream(rd, o, f);
        fclose(f);
    } else {
        st = fail_errno(path, errno);
    }
    char **names = rd->tok.names;
    size_t nsel = rd->tok.nsel;
    rd->tok.names = NULL;
    vem__csv_tok_clear(&rd->tok);
    rd->tok.names = names;
    rd->tok.nsel = nsel;
    if (st != VEM_OK) {
        free_names(rd->tok.names, rd->tok.nsel);
        vem__free(rd->data);
        rd->tok.names = NULL;
        rd->data = NULL;
    }
    return st;
}

/* vem__csv_stream (ranged 0) or vem__csv_stream_range. */
static vem_status stream_table(const char *path, const vem_csv_opts *o, int ranged,
                               uint64_t begin, uint64_t end, vem__csv_sink sink, void *ctx,
                               size_t *rows, size_t *cols, char ***names)
{
    vem_csv_opts def;
    if (!o) {
        vem_csv_opts_init(&def);
        o = &def;
    }
    reader rd;
    memset(&rd, 0, sizeof rd);
    rd.sink = sink;
    rd.sink_ctx = ctx;
    vem_status st = ranged ? range_run(path, o, begin, end, &rd) : csv_run(path, o, &rd);
    if (st != VEM_OK)
        return st;
    vem__free(rd.data);
    *rows = rd.flushed;
    *cols = rd.tok.nsel;
    *names = rd.tok.names;
    return VEM_OK;
}

vem_status vem__csv_stream(const char *path, const vem_csv_opts *o, vem__csv_sink sink, void *ctx,
                           size_t *rows, size_t *cols, char ***names)
{
    return stream_table(path, o, 0, 0, 0, sink, ctx, rows, cols, names);
}

vem_status vem_csv_read(const char *path, const vem_csv_opts *o, vem_table *t)
{
    return read_table("vem_csv_read", path, o, 0, 0, 0, t);
}

/* ---- raw float64 ------------------------------------------------------- */

static int host_is_little_endian(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

static void swap_bytes8(double *d, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char b[8], r[8];
        memcpy(b, &d[i], 8);
        for (int k = 0; k < 8; k++)
            r[k] = b[7 - k];
        memcpy(&d[i], r, 8);
    }
}

/* 64 MiB per fread: few calls, and no second copy of a file of any size. */
#define BIN_CHUNK ((size_t)1 << 26)

/* Read all of f into a buffer: exact size for regular files, growing for pipes. */
static vem_status read_all(const char *path, FILE *f, unsigned char **out, size_t *size)
{
    struct stat sb;
    size_t cap, len = 0;
    int regular = fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode);
    if (regular) {
        if ((uintmax_t)sb.st_size > SIZE_MAX)
            return VEM_FAIL(VEM_ENOMEM, "%s: file too large for memory", path);
        cap = (size_t)sb.st_size;
    } else {
        cap = BIN_CHUNK;
    }
    unsigned char *buf = vem__malloc(cap);
    if (!buf)
        return VEM_FAIL(VEM_ENOMEM, "%s: out of memory for %zu bytes", path, cap);
    for (;;) {
        if (len == cap) {
            if (regular) {
                /* Expected end; a file that grew meanwhile is read as of fstat. */
                break;
            }
            unsigned char *b = cap <= SIZE_MAX / 2 ? vem__realloc(buf, 2 * cap) : NULL;
            if (!b) {
                vem__free(buf);
                return VEM_FAIL(VEM_ENOMEM, "%s: out of memory for %zu bytes", path, 2 * cap);
            }
            buf = b;
            cap *= 2;
        }
        size_t want = vem__min(cap - len, BIN_CHUNK);
        size_t got = fread(buf + len, 1, want, f);
        len += got;
        if (got < want) {
            if (ferror(f)) {
                vem_status st = fail_errno(path, errno);
                vem__free(buf);
                return st;
            }
            break;
        }
    }
    *out = buf;
    *size = len;
    return VEM_OK;
}

vem_status vem_binary_read(const char *path, size_t cols, vem_table *t)
{
    if (!t)
        return VEM_FAIL(VEM_EINVAL, "vem_binary_read: no output table");
    memset(t, 0, sizeof *t);
    if (!path)
        return VEM_FAIL(VEM_EINVAL, "vem_binary_read: no path");
    size_t rowbytes;
    if (cols == 0 || !vem__mul_ok(cols, sizeof(double), &rowbytes))
        return VEM_FAIL(VEM_EINVAL, "%s: %zu columns per row", path, cols);
    FILE *f = fopen(path, "rb");
    if (!f)
        return fail_errno(path, errno);
    unsigned char *buf = NULL;
    size_t size = 0;
    vem_status st = read_all(path, f, &buf, &size);
    fclose(f);
    if (st != VEM_OK)
        return st;
    if (size == 0)
        st = VEM_FAIL(VEM_EFORMAT, "%s: empty file", path);
    else if (size % rowbytes)
        st = VEM_FAIL(VEM_EFORMAT,
                      "%s: size %zu bytes is not a multiple of 8 x %zu columns = %zu bytes", path,
                      size, cols, rowbytes);
    if (st != VEM_OK) {
        vem__free(buf);
        return st;
    }
    double *d = (double *)(void *)buf; /* malloc'd memory is aligned for double */
    size_t n = size / sizeof(double);
    if (!host_is_little_endian())
        swap_bytes8(d, n);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(d[i])) {
            vem__free(buf);
            return VEM_FAIL(VEM_EFORMAT, "%s: row %zu column %zu: not finite", path,
                            i / cols + 1, i % cols + 1);
        }
    }
    char **names = vem__calloc(cols, sizeof *names);
    for (size_t j = 0; names && j < cols; j++) {
        if (!(names[j] = index_name(j))) {
            free_names(names, cols);
            names = NULL;
        }
    }
    if (!names) {
        vem__free(buf);
        return VEM_FAIL(VEM_ENOMEM, "%s: out of memory for %zu column names", path, cols);
    }
    t->data = d;
    t->rows = size / rowbytes;
    t->cols = cols;
    t->names = names;
    return VEM_OK;
}

/* ------------------------------------------------- shares of a distributed fit */

vem_status vem__binary_read_rows(const char *path, size_t cols, size_t first, size_t last,
                                 vem_table *t)
{
    memset(t, 0, sizeof *t);
    vem_source *src = vem_source_open_binary(path, cols);
    if (!src)
        return vem__last_status();
    const size_t n = vem_source_rows(src), lo = vem__min(first, n), hi = vem__min(last, n);
    t->rows = hi > lo ? hi - lo : 0;
    t->cols = cols;
    t->data = vem__alloc_doubles(t->rows ? t->rows : 1, cols);
    t->names = vem__calloc(cols, sizeof *t->names);
    vem_status st = t->data && t->names ? VEM_OK : VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
    for (size_t j = 0; st == VEM_OK && j < cols; j++)
        if (!(t->names[j] = index_name(j)))
            st = VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
    if (st == VEM_OK && t->rows)
        st = vem_source_read(src, lo, t->rows, t->data);
    vem_source_close(src);
    if (st != VEM_OK)
        vem_table_clear(t);
    return st;
}

/* This process's share: rows by offsets (raw) or lines by bytes (CSV). */
static vem_status read_share(const char *path, const vem_csv_opts *o, size_t binary_cols,
                             int rank, int size, vem_table *t)
{
    if (binary_cols) {
        vem_source *src = vem_source_open_binary(path, binary_cols);
        if (!src)
            return vem__last_status();
        const size_t n = vem_source_rows(src);
        vem_source_close(src);
        return vem__binary_read_rows(path, binary_cols, n * (size_t)rank / (size_t)size,
                                     n * (size_t)(rank + 1) / (size_t)size, t);
    }
    struct stat sb;
    if (stat(path, &sb) != 0)
        return fail_errno(path, errno);
    const uint64_t bytes = (uint64_t)sb.st_size;
    return vem_csv_read_range(path, o, bytes * (uint64_t)rank / (uint64_t)size,
                              bytes * (uint64_t)(rank + 1) / (uint64_t)size, t);
}

vem_status vem_csv_read_share(const char *path, const vem_csv_opts *o, size_t binary_cols,
                              const vem_comm *comm, vem_table *t, size_t *rows_all)
{
    vem_status st = VEM_OK;
    if (!t)
        return VEM_FAIL(VEM_EINVAL, "vem_csv_read_share: no output table");
    memset(t, 0, sizeof *t);
    if (!path)
        st = VEM_FAIL(VEM_EINVAL, "vem_csv_read_share: no path");
    const vem_comm *c = comm ? comm : vem__comm_solo();
    if (st == VEM_OK)
        st = read_share(path, o, binary_cols, c->rank, c->size, t);
    /* A bad line in any share stops every process (the one that met it says why). */
    st = vem_comm_agree(c, st);
    size_t n = t->rows;
    if (st == VEM_OK)
        st = vem__comm_sum_sizes(c, &n, 1);
    if (st != VEM_OK) {
        vem_table_clear(t);
        return st;
    }
    if (rows_all)
        *rows_all = n;
    return VEM_OK;
}
