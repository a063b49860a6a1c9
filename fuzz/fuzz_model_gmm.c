/* fuzz/fuzz_model_gmm.c — vem_gmm_load on a model file (fuzz_model.h). */
#include <vem/gmm.h>

#include "fuzz_model.h"

FZ_MODEL_HARNESS(vem_gmm, vem_gmm_load, vem_gmm_save, vem_gmm_to_json, vem_gmm_free, 1)
