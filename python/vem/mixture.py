"""Gaussian mixtures with scikit-learn's estimator API over libvem (python/README.md).

GaussianMixture and BayesianGaussianMixture take scikit-learn's parameters and set its
fitted attributes; vem's extra options (algorithm, n_threads, prior, ...) are extra
keyword arguments. select() fits a grid of (n_components, covariance_type) and returns
the table of criteria.
"""
import math
import time
import warnings

import numpy as np
from sklearn.base import BaseEstimator, DensityMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted

from . import _core
from ._common import seed as _seed, set_engine_options, validate_data
from ._modelfile import ModelFileState

__all__ = ["GaussianMixture", "BayesianGaussianMixture", "select"]

# scikit-learn's init_params -> vem's initialisation (include/vem/gmm.h, vem_gmm_init).
# 'random_from_data' is done here (k distinct rows as means, then vem's means start).
_INIT_NAMES = {"kmeans": "kmeans", "k-means++": "kmeans++", "kmeans++": "kmeans++",
               "random": "random", "hc": "hc", "auto": "auto"}

# mclust's order of the 14 structures (Mclust()'s BIC table, `vem fit gmm --covariance all`).
_MCLUST_ORDER = ("EII", "VII", "EEI", "VEI", "EVI", "VVI", "EEE", "VEE", "EVE", "VVE", "EEV",
                 "VEV", "EVV", "VVV")

def _validate(est, X, reset):
    """X as float64 C-contiguous (no copy when it already is), checked as scikit-learn does."""
    X = validate_data(est, X, dtype=np.float64, ensure_min_samples=2 if reset else 1,
                      reset=reset)
    return np.ascontiguousarray(X, dtype=np.float64)


def _options(est, model, extra=None):
    opts = _core.FitOptions(model)
    opts.set(max_iter=est.max_iter, tol=est.tol, tol_rule=est.tol_rule, n_init=est.n_init,
             n_threads=est.n_threads, algorithm=est.algorithm, batch_size=est.batch_size,
             kappa=est.kappa, tau=est.tau)
    for k in ("n_blocks", "accelerate"):
        if hasattr(est, k):
            opts.set(**{k: getattr(est, k)})
    set_engine_options(opts, est.engine_options)
    if extra:
        opts.set(**extra)
    if est.verbose:
        t0 = [time.time()]
        interval = max(1, int(getattr(est, "verbose_interval", 10)))

        def progress(restart, it, objective, change):
            if it == 1:
                print("Initialization %d" % restart)
                t0[0] = time.time()
            if it % interval == 0:
                if est.verbose > 1:
                    print("  Iteration %d\t time lapse %.5fs\t objective %.10g\t change %.5g" %
                          (it, time.time() - t0[0], objective, change))
                else:
                    print("  Iteration %d" % it)
        opts.set_progress(progress)
    return opts


def _check_common(est):
    if not (isinstance(est.n_components, (int, np.integer)) and est.n_components >= 1):
        raise ValueError("n_components=%r must be an integer >= 1" % (est.n_components,))
    if not (est.tol >= 0):
        raise ValueError("tol=%r must be >= 0" % (est.tol,))
    if not (est.reg_covar >= 0):
        raise ValueError("reg_covar=%r must be >= 0" % (est.reg_covar,))
    if not (isinstance(est.max_iter, (int, np.integer)) and est.max_iter >= 0):
        raise ValueError("max_iter=%r must be an integer >= 0" % (est.max_iter,))
    if not (isinstance(est.n_init, (int, np.integer)) and est.n_init >= 1):
        raise ValueError("n_init=%r must be an integer >= 1" % (est.n_init,))


def _warn_not_converged(est, res):
    if not res["converged"] and est.max_iter > 0 and est.tol > 0:
        warnings.warn("Initialization %d did not converge. Try different init parameters, "
                      "or increase max_iter, tol or check for degenerate data." %
                      (res["best_init"] + 1), ConvergenceWarning)


def _cov_shape(layout, k, d):
    return {"full": (k, d, d), "diag": (k, d), "spherical": (k,), "tied": (d, d)}[layout]


def _precisions_from_cholesky(layout, pc):
    if layout == "full":
        return np.einsum("kij,klj->kil", pc, pc)
    if layout == "tied":
        return pc @ pc.T
    return pc ** 2


def _covariances_from_precisions(layout, prec):
    prec = np.asarray(prec, dtype=np.float64)
    if layout == "full":
        return np.array([np.linalg.inv(p) for p in prec])
    if layout == "tied":
        return np.linalg.inv(prec)
    return 1.0 / prec


def _symmetrize(layout, cov):
    if layout == "full":
        return 0.5 * (cov + np.transpose(cov, (0, 2, 1)))
    if layout == "tied":
        return 0.5 * (cov + cov.T)
    return cov


class GaussianMixture(ModelFileState, DensityMixin, BaseEstimator):
    """Gaussian mixture fitted by EM in libvem; scikit-learn's GaussianMixture API.

    Parameters as scikit-learn's (same names, meanings and defaults), plus:

    covariance_type : also mclust's 14 names ('EII', 'VII', 'EEI', 'VEI', 'EVI', 'VVI',
        'EEE', 'VEE', 'EVE', 'VVE', 'EEV', 'VEV', 'EVV', 'VVV'); 'VVV' is 'full', 'VVI'
        'diag', 'VII' 'spherical', 'EEE' 'tied'. Attributes take the shape of the
        structure's layout (full, diag, spherical or tied).
    init_params : 'kmeans' (k-means++ seeding, Lloyd's iterations, one M-step),
        'k-means++', 'random' (uniform random responsibilities), 'random_from_data'
        (n_components distinct rows as means, each row given to its nearest mean, one
        M-step for weights and covariances), and vem's 'hc' (mclust's hierarchical
        start) and 'auto' (hc up to 2000 rows of up to 32 columns, else kmeans).
        vem's own k-means, so the start from a seed is not scikit-learn's.
    tol_rule : 'per-observation' (default, scikit-learn's: the change of the mean
        log-likelihood per sample), 'total' (the total's change, nats; the `vem` command's
        default with tol=1e-8) or 'parameters'.
    algorithm : 'batch' (EM), 'stepwise', 'incremental', 'mcem', 'sem', 'cem',
        'lbfgs', 'em-lbfgs' (include/vem/fit.h).
    accelerate : 'none' or 'squarem' (batch EM).
    n_threads : OpenMP threads, 0 = all; results do not depend on it.
    prior : None (maximum likelihood), 'default' (mclust's defaultPrior for the data)
        or a dict with keys shrinkage, dof, mean (d), scale (d x d): a MAP fit under
        the conjugate prior of Fraley & Raftery (2007), as mclust's priorControl().
    equal_weights : hold every weight at 1 / n_components (mclust's equalPro).
    batch_size, kappa, tau : stepwise EM's minibatch and step size (t + tau)^-kappa
        (fit with algorithm='stepwise', and partial_fit).
    n_blocks : incremental EM's blocks.
    engine_options : dict of further vem_fit_opts fields (checkpoint, resume,
        init_sample, mc_samples, ...).

    lower_bound_ is the mean log-likelihood per sample of the returned parameters
    (scikit-learn: of the parameters before the last M-step); with a prior it is the
    mean log-posterior (log-likelihood + log prior, up to a constant). objective_ is the
    same in total (nats): the `vem fit gmm --json` "objective", bit for bit.
    """

    def __init__(self, n_components=1, *, covariance_type="full", tol=1e-3, reg_covar=1e-6,
                 max_iter=100, n_init=1, init_params="kmeans", weights_init=None,
                 means_init=None, precisions_init=None, random_state=None, warm_start=False,
                 verbose=0, verbose_interval=10, algorithm="batch",
                 tol_rule="per-observation", accelerate="none", n_threads=0, prior=None,
                 equal_weights=False, batch_size=1000, kappa=0.7, tau=2.0, n_blocks=10,
                 engine_options=None):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval
        self.algorithm = algorithm
        self.tol_rule = tol_rule
        self.accelerate = accelerate
        self.n_threads = n_threads
        self.prior = prior
        self.equal_weights = equal_weights
        self.batch_size = batch_size
        self.kappa = kappa
        self.tau = tau
        self.n_blocks = n_blocks
        self.engine_options = engine_options

    # ---- pickling: through the model file (vem._modelfile)

    _core_class = _core.Gmm

    def _state_model(self):
        return self._get_model() if hasattr(self, "means_") else None

    def _restore_model(self, path):
        super()._restore_model(path)
        self._apply_prior(self._model)
        self._model_key = self._key()
        self._stepwise_ = None  # partial_fit's statistics are centred in the old model

    def _apply_prior(self, m):
        """The fit's resolved MAP prior (the model file has none) on a rebuilt model,
        for partial_fit."""
        p = getattr(self, "_prior", None)
        if p is not None:
            m.set_prior(p[0], p[1], np.ascontiguousarray(p[2]), np.ascontiguousarray(p[3]).ravel())

    # ---- helpers

    def _layout(self):
        return _core.cov_parse(str(self.covariance_type))[1]

    def _new_model(self, d):
        try:
            m = _core.Gmm(int(self.n_components), int(d), str(self.covariance_type))
        except ValueError as e:
            raise ValueError("covariance_type=%r: %s" % (self.covariance_type, e)) from None
        m.set_reg_covar(float(self.reg_covar))
        m.set_equal_weights(bool(self.equal_weights))
        return m

    def _set_prior(self, m, X):
        p = self.prior
        if p is None or p is False:
            return
        if isinstance(p, str) and p == "default" or p is True:
            m.set_prior_default(X)
            return
        if not isinstance(p, dict):
            raise ValueError("prior must be None, 'default' or a dict (shrinkage, dof, mean, "
                             "scale)")
        d = X.shape[1]
        mean = np.ascontiguousarray(p.get("mean", X.mean(axis=0)), dtype=np.float64).ravel()
        if "scale" in p:
            scale = np.asarray(p["scale"], dtype=np.float64)
        else:
            scale = np.atleast_2d(np.cov(X.T)) / float(self.n_components) ** (2.0 / d)
        m.set_prior(float(p.get("shrinkage", 0.01)), float(p.get("dof", d + 2)), mean,
                    np.ascontiguousarray(scale).ravel())

    def _take(self, m, res, n):
        w, mu, c, pc = m.params()
        layout = m.layout_name
        k, d = mu.shape
        self.weights_ = w
        self.means_ = mu
        self.covariances_ = c.reshape(_cov_shape(layout, k, d))
        self.precisions_cholesky_ = pc.reshape(_cov_shape(layout, k, d))
        self.precisions_ = _precisions_from_cholesky(layout, self.precisions_cholesky_)
        if res is not None:
            self.converged_ = bool(res["converged"])
            self.n_iter_ = int(res["n_iter"])
            self.lower_bound_ = float(res["objective"]) / float(n)
            self.objective_ = float(res["objective"])
        self._prior = m.prior()
        self._model = m
        self._model_key = self._key()

    def _key(self):
        return (id(self.weights_), id(self.means_), id(self.covariances_))

    def _get_model(self):
        check_is_fitted(self, "means_")
        if getattr(self, "_model", None) is not None and self._model_key == self._key():
            return self._model
        k, d = np.shape(self.means_)
        m = self._new_model(d)
        m.set_params(np.ascontiguousarray(self.weights_, dtype=np.float64).ravel(),
                     np.ascontiguousarray(self.means_, dtype=np.float64).ravel(),
                     np.ascontiguousarray(self.covariances_, dtype=np.float64).ravel())
        self._apply_prior(m)
        self._model = m
        self._model_key = self._key()
        self._stepwise_ = None  # statistics were taken about the old model's centre
        return m

    def _user_init(self, X, m, opts, seed):
        """The start from weights_init / means_init / precisions_init / random_from_data:
        vem's initialisation for what is not given, then the given parts set."""
        k, d = int(self.n_components), X.shape[1]
        layout = m.layout_name
        means = self.means_init
        if means is None and self.init_params == "random_from_data":
            rs = np.random.RandomState(seed % (2 ** 32))
            means = X[rs.choice(X.shape[0], size=k, replace=False)]
        if means is not None:
            means = np.asarray(means, dtype=np.float64)
            if means.shape != (k, d):
                raise ValueError("The parameter 'means' should have the shape of %s, but got "
                                 "%s" % ((k, d), means.shape))
            m.set_init_means(np.ascontiguousarray(means).ravel())
        else:
            m.set_init(_INIT_NAMES[self.init_params])
        m.initialize(X, opts, seed)
        w, mu, c, _ = m.params()
        if self.weights_init is not None:
            w = np.asarray(self.weights_init, dtype=np.float64)
            if w.shape != (k,):
                raise ValueError("The parameter 'weights' should have the shape of (%d,), but "
                                 "got %s" % (k, w.shape))
            if np.any(w < 0) or np.any(w > 1) or not np.allclose(w.sum(), 1.0, rtol=0,
                                                                  atol=1e-6):
                raise ValueError("The parameter 'weights' should be normalized, in [0, 1]")
            w = w / w.sum()
        if self.precisions_init is not None:
            p = np.asarray(self.precisions_init, dtype=np.float64)
            shape = _cov_shape(layout, k, d)
            if p.shape != shape:
                raise ValueError("The parameter 'precisions' should have the shape of %s, but "
                                 "got %s" % (shape, p.shape))
            c = _symmetrize(layout, _covariances_from_precisions(layout, p)).ravel()
        m.set_params(np.ascontiguousarray(w), np.ascontiguousarray(mu).ravel(),
                     np.ascontiguousarray(c).ravel())

    # ---- fitting

    def fit(self, X, y=None):
        """Estimate the parameters by EM (or the chosen algorithm); returns self."""
        self._fit(X)
        return self

    def fit_predict(self, X, y=None):
        """fit(X), then the most probable component of each row."""
        X = self._fit(X)
        return self._model.predict(X)

    def _fit(self, X):
        _check_common(self)
        if self.init_params not in _INIT_NAMES and self.init_params != "random_from_data":
            raise ValueError("init_params=%r: one of 'kmeans', 'k-means++', 'random', "
                             "'random_from_data', 'hc', 'auto'" % (self.init_params,))
        X = _validate(self, X, reset=True)
        n, d = X.shape
        k = int(self.n_components)
        if n < k:
            raise ValueError("Expected n_samples >= n_components but got n_components = %d, "
                             "n_samples = %d" % (k, n))
        seed = _seed(self.random_state)
        warm = self.warm_start and hasattr(self, "converged_")
        m = self._new_model(d)
        self._set_prior(m, X)
        self._stepwise_ = None
        user = (self.weights_init is not None or self.means_init is not None
                or self.precisions_init is not None or self.init_params == "random_from_data")
        if warm:
            old = self._get_model()
            m.set_params(*[np.ascontiguousarray(a).ravel() for a in old.params()[:3]])
            opts = _options(self, "gmm", {"warm_start": True, "n_init": 1})
            res = self._run(m, X, opts, seed)
        elif self.max_iter == 0:
            opts = _options(self, "gmm", {"max_iter": 1})
            if user:
                self._user_init(X, m, opts, seed)
            else:
                m.set_init(_INIT_NAMES[self.init_params])
                m.initialize(X, opts, seed)
            ll = m.score(X)[1] + m.log_prior()
            res = {"converged": False, "n_iter": 0, "objective": ll, "best_init": 0}
        elif user:
            # Restarts here: each starts from the given parts (and vem's init for the rest).
            best, res = None, None
            for r in range(int(self.n_init)):
                mr = m if r == int(self.n_init) - 1 else self._new_model(d)
                if mr is not m:
                    self._set_prior(mr, X)
                opts = _options(self, "gmm", {"n_init": 1})
                self._user_init(X, mr, opts, seed + r)
                opts.set(warm_start=True)
                rr = self._run(mr, X, opts, seed + r)
                rr["best_init"] = r
                if best is None or rr["objective"] > res["objective"]:
                    best, res = mr, rr
            m = best
        else:
            m.set_init(_INIT_NAMES[self.init_params])
            opts = _options(self, "gmm")
            res = self._run(m, X, opts, seed)
        _warn_not_converged(self, res)
        self._take(m, res, n)
        return X

    def _run(self, m, X, opts, seed):
        return m.fit(X, opts, seed)

    def partial_fit(self, X, y=None):
        """One step of stepwise EM on the batch X (the whole batch is one minibatch).

        The expected sufficient statistics S are kept between calls: S <- (1 - g) S +
        g (n0 / |X|) s(X), g = (t + tau)^-kappa at the t-th call (the first call's
        statistics replace S, as the engine's first minibatch; n0 the first batch's
        rows), then the M-step from S. The first call on an unfitted estimator
        initialises from X (init_params, means_init, ...); after fit(), the steps start
        from the fitted parameters. lower_bound_ is the batch's mean log-likelihood at
        the parameters before the step; n_iter_ counts the steps. A pickled or deep-copied
        estimator keeps the parameters and the fit's prior, not S (S is centred in the
        C model; the next call starts S afresh).
        """
        _check_common(self)
        first = not hasattr(self, "means_")
        X = _validate(self, X, reset=first)
        n, d = X.shape
        opts = _options(self, "gmm", {"n_init": 1})
        if first:
            if n < int(self.n_components):
                raise ValueError("Expected n_samples >= n_components but got n_components = "
                                 "%d, n_samples = %d" % (self.n_components, n))
            m = self._new_model(d)
            self._set_prior(m, X)
            seed = _seed(self.random_state)
            user = (self.weights_init is not None or self.means_init is not None
                    or self.precisions_init is not None
                    or self.init_params == "random_from_data")
            if user:
                self._user_init(X, m, opts, seed)
            else:
                m.set_init(_INIT_NAMES[self.init_params])
                m.initialize(X, opts, seed)
            self._take(m, None, n)
            self._stepwise_ = None
            self.n_iter_ = 0
        m = self._get_model()
        st = getattr(self, "_stepwise_", None)
        if st is None:
            stats, t, n0 = None, 0, float(n)
        else:
            stats, t, n0 = st
        t += 1
        gamma = 1.0 if stats is None else (t + float(self.tau)) ** (-float(self.kappa))
        stats, ll = m.stepwise_update(X, opts, stats, gamma, n0)
        self._take(m, None, n)
        self._stepwise_ = (stats, t, n0)
        self.n_iter_ = getattr(self, "n_iter_", 0) + 1
        self.converged_ = False
        self.lower_bound_ = ll / n
        return self

    # ---- evaluation

    def score_samples(self, X):
        """Log density log p(x) of each row (nats)."""
        m = self._get_model()
        return m.score_samples(_validate(self, X, reset=False))

    def score(self, X, y=None):
        """Mean log-likelihood per row."""
        m = self._get_model()
        return m.score(_validate(self, X, reset=False))[0]

    def predict(self, X):
        """Most probable component of each row."""
        m = self._get_model()
        return m.predict(_validate(self, X, reset=False))

    def predict_proba(self, X):
        """Responsibilities p(component | x), n x n_components."""
        m = self._get_model()
        return m.predict_proba(_validate(self, X, reset=False))

    def sample(self, n_samples=1):
        """(X, labels): n_samples draws, seeded from random_state (an int gives the same
        draws on every call, as scikit-learn). Not grouped by component (scikit-learn's
        are)."""
        if n_samples < 1:
            raise ValueError("Invalid value for 'n_samples': %d . The sampling requires at "
                             "least one sample." % n_samples)
        m = self._get_model()
        return m.sample(int(n_samples), _seed(self.random_state))

    def _n_parameters(self):
        return int(self._get_model().n_parameters())

    def bic(self, X):
        """-2 log L + p log n (lower is better)."""
        X = _validate(self, X, reset=False)
        m = self._get_model()
        return m.bic(m.score(X)[1], X.shape[0])

    def aic(self, X):
        """-2 log L + 2 p (lower is better)."""
        X = _validate(self, X, reset=False)
        m = self._get_model()
        return m.aic(m.score(X)[1])

    def icl(self, X):
        """BIC + twice the entropy of the hard classification (mclust's icl())."""
        X = _validate(self, X, reset=False)
        m = self._get_model()
        return m.icl(X, m.score(X)[1])


def _layout_list(covariance_type):
    if isinstance(covariance_type, str):
        if covariance_type == "all":
            return list(_MCLUST_ORDER)
        return [c.strip() for c in covariance_type.split(",")]
    return list(covariance_type)


def select(X, n_components=range(1, 10), covariance_type="all", criterion="bic", *,
           init_params="auto", reg_covar=1e-6, tol=1e-8, tol_rule="total", max_iter=10000,
           n_init=1, random_state=0, prior=False, n_threads=0, return_best=False):
    """Fit every (n_components, covariance_type) pair and tabulate BIC, AIC and ICL.

    As `vem fit gmm X -k 1-9 --covariance all --select bic` (mclust's Mclust()): the
    defaults are the command's (mclust's start 'auto', EM to 1e-8 nats in total, seed 0),
    each cell reseeded from random_state so that cells do not depend on their order.
    covariance_type: 'all' (the 14 structures), a name, a comma list or a list of names.
    criterion: 'bic' or 'icl'; prior: True fits every cell under mclust's default prior.

    Returns a list of dicts, one per cell in row order (n_components outer), with keys
    n_components, covariance_type (vem's name), mclust, log_likelihood, bic, aic, icl,
    n_parameters, n_iter, converged, status ('ok', or why the fit failed: then the
    numbers are NaN) and best (True for the chosen cell); pandas.DataFrame(table) makes
    it a frame. With return_best=True returns (table, model): the chosen cell refitted as
    a fitted GaussianMixture.
    """
    if criterion not in ("bic", "icl"):
        raise ValueError("criterion=%r: 'bic' or 'icl'" % (criterion,))
    X = np.ascontiguousarray(np.asarray(X, dtype=np.float64))
    if X.ndim == 1:
        X = X.reshape(-1, 1)
    if X.ndim != 2 or X.shape[0] < 2 or not np.all(np.isfinite(X)):
        raise ValueError("X must be a finite 2-D array with at least 2 rows")
    ks = [int(k) for k in (n_components if np.iterable(n_components) else [n_components])]
    covs = _layout_list(covariance_type)
    if prior:
        covs = [c for c in covs if _core.cov_parse(c)[2] not in ("VEE", "EVE", "VVE", "EVV")]
    opts = _core.FitOptions("gmm")
    opts.set(max_iter=max_iter, tol=tol, tol_rule=tol_rule, n_init=n_init, n_threads=n_threads)
    seed = _seed(random_state)
    table = _core.gmm_select(X, ks, covs, _INIT_NAMES.get(init_params, init_params),
                             float(reg_covar), opts, seed, bool(prior), criterion)
    vals = [c[criterion] if c["status"] == "ok" and math.isfinite(c[criterion]) else math.inf
            for c in table]
    ib = int(np.argmin(vals))
    for i, c in enumerate(table):
        c["best"] = i == ib and math.isfinite(vals[ib])
    if not return_best:
        return table
    b = table[ib]
    est = GaussianMixture(b["n_components"], covariance_type=b["mclust"],
                          init_params=init_params, reg_covar=reg_covar, tol=tol,
                          tol_rule=tol_rule, max_iter=max_iter, n_init=n_init,
                          random_state=random_state, prior="default" if prior else None,
                          n_threads=n_threads)
    return table, est.fit(X)


class BayesianGaussianMixture(ModelFileState, DensityMixin, BaseEstimator):
    """Variational Bayesian Gaussian mixture (CAVI in libvem); scikit-learn's
    BayesianGaussianMixture API.

    Parameters as scikit-learn's, with these differences: covariance_type 'full' or
    'diag' only; init_params 'kmeans' or 'random'; a 'dirichlet_process' prior
    truncates the sticks with v_K = 1 (scikit-learn leaves the last stick free), and the
    diagonal model is D independent Normal-Gamma factors (docs/vb.md). vem's extras:
    algorithm ('batch' CAVI or 'stepwise': stochastic variational inference), tol_rule
    (default 'total', scikit-learn's), n_threads, batch_size, kappa, tau,
    engine_options.

    lower_bound_ is vem's full evidence lower bound (total, nats) of the returned
    posterior, every constant included, so that it compares across n_components.
    scikit-learn's lower_bound_ drops constants; for 'dirichlet_distribution' and
    reg_covar = 0 at convergence, vem's = scikit-learn's + ln C(alpha0) + K ln B(W0, nu0)
    + (K d / 2) ln beta0 - (n d / 2) ln 2 pi (python/README.md).
    score_samples is the log posterior predictive density (a mixture of Student-t
    densities), predict_proba the component probabilities under it; scikit-learn
    scores with the variational E-step's weighted log densities instead.
    """

    def __init__(self, n_components=1, *, covariance_type="full", tol=1e-3, reg_covar=1e-6,
                 max_iter=100, n_init=1, init_params="kmeans",
                 weight_concentration_prior_type="dirichlet_process",
                 weight_concentration_prior=None, mean_precision_prior=None, mean_prior=None,
                 degrees_of_freedom_prior=None, covariance_prior=None, random_state=None,
                 warm_start=False, verbose=0, verbose_interval=10, algorithm="batch",
                 tol_rule="total", n_threads=0, batch_size=1000, kappa=0.7, tau=2.0,
                 engine_options=None):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weight_concentration_prior_type = weight_concentration_prior_type
        self.weight_concentration_prior = weight_concentration_prior
        self.mean_precision_prior = mean_precision_prior
        self.mean_prior = mean_prior
        self.degrees_of_freedom_prior = degrees_of_freedom_prior
        self.covariance_prior = covariance_prior
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval
        self.algorithm = algorithm
        self.tol_rule = tol_rule
        self.n_threads = n_threads
        self.batch_size = batch_size
        self.kappa = kappa
        self.tau = tau
        self.engine_options = engine_options

    # ---- pickling: through the model file (vem._modelfile)

    _core_class = _core.Vbgmm

    def _state_model(self):
        return self._get_model() if hasattr(self, "means_") else None

    def _restore_model(self, path):
        super()._restore_model(path)
        self._model_key = self._key()

    def _weight_prior(self):
        t = self.weight_concentration_prior_type
        if t == "dirichlet_process":
            return "dp"
        if t == "dirichlet_distribution":
            return "dirichlet"
        raise ValueError("weight_concentration_prior_type=%r: 'dirichlet_process' or "
                         "'dirichlet_distribution'" % (t,))

    def _new_model(self, d, resolved=False):
        if self.covariance_type not in ("full", "diag"):
            raise ValueError("covariance_type=%r: vem's BayesianGaussianMixture takes 'full' "
                             "or 'diag'" % (self.covariance_type,))
        m = _core.Vbgmm(int(self.n_components), int(d), self.covariance_type)
        if resolved:
            cp = np.asarray(self.covariance_prior_, dtype=np.float64).ravel()
            m.set_priors(self._weight_prior(), self.weight_concentration_prior_,
                         self.mean_precision_prior_, self.degrees_of_freedom_prior_,
                         np.ascontiguousarray(self.mean_prior_, dtype=np.float64).ravel(),
                         np.ascontiguousarray(cp), float(self.reg_covar))
            return m
        mp = self.mean_prior
        cp = self.covariance_prior
        if cp is not None:
            cp = np.asarray(cp, dtype=np.float64)
            if self.covariance_type == "full" and cp.shape != (d, d):
                raise ValueError("The parameter 'covariance_prior' should have the shape of "
                                 "%s, but got %s" % ((d, d), cp.shape))
            if self.covariance_type == "diag" and cp.shape != (d,):
                raise ValueError("The parameter 'covariance_prior' should have the shape of "
                                 "%s, but got %s" % ((d,), cp.shape))
            cp = np.ascontiguousarray(cp).ravel()
        if mp is not None:
            mp = np.ascontiguousarray(mp, dtype=np.float64).ravel()
        m.set_priors(self._weight_prior(), self.weight_concentration_prior,
                     self.mean_precision_prior, self.degrees_of_freedom_prior, mp, cp,
                     float(self.reg_covar))
        return m

    def _take(self, m, res, X):
        p = m.posterior()
        k, d = p["means"].shape
        shape = (k, d, d) if self.covariance_type == "full" else (k, d)
        self.weights_ = p["weights"]
        self.means_ = p["means"]
        self.covariances_ = p["covariances"].reshape(shape)
        if self.covariance_type == "full":
            chol = np.linalg.cholesky(self.covariances_)
            eye = np.eye(d)
            self.precisions_cholesky_ = np.array(
                [np.linalg.solve(c, eye).T for c in chol])  # upper: P = U U^T
            self.precisions_ = np.einsum("kij,klj->kil", self.precisions_cholesky_,
                                         self.precisions_cholesky_)
        else:
            self.precisions_cholesky_ = 1.0 / np.sqrt(self.covariances_)
            self.precisions_ = 1.0 / self.covariances_
        wc = p["weight_concentration"]
        if self._weight_prior() == "dp":
            wc = wc.reshape(k, 2)
            self.weight_concentration_ = (wc[:, 0].copy(), wc[:, 1].copy())
        else:
            self.weight_concentration_ = wc
        self.mean_precision_ = p["mean_precision"]
        self.degrees_of_freedom_ = p["dof"]
        a0, b0, nu0, m0, c0 = m.priors()
        self.weight_concentration_prior_ = a0
        self.mean_precision_prior_ = b0
        self.degrees_of_freedom_prior_ = nu0
        self.mean_prior_ = m0
        self.covariance_prior_ = c0.reshape((d, d) if self.covariance_type == "full" else (d,))
        if res is not None:
            self.converged_ = bool(res["converged"])
            self.n_iter_ = int(res["n_iter"])
            self.lower_bound_ = float(res["objective"])
        # The model that predicts is rebuilt from these attributes (_get_model), as
        # vem_vbgmm_load rebuilds it from the model file: W_k comes back from
        # covariances_ to round-off, so the fitted m would differ from a pickled or
        # saved copy in the last bits.
        self._model = None
        self._get_model()

    def _key(self):
        return (id(self.means_), id(self.covariances_), id(self.mean_precision_),
                id(self.degrees_of_freedom_), id(self.weight_concentration_))

    def _conc_flat(self):
        wc = self.weight_concentration_
        if isinstance(wc, tuple):
            return np.ascontiguousarray(np.column_stack(wc), dtype=np.float64).ravel()
        return np.ascontiguousarray(wc, dtype=np.float64).ravel()

    def _get_model(self):
        check_is_fitted(self, "means_")
        if getattr(self, "_model", None) is not None and self._model_key == self._key():
            return self._model
        d = np.shape(self.means_)[1]
        m = self._new_model(d, resolved=True)
        m.set_posterior(self._conc_flat(),
                        np.ascontiguousarray(self.mean_precision_, dtype=np.float64),
                        np.ascontiguousarray(self.means_, dtype=np.float64).ravel(),
                        np.ascontiguousarray(self.degrees_of_freedom_, dtype=np.float64),
                        np.ascontiguousarray(self.covariances_, dtype=np.float64).ravel())
        self._model = m
        self._model_key = self._key()
        return m

    def fit(self, X, y=None):
        """Fit the variational posterior by CAVI (or SVI); returns self."""
        self._fit(X)
        return self

    def fit_predict(self, X, y=None):
        X = self._fit(X)
        return np.argmax(self._get_model().predict_proba(X), axis=1)

    def _fit(self, X):
        _check_common(self)
        if self.init_params not in ("kmeans", "random"):
            raise ValueError("init_params=%r: vem's BayesianGaussianMixture takes 'kmeans' or "
                             "'random'" % (self.init_params,))
        X = _validate(self, X, reset=True)
        n, d = X.shape
        k = int(self.n_components)
        if n < k:
            raise ValueError("Expected n_samples >= n_components but got n_components = %d, "
                             "n_samples = %d" % (k, n))
        seed = _seed(self.random_state)
        warm = self.warm_start and hasattr(self, "converged_")
        if warm:
            m = self._get_model()
            opts = _options(self, "vbgmm", {"warm_start": True, "n_init": 1})
        else:
            m = self._new_model(d)
            m.set_init(self.init_params)
            opts = _options(self, "vbgmm")
        if self.max_iter == 0:
            raise ValueError("max_iter=0: vem's BayesianGaussianMixture needs at least one "
                             "iteration")
        res = m.fit(X, opts, seed)
        _warn_not_converged(self, res)
        self._take(m, res, X)
        return X

    def score_samples(self, X):
        """Log posterior predictive density of each row (nats)."""
        m = self._get_model()
        return m.score_samples(_validate(self, X, reset=False))

    def score(self, X, y=None):
        return float(np.mean(self.score_samples(X)))

    def predict_proba(self, X):
        m = self._get_model()
        return m.predict_proba(_validate(self, X, reset=False))

    def predict(self, X):
        return np.argmax(self.predict_proba(X), axis=1)

    def sample(self, n_samples=1):
        """(X, labels) drawn from the posterior predictive, seeded from random_state."""
        if n_samples < 1:
            raise ValueError("Invalid value for 'n_samples': %d . The sampling requires at "
                             "least one sample." % n_samples)
        m = self._get_model()
        return m.sample(int(n_samples), _seed(self.random_state))

    def elbo(self, X):
        """vem's evidence lower bound (total, nats) of the fitted posterior on X."""
        m = self._get_model()
        return m.elbo(_validate(self, X, reset=False))
