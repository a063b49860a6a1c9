#!/usr/bin/python3
"""Synthetic data and initial models for bench/bench_gmm.sh.

    /usr/bin/python3 bench/make_data.py [--out bench/out] [--rows 1000000]

Writes (about 130 MB, nothing random beyond the fixed seeds below):
  synth_1e6x16.f64        rows x 16 little-endian float64, row-major, no header
  synth_planted.json      the planted mixture (vem model file, full covariances)
  synth_k8_full.init.json initial model for K=8, full covariances
  synth_k8_diag.init.json initial model for K=8, diagonal covariances

The planted mixture: 8 components in 16 dimensions, weights from a Dirichlet(4)
draw, means N(0, 0.7^2 I) (pairwise distances 2.8 to 5.2, against standard
deviations of about 1 along most directions: separated but overlapping, so EM
is still moving after 10 iterations), covariances A A^T / 16 + 0.2 I with A
standard normal (random orientation, eigenvalues from about 0.2 to 4). Rows
are shuffled.

Initial models are computed as in tests/golden/make_gmm_golden.py: initial
means = planted means + N(0, 0.75^2) noise (seed 2); every row assigned to its
nearest initial mean (Euclidean); weights = counts / N; covariances of that
hard assignment around the centroids of the assigned rows, as scikit-learn's
M-step computes them, plus reg_covar = 1e-6 on the diagonal; means = the
initial means.
"""

import argparse
import json
import os

import numpy as np

D, K = 16, 8
REG_COVAR = 1e-6
SEED_DATA, SEED_INIT = 1, 2


def planted(rng):
    weights = rng.dirichlet(np.full(K, 4.0))
    means = 0.7 * rng.standard_normal((K, D))
    covs = np.empty((K, D, D))
    for k in range(K):
        a = rng.standard_normal((D, D))
        covs[k] = a @ a.T / D + 0.2 * np.eye(D)
    return weights, means, covs


def sample(rng, n, weights, means, covs):
    counts = rng.multinomial(n, weights)
    x = np.empty((n, D))
    row = 0
    for k in range(K):
        l = np.linalg.cholesky(covs[k])
        z = rng.standard_normal((counts[k], D))
        x[row:row + counts[k]] = means[k] + z @ l.T
        row += counts[k]
    return x[rng.permutation(n)]


def nearest(x, mu, chunk=1 << 16):
    labels = np.empty(x.shape[0], dtype=np.int64)
    mu2 = (mu * mu).sum(axis=1)
    for s in range(0, x.shape[0], chunk):
        xb = x[s:s + chunk]
        d2 = mu2[None, :] - 2.0 * xb @ mu.T  # |x|^2 is the same for every mean
        labels[s:s + chunk] = np.argmin(d2, axis=1)
    return labels


def hard_assignment_model(x, mu0, cov):
    n = x.shape[0]
    labels = nearest(x, mu0)
    counts = np.bincount(labels, minlength=K).astype(np.float64)
    if np.any(counts == 0):
        raise SystemExit("an initial mean attracted no rows")
    nk = counts + 10 * np.finfo(np.float64).eps
    if cov == "full":
        covs = np.empty((K, D, D))
        for k in range(K):
            xk = x[labels == k]
            c = xk.sum(axis=0) / nk[k]
            diff = xk - c
            covs[k] = diff.T @ diff / nk[k] + REG_COVAR * np.eye(D)
    elif cov == "diag":
        covs = np.empty((K, D))
        for k in range(K):
            xk = x[labels == k]
            c = xk.sum(axis=0) / nk[k]
            covs[k] = (xk * xk).sum(axis=0) / nk[k] - 2 * c * c + c * c + REG_COVAR
    else:
        raise ValueError(cov)
    return counts / n, covs


def write_model(path, cov, weights, means, covs):
    model = {
        "format": "vem-model", "version": 1, "model": "gmm", "covariance_type": cov,
        "n_components": K, "n_features": D, "reg_covar": REG_COVAR,
        "weights": np.asarray(weights, dtype=np.float64).tolist(),
        "means": np.asarray(means, dtype=np.float64).tolist(),
        "covariances": np.asarray(covs, dtype=np.float64).tolist(),
    }
    with open(path, "w") as fh:
        json.dump(model, fh)  # floats as repr(): they read back to the same bits
        fh.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "out"))
    ap.add_argument("--rows", type=int, default=1000000)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    rng = np.random.default_rng(SEED_DATA)
    w, mu, covs = planted(rng)
    x = sample(rng, args.rows, w, mu, covs)
    name = "synth_1e6x16.f64" if args.rows == 1000000 else "synth_%dx16.f64" % args.rows
    x.astype("<f8").tofile(os.path.join(args.out, name))
    write_model(os.path.join(args.out, "synth_planted.json"), "full", w, mu, covs)

    mu0 = mu + 0.75 * np.random.default_rng(SEED_INIT).standard_normal((K, D))
    for cov in ("full", "diag"):
        w0, c0 = hard_assignment_model(x, mu0, cov)
        write_model(os.path.join(args.out, "synth_k8_%s.init.json" % cov), cov, w0, mu0, c0)
    print("wrote %s (%d x %d) and initial models to %s; hard-assignment weights %s"
          % (name, args.rows, D, args.out, np.array2string(w0, precision=4)))
    print("planted weights %s" % np.array2string(w, precision=4))


if __name__ == "__main__":
    main()
