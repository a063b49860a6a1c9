/*
 * fuzz/fuzz_corpus_build.c — vem_corpus_build (`vem corpus`): a text file,
 * one document per line, and a stop-word file, into a bag-of-words corpus.
 *
 * Input: one option byte, then the text; with bit 0, the bytes after the
 * first "\n#stop\n" are the stop-word file. Bits: 1 min_len 1 (else 2);
 * 2 min_df 2; 3 max_df 0.5; 4 a given vocabulary (apple, banana, the).
 * Checks: the corpus is well formed (offsets, ids below the vocabulary and
 * increasing in a document, counts positive) and its vocabulary is the
 * returned one.
 */
#include <vem/corpus.h>

#include "fuzz_common.h"

static char *given[3] = {"apple", "banana", "the"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned b = fz_take_byte(&data, &size);
    size_t from = size, end = (b & 1) ? fz_split(data, size, "\n#stop\n", &from) : size;
    char *path = fz_write("texts.txt", data, end);
    char *stop = (b & 1) ? fz_write("stop.txt", data + from, size - from) : NULL;
    vem_corpus_opts o;
    vem_corpus_opts_init(&o);
    o.stopwords = stop;
    if (b & 2)
        o.min_len = 1;
    if (b & 4)
        o.min_df = 2;
    if (b & 8)
        o.max_df = 0.5;
    vem_vocab gv = {given, 3};
    if (b & 16)
        o.vocab = &gv;
    vem_docs_owned c = {0};
    vem_vocab v = {0};
    if (vem_corpus_build(path, &o, &c, &v) == VEM_OK) {
        FZ_CHECK(c.nvocab == v.n && c.ptr && c.ptr[0] == 0, "nvocab %zu, vocabulary %zu",
                 c.nvocab, v.n);
        for (size_t d = 0; d < c.ndocs; d++)
            for (size_t i = c.ptr[d]; i < c.ptr[d + 1]; i++)
                FZ_CHECK(c.word[i] < c.nvocab && (i == c.ptr[d] || c.word[i - 1] < c.word[i]) &&
                             c.count[i] > 0,
                         "document %zu", d);
        for (size_t w = 0; w < v.n; w++)
            FZ_CHECK(v.words[w] && v.words[w][0], "word %zu", w);
    }
    vem_docs_owned_clear(&c);
    vem_vocab_clear(&v);
    if (stop)
        fz_remove("stop.txt");
    free(stop);
    free(path);
    return 0;
}
