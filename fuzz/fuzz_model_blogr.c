/* fuzz/fuzz_model_blogr.c — vem_blogr_load on a model file (fuzz_model.h); the JSON compared
 * on reload is the saved file itself (the model has no to_json). */
#include <stdio.h>
#include <stdlib.h>

#include <vem/blogr.h>

#include "fuzz_model.h"

static char *blogr_json(const vem_blogr *b)
{
    const char *p = fz_path("as_json.json");
    if (vem_blogr_save(b, p, NULL) != VEM_OK)
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

FZ_MODEL_HARNESS(vem_blogr, vem_blogr_load, vem_blogr_save, blogr_json, vem_blogr_free, 1)
