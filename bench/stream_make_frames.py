#!/usr/bin/python3
"""bench/stream_make_frames.py — HMM frames for the streaming benchmark (bench/bench_stream.sh).

    /usr/bin/python3 bench/stream_make_frames.py PREFIX [--seqs S] [--length L] [--seed N]

writes PREFIX.f64 (raw little-endian float64, 2 columns, row-major: S x L frames)
and PREFIX.lengths (L on each of S lines). The frames are sampled from a 3-state
HMM with 2-D Gaussian emissions (sticky transitions: 0.95 on the diagonal; means
(0, 0), (3, 0), (0, 3); unit covariance with correlation 0.3), all sequences at
once, one time step at a time, written in blocks of sequences. Fixed seed.
Defaults: 10,000 sequences of 1,000 frames = 10 million frames, 160 MB.
"""
import argparse
import os
import time

import numpy as np

BLOCK = 1000  # sequences per write


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("prefix")
    ap.add_argument("--seqs", type=int, default=10000)
    ap.add_argument("--length", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=20261122)
    a = ap.parse_args()
    t0 = time.time()
    rng = np.random.default_rng(a.seed)
    k = 3
    means = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]])
    chol = np.linalg.cholesky(np.array([[1.0, 0.3], [0.3, 1.0]]))
    trans = np.full((k, k), 0.025) + np.eye(k) * (0.95 - 0.025)
    cum = np.cumsum(trans, axis=1)
    cum[:, -1] = 1.0
    frames = a.prefix + ".f64"
    with open(frames, "wb") as f:
        for first in range(0, a.seqs, BLOCK):
            n = min(BLOCK, a.seqs - first)
            z = np.empty((n, a.length), dtype=np.int64)
            z[:, 0] = rng.integers(k, size=n)
            u = rng.random((n, a.length))
            for t in range(1, a.length):
                z[:, t] = (u[:, t, None] >= cum[z[:, t - 1]]).sum(axis=1)
            x = means[z] + rng.normal(size=(n, a.length, 2)) @ chol.T
            f.write(x.astype("<f8").tobytes())
    with open(a.prefix + ".lengths", "w") as f:
        f.write(("%d\n" % a.length) * a.seqs)
    size = os.path.getsize(frames)
    print("%s: %d sequences x %d frames = %d frames, 2 columns, %d bytes (%.2f GB), %.0f s" %
          (frames, a.seqs, a.length, a.seqs * a.length, size, size / 1e9, time.time() - t0))


if __name__ == "__main__":
    main()
