/*
 * examples/fit_hmm.c — three weather regimes in Seattle: a categorical HMM.
 *
 *     example_fit_hmm examples/data/seattle-weather.csv
 *
 * Reads the `weather` column (drizzle, fog, rain, snow, sun) as symbols, fits
 * a 3-state hidden Markov model by Baum-Welch, prints the transition matrix and
 * each state's most likely weather, and the Viterbi path of the first 60 days.
 */
#include <stdio.h>
#include <stdlib.h>

#include <vem/vem.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s seattle-weather.csv\n", argv[0]);
        return 2;
    }
    vem_csv_opts copts;
    vem_csv_opts_init(&copts);
    copts.columns = "weather";
    vem_text_table t = {0};
    vem_status s = vem_text_table_read(argv[1], &copts, 0, &t);
    if (s != VEM_OK) {
        fprintf(stderr, "%s\n", vem_errmsg());
        return 1;
    }
    /* Symbol names to codes 0 .. M-1 (sorted names). */
    double *codes = malloc(t.rows * sizeof *codes);
    size_t *path = malloc(t.rows * sizeof *path);
    char **symbols = NULL;
    size_t m = 0;
    if (!codes || !path ||
        vem_symbols_encode((const char *const *)t.cells, t.rows, NULL, 0, codes, &symbols, &m) !=
            VEM_OK) {
        fprintf(stderr, "encoding failed: %s\n", vem_errmsg());
        return 1;
    }
    const size_t k = 3;
    vem_hmm *h = vem_hmm_new(k, VEM_HMM_CATEGORICAL, m, VEM_COV_FULL);
    vem_fit_opts fopts;
    vem_fit_opts_init(&fopts);
    fopts.tol = 1e-6;
    fopts.max_iter = 500;
    fopts.n_init = 5;
    vem_rng rng;
    vem_rng_seed(&rng, 1);
    vem_fit_result res = {0};
    vem_matrix x = vem_matrix_view(codes, t.rows, 1);
    s = h ? vem_hmm_fit(h, &x, NULL, &fopts, &rng, &res) : VEM_ENOMEM;
    if (s != VEM_OK && s != VEM_EMAXITER) {
        fprintf(stderr, "fit failed: %s: %s\n", vem_strerror(s), vem_errmsg());
        return 1;
    }
    printf("%zu days, log-likelihood %.6f after %zu iterations\n", t.rows, res.objective,
           res.n_iter);
    const double *a = vem_hmm_transmat(h), *b = vem_hmm_emissionprob(h);
    for (size_t i = 0; i < k; i++) {
        size_t top = 0;
        for (size_t j = 1; j < m; j++)
            top = b[i * m + j] > b[i * m + top] ? j : top;
        printf("state %zu (mostly %s, %.0f%%): stays with probability %.3f\n", i, symbols[top],
               100.0 * b[i * m + top], a[i * k + i]);
    }
    if (vem_hmm_decode(h, &x, NULL, path, NULL) == VEM_OK) {
        printf("first 60 days:");
        for (size_t d = 0; d < 60 && d < t.rows; d++)
            printf("%s%zu", d % 10 ? "" : " ", path[d]);
        printf("\n");
    }
    vem_fit_result_clear(&res);
    vem_hmm_free(h);
    vem_symbols_free(symbols, m);
    free(codes);
    free(path);
    vem_text_table_clear(&t);
    return 0;
}
