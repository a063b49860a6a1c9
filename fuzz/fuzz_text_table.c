/*
 * fuzz/fuzz_text_table.c — vem_text_table_read and vem_text_table_read_rows
 * (the cells of a CSV/TSV file as text: HMM symbols, sequence ids).
 *
 * Input: one option byte, then the file. Bits: 0-1 header (detect, no, yes,
 * detect), 2-3 delimiter (detect, ',', '\t', ';'), 4-6 the columns (all,
 * "1", "1,1", "2,1", "a", "a,a", "2", "b"), 7 read data rows [1, 3) with
 * vem_text_table_read_rows instead of vem_text_table_read (whose max_rows is 0
 * for an even file size, 2 for an odd one). Checks: every cell and name is
 * set, and a column chosen twice holds the same cells in both places.
 */
#include <vem/io.h>

#include "fuzz_common.h"

static const char *const columns[8] = {NULL, "1", "1,1", "2,1", "a", "a,a", "2", "b"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned b = fz_take_byte(&data, &size);
    char *path = fz_write("data.csv", data, size);
    vem_csv_opts o;
    vem_csv_opts_init(&o);
    o.header = (int)(b & 3) == 1 ? 0 : (b & 3) == 2 ? 1 : -1;
    o.delim = "\0,\t;"[(b >> 2) & 3];
    unsigned c = (b >> 4) & 7;
    o.columns = columns[c];

    vem_text_table t = {0};
    vem_status st = (b & 0x80) ? vem_text_table_read_rows(path, &o, 1, 3, &t)
                               : vem_text_table_read(path, &o, size & 1 ? 2 : 0, &t);
    if (st == VEM_OK) {
        FZ_CHECK(t.cols > 0 && t.names, "cols %zu", t.cols);
        for (size_t j = 0; j < t.cols; j++)
            FZ_CHECK(t.names[j] != NULL, "name %zu NULL", j);
        for (size_t i = 0; i < t.rows * t.cols; i++) {
            FZ_CHECK(t.cells && t.cells[i] != NULL, "cell %zu NULL", i);
            (void)strlen(t.cells[i]);
        }
        if (c == 2 || c == 5) /* a column chosen twice */
            for (size_t i = 0; t.cols == 2 && i < t.rows; i++)
                FZ_CHECK(strcmp(t.cells[2 * i], t.cells[2 * i + 1]) == 0, "row %zu differs", i);
    }
    vem_text_table_clear(&t);
    free(path);
    return 0;
}
