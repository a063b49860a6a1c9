/*
 * src/models/fitutil.h — what the models' public fits and initialisations share
 * (src/models/fitutil.c): the engine's fit that leaves the model as it was when it fails,
 * the pass that resolves data-dependent default priors from all the data, and the
 * k-means or random start of an initialisation's pass. Not installed.
 */
#ifndef VEM_FITUTIL_H
#define VEM_FITUTIL_H

#include <stdint.h>

#include <vem/fit.h>
#include <vem/io.h>
#include <vem/model.h>

/*
 * vem_fit_run of m on data, or vem_fit_run_source on src when it is not NULL. When the fit
 * fails (neither VEM_OK nor VEM_EMAXITER, nor VEM_EINTR with keep_interrupted), m's
 * parameters (params_get / params_set) are put back as they were and the failure's
 * message is kept. who names the fit in an out-of-memory message ("vem_hmm_fit").
 */
vem_status vem__fit_restoring(const vem_model *m, const vem_data *data, vem_source *src,
                              const vem_fit_opts *o, vem_rng *rng, vem_fit_result *res,
                              const char *who, int keep_interrupted);

/*
 * A fit of m to data, or to src when it is not NULL, under o (its communicator included;
 * o->warm_start set, so that vem_fit_init only sums the counts), made and initialised on
 * every process (a failure agreed over o->comm), handed to resolve(self, f) to resolve the
 * default priors from all the data, then freed. Returns the first failure or resolve's.
 */
vem_status vem__priors_pass(const vem_model *m, const vem_data *data, vem_source *src,
                            const vem_fit_opts *o, vem_status (*resolve)(void *self, vem_fit *f),
                            void *self);

/*
 * The start of an initialisation's pass over f's rows: with kmeans, k centres (k x d) by
 * k-means++ and Lloyd's iterations (300 at most, relative tolerance 1e-4); else a seed for
 * random responsibilities drawn from rng (*seed).
 */
vem_status vem__init_start(vem_fit *f, size_t k, int kmeans, vem_rng *rng, double *centers,
                           uint64_t *seed);

#endif /* VEM_FITUTIL_H */
