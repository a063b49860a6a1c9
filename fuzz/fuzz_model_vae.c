/*
 * fuzz/fuzz_model_vae.c — vem_vae_load: the JSON model file and the .npy of its
 * parameters beside it, from one input, as fuzz_model_lda.c: the bytes before the first
 * "\x93NUMPY" are the JSON (model.json), the rest model.params.npy. A model that loads
 * is saved and loaded again, which must succeed with the same shape and parameters.
 */
#include <stdlib.h>
#include <string.h>

#include <vem/vae.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *path = fz_write_model(data, size, "model.params.npy");
    vem_vae *v = vem_vae_load(path);
    if (v) {
        const char *out = fz_path("saved.json");
        (void)fz_path("saved.params.npy");
        if (vem_vae_save(v, out, NULL) == VEM_OK) {
            vem_vae *v2 = vem_vae_load(out);
            FZ_CHECK(v2 != NULL, "a saved model does not load: %s", vem_errmsg());
            const size_t n = vem_vae_params_len(v);
            FZ_CHECK(vem_vae_params_len(v2) == n && vem_vae_d(v2) == vem_vae_d(v) &&
                         vem_vae_latent(v2) == vem_vae_latent(v),
                     "shape");
            double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
            if (a && b) {
                vem_vae_get_params(v, a);
                vem_vae_get_params(v2, b);
                FZ_CHECK(memcmp(a, b, n * sizeof *a) == 0, "parameters differ after reload");
            }
            free(a);
            free(b);
            vem_vae_free(v2);
        }
        vem_vae_free(v);
    }
    free(path);
    return 0;
}
