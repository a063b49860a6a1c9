/* tests/check.h — the whole test harness: one line per failed check, non-zero exit on failure. */
#ifndef VEM_TESTS_CHECK_H
#define VEM_TESTS_CHECK_H

#include <math.h>
#include <stdio.h>

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
