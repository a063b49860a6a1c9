"""Pickling and copy.deepcopy through the model file (vem/_modelfile.py): every
estimator's state holds the JSON of its model file (and the .npy beside it), unpickling
loads the C model from them, and the copy predicts and scores bit for bit as the
original."""
import copy
import json
import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

import vem
from vem import _core
from conftest import load_faithful, load_penguins

FAITHFUL = load_faithful()
PENGUINS = load_penguins()
STATE = "_vem_model_file"


def copies(est):
    """The estimator pickled and loaded, and deep-copied; each one's state checked."""
    state = est.__getstate__()
    files = state[STATE]
    doc = json.loads(files["model.json"])
    assert doc["format"] == "vem-model"
    assert not any(k in state for k in est._transient_attrs)
    return [pickle.loads(pickle.dumps(est)), copy.deepcopy(est)], doc


def same(a, b):
    """Equal bits: arrays (and tuples of them) or numbers."""
    if isinstance(a, tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            same(x, y)
        return
    assert np.array_equal(np.asarray(a), np.asarray(b)), (a, b)


def quiet(est, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(*args, **kw)


@pytest.mark.parametrize("cov", [n for n, _ in _core.cov_names()])
def test_gaussian_mixture(cov):
    X = PENGUINS
    try:
        est = quiet(vem.GaussianMixture(3, covariance_type=cov, init_params="hc",
                                        random_state=0), X)
    except ValueError:  # a structure without reg_covar whose scatter is singular
        pytest.skip("%s does not fit" % cov)
    others, doc = copies(est)
    assert doc["model"] == "gmm"
    for o in others:
        same(o.score_samples(X), est.score_samples(X))
        same(o.predict_proba(X), est.predict_proba(X))
        same(o.predict(X), est.predict(X))
        same(o.bic(X), est.bic(X))
        same(o.sample(20), est.sample(20))
        same(o.means_, est.means_)


def test_gaussian_mixture_partial_fit_after_copy():
    """The fit's MAP prior travels with the copy; partial_fit's statistics do not (they
    are centred in the C model): the copy's next call starts them afresh, as the
    original's does once its C model is rebuilt from the attributes."""
    X = FAITHFUL
    est = vem.GaussianMixture(2, random_state=1, prior="default")
    for part in (X[:100], X[100:200]):
        est.partial_fit(part)
    others, _ = copies(est)
    assert all(o._stepwise_ is None for o in others)
    est._model = None
    est.partial_fit(X[200:])
    for o in others:
        o.partial_fit(X[200:])
        same(o.means_, est.means_)
        same(o.covariances_, est.covariances_)
        same(o.score_samples(X), est.score_samples(X))


@pytest.mark.parametrize("cov,prior", [("full", "dirichlet_process"),
                                       ("diag", "dirichlet_distribution")])
def test_bayesian_gaussian_mixture(cov, prior):
    X = PENGUINS
    est = vem.BayesianGaussianMixture(6, covariance_type=cov, random_state=1, max_iter=1000,
                                      weight_concentration_prior_type=prior).fit(X)
    others, doc = copies(est)
    assert doc["model"] == "vbgmm"
    for o in others:
        same(o.score_samples(X), est.score_samples(X))
        same(o.predict_proba(X), est.predict_proba(X))
        same(o.elbo(X), est.elbo(X))
        same(o.sample(10), est.sample(10))
    assert est.elbo(X) == pytest.approx(est.lower_bound_, rel=1e-12)


def _hmms():
    codes = np.random.RandomState(0).randint(0, 4, size=(300, 1))
    counts = np.random.RandomState(1).poisson(3.0, size=(200, 3))
    multi = np.random.RandomState(2).multinomial(5, [0.2, 0.3, 0.5], size=200)
    return [
        (vem.GaussianHMM(3, covariance_type="full", n_iter=30, random_state=0), FAITHFUL),
        (vem.GaussianHMM(2, covariance_type="EVE", n_iter=30, random_state=0), FAITHFUL),
        (vem.GMMHMM(2, n_mix=2, n_iter=20, random_state=0), FAITHFUL),
        (vem.CategoricalHMM(3, n_iter=30, random_state=0), codes),
        (vem.PoissonHMM(2, n_iter=30, random_state=0), counts),
        (vem.MultinomialHMM(2, n_trials=5, n_iter=30, random_state=0), multi),
        (vem.VariationalGaussianHMM(3, n_iter=30, random_state=0), FAITHFUL),
        (vem.VariationalCategoricalHMM(3, n_iter=30, random_state=0), codes),
        (vem.VariationalPoissonHMM(2, n_iter=30, random_state=0), counts),
    ]


@pytest.mark.parametrize("case", range(9))
def test_hmms(case):
    est, X = _hmms()[case]
    est.fit(X)
    others, doc = copies(est)
    assert doc["model"] in ("hmm", "vbhmm")
    for o in others:
        same(o.score(X), est.score(X))
        same(o.score_samples(X), est.score_samples(X))
        same(o.decode(X), est.decode(X))
        same(o.decode(X, algorithm="map"), est.decode(X, algorithm="map"))
        same(o.sample(30, random_state=4), est.sample(30, random_state=4))
        assert list(o.monitor_.history) == list(est.monitor_.history)
        if hasattr(est, "elbo"):
            same(o.elbo(X), est.elbo(X))


def test_lda():
    rng = np.random.RandomState(0)
    X = sp.csr_matrix(rng.poisson(0.7, size=(80, 30)).astype(float))
    est = vem.LatentDirichletAllocation(4, max_iter=5, random_state=0).fit(X)
    state = est.__getstate__()
    assert sorted(state[STATE]) == ["model.json", "model.lambda.npy"]
    others, doc = copies(est)
    assert doc["model"] == "lda"
    for o in others:
        same(o.transform(X), est.transform(X))
        same(o.score(X), est.score(X))
        same(o.components_, est.components_)


@pytest.mark.parametrize("cls", [vem.BayesianRidge, vem.ARDRegression])
def test_bayesian_regression(cls):
    rng = np.random.RandomState(0)
    X = rng.randn(120, 5)
    y = X @ np.array([1.5, 0.0, -2.0, 0.0, 0.3]) + 0.2 * rng.randn(120)
    est = cls().fit(X, y)
    others, doc = copies(est)
    assert doc["model"] == "blr"
    for o in others:
        same(o.predict(X, return_std=True), est.predict(X, return_std=True))
        same(o.score(X, y), est.score(X, y))
        same(o.coef_, est.coef_)


def test_unfitted_and_attributes_set_by_hand():
    """An unfitted estimator has no model file; an HMM whose hand-set attributes make
    no model pickles its attributes alone (the model is rebuilt on use, as before)."""
    for est in (vem.GaussianMixture(2), vem.GaussianHMM(2), vem.BayesianRidge(),
                vem.LatentDirichletAllocation(2), vem.VariationalGaussianHMM(2)):
        assert STATE not in est.__getstate__()
        other = pickle.loads(pickle.dumps(est))
        assert other.get_params() == est.get_params()
    h = vem.CategoricalHMM(2)
    h.startprob_ = np.array([0.5, 0.5])
    assert STATE not in h.__getstate__()
    assert pickle.loads(pickle.dumps(h)).startprob_.tolist() == [0.5, 0.5]
    with pytest.raises(ValueError, match="model.json"):
        vem.GaussianMixture(2).__setstate__({STATE: {}})
