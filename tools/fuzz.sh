#!/bin/sh
# tools/fuzz.sh [SECONDS [HARNESS...]] — build the libFuzzer harnesses (fuzz/, clang with
# ASan + UBSan, into build-fuzz/) and run each for SECONDS (default 300), one libFuzzer
# process per harness (no -jobs/-fork), FUZZ_PARALLEL of them at a time (default 1).
# Prints, per harness, the executions, exec/s and libFuzzer's final coverage (cov: edges,
# ft: features, corp: inputs kept). Exit status non-zero if any harness crashed, leaked,
# timed out or ran out of memory; its input is saved as fuzz/crashes/HARNESS-crash-*
# (-leak-, -timeout-, -oom-) and its log as build-fuzz/logs/HARNESS.log.
#
# Each harness starts from its seeds, fuzz/corpus/HARNESS/ (committed), and from the inputs
# earlier runs found, build-fuzz/corpus/HARNESS/ (kept between runs, not committed).
# Limits: inputs up to 64 kB (-max_len), 10 s per input (-timeout), 2 GB resident
# (-rss_limit_mb, and -malloc_limit_mb for one allocation); ASan makes one allocation over
# 64 MB return NULL (allocator_may_return_null, max_allocation_size_mb) so that the
# readers' out-of-memory paths run instead of the harness dying on a declared size
# (docs/reliability.md, "Fuzzing"). Variables: CC (default clang), FUZZ_JOBS (build
# jobs, default 2), FUZZ_PARALLEL, FUZZ_BUILD (default build-fuzz).
set -eu
cd "$(dirname "$0")/.."
secs=${1:-300}
[ $# -gt 0 ] && shift
build=${FUZZ_BUILD:-build-fuzz}
par=${FUZZ_PARALLEL:-1}

cmake -S fuzz -B "$build" -DCMAKE_C_COMPILER="${CC:-clang}" >/dev/null
cmake --build "$build" -j "${FUZZ_JOBS:-2}" >/dev/null

if [ $# -gt 0 ]; then
    harnesses=$*
else
    harnesses=$(cd fuzz && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')
fi
mkdir -p fuzz/crashes "$build/logs" "$build/tmp"

# run NAME: fuzz harness NAME for $secs seconds; its status into $build/logs/NAME.rc.
run() {
    name=$1
    dict=
    case $name in model_* | checkpoint) dict=-dict=fuzz/json.dict ;; esac
    mkdir -p "$build/corpus/$name"
    rc=0
    TMPDIR=$PWD/$build/tmp \
        ASAN_OPTIONS=allocator_may_return_null=1:max_allocation_size_mb=64:detect_leaks=1 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "$build/fuzz_$name" -max_total_time="$secs" -max_len=65536 -timeout=10 \
        -rss_limit_mb=2048 -malloc_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="fuzz/crashes/$name-" $dict \
        "$build/corpus/$name" "fuzz/corpus/$name" </dev/null >"$build/logs/$name.log" 2>&1 ||
        rc=$?
    echo $rc >"$build/logs/$name.rc"
}

echo "fuzzing $(echo $harnesses | wc -w) harnesses for $secs s each, $par at a time"
running=0
for h in $harnesses; do
    [ -x "$build/fuzz_$h" ] || { echo "no harness fuzz_$h" >&2; exit 1; }
    run "$h" &
    running=$((running + 1))
    if [ "$running" -ge "$par" ]; then
        wait
        running=0
    fi
done
wait

failed=0
printf '%-12s %12s %8s %7s %7s %6s  %s\n' harness executions exec/s cov ft corp result
for h in $harnesses; do
    log=$build/logs/$h.log
    rc=$(cat "$build/logs/$h.rc")
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
    cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
    corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
    if [ "$rc" = 0 ]; then
        result=ok
    else
        result="FAILED (status $rc; $log)"
        failed=1
        grep -E '^(==[0-9]+==ERROR|SUMMARY|vem fuzz:|.*runtime error)' "$log" | head -n 3 >&2 || true
        grep -E '^artifact_prefix|Test unit written' "$log" | tail -n 1 >&2 || true
    fi
    printf '%-12s %12s %8s %7s %7s %6s  %s\n' "$h" "${execs:-?}" "${rate:-?}" "${cov:-?}" \
        "${ft:-?}" "${corp:-?}" "$result"
done
exit $failed
