/*
 * fuzz/fuzz_model_lda.c — vem_lda_load: the JSON model file and the .npy of
 * lambda beside it, from one input: the bytes before the first "\x93NUMPY"
 * (the .npy magic) are the JSON, saved as model.json; the rest, from the
 * magic on, is model.lambda.npy (absent when there is no magic). A model
 * that loads is saved and loaded again, which must succeed.
 */
#include <vem/lda.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *path = fz_write_model(data, size, "model.lambda.npy");
    vem_lda *l = vem_lda_load(path);
    if (l) {
        const char *out = fz_path("saved.json");
        (void)fz_path("saved.lambda.npy");
        if (vem_lda_save(l, out, NULL) == VEM_OK) {
            vem_lda *l2 = vem_lda_load(out);
            FZ_CHECK(l2 != NULL, "a saved model does not load: %s", vem_errmsg());
            FZ_CHECK(vem_lda_k(l2) == vem_lda_k(l) && vem_lda_v(l2) == vem_lda_v(l), "shape");
            vem_lda_free(l2);
        }
        vem_lda_free(l);
    }
    free(path);
    return 0;
}
