#!/usr/bin/python3
"""Time scikit-learn's BayesianGaussianMixture per iteration; print one JSON line.

    /usr/bin/python3 bench/vb_sklearn.py DATA --binary-cols D -k K --covariance full|diag
        --max-iter N [--weight-prior dirichlet|dp]

DATA is raw little-endian float64 with D columns (or a CSV with a header when
--binary-cols is left out). Two fits with init_params="random" (uniform random
responsibilities, as vem's --init random), tol=0 and the priors' defaults: N
iterations and 1 iteration. seconds_per_iter_net = (seconds_N - seconds_1) / (N - 1)
is the marginal cost of one variational iteration (E-step, M-step, lower bound),
without the initialisation and the final E-step that fit() always does.
Also printed: lower_bound (scikit-learn's lower_bound_, which leaves out
constants: not comparable with vem's full ELBO), versions.
"""

import argparse
import json
import sys
import time
import warnings

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import BayesianGaussianMixture


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--binary-cols", type=int, default=0)
    ap.add_argument("-k", type=int, required=True)
    ap.add_argument("--covariance", default="full")
    ap.add_argument("--max-iter", type=int, default=10)
    ap.add_argument("--weight-prior", default="dirichlet")
    a = ap.parse_args()
    if a.binary_cols:
        x = np.fromfile(a.data, dtype="<f8").reshape(-1, a.binary_cols)
    else:
        x = np.loadtxt(a.data, delimiter=",", skiprows=1, ndmin=2)
    wct = "dirichlet_distribution" if a.weight_prior == "dirichlet" else "dirichlet_process"
    seconds = {}
    bounds = {}
    for n in (a.max_iter, 1):
        m = BayesianGaussianMixture(n_components=a.k, covariance_type=a.covariance,
                                    weight_concentration_prior_type=wct, init_params="random",
                                    max_iter=n, tol=0.0, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            t0 = time.perf_counter()
            m.fit(x)
            seconds[n] = time.perf_counter() - t0
        bounds[n] = float(m.lower_bound_)
    n = a.max_iter
    out = {
        "rows": x.shape[0], "cols": x.shape[1], "k": a.k, "covariance": a.covariance,
        "max_iter": n, "seconds": seconds[n], "seconds_1": seconds[1],
        "seconds_per_iter": seconds[n] / n,
        "seconds_per_iter_net": (seconds[n] - seconds[1]) / (n - 1) if n > 1 else seconds[n],
        "lower_bound": bounds[n],
        "versions": {"python": sys.version.split()[0], "numpy": np.__version__,
                     "sklearn": sklearn.__version__},
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
