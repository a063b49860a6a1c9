/*
 * src/io/glmmfile.c — the "glmm" model file (random-intercept GLMM, include/vem/glmm.h):
 * JSON written atomically and validated key by key on load. Keys (docs/glmm.md, "Model
 * file"): the regression's n_features, columns and target; group (the group column's
 * name), family, intercept, quadrature_nodes, beta (p, the intercept first), sigma2,
 * stderr (p + 1, or null when the observed information was singular), at_boundary, and
 * groups {labels, u_mean, u_sd} (the fitted groups' posterior means and sds of u), then
 * the "fit" record. Doubles are written with 17 digits: a loaded model has the saved bits.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <vem/glmm.h>

#include "internal.h"
#include "io/jsonfile.h"

#define MAX_GROUPS ((size_t)1 << 40)

static vem_status glmm_doc(const vem_glmm *g, const char *path, json_t **out)
{
    vem_status st = vem__json_save_args("glmm", g, path);
    if (st != VEM_OK)
        return st;
    const size_t d = vem_glmm_d(g), p = vem_glmm_p(g);
    int ok = 1;
    json_t *o = vem__json_header("glmm", &ok);
    st = vem__json_put_regression(o, d, vem_glmm_columns(g), vem_glmm_target(g), path, &ok);
    if (st == VEM_OK && vem_glmm_group_name(g))
        st = vem__json_put_string(o, "group", vem_glmm_group_name(g), path, &ok);
    if (st != VEM_OK) {
        json_decref(o);
        return st;
    }
    vem__json_put(o, "family", json_string(vem_glmm_family_name(vem_glmm_family_of(g))), &ok);
    vem__json_put(o, "intercept", json_boolean(vem_glmm_intercept_on(g)), &ok);
    vem__json_put(o, "quadrature_nodes", json_integer((json_int_t)vem_glmm_nodes(g)), &ok);
    vem__json_put(o, "beta", vem__json_vector(vem_glmm_beta(g), p), &ok);
    vem__json_put(o, "sigma2", json_real(vem_glmm_sigma2(g)), &ok);
    const double *se = vem_glmm_stderr(g);
    int finite = se != NULL;
    for (size_t j = 0; finite && j <= p; j++)
        finite = isfinite(se[j]);
    vem__json_put(o, "stderr", finite ? vem__json_vector(se, p + 1) : json_null(), &ok);
    vem__json_put(o, "at_boundary", json_boolean(vem_glmm_at_boundary(g)), &ok);
    const double *lab, *um, *usd;
    const size_t ng = vem_glmm_groups(g, &lab, &um, &usd);
    if (ng) {
        json_t *gr = json_object();
        if (gr) {
            vem__json_put(gr, "labels", vem__json_vector(lab, ng), &ok);
            vem__json_put(gr, "u_mean", vem__json_vector(um, ng), &ok);
            vem__json_put(gr, "u_sd", vem__json_vector(usd, ng), &ok);
        }
        vem__json_put(o, "groups", gr, &ok);
    }
    if (!ok) {
        json_decref(o);
        return VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
    }
    *out = o;
    return VEM_OK;
}

vem_status vem_glmm_save(const vem_glmm *g, const char *path, const vem_fit_result *fit_info)
{
    json_t *o = NULL;
    int ok = 1;
    vem_status s = glmm_doc(g, path, &o);
    if (s != VEM_OK)
        return s;
    vem__json_put_fit(o, fit_info, "log_likelihood", "n_rows", 0, &ok);
    return vem__json_save(path, o, 2, ok);
}

/* The optional "groups" object: its arrays' common length into *n (0 without the key) and
 * the arrays into *buf (3 n doubles, new). */
static vem_status load_groups(const char *path, const json_t *root, size_t *n, double **buf)
{
    *n = 0;
    *buf = NULL;
    const json_t *gr = json_object_get(root, "groups");
    if (!gr || json_is_null(gr))
        return VEM_OK;
    if (!json_is_object(gr))
        return VEM_FAIL(VEM_EFORMAT, "%s: key 'groups': expected an object, not %s", path,
                        vem__json_type_name(gr));
    const json_t *lab = json_object_get(gr, "labels");
    if (!lab || !json_is_array(lab) || json_array_size(lab) == 0 ||
        json_array_size(lab) > MAX_GROUPS)
        return VEM_FAIL(VEM_EFORMAT, "%s: key 'groups': 'labels' must be a non-empty array "
                        "of numbers", path);
    const size_t ng = json_array_size(lab);
    double *b = vem__alloc_doubles(ng, 3);
    if (!b)
        return VEM_FAIL(VEM_ENOMEM, "%s: %zu groups", path, ng);
    const vem__json_shape sh = {{ng}, {"group"}, 1};
    static const char *const keys[3] = {"labels", "u_mean", "u_sd"};
    for (size_t k = 0; k < 3; k++)
        if (vem__json_get_array(path, gr, keys[k], &sh, b + k * ng) != VEM_OK) {
            vem__free(b);
            return VEM_EFORMAT; /* "PATH: key 'u_mean': ..." */
        }
    for (size_t i = 0; i < ng; i++)
        if (!(b[2 * ng + i] >= 0.0)) {
            vem__free(b);
            return VEM_FAIL(VEM_EFORMAT, "%s: key 'groups': u_sd entry %zu is negative", path,
                            i + 1);
        }
    *n = ng;
    *buf = b;
    return VEM_OK;
}

vem_glmm *vem_glmm_load(const char *path)
{
    json_t *root = NULL;
    if (vem__json_load_model(path, "glmm", &root) != VEM_OK)
        return NULL;
    vem_glmm *g = NULL;
    double *buf = NULL, *groups = NULL;
    const char **cols = NULL;
    const char *fs = NULL;
    size_t d = 0, nodes = 0, ng = 0;
    int icpt = 0, bnd = 0;
    double s2 = 0.0;
    vem_glmm_family fam = VEM_GLMM_BINOMIAL;
    vem_status s;
    const json_t *nf = json_object_get(root, "n_features");
    if (nf && json_is_integer(nf) && json_integer_value(nf) == 0)
        d = 0; /* an intercept-only model */
    else if (vem__json_get_size(path, root, "n_features", 1000, &d) != VEM_OK)
        goto fail;
    if (vem__json_get_bool(path, root, "intercept", &icpt) != VEM_OK ||
        vem__json_get_bool(path, root, "at_boundary", &bnd) != VEM_OK ||
        vem__json_get_number(path, root, "sigma2", &s2) != VEM_OK ||
        vem__json_get_size(path, root, "quadrature_nodes", 200, &nodes) != VEM_OK ||
        vem__json_get_string(path, root, "family", &fs) != VEM_OK)
        goto fail;
    if (vem_glmm_family_parse(fs, &fam) != VEM_OK) {
        VEM_FAIL(VEM_EFORMAT, "%s: key 'family': expected \"binomial\" or \"poisson\"", path);
        goto fail;
    }
    if (!(s2 > 0.0)) {
        VEM_FAIL(VEM_EFORMAT, "%s: key 'sigma2': %g is not positive", path, s2);
        goto fail;
    }
    const json_t *tg = json_object_get(root, "target"), *gn = json_object_get(root, "group");
    if ((tg && !json_is_string(tg)) || (gn && !json_is_string(gn))) {
        VEM_FAIL(VEM_EFORMAT, "%s: key '%s': expected a string", path,
                 tg && !json_is_string(tg) ? "target" : "group");
        goto fail;
    }
    if (vem__json_get_names(path, root, "columns", d, &cols) != VEM_OK)
        goto fail;
    g = vem_glmm_new(d);
    if (!g) {
        vem__prefix_errmsg(vem__last_status(), path, NULL);
        goto fail;
    }
    if ((s = vem_glmm_set_family(g, fam)) != VEM_OK ||
        (s = vem_glmm_set_intercept(g, icpt)) != VEM_OK ||
        (s = vem_glmm_set_nodes(g, nodes)) != VEM_OK ||
        (s = vem_glmm_set_names(g, cols, json_string_value(tg), json_string_value(gn))) !=
            VEM_OK) {
        vem__prefix_errmsg(s == VEM_ENOMEM ? s : VEM_EFORMAT, path, NULL);
        goto fail;
    }
    const size_t p = vem_glmm_p(g);
    buf = vem__alloc_doubles(2 * p + 2, 1);
    if (!buf) {
        VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    double *beta = buf, *se = buf + p;
    const vem__json_shape bsh = {{p}, {"coefficient"}, 1}, ssh = {{p + 1}, {"parameter"}, 1};
    if (vem__json_get_array(path, root, "beta", &bsh, beta) != VEM_OK)
        goto fail;
    const json_t *sev = json_object_get(root, "stderr");
    int have_se = sev && !json_is_null(sev);
    if (have_se && vem__json_get_array(path, root, "stderr", &ssh, se) != VEM_OK)
        goto fail;
    for (size_t j = 0; have_se && j <= p; j++)
        if (!(se[j] >= 0.0)) {
            VEM_FAIL(VEM_EFORMAT, "%s: key 'stderr': entry %zu is negative", path, j + 1);
            goto fail;
        }
    if (load_groups(path, root, &ng, &groups) != VEM_OK)
        goto fail;
    if ((s = vem_glmm_set_params(g, beta, s2)) != VEM_OK) {
        vem__prefix_errmsg(VEM_EFORMAT, path, NULL);
        goto fail;
    }
    if ((s = vem_glmm_restore_fit(g, have_se ? se : NULL, ng, groups,
                                  ng ? groups + ng : NULL, ng ? groups + 2 * ng : NULL, bnd)) !=
        VEM_OK)
        goto fail;
    vem__free(buf);
    vem__free(groups);
    vem__free(cols);
    json_decref(root);
    return g;
fail:
    vem_glmm_free(g);
    vem__free(buf);
    vem__free(groups);
    vem__free(cols);
    json_decref(root);
    return NULL;
}
