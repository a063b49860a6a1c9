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

/* a * b without overflow into *out; 0 on overflow. */
static inline int vem__mul_ok(size_t a, size_t b, size_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}

static inline size_t vem__min(size_t a, size_t b) { return a < b ? a : b; }
static inline size_t vem__max(size_t a, size_t b) { return a > b ? a : b; }

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

#endif /* VEM_INTERNAL_H */
