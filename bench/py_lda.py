#!/usr/bin/env python3
"""bench/py_lda.py: LatentDirichletAllocation, vem's and scikit-learn's, for bench/bench_python.sh.

    VENV_PYTHON bench/py_lda.py init DOCWORD K OUT_STEM
    VENV_PYTHON bench/py_lda.py vem DOCWORD K PASSES THREADS OUT_STEM.npy TOPICS_OUT.npy
    VENV_PYTHON bench/py_lda.py sklearn DOCWORD K PASSES THREADS OUT_STEM.npy [VEM_TOPICS.npy]

DOCWORD is a UCI bag-of-words file (examples/data/brown/docword.brown.train.txt), read
as bench/lda_sklearn.py reads it (D x V CSR counts).

init: the common start. lambda0 = RandomState(0).gamma(100, 1/100, (K, V)), the
draw scikit-learn's fit makes for its initial components_ with random_state=0 (checked
here against its _init_latent_vars). Writes OUT_STEM.npy and OUT_STEM.json, a vem "lda"
model file naming it (alpha = eta = 1/K), for `vem fit lda --init-model`.

vem: vem.LatentDirichletAllocation(K, doc_topic_prior=eta=1/K, max_iter=PASSES,
evaluate_every=-1, n_threads=THREADS, warm_start=True) with components_ = lambda0 set
before fit(X) (the documented warm start from topics set by hand): PASSES batch
iterations, E-step to a mean gamma change below 1e-3 or 100 sweeps (both packages'
defaults), then one more E-step pass for the ELBO of the returned topics (libvem's fit
always ends with it; `vem fit lda` runs the same). The estimator's helpers are wrapped
with timers: _csr (the check and conversion of X), _new_model (the C model: vem_lda_new
and the priors), _sync_components (components_ into the C model), _set_fitted
(components_ and exp_dirichlet_component_ from the C model); fit_result_["seconds"] is
libvem's own clock around vem_lda_fit, what `vem fit lda --json` reports as "seconds".
Saves the fitted components_ to TOPICS_OUT.npy.

sklearn: sklearn.decomposition.LatentDirichletAllocation with the same K, priors,
learning_method='batch', max_iter=PASSES, evaluate_every=-1, mean_change_tol=1e-3,
max_doc_update_iter=100, random_state=0 (so its initial components_ are lambda0), n_jobs
=THREADS (its parallelism: joblib over chunks of documents), under threadpool_limits
(THREADS). Its documents' E-steps start from random Gamma(100, 1/100) draws, vem's from
alpha + n_d / K: from the same topics the fits are close, not identical.

Quality, untimed, after the fit: vem's ELBO of its returned topics (the number the
command reports); and, one evaluator for both packages' topics, scikit-learn's
score(X) (its approximate ELBO, the E-step started from ones, so deterministic) and
perplexity(X) = exp(-score / tokens), for its own topics and (sklearn mode, given
VEM_TOPICS.npy) vem's.

Prints one JSON object; loadavg is /proc/loadavg's 1-minute figure before and after.
"""
import copy
import json
import os
import sys
import time
import warnings

import numpy as np
import scipy.sparse as sp


def load1():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def read_uci(path):
    with open(path) as f:
        d, w, nnz = int(f.readline()), int(f.readline()), int(f.readline())
        a = np.loadtxt(f, dtype=np.int64, ndmin=2)
    assert a.shape[0] == nnz
    return sp.csr_matrix((a[:, 2].astype(np.float64), (a[:, 0] - 1, a[:, 1] - 1)), shape=(d, w))


def lambda0(k, v):
    return np.random.RandomState(0).gamma(100.0, 1.0 / 100.0, (k, v))


def sk_lda(k, passes, threads):
    from sklearn.decomposition import LatentDirichletAllocation
    return LatentDirichletAllocation(n_components=k, doc_topic_prior=1.0 / k,
                                     topic_word_prior=1.0 / k, learning_method="batch",
                                     max_iter=passes, evaluate_every=-1, mean_change_tol=1e-3,
                                     max_doc_update_iter=100, random_state=0, n_jobs=threads)


def sk_eval(fitted, X, topics):
    """scikit-learn's score(X) and perplexity(X) of `topics` (K x V), with the priors of
    the fitted scikit-learn model `fitted`."""
    from sklearn.decomposition._lda import _dirichlet_expectation_2d
    ev = copy.deepcopy(fitted)
    ev.n_jobs = 1
    ev.components_ = np.array(topics, dtype=np.float64)
    ev.exp_dirichlet_component_ = np.exp(_dirichlet_expectation_2d(ev.components_))
    return float(ev.score(X)), float(ev.perplexity(X))


def timed(obj, name, parts):
    f = getattr(obj, name)

    def wrapper(*a, **k):
        t0 = time.perf_counter()
        r = f(*a, **k)
        parts[name] = parts.get(name, 0.0) + time.perf_counter() - t0
        return r
    setattr(obj, name, wrapper)


def main():
    warnings.simplefilter("ignore")
    mode, path, k = sys.argv[1], sys.argv[2], int(sys.argv[3])
    X = read_uci(path)
    v = X.shape[1]
    if mode == "init":
        stem = sys.argv[4]
        lam = lambda0(k, v)
        ref = sk_lda(k, 1, 1)
        ref._init_latent_vars(v)
        if not np.array_equal(ref.components_, lam):
            sys.exit("py_lda.py: scikit-learn's initial components_ are not lambda0 here")
        np.save(stem + ".npy", lam)
        with open(stem + ".json", "w") as f:
            json.dump({"format": "vem-model", "version": 1, "model": "lda", "n_topics": k,
                       "n_words": v, "alpha": 1.0 / k, "eta": 1.0 / k,
                       "lambda_file": os.path.basename(stem) + ".npy"}, f)
        return
    passes, threads, init = int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
    lam = np.load(init)
    out = {"program": mode, "k": k, "passes": passes, "threads": threads,
           "docs": X.shape[0], "tokens": float(X.sum())}
    if mode == "vem":
        import vem
        import vem.decomposition as dc
        parts = {}
        timed(dc, "_csr", parts)
        for name in ("_new_model", "_sync_components", "_set_fitted"):
            timed(dc.LatentDirichletAllocation, name, parts)
        est = vem.LatentDirichletAllocation(k, doc_topic_prior=1.0 / k, topic_word_prior=1.0 / k,
                                            learning_method="batch", max_iter=passes,
                                            evaluate_every=-1, mean_change_tol=1e-3,
                                            max_doc_update_iter=100, n_threads=threads,
                                            warm_start=True)
        est.components_ = lam.copy()
        est.n_features_in_ = v
        out["peer"] = "vem %s (%s)" % (vem.__version__, vem.__file__)
        lb = load1()
        t0, c0 = time.perf_counter(), time.process_time()
        est.fit(X)
        secs, cpu = time.perf_counter() - t0, time.process_time() - c0
        la = load1()
        res = est.fit_result_
        out.update(parts=parts, engine_seconds=res["seconds"], engine_passes=res["n_passes"],
                   elbo=float(est.bound_), n_iter=int(est.n_iter_))
        np.save(sys.argv[7], est.components_)
    elif mode == "sklearn":
        import sklearn
        from threadpoolctl import threadpool_limits
        est = sk_lda(k, passes, threads)
        out["peer"] = "scikit-learn %s" % sklearn.__version__
        with threadpool_limits(limits=threads):
            lb = load1()
            t0, c0 = time.perf_counter(), time.process_time()
            est.fit(X)
            secs, cpu = time.perf_counter() - t0, time.process_time() - c0
            la = load1()
        out["n_iter"] = int(est.n_iter_)
        out["sk_score"], out["sk_perplexity"] = sk_eval(est, X, est.components_)
        if len(sys.argv) > 7:
            out["sk_score_of_vem"], out["sk_perplexity_of_vem"] = sk_eval(
                est, X, np.load(sys.argv[7]))
    else:
        sys.exit("py_lda.py: MODE is init, vem or sklearn")
    if out["n_iter"] != passes:
        sys.exit("py_lda.py: %s ran %d passes, not %d" % (mode, out["n_iter"], passes))
    out.update(fit_seconds=secs, cpu_seconds=cpu, load_before=lb, load_after=la)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
