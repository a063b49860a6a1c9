/*
 * src/core/fit.c — the engine: one EM loop for every model (include/vem/fit.h).
 *
 * Everything goes through one primitive, run_range(): the E-step over units
 * [lo, hi) of some data, split into slots (contiguous, a count fixed by the
 * range's size) walked in blocks, threads taking whole slots, each slot with
 * its own ESS buffer, and the slots summed in slot order. So a result depends
 * on the data, the slot count and the block size, never on the number of
 * threads or on which thread ran which slot. Batch EM runs it over all units,
 * stepwise EM over each minibatch, incremental EM over each block; data in
 * memory is read in place, a source (out of core) block by block.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include <lbfgs.h>

#include <vem/comm.h>
#include <vem/fit.h>
#include <vem/io.h>

#include "internal.h"
#include "linalg/linalg.h"
#include "io/source_internal.h"
#include "ckpt.h"

enum { MSG_LEN = 512 };

struct vem_fit {
    vem_model m;
    vem_data x;      /* data in memory, or only its shape when reading a source (the
                        sequences' or documents' offsets, no values) */
    vem_source *src; /* NULL: data in memory */
    vem_docs shape_docs; /* a source of documents: x.docs, offsets only */
    vem_fit_opts o;
    size_t n_units;
    double n_obs;     /* this process's observations (slot sizes) */
    double n_obs_all; /* over all processes (per-observation divisor, stepwise scale) */
    double rows_all;  /* rows (or frames) of x over all processes */
    double units_all; /* units of x over all processes */
    uint64_t unit_first; /* x's first unit among all processes' (noise of gradient models) */
    size_t n_batches; /* stepwise: minibatches per pass when fixed (o.n_batches, or under a
                         communicator the same count on every process), else 0 */
    int nthreads;
    int blas_token; /* the BLAS's thread count before the fit, restored on free */

    /* Pass buffers, sized for the largest pass (all units) and grown per model. */
    size_t max_slots;
    double *slot_obj;      /* max_slots */
    vem_status *slot_st;   /* max_slots */
    char *slot_msg;        /* max_slots x MSG_LEN */
    double *slot_ess;      /* max_slots x slot_cap */
    size_t slot_cap;
    double *scratch;       /* nthreads x scratch_cap */
    size_t scratch_cap;
    vem__unit_buf *ubuf;   /* nthreads read buffers, for sources */
    vem__unit_buf mbuf;    /* stepwise from a source of sequences or documents: a minibatch */

    size_t ess_len;
    double *ess;

    /* Online EM state. */
    vem_rng rng;           /* shuffles */
    double *s_acc;         /* running S (stepwise), sum of block ESS (incremental) */
    double *s_tmp;         /* one minibatch's or block's ESS */
    double *blocks;        /* incremental: n_blocks x ess_len */
    double *block_h;       /* incremental: entropy term of each block, nats */
    size_t *perm;          /* stepwise in memory: a permutation of the units */
    double *mb;            /* stepwise: minibatch rows (memory) or shuffle buffer (source) */
    size_t t;              /* stepwise: minibatches since vem_fit_init */
    int s_ready;           /* S holds statistics */
    int s_from_params;     /* stepwise: S started from the model's ess_from_params */

    /* Sparse stepwise EM (vem_model_ops.sparse_*): S = sp_c s_acc over the rows. */
    int sparse;                /* this fit's stepwise passes take the sparse path */
    size_t sp_nrows, sp_rowlen;
    double sp_c;
    double *sp_colsum;         /* sp_rowlen: the sum of s_acc's rows */
    uint32_t *sp_union;        /* the minibatch's rows, sp_nrows */
    uint32_t *sp_slot_rows;    /* max_slots x sp_nrows: each slot's rows */
    size_t *sp_slot_n;         /* max_slots */
    unsigned char *sp_seen;    /* (nthreads + 1) x sp_nrows, zero between uses */
    int sp_clean;              /* every slot buffer is all zero */

    /* The caller's progress, checkpoint and interrupt settings, taken out of o so that
     * the fits a model's init makes from a copy of the options (vem_fit_options) do not
     * report, checkpoint or stop on their own. */
    vem_fit_opts user;
    /* The driver's (run()) place, for progress and checkpoints. */
    size_t restart, n_restarts;
    double fit_t0;          /* when the fit began (a resumed fit: moved back by the time
                               before its checkpoint) */

    /* Adam (VEM_ALG_ADAM): the parameters, the moments (ess_len each); t counts steps. */
    double *theta, *adam_m, *adam_v;
    /* A float-ESS model (ops.ess_float): the moments in float32; the double arrays
     * above are then only the checkpoint's staging. */
    float *adam_mf, *adam_vf;
    double *red_d; /* a float-ESS model's sums in double, for the communicator */
    int objective_only; /* run_range: a gradient model's objective, no gradient (validate) */
    size_t red_d_cap;
    int theta_ready;
    /* Validation (vem_fit_opts.validation): the best pass's parameters and objective. */
    double *val_best;
    double val_best_obj;
    size_t val_best_iter; /* 0: none yet */

    /* Monte-Carlo EM (is_mc): the draw of the pass in progress (run_range), the sample
     * size of the next iteration, the parameter rule's streak, the parameters' running sum
     * after mc_average_from; buffers: the groups' ESS, their mean, the parameters before
     * and after a step, each group's update, the model's state before the step. */
    const vem_mc_draw *mc_cur;
    size_t mc_m, mc_streak, mc_navg, mc_groups_cap;
    double *mc_ess, *mc_mean, *mc_theta0, *mc_theta1, *mc_thetag, *mc_state0, *mc_avg;
    size_t plen, mc_slen;
    /* SQUAREM (vem_fit_opts.accelerate): theta0, theta1, theta2, theta', theta2's state. */
    double *sq;
    double units_done; /* units the loop's E-steps visited (vem_fit_result.n_passes) */
    int lbfgs_on;      /* EM_LBFGS: handed over to L-BFGS */
    size_t slow;       /* EM_LBFGS: EM iterations in a row whose gain ratio was high */
    double last_gain;  /* EM_LBFGS: the previous EM iteration's gain */
    int counting;      /* run_range counts units (the loop, not init or finish) */

    size_t iter, n_steps;
    double objective;
    double prev;
    int have_prev;
    int converged;
    size_t n_violations;
    double t0;
    vem_trace_entry *trace;
    size_t trace_len, trace_cap;
};

/* ------------------------------------------------------------ options */

/* The public name and parse functions of an enum whose values are 0 .. n-1. */
#define NAMED_ENUM(type, name_fn, parse_fn, names, what)                                      \
    const char *name_fn(type v)                                                              \
    {                                                                                        \
        return vem__name_of(names, sizeof names / sizeof *names, (int)v);                    \
    }                                                                                        \
    vem_status parse_fn(const char *name, type *out)                                         \
    {                                                                                        \
        int i = 0;                                                                           \
        vem_status st = vem__name_parse(what, name, names, sizeof names / sizeof *names, &i); \
        *out = st == VEM_OK ? (type)i : *out;                                                \
        return st;                                                                           \
    }

static const char *const algorithm_names[] = {"batch", "stepwise", "incremental", "adam",
                                               "mcem",  "sem",      "cem",         "lbfgs",
                                               "em-lbfgs"};
static const char *const tol_rule_names[] = {"per-observation", "total", "parameters"};
static const char *const accelerate_names[] = {"none", "squarem"};
static const char *const mc_schedule_names[] = {"fixed", "geometric", "auto"};

NAMED_ENUM(vem_algorithm, vem_algorithm_name, vem_algorithm_parse, algorithm_names, "algorithm")
NAMED_ENUM(vem_tol_rule, vem_tol_rule_name, vem_tol_rule_parse, tol_rule_names, "tolerance rule")
NAMED_ENUM(vem_accelerate, vem_accelerate_name, vem_accelerate_parse, accelerate_names,
           "acceleration")
NAMED_ENUM(vem_mc_schedule, vem_mc_schedule_name, vem_mc_schedule_parse, mc_schedule_names,
           "Monte-Carlo schedule")

static uint64_t mc_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void vem_mc_unit_rng(const vem_mc_draw *mc, size_t u, size_t g, vem_rng *rng)
{
    const uint64_t unit = mc_mix(mc->first + (uint64_t)u + 0x9e3779b97f4a7c15ULL);
    vem_rng_seed(rng, mc_mix(mc->key ^ mc_mix(unit ^ ((uint64_t)g * 0xd1b54a32d192ed03ULL))));
}

void vem_fit_opts_init(vem_fit_opts *o)
{
    memset(o, 0, sizeof *o);
    o->max_iter = 100;
    o->tol = 1e-3;
    o->n_init = 1;
    o->block = 4096;
    o->nslots = 64;
    o->mono_rtol = 1e-9;
    o->algorithm = VEM_ALG_BATCH;
    o->batch_size = 1000;
    o->kappa = 0.7;
    o->tau = 2.0;
    o->warmup = 1;
    o->n_blocks = 10;
    o->shuffle_rows = 65536;
    o->init_sample = 100000;
    o->lr = 1e-3;
    o->beta1 = 0.9;
    o->beta2 = 0.999;
    o->adam_eps = 1e-8;
    o->mc_samples = 100;
    o->mc_schedule = VEM_MC_AUTO;
    o->mc_growth = 1.2;
    o->mc_max_samples = 100000;
    o->mc_groups = 10;
    o->mc_alpha = 0.25;
    o->mc_window = 5;
    o->lbfgs_m = 6;
    o->em_switch_rate = 0.9;
}

/* The algorithms that run the deterministic full-batch map (their starts as batch EM's). */
static int batch_like(vem_algorithm a)
{
    return a == VEM_ALG_BATCH || a == VEM_ALG_LBFGS || a == VEM_ALG_EM_LBFGS;
}

static int is_mc(vem_algorithm a)
{
    return a == VEM_ALG_MCEM || a == VEM_ALG_SEM || a == VEM_ALG_CEM;
}

static vem_status check_opts(const vem_fit_opts *o)
{
    if (!(o->tol >= 0.0) || !isfinite(o->tol))
        return VEM_FAIL(VEM_EINVAL, "tol=%g must be finite and >= 0", o->tol);
    if (o->n_init == 0)
        return VEM_FAIL(VEM_EINVAL, "n_init=0 must be >= 1");
    if (o->block == 0 || o->block > (1u << 20))
        return VEM_FAIL(VEM_EINVAL, "block=%zu must be in [1, 2^20]", o->block);
    if (o->nslots == 0)
        return VEM_FAIL(VEM_EINVAL, "nslots=0 must be >= 1");
    if (o->nthreads < 0)
        return VEM_FAIL(VEM_EINVAL, "nthreads=%d must be >= 0", o->nthreads);
    if (!(o->mono_rtol >= 0.0))
        return VEM_FAIL(VEM_EINVAL, "mono_rtol=%g must be >= 0", o->mono_rtol);
    if (!vem_tol_rule_name(o->tol_rule))
        return VEM_FAIL(VEM_EINVAL, "invalid tol_rule %d", (int)o->tol_rule);
    if (!vem_algorithm_name(o->algorithm))
        return VEM_FAIL(VEM_EINVAL, "invalid algorithm %d", (int)o->algorithm);
    if (o->algorithm == VEM_ALG_STEPWISE) {
        if (o->batch_size == 0)
            return VEM_FAIL(VEM_EINVAL, "batch_size=0 must be >= 1");
        if (!(o->kappa > 0.5 && o->kappa <= 1.0))
            return VEM_FAIL(VEM_EINVAL, "kappa=%g must be in (0.5, 1]", o->kappa);
        if (!(o->tau >= 0.0) || !isfinite(o->tau))
            return VEM_FAIL(VEM_EINVAL, "tau=%g must be finite and >= 0", o->tau);
        if (o->warmup == 0)
            return VEM_FAIL(VEM_EINVAL, "warmup=0 must be >= 1");
        if (o->shuffle_rows == 0)
            return VEM_FAIL(VEM_EINVAL, "shuffle_rows=0 must be >= 1");
    }
    if (o->algorithm == VEM_ALG_ADAM) {
        if (o->batch_size == 0)
            return VEM_FAIL(VEM_EINVAL, "batch_size=0 must be >= 1");
        if (!(o->lr > 0.0) || !isfinite(o->lr))
            return VEM_FAIL(VEM_EINVAL, "lr=%g must be finite and > 0", o->lr);
        if (!(o->beta1 >= 0.0 && o->beta1 < 1.0) || !(o->beta2 >= 0.0 && o->beta2 < 1.0))
            return VEM_FAIL(VEM_EINVAL, "beta1=%g, beta2=%g must be in [0, 1)", o->beta1,
                            o->beta2);
        if (!(o->adam_eps > 0.0) || !isfinite(o->adam_eps))
            return VEM_FAIL(VEM_EINVAL, "adam_eps=%g must be finite and > 0", o->adam_eps);
        if (o->shuffle_rows == 0)
            return VEM_FAIL(VEM_EINVAL, "shuffle_rows=0 must be >= 1");
    }
    if (o->algorithm == VEM_ALG_INCREMENTAL && o->n_blocks == 0)
        return VEM_FAIL(VEM_EINVAL, "n_blocks=0 must be >= 1");
    if (o->algorithm == VEM_ALG_MCEM) {
        if (o->mc_samples == 0 || o->mc_samples > o->mc_max_samples)
            return VEM_FAIL(VEM_EINVAL, "mc_samples=%zu must be in [1, mc_max_samples=%zu]",
                            o->mc_samples, o->mc_max_samples);
        if (!vem_mc_schedule_name(o->mc_schedule))
            return VEM_FAIL(VEM_EINVAL, "invalid mc_schedule %d", (int)o->mc_schedule);
        if (o->mc_max_samples > 100000000)
            return VEM_FAIL(VEM_EINVAL, "mc_max_samples=%zu must be <= 1e8", o->mc_max_samples);
        if (o->mc_schedule == VEM_MC_GEOMETRIC && !(o->mc_growth > 1.0 && o->mc_growth <= 100.0))
            return VEM_FAIL(VEM_EINVAL, "mc_growth=%g must be in (1, 100]", o->mc_growth);
        if (o->mc_schedule == VEM_MC_AUTO && (o->mc_groups < 2 || o->mc_groups > 1000))
            return VEM_FAIL(VEM_EINVAL, "mc_groups=%zu must be in [2, 1000]", o->mc_groups);
        if (o->mc_schedule == VEM_MC_AUTO && !(o->mc_alpha > 0.0 && o->mc_alpha < 1.0))
            return VEM_FAIL(VEM_EINVAL, "mc_alpha=%g must be in (0, 1)", o->mc_alpha);
    }
    if (is_mc(o->algorithm) && o->mc_window == 0)
        return VEM_FAIL(VEM_EINVAL, "mc_window=0 must be >= 1");
    if ((o->algorithm == VEM_ALG_LBFGS || o->algorithm == VEM_ALG_EM_LBFGS) &&
        (o->lbfgs_m == 0 || o->lbfgs_m > 1000))
        return VEM_FAIL(VEM_EINVAL, "lbfgs_m=%zu must be in [1, 1000]", o->lbfgs_m);
    if (o->algorithm == VEM_ALG_EM_LBFGS && !(o->em_switch_rate > 0.0 && o->em_switch_rate <= 1.0))
        return VEM_FAIL(VEM_EINVAL, "em_switch_rate=%g must be in (0, 1]", o->em_switch_rate);
    if (!vem_accelerate_name(o->accelerate))
        return VEM_FAIL(VEM_EINVAL, "invalid accelerate %d", (int)o->accelerate);
    if (o->accelerate != VEM_ACCEL_NONE && o->algorithm != VEM_ALG_BATCH)
        return VEM_FAIL(VEM_EINVAL, "acceleration %s is for batch EM, not %s",
                        vem_accelerate_name(o->accelerate), vem_algorithm_name(o->algorithm));
    if (o->tol_rule == VEM_TOL_PARAMS && o->algorithm == VEM_ALG_ADAM)
        return VEM_FAIL(VEM_EINVAL, "the parameter tolerance rule is for the EM algorithms");
    if (o->init_sample == 0)
        return VEM_FAIL(VEM_EINVAL, "init_sample=0 must be >= 1");
    return VEM_OK;
}

/* ------------------------------------------------------ construction */

/* The Monte-Carlo buffers (mc_alloc); the pointers left NULL. */
static void mc_free(vem_fit *f)
{
    double **bufs[] = {&f->mc_ess,    &f->mc_mean,   &f->mc_theta0, &f->mc_theta1,
                       &f->mc_thetag, &f->mc_state0, &f->mc_avg};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) {
        vem__free(*bufs[i]);
        *bufs[i] = NULL;
    }
}

void vem_fit_free(vem_fit *f)
{
    if (!f)
        return;
    vem__free(f->slot_obj);
    vem__free(f->slot_st);
    vem__free(f->slot_msg);
    vem__free(f->slot_ess);
    vem__free(f->scratch);
    for (int t = 0; f->ubuf && t < f->nthreads; t++)
        vem__unit_buf_clear(&f->ubuf[t]);
    vem__free(f->ubuf);
    vem__unit_buf_clear(&f->mbuf);
    vem__free(f->ess);
    vem__free(f->s_acc);
    vem__free(f->s_tmp);
    vem__free(f->blocks);
    vem__free(f->block_h);
    vem__free(f->perm);
    vem__free(f->mb);
    vem__free(f->trace);
    vem__free(f->theta);
    vem__free(f->adam_m);
    vem__free(f->adam_v);
    vem__free(f->adam_mf);
    vem__free(f->adam_vf);
    vem__free(f->red_d);
    vem__free(f->val_best);
    vem__free(f->sp_colsum);
    vem__free(f->sp_union);
    vem__free(f->sp_slot_rows);
    vem__free(f->sp_slot_n);
    vem__free(f->sp_seen);
    mc_free(f);
    vem__free(f->sq);
    vem__blas_threads_restore(f->blas_token);
    vem__free(f);
}

/* Slots for a range of n units: at least about 256 observations per slot
 * (smaller slots cost more in thread start-up than they save; Old Faithful and
 * the penguins run in one slot, scikit-learn's 1797 digits in eight), at most
 * opts.nslots; a function of the range alone, never of the threads. */
static double range_obs(const vem_fit *f, size_t n);

static size_t slots_for(const vem_fit *f, size_t n)
{
    double obs = range_obs(f, n);
    /* A gradient model's unit costs a network's passes: 64 units a slot (a minibatch
     * of 128 on 2 slots), against 256 observations for the others. */
    size_t by_obs = f->m.ops->gradient ? n / 64 : (size_t)(obs / 256.0);
    /* At most about 48 MB of slot statistics (a topic model's K x V ESS are large),
     * but at least 2 slots; like the rest, a function of the model and data only. */
    size_t by_mem = (size_t)(50331648.0 / (8.0 * (double)(f->ess_len + 2)));
    /* Rounded up to a power of two below 8 and to a multiple of 8 above, so that
     * 2, 4 or 8 threads share the slots evenly (the digits' 7 became 8). */
    if (by_obs >= 8)
        by_obs = (by_obs + 7) / 8 * 8;
    else if (by_obs > 1)
        by_obs = by_obs > 4 ? 8 : by_obs > 2 ? 4 : 2;
    size_t ns = vem__min(vem__min(f->o.nslots, n), vem__max(by_obs, 1));
    ns = vem__min(ns, vem__max(by_mem, 2));
    /* An empty range (a process with no rows in a minibatch) still takes part. */
    return vem__max(ns, 1);
}

static vem_fit *fit_alloc(const vem_model *m, const vem_data *x, vem_source *src,
                          const vem_fit_opts *o)
{
    vem_fit_opts defaults;
    if (!o) {
        vem_fit_opts_init(&defaults);
        o = &defaults;
    }
    if (!m || !m->ops || !m->self || !x) {
        VEM_FAIL(VEM_EINVAL, "vem_fit_new: model and data are required");
        return NULL;
    }
    if (check_opts(o) != VEM_OK)
        return NULL;
    size_t n_units = m->ops->n_units(m->self, x);
    if (src && n_units != vem_source_units(src)) {
        static const char *const what[] = {"rows", "sequences", "documents"};
        VEM_FAIL(VEM_EINVAL, "model %s: the source holds %zu %s, which are not its units",
                 m->ops->name, vem_source_units(src), what[vem_source_unit_kind(src)]);
        return NULL;
    }
    /* A process of a distributed fit may hold no data and still take part in
     * every reduction; alone, no data is an error. */
    if (n_units == 0 && !o->comm) {
        VEM_FAIL(VEM_EINVAL, "no data: 0 %s",
                 x->docs ? "documents" : x->seq_start ? "sequences" : "rows");
        return NULL;
    }
    vem_fit *f = vem__calloc(1, sizeof *f);
    if (!f)
        goto oom;
    f->m = *m;
    f->x = *x;
    f->src = src;
    f->o = *o;
    f->user = *o;
    f->o.progress = NULL;
    f->o.progress_ctx = NULL;
    f->o.checkpoint = NULL;
    f->o.resume = NULL;
    f->o.interrupted = NULL;
    f->o.interrupted_ctx = NULL;
    f->fit_t0 = vem__now();
    f->n_units = n_units;
    /* A source's observations are its rows, frames or tokens (its values are on disk). */
    f->n_obs = !src ? m->ops->n_obs(m->self, x)
                    : vem_source_unit_kind(src) == VEM_UNITS_DOCUMENTS ? vem_source_tokens(src)
                                                                       : (double)x->x.rows;
    f->n_obs_all = f->n_obs;
    /* The BLAS stays single-threaded for the fit's whole life, not pass by pass:
     * raising OpenBLAS's thread count again between passes left its workers
     * spinning against ours (the digits at 2 threads: 2.7 ms an iteration
     * against 1.8 with the BLAS held at one thread). */
    f->blas_token = vem__blas_threads_one();
#ifdef _OPENMP
    f->nthreads = o->nthreads > 0 ? o->nthreads : omp_get_max_threads();
#else
    f->nthreads = 1;
#endif
    f->ess_len = m->ops->ess_len(m->self);
    f->max_slots = slots_for(f, n_units);
    if (o->validation) {
        f->n_units = n_units; /* slots_for reads it (range_obs) */
        f->max_slots = vem__max(f->max_slots,
                                slots_for(f, m->ops->n_units(m->self, o->validation)));
    }
    if (f->nthreads > (int)f->max_slots)
        f->nthreads = (int)f->max_slots;
    f->slot_obj = vem__alloc_doubles(f->max_slots, 1);
    f->slot_st = vem__calloc(f->max_slots, sizeof *f->slot_st);
    f->slot_msg = vem__calloc(f->max_slots, MSG_LEN);
    if (!f->slot_obj || !f->slot_st || !f->slot_msg)
        goto oom;
    if (src) {
        f->ubuf = vem__calloc((size_t)f->nthreads, sizeof *f->ubuf);
        if (!f->ubuf)
            goto oom;
    }
    if (x->docs) {
        f->shape_docs = *x->docs;
        f->x.docs = &f->shape_docs;
    }
    return f;
oom:
    vem_fit_free(f);
    VEM_FAIL(VEM_ENOMEM, "vem_fit_new: out of memory");
    return NULL;
}

vem_fit *vem_fit_new(const vem_model *m, const vem_data *x, const vem_fit_opts *o)
{
    return fit_alloc(m, x, NULL, o);
}

vem_fit *vem_fit_new_source(const vem_model *m, vem_source *src, const vem_fit_opts *o)
{
    if (!src) {
        VEM_FAIL(VEM_EINVAL, "vem_fit_new_source: no source");
        return NULL;
    }
    const vem_unit_kind kind = vem_source_unit_kind(src);
    vem_matrix shape = {.data = NULL, .rows = 0, .cols = 0, .ld = 0};
    if (kind != VEM_UNITS_DOCUMENTS) {
        shape.rows = vem_source_rows(src);
        shape.cols = shape.ld = vem_source_cols(src);
    }
    vem_data x = vem_data_rows(shape);
    vem_docs docs = {.ndocs = vem_source_units(src),
                     .nvocab = vem_source_nvocab(src),
                     .ptr = vem_source_unit_starts(src),
                     .word = NULL,
                     .count = NULL};
    if (kind == VEM_UNITS_SEQUENCES) {
        x.seq_start = vem_source_unit_starts(src);
        x.n_seq = vem_source_units(src);
    } else if (kind == VEM_UNITS_DOCUMENTS) {
        x.docs = &docs;
    }
    return fit_alloc(m, &x, src, o);
}

/* Make sure slot and scratch buffers can hold model m's statistics. */
/* The doubles of one pass's statistics: the model's, times the groups of a Monte-Carlo pass. */
static size_t pass_len(const vem_fit *f, const vem_model *m)
{
    return m->ops->ess_len(m->self) * (f->mc_cur ? f->mc_cur->groups : 1);
}

static vem_status reserve(vem_fit *f, const vem_model *m)
{
    size_t len = pass_len(f, m);
    size_t sl = m->ops->scratch_len ? m->ops->scratch_len(m->self, f->o.block) : 0;
    /* Each slot holds ESS, objective and observations: slot 0 is also the reduction's. */
    if (len + 2 > f->slot_cap || !f->slot_ess) {
        double *p = vem__alloc_doubles(f->max_slots, len + 2);
        if (!p)
            return VEM_FAIL(VEM_ENOMEM, "ESS buffers: %zu slots x %zu doubles", f->max_slots,
                            len + 2);
        vem__free(f->slot_ess);
        f->slot_ess = p;
        f->slot_cap = len + 2;
        f->sp_clean = 0;
    }
    if (sl > f->scratch_cap) {
        double *p = vem__alloc_doubles((size_t)f->nthreads, sl);
        if (!p)
            return VEM_FAIL(VEM_ENOMEM, "scratch: %d threads x %zu doubles", f->nthreads, sl);
        vem__free(f->scratch);
        f->scratch = p;
        f->scratch_cap = sl;
    }
    return VEM_OK;
}

/* ------------------------------------------------------------- passes */

/* Observations in n units of this process's data. */
static double range_obs(const vem_fit *f, size_t n)
{
    return n == f->n_units ? f->n_obs : (double)n * (f->n_obs / (double)f->n_units);
}

/* Slot s of ns over units [lo, lo + n): contiguous, sizes differing by at most one. */
static void slot_range(size_t lo, size_t n, size_t ns, size_t s, size_t *s_lo, size_t *s_hi)
{
    const size_t q = n / ns, rem = n % ns;
    *s_lo = lo + s * q + (s < rem ? s : rem);
    *s_hi = *s_lo + q + (s < rem ? 1 : 0);
}

/* Doubles one E-step call's sequences or documents may span (8 MB). */
enum { CALL_DOUBLES = 1 << 20 };

/*
 * The end of the E-step call that starts at unit u0 of x, within [u0, hi): block
 * units, fewer for sequences (frames x columns) or documents (1.5 doubles a word:
 * an id and a count) spanning more than CALL_DOUBLES, but at least one unit. A
 * function of the units' sizes only, the same for data in memory and for a source
 * (whose reads it bounds), and the same for a minibatch read from either.
 */
static size_t call_end(const vem_fit *f, const vem_data *x, size_t u0, size_t hi)
{
    const size_t u1 = vem__min(u0 + f->o.block, hi);
    const size_t *st = x->docs ? x->docs->ptr : x->seq_start;
    if (!st)
        return u1;
    const size_t cap = x->docs ? CALL_DOUBLES * 2 / 3 : CALL_DOUBLES / vem__max(x->x.cols, 1);
    if (st[u1] - st[u0] <= cap)
        return u1;
    size_t lo = u0 + 1, top = u1; /* the last end within cap, or u0 + 1 */
    while (lo < top) {
        size_t mid = lo + (top - lo + 1) / 2;
        if (st[mid] - st[u0] <= cap)
            lo = mid;
        else
            top = mid - 1;
    }
    return lo;
}

static size_t thread_id(void)
{
#ifdef _OPENMP
    return (size_t)omp_get_thread_num();
#else
    return 0;
#endif
}

/*
 * E-step of model m over units [lo, hi) of x (x NULL: rows of f's source),
 * summed into ess (m's ess_len doubles) and *objective, then over the processes;
 * *obs (may be NULL) receives the observations the pass covered, summed over
 * processes like the rest.
 */
static vem_status run_range(vem_fit *f, const vem_model *m, const vem_data *x, size_t lo,
                            size_t hi, double *ess, double *objective, double *obs)
{
    vem_status st = reserve(f, m);
    if (st != VEM_OK)
        return st;
    const size_t len = pass_len(f, m);
    const size_t cap = f->slot_cap, n = hi - lo;
    const vem_mc_draw *mc = f->mc_cur;
    f->sp_clean = 0;
    const size_t ns = slots_for(f, n);
    const vem_data *shape = x ? x : &f->x;
    const vem_model mm = *m;
    const int fl = m->ops->ess_float;
    /* An objective-only pass of a gradient model: estep gets no ESS (model.h). */
    const int objonly = f->objective_only && m->ops->gradient;
    if (f->counting && !f->objective_only && m->ops == f->m.ops)
        f->units_done += (double)n;
    int token = vem__blas_threads_one();
#ifdef _OPENMP
    int nthreads = f->nthreads < (int)ns ? f->nthreads : (int)ns;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nthreads)
#endif
    for (long sl = 0; sl < (long)ns; sl++) {
        size_t s = (size_t)sl, tid = thread_id(), s_lo, s_hi;
        slot_range(lo, n, ns, s, &s_lo, &s_hi);
        double *sess = f->slot_ess ? f->slot_ess + s * cap : NULL;
        double *scratch = f->scratch ? f->scratch + tid * f->scratch_cap : NULL;
        if (len && !objonly)
            memset(sess, 0, len * (fl ? sizeof(float) : sizeof *sess));
        if (objonly)
            sess = NULL;
        double obj = 0.0;
        vem_status sst = VEM_OK;
        for (size_t u0 = s_lo, u1; u0 < s_hi && sst == VEM_OK; u0 = u1) {
            u1 = call_end(f, shape, u0, s_hi);
            if (x) {
                obj += mc ? mm.ops->estep_mc(mm.self, x, u0, u1, sess, scratch, mc)
                          : mm.ops->estep(mm.self, x, u0, u1, sess, scratch);
            } else {
                vem_data view;
                sst = vem__source_read_units(f->src, u0, u1, &f->ubuf[tid], &view);
                if (sst == VEM_OK && mc) {
                    /* The view's unit 0 is unit u0 of this process's data. */
                    vem_mc_draw here = *mc;
                    here.first += u0;
                    obj += mm.ops->estep_mc(mm.self, &view, 0, u1 - u0, sess, scratch, &here);
                } else if (sst == VEM_OK) {
                    obj += mm.ops->estep(mm.self, &view, 0, u1 - u0, sess, scratch);
                } else {
                    /* The message is thread-local: keep it for the calling thread. */
                    snprintf(f->slot_msg + s * MSG_LEN, MSG_LEN, "%s", vem_errmsg());
                }
            }
        }
        f->slot_st[s] = sst;
        f->slot_obj[s] = obj;
    }
    vem__blas_threads_restore(token);
    for (size_t s = 0; s < ns; s++)
        if (f->slot_st[s] != VEM_OK)
            return VEM_FAIL(f->slot_st[s], "%s", f->slot_msg + s * MSG_LEN);
    /* Fixed-order reduction into slot 0: every entry sums the slots in slot order,
     * so splitting the entries among threads changes no bit. */
    double *red = f->slot_ess;
    const double *sess = f->slot_ess;
    const long nchunks = objonly ? 0 : (long)((len + 4095) / 4096);
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(nthreads) if (len * ns >= 65536)
#endif
    for (long ch = 0; ch < nchunks; ch++) {
        const size_t i0 = (size_t)ch * 4096, i1 = vem__min(i0 + 4096, len);
        if (fl && !f->o.comm) {
            /* Float sums straight into ess: the same additions in the same order. */
            float *ef = (float *)(void *)ess;
            const float *p0 = (const float *)(const void *)sess;
            memcpy(ef + i0, p0 + i0, (i1 - i0) * sizeof *ef);
            for (size_t s = 1; s < ns; s++) {
                const float *p = (const float *)(const void *)(sess + s * cap);
                for (size_t i = i0; i < i1; i++)
                    ef[i] += p[i];
            }
            continue;
        }
        for (size_t s = 1; s < ns; s++) {
            if (fl) {
                float *rf = (float *)(void *)red;
                const float *p = (const float *)(const void *)(sess + s * cap);
                for (size_t i = i0; i < i1; i++)
                    rf[i] += p[i];
                continue;
            }
            const double *p = sess + s * cap;
            for (size_t i = i0; i < i1; i++)
                red[i] += p[i];
        }
    }
    double obj = f->slot_obj[0];
    for (size_t s = 1; s < ns; s++)
        obj += f->slot_obj[s];
    if (objonly) {
        double two[2] = {obj, range_obs(f, n)};
        if (f->o.comm && (st = f->o.comm->reduce(two, 2, f->o.comm->ctx)) != VEM_OK)
            return st;
        *objective = two[0];
        if (obs)
            *obs = two[1];
        return VEM_OK;
    }
    if (fl) {
        /* Float sums: summed over processes in double, handed back as floats. */
        const float *rf = (const float *)(const void *)red;
        float *ef = (float *)(void *)ess;
        if (!f->o.comm) {
            *objective = obj;
            if (obs)
                *obs = range_obs(f, n);
            return VEM_OK;
        }
        if (f->red_d_cap < len + 2) {
            vem__free(f->red_d);
            f->red_d_cap = 0;
            if (!(f->red_d = vem__alloc_doubles(len + 2, 1)))
                return VEM_FAIL(VEM_ENOMEM, "float ESS: %zu doubles", len + 2);
            f->red_d_cap = len + 2;
        }
        for (size_t i = 0; i < len; i++)
            f->red_d[i] = (double)rf[i];
        f->red_d[len] = obj;
        f->red_d[len + 1] = range_obs(f, n);
        if ((st = f->o.comm->reduce(f->red_d, len + 2, f->o.comm->ctx)) != VEM_OK)
            return st;
        for (size_t i = 0; i < len; i++)
            ef[i] = (float)f->red_d[i];
        *objective = f->red_d[len];
        if (obs)
            *obs = f->red_d[len + 1];
        return VEM_OK;
    }
    red[len] = obj;
    red[len + 1] = range_obs(f, n);
    if (f->o.comm) {
        st = f->o.comm->reduce(red, len + 2, f->o.comm->ctx);
        if (st != VEM_OK)
            return st;
    }
    if (len)
        memcpy(ess, red, len * sizeof *ess);
    *objective = red[len];
    if (obs)
        *obs = red[len + 1];
    return VEM_OK;
}

static const vem_data *pass_data(const vem_fit *f)
{
    return f->src ? NULL : &f->x;
}

vem_status vem_fit_pass(vem_fit *f, const vem_model *m, double *ess, double *objective)
{
    if (m->ops->gradient && m->ops->noise_key)
        m->ops->noise_key(m->self, 0, f->unit_first);
    return run_range(f, m, pass_data(f), 0, f->n_units, ess, objective, NULL);
}

/* ------------------------------------------------------- iteration */

static vem_status trace_push(vem_fit *f, const vem_trace_entry *e)
{
    if (f->trace_len == f->trace_cap) {
        size_t cap = f->trace_cap ? 2 * f->trace_cap : 64;
        vem_trace_entry *p = vem__realloc(f->trace, cap * sizeof *p);
        if (!p)
            return VEM_FAIL(VEM_ENOMEM, "trace");
        f->trace = p;
        f->trace_cap = cap;
    }
    f->trace[f->trace_len] = *e;
    if (!f->o.validation || e->step)
        f->trace[f->trace_len].validation = NAN;
    f->trace_len++;
    if (f->user.progress) {
        vem_progress p = {.model = f->m.ops->name,
                          .label = f->o.label,
                          .restart = f->restart,
                          .n_restarts = f->n_restarts ? f->n_restarts : 1,
                          .iter = e->iter,
                          .max_iter = f->o.max_iter,
                          .step = e->step,
                          .objective = e->objective,
                          .n_obs = f->n_obs_all,
                          .change = e->change,
                          .tol = f->o.tol,
                          .tol_rule = f->o.tol_rule,
                          .seconds = e->seconds,
                          .fit_seconds = vem__now() - f->fit_t0,
                          .violation = e->violation,
                          .validation = f->trace[f->trace_len - 1].validation,
                          .mc_samples = e->mc_samples,
                          .passes = e->passes};
        f->user.progress(f->user.progress_ctx, &p);
    }
    if (f->o.log) {
        char line[200];
        if (e->step)
            snprintf(line, sizeof line, "pass %4zu step %6zu  objective %.10g  %.3fs", e->iter,
                     e->step, e->objective, e->seconds);
        else
            snprintf(line, sizeof line, "iter %4zu  objective %.10g  change %+.3e%s  %.3fs",
                     e->iter, e->objective, e->change, e->violation ? "  DECREASED" : "",
                     e->seconds);
        f->o.log(f->o.log_ctx, line);
    }
    return VEM_OK;
}

static double extra(const vem_fit *f)
{
    return f->m.ops->objective_extra ? f->m.ops->objective_extra(f->m.self) : 0.0;
}

/*
 * The objective of the current parameters: a full data pass plus the extra terms. Its
 * ESS go to f->ess, allocated at the first use by batch EM; online EM's evaluations use
 * its minibatch buffer, or when finishing (S no longer needed) its statistics, so that
 * no K x V array is added at the end of a large fit.
 */
static vem_status evaluate(vem_fit *f, double *objective, int finishing)
{
    double *ess = f->ess ? f->ess : f->s_tmp ? f->s_tmp : finishing ? f->s_acc : NULL;
    if (!ess) {
        if (!(f->ess = vem__alloc_doubles(f->ess_len ? f->ess_len : 1, 1)))
            return VEM_FAIL(VEM_ENOMEM, "ESS: %zu doubles", f->ess_len);
        ess = f->ess;
    }
    vem_status st = vem_fit_pass(f, &f->m, ess, objective);
    if (st != VEM_OK)
        return st;
    *objective += extra(f);
    if (!isfinite(*objective))
        return VEM_FAIL(VEM_ENUMERIC, "%s: objective is %g at iteration %zu", f->m.ops->name,
                        *objective, f->iter + 1);
    return VEM_OK;
}

/* Batch EM and CAVI never decrease the objective; allow only round-off. */
static int decreased(const vem_fit *f, double prev, double obj)
{
    return obj < prev - f->o.mono_rtol * (fabs(prev) + f->n_obs_all);
}

/* The fit's thread count for the model's own parallel loops (model.h); returns the old one. */
static int model_threads(const vem_fit *f)
{
#ifdef _OPENMP
    int old = omp_get_max_threads();
    omp_set_num_threads(f->nthreads);
    return old;
#else
    (void)f;
    return 0;
#endif
}

static void model_threads_restore(int old)
{
#ifdef _OPENMP
    omp_set_num_threads(old);
#else
    (void)old;
#endif
}

static vem_status mstep(vem_fit *f, const double *ess)
{
    f->n_steps++;
    int old = model_threads(f);
    vem_status st = f->m.ops->mstep(f->m.self, ess);
    model_threads_restore(old);
    return st;
}

/* ------------------------------------------------------------ SQUAREM */

/* One EM map: the E-step at the current parameters (objective into *obj), the M-step. */
static vem_status em_map(vem_fit *f, double *obj)
{
    vem_status st = evaluate(f, obj, 0);
    return st == VEM_OK ? mstep(f, f->ess) : st;
}

/*
 * One SQUAREM cycle (fit.h, VEM_ACCEL_SQUAREM; Varadhan & Roland 2008, S3 with their
 * step-length safeguards): *obj0 receives the objective of the parameters entering it.
 */
static vem_status squarem_cycle(vem_fit *f, double *obj0)
{
    const vem_model_ops *ops = f->m.ops;
    void *self = f->m.self;
    if (!ops->params_get || !ops->params_set)
        return VEM_FAIL(VEM_EUNSUP, "%s: SQUAREM needs params_get/params_set", ops->name);
    const size_t p = ops->params_len(self), sl = ops->state_len ? ops->state_len(self) : 0;
    if (!f->sq && !(f->sq = vem__alloc_doubles(4 * p + sl + 1, 1)))
        return VEM_FAIL(VEM_ENOMEM, "SQUAREM: 4 x %zu parameters", p);
    double *t0 = f->sq, *t1 = t0 + p, *t2 = t1 + p, *tp = t2 + p, *s2 = tp + p;
    double obj1;
    ops->params_get(self, t0);
    vem_status st = em_map(f, obj0);
    if (st != VEM_OK)
        return st;
    ops->params_get(self, t1);
    if ((st = em_map(f, &obj1)) != VEM_OK)
        return st;
    ops->params_get(self, t2);
    if (sl)
        ops->state_get(self, s2);
    double rr = 0.0, vv = 0.0;
    for (size_t j = 0; j < p; j++) {
        const double r = t1[j] - t0[j], v = t2[j] - 2.0 * t1[j] + t0[j];
        rr += r * r;
        vv += v * v;
    }
    double alpha = vv > 0.0 && isfinite(rr / vv) ? -sqrt(rr / vv) : -1.0;
    for (int tries = 0; alpha < -1.0 && tries < 10; tries++, alpha = 0.5 * (alpha - 1.0)) {
        for (size_t j = 0; j < p; j++) {
            const double r = t1[j] - t0[j], v = t2[j] - 2.0 * t1[j] + t0[j];
            tp[j] = t0[j] - 2.0 * alpha * r + alpha * alpha * v;
        }
        if (ops->params_set(self, tp) != VEM_OK)
            continue; /* outside the model's parameter space */
        double objp;
        if (evaluate(f, &objp, 0) != VEM_OK || decreased(f, obj1, objp))
            continue;
        if (mstep(f, f->ess) != VEM_OK)
            continue;
        return VEM_OK; /* F(theta') */
    }
    /* alpha = -1: theta' = theta2, the plain EM step, already computed. */
    if ((st = ops->params_set(self, t2)) != VEM_OK)
        return st;
    return sl ? ops->state_set(self, s2) : VEM_OK;
}

/* ------------------------------------------------------------ L-BFGS */

/* What liblbfgs's callbacks see. */
typedef struct lbfgs_ctx {
    vem_fit *f;
    size_t p;
    double *g;      /* the model's gradient (ascent) */
    double *prev_x; /* the previous accepted point (the parameter rule) */
    vem_status st;  /* a failure inside a callback */
    int converged, interrupted;
} lbfgs_ctx;

/* liblbfgs minimises -objective: one E-step pass at x, the gradient from its ESS. */
static lbfgsfloatval_t lbfgs_eval(void *inst, const lbfgsfloatval_t *x, lbfgsfloatval_t *g,
                                  const int n, const lbfgsfloatval_t step)
{
    lbfgs_ctx *c = inst;
    vem_fit *f = c->f;
    (void)step;
    double obj = NAN;
    vem_status st = f->m.ops->uparams_set(f->m.self, x);
    if (st == VEM_OK)
        st = evaluate(f, &obj, 0);
    if (st != VEM_OK) {
        /* A point the model cannot hold or evaluate: far uphill, so the line search backs
         * off (a failure the fit reports if nothing else succeeds). */
        c->st = st;
        for (int i = 0; i < n; i++)
            g[i] = 0.0;
        return DBL_MAX / 4;
    }
    f->m.ops->ess_gradient(f->m.self, f->ess, c->g);
    for (int i = 0; i < n; i++)
        g[i] = -c->g[i];
    c->st = VEM_OK;
    return -obj;
}

/* After each accepted L-BFGS iteration: the trace entry, the convergence rule, the
 * interruption poll; non-zero stops liblbfgs. */
static int lbfgs_progress(void *inst, const lbfgsfloatval_t *x, const lbfgsfloatval_t *g,
                          const lbfgsfloatval_t fx, const lbfgsfloatval_t xnorm,
                          const lbfgsfloatval_t gnorm, const lbfgsfloatval_t step, int n, int k,
                          int ls)
{
    lbfgs_ctx *c = inst;
    vem_fit *f = c->f;
    (void)g, (void)xnorm, (void)gnorm, (void)step, (void)k, (void)ls;
    const double obj = -fx;
    f->iter++;
    f->n_steps++;
    vem_trace_entry e = {.iter = f->iter, .objective = obj, .validation = NAN,
                         .passes = f->n_units ? f->units_done / (double)f->n_units : 0.0};
    e.violation = f->have_prev && decreased(f, f->prev, obj);
    f->n_violations += (size_t)e.violation;
    if (f->have_prev)
        e.change = (obj - f->prev) / f->n_obs_all;
    e.seconds = vem__now() - f->t0;
    if ((c->st = trace_push(f, &e)) != VEM_OK)
        return 1;
    /* The rules of fit.h on consecutive accepted points (the parameter rule on u). */
    int conv = 0;
    if (f->o.tol > 0.0 && f->have_prev) {
        if (f->o.tol_rule == VEM_TOL_PARAMS) {
            double worst = 0.0;
            for (int i = 0; i < n; i++)
                worst = fmax(worst, fabs(x[i] - c->prev_x[i]) / (fabs(c->prev_x[i]) + 1e-3));
            f->mc_streak = worst < f->o.tol ? f->mc_streak + 1 : 0;
            conv = f->mc_streak >= 3;
        } else if (f->o.tol_rule == VEM_TOL_TOTAL) {
            conv = fabs(obj - f->prev) < fmax(f->o.tol, 1e-12 * (fabs(f->prev) + f->n_obs_all));
        } else {
            conv = fabs(e.change) < f->o.tol;
        }
    }
    memcpy(c->prev_x, x, (size_t)n * sizeof *x);
    f->prev = obj;
    f->have_prev = 1;
    f->objective = obj;
    if (conv) {
        c->converged = 1;
        return 1;
    }
    /* An interruption on any process stops all of them at the same iteration. */
    double stop = f->user.interrupted && f->user.interrupted(f->user.interrupted_ctx);
    if (f->o.comm && (c->st = f->o.comm->reduce(&stop, 1, f->o.comm->ctx)) != VEM_OK)
        return 1;
    if (stop > 0.0) {
        c->interrupted = 1;
        return 1;
    }
    return f->iter >= f->o.max_iter;
}

/* L-BFGS from the current parameters to the end of the fit (fit.h, VEM_ALG_LBFGS). */
static vem_status lbfgs_run(vem_fit *f)
{
    const vem_model_ops *ops = f->m.ops;
    const size_t p = ops->ugrad_len ? ops->ugrad_len(f->m.self) : 0;
    if (p == 0)
        return VEM_FAIL(VEM_EUNSUP, "%s: no objective gradient in this configuration "
                        "(vem_model_ops.ess_gradient): %s is not available; batch EM with "
                        "accelerate squarem needs none", ops->name,
                        vem_algorithm_name(f->o.algorithm));
    if (p > (size_t)INT32_MAX)
        return VEM_FAIL(VEM_EINVAL, "L-BFGS: %zu parameters", p);
    if (!f->ess && !(f->ess = vem__alloc_doubles(f->ess_len ? f->ess_len : 1, 1)))
        return VEM_FAIL(VEM_ENOMEM, "ESS: %zu doubles", f->ess_len);
    lbfgs_ctx c = {.f = f, .p = p, .st = VEM_OK};
    lbfgsfloatval_t *x = lbfgs_malloc((int)p);
    c.g = vem__alloc_doubles(2 * p, 1);
    if (!x || !c.g) {
        lbfgs_free(x);
        vem__free(c.g);
        return VEM_FAIL(VEM_ENOMEM, "L-BFGS: %zu parameters", p);
    }
    c.prev_x = c.g + p;
    vem_status gst = ops->uparams_get(f->m.self, x);
    if (gst != VEM_OK) {
        lbfgs_free(x);
        vem__free(c.g);
        return gst;
    }
    memcpy(c.prev_x, x, p * sizeof *x);
    lbfgs_parameter_t prm;
    lbfgs_parameter_init(&prm);
    prm.m = (int)f->o.lbfgs_m;
    prm.epsilon = 0.0; /* the engine's rules decide (progress) */
    prm.past = 0;
    prm.max_iterations = 0;
    lbfgsfloatval_t fx = 0.0;
    const int ret = lbfgs((int)p, x, &fx, lbfgs_eval, lbfgs_progress, &c, &prm);
    /* The accepted point (liblbfgs restores it after a failed line search). */
    vem_status st = ops->uparams_set(f->m.self, x);
    lbfgs_free(x);
    vem__free(c.g);
    if (st != VEM_OK)
        return st;
    if (c.interrupted)
        return VEM_CONTINUE; /* the driver's poll sees it and stops */
    if (c.converged || ret == LBFGS_SUCCESS || ret == LBFGS_STOP || ret == LBFGS_ALREADY_MINIMIZED) {
        f->converged = 1;
        return VEM_OK;
    }
    if (ret == LBFGSERR_CANCELED)
        return c.st != VEM_OK ? c.st : f->iter >= f->o.max_iter ? VEM_EMAXITER : VEM_CONTINUE;
    switch (ret) {
    case LBFGSERR_ROUNDING_ERROR:
    case LBFGSERR_MINIMUMSTEP:
    case LBFGSERR_MAXIMUMSTEP:
    case LBFGSERR_MAXIMUMLINESEARCH:
    case LBFGSERR_WIDTHTOOSMALL:
    case LBFGSERR_INCORRECT_TMINMAX:
    case LBFGSERR_INCREASEGRADIENT:
        /* The line search cannot improve the objective any more: at the optimum to
         * round-off (or, with c.st set, at the edge of what the model can evaluate). */
        if (c.st != VEM_OK && f->iter == 0)
            return c.st;
        f->converged = 1;
        return VEM_OK;
    default:
        return VEM_FAIL(VEM_EINVAL, "L-BFGS failed: liblbfgs status %d", ret);
    }
}

/* Allocate the online state once per fit. */
static vem_status online_alloc(vem_fit *f)
{
    const size_t len = f->ess_len ? f->ess_len : 1;
    if (f->s_acc)
        return VEM_OK;
    f->s_acc = vem__alloc_doubles(len, 1);
    if (!f->s_acc)
        return VEM_FAIL(VEM_ENOMEM, "online EM statistics");
    if (f->o.algorithm == VEM_ALG_INCREMENTAL) {
        size_t nb = f->o.n_blocks;
        f->blocks = vem__alloc_doubles(nb, len);
        f->block_h = vem__alloc_doubles(nb, 1);
        if (!f->blocks || !f->block_h)
            return VEM_FAIL(VEM_ENOMEM, "incremental EM: %zu blocks x %zu doubles", nb, len);
    } else {
        const size_t cols = f->x.x.cols;
        int rows_in_memory = !f->src && !f->x.seq_start && !f->x.docs;
        int row_source = f->src && vem_source_unit_kind(f->src) == VEM_UNITS_ROWS;
        if (rows_in_memory) {
            f->perm = vem__calloc(f->n_units, sizeof *f->perm);
            size_t most = f->n_batches ? (f->n_units + f->n_batches - 1) / f->n_batches + 1
                                         : f->o.batch_size;
            f->mb = vem__alloc_doubles(vem__min(most, f->n_units), cols);
        } else if (row_source) {
            f->mb = vem__alloc_doubles(vem__min(f->o.shuffle_rows, f->n_units), cols);
        } else {
            size_t nb = f->n_batches ? f->n_batches : f->n_units / f->o.batch_size + 1;
            f->perm = vem__calloc(nb, sizeof *f->perm);
        }
        if ((rows_in_memory && (!f->perm || !f->mb)) || (row_source && !f->mb) ||
            (!rows_in_memory && !row_source && !f->perm))
            return VEM_FAIL(VEM_ENOMEM, "stepwise EM buffers");
        const vem_model_ops *ops = f->m.ops;
        const vem_comm *c = f->o.comm;
        if (f->o.algorithm == VEM_ALG_ADAM) {
            f->theta = vem__alloc_doubles(len, 1);
            f->adam_m = vem__alloc_doubles(len, 1);
            f->adam_v = vem__alloc_doubles(len, 1);
            if (!f->theta || !f->adam_m || !f->adam_v)
                return VEM_FAIL(VEM_ENOMEM, "Adam: 3 x %zu doubles", len);
            if (ops->ess_float) {
                f->adam_mf = (float *)(void *)vem__alloc_doubles((len + 1) / 2, 1);
                f->adam_vf = (float *)(void *)vem__alloc_doubles((len + 1) / 2, 1);
                if (!f->adam_mf || !f->adam_vf)
                    return VEM_FAIL(VEM_ENOMEM, "Adam: 2 x %zu floats", len);
            }
        }
        if (!rows_in_memory && !row_source && (!c || (c->gather && c->broadcast)) &&
            f->o.algorithm == VEM_ALG_STEPWISE && !f->o.dense_steps &&
            ops->sparse_shape && ops->sparse_rows && ops->sparse_prepare && ops->sparse_mstep) {
            ops->sparse_shape(f->m.self, &f->sp_nrows, &f->sp_rowlen);
            const size_t nr = f->sp_nrows, rl = f->sp_rowlen;
            if (nr == 0 || rl == 0 || nr > UINT32_MAX || nr * rl > f->ess_len)
                return VEM_FAIL(VEM_EINVAL, "%s: sparse shape %zu x %zu does not fit %zu ESS",
                                ops->name, nr, rl, f->ess_len);
            f->sp_colsum = vem__alloc_doubles(rl, 1);
            f->sp_union = vem__calloc(nr, sizeof *f->sp_union);
            f->sp_slot_rows = vem__calloc(f->max_slots * nr, sizeof *f->sp_slot_rows);
            f->sp_slot_n = vem__calloc(f->max_slots, sizeof *f->sp_slot_n);
            f->sp_seen = vem__calloc(((size_t)f->nthreads + 1) * nr, 1);
            if (!f->sp_colsum || !f->sp_union || !f->sp_slot_rows || !f->sp_slot_n || !f->sp_seen)
                return VEM_FAIL(VEM_ENOMEM, "sparse stepwise EM: %zu slots x %zu rows",
                                f->max_slots, nr);
            f->sparse = 1;
        }
    }
    /* One minibatch's or block's ESS; the sparse steps sum into slot 0 instead, and need
     * it only to pack the touched rows for a communicator. */
    if (!f->sparse || f->o.comm) {
        f->s_tmp = vem__alloc_doubles(len + 2, 1); /* + objective, observations when packed */
        if (!f->s_tmp)
            return VEM_FAIL(VEM_ENOMEM, "online EM statistics");
    }
    return VEM_OK;
}

static void shuffle(vem_rng *rng, size_t *a, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)vem_rng_below(rng, i);
        size_t t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

/* Shuffle the rows of a (n x cols) in place. */
static void shuffle_rows(vem_rng *rng, double *a, size_t n, size_t cols)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)vem_rng_below(rng, i);
        double *p = a + (i - 1) * cols, *q = a + j * cols;
        for (size_t c = 0; c < cols; c++) {
            double t = p[c];
            p[c] = q[c];
            q[c] = t;
        }
    }
}

typedef struct pass_acc {
    double objective; /* running sum of the minibatch objectives */
    size_t step;
} pass_acc;

/* The step size of the next minibatch (advances t). */
static double step_size(vem_fit *f)
{
    f->t++;
    if (!f->s_ready)
        return 1.0; /* nothing to blend with yet */
    if (!f->s_from_params && f->t <= f->o.warmup)
        return 1.0 / (double)f->t; /* running mean until the first M-step */
    return pow((double)f->t + f->o.tau, -f->o.kappa);
}

static vem_status step_trace(vem_fit *f, double obj, pass_acc *acc)
{
    acc->objective += obj;
    acc->step++;
    if (f->o.trace_steps) {
        vem_trace_entry e = {.iter = f->iter + 1,
                             .step = acc->step,
                             .objective = acc->objective,
                             .seconds = vem__now() - f->t0};
        return trace_push(f, &e);
    }
    return VEM_OK;
}

/*
 * One Adam step (Kingma & Ba 2015, Algorithm 1; ascent) from the summed gradient of a
 * minibatch of obs observations (f->s_tmp), on its mean per observation.
 */
static vem_status adam_update(vem_fit *f, double obs, double obj, pass_acc *acc)
{
    const size_t len = f->ess_len;
    if (!(obs > 0.0))
        return VEM_OK;
    if (!f->theta_ready) {
        f->m.ops->params_get(f->m.self, f->theta);
        f->theta_ready = 1;
    }
    f->t++;
    const double b1 = f->o.beta1, b2 = f->o.beta2, eps = f->o.adam_eps;
    const double c1 = 1.0 - pow(b1, (double)f->t), c2 = 1.0 - pow(b2, (double)f->t);
    const double lr = f->o.lr, inv = 1.0 / obs;
    if (f->m.ops->ess_float) {
        /* The same step in float32 on the model's live parameters: one pass, each entry
         * on its own (the same bits however the entries are split among threads). */
        float *w = f->m.ops->params_f32(f->m.self);
        const float *g = (const float *)(const void *)f->s_tmp;
        float *mf = f->adam_mf, *vf = f->adam_vf;
        const float fb1 = (float)b1, fb2 = (float)b2, a1 = (float)(1.0 - b1),
                    a2 = (float)(1.0 - b2), step = (float)(lr / c1), ic2 = (float)(1.0 / c2),
                    feps = (float)eps, finv = (float)inv;
        const long nch = (long)((len + 16383) / 16384);
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(f->nthreads) if (len >= 65536)
#endif
        for (long ch = 0; ch < nch; ch++) {
            const size_t i1 = vem__min((size_t)ch * 16384 + 16384, len);
            const unsigned mode = vem__ftz_on(); /* g^2 reaches subnormals */
            for (size_t i = (size_t)ch * 16384; i < i1; i++) {
                const float gi = g[i] * finv;
                mf[i] = fb1 * mf[i] + a1 * gi;
                vf[i] = fb2 * vf[i] + a2 * gi * gi;
                w[i] += step * mf[i] / (sqrtf(vf[i] * ic2) + feps);
            }
            vem__ftz_restore(mode);
        }
        f->theta_ready = 1;
        f->n_steps++;
        f->s_ready = 1;
        return step_trace(f, obj, acc);
    }
    double *m = f->adam_m, *v = f->adam_v, *th = f->theta;
    const double *g = f->s_tmp;
    for (size_t i = 0; i < len; i++) {
        double gi = g[i] * inv;
        m[i] = b1 * m[i] + (1.0 - b1) * gi;
        v[i] = b2 * v[i] + (1.0 - b2) * gi * gi;
        th[i] += lr * (m[i] / c1) / (sqrt(v[i] / c2) + eps);
    }
    f->n_steps++;
    f->s_ready = 1;
    int old = model_threads(f);
    vem_status st = f->m.ops->params_set(f->m.self, th);
    model_threads_restore(old);
    if (st != VEM_OK)
        return st;
    return step_trace(f, obj, acc);
}

/* One stepwise update from the ESS of a minibatch of obs observations (f->s_tmp). */
static vem_status stepwise_update(vem_fit *f, double obs, double obj, pass_acc *acc)
{
    const size_t len = f->ess_len;
    if (f->o.algorithm == VEM_ALG_ADAM)
        return adam_update(f, obs, obj, acc);
    if (!(obs > 0.0))
        return VEM_OK; /* an empty minibatch on every process: nothing to learn */
    double scale = f->n_obs_all / obs;
    double gamma = step_size(f);
    for (size_t i = 0; i < len; i++)
        f->s_acc[i] = (1.0 - gamma) * f->s_acc[i] + gamma * scale * f->s_tmp[i];
    f->s_ready = 1;
    if (f->s_from_params || f->t >= f->o.warmup) {
        vem_status st = mstep(f, f->s_acc);
        if (st != VEM_OK)
            return st;
    }
    return step_trace(f, obj, acc);
}

/* S = sp_c s over the rows: fold the scale in (c = 1) and recompute the column sums. */
static void sparse_fold(vem_fit *f)
{
    const size_t nr = f->sp_nrows, rl = f->sp_rowlen;
    double *sa = f->s_acc, *cs = f->sp_colsum;
    if (f->sp_c != 1.0)
        for (size_t i = 0; i < nr * rl; i++)
            sa[i] *= f->sp_c;
    f->sp_c = 1.0;
    for (size_t j = 0; j < rl; j++)
        cs[j] = 0.0;
    for (size_t r = 0; r < nr; r++)
        for (size_t j = 0; j < rl; j++)
            cs[j] += sa[r * rl + j];
}

/*
 * Sparse steps over a communicator: the rows every process's minibatch adds to,
 * gathered to process 0, merged in process order and broadcast, replace this
 * process's in f->sp_union (*nu of them), so that every process prepares and
 * updates the same rows.
 */
static vem_status union_over_processes(vem_fit *f, size_t *nu)
{
    const vem_comm *c = f->o.comm;
    double *buf = f->s_tmp; /* >= n_rows doubles; under a communicator only a packing room */
    for (size_t i = 0; i < *nu; i++)
        buf[i] = (double)f->sp_union[i];
    double *all = NULL, count = 0.0;
    size_t got = 0;
    vem_status st = c->gather(buf, *nu, &all, &got, c->ctx);
    if (st == VEM_OK && c->rank == 0) {
        unsigned char *seen = f->sp_seen;
        size_t n = 0;
        for (size_t i = 0; i < got; i++) {
            const uint32_t r = (uint32_t)all[i];
            if (!seen[r]) {
                seen[r] = 1;
                buf[n++] = all[i];
            }
        }
        for (size_t i = 0; i < n; i++)
            seen[(uint32_t)buf[i]] = 0;
        count = (double)n;
    }
    free(all);
    if (st == VEM_OK)
        st = c->broadcast(&count, 1, c->ctx);
    if (st == VEM_OK)
        st = c->broadcast(buf, (size_t)count, c->ctx);
    if (st != VEM_OK)
        return st;
    *nu = (size_t)count;
    for (size_t i = 0; i < *nu; i++)
        f->sp_union[i] = (uint32_t)buf[i];
    return VEM_OK;
}

/*
 * Sparse steps over a communicator: the minibatch's statistics of the union's
 * rows (in s_tmp), the tail, the objective and the observations summed over
 * the processes in one reduction of nu row_len + tail + 2 doubles, instead of
 * the whole ESS.
 */
static vem_status sum_union_rows(vem_fit *f, size_t nu, double *obj, double *obs)
{
    const size_t rl = f->sp_rowlen, tail0 = f->sp_nrows * rl, tail = f->ess_len - tail0;
    double *buf = f->s_tmp, *red = f->slot_ess; /* the sums are in slot 0 */
    for (size_t i = 0; i < nu; i++)
        memcpy(buf + i * rl, red + (size_t)f->sp_union[i] * rl, rl * sizeof *buf);
    memcpy(buf + nu * rl, red + tail0, tail * sizeof *buf);
    buf[nu * rl + tail] = *obj;
    buf[nu * rl + tail + 1] = *obs;
    vem_status st = f->o.comm->reduce(buf, nu * rl + tail + 2, f->o.comm->ctx);
    if (st != VEM_OK)
        return st;
    for (size_t i = 0; i < nu; i++)
        memcpy(red + (size_t)f->sp_union[i] * rl, buf + i * rl, rl * sizeof *buf);
    memcpy(red + tail0, buf + nu * rl, tail * sizeof *buf);
    *obj = buf[nu * rl + tail];
    *obs = buf[nu * rl + tail + 1];
    return VEM_OK;
}

/*
 * One sparse stepwise step on units [b0, b1) of x (vem_model_ops.sparse_*): each
 * slot's rows, their union, the model readied for them, the E-step into slot
 * buffers that are zero outside those rows, the rows summed in slot order (and
 * zeroed again), then S = (1 - gamma) S + gamma scale s_batch as
 *     c' = (1 - gamma) c,   s += (gamma scale / c') s_batch on the rows only,
 * the tail exact, and the model's M-step told which rows changed. Under a
 * communicator the rows are every process's (union_over_processes, sum_union_rows).
 */
static vem_status sparse_update(vem_fit *f, const double *red, size_t nu, double obj,
                                double obs, pass_acc *acc);

static vem_status sparse_step(vem_fit *f, const vem_data *x, size_t b0, size_t b1,
                              pass_acc *acc)
{
    const vem_model m = f->m;
    vem_status st = reserve(f, &m);
    if (st != VEM_OK)
        return st;
    const size_t nr = f->sp_nrows, rl = f->sp_rowlen, len = f->ess_len, cap = f->slot_cap;
    const size_t tail0 = nr * rl, n = b1 - b0;
    if (!f->sp_clean) {
        memset(f->slot_ess, 0, f->max_slots * cap * sizeof *f->slot_ess);
        f->sp_clean = 1;
    }
    const size_t ns = slots_for(f, n);
#ifdef _OPENMP
    int nthreads = f->nthreads < (int)ns ? f->nthreads : (int)ns;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nthreads)
#endif
    for (long sl = 0; sl < (long)ns; sl++) {
        size_t sidx = (size_t)sl, tid = thread_id(), s_lo, s_hi;
        slot_range(b0, n, ns, sidx, &s_lo, &s_hi);
        f->sp_slot_n[sidx] = m.ops->sparse_rows(m.self, x, s_lo, s_hi,
                                                f->sp_slot_rows + sidx * nr,
                                                f->sp_seen + (tid + 1) * nr);
    }
    /* The union, in slot order. */
    size_t nu = 0;
    unsigned char *seen = f->sp_seen;
    for (size_t sidx = 0; sidx < ns; sidx++) {
        const uint32_t *rows = f->sp_slot_rows + sidx * nr;
        for (size_t i = 0; i < f->sp_slot_n[sidx]; i++)
            if (!seen[rows[i]]) {
                seen[rows[i]] = 1;
                f->sp_union[nu++] = rows[i];
            }
    }
    for (size_t i = 0; i < nu; i++)
        seen[f->sp_union[i]] = 0;
    if (f->o.comm && (st = union_over_processes(f, &nu)) != VEM_OK)
        return st;
    int old = model_threads(f);
    st = m.ops->sparse_prepare(m.self, f->s_acc, f->sp_colsum, f->sp_c, f->sp_union, nu);
    model_threads_restore(old);
    if (st != VEM_OK)
        return st;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) num_threads(nthreads)
#endif
    for (long sl = 0; sl < (long)ns; sl++) {
        size_t sidx = (size_t)sl, tid = thread_id(), s_lo, s_hi;
        slot_range(b0, n, ns, sidx, &s_lo, &s_hi);
        double *sess = f->slot_ess + sidx * cap;
        double *scratch = f->scratch ? f->scratch + tid * f->scratch_cap : NULL;
        double obj = 0.0;
        for (size_t u0 = s_lo, u1; u0 < s_hi; u0 = u1) {
            u1 = call_end(f, x, u0, s_hi);
            obj += m.ops->estep(m.self, x, u0, u1, sess, scratch);
        }
        f->slot_obj[sidx] = obj;
    }
    /* Sum the rows and the tail in slot order into slot 0 (its own rows are there; the
     * union's others are zero), zeroing the other slots again; slot 0 after the update. */
    double *red = f->slot_ess;
    double obj = f->slot_obj[0];
    for (size_t sidx = 1; sidx < ns; sidx++) {
        double *sess = f->slot_ess + sidx * cap;
        const uint32_t *rows = f->sp_slot_rows + sidx * nr;
        for (size_t i = 0; i < f->sp_slot_n[sidx]; i++) {
            double *src = sess + (size_t)rows[i] * rl, *dst = red + (size_t)rows[i] * rl;
            for (size_t j = 0; j < rl; j++)
                dst[j] += src[j];
            memset(src, 0, rl * sizeof *src);
        }
        for (size_t i = tail0; i < len; i++)
            red[i] += sess[i];
        memset(sess + tail0, 0, (len - tail0) * sizeof *sess);
        obj += f->slot_obj[sidx];
    }
    double obs = range_obs(f, n);
    if (f->o.comm)
        st = sum_union_rows(f, nu, &obj, &obs);
    if (st == VEM_OK && obs > 0.0)
        st = sparse_update(f, red, nu, obj, obs, acc);
    /* Slot 0 zero again outside what the next step writes. */
    for (size_t i = 0; i < nu; i++)
        memset(red + (size_t)f->sp_union[i] * rl, 0, rl * sizeof *red);
    memset(red + tail0, 0, (len - tail0) * sizeof *red);
    return st;
}

/* S = (1 - gamma) S + gamma scale s_batch on the union's rows (the minibatch's sums in
 * red, obs observations), then the M-step for those rows (sparse_step). */
static vem_status sparse_update(vem_fit *f, const double *red, size_t nu, double obj,
                                double obs, pass_acc *acc)
{
    const vem_model m = f->m;
    const size_t rl = f->sp_rowlen, tail0 = f->sp_nrows * rl, len = f->ess_len;
    vem_status st;
    int old;
    const double scale = f->n_obs_all / obs, gamma = step_size(f);
    double *sa = f->s_acc, *cs = f->sp_colsum;
    if (gamma >= 1.0) { /* S replaced by this minibatch's statistics */
        memset(sa, 0, tail0 * sizeof *sa);
        for (size_t i = 0; i < nu; i++) {
            const size_t o = (size_t)f->sp_union[i] * rl;
            for (size_t j = 0; j < rl; j++)
                sa[o + j] = scale * red[o + j];
        }
        f->sp_c = 1.0;
        for (size_t i = tail0; i < len; i++)
            sa[i] = scale * red[i];
        sparse_fold(f);
    } else {
        const double c1 = (1.0 - gamma) * f->sp_c, g = gamma * scale / c1;
        for (size_t i = 0; i < nu; i++) {
            const size_t o = (size_t)f->sp_union[i] * rl;
            for (size_t j = 0; j < rl; j++) {
                const double d = g * red[o + j];
                sa[o + j] += d;
                cs[j] += d;
            }
        }
        for (size_t i = tail0; i < len; i++)
            sa[i] = (1.0 - gamma) * sa[i] + gamma * scale * red[i];
        f->sp_c = c1;
        if (c1 < 1e-100) /* s grows as 1/c: fold before it could overflow */
            sparse_fold(f);
    }
    f->s_ready = 1;
    if (f->s_from_params || f->t >= f->o.warmup) {
        f->n_steps++;
        old = model_threads(f);
        st = m.ops->sparse_mstep(m.self, f->s_acc, f->sp_colsum, f->sp_c, f->sp_union, nu);
        model_threads_restore(old);
        if (st != VEM_OK)
            return st;
    }
    return step_trace(f, obj, acc);
}

/* End of a sparse pass: S folded to c = 1 and every row of the model refreshed. */
static vem_status sparse_refresh(vem_fit *f)
{
    sparse_fold(f);
    int old = model_threads(f);
    vem_status st = f->m.ops->sparse_mstep(f->m.self, f->s_acc, f->sp_colsum, 1.0, NULL, 0);
    model_threads_restore(old);
    return st;
}

/* A minibatch's E-step; a gradient model first draws the minibatch's noise key. */
static vem_status minibatch(vem_fit *f, const vem_data *x, size_t lo, size_t hi, double *obj,
                            double *obs)
{
    if (f->o.algorithm == VEM_ALG_ADAM && f->m.ops->noise_key)
        f->m.ops->noise_key(f->m.self, vem_rng_next(&f->rng), 0);
    return run_range(f, &f->m, x, lo, hi, f->s_tmp, obj, obs);
}

static vem_status stepwise_pass(vem_fit *f, double *objective)
{
    if (!f->s_ready && f->m.ops->ess_from_params && f->o.algorithm == VEM_ALG_STEPWISE) {
        f->m.ops->ess_from_params(f->m.self, f->s_acc);
        f->s_ready = 1;
        f->s_from_params = 1;
        if (f->sparse) {
            f->sp_c = 1.0;
            sparse_fold(f);
        }
    } else if (!f->s_ready && f->sparse) {
        f->sp_c = 1.0;
    }
    const size_t n = f->n_units, cols = f->x.x.cols;
    const size_t bs = vem__max(vem__min(f->o.batch_size, n), 1);
    pass_acc acc = {0.0, 0};
    vem_status st = VEM_OK;
    double obj, obs;
    if (f->src && vem_source_unit_kind(f->src) == VEM_UNITS_ROWS) {
        /* Out of core: chunks of shuffle_rows rows in a shuffled order, each
         * read whole, its rows shuffled, then cut into minibatches. */
        const size_t cr = vem__min(f->o.shuffle_rows, n), nchunks = (n + cr - 1) / cr;
        size_t *order = vem__calloc(nchunks, sizeof *order);
        if (!order)
            return VEM_FAIL(VEM_ENOMEM, "stepwise EM: chunk order");
        for (size_t i = 0; i < nchunks; i++)
            order[i] = i;
        shuffle(&f->rng, order, nchunks);
        for (size_t c = 0; c < nchunks && st == VEM_OK; c++) {
            size_t r0 = order[c] * cr, rows = vem__min(cr, n - r0);
            st = vem_source_read(f->src, r0, rows, f->mb);
            if (st != VEM_OK)
                break;
            shuffle_rows(&f->rng, f->mb, rows, cols);
            vem_data view = vem_data_rows(vem_matrix_view(f->mb, rows, cols));
            for (size_t b0 = 0; b0 < rows && st == VEM_OK; b0 += bs) {
                size_t b1 = vem__min(b0 + bs, rows);
                st = minibatch(f, &view, b0, b1, &obj, &obs);
                if (st == VEM_OK)
                    st = stepwise_update(f, obs, obj, &acc);
            }
        }
        vem__free(order);
    } else if (!f->src && !f->x.seq_start && !f->x.docs) {
        /* Rows in memory: every row in a new random order each pass, cut into
         * minibatches of bs rows, or into exactly n_batches near-equal ones. */
        for (size_t i = 0; i < n; i++)
            f->perm[i] = i;
        shuffle(&f->rng, f->perm, n);
        const vem_matrix *x = &f->x.x;
        const size_t nb = f->n_batches ? f->n_batches : (n + bs - 1) / bs;
        for (size_t j = 0; j < nb && st == VEM_OK; j++) {
            size_t b0 = f->n_batches ? j * n / nb : j * bs;
            size_t b1 = f->n_batches ? (j + 1) * n / nb : vem__min(b0 + bs, n);
            for (size_t i = b0; i < b1; i++)
                memcpy(f->mb + (i - b0) * cols, x->data + f->perm[i] * x->ld,
                       cols * sizeof *f->mb);
            vem_data view = vem_data_rows(vem_matrix_view(f->mb, b1 - b0, cols));
            st = minibatch(f, &view, 0, b1 - b0, &obj, &obs);
            if (st == VEM_OK)
                st = stepwise_update(f, obs, obj, &acc);
        }
    } else {
        /* Sequences or documents: runs of batch_size units (or n_batches near-equal
         * runs) in a shuffled order; from a source each run is read whole first (the
         * same E-step calls, call_end being a function of the units' sizes). */
        size_t nb = f->n_batches ? f->n_batches : (n + bs - 1) / bs;
        for (size_t i = 0; i < nb; i++)
            f->perm[i] = i;
        shuffle(&f->rng, f->perm, nb);
        for (size_t i = 0; i < nb && st == VEM_OK; i++) {
            size_t j = f->perm[i];
            size_t b0 = f->n_batches ? j * n / nb : j * bs;
            size_t b1 = f->n_batches ? (j + 1) * n / nb : vem__min(b0 + bs, n);
            const vem_data *x = &f->x;
            vem_data view;
            if (f->src) {
                if ((st = vem__source_read_units(f->src, b0, b1, &f->mbuf, &view)) != VEM_OK)
                    break;
                x = &view;
                b1 -= b0;
                b0 = 0;
            }
            if (f->sparse) {
                st = sparse_step(f, x, b0, b1, &acc);
                continue;
            }
            st = minibatch(f, x, b0, b1, &obj, &obs);
            if (st == VEM_OK)
                st = stepwise_update(f, obs, obj, &acc);
        }
        if (st == VEM_OK && f->sparse && f->s_ready && (f->s_from_params || f->t >= f->o.warmup))
            st = sparse_refresh(f);
    }
    if (st != VEM_OK)
        return st;
    *objective = acc.objective + extra(f);
    return VEM_OK;
}

/* Block b's unit range; blocks may be empty when there are fewer units than
 * blocks (a process of a distributed fit still takes part in every block). */
static void block_range(const vem_fit *f, size_t b, size_t nb, size_t *lo, size_t *hi)
{
    size_t q = f->n_units / nb, r = f->n_units % nb;
    *lo = b * q + (b < r ? b : r);
    *hi = *lo + q + (b < r ? 1 : 0);
}

/* S = sum of the blocks' ESS, in block order. */
static void sum_blocks(vem_fit *f, size_t nb)
{
    const size_t len = f->ess_len;
    memcpy(f->s_acc, f->blocks, len * sizeof *f->s_acc);
    for (size_t b = 1; b < nb; b++)
        for (size_t i = 0; i < len; i++)
            f->s_acc[i] += f->blocks[b * len + i];
}

/* Free energy after an M-step: E_q log p(X, Z | theta) through S, plus the entropies. */
static double free_energy(const vem_fit *f, size_t nb)
{
    double h = 0.0;
    for (size_t b = 0; b < nb; b++)
        h += f->block_h[b];
    return f->m.ops->ess_objective(f->m.self, f->s_acc) + h + extra(f);
}

static vem_status incremental_pass(vem_fit *f, double *objective, int *violation)
{
    const size_t len = f->ess_len, nb = f->o.n_blocks;
    const int has_q = f->m.ops->ess_objective != NULL;
    const vem_data *x = pass_data(f);
    vem_status st;
    double obj, sum = 0.0;
    *violation = 0;
    if (!f->s_ready) {
        /* First pass: every block's ESS at the initial parameters, one M-step. */
        for (size_t b = 0; b < nb; b++) {
            size_t lo, hi;
            block_range(f, b, nb, &lo, &hi);
            st = run_range(f, &f->m, x, lo, hi, f->blocks + b * len, &obj, NULL);
            if (st != VEM_OK)
                return st;
            if (has_q)
                f->block_h[b] = obj - f->m.ops->ess_objective(f->m.self, f->blocks + b * len);
            sum += obj;
        }
        sum_blocks(f, nb);
        f->s_ready = 1;
        st = mstep(f, f->s_acc);
        if (st != VEM_OK)
            return st;
        *objective = has_q ? free_energy(f, nb) : sum + extra(f);
        return VEM_OK;
    }
    double fe = has_q ? free_energy(f, nb) : 0.0;
    for (size_t b = 0; b < nb; b++) {
        size_t lo, hi;
        block_range(f, b, nb, &lo, &hi);
        st = run_range(f, &f->m, x, lo, hi, f->s_tmp, &obj, NULL);
        if (st != VEM_OK)
            return st;
        if (has_q)
            f->block_h[b] = obj - f->m.ops->ess_objective(f->m.self, f->s_tmp);
        memcpy(f->blocks + b * len, f->s_tmp, len * sizeof *f->s_tmp);
        sum_blocks(f, nb);
        sum += obj;
        st = mstep(f, f->s_acc);
        if (st != VEM_OK)
            return st;
        double step_obj = sum;
        if (has_q) {
            /* The E-step on block b and the M-step each raise F (Neal & Hinton 1998). */
            double fe_new = free_energy(f, nb);
            int v = decreased(f, fe, fe_new);
            *violation |= v;
            f->n_violations += (size_t)v;
            fe = fe_new;
            step_obj = fe;
        }
        if (f->o.trace_steps) {
            vem_trace_entry e = {.iter = f->iter + 1,
                                 .step = b + 1,
                                 .objective = step_obj,
                                 .seconds = vem__now() - f->t0};
            st = trace_push(f, &e);
            if (st != VEM_OK)
                return st;
        }
    }
    *objective = has_q ? fe : sum + extra(f);
    return VEM_OK;
}

/* The units of the processes before this one, holding n units each (0: one process). */
static vem_status units_before(const vem_fit *f, size_t n, uint64_t *first)
{
    const vem_comm *c = f->o.comm;
    *first = 0;
    if (!c || c->size <= 1)
        return VEM_OK;
    double *all = vem__alloc_doubles((size_t)c->size, 1);
    if (!all)
        return VEM_FAIL(VEM_ENOMEM, "units of %d processes", c->size);
    all[c->rank] = (double)n;
    vem_status st = c->reduce(all, (size_t)c->size, c->ctx);
    for (int r = 0; st == VEM_OK && r < c->rank; r++)
        *first += (uint64_t)all[r];
    vem__free(all);
    return st;
}

/*
 * The objective of the current parameters on the validation data (noise key 0), into
 * *objective; keeps the best pass's parameters. *stop when patience passes went by
 * without a better one.
 */
static vem_status validate(vem_fit *f, double *objective, int *stop)
{
    const vem_data *v = f->o.validation;
    const size_t n = f->m.ops->n_units(f->m.self, v);
    const size_t plen = f->m.ops->params_len ? f->m.ops->params_len(f->m.self) : 0;
    *stop = 0;
    double *ess = f->s_tmp ? f->s_tmp : f->ess;
    if (!ess && !(ess = f->ess = vem__alloc_doubles(f->ess_len ? f->ess_len : 1, 1)))
        return VEM_FAIL(VEM_ENOMEM, "ESS: %zu doubles", f->ess_len);
    uint64_t first = 0;
    if (f->m.ops->noise_key) {
        vem_status pst = units_before(f, n, &first);
        if (pst != VEM_OK)
            return pst;
        f->m.ops->noise_key(f->m.self, 0, first);
    }
    f->objective_only = 1;
    vem_status st = run_range(f, &f->m, v, 0, n, ess, objective, NULL);
    f->objective_only = 0;
    if (st != VEM_OK)
        return st;
    *objective += extra(f);
    if (!isfinite(*objective))
        return VEM_FAIL(VEM_ENUMERIC, "%s: validation objective is %g after pass %zu",
                        f->m.ops->name, *objective, f->iter + 1);
    if (!f->m.ops->params_get)
        return VEM_OK;
    if (!f->val_best && !(f->val_best = vem__alloc_doubles(plen ? plen : 1, 1)))
        return VEM_FAIL(VEM_ENOMEM, "validation: %zu parameters", plen);
    if (!f->val_best_iter || *objective > f->val_best_obj) {
        f->val_best_obj = *objective;
        f->val_best_iter = f->iter + 1;
        f->m.ops->params_get(f->m.self, f->val_best);
    } else if (f->o.patience && f->iter + 1 - f->val_best_iter >= f->o.patience) {
        *stop = 1;
    }
    return VEM_OK;
}


/* ------------------------------------------------- Monte-Carlo EM */

/* The standard normal quantile of p in (0, 1) (Abramowitz & Stegun 26.2.23, |error| <
 * 4.5e-4): enough for a test's threshold. */
static double normal_quantile(double p)
{
    const double q = p < 0.5 ? p : 1.0 - p, t = sqrt(-2.0 * log(q));
    const double z = t - (2.515517 + t * (0.802853 + t * 0.010328)) /
                             (1.0 + t * (1.432788 + t * (0.189269 + t * 0.001308)));
    return p < 0.5 ? -z : z;
}

/* The chi-square quantile of probability p with k degrees of freedom (Wilson & Hilferty
 * 1931: (X / k)^(1/3) is about normal with mean 1 - 2 / (9k) and variance 2 / (9k)). */
static double chi2_quantile(double p, double k)
{
    const double v = 2.0 / (9.0 * k), c = 1.0 - v + normal_quantile(p) * sqrt(v);
    return c > 0.0 ? k * c * c * c : 0.0;
}

/* m rounded up to a multiple of the groups g, within [g, cap rounded down]. */
static size_t mc_round(size_t m, size_t g, size_t cap)
{
    size_t top = vem__max(cap / g * g, g);
    m = (m + g - 1) / g * g;
    return vem__max(vem__min(m, top), g);
}

static size_t mc_groups_of(const vem_fit *f)
{
    return f->o.algorithm == VEM_ALG_MCEM && f->o.mc_schedule == VEM_MC_AUTO ? f->o.mc_groups
                                                                               : 1;
}

/* The Monte-Carlo buffers, once per fit. */
static vem_status mc_alloc(vem_fit *f)
{
    const vem_model_ops *ops = f->m.ops;
    if (!ops->estep_mc)
        return VEM_FAIL(VEM_EUNSUP, "%s has no Monte-Carlo E-step: algorithm %s is not "
                        "available for it", ops->name, vem_algorithm_name(f->o.algorithm));
    if (!ops->params_get || !ops->params_set)
        return VEM_FAIL(VEM_EUNSUP, "%s: %s needs params_get/params_set", ops->name,
                        vem_algorithm_name(f->o.algorithm));
    const size_t g = mc_groups_of(f);
    if (f->mc_ess && f->mc_groups_cap >= g)
        return VEM_OK;
    f->plen = ops->params_len(f->m.self);
    f->mc_slen = ops->state_len ? ops->state_len(f->m.self) : 0;
    mc_free(f);
    f->mc_ess = vem__alloc_doubles(g, f->ess_len + 1);
    f->mc_mean = vem__alloc_doubles(f->ess_len + 1, 1);
    f->mc_theta0 = vem__alloc_doubles(f->plen + 1, 1);
    f->mc_theta1 = vem__alloc_doubles(f->plen + 1, 1);
    f->mc_thetag = vem__alloc_doubles(g, f->plen + 1);
    f->mc_state0 = vem__alloc_doubles(f->mc_slen + 1, 1);
    f->mc_avg = vem__alloc_doubles(f->plen + 1, 1);
    if (!f->mc_ess || !f->mc_mean || !f->mc_theta0 || !f->mc_theta1 || !f->mc_thetag ||
        !f->mc_state0 || !f->mc_avg)
        return VEM_FAIL(VEM_ENOMEM, "Monte-Carlo EM: %zu groups x %zu statistics", g,
                        f->ess_len);
    f->mc_groups_cap = g;
    return VEM_OK;
}

/* The draws per unit of the coming iteration. */
static size_t mc_samples_now(const vem_fit *f)
{
    return f->o.algorithm == VEM_ALG_CEM ? 0 : f->o.algorithm == VEM_ALG_SEM ? 1 : f->mc_m;
}

/* The parameters' largest relative change (Booth & Hobert 1999, with delta_1 = 1e-3). */
static double mc_param_change(const vem_fit *f)
{
    double worst = 0.0;
    for (size_t j = 0; j < f->plen; j++) {
        const double c = fabs(f->mc_theta1[j] - f->mc_theta0[j]) / (fabs(f->mc_theta0[j]) + 1e-3);
        if (!(c <= worst))
            worst = c;
    }
    return worst;
}

/*
 * Booth & Hobert's test with batch-means standard errors: was the step from theta0 to
 * theta1 within the Monte-Carlo error of theta1? The groups' updates theta_g are in
 * mc_thetag.
 */
static int mc_swamped(const vem_fit *f, size_t g)
{
    double t = 0.0;
    size_t p = 0;
    for (size_t j = 0; j < f->plen; j++) {
        double mean = 0.0, ss = 0.0;
        for (size_t q = 0; q < g; q++)
            mean += f->mc_thetag[q * f->plen + j];
        mean /= (double)g;
        for (size_t q = 0; q < g; q++) {
            const double e = f->mc_thetag[q * f->plen + j] - mean;
            ss += e * e;
        }
        const double var = ss / ((double)g - 1.0) / (double)g;
        const double dj = f->mc_theta1[j] - f->mc_theta0[j];
        if (!(var > 0.0) || !isfinite(var))
            continue;
        t += dj * dj / var;
        p++;
    }
    return p > 0 && t < chi2_quantile(1.0 - f->o.mc_alpha, (double)p);
}

/* The standard deviation of the objective's last (up to) w changes, with obj the newest
 * objective: 0 until two changes exist. */
static double mc_noise(const vem_fit *f, double obj, size_t w)
{
    double ch[64];
    size_t n = 0;
    double next = obj;
    for (size_t i = f->trace_len; i-- > 0 && n < vem__min(w, 64);) {
        if (f->trace[i].step)
            continue;
        ch[n++] = next - f->trace[i].objective;
        next = f->trace[i].objective;
    }
    if (n < 2)
        return 0.0;
    double mean = 0.0, ss = 0.0;
    for (size_t i = 0; i < n; i++)
        mean += ch[i];
    mean /= (double)n;
    for (size_t i = 0; i < n; i++)
        ss += (ch[i] - mean) * (ch[i] - mean);
    return sqrt(ss / (double)(n - 1));
}

/* The mean objective of trace entries [i0, i1) (iteration entries), obj standing for
 * entry trace_len (the current one). */
static double mc_window_mean(const vem_fit *f, double obj, size_t i0, size_t i1)
{
    double sum = 0.0;
    for (size_t i = i0; i < i1; i++)
        sum += i == f->trace_len ? obj : f->trace[i].objective;
    return sum / (double)(i1 - i0);
}

/*
 * One Monte-Carlo iteration: the draws' E-step (objective of the parameters entering it
 * into *objective), the M-step on the groups' mean, and with the automatic schedule the
 * groups' M-steps and the swamping test; the schedule's next m; the parameter rule's
 * change into *change; the running average.
 */
static vem_status mc_iteration(vem_fit *f, double *objective, double *change)
{
    vem_status st = mc_alloc(f);
    if (st != VEM_OK)
        return st;
    const vem_model_ops *ops = f->m.ops;
    const size_t len = f->ess_len, g = mc_groups_of(f);
    vem_mc_draw draw = {.key = vem_rng_next(&f->rng),
                        .first = f->unit_first,
                        .samples = mc_samples_now(f),
                        .groups = g};
    f->mc_cur = &draw;
    st = run_range(f, &f->m, pass_data(f), 0, f->n_units, f->mc_ess, objective, NULL);
    f->mc_cur = NULL;
    if (st != VEM_OK)
        return st;
    *objective += extra(f);
    if (!isfinite(*objective))
        return VEM_FAIL(VEM_ENUMERIC, "%s: objective is %g at iteration %zu", ops->name,
                        *objective, f->iter + 1);
    const double *ess = f->mc_ess;
    if (g > 1) {
        for (size_t i = 0; i < len; i++) {
            double sum = 0.0;
            for (size_t q = 0; q < g; q++)
                sum += f->mc_ess[q * len + i];
            f->mc_mean[i] = sum / (double)g;
        }
        ess = f->mc_mean;
    }
    ops->params_get(f->m.self, f->mc_theta0);
    if (f->mc_slen)
        ops->state_get(f->m.self, f->mc_state0);
    if (g > 1) {
        /* Each group's update, from the same parameters and state. */
        for (size_t q = 0; q < g; q++) {
            int old = model_threads(f);
            st = ops->mstep(f->m.self, f->mc_ess + q * len);
            model_threads_restore(old);
            if (st != VEM_OK)
                return VEM_FAIL(st, "%s: the M-step of Monte-Carlo group %zu of %zu failed (%s); "
                                "more draws per unit (mc_samples) may help",
                                ops->name, q + 1, g, vem_errmsg());
            ops->params_get(f->m.self, f->mc_thetag + q * f->plen);
            if ((st = ops->params_set(f->m.self, f->mc_theta0)) != VEM_OK)
                return st;
            if (f->mc_slen && (st = ops->state_set(f->m.self, f->mc_state0)) != VEM_OK)
                return st;
        }
    }
    if ((st = mstep(f, ess)) != VEM_OK)
        return st;
    ops->params_get(f->m.self, f->mc_theta1);
    *change = mc_param_change(f);
    if (f->o.algorithm == VEM_ALG_MCEM) {
        const size_t cap = f->o.mc_max_samples;
        if (f->o.mc_schedule == VEM_MC_GEOMETRIC) {
            const double next = ceil((double)f->o.mc_samples * pow(f->o.mc_growth,
                                                                    (double)(f->iter + 1)));
            f->mc_m = next >= (double)cap ? cap : (size_t)next;
        } else if (f->o.mc_schedule == VEM_MC_AUTO && mc_swamped(f, g)) {
            f->mc_m = mc_round(f->mc_m + f->mc_m / 3, g, cap);
        }
    }
    if (f->o.mc_average_from && f->o.algorithm != VEM_ALG_CEM &&
        f->iter + 1 >= f->o.mc_average_from) {
        if (f->mc_navg == 0)
            memset(f->mc_avg, 0, f->plen * sizeof *f->mc_avg);
        for (size_t j = 0; j < f->plen; j++)
            f->mc_avg[j] += f->mc_theta1[j];
        f->mc_navg++;
    }
    return VEM_OK;
}

vem_status vem_fit_step(vem_fit *f)
{
    f->counting = 1;
    if (f->converged)
        return VEM_OK;
    if (f->iter >= f->o.max_iter)
        return VEM_EMAXITER;
    if ((f->o.algorithm == VEM_ALG_ADAM) != (f->m.ops->gradient != 0))
        return VEM_FAIL(VEM_EINVAL, f->m.ops->gradient
                                        ? "%s is fitted by stochastic gradients: algorithm adam"
                                        : "%s is not a gradient model: algorithm adam fits "
                                          "gradient models (vae, blogr)",
                        f->m.ops->name);
    if (f->o.algorithm == VEM_ALG_ADAM && (!f->m.ops->params_get || !f->m.ops->params_set ||
                                           f->m.ops->params_len(f->m.self) != f->ess_len))
        return VEM_FAIL(VEM_EINVAL, "%s: a gradient model's ESS are its parameters' gradient",
                        f->m.ops->name);
    if (f->m.ops->ess_float && (!f->m.ops->gradient || !f->m.ops->params_f32))
        return VEM_FAIL(VEM_EINVAL, "%s: float ESS are for gradient models with params_f32",
                        f->m.ops->name);
    if (f->o.algorithm == VEM_ALG_LBFGS || (f->o.algorithm == VEM_ALG_EM_LBFGS && f->lbfgs_on)) {
        if (f->user.checkpoint || f->user.resume)
            return VEM_FAIL(VEM_EUNSUP, "%s: L-BFGS fits are not checkpointed (liblbfgs keeps "
                            "its curvature pairs to itself)", f->m.ops->name);
        return lbfgs_run(f);
    }
    vem_status st;
    double obj, vobj = NAN, pchange = NAN;
    int violation = 0, early = 0;
    const int mc = is_mc(f->o.algorithm);
    const size_t m_now = mc ? mc_samples_now(f) : 0;
    if (mc) {
        st = mc_iteration(f, &obj, &pchange);
        if (st != VEM_OK)
            return st;
        /* CEM is monotone in the classification log-likelihood; MCEM and SEM may drop by
         * chance, by no more than the Monte-Carlo noise seen so far (fit.h). */
        const double noise = f->o.algorithm == VEM_ALG_CEM ? 0.0 : 3.0 * mc_noise(f, obj,
                                                                             f->o.mc_window);
        violation = f->have_prev && decreased(f, f->prev, obj + noise);
        f->n_violations += (size_t)violation;
    } else if (f->o.algorithm == VEM_ALG_BATCH && f->o.accelerate == VEM_ACCEL_SQUAREM) {
        st = squarem_cycle(f, &obj);
        if (st != VEM_OK)
            return st;
        violation = f->have_prev && decreased(f, f->prev, obj);
        f->n_violations += (size_t)violation;
    } else if (f->o.algorithm == VEM_ALG_BATCH || f->o.algorithm == VEM_ALG_EM_LBFGS) {
        st = evaluate(f, &obj, 0);
        if (st != VEM_OK)
            return st;
        violation = f->have_prev && decreased(f, f->prev, obj);
        f->n_violations += (size_t)violation;
        st = mstep(f, f->ess);
    } else {
        st = online_alloc(f);
        if (st != VEM_OK)
            return st;
        if (f->o.algorithm == VEM_ALG_INCREMENTAL)
            st = incremental_pass(f, &obj, &violation);
        else
            st = stepwise_pass(f, &obj);
        if (st == VEM_OK && f->o.eval_passes)
            st = evaluate(f, &obj, 0);
        if (st == VEM_OK && f->o.validation)
            st = validate(f, &vobj, &early);
        if (st == VEM_OK && !isfinite(obj))
            st = VEM_FAIL(VEM_ENUMERIC, "%s: objective is %g in pass %zu", f->m.ops->name, obj,
                          f->iter + 1);
    }
    f->iter++;
    vem_trace_entry e = {.iter = f->iter, .objective = obj, .violation = violation,
                         .validation = vobj, .mc_samples = m_now,
                         .passes = f->n_units ? f->units_done / (double)f->n_units : 0.0};
    /* The averaged-objective rule of MCEM and SEM: the means of the last two windows. */
    const size_t w = f->o.mc_window;
    const int windows = mc && f->o.algorithm != VEM_ALG_CEM;
    double wchange = NAN;
    if (windows && f->trace_len + 1 >= 2 * w)
        wchange = mc_window_mean(f, obj, f->trace_len + 1 - w, f->trace_len + 1) -
                  mc_window_mean(f, obj, f->trace_len + 1 - 2 * w, f->trace_len + 1 - w);
    if (st == VEM_OK || f->o.algorithm == VEM_ALG_BATCH) {
        if (f->have_prev)
            e.change = (obj - f->prev) / f->n_obs_all;
        e.seconds = vem__now() - f->t0;
        vem_status tst = trace_push(f, &e);
        if (tst != VEM_OK)
            return tst;
    }
    if (st != VEM_OK)
        return st;
    /* The total rule also stops at the round-off of a sum of n_obs terms, 1e-12 (|L| + N):
     * a change below it is noise (1.2e-5 nats at a million frames). */
    if (f->o.tol_rule == VEM_TOL_PARAMS) {
        /* Booth & Hobert: three iterations in a row below tol (batch EM: its own step). */
        if (!mc && f->m.ops->params_get) {
            if (f->plen == 0 && !f->mc_theta1) {
                f->plen = f->m.ops->params_len(f->m.self);
                if (!(f->mc_theta0 = vem__alloc_doubles(f->plen + 1, 1)) ||
                    !(f->mc_theta1 = vem__alloc_doubles(f->plen + 1, 1)))
                    return VEM_FAIL(VEM_ENOMEM, "parameters: %zu doubles", f->plen);
                f->m.ops->params_get(f->m.self, f->mc_theta1);
                pchange = INFINITY;
            } else {
                memcpy(f->mc_theta0, f->mc_theta1, f->plen * sizeof *f->mc_theta0);
                f->m.ops->params_get(f->m.self, f->mc_theta1);
                pchange = mc_param_change(f);
            }
        }
        f->mc_streak = pchange < f->o.tol ? f->mc_streak + 1 : 0;
        if (f->o.tol > 0.0 && f->mc_streak >= 3)
            f->converged = 1;
    } else if (windows) {
        if (f->o.tol > 0.0 && !isnan(wchange) &&
            (f->o.tol_rule == VEM_TOL_TOTAL
                 ? fabs(wchange) < fmax(f->o.tol, 1e-12 * (fabs(f->prev) + f->n_obs_all))
                 : fabs(wchange) / f->n_obs_all < f->o.tol))
            f->converged = 1;
    } else if (f->have_prev && f->o.tol > 0.0 &&
               (f->o.tol_rule == VEM_TOL_TOTAL
                    ? fabs(obj - f->prev) < fmax(f->o.tol, 1e-12 * (fabs(f->prev) + f->n_obs_all))
                    : fabs(e.change) < f->o.tol)) {
        f->converged = 1;
    }
    /* Early stopping: patience passes without a better validation objective. */
    if (early)
        f->converged = 1;
    /* EM then L-BFGS: hand over once EM's gain ratio stays high (fit.h). */
    if (f->o.algorithm == VEM_ALG_EM_LBFGS && f->have_prev && !f->converged) {
        const double gain = obj - f->prev;
        f->slow = gain > 0.0 && isfinite(f->last_gain) && gain >= f->o.em_switch_rate * f->last_gain
                      ? f->slow + 1
                      : 0;
        f->last_gain = gain;
        if (f->slow >= 2)
            f->lbfgs_on = 1;
    }
    f->prev = obj;
    f->have_prev = 1;
    f->objective = obj;
    if (f->converged)
        return VEM_OK;
    return f->iter >= f->o.max_iter ? VEM_EMAXITER : VEM_CONTINUE;
}

vem_status vem_fit_finish(vem_fit *f)
{
    double obj;
    f->counting = 0;
    /* With validation data the parameters of the best pass are returned. */
    if (f->val_best_iter && f->val_best_iter != f->iter) {
        vem_status vst = f->m.ops->params_set(f->m.self, f->val_best);
        if (vst != VEM_OK)
            return vst;
    }
    /* Polyak-Ruppert: the mean of the parameters after mc_average_from. */
    if (f->mc_navg) {
        for (size_t j = 0; j < f->plen; j++)
            f->mc_theta1[j] = f->mc_avg[j] / (double)f->mc_navg;
        vem_status ast = f->m.ops->params_set(f->m.self, f->mc_theta1);
        if (ast != VEM_OK)
            return ast;
    }
    vem_status st = evaluate(f, &obj, 1);
    if (st != VEM_OK)
        return st;
    /* Batch EM's last M-step must not have lowered the objective either. */
    if (batch_like(f->o.algorithm) && f->have_prev && decreased(f, f->prev, obj)) {
        f->n_violations++;
        if (f->trace_len)
            f->trace[f->trace_len - 1].violation = 1;
    }
    f->objective = obj;
    return VEM_OK;
}

/* ------------------------------------------------------------ init */

/* The model initialised on rows (or frames) as one sequence, in a fit of their own with
 * f's options on one process. */
static vem_status init_on(vem_fit *f, const vem_data *sample, vem_rng *rng)
{
    vem_fit_opts o = f->o;
    o.algorithm = VEM_ALG_BATCH;
    o.comm = NULL;
    o.n_batches = 0;
    vem_fit *sub = vem_fit_new(&f->m, sample, &o);
    vem_status st = sub ? f->m.ops->init(f->m.self, sub, rng) : vem__last_status();
    vem_fit_free(sub);
    return st;
}

/*
 * The initialisation sample, one rule for data in memory, a source and the
 * processes of a distributed fit: of the U units (rows or sequences) of all the
 * data, in process order, holding R rows (or frames), all of them when
 * R <= init_sample, else the m = max(1, U init_sample / R) units i U / m,
 * i < m. Initialising on it is the same wherever the units live.
 */
static size_t sample_size(double units, double rows, size_t init_sample)
{
    if (rows <= (double)init_sample)
        return (size_t)units;
    size_t m = (size_t)(units * (double)init_sample / rows);
    return vem__min(vem__max(m, 1), (size_t)units);
}

/* The sampled units among [off, off + n) of all (m of U), as local indices, into *out. */
static size_t sampled_here(size_t U, size_t m, size_t off, size_t n, size_t *out)
{
    size_t c = 0;
    for (size_t i = (size_t)(((unsigned long long)off * m + U - 1) / U); i < m; i++) {
        size_t g = (size_t)((unsigned long long)i * U / m);
        if (g >= off + n)
            break;
        if (g >= off)
            out[c++] = g - off;
    }
    return c;
}

/* Units u[0 .. m) of data in memory copied into b, as data in *view (rows or sequences). */
static vem_status copy_units(const vem_data *x, const size_t *u, size_t m, vem__unit_buf *b,
                             vem_data *view)
{
    const size_t cols = x->x.cols;
    size_t rows = 0;
    for (size_t i = 0; i < m; i++)
        rows += x->seq_start ? x->seq_start[u[i] + 1] - x->seq_start[u[i]] : 1;
    b->x = vem__alloc_doubles(rows ? rows : 1, cols ? cols : 1);
    b->start = vem__calloc(m + 1, sizeof *b->start);
    if (!b->x || !b->start)
        return VEM_FAIL(VEM_ENOMEM, "initialisation sample: %zu rows", rows);
    size_t at = 0;
    for (size_t i = 0; i < m; i++) {
        const size_t r0 = x->seq_start ? x->seq_start[u[i]] : u[i];
        const size_t len = x->seq_start ? x->seq_start[u[i] + 1] - r0 : 1;
        for (size_t r = 0; r < len; r++)
            memcpy(b->x + (at + r) * cols, x->x.data + (r0 + r) * x->x.ld, cols * sizeof *b->x);
        b->start[i] = at;
        at += len;
    }
    b->start[m] = at;
    *view = vem_data_rows(vem_matrix_view(b->x, at, cols));
    if (x->seq_start) {
        view->seq_start = b->start;
        view->n_seq = m;
    }
    return VEM_OK;
}

/* One process, data in memory: on all of it, or on the sample when it is smaller. */
static vem_status init_local(vem_fit *f, vem_rng *rng)
{
    const size_t n = f->n_units;
    const size_t m = f->x.docs ? n : sample_size((double)n, (double)f->x.x.rows, f->o.init_sample);
    if (m == n)
        return f->m.ops->init(f->m.self, f, rng);
    size_t *u = vem__calloc(m, sizeof *u);
    if (!u)
        return VEM_FAIL(VEM_ENOMEM, "initialisation sample: %zu units", m);
    sampled_here(n, m, 0, n, u);
    vem__unit_buf b;
    memset(&b, 0, sizeof b);
    vem_data sample;
    vem_status st = copy_units(&f->x, u, m, &b, &sample);
    if (st == VEM_OK)
        st = init_on(f, &sample, rng);
    vem__unit_buf_clear(&b);
    vem__free(u);
    return st;
}

/*
 * A distributed fit's initialisation: the processes send their units of the
 * sample (sample_size; each knows its units' place from the gathered counts),
 * rows and, for sequences, lengths, to process 0, which initialises the model
 * on them, in process order: the one-process sample exactly. Its parameters
 * are broadcast and set everywhere.
 */
static vem_status init_distributed(vem_fit *f, vem_rng *rng)
{
    const vem_comm *c = f->o.comm;
    const vem_model *m = &f->m;
    if (!m->ops->params_len || !m->ops->params_get || !m->ops->params_set || !c->broadcast ||
        !c->gather)
        return VEM_FAIL(VEM_EUNSUP, "%s: a distributed initialisation needs params_get/"
                                    "params_set and the communicator's broadcast and gather",
                        m->ops->name);
    const vem_data *x = &f->x;
    const size_t cols = x->x.cols, n = f->n_units, P = (size_t)c->size;
    const size_t plen = m->ops->params_len(m->self);
    double *counts = NULL, *all = NULL, *lens_all = NULL;
    size_t got = 0, got_lens = 0, *u = NULL, mine = 0;
    double *params = vem__alloc_doubles(plen ? plen : 1, 1);
    double *offs = vem__alloc_doubles(P + 1, 1);
    vem__unit_buf b;
    memset(&b, 0, sizeof b);
    vem_data sample;
    double here = (double)n;
    vem_status st = params && offs ? VEM_OK : VEM_FAIL(VEM_ENOMEM, "initialisation sample");
    /* Every process makes the same calls: a failure anywhere is counted first. */
    double bad = st != VEM_OK;
    vem_status cst = c->reduce(&bad, 1, c->ctx);
    if (cst == VEM_OK && bad == 0)
        cst = c->gather(&here, 1, &counts, &got, c->ctx);
    if (cst == VEM_OK && bad == 0 && c->rank == 0)
        for (size_t r = 0; r < P; r++)
            offs[r + 1] = offs[r] + (got == P ? counts[r] : 0.0);
    if (cst == VEM_OK && bad == 0)
        cst = c->broadcast(offs, P + 1, c->ctx);
    if (cst == VEM_OK && bad == 0) {
        const size_t U = (size_t)offs[P], M = sample_size(offs[P], f->rows_all, f->o.init_sample);
        u = vem__calloc(M ? M : 1, sizeof *u);
        if (!u)
            st = VEM_FAIL(VEM_ENOMEM, "initialisation sample: %zu units", M);
        else
            mine = sampled_here(U, M, (size_t)offs[c->rank], n, u);
        if (st == VEM_OK)
            st = f->src ? vem__source_read_list(f->src, u, mine, &b, &sample)
                        : copy_units(x, u, mine, &b, &sample);
        bad = st != VEM_OK;
        cst = c->reduce(&bad, 1, c->ctx);
    }
    if (cst == VEM_OK && bad == 0)
        cst = c->gather(b.x, sample.x.rows * cols, &all, &got, c->ctx);
    if (cst == VEM_OK && bad == 0 && x->seq_start) {
        /* The sequences' lengths, reusing the copy's offsets as their room. */
        double *lens = vem__alloc_doubles(mine ? mine : 1, 1);
        for (size_t i = 0; lens && i < mine; i++)
            lens[i] = (double)(b.start[i + 1] - b.start[i]);
        cst = lens ? c->gather(lens, mine, &lens_all, &got_lens, c->ctx)
                   : VEM_FAIL(VEM_ENOMEM, "initialisation sample");
        vem__free(lens);
    }
    if (cst == VEM_OK && bad == 0) {
        if (c->rank == 0) {
            vem__unit_buf r0;
            memset(&r0, 0, sizeof r0);
            vem_data whole = vem_data_rows(vem_matrix_view(all, cols ? got / cols : 0, cols));
            if (x->seq_start) {
                r0.start = vem__calloc(got_lens + 1, sizeof *r0.start);
                st = r0.start ? VEM_OK : VEM_FAIL(VEM_ENOMEM, "initialisation sample");
                for (size_t i = 0; st == VEM_OK && i < got_lens; i++)
                    r0.start[i + 1] = r0.start[i] + (size_t)lens_all[i];
                whole.seq_start = r0.start;
                whole.n_seq = got_lens;
            }
            if (st == VEM_OK)
                st = init_on(f, &whole, rng);
            if (st == VEM_OK)
                m->ops->params_get(m->self, params);
            vem__unit_buf_clear(&r0);
        }
        bad = c->rank == 0 && st != VEM_OK;
        cst = c->reduce(&bad, 1, c->ctx);
        if (cst == VEM_OK && bad == 0)
            cst = c->broadcast(params, plen, c->ctx);
        if (cst == VEM_OK && bad == 0)
            st = m->ops->params_set(m->self, params);
    }
    if (st == VEM_OK && cst != VEM_OK)
        st = cst;
    if (st == VEM_OK && bad != 0)
        st = VEM_FAIL(VEM_ENUMERIC, "the initialisation failed on another process");
    free(counts);
    free(all);
    free(lens_all);
    vem__free(u);
    vem__unit_buf_clear(&b);
    vem__free(params);
    vem__free(offs);
    return st;
}

/* Initialise from the sample of the source's units, read into memory. */
static vem_status init_from_sample(vem_fit *f, vem_rng *rng)
{
    const size_t n = f->n_units;
    const size_t *st0 = vem_source_unit_starts(f->src);
    const size_t m = sample_size((double)n, st0 ? (double)st0[n] : (double)n, f->o.init_sample);
    vem__unit_buf b;
    memset(&b, 0, sizeof b);
    vem_data sample;
    vem_status st;
    if (m == n) {
        st = vem__source_read_units(f->src, 0, n, &b, &sample);
    } else {
        size_t *units = vem__calloc(m, sizeof *units);
        if (!units)
            return VEM_FAIL(VEM_ENOMEM, "initialisation sample: %zu units", m);
        sampled_here(n, m, 0, n, units);
        st = vem__source_read_list(f->src, units, m, &b, &sample);
        vem__free(units);
    }
    if (st == VEM_OK)
        st = init_on(f, &sample, rng);
    vem__unit_buf_clear(&b);
    return st;
}

vem_status vem_fit_init(vem_fit *f, vem_rng *rng)
{
    f->iter = 0;
    f->n_steps = 0;
    f->have_prev = 0;
    f->converged = 0;
    f->n_violations = 0;
    f->trace_len = 0;
    f->t = 0;
    f->s_ready = 0;
    f->s_from_params = 0;
    f->theta_ready = 0;
    f->val_best_iter = 0;
    f->mc_streak = 0;
    f->mc_navg = 0;
    f->counting = 0;
    f->units_done = 0.0;
    f->lbfgs_on = 0;
    f->slow = 0;
    f->last_gain = NAN;
    f->mc_m = mc_round(f->o.mc_samples, mc_groups_of(f),
                       vem__max(f->o.mc_max_samples, mc_groups_of(f)));
    if (f->mc_theta1 && !is_mc(f->o.algorithm)) {
        /* The parameter rule of batch EM starts again from the initial parameters. */
        vem__free(f->mc_theta0);
        vem__free(f->mc_theta1);
        f->mc_theta0 = f->mc_theta1 = NULL;
        f->plen = 0;
    }
    if (f->adam_m) {
        memset(f->adam_m, 0, f->ess_len * sizeof *f->adam_m);
        memset(f->adam_v, 0, f->ess_len * sizeof *f->adam_v);
    }
    if (f->adam_mf) {
        memset(f->adam_mf, 0, f->ess_len * sizeof *f->adam_mf);
        memset(f->adam_vf, 0, f->ess_len * sizeof *f->adam_vf);
    }
    f->objective = NAN;
    f->t0 = vem__now();
    /* The online shuffles draw from their own stream, seeded from rng (batch EM
     * takes nothing from rng here, so its restarts see the caller's stream). */
    if (!batch_like(f->o.algorithm))
        vem_rng_seed(&f->rng, rng ? vem_rng_next(rng) : 0);
    f->n_obs_all = f->n_obs;
    f->rows_all = (double)f->x.x.rows;
    f->units_all = (double)f->n_units;
    f->n_batches = f->o.n_batches;
    if (f->o.comm) {
        double all[3] = {f->n_obs, (double)f->x.x.rows, (double)f->n_units};
        vem_status st = f->o.comm->reduce(all, 3, f->o.comm->ctx);
        if (st != VEM_OK)
            return st;
        f->n_obs_all = all[0];
        f->rows_all = all[1];
        f->units_all = all[2];
        if ((f->m.ops->gradient || is_mc(f->o.algorithm)) &&
            (st = units_before(f, f->n_units, &f->unit_first)) != VEM_OK)
            return st;
        /* Every process cuts its share into the same number of minibatches (some
         * possibly empty), about batch_size units each in all. */
        if (!f->n_batches) {
            size_t units = (size_t)all[2], bs = f->o.batch_size;
            f->n_batches = units > bs ? (units + bs - 1) / bs : 1;
        }
    }
    if (f->o.warm_start)
        return VEM_OK;
    if (!f->m.ops->init)
        return VEM_FAIL(VEM_EINVAL, "model %s has no initialiser: set its parameters and warm-start",
                        f->m.ops->name);
    if (!rng)
        return VEM_FAIL(VEM_EINVAL, "vem_fit_init: a random generator is required");
    if (f->m.ops->init_on_shares)
        return f->m.ops->init(f->m.self, f, rng);
    if (f->o.comm && f->o.comm->size > 1 && !f->x.docs)
        return init_distributed(f, rng);
    if (f->src)
        return init_from_sample(f, rng);
    return init_local(f, rng);
}

/* ------------------------------------------------------- accessors */

const vem_data *vem_fit_data(const vem_fit *f)
{
    return &f->x;
}

const vem_fit_opts *vem_fit_options(const vem_fit *f)
{
    return &f->o;
}

size_t vem_fit_iter(const vem_fit *f)
{
    return f->iter;
}

double vem_fit_objective(const vem_fit *f)
{
    return f->objective;
}

double vem_fit_n_obs(const vem_fit *f)
{
    return f->n_obs_all;
}

const vem_trace_entry *vem_fit_trace(const vem_fit *f, size_t *len)
{
    if (len)
        *len = f->trace_len;
    return f->trace;
}

void vem_fit_result_clear(vem_fit_result *res)
{
    if (!res)
        return;
    vem__free(res->trace);
    memset(res, 0, sizeof *res);
}

/* --------------------------------------------------------- driver */

/* What vem_fit_run keeps across restarts: the best restart so far. */
typedef struct driver {
    vem_fit *f;
    const vem_model *m;
    vem_rng *rng;
    size_t n_init, plen;
    double *best;          /* the best restart's parameters (n_init > 1) */
    double *cur;           /* scratch for the current parameters and state (checkpoints) */
    size_t slen;           /* the model's checkpoint state (vem_model_ops.state_len) */
    vem_fit_result local;  /* the best restart so far */
    vem_status best_st;
    int have_best;
    double t0;             /* when the fit began (a resumed fit: moved back) */
    double last_ckpt;      /* when the last checkpoint was written */
} driver;

/* Keep the finished restart r when it is the best so far. */
static vem_status keep_if_best(driver *d, size_t r, vem_status run_st)
{
    vem_fit *f = d->f;
    if (d->have_best && !(f->objective > d->local.objective))
        return VEM_OK;
    d->have_best = 1;
    d->best_st = run_st;
    d->local.converged = f->converged;
    d->local.n_iter = f->iter;
    d->local.n_steps = f->n_steps;
    d->local.objective = f->objective;
    d->local.n_obs = f->n_obs_all;
    d->local.n_violations = f->n_violations;
    d->local.best_init = r;
    d->local.mc_samples = f->trace_len ? f->trace[f->trace_len - 1].mc_samples : 0;
    d->local.n_averaged = f->mc_navg;
    d->local.n_passes = f->n_units ? f->units_done / (double)f->n_units : 0.0;
    vem__free(d->local.trace);
    d->local.trace = vem__calloc(f->trace_len ? f->trace_len : 1, sizeof *d->local.trace);
    d->local.trace_len = 0;
    if (!d->local.trace)
        return VEM_FAIL(VEM_ENOMEM, "trace");
    if (f->trace_len)
        memcpy(d->local.trace, f->trace, f->trace_len * sizeof *d->local.trace);
    d->local.trace_len = f->trace_len;
    if (d->best)
        d->m->ops->params_get(d->m->self, d->best);
    return VEM_OK;
}

/* ---- checkpoints (docs/reliability.md, "Checkpoint and resume") ---- */

enum { TRACE_DOUBLES = 9, RNG_DOUBLES = 8 };

static void trace_pack(const vem_trace_entry *t, size_t n, double *out)
{
    for (size_t i = 0; i < n; i++, out += TRACE_DOUBLES) {
        out[0] = (double)t[i].iter;
        out[1] = (double)t[i].step;
        out[2] = t[i].objective;
        out[3] = t[i].change;
        out[4] = t[i].seconds;
        out[5] = (double)t[i].violation;
        out[6] = t[i].validation;
        out[7] = (double)t[i].mc_samples;
        out[8] = t[i].passes;
    }
}

static vem_status trace_unpack(const double *in, size_t n, vem_trace_entry *t)
{
    for (size_t i = 0; i < n; i++, in += TRACE_DOUBLES) {
        if (!(in[0] >= 0.0 && in[0] < 1e15 && in[1] >= 0.0 && in[1] < 1e15 && in[7] >= 0.0 &&
              in[7] <= 1e8))
            return VEM_EFORMAT;
        t[i].iter = (size_t)in[0];
        t[i].step = (size_t)in[1];
        t[i].objective = in[2];
        t[i].change = in[3];
        t[i].seconds = in[4];
        t[i].violation = in[5] != 0.0;
        t[i].validation = in[6];
        t[i].mc_samples = (size_t)in[7];
        t[i].passes = in[8] >= 0.0 ? in[8] : 0.0;
    }
    return VEM_OK;
}

/* The scalars section: doubles that JSON could not carry exactly (or at all: NaN). */
enum { SC_PREV, SC_OBJECTIVE, SC_SP_C, SC_BEST_OBJECTIVE, SC_N_OBS, SC_ROWS, SC_UNITS,
       SC_RESTART_SECONDS, SC_FIT_SECONDS, SC_VAL_BEST, SC_UNITS_DONE, SC_BEST_PASSES, SC_LEN };

/* Every process's generators (the shuffles' and the caller's), in rank order on process 0. */
static vem_status gather_rngs(const vem_fit *f, const vem_rng *rng, double **all, size_t *len)
{
    double mine[RNG_DOUBLES];
    memcpy(mine, f->rng.s, sizeof f->rng.s);
    memcpy(mine + 4, rng ? rng->s : f->rng.s, sizeof f->rng.s);
    const vem_comm *c = f->user.comm;
    if (c && c->size > 1)
        return c->gather(mine, RNG_DOUBLES, all, len, c->ctx);
    *all = vem__alloc_doubles(RNG_DOUBLES, 1);
    if (!*all)
        return VEM_FAIL(VEM_ENOMEM, "checkpoint");
    memcpy(*all, mine, sizeof mine);
    *len = RNG_DOUBLES;
    return VEM_OK;
}

/* Write the checkpoint of restart r (process 0 writes; every process takes part). */
static vem_status ckpt_save(driver *d, size_t r)
{
    vem_fit *f = d->f;
    const vem_comm *c = f->user.comm;
    const char *path = f->user.checkpoint;
    double *rngs = NULL, *trace = NULL, *btrace = NULL;
    size_t rlen = 0;
    vem_status st = gather_rngs(f, d->rng, &rngs, &rlen);
    if (st == VEM_OK && f->adam_mf && f->theta_ready) {
        /* Float moments and parameters staged as doubles (exact). */
        f->m.ops->params_get(f->m.self, f->theta);
        for (size_t i = 0; i < f->ess_len; i++) {
            f->adam_m[i] = (double)f->adam_mf[i];
            f->adam_v[i] = (double)f->adam_vf[i];
        }
    }
    if (st == VEM_OK && (!c || c->rank == 0)) {
        json_t *h = json_object();
        const size_t nb = f->o.algorithm == VEM_ALG_INCREMENTAL ? f->o.n_blocks : 0;
        double sc[SC_LEN] = {
            [SC_PREV] = f->prev, [SC_OBJECTIVE] = f->objective, [SC_SP_C] = f->sp_c,
            [SC_BEST_OBJECTIVE] = d->local.objective, [SC_N_OBS] = f->n_obs_all,
            [SC_ROWS] = f->rows_all, [SC_UNITS] = f->units_all,
            [SC_RESTART_SECONDS] = vem__now() - f->t0, [SC_FIT_SECONDS] = vem__now() - d->t0,
            [SC_VAL_BEST] = f->val_best_obj, [SC_UNITS_DONE] = f->units_done,
            [SC_BEST_PASSES] = d->local.n_passes};
        trace = vem__alloc_doubles(f->trace_len + 1, TRACE_DOUBLES);
        btrace = vem__alloc_doubles(d->local.trace_len + 1, TRACE_DOUBLES);
        if (!h || !trace || !btrace) {
            st = VEM_FAIL(VEM_ENOMEM, "%s: checkpoint", path);
        } else {
            d->m->ops->params_get(d->m->self, d->cur);
            if (d->slen)
                d->m->ops->state_get(d->m->self, d->cur + d->plen);
            trace_pack(f->trace, f->trace_len, trace);
            trace_pack(d->local.trace, d->local.trace_len, btrace);
            json_object_set_new(h, "format", json_string("vem-fit-checkpoint"));
            json_object_set_new(h, "model", json_string(f->m.ops->name));
            json_object_set_new(h, "tag", json_string(f->user.checkpoint_tag
                                                          ? f->user.checkpoint_tag : ""));
            json_object_set_new(h, "algorithm", json_string(vem_algorithm_name(f->o.algorithm)));
            json_object_set_new(h, "warm_start", json_boolean(f->o.warm_start));
            json_object_set_new(h, "n_init", json_integer((json_int_t)d->n_init));
            json_object_set_new(h, "n_blocks", json_integer((json_int_t)nb));
            json_object_set_new(h, "processes", json_integer(c ? c->size : 1));
            json_object_set_new(h, "ess_len", json_integer((json_int_t)f->ess_len));
            json_object_set_new(h, "params_len", json_integer((json_int_t)d->plen));
            json_object_set_new(h, "restart", json_integer((json_int_t)r));
            json_object_set_new(h, "iter", json_integer((json_int_t)f->iter));
            json_object_set_new(h, "n_steps", json_integer((json_int_t)f->n_steps));
            json_object_set_new(h, "have_prev", json_boolean(f->have_prev));
            json_object_set_new(h, "n_violations", json_integer((json_int_t)f->n_violations));
            json_object_set_new(h, "t", json_integer((json_int_t)f->t));
            json_object_set_new(h, "s_ready", json_boolean(f->s_ready));
            json_object_set_new(h, "s_from_params", json_boolean(f->s_from_params));
            json_object_set_new(h, "sparse", json_boolean(f->sparse));
            json_object_set_new(h, "theta_ready", json_boolean(f->theta_ready));
            json_object_set_new(h, "val_best_iter", json_integer((json_int_t)f->val_best_iter));
            json_object_set_new(h, "mc_samples", json_integer((json_int_t)f->mc_m));
            json_object_set_new(h, "mc_streak", json_integer((json_int_t)f->mc_streak));
            json_object_set_new(h, "mc_navg", json_integer((json_int_t)f->mc_navg));
            json_object_set_new(h, "have_best", json_boolean(d->have_best));
            json_object_set_new(h, "best_status", json_integer(d->best_st));
            json_object_set_new(h, "best_converged", json_boolean(d->local.converged));
            json_object_set_new(h, "best_n_iter", json_integer((json_int_t)d->local.n_iter));
            json_object_set_new(h, "best_n_steps", json_integer((json_int_t)d->local.n_steps));
            json_object_set_new(h, "best_n_violations",
                                json_integer((json_int_t)d->local.n_violations));
            json_object_set_new(h, "best_init", json_integer((json_int_t)d->local.best_init));
            json_object_set_new(h, "best_n_averaged",
                                json_integer((json_int_t)d->local.n_averaged));
            const int online = f->o.algorithm != VEM_ALG_BATCH && f->s_acc;
            vem__ckpt_section sec[] = {
                {"scalars", sc, SC_LEN},
                {"params", d->cur, d->plen},
                {"state", d->cur + d->plen, d->slen},
                {"rng", rngs, rlen},
                {"trace", trace, f->trace_len * TRACE_DOUBLES},
                {"best_params", d->best, d->best && d->have_best ? d->plen : 0},
                {"best_trace", btrace, d->local.trace_len * TRACE_DOUBLES},
                {"s_acc", f->s_acc, online ? f->ess_len : 0},
                {"blocks", f->blocks, online && nb ? nb * f->ess_len : 0},
                {"block_h", f->block_h, online && nb ? nb : 0},
                {"theta", f->theta, f->theta_ready ? f->ess_len : 0},
                {"adam_m", f->adam_m, f->theta_ready ? f->ess_len : 0},
                {"adam_v", f->adam_v, f->theta_ready ? f->ess_len : 0},
                {"val_best", f->val_best, f->val_best_iter ? d->plen : 0},
                {"mc_avg", f->mc_avg, f->mc_navg ? d->plen : 0},
            };
            st = vem__ckpt_write(path, h, sec, sizeof sec / sizeof *sec);
        }
        json_decref(h);
    }
    vem__free(rngs);
    vem__free(trace);
    vem__free(btrace);
    d->last_ckpt = vem__now();
    return vem_comm_agree(c, st);
}

/* The checkpoint's value of key as a count; VEM_EFORMAT when missing or negative. */
static vem_status hdr_size(const vem__ckpt *c, const char *path, const char *key, size_t *out)
{
    json_t *v = json_object_get(c->header, key);
    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        return VEM_OK;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return VEM_FAIL(VEM_EFORMAT, "%s: header: key '%s': expected a count", path, key);
    *out = (size_t)json_integer_value(v);
    return VEM_OK;
}

/* Section name with exactly len doubles (path: for messages). */
static const double *section(const vem__ckpt *c, const char *path, const char *name, size_t len,
                             vem_status *st)
{
    size_t got;
    const double *p = vem__ckpt_get(c, name, &got);
    if (*st == VEM_OK && (!p || got != len))
        *st = VEM_FAIL(VEM_EFORMAT, "%s: section '%s': %zu doubles, expected %zu", path, name,
                       got, len);
    return p;
}

/* Compare one identity field of the checkpoint with this fit's. */
static vem_status same(const char *path, const char *what, double ckpt, double now)
{
    if (ckpt == now)
        return VEM_OK;
    return VEM_FAIL(VEM_EFORMAT, "%s: not a checkpoint of this fit: %s is %.17g there, %.17g here",
                    path, what, ckpt, now);
}

/*
 * Restart r of the checkpoint c, right after this restart's init (run for what the
 * model derives from the data; its parameters are replaced): the fit's state, the best
 * restart so far and every generator.
 */
static vem_status ckpt_restore(driver *d, const vem__ckpt *c)
{
    vem_fit *f = d->f;
    const char *path = f->user.resume;
    const vem_comm *comm = f->user.comm;
    vem_status st = VEM_OK;
    const char *model = json_string_value(json_object_get(c->header, "model"));
    const char *tag = json_string_value(json_object_get(c->header, "tag"));
    const char *alg = json_string_value(json_object_get(c->header, "algorithm"));
    const char *my_tag = f->user.checkpoint_tag ? f->user.checkpoint_tag : "";
    if (!model || strcmp(model, f->m.ops->name) != 0)
        return VEM_FAIL(VEM_EFORMAT, "%s: a checkpoint of a '%s' fit, not of a '%s' one", path,
                        model ? model : "?", f->m.ops->name);
    if (!tag || strcmp(tag, my_tag) != 0)
        return VEM_FAIL(VEM_EFORMAT, "%s: not a checkpoint of this fit: written for '%.200s', "
                        "this is '%.200s'", path, tag ? tag : "?", my_tag);
    if (!alg || strcmp(alg, vem_algorithm_name(f->o.algorithm)) != 0)
        return VEM_FAIL(VEM_EFORMAT, "%s: a checkpoint of a %s fit, this one is %s", path,
                        alg ? alg : "?", vem_algorithm_name(f->o.algorithm));
    size_t n_init, nb, procs, ess_len, plen, warm, iter, n_steps, have_prev, nviol, t, s_ready,
        s_from_params, sparse, have_best, bconv, bn_iter, bn_steps, bn_viol, binit,
        theta_ready, val_iter, mc_m, mc_streak, mc_navg, bn_avg;
    const char *keys[] = {"n_init", "n_blocks", "processes", "ess_len", "params_len",
                          "warm_start", "iter", "n_steps", "have_prev", "n_violations", "t",
                          "s_ready", "s_from_params", "sparse", "have_best", "best_converged",
                          "best_n_iter", "best_n_steps", "best_n_violations", "best_init",
                          "theta_ready", "val_best_iter", "mc_samples", "mc_streak", "mc_navg",
                          "best_n_averaged"};
    size_t *vals[] = {&n_init, &nb, &procs, &ess_len, &plen, &warm, &iter, &n_steps, &have_prev,
                      &nviol, &t, &s_ready, &s_from_params, &sparse, &have_best, &bconv,
                      &bn_iter, &bn_steps, &bn_viol, &binit, &theta_ready, &val_iter, &mc_m,
                      &mc_streak, &mc_navg, &bn_avg};
    for (size_t i = 0; i < sizeof keys / sizeof *keys && st == VEM_OK; i++)
        st = hdr_size(c, path, keys[i], vals[i]);
    json_t *bs = json_object_get(c->header, "best_status");
    /* The best restart's status is returned as the fit's: only what a finished restart
     * can have (keep_if_best), never another number. */
    if (st == VEM_OK && !(json_is_integer(bs) && (json_integer_value(bs) == VEM_OK ||
                                                   json_integer_value(bs) == VEM_EMAXITER)))
        st = VEM_FAIL(VEM_EFORMAT, "%s: header: key 'best_status': expected %d or %d", path,
                      (int)VEM_OK, (int)VEM_EMAXITER);
    if (st == VEM_OK && have_best && binit >= n_init)
        st = VEM_FAIL(VEM_EFORMAT, "%s: header: best restart %zu of %zu", path, binit + 1,
                      n_init);
    const size_t my_nb = f->o.algorithm == VEM_ALG_INCREMENTAL ? f->o.n_blocks : 0;
    const size_t my_procs = comm ? (size_t)comm->size : 1;
    if (st == VEM_OK)
        st = same(path, "the number of restarts", (double)n_init, (double)d->n_init);
    if (st == VEM_OK)
        st = same(path, "the number of blocks", (double)nb, (double)my_nb);
    if (st == VEM_OK)
        st = same(path, "the length of the statistics", (double)ess_len, (double)f->ess_len);
    if (st == VEM_OK)
        st = same(path, "the number of parameters", (double)plen, (double)d->plen);
    if (st == VEM_OK)
        st = same(path, "warm start", (double)warm, (double)(f->o.warm_start != 0));
    const double *sc = section(c, path, "scalars", SC_LEN, &st);
    if (st == VEM_OK)
        st = same(path, "the number of observations", sc[SC_N_OBS], f->n_obs_all);
    if (st == VEM_OK)
        st = same(path, "the number of rows", sc[SC_ROWS], f->rows_all);
    if (st == VEM_OK)
        st = same(path, "the number of units", sc[SC_UNITS], f->units_all);
    if (st == VEM_OK && (procs == 0 || procs > 1u << 24 || iter > f->o.max_iter + (1u << 30)))
        st = VEM_FAIL(VEM_EFORMAT, "%s: header: %zu processes, iteration %zu", path, procs, iter);
    const double *params = section(c, path, "params", plen, &st);
    const double *state = section(c, path, "state", d->slen, &st);
    const double *rngs = section(c, path, "rng", procs * RNG_DOUBLES, &st);
    size_t tlen = 0, btlen = 0;
    const double *tr = vem__ckpt_get(c, "trace", &tlen);
    const double *btr = vem__ckpt_get(c, "best_trace", &btlen);
    if (st == VEM_OK && (tlen % TRACE_DOUBLES || btlen % TRACE_DOUBLES))
        st = VEM_FAIL(VEM_EFORMAT, "%s: trace sections of %zu and %zu doubles", path, tlen, btlen);
    const int online = f->o.algorithm != VEM_ALG_BATCH && s_ready;
    const double *s_acc = online ? section(c, path, "s_acc", ess_len, &st) : NULL;
    const double *blocks = online && nb ? section(c, path, "blocks", nb * ess_len, &st) : NULL;
    const double *block_h = online && nb ? section(c, path, "block_h", nb, &st) : NULL;
    const double *bparams = d->best && have_best ? section(c, path, "best_params", plen, &st) : NULL;
    const int adam = f->o.algorithm == VEM_ALG_ADAM && theta_ready;
    const double *theta = adam ? section(c, path, "theta", ess_len, &st) : NULL;
    const double *am = adam ? section(c, path, "adam_m", ess_len, &st) : NULL;
    const double *av = adam ? section(c, path, "adam_v", ess_len, &st) : NULL;
    const double *vbest = val_iter ? section(c, path, "val_best", plen, &st) : NULL;
    const double *mcavg = mc_navg ? section(c, path, "mc_avg", plen, &st) : NULL;
    if (st == VEM_OK && (mc_m > 100000000 || mc_navg > iter ||
                         (is_mc(f->o.algorithm) && f->o.algorithm == VEM_ALG_MCEM &&
                          (mc_m == 0 || mc_m % mc_groups_of(f) != 0))))
        st = VEM_FAIL(VEM_EFORMAT, "%s: header: %zu draws per unit, %zu averaged of %zu "
                      "iterations", path, mc_m, mc_navg, iter);
    /* Whatever the file says, the numbers must be numbers (the models check their own
     * ranges in params_set). */
    const struct {
        const double *p;
        size_t n;
        const char *name;
    } arrays[] = {{params, plen, "params"},        {state, d->slen, "state"},
                  {s_acc, s_acc ? ess_len : 0, "s_acc"},
                  {blocks, blocks ? nb * ess_len : 0, "blocks"},
                  {block_h, block_h ? nb : 0, "block_h"}, {theta, theta ? ess_len : 0, "theta"},
                  {am, am ? ess_len : 0, "adam_m"},        {av, av ? ess_len : 0, "adam_v"},
                  {bparams, bparams ? plen : 0, "best_params"},
                  {vbest, vbest ? plen : 0, "val_best"},
                  {mcavg, mcavg ? plen : 0, "mc_avg"}};
    for (size_t a = 0; st == VEM_OK && a < sizeof arrays / sizeof *arrays; a++)
        for (size_t i = 0; i < arrays[a].n; i++)
            if (!isfinite(arrays[a].p[i]) || (arrays[a].p == av && av[i] < 0.0) ||
                (f->m.ops->ess_float && (arrays[a].p == am || arrays[a].p == av) &&
                 !(fabs(arrays[a].p[i]) <= FLT_MAX))) { /* float moments: float's range */
                st = VEM_FAIL(VEM_EFORMAT, "%s: section '%s': entry %zu is %g", path,
                              arrays[a].name, i + 1, arrays[a].p[i]);
                break;
            }
    if (st == VEM_OK && val_iter && !f->o.validation)
        st = VEM_FAIL(VEM_EFORMAT, "%s: a checkpoint of a fit with validation data", path);
    if (st != VEM_OK)
        return st;
    tlen /= TRACE_DOUBLES;
    btlen /= TRACE_DOUBLES;
    /* The parameters, then the engine's state. */
    if ((st = d->m->ops->params_set(d->m->self, params)) != VEM_OK)
        return st;
    if (d->slen && (st = d->m->ops->state_set(d->m->self, state)) != VEM_OK)
        return st;
    if (tlen > f->trace_cap) {
        vem_trace_entry *p = vem__realloc(f->trace, tlen * sizeof *p);
        if (!p)
            return VEM_FAIL(VEM_ENOMEM, "trace");
        f->trace = p;
        f->trace_cap = tlen;
    }
    if (trace_unpack(tr, tlen, f->trace) != VEM_OK)
        return VEM_FAIL(VEM_EFORMAT, "%s: section 'trace': not a trace", path);
    f->trace_len = tlen;
    f->iter = iter;
    f->n_steps = n_steps;
    f->have_prev = (int)have_prev;
    f->prev = sc[SC_PREV];
    f->objective = sc[SC_OBJECTIVE];
    f->n_violations = nviol;
    f->t = t;
    f->units_done = sc[SC_UNITS_DONE] >= 0.0 ? sc[SC_UNITS_DONE] : 0.0;
    f->mc_m = mc_m;
    f->mc_streak = mc_streak;
    f->mc_navg = mc_navg;
    if (is_mc(f->o.algorithm) && (st = mc_alloc(f)) != VEM_OK)
        return st;
    if (mc_navg)
        memcpy(f->mc_avg, mcavg, plen * sizeof *mcavg);
    if (f->o.tol_rule == VEM_TOL_PARAMS && !is_mc(f->o.algorithm) && iter) {
        /* Batch EM's parameter rule compares with the parameters after the last step:
         * those just restored. */
        f->plen = plen;
        if (!(f->mc_theta0 = vem__alloc_doubles(plen + 1, 1)) ||
            !(f->mc_theta1 = vem__alloc_doubles(plen + 1, 1)))
            return VEM_FAIL(VEM_ENOMEM, "parameters: %zu doubles", plen);
        memcpy(f->mc_theta1, params, plen * sizeof *params);
    }
    f->t0 = vem__now() - sc[SC_RESTART_SECONDS];
    d->t0 = vem__now() - sc[SC_FIT_SECONDS];
    /* Each process its own generators; with another number of processes, process p
     * takes those of process p mod (the checkpoint's count). */
    const size_t from = comm ? (size_t)comm->rank % procs : 0;
    memcpy(f->rng.s, rngs + from * RNG_DOUBLES, sizeof f->rng.s);
    if (d->rng)
        memcpy(d->rng->s, rngs + from * RNG_DOUBLES + 4, sizeof d->rng->s);
    if (online) {
        if ((st = online_alloc(f)) != VEM_OK)
            return st;
        if ((size_t)f->sparse != sparse)
            return VEM_FAIL(VEM_EFORMAT, "%s: written by a %s stepwise fit, this one is %s", path,
                            sparse ? "sparse" : "dense", f->sparse ? "sparse" : "dense");
        memcpy(f->s_acc, s_acc, ess_len * sizeof *s_acc);
        f->s_ready = 1;
        f->s_from_params = (int)s_from_params;
        f->sp_c = sc[SC_SP_C];
        if (nb) {
            memcpy(f->blocks, blocks, nb * ess_len * sizeof *blocks);
            memcpy(f->block_h, block_h, nb * sizeof *block_h);
            /* Another partition of the units: every block's statistics again, from the
             * parameters, in one pass (what the first pass does). */
            if (procs != my_procs)
                f->s_ready = 0;
        }
        if (adam) {
            memcpy(f->theta, theta, ess_len * sizeof *theta);
            memcpy(f->adam_m, am, ess_len * sizeof *am);
            memcpy(f->adam_v, av, ess_len * sizeof *av);
            if (f->adam_mf)
                for (size_t i = 0; i < ess_len; i++) {
                    f->adam_mf[i] = (float)am[i];
                    f->adam_vf[i] = (float)av[i];
                }
            f->theta_ready = 1;
        }
        /* Sparse stepwise EM ends every pass with a refresh of every row: again. */
        if (f->sparse && (f->s_from_params || f->t >= f->o.warmup) &&
            (st = sparse_refresh(f)) != VEM_OK)
            return st;
    }
    if (val_iter) {
        if (!f->val_best && !(f->val_best = vem__alloc_doubles(plen ? plen : 1, 1)))
            return VEM_FAIL(VEM_ENOMEM, "validation: %zu parameters", plen);
        memcpy(f->val_best, vbest, plen * sizeof *vbest);
        f->val_best_iter = val_iter;
        f->val_best_obj = sc[SC_VAL_BEST];
    }
    /* The best restart so far. */
    d->have_best = (int)have_best;
    if (have_best) {
        d->best_st = (vem_status)json_integer_value(bs);
        d->local.converged = (int)bconv;
        d->local.n_iter = bn_iter;
        d->local.n_steps = bn_steps;
        d->local.objective = sc[SC_BEST_OBJECTIVE];
        d->local.n_obs = f->n_obs_all;
        d->local.n_violations = bn_viol;
        d->local.best_init = binit;
        d->local.n_averaged = bn_avg;
        d->local.n_passes = sc[SC_BEST_PASSES] >= 0.0 ? sc[SC_BEST_PASSES] : 0.0;
        vem__free(d->local.trace);
        d->local.trace = vem__calloc(btlen + 1, sizeof *d->local.trace);
        if (!d->local.trace)
            return VEM_FAIL(VEM_ENOMEM, "trace");
        if (trace_unpack(btr, btlen, d->local.trace) != VEM_OK)
            return VEM_FAIL(VEM_EFORMAT, "%s: section 'best_trace': not a trace", path);
        d->local.trace_len = btlen;
        d->local.mc_samples = btlen ? d->local.trace[btlen - 1].mc_samples : 0;
        if (bparams)
            memcpy(d->best, bparams, plen * sizeof *bparams);
    }
    return VEM_OK;
}

/*
 * After a restart's init and after each of its iterations: is a checkpoint due, was
 * the fit interrupted (on any process)? Writes the checkpoint when either; *stop
 * when interrupted.
 */
static vem_status poll(driver *d, size_t r, int *stop)
{
    vem_fit *f = d->f;
    const vem_fit_opts *u = &f->user;
    const vem_comm *c = u->comm;
    *stop = 0;
    int intr = u->interrupted && u->interrupted(u->interrupted_ctx);
    int due_time = u->checkpoint && u->checkpoint_seconds > 0.0 &&
                   vem__now() - d->last_ckpt >= u->checkpoint_seconds;
    const int due_count = u->checkpoint && u->checkpoint_every && f->iter > 0 &&
                          f->iter % u->checkpoint_every == 0;
    if (c && c->size > 1 && (u->interrupted || (u->checkpoint && u->checkpoint_seconds > 0.0))) {
        /* One decision for every process: any interrupt, process 0's clock. */
        double v[2] = {intr, c->rank == 0 && due_time};
        vem_status st = c->reduce(v, 2, c->ctx);
        if (st != VEM_OK)
            return st;
        intr = v[0] > 0.0;
        due_time = v[1] > 0.0;
    }
    if (u->checkpoint && (intr || due_time || due_count)) {
        vem_status st = ckpt_save(d, r);
        if (st != VEM_OK)
            return st;
    }
    *stop = intr;
    return VEM_OK;
}

/* Interrupted in restart r: leave the model the best parameters so far and say so in res. */
static vem_status stop_with_best(driver *d, size_t r)
{
    vem_fit *f = d->f;
    if (d->have_best && !(f->objective > d->local.objective)) {
        if (d->best) {
            vem_status st = d->m->ops->params_set(d->m->self, d->best);
            if (st != VEM_OK)
                return st;
        }
    } else {
        f->converged = 0;
        d->have_best = 0;
        vem_status st = keep_if_best(d, r, VEM_EINTR);
        if (st != VEM_OK)
            return st;
    }
    d->local.converged = 0;
    return VEM_EINTR;
}

static vem_status run(vem_fit *f, const vem_model *m, vem_rng *rng, vem_fit_result *res)
{
    driver d;
    memset(&d, 0, sizeof d);
    d.f = f;
    d.m = m;
    d.rng = rng;
    d.t0 = d.last_ckpt = vem__now();
    if (res)
        memset(res, 0, sizeof *res);
    d.n_init = f->o.warm_start ? 1 : f->o.n_init;
    d.plen = m->ops->params_len ? m->ops->params_len(m->self) : 0;
    const int ckpt = f->user.checkpoint || f->user.resume;
    vem__ckpt c = {NULL, NULL, 0};
    vem_status st = VEM_OK;
    size_t r0 = 0;
    if ((d.n_init > 1 || ckpt) && (!m->ops->params_get || !m->ops->params_set)) {
        st = VEM_FAIL(VEM_EUNSUP, "%s: %s need params_get/params_set", m->ops->name,
                      ckpt ? "checkpoints" : "restarts");
        goto done;
    }
    if (d.n_init > 1 && !(d.best = vem__alloc_doubles(d.plen ? d.plen : 1, 1))) {
        st = VEM_FAIL(VEM_ENOMEM, "restart parameters");
        goto done;
    }
    d.slen = ckpt && m->ops->state_len ? m->ops->state_len(m->self) : 0;
    if (ckpt && !(d.cur = vem__alloc_doubles(d.plen + d.slen + 1, 1))) {
        st = VEM_FAIL(VEM_ENOMEM, "checkpoint parameters");
        goto done;
    }
    if (f->user.resume) {
        st = vem_comm_agree(f->user.comm, vem__ckpt_read(f->user.resume, &c));
        size_t rr = 0;
        if (st == VEM_OK && (st = hdr_size(&c, f->user.resume, "restart", &rr)) == VEM_OK &&
            rr >= d.n_init)
            st = VEM_FAIL(VEM_EFORMAT, "%s: restart %zu of a fit with %zu restarts",
                          f->user.resume, rr + 1, d.n_init);
        if (st != VEM_OK)
            goto done;
        r0 = rr;
    }
    f->n_restarts = d.n_init;
    for (size_t r = r0; r < d.n_init; r++) {
        f->restart = r;
        int stop = 0;
        if (c.header && r == r0) {
            /* The init for what the model derives from the data, on a copy of the
             * generator (the checkpoint's replaces it), then the checkpoint's state. */
            vem_rng scratch = rng ? *rng : (vem_rng){{0, 0, 0, 0}};
            st = vem_fit_init(f, rng ? &scratch : NULL);
            if (st == VEM_OK)
                st = vem_comm_agree(f->user.comm, ckpt_restore(&d, &c));
            vem__ckpt_clear(&c);
        } else {
            st = vem_fit_init(f, rng);
            if (st == VEM_OK)
                st = poll(&d, r, &stop);
        }
        if (st != VEM_OK)
            goto done;
        if (stop) {
            st = stop_with_best(&d, r);
            goto done;
        }
        do {
            st = vem_fit_step(f);
            if (st == VEM_CONTINUE) {
                vem_status pst = poll(&d, r, &stop);
                if (pst != VEM_OK || stop) {
                    st = pst != VEM_OK ? pst : stop_with_best(&d, r);
                    goto done;
                }
            }
        } while (st == VEM_CONTINUE);
        if (st != VEM_OK && st != VEM_EMAXITER)
            goto done;
        vem_status run_st = st;
        st = vem_fit_finish(f);
        if (st != VEM_OK)
            goto done;
        if ((st = keep_if_best(&d, r, run_st)) != VEM_OK)
            goto done;
    }
    if (d.best) {
        st = m->ops->params_set(m->self, d.best);
        if (st != VEM_OK)
            goto done;
    }
    st = d.best_st;
done:
    vem__ckpt_clear(&c);
    d.local.seconds = vem__now() - d.t0;
    d.local.interrupted = st == VEM_EINTR;
    vem__free(d.best);
    vem__free(d.cur);
    vem_fit_free(f);
    if (res)
        *res = d.local;
    else
        vem__free(d.local.trace);
    return st;
}

vem_status vem_fit_run(const vem_model *m, const vem_data *x, const vem_fit_opts *o,
                       vem_rng *rng, vem_fit_result *res)
{
    if (res)
        memset(res, 0, sizeof *res);
    vem_fit *f = vem_fit_new(m, x, o);
    if (!f)
        return vem__last_status();
    return run(f, m, rng, res);
}

vem_status vem_fit_run_source(const vem_model *m, vem_source *src, const vem_fit_opts *o,
                              vem_rng *rng, vem_fit_result *res)
{
    if (res)
        memset(res, 0, sizeof *res);
    vem_fit *f = vem_fit_new_source(m, src, o);
    if (!f)
        return vem__last_status();
    return run(f, m, rng, res);
}
