/* tests/test_status.c — status texts, the error detail, the version string, enum names. */
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

/* Every enum's names: each value's name parses back to it, out-of-range values have
 * none, unknown and NULL names are VEM_EINVAL with the name in the message. */
#define ROUND_TRIP(T, NAME, PARSE, N, FIRST)                                                  \
    do {                                                                                     \
        for (int v_ = 0; v_ < (N); v_++) {                                                   \
            const char *nm_ = NAME((T)v_);                                                   \
            T out_ = (T)((v_ + 1) % (N));                                                    \
            CHECK(nm_ != NULL && PARSE(nm_, &out_) == VEM_OK && (int)out_ == v_);            \
        }                                                                                    \
        CHECK(NAME((T)(N)) == NULL && NAME((T)-1) == NULL);                                  \
        T out_ = (T)0;                                                                       \
        CHECK(PARSE("no-such-name", &out_) == VEM_EINVAL);                                   \
        CHECK(strstr(vem_errmsg(), "'no-such-name' (" FIRST) != NULL);                       \
        CHECK(PARSE(NULL, &out_) == VEM_EINVAL && strstr(vem_errmsg(), "(null)") != NULL);   \
    } while (0)

static void test_names(void)
{
    ROUND_TRIP(vem_algorithm, vem_algorithm_name, vem_algorithm_parse, 3, "batch,");
    ROUND_TRIP(vem_cov, vem_cov_name, vem_gmm_cov_parse, VEM_COV_COUNT, "full,");
    ROUND_TRIP(vem_gmm_init, vem_gmm_init_name, vem_gmm_init_parse, 7, "kmeans,");
    ROUND_TRIP(vem_hmm_emission, vem_hmm_emission_name, vem_hmm_emission_parse, 3, "gaussian,");
    ROUND_TRIP(vem_hmm_init, vem_hmm_init_name, vem_hmm_init_parse, 2, "kmeans,");
    ROUND_TRIP(vem_hmm_trans_init, vem_hmm_trans_init_name, vem_hmm_trans_init_parse, 3,
               "uniform,");
    ROUND_TRIP(vem_vb_weight_prior, vem_vb_weight_prior_name, vem_vb_weight_prior_parse, 2,
               "dirichlet,");
    vem_vb_weight_prior wp = VEM_VB_DIRICHLET;
    CHECK(vem_vb_weight_prior_parse("dirichlet_process", &wp) == VEM_OK && wp == VEM_VB_DP);
    CHECK(strcmp(vem_cov_name(VEM_COV_TIED), "tied") == 0);
    CHECK(strcmp(vem_gmm_init_name(VEM_INIT_KMEANSPP), "kmeans++") == 0);
    CHECK(strcmp(vem_algorithm_name(VEM_ALG_INCREMENTAL), "incremental") == 0);
    CHECK(strcmp(vem_hmm_emission_name(VEM_HMM_GMM), "gmm") == 0);
    CHECK(strcmp(vem_hmm_init_name(VEM_HMM_INIT_RANDOM), "random") == 0);
    CHECK(strcmp(vem_hmm_trans_init_name(VEM_HMM_TRANS_GIVEN), "given") == 0);
    CHECK(strcmp(vem_vb_weight_prior_name(VEM_VB_DP), "dp") == 0);
}

int main(void)
{
    test_strerror();
    test_errmsg();
    test_version();
    test_names();
    return check_report("status");
}
