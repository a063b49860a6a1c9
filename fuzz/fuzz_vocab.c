/*
 * fuzz/fuzz_vocab.c — vem_vocab_read (one word per line). Input: the file.
 * Check: every word is set, non-empty.
 */
#include <vem/corpus.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *path = fz_write("vocab.txt", data, size);
    vem_vocab v = {0};
    if (vem_vocab_read(path, &v) == VEM_OK)
        for (size_t i = 0; i < v.n; i++)
            FZ_CHECK(v.words[i] && v.words[i][0], "word %zu empty", i);
    vem_vocab_clear(&v);
    free(path);
    return 0;
}
