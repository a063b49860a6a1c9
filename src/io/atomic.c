/*
 * src/io/atomic.c — temporaries beside their targets, synced and renamed over
 * them; a registry of the temporaries that exist, which a signal handler can
 * empty; removal of the stale temporaries a kill -9 left (src/io/atomic.h).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <vem/io.h>

#include "internal.h"
#include "io/atomic.h"

/* ------------------------------------------------------------ registry */

#define SLOTS 64
#define NAME_MAX_BYTES 4096

/* state: 0 free, 1 being filled or emptied, 2 holds a name the handler may remove. */
static struct slot {
    atomic_int state;
    int is_dir;
    char name[NAME_MAX_BYTES];
} slots[SLOTS];

void vem__tmp_register(const char *name, int is_dir)
{
    size_t n = strlen(name);
    if (n >= NAME_MAX_BYTES)
        return;
    for (int i = 0; i < SLOTS; i++) {
        int expect = 0;
        if (atomic_compare_exchange_strong(&slots[i].state, &expect, 1)) {
            memcpy(slots[i].name, name, n + 1);
            slots[i].is_dir = is_dir;
            atomic_store(&slots[i].state, 2);
            return;
        }
    }
}

void vem__tmp_forget(const char *name)
{
    for (int i = 0; i < SLOTS; i++) {
        int expect = 2;
        if (atomic_load(&slots[i].state) == 2 && strcmp(slots[i].name, name) == 0 &&
            atomic_compare_exchange_strong(&slots[i].state, &expect, 1)) {
            slots[i].name[0] = '\0';
            atomic_store(&slots[i].state, 0);
            return;
        }
    }
}

/* Threads between creating a temporary and registering it (vem__signals_hold). */
static atomic_int creating;

/* Async-signal-safe: only atomic loads, unlink and rmdir. Files first, then directories. */
void vem_output_cleanup(void)
{
    /* A signal is held only by the thread creating a temporary; delivered to another
     * thread meanwhile, its handler waits the few microseconds until the name is
     * registered, so that it is removed too. */
    while (atomic_load(&creating) > 0)
        ;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < SLOTS; i++)
            if (atomic_load(&slots[i].state) == 2 && slots[i].is_dir == pass) {
                if (pass)
                    (void)rmdir(slots[i].name);
                else
                    (void)unlink(slots[i].name);
            }
}

/* ------------------------------------------------------------ paths */

char *vem__dir_of(const char *path)
{
    const char *s = strrchr(path, '/');
    size_t n = s ? (size_t)(s - path) + 1 : 0;
    char *d = vem__malloc(n + 1);
    if (d) {
        memcpy(d, path, n);
        d[n] = '\0';
    }
    return d;
}

const char *vem__base_of(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

void vem__sync_dir(const char *path)
{
    char *dir = vem__dir_of(path);
    if (!dir)
        return;
    int fd = open(*dir ? dir : ".", O_RDONLY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    vem__free(dir);
}

/* ------------------------------------------------------------ stale temporaries */

static atomic_llong epoch_ns; /* 0 until the first output */

struct timespec vem__output_epoch(void)
{
    long long ns = atomic_load(&epoch_ns);
    if (!ns) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        long long want = (long long)now.tv_sec * 1000000000LL + now.tv_nsec, expect = 0;
        ns = atomic_compare_exchange_strong(&epoch_ns, &expect, want) ? want : expect;
    }
    struct timespec t = {(time_t)(ns / 1000000000LL), (long)(ns % 1000000000LL)};
    return t;
}

int vem__older_than_epoch(const void *stat_buf)
{
    const struct stat *st = stat_buf;
    struct timespec e = vem__output_epoch();
    return st->st_mtim.tv_sec < e.tv_sec ||
           (st->st_mtim.tv_sec == e.tv_sec && st->st_mtim.tv_nsec < e.tv_nsec);
}

/* s is n letters or digits and nothing more. */
static int alnum_run(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]))
            return 0;
    return s[n] == '\0';
}

/*
 * name a stale temporary of the target named base? BASE.vem-tmp.PID.XXXXXX with
 * PID not a live process, or BASE.tmp.XXXXXX (earlier versions of vem); both older than
 * this process's first output (checked by the caller).
 */
static int stale_name(const char *name, const char *base)
{
    size_t b = strlen(base);
    if (strncmp(name, base, b) != 0)
        return 0;
    name += b;
    if (strncmp(name, ".tmp.", 5) == 0)
        return alnum_run(name + 5, 6);
    if (strncmp(name, ".vem-tmp.", 9) != 0)
        return 0;
    name += 9;
    char *end;
    errno = 0;
    long pid = strtol(name, &end, 10);
    if (end == name || *end != '.' || errno || pid <= 0 || !alnum_run(end + 1, 6))
        return 0;
    if ((pid_t)pid == getpid())
        return 0;
    return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

void vem__dir_sweep(const char *dir, vem__doomed_fn doomed, void *ctx)
{
    DIR *d = opendir(*dir ? dir : ".");
    if (!d)
        return;
    size_t dl = strlen(dir);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = dl + strlen(e->d_name) + 1;
        char *full = vem__malloc(n);
        if (!full)
            break;
        snprintf(full, n, "%s%s", dir, e->d_name);
        struct stat st;
        if (lstat(full, &st) == 0 && doomed(e->d_name, &st, ctx))
            (void)unlink(full);
        vem__free(full);
    }
    closedir(d);
}

/* A stale temporary of the output named base: a regular file or link of its own pattern,
 * older than this process's first output. */
static int stale_doomed(const char *name, const struct stat *st, void *base)
{
    return stale_name(name, base) && (S_ISREG(st->st_mode) || S_ISLNK(st->st_mode)) &&
           vem__older_than_epoch(st);
}

/* Remove the stale temporaries of path (best effort; errors are ignored). */
void vem__clean_stale(const char *path)
{
    char *dir = vem__dir_of(path);
    if (!dir)
        return;
    vem__dir_sweep(dir, stale_doomed, (void *)vem__base_of(path));
    vem__free(dir);
}

/* ------------------------------------------------------------ writing */

void vem__signals_hold(sigset_t *old)
{
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &block, old);
    atomic_fetch_add(&creating, 1);
}

void vem__signals_release(const sigset_t *old)
{
    atomic_fetch_sub(&creating, 1);
    pthread_sigmask(SIG_SETMASK, old, NULL);
}

FILE *vem__atomic_open(const char *path, char **tmp)
{
    (void)vem__output_epoch();
    vem__clean_stale(path);
    char mid[48];
    snprintf(mid, sizeof mid, ".vem-tmp.%ld.XXXXXX", (long)getpid());
    size_t plen = strlen(path), mlen = strlen(mid);
    char *t = vem__malloc(plen + mlen + 1);
    if (!t) {
        VEM_FAIL(VEM_ENOMEM, "%s: out of memory", path);
        return NULL;
    }
    memcpy(t, path, plen);
    memcpy(t + plen, mid, mlen + 1);
    /* The catchable signals wait while the temporary is created and registered: one in
     * between would leave a file the handler does not know. */
    sigset_t old;
    vem__signals_hold(&old);
    int fd = mkstemp(t);
    int mk_errno = errno;
    if (fd >= 0)
        vem__tmp_register(t, 0);
    vem__signals_release(&old);
    if (fd < 0) {
        vem__free(t);
        VEM_FAIL(VEM_EIO, "%s: %s", path, strerror(mk_errno));
        return NULL;
    }
    /* mkstemp creates the file 0600; an output is as readable as any other file. */
    (void)fchmod(fd, S_IRUSR | S_IWUSR | S_IRGRP | S_IROTH);
    FILE *fp = fdopen(fd, "wb");
    if (!fp) {
        int e = errno;
        close(fd);
        unlink(t);
        vem__tmp_forget(t);
        vem__free(t);
        VEM_FAIL(VEM_EIO, "%s: %s", path, strerror(e));
        return NULL;
    }
    /* errno is cleared so that a failure a writer reports without errno reads as EIO. */
    errno = 0;
    *tmp = t;
    return fp;
}

vem_status vem__atomic_close(FILE *fp, char *tmp, const char *path, int failed)
{
    int e = failed ? errno : 0;
    if (!failed && (fflush(fp) != 0 || fsync(fileno(fp)) != 0)) {
        failed = 1;
        e = errno;
    }
    if (fclose(fp) != 0 && !failed) {
        failed = 1;
        e = errno;
    }
    if (failed) {
        unlink(tmp);
        vem__tmp_forget(tmp);
        vem__free(tmp);
        return VEM_FAIL(VEM_EIO, "%s: %s", path, strerror(e ? e : EIO));
    }
    return VEM_OK;
}

vem_status vem__atomic_commit(FILE *fp, char *tmp, const char *path, int failed)
{
    return vem__atomic_commit_with(fp, tmp, path, failed, NULL);
}

vem_status vem__atomic_commit_with(FILE *fp, char *tmp, const char *path, int failed,
                                   const char *forget)
{
    vem_status st = vem__atomic_close(fp, tmp, path, failed);
    if (st != VEM_OK)
        return st;
    if (forget)
        vem__tmp_forget(forget);
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        vem__tmp_forget(tmp);
        vem__free(tmp);
        return VEM_FAIL(VEM_EIO, "%s: %s", path, strerror(e));
    }
    vem__tmp_forget(tmp);
    vem__free(tmp);
    vem__sync_dir(path);
    return VEM_OK;
}

/* ------------------------------------------------------------ public */

FILE *vem_output_open(const char *path, char **tmp)
{
    if (!path || !*path || !tmp) {
        VEM_FAIL(VEM_EINVAL, "output: no file name");
        return NULL;
    }
    return vem__atomic_open(path, tmp);
}

vem_status vem_output_commit(FILE *fp, char *tmp, const char *path, int failed)
{
    if (!fp || !tmp || !path)
        return VEM_FAIL(VEM_EINVAL, "output: nothing to commit");
    return vem__atomic_commit(fp, tmp, path, failed);
}
