#!/bin/sh
# Build vem the ways users build it, warnings as errors in each, and run the whole test
# suite (ctest) in every build: gcc optimised with MPI (build/), gcc with AddressSanitizer
# + UndefinedBehaviorSanitizer (build-asan/), clang optimised (build-clang/), and gcc
# optimised with OpenMP off (build-noomp/). The last three are built without MPI: there
# the distributed tests only check that --mpi is refused; the last also without cairo
# (-DVEM_WITH_CAIRO=OFF: the build of a machine without libcairo2-dev), where
# tests/test_cli_plot.sh checks that `vem plot` says how to get it; every other test runs
# in full, but for the Python package's, which the first build runs (it builds libvem again for
# the package: a few minutes) and the sanitizer build cannot (python is not instrumented).
# Then each libFuzzer harness of fuzz/ (clang, ASan + UBSan, build-fuzz/) runs for
# VEM_FUZZ_SECONDS seconds (default 20, which keeps a CI run on 2 cores under 30 minutes;
# 0 skips them), $jobs at a time (tools/fuzz.sh).
# Exit status is non-zero on any failure.
set -eu
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)

# build DIR CMAKE_OPTION...: configure (with -Werror) and build DIR.
build() {
    dir=$1
    shift
    cmake -S . -B "$dir" -DVEM_WERROR=ON "$@" >/dev/null
    cmake --build "$dir" -j "$jobs"
}
# suite DIR: every test of the build in DIR.
suite() {
    (cd "$1" && ctest --output-on-failure -j "$jobs")
}

echo "== release build (with MPI)"
build build -DCMAKE_BUILD_TYPE=Release -DVEM_WITH_MPI=ON
suite build

echo "== sanitizer build (ASan + UBSan)"
build build-asan -DCMAKE_BUILD_TYPE=Debug -DVEM_SANITIZE=ON
# OpenBLAS' own threads and OpenMP's pool are not ours to leak-check; everything else is.
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    OPENBLAS_NUM_THREADS=1 VEM_TEST_SANITIZED=1 suite build-asan

echo "== clang build"
build build-clang -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=clang -DVEM_PYTHON_TEST=OFF
suite build-clang

echo "== OpenMP off (one thread), cairo off (vem plot left out)"
build build-noomp -DCMAKE_BUILD_TYPE=Release -DVEM_WITH_OPENMP=OFF -DVEM_WITH_CAIRO=OFF \
    -DVEM_PYTHON_TEST=OFF
suite build-noomp

fuzz_secs=${VEM_FUZZ_SECONDS:-20}
if [ "$fuzz_secs" != 0 ]; then
    echo "== fuzz harnesses ($fuzz_secs s each)"
    FUZZ_JOBS=$jobs FUZZ_PARALLEL=$jobs sh tools/fuzz.sh "$fuzz_secs"
fi
