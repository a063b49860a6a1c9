#!/bin/sh
# bench/bench_mclust.sh — the 14-model selection, vem fit gmm --covariance all -k 1-9
# (its defaults: the hierarchical start, EM to a total change of 1e-8 nats), against R
# mclust's Mclust(X, G = 1:9) (its defaults) on faithful and penguins, in one run.
#
#   sh bench/bench_mclust.sh            (from the repository root; see bench/README.md)
#
# Environment: VEM (default build/vem), RSCRIPT (default Rscript, with mclust), THREADS
# (vem --threads, default 2), REPEAT (default 3: best of REPEAT for every time). Needs jq.
# Times: vem's whole process (wall, best of REPEAT) and the selection inside it (the
# JSON's seconds: the 126 fits, data already read); mclust's Mclust() call alone
# (system.time inside R, best of REPEAT, library loaded and data read beforehand) and
# the whole Rscript process (wall, best of REPEAT; it runs Mclust() once). Prints a
# markdown table; the ratios are mclust's time over vem's process time.
set -eu

VEM=${VEM:-build/vem}
. "$(dirname "$0")/openblas_env.sh"
RSCRIPT=${RSCRIPT:-Rscript}
THREADS=${THREADS:-2}
REPEAT=${REPEAT:-3}
PENGUIN_COLS=beak_length_mm,beak_depth_mm,flipper_length_mm,body_mass_g

die() { echo "bench_mclust.sh: $*" >&2; exit 1; }
[ -x "$VEM" ] || die "no vem binary at $VEM (build it, or set VEM)"
command -v jq >/dev/null || die "jq is needed"
"$RSCRIPT" -e 'suppressMessages(library(mclust))' >/dev/null 2>&1 || die "$RSCRIPT has no mclust"
now() { date +%s.%N; }
calc() { awk -v a="${2:-0}" -v b="${3:-0}" "BEGIN { printf \"%s\", $1 }"; }
min() { if [ -z "$1" ] || [ "$(calc '(b < a) ? 1 : 0' "$1" "$2")" = 1 ]; then echo "$2"; else echo "$1"; fi; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)
avx=$(grep -q avx512f /proc/cpuinfo && echo yes || echo no)
echo "vem $("$VEM" --version | cut -d' ' -f2) ($VEM, --threads $THREADS); R $("$RSCRIPT" -e 'cat(as.character(getRversion()))'), mclust $("$RSCRIPT" -e 'cat(as.character(packageVersion("mclust")))' 2>/dev/null);" \
    "$cpu, AVX-512: $avx, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "| data | n x d | vem process s | vem selection s | Mclust() s | Rscript process s | Mclust()/vem | Rscript/vem | vem choice | mclust choice |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for set in faithful penguins; do
    if [ "$set" = faithful ]; then data=examples/data/faithful.csv; cols=""; else
        data=examples/data/penguins.csv; cols=$PENGUIN_COLS; fi
    vp=""; vs=""
    for i in $(seq "$REPEAT"); do
        t0=$(now)
        "$VEM" fit gmm "$data" -k 1-9 --covariance all --threads "$THREADS" --json \
            ${cols:+--columns "$cols"} >"$TMP/vem.json" 2>/dev/null || die "vem failed on $data"
        t1=$(now)
        vp=$(min "$vp" "$(calc 'b - a' "$t0" "$t1")")
        vs=$(min "$vs" "$(jq '.seconds' "$TMP/vem.json")")
    done
    vchoice="$(jq -r '.selection | map(select(.bic != null)) | min_by(.bic) | "\(.mclust) \(.k)"' "$TMP/vem.json")"
    vbic=$(jq '.bic' "$TMP/vem.json")
    rp=""
    for i in $(seq "$REPEAT"); do
        t0=$(now)
        "$RSCRIPT" bench/mclust_select.R "$data" ${cols:+--columns "$cols"} --repeat 1 \
            >"$TMP/r1.json" 2>/dev/null || die "Rscript failed on $data"
        t1=$(now)
        rp=$(min "$rp" "$(calc 'b - a' "$t0" "$t1")")
    done
    "$RSCRIPT" bench/mclust_select.R "$data" ${cols:+--columns "$cols"} --repeat "$REPEAT" \
        >"$TMP/r.json" 2>/dev/null || die "Rscript failed on $data"
    rs=$(jq '.seconds' "$TMP/r.json")
    rchoice="$(jq -r '"\(.model) \(.k)"' "$TMP/r.json")"
    rbic=$(jq '.bic' "$TMP/r.json")
    nd="$(jq '.n' "$TMP/r.json") x $(jq '.d' "$TMP/r.json")"
    echo "| $set | $nd | $(printf %.3f "$vp") | $(printf %.3f "$vs") | $(printf %.3f "$rs") | $(printf %.3f "$rp") | $(printf %.1f "$(calc 'b / a' "$vp" "$rs")") | $(printf %.1f "$(calc 'b / a' "$vp" "$rp")") | $vchoice (BIC $(printf %.3f "$vbic")) | $rchoice (BIC $(printf %.3f "$(calc "-a" "$rbic")")) |"
done
echo
echo "vem: whole process (read, 126 fits, output), best of $REPEAT; its selection time from the JSON."
echo "mclust: Mclust(X, G = 1:9) inside R by system.time, best of $REPEAT; Rscript: the whole process, best of $REPEAT."
