/*
 * src/io/vaefile.c — VAE model files (docs/vae.md, docs/formats.md): a JSON
 * document (format "vem-model", model "vae": the architecture, likelihood,
 * activation and training options) and the parameter vector, float64 of shape
 * (1, n_params) in the layout of vem_vae_get_params, in a .npy beside it named by
 * "params_file"; written as one unit as LDA's files are (src/io/npyunit.h).
 */
#include <string.h>

#include <jansson.h>

#include <vem/vae.h>

#include "internal.h"
#include "io/jsonfile.h"
#include "io/npyunit.h"

vem_status vem_vae_save(const vem_vae *v, const char *path, const vem_fit_result *fit_info)
{
    vem_status st = vem__json_save_args("vae", v, path);
    if (st != VEM_OK)
        return st;
    const size_t np = vem_vae_params_len(v), nh = vem_vae_n_hidden(v);
    double *theta = vem__alloc_doubles(np, 1);
    if (!theta)
        return VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
    vem_vae_get_params(v, theta);
    int ok = 1;
    json_t *o = vem__json_header("vae", &ok);
    json_t *h = json_array();
    for (size_t i = 0; h && i < nh; i++)
        if (json_array_append_new(h, json_integer((json_int_t)vem_vae_hidden(v)[i])) != 0)
            ok = 0;
    vem__json_put(o, "d", json_integer((json_int_t)vem_vae_d(v)), &ok);
    vem__json_put(o, "latent", json_integer((json_int_t)vem_vae_latent(v)), &ok);
    vem__json_put(o, "hidden", h, &ok);
    vem__json_put(o, "likelihood", json_string(vem_vae_likelihood_name(vem_vae_likelihood_of(v))),
                  &ok);
    vem__json_put(o, "activation", json_string(vem_vae_activation_name(vem_vae_activation_of(v))),
                  &ok);
    vem__json_put(o, "samples", json_integer((json_int_t)vem_vae_samples(v)), &ok);
    static const char *const bin_names[3] = {"none", "dynamic", "static"};
    vem__json_put(o, "binarize", json_string(bin_names[vem_vae_binarize(v)]), &ok);
    vem__json_put(o, "n_params", json_integer((json_int_t)np), &ok);
    /* Each weight matrix in x out (vae.h); earlier files held out x in, without the key. */
    vem__json_put(o, "weights", json_string("in_out"), &ok);
    vem__json_put_fit(o, fit_info, "elbo", "n_rows", 0, &ok);
    st = vem__json_npy_save(path, o, ok, "params_file", ".params.npy", theta, 1, np);
    vem__free(theta);
    return st;
}

vem_vae *vem_vae_load(const char *path)
{
    json_t *root = NULL;
    vem_vae *v = NULL;
    double *theta = NULL;
    size_t *hidden = NULL;
    if (vem__json_load_model(path, "vae", &root) != VEM_OK)
        return NULL;
    size_t d = 0, latent = 0, samples = 0, np = 0;
    const char *lik_s = NULL, *act_s = NULL;
    vem_vae_likelihood lik;
    vem_vae_activation act;
    if (vem__json_get_size(path, root, "d", 100000000, &d) != VEM_OK ||
        vem__json_get_size(path, root, "latent", 1000000, &latent) != VEM_OK ||
        vem__json_get_size(path, root, "samples", 100000, &samples) != VEM_OK ||
        vem__json_get_size(path, root, "n_params", SIZE_MAX, &np) != VEM_OK ||
        vem__json_get_string(path, root, "likelihood", &lik_s) != VEM_OK ||
        vem__json_get_string(path, root, "activation", &act_s) != VEM_OK)
        goto fail;
    if (vem_vae_likelihood_parse(lik_s, &lik) != VEM_OK ||
        vem_vae_activation_parse(act_s, &act) != VEM_OK) {
        vem__prefix_errmsg(VEM_EFORMAT, path, NULL);
        goto fail;
    }
    const json_t *h = json_object_get(root, "hidden");
    if (!json_is_array(h) || json_array_size(h) > 64) {
        VEM_FAIL(VEM_EFORMAT, "%s: key 'hidden': expected an array of at most 64 sizes", path);
        goto fail;
    }
    const size_t nh = json_array_size(h);
    hidden = vem__calloc(nh + 1, sizeof *hidden);
    if (!hidden) {
        VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    for (size_t i = 0; i < nh; i++) {
        const json_t *e = json_array_get(h, i);
        if (!json_is_integer(e) || json_integer_value(e) < 1 ||
            json_integer_value(e) > 1000000) {
            VEM_FAIL(VEM_EFORMAT, "%s: key 'hidden': size %zu is not in [1, 1000000]", path,
                     i + 1);
            goto fail;
        }
        hidden[i] = (size_t)json_integer_value(e);
    }
    /* The architecture's parameter count against the declared one, and that against
     * the .npy's size, before anything of that size is allocated (the network takes
     * several copies: doubles, floats, the engine's gradient and Adam's moments). */
    double arch = lik == VEM_VAE_GAUSSIAN ? (double)d : 0;
    for (size_t i = 0; i <= nh; i++) {
        const double in = i == 0 ? (double)d : (double)hidden[i - 1];
        const double out = i == nh ? 2.0 * (double)latent : (double)hidden[i];
        const double din = i == 0 ? (double)latent : (double)hidden[nh - i];
        const double dout = i == nh ? (double)d : (double)hidden[nh - 1 - i];
        arch += out * (in + 1) + dout * (din + 1);
    }
    if ((double)np != arch) {
        VEM_FAIL(VEM_EFORMAT, "%s: key 'n_params': %zu, the architecture has %.17g", path, np,
                 arch);
        goto fail;
    }
    const char *lay = json_string_value(json_object_get(root, "weights"));
    if (!lay || strcmp(lay, "in_out") != 0) {
        VEM_FAIL(VEM_EFORMAT,
                 "%s: key 'weights': %s (this vem stores each weight matrix in x out: \"in_out\"; "
                 "files without the key are from before 2026-12-07, with out x in: fit again)",
                 path, lay ? lay : "missing");
        goto fail;
    }
    if (vem__json_npy_load(path, root, "params_file", 1, np, 6, &theta) != VEM_OK)
        goto fail;
    v = vem_vae_new(d, latent, hidden, nh, lik, act);
    if (!v) {
        vem__prefix_errmsg(VEM_EFORMAT, path, NULL);
        goto fail;
    }
    const char *bin = json_string_value(json_object_get(root, "binarize"));
    if (vem_vae_set_samples(v, samples) != VEM_OK ||
        vem_vae_set_binarize(v, !bin ? 0 : strcmp(bin, "dynamic") == 0 ? 1
                                         : strcmp(bin, "static") == 0    ? 2
                                                                         : 0) != VEM_OK ||
        vem_vae_set_params(v, theta) != VEM_OK) {
        vem__prefix_errmsg(VEM_EFORMAT, path, NULL);
        goto fail;
    }
    vem__free(theta);
    vem__free(hidden);
    json_decref(root);
    return v;
fail:
    vem__free(theta);
    vem__free(hidden);
    vem_vae_free(v);
    json_decref(root);
    return NULL;
}
