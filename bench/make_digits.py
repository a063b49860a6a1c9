#!/usr/bin/python3
"""scikit-learn's 8x8 digits as a CSV, and an initial model for the bench.

    /usr/bin/python3 bench/make_digits.py [--csv examples/data/digits.csv] [--out bench/out]

Writes:
  examples/data/digits.csv     1797 x 64 pixel intensities (0-16), header px0..px63, from
                               sklearn.datasets.load_digits() (no download: scikit-learn
                               bundles the file); only if missing, or with --force
  OUT/digits_k10_full.init.json  initial model for K=10, full covariances: rows
                               i * 1797 // 10 as initial means, every row assigned to its
                               nearest mean, weights and covariances of that hard
                               assignment as scikit-learn's M-step computes them, plus
                               reg_covar on the diagonal (as bench/make_data.py).
"""

import argparse
import json
import os

import numpy as np

K = 10
REG_COVAR = 1e-6


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--csv", default=os.path.join(here, "..", "examples", "data", "digits.csv"))
    ap.add_argument("--out", default=os.path.join(here, "out"))
    ap.add_argument("--force", action="store_true")
    args = ap.parse_args()
    if args.force or not os.path.exists(args.csv):
        from sklearn.datasets import load_digits
        x = load_digits().data.astype(np.float64)
        with open(args.csv, "w") as fh:
            fh.write(",".join("px%d" % j for j in range(x.shape[1])) + "\n")
            for row in x:
                fh.write(",".join("%d" % v for v in row) + "\n")
    x = np.loadtxt(args.csv, delimiter=",", skiprows=1)
    n, d = x.shape
    mu0 = x[[i * n // K for i in range(K)]].copy()
    d2 = (mu0 * mu0).sum(axis=1)[None, :] - 2.0 * x @ mu0.T
    labels = np.argmin(d2, axis=1)
    counts = np.bincount(labels, minlength=K).astype(np.float64)
    nk = counts + 10 * np.finfo(np.float64).eps
    covs = np.empty((K, d, d))
    for k in range(K):
        xk = x[labels == k]
        c = xk.sum(axis=0) / nk[k]
        diff = xk - c
        covs[k] = diff.T @ diff / nk[k] + REG_COVAR * np.eye(d)
    os.makedirs(args.out, exist_ok=True)
    model = {"format": "vem-model", "version": 1, "model": "gmm", "covariance_type": "full",
             "n_components": K, "n_features": d, "reg_covar": REG_COVAR,
             "weights": (counts / n).tolist(), "means": mu0.tolist(), "covariances": covs.tolist()}
    path = os.path.join(args.out, "digits_k10_full.init.json")
    with open(path, "w") as fh:
        json.dump(model, fh)
        fh.write("\n")
    print("wrote %s (%d x %d) and %s; initial counts %s" % (args.csv, n, d, path, counts.astype(int)))


if __name__ == "__main__":
    main()
