/*
 * examples/fit_gmm.c — fit a two-component Gaussian mixture to a CSV file.
 *
 *     example_fit_gmm examples/data/faithful.csv
 *
 * Reads every column of the file as a feature, fits K = 2 components with full
 * covariances by EM, and prints the weights, the means and the log-likelihood.
 */
#include <stdio.h>

#include <vem/vem.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s data.csv\n", argv[0]);
        return 2;
    }

    /* Read the table: header and delimiter are detected. */
    vem_csv_opts copts;
    vem_csv_opts_init(&copts);
    vem_table t = {0};
    vem_status s = vem_csv_read(argv[1], &copts, &t);
    if (s != VEM_OK) {
        fprintf(stderr, "%s: %s\n", vem_strerror(s), vem_errmsg());
        return 1;
    }

    vem_gmm *g = vem_gmm_new(2, t.cols, VEM_COV_FULL);
    if (!g) {
        fprintf(stderr, "%s\n", vem_errmsg());
        vem_table_clear(&t);
        return 1;
    }

    /* Default options: k-means initialisation, up to 100 EM iterations. */
    vem_fit_opts fopts;
    vem_fit_opts_init(&fopts);
    vem_rng rng;
    vem_rng_seed(&rng, 1);
    vem_fit_result res = {0};
    vem_matrix x = vem_table_matrix(&t);
    s = vem_gmm_fit(g, &x, &fopts, &rng, &res);
    if (s != VEM_OK && s != VEM_EMAXITER) { /* VEM_EMAXITER: not converged, but usable */
        fprintf(stderr, "fit failed: %s: %s\n", vem_strerror(s), vem_errmsg());
        vem_gmm_free(g);
        vem_table_clear(&t);
        return 1;
    }

    size_t k = vem_gmm_k(g), d = vem_gmm_d(g);
    const double *w = vem_gmm_weights(g), *mu = vem_gmm_means(g);
    printf("%zu rows, %zu columns, %s after %zu iterations\n", t.rows, t.cols,
           res.converged ? "converged" : "not converged", res.n_iter);
    for (size_t j = 0; j < k; j++) {
        printf("component %zu: weight %.4f, mean", j + 1, w[j]);
        for (size_t c = 0; c < d; c++)
            printf(" %s=%.4f", t.names[c], mu[j * d + c]);
        printf("\n");
    }
    printf("log-likelihood %.4f (%.6f per row)\n", res.objective, res.objective / res.n_obs);

    vem_fit_result_clear(&res);
    vem_gmm_free(g);
    vem_table_clear(&t);
    return 0;
}
