"""vem.BayesianRidge and vem.ARDRegression against scikit-learn on diabetes
(docs/vb.md: the same fixed point; ARD: the same MacKay iterations)."""
import os
import pickle

import numpy as np
import pytest
from sklearn import linear_model as sk

import vem

from conftest import DATA


@pytest.fixture(scope="module")
def diabetes():
    d = np.loadtxt(os.path.join(DATA, "diabetes.csv"), delimiter=",", skiprows=1)
    return np.ascontiguousarray(d[:, :-1]), d[:, -1].copy()


def _sk(cls, **kw):
    try:
        return cls(max_iter=3000, **kw)
    except TypeError:  # scikit-learn < 1.3: n_iter
        return cls(n_iter=3000, **kw)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_bayesian_ridge_as_scikit_learn(diabetes, fit_intercept):
    X, y = diabetes
    ours = vem.BayesianRidge(tol=0, max_iter=3000, fit_intercept=fit_intercept).fit(X, y)
    ref = _sk(sk.BayesianRidge, tol=1e-14, fit_intercept=fit_intercept).fit(X, y)
    assert ours.alpha_ == pytest.approx(ref.alpha_, rel=1e-8)
    assert ours.lambda_ == pytest.approx(ref.lambda_, rel=1e-8)
    assert np.allclose(ours.coef_, ref.coef_, rtol=1e-8, atol=1e-8 * np.abs(ref.coef_).max())
    assert ours.intercept_ == pytest.approx(ref.intercept_, rel=1e-8, abs=1e-8)
    assert np.allclose(ours.sigma_, ref.sigma_, rtol=1e-6, atol=1e-8 * np.abs(ref.sigma_).max())
    assert np.allclose(ours.predict(X), ref.predict(X), rtol=1e-8)
    assert ours.score(X, y) == pytest.approx(ref.score(X, y), rel=1e-8)


def test_ard_as_scikit_learn(diabetes):
    X, y = diabetes
    ours = vem.ARDRegression(compute_score=True).fit(X, y)
    ref = sk.ARDRegression().fit(X, y)
    assert ours.alpha_ == pytest.approx(ref.alpha_, rel=1e-8)
    assert np.allclose(ours.lambda_, ref.lambda_, rtol=1e-6)
    assert np.allclose(ours.coef_, ref.coef_, rtol=1e-8, atol=1e-10)
    assert ours.intercept_ == pytest.approx(ref.intercept_, rel=1e-8)
    assert ours.sigma_.shape == ref.sigma_.shape
    assert np.allclose(ours.sigma_, ref.sigma_, rtol=1e-6, atol=1e-12)
    assert len(ours.scores_) >= 1 and np.all(np.isfinite(ours.scores_))


def test_ard_prunes_irrelevant_features():
    rng = np.random.RandomState(0)
    X = rng.randn(300, 8)
    y = X[:, 0] * 2 - X[:, 3] + 0.1 * rng.randn(300)
    ours = vem.ARDRegression().fit(X, y)
    ref = sk.ARDRegression().fit(X, y)
    assert np.array_equal(ours.coef_ == 0, ref.coef_ == 0)
    assert np.allclose(ours.coef_, ref.coef_, rtol=1e-6, atol=1e-10)


def test_predict_std_and_pickle(diabetes):
    X, y = diabetes
    Xc = X - X.mean(axis=0)  # centred: scikit-learn's uncentred variance agrees
    ours = vem.BayesianRidge(tol=0, max_iter=3000).fit(Xc, y)
    ref = _sk(sk.BayesianRidge, tol=1e-14).fit(Xc, y)
    m, s = ours.predict(Xc[:20], return_std=True)
    rm, rs = ref.predict(Xc[:20], return_std=True)
    assert np.allclose(m, rm, rtol=1e-8) and np.allclose(s, rs, rtol=1e-7)
    back = pickle.loads(pickle.dumps(ours))
    assert np.array_equal(back.predict(Xc), ours.predict(Xc))
    with pytest.raises(NotImplementedError):
        vem.BayesianRidge(alpha_init=1.0).fit(X, y)
    with pytest.raises(ValueError):
        ours.predict(X[:, :3])
