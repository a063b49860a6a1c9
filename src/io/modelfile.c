/*
 * src/io/modelfile.c — GMM model files: JSON through jansson (docs/formats.md).
 *
 * Save builds the whole document in memory, writes it to PATH.tmp.XXXXXX
 * beside the target, syncs it and renames it over the target, so a reader sees
 * either the old file or the new one, never half of one. Load reads the whole
 * file, parses it and validates every key before it builds the model, so every
 * problem is reported with the file and key it comes from.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <vem/io.h>

#include "internal.h"
#include "io/jsonfile.h"

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
    put(o, "format", json_string(VEM__MODEL_FORMAT), &ok);
    put(o, "version", json_integer(VEM__MODEL_VERSION), &ok);
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
    put(o, "weights", vem__json_array_of(vem_gmm_weights(g), dims, 1), &ok);
    dims[1] = d;
    put(o, "means", vem__json_array_of(vem_gmm_means(g), dims, 2), &ok);
    const double *c = vem_gmm_covariances(g);
    switch (cov) {
    case VEM_COV_FULL:
        dims[2] = d;
        put(o, "covariances", vem__json_array_of(c, dims, 3), &ok);
        break;
    case VEM_COV_DIAG:
        put(o, "covariances", vem__json_array_of(c, dims, 2), &ok);
        break;
    case VEM_COV_SPHERICAL:
        put(o, "covariances", vem__json_array_of(c, dims, 1), &ok);
        break;
    case VEM_COV_TIED:
        dims[0] = d;
        put(o, "covariances", vem__json_array_of(c, dims, 2), &ok);
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

vem_status vem_gmm_save(const vem_gmm *g, const char *path, const vem_fit_result *fit_info)
{
    if (!g || !path || !*path)
        return VEM_FAIL(VEM_EINVAL, "vem_gmm_save: %s is NULL or empty", g ? "path" : "model");
    json_t *root = NULL;
    vem_status s = gmm_to_json(path, g, fit_info, &root);
    if (s != VEM_OK)
        return s;

    return vem__json_save(path, root);
}

/* ---------------------------------------------------------------- load */

/* Shape of the covariances of a k x d model of type cov. */
static vem__json_shape cov_shape(vem_cov cov, size_t k, size_t d)
{
    vem__json_shape sh;
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
    return s == VEM_OK ? VEM_OK : vem__prefix_errmsg(s, path);
}

/* Build the model described by root; NULL with vem_errmsg set. */
static vem_gmm *gmm_from_json(const char *path, const json_t *root)
{
    const char *model = NULL, *cov_name = NULL;
    size_t k = 0, d = 0;
    vem_cov cov;
    vem_status s = vem__json_check_header(path, root, &model);
    if (s != VEM_OK)
        return NULL;
    if (strcmp(model, "gmm") != 0) {
        VEM_FAIL(VEM_EFORMAT, "%s: key 'model': expected \"gmm\", got \"%.64s\"", path, model);
        return NULL;
    }
    if (vem__json_get_string(path, root, "covariance_type", &cov_name) != VEM_OK)
        return NULL;
    if (vem_cov_parse(cov_name, &cov) != VEM_OK) {
        VEM_FAIL(VEM_EFORMAT,
                 "%s: key 'covariance_type': unknown type \"%.64s\" "
                 "(expected full, diag, spherical or tied)",
                 path, cov_name);
        return NULL;
    }
    if (vem__json_get_positive(path, root, "n_components", &k) != VEM_OK ||
        vem__json_get_positive(path, root, "n_features", &d) != VEM_OK)
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
        VEM_FAIL(VEM_EFORMAT, "%s: key 'fit': expected an object, got %s", path, vem__json_type_name(fit));
        return NULL;
    }

    /* Shapes first, without allocating, so absurd counts are format errors, not ENOMEM. */
    vem__json_shape wsh = {{k, 0, 0}, {"component", NULL, NULL}, 1};
    vem__json_shape msh = {{k, d, 0}, {"row", "column", NULL}, 2};
    vem__json_shape csh = cov_shape(cov, k, d);
    if (vem__json_get_array(path, root, "weights", &wsh, NULL) != VEM_OK ||
        vem__json_get_array(path, root, "means", &msh, NULL) != VEM_OK ||
        vem__json_get_array(path, root, "covariances", &csh, NULL) != VEM_OK)
        return NULL;

    size_t kd = k * d, nc = cov_len(cov, k, d); /* bounded by the arrays just walked */
    double *w = vem__alloc_doubles(k, 1), *mu = vem__alloc_doubles(kd, 1);
    double *c = vem__alloc_doubles(nc, 1);
    vem_gmm *g = NULL;
    if (!w || !mu || !c) {
        VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    if (vem__json_get_array(path, root, "weights", &wsh, w) != VEM_OK ||
        vem__json_get_array(path, root, "means", &msh, mu) != VEM_OK ||
        vem__json_get_array(path, root, "covariances", &csh, c) != VEM_OK ||
        check_weights(path, w, k) != VEM_OK || check_covariances(path, cov, c, k, d) != VEM_OK)
        goto fail;

    g = vem_gmm_new(k, d, cov);
    if (!g) {
        vem__prefix_errmsg(VEM_ENOMEM, path);
        goto fail;
    }
    if (rc && (s = vem_gmm_set_reg_covar(g, reg_covar)) != VEM_OK) {
        vem__prefix_errmsg(s, path);
        goto fail;
    }
    if (load_columns(path, root, g, d) != VEM_OK)
        goto fail;
    if ((s = vem_gmm_set_params(g, w, mu, c)) != VEM_OK) {
        vem__prefix_errmsg(s, path);
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
    if (vem__json_load(path, &root) != VEM_OK)
        return NULL;
    vem_gmm *g = gmm_from_json(path, root);
    json_decref(root);
    return g;
}
