#!/usr/bin/env python3
"""tests/golden/make_vbhmm_golden.py: golden variational Bayesian HMM fits from hmmlearn.

Fits hmmlearn 0.3's VariationalGaussianHMM (full, tied, spherical) and VariationalCategoricalHMM
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
  faithful_tied_k3  faithful.csv, 3 states, Gaussian tied
  temps_tied_k4     seattle-weather.csv (temp_max, temp_min), yearly sequences, 4 states, tied
  tmax_sph_k3       seattle-weather.csv temp_max alone (d = 1), yearly sequences, 3 states,
                    Gaussian spherical
  temps_sph_k4      (temp_max, temp_min), yearly sequences, 4 states, spherical, with the
                    Normal-Gamma E-step and bound (class NormalGammaSpherical below)

Spherical with d > 1: hmmlearn's update (nu = nu0 + N_k, s = s0 + the scatter averaged over
the d dimensions) is the coordinate step of the Normal-Gamma model lambda_k ~ Gamma(d nu_k /
2, rate d s_k / 2), which vem fits; but hmmlearn's E-step and bound treat s_k I as the scale
of a d-dimensional Wishart (E ln|Lambda| = sum_i psi((nu - i) / 2) + d ln 2 - d ln s, and a
Wishart KL), which is not that model's expectation, so the two fits part from the first
E-step. With d = 1 the two agree exactly (tmax_sph_k3). temps_sph_k4 keeps hmmlearn's
forward-backward, statistics, update and Dirichlet and KL functions, and replaces the
emission log-weights and the emissions' KL by the Normal-Gamma ones (written here); the
comment line after it gives hmmlearn's own spherical fit from the same start, for the docs.

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
from scipy import special
import sklearn
import hmmlearn
from hmmlearn import _kl_divergence, base, vhmm

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


class NormalGammaSpherical(vhmm.VariationalGaussianHMM):
    """hmmlearn's spherical model with the emission log-weights and the emissions' KL of the
    Normal-Gamma factors: q(lambda_k) = Gamma(d nu_k / 2, rate d s_k / 2), q(mu_k | lambda_k)
    = N(m_k, (beta_k lambda_k)^-1 I). The constant d/2 ln(2 pi) is left out as hmmlearn does."""

    def _compute_subnorm_log_likelihood(self, X):
        d = self.n_features
        shape = 0.5 * d * self.dof_posterior_
        rate = 0.5 * d * self.scale_posterior_
        e_log_lambda = special.digamma(shape) - np.log(rate)
        dist2 = ((X[:, None, :] - self.means_posterior_[None, :, :]) ** 2).sum(axis=2)
        return (0.5 * d * e_log_lambda - 0.5 * d / self.beta_posterior_
                - 0.5 * (shape / rate) * dist2)

    def _compute_lower_bound(self, log_prob):
        bound = base.VariationalBaseHMM._compute_lower_bound(self, log_prob)
        d = self.n_features
        for c in range(self.n_components):
            shape, rate = 0.5 * d * self.dof_posterior_[c], 0.5 * d * self.scale_posterior_[c]
            bound -= _kl_divergence.kl_gamma_distribution(
                shape, rate, 0.5 * d * self.dof_prior_[c], 0.5 * d * self.scale_prior_[c])
            # The means' KL is affine in lambda: its expectation is its value at E[lambda].
            precision = shape / rate * np.eye(d)
            bound -= _kl_divergence.kl_multivariate_normal_distribution(
                self.means_posterior_[c], np.linalg.inv(self.beta_posterior_[c] * precision),
                self.means_prior_[c], np.linalg.inv(self.beta_prior_[c] * precision))
        return bound


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


GAUSSIAN_PARAMS = ["startprob_posterior", "transmat_posterior", "means_posterior",
                   "beta_posterior", "dof_posterior", "scale_posterior"]


def gaussian_start(name, x, lengths, k, cov, cls=vhmm.VariationalGaussianHMM):
    """hmmlearn's initialisation of a Gaussian model (start and transitions drawn here),
    written as NAME's vbhmm start."""
    n, d = x.shape
    m = cls(n_components=k, covariance_type=cov, random_state=0, n_iter=N_ITER,
            implementation="log")
    m._init(x, lengths)
    m._check()
    transitions_start(m, n, lengths, np.random.default_rng(2026))
    # The priors are shared by the states; tied has one dof and one scale.
    tied = cov == "tied"
    dof_prior = m.dof_prior_ if tied else m.dof_prior_[0]
    scale_prior = m.scale_prior_ if tied else m.scale_prior_[0]
    write_init(name, m, "gaussian", {
        "covariance_type": cov, "n_features": d,
        "means_prior": flat(m.means_prior_[0]), "beta_prior": float(m.beta_prior_[0]),
        "dof_prior": float(dof_prior), "scale_prior": flat(scale_prior),
        "means": flat(m.means_posterior_), "beta_posterior": flat(m.beta_posterior_),
        "dof_posterior": flat(m.dof_posterior_), "scale_posterior": flat(m.scale_posterior_)})
    return m


def gaussian(name, x, lengths, k, cov="full", cls=vhmm.VariationalGaussianHMM):
    n, d = x.shape
    m = gaussian_start(name, x, lengths, k, cov, cls)
    run(name, m, x, lengths, n * d / 2 * math.log(2 * math.pi), GAUSSIAN_PARAMS)
    return m


def hmmlearn_spherical_note(name, ng, x, lengths, k):
    """hmmlearn's own spherical fit from NAME's start (written again, unchanged), against
    the Normal-Gamma one (ng): a comment line."""
    m = gaussian_start(name, x, lengths, k, "spherical")
    m.init_params = ""
    m.n_iter = N_ITER
    m.tol = -np.inf
    m.monitor_.tol = -np.inf
    m.monitor_.n_iter = N_ITER
    m.fit(x, lengths)
    worst = max(np.max(np.abs(np.ravel(getattr(m, p + "_")) - np.ravel(getattr(ng, p + "_"))) /
                       np.abs(np.ravel(getattr(ng, p + "_"))))
                for p in GAUSSIAN_PARAMS)
    print("# %s: hmmlearn's own spherical E-step and bound from the same start: bound %.10f "
          "at its %dth E-step, parameters up to %.3g (relative) from the Normal-Gamma fit's"
          % (name, m.monitor_.history[-1], len(m.monitor_.history), worst))


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
    gaussian("faithful_tied_k3", faithful, [len(faithful)], 3, "tied")
    gaussian("temps_tied_k4", temps, years, 4, "tied")
    gaussian("tmax_sph_k3", temps[:, :1], years, 3, "spherical")
    ng = gaussian("temps_sph_k4", temps, years, 4, "spherical", NormalGammaSpherical)
    hmmlearn_spherical_note("temps_sph_k4", ng, temps, years, 4)


if __name__ == "__main__":
    main()
