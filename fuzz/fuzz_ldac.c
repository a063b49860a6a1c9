/*
 * fuzz/fuzz_ldac.c — Blei's LDA-C corpus reader: fuzz_docword.c's harness on
 * a file whose name ends in ".ldac" (vem_docs_read picks LDA-C by the name).
 * Input and checks as fuzz_docword.c.
 */
#define FUZZ_CORPUS_NAME "corpus.ldac"
#include "fuzz_docword.c"
