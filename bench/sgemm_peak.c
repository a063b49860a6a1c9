/*
 * bench/sgemm_peak.c — the machine's SGEMM rate through OpenBLAS at the VAE's shapes,
 * and the VAE's compute floor per epoch, for bench/bench_vae.sh (issue 16).
 * Prints one JSON object.
 *
 *   cc -O2 bench/sgemm_peak.c -o sgemm_peak -lopenblas
 *   ./sgemm_peak [N_TRAIN [BATCH [D H Z]]]     (defaults 60000 128 784 400 20)
 *
 * The GEMMs of one training step of the 784-400-20 VAE on a batch of B images
 * (encoder D->H->2Z, decoder Z->H->D, one draw per image), as m x n x k products
 * (row-major view, "A^T B" where the batch is the inner dimension):
 *   forward   x W1: B x H x D     h1 W2: B x 2Z x H     z W3: B x H x Z     h3 W4: B x D x H
 *   weights   dW1: D x H x B      dW2: H x 2Z x B       dW3: Z x H x B      dW4: H x D x B
 *   inputs    dh1: B x H x 2Z     dz: B x Z x H         dh3: B x H x D      (no dx)
 * FLOPs = 2 m n k each; per image 2 (2 (DH + 2ZH + ZH + HD) + (2ZH + ZH + HD)),
 * 3.28 MFLOP for 784-400-20, so 196.8 GFLOP per epoch of 60,000 images. Bias adds,
 * activations, the likelihood and Adam are not counted (O(B (D + H)) and O(params)).
 *
 * Each shape is timed as the best of 7 runs of a loop lasting about 50 ms, with 1 and 2
 * OpenBLAS threads (openblas_set_num_threads); "floor_seconds_per_epoch" is
 * sum over shapes of (FLOPs of the shape per epoch / its measured rate): the time the
 * GEMMs alone take through OpenBLAS at these shapes. "floor_peak_seconds_per_epoch"
 * divides the epoch's FLOPs by the large square rate (N = 2000) instead.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void sgemm_(const char *ta, const char *tb, const int *m, const int *n, const int *k,
            const float *alpha, const float *a, const int *lda, const float *b, const int *ldb,
            const float *beta, float *c, const int *ldc);
void openblas_set_num_threads(int n);

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

struct shape {
    const char *name;
    int m, n, k;
    int trans_a; /* A stored k x m and transposed (weight gradients) */
};

static float *buf(size_t n)
{
    float *p = malloc(n * sizeof *p);
    if (!p) {
        fprintf(stderr, "sgemm_peak: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < n; i++)
        p[i] = (float)(i % 7) * 0.25f - 0.5f;
    return p;
}

/* GFLOP/s of C (m x n, column-major) = op(A) B, best of 7 timed loops. */
static double rate(const struct shape *s)
{
    const float one = 1.0f, zero = 0.0f;
    int m = s->m, n = s->n, k = s->k;
    float *a = buf((size_t)m * k), *b = buf((size_t)k * n), *c = buf((size_t)m * n);
    int lda = s->trans_a ? k : m;
    double flops = 2.0 * m * n * k;
    /* calibrate the repetitions to about 50 ms */
    int reps = 1;
    for (;;) {
        double t0 = now();
        for (int r = 0; r < reps; r++)
            sgemm_(s->trans_a ? "T" : "N", "N", &m, &n, &k, &one, a, &lda, b, &k, &zero, c, &m);
        double t = now() - t0;
        if (t > 0.05 || reps > (1 << 24))
            break;
        reps *= 2;
    }
    double best = 1e300;
    for (int rep = 0; rep < 7; rep++) {
        double t0 = now();
        for (int r = 0; r < reps; r++)
            sgemm_(s->trans_a ? "T" : "N", "N", &m, &n, &k, &one, a, &lda, b, &k, &zero, c, &m);
        double t = (now() - t0) / reps;
        if (t < best)
            best = t;
    }
    free(a);
    free(b);
    free(c);
    return flops / best / 1e9;
}

char *openblas_get_corename(void);

int main(int argc, char **argv)
{
    /* "sgemm_peak core": the kernel set OpenBLAS chose (bench_vae.sh checks it). */
    if (argc == 2 && strcmp(argv[1], "core") == 0) {
        printf("%s\n", openblas_get_corename());
        return 0;
    }
    int ntrain = argc > 1 ? atoi(argv[1]) : 60000;
    int bsz = argc > 2 ? atoi(argv[2]) : 128;
    int d = argc > 3 ? atoi(argv[3]) : 784;
    int h = argc > 4 ? atoi(argv[4]) : 400;
    int z = argc > 5 ? atoi(argv[5]) : 20;
    if (ntrain <= 0 || bsz <= 0 || d <= 0 || h <= 0 || z <= 0) {
        fprintf(stderr, "usage: sgemm_peak [N_TRAIN [BATCH [D H Z]]]\n");
        return 1;
    }
    /* column-major m x n x k: C(m x n) = A(m x k) B(k x n); the row-major step
     * Y(B x out) = X(B x in) W(in x out) is Y^T = W^T X^T, i.e. m = out, n = B, k = in */
    struct shape sh[] = {
        {"fwd x.W1", h, bsz, d, 0},      {"fwd h1.W2", 2 * z, bsz, h, 0},
        {"fwd z.W3", h, bsz, z, 0},      {"fwd h3.W4", d, bsz, h, 0},
        {"grad W1", h, d, bsz, 0},       {"grad W2", 2 * z, h, bsz, 0},
        {"grad W3", h, z, bsz, 0},       {"grad W4", d, h, bsz, 0},
        {"back dh1", h, bsz, 2 * z, 1},  {"back dz", z, bsz, h, 1},
        {"back dh3", h, bsz, d, 1},
    };
    int ns = (int)(sizeof sh / sizeof sh[0]);
    double flops_image = 0.0;
    for (int i = 0; i < ns; i++)
        flops_image += 2.0 * sh[i].m * sh[i].n * sh[i].k / bsz;
    double flops_epoch = flops_image * ntrain;
    struct shape sq = {"square 2000", 2000, 2000, 2000, 0};

    printf("{\"n_train\": %d, \"batch\": %d, \"d\": %d, \"hidden\": %d, \"latent\": %d,\n"
           " \"flops_per_image_step\": %.0f, \"gflop_per_epoch\": %.3f,\n",
           ntrain, bsz, d, h, z, flops_image, flops_epoch / 1e9);
    for (int th = 1; th <= 2; th++) {
        openblas_set_num_threads(th);
        double floor = 0.0;
        printf(" \"threads_%d\": {\"shapes\": [", th);
        for (int i = 0; i < ns; i++) {
            double g = rate(&sh[i]);
            double f_epoch = 2.0 * sh[i].m * sh[i].n * sh[i].k / bsz * ntrain;
            floor += f_epoch / (g * 1e9);
            printf("%s{\"name\": \"%s\", \"m\": %d, \"n\": %d, \"k\": %d, \"gflops\": %.2f}",
                   i ? ", " : "", sh[i].name, sh[i].m, sh[i].n, sh[i].k, g);
        }
        double gsq = rate(&sq);
        printf("],\n   \"gflops_square_2000\": %.2f, \"gflops_vae_shapes\": %.2f,"
               " \"floor_seconds_per_epoch\": %.4f, \"floor_peak_seconds_per_epoch\": %.4f}%s\n",
               gsq, flops_epoch / floor / 1e9, floor, flops_epoch / (gsq * 1e9),
               th == 1 ? "," : "");
    }
    printf("}\n");
    return 0;
}
