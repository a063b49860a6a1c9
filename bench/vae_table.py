#!/usr/bin/env python3
"""bench/vae_table.py -- the markdown table of bench/bench_vae.sh from its JSON files.

    python3 bench/vae_table.py RUNDIR [EPOCHS [THREADS]]     (THREADS: "1 2")

RUNDIR holds sgemm.json, torch-T.json (T = 1, 2), and where vem ran vem-fit-T.json,
vem-score-elbo-T.json, vem-score-iwae-T.json and vem-wall-T.txt (seconds of the whole fit
process). EPOCHS: the epochs asked for, used when vem's fit JSON does not say. vem's JSON is read defensively (the VAE's output is still being written): the
first of several plausible keys that is present.
"""
import json
import os
import sys


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def first(d, *keys):
    """First present key; dotted keys descend into objects."""
    if d is None:
        return None
    for k in keys:
        cur = d
        for part in k.split("."):
            if isinstance(cur, dict) and part in cur:
                cur = cur[part]
            else:
                cur = None
                break
        if cur is not None:
            return cur
    return None


def fmt(x, nd=3):
    if x is None:
        return "-"
    if isinstance(x, (int, float)):
        return f"{x:.{nd}f}"
    return str(x)


def vem_seconds_per_epoch(fit, wall, epochs):
    """From the trace: (last - first) / (n - 1) of cumulative seconds, or the per-entry
    seconds' median; else the whole process's wall time / epochs (an overestimate)."""
    trace = first(fit, "trace", "result.trace")
    if isinstance(trace, list) and len(trace) >= 2:
        secs = [e.get("seconds") for e in trace if isinstance(e, dict)]
        secs = [s for s in secs if isinstance(s, (int, float))]
        if len(secs) >= 2:
            if all(b >= a for a, b in zip(secs, secs[1:])):
                diffs = [b - a for a, b in zip(secs, secs[1:])]
                return ((secs[-1] - secs[0]) / (len(secs) - 1),
                        f"trace, (last - first)/(n - 1); fastest epoch {min(diffs):.3f}")
            return sorted(secs)[len(secs) // 2], "trace (median)"
    spe = first(fit, "seconds_per_epoch", "result.seconds_per_epoch")
    if isinstance(spe, (int, float)):
        return spe, "reported"
    if wall is not None and epochs:
        return wall / epochs, "wall / epochs"
    return None, None


def main():
    d = sys.argv[1]
    asked = int(sys.argv[2]) if len(sys.argv) > 2 else None
    threads = [int(t) for t in sys.argv[3].split()] if len(sys.argv) > 3 else [1, 2]
    sg = load(os.path.join(d, "sgemm.json")) or {}
    rows = []
    print("| program | threads | thread settings | epochs | s/epoch (median) | speed-up (PyTorch s / this s)"
          " | sgemm floor s/epoch | floor / s/epoch | test ELBO | IWAE(k) on n images"
          " ± MC s.e. | note |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for t in threads:
        tj = load(os.path.join(d, f"torch-{t}.json"))
        floor = first(sg, f"threads_{t}.floor_seconds_per_epoch")
        tsec = None
        if tj:
            tsec = tj.get("seconds_per_epoch_median")
            env = tj.get("env", {})
            ts = (f"torch.set_num_threads({tj.get('torch_num_threads')}), OMP {env.get('OMP_NUM_THREADS')},"
                  f" OpenBLAS {env.get('OPENBLAS_NUM_THREADS')}"
                  + (f", OMP_WAIT_POLICY {env.get('OMP_WAIT_POLICY')}" if env.get("OMP_WAIT_POLICY") else ""))
            iw = "-"
            if "test_iwae" in tj:
                iw = (f"{tj['test_iwae']:.2f} ± {tj['test_iwae_mc_se']:.3f} (k={tj['iwae_k']},"
                      f" n={tj['iwae_n']}; ELBO on them {tj['test_elbo_on_iwae_images']:.2f})")
            print(f"| PyTorch {tj.get('torch')} | {t} | {ts} | {tj.get('epochs')} | {fmt(tsec)}"
                  f" (fastest {fmt(tj.get('seconds_per_epoch_min'))}) | 1.00"
                  f" | {fmt(floor)} | {fmt(floor / tsec if floor and tsec else None, 2)}"
                  f" | {fmt(tj.get('test_elbo'), 2)} | {iw} | load {tj.get('load', '-')} |")
        fit = load(os.path.join(d, f"vem-fit-{t}.json"))
        if fit is None:
            print(f"| vem | {t} | --threads {t} | - | - | - | {fmt(floor)} | - | - | - |"
                  f" not run (vem fit vae not available or failed) |")
            continue
        try:
            wall = float(open(os.path.join(d, f"vem-wall-{t}.txt")).read().split()[0])
        except (OSError, ValueError, IndexError):
            wall = None
        epochs = first(fit, "epochs", "result.epochs", "options.epochs")
        if not isinstance(epochs, int):
            trace = first(fit, "trace")
            epochs = len(trace) if isinstance(trace, list) and trace else asked
        vsec, how = vem_seconds_per_epoch(fit, wall, epochs)
        try:
            vload = open(os.path.join(d, f"vem-load-{t}.txt")).read().strip()
        except OSError:
            vload = "-"
        se = load(os.path.join(d, f"vem-score-elbo-{t}.json"))
        si = load(os.path.join(d, f"vem-score-iwae-{t}.json"))
        elbo = first(se, "elbo_per_unit", "mean_elbo", "elbo.per_unit", "elbo_mean", "elbo")
        iwae = first(si, "iwae_per_unit", "iwae.per_unit", "iwae_mean", "mean_iwae", "iwae")
        iwk = first(si, "importance_samples", "iwae_k", "iwae.k")
        iwn = first(si, "n", "rows", "units", "n_units")
        # vem's "iwae_se" is the standard error of the total "iwae" (rows in quadrature)
        iwse = first(si, "mean_iwae_se", "iwae_se_per_unit")
        if iwse is None and isinstance(first(si, "iwae_se"), (int, float)) and iwn:
            iwse = first(si, "iwae_se") / iwn
        iw = "-" if iwae is None else f"{fmt(iwae, 2)} ± {fmt(iwse)} (k={iwk}, n={iwn})"
        ratio = tsec / vsec if vsec and tsec else None
        try:
            venv = open(os.path.join(d, "vem-env.txt")).read().strip()
        except OSError:
            venv = ""
        print(f"| vem | {t} | --threads {t}{', ' + venv if venv else ''} | {epochs} | {fmt(vsec)} | {fmt(ratio, 2)}"
              f" | {fmt(floor)} | {fmt(floor / vsec if floor and vsec else None, 2)}"
              f" | {fmt(elbo, 2) if isinstance(elbo, (int, float)) else '-'} | {iw} | s/epoch from {how};"
              f" load {vload} |")
    print()
    if sg:
        print(f"Compute floor: {sg['gflop_per_epoch']:.1f} GFLOP per epoch ({sg['flops_per_image_step'] / 1e6:.2f}"
              f" MFLOP per image per step, GEMMs only); OpenBLAS sgemm at the VAE's shapes"
              f" {sg['threads_1']['gflops_vae_shapes']:.1f} GFLOP/s with 1 thread,"
              f" {sg['threads_2']['gflops_vae_shapes']:.1f} with 2 (2000^3: {sg['threads_1']['gflops_square_2000']:.1f}"
              f" / {sg['threads_2']['gflops_square_2000']:.1f}), measured in this run.")
    core = os.path.join(d, "openblas.txt")
    if os.path.exists(core):
        print(open(core).read().strip() + ".")


if __name__ == "__main__":
    main()
