#!/bin/sh
# Install what vem needs to build and test on Debian 12 (run as root, or with sudo available):
# gcc and clang (with its OpenMP runtime and libFuzzer), the libraries, Open MPI, python3 with
# jsonschema for the end-to-end tests (docs/schema.json), GNU time for tests/test_cli_limits.sh
# (time and memory of the refused bombs), a comma-decimal locale (de_DE.UTF-8) for tests/test_io.c,
# what the Python package (python/) builds and tests with offline: Cython, setuptools, venv,
# the Python headers, numpy, scipy, scikit-learn, matplotlib (vem.plot) and pytest; and for
# `vem plot` cairo (optional to build vem, needed by tests/test_cli_plot.sh) with xmllint and
# pdfinfo, which check its SVG and PDF.
set -eu
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
    build-essential clang libclang-rt-14-dev libomp-dev cmake pkg-config libopenblas-dev liblapack-dev \
    libjansson-dev zlib1g-dev liblbfgs-dev python3 python3-jsonschema openmpi-bin libopenmpi-dev \
    locales time cython3 python3-dev python3-venv python3-setuptools python3-pytest python3-numpy \
    python3-scipy python3-sklearn python3-matplotlib libcairo2-dev libxml2-utils poppler-utils >/dev/null
if ! locale -a | grep -q -x -i 'de_DE\.utf-\{0,1\}8'; then
    if grep -q '^# *de_DE\.UTF-8 UTF-8' /etc/locale.gen; then
        $SUDO sed -i 's/^# *\(de_DE\.UTF-8 UTF-8\)/\1/' /etc/locale.gen
    elif ! grep -q '^de_DE\.UTF-8 UTF-8' /etc/locale.gen; then
        echo 'de_DE.UTF-8 UTF-8' | $SUDO tee -a /etc/locale.gen >/dev/null
    fi
    $SUDO locale-gen >/dev/null
fi
