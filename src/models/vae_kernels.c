/*
 * src/models/vae_kernels.c — the VAE's elementwise kernels (vae_kernels.h).
 *
 * As src/linalg/vexp.c does for double, this file redeclares expf, log1pf and
 * tanhf with `omp declare simd` and is compiled with -fopenmp-simd
 * -fno-math-errno (CMakeLists.txt), so the loops call glibc's libmvec (8-wide
 * in the x86-64-v3 clone): scalar log1pf alone costs 17 % of an epoch.
 * No -ffast-math: softplus and sigmoid are written in their stable forms,
 * through t = exp(-|a|) in (0, 1].
 */
#include "models/vae_kernels.h"

#include <math.h>

#include "linalg/linalg.h"

#if defined(__x86_64__) && defined(__GLIBC__) && !defined(VEM_VAE_DOUBLE)
#pragma omp declare simd notinbranch
float expf(float x);
#pragma omp declare simd notinbranch
float log1pf(float x);
#pragma omp declare simd notinbranch
float tanhf(float x);
#define VAE_CLONES __attribute__((target_clones("default", "arch=x86-64-v3")))
#else
#define VAE_CLONES
#endif

#ifdef VEM_VAE_DOUBLE
#define EXP exp
#define FABS fabs
#define LOG1P log1p
#define TANH tanh
#else
#define EXP expf
#define FABS fabsf
#define TANH tanhf
#if defined(__clang__)
/* Clang 14 maps expf and logf to libmvec (-fveclib=libmvec), not log1pf or tanhf. Here
 * log1p's argument is t = exp(-|a|) in (0, 1], where logf(1 + t) is off by at most an
 * ulp of 1 (6e-8), absolute, in a term added to max(a, 0) or summed over d numbers. */
#define LOG1P(t) logf(1 + (t))
#else
#define LOG1P log1pf
#endif
#endif

/* The loops' simd directives: none in the double build (the gradient test, compiled
 * without the vector math options), none for tanhf with clang (no libmvec mapping:
 * clang would fail -Werror with "loop not vectorized"). */
#if defined(VEM_VAE_DOUBLE)
#define SIMD
#define SIMD_TANH
#elif defined(__clang__)
#define SIMD _Pragma("omp simd")
#define SIMD_TANH
#else
#define SIMD _Pragma("omp simd")
#define SIMD_TANH _Pragma("omp simd")
#endif

/* Clang 14 cannot link to an external target_clones function (see vexp.c): the
 * clones are static and the exported names call them. */
#define KERNEL static VAE_CLONES

void vae_gemm(char ta, char tb, size_t m, size_t n, size_t kk, vae_real alpha, const vae_real *a,
              size_t lda, const vae_real *b, size_t ldb, vae_real beta, vae_real *c, size_t ldc)
{
#ifdef VEM_VAE_DOUBLE
    vem__gemm(ta, tb, m, n, kk, alpha, a, lda, b, ldb, beta, c, ldc);
#else
    vem__sgemm(ta, tb, m, n, kk, alpha, a, lda, b, ldb, beta, c, ldc);
#endif
}

KERNEL void exp_k(size_t n, const vae_real *restrict in, vae_real *restrict out)
{
SIMD
    for (size_t i = 0; i < n; i++)
        out[i] = EXP(in[i]);
}

KERNEL void relu_k(size_t n, vae_real *restrict h)
{
SIMD
    for (size_t i = 0; i < n; i++)
        h[i] = h[i] > 0 ? h[i] : 0;
}

KERNEL void tanh_k(size_t n, vae_real *restrict h)
{
SIMD_TANH
    for (size_t i = 0; i < n; i++)
        h[i] = TANH(h[i]);
}

/* softplus(a) = max(a, 0) + log1p(exp(-|a|)) */
KERNEL void softplus_k(size_t n, vae_real *restrict h)
{
SIMD
    for (size_t i = 0; i < n; i++) {
        const vae_real a = h[i];
        const vae_real t = EXP(-FABS(a));
        h[i] = (a > 0 ? a : 0) + LOG1P(t);
    }
}

KERNEL void relu_b(size_t n, const vae_real *restrict h, vae_real *restrict g)
{
SIMD
    for (size_t i = 0; i < n; i++)
        g[i] = h[i] > 0 ? g[i] : 0;
}

KERNEL void tanh_b(size_t n, const vae_real *restrict h, vae_real *restrict g)
{
SIMD
    for (size_t i = 0; i < n; i++)
        g[i] *= 1 - h[i] * h[i];
}

/* softplus'(a) = sigmoid(a) = 1 - exp(-softplus(a)). */
KERNEL void softplus_b(size_t n, const vae_real *restrict h, vae_real *restrict g)
{
SIMD
    for (size_t i = 0; i < n; i++)
        g[i] *= 1 - EXP(-h[i]);
}

void vae_exp(size_t n, const vae_real *in, vae_real *out)
{
    exp_k(n, in, out);
}

void vae_act_forward(int act, size_t n, vae_real *h)
{
    if (act == 0)
        relu_k(n, h);
    else if (act == 1)
        tanh_k(n, h);
    else
        softplus_k(n, h);
}

void vae_act_backward(int act, size_t n, const vae_real *h, vae_real *g)
{
    if (act == 0)
        relu_b(n, h, g);
    else if (act == 1)
        tanh_b(n, h, g);
    else
        softplus_b(n, h, g);
}

KERNEL void bern_t(size_t n, const vae_real *restrict a, vae_real *restrict t)
{
SIMD
    for (size_t i = 0; i < n; i++)
        t[i] = EXP(-FABS(a[i]));
}

KERNEL void log1p_k(size_t n, vae_real *restrict t)
{
SIMD
    for (size_t i = 0; i < n; i++)
        t[i] = LOG1P(t[i]);
}

double vae_bernoulli(size_t n, const vae_real *x, const vae_real *a, vae_real *g, vae_real scale,
                     vae_real *t)
{
    bern_t(n, a, t);
    if (g) {
        /* sigmoid(a) = 1 / (1 + t) for a >= 0, t / (1 + t) below. */
        for (size_t i = 0; i < n; i++) {
            const vae_real s = (a[i] >= 0 ? 1 : t[i]) / (1 + t[i]);
            g[i] = scale * (x[i] - s);
        }
    }
    log1p_k(n, t);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (double)(x[i] * a[i] - (a[i] > 0 ? a[i] : 0) - t[i]);
    return sum;
}

void vae_sigmoid(size_t n, const vae_real *a, vae_real *p)
{
    bern_t(n, a, p);
    for (size_t i = 0; i < n; i++)
        p[i] = (a[i] >= 0 ? 1 : p[i]) / (1 + p[i]);
}
