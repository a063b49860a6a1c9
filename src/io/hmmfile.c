/*
 * src/io/hmmfile.c — HMM model files: JSON through jansson (docs/hmm.md).
 *
 * Same conventions as the mixture's model files (src/io/modelfile.c): the
 * whole document is built in memory, written to PATH.tmp.XXXXXX beside the
 * target, synced and renamed over it; load validates every key before it
 * builds the model and names the file and key of any problem.
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

#include <vem/hmm.h>

#include "internal.h"
#include "io/jsonfile.h"


/* ---------------------------------------------------------------- save */

static json_t *vec_json(const double *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_real(v[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static json_t *mat_json(const double *v, size_t rows, size_t cols)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < rows; i++)
        if (json_array_append_new(a, vec_json(v + i * cols, cols)) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static json_t *names_json(const char *const *names, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        json_t *s = names[i] ? json_string(names[i]) : NULL;
        if (!s || json_array_append_new(a, s) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static void put(json_t *o, const char *key, json_t *v, int *ok)
{
    if (!v || json_object_set_new(o, key, v) != 0)
        *ok = 0;
}

/* Covariances c of k Gaussians in d dimensions with type cov, nested as gmm.h's shapes. */
static json_t *cov_json(const double *c, size_t k, size_t d, vem_cov cov)
{
    switch (cov) {
    case VEM_COV_FULL: {
        json_t *a = json_array();
        for (size_t i = 0; a && i < k; i++)
            if (json_array_append_new(a, mat_json(c + i * d * d, d, d)) != 0) {
                json_decref(a);
                return NULL;
            }
        return a;
    }
    case VEM_COV_DIAG:
        return mat_json(c, k, d);
    case VEM_COV_SPHERICAL:
        return vec_json(c, k);
    case VEM_COV_TIED:
        return mat_json(c, d, d);
    }
    return NULL;
}

static vem_status hmm_to_json(const char *path, const vem_hmm *h, const vem_fit_result *fit_info,
                              json_t **out)
{
    size_t k = vem_hmm_k(h), d = vem_hmm_dim(h);
    int gauss = vem_hmm_emission_type(h) != VEM_HMM_CATEGORICAL;
    int mix = vem_hmm_emission_type(h) == VEM_HMM_GMM;
    json_t *o = json_object();
    if (!o)
        return VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
    int ok = 1;
    put(o, "format", json_string(VEM__MODEL_FORMAT), &ok);
    put(o, "version", json_integer(VEM__MODEL_VERSION), &ok);
    put(o, "model", json_string("hmm"), &ok);
    put(o, "emission", json_string(vem_hmm_emission_name(vem_hmm_emission_type(h))), &ok);
    put(o, "n_states", json_integer((json_int_t)k), &ok);
    if (gauss) {
        put(o, "covariance_type", json_string(vem_cov_name(vem_hmm_cov(h))), &ok);
        put(o, "n_features", json_integer((json_int_t)d), &ok);
        if (mix)
            put(o, "n_mix", json_integer((json_int_t)vem_hmm_n_mix(h)), &ok);
        put(o, "reg_covar", json_real(vem_hmm_reg_covar(h)), &ok);
        if (vem_hmm_columns(h)) {
            json_t *a = names_json(vem_hmm_columns(h), d);
            if (!a) {
                json_decref(o);
                return VEM_FAIL(VEM_EINVAL, "%s: a column name is not valid UTF-8", path);
            }
            put(o, "columns", a, &ok);
        }
    } else {
        put(o, "n_symbols", json_integer((json_int_t)d), &ok);
        if (vem_hmm_symbol_column(h)) {
            json_t *s = json_string(vem_hmm_symbol_column(h));
            if (!s) {
                json_decref(o);
                return VEM_FAIL(VEM_EINVAL, "%s: the symbol column name is not valid UTF-8",
                                path);
            }
            put(o, "symbol_column", s, &ok);
        }
        if (vem_hmm_symbols(h)) {
            json_t *a = names_json(vem_hmm_symbols(h), d);
            if (!a) {
                json_decref(o);
                return VEM_FAIL(VEM_EINVAL, "%s: a symbol name is not valid UTF-8", path);
            }
            put(o, "symbols", a, &ok);
        }
    }
    put(o, "startprob", vec_json(vem_hmm_startprob(h), k), &ok);
    put(o, "transmat", mat_json(vem_hmm_transmat(h), k, k), &ok);
    if (mix) {
        json_t *w = json_array(), *mu = json_array(), *cv = json_array();
        size_t mm = vem_hmm_n_mix(h);
        for (size_t i = 0; w && mu && cv && i < k; i++) {
            const vem_gmm *g = vem_hmm_state_mixture(h, i);
            if (json_array_append_new(w, vec_json(vem_gmm_weights(g), mm)) != 0 ||
                json_array_append_new(mu, mat_json(vem_gmm_means(g), mm, d)) != 0 ||
                json_array_append_new(cv, cov_json(vem_gmm_covariances(g), mm, d,
                                                   vem_hmm_cov(h))) != 0)
                ok = 0;
        }
        put(o, "weights", w, &ok);
        put(o, "means", mu, &ok);
        put(o, "covariances", cv, &ok);
    } else if (gauss) {
        put(o, "means", mat_json(vem_hmm_means(h), k, d), &ok);
        put(o, "covariances", cov_json(vem_hmm_covariances(h), k, d, vem_hmm_cov(h)), &ok);
    } else {
        put(o, "emissionprob", mat_json(vem_hmm_emissionprob(h), k, d), &ok);
    }
    if (fit_info) {
        json_t *f = json_object();
        if (f) {
            double ll = fit_info->objective, n = fit_info->n_obs;
            put(f, "log_likelihood", isfinite(ll) ? json_real(ll) : json_null(), &ok);
            put(f, "n_frames", json_integer(n >= 0 && n < 0x1p63 ? (json_int_t)(size_t)n : 0),
                &ok);
            put(f, "n_iter", json_integer((json_int_t)fit_info->n_iter), &ok);
            put(f, "converged", json_boolean(fit_info->converged), &ok);
        }
        put(o, "fit", f, &ok);
    }
    if (!ok) {
        json_decref(o);
        return VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
    }
    *out = o;
    return VEM_OK;
}

vem_status vem_hmm_save(const vem_hmm *h, const char *path, const vem_fit_result *fit_info)
{
    if (!h || !path || !*path)
        return VEM_FAIL(VEM_EINVAL, "vem_hmm_save: %s is NULL or empty", h ? "path" : "model");
    json_t *root = NULL;
    vem_status s = hmm_to_json(path, h, fit_info, &root);
    if (s != VEM_OK)
        return s;
    return vem__json_save(path, root);
}

/* ---------------------------------------------------------------- load */

static vem_status get_size(const char *path, const json_t *root, const char *key, size_t *out)
{
    json_t *v = json_object_get(root, key);
    if (!v)
        return VEM_FAIL(VEM_EFORMAT, "%s: key '%s' is missing", path, key);
    if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 100000000)
        return VEM_FAIL(VEM_EFORMAT, "%s: key '%s': expected a positive integer", path, key);
    *out = (size_t)json_integer_value(v);
    return VEM_OK;
}

/*
 * A nested numeric array of shape dims[0..nd) into out (row-major).
 * VEM_EFORMAT naming the key and the position of the first problem.
 */
static vem_status get_array(const char *path, const json_t *root, const char *key,
                            const size_t *dims, size_t nd, double *out)
{
    json_t *v = json_object_get(root, key);
    if (!v)
        return VEM_FAIL(VEM_EFORMAT, "%s: key '%s' is missing", path, key);
    size_t total = 1;
    for (size_t i = 0; i < nd; i++)
        total *= dims[i];
    for (size_t f = 0; f < total; f++) {
        const json_t *e = v;
        size_t rem = f, stride = total;
        char where[64] = "";
        size_t used = 0;
        for (size_t i = 0; i < nd; i++) {
            stride /= dims[i];
            size_t idx = rem / stride;
            rem %= stride;
            if (!json_is_array(e) || json_array_size(e) != dims[i])
                return VEM_FAIL(VEM_EFORMAT, "%s: key '%s'%s: expected an array of %zu", path,
                                key, where, dims[i]);
            e = json_array_get(e, idx);
            int n = snprintf(where + used, sizeof where - used, "[%zu]", idx);
            if (n > 0 && (size_t)n < sizeof where - used)
                used += (size_t)n;
        }
        if (!json_is_number(e))
            return VEM_FAIL(VEM_EFORMAT, "%s: key '%s'%s: expected a number", path, key, where);
        out[f] = json_number_value(e);
        if (!isfinite(out[f]))
            return VEM_FAIL(VEM_EFORMAT, "%s: key '%s'%s: not finite", path, key, where);
    }
    return VEM_OK;
}

static vem_status get_names(const char *path, const json_t *root, const char *key, size_t n,
                            const char ***out)
{
    *out = NULL;
    const json_t *v = json_object_get(root, key);
    if (!v)
        return VEM_OK;
    if (!json_is_array(v) || json_array_size(v) != n)
        return VEM_FAIL(VEM_EFORMAT, "%s: key '%s': expected an array of %zu strings", path, key,
                        n);
    const char **names = vem__calloc(n, sizeof *names);
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

static vem_status prefixed(vem_status s, const char *path, const char *key)
{
    char msg[512];
    snprintf(msg, sizeof msg, "%s", vem_errmsg());
    return VEM_FAIL(s == VEM_ENUMERIC || s == VEM_ENOMEM ? s : VEM_EFORMAT, "%s: key '%s': %s",
                    path, key, msg);
}

static vem_hmm *hmm_from_json(const char *path, const json_t *root)
{
    const char *format = NULL, *model = NULL, *emission = NULL, *cov_name = NULL;
    size_t k = 0, d = 0, mm = 1;
    vem_hmm_emission em;
    vem_cov cov = VEM_COV_FULL;
    if (vem__json_get_string(path, root, "format", &format) != VEM_OK)
        return NULL;
    if (strcmp(format, VEM__MODEL_FORMAT) != 0) {
        VEM_FAIL(VEM_EFORMAT, "%s: key 'format': expected \"%s\"", path, VEM__MODEL_FORMAT);
        return NULL;
    }
    const json_t *ver = json_object_get(root, "version");
    if (!json_is_integer(ver) || json_integer_value(ver) != VEM__MODEL_VERSION) {
        VEM_FAIL(VEM_EFORMAT, "%s: key 'version': expected %d", path, VEM__MODEL_VERSION);
        return NULL;
    }
    if (vem__json_get_string(path, root, "model", &model) != VEM_OK)
        return NULL;
    if (strcmp(model, "hmm") != 0) {
        VEM_FAIL(VEM_EFORMAT, "%s: key 'model': expected \"hmm\", got \"%.64s\"", path, model);
        return NULL;
    }
    if (vem__json_get_string(path, root, "emission", &emission) != VEM_OK ||
        get_size(path, root, "n_states", &k) != VEM_OK)
        return NULL;
    if (vem_hmm_emission_parse(emission, &em) != VEM_OK) {
        VEM_FAIL(VEM_EFORMAT, "%s: key 'emission': expected \"gaussian\" or \"categorical\"",
                 path);
        return NULL;
    }
    if (em != VEM_HMM_CATEGORICAL) {
        if (vem__json_get_string(path, root, "covariance_type", &cov_name) != VEM_OK ||
            get_size(path, root, "n_features", &d) != VEM_OK ||
            (em == VEM_HMM_GMM && get_size(path, root, "n_mix", &mm) != VEM_OK))
            return NULL;
        if (vem_cov_parse(cov_name, &cov) != VEM_OK) {
            VEM_FAIL(VEM_EFORMAT, "%s: key 'covariance_type': expected full, diag, spherical "
                     "or tied", path);
            return NULL;
        }
    } else if (get_size(path, root, "n_symbols", &d) != VEM_OK) {
        return NULL;
    }
    if (k > 100000 || d > 100000 || mm > 100000 ||
        (em != VEM_HMM_CATEGORICAL && k * mm * d * d > 100000000)) {
        VEM_FAIL(VEM_EFORMAT, "%s: n_states=%zu and dimension %zu are too large", path, k, d);
        return NULL;
    }
    vem_hmm *h = vem_hmm_new_gmm(k, em, mm, d, cov);
    double *pi = vem__alloc_doubles(k, 1), *a = vem__alloc_doubles(k, k);
    double *e = vem__alloc_doubles(k * mm, d), *c = NULL, *w = vem__alloc_doubles(k, mm);
    const char **names = NULL;
    vem_status s;
    if (!h || !pi || !a || !e || !w) {
        VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    size_t dims[3] = {k, k, 0};
    if (get_array(path, root, "startprob", dims, 1, pi) != VEM_OK ||
        get_array(path, root, "transmat", dims, 2, a) != VEM_OK)
        goto fail;
    if ((s = vem_hmm_set_startprob(h, pi)) != VEM_OK) {
        prefixed(s, path, "startprob");
        goto fail;
    }
    if ((s = vem_hmm_set_transmat(h, a)) != VEM_OK) {
        prefixed(s, path, "transmat");
        goto fail;
    }
    if (em != VEM_HMM_CATEGORICAL) {
        /* Shapes: a mixture's (gmm.h) of k Gaussians, or for mixture emissions k of
         * those of n_mix Gaussians each (one more leading dimension). */
        size_t g = em == VEM_HMM_GMM ? mm : k, cl = 0, cd[4], nd = 0;
        if (em == VEM_HMM_GMM)
            cd[nd++] = k;
        switch (cov) {
        case VEM_COV_FULL:
            cl = g * d * d, cd[nd++] = g, cd[nd++] = d, cd[nd++] = d;
            break;
        case VEM_COV_DIAG:
            cl = g * d, cd[nd++] = g, cd[nd++] = d;
            break;
        case VEM_COV_SPHERICAL:
            cl = g, cd[nd++] = g;
            break;
        case VEM_COV_TIED:
            cl = d * d, cd[nd++] = d, cd[nd++] = d;
            break;
        }
        size_t ncov = em == VEM_HMM_GMM ? k * cl : cl;
        c = vem__alloc_doubles(ncov, 1);
        if (!c) {
            VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
            goto fail;
        }
        if (em == VEM_HMM_GMM) {
            size_t md[3] = {k, mm, d};
            if (get_array(path, root, "weights", md, 2, w) != VEM_OK ||
                get_array(path, root, "means", md, 3, e) != VEM_OK ||
                get_array(path, root, "covariances", cd, nd, c) != VEM_OK)
                goto fail;
            for (size_t i = 0; i < k; i++)
                if ((s = vem_hmm_set_state_mixture(h, i, w + i * mm, e + i * mm * d,
                                                   c + i * cl)) != VEM_OK) {
                    prefixed(s, path, "weights/means/covariances");
                    goto fail;
                }
        } else {
            dims[1] = d;
            if (get_array(path, root, "means", dims, 2, e) != VEM_OK ||
                get_array(path, root, "covariances", cd, nd, c) != VEM_OK)
                goto fail;
            if ((s = vem_hmm_set_gaussian(h, e, c)) != VEM_OK) {
                prefixed(s, path, "covariances");
                goto fail;
            }
        }
        const json_t *rc = json_object_get(root, "reg_covar");
        if (rc && (!json_is_number(rc) ||
                   vem_hmm_set_reg_covar(h, json_number_value(rc)) != VEM_OK)) {
            VEM_FAIL(VEM_EFORMAT, "%s: key 'reg_covar': expected a number >= 0", path);
            goto fail;
        }
        if (get_names(path, root, "columns", d, &names) != VEM_OK)
            goto fail;
        if (names && vem_hmm_set_columns(h, names) != VEM_OK)
            goto fail;
    } else {
        dims[1] = d;
        if (get_array(path, root, "emissionprob", dims, 2, e) != VEM_OK)
            goto fail;
        if ((s = vem_hmm_set_emissionprob(h, e)) != VEM_OK) {
            prefixed(s, path, "emissionprob");
            goto fail;
        }
        if (get_names(path, root, "symbols", d, &names) != VEM_OK)
            goto fail;
        if (names && vem_hmm_set_symbols(h, names) != VEM_OK)
            goto fail;
        const json_t *sc = json_object_get(root, "symbol_column");
        if (sc && (!json_is_string(sc) ||
                   vem_hmm_set_symbol_column(h, json_string_value(sc)) != VEM_OK)) {
            VEM_FAIL(VEM_EFORMAT, "%s: key 'symbol_column': expected a string", path);
            goto fail;
        }
    }
    vem__free(names);
    vem__free(pi);
    vem__free(a);
    vem__free(e);
    vem__free(c);
    vem__free(w);
    return h;
fail:
    vem__free(w);
    vem__free(names);
    vem__free(pi);
    vem__free(a);
    vem__free(e);
    vem__free(c);
    vem_hmm_free(h);
    return NULL;
}

vem_hmm *vem_hmm_load(const char *path)
{
    if (!path) {
        VEM_FAIL(VEM_EINVAL, "vem_hmm_load: path is NULL");
        return NULL;
    }
    json_t *root = NULL;
    if (vem__json_load(path, &root) != VEM_OK)
        return NULL;
    vem_hmm *h = hmm_from_json(path, root);
    json_decref(root);
    return h;
}
