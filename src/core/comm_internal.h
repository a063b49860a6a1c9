/*
 * src/core/comm_internal.h — collectives built on a communicator's three
 * (vem_comm, include/vem/fit.h) for what the processes of a distributed fit
 * must share before it: sizes, the largest of a value, lists of strings.
 * Every process calls each function in the same order; each agrees on its
 * own failures (vem_comm_agree) before its next collective, so a failure on
 * one process is returned by every process and none is left waiting.
 */
#ifndef VEM_COMM_INTERNAL_H
#define VEM_COMM_INTERNAL_H

#include <stddef.h>

#include <vem/comm.h>

/* One process's communicator: reduce and broadcast leave buf as it is, gather copies it. */
const vem_comm *vem__comm_solo(void);
/* Process 0's n sizes into every process's v (sent as doubles: exact below 2^53). */
vem_status vem__comm_bcast_sizes(const vem_comm *c, size_t *v, size_t n);
/* The largest of every process's *v, into *v on every process. */
vem_status vem__comm_max_size(const vem_comm *c, size_t *v);
/* The sum of every process's v[i], into v[i] on every process (exact below 2^53). */
vem_status vem__comm_sum_sizes(const vem_comm *c, size_t *v, size_t n);
/*
 * The distinct strings of every process's mine (n of them), sorted bytewise as
 * vem_symbols_encode sorts them, into a new list *all of *n_all strings (free
 * with vem_symbols_free), the same on every process. Strings travel exactly:
 * a count, the lengths, then the bytes six to a double.
 */
vem_status vem__comm_strings_union(const vem_comm *c, const char *const *mine, size_t n,
                                   char ***all, size_t *n_all);

#endif /* VEM_COMM_INTERNAL_H */
