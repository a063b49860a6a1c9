"""Latent Dirichlet allocation with scikit-learn's estimator API over libvem
(include/vem/lda.h; python/README.md, "LatentDirichletAllocation").

LatentDirichletAllocation takes scikit-learn's parameters and sets its fitted
attributes; the model is vem's smoothed LDA (docs/lda.md). Where vem and scikit-learn
differ (the E-step's start, the online minibatch order, the bound that score() and
perplexity() report), the class docstring says how.
"""
import numpy as np
import scipy.sparse as sp
from scipy.special import psi
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_array
from sklearn.utils.validation import check_is_fitted

from . import _core
from ._common import seed as _seed
from ._modelfile import ModelFileState

try:  # scikit-learn >= 1.2
    from sklearn.base import ClassNamePrefixFeaturesOutMixin as _FeaturesOut
except ImportError:  # pragma: no cover
    _FeaturesOut = object

__all__ = ["LatentDirichletAllocation"]


def _csr(est, X, reset):
    """X as a CSR matrix of float64 counts with int64 indptr, uint32 sorted indices and
    summed duplicates; dense arrays and other sparse formats are converted once."""
    X = check_array(X, accept_sparse="csr", dtype=np.float64)
    if not sp.issparse(X):
        X = sp.csr_matrix(X)
    if not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()
    data = np.ascontiguousarray(X.data, dtype=np.float64)
    if data.size and (not np.all(np.isfinite(data)) or data.min() < 0):
        raise ValueError("Negative values in data passed to LatentDirichletAllocation "
                         "(counts must be finite and >= 0)")
    n, v = X.shape
    if reset:
        if n < 1:
            raise ValueError("Found array with 0 sample(s) (shape=%r) while a minimum of 1 "
                             "is required." % (X.shape,))
        est.n_features_in_ = v
    elif v != est.n_features_in_:
        raise ValueError("X has %d features, but %s is expecting %d features as input."
                         % (v, type(est).__name__, est.n_features_in_))
    indptr = np.ascontiguousarray(X.indptr, dtype=np.int64)
    words = np.ascontiguousarray(X.indices, dtype=np.uint32)
    return indptr, words, data


class LatentDirichletAllocation(ModelFileState, _FeaturesOut, TransformerMixin, BaseEstimator):
    """scikit-learn's LatentDirichletAllocation on libvem's LDA.

    Parameters are scikit-learn's, meaning the same, except:

    - ``learning_method='batch'`` is vem's batch variational EM, ``'online'`` its online
      variational Bayes (stepwise: Hoffman et al. 2010, rho_t = (t + learning_offset)
      ^ -learning_decay) over minibatches of ``batch_size`` documents drawn in a shuffled
      order each pass (scikit-learn takes them in row order).
    - Each document's E-step starts from gamma = alpha + n_d / K (lda-c's start),
      scikit-learn's from random Gamma(100, 1/100) draws: fits from the same topics are
      close, not identical (the tests bound the difference).
    - ``evaluate_every <= 0`` (the default) runs exactly ``max_iter`` passes, as
      scikit-learn. With ``evaluate_every > 0`` the fit stops when the ELBO per token
      changes by less than ``tol`` nats (vem's test, default 1e-4; ``perp_tol`` is not
      used).
    - ``partial_fit(X)`` runs one online pass over X (its minibatches of ``batch_size``)
      from the current topics, scaled to X's documents; the step counter t restarts at
      each call and ``total_samples`` is not used (see python/README.md).
    - ``score(X)`` is vem's held-out bound: the sum over the documents of the ELBO's local
      terms (docs/lda.md, "Held-out bound"). scikit-learn's ``score`` adds the global term
      -KL(q(beta) || p(beta)) once, whatever the size of X; ``perplexity(X)`` is
      exp(-score(X) / tokens of X) here, exp(-(its score) / tokens) there.
    - ``n_jobs`` maps to vem's threads (None or -1: all; results do not depend on it).

    Extras: ``tol`` (see above), ``n_threads`` (overrides n_jobs), ``warm_start`` (start
    from the current ``components_``, e.g. one set by hand), ``n_init``.
    """

    def __init__(self, n_components=10, *, doc_topic_prior=None, topic_word_prior=None,
                 learning_method="batch", learning_decay=0.7, learning_offset=10.0,
                 max_iter=10, batch_size=128, evaluate_every=-1, total_samples=1e6,
                 perp_tol=1e-1, mean_change_tol=1e-3, max_doc_update_iter=100, n_jobs=None,
                 verbose=0, random_state=None, tol=None, n_threads=None, warm_start=False,
                 n_init=1):
        self.n_components = n_components
        self.doc_topic_prior = doc_topic_prior
        self.topic_word_prior = topic_word_prior
        self.learning_method = learning_method
        self.learning_decay = learning_decay
        self.learning_offset = learning_offset
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.evaluate_every = evaluate_every
        self.total_samples = total_samples
        self.perp_tol = perp_tol
        self.mean_change_tol = mean_change_tol
        self.max_doc_update_iter = max_doc_update_iter
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.random_state = random_state
        self.tol = tol
        self.n_threads = n_threads
        self.warm_start = warm_start
        self.n_init = n_init

    # ------------------------------------------------------------ helpers
    def _threads(self):
        if self.n_threads is not None:
            return int(self.n_threads)
        if self.n_jobs is None or self.n_jobs < 0:
            return 0
        return int(self.n_jobs)

    def _check_params(self):
        if not isinstance(self.n_components, (int, np.integer)) or self.n_components < 1:
            raise ValueError("n_components must be an int >= 1, got %r" % (self.n_components,))
        if self.learning_method not in ("batch", "online"):
            raise ValueError("learning_method must be 'batch' or 'online', got %r"
                             % (self.learning_method,))
        if self.max_iter < 1 or self.batch_size < 1 or self.max_doc_update_iter < 1:
            raise ValueError("max_iter, batch_size and max_doc_update_iter must be >= 1")

    def _new_model(self):
        k = int(self.n_components)
        m = _core.Lda(k, int(self.n_features_in_))
        alpha = 1.0 / k if self.doc_topic_prior is None else float(self.doc_topic_prior)
        eta = 1.0 / k if self.topic_word_prior is None else float(self.topic_word_prior)
        m.set_priors(alpha, eta)
        m.set_estep(float(self.mean_change_tol), int(self.max_doc_update_iter))
        return m

    def _options(self, online, passes, warm):
        opts = _core.FitOptions("lda")
        tol = self.tol
        if tol is None:
            tol = 1e-4 if self.evaluate_every is not None and self.evaluate_every > 0 else 0.0
        opts.set(max_iter=int(passes), tol=float(tol), n_init=int(self.n_init),
                 warm_start=bool(warm), n_threads=self._threads())
        if online:
            opts.set(algorithm="stepwise", batch_size=int(self.batch_size),
                     kappa=float(self.learning_decay), tau=float(self.learning_offset))
        if self.verbose:
            opts.set_progress(lambda r, it, obj, ch: print(
                "iteration: %d, ELBO: %.6f" % (it + 1, obj)))
        return opts

    @property
    def exp_dirichlet_component_(self):
        """exp(E[log beta]) of components_, topics x words (scikit-learn's attribute),
        computed from components_ when read: a fit does not spend the K x V digammas on it."""
        lam = self.__dict__.get("components_")
        if lam is None:
            raise AttributeError("exp_dirichlet_component_: the estimator is not fitted")
        lam = np.asarray(lam, dtype=np.float64)
        return np.exp(psi(lam) - psi(lam.sum(axis=1))[:, np.newaxis])

    def _set_fitted(self, res):
        lam = self._model.get_lambda()
        self.components_ = lam
        self.bound_ = float(res["objective"])
        self.doc_topic_prior_ = float(self._model.alpha)
        self.topic_word_prior_ = (1.0 / self.n_components if self.topic_word_prior is None
                                  else float(self.topic_word_prior))
        self._n_tokens_fit = float(res["n_obs"])
        self.fit_result_ = res

    def _sync_components(self):
        """A components_ set by hand (warm start) goes into the model."""
        lam = np.ascontiguousarray(self.components_, dtype=np.float64)
        if lam.shape != (self.n_components, self.n_features_in_):
            raise ValueError("components_ has shape %r, expected %r"
                             % (lam.shape, (self.n_components, self.n_features_in_)))
        self._model.set_lambda(lam)

    # ------------------------------------------------------------ fitting
    def fit(self, X, y=None):
        """Fit the topics to the documents of X (n_samples x n_features counts)."""
        self._check_params()
        warm = bool(self.warm_start) and hasattr(self, "components_")
        prev = getattr(self, "n_features_in_", None)
        indptr, words, counts = _csr(self, X, reset=True)
        if warm and prev == self.n_features_in_:
            self._model = self._new_model()
            self._sync_components()
        else:
            warm = False
            self._model = self._new_model()
        online = self.learning_method == "online"
        opts = self._options(online, self.max_iter, warm)
        res = self._model.fit(indptr, words, counts, opts, _seed(self.random_state))
        self._set_fitted(res)
        self.n_iter_ = int(res["n_iter"])
        n_docs = indptr.shape[0] - 1
        if online:
            self.n_batch_iter_ = int(self.n_iter_ * -(-n_docs // int(self.batch_size)))
        else:
            self.n_batch_iter_ = int(self.n_iter_)
        return self

    def partial_fit(self, X, y=None):
        """One online pass over X from the current topics (a first call starts from random
        topics seeded by random_state)."""
        self._check_params()
        first = not hasattr(self, "components_")
        indptr, words, counts = _csr(self, X, reset=first)
        if first:
            self._model = self._new_model()
            self.n_batch_iter_ = 0
            self.n_iter_ = 0
        else:
            self._sync_components()
        opts = self._options(True, 1, not first)
        opts.set(n_init=1, tol=0.0)
        res = self._model.fit(indptr, words, counts, opts, _seed(self.random_state))
        self._set_fitted(res)
        n_docs = indptr.shape[0] - 1
        self.n_batch_iter_ += int(-(-n_docs // int(self.batch_size)))
        self.n_iter_ += 1
        return self

    # ------------------------------------------------------------ using the topics
    def _fitted(self, X):
        check_is_fitted(self, "components_")
        self._sync_components()
        return _csr(self, X, reset=False)

    def transform(self, X, *, normalize=True):
        """Topic proportions of each document (rows sum to 1), or gamma with normalize=False."""
        indptr, words, counts = self._fitted(X)
        return self._model.transform(indptr, words, counts, bool(normalize), self._threads())

    def fit_transform(self, X, y=None, **params):
        return self.fit(X, y).transform(X)

    def _bound(self, X):
        indptr, words, counts = self._fitted(X)
        bound, tokens, _, _ = self._model.score(indptr, words, counts, self._threads())
        return bound, tokens

    def score(self, X, y=None):
        """vem's held-out bound of X in nats: the documents' local ELBO terms, summed
        (no -KL(q(beta) || p(beta)) term: see the class docstring)."""
        return float(self._bound(X)[0])

    def perplexity(self, X, sub_sampling=False):
        """exp(-score(X) / tokens of X)."""
        bound, tokens = self._bound(X)
        return float(np.exp(-bound / tokens))

    # ------------------------------------------------------------ pickling
    # Through the model file (vem._modelfile): the JSON and its lambda .npy.

    _core_class = _core.Lda

    def _state_model(self):
        if not hasattr(self, "components_") or getattr(self, "_model", None) is None:
            return None
        try:
            self._sync_components()
        except ValueError:  # a components_ set by hand that fits no model: it alone
            return None
        return self._model

    def _restore_model(self, path):
        super()._restore_model(path)
        self._model.set_estep(float(self.mean_change_tol), int(self.max_doc_update_iter))

    def _more_tags(self):
        return {"requires_positive_X": True, "X_types": ["2darray", "sparse"]}

    @property
    def _n_features_out(self):
        return self.components_.shape[0]
