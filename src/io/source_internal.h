/* src/io/source_internal.h — reading a source's units for the engine (src/core/fit.c). */
#ifndef VEM_SOURCE_INTERNAL_H
#define VEM_SOURCE_INTERNAL_H

#include <vem/io.h>

/* A reader's buffers, grown to the largest read; zero-initialise, release with _clear. */
typedef struct vem__unit_buf {
    double *x;     /* rows x cols (rows, frames), or the documents' counts */
    size_t x_cap;
    size_t *start; /* sequences: n + 1 row offsets; documents: n + 1 entry offsets */
    size_t start_cap;
    uint32_t *word; /* documents: word ids */
    size_t word_cap;
    vem_docs docs; /* documents: the view's corpus */
} vem__unit_buf;

void vem__unit_buf_clear(vem__unit_buf *b);

/*
 * Units [u0, u1) of src (rows, sequences or documents) read into b, and *view
 * set to them as data in memory: units 0 .. u1 - u0 of the view are units
 * u0 .. u1 of the source. Thread-safe for distinct buffers. Errors as
 * vem_source_read; VEM_EINVAL for a range outside the source; VEM_ENOMEM.
 */
vem_status vem__source_read_units(const vem_source *src, size_t u0, size_t u1, vem__unit_buf *b,
                                  vem_data *view);

/*
 * The m units listed (each < the source's units) read into b one after the
 * other, as data in memory in *view (unit i of the view is units[i]). Errors
 * as vem__source_read_units.
 */
vem_status vem__source_read_list(const vem_source *src, const size_t *units, size_t m,
                                 vem__unit_buf *b, vem_data *view);

/* The file src reads (for messages) into *path, and the file's row of src's first row
 * (0-based; a share or a part of the file starts later) into *row0. */
void vem__source_where(const vem_source *src, const char **path, size_t *row0);

/*
 * One reading pass over a one-column source of categorical codes, a chunk at a
 * time: each an integer in [0, n_symbols) (n_symbols 0: any integer >= 0), the
 * largest into *max_code (may be NULL). VEM_EINVAL naming the file's row, or the
 * read's errors.
 */
vem_status vem__source_codes(vem_source *src, size_t n_symbols, double *max_code);

/*
 * One frame of counts (d values): each an integer >= 0 below 2^53 and, with n_trials > 0,
 * summing to n_trials. VEM_EINVAL naming path (NULL: none), the 1-based row and the column.
 */
vem_status vem__check_counts(const double *x, size_t d, size_t n_trials, const char *path,
                             size_t row);

/*
 * One reading pass over a source of counts (Poisson and multinomial emissions), a chunk at
 * a time: every value vem__check_counts accepts. VEM_EINVAL naming the file's row and
 * column, or the read's errors.
 */
vem_status vem__source_counts(vem_source *src, size_t n_trials);

#endif
