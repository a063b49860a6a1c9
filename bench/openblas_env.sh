# bench/openblas_env.sh — sourced by the bench scripts after VEM is set: when OpenBLAS
# chose kernels older than the CPU (Debian 12's OpenBLAS 0.3.21 takes some newer CPUs,
# Sapphire Rapids among them, for a Pentium 4: docs/performance.md), export the
# OPENBLAS_CORETYPE that `vem --version` recommends, so that every program of the run,
# vem and its peers alike (they call the same libblas.so.3), gets the CPU's kernels.
# A value the caller set is kept.
if [ -z "${OPENBLAS_CORETYPE:-}" ] && [ -x "${VEM:-build/vem}" ]; then
    _core=$("${VEM:-build/vem}" --version 2>/dev/null |
        sed -n 's/.*OPENBLAS_CORETYPE=\([A-Za-z0-9]*\).*/\1/p')
    if [ -n "$_core" ]; then
        export OPENBLAS_CORETYPE="$_core"
        echo "OpenBLAS chose kernels older than this CPU: OPENBLAS_CORETYPE=$_core for every program of this run" >&2
    fi
fi
