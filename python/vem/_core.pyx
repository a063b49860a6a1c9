# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""Low-level bindings to libvem (include/vem/*.h); the estimators live in vem.mixture
(mixtures) and vem.hmm (hidden Markov models).

Arrays cross as typed memoryviews of float64 C-contiguous data (no NumPy C API), so
the module compiles with Cython 0.29 and 3.x alike. Fits, predictions and scoring run
with the GIL released. A failing call raises with vem_errmsg()'s text: ValueError for
bad arguments, unsupported requests, malformed input and numerical failures (as
scikit-learn raises ValueError for ill-defined covariances), MemoryError, OSError for
file errors, RuntimeError otherwise.
"""
from libc.stdint cimport uint32_t, uint64_t
from libc.stdlib cimport malloc, free
from libc.string cimport memset

import numpy as np


cdef extern from "vem/vem.h" nogil:
    ctypedef enum vem_status:
        VEM_OK
        VEM_CONTINUE
        VEM_EINVAL
        VEM_ENOMEM
        VEM_EIO
        VEM_EFORMAT
        VEM_ENUMERIC
        VEM_EMAXITER
        VEM_EUNSUP
        VEM_EINTR

    const char *vem_strerror(vem_status s)
    const char *vem_errmsg()
    const char *vem_version()

    ctypedef struct vem_rng:
        uint64_t s[4]
    void vem_rng_seed(vem_rng *r, uint64_t seed)

    ctypedef struct vem_matrix:
        const double *data
        size_t rows, cols, ld
    vem_matrix vem_matrix_view(const double *p, size_t rows, size_t cols)

    ctypedef struct vem_data:
        vem_matrix x
    vem_data vem_data_rows(vem_matrix x)

    # fit.h
    ctypedef enum vem_algorithm:
        VEM_ALG_BATCH
    ctypedef enum vem_tol_rule:
        VEM_TOL_PER_OBS
    ctypedef enum vem_accelerate:
        VEM_ACCEL_NONE
    ctypedef enum vem_mc_schedule:
        VEM_MC_AUTO

    ctypedef struct vem_progress:
        size_t restart
        size_t n_restarts
        size_t iter
        size_t step
        double objective
        double n_obs
        double change
        double seconds
    ctypedef void (*vem_progress_fn)(void *ctx, const vem_progress *p) noexcept

    ctypedef struct vem_fit_opts:
        size_t max_iter
        double tol
        size_t n_init
        int warm_start
        int nthreads
        size_t block
        size_t nslots
        double mono_rtol
        vem_algorithm algorithm
        size_t batch_size
        double kappa
        double tau
        size_t warmup
        size_t n_blocks
        int eval_passes
        size_t init_sample
        size_t n_batches
        vem_tol_rule tol_rule
        vem_progress_fn progress
        void *progress_ctx
        const char *checkpoint
        size_t checkpoint_every
        double checkpoint_seconds
        const char *resume
        size_t mc_samples
        vem_mc_schedule mc_schedule
        double mc_growth
        size_t mc_max_samples
        size_t mc_groups
        double mc_alpha
        size_t mc_window
        size_t mc_average_from
        vem_accelerate accelerate
        size_t lbfgs_m
        double em_switch_rate
        double lr
        double beta1, beta2
        double adam_eps
        const vem_data *validation
        size_t patience

    vem_status vem_algorithm_parse(const char *name, vem_algorithm *out)
    vem_status vem_tol_rule_parse(const char *name, vem_tol_rule *out)
    vem_status vem_accelerate_parse(const char *name, vem_accelerate *out)
    vem_status vem_mc_schedule_parse(const char *name, vem_mc_schedule *out)

    ctypedef struct vem_trace_entry:
        size_t iter
        size_t step
        double objective
        double change
        int violation
        double validation
    ctypedef struct vem_fit_result:
        vem_trace_entry *trace
        size_t trace_len
        int converged
        size_t n_iter
        double objective
        double n_obs
        size_t n_violations
        size_t best_init
        size_t n_steps
        double seconds
        double n_passes
    void vem_fit_result_clear(vem_fit_result *res)
    void vem_fit_opts_init(vem_fit_opts *o)

    ctypedef struct vem_model_ops:
        size_t (*ess_len)(const void *self) noexcept nogil
        vem_status (*mstep)(void *self, const double *ess) noexcept nogil
    ctypedef struct vem_model:
        const vem_model_ops *ops
        void *self

    ctypedef struct vem_fit:
        pass
    vem_fit *vem_fit_new(const vem_model *m, const vem_data *x, const vem_fit_opts *o)
    vem_status vem_fit_run(const vem_model *m, const vem_data *x, const vem_fit_opts *o,
                           vem_rng *rng, vem_fit_result *res)
    void vem_fit_free(vem_fit *f)
    vem_status vem_fit_init(vem_fit *f, vem_rng *rng)
    vem_status vem_fit_pass(vem_fit *f, const vem_model *m, double *ess, double *objective)

    # gmm.h
    ctypedef int vem_cov
    ctypedef int vem_gmm_init
    const char *vem_cov_name(vem_cov c)
    const char *vem_cov_mclust_name(vem_cov c)
    vem_status vem_gmm_cov_parse(const char *name, vem_cov *out)
    vem_cov vem_cov_layout(vem_cov c)
    vem_status vem_gmm_init_parse(const char *name, vem_gmm_init *out)

    ctypedef struct vem_gmm:
        pass
    vem_gmm *vem_gmm_new(size_t k, size_t d, vem_cov cov)
    void vem_gmm_free(vem_gmm *g)
    size_t vem_gmm_k(const vem_gmm *g)
    size_t vem_gmm_d(const vem_gmm *g)
    vem_status vem_gmm_save(const vem_gmm *g, const char *path, const vem_fit_result *fit_info)
    vem_gmm *vem_gmm_load(const char *path)
    vem_cov vem_gmm_cov(const vem_gmm *g)
    vem_status vem_gmm_set_reg_covar(vem_gmm *g, double reg_covar)
    void vem_gmm_set_equal_weights(vem_gmm *g, int equal)
    vem_status vem_gmm_set_init(vem_gmm *g, vem_gmm_init init)
    vem_status vem_gmm_set_kmeans(vem_gmm *g, size_t max_iter, double tol)
    vem_status vem_gmm_set_init_means(vem_gmm *g, const double *means)
    vem_status vem_gmm_set_init_resp(vem_gmm *g, size_t n, const double *resp)

    ctypedef struct vem_gmm_prior:
        double shrinkage
        double dof
        const double *mean
        const double *scale
    vem_status vem_gmm_set_prior(vem_gmm *g, const vem_gmm_prior *p)
    vem_status vem_gmm_set_prior_default(vem_gmm *g, const vem_matrix *x)
    int vem_gmm_prior_params(const vem_gmm *g, vem_gmm_prior *out)
    double vem_gmm_log_prior(const vem_gmm *g)

    vem_status vem_gmm_set_params(vem_gmm *g, const double *weights, const double *means,
                                  const double *covariances)
    const double *vem_gmm_weights(const vem_gmm *g)
    const double *vem_gmm_means(const vem_gmm *g)
    const double *vem_gmm_covariances(const vem_gmm *g)
    size_t vem_gmm_covariances_len(const vem_gmm *g)
    const double *vem_gmm_precisions_cholesky(const vem_gmm *g)
    vem_model vem_gmm_model(vem_gmm *g)
    void vem_gmm_fit_opts_init(vem_fit_opts *o)
    vem_status vem_gmm_fit(vem_gmm *g, const vem_matrix *x, const vem_fit_opts *o,
                           vem_rng *rng, vem_fit_result *res)
    vem_status vem_gmm_score_samples(const vem_gmm *g, const vem_matrix *x, double *out)
    vem_status vem_gmm_score(const vem_gmm *g, const vem_matrix *x, double *mean, double *total)
    vem_status vem_gmm_predict_proba(const vem_gmm *g, const vem_matrix *x, double *out)
    vem_status vem_gmm_predict(const vem_gmm *g, const vem_matrix *x, size_t *out)
    vem_status vem_gmm_sample(const vem_gmm *g, size_t n, vem_rng *rng, double *out,
                              size_t *labels)
    size_t vem_gmm_n_parameters(const vem_gmm *g)
    double vem_gmm_bic(const vem_gmm *g, double log_likelihood, size_t n)
    double vem_gmm_aic(const vem_gmm *g, double log_likelihood)
    vem_status vem_gmm_icl(const vem_gmm *g, const vem_matrix *x, double log_likelihood,
                           double *icl)

    ctypedef enum vem_gmm_criterion:
        VEM_CRITERION_BIC
        VEM_CRITERION_ICL
    ctypedef struct vem_gmm_select_cell:
        size_t k
        vem_cov cov
        vem_status status
        double log_likelihood
        double bic, aic
        double icl
        size_t n_parameters
        size_t n_iter
        int converged
    vem_status vem_gmm_select_by(const vem_matrix *x, const size_t *ks, size_t nk,
                                 const vem_cov *covs, size_t ncov, vem_gmm_init init,
                                 double reg_covar, const vem_fit_opts *o, uint64_t seed,
                                 int prior, vem_gmm_criterion criterion,
                                 vem_gmm_select_cell *cells, vem_gmm **best)

    # vbgmm.h
    ctypedef int vem_vb_weight_prior
    vem_status vem_vb_weight_prior_parse(const char *name, vem_vb_weight_prior *out)
    ctypedef struct vem_vbgmm:
        pass
    vem_vbgmm *vem_vbgmm_new(size_t k, size_t d, vem_cov cov)
    void vem_vbgmm_free(vem_vbgmm *v)
    size_t vem_vbgmm_k(const vem_vbgmm *v)
    size_t vem_vbgmm_d(const vem_vbgmm *v)
    vem_cov vem_vbgmm_cov(const vem_vbgmm *v)
    vem_status vem_vbgmm_save(const vem_vbgmm *v, const char *path,
                              const vem_fit_result *fit_info)
    vem_vbgmm *vem_vbgmm_load(const char *path)
    vem_status vem_vbgmm_set_weight_prior(vem_vbgmm *v, vem_vb_weight_prior p)
    vem_status vem_vbgmm_set_weight_concentration_prior(vem_vbgmm *v, double alpha0)
    double vem_vbgmm_weight_concentration_prior(const vem_vbgmm *v)
    vem_status vem_vbgmm_set_mean_precision_prior(vem_vbgmm *v, double beta0)
    double vem_vbgmm_mean_precision_prior(const vem_vbgmm *v)
    vem_status vem_vbgmm_set_dof_prior(vem_vbgmm *v, double nu0)
    double vem_vbgmm_dof_prior(const vem_vbgmm *v)
    vem_status vem_vbgmm_set_mean_prior(vem_vbgmm *v, const double *m0)
    const double *vem_vbgmm_mean_prior(const vem_vbgmm *v)
    vem_status vem_vbgmm_set_covariance_prior(vem_vbgmm *v, const double *c0)
    const double *vem_vbgmm_covariance_prior(const vem_vbgmm *v)
    vem_status vem_vbgmm_set_reg_covar(vem_vbgmm *v, double reg_covar)
    vem_status vem_vbgmm_set_init(vem_vbgmm *v, vem_gmm_init init)
    const double *vem_vbgmm_weights(const vem_vbgmm *v)
    const double *vem_vbgmm_means(const vem_vbgmm *v)
    const double *vem_vbgmm_covariances(const vem_vbgmm *v)
    size_t vem_vbgmm_covariances_len(const vem_vbgmm *v)
    const double *vem_vbgmm_mean_precision(const vem_vbgmm *v)
    const double *vem_vbgmm_dof(const vem_vbgmm *v)
    const double *vem_vbgmm_weight_concentration(const vem_vbgmm *v)
    size_t vem_vbgmm_weight_concentration_len(const vem_vbgmm *v)
    const double *vem_vbgmm_counts(const vem_vbgmm *v)
    vem_status vem_vbgmm_set_posterior(vem_vbgmm *v, const double *conc, const double *beta,
                                       const double *means, const double *dof,
                                       const double *covariances)
    void vem_vbgmm_fit_opts_init(vem_fit_opts *o)
    vem_status vem_vbgmm_fit(vem_vbgmm *v, const vem_matrix *x, const vem_fit_opts *o,
                             vem_rng *rng, vem_fit_result *res)
    vem_status vem_vbgmm_elbo(const vem_vbgmm *v, const vem_matrix *x, double *elbo)
    vem_status vem_vbgmm_score_samples(const vem_vbgmm *v, const vem_matrix *x, double *out)
    vem_status vem_vbgmm_predict_proba(const vem_vbgmm *v, const vem_matrix *x, double *out)
    vem_status vem_vbgmm_predict(const vem_vbgmm *v, const vem_matrix *x, size_t *out)
    vem_status vem_vbgmm_sample(const vem_vbgmm *v, size_t n, vem_rng *rng, double *out,
                                size_t *labels)


__version__ = vem_version().decode()


# ---------------------------------------------------------------- errors

cdef object _error_text(vem_status s):
    msg = vem_errmsg()
    text = msg.decode("utf-8", "replace") if msg is not NULL and msg[0] != 0 else ""
    return text or vem_strerror(s).decode("utf-8", "replace")


cdef int check(vem_status s) except -1:
    """Raise for an error status; VEM_OK, VEM_CONTINUE and VEM_EMAXITER pass."""
    if s >= 0 or s == VEM_EMAXITER:
        return 0
    text = _error_text(s)
    if s == VEM_ENOMEM:
        raise MemoryError(text)
    if s == VEM_EIO:
        raise OSError(text)
    if s in (VEM_EINVAL, VEM_EUNSUP, VEM_EFORMAT, VEM_ENUMERIC):
        raise ValueError(text)
    raise RuntimeError(text)


cdef int _raise_load(str path) except -1:
    """Raise for a failed vem_*_load of path: OSError when the file is missing or
    unreadable, ValueError for a malformed model file."""
    text = _error_text(VEM_EFORMAT)
    import os
    if not os.path.exists(path):
        raise OSError(text)
    raise ValueError(text)


cdef vem_matrix view(const double[:, ::1] x):
    if x.shape[0] == 0:
        return vem_matrix_view(NULL, 0, <size_t>x.shape[1])
    return vem_matrix_view(&x[0, 0], <size_t>x.shape[0], <size_t>x.shape[1])


cdef const double *ptr1(const double[::1] a):
    return &a[0] if a.shape[0] > 0 else NULL


cdef object _copy(const double *p, size_t n):
    """A numpy copy of n doubles at p (None for NULL)."""
    if p is NULL:
        return None
    if n == 0:
        return np.empty(0)
    return np.asarray(<const double[:n]>p).copy()


cdef const double *_ptr(object a, size_t n, str what) except? NULL:
    """The data of a float64 C-contiguous 1-D array of n values (checked)."""
    cdef const double[::1] v = a
    if <size_t>v.shape[0] != n:
        raise ValueError("%s: %d values needed, got %d" % (what, n, v.shape[0]))
    if n == 0:
        return NULL
    return &v[0]


cdef object _states_array(const size_t *s, size_t n):
    """n size_t values (labels, states) as a numpy intp array."""
    out = np.empty(n, dtype=np.intp)
    cdef Py_ssize_t[::1] o = out
    cdef size_t i
    for i in range(n):
        o[i] = <Py_ssize_t>s[i]
    return out


cdef class _Indices:
    """Room for n size_t values that a libvem call writes (labels, states), freed with
    the object; array() gives them as numpy intp."""
    cdef size_t *p
    cdef size_t n

    def __cinit__(self, size_t n):
        self.p = <size_t *>malloc((n if n else 1) * sizeof(size_t))
        if self.p is NULL:
            raise MemoryError()
        self.n = n

    def __dealloc__(self):
        free(self.p)

    cdef object array(self):
        return _states_array(self.p, self.n)


cdef vem_gmm_init _gmm_init(str name) except? -1:
    """The initialisation named name (vem_gmm_init_parse); ValueError if none."""
    cdef vem_gmm_init i = 0
    b = name.encode()
    check(vem_gmm_init_parse(b, &i))
    return i


def cov_parse(str name):
    """(code, layout name, mclust name) of a covariance structure name."""
    cdef vem_cov c = 0
    b = name.encode()
    check(vem_gmm_cov_parse(b, &c))
    return int(c), vem_cov_name(vem_cov_layout(c)).decode(), vem_cov_mclust_name(c).decode()


def cov_names():
    """The 14 structures: (vem name, mclust name)."""
    out = []
    cdef int c
    for c in range(14):
        out.append((vem_cov_name(c).decode(), vem_cov_mclust_name(c).decode()))
    return out


# ---------------------------------------------------------------- options

cdef class FitOptions:
    """A vem_fit_opts with the strings it points to kept alive, initialised with the
    defaults of model ('gmm', 'vbgmm', 'hmm', 'vbhmm'; 'engine', 'lda', 'blr': the
    engine's, vem_fit_opts_init)."""
    cdef vem_fit_opts o
    cdef object keep
    cdef object progress

    def __cinit__(self, str model="gmm"):
        if model == "vbgmm":
            vem_vbgmm_fit_opts_init(&self.o)
        elif model == "hmm":
            vem_hmm_fit_opts_init(&self.o)
        elif model == "vbhmm":
            vem_vbhmm_fit_opts_init(&self.o)
        elif model in ("engine", "lda", "blr"):
            vem_fit_opts_init(&self.o)
        else:
            vem_gmm_fit_opts_init(&self.o)
        self.keep = []
        self.progress = None

    def set(self, **kw):
        """Set fields of vem_fit_opts by name (None leaves a field as it is)."""
        cdef vem_algorithm alg
        cdef vem_tol_rule rule
        cdef vem_accelerate acc
        cdef vem_mc_schedule sched
        for key, val in kw.items():
            if val is None:
                continue
            if key == "max_iter":
                self.o.max_iter = val
            elif key == "tol":
                self.o.tol = val
            elif key == "n_init":
                self.o.n_init = val
            elif key == "warm_start":
                self.o.warm_start = 1 if val else 0
            elif key == "n_threads":
                self.o.nthreads = val
            elif key == "block":
                self.o.block = val
            elif key == "nslots":
                self.o.nslots = val
            elif key == "mono_rtol":
                self.o.mono_rtol = val
            elif key == "algorithm":
                b = str(val).encode()
                check(vem_algorithm_parse(b, &alg))
                self.o.algorithm = alg
            elif key == "tol_rule":
                b = str(val).encode()
                check(vem_tol_rule_parse(b, &rule))
                self.o.tol_rule = rule
            elif key == "accelerate":
                b = str(val).encode()
                check(vem_accelerate_parse(b, &acc))
                self.o.accelerate = acc
            elif key == "mc_schedule":
                b = str(val).encode()
                check(vem_mc_schedule_parse(b, &sched))
                self.o.mc_schedule = sched
            elif key == "batch_size":
                self.o.batch_size = val
            elif key == "kappa":
                self.o.kappa = val
            elif key == "tau":
                self.o.tau = val
            elif key == "warmup":
                self.o.warmup = val
            elif key == "n_blocks":
                self.o.n_blocks = val
            elif key == "eval_passes":
                self.o.eval_passes = 1 if val else 0
            elif key == "init_sample":
                self.o.init_sample = val
            elif key == "n_batches":
                self.o.n_batches = val
            elif key == "checkpoint":
                b = str(val).encode()
                self.keep.append(b)
                self.o.checkpoint = b
            elif key == "checkpoint_every":
                self.o.checkpoint_every = val
            elif key == "checkpoint_seconds":
                self.o.checkpoint_seconds = val
            elif key == "resume":
                b = str(val).encode()
                self.keep.append(b)
                self.o.resume = b
            elif key == "mc_samples":
                self.o.mc_samples = val
            elif key == "mc_growth":
                self.o.mc_growth = val
            elif key == "mc_max_samples":
                self.o.mc_max_samples = val
            elif key == "mc_groups":
                self.o.mc_groups = val
            elif key == "mc_alpha":
                self.o.mc_alpha = val
            elif key == "mc_window":
                self.o.mc_window = val
            elif key == "mc_average_from":
                self.o.mc_average_from = val
            elif key == "lbfgs_m":
                self.o.lbfgs_m = val
            elif key == "em_switch_rate":
                self.o.em_switch_rate = val
            elif key == "lr":
                self.o.lr = val
            elif key == "beta1":
                self.o.beta1 = val
            elif key == "beta2":
                self.o.beta2 = val
            elif key == "adam_eps":
                self.o.adam_eps = val
            elif key == "patience":
                self.o.patience = val
            else:
                raise TypeError("unknown engine option %r" % key)
        return self

    def set_progress(self, callback):
        """callback(restart, iteration, objective, change): called with the GIL held."""
        self.progress = callback
        if callback is None:
            self.o.progress = NULL
            self.o.progress_ctx = NULL
        else:
            self.o.progress = _progress
            self.o.progress_ctx = <void *>self

    @property
    def max_iter(self):
        return self.o.max_iter


cdef void _progress(void *ctx, const vem_progress *p) noexcept with gil:
    cdef FitOptions fo = <FitOptions>ctx
    if p.step != 0:
        return
    try:
        fo.progress(p.restart, p.iter, p.objective, p.change)
    except BaseException:
        pass


cdef dict _result(vem_status s, const vem_fit_result *res):
    cdef size_t i
    trace = []
    validation = []
    if res.trace is not NULL:
        for i in range(res.trace_len):
            if res.trace[i].step == 0:
                trace.append(res.trace[i].objective)
                validation.append(res.trace[i].validation)
    return {"trace": trace, "validation": validation, "status": int(s),
            "converged": bool(res.converged),
            "n_iter": res.n_iter, "objective": res.objective, "n_obs": res.n_obs,
            "n_violations": res.n_violations, "best_init": res.best_init,
            "n_steps": res.n_steps, "seconds": res.seconds, "n_passes": res.n_passes}


cdef dict _fit_result(vem_status s, vem_fit_result *res):
    """A fit's outcome: raise for an error status, else _result's dict; res is cleared
    either way."""
    try:
        check(s)
        return _result(s, res)
    finally:
        vem_fit_result_clear(res)


cdef uint64_t _seed(seed) except? 0:
    return <uint64_t>(int(seed) & 0xFFFFFFFFFFFFFFFF)


# ---------------------------------------------------------------- Gaussian mixture

cdef class Gmm:
    """Owner of one vem_gmm (include/vem/gmm.h)."""
    cdef vem_gmm *g
    cdef readonly size_t k, d
    cdef readonly int cov, layout

    def __cinit__(self):
        self.g = NULL

    def __init__(self, size_t k, size_t d, str covariance):
        cdef vem_cov c = 0
        b = covariance.encode()
        check(vem_gmm_cov_parse(b, &c))
        self.g = vem_gmm_new(k, d, c)
        if self.g is NULL:
            check(VEM_EINVAL if k == 0 or d == 0 else VEM_ENOMEM)
        self._shape()

    cdef _shape(self):
        self.k = vem_gmm_k(self.g)
        self.d = vem_gmm_d(self.g)
        self.cov = vem_gmm_cov(self.g)
        self.layout = vem_cov_layout(self.cov)

    def __dealloc__(self):
        vem_gmm_free(self.g)

    @staticmethod
    def load(str path):
        """The model of a "gmm" model file (vem_gmm_load)."""
        cdef Gmm m = Gmm.__new__(Gmm)
        b = path.encode()
        m.g = vem_gmm_load(b)
        if m.g is NULL:
            _raise_load(path)
        m._shape()
        return m

    def save(self, str path):
        b = path.encode()
        check(vem_gmm_save(self.g, b, NULL))

    @property
    def layout_name(self):
        return vem_cov_name(self.layout).decode()

    def set_reg_covar(self, double reg):
        check(vem_gmm_set_reg_covar(self.g, reg))

    def set_equal_weights(self, bint equal):
        vem_gmm_set_equal_weights(self.g, 1 if equal else 0)

    def set_init(self, str name):
        check(vem_gmm_set_init(self.g, _gmm_init(name)))

    def set_kmeans(self, size_t max_iter, double tol):
        check(vem_gmm_set_kmeans(self.g, max_iter, tol))

    def set_init_means(self, const double[::1] means):
        if <size_t>means.shape[0] != self.k * self.d:
            raise ValueError("means_init must have %d x %d values" % (self.k, self.d))
        check(vem_gmm_set_init_means(self.g, &means[0]))

    def set_init_resp(self, const double[:, ::1] resp):
        if <size_t>resp.shape[1] != self.k:
            raise ValueError("responsibilities must have %d columns" % self.k)
        check(vem_gmm_set_init_resp(self.g, <size_t>resp.shape[0], &resp[0, 0]))

    def set_prior(self, double shrinkage, double dof, const double[::1] mean,
                  const double[::1] scale):
        cdef vem_gmm_prior p
        if <size_t>mean.shape[0] != self.d or <size_t>scale.shape[0] != self.d * self.d:
            raise ValueError("prior mean needs %d values and scale %d x %d" %
                             (self.d, self.d, self.d))
        p.shrinkage = shrinkage
        p.dof = dof
        p.mean = &mean[0]
        p.scale = &scale[0]
        check(vem_gmm_set_prior(self.g, &p))

    def set_prior_default(self, const double[:, ::1] x):
        cdef vem_matrix m = view(x)
        check(vem_gmm_set_prior_default(self.g, &m))

    def prior(self):
        """(shrinkage, dof, mean, scale) or None."""
        cdef vem_gmm_prior p
        if not vem_gmm_prior_params(self.g, &p):
            return None
        d = self.d
        return (p.shrinkage, p.dof, np.asarray(<const double[:d]>p.mean).copy(),
                np.asarray(<const double[:d * d]>p.scale).copy().reshape(d, d))

    def log_prior(self):
        return vem_gmm_log_prior(self.g)

    def set_params(self, const double[::1] weights, const double[::1] means,
                   const double[::1] covariances):
        if (<size_t>weights.shape[0] != self.k or <size_t>means.shape[0] != self.k * self.d
                or <size_t>covariances.shape[0] != vem_gmm_covariances_len(self.g)):
            raise ValueError("parameters of the wrong size: weights %d, means %d, "
                             "covariances %d values needed" %
                             (self.k, self.k * self.d, vem_gmm_covariances_len(self.g)))
        check(vem_gmm_set_params(self.g, &weights[0], &means[0], &covariances[0]))

    def params(self):
        """(weights (k), means (k, d), covariances (flat), precisions_cholesky (flat))."""
        k, d = self.k, self.d
        cl = vem_gmm_covariances_len(self.g)
        w = np.asarray(<const double[:k]>vem_gmm_weights(self.g)).copy()
        m = np.asarray(<const double[:k * d]>vem_gmm_means(self.g)).copy().reshape(k, d)
        c = np.asarray(<const double[:cl]>vem_gmm_covariances(self.g)).copy()
        p = np.asarray(<const double[:cl]>vem_gmm_precisions_cholesky(self.g)).copy()
        return w, m, c, p

    def fit(self, const double[:, ::1] x, FitOptions opts, seed):
        cdef vem_matrix m = view(x)
        cdef vem_rng rng
        cdef vem_fit_result res
        cdef vem_status s
        vem_rng_seed(&rng, _seed(seed))
        memset(&res, 0, sizeof(res))
        with nogil:
            s = vem_gmm_fit(self.g, &m, &opts.o, &rng, &res)
        return _fit_result(s, &res)

    def initialize(self, const double[:, ::1] x, FitOptions opts, seed):
        """Only the initialisation of a fit (the model's init on x), no EM iteration."""
        cdef vem_matrix m = view(x)
        cdef vem_data data = vem_data_rows(m)
        cdef vem_model model = vem_gmm_model(self.g)
        cdef vem_rng rng
        cdef vem_fit *f
        cdef vem_status s
        vem_rng_seed(&rng, _seed(seed))
        if m.rows < self.k:
            raise ValueError("%d rows, fewer than n_components=%d" % (m.rows, self.k))
        with nogil:
            f = vem_fit_new(&model, &data, &opts.o)
            if f is NULL:
                s = VEM_EINVAL
            else:
                s = vem_fit_init(f, &rng)
                vem_fit_free(f)
        check(s)

    def stepwise_update(self, const double[:, ::1] x, FitOptions opts, object stats,
                        double gamma, double scale):
        """One stepwise-EM step on the rows of x (partial_fit): s = the ESS of x at the
        current parameters, S <- (1 - gamma) S + gamma scale s / rows (S = scale s / rows
        when stats is None), then the M-step from S. Returns (S, log-likelihood of x)."""
        cdef vem_matrix m = view(x)
        cdef vem_data data = vem_data_rows(m)
        cdef vem_model model = vem_gmm_model(self.g)
        cdef vem_fit *f
        cdef vem_status s = VEM_OK
        cdef double obj = 0.0
        cdef size_t n = model.ops.ess_len(model.self), i
        cdef double[::1] ess = np.zeros(n)
        cdef double[::1] acc
        cdef double a
        with nogil:
            f = vem_fit_new(&model, &data, &opts.o)
            if f is NULL:
                s = VEM_EINVAL
            else:
                s = vem_fit_pass(f, &model, &ess[0], &obj)
                vem_fit_free(f)
        check(s)
        a = scale / <double>m.rows
        if stats is None:
            acc = np.empty(n)
            for i in range(n):
                acc[i] = a * ess[i]
        else:
            acc = np.array(stats, dtype=np.float64)
            if <size_t>acc.shape[0] != n:
                raise ValueError("statistics of the wrong length")
            for i in range(n):
                acc[i] = (1.0 - gamma) * acc[i] + gamma * a * ess[i]
        with nogil:
            s = model.ops.mstep(model.self, &acc[0])
        check(s)
        return np.asarray(acc), obj

    def score_samples(self, const double[:, ::1] x):
        cdef vem_matrix m = view(x)
        out = np.empty(x.shape[0])
        cdef double[::1] o = out
        cdef vem_status s = VEM_OK
        if x.shape[0] > 0:
            with nogil:
                s = vem_gmm_score_samples(self.g, &m, &o[0])
        check(s)
        return out

    def score(self, const double[:, ::1] x):
        """(mean, total) log-likelihood, summed as the engine sums a fit."""
        cdef vem_matrix m = view(x)
        cdef double mean = 0.0, total = 0.0
        cdef vem_status s
        with nogil:
            s = vem_gmm_score(self.g, &m, &mean, &total)
        check(s)
        return mean, total

    def predict_proba(self, const double[:, ::1] x):
        cdef vem_matrix m = view(x)
        out = np.empty((x.shape[0], self.k))
        cdef double[:, ::1] o = out
        cdef vem_status s = VEM_OK
        if x.shape[0] > 0:
            with nogil:
                s = vem_gmm_predict_proba(self.g, &m, &o[0, 0])
        check(s)
        return out

    def predict(self, const double[:, ::1] x):
        cdef vem_matrix m = view(x)
        cdef size_t n = x.shape[0]
        cdef _Indices lab = _Indices(n)
        cdef vem_status s = VEM_OK
        if n > 0:
            with nogil:
                s = vem_gmm_predict(self.g, &m, lab.p)
        check(s)
        return lab.array()

    def sample(self, size_t n, seed):
        cdef vem_rng rng
        cdef _Indices lab = _Indices(n)
        cdef vem_status s = VEM_OK
        vem_rng_seed(&rng, _seed(seed))
        out = np.empty((n, self.d))
        cdef double[:, ::1] o = out
        if n > 0:
            with nogil:
                s = vem_gmm_sample(self.g, n, &rng, &o[0, 0], lab.p)
        check(s)
        return out, lab.array()

    def n_parameters(self):
        return vem_gmm_n_parameters(self.g)

    def bic(self, double ll, size_t n):
        return vem_gmm_bic(self.g, ll, n)

    def aic(self, double ll):
        return vem_gmm_aic(self.g, ll)

    def icl(self, const double[:, ::1] x, double ll):
        cdef vem_matrix m = view(x)
        cdef double v = 0.0
        cdef vem_status s
        with nogil:
            s = vem_gmm_icl(self.g, &m, ll, &v)
        check(s)
        return v


def gmm_select(const double[:, ::1] x, ks, covs, str init, double reg_covar, FitOptions opts,
               seed, bint prior, str criterion):
    """vem_gmm_select_by: (cells as a list of dicts, (k, covariance) of the best)."""
    cdef size_t nk = len(ks), ncov = len(covs), i, c
    cdef vem_matrix m = view(x)
    cdef vem_gmm_init gi = 0
    cdef vem_gmm *best = NULL
    cdef vem_status s
    cdef vem_gmm_criterion crit = VEM_CRITERION_ICL if criterion == "icl" else VEM_CRITERION_BIC
    cdef uint64_t sd = _seed(seed)
    if nk == 0 or ncov == 0:
        raise ValueError("select: empty list of components or covariance types")
    gi = _gmm_init(init)
    cdef size_t *kv = <size_t *>malloc(nk * sizeof(size_t))
    cdef vem_cov *cv = <vem_cov *>malloc(ncov * sizeof(vem_cov))
    cdef vem_gmm_select_cell *cells = <vem_gmm_select_cell *>malloc(
        nk * ncov * sizeof(vem_gmm_select_cell))
    try:
        if kv is NULL or cv is NULL or cells is NULL:
            raise MemoryError()
        for i in range(nk):
            if int(ks[i]) < 1:
                raise ValueError("n_components must be >= 1, got %r" % (ks[i],))
            kv[i] = int(ks[i])
        for i in range(ncov):
            cv[i] = cov_parse(covs[i])[0]
        with nogil:
            s = vem_gmm_select_by(&m, kv, nk, cv, ncov, gi, reg_covar, &opts.o, sd,
                                  1 if prior else 0, crit, cells, &best)
        check(s)
        out = []
        for c in range(nk * ncov):
            ok = cells[c].status == VEM_OK or cells[c].status == VEM_EMAXITER
            out.append({
                "n_components": cells[c].k,
                "covariance_type": vem_cov_name(cells[c].cov).decode(),
                "mclust": vem_cov_mclust_name(cells[c].cov).decode(),
                "log_likelihood": cells[c].log_likelihood,
                "bic": cells[c].bic, "aic": cells[c].aic, "icl": cells[c].icl,
                "n_parameters": cells[c].n_parameters, "n_iter": cells[c].n_iter,
                "converged": bool(cells[c].converged),
                "status": "ok" if ok else vem_strerror(cells[c].status).decode()})
        return out
    finally:
        vem_gmm_free(best)
        free(kv)
        free(cv)
        free(cells)


# ---------------------------------------------------------------- variational Bayes

cdef class Vbgmm:
    """Owner of one vem_vbgmm (include/vem/vbgmm.h)."""
    cdef vem_vbgmm *v
    cdef readonly size_t k, d
    cdef readonly str covariance

    def __cinit__(self):
        self.v = NULL

    def __init__(self, size_t k, size_t d, str covariance):
        cdef vem_cov c = 0
        if covariance not in ("full", "diag"):
            raise ValueError("covariance_type %r: vem's BayesianGaussianMixture takes 'full' "
                             "or 'diag'" % covariance)
        b = covariance.encode()
        check(vem_gmm_cov_parse(b, &c))
        self.v = vem_vbgmm_new(k, d, c)
        if self.v is NULL:
            check(VEM_EINVAL if k == 0 or d == 0 else VEM_ENOMEM)
        self._shape()

    cdef _shape(self):
        self.k = vem_vbgmm_k(self.v)
        self.d = vem_vbgmm_d(self.v)
        self.covariance = vem_cov_name(vem_vbgmm_cov(self.v)).decode()

    def __dealloc__(self):
        vem_vbgmm_free(self.v)

    @staticmethod
    def load(str path):
        """The posterior of a "vbgmm" model file (vem_vbgmm_load)."""
        cdef Vbgmm m = Vbgmm.__new__(Vbgmm)
        b = path.encode()
        m.v = vem_vbgmm_load(b)
        if m.v is NULL:
            _raise_load(path)
        m._shape()
        return m

    def save(self, str path):
        b = path.encode()
        check(vem_vbgmm_save(self.v, b, NULL))

    def set_priors(self, str weight_prior, alpha0, beta0, nu0, mean, cov, double reg_covar):
        """None for a prior leaves vem's default (scikit-learn's, resolved from the data)."""
        cdef vem_vb_weight_prior wp = 0
        cdef const double[::1] mv
        cdef const double[::1] cv
        b = weight_prior.encode()
        check(vem_vb_weight_prior_parse(b, &wp))
        check(vem_vbgmm_set_weight_prior(self.v, wp))
        check(vem_vbgmm_set_weight_concentration_prior(
            self.v, float("nan") if alpha0 is None else alpha0))
        check(vem_vbgmm_set_mean_precision_prior(self.v, 1.0 if beta0 is None else beta0))
        check(vem_vbgmm_set_dof_prior(self.v, float("nan") if nu0 is None else nu0))
        if mean is None:
            check(vem_vbgmm_set_mean_prior(self.v, NULL))
        else:
            mv = mean
            if <size_t>mv.shape[0] != self.d:
                raise ValueError("mean_prior must have %d values" % self.d)
            check(vem_vbgmm_set_mean_prior(self.v, &mv[0]))
        if cov is None:
            check(vem_vbgmm_set_covariance_prior(self.v, NULL))
        else:
            cv = cov
            if <size_t>cv.shape[0] != (self.d * self.d if self.covariance == "full" else self.d):
                raise ValueError("covariance_prior has the wrong size")
            check(vem_vbgmm_set_covariance_prior(self.v, &cv[0]))
        check(vem_vbgmm_set_reg_covar(self.v, reg_covar))

    def priors(self):
        """(alpha0, beta0, nu0, mean prior or None, covariance prior (flat) or None)."""
        d = self.d
        cl = d * d if self.covariance == "full" else d
        mp = vem_vbgmm_mean_prior(self.v)
        cp = vem_vbgmm_covariance_prior(self.v)
        return (vem_vbgmm_weight_concentration_prior(self.v),
                vem_vbgmm_mean_precision_prior(self.v), vem_vbgmm_dof_prior(self.v),
                None if mp is NULL else np.asarray(<const double[:d]>mp).copy(),
                None if cp is NULL else np.asarray(<const double[:cl]>cp).copy())

    def set_init(self, str name):
        check(vem_vbgmm_set_init(self.v, _gmm_init(name)))

    def posterior(self):
        k, d = self.k, self.d
        cl = vem_vbgmm_covariances_len(self.v)
        wl = vem_vbgmm_weight_concentration_len(self.v)
        return {
            "weights": np.asarray(<const double[:k]>vem_vbgmm_weights(self.v)).copy(),
            "means": np.asarray(<const double[:k * d]>vem_vbgmm_means(self.v)).copy()
                     .reshape(k, d),
            "covariances": np.asarray(<const double[:cl]>vem_vbgmm_covariances(self.v)).copy(),
            "mean_precision": np.asarray(<const double[:k]>vem_vbgmm_mean_precision(self.v))
                              .copy(),
            "dof": np.asarray(<const double[:k]>vem_vbgmm_dof(self.v)).copy(),
            "weight_concentration":
                np.asarray(<const double[:wl]>vem_vbgmm_weight_concentration(self.v)).copy(),
            "counts": np.asarray(<const double[:k]>vem_vbgmm_counts(self.v)).copy()}

    def set_posterior(self, const double[::1] conc, const double[::1] beta,
                      const double[::1] means, const double[::1] dof,
                      const double[::1] covariances):
        if (<size_t>conc.shape[0] != vem_vbgmm_weight_concentration_len(self.v)
                or <size_t>beta.shape[0] != self.k or <size_t>dof.shape[0] != self.k
                or <size_t>means.shape[0] != self.k * self.d
                or <size_t>covariances.shape[0] != vem_vbgmm_covariances_len(self.v)):
            raise ValueError("posterior parameters of the wrong size")
        check(vem_vbgmm_set_posterior(self.v, &conc[0], &beta[0], &means[0], &dof[0],
                                      &covariances[0]))

    def fit(self, const double[:, ::1] x, FitOptions opts, seed):
        cdef vem_matrix m = view(x)
        cdef vem_rng rng
        cdef vem_fit_result res
        cdef vem_status s
        vem_rng_seed(&rng, _seed(seed))
        memset(&res, 0, sizeof(res))
        with nogil:
            s = vem_vbgmm_fit(self.v, &m, &opts.o, &rng, &res)
        return _fit_result(s, &res)

    def elbo(self, const double[:, ::1] x):
        cdef vem_matrix m = view(x)
        cdef double e = 0.0
        cdef vem_status s
        with nogil:
            s = vem_vbgmm_elbo(self.v, &m, &e)
        check(s)
        return e

    def score_samples(self, const double[:, ::1] x):
        cdef vem_matrix m = view(x)
        out = np.empty(x.shape[0])
        cdef double[::1] o = out
        cdef vem_status s = VEM_OK
        if x.shape[0] > 0:
            with nogil:
                s = vem_vbgmm_score_samples(self.v, &m, &o[0])
        check(s)
        return out

    def predict_proba(self, const double[:, ::1] x):
        cdef vem_matrix m = view(x)
        out = np.empty((x.shape[0], self.k))
        cdef double[:, ::1] o = out
        cdef vem_status s = VEM_OK
        if x.shape[0] > 0:
            with nogil:
                s = vem_vbgmm_predict_proba(self.v, &m, &o[0, 0])
        check(s)
        return out

    def sample(self, size_t n, seed):
        cdef vem_rng rng
        cdef _Indices lab = _Indices(n)
        cdef vem_status s = VEM_OK
        vem_rng_seed(&rng, _seed(seed))
        out = np.empty((n, self.d))
        cdef double[:, ::1] o = out
        if n > 0:
            with nogil:
                s = vem_vbgmm_sample(self.v, n, &rng, &o[0, 0], lab.p)
        check(s)
        return out, lab.array()


# ---------------------------------------------------------------- hidden Markov models

cdef extern from "vem/vem.h" nogil:
    ctypedef struct vem_seqs:
        size_t *start
        size_t n_seq
    void vem_seqs_clear(vem_seqs *s)
    vem_status vem_seqs_from_lengths(const size_t *lengths, size_t n_seq, vem_seqs *s)

    ctypedef int vem_hmm_emission
    ctypedef int vem_hmm_init
    ctypedef int vem_hmm_trans_init
    vem_status vem_hmm_emission_parse(const char *name, vem_hmm_emission *out)
    const char *vem_hmm_emission_name(vem_hmm_emission e)
    vem_status vem_hmm_init_parse(const char *name, vem_hmm_init *out)
    vem_status vem_hmm_trans_init_parse(const char *name, vem_hmm_trans_init *out)

    ctypedef struct vem_hmm:
        pass
    vem_hmm *vem_hmm_new_gmm(size_t k, vem_hmm_emission emission, size_t n_mix, size_t d,
                             vem_cov cov)
    void vem_hmm_free(vem_hmm *h)
    vem_hmm *vem_hmm_copy(const vem_hmm *h)
    size_t vem_hmm_k(const vem_hmm *h)
    vem_hmm_emission vem_hmm_emission_type(const vem_hmm *h)
    size_t vem_hmm_dim(const vem_hmm *h)
    vem_cov vem_hmm_cov(const vem_hmm *h)
    vem_status vem_hmm_set_startprob(vem_hmm *h, const double *pi)
    vem_status vem_hmm_set_transmat(vem_hmm *h, const double *a)
    vem_status vem_hmm_set_gaussian(vem_hmm *h, const double *means, const double *covariances)
    vem_status vem_hmm_set_emissionprob(vem_hmm *h, const double *b)
    vem_status vem_hmm_set_lambdas(vem_hmm *h, const double *lambdas)
    vem_status vem_hmm_set_n_trials(vem_hmm *h, size_t n_trials)
    size_t vem_hmm_n_trials(const vem_hmm *h)
    const double *vem_hmm_startprob(const vem_hmm *h)
    const double *vem_hmm_transmat(const vem_hmm *h)
    const double *vem_hmm_means(const vem_hmm *h)
    const double *vem_hmm_covariances(const vem_hmm *h)
    size_t vem_hmm_covariances_len(const vem_hmm *h)
    const double *vem_hmm_emissionprob(const vem_hmm *h)
    const double *vem_hmm_lambdas(const vem_hmm *h)
    size_t vem_hmm_n_mix(const vem_hmm *h)
    const vem_gmm *vem_hmm_state_mixture(const vem_hmm *h, size_t state)
    vem_status vem_hmm_set_state_mixture(vem_hmm *h, size_t state, const double *weights,
                                         const double *means, const double *covariances)
    vem_status vem_hmm_set_init(vem_hmm *h, vem_hmm_init init)
    vem_status vem_hmm_set_trans_init(vem_hmm *h, vem_hmm_trans_init init)
    vem_status vem_hmm_set_update(vem_hmm *h, const char *letters)
    const char *vem_hmm_update(const vem_hmm *h, char *buf)
    vem_status vem_hmm_set_init_params(vem_hmm *h, const char *letters)
    const char *vem_hmm_init_params(const vem_hmm *h, char *buf)
    ctypedef struct vem_hmm_priors:
        double startprob, transmat, emissionprob
        double lambdas_prior, lambdas_weight
    vem_status vem_hmm_set_priors(vem_hmm *h, const vem_hmm_priors *p)
    double vem_hmm_log_prior(const vem_hmm *h)
    void vem_hmm_priors_get(const vem_hmm *h, vem_hmm_priors *p)
    vem_status vem_hmm_set_gaussian_prior_default(vem_hmm *h, const vem_matrix *x)
    vem_status vem_hmm_set_reg_covar(vem_hmm *h, double reg_covar)
    double vem_hmm_reg_covar(const vem_hmm *h)
    void vem_hmm_set_threads(vem_hmm *h, int nthreads)
    void vem_hmm_fit_opts_init(vem_fit_opts *o)
    vem_status vem_hmm_fit(vem_hmm *h, const vem_matrix *x, const vem_seqs *seqs,
                           const vem_fit_opts *o, vem_rng *rng, vem_fit_result *res)
    vem_status vem_hmm_score(const vem_hmm *h, const vem_matrix *x, const vem_seqs *seqs,
                             double *mean, double *total)
    vem_status vem_hmm_score_sequences(const vem_hmm *h, const vem_matrix *x,
                                       const vem_seqs *seqs, double *out)
    vem_status vem_hmm_decode(const vem_hmm *h, const vem_matrix *x, const vem_seqs *seqs,
                              size_t *states, double *log_prob)
    vem_status vem_hmm_decode_map(const vem_hmm *h, const vem_matrix *x, const vem_seqs *seqs,
                                  size_t *states)
    vem_status vem_hmm_score_frames(const vem_hmm *h, const vem_matrix *x,
                                    const vem_seqs *seqs, double *out)
    vem_status vem_hmm_predict_proba(const vem_hmm *h, const vem_matrix *x,
                                     const vem_seqs *seqs, double *out)
    vem_status vem_hmm_sample_from(const vem_hmm *h, size_t n, size_t start_state,
                                   vem_rng *rng, double *out, size_t *states)
    size_t vem_hmm_n_parameters(const vem_hmm *h)
    double vem_hmm_bic(const vem_hmm *h, double log_likelihood, size_t n)
    double vem_hmm_aic(const vem_hmm *h, double log_likelihood)
    vem_status vem_hmm_save(const vem_hmm *h, const char *path, const vem_fit_result *fit_info)
    char *vem_hmm_to_json(const vem_hmm *h)
    vem_hmm *vem_hmm_load(const char *path)

    # vbhmm.h
    ctypedef struct vem_vbhmm:
        pass
    vem_vbhmm *vem_vbhmm_new(size_t k, vem_hmm_emission emission, size_t dim, vem_cov cov)
    void vem_vbhmm_free(vem_vbhmm *v)
    size_t vem_vbhmm_k(const vem_vbhmm *v)
    size_t vem_vbhmm_dim(const vem_vbhmm *v)
    vem_hmm_emission vem_vbhmm_emission_type(const vem_vbhmm *v)
    vem_cov vem_vbhmm_cov(const vem_vbhmm *v)
    vem_status vem_vbhmm_set_startprob_prior(vem_vbhmm *v, const double *a0)
    vem_status vem_vbhmm_set_transmat_prior(vem_vbhmm *v, const double *a0)
    vem_status vem_vbhmm_set_emissionprob_prior(vem_vbhmm *v, const double *b0)
    vem_status vem_vbhmm_set_means_prior(vem_vbhmm *v, const double *m0)
    vem_status vem_vbhmm_set_beta_prior(vem_vbhmm *v, double beta0)
    vem_status vem_vbhmm_set_dof_prior(vem_vbhmm *v, double nu0)
    vem_status vem_vbhmm_set_scale_prior(vem_vbhmm *v, const double *s0)
    vem_status vem_vbhmm_set_lambdas_prior(vem_vbhmm *v, double shape, const double *rate)
    const double *vem_vbhmm_startprob_prior(const vem_vbhmm *v)
    const double *vem_vbhmm_transmat_prior(const vem_vbhmm *v)
    const double *vem_vbhmm_emissionprob_prior(const vem_vbhmm *v)
    const double *vem_vbhmm_means_prior(const vem_vbhmm *v)
    double vem_vbhmm_beta_prior(const vem_vbhmm *v)
    double vem_vbhmm_dof_prior(const vem_vbhmm *v)
    const double *vem_vbhmm_scale_prior(const vem_vbhmm *v)
    double vem_vbhmm_lambdas_shape_prior(const vem_vbhmm *v)
    const double *vem_vbhmm_lambdas_rate_prior(const vem_vbhmm *v)
    vem_status vem_vbhmm_set_init(vem_vbhmm *v, vem_hmm_init init)
    vem_status vem_vbhmm_set_trans_init(vem_vbhmm *v, vem_hmm_trans_init init)
    vem_status vem_vbhmm_set_moves(vem_vbhmm *v, int on)
    size_t vem_vbhmm_moves_accepted(const vem_vbhmm *v)
    const double *vem_vbhmm_startprob_posterior(const vem_vbhmm *v)
    const double *vem_vbhmm_transmat_posterior(const vem_vbhmm *v)
    const double *vem_vbhmm_means(const vem_vbhmm *v)
    const double *vem_vbhmm_beta_posterior(const vem_vbhmm *v)
    const double *vem_vbhmm_dof_posterior(const vem_vbhmm *v)
    const double *vem_vbhmm_scale_posterior(const vem_vbhmm *v)
    size_t vem_vbhmm_covariances_len(const vem_vbhmm *v)
    const double *vem_vbhmm_emissionprob_posterior(const vem_vbhmm *v)
    const double *vem_vbhmm_lambdas_shape_posterior(const vem_vbhmm *v)
    const double *vem_vbhmm_lambdas_rate_posterior(const vem_vbhmm *v)
    const double *vem_vbhmm_startprob(const vem_vbhmm *v)
    const double *vem_vbhmm_transmat(const vem_vbhmm *v)
    const double *vem_vbhmm_covariances(const vem_vbhmm *v)
    const double *vem_vbhmm_emissionprob(const vem_vbhmm *v)
    const double *vem_vbhmm_lambdas(const vem_vbhmm *v)
    const double *vem_vbhmm_occupancy(const vem_vbhmm *v)
    size_t vem_vbhmm_effective_states(const vem_vbhmm *v)
    vem_status vem_vbhmm_set_posterior_transitions(vem_vbhmm *v, const double *start,
                                                   const double *trans)
    vem_status vem_vbhmm_set_posterior_gaussian(vem_vbhmm *v, const double *means,
                                                const double *beta, const double *dof,
                                                const double *scale)
    vem_status vem_vbhmm_set_posterior_categorical(vem_vbhmm *v, const double *b)
    vem_status vem_vbhmm_set_posterior_poisson(vem_vbhmm *v, const double *shape,
                                               const double *rate)
    void vem_vbhmm_fit_opts_init(vem_fit_opts *o)
    vem_status vem_vbhmm_fit(vem_vbhmm *v, const vem_matrix *x, const vem_seqs *seqs,
                             const vem_fit_opts *o, vem_rng *rng, vem_fit_result *res)
    vem_status vem_vbhmm_elbo(const vem_vbhmm *v, const vem_matrix *x, const vem_seqs *seqs,
                              double *elbo)
    vem_hmm *vem_vbhmm_to_hmm(const vem_vbhmm *v)
    vem_status vem_vbhmm_save(const vem_vbhmm *v, const char *path,
                              const vem_fit_result *fit_info)
    char *vem_vbhmm_to_json(const vem_vbhmm *v)
    vem_vbhmm *vem_vbhmm_load(const char *path)


cdef vem_hmm_init _hmm_init(str name) except? -1:
    """The emissions' initialisation named name (vem_hmm_init_parse)."""
    cdef vem_hmm_init i = 0
    b = name.encode()
    check(vem_hmm_init_parse(b, &i))
    return i


cdef vem_hmm_trans_init _hmm_trans_init(str name) except? -1:
    """The transitions' initialisation named name (vem_hmm_trans_init_parse)."""
    cdef vem_hmm_trans_init i = 0
    b = name.encode()
    check(vem_hmm_trans_init_parse(b, &i))
    return i


cdef class Seqs:
    """vem_seqs from sequence lengths (each >= 1, summing to the rows)."""
    cdef vem_seqs s
    cdef readonly size_t n_seq

    def __cinit__(self, lengths):
        cdef size_t n = len(lengths), i
        cdef size_t *lv = <size_t *>malloc((n if n else 1) * sizeof(size_t))
        memset(&self.s, 0, sizeof(self.s))
        if lv is NULL:
            raise MemoryError()
        try:
            for i in range(n):
                v = int(lengths[i])
                if v < 1:
                    raise ValueError("lengths: sequence %d has length %d; each must be >= 1"
                                     % (i, v))
                lv[i] = v
            check(vem_seqs_from_lengths(lv, n, &self.s))
            self.n_seq = n
        finally:
            free(lv)

    def __dealloc__(self):
        vem_seqs_clear(&self.s)


cdef inline const vem_seqs *_sq(Seqs seqs):
    return NULL if seqs is None else &seqs.s


def hmm_emission_name(int e):
    n = vem_hmm_emission_name(e)
    return None if n is NULL else n.decode()


cdef class Hmm:
    """Owner of one vem_hmm (include/vem/hmm.h)."""
    cdef vem_hmm *h

    def __cinit__(self):
        self.h = NULL

    def __init__(self, size_t k, str emission, size_t dim, str covariance="full",
                 size_t n_mix=1):
        cdef vem_hmm_emission e = 0
        cdef vem_cov c = 0
        b = emission.encode()
        check(vem_hmm_emission_parse(b, &e))
        if emission in ("gaussian", "gmm"):
            b = covariance.encode()
            check(vem_gmm_cov_parse(b, &c))
        self.h = vem_hmm_new_gmm(k, e, n_mix, dim, c)
        if self.h is NULL:
            raise ValueError(_error_text(VEM_EINVAL))

    def __dealloc__(self):
        vem_hmm_free(self.h)

    @staticmethod
    def load(str path):
        cdef Hmm m = Hmm.__new__(Hmm)
        b = path.encode()
        m.h = vem_hmm_load(b)
        if m.h is NULL:
            _raise_load(path)
        return m

    def copy(self):
        cdef Hmm m = Hmm.__new__(Hmm)
        m.h = vem_hmm_copy(self.h)
        if m.h is NULL:
            raise MemoryError(_error_text(VEM_ENOMEM))
        return m

    # ---- shape

    @property
    def k(self):
        return vem_hmm_k(self.h)

    @property
    def dim(self):
        return vem_hmm_dim(self.h)

    @property
    def n_mix(self):
        return vem_hmm_n_mix(self.h)

    @property
    def emission(self):
        return vem_hmm_emission_name(vem_hmm_emission_type(self.h)).decode()

    @property
    def covariance(self):
        """(vem name of the layout, mclust name) of Gaussian emissions."""
        cdef vem_cov c = vem_hmm_cov(self.h)
        return vem_cov_name(vem_cov_layout(c)).decode(), vem_cov_mclust_name(c).decode()

    # ---- parameters

    def set_startprob(self, object a):
        check(vem_hmm_set_startprob(self.h, _ptr(a, vem_hmm_k(self.h), "startprob")))

    def set_transmat(self, object a):
        cdef size_t k = vem_hmm_k(self.h)
        check(vem_hmm_set_transmat(self.h, _ptr(a, k * k, "transmat")))

    def set_gaussian(self, object means, object covariances):
        cdef size_t k = vem_hmm_k(self.h), d = vem_hmm_dim(self.h)
        cdef const double *mp = _ptr(means, k * d, "means")
        cdef const double *cp = _ptr(covariances, vem_hmm_covariances_len(self.h),
                                     "covariances")
        check(vem_hmm_set_gaussian(self.h, mp, cp))

    def set_emissionprob(self, object b):
        cdef size_t k = vem_hmm_k(self.h), m = vem_hmm_dim(self.h)
        check(vem_hmm_set_emissionprob(self.h, _ptr(b, k * m, "emissionprob")))

    def set_lambdas(self, object lam):
        cdef size_t k = vem_hmm_k(self.h), d = vem_hmm_dim(self.h)
        check(vem_hmm_set_lambdas(self.h, _ptr(lam, k * d, "lambdas")))

    def set_n_trials(self, size_t n):
        check(vem_hmm_set_n_trials(self.h, n))

    @property
    def n_trials(self):
        return vem_hmm_n_trials(self.h)

    def set_state_mixture(self, size_t state, object weights, object means, object covs):
        cdef size_t m = vem_hmm_n_mix(self.h), d = vem_hmm_dim(self.h)
        cdef const vem_gmm *g
        if state >= vem_hmm_k(self.h):
            raise ValueError("state %d of %d" % (state, vem_hmm_k(self.h)))
        g = vem_hmm_state_mixture(self.h, state)
        if g is NULL:
            raise ValueError("not a Gaussian-mixture HMM")
        cdef const double *wp = _ptr(weights, m, "weights")
        cdef const double *mp = _ptr(means, m * d, "means")
        cdef const double *cp = _ptr(covs, vem_gmm_covariances_len(g), "covariances")
        check(vem_hmm_set_state_mixture(self.h, state, wp, mp, cp))

    def params(self):
        """A dict of the parameters (flat arrays) that the emission has."""
        cdef size_t k = vem_hmm_k(self.h), d = vem_hmm_dim(self.h), s, m, cl
        cdef const vem_gmm *g
        out = {"startprob": _copy(vem_hmm_startprob(self.h), k),
               "transmat": _copy(vem_hmm_transmat(self.h), k * k)}
        e = self.emission
        if e == "gaussian":
            out["means"] = _copy(vem_hmm_means(self.h), k * d)
            out["covariances"] = _copy(vem_hmm_covariances(self.h),
                                       vem_hmm_covariances_len(self.h))
        elif e == "gmm":
            m = vem_hmm_n_mix(self.h)
            ws, ms, cs = [], [], []
            for s in range(k):
                g = vem_hmm_state_mixture(self.h, s)
                cl = vem_gmm_covariances_len(g)
                ws.append(_copy(vem_gmm_weights(g), m))
                ms.append(_copy(vem_gmm_means(g), m * d))
                cs.append(_copy(vem_gmm_covariances(g), cl))
            out["weights"] = np.concatenate(ws)
            out["means"] = np.concatenate(ms)
            out["covariances"] = np.concatenate(cs)
        elif e == "poisson":
            out["lambdas"] = _copy(vem_hmm_lambdas(self.h), k * d)
        else:
            out["emissionprob"] = _copy(vem_hmm_emissionprob(self.h), k * d)
        return out

    # ---- options

    def set_init(self, str name):
        check(vem_hmm_set_init(self.h, _hmm_init(name)))

    def set_trans_init(self, str name):
        check(vem_hmm_set_trans_init(self.h, _hmm_trans_init(name)))

    def set_update(self, str letters):
        b = letters.encode()
        check(vem_hmm_set_update(self.h, b))

    def set_init_params(self, str letters):
        b = letters.encode()
        check(vem_hmm_set_init_params(self.h, b))

    def update_letters(self):
        cdef char buf[8]
        return vem_hmm_update(self.h, buf).decode()

    def init_letters(self):
        cdef char buf[8]
        return vem_hmm_init_params(self.h, buf).decode()

    def set_priors(self, double startprob, double transmat, double emissionprob,
                   double lambdas_prior, double lambdas_weight):
        cdef vem_hmm_priors p
        p.startprob = startprob
        p.transmat = transmat
        p.emissionprob = emissionprob
        p.lambdas_prior = lambdas_prior
        p.lambdas_weight = lambdas_weight
        check(vem_hmm_set_priors(self.h, &p))

    def priors(self):
        cdef vem_hmm_priors p
        vem_hmm_priors_get(self.h, &p)
        return (p.startprob, p.transmat, p.emissionprob, p.lambdas_prior, p.lambdas_weight)

    def set_gaussian_prior_default(self, const double[:, ::1] x):
        cdef vem_matrix m = view(x)
        check(vem_hmm_set_gaussian_prior_default(self.h, &m))

    def log_prior(self):
        return vem_hmm_log_prior(self.h)

    def set_reg_covar(self, double reg):
        check(vem_hmm_set_reg_covar(self.h, reg))

    def set_threads(self, int n):
        vem_hmm_set_threads(self.h, n)

    # ---- fitting and inference

    def fit(self, const double[:, ::1] x, Seqs seqs, FitOptions opts, seed):
        cdef vem_matrix m = view(x)
        cdef const vem_seqs *sp = _sq(seqs)
        cdef vem_rng rng
        cdef vem_fit_result res
        cdef vem_status s
        vem_rng_seed(&rng, _seed(seed))
        memset(&res, 0, sizeof(res))
        with nogil:
            s = vem_hmm_fit(self.h, &m, sp, &opts.o, &rng, &res)
        return _fit_result(s, &res)

    def score(self, const double[:, ::1] x, Seqs seqs):
        """(mean per frame, total) log-likelihood."""
        cdef vem_matrix m = view(x)
        cdef const vem_seqs *sp = _sq(seqs)
        cdef double mean = 0.0, total = 0.0
        cdef vem_status s
        with nogil:
            s = vem_hmm_score(self.h, &m, sp, &mean, &total)
        check(s)
        return mean, total

    def score_sequences(self, const double[:, ::1] x, Seqs seqs):
        cdef vem_matrix m = view(x)
        cdef const vem_seqs *sp = _sq(seqs)
        out = np.empty(1 if seqs is None else seqs.n_seq)
        cdef double[::1] o = out
        cdef vem_status s
        with nogil:
            s = vem_hmm_score_sequences(self.h, &m, sp, &o[0])
        check(s)
        return out

    def score_frames(self, const double[:, ::1] x, Seqs seqs):
        cdef vem_matrix m = view(x)
        cdef const vem_seqs *sp = _sq(seqs)
        out = np.empty(x.shape[0])
        cdef double[::1] o = out
        cdef vem_status s = VEM_OK
        if x.shape[0] > 0:
            with nogil:
                s = vem_hmm_score_frames(self.h, &m, sp, &o[0])
        check(s)
        return out

    def decode(self, const double[:, ::1] x, Seqs seqs, bint map_rule=False):
        """(log probability of the Viterbi path or NaN for map, states)."""
        cdef vem_matrix m = view(x)
        cdef const vem_seqs *sp = _sq(seqs)
        cdef size_t n = x.shape[0]
        cdef _Indices st = _Indices(n)
        cdef double lp = float("nan")
        cdef vem_status s
        with nogil:
            if map_rule:
                s = vem_hmm_decode_map(self.h, &m, sp, st.p)
            else:
                s = vem_hmm_decode(self.h, &m, sp, st.p, &lp)
        check(s)
        return lp, st.array()

    def predict_proba(self, const double[:, ::1] x, Seqs seqs):
        cdef vem_matrix m = view(x)
        cdef const vem_seqs *sp = _sq(seqs)
        cdef size_t k = vem_hmm_k(self.h)
        out = np.empty((x.shape[0], k))
        cdef double[:, ::1] o = out
        cdef vem_status s = VEM_OK
        if x.shape[0] > 0:
            with nogil:
                s = vem_hmm_predict_proba(self.h, &m, sp, &o[0, 0])
        check(s)
        return out

    def sample(self, size_t n, start_state, seed):
        """(frames n x dim (categorical: n x 1 codes), states)."""
        cdef vem_rng rng
        cdef size_t start = <size_t>-1 if start_state is None else <size_t>start_state
        cdef size_t cols = 1 if self.emission == "categorical" else vem_hmm_dim(self.h)
        cdef _Indices st = _Indices(n)
        cdef vem_status s = VEM_OK
        vem_rng_seed(&rng, _seed(seed))
        out = np.empty((n, cols))
        cdef double[:, ::1] o = out
        if n > 0:
            with nogil:
                s = vem_hmm_sample_from(self.h, n, start, &rng, &o[0, 0], st.p)
        check(s)
        return out, st.array()

    def n_parameters(self):
        return vem_hmm_n_parameters(self.h)

    def bic(self, double ll, size_t n):
        return vem_hmm_bic(self.h, ll, n)

    def aic(self, double ll):
        return vem_hmm_aic(self.h, ll)

    def save(self, str path):
        b = path.encode()
        check(vem_hmm_save(self.h, b, NULL))

    def to_json(self):
        cdef char *t = vem_hmm_to_json(self.h)
        if t is NULL:
            raise ValueError(_error_text(VEM_EINVAL))
        try:
            return t.decode("utf-8")
        finally:
            free(t)


cdef class Vbhmm:
    """Owner of one vem_vbhmm (include/vem/vbhmm.h)."""
    cdef vem_vbhmm *v

    def __cinit__(self):
        self.v = NULL

    def __init__(self, size_t k, str emission, size_t dim, str covariance="full"):
        cdef vem_hmm_emission e = 0
        cdef vem_cov c = 0
        b = emission.encode()
        check(vem_hmm_emission_parse(b, &e))
        if emission == "gaussian":
            b = covariance.encode()
            check(vem_gmm_cov_parse(b, &c))
        self.v = vem_vbhmm_new(k, e, dim, c)
        if self.v is NULL:
            raise ValueError(_error_text(VEM_EINVAL))

    def __dealloc__(self):
        vem_vbhmm_free(self.v)

    @staticmethod
    def load(str path):
        cdef Vbhmm m = Vbhmm.__new__(Vbhmm)
        b = path.encode()
        m.v = vem_vbhmm_load(b)
        if m.v is NULL:
            _raise_load(path)
        return m

    @property
    def k(self):
        return vem_vbhmm_k(self.v)

    @property
    def dim(self):
        return vem_vbhmm_dim(self.v)

    @property
    def emission(self):
        return vem_hmm_emission_name(vem_vbhmm_emission_type(self.v)).decode()

    @property
    def covariance(self):
        return vem_cov_name(vem_cov_layout(vem_vbhmm_cov(self.v))).decode()

    cdef size_t _scale_len(self):
        cdef size_t d = vem_vbhmm_dim(self.v)
        c = self.covariance
        return d * d if c in ("full", "tied") else 1 if c == "spherical" else d

    cdef size_t _dof_len(self):
        return 1 if self.covariance == "tied" else vem_vbhmm_k(self.v)

    # ---- priors (None restores the default)

    def set_startprob_prior(self, object a):
        check(vem_vbhmm_set_startprob_prior(
            self.v, NULL if a is None else _ptr(a, vem_vbhmm_k(self.v), "startprob_prior")))

    def set_transmat_prior(self, object a):
        cdef size_t k = vem_vbhmm_k(self.v)
        check(vem_vbhmm_set_transmat_prior(
            self.v, NULL if a is None else _ptr(a, k * k, "transmat_prior")))

    def set_emissionprob_prior(self, object b):
        cdef size_t n = vem_vbhmm_k(self.v) * vem_vbhmm_dim(self.v)
        check(vem_vbhmm_set_emissionprob_prior(
            self.v, NULL if b is None else _ptr(b, n, "emissionprob_prior")))

    def set_means_prior(self, object m0):
        check(vem_vbhmm_set_means_prior(
            self.v, NULL if m0 is None else _ptr(m0, vem_vbhmm_dim(self.v), "means_prior")))

    def set_beta_prior(self, double b):
        check(vem_vbhmm_set_beta_prior(self.v, b))

    def set_dof_prior(self, double nu):
        check(vem_vbhmm_set_dof_prior(self.v, nu))

    def set_scale_prior(self, object s0):
        check(vem_vbhmm_set_scale_prior(
            self.v, NULL if s0 is None else _ptr(s0, self._scale_len(), "scale_prior")))

    def set_lambdas_prior(self, double shape, object rate):
        check(vem_vbhmm_set_lambdas_prior(
            self.v, shape,
            NULL if rate is None else _ptr(rate, vem_vbhmm_dim(self.v), "lambdas_rate_prior")))

    def priors(self):
        cdef size_t k = vem_vbhmm_k(self.v), d = vem_vbhmm_dim(self.v)
        e = self.emission
        out = {"startprob": _copy(vem_vbhmm_startprob_prior(self.v), k),
               "transmat": _copy(vem_vbhmm_transmat_prior(self.v), k * k)}
        if e == "gaussian":
            out["means"] = _copy(vem_vbhmm_means_prior(self.v), d)
            out["beta"] = vem_vbhmm_beta_prior(self.v)
            out["dof"] = vem_vbhmm_dof_prior(self.v)
            out["scale"] = _copy(vem_vbhmm_scale_prior(self.v), self._scale_len())
        elif e == "categorical":
            out["emissionprob"] = _copy(vem_vbhmm_emissionprob_prior(self.v), k * d)
        else:
            out["lambdas_shape"] = vem_vbhmm_lambdas_shape_prior(self.v)
            out["lambdas_rate"] = _copy(vem_vbhmm_lambdas_rate_prior(self.v), d)
        return out

    # ---- options

    def set_init(self, str name):
        check(vem_vbhmm_set_init(self.v, _hmm_init(name)))

    def set_trans_init(self, str name):
        check(vem_vbhmm_set_trans_init(self.v, _hmm_trans_init(name)))

    def set_moves(self, bint on):
        check(vem_vbhmm_set_moves(self.v, 1 if on else 0))

    def moves_accepted(self):
        return vem_vbhmm_moves_accepted(self.v)

    # ---- posterior

    def posterior(self):
        cdef size_t k = vem_vbhmm_k(self.v), d = vem_vbhmm_dim(self.v)
        cdef size_t cl = vem_vbhmm_covariances_len(self.v)
        e = self.emission
        out = {"startprob_posterior": _copy(vem_vbhmm_startprob_posterior(self.v), k),
               "transmat_posterior": _copy(vem_vbhmm_transmat_posterior(self.v), k * k),
               "startprob": _copy(vem_vbhmm_startprob(self.v), k),
               "transmat": _copy(vem_vbhmm_transmat(self.v), k * k),
               "occupancy": _copy(vem_vbhmm_occupancy(self.v), k),
               "effective_states": vem_vbhmm_effective_states(self.v)}
        if e == "gaussian":
            out["means"] = _copy(vem_vbhmm_means(self.v), k * d)
            out["beta_posterior"] = _copy(vem_vbhmm_beta_posterior(self.v), k)
            out["dof_posterior"] = _copy(vem_vbhmm_dof_posterior(self.v), self._dof_len())
            out["scale_posterior"] = _copy(vem_vbhmm_scale_posterior(self.v), cl)
            out["covariances"] = _copy(vem_vbhmm_covariances(self.v), cl)
        elif e == "categorical":
            out["emissionprob_posterior"] = _copy(vem_vbhmm_emissionprob_posterior(self.v),
                                                  k * d)
            out["emissionprob"] = _copy(vem_vbhmm_emissionprob(self.v), k * d)
        else:
            out["lambdas_shape_posterior"] = _copy(vem_vbhmm_lambdas_shape_posterior(self.v),
                                                   k * d)
            out["lambdas_rate_posterior"] = _copy(vem_vbhmm_lambdas_rate_posterior(self.v),
                                                  k * d)
            out["lambdas"] = _copy(vem_vbhmm_lambdas(self.v), k * d)
        return out

    def set_posterior_transitions(self, object start, object trans):
        cdef size_t k = vem_vbhmm_k(self.v)
        cdef const double *sp = _ptr(start, k, "startprob_posterior")
        cdef const double *tp = _ptr(trans, k * k, "transmat_posterior")
        check(vem_vbhmm_set_posterior_transitions(self.v, sp, tp))

    def set_posterior_gaussian(self, object means, object beta, object dof, object scale):
        cdef size_t k = vem_vbhmm_k(self.v), d = vem_vbhmm_dim(self.v)
        cdef const double *mp = _ptr(means, k * d, "means_posterior")
        cdef const double *bp = _ptr(beta, k, "beta_posterior")
        cdef const double *dp = _ptr(dof, self._dof_len(), "dof_posterior")
        cdef const double *sp = _ptr(scale, vem_vbhmm_covariances_len(self.v),
                                     "scale_posterior")
        check(vem_vbhmm_set_posterior_gaussian(self.v, mp, bp, dp, sp))

    def set_posterior_categorical(self, object b):
        cdef size_t n = vem_vbhmm_k(self.v) * vem_vbhmm_dim(self.v)
        check(vem_vbhmm_set_posterior_categorical(self.v, _ptr(b, n, "emissionprob_posterior")))

    def set_posterior_poisson(self, object shape, object rate):
        cdef size_t n = vem_vbhmm_k(self.v) * vem_vbhmm_dim(self.v)
        cdef const double *sp = _ptr(shape, n, "lambdas_shape_posterior")
        cdef const double *rp = _ptr(rate, n, "lambdas_rate_posterior")
        check(vem_vbhmm_set_posterior_poisson(self.v, sp, rp))

    # ---- fitting and inference

    def fit(self, const double[:, ::1] x, Seqs seqs, FitOptions opts, seed):
        cdef vem_matrix m = view(x)
        cdef const vem_seqs *sp = _sq(seqs)
        cdef vem_rng rng
        cdef vem_fit_result res
        cdef vem_status s
        vem_rng_seed(&rng, _seed(seed))
        memset(&res, 0, sizeof(res))
        with nogil:
            s = vem_vbhmm_fit(self.v, &m, sp, &opts.o, &rng, &res)
        return _fit_result(s, &res)

    def elbo(self, const double[:, ::1] x, Seqs seqs):
        cdef vem_matrix m = view(x)
        cdef const vem_seqs *sp = _sq(seqs)
        cdef double e = 0.0
        cdef vem_status s
        with nogil:
            s = vem_vbhmm_elbo(self.v, &m, sp, &e)
        check(s)
        return e

    def to_hmm(self):
        """The plug-in HMM of the posterior means (vem_vbhmm_to_hmm)."""
        cdef Hmm m = Hmm.__new__(Hmm)
        m.h = vem_vbhmm_to_hmm(self.v)
        if m.h is NULL:
            raise ValueError(_error_text(VEM_ENUMERIC))
        return m

    def save(self, str path):
        b = path.encode()
        check(vem_vbhmm_save(self.v, b, NULL))

    def to_json(self):
        cdef char *t = vem_vbhmm_to_json(self.v)
        if t is NULL:
            raise ValueError(_error_text(VEM_EINVAL))
        try:
            return t.decode("utf-8")
        finally:
            free(t)


# ---------------------------------------------------------------- LDA and Bayesian linear regression

cdef extern from "vem/vem.h" nogil:
    ctypedef struct vem_docs:
        size_t ndocs, nvocab
        const size_t *ptr
        const uint32_t *word
        const double *count

    # lda.h
    ctypedef struct vem_lda:
        pass
    ctypedef struct vem_lda_pass_info:
        size_t n_docs
        size_t n_converged
        double mean_sweeps
    ctypedef struct vem_lda_score_result:
        size_t n_docs
        double n_tokens
        double bound
        double bound_per_word
        double perplexity
        size_t n_converged
    vem_lda *vem_lda_new(size_t k, size_t v)
    void vem_lda_free(vem_lda *l)
    size_t vem_lda_k(const vem_lda *l)
    size_t vem_lda_v(const vem_lda *l)
    double vem_lda_eta(const vem_lda *l)
    vem_status vem_lda_save(const vem_lda *l, const char *path, const vem_fit_result *fit_info)
    vem_lda *vem_lda_load(const char *path)
    vem_status vem_lda_set_alpha(vem_lda *l, double alpha)
    double vem_lda_alpha(const vem_lda *l)
    vem_status vem_lda_set_eta(vem_lda *l, double eta)
    vem_status vem_lda_set_estep(vem_lda *l, double tol, size_t max_sweeps)
    vem_status vem_lda_set_lambda(vem_lda *l, const double *lam)
    void vem_lda_get_lambda(const vem_lda *l, double *out)
    vem_status vem_lda_fit(vem_lda *l, const vem_docs *docs, const vem_fit_opts *o,
                           vem_rng *rng, vem_fit_result *res, vem_lda_pass_info *info)
    vem_status vem_lda_transform(const vem_lda *l, const vem_docs *docs, int normalised,
                                 int nthreads, double *out)
    vem_status vem_lda_score(const vem_lda *l, const vem_docs *docs, int nthreads,
                             vem_lda_score_result *r)

    # blr.h
    ctypedef struct vem_blr:
        pass
    ctypedef enum vem_blr_update:
        VEM_BLR_MACKAY
        VEM_BLR_VB
    vem_blr *vem_blr_new(size_t d)
    void vem_blr_free(vem_blr *b)
    size_t vem_blr_d(const vem_blr *b)
    vem_status vem_blr_save(const vem_blr *b, const char *path, const vem_fit_result *fit_info)
    vem_blr *vem_blr_load(const char *path)
    vem_status vem_blr_set_ard(vem_blr *b, int ard)
    vem_status vem_blr_update_parse(const char *name, vem_blr_update *out)
    vem_status vem_blr_set_ard_update(vem_blr *b, vem_blr_update u)
    vem_status vem_blr_set_intercept(vem_blr *b, int on)
    vem_status vem_blr_set_standardize(vem_blr *b, int on)
    vem_status vem_blr_set_hyperpriors(vem_blr *b, double a0, double b0, double c0, double d0)
    vem_status vem_blr_set_prune_threshold(vem_blr *b, double threshold)
    vem_status vem_blr_fit(vem_blr *b, const vem_matrix *x, const double *y,
                           const vem_fit_opts *o, vem_fit_result *res)
    const double *vem_blr_coef(const vem_blr *b)
    void vem_blr_coef_cov(const vem_blr *b, double *out)
    double vem_blr_intercept(const vem_blr *b)
    double vem_blr_noise_precision(const vem_blr *b)
    const double *vem_blr_weight_precision(const vem_blr *b)
    size_t vem_blr_weight_precision_len(const vem_blr *b)
    int vem_blr_pruned(const vem_blr *b, size_t i)
    vem_status vem_blr_predict(const vem_blr *b, const vem_matrix *x, double *mean, double *sd)
    size_t vem_blr_state_len(const vem_blr *b)
    void vem_blr_state_get(const vem_blr *b, double *out)
    vem_status vem_blr_state_set(vem_blr *b, const double *inp)


cdef vem_docs _docs(const long long[::1] indptr, const uint32_t[::1] words,
                    const double[::1] counts, size_t nvocab):
    """A borrowed CSR corpus over the arrays of a scipy.sparse matrix (int64 indptr,
    uint32 column indices, float64 counts)."""
    cdef vem_docs d
    d.ndocs = <size_t>(indptr.shape[0] - 1)
    d.nvocab = nvocab
    d.ptr = <const size_t *>&indptr[0]
    d.word = &words[0] if words.shape[0] > 0 else NULL
    d.count = &counts[0] if counts.shape[0] > 0 else NULL
    return d


cdef class Lda:
    """Owner of one vem_lda (include/vem/lda.h). Corpora are CSR triples (indptr as
    int64, which is size_t here: the module is built for 64-bit platforms only)."""
    cdef vem_lda *l
    cdef readonly size_t k, v

    def __cinit__(self):
        if sizeof(size_t) != sizeof(long long):
            raise RuntimeError("vem.Lda needs a 64-bit size_t")
        self.l = NULL

    def __init__(self, size_t k, size_t v):
        self.l = vem_lda_new(k, v)
        if self.l is NULL:
            check(VEM_EINVAL if k == 0 or v == 0 else VEM_ENOMEM)
        self.k = k
        self.v = v

    def __dealloc__(self):
        vem_lda_free(self.l)

    @staticmethod
    def load(str path):
        """The model of an "lda" model file and its .npy (vem_lda_load)."""
        cdef Lda m = Lda.__new__(Lda)
        b = path.encode()
        m.l = vem_lda_load(b)
        if m.l is NULL:
            _raise_load(path)
        m.k = vem_lda_k(m.l)
        m.v = vem_lda_v(m.l)
        return m

    def save(self, str path):
        b = path.encode()
        check(vem_lda_save(self.l, b, NULL))

    @property
    def eta(self):
        return vem_lda_eta(self.l)

    def set_priors(self, double alpha, double eta):
        check(vem_lda_set_alpha(self.l, alpha))
        check(vem_lda_set_eta(self.l, eta))

    def set_estep(self, double tol, size_t max_sweeps):
        check(vem_lda_set_estep(self.l, tol, max_sweeps))

    @property
    def alpha(self):
        return vem_lda_alpha(self.l)

    def set_lambda(self, const double[:, ::1] lam):
        if <size_t>lam.shape[0] != self.k or <size_t>lam.shape[1] != self.v:
            raise ValueError("lambda must be %d x %d" % (self.k, self.v))
        check(vem_lda_set_lambda(self.l, &lam[0, 0]))

    def get_lambda(self):
        out = np.empty((self.k, self.v), dtype=np.float64)
        cdef double[:, ::1] o = out
        vem_lda_get_lambda(self.l, &o[0, 0])
        return out

    def fit(self, const long long[::1] indptr, const uint32_t[::1] words,
            const double[::1] counts, FitOptions opts, seed):
        cdef vem_docs d = _docs(indptr, words, counts, self.v)
        cdef vem_rng rng
        cdef vem_fit_result res
        cdef vem_lda_pass_info info
        cdef vem_status s
        vem_rng_seed(&rng, _seed(seed))
        memset(&res, 0, sizeof(res))
        memset(&info, 0, sizeof(info))
        with nogil:
            s = vem_lda_fit(self.l, &d, &opts.o, &rng, &res, &info)
        out = _fit_result(s, &res)
        out["last_pass"] = (info.n_docs, info.n_converged, info.mean_sweeps)
        return out

    def transform(self, const long long[::1] indptr, const uint32_t[::1] words,
                  const double[::1] counts, bint normalised, int nthreads):
        cdef vem_docs d = _docs(indptr, words, counts, self.v)
        out = np.zeros((d.ndocs, self.k), dtype=np.float64)
        cdef double[:, ::1] o = out
        cdef vem_status s = VEM_OK
        if d.ndocs == 0:
            return out
        with nogil:
            s = vem_lda_transform(self.l, &d, 1 if normalised else 0, nthreads, &o[0, 0])
        check(s)
        return out

    def score(self, const long long[::1] indptr, const uint32_t[::1] words,
              const double[::1] counts, int nthreads):
        """(bound, n_tokens, n_docs, n_converged) of vem_lda_score."""
        cdef vem_docs d = _docs(indptr, words, counts, self.v)
        cdef vem_lda_score_result r
        cdef vem_status s
        memset(&r, 0, sizeof(r))
        with nogil:
            s = vem_lda_score(self.l, &d, nthreads, &r)
        check(s)
        return r.bound, r.n_tokens, r.n_docs, r.n_converged


cdef class Blr:
    """Owner of one vem_blr (include/vem/blr.h)."""
    cdef vem_blr *b
    cdef readonly size_t d

    def __cinit__(self):
        self.b = NULL

    def __init__(self, size_t d):
        self.b = vem_blr_new(d)
        if self.b is NULL:
            check(VEM_EINVAL if d == 0 else VEM_ENOMEM)
        self.d = d

    def __dealloc__(self):
        vem_blr_free(self.b)

    @staticmethod
    def load(str path):
        """The model of a "blr" model file (vem_blr_load)."""
        cdef Blr m = Blr.__new__(Blr)
        b = path.encode()
        m.b = vem_blr_load(b)
        if m.b is NULL:
            _raise_load(path)
        m.d = vem_blr_d(m.b)
        return m

    def save(self, str path):
        b = path.encode()
        check(vem_blr_save(self.b, b, NULL))

    def configure(self, bint ard, str update, bint intercept, bint standardize,
                  double a0, double b0, double c0, double d0, double threshold):
        cdef vem_blr_update u = VEM_BLR_MACKAY
        bu = update.encode()
        check(vem_blr_update_parse(bu, &u))
        check(vem_blr_set_ard(self.b, 1 if ard else 0))
        check(vem_blr_set_ard_update(self.b, u))
        check(vem_blr_set_intercept(self.b, 1 if intercept else 0))
        check(vem_blr_set_standardize(self.b, 1 if standardize else 0))
        check(vem_blr_set_hyperpriors(self.b, a0, b0, c0, d0))
        check(vem_blr_set_prune_threshold(self.b, threshold))

    def fit(self, const double[:, ::1] x, const double[::1] y, FitOptions opts):
        cdef vem_matrix m = view(x)
        cdef vem_fit_result res
        cdef vem_status s
        if y.shape[0] != x.shape[0] or x.shape[0] == 0:
            raise ValueError("X has %d rows, y %d values" % (x.shape[0], y.shape[0]))
        memset(&res, 0, sizeof(res))
        with nogil:
            s = vem_blr_fit(self.b, &m, &y[0], &opts.o, &res)
        return _fit_result(s, &res)

    def params(self):
        """(coef, intercept, noise precision, weight precisions, sigma, pruned mask)."""
        cdef size_t i, n = vem_blr_weight_precision_len(self.b)
        cdef const double *c = vem_blr_coef(self.b)
        cdef const double *wp = vem_blr_weight_precision(self.b)
        coef = np.array([c[i] for i in range(self.d)], dtype=np.float64)
        lam = np.array([wp[i] for i in range(n)], dtype=np.float64)
        sigma = np.empty((self.d, self.d), dtype=np.float64)
        cdef double[:, ::1] sv = sigma
        vem_blr_coef_cov(self.b, &sv[0, 0])
        pruned = np.array([vem_blr_pruned(self.b, i) != 0 for i in range(self.d)], dtype=bool)
        return (coef, vem_blr_intercept(self.b), vem_blr_noise_precision(self.b), lam, sigma,
                pruned)

    def predict(self, const double[:, ::1] x, bint return_std):
        cdef vem_matrix m = view(x)
        cdef size_t n = <size_t>x.shape[0]
        mean = np.empty(n, dtype=np.float64)
        sd = np.empty(n, dtype=np.float64)
        cdef double[::1] mv = mean
        cdef double[::1] sdv = sd
        cdef vem_status s = VEM_OK
        if n == 0:
            return (mean, sd) if return_std else mean
        with nogil:
            s = vem_blr_predict(self.b, &m, &mv[0], &sdv[0] if return_std else NULL)
        check(s)
        return (mean, sd) if return_std else mean

    def get_state(self):
        out = np.empty(vem_blr_state_len(self.b), dtype=np.float64)
        cdef double[::1] o = out
        vem_blr_state_get(self.b, &o[0])
        return out

    def set_state(self, const double[::1] st):
        if <size_t>st.shape[0] != vem_blr_state_len(self.b):
            raise ValueError("state must have %d values" % vem_blr_state_len(self.b))
        check(vem_blr_state_set(self.b, &st[0]))


# ------------------------------------------ GLMM, Bayesian logistic regression, VAE

cdef extern from "vem/vem.h" nogil:
    # glmm.h
    ctypedef struct vem_glmm:
        pass
    ctypedef int vem_glmm_family
    vem_status vem_glmm_family_parse(const char *name, vem_glmm_family *out)
    const char *vem_glmm_family_name(vem_glmm_family f)
    vem_glmm *vem_glmm_new(size_t d)
    void vem_glmm_free(vem_glmm *g)
    size_t vem_glmm_d(const vem_glmm *g)
    size_t vem_glmm_p(const vem_glmm *g)
    vem_status vem_glmm_set_family(vem_glmm *g, vem_glmm_family f)
    vem_glmm_family vem_glmm_family_of(const vem_glmm *g)
    vem_status vem_glmm_set_intercept(vem_glmm *g, int on)
    int vem_glmm_intercept_on(const vem_glmm *g)
    vem_status vem_glmm_set_nodes(vem_glmm *g, size_t n)
    size_t vem_glmm_nodes(const vem_glmm *g)
    void vem_glmm_set_seed(vem_glmm *g, uint64_t seed)
    const double *vem_glmm_beta(const vem_glmm *g)
    double vem_glmm_sigma2(const vem_glmm *g)
    vem_status vem_glmm_set_params(vem_glmm *g, const double *beta, double sigma2)
    vem_status vem_glmm_fit(vem_glmm *g, const vem_matrix *x, const double *y,
                            const double *group, const vem_fit_opts *o, vem_fit_result *res)
    int vem_glmm_at_boundary(const vem_glmm *g)
    vem_status vem_glmm_score(const vem_glmm *g, const vem_matrix *x, const double *y,
                              const double *group, double *total, double *per_group,
                              size_t *n_groups)
    vem_status vem_glmm_predict(const vem_glmm *g, const vem_matrix *x, const double *group,
                                double *marginal, double *conditional)
    const double *vem_glmm_stderr(const vem_glmm *g)
    size_t vem_glmm_groups(const vem_glmm *g, const double **labels, const double **u_mean,
                           const double **u_sd)
    vem_status vem_glmm_save(const vem_glmm *g, const char *path, const vem_fit_result *fit_info)
    vem_glmm *vem_glmm_load(const char *path)

    # blogr.h
    ctypedef struct vem_blogr:
        pass
    ctypedef int vem_blogr_family
    vem_status vem_blogr_family_parse(const char *name, vem_blogr_family *out)
    vem_blogr *vem_blogr_new(size_t d)
    void vem_blogr_free(vem_blogr *b)
    size_t vem_blogr_d(const vem_blogr *b)
    size_t vem_blogr_n_weights(const vem_blogr *b)
    vem_status vem_blogr_set_family(vem_blogr *b, vem_blogr_family f)
    vem_status vem_blogr_set_intercept(vem_blogr *b, int on)
    int vem_blogr_intercept_on(const vem_blogr *b)
    vem_status vem_blogr_set_standardize(vem_blogr *b, int on)
    vem_status vem_blogr_set_prior_var(vem_blogr *b, double v)
    vem_status vem_blogr_set_samples(vem_blogr *b, size_t s)
    void vem_blogr_set_seed(vem_blogr *b, uint64_t seed)
    vem_status vem_blogr_fit(vem_blogr *b, const vem_matrix *x, const double *y,
                             const vem_fit_opts *o, vem_fit_result *res)
    const double *vem_blogr_q_mean(const vem_blogr *b)
    void vem_blogr_q_cov(const vem_blogr *b, double *out)
    vem_status vem_blogr_coef(const vem_blogr *b, double *mean, double *cov)
    vem_status vem_blogr_predict(const vem_blogr *b, const vem_matrix *x, double *prob)
    vem_status vem_blogr_score(const vem_blogr *b, const vem_matrix *x, const double *y,
                               double *mean, double *total)
    vem_status vem_blogr_save(const vem_blogr *b, const char *path,
                              const vem_fit_result *fit_info)
    vem_blogr *vem_blogr_load(const char *path)

    # vae.h
    ctypedef struct vem_vae:
        pass
    ctypedef int vem_vae_likelihood
    ctypedef int vem_vae_activation
    vem_status vem_vae_likelihood_parse(const char *name, vem_vae_likelihood *out)
    vem_status vem_vae_activation_parse(const char *name, vem_vae_activation *out)
    const char *vem_vae_likelihood_name(vem_vae_likelihood l)
    const char *vem_vae_activation_name(vem_vae_activation a)
    vem_vae *vem_vae_new(size_t d, size_t latent, const size_t *hidden, size_t n_hidden,
                         vem_vae_likelihood lik, vem_vae_activation act)
    void vem_vae_free(vem_vae *v)
    size_t vem_vae_d(const vem_vae *v)
    size_t vem_vae_latent(const vem_vae *v)
    size_t vem_vae_n_hidden(const vem_vae *v)
    const size_t *vem_vae_hidden(const vem_vae *v)
    vem_vae_likelihood vem_vae_likelihood_of(const vem_vae *v)
    vem_vae_activation vem_vae_activation_of(const vem_vae *v)
    vem_status vem_vae_set_samples(vem_vae *v, size_t samples)
    size_t vem_vae_samples(const vem_vae *v)
    vem_status vem_vae_set_binarize(vem_vae *v, int mode)
    size_t vem_vae_params_len(const vem_vae *v)
    void vem_vae_get_params(const vem_vae *v, double *out)
    vem_status vem_vae_set_params(vem_vae *v, const double *inp)
    vem_model vem_vae_model(vem_vae *v)
    vem_status vem_vae_elbo(const vem_vae *v, const vem_matrix *x, size_t samples,
                            uint64_t seed, double *rows, double *total)
    vem_status vem_vae_iwae(const vem_vae *v, const vem_matrix *x, size_t k, uint64_t seed,
                            int nthreads, double *rows, double *total, double *se)
    vem_status vem_vae_encode(const vem_vae *v, const vem_matrix *x, double *mean, double *sd)
    vem_status vem_vae_sample(const vem_vae *v, size_t n, vem_rng *rng, double *out)
    vem_status vem_vae_reconstruct(const vem_vae *v, const vem_matrix *x, double *out)
    vem_status vem_vae_save(const vem_vae *v, const char *path, const vem_fit_result *fit_info)
    vem_vae *vem_vae_load(const char *path)


cdef class Glmm:
    """Owner of one vem_glmm (include/vem/glmm.h)."""
    cdef vem_glmm *g

    def __cinit__(self):
        self.g = NULL

    def __init__(self, size_t d, str family, bint intercept, size_t nodes):
        cdef vem_glmm_family f = 0
        b = family.encode()
        check(vem_glmm_family_parse(b, &f))
        self.g = vem_glmm_new(d)
        if self.g is NULL:
            raise ValueError(_error_text(VEM_EINVAL))
        check(vem_glmm_set_family(self.g, f))
        check(vem_glmm_set_intercept(self.g, 1 if intercept else 0))
        check(vem_glmm_set_nodes(self.g, nodes))

    def __dealloc__(self):
        vem_glmm_free(self.g)

    @staticmethod
    def load(str path):
        """The model of a "glmm" model file (vem_glmm_load)."""
        cdef Glmm m = Glmm.__new__(Glmm)
        b = path.encode()
        m.g = vem_glmm_load(b)
        if m.g is NULL:
            _raise_load(path)
        return m

    def save(self, str path):
        b = path.encode()
        check(vem_glmm_save(self.g, b, NULL))

    @property
    def d(self):
        return vem_glmm_d(self.g)

    @property
    def family(self):
        return vem_glmm_family_name(vem_glmm_family_of(self.g)).decode()

    @property
    def intercept(self):
        return vem_glmm_intercept_on(self.g) != 0

    @property
    def nodes(self):
        return vem_glmm_nodes(self.g)

    def set_seed(self, seed):
        vem_glmm_set_seed(self.g, _seed(seed))

    def fit(self, const double[:, ::1] x, const double[::1] y, const double[::1] group,
            FitOptions opts):
        cdef vem_matrix m = view(x)
        cdef vem_fit_result res
        cdef vem_status s
        if y.shape[0] != x.shape[0] or group.shape[0] != x.shape[0] or x.shape[0] == 0:
            raise ValueError("X has %d rows, y %d values, groups %d" %
                             (x.shape[0], y.shape[0], group.shape[0]))
        memset(&res, 0, sizeof(res))
        with nogil:
            s = vem_glmm_fit(self.g, &m, &y[0], &group[0], &opts.o, &res)
        return _fit_result(s, &res)

    def params(self):
        """A dict: beta (p, the intercept first), sigma2, stderr (p + 1, or None),
        at_boundary, and the fit's groups: labels, u_mean, u_sd (or None)."""
        cdef size_t p = vem_glmm_p(self.g)
        cdef const double *lab = NULL
        cdef const double *um = NULL
        cdef const double *us = NULL
        cdef size_t ng = vem_glmm_groups(self.g, &lab, &um, &us)
        return {"beta": _copy(vem_glmm_beta(self.g), p), "sigma2": vem_glmm_sigma2(self.g),
                "stderr": _copy(vem_glmm_stderr(self.g), p + 1),
                "at_boundary": vem_glmm_at_boundary(self.g) != 0,
                "labels": _copy(lab, ng), "u_mean": _copy(um, ng), "u_sd": _copy(us, ng)}

    def score(self, const double[:, ::1] x, const double[::1] y, const double[::1] group):
        """(total log-likelihood, per-group log-likelihoods)."""
        cdef vem_matrix m = view(x)
        cdef size_t n = <size_t>x.shape[0], ng = 0
        cdef double total = 0.0
        cdef vem_status s
        if <size_t>y.shape[0] != n or <size_t>group.shape[0] != n or n == 0:
            raise ValueError("X has %d rows, y %d values, groups %d" %
                             (x.shape[0], y.shape[0], group.shape[0]))
        per = np.empty(n)
        cdef double[::1] pv = per
        with nogil:
            s = vem_glmm_score(self.g, &m, &y[0], &group[0], &total, &pv[0], &ng)
        check(s)
        return total, per[:ng].copy()

    def predict(self, const double[:, ::1] x, object group):
        """(marginal means, conditional means or None without groups)."""
        cdef vem_matrix m = view(x)
        cdef size_t n = <size_t>x.shape[0]
        cdef const double[::1] gv
        cdef const double *gp = NULL
        cdef vem_status s = VEM_OK
        marg = np.empty(n)
        cond = np.empty(n)
        cdef double[::1] mv = marg
        cdef double[::1] cv = cond
        if group is not None:
            gv = group
            if <size_t>gv.shape[0] != n:
                raise ValueError("X has %d rows, groups %d" % (n, gv.shape[0]))
            if n > 0:
                gp = &gv[0]
        if n == 0:
            return marg, (cond if group is not None else None)
        with nogil:
            s = vem_glmm_predict(self.g, &m, gp, &mv[0], &cv[0] if gp != NULL else NULL)
        check(s)
        return marg, (cond if group is not None else None)


cdef class Blogr:
    """Owner of one vem_blogr (include/vem/blogr.h)."""
    cdef vem_blogr *b

    def __cinit__(self):
        self.b = NULL

    def __init__(self, size_t d, str family, bint intercept, bint standardize,
                 double prior_var, size_t samples):
        cdef vem_blogr_family f = 0
        bf = family.encode()
        check(vem_blogr_family_parse(bf, &f))
        self.b = vem_blogr_new(d)
        if self.b is NULL:
            raise ValueError(_error_text(VEM_EINVAL))
        check(vem_blogr_set_family(self.b, f))
        check(vem_blogr_set_intercept(self.b, 1 if intercept else 0))
        check(vem_blogr_set_standardize(self.b, 1 if standardize else 0))
        check(vem_blogr_set_prior_var(self.b, prior_var))
        check(vem_blogr_set_samples(self.b, samples))

    def __dealloc__(self):
        vem_blogr_free(self.b)

    @staticmethod
    def load(str path):
        """The model of a "blogr" model file (vem_blogr_load)."""
        cdef Blogr m = Blogr.__new__(Blogr)
        bp = path.encode()
        m.b = vem_blogr_load(bp)
        if m.b is NULL:
            _raise_load(path)
        return m

    def save(self, str path):
        bp = path.encode()
        check(vem_blogr_save(self.b, bp, NULL))

    @property
    def d(self):
        return vem_blogr_d(self.b)

    def set_seed(self, seed):
        vem_blogr_set_seed(self.b, _seed(seed))

    def fit(self, const double[:, ::1] x, const double[::1] y, FitOptions opts):
        cdef vem_matrix m = view(x)
        cdef vem_fit_result res
        cdef vem_status s
        if y.shape[0] != x.shape[0] or x.shape[0] == 0:
            raise ValueError("X has %d rows, y %d values" % (x.shape[0], y.shape[0]))
        memset(&res, 0, sizeof(res))
        with nogil:
            s = vem_blogr_fit(self.b, &m, &y[0], &opts.o, &res)
        return _fit_result(s, &res)

    def coef(self):
        """(mean (d + 1, intercept last), covariance (d + 1) x (d + 1)) on the input
        scale, and q's mean and covariance on the standardised scale (p, p x p)."""
        cdef size_t d = vem_blogr_d(self.b), p = vem_blogr_n_weights(self.b)
        mean = np.empty(d + 1)
        cov = np.empty((d + 1, d + 1))
        qcov = np.empty((p, p))
        cdef double[::1] mv = mean
        cdef double[:, ::1] cv = cov
        cdef double[:, ::1] qv = qcov
        check(vem_blogr_coef(self.b, &mv[0], &cv[0, 0]))
        vem_blogr_q_cov(self.b, &qv[0, 0])
        return mean, cov, _copy(vem_blogr_q_mean(self.b), p), qcov

    def predict(self, const double[:, ::1] x):
        cdef vem_matrix m = view(x)
        cdef size_t n = <size_t>x.shape[0]
        out = np.empty(n)
        cdef double[::1] o = out
        cdef vem_status s = VEM_OK
        if n > 0:
            with nogil:
                s = vem_blogr_predict(self.b, &m, &o[0])
        check(s)
        return out

    def score(self, const double[:, ::1] x, const double[::1] y):
        """(mean, total) log predictive probability of the labels."""
        cdef vem_matrix m = view(x)
        cdef double mean = 0.0, total = 0.0
        cdef vem_status s
        if y.shape[0] != x.shape[0] or x.shape[0] == 0:
            raise ValueError("X has %d rows, y %d values" % (x.shape[0], y.shape[0]))
        with nogil:
            s = vem_blogr_score(self.b, &m, &y[0], &mean, &total)
        check(s)
        return mean, total


cdef class Vae:
    """Owner of one vem_vae (include/vem/vae.h)."""
    cdef vem_vae *v

    def __cinit__(self):
        self.v = NULL

    def __init__(self, size_t d, size_t latent, hidden, str likelihood, str activation):
        cdef vem_vae_likelihood lik = 0
        cdef vem_vae_activation act = 0
        cdef size_t nh = len(hidden), i
        cdef size_t *hv = <size_t *>malloc((nh if nh else 1) * sizeof(size_t))
        if hv is NULL:
            raise MemoryError()
        try:
            bl = likelihood.encode()
            check(vem_vae_likelihood_parse(bl, &lik))
            ba = activation.encode()
            check(vem_vae_activation_parse(ba, &act))
            for i in range(nh):
                if int(hidden[i]) < 1:
                    raise ValueError("hidden layer sizes must be >= 1, got %r" % (hidden[i],))
                hv[i] = int(hidden[i])
            self.v = vem_vae_new(d, latent, hv, nh, lik, act)
            if self.v is NULL:
                raise ValueError(_error_text(VEM_EINVAL))
        finally:
            free(hv)

    def __dealloc__(self):
        vem_vae_free(self.v)

    @staticmethod
    def load(str path):
        """The model of a "vae" model file and its .npy (vem_vae_load)."""
        cdef Vae m = Vae.__new__(Vae)
        bp = path.encode()
        m.v = vem_vae_load(bp)
        if m.v is NULL:
            _raise_load(path)
        return m

    def save(self, str path):
        bp = path.encode()
        check(vem_vae_save(self.v, bp, NULL))

    @property
    def d(self):
        return vem_vae_d(self.v)

    @property
    def latent(self):
        return vem_vae_latent(self.v)

    @property
    def hidden(self):
        cdef size_t i, n = vem_vae_n_hidden(self.v)
        cdef const size_t *h = vem_vae_hidden(self.v)
        return tuple(h[i] for i in range(n))

    @property
    def likelihood(self):
        return vem_vae_likelihood_name(vem_vae_likelihood_of(self.v)).decode()

    @property
    def activation(self):
        return vem_vae_activation_name(vem_vae_activation_of(self.v)).decode()

    @property
    def samples(self):
        return vem_vae_samples(self.v)

    def set_samples(self, size_t samples):
        check(vem_vae_set_samples(self.v, samples))

    def set_binarize(self, int mode):
        check(vem_vae_set_binarize(self.v, mode))

    def get_params(self):
        out = np.empty(vem_vae_params_len(self.v))
        cdef double[::1] o = out
        vem_vae_get_params(self.v, &o[0])
        return out

    def set_params(self, object a):
        check(vem_vae_set_params(self.v, _ptr(a, vem_vae_params_len(self.v), "parameters")))

    def fit(self, const double[:, ::1] x, FitOptions opts, seed, validation=None):
        """vem_fit_run on the model (Adam): the engine's init unless opts.warm_start."""
        cdef vem_matrix m = view(x)
        cdef vem_data data = vem_data_rows(m)
        cdef vem_model model = vem_vae_model(self.v)
        cdef const double[:, ::1] xv
        cdef vem_matrix mv
        cdef vem_data dv
        cdef vem_rng rng
        cdef vem_fit_result res
        cdef vem_status s
        vem_rng_seed(&rng, _seed(seed))
        memset(&res, 0, sizeof(res))
        opts.o.validation = NULL
        if validation is not None:
            xv = validation
            mv = view(xv)
            dv = vem_data_rows(mv)
            opts.o.validation = &dv
        with nogil:
            s = vem_fit_run(&model, &data, &opts.o, &rng, &res)
        opts.o.validation = NULL  # dv lives in this frame only
        return _fit_result(s, &res)

    def elbo(self, const double[:, ::1] x, size_t samples, seed):
        """Per-row ELBO estimates and their sum (vem_vae_elbo)."""
        cdef vem_matrix m = view(x)
        cdef uint64_t sd = _seed(seed)
        cdef double total = 0.0
        cdef vem_status s = VEM_OK
        rows = np.zeros(x.shape[0])
        cdef double[::1] r = rows
        if x.shape[0] > 0:
            with nogil:
                s = vem_vae_elbo(self.v, &m, samples, sd, &r[0], &total)
        check(s)
        return rows, total

    def iwae(self, const double[:, ::1] x, size_t k, seed, int nthreads):
        """(per-row bounds, total, standard error) of vem_vae_iwae."""
        cdef vem_matrix m = view(x)
        cdef uint64_t sd = _seed(seed)
        cdef double total = 0.0, se = 0.0
        cdef vem_status s = VEM_OK
        rows = np.zeros(x.shape[0])
        cdef double[::1] r = rows
        if x.shape[0] > 0:
            with nogil:
                s = vem_vae_iwae(self.v, &m, k, sd, nthreads, &r[0], &total, &se)
        check(s)
        return rows, total, se

    def encode(self, const double[:, ::1] x):
        cdef vem_matrix m = view(x)
        cdef size_t k = vem_vae_latent(self.v)
        cdef vem_status s = VEM_OK
        mean = np.empty((x.shape[0], k))
        sd = np.empty((x.shape[0], k))
        cdef double[:, ::1] mv = mean
        cdef double[:, ::1] sv = sd
        if x.shape[0] > 0:
            with nogil:
                s = vem_vae_encode(self.v, &m, &mv[0, 0], &sv[0, 0])
        check(s)
        return mean, sd

    def reconstruct(self, const double[:, ::1] x):
        cdef vem_matrix m = view(x)
        cdef vem_status s = VEM_OK
        out = np.empty((x.shape[0], vem_vae_d(self.v)))
        cdef double[:, ::1] o = out
        if x.shape[0] > 0:
            with nogil:
                s = vem_vae_reconstruct(self.v, &m, &o[0, 0])
        check(s)
        return out

    def sample(self, size_t n, seed):
        cdef vem_rng rng
        cdef vem_status s = VEM_OK
        vem_rng_seed(&rng, _seed(seed))
        out = np.empty((n, vem_vae_d(self.v)))
        cdef double[:, ::1] o = out
        if n > 0:
            with nogil:
                s = vem_vae_sample(self.v, n, &rng, &o[0, 0])
        check(s)
        return out
