"""Bayesian linear regression with scikit-learn's estimator API over libvem
(include/vem/blr.h; docs/vb.md, "Bayesian linear regression"; python/README.md), and the
generalized linear models: the random-intercept GLMM (include/vem/glmm.h) and Bayesian
logistic regression (include/vem/blogr.h).

BayesianRidge is vem's mean-field VB fit, whose fixed point is scikit-learn's
BayesianRidge's (MacKay's evidence approximation); ARDRegression is vem's ARD with
MacKay's update, scikit-learn's ARDRegression's algorithm (prunes as it goes).
"""
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from . import _core
from ._common import seed as _seed, set_engine_options, validate_data
from ._modelfile import ModelFileState

__all__ = ["BayesianRidge", "ARDRegression", "GLMM", "BayesianLogisticRegression"]


def _validate(est, X, y=None, reset=True, y_numeric=True):
    kw = dict(dtype=np.float64, reset=reset)
    if y is not None:
        kw["y_numeric"] = y_numeric
        args = (X, y)
    else:
        args = (X,)
    out = validate_data(est, *args, **kw)
    if y is None:
        return np.ascontiguousarray(out, dtype=np.float64)
    X, y = out
    if y_numeric:
        y = np.ascontiguousarray(y, dtype=np.float64)
    return np.ascontiguousarray(X, dtype=np.float64), y


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

    _core_class = _core.Blr  # pickled through its model file (vem._modelfile)


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


# ---------------------------------------------------------------- GLMM

def _tol_defaults(algorithm):
    """`vem fit glmm`'s (max_iter, tol, tol_rule) for an algorithm (cli/cmd_glmm.c): batch
    EM 5000 iterations to a relative parameter change of 1e-9; mcem and sem the engine's
    100 iterations, mcem's parameter rule at 1e-3, sem a chain of max_iter iterations
    (tol 0); cem 100 iterations to 1e-9 nats in total."""
    return {"batch": (5000, 1e-9, "parameters"), "mcem": (100, 1e-3, "parameters"),
            "sem": (100, 0.0, "per-observation"), "cem": (100, 1e-9, "total")}[algorithm]


def _contiguous(g):
    """Whether equal labels form one run each (what vem_glmm_fit needs)."""
    if g.size == 0:
        return True
    runs = g[np.r_[True, g[1:] != g[:-1]]]
    return np.unique(runs).size == runs.size


class GLMM(ModelFileState, BaseEstimator):
    """Random-intercept generalized linear mixed model (include/vem/glmm.h; `vem fit glmm`).

    For the rows j of group i: y_ij | u_i ~ Bernoulli(sigmoid(x_ij^T coef + intercept +
    u_i)) (family 'binomial', y in {0, 1}) or Poisson(exp(...)) ('poisson', counts), u_i ~
    N(0, sigma2): lme4's glmer(y ~ x + (1 | group)). Fitted by exact EM with an adaptive
    Gauss-Hermite E-step (algorithm 'batch', lme4's nAGQ = quadrature_nodes) or Monte-Carlo
    EM ('mcem', 'sem', 'cem'); standard errors by Louis' method.

    A statsmodels-like model with scikit-learn's conventions: ``fit(X, y, groups)``
    (groups: one label per row, numbers or any hashable values; rows need not be sorted
    by group: as the command, they are sorted stably by label when a group's rows are not
    contiguous), ``predict(X, groups=None)`` the expected response (probabilities for
    'binomial'): without groups the marginal mean E[h(x^T beta + u)], u ~ N(0, sigma2);
    with groups the conditional mean h(x^T beta + u_g) at each group's posterior mean (0
    for a group the fit did not see, as lme4). ``score(X, y, groups)`` is the
    log-likelihood by adaptive quadrature (nats, total), ``score_groups`` per group.

    Parameters: family, fit_intercept, quadrature_nodes (1 is the Laplace
    approximation), algorithm, max_iter / tol / tol_rule (None: the command's defaults
    for the algorithm), n_init (restarts: mcem and sem), accelerate ('squarem': the
    fastest way to the boundary sigma2 = 0, docs/glmm.md), random_state (the seed of the
    Monte-Carlo draws; an int is `vem --seed`), n_threads, engine_options (further
    vem_fit_opts fields, e.g. mc_samples, mc_average_from).

    Attributes: coef_ (d), intercept_, beta_ (p: the intercept first, lme4's order),
    sigma2_ (the random intercepts' variance), beta_stderr_, sigma2_stderr_ (None when
    the observed information is not positive definite), groups_ (the fit's group labels
    in the order of the sorted rows), random_effects_ and random_effects_sd_ (each
    group's posterior mean and sd of u), log_likelihood_ (the fit's objective), n_iter_,
    converged_, at_boundary_ (sigma2 creeping toward 0: a singular fit, docs/glmm.md),
    n_features_in_.
    """

    def __init__(self, family="binomial", *, fit_intercept=True, quadrature_nodes=25,
                 algorithm="batch", max_iter=None, tol=None, tol_rule=None, n_init=1,
                 accelerate="none", random_state=None, n_threads=0, engine_options=None):
        self.family = family
        self.fit_intercept = fit_intercept
        self.quadrature_nodes = quadrature_nodes
        self.algorithm = algorithm
        self.max_iter = max_iter
        self.tol = tol
        self.tol_rule = tol_rule
        self.n_init = n_init
        self.accelerate = accelerate
        self.random_state = random_state
        self.n_threads = n_threads
        self.engine_options = engine_options

    _core_class = _core.Glmm  # pickled through its model file (vem._modelfile)

    # ---- helpers

    def _options(self):
        if self.algorithm not in ("batch", "mcem", "sem", "cem"):
            raise ValueError("algorithm=%r: a GLMM is fitted by 'batch' (exact EM), 'mcem', "
                             "'sem' or 'cem'" % (self.algorithm,))
        max_iter, tol, rule = _tol_defaults(self.algorithm)
        if self.max_iter is not None:
            max_iter = int(self.max_iter)
        if self.tol is not None:
            tol = float(self.tol)
        if self.tol_rule is not None:
            rule = self.tol_rule
        if self.algorithm in ("batch", "cem") and int(self.n_init) != 1:
            raise ValueError("n_init=%r: every restart of %s starts from the same GLM fit; "
                             "restarts apply to 'mcem' and 'sem'" % (self.n_init, self.algorithm))
        opts = _core.FitOptions("engine")
        opts.set(algorithm=self.algorithm, max_iter=max_iter, tol=tol, tol_rule=rule,
                 n_init=int(self.n_init), n_threads=int(self.n_threads),
                 accelerate=self.accelerate)
        if self.algorithm == "sem":
            opts.set(mc_average_from=max_iter // 2 + 1)  # the second half of the chain
        return set_engine_options(opts, self.engine_options)

    def _labels(self, groups, n, fitting):
        """groups as float64 labels for libvem: numbers as they are (the command's labels),
        other values coded by their sorted order (kept for predict)."""
        if groups is None:
            raise ValueError("GLMM needs groups: fit(X, y, groups), one label per row")
        g = np.asarray(groups)
        if g.ndim != 1 or g.shape[0] != n:
            raise ValueError("groups must have one label per row: %d rows, groups of shape %s"
                             % (n, g.shape))
        if fitting:
            self._group_values = None
            if not (np.issubdtype(g.dtype, np.number) and not np.issubdtype(g.dtype,
                                                                             np.complexfloating)):
                self._group_values = np.unique(g)
        if getattr(self, "_group_values", None) is None:
            return np.ascontiguousarray(g, dtype=np.float64)
        values = self._group_values
        idx = np.searchsorted(values, g)
        idx = np.minimum(idx, values.size - 1)
        known = values[idx] == g
        # a label the fit did not see gets a code no fitted group has
        return np.where(known, idx, -1.0 - np.arange(n)).astype(np.float64)

    def _unlabel(self, codes):
        values = getattr(self, "_group_values", None)
        if values is None or codes is None:
            return codes
        return values[codes.astype(np.intp)]

    # ---- fitting

    def fit(self, X, y, groups=None):
        """Fit beta and sigma2 to (X, y) with the rows' group labels; returns self."""
        if y is None:
            raise ValueError("requires y to be passed, but the target y is None")
        X, y = _validate(self, X, y, reset=True)
        n, d = X.shape
        g = self._labels(groups, n, True)
        if not _contiguous(g):
            order = np.argsort(g, kind="stable")
            X, y, g = X[order], y[order], g[order]
        opts = self._options()
        m = _core.Glmm(d, str(self.family), bool(self.fit_intercept),
                       int(self.quadrature_nodes))
        m.set_seed(_seed(self.random_state))
        res = m.fit(np.ascontiguousarray(X), np.ascontiguousarray(y), g, opts)
        self._model = m
        self._take(m)
        self.log_likelihood_ = float(res["objective"])
        self.n_iter_ = int(res["n_iter"])
        self.converged_ = bool(res["converged"])
        self.fit_result_ = res
        if self.at_boundary_:
            warnings.warn("slow convergence near the boundary sigma^2 = 0: sigma2 was still "
                          "falling toward 0 (the MLE is probably sigma2 = 0, a singular fit)",
                          ConvergenceWarning)
        elif not self.converged_ and opts.max_iter > 0 and self.algorithm != "sem":
            warnings.warn("the fit stopped at max_iter=%d before meeting tol" % opts.max_iter,
                          ConvergenceWarning)
        return self

    def _take(self, m):
        p = m.params()
        beta = p["beta"]
        self.beta_ = beta
        self.intercept_ = float(beta[0]) if self.fit_intercept else 0.0
        self.coef_ = beta[1:].copy() if self.fit_intercept else beta.copy()
        self.sigma2_ = float(p["sigma2"])
        se = p["stderr"]
        self.beta_stderr_ = None if se is None else se[:-1].copy()
        self.sigma2_stderr_ = None if se is None else float(se[-1])
        self.groups_ = self._unlabel(p["labels"])
        self.random_effects_ = p["u_mean"]
        self.random_effects_sd_ = p["u_sd"]
        self.at_boundary_ = bool(p["at_boundary"])

    # ---- using the model

    def predict(self, X, groups=None):
        """The expected response of each row: marginal over u without groups, conditional
        on each row's group (its posterior mean, 0 for an unseen group) with groups."""
        check_is_fitted(self, "beta_")
        X = _validate(self, X, reset=False)
        g = None if groups is None else self._labels(groups, X.shape[0], False)
        marginal, conditional = self._model.predict(X, g)
        return marginal if g is None else conditional

    def _data(self, X, y, groups):
        check_is_fitted(self, "beta_")
        X, y = _validate(self, X, y, reset=False)
        g = self._labels(groups, X.shape[0], False)
        if not _contiguous(g):
            order = np.argsort(g, kind="stable")
            X, y, g = X[order], y[order], g[order]
        return np.ascontiguousarray(X), np.ascontiguousarray(y), g

    def score(self, X, y, groups=None):
        """Log-likelihood of (X, y, groups) by adaptive Gauss-Hermite quadrature (nats,
        total; `vem score`'s)."""
        return float(self._model.score(*self._data(X, y, groups))[0])

    def score_groups(self, X, y, groups=None):
        """Each group's log-likelihood, in the order of the groups' first rows after the
        sort by label (the command's order)."""
        return self._model.score(*self._data(X, y, groups))[1]

    def aic(self, X, y, groups=None):
        """-2 log L + 2 (p + 1)."""
        return -2.0 * self.score(X, y, groups) + 2.0 * (self.beta_.size + 1)

    def bic(self, X, y, groups=None):
        """-2 log L + (p + 1) ln n (n rows, the command's)."""
        n = np.shape(X)[0]
        return -2.0 * self.score(X, y, groups) + (self.beta_.size + 1) * np.log(n)

    def _more_tags(self):
        return {"requires_y": True}


# ---------------------------------------------------------------- Bayesian logistic regression

class BayesianLogisticRegression(ModelFileState, ClassifierMixin, BaseEstimator):
    """Bayesian logistic regression by stochastic variational inference (include/vem/blogr.h,
    docs/blogr.md; `vem fit blogr`): p(y = 1 | x, w) = sigmoid(z^T w) with z the
    standardised features and 1, w ~ N(0, prior_var I), q(w) Gaussian (mean-field or
    full-rank) fitted by Adam on the reparameterisation gradient of the ELBO.

    scikit-learn's classifier API: fit(X, y) with two classes (any labels), predict,
    predict_proba (the predictive probability E_q[sigmoid(z^T w)]), decision_function
    (its log-odds), score (accuracy), coef_ (1, d) and intercept_ (1,) the posterior
    means on the input scale, classes_.

    Parameters (the command's options and defaults): family ('mean-field' or
    'full-rank'), prior_var, fit_intercept, standardize, samples (Monte-Carlo draws per
    row in the gradient), max_iter (epochs, default 1000), batch_size (32),
    learning_rate (0.01: four stages of max_iter / 4 epochs at learning_rate times 1,
    1/4, 1/20, 1/100, each a warm start of the last; constant_learning_rate=True runs one
    stage), random_state (vem's seed: shuffles and noise; an int is `vem --seed`),
    n_threads (results do not depend on it).

    Attributes: coef_, intercept_, coef_covariance_ ((d + 1) x (d + 1), the intercept
    last), q_mean_ and q_covariance_ (q on the standardised scale, intercept last),
    lower_bound_ (the final epoch's ELBO estimate, nats), n_iter_ (epochs), classes_,
    n_features_in_. Method log_likelihood(X, y): the total log predictive probability of
    the labels (nats; `vem score`'s).
    """

    def __init__(self, *, family="mean-field", prior_var=10.0, fit_intercept=True,
                 standardize=True, samples=1, max_iter=1000, batch_size=32,
                 learning_rate=0.01, constant_learning_rate=False, random_state=None,
                 n_threads=0):
        self.family = family
        self.prior_var = prior_var
        self.fit_intercept = fit_intercept
        self.standardize = standardize
        self.samples = samples
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.constant_learning_rate = constant_learning_rate
        self.random_state = random_state
        self.n_threads = n_threads

    _core_class = _core.Blogr  # pickled through its model file (vem._modelfile)

    def fit(self, X, y):
        """Fit q(w) to (X, y) by Adam; returns self."""
        if y is None:
            raise ValueError("requires y to be passed, but the target y is None")
        X, y = _validate(self, X, y, reset=True, y_numeric=False)
        check_classification_targets(y)
        self.classes_, yi = np.unique(y, return_inverse=True)
        if self.classes_.size != 2:
            raise ValueError("BayesianLogisticRegression is a binary classifier: y has %d "
                             "class(es) %r" % (self.classes_.size, list(self.classes_)))
        epochs = int(self.max_iter)
        if epochs < 1:
            raise ValueError("max_iter=%r must be >= 1" % (self.max_iter,))
        if not (float(self.learning_rate) > 0):
            raise ValueError("learning_rate=%r must be > 0" % (self.learning_rate,))
        m = _core.Blogr(X.shape[1], str(self.family), bool(self.fit_intercept),
                        bool(self.standardize), float(self.prior_var), int(self.samples))
        m.set_seed(_seed(self.random_state))
        yf = np.ascontiguousarray(yi, dtype=np.float64)
        factors = (1.0,) if self.constant_learning_rate else (1.0, 0.25, 0.05, 0.01)
        done, res = 0, None
        for st, f in enumerate(factors):
            e = epochs if len(factors) == 1 else epochs // 4 + (1 if st < epochs % 4 else 0)
            if e == 0:
                continue
            opts = _core.FitOptions("engine")
            opts.set(algorithm="adam", max_iter=e, tol=0.0, batch_size=int(self.batch_size),
                     lr=float(self.learning_rate) * f, warm_start=done > 0,
                     n_threads=int(self.n_threads))
            res = m.fit(X, yf, opts)
            done += int(res["n_iter"])
        self._model = m
        mean, cov, qm, qc = m.coef()
        d = X.shape[1]
        self.coef_ = mean[:d].reshape(1, d)
        self.intercept_ = mean[d:].copy()
        self.coef_covariance_ = cov
        self.q_mean_ = qm
        self.q_covariance_ = qc
        self.lower_bound_ = float(res["objective"])
        self.n_iter_ = done
        self.fit_result_ = res
        return self

    def _check(self, X):
        check_is_fitted(self, "coef_")
        return _validate(self, X, reset=False)

    def _proba1(self, X):
        X = self._check(X)
        return self._model.predict(X)

    def predict_proba(self, X):
        """(n, 2): the predictive probabilities of classes_[0] and classes_[1]."""
        p = self._proba1(X)
        return np.column_stack([1.0 - p, p])

    def predict(self, X):
        """classes_[1] where its predictive probability exceeds 1/2, else classes_[0]."""
        p = self._proba1(X)
        return self.classes_[(p > 0.5).astype(np.intp)]

    def decision_function(self, X):
        """The log-odds of the predictive probability, ln p - ln(1 - p) (> 0: classes_[1]).
        Not the logit at q's mean, x^T coef_ + intercept_, which has the same sign but
        another order: the predictive probability also depends on the logit's variance."""
        p = self._proba1(X)
        with np.errstate(divide="ignore"):
            return np.log(p) - np.log1p(-p)

    def log_likelihood(self, X, y):
        """Total log predictive probability of the labels y (nats)."""
        X = self._check(X)
        y = np.asarray(y)
        yi = np.searchsorted(self.classes_, y)
        if y.shape != (X.shape[0],) or np.any(yi >= self.classes_.size) or \
                np.any(self.classes_[np.minimum(yi, self.classes_.size - 1)] != y):
            raise ValueError("y must hold one of the classes %r per row" % (list(self.classes_),))
        return float(self._model.score(X, np.ascontiguousarray(yi, dtype=np.float64))[1])

    def _more_tags(self):
        return {"binary_only": True}
