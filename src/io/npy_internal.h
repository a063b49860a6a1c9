/* src/io/npy_internal.h — the NumPy .npy header, shared by LDA's lambda and data .npy files. */
#ifndef VEM_IO_NPY_INTERNAL_H
#define VEM_IO_NPY_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include <vem/common.h>

/* What a .npy header says. */
typedef struct vem__npy {
    char descr[8];      /* the dtype string, e.g. "<f8" ("" when longer than 7 bytes) */
    int fortran;        /* fortran_order True */
    int ndim;           /* 0, 1 or 2 */
    uint64_t shape[2];  /* ndim entries */
    uint64_t offset;    /* bytes before the data */
} vem__npy;

/*
 * Read the header at the start of f (versions 1.0, 2.0 and 3.0). VEM_EFORMAT
 * "PATH: ..." for a bad magic, version, header, or a shape that is not a tuple
 * of at most 2 non-negative integers; VEM_ENOMEM. f is left at the data.
 */
vem_status vem__npy_header(FILE *f, const char *path, vem__npy *h);

/* Column names "1", "2", ... for cols columns; NULL when out of memory. */
char **vem__index_names(size_t cols);

#endif /* VEM_IO_NPY_INTERNAL_H */
