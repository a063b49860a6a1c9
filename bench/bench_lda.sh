#!/bin/sh
# bench/bench_lda.sh — vem's LDA against scikit-learn's LatentDirichletAllocation, side by side.
#
#   sh bench/bench_lda.sh            (from the repository root; see bench/README.md, "LDA")
#
# Environment: VEM (default build/vem), PYTHON (default /usr/bin/python3, which has
# scikit-learn 1.2), PASSES (default 10), REPS (runs per case and program, best kept;
# default 3), OUT (default bench/out). Needs jq and /usr/bin/time.
# Both fit batch LDA with alpha = eta = 1/K, PASSES iterations (tol 0), E-step to a
# mean gamma change < 1e-3 or 100 sweeps, on ONE thread (scikit-learn with n_jobs=1,
# OMP/OpenBLAS threads 1). Corpora: Brown (450 long documents) and a short-document
# corpus cut from Brown by bench/lda_make_short.py (no short-text collection is
# installed here). Vowpal Wabbit is not installable here: its figures are the ones
# recorded in REFERENCE.md (on a corpus of short e-mails), quoted, not re-run.
# Wall seconds are the fits' own timers; CPU seconds (user + sys of the process for
# vem, process_time() of fit() for scikit-learn) are steadier on a shared machine.
# Prints a markdown table on stdout; raw JSON of every run is kept in $OUT/runs/.
set -eu

VEM=${VEM:-build/vem}
. "$(dirname "$0")/openblas_env.sh"
PYTHON=${PYTHON:-/usr/bin/python3}
PASSES=${PASSES:-10}
REPS=${REPS:-3}
OUT=${OUT:-bench/out}
BROWN=examples/data/brown
SHORT=$OUT/lda_short.docword.txt

die() { echo "bench_lda.sh: $*" >&2; exit 1; }
[ -x "$VEM" ] || die "no vem binary at $VEM (build it, or set VEM)"
command -v jq >/dev/null || die "jq is needed"
[ -x /usr/bin/time ] || die "/usr/bin/time is needed"
"$PYTHON" -c 'import sklearn' 2>/dev/null || die "$PYTHON has no scikit-learn (set PYTHON)"
mkdir -p "$OUT/runs"
[ -f "$SHORT" ] || "$PYTHON" bench/lda_make_short.py "$BROWN" "$SHORT" >&2

min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 < b + 0 ? a : b) }'; }

# vem_run NAME CORPUS K THREADS: sets W (best wall s) and C (best CPU s) over REPS runs.
vem_run() {
    W=
    C=
    i=0
    j=$OUT/runs/lda-$1-k$3-t$4.vem.json
    while [ "$i" -lt "$REPS" ]; do
        /usr/bin/time -f '%U %S' -o "$OUT/runs/time.txt" \
            "$VEM" fit lda "$2" -k "$3" --passes "$PASSES" --tol 0 --threads "$4" --seed 0 --json > "$j"
        w=$(jq .seconds "$j")
        c=$(awk '{ print $1 + $2 }' "$OUT/runs/time.txt")
        W=$(min "${W:-$w}" "$w")
        C=$(min "${C:-$c}" "$c")
        i=$((i + 1))
    done
}

# sk_run NAME CORPUS K: sets SW, SC (best of REPS).
sk_run() {
    SW=
    SC=
    i=0
    j=$OUT/runs/lda-$1-k$3.sklearn.json
    while [ "$i" -lt "$REPS" ]; do
        OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
            "$PYTHON" bench/lda_sklearn.py "$2" "$3" "$PASSES" > "$j"
        SW=$(min "${SW:-$(jq .seconds "$j")}" "$(jq .seconds "$j")")
        SC=$(min "${SC:-$(jq .cpu_seconds "$j")}" "$(jq .cpu_seconds "$j")")
        i=$((i + 1))
    done
}

echo "Load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| corpus | K | tokens | vem wall s | vem CPU s | vem M tokens/s (wall / CPU) | scikit-learn wall s | scikit-learn CPU s | scikit-learn M tokens/s (wall / CPU) | vem speed-up (wall / CPU) | vem 2 threads wall s | 2-thread speed-up | 1 and 2 threads same bits |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for corpus in brown short; do
    if [ $corpus = brown ]; then file=$BROWN/docword.brown.train.txt; else file=$SHORT; fi
    for k in 20 100; do
        vem_run $corpus "$file" $k 1
        W1=$W
        C1=$C
        sk_run $corpus "$file" $k
        vem_run $corpus "$file" $k 2
        W2=$W
        tok=$(jq .n_tokens "$OUT/runs/lda-$corpus-k$k-t1.vem.json")
        same=no
        if [ "$(jq .elbo "$OUT/runs/lda-$corpus-k$k-t1.vem.json")" = \
             "$(jq .elbo "$OUT/runs/lda-$corpus-k$k-t2.vem.json")" ]; then
            same=yes
        fi
        awk -v corpus=$corpus -v k=$k -v tok="$tok" -v p="$PASSES" -v w1="$W1" -v c1="$C1" \
            -v sw="$SW" -v sc="$SC" -v w2="$W2" -v same=$same 'BEGIN {
            printf "| %s | %d | %d | %.2f | %.2f | %.2f / %.2f | %.2f | %.2f | %.2f / %.2f | %.2f / %.2f | %.2f | %.2f | %s |\n",
                corpus, k, tok, w1, c1, tok * p / w1 / 1e6, tok * p / c1 / 1e6, sw, sc,
                tok * p / sw / 1e6, tok * p / sc / 1e6, sw / w1, sc / c1, w2, w1 / w2, same }'
    done
done
echo
echo "Load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "tokens/s = tokens x passes / fit seconds; vem's fit also runs one more E-step pass at the end, to report the ELBO of the returned model."
echo "Vowpal Wabbit (REFERENCE.md, 5,440 e-mails with 88 distinct words each, one thread, not re-run here): 2.5 M tokens/s at K = 20, 0.62 M at K = 100."
