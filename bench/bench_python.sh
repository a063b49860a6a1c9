#!/bin/sh
# bench/bench_python.sh: vem's Python estimators against their peers and against the `vem`
# command, side by side in one run (issue 20; bench/README.md, "Python").
#
#   sh bench/bench_python.sh          (from the repository root; about 9 minutes on 2 busy cores)
#
# Cases, every program from the same start for the same number of iterations:
#   GMM: vem.GaussianMixture(8, covariance_type='full') and sklearn.mixture.GaussianMixture on
#     1,000,000 x 16 (make_data.py), weights_init/means_init/precisions_init from
#     synth_k8_full.init.json, tol=0, max_iter=GMM_ITERS; `vem fit gmm --init-model` the same.
#   LDA: vem.LatentDirichletAllocation and scikit-learn's on the Brown corpus
#     (examples/data/brown), K in LDA_KS, alpha = eta = 1/K, batch, LDA_PASSES passes
#     (evaluate_every=-1), from scikit-learn's own initial topics for random_state=0
#     (py_lda.py init); `vem fit lda --init-model` the same.
#   HMM: vem.GaussianHMM and hmmlearn's GaussianHMM (implementation log and scaling) on one
#     sequence of 1,000,000 4-D frames (hmm_make_data.py), 8 states, full covariances,
#     startprob_/transmat_/means_/covars_ from hmm_k8.init.json with init_params='',
#     HMM_ITERS iterations; `vem fit hmm --init-model` the same.
# Every case runs with each thread count in THREADS: vem's n_threads / --threads, and
# OMP_NUM_THREADS = OPENBLAS_NUM_THREADS = MKL_NUM_THREADS = that count for every program
# (scikit-learn also under threadpoolctl's threadpool_limits; its LDA with n_jobs = that
# count; hmmlearn's Baum-Welch is single-threaded whatever they say).
# vem's command and vem's Python estimator run REPEAT times each, alternating (command,
# Python, command, ...), so that each Python run has a command run beside it; the peers once.
# For the HMM each repetition also runs py_hmm.py's "warm" diagnostic: the same fit with
# the given start passed to libvem as a warm start, as the command passes --init-model.
#
# The Python package is installed the way python/tests/run.sh installs it: a virtual
# environment with --system-site-packages (Debian's numpy, scipy, scikit-learn, Cython)
# and `pip install --no-build-isolation --no-index --no-deps ./python`, libvem built by
# CMake (Release) in PYBUILD/cmake; hmmlearn==HMMLEARN from PyPI into the same environment
# (its rows are skipped with a message when PyPI cannot be reached).
#
# Environment: VEM (the command, default build/vem: build it with
#   cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build -j2),
# VEM_VENV (an existing virtual environment with vem installed: used as it is, no install),
# PYBUILD (default $OUT/python: venv/, cmake/, setuptools/), PYTHON (the interpreter that
# makes the environment, default /usr/bin/python3), HMMLEARN (default 0.3.3), THREADS
# (default "1 2"), REPEAT (default 5), GMM_ITERS (default 20), LDA_KS (default "20 100"),
# LDA_PASSES (default 10), HMM_ITERS (default 10), OUT (default bench/out). Needs jq.
# Prints the tables (py_report.py) on stdout; every run's JSON is kept in $OUT/runs/py-*.
set -eu

VEM=${VEM:-build/vem}
. "$(dirname "$0")/openblas_env.sh"
PYTHON=${PYTHON:-/usr/bin/python3}
OUT=${OUT:-bench/out}
PYBUILD=${PYBUILD:-$OUT/python}
HMMLEARN=${HMMLEARN:-0.3.3}
THREADS=${THREADS:-1 2}
REPEAT=${REPEAT:-5}
GMM_ITERS=${GMM_ITERS:-20}
LDA_KS=${LDA_KS:-20 100}
LDA_PASSES=${LDA_PASSES:-10}
HMM_ITERS=${HMM_ITERS:-10}
RUNS=$OUT/runs
GDATA=$OUT/synth_1e6x16.f64
GINIT=$OUT/synth_k8_full.init.json
BROWN=examples/data/brown/docword.brown.train.txt
HDATA=$OUT/hmm_1e6x4.f64
HINIT=$OUT/hmm_k8.init.json

die() { echo "bench_python.sh: $*" >&2; exit 1; }
note() { echo "bench_python.sh: $*" >&2; }
[ -x "$VEM" ] || die "no vem command at $VEM (cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build -j2, or set VEM)"
command -v jq >/dev/null || die "jq is needed"
mkdir -p "$RUNS"
rm -f "$RUNS"/py-*.json
here=$(pwd)

# ---------------------------------------------------------------- the package
if [ -n "${VEM_VENV:-}" ]; then
    [ -x "$VEM_VENV/bin/python" ] || die "VEM_VENV=$VEM_VENV has no bin/python"
    venv=$(cd "$VEM_VENV" && pwd)
else
    mkdir -p "$PYBUILD"
    venv=$(cd "$PYBUILD" && pwd)/venv
    if [ ! -x "$venv/bin/python" ]; then
        note "making a virtual environment in $venv ..."
        "$PYTHON" -m venv --system-site-packages "$venv" >&2 ||
            die "$PYTHON -m venv failed (apt-get install python3-venv)"
    fi
    note "building and installing python/ into $venv (libvem: CMake, Release) ..."
    pb=$(cd "$PYBUILD" && pwd)
    VEM_CMAKE_BUILD_DIR=$pb/cmake VEM_BUILD_BASE=$pb/setuptools \
        VEM_CMAKE_ARGS="-DCMAKE_BUILD_TYPE=Release" \
        "$venv/bin/python" -m pip install --no-build-isolation --no-index --no-deps \
        --disable-pip-version-check --force-reinstall -q ./python >&2 ||
        die "installing python/ failed (python/tests/run.sh names what is missing)"
fi
PY=$venv/bin/python
# From outside the checkout, so that `import vem` is the installed package.
(cd / && "$PY" -c 'import vem') || die "$PY cannot import vem"
HL=""
if [ "$("$PY" -c 'import hmmlearn; print(hmmlearn.__version__)' 2>/dev/null)" != "$HMMLEARN" ]; then
    note "installing hmmlearn==$HMMLEARN from PyPI into $venv ..."
    "$PY" -m pip install --disable-pip-version-check -q "hmmlearn==$HMMLEARN" \
        >"$RUNS/py-pip.log" 2>&1 ||
        note "hmmlearn: skipped: pip install hmmlearn==$HMMLEARN failed ($(tail -n 1 "$RUNS/py-pip.log"))"
fi
HL=$("$PY" -c 'import hmmlearn; print(hmmlearn.__version__)' 2>/dev/null || true)

# ---------------------------------------------------------------- the data
if [ ! -f "$GDATA" ] || [ ! -f "$GINIT" ]; then
    note "making the 1e6 x 16 mixture in $OUT ..."
    "$PY" bench/make_data.py --out "$OUT" >&2
fi
if [ ! -f "$HDATA" ] || [ ! -f "$HINIT" ]; then
    note "making the HMM frames in $OUT ..."
    "$PY" bench/hmm_make_data.py --out "$OUT" >&2
fi
for k in $LDA_KS; do
    "$PY" bench/py_lda.py init "$BROWN" "$k" "$OUT/pylda_k$k.init"
done

# ---------------------------------------------------------------- helpers
load() { cut -d' ' -f1 /proc/loadavg; }
uptime_line() { echo "$1: $(uptime | sed 's/.*load average/load average/')"; }
# th T COMMAND...: run with T threads for BLAS and OpenMP
th() {
    t=$1
    shift
    env OMP_NUM_THREADS="$t" OPENBLAS_NUM_THREADS="$t" MKL_NUM_THREADS="$t" "$@"
}
# cli OUTFILE T vem-fit-arguments...: the command, its JSON reduced, the load around it
cli() {
    o=$1 t=$2
    shift 2
    lb=$(load)
    th "$t" "$VEM" fit "$@" --threads "$t" --json >"$RUNS/py-cli.tmp" 2>"$RUNS/py-cli.err" ||
        die "vem fit $1 failed: $(tail -n 1 "$RUNS/py-cli.err")"
    la=$(load)
    jq --argjson lb "$lb" --argjson la "$la" \
        '{seconds, objective, objective_per_obs, n_iter, n_passes,
          trace_seconds: [.trace[].seconds], load_before: $lb, load_after: $la}' \
        "$RUNS/py-cli.tmp" >"$o"
    rm -f "$RUNS/py-cli.tmp"
}
# py OUTFILE T SCRIPT ARGS...: a Python helper (from the root: its directory is bench/)
py() {
    o=$1 t=$2
    shift 2
    th "$t" "$PY" -W ignore "$@" >"$o" || die "$* failed"
}

# The machine's DGEMM rate (bench/dgemm_peak.c, OpenBLAS, 2000^3), for the GMM's roofline:
# now and again at the end; the report takes the higher of the two (the less disturbed).
CC=${CC:-cc}
if "$CC" -O2 -o "$OUT/dgemm_peak" bench/dgemm_peak.c -lopenblas 2>"$RUNS/py-peak.err"; then
    "$OUT/dgemm_peak" 2000 >"$RUNS/py-peak-start.json" || rm -f "$RUNS/py-peak-start.json"
else
    note "no DGEMM peak: cannot build bench/dgemm_peak.c ($(tail -n 1 "$RUNS/py-peak.err"))"
fi

cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)
avx=no
grep -q avx512f /proc/cpuinfo && avx=yes
echo "$(date -u +%Y-%m-%dT%H:%MZ); $cpu, $(nproc) CPUs, AVX-512: $avx; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "vem command: $VEM ($("$VEM" --version | head -n 1); build type: $(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$(dirname "$VEM")/CMakeCache.txt" 2>/dev/null || echo unknown)); git $(git rev-parse --short HEAD 2>/dev/null || echo -)$(git diff --quiet HEAD -- src include cli python 2>/dev/null || echo ' (with uncommitted changes)')"
echo "Python: $("$PY" -c 'import sys, vem, numpy, scipy, sklearn; print("%s; vem %s from %s; numpy %s, scipy %s, scikit-learn %s" % (sys.version.split()[0], vem.__version__, vem.__file__, numpy.__version__, scipy.__version__, sklearn.__version__))' | sed "s|$here/||")${HL:+; hmmlearn $HL}"
echo "threads: $THREADS; vem (command and Python) best of $REPEAT alternating runs, peers once${OPENBLAS_CORETYPE:+; OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE}"
echo

# ---------------------------------------------------------------- GMM
for t in $THREADS; do
    uptime_line "GMM, $t thread(s), before"
    r=1
    while [ "$r" -le "$REPEAT" ]; do
        cli "$RUNS/py-gmm-t$t-r$r.cli.json" "$t" gmm "$GDATA" --binary-cols 16 \
            --init-model "$GINIT" --max-iter "$GMM_ITERS" --tol 0
        py "$RUNS/py-gmm-t$t-r$r.vem.json" "$t" bench/py_gmm.py vem "$GDATA" 16 "$GINIT" \
            "$GMM_ITERS" "$t"
        r=$((r + 1))
    done
    py "$RUNS/py-gmm-t$t.sklearn.json" "$t" bench/py_gmm.py sklearn "$GDATA" 16 "$GINIT" \
        "$GMM_ITERS" "$t"
    uptime_line "GMM, $t thread(s), after"
done

# ---------------------------------------------------------------- LDA
for k in $LDA_KS; do
    for t in $THREADS; do
        uptime_line "LDA K=$k, $t thread(s), before"
        r=1
        while [ "$r" -le "$REPEAT" ]; do
            cli "$RUNS/py-lda-k$k-t$t-r$r.cli.json" "$t" lda "$BROWN" \
                --init-model "$OUT/pylda_k$k.init.json" --passes "$LDA_PASSES" --tol 0
            py "$RUNS/py-lda-k$k-t$t-r$r.vem.json" "$t" bench/py_lda.py vem "$BROWN" "$k" \
                "$LDA_PASSES" "$t" "$OUT/pylda_k$k.init.npy" "$RUNS/py-lda-k$k-t$t.vem-topics.npy"
            r=$((r + 1))
        done
        py "$RUNS/py-lda-k$k-t$t.sklearn.json" "$t" bench/py_lda.py sklearn "$BROWN" "$k" \
            "$LDA_PASSES" "$t" "$OUT/pylda_k$k.init.npy" "$RUNS/py-lda-k$k-t$t.vem-topics.npy"
        uptime_line "LDA K=$k, $t thread(s), after"
    done
done

# ---------------------------------------------------------------- HMM
for t in $THREADS; do
    uptime_line "HMM, $t thread(s), before"
    r=1
    while [ "$r" -le "$REPEAT" ]; do
        cli "$RUNS/py-hmm-t$t-r$r.cli.json" "$t" hmm "$HDATA" --binary-cols 4 \
            --init-model "$HINIT" --max-iter "$HMM_ITERS" --tol 0
        py "$RUNS/py-hmm-t$t-r$r.vem.json" "$t" bench/py_hmm.py "$HDATA" 4 "$HINIT" \
            "$HMM_ITERS" "$t"
        py "$RUNS/py-hmm-t$t-r$r.vemwarm.json" "$t" bench/py_hmm.py "$HDATA" 4 "$HINIT" \
            "$HMM_ITERS" "$t" warm
        r=$((r + 1))
    done
    if [ -n "$HL" ]; then
        for impl in log scaling; do
            lb=$(load)
            th "$t" "$PY" -W ignore bench/hmm_hmmlearn.py gaussian "$impl" "$HDATA" 4 "$HINIT" \
                "$HMM_ITERS" >"$RUNS/py-hmm.tmp" || die "hmmlearn failed ($impl)"
            la=$(load)
            jq --argjson lb "$lb" --argjson la "$la" '. + {load_before: $lb, load_after: $la}' \
                "$RUNS/py-hmm.tmp" >"$RUNS/py-hmm-t$t-$impl.hmmlearn.json"
            rm -f "$RUNS/py-hmm.tmp"
        done
    fi
    uptime_line "HMM, $t thread(s), after"
done

[ -x "$OUT/dgemm_peak" ] && { "$OUT/dgemm_peak" 2000 >"$RUNS/py-peak-end.json" || rm -f "$RUNS/py-peak-end.json"; }
"$PY" bench/py_report.py "$RUNS"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%Y-%m-%dT%H:%MZ)"
