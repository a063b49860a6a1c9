/* include/vem/data.h — borrowed views of the data a model is fitted to. */
#ifndef VEM_DATA_H
#define VEM_DATA_H

#include <vem/common.h>

VEM_BEGIN_DECLS

/** Borrowed, row-major view of a rows x cols matrix; never owns memory. */
typedef struct vem_matrix {
    const double *data;
    size_t rows, cols;
    size_t ld; /**< row stride in elements, >= cols */
} vem_matrix;

/** View of a contiguous rows x cols row-major array. */
static inline vem_matrix vem_matrix_view(const double *p, size_t rows, size_t cols)
{
    vem_matrix m;
    m.data = p;
    m.rows = rows;
    m.cols = cols;
    m.ld = cols;
    return m;
}

/**
 * Borrowed sparse corpus for topic models: CSR over documents. Document i has
 * the distinct word ids word[ptr[i] .. ptr[i+1]) (each < nvocab) with their
 * counts (double, so weighted counts also fit).
 */
typedef struct vem_docs {
    size_t ndocs, nvocab;
    const size_t *ptr;     /**< ndocs + 1 offsets */
    const uint32_t *word;  /**< ptr[ndocs] word ids */
    const double *count;   /**< ptr[ndocs] counts */
} vem_docs;

/**
 * What a model is fitted to: observations as rows of x and, for sequence
 * models, optional sequence boundaries (sequence s is rows
 * [seq_start[s], seq_start[s+1]), seq_start has n_seq + 1 entries). Borrowed.
 * The engine treats the data as a list of units (rows for mixtures,
 * sequences for HMMs, documents for topic models) whose count the model reports.
 */
typedef struct vem_data {
    vem_matrix x;
    const size_t *seq_start; /**< NULL: no sequence structure */
    size_t n_seq;
    const vem_docs *docs; /**< NULL unless the model reads a corpus (then x may be empty) */
} vem_data;

/** Data made of the rows of x alone. */
static inline vem_data vem_data_rows(vem_matrix x)
{
    vem_data d;
    d.x = x;
    d.seq_start = NULL;
    d.n_seq = 0;
    d.docs = NULL;
    return d;
}

VEM_END_DECLS
#endif /* VEM_DATA_H */
