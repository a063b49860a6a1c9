#!/bin/sh
# bench/bench_hmm.sh — vem's Baum-Welch against pomegranate, side by side, one run.
#
#   sh bench/bench_hmm.sh            (from the repository root; see bench/README.md, "HMM")
#
# Cases: one sequence of 1,000,000 steps and 10,000 sequences of 100 steps (the
# same frames), 8 states, 4-D full-covariance Gaussian emissions, every program
# starting from bench/out/hmm_k8.init.json. Environment: VEM (default build/vem),
# PYTHON (default /usr/bin/python3, which has numpy and pomegranate), ITERS (vem
# iterations timed, default 10), PITERS (pomegranate iterations, default 1, i.e.
# 2 M-steps), OUT (default bench/out). Needs jq. hmmlearn is not packaged for
# Debian 12 and cannot be installed here: it is not run.
set -eu

VEM=${VEM:-build/vem}
. "$(dirname "$0")/openblas_env.sh"
PYTHON=${PYTHON:-/usr/bin/python3}
ITERS=${ITERS:-10}
PITERS=${PITERS:-1}
OUT=${OUT:-bench/out}
DATA=$OUT/hmm_1e6x4.f64
INIT=$OUT/hmm_k8.init.json
LENGTHS=$OUT/hmm_short.lengths

die() { echo "bench_hmm.sh: $*" >&2; exit 1; }
[ -x "$VEM" ] || die "no vem binary at $VEM (build it, or set VEM)"
command -v jq >/dev/null || die "jq is needed"
if [ ! -f "$DATA" ] || [ ! -f "$INIT" ] || [ ! -f "$LENGTHS" ]; then
    echo "making synthetic data in $OUT ..." >&2
    "$PYTHON" bench/hmm_make_data.py --out "$OUT" >&2
fi
mkdir -p "$OUT/runs"
HAVE_POM=1
"$PYTHON" -c 'import pomegranate' 2>/dev/null || HAVE_POM=0

# vem_run TAG THREADS ITERS [options]: seconds per iteration (mean over iterations 2..N)
vem_run() {
    tag=$1 th=$2 it=$3
    shift 3
    "$VEM" fit hmm "$DATA" --binary-cols 4 --init-model "$INIT" --max-iter "$it" --tol 0 \
        --threads "$th" --json "$@" >"$OUT/runs/hmm-$tag.vem.json" 2>/dev/null ||
        die "vem failed ($tag)"
    jq -r '(.trace[-1].seconds - .trace[0].seconds) / ((.trace | length) - 1)' \
        "$OUT/runs/hmm-$tag.vem.json"
}
vem_ll() { jq -r '.log_likelihood' "$OUT/runs/hmm-$1.vem.json"; }

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| case | program | threads | seconds per iteration | vs pomegranate | log-likelihood after $((PITERS + 1)) iterations |"
echo "|---|---|---|---|---|---|"
for case in long short; do
    if [ "$case" = long ]; then
        label="1 x 1,000,000 steps"
        set --
    else
        label="10,000 x 100 steps"
        set -- --lengths "$LENGTHS"
    fi
    pt=""
    pll="n/a"
    if [ "$HAVE_POM" = 1 ]; then
        "$PYTHON" bench/hmm_pomegranate.py "$DATA" 4 "$INIT" "$PITERS" \
            $( [ "$case" = short ] && echo "$LENGTHS" ) >"$OUT/runs/hmm-$case.pomegranate.json" ||
            die "pomegranate failed ($case)"
        pt=$(jq -r '.seconds_per_iter' "$OUT/runs/hmm-$case.pomegranate.json")
        pll=$(jq -r '.log_likelihood' "$OUT/runs/hmm-$case.pomegranate.json")
    fi
    vem_run "$case-ll" 1 $((PITERS + 1)) "$@" >/dev/null
    vll=$(vem_ll "$case-ll")
    for th in 1 2; do
        t=$(vem_run "$case-t$th" "$th" "$ITERS" "$@")
        ratio=n/a
        [ -n "$pt" ] && ratio=$(awk -v a="$pt" -v b="$t" 'BEGIN { printf "%.0fx faster", a / b }')
        printf '| %s | vem | %s | %.3f | %s | %.6f |\n' "$label" "$th" "$t" "$ratio" "$vll"
    done
    if [ -n "$pt" ]; then
        printf '| %s | pomegranate 0.14.8 | 1 | %.2f | 1x | %.6f |\n' "$label" "$pt" "$pll"
    else
        printf '| %s | pomegranate | - | not installed | - | - |\n' "$label"
    fi
    printf '| %s | hmmlearn | - | not installable here (not in Debian 12) | - | - |\n' "$label"
done
echo
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
