#!/bin/sh
# bench/bench_vae.sh — vem's variational autoencoder against PyTorch 1.13 (Debian
# python3-torch) on statically binarised Fashion-MNIST, side by side in one run (issue 16).
#
#   sh bench/bench_vae.sh            (from the repository root; see bench/README.md, "VAE")
#
# Both fit the same model: 784-400-20 MLP VAE (ReLU; encoder 784->400->(20 means,
# 20 log-variances), decoder 20->400->784 Bernoulli logits), analytic KL, one
# reparameterised draw per image, batch 128, Adam lr 1e-3, EPOCHS epochs, on the same bits
# (bench/vae_data.py: one Bernoulli draw per pixel from grey/255, seed 16, saved once in
# $OUT/fmnist). Reported per thread count (1 and 2): seconds per epoch (training loop only;
# median over epochs), the speed-up over PyTorch (its s/epoch over vem's), the sgemm compute floor per epoch
# measured in this run (bench/sgemm_peak.c) and the fraction of it each reaches, the test
# ELBO (10,000 test images) and the IWAE bound with k = IWAE_K on the first IWAE_N test
# images, with its Monte-Carlo standard error.
#
# PyTorch gets its best thread settings: for 1 thread OMP/MKL/OpenBLAS all 1 and
# torch.set_num_threads(1); for 2 threads each of the variants in TORCH_VARIANTS_2 is probed
# on PROBE_BATCHES batches and the fastest runs the full fit (OpenBLAS threads under
# PyTorch's own OpenMP threads oversubscribe the 2 cores: OPENBLAS_NUM_THREADS=1 matters).
#
# vem runs when `vem help fit vae` succeeds (the VAE is being written; until then the
# table says "not run"):
#   vem fit vae TRAIN [--binary-cols 784] --latent 20 --hidden 400 --likelihood bernoulli \
#       --binarize static --epochs EPOCHS --batch-size 128 --lr 1e-3 --seed 16 --threads T \
#       --json -o MODEL
#   vem score MODEL TEST [--binary-cols 784] --json                    (test ELBO)
#   vem score MODEL TEST_IWAE [--binary-cols 784] --importance-samples IWAE_K --json
#   (vae16's score takes no --threads for vae models)
# VEM_FORMAT=f64 (the default; what vem's VAE reads today): TRAIN, TEST and TEST_IWAE are raw
# float64 0.0/1.0 files, row-major, 784 columns ($OUT/fmnist/*-bin.f64, written on first
# use), read with --binary-cols 784; VEM_FORMAT=npy: the float32 .npy files, no
# --binary-cols. Binarisation of 0/1 data is the identity (vem's --binarize static
# thresholds at 0.5), so --binarize static changes nothing; TEST_IWAE is the first IWAE_N
# test images.
#
# Environment: VEM (default build/vem), PYTHON (default /usr/bin/python3, which has torch),
# EPOCHS (default 50), THREADS (default "1 2"), IWAE_K (default 5000), IWAE_N (default
# 10000; 1000 is also prepared), IWAE_THREADS (the thread counts whose fits are scored by
# IWAE, default "2"), PROBE_BATCHES (default 100), OUT (default bench/out), SKIP_VEM=1,
# SKIP_TORCH=1, VEM_EXTRA (more options for vem fit vae), VEM_FORMAT (f64 or npy), VEM_ENV
# (environment for vem's runs, e.g. "OMP_WAIT_POLICY=PASSIVE": on a loaded machine GNU
# OpenMP's spinning workers cost vae16's 2-thread epochs 2.7x; PyTorch's probe tries the same).
# Results: $OUT/vae/<date>/.
set -eu

VEM=${VEM:-build/vem}
. "$(dirname "$0")/openblas_env.sh"
PYTHON=${PYTHON:-/usr/bin/python3}
EPOCHS=${EPOCHS:-50}
THREADS=${THREADS:-1 2}
IWAE_K=${IWAE_K:-5000}
IWAE_N=${IWAE_N:-10000}
IWAE_THREADS=${IWAE_THREADS:-2}
PROBE_BATCHES=${PROBE_BATCHES:-100}
OUT=${OUT:-bench/out}
SKIP_VEM=${SKIP_VEM:-0}
SKIP_TORCH=${SKIP_TORCH:-0}
VEM_EXTRA=${VEM_EXTRA:-}
VEM_FORMAT=${VEM_FORMAT:-f64}
VEM_ENV=${VEM_ENV:-}
# name:OMP_NUM_THREADS:OPENBLAS_NUM_THREADS:torch.set_num_threads:OMP_WAIT_POLICY
TORCH_VARIANTS_2=${TORCH_VARIANTS_2:-omp2-blas1:2:1:2:- omp2-blas1-passive:2:1:2:PASSIVE blas2-only:1:2:1:- omp2-blas2:2:2:2:-}
DATA=$OUT/fmnist

die() { echo "bench_vae.sh: $*" >&2; exit 1; }
"$PYTHON" -c 'import torch, numpy' 2>/dev/null || die "$PYTHON has no torch (apt-get install python3-torch, or set PYTHON)"
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] \
    || die "no Fashion-MNIST (apt-get install dataset-fashion-mnist)"
if [ ! -f "$DATA/meta.json" ]; then
    echo "binarising Fashion-MNIST into $DATA ..." >&2
    "$PYTHON" bench/vae_data.py --out "$DATA" >&2
fi
TRAIN=$DATA/train-bin-f32.npy
TEST=$DATA/test-bin-f32.npy
if [ "$IWAE_N" -ge 10000 ]; then
    TEST_IWAE=$TEST
else
    TEST_IWAE=$DATA/test-bin-f32-first$IWAE_N.npy
    if [ ! -f "$TEST_IWAE" ]; then
        "$PYTHON" -c "import numpy as np, sys; x = np.load(sys.argv[1]); np.save(sys.argv[2], x[:int(sys.argv[3])])" \
            "$TEST" "$TEST_IWAE" "$IWAE_N"
    fi
fi

RUN=$OUT/vae/$(date -u +%Y%m%dT%H%MZ)
mkdir -p "$RUN"
printf '%s\n' "$VEM_ENV" >"$RUN/vem-env.txt"
echo "results in $RUN" >&2

# The sgemm floor, measured now.
cc -O2 -std=c11 bench/sgemm_peak.c -o "$OUT/sgemm_peak" -lopenblas || die "cannot build bench/sgemm_peak.c"
# The kernels OpenBLAS chose; where they are older than the CPU, bench/openblas_env.sh
# (sourced above) exported the better ones for both programs (PyTorch calls the same
# libblas.so.3).
core=$("$OUT/sgemm_peak" core)
printf 'OpenBLAS kernels in use: %s (OPENBLAS_CORETYPE=%s)\n' "$core" "${OPENBLAS_CORETYPE:-}" | tee "$RUN/openblas.txt" >&2
"$OUT/sgemm_peak" 60000 128 784 400 20 >"$RUN/sgemm.json"

have_vem=0
if [ "$SKIP_VEM" != 1 ] && [ -x "$VEM" ] && "$VEM" help fit vae >/dev/null 2>&1; then
    have_vem=1
fi
[ "$have_vem" = 1 ] || echo "vem fit vae not available ($VEM): PyTorch side only" >&2
case $VEM_FORMAT in
npy)
    VTRAIN=$TRAIN VTEST=$TEST VTEST_IWAE=$TEST_IWAE VCOLS=
    ;;
f64)
    VTRAIN=$DATA/train-bin.f64 VTEST=$DATA/test-bin.f64 VTEST_IWAE=$DATA/test-bin-first$IWAE_N.f64
    [ "$IWAE_N" -ge 10000 ] && VTEST_IWAE=$VTEST
    VCOLS="--binary-cols 784"
    if [ "$have_vem" = 1 ]; then
        for pair in "$TRAIN:$VTRAIN" "$TEST:$VTEST" "$TEST_IWAE:$VTEST_IWAE"; do
            [ -f "${pair#*:}" ] || "$PYTHON" -c "import numpy as np, sys; np.load(sys.argv[1]).astype('<f8').tofile(sys.argv[2] + '.tmp.f64'); import os; os.replace(sys.argv[2] + '.tmp.f64', sys.argv[2])" \
                "${pair%%:*}" "${pair#*:}"
        done
    fi
    ;;
*) die "VEM_FORMAT: f64 or npy, not $VEM_FORMAT" ;;
esac

torch_run() { # T OMP BLAS TORCHT WAIT ARGS...: run vae_torch.py under those settings
    t=$1 omp=$2 blas=$3 tt=$4 wait=$5
    shift 5
    if [ "$wait" = - ]; then
        env OMP_NUM_THREADS="$omp" MKL_NUM_THREADS="$omp" OPENBLAS_NUM_THREADS="$blas" \
            "$PYTHON" bench/vae_torch.py "$TRAIN" "$TEST" --threads "$tt" "$@"
    else
        env OMP_NUM_THREADS="$omp" MKL_NUM_THREADS="$omp" OPENBLAS_NUM_THREADS="$blas" \
            OMP_WAIT_POLICY="$wait" "$PYTHON" bench/vae_torch.py "$TRAIN" "$TEST" --threads "$tt" "$@"
    fi
}

for t in $THREADS; do
    iw_k=0
    for it in $IWAE_THREADS; do [ "$it" = "$t" ] && iw_k=$IWAE_K; done
    if [ "$SKIP_TORCH" != 1 ]; then
        if [ "$t" = 1 ]; then
            best="1:1:1:-"
        else
            best= bests=
            for v in $TORCH_VARIANTS_2; do
                name=${v%%:*} rest=${v#*:}
                IFS=: read -r omp blas tt wait <<EOF
$rest
EOF
                torch_run "$t" "$omp" "$blas" "$tt" "$wait" --probe-batches "$PROBE_BATCHES" \
                    >"$RUN/torch-probe-$t-$name.json"
                s=$(jq '.probe_seconds_per_epoch_est' "$RUN/torch-probe-$t-$name.json")
                echo "PyTorch $t threads, $name: $s s/epoch (probe of $PROBE_BATCHES batches," \
                    "load $(jq -r .load "$RUN/torch-probe-$t-$name.json"))" >&2
                if [ -z "$bests" ] || awk -v a="$s" -v b="$bests" 'BEGIN { exit !(a < b) }'; then
                    best=$rest bests=$s
                fi
            done
        fi
        IFS=: read -r omp blas tt wait <<EOF
$best
EOF
        echo "PyTorch, $t thread(s): OMP $omp, OpenBLAS $blas, torch $tt, wait $wait; $EPOCHS epochs" >&2
        torch_run "$t" "$omp" "$blas" "$tt" "$wait" --epochs "$EPOCHS" --iwae-k "$iw_k" \
            --iwae-n "$IWAE_N" >"$RUN/torch-$t.json"
    fi
    if [ "$have_vem" = 1 ]; then
        model=$RUN/vem-vae-$t.json
        echo "vem, $t thread(s); $EPOCHS epochs" >&2
        l0=$(cut -d' ' -f1 /proc/loadavg)
        t0=$(date +%s.%N)
        # shellcheck disable=SC2086
        # shellcheck disable=SC2086
        if env $VEM_ENV "$VEM" fit vae "$VTRAIN" $VCOLS --latent 20 --hidden 400 --likelihood bernoulli --binarize static \
            --epochs "$EPOCHS" --batch-size 128 --lr 1e-3 --seed 16 --threads "$t" $VEM_EXTRA \
            --json -o "$model" >"$RUN/vem-fit-$t.json" 2>"$RUN/vem-fit-$t.err"; then
            t1=$(date +%s.%N)
            awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }' >"$RUN/vem-wall-$t.txt"
            echo "$l0 -> $(cut -d' ' -f1 /proc/loadavg)" >"$RUN/vem-load-$t.txt"
            env $VEM_ENV "$VEM" score "$model" "$VTEST" $VCOLS --json >"$RUN/vem-score-elbo-$t.json" \
                2>"$RUN/vem-score-elbo-$t.err" || echo "vem score (ELBO) failed: $RUN/vem-score-elbo-$t.err" >&2
            if [ "$iw_k" -gt 0 ]; then
                t0=$(date +%s.%N)
                env $VEM_ENV "$VEM" score "$model" "$VTEST_IWAE" $VCOLS --importance-samples "$iw_k" --json \
                    >"$RUN/vem-score-iwae-$t.json" 2>"$RUN/vem-score-iwae-$t.err" \
                    || echo "vem score (IWAE) failed: $RUN/vem-score-iwae-$t.err" >&2
                t1=$(date +%s.%N)
                awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }' >"$RUN/vem-iwae-wall-$t.txt"
            fi
        else
            echo "vem fit vae failed: $RUN/vem-fit-$t.err" >&2
            rm -f "$RUN/vem-fit-$t.json"
        fi
    fi
done

{
    echo "$(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs; $("$PYTHON" -c 'import torch; print("PyTorch", torch.__version__)');" \
        "vem $([ "$have_vem" = 1 ] && "$VEM" --version | cut -d' ' -f2 || echo '(no VAE)');" \
        "load $(cut -d' ' -f1-3 /proc/loadavg) at the end; $(date -u +%Y-%m-%dT%H:%MZ)"
    echo "Fashion-MNIST, static binarisation (seed 16), 784-400-20, Bernoulli, batch 128, Adam 1e-3, $EPOCHS epochs."
    echo
    "$PYTHON" bench/vae_table.py "$RUN" "$EPOCHS" "$THREADS"
} | tee "$RUN/table.md"
