#!/bin/sh
# bench/bench_lda_online.sh — online LDA: vem's sparse steps (lazy decay) against its dense
# steps and scikit-learn's online LatentDirichletAllocation, side by side, one thread.
#
#   sh bench/bench_lda_online.sh        (from the repository root; see bench/README.md)
#
# Same corpus (the short-document corpus of bench_lda.sh), K, minibatch size, passes
# (default 3), tau0 = 10, kappa = 0.7, alpha = eta = 1/K, E-step to a mean gamma change
# below 1e-3 or 100 sweeps. vem's sparse steps touch only a minibatch's words; its
# --dense-steps blend all K x V statistics and recompute E[log beta] for every word at
# every minibatch, as scikit-learn does. Both vem runs must give the same ELBO to rounding.
# Environment: VEM, PYTHON, PASSES, REPS (best of, default 3), OUT. Needs jq.
set -eu

VEM=${VEM:-build/vem}
. "$(dirname "$0")/openblas_env.sh"
PYTHON=${PYTHON:-/usr/bin/python3}
PASSES=${PASSES:-3}
REPS=${REPS:-3}
OUT=${OUT:-bench/out}
SHORT=$OUT/lda_short.docword.txt

die() { echo "bench_lda_online.sh: $*" >&2; exit 1; }
[ -x "$VEM" ] || die "no vem binary at $VEM (build it, or set VEM)"
command -v jq >/dev/null || die "jq is needed"
mkdir -p "$OUT/runs"
[ -f "$SHORT" ] || "$PYTHON" bench/lda_make_short.py examples/data/brown "$SHORT" >&2
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 < b + 0 ? a : b) }'; }

# best_of JSON_OUT COMMAND...: best .seconds over REPS runs into S.
best_of() {
    out=$1
    shift
    S=
    i=0
    while [ "$i" -lt "$REPS" ]; do
        "$@" > "$out"
        S=$(min "${S:-$(jq .seconds "$out")}" "$(jq .seconds "$out")")
        i=$((i + 1))
    done
}

echo "Load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| K | minibatch | minibatches | vem sparse s | vem dense s | scikit-learn s | dense / sparse | scikit-learn / sparse | vem ELBO sparse | vem ELBO dense |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for k in 20 100; do
    for b in 128 16; do
        common="fit lda $SHORT -k $k --algorithm stepwise --batch-size $b --tau 10 --kappa 0.7 --passes $PASSES --tol 0 --threads 1 --seed 0 --json"
        # shellcheck disable=SC2086
        best_of "$OUT/runs/lda-online-k$k-b$b.sparse.json" "$VEM" $common
        SS=$S
        # shellcheck disable=SC2086
        best_of "$OUT/runs/lda-online-k$k-b$b.dense.json" "$VEM" $common --dense-steps
        SD=$S
        best_of "$OUT/runs/lda-online-k$k-b$b.sklearn.json" env OMP_NUM_THREADS=1 \
            OPENBLAS_NUM_THREADS=1 "$PYTHON" bench/lda_sklearn.py "$SHORT" "$k" "$PASSES" online "$b"
        SK=$S
        nd=$(jq .n_docs "$OUT/runs/lda-online-k$k-b$b.sklearn.json")
        es=$(jq .elbo "$OUT/runs/lda-online-k$k-b$b.sparse.json")
        ed=$(jq .elbo "$OUT/runs/lda-online-k$k-b$b.dense.json")
        awk -v k=$k -v b=$b -v nd="$nd" -v p="$PASSES" -v ss="$SS" -v sd="$SD" -v sk="$SK" \
            -v es="$es" -v ed="$ed" 'BEGIN {
            printf "| %d | %d | %d | %.2f | %.2f | %.2f | %.2f | %.2f | %.10g | %.10g |\n",
                k, b, p * int((nd + b - 1) / b), ss, sd, sk, sd / ss, sk / ss, es, ed }'
    done
done
echo
echo "Load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "Seconds: each program's fit (vem's includes its final E-step pass over the corpus for the ELBO)."
