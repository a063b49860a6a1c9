/*
 * fuzz/fuzz_frames.c — vem_frames_read: an HMM's frames (numeric or
 * categorical, names or integer codes) with their sequences (a lengths file or
 * a sequence-id column) or a row range.
 *
 * Input: one option byte, then the data file; with bit 5, the bytes after the
 * first "\n#lengths\n" are the lengths file. Bits: 0 categorical; 1-2 codes
 * (decide, decide, names, codes); 3 sequence column "seq"; 4 given symbols
 * (a, b, c) or given columns (x, y); 5 a lengths file; 6 data rows [1, 4)
 * only; 7 header forced. Checks: the frames are set, and the sequences cover
 * the rows.
 */
#include <vem/io.h>

#include "fuzz_common.h"

static const char *const symbols[3] = {"a", "b", "c"};
static const char *const names[2] = {"x", "y"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned b = fz_take_byte(&data, &size);
    size_t from = size, end = (b & 0x20) ? fz_split(data, size, "\n#lengths\n", &from) : size;
    char *path = fz_write("frames.csv", data, end);
    char *lengths = (b & 0x20) ? fz_write("lengths.txt", data + from, size - from) : NULL;
    vem_frames_opts o;
    vem_frames_opts_init(&o);
    o.categorical = (int)(b & 1);
    o.codes = (b & 4) ? (b & 2 ? 1 : 0) : -1;
    if (b & 8)
        o.sequence_column = "seq";
    if (b & 16) {
        if (o.categorical) {
            o.symbols = symbols;
            o.n_symbols = 3;
        } else {
            o.columns = names;
            o.n_columns = 2;
        }
    }
    o.lengths = lengths;
    if (b & 0x40) {
        o.first = 1;
        o.last = 4;
    }
    if (b & 0x80)
        o.csv.header = 1;

    vem_frames f = {0};
    if (vem_frames_read(path, &o, &f) == VEM_OK) {
        FZ_CHECK(f.cols > 0 && f.names && (f.rows == 0 || f.data), "%zu x %zu", f.rows, f.cols);
        for (size_t j = 0; j < f.cols; j++)
            FZ_CHECK(f.names[j] != NULL, "name %zu NULL", j);
        if (f.seqs.n_seq) {
            FZ_CHECK(f.seqs.start[0] == 0 && f.seqs.start[f.seqs.n_seq] == f.rows,
                     "sequences end at %zu of %zu rows", f.seqs.start[f.seqs.n_seq], f.rows);
            for (size_t s = 0; s < f.seqs.n_seq; s++)
                FZ_CHECK(f.seqs.start[s] < f.seqs.start[s + 1], "sequence %zu empty", s);
        }
        for (size_t s = 0; f.symbols && s < f.n_symbols; s++)
            FZ_CHECK(f.symbols[s] != NULL, "symbol %zu NULL", s);
    }
    vem_frames_clear(&f);
    if (lengths)
        fz_remove("lengths.txt");
    free(lengths);
    free(path);
    return 0;
}
