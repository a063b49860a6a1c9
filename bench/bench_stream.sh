#!/bin/sh
# bench/bench_stream.sh — out-of-core fits: peak memory and speed of `vem fit lda --stream`
# (batch and online) beside gensim's LdaModel streaming the same corpus from disk, and of
# `vem fit hmm --stream` on 10 million frames, in one run.
#
#   sh bench/bench_stream.sh        (from the repository root; see bench/README.md,
#                                    "Out-of-core (streaming)")
#
# Makes what it lacks in $OUT: a planted-LDA corpus in UCI format (stream_make_corpus.py;
# 2,000,000 documents x 100 tokens over V = 50,000 words: 3.0 GB) and HMM frames
# (stream_make_frames.py; 10,000 sequences x 1,000 frames x 2 columns, raw float64).
# Each program runs under /usr/bin/time -v: peak RSS (maximum resident set size), wall
# and CPU time of the whole process. Budgets (issue 13): LDA 150 MB + K x V doubles, HMM
# 100 MB (MB = 10^6 bytes, the stricter reading). The table goes to stdout and
# $OUT/stream.txt; every run's output and time -v report stay in $OUT/runs/stream-*.
#
# Environment: VEM (build/vem), PYTHON (/usr/bin/python3, with numpy and Debian's
# python3-gensim), OUT (bench/out), DOCS (2000000), VOCAB (50000), TOKENS (100 per
# document), K (50), PASSES (1), FRAMES (10000000: FRAMES / 1000 sequences of 1,000),
# THREADS (0 = all), GENSIM (1; 0 skips gensim), GENSIM_ONLINE_DOCS (all), GENSIM_BATCH_DOCS
# (200000: gensim's batch pass costs about 1.5 ms a document here, over 45 minutes for 2
# million; its rate and memory do not depend on how many documents it reads),
# VEM_BATCH2 (2000: one more vem online run with gensim's minibatch size; 0 skips it),
# RUNS (1; 0 runs nothing and prints the table of the runs already in $OUT/runs).
# Needs jq and GNU time (Debian: time).
set -eu

VEM=${VEM:-build/vem}
. "$(dirname "$0")/openblas_env.sh"
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
RUNS=${RUNS:-1}

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
R=$OUT/runs/stream

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
NTOK=$((DOCS * TOKENS)) # every document has exactly TOKENS tokens (stream_make_corpus.py)

# timed TAG COMMAND...: run under /usr/bin/time -v; stdout to $R-TAG.json, the report to
# $R-TAG.time.
timed() {
    tag=$1
    shift
    echo "$tag: $*" >&2
    /usr/bin/time -v -o "$R-$tag.time" "$@" >"$R-$tag.json" ||
        die "$tag failed: $* (see $R-$tag.time)"
}

# ----------------------------------------------------------------------------- runs
if [ "$RUNS" = 1 ]; then
    rm -f "$R"-*.json "$R"-*.time
    {
        date -u +%Y-%m-%dT%H:%MZ
        cut -d' ' -f1-3 /proc/loadavg
    } >"$R-start.txt"
    # vem, LDA streamed: batch, online (default minibatch), online with gensim's minibatch.
    for alg in batch stepwise stepwise-b; do
        case $alg in
        batch) set -- --algorithm batch ;;
        stepwise) set -- --algorithm stepwise ;;
        stepwise-b)
            [ "$VEM_BATCH2" != 0 ] || continue
            set -- --algorithm stepwise --batch-size "$VEM_BATCH2" ;;
        esac
        timed "lda-vem-$alg" "$VEM" fit lda "$DOCWORD" --vocab "$VOCABF" -k "$K" --stream "$@" \
            --passes "$PASSES" --tol 0 --seed 0 --threads "$THREADS" --json
    done
    # gensim's LdaModel streaming the same file (its UciCorpus); online also times its reader.
    if [ "$GENSIM" = 1 ]; then
        timed gensim-import "$PYTHON" -c 'import gensim.models, gensim.corpora'
        n=$GENSIM_ONLINE_DOCS
        [ "$n" -lt "$DOCS" ] || n=$DOCS
        timed lda-gensim-online "$PYTHON" bench/gensim_lda_stream.py "$DOCWORD" "$VOCABF" "$K" \
            "$PASSES" online --docs "$n" --count
        n=$GENSIM_BATCH_DOCS
        [ "$n" -lt "$DOCS" ] || n=$DOCS
        timed lda-gensim-batch "$PYTHON" bench/gensim_lda_stream.py "$DOCWORD" "$VOCABF" "$K" \
            "$PASSES" batch --docs "$n"
    fi
    # vem, HMM streamed, and in memory for comparison.
    for mode in stream memory; do
        s=
        [ "$mode" = memory ] || s=--stream
        # shellcheck disable=SC2086
        timed "hmm-vem-$mode" "$VEM" fit hmm "$HMMDATA.f64" --binary-cols 2 \
            --lengths "$HMMDATA.lengths" -k 3 --emission gaussian $s --max-iter 5 --tol 0 \
            --seed 0 --threads "$THREADS" --json
    done
    cut -d' ' -f1-3 /proc/loadavg >"$R-end.txt"
fi

# ---------------------------------------------------------------------------- table
[ -f "$R-start.txt" ] || die "no runs in $OUT/runs (RUNS=1 makes them)"
LDA_BUDGET=$(awk -v k="$K" -v v="$VOCAB" 'BEGIN { printf "%.1f", 150 + k * v * 8 / 1e6 }')
HMM_BUDGET=100
LDA_DATA="$DOCS docs x $TOKENS tokens, V=$VOCAB"
HMM_DATA="$SEQS seqs x 1000 frames x 2 cols"

# measure TAG: WALL, CPU (user + system seconds) and RSS (MB, 10^6 bytes) of run TAG.
measure() {
    WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ {
        n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' \
        "$R-$1.time")
    CPU=$(awk -F': ' '/User time|System time/ { s += $2 } END { print s }' "$R-$1.time")
    RSS=$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 * 1024 / 1e6 }' \
        "$R-$1.time")
}

# row TAG MODEL TOOL ALGORITHM DATA PASSES FIT_S UNITS UNIT BUDGET
row() {
    measure "$1"
    # gensim online's process also ran the reader-only pass, after training: not in wall s.
    if [ "$(jq '.count_seconds // 0' "$R-$1.json")" != 0 ]; then
        WALL=$(jq --argjson w "$WALL" '$w - .count_seconds' "$R-$1.json")
    fi
    awk -v m="$2" -v tool="$3" -v alg="$4" -v data="$5" -v p="$6" -v s="$7" -v n="$8" \
        -v unit="$9" -v b="${10}" -v w="$WALL" -v c="$CPU" -v rss="$RSS" 'BEGIN {
        verdict = b == "-" ? "-" : (rss + 0 < b + 0 ? "PASS" : "FAIL")
        printf "| %s | %s | %s | %s | %s | %.1f | %.1f | %.1f | %.2f | %.2f | %.1f | %s | %s |\n",
            m, tool, alg, data, p, w, s, c, n * p / w / 1e6, n * p / s / 1e6, rss, b, verdict }'
}

# check_vem TAG STREAMED OBS: the run read OBS observations, streamed (true) or not.
check_vem() {
    j=$R-$1.json
    [ "$(jq .n_obs "$j")" = "$3" ] || die "$1: vem read $(jq .n_obs "$j") observations, not $3"
    [ "$(jq .streamed "$j")" = "$2" ] || die "$1: streamed is $(jq .streamed "$j"), not $2"
}

{
    echo "bench_stream.sh, $(sed -n 1p "$R-start.txt"); $("$VEM" --version | head -1)"
    echo "CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) CPUs; AVX-512: $(grep -q avx512f /proc/cpuinfo && echo yes || echo no); load average before: $(sed -n 2p "$R-start.txt"), after: $(cat "$R-end.txt" 2>/dev/null || echo -)"
    echo "LDA corpus: $DOCWORD, $(wc -c <"$DOCWORD") bytes ($(awk -v b="$(wc -c <"$DOCWORD")" 'BEGIN { printf "%.2f", b / 1e9 }') GB), $DOCS documents, $(sed -n 3p "$DOCWORD") lines, $NTOK tokens, V = $VOCAB; K = $K"
    echo "HMM frames: $HMMDATA.f64, $(wc -c <"$HMMDATA.f64") bytes, $FRAMES frames; 3 states, Gaussian emissions (full covariance)"
    echo
    echo "| model | tool | algorithm | data | passes | wall s | fit s | CPU s | M/s (wall) | M/s (fit) | peak RSS MB | budget MB | within budget |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    for alg in batch stepwise stepwise-b; do
        j=$R-lda-vem-$alg.json
        [ -f "$j" ] || continue
        check_vem "lda-vem-$alg" true "$NTOK"
        case $alg in
        batch) label="batch" ;;
        stepwise) label="online (stepwise, default minibatch 128)" ;;
        *) label="online (stepwise, minibatch $(sed -n 's/.*--batch-size \([0-9]*\).*/\1/p' \
            "$R-lda-vem-$alg.time"))" ;;
        esac
        row "lda-vem-$alg" LDA vem "$label" "$LDA_DATA" "$(jq .n_iter "$j")" \
            "$(jq .seconds "$j")" "$NTOK" tokens "$LDA_BUDGET"
    done
    GV=
    for mode in online batch; do
        j=$R-lda-gensim-$mode.json
        [ -f "$j" ] || continue
        GV=$(jq -r .version "$j")
        n=$(jq .n_docs "$j")
        data=$LDA_DATA
        [ "$n" = "$DOCS" ] || data="the first $n of the $DOCS docs"
        row "lda-gensim-$mode" LDA "gensim $GV" \
            "$mode (update_every=$([ "$mode" = online ] && echo 1 || echo 0), chunksize 2000)" \
            "$data" "$(jq .passes "$j")" "$(jq .seconds "$j")" "$((n * TOKENS))" tokens -
    done
    for mode in stream memory; do
        j=$R-hmm-vem-$mode.json
        [ -f "$j" ] || continue
        if [ "$mode" = stream ]; then
            check_vem hmm-vem-stream true "$FRAMES"
            label="Baum-Welch, streamed" b=$HMM_BUDGET
        else
            check_vem hmm-vem-memory false "$FRAMES"
            label="Baum-Welch, in memory (reference)" b=-
        fi
        row "hmm-vem-$mode" HMM vem "$label" "$HMM_DATA" "$(jq .n_iter "$j")" \
            "$(jq .seconds "$j")" "$FRAMES" frames "$b"
    done
    echo
    echo "MB = 10^6 bytes. Budgets: LDA 150 MB + K x V x 8 bytes = $LDA_BUDGET MB; HMM $HMM_BUDGET MB."
    echo "M/s: million tokens (LDA) or frames (HMM) x passes per second, of the whole process's wall time (wall s, /usr/bin/time) or of the fit alone (fit s: vem's JSON seconds, after its one conversion of the text corpus into temporary binary files; gensim's LdaModel() training time, which parses the text in every pass). CPU s: user + system of the whole process, all threads."
    echo "vem's LDA fits end with one more E-step pass over the corpus, for the ELBO of the returned model (its work is not counted in M/s)."
    if [ -f "$R-lda-gensim-online.json" ]; then
        measure gensim-import
        jo=$R-lda-gensim-online.json
        echo "gensim $GV: python3 importing gensim.models and gensim.corpora alone peaks at $RSS MB; its reader (UciCorpus) alone streamed the $(jq .n_docs "$jo") documents in $(jq '.count_seconds * 10 | floor / 10' "$jo") s, a pass after training in the same process that only sums the counts (taken out of that row's wall s; its CPU s include it)."
    fi
    for mode in online batch; do
        j=$R-lda-gensim-$mode.json
        if [ ! -f "$j" ] || [ "$(jq .n_docs "$j")" = "$DOCS" ]; then
            continue
        fi
        echo "gensim $mode read the first $(jq .n_docs "$j") documents only; at its rate all $DOCS would take about $(jq -r --argjson d "$DOCS" '.seconds * $d / .n_docs | floor' "$j") s."
    done
} | tee "$OUT/stream.txt"
