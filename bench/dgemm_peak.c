/*
 * bench/dgemm_peak.c — the machine's DGEMM rate through OpenBLAS, for the
 * roofline line of bench/bench_speed.sh. Prints one JSON line.
 *
 *   cc -O2 bench/dgemm_peak.c -o dgemm_peak -lopenblas
 *   ./dgemm_peak [N]          (default N = 2000; best of 5 runs per thread count)
 *
 * Times C = A B for square N x N matrices, single-threaded and with 2 threads
 * (openblas_set_num_threads), and reports GFLOP/s = 2 N^3 / seconds.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

void dgemm_(const char *ta, const char *tb, const int *m, const int *n, const int *k,
            const double *alpha, const double *a, const int *lda, const double *b, const int *ldb,
            const double *beta, double *c, const int *ldc);
void openblas_set_num_threads(int n);

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double rate(int n, const double *a, const double *b, double *c)
{
    const double one = 1.0, zero = 0.0;
    double best = 1e300;
    for (int rep = 0; rep < 5; rep++) {
        double t0 = now();
        dgemm_("N", "N", &n, &n, &n, &one, a, &n, b, &n, &zero, c, &n);
        double t = now() - t0;
        if (t < best)
            best = t;
    }
    return 2.0 * (double)n * n * n / best / 1e9;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 2000;
    size_t nn = (size_t)n * (size_t)n;
    double *a = malloc(nn * sizeof *a), *b = malloc(nn * sizeof *b), *c = malloc(nn * sizeof *c);
    if (!a || !b || !c)
        return 1;
    for (size_t i = 0; i < nn; i++) {
        a[i] = (double)(i % 7) * 0.25 - 0.5;
        b[i] = (double)(i % 5) * 0.125 + 0.3;
    }
    openblas_set_num_threads(1);
    double g1 = rate(n, a, b, c);
    openblas_set_num_threads(2);
    double g2 = rate(n, a, b, c);
    printf("{\"n\": %d, \"gflops_1_thread\": %.2f, \"gflops_2_threads\": %.2f}\n", n, g1, g2);
    free(a);
    free(b);
    free(c);
    return 0;
}
