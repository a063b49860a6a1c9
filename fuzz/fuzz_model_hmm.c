/* fuzz/fuzz_model_hmm.c — vem_hmm_load on a model file (fuzz_model.h). */
#include <vem/hmm.h>

#include "fuzz_model.h"

FZ_MODEL_HARNESS(vem_hmm, vem_hmm_load, vem_hmm_save, vem_hmm_to_json, vem_hmm_free, 0)
