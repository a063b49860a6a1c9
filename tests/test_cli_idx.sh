#!/bin/sh
# Image data through the CLI's data path (issue 16): IDX files (gzip or plain) and .npy
# chosen by their names or --format, raw values of --dtype float32|uint8, --scale;
# the same matrix by every route gives the same predictions; what cannot be read is
# refused with the file and the reason.
NAME=cli_idx
. "$(dirname "$0")/harness.sh"

FM=$DATA/fashion-mnist
TRAIN=$FM/train-images-idx3-ubyte.gz
TEST=$FM/t10k-images-idx3-ubyte.gz

run fit gmm "$TRAIN" -k 2 --covariance diag --init kmeans --seed 1 --scale 255 -o m.json
expect_rc "fit gmm on gzipped IDX images" 0
expect_out "fit gmm on IDX" "1000 rows"
check "fit gmm on IDX: 784 features" grep -q '"n_features": 784' m.json
run predict m.json "$TEST" --scale 255
expect_rc "predict on IDX test images" 0
check "predict: 200 labels" test "$(wc -l <out)" -eq 200
cp out p_idx.txt
run score m.json "$TEST" --scale 255
expect_rc "score on IDX test images" 0
expect_out "score on IDX" "rows: 200"

# The default start on 784 columns is k-means (the tree is for at most 32 columns).
run fit gmm "$TEST" -k 2 --covariance diag --seed 1 --scale 255 --max-iter 3 --json
expect_rc "fit gmm on IDX with the default start" 0
expect_out "the default start on 784 columns" '"init":"kmeans"'

run fit vbgmm "$TEST" -k 2 --covariance diag --init kmeans --seed 1 --scale 255
expect_rc "fit vbgmm on IDX" 0

# The same pixels uncompressed, as raw uint8, float32 and .npy (python3's standard library).
if [ -n "$PY" ]; then
    "$PY" - "$TEST" <<'PYEOF'
import gzip, struct, sys
raw = gzip.open(sys.argv[1]).read()
open("t10k-images-idx3-ubyte", "wb").write(raw)
px = raw[16:]
open("t.u8", "wb").write(px)
open("t.f32", "wb").write(struct.pack("<%df" % len(px), *px))
hdr = "{'descr': '|u1', 'fortran_order': False, 'shape': (200, 784), }"
hdr += " " * ((64 - (10 + len(hdr) + 1) % 64) % 64) + "\n"
open("t.npy", "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode() + px)
open("t.dat", "wb").write(open("t.npy", "rb").read())
PYEOF
fi
run predict m.json t10k-images-idx3-ubyte --scale 255
check "plain IDX predicts as gzip" cmp -s out p_idx.txt
run predict m.json t.u8 --binary-cols 784 --dtype uint8 --scale 255
expect_rc "--dtype uint8" 0
check "raw uint8 predicts as IDX" cmp -s out p_idx.txt
run predict m.json t.f32 --binary-cols 784 --dtype float32 --scale 255
check "raw float32 predicts as IDX" cmp -s out p_idx.txt
run predict m.json t.npy --scale 255
check ".npy (uint8) predicts as IDX" cmp -s out p_idx.txt
run predict m.json t.dat --format npy --scale 255
check "--format npy" cmp -s out p_idx.txt
run fit gmm t.f32 --binary-cols 784 --dtype float32 -k 2 --covariance diag --init kmeans \
    --seed 1 --scale 255
expect_rc "fit gmm on raw float32" 0

# Refusals.
run fit gmm "$TEST" -k 2 --dtype float32
expect_rc "--dtype without --binary-cols" 1
expect_err "--dtype without --binary-cols" "needs --binary-cols"
run fit gmm t.u8 --binary-cols 784 --dtype int8 -k 2
expect_rc "--dtype int8" 1
expect_err "--dtype int8" "expected float64, float32 or uint8"
run fit gmm "$TEST" -k 2 --covariance diag --stream
expect_rc "--stream with IDX" 1
expect_err "--stream with IDX" "--stream reads CSV/TSV or raw float64"
run fit gmm t.u8 --binary-cols 784 --dtype uint8 -k 2 --stream
expect_rc "--stream with uint8" 1
run fit gmm "$TEST" -k 2 --columns 1,2
expect_rc "--columns with IDX" 1
expect_err "--columns with IDX" "are for CSV files"
run fit hmm "$TEST" --states 2 --emission gaussian
expect_rc "fit hmm on IDX" 1
expect_err "fit hmm on IDX" "fit hmm reads CSV/TSV or raw float64 frames"
head -c 20 "$TEST" >cut-ubyte.gz
run fit gmm cut-ubyte.gz -k 2
check "truncated gzip IDX: exit 2" test "$rc" -eq 2
expect_err "truncated gzip IDX" "cut-ubyte.gz: "
printf 'x,y\n1,2\n' >bad.idx
run fit gmm bad.idx -k 2
expect_rc "CSV named .idx" 2
expect_err "CSV named .idx" "bad.idx: not an IDX file"
run fit gmm bad.idx --format csv -k 1
expect_rc "--format csv reads it" 0
run fit gmm t.u8 --binary-cols 784 --format idx -k 2
expect_rc "--format with --binary-cols" 1
run fit gmm "$TEST" -k 2 --scale 0
expect_rc "--scale 0" 1

finish
