/*
 * cli/mpi.c — the distributed driver's MPI calls (`mpirun -np P vem fit ... --mpi`).
 *
 * libvem knows nothing of MPI: it takes a communicator (vem_comm) and reads
 * shares, agrees on failures, sums each pass and initialises over it. This file
 * creates that communicator from MPI_COMM_WORLD (cli_mpi_comm), plus agreeing on
 * the exit status of what the command itself does (writing the model). Built
 * with -DVEM_WITH_MPI=ON; without it every function reports that MPI is missing.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#ifdef VEM_WITH_MPI
#include <mpi.h>

static int active;
static double reduce_seconds; /* wall time inside MPI_Allreduce, waiting included */
static size_t reduce_calls, reduce_doubles;

int cli_mpi_available(void)
{
    return 1;
}

void cli_mpi_stats(double *seconds, size_t *calls, size_t *doubles)
{
    *seconds = reduce_seconds;
    *calls = reduce_calls;
    *doubles = reduce_doubles;
}

int cli_mpi_begin(int *argc, char ***argv)
{
    if (MPI_Init(argc, argv) != MPI_SUCCESS) {
        cli_error("--mpi: MPI_Init failed");
        return CLI_EXIT_USAGE;
    }
    active = 1;
    /* Only rank 0 prints results; errors still reach stderr from any rank. */
    if (cli_mpi_rank() != 0 && !freopen("/dev/null", "w", stdout)) {
        cli_error("--mpi: cannot silence stdout on rank %d", cli_mpi_rank());
        return CLI_EXIT_INPUT;
    }
    return 0;
}

void cli_mpi_end(void)
{
    if (active)
        MPI_Finalize();
    active = 0;
}

int cli_mpi_active(void)
{
    return active;
}

int cli_mpi_rank(void)
{
    int r = 0;
    if (active)
        MPI_Comm_rank(MPI_COMM_WORLD, &r);
    return r;
}

int cli_mpi_size(void)
{
    int n = 1;
    if (active)
        MPI_Comm_size(MPI_COMM_WORLD, &n);
    return n;
}

static vem_status comm_reduce(double *buf, size_t len, void *ctx)
{
    (void)ctx;
    if (len > (size_t)INT32_MAX)
        return VEM_EUNSUP;
    double t0 = MPI_Wtime();
    int rc = MPI_Allreduce(MPI_IN_PLACE, buf, (int)len, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    reduce_seconds += MPI_Wtime() - t0;
    reduce_calls++;
    reduce_doubles += len;
    return rc == MPI_SUCCESS ? VEM_OK : VEM_EIO;
}

int cli_mpi_agree(int rc)
{
    int all = rc;
    if (active)
        MPI_Allreduce(&rc, &all, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return all;
}

static vem_status comm_broadcast(double *buf, size_t len, void *ctx)
{
    (void)ctx;
    if (len > (size_t)INT32_MAX)
        return VEM_EUNSUP;
    return MPI_Bcast(buf, (int)len, MPI_DOUBLE, 0, MPI_COMM_WORLD) == MPI_SUCCESS ? VEM_OK
                                                                                   : VEM_EIO;
}

/* Every process's len doubles to rank 0, in rank order (MPI_Gather of the counts, then
 * MPI_Gatherv). */
static vem_status comm_gather(const double *buf, size_t len, double **out, size_t *out_len,
                              void *ctx)
{
    (void)ctx;
    *out = NULL;
    *out_len = 0;
    if (len > (size_t)INT32_MAX)
        return VEM_EUNSUP;
    int size = cli_mpi_size(), rank = cli_mpi_rank(), mine = (int)len;
    int *counts = calloc((size_t)size, sizeof *counts);
    int *displ = calloc((size_t)size, sizeof *displ);
    double *all = NULL;
    vem_status st = counts && displ ? VEM_OK : VEM_ENOMEM;
    /* Every rank takes part in both collectives, whatever happened here. */
    MPI_Gather(&mine, 1, MPI_INT, counts, 1, MPI_INT, 0, MPI_COMM_WORLD);
    size_t sum = 0;
    if (rank == 0 && st == VEM_OK) {
        for (int i = 0; i < size; i++) {
            displ[i] = (int)sum;
            sum += (size_t)counts[i];
        }
        all = malloc((sum ? sum : 1) * sizeof *all);
        if (!all || sum > (size_t)INT32_MAX)
            st = VEM_ENOMEM;
    }
    int rc = MPI_Gatherv(buf, mine, MPI_DOUBLE, all, counts, displ, MPI_DOUBLE, 0,
                         MPI_COMM_WORLD);
    if (st == VEM_OK && rc != MPI_SUCCESS)
        st = VEM_EIO;
    free(counts);
    free(displ);
    if (st != VEM_OK) {
        free(all);
        return st;
    }
    *out = all;
    *out_len = sum;
    return VEM_OK;
}

const vem_comm *cli_mpi_comm(void)
{
    static vem_comm c;
    c.rank = cli_mpi_rank();
    c.size = cli_mpi_size();
    c.reduce = comm_reduce;
    c.broadcast = comm_broadcast;
    c.gather = comm_gather;
    c.ctx = NULL;
    return &c;
}

#else /* without MPI */

int cli_mpi_available(void)
{
    return 0;
}

void cli_mpi_stats(double *seconds, size_t *calls, size_t *doubles)
{
    *seconds = 0.0;
    *calls = 0;
    *doubles = 0;
}

int cli_mpi_begin(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    cli_error("--mpi: this vem was built without MPI (configure with -DVEM_WITH_MPI=ON)");
    return CLI_EXIT_USAGE;
}

void cli_mpi_end(void)
{
}

int cli_mpi_active(void)
{
    return 0;
}

int cli_mpi_rank(void)
{
    return 0;
}

int cli_mpi_size(void)
{
    return 1;
}

int cli_mpi_agree(int rc)
{
    return rc;
}

/* Never asked for: --mpi stops at cli_mpi_begin in a build without MPI. */
const vem_comm *cli_mpi_comm(void)
{
    return NULL;
}

#endif
