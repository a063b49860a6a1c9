#!/usr/bin/python3
"""The 10,000,000 x 16 file for bench/bench_online.py (1.28 GB of raw float64).

    /usr/bin/python3 bench/make_big.py [--out bench/out] [--rows 10000000]

Rows from the same planted mixture as make_data.py (same seed for its
parameters), drawn in chunks of 1,000,000 so that memory stays small; chunk i
uses seed 100 + i. Writes synth_1e7x16.f64.
"""

import argparse
import os

import numpy as np

import make_data


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "out"))
    ap.add_argument("--rows", type=int, default=10_000_000)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    weights, means, covs = make_data.planted(np.random.default_rng(make_data.SEED_DATA))
    path = os.path.join(a.out, "synth_1e7x16.f64")
    chunk = 1_000_000
    with open(path + ".tmp", "wb") as f:
        for i, start in enumerate(range(0, a.rows, chunk)):
            n = min(chunk, a.rows - start)
            x = make_data.sample(np.random.default_rng(100 + i), n, weights, means, covs)
            f.write(x.astype("<f8").tobytes())
    os.replace(path + ".tmp", path)
    print(path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
