#!/bin/sh
# tests/test_cli_vae.sh — `vem fit vae` and score/encode/reconstruct/sample on its model
# files, end to end: outputs, thread invariance, the IWAE bound, exit statuses.
#
#     sh tests/test_cli_vae.sh PATH/TO/vem REPO_ROOT
#
# Data: two prototypes of 16 binary pixels, drawn by awk with a fixed LCG.

NAME=cli_vae
. "$(dirname "$0")/harness.sh"

# gen N SEED: N rows of 16 zeros and ones.
gen() {
    awk -v n="$1" -v s="$2" 'function u() { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648 }
    BEGIN { for (i = 0; i < n; i++) { c = u() < 0.4; line = "";
        for (j = 0; j < 16; j++) { p = ((j + c) % 2) ? 0.85 : 0.12; line = line (j ? "," : "") (u() < p ? 1 : 0) }
        print line } }'
}
gen 400 7 >train.csv
gen 100 8 >valid.csv
gen 5 9 | cut -d, -f1-15 >narrow.csv

run fit vae train.csv --latent 2 --hidden 32 --epochs 8 --batch-size 32 --lr 0.01 \
    --validation valid.csv --patience 3 --threads 1 -o m.json --json
expect_rc "fit vae" 0
check "model and its .npy" test -s m.json -a -s m.params.npy
pyjson "fit vae keys" '"model":"vae"' "
assert d['model'] == 'vae' and d['objective_name'] == 'elbo' and d['algorithm'] == 'adam'
assert d['n'] == 400 and d['d'] == 16 and d['latent'] == 2 and d['hidden'] == [32]
assert d['n_params'] == 2 * 2 * 33 + 32 * 17 + 32 * 3 + 16 * 33
assert d['trace'][-1]['objective'] > d['trace'][0]['objective']
assert 'validation' in d['trace'][0] and d['mean_elbo'] > -9"
cp out fit1.json
run fit vae train.csv --latent 2 --hidden 32 --epochs 8 --batch-size 32 --lr 0.01 \
    --validation valid.csv --patience 3 --threads 2 --json
expect_rc "fit vae, 2 threads" 0
pycheck "1 and 2 threads: the same ELBO bits" "" "
a, b = load(1), load(2)
assert a['elbo'] == b['elbo'] and a['trace'][-1] == dict(b['trace'][-1], seconds=a['trace'][-1]['seconds'])" \
    fit1.json out

run score m.json valid.csv --importance-samples 200 --json
expect_rc "score vae" 0
pyjson "IWAE(200) >= ELBO" '"iwae"' "
assert d['model'] == 'vae' and d['n'] == 100
assert d['iwae'] >= d['elbo'] and d['iwae_se'] > 0 and d['importance_samples'] == 200"
run score m.json valid.csv
expect_rc "score vae, text" 0
expect_out "score vae, text" "mean ELBO"

run encode m.json valid.csv
expect_rc "encode" 0
check "encode: a header and 100 rows of 4" test "$(awk -F, 'NF == 4' out | wc -l)" -eq 101
run reconstruct m.json valid.csv
expect_rc "reconstruct" 0
check "reconstruct: a header and 100 rows of 16" test "$(awk -F, 'NF == 16' out | wc -l)" -eq 101
run sample m.json -n 3 --seed 4
expect_rc "sample" 0
check "sample: a header and 3 rows" test "$(wc -l <out)" -eq 4

run info m.json
expect_rc "info" 0
expect_out "info" "encoder: 16 -> 32 -> 2 x 2"

run fit vae train.csv --latent 2 --hidden 8,4 --likelihood gaussian --activation tanh \
    --epochs 2 --samples 2 -o g.json
expect_rc "fit vae gaussian, two hidden layers" 0
run score g.json valid.csv --json
expect_rc "score gaussian" 0

# Checkpoint and resume: the resumed fit's model has the uninterrupted fit's bits (Adam's
# moments and step count are in the checkpoint).
VFIT="fit vae train.csv --latent 2 --hidden 16 --epochs 7 --batch-size 50 --lr 0.01 --seed 3"
run $VFIT --binarize dynamic -o full.json
expect_rc "fit for resume" 0
run $VFIT --binarize dynamic --checkpoint ck --checkpoint-every 3 -o part.json
expect_rc "fit with checkpoints" 0
check "a checkpoint" test -s ck
pycheck "the checkpoint is mid-fit (epoch 6 of 7)" "" "
f = open('ck', 'rb'); f.readline(); f.readline()
h = json.loads(f.readline())
assert h['model'] == 'vae' and h['iter'] == 6, h['iter']"
run $VFIT --binarize dynamic --resume ck -o res.json
expect_rc "resumed fit" 0
pycheck "resumed = uninterrupted, bit for bit" "" "
import os
a, b = load(1), load(2)
fa, fb = a.pop('params_file'), b.pop('params_file')
assert a == b, (a, b)
assert open(fa, 'rb').read() == open(fb, 'rb').read(), 'parameters differ'" full.json res.json

# Fashion-MNIST's subset (IDX, gzip), bytes scaled to [0, 1] and binarised at 0.5.
FM=$ROOT/examples/data/fashion-mnist
run fit vae "$FM/train-images-idx3-ubyte.gz" --scale 255 --binarize static --latent 5 \
    --hidden 64 --epochs 2 --validation "$FM/t10k-images-idx3-ubyte.gz" -o fm.json --json
expect_rc "fit vae on Fashion-MNIST's IDX subset" 0
pyjson "Fashion-MNIST: 784 pixels, ELBO rises" '"d":784' "
assert d['d'] == 784 and d['n'] == 1000 and d['binarize'] == 'static'
assert d['trace'][1]['objective'] > d['trace'][0]['objective']"
run score fm.json "$FM/t10k-images-idx3-ubyte.gz" --scale 255 --binarize static \
    --importance-samples 20 --json
expect_rc "score on the IDX test images" 0
pyjson "IDX test images: IWAE(20) >= ELBO" "" "
assert d['n'] == 200 and d['iwae'] >= d['elbo']"

# --init-model: the saved model's architecture and weights as the start of a new fit.
run fit vae train.csv --init-model m.json --epochs 1 --batch-size 32 --lr 0.01 --threads 1 \
    -o cont.json --json
expect_rc "fit vae --init-model" 0
pycheck "--init-model: the file's architecture; its first epoch starts where m.json ended" "" "
a, b = load(1), load(2)
assert b['latent'] == 2 and b['hidden'] == [32] and b['n_params'] == a['n_params']
assert b['trace'][0]['objective'] > a['trace'][0]['objective'] + 100" fit1.json out
run fit vae train.csv --init-model m.json --latent 3
expect_rc "--init-model with --latent: refused" 1
expect_err "--init-model with --latent: refused" "architecture"
run fit vae narrow.csv --init-model m.json
expect_rc "--init-model on 15 columns for a 16-column model" 2

# Out of core (--stream): the rows read a chunk at a time. Grey levels thresholded as
# the E-step reads them (--binarize static) give the bits of the same fit on the 0/1 file.
awk -F, -v OFS=, '{ for (j = 1; j <= NF; j++) $j = $j == 1 ? 0.8 : 0.3; print }' train.csv >grey.csv
run fit vae train.csv --stream --latent 2 --hidden 32 --epochs 4 --batch-size 32 --lr 0.01 \
    --threads 1 -o s.json --json
expect_rc "fit vae --stream" 0
cp out stream01.json
pyjson "--stream: all 400 rows, the ELBO rises" "" "
assert d['n'] == 400 and d['d'] == 16 and d['streamed'] is True
assert d['trace'][-1]['objective'] > d['trace'][0]['objective'] and d['mean_elbo'] > -9"
run fit vae grey.csv --stream --binarize static --latent 2 --hidden 32 --epochs 4 \
    --batch-size 32 --lr 0.01 --threads 2 -o g.json --json
expect_rc "fit vae --stream --binarize static on grey levels" 0
pycheck "--stream: grey levels thresholded on the fly = the 0/1 file, 1 and 2 threads" "" "
a, b = load(1), load(2)
assert a['elbo'] == b['elbo'] and b['binarize'] == 'static'" stream01.json out
check "--stream --binarize static: the model file says none (as in memory)" \
    "$PY" -c "import json, sys; sys.exit(json.load(open('g.json'))['binarize'] != 'none')"
run fit vae fm.json --stream
expect_rc "--stream of a JSON file: refused" 2

# Usage errors and bad input.
run fit vae train.csv --likelihood gaussian --binarize dynamic
expect_rc "dynamic binarisation needs bernoulli" 1
run fit vae train.csv --patience 2
expect_rc "--patience needs --validation" 1
expect_err "--patience needs --validation" "--validation"
run fit vae train.csv --algorithm stepwise
expect_rc "vae takes no --algorithm" 1
run fit vae train.csv --hidden 10,0
expect_rc "--hidden with a zero" 1
run fit vae train.csv --validation missing.csv
expect_rc "missing validation file" 2
run score m.json narrow.csv
expect_rc "score: 15 columns for a 16-column model" 2
printf '{"format": "vem-model", "version": 1, "model": "vae", "d": 16, "latent": 2, "hidden": [32], "likelihood": "bernoulli", "activation": "relu", "samples": 1, "n_params": 99, "params_file": "m.params.npy"}\n' >bad.json
run score bad.json valid.csv
expect_rc "n_params against the architecture" 2
expect_err "n_params against the architecture" "n_params"

finish
