#!/usr/bin/env python3
"""bench/vae_data.py -- statically binarised Fashion-MNIST for bench/bench_vae.sh.

    python3 bench/vae_data.py [--src /usr/share/datasets/fashion-mnist] [--out bench/out/fmnist]
                              [--seed 16]

Reads the IDX files of Debian's dataset-fashion-mnist package (60,000 training and
10,000 test images, 28x28 grey levels 0-255) and writes, once, in OUT:

  train-bin.npy, test-bin.npy      uint8, shape (n, 784), values 0/1, C order (row = image)
  train-bin-f32.npy, test-bin-f32.npy
                                   the same bits as float32 0.0/1.0 (no reader can mistake
                                   them for grey levels 0-255); bench_vae.sh gives these to vem
  train-bin-idx3-ubyte, test-bin-idx3-ubyte
                                   the same bits as uncompressed IDX (magic 0x00000803,
                                   n x 28 x 28) with values 0/255, as MNIST's grey levels, so
                                   a reader that divides by 255 gets the same 0/1
  test-bin-f32-first1000.npy, test-bin-first1000.npy
                                   the first 1000 test images (IWAE on a subset)
  meta.json                        the seed, the rule, and the count of ones per file

Binarisation: *static stochastic* (Larochelle & Murray 2011 style): each pixel is one
Bernoulli draw with p = grey / 255, drawn once with a fixed seed and saved, so PyTorch
and vem train and test on the same bits. The draw: numpy.random.default_rng(seed)
(PCG64); u = rng.random((n, 784)) in float64, training set first, then test set; the pixel
is 1 when u < grey / 255. Only the saved files matter; they are the reference.
"""
import argparse
import gzip
import hashlib
import json
import os
import struct

import numpy as np


def read_idx_images(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, n, rows, cols = struct.unpack(">IIII", data[:16])
    if magic != 0x00000803:
        raise SystemExit(f"{path}: not an IDX3 ubyte file (magic {magic:#x})")
    x = np.frombuffer(data, dtype=np.uint8, offset=16)
    return x.reshape(n, rows * cols), rows, cols


def write_idx(path, x, rows, cols):
    tmp = path + ".tmp.idx"
    with open(tmp, "wb") as f:
        f.write(struct.pack(">IIII", 0x00000803, x.shape[0], rows, cols))
        f.write(np.ascontiguousarray(x, dtype=np.uint8).tobytes())
    os.replace(tmp, path)


def save_npy(path, x):
    tmp = path + ".tmp.npy"
    np.save(tmp, np.ascontiguousarray(x))
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--out", default="bench/out/fmnist")
    ap.add_argument("--seed", type=int, default=16)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rng = np.random.default_rng(a.seed)
    meta = {"source": a.src, "seed": a.seed, "rng": "numpy default_rng (PCG64), float64 uniforms",
            "rule": "pixel = 1 if u < grey/255 (static stochastic binarisation, drawn once)",
            "numpy": np.__version__, "files": {}}
    for name in ("train", "t10k"):
        grey, rows, cols = read_idx_images(os.path.join(a.src, f"{name}-images-idx3-ubyte.gz"))
        u = rng.random(grey.shape)
        xb = (u < grey.astype(np.float64) / 255.0).astype(np.uint8)
        tag = "train" if name == "train" else "test"
        save_npy(os.path.join(a.out, f"{tag}-bin.npy"), xb)
        save_npy(os.path.join(a.out, f"{tag}-bin-f32.npy"), xb.astype(np.float32))
        write_idx(os.path.join(a.out, f"{tag}-bin-idx3-ubyte"), xb * np.uint8(255), rows, cols)
        if tag == "test":
            save_npy(os.path.join(a.out, "test-bin-f32-first1000.npy"), xb[:1000].astype(np.float32))
            save_npy(os.path.join(a.out, "test-bin-first1000.npy"), xb[:1000])
        meta["files"][tag] = {"n": int(xb.shape[0]), "d": int(xb.shape[1]),
                              "ones": int(xb.sum()), "mean": float(xb.mean()),
                              "sha256_bits": hashlib.sha256(xb.tobytes()).hexdigest()}
    with open(os.path.join(a.out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(json.dumps(meta))


if __name__ == "__main__":
    main()
