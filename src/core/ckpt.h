/*
 * src/core/ckpt.h — the checkpoint file: a JSON header and named arrays of
 * doubles, written atomically (docs/formats.md, "Checkpoint"). Not installed.
 *
 * Layout:
 *     vem-checkpoint 1\n
 *     HEADER_BYTES PAYLOAD_BYTES CHECKSUM\n        (decimal, decimal, 16 hex digits)
 *     HEADER (a JSON object; "sections": [{"name", "offset", "len"}], in doubles)\n
 *     PAYLOAD (the sections' doubles, little-endian IEEE 754, back to back)
 * CHECKSUM is FNV-1a (64 bits) over HEADER and PAYLOAD, so that a file cut short
 * or changed is refused, not resumed from.
 */
#ifndef VEM_CKPT_H
#define VEM_CKPT_H

#include <jansson.h>

#include <vem/common.h>

typedef struct vem__ckpt_section {
    const char *name;
    const double *data;
    size_t len; /* doubles */
} vem__ckpt_section;

/*
 * Write header (borrowed; its "sections" key is set here) and the n sections
 * to path, atomically. VEM_EIO "PATH: reason", VEM_ENOMEM.
 */
vem_status vem__ckpt_write(const char *path, json_t *header, const vem__ckpt_section *s,
                           size_t n);

/* A checkpoint read back: the header and the payload (owned). */
typedef struct vem__ckpt {
    json_t *header;
    double *payload;
    size_t payload_len; /* doubles */
} vem__ckpt;

/*
 * Read path into c. Every size is checked against the file's own size before
 * anything is allocated, the checksum against the contents and every section
 * against the payload. VEM_EIO (cannot open or read), VEM_EFORMAT
 * "PATH: what is wrong", VEM_ENOMEM.
 */
vem_status vem__ckpt_read(const char *path, vem__ckpt *c);
/* Section name of c: its doubles and length, or NULL (*len 0) when absent. */
const double *vem__ckpt_get(const vem__ckpt *c, const char *name, size_t *len);
void vem__ckpt_clear(vem__ckpt *c);

#endif /* VEM_CKPT_H */
