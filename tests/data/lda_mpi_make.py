#!/usr/bin/env python3
"""Write the fixtures of tests/test_cli_mpi_lda.sh (run from tests/data; deterministic).

lda_mpi.docword.txt (UCI), lda_mpi.ldac (the same documents in LDA-C) and
lda_mpi.vocab.txt: 90 documents drawn from 4 well-separated topics over 40
words (10 words each, plus a little of every other word), each document a
mixture of one or two topics, 15 to 60 tokens; documents 17 and 58 are empty
(no lines in the UCI file, "0" in LDA-C), so the shares hold empty documents.
"""
import random

rng = random.Random(20261121)
K, V, D = 4, 40, 90
words = ["%s%d" % (name, i) for name in ("sea", "sky", "rock", "tree") for i in range(10)]
topics = []
for t in range(K):
    w = [0.02] * V
    for j in range(10):
        w[10 * t + j] = 1.0 + j * 0.3
    s = sum(w)
    topics.append([x / s for x in w])
docs = []
for d in range(D):
    if d in (16, 57):
        docs.append({})
        continue
    main = rng.randrange(K)
    other = rng.randrange(K)
    share = rng.choice([1.0, 0.8, 0.6])
    counts = {}
    for _ in range(rng.randint(15, 60)):
        t = main if rng.random() < share else other
        w = rng.choices(range(V), weights=topics[t])[0]
        counts[w] = counts.get(w, 0) + 1
    docs.append(counts)
nnz = sum(len(c) for c in docs)
with open("lda_mpi.docword.txt", "w") as f:
    f.write("%d\n%d\n%d\n" % (D, V, nnz))
    for d, c in enumerate(docs):
        for w in sorted(c):
            f.write("%d %d %d\n" % (d + 1, w + 1, c[w]))
with open("lda_mpi.ldac", "w") as f:
    for c in docs:
        f.write(" ".join([str(len(c))] + ["%d:%d" % (w, c[w]) for w in sorted(c)]) + "\n")
with open("lda_mpi.vocab.txt", "w") as f:
    f.write("\n".join(words) + "\n")
