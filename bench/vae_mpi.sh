#!/bin/sh
# bench/vae_mpi.sh — the VAE data-parallel over MPI ranks (issue 16): the same fit as
# bench/bench_vae.sh (Fashion-MNIST statically binarised, 784-400-20, Bernoulli, batch 128,
# Adam 1e-3), EPOCHS epochs in one process and on 2 ranks (`mpirun -np 2 vem fit vae ...
# --mpi`: each rank its share of the rows, each minibatch's gradient summed over the ranks),
# then both scored on the 10,000 test images. The two fits draw different noise (each rank
# draws its rows'), so they differ; their test ELBOs should agree within 0.5 nats per image.
#
#   sh bench/vae_mpi.sh            (after bench/bench_vae.sh has prepared bench/out/fmnist)
#
# Environment: VEM (a build with -DVEM_WITH_MPI=ON; default build-mpi/vem), EPOCHS (10),
# OUT (bench/out). Results: $OUT/vae-mpi/<date>/ (fit JSON, scores, table.md).
set -eu
VEM=${VEM:-build-mpi/vem}
EPOCHS=${EPOCHS:-10}
OUT=${OUT:-bench/out}
DATA=$OUT/fmnist
die() { echo "vae_mpi.sh: $*" >&2; exit 1; }
[ -f "$DATA/train-bin-f32.npy" ] || die "no $DATA/train-bin-f32.npy: run bench/bench_vae.sh first"
"$VEM" --version | grep -q "with MPI" || die "$VEM was built without MPI (cmake -DVEM_WITH_MPI=ON)"
command -v mpirun >/dev/null || die "no mpirun (apt-get install openmpi-bin)"
RUN=$OUT/vae-mpi/$(date -u +%Y%m%dT%H%MZ)
mkdir -p "$RUN"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
FIT="fit vae $DATA/train-bin-f32.npy --latent 20 --hidden 400 --likelihood bernoulli --binarize static --epochs $EPOCHS --batch-size 128 --lr 1e-3 --seed 16 --threads 1"
"$VEM" $FIT -o "$RUN/one.json" --json >"$RUN/fit-one.json"
mpirun --oversubscribe -np 2 "$VEM" $FIT --mpi -o "$RUN/two.json" --json >"$RUN/fit-two.json"
"$VEM" score "$RUN/one.json" "$DATA/test-bin-f32.npy" --json >"$RUN/score-one.json"
"$VEM" score "$RUN/two.json" "$DATA/test-bin-f32.npy" --json >"$RUN/score-two.json"
/usr/bin/python3 - "$RUN" "$EPOCHS" <<'PY' | tee "$RUN/table.md"
import json, sys
run, epochs = sys.argv[1], sys.argv[2]
one = json.load(open(f"{run}/score-one.json"))["mean_elbo"]
two = json.load(open(f"{run}/score-two.json"))["mean_elbo"]
fo = json.load(open(f"{run}/fit-one.json")); ft = json.load(open(f"{run}/fit-two.json"))
print(f"| processes | epochs | train ELBO per image | test ELBO per image |")
print(f"|---|---|---|---|")
print(f"| 1 | {epochs} | {fo['mean_elbo']:.2f} | {one:.2f} |")
print(f"| 2 (mpirun -np 2, --mpi) | {epochs} | {ft['mean_elbo']:.2f} | {two:.2f} |")
print(f"\ndifference of the test ELBOs: {abs(one - two):.3f} nats per image "
      f"({'within' if abs(one - two) <= 0.5 else 'NOT within'} 0.5)")
sys.exit(0 if abs(one - two) <= 0.5 else 1)
PY
