/*
 * src/io/source.c — data sources for out-of-core fitting (include/vem/io.h).
 *
 * A source is a file descriptor of raw little-endian float64 rows read with
 * pread(), which is safe from several threads at once. A CSV file is parsed
 * once, streaming, into an unlinked temporary file, so the later passes of EM
 * read binary at disk speed instead of parsing text every time, and the
 * temporary disappears with the descriptor even if the process dies.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vem/io.h>

#include "internal.h"
#include "io/csv_internal.h"

struct vem_source {
    int fd;
    char *path; /* the file the user named, for messages */
    size_t rows, cols;
    char **names;
};

static int little_endian(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

static void swap8(double *d, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char b[8], r[8];
        memcpy(b, &d[i], 8);
        for (int j = 0; j < 8; j++)
            r[j] = b[7 - j];
        memcpy(&d[i], r, 8);
    }
}

void vem_source_close(vem_source *src)
{
    if (!src)
        return;
    if (src->fd >= 0)
        close(src->fd);
    if (src->names) {
        for (size_t j = 0; j < src->cols; j++)
            vem__free(src->names[j]);
        vem__free(src->names);
    }
    vem__free(src->path);
    vem__free(src);
}

size_t vem_source_rows(const vem_source *src)
{
    return src->rows;
}

size_t vem_source_cols(const vem_source *src)
{
    return src->cols;
}

const char *const *vem_source_names(const vem_source *src)
{
    return (const char *const *)src->names;
}

static vem_source *source_new(const char *path)
{
    vem_source *src = vem__calloc(1, sizeof *src);
    if (!src || !(src->path = vem__strdup(path))) {
        vem__free(src);
        VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
        return NULL;
    }
    src->fd = -1;
    return src;
}

static vem_status index_names(vem_source *src)
{
    src->names = vem__calloc(src->cols, sizeof *src->names);
    if (!src->names)
        return VEM_FAIL(VEM_ENOMEM, "%s: column names", src->path);
    for (size_t j = 0; j < src->cols; j++) {
        char buf[32];
        snprintf(buf, sizeof buf, "%zu", j + 1);
        if (!(src->names[j] = vem__strdup(buf)))
            return VEM_FAIL(VEM_ENOMEM, "%s: column names", src->path);
    }
    return VEM_OK;
}

vem_source *vem_source_open_binary(const char *path, size_t cols)
{
    if (!path || cols == 0) {
        VEM_FAIL(VEM_EINVAL, "%s: the number of columns must be >= 1", path ? path : "(null)");
        return NULL;
    }
    vem_source *src = source_new(path);
    if (!src)
        return NULL;
    src->cols = cols;
    struct stat sb;
    src->fd = open(path, O_RDONLY);
    if (src->fd < 0 || fstat(src->fd, &sb) != 0) {
        VEM_FAIL(VEM_EIO, "%s: %s", path, strerror(errno));
        goto fail;
    }
    size_t size = (size_t)sb.st_size, rowbytes;
    if (!vem__mul_ok(cols, sizeof(double), &rowbytes)) {
        VEM_FAIL(VEM_EINVAL, "%s: %zu columns is too many", path, cols);
        goto fail;
    }
    if (size == 0) {
        VEM_FAIL(VEM_EFORMAT, "%s: empty file", path);
        goto fail;
    }
    if (size % rowbytes != 0) {
        VEM_FAIL(VEM_EFORMAT, "%s: size %zu bytes is not a multiple of 8 x %zu columns = %zu bytes",
                 path, size, cols, rowbytes);
        goto fail;
    }
    src->rows = size / rowbytes;
    if (index_names(src) != VEM_OK)
        goto fail;
    return src;
fail:
    vem_source_close(src);
    return NULL;
}

static vem_status write_all(int fd, const void *p, size_t n, const char *what)
{
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return VEM_FAIL(VEM_EIO, "%s: temporary file: %s", what, strerror(errno));
        }
        c += w;
        n -= (size_t)w;
    }
    return VEM_OK;
}

typedef struct sink_ctx {
    vem_source *src;
    double *swap; /* byte-swapped copy on big-endian hosts */
} sink_ctx;

static vem_status to_temp(void *ctx, const double *rows, size_t n, size_t cols)
{
    sink_ctx *c = ctx;
    size_t bytes = n * cols * sizeof *rows;
    if (!little_endian()) {
        double *p = vem__realloc(c->swap, bytes);
        if (!p)
            return VEM_FAIL(VEM_ENOMEM, "%s: out of memory", c->src->path);
        c->swap = p;
        memcpy(p, rows, bytes);
        swap8(p, n * cols);
        rows = p;
    }
    return write_all(c->src->fd, rows, bytes, c->src->path);
}

vem_source *vem_source_open_csv(const char *path, const vem_csv_opts *o)
{
    if (!path) {
        VEM_FAIL(VEM_EINVAL, "vem_source_open_csv: no path");
        return NULL;
    }
    vem_source *src = source_new(path);
    if (!src)
        return NULL;
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    size_t len = strlen(dir) + 32;
    char *tmpl = vem__malloc(len);
    if (!tmpl) {
        VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    snprintf(tmpl, len, "%s/vem-stream-XXXXXX", dir);
    src->fd = mkstemp(tmpl);
    if (src->fd < 0) {
        VEM_FAIL(VEM_EIO, "%s: temporary file in %s: %s", path, dir, strerror(errno));
        vem__free(tmpl);
        goto fail;
    }
    unlink(tmpl); /* gone when the descriptor closes, whatever happens */
    vem__free(tmpl);
    sink_ctx ctx = {.src = src, .swap = NULL};
    vem_status st = vem__csv_stream(path, o, to_temp, &ctx, &src->rows, &src->cols, &src->names);
    vem__free(ctx.swap);
    if (st != VEM_OK)
        goto fail;
    return src;
fail:
    vem_source_close(src);
    return NULL;
}

vem_status vem_source_read(const vem_source *src, size_t row0, size_t n, double *out)
{
    if (row0 > src->rows || n > src->rows - row0)
        return VEM_FAIL(VEM_EINVAL, "%s: rows %zu..%zu outside the %zu rows", src->path, row0 + 1,
                        row0 + n, src->rows);
    size_t bytes = n * src->cols * sizeof *out;
    off_t off = (off_t)(row0 * src->cols * sizeof *out);
    char *p = (char *)out;
    while (bytes) {
        ssize_t got = pread(src->fd, p, bytes, off);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return VEM_FAIL(VEM_EIO, "%s: %s", src->path,
                            got < 0 ? strerror(errno) : "file shrank while reading");
        p += got;
        off += got;
        bytes -= (size_t)got;
    }
    if (!little_endian())
        swap8(out, n * src->cols);
    for (size_t i = 0; i < n * src->cols; i++)
        if (!isfinite(out[i]))
            return VEM_FAIL(VEM_EFORMAT, "%s: row %zu column %zu: not finite", src->path,
                            row0 + i / src->cols + 1, i % src->cols + 1);
    return VEM_OK;
}
