#!/usr/bin/env python3
"""bench/py_gmm.py: one timed GaussianMixture fit for bench/bench_python.sh.

    VENV_PYTHON bench/py_gmm.py vem|sklearn DATA.f64 D INIT.json ITERS THREADS

DATA.f64 is raw little-endian float64, D values per row (make_data.py's
synth_1e6x16.f64); INIT.json a vem "gmm" model file with full covariances
(synth_k8_full.init.json). Its weights, means and inverse covariances are given to
both estimators as weights_init, means_init and precisions_init; tol=0 and
max_iter=ITERS, so both run exactly ITERS EM iterations from the same start.
reg_covar is the file's (1e-6, both estimators' default).

vem: vem.GaussianMixture(n_threads=THREADS). The estimator's helpers are wrapped
with timers (a perf_counter pair each, microseconds): _validate (the check and
conversion of X), _new_model (the C model), _user_init (the start from the given
parameters: vem's means initialisation, a pass over X that assigns each row to its
nearest given mean and takes one M-step, then set_params overwrites the weights and
covariances), _run (the C fit; its result's "seconds" is libvem's own clock around
vem_gmm_fit, the number `vem fit gmm --json` reports as "seconds"), _take (the
fitted attributes).

sklearn: sklearn.mixture.GaussianMixture under threadpoolctl's
threadpool_limits(THREADS) (the shell also sets OMP_NUM_THREADS and
OPENBLAS_NUM_THREADS), init_params='random_from_data' (its cheapest start: every
parameter it computes is replaced by the given ones). Each _e_step call is
time-stamped: fit() calls it ITERS times in its loop and once after it, so
(last - first) / ITERS is the marginal EM iteration (E- and M-step).

Both: fit() timed whole with perf_counter (wall) and process_time (CPU, all
threads); then, untimed, score(X): the mean log-likelihood per row of the returned
parameters. Prints one JSON object; loadavg is /proc/loadavg's 1-minute figure
before and after the fit.
"""
import json
import sys
import time

import numpy as np


def load1():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def start(init):
    """(weights, means, precisions) from a vem gmm model file (full covariances)."""
    if init["covariance_type"] != "full":
        sys.exit("py_gmm.py: INIT.json must have full covariances")
    w = np.array(init["weights"], dtype=np.float64)
    mu = np.array(init["means"], dtype=np.float64)
    cov = np.array(init["covariances"], dtype=np.float64)
    prec = np.linalg.inv(cov)
    prec = 0.5 * (prec + np.transpose(prec, (0, 2, 1)))
    return w, mu, prec, float(init.get("reg_covar", 1e-6))


def timed(obj, name, parts, keep=None):
    """Replace obj.name by a wrapper that adds its wall time to parts[name]."""
    f = getattr(obj, name)

    def wrapper(*a, **k):
        t0 = time.perf_counter()
        r = f(*a, **k)
        parts[name] = parts.get(name, 0.0) + time.perf_counter() - t0
        if keep is not None:
            keep(r)
        return r
    setattr(obj, name, wrapper)


def main():
    prog, path, d = sys.argv[1], sys.argv[2], int(sys.argv[3])
    init_path, iters, threads = sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
    X = np.fromfile(path, dtype="<f8").reshape(-1, d)
    with open(init_path) as f:
        init = json.load(f)
    w, mu, prec, reg = start(init)
    k = w.shape[0]
    out = {"program": prog, "threads": threads, "iters": iters, "rows": X.shape[0],
           "d": d, "k": k}
    if prog == "vem":
        import vem
        import vem.mixture as mx
        parts = {}
        engine = {}
        timed(mx, "_validate", parts)
        for name in ("_new_model", "_user_init", "_take"):
            timed(mx.GaussianMixture, name, parts)
        timed(mx.GaussianMixture, "_run", parts, keep=engine.update)
        est = vem.GaussianMixture(k, covariance_type="full", tol=0.0, max_iter=iters,
                                  reg_covar=reg, weights_init=w, means_init=mu,
                                  precisions_init=prec, n_threads=threads)
        out["peer"] = "vem %s (%s)" % (vem.__version__, vem.__file__)
        lb = load1()
        t0, c0 = time.perf_counter(), time.process_time()
        est.fit(X)
        secs, cpu = time.perf_counter() - t0, time.process_time() - c0
        la = load1()
        out.update(parts=parts, engine_seconds=engine["seconds"],
                   engine_passes=engine.get("n_passes"))
    elif prog == "sklearn":
        import sklearn
        from sklearn.mixture import GaussianMixture
        from threadpoolctl import threadpool_limits
        est = GaussianMixture(k, covariance_type="full", tol=0.0, max_iter=iters,
                              reg_covar=reg, weights_init=w, means_init=mu,
                              precisions_init=prec, init_params="random_from_data",
                              random_state=0)
        stamps = []
        e_step = est._e_step

        def stamped(Xs):
            stamps.append(time.perf_counter())
            return e_step(Xs)
        est._e_step = stamped
        out["peer"] = "scikit-learn %s" % sklearn.__version__
        with threadpool_limits(limits=threads):
            lb = load1()
            t0, c0 = time.perf_counter(), time.process_time()
            est.fit(X)
            secs, cpu = time.perf_counter() - t0, time.process_time() - c0
            la = load1()
        if len(stamps) != iters + 1:
            sys.exit("py_gmm.py: scikit-learn ran %d E-steps, not %d" % (len(stamps), iters + 1))
        out["marginal_seconds_per_iter"] = (stamps[-1] - stamps[0]) / iters
    else:
        sys.exit("py_gmm.py: PROGRAM is vem or sklearn")
    if est.n_iter_ != iters:
        sys.exit("py_gmm.py: %s ran %d iterations, not %d" % (prog, est.n_iter_, iters))
    out.update(fit_seconds=secs, cpu_seconds=cpu, load_before=lb, load_after=la,
               mean_log_likelihood=float(est.score(X)), n_iter=int(est.n_iter_))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
