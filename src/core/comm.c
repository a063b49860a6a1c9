/* src/core/comm.c — collectives around a distributed fit (include/vem/comm.h). */
#include <string.h>

#include <vem/comm.h>

#include "core/comm_internal.h"
#include "internal.h"

/* Doubles of an error detail sent from the process that failed (vem_errmsg's buffer size). */
enum { DETAIL_LEN = 512 };

vem_status vem__comm_chunk(const vem_comm *c, double mine, int r0, double *buf)
{
    memset(buf, 0, VEM__COMM_CHUNK * sizeof *buf);
    if (c->rank >= r0 && c->rank - r0 < VEM__COMM_CHUNK)
        buf[c->rank - r0] = mine;
    return c->reduce(buf, VEM__COMM_CHUNK, c->ctx);
}

/*
 * One reduce counts the failures (the whole cost when none failed); then the
 * statuses come VEM__COMM_CHUNK processes at a time up to the first failure,
 * and that process's detail, one character per double.
 */
vem_status vem_comm_agree(const vem_comm *comm, vem_status s)
{
    if (!comm)
        return s;
    double failed = s != VEM_OK, buf[VEM__COMM_CHUNK];
    vem_status st = comm->reduce(&failed, 1, comm->ctx);
    if (st != VEM_OK || failed == 0)
        return st;
    int from = -1;
    vem_status agreed = VEM_OK;
    /* Statuses are small integers: exact as doubles, and summed with zeros. */
    for (int r0 = 0; from < 0 && r0 < comm->size; r0 += VEM__COMM_CHUNK) {
        if ((st = vem__comm_chunk(comm, (double)s, r0, buf)) != VEM_OK)
            return st;
        for (int i = 0; from < 0 && i < VEM__COMM_CHUNK; i++)
            if (buf[i] != 0.0) {
                from = r0 + i;
                agreed = (vem_status)(int)buf[i];
            }
    }
    double text[DETAIL_LEN] = {0};
    if (comm->rank == from) {
        const char *msg = vem_errmsg();
        for (size_t i = 0; i + 1 < DETAIL_LEN && msg[i]; i++)
            text[i] = (double)(unsigned char)msg[i];
    }
    if ((st = comm->reduce(text, DETAIL_LEN, comm->ctx)) != VEM_OK)
        return st;
    char detail[DETAIL_LEN];
    for (size_t i = 0; i < DETAIL_LEN; i++)
        detail[i] = (char)(unsigned char)text[i];
    detail[DETAIL_LEN - 1] = '\0';
    return VEM_FAIL(agreed, "%s", detail);
}
