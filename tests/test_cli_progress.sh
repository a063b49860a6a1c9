#!/bin/sh
# tests/test_cli_progress.sh — what `vem fit KIND` shows while it runs (a line on a
# terminal, plain lines with --verbose) and --trace FILE (docs/reliability.md,
# "Progress and traces").
# Usage: sh test_cli_progress.sh VEM REPO_ROOT
NAME=cli_progress
. "$(dirname "$0")/harness.sh"

F=$DATA/faithful.csv

# ---- (d) neither a terminal nor --verbose: nothing on stderr
run fit gmm "$F" -k 2 --seed 1
expect_rc "quiet fit" 0
check "quiet fit: stderr empty" [ ! -s err ]

# ---- (a) --verbose off a terminal: plain lines with the kind, restart i/n, iter i/max,
# the objective's name and its value per observation
run fit gmm "$F" -k 2 --n-init 2 --seed 1 --tol 1e-10 --max-iter 1000 -v --json
expect_rc "verbose fit" 0
cp out v.json
cp err v.err
check "verbose: no carriage returns off a terminal" sh -c "! tr '\r' '@' <v.err | grep -q @"
pycheck "verbose lines: kind, restart, iter, objective per observation" "" '
import re
d = load(1)
lines = [l for l in open(sys.argv[2]).read().splitlines() if l]
pat = re.compile(r"^gmm restart ([12])/2 iter ([0-9]+)/1000 log-likelihood/obs (\S+) change (\S+)"
                 r" ([0-9:]+) elapsed (~[0-9:]+|\?) left$")
ms = [pat.match(l) for l in lines]
assert lines and all(ms), [l for l, m in zip(lines, ms) if not m][:2]
assert {m.group(1) for m in ms} == {"1", "2"}
# The last line of the best restart: the final trace entry (printed to 7 digits), and
# the final objective per observation (converged to 1e-10) to printed precision.
best = [m for m in ms if int(m.group(1)) == d["best_init"] + 1][-1]
t = d["trace"][-1]
assert int(best.group(2)) == t["iter"] == len(d["trace"]), (best.group(2), t["iter"])
assert best.group(3) == "%.7g" % (t["objective"] / d["n_obs"]), (best.group(3), t)
assert close(float(best.group(3)), d["objective_per_obs"], 1e-6)
' v.json v.err

# Other kinds: their objective's name, and passes for online EM.
run fit vbgmm "$F" -k 3 --seed 1 --max-iter 50 --tol 0 -v
check "vbgmm verbose: ELBO per observation" \
    grep -q '^vbgmm restart 1/1 iter 50/50 ELBO/obs -[0-9.]* change' err
run fit gmm "$F" -k 2 --algorithm stepwise --batch-size 50 --passes 3 --tol 0 -v
check "stepwise verbose: passes" grep -q '^gmm restart 1/1 pass 3/3 log-likelihood/obs' err
run fit blr "$DATA/diabetes.csv" --target target --ard --max-iter 40 -v
check "blr ARD verbose: its own loop reports" grep -q '^blr restart 1/1 iter [0-9]*/40 ' err

# At most one line a second (and the first and last of the restart) over a fit of seconds.
t0=$("$PY" -c 'import time; print(time.time())')
"$VEM" fit gmm "$F" -k 2 --tol 0 --max-iter 300000 -v >/dev/null 2>slow.err
t1=$("$PY" -c 'import time; print(time.time())')
pycheck "verbose: at most one line a second" "" '
lines = [l for l in open(sys.argv[1]).read().splitlines() if l.startswith("gmm ")]
elapsed = float(sys.argv[3]) - float(sys.argv[2])
assert len(lines) >= 2, lines
assert len(lines) <= int(elapsed) + 2, (len(lines), elapsed)
assert lines[-1].startswith("gmm restart 1/1 iter 300000/300000 "), lines[-1]
' slow.err "$t0" "$t1"

# ---- (b) on a terminal (script(1) gives one): a line redrawn in place, the cells of a
# selection, and a newline when the fit is over
if command -v script >/dev/null 2>&1; then
    script -qfc "'$VEM' fit gmm '$F' -k 1-2 --covariance full,diag --tol 0 --max-iter 20000" \
        /dev/null </dev/null >tty.out 2>&1
    pycheck "terminal: one line updated in place, cells shown, ends with a newline" "" '
s = open(sys.argv[1], "rb").read()
assert b"\r" in s and b"\x1b[K" in s, s[:200]
for cell in (b"gmm K=1 VVV restart 1/1 iter ", b"gmm K=2 VVI restart 1/1 iter 20000/20000"):
    assert cell in s, cell
# The progress is over before the BIC table: its last redraw is followed by a newline.
last = s.rindex(b"\x1b[K")
assert s[last + 3:last + 5] in (b"\r\n", b"\n\r") or s[last + 3:last + 4] == b"\n", s[last:last + 40]
assert b"\r\n" in s[last:s.index(b"BIC")], s[last:last + 80]
' tty.out
    # A fit that fails (a component collapses on the repeated point after some
    # iterations) still ends its line, and writes its trace.
    "$PY" -c "
import random
random.seed(1)
print('a,b')
for i in range(40): print('%r,%r' % (random.gauss(0, 1), random.gauss(0, 1)))
for i in range(5): print('5,5')" >collapse.csv
    script -qfc "'$VEM' fit gmm collapse.csv -k 3 --reg-covar 0 --init random --n-init 3 --tol 0 --max-iter 50 --trace fail.csv" \
        /dev/null </dev/null >tty2.out 2>&1
    check "a failing fit: its trace is written" grep -q '^,0,2,0,' fail.csv
    pycheck "terminal: a failing fit's line ends with a newline" "" '
s = open(sys.argv[1], "rb").read()
assert b"not positive definite" in s, s[-200:]
assert b"\x1b[K\r\nvem: covariance" in s, s[-200:]
' tty2.out
else
    pass
    pass
    pass
fi

# ---- (c) --trace FILE
run fit gmm "$F" -k 2 --seed 3 --tol 1e-8 --max-iter 500 --json --trace t1.csv
expect_rc "trace, one restart" 0
cp out t1.json
pycheck "trace: the JSON trace, row for row" "" '
import csv
d = load(1)
rows = list(csv.DictReader(open(sys.argv[2])))
assert open(sys.argv[2]).readline().rstrip("\n") == \
    "label,restart,iter,step,objective,objective_per_obs,change,seconds,violation,validation,mc_samples,passes"
assert len(rows) == len(d["trace"]) == d["n_iter"], (len(rows), len(d["trace"]))
for r, t in zip(rows, d["trace"]):
    assert r["label"] == "" and r["restart"] == "0" and r["step"] == "0"
    assert int(r["iter"]) == t["iter"]
    assert close(float(r["objective"]), t["objective"], 1e-12), (r, t)
    assert close(float(r["objective_per_obs"]), t["objective"] / d["n_obs"], 1e-12)
    assert float(r["change"]) == t["change"] or close(float(r["change"]), t["change"], 1e-12)
    assert int(r["violation"]) == int(t["violation"])
' t1.json t1.csv

run fit gmm "$F" -k 3 --seed 3 --n-init 3 --tol 1e-6 --max-iter 500 --json --trace t3.csv
expect_rc "trace, three restarts" 0
cp out t3.json
pycheck "trace: rows of every restart, the best one as the JSON trace" "" '
import csv
d = load(1)
rows = list(csv.DictReader(open(sys.argv[2])))
assert {r["restart"] for r in rows} == {"0", "1", "2"}
best = [r for r in rows if int(r["restart"]) == d["best_init"]]
assert [int(r["iter"]) for r in best] == [t["iter"] for t in d["trace"]]
assert all(close(float(r["objective"]), t["objective"], 1e-12) for r, t in zip(best, d["trace"]))
# each restart counts its iterations from 1
for k in "012":
    its = [int(r["iter"]) for r in rows if r["restart"] == k]
    assert its == list(range(1, len(its) + 1)), k
' t3.json t3.csv

run fit gmm "$F" -k 1-2 --covariance full,diag --tol 1e-6 --trace sel.csv
expect_rc "trace of a selection" 0
pycheck "trace: every cell of a selection, labelled" "" '
import csv
rows = list(csv.DictReader(open(sys.argv[1])))
assert [l for l in dict.fromkeys(r["label"] for r in rows)] == \
    ["K=1 VVV", "K=1 VVI", "K=2 VVV", "K=2 VVI"], {r["label"] for r in rows}
' sel.csv

run fit blr "$DATA/diabetes.csv" --target target --ard --trace blr.csv --json
expect_rc "trace of BLR ARD" 0
cp out blr.json
pycheck "trace: BLR ARD rows as its JSON trace" "" '
import csv
d = load(1)
rows = list(csv.DictReader(open(sys.argv[2])))
assert len(rows) == len(d["trace"]) > 1
assert all(close(float(r["objective"]), t["objective"], 1e-12) for r, t in zip(rows, d["trace"]))
' blr.json blr.csv

# A usage error: no fit, no file.
run fit gmm "$F" -k 2 --tol -1 --trace bad.csv
expect_rc "trace with a usage error" 1
check "trace: no file after a usage error" [ ! -e bad.csv ]
run fit gmm "$F" -k 2 --trace ""
expect_rc "trace: empty name" 1
# A trace that cannot be written: the fit's exit status says so.
run fit gmm "$F" -k 2 --trace nodir/t.csv
expect_rc "trace into a missing directory" 2
expect_err "trace into a missing directory" "nodir/t.csv"

# Whole: every line has its ten fields and a newline; no temporary is left behind.
pycheck "trace: whole" "" '
s = open(sys.argv[1]).read()
assert s.endswith("\n")
assert all(len(l.split(",")) == 12 for l in s.splitlines())
' t3.csv
check "trace: no temporaries left" sh -c '! ls | grep -q vem-tmp'

finish
