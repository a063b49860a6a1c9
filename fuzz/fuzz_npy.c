/*
 * fuzz/fuzz_npy.c — the .npy reader of LDA models (lambda, K x V float64),
 * reached through vem_lda_load with a fixed, valid JSON beside the input.
 *
 * Input: one byte, K - 1 (bits 0-1) and V - 1 (bits 2-4), then the .npy file.
 */
#include <vem/lda.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned b = fz_take_byte(&data, &size);
    size_t k = 1 + (b & 3), v = 1 + ((b >> 2) & 7);
    char json[512];
    int n = snprintf(json, sizeof json,
                     "{\"format\": \"vem-model\", \"version\": 1, \"model\": \"lda\", "
                     "\"n_topics\": %zu, \"n_words\": %zu, \"alpha\": 0.5, \"eta\": 0.5, "
                     "\"lambda_file\": \"model.lambda.npy\"}\n",
                     k, v);
    char *path = fz_write("model.json", (const uint8_t *)json, (size_t)n);
    free(fz_write("model.lambda.npy", data, size));
    vem_lda *l = vem_lda_load(path);
    if (l)
        FZ_CHECK(vem_lda_k(l) == k && vem_lda_v(l) == v, "shape");
    vem_lda_free(l);
    free(path);
    return 0;
}
