#!/usr/bin/python3
"""A short-document corpus for bench/bench_lda.sh, cut from the Brown corpus.

    /usr/bin/python3 bench/lda_make_short.py examples/data/brown OUT.docword.txt [TOKENS]

No public collection of short texts (e-mails, abstracts) is installed on this
machine, so the 500 Brown documents (train + test, bag-of-words) are cut into
chunks of TOKENS tokens (default 144, the mean length of the 5,440-e-mail corpus
in REFERENCE.md): each document's tokens are shuffled (seed 0) and split in
order; a last chunk shorter than half of TOKENS is dropped. Same vocabulary
(10,006 words).
"""
import sys

import numpy as np


def read_uci(path):
    with open(path) as f:
        d, w, nnz = int(f.readline()), int(f.readline()), int(f.readline())
        a = np.loadtxt(f, dtype=np.int64, ndmin=2)
    return d, w, a


def main():
    root, out = sys.argv[1], sys.argv[2]
    size = int(sys.argv[3]) if len(sys.argv) > 3 else 144
    rng = np.random.default_rng(0)
    chunks = []
    w = 0
    for part in ("train", "test"):
        d, w, a = read_uci("%s/docword.brown.%s.txt" % (root, part))
        for doc in range(1, d + 1):
            rows = a[a[:, 0] == doc]
            toks = np.repeat(rows[:, 1], rows[:, 2])
            rng.shuffle(toks)
            for i in range(0, len(toks), size):
                c = toks[i:i + size]
                if len(c) >= size // 2:
                    chunks.append(np.unique(c, return_counts=True))
    nnz = sum(len(ids) for ids, _ in chunks)
    with open(out, "w") as f:
        f.write("%d\n%d\n%d\n" % (len(chunks), w, nnz))
        for i, (ids, cts) in enumerate(chunks):
            for j, c in zip(ids, cts):
                f.write("%d %d %d\n" % (i + 1, j, c))
    print("%d documents, %d distinct words per document, %d tokens" %
          (len(chunks), nnz // len(chunks), sum(int(c.sum()) for _, c in chunks)))


if __name__ == "__main__":
    main()
