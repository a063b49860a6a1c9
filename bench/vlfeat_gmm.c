/*
 * bench/vlfeat_gmm.c — time VLFeat's vl_gmm (diagonal covariances) from a vem
 * initial model, for bench/bench_speed.sh. Prints one JSON line.
 *
 *   cc -O2 bench/vlfeat_gmm.c -o vlfeat_gmm $(pkg-config --cflags --libs jansson) -lvl -lm
 *   ./vlfeat_gmm DATA.f64 D INIT.json ITERS THREADS
 *
 * DATA: raw little-endian float64, D columns. INIT: a vem model file with
 * "covariance_type": "diag" (weights, means, covariances). The fit starts from
 * those parameters (VlGMMCustom) and runs EM for ITERS iterations (VLFeat also
 * stops by itself when the relative change of its log-likelihood falls below
 * 1e-5; the bench checks that it did not). Timed twice: ITERS iterations and
 * 1 iteration from the same start; the marginal cost of an iteration is
 * (t_ITERS - t_1) / (ITERS - 1). mean_log_likelihood is that of the returned
 * parameters, from vl_get_gmm_data_posteriors_d outside the timing.
 * VLFeat floors each variance at its covariance lower bound; it is set to 1e-6
 * here (vem and scikit-learn add reg_covar = 1e-6 instead).
 */
#define _POSIX_C_SOURCE 200809L
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <vl/generic.h>
#include <vl/gmm.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "vlfeat_gmm: %s\n", what);
    exit(1);
}

/* Flatten a JSON array of numbers (or of arrays of numbers) into out[0..n). */
static size_t flatten(json_t *a, double *out, size_t n)
{
    size_t m = 0, i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        if (json_is_array(v))
            m += flatten(v, out + m, n - m);
        else if (m < n)
            out[m++] = json_number_value(v);
    }
    return m;
}

static VlGMM *make(size_t d, size_t k, const double *w, const double *mu, const double *var,
                   size_t iters)
{
    VlGMM *g = vl_gmm_new(VL_TYPE_DOUBLE, d, k);
    vl_gmm_set_initialization(g, VlGMMCustom);
    vl_gmm_set_means(g, mu);
    vl_gmm_set_covariances(g, var);
    vl_gmm_set_priors(g, w);
    vl_gmm_set_max_num_iterations(g, iters);
    vl_gmm_set_num_repetitions(g, 1);
    vl_gmm_set_covariance_lower_bound(g, 1e-6);
    vl_gmm_set_verbosity(g, 0);
    return g;
}

int main(int argc, char **argv)
{
    if (argc != 6)
        die("usage: vlfeat_gmm DATA.f64 D INIT.json ITERS THREADS");
    size_t d = (size_t)atol(argv[2]), iters = (size_t)atol(argv[4]);
    vl_set_num_threads((vl_size)atol(argv[5]));
    FILE *fh = fopen(argv[1], "rb");
    if (!fh)
        die("cannot open data");
    fseek(fh, 0, SEEK_END);
    long bytes = ftell(fh);
    fseek(fh, 0, SEEK_SET);
    size_t n = (size_t)bytes / (8 * d);
    double *x = malloc(n * d * sizeof *x);
    if (!x || fread(x, sizeof *x, n * d, fh) != n * d)
        die("cannot read data");
    fclose(fh);

    json_error_t err;
    json_t *m = json_load_file(argv[3], 0, &err);
    if (!m)
        die(err.text);
    size_t k = (size_t)json_integer_value(json_object_get(m, "n_components"));
    double *w = malloc(k * sizeof *w), *mu = malloc(k * d * sizeof *mu);
    double *var = malloc(k * d * sizeof *var);
    if (flatten(json_object_get(m, "weights"), w, k) != k ||
        flatten(json_object_get(m, "means"), mu, k * d) != k * d ||
        flatten(json_object_get(m, "covariances"), var, k * d) != k * d)
        die("the initial model must be diagonal with matching shapes");

    VlGMM *g1 = make(d, k, w, mu, var, 1);
    double t0 = now();
    vl_gmm_cluster(g1, x, n);
    double t1 = now() - t0;
    vl_gmm_delete(g1);

    VlGMM *g = make(d, k, w, mu, var, iters);
    t0 = now();
    double ll_last_estep = vl_gmm_cluster(g, x, n);
    double tn = now() - t0;

    double *post = malloc(n * k * sizeof *post);
    if (!post)
        die("out of memory for the final log-likelihood");
    double ll = vl_get_gmm_data_posteriors_d(post, k, n, vl_gmm_get_priors(g), vl_gmm_get_means(g),
                                             d, vl_gmm_get_covariances(g), x);
    printf("{\"peer\": \"vlfeat\", \"version\": \"%s\", \"rows\": %zu, \"cols\": %zu, \"k\": %zu, "
           "\"iters\": %zu, \"threads\": %s, \"seconds\": %.6f, \"seconds_1\": %.6f, "
           "\"seconds_per_iter_net\": %.6f, \"log_likelihood_last_estep\": %.10f, "
           "\"log_likelihood\": %.10f, \"mean_log_likelihood\": %.12f}\n",
           vl_get_version_string(), n, d, k, iters, argv[5], tn, t1,
           iters > 1 ? (tn - t1) / (double)(iters - 1) : tn, ll_last_estep, ll, ll / (double)n);
    vl_gmm_delete(g);
    free(post);
    free(x);
    free(w);
    free(mu);
    free(var);
    json_decref(m);
    return 0;
}
