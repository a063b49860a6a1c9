/*
 * src/io/blogrfile.c — the "blogr" model file (Bayesian logistic regression by
 * SVI): JSON written atomically and validated key by key on load, as the "blr"
 * file of src/io/vbfile.c. Keys: docs/blogr.md, "Model file". The state is
 * shift, scale and "params" (q's parameter vector, vem_blogr_params_get, so that
 * a loaded model has the bits of the saved one); q_mean, q_cov (standardised
 * scale) and coef, coef_cov (input scale) are derived, written for readers, and
 * checked on load (shapes, finite values, q_cov symmetric positive definite).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <vem/blogr.h>

#include "internal.h"
#include "io/jsonfile.h"

static vem_status blogr_doc(const vem_blogr *b, const char *path, json_t **out)
{
    vem_status st = vem__json_save_args("blogr", b, path);
    if (st != VEM_OK)
        return st;
    const size_t d = vem_blogr_d(b), p = vem_blogr_n_weights(b), np = vem_blogr_params_len(b);
    double *buf = vem__alloc_doubles(np + p * p + (d + 1) * (d + 2), 1);
    if (!buf)
        return VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
    double *cov = buf + np, *cm = cov + p * p, *cc = cm + d + 1;
    int ok = 1;
    json_t *o = vem__json_header("blogr", &ok);
    st = vem__json_put_regression(o, d, vem_blogr_columns(b), vem_blogr_target(b), path, &ok);
    if (st != VEM_OK) {
        json_decref(o);
        vem__free(buf);
        return st;
    }
    vem__json_put(o, "family", json_string(vem_blogr_family_name(vem_blogr_family_of(b))), &ok);
    vem__json_put(o, "intercept", json_boolean(vem_blogr_intercept_on(b)), &ok);
    vem__json_put(o, "standardize", json_boolean(vem_blogr_standardize_on(b)), &ok);
    vem__json_put(o, "prior_var", json_real(vem_blogr_prior_var(b)), &ok);
    vem__json_put(o, "samples", json_integer((json_int_t)vem_blogr_samples(b)), &ok);
    vem__json_put(o, "shift", vem__json_vector(vem_blogr_shift(b), d), &ok);
    vem__json_put(o, "scale", vem__json_vector(vem_blogr_scale(b), d), &ok);
    vem_blogr_params_get(b, buf);
    vem__json_put(o, "params", vem__json_vector(buf, np), &ok);
    vem_blogr_q_cov(b, cov);
    vem__json_put(o, "q_mean", vem__json_vector(vem_blogr_q_mean(b), p), &ok);
    vem__json_put(o, "q_cov", vem__json_matrix(cov, p, p), &ok);
    if (vem_blogr_coef(b, cm, cc) != VEM_OK) {
        json_decref(o);
        vem__free(buf);
        return VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
    }
    vem__json_put(o, "coef", vem__json_vector(cm, d), &ok);
    vem__json_put(o, "intercept_value", json_real(cm[d]), &ok);
    vem__json_put(o, "coef_cov", vem__json_matrix(cc, d + 1, d + 1), &ok);
    vem__free(buf);
    if (!ok) {
        json_decref(o);
        return VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
    }
    *out = o;
    return VEM_OK;
}

vem_status vem_blogr_save(const vem_blogr *b, const char *path, const vem_fit_result *fit_info)
{
    json_t *o = NULL;
    int ok = 1;
    vem_status s = blogr_doc(b, path, &o);
    if (s != VEM_OK)
        return s;
    vem__json_put_fit(o, fit_info, "elbo", "n_samples", 0, &ok);
    return vem__json_save(path, o, 2, ok);
}

/* a (p x p) symmetric and positive definite (Cholesky in work). */
static int spd(const double *a, size_t p, double *work)
{
    for (size_t i = 0; i < p; i++)
        for (size_t j = 0; j < i; j++)
            if (fabs(a[i * p + j] - a[j * p + i]) > 1e-12 * (fabs(a[i * p + j]) + 1e-300))
                return 0;
    for (size_t i = 0; i < p; i++)
        for (size_t j = 0; j <= i; j++) {
            double s = a[i * p + j];
            for (size_t k = 0; k < j; k++)
                s -= work[i * p + k] * work[j * p + k];
            if (i == j) {
                if (!(s > 0.0))
                    return 0;
                work[i * p + i] = sqrt(s);
            } else {
                work[i * p + j] = s / work[j * p + j];
            }
        }
    return 1;
}

vem_blogr *vem_blogr_load(const char *path)
{
    json_t *root = NULL;
    if (vem__json_load_model(path, "blogr", &root) != VEM_OK)
        return NULL;
    vem_blogr *b = NULL;
    double *buf = NULL;
    const char **cols = NULL;
    const char *fs = NULL;
    size_t d = 0, samples = 1;
    int icpt = 0, std = 0;
    double pv = 0.0;
    vem_blogr_family fam = VEM_BLOGR_MEAN_FIELD;
    vem_status s;
    if (vem__json_get_size(path, root, "n_features", 4096, &d) != VEM_OK ||
        vem__json_get_bool(path, root, "intercept", &icpt) != VEM_OK ||
        vem__json_get_bool(path, root, "standardize", &std) != VEM_OK ||
        vem__json_get_number(path, root, "prior_var", &pv) != VEM_OK ||
        vem__json_get_size(path, root, "samples", 100000, &samples) != VEM_OK ||
        vem__json_get_string(path, root, "family", &fs) != VEM_OK)
        goto fail;
    if (vem_blogr_family_parse(fs, &fam) != VEM_OK) {
        VEM_FAIL(VEM_EFORMAT, "%s: key 'family': expected \"mean-field\" or \"full-rank\"", path);
        goto fail;
    }
    const json_t *tg = json_object_get(root, "target");
    if (tg && !json_is_string(tg)) {
        VEM_FAIL(VEM_EFORMAT, "%s: key 'target': expected a string", path);
        goto fail;
    }
    if (vem__json_get_names(path, root, "columns", d, &cols) != VEM_OK)
        goto fail;
    b = vem_blogr_new(d);
    if (!b) {
        vem__prefix_errmsg(vem__last_status(), path, NULL);
        goto fail;
    }
    if ((s = vem_blogr_set_family(b, fam)) != VEM_OK ||
        (s = vem_blogr_set_intercept(b, icpt)) != VEM_OK ||
        (s = vem_blogr_set_standardize(b, std)) != VEM_OK ||
        (s = vem_blogr_set_prior_var(b, pv)) != VEM_OK ||
        (s = vem_blogr_set_samples(b, samples)) != VEM_OK ||
        (s = vem_blogr_set_columns(b, cols, json_string_value(tg))) != VEM_OK) {
        vem__prefix_errmsg(s == VEM_ENOMEM ? s : VEM_EFORMAT, path, NULL);
        goto fail;
    }
    const size_t p = vem_blogr_n_weights(b), np = vem_blogr_params_len(b);
    buf = vem__alloc_doubles(2 * d + np + 2 * p * p + p + (d + 1) * (d + 2), 1);
    if (!buf) {
        VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    double *shift = buf, *scale = shift + d, *th = scale + d, *cov = th + np,
           *work = cov + p * p, *qm = work + p * p;
    const vem__json_shape dsh = {{d}, {"column"}, 1}, psh = {{np}, {"parameter"}, 1};
    const vem__json_shape qsh = {{p}, {"weight"}, 1}, csh = {{p, p}, {"row", "column"}, 2};
    const vem__json_shape ccsh = {{d + 1, d + 1}, {"row", "column"}, 2};
    if (vem__json_get_array(path, root, "shift", &dsh, shift) != VEM_OK ||
        vem__json_get_array(path, root, "scale", &dsh, scale) != VEM_OK ||
        vem__json_get_array(path, root, "params", &psh, th) != VEM_OK ||
        vem__json_get_array(path, root, "q_mean", &qsh, qm) != VEM_OK ||
        vem__json_get_array(path, root, "q_cov", &csh, cov) != VEM_OK ||
        vem__json_get_array(path, root, "coef", &dsh, NULL) != VEM_OK ||
        vem__json_get_array(path, root, "coef_cov", &ccsh, NULL) != VEM_OK)
        goto fail;
    if (!spd(cov, p, work)) {
        VEM_FAIL(VEM_EFORMAT, "%s: key 'q_cov': not a symmetric positive-definite matrix", path);
        goto fail;
    }
    if ((s = vem_blogr_set_transform(b, shift, scale)) != VEM_OK ||
        (s = vem_blogr_params_set(b, th)) != VEM_OK) {
        vem__prefix_errmsg(VEM_EFORMAT, path, NULL);
        goto fail;
    }
    /* The derived q_mean must be the params' (an edited file is refused, not half used). */
    for (size_t i = 0; i < p; i++)
        if (qm[i] != vem_blogr_q_mean(b)[i]) {
            VEM_FAIL(VEM_EFORMAT, "%s: key 'q_mean': entry %zu differs from 'params'", path, i);
            goto fail;
        }
    vem__free(buf);
    vem__free(cols);
    json_decref(root);
    return b;
fail:
    vem_blogr_free(b);
    vem__free(buf);
    vem__free(cols);
    json_decref(root);
    return NULL;
}
