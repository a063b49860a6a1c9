/*
 * fuzz/fuzz_idx.c — MNIST IDX files, gzip or plain: vem_idx_read.
 *
 * Input: one option byte, then the file. Bit 0: gzip the file before reading it
 * (so that the header and size checks are reached through zlib as well as
 * directly; without it a gzip input exercises zlib's error paths). Check: a read
 * table of a file that is not itself gzip (or of bit 0's gzip of it) is exactly
 * the file's header and its values.
 */
#include <zlib.h>

#include <vem/io.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned b = fz_take_byte(&data, &size);
    char *path;
    if (b & 1) {
        path = fz_write("data-ubyte.gz", NULL, 0);
        gzFile g = gzopen(path, "wb1");
        if (!g || (size && gzwrite(g, data, (unsigned)size) != (int)size))
            abort();
        gzclose(g);
    } else {
        path = fz_write("data-ubyte", data, size);
    }
    vem_table t = {0};
    /* Without bit 0, an input that is itself gzip is read decompressed. */
    const int as_is = (b & 1) || !(size >= 2 && data[0] == 0x1f && data[1] == 0x8b);
    if (vem_idx_read(path, &t) == VEM_OK && as_is) {
        FZ_CHECK(t.rows > 0 && t.cols > 0 && t.data && t.names, "%zu x %zu", t.rows, t.cols);
        size_t n = t.rows * t.cols;
        FZ_CHECK(size >= 4 && n <= size, "%zu values from %zu bytes", n, size);
        size_t head = size - n;
        FZ_CHECK(head == 4 + 4 * (size_t)data[3], "header of %zu bytes", head);
        for (size_t i = 0; i < n; i++)
            FZ_CHECK(t.data[i] == data[head + i], "value %zu", i);
    }
    vem_table_clear(&t);
    free(path);
    return 0;
}
