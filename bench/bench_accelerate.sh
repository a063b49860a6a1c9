#!/bin/sh
# bench/bench_accelerate.sh — EM against SQUAREM (--accelerate squarem), L-BFGS and EM then
# L-BFGS (--algorithm lbfgs, em-lbfgs) on the shipped data and on a synthetic mixture whose
# components overlap heavily, where EM crawls (issue 18; docs/acceleration.md). Counts data passes (the JSON's n_passes and each trace entry's
# passes), so that the algorithms are compared on equal terms.
#
#   sh bench/bench_accelerate.sh            (from the repository root; see bench/README.md)
#
# Every fit starts from the same model file (one EM iteration from vem's default start)
# and runs to a total change below TOL (default 1e-12 nats) or MAXIT iterations (default
# 100000). L* is the best final objective of them all; "passes to 1e-6" is the passes of
# the first trace entry within 1e-6 nats per row of L*.
# Synthetic: ROWS x 16 (default 20,000) from 8 full-covariance components with means
# N(0, SPREAD^2 I) (default SPREAD 0.1: pairwise distances about 0.6 against standard
# deviations about 1, heavy overlap), covariances A A^T / 16 + 0.3 I, weights Dirichlet(4)
# (numpy, seed 18).
# Environment: VEM (default build/vem), PYTHON (default /usr/bin/python3 with numpy),
# THREADS (default 2), ROWS, SPREAD, TOL, MAXIT, OUT (default bench/out). Results: $OUT/accelerate/.
set -eu

VEM=${VEM:-build/vem}
. "$(dirname "$0")/openblas_env.sh"
PYTHON=${PYTHON:-/usr/bin/python3}
THREADS=${THREADS:-2}
ROWS=${ROWS:-20000}
TOL=${TOL:-1e-12}
MAXIT=${MAXIT:-100000}
SPREAD=${SPREAD:-0.1}
OUT=${OUT:-bench/out}
D=$OUT/accelerate
mkdir -p "$D"

die() { echo "bench_accelerate.sh: $*" >&2; exit 1; }
[ -x "$VEM" ] || die "no vem binary at $VEM (build it, or set VEM)"
"$PYTHON" -c 'import numpy' 2>/dev/null || die "$PYTHON has no numpy (set PYTHON)"

SYN=$D/overlap_${ROWS}x16_${SPREAD}.f64
"$PYTHON" - "$SYN" "$ROWS" "$SPREAD" <<'EOF'
import sys
import numpy as np
path, n = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(18)
k, d = 8, 16
w = rng.dirichlet([4.0] * k)
means = rng.normal(0, float(sys.argv[3]), (k, d))
a = rng.normal(0, 1, (k, d, d))
chol = np.linalg.cholesky(a @ a.transpose(0, 2, 1) / d + 0.3 * np.eye(d))
z = rng.choice(k, n, p=w)
x = means[z] + np.einsum('nij,nj->ni', chol[z], rng.normal(0, 1, (n, d)))
x.astype('<f8').tofile(path)
EOF

TABLE=$D/table.md
CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
{
    echo "$CPU, $(nproc) CPUs; $THREADS threads; tol $TOL (total); $(date -u +%Y-%m-%dT%H:%MZ); load $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
    echo "| data | algorithm | final objective per row | iterations | passes | seconds | passes to within 1e-6 nats/row of L* | EM's / this |"
    echo "|---|---|---|---|---|---|---|---|"
} >"$TABLE"

# case NAME K COVARIANCE DATA-ARGS...
case_() {
    name=$1 k=$2 cov=$3
    shift 3
    "$VEM" fit gmm "$@" -k "$k" --covariance "$cov" --max-iter 1 --tol 0 --threads "$THREADS" \
        -o "$D/$name.init.json" >/dev/null 2>&1 || die "init $name"
    for alg in "none --accelerate none" "squarem --accelerate squarem" "lbfgs --algorithm lbfgs" \
        "em-lbfgs --algorithm em-lbfgs"; do
        set -- "$@" # (the data arguments stay in $@)
        tag=${alg%% *}
        # shellcheck disable=SC2086
        "$VEM" fit gmm "$@" --init-model "$D/$name.init.json" ${alg#* } --tol "$TOL" \
            --max-iter "$MAXIT" --threads "$THREADS" --json >"$D/$name.$tag.json" 2>/dev/null ||
            die "fit $name $tag"
    done
    "$PYTHON" - "$name" "$D/$name.none.json" "$D/$name.squarem.json" "$D/$name.lbfgs.json" \
        "$D/$name.em-lbfgs.json" >>"$TABLE" <<'EOF'
import json, sys
name, runs = sys.argv[1], [json.load(open(p)) for p in sys.argv[2:6]]
best = max(r['objective'] for r in runs)
def reach(r):
    n = r['n_obs']
    for t in r['trace']:
        if (best - t['objective']) / n <= 1e-6:
            return t['passes']
    return float('nan')
em = reach(runs[0])
for label, r in zip(('EM', 'SQUAREM', 'L-BFGS', 'EM-L-BFGS'), runs):
    p = reach(r)
    print('| %s | %s | %.10f | %d | %g | %.3f | %g | %.1f |' % (
        name, label, r['objective'] / r['n_obs'], r['n_iter'], r['n_passes'], r['seconds'],
        p, em / p if p == p and p > 0 else float('nan')))
EOF
}
P=examples/data/penguins.csv
PC=beak_length_mm,beak_depth_mm,flipper_length_mm,body_mass_g
case_ faithful_k3_VVV 3 VVV examples/data/faithful.csv
case_ penguins_k4_VVV 4 VVV "$P" --columns "$PC"
case_ penguins_k4_VVI 4 VVI "$P" --columns "$PC"
case_ overlap_k8_VVV 8 VVV "$SYN" --binary-cols 16
cat "$TABLE"
