#!/usr/bin/env python3
"""tests/golden/make_vbhmm_golden.py: golden variational Bayesian HMM fits from hmmlearn.

Fits hmmlearn 0.3's VariationalGaussianHMM (full covariance) and VariationalCategoricalHMM
from starts written as vem "vbhmm" model files, for a fixed number of VB-EM iterations
(init_params "", tol -inf), and prints hmmlearn's lower bound at every iteration, the lower
bound of the final posterior and the final variational parameters. tests/test_vbhmm.c fits
the same starts with vem and compares (docs/vbhmm.md, "hmmlearn").

Cases (examples/data):
  faithful_k3   faithful.csv (eruptions, waiting), one sequence, 3 states, Gaussian full
  temps_k4      seattle-weather.csv (temp_max, temp_min), one sequence per calendar year
                (lengths 366 365 365 365), 4 states, Gaussian full
  weather_k3    seattle-weather.csv column weather, symbols sorted bytewise (drizzle fog
                rain snow sun = codes 0-4, as vem sorts them), one sequence, 3 states

The starts: hmmlearn's own initialisation (random_state 0: k-means for the Gaussian
emissions) for the emissions, with its default priors (startprob and transmat 1/K,
emissionprob 1/M, means the data mean, beta 1, dof d, scale 1e-3 I); the start and
transition posteriors, and the categorical emission posterior, drawn here instead
(numpy default_rng(2026): prior + n_seq U(0.5, 1.5) / K and prior + (n - n_seq)
U(0.5, 1.5) / K^2; emissions n / K Dirichlet(1)), because hmmlearn's Dirichlet(1/K)
draws can put start weights at 1e-10, where exp(digamma) underflows.

hmmlearn's lower bound omits d/2 ln(2 pi) per frame for Gaussian emissions (its
_compute_subnorm_log_likelihood: "We ignore the constant"); the line "NAME dropped"
gives n d/2 ln(2 pi), so that vem's ELBO = hmmlearn's bound - dropped.

Run with hmmlearn 0.3.3 from PyPI in a virtual environment (vem never depends on it):

    python3 -m venv /tmp/hmmvenv && /tmp/hmmvenv/bin/pip install 'hmmlearn==0.3.3'
    /tmp/hmmvenv/bin/python tests/golden/make_vbhmm_golden.py . > tests/golden/vbhmm_hmmlearn.txt
"""
import csv
import json
import math
import os
import sys

import numpy as np
import scipy
import sklearn
import hmmlearn
from hmmlearn import vhmm

ROOT = sys.argv[1] if len(sys.argv) > 1 else "."
N_ITER = 40
SYMBOLS = ["drizzle", "fog", "rain", "snow", "sun"]


def rows(name):
    with open(os.path.join(ROOT, "examples/data", name)) as f:
        return list(csv.DictReader(f))


def vec(v):
    return " ".join(repr(float(e)) for e in np.ravel(v))


def flat(a):
    return np.asarray(a, dtype=float).tolist()


def transitions_start(m, n, lengths, rng):
    k = m.n_components
    m.startprob_posterior_ = m.startprob_prior_ + len(lengths) * rng.uniform(0.5, 1.5, k) / k
    m.transmat_posterior_ = (m.transmat_prior_ +
                             (n - len(lengths)) * rng.uniform(0.5, 1.5, (k, k)) / k ** 2)


def write_init(name, m, emission, extra):
    k = m.n_components
    doc = {"format": "vem-model", "version": 1, "model": "vbhmm", "emission": emission,
           "n_states": k,
           "startprob_prior": flat(m.startprob_prior_),
           "transmat_prior": flat(m.transmat_prior_),
           "startprob_posterior": flat(m.startprob_posterior_),
           "transmat_posterior": flat(m.transmat_posterior_)}
    doc.update(extra)
    with open(os.path.join(ROOT, "tests/golden/vbhmm_%s.init.json" % name), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


def run(name, m, x, lengths, dropped, params):
    """N_ITER iterations of hmmlearn's fit from m's current posterior; print the results."""
    m.init_params = ""
    m.n_iter = N_ITER
    m.tol = -np.inf
    m.monitor_.tol = -np.inf
    m.monitor_.n_iter = N_ITER
    m.fit(x, lengths)
    hist = list(m.monitor_.history)
    stats, logprob = m._do_estep(x, lengths)  # the final posterior's bound
    final = m._compute_lower_bound(logprob)
    print("%s iterations %d" % (name, len(hist)))
    print("%s frames %d %d" % (name, x.shape[0], x.shape[1]))
    print("%s dropped %r" % (name, dropped))
    print("%s history %s" % (name, vec(hist)))
    print("%s final %r" % (name, float(final)))
    for key in params:
        print("%s %s %s" % (name, key, vec(getattr(m, key + "_"))))


def gaussian(name, x, lengths, k):
    n, d = x.shape
    m = vhmm.VariationalGaussianHMM(n_components=k, covariance_type="full", random_state=0,
                                    n_iter=N_ITER, implementation="log")
    m._init(x, lengths)
    m._check()
    transitions_start(m, n, lengths, np.random.default_rng(2026))
    write_init(name, m, "gaussian", {
        "covariance_type": "full", "n_features": d,
        "means_prior": flat(m.means_prior_[0]), "beta_prior": float(m.beta_prior_[0]),
        "dof_prior": float(m.dof_prior_[0]), "scale_prior": flat(m.scale_prior_[0]),
        "means": flat(m.means_posterior_), "beta_posterior": flat(m.beta_posterior_),
        "dof_posterior": flat(m.dof_posterior_), "scale_posterior": flat(m.scale_posterior_)})
    run(name, m, x, lengths, n * d / 2 * math.log(2 * math.pi),
        ["startprob_posterior", "transmat_posterior", "means_posterior", "beta_posterior",
         "dof_posterior", "scale_posterior"])


def categorical(name, x, lengths, k):
    n = x.shape[0]
    m = vhmm.VariationalCategoricalHMM(n_components=k, n_features=len(SYMBOLS), random_state=0,
                                       n_iter=N_ITER, implementation="log")
    m._init(x, lengths)
    m._check()
    rng = np.random.default_rng(2026)
    transitions_start(m, n, lengths, rng)
    m.emissionprob_posterior_ = (m.emissionprob_prior_ +
                                 n / k * rng.dirichlet(np.ones(len(SYMBOLS)), size=k))
    write_init(name, m, "categorical", {
        "n_symbols": len(SYMBOLS), "symbols": SYMBOLS,
        "emissionprob_prior": flat(m.emissionprob_prior_),
        "emissionprob_posterior": flat(m.emissionprob_posterior_)})
    run(name, m, x, lengths, 0.0,
        ["startprob_posterior", "transmat_posterior", "emissionprob_posterior"])


def main():
    print("# hmmlearn %s, numpy %s, scipy %s, scikit-learn %s; %d VB-EM iterations from the "
          "vbhmm_*.init.json starts" % (hmmlearn.__version__, np.__version__, scipy.__version__,
                                        sklearn.__version__, N_ITER))
    faithful = np.array([[float(r["eruptions"]), float(r["waiting"])]
                         for r in rows("faithful.csv")])
    gaussian("faithful_k3", faithful, [len(faithful)], 3)
    weather = rows("seattle-weather.csv")
    temps = np.array([[float(r["temp_max"]), float(r["temp_min"])] for r in weather])
    years = [sum(1 for r in weather if r["date"].startswith(y))
             for y in ("2012", "2013", "2014", "2015")]
    gaussian("temps_k4", temps, years, 4)
    codes = np.array([[SYMBOLS.index(r["weather"])] for r in weather])
    categorical("weather_k3", codes, [len(codes)], 3)


if __name__ == "__main__":
    main()
