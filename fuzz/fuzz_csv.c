/*
 * fuzz/fuzz_csv.c — vem_csv_read, vem_csv_read_range, vem_source_open_csv and
 * vem_source_open_csv_share on a CSV/TSV file.
 *
 * Input: one option byte, then the file. Option bits: 0-1 header (detect, no,
 * yes, detect), 2-3 delimiter (detect, ',', '\t', ';'), 4-6 the columns
 * (all, "1", "2,1", "1,1", "a", "a,b", "3", "b"), 7 also read the file in two
 * byte ranges, as a streamed source and as the two shares of two processes.
 * Checks: the two ranges, and the two shares, hold the rows of the whole file
 * when all the reads succeed; the source holds the same rows and values as
 * vem_csv_read.
 */
#include <vem/io.h>

#include "fuzz_common.h"

static const char *const columns[8] = {NULL, "1", "2,1", "1,1", "a", "a,b", "3", "b"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned b = fz_take_byte(&data, &size);
    char *path = fz_write("data.csv", data, size);
    vem_csv_opts o;
    vem_csv_opts_init(&o);
    o.header = (int)(b & 3) == 1 ? 0 : (b & 3) == 2 ? 1 : -1;
    o.delim = "\0,\t;"[(b >> 2) & 3];
    o.columns = columns[(b >> 4) & 7];

    vem_table t = {0};
    vem_status st = vem_csv_read(path, &o, &t);
    if (st == VEM_OK) {
        FZ_CHECK(t.data && t.names && t.rows > 0 && t.cols > 0, "rows %zu cols %zu", t.rows,
                 t.cols);
        for (size_t j = 0; j < t.cols; j++)
            FZ_CHECK(t.names[j] != NULL, "name %zu NULL", j);
    }
    if (b & 0x80) {
        uint64_t mid = size / 2;
        vem_table a = {0}, c = {0};
        vem_status sa = vem_csv_read_range(path, &o, 0, mid, &a);
        vem_status sc = vem_csv_read_range(path, &o, mid, UINT64_MAX, &c);
        if (st == VEM_OK && sa == VEM_OK && sc == VEM_OK)
            FZ_CHECK(a.rows + c.rows == t.rows, "ranges %zu + %zu rows, whole %zu", a.rows,
                     c.rows, t.rows);
        vem_table_clear(&a);
        vem_table_clear(&c);

        vem_source *src = vem_source_open_csv(path, &o);
        if (src && st == VEM_OK) {
            size_t n = vem_source_rows(src), d = vem_source_cols(src);
            FZ_CHECK(n == t.rows && d == t.cols, "source %zu x %zu, table %zu x %zu", n, d,
                     t.rows, t.cols);
            double *buf = malloc(n * d * sizeof *buf);
            if (buf && vem_source_read(src, 0, n, buf) == VEM_OK)
                FZ_CHECK(memcmp(buf, t.data, n * d * sizeof *buf) == 0, "source values differ");
            free(buf);
        }
        vem_source_close(src);

        vem_source *s0 = vem_source_open_csv_share(path, &o, 0, 2);
        vem_source *s1 = vem_source_open_csv_share(path, &o, 1, 2);
        if (s0 && s1 && st == VEM_OK)
            FZ_CHECK(vem_source_rows(s0) + vem_source_rows(s1) == t.rows,
                     "shares %zu + %zu rows, whole %zu", vem_source_rows(s0),
                     vem_source_rows(s1), t.rows);
        vem_source_close(s0);
        vem_source_close(s1);
    }
    vem_table_clear(&t);
    free(path);
    return 0;
}
