/* src/core/alloc.c — allocation with overflow checks, strings, enum names, and the clock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

void *vem__malloc(size_t n)
{
    return malloc(n ? n : 1);
}

void *vem__calloc(size_t a, size_t b)
{
    size_t n;
    if (!vem__mul_ok(a, b, &n))
        return NULL;
    return calloc(n ? a : 1, n ? b : 1);
}

void *vem__realloc(void *p, size_t n)
{
    return realloc(p, n ? n : 1);
}

void vem__free(void *p)
{
    free(p);
}

double *vem__alloc_doubles(size_t a, size_t b)
{
    size_t n;
    if (!vem__mul_ok(a, b, &n))
        return NULL;
    return vem__calloc(n, sizeof(double));
}

char *vem__strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = vem__malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

void vem__strings_free(char **s, size_t n)
{
    if (!s)
        return;
    for (size_t i = 0; i < n; i++)
        vem__free(s[i]);
    vem__free(s);
}

char **vem__strings_dup(const char *const *s, size_t n)
{
    char **out = vem__calloc(n ? n : 1, sizeof *out);
    for (size_t i = 0; out && i < n; i++) {
        if (!(out[i] = vem__strdup(s[i] ? s[i] : ""))) {
            vem__strings_free(out, i);
            out = NULL;
        }
    }
    if (!out)
        VEM_FAIL(VEM_ENOMEM, "copy of %zu strings", n);
    return out;
}

vem_status vem__names_replace(char ***columns, char **target, size_t n,
                              const char *const *names, const char *tname)
{
    char **cols = NULL, *t = NULL;
    if (tname && !(t = vem__strdup(tname)))
        return VEM_FAIL(VEM_ENOMEM, "target name");
    if (names && !(cols = vem__strings_dup(names, n))) {
        vem__free(t);
        return VEM_FAIL(VEM_ENOMEM, "column names");
    }
    vem__strings_free(*columns, n);
    vem__free(*target);
    *columns = cols;
    *target = t;
    return VEM_OK;
}

size_t vem__name_find(const char *name, const char *const *names, size_t n)
{
    size_t i = 0;
    while (name && i < n && strcmp(name, names[i]) != 0)
        i++;
    return name ? i : n;
}

vem_status vem__name_parse(const char *what, const char *name, const char *const *names, size_t n,
                           int *out)
{
    size_t i = vem__name_find(name, names, n);
    if (i < n) {
        *out = (int)i;
        return VEM_OK;
    }
    char list[256];
    size_t len = 0;
    list[0] = '\0';
    for (size_t j = 0; j < n && len < sizeof list; j++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", j ? ", " : "", names[j]);
    return VEM_FAIL(VEM_EINVAL, "unknown %s '%s' (%s)", what, name ? name : "(null)", list);
}

double vem__now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
