#!/usr/bin/env python3
"""tests/golden/make_hmm_golden.py — the Seattle-weather HMM golden files.

Writes seattle_k{2,3,4}.init.json, vem model files holding the initial
parameters of ../shared/REFERENCE.md (start uniform; transitions 0.9 on the
diagonal and 0.1/(K-1) elsewhere; the first K emission rows below), and
prints, as an independent check, the total log-likelihood after 50 and 500
Baum-Welch iterations computed here in log space (log-sum-exp forward and
backward recursions, plain Python, no scaling), to compare with the reference
values REFERENCE.md quotes from hmmlearn, pomegranate and ghmm.

    python3 tests/golden/make_hmm_golden.py examples/data/seattle-weather.csv tests/golden
"""
import csv
import json
import math
import os
import sys

EMISSION = [
    [0.29927266982747547, 0.44877662736943341, 0.008717921248874971,
     0.00099884628245498091, 0.24223393527176129],
    [0.13658683849231343, 0.056445354695687004, 0.06329324825661109,
     0.23604291507257738, 0.5076316434828112],
    [0.49060623844155676, 0.00019223859407300483, 0.33873613252621565,
     0.010822635914488026, 0.15964275452366652],
    [0.13798892674010252, 0.51199859022323968, 0.057542190110889291,
     0.049919057301824547, 0.24255123562394393],
]
SYMBOLS = ["drizzle", "fog", "rain", "snow", "sun"]


def lse(v):
    m = max(v)
    if m == -math.inf:
        return m
    return m + math.log(sum(math.exp(x - m) for x in v))


def log(x):
    return math.log(x) if x > 0 else -math.inf


def baum_welch_step(obs, pi, a, b):
    """One E-step (returns the log-likelihood of the parameters given) and M-step."""
    k, t_len = len(pi), len(obs)
    la = [[log(x) for x in row] for row in a]
    fw = [[log(pi[i]) + log(b[i][obs[0]]) for i in range(k)]]
    for t in range(1, t_len):
        prev = fw[-1]
        fw.append([lse([prev[i] + la[i][j] for i in range(k)]) + log(b[j][obs[t]])
                   for j in range(k)])
    ll = lse(fw[-1])
    bw = [[0.0] * k for _ in range(t_len)]
    for t in range(t_len - 2, -1, -1):
        bw[t] = [lse([la[i][j] + log(b[j][obs[t + 1]]) + bw[t + 1][j] for j in range(k)])
                 for i in range(k)]
    gamma = [[math.exp(fw[t][i] + bw[t][i] - ll) for i in range(k)] for t in range(t_len)]
    xi = [[0.0] * k for _ in range(k)]
    for t in range(t_len - 1):
        for i in range(k):
            for j in range(k):
                xi[i][j] += math.exp(fw[t][i] + la[i][j] + log(b[j][obs[t + 1]])
                                     + bw[t + 1][j] - ll)
    m = len(b[0])
    new_pi = [g / sum(gamma[0]) for g in gamma[0]]
    new_a = [[x / sum(row) for x in row] for row in xi]
    cnt = [[0.0] * m for _ in range(k)]
    for t in range(t_len):
        for i in range(k):
            cnt[i][obs[t]] += gamma[t][i]
    new_b = [[x / sum(row) for x in row] for row in cnt]
    return ll, new_pi, new_a, new_b


def init_params(k):
    pi = [1.0 / k] * k
    a = [[0.9 if i == j else 0.1 / (k - 1) for j in range(k)] for i in range(k)]
    return pi, a, [row[:] for row in EMISSION[:k]]


def main():
    data, outdir = sys.argv[1], sys.argv[2]
    with open(data) as f:
        weather = [row["weather"] for row in csv.DictReader(f)]
    obs = [SYMBOLS.index(w) for w in weather]
    for k in (2, 3, 4):
        pi, a, b = init_params(k)
        model = {
            "format": "vem-model", "version": 1, "model": "hmm", "emission": "categorical",
            "n_states": k, "n_symbols": 5, "symbol_column": "weather", "symbols": SYMBOLS,
            "startprob": pi, "transmat": a, "emissionprob": b,
        }
        with open(os.path.join(outdir, "seattle_k%d.init.json" % k), "w") as f:
            json.dump(model, f, indent=2)
            f.write("\n")
        lls = []
        for _ in range(50):
            ll, pi, a, b = baum_welch_step(obs, pi, a, b)
            lls.append(ll)
        ll50, _, _, _ = baum_welch_step(obs, pi, a, b)
        print("K=%d: E-step of iteration 50: %.10f; after 50 M-steps: %.10f"
              % (k, lls[-1], ll50))


if __name__ == "__main__":
    main()
