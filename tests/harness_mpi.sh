# tests/harness_mpi.sh — what the distributed (tests/test_cli_mpi*.sh) and online
# (tests/test_cli_online.sh) end-to-end tests share. Sourced (POSIX sh) after the
# script sets NAME, with its arguments VEM REPO_ROOT still in $1 and $2:
#
#     NAME=cli_mpi
#     . "$(dirname "$0")/harness_mpi.sh"
#
# Sets VEM, ROOT, PY and a temporary directory tmp (removed at exit); defines the
# checks below. `finish [NOTE]` prints "NAME: N passed, M failed[NOTE]" and exits.
# The checks read JSON with python3: without one the test fails.
set -u
VEM=$1
ROOT=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; }
PY=/usr/bin/python3
if [ ! -x "$PY" ]; then
    PY=$(command -v python3) ||
        bad "no python3: the checks need it (tools/install-deps.sh installs it)"
fi
# check WHAT SHELL_CONDITION: the condition (evaluated) holds.
check() { if eval "$2"; then ok; else bad "$1"; fi; }
finish() {
    echo "$NAME: $pass passed, $fail failed${1:-}"
    [ "$fail" -eq 0 ]
    exit
}
# json FILE EXPR: print EXPR of d = the JSON in FILE.
json() { "$PY" -c "import json,sys; d=json.load(open('$1')); print($2)"; }
# key FILE SUFFIX: print json.load(FILE)SUFFIX, e.g. key a.json "['elbo']".
key() { "$PY" -c "import json; print(json.load(open('$1'))$2)"; }
# rel_close A.json B.json KEY TOL: |a - b| <= TOL |b| entry by entry, for a number
# or nested lists of the same length.
rel_close() {
    "$PY" -c "
import json, sys
a = json.load(open('$1'))['$3']; b = json.load(open('$2'))['$3']
flat = lambda v: sum(map(flat, v), []) if isinstance(v, list) else [v]
fa, fb = flat(a), flat(b)
sys.exit(0 if len(fa) == len(fb) and all(abs(x - y) <= $4 * max(abs(y), 1e-300)
                                         for x, y in zip(fa, fb)) else 1)"
}

# have_mpi: vem was built with MPI and mpirun exists.
have_mpi() { "$VEM" --version | grep -q "with MPI" && command -v mpirun >/dev/null 2>&1; }
# mpi_setup: sandbox-safe Open MPI settings (shared memory only; root needs
# --allow-run-as-root); then `run NP ARGS...` is `mpirun -np NP vem ARGS... --mpi`.
mpi_setup() {
    export OMPI_MCA_btl=self,vader OMPI_MCA_plm_rsh_agent=false
    export OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_rmaps_base_oversubscribe=1
    MPIRUN="mpirun --oversubscribe"
    [ "$(id -u)" -eq 0 ] && MPIRUN="$MPIRUN --allow-run-as-root"
    return 0
}
run() { np=$1; shift; timeout 60 $MPIRUN -np "$np" "$VEM" "$@" --mpi; }
