/* fuzz/fuzz_model_vbgmm.c — vem_vbgmm_load on a model file (fuzz_model.h). */
#include <vem/vbgmm.h>

#include "fuzz_model.h"

FZ_MODEL_HARNESS(vem_vbgmm, vem_vbgmm_load, vem_vbgmm_save, vem_vbgmm_to_json, vem_vbgmm_free, 1)
