#!/bin/sh
# fuzz/make_corpus.sh VEM [FUZZ_CHECKPOINT] — write the seed corpus fuzz/corpus/HARNESS/
# from the test fixtures (tests/data, tests/golden), a few lines or images of examples/data, and
# model files fitted by the program VEM (a built vem). Each seed is a fixture with the
# harness's option byte in front (see the harness's comment). The checkpoint seeds are
# written by the harness FUZZ_CHECKPOINT (default build-fuzz/fuzz_checkpoint, built by
# tools/fuzz.sh) itself: every fit's checkpoint, with the harness's tag. Run from
# anywhere; overwrites.
set -eu
VEM=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")/.."
FZCK=${2:-build-fuzz/fuzz_checkpoint}
[ -x "$FZCK" ] || { echo "fuzz/make_corpus.sh: no harness $FZCK (build it: tools/fuzz.sh)" >&2; exit 1; }
FZCK=$(cd "$(dirname "$FZCK")" && pwd)/$(basename "$FZCK")
T=tests/data E=examples/data G=tests/golden C=fuzz/corpus
# The regression inputs (fuzz/corpus/*/regress_*: what a run once found) are kept.
keep=$(mktemp -d)
for f in "$C"/*/regress_*; do
    [ -e "$f" ] || continue
    mkdir -p "$keep/$(basename "$(dirname "$f")")"
    cp "$f" "$keep/$(basename "$(dirname "$f")")/"
done
rm -rf "$C"
for h in csv text_table binary docword ldac vocab lengths frames npy idx npy_data corpus_build \
    model_gmm model_hmm model_lda model_vbgmm model_blr model_blogr model_vae model_glmm \
    checkpoint; do
    mkdir -p "$C/$h"
done

# seed HARNESS NAME OPTION_BYTE_OCTAL FILE: the file with the option byte in front.
seed() {
    { printf "\\$3"; cat "$4"; } >"$C/$1/$2"
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
head -n 12 $E/faithful.csv >"$tmp/faithful.csv"
head -n 8 $E/penguins.csv >"$tmp/penguins.csv"
head -n 8 $E/seattle-weather.csv >"$tmp/weather.csv"

for f in $T/io_*.csv $T/io_tab.tsv "$tmp/faithful.csv" "$tmp/penguins.csv"; do
    b=$(basename "$f")
    seed csv "$b" 000 "$f"                  # detect everything
    seed csv "r_$b" 200 "$f"                # also ranges and a source
    seed text_table "$b" 000 "$f"
    seed text_table "twice_$b" 040 "$f"     # columns "1,1"
done
seed csv "cols_faithful.csv" 220 "$tmp/faithful.csv"      # columns "2,1", ranges
seed text_table "rows_weather.csv" 200 "$tmp/weather.csv" # rows [1, 3)
seed text_table "weather.csv" 000 "$tmp/weather.csv"

# raw float64: the faithful rows above as 2 columns
python3 - "$tmp/faithful.csv" "$tmp/faithful.bin" <<'PY'
import struct, sys
rows = [l.strip().split(',') for l in open(sys.argv[1])][1:]
open(sys.argv[2], 'wb').write(b''.join(struct.pack('<2d', *map(float, r)) for r in rows))
PY
seed binary faithful2 001 "$tmp/faithful.bin"        # 2 columns
seed binary faithful2_src 011 "$tmp/faithful.bin"    # and a source
seed binary faithful2_share 131 "$tmp/faithful.bin"  # share 1 of 2
seed binary faithful1 000 "$tmp/faithful.bin"        # 1 column

for f in $T/lda_*.docword.txt; do
    b=$(basename "$f")
    seed docword "$b" 000 "$f"
    seed docword "v5_$b" 001 "$f"       # nvocab 5
    seed docword "share_$b" 006 "$f"    # share 0 of 2
    seed docword "src_$b" 027 "$f"      # source, share 1 of 2
done
for f in $T/lda_*.ldac; do
    b=$(basename "$f")
    seed ldac "$b" 000 "$f"
    seed ldac "v5_$b" 001 "$f"
    seed ldac "share_$b" 006 "$f"
    seed ldac "src_$b" 027 "$f"
done
cp $T/lda_*.vocab.txt $T/lda_stop.txt $E/stopwords-en.txt "$C/vocab/"

printf '3\n2\n' >"$tmp/l1"
printf '# lengths\n1\n\n4\r\n' >"$tmp/l2"
seed lengths plain 005 "$tmp/l1"
seed lengths any 000 "$tmp/l1"
seed lengths comments 005 "$tmp/l2"

printf 'seq,x,y\n1,0.5,1\n1,0.7,2\n2,3,4\n' >"$tmp/f1"
printf 'sym\na\nb\na\nc\n' >"$tmp/f2"
printf '0\n1\n2\n1\n' >"$tmp/f3"
printf 'x,y\n1,2\n3,4\n5,6\n\n#lengths\n1\n2\n' >"$tmp/f4"
printf 'id,sym\ns1,a\ns1,b\ns2,c\n' >"$tmp/f5"
seed frames seqcol 010 "$tmp/f1"        # sequence column "seq"
seed frames range 100 "$tmp/f1"         # rows [1, 4)
seed frames given_cols 020 "$tmp/f1"    # columns x, y
seed frames names 001 "$tmp/f2"         # categorical
seed frames symbols 021 "$tmp/f2"       # categorical, symbols a, b, c
seed frames codes 007 "$tmp/f3"         # categorical, integer codes
seed frames lengths 040 "$tmp/f4"       # lengths file
seed frames weather 000 "$tmp/weather.csv"

cat $T/lda_texts/*.txt >"$tmp/texts"
{ cat "$tmp/texts"; printf '\n#stop\n'; cat $T/lda_stop.txt; } >"$tmp/texts_stop"
seed corpus_build texts 000 "$tmp/texts"
seed corpus_build texts_stop 001 "$tmp/texts_stop"       # stop words
seed corpus_build texts_df 016 "$tmp/texts"              # min_len 1, min_df 2, max_df 0.5
seed corpus_build texts_vocab 020 "$tmp/texts"           # given vocabulary
head -c 3000 $E/SOURCES.md >"$tmp/prose"
seed corpus_build prose 000 "$tmp/prose"

# model files
m=$tmp/m
mkdir "$m"
q() { "$VEM" "$@" >/dev/null 2>&1; }
q fit gmm $E/faithful.csv -k 2 -o "$m/gmm_full.json"
q fit gmm $E/faithful.csv -k 2 --covariance diag -o "$m/gmm_diag.json"
q fit gmm $E/faithful.csv -k 2 --covariance VEV -o "$m/gmm_vev.json"
q fit gmm $E/faithful.csv -k 2 --covariance tied --prior -o "$m/gmm_tied_prior.json"
q fit gmm $E/faithful.csv -k 2 --covariance spherical -o "$m/gmm_spherical.json"
q fit hmm $E/faithful.csv --states 2 --emission gaussian -o "$m/hmm_gauss.json"
q fit hmm $E/seattle-weather.csv --states 3 --emission categorical --columns weather \
    --seed 4 --max-iter 3 -o "$m/hmm_cat.json"
q fit hmm $E/faithful.csv --states 2 --emission gmm --mix 2 --covariance diag \
    --max-iter 3 -o "$m/hmm_gmm.json"
q fit vbgmm $E/faithful.csv -k 2 --max-iter 5 -o "$m/vb_full.json"
q fit vbgmm $E/faithful.csv -k 2 --covariance diag --max-iter 5 -o "$m/vb_diag.json"
q fit blr $E/faithful.csv --target waiting -o "$m/blr.json"
q fit blr $E/faithful.csv --target waiting --intercept --standardize -o "$m/blr_std.json"
q fit blogr $T/blogr_penguins.csv --target chinstrap --full-rank --epochs 4 -o "$m/blogr_full.json"
q fit blogr $T/blogr_penguins.csv --target chinstrap --mean-field --epochs 4 -o "$m/blogr_mf.json"
q fit lda $T/lda_ok.docword.txt --vocab $T/lda_ok.vocab.txt -k 2 --passes 3 -o "$m/lda.json"
q fit lda $T/lda_ok.docword.txt -k 2 --passes 3 -o "$m/lda_novocab.json"
cp "$m"/gmm_*.json $G/*_k*_*.init.json "$C/model_gmm/"
cp "$m"/hmm_*.json $G/seattle_k*.init.json "$C/model_hmm/"
cp "$m"/vb_*.json "$C/model_vbgmm/"
cp "$m"/blr*.json "$C/model_blr/"
cp "$m"/blogr*.json "$C/model_blogr/"
q fit glmm $E/glmm_mcculloch.csv --target y --group group --no-intercept --max-iter 5 \
    -o "$C/model_glmm/glmm_binomial.json"
q fit glmm $E/glmm_boundary.csv --target y --group group --no-intercept --max-iter 5 \
    -o "$C/model_glmm/glmm_boundary.json"
q fit glmm $E/glmm_poisson.csv --target y --group group --family poisson --max-iter 5 \
    -o "$C/model_glmm/glmm_poisson.json"
# VAE models: the JSON naming model.params.npy, then the .npy (fuzz_model_vae.c)
q fit vae $E/faithful.csv --likelihood gaussian --latent 1 --hidden 3 --epochs 1 -o "$m/vs1.json"
printf 'a,b,c,d\n1,0,1,0\n0,1,1,0\n1,1,0,0\n0,0,1,1\n1,0,0,1\n' >"$tmp/bin.csv"
q fit vae "$tmp/bin.csv" --latent 2 --hidden 4,3 --activation tanh --epochs 1 -o "$m/vs2.json"
for n in vs1 vs2; do
    sed "s/\"$n.params.npy\"/\"model.params.npy\"/" "$m/$n.json" | cat - "$m/$n.params.npy" \
        >"$C/model_vae/$n"
done
for l in lda lda_novocab; do
    sed 's/"lambda_file": "[^"]*"/"lambda_file": "model.lambda.npy"/' "$m/$l.json" >"$tmp/$l.json"
    cat "$tmp/$l.json" "$m/$l.lambda.npy" >"$C/model_lda/$l"
done
seed npy lda_2x5 021 "$m/lda.lambda.npy"   # K = 2, V = 5
# checkpoints: NAME (the file) and NAME_wrap (header and payload, option bit 4) of
# every fit (fuzz_checkpoint.c), then two that once got through: a best restart's status
# and a selection cell's status that no fit returns (a checkpoint must not set them)
TMPDIR=$tmp VEM_FUZZ_CHECKPOINT_SEEDS=$PWD/$C/checkpoint "$FZCK" >/dev/null
python3 - "$C/checkpoint" <<'PY'
import re, struct, sys
d = sys.argv[1]
def parts(name):
    b = open(f'{d}/{name}', 'rb').read()
    h, _, p = b[1:].partition(b'\n')
    return b[:1], h, bytearray(p)
o, h, p = parts('gmm_ninit2_wrap')
p[24:32] = struct.pack('<d', 1e300)   # scalars[3]: the best objective, kept
open(f'{d}/bad_best_status', 'wb').write(
    o + h.replace(b'"best_status":-6', b'"best_status":1234') + b'\n' + p)
o, h, p = parts('gmm_select_wrap')
open(f'{d}/bad_cell_status', 'wb').write(
    o + re.sub(rb'"status":-?[0-9]+', b'"status":999', h, count=1) + b'\n' + p)
PY

# IDX and data .npy: two Fashion-MNIST test images, 20 labels, small .npy and raw files.
python3 - "$E/fashion-mnist" "$C" <<'PY'
import gzip, struct, sys
src, d = sys.argv[1], sys.argv[2] + "/"
tr = gzip.open(src + "/t10k-images-idx3-ubyte.gz").read()
lb = gzip.open(src + "/t10k-labels-idx1-ubyte.gz").read()
img2 = struct.pack(">IIII", 0x803, 2, 28, 28) + tr[16:16 + 2 * 784]
open(d + "idx/fmnist_2_plain", "wb").write(b"\x00" + img2)  # read as it is
open(d + "idx/fmnist_2_gz", "wb").write(b"\x01" + img2)     # gzipped by the harness
open(d + "idx/labels_20", "wb").write(b"\x00" + struct.pack(">II", 0x801, 20) + lb[8:28])
open(d + "idx/gzip_input", "wb").write(
    b"\x00" + gzip.compress(struct.pack(">IIII", 0x803, 1, 4, 4) + bytes(range(16)), mtime=0))
def npy(descr, shape, payload):
    h = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape)
    h += " " * ((64 - (10 + len(h) + 1) % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h.encode() + payload
open(d + "npy_data/u1_2x784", "wb").write(b"\x00" + npy("|u1", "(2, 784)", tr[16:16 + 2 * 784]))
open(d + "npy_data/f4_3", "wb").write(b"\x00" + npy("<f4", "(3,)", struct.pack("<3f", 0.5, 1, 2)))
open(d + "npy_data/f8_2x2", "wb").write(b"\x00" + npy("<f8", "(2, 2)", struct.pack("<4d", 1, 2, 3, 4)))
open(d + "npy_data/raw_f32_2col", "wb").write(bytes([1 | 1 << 1 | 1 << 3]) + struct.pack("<4f", 1, 2, 3, 4))
open(d + "npy_data/raw_u8_4col", "wb").write(bytes([1 | 2 << 1 | 3 << 3]) + bytes(range(16)))
PY
echo "fuzz/make_corpus.sh: $(find "$C" -type f | wc -l) seeds, $(du -sk "$C" | cut -f1) kB"
cp -R "$keep"/. "$C"/ 2>/dev/null || true
rm -rf "$keep"
