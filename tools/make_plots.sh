#!/bin/sh
# tools/make_plots.sh — the pictures of docs/plots.md (and README.md), made from the bundled
# data by the commands shown there:
#
#     sh tools/make_plots.sh [PATH/TO/vem [OUTDIR]]      # defaults: build/vem, docs/img
#
# Fits the models it draws (a few seconds; the LDA on Brown takes the most) in a temporary
# directory, then writes OUTDIR/*.png, 640 x 480 pixels but for the pairs (640 x 640) and the
# topics (720 x 540). tests/test_cli_plot.sh runs it into a temporary OUTDIR, so that CI checks
# that every command of the page works. Exits non-zero at the first failure.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VEM=${1:-$ROOT/build/vem}
OUT=${2:-$ROOT/docs/img}
case $VEM in /*) ;; *) VEM=$(pwd)/$VEM ;; esac
case $OUT in /*) ;; *) OUT=$(pwd)/$OUT ;; esac
DATA=$ROOT/examples/data
mkdir -p "$OUT"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vem-plots.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

# Old Faithful: the BIC over K and the 14 structures, the chosen mixture, its pictures.
"$VEM" fit gmm "$DATA/faithful.csv" -k 1-9 --covariance all --json -o faithful.json >selection.json
"$VEM" plot bic selection.json -o "$OUT/faithful-bic.png"
"$VEM" plot classification faithful.json "$DATA/faithful.csv" -o "$OUT/faithful-classification.png"
"$VEM" plot uncertainty faithful.json "$DATA/faithful.csv" -o "$OUT/faithful-uncertainty.png"
"$VEM" plot density faithful.json "$DATA/faithful.csv" -o "$OUT/faithful-density.png"
# Restarts from k-means: their traces.
"$VEM" fit gmm "$DATA/faithful.csv" -k 3 --init kmeans --n-init 4 --seed 1 --trace trace.csv >/dev/null
"$VEM" plot trace trace.csv -o "$OUT/faithful-trace.png"

# Penguins: four measurements, three species; every pair.
"$VEM" fit gmm "$DATA/penguins.csv" -k 3 --covariance VEV \
    --columns beak_length_mm,beak_depth_mm,flipper_length_mm,body_mass_g -o penguins.json >/dev/null
"$VEM" plot classification penguins.json "$DATA/penguins.csv" --pairs --width 640 --height 640 \
    -o "$OUT/penguins-pairs.png"

# Seattle's weather: a three-state Gaussian HMM of the daily highest temperature and wind.
"$VEM" fit hmm "$DATA/seattle-weather.csv" --states 3 --emission gaussian --covariance diag \
    --columns temp_max,wind --seed 1 -o seattle.json >/dev/null
"$VEM" plot states seattle.json "$DATA/seattle-weather.csv" -o "$OUT/seattle-states.png"

# The Brown corpus: eight topics.
"$VEM" fit lda "$DATA/brown/docword.brown.train.txt" --vocab "$DATA/brown/vocab.brown.txt" \
    -k 8 --seed 3 -o brown.json >/dev/null
"$VEM" plot topics brown.json --top 8 --width 720 --height 540 -o "$OUT/brown-topics.png"
"$VEM" plot topic-map brown.json -o "$OUT/brown-topic-map.png"
# Fashion-MNIST's bundled subset: a VAE with a two-dimensional latent space (a few seconds).
FM=$DATA/fashion-mnist
"$VEM" fit vae "$FM/train-images-idx3-ubyte.gz" --scale 255 --binarize static --latent 2 \
    --hidden 128 --epochs 30 --seed 1 -o fashion.json >/dev/null
"$VEM" plot samples fashion.json --n 24 -o "$OUT/fashion-samples.png"
"$VEM" plot reconstructions fashion.json "$FM/t10k-images-idx3-ubyte.gz" --scale 255 \
    -o "$OUT/fashion-reconstructions.png"
"$VEM" plot latent fashion.json "$FM/train-images-idx3-ubyte.gz" --scale 255 \
    --labels "$FM/train-labels-idx1-ubyte.gz" -o "$OUT/fashion-latent.png"
echo "$(ls "$OUT"/*.png | wc -l) pictures in $OUT"
