/*
 * fuzz/fuzz_npy_data.c — data .npy files (vem_npy_read: '<f8', '<f4', '|u1', 1-D
 * or 2-D) and raw files of --dtype (vem_binary_read_dtype).
 *
 * Input: one option byte, then the file. Bit 0 clear: vem_npy_read; set: raw
 * values of dtype bits 1-2 (0 float64, 1 float32, 2 uint8, 3 an invalid dtype)
 * with 1 + bits 3-5 columns. Check: a read table has rows x cols finite values
 * that fit in the file.
 */
#include <math.h>

#include <vem/io.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned b = fz_take_byte(&data, &size);
    char *path = fz_write("data.npy", data, size);
    vem_table t = {0};
    vem_status st;
    size_t isz = 1;
    if (b & 1) {
        vem_dtype d = (vem_dtype)((b >> 1) & 3);
        isz = d == VEM_DTYPE_FLOAT64 ? 8 : d == VEM_DTYPE_FLOAT32 ? 4 : 1;
        st = vem_binary_read_dtype(path, 1 + ((b >> 3) & 7), d, &t);
        if (st == VEM_OK)
            FZ_CHECK(d <= VEM_DTYPE_UINT8 && t.rows * t.cols * isz == size, "%zu x %zu of %zu bytes",
                     t.rows, t.cols, size);
    } else {
        st = vem_npy_read(path, &t);
    }
    if (st == VEM_OK) {
        FZ_CHECK(t.rows > 0 && t.cols > 0 && t.data && t.names, "%zu x %zu", t.rows, t.cols);
        FZ_CHECK(t.rows * t.cols * isz <= size, "%zu x %zu from %zu bytes", t.rows, t.cols, size);
        for (size_t i = 0; i < t.rows * t.cols; i++)
            FZ_CHECK(isfinite(t.data[i]), "value %zu", i);
    } else {
        FZ_CHECK(t.data == NULL && t.rows == 0, "failed read left a table");
    }
    vem_table_clear(&t);
    free(path);
    return 0;
}
