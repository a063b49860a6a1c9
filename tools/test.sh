#!/bin/sh
# Build vem twice (optimised, and with AddressSanitizer + UndefinedBehaviorSanitizer)
# and run the whole test suite in both builds. Exit status is non-zero on any failure.
set -eu
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)

echo "== release build (with MPI)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DVEM_WERROR=ON -DVEM_WITH_MPI=ON >/dev/null
cmake --build build -j "$jobs"
(cd build && ctest --output-on-failure -j "$jobs")

echo "== sanitizer build (ASan + UBSan)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DVEM_SANITIZE=ON -DVEM_WERROR=ON >/dev/null
cmake --build build-asan -j "$jobs"
# OpenBLAS' own threads and OpenMP's pool are not ours to leak-check; everything else is.
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    OPENBLAS_NUM_THREADS=1 ctest --output-on-failure -j "$jobs")
