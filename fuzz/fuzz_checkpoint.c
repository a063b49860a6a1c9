/*
 * fuzz/fuzz_checkpoint.c — resuming from a checkpoint file (vem_fit_opts.resume):
 * vem__ckpt_read, the driver's ckpt_restore (src/core/fit.c) and model selection's
 * select_restore (src/models/gmm.c), through the public fits.
 *
 * Input: one option byte, then the checkpoint file. The byte's low 4 bits, modulo 13,
 * pick the fit, on fixed data (12 rows x 2 columns; one column of 3 symbols; 4
 * documents over 5 words): 0 GMM batch (K = 2, full), 1 GMM with n_init 2, 2 GMM
 * stepwise (batch_size 4), 3 GMM incremental (n_blocks 3), 4 Gaussian HMM (2
 * sequences), 5 categorical HMM, 6 LDA batch, 7 LDA stepwise (batch_size 2), 8 LDA
 * incremental (n_blocks 2), 9 VB-GMM, 10 Bayesian linear regression, 11
 * vem_gmm_select_by over K 1-2 x (full, diag), 12 GMM Monte-Carlo EM (automatic
 * schedule, 10 draws a row, parameters averaged from iteration 1). Bit 4: the input is not the whole file
 * but its HEADER, a newline and its PAYLOAD (cut to whole doubles); the harness writes
 * the first two lines, with the right sizes and checksum, so that mutations of the
 * header and the payload get past the checksum to the restore. Bits 5-7 are not used.
 * Every fit
 * resumes from the input (tag FZ_TAG, max_iter 3, tol 0) and writes its checkpoints to
 * another file of the harness's directory at every iteration (cell) so that the writer
 * runs on the restored state too. Any status is fine; the sanitizers and the leak
 * check are the checks.
 *
 * Seeds: with VEM_FUZZ_CHECKPOINT_SEEDS=DIR in the environment the program writes, for
 * every fit, the last checkpoint of a fresh fit of 2 iterations (cells) with the option
 * byte in front into DIR/NAME and exits (fuzz/make_corpus.sh). With VEM_FUZZ_VERBOSE set
 * it prints every fit's status and message (to see how far an input gets).
 */
#include <vem/blr.h>
#include <vem/gmm.h>
#include <vem/hmm.h>
#include <vem/lda.h>
#include <vem/vbgmm.h>

#include "fuzz_common.h"

#define FZ_TAG "vem fuzz checkpoint"
enum { FZ_NFITS = 13 };
static int fz_verbose; /* VEM_FUZZ_VERBOSE set: print each fit's status */

static const char *const fz_names[FZ_NFITS] = {
    "gmm_batch", "gmm_ninit2",  "gmm_stepwise",    "gmm_incremental",
    "hmm_gaussian", "hmm_categorical", "lda_batch", "lda_stepwise",
    "lda_incremental", "vbgmm", "blr", "gmm_select", "gmm_mcem"};

/* 12 rows x 2 columns: two groups. */
static const double fz_x[12 * 2] = {
    0.1, 0.3,  -0.4, 0.2, 0.5, -0.1, 0.0, 0.6,  -0.2, -0.5, 0.3, 0.1,
    4.2, 3.9,  3.6, 4.4,  4.8, 4.1,  3.9, 3.5,  4.5, 4.6,   4.0, 3.8};
/* One column of symbols 0-2. */
static const double fz_sym[12] = {0, 0, 1, 0, 2, 2, 1, 2, 0, 1, 1, 2};
static const double fz_y[12] = {0.9, 0.1, 1.4, 1.3, -0.8, 0.7, 8.8, 8.1, 9.6, 8.2, 9.9, 8.4};
/* 4 documents over 5 words. */
static const size_t fz_ptr[5] = {0, 3, 5, 8, 10};
static const uint32_t fz_word[10] = {0, 1, 2, 1, 3, 2, 3, 4, 0, 4};
static const double fz_count[10] = {2, 1, 3, 1, 4, 1, 2, 5, 1, 1};

/* Fit number which from the checkpoint resume (NULL: afresh) for max_iter iterations,
 * writing checkpoints to out every iteration (cell). */
static vem_status fz_fit(unsigned which, const char *resume, const char *out, size_t max_iter)
{
    vem_fit_opts o;
    vem_fit_result res;
    memset(&res, 0, sizeof res);
    vem_rng rng;
    vem_rng_seed(&rng, 7);
    vem_matrix x = vem_matrix_view(fz_x, 12, 2);
    vem_status st = VEM_OK;
    switch (which) {
    case 0: case 1: case 2: case 3: case 11: case 12:
        vem_gmm_fit_opts_init(&o);
        break;
    case 4: case 5:
        vem_hmm_fit_opts_init(&o);
        break;
    case 9:
        vem_vbgmm_fit_opts_init(&o);
        break;
    default:
        vem_fit_opts_init(&o);
    }
    o.max_iter = max_iter;
    o.tol = 0.0;
    o.nthreads = 1;
    o.resume = resume;
    o.checkpoint = out;
    o.checkpoint_every = 1;
    o.checkpoint_tag = FZ_TAG;
    if (which == 1)
        o.n_init = 2;
    if (which == 2) {
        o.algorithm = VEM_ALG_STEPWISE;
        o.batch_size = 4;
    }
    if (which == 3) {
        o.algorithm = VEM_ALG_INCREMENTAL;
        o.n_blocks = 3;
    }
    if (which == 7) {
        o.algorithm = VEM_ALG_STEPWISE;
        o.batch_size = 2;
    }
    if (which == 8) {
        o.algorithm = VEM_ALG_INCREMENTAL;
        o.n_blocks = 2;
    }
    if (which == 12) {
        o.algorithm = VEM_ALG_MCEM;
        o.mc_samples = 10;
        o.mc_average_from = 1;
    }
    if (which <= 3 || which == 12) {
        vem_gmm *g = vem_gmm_new(2, 2, VEM_COV_FULL);
        st = g ? vem_gmm_fit(g, &x, &o, &rng, &res) : VEM_ENOMEM;
        vem_gmm_free(g);
    } else if (which <= 5) {
        const int cat = which == 5;
        vem_hmm *h = vem_hmm_new(2, cat ? VEM_HMM_CATEGORICAL : VEM_HMM_GAUSSIAN, cat ? 3 : 2,
                                 VEM_COV_FULL);
        vem_matrix hx = cat ? vem_matrix_view(fz_sym, 12, 1) : x;
        size_t start[3] = {0, 5, 12};
        vem_seqs seqs = {start, 2};
        st = h ? vem_hmm_fit(h, &hx, &seqs, &o, &rng, &res) : VEM_ENOMEM;
        vem_hmm_free(h);
    } else if (which <= 8) {
        vem_docs docs = {4, 5, fz_ptr, fz_word, fz_count};
        vem_lda *l = vem_lda_new(2, 5);
        st = l ? vem_lda_fit(l, &docs, &o, &rng, &res, NULL) : VEM_ENOMEM;
        vem_lda_free(l);
    } else if (which == 9) {
        vem_vbgmm *v = vem_vbgmm_new(2, 2, VEM_COV_FULL);
        st = v ? vem_vbgmm_fit(v, &x, &o, &rng, &res) : VEM_ENOMEM;
        vem_vbgmm_free(v);
    } else if (which == 10) {
        vem_blr *b = vem_blr_new(2);
        if (b && vem_blr_set_ard(b, 0) == VEM_OK)
            st = vem_blr_fit(b, &x, fz_y, &o, &res);
        vem_blr_free(b);
    } else if (which == 11) {
        const size_t ks[2] = {1, 2};
        const vem_cov covs[2] = {VEM_COV_FULL, VEM_COV_DIAG};
        vem_gmm_select_cell cells[4];
        vem_gmm *best = NULL;
        st = vem_gmm_select_by(&x, ks, 2, covs, 2, VEM_INIT_KMEANS, 1e-6, &o, 7, 0,
                               VEM_CRITERION_BIC, cells, &best);
        for (size_t i = 0; i < 4 && resume && (st == VEM_OK || st == VEM_EMAXITER); i++)
            FZ_CHECK(cells[i].status <= VEM_OK && cells[i].status >= VEM_EINTR,
                     "cell %zu: status %d", i, (int)cells[i].status);
        vem_gmm_free(best);
    }
    vem_fit_result_clear(&res);
    return st;
}

/* FNV-1a, 64 bits (src/core/ckpt.c). */
static uint64_t fz_fnv1a(uint64_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* The checkpoint file of HEADER '\n' PAYLOAD (a copy the caller frees); *len its size. */
static uint8_t *fz_wrap(const uint8_t *data, size_t size, size_t *len)
{
    const uint8_t *nl = size ? memchr(data, '\n', size) : NULL;
    const size_t hlen = nl ? (size_t)(nl - data) : size, rest = nl ? hlen + 1 : size;
    const size_t plen = (size - rest) / 8 * 8;
    char lead[96];
    const uint64_t sum = fz_fnv1a(fz_fnv1a(0xcbf29ce484222325ull, data, hlen), data + rest, plen);
    int n = snprintf(lead, sizeof lead, "vem-checkpoint 1\n%zu %zu %016llx\n", hlen, plen,
                     (unsigned long long)sum);
    uint8_t *out = malloc((size_t)n + hlen + 1 + plen);
    if (!out)
        abort();
    memcpy(out, lead, (size_t)n);
    memcpy(out + n, data, hlen);
    out[n + hlen] = '\n';
    memcpy(out + n + hlen + 1, data + rest, plen);
    *len = (size_t)n + hlen + 1 + plen;
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned b = fz_take_byte(&data, &size);
    uint8_t *wrapped = NULL;
    if (b & 16)
        data = wrapped = fz_wrap(data, size, &size);
    char *path = fz_write("resume.ckpt", data, size);
    free(wrapped);
    char *out = fz_write("out.ckpt", NULL, 0);
    vem_status st = fz_fit((b & 15) % FZ_NFITS, path, out, 3);
    /* What a caller does with the status (the CLI prints it): a status read from the
     * checkpoint must still be one a fit returns. */
    if (fz_verbose)
        fprintf(stderr, "%s: %s (%s)\n", fz_names[(b & 15) % FZ_NFITS], vem_strerror(st),
                vem_errmsg());
    FZ_CHECK(st <= VEM_OK && st >= VEM_EINTR, "status %d (%s)", (int)st, vem_strerror(st));
    free(out);
    free(path);
    return 0;
}

/* With VEM_FUZZ_CHECKPOINT_SEEDS=DIR: write the seeds into DIR and exit. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_verbose = getenv("VEM_FUZZ_VERBOSE") != NULL;
    const char *dir = getenv("VEM_FUZZ_CHECKPOINT_SEEDS");
    if (!dir || !*dir)
        return 0;
    int bad = 0;
    for (unsigned i = 0; i < FZ_NFITS; i++) {
        char *out = fz_write("seed.ckpt", NULL, 0);
        vem_status st = fz_fit(i, NULL, out, 2);
        char dst[4200];
        snprintf(dst, sizeof dst, "%s/%s", dir, fz_names[i]);
        FILE *in = fopen(out, "rb"), *to = fopen(dst, "wb");
        int c;
        if (!in || !to || fputc((int)i, to) == EOF) {
            bad = 1;
        } else {
            while ((c = fgetc(in)) != EOF)
                fputc(c, to);
        }
        if ((to && fclose(to) != 0) || !in) {
            fprintf(stderr, "%s: no checkpoint (fit status %d)\n", fz_names[i], (int)st);
            bad = 1;
        }
        /* And the same as HEADER '\n' PAYLOAD (bit 4). */
        FILE *w = NULL;
        if (in && !bad && fseek(in, 0, SEEK_SET) == 0) {
            snprintf(dst, sizeof dst, "%s/%s_wrap", dir, fz_names[i]);
            w = fopen(dst, "wb");
            int lines = 0;
            bad |= !w || fputc((int)(i | 16), w) == EOF;
            while (w && (c = fgetc(in)) != EOF) {
                if (lines >= 2)
                    fputc(c, w);
                else if (c == '\n')
                    lines++;
            }
            bad |= !w || fclose(w) != 0;
        }
        if (in)
            fclose(in);
        fz_remove("seed.ckpt");
        free(out);
    }
    exit(bad);
}
