/*
 * src/io/jsonfile.c — what every model file shares: JSON through jansson,
 * written atomically (a temporary beside the target, synced, renamed over it),
 * read whole, and validated key by key with messages naming file and key.
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
#include "io/jsonfile.h"

/* Nested JSON arrays of the doubles v with vem__json_shape dims[0..ndims); NULL on failure. */
json_t *vem__json_array_of(const double *v, const size_t *dims, size_t ndims)
{
    json_t *a = json_array();
    if (!a)
        return NULL;
    size_t stride = 1;
    for (size_t i = 1; i < ndims; i++)
        stride *= dims[i]; /* cannot overflow: the model holds this many doubles */
    for (size_t i = 0; i < dims[0]; i++) {
        json_t *e = ndims == 1 ? json_real(v[i])
                               : vem__json_array_of(v + i * stride, dims + 1, ndims - 1);
        if (json_array_append_new(a, e) != 0) { /* also fails, and frees nothing, on e == NULL */
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

json_t *vem__json_vector(const double *v, size_t n)
{
    return vem__json_array_of(v, &n, 1);
}

json_t *vem__json_matrix(const double *v, size_t rows, size_t cols)
{
    const size_t dims[2] = {rows, cols};
    return vem__json_array_of(v, dims, 2);
}

json_t *vem__json_covariances(const double *c, vem_cov cov, size_t k, size_t d)
{
    vem__json_shape sh = vem__json_cov_shape(cov, k, d);
    return sh.ndims ? vem__json_array_of(c, sh.dims, sh.ndims) : NULL;
}

void vem__json_put(json_t *o, const char *key, json_t *v, int *ok)
{
    /* Fails on v == NULL or o == NULL too; v is released either way. */
    if (json_object_set_new(o, key, v) != 0)
        *ok = 0;
}

json_t *vem__json_header(const char *model, int *ok)
{
    json_t *o = json_object();
    if (!o) {
        *ok = 0;
        return NULL;
    }
    vem__json_put(o, "format", json_string(VEM__MODEL_FORMAT), ok);
    vem__json_put(o, "version", json_integer(VEM__MODEL_VERSION), ok);
    vem__json_put(o, "model", json_string(model), ok);
    return o;
}

vem_status vem__json_put_names(json_t *o, const char *key, const char *const *s, size_t n,
                               const char *path, const char *what, int *ok)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        /* json_string() also fails on text that is not UTF-8 (or on ENOMEM). */
        json_t *e = s[i] ? json_string(s[i]) : NULL;
        if (!e) {
            json_decref(a);
            if (!s[i])
                return VEM_FAIL(VEM_EINVAL, "%s: %s %zu name is NULL", path, what, i + 1);
            return VEM_FAIL(VEM_EINVAL, "%s: %s %zu name is not valid UTF-8", path, what, i + 1);
        }
        if (json_array_append_new(a, e) != 0) {
            json_decref(a);
            a = NULL;
        }
    }
    vem__json_put(o, key, a, ok);
    return VEM_OK;
}

vem_status vem__json_put_string(json_t *o, const char *key, const char *s, const char *path,
                                int *ok)
{
    json_t *v = json_string(s);
    if (!v)
        return VEM_FAIL(VEM_EINVAL, "%s: key '%s' is not valid UTF-8", path, key);
    vem__json_put(o, key, v, ok);
    return VEM_OK;
}

vem_status vem__json_put_regression(json_t *o, size_t d, const char *const *columns,
                                    const char *target, const char *path, int *ok)
{
    vem_status st = VEM_OK;
    vem__json_put(o, "n_features", json_integer((json_int_t)d), ok);
    if (columns)
        st = vem__json_put_names(o, "columns", columns, d, path, "column", ok);
    if (st == VEM_OK && target)
        st = vem__json_put_string(o, "target", target, path, ok);
    return st;
}

/*
 * The kept restart's iterations (the trace's entries that end an iteration, not an online
 * fit's steps within a pass), for `vem plot trace MODEL`: "trace": {"iter": [...],
 * "objective": [...] (total nats; null where not finite), "violations": [the iterations
 * whose objective fell]}. No times: a model file's bits do not depend on the machine.
 */
static void append(json_t *a, json_t *v, int *ok)
{
    /* As vem__json_put: fails on a NULL value too, which is released either way. */
    if (json_array_append_new(a, v) != 0)
        *ok = 0;
}

static void put_trace(json_t *f, const vem_fit_result *fi, int *ok)
{
    if (!fi->trace || !fi->trace_len)
        return;
    json_t *t = json_object(), *it = json_array(), *ob = json_array(), *vi = json_array();
    for (size_t i = 0; t && it && ob && vi && i < fi->trace_len; i++) {
        const vem_trace_entry *e = &fi->trace[i];
        if (e->step != 0)
            continue;
        append(it, json_integer((json_int_t)e->iter), ok);
        append(ob, isfinite(e->objective) ? json_real(e->objective) : json_null(), ok);
        if (e->violation)
            append(vi, json_integer((json_int_t)e->iter), ok);
    }
    if (t && it && ob && vi) {
        vem__json_put(t, "iter", it, ok);
        vem__json_put(t, "objective", ob, ok);
        vem__json_put(t, "violations", vi, ok);
    } else {
        json_decref(it);
        json_decref(ob);
        json_decref(vi);
        json_decref(t);
        t = NULL; /* vem__json_put sets *ok = 0 */
    }
    vem__json_put(f, "trace", t, ok);
}

void vem__json_put_fit(json_t *o, const vem_fit_result *fi, const char *objective,
                       const char *count, int count_real, int *ok)
{
    if (!fi)
        return;
    json_t *f = json_object();
    if (f) {
        /* A failed fit may carry a NaN objective, which JSON cannot hold: write null. */
        double obj = fi->objective, n = fi->n_obs;
        vem__json_put(f, objective, isfinite(obj) ? json_real(obj) : json_null(), ok);
        vem__json_put(f, count,
                      count_real ? json_real(n)
                                 : json_integer(n >= 0 && n < 0x1p63 ? (json_int_t)(size_t)n : 0),
                      ok);
        vem__json_put(f, "n_iter", json_integer((json_int_t)fi->n_iter), ok);
        vem__json_put(f, "converged", json_boolean(fi->converged), ok);
        if (fi->interrupted)
            vem__json_put(f, "interrupted", json_true(), ok);
        put_trace(f, fi, ok);
    }
    vem__json_put(o, "fit", f, ok);
}

vem_status vem__json_save_args(const char *model, const void *m, const char *path)
{
    if (!m || !path || !*path)
        return VEM_FAIL(VEM_EINVAL, "vem_%s_save: %s is NULL or empty", model,
                        m ? "path" : "model");
    return VEM_OK;
}

vem_status vem__json_save(const char *path, json_t *root, int indent, int ok)
{
    return vem__json_save_with(path, root, indent, ok, NULL);
}

vem_status vem__json_save_with(const char *path, json_t *root, int indent, int ok,
                               const char *forget)
{
    if (!ok || !root) {
        json_decref(root);
        return VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
    }
    char *tmp = NULL;
    FILE *fp = vem__atomic_open(path, &tmp);
    if (!fp) {
        json_decref(root);
        return vem__last_status();
    }
    int failed = json_dumpf(root, fp, JSON_INDENT(indent) | JSON_REAL_PRECISION(17)) != 0 ||
                 fputc('\n', fp) == EOF;
    json_decref(root);
    return vem__atomic_commit_with(fp, tmp, path, failed, forget);
}


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
vem_status vem__json_load(const char *path, json_t **root)
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
const char *vem__json_type_name(const json_t *v)
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
vem_status vem__json_get_string(const char *path, const json_t *root, const char *key,
                             const char **out)
{
    json_t *v = json_object_get(root, key);
    if (!v)
        return VEM_FAIL(VEM_EFORMAT, "%s: key '%s' is missing", path, key);
    if (!json_is_string(v))
        return VEM_FAIL(VEM_EFORMAT, "%s: key '%s': expected a string, got %s", path, key,
                        vem__json_type_name(v));
    *out = json_string_value(v);
    return VEM_OK;
}

/* Required integer key in [1, max]. */
vem_status vem__json_get_size(const char *path, const json_t *root, const char *key, size_t max,
                              size_t *out)
{
    json_t *v = json_object_get(root, key);
    if (!v)
        return VEM_FAIL(VEM_EFORMAT, "%s: key '%s' is missing", path, key);
    if (!json_is_integer(v) || json_integer_value(v) < 1)
        return VEM_FAIL(VEM_EFORMAT, "%s: key '%s': expected a positive integer", path, key);
    json_int_t i = json_integer_value(v);
    if ((unsigned long long)i > max)
        return VEM_FAIL(VEM_EFORMAT, "%s: key '%s': %lld is too large", path, key, (long long)i);
    *out = (size_t)i;
    return VEM_OK;
}

vem_status vem__json_get_number(const char *path, const json_t *root, const char *key,
                                double *out)
{
    const json_t *v = json_object_get(root, key);
    if (!v)
        return VEM_FAIL(VEM_EFORMAT, "%s: key '%s' is missing", path, key);
    if (!json_is_number(v) || !isfinite(json_number_value(v)))
        return VEM_FAIL(VEM_EFORMAT, "%s: key '%s': expected a finite number", path, key);
    *out = json_number_value(v);
    return VEM_OK;
}

vem_status vem__json_get_bool(const char *path, const json_t *root, const char *key, int *out)
{
    const json_t *v = json_object_get(root, key);
    if (!v)
        return VEM_FAIL(VEM_EFORMAT, "%s: key '%s' is missing", path, key);
    if (!json_is_boolean(v))
        return VEM_FAIL(VEM_EFORMAT, "%s: key '%s': expected true or false", path, key);
    *out = json_is_true(v);
    return VEM_OK;
}

vem_status vem__json_get_names(const char *path, const json_t *root, const char *key, size_t n,
                               const char ***out)
{
    *out = NULL;
    const json_t *v = json_object_get(root, key);
    if (!v)
        return VEM_OK;
    if (!json_is_array(v) || json_array_size(v) != n)
        return VEM_FAIL(VEM_EFORMAT, "%s: key '%s': expected an array of %zu strings", path, key,
                        n);
    const char **names = vem__calloc(n ? n : 1, sizeof *names);
    if (!names)
        return VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
    for (size_t j = 0; j < n; j++) {
        names[j] = json_string_value(json_array_get(v, j));
        if (!names[j]) {
            vem__free(names);
            return VEM_FAIL(VEM_EFORMAT, "%s: key '%s': entry %zu is not a string", path, key,
                            j + 1);
        }
    }
    *out = names;
    return VEM_OK;
}

vem__json_shape vem__json_cov_shape(vem_cov cov, size_t k, size_t d)
{
    switch (vem_cov_layout(cov)) {
    case VEM_COV_FULL:
        return (vem__json_shape){{k, d, d}, {"component", "row", "column"}, 3};
    case VEM_COV_DIAG:
        return (vem__json_shape){{k, d}, {"component", "column"}, 2};
    case VEM_COV_SPHERICAL:
        return (vem__json_shape){{k}, {"component"}, 1};
    case VEM_COV_TIED:
        return (vem__json_shape){{d, d}, {"row", "column"}, 2};
    default:
        break;
    }
    return (vem__json_shape){{0}, {NULL}, 0};
}

vem__json_shape vem__json_shape_in(size_t n, const char *name, vem__json_shape sh)
{
    vem__json_shape out;
    memset(&out, 0, sizeof out);
    out.ndims = sh.ndims + 1;
    out.dims[0] = n;
    out.names[0] = name;
    for (size_t i = 0; i < sh.ndims && i + 1 < 4; i++) {
        out.dims[i + 1] = sh.dims[i];
        out.names[i + 1] = sh.names[i];
    }
    return out;
}

/*
 * A nested numeric array: its vem__json_shape, how its levels are named in messages
 * ("row", "column", ...) and its phrase ("2 arrays of 3 numbers").
 */

/* "2 arrays of 3 numbers" for dims {2, 3} starting at level. */
static void shape_phrase(const vem__json_shape *sh, size_t level, char *buf, size_t size)
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
static void where(const vem__json_shape *sh, const size_t *idx, size_t depth, char *buf,
                  size_t size)
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
 * Check that v has vem__json_shape sh from level on (idx[0..level) is where v sits) and
 * holds finite numbers; if *out is not NULL, also copy them there row-major,
 * advancing *out.
 */
static vem_status walk(const char *path, const char *key, const vem__json_shape *sh,
                       const json_t *v, size_t level, size_t *idx, double **out)
{
    char at[128], want[128];
    if (!json_is_array(v) || json_array_size(v) != sh->dims[level]) {
        shape_phrase(sh, 0, want, sizeof want);
        if (level == 0) {
            if (json_is_array(v))
                return VEM_FAIL(VEM_EFORMAT, "%s: key '%s': expected %s, got an array of %zu",
                                path, key, want, json_array_size(v));
            return VEM_FAIL(VEM_EFORMAT, "%s: key '%s': expected %s, got %s", path, key, want,
                            vem__json_type_name(v));
        }
        where(sh, idx, level, at, sizeof at);
        if (json_is_array(v))
            return VEM_FAIL(VEM_EFORMAT, "%s: key '%s': expected %s, %s has %zu", path, key,
                            want, at, json_array_size(v));
        return VEM_FAIL(VEM_EFORMAT, "%s: key '%s': expected %s, %s is %s", path, key, want, at,
                        vem__json_type_name(v));
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
                            at, vem__json_type_name(e));
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

/* Required numeric array key of vem__json_shape sh, copied into out (prod(dims) doubles). */
vem_status vem__json_get_array(const char *path, const json_t *root, const char *key,
                            const vem__json_shape *sh, double *out)
{
    const json_t *v = json_object_get(root, key);
    if (!v)
        return VEM_FAIL(VEM_EFORMAT, "%s: key '%s' is missing", path, key);
    size_t idx[4] = {0, 0, 0, 0};
    double *p = out;
    return walk(path, key, sh, v, 0, idx, &p);
}

vem_status vem__prefix_errmsg(vem_status s, const char *path, const char *key)
{
    char msg[512]; /* vem_errmsg() is the buffer VEM_FAIL writes: copy it first */
    snprintf(msg, sizeof msg, "%s", vem_errmsg());
    if (key)
        return VEM_FAIL(s, "%s: key '%s': %s", path, key, msg);
    return VEM_FAIL(s, "%s: %s", path, msg);
}

/* Check the header keys of a model file: format, version, model. */
vem_status vem__json_check_header(const char *path, const json_t *root, const char **model)
{
    const char *format = NULL;
    vem_status s = vem__json_get_string(path, root, "format", &format);
    if (s != VEM_OK)
        return s;
    if (strcmp(format, VEM__MODEL_FORMAT) != 0)
        return VEM_FAIL(VEM_EFORMAT, "%s: key 'format': expected \"%s\", got \"%.64s\"", path,
                        VEM__MODEL_FORMAT, format);
    const json_t *v = json_object_get(root, "version");
    if (!v)
        return VEM_FAIL(VEM_EFORMAT, "%s: key 'version' is missing", path);
    if (!json_is_integer(v))
        return VEM_FAIL(VEM_EFORMAT, "%s: key 'version': expected an integer, got %s", path,
                        vem__json_type_name(v));
    if (json_integer_value(v) != VEM__MODEL_VERSION)
        return VEM_FAIL(VEM_EFORMAT, "%s: key 'version': unsupported version %lld (expected %d)",
                        path, (long long)json_integer_value(v), VEM__MODEL_VERSION);
    return vem__json_get_string(path, root, "model", model);
}

vem_status vem_model_file_kind(const char *path, char *buf, size_t size)
{
    if (!path || !buf || size == 0)
        return VEM_FAIL(VEM_EINVAL, "vem_model_file_kind: %s",
                        path ? "empty buffer" : "path is NULL");
    json_t *root = NULL;
    vem_status s = vem__json_load(path, &root);
    if (s != VEM_OK)
        return s;
    const char *model = NULL;
    s = vem__json_check_header(path, root, &model);
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

vem_status vem__json_load_model(const char *path, const char *model, json_t **root)
{
    if (!path)
        return VEM_FAIL(VEM_EINVAL, "vem_%s_load: path is NULL", model);
    json_t *r = NULL;
    vem_status s = vem__json_load(path, &r);
    if (s != VEM_OK)
        return s;
    const char *m = NULL;
    s = vem__json_check_header(path, r, &m);
    if (s == VEM_OK && strcmp(m, model) != 0)
        s = VEM_FAIL(VEM_EFORMAT, "%s: key 'model': expected \"%s\", got \"%.64s\"", path, model,
                     m);
    if (s != VEM_OK) {
        json_decref(r);
        return s;
    }
    *root = r;
    return VEM_OK;
}

char *vem__json_text(json_t *root, int ok)
{
    char *text = ok && root ? json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(root);
    if (!text)
        VEM_FAIL(ok ? VEM_ENOMEM : VEM_EINVAL,
                 ok ? "out of memory writing a model as JSON"
                    : "a model parameter is not finite, or out of memory");
    return text;
}
