/* tests/test_hmm.c — hidden Markov models: brute force, golden, recovery, threads, errors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <vem/vem.h>

#include "check.h"
#include "models/hmm_internal.h"

#define LOG_2PI 1.8378770664093454836

static double lse(const double *v, size_t n)
{
    double m = -INFINITY, s = 0.0;
    for (size_t i = 0; i < n; i++)
        m = v[i] > m ? v[i] : m;
    if (m == -INFINITY)
        return m;
    for (size_t i = 0; i < n; i++)
        s += exp(v[i] - m);
    return m + log(s);
}

/* log p(x_t | state) of a diagonal Gaussian or categorical model, written independently. */
static double emis_logp(const vem_hmm *h, const double *x, size_t state)
{
    size_t d = vem_hmm_dim(h);
    if (vem_hmm_emission_type(h) == VEM_HMM_CATEGORICAL)
        return log(vem_hmm_emissionprob(h)[state * d + (size_t)x[0]]);
    if (vem_hmm_emission_type(h) == VEM_HMM_GMM) {
        const vem_gmm *g = vem_hmm_state_mixture(h, state);
        size_t m = vem_gmm_k(g);
        double lp[8];
        for (size_t q = 0; q < m; q++) {
            const double *mu = vem_gmm_means(g) + q * d, *var = vem_gmm_covariances(g) + q * d;
            lp[q] = log(vem_gmm_weights(g)[q]) - 0.5 * (double)d * LOG_2PI;
            for (size_t j = 0; j < d; j++)
                lp[q] += -0.5 * log(var[j]) - 0.5 * (x[j] - mu[j]) * (x[j] - mu[j]) / var[j];
        }
        return lse(lp, m);
    }
    if (vem_hmm_emission_type(h) == VEM_HMM_POISSON) {
        /* sum_j log(lambda^x e^-lambda / x!), the factorial as a product. */
        double lp = 0.0;
        for (size_t j = 0; j < d; j++) {
            const double lam = vem_hmm_lambdas(h)[state * d + j];
            double fact = 1.0;
            for (double i = 2.0; i <= x[j]; i += 1.0)
                fact *= i;
            lp += x[j] * log(lam) - lam - log(fact);
        }
        return lp;
    }
    if (vem_hmm_emission_type(h) == VEM_HMM_MULTINOMIAL) {
        /* log(n! / prod x_j! prod p_j^x_j), the factorials as products. */
        double n = 0.0, lp = 0.0, den = 1.0, num = 1.0;
        for (size_t j = 0; j < d; j++) {
            n += x[j];
            for (double i = 2.0; i <= x[j]; i += 1.0)
                den *= i;
            lp += x[j] > 0.0 ? x[j] * log(vem_hmm_emissionprob(h)[state * d + j]) : 0.0;
        }
        for (double i = 2.0; i <= n; i += 1.0)
            num *= i;
        return lp + log(num / den);
    }
    const double *mu = vem_hmm_means(h) + state * d, *var = vem_hmm_covariances(h) + state * d;
    double lp = -0.5 * (double)d * LOG_2PI;
    for (size_t j = 0; j < d; j++)
        lp += -0.5 * log(var[j]) - 0.5 * (x[j] - mu[j]) * (x[j] - mu[j]) / var[j];
    return lp;
}

/* Brute force over all K^T paths: log p(x), the best path and its log joint, posteriors. */
static double brute(const vem_hmm *h, const double *x, size_t ld, size_t T, size_t *best,
                    double *best_lp, double *post)
{
    size_t k = vem_hmm_k(h), npath = 1;
    for (size_t t = 0; t < T; t++)
        npath *= k;
    double *lps = malloc(npath * sizeof *lps);
    size_t *z = calloc(T, sizeof *z);
    *best_lp = -INFINITY;
    for (size_t p = 0; p < npath; p++) {
        size_t q = p;
        for (size_t t = 0; t < T; t++) {
            z[t] = q % k;
            q /= k;
        }
        double lp = log(vem_hmm_startprob(h)[z[0]]) + emis_logp(h, x, z[0]);
        for (size_t t = 1; t < T; t++)
            lp += log(vem_hmm_transmat(h)[z[t - 1] * k + z[t]]) + emis_logp(h, x + t * ld, z[t]);
        lps[p] = lp;
        /* Ties: Viterbi keeps the lower state index at each step, i.e. the path whose
         * state sequence read backwards from the end is smallest; for random real data
         * ties do not occur. */
        if (lp > *best_lp) {
            *best_lp = lp;
            memcpy(best, z, T * sizeof *z);
        }
    }
    double ll = lse(lps, npath);
    if (post) {
        memset(post, 0, T * k * sizeof *post);
        for (size_t p = 0; p < npath; p++) {
            size_t q = p;
            for (size_t t = 0; t < T; t++) {
                post[t * k + q % k] += exp(lps[p] - ll);
                q /= k;
            }
        }
    }
    free(lps);
    free(z);
    return ll;
}

static vem_hmm *tiny_categorical(void)
{
    vem_hmm *h = vem_hmm_new(3, VEM_HMM_CATEGORICAL, 4, VEM_COV_FULL);
    double pi[3] = {0.5, 0.3, 0.2};
    double a[9] = {0.6, 0.3, 0.1, 0.0, 0.7, 0.3, 0.25, 0.25, 0.5}; /* one zero */
    double b[12] = {0.4, 0.3, 0.2, 0.1, 0.1, 0.1, 0.7, 0.1, 0.25, 0.35, 0.05, 0.35};
    CHECK(vem_hmm_set_startprob(h, pi) == VEM_OK);
    CHECK(vem_hmm_set_transmat(h, a) == VEM_OK);
    CHECK(vem_hmm_set_emissionprob(h, b) == VEM_OK);
    return h;
}

static vem_hmm *tiny_gaussian(void)
{
    vem_hmm *h = vem_hmm_new(2, VEM_HMM_GAUSSIAN, 2, VEM_COV_DIAG);
    double pi[2] = {0.35, 0.65};
    double a[4] = {0.85, 0.15, 0.3, 0.7};
    double mu[4] = {0.2, -1.3, 2.385, 0.9};
    double var[4] = {0.7, 1.9, 0.45, 1.2};
    CHECK(vem_hmm_set_startprob(h, pi) == VEM_OK);
    CHECK(vem_hmm_set_transmat(h, a) == VEM_OK);
    CHECK(vem_hmm_set_gaussian(h, mu, var) == VEM_OK);
    return h;
}

static void test_brute_force(void)
{
    /* Two categorical sequences (lengths 6 and 5) and one Gaussian sequence of 7. */
    double cx[11] = {0, 2, 2, 1, 3, 0, 1, 1, 2, 0, 3};
    size_t lens[2] = {6, 5};
    vem_seqs seqs;
    CHECK(vem_seqs_from_lengths(lens, 2, &seqs) == VEM_OK);
    vem_hmm *h = tiny_categorical();
    vem_matrix x = vem_matrix_view(cx, 11, 1);
    double per[2], total = 0.0, mean = 0.0, lp = 0.0;
    size_t path[11], best[11];
    double post[33], bpost[33];
    CHECK(vem_hmm_score_sequences(h, &x, &seqs, per) == VEM_OK);
    CHECK(vem_hmm_score(h, &x, &seqs, &mean, &total) == VEM_OK);
    CHECK(vem_hmm_decode(h, &x, &seqs, path, &lp) == VEM_OK);
    CHECK(vem_hmm_predict_proba(h, &x, &seqs, post) == VEM_OK);
    double bt = 0.0, blp = 0.0;
    for (size_t s = 0; s < 2; s++) {
        size_t lo = seqs.start[s], T = lens[s];
        double b_lp;
        double ll = brute(h, cx + lo, 1, T, best + lo, &b_lp, bpost + lo * 3);
        CHECK_REL(per[s], ll, 1e-13);
        bt += ll;
        blp += b_lp;
    }
    CHECK_REL(total, bt, 1e-13);
    CHECK_REL(mean, bt / 11.0, 1e-13);
    CHECK_REL(lp, blp, 1e-13);
    int same = 1;
    for (size_t t = 0; t < 11; t++)
        same &= path[t] == best[t];
    CHECK(same);
    double maxdiff = 0.0;
    for (size_t i = 0; i < 33; i++)
        maxdiff = fmax(maxdiff, fabs(post[i] - bpost[i]));
    CHECK(maxdiff < 1e-14);
    vem_hmm_free(h);
    vem_seqs_clear(&seqs);

    double gx[14] = {0.1, -1.0, 2.0, 1.2, 0.4, -2.2, 2.6, 0.3, 1.1, 0.0, -0.3, -0.9, 2.2, 1.7};
    h = tiny_gaussian();
    x = vem_matrix_view(gx, 7, 2);
    double g_ll, b_lp;
    CHECK(vem_hmm_score(h, &x, NULL, NULL, &g_ll) == VEM_OK);
    CHECK(vem_hmm_decode(h, &x, NULL, path, &lp) == VEM_OK);
    CHECK(vem_hmm_predict_proba(h, &x, NULL, post) == VEM_OK);
    double ll = brute(h, gx, 2, 7, best, &b_lp, bpost);
    CHECK_REL(g_ll, ll, 1e-13);
    CHECK_REL(lp, b_lp, 1e-13);
    same = 1;
    for (size_t t = 0; t < 7; t++)
        same &= path[t] == best[t];
    CHECK(same);
    maxdiff = 0.0;
    for (size_t i = 0; i < 14; i++)
        maxdiff = fmax(maxdiff, fabs(post[i] - bpost[i]));
    CHECK(maxdiff < 1e-14);
    vem_hmm_free(h);
}

/*
 * Poisson and multinomial emissions (issue 19): the likelihood, Viterbi path and posteriors
 * against brute force over every path; one state's fit is the closed form (rates the
 * column means, probabilities the column totals' shares; log-likelihood by the brute-force
 * density); the Poisson sampler's mean and variance; counts that are not counts refused.
 */
static void test_count_emissions(void)
{
    double px[16] = {0, 3, 2, 1, 7, 4, 1, 0, 0, 2, 5, 6, 3, 3, 1, 1}; /* 8 frames x 2 */
    double mx[21] = {2, 1, 0, 0, 3, 0, 1, 1, 1, 3, 0, 0, 0, 2, 1, 1, 1, 1, 2, 1, 0};
    for (int m = 0; m < 2; m++) {
        const size_t k = 3, d = m ? 3 : 2, T = m ? 7 : 8;
        vem_hmm *h = vem_hmm_new(k, m ? VEM_HMM_MULTINOMIAL : VEM_HMM_POISSON, d, VEM_COV_FULL);
        double pi[3] = {0.5, 0.3, 0.2};
        double a[9] = {0.6, 0.3, 0.1, 0.0, 0.7, 0.3, 0.25, 0.25, 0.5};
        double lam[6] = {0.5, 2.0, 4.0, 0.7, 1.5, 1.5};
        double p[9] = {0.6, 0.3, 0.1, 0.2, 0.2, 0.6, 0.1, 0.8, 0.1};
        CHECK(vem_hmm_set_startprob(h, pi) == VEM_OK);
        CHECK(vem_hmm_set_transmat(h, a) == VEM_OK);
        CHECK((m ? vem_hmm_set_emissionprob(h, p) : vem_hmm_set_lambdas(h, lam)) == VEM_OK);
        CHECK((m ? vem_hmm_set_lambdas(h, lam) : vem_hmm_set_emissionprob(h, p)) == VEM_EINVAL);
        const double *xs = m ? mx : px;
        vem_matrix x = vem_matrix_view((double *)xs, T, d);
        double ll, lp, post[24], bpost[24], blp;
        size_t path[8], best[8];
        CHECK(vem_hmm_score(h, &x, NULL, NULL, &ll) == VEM_OK);
        CHECK(vem_hmm_decode(h, &x, NULL, path, &lp) == VEM_OK);
        CHECK(vem_hmm_predict_proba(h, &x, NULL, post) == VEM_OK);
        CHECK_REL(ll, brute(h, xs, d, T, best, &blp, bpost), 1e-13);
        CHECK_REL(lp, blp, 1e-13);
        double maxdiff = 0.0;
        for (size_t t = 0; t < T; t++) {
            CHECK(path[t] == best[t]);
            for (size_t c = 0; c < k; c++)
                maxdiff = fmax(maxdiff, fabs(post[t * k + c] - bpost[t * k + c]));
        }
        CHECK(maxdiff < 1e-14);
        /* The count check: a fraction, and (multinomial) totals other than the trials. */
        double bad[3] = {1.0, 0.5, 0.0};
        vem_matrix xb = vem_matrix_view(bad, 1, d);
        CHECK(vem_hmm_score(h, &xb, NULL, NULL, &ll) == VEM_EINVAL);
        if (m) {
            CHECK(vem_hmm_set_n_trials(h, 3) == VEM_OK); /* every frame: 3 */
            CHECK(vem_hmm_score(h, &x, NULL, NULL, &ll) == VEM_OK);
            CHECK(vem_hmm_set_n_trials(h, 4) == VEM_OK);
            CHECK(vem_hmm_score(h, &x, NULL, NULL, &ll) == VEM_EINVAL);
            CHECK(strstr(vem_errmsg(), "row 1: the counts sum to 3, not the 4 trials") != NULL);
        }
        vem_hmm_free(h);

        /* One state: the maximum-likelihood emissions in closed form, after one step. */
        h = vem_hmm_new(1, m ? VEM_HMM_MULTINOMIAL : VEM_HMM_POISSON, d, VEM_COV_FULL);
        vem_fit_opts o;
        vem_hmm_fit_opts_init(&o);
        vem_rng rng;
        vem_rng_seed(&rng, 1);
        vem_fit_result res;
        CHECK(vem_hmm_fit(h, &x, NULL, &o, &rng, &res) == VEM_OK);
        double tot[3] = {0, 0, 0}, all = 0.0;
        for (size_t t = 0; t < T; t++)
            for (size_t j = 0; j < d; j++) {
                tot[j] += xs[t * d + j];
                all += xs[t * d + j];
            }
        const double *e = m ? vem_hmm_emissionprob(h) : vem_hmm_lambdas(h);
        for (size_t j = 0; j < d; j++)
            CHECK_REL(e[j], tot[j] / (m ? all : (double)T), 1e-15);
        double want = 0.0;
        for (size_t t = 0; t < T; t++)
            want += emis_logp(h, xs + t * d, 0);
        CHECK_REL(res.objective, want, 1e-13);
        vem_fit_result_clear(&res);
        vem_hmm_free(h);
    }
    /* The Poisson sampler: mean and variance of 200,000 draws within 5 standard errors
     * (inversion below rate 10, transformed rejection above). */
    const double rates[3] = {0.3, 6.5, 57.0};
    for (int r = 0; r < 3; r++) {
        vem_hmm *h = vem_hmm_new(1, VEM_HMM_POISSON, 1, VEM_COV_FULL);
        CHECK(vem_hmm_set_lambdas(h, rates + r) == VEM_OK);
        const size_t n = 200000;
        double *out = malloc(n * sizeof *out);
        vem_rng rng;
        vem_rng_seed(&rng, 7);
        CHECK(vem_hmm_sample(h, n, &rng, out, NULL) == VEM_OK);
        double s = 0.0, s2 = 0.0;
        for (size_t i = 0; i < n; i++) {
            s += out[i];
            s2 += out[i] * out[i];
        }
        const double lam = rates[r], mean = s / (double)n, var = s2 / (double)n - mean * mean;
        CHECK(fabs(mean - lam) < 5.0 * sqrt(lam / (double)n));
        /* var of the sample variance: (mu4 - sigma^4) / n, mu4 = lam (1 + 3 lam). */
        CHECK(fabs(var - lam) < 5.0 * sqrt((lam * (1.0 + 3.0 * lam) - lam * lam) / (double)n));
        free(out);
        vem_hmm_free(h);
    }
}

/*
 * The internal forward-backward on given weights (models/hmm_internal.h): on a model's own
 * probabilities it equals the brute force; on weights that are not probabilities (start
 * and transitions scaled by constants, as variational Bayes' exp E[ln A] are) the
 * posteriors stay the same and the log normaliser moves by the constants exactly.
 */
static void test_posteriors_internal(void)
{
    double cx[6] = {0, 2, 2, 1, 3, 0};
    vem_hmm *h = tiny_categorical();
    const size_t k = 3, T = 6;
    double logb[18], gamma[18], bpost[18], xi[9] = {0}, start[3] = {0}, blp;
    size_t best[6];
    for (size_t t = 0; t < T; t++)
        for (size_t c = 0; c < k; c++)
            logb[t * k + c] = log(vem_hmm_emissionprob(h)[c * 4 + (size_t)cx[t]]);
    double *work = malloc(vem__hmm_posteriors_work(k, T) * sizeof *work);
    const double ll = vem__hmm_posteriors(k, vem_hmm_startprob(h), vem_hmm_transmat(h), T, logb,
                                          gamma, xi, start, work);
    CHECK_REL(ll, brute(h, cx, 1, T, best, &blp, bpost), 1e-13);
    double maxdiff = 0.0, xs = 0.0;
    for (size_t i = 0; i < T * k; i++)
        maxdiff = fmax(maxdiff, fabs(gamma[i] - bpost[i]));
    for (size_t i = 0; i < k * k; i++)
        xs += xi[i];
    CHECK(maxdiff < 1e-14);
    CHECK_REL(xs, (double)(T - 1), 1e-14);
    for (size_t c = 0; c < k; c++)
        CHECK_REL(start[c], bpost[c], 1e-13);
    /* Scaled weights: pi by 0.5, A by 0.25, every emission by e^-3. */
    double pi2[3], a2[9], logb2[18], g2[18];
    for (size_t c = 0; c < k; c++)
        pi2[c] = 0.5 * vem_hmm_startprob(h)[c];
    for (size_t i = 0; i < k * k; i++)
        a2[i] = 0.25 * vem_hmm_transmat(h)[i];
    for (size_t i = 0; i < T * k; i++)
        logb2[i] = logb[i] - 3.0;
    const double ll2 = vem__hmm_posteriors(k, pi2, a2, T, logb2, g2, NULL, NULL, work);
    CHECK_REL(ll2, ll + log(0.5) + (double)(T - 1) * log(0.25) - 3.0 * (double)T, 1e-13);
    maxdiff = 0.0;
    for (size_t i = 0; i < T * k; i++)
        maxdiff = fmax(maxdiff, fabs(g2[i] - gamma[i]));
    CHECK(maxdiff < 1e-14);
    free(work);
    vem_hmm_free(h);
}

/*
 * Per-frame log-likelihoods add up to each sequence's; posterior (MAP) decoding is the
 * brute-force posteriors' argmax; a sample from a given start state starts there.
 */
static void test_frames_map_start(void)
{
    double cx[11] = {0, 2, 2, 1, 3, 0, 1, 1, 2, 0, 3};
    size_t lens[2] = {6, 5};
    vem_seqs seqs;
    CHECK(vem_seqs_from_lengths(lens, 2, &seqs) == VEM_OK);
    vem_hmm *h = tiny_categorical();
    vem_matrix x = vem_matrix_view(cx, 11, 1);
    double per[2], pf[11], bpost[33], blp;
    size_t map[11], best[11];
    CHECK(vem_hmm_score_sequences(h, &x, &seqs, per) == VEM_OK);
    CHECK(vem_hmm_score_frames(h, &x, &seqs, pf) == VEM_OK);
    CHECK(vem_hmm_decode_map(h, &x, &seqs, map) == VEM_OK);
    for (size_t q = 0; q < 2; q++) {
        double sum = 0.0;
        for (size_t t = seqs.start[q]; t < seqs.start[q + 1]; t++)
            sum += pf[t];
        CHECK_REL(sum, per[q], 1e-14);
        brute(h, cx + seqs.start[q], 1, lens[q], best, &blp, bpost + seqs.start[q] * 3);
    }
    /* The first frame's term is ln p(x_1) = ln sum_k pi_k b_k(x_1). */
    double p1 = 0.0;
    for (size_t c = 0; c < 3; c++)
        p1 += vem_hmm_startprob(h)[c] * vem_hmm_emissionprob(h)[c * 4 + 0];
    CHECK_REL(pf[0], log(p1), 1e-15);
    for (size_t t = 0; t < 11; t++) {
        const double *r = bpost + t * 3;
        size_t arg = 0;
        for (size_t c = 1; c < 3; c++)
            if (r[c] > r[arg])
                arg = c;
        CHECK(map[t] == arg);
    }
    double out[50];
    size_t z[50];
    vem_rng rng;
    for (size_t s0 = 0; s0 < 3; s0++) {
        vem_rng_seed(&rng, s0 + 11);
        CHECK(vem_hmm_sample_from(h, 50, s0, &rng, out, z) == VEM_OK);
        CHECK(z[0] == s0);
    }
    CHECK(vem_hmm_sample_from(h, 5, 3, &rng, out, z) == VEM_EINVAL);
    vem_hmm_free(h);
    vem_seqs_clear(&seqs);
}

/*
 * Frozen parameters (vem_hmm_set_update) stay bit for bit; frozen Gaussian means get the
 * covariance about them (one state: the closed form); parameters left out of
 * vem_hmm_set_init_params keep their values; MAP EM (priors) is monotone in the log
 * posterior and, with one state, lands on the closed-form posterior modes.
 */
static void test_freeze_priors(void)
{
    const size_t T = 40;
    double gx[80], cx[40];
    vem_rng rng;
    vem_rng_seed(&rng, 5);
    for (size_t t = 0; t < T; t++) {
        gx[2 * t] = vem_rng_normal(&rng) + (t % 10 < 5 ? 2.0 : -1.0);
        gx[2 * t + 1] = 0.5 * vem_rng_normal(&rng) + 0.3 * gx[2 * t];
        cx[t] = (double)vem_rng_below(&rng, 4);
    }
    vem_matrix xg = vem_matrix_view(gx, T, 2), xc = vem_matrix_view(cx, T, 1);
    vem_fit_opts o;
    vem_hmm_fit_opts_init(&o);
    o.warm_start = 1;
    o.max_iter = 20;
    o.tol = 0.0;
    vem_fit_result res;

    /* Categorical: s and t frozen, e updated; then e frozen. */
    vem_hmm *h = tiny_categorical();
    double pi0[3], a0[9], b0[12];
    memcpy(pi0, vem_hmm_startprob(h), sizeof pi0);
    memcpy(a0, vem_hmm_transmat(h), sizeof a0);
    memcpy(b0, vem_hmm_emissionprob(h), sizeof b0);
    CHECK(vem_hmm_set_update(h, "e") == VEM_OK);
    CHECK(vem_hmm_set_update(h, "m") == VEM_EINVAL);
    CHECK(vem_hmm_fit(h, &xc, NULL, &o, &rng, &res) == VEM_EMAXITER);
    CHECK(res.n_violations == 0);
    vem_fit_result_clear(&res);
    CHECK(memcmp(pi0, vem_hmm_startprob(h), sizeof pi0) == 0);
    CHECK(memcmp(a0, vem_hmm_transmat(h), sizeof a0) == 0);
    CHECK(memcmp(b0, vem_hmm_emissionprob(h), sizeof b0) != 0);
    memcpy(b0, vem_hmm_emissionprob(h), sizeof b0);
    CHECK(vem_hmm_set_update(h, "st") == VEM_OK);
    CHECK(vem_hmm_fit(h, &xc, NULL, &o, &rng, &res) == VEM_EMAXITER);
    vem_fit_result_clear(&res);
    CHECK(memcmp(b0, vem_hmm_emissionprob(h), sizeof b0) == 0);
    char buf[8];
    CHECK(strcmp(vem_hmm_update(h, buf), "st") == 0);
    vem_hmm_free(h);

    /* Gaussian, one state, full covariance: means frozen at mu, covariance the scatter about
     * mu over T (+ reg_covar); covariances frozen, means the data mean. */
    const double mu[2] = {0.25, -0.5}, cv[4] = {2.0, 0.3, 0.3, 1.0}, one = 1.0;
    for (int which = 0; which < 2; which++) {
        h = vem_hmm_new(1, VEM_HMM_GAUSSIAN, 2, VEM_COV_FULL);
        CHECK(vem_hmm_set_gaussian(h, mu, cv) == VEM_OK);
        CHECK(vem_hmm_set_startprob(h, &one) == VEM_OK);
        CHECK(vem_hmm_set_update(h, which ? "stm" : "stc") == VEM_OK);
        CHECK(vem_hmm_fit(h, &xg, NULL, &o, &rng, &res) == VEM_EMAXITER);
        CHECK(res.n_violations == 0);
        vem_fit_result_clear(&res);
        double m[2] = {0, 0}, sc[4] = {0, 0, 0, 0};
        for (size_t t = 0; t < T; t++)
            for (size_t i = 0; i < 2; i++)
                m[i] += gx[2 * t + i] / (double)T;
        const double *c = which ? m : mu;
        for (size_t t = 0; t < T; t++)
            for (size_t i = 0; i < 2; i++)
                for (size_t j = 0; j < 2; j++)
                    sc[i * 2 + j] += (gx[2 * t + i] - c[i]) * (gx[2 * t + j] - c[j]) / (double)T;
        if (which) {
            CHECK(memcmp(vem_hmm_covariances(h), cv, sizeof cv) == 0);
            for (size_t i = 0; i < 2; i++)
                CHECK_REL(vem_hmm_means(h)[i], m[i], 1e-12);
        } else {
            CHECK(memcmp(vem_hmm_means(h), mu, sizeof mu) == 0);
            for (size_t i = 0; i < 4; i++)
                CHECK_REL(vem_hmm_covariances(h)[i], sc[i] + (i % 3 == 0 ? 1e-6 : 0.0), 1e-12);
        }
        vem_hmm_free(h);
    }

    /* init_params: the start and transitions set here survive the initialisation. */
    h = vem_hmm_new(2, VEM_HMM_GAUSSIAN, 2, VEM_COV_DIAG);
    const double pi2[2] = {0.8, 0.2}, a2[4] = {0.7, 0.3, 0.4, 0.6};
    CHECK(vem_hmm_set_startprob(h, pi2) == VEM_OK);
    CHECK(vem_hmm_set_transmat(h, a2) == VEM_OK);
    CHECK(vem_hmm_set_init_params(h, "mc") == VEM_OK);
    CHECK(vem_hmm_set_update(h, "mc") == VEM_OK);
    vem_fit_opts oi;
    vem_hmm_fit_opts_init(&oi);
    oi.max_iter = 5;
    CHECK(vem_hmm_fit(h, &xg, NULL, &oi, &rng, &res) == VEM_EMAXITER);
    vem_fit_result_clear(&res);
    CHECK(memcmp(vem_hmm_startprob(h), pi2, sizeof pi2) == 0);
    CHECK(memcmp(vem_hmm_transmat(h), a2, sizeof a2) == 0);
    CHECK(vem_hmm_means(h)[0] != 0.0); /* initialised (k-means), then fitted */
    vem_hmm_free(h);

    /* MAP, one state: emission probabilities (counts + alpha - 1) / (T + M (alpha - 1));
     * Poisson rates (a + sum x) / (b + T); the objective is the log posterior. */
    h = vem_hmm_new(1, VEM_HMM_CATEGORICAL, 4, VEM_COV_FULL);
    vem_hmm_priors pr = {1.0, 1.0, 2.5, 0.0, 0.0};
    CHECK(vem_hmm_set_priors(h, &pr) == VEM_OK);
    pr.lambdas_prior = 1.0;
    CHECK(vem_hmm_set_priors(h, &pr) == VEM_EINVAL);
    pr.lambdas_prior = 0.0;
    pr.transmat = 0.5;
    CHECK(vem_hmm_set_priors(h, &pr) == VEM_EINVAL);
    vem_fit_opts om;
    vem_hmm_fit_opts_init(&om);
    CHECK(vem_hmm_fit(h, &xc, NULL, &om, &rng, &res) == VEM_OK);
    double cnt[4] = {0, 0, 0, 0}, lp = 0.0, ll = 0.0;
    for (size_t t = 0; t < T; t++)
        cnt[(size_t)cx[t]] += 1.0;
    for (size_t j = 0; j < 4; j++) {
        const double p = (cnt[j] + 1.5) / ((double)T + 4 * 1.5);
        CHECK_REL(vem_hmm_emissionprob(h)[j], p, 1e-14);
        lp += 1.5 * log(p);
        ll += cnt[j] * log(p);
    }
    CHECK_REL(vem_hmm_log_prior(h), lp, 1e-13);
    CHECK_REL(res.objective, ll + lp, 1e-13);
    CHECK(res.n_violations == 0);
    vem_fit_result_clear(&res);
    vem_hmm_free(h);
    double px[40];
    for (size_t t = 0; t < T; t++)
        px[t] = cx[t] * 3.0;
    vem_matrix xp = vem_matrix_view(px, T, 1);
    h = vem_hmm_new(1, VEM_HMM_POISSON, 1, VEM_COV_FULL);
    vem_hmm_priors pp = {1.0, 1.0, 1.0, 2.0, 0.5};
    CHECK(vem_hmm_set_priors(h, &pp) == VEM_OK);
    CHECK(vem_hmm_fit(h, &xp, NULL, &om, &rng, &res) == VEM_OK);
    double sx = 0.0;
    for (size_t t = 0; t < T; t++)
        sx += px[t];
    CHECK_REL(vem_hmm_lambdas(h)[0], (2.0 + sx) / (0.5 + (double)T), 1e-14);
    vem_fit_result_clear(&res);
    vem_hmm_free(h);

    /* Three states, Seattle-like symbols: MAP EM increases the log posterior every step. */
    h = tiny_categorical();
    vem_hmm_priors p3 = {2.0, 3.0, 1.5, 0.0, 0.0};
    CHECK(vem_hmm_set_priors(h, &p3) == VEM_OK);
    CHECK(vem_hmm_fit(h, &xc, NULL, &o, &rng, &res) == VEM_EMAXITER);
    CHECK(res.n_violations == 0);
    for (size_t i = 1; i < res.trace_len; i++)
        CHECK(res.trace[i].objective >= res.trace[i - 1].objective - 1e-12);
    vem_fit_result_clear(&res);
    vem_hmm_free(h);
}

/*
 * Gaussian emissions of every covariance type, mclust's 14 included: an HMM whose start
 * and transition rows are uniform and frozen is the mixture with equal weights, so from the
 * same parameters 30 Baum-Welch iterations equal 30 EM iterations of vem_gmm with
 * --equal-weights (log-likelihood to 1e-12, covariances to 1e-9); the model file round
 * trip keeps the type and the score.
 */
static void test_structured_covariances(void)
{
    const size_t n = 300, d = 3, k = 3;
    double *x = malloc(n * d * sizeof *x);
    vem_rng rng;
    vem_rng_seed(&rng, 17);
    for (size_t r = 0; r < n; r++) {
        const size_t c = r % k;
        const double z0 = vem_rng_normal(&rng), z1 = vem_rng_normal(&rng), z2 = vem_rng_normal(&rng);
        x[r * d] = 3.0 * (double)c + (1.0 + c) * z0;
        x[r * d + 1] = -2.0 * (double)c + 0.5 * z1 + 0.4 * (double)c * z0;
        x[r * d + 2] = 0.8 * z2 + 0.3 * z1;
    }
    vem_matrix xm = vem_matrix_view(x, n, d);
    const double pi[3] = {1.0 / 3, 1.0 / 3, 1.0 / 3};
    const double a[9] = {1.0 / 3, 1.0 / 3, 1.0 / 3, 1.0 / 3, 1.0 / 3, 1.0 / 3, 1.0 / 3, 1.0 / 3,
                         1.0 / 3};
    for (int ci = 0; ci < VEM_COV_COUNT; ci++) {
        const vem_cov cov = (vem_cov)ci;
        vem_gmm *g = vem_gmm_new(k, d, cov);
        vem_fit_opts o;
        vem_gmm_fit_opts_init(&o);
        o.max_iter = 2;
        o.tol = 0.0;
        vem_fit_result res;
        vem_rng_seed(&rng, 3);
        vem_gmm_set_equal_weights(g, 1);
        CHECK(vem_gmm_fit(g, &xm, &o, &rng, &res) == VEM_EMAXITER);
        vem_fit_result_clear(&res);
        vem_hmm *h = vem_hmm_new(k, VEM_HMM_GAUSSIAN, d, cov);
        CHECK(h != NULL);
        if (!h) {
            vem_gmm_free(g);
            continue;
        }
        CHECK(vem_hmm_set_gaussian(h, vem_gmm_means(g), vem_gmm_covariances(g)) == VEM_OK);
        CHECK(vem_hmm_set_startprob(h, pi) == VEM_OK);
        CHECK(vem_hmm_set_transmat(h, a) == VEM_OK);
        CHECK(vem_hmm_set_update(h, "mc") == VEM_OK);
        /* A fresh mixture from those parameters: the structured M-steps' inner iterations
         * then start where the HMM's bank does. */
        vem_gmm *g0 = g;
        g = vem_gmm_new(k, d, cov);
        CHECK(vem_gmm_set_params(g, pi, vem_gmm_means(g0), vem_gmm_covariances(g0)) == VEM_OK);
        vem_gmm_set_equal_weights(g, 1);
        vem_gmm_free(g0);
        o.max_iter = 30;
        o.warm_start = 1;
        CHECK(vem_gmm_fit(g, &xm, &o, &rng, &res) == VEM_EMAXITER);
        const double gl = res.objective;
        vem_fit_result_clear(&res);
        vem_fit_opts oh;
        vem_hmm_fit_opts_init(&oh);
        oh.max_iter = 30;
        oh.tol = 0.0;
        oh.warm_start = 1;
        CHECK(vem_hmm_fit(h, &xm, NULL, &oh, &rng, &res) == VEM_EMAXITER);
        /* The HMM's 30th E-step sees the parameters of 29 M-steps, as the mixture's. */
        CHECK_REL(res.objective, gl, 1e-12);
        vem_fit_result_clear(&res);
        const size_t cl = vem_gmm_covariances_len(g);
        CHECK(cl == vem_hmm_covariances_len(h));
        double worst = 0.0;
        for (size_t i = 0; i < cl; i++)
            worst = fmax(worst, fabs(vem_hmm_covariances(h)[i] - vem_gmm_covariances(g)[i]) /
                                    fmax(1.0, fabs(vem_gmm_covariances(g)[i])));
        CHECK(worst < 1e-9);
        /* Free parameters: the mixture's (free weights) less its k - 1 weights, plus the
         * start and the transition rows. */
        vem_gmm *g2 = vem_gmm_new(k, d, cov);
        CHECK(vem_hmm_n_parameters(h) == vem_gmm_n_parameters(g2) + k * (k - 1));
        vem_gmm_free(g2);
        char *json = vem_hmm_to_json(h);
        CHECK(json && strstr(json, vem_cov_name(cov)) != NULL);
        free(json);
        vem_hmm_free(h);
        vem_gmm_free(g);
    }
    free(x);
}

/* Seattle weather, categorical, from REFERENCE.md's initial parameters: 50 iterations. */
static void test_seattle_golden(void)
{
    static const double want[3] = {-1420.713165, -1381.778507, -1347.815589};
    vem_text_table t;
    vem_csv_opts co;
    vem_csv_opts_init(&co);
    co.columns = "weather";
    CHECK(vem_text_table_read(VEM_EXAMPLE_DATA "/seattle-weather.csv", &co, 0, &t) == VEM_OK);
    CHECK(t.rows == 1461 && t.cols == 1);
    double *codes = malloc(t.rows * sizeof *codes);
    char **syms = NULL;
    size_t nsym = 0;
    CHECK(vem_symbols_encode((const char *const *)t.cells, t.rows, NULL, 0, codes, &syms,
                             &nsym) == VEM_OK);
    CHECK(nsym == 5 && strcmp(syms[0], "drizzle") == 0 && strcmp(syms[4], "sun") == 0);
    vem_matrix x = vem_matrix_view(codes, t.rows, 1);
    for (size_t k = 2; k <= 4; k++) {
        char path[512];
        snprintf(path, sizeof path, VEM_GOLDEN "/seattle_k%zu.init.json", k);
        vem_hmm *h = vem_hmm_load(path);
        CHECK(h != NULL);
        if (!h) {
            fprintf(stderr, "%s\n", vem_errmsg());
            continue;
        }
        vem_fit_opts o;
        vem_fit_opts_init(&o);
        o.warm_start = 1;
        o.max_iter = 50;
        o.tol = 0.0;
        vem_fit_result res;
        vem_status st = vem_hmm_fit(h, &x, NULL, &o, NULL, &res);
        CHECK(st == VEM_EMAXITER);
        CHECK(res.n_iter == 50);
        CHECK_REL(res.objective, want[k - 2], 1e-9);
        CHECK(res.n_violations == 0);
        for (size_t i = 1; i < res.trace_len; i++)
            CHECK(res.trace[i].objective >= res.trace[i - 1].objective - 1e-9);
        double total;
        CHECK(vem_hmm_score(h, &x, NULL, NULL, &total) == VEM_OK);
        CHECK(total == res.objective);
        vem_fit_result_clear(&res);
        vem_hmm_free(h);
    }
    vem_symbols_free(syms, nsym);
    free(codes);
    vem_text_table_clear(&t);
}

/* Planted 3-state Gaussian HMM (full covariances), 20 sequences of 1000 frames. */
static void test_planted(void)
{
    vem_hmm *truth = vem_hmm_new(3, VEM_HMM_GAUSSIAN, 2, VEM_COV_FULL);
    double pi[3] = {0.6, 0.3, 0.1};
    double a[9] = {0.9, 0.07, 0.03, 0.05, 0.9, 0.05, 0.1, 0.05, 0.85};
    double mu[6] = {0.0, 0.0, 4.0, 1.5, -2.5, 3.5};
    double cov[12] = {1.0, 0.3, 0.3, 0.5, 0.6, -0.2, -0.2, 0.8, 0.4, 0.0, 0.0, 1.3};
    CHECK(vem_hmm_set_startprob(truth, pi) == VEM_OK);
    CHECK(vem_hmm_set_transmat(truth, a) == VEM_OK);
    CHECK(vem_hmm_set_gaussian(truth, mu, cov) == VEM_OK);
    const size_t nseq = 20, T = 1000, n = nseq * T;
    double *x = malloc(n * 2 * sizeof *x);
    size_t *z = malloc(n * sizeof *z), *lens = malloc(nseq * sizeof *lens);
    vem_rng rng;
    vem_rng_seed(&rng, 7);
    for (size_t s = 0; s < nseq; s++) {
        CHECK(vem_hmm_sample(truth, T, &rng, x + s * T * 2, z + s * T) == VEM_OK);
        lens[s] = T;
    }
    vem_seqs seqs;
    CHECK(vem_seqs_from_lengths(lens, nseq, &seqs) == VEM_OK);
    vem_matrix xm = vem_matrix_view(x, n, 2);
    vem_hmm *h = vem_hmm_new(3, VEM_HMM_GAUSSIAN, 2, VEM_COV_FULL);
    vem_fit_opts o;
    vem_fit_opts_init(&o);
    o.tol = 1e-7;
    o.max_iter = 500;
    vem_fit_result res;
    vem_rng_seed(&rng, 3);
    CHECK(vem_hmm_fit(h, &xm, &seqs, &o, &rng, &res) == VEM_OK);
    CHECK(res.converged && res.n_violations == 0);
    for (size_t i = 1; i < res.trace_len; i++)
        CHECK(res.trace[i].objective >= res.trace[i - 1].objective - 1e-9 * fabs(res.trace[i].objective));
    /* Match fitted states to true ones by nearest mean. */
    size_t map[3];
    for (size_t c = 0; c < 3; c++) {
        size_t bestj = 0;
        double bd = INFINITY;
        for (size_t j = 0; j < 3; j++) {
            double dx = vem_hmm_means(h)[j * 2] - mu[c * 2], dy = vem_hmm_means(h)[j * 2 + 1] - mu[c * 2 + 1];
            if (dx * dx + dy * dy < bd) {
                bd = dx * dx + dy * dy;
                bestj = j;
            }
        }
        map[c] = bestj;
        CHECK(bd < 0.05 * 0.05);
    }
    CHECK(map[0] != map[1] && map[1] != map[2] && map[0] != map[2]);
    double maxa = 0.0;
    for (size_t i = 0; i < 3; i++)
        for (size_t j = 0; j < 3; j++)
            maxa = fmax(maxa, fabs(vem_hmm_transmat(h)[map[i] * 3 + map[j]] - a[i * 3 + j]));
    CHECK(maxa < 0.02);
    /* Viterbi recovers most states. */
    size_t *path = malloc(n * sizeof *path), agree = 0;
    CHECK(vem_hmm_decode(h, &xm, &seqs, path, NULL) == VEM_OK);
    for (size_t t = 0; t < n; t++)
        agree += path[t] == map[z[t]];
    CHECK((double)agree > 0.95 * (double)n);
    double total;
    CHECK(vem_hmm_score(h, &xm, &seqs, NULL, &total) == VEM_OK);
    CHECK(total == res.objective);
    /* BIC/AIC parameter count: 2 + 6 + 3*2 + 3*3 = 23. */
    CHECK(vem_hmm_n_parameters(h) == 23);
    CHECK_REL(vem_hmm_bic(h, total, n), -2.0 * total + 23.0 * log((double)n), 1e-15);
    vem_fit_result_clear(&res);
    free(path);
    vem_hmm_free(h);
    vem_hmm_free(truth);
    vem_seqs_clear(&seqs);
    free(x);
    free(z);
    free(lens);
}

/* One long sequence (inner blocks) and many short ones: 1 and 2 threads give the same bits. */
static void test_threads(void)
{
    vem_hmm *truth = tiny_gaussian();
    const size_t n = 40000;
    double *x = malloc(n * 2 * sizeof *x);
    vem_rng rng;
    vem_rng_seed(&rng, 11);
    CHECK(vem_hmm_sample(truth, n, &rng, x, NULL) == VEM_OK);
    vem_matrix xm = vem_matrix_view(x, n, 2);
    size_t lens[400];
    for (size_t i = 0; i < 400; i++)
        lens[i] = 100;
    vem_seqs many;
    CHECK(vem_seqs_from_lengths(lens, 400, &many) == VEM_OK);
    for (int shape = 0; shape < 2; shape++) {
        const vem_seqs *sq = shape ? &many : NULL;
        double obj[2], params[2][12];
        for (int th = 1; th <= 2; th++) {
            vem_hmm *h = vem_hmm_new(2, VEM_HMM_GAUSSIAN, 2, VEM_COV_FULL);
            vem_hmm_set_trans_init(h, VEM_HMM_TRANS_RANDOM);
            vem_fit_opts o;
            vem_fit_opts_init(&o);
            o.nthreads = th;
            o.max_iter = 5;
            o.tol = 0.0;
            vem_fit_result res;
            vem_rng_seed(&rng, 5);
            CHECK(vem_hmm_fit(h, &xm, sq, &o, &rng, &res) == VEM_EMAXITER);
            obj[th - 1] = res.objective;
            memcpy(params[th - 1], vem_hmm_means(h), 4 * sizeof(double));
            memcpy(params[th - 1] + 4, vem_hmm_transmat(h), 4 * sizeof(double));
            memcpy(params[th - 1] + 8, vem_hmm_covariances(h), 4 * sizeof(double));
            vem_fit_result_clear(&res);
            vem_hmm_free(h);
        }
        CHECK(obj[0] == obj[1]);
        CHECK(memcmp(params[0], params[1], sizeof params[0]) == 0);
    }
    vem_seqs_clear(&many);
    vem_hmm_free(truth);
    free(x);
}

/* A left-right topology: zero starts and transitions stay exactly zero. */
static void test_left_right(void)
{
    vem_hmm *h = vem_hmm_new(3, VEM_HMM_CATEGORICAL, 3, VEM_COV_FULL);
    double pi[3] = {1.0, 0.0, 0.0};
    double a[9] = {0.8, 0.2, 0.0, 0.0, 0.8, 0.2, 0.0, 0.0, 1.0};
    double b[9] = {0.6, 0.3, 0.1, 0.2, 0.6, 0.2, 0.1, 0.3, 0.6};
    CHECK(vem_hmm_set_startprob(h, pi) == VEM_OK);
    CHECK(vem_hmm_set_transmat(h, a) == VEM_OK);
    CHECK(vem_hmm_set_emissionprob(h, b) == VEM_OK);
    double x[60];
    for (size_t i = 0; i < 60; i++)
        x[i] = (double)((i % 20) * 3 / 20 + (i % 7 == 0)) ;
    for (size_t i = 0; i < 60; i++)
        if (x[i] > 2)
            x[i] = 2;
    size_t lens[3] = {20, 20, 20};
    vem_seqs s;
    CHECK(vem_seqs_from_lengths(lens, 3, &s) == VEM_OK);
    vem_matrix xm = vem_matrix_view(x, 60, 1);
    vem_fit_opts o;
    vem_fit_opts_init(&o);
    o.warm_start = 1;
    o.max_iter = 30;
    vem_fit_result res;
    vem_status st = vem_hmm_fit(h, &xm, &s, &o, NULL, &res);
    CHECK(st == VEM_OK || st == VEM_EMAXITER);
    CHECK(vem_hmm_startprob(h)[1] == 0.0 && vem_hmm_startprob(h)[2] == 0.0);
    CHECK(vem_hmm_transmat(h)[2] == 0.0 && vem_hmm_transmat(h)[3] == 0.0);
    CHECK(vem_hmm_transmat(h)[6] == 0.0 && vem_hmm_transmat(h)[7] == 0.0);
    CHECK(vem_hmm_transmat(h)[8] == 1.0);
    CHECK(res.n_violations == 0);
    size_t path[60];
    CHECK(vem_hmm_decode(h, &xm, &s, path, NULL) == VEM_OK);
    int monotone = 1;
    for (size_t t = 1; t < 60; t++)
        if (t % 20)
            monotone &= path[t] >= path[t - 1];
    CHECK(monotone && path[0] == 0);
    vem_fit_result_clear(&res);
    vem_seqs_clear(&s);
    vem_hmm_free(h);
}

/* 64-D Gaussian emissions: densities near e^-100 and below; compare with log space. */
static void test_high_dimension(void)
{
    const size_t k = 3, d = 64, T = 200;
    vem_hmm *h = vem_hmm_new(k, VEM_HMM_GAUSSIAN, d, VEM_COV_DIAG);
    double *mu = malloc(k * d * sizeof *mu), *var = malloc(k * d * sizeof *var);
    double *x = malloc(T * d * sizeof *x);
    vem_rng rng;
    vem_rng_seed(&rng, 21);
    for (size_t i = 0; i < k * d; i++) {
        mu[i] = 3.0 * vem_rng_normal(&rng);
        var[i] = 0.05 + vem_rng_uniform(&rng);
    }
    double pi[3] = {0.2, 0.5, 0.3}, a[9] = {0.8, 0.1, 0.1, 0.2, 0.7, 0.1, 0.0, 0.3, 0.7};
    CHECK(vem_hmm_set_startprob(h, pi) == VEM_OK);
    CHECK(vem_hmm_set_transmat(h, a) == VEM_OK);
    CHECK(vem_hmm_set_gaussian(h, mu, var) == VEM_OK);
    for (size_t i = 0; i < T * d; i++)
        x[i] = 5.0 * vem_rng_normal(&rng); /* far from every state: densities ~ e^-1000 */
    vem_matrix xm = vem_matrix_view(x, T, d);
    double ll;
    CHECK(vem_hmm_score(h, &xm, NULL, NULL, &ll) == VEM_OK);
    /* Log-space forward. */
    double la[3], prev[3], cur[3], v[3];
    for (size_t j = 0; j < k; j++)
        prev[j] = log(pi[j]) + emis_logp(h, x, j);
    for (size_t t = 1; t < T; t++) {
        for (size_t j = 0; j < k; j++) {
            for (size_t i = 0; i < k; i++)
                v[i] = prev[i] + log(a[i * k + j]);
            cur[j] = lse(v, k) + emis_logp(h, x + t * d, j);
        }
        memcpy(prev, cur, sizeof prev);
    }
    (void)la;
    double want = lse(prev, k);
    CHECK(isfinite(ll) && want < -1e5);
    CHECK_REL(ll, want, 1e-12);
    /* The best-fitting state unreachable: state 2 fits every frame by e^1000 or more,
     * but the chain starts in 0 and never enters 2, so each frame's c_t underflows
     * after the max-shift and the frame is redone in log space (forward_rescue). */
    double pi2[3] = {1.0, 0.0, 0.0}, a2[9] = {0.5, 0.5, 0.0, 0.5, 0.5, 0.0, 0.3, 0.3, 0.4};
    CHECK(vem_hmm_set_startprob(h, pi2) == VEM_OK);
    CHECK(vem_hmm_set_transmat(h, a2) == VEM_OK);
    for (size_t t = 0; t < 20; t++)
        for (size_t j = 0; j < d; j++)
            x[t * d + j] = mu[2 * d + j] + 0.1 * vem_rng_normal(&rng);
    xm = vem_matrix_view(x, 20, d);
    CHECK(vem_hmm_score(h, &xm, NULL, NULL, &ll) == VEM_OK);
    for (size_t j = 0; j < k; j++)
        prev[j] = log(pi2[j]) + emis_logp(h, x, j);
    CHECK(emis_logp(h, x, 2) - emis_logp(h, x, 0) > 800.0);
    for (size_t t = 1; t < 20; t++) {
        for (size_t j = 0; j < k; j++) {
            for (size_t i = 0; i < k; i++)
                v[i] = prev[i] + log(a2[i * k + j]);
            cur[j] = lse(v, k) + emis_logp(h, x + t * d, j);
        }
        memcpy(prev, cur, sizeof prev);
    }
    want = lse(prev, k);
    CHECK(isfinite(ll));
    CHECK_REL(ll, want, 1e-12);
    double post[60];
    CHECK(vem_hmm_predict_proba(h, &xm, NULL, post) == VEM_OK);
    CHECK(post[2] == 0.0 && fabs(post[0] + post[1] - 1.0) < 1e-12);
    size_t path[20];
    CHECK(vem_hmm_decode(h, &xm, NULL, path, NULL) == VEM_OK && path[0] == 0 && path[19] != 2);
    vem_hmm_free(h);
    free(mu);
    free(var);
    free(x);
}

static void test_save_load(void)
{
    vem_hmm *h = tiny_gaussian();
    const char *cols[2] = {"a", "b"};
    CHECK(vem_hmm_set_columns(h, cols) == VEM_OK);
    char path[] = "/tmp/vem-hmm-test-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    CHECK(vem_hmm_save(h, path, NULL) == VEM_OK);
    vem_hmm *g = vem_hmm_load(path);
    CHECK(g != NULL);
    if (g) {
        CHECK(memcmp(vem_hmm_means(g), vem_hmm_means(h), 4 * sizeof(double)) == 0);
        CHECK(memcmp(vem_hmm_covariances(g), vem_hmm_covariances(h), 4 * sizeof(double)) == 0);
        CHECK(memcmp(vem_hmm_transmat(g), vem_hmm_transmat(h), 4 * sizeof(double)) == 0);
        CHECK(strcmp(vem_hmm_columns(g)[1], "b") == 0);
        vem_hmm_free(g);
    }
    char model[16];
    CHECK(vem_model_file_kind(path, model, sizeof model) == VEM_OK && strcmp(model, "hmm") == 0);
    FILE *fp = fopen(path, "w");
    fputs("{\"format\": \"vem-model\", \"version\": 1, \"model\": \"hmm\", \"emission\": "
          "\"categorical\", \"n_states\": 2, \"n_symbols\": 2, \"startprob\": [0.5, 0.5], "
          "\"transmat\": [[0.5, 0.6], [0.5, 0.5]], \"emissionprob\": [[1, 0], [0, 1]]}\n", fp);
    fclose(fp);
    CHECK(vem_hmm_load(path) == NULL);
    CHECK(strstr(vem_errmsg(), "transmat") != NULL);
    /* Shapes are checked by the model files' shared readers, with their messages. */
    fp = fopen(path, "w");
    fputs("{\"format\": \"vem-model\", \"version\": 1, \"model\": \"hmm\", \"emission\": "
          "\"categorical\", \"n_states\": 2, \"n_symbols\": 2, \"startprob\": [0.5, 0.5], "
          "\"transmat\": [[0.5, 0.5], [1]], \"emissionprob\": [[1, 0], [0, 1]]}\n", fp);
    fclose(fp);
    CHECK(vem_hmm_load(path) == NULL);
    CHECK(strstr(vem_errmsg(), "key 'transmat': expected 2 arrays of 2 numbers, row 2 has 1"));
    fp = fopen(path, "w");
    fputs("{\"format\": \"vem-model\", \"version\": 1, \"model\": \"hmm\", \"emission\": "
          "\"categorical\", \"n_states\": 0, \"n_symbols\": 2}\n", fp);
    fclose(fp);
    CHECK(vem_hmm_load(path) == NULL);
    CHECK(strstr(vem_errmsg(), "key 'n_states': expected a positive integer"));
    fp = fopen(path, "w");
    fputs("{\"format\": \"vem-model\", \"version\": 1, \"model\": \"gmm\"}\n", fp);
    fclose(fp);
    CHECK(vem_hmm_load(path) == NULL);
    CHECK(strstr(vem_errmsg(), "key 'model': expected \"hmm\", got \"gmm\""));
    remove(path);
    CHECK(vem_hmm_load(NULL) == NULL && strstr(vem_errmsg(), "vem_hmm_load: path is NULL"));
    CHECK(vem_hmm_load("/nonexistent/model.json") == NULL);
    vem_hmm_free(h);
}

static void test_errors(void)
{
    CHECK(vem_hmm_new(0, VEM_HMM_CATEGORICAL, 3, VEM_COV_FULL) == NULL);
    CHECK(strstr(vem_errmsg(), "k=0") != NULL);
    /* Gaussian emissions take every covariance type (test_structured_covariances). */
    CHECK(vem_hmm_new(2, VEM_HMM_GAUSSIAN, 2, (vem_cov)VEM_COV_COUNT) == NULL);
    CHECK(strstr(vem_errmsg(), "a covariance type") != NULL);
    vem_hmm *h = tiny_categorical();
    double bad[3] = {0, 4, 1};
    vem_matrix x = vem_matrix_view(bad, 3, 1);
    double ll;
    CHECK(vem_hmm_score(h, &x, NULL, NULL, &ll) == VEM_EINVAL);
    CHECK(strstr(vem_errmsg(), "row 2") != NULL);
    double pi[3] = {0.5, 0.6, 0.1};
    CHECK(vem_hmm_set_startprob(h, pi) == VEM_EINVAL);
    CHECK(vem_hmm_set_init(h, VEM_HMM_INIT_KMEANS) == VEM_EINVAL);
    double ok[3] = {0, 1, 2};
    size_t lens[2] = {1, 1};
    vem_seqs s;
    CHECK(vem_seqs_from_lengths(lens, 2, &s) == VEM_OK);
    x = vem_matrix_view(ok, 3, 1);
    CHECK(vem_hmm_score(h, &x, &s, NULL, &ll) == VEM_EINVAL);
    vem_seqs_clear(&s);
    const char *ids[5] = {"a", "a", "b", "a", "c"};
    CHECK(vem_seqs_from_ids(ids, 5, "f.csv", &s) == VEM_EFORMAT);
    CHECK(strstr(vem_errmsg(), "row 4") != NULL);
    const char *ids2[5] = {"a", "a", "b", "c", "c"};
    CHECK(vem_seqs_from_ids(ids2, 5, "f.csv", &s) == VEM_OK);
    CHECK(s.n_seq == 3 && s.start[1] == 2 && s.start[2] == 3 && s.start[3] == 5);
    vem_seqs_clear(&s);
    CHECK(vem_seqs_read_lengths("/nonexistent/lengths", 0, &s) == VEM_EIO);
    /* A zero-probability sequence: the emission matrix forbids symbol 3 in every state. */
    double b[12] = {0.5, 0.5, 0, 0, 0.5, 0.5, 0, 0, 0.5, 0.5, 0, 0};
    CHECK(vem_hmm_set_emissionprob(h, b) == VEM_OK);
    double z[2] = {0, 3};
    size_t path[2];
    x = vem_matrix_view(z, 2, 1);
    CHECK(vem_hmm_decode(h, &x, NULL, path, NULL) == VEM_ENUMERIC);
    /* Its score is no number: VEM_ENUMERIC naming the sequence (issue 15). */
    CHECK(vem_hmm_score(h, &x, NULL, NULL, &ll) == VEM_ENUMERIC);
    CHECK(strstr(vem_errmsg(), "sequence 1 has probability zero") != NULL);
    vem_hmm_free(h);
}

/* Stepwise and incremental EM run on sequences through the same model. */
static void test_online(void)
{
    vem_hmm *truth = tiny_gaussian();
    const size_t n = 6000;
    double *x = malloc(n * 2 * sizeof *x);
    vem_rng rng;
    vem_rng_seed(&rng, 17);
    CHECK(vem_hmm_sample(truth, n, &rng, x, NULL) == VEM_OK);
    size_t lens[60];
    for (size_t i = 0; i < 60; i++)
        lens[i] = 100;
    vem_seqs s;
    CHECK(vem_seqs_from_lengths(lens, 60, &s) == VEM_OK);
    vem_matrix xm = vem_matrix_view(x, n, 2);
    double ll[3];
    for (int alg = 0; alg < 3; alg++) {
        vem_hmm *h = vem_hmm_new(2, VEM_HMM_GAUSSIAN, 2, VEM_COV_TIED);
        vem_fit_opts o;
        vem_fit_opts_init(&o);
        o.algorithm = (vem_algorithm)alg;
        o.batch_size = 10;
        o.n_blocks = 6;
        o.max_iter = 30;
        o.tol = 1e-6;
        vem_fit_result res;
        vem_rng_seed(&rng, 2);
        vem_status st = vem_hmm_fit(h, &xm, &s, &o, &rng, &res);
        CHECK(st == VEM_OK || st == VEM_EMAXITER);
        if (alg != VEM_ALG_STEPWISE)
            CHECK(res.n_violations == 0);
        ll[alg] = res.objective;
        vem_fit_result_clear(&res);
        vem_hmm_free(h);
    }
    CHECK_REL(ll[1], ll[0], 1e-3);
    CHECK_REL(ll[2], ll[0], 1e-6);
    vem_seqs_clear(&s);
    vem_hmm_free(truth);
    free(x);
}

/* Lengths files, quoted text cells, given symbol lists, copies. */
static void test_readers(void)
{
    char path[] = "/tmp/vem-hmm-readers-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    FILE *fp = fopen(path, "w");
    fputs("# lengths\n3\n\n  2 \n", fp);
    fclose(fp);
    vem_seqs s;
    CHECK(vem_seqs_read_lengths(path, 5, &s) == VEM_OK);
    CHECK(s.n_seq == 2 && s.start[1] == 3 && s.start[2] == 5);
    vem_seqs_clear(&s);
    CHECK(vem_seqs_read_lengths(path, 6, &s) == VEM_EFORMAT);
    CHECK(strstr(vem_errmsg(), "6 rows") != NULL);
    fp = fopen(path, "w");
    fputs("3\nx\n", fp);
    fclose(fp);
    CHECK(vem_seqs_read_lengths(path, 0, &s) == VEM_EFORMAT);
    CHECK(strstr(vem_errmsg(), ":2:") != NULL);
    fp = fopen(path, "w");
    fputs("id;\"sym\"\r\n1; \"a;b\" \r\n2;\"say \"\"hi\"\"\"\r\n3;c\r\n", fp);
    fclose(fp);
    vem_text_table t;
    vem_csv_opts co;
    vem_csv_opts_init(&co);
    co.columns = "sym";
    CHECK(vem_text_table_read(path, &co, 0, &t) == VEM_OK);
    CHECK(t.rows == 3 && t.cols == 1 && strcmp(t.names[0], "sym") == 0);
    if (t.rows == 3) {
        CHECK(strcmp(t.cells[0], "a;b") == 0);
        CHECK(strcmp(t.cells[1], "say \"hi\"") == 0);
        const char *syms[3] = {"c", "say \"hi\"", "a;b"};
        double codes[3];
        CHECK(vem_symbols_encode((const char *const *)t.cells, 3, syms, 3, codes, NULL, NULL) ==
              VEM_OK);
        CHECK(codes[0] == 2 && codes[1] == 1 && codes[2] == 0);
        const char *two[2] = {"c", "a;b"};
        CHECK(vem_symbols_encode((const char *const *)t.cells, 3, two, 2, codes, NULL, NULL) ==
              VEM_EFORMAT);
        CHECK(strstr(vem_errmsg(), "row 2") != NULL);
    }
    vem_text_table_clear(&t);
    co.columns = "nosuch";
    CHECK(vem_text_table_read(path, &co, 0, &t) == VEM_EFORMAT);
    CHECK(strstr(vem_errmsg(), "nosuch") != NULL);
    fp = fopen(path, "w");
    fputs("a,b\n1,2\n3\n", fp);
    fclose(fp);
    vem_csv_opts_init(&co);
    CHECK(vem_text_table_read(path, &co, 0, &t) == VEM_EFORMAT);
    CHECK(strstr(vem_errmsg(), ":3:") != NULL);
    remove(path);
    vem_hmm *h = tiny_categorical(), *c = vem_hmm_copy(h);
    CHECK(c != NULL && memcmp(vem_hmm_transmat(c), vem_hmm_transmat(h), 9 * sizeof(double)) == 0);
    vem_hmm_free(c);
    vem_hmm_free(h);
}

/* Gaussian-mixture emissions: brute force, a fit, threads, the model file. */
static void test_mixture_emissions(void)
{
    vem_hmm *h = vem_hmm_new_gmm(2, VEM_HMM_GMM, 2, 2, VEM_COV_DIAG);
    CHECK(h != NULL && vem_hmm_n_mix(h) == 2);
    double pi[2] = {0.4, 0.6}, a[4] = {0.8, 0.2, 0.35, 0.65};
    double w0[2] = {0.3, 0.7}, m0[4] = {0.0, 0.0, 1.5, -1.0}, v0[4] = {1.0, 0.5, 0.3, 0.8};
    double w1[2] = {0.55, 0.45}, m1[4] = {3.0, 2.0, 2.2, 3.1}, v1[4] = {0.6, 0.9, 1.4, 0.2};
    CHECK(vem_hmm_set_startprob(h, pi) == VEM_OK);
    CHECK(vem_hmm_set_transmat(h, a) == VEM_OK);
    CHECK(vem_hmm_set_state_mixture(h, 0, w0, m0, v0) == VEM_OK);
    CHECK(vem_hmm_set_state_mixture(h, 1, w1, m1, v1) == VEM_OK);
    CHECK(vem_hmm_set_state_mixture(h, 2, w1, m1, v1) == VEM_EINVAL);
    double gx[12] = {0.1, -0.4, 2.9, 2.2, 1.3, -1.2, 2.5, 2.9, 0.2, 0.3, 3.3, 1.8};
    vem_matrix x = vem_matrix_view(gx, 6, 2);
    double ll, lp, b_lp, post[12], bpost[12];
    size_t path[6], best[6];
    CHECK(vem_hmm_score(h, &x, NULL, NULL, &ll) == VEM_OK);
    CHECK(vem_hmm_decode(h, &x, NULL, path, &lp) == VEM_OK);
    CHECK(vem_hmm_predict_proba(h, &x, NULL, post) == VEM_OK);
    double want = brute(h, gx, 2, 6, best, &b_lp, bpost);
    CHECK_REL(ll, want, 1e-13);
    CHECK_REL(lp, b_lp, 1e-13);
    int same = 1;
    for (size_t t = 0; t < 6; t++)
        same &= path[t] == best[t];
    CHECK(same);
    double maxdiff = 0.0;
    for (size_t i = 0; i < 12; i++)
        maxdiff = fmax(maxdiff, fabs(post[i] - bpost[i]));
    CHECK(maxdiff < 1e-14);
    /* A fit on data from h: monotone, score = fit, 1 thread = 2 threads. */
    const size_t n = 20000;
    double *xs = malloc(n * 2 * sizeof *xs);
    vem_rng rng;
    vem_rng_seed(&rng, 31);
    CHECK(vem_hmm_sample(h, n, &rng, xs, NULL) == VEM_OK);
    vem_matrix xm = vem_matrix_view(xs, n, 2);
    double obj[2];
    for (int th = 1; th <= 2; th++) {
        vem_hmm *g = vem_hmm_new_gmm(2, VEM_HMM_GMM, 2, 2, VEM_COV_DIAG);
        vem_fit_opts o;
        vem_fit_opts_init(&o);
        o.nthreads = th;
        o.max_iter = 30;
        o.tol = 0.0;
        vem_fit_result res;
        vem_rng_seed(&rng, 8);
        vem_status st = vem_hmm_fit(g, &xm, NULL, &o, &rng, &res);
        CHECK(st == VEM_EMAXITER);
        CHECK(res.n_violations == 0);
        obj[th - 1] = res.objective;
        double total;
        CHECK(vem_hmm_score(g, &xm, NULL, NULL, &total) == VEM_OK);
        CHECK(total == res.objective);
        CHECK(vem_hmm_n_parameters(g) == 1 + 2 + 2 * (1 + 4 + 4));
        if (th == 2) {
            char path2[] = "/tmp/vem-hmm-gmm-XXXXXX";
            int fd = mkstemp(path2);
            CHECK(fd >= 0);
            CHECK(vem_hmm_save(g, path2, &res) == VEM_OK);
            vem_hmm *l = vem_hmm_load(path2);
            CHECK(l != NULL);
            if (l) {
                double t2;
                CHECK(vem_hmm_n_mix(l) == 2 && vem_hmm_emission_type(l) == VEM_HMM_GMM);
                CHECK(memcmp(vem_gmm_means(vem_hmm_state_mixture(l, 1)),
                             vem_gmm_means(vem_hmm_state_mixture(g, 1)), 4 * sizeof(double)) == 0);
                CHECK(vem_hmm_score(l, &xm, NULL, NULL, &t2) == VEM_OK);
                CHECK_REL(t2, total, 1e-12);
                vem_hmm_free(l);
            }
            remove(path2);
        }
        vem_fit_result_clear(&res);
        vem_hmm_free(g);
    }
    CHECK(obj[0] == obj[1]);
    free(xs);
    vem_hmm_free(h);
}

int main(void)
{
    test_brute_force();
    test_seattle_golden();
    test_planted();
    test_threads();
    test_left_right();
    test_high_dimension();
    test_save_load();
    test_errors();
    test_online();
    test_readers();
    test_mixture_emissions();
    test_count_emissions();
    test_posteriors_internal();
    test_frames_map_start();
    test_freeze_priors();
    test_structured_covariances();
    return check_report("hmm");
}
