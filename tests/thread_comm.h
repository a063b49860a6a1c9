/*
 * tests/thread_comm.h — a communicator (vem_comm) without MPI for the tests:
 * threads stand for processes, and a barrier with shared buffers sums,
 * broadcasts and gathers. Sums are taken in rank order, the same for every
 * thread. Set up with transport_init, one endpoint per thread, and
 * thread_comm(&endpoint) in each.
 */
#ifndef VEM_TESTS_THREAD_COMM_H
#define VEM_TESTS_THREAD_COMM_H

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <vem/vem.h>

enum { TRANSPORT_MAX = 8 };

/* The shared state of the "processes". */
typedef struct transport {
    int size;
    pthread_barrier_t bar;
    const double *in[TRANSPORT_MAX];
    size_t len[TRANSPORT_MAX];
    double *sum; /* scratch of the largest reduce */
    size_t sum_len;
} transport;

typedef struct endpoint {
    transport *t;
    int rank;
} endpoint;

static void transport_init(transport *t, int size)
{
    memset(t, 0, sizeof *t);
    t->size = size;
    pthread_barrier_init(&t->bar, NULL, (unsigned)size);
}

static void transport_clear(transport *t)
{
    pthread_barrier_destroy(&t->bar);
    free(t->sum);
}

static vem_status t_reduce(double *buf, size_t len, void *ctx)
{
    endpoint *e = ctx;
    transport *t = e->t;
    t->in[e->rank] = buf;
    pthread_barrier_wait(&t->bar);
    if (e->rank == 0) {
        if (len > t->sum_len) {
            free(t->sum);
            t->sum = malloc(len * sizeof *t->sum);
            t->sum_len = len;
        }
        for (size_t i = 0; i < len; i++) {
            double s = 0.0;
            for (int r = 0; r < t->size; r++)
                s += t->in[r][i]; /* the same order for all */
            t->sum[i] = s;
        }
    }
    pthread_barrier_wait(&t->bar);
    memcpy(buf, t->sum, len * sizeof *buf);
    pthread_barrier_wait(&t->bar);
    return VEM_OK;
}

static vem_status t_broadcast(double *buf, size_t len, void *ctx)
{
    endpoint *e = ctx;
    e->t->in[e->rank] = buf;
    pthread_barrier_wait(&e->t->bar);
    if (e->rank != 0)
        memcpy(buf, e->t->in[0], len * sizeof *buf);
    pthread_barrier_wait(&e->t->bar);
    return VEM_OK;
}

static vem_status t_gather(const double *buf, size_t len, double **out, size_t *out_len,
                           void *ctx)
{
    endpoint *e = ctx;
    transport *t = e->t;
    t->in[e->rank] = buf;
    t->len[e->rank] = len;
    pthread_barrier_wait(&t->bar);
    *out = NULL;
    *out_len = 0;
    if (e->rank == 0) {
        size_t n = 0;
        for (int r = 0; r < t->size; r++)
            n += t->len[r];
        double *all = malloc((n + 1) * sizeof *all);
        n = 0;
        for (int r = 0; r < t->size; r++) {
            memcpy(all + n, t->in[r], t->len[r] * sizeof *all);
            n += t->len[r];
        }
        *out = all;
        *out_len = n;
    }
    pthread_barrier_wait(&t->bar);
    return VEM_OK;
}

/* The communicator of endpoint e (its transport and rank). */
static vem_comm thread_comm(endpoint *e)
{
    vem_comm c = {.rank = e->rank,
                  .size = e->t->size,
                  .reduce = t_reduce,
                  .broadcast = t_broadcast,
                  .gather = t_gather,
                  .ctx = e};
    return c;
}

#endif /* VEM_TESTS_THREAD_COMM_H */
