/*
 * src/io/ldafile.c — LDA model files: a JSON document (format "vem-model",
 * model "lda") and lambda in a NumPy .npy file beside it (docs/lda.md).
 *
 * The .npy is written first under a name no file has, then the JSON that
 * names it to a temporary renamed over the target (the commit point), then the
 * old .npy is removed: a reader sees the old pair or the new one (see save).
 * NPY format 1.0: the magic "\x93NUMPY", version bytes 1 0, a little-endian
 * uint16 header length, a Python dict literal padded with spaces and a newline
 * so that the data starts at a multiple of 64 bytes, then the data. The header
 * is read by src/io/npy.c (shared with data .npy files).
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include <vem/io.h>
#include <vem/lda.h>

#include "internal.h"
#include "io/jsonfile.h"
#include "io/npy_internal.h"
#include "io/npyunit.h"

/* ------------------------------------------------------------------ npy */

/* Write a to a synced temporary beside path, its name into *tmp (still registered). */
static vem_status npy_write(const char *path, const double *a, size_t rows, size_t cols,
                            char **tmp)
{
    char dict[128];
    int dl = snprintf(dict, sizeof dict,
                      "{'descr': '<f8', 'fortran_order': False, 'shape': (%zu, %zu), }", rows,
                      cols);
    size_t hlen = (size_t)dl + 1; /* with the newline */
    size_t total = 10 + hlen;
    size_t pad = (64 - total % 64) % 64;
    hlen += pad;
    FILE *f = vem__atomic_open(path, tmp);
    if (!f)
        return vem__last_status();
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                             (unsigned char)(hlen & 0xff), (unsigned char)(hlen >> 8)};
    int failed = fwrite(pre, 1, 10, f) != 10 || fwrite(dict, 1, (size_t)dl, f) != (size_t)dl;
    for (size_t i = 0; i < pad && !failed; i++)
        failed = fputc(' ', f) == EOF;
    failed = failed || fputc('\n', f) == EOF;
    /* Little-endian doubles: written byte by byte so that big-endian hosts agree. */
    for (size_t i = 0; i < rows * cols && !failed; i++) {
        uint64_t u;
        memcpy(&u, &a[i], 8);
        unsigned char b[8];
        for (int j = 0; j < 8; j++)
            b[j] = (unsigned char)(u >> (8 * j));
        failed = fwrite(b, 1, 8, f) != 8;
    }
    vem_status st = vem__atomic_close(f, *tmp, path, failed);
    if (st != VEM_OK)
        *tmp = NULL;
    return st;
}

/* Read a float64 C-order 2-D .npy of shape rows x cols into a (rows * cols doubles);
 * a NULL: check the header only (magic, dtype, order, shape). */
static vem_status npy_read(const char *path, double *a, size_t rows, size_t cols)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return VEM_FAIL(VEM_EIO, "%s: cannot open: %s", path, strerror(errno));
    vem__npy h;
    vem_status st = vem__npy_header(f, path, &h);
    if (st != VEM_OK)
        goto done;
    if (strcmp(h.descr, "<f8") != 0) {
        st = VEM_FAIL(VEM_EFORMAT, "%s: .npy dtype must be '<f8' (little-endian float64)", path);
        goto done;
    }
    if (h.fortran) {
        st = VEM_FAIL(VEM_EFORMAT, "%s: .npy must be in C order (fortran_order False)", path);
        goto done;
    }
    if (h.ndim != 2) {
        st = VEM_FAIL(VEM_EFORMAT, "%s: .npy shape must be a 2-tuple of integers", path);
        goto done;
    }
    if (h.shape[0] != rows || h.shape[1] != cols) {
        st = VEM_FAIL(VEM_EFORMAT, "%s: .npy shape (%llu, %llu), expected (%zu, %zu)", path,
                      (unsigned long long)h.shape[0], (unsigned long long)h.shape[1], rows,
                      cols);
        goto done;
    }
    for (size_t i = 0; a && i < rows * cols; i++) {
        unsigned char b[8];
        if (fread(b, 1, 8, f) != 8) {
            st = VEM_FAIL(VEM_EFORMAT, "%s: .npy file is truncated", path);
            goto done;
        }
        uint64_t u = 0;
        for (int j = 0; j < 8; j++)
            u |= (uint64_t)b[j] << (8 * j);
        memcpy(&a[i], &u, 8);
    }
done:
    fclose(f);
    return st;
}

/* ---------------------------------------------------------------- paths */

/* The .npy path for model path: ".json" replaced by ".lambda.npy", or that appended. */
static char *npy_path(const char *path)
{
    size_t n = strlen(path);
    size_t base = n >= 5 && strcmp(path + n - 5, ".json") == 0 ? n - 5 : n;
    char *p = vem__malloc(base + 12);
    if (!p)
        return NULL;
    memcpy(p, path, base);
    memcpy(p + base, ".lambda.npy", 12);
    return p;
}

/* ------------------------------------------------------------------ save */

/*
 * The model and its .npy are one unit (docs/lda.md, docs/reliability.md).
 * STEM is the model's path without ".json" plus ".lambda"; the .npy is named
 * STEM.npy when no file has that name, else STEM.XXXXXX.npy (a generation:
 * six letters or digits), never the name the old model uses:
 *   1. lambda to STEM.npy.vem-tmp.PID.XXXXXX, synced;
 *   2. hard-linked to its new name (no file is replaced), the temporary removed;
 *   3. the JSON naming it to PATH.vem-tmp.PID.XXXXXX, synced, renamed over PATH
 *      (the commit: before it the old JSON names the old .npy, untouched);
 *   4. the old model's .npy, and the .npy files of the two patterns older than
 *      this process's first output (left by a kill -9 between 2 and 3), removed.
 */

/* name is STEM.npy or STEM.XXXXXX.npy (XXXXXX six letters or digits). */
static int npy_name_of(const char *name, const char *stem)
{
    size_t n = strlen(stem);
    if (strncmp(name, stem, n) != 0)
        return 0;
    name += n;
    if (strcmp(name, ".npy") == 0)
        return 1;
    if (name[0] != '.' || strlen(name) != 11 || strcmp(name + 7, ".npy") != 0)
        return 0;
    for (int i = 1; i < 7; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
              (name[i] >= '0' && name[i] <= '9')))
            return 0;
    return 1;
}

/* Give the synced temporary tmp the name canon (STEM.npy) or, when a file has
 * that name, a new STEM.XXXXXX.npy; *out the full new name (registered as a
 * temporary until the commit). Nothing existing is replaced. */
static vem_status npy_place(const char *tmp, const char *canon, char **out)
{
    static const char abc[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    size_t cl = strlen(canon);
    char *name = vem__malloc(cl + 8);
    if (!name)
        return VEM_FAIL(VEM_ENOMEM, "%s: out of memory", canon);
    memcpy(name, canon, cl + 1);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    unsigned long long x = (unsigned long long)now.tv_nsec * 2654435761u ^
                           (unsigned long long)getpid() << 32 ^ (unsigned long long)now.tv_sec;
    for (int attempt = 0; attempt < 100; attempt++) {
        if (attempt > 0) { /* STEM.XXXXXX.npy */
            memcpy(name, canon, cl - 4);
            name[cl - 4] = '.';
            for (size_t i = 0; i < 6; i++) {
                x = x * 6364136223846793005ULL + 1442695040888963407ULL;
                name[cl - 3 + i] = abc[(x >> 33) % 62];
            }
            memcpy(name + cl + 3, ".npy", 5);
        }
        /* Signals wait until the new name is registered (vem__signals_hold). */
        sigset_t held;
        vem__signals_hold(&held);
        int placed = link(tmp, name) == 0, e = errno;
        if (!placed && e != EEXIST) {
            /* No hard links here (some file systems): rename when the name is free. */
            struct stat sb;
            if (lstat(name, &sb) == 0) {
                vem__signals_release(&held);
                continue;
            }
            if (rename(tmp, name) != 0) {
                e = errno;
                vem__signals_release(&held);
                vem__free(name);
                return VEM_FAIL(VEM_EIO, "%s: %s", canon, strerror(e));
            }
            placed = 1;
        }
        if (placed)
            vem__tmp_register(name, 0);
        vem__signals_release(&held);
        if (placed) {
            unlink(tmp);
            *out = name;
            return VEM_OK;
        }
    }
    vem__free(name);
    return VEM_FAIL(VEM_EIO, "%s: no free name for the .npy", canon);
}

/* The old model's lambda_file when it is one of this model's .npy names, else NULL. */
static char *old_npy(const char *path, const char *stem)
{
    json_t *root = NULL;
    char *old = NULL;
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size > (1 << 30))
        return NULL;
    json_error_t je;
    root = json_load_file(path, 0, &je);
    const char *lf = json_string_value(json_object_get(root, "lambda_file"));
    if (lf && !strchr(lf, '/') && npy_name_of(lf, stem))
        old = vem__strdup(lf);
    json_decref(root);
    return old;
}

typedef struct npy_sweep_ctx {
    const char *stem, *keep, *old;
} npy_sweep_ctx;

static int npy_doomed(const char *name, const struct stat *st, void *ctx)
{
    const npy_sweep_ctx *c = ctx;
    return strcmp(name, c->keep) != 0 && npy_name_of(name, c->stem) && S_ISREG(st->st_mode) &&
           ((c->old && strcmp(c->old, name) == 0) || vem__older_than_epoch(st));
}

/* After the commit: remove old (the old model's .npy) and the .npy files of stem's
 * patterns older than this process's first output, all but keep. Best effort. */
static void npy_sweep(const char *dir, const char *stem, const char *keep, const char *old)
{
    npy_sweep_ctx c = {stem, keep, old};
    vem__dir_sweep(dir, npy_doomed, &c);
}

vem_status vem_lda_save(const vem_lda *l, const char *path, const vem_fit_result *fit_info)
{
    vem_status st = vem__json_save_args("lda", l, path);
    if (st != VEM_OK)
        return st;
    const size_t k = vem_lda_k(l), v = vem_lda_v(l);
    char *canon = npy_path(path), *dir = vem__dir_of(path), *tmp = NULL, *npy = NULL;
    char *stem = NULL, *old = NULL;
    double *lam = vem__alloc_doubles(k, v);
    json_t *o = NULL;
    int committed = 0;
    if (!canon || !dir || !lam) {
        st = VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    stem = vem__strdup(vem__base_of(canon));
    if (!stem) {
        st = VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    stem[strlen(stem) - 4] = '\0'; /* without ".npy" */
    vem_lda_get_lambda(l, lam);
    if ((st = npy_write(canon, lam, k, v, &tmp)) != VEM_OK)
        goto done;
    st = npy_place(tmp, canon, &npy);
    vem__tmp_forget(tmp);
    if (st != VEM_OK) {
        unlink(tmp);
        goto done;
    }
    vem__sync_dir(canon); /* the .npy's name is durable before the JSON that names it */
    int ok = 1;
    o = vem__json_header("lda", &ok);
    vem__json_put(o, "n_topics", json_integer((json_int_t)k), &ok);
    vem__json_put(o, "n_words", json_integer((json_int_t)v), &ok);
    vem__json_put(o, "alpha", json_real(vem_lda_alpha(l)), &ok);
    vem__json_put(o, "alpha_estimated", json_boolean(vem_lda_alpha_auto(l)), &ok);
    vem__json_put(o, "eta", json_real(vem_lda_eta(l)), &ok);
    vem__json_put(o, "lambda_file", json_string(vem__base_of(npy)), &ok);
    if (vem_lda_vocab(l) &&
        (st = vem__json_put_names(o, "vocab", vem_lda_vocab(l), v, path, "word", &ok)) != VEM_OK)
        goto done;
    vem__json_put_fit(o, fit_info, "elbo", "n_tokens", 1, &ok);
    old = old_npy(path, stem);
    /* The .npy is unregistered just before the JSON's rename: a signal after it must not
     * remove the committed .npy (one between the two leaves an orphan, which the next
     * save removes). */
    st = vem__json_save_with(path, o, 1, ok, npy);
    o = NULL; /* stolen */
    committed = st == VEM_OK;
done:
    if (npy) {
        vem__tmp_forget(npy);
        if (!committed)
            unlink(npy);
        else if (strcmp(vem__base_of(npy), old ? old : "") != 0) {
            /* The old .npy first, registered so that a signal now removes it too. */
            char *p = old ? vem__malloc(strlen(dir) + strlen(old) + 1) : NULL;
            if (p) {
                sprintf(p, "%s%s", dir, old);
                vem__tmp_register(p, 0);
                unlink(p);
                vem__tmp_forget(p);
                vem__free(p);
            }
            npy_sweep(dir, stem, vem__base_of(npy), old);
            vem__sync_dir(path);
        }
    }
    json_decref(o);
    vem__free(lam);
    vem__free(old);
    vem__free(stem);
    vem__free(npy);
    vem__free(tmp);
    vem__free(dir);
    vem__free(canon);
    return st;
}

/* ------------------------------------------------------------------ load */

vem_lda *vem_lda_load(const char *path)
{
    json_t *root = NULL;
    vem_lda *l = NULL;
    double *lam = NULL;
    char *dir = NULL, *npy = NULL;
    const char **words = NULL;
    if (vem__json_load_model(path, "lda", &root) != VEM_OK)
        return NULL;
    size_t k = 0, v = 0;
    double alpha = 0, eta = 0;
    if (vem__json_get_size(path, root, "n_topics", SIZE_MAX, &k) != VEM_OK ||
        vem__json_get_size(path, root, "n_words", SIZE_MAX, &v) != VEM_OK ||
        vem__json_get_number(path, root, "alpha", &alpha) != VEM_OK ||
        vem__json_get_number(path, root, "eta", &eta) != VEM_OK)
        goto fail;
    if (!(alpha > 0) || !(eta > 0)) {
        VEM_FAIL(VEM_EFORMAT, "%s: key '%s': expected a positive number", path,
                 alpha > 0 ? "eta" : "alpha");
        goto fail;
    }
    const char *lf = json_string_value(json_object_get(root, "lambda_file"));
    if (!lf || !*lf) {
        VEM_FAIL(VEM_EFORMAT, "%s: key 'lambda_file': expected a file name", path);
        goto fail;
    }
    dir = vem__dir_of(path);
    if (!dir) {
        VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    size_t n = strlen(dir) + strlen(lf) + 1;
    npy = vem__malloc(n);
    if (!npy) {
        VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    snprintf(npy, n, "%s%s", lf[0] == '/' ? "" : dir, lf);
    /* The sizes the JSON declares, against the .npy that must hold them, before allocating:
     * the model (lambda and its expectations) takes several k x v arrays. */
    size_t npy_bytes = 0;
    if (npy_read(npy, NULL, k, v) != VEM_OK)
        goto fail;
    if (!vem__file_size(npy, &npy_bytes)) {
        VEM_FAIL(VEM_EIO, "%s: cannot find the size of '%s'", path, npy);
        goto fail;
    }
    if (vem__check_declared(npy, "n_topics x n_words", (double)k * (double)v, "doubles",
                            sizeof(double), 3, sizeof(double), (double)npy_bytes) != VEM_OK)
        goto fail;
    l = vem_lda_new(k, v);
    if (!l)
        goto fail;
    if (vem_lda_set_alpha(l, alpha) != VEM_OK || vem_lda_set_eta(l, eta) != VEM_OK) {
        VEM_FAIL(VEM_EFORMAT, "%s: alpha=%g or eta=%g out of [1e-100, 1e10]", path, alpha, eta);
        goto fail;
    }
    vem_lda_set_alpha_auto(l, json_is_true(json_object_get(root, "alpha_estimated")));
    lam = vem__alloc_doubles(k, v);
    if (!lam) {
        VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    if (npy_read(npy, lam, k, v) != VEM_OK)
        goto fail;
    if (vem_lda_set_lambda(l, lam) != VEM_OK) {
        vem__prefix_errmsg(VEM_EFORMAT, npy, NULL);
        goto fail;
    }
    if (vem__json_get_names(path, root, "vocab", v, &words) != VEM_OK)
        goto fail;
    for (size_t w = 0; words && w < v; w++)
        if (!words[w][0]) {
            VEM_FAIL(VEM_EFORMAT, "%s: key 'vocab': word %zu is not a non-empty string", path,
                     w + 1);
            goto fail;
        }
    if (words && vem_lda_set_vocab(l, words) != VEM_OK)
        goto fail;
    vem__free(words);
    vem__free(npy);
    vem__free(lam);
    vem__free(dir);
    json_decref(root);
    return l;
fail:
    vem__free(words);
    vem__free(npy);
    vem__free(lam);
    vem__free(dir);
    vem_lda_free(l);
    json_decref(root);
    return NULL;
}

/* ------------------------------------------- any model: JSON + one .npy */

/* path with ".json" replaced by suffix (or suffix appended). */
static char *npy_path_with(const char *path, const char *suffix)
{
    size_t n = strlen(path), sl = strlen(suffix);
    size_t base = n >= 5 && strcmp(path + n - 5, ".json") == 0 ? n - 5 : n;
    char *p = vem__malloc(base + sl + 1);
    if (!p)
        return NULL;
    memcpy(p, path, base);
    memcpy(p + base, suffix, sl + 1);
    return p;
}

/* The old model's file_key when it is one of stem's .npy names, else NULL. */
static char *old_npy_key(const char *path, const char *stem, const char *file_key)
{
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size > (1 << 30))
        return NULL;
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    const char *lf = json_string_value(json_object_get(root, file_key));
    char *old = lf && !strchr(lf, '/') && npy_name_of(lf, stem) ? vem__strdup(lf) : NULL;
    json_decref(root);
    return old;
}

vem_status vem__json_npy_save(const char *path, json_t *root, int ok, const char *file_key,
                              const char *suffix, const double *a, size_t rows, size_t cols)
{
    vem_status st = VEM_OK;
    char *canon = npy_path_with(path, suffix), *dir = vem__dir_of(path), *tmp = NULL;
    char *npy = NULL, *stem = NULL, *old = NULL;
    int committed = 0;
    if (!canon || !dir || !(stem = vem__strdup(vem__base_of(canon)))) {
        st = VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    stem[strlen(stem) - 4] = '\0'; /* without ".npy" */
    if ((st = npy_write(canon, a, rows, cols, &tmp)) != VEM_OK)
        goto done;
    st = npy_place(tmp, canon, &npy);
    vem__tmp_forget(tmp);
    if (st != VEM_OK) {
        unlink(tmp);
        goto done;
    }
    vem__sync_dir(canon);
    vem__json_put(root, file_key, json_string(vem__base_of(npy)), &ok);
    old = old_npy_key(path, stem, file_key);
    st = vem__json_save_with(path, root, 1, ok, npy);
    root = NULL; /* stolen */
    committed = st == VEM_OK;
done:
    json_decref(root);
    if (npy) {
        vem__tmp_forget(npy);
        if (!committed)
            unlink(npy);
        else if (strcmp(vem__base_of(npy), old ? old : "") != 0) {
            char *p = old ? vem__malloc(strlen(dir) + strlen(old) + 1) : NULL;
            if (p) {
                sprintf(p, "%s%s", dir, old);
                vem__tmp_register(p, 0);
                unlink(p);
                vem__tmp_forget(p);
                vem__free(p);
            }
            npy_sweep(dir, stem, vem__base_of(npy), old);
            vem__sync_dir(path);
        }
    }
    vem__free(old);
    vem__free(stem);
    vem__free(npy);
    vem__free(tmp);
    vem__free(dir);
    vem__free(canon);
    return st;
}

vem_status vem__json_npy_load(const char *path, const json_t *root, const char *file_key,
                              size_t rows, size_t cols, double copies, double **out)
{
    *out = NULL;
    const char *lf = json_string_value(json_object_get(root, file_key));
    if (!lf || !*lf)
        return VEM_FAIL(VEM_EFORMAT, "%s: key '%s': expected a file name", path, file_key);
    char *dir = vem__dir_of(path);
    size_t n = (dir ? strlen(dir) : 0) + strlen(lf) + 1;
    char *npy = dir ? vem__malloc(n) : NULL;
    vem_status st = VEM_OK;
    size_t bytes = 0;
    if (!npy) {
        st = VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    snprintf(npy, n, "%s%s", lf[0] == '/' ? "" : dir, lf);
    if ((st = npy_read(npy, NULL, rows, cols)) != VEM_OK)
        goto done;
    if (!vem__file_size(npy, &bytes)) {
        st = VEM_FAIL(VEM_EIO, "%s: cannot find the size of '%s'", path, npy);
        goto done;
    }
    if ((st = vem__check_declared(npy, "parameters", (double)rows * (double)cols, "doubles",
                                  sizeof(double), copies, sizeof(double), (double)bytes)) !=
        VEM_OK)
        goto done;
    *out = vem__alloc_doubles(rows, cols);
    if (!*out) {
        st = VEM_FAIL(VEM_ENOMEM, "%s: out of memory", npy);
        goto done;
    }
    if ((st = npy_read(npy, *out, rows, cols)) != VEM_OK) {
        vem__free(*out);
        *out = NULL;
    }
done:
    vem__free(npy);
    vem__free(dir);
    return st;
}
