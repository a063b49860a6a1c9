#!/usr/bin/env python3
"""bench/hmm_hmmlearn.py — hmmlearn's Baum-Welch or VB-EM on the bench data, timed.

    python3 bench/hmm_hmmlearn.py MODEL IMPL DATA.f64 D INIT.json ITERS [LENGTHS]

MODEL is gaussian (GaussianHMM, full covariances), poisson (PoissonHMM) or vb
(VariationalGaussianHMM, full covariances); IMPL is hmmlearn's implementation,
log (its default) or scaling. The model starts from INIT.json, a vem model file
(hmm_make_data.py, hmm_make_counts.py): startprob_, transmat_ and means_ and
covars_ or lambdas_ (vb: the priors and posteriors of a "vbhmm" file), with
init_params="" so that hmmlearn keeps them; INIT.json "-" (vb only) lets hmmlearn
initialise itself (random_state 0: its 10-start k-means on all frames), untimed.

What is timed: fit() with n_iter = ITERS and tol = -inf (exactly ITERS E- and
M-steps), wall clock, divided by ITERS, nothing subtracted (with init_params=""
GaussianHMM's _init only checks shapes, PoissonHMM's also takes the mean and the
variance of all counts, milliseconds). VariationalGaussianHMM's
_init runs a 10-start k-means on all frames even with init_params="" and throws
it away; it is replaced by its first line (_check_and_set_n_features) on this
instance, so that fit() times the iterations alone.

The priors are switched off so that hmmlearn fits what vem does: GaussianHMM's
covars_prior (1e-2 added to every entry of every covariance's numerator) is 0 and
its means_weight 0 (the default), Dirichlet priors 1 (the default: none);
PoissonHMM's lambdas_prior and lambdas_weight are 0 (the default). vem adds its
reg_covar, 1e-6, to the covariance diagonals; hmmlearn adds nothing.

Prints one JSON object: the peer, IMPL, ITERS, fit()'s seconds, seconds and CPU
seconds (process_time(), all threads) per iteration and the total log-likelihood
of the parameters after ITERS M-steps (score(), untimed), as vem's objective
after --max-iter ITERS. vb: hmmlearn's lower bound of the final posterior (one
more E-step, untimed), and "elbo", that bound less n d/2 ln(2 pi), which
hmmlearn leaves out and vem keeps (vem's ELBO).
"""
import json
import math
import sys
import time

import numpy as np
import hmmlearn
from hmmlearn import hmm, vhmm


def load_start(model, m, init):
    if model == "gaussian":
        m.startprob_ = np.array(init["startprob"])
        m.transmat_ = np.array(init["transmat"])
        m.means_ = np.array(init["means"])
        m.covars_ = np.array(init["covariances"])
    elif model == "poisson":
        m.startprob_ = np.array(init["startprob"])
        m.transmat_ = np.array(init["transmat"])
        m.lambdas_ = np.array(init["lambdas"])
    else:
        k = init["n_states"]
        m.startprob_prior_ = np.array(init["startprob_prior"])
        m.transmat_prior_ = np.array(init["transmat_prior"])
        m.startprob_posterior_ = np.array(init["startprob_posterior"])
        m.transmat_posterior_ = np.array(init["transmat_posterior"])
        m.means_prior_ = np.tile(init["means_prior"], (k, 1))
        m.beta_prior_ = np.full(k, init["beta_prior"])
        m.dof_prior_ = np.full(k, init["dof_prior"])
        m.scale_prior_ = np.tile(init["scale_prior"], (k, 1, 1))
        m.means_posterior_ = np.array(init["means"])
        m.beta_posterior_ = np.array(init["beta_posterior"])
        m.dof_posterior_ = np.array(init["dof_posterior"])
        m.scale_posterior_ = np.array(init["scale_posterior"])


def main():
    model, impl, path, d = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    init_path, iters = sys.argv[5], int(sys.argv[6])
    x = np.fromfile(path, dtype="<f8").reshape(-1, d)
    if len(sys.argv) > 7:
        lengths = np.loadtxt(sys.argv[7], dtype=np.int64, ndmin=1)
    else:
        lengths = np.array([x.shape[0]])
    init = None
    if init_path != "-":
        with open(init_path) as f:
            init = json.load(f)
    k = init["n_states"] if init else 8
    common = dict(n_components=k, n_iter=iters, tol=-np.inf, init_params="",
                  implementation=impl, random_state=0)
    if model == "gaussian":
        m = hmm.GaussianHMM(covariance_type="full", covars_prior=0.0, **common)
        cls = "GaussianHMM"
    elif model == "poisson":
        m = hmm.PoissonHMM(**common)
        x = x.astype(np.int64)  # counts: scipy's poisson.logpmf of integers
        cls = "PoissonHMM"
    elif model == "vb":
        m = vhmm.VariationalGaussianHMM(covariance_type="full", **common)
        cls = "VariationalGaussianHMM"
    else:
        sys.exit("hmm_hmmlearn.py: MODEL is gaussian, poisson or vb")
    if init is not None:
        load_start(model, m, init)
    elif model == "vb":
        m.init_params = "stmc"
        m._init(x, lengths)  # hmmlearn's own start, untimed
        m.init_params = ""
    else:
        sys.exit("hmm_hmmlearn.py: INIT.json is needed for " + model)
    if model == "vb":
        m._init = lambda X, lengths=None: m._check_and_set_n_features(X)
    m.monitor_.tol = -np.inf
    m.monitor_.n_iter = iters
    t0, c0 = time.perf_counter(), time.process_time()
    m.fit(x, lengths)
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    if len(m.monitor_.history) != iters:
        sys.exit("hmm_hmmlearn.py: fit() stopped after %d iterations, not %d"
                 % (len(m.monitor_.history), iters))
    out = {"peer": "hmmlearn %s %s" % (hmmlearn.__version__, cls), "implementation": impl,
           "numpy": np.__version__, "iters": iters, "seconds_fit": secs,
           "seconds_per_iter": secs / iters, "cpu_seconds_per_iter": cpu / iters}
    if model == "vb":
        _, logprob = m._do_estep(x, lengths)
        bound = float(m._compute_lower_bound(logprob))
        out["lower_bound"] = bound
        out["elbo"] = bound - x.shape[0] * d / 2 * math.log(2 * math.pi)
        out["objective"] = out["elbo"]
    else:
        out["log_likelihood"] = float(m.score(x, lengths))
        out["objective"] = out["log_likelihood"]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
