#!/usr/bin/python3
"""Online and out-of-core EM: log-likelihood against passes and seconds, one run.

    /usr/bin/python3 bench/bench_online.py [--vem build/vem] [--out bench/out]
        [--passes 8] [--threads 2] [--skip-big]

For the 1,000,000 x 16 mixture (in memory) and the 10,000,000 x 16 one (1.28 GB,
streamed with --stream), K = 8, full covariance, all from the same initial
model (bench/out/synth_k8_full.init.json), runs
  - batch EM to convergence (tol 1e-7 nats/row): its optimum and its curve;
  - stepwise EM (defaults: minibatch 1000, kappa 0.7, tau 2) for --passes passes;
  - incremental EM (10 blocks) for --passes passes;
each online run twice: with --eval-passes for the exact log-likelihood after
every pass, and without it for the time a pass costs. Prints, per data set, the
gap to batch EM's optimum (nats/row) after each pass, the seconds per pass, the
passes each algorithm needs to come within 0.01 nats/row of the optimum, and
peak resident memory (GNU time's maximum RSS).
Data: bench/make_data.py (1e6) and bench/make_big.py (1e7) write it.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile


def run(vem, args, threads):
    """Run vem fit --json under GNU time; return (result, peak RSS in MB)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        cmd = ["/usr/bin/time", "-f", "%M", "-o", tf.name, vem, "fit", "gmm"] + args + [
            "--threads", str(threads), "--json"]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit("failed: %s\n%s" % (" ".join(cmd), p.stderr))
        rss_kb = int(re.findall(r"\d+", tf.read())[-1])
    return json.loads(p.stdout), rss_kb / 1024.0


def curve_batch(d, n):
    """Mean log-likelihood after 0, 1, 2, ... iterations, and cumulative seconds."""
    tr = d["trace"]
    ll = [e["log_likelihood"] / n for e in tr] + [d["mean_log_likelihood"]]
    secs = [0.0] + [e["seconds"] for e in tr]
    return ll, secs


def passes_within(gaps, eps=0.01):
    for i, g in enumerate(gaps):
        if g <= eps:
            return i + 1
    return None


def bench(vem, data, extra, n, passes, threads, label):
    init = ["--init-model", os.path.join(OUT, "synth_k8_full.init.json")]
    base = [data] + extra + init
    out = {"label": label}
    d, rss = run(vem, base + ["--max-iter", "200", "--tol", "1e-7"], threads)
    ll, secs = curve_batch(d, n)
    opt = d["mean_log_likelihood"]
    out["optimum"] = opt
    out["batch"] = {
        "gaps": [opt - v for v in ll[1:passes + 1]],
        "s_per_pass": secs[-1] / max(1, len(secs) - 1),
        "iterations": d["n_iter"],
        "rss": rss,
    }
    for alg, args in (("stepwise", ["--algorithm", "stepwise"]),
                      ("incremental", ["--algorithm", "incremental", "--blocks", "10"])):
        common = base + args + ["--passes", str(passes), "--tol", "0"]
        de, rss_e = run(vem, common + ["--eval-passes"], threads)
        dt, rss_t = run(vem, common, threads)
        gaps = [opt - e["log_likelihood"] / n for e in de["trace"] if e.get("step", 0) == 0]
        ends = [e["seconds"] for e in dt["trace"] if e.get("step", 0) == 0]
        out[alg] = {
            "gaps": gaps,
            "s_per_pass": ends[-1] / len(ends),
            "rss": max(rss_e, rss_t),
            "steps": dt["n_steps"],
        }
    return out


def report(r, passes):
    print("\n### %s\n" % r["label"])
    print("batch EM optimum: %.6f nats/row (after %d iterations)\n"
          % (r["optimum"], r["batch"]["iterations"]))
    head = "| algorithm | " + " | ".join("pass %d" % (i + 1) for i in range(passes))
    print(head + " | s/pass | passes to 0.01 | peak RSS MB |")
    print("|---" * (passes + 4) + "|")
    for alg in ("batch", "stepwise", "incremental"):
        a = r[alg]
        gaps = a["gaps"] + [float("nan")] * (passes - len(a["gaps"]))
        w = passes_within(a["gaps"])
        print("| %s | %s | %.3f | %s | %.0f |" % (
            alg, " | ".join("%.2e" % g for g in gaps), a["s_per_pass"],
            w if w is not None else "> %d" % passes, a["rss"]))
    print("\n(gap = batch optimum - mean log-likelihood after the pass, nats/row; "
          "log-likelihood against seconds: pass k ends at k x s/pass)")


def main():
    global OUT
    ap = argparse.ArgumentParser()
    ap.add_argument("--vem", default="build/vem")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "out"))
    ap.add_argument("--passes", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--skip-big", action="store_true")
    a = ap.parse_args()
    OUT = a.out
    small = os.path.join(OUT, "synth_1e6x16.f64")
    big = os.path.join(OUT, "synth_1e7x16.f64")
    if not os.path.exists(small):
        sys.exit("run bench/make_data.py first")
    results = [bench(a.vem, small, ["--binary-cols", "16"], 1_000_000, a.passes, a.threads,
                     "1,000,000 x 16, K = 8, full, in memory")]
    if not a.skip_big:
        if not os.path.exists(big):
            sys.exit("run bench/make_big.py first (or --skip-big)")
        results.append(bench(a.vem, big, ["--binary-cols", "16", "--stream"], 10_000_000,
                             a.passes, a.threads,
                             "10,000,000 x 16 (1.28 GB), K = 8, full, streamed (--stream)"))
    for r in results:
        report(r, a.passes)
    json.dump(results, open(os.path.join(OUT, "online_results.json"), "w"), indent=1)


OUT = None
if __name__ == "__main__":
    main()
