#!/bin/sh
# End-to-end checks of online and out-of-core EM in `vem fit gmm`.
# Usage: sh test_cli_online.sh VEM REPO_ROOT
NAME=cli_online
. "$(dirname "$0")/harness_mpi.sh"

F=$ROOT/examples/data/faithful.csv

# Streaming batch EM: the same bits as in memory (the init sees every row).
"$VEM" fit gmm "$F" -k 2 --json --tol 1e-8 >"$tmp/mem.json"
"$VEM" fit gmm "$F" -k 2 --json --tol 1e-8 --stream >"$tmp/str.json"
check "stream batch same log-likelihood" \
    "[ \"\$(json $tmp/mem.json 'repr(d[\"log_likelihood\"])')\" = \"\$(json $tmp/str.json 'repr(d[\"log_likelihood\"])')\" ]"
check "stream flag in JSON" "[ \"\$(json $tmp/str.json 'd[\"streamed\"]')\" = True ]"

# Raw float64 streamed.
"$PY" -c "
import csv, struct
rows = list(csv.reader(open('$F')))[1:]
open('$tmp/f.f64', 'wb').write(b''.join(struct.pack('<dd', float(a), float(b)) for a, b in rows))"
"$VEM" fit gmm "$tmp/f.f64" --binary-cols 2 -k 2 --json --tol 1e-8 --stream >"$tmp/bin.json"
check "stream binary same log-likelihood" \
    "[ \"\$(json $tmp/mem.json 'repr(d[\"log_likelihood\"])')\" = \"\$(json $tmp/bin.json 'repr(d[\"log_likelihood\"])')\" ]"

# Stepwise: passes, steps, trace per minibatch on request.
"$VEM" fit gmm "$F" -k 2 --algorithm stepwise --batch-size 50 --passes 4 --tol 0 --json \
    --trace-steps >"$tmp/sw.json" 2>"$tmp/sw.err"
check "stepwise --tol 0 says the passes run" "grep -q 'ran 4 passes (--tol 0)' $tmp/sw.err"
check "stepwise passes" "[ \"\$(json $tmp/sw.json 'd[\"n_iter\"]')\" = 4 ]"
check "stepwise steps" "[ \"\$(json $tmp/sw.json 'd[\"n_steps\"]')\" = 24 ]"
check "stepwise trace has steps" "[ \"\$(json $tmp/sw.json 'len(d[\"trace\"])')\" = 28 ]"
check "stepwise near batch" \
    "[ \"\$(json $tmp/sw.json 'abs(d[\"mean_log_likelihood\"] - $(json $tmp/mem.json 'd["mean_log_likelihood"]')) < 0.01')\" = True ]"

# Incremental: no decrease of the free energy, converges to batch's optimum.
"$VEM" fit gmm "$F" -k 2 --algorithm incremental --blocks 4 --tol 1e-10 --max-iter 500 --json \
    >"$tmp/inc.json"
check "incremental monotone" "[ \"\$(json $tmp/inc.json 'd[\"monotonicity_violations\"]')\" = 0 ]"
check "incremental converged" "[ \"\$(json $tmp/inc.json 'd[\"converged\"]')\" = True ]"
check "incremental optimum" \
    "[ \"\$(json $tmp/inc.json 'abs(d[\"mean_log_likelihood\"] - $(json $tmp/mem.json 'd["mean_log_likelihood"]')) < 1e-6')\" = True ]"

# Human output works with streaming.
"$VEM" fit gmm "$F" -k 2 --stream --algorithm stepwise >"$tmp/h.txt" 2>&1
check "stream human summary" "grep -q 'Gaussian mixture: K=2' $tmp/h.txt"

# Invalid values: usage errors with exit status 1.
for args in "--algorithm stepwise --kappa 0.5" "--algorithm stepwise --kappa 1.5" \
    "--algorithm stepwise --batch-size 0" "--algorithm incremental --blocks 0" \
    "--algorithm online" "--kappa 0.7" "--stream -k 1-3" "--algorithm stepwise --tau -1"; do
    "$VEM" fit gmm "$F" -k 2 $args >"$tmp/out" 2>"$tmp/err"
    rc=$?
    check "usage error for $args (rc $rc)" "[ $rc -eq 1 ] && [ ! -s $tmp/out ]"
done

# Bad input while streaming: file:line:col and exit status 2.
printf 'a,b\n1,2\n3,oops\n' >"$tmp/bad.csv"
"$VEM" fit gmm "$tmp/bad.csv" -k 1 --stream >"$tmp/out" 2>"$tmp/err"
rc=$?
check "stream bad cell exit 2" "[ $rc -eq 2 ]"
check "stream bad cell place" "grep -q 'bad.csv:3:3:' $tmp/err"
"$PY" -c "
import struct
open('$tmp/nan.f64', 'wb').write(struct.pack('<6d', 1, 2, 3, float('nan'), 5, 6))"
"$VEM" fit gmm "$tmp/nan.f64" --binary-cols 2 -k 1 --stream >"$tmp/out" 2>"$tmp/err"
rc=$?
check "stream NaN exit 2" "[ $rc -eq 2 ] && grep -q 'row 2 column 2: not finite' $tmp/err"
"$VEM" fit gmm "$tmp/missing.csv" -k 1 --stream >"$tmp/out" 2>"$tmp/err"
check "stream missing file exit 2" "[ $? -eq 2 ]"

finish
