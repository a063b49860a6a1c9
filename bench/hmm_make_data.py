#!/usr/bin/env python3
"""bench/hmm_make_data.py — synthetic data for bench/bench_hmm.sh.

An 8-state HMM with 4-D full-covariance Gaussian emissions (sticky transitions,
well separated means) is sampled for 1,000,000 steps into OUT/hmm_1e6x4.f64
(raw little-endian float64, row-major); OUT/hmm_short.lengths cuts the same
frames into 10,000 sequences of 100. OUT/hmm_k8.init.json is the common start
of every peer: the true parameters perturbed (means shifted by 0.5, identity
covariances, uniform start, 0.5 on the transition diagonal).
OUT/hmm_k8.vbinit.json is the same start for the variational Bayesian HMM, a vem
"vbhmm" model file: hmmlearn's default priors (start and transition Dirichlet
1/K, means prior the data mean, beta 1, dof d, scale 1e-3 I) and a posterior
that gives every state n/K frames of the start above (Dirichlet parameters
prior + 1/K and prior + (n - 1) A / K, means the start's, beta and dof the
prior's + n/K, scale dof I, i.e. identity covariances).

    python3 bench/hmm_make_data.py --out bench/out
"""
import argparse
import json
import os

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="bench/out")
    ap.add_argument("--steps", type=int, default=1000000)
    ap.add_argument("--seed", type=int, default=20261121)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rng = np.random.default_rng(a.seed)
    k, d, n = 8, 4, a.steps
    means = rng.normal(0.0, 4.0, size=(k, d))
    covs = []
    for _ in range(k):
        m = rng.normal(size=(d, d))
        covs.append(m @ m.T / d + 0.3 * np.eye(d))
    covs = np.array(covs)
    trans = np.full((k, k), 0.1 / (k - 1)) + np.eye(k) * (0.9 - 0.1 / (k - 1))
    z = np.empty(n, dtype=np.int64)
    z[0] = rng.integers(k)
    u = rng.random(n)
    cum = np.cumsum(trans, axis=1)
    for t in range(1, n):
        z[t] = min(np.searchsorted(cum[z[t - 1]], u[t], side="right"), k - 1)
    chol = np.linalg.cholesky(covs)
    e = rng.normal(size=(n, d))
    x = means[z] + np.einsum("nij,nj->ni", chol[z], e)
    x.astype("<f8").tofile(os.path.join(a.out, "hmm_1e6x4.f64"))
    with open(os.path.join(a.out, "hmm_short.lengths"), "w") as f:
        f.write("100\n" * (n // 100))
    init = {
        "format": "vem-model", "version": 1, "model": "hmm", "emission": "gaussian",
        "n_states": k, "covariance_type": "full", "n_features": d, "reg_covar": 1e-6,
        "startprob": [1.0 / k] * k,
        "transmat": (np.full((k, k), 0.5 / (k - 1)) + np.eye(k) * (0.5 - 0.5 / (k - 1))).tolist(),
        "means": (means + 0.5).tolist(),
        "covariances": [np.eye(d).tolist() for _ in range(k)],
    }
    with open(os.path.join(a.out, "hmm_k8.init.json"), "w") as f:
        json.dump(init, f)
    nk = n / k
    a0 = 1.0 / k
    vbinit = {
        "format": "vem-model", "version": 1, "model": "vbhmm", "emission": "gaussian",
        "n_states": k, "covariance_type": "full", "n_features": d,
        "startprob_prior": [a0] * k,
        "transmat_prior": np.full((k, k), a0).tolist(),
        "startprob_posterior": (a0 + np.array(init["startprob"])).tolist(),
        "transmat_posterior": (a0 + (n - 1) * np.array(init["transmat"]) / k).tolist(),
        "means_prior": x.mean(axis=0).tolist(), "beta_prior": 1.0, "dof_prior": float(d),
        "scale_prior": (1e-3 * np.eye(d)).tolist(),
        "means": init["means"],
        "beta_posterior": [1.0 + nk] * k, "dof_posterior": [d + nk] * k,
        "scale_posterior": [((d + nk) * np.eye(d)).tolist() for _ in range(k)],
    }
    with open(os.path.join(a.out, "hmm_k8.vbinit.json"), "w") as f:
        json.dump(vbinit, f)


if __name__ == "__main__":
    main()
