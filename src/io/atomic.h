/*
 * src/io/atomic.h — atomic outputs (docs/reliability.md, "Atomic outputs").
 *
 * Every file the library writes is first written to a temporary beside its
 * target, named TARGET.vem-tmp.PID.XXXXXX (PID the writer's process id, XXXXXX
 * six random letters or digits), synced and renamed over the target: a reader
 * sees the old file or the new one, never half of one. While a temporary
 * exists it is registered, so that vem_output_cleanup() (async-signal-safe,
 * called by the CLI's SIGINT, SIGTERM and SIGHUP handlers) can remove it.
 * kill -9 cannot be caught: opening a temporary for TARGET first removes the
 * stale temporaries of TARGET (those whose PID is not a live process and which
 * are older than this process's first write; also the TARGET.tmp.XXXXXX of
 * earlier versions of vem older than that).
 * Not installed.
 */
#ifndef VEM_ATOMIC_H
#define VEM_ATOMIC_H

#include <signal.h>
#include <stdio.h>
#include <time.h>

#include <vem/common.h>

/*
 * vem__atomic_open creates TARGET.vem-tmp.PID.XXXXXX beside path (mode 0644),
 * registers it, and returns it open for writing, *tmp receiving its name (NULL
 * with vem_errmsg set: VEM_EIO, VEM_ENOMEM); write to it, then
 * vem__atomic_commit flushes, syncs and closes it and renames it over path,
 * or, when failed is non-zero or any step fails, removes it (VEM_EIO
 * "PATH: reason"). It frees *tmp and unregisters it either way.
 */
FILE *vem__atomic_open(const char *path, char **tmp);
vem_status vem__atomic_commit(FILE *fp, char *tmp, const char *path, int failed);
/* vem__atomic_commit that unregisters forget (a file the new target names) just before
 * the rename: a signal until then removes it, one after it leaves it (it is committed). */
vem_status vem__atomic_commit_with(FILE *fp, char *tmp, const char *path, int failed,
                                   const char *forget);
/*
 * Like vem__atomic_commit without the rename: the temporary stays, synced and
 * still registered (removed on a failure, and *tmp freed then; on success the
 * caller owns tmp and later links or renames it and calls vem__tmp_forget).
 */
vem_status vem__atomic_close(FILE *fp, char *tmp, const char *path, int failed);

/* Hold SIGINT, SIGTERM and SIGHUP (this thread) while a temporary is created and
 * registered, and make vem_output_cleanup, run by a handler on another thread, wait until
 * release: a handler never misses a temporary. Release restores the mask. */
void vem__signals_hold(sigset_t *old);
void vem__signals_release(const sigset_t *old);

/* Register name (a file, or with is_dir an empty directory) for removal by
 * vem_output_cleanup; forget it again. Names longer than 4095 bytes or beyond
 * 64 at once are not registered (nothing else changes). */
void vem__tmp_register(const char *name, int is_dir);
void vem__tmp_forget(const char *name);

/* Remove the stale temporaries of path (as vem__atomic_open does; best effort). */
void vem__clean_stale(const char *path);
struct stat;
/* Whether the entry name (lstat st) of a directory walk is to be removed. */
typedef int (*vem__doomed_fn)(const char *name, const struct stat *st, void *ctx);
/* Unlink the entries of dir (a prefix ending in '/', or "" for the working directory)
 * that doomed picks, best effort: errors, and entries that cannot be read, are skipped. */
void vem__dir_sweep(const char *dir, vem__doomed_fn doomed, void *ctx);

/* When this process first opened an output (CLOCK_REALTIME): files of vem's
 * temporary patterns older than this were left by another process. */
struct timespec vem__output_epoch(void);
/* 1 when st's modification time is before vem__output_epoch(). */
int vem__older_than_epoch(const void *stat_buf);

/* Sync the directory holding path (best effort): makes a rename durable. */
void vem__sync_dir(const char *path);
/* The directory part of path with its trailing '/' ("" for none); the name after it. */
char *vem__dir_of(const char *path);
const char *vem__base_of(const char *path);

#endif /* VEM_ATOMIC_H */
