/*
 * fuzz/fuzz_lengths.c — vem_seqs_read_lengths (an HMM's sequence lengths, one
 * positive integer per line). Input: one byte, the row total to check against
 * (0: none), then the file. Check: the offsets start at 0, increase strictly,
 * and end at the total when one was given.
 */
#include <vem/io.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n_rows = fz_take_byte(&data, &size);
    char *path = fz_write("lengths.txt", data, size);
    vem_seqs s = {0};
    if (vem_seqs_read_lengths(path, n_rows, &s) == VEM_OK) {
        FZ_CHECK(s.n_seq > 0 && s.start && s.start[0] == 0, "n_seq %zu", s.n_seq);
        for (size_t i = 0; i < s.n_seq; i++)
            FZ_CHECK(s.start[i] < s.start[i + 1], "sequence %zu empty", i);
        FZ_CHECK(n_rows == 0 || s.start[s.n_seq] == n_rows, "total %zu, rows %zu",
                 s.start[s.n_seq], n_rows);
    }
    vem_seqs_clear(&s);
    free(path);
    return 0;
}
