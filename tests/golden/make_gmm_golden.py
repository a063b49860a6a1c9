#!/usr/bin/python3
"""Golden references for vem's Gaussian mixtures, computed with scikit-learn.

Run from the repository root with the system Python that has scikit-learn:

    /usr/bin/python3 tests/golden/make_gmm_golden.py > tests/golden/gmm_golden.log

Writes, next to this script:
  <case>.init.json   the initial model of each case (vem model file, docs/formats.md)
  gmm_golden.txt     one line per (case, iterations), read by tests/test_golden.c

Nothing is random. For each case:
  1. Initial means: the K data rows at 0-based indices floor((j + 1/2) * N / K),
     j = 0..K-1 (spread evenly through the file; for Old Faithful rows 68 and 204,
     for the penguins rows 57, 171 and 285, one per species).
  2. Every row is assigned to its nearest initial mean (Euclidean distance on the
     raw columns; ties go to the lower index). Weights = counts / N. Covariances
     from these hard assignments by scikit-learn's M-step formulas
     (_estimate_gaussian_covariances_{full,diag,spherical,tied}: centred at the
     centroids of the assigned rows, reg_covar = 1e-6 added to the diagonal).
     The means of the initial model are the initial means themselves.
  3. The initial model is written as <case>.init.json with repr() doubles (which
     read back to the same bits), read back, and given to scikit-learn as
     weights_init, means_init and precisions_init (inverse covariances in
     scikit-learn's shapes).
  4. GaussianMixture(max_iter=N, tol=0, reg_covar=1e-6, n_init=1).fit(X) for N in
     ITERS; recorded: score(X) (mean log-likelihood per row of the fitted
     parameters, nats), score * rows, weights_ and means_.

vem warm-started from the initial model with max_iter=N and tol=0 does N
iterations of (E-step, M-step) and reports the log-likelihood of the final
parameters: the same quantity.

Checks made here (the script stops on failure): the initial covariances agree
with scikit-learn's private _estimate_gaussian_parameters; the log-likelihood
trace over iterations 0..max(ITERS) (from a warm-started chain of one-iteration
fits) never decreases; the chain reproduces the one-call fits.

Line format of gmm_golden.txt (whitespace-separated, '#' starts a comment line):
  case data columns K D cov iters mean_ll total_ll w_1..w_K mu_11..mu_1D ... mu_KD
columns is '-' for all columns or a comma-separated list of header names.
Numbers are printed with %.17g.
"""

import json
import math
import os
import sys
import warnings

import numpy as np
import scipy
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture
from sklearn.mixture._gaussian_mixture import _estimate_gaussian_parameters

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DATA = os.path.join(ROOT, "examples", "data")

REG_COVAR = 1e-6
ITERS = (1, 5, 20, 100)
PENGUIN_COLS = ["beak_length_mm", "beak_depth_mm", "flipper_length_mm", "body_mass_g"]

# name, data file, columns (None: all), K, covariance type
CASES = [
    ("faithful_k2_full", "faithful.csv", None, 2, "full"),
    ("faithful_k2_diag", "faithful.csv", None, 2, "diag"),
    ("penguins_k3_full", "penguins.csv", PENGUIN_COLS, 3, "full"),
    ("penguins_k3_diag", "penguins.csv", PENGUIN_COLS, 3, "diag"),
    ("penguins_k3_spherical", "penguins.csv", PENGUIN_COLS, 3, "spherical"),
    ("penguins_k3_tied", "penguins.csv", PENGUIN_COLS, 3, "tied"),
]


def read_csv(path, columns):
    """Numeric columns of a CSV file with a header, as an n x d float64 array."""
    with open(path) as fh:
        header = fh.readline().strip().split(",")
        names = header if columns is None else columns
        idx = [header.index(c) for c in names]
        rows = []
        for line in fh:
            line = line.strip()
            if not line:
                continue
            cells = line.split(",")
            rows.append([float(cells[i]) for i in idx])
    return np.array(rows, dtype=np.float64), names


def initial_means_indices(n, k):
    return [((2 * j + 1) * n) // (2 * k) for j in range(k)]


def hard_assignment_covariances(X, labels, k, cov):
    """Covariances of the hard assignment, by scikit-learn's M-step formulas."""
    n, d = X.shape
    resp = np.zeros((n, k))
    resp[np.arange(n), labels] = 1.0
    nk = resp.sum(axis=0) + 10 * np.finfo(np.float64).eps
    centroids = resp.T @ X / nk[:, None]
    if cov == "full":
        out = np.empty((k, d, d))
        for j in range(k):
            diff = X - centroids[j]
            out[j] = (resp[:, j] * diff.T) @ diff / nk[j]
            out[j][np.diag_indices(d)] += REG_COVAR
    elif cov in ("diag", "spherical"):
        ex2 = resp.T @ (X * X) / nk[:, None]
        exm = centroids * (resp.T @ X) / nk[:, None]
        out = ex2 - 2 * exm + centroids**2 + REG_COVAR
        if cov == "spherical":
            out = out.mean(axis=1)
    elif cov == "tied":
        out = X.T @ X - (nk * centroids.T) @ centroids
        out /= nk.sum()
        out[np.diag_indices(d)] += REG_COVAR
    else:
        raise ValueError(cov)
    # Cross-check against scikit-learn's own function.
    _, _, ref = _estimate_gaussian_parameters(X, resp, REG_COVAR, cov)
    assert np.array_equal(out, ref), "covariance formula differs from scikit-learn's"
    return out, resp.sum(axis=0)


def precisions(covs, cov):
    if cov == "full":
        return np.array([np.linalg.inv(c) for c in covs])
    if cov == "tied":
        return np.linalg.inv(covs)
    return 1.0 / covs


def to_json_value(a):
    """Nested lists of Python floats (json writes floats with repr: exact round trip)."""
    return np.asarray(a, dtype=np.float64).tolist()


def write_model(path, k, d, cov, names, weights, means, covs):
    model = {
        "format": "vem-model",
        "version": 1,
        "model": "gmm",
        "covariance_type": cov,
        "n_components": k,
        "n_features": d,
        "reg_covar": REG_COVAR,
        "columns": list(names),
        "weights": to_json_value(weights),
        "means": to_json_value(means),
        "covariances": to_json_value(covs),
    }
    with open(path, "w") as fh:
        json.dump(model, fh, indent=1)
        fh.write("\n")


def read_model(path):
    with open(path) as fh:
        m = json.load(fh)
    return (np.array(m["weights"], dtype=np.float64), np.array(m["means"], dtype=np.float64),
            np.array(m["covariances"], dtype=np.float64))


def g17(x):
    return "%.17g" % x


def make_gm(k, cov, weights, means, covs, max_iter, warm_start=False):
    return GaussianMixture(n_components=k, covariance_type=cov, weights_init=weights,
                           means_init=means, precisions_init=precisions(covs, cov),
                           max_iter=max_iter, tol=0.0, reg_covar=REG_COVAR, n_init=1,
                           random_state=0, warm_start=warm_start)


def run_case(name, datafile, columns, k, cov, out_lines):
    X, names = read_csv(os.path.join(DATA, datafile), columns)
    n, d = X.shape
    idx = initial_means_indices(n, k)
    mu0 = X[idx].copy()
    dist2 = ((X[:, None, :] - mu0[None, :, :]) ** 2).sum(axis=2)
    labels = np.argmin(dist2, axis=1)
    covs, counts = hard_assignment_covariances(X, labels, k, cov)
    weights = counts / n
    init_path = os.path.join(HERE, name + ".init.json")
    write_model(init_path, k, d, cov, names, weights, mu0, covs)
    w0, m0, c0 = read_model(init_path)
    assert np.array_equal(w0, weights) and np.array_equal(m0, mu0) and np.array_equal(c0, covs)

    print("== %s: %s %d x %d, K=%d, %s" % (name, datafile, n, d, k, cov))
    print("   initial mean rows %s, hard-assignment counts %s" % (idx, counts.astype(int).tolist()))

    # Trace: a warm-started chain of one-iteration fits. chain_ll[t] is the mean
    # log-likelihood of the parameters after t iterations (t = 0: the initial model).
    chain = make_gm(k, cov, w0, m0, c0, 1, warm_start=True)
    chain_ll = []
    chain_params = {}
    for t in range(1, max(ITERS) + 1):
        chain.fit(X)
        # lower_bound_ is the log-likelihood of the parameters entering iteration t
        chain_ll.append(chain.lower_bound_)
        if t in ITERS:
            chain_params[t] = (chain.score(X), chain.weights_.copy(), chain.means_.copy())
    chain_ll.append(chain.score(X))
    diffs = np.diff(chain_ll)
    worst = diffs.min()
    tol = 1e-12 * (abs(chain_ll[-1]) + 1.0)
    print("   trace: LL(0)=%.12g LL(1)=%.12g LL(%d)=%.12g; smallest step %.3g (%s)"
          % (chain_ll[0], chain_ll[1], len(chain_ll) - 1, chain_ll[-1], worst,
             "monotone" if worst >= -tol else "NOT MONOTONE"))
    assert worst >= -tol, "%s: log-likelihood trace decreases" % name

    for it in ITERS:
        gm = make_gm(k, cov, w0, m0, c0, it)
        gm.fit(X)
        assert gm.n_iter_ == it and not gm.converged_
        mean_ll = gm.score(X)
        total = mean_ll * n
        s, w, m = chain_params[it]
        agree = max(abs(s - mean_ll) / abs(mean_ll), np.max(np.abs(w - gm.weights_)),
                    np.max(np.abs(m - gm.means_) / np.abs(gm.means_)))
        assert agree < 1e-12, "%s: chain and one-call fit differ by %g" % (name, agree)
        cols = "-" if columns is None else ",".join(columns)
        fields = [name, datafile, cols, str(k), str(d), cov, str(it), g17(mean_ll), g17(total)]
        fields += [g17(v) for v in gm.weights_]
        fields += [g17(v) for v in gm.means_.ravel()]
        out_lines.append(" ".join(fields))
        print("   iters %3d  mean_ll %.12f  total %.10f  weights %s"
              % (it, mean_ll, total, np.array2string(gm.weights_, precision=6)))


def main():
    warnings.simplefilter("ignore", ConvergenceWarning)
    cmd = "/usr/bin/python3 tests/golden/make_gmm_golden.py > tests/golden/gmm_golden.log"
    versions = "python %s, numpy %s, scipy %s, scikit-learn %s" % (
        sys.version.split()[0], np.__version__, scipy.__version__, sklearn.__version__)
    print("# " + cmd)
    print("# " + versions)
    lines = []
    for case in CASES:
        run_case(*case, lines)
    header = [
        "# vem GMM golden references from scikit-learn GaussianMixture (see make_gmm_golden.py).",
        "# generated by: " + cmd,
        "# " + versions,
        "# Each fit starts from <case>.init.json: weights_init, means_init, precisions_init =",
        "# inverse covariances; max_iter=iters, tol=0, reg_covar=1e-6, n_init=1.",
        "# mean_ll = score(X) of the fitted parameters (nats per row), total_ll = mean_ll * rows.",
        "# fields: case data columns K D cov iters mean_ll total_ll w_1..w_K mu_11..mu_KD",
    ]
    with open(os.path.join(HERE, "gmm_golden.txt"), "w") as fh:
        fh.write("\n".join(header + lines) + "\n")
    print("# wrote %d lines to tests/golden/gmm_golden.txt" % len(lines))


if __name__ == "__main__":
    main()
