#!/usr/bin/env python3
"""examples/data/fashion-mnist/make_subset.py [SRC] — cut the test subset of Fashion-MNIST.

Reads the gzipped IDX files of Debian's dataset-fashion-mnist package (SRC, default
/usr/share/datasets/fashion-mnist) and writes, beside this script, the first 1000
training and the first 200 test images and labels as gzipped IDX files with the
original headers' magic and image size (only the item count changed). gzip's header
carries no name and mtime 0, so the output is the same bytes on every run.
Standard library only.
"""
import gzip
import os
import struct
import sys

SRC = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
OUT = os.path.dirname(os.path.abspath(__file__))
CUTS = [("train", 1000), ("t10k", 200)]


def cut(name, n):
    with gzip.open(os.path.join(SRC, name + ".gz"), "rb") as f:
        data = f.read()
    magic, count = struct.unpack(">II", data[:8])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    item = 1
    for d in dims[1:]:
        item *= d
    head = 4 + 4 * ndim
    assert count >= n and len(data) == head + count * item, name
    out = struct.pack(">I", magic) + struct.pack(">" + "I" * ndim, n, *dims[1:])
    out += data[head : head + n * item]
    with open(os.path.join(OUT, name + ".gz"), "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as g:
            g.write(out)


for part, n in CUTS:
    cut(part + "-images-idx3-ubyte", n)
    cut(part + "-labels-idx1-ubyte", n)
