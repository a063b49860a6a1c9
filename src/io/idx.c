/*
 * src/io/idx.c — MNIST's IDX files (LeCun's format): a big-endian header, two
 * zero bytes, a type byte (0x08: unsigned bytes, the only type read), the
 * number of dimensions D, then D big-endian uint32 sizes and the values, the
 * last dimension varying fastest. Read through zlib's gzread, which reads a
 * gzip file (*.gz, several members allowed) or a plain file alike.
 *
 * Sizes are checked before allocating: a plain file must hold exactly the
 * declared values; a gzip file can hold at most VEM_IDX_GZ_RATIO bytes of data
 * per compressed byte (deflate's largest ratio), and the declared values must
 * fit the memory limit (vem_memory_limit).
 */
#include <errno.h>
#include <string.h>

#include <zlib.h>

#include <vem/io.h>

#include "internal.h"
#include "io/npy_internal.h"

/* Bytes read per gzread. */
#define CHUNK ((size_t)1 << 16)

/* Read exactly n bytes; the bytes read, or -1 on a zlib error (message in *err). */
static long long read_full(gzFile gz, unsigned char *buf, size_t n, const char **err)
{
    size_t got = 0;
    while (got < n) {
        int r = gzread(gz, buf + got, (unsigned)(n - got));
        if (r < 0) {
            int code;
            *err = gzerror(gz, &code);
            return -1;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (long long)got;
}

/* A zlib error (after gzread < 0): VEM_EIO for a system error, else the data's fault. */
static vem_status gz_fail(gzFile gz, const char *path, const char *err)
{
    int code;
    gzerror(gz, &code);
    if (code == Z_ERRNO)
        return VEM_FAIL(VEM_EIO, "%s: %s", path, strerror(errno));
    return VEM_FAIL(VEM_EFORMAT, "%s: gzip: %s", path, err ? err : "error");
}

vem_status vem_idx_read(const char *path, vem_table *t)
{
    if (!t)
        return VEM_FAIL(VEM_EINVAL, "vem_idx_read: no output table");
    memset(t, 0, sizeof *t);
    if (!path)
        return VEM_FAIL(VEM_EINVAL, "vem_idx_read: no path");
    size_t file_bytes = 0;
    errno = 0;
    if (!vem__file_size(path, &file_bytes))
        return VEM_FAIL(VEM_EIO, "%s: cannot open: %s", path,
                        errno ? strerror(errno) : "not a regular file");
    gzFile gz = gzopen(path, "rb");
    if (!gz)
        return VEM_FAIL(VEM_EIO, "%s: cannot open: %s", path, strerror(errno));
    vem_status st = VEM_OK;
    const char *err = NULL;
    unsigned char *buf = NULL;
    double *a = NULL;
    char **names = NULL;
    size_t rows = 0, cols = 1;
    unsigned char hdr[4 + 4 * 255];
    long long got = read_full(gz, hdr, 4, &err);
    if (got < 0) {
        st = gz_fail(gz, path, err);
        goto done;
    }
    if (got < 4) {
        st = VEM_FAIL(VEM_EFORMAT, "%s: not an IDX file (%lld bytes, shorter than the header)",
                      path, got);
        goto done;
    }
    if (hdr[0] || hdr[1] || hdr[3] == 0) {
        st = VEM_FAIL(VEM_EFORMAT,
                      "%s: not an IDX file (magic 0x%02x%02x%02x%02x; expected 0x000008DD, DD "
                      "the dimensions, e.g. 0x00000803 for images)",
                      path, hdr[0], hdr[1], hdr[2], hdr[3]);
        goto done;
    }
    if (hdr[2] != 0x08) {
        st = VEM_FAIL(VEM_EFORMAT,
                      "%s: IDX type 0x%02x not supported (only unsigned bytes, 0x08)", path,
                      hdr[2]);
        goto done;
    }
    const size_t ndim = hdr[3], hbytes = 4 + 4 * ndim;
    got = read_full(gz, hdr + 4, 4 * ndim, &err);
    if (got < 0) {
        st = gz_fail(gz, path, err);
        goto done;
    }
    if ((size_t)got < 4 * ndim) {
        st = VEM_FAIL(VEM_EFORMAT, "%s: IDX header truncated (%zu dimensions declared)", path,
                      ndim);
        goto done;
    }
    double count = 1;
    for (size_t k = 0; k < ndim; k++) {
        const unsigned char *p = hdr + 4 + 4 * k;
        uint32_t dk = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
        if (dk == 0) {
            st = VEM_FAIL(VEM_EFORMAT, "%s: IDX dimension %zu is 0 (%s)", path, k + 1,
                          k == 0 ? "no items" : "empty items");
            goto done;
        }
        count *= dk;
        if (k == 0)
            rows = dk;
        else if (!vem__mul_ok(cols, dk, &cols)) {
            st = VEM_FAIL(VEM_EFORMAT, "%s: IDX dimensions overflow (%zu dimensions)", path,
                          ndim);
            goto done;
        }
    }
    size_t n;
    if (!vem__mul_ok(rows, cols, &n)) {
        st = VEM_FAIL(VEM_EFORMAT, "%s: IDX dimensions overflow (%zu dimensions)", path, ndim);
        goto done;
    }
    const int plain = gzdirect(gz);
    /* Each value takes at least one byte of a plain file, 1 / ratio of a gzip file. */
    st = vem__check_declared(path, "the IDX dimensions", count, "values", 8, 1,
                             plain ? 1.0 : 1.0 / VEM_IDX_GZ_RATIO,
                             plain ? (double)(file_bytes > hbytes ? file_bytes - hbytes : 0)
                                   : (double)file_bytes);
    if (st != VEM_OK)
        goto done;
    a = vem__alloc_doubles(n, 1);
    buf = vem__malloc(CHUNK);
    names = a && buf ? vem__index_names(cols) : NULL;
    if (!names) {
        st = VEM_FAIL(VEM_ENOMEM, "%s: out of memory for %zu x %zu values", path, rows, cols);
        goto done;
    }
    for (size_t i = 0; i < n;) {
        size_t m = vem__min(n - i, CHUNK);
        got = read_full(gz, buf, m, &err);
        if (got < 0) {
            st = gz_fail(gz, path, err);
            goto done;
        }
        for (long long k = 0; k < got; k++)
            a[i + (size_t)k] = buf[k];
        i += (size_t)got;
        if ((size_t)got < m) {
            st = VEM_FAIL(VEM_EFORMAT,
                          "%s: IDX data truncated: the header declares %zu x %zu values, the "
                          "file holds %zu",
                          path, rows, cols, i);
            goto done;
        }
    }
    got = read_full(gz, buf, 1, &err);
    if (got < 0)
        st = gz_fail(gz, path, err);
    else if (got > 0)
        st = VEM_FAIL(VEM_EFORMAT, "%s: data after the %zu x %zu values the IDX header declares",
                      path, rows, cols);
done:
    gzclose(gz);
    vem__free(buf);
    if (st != VEM_OK) {
        vem__free(a);
        vem__strings_free(names, cols);
        return st;
    }
    t->data = a;
    t->rows = rows;
    t->cols = cols;
    t->names = names;
    return VEM_OK;
}
