/*
 * examples/linkage.c — the genetic linkage example of docs/mcem.md: exact EM, Monte-Carlo
 * EM, stochastic EM and classification EM on one model written on the public interface
 * (examples/linkage.h).
 *
 *   example_linkage [m]      (m: MCEM's draws per animal, default 10000)
 *
 * Prints theta after each algorithm and its distance to the closed-form MLE; exits 1 when
 * exact EM misses it by more than 1e-12 or MCEM by more than 3e-4.
 */
#include <stdio.h>
#include <stdlib.h>

#include "linkage.h"

static double run(vem_algorithm alg, size_t m, size_t iters, size_t average_from)
{
    double theta;
    vem_fit_result res;
    vem_status st = linkage_fit(alg, m, VEM_MC_FIXED, iters, average_from, 1, 0, &theta, &res);
    if (st != VEM_OK && st != VEM_EMAXITER) {
        fprintf(stderr, "linkage: %s: %s\n", vem_algorithm_name(alg), vem_errmsg());
        exit(2);
    }
    printf("%-5s m=%-6zu iterations %-4zu theta %.10f  (MLE %+.2e)\n", vem_algorithm_name(alg),
           res.mc_samples, res.n_iter, theta, theta - LINKAGE_MLE);
    vem_fit_result_clear(&res);
    return theta;
}

int main(int argc, char **argv)
{
    const size_t m = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 10000;
    const double em = run(VEM_ALG_BATCH, 0, 40, 0);
    const double mcem = run(VEM_ALG_MCEM, m, 30, 0);
    run(VEM_ALG_MCEM, m, 30, 11);
    run(VEM_ALG_SEM, 1, 400, 51);
    run(VEM_ALG_CEM, 0, 5, 0);
    return fabs(em - LINKAGE_MLE) < 1e-12 && fabs(mcem - LINKAGE_MLE) < 3e-4 ? 0 : 1;
}
