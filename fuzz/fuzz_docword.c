/*
 * fuzz/fuzz_docword.c — the UCI bag-of-words reader ("docword"):
 * vem_docs_read_uci, vem_docs_read (with a vocabulary size),
 * vem_docs_read_share and vem_source_open_docs.
 *
 * Input: one option byte, then the file. Bits 0-1: the reader (read_uci,
 * read with nvocab 5, read_share, source_open_docs); bits 2-3: processes - 1;
 * bits 4-5: the rank (modulo the processes). Checks: a corpus read is well
 * formed (offsets increasing, ids below nvocab and increasing within a
 * document, counts positive), and the source's documents add up.
 */
#include <vem/corpus.h>
#include <vem/io.h>

#include "fuzz_common.h"

static void check_docs(const vem_docs_owned *c)
{
    FZ_CHECK(c->ptr && c->ptr[0] == 0, "ptr");
    for (size_t d = 0; d < c->ndocs; d++) {
        FZ_CHECK(c->ptr[d] <= c->ptr[d + 1], "doc %zu offsets", d);
        for (size_t i = c->ptr[d]; i < c->ptr[d + 1]; i++) {
            FZ_CHECK(c->word[i] < c->nvocab, "doc %zu word %u of %zu", d, c->word[i], c->nvocab);
            FZ_CHECK(i == c->ptr[d] || c->word[i - 1] < c->word[i], "doc %zu ids not increasing",
                     d);
            FZ_CHECK(c->count[i] > 0, "doc %zu count %g", d, c->count[i]);
        }
    }
}

/* Shared by fuzz_ldac.c: name is the file name, whose ending picks the format. */
static int fuzz_corpus(const char *name, const uint8_t *data, size_t size)
{
    unsigned b = fz_take_byte(&data, &size);
    char *path = fz_write(name, data, size);
    size_t nranks = 1 + ((b >> 2) & 3), rank = ((b >> 4) & 3) % nranks;
    vem_docs_owned c = {0};
    vem_status st = VEM_OK;
    switch (b & 3) {
    case 0:
        st = vem_docs_read(path, 0, &c);
        break;
    case 1:
        st = vem_docs_read(path, 5, &c);
        break;
    case 2: {
        size_t first = 0;
        st = vem_docs_read_share(path, b & 0x40 ? 5 : 0, rank, nranks, &c, &first);
        break;
    }
    default: {
        vem_source *src = vem_source_open_docs(path, b & 0x40 ? 5 : 0, rank, nranks);
        if (src) {
            size_t n = vem_source_units(src);
            const size_t *start = vem_source_unit_starts(src);
            FZ_CHECK(vem_source_unit_kind(src) == VEM_UNITS_DOCUMENTS, "kind");
            FZ_CHECK(start && start[0] == 0 && start[n] == vem_source_rows(src), "offsets");
            FZ_CHECK(vem_source_tokens(src) >= 0, "tokens");
        }
        vem_source_close(src);
        st = VEM_EINVAL;
    }
    }
    if (st == VEM_OK)
        check_docs(&c);
    vem_docs_owned_clear(&c);
    free(path);
    return 0;
}

#ifndef FUZZ_CORPUS_NAME
#define FUZZ_CORPUS_NAME "corpus.docword.txt"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_corpus(FUZZ_CORPUS_NAME, data, size);
}
