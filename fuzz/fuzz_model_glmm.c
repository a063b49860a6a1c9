/* fuzz/fuzz_model_glmm.c — vem_glmm_load on a model file (fuzz_model.h); the JSON compared
 * on reload is the saved file itself (the model has no to_json). */
#include <stdio.h>
#include <stdlib.h>

#include <vem/glmm.h>

#include "fuzz_model.h"

static char *glmm_json(const vem_glmm *b)
{
    const char *p = fz_path("as_json.json");
    if (vem_glmm_save(b, p, NULL) != VEM_OK)
        return NULL;
    FILE *f = fopen(p, "rb");
    if (!f)
        return NULL;
    char *s = calloc(1, 1 << 20);
    size_t n = s ? fread(s, 1, (1 << 20) - 1, f) : 0;
    (void)n;
    fclose(f);
    return s;
}

FZ_MODEL_HARNESS(vem_glmm, vem_glmm_load, vem_glmm_save, glmm_json, vem_glmm_free, 1)
