/*
 * tests/threads_comm.h — a caller's own transport for the engine's communicator
 * (vem_comm), without MPI: NP threads stand for NP processes, meeting at a
 * barrier, summing, broadcasting and gathering through shared buffers. Sums
 * add the processes' values in rank order, as the same for every process.
 */
#ifndef VEM_TESTS_THREADS_COMM_H
#define VEM_TESTS_THREADS_COMM_H

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <vem/fit.h>

enum { TC_MAX = 8 };

typedef struct tc_transport {
    int size;
    pthread_barrier_t bar;
    const double *in[TC_MAX];
    size_t len[TC_MAX];
    double *sum;
    size_t sum_len;
} tc_transport;

typedef struct tc_endpoint {
    tc_transport *t;
    int rank;
} tc_endpoint;

static inline vem_status tc_reduce(double *buf, size_t len, void *ctx)
{
    tc_endpoint *e = ctx;
    tc_transport *t = e->t;
    t->in[e->rank] = buf;
    pthread_barrier_wait(&t->bar);
    if (e->rank == 0) {
        if (len > t->sum_len) {
            free(t->sum);
            t->sum = malloc(len * sizeof *t->sum);
            t->sum_len = len;
        }
        for (size_t i = 0; i < len; i++) {
            double s = t->in[0][i];
            for (int r = 1; r < t->size; r++)
                s += t->in[r][i];
            t->sum[i] = s;
        }
    }
    pthread_barrier_wait(&t->bar);
    memcpy(buf, t->sum, len * sizeof *buf);
    pthread_barrier_wait(&t->bar);
    return VEM_OK;
}

static inline vem_status tc_broadcast(double *buf, size_t len, void *ctx)
{
    tc_endpoint *e = ctx;
    e->t->in[e->rank] = buf;
    pthread_barrier_wait(&e->t->bar);
    if (e->rank != 0)
        memcpy(buf, e->t->in[0], len * sizeof *buf);
    pthread_barrier_wait(&e->t->bar);
    return VEM_OK;
}

static inline vem_status tc_gather(const double *buf, size_t len, double **out, size_t *out_len,
                                   void *ctx)
{
    tc_endpoint *e = ctx;
    tc_transport *t = e->t;
    t->in[e->rank] = buf;
    t->len[e->rank] = len;
    pthread_barrier_wait(&t->bar);
    *out = NULL;
    *out_len = 0;
    if (e->rank == 0) {
        size_t total = 0;
        for (int r = 0; r < t->size; r++)
            total += t->len[r];
        double *all = malloc((total + 1) * sizeof *all);
        for (int r = 0, at = 0; r < t->size; at += (int)t->len[r], r++)
            if (t->len[r])
                memcpy(all + at, t->in[r], t->len[r] * sizeof *all);
        *out = all;
        *out_len = total;
    }
    pthread_barrier_wait(&t->bar);
    return VEM_OK;
}

/* The communicator of endpoint e. */
static inline vem_comm tc_comm(tc_endpoint *e)
{
    vem_comm c = {.rank = e->rank,
                  .size = e->t->size,
                  .reduce = tc_reduce,
                  .broadcast = tc_broadcast,
                  .gather = tc_gather,
                  .ctx = e};
    return c;
}

/* Run fn(rank, arg) on size threads with a fresh transport; t receives it (for tc_comm). */
typedef struct tc_job {
    tc_endpoint e;
    void (*fn)(tc_endpoint *e, void *arg);
    void *arg;
} tc_job;

static inline void *tc_thread(void *p)
{
    tc_job *j = p;
    j->fn(&j->e, j->arg);
    return NULL;
}

static inline void tc_run(int size, void (*fn)(tc_endpoint *e, void *arg), void *arg)
{
    tc_transport t;
    memset(&t, 0, sizeof t);
    t.size = size;
    pthread_barrier_init(&t.bar, NULL, (unsigned)size);
    tc_job jobs[TC_MAX];
    pthread_t th[TC_MAX];
    for (int r = 0; r < size; r++) {
        jobs[r].e.t = &t;
        jobs[r].e.rank = r;
        jobs[r].fn = fn;
        jobs[r].arg = arg;
        pthread_create(&th[r], NULL, tc_thread, &jobs[r]);
    }
    for (int r = 0; r < size; r++)
        pthread_join(th[r], NULL);
    pthread_barrier_destroy(&t.bar);
    free(t.sum);
}

#endif
