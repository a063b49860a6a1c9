/* tests/check.h — the whole test harness: one line per failed check, non-zero exit on failure. */
#ifndef VEM_TESTS_CHECK_H
#define VEM_TESTS_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The numbers on the line of text file `file` that starts with `name` and a space (golden
 * and reference files: "name v1 v2 ..."), at most max of them, into v; their count (0 when
 * the file or the line is missing). */
static inline size_t check_golden_line(const char *file, const char *name, double *v, size_t max)
{
    FILE *fp = fopen(file, "r");
    char line[16384];
    size_t n = 0, len = strlen(name);
    if (!fp)
        return 0;
    while (fgets(line, sizeof line, fp)) {
        if (strncmp(line, name, len) != 0 || line[len] != ' ')
            continue;
        char *p = line + len, *end;
        while (n < max) {
            double x = strtod(p, &end);
            if (end == p)
                break;
            v[n++] = x;
            p = end;
        }
        break;
    }
    fclose(fp);
    return n;
}

static int check_failures;
static int check_count;

#define CHECK(c)                                                                                 \
    (check_count++, (c) ? (void)0                                                               \
                        : (void)(check_failures++,                                              \
                                 fprintf(stderr, "%s:%d: FAIL %s\n", __FILE__, __LINE__, #c)))

#define CHECK_REL(got, want, rtol)                                                               \
    do {                                                                                         \
        double g_ = (got), w_ = (want);                                                          \
        check_count++;                                                                           \
        if (!(fabs(g_ - w_) <= (rtol)*fmax(fabs(w_), 1e-300))) {                                 \
            check_failures++;                                                                    \
            fprintf(stderr, "%s:%d: FAIL %s = %.17g, want %.17g (rtol %g)\n", __FILE__,        \
                    __LINE__, #got, g_, w_, (double)(rtol));                                     \
        }                                                                                        \
    } while (0)

#define CHECK_ABS(got, want, atol)                                                               \
    do {                                                                                         \
        double g_ = (got), w_ = (want);                                                          \
        check_count++;                                                                           \
        if (!(fabs(g_ - w_) <= (atol))) {                                                        \
            check_failures++;                                                                    \
            fprintf(stderr, "%s:%d: FAIL %s = %.17g, want %.17g (atol %g)\n", __FILE__,        \
                    __LINE__, #got, g_, w_, (double)(atol));                                     \
        }                                                                                        \
    } while (0)

/* Print the summary line and give main's exit status. */
static inline int check_report(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
    return check_failures ? 1 : 0;
}

#endif /* VEM_TESTS_CHECK_H */
