#!/bin/sh
# bench/bench_speed.sh — vem against scikit-learn, R mclust and VLFeat, side by side, one run.
#
#   sh bench/bench_speed.sh            (from the repository root; see bench/README.md)
#
# Every program starts from the same initial model file (same weights, means and
# covariances), runs the same fixed number of EM iterations on the same data, and is
# timed REPEAT times; the best time is reported. Seconds per iteration are marginal
# costs: vem's from its trace, (last - first) / (n - 1); the peers' as
# (t(N iterations) - t(1 iteration)) / (N - 1). Mean log-likelihoods (nats per row) are
# those of each program's returned parameters. Also printed: a roofline line (FLOPs
# per full-covariance iteration, achieved GFLOP/s, the DGEMM peak measured now), vem's
# peak RSS on the 1e6 fit, CSV and raw float64 read times, and small-data process times
# against `import sklearn.mixture`.
#
# Environment: VEM (default build/vem), PYTHON (default /usr/bin/python3, with
# scikit-learn), RSCRIPT (default Rscript, with mclust and jsonlite), THREADS (vem and
# VLFeat threads, default 2), REPEAT (default 3; VEM_REPEAT, default 5, for vem's own
# runs, which take seconds), ITERS (1e6 rows, default 10),
# ITERS_MCLUST_FULL (default 3: mclust takes about 6 s per full iteration),
# ITERS_DIGITS (default 50), OUT (default bench/out), PEERS (default "sklearn mclust
# vlfeat"; drop any to skip it, PEERS= for vem alone). Needs jq, a C compiler, libvlfeat-dev, libopenblas-dev
# (for dgemm_peak) and /usr/bin/time.
set -eu

VEM=${VEM:-build/vem}
. "$(dirname "$0")/openblas_env.sh"
PYTHON=${PYTHON:-/usr/bin/python3}
RSCRIPT=${RSCRIPT:-Rscript}
THREADS=${THREADS:-2}
REPEAT=${REPEAT:-3}
VEM_REPEAT=${VEM_REPEAT:-5}
ITERS=${ITERS:-10}
ITERS_MCLUST_FULL=${ITERS_MCLUST_FULL:-3}
ITERS_DIGITS=${ITERS_DIGITS:-50}
OUT=${OUT:-bench/out}
PEERS=${PEERS-sklearn mclust vlfeat}
SYNTH=$OUT/synth_1e6x16.f64
SYNTH_CSV=$OUT/synth_1e6x16.csv
DIGITS=examples/data/digits.csv
PENGUIN_COLS=beak_length_mm,beak_depth_mm,flipper_length_mm,body_mass_g

die() { echo "bench_speed.sh: $*" >&2; exit 1; }
has_peer() { case " $PEERS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
[ -x "$VEM" ] || die "no vem binary at $VEM (build it, or set VEM)"
command -v jq >/dev/null || die "jq is needed"
[ -x /usr/bin/time ] || die "/usr/bin/time is needed (apt-get install time)"
mkdir -p "$OUT/runs"
NPROC=$(nproc)
LOAD0=$(cut -d" " -f1-3 /proc/loadavg)

# Data, initial models and the two C helpers.
if [ ! -f "$SYNTH" ] || [ ! -f "$OUT/synth_k8_full.init.json" ]; then
    echo "making synthetic data in $OUT ..." >&2
    "$PYTHON" bench/make_data.py --out "$OUT" >&2
fi
if [ ! -f "$DIGITS" ] || [ ! -f "$OUT/digits_k10_full.init.json" ]; then
    "$PYTHON" bench/make_digits.py --out "$OUT" >&2
fi
if [ ! -f "$SYNTH_CSV" ]; then
    echo "writing $SYNTH_CSV (about 300 MB, a minute) ..." >&2
    "$PYTHON" -c 'import sys, numpy as np
x = np.fromfile(sys.argv[1], dtype="<f8").reshape(-1, 16)
np.savetxt(sys.argv[2], x, fmt="%.17g", delimiter=",")' "$SYNTH" "$SYNTH_CSV"
fi
CC=${CC:-cc}
"$CC" -O2 -o "$OUT/dgemm_peak" bench/dgemm_peak.c -lopenblas || die "cannot build dgemm_peak"
if has_peer vlfeat; then
    # shellcheck disable=SC2046
    "$CC" -O2 -o "$OUT/vlfeat_gmm" bench/vlfeat_gmm.c $(pkg-config --cflags --libs jansson) \
        -lvl -lm || die "cannot build vlfeat_gmm (libvlfeat-dev)"
fi

now() { date +%s.%N; }
calc() { awk -v a="${2:-0}" -v b="${3:-0}" -v c="${4:-0}" "BEGIN { printf \"%s\", $1 }"; }
min() { if [ -z "$1" ] || [ "$(calc '(b < a) ? 1 : 0' "$1" "$2")" = 1 ]; then echo "$2"; else echo "$1"; fi; }

TABLE=""
# row CASE PEER THREADS ITERS S_PER_ITER VEM_S_PER_ITER MEAN_LL NOTE
row() {
    if [ "$5" = null ] || [ -z "$5" ]; then ratio="n/a"; spi="n/a"; else
        spi=$(printf '%.4g' "$5"); ratio=$(printf '%.2f' "$(calc 'a / b' "$5" "$6")"); fi
    ll=$7; [ "$ll" = null ] || ll=$(printf '%.9f' "$ll")
    TABLE="$TABLE| $1 | $2 | $3 | $4 | $spi | $ratio | $ll | $8 |
"
}

# vem_case LABEL DATA K COV INIT ITERS TAG [options]: best s/iter over VEM_REPEAT runs.
vem_case() {
    label=$1 data=$2 k=$3 cov=$4 init=$5 iters=$6 tag=$7
    shift 7
    best=""
    for i in $(seq "$VEM_REPEAT"); do
        "$VEM" fit gmm "$data" -k "$k" --covariance "$cov" --init-model "$init" --max-iter "$iters" \
            --tol 0 --threads "$THREADS" --json "$@" >"$OUT/runs/$tag.vem.json" 2>/dev/null \
            || die "vem failed on $label"
        s=$(jq -r '(.trace | (.[-1].seconds - .[0].seconds) / (length - 1))' "$OUT/runs/$tag.vem.json")
        best=$(min "$best" "$s")
    done
    VEM_SPI=$best
    VEM_LL=$(jq -r .mean_log_likelihood "$OUT/runs/$tag.vem.json")
    row "$label" "vem" "$THREADS" "$iters" "$VEM_SPI" "$VEM_SPI" "$VEM_LL" ""
    echo "done: vem $label $VEM_SPI s/iter" >&2
}

# peer_case LABEL PEER THREADS ITERS TAG COMMAND...: best seconds_per_iter_net.
peer_case() {
    label=$1 peer=$2 thr=$3 iters=$4 tag=$5
    shift 5
    best="" note=""
    for i in $(seq "$REPEAT"); do
        if ! "$@" >"$OUT/runs/$tag.$peer.json" 2>"$OUT/runs/$tag.$peer.err"; then
            note="failed: $(tail -n 1 "$OUT/runs/$tag.$peer.err")"
            break
        fi
        s=$(jq -r '.seconds_per_iter_net // .seconds_per_iter' "$OUT/runs/$tag.$peer.json")
        best=$(min "$best" "$s")
    done
    ll=null
    if [ -z "$note" ]; then
        ll=$(jq -r '.mean_log_likelihood' "$OUT/runs/$tag.$peer.json")
        w=$(jq -r '.warning // ""' "$OUT/runs/$tag.$peer.json")
        ni=$(jq -r '.n_iter // .iters // ""' "$OUT/runs/$tag.$peer.json")
        [ -z "$w" ] || note="$w"
        [ -z "$ni" ] || [ "$ni" = "$iters" ] || note="$note ran $ni iterations"
    fi
    [ -n "$best" ] || best=null
    row "$label" "$peer" "$thr" "$iters" "$best" "$VEM_SPI" "$ll" "$note"
    echo "done: $peer $label $best s/iter $note" >&2
}

# --- 1e6 x 16, K = 8, full
L="synthetic 1e6x16, K=8, full"
vem_case "$L" "$SYNTH" 8 full "$OUT/synth_k8_full.init.json" "$ITERS" synth-full --binary-cols 16
FULL_SPI=$VEM_SPI
has_peer sklearn && peer_case "$L" scikit-learn "BLAS $NPROC" "$ITERS" synth-full \
    "$PYTHON" bench/sklearn_gmm.py "$SYNTH" --binary-cols 16 --init "$OUT/synth_k8_full.init.json" \
    --max-iter "$ITERS"
has_peer mclust && peer_case "$L" mclust 1 "$ITERS_MCLUST_FULL" synth-full \
    "$RSCRIPT" bench/mclust_gmm.R "$SYNTH" "$OUT/synth_k8_full.init.json" "$ITERS_MCLUST_FULL" \
    --binary-cols 16

# --- 1e6 x 16, K = 8, diagonal
L="synthetic 1e6x16, K=8, diag"
vem_case "$L" "$SYNTH" 8 diag "$OUT/synth_k8_diag.init.json" "$ITERS" synth-diag --binary-cols 16
has_peer sklearn && peer_case "$L" scikit-learn "BLAS $NPROC" "$ITERS" synth-diag \
    "$PYTHON" bench/sklearn_gmm.py "$SYNTH" --binary-cols 16 --init "$OUT/synth_k8_diag.init.json" \
    --max-iter "$ITERS"
has_peer mclust && peer_case "$L" mclust 1 "$ITERS" synth-diag \
    "$RSCRIPT" bench/mclust_gmm.R "$SYNTH" "$OUT/synth_k8_diag.init.json" "$ITERS" --binary-cols 16
has_peer vlfeat && peer_case "$L" "VLFeat vl_gmm" "$THREADS" "$ITERS" synth-diag \
    "$OUT/vlfeat_gmm" "$SYNTH" 16 "$OUT/synth_k8_diag.init.json" "$ITERS" "$THREADS"

# --- digits 1797 x 64, K = 10, full
L="digits 1797x64, K=10, full"
vem_case "$L" "$DIGITS" 10 full "$OUT/digits_k10_full.init.json" "$ITERS_DIGITS" digits-full
has_peer sklearn && peer_case "$L" scikit-learn "BLAS $NPROC" "$ITERS_DIGITS" digits-full \
    "$PYTHON" bench/sklearn_gmm.py "$DIGITS" --init "$OUT/digits_k10_full.init.json" \
    --max-iter "$ITERS_DIGITS"
has_peer mclust && peer_case "$L" mclust 1 "$ITERS_DIGITS" digits-full \
    "$RSCRIPT" bench/mclust_gmm.R "$DIGITS" "$OUT/digits_k10_full.init.json" "$ITERS_DIGITS"

# --- whole processes on small data, against importing scikit-learn
proc_best() { # proc_best COMMAND...: best wall seconds of the whole process
    b=""
    for i in $(seq "$REPEAT"); do
        t0=$(now); "$@" >/dev/null 2>&1 || die "failed: $*"; t1=$(now)
        b=$(min "$b" "$(calc 'b - a' "$t0" "$t1")")
    done
    echo "$b"
}
P_FAITH=$(proc_best "$VEM" fit gmm examples/data/faithful.csv -k 2 --threads "$THREADS")
P_PENG=$(proc_best "$VEM" fit gmm examples/data/penguins.csv -k 3 --columns "$PENGUIN_COLS" \
    --threads "$THREADS")
P_PENG_SEL=$(proc_best "$VEM" fit gmm examples/data/penguins.csv -k 1-9 --covariance all \
    --select bic --columns "$PENGUIN_COLS" --threads "$THREADS")
P_IMPORT=$(proc_best "$PYTHON" -c 'import sklearn.mixture')

# --- reading, memory, k-means initialisation
P_CSV=$(proc_best "$VEM" fit gmm "$SYNTH_CSV" --no-header -k 1 --covariance spherical --max-iter 1 \
    --tol 0 --init random --threads "$THREADS")
P_F64=$(proc_best "$VEM" fit gmm "$SYNTH" --binary-cols 16 -k 1 --covariance spherical \
    --max-iter 1 --tol 0 --init random --threads "$THREADS")
/usr/bin/time -v "$VEM" fit gmm "$SYNTH" --binary-cols 16 -k 8 --covariance full \
    --init-model "$OUT/synth_k8_full.init.json" --max-iter "$ITERS" --tol 0 --threads "$THREADS" \
    >/dev/null 2>"$OUT/runs/rss.txt" || true
RSS_KB=$(awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }' "$OUT/runs/rss.txt")
# vem's CPU time per iteration (user + system, all threads), which a busy machine
# inflates much less than wall time: (cpu(N iterations) - cpu(1)) / (N - 1), best of REPEAT.
vem_cpu() { # vem_cpu COV INIT
    b=""
    for i in $(seq "$REPEAT"); do
        for it in 1 "$ITERS"; do
            /usr/bin/time -f "%U %S" -o "$OUT/runs/cpu.$it.txt" "$VEM" fit gmm "$SYNTH" \
                --binary-cols 16 -k 8 --covariance "$1" --init-model "$2" --max-iter "$it" --tol 0 \
                --threads "$THREADS" >/dev/null 2>&1 || true
        done
        c1=$(awk '{ print $1 + $2 }' "$OUT/runs/cpu.1.txt")
        cn=$(awk '{ print $1 + $2 }' "$OUT/runs/cpu.$ITERS.txt")
        b=$(min "$b" "$(calc '(b - a) / (c - 1)' "$c1" "$cn" "$ITERS")")
    done
    echo "$b"
}
CPU_FULL=$(vem_cpu full "$OUT/synth_k8_full.init.json")
CPU_DIAG=$(vem_cpu diag "$OUT/synth_k8_diag.init.json")
KM_BEST=""
for i in $(seq "$REPEAT"); do
    "$VEM" fit gmm "$SYNTH" --binary-cols 16 -k 8 --covariance full --max-iter 1 --tol 0 \
        --seed 3 --threads "$THREADS" --json >"$OUT/runs/kmeans-init.vem.json" 2>/dev/null || true
    KM_BEST=$(min "$KM_BEST" "$(jq -r '.trace[0].seconds' "$OUT/runs/kmeans-init.vem.json")")
done

# --- roofline: FLOPs of one full-covariance iteration as vem computes it, per row and
# component: x^T U_k (upper triangular) d(d+1)/2 multiply-adds, minus mu_k^T U_k and the
# squared norm 3d; r x d multiplies and S1 d adds; the upper triangle of S2 d(d+1)/2
# multiply-adds. A dense GEMM formulation (scikit-learn) does 2 d^2 + ... instead.
N=1000000 D=16 K=8
FLOPS=$(calc 'a * b * (2 * c * (c + 1) + 5 * c)' "$N" "$K" "$D")
FLOPS_DENSE=$(calc 'a * b * (4 * c * c + 5 * c)' "$N" "$K" "$D")
PEAK=$("$OUT/dgemm_peak" 2000)
G1=$(echo "$PEAK" | jq -r .gflops_1_thread)
G2=$(echo "$PEAK" | jq -r .gflops_2_threads)

echo "$("$VEM" --version 2>/dev/null | head -n 1 || true) ($VEM, --threads $THREADS);" \
    "best of $REPEAT runs (vem: $VEM_REPEAT); $(nproc) CPUs; load before: $LOAD0; $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "| data | program | threads | iterations | s/iter | ratio to vem | mean log-likelihood | note |"
echo "|---|---|---|---|---|---|---|---|"
printf '%s' "$TABLE"
echo
printf 'Roofline (1e6x16, K=8, full): %.2f GFLOP per iteration counted as vem computes it' \
    "$(calc 'a / 1e9' "$FLOPS")"
printf ' (%.2f as a dense formulation); vem %.4f s/iter = %.1f GFLOP/s;' \
    "$(calc 'a / 1e9' "$FLOPS_DENSE")" "$FULL_SPI" "$(calc 'a / b / 1e9' "$FLOPS" "$FULL_SPI")"
printf ' DGEMM peak now (OpenBLAS, 2000^3): %s GFLOP/s 1 thread, %s GFLOP/s 2 threads.\n' "$G1" "$G2"
printf 'vem CPU time per iteration (user + system, all %s threads; wall time on an idle machine is about this over %s): full %.4f s, diag %.4f s.\n' \
    "$THREADS" "$THREADS" "$CPU_FULL" "$CPU_DIAG"
printf 'Roofline from CPU time: %.1f GFLOP/s per core on the full fit.\n' "$(calc 'a / b / 1e9' "$FLOPS" "$CPU_FULL")"
printf 'Peak RSS of the 1e6x16 K=8 full fit (%s iterations): %.1f MiB (the data: %.1f MiB).\n' \
    "$ITERS" "$(calc 'a / 1024' "$RSS_KB")" "$(calc 'a * 16 * 8 / 1048576' "$N")"
printf 'Reading 1e6x16: CSV (%.0f MiB) %.3f s, raw float64 %.3f s (whole process: read + a K=1 fit).\n' \
    "$(calc 'a / 1048576' "$(stat -c %s "$SYNTH_CSV")")" "$P_CSV" "$P_F64"
printf 'k-means initialisation (k-means++ and Lloyd to convergence) plus one EM iteration, 1e6x16, K=8: %.3f s.\n' "$KM_BEST"
printf 'Whole vem processes: Old Faithful K=2 %.3f s, penguins K=3 %.3f s, penguins BIC over K=1-9 x 4 covariances %.3f s; python3 -c "import sklearn.mixture" %.3f s.\n' \
    "$P_FAITH" "$P_PENG" "$P_PENG_SEL" "$P_IMPORT"
