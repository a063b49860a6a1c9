#!/bin/sh
# The Python package's tests, as CTest runs them (tests/CMakeLists.txt, test "python"):
#     sh python/tests/run.sh BUILD_DIR VEM_PROGRAM [CMAKE_OPTION...]
# Installs python/ into a virtual environment under BUILD_DIR the offline way (Debian's
# python3, setuptools, Cython, numpy and scikit-learn: --system-site-packages and
# --no-build-isolation, no package index), libvem built by CMake in BUILD_DIR/python-cmake
# (kept, so a rerun recompiles only what changed; CMAKE_OPTIONs such as the compiler are
# passed on), then runs pytest on the installed package. Fails, saying what is missing,
# when a prerequisite is (tools/install-deps.sh installs them all).
set -eu
if [ $# -lt 2 ]; then
    echo "usage: sh python/tests/run.sh BUILD_DIR VEM_PROGRAM [CMAKE_OPTION...]" >&2
    exit 2
fi
build=$(cd "$1" && pwd)
case $2 in
/*) cli=$2 ;;
*) cli=$(pwd)/$2 ;;
esac
shift 2
here=$(cd "$(dirname "$0")" && pwd)
pkg=$(dirname "$here")

# Debian's interpreter, whose dist-packages hold the Debian modules (a python3 earlier
# in PATH, e.g. pyenv's, would not see them); VEM_PYTHON overrides.
py=${VEM_PYTHON:-}
if [ -z "$py" ]; then
    if [ -x /usr/bin/python3 ]; then py=/usr/bin/python3; else py=python3; fi
fi
missing=
for mod in venv Cython pytest numpy sklearn scipy setuptools matplotlib; do
    "$py" -c "import $mod" 2>/dev/null || missing="$missing $mod"
done
command -v cmake >/dev/null 2>&1 || missing="$missing cmake"
"$py" -c "import sysconfig, os, sys; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()['include'], 'Python.h')))" \
    2>/dev/null || missing="$missing Python.h"
if [ -n "$missing" ]; then
    echo "python test: FAIL: $py lacks:$missing" >&2
    echo "  install them with tools/install-deps.sh (Debian: cython3 python3-pytest python3-numpy" >&2
    echo "  python3-sklearn python3-scipy python3-setuptools python3-venv python3-dev" >&2
    echo "  python3-matplotlib cmake)" >&2
    exit 1
fi

venv=$build/python-venv
if [ ! -x "$venv/bin/python" ]; then
    rm -rf "$venv"
    "$py" -m venv --system-site-packages "$venv"
fi
echo "== building and installing python/ into $venv"
VEM_CMAKE_BUILD_DIR=$build/python-cmake VEM_BUILD_BASE=$build/python-setuptools \
    VEM_CMAKE_ARGS="$*" \
    "$venv/bin/python" -m pip install --no-build-isolation --no-index --no-deps \
    --disable-pip-version-check --force-reinstall -q "$pkg"
"$venv/bin/python" -c "import vem, numpy, sklearn; print('vem', vem.__version__, 'from', vem.__file__)"

echo "== pytest"
# From the build directory, so that `import vem` is the installed package, not python/vem.
cd "$build"
set +e
VEM_CLI=$cli OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} "$venv/bin/python" -m pytest -q \
    -p no:cacheprovider "$here"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
    echo "python test: FAIL: pytest collected no tests" >&2
    exit 1
fi
exit "$rc"
