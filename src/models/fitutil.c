/*
 * src/models/fitutil.c — what the models' public fits and initialisations share
 * (src/models/fitutil.h).
 */
#include <stdio.h>

#include <vem/comm.h>

#include "internal.h"
#include "models/fitutil.h"
#include "models/kmeans.h"

vem_status vem__fit_restoring(const vem_model *m, const vem_data *data, vem_source *src,
                              const vem_fit_opts *o, vem_rng *rng, vem_fit_result *res,
                              const char *who, int keep_interrupted)
{
    const size_t plen = m->ops->params_len(m->self);
    double *saved = vem__alloc_doubles(plen, 1);
    if (!saved)
        return VEM_FAIL(VEM_ENOMEM, "%s", who);
    m->ops->params_get(m->self, saved);
    vem_status st =
        src ? vem_fit_run_source(m, src, o, rng, res) : vem_fit_run(m, data, o, rng, res);
    if (st != VEM_OK && st != VEM_EMAXITER && !(keep_interrupted && st == VEM_EINTR)) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", vem_errmsg());
        if (m->ops->params_set(m->self, saved) != VEM_OK) {
            /* Only changed priors could invalidate the old parameters: nothing to restore. */
        }
        VEM_FAIL(st, "%s", msg);
    }
    vem__free(saved);
    return st;
}

vem_status vem__priors_pass(const vem_model *m, const vem_data *data, vem_source *src,
                            const vem_fit_opts *o, vem_status (*resolve)(void *self, vem_fit *f),
                            void *self)
{
    vem_fit *f = src ? vem_fit_new_source(m, src, o) : vem_fit_new(m, data, o);
    vem_status st = vem_comm_agree(o->comm, f ? VEM_OK : vem__last_status());
    if (st == VEM_OK)
        st = vem_fit_init(f, NULL);
    if (st == VEM_OK)
        st = resolve(self, f);
    vem_fit_free(f);
    return st;
}

vem_status vem__init_start(vem_fit *f, size_t k, int kmeans, vem_rng *rng, double *centers,
                           uint64_t *seed)
{
    if (!kmeans) {
        *seed = vem_rng_next(rng);
        return VEM_OK;
    }
    vem_status st = vem__kmeanspp(f, k, rng, centers, NULL);
    if (st == VEM_OK)
        st = vem__kmeans_lloyd(f, k, centers, 300, 1e-4, NULL);
    return st;
}
