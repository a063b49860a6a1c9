/*
 * src/io/npyunit.h — a JSON model file and one float64 .npy beside it, written as
 * one unit (the scheme of LDA's files, src/io/ldafile.c, where it lives) and read
 * back with the declared sizes checked against the file first. Not installed.
 */
#ifndef VEM_NPYUNIT_H
#define VEM_NPYUNIT_H

#include <stddef.h>

#include <jansson.h>

#include <vem/common.h>

/*
 * Write a (rows x cols doubles) to a .npy named from path (".json" replaced by
 * suffix, e.g. ".weights.npy"; a new generation name when that one exists), set
 * root's key file_key to its name, then save root (stolen; ok == 0: a writer
 * failed) atomically to path, and remove the old model's .npy: as vem_lda_save.
 */
vem_status vem__json_npy_save(const char *path, json_t *root, int ok, const char *file_key,
                              const char *suffix, const double *a, size_t rows, size_t cols);
/*
 * The .npy that root's key file_key names, beside path: checks its header (float64,
 * C order, shape rows x cols) and its size against rows x cols doubles (copies of
 * them against the memory limit) before anything is allocated; then reads it into a
 * new array *out (vem__free). Errors name the file.
 */
vem_status vem__json_npy_load(const char *path, const json_t *root, const char *file_key,
                              size_t rows, size_t cols, double copies, double **out);

#endif /* VEM_NPYUNIT_H */
