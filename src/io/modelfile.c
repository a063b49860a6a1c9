/*
 * src/io/modelfile.c — GMM model files: JSON through jansson (docs/formats.md).
 *
 * Save builds the whole document in memory, writes it to PATH.tmp.XXXXXX
 * beside the target, syncs it and renames it over the target, so a reader sees
 * either the old file or the new one, never half of one. Load reads the whole
 * file, parses it and validates every key before it builds the model, so every
 * problem is reported with the file and key it comes from.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include <vem/io.h>

#include "internal.h"

#define FORMAT_NAME "vem-model"
#define FORMAT_VERSION 1
#define WEIGHT_SUM_TOL 1e-8
#define SYMMETRY_RTOL 1e-12

/* Doubles in the covariance array of a k-component, d-dimensional model; 0 on overflow. */
static size_t cov_len(vem_cov cov, size_t k, size_t d)
{
    size_t dd = 0, n = 0;
    switch (cov) {
    case VEM_COV_FULL:
        if (vem__mul_ok(d, d, &dd) && vem__mul_ok(k, dd, &n))
            return n;
        return 0;
    case VEM_COV_DIAG:
        return vem__mul_ok(k, d, &n) ? n : 0;
    case VEM_COV_SPHERICAL:
        return k;
    case VEM_COV_TIED:
        return vem__mul_ok(d, d, &dd) ? dd : 0;
    }
    return 0;
}

/* ---------------------------------------------------------------- save */

/* Nested JSON arrays of the doubles v with shape dims[0..ndims); NULL on failure. */
static json_t *array_of(const double *v, const size_t *dims, size_t ndims)
{
    json_t *a = json_array();
    if (!a)
        return NULL;
    size_t stride = 1;
    for (size_t i = 1; i < ndims; i++)
        stride *= dims[i]; /* cannot overflow: the model holds this many doubles */
    for (size_t i = 0; i < dims[0]; i++) {
        json_t *e = ndims == 1 ? json_real(v[i]) : array_of(v + i * stride, dims + 1, ndims - 1);
        if (json_array_append_new(a, e) != 0) { /* also fails, and frees nothing, on e == NULL */
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

/* Set key in o to v (stolen); *ok becomes 0 if v is NULL or the insertion fails. */
static void put(json_t *o, const char *key, json_t *v, int *ok)
{
    if (json_object_set_new(o, key, v) != 0)
        *ok = 0;
}

/* The document for g into *out, in the key order of docs/formats.md. */
static vem_status gmm_to_json(const char *path, const vem_gmm *g, const vem_fit_result *fit_info,
                              json_t **out)
{
    size_t k = vem_gmm_k(g), d = vem_gmm_d(g);
    vem_cov cov = vem_gmm_cov(g);
    const char *cov_name = vem_cov_name(cov);
    if (!cov_name)
        return VEM_FAIL(VEM_EINVAL, "%s: model has an invalid covariance type %d", path, (int)cov);
    if (vem_gmm_covariances_len(g) != cov_len(cov, k, d))
        return VEM_FAIL(VEM_EINVAL, "%s: model has %zu covariance values, expected %zu", path,
                        vem_gmm_covariances_len(g), cov_len(cov, k, d));
    const char *const *columns = vem_gmm_columns(g);
    json_t *o = json_object();
    if (!o)
        return VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
    int ok = 1;
    put(o, "format", json_string(FORMAT_NAME), &ok);
    put(o, "version", json_integer(FORMAT_VERSION), &ok);
    put(o, "model", json_string("gmm"), &ok);
    put(o, "covariance_type", json_string(cov_name), &ok);
    put(o, "n_components", json_integer((json_int_t)k), &ok);
    put(o, "n_features", json_integer((json_int_t)d), &ok);
    put(o, "reg_covar", json_real(vem_gmm_reg_covar(g)), &ok);
    if (columns) {
        json_t *a = json_array();
        for (size_t j = 0; a && j < d; j++) {
            json_t *s = columns[j] ? json_string(columns[j]) : NULL;
            if (!s) {
                json_decref(a);
                json_decref(o);
                if (!columns[j])
                    return VEM_FAIL(VEM_EINVAL, "%s: column %zu name is NULL", path, j + 1);
                /* json_string() also fails on text that is not UTF-8 (or on ENOMEM). */
                return VEM_FAIL(VEM_EINVAL, "%s: column %zu name is not valid UTF-8", path,
                                j + 1);
            }
            if (json_array_append_new(a, s) != 0) {
                json_decref(a);
                a = NULL;
            }
        }
        put(o, "columns", a, &ok);
    }
    size_t dims[3];
    dims[0] = k;
    put(o, "weights", array_of(vem_gmm_weights(g), dims, 1), &ok);
    dims[1] = d;
    put(o, "means", array_of(vem_gmm_means(g), dims, 2), &ok);
    const double *c = vem_gmm_covariances(g);
    switch (cov) {
    case VEM_COV_FULL:
        dims[2] = d;
        put(o, "covariances", array_of(c, dims, 3), &ok);
        break;
    case VEM_COV_DIAG:
        put(o, "covariances", array_of(c, dims, 2), &ok);
        break;
    case VEM_COV_SPHERICAL:
        put(o, "covariances", array_of(c, dims, 1), &ok);
        break;
    case VEM_COV_TIED:
        dims[0] = d;
        put(o, "covariances", array_of(c, dims, 2), &ok);
        break;
    }
    if (fit_info) {
        json_t *f = json_object();
        if (f) {
            /* A failed fit may carry a NaN objective, which JSON cannot hold: write null. */
            double ll = fit_info->objective, n = fit_info->n_obs;
            put(f, "log_likelihood", isfinite(ll) ? json_real(ll) : json_null(), &ok);
            put(f, "n_samples", json_integer(n >= 0 && n < 0x1p63 ? (json_int_t)(size_t)n : 0),
                &ok);
            put(f, "n_iter", json_integer((json_int_t)fit_info->n_iter), &ok);
            put(f, "converged", json_boolean(fit_info->converged), &ok);
        }
        put(o, "fit", f, &ok);
    }
    if (!ok) {
        /* json_real() also fails on NaN or Inf, which a valid model never holds. */
        json_decref(o);
        return VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
    }
    *out = o;
    return VEM_OK;
}

/* Make the rename durable: sync the directory holding path. Best effort. */
static void sync_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = vem__strdup(slash ? path : ".");
    if (!dir)
        return;
    if (slash)
        dir[slash == path ? 1 : (size_t)(slash - path)] = '\0';
    int fd = open(dir, O_RDONLY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    vem__free(dir);
}

vem_status vem_gmm_save(const vem_gmm *g, const char *path, const vem_fit_result *fit_info)
{
    if (!g || !path || !*path)
        return VEM_FAIL(VEM_EINVAL, "vem_gmm_save: %s is NULL or empty", g ? "path" : "model");
    json_t *root = NULL;
    vem_status s = gmm_to_json(path, g, fit_info, &root);
    if (s != VEM_OK)
        return s;

    static const char suffix[] = ".tmp.XXXXXX";
    size_t plen = strlen(path);
    char *tmp = vem__malloc(plen + sizeof suffix);
    if (!tmp) {
        json_decref(root);
        return VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
    }
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, suffix, sizeof suffix);

    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        json_decref(root);
        vem__free(tmp);
        return VEM_FAIL(VEM_EIO, "%s: %s", path, strerror(e));
    }
    /* mkstemp creates the file 0600; a model file is as readable as any other output. */
    (void)fchmod(fd, S_IRUSR | S_IWUSR | S_IRGRP | S_IROTH);
    FILE *fp = fdopen(fd, "w");
    if (!fp) {
        int e = errno;
        close(fd);
        unlink(tmp);
        json_decref(root);
        vem__free(tmp);
        return VEM_FAIL(VEM_EIO, "%s: %s", path, strerror(e));
    }

    /* errno is cleared first so a failure jansson reports without errno reads as EIO. */
    errno = 0;
    int failed = json_dumpf(root, fp, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) != 0 ||
                 fputc('\n', fp) == EOF || fflush(fp) != 0 || fsync(fileno(fp)) != 0;
    int e = errno;
    json_decref(root);
    if (fclose(fp) != 0 && !failed) {
        failed = 1;
        e = errno;
    }
    if (!failed && rename(tmp, path) != 0) {
        failed = 1;
        e = errno;
    }
    if (failed) {
        unlink(tmp);
        vem__free(tmp);
        return VEM_FAIL(VEM_EIO, "%s: %s", path, strerror(e ? e : EIO));
    }
    vem__free(tmp);
    sync_dir(path);
    return VEM_OK;
}

/* ---------------------------------------------------------------- load */

/* The whole file at path into a new buffer *text of *len bytes. VEM_EIO, VEM_ENOMEM. */
static vem_status read_all(const char *path, char **text, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return VEM_FAIL(VEM_EIO, "%s: %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    char *buf = vem__malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, fp);
        if (n < cap)
            break;
        char *grown = cap <= SIZE_MAX / 2 ? vem__realloc(buf, cap * 2) : NULL;
        if (!grown) {
            vem__free(buf);
            buf = NULL;
        } else {
            buf = grown;
            cap *= 2;
        }
    }
    if (!buf) {
        fclose(fp);
        return VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
    }
    if (ferror(fp)) {
        int e = errno;
        fclose(fp);
        vem__free(buf);
        return VEM_FAIL(VEM_EIO, "%s: %s", path, strerror(e ? e : EIO));
    }
    fclose(fp);
    *text = buf;
    *len = n;
    return VEM_OK;
}

/*
 * Parse the file at path into the JSON object *root (new reference). Jansson
 * counts columns in characters at the end of the offending token; the column
 * reported here is that same point counted in bytes, as io.h promises.
 */
static vem_status parse_file(const char *path, json_t **root)
{
    char *text = NULL;
    size_t len = 0;
    vem_status s = read_all(path, &text, &len);
    if (s != VEM_OK)
        return s;
    json_error_t err;
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
    if (!j) {
        if (json_error_code(&err) == json_error_out_of_memory) {
            vem__free(text);
            return VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
        }
        size_t pos = err.position > 0 ? vem__min((size_t)err.position, len) : 0;
        size_t bol = pos;
        while (bol > 0 && text[bol - 1] != '\n')
            bol--;
        size_t col = vem__max(pos - bol, 1);
        int line = err.line > 0 ? err.line : 1;
        vem__free(text);
        return VEM_FAIL(VEM_EFORMAT, "%s:%d:%zu: %s", path, line, col, err.text);
    }
    vem__free(text);
    if (!json_is_object(j)) {
        json_decref(j);
        return VEM_FAIL(VEM_EFORMAT, "%s: not a vem model file (not a JSON object)", path);
    }
    *root = j;
    return VEM_OK;
}

/* A short description of a JSON value's type for messages. */
static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "something else";
}

/* Required string key: *out borrowed from root. VEM_EFORMAT naming the key. */
static vem_status get_string(const char *path, const json_t *root, const char *key,
                             const char **out)
{
    json_t *v = json_object_get(root, key);
    if (!v)
        return VEM_FAIL(VEM_EFORMAT, "%s: key '%s' is missing", path, key);
    if (!json_is_string(v))
        return VEM_FAIL(VEM_EFORMAT, "%s: key '%s': expected a string, got %s", path, key,
                        type_name(v));
    *out = json_string_value(v);
    return VEM_OK;
}

/* Required positive integer key. */
static vem_status get_positive(const char *path, const json_t *root, const char *key,
                               size_t *out)
{
    json_t *v = json_object_get(root, key);
    if (!v)
        return VEM_FAIL(VEM_EFORMAT, "%s: key '%s' is missing", path, key);
    if (!json_is_integer(v) || json_integer_value(v) < 1)
        return VEM_FAIL(VEM_EFORMAT, "%s: key '%s': expected a positive integer", path, key);
    json_int_t i = json_integer_value(v);
    if ((unsigned long long)i > SIZE_MAX)
        return VEM_FAIL(VEM_EFORMAT, "%s: key '%s': %lld is too large", path, key, (long long)i);
    *out = (size_t)i;
    return VEM_OK;
}

/*
 * A nested numeric array: its shape, how its levels are named in messages
 * ("row", "column", ...) and its phrase ("2 arrays of 3 numbers").
 */
typedef struct shape {
    size_t dims[3];
    const char *names[3];
    size_t ndims;
} shape;

/* "2 arrays of 3 numbers" for dims {2, 3} starting at level. */
static void shape_phrase(const shape *sh, size_t level, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = level; i < sh->ndims && used < size; i++) {
        int n;
        if (i + 1 < sh->ndims)
            n = snprintf(buf + used, size - used, "%zu %s of ", sh->dims[i],
                         sh->dims[i] == 1 ? "array" : "arrays");
        else
            n = snprintf(buf + used, size - used, "%zu %s", sh->dims[i],
                         sh->dims[i] == 1 ? "number" : "numbers");
        if (n < 0)
            return;
        used += (size_t)n;
    }
}

/* "row 2, column 3" for the 0-based index idx[0..depth) (printed 1-based). */
static void where(const shape *sh, const size_t *idx, size_t depth, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < depth && used < size; i++) {
        int n = snprintf(buf + used, size - used, "%s%s %zu", i ? ", " : "", sh->names[i],
                         idx[i] + 1);
        if (n < 0)
            return;
        used += (size_t)n;
    }
}

/*
 * Check that v has shape sh from level on (idx[0..level) is where v sits) and
 * holds finite numbers; if *out is not NULL, also copy them there row-major,
 * advancing *out.
 */
static vem_status walk(const char *path, const char *key, const shape *sh, const json_t *v,
                       size_t level, size_t *idx, double **out)
{
    char at[128], want[128];
    if (!json_is_array(v) || json_array_size(v) != sh->dims[level]) {
        shape_phrase(sh, 0, want, sizeof want);
        if (level == 0) {
            if (json_is_array(v))
                return VEM_FAIL(VEM_EFORMAT, "%s: key '%s': expected %s, got an array of %zu",
                                path, key, want, json_array_size(v));
            return VEM_FAIL(VEM_EFORMAT, "%s: key '%s': expected %s, got %s", path, key, want,
                            type_name(v));
        }
        where(sh, idx, level, at, sizeof at);
        if (json_is_array(v))
            return VEM_FAIL(VEM_EFORMAT, "%s: key '%s': expected %s, %s has %zu", path, key,
                            want, at, json_array_size(v));
        return VEM_FAIL(VEM_EFORMAT, "%s: key '%s': expected %s, %s is %s", path, key, want, at,
                        type_name(v));
    }
    for (size_t i = 0; i < sh->dims[level]; i++) {
        const json_t *e = json_array_get(v, i);
        idx[level] = i;
        if (level + 1 < sh->ndims) {
            vem_status s = walk(path, key, sh, e, level + 1, idx, out);
            if (s != VEM_OK)
                return s;
            continue;
        }
        if (!json_is_number(e)) {
            shape_phrase(sh, 0, want, sizeof want);
            where(sh, idx, level + 1, at, sizeof at);
            return VEM_FAIL(VEM_EFORMAT, "%s: key '%s': expected %s, %s is %s", path, key, want,
                            at, type_name(e));
        }
        double x = json_number_value(e);
        if (!isfinite(x)) {
            where(sh, idx, level + 1, at, sizeof at);
            return VEM_FAIL(VEM_EFORMAT, "%s: key '%s': %s is not finite", path, key, at);
        }
        if (*out)
            *(*out)++ = x;
    }
    return VEM_OK;
}

/* Required numeric array key of shape sh, copied into out (prod(dims) doubles). */
static vem_status get_array(const char *path, const json_t *root, const char *key,
                            const shape *sh, double *out)
{
    const json_t *v = json_object_get(root, key);
    if (!v)
        return VEM_FAIL(VEM_EFORMAT, "%s: key '%s' is missing", path, key);
    size_t idx[3] = {0, 0, 0};
    double *p = out;
    return walk(path, key, sh, v, 0, idx, &p);
}

/* Shape of the covariances of a k x d model of type cov. */
static shape cov_shape(vem_cov cov, size_t k, size_t d)
{
    shape sh;
    memset(&sh, 0, sizeof sh);
    switch (cov) {
    case VEM_COV_FULL:
        sh.ndims = 3;
        sh.dims[0] = k, sh.dims[1] = d, sh.dims[2] = d;
        sh.names[0] = "component", sh.names[1] = "row", sh.names[2] = "column";
        break;
    case VEM_COV_DIAG:
        sh.ndims = 2;
        sh.dims[0] = k, sh.dims[1] = d;
        sh.names[0] = "component", sh.names[1] = "column";
        break;
    case VEM_COV_SPHERICAL:
        sh.ndims = 1;
        sh.dims[0] = k;
        sh.names[0] = "component";
        break;
    case VEM_COV_TIED:
        sh.ndims = 2;
        sh.dims[0] = d, sh.dims[1] = d;
        sh.names[0] = "row", sh.names[1] = "column";
        break;
    }
    return sh;
}

/* x in the fewest of 15 or 17 significant digits that reads back exactly, for messages. */
static const char *num(char buf[32], double x)
{
    snprintf(buf, 32, "%.15g", x);
    if (strtod(buf, NULL) != x)
        snprintf(buf, 32, "%.17g", x);
    return buf;
}

/* Weights positive and summing to 1. */
static vem_status check_weights(const char *path, const double *w, size_t k)
{
    char b[32];
    double sum = 0;
    for (size_t i = 0; i < k; i++) {
        if (!(w[i] > 0))
            return VEM_FAIL(VEM_EFORMAT, "%s: key 'weights': component %zu is %s, not positive",
                            path, i + 1, num(b, w[i]));
        sum += w[i];
    }
    if (!(fabs(sum - 1.0) <= WEIGHT_SUM_TOL))
        return VEM_FAIL(VEM_EFORMAT, "%s: key 'weights': sum is %.10g, not 1", path, sum);
    return VEM_OK;
}

/* One d x d matrix symmetric within SYMMETRY_RTOL of its scale; comp is 1-based or 0 (tied). */
static vem_status check_symmetric(const char *path, const double *a, size_t d, size_t comp)
{
    for (size_t i = 0; i < d; i++) {
        for (size_t j = i + 1; j < d; j++) {
            double x = a[i * d + j], y = a[j * d + i];
            double scale = fmax(fmax(fabs(x), fabs(y)), sqrt(fabs(a[i * d + i] * a[j * d + j])));
            if (fabs(x - y) <= SYMMETRY_RTOL * scale)
                continue;
            char bx[32], by[32];
            if (comp)
                return VEM_FAIL(VEM_EFORMAT,
                                "%s: key 'covariances': component %zu is not symmetric: "
                                "row %zu, column %zu is %s but row %zu, column %zu is %s",
                                path, comp, i + 1, j + 1, num(bx, x), j + 1, i + 1, num(by, y));
            return VEM_FAIL(VEM_EFORMAT,
                            "%s: key 'covariances': not symmetric: row %zu, column %zu is %s "
                            "but row %zu, column %zu is %s",
                            path, i + 1, j + 1, num(bx, x), j + 1, i + 1, num(by, y));
        }
    }
    return VEM_OK;
}

/* Covariances of type cov: symmetric (full, tied) or positive (diag, spherical). */
static vem_status check_covariances(const char *path, vem_cov cov, const double *c, size_t k,
                                    size_t d)
{
    char b[32];
    switch (cov) {
    case VEM_COV_FULL:
        for (size_t i = 0; i < k; i++) {
            vem_status s = check_symmetric(path, c + i * d * d, d, i + 1);
            if (s != VEM_OK)
                return s;
        }
        return VEM_OK;
    case VEM_COV_TIED:
        return check_symmetric(path, c, d, 0);
    case VEM_COV_DIAG:
        for (size_t i = 0; i < k * d; i++)
            if (!(c[i] > 0))
                return VEM_FAIL(VEM_EFORMAT,
                                "%s: key 'covariances': component %zu, column %zu is %s, "
                                "not positive",
                                path, i / d + 1, i % d + 1, num(b, c[i]));
        return VEM_OK;
    case VEM_COV_SPHERICAL:
        for (size_t i = 0; i < k; i++)
            if (!(c[i] > 0))
                return VEM_FAIL(VEM_EFORMAT,
                                "%s: key 'covariances': component %zu is %s, not positive",
                                path, i + 1, num(b, c[i]));
        return VEM_OK;
    }
    return VEM_OK;
}

/* Prefix the current vem_errmsg() with "PATH: " and return s. */
static vem_status prefix_errmsg(vem_status s, const char *path)
{
    char msg[512];
    snprintf(msg, sizeof msg, "%s", vem_errmsg());
    return VEM_FAIL(s, "%s: %s", path, msg);
}

/* Optional "columns": d strings, set on g. */
static vem_status load_columns(const char *path, const json_t *root, vem_gmm *g, size_t d)
{
    const json_t *v = json_object_get(root, "columns");
    if (!v)
        return VEM_OK;
    if (!json_is_array(v) || json_array_size(v) != d)
        return VEM_FAIL(VEM_EFORMAT, "%s: key 'columns': expected an array of %zu strings", path,
                        d);
    const char **names = vem__calloc(d, sizeof *names);
    if (!names)
        return VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
    for (size_t j = 0; j < d; j++) {
        names[j] = json_string_value(json_array_get(v, j));
        if (!names[j]) {
            vem__free(names);
            return VEM_FAIL(VEM_EFORMAT, "%s: key 'columns': entry %zu is not a string", path,
                            j + 1);
        }
    }
    vem_status s = vem_gmm_set_columns(g, names);
    vem__free(names);
    return s == VEM_OK ? VEM_OK : prefix_errmsg(s, path);
}

/* Check the header keys of a model file: format, version, model. */
static vem_status check_header(const char *path, const json_t *root, const char **model)
{
    const char *format = NULL;
    vem_status s = get_string(path, root, "format", &format);
    if (s != VEM_OK)
        return s;
    if (strcmp(format, FORMAT_NAME) != 0)
        return VEM_FAIL(VEM_EFORMAT, "%s: key 'format': expected \"%s\", got \"%.64s\"", path,
                        FORMAT_NAME, format);
    const json_t *v = json_object_get(root, "version");
    if (!v)
        return VEM_FAIL(VEM_EFORMAT, "%s: key 'version' is missing", path);
    if (!json_is_integer(v))
        return VEM_FAIL(VEM_EFORMAT, "%s: key 'version': expected an integer, got %s", path,
                        type_name(v));
    if (json_integer_value(v) != FORMAT_VERSION)
        return VEM_FAIL(VEM_EFORMAT, "%s: key 'version': unsupported version %lld (expected %d)",
                        path, (long long)json_integer_value(v), FORMAT_VERSION);
    return get_string(path, root, "model", model);
}

/* Build the model described by root; NULL with vem_errmsg set. */
static vem_gmm *gmm_from_json(const char *path, const json_t *root)
{
    const char *model = NULL, *cov_name = NULL;
    size_t k = 0, d = 0;
    vem_cov cov;
    vem_status s = check_header(path, root, &model);
    if (s != VEM_OK)
        return NULL;
    if (strcmp(model, "gmm") != 0) {
        VEM_FAIL(VEM_EFORMAT, "%s: key 'model': expected \"gmm\", got \"%.64s\"", path, model);
        return NULL;
    }
    if (get_string(path, root, "covariance_type", &cov_name) != VEM_OK)
        return NULL;
    if (vem_cov_parse(cov_name, &cov) != VEM_OK) {
        VEM_FAIL(VEM_EFORMAT,
                 "%s: key 'covariance_type': unknown type \"%.64s\" "
                 "(expected full, diag, spherical or tied)",
                 path, cov_name);
        return NULL;
    }
    if (get_positive(path, root, "n_components", &k) != VEM_OK ||
        get_positive(path, root, "n_features", &d) != VEM_OK)
        return NULL;

    double reg_covar = -1;
    const json_t *rc = json_object_get(root, "reg_covar");
    if (rc) {
        reg_covar = json_number_value(rc);
        if (!json_is_number(rc) || !isfinite(reg_covar) || reg_covar < 0) {
            VEM_FAIL(VEM_EFORMAT, "%s: key 'reg_covar': expected a non-negative number", path);
            return NULL;
        }
    }
    const json_t *fit = json_object_get(root, "fit");
    if (fit && !json_is_object(fit)) {
        VEM_FAIL(VEM_EFORMAT, "%s: key 'fit': expected an object, got %s", path, type_name(fit));
        return NULL;
    }

    /* Shapes first, without allocating, so absurd counts are format errors, not ENOMEM. */
    shape wsh = {{k, 0, 0}, {"component", NULL, NULL}, 1};
    shape msh = {{k, d, 0}, {"row", "column", NULL}, 2};
    shape csh = cov_shape(cov, k, d);
    if (get_array(path, root, "weights", &wsh, NULL) != VEM_OK ||
        get_array(path, root, "means", &msh, NULL) != VEM_OK ||
        get_array(path, root, "covariances", &csh, NULL) != VEM_OK)
        return NULL;

    size_t kd = k * d, nc = cov_len(cov, k, d); /* bounded by the arrays just walked */
    double *w = vem__alloc_doubles(k, 1), *mu = vem__alloc_doubles(kd, 1);
    double *c = vem__alloc_doubles(nc, 1);
    vem_gmm *g = NULL;
    if (!w || !mu || !c) {
        VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    if (get_array(path, root, "weights", &wsh, w) != VEM_OK ||
        get_array(path, root, "means", &msh, mu) != VEM_OK ||
        get_array(path, root, "covariances", &csh, c) != VEM_OK ||
        check_weights(path, w, k) != VEM_OK || check_covariances(path, cov, c, k, d) != VEM_OK)
        goto fail;

    g = vem_gmm_new(k, d, cov);
    if (!g) {
        prefix_errmsg(VEM_ENOMEM, path);
        goto fail;
    }
    if (rc && (s = vem_gmm_set_reg_covar(g, reg_covar)) != VEM_OK) {
        prefix_errmsg(s, path);
        goto fail;
    }
    if (load_columns(path, root, g, d) != VEM_OK)
        goto fail;
    if ((s = vem_gmm_set_params(g, w, mu, c)) != VEM_OK) {
        prefix_errmsg(s, path);
        goto fail;
    }
    vem__free(w);
    vem__free(mu);
    vem__free(c);
    return g;
fail:
    vem_gmm_free(g);
    vem__free(w);
    vem__free(mu);
    vem__free(c);
    return NULL;
}

vem_gmm *vem_gmm_load(const char *path)
{
    if (!path) {
        VEM_FAIL(VEM_EINVAL, "vem_gmm_load: path is NULL");
        return NULL;
    }
    json_t *root = NULL;
    if (parse_file(path, &root) != VEM_OK)
        return NULL;
    vem_gmm *g = gmm_from_json(path, root);
    json_decref(root);
    return g;
}

vem_status vem_model_file_kind(const char *path, char *buf, size_t size)
{
    if (!path || !buf || size == 0)
        return VEM_FAIL(VEM_EINVAL, "vem_model_file_kind: %s",
                        path ? "empty buffer" : "path is NULL");
    json_t *root = NULL;
    vem_status s = parse_file(path, &root);
    if (s != VEM_OK)
        return s;
    const char *model = NULL;
    s = check_header(path, root, &model);
    if (s == VEM_OK) {
        size_t n = strlen(model);
        if (n >= size)
            s = VEM_FAIL(VEM_EINVAL, "%s: model name \"%.64s\" does not fit in %zu bytes", path,
                         model, size);
        else
            memcpy(buf, model, n + 1);
    }
    json_decref(root);
    return s;
}
