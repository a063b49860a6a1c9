#!/bin/sh
# Install what vem needs to build and test on Debian 12 (run as root, or with sudo available).
set -eu
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
    build-essential cmake pkg-config libopenblas-dev liblapack-dev libjansson-dev python3 \
    openmpi-bin libopenmpi-dev >/dev/null
