/*
 * src/models/vae_kernels.h — the VAE's elementwise kernels and its one GEMM, in
 * float32 (or double with -DVEM_VAE_DOUBLE, for the gradient test). Not installed.
 */
#ifndef VEM_VAE_KERNELS_H
#define VEM_VAE_KERNELS_H

#include <stddef.h>

#ifdef VEM_VAE_DOUBLE
typedef double vae_real;
#else
typedef float vae_real;
#endif

/* Row-major C = alpha op(A) op(B) + beta C (sgemm, or dgemm in the double build). */
void vae_gemm(char ta, char tb, size_t m, size_t n, size_t kk, vae_real alpha, const vae_real *a,
              size_t lda, const vae_real *b, size_t ldb, vae_real beta, vae_real *c, size_t ldc);

/* In place h = act(h) over n numbers (act: vem_vae_activation). */
void vae_act_forward(int act, size_t n, vae_real *h);
/* g *= act'(pre) over n numbers, given the activation's outputs h = act(pre). */
void vae_act_backward(int act, size_t n, const vae_real *h, vae_real *g);

/*
 * Bernoulli log-likelihood of x (n numbers) under logits a: returns
 * sum_j x_j a_j - softplus(a_j) (double). g non-NULL: g_j = scale (x_j - sigmoid(a_j)).
 * t: n numbers of workspace.
 */
double vae_bernoulli(size_t n, const vae_real *x, const vae_real *a, vae_real *g, vae_real scale,
                     vae_real *t);
/* Bernoulli means sigmoid(a) into p (p must not alias a). */
void vae_sigmoid(size_t n, const vae_real *a, vae_real *p);
/* out = exp(in) over n numbers. */
void vae_exp(size_t n, const vae_real *in, vae_real *out);

#endif /* VEM_VAE_KERNELS_H */
