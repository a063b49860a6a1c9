/*
 * src/models/hmm_internal.h — the HMM's forward-backward recursions for other models of
 * the library (the variational Bayesian HMM): the same scaled kernels as Baum-Welch
 * (src/models/hmm.c; Rabiner 1989, section V.A; Bishop PRML 13.2.4), on start and
 * transition weights that need not be probabilities.
 */
#ifndef VEM_HMM_INTERNAL_H
#define VEM_HMM_INTERNAL_H

#include <stddef.h>

/* Doubles of work vem__hmm_posteriors needs for k states and T frames. */
size_t vem__hmm_posteriors_work(size_t k, size_t T);

/*
 * Forward-backward over one sequence of T frames with non-negative start weights pi (k) and
 * transition weights A (k x k, row-major; rows need not sum to 1: variational Bayes passes
 * exp E[ln pi] and exp E[ln A], MacKay 1997, Beal 2003 ch. 3) and emission log-weights
 * logb (T x k, row t the frame's log p~(x_t | state), read only). Writes the posteriors
 * gamma (T x k, each row summing to 1); adds sum_t xi_t (k x k, the expected transitions)
 * into xi and gamma_1 into start when they are not NULL. Returns
 * ln sum_z pi_z1 b_1z1 prod_t A_z(t-1)z(t) b_tz(t) (nats), the sequence's log normaliser;
 * -inf when it is 0 (then gamma, xi and start are unspecified). Frames whose scaled
 * normaliser underflows are redone in log space, as in Baum-Welch. Single-threaded;
 * the same bits as Baum-Welch's recursions on the same weights.
 */
double vem__hmm_posteriors(size_t k, const double *pi, const double *A, size_t T,
                           const double *logb, double *gamma, double *xi, double *start,
                           double *work);

#endif /* VEM_HMM_INTERNAL_H */
