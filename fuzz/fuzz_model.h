/*
 * fuzz/fuzz_model.h — one harness per model file loader (fuzz_model_*.c):
 * the input is the model file. A model that loads is saved and loaded again;
 * the second load must succeed and, where exact is 1, give the same JSON (the
 * model file promises the same bits back). The HMM loader renormalises its
 * probability rows (vem_hmm_set_transmat and the like divide each row by its
 * sum), which moves a row that sums to 1 within rounding by an ulp or two, so
 * its harness checks the reload only.
 */
#ifndef VEM_FUZZ_MODEL_H
#define VEM_FUZZ_MODEL_H

#include <vem/io.h>

#include "fuzz_common.h"

#define FZ_MODEL_HARNESS(type, load, save, to_json, free_, exact)                                   \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)                                \
    {                                                                                           \
        char *path = fz_write("model.json", data, size);                                        \
        char kind[32];                                                                          \
        (void)vem_model_file_kind(path, kind, sizeof kind);                                     \
        type *m = load(path);                                                                   \
        if (m) {                                                                                \
            char *j1 = to_json(m);                                                              \
            const char *out = fz_path("saved.json");                                            \
            if (save(m, out, NULL) == VEM_OK) {                                                 \
                type *m2 = load(out);                                                           \
                FZ_CHECK(m2 != NULL, "a saved model does not load: %s", vem_errmsg());          \
                char *j2 = to_json(m2);                                                         \
                FZ_CHECK(!(exact) || !j1 || (j2 && strcmp(j1, j2) == 0),                       \
                         "reloaded model differs:\n%s\n%s", j1, j2 ? j2 : "(null)");           \
                free(j2);                                                                       \
                free_(m2);                                                                      \
            }                                                                                   \
            free(j1);                                                                           \
            free_(m);                                                                           \
        }                                                                                       \
        free(path);                                                                             \
        return 0;                                                                               \
    }

#endif /* VEM_FUZZ_MODEL_H */
