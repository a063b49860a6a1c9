#!/bin/sh
# Install the build tree into a temporary prefix; run the installed program there
# and again after the whole tree has moved to another directory (its run path is
# relative), with LD_LIBRARY_PATH unset; build the example against the prefix
# twice: with pkg-config (shared library) and with find_package (static).
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
unset LD_LIBRARY_PATH
# Consumers are built with the build's C compiler: a static libvem built by clang
# needs clang's OpenMP runtime (libomp), one built by gcc needs libgomp.
cc=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")
[ -n "$cc" ] || cc=cc

# installed_vem WHERE PREFIX: PREFIX/bin/vem prints its version and fits faithful.csv
# (converged, mean log-likelihood -4.1553822066 to 1e-8: the one fit its defaults give).
installed_vem() {
    if out=$("$2/bin/vem" --version 2>&1) && [ "${out#vem }" != "$out" ]; then
        ok
    else
        bad "$1: vem --version: $out"
    fi
    if out=$("$2/bin/vem" fit gmm "$src/examples/data/faithful.csv" -k 2 --json 2>&1) &&
        echo "$out" | grep -q '"converged":true' &&
        echo "$out" | sed -n 's/.*"mean_log_likelihood":\([-+.0-9eE]*\).*/\1/p' |
        awk 'NR == 1 { d = $1 + 4.1553822066; good = d < 1e-8 && d > -1e-8 } END { exit !good }'; then
        ok
    else
        bad "$1: vem fit gmm: $(echo "$out" | head -c 300)"
    fi
}

cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
for f in include/vem/vem.h include/vem/gmm.h lib/libvem.a lib/pkgconfig/vem.pc lib/cmake/vem/vemConfig.cmake bin/vem; do
    [ -e "$tmp/prefix/$f" ] && ok || bad "installed $f"
done
ls "$tmp/prefix"/lib/libvem.so.* >/dev/null 2>&1 && ok || bad "installed libvem.so.*"
installed_vem "prefix $tmp/prefix" "$tmp/prefix"

# pkg-config, shared library
flags=$(PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig" pkg-config --cflags --libs vem)
if "$cc" -std=c11 "$src/examples/fit_gmm.c" $flags -Wl,-rpath,"$tmp/prefix/lib" -o "$tmp/app_pc"; then
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
if cmake -S "$tmp/consumer" -B "$tmp/consumer/b" -DCMAKE_PREFIX_PATH="$tmp/prefix" \
    -DCMAKE_C_COMPILER="$cc" >/dev/null &&
    cmake --build "$tmp/consumer/b" >/dev/null; then
    out=$("$tmp/consumer/b/app" "$src/examples/data/faithful.csv")
    echo "$out" | grep -q "converged" && ok || bad "find_package app output: $out"
else
    bad "find_package build"
fi

# Relocated: the same tree moved elsewhere, nothing left at the old prefix.
mkdir "$tmp/elsewhere"
mv "$tmp/prefix" "$tmp/elsewhere/moved"
installed_vem "moved to $tmp/elsewhere/moved" "$tmp/elsewhere/moved"
echo "install: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
