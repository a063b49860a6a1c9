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
    with pytest.raises(ValueError):
        ours.predict(X[:, :3])


@pytest.mark.parametrize("alpha_init,lambda_init", [(1e-3, 1e-3), (1.0, 1e5), (10.0, 1e-8),
                                                    (None, 1e3), (1e-2, None)])
def test_bayesian_ridge_init_as_scikit_learn(diabetes, alpha_init, lambda_init):
    """From scikit-learn's start alpha_init, lambda_init both reach scikit-learn's fixed
    point (measured: 1e-13 relative)."""
    X, y = diabetes
    kw = dict(alpha_init=alpha_init, lambda_init=lambda_init)
    ours = vem.BayesianRidge(tol=0, max_iter=3000, **kw).fit(X, y)
    ref = _sk(sk.BayesianRidge, tol=1e-14, **kw).fit(X, y)
    assert ours.alpha_ == pytest.approx(ref.alpha_, rel=1e-8)
    assert ours.lambda_ == pytest.approx(ref.lambda_, rel=1e-8)
    assert np.allclose(ours.coef_, ref.coef_, rtol=1e-8, atol=1e-8 * np.abs(ref.coef_).max())
    assert ours.intercept_ == pytest.approx(ref.intercept_, rel=1e-8)
    assert np.allclose(ours.predict(X), ref.predict(X), rtol=1e-8)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_init_is_the_start(diabetes, fit_intercept):
    """max_iter=0 returns q(w) at the start: the ridge solution of the given precisions
    (lambda I + alpha Z^T Z)^-1 alpha Z^T t, Z and t centred with the intercept."""
    X, y = diabetes
    Z, t = (X - X.mean(axis=0), y - y.mean()) if fit_intercept else (X, y)
    for alpha, lam in ((1e-3, 1e-2), (1.0, 1e5)):
        ours = vem.BayesianRidge(max_iter=0, tol=0, alpha_init=alpha, lambda_init=lam,
                                 fit_intercept=fit_intercept).fit(X, y)
        mu = np.linalg.solve(lam * np.eye(X.shape[1]) + alpha * Z.T @ Z, alpha * Z.T @ t)
        assert np.allclose(ours.coef_, mu, rtol=1e-10, atol=1e-12 * np.abs(mu).max())


def test_ard_init(diabetes):
    """ARD's alpha_init/lambda_init (vem's extras) at scikit-learn's start are the default
    fit, bit for bit; other starts are honoured; bad values raise."""
    X, y = diabetes
    ours = vem.ARDRegression().fit(X, y)
    same = vem.ARDRegression(alpha_init=1.0 / np.var(y), lambda_init=np.ones(X.shape[1]))
    same.fit(X, y)
    assert np.array_equal(same.coef_, ours.coef_) and same.n_iter_ == ours.n_iter_
    other = vem.ARDRegression(alpha_init=1e-6, lambda_init=1e3, max_iter=1).fit(X, y)
    assert not np.allclose(other.coef_, vem.ARDRegression(max_iter=1).fit(X, y).coef_)
    for bad in (dict(alpha_init=-1.0), dict(lambda_init=0.0), dict(lambda_init=[1.0, 2.0])):
        with pytest.raises(ValueError):
            vem.ARDRegression(**bad).fit(X, y)
    with pytest.raises(ValueError, match="lambda_init"):
        vem.BayesianRidge(lambda_init=np.ones(X.shape[1])).fit(X, y)
