/*
 * fuzz/fuzz_binary.c — raw little-endian float64 columns: vem_binary_read and
 * vem_source_open_binary (--binary-cols D).
 *
 * Input: one option byte, then the file. Bits 0-2: D - 1 (1 to 8 columns);
 * bit 3: also open the file as a source (bits 4-5: share rank of 1 + bits 6-7
 * processes, the rank taken modulo that) and read its rows. Check: a source
 * of the whole file reads the same values as vem_binary_read.
 */
#include <vem/io.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned b = fz_take_byte(&data, &size);
    char *path = fz_write("data.bin", data, size);
    size_t cols = 1 + (b & 7);
    vem_table t = {0};
    vem_status st = vem_binary_read(path, cols, &t);
    if (st == VEM_OK)
        FZ_CHECK(t.rows * t.cols * 8 == size && t.cols == cols, "%zu x %zu from %zu bytes",
                 t.rows, t.cols, size);
    if (b & 8) {
        size_t nranks = 1 + ((b >> 6) & 3), rank = ((b >> 4) & 3) % nranks;
        vem_source *src = nranks == 1 ? vem_source_open_binary(path, cols)
                                      : vem_source_open_binary_share(path, cols, rank, nranks);
        if (src) {
            size_t n = vem_source_rows(src);
            FZ_CHECK(vem_source_cols(src) == cols, "source cols %zu", vem_source_cols(src));
            double *buf = malloc((n ? n : 1) * cols * sizeof *buf);
            if (buf && vem_source_read(src, 0, n, buf) == VEM_OK && st == VEM_OK && nranks == 1)
                FZ_CHECK(n == t.rows && memcmp(buf, t.data, n * cols * sizeof *buf) == 0,
                         "source differs");
            free(buf);
        }
        vem_source_close(src);
    }
    vem_table_clear(&t);
    free(path);
    return 0;
}
