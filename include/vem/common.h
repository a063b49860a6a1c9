/* include/vem/common.h — status codes, error detail, version, random generator. */
#ifndef VEM_COMMON_H
#define VEM_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define VEM_BEGIN_DECLS extern "C" {
#define VEM_END_DECLS }
#else
#define VEM_BEGIN_DECLS
#define VEM_END_DECLS
#endif

#if defined(VEM_STATIC_DEFINE)
#define VEM_API
#else
#define VEM_API __attribute__((visibility("default")))
#endif

#define VEM_VERSION_MAJOR 0
#define VEM_VERSION_MINOR 1
#define VEM_VERSION_PATCH 0

VEM_BEGIN_DECLS

/** Result of every fallible call. Negative values are errors. */
typedef enum vem_status {
    VEM_OK = 0,
    VEM_CONTINUE = 1,  /**< iteration not converged yet: not an error */
    VEM_EINVAL = -1,   /**< bad argument or option */
    VEM_ENOMEM = -2,   /**< allocation failed or a size overflowed */
    VEM_EIO = -3,      /**< a file could not be opened, read or written */
    VEM_EFORMAT = -4,  /**< malformed input data or model file */
    VEM_ENUMERIC = -5, /**< NaN/Inf, covariance not positive definite */
    VEM_EMAXITER = -6, /**< stopped at max_iter before converging; result usable */
    VEM_EUNSUP = -7,   /**< not supported by this model or build */
    VEM_EINTR = -8     /**< interrupted (vem_fit_opts.interrupted): the checkpoint is written
                            and the parameters are the best so far; the result is usable */
} vem_status;

/** Static text for a status code; never NULL. */
VEM_API const char *vem_strerror(vem_status s);

/**
 * Detail of this thread's last failure, e.g. "data.csv:3:7: not a number: 'abc'".
 * Valid until the next failing call on the same thread; "" if none.
 */
VEM_API const char *vem_errmsg(void);

/**
 * Memory limit in bytes that readers, loaders and fits check their need against
 * before they allocate (docs/reliability.md, "Limits"). A request above it fails
 * with VEM_ENOMEM and a message naming what was asked and the limit. The default
 * (also after vem_set_memory_limit(0)) is half the machine's physical memory
 * (sysconf(_SC_PHYS_PAGES) x _SC_PAGESIZE), or 4 GiB where that is unknown.
 * Set it once, before other threads use the library (as the allocator hook).
 */
VEM_API void vem_set_memory_limit(size_t bytes);
/** The memory limit now in force, in bytes (see vem_set_memory_limit). */
VEM_API size_t vem_memory_limit(void);

/**
 * Copy the NUL-terminated text src to dst (n bytes, n > 0: always terminated,
 * truncated to fit) with control bytes escaped as "\\xNN": C0 controls (escape
 * sequences, newlines, tabs), DEL, and the C1 controls written in UTF-8 (U+0080 to
 * U+009F). Every message of vem_errmsg() has been through it, so that input quoted
 * in a message cannot drive a terminal. Returns the length written.
 */
VEM_API size_t vem_escape_text(char *dst, size_t n, const char *src);

/** Library version as "MAJOR.MINOR.PATCH". */
VEM_API const char *vem_version(void);

/**
 * Random generator: xoshiro256** (Blackman & Vigna 2018), seeded through
 * splitmix64. Transparent so that callers may keep it on the stack; use only
 * the functions below on it. Not thread-safe: one generator per thread.
 */
typedef struct vem_rng {
    uint64_t s[4];
} vem_rng;

/** Seed r from a 64-bit seed. The same seed gives the same stream on every platform. */
VEM_API void vem_rng_seed(vem_rng *r, uint64_t seed);
/** Next 64 random bits. */
VEM_API uint64_t vem_rng_next(vem_rng *r);
/** Uniform double in [0, 1) with 53 random bits. */
VEM_API double vem_rng_uniform(vem_rng *r);
/** Standard normal deviate (Marsaglia polar method; consumes a variable number of draws). */
VEM_API double vem_rng_normal(vem_rng *r);
/** Uniform integer in [0, n); n > 0 (Lemire's unbiased multiply-shift rejection). */
VEM_API uint64_t vem_rng_below(vem_rng *r, uint64_t n);
/** Advance r by 2^128 draws: gives non-overlapping sub-streams. */
VEM_API void vem_rng_jump(vem_rng *r);

VEM_END_DECLS
#endif /* VEM_COMMON_H */
