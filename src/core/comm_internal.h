/* src/core/comm_internal.h — collectives the library builds on the communicator; not installed. */
#ifndef VEM_COMM_INTERNAL_H
#define VEM_COMM_INTERNAL_H

#include <vem/fit.h>

/* Processes whose values one vem__comm_chunk call brings. */
#define VEM__COMM_CHUNK 64

/*
 * The values `mine` of processes [r0, r0 + VEM__COMM_CHUNK), on every process:
 * buf[i] receives process r0 + i's (0 beyond the last process), exactly, by one
 * reduce of a buffer that is zero outside this process's entry. No allocation,
 * so nothing can fail on one process alone but the reduce. A collective: loop
 * r0 = 0, VEM__COMM_CHUNK, ... below comm->size on every process alike.
 */
vem_status vem__comm_chunk(const vem_comm *c, double mine, int r0, double *buf);

#endif /* VEM_COMM_INTERNAL_H */
