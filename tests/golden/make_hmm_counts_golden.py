#!/usr/bin/env python3
"""tests/golden/make_hmm_counts_golden.py: golden fits of Poisson and multinomial HMMs.

Writes, from examples/data/seattle-weather.csv (Seattle's daily weather, 2012-2015):
  examples/data/seattle-counts.csv   daily counts: precipitation in whole millimetres and
                                     wind in whole metres per second (rounded half up)
  examples/data/seattle-weekly.csv   the weather labels of each week of 7 days counted
                                     (208 weeks; each row sums to 7: multinomial, 7 trials)
and, in tests/golden:
  tests/data/hmm_poisson_synth.csv        2,000 frames drawn (numpy, seed 2026) from a
                                          planted 3-state Poisson HMM on 2 count columns
  hmm_{poisson,multinomial}_*.init.json   vem model files of the starts below
  hmm_counts_hmmlearn.txt                 hmmlearn's parameters and log-likelihood after
                                          50 Baum-Welch iterations from those starts
                                          (params "ste"/"stl", init_params "", tol -inf)

Run with hmmlearn 0.3 from PyPI in a virtual environment (vem never depends on it):

    python3 -m venv /tmp/hl && /tmp/hl/bin/pip install 'hmmlearn==0.3.3'
    /tmp/hl/bin/python tests/golden/make_hmm_counts_golden.py . > tests/golden/hmm_counts_hmmlearn.txt

The planted parameters of the synthetic set are printed too (tests/test_cli_hmm_counts.sh
checks vem recovers them).
"""
import csv
import json
import os
import sys

import numpy as np
import hmmlearn
from hmmlearn import hmm

ROOT = sys.argv[1] if len(sys.argv) > 1 else "."
CATS = ["drizzle", "fog", "rain", "snow", "sun"]

PLANTED = {
    "startprob": [0.6, 0.3, 0.1],
    "transmat": [[0.90, 0.07, 0.03], [0.10, 0.85, 0.05], [0.05, 0.15, 0.80]],
    "lambdas": [[0.5, 3.0], [4.0, 1.0], [12.0, 6.0]],
}

STARTS = {
    "poisson_seattle": {
        "startprob": [1 / 3, 1 / 3, 1 / 3],
        "transmat": [[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]],
        "lambdas": [[0.5, 2.5], [4.0, 3.5], [15.0, 4.5]],
        "columns": ["precipitation_mm", "wind_ms"],
    },
    "poisson_synth": {
        "startprob": [1 / 3, 1 / 3, 1 / 3],
        "transmat": [[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]],
        "lambdas": [[1.0, 2.0], [3.0, 2.0], [8.0, 4.0]],
        "columns": ["a", "b"],
    },
    "multinomial_weekly": {
        "startprob": [0.5, 0.5],
        "transmat": [[0.9, 0.1], [0.1, 0.9]],
        "emissionprob": [[0.05, 0.05, 0.2, 0.01, 0.69], [0.05, 0.05, 0.6, 0.05, 0.25]],
        "columns": CATS,
        "n_trials": 7,
    },
}


def derive(root):
    with open(os.path.join(root, "examples/data/seattle-weather.csv")) as f:
        rows = list(csv.DictReader(f))
    counts = [(int(float(r["precipitation"]) + 0.5), int(float(r["wind"]) + 0.5)) for r in rows]
    with open(os.path.join(root, "examples/data/seattle-counts.csv"), "w") as f:
        f.write("precipitation_mm,wind_ms\n")
        for p, w in counts:
            f.write("%d,%d\n" % (p, w))
    weeks = []
    for w in range(len(rows) // 7):
        c = [0] * len(CATS)
        for r in rows[7 * w:7 * w + 7]:
            c[CATS.index(r["weather"])] += 1
        weeks.append(c)
    with open(os.path.join(root, "examples/data/seattle-weekly.csv"), "w") as f:
        f.write(",".join(CATS) + "\n")
        for c in weeks:
            f.write(",".join(map(str, c)) + "\n")
    return np.array(counts), np.array(weeks)


def synth(root):
    rng = np.random.default_rng(2026)
    pi, a, lam = (np.array(PLANTED[k]) for k in ("startprob", "transmat", "lambdas"))
    z = [rng.choice(3, p=pi)]
    for _ in range(1999):
        z.append(rng.choice(3, p=a[z[-1]]))
    x = rng.poisson(lam[z])
    with open(os.path.join(root, "tests/data/hmm_poisson_synth.csv"), "w") as f:
        f.write("a,b\n")
        for r in x:
            f.write("%d,%d\n" % tuple(r))
    return x


def write_init(root, name, st, emission):
    k = len(st["startprob"])
    doc = {"format": "vem-model", "version": 1, "model": "hmm", "emission": emission,
           "n_states": k,
           "n_features": len(st["columns"]), "columns": st["columns"],
           "startprob": st["startprob"], "transmat": st["transmat"]}
    if emission == "poisson":
        doc["lambdas"] = st["lambdas"]
    else:
        doc["emissionprob"] = st["emissionprob"]
        doc["n_trials"] = st["n_trials"]
    with open(os.path.join(root, "tests/golden/hmm_%s.init.json" % name), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


def fit(name, x, st):
    k = len(st["startprob"])
    if "lambdas" in st:
        m = hmm.PoissonHMM(n_components=k, n_iter=50, tol=-np.inf, params="stl",
                           init_params="", implementation="log")
        m.lambdas_ = np.array(st["lambdas"], dtype=float)
    else:
        m = hmm.MultinomialHMM(n_components=k, n_trials=st["n_trials"], n_iter=50,
                               tol=-np.inf, params="ste", init_params="", implementation="log")
        m.emissionprob_ = np.array(st["emissionprob"], dtype=float)
    m.startprob_ = np.array(st["startprob"], dtype=float)
    m.transmat_ = np.array(st["transmat"], dtype=float)
    m.fit(x)
    print("%s iterations %d" % (name, m.monitor_.iter))
    print("%s log_likelihood %r" % (name, float(m.score(x))))
    for key, v in (("startprob", m.startprob_), ("transmat", m.transmat_),
                   ("emission", m.lambdas_ if "lambdas" in st else m.emissionprob_)):
        print("%s %s %s" % (name, key, " ".join(repr(float(e)) for e in np.ravel(v))))


def main():
    counts, weeks = derive(ROOT)
    x_synth = synth(ROOT)
    print("# hmmlearn %s, numpy %s; 50 Baum-Welch iterations from the .init.json starts"
          % (hmmlearn.__version__, np.__version__))
    print("planted lambdas %s" % " ".join(repr(float(v)) for v in np.ravel(PLANTED["lambdas"])))
    print("planted transmat %s" % " ".join(repr(float(v)) for v in np.ravel(PLANTED["transmat"])))
    write_init(ROOT, "poisson_seattle", STARTS["poisson_seattle"], "poisson")
    write_init(ROOT, "poisson_synth", STARTS["poisson_synth"], "poisson")
    write_init(ROOT, "multinomial_weekly", STARTS["multinomial_weekly"], "multinomial")
    fit("poisson_seattle", counts, STARTS["poisson_seattle"])
    fit("poisson_synth", x_synth, STARTS["poisson_synth"])
    fit("multinomial_weekly", weeks, STARTS["multinomial_weekly"])


if __name__ == "__main__":
    main()
