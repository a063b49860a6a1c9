#!/usr/bin/env python3
"""bench/py_hmm.py: one timed vem.GaussianHMM fit for bench/bench_python.sh.

    VENV_PYTHON bench/py_hmm.py DATA.f64 D INIT.json ITERS THREADS [warm]

DATA.f64 is raw little-endian float64 frames, D per row, one sequence
(hmm_make_data.py's hmm_1e6x4.f64); INIT.json a vem "hmm" model file with Gaussian
emissions and full covariances (hmm_k8.init.json). The start is set as hmmlearn's
is set by bench/hmm_hmmlearn.py: startprob_, transmat_, means_ and covars_ from the
file, init_params='' (nothing initialised), params='stmc'; n_iter=ITERS with tol=0
(vem.GaussianHMM runs n_iter iterations when tol is not positive), min_covar = the
file's reg_covar (1e-6: vem adds it to the covariance diagonals in every M-step, as
`vem fit hmm --init-model` does; hmmlearn adds nothing), n_threads=THREADS.

The estimator's helpers are wrapped with timers: _prepare (the check and conversion of
X), _configure (the C model's priors and options), _push (the given parameters into
the C model), _pull (the fitted attributes); the C fit's result (its "seconds":
libvem's own clock around the fit, what `vem fit hmm --json` reports as "seconds") is
caught on its way to vem.hmm._take_monitor.

With "warm" (a diagnostic, not the estimator as shipped): vem.hmm._options is wrapped
to add warm_start=True to the fit's options, so that libvem starts from the given
parameters as `vem fit hmm --init-model` does, instead of running its initialisation
(k-means on all frames, for init_params='' then overwritten by the kept parameters:
src/models/hmm.c, hmm_init). The log-likelihood must come out the same.

fit() is timed whole with perf_counter (wall) and process_time (CPU, all threads);
then, untimed, score(X): the log-likelihood of the returned parameters, as vem's
"objective" after --max-iter ITERS and hmm_hmmlearn.py's "log_likelihood". Prints one
JSON object; loadavg is /proc/loadavg's 1-minute figure before and after the fit.
"""
import json
import sys
import time

import numpy as np


def load1():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def timed(obj, name, parts, keep=None):
    f = getattr(obj, name)

    def wrapper(*a, **k):
        if keep is not None:
            keep(a)
        t0 = time.perf_counter()
        r = f(*a, **k)
        parts[name] = parts.get(name, 0.0) + time.perf_counter() - t0
        return r
    setattr(obj, name, wrapper)


def main():
    path, d, init_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    iters, threads = int(sys.argv[4]), int(sys.argv[5])
    warm = len(sys.argv) > 6 and sys.argv[6] == "warm"
    X = np.fromfile(path, dtype="<f8").reshape(-1, d)
    with open(init_path) as f:
        init = json.load(f)
    if init.get("emission") != "gaussian" or init.get("covariance_type") != "full":
        sys.exit("py_hmm.py: INIT.json must be a Gaussian HMM with full covariances")
    import vem
    import vem.hmm as vh
    parts = {}
    caught = {}
    for name in ("_prepare", "_configure", "_push", "_pull"):
        timed(vh.GaussianHMM, name, parts)
    timed(vh, "_take_monitor", parts, keep=lambda a: caught.update(a[1]))
    if warm:
        options = vh._options
        vh._options = lambda est, model, extra=None: options(
            est, model, dict(extra or {}, warm_start=True))
    k = int(init["n_states"])
    est = vem.GaussianHMM(k, covariance_type="full", min_covar=float(init.get("reg_covar", 1e-6)),
                          n_iter=iters, tol=0.0, init_params="", params="stmc",
                          n_threads=threads)
    est.startprob_ = np.array(init["startprob"], dtype=np.float64)
    est.transmat_ = np.array(init["transmat"], dtype=np.float64)
    est.means_ = np.array(init["means"], dtype=np.float64)
    est.covars_ = np.array(init["covariances"], dtype=np.float64)
    lb = load1()
    t0, c0 = time.perf_counter(), time.process_time()
    est.fit(X)
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    la = load1()
    if int(caught["n_iter"]) != iters:
        sys.exit("py_hmm.py: vem ran %d iterations, not %d" % (caught["n_iter"], iters))
    print(json.dumps({"program": "vem", "warm_start": warm, "peer": "vem %s (%s)" % (vem.__version__, vem.__file__),
                      "threads": threads, "iters": iters, "frames": X.shape[0], "d": d, "k": k,
                      "parts": parts, "engine_seconds": caught["seconds"],
                      "engine_objective": caught["objective"], "fit_seconds": secs,
                      "cpu_seconds": cpu, "load_before": lb, "load_after": la,
                      "log_likelihood": float(est.score(X)), "n_iter": int(caught["n_iter"])}))


if __name__ == "__main__":
    main()
