#!/bin/sh
# bench/bench_gmm.sh — vem against scikit-learn's GaussianMixture, side by side, one run.
#
#   sh bench/bench_gmm.sh            (from the repository root; see bench/README.md)
#
# Environment: VEM (default build/vem), PYTHON (default /usr/bin/python3, which has
# scikit-learn), THREADS (vem --threads, default 2), ITERS_SMALL (default 100),
# ITERS_BIG (default 10), OUT (default bench/out). Needs jq.
# Both programs start from the same initial model file and run exactly the given
# number of EM iterations (tol 0). Prints markdown tables on stdout; raw JSON of
# every run is kept in $OUT/runs/.
set -eu

VEM=${VEM:-build/vem}
. "$(dirname "$0")/openblas_env.sh"
PYTHON=${PYTHON:-/usr/bin/python3}
THREADS=${THREADS:-2}
ITERS_SMALL=${ITERS_SMALL:-100}
ITERS_BIG=${ITERS_BIG:-10}
OUT=${OUT:-bench/out}
PENGUIN_COLS=beak_length_mm,beak_depth_mm,flipper_length_mm,body_mass_g
SYNTH=$OUT/synth_1e6x16.f64

die() { echo "bench_gmm.sh: $*" >&2; exit 1; }
[ -x "$VEM" ] || die "no vem binary at $VEM (build it, or set VEM)"
command -v jq >/dev/null || die "jq is needed"
"$PYTHON" -c 'import sklearn' 2>/dev/null || die "$PYTHON has no scikit-learn (set PYTHON)"
if [ ! -f "$SYNTH" ] || [ ! -f "$OUT/synth_k8_full.init.json" ]; then
    echo "making synthetic data in $OUT ..." >&2
    "$PYTHON" bench/make_data.py --out "$OUT" >&2
fi
mkdir -p "$OUT/runs"

now() { date +%s.%N; }
# awk arithmetic on the shell's behalf: calc 'EXPR' (a, b, c as variables)
calc() { awk -v a="${2:-0}" -v b="${3:-0}" -v c="${4:-0}" "BEGIN { printf \"%s\", $1 }"; }

ROWS=""
WALL=""

# run LABEL DATA K COV INIT ITERS [vem data options...]
run() {
    label=$1 data=$2 k=$3 cov=$4 init=$5 iters=$6
    shift 6
    tag=$(echo "$label-k$k-$cov" | tr ' /' '__')
    vj=$OUT/runs/$tag.vem.json
    sj=$OUT/runs/$tag.sklearn.json

    t0=$(now)
    "$VEM" fit gmm "$data" -k "$k" --covariance "$cov" --init-model "$init" \
        --max-iter "$iters" --tol 0 --threads "$THREADS" --json "$@" >"$vj" \
        || die "vem failed on $label (output in $vj)"
    t1=$(now)
    vwall=$(calc 'b - a' "$t0" "$t1")

    # scikit-learn gets the same data options, spelled its way
    sopts=""
    case "$*" in
    *--binary-cols*) sopts="--binary-cols 16" ;;
    *--columns*) sopts="--columns $PENGUIN_COLS" ;;
    esac
    t0=$(now)
    # shellcheck disable=SC2086
    "$PYTHON" bench/sklearn_gmm.py "$data" --init "$init" --max-iter "$iters" $sopts \
        --label "$label" >"$sj" || die "sklearn_gmm.py failed on $label"
    t1=$(now)
    swall=$(calc 'b - a' "$t0" "$t1")

    # vem: per-iteration cost from its trace (cumulative seconds at the end of each
    # iteration): (last - first) / (n - 1), the marginal cost of an iteration; else wall / n.
    vll=$(jq -r '.mean_log_likelihood // .fit.mean_log_likelihood' "$vj")
    vtot=$(jq -r '.log_likelihood // .fit.log_likelihood' "$vj")
    vn=$(jq -r '.n_iter // .fit.n_iter' "$vj")
    vtr=$(jq -r '(.trace // .fit.trace // []) | if length >= 2
        then ((.[-1].seconds - .[0].seconds) / (length - 1)) else "null" end' "$vj")
    vfit=$(jq -r '(.trace // .fit.trace // []) | if length >= 1 then .[-1].seconds else "null" end' "$vj")
    if [ "$vtr" = null ]; then vtr=$(calc 'a / b' "$vwall" "$vn"); fi
    if [ "$vfit" = null ]; then vfit=nan; fi
    sll=$(jq -r .mean_log_likelihood "$sj")
    sn=$(jq -r .n_iter "$sj")
    snet=$(jq -r '.seconds_per_iter_net // .seconds_per_iter' "$sj")
    sper=$(jq -r .seconds_per_iter "$sj")
    sfit=$(jq -r .seconds "$sj")
    [ "$vn" = "$iters" ] || echo "warning: vem ran $vn iterations on $label, not $iters" >&2
    [ "$sn" = "$iters" ] || echo "warning: scikit-learn ran $sn iterations on $label" >&2

    ROWS="$ROWS$(printf '| %s | %s | %s | %s | %.4g | %.4g | %.4g | %.3g | %.10f | %.10f | %.2e |' \
        "$label" "$k" "$cov" "$iters" "$vtr" "$snet" "$sper" "$(calc 'b / a' "$vtr" "$snet")" \
        "$vll" "$sll" "$(calc '(a > b) ? a - b : b - a' "$vll" "$sll")")
"
    WALL="$WALL$(printf '| %s | %s | %s | %.3f | %.3f | %.3f | %.3f |' "$label" "$k" "$cov" \
        "$vwall" "$vfit" "$sfit" "$swall")
"
    echo "done: $label K=$k $cov (vem total LL $vtot)" >&2
}

run "Old Faithful (272x2)" examples/data/faithful.csv 2 full \
    tests/golden/faithful_k2_full.init.json "$ITERS_SMALL"
run "penguins (342x4)" examples/data/penguins.csv 3 full \
    tests/golden/penguins_k3_full.init.json "$ITERS_SMALL" --columns "$PENGUIN_COLS"
run "penguins (342x4)" examples/data/penguins.csv 3 diag \
    tests/golden/penguins_k3_diag.init.json "$ITERS_SMALL" --columns "$PENGUIN_COLS"
run "synthetic 1e6x16" "$SYNTH" 8 full "$OUT/synth_k8_full.init.json" "$ITERS_BIG" \
    --binary-cols 16
run "synthetic 1e6x16" "$SYNTH" 8 diag "$OUT/synth_k8_diag.init.json" "$ITERS_BIG" \
    --binary-cols 16

# Start-up cost of the Python side alone.
t0=$(now)
"$PYTHON" -c 'import sklearn.mixture'
t1=$(now)
imp=$(calc 'b - a' "$t0" "$t1")

echo "$("$VEM" --version 2>/dev/null | head -n 1 || true) ($VEM, --threads $THREADS);" \
    "$("$PYTHON" -c 'import sklearn, numpy; print("scikit-learn", sklearn.__version__, "numpy", numpy.__version__)');" \
    "$(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "| data | K | cov | iters | vem s/iter | sklearn s/iter | sklearn fit/iters | sklearn/vem | vem mean LL | sklearn mean LL | abs diff |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s' "$ROWS"
echo
echo "s/iter is the marginal cost of one EM iteration: vem's from its trace, (last - first) / (n - 1);"
echo "scikit-learn's (fit(N) - fit(1)) / (N - 1). 'sklearn fit/iters' is fit(N) seconds / N."
echo
echo "| data | K | cov | vem process wall s | vem fit s (trace) | sklearn fit() s | sklearn process wall s |"
echo "|---|---|---|---|---|---|---|"
printf '%s' "$WALL"
echo
printf 'python3 -c "import sklearn.mixture" alone: %.3f s wall\n' "$imp"
