#!/usr/bin/python3
"""bench/stream_make_corpus.py — a large synthetic UCI corpus for bench/bench_stream.sh.

    /usr/bin/python3 bench/stream_make_corpus.py PREFIX [--docs D] [--vocab V]
        [--tokens T] [--topics K] [--seed S]

writes PREFIX.docword.txt (UCI bag-of-words: three header lines D, W, NNZ, then
"docID wordID count" lines, 1-based, grouped by document in increasing docID,
word ids increasing within a document) and PREFIX.vocab.txt (V words, one a
line: w00001, w00002, ...).

Each document's T tokens are drawn from a planted LDA: K topics, each a
Dirichlet(0.01) draw over the V words; each document's topic mixture a
Dirichlet(0.1) draw; each token a topic from the mixture, then a word from the
topic. Fixed seed (default 20261122), so the same arguments give the same file.

Vectorised with numpy, CHUNK documents at a time: topics and words by one
searchsorted each over cumulative sums offset by their row (row r's cumulative
sums lie in [r, r + 1]), the distinct words of a document by sorting its row,
and the text by writing digits into a byte buffer. The body goes to a temporary
file beside PREFIX first (NNZ is known only at the end) and is then copied
behind the header. 2,000,000 documents of 100 tokens over V = 50,000: about
196 million lines, 3.0 GB, 4.5 minutes on one (loaded) core.
"""
import argparse
import os
import shutil
import sys
import time

import numpy as np

CHUNK = 20000
POW10 = 10 ** np.arange(1, 19, dtype=np.int64)


def ndigits(x):
    """Decimal digits of each non-negative integer of x (0 has one)."""
    return np.searchsorted(POW10, x, side="right") + 1


def format_lines(cols):
    """The bytes of the lines 'c0 c1 ... cn\\n' for integer columns of one length."""
    nds = [ndigits(c) for c in cols]
    linelen = sum(nds) + len(cols)
    ends = np.cumsum(linelen)
    buf = np.empty(int(ends[-1]), dtype=np.uint8)
    pos = ends - linelen
    for i, (c, nd) in enumerate(zip(cols, nds)):
        last = pos + nd - 1
        val = c.copy()
        idx = np.arange(len(c))
        for j in range(int(nd.max())):
            buf[last[idx] - j] = 48 + val % 10
            val //= 10
            keep = nd[idx] > j + 1
            idx = idx[keep]
            val = val[keep]
        buf[pos + nd] = ord("\n") if i == len(cols) - 1 else ord(" ")
        pos = pos + nd + 1
    return buf


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("prefix")
    ap.add_argument("--docs", type=int, default=2000000)
    ap.add_argument("--vocab", type=int, default=50000)
    ap.add_argument("--tokens", type=int, default=100)
    ap.add_argument("--topics", type=int, default=50)
    ap.add_argument("--seed", type=int, default=20261122)
    a = ap.parse_args()
    d, v, t, k = a.docs, a.vocab, a.tokens, a.topics
    docword = a.prefix + ".docword.txt"
    vocab = a.prefix + ".vocab.txt"
    body = a.prefix + ".body.tmp.txt"
    t0 = time.time()
    rng = np.random.default_rng(a.seed)
    beta = rng.dirichlet(np.full(v, 0.01), size=k)
    # Row z's cumulative sums, shifted into [z, z + 1]: one searchsorted finds topic and word.
    wcum = (np.cumsum(beta, axis=1) / beta.sum(axis=1)[:, None] + np.arange(k)[:, None]).ravel()
    wcum[v - 1::v] = np.arange(1, k + 1)  # each row ends exactly at z + 1
    del beta
    nnz = 0
    with open(body, "wb") as f:
        for first in range(0, d, CHUNK):
            n = min(CHUNK, d - first)
            theta = rng.dirichlet(np.full(k, 0.1), size=n)
            rows = np.arange(n)[:, None]
            tcum = (np.cumsum(theta, axis=1) / theta.sum(axis=1)[:, None] + rows).ravel()
            tcum[k - 1::k] = np.arange(1, n + 1)
            z = np.searchsorted(tcum, rng.random((n, t)) + rows, side="right") - rows * k
            np.minimum(z, k - 1, out=z)
            w = np.searchsorted(wcum, rng.random((n, t)) + z, side="right") - z * v
            np.minimum(w, v - 1, out=w)
            w.sort(axis=1)
            # Runs of equal words within each (sorted) document: one line per run.
            new = np.ones((n, t), dtype=bool)
            new[:, 1:] = w[:, 1:] != w[:, :-1]
            flat = np.flatnonzero(new.ravel())
            counts = np.diff(np.append(flat, n * t))
            doc = flat // t + first + 1
            word = w.ravel()[flat] + 1
            f.write(format_lines([doc, word, counts]).tobytes())
            nnz += len(flat)
            if (first // CHUNK) % 10 == 0:
                print("  %d/%d documents, %.0f s" % (first + n, d, time.time() - t0),
                      file=sys.stderr, flush=True)
    with open(docword, "wb") as out:
        out.write(b"%d\n%d\n%d\n" % (d, v, nnz))
        with open(body, "rb") as f:
            shutil.copyfileobj(f, out, 1 << 24)
    os.remove(body)
    with open(vocab, "w") as f:
        f.write("".join("w%05d\n" % (i + 1) for i in range(v)))
    size = os.path.getsize(docword)
    print("%s: %d documents, %d words, %d lines, %d tokens, %d bytes (%.2f GB), %.0f s" %
          (docword, d, v, nnz, d * t, size, size / 1e9, time.time() - t0))


if __name__ == "__main__":
    main()
