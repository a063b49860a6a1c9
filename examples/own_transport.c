/*
 * examples/own_transport.c — a distributed fit over a transport of your own.
 *
 *     example_own_transport examples/data/faithful.csv
 *
 * libvem never links MPI: a distributed fit needs only a vem_comm, three
 * callbacks (sum, broadcast, gather) that every process calls in the same
 * order. Here the two processes are this program and a child it forks, and
 * the callbacks move doubles over two pipes. Each process holds half of the
 * rows; both end with the model one process fits on all of them, which the
 * parent checks and prints.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vem/vem.h>

/* The pipes: to_parent carries the child's doubles, to_child the parent's. */
typedef struct pipes {
    int rank;
    int to_parent[2], to_child[2];
} pipes;

static vem_status put(int fd, const void *p, size_t bytes)
{
    for (const char *c = p; bytes;) {
        ssize_t w = write(fd, c, bytes);
        if (w <= 0)
            return VEM_EIO;
        c += w;
        bytes -= (size_t)w;
    }
    return VEM_OK;
}

static vem_status get(int fd, void *p, size_t bytes)
{
    for (char *c = p; bytes;) {
        ssize_t r = read(fd, c, bytes);
        if (r <= 0)
            return VEM_EIO;
        c += r;
        bytes -= (size_t)r;
    }
    return VEM_OK;
}

/* Sum: the child sends its buffer, the parent adds it to its own (rank order) and sends the sum back. */
static vem_status reduce(double *buf, size_t len, void *ctx)
{
    pipes *l = ctx;
    if (l->rank == 1) {
        vem_status s = put(l->to_parent[1], buf, len * sizeof *buf);
        return s == VEM_OK ? get(l->to_child[0], buf, len * sizeof *buf) : s;
    }
    double *other = malloc((len ? len : 1) * sizeof *other);
    vem_status s = other ? get(l->to_parent[0], other, len * sizeof *other) : VEM_ENOMEM;
    for (size_t i = 0; s == VEM_OK && i < len; i++)
        buf[i] += other[i];
    free(other);
    return s == VEM_OK ? put(l->to_child[1], buf, len * sizeof *buf) : s;
}

static vem_status broadcast(double *buf, size_t len, void *ctx)
{
    pipes *l = ctx;
    return l->rank == 0 ? put(l->to_child[1], buf, len * sizeof *buf)
                        : get(l->to_child[0], buf, len * sizeof *buf);
}

/* Gather to the parent: the child sends its length, then its doubles. */
static vem_status gather(const double *buf, size_t len, double **out, size_t *out_len, void *ctx)
{
    pipes *l = ctx;
    *out = NULL;
    *out_len = 0;
    if (l->rank == 1) {
        vem_status s = put(l->to_parent[1], &len, sizeof len);
        return s == VEM_OK ? put(l->to_parent[1], buf, len * sizeof *buf) : s;
    }
    size_t other;
    vem_status s = get(l->to_parent[0], &other, sizeof other);
    double *all = s == VEM_OK ? malloc((len + other + 1) * sizeof *all) : NULL;
    if (s == VEM_OK && !all)
        s = VEM_ENOMEM;
    if (s == VEM_OK) {
        memcpy(all, buf, len * sizeof *all);
        s = get(l->to_parent[0], all + len, other * sizeof *all);
    }
    if (s != VEM_OK) {
        free(all);
        return s;
    }
    *out = all;
    *out_len = len + other;
    return VEM_OK;
}

/* Fit K = 2 full-covariance components to rows x (this process's share when comm is set). */
static vem_status fit(vem_gmm *g, const vem_matrix *x, const vem_comm *comm, vem_fit_result *res)
{
    vem_fit_opts o;
    vem_fit_opts_init(&o);
    o.tol = 1e-10;
    o.max_iter = 1000;
    o.comm = comm;
    vem_rng rng;
    vem_rng_seed(&rng, 1);
    return vem_gmm_fit(g, x, &o, &rng, res);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s data.csv\n", argv[0]);
        return 2;
    }
    vem_table t = {0};
    vem_status s = vem_csv_read(argv[1], NULL, &t);
    if (s != VEM_OK) {
        fprintf(stderr, "%s\n", vem_errmsg());
        return 1;
    }
    pipes l;
    if (pipe(l.to_parent) != 0 || pipe(l.to_child) != 0) {
        perror("pipe");
        return 1;
    }
    fflush(stdout);
    pid_t child = fork();
    if (child < 0) {
        perror("fork");
        return 1;
    }
    l.rank = child == 0 ? 1 : 0;
    vem_comm comm = {.rank = l.rank,
                     .size = 2,
                     .reduce = reduce,
                     .broadcast = broadcast,
                     .gather = gather,
                     .ctx = &l};
    /* Rows [0, n/2) on the parent, [n/2, n) on the child. */
    const size_t half = t.rows / 2, lo = l.rank ? half : 0, hi = l.rank ? t.rows : half;
    vem_matrix share = vem_matrix_view(t.data + lo * t.cols, hi - lo, t.cols);
    vem_gmm *g = vem_gmm_new(2, t.cols, VEM_COV_FULL);
    vem_fit_result res = {0};
    s = g ? fit(g, &share, &comm, &res) : VEM_ENOMEM;
    int rc = s == VEM_OK || s == VEM_EMAXITER ? 0 : 1;
    if (rc)
        fprintf(stderr, "rank %d: %s: %s\n", l.rank, vem_strerror(s), vem_errmsg());
    if (l.rank == 1) {
        vem_fit_result_clear(&res);
        vem_gmm_free(g);
        vem_table_clear(&t);
        _exit(rc);
    }
    int status = 0;
    waitpid(child, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        rc = 1;

    /* The same fit by one process on all the rows. */
    vem_gmm *one = vem_gmm_new(2, t.cols, VEM_COV_FULL);
    vem_fit_result res1 = {0};
    vem_matrix all = vem_table_matrix(&t);
    if (rc == 0 && (!one || (s = fit(one, &all, NULL, &res1)) != VEM_OK))
        rc = 1;
    if (rc == 0) {
        double diff = fabs(res.objective - res1.objective) / fabs(res1.objective);
        printf("two processes over pipes: log-likelihood %.10f after %zu iterations\n",
               res.objective, res.n_iter);
        printf("one process:              log-likelihood %.10f (relative difference %.1e)\n",
               res1.objective, diff);
        for (size_t j = 0; j < 2; j++)
            printf("component %zu: weight %.4f (one process: %.4f)\n", j + 1,
                   vem_gmm_weights(g)[j], vem_gmm_weights(one)[j]);
        rc = diff < 1e-10 ? 0 : 1;
    }
    vem_fit_result_clear(&res);
    vem_fit_result_clear(&res1);
    vem_gmm_free(g);
    vem_gmm_free(one);
    vem_table_clear(&t);
    return rc;
}
