#!/usr/bin/env python3
"""python/tests/make_hmmlearn_reference.py: hmmlearn's fits that test_hmm.py compares vem.hmm to.

Fits hmmlearn 0.3's GaussianHMM (four covariance types), GMMHMM, CategoricalHMM (with
and without MAP priors), PoissonHMM and MultinomialHMM from fixed starts
(init_params="", the parameters set, tol=-inf: exactly n_iter Baum-Welch iterations)
and writes, per case, the start, hmmlearn's fitted parameters, its score, its
monitor history, and its Viterbi and MAP decodings (one digit per frame), to
hmmlearn_reference.json beside this script. Data from examples/data (faithful.csv, seattle-weather.csv,
seattle-counts.csv, seattle-weekly.csv); the categorical, Poisson and multinomial starts
are the C tests' golden starts (tests/golden/seattle_k3.init.json,
hmm_poisson_seattle.init.json, hmm_multinomial_weekly.init.json). The variational
models are compared with tests/golden/vbhmm_hmmlearn.txt (tests/golden/make_vbhmm_golden.py).

GMMHMM is fitted for one iteration only: hmmlearn's covariance update takes the scatter
about the means entering the iteration, not the updated ones (its _accumulate_sufficient_
statistics centres on self.means_), so its covariances are vem's plus the outer product of
the means' change, and the fits part from the second iteration on; test_hmm.py checks
that relation. GaussianHMM's "covars" are hmmlearn's stored _covars_ (its covars_ property turns the
spherical model's fitted (K, d) array into K d matrices). hmmlearn's Gaussian prior is
switched off (covars_prior=0, means_weight=0): its default
covars_prior=1e-2 has no vem counterpart (python/README.md). Run with hmmlearn 0.3.3 in
a virtual environment (vem never depends on it):

    python3 -m venv /tmp/hmmvenv && /tmp/hmmvenv/bin/pip install 'hmmlearn==0.3.3'
    /tmp/hmmvenv/bin/python python/tests/make_hmmlearn_reference.py
"""
import csv
import json
import logging
import os

import numpy as np
import scipy
import sklearn
import hmmlearn
from hmmlearn import hmm

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DATA = os.path.join(ROOT, "examples", "data")
GOLDEN = os.path.join(ROOT, "tests", "golden")
SYMBOLS = ["drizzle", "fog", "rain", "snow", "sun"]


def rows(name):
    with open(os.path.join(DATA, name)) as f:
        return list(csv.DictReader(f))


def faithful():
    return np.array([[float(r["eruptions"]), float(r["waiting"])] for r in rows("faithful.csv")])


def weather():
    w = rows("seattle-weather.csv")
    temps = np.array([[float(r["temp_max"]), float(r["temp_min"])] for r in w])
    years = [sum(1 for r in w if r["date"].startswith(y)) for y in ("2012", "2013", "2014",
                                                                      "2015")]
    codes = np.array([[SYMBOLS.index(r["weather"])] for r in w])
    return temps, years, codes


def counts(name):
    with open(os.path.join(DATA, name)) as f:
        next(f)
        return np.array([[int(v) for v in line.split(",")] for line in f if line.strip()])


def golden(name):
    with open(os.path.join(GOLDEN, name)) as f:
        return json.load(f)


def flat(a):
    return np.asarray(a, dtype=float).tolist()


FAITHFUL_START = {
    "startprob": [0.6, 0.4],
    "transmat": [[0.85, 0.15], [0.2, 0.8]],
    "means": [[2.1, 55.3], [4.3, 79.7]],
    "covars": {
        "full": [[[0.12, 0.5], [0.5, 35.0]], [[0.2, 0.9], [0.9, 40.0]]],
        "diag": [[0.12, 35.0], [0.2, 40.0]],
        "spherical": [6.0, 9.0],
        "tied": [[0.3, 1.2], [1.2, 36.0]],
    },
}

TEMPS_START = {
    "startprob": [0.5, 0.3, 0.2],
    "transmat": [[0.9, 0.075, 0.025], [0.05, 0.9, 0.05], [0.025, 0.075, 0.9]],
    "means": [[5.0, 0.0], [15.0, 7.0], [25.0, 13.0]],
    "covars": [[10.0, 8.0], [12.0, 9.0], [15.0, 10.0]],
}

GMM_START = {
    "startprob": [0.6, 0.4],
    "transmat": [[0.85, 0.15], [0.2, 0.8]],
    "weights": [[0.3, 0.7], [0.55, 0.45]],
    "means": [[[1.8, 50.0], [2.3, 57.0]], [[4.0, 76.0], [4.6, 83.0]]],
    "covars": {
        "diag": [[[0.05, 20.0], [0.08, 25.0]], [[0.15, 30.0], [0.1, 28.0]]],
        "full": [[[[0.05, 0.2], [0.2, 20.0]], [[0.08, 0.3], [0.3, 25.0]]],
                 [[[0.15, 0.5], [0.5, 30.0]], [[0.1, 0.4], [0.4, 28.0]]]],
    },
}


def record(name, m, x, lengths, start, emission_keys, extra=None):
    m.fit(x, lengths)
    hist = [float(v) for v in m.monitor_.history]
    lp, vit = m.decode(x, lengths, algorithm="viterbi")
    mp, mapped = m.decode(x, lengths, algorithm="map")
    out = {"n_iter": m.n_iter, "lengths": lengths, "start": start,
           "history": hist, "score": float(m.score(x, lengths)),
           "startprob": flat(m.startprob_), "transmat": flat(m.transmat_),
           "viterbi_log_prob": float(lp), "viterbi": "".join(str(int(s)) for s in vit),
           "map_sum": float(mp), "map": "".join(str(int(s)) for s in mapped)}
    for key, attr in emission_keys:
        out[key] = flat(getattr(m, attr))
    if extra:
        out.update(extra)
    print("%-24s %3d iterations, score %.12g" % (name, len(hist), out["score"]))
    return out


def main():
    logging.getLogger("hmmlearn").setLevel(logging.ERROR)
    ref = {"versions": {"hmmlearn": hmmlearn.__version__, "numpy": np.__version__,
                        "scipy": scipy.__version__, "scikit-learn": sklearn.__version__},
           "cases": {}}
    cases = ref["cases"]
    x = faithful()
    for ct in ("full", "diag", "spherical", "tied"):
        m = hmm.GaussianHMM(2, covariance_type=ct, covars_prior=0.0, means_weight=0.0,
                            n_iter=30, tol=-np.inf, params="stmc", init_params="",
                            implementation="log")
        m.startprob_ = np.array(FAITHFUL_START["startprob"])
        m.transmat_ = np.array(FAITHFUL_START["transmat"])
        m.means_ = np.array(FAITHFUL_START["means"])
        m.covars_ = np.array(FAITHFUL_START["covars"][ct])
        start = dict(FAITHFUL_START, covars=FAITHFUL_START["covars"][ct])
        cases["gaussian_" + ct] = record(
            "gaussian_" + ct, m, x, None, start,
            [("means", "means_"), ("covars", "_covars_")],
            {"data": "faithful", "emission": "gaussian", "covariance_type": ct,
             "n_components": 2})
    temps, years, codes = weather()
    m = hmm.GaussianHMM(3, covariance_type="diag", covars_prior=0.0, means_weight=0.0,
                        n_iter=25, tol=-np.inf, init_params="", implementation="log")
    for key in ("startprob", "transmat", "means", "covars"):
        setattr(m, key + "_", np.array(TEMPS_START[key]))
    cases["gaussian_diag_years"] = record(
        "gaussian_diag_years", m, temps, years, TEMPS_START,
        [("means", "means_"), ("covars", "_covars_")],
        {"data": "temps", "emission": "gaussian", "covariance_type": "diag",
         "n_components": 3})

    for ct in ("diag", "full"):
        m = hmm.GMMHMM(2, n_mix=2, covariance_type=ct, n_iter=1, tol=-np.inf,
                       init_params="", implementation="log")
        m.startprob_ = np.array(GMM_START["startprob"])
        m.transmat_ = np.array(GMM_START["transmat"])
        m.weights_ = np.array(GMM_START["weights"])
        m.means_ = np.array(GMM_START["means"])
        m.covars_ = np.array(GMM_START["covars"][ct])
        start = dict(GMM_START, covars=GMM_START["covars"][ct])
        cases["gmm_" + ct] = record(
            "gmm_" + ct, m, x, None, start,
            [("weights", "weights_"), ("means", "means_"), ("covars", "covars_")],
            {"data": "faithful", "emission": "gmm", "covariance_type": ct, "n_mix": 2,
             "n_components": 2})

    st = golden("seattle_k3.init.json")
    start = {k: st[k] for k in ("startprob", "transmat", "emissionprob")}
    for name, priors in (("categorical", {}),
                         ("categorical_map", {"startprob_prior": 2.5, "transmat_prior": 3.0,
                                              "emissionprob_prior": 1.7})):
        m = hmm.CategoricalHMM(3, n_features=5, n_iter=50, tol=-np.inf, init_params="",
                               implementation="log", **priors)
        for key in start:
            setattr(m, key + "_", np.array(start[key]))
        cases[name] = record(name, m, codes, None, start,
                             [("emissionprob", "emissionprob_")],
                             {"data": "weather", "emission": "categorical", "priors": priors,
                              "n_components": 3})

    st = golden("hmm_poisson_seattle.init.json")
    start = {k: st[k] for k in ("startprob", "transmat", "lambdas")}
    m = hmm.PoissonHMM(3, n_iter=50, tol=-np.inf, init_params="", implementation="log")
    for key in start:
        setattr(m, key + "_", np.array(start[key]))
    cases["poisson"] = record("poisson", m, counts("seattle-counts.csv"), None, start,
                              [("lambdas", "lambdas_")],
                              {"data": "counts", "emission": "poisson", "n_components": 3})

    st = golden("hmm_multinomial_weekly.init.json")
    start = {k: st[k] for k in ("startprob", "transmat", "emissionprob")}
    m = hmm.MultinomialHMM(2, n_trials=7, n_iter=50, tol=-np.inf, init_params="",
                           implementation="log")
    for key in start:
        setattr(m, key + "_", np.array(start[key]))
    cases["multinomial"] = record("multinomial", m, counts("seattle-weekly.csv"), None, start,
                                  [("emissionprob", "emissionprob_")],
                                  {"data": "weekly", "emission": "multinomial", "n_trials": 7,
                                   "n_components": 2})

    with open(os.path.join(HERE, "hmmlearn_reference.json"), "w") as f:
        json.dump(ref, f, indent=0, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
