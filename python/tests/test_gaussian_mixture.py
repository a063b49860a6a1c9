"""vem.GaussianMixture and vem.select against scikit-learn, numpy and the vem command."""
import copy
import json
import math
import os
import pickle
import subprocess
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture as SkGM
from sklearn.mixture._gaussian_mixture import _estimate_gaussian_parameters

import vem
from conftest import DATA

LAYOUT_SHAPES = {"full": lambda k, d: (k, d, d), "diag": lambda k, d: (k, d),
                 "spherical": lambda k, d: (k,), "tied": lambda k, d: (d, d)}


def sklearn_start(X, k, cov, reg=1e-6):
    """A start nothing random chooses (as tests/golden/make_gmm_golden.py): the rows at
    floor((j + 1/2) n / k) as means, each row to its nearest mean, scikit-learn's M-step
    for weights and covariances; returns (weights, means, precisions) in its shapes."""
    n = X.shape[0]
    means = X[[int((j + 0.5) * n / k) for j in range(k)]]
    lab = np.argmin(((X[:, None, :] - means[None]) ** 2).sum(-1), axis=1)
    resp = np.zeros((n, k))
    resp[np.arange(n), lab] = 1.0
    w, _, c = _estimate_gaussian_parameters(X, resp, reg, cov)
    w = w / n
    if cov == "full":
        p = np.array([np.linalg.inv(a) for a in c])
    elif cov == "tied":
        p = np.linalg.inv(c)
    else:
        p = 1.0 / c
    return w, means, p


def quiet_fit(est, X):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X)


def mixture_logpdf(X, w, mu, cov, layout):
    """log sum_k w_k N(x | mu_k, Sigma_k), directly in numpy."""
    n, d = X.shape
    k = len(w)
    out = np.empty((n, k))
    for c in range(k):
        if layout == "full":
            S = cov[c]
        elif layout == "tied":
            S = cov
        elif layout == "diag":
            S = np.diag(cov[c])
        else:
            S = cov[c] * np.eye(d)
        diff = X - mu[c]
        sign, logdet = np.linalg.slogdet(S)
        assert sign > 0
        maha = np.einsum("ij,ij->i", diff @ np.linalg.inv(S), diff)
        out[:, c] = math.log(w[c]) - 0.5 * (d * math.log(2 * math.pi) + logdet + maha)
    m = out.max(axis=1, keepdims=True)
    return (m + np.log(np.exp(out - m).sum(axis=1, keepdims=True))).ravel()


# ------------------------------------------------------------ parity with scikit-learn

@pytest.mark.parametrize("data", ["faithful", "penguins"])
@pytest.mark.parametrize("cov", ["full", "tied", "diag", "spherical"])
def test_same_iterations_as_sklearn(request, data, cov):
    """From the same start, N EM iterations (tol=0) give scikit-learn's parameters."""
    X = request.getfixturevalue(data)
    k = 3 if data == "penguins" else 2
    w, mu, p = sklearn_start(X, k, cov)
    for iters in (1, 25):
        kw = dict(covariance_type=cov, weights_init=w, means_init=mu, precisions_init=p,
                  tol=0, max_iter=iters)
        sk = quiet_fit(SkGM(k, **kw), X)
        vm = quiet_fit(vem.GaussianMixture(k, **kw), X)
        assert vm.n_iter_ == sk.n_iter_ == iters
        np.testing.assert_allclose(vm.weights_, sk.weights_, rtol=1e-10, atol=0)
        np.testing.assert_allclose(vm.means_, sk.means_, rtol=1e-10, atol=0)
        np.testing.assert_allclose(vm.covariances_, sk.covariances_, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(vm.precisions_cholesky_, sk.precisions_cholesky_,
                                   rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(vm.precisions_, sk.precisions_, rtol=1e-8, atol=1e-12)
        assert abs(vm.score(X) - sk.score(X)) < 1e-12 * abs(sk.score(X))
        np.testing.assert_allclose(vm.score_samples(X), sk.score_samples(X), rtol=1e-11)
        np.testing.assert_allclose(vm.predict_proba(X), sk.predict_proba(X), atol=1e-10)


@pytest.mark.parametrize("data", ["faithful", "penguins"])
@pytest.mark.parametrize("cov", ["full", "tied", "diag", "spherical"])
def test_converges_to_sklearn_fit(request, data, cov):
    """Run to convergence from the same start: the same fit, log-likelihood within 1e-8
    per sample, and the same iteration count under scikit-learn's stopping rule."""
    X = request.getfixturevalue(data)
    k = 3 if data == "penguins" else 2
    w, mu, p = sklearn_start(X, k, cov)
    kw = dict(covariance_type=cov, weights_init=w, means_init=mu, precisions_init=p,
              tol=1e-10, max_iter=5000)
    sk = SkGM(k, **kw).fit(X)
    vm = vem.GaussianMixture(k, **kw).fit(X)
    assert vm.converged_ and sk.converged_
    assert vm.n_iter_ == sk.n_iter_
    assert abs(vm.score(X) - sk.score(X)) < 1e-8
    assert abs(vm.lower_bound_ - sk.lower_bound_) < 1e-8
    np.testing.assert_allclose(vm.means_, sk.means_, rtol=1e-6)
    np.testing.assert_allclose(vm.weights_, sk.weights_, rtol=1e-6)
    np.testing.assert_allclose(vm.covariances_, sk.covariances_, rtol=1e-5)
    assert np.array_equal(vm.predict(X), sk.predict(X))


def test_bic_aic_and_parameter_count(penguins):
    X = penguins
    n, d = X.shape
    k = 3
    for cov, npar in (("full", k * d * (d + 1) // 2), ("diag", k * d), ("spherical", k),
                      ("tied", d * (d + 1) // 2)):
        vm = vem.GaussianMixture(k, covariance_type=cov, random_state=7).fit(X)
        p = npar + k * d + k - 1
        assert vm._n_parameters() == p
        ll = vm.score(X) * n
        assert abs(vm.bic(X) - (-2 * ll + p * math.log(n))) < 1e-9 * abs(vm.bic(X))
        assert abs(vm.aic(X) - (-2 * ll + 2 * p)) < 1e-9 * abs(vm.aic(X))
        # scikit-learn's own bic/aic on the same parameters.
        sk = SkGM(k, covariance_type=cov)
        for a in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
            setattr(sk, a, getattr(vm, a))
        assert abs(sk.bic(X) - vm.bic(X)) < 1e-9 * abs(sk.bic(X))
        assert abs(sk.aic(X) - vm.aic(X)) < 1e-9 * abs(sk.aic(X))


# ------------------------------------------------------------ densities and predictions

@pytest.mark.parametrize("cov", ["full", "tied", "diag", "spherical", "EVE", "VEI", "EEV",
                                 "EII"])
def test_score_samples_is_the_mixture_density(penguins, cov):
    X = penguins
    vm = vem.GaussianMixture(3, covariance_type=cov, random_state=1, tol=1e-6).fit(X)
    layout = vem._core.cov_parse(cov)[1]
    assert vm.covariances_.shape == LAYOUT_SHAPES[layout](3, X.shape[1])
    want = mixture_logpdf(X, vm.weights_, vm.means_, vm.covariances_, layout)
    np.testing.assert_allclose(vm.score_samples(X), want, rtol=1e-10)
    assert abs(vm.score(X) - want.mean()) < 1e-10 * abs(want.mean())
    proba = vm.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    assert np.all(proba >= 0)
    assert np.array_equal(vm.predict(X), np.argmax(proba, axis=1))
    # Precisions are the inverse covariances, and P = U U^T for the Cholesky factors.
    if layout in ("full", "tied"):
        inv = np.linalg.inv(vm.covariances_)
        np.testing.assert_allclose(vm.precisions_, inv, rtol=1e-8, atol=1e-14)
    else:
        np.testing.assert_allclose(vm.precisions_, 1.0 / vm.covariances_, rtol=1e-12)


def test_fit_predict_matches_fit_then_predict(faithful):
    a = vem.GaussianMixture(2, random_state=3).fit_predict(faithful)
    b = vem.GaussianMixture(2, random_state=3).fit(faithful).predict(faithful)
    assert np.array_equal(a, b)
    assert set(np.unique(a)) == {0, 1}


def test_sample_shapes_and_seeding(faithful):
    vm = vem.GaussianMixture(2, random_state=11).fit(faithful)
    X1, y1 = vm.sample(5000)
    X2, y2 = vm.sample(5000)
    assert X1.shape == (5000, 2) and y1.shape == (5000,)
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)  # an int seed repeats
    vm.set_params(random_state=12)
    X3, _ = vm.sample(5000)
    assert not np.array_equal(X1, X3)
    # Draws follow the mixture: component shares and means within sampling error.
    share = np.bincount(y1, minlength=2) / 5000.0
    assert np.all(np.abs(share - vm.weights_) < 0.03)
    for c in range(2):
        sd = np.sqrt(np.diag(vm.covariances_[c]))
        m = X1[y1 == c].mean(axis=0)
        assert np.all(np.abs(m - vm.means_[c]) < 5 * sd / math.sqrt((y1 == c).sum()))
    with pytest.raises(ValueError):
        vm.sample(0)


# ------------------------------------------------------------ estimator protocol

def test_get_params_clone_pickle(faithful):
    est = vem.GaussianMixture(3, covariance_type="VVE", n_threads=1, algorithm="batch",
                              random_state=5, engine_options={"init_sample": 1000})
    params = est.get_params()
    assert params["covariance_type"] == "VVE" and params["n_threads"] == 1
    c = clone(est)
    assert c.get_params() == params and c is not est
    c.set_params(n_components=2, tol=1e-5)
    assert c.n_components == 2 and est.n_components == 3
    est.fit(faithful)
    for other in (pickle.loads(pickle.dumps(est)), copy.deepcopy(est)):
        np.testing.assert_array_equal(other.score_samples(faithful), est.score_samples(faithful))
        np.testing.assert_array_equal(other.means_, est.means_)
    assert not hasattr(clone(est), "means_")


def test_warm_start_continues(faithful):
    kw = dict(covariance_type="full", tol=0, random_state=2)
    full = quiet_fit(vem.GaussianMixture(2, max_iter=30, **kw), faithful)
    half = quiet_fit(vem.GaussianMixture(2, max_iter=15, warm_start=True, **kw), faithful)
    quiet_fit(half, faithful)
    np.testing.assert_allclose(half.means_, full.means_, rtol=1e-12)
    assert half.n_iter_ == 15


def test_max_iter_zero_is_the_start(faithful):
    w, mu, p = sklearn_start(faithful, 2, "full")
    vm = vem.GaussianMixture(2, weights_init=w, means_init=mu, precisions_init=p,
                             max_iter=0).fit(faithful)
    np.testing.assert_allclose(vm.means_, mu)
    np.testing.assert_allclose(vm.precisions_, p, rtol=1e-8)
    assert vm.n_iter_ == 0 and not vm.converged_


@pytest.mark.parametrize("init", ["kmeans", "k-means++", "random", "random_from_data", "hc",
                                  "auto"])
def test_inits_fit_and_repeat(faithful, init):
    kw = dict(init_params=init, random_state=4, n_init=2, tol=1e-8, max_iter=5000)
    a = quiet_fit(vem.GaussianMixture(2, **kw), faithful)
    b = quiet_fit(vem.GaussianMixture(2, **kw), faithful)
    assert np.array_equal(a.means_, b.means_)
    assert a.score(faithful) > -4.2  # the two well-known clusters: -4.1554 per row


def test_means_init_only(faithful):
    mu = faithful[[10, 200]]
    vm = vem.GaussianMixture(2, means_init=mu, tol=1e-10, max_iter=1000).fit(faithful)
    assert abs(vm.score(faithful) - (-4.1553822)) < 1e-6


def test_errors_carry_vem_messages(faithful):
    with pytest.raises(ValueError, match="covariance_type"):
        vem.GaussianMixture(2, covariance_type="XYZ").fit(faithful)
    with pytest.raises(ValueError, match="n_samples >= n_components"):
        vem.GaussianMixture(5).fit(faithful[:3])
    with pytest.raises(ValueError, match="init_params"):
        vem.GaussianMixture(2, init_params="nope").fit(faithful)
    with pytest.raises(ValueError, match="algorithm|unknown"):
        vem.GaussianMixture(2, algorithm="nope").fit(faithful)
    with pytest.raises(ValueError, match="engine_options"):
        vem.GaussianMixture(2, engine_options={"bogus": 1}).fit(faithful)
    vm = vem.GaussianMixture(2, random_state=0).fit(faithful)
    with pytest.raises(ValueError, match="features"):
        vm.predict(np.zeros((3, 3)))
    with pytest.raises(ValueError):
        vm.score_samples(np.array([[np.nan, 1.0]]))
    # The model itself refuses what it cannot take (vem's message, through ValueError).
    with pytest.raises(ValueError, match="prior"):
        vem.GaussianMixture(2, covariance_type="EVE", prior="default").fit(faithful)


def test_input_conversion(faithful):
    """float32, Fortran order and lists give the float64 C-order fit."""
    ref = vem.GaussianMixture(2, random_state=0).fit(faithful)
    for X in (np.asfortranarray(faithful), faithful.tolist()):
        vm = vem.GaussianMixture(2, random_state=0).fit(X)
        np.testing.assert_array_equal(vm.means_, ref.means_)
    vm = vem.GaussianMixture(2, random_state=0).fit(faithful.astype(np.float32))
    np.testing.assert_allclose(vm.means_, ref.means_, rtol=1e-4)


# ------------------------------------------------------------ stepwise EM: partial_fit

def test_partial_fit_keeps_the_statistics(faithful):
    """Two partial_fit calls equal an M-step from the blended statistics, computed here."""
    X = faithful
    b1, b2 = X[:136], X[136:]
    kappa, tau, reg = 0.7, 2.0, 1e-6
    w, mu, p = sklearn_start(X, 2, "full")
    est = vem.GaussianMixture(2, weights_init=w, means_init=mu, precisions_init=p,
                              kappa=kappa, tau=tau, reg_covar=reg)
    est.partial_fit(b1)
    th1 = (est.weights_.copy(), est.means_.copy(), est.covariances_.copy())
    proba2 = est.predict_proba(b2)
    proba1 = SkGM(2)
    for a, v in (("weights_", w), ("means_", mu), ("precisions_cholesky_",
                                                    np.linalg.cholesky(p)),
                 ("covariances_", np.linalg.inv(p))):
        setattr(proba1, a, v)
    r1 = proba1.predict_proba(b1)

    def ess(Xb, r):
        nk = r.sum(0)
        s1 = r.T @ Xb
        s2 = np.einsum("nk,ni,nj->kij", r, Xb, Xb)
        return nk, s1, s2

    def mstep(nk, s1, s2):
        means = s1 / nk[:, None]
        covs = s2 / nk[:, None, None] - np.einsum("ki,kj->kij", means, means)
        covs += reg * np.eye(X.shape[1])
        return nk / nk.sum(), means, covs

    n0 = float(len(b1))
    S = [n0 / len(b1) * a for a in ess(b1, r1)]
    got1 = mstep(*S)
    for a, b in zip(th1, got1):
        np.testing.assert_allclose(a, b, rtol=1e-9)
    est.partial_fit(b2)
    g = (2 + tau) ** (-kappa)
    S = [(1 - g) * s + g * n0 / len(b2) * t for s, t in zip(S, ess(b2, proba2))]
    got2 = mstep(*S)
    np.testing.assert_allclose(est.weights_, got2[0], rtol=1e-9)
    np.testing.assert_allclose(est.means_, got2[1], rtol=1e-9)
    np.testing.assert_allclose(est.covariances_, got2[2], rtol=1e-8)
    assert est.n_iter_ == 2


def test_partial_fit_approaches_the_batch_fit(faithful):
    rng = np.random.RandomState(0)
    X = faithful
    batch = vem.GaussianMixture(2, random_state=0, tol=1e-10, max_iter=1000).fit(X)
    est = vem.GaussianMixture(2, random_state=0, kappa=0.6)
    for epoch in range(20):
        idx = rng.permutation(len(X))
        for part in np.array_split(idx, 4):
            est.partial_fit(X[part])
    assert est.score(X) > batch.score(X) - 0.01


# ------------------------------------------------------------ the vem command

def run_cli(vem_cli, *args):
    out = subprocess.run([vem_cli, "fit", "gmm", os.path.join(DATA, "faithful.csv"), "--json"]
                         + list(args), check=True, stdout=subprocess.PIPE)
    return json.loads(out.stdout)


@pytest.mark.parametrize("cov", ["EVE", "VVE", "EEV", "VEI", "EII", "full", "tied"])
def test_same_fit_as_the_command(faithful, vem_cli, cov):
    """The command's defaults (mclust's start, 1e-8 nats in total) and seed: the same
    log-likelihood and iterations, bit for bit."""
    ref = run_cli(vem_cli, "-k", "3", "--covariance", cov, "--seed", "3", "--threads", "1")
    vm = vem.GaussianMixture(3, covariance_type=cov, init_params="auto", tol=1e-8,
                             tol_rule="total", max_iter=10000, random_state=3).fit(faithful)
    assert vm.n_iter_ == ref["n_iter"]
    assert vm.objective_ == ref["objective"]
    assert vm.bic(faithful) == pytest.approx(ref["bic"], rel=1e-14)
    ref = run_cli(vem_cli, "-k", "3", "--covariance", cov, "--seed", "9", "--init", "kmeans",
                  "--n-init", "2")
    vm = vem.GaussianMixture(3, covariance_type=cov, init_params="kmeans", tol=1e-8,
                             tol_rule="total", max_iter=10000, random_state=9,
                             n_init=2).fit(faithful)
    assert vm.objective_ == ref["objective"]


def test_select_table_is_the_commands(faithful, vem_cli):
    ref = run_cli(vem_cli, "-k", "1-4", "--covariance", "all")
    table = vem.select(faithful, n_components=range(1, 5), covariance_type="all")
    assert len(table) == len(ref["selection"]) == 4 * 14
    for mine, theirs in zip(table, ref["selection"]):
        assert mine["n_components"] == theirs["k"] and mine["mclust"] == theirs["mclust"]
        if theirs["status"] == "ok" and theirs["bic"] is not None:
            assert mine["bic"] == theirs["bic"]
            assert mine["n_iter"] == theirs["n_iter"]
    best = [c for c in table if c["best"]]
    assert len(best) == 1
    assert best[0]["n_components"] == ref["n_components"]
    assert best[0]["covariance_type"] == ref["covariance_type"]
    assert best[0]["bic"] == ref["bic"]
    assert min(c["bic"] for c in table if c["status"] == "ok") == best[0]["bic"]
    table2, model = vem.select(faithful, n_components=[2, 3], covariance_type=["VVV", "EEE"],
                               return_best=True)
    b = [c for c in table2 if c["best"]][0]
    assert model.bic(faithful) == pytest.approx(b["bic"], rel=1e-12)


# ------------------------------------------------------------ Python-side behaviour

def test_fit_releases_the_gil():
    """While a fit runs in another thread, this thread keeps running (the GIL is free):
    the longest pause between its steps is a small part of the fit's time."""
    import threading
    import time
    X = np.random.RandomState(0).randn(100000, 8)
    est = vem.GaussianMixture(4, covariance_type="full", n_threads=1, max_iter=20, tol=0,
                              random_state=0)
    done = []
    th = threading.Thread(target=lambda: done.append(quiet_fit(est, X)))
    t0 = time.perf_counter()
    th.start()
    stamps = [t0]
    while th.is_alive():
        time.sleep(0.001)
        stamps.append(time.perf_counter())
    th.join()
    elapsed = stamps[-1] - t0
    gaps = np.diff(stamps)
    assert done and elapsed > 0.05
    assert gaps.max() < 0.5 * elapsed, (gaps.max(), elapsed)


def test_random_state_kinds_and_verbose(faithful, capsys):
    a = vem.GaussianMixture(2, random_state=np.random.RandomState(1)).fit(faithful)
    b = vem.GaussianMixture(2, random_state=np.random.RandomState(1)).fit(faithful)
    assert np.array_equal(a.means_, b.means_)
    c = vem.GaussianMixture(2, random_state=np.random.default_rng(1)).fit(faithful)
    assert c.converged_
    vem.GaussianMixture(2, random_state=0, verbose=2, verbose_interval=1).fit(faithful)
    out = capsys.readouterr().out
    assert "Initialization 0" in out and "Iteration 1" in out
    assert vem.__version__.count(".") == 2
