#!/usr/bin/python3
"""scikit-learn's LatentDirichletAllocation timed beside vem (bench/bench_lda.sh).

    /usr/bin/python3 bench/lda_sklearn.py DOCWORD K PASSES [batch|online] [BATCH_SIZE]

Prints one JSON line: wall and CPU seconds of fit() (single thread: run with OMP_NUM_THREADS=1
and OPENBLAS_NUM_THREADS=1), documents and tokens. alpha = eta = 1/K, E-step to a
mean change of gamma below 1e-3 or 100 sweeps, as vem's defaults.
"""
import json
import sys
import time

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import LatentDirichletAllocation


def read_uci(path):
    with open(path) as f:
        d, w, nnz = int(f.readline()), int(f.readline()), int(f.readline())
        a = np.loadtxt(f, dtype=np.int64, ndmin=2)
    assert a.shape[0] == nnz
    return sp.csr_matrix((a[:, 2].astype(np.float64), (a[:, 0] - 1, a[:, 1] - 1)), shape=(d, w))


def main():
    x = read_uci(sys.argv[1])
    k, passes = int(sys.argv[2]), int(sys.argv[3])
    method = sys.argv[4] if len(sys.argv) > 4 else "batch"
    bs = int(sys.argv[5]) if len(sys.argv) > 5 else 128
    lda = LatentDirichletAllocation(n_components=k, doc_topic_prior=1.0 / k,
                                    topic_word_prior=1.0 / k, learning_method=method,
                                    learning_offset=10.0, learning_decay=0.7, batch_size=bs,
                                    max_iter=passes, mean_change_tol=1e-3,
                                    max_doc_update_iter=100, evaluate_every=-1,
                                    random_state=0, n_jobs=1)
    t0, c0 = time.perf_counter(), time.process_time()
    lda.fit(x)
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"peer": "scikit-learn " + __import__("sklearn").__version__,
                      "method": method, "k": k, "passes": passes, "seconds": secs, "cpu_seconds": cpu,
                      "n_docs": x.shape[0], "n_tokens": float(x.sum())}))


if __name__ == "__main__":
    main()
