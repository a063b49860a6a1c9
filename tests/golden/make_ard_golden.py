#!/usr/bin/env python3
"""Reference numbers for vem's ARD regression by MacKay's update (tests/test_blr.c,
tests/test_cli_vb.sh): scikit-learn's ARDRegression with its default settings.

    /usr/bin/python3 tests/golden/make_ard_golden.py > tests/golden/ard_digits_sklearn.txt

Independent of vem: Debian 12's scikit-learn 1.2.1 and numpy. The problem
(docs/vb.md, "ARD"): scikit-learn's digits (examples/data/digits.csv, 1797 x 64),
the target pixel px36 (row 4, column 4 of the 8 x 8 image, an interior pixel),
the features the 60 other pixels that are not constant (px0, px32 and px39 are
constant), in file order. "Standardised" means the features only:
StandardScaler (mean 0, variance 1 with divisor n), then ARDRegression() with
its defaults (fit_intercept=True, so the target is centred, not scaled; n_iter
300, tol 1e-3, alpha_1 = alpha_2 = lambda_1 = lambda_2 = 1e-6,
threshold_lambda 1e4). vem sees the same problem with --standardize and its
intercept on.

Output: one reference per line, "name value value ...", 17 significant digits.
- features: the 60 feature columns (names); target: the target's name.
- n_iter: iterations of ARDRegression's loop (1.2.1 has no n_iter_: its verbose
  line "Converged after I iterations" prints the 0-based index I, so n_iter is
  I + 1; 300 if it did not print).
- n_pruned, pruned: the pruned features (lambda_ >= threshold_lambda), 0-based
  indices into features.
- alpha: alpha_ (noise precision); lambda: lambda_ (60 weight precisions, the
  pruned ones at the value that crossed the threshold).
- coef, intercept: coef_ and intercept_ on the standardised features.
- coef_input, intercept_input: the same model on the raw pixels, coef_ /
  scale_ and intercept_ - sum(coef_ mean_ / scale_).
- objective: vem's MacKay objective of the returned precisions, computed here
  from its definition (include/vem/blr.h): ln p(t | lambda, beta) +
  sum_kept (c0 ln lambda_i - d0 lambda_i) + a0 ln beta - b0 beta, t the centred
  target, the sum over the kept weights.
"""
import contextlib
import io
import math
import sys

import numpy as np
import scipy
import sklearn
from sklearn.linear_model import ARDRegression
from sklearn.preprocessing import StandardScaler

TARGET = "px36"


def fmt(v):
    return " ".join("%.17g" % x for x in np.atleast_1d(v))


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "examples/data/digits.csv"
    with open(path) as f:
        names = f.readline().strip().split(",")
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    constant = [j for j in range(data.shape[1]) if np.all(data[:, j] == data[0, j])]
    t = names.index(TARGET)
    feats = [j for j in range(data.shape[1]) if j != t and j not in constant]
    assert len(feats) == 60, len(feats)
    scaler = StandardScaler()
    x = scaler.fit_transform(data[:, feats])
    y = data[:, t]
    model = ARDRegression(verbose=True)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        model.fit(x, y)
    said = [l for l in out.getvalue().splitlines() if l.startswith("Converged after")]
    n_iter = int(said[0].split()[2]) + 1 if said else model.n_iter
    pruned = np.flatnonzero(model.lambda_ >= model.threshold_lambda)
    keep = model.lambda_ < model.threshold_lambda
    coef_in = model.coef_ / scaler.scale_
    icpt_in = model.intercept_ - np.sum(model.coef_ * scaler.mean_ / scaler.scale_)

    # The objective of the returned precisions (vem's definition).
    h = 1e-6
    z = x - x.mean(axis=0)
    tc = y - y.mean()
    n = len(y)
    lam, beta = model.lambda_[keep], model.alpha_
    zk = z[:, keep]
    a = np.diag(lam) + beta * zk.T @ zk
    mu = beta * np.linalg.solve(a, zk.T @ tc)
    rss = np.sum((tc - zk @ mu) ** 2)
    objective = (0.5 * n * (math.log(beta) - math.log(2 * math.pi))
                 + 0.5 * np.sum(np.log(lam)) - 0.5 * np.linalg.slogdet(a)[1]
                 - 0.5 * beta * rss - 0.5 * np.sum(lam * mu ** 2)
                 + np.sum(h * np.log(lam) - h * lam) + h * math.log(beta) - h * beta)

    print("# ARDRegression on digits, target %s (see make_ard_golden.py)" % TARGET)
    print("# python %s, numpy %s, scipy %s, scikit-learn %s" % (
        sys.version.split()[0], np.__version__, scipy.__version__, sklearn.__version__))
    print("target", TARGET)
    print("features", " ".join(names[j] for j in feats))
    print("n_iter", n_iter)
    print("n_pruned", len(pruned))
    print("pruned", " ".join(str(i) for i in pruned))
    print("alpha", fmt(model.alpha_))
    print("lambda", fmt(model.lambda_))
    print("coef", fmt(model.coef_))
    print("intercept", fmt(model.intercept_))
    print("coef_input", fmt(coef_in))
    print("intercept_input", fmt(icpt_in))
    print("objective", fmt(objective))


if __name__ == "__main__":
    main()
