/*
 * tests/test_comm.c — the engine driven by a caller's own transport: two threads
 * stand for two processes, each holding half of the rows, and a communicator
 * (vem_comm) made of a barrier and shared buffers sums, broadcasts and gathers.
 * No MPI. The distributed fit (the restarts' initialisation on a sample gathered
 * to process 0 included) must give one process's model on all the rows.
 */
#include <stdlib.h>
#include <string.h>

#include <vem/vem.h>

#include "check.h"
#include "comm_threads.h"

enum { N = 600, D = 2, K = 3, P = 2 };

/* Three planted clusters, drawn with vem's generator. */
static void make_data(double *x)
{
    vem_rng rng;
    vem_rng_seed(&rng, 11);
    static const double centre[K][D] = {{0, 0}, {4, 1}, {1, 5}};
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < D; j++)
            x[i * D + j] = centre[i % K][j] + vem_rng_normal(&rng);
}

static void fit_opts(vem_fit_opts *o)
{
    vem_fit_opts_init(o);
    o->n_init = 3;
    o->tol = 1e-12;
    o->max_iter = 1000;
    o->nthreads = 1;
}

typedef struct job {
    tc_endpoint e;
    const double *x;
    size_t rows;
    vem_gmm *g;
    vem_fit_result res;
    vem_status st;
} job;

static void *run_process(void *arg)
{
    job *j = arg;
    vem_comm comm = tc_comm(&j->e);
    vem_fit_opts o;
    fit_opts(&o);
    o.comm = &comm;
    vem_rng rng;
    vem_rng_seed(&rng, 5);
    vem_matrix x = vem_matrix_view(j->x, j->rows, D);
    j->st = vem_gmm_fit(j->g, &x, &o, &rng, &j->res);
    return NULL;
}

int main(void)
{
    double *x = malloc(N * D * sizeof *x);
    make_data(x);

    /* One process on all the rows. */
    vem_gmm *one = vem_gmm_new(K, D, VEM_COV_FULL);
    vem_fit_opts o;
    fit_opts(&o);
    vem_rng rng;
    vem_rng_seed(&rng, 5);
    vem_matrix all = vem_matrix_view(x, N, D);
    vem_fit_result res1;
    CHECK(vem_gmm_fit(one, &all, &o, &rng, &res1) == VEM_OK);

    /* Two "processes", rows [0, 250) and [250, N). */
    tc_transport t;
    tc_init(&t, P);
    job jobs[P];
    const size_t split = 250;
    for (int r = 0; r < P; r++) {
        memset(&jobs[r], 0, sizeof jobs[r]);
        jobs[r].e = (tc_endpoint){&t, r};
        jobs[r].x = r == 0 ? x : x + split * D;
        jobs[r].rows = r == 0 ? split : N - split;
        jobs[r].g = vem_gmm_new(K, D, VEM_COV_FULL);
    }
    tc_run(P, run_process, jobs, sizeof jobs[0]);

    for (int r = 0; r < P; r++) {
        CHECK(jobs[r].st == VEM_OK);
        /* The same restarts, the same choice, the same model as one process. */
        CHECK(jobs[r].res.best_init == res1.best_init);
        CHECK(jobs[r].res.n_iter == res1.n_iter);
        CHECK(jobs[r].res.n_obs == (double)N);
        CHECK_REL(jobs[r].res.objective, res1.objective, 1e-12);
        for (size_t i = 0; i < K * D; i++)
            CHECK_REL(vem_gmm_means(jobs[r].g)[i], vem_gmm_means(one)[i], 1e-10);
        for (size_t i = 0; i < K; i++)
            CHECK_REL(vem_gmm_weights(jobs[r].g)[i], vem_gmm_weights(one)[i], 1e-10);
    }
    /* Both processes hold the same bits. */
    CHECK(memcmp(vem_gmm_means(jobs[0].g), vem_gmm_means(jobs[1].g), K * D * sizeof(double)) == 0);
    CHECK(memcmp(vem_gmm_covariances(jobs[0].g), vem_gmm_covariances(jobs[1].g),
                 vem_gmm_covariances_len(jobs[0].g) * sizeof(double)) == 0);

    for (int r = 0; r < P; r++) {
        vem_fit_result_clear(&jobs[r].res);
        vem_gmm_free(jobs[r].g);
    }
    vem_fit_result_clear(&res1);
    vem_gmm_free(one);
    tc_destroy(&t);
    free(x);
    return check_report("comm");
}
