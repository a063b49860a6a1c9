#!/usr/bin/env python3
"""bench/py_report.py: the markdown tables of bench/bench_python.sh from its runs.

    python3 bench/py_report.py RUNS_DIR

Reads RUNS_DIR/py-*.json (written by bench_python.sh: the reduced `vem fit --json`
outputs with the load around them, and the outputs of py_gmm.py, py_lda.py,
py_hmm.py and hmm_hmmlearn.py) and prints, per model, a speed table (vem's command,
vem's Python estimator and the peer, per thread count) and then one table of the
Python call's overhead over the command's in-memory fit time.

vem's rows are the best of the repetitions (lowest wall time; its load figures are
that run's); the peers ran once. The overhead is computed two ways: from the best run
of each ((Python - command) / command, the figure the issue asks for) and as the
median of the paired ratios (each Python run against the command run just before it);
and, inside the Python call, fit() wall time less libvem's own clock for the same
call, with the estimator's helpers that make up the difference.
"""
import glob
import json
import os
import re
import statistics
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def runs(d, pattern):
    """{(key groups...): [json, ...]} for files matching pattern (a regex on the name)."""
    out = {}
    for p in sorted(glob.glob(os.path.join(d, "py-*.json"))):
        m = re.fullmatch(pattern, os.path.basename(p))
        if m:
            out.setdefault(m.groups(), []).append(load(p))
    return out


def best(lst, key):
    return min(lst, key=lambda j: j[key])


def ld(j):
    return "%.2f -> %.2f" % (j["load_before"], j["load_after"])


def f3(x):
    return "-" if x is None else ("%.3f" % x if x >= 0.01 else "%.4f" % x)


def marginal_cli(j):
    t = j["trace_seconds"]
    return (t[-1] - t[0]) / (len(t) - 1) if len(t) > 1 else None


def overhead_rows(label, th, clis, pys, part_names):
    """One overhead row: clis and pys are the paired repetitions (same order)."""
    c, p = best(clis, "seconds"), best(pys, "fit_seconds")
    paired = [q["fit_seconds"] / r["seconds"] - 1.0 for r, q in zip(clis, pys)]
    inproc = [q["fit_seconds"] - q["engine_seconds"] for q in pys]
    parts = p["parts"]
    where = ", ".join("%s %.1f ms" % (n, 1e3 * parts[n]) for n in part_names if n in parts)
    return ("| %s | %s | %s | %.3f | %.3f | %+.1f %% | %+.1f %% (%+.1f to %+.1f) | %.3f | %.1f ms (%.1f %%) | %s |"
            % (label, th, len(pys), c["seconds"], p["fit_seconds"],
               100 * (p["fit_seconds"] / c["seconds"] - 1), 100 * statistics.median(paired),
               100 * min(paired), 100 * max(paired), p["engine_seconds"],
               1e3 * statistics.median(inproc),
               100 * statistics.median([q["fit_seconds"] / q["engine_seconds"] - 1 for q in pys]),
               where))


def main():
    d = sys.argv[1]
    over = []
    roof = []

    # ---------------------------------------------------------------- GMM
    cli = runs(d, r"py-gmm-t(\d+)-r\d+\.cli\.json")
    py = runs(d, r"py-gmm-t(\d+)-r\d+\.vem\.json")
    sk = runs(d, r"py-gmm-t(\d+)\.sklearn\.json")
    if cli:
        j0 = next(iter(py.values()))[0]
        print("### GaussianMixture: %d x %d, K = %d, full covariances, %d EM iterations from the same start"
              % (j0["rows"], j0["d"], j0["k"], j0["iters"]))
        print()
        print("| threads | program | fit s | CPU s | fit s / iterations | marginal s / iteration | "
              "scikit-learn / this (fit; marginal) | mean log-likelihood per row | minus vem Python's | "
              "load (1 min) before -> after |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for (th,) in sorted(cli, key=lambda t: int(t[0])):
            c = best(cli[(th,)], "seconds")
            p = best(py[(th,)], "fit_seconds")
            s = sk.get((th,), [None])[0]
            n = p["iters"]
            vm = marginal_cli(c)
            ll = p["mean_log_likelihood"]
            sr = lambda a, b: "%.1fx; %.1fx" % (s["fit_seconds"] / a, s["marginal_seconds_per_iter"] / b) if s else "-"
            print("| %s | vem fit gmm (command; in-memory fit) | %s | - | %s | %s | %s | %.10f | %.1e | %s |"
                  % (th, f3(c["seconds"]), f3(c["seconds"] / n), f3(vm), sr(c["seconds"], vm),
                     c["objective_per_obs"], c["objective_per_obs"] - ll, ld(c)))
            print("| %s | vem.GaussianMixture | %s | %s | %s | %s (command's) | %s | %.10f | - | %s |"
                  % (th, f3(p["fit_seconds"]), f3(p["cpu_seconds"]), f3(p["fit_seconds"] / n),
                     f3(vm), sr(p["fit_seconds"], vm), ll, ld(p)))
            if s:
                print("| %s | sklearn.mixture.GaussianMixture | %s | %s | %s | %s | 1.0x | %.10f | %.1e | %s |"
                      % (th, f3(s["fit_seconds"]), f3(s["cpu_seconds"]), f3(s["fit_seconds"] / n),
                         f3(s["marginal_seconds_per_iter"]), s["mean_log_likelihood"],
                         s["mean_log_likelihood"] - ll, ld(s)))
            over.append(overhead_rows("GaussianMixture", th, cli[(th,)], py[(th,)],
                                      ("_validate", "_new_model", "_user_init", "_take")))
            roof.append((th, vm, s["marginal_seconds_per_iter"] if s else None))
        print()
        # FLOPs of one full-covariance iteration (docs/performance.md, bench_speed.sh): vem's
        # triangular formulation 2d(d+1) + 5d per row and component, a dense one 4d^2 + 5d.
        n, dd, kk = j0["rows"], j0["d"], j0["k"]
        fl = n * kk * (2 * dd * (dd + 1) + 5 * dd)
        fd = n * kk * (4 * dd * dd + 5 * dd)
        pks = []
        for when in ("start", "end"):
            q = os.path.join(d, "py-peak-%s.json" % when)
            if os.path.exists(q):
                pks.append(dict(load(q), when=when))
        g = {}
        if pks:
            g = {"1": max(q["gflops_1_thread"] for q in pks),
                 "2": max(q["gflops_2_threads"] for q in pks)}
        line = ("Roofline: %.2f GFLOP per iteration as vem computes it (%.2f as a dense "
                "formulation, scikit-learn's)" % (fl / 1e9, fd / 1e9))
        if g:
            line += ("; DGEMM peak in this run (OpenBLAS, 2000^3, the higher of %d measurements: "
                     "%s): %.1f GFLOP/s on 1 thread, %.1f on 2" % (
                         len(pks), ", ".join("%s %.1f / %.1f" % (q["when"], q["gflops_1_thread"], q["gflops_2_threads"])
                                             for q in pks), g["1"], g["2"]))
        print(line + ".")
        for th, vm, sm in roof:
            frac = lambda r: " = %.0f %% of the DGEMM peak" % (100 * r / g[th]) if g.get(th) else ""
            msg = "%s thread(s): vem %.1f GFLOP/s%s" % (th, fl / vm / 1e9, frac(fl / vm / 1e9))
            if sm:
                msg += "; scikit-learn %.1f GFLOP/s (dense count)%s" % (fd / sm / 1e9, frac(fd / sm / 1e9))
            print(msg + ".")
        print()

    # ---------------------------------------------------------------- LDA
    cli = runs(d, r"py-lda-k(\d+)-t(\d+)-r\d+\.cli\.json")
    py = runs(d, r"py-lda-k(\d+)-t(\d+)-r\d+\.vem\.json")
    sk = runs(d, r"py-lda-k(\d+)-t(\d+)\.sklearn\.json")
    if cli:
        j0 = next(iter(py.values()))[0]
        print("### LatentDirichletAllocation: Brown, %d documents, %d tokens, %d batch passes from the same topics"
              % (j0["docs"], j0["tokens"], j0["passes"]))
        print()
        print("| K | threads | program | fit s | CPU s | M tokens/s (passes x tokens / fit s) | "
              "scikit-learn / this (wall) | own bound (ELBO, nats) | "
              "scikit-learn's score(X) of these topics | its perplexity(X) | load (1 min) before -> after |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        tp = j0["tokens"] * j0["passes"] / 1e6
        for key in sorted(cli, key=lambda t: (int(t[0]), int(t[1]))):
            k, th = key
            c = best(cli[key], "seconds")
            p = best(py[key], "fit_seconds")
            s = sk.get(key, [None])[0]
            r = lambda a: "%.2fx" % (s["fit_seconds"] / a) if s else "-"
            svs = "%.1f" % s["sk_score_of_vem"] if s else "-"
            svp = "%.2f" % s["sk_perplexity_of_vem"] if s else "-"
            print("| %s | %s | vem fit lda (command; in-memory fit) | %s | - | %.2f | %s | %.1f | %s | %s | %s |"
                  % (k, th, f3(c["seconds"]), tp / c["seconds"], r(c["seconds"]), c["objective"],
                     svs, svp, ld(c)))
            print("| %s | %s | vem.LatentDirichletAllocation | %s | %s | %.2f | %s | %.1f | %s | %s | %s |"
                  % (k, th, f3(p["fit_seconds"]), f3(p["cpu_seconds"]), tp / p["fit_seconds"],
                     r(p["fit_seconds"]), p["elbo"], svs, svp, ld(p)))
            if s:
                print("| %s | %s | sklearn LatentDirichletAllocation (n_jobs=%s) | %s | %s | %.2f | 1.00x | - | %.1f | %.2f | %s |"
                      % (k, th, th, f3(s["fit_seconds"]),
                         f3(s["cpu_seconds"]) + (" (this process only)" if th != "1" else ""),
                         tp / s["fit_seconds"], s["sk_score"], s["sk_perplexity"], ld(s)))
            over.append(overhead_rows("LatentDirichletAllocation K=%s" % k, th, cli[key], py[key],
                                      ("_csr", "_new_model", "_sync_components", "_set_fitted")))
        print()

    # ---------------------------------------------------------------- HMM
    cli = runs(d, r"py-hmm-t(\d+)-r\d+\.cli\.json")
    py = runs(d, r"py-hmm-t(\d+)-r\d+\.vem\.json")
    pyw = runs(d, r"py-hmm-t(\d+)-r\d+\.vemwarm\.json")
    hl = runs(d, r"py-hmm-t(\d+)-(\w+)\.hmmlearn\.json")
    if cli:
        j0 = next(iter(py.values()))[0]
        print("### GaussianHMM: one sequence of %d frames, %d-D, %d states, full covariances, %d Baum-Welch iterations from the same start"
              % (j0["frames"], j0["d"], j0["k"], j0["iters"]))
        print()
        print("| threads | program | fit s | CPU s | fit s / iterations | marginal s / iteration | "
              "hmmlearn (log; scaling) / this (fit) | log-likelihood after the fit | relative difference to vem Python's | "
              "load (1 min) before -> after |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for (th,) in sorted(cli, key=lambda t: int(t[0])):
            c = best(cli[(th,)], "seconds")
            p = best(py[(th,)], "fit_seconds")
            n = p["iters"]
            ll = p["log_likelihood"]
            peers = {impl: hl[(t2, impl)][0] for (t2, impl) in hl if t2 == th}
            def r(a):
                return "; ".join("%.1fx" % (peers[i]["seconds_fit"] / a) if i in peers else "-"
                                 for i in ("log", "scaling"))
            print("| %s | vem fit hmm (command; in-memory fit) | %s | - | %s | %s | %s | %.6f | %.1e | %s |"
                  % (th, f3(c["seconds"]), f3(c["seconds"] / n), f3(marginal_cli(c)),
                     r(c["seconds"]), c["objective"], abs(c["objective"] - ll) / abs(ll), ld(c)))
            print("| %s | vem.GaussianHMM | %s | %s | %s | %s (command's) | %s | %.6f | - | %s |"
                  % (th, f3(p["fit_seconds"]), f3(p["cpu_seconds"]), f3(p["fit_seconds"] / n),
                     f3(marginal_cli(c)), r(p["fit_seconds"]), ll, ld(p)))
            for impl in ("log", "scaling"):
                if impl in peers:
                    h = peers[impl]
                    print("| %s | hmmlearn %s GaussianHMM, implementation=%s | %s | %s | %s | - | - | %.6f | %.1e | %s |"
                          % (th, h["peer"].split()[1], impl, f3(h["seconds_fit"]),
                             f3(h["cpu_seconds_per_iter"] * h["iters"]), f3(h["seconds_per_iter"]),
                             h["log_likelihood"], abs(h["log_likelihood"] - ll) / abs(ll), ld(h)))
            over.append(overhead_rows("GaussianHMM", th, cli[(th,)], py[(th,)],
                                      ("_prepare", "_configure", "_push", "_pull")))
            if (th,) in pyw:
                over.append(overhead_rows("GaussianHMM, the start as a warm start (diagnostic)",
                                          th, cli[(th,)], pyw[(th,)],
                                          ("_prepare", "_configure", "_push", "_pull")))
                if any(q["log_likelihood"] != ll for q in pyw[(th,)]):
                    print("(the warm-start diagnostic's log-likelihood differs: %r)"
                          % sorted({q["log_likelihood"] for q in pyw[(th,)]}))
        print()

    if over:
        print("### The Python call's overhead over the command's in-memory fit")
        print()
        print("| estimator | threads | repetitions | command's fit s (best) | Python fit() s (best) | "
              "(Python - command) / command, best of each | the same, median of paired runs (range) | "
              "libvem's clock inside the best Python call, s | fit() minus libvem's clock, median (share) | "
              "the helpers around the C fit (best Python call) |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for row in over:
            print(row)


if __name__ == "__main__":
    main()
