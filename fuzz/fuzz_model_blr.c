/* fuzz/fuzz_model_blr.c — vem_blr_load on a model file (fuzz_model.h). */
#include <vem/blr.h>

#include "fuzz_model.h"

FZ_MODEL_HARNESS(vem_blr, vem_blr_load, vem_blr_save, vem_blr_to_json, vem_blr_free, 1)
