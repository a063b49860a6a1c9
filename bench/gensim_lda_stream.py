#!/usr/bin/python3
"""bench/gensim_lda_stream.py — gensim's LdaModel streaming a UCI corpus from disk (bench_stream.sh).

    /usr/bin/python3 bench/gensim_lda_stream.py DOCWORD VOCAB K PASSES online|batch [--docs N] [--count]

The peer of `vem fit lda DOCWORD --vocab VOCAB -k K --stream`. The corpus is
gensim's own gensim.corpora.UciCorpus, which streams: its reader (gensim's
Cython MmReader) reads the file line by line on each pass and yields one
document at a time, and its length comes from the header, so nothing but the
vocabulary (id2word) is held in memory. With --docs N only the first N
documents are read (itertools.islice; the tokens counted are theirs).

LdaModel settings, as close to vem's as gensim allows: num_topics K,
alpha = eta = 1/K, E-step until the mean absolute change of gamma is below 1e-3
(gamma_threshold) or 100 iterations; chunksize 2000; online (update_every=1):
step (offset + t)^-decay with offset 10, decay 0.7 (vem's tau and kappa);
batch (update_every=0): one M-step per pass over all the chunks; float64
(vem's precision; gensim's default is float32); no perplexity evaluation
during training (eval_every=None); random_state 0.

Prints one JSON object: seconds (LdaModel training, time.perf_counter), n_docs,
the gensim version and the settings; with --count also n_tokens and
count_seconds, from one more pass over the corpus after training that only sums
the counts (how long gensim's reader alone takes to stream the file).
"""
import itertools
import json
import sys
import time

import numpy as np


class Head:
    """The first n documents of a corpus, re-iterable, with len()."""

    def __init__(self, corpus, n):
        self.corpus, self.n = corpus, n

    def __iter__(self):
        return itertools.islice(iter(self.corpus), self.n)

    def __len__(self):
        return self.n


def main():
    args = sys.argv[1:]
    ndocs = None
    count = "--count" in args
    if count:
        args.remove("--count")
    if "--docs" in args:
        i = args.index("--docs")
        ndocs = int(args[i + 1])
        del args[i:i + 2]
    docword, vocab, k, passes, mode = args[0], args[1], int(args[2]), int(args[3]), args[4]
    if mode not in ("online", "batch"):
        sys.exit("gensim_lda_stream.py: mode must be online or batch")
    import gensim
    from gensim.corpora import UciCorpus
    from gensim.models import LdaModel

    uci = UciCorpus(docword, vocab)
    corpus = uci if ndocs is None or ndocs >= len(uci) else Head(uci, ndocs)
    t = time.perf_counter()
    LdaModel(corpus=corpus, num_topics=k, id2word=uci.id2word, chunksize=2000, passes=passes,
             update_every=1 if mode == "online" else 0, alpha=1.0 / k, eta=1.0 / k,
             decay=0.7, offset=10.0, eval_every=None, iterations=100,
             gamma_threshold=1e-3, random_state=0, dtype=np.float64)
    seconds = time.perf_counter() - t
    out = {"program": "gensim", "version": gensim.__version__, "mode": mode, "n_topics": k,
           "passes": passes, "n_docs": len(corpus), "seconds": seconds}
    if count:
        # After training, so that the peak RSS above is training's (this pass holds one document).
        t = time.perf_counter()
        out["n_tokens"] = int(sum(c for doc in corpus for _, c in doc))
        out["count_seconds"] = time.perf_counter() - t
    out.update({"chunksize": 2000, "decay": 0.7, "offset": 10.0, "iterations": 100,
                "gamma_threshold": 1e-3, "dtype": "float64"})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
