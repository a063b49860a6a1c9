/* src/internal.h — helpers shared by the library's sources; not installed. */
#ifndef VEM_INTERNAL_H
#define VEM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <vem/common.h>

/* Record a failure's detail (printf-style) for vem_errmsg() and return s. */
vem_status vem__fail(vem_status s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define VEM_FAIL(s, ...) vem__fail((s), __VA_ARGS__)
/* The status of this thread's last vem__fail (for constructors that return NULL). */
vem_status vem__last_status(void);

/* Allocation; all return NULL on failure or overflow of a * b. */
void *vem__malloc(size_t n);
void *vem__calloc(size_t a, size_t b);
void *vem__realloc(void *p, size_t n);
void vem__free(void *p);
double *vem__alloc_doubles(size_t a, size_t b); /* zeroed a * b doubles */
char *vem__strdup(const char *s);
/* Copies of n strings (a NULL entry becomes ""); NULL on VEM_ENOMEM (set). */
char **vem__strings_dup(const char *const *s, size_t n);
/* Free n strings and their array; NULL allowed. */
void vem__strings_free(char **s, size_t n);
/* A regression's names: *columns (n strings) and *target replaced by copies of names
 * (NULL: none) and tname (NULL: none), the old ones freed; unchanged on VEM_ENOMEM. */
vem_status vem__names_replace(char ***columns, char **target, size_t n,
                              const char *const *names, const char *tname);

/* a * b without overflow into *out; 0 on overflow. */
static inline int vem__mul_ok(size_t a, size_t b, size_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}

/* Limits (src/core/limits.c, docs/reliability.md). Sizes as doubles: products never overflow. */
/* "1.23 GB" into buf (n bytes); returns buf. */
const char *vem__bytes_text(double bytes, char *buf, size_t n);
/* The size of the regular file path in *out; 0 if it cannot be found out. */
int vem__file_size(const char *path, size_t *out);
/* VEM_ENOMEM "WHAT needs X, more than the memory limit of Y" when bytes > vem_memory_limit(). */
vem_status vem__check_memory(const char *what, double bytes);
/* A size a file declares, checked before allocating: count units of unit_bytes in memory,
 * each taking at least min_file_bytes of the file's file_bytes (VEM_EFORMAT
 * "PATH: WHAT = 9e+08 doubles (7.2 GB) exceeds the file's 512 bytes"), and copies of them
 * against the memory limit (VEM_ENOMEM). */
vem_status vem__check_declared(const char *path, const char *what, double count,
                               const char *unit, double unit_bytes, double copies,
                               double min_file_bytes, double file_bytes);

static inline size_t vem__min(size_t a, size_t b) { return a < b ? a : b; }
static inline size_t vem__max(size_t a, size_t b) { return a > b ? a : b; }

/*
 * Float32 arithmetic with subnormals flushed to zero (x86 MXCSR FTZ and DAZ, as GPUs and
 * oneDNN compute), on the calling thread: returns the old mode for vem__ftz_restore.
 * The VAE's saturated sigmoids and Adam's squared gradients reach 1e-40, where every
 * subnormal operation costs a microcode assist: an epoch on Fashion-MNIST took 5.0 s
 * instead of 3.7 s. Values below 1.2e-38 become 0; no other result changes.
 */
static inline unsigned vem__ftz_on(void)
{
#if defined(__x86_64__) || defined(__i386__)
    unsigned old = __builtin_ia32_stmxcsr();
    __builtin_ia32_ldmxcsr(old | 0x8040u);
    return old;
#else
    return 0;
#endif
}
static inline void vem__ftz_restore(unsigned old)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_ldmxcsr(old);
#else
    (void)old;
#endif
}

/* Wall clock in seconds (CLOCK_MONOTONIC). */
double vem__now(void);

/*
 * Names of an enum whose values are 0 .. n-1 (the public vem_*_name/_parse pairs):
 * vem__name_of gives names[v] or NULL for a value outside the range; vem__name_find
 * gives the index of name in names, or n when name is NULL or not there.
 */
static inline const char *vem__name_of(const char *const *names, size_t n, int v)
{
    return v >= 0 && (size_t)v < n ? names[v] : NULL;
}
size_t vem__name_find(const char *name, const char *const *names, size_t n);
/* name's index in names into *out, or VEM_EINVAL "unknown WHAT 'name' (names, ...)". */
vem_status vem__name_parse(const char *what, const char *name, const char *const *names, size_t n,
                           int *out);

#endif /* VEM_INTERNAL_H */
