"""vem.GLMM against the `vem fit glmm` command (the same data and options give the same
bits) and its model-file commands (score, predict), plus rows in any order, labels of
any type, the boundary sigma2 = 0, and errors."""
import json
import os
import pickle
import subprocess
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

import vem
from conftest import DATA


def run_cli(vem_cli, *args):
    r = subprocess.run([vem_cli] + [str(a) for a in args], capture_output=True, text=True)
    assert r.returncode == 0, (args, r.stderr)
    return json.loads(r.stdout)


def load(name):
    a = np.loadtxt(os.path.join(DATA, name), delimiter=",", skiprows=1)
    return a[:, 1:2].copy(), a[:, 2].copy(), a[:, 0].copy()  # x, y, group


def quiet_fit(est, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(*args)


@pytest.mark.parametrize("name,family,intercept", [("glmm_mcculloch.csv", "binomial", False),
                                                   ("glmm_poisson.csv", "poisson", True),
                                                   ("glmm_boundary.csv", "binomial", True)])
def test_fit_score_predict_equal_the_cli(vem_cli, tmp_path, name, family, intercept):
    """Exact EM (25 nodes) from the command's defaults: beta, sigma2, standard errors,
    iterations and log-likelihood bit for bit; `vem score` and `vem predict` on the
    command's model file give score, score_groups and predict (marginal and conditional)
    bit for bit, and the estimator's pickled model file is the command's model."""
    x, y, g = load(name)
    out = tmp_path / "m.json"
    opts = [] if intercept else ["--no-intercept"]
    d = run_cli(vem_cli, "fit", "glmm", os.path.join(DATA, name), "--target", "y", "--group",
                "group", "--family", family, "--json", "-o", out, *opts)
    m = quiet_fit(vem.GLMM(family, fit_intercept=intercept), x, y, g)
    assert m.n_iter_ == d["n_iter"] and m.converged_ == d["converged"]
    assert m.log_likelihood_ == d["log_likelihood"]
    assert np.array_equal(m.beta_, d["beta"]) and m.sigma2_ == d["sigma2"]
    assert m.at_boundary_ == d["at_boundary"]
    if "beta_stderr" in d:
        assert np.array_equal(m.beta_stderr_, d["beta_stderr"])
        assert m.sigma2_stderr_ == d["sigma2_stderr"]
    assert m.intercept_ == (m.beta_[0] if intercept else 0.0)
    assert np.array_equal(m.coef_, m.beta_[1:] if intercept else m.beta_)
    assert m.bic(x, y, g) == pytest.approx(d["bic"], rel=1e-14)
    s = run_cli(vem_cli, "score", out, os.path.join(DATA, name), "--json")
    assert m.score(x, y, g) == s["log_likelihood"]
    assert np.array_equal(m.score_groups(x, y, g), s["group_log_likelihood"])
    p = run_cli(vem_cli, "predict", out, os.path.join(DATA, name), "--json")
    assert np.array_equal(m.predict(x), p["mean"])
    assert np.array_equal(m.predict(x, g), p["conditional_mean"])
    assert np.array_equal(m.groups_, np.unique(g))
    assert m.random_effects_.shape == m.random_effects_sd_.shape == (np.unique(g).size,)
    other = pickle.loads(pickle.dumps(m))
    assert json.loads(other.__getstate__()["_vem_model_file"]["model.json"])["model"] == "glmm"
    assert np.array_equal(other.predict(x, g), m.predict(x, g))
    assert other.score(x, y, g) == m.score(x, y, g)


@pytest.mark.parametrize("algorithm,max_iter", [("mcem", 12), ("sem", 20), ("cem", None)])
def test_monte_carlo_equals_the_cli(vem_cli, algorithm, max_iter):
    """Monte-Carlo EM from the same seed, with the command's defaults for each algorithm
    (its rule and tolerance; SEM's averaging of the second half), gives the command's
    estimates bit for bit (fewer iterations than the defaults, for time)."""
    x, y, g = load("glmm_mcculloch.csv")
    opts = [] if max_iter is None else ["--max-iter", max_iter]
    d = run_cli(vem_cli, "fit", "glmm", os.path.join(DATA, "glmm_mcculloch.csv"), "--target",
                "y", "--group", "group", "--no-intercept", "--algorithm", algorithm, "--seed",
                3, "--json", *opts)
    m = quiet_fit(vem.GLMM(fit_intercept=False, algorithm=algorithm, random_state=3,
                           max_iter=max_iter), x, y, g)
    assert m.n_iter_ == d["n_iter"]
    assert np.array_equal(m.beta_, d["beta"]) and m.sigma2_ == d["sigma2"]


def test_rows_in_any_order_and_labels_of_any_type(vem_cli, tmp_path):
    """Rows whose groups are not contiguous are sorted stably by label, as the command
    sorts them (the same bits on the same shuffled file); string labels are coded and
    give the numeric labels' fit; predict matches groups by label, unseen ones at u = 0."""
    x, y, g = load("glmm_mcculloch.csv")
    o = np.random.RandomState(0).permutation(len(y))
    path = tmp_path / "shuffled.csv"
    np.savetxt(path, np.column_stack([g[o], x[o, 0], y[o]]), delimiter=",",
               header="group,x,y", comments="", fmt="%.17g")
    d = run_cli(vem_cli, "fit", "glmm", path, "--target", "y", "--group", "group",
                "--no-intercept", "--json")
    m = vem.GLMM(fit_intercept=False).fit(x[o], y[o], g[o])
    assert np.array_equal(m.beta_, d["beta"]) and m.sigma2_ == d["sigma2"]
    ref = vem.GLMM(fit_intercept=False).fit(x, y, g)
    np.testing.assert_allclose(m.beta_, ref.beta_, rtol=1e-10)
    names = np.array(["school-%03d" % v for v in g.astype(int)])
    s = vem.GLMM(fit_intercept=False).fit(x, y, names)
    assert np.array_equal(s.beta_, ref.beta_) and s.sigma2_ == ref.sigma2_
    assert s.groups_[0] == "school-001" and s.groups_.size == ref.groups_.size
    assert np.array_equal(s.predict(x, names), ref.predict(x, g))
    assert s.score(x, y, names) == ref.score(x, y, g)
    new = s.predict(x[:3], np.array(["unseen"] * 3))
    assert np.array_equal(new, ref.predict(x[:3], np.array([-1.0, -1.0, -1.0])))
    assert np.all(new != s.predict(x[:3]))  # u = 0 is not the marginal mean


def test_boundary_warns_and_errors():
    x, y, g = load("glmm_boundary.csv")
    with pytest.warns(ConvergenceWarning, match="boundary"):
        m = vem.GLMM(max_iter=200).fit(x, y, g)
    assert m.at_boundary_ and not m.converged_
    with pytest.raises(ValueError, match="groups"):
        vem.GLMM().fit(x, y)
    with pytest.raises(ValueError, match="one label per row"):
        vem.GLMM().fit(x, y, g[:10])
    with pytest.raises(ValueError, match="algorithm"):
        vem.GLMM(algorithm="stepwise").fit(x, y, g)
    with pytest.raises(ValueError, match="n_init"):
        vem.GLMM(n_init=3).fit(x, y, g)
    with pytest.raises(ValueError):
        vem.GLMM().fit(x, y + 0.5, g)  # not 0/1
    with pytest.raises(ValueError):
        vem.GLMM("gamma").fit(x, y, g)
    c = clone(vem.GLMM("poisson", quadrature_nodes=5))
    assert c.get_params()["quadrature_nodes"] == 5 and not hasattr(c, "beta_")
    with pytest.raises(Exception):
        c.predict(x)
