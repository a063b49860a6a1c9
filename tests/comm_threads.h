/*
 * tests/comm_threads.h — a communicator (vem_comm) without MPI: threads stand
 * for processes, a barrier and shared buffers sum, broadcast and gather. Sums
 * are taken in rank order by process 0, so every "process" gets the same bits.
 * Used by test_comm.c and test_share.c.
 */
#ifndef VEM_TESTS_COMM_THREADS_H
#define VEM_TESTS_COMM_THREADS_H

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <vem/vem.h>

enum { TC_MAX = 8 };

/* The shared state of the "processes". */
typedef struct tc_transport {
    pthread_barrier_t bar;
    int size;
    const double *in[TC_MAX];
    size_t len[TC_MAX];
    double *sum; /* scratch of the largest reduce */
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
            double s = 0.0;
            for (int r = 0; r < t->size; r++)
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
            memcpy(all + at, t->in[r], t->len[r] * sizeof *all);
        *out = all;
        *out_len = total;
    }
    pthread_barrier_wait(&t->bar);
    return VEM_OK;
}

static inline void tc_init(tc_transport *t, int size)
{
    memset(t, 0, sizeof *t);
    t->size = size;
    pthread_barrier_init(&t->bar, NULL, (unsigned)size);
}

static inline void tc_destroy(tc_transport *t)
{
    pthread_barrier_destroy(&t->bar);
    free(t->sum);
}

/* Process e->rank of e->t's processes. */
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

/* Run fn on size threads, the r-th with (char *)jobs + r * job_size, and wait for them. */
static inline void tc_run(int size, void *(*fn)(void *), void *jobs, size_t job_size)
{
    pthread_t th[TC_MAX];
    for (int r = 0; r < size; r++)
        pthread_create(&th[r], NULL, fn, (char *)jobs + (size_t)r * job_size);
    for (int r = 0; r < size; r++)
        pthread_join(th[r], NULL);
}

/* Run fn(endpoint, arg) on size threads over a fresh transport, and wait for them. */
typedef struct tc_each {
    tc_endpoint e;
    void (*fn)(tc_endpoint *e, void *arg);
    void *arg;
} tc_each;

static inline void *tc_each_thread(void *p)
{
    tc_each *j = p;
    j->fn(&j->e, j->arg);
    return NULL;
}

static inline void tc_run_each(int size, void (*fn)(tc_endpoint *e, void *arg), void *arg)
{
    tc_transport t;
    tc_init(&t, size);
    tc_each jobs[TC_MAX];
    for (int r = 0; r < size; r++) {
        jobs[r].e.t = &t;
        jobs[r].e.rank = r;
        jobs[r].fn = fn;
        jobs[r].arg = arg;
    }
    tc_run(size, tc_each_thread, jobs, sizeof *jobs);
    tc_destroy(&t);
}

#endif /* VEM_TESTS_COMM_THREADS_H */
