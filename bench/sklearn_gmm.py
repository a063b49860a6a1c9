#!/usr/bin/python3
"""Time scikit-learn's GaussianMixture from a vem initial model; print one JSON line.

    /usr/bin/python3 bench/sklearn_gmm.py DATA --init INIT.json --max-iter N
        [--columns a,b,c] [--binary-cols D] [--label NAME]

DATA is a CSV file with a header (--columns selects columns by name; default
all) or, with --binary-cols D, raw little-endian float64 with D columns.
The fit starts from the model file: weights_init, means_init and
precisions_init (inverse covariances), covariance type and reg_covar from the
file; tol=0, so exactly N EM iterations run.

Printed keys: seconds (wall time of fit(X)), seconds_per_iter (seconds / N),
seconds_1 (wall time of the same fit with max_iter=1), seconds_per_iter_net
((seconds - seconds_1) / (N - 1): the marginal cost of an iteration, without
scikit-learn's initialisation pass and the final E-step that fit(X) always
does; max_iter=0 is not usable with precisions_init in scikit-learn 1.2.1,
whose fit then fails on a missing covariances_), mean_log_likelihood
(score(X) of the fitted parameters, nats per row), log_likelihood (times rows),
n_iter, and versions.
"""

import argparse
import json
import sys
import time
import warnings

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture


def load_data(path, columns, binary_cols):
    if binary_cols:
        x = np.fromfile(path, dtype="<f8")
        if x.size % binary_cols:
            raise SystemExit("%s: size is not a multiple of %d doubles" % (path, binary_cols))
        return x.reshape(-1, binary_cols)
    with open(path) as fh:
        header = fh.readline().strip().split(",")
    names = header if columns is None else columns.split(",")
    idx = [header.index(c) for c in names]
    return np.loadtxt(path, delimiter=",", skiprows=1, usecols=idx, ndmin=2)


def load_model(path):
    with open(path) as fh:
        m = json.load(fh)
    cov = m["covariance_type"]
    c = np.array(m["covariances"], dtype=np.float64)
    if cov == "full":
        prec = np.array([np.linalg.inv(ck) for ck in c])
    elif cov == "tied":
        prec = np.linalg.inv(c)
    else:
        prec = 1.0 / c
    return (m["n_components"], cov, m.get("reg_covar", 1e-6),
            np.array(m["weights"], dtype=np.float64), np.array(m["means"], dtype=np.float64),
            prec)


def make(k, cov, reg, w, mu, prec, max_iter):
    # init_params="random_from_data": the cheapest initialisation scikit-learn offers;
    # its result is replaced by weights_init, means_init and precisions_init anyway.
    return GaussianMixture(n_components=k, covariance_type=cov, weights_init=w, means_init=mu,
                           precisions_init=prec, max_iter=max_iter, tol=0.0, reg_covar=reg,
                           n_init=1, init_params="random_from_data", random_state=0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--init", required=True)
    ap.add_argument("--max-iter", type=int, required=True)
    ap.add_argument("--columns")
    ap.add_argument("--binary-cols", type=int, default=0)
    ap.add_argument("--label", default="")
    args = ap.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)

    x = load_data(args.data, args.columns, args.binary_cols)
    k, cov, reg, w, mu, prec = load_model(args.init)

    seconds_1 = None
    if args.max_iter >= 2:
        gm1 = make(k, cov, reg, w, mu, prec, 1)
        t0 = time.perf_counter()
        gm1.fit(x)
        seconds_1 = time.perf_counter() - t0

    gm = make(k, cov, reg, w, mu, prec, args.max_iter)
    t0 = time.perf_counter()
    gm.fit(x)
    seconds = time.perf_counter() - t0
    mean_ll = float(gm.score(x))

    out = {
        "label": args.label, "peer": "scikit-learn", "rows": int(x.shape[0]),
        "cols": int(x.shape[1]), "k": int(k), "covariance": cov, "n_iter": int(gm.n_iter_),
        "seconds": seconds, "seconds_per_iter": seconds / args.max_iter,
        "seconds_1": seconds_1,
        "seconds_per_iter_net": (None if seconds_1 is None
                                 else (seconds - seconds_1) / (args.max_iter - 1)),
        "mean_log_likelihood": mean_ll, "log_likelihood": mean_ll * x.shape[0],
        "versions": {"python": sys.version.split()[0], "numpy": np.__version__,
                     "scikit-learn": sklearn.__version__},
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
