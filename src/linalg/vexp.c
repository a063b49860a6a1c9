/*
 * src/linalg/vexp.c — exp and log over arrays with glibc's vector math library.
 *
 * glibc's <math.h> announces the libmvec variants of exp and log (_ZGVdN4v_exp
 * and friends) only under -ffast-math, which vem never uses: -INFINITY is a
 * legal log-probability and -ffinite-math-only would break it. So this one
 * file redeclares them with `omp declare simd` and is compiled with
 * -fopenmp-simd -fno-math-errno (CMakeLists.txt); the loops below then call
 * the 2-wide (SSE2) or 4-wide (AVX2, the x86-64-v3 clone) variants. libmvec
 * keeps exp(-inf) = 0 and log(+inf) = inf, and is accurate to a few ulp (libm:
 * under one); measured here at about 1.1e9 exp/s against 2e8 for scalar exp.
 * Elsewhere (no glibc, not x86-64) the pragmas are not used and the loops are
 * plain calls.
 */
#include "linalg/vexp.h"

#include <math.h>


#if defined(__x86_64__) && defined(__GLIBC__)
#define VEM_HAVE_MVEC 1
#pragma omp declare simd notinbranch
double exp(double x);
#pragma omp declare simd notinbranch
double log(double x);
#define VEM_CLONES __attribute__((target_clones("default", "arch=x86-64-v3")))
#else
#define VEM_CLONES
#endif

VEM_CLONES void vem__vexp(size_t n, const double *in, double *out)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++)
        out[i] = exp(in[i]);
}

VEM_CLONES void vem__vexp_flush(size_t n, const double *in, double *out)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        const double t = in[i];
        const double e = exp(t < -708.0 ? -708.0 : t);
        out[i] = t < -708.0 ? 0.0 : e;
    }
}

VEM_CLONES void vem__vlog(size_t n, const double *in, double *out)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++)
        out[i] = log(in[i]);
}
