"""Bayesian linear regression with scikit-learn's estimator API over libvem
(include/vem/blr.h; docs/vb.md, "Bayesian linear regression"; python/README.md).

BayesianRidge is vem's mean-field VB fit, whose fixed point is scikit-learn's
BayesianRidge's (MacKay's evidence approximation); ARDRegression is vem's ARD with
MacKay's update, scikit-learn's ARDRegression's algorithm (prunes as it goes).
"""
import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from . import _core
from ._modelfile import ModelFileState

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data as _sk_validate_data
except ImportError:  # pragma: no cover - older scikit-learn
    _sk_validate_data = None

__all__ = ["BayesianRidge", "ARDRegression"]


def _validate(est, X, y=None, reset=True):
    kw = dict(dtype=np.float64, reset=reset)
    if y is not None:
        kw["y_numeric"] = True
        args = (X, y)
    else:
        args = (X,)
    if _sk_validate_data is not None:
        out = _sk_validate_data(est, *args, **kw)
    else:
        out = est._validate_data(*args, **kw)
    if y is None:
        return np.ascontiguousarray(out, dtype=np.float64)
    X, y = out
    return np.ascontiguousarray(X, dtype=np.float64), np.ascontiguousarray(y, dtype=np.float64)


class _Blr(ModelFileState, RegressorMixin, BaseEstimator):
    _ard = False

    def _iters(self):
        n = self.max_iter if self.max_iter is not None else self.n_iter
        return 300 if n is None else int(n)

    def fit(self, X, y):
        """Fit the posterior over the weights and the precisions to (X, y)."""
        if y is None:
            raise ValueError("requires y to be passed, but the target y is None")
        X, y = _validate(self, X, y, reset=True)
        if X.shape[0] < 2:
            raise ValueError("n_samples=%d: need at least 2 samples" % X.shape[0])
        m = _core.Blr(X.shape[1])
        m.configure(self._ard, self._update(), bool(self.fit_intercept), False,
                    float(self.alpha_1), float(self.alpha_2), float(self.lambda_1),
                    float(self.lambda_2), self._threshold())
        warm = self.alpha_init is not None or self.lambda_init is not None
        if warm:
            m.set_state(self._start(m, X, y))
        opts = _core.FitOptions("blr")
        opts.set(max_iter=self._iters(), tol=float(self.tol), n_threads=0, warm_start=warm)
        res = m.fit(X, y, opts)
        coef, intercept, noise, lam, sigma, pruned = m.params()
        self._model = m
        self.coef_ = coef
        self.intercept_ = float(intercept) if self.fit_intercept else 0.0
        self.alpha_ = float(noise)
        self.lambda_ = lam.copy() if self._ard else float(lam[0])
        if self._ard:
            keep = ~pruned
            self.sigma_ = sigma[np.ix_(keep, keep)]
        else:
            self.sigma_ = sigma
        self.n_iter_ = int(res["n_iter"])
        self.converged_ = bool(res["converged"])
        self.objective_ = float(res["objective"])
        if self.compute_score:
            self.scores_ = np.asarray(res["trace"], dtype=np.float64)
        self.fit_result_ = res
        return self

    def _start(self, m, X, y):
        """The state of m with the start alpha_init (the noise precision, default
        1 / Var(y)) and lambda_init (the weight precision(s), default 1), as scikit-learn's
        BayesianRidge starts; the fit is then vem's warm start from them (blr.h). The
        precisions are Gamma(shape, rate) with mean shape / rate: MacKay's point
        estimates are stored as (value, 1), the mean-field factors keep the shapes of
        vem's own start (c0 + d/2 or c0 + 1/2, a0 + n/2)."""
        n, d = X.shape
        alpha = (1.0 / np.var(y) if np.var(y) > 0 else 1.0) if self.alpha_init is None \
            else float(self.alpha_init)
        na = d if self._ard else 1
        lam = np.asarray(1.0 if self.lambda_init is None else self.lambda_init, dtype=np.float64)
        if lam.ndim == 0:
            lam = np.full(na, float(lam))
        elif not self._ard or lam.shape != (na,):
            raise ValueError("lambda_init must be a number%s" %
                             (" or an array of n_features values" if self._ard else ""))
        if not (alpha > 0 and np.isfinite(alpha)) or not np.all((lam > 0) & np.isfinite(lam)):
            raise ValueError("alpha_init=%r and lambda_init=%r must be positive and finite" %
                             (self.alpha_init, self.lambda_init))
        st = m.get_state()
        g = 2 * d + 1 + d + d * d  # the Gamma pairs: (shape, rate) per weight precision, noise
        mackay = self._ard and self._update() == "mackay"
        for i in range(na):
            shape = 1.0 if mackay else float(self.lambda_1) + (0.5 if self._ard else 0.5 * d)
            st[g + 2 * i] = shape
            st[g + 2 * i + 1] = shape / lam[i]
        shape = 1.0 if mackay else float(self.alpha_1) + 0.5 * n
        st[g + 2 * na] = shape
        st[g + 2 * na + 1] = shape / alpha
        return st

    def _threshold(self):
        return float("inf")

    def _update(self):
        return "vb"

    def predict(self, X, return_std=False):
        """Predictive mean, and with return_std its standard deviation (noise included)."""
        check_is_fitted(self, "coef_")
        X = _validate(self, X, reset=False)
        return self._model.predict(X, bool(return_std))

    # ---- pickling: through the model file (vem._modelfile)

    _transient_attrs = ("_model",)

    def _state_model(self):
        return getattr(self, "_model", None)

    def _restore_model(self, path):
        self._model = _core.Blr.load(path)


class BayesianRidge(_Blr):
    """scikit-learn's BayesianRidge on vem's variational Bayes fit (blr.h).

    Same parameters and attributes; the fixed point is scikit-learn's (docs/vb.md). The
    differences: ``tol`` is vem's test, the change of the ELBO in nats per sample (not the
    change of coef_); ``scores_`` (compute_score=True) is vem's ELBO per iteration, with
    every constant, not scikit-learn's log marginal likelihood; ``predict(return_std=True)``
    uses the centred rows (x - mean)^T sigma_ (x - mean) (scikit-learn's uses the
    uncentred x; the two agree for centred features). ``alpha_init`` (noise precision,
    default 1 / Var(y)) and ``lambda_init`` (weight precision, default 1) start the fit
    where scikit-learn's starts. ``n_iter`` (scikit-learn < 1.3) and ``max_iter`` are both
    accepted (max_iter wins).
    """

    def __init__(self, *, max_iter=None, tol=1e-3, alpha_1=1e-6, alpha_2=1e-6, lambda_1=1e-6,
                 lambda_2=1e-6, alpha_init=None, lambda_init=None, compute_score=False,
                 fit_intercept=True, copy_X=True, verbose=False, n_iter=None):
        self.max_iter = max_iter
        self.tol = tol
        self.alpha_1 = alpha_1
        self.alpha_2 = alpha_2
        self.lambda_1 = lambda_1
        self.lambda_2 = lambda_2
        self.alpha_init = alpha_init
        self.lambda_init = lambda_init
        self.compute_score = compute_score
        self.fit_intercept = fit_intercept
        self.copy_X = copy_X
        self.verbose = verbose
        self.n_iter = n_iter


class ARDRegression(_Blr):
    """scikit-learn's ARDRegression on vem's ARD with MacKay's update (blr.h): the same
    iterations, stopping test (sum |coef change| < tol on the centred scale) and pruning at
    ``threshold_lambda``. ``lambda_`` holds every feature's precision (pruned ones at the
    value that crossed the threshold), ``sigma_`` the covariance of the kept weights, as
    scikit-learn. ``ard_update='vb'`` (extra) selects vem's mean-field update, which
    prunes only at convergence (docs/vb.md, "ARD"). ``scores_`` is vem's objective L per
    iteration (the log evidence plus the Gamma terms, no constants), not scikit-learn's.
    ``alpha_init`` (the noise precision, default 1 / Var(y)) and ``lambda_init`` (a number
    or one precision per feature, default 1) are vem's extras, BayesianRidge's parameters
    (scikit-learn's ARDRegression has none; its start is their defaults).
    """
    _ard = True

    def __init__(self, *, max_iter=None, tol=1e-3, alpha_1=1e-6, alpha_2=1e-6, lambda_1=1e-6,
                 lambda_2=1e-6, compute_score=False, threshold_lambda=1e4, fit_intercept=True,
                 copy_X=True, verbose=False, n_iter=None, ard_update="mackay", alpha_init=None,
                 lambda_init=None):
        self.max_iter = max_iter
        self.tol = tol
        self.alpha_1 = alpha_1
        self.alpha_2 = alpha_2
        self.lambda_1 = lambda_1
        self.lambda_2 = lambda_2
        self.compute_score = compute_score
        self.threshold_lambda = threshold_lambda
        self.fit_intercept = fit_intercept
        self.copy_X = copy_X
        self.verbose = verbose
        self.n_iter = n_iter
        self.ard_update = ard_update
        self.alpha_init = alpha_init
        self.lambda_init = lambda_init

    def _threshold(self):
        return float(self.threshold_lambda)

    def _update(self):
        return str(self.ard_update)
