/*
 * src/linalg/vexp.h — exp and log over arrays, vectorised through glibc's libmvec
 * where available (src/linalg/vexp.c), a scalar loop elsewhere.
 */
#ifndef VEM_VEXP_H
#define VEM_VEXP_H

#include <stddef.h>

/* out[i] = exp(in[i]) for i < n; in == out is allowed. exp(-INFINITY) = 0. */
void vem__vexp(size_t n, const double *in, double *out);

/*
 * out[i] = exp(in[i]), except that in[i] < -708 (a subnormal or zero result,
 * below 2.3e-308) gives 0: libmvec computes such lanes with scalar exp, and in
 * a normaliser, where the largest term is 1, values that small change no sum.
 * in == out is allowed.
 */
void vem__vexp_flush(size_t n, const double *in, double *out);

/* out[i] = log(in[i]) for i < n; in == out is allowed. */
void vem__vlog(size_t n, const double *in, double *out);

#endif /* VEM_VEXP_H */
