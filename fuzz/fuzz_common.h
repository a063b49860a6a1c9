/*
 * fuzz/fuzz_common.h — what every libFuzzer harness shares: a temporary
 * directory per process (TMPDIR or /tmp, removed at exit), writing an input
 * there under a fixed name, and the option byte.
 *
 * The readers take paths, so each harness writes the input to a file in its
 * own directory and calls the reader on that path. Files are overwritten on
 * every run and removed at exit with the directory (a crash leaves them: the
 * crash input itself is what libFuzzer saves).
 */
#ifndef VEM_FUZZ_COMMON_H
#define VEM_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_MAX_FILES 16

static char fz_dir[4096];
static char fz_files[FZ_MAX_FILES][4200];
static int fz_nfiles;

static inline void fz_cleanup(void)
{
    for (int i = 0; i < fz_nfiles; i++)
        unlink(fz_files[i]);
    if (fz_dir[0])
        rmdir(fz_dir);
}

/* The harness's directory, made on first use. */
static inline const char *fz_tmpdir(void)
{
    if (!fz_dir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(fz_dir, sizeof fz_dir, "%s/vem-fuzz.XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(fz_dir)) {
            perror("vem fuzz: mkdtemp");
            abort();
        }
        atexit(fz_cleanup);
    }
    return fz_dir;
}

/* The path of file name in the harness's directory (remembered for removal). */
static inline const char *fz_path(const char *name)
{
    static char buf[4200];
    snprintf(buf, sizeof buf, "%s/%s", fz_tmpdir(), name);
    int known = 0;
    for (int i = 0; i < fz_nfiles; i++)
        known |= strcmp(fz_files[i], buf) == 0;
    if (!known && fz_nfiles < FZ_MAX_FILES)
        memcpy(fz_files[fz_nfiles++], buf, sizeof buf);
    return buf;
}

/* Write size bytes to file name in the harness's directory; its path (a copy
 * the caller frees). Aborts if the file cannot be written: that is the
 * machine's fault, not the reader's. */
static inline char *fz_write(const char *name, const uint8_t *data, size_t size)
{
    const char *p = fz_path(name);
    FILE *f = fopen(p, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror("vem fuzz: writing the input");
        abort();
    }
    char *copy = malloc(strlen(p) + 1);
    if (!copy)
        abort();
    strcpy(copy, p);
    return copy;
}

/* Remove file name from the harness's directory (no error if absent). */
static inline void fz_remove(const char *name)
{
    unlink(fz_path(name));
}

/* A model file and the .npy beside it, from one input: the bytes before the first
 * "\x93NUMPY" (the .npy magic) become model.json, the rest, from the magic on, the file
 * npy_name (removed when there is no magic). Returns model.json's path (the caller
 * frees it). */
static inline char *fz_write_model(const uint8_t *data, size_t size, const char *npy_name)
{
    size_t at = size;
    for (size_t i = 0; i + 6 <= size; i++)
        if (memcmp(data + i, "\x93NUMPY", 6) == 0) {
            at = i;
            break;
        }
    char *path = fz_write("model.json", data, at);
    if (at < size)
        free(fz_write(npy_name, data + at, size - at));
    else
        fz_remove(npy_name);
    return path;
}

/* Take the first byte of the input as the harness's options (0 if empty). */
static inline unsigned fz_take_byte(const uint8_t **data, size_t *size)
{
    if (!*size)
        return 0;
    unsigned b = **data;
    (*data)++;
    (*size)--;
    return b;
}

/* A property the reader promises failed: report and crash, so libFuzzer saves the input. */
/* Where the first sep (a string) starts in data[0, size), or size; *rest gets where the
 * text after it starts (size when there is none). The part before keeps its newline:
 * it ends at the separator's first byte. */
static inline size_t fz_split(const uint8_t *data, size_t size, const char *sep, size_t *rest)
{
    size_t n = strlen(sep);
    for (size_t i = 0; i + n <= size; i++)
        if (memcmp(data + i, sep, n) == 0) {
            *rest = i + n;
            return i + 1;
        }
    *rest = size;
    return size;
}

#define FZ_CHECK(cond, ...)                                                                       \
    do {                                                                                          \
        if (!(cond)) {                                                                            \
            fprintf(stderr, "vem fuzz: check failed: %s: ", #cond);                               \
            fprintf(stderr, __VA_ARGS__);                                                         \
            fputc('\n', stderr);                                                                  \
            abort();                                                                              \
        }                                                                                         \
    } while (0)

#endif /* VEM_FUZZ_COMMON_H */
