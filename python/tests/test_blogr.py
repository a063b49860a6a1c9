"""vem.BayesianLogisticRegression against the `vem fit blogr` command (the same data,
options and seed give the same bits) and its model-file commands (predict, score)."""
import json
import os
import pickle
import subprocess

import numpy as np
import pytest
from sklearn.metrics import log_loss

import vem
from conftest import ROOT

PENGUINS = os.path.join(ROOT, "tests", "data", "blogr_penguins.csv")


def run_cli(vem_cli, *args):
    r = subprocess.run([vem_cli] + [str(a) for a in args], capture_output=True, text=True)
    assert r.returncode == 0, (args, r.stderr)
    return json.loads(r.stdout)


@pytest.fixture(scope="module")
def penguins():
    a = np.loadtxt(PENGUINS, delimiter=",", skiprows=1)
    return np.ascontiguousarray(a[:, :3]), a[:, 3].copy()


CASES = [([], {}),
         (["--full-rank", "--samples", 4, "--epochs", 400, "--lr", 0.02],
          dict(family="full-rank", samples=4, max_iter=400, learning_rate=0.02)),
         (["--constant-lr", "--epochs", 101, "--batch-size", 16, "--no-standardize",
           "--prior-var", 3, "--no-intercept"],
          dict(constant_learning_rate=True, max_iter=101, batch_size=16, standardize=False,
               prior_var=3.0, fit_intercept=False))]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_equals_the_cli(vem_cli, tmp_path, penguins, case):
    """The ELBO, q and the coefficients of `vem fit blogr --seed 4` (the default four
    learning-rate stages, full rank, one constant stage), and `vem predict` / `vem score`
    on its model file, bit for bit."""
    X, y = penguins
    opts, kw = CASES[case]
    out = tmp_path / "b.json"
    d = run_cli(vem_cli, "fit", "blogr", PENGUINS, "--target", "chinstrap", "--seed", 4,
                "--json", "-o", out, *opts)
    m = vem.BayesianLogisticRegression(random_state=4, **kw).fit(X, y)
    assert m.n_iter_ == d["n_iter"] and m.lower_bound_ == d["elbo"]
    assert np.array_equal(m.coef_[0], d["coef"]) and m.intercept_[0] == d["intercept"]
    assert np.array_equal(m.coef_covariance_, d["coef_covariance"])
    assert np.array_equal(m.q_mean_, d["q_mean"])
    assert np.array_equal(m.q_covariance_, d["q_covariance"])
    p = run_cli(vem_cli, "predict", out, PENGUINS, "--json")
    proba = m.predict_proba(X)
    assert np.array_equal(proba[:, 1], p["probability"])
    s = run_cli(vem_cli, "score", out, PENGUINS, "--json")
    assert m.log_likelihood(X, y) == s["total_log_likelihood"]
    assert -log_loss(y, proba, normalize=False) == pytest.approx(s["total_log_likelihood"],
                                                                 rel=1e-12)
    other = pickle.loads(pickle.dumps(m))
    assert np.array_equal(other.predict_proba(X), proba)


def test_classifier_api(penguins):
    X, y = penguins
    labels = np.where(y == 1, "chinstrap", "adelie")
    m = vem.BayesianLogisticRegression(random_state=0, max_iter=200).fit(X, labels)
    assert list(m.classes_) == ["adelie", "chinstrap"] and m.coef_.shape == (1, 3)
    proba = m.predict_proba(X)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert np.array_equal(m.predict(X), m.classes_[(proba[:, 1] > 0.5).astype(int)])
    dec = m.decision_function(X)
    assert np.array_equal(dec > 0, proba[:, 1] > 0.5)
    # as scikit-learn's LogisticRegression on the standardised features (74 %: the three
    # features barely separate the species)
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    ref = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, labels)
    assert m.score(X, labels) == pytest.approx(ref.score(X, labels), abs=0.01)
    same = vem.BayesianLogisticRegression(random_state=0, max_iter=200).fit(X, y)
    assert np.array_equal(same.predict_proba(X), proba)  # the labels' names do not matter
    with pytest.raises(ValueError, match="binary"):
        vem.BayesianLogisticRegression().fit(X, np.arange(len(y)) % 3)
    with pytest.raises(ValueError):
        vem.BayesianLogisticRegression(family="low-rank").fit(X, y)
    with pytest.raises(ValueError, match="classes"):
        m.log_likelihood(X, np.full(len(y), "gentoo"))
