/*
 * src/core/ckpt.c — the checkpoint file (src/core/ckpt.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt.h"
#include "internal.h"
#include "io/atomic.h"

static const char magic[] = "vem-checkpoint 1\n";

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static const uint64_t fnv_basis = 0xcbf29ce484222325ull;

static int little_endian(void)
{
    const uint16_t one = 1;
    unsigned char c;
    memcpy(&c, &one, 1);
    return c == 1;
}

vem_status vem__ckpt_write(const char *path, json_t *header, const vem__ckpt_section *s,
                           size_t n)
{
    if (!little_endian())
        return VEM_FAIL(VEM_EUNSUP, "%s: checkpoints are written on little-endian machines only",
                        path);
    json_t *list = json_array();
    size_t off = 0;
    for (size_t i = 0; list && i < n; i++) {
        json_t *e = json_pack("{s:s, s:I, s:I}", "name", s[i].name, "offset", (json_int_t)off,
                              "len", (json_int_t)s[i].len);
        if (!e || json_array_append_new(list, e) != 0) {
            json_decref(list);
            list = NULL;
        }
        off += s[i].len;
    }
    if (!list || json_object_set_new(header, "sections", list) != 0)
        return VEM_FAIL(VEM_ENOMEM, "%s: checkpoint header", path);
    char *text = json_dumps(header, JSON_COMPACT);
    if (!text)
        return VEM_FAIL(VEM_ENOMEM, "%s: checkpoint header", path);
    const size_t hlen = strlen(text);
    uint64_t h = fnv1a(fnv_basis, text, hlen);
    for (size_t i = 0; i < n; i++)
        h = fnv1a(h, s[i].data, s[i].len * sizeof(double));
    char *tmp = NULL;
    FILE *fp = vem__atomic_open(path, &tmp);
    if (!fp) {
        free(text);
        return vem__last_status();
    }
    int bad = fprintf(fp, "%s%zu %zu %016" PRIx64 "\n", magic, hlen, off * sizeof(double), h) < 0;
    bad = bad || fwrite(text, 1, hlen, fp) != hlen || fputc('\n', fp) == EOF;
    for (size_t i = 0; !bad && i < n; i++)
        bad = s[i].len && fwrite(s[i].data, sizeof(double), s[i].len, fp) != s[i].len;
    free(text);
    int err = errno;
    vem_status st = vem__atomic_commit(fp, tmp, path, bad);
    if (st == VEM_OK && bad)
        st = VEM_FAIL(VEM_EIO, "%s: %s", path, strerror(err));
    return st;
}

void vem__ckpt_clear(vem__ckpt *c)
{
    json_decref(c->header);
    vem__free(c->payload);
    memset(c, 0, sizeof *c);
}

/* The second line: three fields, digits only, nothing else. */
static int parse_sizes(const char *line, size_t *hlen, size_t *plen, uint64_t *sum)
{
    char *end;
    errno = 0;
    if (*line < '0' || *line > '9')
        return 0;
    unsigned long long a = strtoull(line, &end, 10);
    if (errno || *end != ' ' || end[1] < '0' || end[1] > '9')
        return 0;
    unsigned long long b = strtoull(end + 1, &end, 10);
    if (errno || *end != ' ')
        return 0;
    const char *x = end + 1;
    for (int i = 0; i < 16; i++)
        if (!((x[i] >= '0' && x[i] <= '9') || (x[i] >= 'a' && x[i] <= 'f')))
            return 0;
    if (x[16] != '\n' || x[17] != '\0')
        return 0;
    *sum = strtoull(x, NULL, 16);
    *hlen = (size_t)a;
    *plen = (size_t)b;
    return a == (unsigned long long)*hlen && b == (unsigned long long)*plen;
}

vem_status vem__ckpt_read(const char *path, vem__ckpt *c)
{
    memset(c, 0, sizeof *c);
    if (!little_endian())
        return VEM_FAIL(VEM_EUNSUP, "%s: checkpoints are read on little-endian machines only",
                        path);
    size_t fsize;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return VEM_FAIL(VEM_EIO, "%s: %s", path, strerror(errno));
    if (!vem__file_size(path, &fsize)) {
        fclose(fp);
        return VEM_FAIL(VEM_EIO, "%s: not a regular file", path);
    }
    vem_status st = VEM_OK;
    char line[96];
    char *text = NULL;
    size_t hlen = 0, plen = 0;
    uint64_t sum = 0;
    if (!fgets(line, sizeof line, fp) || strcmp(line, magic) != 0) {
        st = VEM_FAIL(VEM_EFORMAT, "%s:1: not a vem checkpoint (expected \"vem-checkpoint 1\")",
                      path);
        goto done;
    }
    if (!fgets(line, sizeof line, fp) || !parse_sizes(line, &hlen, &plen, &sum)) {
        st = VEM_FAIL(VEM_EFORMAT, "%s:2: expected \"HEADER_BYTES PAYLOAD_BYTES CHECKSUM\"", path);
        goto done;
    }
    /* The sizes must add up to the file's size before anything is allocated. */
    const size_t lead = (size_t)ftell(fp);
    if (plen % sizeof(double) != 0 || hlen > fsize || plen > fsize ||
        lead + hlen + 1 + plen != fsize) {
        st = VEM_FAIL(VEM_EFORMAT, "%s:2: header %zu bytes and payload %zu bytes do not make "
                      "the file's %zu bytes (cut short, or not a checkpoint)",
                      path, hlen, plen, fsize);
        goto done;
    }
    if ((st = vem__check_memory("checkpoint", (double)hlen + (double)plen)) != VEM_OK)
        goto done;
    text = vem__malloc(hlen + 1);
    c->payload_len = plen / sizeof(double);
    c->payload = vem__alloc_doubles(c->payload_len ? c->payload_len : 1, 1);
    if (!text || !c->payload) {
        st = VEM_FAIL(VEM_ENOMEM, "%s: %zu bytes", path, hlen + plen);
        goto done;
    }
    if (fread(text, 1, hlen, fp) != hlen || fgetc(fp) != '\n' ||
        (plen && fread(c->payload, 1, plen, fp) != plen)) {
        st = VEM_FAIL(VEM_EFORMAT, "%s: cut short", path);
        goto done;
    }
    text[hlen] = '\0';
    if (fnv1a(fnv1a(fnv_basis, text, hlen), c->payload, plen) != sum) {
        st = VEM_FAIL(VEM_EFORMAT, "%s: checksum does not match: the file was changed or "
                      "damaged", path);
        goto done;
    }
    json_error_t e;
    c->header = json_loadb(text, hlen, JSON_REJECT_DUPLICATES, &e);
    if (!json_is_object(c->header)) {
        st = VEM_FAIL(VEM_EFORMAT, "%s: header: %s", path,
                      c->header ? "not a JSON object" : e.text);
        goto done;
    }
    json_t *list = json_object_get(c->header, "sections");
    size_t i;
    json_t *sec;
    if (!json_is_array(list)) {
        st = VEM_FAIL(VEM_EFORMAT, "%s: header: no \"sections\" list", path);
        goto done;
    }
    json_array_foreach(list, i, sec) {
        json_t *off = json_object_get(sec, "offset"), *len = json_object_get(sec, "len");
        if (!json_is_string(json_object_get(sec, "name")) || !json_is_integer(off) ||
            !json_is_integer(len) || json_integer_value(off) < 0 || json_integer_value(len) < 0 ||
            (size_t)json_integer_value(off) > c->payload_len ||
            (size_t)json_integer_value(len) > c->payload_len - (size_t)json_integer_value(off)) {
            st = VEM_FAIL(VEM_EFORMAT, "%s: header: section %zu lies outside the payload's "
                          "%zu doubles", path, i + 1, c->payload_len);
            goto done;
        }
    }
done:
    vem__free(text);
    fclose(fp);
    if (st != VEM_OK)
        vem__ckpt_clear(c);
    return st;
}

const double *vem__ckpt_get(const vem__ckpt *c, const char *name, size_t *len)
{
    *len = 0;
    size_t i;
    json_t *sec;
    json_array_foreach(json_object_get(c->header, "sections"), i, sec) {
        const char *s = json_string_value(json_object_get(sec, "name"));
        if (s && strcmp(s, name) == 0) {
            *len = (size_t)json_integer_value(json_object_get(sec, "len"));
            return c->payload + json_integer_value(json_object_get(sec, "offset"));
        }
    }
    return NULL;
}
