/*
 * include/vem/corpus.h — bag-of-words corpora and vocabularies: reading UCI
 * and LDA-C files, writing UCI files, and building a corpus from text.
 *
 * A corpus is held in an owned CSR structure (vem_docs_owned) whose view
 * (vem_docs, data.h) is what models read. Within a document the word ids are
 * strictly increasing (duplicates in a file are summed). Errors name the
 * place: vem_errmsg() reads "FILE:LINE: what". Formats: docs/lda.md.
 */
#ifndef VEM_CORPUS_H
#define VEM_CORPUS_H

#include <vem/common.h>
#include <vem/data.h>

VEM_BEGIN_DECLS

/** A corpus that owns its arrays. Release with vem_docs_owned_clear. */
typedef struct vem_docs_owned {
    size_t ndocs, nvocab;
    size_t *ptr;    /**< ndocs + 1 offsets */
    uint32_t *word; /**< ptr[ndocs] word ids, increasing within a document */
    double *count;  /**< ptr[ndocs] counts, > 0 */
} vem_docs_owned;

/** Release what c owns and zero it; safe on a zeroed struct. */
VEM_API void vem_docs_owned_clear(vem_docs_owned *c);
/** Borrowed view of c (valid while c is). */
VEM_API vem_docs vem_docs_owned_view(const vem_docs_owned *c);
/** Total tokens of a corpus view: the sum of its counts. */
VEM_API double vem_docs_tokens(const vem_docs *d);

/**
 * Read a UCI bag-of-words file ("docword"): three header lines D, W, NNZ, then
 * NNZ lines "docID wordID count" (1-based ids, count a positive integer).
 * Documents without a line are empty. Lines may come in any order; repeated
 * (doc, word) pairs are summed. Errors (out left zeroed): VEM_EIO;
 * VEM_EFORMAT "FILE:LINE: what" for a bad header, a non-number, an id out of
 * range, a count <= 0, or a line count other than NNZ, or a D larger than the file's
 * size in bytes (checked before allocating: docs/reliability.md); VEM_ENOMEM (D beyond
 * vem_memory_limit()). A UTF-8 byte-order mark before the first line is skipped.
 */
VEM_API vem_status vem_docs_read_uci(const char *path, vem_docs_owned *out);

/**
 * Read Blei's LDA-C format: one document per line, "M id:count id:count ..."
 * (0-based ids, M the number of pairs). nvocab > 0: ids must be below it and
 * it becomes out->nvocab; nvocab == 0: out->nvocab = largest id + 1.
 * Errors: VEM_EIO; VEM_EFORMAT "FILE:LINE: what" (M not matching the pairs,
 * a malformed pair, an id out of range, a count <= 0); VEM_ENOMEM.
 */
VEM_API vem_status vem_docs_read_ldac(const char *path, size_t nvocab, vem_docs_owned *out);

/**
 * Read a corpus in either format: LDA-C when path ends in ".ldac", UCI
 * otherwise. nvocab as for vem_docs_read_ldac (for UCI, W must not exceed it).
 */
VEM_API vem_status vem_docs_read(const char *path, size_t nvocab, vem_docs_owned *out);

/**
 * Read one process's share of a corpus for a distributed fit: share `rank`
 * (0-based) of `nranks`, in either format as vem_docs_read (LDA-C when path
 * ends in ".ldac"). Every document goes whole to exactly one share, the shares
 * hold the documents in file order, and together they are the corpus
 * vem_docs_read returns; each process reads only its share's bytes (plus a
 * scan for newlines before it, for exact line numbers in errors).
 *
 * - UCI: the data lines (after the three header lines) are cut into nranks
 *   byte ranges of about equal size; each cut moves forward to the start of
 *   the next document (the first line whose docID differs from that of the
 *   first line after the cut). The share holds documents [first, next share's
 *   first) as 0-based indices, empty documents included (the last share ends
 *   at D), so out->ndocs counts them. The lines must be grouped by document in
 *   increasing docID order (as vem_docs_write_uci and `vem corpus` write
 *   them); a line out of that order is VEM_EFORMAT "FILE:LINE: docID N out of
 *   order". The check of the line count against NNZ is made by the last share
 *   when it holds the end of the data ("more than NNZ" by any share).
 * - LDA-C: the lines that start in the byte range [rank S / nranks,
 *   (rank + 1) S / nranks) of a file of S bytes, one document each.
 *
 * nvocab as vem_docs_read; for LDA-C with nvocab == 0, out->nvocab is this
 * share's largest id + 1 (1 for a share without words): take the maximum
 * over the shares. A share may hold no documents (out->ndocs == 0, ptr still
 * allocated); "no documents" in the whole file is the caller's to check.
 * *first_doc (may be NULL) receives the index of the share's first document
 * in the corpus. Errors: VEM_EINVAL if rank >= nranks; otherwise those of the
 * readers (out left zeroed), with the file's own line numbers.
 */
VEM_API vem_status vem_docs_read_share(const char *path, size_t nvocab, size_t rank,
                                       size_t nranks, vem_docs_owned *out, size_t *first_doc);

struct vem_comm;
/**
 * This process's share of a corpus for a distributed fit over comm (the
 * communicator of fit.h; docs/mpi.md): vem_docs_read_share with comm's rank
 * and size, then what the processes must agree on before they fit, so that
 * each can go on with its share alone:
 *
 * - the outcome: every process returns the same status, a share's error
 *   (its reader's "FILE:LINE: what") that of the lowest-ranked process whose
 *   share failed, with that detail in every process's vem_errmsg(), so that the
 *   caller reports it on process 0 only (vem_comm_agree, comm.h);
 * - the vocabulary size: out->nvocab becomes the largest over the shares (for
 *   LDA-C without nvocab, the largest id + 1 in the whole file; otherwise the
 *   same everywhere already);
 * - the documents: *ndocs_all (may be NULL) receives the sum of the shares'
 *   counts; none in the whole file is VEM_EFORMAT "FILE: no documents".
 *
 * A share may hold no documents. comm NULL: one process, the whole corpus as
 * vem_docs_read (the lines of a UCI file in any order) with the same
 * "no documents" check. A collective: every process of comm calls it, with the
 * same path and nvocab. On error out is left zeroed. Errors: those of
 * vem_docs_read_share, VEM_EFORMAT (no documents), VEM_ENOMEM, or the
 * communicator's.
 */
VEM_API vem_status vem_docs_read_share_comm(const char *path, size_t nvocab,
                                            const struct vem_comm *comm, vem_docs_owned *out,
                                            size_t *ndocs_all);

/**
 * Write d as a UCI bag-of-words file (counts printed as integers when
 * integral), atomically: to PATH.vem-tmp.PID.XXXXXX beside path, synced, then
 * renamed over path (io.h, vem_output_cleanup): path is the whole old file or
 * the whole new one at every instant. VEM_EIO, VEM_ENOMEM.
 */
VEM_API vem_status vem_docs_write_uci(const vem_docs *d, const char *path);

/** A vocabulary: word i is words[i]. Release with vem_vocab_clear. */
typedef struct vem_vocab {
    char **words;
    size_t n;
} vem_vocab;

/** Release what v owns and zero it; safe on a zeroed struct. */
VEM_API void vem_vocab_clear(vem_vocab *v);

/**
 * Read a vocabulary file: one word per line, word i on line i (1-based lines
 * are ids i - 1). "\r\n" accepted; a trailing blank line ignored. Errors:
 * VEM_EIO; VEM_EFORMAT "FILE:LINE: ..." for an empty line, a word with
 * whitespace, or a repeated word; VEM_ENOMEM.
 */
VEM_API vem_status vem_vocab_read(const char *path, vem_vocab *out);

/** Write v, one word per line, atomically as vem_docs_write_uci. VEM_EIO, VEM_ENOMEM. */
VEM_API vem_status vem_vocab_write(const vem_vocab *v, const char *path);

/**
 * Write the corpus d and its vocabulary v (v->n == d->nvocab) as one unit:
 * PREFIX.docword.txt and PREFIX.vocab.txt are then the new pair, and at every
 * instant before they are the old pair (or absent, as before), never one old
 * and one new, never truncated. The two names are symbolic links,
 * PREFIX.docword.txt -> B.corpus/docword.txt and PREFIX.vocab.txt ->
 * B.corpus/vocab.txt (B the last component of prefix), through the link
 * PREFIX.corpus -> B.corpus.XXXXXX, a directory holding the pair: the new pair
 * is written whole into a new such directory, synced, and committed by
 * renaming a new PREFIX.corpus link over the old one; the old directory is
 * then removed. Regular files at the two names (another layout) are first
 * moved into a directory of their own, keeping their contents. Directories
 * B.corpus.XXXXXX that a kill -9 left are removed by the next write of the
 * same prefix. docs/formats.md, "Corpus files"; docs/reliability.md.
 * Errors: VEM_EINVAL (NULL arguments, sizes that differ), VEM_EIO (including
 * "PREFIX.corpus: exists and is not the link vem makes"), VEM_ENOMEM; the old
 * pair is then as it was.
 */
VEM_API vem_status vem_corpus_write(const vem_docs *d, const vem_vocab *v, const char *prefix);

/** Options of vem_corpus_build; initialise with vem_corpus_opts_init. */
typedef struct vem_corpus_opts {
    const char *stopwords; /**< file of stop words (one per line, '#' comments), or NULL */
    size_t min_len;        /**< shortest token kept (default 2) */
    size_t min_df;         /**< keep words in at least min_df documents (default 1) */
    double max_df;         /**< keep words in at most this fraction of documents (default 1) */
    const vem_vocab *vocab; /**< non-NULL: apply this vocabulary (no df filters); borrowed */
} vem_corpus_opts;

VEM_API void vem_corpus_opts_init(vem_corpus_opts *o);

/**
 * Build a bag-of-words corpus from text. path is a directory (each regular
 * file, in byte order of the names, is one document; names starting with '.'
 * are skipped) or a file (each line is one document). Tokens are maximal runs
 * of ASCII letters, lowercased; bytes that are not letters separate tokens.
 * Tokens shorter than min_len and stop words are dropped. Without o->vocab,
 * the vocabulary is the words kept by the document-frequency filters, in
 * alphabetical (byte) order; with it, words outside it are dropped. Empty
 * documents are kept (so document i is line or file i). Errors: VEM_EIO,
 * VEM_EFORMAT (no documents, empty vocabulary), VEM_EINVAL, VEM_ENOMEM.
 */
VEM_API vem_status vem_corpus_build(const char *path, const vem_corpus_opts *o,
                                    vem_docs_owned *docs, vem_vocab *vocab);

VEM_END_DECLS
#endif /* VEM_CORPUS_H */
