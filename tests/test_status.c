/* tests/test_status.c — status texts, the error detail, the version string. */
#include <string.h>

#include <vem/vem.h>

#include "check.h"

static void test_strerror(void)
{
    static const vem_status all[] = {VEM_OK,      VEM_CONTINUE, VEM_EINVAL,
                                     VEM_ENOMEM,  VEM_EIO,      VEM_EFORMAT,
                                     VEM_ENUMERIC, VEM_EMAXITER, VEM_EUNSUP};
    size_t n = sizeof all / sizeof all[0];
    for (size_t i = 0; i < n; i++) {
        const char *a = vem_strerror(all[i]);
        CHECK(a != NULL);
        CHECK(a && a[0] != '\0');
        for (size_t j = 0; j < i; j++) {
            const char *b = vem_strerror(all[j]);
            CHECK(a && b && strcmp(a, b) != 0);
        }
    }
    /* A value outside the enum still gives text. */
    CHECK(vem_strerror((vem_status)-100) != NULL);
}

static void test_errmsg(void)
{
    CHECK(vem_errmsg() != NULL);
    CHECK(vem_gmm_new(0, 2, VEM_COV_FULL) == NULL);
    CHECK(strstr(vem_errmsg(), "k=0") != NULL);
    CHECK(vem_gmm_new(3, 0, VEM_COV_DIAG) == NULL);
    CHECK(strstr(vem_errmsg(), "d=0") != NULL);

    /* The detail survives successful calls until the next failure. */
    vem_gmm *g = vem_gmm_new(2, 2, VEM_COV_FULL);
    CHECK(g != NULL);
    vem_gmm_free(g);
    CHECK(vem_gmm_new(0, 2, VEM_COV_FULL) == NULL);
    CHECK(strstr(vem_errmsg(), "k=0") != NULL);

    vem_cov c;
    CHECK(vem_cov_parse("banana", &c) == VEM_EINVAL);
    CHECK(strstr(vem_errmsg(), "banana") != NULL);
}

static void test_version(void)
{
    CHECK(strcmp(vem_version(), "0.1.0") == 0);
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", VEM_VERSION_MAJOR, VEM_VERSION_MINOR,
             VEM_VERSION_PATCH);
    CHECK(strcmp(vem_version(), want) == 0);
}

int main(void)
{
    test_strerror();
    test_errmsg();
    test_version();
    return check_report("status");
}
