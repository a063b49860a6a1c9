"""vem.hmm against hmmlearn 0.3 (hmmlearn_reference.json, tests/golden/vbhmm_hmmlearn.txt)
and the vem command."""
import csv
import json
import os
import pickle
import subprocess
import threading
import time

import numpy as np
import pytest
from sklearn.base import clone

import vem
from conftest import DATA, ROOT, load_faithful

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(ROOT, "tests", "golden")
SYMBOLS = ["drizzle", "fog", "rain", "snow", "sun"]
with open(os.path.join(HERE, "hmmlearn_reference.json")) as _f:
    REF = json.load(_f)["cases"]


def _weather():
    with open(os.path.join(DATA, "seattle-weather.csv")) as f:
        rows = list(csv.DictReader(f))
    temps = np.array([[float(r["temp_max"]), float(r["temp_min"])] for r in rows])
    years = [sum(1 for r in rows if r["date"].startswith(y))
             for y in ("2012", "2013", "2014", "2015")]
    codes = np.array([[SYMBOLS.index(r["weather"])] for r in rows])
    return temps, years, codes


def _counts(name):
    return np.loadtxt(os.path.join(DATA, name), delimiter=",", skiprows=1).astype(np.int64)


TEMPS, YEARS, CODES = _weather()
FAITHFUL = load_faithful()
COUNTS = _counts("seattle-counts.csv")
WEEKLY = _counts("seattle-weekly.csv")
FRAMES = {"faithful": FAITHFUL, "temps": TEMPS, "weather": CODES, "counts": COUNTS,
          "weekly": WEEKLY}


def close(got, want, rtol, what=""):
    """|got - want| <= rtol |want| entrywise (tiny probabilities compared relatively too)."""
    got = np.asarray(got, dtype=float)
    want = np.asarray(want, dtype=float)
    assert got.shape == want.shape, (what, got.shape, want.shape)
    err = np.abs(got - want)
    bad = err > rtol * np.abs(want) + 1e-300
    assert not bad.any(), (what, float(np.max(err / np.maximum(np.abs(want), 1e-300))))


def close_scaled(got, want, tol, what=""):
    """max |got - want| <= tol max |want|: the error on the array's own scale (issue 20's
    1e-10 parity; entrywise, tiny transition probabilities amplify it, so close() checks
    those relatively at a looser tolerance)."""
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    assert got.shape == want.shape, (what, got.shape, want.shape)
    err = float(np.max(np.abs(got - want)))
    assert err <= tol * float(np.max(np.abs(want))), (what, err / float(np.max(np.abs(want))))


def from_start(case, **kw):
    """vem's estimator of a reference case with hmmlearn's start set (init_params='')."""
    st = case["start"]
    k = case["n_components"]
    common = dict(n_iter=case["n_iter"], tol=-np.inf, init_params="")
    common.update(kw)
    e = case["emission"]
    if e == "gaussian":
        m = vem.GaussianHMM(k, covariance_type=case["covariance_type"], min_covar=0.0,
                            **common)
        m.means_ = np.array(st["means"])
        m.covars_ = np.array(st["covars"])
    elif e == "gmm":
        m = vem.GMMHMM(k, n_mix=case["n_mix"], covariance_type=case["covariance_type"],
                       min_covar=0.0, **common)
        m.weights_ = np.array(st["weights"])
        m.means_ = np.array(st["means"])
        m.covars_ = np.array(st["covars"])
    elif e == "categorical":
        m = vem.CategoricalHMM(k, n_features=5, **case["priors"], **common)
        m.emissionprob_ = np.array(st["emissionprob"])
    elif e == "poisson":
        m = vem.PoissonHMM(k, **common)
        m.lambdas_ = np.array(st["lambdas"])
    else:
        m = vem.MultinomialHMM(k, n_trials=case["n_trials"], **common)
        m.emissionprob_ = np.array(st["emissionprob"])
    m.startprob_ = np.array(st["startprob"])
    m.transmat_ = np.array(st["transmat"])
    return m


EMISSION_ATTRS = {"gaussian": [("means", "means_"), ("covars", "_covars_")],
                  "categorical": [("emissionprob", "emissionprob_")],
                  "poisson": [("lambdas", "lambdas_")],
                  "multinomial": [("emissionprob", "emissionprob_")]}


@pytest.mark.parametrize("name", sorted(n for n in REF if not n.startswith("gmm_")))
def test_fit_equals_hmmlearn(name):
    """From hmmlearn's start, n_iter Baum-Welch iterations give its parameters (1e-10 of
    each array's largest entry, 1e-8 entrywise), score (1e-9), monitor history, Viterbi
    path and posterior decoding."""
    case = REF[name]
    X, lengths = FRAMES[case["data"]], case["lengths"]
    m = from_start(case).fit(X, lengths)
    close(m.startprob_, case["startprob"], 1e-8, "startprob")
    close(m.transmat_, case["transmat"], 1e-8, "transmat")
    close_scaled(m.startprob_, case["startprob"], 1e-10, "startprob")
    close_scaled(m.transmat_, case["transmat"], 1e-10, "transmat")
    for key, attr in EMISSION_ATTRS[case["emission"]]:
        want = np.array(case[key])
        if name == "gaussian_spherical":
            if key == "covars":  # hmmlearn stores the K variances tiled to (K, d)
                want = want[:, 0]
            else:
                close(m.covars_, [np.eye(2) * v for v in np.array(case["covars"])[:, 0]],
                      1e-8, "covars_")
        close(getattr(m, attr), want, 1e-8, key)
        close_scaled(getattr(m, attr), want, 1e-10, key)
    close(m.score(X, lengths), case["score"], 1e-9, "score")
    assert m.monitor_.iter == case["n_iter"] and len(m.monitor_.history) == case["n_iter"]
    if not case.get("priors"):  # with priors vem traces the log posterior
        close(list(m.monitor_.history), case["history"], 1e-9, "history")
    viterbi, mapped = ([int(c) for c in case[key]] for key in ("viterbi", "map"))
    lp, states = m.decode(X, lengths)
    assert np.array_equal(states, viterbi)
    close(lp, case["viterbi_log_prob"], 1e-9, "viterbi log prob")
    s, states = m.decode(X, lengths, algorithm="map")
    assert np.array_equal(states, mapped)
    close(s, case["map_sum"], 1e-9, "map sum")
    assert np.array_equal(m.predict(X, lengths), viterbi)


@pytest.mark.parametrize("ct", ["diag", "full"])
def test_gmmhmm_one_iteration_against_hmmlearn(ct):
    """GMMHMM: the start's log-likelihood and one iteration's start, transition, weight
    and mean updates are hmmlearn's; its covariances are vem's plus the outer product of
    the means' change (hmmlearn centres the scatter on the means entering the iteration)."""
    case = REF["gmm_" + ct]
    m = from_start(case)
    old = np.array(case["start"]["means"])
    close(m.score(FAITHFUL), case["history"][0], 1e-12, "start log-likelihood")
    m.fit(FAITHFUL)
    close(m.monitor_.history[0], case["history"][0], 1e-12, "history")
    for key in ("startprob", "transmat", "weights", "means"):
        close(getattr(m, key + "_"), case[key], 1e-8, key)
    shift = m.means_ - old
    extra = shift ** 2 if ct == "diag" else shift[..., :, None] * shift[..., None, :]
    close(m.covars_ + extra, case["covars"], 1e-8, "covars")
    assert m.covars_.shape == np.shape(case["covars"])


def _vb_golden():
    ref = {}
    with open(os.path.join(GOLDEN, "vbhmm_hmmlearn.txt")) as f:
        for line in f:
            fields = line.split()
            if fields and not fields[0].startswith("#"):
                ref.setdefault(fields[0], {})[fields[1]] = [float(v) for v in fields[2:]]
    return ref


@pytest.mark.parametrize("name", ["faithful_k3", "temps_k4", "weather_k3", "faithful_tied_k3",
                                  "temps_tied_k4", "tmax_sph_k3", "temps_sph_k4"])
def test_variational_equals_hmmlearn(name):
    """From the start of tests/golden/make_vbhmm_golden.py (hmmlearn's attributes set,
    init_params=''), 40 VB-EM iterations give hmmlearn's variational parameters (1e-8)
    and its lower bounds less the n d/2 ln(2 pi) it drops (1e-10). temps_sph_k4: the
    Normal-Gamma spherical model (hmmlearn's update, the script's E-step and bound)."""
    ref = _vb_golden()[name]
    with open(os.path.join(GOLDEN, "vbhmm_%s.init.json" % name)) as f:
        st = json.load(f)
    k = st["n_states"]
    X, lengths = {"faithful_k3": (FAITHFUL, None), "temps_k4": (TEMPS, YEARS),
                  "weather_k3": (CODES, None), "faithful_tied_k3": (FAITHFUL, None),
                  "temps_tied_k4": (TEMPS, YEARS), "tmax_sph_k3": (TEMPS[:, :1], YEARS),
                  "temps_sph_k4": (TEMPS, YEARS)}[name]
    if st["emission"] == "gaussian":
        cov = st["covariance_type"]
        m = vem.VariationalGaussianHMM(k, covariance_type=cov, n_iter=40, tol=-np.inf,
                                       init_params="")
        m.means_prior_ = np.tile(st["means_prior"], (k, 1))  # hmmlearn's shapes
        m.beta_prior_ = np.full(k, st["beta_prior"])
        if cov == "tied":
            m.dof_prior_ = st["dof_prior"]
            m.scale_prior_ = np.array(st["scale_prior"])
        else:
            m.dof_prior_ = np.full(k, st["dof_prior"])
            m.scale_prior_ = np.tile(st["scale_prior"], (k,) + np.shape(st["scale_prior"])
                                     if cov == "spherical" else (k, 1, 1))
        m.means_posterior_ = np.array(st["means"])
        m.beta_posterior_ = np.array(st["beta_posterior"])
        m.dof_posterior_ = np.array(st["dof_posterior"])
        m.scale_posterior_ = np.array(st["scale_posterior"])
        keys = ["means_posterior", "beta_posterior", "dof_posterior", "scale_posterior"]
    else:
        m = vem.VariationalCategoricalHMM(k, n_iter=40, tol=-np.inf, init_params="")
        m.emissionprob_prior_ = np.array(st["emissionprob_prior"])
        m.emissionprob_posterior_ = np.array(st["emissionprob_posterior"])
        keys = ["emissionprob_posterior"]
    m.startprob_prior_ = np.array(st["startprob_prior"])
    m.transmat_prior_ = np.array(st["transmat_prior"])
    m.startprob_posterior_ = np.array(st["startprob_posterior"])
    m.transmat_posterior_ = np.array(st["transmat_posterior"])
    m.fit(X, lengths)
    for key in ["startprob_posterior", "transmat_posterior"] + keys:
        close(np.ravel(getattr(m, key + "_")), ref[key], 1e-8, key)
    dropped = ref["dropped"][0]
    close(np.array(m.monitor_.history) + dropped, ref["history"], 1e-10, "history")
    close(m.lower_bound_ + dropped, ref["final"][0], 1e-10, "final bound")
    assert m.elbo(X, lengths) == m.lower_bound_
    if st["emission"] == "gaussian" and cov == "full":
        assert m.means_ is m.means_posterior_
        close(m.covars_, m.scale_posterior_ / m.dof_posterior_[:, None, None], 1e-14)
    elif st["emission"] == "gaussian":
        d = X.shape[1]
        want = (np.tile(m.scale_posterior_ / m.dof_posterior_, (k, 1, 1)) if cov == "tied" else
                np.eye(d)[None] * (m.scale_posterior_ / m.dof_posterior_)[:, None, None])
        close(m.covars_, want, 1e-14)
        assert np.shape(m.dof_posterior_) == (() if cov == "tied" else (k,))


@pytest.mark.parametrize("cov", ["spherical", "tied"])
def test_variational_spherical_tied(cov, tmp_path):
    """A cold fit: hmmlearn's attribute shapes, the ELBO, a warm start from the attributes
    (the same posterior), the model file and the plug-in HMM's covariance type."""
    m = vem.VariationalGaussianHMM(3, covariance_type=cov, n_iter=200, random_state=0)
    m.fit(TEMPS, YEARS)
    k, d = 3, 2
    if cov == "tied":
        assert np.shape(m.dof_prior_) == () and m.scale_prior_.shape == (d, d)
        assert np.shape(m.dof_posterior_) == () and m.scale_posterior_.shape == (d, d)
        assert m._covars_.shape == (d, d)
    else:
        assert m.dof_prior_.shape == (k,) and m.scale_prior_.shape == (k,)
        assert m.scale_posterior_.shape == (k,) and m._covars_.shape == (k,)
        close(m._covars_, m.scale_posterior_ / m.dof_posterior_, 1e-15)
    assert m.covars_.shape == (k, d, d)
    assert m.elbo(TEMPS, YEARS) == m.lower_bound_
    assert np.all(np.diff(m.monitor_.history) >= 0)
    w = vem.VariationalGaussianHMM(3, covariance_type=cov, n_iter=5, init_params="")
    for a in ("startprob_prior_", "transmat_prior_", "means_prior_", "beta_prior_",
              "dof_prior_", "scale_prior_", "startprob_posterior_", "transmat_posterior_",
              "means_posterior_", "beta_posterior_", "dof_posterior_", "scale_posterior_"):
        setattr(w, a, getattr(m, a))
    w.fit(TEMPS, YEARS)
    assert w.lower_bound_ >= m.lower_bound_ - 1e-9 * abs(m.lower_bound_)
    path = tmp_path / "v.json"
    m.save(path)
    doc = json.loads(path.read_text())
    assert doc["covariance_type"] == cov
    assert m.score(TEMPS, YEARS) == m.score(TEMPS, YEARS)
    assert m.predict(TEMPS, YEARS).shape == (TEMPS.shape[0],)


# ---------------------------------------------------------------- the vem command

def run_cli(vem_cli, *args):
    r = subprocess.run([vem_cli] + [str(a) for a in args], capture_output=True, text=True)
    assert r.returncode == 0, (args, r.stderr)
    return r.stdout


def _write_codes(path, codes):
    np.savetxt(path, codes, fmt="%d", header="weather", comments="")


def _decode_checks(vem_cli, est, X, data, lengths, lengths_file, tmp_path, vb=False):
    model = tmp_path / "model.json"
    est.save(model)
    extra = ["--lengths", lengths_file] if lengths_file else []
    d = json.loads(run_cli(vem_cli, "decode", model, data, "--json", *extra))
    lp, states = est.decode(X, lengths)
    assert np.array_equal(states, d["states"])
    assert lp == d["log_probability"]
    if not vb:
        d = json.loads(run_cli(vem_cli, "decode", model, data, "--algorithm", "map", "--json",
                               *extra))
        assert np.array_equal(est.decode(X, lengths, algorithm="map")[1], d["states"])
    proba = np.loadtxt(run_cli(vem_cli, "decode", model, data, "--posterior",
                               *extra).splitlines(), delimiter=",", ndmin=2)
    logp, post = est.score_samples(X, lengths)
    assert np.array_equal(post, proba)  # the CSV has 17 significant digits
    assert np.array_equal(est.predict_proba(X, lengths), post)
    assert np.all(np.abs(post.sum(axis=1) - 1) < 1e-12)
    assert logp == est.score(X, lengths)
    assert np.array_equal(np.argmax(post, axis=1), est.decode(X, lengths, algorithm="map")[1])
    return model


def test_decode_and_posteriors_equal_the_cli(vem_cli, tmp_path):
    """decode (viterbi and map), predict_proba and score_samples give `vem decode`'s
    states, log probability and --posterior rows bit for bit on the same model file."""
    g = vem.GaussianHMM(3, covariance_type="full", n_iter=50, random_state=0).fit(FAITHFUL)
    model = _decode_checks(vem_cli, g, FAITHFUL, os.path.join(DATA, "faithful.csv"), None,
                           None, tmp_path)
    s = json.loads(run_cli(vem_cli, "score", model, os.path.join(DATA, "faithful.csv"),
                           "--json"))
    assert s["log_likelihood"] == g.score(FAITHFUL)
    codes = tmp_path / "codes.csv"
    _write_codes(codes, CODES)
    lens = tmp_path / "lengths.txt"
    lens.write_text("".join("%d\n" % n for n in YEARS))
    c = vem.CategoricalHMM(3, n_iter=30, random_state=2).fit(CODES, YEARS)
    _decode_checks(vem_cli, c, CODES, codes, YEARS, lens, tmp_path)
    v = vem.VariationalGaussianHMM(3, n_iter=30, random_state=0).fit(FAITHFUL)
    _decode_checks(vem_cli, v, FAITHFUL, os.path.join(DATA, "faithful.csv"), None, None,
                   tmp_path, vb=True)


def test_fit_equals_the_cli(vem_cli, tmp_path):
    """With the command's options (n_iter 1000, tol 1e-7 total, reg_covar 1e-6, uniform
    transitions, its seed) a fit is `vem fit hmm`'s, bit for bit."""
    out = tmp_path / "g.json"
    d = json.loads(run_cli(vem_cli, "fit", "hmm", os.path.join(DATA, "faithful.csv"), "-k", 3,
                           "--emission", "gaussian", "--covariance", "full", "--seed", 7,
                           "--json", "-o", out))
    g = vem.GaussianHMM(3, covariance_type="full", n_iter=1000, tol=1e-7, min_covar=1e-6,
                        random_state=7).fit(FAITHFUL)
    assert g.monitor_.iter == d["n_iter"] and g.monitor_.converged == d["converged"]
    with open(out) as f:
        saved = json.load(f)
    for key, attr in (("startprob", "startprob_"), ("transmat", "transmat_"),
                      ("means", "means_"), ("covariances", "_covars_")):
        assert np.array_equal(getattr(g, attr), saved[key]), key
    # scored as `vem score` scores the model file (the model rebuilt from its parameters)
    s = json.loads(run_cli(vem_cli, "score", out, os.path.join(DATA, "faithful.csv"),
                           "--json"))
    assert g.score(FAITHFUL) == s["log_likelihood"]
    assert g.bic(FAITHFUL) == s["bic"] and g.aic(FAITHFUL) == s["aic"]
    close(g.score(FAITHFUL), d["log_likelihood"], 1e-13)
    d = json.loads(run_cli(vem_cli, "fit", "hmm", os.path.join(DATA, "seattle-weather.csv"),
                           "--columns", "weather", "--emission", "categorical", "-k", 3,
                           "--seed", 3, "--json", "-o", out))
    c = vem.CategoricalHMM(3, n_iter=1000, tol=1e-7, random_state=3).fit(CODES)
    assert c.monitor_.iter == d["n_iter"]
    close(c.score(CODES), d["log_likelihood"], 1e-13)
    with open(out) as f:
        assert np.array_equal(c.emissionprob_, json.load(f)["emissionprob"])
    loaded = vem.hmm.load(out)
    assert isinstance(loaded, vem.CategoricalHMM)
    assert np.array_equal(loaded.emissionprob_, c.emissionprob_)
    assert loaded.score(CODES) == c.score(CODES)


# ---------------------------------------------------------------- behaviour

def test_sample_starts_at_currstate():
    g = vem.GaussianHMM(3, covariance_type="diag", n_iter=20, random_state=0).fit(FAITHFUL)
    for s in range(3):
        X, z = g.sample(50, random_state=11, currstate=s)
        assert z[0] == s and X.shape == (50, 2) and z.shape == (50,)
    X1, z1 = g.sample(40, random_state=5)
    X2, z2 = g.sample(40, random_state=5)
    assert np.array_equal(X1, X2) and np.array_equal(z1, z2)
    with pytest.raises(ValueError):
        g.sample(5, currstate=3)
    c = vem.CategoricalHMM(3, n_iter=20, random_state=0).fit(CODES)
    X, z = c.sample(30, random_state=1, currstate=2)
    assert z[0] == 2 and X.shape == (30, 1) and X.dtype.kind == "i" and X.max() < 5
    p = vem.PoissonHMM(2, n_iter=20, random_state=0).fit(COUNTS)
    X, z = p.sample(30, random_state=1, currstate=1)
    assert z[0] == 1 and X.dtype.kind == "i" and X.shape == (30, 2)
    mm = vem.MultinomialHMM(2, n_trials=7, n_iter=20, random_state=0).fit(WEEKLY)
    X, z = mm.sample(10, random_state=1, currstate=0)
    assert z[0] == 0 and np.all(X.sum(axis=1) == 7)
    vc = vem.VariationalCategoricalHMM(3, n_iter=20, random_state=0).fit(CODES)
    X, z = vc.sample(10, random_state=1, currstate=1)
    assert z[0] == 1 and X.shape == (10, 1)


def test_params_freezing_keeps_attributes_bit_for_bit():
    g = from_start(REF["gaussian_full"], params="tc", n_iter=15)
    start, means = g.startprob_.copy(), g.means_.copy()
    g.fit(FAITHFUL)
    assert np.array_equal(g.startprob_, start) and np.array_equal(g.means_, means)
    assert not np.array_equal(g.transmat_, REF["gaussian_full"]["start"]["transmat"])
    g = from_start(REF["gaussian_diag"], params="stm", n_iter=10)
    covs = g._covars_.copy()
    g.fit(FAITHFUL)
    assert np.array_equal(g._covars_, covs)
    c = from_start(REF["categorical"], params="se", n_iter=10)
    trans = c.transmat_.copy()
    c.fit(CODES)
    assert np.array_equal(c.transmat_, trans)
    p = from_start(REF["poisson"], params="st", n_iter=10)
    lam = p.lambdas_.copy()
    p.fit(COUNTS)
    assert np.array_equal(p.lambdas_, lam)
    m = from_start(REF["multinomial"], params="t", n_iter=10)
    emis, sp = m.emissionprob_.copy(), m.startprob_.copy()
    m.fit(WEEKLY)
    assert np.array_equal(m.emissionprob_, emis) and np.array_equal(m.startprob_, sp)


def test_init_params_keep_what_is_set():
    """init_params without a letter keeps that attribute as the fit's start (hmmlearn's
    _needs_init): a 0-iteration-like check through a fit of 1 iteration with that
    parameter frozen too."""
    c = vem.CategoricalHMM(3, n_iter=1, init_params="e", params="e", random_state=0)
    c.startprob_ = np.array([0.5, 0.25, 0.25])
    c.transmat_ = np.array([[0.5, 0.25, 0.25], [0.25, 0.5, 0.25], [0.25, 0.25, 0.5]])
    c.fit(CODES)
    assert np.array_equal(c.startprob_, [0.5, 0.25, 0.25])
    assert np.array_equal(c.transmat_[0], [0.5, 0.25, 0.25])


def test_get_params_and_clone():
    ests = [vem.GaussianHMM(3, covariance_type="full", n_iter=7, vem_algorithm="batch"),
            vem.GMMHMM(2, n_mix=3), vem.CategoricalHMM(4, emissionprob_prior=1.5),
            vem.PoissonHMM(2, lambdas_prior=0.5), vem.MultinomialHMM(2, n_trials=7),
            vem.VariationalGaussianHMM(3, covariance_type="diag", beta_prior=2.0),
            vem.VariationalCategoricalHMM(2, n_features=5, n_threads=1),
            vem.VariationalPoissonHMM(2, lambdas_shape_prior=2.0)]
    for est in ests:
        c = clone(est)
        assert c.get_params() == est.get_params()
        assert type(c) is type(est)
        c.set_params(n_iter=3, random_state=4)
        assert c.n_iter == 3 and c.random_state == 4
    g = vem.GaussianHMM(2, n_iter=5, random_state=0).fit(FAITHFUL)
    c = clone(g)
    assert not hasattr(c, "startprob_") and c.get_params() == g.get_params()
    assert np.array_equal(c.fit(FAITHFUL).means_, g.means_)


def test_several_sequences():
    """lengths: scores add over sequences, decoding is per sequence, posteriors restart
    at each sequence's start; a fit with lengths is not the fit of one long sequence."""
    g = vem.GaussianHMM(3, covariance_type="diag", n_iter=30, random_state=0)
    g.fit(TEMPS, YEARS)
    bounds = np.cumsum([0] + YEARS)
    parts = [TEMPS[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    close(g.score(TEMPS, YEARS), sum(g.score(p) for p in parts), 1e-12)
    states = g.decode(TEMPS, YEARS)[1]
    assert np.array_equal(states, np.concatenate([g.decode(p)[1] for p in parts]))
    post = g.predict_proba(TEMPS, YEARS)
    close(post[bounds[1]:bounds[2]], g.predict_proba(parts[1]), 1e-12)
    one = vem.GaussianHMM(3, covariance_type="diag", n_iter=30, random_state=0).fit(TEMPS)
    assert one.score(TEMPS) != g.score(TEMPS)
    with pytest.raises(ValueError):
        g.score(TEMPS, [100, 200])
    with pytest.raises(ValueError):
        g.fit(TEMPS, [0, len(TEMPS)])
    # online EM over whole sequences
    s = vem.GaussianHMM(3, covariance_type="diag", n_iter=5, vem_algorithm="stepwise",
                        batch_size=2, tol_rule="per-observation", tol=0, random_state=0)
    s.fit(TEMPS, YEARS)
    assert np.isfinite(s.score(TEMPS, YEARS)) and s.monitor_.iter == 5


def test_threads_restarts_and_priors():
    a = vem.GaussianHMM(3, covariance_type="full", n_iter=40, n_threads=1, random_state=1)
    b = vem.GaussianHMM(3, covariance_type="full", n_iter=40, n_threads=2, random_state=1)
    assert np.array_equal(a.fit(TEMPS, YEARS).means_, b.fit(TEMPS, YEARS).means_)
    r = vem.GaussianHMM(3, covariance_type="full", n_iter=40, n_init=3, random_state=1)
    r.fit(TEMPS, YEARS)
    assert r.score(TEMPS, YEARS) >= a.score(TEMPS, YEARS) - 1e-9
    p = vem.GaussianHMM(2, covariance_type="full", n_iter=100, prior="default",
                        random_state=0).fit(FAITHFUL)
    h = np.array(p.monitor_.history)
    assert np.all(np.diff(h) > -1e-9 * np.abs(h[1:]))  # the log posterior never drops
    e = vem.GaussianHMM(2, covariance_type="EEV", n_iter=50, random_state=0).fit(FAITHFUL)
    assert e._covars_.shape == (2, 2, 2) and e.covars_.shape == (2, 2, 2)
    t = vem.GaussianHMM(2, covariance_type="tied", n_iter=5, random_state=0).fit(FAITHFUL)
    assert t._covars_.shape == (2, 2) and t.covars_.shape == (2, 2, 2)
    assert np.array_equal(t.covars_[0], t.covars_[1])
    s = vem.GaussianHMM(2, covariance_type="spherical", n_iter=5, random_state=0).fit(FAITHFUL)
    assert s._covars_.shape == (2,) and np.array_equal(s.covars_[1], s._covars_[1] * np.eye(2))


def test_pickle_model_files_and_monitor(tmp_path, capsys):
    g = vem.GaussianHMM(2, covariance_type="full", n_iter=100, tol=1e-4, random_state=0,
                        verbose=True).fit(FAITHFUL)
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == g.monitor_.iter
    mon = g.monitor_
    assert mon.converged and mon.iter == len(mon.history) < 100
    assert abs(mon.history[-1] - mon.history[-2]) < 1e-4
    h = pickle.loads(pickle.dumps(g))
    assert h.score(FAITHFUL) == g.score(FAITHFUL)
    assert np.array_equal(h.decode(FAITHFUL)[1], g.decode(FAITHFUL)[1])
    g.save(tmp_path / "g.json")
    l2 = vem.hmm.load(tmp_path / "g.json")
    assert isinstance(l2, vem.GaussianHMM) and l2.covariance_type == "full"
    assert l2.score(FAITHFUL) == g.score(FAITHFUL)
    v = vem.VariationalCategoricalHMM(3, n_iter=20, random_state=0).fit(CODES)
    v.save(tmp_path / "v.json")
    lv = vem.hmm.load(tmp_path / "v.json")
    assert np.array_equal(lv.emissionprob_posterior_, v.emissionprob_posterior_)
    assert lv.score(CODES) == v.score(CODES)
    v2 = pickle.loads(pickle.dumps(v))
    assert v2.elbo(CODES) == v.lower_bound_
    # attributes set by hand are what scoring uses
    g.transmat_ = np.array([[0.5, 0.5], [0.5, 0.5]])
    assert g.score(FAITHFUL) != h.score(FAITHFUL)


def test_errors():
    with pytest.raises(ValueError, match="covars_prior"):
        vem.GaussianHMM(2, covars_prior=1e-2).fit(FAITHFUL)
    with pytest.raises(ValueError, match="means_weight"):
        vem.GaussianHMM(2, means_weight=1.0).fit(FAITHFUL)
    with pytest.raises(ValueError, match="startprob_prior"):
        vem.CategoricalHMM(2, startprob_prior=0.5).fit(CODES)
    with pytest.raises(ValueError, match="symmetric"):
        vem.CategoricalHMM(2, transmat_prior=[[1, 2], [2, 1]]).fit(CODES)
    with pytest.raises(ValueError, match="Largest symbol"):
        vem.CategoricalHMM(2, n_features=3).fit(CODES)
    with pytest.raises(ValueError, match="integers"):
        vem.CategoricalHMM(2).fit(CODES + 0.5)
    with pytest.raises(ValueError, match="covariance_type"):
        vem.GaussianHMM(2, covariance_type="bogus").fit(FAITHFUL)
    with pytest.raises(ValueError, match="Unknown decoder"):
        vem.GaussianHMM(2, n_iter=2).fit(FAITHFUL).decode(FAITHFUL, algorithm="x")
    with pytest.raises(ValueError, match="trials"):
        vem.MultinomialHMM(2, n_trials=6).fit(WEEKLY)
    with pytest.raises(ValueError):
        vem.GMMHMM(2, n_mix=2, params="stw").fit(FAITHFUL)
    with pytest.raises(ValueError, match="covariance_type"):
        vem.VariationalGaussianHMM(2, covariance_type="EII").fit(FAITHFUL)
    v = vem.VariationalCategoricalHMM(2, n_iter=5).fit(CODES)
    with pytest.raises(ValueError, match="init_params"):
        v.set_params(init_params="e").fit(CODES)
    with pytest.raises(ValueError, match="params"):
        vem.VariationalCategoricalHMM(2, params="st").fit(CODES)
    with pytest.raises(ValueError, match="implementation"):
        vem.PoissonHMM(2, implementation="fast").fit(COUNTS)
    for impl in ("log", "scaling"):  # accepted, the same fit
        vem.PoissonHMM(2, n_iter=3, implementation=impl, random_state=0).fit(COUNTS)


def test_fit_releases_the_gil():
    X = np.random.RandomState(0).randn(200000, 3)
    est = vem.GaussianHMM(4, covariance_type="full", n_iter=8, tol=0, n_threads=1,
                          random_state=0)
    done = []
    th = threading.Thread(target=lambda: done.append(est.fit(X)))
    t0 = time.perf_counter()
    th.start()
    stamps = [t0]
    while th.is_alive():
        time.sleep(0.001)
        stamps.append(time.perf_counter())
    th.join()
    elapsed = stamps[-1] - t0
    assert done and elapsed > 0.05
    assert np.diff(stamps).max() < 0.5 * elapsed


# ---------------------------------------------------------------- variational Poisson

def test_variational_poisson_equals_the_cli(vem_cli, tmp_path):
    """VariationalPoissonHMM with the command's options (n_iter 1000, tol 1e-6 total, its
    seed; default and given priors) is `vem fit vbhmm --emission poisson`'s fit bit for bit:
    the ELBO trace, every posterior in the model file, `vem decode`'s path and `vem
    score`'s ELBO on it; the model file loads back as the estimator."""
    data = os.path.join(DATA, "seattle-counts.csv")
    for seed, kw, opts in ((5, {}, []),
                           (2, dict(lambdas_shape_prior=2.5, lambdas_rate_prior=[0.5, 0.7],
                                    startprob_prior=0.7, transmat_prior=1.3),
                            ["--lambdas-shape-prior", 2.5, "--lambdas-rate-prior", "0.5,0.7",
                             "--startprob-prior", 0.7, "--transmat-prior", 1.3])):
        out = tmp_path / ("vp%d.json" % seed)
        d = json.loads(run_cli(vem_cli, "fit", "vbhmm", data, "-k", 3, "--emission", "poisson",
                               "--seed", seed, "--json", "-o", out, *opts))
        v = vem.VariationalPoissonHMM(3, n_iter=1000, random_state=seed, **kw).fit(COUNTS)
        assert v.monitor_.iter == d["n_iter"] and v.monitor_.converged == d["converged"]
        assert list(v.monitor_.history) == [t["objective"] for t in d["trace"]]
        assert v.lower_bound_ == d["objective"]
        with open(out) as f:
            saved = json.load(f)
        for key, attr in (("startprob_posterior", "startprob_posterior_"),
                          ("transmat_posterior", "transmat_posterior_"),
                          ("lambdas_shape_posterior", "lambdas_shape_posterior_"),
                          ("lambdas_rate_posterior", "lambdas_rate_posterior_"),
                          ("lambdas", "lambdas_"), ("startprob", "startprob_"),
                          ("transmat", "transmat_"), ("occupancy", "occupancy_")):
            assert np.array_equal(getattr(v, attr), saved[key]), key
        assert np.array_equal(v.lambdas_rate_prior_[0], saved["lambdas_rate_prior"])
        assert np.all(v.lambdas_shape_prior_ == saved["lambdas_shape_prior"])
        assert v.effective_states_ == saved["effective_states"]
        dec = json.loads(run_cli(vem_cli, "decode", out, data, "--json"))
        lp, states = v.decode(COUNTS)
        assert np.array_equal(states, dec["states"]) and lp == dec["log_probability"]
        s = json.loads(run_cli(vem_cli, "score", out, data, "--json"))
        assert v.elbo(COUNTS) == s["elbo"]
        loaded = vem.hmm.load(out)
        assert isinstance(loaded, vem.VariationalPoissonHMM)
        assert loaded.elbo(COUNTS) == v.elbo(COUNTS) == v.lower_bound_
        assert np.array_equal(loaded.decode(COUNTS)[1], states)


def test_variational_poisson_behaviour():
    """Shapes, posterior means, a warm start that resumes the fit, sequences, sampling,
    priors per state, errors."""
    v = vem.VariationalPoissonHMM(2, n_iter=40, random_state=0).fit(COUNTS, YEARS)
    k, d = 2, COUNTS.shape[1]
    assert v.lambdas_.shape == v.lambdas_shape_posterior_.shape == (k, d)
    assert v.lambdas_rate_prior_.shape == v.lambdas_shape_prior_.shape == (k, d)
    close(v.lambdas_, v.lambdas_shape_posterior_ / v.lambdas_rate_posterior_, 1e-15)
    shape, rate = v.lambdas_posterior_
    assert shape is v.lambdas_shape_posterior_ and rate is v.lambdas_rate_posterior_
    close(v.lambdas_rate_prior_[0], 1.0 / COUNTS.mean(axis=0), 1e-12)  # shape 1 / mean
    assert v.score_samples(COUNTS, YEARS)[1].shape == (len(COUNTS), k)
    X, z = v.sample(25, random_state=3, currstate=1)
    assert X.shape == (25, d) and X.dtype.kind == "i" and z[0] == 1
    # 40 iterations, then 40 more from the posterior: the trace goes on rising
    w = vem.VariationalPoissonHMM(2, n_iter=40, tol=0, random_state=0).fit(COUNTS, YEARS)
    w.set_params(init_params="").fit(COUNTS, YEARS)
    assert w.lower_bound_ >= v.lower_bound_ - 1e-9 * abs(v.lower_bound_)
    same = vem.VariationalPoissonHMM(2, n_iter=40, random_state=0,
                                     lambdas_rate_prior=np.tile(1.0 / COUNTS.mean(axis=0),
                                                                (2, 1))).fit(COUNTS, YEARS)
    close(same.lambdas_, v.lambdas_, 1e-12)
    with pytest.raises(ValueError, match="shared|rows"):
        vem.VariationalPoissonHMM(2, lambdas_rate_prior=[[1.0, 2.0], [2.0, 1.0]]).fit(COUNTS)
    with pytest.raises(ValueError, match="integers"):
        vem.VariationalPoissonHMM(2).fit(COUNTS + 0.5)
    with pytest.raises(ValueError):
        v.score(COUNTS[:, :1])
