#!/bin/sh
# bench/bench_mcem.sh — what Monte-Carlo, stochastic and classification EM cost per
# iteration against exact EM on a Gaussian mixture (issue 17; docs/mcem.md), and
# classification EM of an EII mixture with equal weights (k-means) against
# scikit-learn's KMeans (Lloyd), side by side in one run.
#
#   sh bench/bench_mcem.sh            (from the repository root; see bench/README.md)
#
# Data: ROWS x 8 (default 200,000) from a planted 4-component mixture (numpy, seed 17),
# raw float64. Every vem run starts from the same model file (one EM iteration from
# vem's default start) and runs ITERS iterations (default 10, --tol 0); the seconds per
# iteration are the fit's JSON seconds / n_iter (the initialisation from a model file
# is nothing). K-means: vem fit gmm --covariance EII --equal-weights --algorithm cem
# from an EII model's means, scikit-learn KMeans(algorithm="lloyd", n_init=1, init =
# the same means, max_iter=ITERS, tol=0) timed around fit() alone.
# Environment: VEM (default build/vem), PYTHON (default /usr/bin/python3, scikit-learn),
# THREADS (default 2; scikit-learn's KMeans gets OMP_NUM_THREADS=THREADS), ROWS, ITERS,
# OUT (default bench/out). Results: $OUT/mcem/.
set -eu

VEM=${VEM:-build/vem}
. "$(dirname "$0")/openblas_env.sh"
PYTHON=${PYTHON:-/usr/bin/python3}
THREADS=${THREADS:-2}
ROWS=${ROWS:-200000}
ITERS=${ITERS:-10}
OUT=${OUT:-bench/out}
D=$OUT/mcem
mkdir -p "$D"

die() { echo "bench_mcem.sh: $*" >&2; exit 1; }
[ -x "$VEM" ] || die "no vem binary at $VEM (build it, or set VEM)"
"$PYTHON" -c 'import sklearn' 2>/dev/null || die "$PYTHON has no scikit-learn (set PYTHON)"

DATA=$D/mix_${ROWS}x8.f64
"$PYTHON" - "$DATA" "$ROWS" <<'EOF'
import sys
import numpy as np
path, n = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(17)
k, d = 4, 8
means = rng.normal(0, 1.5, (k, d))
z = rng.choice(k, n, p=[0.4, 0.3, 0.2, 0.1])
a = rng.normal(0, 1, (k, d, d)) / np.sqrt(d)
x = means[z] + np.einsum('nij,nj->ni', a[z] + 0.5 * np.eye(d), rng.normal(0, 1, (n, d)))
x.astype('<f8').tofile(path)
EOF
V="$VEM fit gmm $DATA --binary-cols 8 -k 4 --threads $THREADS"
$V --max-iter 1 --tol 0 -o "$D/init_full.json" >/dev/null 2>&1
$V --covariance EII --equal-weights --max-iter 1 --tol 0 -o "$D/init_eii.json" >/dev/null 2>&1

spi() { "$PYTHON" -c "import json,sys; d=json.load(open(sys.argv[1])); print('%.4f' % (d['seconds'] / d['n_iter']))" "$1"; }

ROWS_MD=""
run() { # LABEL FILE-TAG ARGS...
    label=$1 tag=$2
    shift 2
    $V "$@" --max-iter "$ITERS" --tol 0 --json >"$D/$tag.json" 2>/dev/null ||
        die "vem failed: $label"
    s=$(spi "$D/$tag.json")
    ROWS_MD="$ROWS_MD$label|$s
"
}
run "EM (batch)" em --init-model "$D/init_full.json"
run "MCEM, m = 1 (= SEM)" mc1 --init-model "$D/init_full.json" --algorithm mcem --mc-schedule fixed --mc-samples 1
run "MCEM, m = 10" mc10 --init-model "$D/init_full.json" --algorithm mcem --mc-schedule fixed --mc-samples 10
run "MCEM, m = 100" mc100 --init-model "$D/init_full.json" --algorithm mcem --mc-schedule fixed --mc-samples 100
run "MCEM, m = 100, auto (10 groups)" mcauto --init-model "$D/init_full.json" --algorithm mcem --mc-schedule auto --mc-samples 100 --mc-max-samples 100
run "SEM" sem --init-model "$D/init_full.json" --algorithm sem --average-from 0
run "CEM" cem --init-model "$D/init_full.json" --algorithm cem
run "CEM, EII, equal weights (k-means)" cemkm --init-model "$D/init_eii.json" --algorithm cem

EM=$(spi "$D/em.json")
KM=$(OMP_NUM_THREADS=$THREADS "$PYTHON" - "$DATA" "$D/init_eii.json" "$ITERS" <<'EOF'
import json, sys, time
import numpy as np
from sklearn.cluster import KMeans
x = np.fromfile(sys.argv[1], dtype='<f8').reshape(-1, 8)
init = np.array(json.load(open(sys.argv[2]))['means'])
it = int(sys.argv[3])
km = KMeans(n_clusters=len(init), init=init, n_init=1, max_iter=it, tol=0, algorithm='lloyd')
t0 = time.perf_counter()
km.fit(x)
print('%.4f' % ((time.perf_counter() - t0) / km.n_iter_))
EOF
)
CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
{
    echo "$CPU, $(nproc) CPUs; $THREADS threads; $ROWS x 8, K = 4, full covariances unless said; $ITERS iterations from the same model; $(date -u +%Y-%m-%dT%H:%MZ); load $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
    echo "| algorithm | s/iteration | / EM |"
    echo "|---|---|---|"
    printf '%s' "$ROWS_MD" | while IFS='|' read -r label s; do
        [ -n "$label" ] || continue
        echo "| $label | $s | $(awk -v a="$s" -v b="$EM" 'BEGIN { printf "%.2f", a / b }') |"
    done
    KV=$(spi "$D/cemkm.json")
    echo "| scikit-learn KMeans (Lloyd), same start | $KM | $(awk -v a="$KM" -v b="$EM" 'BEGIN { printf "%.2f", a / b }') |"
    echo
    echo "k-means: vem's CEM (EII, equal weights) $KV s/iteration, scikit-learn's Lloyd $KM: $(awk -v a="$KM" -v b="$KV" 'BEGIN { printf "%.2f", a / b }')x."
} | tee "$D/table.md"
