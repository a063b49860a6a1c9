/*
 * src/io/hmmfile.c — HMM model files: JSON through jansson (docs/hmm.md).
 *
 * Same conventions as the mixture's model files (src/io/modelfile.c): the
 * whole document is built in memory, written to PATH.vem-tmp.PID.XXXXXX beside the
 * target, synced and renamed over it; load validates every key before it
 * builds the model and names the file and key of any problem.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <vem/hmm.h>

#include "internal.h"
#include "io/jsonfile.h"

/* ---------------------------------------------------------------- save */

/* The model file's document without its "fit" record into *out (path: for messages). */
static vem_status hmm_doc(const vem_hmm *h, const char *path, json_t **out, int *okp)
{
    vem_status s = vem__json_save_args("hmm", h, path);
    if (s != VEM_OK)
        return s;
    size_t k = vem_hmm_k(h), d = vem_hmm_dim(h);
    vem_hmm_emission em = vem_hmm_emission_type(h);
    vem_cov cov = vem_hmm_cov(h);
    int ok = 1;
    json_t *o = vem__json_header("hmm", &ok);
    vem__json_put(o, "emission", json_string(vem_hmm_emission_name(em)), &ok);
    vem__json_put(o, "n_states", json_integer((json_int_t)k), &ok);
    if (em == VEM_HMM_POISSON || em == VEM_HMM_MULTINOMIAL) {
        vem__json_put(o, "n_features", json_integer((json_int_t)d), &ok);
        if (vem_hmm_n_trials(h))
            vem__json_put(o, "n_trials", json_integer((json_int_t)vem_hmm_n_trials(h)), &ok);
        if (vem_hmm_columns(h))
            s = vem__json_put_names(o, "columns", vem_hmm_columns(h), d, path, "column", &ok);
    } else if (em != VEM_HMM_CATEGORICAL) {
        vem__json_put(o, "covariance_type", json_string(vem_cov_name(cov)), &ok);
        vem__json_put(o, "n_features", json_integer((json_int_t)d), &ok);
        if (em == VEM_HMM_GMM)
            vem__json_put(o, "n_mix", json_integer((json_int_t)vem_hmm_n_mix(h)), &ok);
        vem__json_put(o, "reg_covar", json_real(vem_hmm_reg_covar(h)), &ok);
        if (vem_hmm_columns(h))
            s = vem__json_put_names(o, "columns", vem_hmm_columns(h), d, path, "column", &ok);
    } else {
        vem__json_put(o, "n_symbols", json_integer((json_int_t)d), &ok);
        if (vem_hmm_symbol_column(h))
            s = vem__json_put_string(o, "symbol_column", vem_hmm_symbol_column(h), path, &ok);
        if (s == VEM_OK && vem_hmm_symbols(h))
            s = vem__json_put_names(o, "symbols", vem_hmm_symbols(h), d, path, "symbol", &ok);
    }
    if (s != VEM_OK) {
        json_decref(o);
        return s;
    }
    vem__json_put(o, "startprob", vem__json_vector(vem_hmm_startprob(h), k), &ok);
    vem__json_put(o, "transmat", vem__json_matrix(vem_hmm_transmat(h), k, k), &ok);
    if (em == VEM_HMM_GMM) {
        /* One mixture per state: each key one level deeper than a mixture's own. */
        json_t *w = json_array(), *mu = json_array(), *cv = json_array();
        size_t mm = vem_hmm_n_mix(h);
        for (size_t i = 0; w && mu && cv && i < k; i++) {
            const vem_gmm *g = vem_hmm_state_mixture(h, i);
            if (json_array_append_new(w, vem__json_vector(vem_gmm_weights(g), mm)) != 0 ||
                json_array_append_new(mu, vem__json_matrix(vem_gmm_means(g), mm, d)) != 0 ||
                json_array_append_new(
                    cv, vem__json_covariances(vem_gmm_covariances(g), cov, mm, d)) != 0)
                ok = 0;
        }
        vem__json_put(o, "weights", w, &ok);
        vem__json_put(o, "means", mu, &ok);
        vem__json_put(o, "covariances", cv, &ok);
    } else if (em == VEM_HMM_POISSON) {
        vem__json_put(o, "lambdas", vem__json_matrix(vem_hmm_lambdas(h), k, d), &ok);
    } else if (em != VEM_HMM_CATEGORICAL && em != VEM_HMM_MULTINOMIAL) {
        vem__json_put(o, "means", vem__json_matrix(vem_hmm_means(h), k, d), &ok);
        vem__json_put(o, "covariances",
                      vem__json_covariances(vem_hmm_covariances(h), cov, k, d), &ok);
    } else {
        vem__json_put(o, "emissionprob", vem__json_matrix(vem_hmm_emissionprob(h), k, d), &ok);
    }
    *out = o;
    *okp = ok;
    return VEM_OK;
}

vem_status vem_hmm_save(const vem_hmm *h, const char *path, const vem_fit_result *fit_info)
{
    json_t *o = NULL;
    int ok = 1;
    vem_status s = hmm_doc(h, path, &o, &ok);
    if (s != VEM_OK)
        return s;
    vem__json_put_fit(o, fit_info, "log_likelihood", "n_frames", 0, &ok);
    return vem__json_save(path, o, 2, ok);
}

char *vem_hmm_to_json(const vem_hmm *h)
{
    json_t *o = NULL;
    int ok = 1;
    return hmm_doc(h, "vem_hmm_to_json", &o, &ok) == VEM_OK ? vem__json_text(o, ok) : NULL;
}

/* ---------------------------------------------------------------- load */

/* A setter's failure as a format error of the key (numerical and memory failures keep theirs). */
static void bad_key(vem_status s, const char *path, const char *key)
{
    vem__prefix_errmsg(s == VEM_ENUMERIC || s == VEM_ENOMEM ? s : VEM_EFORMAT, path, key);
}

static vem_hmm *hmm_from_json(const char *path, const json_t *root)
{
    const char *emission = NULL, *cov_name = NULL;
    size_t k = 0, d = 0, mm = 1;
    vem_hmm_emission em;
    vem_cov cov = VEM_COV_FULL;
    if (vem__json_get_string(path, root, "emission", &emission) != VEM_OK ||
        vem__json_get_size(path, root, "n_states", 100000, &k) != VEM_OK)
        return NULL;
    if (vem_hmm_emission_parse(emission, &em) != VEM_OK) {
        VEM_FAIL(VEM_EFORMAT, "%s: key 'emission': expected \"gaussian\", \"gmm\", "
                 "\"categorical\", \"poisson\" or \"multinomial\"", path);
        return NULL;
    }
    const int counts = em == VEM_HMM_POISSON || em == VEM_HMM_MULTINOMIAL;
    const int gauss = em == VEM_HMM_GAUSSIAN || em == VEM_HMM_GMM;
    size_t n_trials = 0;
    if (counts) {
        if (vem__json_get_size(path, root, "n_features", 100000, &d) != VEM_OK ||
            (json_object_get(root, "n_trials") &&
             vem__json_get_size(path, root, "n_trials", SIZE_MAX / 2, &n_trials) != VEM_OK))
            return NULL;
    } else if (gauss) {
        if (vem__json_get_string(path, root, "covariance_type", &cov_name) != VEM_OK ||
            vem__json_get_size(path, root, "n_features", 100000, &d) != VEM_OK ||
            (em == VEM_HMM_GMM && vem__json_get_size(path, root, "n_mix", 100000, &mm) != VEM_OK))
            return NULL;
        if (vem_gmm_cov_parse(cov_name, &cov) != VEM_OK) {
            VEM_FAIL(VEM_EFORMAT,
                     "%s: key 'covariance_type': expected full, diag, spherical, tied or an mclust name (EII ... VVV)", path);
            return NULL;
        }
    } else if (vem__json_get_size(path, root, "n_symbols", 100000, &d) != VEM_OK) {
        return NULL;
    }
    if (gauss && k * mm * d * d > 100000000) {
        VEM_FAIL(VEM_EFORMAT, "%s: n_states=%zu and dimension %zu are too large", path, k, d);
        return NULL;
    }
    /* Shapes: a mixture's (gmm.h) of k Gaussians, or for mixture emissions k of
     * those of n_mix Gaussians each (one more leading level). */
    vem__json_shape pish = {{k}, {"state"}, 1};
    vem__json_shape ash = {{k, k}, {"row", "column"}, 2};
    vem__json_shape esh = {{k, d}, {"state", em == VEM_HMM_CATEGORICAL ? "symbol" : "column"}, 2};
    vem__json_shape wsh = {{k, mm}, {"state", "component"}, 2};
    vem__json_shape msh = {{k, mm, d}, {"state", "component", "column"}, 3};
    vem__json_shape csh = vem__json_cov_shape(cov, em == VEM_HMM_GMM ? mm : k, d);
    size_t cl = 1; /* doubles per mixture's covariances */
    for (size_t i = 0; i < csh.ndims; i++)
        cl *= csh.dims[i];
    if (em == VEM_HMM_GMM)
        csh = vem__json_shape_in(k, "state", csh);
    /* Every parameter is a number in the file (2 bytes at least: "0,"): check the
     * declared sizes against the file before allocating the model and its copies. */
    size_t file_bytes = 0;
    double nparam = (double)k * (double)k + (double)k * (double)mm * (double)(d + 1) +
                    (!gauss ? 0.0 : (em == VEM_HMM_GMM ? (double)k : 1.0) * (double)cl);
    if (!vem__file_size(path, &file_bytes)) {
        VEM_FAIL(VEM_EIO, "%s: cannot find the file's size", path);
        return NULL;
    }
    if (vem__check_declared(path, "the parameters of n_states x n_states transitions and emissions",
                            nparam, "doubles", sizeof(double), 4, 2, (double)file_bytes) != VEM_OK)
        return NULL;
    vem_hmm *h = vem_hmm_new_gmm(k, em, mm, d, cov);
    double *pi = vem__alloc_doubles(k, 1), *a = vem__alloc_doubles(k, k);
    double *e = vem__alloc_doubles(k * mm, d), *w = vem__alloc_doubles(k, mm);
    double *c = gauss ? vem__alloc_doubles(em == VEM_HMM_GMM ? k : 1, cl) : NULL;
    const char **names = NULL;
    vem_status s;
    if (!h || !pi || !a || !e || !w || (gauss && !c)) {
        VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    if (vem__json_get_array(path, root, "startprob", &pish, pi) != VEM_OK ||
        vem__json_get_array(path, root, "transmat", &ash, a) != VEM_OK)
        goto fail;
    if ((s = vem_hmm_set_startprob(h, pi)) != VEM_OK) {
        bad_key(s, path, "startprob");
        goto fail;
    }
    if ((s = vem_hmm_set_transmat(h, a)) != VEM_OK) {
        bad_key(s, path, "transmat");
        goto fail;
    }
    if (em == VEM_HMM_GMM) {
        if (vem__json_get_array(path, root, "weights", &wsh, w) != VEM_OK ||
            vem__json_get_array(path, root, "means", &msh, e) != VEM_OK ||
            vem__json_get_array(path, root, "covariances", &csh, c) != VEM_OK)
            goto fail;
        for (size_t i = 0; i < k; i++)
            if ((s = vem_hmm_set_state_mixture(h, i, w + i * mm, e + i * mm * d, c + i * cl)) !=
                VEM_OK) {
                bad_key(s, path, "weights/means/covariances");
                goto fail;
            }
    } else if (counts) {
        const char *key = em == VEM_HMM_POISSON ? "lambdas" : "emissionprob";
        if (vem__json_get_array(path, root, key, &esh, e) != VEM_OK)
            goto fail;
        s = em == VEM_HMM_POISSON ? vem_hmm_set_lambdas(h, e) : vem_hmm_set_emissionprob(h, e);
        if (s != VEM_OK) {
            bad_key(s, path, key);
            goto fail;
        }
        if (n_trials && (s = vem_hmm_set_n_trials(h, n_trials)) != VEM_OK) {
            bad_key(s, path, "n_trials");
            goto fail;
        }
        if (vem__json_get_names(path, root, "columns", d, &names) != VEM_OK)
            goto fail;
        if (names && vem_hmm_set_columns(h, names) != VEM_OK)
            goto fail;
    } else if (em != VEM_HMM_CATEGORICAL) {
        if (vem__json_get_array(path, root, "means", &esh, e) != VEM_OK ||
            vem__json_get_array(path, root, "covariances", &csh, c) != VEM_OK)
            goto fail;
        if ((s = vem_hmm_set_gaussian(h, e, c)) != VEM_OK) {
            bad_key(s, path, "covariances");
            goto fail;
        }
    }
    if (gauss) {
        const json_t *rc = json_object_get(root, "reg_covar");
        if (rc && (!json_is_number(rc) ||
                   vem_hmm_set_reg_covar(h, json_number_value(rc)) != VEM_OK)) {
            VEM_FAIL(VEM_EFORMAT, "%s: key 'reg_covar': expected a number >= 0", path);
            goto fail;
        }
        if (vem__json_get_names(path, root, "columns", d, &names) != VEM_OK)
            goto fail;
        if (names && vem_hmm_set_columns(h, names) != VEM_OK)
            goto fail;
    } else if (em == VEM_HMM_CATEGORICAL) {
        if (vem__json_get_array(path, root, "emissionprob", &esh, e) != VEM_OK)
            goto fail;
        if ((s = vem_hmm_set_emissionprob(h, e)) != VEM_OK) {
            bad_key(s, path, "emissionprob");
            goto fail;
        }
        if (vem__json_get_names(path, root, "symbols", d, &names) != VEM_OK)
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
    json_t *root = NULL;
    if (vem__json_load_model(path, "hmm", &root) != VEM_OK)
        return NULL;
    vem_hmm *h = hmm_from_json(path, root);
    json_decref(root);
    return h;
}
