#!/bin/sh
# Install the build tree into a temporary prefix, then build the example against
# it twice: with pkg-config (shared library) and with find_package (static).
# Usage: sh test_install.sh BUILD_DIR SOURCE_DIR
set -eu
build=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; }

cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
for f in include/vem/vem.h include/vem/gmm.h lib/libvem.a lib/pkgconfig/vem.pc lib/cmake/vem/vemConfig.cmake bin/vem; do
    [ -e "$tmp/prefix/$f" ] && ok || bad "installed $f"
done
ls "$tmp/prefix"/lib/libvem.so.* >/dev/null 2>&1 && ok || bad "installed libvem.so.*"

# pkg-config, shared library
flags=$(PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig" pkg-config --cflags --libs vem)
if cc -std=c11 "$src/examples/fit_gmm.c" $flags -Wl,-rpath,"$tmp/prefix/lib" -o "$tmp/app_pc"; then
    out=$("$tmp/app_pc" "$src/examples/data/faithful.csv")
    echo "$out" | grep -q "converged" && ok || bad "pkg-config app output: $out"
else
    bad "pkg-config build"
fi

# CMake package, static library
mkdir "$tmp/consumer"
cp "$src/examples/fit_gmm.c" "$tmp/consumer/"
cat >"$tmp/consumer/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.18)
project(consumer C)
find_package(vem 0.1 REQUIRED)
add_executable(app fit_gmm.c)
target_link_libraries(app vem::vem_static)
CM
if cmake -S "$tmp/consumer" -B "$tmp/consumer/b" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null &&
    cmake --build "$tmp/consumer/b" >/dev/null; then
    out=$("$tmp/consumer/b/app" "$src/examples/data/faithful.csv")
    echo "$out" | grep -q "converged" && ok || bad "find_package app output: $out"
else
    bad "find_package build"
fi
echo "install: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
