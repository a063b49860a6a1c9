/*
 * src/models/lda_internal.h — LDA internals the tests reach (not installed).
 */
#ifndef VEM_LDA_INTERNAL_H
#define VEM_LDA_INTERNAL_H

/*
 * Non-zero: the E-step uses its 4-wide (AVX2) kernels even on a CPU with AVX-512,
 * whose 8-wide kernels give the same bits (tests/test_lda.c compares the two).
 * Set it only while no fit runs. Default 0.
 */
extern int vem__lda_narrow;

#endif /* VEM_LDA_INTERNAL_H */
