#!/usr/bin/env python3
"""bench/hmm_pomegranate.py — pomegranate's Baum-Welch on the bench data, timed.

    python3 bench/hmm_pomegranate.py DATA.f64 D INIT.json ITERS [LENGTHS]

Builds a pomegranate HiddenMarkovModel from the vem model file INIT.json (the
same start as vem): full-covariance Gaussian states (MultivariateGaussian-
Distribution) or, for a Poisson model file, states of independent Poisson
counts (an IndependentComponentsDistribution of one PoissonDistribution per
column), and fits it on one sequence or on the sequences given by LENGTHS with
max_iterations = min_iterations = ITERS. pomegranate 0.14 runs one Baum-Welch
iteration before its loop, so that is ITERS + 1 M-steps (checked: its
log-likelihood after ITERS = 1 equals vem's after 2 iterations). Prints one
JSON object: M-steps, seconds and CPU seconds (process_time()) per M-step and
the final total log-likelihood (nats).
"""
import json
import sys
import time

import numpy as np
import pomegranate
from pomegranate import (HiddenMarkovModel, IndependentComponentsDistribution,
                         MultivariateGaussianDistribution, PoissonDistribution)


def main():
    path, d, init, iters = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    x = np.fromfile(path, dtype="<f8").reshape(-1, d)
    if len(sys.argv) > 5:
        lengths = np.loadtxt(sys.argv[5], dtype=np.int64, ndmin=1)
        seqs = np.split(x, np.cumsum(lengths)[:-1])
    else:
        seqs = [x]
    with open(init) as f:
        m = json.load(f)
    if m.get("emission") == "poisson":
        dists = [IndependentComponentsDistribution([PoissonDistribution(l) for l in row])
                 for row in m["lambdas"]]
    else:
        dists = [MultivariateGaussianDistribution(np.array(mu), np.array(cov))
                 for mu, cov in zip(m["means"], m["covariances"])]
    model = HiddenMarkovModel.from_matrix(np.array(m["transmat"]), dists,
                                          np.array(m["startprob"]))
    t0, c0 = time.perf_counter(), time.process_time()
    model.fit(seqs, algorithm="baum-welch", max_iterations=iters, min_iterations=iters,
              stop_threshold=-1e300, verbose=False, n_jobs=1)
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    ll = float(sum(model.log_probability(s) for s in seqs))
    print(json.dumps({"peer": "pomegranate " + pomegranate.__version__, "m_steps": iters + 1,
                      "seconds_per_iter": secs / (iters + 1),
                      "cpu_seconds_per_iter": cpu / (iters + 1), "log_likelihood": ll}))


if __name__ == "__main__":
    main()
