/*
 * src/io/vbhmmfile.c — variational Bayesian HMM model files: JSON through jansson
 * (docs/vbhmm.md, "Model files").
 *
 * Same conventions as the other model files (src/io/hmmfile.c, src/io/vbfile.c): the
 * document is built in memory and written atomically; load validates every key before it
 * builds the model and names the file and key of any problem. The priors and the
 * variational parameters are the model; the posterior means ("startprob", "transmat",
 * "means", "covariances", "emissionprob", "lambdas") and the occupancies are written for
 * readers and not read back.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <vem/vbhmm.h>

#include "internal.h"
#include "io/jsonfile.h"

/* ---------------------------------------------------------------- save */

static vem_status vbhmm_doc(const vem_vbhmm *v, const char *path, json_t **out, int *okp)
{
    vem_status s = vem__json_save_args("vbhmm", v, path);
    if (s != VEM_OK)
        return s;
    const size_t k = vem_vbhmm_k(v), d = vem_vbhmm_dim(v);
    const vem_hmm_emission em = vem_vbhmm_emission_type(v);
    const vem_cov cov = vem_vbhmm_cov(v);
    if ((em == VEM_HMM_GAUSSIAN && !vem_vbhmm_means_prior(v)) ||
        (em == VEM_HMM_POISSON && !vem_vbhmm_lambdas_rate_prior(v)))
        return VEM_FAIL(VEM_EINVAL, "%s: the priors are not resolved: fit or set them first",
                        path);
    int ok = 1;
    json_t *o = vem__json_header("vbhmm", &ok);
    vem__json_put(o, "emission", json_string(vem_hmm_emission_name(em)), &ok);
    vem__json_put(o, "n_states", json_integer((json_int_t)k), &ok);
    if (em == VEM_HMM_CATEGORICAL) {
        vem__json_put(o, "n_symbols", json_integer((json_int_t)d), &ok);
        if (vem_vbhmm_symbol_column(v))
            s = vem__json_put_string(o, "symbol_column", vem_vbhmm_symbol_column(v), path, &ok);
        if (s == VEM_OK && vem_vbhmm_symbols(v))
            s = vem__json_put_names(o, "symbols", vem_vbhmm_symbols(v), d, path, "symbol", &ok);
    } else {
        if (em == VEM_HMM_GAUSSIAN)
            vem__json_put(o, "covariance_type", json_string(vem_cov_name(cov)), &ok);
        vem__json_put(o, "n_features", json_integer((json_int_t)d), &ok);
        if (vem_vbhmm_columns(v))
            s = vem__json_put_names(o, "columns", vem_vbhmm_columns(v), d, path, "column", &ok);
    }
    if (s != VEM_OK) {
        json_decref(o);
        return s;
    }
    vem__json_put(o, "startprob_prior", vem__json_vector(vem_vbhmm_startprob_prior(v), k), &ok);
    vem__json_put(o, "transmat_prior", vem__json_matrix(vem_vbhmm_transmat_prior(v), k, k), &ok);
    vem__json_put(o, "startprob_posterior",
                  vem__json_vector(vem_vbhmm_startprob_posterior(v), k), &ok);
    vem__json_put(o, "transmat_posterior",
                  vem__json_matrix(vem_vbhmm_transmat_posterior(v), k, k), &ok);
    vem__json_put(o, "startprob", vem__json_vector(vem_vbhmm_startprob(v), k), &ok);
    vem__json_put(o, "transmat", vem__json_matrix(vem_vbhmm_transmat(v), k, k), &ok);
    if (em == VEM_HMM_GAUSSIAN) {
        /* Shapes as hmmlearn's: the scale prior d x d (full, tied), d (diag) or a number
         * (spherical); tied: one dof posterior, a number. */
        const int mat = cov == VEM_COV_FULL || cov == VEM_COV_TIED;
        const double *s0 = vem_vbhmm_scale_prior(v);
        vem__json_put(o, "means_prior", vem__json_vector(vem_vbhmm_means_prior(v), d), &ok);
        vem__json_put(o, "beta_prior", json_real(vem_vbhmm_beta_prior(v)), &ok);
        vem__json_put(o, "dof_prior", json_real(vem_vbhmm_dof_prior(v)), &ok);
        vem__json_put(o, "scale_prior",
                      mat                          ? vem__json_matrix(s0, d, d)
                      : cov == VEM_COV_SPHERICAL ? json_real(s0[0])
                                                   : vem__json_vector(s0, d),
                      &ok);
        vem__json_put(o, "means", vem__json_matrix(vem_vbhmm_means(v), k, d), &ok);
        vem__json_put(o, "beta_posterior", vem__json_vector(vem_vbhmm_beta_posterior(v), k),
                      &ok);
        vem__json_put(o, "dof_posterior",
                      cov == VEM_COV_TIED ? json_real(vem_vbhmm_dof_posterior(v)[0])
                                          : vem__json_vector(vem_vbhmm_dof_posterior(v), k),
                      &ok);
        vem__json_put(o, "scale_posterior",
                      vem__json_covariances(vem_vbhmm_scale_posterior(v), cov, k, d), &ok);
        vem__json_put(o, "covariances", vem__json_covariances(vem_vbhmm_covariances(v), cov, k, d),
                      &ok);
    } else if (em == VEM_HMM_CATEGORICAL) {
        vem__json_put(o, "emissionprob_prior",
                      vem__json_matrix(vem_vbhmm_emissionprob_prior(v), k, d), &ok);
        vem__json_put(o, "emissionprob_posterior",
                      vem__json_matrix(vem_vbhmm_emissionprob_posterior(v), k, d), &ok);
        vem__json_put(o, "emissionprob", vem__json_matrix(vem_vbhmm_emissionprob(v), k, d), &ok);
    } else {
        vem__json_put(o, "lambdas_shape_prior", json_real(vem_vbhmm_lambdas_shape_prior(v)), &ok);
        vem__json_put(o, "lambdas_rate_prior",
                      vem__json_vector(vem_vbhmm_lambdas_rate_prior(v), d), &ok);
        vem__json_put(o, "lambdas_shape_posterior",
                      vem__json_matrix(vem_vbhmm_lambdas_shape_posterior(v), k, d), &ok);
        vem__json_put(o, "lambdas_rate_posterior",
                      vem__json_matrix(vem_vbhmm_lambdas_rate_posterior(v), k, d), &ok);
        vem__json_put(o, "lambdas", vem__json_matrix(vem_vbhmm_lambdas(v), k, d), &ok);
    }
    vem__json_put(o, "occupancy", vem__json_vector(vem_vbhmm_occupancy(v), k), &ok);
    vem__json_put(o, "effective_states", json_integer((json_int_t)vem_vbhmm_effective_states(v)),
                  &ok);
    *out = o;
    *okp = ok;
    return VEM_OK;
}

vem_status vem_vbhmm_save(const vem_vbhmm *v, const char *path, const vem_fit_result *fit_info)
{
    json_t *o = NULL;
    int ok = 1;
    vem_status s = vbhmm_doc(v, path, &o, &ok);
    if (s != VEM_OK)
        return s;
    vem__json_put_fit(o, fit_info, "elbo", "n_frames", 0, &ok);
    return vem__json_save(path, o, 2, ok);
}

char *vem_vbhmm_to_json(const vem_vbhmm *v)
{
    json_t *o = NULL;
    int ok = 1;
    return vbhmm_doc(v, "vem_vbhmm_to_json", &o, &ok) == VEM_OK ? vem__json_text(o, ok) : NULL;
}

/* ---------------------------------------------------------------- load */

/* Non-zero when a setter failed (s): its failure made a format error of the key (numerical
 * and memory failures keep theirs). */
static int bad_key(vem_status s, const char *path, const char *key)
{
    if (s == VEM_OK)
        return 0;
    vem__prefix_errmsg(s == VEM_ENUMERIC || s == VEM_ENOMEM ? s : VEM_EFORMAT, path, key);
    return 1;
}

/* Optional names of the file (columns or symbols) into v by set. */
static vem_status load_names(const char *path, const json_t *root, const char *key, size_t n,
                             vem_vbhmm *v, vem_status (*set)(vem_vbhmm *, const char *const *))
{
    const char **names = NULL;
    vem_status s = vem__json_get_names(path, root, key, n, &names);
    if (s == VEM_OK && names)
        s = set(v, names);
    vem__free(names);
    return s;
}

static void free_all(double *const *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        vem__free(p[i]);
}

static vem_vbhmm *vbhmm_from_json(const char *path, const json_t *root)
{
    const char *emission = NULL, *cov_name = NULL;
    size_t k = 0, d = 0;
    vem_hmm_emission em;
    vem_cov cov = VEM_COV_FULL;
    if (vem__json_get_string(path, root, "emission", &emission) != VEM_OK ||
        vem__json_get_size(path, root, "n_states", 100000, &k) != VEM_OK)
        return NULL;
    if (vem_hmm_emission_parse(emission, &em) != VEM_OK ||
        (em != VEM_HMM_GAUSSIAN && em != VEM_HMM_CATEGORICAL && em != VEM_HMM_POISSON)) {
        VEM_FAIL(VEM_EFORMAT,
                 "%s: key 'emission': expected \"gaussian\", \"categorical\" or \"poisson\"",
                 path);
        return NULL;
    }
    if (em == VEM_HMM_CATEGORICAL) {
        if (vem__json_get_size(path, root, "n_symbols", 100000, &d) != VEM_OK)
            return NULL;
    } else if (vem__json_get_size(path, root, "n_features", 100000, &d) != VEM_OK) {
        return NULL;
    }
    if (em == VEM_HMM_GAUSSIAN) {
        if (vem__json_get_string(path, root, "covariance_type", &cov_name) != VEM_OK)
            return NULL;
        if (vem_cov_parse(cov_name, &cov) != VEM_OK ||
            (cov != VEM_COV_FULL && cov != VEM_COV_DIAG && cov != VEM_COV_SPHERICAL &&
             cov != VEM_COV_TIED)) {
            VEM_FAIL(VEM_EFORMAT,
                     "%s: key 'covariance_type': expected full, diag, spherical or tied", path);
            return NULL;
        }
    }
    const int gauss = em == VEM_HMM_GAUSSIAN;
    const int full = gauss && (cov == VEM_COV_FULL || cov == VEM_COV_TIED);
    const int sph = gauss && cov == VEM_COV_SPHERICAL, tied = gauss && cov == VEM_COV_TIED;
    const size_t pl = gauss ? (full ? d * d : sph ? 1 : d) : 0;
    /* Every parameter is a number in the file (2 bytes at least): check the declared sizes
     * against the file before allocating. */
    size_t file_bytes = 0;
    double nparam = 2.0 * (double)k * (double)k +
                    (gauss ? (double)k * (double)d + (tied ? 1.0 : (double)k) * (double)pl
                           : 2.0 * (double)k * (double)d);
    if (!vem__file_size(path, &file_bytes)) {
        VEM_FAIL(VEM_EIO, "%s: cannot find the file's size", path);
        return NULL;
    }
    if (vem__check_declared(path, "the parameters of n_states x n_states transitions and emissions",
                            nparam, "doubles", sizeof(double), 8, 2, (double)file_bytes) != VEM_OK)
        return NULL;
    vem_vbhmm *v = vem_vbhmm_new(k, em, d, cov);
    const size_t kd = k * d;
    double *pi0 = vem__alloc_doubles(k, 1), *a0 = vem__alloc_doubles(k, k);
    double *piq = vem__alloc_doubles(k, 1), *aq = vem__alloc_doubles(k, k);
    double *e1 = vem__alloc_doubles(k, gauss ? vem__max(pl, d) : d);
    double *e2 = vem__alloc_doubles(k, gauss ? vem__max(pl, d) : d);
    double *e3 = vem__alloc_doubles(k, 1), *e4 = vem__alloc_doubles(k, 1);
    double *p0 = vem__alloc_doubles(gauss ? vem__max(pl, d) : vem__max(kd, d), 1);
    int ok = 0;
    if (!v || !pi0 || !a0 || !piq || !aq || !e1 || !e2 || !e3 || !e4 || !p0) {
        if (v)
            VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    vem__json_shape ksh = {{k}, {"state"}, 1};
    vem__json_shape kksh = {{k, k}, {"row", "column"}, 2};
    vem__json_shape dsh = {{d}, {"column"}, 1};
    vem__json_shape kdsh = {{k, d}, {"state", em == VEM_HMM_CATEGORICAL ? "symbol" : "column"}, 2};
    if (vem__json_get_array(path, root, "startprob_prior", &ksh, pi0) != VEM_OK ||
        vem__json_get_array(path, root, "transmat_prior", &kksh, a0) != VEM_OK ||
        vem__json_get_array(path, root, "startprob_posterior", &ksh, piq) != VEM_OK ||
        vem__json_get_array(path, root, "transmat_posterior", &kksh, aq) != VEM_OK)
        goto fail;
    if (bad_key(vem_vbhmm_set_startprob_prior(v, pi0), path, "startprob_prior"))
        goto fail;
    if (bad_key(vem_vbhmm_set_transmat_prior(v, a0), path, "transmat_prior"))
        goto fail;
    if (bad_key(vem_vbhmm_set_posterior_transitions(v, piq, aq), path,
                "startprob_posterior/transmat_posterior"))
        goto fail;
    if (gauss) {
        double beta0, nu0;
        vem__json_shape ssh = full ? (vem__json_shape){{d, d}, {"row", "column"}, 2} : dsh;
        vem__json_shape csh = vem__json_cov_shape(cov, k, d);
        if (vem__json_get_array(path, root, "means_prior", &dsh, p0) != VEM_OK)
            goto fail;
        if (bad_key(vem_vbhmm_set_means_prior(v, p0), path, "means_prior"))
            goto fail;
        if (vem__json_get_number(path, root, "beta_prior", &beta0) != VEM_OK ||
            vem__json_get_number(path, root, "dof_prior", &nu0) != VEM_OK ||
            (sph ? vem__json_get_number(path, root, "scale_prior", p0)
                 : vem__json_get_array(path, root, "scale_prior", &ssh, p0)) != VEM_OK)
            goto fail;
        if (bad_key(vem_vbhmm_set_beta_prior(v, beta0), path, "beta_prior"))
            goto fail;
        if (bad_key(vem_vbhmm_set_dof_prior(v, nu0), path, "dof_prior"))
            goto fail;
        if (bad_key(vem_vbhmm_set_scale_prior(v, p0), path, "scale_prior"))
            goto fail;
        if (vem__json_get_array(path, root, "means", &kdsh, e1) != VEM_OK ||
            vem__json_get_array(path, root, "beta_posterior", &ksh, e3) != VEM_OK ||
            (tied ? vem__json_get_number(path, root, "dof_posterior", e4)
                  : vem__json_get_array(path, root, "dof_posterior", &ksh, e4)) != VEM_OK ||
            vem__json_get_array(path, root, "scale_posterior", &csh, e2) != VEM_OK)
            goto fail;
        if (bad_key(vem_vbhmm_set_posterior_gaussian(v, e1, e3, e4, e2), path,
                    "means/beta_posterior/dof_posterior/scale_posterior"))
            goto fail;
        if (load_names(path, root, "columns", d, v, vem_vbhmm_set_columns) != VEM_OK)
            goto fail;
    } else if (em == VEM_HMM_CATEGORICAL) {
        if (vem__json_get_array(path, root, "emissionprob_prior", &kdsh, p0) != VEM_OK)
            goto fail;
        if (bad_key(vem_vbhmm_set_emissionprob_prior(v, p0), path, "emissionprob_prior"))
            goto fail;
        if (vem__json_get_array(path, root, "emissionprob_posterior", &kdsh, e1) != VEM_OK)
            goto fail;
        if (bad_key(vem_vbhmm_set_posterior_categorical(v, e1), path, "emissionprob_posterior"))
            goto fail;
        if (load_names(path, root, "symbols", d, v, vem_vbhmm_set_symbols) != VEM_OK)
            goto fail;
        const json_t *sc = json_object_get(root, "symbol_column");
        if (sc && (!json_is_string(sc) ||
                   vem_vbhmm_set_symbol_column(v, json_string_value(sc)) != VEM_OK)) {
            VEM_FAIL(VEM_EFORMAT, "%s: key 'symbol_column': expected a string", path);
            goto fail;
        }
    } else {
        double a0s;
        if (vem__json_get_number(path, root, "lambdas_shape_prior", &a0s) != VEM_OK ||
            vem__json_get_array(path, root, "lambdas_rate_prior", &dsh, p0) != VEM_OK)
            goto fail;
        if (bad_key(vem_vbhmm_set_lambdas_prior(v, a0s, p0), path,
                    "lambdas_shape_prior/lambdas_rate_prior"))
            goto fail;
        if (vem__json_get_array(path, root, "lambdas_shape_posterior", &kdsh, e1) != VEM_OK ||
            vem__json_get_array(path, root, "lambdas_rate_posterior", &kdsh, e2) != VEM_OK)
            goto fail;
        if (bad_key(vem_vbhmm_set_posterior_poisson(v, e1, e2), path,
                    "lambdas_shape_posterior/lambdas_rate_posterior"))
            goto fail;
        if (load_names(path, root, "columns", d, v, vem_vbhmm_set_columns) != VEM_OK)
            goto fail;
    }
    ok = 1;
fail:
    free_all((double *[]){pi0, a0, piq, aq, e1, e2, e3, e4, p0}, 9);
    if (!ok) {
        vem_vbhmm_free(v);
        v = NULL;
    }
    return v;
}

vem_vbhmm *vem_vbhmm_load(const char *path)
{
    json_t *root = NULL;
    if (vem__json_load_model(path, "vbhmm", &root) != VEM_OK)
        return NULL;
    vem_vbhmm *v = vbhmm_from_json(path, root);
    json_decref(root);
    return v;
}
