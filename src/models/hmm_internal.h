/*
 * src/models/hmm_internal.h — what the HMM (src/models/hmm.c) shares with the other
 * hidden Markov models of the library (the variational Bayesian HMM): the sequences of
 * the data, the checks of frames and sources, the Dirichlet(1) draw of the random starts,
 * and the forward-backward recursions, the same scaled kernels as Baum-Welch (Rabiner
 * 1989, section V.A; Bishop PRML 13.2.4) on start and transition weights that need not be
 * probabilities.
 */
#ifndef VEM_HMM_INTERNAL_H
#define VEM_HMM_INTERNAL_H

#include <stddef.h>

#include <vem/data.h>
#include <vem/hmm.h>
#include <vem/io.h>

/* ---- the sequences of the data (vem_hmm_data): sequence s is rows [lo, hi); data without
 * sequence structure is one sequence of all its rows (none when it has no rows) ---- */

static inline size_t vem__hmm_n_seq(const vem_data *x)
{
    return x->seq_start ? x->n_seq : (x->x.rows ? 1 : 0);
}

static inline size_t vem__hmm_seq_lo(const vem_data *x, size_t s)
{
    return x->seq_start ? x->seq_start[s] : 0;
}

static inline size_t vem__hmm_seq_hi(const vem_data *x, size_t s)
{
    return x->seq_start ? x->seq_start[s + 1] : x->x.rows;
}

/* Frames of the longest sequence of x. */
size_t vem__hmm_longest(const vem_data *x);

/*
 * The frames x (and sequences seqs) of a model of emission em in dim dimensions (symbols,
 * categorical): shapes, sequence boundaries, symbol codes, and counts (Poisson, and
 * multinomial summing to n_trials when it is not 0). share: one process's share of a
 * distributed fit, which may hold no frames and empty sequences. VEM_EINVAL naming what
 * is wrong.
 */
vem_status vem__hmm_check_data(vem_hmm_emission em, size_t dim, size_t n_trials,
                               const vem_matrix *x, const vem_seqs *seqs, int share);
/* A source of frames for such a model (fn: the fitting function, for the message). */
vem_status vem__hmm_check_source(vem_hmm_emission em, size_t dim, vem_source *src, const char *fn);
/* The source ready for a fit: its rows one sequence unless it has sequences, its symbol
 * codes or counts checked as they are read; *max_len its longest sequence. */
vem_status vem__hmm_prepare_source(vem_hmm_emission em, size_t dim, size_t n_trials,
                                   vem_source *src, size_t *max_len);

/* A Dirichlet(1) draw of n probabilities into p (random initialisations). */
void vem__dirichlet1(vem_rng *rng, double *p, size_t n);

/* ---- forward-backward ---- */

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

/*
 * vem__hmm_posteriors on a window of T frames whose statistics are wanted for the span
 * [c0, c1) only (c0 < c1 <= T; Foti et al. 2014's buffered subsequences: the frames outside
 * the span condition the posteriors of those inside): the recursions run over all T frames
 * (gamma is written for all of them), but xi receives only the transitions (t - 1, t) with
 * c0 <= t < c1, start gamma_1 only when c0 is 0, and the return value is
 * sum_{t in [c0, c1)} ln c_t, the span's log predictive normalisers given the frames before
 * it in the window (with c0 = 0, c1 = T: the log normaliser). -inf as vem__hmm_posteriors.
 */
double vem__hmm_posteriors_span(size_t k, const double *pi, const double *A, size_t T,
                                const double *logb, double *gamma, double *xi, double *start,
                                double *work, size_t c0, size_t c1);

#endif /* VEM_HMM_INTERNAL_H */
