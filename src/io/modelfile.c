/*
 * src/io/modelfile.c — GMM model files: JSON through jansson (docs/formats.md).
 *
 * Save builds the whole document in memory, writes it to PATH.vem-tmp.PID.XXXXXX
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

#include <vem/gmm.h>

#include "internal.h"
#include "io/jsonfile.h"

#define WEIGHT_SUM_TOL 1e-8
#define SYMMETRY_RTOL 1e-12

/* Doubles in the covariance array of a k-component, d-dimensional model; 0 on overflow. */
static size_t cov_len(vem_cov cov, size_t k, size_t d)
{
    size_t dd = 0, n = 0;
    switch (vem_cov_layout(cov)) {
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
    default:
        break;
    }
    return 0;
}

/* ---------------------------------------------------------------- save */

/* The model file's document without its "fit" record into *out (path: for messages). */
static vem_status gmm_doc(const vem_gmm *g, const char *path, json_t **out, int *okp)
{
    vem_status s = vem__json_save_args("gmm", g, path);
    if (s != VEM_OK)
        return s;
    size_t k = vem_gmm_k(g), d = vem_gmm_d(g);
    vem_cov cov = vem_gmm_cov(g);
    const char *cov_name = vem_cov_name(cov);
    if (!cov_name)
        return VEM_FAIL(VEM_EINVAL, "%s: model has an invalid covariance type %d", path, (int)cov);
    if (vem_gmm_covariances_len(g) != cov_len(cov, k, d))
        return VEM_FAIL(VEM_EINVAL, "%s: model has %zu covariance values, expected %zu", path,
                        vem_gmm_covariances_len(g), cov_len(cov, k, d));
    /* The keys in the order of docs/formats.md. */
    int ok = 1;
    json_t *o = vem__json_header("gmm", &ok);
    vem__json_put(o, "covariance_type", json_string(cov_name), &ok);
    vem__json_put(o, "n_components", json_integer((json_int_t)k), &ok);
    vem__json_put(o, "n_features", json_integer((json_int_t)d), &ok);
    vem__json_put(o, "reg_covar", json_real(vem_gmm_reg_covar(g)), &ok);
    if (vem_gmm_equal_weights(g))
        vem__json_put(o, "equal_weights", json_true(), &ok);
    if (vem_gmm_columns(g) &&
        (s = vem__json_put_names(o, "columns", vem_gmm_columns(g), d, path, "column", &ok)) !=
            VEM_OK) {
        json_decref(o);
        return s;
    }
    vem__json_put(o, "weights", vem__json_vector(vem_gmm_weights(g), k), &ok);
    vem__json_put(o, "means", vem__json_matrix(vem_gmm_means(g), k, d), &ok);
    vem__json_put(o, "covariances", vem__json_covariances(vem_gmm_covariances(g), cov, k, d),
                  &ok);
    *out = o;
    *okp = ok;
    return VEM_OK;
}

vem_status vem_gmm_save(const vem_gmm *g, const char *path, const vem_fit_result *fit_info)
{
    json_t *o = NULL;
    int ok = 1;
    vem_status s = gmm_doc(g, path, &o, &ok);
    if (s != VEM_OK)
        return s;
    vem__json_put_fit(o, fit_info, "log_likelihood", "n_samples", 0, &ok);
    return vem__json_save(path, o, 2, ok);
}

char *vem_gmm_to_json(const vem_gmm *g)
{
    json_t *o = NULL;
    int ok = 1;
    return gmm_doc(g, "vem_gmm_to_json", &o, &ok) == VEM_OK ? vem__json_text(o, ok) : NULL;
}

/* ---------------------------------------------------------------- load */

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
    switch (vem_cov_layout(cov)) {
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
    default:
        break;
    }
    return VEM_OK;
}

/* Build the model described by root; NULL with vem_errmsg set. */
static vem_gmm *gmm_from_json(const char *path, const json_t *root)
{
    const char *cov_name = NULL;
    size_t k = 0, d = 0;
    vem_cov cov;
    vem_status s;
    if (vem__json_get_string(path, root, "covariance_type", &cov_name) != VEM_OK)
        return NULL;
    if (vem_gmm_cov_parse(cov_name, &cov) != VEM_OK) {
        VEM_FAIL(VEM_EFORMAT,
                 "%s: key 'covariance_type': unknown type \"%.64s\" "
                 "(expected full, diag, spherical, tied or an mclust model name such as VEV)",
                 path, cov_name);
        return NULL;
    }
    if (vem__json_get_size(path, root, "n_components", SIZE_MAX, &k) != VEM_OK ||
        vem__json_get_size(path, root, "n_features", SIZE_MAX, &d) != VEM_OK)
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
    const json_t *eq = json_object_get(root, "equal_weights");
    if (eq && !json_is_boolean(eq)) {
        VEM_FAIL(VEM_EFORMAT, "%s: key 'equal_weights': expected true or false, got %s", path,
                 vem__json_type_name(eq));
        return NULL;
    }
    const json_t *fit = json_object_get(root, "fit");
    if (fit && !json_is_object(fit)) {
        VEM_FAIL(VEM_EFORMAT, "%s: key 'fit': expected an object, got %s", path,
                 vem__json_type_name(fit));
        return NULL;
    }

    /* Shapes first, without allocating, so absurd counts are format errors, not ENOMEM. */
    vem__json_shape wsh = {{k, 0, 0}, {"component", NULL, NULL}, 1};
    vem__json_shape msh = {{k, d, 0}, {"row", "column", NULL}, 2};
    vem__json_shape csh = vem__json_cov_shape(cov, k, d);
    if (vem__json_get_array(path, root, "weights", &wsh, NULL) != VEM_OK ||
        vem__json_get_array(path, root, "means", &msh, NULL) != VEM_OK ||
        vem__json_get_array(path, root, "covariances", &csh, NULL) != VEM_OK)
        return NULL;

    size_t kd = k * d, nc = cov_len(cov, k, d); /* bounded by the arrays just walked */
    double *w = vem__alloc_doubles(k, 1), *mu = vem__alloc_doubles(kd, 1);
    double *c = vem__alloc_doubles(nc, 1);
    const char **names = NULL;
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
        vem__prefix_errmsg(VEM_ENOMEM, path, NULL);
        goto fail;
    }
    if (rc && (s = vem_gmm_set_reg_covar(g, reg_covar)) != VEM_OK) {
        vem__prefix_errmsg(s, path, NULL);
        goto fail;
    }
    vem_gmm_set_equal_weights(g, json_is_true(eq));
    if (vem__json_get_names(path, root, "columns", d, &names) != VEM_OK)
        goto fail;
    if (names && (s = vem_gmm_set_columns(g, names)) != VEM_OK) {
        vem__prefix_errmsg(s, path, NULL);
        goto fail;
    }
    if ((s = vem_gmm_set_params(g, w, mu, c)) != VEM_OK) {
        vem__prefix_errmsg(s, path, NULL);
        goto fail;
    }
    vem__free(names);
    vem__free(w);
    vem__free(mu);
    vem__free(c);
    return g;
fail:
    vem_gmm_free(g);
    vem__free(names);
    vem__free(w);
    vem__free(mu);
    vem__free(c);
    return NULL;
}

vem_gmm *vem_gmm_load(const char *path)
{
    json_t *root = NULL;
    if (vem__json_load_model(path, "gmm", &root) != VEM_OK)
        return NULL;
    vem_gmm *g = gmm_from_json(path, root);
    json_decref(root);
    return g;
}
