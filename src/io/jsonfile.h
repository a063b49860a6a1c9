/*
 * src/io/jsonfile.h — shared by every model file (src/io/.*file.c): atomic
 * JSON writes, whole-file reads, the writers of keys (scalars, vectors,
 * matrices, covariances by type, names, the "fit" record) and key-by-key
 * readers with messages of the form
 * "PATH: key 'means': expected 2 arrays of 3 numbers, row 2 has 2".
 * A model's file is then its key table and its own checks.
 * Not installed. Format: docs/formats.md.
 */
#ifndef VEM_JSONFILE_H
#define VEM_JSONFILE_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include <vem/common.h>
#include <vem/fit.h>
#include <vem/gmm.h>

#include "io/atomic.h"

#define VEM__MODEL_FORMAT "vem-model"
#define VEM__MODEL_VERSION 1

/* ---------------------------------------------------------------- writing */

/* Nested JSON arrays of the doubles v (row-major) with shape dims[0..ndims); NULL on failure. */
json_t *vem__json_array_of(const double *v, const size_t *dims, size_t ndims);
/* The n doubles v as one array; rows x cols of them as rows arrays of cols. NULL on failure. */
json_t *vem__json_vector(const double *v, size_t n);
json_t *vem__json_matrix(const double *v, size_t rows, size_t cols);
/* The covariances c of k Gaussians in d dimensions of type cov, nested as gmm.h's shapes
 * (full k x d x d, diag k x d, spherical k, tied d x d); NULL on failure or a bad type. */
json_t *vem__json_covariances(const double *c, vem_cov cov, size_t k, size_t d);

/*
 * Building a document: each writer sets key in o and clears *ok when the value
 * could not be made or set (the caller then fails with VEM_ENOMEM once, at the
 * end: json_real() fails on NaN or Inf too, which a valid model never holds).
 * vem__json_put steals v (NULL allowed: *ok becomes 0).
 */
void vem__json_put(json_t *o, const char *key, json_t *v, int *ok);
/* A new object holding the header keys "format", "version" and "model". */
json_t *vem__json_header(const char *model, int *ok);
/*
 * key: the n strings s, each called "WHAT I" in messages (1-based): VEM_EINVAL
 * "PATH: WHAT I name is NULL" or "... is not valid UTF-8" (JSON cannot hold it),
 * and then nothing is set. With n == 1 and what naming the whole string, s[0].
 */
vem_status vem__json_put_names(json_t *o, const char *key, const char *const *s, size_t n,
                               const char *path, const char *what, int *ok);
/* key: the string s; VEM_EINVAL "PATH: key 'KEY' is not valid UTF-8". */
vem_status vem__json_put_string(json_t *o, const char *key, const char *s, const char *path,
                                int *ok);
/* A regression's "n_features" (d), "columns" (its d names, when columns is not NULL) and
 * "target" (when not NULL); errors as vem__json_put_names and vem__json_put_string. */
vem_status vem__json_put_regression(json_t *o, size_t d, const char *const *columns,
                                    const char *target, const char *path, int *ok);
/*
 * "fit": {OBJECTIVE: the objective (null when not finite), COUNT: n_obs (an
 * integer, or a number when count_real), "n_iter", "converged"}; nothing when
 * fi is NULL.
 */
void vem__json_put_fit(json_t *o, const vem_fit_result *fi, const char *objective,
                       const char *count, int count_real, int *ok);
/* The argument check of vem_MODEL_save: VEM_EINVAL "vem_MODEL_save: model is NULL or empty". */
vem_status vem__json_save_args(const char *model, const void *m, const char *path);

/* Atomic file writing (vem__atomic_open, vem__atomic_commit): src/io/atomic.h. */

/*
 * Write root (the reference is stolen) to path: indented by indent spaces,
 * doubles with 17 significant digits (loading gives back the same bits), to
 * PATH.vem-tmp.PID.XXXXXX, synced, then renamed over path. With ok == 0 (a writer
 * above failed) nothing is written: VEM_ENOMEM "PATH: out of memory".
 * VEM_EIO ("PATH: reason"); nothing is left behind.
 */
vem_status vem__json_save(const char *path, json_t *root, int indent, int ok);
/* vem__json_save with vem__atomic_commit_with's forget (NULL: none). */
vem_status vem__json_save_with(const char *path, json_t *root, int indent, int ok,
                               const char *forget);
/*
 * root (stolen) as one line of JSON text, doubles with 17 significant digits,
 * malloc'd (free()); NULL when ok == 0 or out of memory (VEM_ENOMEM in vem_errmsg).
 */
char *vem__json_text(json_t *root, int ok);

/* ---------------------------------------------------------------- reading */

/* Read and parse path into the JSON object *root (new reference). VEM_EIO, VEM_ENOMEM,
 * VEM_EFORMAT "PATH:LINE:COL: what" (column in bytes). */
vem_status vem__json_load(const char *path, json_t **root);

/* "an array", "a string", ... for messages. */
const char *vem__json_type_name(const json_t *v);

/*
 * Required keys, VEM_EFORMAT naming the key ("is missing", "expected ..."): a
 * string (borrowed), an integer in [1, max] ("expected a positive integer",
 * "N is too large"), a finite number, a boolean.
 */
vem_status vem__json_get_string(const char *path, const json_t *root, const char *key,
                                const char **out);
vem_status vem__json_get_size(const char *path, const json_t *root, const char *key, size_t max,
                              size_t *out);
vem_status vem__json_get_number(const char *path, const json_t *root, const char *key,
                                double *out);
vem_status vem__json_get_bool(const char *path, const json_t *root, const char *key, int *out);
/*
 * Optional key of n strings: *out a new array of n pointers borrowed from root
 * (free the array with vem__free), NULL when the key is absent.
 */
vem_status vem__json_get_names(const char *path, const json_t *root, const char *key, size_t n,
                               const char ***out);

/* A nested numeric array: its dimensions and how levels are named ("row", "column"). */
typedef struct vem__json_shape {
    size_t dims[4];
    const char *names[4];
    size_t ndims;
} vem__json_shape;

/* The shape of vem__json_covariances(c, cov, k, d); ndims 0 for a bad type. */
vem__json_shape vem__json_cov_shape(vem_cov cov, size_t k, size_t d);
/* sh with one more leading level of n, named name ("state"). */
vem__json_shape vem__json_shape_in(size_t n, const char *name, vem__json_shape sh);

/* Required numeric array key of shape sh, all finite, copied into out (prod(dims) doubles). */
vem_status vem__json_get_array(const char *path, const json_t *root, const char *key,
                               const vem__json_shape *sh, double *out);

/* The header keys: "format" is "vem-model", "version" 1, and *model (borrowed) the model. */
vem_status vem__json_check_header(const char *path, const json_t *root, const char **model);

/* vem__json_load, the header check, and "model" equal to model; a NULL path is
 * VEM_EINVAL "vem_MODEL_load: path is NULL". */
vem_status vem__json_load_model(const char *path, const char *model, json_t **root);

/* Prefix the current vem_errmsg() with "PATH: " (key NULL) or "PATH: key 'KEY': " and return s. */
vem_status vem__prefix_errmsg(vem_status s, const char *path, const char *key);

#endif /* VEM_JSONFILE_H */
