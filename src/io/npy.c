/*
 * src/io/npy.c — NumPy .npy files: the header (shared with LDA's lambda file,
 * src/io/ldafile.c), data matrices of float64, float32 or uint8 (vem_npy_read),
 * and raw little-endian files of those types (vem_binary_read_dtype).
 *
 * NPY format 1.0: the magic "\x93NUMPY", version bytes 1 0, a little-endian
 * uint16 header length (uint32 for versions 2.0 and 3.0), a Python dict literal
 * ({'descr': '<f8', 'fortran_order': False, 'shape': (R, C), }) padded with
 * spaces and a newline, then the data.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <vem/io.h>

#include "internal.h"
#include "io/npy_internal.h"

/* Longest header accepted (numpy writes under 200 bytes for 2-D arrays). */
#define NPY_MAX_HEADER ((size_t)1 << 20)
/* Values converted per read. */
#define CHUNK 8192

/* Skip spaces. */
static const char *skip(const char *p)
{
    while (*p == ' ')
        p++;
    return p;
}

/* The shape tuple at p: "(R, C)", "(N,)" or "()". 0 on success. */
static int parse_shape(const char *p, vem__npy *h)
{
    p = skip(p);
    if (*p++ != '(')
        return -1;
    h->ndim = 0;
    for (;;) {
        p = skip(p);
        if (*p == ')')
            return 0;
        if (*p < '0' || *p > '9' || h->ndim == 2)
            return -1;
        uint64_t v = 0;
        while (*p >= '0' && *p <= '9') {
            if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, (uint64_t)(*p - '0'), &v))
                return -1;
            p++;
        }
        h->shape[h->ndim++] = v;
        p = skip(p);
        if (*p == ',')
            p++;
        else if (*p != ')')
            return -1;
    }
}

vem_status vem__npy_header(FILE *f, const char *path, vem__npy *h)
{
    memset(h, 0, sizeof *h);
    unsigned char pre[12];
    if (fread(pre, 1, 8, f) != 8 || memcmp(pre, "\x93NUMPY", 6) != 0)
        return VEM_FAIL(VEM_EFORMAT, "%s: not a .npy file (bad magic)", path);
    size_t hlen;
    if (pre[6] == 1) {
        if (fread(pre + 8, 1, 2, f) != 2)
            return VEM_FAIL(VEM_EFORMAT, "%s: .npy file is truncated", path);
        hlen = (size_t)pre[8] | (size_t)pre[9] << 8;
        h->offset = 10 + (uint64_t)hlen;
    } else if (pre[6] == 2 || pre[6] == 3) {
        if (fread(pre + 8, 1, 4, f) != 4)
            return VEM_FAIL(VEM_EFORMAT, "%s: .npy file is truncated", path);
        hlen = (size_t)pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 |
               (size_t)pre[11] << 24;
        h->offset = 12 + (uint64_t)hlen;
    } else {
        return VEM_FAIL(VEM_EFORMAT, "%s: unsupported .npy version %d", path, pre[6]);
    }
    if (hlen > NPY_MAX_HEADER)
        return VEM_FAIL(VEM_EFORMAT, "%s: .npy header of %zu bytes", path, hlen);
    char *hdr = vem__malloc(hlen + 1);
    if (!hdr)
        return VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
    vem_status st = VEM_OK;
    if (fread(hdr, 1, hlen, f) != hlen) {
        st = VEM_FAIL(VEM_EFORMAT, "%s: .npy file is truncated", path);
        goto done;
    }
    hdr[hlen] = '\0';
    const char *d = strstr(hdr, "'descr':");
    const char *fo = strstr(hdr, "'fortran_order':");
    const char *sh = strstr(hdr, "'shape':");
    if (!d || !fo || !sh) {
        st = VEM_FAIL(VEM_EFORMAT, "%s: .npy header lacks descr, fortran_order or shape", path);
        goto done;
    }
    d = skip(d + 8);
    if (*d == '\'') {
        const char *e = strchr(d + 1, '\'');
        if (e && e - (d + 1) < (ptrdiff_t)sizeof h->descr) {
            memcpy(h->descr, d + 1, (size_t)(e - (d + 1)));
            h->descr[e - (d + 1)] = '\0';
        }
    }
    fo = skip(fo + 16);
    if (strncmp(fo, "False", 5) == 0)
        h->fortran = 0;
    else if (strncmp(fo, "True", 4) == 0)
        h->fortran = 1;
    else {
        st = VEM_FAIL(VEM_EFORMAT, "%s: .npy fortran_order must be True or False", path);
        goto done;
    }
    if (parse_shape(sh + 8, h) != 0)
        st = VEM_FAIL(VEM_EFORMAT,
                      "%s: .npy shape must be a tuple of at most 2 non-negative integers", path);
done:
    vem__free(hdr);
    return st;
}

char **vem__index_names(size_t cols)
{
    char **names = vem__calloc(cols ? cols : 1, sizeof *names);
    for (size_t j = 0; names && j < cols; j++) {
        char buf[32];
        snprintf(buf, sizeof buf, "%zu", j + 1);
        if (!(names[j] = vem__strdup(buf))) {
            vem__strings_free(names, j);
            names = NULL;
        }
    }
    return names;
}

/* Size in bytes of one value of dtype. */
static size_t dtype_size(vem_dtype d)
{
    return d == VEM_DTYPE_FLOAT32 ? 4 : d == VEM_DTYPE_UINT8 ? 1 : 8;
}

const char *vem_dtype_name(vem_dtype d)
{
    static const char *const names[] = {"float64", "float32", "uint8"};
    return vem__name_of(names, 3, (int)d);
}

vem_status vem_dtype_parse(const char *name, vem_dtype *out)
{
    static const char *const names[] = {"float64", "float32", "uint8"};
    size_t i = vem__name_find(name, names, 3);
    if (i == 3)
        return VEM_FAIL(VEM_EINVAL, "unknown dtype '%s' (float64, float32 or uint8)",
                        name ? name : "(null)");
    *out = (vem_dtype)i;
    return VEM_OK;
}

/* Read n little-endian values of dtype from f into out (cols per row, for messages). */
static vem_status read_values(FILE *f, const char *path, vem_dtype dtype, size_t n, size_t cols,
                              double *out)
{
    const size_t isz = dtype_size(dtype);
    unsigned char buf[CHUNK * 8];
    for (size_t i = 0; i < n;) {
        size_t m = vem__min(n - i, CHUNK);
        if (fread(buf, isz, m, f) != m)
            return ferror(f) ? VEM_FAIL(VEM_EIO, "%s: %s", path, strerror(errno))
                             : VEM_FAIL(VEM_EFORMAT, "%s: truncated: %zu of %zu values", path,
                                        i, n);
        for (size_t k = 0; k < m; k++, i++) {
            const unsigned char *b = buf + k * isz;
            double v;
            if (dtype == VEM_DTYPE_UINT8) {
                out[i] = b[0];
                continue;
            } else if (dtype == VEM_DTYPE_FLOAT32) {
                uint32_t u = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                             (uint32_t)b[3] << 24;
                float x;
                memcpy(&x, &u, 4);
                v = x;
            } else {
                uint64_t u = 0;
                for (int j = 0; j < 8; j++)
                    u |= (uint64_t)b[j] << (8 * j);
                memcpy(&v, &u, 8);
            }
            if (!isfinite(v))
                return VEM_FAIL(VEM_EFORMAT, "%s: row %zu column %zu: not finite", path,
                                i / cols + 1, i % cols + 1);
            out[i] = v;
        }
    }
    return VEM_OK;
}

/* Fill t with rows x cols values of dtype read from f (at the data); file_bytes of data follow. */
static vem_status read_table(FILE *f, const char *path, vem_dtype dtype, size_t rows,
                             size_t cols, vem_table *t)
{
    size_t n;
    if (!vem__mul_ok(rows, cols, &n))
        return VEM_FAIL(VEM_EFORMAT, "%s: %zu x %zu values overflow", path, rows, cols);
    double *a = vem__alloc_doubles(n, 1);
    char **names = a ? vem__index_names(cols) : NULL;
    if (!names) {
        vem__free(a);
        return VEM_FAIL(VEM_ENOMEM, "%s: out of memory for %zu x %zu values", path, rows, cols);
    }
    vem_status st = read_values(f, path, dtype, n, cols, a);
    if (st != VEM_OK) {
        vem__strings_free(names, cols);
        vem__free(a);
        return st;
    }
    t->data = a;
    t->rows = rows;
    t->cols = cols;
    t->names = names;
    return VEM_OK;
}

vem_status vem_npy_read(const char *path, vem_table *t)
{
    if (!t)
        return VEM_FAIL(VEM_EINVAL, "vem_npy_read: no output table");
    memset(t, 0, sizeof *t);
    if (!path)
        return VEM_FAIL(VEM_EINVAL, "vem_npy_read: no path");
    FILE *f = fopen(path, "rb");
    if (!f)
        return VEM_FAIL(VEM_EIO, "%s: cannot open: %s", path, strerror(errno));
    size_t file_bytes = 0;
    vem__npy h;
    vem_status st = vem__npy_header(f, path, &h);
    vem_dtype dt = VEM_DTYPE_FLOAT64;
    if (st != VEM_OK)
        goto done;
    if (strcmp(h.descr, "<f8") == 0)
        dt = VEM_DTYPE_FLOAT64;
    else if (strcmp(h.descr, "<f4") == 0)
        dt = VEM_DTYPE_FLOAT32;
    else if (strcmp(h.descr, "|u1") == 0 || strcmp(h.descr, "<u1") == 0)
        dt = VEM_DTYPE_UINT8;
    else {
        st = VEM_FAIL(VEM_EFORMAT,
                      "%s: .npy dtype '%s' is not supported: '<f8' (float64), '<f4' (float32) "
                      "or '|u1' (uint8)",
                      path, h.descr);
        goto done;
    }
    if (h.fortran) {
        st = VEM_FAIL(VEM_EFORMAT,
                      "%s: .npy in Fortran order (fortran_order True): save a C-order array "
                      "(numpy.ascontiguousarray)",
                      path);
        goto done;
    }
    if (h.ndim == 0) {
        st = VEM_FAIL(VEM_EFORMAT, "%s: .npy holds a scalar, not a 1-D or 2-D array", path);
        goto done;
    }
    uint64_t r = h.shape[0], c = h.ndim == 2 ? h.shape[1] : 1;
    if (r == 0 || c == 0) {
        st = VEM_FAIL(VEM_EFORMAT, "%s: .npy shape (%llu, %llu) holds no data", path,
                      (unsigned long long)r, (unsigned long long)c);
        goto done;
    }
    const size_t isz = dtype_size(dt);
    if (!vem__file_size(path, &file_bytes))
        file_bytes = 0;
    double data_bytes = file_bytes > h.offset ? (double)(file_bytes - h.offset) : 0;
    /* Checked as doubles first: r * c may overflow size_t. */
    st = vem__check_declared(path, "the .npy shape", (double)r * (double)c, "values", 8, 1,
                             (double)isz, data_bytes);
    if (st != VEM_OK)
        goto done;
    if (data_bytes > (double)r * (double)c * (double)isz) {
        st = VEM_FAIL(VEM_EFORMAT, "%s: %.0f bytes after the .npy data of shape (%llu, %llu)",
                      path, data_bytes - (double)r * (double)c * (double)isz,
                      (unsigned long long)r, (unsigned long long)c);
        goto done;
    }
    st = read_table(f, path, dt, (size_t)r, (size_t)c, t);
done:
    fclose(f);
    return st;
}

vem_status vem_binary_read_dtype(const char *path, size_t cols, vem_dtype dtype, vem_table *t)
{
    if (dtype == VEM_DTYPE_FLOAT64)
        return vem_binary_read(path, cols, t);
    if (!t)
        return VEM_FAIL(VEM_EINVAL, "vem_binary_read_dtype: no output table");
    memset(t, 0, sizeof *t);
    if (!path)
        return VEM_FAIL(VEM_EINVAL, "vem_binary_read_dtype: no path");
    if (!vem_dtype_name(dtype))
        return VEM_FAIL(VEM_EINVAL, "%s: unknown dtype %d", path, (int)dtype);
    const size_t isz = dtype_size(dtype);
    size_t rowbytes;
    if (cols == 0 || !vem__mul_ok(cols, isz, &rowbytes))
        return VEM_FAIL(VEM_EINVAL, "%s: %zu columns per row", path, cols);
    FILE *f = fopen(path, "rb");
    if (!f)
        return VEM_FAIL(VEM_EIO, "%s: cannot open: %s", path, strerror(errno));
    size_t size = 0;
    vem_status st = VEM_OK;
    if (!vem__file_size(path, &size))
        st = VEM_FAIL(VEM_EIO, "%s: not a regular file", path);
    else if (size == 0)
        st = VEM_FAIL(VEM_EFORMAT, "%s: empty file", path);
    else if (size % rowbytes)
        st = VEM_FAIL(VEM_EFORMAT,
                      "%s: size %zu bytes is not a multiple of %zu (%s) x %zu columns = %zu bytes",
                      path, size, isz, vem_dtype_name(dtype), cols, rowbytes);
    else
        st = vem__check_declared(path, "the file's values", (double)(size / isz), "values", 8,
                                 1, (double)isz, (double)size);
    if (st == VEM_OK)
        st = read_table(f, path, dtype, size / rowbytes, cols, t);
    fclose(f);
    return st;
}
