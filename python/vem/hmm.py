"""Hidden Markov models with hmmlearn 0.3's estimator API over libvem (python/README.md).

GaussianHMM, GMMHMM, CategoricalHMM, PoissonHMM and MultinomialHMM are fitted by
Baum-Welch (vem_hmm, include/vem/hmm.h); VariationalGaussianHMM and
VariationalCategoricalHMM by variational Bayes (vem_vbhmm, include/vem/vbhmm.h). Class
names, parameters, fitted attributes and methods are hmmlearn's; vem's extras
(vem_algorithm, n_init, n_threads, checkpoint, ...) are extra keyword arguments. Fits,
scoring and decoding run in libvem with the GIL released.

load(path) reads a model file written by `vem fit hmm|vbhmm -o` or by an estimator's
save(path).
"""
import json
import math
import sys
from collections import deque

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_array, check_is_fitted

from . import _core
from ._common import seed as _seed, set_engine_options
from ._modelfile import ModelFileState

__all__ = ["GaussianHMM", "GMMHMM", "CategoricalHMM", "PoissonHMM", "MultinomialHMM",
           "VariationalGaussianHMM", "VariationalCategoricalHMM", "VariationalPoissonHMM",
           "ConvergenceMonitor", "load"]

DECODER_ALGORITHMS = frozenset(("viterbi", "map"))


class ConvergenceMonitor:
    """What a fit did, as hmmlearn's ConvergenceMonitor: history holds the objective of
    every iteration (the total log-likelihood, nats, of the parameters entering it; with
    priors the log posterior; variational models: the ELBO), iter the iterations done,
    converged whether the change fell below tol (vem's test, |change| < tol; hmmlearn's
    property is also true when n_iter is reached)."""

    _template = "{iter:>10d} {log_prob:>16.8f} {delta:>+16.8f}"

    def __init__(self, tol, n_iter, verbose):
        self.tol = tol
        self.n_iter = n_iter
        self.verbose = verbose
        self.history = deque()
        self.iter = 0
        self.converged = False

    def __repr__(self):
        params = sorted(dict(vars(self), history=list(self.history)).items())
        return ("%s(\n" % type(self).__name__
                + "".join("    %s=%s,\n" % kv for kv in params) + ")")

    def _reset(self):
        self.iter = 0
        self.history.clear()
        self.converged = False

    def report(self, log_prob):
        """Print an iteration as hmmlearn does (to stderr) when verbose."""
        if self.verbose:
            delta = log_prob - self.history[-1] if self.history else np.nan
            print(self._template.format(iter=self.iter + 1, log_prob=log_prob, delta=delta),
                  file=sys.stderr)
        self.history.append(log_prob)
        self.iter += 1


# ---------------------------------------------------------------- helpers

def _seqs(lengths, n):
    if lengths is None:
        return None
    lengths = np.asarray(lengths)
    if lengths.ndim != 1:
        raise ValueError("lengths must be a 1-D array of sequence lengths")
    if lengths.size == 0:
        raise ValueError("lengths is empty")
    if not np.all(lengths == np.floor(lengths)) or np.any(lengths < 1):
        raise ValueError("lengths must be positive integers, got %r" % (lengths,))
    if int(lengths.sum()) != n:
        raise ValueError("lengths array %s doesn't sum to %d samples" % (lengths, n))
    return _core.Seqs([int(v) for v in lengths])


def _f64(a):
    return np.ascontiguousarray(a, dtype=np.float64).ravel()


def _scalar_prior(value, name, shape):
    """A symmetric prior: a number, or an array (broadcast to shape) of one value."""
    a = np.asarray(value, dtype=np.float64)
    try:
        a = np.broadcast_to(a, shape)
    except ValueError:
        raise ValueError("%s must be a number or an array of shape %s" % (name, shape))
    v = float(a.flat[0]) if a.size else 1.0
    if not np.all(a == v):
        raise ValueError("%s: vem's priors are symmetric (one concentration for every "
                         "entry), got different values" % name)
    return v


def _shared_rows(value, name, k, tail):
    """A prior hmmlearn gives per state (k, *tail) or shared (*tail); vem shares it."""
    a = np.asarray(value, dtype=np.float64)
    if a.shape == tuple(tail):
        return a
    if a.shape == (k,) + tuple(tail):
        if not np.all(a == a[0]):
            raise ValueError("%s: vem's Gaussian priors are shared by the states; the rows "
                             "differ" % name)
        return a[0]
    if a.ndim == 0:
        return np.broadcast_to(a, tail).copy()
    raise ValueError("%s must have shape %s or %s, got %s" %
                     (name, tuple(tail), (k,) + tuple(tail), a.shape))


def _letters(params, allowed):
    """The letters of params that apply (hmmlearn ignores the others)."""
    return "".join(c for c in allowed if c in str(params))


def _cov_shape(layout, k, d):
    return {"full": (k, d, d), "diag": (k, d), "spherical": (k,), "tied": (d, d)}[layout]


def _fill_covars(covars, layout, k, d):
    """Full covariance matrices (k, d, d) from a layout's array (hmmlearn's fill_covars)."""
    covars = np.asarray(covars)
    if layout == "full":
        return covars
    if layout == "diag":
        return np.array([np.diag(c) for c in covars])
    if layout == "tied":
        return np.tile(covars, (k, 1, 1))
    return np.eye(d)[None, :, :] * np.ravel(covars)[:, None, None]


def _options(est, model, extra=None):
    opts = _core.FitOptions(model)
    tol = float(est.tol)
    if not tol > 0:  # hmmlearn's tol=-inf (or 0): run n_iter iterations
        tol = 0.0
    if not (isinstance(est.n_iter, (int, np.integer)) and est.n_iter >= 1):
        raise ValueError("n_iter=%r must be an integer >= 1" % (est.n_iter,))
    if not (isinstance(est.n_init, (int, np.integer)) and est.n_init >= 1):
        raise ValueError("n_init=%r must be an integer >= 1" % (est.n_init,))
    opts.set(max_iter=int(est.n_iter), tol=tol, tol_rule=est.tol_rule, n_init=int(est.n_init),
             n_threads=int(est.n_threads), algorithm=est.vem_algorithm,
             batch_size=est.batch_size, kappa=est.kappa, tau=est.tau, n_blocks=est.n_blocks,
             accelerate=est.accelerate, checkpoint=est.checkpoint)
    set_engine_options(opts, est.engine_options)
    if extra:
        opts.set(**extra)
    if est.verbose:
        mon = ConvergenceMonitor(est.tol, est.n_iter, True)

        def progress(restart, it, objective, change):
            if it == 1:
                mon._reset()
            mon.report(objective)
        opts.set_progress(progress)
    return opts


def _check_common(est):
    if not (isinstance(est.n_components, (int, np.integer)) and est.n_components >= 1):
        raise ValueError("n_components=%r must be an integer >= 1" % (est.n_components,))
    if est.algorithm not in DECODER_ALGORITHMS:
        raise ValueError("Unknown decoder %r" % (est.algorithm,))
    if est.implementation not in ("log", "scaling"):
        raise ValueError("implementation=%r: 'log' or 'scaling' (vem's recursions are "
                         "scaled either way)" % (est.implementation,))


def _store(est, params):
    """Set the constructor's parameters (sklearn's convention) and, as hmmlearn does in
    its constructors, a fresh monitor_."""
    for key, value in params.items():
        if key != "self" and key != "__class__":
            setattr(est, key, value)
    est.monitor_ = ConvergenceMonitor(est.tol, est.n_iter, est.verbose)


def _take_monitor(est, res):
    mon = ConvergenceMonitor(est.tol, est.n_iter, est.verbose)
    mon.history.extend(res["trace"])
    mon.iter = int(res["n_iter"])
    mon.converged = bool(res["converged"])
    est.monitor_ = mon


# ---------------------------------------------------------------- scoring and decoding

class _Decoding:
    """Scoring, decoding and sampling with the core HMM of _get_model(): the fitted
    parameters (Baum-Welch) or the posterior means (variational models)."""

    def _frames(self, X, lengths):
        m = self._get_model()
        X, _ = self._prepare(X, fitting=False)
        return m, X, _seqs(lengths, X.shape[0])

    def score(self, X, lengths=None):
        """Total log-likelihood of X (nats), the sum over its sequences (the variational
        models: under the HMM of the posterior means, as hmmlearn's)."""
        m, X, seqs = self._frames(X, lengths)
        return float(m.score(X, seqs)[1])

    def score_samples(self, X, lengths=None):
        """(log-likelihood of X, posteriors p(z_t = k | its sequence), n x n_components)."""
        m, X, seqs = self._frames(X, lengths)
        return float(m.score(X, seqs)[1]), m.predict_proba(X, seqs)

    def predict_proba(self, X, lengths=None):
        """Posterior state probabilities of each frame, n x n_components."""
        m, X, seqs = self._frames(X, lengths)
        return m.predict_proba(X, seqs)

    def decode(self, X, lengths=None, algorithm=None):
        """(log probability, states): the Viterbi path and its log joint probability, or
        for algorithm='map' each frame's most probable state and, as hmmlearn, the sum of
        the frames' largest posterior probabilities."""
        algorithm = algorithm or self.algorithm
        if algorithm not in DECODER_ALGORITHMS:
            raise ValueError("Unknown decoder %r" % (algorithm,))
        m, X, seqs = self._frames(X, lengths)
        if algorithm == "viterbi":
            lp, states = m.decode(X, seqs, False)
            return float(lp), states
        _, states = m.decode(X, seqs, True)
        post = m.predict_proba(X, seqs)
        return float(np.max(post, axis=1).sum()), states

    def predict(self, X, lengths=None):
        """The state sequence of decode (self.algorithm)."""
        return self.decode(X, lengths)[1]

    def sample(self, n_samples=1, random_state=None, currstate=None):
        """(X, state_sequence): n_samples frames of one sequence, the first state currstate
        (else drawn from startprob_). random_state None: the estimator's."""
        m = self._get_model()
        n = int(n_samples)
        if n < 0:
            raise ValueError("n_samples=%r must be >= 0" % (n_samples,))
        if currstate is not None:
            currstate = int(currstate)
            if not 0 <= currstate < int(self.n_components):
                raise ValueError("currstate=%d: a state in 0 .. %d" %
                                 (currstate, int(self.n_components) - 1))
        rs = self.random_state if random_state is None else random_state
        X, states = m.sample(n, currstate, _seed(rs))
        return self._sample_output(X), states

    def _sample_output(self, X):
        return X


# ---------------------------------------------------------------- Baum-Welch

class _BaseHMM(_Decoding, ModelFileState, BaseEstimator):
    """Shared machinery of the estimators fitted by vem_hmm (Baum-Welch)."""

    _emission = None      # vem's emission name
    _all_letters = "st"   # the letters of the parameters, in vem's order
    _attr = {"s": "startprob_", "t": "transmat_"}

    # ---- pickling: through the model file (vem._modelfile), the JSON of save()

    def _state_files(self):
        if not hasattr(self, "startprob_"):
            return None
        try:
            text = self.to_json()
        except (ValueError, AttributeError):  # hand-set attributes that make no model
            return None
        return {"model.json": text}

    def _restore_model(self, path):
        m = _core.Hmm.load(path)
        self._configure(m, None)
        self._model = m
        self._model_key = self._key()

    # ---- per-emission hooks

    def _prepare(self, X, fitting):
        """X as float64 C-contiguous frames and the model's dim (d or M)."""
        raise NotImplementedError

    def _new_core(self, dim):
        return _core.Hmm(int(self.n_components), self._emission, int(dim))

    def _configure(self, m, X):
        """Priors and emission options on a new core model (X: the frames, or None)."""
        k = int(self.n_components)
        sp = _scalar_prior(self.startprob_prior, "startprob_prior", (k,))
        tp = _scalar_prior(self.transmat_prior, "transmat_prior", (k, k))
        ep, lp, lw = self._emission_priors()
        for name, v in (("startprob_prior", sp), ("transmat_prior", tp),
                        ("emissionprob_prior", ep)):
            if not v >= 1.0:
                raise ValueError("%s=%g: vem's MAP M-step takes Dirichlet concentrations >= "
                                 "1 (1: no prior; hmmlearn also clips p = max(n + a - 1, 0) "
                                 "for a < 1)" % (name, v))
        m.set_priors(sp, tp, ep, lp, lw)
        m.set_threads(int(self.n_threads))

    def _emission_priors(self):
        return 1.0, 0.0, 0.0

    def _push_emission(self, m, keep):
        """Set the kept emission attributes (letters keep) on the core model."""

    def _pull_emission(self, m, p):
        """Fitted emission attributes from the core's params() dict."""

    def _key_arrays(self):
        return [getattr(self, a) for a in ("startprob_", "transmat_")]

    # ---- model management

    def _has(self, letter):
        return hasattr(self, self._attr[letter])

    def _push(self, m, keep):
        k = int(self.n_components)
        if "s" in keep:
            sp = np.asarray(self.startprob_, dtype=np.float64)
            if sp.shape != (k,):
                raise ValueError("startprob_ must have length n_components")
            m.set_startprob(_f64(sp))
        if "t" in keep:
            tm = np.asarray(self.transmat_, dtype=np.float64)
            if tm.shape != (k, k):
                raise ValueError("transmat_ must have shape (n_components, n_components)")
            m.set_transmat(_f64(tm))
        self._push_emission(m, keep)

    def _pull(self, m):
        """The fitted attributes from the core model m. The model that scores, decodes
        and samples is then rebuilt from the attributes (_get_model), as `vem` rebuilds it
        from a model file: the setters renormalise probabilities, which can move the
        fitted ones by an ulp, so a pickled, cloned or saved model gives the same bits."""
        p = m.params()
        k = int(self.n_components)
        self.startprob_ = p["startprob"]
        self.transmat_ = p["transmat"].reshape(k, k)
        self._pull_emission(m, p)
        self._model = None
        self._model_key = None

    def _key(self):
        return tuple(np.asarray(a).tobytes() + str(np.shape(a)).encode()
                     for a in self._key_arrays())

    def _dim_from_attributes(self):
        raise NotImplementedError

    def _get_model(self):
        check_is_fitted(self, "startprob_")
        if getattr(self, "_model", None) is not None and self._model_key == self._key():
            return self._model
        m = self._new_core(self._dim_from_attributes())
        self._configure(m, None)
        self._push(m, self._all_letters)
        self._model = m
        self._model_key = self._key()
        return m

    # ---- fitting

    def fit(self, X, lengths=None):
        """Estimate the parameters by Baum-Welch (or vem_algorithm); returns self.

        As hmmlearn: the parameters whose letters are in init_params, or that are not
        set, are initialised (vem's initialisation: k-means or random emissions, uniform or
        random transitions); the others start from their attributes. Only the parameters
        whose letters are in params are updated.
        """
        _check_common(self)
        X, dim = self._prepare(X, fitting=True)
        seqs = _seqs(lengths, X.shape[0])
        allowed = self._all_letters
        init = "".join(c for c in allowed if c in str(self.init_params) or not self._has(c))
        keep = "".join(c for c in allowed if c not in init)
        m = self._new_core(dim)
        self._configure(m, X)
        self._push(m, keep)
        m.set_init_params(init)
        m.set_update(_letters(self.params, allowed))
        if self.init_emissions is not None:
            m.set_init(str(self.init_emissions))
        m.set_trans_init(str(self.init_transitions))
        opts = _options(self, "hmm")
        res = m.fit(X, seqs, opts, _seed(self.random_state))
        self._pull(m)
        _take_monitor(self, res)
        return self

    # ---- evaluation (_Decoding), and vem's

    def score_frames(self, X, lengths=None):
        """vem's per-frame log-likelihood ln p(x_t | x_1 .. x_t-1) within each sequence."""
        m, X, seqs = self._frames(X, lengths)
        return m.score_frames(X, seqs)

    def _n_parameters(self):
        return int(self._get_model().n_parameters())

    def aic(self, X, lengths=None):
        """-2 log L + 2 p (p: free parameters, counted as hmmlearn)."""
        m, X, seqs = self._frames(X, lengths)
        return float(m.aic(m.score(X, seqs)[1]))

    def bic(self, X, lengths=None):
        """-2 log L + p ln n (n frames)."""
        m, X, seqs = self._frames(X, lengths)
        return float(m.bic(m.score(X, seqs)[1], X.shape[0]))

    def get_stationary_distribution(self):
        """The stationary distribution of transmat_ (hmmlearn's)."""
        check_is_fitted(self, "transmat_")
        w, v = np.linalg.eig(np.asarray(self.transmat_).T)
        vec = np.real_if_close(v[:, np.argmax(w)])
        return vec / vec.sum()

    # ---- model files

    _exact_keys = (("startprob", "startprob_"), ("transmat", "transmat_"))

    def save(self, path):
        """Write the model file of `vem fit hmm -o` (JSON), readable by the `vem` command
        (vem decode, score, sample) and by vem.hmm.load: loaded, it is this estimator's
        model bit for bit."""
        _write_atomic(str(path), self.to_json())

    def to_json(self):
        """The model file's JSON text, the probabilities as the attributes hold them."""
        doc = json.loads(self._get_model().to_json())
        for key, attr in self._exact_keys:
            if key in doc:
                doc[key] = np.asarray(getattr(self, attr), dtype=np.float64).tolist()
        return json.dumps(doc, indent=1) + "\n"


def _columns(est, X, fitting):
    """(X, its columns: the model's dim), checked against the fitted n_features."""
    if not fitting and hasattr(est, "n_features") and X.shape[1] != est.n_features:
        raise ValueError("X has %d features, the model %d" % (X.shape[1], est.n_features))
    return X, X.shape[1]


def _float_frames(est, X):
    X = check_array(X, dtype=np.float64)
    return np.ascontiguousarray(X, dtype=np.float64)


def _count_frames(X, what):
    """Non-negative integer counts (any numeric dtype) as float64."""
    X = check_array(X, dtype=None)
    if not (np.issubdtype(X.dtype, np.integer) or np.issubdtype(X.dtype, np.floating)):
        raise ValueError("%s should be non-negative integers" % what)
    Xf = np.ascontiguousarray(X, dtype=np.float64)
    if Xf.size and (np.any(Xf < 0) or np.any(Xf != np.floor(Xf))):
        raise ValueError("%s should be non-negative integers" % what)
    return Xf


_ENGINE_DOC = """
    vem's extras (keyword arguments):

    vem_algorithm : 'batch' (Baum-Welch / VB-EM, default), 'stepwise', 'incremental',
        'mcem', 'sem', 'cem', 'lbfgs', 'em-lbfgs' (include/vem/fit.h; the online ones take
        whole sequences as units).
    tol_rule : what tol bounds: 'total' (default: hmmlearn's, the change of the total
        log-likelihood in nats), 'per-observation' or 'parameters'.
    n_init : restarts, the best final objective kept.
    n_threads : OpenMP threads (0: all); results do not depend on it.
    init_emissions : None (vem's default for the emission) or 'kmeans' / 'random'.
    init_transitions : 'uniform' (default: startprob and every row 1/K) or 'random'
        (Dirichlet(1) draws); hmmlearn draws Dirichlet(1/K).
    checkpoint : a file the fit's state is written to (engine_options: checkpoint_every,
        resume, ...).
    accelerate : 'none' or 'squarem'.
    batch_size, kappa, tau, n_blocks : online EM (sequences per minibatch, step size
        (t + tau)^-kappa, incremental EM's blocks).
    engine_options : a dict of further vem_fit_opts fields.
"""


class GaussianHMM(_BaseHMM):
    __doc__ = """Hidden Markov model with Gaussian emissions (hmmlearn's GaussianHMM).

    covariance_type : 'spherical', 'diag' (default), 'full', 'tied', or one of mclust's 14
        names (EII, VII, EEI, VEI, EVI, VVI, EEE, VEE, EVE, VVE, EEV, VEV, EVV, VVV);
        _covars_ holds the structure's layout (full (K, d, d), diag (K, d), spherical
        (K,), tied (d, d)), covars_ full matrices (K, d, d) as hmmlearn's property.
    min_covar : added to the covariance diagonals in the initialisation and in every
        M-step (vem's reg_covar; hmmlearn only floors the initial covariances with it).
    means_prior, means_weight, covars_prior, covars_weight : hmmlearn's Normal /
        inverse-Wishart prior has no vem counterpart; only the values that mean "no prior"
        are accepted (means_weight 0, covars_prior 0 with covars_weight <= 1 for
        diag/spherical, <= n_features for full/tied). hmmlearn's default covars_prior is
        1e-2; vem's is 0.
    prior : vem's MAP prior: None or 'default', mclust's conjugate prior with its
        default hyperparameters from the data (vem_hmm_set_gaussian_prior_default).
    """ + _ENGINE_DOC

    _emission = "gaussian"
    _all_letters = "stmc"
    _attr = {"s": "startprob_", "t": "transmat_", "m": "means_", "c": "_covars_"}

    def __init__(self, n_components=1, covariance_type="diag", min_covar=1e-3,
                 startprob_prior=1.0, transmat_prior=1.0, means_prior=0, means_weight=0,
                 covars_prior=0.0, covars_weight=1, algorithm="viterbi", random_state=None,
                 n_iter=10, tol=1e-2, verbose=False, params="stmc", init_params="stmc",
                 implementation="log", *, prior=None, vem_algorithm="batch",
                 tol_rule="total", n_init=1, n_threads=0, init_emissions=None,
                 init_transitions="uniform", checkpoint=None, accelerate="none",
                 batch_size=1000, kappa=0.7, tau=2.0, n_blocks=10, engine_options=None):
        _store(self, locals())

    def _layout(self):
        return _core.cov_parse(str(self.covariance_type))[1]

    @property
    def covars_(self):
        """Covariance matrices (n_components, n_features, n_features), as hmmlearn."""
        k, d = np.shape(self.means_)
        return _fill_covars(self._covars_, self._layout(), k, d)

    @covars_.setter
    def covars_(self, covars):
        self._covars_ = np.array(covars, dtype=np.float64, copy=True)

    def _prepare(self, X, fitting):
        X = _float_frames(self, X)
        return _columns(self, X, fitting)

    def _dim_from_attributes(self):
        return np.shape(self.means_)[1]

    def _new_core(self, dim):
        try:
            return _core.Hmm(int(self.n_components), "gaussian", int(dim),
                             str(self.covariance_type))
        except ValueError as e:
            raise ValueError("covariance_type=%r: %s" % (self.covariance_type, e)) from None

    def _configure(self, m, X):
        super()._configure(m, X)
        layout = self._layout()
        if np.any(np.asarray(self.means_weight) != 0):
            raise ValueError("means_weight=%r: hmmlearn's Normal prior on the means has no vem "
                             "counterpart (use prior='default', mclust's conjugate prior)" %
                             (self.means_weight,))
        lim = 1 if layout in ("diag", "spherical") else m.dim
        if (np.any(np.asarray(self.covars_prior) != 0)
                or np.any(np.asarray(self.covars_weight) > lim)):
            raise ValueError("covars_prior=%r, covars_weight=%r: hmmlearn's inverse-gamma / "
                             "inverse-Wishart prior on the covariances has no vem counterpart "
                             "(covars_prior=0 and covars_weight <= %d mean none; min_covar is "
                             "vem's reg_covar, prior='default' mclust's conjugate prior)" %
                             (self.covars_prior, self.covars_weight, lim))
        m.set_reg_covar(float(self.min_covar))
        if self.prior is not None and self.prior is not False:
            if self.prior not in ("default", True):
                raise ValueError("prior=%r: None or 'default' (mclust's conjugate prior)" %
                                 (self.prior,))
            if X is not None:  # a fit (scoring and decoding do not use the prior)
                m.set_gaussian_prior_default(X)

    def _push_emission(self, m, keep):
        if "m" not in keep and "c" not in keep:
            return
        k, d = int(self.n_components), m.dim
        cur = m.params()
        means = cur["means"]
        covs = cur["covariances"]
        if "m" in keep:
            mu = np.asarray(self.means_, dtype=np.float64)
            if mu.shape != (k, d):
                raise ValueError("means_ must have shape (n_components, n_features) = %s, got "
                                 "%s" % ((k, d), mu.shape))
            means = _f64(mu)
        if "c" in keep:
            layout = self._layout()
            c = np.asarray(self._covars_, dtype=np.float64)
            shape = _cov_shape(layout, k, d)
            if c.shape != shape:
                raise ValueError("%r covars must have shape %s, got %s" %
                                 (self.covariance_type, shape, c.shape))
            covs = _f64(c)
        m.set_gaussian(means, covs)

    def _pull_emission(self, m, p):
        k, d = int(self.n_components), m.dim
        self.n_features = d
        self.means_ = p["means"].reshape(k, d)
        self._covars_ = p["covariances"].reshape(_cov_shape(self._layout(), k, d))

    def _key_arrays(self):
        return super()._key_arrays() + [self.means_, self._covars_]


class GMMHMM(_BaseHMM):
    __doc__ = """Hidden Markov model with Gaussian-mixture emissions (hmmlearn's GMMHMM): n_mix
    components per state, all with covariance_type ('diag' default, 'full', 'spherical',
    'tied': one full covariance per state shared by its components, as hmmlearn's; vem
    also takes mclust's names). weights_ (K, n_mix), means_ (K, n_mix, d), covars_ in
    hmmlearn's shapes. min_covar is vem's reg_covar (every M-step). hmmlearn's priors
    weights_prior, means_prior, means_weight, covars_prior, covars_weight are accepted
    at the values that mean none (their defaults; covars_* None). The letters w, m and c
    are updated (and initialised) together or not at all.
    """ + _ENGINE_DOC

    _emission = "gmm"
    _all_letters = "stwmc"
    _exact_keys = _BaseHMM._exact_keys + (("weights", "weights_"),)
    _attr = {"s": "startprob_", "t": "transmat_", "w": "weights_", "m": "means_",
             "c": "covars_"}

    def __init__(self, n_components=1, n_mix=1, min_covar=1e-3, startprob_prior=1.0,
                 transmat_prior=1.0, weights_prior=1.0, means_prior=0.0, means_weight=0.0,
                 covars_prior=None, covars_weight=None, algorithm="viterbi",
                 covariance_type="diag", random_state=None, n_iter=10, tol=1e-2,
                 verbose=False, params="stmcw", init_params="stmcw", implementation="log",
                 *, vem_algorithm="batch", tol_rule="total", n_init=1, n_threads=0,
                 init_emissions=None, init_transitions="uniform", checkpoint=None,
                 accelerate="none", batch_size=1000, kappa=0.7, tau=2.0, n_blocks=10,
                 engine_options=None):
        _store(self, locals())

    def _layout(self):
        return _core.cov_parse(str(self.covariance_type))[1]

    def _shape(self, k, nm, d):
        return {"full": (k, nm, d, d), "diag": (k, nm, d), "spherical": (k, nm),
                "tied": (k, d, d)}[self._layout()]

    def _prepare(self, X, fitting):
        X = _float_frames(self, X)
        return _columns(self, X, fitting)

    def _dim_from_attributes(self):
        return np.shape(self.means_)[2]

    def _new_core(self, dim):
        if not (isinstance(self.n_mix, (int, np.integer)) and self.n_mix >= 1):
            raise ValueError("n_mix=%r must be an integer >= 1" % (self.n_mix,))
        try:
            return _core.Hmm(int(self.n_components), "gmm", int(dim),
                             str(self.covariance_type), int(self.n_mix))
        except ValueError as e:
            raise ValueError("covariance_type=%r: %s" % (self.covariance_type, e)) from None

    def _configure(self, m, X):
        super()._configure(m, X)
        if np.any(np.asarray(self.weights_prior) != 1):
            raise ValueError("weights_prior=%r: vem's mixture emissions have no prior on the "
                             "weights (1: none)" % (self.weights_prior,))
        if np.any(np.asarray(self.means_weight) != 0):
            raise ValueError("means_weight=%r: hmmlearn's Normal prior on the means has no vem "
                             "counterpart (0: none)" % (self.means_weight,))
        if self.covars_prior is not None or self.covars_weight is not None:
            raise ValueError("covars_prior, covars_weight: hmmlearn's prior on the "
                             "covariances has no vem counterpart (None: hmmlearn's "
                             "defaults, none; min_covar is vem's reg_covar)")
        m.set_reg_covar(float(self.min_covar))

    def _push_emission(self, m, keep):
        if not any(c in keep for c in "wmc"):
            return
        k, nm, d = int(self.n_components), int(self.n_mix), m.dim
        w = np.asarray(self.weights_, dtype=np.float64) if "w" in keep else None
        mu = np.asarray(self.means_, dtype=np.float64) if "m" in keep else None
        cv = np.asarray(self.covars_, dtype=np.float64) if "c" in keep else None
        if w is not None and w.shape != (k, nm):
            raise ValueError("weights_ must have shape (n_components, n_mix), actual shape: "
                             "%s" % (w.shape,))
        if mu is not None and mu.shape != (k, nm, d):
            raise ValueError("means_ must have shape (n_components, n_mix, n_features), "
                             "actual shape: %s" % (mu.shape,))
        shape = self._shape(k, nm, d)
        if cv is not None and cv.shape != shape:
            raise ValueError("%r mixture covars must have shape %s, actual shape: %s" %
                             (self.covariance_type, shape, cv.shape))
        cur = m.params()
        cw = cur["weights"].reshape(k, nm)
        cm = cur["means"].reshape(k, nm, d)
        cc = cur["covariances"].reshape(k, -1)
        for s in range(k):
            m.set_state_mixture(s, _f64(cw[s] if w is None else w[s]),
                                _f64(cm[s] if mu is None else mu[s]),
                                _f64(cc[s] if cv is None else cv[s]))

    def _pull_emission(self, m, p):
        k, nm, d = int(self.n_components), int(self.n_mix), m.dim
        self.n_features = d
        self.weights_ = p["weights"].reshape(k, nm)
        self.means_ = p["means"].reshape(k, nm, d)
        self.covars_ = p["covariances"].reshape(self._shape(k, nm, d))

    def _key_arrays(self):
        return super()._key_arrays() + [self.weights_, self.means_, self.covars_]


class _ArrayEmission:
    """Emissions held in one n_components x n_features array (categorical, Poisson and
    multinomial HMMs): _array = (its letter, attribute, key of the core's params and
    name of its setter, set_KEY)."""

    _array = None
    _sets_n_features = True

    def _dim_from_attributes(self):
        return np.shape(getattr(self, self._array[1]))[1]

    def _push_emission(self, m, keep):
        letter, attr, key = self._array
        if letter in keep:
            a = np.asarray(getattr(self, attr), dtype=np.float64)
            if a.shape != (int(self.n_components), m.dim):
                raise ValueError("%s must have shape (n_components, n_features) = (%d, %d), "
                                 "got %s" % (attr, int(self.n_components), m.dim, a.shape))
            getattr(m, "set_" + key)(_f64(a))

    def _pull_emission(self, m, p):
        if self._sets_n_features:
            self.n_features = m.dim
        setattr(self, self._array[1], p[self._array[2]].reshape(int(self.n_components), m.dim))

    def _key_arrays(self):
        return super()._key_arrays() + [getattr(self, self._array[1])]

    def _sample_output(self, X):
        return X.astype(np.int64)


class CategoricalHMM(_ArrayEmission, _BaseHMM):
    __doc__ = """Hidden Markov model with categorical emissions (hmmlearn's CategoricalHMM): X is
    one column of integer symbols 0 .. n_features - 1 (n x 1). emissionprob_prior is the
    Dirichlet concentration of each emission row (a number >= 1, or an array of one
    value), as startprob_prior and transmat_prior. n_features None: the largest symbol
    + 1 (set on the estimator at fit, as hmmlearn).
    """ + _ENGINE_DOC

    _emission = "categorical"
    _all_letters = "ste"
    _attr = {"s": "startprob_", "t": "transmat_", "e": "emissionprob_"}
    _exact_keys = _BaseHMM._exact_keys + (("emissionprob", "emissionprob_"),)
    _array = ("e", "emissionprob_", "emissionprob")
    _sets_n_features = False  # n_features is the constructor's (hmmlearn's)

    def __init__(self, n_components=1, startprob_prior=1.0, transmat_prior=1.0, *,
                 emissionprob_prior=1.0, n_features=None, algorithm="viterbi",
                 random_state=None, n_iter=10, tol=1e-2, verbose=False, params="ste",
                 init_params="ste", implementation="log", vem_algorithm="batch",
                 tol_rule="total", n_init=1, n_threads=0, init_emissions=None,
                 init_transitions="uniform", checkpoint=None, accelerate="none",
                 batch_size=1000, kappa=0.7, tau=2.0, n_blocks=10, engine_options=None):
        _store(self, locals())

    def _emission_priors(self):
        k = int(self.n_components)
        m = self.n_features if self.n_features is not None else 1
        return (_scalar_prior(self.emissionprob_prior, "emissionprob_prior",
                              np.shape(self.emissionprob_prior) or (k, m)), 0.0, 0.0)

    def _prepare(self, X, fitting):
        X = _symbols(X)
        top = int(X.max()) if X.size else -1
        if fitting and self.n_features is None:
            if "e" not in str(self.init_params) and hasattr(self, "emissionprob_"):
                self.n_features = int(np.shape(self.emissionprob_)[1])
            else:
                self.n_features = top + 1
        m = int(self.n_features) if self.n_features is not None else \
            int(np.shape(self.emissionprob_)[1])
        if top >= m:
            raise ValueError("Largest symbol is %d but the model only emits symbols up to %d"
                             % (top, m - 1))
        return X, m



def _symbols(X):
    """Categorical frames: one column of integer symbols >= 0, as float64 codes."""
    X = check_array(X, dtype=None)
    if X.shape[1] != 1:
        raise ValueError("categorical frames are one column of symbols (n_samples, 1), got "
                         "%d columns" % X.shape[1])
    if np.issubdtype(X.dtype, np.floating):
        if X.size and np.any(X != np.floor(X)):
            raise ValueError("Symbols should be integers")
    elif not np.issubdtype(X.dtype, np.integer):
        raise ValueError("Symbols should be integers")
    if X.size and X.min() < 0:
        raise ValueError("Symbols should be nonnegative")
    return np.ascontiguousarray(X, dtype=np.float64)


class PoissonHMM(_ArrayEmission, _BaseHMM):
    __doc__ = """Hidden Markov model with Poisson emissions (hmmlearn's PoissonHMM): n_features
    independent count columns, rates lambdas_ (K, n_features). lambdas_prior,
    lambdas_weight: the Gamma prior lambda^a e^(-b lambda) (a, b >= 0, one value each),
    whose MAP rate in vem is (a + sum gamma x) / (b + sum gamma) per state (hmmlearn 0.3
    divides by b + the occupancy of all states; the two agree without a prior).
    """ + _ENGINE_DOC

    _emission = "poisson"
    _all_letters = "stl"
    _attr = {"s": "startprob_", "t": "transmat_", "l": "lambdas_"}
    _array = ("l", "lambdas_", "lambdas")

    def __init__(self, n_components=1, startprob_prior=1.0, transmat_prior=1.0,
                 lambdas_prior=0.0, lambdas_weight=0.0, algorithm="viterbi",
                 random_state=None, n_iter=10, tol=1e-2, verbose=False, params="stl",
                 init_params="stl", implementation="log", *, vem_algorithm="batch",
                 tol_rule="total", n_init=1, n_threads=0, init_emissions=None,
                 init_transitions="uniform", checkpoint=None, accelerate="none",
                 batch_size=1000, kappa=0.7, tau=2.0, n_blocks=10, engine_options=None):
        _store(self, locals())

    def _emission_priors(self):
        k = int(self.n_components)
        a = _scalar_prior(self.lambdas_prior, "lambdas_prior",
                          np.shape(self.lambdas_prior) or (k,))
        b = _scalar_prior(self.lambdas_weight, "lambdas_weight",
                          np.shape(self.lambdas_weight) or (k,))
        return 1.0, a, b

    def _prepare(self, X, fitting):
        X = _count_frames(X, "counts")
        return _columns(self, X, fitting)



class MultinomialHMM(_ArrayEmission, _BaseHMM):
    __doc__ = """Hidden Markov model with multinomial emissions (hmmlearn 0.3's MultinomialHMM):
    each frame counts n_trials draws from n_features categories. n_trials: an int (every
    frame must sum to it), or None (any sums; as hmmlearn, sampling then needs the
    frames of the fit to share one sum, which vem takes as n_trials).
    """ + _ENGINE_DOC

    _emission = "multinomial"
    _all_letters = "ste"
    _attr = {"s": "startprob_", "t": "transmat_", "e": "emissionprob_"}
    _exact_keys = _BaseHMM._exact_keys + (("emissionprob", "emissionprob_"),)
    _array = ("e", "emissionprob_", "emissionprob")

    def __init__(self, n_components=1, n_trials=None, startprob_prior=1.0, transmat_prior=1.0,
                 algorithm="viterbi", random_state=None, n_iter=10, tol=1e-2, verbose=False,
                 params="ste", init_params="ste", implementation="log", *,
                 vem_algorithm="batch", tol_rule="total", n_init=1, n_threads=0,
                 init_emissions=None, init_transitions="uniform", checkpoint=None,
                 accelerate="none", batch_size=1000, kappa=0.7, tau=2.0, n_blocks=10,
                 engine_options=None):
        _store(self, locals())

    def _trials(self):
        t = self.n_trials
        if t is None:
            return getattr(self, "_fit_trials", 0)
        a = np.asarray(t)
        if a.ndim == 0:
            if not (float(a) == int(a) and int(a) >= 1):
                raise ValueError("n_trials=%r must be a positive integer" % (t,))
            return int(a)
        u = np.unique(a)
        return int(u[0]) if u.size == 1 else 0

    def _configure(self, m, X):
        super()._configure(m, X)
        m.set_n_trials(self._trials())

    def _prepare(self, X, fitting):
        X = _count_frames(X, "Symbol counts")
        t = self.n_trials
        sums = X.sum(axis=1)
        if t is not None and np.ndim(t) > 0:
            if np.shape(t) != (X.shape[0],) or np.any(sums != np.asarray(t)):
                raise ValueError("Total count for each sample should add up to the number of "
                                 "trials")
        if fitting and t is None:
            u = np.unique(sums)
            self._fit_trials = int(u[0]) if u.size == 1 else 0
        return _columns(self, X, fitting)



# ---------------------------------------------------------------- variational Bayes

class _BaseVariationalHMM(_Decoding, ModelFileState, BaseEstimator):
    """Shared machinery of the estimators fitted by vem_vbhmm (VB-EM)."""

    _emission = None
    _all_letters = "st"

    # ---- pickling: through the model file (vem._modelfile), the JSON of save()

    _transient_attrs = ("_vb", "_vb_key", "_plugin")

    def _state_model(self):
        if not hasattr(self, "startprob_posterior_"):
            return None
        try:
            return self._get_vb()
        except (ValueError, AttributeError):  # hand-set attributes that make no model
            return None

    def _restore_model(self, path):
        self._vb = _core.Vbhmm.load(path)
        self._vb_key = self._key()
        self._plugin = None

    # ---- per-emission hooks
    def _prepare(self, X, fitting):
        raise NotImplementedError

    def _posterior_attrs(self):
        return ["startprob_posterior_", "transmat_posterior_"]

    def _prior_attrs(self):
        return ["startprob_prior_", "transmat_prior_"]

    def _set_priors(self, v, X, resolved):
        """Priors on a new core: from the *_prior_ attributes (resolved) or the
        constructor's parameters (None: vem's defaults, resolved from X at the fit)."""
        k = int(self.n_components)
        if resolved:
            v.set_startprob_prior(_f64(self.startprob_prior_))
            v.set_transmat_prior(_f64(self.transmat_prior_))
            return
        for name, shape, setter in (("startprob_prior", (k,), v.set_startprob_prior),
                                    ("transmat_prior", (k, k), v.set_transmat_prior)):
            val = getattr(self, name)
            if val is None:
                setter(None)
            else:
                try:
                    a = np.broadcast_to(np.asarray(val, dtype=np.float64), shape)
                except ValueError:
                    raise ValueError("%s must be a number or have shape %s" % (name, shape))
                setter(_f64(a))

    def _push_posterior(self, v):
        k = int(self.n_components)
        sp = np.asarray(self.startprob_posterior_, dtype=np.float64)
        tp = np.asarray(self.transmat_posterior_, dtype=np.float64)
        if sp.shape != (k,) or tp.shape != (k, k):
            raise ValueError("startprob_posterior_ must have shape (n_components,) and "
                             "transmat_posterior_ (n_components, n_components)")
        v.set_posterior_transitions(_f64(sp), _f64(tp))

    def _pull(self, v):
        k = int(self.n_components)
        pr = v.priors()
        po = v.posterior()
        self.startprob_prior_ = pr["startprob"]
        self.transmat_prior_ = pr["transmat"].reshape(k, k)
        self.startprob_posterior_ = po["startprob_posterior"]
        self.transmat_posterior_ = po["transmat_posterior"].reshape(k, k)
        self.startprob_ = po["startprob"]
        self.transmat_ = po["transmat"].reshape(k, k)
        self.occupancy_ = po["occupancy"]
        self.effective_states_ = int(po["effective_states"])
        self._pull_emission(v, pr, po)
        self._vb = v
        self._vb_key = self._key()
        self._plugin = None

    def _key(self):
        return tuple(np.asarray(getattr(self, a)).tobytes()
                     for a in self._prior_attrs() + self._posterior_attrs())

    def _get_vb(self):
        check_is_fitted(self, "startprob_posterior_")
        if getattr(self, "_vb", None) is not None and self._vb_key == self._key():
            return self._vb
        v = self._new_core(self._dim_from_attributes())
        self._set_priors(v, None, True)
        self._push_posterior(v)
        self._vb = v
        self._vb_key = self._key()
        self._plugin = None
        return v

    def _get_model(self):
        """The plug-in HMM of the posterior means (vem_vbhmm_to_hmm), as hmmlearn scores,
        decodes and samples its variational models."""
        v = self._get_vb()
        if getattr(self, "_plugin", None) is None:
            self._plugin = v.to_hmm()
            self._plugin.set_threads(int(self.n_threads))
        return self._plugin

    # ---- fitting

    def fit(self, X, lengths=None):
        """Fit the variational posterior by VB-EM (or vem_algorithm); returns self.

        init_params holding every letter (the default), or posterior attributes not set:
        vem's initialisation. init_params='' with every posterior attribute set (and the
        *_prior_ attributes, else the constructor's priors): a warm start from them, as
        hmmlearn's fit with init_params=''. vem initialises all or none of the factors and
        updates all of them: other init_params or params raise ValueError.
        """
        _check_common(self)
        if getattr(self, "moves", False) and self.vem_algorithm != "batch":
            raise ValueError("moves need vem_algorithm='batch'")
        X, dim = self._prepare(X, fitting=True)
        seqs = _seqs(lengths, X.shape[0])
        allowed = self._all_letters
        if _letters(self.params, allowed) != allowed:
            raise ValueError("params=%r: vem's variational HMM updates every factor (%r)" %
                             (self.params, allowed))
        have = all(hasattr(self, a) for a in self._posterior_attrs())
        init = _letters(self.init_params, allowed)
        if init == allowed or not have:
            warm = False
        elif init == "":
            warm = True
        else:
            raise ValueError("init_params=%r: vem's variational HMM initialises every factor "
                             "(%r) or, with init_params='' and the posterior attributes set, "
                             "none" % (self.init_params, allowed))
        v = self._new_core(dim)
        if warm:
            resolved = all(hasattr(self, a) for a in self._prior_attrs())
            self._set_priors(v, X, resolved)
            if not resolved:
                self._resolve_defaults(v, X)
            self._push_posterior(v)
        else:
            self._set_priors(v, X, False)
        if self.init_emissions is not None:
            v.set_init(str(self.init_emissions))
        v.set_trans_init(str(self.init_transitions))
        v.set_moves(bool(getattr(self, "moves", False)))
        opts = _options(self, "vbhmm", {"warm_start": True, "n_init": 1} if warm else None)
        res = v.fit(X, seqs, opts, _seed(self.random_state))
        self._pull(v)
        _take_monitor(self, res)
        self.lower_bound_ = float(res["objective"])
        return self

    def _resolve_defaults(self, v, X):
        """Data-dependent default priors for a warm start (vem resolves them at a cold
        start only)."""

    # ---- evaluation: _Decoding, with the plug-in HMM; and the ELBO

    def elbo(self, X, lengths=None):
        """vem's evidence lower bound (nats, total) of the posterior on X, with X's
        optimal q(Z): on the fit's data the fit's final objective."""
        v = self._get_vb()
        X, _ = self._prepare(X, fitting=False)
        return float(v.elbo(X, _seqs(lengths, X.shape[0])))

    def save(self, path):
        """Write the model file of `vem fit vbhmm -o` (JSON)."""
        self._get_vb().save(str(path))

    def to_json(self):
        return self._get_vb().to_json()


class VariationalGaussianHMM(_BaseVariationalHMM):
    __doc__ = """Variational Bayesian HMM with Gaussian emissions (hmmlearn's
    VariationalGaussianHMM; vem_vbhmm). covariance_type 'full' (default), 'diag', 'spherical'
    or 'tied' (vem's diag is d Normal-Gamma factors and its spherical one Normal-Gamma
    factor per state, lambda_k ~ Gamma(d nu_k / 2, rate d s_k / 2); hmmlearn's diag, and
    its spherical for d > 1, take the scale for a d-dimensional Wishart's and differ,
    docs/vbhmm.md). Priors (None: hmmlearn's defaults): startprob_prior, transmat_prior (a
    number or arrays), means_prior (d, or (K, d) with equal rows: vem's Gaussian priors are
    shared by the states; default the data mean), beta_prior (default 1), dof_prior
    (default d), scale_prior (W0^-1: (d, d) / (K, d, d) full, (d, d) tied, (d,) / (K, d)
    diag, a number / (K,) spherical, or a number times I; default 1e-3 I). Attributes:
    hmmlearn's *_prior_ and *_posterior_ (per state, as hmmlearn's shapes; tied: one dof
    and one scale), startprob_, transmat_, means_, covars_ (full matrices),
    _covars_ (the layout's), plus occupancy_, effective_states_ and lower_bound_ (vem's
    ELBO, which keeps the n d/2 ln(2 pi) hmmlearn drops). moves=True: vem's delete and
    merge moves after VB-EM.
    """ + _ENGINE_DOC

    _emission = "gaussian"
    _all_letters = "stmc"

    def __init__(self, n_components=1, covariance_type="full", startprob_prior=None,
                 transmat_prior=None, means_prior=None, beta_prior=None, dof_prior=None,
                 scale_prior=None, algorithm="viterbi", random_state=None, n_iter=100,
                 tol=1e-6, verbose=False, params="stmc", init_params="stmc",
                 implementation="log", *, moves=False, vem_algorithm="batch",
                 tol_rule="total", n_init=1, n_threads=0, init_emissions=None,
                 init_transitions="uniform", checkpoint=None, accelerate="none",
                 batch_size=1000, kappa=0.7, tau=2.0, n_blocks=10, engine_options=None):
        _store(self, locals())

    def _layout(self):
        if self.covariance_type not in ("full", "diag", "spherical", "tied"):
            raise ValueError("covariance_type=%r: vem's VariationalGaussianHMM takes 'full', "
                             "'diag', 'spherical' or 'tied'" % (self.covariance_type,))
        return self.covariance_type

    @property
    def means_(self):
        """The posterior means of the state means (means_posterior_), as hmmlearn."""
        return self.means_posterior_

    @property
    def covars_(self):
        k, d = np.shape(self.means_posterior_)
        return _fill_covars(self._covars_, self._layout(), k, d)

    def _new_core(self, dim):
        return _core.Vbhmm(int(self.n_components), "gaussian", int(dim), self._layout())

    def _prepare(self, X, fitting):
        X = _float_frames(self, X)
        return _columns(self, X, fitting)

    def _dim_from_attributes(self):
        return np.shape(self.means_posterior_)[1]

    def _posterior_attrs(self):
        return super()._posterior_attrs() + ["means_posterior_", "beta_posterior_",
                                             "dof_posterior_", "scale_posterior_"]

    def _prior_attrs(self):
        return super()._prior_attrs() + ["means_prior_", "beta_prior_", "dof_prior_",
                                         "scale_prior_"]

    def _scale_tail(self, d):
        """The shape of one state's scale (tied: of the one scale)."""
        return {"full": (d, d), "tied": (d, d), "diag": (d,), "spherical": ()}[self._layout()]

    def _set_priors(self, v, X, resolved):
        super()._set_priors(v, X, resolved)
        k, d = int(self.n_components), v.dim
        if resolved:
            v.set_means_prior(_f64(_shared_rows(self.means_prior_, "means_prior_", k, (d,))))
            v.set_beta_prior(float(_scalar_prior(self.beta_prior_, "beta_prior_", (k,))))
            v.set_dof_prior(float(_scalar_prior(self.dof_prior_, "dof_prior_", (k,))))
            v.set_scale_prior(_f64(_shared_rows(self.scale_prior_, "scale_prior_", k,
                                                self._scale_tail(d))))
            return
        if self.means_prior is not None:
            v.set_means_prior(_f64(_shared_rows(self.means_prior, "means_prior", k, (d,))))
        if self.beta_prior is not None:
            v.set_beta_prior(float(_scalar_prior(self.beta_prior, "beta_prior", (k,))))
        if self.dof_prior is not None:
            v.set_dof_prior(float(_scalar_prior(self.dof_prior, "dof_prior", (k,))))
        if self.scale_prior is not None:
            s = np.asarray(self.scale_prior, dtype=np.float64)
            if s.ndim == 0 and self._layout() != "spherical":
                s = float(s) * (np.eye(d) if self._layout() in ("full", "tied") else np.ones(d))
            v.set_scale_prior(_f64(_shared_rows(s, "scale_prior", k, self._scale_tail(d))))

    def _resolve_defaults(self, v, X):
        if self.means_prior is None:
            v.set_means_prior(_f64(X.mean(axis=0)))

    def _push_posterior(self, v):
        super()._push_posterior(v)
        v.set_posterior_gaussian(_f64(self.means_posterior_), _f64(self.beta_posterior_),
                                 _f64(self.dof_posterior_), _f64(self.scale_posterior_))

    def _pull_emission(self, v, pr, po):
        k, d = int(self.n_components), v.dim
        tail = self._scale_tail(d)
        self.n_features = d
        self.means_prior_ = np.tile(pr["means"], (k, 1))
        self.beta_prior_ = np.full(k, pr["beta"])
        self.means_posterior_ = po["means"].reshape(k, d)
        self.beta_posterior_ = po["beta_posterior"]
        if self._layout() == "tied":  # hmmlearn's shapes: one dof and one scale
            self.dof_prior_ = float(pr["dof"])
            self.scale_prior_ = pr["scale"].reshape(tail)
            self.dof_posterior_ = float(po["dof_posterior"][0])
            self.scale_posterior_ = po["scale_posterior"].reshape(tail)
            self._covars_ = po["covariances"].reshape(tail)
            return
        self.dof_prior_ = np.full(k, pr["dof"])
        self.scale_prior_ = np.tile(pr["scale"].reshape(tail), (k,) + (1,) * len(tail))
        self.dof_posterior_ = po["dof_posterior"]
        self.scale_posterior_ = po["scale_posterior"].reshape((k,) + tail)
        self._covars_ = po["covariances"].reshape((k,) + tail)


class VariationalCategoricalHMM(_BaseVariationalHMM):
    __doc__ = """Variational Bayesian HMM with categorical emissions (hmmlearn's
    VariationalCategoricalHMM; vem_vbhmm). X: one column of integer symbols. Priors
    (None: 1/K, 1/K, 1/n_features): startprob_prior, transmat_prior, emissionprob_prior
    (numbers or arrays of hmmlearn's shapes). Attributes: hmmlearn's *_prior_,
    *_posterior_, startprob_, transmat_, emissionprob_ (posterior means), and
    occupancy_, effective_states_, lower_bound_ (vem's ELBO).
    """ + _ENGINE_DOC

    _emission = "categorical"
    _all_letters = "ste"

    def __init__(self, n_components=1, startprob_prior=None, transmat_prior=None,
                 emissionprob_prior=None, n_features=None, algorithm="viterbi",
                 random_state=None, n_iter=100, tol=1e-6, verbose=False, params="ste",
                 init_params="ste", implementation="log", *, moves=False,
                 vem_algorithm="batch", tol_rule="total", n_init=1, n_threads=0,
                 init_emissions=None, init_transitions="uniform", checkpoint=None,
                 accelerate="none", batch_size=1000, kappa=0.7, tau=2.0, n_blocks=10,
                 engine_options=None):
        _store(self, locals())

    def _new_core(self, dim):
        return _core.Vbhmm(int(self.n_components), "categorical", int(dim))

    def _prepare(self, X, fitting):
        X = _symbols(X)
        top = int(X.max()) if X.size else -1
        if fitting and self.n_features is None:
            if ("e" not in str(self.init_params)
                    and hasattr(self, "emissionprob_posterior_")):
                self.n_features = int(np.shape(self.emissionprob_posterior_)[1])
            else:
                self.n_features = top + 1
        m = int(self.n_features) if self.n_features is not None else \
            int(np.shape(self.emissionprob_posterior_)[1])
        if top >= m:
            raise ValueError("Largest symbol is %d but the model only emits symbols up to %d"
                             % (top, m - 1))
        return X, m

    def _dim_from_attributes(self):
        return np.shape(self.emissionprob_posterior_)[1]

    def _posterior_attrs(self):
        return super()._posterior_attrs() + ["emissionprob_posterior_"]

    def _prior_attrs(self):
        return super()._prior_attrs() + ["emissionprob_prior_"]

    def _set_priors(self, v, X, resolved):
        super()._set_priors(v, X, resolved)
        k, m = int(self.n_components), v.dim
        if resolved:
            v.set_emissionprob_prior(_f64(self.emissionprob_prior_))
        elif self.emissionprob_prior is not None:
            try:
                a = np.broadcast_to(np.asarray(self.emissionprob_prior, dtype=np.float64),
                                    (k, m))
            except ValueError:
                raise ValueError("emissionprob_prior must be a number or have shape %s" %
                                 ((k, m),))
            v.set_emissionprob_prior(_f64(a))

    def _push_posterior(self, v):
        super()._push_posterior(v)
        v.set_posterior_categorical(_f64(self.emissionprob_posterior_))

    def _pull_emission(self, v, pr, po):
        k, m = int(self.n_components), v.dim
        self.emissionprob_prior_ = pr["emissionprob"].reshape(k, m)
        self.emissionprob_posterior_ = po["emissionprob_posterior"].reshape(k, m)
        self.emissionprob_ = po["emissionprob"].reshape(k, m)

    def _sample_output(self, X):
        return X.astype(np.int64)


class VariationalPoissonHMM(_BaseVariationalHMM):
    __doc__ = """Variational Bayesian HMM with Poisson emissions (vem_vbhmm; `vem fit vbhmm
    --emission poisson`). hmmlearn has no such class; the names follow its variational
    models and its PoissonHMM. X: n_features columns of counts. Each state's rate of each
    column has a Gamma(shape, rate) prior and posterior (mean shape / rate).

    Priors (None: vem's defaults, the command's): startprob_prior, transmat_prior (1/K),
    lambdas_shape_prior (one number, default 1), lambdas_rate_prior (a number, n_features
    values, or (K, n_features) with equal rows: vem's Gamma prior is shared by the
    states; default the shape over each column's mean). Attributes: startprob_prior_,
    transmat_prior_, lambdas_shape_prior_ and lambdas_rate_prior_ (K, n_features),
    startprob_posterior_, transmat_posterior_, lambdas_shape_posterior_ and
    lambdas_rate_posterior_ (K, n_features), lambdas_posterior_ (the pair (shape, rate)),
    the posterior means startprob_, transmat_, lambdas_, and occupancy_,
    effective_states_, lower_bound_ (vem's ELBO). The letters of params and init_params
    are s, t and l (vem updates and initialises all of them). Scores, decodes and samples
    with the PoissonHMM of the posterior means, as the other variational models.
    """ + _ENGINE_DOC

    _emission = "poisson"
    _all_letters = "stl"

    def __init__(self, n_components=1, startprob_prior=None, transmat_prior=None,
                 lambdas_shape_prior=None, lambdas_rate_prior=None, algorithm="viterbi",
                 random_state=None, n_iter=100, tol=1e-6, verbose=False, params="stl",
                 init_params="stl", implementation="log", *, moves=False,
                 vem_algorithm="batch", tol_rule="total", n_init=1, n_threads=0,
                 init_emissions=None, init_transitions="uniform", checkpoint=None,
                 accelerate="none", batch_size=1000, kappa=0.7, tau=2.0, n_blocks=10,
                 engine_options=None):
        _store(self, locals())

    @property
    def lambdas_posterior_(self):
        """(lambdas_shape_posterior_, lambdas_rate_posterior_)."""
        return self.lambdas_shape_posterior_, self.lambdas_rate_posterior_

    def _new_core(self, dim):
        return _core.Vbhmm(int(self.n_components), "poisson", int(dim))

    def _prepare(self, X, fitting):
        X = _count_frames(X, "counts")
        return _columns(self, X, fitting)

    def _dim_from_attributes(self):
        return np.shape(self.lambdas_shape_posterior_)[1]

    def _posterior_attrs(self):
        return super()._posterior_attrs() + ["lambdas_shape_posterior_",
                                             "lambdas_rate_posterior_"]

    def _prior_attrs(self):
        return super()._prior_attrs() + ["lambdas_shape_prior_", "lambdas_rate_prior_"]

    def _set_priors(self, v, X, resolved):
        super()._set_priors(v, X, resolved)
        k, d = int(self.n_components), v.dim
        if resolved:
            v.set_lambdas_prior(_scalar_prior(self.lambdas_shape_prior_, "lambdas_shape_prior_",
                                              (k, d)),
                                _f64(_shared_rows(self.lambdas_rate_prior_, "lambdas_rate_prior_",
                                                  k, (d,))))
            return
        shape = v.priors()["lambdas_shape"]
        if self.lambdas_shape_prior is not None:
            shape = _scalar_prior(self.lambdas_shape_prior, "lambdas_shape_prior",
                                  np.shape(self.lambdas_shape_prior) or (k, d))
        rate = None
        if self.lambdas_rate_prior is not None:
            rate = _f64(_shared_rows(self.lambdas_rate_prior, "lambdas_rate_prior", k, (d,)))
        v.set_lambdas_prior(float(shape), rate)

    def _resolve_defaults(self, v, X):
        if self.lambdas_rate_prior is None:
            shape = v.priors()["lambdas_shape"]
            mean = X.mean(axis=0)
            if np.any(mean <= 0):
                raise ValueError("lambdas_rate_prior: the default (shape / column mean) needs "
                                 "every column's mean > 0")
            v.set_lambdas_prior(shape, _f64(shape / mean))

    def _push_posterior(self, v):
        super()._push_posterior(v)
        v.set_posterior_poisson(_f64(self.lambdas_shape_posterior_),
                                _f64(self.lambdas_rate_posterior_))

    def _pull_emission(self, v, pr, po):
        k, d = int(self.n_components), v.dim
        self.n_features = d
        self.lambdas_shape_prior_ = np.full((k, d), pr["lambdas_shape"])
        self.lambdas_rate_prior_ = np.tile(pr["lambdas_rate"], (k, 1))
        self.lambdas_shape_posterior_ = po["lambdas_shape_posterior"].reshape(k, d)
        self.lambdas_rate_posterior_ = po["lambdas_rate_posterior"].reshape(k, d)
        self.lambdas_ = po["lambdas"].reshape(k, d)

    def _sample_output(self, X):
        return X.astype(np.int64)


# ---------------------------------------------------------------- model files

def load(path):
    """An estimator holding the model of a vem model file ("model": "hmm" or "vbhmm",
    written by `vem fit hmm|vbhmm -o` or an estimator's save()), fitted attributes set."""
    path = str(path)
    with open(path) as f:
        doc = json.load(f)
    kind, emission = doc.get("model"), doc.get("emission")
    if kind == "hmm":
        core = _core.Hmm.load(path)
        k = core.k
        if emission == "gaussian":
            est = GaussianHMM(k, covariance_type=_cov_name(core.covariance[1]))
        elif emission == "gmm":
            est = GMMHMM(k, n_mix=core.n_mix, covariance_type=_cov_name(core.covariance[1]))
        elif emission == "categorical":
            est = CategoricalHMM(k, n_features=core.dim)
        elif emission == "poisson":
            est = PoissonHMM(k)
        elif emission == "multinomial":
            est = MultinomialHMM(k, n_trials=core.n_trials or None)
        else:
            raise ValueError("%s: unknown emission %r" % (path, emission))
        if emission in ("gaussian", "gmm"):
            est.min_covar = _reg_covar_of(doc, est.min_covar)
        est._pull(core)
        # The probabilities as the file holds them (the core renormalised them; the
        # model rebuilt from these attributes is the file's model, as `vem` loads it).
        for key, attr in est._exact_keys:
            if key in doc:
                setattr(est, attr, np.array(doc[key], dtype=np.float64).reshape(
                    np.shape(getattr(est, attr))))
        return est
    if kind == "vbhmm":
        core = _core.Vbhmm.load(path)
        if emission == "gaussian":
            est = VariationalGaussianHMM(core.k, covariance_type=core.covariance)
        elif emission == "categorical":
            est = VariationalCategoricalHMM(core.k, n_features=core.dim)
        elif emission == "poisson":
            est = VariationalPoissonHMM(core.k)
        else:
            raise ValueError("%s: vem.hmm has no estimator for a variational %r HMM" %
                             (path, emission))
        est._pull(core)
        return est
    raise ValueError("%s: not an HMM model file (model %r)" % (path, kind))


def _write_atomic(path, text):
    """Write text to path through a temporary file and a rename (as vem's model files)."""
    import os
    import tempfile
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".vem-", suffix=".json", dir=d)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _cov_name(mclust):
    """hmmlearn's name where the structure has one, else mclust's."""
    return {"VVV": "full", "VVI": "diag", "VII": "spherical", "EEE": "tied"}.get(mclust, mclust)


def _reg_covar_of(doc, default):
    v = doc.get("reg_covar")
    return float(v) if isinstance(v, (int, float)) and math.isfinite(v) else default
