#!/bin/sh
# bench/bench_stream.sh — out-of-core fits: peak memory and speed of `vem fit lda --stream`
# (batch and online) beside gensim's LdaModel streaming the same corpus from disk, and of
# `vem fit hmm --stream` on 10 million frames, in one run.
#
#   sh bench/bench_stream.sh        (from the repository root; see bench/README.md,
#                                    "Out-of-core (streaming)")
#
# Makes what it lacks in $OUT: a planted-LDA corpus in UCI format (stream_make_corpus.py;
# 2,000,000 documents x 100 tokens over V = 50,000 words: 3.1 GB) and HMM frames
# (stream_make_frames.py; 10,000 sequences x 1,000 frames x 2 columns, raw float64).
# Each program runs under /usr/bin/time -v: peak RSS (maximum resident set size) and wall
# time of the whole process. Budgets (issue 13): LDA 150 MB + K x V doubles, HMM 100 MB
# (MB = 10^6 bytes, the stricter reading).
#
# Environment: VEM (build/vem), PYTHON (/usr/bin/python3, with numpy and Debian's
# python3-gensim), OUT (bench/out), DOCS (2000000), VOCAB (50000), TOKENS (100 per
# document), K (50), PASSES (1), FRAMES (10000000: FRAMES / 1000 sequences of 1,000),
# THREADS (0 = all), GENSIM (1; 0 skips gensim), GENSIM_ONLINE_DOCS (all), GENSIM_BATCH_DOCS
# (200000: gensim's batch pass costs about 1.4 ms a document here, over 45 minutes for 2
# million; its rate and memory do not depend on how many documents it reads),
# VEM_BATCH2 (2000: one more vem online run with gensim's minibatch size; 0 skips it).
# Needs jq and GNU time (Debian: time).
set -eu

VEM=${VEM:-build/vem}
PYTHON=${PYTHON:-/usr/bin/python3}
OUT=${OUT:-bench/out}
DOCS=${DOCS:-2000000}
VOCAB=${VOCAB:-50000}
TOKENS=${TOKENS:-100}
K=${K:-50}
PASSES=${PASSES:-1}
FRAMES=${FRAMES:-10000000}
THREADS=${THREADS:-0}
GENSIM=${GENSIM:-1}
GENSIM_ONLINE_DOCS=${GENSIM_ONLINE_DOCS:-$DOCS}
GENSIM_BATCH_DOCS=${GENSIM_BATCH_DOCS:-200000}
VEM_BATCH2=${VEM_BATCH2:-2000}

die() { echo "bench_stream.sh: $*" >&2; exit 1; }
[ -x "$VEM" ] || die "no vem binary at $VEM (build it, or set VEM)"
[ -x /usr/bin/time ] || die "GNU time is needed at /usr/bin/time (Debian: apt-get install time)"
command -v jq >/dev/null || die "jq is needed"
[ $((FRAMES % 1000)) -eq 0 ] || die "FRAMES must be a multiple of 1000"
if [ "$GENSIM" = 1 ]; then
    "$PYTHON" -c 'import gensim' 2>/dev/null ||
        die "gensim is not importable by $PYTHON (Debian: apt-get install python3-gensim; or GENSIM=0)"
fi
mkdir -p "$OUT/runs"

CORPUS=$OUT/stream_d${DOCS}_v${VOCAB}_t${TOKENS}
DOCWORD=$CORPUS.docword.txt
VOCABF=$CORPUS.vocab.txt
SEQS=$((FRAMES / 1000))
HMMDATA=$OUT/stream_hmm_${SEQS}x1000
if [ ! -f "$DOCWORD" ] || [ ! -f "$VOCABF" ]; then
    echo "making the corpus $DOCWORD ..." >&2
    "$PYTHON" bench/stream_make_corpus.py "$CORPUS" --docs "$DOCS" --vocab "$VOCAB" \
        --tokens "$TOKENS" >&2
fi
if [ ! -f "$HMMDATA.f64" ] || [ ! -f "$HMMDATA.lengths" ]; then
    echo "making the frames $HMMDATA.f64 ..." >&2
    "$PYTHON" bench/stream_make_frames.py "$HMMDATA" --seqs "$SEQS" --length 1000 >&2
fi
CORPUS_BYTES=$(wc -c <"$DOCWORD")
NNZ=$(sed -n 3p "$DOCWORD")
NTOK=$((DOCS * TOKENS)) # every document has exactly TOKENS tokens (stream_make_corpus.py)
HMM_BYTES=$(wc -c <"$HMMDATA.f64")
LDA_BUDGET=$(awk -v k="$K" -v v="$VOCAB" 'BEGIN { printf "%.1f", 150 + k * v * 8 / 1e6 }')
HMM_BUDGET=100

# timed TAG COMMAND...: run under /usr/bin/time -v, stdout to $OUT/runs/stream-TAG.json;
# sets WALL (seconds) and RSS (MB, 10^6 bytes).
timed() {
    tag=$1
    shift
    /usr/bin/time -v -o "$OUT/runs/stream-$tag.time" "$@" >"$OUT/runs/stream-$tag.json" ||
        die "$tag failed: $* (see $OUT/runs/stream-$tag.time)"
    WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ {
        n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' \
        "$OUT/runs/stream-$tag.time")
    RSS=$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 * 1024 / 1e6 }' \
        "$OUT/runs/stream-$tag.time")
}

ROWS=$OUT/runs/stream-rows.txt
: >"$ROWS"
# row MODEL TOOL ALGORITHM DATA PASSES PROCESS_S FIT_S UNITS UNIT RSS BUDGET
row() {
    awk -v m="$1" -v tool="$2" -v alg="$3" -v data="$4" -v p="$5" -v w="$6" -v s="$7" \
        -v n="$8" -v unit="$9" -v rss="${10}" -v b="${11}" 'BEGIN {
        verdict = b == "-" ? "-" : (rss + 0 < b + 0 ? "PASS" : "FAIL")
        printf "| %s | %s | %s | %s | %s | %.1f | %.1f | %.2f M %s/s | %.1f | %s | %s |\n",
            m, tool, alg, data, p, w, s, n * p / s / 1e6, unit, rss, b, verdict }' >>"$ROWS"
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
echo "load before: $LOAD_BEFORE" >&2

# vem, LDA streamed: batch, online (default minibatch), online with gensim's minibatch.
lda_data="$DOCS docs x $TOKENS tokens, V=$VOCAB"
for alg in batch stepwise stepwise-b; do
    case $alg in
    batch) set -- --algorithm batch ;;
    stepwise) set -- --algorithm stepwise ;;
    stepwise-b)
        [ "$VEM_BATCH2" != 0 ] || continue
        set -- --algorithm stepwise --batch-size "$VEM_BATCH2" ;;
    esac
    echo "vem fit lda --stream $* ..." >&2
    timed "lda-vem-$alg" "$VEM" fit lda "$DOCWORD" --vocab "$VOCABF" -k "$K" --stream "$@" \
        --passes "$PASSES" --tol 0 --seed 0 --threads "$THREADS" --json
    j=$OUT/runs/stream-lda-vem-$alg.json
    [ "$(jq .n_obs "$j")" = "$NTOK" ] || die "vem read $(jq .n_obs "$j") tokens, expected $NTOK"
    case $alg in
    batch) label="batch" ;;
    stepwise) label="online (stepwise, default minibatch)" ;;
    *) label="online (stepwise, minibatch $VEM_BATCH2)" ;;
    esac
    row LDA vem "$label" "$lda_data" "$(jq .n_iter "$j")" "$WALL" "$(jq .seconds "$j")" \
        "$NTOK" tokens "$RSS" "$LDA_BUDGET"
done

# gensim's LdaModel streaming the same file (UciCorpus).
if [ "$GENSIM" = 1 ]; then
    GENSIM_VERSION=$("$PYTHON" -c 'import gensim; print(gensim.__version__)')
    timed gensim-import "$PYTHON" -c 'import gensim.models, gensim.corpora'
    IMPORT_RSS=$RSS
    for mode in online batch; do
        if [ "$mode" = online ]; then n=$GENSIM_ONLINE_DOCS; else n=$GENSIM_BATCH_DOCS; fi
        [ "$n" -lt "$DOCS" ] || n=$DOCS
        count=
        [ "$mode" = batch ] || count=--count
        echo "gensim LdaModel $mode, $n documents ..." >&2
        # shellcheck disable=SC2086
        timed "lda-gensim-$mode" "$PYTHON" bench/gensim_lda_stream.py "$DOCWORD" "$VOCABF" "$K" \
            "$PASSES" "$mode" --docs "$n" $count
        j=$OUT/runs/stream-lda-gensim-$mode.json
        if [ "$n" -lt "$DOCS" ]; then
            data="first $n of the $DOCS docs"
        else
            data="$lda_data"
        fi
        if [ "$mode" = online ]; then
            label="online (update_every=1, chunksize 2000)"
            GENSIM_READ="its reader (UciCorpus) alone streamed those $n documents in $(jq '.count_seconds * 10 | floor / 10' "$j") s (a pass after training that only sums the counts)"
        else
            label="batch (update_every=0, chunksize 2000)"
        fi
        row LDA "gensim $GENSIM_VERSION" "$label" "$data" "$PASSES" "$WALL" \
            "$(jq .seconds "$j")" "$((n * TOKENS))" tokens "$RSS" -
        if [ "$n" -lt "$DOCS" ]; then
            GENSIM_SUBSET_NOTE="${GENSIM_SUBSET_NOTE:-}gensim $mode read the first $n documents only; at its rate all $DOCS would take about $(jq -r --argjson d "$DOCS" --argjson n "$n" '.seconds * $d / $n | floor' "$j") s."
        fi
    done
fi

# vem, HMM streamed (and in memory, for comparison).
hmm_data="$SEQS seqs x 1000 frames x 2 cols"
for mode in stream memory; do
    s=
    [ "$mode" = memory ] || s=--stream
    echo "vem fit hmm $s ..." >&2
    # shellcheck disable=SC2086
    timed "hmm-vem-$mode" "$VEM" fit hmm "$HMMDATA.f64" --binary-cols 2 \
        --lengths "$HMMDATA.lengths" -k 3 --emission gaussian $s --max-iter 5 --tol 0 \
        --seed 0 --threads "$THREADS" --json
    j=$OUT/runs/stream-hmm-vem-$mode.json
    [ "$(jq .n_obs "$j")" = "$FRAMES" ] || die "vem read $(jq .n_obs "$j") frames, expected $FRAMES"
    if [ "$mode" = stream ]; then
        row HMM vem "Baum-Welch, streamed" "$hmm_data" "$(jq .n_iter "$j")" "$WALL" \
            "$(jq .seconds "$j")" "$FRAMES" frames "$RSS" "$HMM_BUDGET"
    else
        row HMM vem "Baum-Welch, in memory (reference)" "$hmm_data" "$(jq .n_iter "$j")" \
            "$WALL" "$(jq .seconds "$j")" "$FRAMES" frames "$RSS" -
    fi
done

{
    echo "bench_stream.sh, $(date -u +%Y-%m-%dT%H:%MZ); $($VEM --version 2>/dev/null | head -1 || echo vem)"
    echo "CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) CPUs; AVX-512: $(grep -q avx512f /proc/cpuinfo && echo yes || echo no); load before: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "LDA corpus: $DOCWORD, $CORPUS_BYTES bytes ($(awk -v b="$CORPUS_BYTES" 'BEGIN { printf "%.2f", b / 1e9 }') GB), $DOCS documents, $NNZ lines, $NTOK tokens, V = $VOCAB; K = $K"
    echo "HMM frames: $HMMDATA.f64, $HMM_BYTES bytes, $FRAMES frames; K = 3, Gaussian (full covariance)"
    echo
    echo "| model | tool | algorithm | data | passes | process s | fit s | rate | peak RSS MB | budget MB | within budget |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|"
    cat "$ROWS"
    echo
    echo "MB = 10^6 bytes. Budgets: LDA 150 MB + K x V x 8 bytes = $LDA_BUDGET MB; HMM $HMM_BUDGET MB."
    echo "rate = tokens (frames) x passes / fit s; fit s: vem's JSON seconds (the fit, streamed reads included), gensim's LdaModel() training time."
    echo "process s: whole process wall time (/usr/bin/time). vem's batch fit ends with one more E-step pass for the ELBO of the returned model (not counted in the rate)."
    if [ "$GENSIM" = 1 ]; then
        echo "gensim: python3 importing gensim.models and gensim.corpora alone peaks at $IMPORT_RSS MB; $GENSIM_READ."
        [ -z "${GENSIM_SUBSET_NOTE:-}" ] || echo "$GENSIM_SUBSET_NOTE"
    fi
} | tee "$OUT/stream.txt"
