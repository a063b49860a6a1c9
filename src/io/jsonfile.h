/*
 * src/io/jsonfile.h — shared by every model file (src/io/.*file.c): atomic
 * JSON writes, whole-file reads, key-by-key validation with messages of the
 * form "PATH: key 'means': expected 2 arrays of 3 numbers, row 2 has 2".
 * Not installed. Format: docs/formats.md.
 */
#ifndef VEM_JSONFILE_H
#define VEM_JSONFILE_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include <vem/common.h>

#define VEM__MODEL_FORMAT "vem-model"
#define VEM__MODEL_VERSION 1

/* Nested JSON arrays of the doubles v (row-major) with shape dims[0..ndims); NULL on failure. */
json_t *vem__json_array_of(const double *v, const size_t *dims, size_t ndims);

/*
 * Atomic file writing: vem__atomic_open creates PATH.tmp.XXXXXX beside path
 * (mode 0644) and returns it open for writing, *tmp receiving its name (NULL
 * with vem_errmsg set: VEM_EIO, VEM_ENOMEM); write to it, then
 * vem__atomic_commit flushes, syncs and closes it and renames it over path,
 * or, when failed is non-zero or any step fails, removes it (VEM_EIO
 * "PATH: reason"). It frees *tmp either way. A reader sees the old file or the
 * new one, never half of one.
 */
FILE *vem__atomic_open(const char *path, char **tmp);
vem_status vem__atomic_commit(FILE *fp, char *tmp, const char *path, int failed);

/*
 * Write root (the reference is stolen) to path: indented, doubles with 17
 * significant digits (loading gives back the same bits), to PATH.tmp.XXXXXX,
 * synced, then renamed over path. VEM_EIO ("PATH: reason"); nothing is left behind.
 */
vem_status vem__json_save(const char *path, json_t *root);

/* Read and parse path into the JSON object *root (new reference). VEM_EIO, VEM_ENOMEM,
 * VEM_EFORMAT "PATH:LINE:COL: what" (column in bytes). */
vem_status vem__json_load(const char *path, json_t **root);

/* "an array", "a string", ... for messages. */
const char *vem__json_type_name(const json_t *v);

/* Required keys, VEM_EFORMAT naming the key: a string (borrowed), a positive integer. */
vem_status vem__json_get_string(const char *path, const json_t *root, const char *key,
                                const char **out);
vem_status vem__json_get_positive(const char *path, const json_t *root, const char *key,
                                  size_t *out);

/* A nested numeric array: its dimensions and how levels are named ("row", "column"). */
typedef struct vem__json_shape {
    size_t dims[3];
    const char *names[3];
    size_t ndims;
} vem__json_shape;

/* Required numeric array key of shape sh, all finite, copied into out (prod(dims) doubles). */
vem_status vem__json_get_array(const char *path, const json_t *root, const char *key,
                               const vem__json_shape *sh, double *out);

/* The header keys: "format" is "vem-model", "version" 1, and *model (borrowed) the model. */
vem_status vem__json_check_header(const char *path, const json_t *root, const char **model);

/* vem__json_load, the header check, and "model" equal to model. */
vem_status vem__json_load_model(const char *path, const char *model, json_t **root);

/* Prefix the current vem_errmsg() with "PATH: " and return s. */
vem_status vem__prefix_errmsg(vem_status s, const char *path);

#endif /* VEM_JSONFILE_H */
