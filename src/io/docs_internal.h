/* src/io/docs_internal.h — reading a corpus in chunks, for document sources (source.c). */
#ifndef VEM_DOCS_INTERNAL_H
#define VEM_DOCS_INTERNAL_H

#include <vem/corpus.h>

/* Receives one chunk of consecutive documents (CSR, word ids sorted within each). */
typedef vem_status (*vem__docs_chunk_fn)(void *ctx, const vem_docs_owned *chunk);

/*
 * Read share rank of nranks of a corpus as vem_docs_read_share does (same
 * documents, same checks and messages), but hand it to fn in chunks of whole
 * documents, each ending at the first document boundary after `chunk` (word,
 * count) pairs, so that memory stays bounded by a chunk. A chunk's nvocab is
 * nvocab, the UCI header's W, or (LDA-C without nvocab) the largest id so far + 1.
 * Errors as vem_docs_read_share, or fn's.
 */
vem_status vem__docs_stream(const char *path, size_t nvocab, size_t rank, size_t nranks,
                            size_t chunk, vem__docs_chunk_fn fn, void *ctx);

#endif
