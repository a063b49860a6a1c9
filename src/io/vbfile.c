/*
 * src/io/vbfile.c — model files of the variational models ("vbgmm", "blr"):
 * JSON through jansson, written to PATH.tmp.XXXXXX, synced and renamed over
 * the target (as src/io/modelfile.c), and validated key by key on load.
 * Keys: docs/vb.md.
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

#include <vem/blr.h>
#include <vem/vbgmm.h>

#include "internal.h"
#include "io/jsonfile.h"


/* ---------------------------------------------------------------- save */

/* A JSON array of n doubles, nested as rows of cols when cols > 0; NULL on failure. */
static json_t *numbers(const double *v, size_t n, size_t cols)
{
    json_t *a = json_array();
    if (!a)
        return NULL;
    if (cols == 0) {
        for (size_t i = 0; i < n; i++)
            if (json_array_append_new(a, json_real(v[i])) != 0) {
                json_decref(a);
                return NULL;
            }
        return a;
    }
    for (size_t i = 0; i < n / cols; i++)
        if (json_array_append_new(a, numbers(v + i * cols, cols, 0)) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static void put(json_t *o, const char *key, json_t *v, int *ok)
{
    if (json_object_set_new(o, key, v) != 0)
        *ok = 0;
}

static json_t *strings(const char *const *s, size_t n, int *ok)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        json_t *e = s[i] ? json_string(s[i]) : NULL;
        if (!e || json_array_append_new(a, e) != 0) {
            json_decref(a);
            a = NULL;
        }
    }
    if (!a)
        *ok = 0;
    return a;
}

static json_t *header(const char *model, int *ok)
{
    json_t *o = json_object();
    if (!o) {
        *ok = 0;
        return NULL;
    }
    put(o, "format", json_string(VEM__MODEL_FORMAT), ok);
    put(o, "version", json_integer(VEM__MODEL_VERSION), ok);
    put(o, "model", json_string(model), ok);
    return o;
}

static void put_fit(json_t *o, const vem_fit_result *fi, int *ok)
{
    if (!fi)
        return;
    json_t *f = json_object();
    if (!f) {
        *ok = 0;
        return;
    }
    put(f, "elbo", isfinite(fi->objective) ? json_real(fi->objective) : json_null(), ok);
    put(f, "n_samples", json_integer((json_int_t)(fi->n_obs >= 0 && fi->n_obs < 0x1p62 ? fi->n_obs : 0)),
        ok);
    put(f, "n_iter", json_integer((json_int_t)fi->n_iter), ok);
    put(f, "converged", json_boolean(fi->converged), ok);
    put(o, "fit", f, ok);
}

vem_status vem_vbgmm_save(const vem_vbgmm *v, const char *path, const vem_fit_result *fit_info)
{
    if (!v || !path || !*path)
        return VEM_FAIL(VEM_EINVAL, "vem_vbgmm_save: %s is NULL or empty", v ? "path" : "model");
    if (!vem_vbgmm_mean_prior(v) || !vem_vbgmm_covariance_prior(v))
        return VEM_FAIL(VEM_EINVAL, "%s: the priors are not resolved (fit the model first)", path);
    const size_t k = vem_vbgmm_k(v), d = vem_vbgmm_d(v);
    const vem_cov cov = vem_vbgmm_cov(v);
    const size_t pl = cov == VEM_COV_FULL ? d * d : d;
    int ok = 1;
    json_t *o = header("vbgmm", &ok);
    put(o, "covariance_type", json_string(vem_cov_name(cov)), &ok);
    put(o, "n_components", json_integer((json_int_t)k), &ok);
    put(o, "n_features", json_integer((json_int_t)d), &ok);
    const char *const *cols = vem_vbgmm_columns(v);
    if (cols) {
        json_t *a = strings(cols, d, &ok);
        if (!a) {
            json_decref(o);
            return VEM_FAIL(VEM_EINVAL, "%s: a column name is not valid UTF-8", path);
        }
        put(o, "columns", a, &ok);
    }
    put(o, "weight_prior", json_string(vem_vb_weight_prior_name(vem_vbgmm_weight_prior(v))),
        &ok);
    put(o, "weight_concentration_prior", json_real(vem_vbgmm_weight_concentration_prior(v)),
        &ok);
    put(o, "mean_precision_prior", json_real(vem_vbgmm_mean_precision_prior(v)), &ok);
    put(o, "degrees_of_freedom_prior", json_real(vem_vbgmm_dof_prior(v)), &ok);
    put(o, "mean_prior", numbers(vem_vbgmm_mean_prior(v), d, 0), &ok);
    put(o, "covariance_prior",
        numbers(vem_vbgmm_covariance_prior(v), pl, cov == VEM_COV_FULL ? d : 0), &ok);
    put(o, "reg_covar", json_real(vem_vbgmm_reg_covar(v)), &ok);
    put(o, "weights", numbers(vem_vbgmm_weights(v), k, 0), &ok);
    put(o, "weight_concentration",
        numbers(vem_vbgmm_weight_concentration(v), vem_vbgmm_weight_concentration_len(v),
                vem_vbgmm_weight_prior(v) == VEM_VB_DP ? 2 : 0),
        &ok);
    put(o, "mean_precision", numbers(vem_vbgmm_mean_precision(v), k, 0), &ok);
    put(o, "degrees_of_freedom", numbers(vem_vbgmm_dof(v), k, 0), &ok);
    put(o, "means", numbers(vem_vbgmm_means(v), k * d, d), &ok);
    json_t *c = json_array();
    const double *cv = vem_vbgmm_covariances(v);
    for (size_t i = 0; c && i < k; i++)
        if (json_array_append_new(c, numbers(cv + i * pl, pl, cov == VEM_COV_FULL ? d : 0)) != 0)
            ok = 0;
    put(o, "covariances", c, &ok);
    put_fit(o, fit_info, &ok);
    if (!ok) {
        json_decref(o);
        return VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
    }
    return vem__json_save(path, o);
}

vem_status vem_blr_save(const vem_blr *b, const char *path, const vem_fit_result *fit_info)
{
    if (!b || !path || !*path)
        return VEM_FAIL(VEM_EINVAL, "vem_blr_save: %s is NULL or empty", b ? "path" : "model");
    const size_t d = vem_blr_d(b), na = vem_blr_weight_precision_len(b);
    double *s = vem__alloc_doubles(vem_blr_state_len(b), 1);
    if (!s)
        return VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
    vem_blr_state_get(b, s);
    int ok = 1;
    json_t *o = header("blr", &ok);
    put(o, "n_features", json_integer((json_int_t)d), &ok);
    const char *const *cols = vem_blr_columns(b);
    if (cols) {
        json_t *a = strings(cols, d, &ok);
        if (!a) {
            json_decref(o);
            vem__free(s);
            return VEM_FAIL(VEM_EINVAL, "%s: a column name is not valid UTF-8", path);
        }
        put(o, "columns", a, &ok);
    }
    if (vem_blr_target(b)) {
        json_t *t = json_string(vem_blr_target(b));
        if (!t) {
            json_decref(o);
            vem__free(s);
            return VEM_FAIL(VEM_EINVAL, "%s: the target name is not valid UTF-8", path);
        }
        put(o, "target", t, &ok);
    }
    double hp[4];
    vem_blr_hyperpriors(b, hp);
    put(o, "ard", json_boolean(vem_blr_ard(b)), &ok);
    put(o, "intercept", json_boolean(vem_blr_intercept_on(b)), &ok);
    put(o, "standardize", json_boolean(vem_blr_standardize_on(b)), &ok);
    put(o, "hyperpriors", numbers(hp, 4, 0), &ok);
    put(o, "prune_threshold",
        isfinite(vem_blr_prune_threshold(b)) ? json_real(vem_blr_prune_threshold(b)) : json_null(),
        &ok);
    /* Readable results first (informational), then the state that load uses. */
    put(o, "coef", numbers(vem_blr_coef(b), d, 0), &ok);
    put(o, "intercept_value", json_real(vem_blr_intercept(b)), &ok);
    put(o, "noise_precision", json_real(vem_blr_noise_precision(b)), &ok);
    put(o, "weight_precision", numbers(vem_blr_weight_precision(b), na, 0), &ok);
    const double *p = s;
    put(o, "shift", numbers(p, d, 0), &ok);
    p += d;
    put(o, "scale", numbers(p, d, 0), &ok);
    p += d;
    put(o, "yshift", json_real(*p++), &ok);
    put(o, "mu", numbers(p, d, 0), &ok);
    p += d;
    put(o, "sigma", numbers(p, d * d, d), &ok);
    p += d * d;
    put(o, "alpha_gamma", numbers(p, 2 * na, 2), &ok);
    p += 2 * na;
    put(o, "beta_gamma", numbers(p, 2, 0), &ok);
    p += 2;
    put(o, "pruned", numbers(p, d, 0), &ok);
    put_fit(o, fit_info, &ok);
    vem__free(s);
    if (!ok) {
        json_decref(o);
        return VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
    }
    return vem__json_save(path, o);
}

/* ---------------------------------------------------------------- load */

/* The model file at path, checked to be a vem model of the given kind; NULL with vem_errmsg set. */
static json_t *parse(const char *path, const char *model)
{
    json_t *root = NULL;
    return vem__json_load_model(path, model, &root) == VEM_OK ? root : NULL;
}

static vem_status get_size(const char *path, const json_t *root, const char *key, size_t max,
                           size_t *out)
{
    const json_t *v = json_object_get(root, key);
    if (!json_is_integer(v) || json_integer_value(v) < 1 ||
        (unsigned long long)json_integer_value(v) > max)
        return VEM_FAIL(VEM_EFORMAT, "%s: key '%s': expected an integer in [1, %zu]", path, key,
                        max);
    *out = (size_t)json_integer_value(v);
    return VEM_OK;
}

static vem_status get_number(const char *path, const json_t *root, const char *key, double *out)
{
    const json_t *v = json_object_get(root, key);
    if (!json_is_number(v) || !isfinite(json_number_value(v)))
        return VEM_FAIL(VEM_EFORMAT, "%s: key '%s': expected a finite number", path, key);
    *out = json_number_value(v);
    return VEM_OK;
}

static vem_status get_bool(const char *path, const json_t *root, const char *key, int *out)
{
    const json_t *v = json_object_get(root, key);
    if (!json_is_boolean(v))
        return VEM_FAIL(VEM_EFORMAT, "%s: key '%s': expected true or false", path, key);
    *out = json_is_true(v);
    return VEM_OK;
}

/* Flatten a (nested) numeric array of exactly n numbers with inner length cols (0: flat). */
static vem_status flat(const char *path, const char *key, const json_t *v, size_t n, size_t cols,
                       double *out, size_t *pos)
{
    if (!json_is_array(v))
        return VEM_FAIL(VEM_EFORMAT, "%s: key '%s': expected an array", path, key);
    for (size_t i = 0; i < json_array_size(v); i++) {
        const json_t *e = json_array_get(v, i);
        if (json_is_array(e)) {
            if (cols == 0 || json_array_size(e) != cols)
                return VEM_FAIL(VEM_EFORMAT, "%s: key '%s': entry %zu has the wrong shape", path,
                                key, i + 1);
            vem_status s = flat(path, key, e, n, 0, out, pos);
            if (s != VEM_OK)
                return s;
            continue;
        }
        if (!json_is_number(e) || !isfinite(json_number_value(e)))
            return VEM_FAIL(VEM_EFORMAT, "%s: key '%s': entry %zu is not a finite number", path,
                            key, i + 1);
        if (*pos >= n)
            return VEM_FAIL(VEM_EFORMAT, "%s: key '%s': more than %zu numbers", path, key, n);
        out[(*pos)++] = json_number_value(e);
    }
    return VEM_OK;
}

static vem_status get_numbers(const char *path, const json_t *root, const char *key, size_t n,
                              size_t cols, double *out)
{
    const json_t *v = json_object_get(root, key);
    if (!v)
        return VEM_FAIL(VEM_EFORMAT, "%s: key '%s' is missing", path, key);
    size_t pos = 0;
    vem_status s = flat(path, key, v, n, cols, out, &pos);
    if (s == VEM_OK && pos != n)
        s = VEM_FAIL(VEM_EFORMAT, "%s: key '%s': expected %zu numbers, got %zu", path, key, n, pos);
    return s;
}

/* Optional array of n strings; *out is a borrowed array of n pointers (caller frees the array). */
static vem_status get_strings(const char *path, const json_t *root, const char *key, size_t n,
                              const char ***out)
{
    *out = NULL;
    const json_t *v = json_object_get(root, key);
    if (!v)
        return VEM_OK;
    if (!json_is_array(v) || json_array_size(v) != n)
        return VEM_FAIL(VEM_EFORMAT, "%s: key '%s': expected an array of %zu strings", path, key,
                        n);
    const char **s = vem__calloc(n, sizeof *s);
    if (!s)
        return VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
    for (size_t i = 0; i < n; i++) {
        s[i] = json_string_value(json_array_get(v, i));
        if (!s[i]) {
            vem__free(s);
            return VEM_FAIL(VEM_EFORMAT, "%s: key '%s': entry %zu is not a string", path, key,
                            i + 1);
        }
    }
    *out = s;
    return VEM_OK;
}

static vem_status prefixed(vem_status s, const char *path)
{
    char msg[512];
    snprintf(msg, sizeof msg, "%s", vem_errmsg());
    return VEM_FAIL(s, "%s: %s", path, msg);
}

vem_vbgmm *vem_vbgmm_load(const char *path)
{
    if (!path) {
        VEM_FAIL(VEM_EINVAL, "vem_vbgmm_load: path is NULL");
        return NULL;
    }
    json_t *root = parse(path, "vbgmm");
    if (!root)
        return NULL;
    vem_vbgmm *v = NULL;
    double *buf = NULL;
    const char **cols = NULL;
    size_t k = 0, d = 0;
    vem_cov cov = VEM_COV_FULL;
    vem_vb_weight_prior wp = VEM_VB_DIRICHLET;
    const char *cs = json_string_value(json_object_get(root, "covariance_type"));
    const char *ws = json_string_value(json_object_get(root, "weight_prior"));
    if (!cs || vem_cov_parse(cs, &cov) != VEM_OK || (cov != VEM_COV_FULL && cov != VEM_COV_DIAG)) {
        VEM_FAIL(VEM_EFORMAT, "%s: key 'covariance_type': expected \"full\" or \"diag\"", path);
        goto fail;
    }
    if (!ws || vem_vb_weight_prior_parse(ws, &wp) != VEM_OK) {
        VEM_FAIL(VEM_EFORMAT, "%s: key 'weight_prior': expected \"dirichlet\" or \"dp\"", path);
        goto fail;
    }
    if (get_size(path, root, "n_components", 1u << 20, &k) != VEM_OK ||
        get_size(path, root, "n_features", 1u << 14, &d) != VEM_OK)
        goto fail;
    const size_t pl = cov == VEM_COV_FULL ? d * d : d, nc = wp == VEM_VB_DP ? 2 * k : k;
    double a0 = 0, b0 = 0, nu0 = 0, reg = 0;
    if (get_number(path, root, "weight_concentration_prior", &a0) != VEM_OK ||
        get_number(path, root, "mean_precision_prior", &b0) != VEM_OK ||
        get_number(path, root, "degrees_of_freedom_prior", &nu0) != VEM_OK ||
        get_number(path, root, "reg_covar", &reg) != VEM_OK)
        goto fail;
    buf = vem__alloc_doubles(d + pl + nc + 3 * k + k * d + k * pl, 1);
    if (!buf) {
        VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    double *m0 = buf, *c0 = m0 + d, *conc = c0 + pl, *beta = conc + nc, *nu = beta + k;
    double *means = nu + k, *covs = means + k * d;
    if (get_numbers(path, root, "mean_prior", d, 0, m0) != VEM_OK ||
        get_numbers(path, root, "covariance_prior", pl, cov == VEM_COV_FULL ? d : 0, c0) !=
            VEM_OK ||
        get_numbers(path, root, "weight_concentration", nc, wp == VEM_VB_DP ? 2 : 0, conc) !=
            VEM_OK ||
        get_numbers(path, root, "mean_precision", k, 0, beta) != VEM_OK ||
        get_numbers(path, root, "degrees_of_freedom", k, 0, nu) != VEM_OK ||
        get_numbers(path, root, "means", k * d, d, means) != VEM_OK)
        goto fail;
    /* covariances: k entries, each d x d (full) or d (diag). */
    const json_t *cj = json_object_get(root, "covariances");
    if (!json_is_array(cj) || json_array_size(cj) != k) {
        VEM_FAIL(VEM_EFORMAT, "%s: key 'covariances': expected an array of %zu components", path,
                 k);
        goto fail;
    }
    for (size_t c = 0; c < k; c++) {
        size_t pos = 0;
        if (flat(path, "covariances", json_array_get(cj, c), pl, cov == VEM_COV_FULL ? d : 0,
                 covs + c * pl, &pos) != VEM_OK)
            goto fail;
        if (pos != pl) {
            VEM_FAIL(VEM_EFORMAT, "%s: key 'covariances': component %zu has %zu numbers, expected %zu",
                     path, c + 1, pos, pl);
            goto fail;
        }
    }
    if (get_strings(path, root, "columns", d, &cols) != VEM_OK)
        goto fail;
    v = vem_vbgmm_new(k, d, cov);
    vem_status s;
    if (!v) {
        prefixed(vem__last_status(), path);
        goto fail;
    }
    if ((s = vem_vbgmm_set_weight_prior(v, wp)) != VEM_OK ||
        (s = vem_vbgmm_set_weight_concentration_prior(v, a0)) != VEM_OK ||
        (s = vem_vbgmm_set_mean_precision_prior(v, b0)) != VEM_OK ||
        (s = vem_vbgmm_set_dof_prior(v, nu0)) != VEM_OK ||
        (s = vem_vbgmm_set_reg_covar(v, reg)) != VEM_OK ||
        (s = vem_vbgmm_set_mean_prior(v, m0)) != VEM_OK ||
        (s = vem_vbgmm_set_covariance_prior(v, c0)) != VEM_OK ||
        (s = vem_vbgmm_set_columns(v, cols)) != VEM_OK ||
        (s = vem_vbgmm_set_posterior(v, conc, beta, means, nu, covs)) != VEM_OK) {
        prefixed(s == VEM_ENOMEM ? s : VEM_EFORMAT, path);
        goto fail;
    }
    vem__free(cols);
    vem__free(buf);
    json_decref(root);
    return v;
fail:
    vem_vbgmm_free(v);
    vem__free(cols);
    vem__free(buf);
    json_decref(root);
    return NULL;
}

vem_blr *vem_blr_load(const char *path)
{
    if (!path) {
        VEM_FAIL(VEM_EINVAL, "vem_blr_load: path is NULL");
        return NULL;
    }
    json_t *root = parse(path, "blr");
    if (!root)
        return NULL;
    vem_blr *b = NULL;
    double *st = NULL;
    const char **cols = NULL;
    size_t d = 0;
    int ard = 0, icpt = 0, std = 0;
    double hp[4], thr = INFINITY;
    if (get_size(path, root, "n_features", 1u << 14, &d) != VEM_OK ||
        get_bool(path, root, "ard", &ard) != VEM_OK ||
        get_bool(path, root, "intercept", &icpt) != VEM_OK ||
        get_bool(path, root, "standardize", &std) != VEM_OK ||
        get_numbers(path, root, "hyperpriors", 4, 0, hp) != VEM_OK)
        goto fail;
    const json_t *tj = json_object_get(root, "prune_threshold");
    if (tj && !json_is_null(tj) && get_number(path, root, "prune_threshold", &thr) != VEM_OK)
        goto fail;
    const json_t *tg = json_object_get(root, "target");
    if (tg && !json_is_string(tg)) {
        VEM_FAIL(VEM_EFORMAT, "%s: key 'target': expected a string", path);
        goto fail;
    }
    if (get_strings(path, root, "columns", d, &cols) != VEM_OK)
        goto fail;
    b = vem_blr_new(d);
    vem_status s;
    if (!b) {
        prefixed(vem__last_status(), path);
        goto fail;
    }
    if ((s = vem_blr_set_ard(b, ard)) != VEM_OK || (s = vem_blr_set_intercept(b, icpt)) != VEM_OK ||
        (s = vem_blr_set_standardize(b, std)) != VEM_OK ||
        (s = vem_blr_set_hyperpriors(b, hp[0], hp[1], hp[2], hp[3])) != VEM_OK ||
        (s = vem_blr_set_prune_threshold(b, thr)) != VEM_OK ||
        (s = vem_blr_set_columns(b, cols, json_string_value(tg))) != VEM_OK) {
        prefixed(s == VEM_ENOMEM ? s : VEM_EFORMAT, path);
        goto fail;
    }
    const size_t na = vem_blr_weight_precision_len(b);
    st = vem__alloc_doubles(vem_blr_state_len(b), 1);
    if (!st) {
        VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    double *p = st;
    if (get_numbers(path, root, "shift", d, 0, p) != VEM_OK ||
        get_numbers(path, root, "scale", d, 0, p + d) != VEM_OK ||
        get_number(path, root, "yshift", p + 2 * d) != VEM_OK ||
        get_numbers(path, root, "mu", d, 0, p + 2 * d + 1) != VEM_OK ||
        get_numbers(path, root, "sigma", d * d, d, p + 3 * d + 1) != VEM_OK ||
        get_numbers(path, root, "alpha_gamma", 2 * na, 2, p + 3 * d + 1 + d * d) != VEM_OK ||
        get_numbers(path, root, "beta_gamma", 2, 0, p + 3 * d + 1 + d * d + 2 * na) != VEM_OK ||
        get_numbers(path, root, "pruned", d, 0, p + 3 * d + 3 + d * d + 2 * na) != VEM_OK)
        goto fail;
    if ((s = vem_blr_state_set(b, st)) != VEM_OK) {
        prefixed(VEM_EFORMAT, path);
        goto fail;
    }
    vem__free(st);
    vem__free(cols);
    json_decref(root);
    return b;
fail:
    vem_blr_free(b);
    vem__free(st);
    vem__free(cols);
    json_decref(root);
    return NULL;
}
