#!/bin/sh
# bench/bench_hmm.sh — vem's HMMs against hmmlearn and pomegranate, side by side, one run.
#
#   sh bench/bench_hmm.sh            (from the repository root; see bench/README.md, "HMM")
#
# Cases, 8 states each, every program starting from the same model file:
#   Gaussian: 4-D full covariances, one sequence of 1,000,000 frames and the same frames
#     as 10,000 sequences of 100 (hmm_make_data.py; start bench/out/hmm_k8.init.json);
#   Poisson: 3 count columns, one sequence of 1,000,000 frames (hmm_make_counts.py;
#     start bench/out/hmm_counts_k8.init.json);
#   VB-HMM: Gaussian, the long sequence, if this vem has `fit vbhmm` (start
#     bench/out/hmm_k8.vbinit.json if it takes --init-model, else each its own).
# vem runs with 1 and 2 threads; hmmlearn (GaussianHMM, PoissonHMM, VariationalGaussianHMM,
# implementation "log", its default, and "scaling") and pomegranate (Gaussian and Poisson)
# run single-threaded, with OPENBLAS_NUM_THREADS=1 and OMP_NUM_THREADS=1.
#
# hmmlearn is not packaged for Debian 12: it is installed from PyPI into a virtual
# environment that sees the system's numpy and scikit-learn (and so the same libblas.so.3),
# made here if missing; without PyPI it is skipped with a message.
#
# Environment: VEM (default build/vem), PYTHON (default /usr/bin/python3: numpy, and
# pomegranate if Debian's python3-pomegranate is installed), VENV (default $OUT/venv),
# HMMLEARN (the version, default 0.3.3), ITERS (vem iterations timed, default 10), PITERS
# (iterations of every peer, and of the log-likelihood comparison, default 3), OUT (default
# bench/out). Needs jq and /usr/bin/time. Raw JSON of every run is kept in $OUT/runs/.
set -eu

VEM=${VEM:-build/vem}
. "$(dirname "$0")/openblas_env.sh"
PYTHON=${PYTHON:-/usr/bin/python3}
OUT=${OUT:-bench/out}
VENV=${VENV:-$OUT/venv}
HMMLEARN=${HMMLEARN:-0.3.3}
ITERS=${ITERS:-10}
PITERS=${PITERS:-3}
DATA=$OUT/hmm_1e6x4.f64
INIT=$OUT/hmm_k8.init.json
VBINIT=$OUT/hmm_k8.vbinit.json
LENGTHS=$OUT/hmm_short.lengths
COUNTS=$OUT/hmm_counts_1e6x3.f64
CINIT=$OUT/hmm_counts_k8.init.json
RUNS=$OUT/runs

die() { echo "bench_hmm.sh: $*" >&2; exit 1; }
note() { echo "bench_hmm.sh: $*" >&2; }
[ -x "$VEM" ] || die "no vem binary at $VEM (build it, or set VEM)"
command -v jq >/dev/null || die "jq is needed"
[ -x /usr/bin/time ] || die "/usr/bin/time is needed (apt-get install time)"
[ "$PITERS" -ge 2 ] || die "PITERS must be at least 2 (pomegranate's max_iterations is PITERS - 1)"
if [ ! -f "$DATA" ] || [ ! -f "$INIT" ] || [ ! -f "$VBINIT" ] || [ ! -f "$LENGTHS" ]; then
    note "making synthetic data in $OUT ..."
    "$PYTHON" bench/hmm_make_data.py --out "$OUT" >&2
fi
if [ ! -f "$COUNTS" ] || [ ! -f "$CINIT" ]; then
    note "making synthetic counts in $OUT ..."
    "$PYTHON" bench/hmm_make_counts.py --out "$OUT" >&2
fi
mkdir -p "$RUNS"

# peer COMMAND...: a peer, with single-threaded BLAS and OpenMP
PEERENV="OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1"
peer() { env OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 "$@"; }

# pomegranate: Debian's python3-pomegranate (0.14), if installed.
POM=""
if "$PYTHON" -c 'import pomegranate' 2>/dev/null; then
    POM=$("$PYTHON" -c 'import pomegranate; print(pomegranate.__version__)')
else
    note "pomegranate: not importable by $PYTHON (apt-get install python3-pomegranate): skipped"
fi

# hmmlearn: from PyPI into $VENV.
HL=""
HLWHY=""
if [ ! -x "$VENV/bin/python" ]; then
    note "making a virtual environment for hmmlearn in $VENV ..."
    "$PYTHON" -m venv --system-site-packages "$VENV" >&2 ||
        die "$PYTHON -m venv failed (apt-get install python3-venv)"
fi
if [ "$("$VENV/bin/python" -c 'import hmmlearn; print(hmmlearn.__version__)' 2>/dev/null)" != "$HMMLEARN" ]; then
    note "installing hmmlearn==$HMMLEARN from PyPI into $VENV ..."
    if ! "$VENV/bin/python" -m pip install --disable-pip-version-check -q "hmmlearn==$HMMLEARN" \
        >"$RUNS/hmm-pip.log" 2>&1; then
        HLWHY="pip install hmmlearn==$HMMLEARN failed, PyPI not reachable? ($(tail -n 1 "$RUNS/hmm-pip.log"))"
        note "hmmlearn: skipped: $HLWHY"
    fi
fi
if [ -z "$HLWHY" ]; then
    HL=$("$VENV/bin/python" -c 'import hmmlearn; print(hmmlearn.__version__)') ||
        die "hmmlearn installed in $VENV but not importable"
fi

# vem fit vbhmm, if this vem has it.
VB=""
VBSTART=""
if "$VEM" help fit vbhmm >"$RUNS/hmm-vbhmm-help.txt" 2>&1; then
    VB=1
    if grep -q -- '--init-model' "$RUNS/hmm-vbhmm-help.txt"; then
        VBSTART=same
    else
        VBSTART=own
    fi
fi

load() { cut -d' ' -f1 /proc/loadavg; }
cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)
echo "$(date -u +%Y-%m-%dT%H:%MZ); $cpu, $(nproc) CPUs; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "vem: $("$VEM" --version 2>/dev/null | head -n 1) ($VEM); $ITERS iterations timed, seconds per iteration = (last - first) / ($ITERS - 1) from its trace; CPU (1 thread): (user + sys of $ITERS iterations - of $PITERS) / $((ITERS - PITERS))"
if [ -n "$HL" ]; then
    echo "hmmlearn $HL, numpy $("$VENV/bin/python" -c 'import numpy; print(numpy.__version__)'), scipy $("$VENV/bin/python" -c 'import scipy; print(scipy.__version__)') ($VENV); fit() with n_iter = $PITERS, tol = -inf, timed whole (wall, process_time()) and divided by $PITERS"
else
    echo "hmmlearn: skipped: $HLWHY"
fi
if [ -n "$POM" ]; then
    echo "pomegranate $POM ($PYTHON); fit() with max_iterations = min_iterations = $((PITERS - 1)), i.e. $PITERS M-steps, timed whole (wall, process_time()) and divided by $PITERS"
else
    echo "pomegranate: skipped: not importable by $PYTHON"
fi
echo "peers: $PEERENV${OPENBLAS_CORETYPE:+ OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE}; log-likelihoods after $PITERS iterations from the same start"
echo
echo "| case | program | threads | seconds per iteration | CPU seconds per iteration | time / vem's, 1 thread (wall; CPU) | log-likelihood (VB: ELBO) after $PITERS iterations | relative difference to vem | load (1 min) |"
echo "|---|---|---|---|---|---|---|---|---|"

VT1=""
VC1=""
VOBJ=""
# row LABEL PROGRAM THREADS SECONDS CPU OBJECTIVE LOAD: one table row (ratios against VT1,
# VC1 and VOBJ; CPU "" for not measured)
row() {
    awk -v l="$1" -v p="$2" -v th="$3" -v s="$4" -v c="$5" -v o="$6" -v ld="$7" -v t1="$VT1" \
        -v c1="$VC1" -v vo="$VOBJ" 'BEGIN {
        r = (t1 != "" && t1 > 0) ? sprintf("%.2fx", s / t1) : "-"
        r = r "; " ((c != "" && c1 != "" && c1 > 0) ? sprintf("%.2fx", c / c1) : "-")
        d = (vo != "" && o != "") ? sprintf("%.1e", (o > vo ? o - vo : vo - o) / (vo < 0 ? -vo : vo)) : "-"
        if (p ~ /^vem/) d = "-"
        printf "| %s | %s | %s | %.3f | %s | %s | %s | %s | %s |\n", l, p, th, s,
            (c == "" ? "-" : sprintf("%.3f", c)), r, (o == "" ? "-" : sprintf("%.6f", o)), d, ld }'
}
# cpu FILE: user + system seconds that /usr/bin/time -f '%U %S' wrote to FILE
cpu() { awk 'NF == 2 { s = $1 + $2 } END { printf "%.6f", s }' "$1"; }
# commas N: N with thousands separators
commas() {
    awk -v s="$1" 'BEGIN {
        o = ""
        while (length(s) > 3) { o = "," substr(s, length(s) - 2) o; s = substr(s, 1, length(s) - 3) }
        print s o }'
}
# frames FILE D: the rows of a raw float64 file of D columns
frames() { commas $(($(wc -c <"$1") / (8 * $2))); }
skip() { echo "| $1 | $2 | - | $3 | - | - | - | - | - |"; }

# vem_case LABEL TAG KIND [options]: vem's LL run (PITERS iterations, 1 thread), then timing
# runs of ITERS iterations with 1 and 2 threads. CPU seconds per iteration, 1 thread: the
# difference of the 1-thread runs' user + system time over ITERS - PITERS iterations (reading
# the data, the start and the final evaluation cancel).
vem_case() {
    label=$1 tag=$2 kind=$3
    shift 3
    "$VEM" fit "$kind" "$@" --max-iter "$PITERS" --tol 0 --threads 1 --json \
        >"$RUNS/hmm-$tag-ll.vem.json" 2>"$RUNS/hmm-$tag-ll.vem.err" ||
        die "vem failed ($tag): $(tail -n 1 "$RUNS/hmm-$tag-ll.vem.err")"
    VOBJ=$(jq -r '.objective' "$RUNS/hmm-$tag-ll.vem.json")
    /usr/bin/time -f '%U %S' -o "$RUNS/hmm-$tag-ll.vem.time" \
        "$VEM" fit "$kind" "$@" --max-iter "$PITERS" --tol 0 --threads 1 >/dev/null 2>&1 ||
        die "vem failed ($tag)"
    VT1=""
    VC1=""
    for th in 1 2; do
        j=$RUNS/hmm-$tag-t$th.vem.json
        /usr/bin/time -f '%U %S' -o "$RUNS/hmm-$tag-t$th.vem.time" \
            "$VEM" fit "$kind" "$@" --max-iter "$ITERS" --tol 0 --threads "$th" --json \
            >"$j" 2>"$RUNS/hmm-$tag-t$th.vem.err" || die "vem failed ($tag, $th threads)"
        ld=$(load)
        t=$(jq -r '(.trace[-1].seconds - .trace[0].seconds) / ((.trace | length) - 1)' "$j")
        c=""
        if [ "$th" = 1 ] && [ "$ITERS" -gt "$PITERS" ]; then
            c=$(awk -v a="$(cpu "$RUNS/hmm-$tag-t1.vem.time")" \
                -v b="$(cpu "$RUNS/hmm-$tag-ll.vem.time")" -v n=$((ITERS - PITERS)) \
                'BEGIN { printf "%.6f", (a - b) / n }')
        fi
        if [ "$th" = 1 ]; then
            VT1=$t
            VC1=$c
        fi
        row "$label" "vem fit $kind" "$th" "$t" "$c" "$VOBJ" "$ld"
    done
}

# hl_case LABEL TAG MODEL DATA D INIT [LENGTHS]: hmmlearn, implementations log and scaling
hl_case() {
    label=$1 tag=$2 model=$3
    shift 3
    if [ -z "$HL" ]; then
        skip "$label" "hmmlearn" "skipped: not installed (no PyPI)"
        return
    fi
    data=$1 d=$2 init=$3
    shift 3
    for impl in log scaling; do
        j=$RUNS/hmm-$tag-$impl.hmmlearn.json
        peer "$VENV/bin/python" bench/hmm_hmmlearn.py "$model" "$impl" "$data" "$d" \
            "$init" "$PITERS" "$@" >"$j" || die "hmmlearn failed ($tag, $impl)"
        ld=$(load)
        what=$(jq -r '.peer | sub("^hmmlearn [^ ]* "; "")' "$j")
        row "$label" "hmmlearn $HL $what, $impl" 1 "$(jq -r '.seconds_per_iter' "$j")" \
            "$(jq -r '.cpu_seconds_per_iter' "$j")" "$(jq -r '.objective' "$j")" "$ld"
    done
}

# pom_case LABEL TAG DATA D INIT [LENGTHS]: pomegranate
pom_case() {
    label=$1 tag=$2
    shift 2
    if [ -z "$POM" ]; then
        skip "$label" "pomegranate" "skipped: not installed (python3-pomegranate)"
        return
    fi
    j=$RUNS/hmm-$tag.pomegranate.json
    data=$1 d=$2 init=$3
    shift 3
    peer "$PYTHON" bench/hmm_pomegranate.py "$data" "$d" "$init" $((PITERS - 1)) "$@" \
        >"$j" || die "pomegranate failed ($tag)"
    ld=$(load)
    row "$label" "pomegranate $POM" 1 "$(jq -r '.seconds_per_iter' "$j")" \
        "$(jq -r '.cpu_seconds_per_iter' "$j")" "$(jq -r '.log_likelihood' "$j")" "$ld"
}

NG=$(frames "$DATA" 4)
NS=$(commas "$(wc -l <"$LENGTHS" | tr -d ' ')")
NC=$(frames "$COUNTS" 3)
L="Gaussian, 1 x $NG frames"
vem_case "$L" gauss-long hmm "$DATA" --binary-cols 4 --init-model "$INIT"
hl_case "$L" gauss-long gaussian "$DATA" 4 "$INIT"
pom_case "$L" gauss-long "$DATA" 4 "$INIT"

L="Gaussian, $NS sequences, $NG frames"
vem_case "$L" gauss-short hmm "$DATA" --binary-cols 4 --init-model "$INIT" --lengths "$LENGTHS"
hl_case "$L" gauss-short gaussian "$DATA" 4 "$INIT" "$LENGTHS"
pom_case "$L" gauss-short "$DATA" 4 "$INIT" "$LENGTHS"

L="Poisson, 1 x $NC frames"
vem_case "$L" poisson-long hmm "$COUNTS" --binary-cols 3 --init-model "$CINIT"
hl_case "$L" poisson-long poisson "$COUNTS" 3 "$CINIT"
pom_case "$L" poisson-long "$COUNTS" 3 "$CINIT"

if [ -z "$VB" ]; then
    L="VB-HMM, Gaussian, 1 x $NG frames"
    skip "$L" "vem" "skipped: this vem has no \`fit vbhmm\`"
    note "VB-HMM: skipped: $VEM has no 'fit vbhmm' ($(head -n 1 "$RUNS/hmm-vbhmm-help.txt"))"
elif [ "$VBSTART" = same ]; then
    L="VB-HMM, Gaussian, 1 x $NG frames"
    vem_case "$L" vb-long vbhmm "$DATA" --binary-cols 4 --init-model "$VBINIT"
    hl_case "$L" vb-long vb "$DATA" 4 "$VBINIT"
    skip "$L" "pomegranate" "no VB-HMM"
else
    L="VB-HMM, Gaussian, 1 x $NG frames, each from its own start"
    vem_case "$L" vb-long vbhmm "$DATA" --binary-cols 4 -k 8 --emission gaussian
    VOBJ=""
    hl_case "$L" vb-long vb "$DATA" 4 -
    skip "$L" "pomegranate" "no VB-HMM"
fi

echo
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
