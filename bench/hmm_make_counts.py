#!/usr/bin/env python3
"""bench/hmm_make_counts.py — count data for bench/bench_hmm.sh's Poisson case.

An 8-state HMM with Poisson emissions over 3 independent count columns (sticky
transitions, 0.9 on the diagonal; rates between about 0.5 and 30, drawn once) is
sampled for 1,000,000 steps into OUT/hmm_counts_1e6x3.f64 (raw little-endian
float64, row-major, every value an integer). OUT/hmm_counts_k8.init.json is the
common start of every peer, a vem model file: the true rates times 1.3 plus 0.2,
uniform start, 0.5 on the transition diagonal.

    python3 bench/hmm_make_counts.py --out bench/out
"""
import argparse
import json
import os

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="bench/out")
    ap.add_argument("--steps", type=int, default=1000000)
    ap.add_argument("--seed", type=int, default=20261207)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rng = np.random.default_rng(a.seed)
    k, d, n = 8, 3, a.steps
    lambdas = rng.gamma(2.0, 4.0, size=(k, d)) + 0.5
    trans = np.full((k, k), 0.1 / (k - 1)) + np.eye(k) * (0.9 - 0.1 / (k - 1))
    z = np.empty(n, dtype=np.int64)
    z[0] = rng.integers(k)
    u = rng.random(n)
    cum = np.cumsum(trans, axis=1)
    for t in range(1, n):
        z[t] = min(np.searchsorted(cum[z[t - 1]], u[t], side="right"), k - 1)
    x = rng.poisson(lambdas[z]).astype("<f8")
    x.tofile(os.path.join(a.out, "hmm_counts_1e6x3.f64"))
    init = {
        "format": "vem-model", "version": 1, "model": "hmm", "emission": "poisson",
        "n_states": k, "n_features": d,
        "startprob": [1.0 / k] * k,
        "transmat": (np.full((k, k), 0.5 / (k - 1)) + np.eye(k) * (0.5 - 0.5 / (k - 1))).tolist(),
        "lambdas": (lambdas * 1.3 + 0.2).tolist(),
    }
    with open(os.path.join(a.out, "hmm_counts_k8.init.json"), "w") as f:
        json.dump(init, f)


if __name__ == "__main__":
    main()
