/*
 * tests/test_modelfile.c — GMM model files: bit-exact round trips, atomic
 * replacement, and every load error naming the file and key. Fixtures are
 * written by the test into a fresh temporary directory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include <vem/vem.h>

#include "check.h"

#define K 3
#define D 2

static char dir[1024]; /* well below PATH_MAX, so dir/name always fits */

/* dir/name into buf (PATH_MAX bytes). */
static const char *in_dir(char *buf, const char *name)
{
    snprintf(buf, PATH_MAX, "%s/%s", dir, name);
    return buf;
}

static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    CHECK(fp != NULL);
    if (!fp)
        return;
    fputs(text, fp);
    fclose(fp);
}

/* Whole file into a new string (caller frees); NULL if unreadable. */
static char *read_text(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    size_t cap = 1 << 16;
    char *buf = malloc(cap);
    size_t n = buf ? fread(buf, 1, cap - 1, fp) : 0;
    fclose(fp);
    if (buf)
        buf[n] = '\0';
    return buf;
}

/* Entries of directory p whose name contains ".tmp.". */
static int count_temp_files(const char *p)
{
    DIR *dp = opendir(p);
    if (!dp)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dp)))
        n += strstr(e->d_name, ".tmp.") != NULL;
    closedir(dp);
    return n;
}

/* Remove dir and the files (and empty sub-directories) in it. */
static void remove_dir(const char *p)
{
    DIR *dp = opendir(p);
    if (!dp)
        return;
    struct dirent *e;
    char sub[PATH_MAX];
    while ((e = readdir(dp))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(sub, sizeof sub, "%s/%s", p, e->d_name);
        if (unlink(sub) != 0)
            rmdir(sub);
    }
    closedir(dp);
    rmdir(p);
}

/* ------------------------------------------------------------ round trips */

/* Parameters with awkward values: none is exact in binary, some near the ends of the range. */
static const double weights0[K] = {0.1, 1.0 / 3, 0.56666666666666667};
static const double means0[K * D] = {0.1, -1.0 / 3, 1e-300, 2.385, 2.385e17, -7.25};
static const double full0[K * D * D] = {1.0 / 3, 0.1, 0.1,     2.385,  1e-3, 1e-300,
                                        1e-300,  0.7, 2.385e17, 3.0,   3.0,  1.0 / 7};
static const double diag0[K * D] = {1.0 / 3, 2.385, 1e-3, 0.7, 2.385e17, 1.0 / 7};
static const double spherical0[K] = {1.0 / 3, 1e-3, 2.385e17};
static const double tied0[D * D] = {1.0 / 3, 0.1, 0.1, 2.385};

static const double rows0[4 * D] = {0.1, -0.3, 0.0, 2.0, 2.385e17, -7.0, 1.0, 1.0};

static vem_gmm *make_model(vem_cov cov)
{
    static const double *const covs[] = {full0, diag0, spherical0, tied0};
    vem_gmm *g = vem_gmm_new(K, D, cov);
    CHECK(g != NULL);
    if (!g)
        return NULL;
    CHECK(vem_gmm_set_reg_covar(g, 1e-6 / 3) == VEM_OK);
    vem_status s = vem_gmm_set_params(g, weights0, means0, covs[cov]);
    CHECK(s == VEM_OK);
    if (s != VEM_OK) {
        fprintf(stderr, "set_params(%s): %s\n", vem_cov_name(cov), vem_errmsg());
        vem_gmm_free(g);
        return NULL;
    }
    return g;
}

/* a and b hold the same bits in every parameter and score the same rows identically. */
static void check_same_model(const vem_gmm *a, const vem_gmm *b, const vem_matrix *x)
{
    CHECK(vem_gmm_k(a) == vem_gmm_k(b));
    CHECK(vem_gmm_d(a) == vem_gmm_d(b));
    CHECK(vem_gmm_cov(a) == vem_gmm_cov(b));
    if (vem_gmm_k(a) != vem_gmm_k(b) || vem_gmm_d(a) != vem_gmm_d(b) ||
        vem_gmm_cov(a) != vem_gmm_cov(b))
        return;
    size_t k = vem_gmm_k(a), d = vem_gmm_d(a);
    double ra = vem_gmm_reg_covar(a), rb = vem_gmm_reg_covar(b);
    CHECK(memcmp(&ra, &rb, sizeof ra) == 0);
    CHECK(memcmp(vem_gmm_weights(a), vem_gmm_weights(b), k * sizeof(double)) == 0);
    CHECK(memcmp(vem_gmm_means(a), vem_gmm_means(b), k * d * sizeof(double)) == 0);
    CHECK(vem_gmm_covariances_len(a) == vem_gmm_covariances_len(b));
    CHECK(memcmp(vem_gmm_covariances(a), vem_gmm_covariances(b),
                 vem_gmm_covariances_len(a) * sizeof(double)) == 0);
    double *sa = calloc(x->rows, sizeof *sa), *sb = calloc(x->rows, sizeof *sb);
    CHECK(sa && sb);
    if (sa && sb) {
        CHECK(vem_gmm_score_samples(a, x, sa) == VEM_OK);
        CHECK(vem_gmm_score_samples(b, x, sb) == VEM_OK);
        CHECK(memcmp(sa, sb, x->rows * sizeof *sa) == 0);
    }
    free(sa);
    free(sb);
}

static void test_round_trip(vem_cov cov)
{
    char path[PATH_MAX], path2[PATH_MAX], name[64];
    snprintf(name, sizeof name, "rt_%s.json", vem_cov_name(cov));
    in_dir(path, name);
    vem_gmm *g = make_model(cov);
    if (!g)
        return;
    CHECK(vem_gmm_save(g, path, NULL) == VEM_OK);
    vem_gmm *h = vem_gmm_load(path);
    CHECK(h != NULL);
    if (!h) {
        fprintf(stderr, "load %s: %s\n", path, vem_errmsg());
    } else {
        vem_matrix x = vem_matrix_view(rows0, 4, D);
        check_same_model(g, h, &x);
        CHECK(vem_gmm_columns(h) == NULL);

        /* Saving what was loaded writes the same bytes. */
        snprintf(name, sizeof name, "rt_%s_again.json", vem_cov_name(cov));
        CHECK(vem_gmm_save(h, in_dir(path2, name), NULL) == VEM_OK);
        char *t1 = read_text(path), *t2 = read_text(path2);
        CHECK(t1 && t2 && strcmp(t1, t2) == 0);
        free(t1);
        free(t2);
    }

    /* Keys in the documented order; no "columns" or "fit" unless there are some. */
    char *text = read_text(path);
    CHECK(text != NULL);
    if (text) {
        static const char *const keys[] = {"\"format\"",      "\"version\"",      "\"model\"",
                                           "\"covariance_type\"", "\"n_components\"",
                                           "\"n_features\"",  "\"reg_covar\"",    "\"weights\"",
                                           "\"means\"",       "\"covariances\""};
        const char *prev = text;
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
            const char *at = strstr(text, keys[i]);
            CHECK(at != NULL && at >= prev);
            if (at)
                prev = at;
        }
        CHECK(strstr(text, "\"columns\"") == NULL);
        CHECK(strstr(text, "\"fit\"") == NULL);
        CHECK(strncmp(text, "{\n  \"format\": \"vem-model\",\n", 27) == 0);
        free(text);
    }

    char kind[16];
    CHECK(vem_model_file_kind(path, kind, sizeof kind) == VEM_OK);
    CHECK(strcmp(kind, "gmm") == 0);
    CHECK(vem_model_file_kind(path, kind, 4) == VEM_OK);
    CHECK(vem_model_file_kind(path, kind, 3) == VEM_EINVAL);
    CHECK(strstr(vem_errmsg(), "gmm") != NULL);
    vem_gmm_free(g);
    vem_gmm_free(h);
}

/* Awkward doubles written by the library come back with the same bits. */
static void test_awkward_doubles(void)
{
    static const double vals[] = {0.1, 1.0 / 3, 1e-300, 2.385e17, 2.0 / 3, 4.9406564584124654e-324,
                                  1.7976931348623157e308, 123456789.123456789, -0.0};
    char path[PATH_MAX];
    in_dir(path, "awkward.json");
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        /* The value as a mean of a 1 x 1 model; reg_covar carries it as well where allowed. */
        vem_gmm *g = vem_gmm_new(1, 1, VEM_COV_SPHERICAL);
        double w = 1, c = 2.385;
        CHECK(g && vem_gmm_set_params(g, &w, &vals[i], &c) == VEM_OK);
        if (vals[i] >= 0)
            CHECK(vem_gmm_set_reg_covar(g, vals[i]) == VEM_OK);
        CHECK(vem_gmm_save(g, path, NULL) == VEM_OK);
        vem_gmm *h = vem_gmm_load(path);
        CHECK(h != NULL);
        if (g && h) {
            CHECK(memcmp(vem_gmm_means(h), &vals[i], sizeof(double)) == 0);
            double ra = vem_gmm_reg_covar(g), rb = vem_gmm_reg_covar(h);
            CHECK(memcmp(&ra, &rb, sizeof ra) == 0);
        }
        vem_gmm_free(g);
        vem_gmm_free(h);
    }
}

static void test_columns(void)
{
    char path[PATH_MAX];
    in_dir(path, "columns.json");
    vem_gmm *g = make_model(VEM_COV_DIAG);
    if (!g)
        return;
    const char *names[D] = {"eruptions", "wait \"time\" \xce\xb4"}; /* quotes and UTF-8 delta */
    CHECK(vem_gmm_set_columns(g, names) == VEM_OK);
    CHECK(vem_gmm_save(g, path, NULL) == VEM_OK);
    vem_gmm *h = vem_gmm_load(path);
    CHECK(h != NULL);
    if (h) {
        const char *const *got = vem_gmm_columns(h);
        CHECK(got != NULL);
        if (got) {
            CHECK(strcmp(got[0], names[0]) == 0);
            CHECK(strcmp(got[1], names[1]) == 0);
        }
    }
    vem_gmm_free(h);

    /* A name that is not UTF-8 cannot go into JSON: refused, and no file is left. */
    const char *bad[D] = {"ok", "caf\xe9"};
    char path2[PATH_MAX];
    CHECK(vem_gmm_set_columns(g, bad) == VEM_OK);
    CHECK(vem_gmm_save(g, in_dir(path2, "badcolumns.json"), NULL) == VEM_EINVAL);
    CHECK(strstr(vem_errmsg(), "column 2") != NULL);
    CHECK(access(path2, F_OK) != 0);
    vem_gmm_free(g);
}

static void test_fit_info(void)
{
    char path[PATH_MAX];
    in_dir(path, "fitinfo.json");
    vem_gmm *g = make_model(VEM_COV_FULL);
    if (!g)
        return;
    vem_fit_result res;
    memset(&res, 0, sizeof res);
    res.converged = 1;
    res.n_iter = 7;
    res.objective = -1130.2639226335;
    res.n_obs = 272;
    CHECK(vem_gmm_save(g, path, &res) == VEM_OK);

    json_error_t err;
    json_t *root = json_load_file(path, 0, &err);
    CHECK(root != NULL);
    json_t *fit = json_object_get(root, "fit");
    CHECK(json_is_object(fit));
    CHECK(json_is_real(json_object_get(fit, "log_likelihood")));
    CHECK(json_real_value(json_object_get(fit, "log_likelihood")) == res.objective);
    CHECK(json_integer_value(json_object_get(fit, "n_samples")) == 272);
    CHECK(json_integer_value(json_object_get(fit, "n_iter")) == 7);
    CHECK(json_is_true(json_object_get(fit, "converged")));
    json_decref(root);

    res.converged = 0;
    CHECK(vem_gmm_save(g, path, &res) == VEM_OK);
    root = json_load_file(path, 0, &err);
    CHECK(json_is_false(json_object_get(json_object_get(root, "fit"), "converged")));
    json_decref(root);

    /* The fit record is informational: the model loads as before. */
    vem_gmm *h = vem_gmm_load(path);
    CHECK(h != NULL);
    if (h) {
        vem_matrix x = vem_matrix_view(rows0, 4, D);
        check_same_model(g, h, &x);
    }
    vem_gmm_free(g);
    vem_gmm_free(h);
}

/* A model as the EM engine leaves it (weights from counts) also round-trips exactly. */
static void test_fitted_round_trip(void)
{
    enum { N = 600 };
    static double x[N * D];
    vem_rng r;
    vem_rng_seed(&r, 2385);
    for (size_t i = 0; i < N; i++) {
        double shift = i % 3 == 0 ? 4.0 : -1.5;
        x[i * D] = shift + vem_rng_normal(&r);
        x[i * D + 1] = 0.5 * shift + 0.7 * vem_rng_normal(&r);
    }
    vem_matrix m = vem_matrix_view(x, N, D);
    static const vem_cov covs[] = {VEM_COV_FULL, VEM_COV_DIAG, VEM_COV_SPHERICAL, VEM_COV_TIED};
    for (size_t c = 0; c < 4; c++) {
        vem_gmm *g = vem_gmm_new(2, D, covs[c]);
        vem_fit_opts o;
        vem_fit_opts_init(&o);
        vem_fit_result res;
        memset(&res, 0, sizeof res);
        vem_rng_seed(&r, 1);
        vem_status s = g ? vem_gmm_fit(g, &m, &o, &r, &res) : VEM_ENOMEM;
        CHECK(s == VEM_OK || s == VEM_EMAXITER);
        if (s != VEM_OK && s != VEM_EMAXITER) {
            fprintf(stderr, "fit %s: %s\n", vem_cov_name(covs[c]), vem_errmsg());
            vem_gmm_free(g);
            vem_fit_result_clear(&res);
            continue;
        }
        char path[PATH_MAX];
        in_dir(path, "fitted.json");
        CHECK(vem_gmm_save(g, path, &res) == VEM_OK);
        vem_gmm *h = vem_gmm_load(path);
        CHECK(h != NULL);
        if (h) {
            vem_matrix head = vem_matrix_view(x, 8, D);
            check_same_model(g, h, &head);
        } else {
            fprintf(stderr, "load fitted %s: %s\n", vem_cov_name(covs[c]), vem_errmsg());
        }
        vem_gmm_free(g);
        vem_gmm_free(h);
        vem_fit_result_clear(&res);
    }
}

/* ------------------------------------------------------------ writing safely */

static void test_replace_atomically(void)
{
    char path[PATH_MAX];
    in_dir(path, "replace.json");
    vem_gmm *a = make_model(VEM_COV_FULL), *b = make_model(VEM_COV_TIED);
    if (!a || !b) {
        vem_gmm_free(a);
        vem_gmm_free(b);
        return;
    }
    CHECK(vem_gmm_save(a, path, NULL) == VEM_OK);
    char *old_text = read_text(path);
    struct stat st_old, st_new;
    CHECK(stat(path, &st_old) == 0);

    /* A reader of the old file keeps reading all of it: it was replaced, not rewritten in place. */
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0);
    CHECK(vem_gmm_save(b, path, NULL) == VEM_OK);
    CHECK(stat(path, &st_new) == 0);
    CHECK(st_old.st_ino != st_new.st_ino);
    if (fd >= 0 && old_text) {
        size_t len = strlen(old_text);
        char *seen = malloc(len + 1);
        ssize_t got = seen ? read(fd, seen, len + 1) : -1;
        CHECK(got == (ssize_t)len);
        CHECK(seen && got == (ssize_t)len && memcmp(seen, old_text, len) == 0);
        free(seen);
    }
    if (fd >= 0)
        close(fd);
    free(old_text);

    vem_gmm *h = vem_gmm_load(path);
    CHECK(h != NULL && vem_gmm_cov(h) == VEM_COV_TIED);
    CHECK(count_temp_files(dir) == 0);
    /* Readable by others like any output file, not mkstemp's 0600. */
    CHECK((st_new.st_mode & 0777) == 0644);
    vem_gmm_free(a);
    vem_gmm_free(b);
    vem_gmm_free(h);
}

static void test_save_failures(void)
{
    vem_gmm *g = make_model(VEM_COV_SPHERICAL);
    if (!g)
        return;
    char path[PATH_MAX];

    /* A directory that does not exist. */
    in_dir(path, "no/such/dir/m.json");
    CHECK(vem_gmm_save(g, path, NULL) == VEM_EIO);
    CHECK(strstr(vem_errmsg(), path) != NULL);
    CHECK(strstr(vem_errmsg(), "No such file") != NULL);

    /* A directory without write permission (root may write anywhere: skipped then). */
    char ro[PATH_MAX / 2];
    snprintf(ro, sizeof ro, "%s/readonly", dir);
    CHECK(mkdir(ro, 0555) == 0);
    if (geteuid() != 0) {
        snprintf(path, sizeof path, "%s/m.json", ro);
        CHECK(vem_gmm_save(g, path, NULL) == VEM_EIO);
        CHECK(strstr(vem_errmsg(), "Permission denied") != NULL);
        CHECK(count_temp_files(ro) == 0);
    }
    chmod(ro, 0755);

    /* The temporary file is written, then the rename fails: path is a directory. */
    in_dir(path, "adir");
    CHECK(mkdir(path, 0755) == 0);
    CHECK(vem_gmm_save(g, path, NULL) == VEM_EIO);
    CHECK(strstr(vem_errmsg(), path) != NULL);
    CHECK(count_temp_files(dir) == 0);
    struct stat st;
    CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode));

    CHECK(vem_gmm_save(NULL, path, NULL) == VEM_EINVAL);
    CHECK(vem_gmm_save(g, NULL, NULL) == VEM_EINVAL);
    vem_gmm_free(g);
}

/* ------------------------------------------------------------ load errors */

/* A valid K = 2, D = 3 full model, one key per line (line 1 is "{"). */
typedef struct kv {
    const char *key, *val;
} kv;

static const kv base_doc[] = {
    {"format", "\"vem-model\""},
    {"version", "1"},
    {"model", "\"gmm\""},
    {"covariance_type", "\"full\""},
    {"n_components", "2"},
    {"n_features", "3"},
    {"weights", "[0.25, 0.75]"},
    {"means", "[[0, 1, 2], [3, 4.5, 5]]"},
    {"covariances", "[[[1, 0.5, 0], [0.5, 2, 0], [0, 0, 3]], [[1, 0, 0], [0, 1, 0], [0, 0, 1]]]"},
};

/*
 * Write the base document with key over.key's value replaced by over.val
 * (dropped if val is NULL, appended if the key is new) to dir/name.
 */
static const char *write_doc(char *path, const char *name, const kv *over, size_t nover)
{
    char text[4096];
    size_t used = 0;
    const char *sep = "{\n";
    size_t nbase = sizeof base_doc / sizeof base_doc[0];
    for (size_t i = 0; i < nbase + nover; i++) {
        const kv *e = i < nbase ? &base_doc[i] : &over[i - nbase];
        const char *val = e->val;
        if (i < nbase) {
            for (size_t j = 0; j < nover; j++)
                if (!strcmp(over[j].key, e->key))
                    val = over[j].val;
        } else {
            int in_base = 0;
            for (size_t j = 0; j < nbase; j++)
                in_base |= !strcmp(base_doc[j].key, e->key);
            if (in_base)
                continue;
        }
        if (!val)
            continue;
        used += (size_t)snprintf(text + used, sizeof text - used, "%s  \"%s\": %s", sep, e->key,
                                 val);
        sep = ",\n";
    }
    snprintf(text + used, sizeof text - used, "\n}\n");
    in_dir(path, name);
    write_text(path, text);
    return path;
}

/* Loading dir/name fails; the message names the file and contains want. */
static void expect_load_error(const char *path, const char *want, int line)
{
    vem_gmm *g = vem_gmm_load(path);
    check_count++;
    if (g != NULL) {
        check_failures++;
        fprintf(stderr, "%s:%d: FAIL loading %s succeeded\n", __FILE__, line, path);
        vem_gmm_free(g);
        return;
    }
    const char *msg = vem_errmsg();
    if (getenv("VEM_TEST_VERBOSE"))
        printf("%s\n", msg);
    check_count++;
    if (strncmp(msg, path, strlen(path)) != 0 || !strstr(msg, want)) {
        check_failures++;
        fprintf(stderr, "%s:%d: FAIL message \"%s\" lacks \"%s\" or the path\n", __FILE__, line,
                msg, want);
    }
}

#define EXPECT_ERROR(name, over, want)                                                           \
    do {                                                                                         \
        char p_[PATH_MAX];                                                                       \
        write_doc(p_, (name), (over), sizeof(over) / sizeof(kv));                                \
        expect_load_error(p_, (want), __LINE__);                                                 \
    } while (0)

static void test_load_base(void)
{
    char path[PATH_MAX];
    write_doc(path, "base.json", NULL, 0);
    vem_gmm *g = vem_gmm_load(path);
    CHECK(g != NULL);
    if (!g) {
        fprintf(stderr, "load base: %s\n", vem_errmsg());
        return;
    }
    CHECK(vem_gmm_k(g) == 2 && vem_gmm_d(g) == 3 && vem_gmm_cov(g) == VEM_COV_FULL);
    CHECK(vem_gmm_means(g)[4] == 4.5);
    CHECK(vem_gmm_covariances(g)[1] == 0.5);
    CHECK(vem_gmm_reg_covar(g) == 1e-6); /* the default when the key is absent */
    CHECK(vem_gmm_columns(g) == NULL);
    vem_gmm_free(g);

    /* Optional keys, and keys this version does not know, are accepted. */
    static const kv extra[] = {{"reg_covar", "0.001"},
                               {"columns", "[\"a\", \"b\", \"c\"]"},
                               {"fit", "{\"log_likelihood\": -3.5, \"n_samples\": 10}"},
                               {"comment", "\"made by hand\""}};
    write_doc(path, "extra.json", extra, 4);
    g = vem_gmm_load(path);
    CHECK(g != NULL);
    if (g) {
        CHECK(vem_gmm_reg_covar(g) == 0.001);
        CHECK(vem_gmm_columns(g) && strcmp(vem_gmm_columns(g)[2], "c") == 0);
    }
    vem_gmm_free(g);
}

/* The example of docs/formats.md loads as documented. */
static void test_load_doc_example(void)
{
    static const char doc[] =
        "{\n"
        "  \"format\": \"vem-model\",\n"
        "  \"version\": 1,\n"
        "  \"model\": \"gmm\",\n"
        "  \"covariance_type\": \"full\",\n"
        "  \"n_components\": 2,\n"
        "  \"n_features\": 2,\n"
        "  \"reg_covar\": 1e-06,\n"
        "  \"columns\": [\"eruptions\", \"waiting\"],\n"
        "  \"weights\": [0.35587, 0.64413],\n"
        "  \"means\": [[2.0364, 54.479], [4.2897, 79.968]],\n"
        "  \"covariances\": [[[0.0692, 0.4352], [0.4352, 33.697]], "
        "[[0.1700, 0.9406], [0.9406, 36.046]]],\n"
        "  \"fit\": {\"log_likelihood\": -1130.264, \"n_samples\": 272, \"n_iter\": 7, "
        "\"converged\": true}\n"
        "}\n";
    char path[PATH_MAX];
    write_text(in_dir(path, "doc.json"), doc);
    vem_gmm *g = vem_gmm_load(path);
    CHECK(g != NULL);
    if (!g) {
        fprintf(stderr, "load doc example: %s\n", vem_errmsg());
        return;
    }
    CHECK(vem_gmm_k(g) == 2 && vem_gmm_d(g) == 2 && vem_gmm_cov(g) == VEM_COV_FULL);
    CHECK(vem_gmm_columns(g) && strcmp(vem_gmm_columns(g)[1], "waiting") == 0);
    CHECK(vem_gmm_means(g)[3] == 79.968);
    CHECK(vem_gmm_covariances(g)[7] == 36.046);
    char kind[8];
    CHECK(vem_model_file_kind(path, kind, sizeof kind) == VEM_OK && strcmp(kind, "gmm") == 0);
    vem_gmm_free(g);
}

static void test_load_errors(void)
{
    char path[PATH_MAX];

    in_dir(path, "missing.json");
    CHECK(vem_gmm_load(path) == NULL);
    CHECK(strstr(vem_errmsg(), path) && strstr(vem_errmsg(), "No such file"));
    char kind[16];
    CHECK(vem_model_file_kind(path, kind, sizeof kind) == VEM_EIO);

    /* Bad JSON: FILE:LINE:COL with jansson's text; the column is where the bad token ends. */
    in_dir(path, "syntax.json");
    write_text(path, "{\n  \"format\": \"vem-model\",\n  \"version\": 1,,\n}\n");
    expect_load_error(path, "syntax.json:3:16: ", __LINE__);
    expect_load_error(path, "'}' expected", __LINE__);
    CHECK(vem_model_file_kind(path, kind, sizeof kind) == VEM_EFORMAT);
    CHECK(strstr(vem_errmsg(), "syntax.json:3:16: ") != NULL);

    in_dir(path, "empty.json");
    write_text(path, "");
    expect_load_error(path, "empty.json:1:1: ", __LINE__);

    in_dir(path, "array.json");
    write_text(path, "[1, 2]\n");
    expect_load_error(path, "not a JSON object", __LINE__);

    in_dir(path, "duplicate.json");
    write_text(path, "{\"format\": \"vem-model\", \"format\": \"vem-model\"}");
    expect_load_error(path, "duplicate object key", __LINE__);

    static const kv format_wrong[] = {{"format", "\"sklearn\""}};
    EXPECT_ERROR("format.json", format_wrong, "key 'format': expected \"vem-model\"");
    static const kv format_missing[] = {{"format", NULL}};
    EXPECT_ERROR("format2.json", format_missing, "key 'format' is missing");
    static const kv format_number[] = {{"format", "1"}};
    EXPECT_ERROR("format3.json", format_number, "key 'format': expected a string");
    CHECK(vem_model_file_kind(write_doc(path, "format4.json", format_wrong, 1), kind,
                              sizeof kind) == VEM_EFORMAT);
    CHECK(strstr(vem_errmsg(), "key 'format'") != NULL);
    static const kv version_wrong[] = {{"version", "2"}};
    EXPECT_ERROR("version.json", version_wrong, "key 'version': unsupported version 2");
    static const kv version_string[] = {{"version", "\"1\""}};
    EXPECT_ERROR("version2.json", version_string, "key 'version'");
    static const kv model_wrong[] = {{"model", "\"hmm\""}};
    EXPECT_ERROR("model.json", model_wrong, "key 'model': expected \"gmm\"");
    /* ... but vem_model_file_kind reports it, to pick the right loader. */
    CHECK(vem_model_file_kind(write_doc(path, "model2.json", model_wrong, 1), kind,
                              sizeof kind) == VEM_OK);
    CHECK(strcmp(kind, "hmm") == 0);

    static const kv cov_unknown[] = {{"covariance_type", "\"banana\""}};
    EXPECT_ERROR("cov.json", cov_unknown, "key 'covariance_type': unknown type \"banana\"");
    static const kv k_zero[] = {{"n_components", "0"}};
    EXPECT_ERROR("k0.json", k_zero, "key 'n_components': expected a positive integer");
    static const kv k_real[] = {{"n_components", "2.0"}};
    EXPECT_ERROR("k1.json", k_real, "key 'n_components'");
    static const kv d_missing[] = {{"n_features", NULL}};
    EXPECT_ERROR("d.json", d_missing, "key 'n_features' is missing");
    static const kv reg_negative[] = {{"reg_covar", "-1e-6"}};
    EXPECT_ERROR("reg.json", reg_negative, "key 'reg_covar'");
    static const kv columns_short[] = {{"columns", "[\"a\", \"b\"]"}};
    EXPECT_ERROR("columns.json", columns_short, "key 'columns': expected an array of 3 strings");
    static const kv columns_number[] = {{"columns", "[\"a\", 2, \"c\"]"}};
    EXPECT_ERROR("columns2.json", columns_number, "key 'columns': entry 2 is not a string");
    static const kv fit_number[] = {{"fit", "3"}};
    EXPECT_ERROR("fit.json", fit_number, "key 'fit'");

    /* Shapes. */
    static const kv weights_long[] = {{"weights", "[0.25, 0.25, 0.5]"}};
    EXPECT_ERROR("w1.json", weights_long, "key 'weights': expected 2 numbers, got an array of 3");
    static const kv weights_string[] = {{"weights", "\"0.25, 0.75\""}};
    EXPECT_ERROR("w2.json", weights_string, "key 'weights': expected 2 numbers, got a string");
    static const kv means_ragged[] = {{"means", "[[0, 1, 2], [3, 4]]"}};
    EXPECT_ERROR("m1.json", means_ragged,
                 "key 'means': expected 2 arrays of 3 numbers, row 2 has 2");
    static const kv means_flat[] = {{"means", "[0, 1, 2, 3, 4, 5]"}};
    EXPECT_ERROR("m2.json", means_flat,
                 "key 'means': expected 2 arrays of 3 numbers, got an array of 6");
    static const kv means_missing[] = {{"means", NULL}};
    EXPECT_ERROR("m3.json", means_missing, "key 'means' is missing");
    static const kv cov_ragged[] = {
        {"covariances", "[[[1, 0, 0], [0, 1, 0], [0, 0, 1]], [[1, 0, 0], [0, 1], [0, 0, 1]]]"}};
    EXPECT_ERROR("c1.json", cov_ragged,
                 "key 'covariances': expected 2 arrays of 3 arrays of 3 numbers, "
                 "component 2, row 2 has 2");
    static const kv cov_diag_as_full[] = {{"covariance_type", "\"diag\""}};
    EXPECT_ERROR("c2.json", cov_diag_as_full,
                 "key 'covariances': expected 2 arrays of 3 numbers, component 1, column 1 is "
                 "an array");
    static const kv spherical_shape[] = {{"covariance_type", "\"spherical\""},
                                         {"covariances", "[1, 2, 3]"}};
    EXPECT_ERROR("c3.json", spherical_shape,
                 "key 'covariances': expected 2 numbers, got an array of 3");
    static const kv tied_shape[] = {{"covariance_type", "\"tied\""},
                                    {"covariances", "[[1, 0, 0], [0, 1, 0]]"}};
    EXPECT_ERROR("c4.json", tied_shape,
                 "key 'covariances': expected 3 arrays of 3 numbers, got an array of 2");

    /*
     * Non-finite values. JSON has no NaN or Inf: a string is "not a number", a
     * bare NaN is a syntax error, and jansson rejects 1e999 while parsing
     * ("real number overflow"), so it is a FILE:LINE:COL error (line 8 is "weights").
     */
    static const kv nan_string[] = {{"means", "[[0, 1, 2], [3, \"NaN\", 5]]"}};
    EXPECT_ERROR("nan1.json", nan_string,
                 "key 'means': expected 2 arrays of 3 numbers, row 2, column 2 is a string");
    static const kv nan_bare[] = {{"means", "[[0, 1, 2], [3, NaN, 5]]"}};
    EXPECT_ERROR("nan2.json", nan_bare, "invalid token");
    static const kv overflow[] = {{"weights", "[0.25, 1e999]"}};
    EXPECT_ERROR("inf.json", overflow, "inf.json:8:25: real number overflow");
    static const kv null_value[] = {{"weights", "[0.25, null]"}};
    EXPECT_ERROR("null.json", null_value, "key 'weights': expected 2 numbers, component 2 is null");

    /* Weights. */
    static const kv weights_sum[] = {{"weights", "[0.5, 0.47]"}};
    EXPECT_ERROR("ws.json", weights_sum, "key 'weights': sum is 0.97, not 1");
    static const kv weights_negative[] = {{"weights", "[1.5, -0.5]"}};
    EXPECT_ERROR("wn.json", weights_negative, "key 'weights': component 2 is -0.5, not positive");
    static const kv weights_zero[] = {{"weights", "[1, 0]"}};
    EXPECT_ERROR("wz.json", weights_zero, "not positive");
    /* Within 1e-8 of 1 is accepted. */
    static const kv weights_close[] = {{"weights", "[0.250000004, 0.75]"}};
    vem_gmm *g = vem_gmm_load(write_doc(path, "wc.json", weights_close, 1));
    CHECK(g != NULL);
    vem_gmm_free(g);

    /* Covariances. */
    static const kv asymmetric[] = {
        {"covariances",
         "[[[1, 0, 0], [0, 1, 0], [0, 0, 1]], [[1, 0.5, 0], [0.4, 2, 0], [0, 0, 3]]]"}};
    EXPECT_ERROR("asym.json", asymmetric,
                 "key 'covariances': component 2 is not symmetric: row 1, column 2 is 0.5");
    static const kv tied_asymmetric[] = {{"covariance_type", "\"tied\""},
                                         {"covariances", "[[1, 0, 0], [0, 1, 0], [0, 1e-3, 1]]"}};
    EXPECT_ERROR("asym2.json", tied_asymmetric, "key 'covariances': not symmetric");
    static const kv diag_negative[] = {{"covariance_type", "\"diag\""},
                                       {"covariances", "[[1, 2, 3], [1, -2, 3]]"}};
    EXPECT_ERROR("diagneg.json", diag_negative,
                 "key 'covariances': component 2, column 2 is -2, not positive");
    static const kv spherical_zero[] = {{"covariance_type", "\"spherical\""},
                                        {"covariances", "[1, 0]"}};
    EXPECT_ERROR("sph0.json", spherical_zero, "key 'covariances': component 2 is 0, not positive");

    /* Not positive definite: found by vem_gmm_set_params, its message prefixed with the file. */
    static const kv not_pd[] = {
        {"covariances", "[[[1, 0, 0], [0, 1, 0], [0, 0, 1]], [[1, 2, 0], [2, 1, 0], [0, 0, 1]]]"}};
    write_doc(path, "notpd.json", not_pd, 1);
    expect_load_error(path, "notpd.json: ", __LINE__);
    expect_load_error(path, "component 2", __LINE__);
    expect_load_error(path, "positive definite", __LINE__);
    static const kv tied_not_pd[] = {{"covariance_type", "\"tied\""},
                                     {"covariances", "[[1, 2, 0], [2, 1, 0], [0, 0, 1]]"}};
    EXPECT_ERROR("notpd2.json", tied_not_pd, "positive definite");

    CHECK(vem_gmm_load(NULL) == NULL);
    CHECK(vem_model_file_kind(path, kind, 0) == VEM_EINVAL);
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/vem_modelfile_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        fprintf(stderr, "mkdtemp %s: %s\n", dir, strerror(errno));
        return 1;
    }
    static const vem_cov covs[] = {VEM_COV_FULL, VEM_COV_DIAG, VEM_COV_SPHERICAL, VEM_COV_TIED};
    for (size_t c = 0; c < 4; c++)
        test_round_trip(covs[c]);
    test_awkward_doubles();
    test_columns();
    test_fit_info();
    test_fitted_round_trip();
    test_replace_atomically();
    test_save_failures();
    test_load_base();
    test_load_doc_example();
    test_load_errors();
    CHECK(count_temp_files(dir) == 0);
    remove_dir(dir);
    return check_report("modelfile");
}
