#!/bin/sh
# bench/bench_vb.sh — vem fit vbgmm against scikit-learn's BayesianGaussianMixture,
# side by side in one run, time per variational iteration.
#
#   sh bench/bench_vb.sh            (from the repository root; see bench/README.md, "VB")
#
# Environment: VEM (default build/vem), PYTHON (default /usr/bin/python3, which has
# scikit-learn), THREADS (vem --threads, default 2), ITERS (default 10), OUT (default
# bench/out), COVS (default "full diag"). Needs jq. Both programs start from uniform
# random responsibilities (vem --init random, scikit-learn init_params="random"), use the
# default priors and run exactly ITERS iterations (tolerance 0). Prints a markdown table.
set -eu

VEM=${VEM:-build/vem}
. "$(dirname "$0")/openblas_env.sh"
PYTHON=${PYTHON:-/usr/bin/python3}
THREADS=${THREADS:-2}
ITERS=${ITERS:-10}
OUT=${OUT:-bench/out}
COVS=${COVS:-full diag}
SYNTH=$OUT/synth_1e6x16.f64

die() { echo "bench_vb.sh: $*" >&2; exit 1; }
[ -x "$VEM" ] || die "no vem binary at $VEM (build it, or set VEM)"
command -v jq >/dev/null || die "jq is needed"
"$PYTHON" -c 'import sklearn' 2>/dev/null || die "$PYTHON has no scikit-learn (set PYTHON)"
if [ ! -f "$SYNTH" ]; then
    echo "making synthetic data in $OUT ..." >&2
    "$PYTHON" bench/make_data.py --out "$OUT" >&2
fi
mkdir -p "$OUT/runs"
calc() { awk -v a="${2:-0}" -v b="${3:-0}" "BEGIN { printf \"%s\", $1 }"; }

echo "vem $("$VEM" --version | cut -d' ' -f2) ($VEM, --threads $THREADS);" \
    "$("$PYTHON" -c 'import sklearn, numpy; print("scikit-learn", sklearn.__version__, "numpy", numpy.__version__)');" \
    "$(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "| data | K | cov | iters | vem s/iter | sklearn s/iter | sklearn/vem | vem ELBO per row | vem violations |"
echo "|---|---|---|---|---|---|---|---|---|"
for cov in $COVS; do
    vj=$OUT/runs/vb-synth-k8-$cov.vem.json
    sj=$OUT/runs/vb-synth-k8-$cov.sklearn.json
    "$VEM" fit vbgmm "$SYNTH" --binary-cols 16 -k 8 --covariance "$cov" --init random \
        --max-iter "$ITERS" --tol 0 --threads "$THREADS" --json >"$vj" 2>/dev/null \
        || die "vem failed ($vj)"
    "$PYTHON" bench/vb_sklearn.py "$SYNTH" --binary-cols 16 -k 8 --covariance "$cov" \
        --max-iter "$ITERS" >"$sj" || die "scikit-learn failed ($sj)"
    n=$(jq '.trace | length' "$vj")
    first=$(jq '.trace[0].seconds' "$vj")
    last=$(jq '.trace[-1].seconds' "$vj")
    vs=$(calc '(b - a) / ('"$n"' - 1)' "$first" "$last")
    ss=$(jq '.seconds_per_iter_net' "$sj")
    ratio=$(calc 'b / a' "$vs" "$ss")
    echo "| synthetic 1e6x16 | 8 | $cov | $ITERS | $(printf %.4g "$vs") | $(printf %.4g "$ss") | $(printf %.2f "$ratio") | $(jq '.mean_elbo' "$vj") | $(jq '.monotonicity_violations' "$vj") |"
done
echo
echo "s/iter: vem's from its trace, (last - first) / (n - 1); scikit-learn's (fit(N) - fit(1)) / (N - 1)."
