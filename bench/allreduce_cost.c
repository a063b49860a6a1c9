/* bench/allreduce_cost.c — microseconds per MPI_Allreduce(SUM) of N doubles (the ESS of a fit). */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int n = argc > 1 ? atoi(argv[1]) : 2186, reps = argc > 2 ? atoi(argv[2]) : 2000, rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    double *buf = calloc((size_t)n, sizeof *buf);
    for (int i = 0; i < 100; i++) /* warm up */
        MPI_Allreduce(MPI_IN_PLACE, buf, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    for (int i = 0; i < reps; i++)
        MPI_Allreduce(MPI_IN_PLACE, buf, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    double us = (MPI_Wtime() - t0) / reps * 1e6;
    if (rank == 0)
        printf("%d %.3f\n", n, us);
    free(buf);
    MPI_Finalize();
    return 0;
}
