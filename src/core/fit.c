/*
 * src/core/fit.c — the engine: one EM loop for every model (include/vem/fit.h).
 *
 * Units (rows, sequences) are split into a fixed number of slots, each a
 * contiguous range walked in blocks. Threads take whole slots; every slot has
 * its own ESS buffer, and the slots are summed in slot order. So the result
 * depends on the data, the slot count and the block size, never on the number
 * of threads or on which thread ran which slot.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include <vem/fit.h>

#include "internal.h"
#include "linalg/linalg.h"

struct vem_fit {
    vem_model m;
    vem_data x;
    vem_fit_opts o;
    size_t n_units;
    double n_obs;
    int nthreads;

    size_t nslots;
    size_t *slot_lo; /* nslots + 1 unit boundaries */
    double *slot_obj;
    double *slot_ess; /* nslots x slot_cap */
    size_t slot_cap;
    double *scratch; /* nthreads x scratch_cap */
    size_t scratch_cap;

    size_t ess_len;
    double *ess;

    size_t iter;
    double objective;
    double prev;
    int have_prev;
    int converged;
    size_t n_violations;
    double t0;
    vem_trace_entry *trace;
    size_t trace_len, trace_cap;
};

void vem_fit_opts_init(vem_fit_opts *o)
{
    memset(o, 0, sizeof *o);
    o->max_iter = 100;
    o->tol = 1e-3;
    o->n_init = 1;
    o->block = 4096;
    o->nslots = 64;
    o->mono_rtol = 1e-9;
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
    return VEM_OK;
}

void vem_fit_free(vem_fit *f)
{
    if (!f)
        return;
    vem__free(f->slot_lo);
    vem__free(f->slot_obj);
    vem__free(f->slot_ess);
    vem__free(f->scratch);
    vem__free(f->ess);
    vem__free(f->trace);
    vem__free(f);
}

vem_fit *vem_fit_new(const vem_model *m, const vem_data *x, const vem_fit_opts *o)
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
    if (n_units == 0) {
        VEM_FAIL(VEM_EINVAL, "no data: 0 %s", x->seq_start ? "sequences" : "rows");
        return NULL;
    }
    vem_fit *f = vem__calloc(1, sizeof *f);
    if (!f)
        goto oom;
    f->m = *m;
    f->x = *x;
    f->o = *o;
    f->n_units = n_units;
    f->n_obs = m->ops->n_obs(m->self, x);
#ifdef _OPENMP
    f->nthreads = o->nthreads > 0 ? o->nthreads : omp_get_max_threads();
#else
    f->nthreads = 1;
#endif
    /* At least about 1024 observations per slot: smaller slots cost more in
     * thread start-up than they save (Old Faithful runs in one slot). The count
     * depends on the data alone, never on the threads. */
    size_t by_obs = (size_t)(f->n_obs / 1024.0);
    f->nslots = vem__min(vem__min(o->nslots, n_units), vem__max(by_obs, 1));
    if (f->nthreads > (int)f->nslots)
        f->nthreads = (int)f->nslots;
    f->slot_lo = vem__calloc(f->nslots + 1, sizeof *f->slot_lo);
    f->slot_obj = vem__alloc_doubles(f->nslots, 1);
    f->ess_len = m->ops->ess_len(m->self);
    f->ess = vem__alloc_doubles(f->ess_len ? f->ess_len : 1, 1);
    if (!f->slot_lo || !f->slot_obj || !f->ess)
        goto oom;
    for (size_t s = 0; s <= f->nslots; s++) {
        /* Balanced contiguous ranges; s * n_units cannot overflow for real data sizes
         * (nslots is small), but divide first when it could. */
        size_t q = n_units / f->nslots, r = n_units % f->nslots;
        f->slot_lo[s] = s * q + (s < r ? s : r);
    }
    return f;
oom:
    vem_fit_free(f);
    VEM_FAIL(VEM_ENOMEM, "vem_fit_new: out of memory");
    return NULL;
}

/* Make sure slot and scratch buffers can hold model m's statistics. */
static vem_status reserve(vem_fit *f, const vem_model *m)
{
    size_t len = m->ops->ess_len(m->self);
    size_t sl = m->ops->scratch_len ? m->ops->scratch_len(m->self, f->o.block) : 0;
    if (len > f->slot_cap) {
        double *p = vem__alloc_doubles(f->nslots, len);
        if (!p)
            return VEM_FAIL(VEM_ENOMEM, "ESS buffers: %zu slots x %zu doubles", f->nslots, len);
        vem__free(f->slot_ess);
        f->slot_ess = p;
        f->slot_cap = len;
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

vem_status vem_fit_pass(vem_fit *f, const vem_model *m, double *ess, double *objective)
{
    vem_status st = reserve(f, m);
    if (st != VEM_OK)
        return st;
    const size_t len = m->ops->ess_len(m->self);
    const size_t cap = f->slot_cap, block = f->o.block;
    const vem_model mm = *m;
    const vem_data *x = &f->x;
    int token = vem__blas_threads_one();
    const long nslots = (long)f->nslots;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) num_threads(f->nthreads)
#endif
    for (long s = 0; s < nslots; s++) {
#ifdef _OPENMP
        size_t tid = (size_t)omp_get_thread_num();
#else
        size_t tid = 0;
#endif
        double *sess = f->slot_ess ? f->slot_ess + (size_t)s * cap : NULL;
        double *scratch = f->scratch ? f->scratch + tid * f->scratch_cap : NULL;
        if (len)
            memset(sess, 0, len * sizeof *sess);
        double obj = 0.0;
        for (size_t u0 = f->slot_lo[s]; u0 < f->slot_lo[s + 1]; u0 += block) {
            size_t u1 = vem__min(u0 + block, f->slot_lo[s + 1]);
            obj += mm.ops->estep(mm.self, x, u0, u1, sess, scratch);
        }
        f->slot_obj[s] = obj;
    }
    vem__blas_threads_restore(token);
    /* Fixed-order reduction. */
    if (len)
        memcpy(ess, f->slot_ess, len * sizeof *ess);
    double obj = f->slot_obj[0];
    for (size_t s = 1; s < f->nslots; s++) {
        const double *p = f->slot_ess + s * cap;
        for (size_t i = 0; i < len; i++)
            ess[i] += p[i];
        obj += f->slot_obj[s];
    }
    if (f->o.reduce) {
        st = f->o.reduce(ess, len, &obj, f->o.reduce_ctx);
        if (st != VEM_OK)
            return st;
    }
    *objective = obj;
    return VEM_OK;
}

vem_status vem_fit_init(vem_fit *f, vem_rng *rng)
{
    f->iter = 0;
    f->have_prev = 0;
    f->converged = 0;
    f->n_violations = 0;
    f->trace_len = 0;
    f->objective = NAN;
    f->t0 = vem__now();
    if (f->o.warm_start)
        return VEM_OK;
    if (!f->m.ops->init)
        return VEM_FAIL(VEM_EINVAL, "model %s has no initialiser: set its parameters and warm-start",
                        f->m.ops->name);
    if (!rng)
        return VEM_FAIL(VEM_EINVAL, "vem_fit_init: a random generator is required");
    return f->m.ops->init(f->m.self, f, rng);
}

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
    f->trace[f->trace_len++] = *e;
    return VEM_OK;
}

/* The objective of the current parameters: a data pass plus the extra terms. */
static vem_status evaluate(vem_fit *f, double *objective)
{
    vem_status st = vem_fit_pass(f, &f->m, f->ess, objective);
    if (st != VEM_OK)
        return st;
    if (f->m.ops->objective_extra)
        *objective += f->m.ops->objective_extra(f->m.self);
    if (!isfinite(*objective))
        return VEM_FAIL(VEM_ENUMERIC, "%s: objective is %g at iteration %zu", f->m.ops->name,
                        *objective, f->iter + 1);
    return VEM_OK;
}

/* Batch EM and CAVI never decrease the objective; allow only round-off. */
static int is_violation(const vem_fit *f, double obj)
{
    return f->have_prev && obj < f->prev - f->o.mono_rtol * (fabs(f->prev) + f->n_obs);
}

vem_status vem_fit_step(vem_fit *f)
{
    if (f->converged)
        return VEM_OK;
    if (f->iter >= f->o.max_iter)
        return VEM_EMAXITER;
    double obj;
    vem_status st = evaluate(f, &obj);
    if (st != VEM_OK)
        return st;
    f->iter++;
    vem_trace_entry e = {.iter = f->iter, .objective = obj, .change = 0.0, .violation = 0};
    if (f->have_prev)
        e.change = (obj - f->prev) / f->n_obs;
    e.violation = is_violation(f, obj);
    f->n_violations += (size_t)e.violation;
    st = f->m.ops->mstep(f->m.self, f->ess);
    e.seconds = vem__now() - f->t0;
    vem_status tst = trace_push(f, &e);
    if (tst != VEM_OK)
        return tst;
    if (f->o.log) {
        char line[160];
        snprintf(line, sizeof line, "iter %4zu  objective %.10g  change %+.3e%s  %.3fs", e.iter,
                 e.objective, e.change, e.violation ? "  DECREASED" : "", e.seconds);
        f->o.log(f->o.log_ctx, line);
    }
    if (st != VEM_OK)
        return st;
    if (f->have_prev && fabs(e.change) < f->o.tol)
        f->converged = 1;
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
    vem_status st = evaluate(f, &obj);
    if (st != VEM_OK)
        return st;
    /* The last M-step must not have lowered the objective either. */
    if (is_violation(f, obj)) {
        f->n_violations++;
        if (f->trace_len)
            f->trace[f->trace_len - 1].violation = 1;
    }
    f->objective = obj;
    return VEM_OK;
}

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
    return f->n_obs;
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

vem_status vem_fit_run(const vem_model *m, const vem_data *x, const vem_fit_opts *o,
                       vem_rng *rng, vem_fit_result *res)
{
    vem_fit_result local;
    memset(&local, 0, sizeof local);
    if (res)
        memset(res, 0, sizeof *res);
    vem_fit *f = vem_fit_new(m, x, o);
    if (!f)
        return vem__last_status();
    const size_t n_init = f->o.warm_start ? 1 : f->o.n_init;
    const size_t plen = m->ops->params_len ? m->ops->params_len(m->self) : 0;
    double *best = NULL;
    vem_status st = VEM_OK, best_st = VEM_OK;
    double t0 = vem__now();
    int have_best = 0;
    if (n_init > 1) {
        if (!m->ops->params_get || !m->ops->params_set) {
            vem_fit_free(f);
            return VEM_FAIL(VEM_EUNSUP, "%s: restarts need params_get/params_set", m->ops->name);
        }
        best = vem__alloc_doubles(plen ? plen : 1, 1);
        if (!best) {
            vem_fit_free(f);
            return VEM_FAIL(VEM_ENOMEM, "restart parameters");
        }
    }
    for (size_t r = 0; r < n_init; r++) {
        st = vem_fit_init(f, rng);
        if (st != VEM_OK)
            goto done;
        do
            st = vem_fit_step(f);
        while (st == VEM_CONTINUE);
        if (st != VEM_OK && st != VEM_EMAXITER)
            goto done;
        vem_status run_st = st;
        st = vem_fit_finish(f);
        if (st != VEM_OK)
            goto done;
        if (!have_best || f->objective > local.objective) {
            have_best = 1;
            best_st = run_st;
            local.converged = f->converged;
            local.n_iter = f->iter;
            local.objective = f->objective;
            local.n_obs = f->n_obs;
            local.n_violations = f->n_violations;
            local.best_init = r;
            vem__free(local.trace);
            local.trace = vem__calloc(f->trace_len ? f->trace_len : 1, sizeof *local.trace);
            if (!local.trace) {
                st = VEM_FAIL(VEM_ENOMEM, "trace");
                goto done;
            }
            if (f->trace_len)
                memcpy(local.trace, f->trace, f->trace_len * sizeof *local.trace);
            local.trace_len = f->trace_len;
            if (best)
                m->ops->params_get(m->self, best);
        }
    }
    if (best) {
        st = m->ops->params_set(m->self, best);
        if (st != VEM_OK)
            goto done;
    }
    st = best_st;
done:
    local.seconds = vem__now() - t0;
    vem__free(best);
    vem_fit_free(f);
    if (res)
        *res = local;
    else
        vem__free(local.trace);
    return st;
}
