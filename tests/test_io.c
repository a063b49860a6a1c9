/* tests/test_io.c — data tables: CSV/TSV reading, errors with their places, raw float64. */
#include <errno.h>
#include <float.h>
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vem/vem.h>

#include "check.h"

/* Values compared against strtod bit for bit; raise it for a one-off soak run. */
#ifndef IO_FUZZ_N
#define IO_FUZZ_N 60000
#endif

#define DATA(name) VEM_TEST_DATA "/" name
#define EXAMPLE(name) VEM_EXAMPLE_DATA "/" name

static int same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

static int msg_has(const char *s)
{
    if (strstr(vem_errmsg(), s))
        return 1;
    fprintf(stderr, "  errmsg is \"%s\", expected it to contain \"%s\"\n", vem_errmsg(), s);
    return 0;
}

static int table_zeroed(const vem_table *t)
{
    return t->data == NULL && t->names == NULL && t->rows == 0 && t->cols == 0;
}

/* A temporary file holding n bytes of p; its name goes to path (size 64). */
static int temp_file(char *path, const void *p, size_t n)
{
    const char *dir = getenv("TMPDIR");
    snprintf(path, 64, "%s/vem_io_XXXXXX", dir && strlen(dir) < 40 ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0)
        return 0;
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        close(fd);
        return 0;
    }
    int ok = fwrite(p, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

static vem_status read_text(const char *text, const vem_csv_opts *o, vem_table *t, char *path)
{
    if (!temp_file(path, text, strlen(text))) {
        CHECK(!"cannot write a temporary file");
        return VEM_EIO;
    }
    return vem_csv_read(path, o, t);
}

static void test_faithful(void)
{
    vem_table t;
    CHECK(vem_csv_read(EXAMPLE("faithful.csv"), NULL, &t) == VEM_OK);
    CHECK(t.rows == 272);
    CHECK(t.cols == 2);
    if (t.rows == 272 && t.cols == 2) {
        CHECK(strcmp(t.names[0], "eruptions") == 0);
        CHECK(strcmp(t.names[1], "waiting") == 0);
        CHECK(t.data[0] == 3.6);
        CHECK(t.data[1] == 79.0);
        CHECK(t.data[2 * 271] == 4.467);
        CHECK(t.data[2 * 271 + 1] == 74.0);
        vem_matrix m = vem_table_matrix(&t);
        CHECK(m.data == t.data && m.rows == 272 && m.cols == 2 && m.ld == 2);
    }
    vem_table_clear(&t);
    CHECK(table_zeroed(&t));
    vem_table_clear(&t); /* twice is harmless */
    CHECK(table_zeroed(&t));
}

static void check_penguins4(const vem_table *t, const char *const *names)
{
    CHECK(t->rows == 342);
    CHECK(t->cols == 4);
    if (t->rows != 342 || t->cols != 4)
        return;
    for (size_t j = 0; j < 4; j++)
        CHECK(strcmp(t->names[j], names[j]) == 0);
    const double *last = t->data + 341 * 4;
    CHECK(t->data[0] == 39.1 && t->data[1] == 18.7 && t->data[2] == 181 && t->data[3] == 3750);
    CHECK(last[0] == 49.9 && last[1] == 16.1 && last[2] == 213 && last[3] == 5400);
}

static void test_penguins_columns(void)
{
    static const char *const names[] = {"beak_length_mm", "beak_depth_mm", "flipper_length_mm",
                                        "body_mass_g"};
    vem_csv_opts o;
    vem_csv_opts_init(&o);
    CHECK(o.header == -1 && o.delim == 0 && o.columns == NULL);

    vem_table a, b, c;
    o.columns = "beak_length_mm,beak_depth_mm,flipper_length_mm,body_mass_g";
    CHECK(vem_csv_read(EXAMPLE("penguins.csv"), &o, &a) == VEM_OK);
    check_penguins4(&a, names);

    o.columns = "3,4,5,6";
    CHECK(vem_csv_read(EXAMPLE("penguins.csv"), &o, &b) == VEM_OK);
    check_penguins4(&b, names); /* with a header, indices still give the header names */
    CHECK(a.data && b.data && memcmp(a.data, b.data, 342 * 4 * sizeof(double)) == 0);

    /* Mixed names and indices, spaces around entries; output follows the list's order. */
    o.columns = " body_mass_g , 3 ";
    CHECK(vem_csv_read(EXAMPLE("penguins.csv"), &o, &c) == VEM_OK);
    CHECK(c.rows == 342 && c.cols == 2);
    if (c.cols == 2 && c.rows == 342) {
        CHECK(strcmp(c.names[0], "body_mass_g") == 0 && strcmp(c.names[1], "beak_length_mm") == 0);
        CHECK(c.data[0] == 3750 && c.data[1] == 39.1);
        CHECK(c.data[2 * 341] == 5400 && c.data[2 * 341 + 1] == 49.9);
    }
    vem_table_clear(&a);
    vem_table_clear(&b);
    vem_table_clear(&c);

    /* All columns: the text column is reported with a hint. */
    CHECK(vem_csv_read(EXAMPLE("penguins.csv"), NULL, &a) == VEM_EFORMAT);
    CHECK(msg_has("penguins.csv:2:1: not a number: 'Adelie'"));
    CHECK(msg_has("--columns"));
    CHECK(table_zeroed(&a));
}

static void test_basic_and_detection(void)
{
    vem_table t;
    CHECK(vem_csv_read(DATA("io_basic.csv"), NULL, &t) == VEM_OK);
    CHECK(t.rows == 3 && t.cols == 3);
    if (t.rows == 3 && t.cols == 3) {
        CHECK(strcmp(t.names[0], "x") == 0 && strcmp(t.names[2], "z") == 0);
        static const double want[9] = {1.5, -2, 300, 0.25, 4.75, -0.0, 1e-3, 2.385, 7};
        for (size_t i = 0; i < 9; i++)
            CHECK(same_bits(t.data[i], want[i]));
    }
    vem_table_clear(&t);

    CHECK(vem_csv_read(DATA("io_tab.tsv"), NULL, &t) == VEM_OK);
    CHECK(t.rows == 2 && t.cols == 2);
    if (t.rows == 2 && t.cols == 2) {
        CHECK(strcmp(t.names[0], "a") == 0 && strcmp(t.names[1], "b") == 0);
        CHECK(t.data[0] == 1.25 && t.data[1] == 2.5 && t.data[2] == 3 && t.data[3] == -4.125);
    }
    vem_table_clear(&t);

    CHECK(vem_csv_read(DATA("io_semi.csv"), NULL, &t) == VEM_OK);
    CHECK(t.rows == 2 && t.cols == 2);
    if (t.rows == 2 && t.cols == 2) {
        CHECK(strcmp(t.names[1], "b") == 0);
        CHECK(t.data[0] == 1.5 && t.data[1] == 2 && t.data[2] == 3 && t.data[3] == 4);
    }
    vem_table_clear(&t);

    /* A given delimiter wins over detection: ',' read as ';' gives one text column, so
     * the first line "1.5,2" is taken for a header and the second fails. */
    vem_csv_opts o;
    vem_csv_opts_init(&o);
    o.delim = ';';
    CHECK(vem_csv_read(DATA("io_noheader.csv"), &o, &t) == VEM_EFORMAT);
    CHECK(msg_has("io_noheader.csv:2:1: not a number: '3,4'"));
    o.delim = '\t';
    CHECK(vem_csv_read(DATA("io_tab.tsv"), &o, &t) == VEM_OK && t.cols == 2 && t.rows == 2);
    vem_table_clear(&t);

    /* No header detected: names are 1-based indices. */
    CHECK(vem_csv_read(DATA("io_noheader.csv"), NULL, &t) == VEM_OK);
    CHECK(t.rows == 3 && t.cols == 2);
    if (t.rows == 3 && t.cols == 2) {
        CHECK(strcmp(t.names[0], "1") == 0 && strcmp(t.names[1], "2") == 0);
        CHECK(t.data[0] == 1.5 && t.data[5] == 6);
    }
    vem_table_clear(&t);

    /* Forced header on a numeric first line: it becomes the names. */
    vem_csv_opts_init(&o);
    o.header = 1;
    CHECK(vem_csv_read(DATA("io_noheader.csv"), &o, &t) == VEM_OK);
    CHECK(t.rows == 2 && t.cols == 2);
    if (t.rows == 2 && t.cols == 2) {
        CHECK(strcmp(t.names[0], "1.5") == 0 && strcmp(t.names[1], "2") == 0);
        CHECK(t.data[0] == 3 && t.data[3] == 6);
    }
    vem_table_clear(&t);

    /* Forced no-header: the names line is data, and not numeric. */
    o.header = 0;
    CHECK(vem_csv_read(DATA("io_basic.csv"), &o, &t) == VEM_EFORMAT);
    CHECK(msg_has("io_basic.csv:1:1: not a number: 'x'"));
    CHECK(table_zeroed(&t));
    o.columns = "2,1";
    CHECK(vem_csv_read(DATA("io_noheader.csv"), &o, &t) == VEM_OK);
    CHECK(t.rows == 3 && t.cols == 2);
    if (t.rows == 3 && t.cols == 2) {
        CHECK(strcmp(t.names[0], "2") == 0 && strcmp(t.names[1], "1") == 0);
        CHECK(t.data[0] == 2 && t.data[1] == 1.5);
    }
    vem_table_clear(&t);

    /* Trailing blank (and space-only) lines are ignored. */
    CHECK(vem_csv_read(DATA("io_trailing_blank.csv"), NULL, &t) == VEM_OK);
    CHECK(t.rows == 2 && t.cols == 2 && t.data && t.data[3] == 4);
    vem_table_clear(&t);

    /* Bad options. */
    vem_csv_opts_init(&o);
    o.header = 2;
    CHECK(vem_csv_read(DATA("io_basic.csv"), &o, &t) == VEM_EINVAL);
    CHECK(vem_csv_read(NULL, NULL, &t) == VEM_EINVAL);
    CHECK(vem_csv_read(DATA("io_basic.csv"), NULL, NULL) == VEM_EINVAL);
}

static void test_quotes_and_line_ends(void)
{
    vem_table t;
    CHECK(vem_csv_read(DATA("io_quoted.csv"), NULL, &t) == VEM_OK);
    CHECK(t.rows == 2 && t.cols == 3);
    if (t.rows == 2 && t.cols == 3) {
        CHECK(strcmp(t.names[0], "first, name") == 0);
        CHECK(strcmp(t.names[1], "say \"hi\"") == 0);
        CHECK(strcmp(t.names[2], "plain") == 0);
        CHECK(t.data[0] == 3.5 && t.data[1] == 4 && t.data[2] == 5);
        CHECK(t.data[3] == -1000 && t.data[4] == 6 && t.data[5] == 7);
    }
    vem_table_clear(&t);

    /* Select a quoted name holding the delimiter and a quote: not possible by name
     * with ','-separated lists, but by index. */
    vem_csv_opts o;
    vem_csv_opts_init(&o);
    o.columns = "plain,2";
    CHECK(vem_csv_read(DATA("io_quoted.csv"), &o, &t) == VEM_OK);
    CHECK(t.cols == 2 && t.rows == 2 && t.data && t.data[0] == 5 && t.data[1] == 4);
    vem_table_clear(&t);

    /* CRLF, written here so that no checkout setting can convert it; last line without EOL. */
    char path[64];
    CHECK(read_text("u,v\r\n2.5,-3\r\n4,5.125\r\n\r\n", NULL, &t, path) == VEM_OK);
    CHECK(t.rows == 2 && t.cols == 2);
    if (t.rows == 2 && t.cols == 2) {
        CHECK(strcmp(t.names[1], "v") == 0);
        CHECK(t.data[0] == 2.5 && t.data[1] == -3 && t.data[2] == 4 && t.data[3] == 5.125);
    }
    vem_table_clear(&t);
    remove(path);
    CHECK(read_text("\xEF\xBB\xBFp,q\n1,2\n3,4", NULL, &t, path) == VEM_OK);
    CHECK(t.rows == 2 && t.cols == 2 && t.names && strcmp(t.names[0], "p") == 0);
    CHECK(t.data && t.data[3] == 4);
    vem_table_clear(&t);
    remove(path);

    /* CRLF errors keep their columns: the '\r' is not part of a cell. */
    CHECK(read_text("u,v\r\n1,2\r\n3,abc\r\n", NULL, &t, path) == VEM_EFORMAT);
    CHECK(msg_has(":3:3: not a number: 'abc'"));
    remove(path);
}

/* A file given by its content: read it and expect status s and message piece msg. */
static void expect_error(const char *text, const char *columns, vem_status s, const char *msg)
{
    char path[64];
    vem_csv_opts o;
    vem_csv_opts_init(&o);
    o.columns = columns;
    vem_table t;
    t.rows = 99; /* must be zeroed on failure */
    CHECK(read_text(text, &o, &t, path) == s);
    CHECK(msg_has(path));
    CHECK(msg_has(msg));
    CHECK(table_zeroed(&t));
    remove(path);
}

static void test_errors(void)
{
    static const struct {
        const char *file, *columns;
        vem_status s;
        const char *msg;
    } cases[] = {
        {"io_err_text.csv", NULL, VEM_EFORMAT, "io_err_text.csv:3:3: not a number: 'x7'"},
        {"io_err_nan.csv", NULL, VEM_EFORMAT, "io_err_nan.csv:3:3: NaN or Inf not allowed: 'nan'"},
        {"io_err_inf.csv", NULL, VEM_EFORMAT, "io_err_inf.csv:2:1: NaN or Inf not allowed"},
        {"io_err_ragged.csv", NULL, VEM_EFORMAT,
         "io_err_ragged.csv:3:5: row has 3 cells, expected 2"},
        {"io_err_short.csv", NULL, VEM_EFORMAT, "io_err_short.csv:3:2: row has 1 cells, expected 2"},
        {"io_err_empty.csv", NULL, VEM_EFORMAT, "io_err_empty.csv: empty file"},
        {"io_err_blanks.csv", NULL, VEM_EFORMAT, "io_err_blanks.csv: empty file"},
        {"io_err_header_only.csv", NULL, VEM_EFORMAT,
         "io_err_header_only.csv: header but no data rows"},
        {"io_err_blank_middle.csv", NULL, VEM_EFORMAT, "io_err_blank_middle.csv:3:1: blank line"},
        {"io_err_range.csv", NULL, VEM_EFORMAT,
         "io_err_range.csv:2:1: number out of range: '1e999'"},
        {"io_err_quote.csv", NULL, VEM_EFORMAT, "io_err_quote.csv:2:3: unterminated quoted cell"},
        {"io_err_empty_cell.csv", NULL, VEM_EFORMAT, "io_err_empty_cell.csv:2:3: empty cell"},
        {"io_err_long.csv", NULL, VEM_EFORMAT,
         "io_err_long.csv:3:1: not a number: 'this cell holds a long run of words that...'"},
        {"penguins.csv", "foo", VEM_EFORMAT, "penguins.csv: no column 'foo'"},
        {"penguins.csv", "3,9", VEM_EFORMAT, "penguins.csv: column 9 out of range (file has 7)"},
        {"penguins.csv", "0", VEM_EFORMAT, "penguins.csv: column 0 out of range (file has 7)"},
        {"penguins.csv", "3,,4", VEM_EINVAL, "penguins.csv: empty entry"},
        {"penguins.csv", "island", VEM_EFORMAT, "penguins.csv:2:8: not a number: 'Torgersen'"},
        {"io_does_not_exist.csv", NULL, VEM_EIO, "io_does_not_exist.csv: "},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[512];
        int example = strcmp(cases[i].file, "penguins.csv") == 0;
        snprintf(path, sizeof path, "%s/%s", example ? VEM_EXAMPLE_DATA : VEM_TEST_DATA,
                 cases[i].file);
        vem_csv_opts o;
        vem_csv_opts_init(&o);
        o.columns = cases[i].columns;
        vem_table t;
        t.rows = 99;
        vem_status s = vem_csv_read(path, &o, &t);
        CHECK(s == cases[i].s);
        CHECK(msg_has(cases[i].msg));
        CHECK(strncmp(vem_errmsg(), path, strlen(path)) == 0); /* the message starts with PATH */
        CHECK(table_zeroed(&t));
        if (s != cases[i].s)
            fprintf(stderr, "  case %s [%s]: status %d\n", cases[i].file,
                    cases[i].columns ? cases[i].columns : "", (int)s);
    }
    CHECK(vem_csv_read(DATA("io_does_not_exist.csv"), NULL, &(vem_table){0}) == VEM_EIO);
    CHECK(msg_has(strerror(ENOENT)));
    CHECK(vem_csv_read(VEM_TEST_DATA, NULL, &(vem_table){0}) == VEM_EIO); /* a directory */

    /* Every spelling of NaN and Inf. */
    static const char *const nonfinite[] = {"a\nNAN\n",  "a\n-nan\n",      "a\ninf\n",
                                            "a\n+INF\n", "a\nInfinity\n", "a\nnan(0x7)\n",
                                            "a\n\"-iNfInItY\"\n"};
    for (size_t i = 0; i < sizeof nonfinite / sizeof nonfinite[0]; i++)
        expect_error(nonfinite[i], NULL, VEM_EFORMAT, ":2:1: NaN or Inf not allowed");
    expect_error("a,b\n1,2\n3, 0x1p99999\n", NULL, VEM_EFORMAT, ":3:3: number out of range");
    expect_error("a,b\n1,2\n1,\"2\"x\n", NULL, VEM_EFORMAT, ":3:3: text after the closing quote");
    expect_error("a,b\n1,2\n1,2.5.1\n", NULL, VEM_EFORMAT, ":3:3: not a number: '2.5.1'");
    expect_error("a,b\n1,2\n1,1e\n", NULL, VEM_EFORMAT, ":3:3: not a number: '1e'");
    expect_error("a,b\n1,2\n1,.\n", NULL, VEM_EFORMAT, ":3:3: not a number: '.'");
    expect_error("a,b\n1,2\n1,-\n", NULL, VEM_EFORMAT, ":3:3: not a number: '-'");
    expect_error("a,b\n1,2\n1,2,\n", NULL, VEM_EFORMAT, ":3:5: row has 3 cells, expected 2");
    expect_error("a\tb\n1\t2\n1\t\n", NULL, VEM_EFORMAT, ":3:3: empty cell");
    expect_error("\n1,2\n", NULL, VEM_EFORMAT, ":1:1: blank line");
    expect_error("a,b\n1,2\n  \n3,4\n\n", NULL, VEM_EFORMAT, ":3:1: blank line");
    /* Only selected columns are parsed; others may be text, but rows must not be ragged. */
    expect_error("n,x\nfoo,1\nbar,2,3\n", "x", VEM_EFORMAT, ":3:7: row has 3 cells, expected 2");
    expect_error("n,x\nfoo,1\nbar,nan\n", "x", VEM_EFORMAT, ":3:5: NaN or Inf not allowed");
}

static void test_selected_text_ok(void)
{
    vem_csv_opts o;
    vem_csv_opts_init(&o);
    o.columns = "x";
    vem_table t;
    char path[64];
    CHECK(read_text("n,x\nfoo,1.25\n\"b,a\"\"r\",-2\n", &o, &t, path) == VEM_OK);
    CHECK(t.rows == 2 && t.cols == 1 && t.data && t.data[0] == 1.25 && t.data[1] == -2);
    CHECK(t.names && strcmp(t.names[0], "x") == 0);
    vem_table_clear(&t);
    remove(path);
}

/* Random numeric text of many shapes; each must read back as strtod's bits. */
static void random_number(vem_rng *r, char *s, size_t n)
{
    uint64_t u = vem_rng_next(r);
    switch (vem_rng_below(r, 7)) {
    case 0: { /* any finite double, shortest exact form */
        double x;
        do {
            uint64_t bits = vem_rng_next(r);
            memcpy(&x, &bits, sizeof x);
        } while (!isfinite(x));
        snprintf(s, n, "%.17g", x);
        break;
    }
    case 1: /* moderate magnitudes, as data files hold */
        snprintf(s, n, "%.17g",
                 (vem_rng_uniform(r) - 0.5) * pow(10, (double)vem_rng_below(r, 61) - 30));
        break;
    case 2: /* every precision */
        snprintf(s, n, "%.*g", (int)vem_rng_below(r, 21) + 1,
                 vem_rng_normal(r) * pow(10, (double)vem_rng_below(r, 41) - 20));
        break;
    case 3: { /* digit strings with a point somewhere and an optional exponent */
        size_t nd = (size_t)vem_rng_below(r, 26) + 1, k = 0;
        size_t point = (size_t)vem_rng_below(r, nd + 2);
        if (u & 1)
            s[k++] = (u & 2) ? '-' : '+';
        for (size_t i = 0; i < nd; i++) {
            if (i == point)
                s[k++] = '.';
            s[k++] = (char)('0' + vem_rng_below(r, 10));
        }
        if (u & 4)
            snprintf(s + k, n - k, "%c%d", (u & 8) ? 'E' : 'e', (int)vem_rng_below(r, 81) - 40);
        else
            s[k] = '\0';
        break;
    }
    case 4: { /* integers above 2^53 that are doubles or midpoints between two: ties to even */
        uint64_t base = ((uint64_t)1 << 53) + (vem_rng_next(r) >> 12);
        unsigned sh = (unsigned)vem_rng_below(r, 10);
        uint64_t m = (base << sh) + ((uint64_t)1 << sh); /* doubles here are 2^(sh+1) apart */
        snprintf(s, n, "%llu", (unsigned long long)m);
        break;
    }
    case 5: { /* midpoints with a fraction: n + 0.5 in [2^52, 2^53) */
        uint64_t m = ((uint64_t)1 << 52) + (vem_rng_next(r) >> 12);
        snprintf(s, n, "%llu.5", (unsigned long long)m);
        break;
    }
    default: /* integers and short decimals */
        snprintf(s, n, "%lld.%0*llu", (long long)(vem_rng_next(r) >> (u % 64)) / 1000,
                 (int)vem_rng_below(r, 6) + 1, (unsigned long long)vem_rng_below(r, 1000));
        break;
    }
}

static void test_numbers_match_strtod(void)
{
    size_t n = IO_FUZZ_N, len = 0, cap = n * 48 + 16;
    char *text = malloc(cap), (*strs)[48] = malloc(n * sizeof *strs);
    CHECK(text && strs);
    if (!text || !strs) {
        free(text);
        free(strs);
        return;
    }
    vem_rng r;
    vem_rng_seed(&r, 2385);
    len += (size_t)snprintf(text, cap, "v\n");
    for (size_t i = 0; i < n; i++) {
        random_number(&r, strs[i], sizeof strs[i]);
        len += (size_t)snprintf(text + len, cap - len, "%s\n", strs[i]);
    }
    char path[64];
    vem_table t;
    vem_status s = read_text(text, NULL, &t, path);
    CHECK(s == VEM_OK);
    if (s != VEM_OK)
        fprintf(stderr, "  %s\n", vem_errmsg());
    CHECK(t.rows == n && t.cols == 1);
    size_t bad = 0;
    for (size_t i = 0; s == VEM_OK && i < t.rows; i++) {
        double want = strtod(strs[i], NULL);
        if (!same_bits(t.data[i], want) && bad++ < 5)
            fprintf(stderr, "  '%s': got %.17g, strtod gives %.17g\n", strs[i], t.data[i], want);
    }
    CHECK(bad == 0);
    /* Hand-picked: ties to even either way, -0, subnormals, the largest double. */
    static const char *const picked[] = {
        "9007199254740993", "9007199254740995", "4503599627370496.5", "4503599627370497.5",
        "-0",                "0.000",            "4.9406564584124654e-324",
        "2.2250738585072011e-308", "1.7976931348623157e308", "0.1", "0.30000000000000004",
        "123456789012345678", "1234567890123456789", "12345678901234567890", "1e27", "1e-27",
        "1e28", "1e-28", "7.450580596923828125e-9", "18446744073709551615", "9999999999999999999",
        /* Just above a midpoint by less than the quotient's last bit: only the division's
         * remainder says to round up (found by an exact search in Python). */
        "7018392672749066007e-27", "5283747255512513779e-26", "1497191861555534899e-25"};
    size_t np = sizeof picked / sizeof picked[0];
    len = (size_t)snprintf(text, cap, "v\n");
    for (size_t i = 0; i < np; i++)
        len += (size_t)snprintf(text + len, cap - len, "%s\n", picked[i]);
    vem_table_clear(&t);
    remove(path);
    CHECK(read_text(text, NULL, &t, path) == VEM_OK);
    CHECK(t.rows == np);
    for (size_t i = 0; t.rows == np && i < np; i++) {
        CHECK(same_bits(t.data[i], strtod(picked[i], NULL)));
        if (!same_bits(t.data[i], strtod(picked[i], NULL)))
            fprintf(stderr, "  '%s': got %.17g\n", picked[i], t.data[i]);
    }
    vem_table_clear(&t);
    remove(path);
    free(text);
    free(strs);
}

/* The process locale must not matter: checked under a comma-decimal locale, the first
 * of these installed. None installed is a failure, not a skip (tools/install-deps.sh
 * generates de_DE.UTF-8). */
static void test_locale_independent(void)
{
    static const char *const locs[] = {"de_DE.UTF-8", "de_DE.utf8", "de_DE", "fr_FR.UTF-8",
                                       "fr_FR.utf8", "nl_NL.UTF-8", "ru_RU.UTF-8", "es_ES.UTF-8"};
    /* Long and far-out numbers, so that the strtod path is exercised too. */
    const char *text = "a;b\n1.5;2.385\n0.1234567890123456789012;1.5e-300\n";
    const double want[4] = {1.5, 2.385, strtod("0.1234567890123456789012", NULL), 1.5e-300};
    const char *got_loc = NULL;
    for (size_t i = 0; i < sizeof locs / sizeof locs[0] && !got_loc; i++) {
        if (setlocale(LC_NUMERIC, locs[i]) && localeconv()->decimal_point[0] == ',')
            got_loc = locs[i];
        else
            setlocale(LC_NUMERIC, "C");
    }
    if (!got_loc) {
        check_failures++;
        fprintf(stderr, "%s:%d: FAIL no comma-decimal locale installed (de_DE.UTF-8: see "
                "tools/install-deps.sh)\n", __FILE__, __LINE__);
        return;
    }
    vem_table t;
    char path[64];
    CHECK(read_text(text, NULL, &t, path) == VEM_OK);
    CHECK(t.rows == 2 && t.cols == 2);
    for (size_t i = 0; t.rows == 2 && t.cols == 2 && i < 4; i++)
        CHECK(same_bits(t.data[i], want[i]));
    /* The library left the process locale alone. */
    CHECK(localeconv()->decimal_point[0] == ',');
    vem_table_clear(&t);
    remove(path);
    setlocale(LC_NUMERIC, "C");
    printf("io: locale check ran under %s\n", got_loc);
}

/*
 * The text reader's header detection parses numbers as vem_csv_read does,
 * whatever the process locale: under de_DE.UTF-8 (comma decimal), "1.5" is
 * still a number and "1,5" still is not. tools/install-deps.sh generates
 * de_DE.UTF-8, so its absence is a failure, not a skip.
 */
static void test_text_locale_independent(void)
{
    static const char *const texts[] = {
        "1.5;2.5\n3.5;4.5\n",                 /* numbers: no header, 2 rows */
        "\"1,5\";\"2,5\"\n\"3,5\";\"4,5\"\n", /* not numbers in C: a header, 1 row */
    };
    static const char *const first_cell[] = {"1.5", "3,5"};
    static const char *const name[] = {"1", "1,5"};
    vem_text_table want[2], got[2];
    char path[2][64];
    for (size_t i = 0; i < 2; i++) {
        CHECK(temp_file(path[i], texts[i], strlen(texts[i])));
        CHECK(vem_text_table_read(path[i], NULL, 0, &want[i]) == VEM_OK);
        CHECK(want[i].rows == (i == 0 ? 2u : 1u) && want[i].cols == 2);
        CHECK(want[i].rows && strcmp(want[i].cells[0], first_cell[i]) == 0);
        CHECK(want[i].cols && strcmp(want[i].names[0], name[i]) == 0);
    }
    const char *loc = setlocale(LC_NUMERIC, "de_DE.UTF-8");
    if (!loc)
        loc = setlocale(LC_NUMERIC, "de_DE.utf8");
    CHECK(loc != NULL);
    if (!loc)
        fprintf(stderr, "  de_DE.UTF-8 is not installed: run tools/install-deps.sh\n");
    CHECK(!loc || localeconv()->decimal_point[0] == ',');
    for (size_t i = 0; loc && i < 2; i++) {
        for (int ranged = 0; ranged < 2; ranged++) {
            vem_status st = ranged ? vem_text_table_read_rows(path[i], NULL, 0, SIZE_MAX, &got[i])
                                   : vem_text_table_read(path[i], NULL, 0, &got[i]);
            CHECK(st == VEM_OK);
            CHECK(got[i].rows == want[i].rows && got[i].cols == want[i].cols);
            for (size_t c = 0; st == VEM_OK && c < got[i].cols && c < want[i].cols; c++)
                CHECK(strcmp(got[i].names[c], want[i].names[c]) == 0);
            for (size_t c = 0; st == VEM_OK && got[i].rows == want[i].rows &&
                               got[i].cols == want[i].cols && c < got[i].rows * got[i].cols;
                 c++)
                CHECK(strcmp(got[i].cells[c], want[i].cells[c]) == 0);
            vem_text_table_clear(&got[i]);
        }
    }
    /* The library left the process locale alone. */
    CHECK(!loc || localeconv()->decimal_point[0] == ',');
    setlocale(LC_NUMERIC, "C");
    for (size_t i = 0; i < 2; i++) {
        vem_text_table_clear(&want[i]);
        remove(path[i]);
    }
}

/* A column chosen twice is read twice, whole (vem_text_table_read and _read_rows). */
static void test_text_repeated_column(void)
{
    char path[64];
    const char *text = "id,sym\n1,a\n2,\"b c\"\n3,d\n";
    CHECK(temp_file(path, text, strlen(text)));
    const char *const specs[] = {"2,2", "sym,id,sym", "sym,2"};
    for (size_t s = 0; s < 3; s++) {
        vem_csv_opts o;
        vem_csv_opts_init(&o);
        o.columns = specs[s];
        for (int ranged = 0; ranged < 2; ranged++) {
            vem_text_table t;
            vem_status st = ranged ? vem_text_table_read_rows(path, &o, 1, 3, &t)
                                   : vem_text_table_read(path, &o, 0, &t);
            CHECK(st == VEM_OK);
            size_t want_rows = ranged ? 2 : 3, first = ranged ? 1 : 0;
            CHECK(t.rows == want_rows && t.cols == (s == 1 ? 3 : 2));
            if (st != VEM_OK || t.rows != want_rows)
                continue;
            static const char *const sym[] = {"a", "b c", "d"}, *const id[] = {"1", "2", "3"};
            for (size_t r = 0; r < t.rows; r++) {
                const char *const *row = (const char *const *)t.cells + r * t.cols;
                for (size_t c = 0; c < t.cols; c++)
                    CHECK(row[c] != NULL);
                if (s == 1) {
                    CHECK(row[0] && strcmp(row[0], sym[first + r]) == 0);
                    CHECK(row[1] && strcmp(row[1], id[first + r]) == 0);
                    CHECK(row[2] && strcmp(row[2], sym[first + r]) == 0 && row[2] != row[0]);
                } else {
                    CHECK(row[0] && strcmp(row[0], sym[first + r]) == 0);
                    CHECK(row[1] && strcmp(row[1], sym[first + r]) == 0 && row[1] != row[0]);
                }
            }
            CHECK(strcmp(t.names[0], "sym") == 0 && strcmp(t.names[t.cols - 1], "sym") == 0);
            vem_text_table_clear(&t);
        }
    }
    remove(path);
}

/* Issue 15's reproducers: a file "1,1", a header "a,a", a selection "a,a" and "1,1".
 * Each is read to a defined result (every cell a string) or refused with a message. */
static void test_text_repeated_reproducers(void)
{
    static const struct {
        const char *text, *columns;
    } cases[] = {{"1,1", NULL},        {"1,1", "1,1"},         {"1,1\n", "2,2,1"},
                 {"a,a\n1,2\n", NULL}, {"a,a\n1,2\n", "a,a"}, {"a,a\n1,2\n", "1,1"},
                 {"a,a", "a,a"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[64];
        CHECK(temp_file(path, cases[i].text, strlen(cases[i].text)));
        vem_csv_opts o;
        vem_csv_opts_init(&o);
        o.columns = cases[i].columns;
        for (int ranged = 0; ranged < 2; ranged++) {
            vem_text_table t;
            vem_status st = ranged ? vem_text_table_read_rows(path, &o, 0, SIZE_MAX, &t)
                                   : vem_text_table_read(path, &o, 0, &t);
            if (st != VEM_OK) {
                CHECK(st == VEM_EFORMAT && strstr(vem_errmsg(), path) != NULL);
                CHECK(t.cells == NULL && t.rows == 0);
                continue;
            }
            CHECK(t.cols >= 1 && t.names != NULL);
            for (size_t c = 0; c < t.cols; c++)
                CHECK(t.names[c] != NULL);
            for (size_t r = 0; r < t.rows * t.cols; r++)
                CHECK(t.cells[r] != NULL && strlen(t.cells[r]) == 1);
            vem_text_table_clear(&t);
        }
        remove(path);
    }
}

/* Little-endian bytes of x, whatever the host's order. */
static void put_le(unsigned char *p, double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    for (int k = 0; k < 8; k++)
        p[k] = (unsigned char)(u >> (8 * k));
}

static void test_binary(void)
{
    const double vals[6] = {2.385, -0.0, 4.9406564584124654e-324, DBL_MAX, 1.0 / 3.0, -1e300};
    unsigned char bytes[8 * 8];
    for (size_t i = 0; i < 6; i++)
        put_le(bytes + 8 * i, vals[i]);
    char path[64];
    vem_table t;
    CHECK(temp_file(path, bytes, 48));
    CHECK(vem_binary_read(path, 2, &t) == VEM_OK);
    CHECK(t.rows == 3 && t.cols == 2);
    if (t.rows == 3 && t.cols == 2) {
        for (size_t i = 0; i < 6; i++)
            CHECK(same_bits(t.data[i], vals[i]));
        CHECK(strcmp(t.names[0], "1") == 0 && strcmp(t.names[1], "2") == 0);
    }
    vem_table_clear(&t);
    CHECK(vem_binary_read(path, 3, &t) == VEM_OK && t.rows == 2 && t.cols == 3);
    vem_table_clear(&t);

    /* 48 bytes are not a whole number of 4-double rows. */
    CHECK(vem_binary_read(path, 4, &t) == VEM_EFORMAT);
    CHECK(msg_has(path));
    CHECK(msg_has("size 48 bytes is not a multiple of 8 x 4 columns = 32 bytes"));
    CHECK(table_zeroed(&t));
    CHECK(vem_binary_read(path, 0, &t) == VEM_EINVAL);
    remove(path);

    /* A NaN at row 3, column 2 and an Inf at row 2, column 1: the first one is named. */
    put_le(bytes + 8 * 5, NAN);
    put_le(bytes + 8 * 6, 1.0);
    put_le(bytes + 8 * 7, 2.0);
    CHECK(temp_file(path, bytes, 64));
    CHECK(vem_binary_read(path, 2, &t) == VEM_EFORMAT);
    CHECK(msg_has(": row 3 column 2: not finite"));
    CHECK(table_zeroed(&t));
    remove(path);
    put_le(bytes + 8 * 2, -INFINITY);
    CHECK(temp_file(path, bytes, 64));
    CHECK(vem_binary_read(path, 2, &t) == VEM_EFORMAT);
    CHECK(msg_has(": row 2 column 1: not finite"));
    remove(path);

    CHECK(temp_file(path, bytes, 0));
    CHECK(vem_binary_read(path, 2, &t) == VEM_EFORMAT);
    CHECK(msg_has(": empty file"));
    remove(path);
    CHECK(vem_binary_read(DATA("io_does_not_exist.bin"), 2, &t) == VEM_EIO);
    CHECK(msg_has("io_does_not_exist.bin: "));
    CHECK(msg_has(strerror(ENOENT)));
    CHECK(table_zeroed(&t));
}

/* A table bigger than one read buffer (4 MiB) and lines that cross buffer ends. */
static void test_large(void)
{
    size_t rows = 200000, cap = rows * 40 + 16, len = 0;
    char *text = malloc(cap);
    CHECK(text != NULL);
    if (!text)
        return;
    len += (size_t)snprintf(text, cap, "i,x\n");
    for (size_t i = 0; i < rows; i++)
        len += (size_t)snprintf(text + len, cap - len, "%zu,%.17g\n", i, (double)i / 7.0 + 0.1);
    char path[64];
    vem_table t;
    CHECK(read_text(text, NULL, &t, path) == VEM_OK);
    CHECK(t.rows == rows && t.cols == 2);
    size_t bad = 0;
    for (size_t i = 0; t.rows == rows && i < rows; i++) {
        char b[32];
        snprintf(b, sizeof b, "%.17g", (double)i / 7.0 + 0.1);
        bad += t.data[2 * i] != (double)i || !same_bits(t.data[2 * i + 1], strtod(b, NULL));
    }
    CHECK(bad == 0);
    vem_table_clear(&t);
    remove(path);

    /* One line longer than the read buffer. */
    size_t ncol = 2200000; /* 4.4 MB per line */
    char *wide = malloc(ncol * 2 * 2 + 8);
    CHECK(wide != NULL);
    if (wide) {
        len = 0;
        for (int line = 0; line < 2; line++) {
            for (size_t j = 0; j < ncol; j++) {
                wide[len++] = (char)('0' + (j + (size_t)line) % 10);
                wide[len++] = j + 1 < ncol ? ',' : '\n';
            }
        }
        wide[len] = '\0';
        CHECK(read_text(wide, NULL, &t, path) == VEM_OK);
        CHECK(t.rows == 2 && t.cols == ncol);
        CHECK(t.data && t.data[ncol - 1] == 9 && t.data[2 * ncol - 1] == 0);
        CHECK(t.names && strcmp(t.names[ncol - 1], "2200000") == 0);
        vem_table_clear(&t);
        remove(path);
        free(wide);
    }
    free(text);
}

/* A file of text for vem_frames_read; the path is written into path (64 bytes). */
static int frames_file(char *path, const char *text)
{
    return temp_file(path, text, strlen(text));
}

/* vem_frames_read: numeric frames by a sequence column and by a lengths file, a row range. */
static void test_frames_numeric(void)
{
    char path[64], lens[64];
    CHECK(frames_file(path, "seq,x,y\na,1.5,2\na,2.5,3\nb,3.25,4\n"));
    CHECK(frames_file(lens, "2\n1\n"));
    vem_frames_opts o;
    vem_frames_opts_init(&o);
    o.sequence_column = "seq";
    vem_frames f;
    CHECK(vem_frames_read(path, &o, &f) == VEM_OK);
    CHECK(f.rows == 3 && f.cols == 2 && f.names && strcmp(f.names[1], "y") == 0);
    CHECK(f.rows == 3 && f.data[0] == 1.5 && f.data[4] == 3.25 && f.data[5] == 4.0);
    CHECK(f.seqs.n_seq == 2 && f.seqs.start[1] == 2 && f.seqs.start[2] == 3);
    vem_frames_clear(&f);
    /* The same sequences from a lengths file; lengths that do not add up name both files. */
    vem_frames_opts_init(&o);
    o.csv.columns = "x,y";
    o.lengths = lens;
    CHECK(vem_frames_read(path, &o, &f) == VEM_OK);
    CHECK(f.seqs.n_seq == 2 && f.seqs.start[1] == 2 && f.seqs.start[2] == 3);
    vem_frames_clear(&f);
    CHECK(frames_file(lens, "2\n2\n"));
    o.lengths = lens;
    CHECK(vem_frames_read(path, &o, &f) == VEM_EFORMAT && f.data == NULL);
    CHECK(msg_has("add up to 4, but the data has 3 rows"));
    /* Rows [1, 3): the file's own line numbers in messages; no sequences. */
    vem_frames_opts_init(&o);
    o.sequence_column = "seq";
    o.first = 1;
    o.last = 3;
    CHECK(vem_frames_read(path, &o, &f) == VEM_OK);
    CHECK(f.rows == 2 && f.cols == 2 && f.data[0] == 2.5 && f.data[3] == 4.0);
    CHECK(f.seqs.n_seq == 0 && f.seqs.start == NULL);
    vem_frames_clear(&f);
    o.first = 7; /* past the end: an empty share, with the names */
    o.last = SIZE_MAX;
    CHECK(vem_frames_read(path, &o, &f) == VEM_OK && f.rows == 0 && f.cols == 2);
    vem_frames_clear(&f);
    o.lengths = lens;
    CHECK(vem_frames_read(path, &o, &f) == VEM_EINVAL); /* lengths and a sequence column */
    o.sequence_column = NULL;
    CHECK(vem_frames_read(path, &o, &f) == VEM_EINVAL); /* lengths for a range */
    remove(path);
    CHECK(frames_file(path, "seq,x\na,1\na,zz\n"));
    vem_frames_opts_init(&o);
    o.sequence_column = "seq";
    o.first = 1;
    CHECK(vem_frames_read(path, &o, &f) == VEM_EFORMAT);
    CHECK(msg_has(":3:3: not a number: 'zz'"));
    o.sequence_column = "x";
    o.first = 0;
    o.csv.columns = NULL;
    remove(path);
    CHECK(frames_file(path, "x\n1\n"));
    CHECK(vem_frames_read(path, &o, &f) == VEM_EFORMAT);
    CHECK(msg_has("no columns left besides the sequence column 'x'"));
    remove(path);
    remove(lens);
    /* Raw float64: rows [1, 3) read in place; a sequence column needs CSV. */
    const double v[6] = {1, 2, 3, 4, 5, 6};
    CHECK(temp_file(path, v, sizeof v));
    vem_frames_opts_init(&o);
    o.binary_cols = 2;
    o.first = 1;
    o.last = 3;
    CHECK(vem_frames_read(path, &o, &f) == VEM_OK);
    CHECK(f.rows == 2 && f.cols == 2 && f.data[0] == 3.0 && f.data[3] == 6.0);
    vem_frames_clear(&f);
    o.sequence_column = "1";
    CHECK(vem_frames_read(path, &o, &f) == VEM_EINVAL);
    remove(path);
}

/* vem_frames_read: categorical cells as names, as codes, looked up in given symbols. */
static void test_frames_categorical(void)
{
    char path[64];
    CHECK(frames_file(path, "id,sym\n1,b\n1,a\n2,b\n"));
    vem_frames_opts o;
    vem_frames_opts_init(&o);
    o.categorical = 1;
    o.sequence_column = "id";
    vem_frames f;
    /* New symbols, sorted; the symbol column is every column but the ids. */
    CHECK(vem_frames_read(path, &o, &f) == VEM_OK);
    CHECK(f.rows == 3 && f.cols == 1 && !f.codes && strcmp(f.names[0], "sym") == 0);
    CHECK(f.n_symbols == 2 && strcmp(f.symbols[0], "a") == 0 && strcmp(f.symbols[1], "b") == 0);
    CHECK(f.rows == 3 && f.data[0] == 1.0 && f.data[1] == 0.0 && f.data[2] == 1.0);
    CHECK(f.seqs.n_seq == 2 && f.seqs.start[1] == 2);
    vem_frames_clear(&f);
    /* Given symbols: codes are places in their order; an unknown name: FILE:LINE:COL. */
    const char *const given[2] = {"b", "a"};
    o.symbols = given;
    o.n_symbols = 2;
    CHECK(vem_frames_read(path, &o, &f) == VEM_OK);
    CHECK(f.rows == 3 && !f.codes && f.symbols == NULL);
    CHECK(f.rows == 3 && f.data[0] == 0.0 && f.data[1] == 1.0 && f.data[2] == 0.0);
    vem_frames_clear(&f);
    o.n_symbols = 1;
    CHECK(vem_frames_read(path, &o, &f) == VEM_EFORMAT && f.data == NULL);
    char want[128];
    snprintf(want, sizeof want, "%s:3:3: symbol 'a' is not one of the model's 1 symbols", path);
    CHECK(msg_has(want));
    /* Two columns for one symbol column is an option error. */
    o.sequence_column = NULL;
    CHECK(vem_frames_read(path, &o, &f) == VEM_EINVAL);
    CHECK(msg_has("2 columns: choose the symbol column"));
    o.csv.columns = "id,sym";
    CHECK(vem_frames_read(path, &o, &f) == VEM_EINVAL);
    remove(path);
    /* Integer codes: every cell digits (also when given symbols do not hold them). */
    CHECK(frames_file(path, "code\n2\n0\n10\n"));
    vem_frames_opts_init(&o);
    o.categorical = 1;
    CHECK(vem_frames_read(path, &o, &f) == VEM_OK);
    CHECK(f.rows == 3 && f.codes && f.symbols == NULL && f.data[2] == 10.0);
    vem_frames_clear(&f);
    o.symbols = given;
    o.n_symbols = 2;
    CHECK(vem_frames_read(path, &o, &f) == VEM_OK && f.codes && f.data[0] == 2.0);
    vem_frames_clear(&f);
    o.symbols = NULL;
    o.codes = 0; /* digits read as names */
    CHECK(vem_frames_read(path, &o, &f) == VEM_OK && !f.codes && f.n_symbols == 3);
    CHECK(f.rows == 3 && strcmp(f.symbols[1], "10") == 0 && f.data[2] == 1.0);
    vem_frames_clear(&f);
    remove(path);
    CHECK(frames_file(path, "code\n2\nx\n"));
    o.codes = 1;
    CHECK(vem_frames_read(path, &o, &f) == VEM_EFORMAT);
    CHECK(msg_has(":3:1: not an integer code: 'x'"));
    o.codes = -1;
    CHECK(vem_frames_read(path, &o, &f) == VEM_OK && !f.codes && f.n_symbols == 2);
    vem_frames_clear(&f);
    remove(path);
}

/* vem_frames_read under a comma-decimal locale reads what it reads under "C". None
 * installed is a failure (tools/install-deps.sh generates de_DE.UTF-8). */
static void test_frames_locale(void)
{
    char path[64];
    CHECK(frames_file(path, "s;x;y\na;1.5;0.1234567890123456789012\na;-2.25e3;3\n"));
    vem_frames_opts o;
    vem_frames_opts_init(&o);
    o.sequence_column = "s";
    vem_frames want, got;
    CHECK(vem_frames_read(path, &o, &want) == VEM_OK && want.rows == 2 && want.cols == 2);
    const char *loc = setlocale(LC_NUMERIC, "de_DE.UTF-8");
    if (!loc)
        loc = setlocale(LC_NUMERIC, "de_DE.utf8");
    CHECK(loc != NULL && localeconv()->decimal_point[0] == ',');
    if (!loc)
        fprintf(stderr, "  de_DE.UTF-8 is not installed: run tools/install-deps.sh\n");
    for (int ranged = 0; loc && ranged < 2; ranged++) {
        o.last = ranged ? 2 : SIZE_MAX;
        CHECK(vem_frames_read(path, &o, &got) == VEM_OK);
        CHECK(got.rows == 2 && got.cols == 2);
        for (size_t i = 0; got.rows == 2 && want.rows == 2 && i < 4; i++)
            CHECK(same_bits(got.data[i], want.data[i]));
        vem_frames_clear(&got);
    }
    CHECK(want.rows == 2 && want.data[0] == 1.5 && want.data[2] == -2250.0);
    /* The library left the process locale alone. */
    CHECK(!loc || localeconv()->decimal_point[0] == ',');
    setlocale(LC_NUMERIC, "C");
    vem_frames_clear(&want);
    remove(path);
}

int main(void)
{
    test_faithful();
    test_penguins_columns();
    test_basic_and_detection();
    test_quotes_and_line_ends();
    test_errors();
    test_selected_text_ok();
    test_numbers_match_strtod();
    test_locale_independent();
    test_text_repeated_column();
    test_text_repeated_reproducers();
    test_text_locale_independent();
    test_binary();
    test_large();
    test_frames_numeric();
    test_frames_categorical();
    test_frames_locale();
    return check_report("io");
}
