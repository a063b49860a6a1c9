/*
 * include/vem/comm.h — steps the processes of a distributed fit take together
 * around the fit itself, written against the communicator (vem_comm, fit.h)
 * alone: libvem never links MPI. docs/mpi.md.
 *
 * Every function here is a collective: every process of the communicator
 * calls it, in the same order, or the others wait for ever.
 */
#ifndef VEM_COMM_H
#define VEM_COMM_H

#include <vem/common.h>
#include <vem/fit.h>

VEM_BEGIN_DECLS

/**
 * Agree on the outcome of a step every process took on its own (reading its
 * share of a file, loading a model, allocating): s is this process's status.
 * Returns on every process the same status: VEM_OK when every s is VEM_OK,
 * otherwise the s of the lowest-ranked process whose s is not VEM_OK, whose
 * error detail (vem_errmsg()) is then also every process's. So the caller
 * reports a failure once, on process 0, with every process's exit status the
 * same:
 *
 *     vem_status st = vem_comm_agree(comm, mine);
 *     if (st != VEM_OK && comm_rank == 0)
 *         fprintf(stderr, "%s\n", vem_errmsg());
 *
 * comm NULL: one process; returns s and leaves the detail alone. Costs one
 * reduce of comm->size doubles, and when a step failed a second of 512.
 * If the communicator's reduce fails, its status is returned (this process's
 * own detail kept): the processes may then disagree.
 */
VEM_API vem_status vem_comm_agree(const vem_comm *comm, vem_status s);

VEM_END_DECLS
#endif /* VEM_COMM_H */
