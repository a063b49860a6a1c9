/*
 * src/io/vbfile.c — model files of the variational models ("vbgmm", "blr"):
 * JSON through jansson, written to PATH.vem-tmp.PID.XXXXXX, synced and renamed over
 * the target (as src/io/modelfile.c), and validated key by key on load.
 * Keys: docs/vb.md.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <vem/blr.h>
#include <vem/vbgmm.h>

#include "internal.h"
#include "io/jsonfile.h"


/* ---------------------------------------------------------------- keys */

/*
 * The state vector of vem_blr_state_get/_set, key by key in its order: a
 * number (no dimensions) or an array whose dimensions are d, na (weights with
 * a precision) or 2 (the two parameters of a Gamma).
 */
enum { DIM_D, DIM_NA, DIM_2 };
typedef struct blr_key {
    const char *key;
    size_t ndims;
    int dims[2];
    const char *names[2];
} blr_key;

static const blr_key blr_state[] = {
    {"shift", 1, {DIM_D}, {"column"}},
    {"scale", 1, {DIM_D}, {"column"}},
    {"yshift", 0, {0}, {NULL}},
    {"mu", 1, {DIM_D}, {"column"}},
    {"sigma", 2, {DIM_D, DIM_D}, {"row", "column"}},
    {"alpha_gamma", 2, {DIM_NA, DIM_2}, {"weight", "parameter"}},
    {"beta_gamma", 1, {DIM_2}, {"parameter"}},
    {"pruned", 1, {DIM_D}, {"column"}},
};

static vem__json_shape blr_state_shape(const blr_key *b, size_t d, size_t na)
{
    vem__json_shape sh;
    memset(&sh, 0, sizeof sh);
    sh.ndims = b->ndims;
    for (size_t i = 0; i < b->ndims; i++) {
        sh.dims[i] = b->dims[i] == DIM_D ? d : b->dims[i] == DIM_NA ? na : 2;
        sh.names[i] = b->names[i];
    }
    return sh;
}

/* Doubles of a key of shape sh (1 for a number). */
static size_t blr_state_len(const vem__json_shape *sh)
{
    size_t n = 1;
    for (size_t i = 0; i < sh->ndims; i++)
        n *= sh->dims[i];
    return n;
}

/* ---------------------------------------------------------------- save */

/* The model file's document without its "fit" record into *out (path: for messages). */
static vem_status vbgmm_doc(const vem_vbgmm *v, const char *path, json_t **out, int *okp)
{
    vem_status s = vem__json_save_args("vbgmm", v, path);
    if (s != VEM_OK)
        return s;
    if (!vem_vbgmm_mean_prior(v) || !vem_vbgmm_covariance_prior(v))
        return VEM_FAIL(VEM_EINVAL, "%s: the priors are not resolved (fit the model first)", path);
    const size_t k = vem_vbgmm_k(v), d = vem_vbgmm_d(v);
    const vem_cov cov = vem_vbgmm_cov(v);
    int ok = 1;
    json_t *o = vem__json_header("vbgmm", &ok);
    vem__json_put(o, "covariance_type", json_string(vem_cov_name(cov)), &ok);
    vem__json_put(o, "n_components", json_integer((json_int_t)k), &ok);
    vem__json_put(o, "n_features", json_integer((json_int_t)d), &ok);
    if (vem_vbgmm_columns(v) &&
        (s = vem__json_put_names(o, "columns", vem_vbgmm_columns(v), d, path, "column", &ok)) !=
            VEM_OK) {
        json_decref(o);
        return s;
    }
    vem__json_put(o, "weight_prior",
                  json_string(vem_vb_weight_prior_name(vem_vbgmm_weight_prior(v))),
        &ok);
    vem__json_put(o, "weight_concentration_prior", json_real(vem_vbgmm_weight_concentration_prior(v)),
        &ok);
    vem__json_put(o, "mean_precision_prior", json_real(vem_vbgmm_mean_precision_prior(v)), &ok);
    vem__json_put(o, "degrees_of_freedom_prior", json_real(vem_vbgmm_dof_prior(v)), &ok);
    vem__json_put(o, "mean_prior", vem__json_vector(vem_vbgmm_mean_prior(v), d), &ok);
    vem__json_put(o, "covariance_prior",
        cov == VEM_COV_FULL ? vem__json_matrix(vem_vbgmm_covariance_prior(v), d, d)
                            : vem__json_vector(vem_vbgmm_covariance_prior(v), d),
        &ok);
    vem__json_put(o, "reg_covar", json_real(vem_vbgmm_reg_covar(v)), &ok);
    vem__json_put(o, "weights", vem__json_vector(vem_vbgmm_weights(v), k), &ok);
    const double *wc = vem_vbgmm_weight_concentration(v);
    vem__json_put(o, "weight_concentration",
        vem_vbgmm_weight_prior(v) == VEM_VB_DP ? vem__json_matrix(wc, k, 2)
                                               : vem__json_vector(wc, k),
        &ok);
    vem__json_put(o, "mean_precision", vem__json_vector(vem_vbgmm_mean_precision(v), k), &ok);
    vem__json_put(o, "degrees_of_freedom", vem__json_vector(vem_vbgmm_dof(v), k), &ok);
    vem__json_put(o, "means", vem__json_matrix(vem_vbgmm_means(v), k, d), &ok);
    vem__json_put(o, "covariances", vem__json_covariances(vem_vbgmm_covariances(v), cov, k, d), &ok);
    *out = o;
    *okp = ok;
    return VEM_OK;
}

vem_status vem_vbgmm_save(const vem_vbgmm *v, const char *path, const vem_fit_result *fit_info)
{
    json_t *o = NULL;
    int ok = 1;
    vem_status s = vbgmm_doc(v, path, &o, &ok);
    if (s != VEM_OK)
        return s;
    vem__json_put_fit(o, fit_info, "elbo", "n_samples", 0, &ok);
    return vem__json_save(path, o, 2, ok);
}

char *vem_vbgmm_to_json(const vem_vbgmm *v)
{
    json_t *o = NULL;
    int ok = 1;
    return vbgmm_doc(v, "vem_vbgmm_to_json", &o, &ok) == VEM_OK ? vem__json_text(o, ok) : NULL;
}

/* The model file's document without its "fit" record into *out (path: for messages). */
static vem_status blr_doc(const vem_blr *b, const char *path, json_t **out, int *okp)
{
    vem_status st = vem__json_save_args("blr", b, path);
    if (st != VEM_OK)
        return st;
    const size_t d = vem_blr_d(b), na = vem_blr_weight_precision_len(b);
    double *s = vem__alloc_doubles(vem_blr_state_len(b), 1);
    if (!s)
        return VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
    vem_blr_state_get(b, s);
    int ok = 1;
    json_t *o = vem__json_header("blr", &ok);
    st = vem__json_put_regression(o, d, vem_blr_columns(b), vem_blr_target(b), path, &ok);
    if (st != VEM_OK) {
        json_decref(o);
        vem__free(s);
        return st;
    }
    double hp[4];
    vem_blr_hyperpriors(b, hp);
    vem__json_put(o, "ard", json_boolean(vem_blr_ard(b)), &ok);
    if (vem_blr_ard(b))
        vem__json_put(o, "ard_update", json_string(vem_blr_update_name(vem_blr_ard_update(b))),
                      &ok);
    vem__json_put(o, "intercept", json_boolean(vem_blr_intercept_on(b)), &ok);
    vem__json_put(o, "standardize", json_boolean(vem_blr_standardize_on(b)), &ok);
    vem__json_put(o, "hyperpriors", vem__json_vector(hp, 4), &ok);
    vem__json_put(o, "prune_threshold",
        isfinite(vem_blr_prune_threshold(b)) ? json_real(vem_blr_prune_threshold(b)) : json_null(),
        &ok);
    /* Readable results first (informational), then the state that load uses. */
    vem__json_put(o, "coef", vem__json_vector(vem_blr_coef(b), d), &ok);
    vem__json_put(o, "intercept_value", json_real(vem_blr_intercept(b)), &ok);
    vem__json_put(o, "noise_precision", json_real(vem_blr_noise_precision(b)), &ok);
    vem__json_put(o, "weight_precision", vem__json_vector(vem_blr_weight_precision(b), na), &ok);
    /* The state vector, key by key in its order (blr_state below reads it back). */
    const double *p = s;
    for (size_t i = 0; i < sizeof blr_state / sizeof *blr_state; i++) {
        vem__json_shape sh = blr_state_shape(&blr_state[i], d, na);
        vem__json_put(o, blr_state[i].key, sh.ndims ? vem__json_array_of(p, sh.dims, sh.ndims) : json_real(*p),
            &ok);
        p += blr_state_len(&sh);
    }
    vem__free(s);
    *out = o;
    *okp = ok;
    return VEM_OK;
}

vem_status vem_blr_save(const vem_blr *b, const char *path, const vem_fit_result *fit_info)
{
    json_t *o = NULL;
    int ok = 1;
    vem_status s = blr_doc(b, path, &o, &ok);
    if (s != VEM_OK)
        return s;
    vem__json_put_fit(o, fit_info, "elbo", "n_samples", 0, &ok);
    return vem__json_save(path, o, 2, ok);
}

char *vem_blr_to_json(const vem_blr *b)
{
    json_t *o = NULL;
    int ok = 1;
    return blr_doc(b, "vem_blr_to_json", &o, &ok) == VEM_OK ? vem__json_text(o, ok) : NULL;
}

/* ---------------------------------------------------------------- load */

vem_vbgmm *vem_vbgmm_load(const char *path)
{
    json_t *root = NULL;
    if (vem__json_load_model(path, "vbgmm", &root) != VEM_OK)
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
    if (vem__json_get_size(path, root, "n_components", 1u << 20, &k) != VEM_OK ||
        vem__json_get_size(path, root, "n_features", 1u << 14, &d) != VEM_OK)
        goto fail;
    const int full = cov == VEM_COV_FULL, dp = wp == VEM_VB_DP;
    const size_t pl = full ? d * d : d, nc = dp ? 2 * k : k;
    double a0 = 0, b0 = 0, nu0 = 0, reg = 0;
    if (vem__json_get_number(path, root, "weight_concentration_prior", &a0) != VEM_OK ||
        vem__json_get_number(path, root, "mean_precision_prior", &b0) != VEM_OK ||
        vem__json_get_number(path, root, "degrees_of_freedom_prior", &nu0) != VEM_OK ||
        vem__json_get_number(path, root, "reg_covar", &reg) != VEM_OK)
        goto fail;
    size_t file_bytes = 0;
    if (!vem__file_size(path, &file_bytes)) {
        VEM_FAIL(VEM_EIO, "%s: cannot find the file's size", path);
        goto fail;
    }
    /* Every parameter is a number in the file (2 bytes at least: "0,"). */
    if (vem__check_declared(path, "n_components x n_features parameters",
                            (double)k * (double)(d + 2 + pl) + (double)(d + pl + nc), "doubles",
                            sizeof(double), 4, 2, (double)file_bytes) != VEM_OK)
        goto fail;
    buf = vem__alloc_doubles(d + pl + nc + 3 * k + k * d + k * pl, 1);
    if (!buf) {
        VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    double *m0 = buf, *c0 = m0 + d, *conc = c0 + pl, *beta = conc + nc, *nu = beta + k;
    double *means = nu + k, *covs = means + k * d;
    const vem__json_shape m0sh = {{d}, {"column"}, 1};
    const vem__json_shape c0sh = {{full ? d : 1, d}, {"row", "column"}, 2};
    const vem__json_shape wcsh = {{k, 2}, {"component", "parameter"}, dp ? 2 : 1};
    const vem__json_shape ksh = {{k}, {"component"}, 1};
    const vem__json_shape msh = {{k, d}, {"component", "column"}, 2};
    const vem__json_shape csh = vem__json_cov_shape(cov, k, d);
    const vem__json_shape *c0p = full ? &c0sh : &m0sh;
    if (vem__json_get_array(path, root, "mean_prior", &m0sh, m0) != VEM_OK ||
        vem__json_get_array(path, root, "covariance_prior", c0p, c0) != VEM_OK ||
        vem__json_get_array(path, root, "weight_concentration", &wcsh, conc) != VEM_OK ||
        vem__json_get_array(path, root, "mean_precision", &ksh, beta) != VEM_OK ||
        vem__json_get_array(path, root, "degrees_of_freedom", &ksh, nu) != VEM_OK ||
        vem__json_get_array(path, root, "means", &msh, means) != VEM_OK ||
        vem__json_get_array(path, root, "covariances", &csh, covs) != VEM_OK ||
        vem__json_get_names(path, root, "columns", d, &cols) != VEM_OK)
        goto fail;
    v = vem_vbgmm_new(k, d, cov);
    vem_status s;
    if (!v) {
        vem__prefix_errmsg(vem__last_status(), path, NULL);
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
        vem__prefix_errmsg(s == VEM_ENOMEM ? s : VEM_EFORMAT, path, NULL);
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
    json_t *root = NULL;
    if (vem__json_load_model(path, "blr", &root) != VEM_OK)
        return NULL;
    vem_blr *b = NULL;
    double *st = NULL;
    const char **cols = NULL;
    size_t d = 0;
    int ard = 0, icpt = 0, std = 0;
    double hp[4], thr = INFINITY;
    const vem__json_shape hsh = {{4}, {"entry"}, 1};
    if (vem__json_get_size(path, root, "n_features", 1u << 14, &d) != VEM_OK ||
        vem__json_get_bool(path, root, "ard", &ard) != VEM_OK ||
        vem__json_get_bool(path, root, "intercept", &icpt) != VEM_OK ||
        vem__json_get_bool(path, root, "standardize", &std) != VEM_OK ||
        vem__json_get_array(path, root, "hyperpriors", &hsh, hp) != VEM_OK)
        goto fail;
    const json_t *tj = json_object_get(root, "prune_threshold");
    if (tj && !json_is_null(tj) &&
        vem__json_get_number(path, root, "prune_threshold", &thr) != VEM_OK)
        goto fail;
    /* ARD's update rule; files written before it existed were fitted by VB. */
    vem_blr_update upd = VEM_BLR_VB;
    const char *us = NULL;
    if (json_object_get(root, "ard_update") &&
        (vem__json_get_string(path, root, "ard_update", &us) != VEM_OK ||
         vem_blr_update_parse(us, &upd) != VEM_OK)) {
        VEM_FAIL(VEM_EFORMAT, "%s: key 'ard_update': expected \"mackay\" or \"vb\"", path);
        goto fail;
    }
    const json_t *tg = json_object_get(root, "target");
    if (tg && !json_is_string(tg)) {
        VEM_FAIL(VEM_EFORMAT, "%s: key 'target': expected a string", path);
        goto fail;
    }
    if (vem__json_get_names(path, root, "columns", d, &cols) != VEM_OK)
        goto fail;
    /* The d x d posterior covariance is numbers in the file (2 bytes at least: "0,"). */
    size_t file_bytes = 0;
    if (!vem__file_size(path, &file_bytes)) {
        VEM_FAIL(VEM_EIO, "%s: cannot find the file's size", path);
        goto fail;
    }
    if (vem__check_declared(path, "n_features x n_features", (double)d * (double)d, "doubles",
                            sizeof(double), 4, 2, (double)file_bytes) != VEM_OK)
        goto fail;
    b = vem_blr_new(d);
    vem_status s;
    if (!b) {
        vem__prefix_errmsg(vem__last_status(), path, NULL);
        goto fail;
    }
    if ((s = vem_blr_set_ard(b, ard)) != VEM_OK || (s = vem_blr_set_ard_update(b, upd)) != VEM_OK ||
        (s = vem_blr_set_intercept(b, icpt)) != VEM_OK ||
        (s = vem_blr_set_standardize(b, std)) != VEM_OK ||
        (s = vem_blr_set_hyperpriors(b, hp[0], hp[1], hp[2], hp[3])) != VEM_OK ||
        (s = vem_blr_set_prune_threshold(b, thr)) != VEM_OK ||
        (s = vem_blr_set_columns(b, cols, json_string_value(tg))) != VEM_OK) {
        vem__prefix_errmsg(s == VEM_ENOMEM ? s : VEM_EFORMAT, path, NULL);
        goto fail;
    }
    const size_t na = vem_blr_weight_precision_len(b);
    st = vem__alloc_doubles(vem_blr_state_len(b), 1);
    if (!st) {
        VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    double *p = st;
    for (size_t i = 0; i < sizeof blr_state / sizeof *blr_state; i++) {
        vem__json_shape sh = blr_state_shape(&blr_state[i], d, na);
        if ((sh.ndims ? vem__json_get_array(path, root, blr_state[i].key, &sh, p)
                      : vem__json_get_number(path, root, blr_state[i].key, p)) != VEM_OK)
            goto fail;
        p += blr_state_len(&sh);
    }
    if ((s = vem_blr_state_set(b, st)) != VEM_OK) {
        vem__prefix_errmsg(VEM_EFORMAT, path, NULL);
        goto fail;
    }
    /* coef and noise_precision are derived from the state; where the file has them they
     * must still have their shapes and ranges (an edited file is refused, not half used). */
    if (json_object_get(root, "coef")) {
        const vem__json_shape csh = {{d}, {"column"}, 1};
        if (vem__json_get_array(path, root, "coef", &csh, NULL) != VEM_OK)
            goto fail;
    }
    if (json_object_get(root, "noise_precision")) {
        double np = 0;
        if (vem__json_get_number(path, root, "noise_precision", &np) != VEM_OK)
            goto fail;
        if (!(np > 0) || !isfinite(np)) {
            VEM_FAIL(VEM_EFORMAT, "%s: key 'noise_precision': %g is not a positive number", path,
                     np);
            goto fail;
        }
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
