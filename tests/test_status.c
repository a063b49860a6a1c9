/* tests/test_status.c — status texts, the error detail, the version string, enum names. */
#include <string.h>

#include <vem/vem.h>

#include "check.h"

static void test_strerror(void)
{
    static const vem_status all[] = {VEM_OK,      VEM_CONTINUE, VEM_EINVAL,
                                     VEM_ENOMEM,  VEM_EIO,      VEM_EFORMAT,
                                     VEM_ENUMERIC, VEM_EMAXITER, VEM_EUNSUP, VEM_EINTR};
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
    ROUND_TRIP(vem_algorithm, vem_algorithm_name, vem_algorithm_parse, 9, "batch,");
    ROUND_TRIP(vem_tol_rule, vem_tol_rule_name, vem_tol_rule_parse, 3, "per-observation,");
    ROUND_TRIP(vem_mc_schedule, vem_mc_schedule_name, vem_mc_schedule_parse, 3, "fixed,");
    ROUND_TRIP(vem_accelerate, vem_accelerate_name, vem_accelerate_parse, 2, "none,");
    ROUND_TRIP(vem_cov, vem_cov_name, vem_gmm_cov_parse, VEM_COV_COUNT, "full,");
    ROUND_TRIP(vem_gmm_init, vem_gmm_init_name, vem_gmm_init_parse, 7, "kmeans,");
    ROUND_TRIP(vem_hmm_emission, vem_hmm_emission_name, vem_hmm_emission_parse, 5, "gaussian,");
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

/* Control bytes become \xNN (issue 15: input quoted in messages must not drive a terminal). */
static void test_escape(void)
{
    char out[64];
    CHECK(vem_escape_text(out, sizeof out, "ab\033[31mc\td\x7f\xc2\x9b\xc3\xa9") == 26);
    CHECK(strcmp(out, "ab\\x1b[31mc\\x09d\\x7f\\x9b\xc3\xa9") == 0);
    CHECK(vem_escape_text(out, 4, "abcdef") == 3 && strcmp(out, "abc") == 0);
    CHECK(vem_escape_text(out, 4, "\001bc") == 0 && strcmp(out, "") == 0);
    /* Every message is escaped: a reader quoting a cell with an escape sequence. */
    vem_blr *b = vem_blr_new(1);
    CHECK(b != NULL);
    vem_blr_free(b);
    CHECK(vem_blr_load("/nonexistent/\033[2J.json") == NULL);
    CHECK(strchr(vem_errmsg(), '\033') == NULL && strstr(vem_errmsg(), "\\x1b[2J") != NULL);
}

/* The memory limit: a default from the machine, settable, and checked before allocating. */
static void test_memory_limit(void)
{
    size_t def = vem_memory_limit();
    CHECK(def >= ((size_t)1 << 20));
    vem_set_memory_limit((size_t)1 << 30);
    CHECK(vem_memory_limit() == ((size_t)1 << 30));
    CHECK(vem_gmm_new(1, 20000, VEM_COV_FULL) == NULL);
    CHECK(strstr(vem_errmsg(), "more than the memory limit of 1.07 GB") != NULL);
    CHECK(vem_blr_new(20000) == NULL);
    CHECK(strstr(vem_errmsg(), "20000 features") != NULL);
    vem_gmm *g = vem_gmm_new(3, 2000, VEM_COV_DIAG); /* two d x d work arrays: 64 MB */
    CHECK(g != NULL);
    vem_gmm_free(g);
    vem_set_memory_limit(0);
    CHECK(vem_memory_limit() == def);
}

int main(void)
{
    test_strerror();
    test_errmsg();
    test_version();
    test_names();
    test_escape();
    test_memory_limit();
    return check_report("status");
}
