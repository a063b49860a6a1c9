# tests/harness.sh — what the end-to-end shell tests of the vem program share.
# Sourced (POSIX sh) by tests/test_cli*.sh after they set NAME, with their own
# arguments still in $1 and $2:
#
#     NAME=cli_lda
#     . "$(dirname "$0")/harness.sh"
#
# Checks the arguments (PATH/TO/vem REPO_ROOT), sets VEM, ROOT and DATA (absolute),
# moves into a temporary directory removed at exit, defines the checks below and finds
# python3 (PY): the JSON checks need it, so without one PY is empty and the test fails
# (after the checks that can run without it). `finish` prints "NAME: N passed, M failed"
# and gives the exit status.

if [ $# -ne 2 ] || [ ! -x "$1" ] || [ ! -d "$2" ]; then
    echo "usage: sh test_$NAME.sh PATH/TO/vem REPO_ROOT" >&2
    exit 2
fi
case $1 in /*) VEM=$1 ;; *) VEM=$(pwd)/$1 ;; esac
case $2 in /*) ROOT=$2 ;; *) ROOT=$(pwd)/$2 ;; esac
DATA=$ROOT/examples/data

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vem-$NAME.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT
trap 'exit 2' HUP INT TERM
cd "$TMP" || exit 2

passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
finish() {
    echo "$NAME: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
}

PY=
if [ -x /usr/bin/python3 ]; then
    PY=/usr/bin/python3
elif command -v python3 >/dev/null 2>&1; then
    PY=$(command -v python3)
else
    fail "no python3: the JSON checks need it (tools/install-deps.sh installs it)"
fi

# run ARGS...: run vem with stdout in out, stderr in err, exit status in $rc.
run() {
    "$VEM" "$@" >out 2>err
    rc=$?
}
errtext() { head -c 300 err | tr '\n' ' '; }

# expect_rc WHAT WANT: the last run exited with WANT.
expect_rc() {
    if [ "$rc" -eq "$2" ]; then pass; else fail "$1: exit status $rc, want $2 ($(errtext))"; fi
}
# expect_err WHAT TEXT: stderr of the last run contains TEXT (a fixed string).
expect_err() {
    if grep -F -q -- "$2" err; then pass; else fail "$1: stderr lacks '$2': $(errtext)"; fi
}
# expect_out WHAT TEXT: stdout of the last run contains TEXT.
expect_out() {
    if grep -F -q -- "$2" out; then pass; else fail "$1: stdout lacks '$2'"; fi
}
# expect_quiet_stdout WHAT: nothing on stdout (errors go to stderr).
expect_quiet_stdout() {
    if [ ! -s out ]; then pass; else fail "$1: stdout not empty: $(head -c 100 out)"; fi
}
# check WHAT COMMAND...: the command succeeds.
check() {
    what=$1
    shift
    if "$@"; then pass; else fail "$what"; fi
}
# pycheck WHAT GREP_PATTERN CODE FILE...: python CODE (asserts; load(i) reads the
# i-th FILE as JSON) succeeds; without python (the test has failed already), the
# first FILE matches GREP_PATTERN (an empty pattern: the check passes).
pycheck() {
    what=$1
    pattern=$2
    code=$3
    shift 3
    if [ -n "$PY" ]; then
        if msg=$("$PY" -c "import json, math, sys
def load(i=1):
    with open(sys.argv[i]) as f:
        return json.load(f)
def close(a, b, rtol=1e-9):
    return abs(a - b) <= rtol * max(abs(a), abs(b), 1e-300)
$code" "$@" 2>&1); then
            pass
        else
            fail "$what: $(echo "$msg" | tail -n 3 | tr '\n' ' ')"
        fi
    elif [ -z "$pattern" ] || grep -q -- "$pattern" "$1"; then
        pass
    else
        fail "$what: $1 does not match '$pattern'"
    fi
}
# pyjson WHAT GREP_PATTERN CODE: pycheck on the last run's stdout, read as d.
pyjson() {
    pycheck "$1" "$2" "d = load(1)
$3" out
}
