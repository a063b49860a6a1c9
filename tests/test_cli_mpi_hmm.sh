#!/bin/sh
# Distributed HMM fits: `mpirun -np P vem fit hmm ... --mpi` against one process.
# Usage: sh test_cli_mpi_hmm.sh VEM REPO_ROOT
# With a vem built without MPI (or no mpirun), checks that --mpi is refused clearly.
NAME=cli_mpi_hmm
. "$(dirname "$0")/harness_mpi.sh"
W=$ROOT/examples/data/seattle-weather.csv
INIT=$ROOT/tests/golden/seattle_k3.init.json

if ! have_mpi; then
    "$VEM" fit hmm "$W" --init-model "$INIT" --columns weather --mpi >"$tmp/out" 2>"$tmp/err"
    rc=$?
    check "--mpi refused without MPI (rc $rc)" "[ $rc -eq 1 ] && grep -q 'built without MPI' $tmp/err"
    finish " (vem built without MPI: distributed runs not tested)"
fi

mpi_setup

same() { [ "$(key "$1" "$3")" = "$(key "$2" "$3")" ]; }

# The Seattle weather with a month column (48 sequences) and its lengths file; the
# same as raw float64 (three numeric columns).
"$PY" - "$W" "$tmp" <<'PYEOF'
import csv, struct, sys
rows = list(csv.DictReader(open(sys.argv[1])))
d = sys.argv[2]
with open(d + '/wm.csv', 'w') as f:
    f.write('month,weather,temp_max,temp_min,wind\n')
    for r in rows:
        f.write('%s,%s,%s,%s,%s\n' % (r['date'][:7], r['weather'], r['temp_max'], r['temp_min'],
                                      r['wind']))
months = [r['date'][:7] for r in rows]
with open(d + '/wm.len', 'w') as f:
    for m in sorted(set(months)):
        f.write('%d\n' % months.count(m))
with open(d + '/wm.f64', 'wb') as f:
    for r in rows:
        f.write(struct.pack('<ddd', float(r['temp_max']), float(r['temp_min']), float(r['wind'])))
# Counts (Poisson emissions) by month: precipitation in whole mm, wind in whole m/s.
with open(d + '/wc.csv', 'w') as f:
    f.write('month,precipitation_mm,wind_ms\n')
    for r in rows:
        f.write('%s,%d,%d\n' % (r['date'][:7], int(float(r['precipitation']) + 0.5),
                                 int(float(r['wind']) + 0.5)))
# Three sequences only (more ranks than sequences: some ranks hold none).
with open(d + '/few.csv', 'w') as f:
    f.write('month,temp_max,temp_min\n')
    for r in rows:
        if r['date'][:7] in ('2012-01', '2012-02', '2012-03'):
            f.write('%s,%s,%s\n' % (r['date'][:7], r['temp_max'], r['temp_min']))
PYEOF
WM=$tmp/wm.csv
NUM="--columns temp_max,temp_min,wind"

# Same model as one process from the same --init-model, to 1e-10, for 2 and 3 ranks:
# categorical (Seattle golden start, symbols by name), shares by the sequence column
# and by the lengths file.
"$VEM" fit hmm "$WM" --init-model "$INIT" --columns weather --sequence-column month \
    --tol 1e-10 --max-iter 60 --json >"$tmp/c1.json" 2>/dev/null
for case in "2 --sequence-column month" "3 --sequence-column month" "3 --lengths $tmp/wm.len"; do
    set -- $case
    np=$1
    shift
    seq="$*"
    run $np fit hmm "$WM" --init-model "$INIT" --columns weather $seq --tol 1e-10 \
        --max-iter 60 --json >"$tmp/c$np.json" 2>"$tmp/err"
    rc=$?
    what="categorical np=$np ${seq%% *}"
    check "$what exit" "[ $rc -eq 0 ]"
    check "$what one JSON object" "[ \$(wc -l <$tmp/c$np.json) -eq 1 ]"
    check "$what processes" "[ \"\$(key $tmp/c$np.json \"['processes']\")\" = $np ]"
    check "$what frames, sequences" \
        "[ \"\$(key $tmp/c$np.json \"['n']\")/\$(key $tmp/c$np.json \"['n_sequences']\")\" = 1461/48 ]"
    for k in log_likelihood startprob transmat emissionprob; do
        check "$what $k" "rel_close $tmp/c$np.json $tmp/c1.json $k 1e-10"
    done
    check "$what iterations" "same $tmp/c$np.json $tmp/c1.json \"['n_iter']\""
    check "$what symbols" "same $tmp/c$np.json $tmp/c1.json \"['symbols']\""
done

# Gaussian emissions (full covariance), several sequences: a start written by one process.
"$VEM" fit hmm "$WM" -k 3 --emission gaussian $NUM --sequence-column month --max-iter 2 \
    -o "$tmp/ginit.json" >/dev/null 2>&1
"$VEM" fit hmm "$WM" --init-model "$tmp/ginit.json" --sequence-column month --tol 1e-10 \
    --max-iter 40 --json >"$tmp/g1.json" 2>/dev/null
for np in 2 3; do
    run $np fit hmm "$WM" --init-model "$tmp/ginit.json" --sequence-column month --tol 1e-10 \
        --max-iter 40 --json -o "$tmp/gm$np.json" >"$tmp/g$np.json" 2>"$tmp/err"
    check "gaussian np=$np exit" "[ \$? -eq 0 ]"
    for k in log_likelihood startprob transmat means covariances; do
        check "gaussian np=$np $k" "rel_close $tmp/g$np.json $tmp/g1.json $k 1e-10"
    done
    check "gaussian np=$np iterations" "same $tmp/g$np.json $tmp/g1.json \"['n_iter']\""
done
check "rank 0 wrote the model" "\"$VEM\" score $tmp/gm3.json $WM --sequence-column month >/dev/null"

# Poisson emissions (issue 19): Baum-Welch in memory and streamed, and Monte-Carlo EM, whose
# draws are keyed by the sequence, not the process.
PINIT=$ROOT/tests/golden/hmm_poisson_seattle.init.json
PC="--columns precipitation_mm,wind_ms --sequence-column month"
for alg in batch mcem; do
    "$VEM" fit hmm "$tmp/wc.csv" --init-model "$PINIT" $PC --algorithm $alg --tol 0 \
        --max-iter 20 --json >"$tmp/p1$alg.json" 2>/dev/null
    for np in 2 3; do
        for st in "" --stream; do
            [ "$alg" = mcem ] && [ -n "$st" ] && continue
            run $np fit hmm "$tmp/wc.csv" --init-model "$PINIT" $PC --algorithm $alg --tol 0 \
                --max-iter 20 --json $st >"$tmp/p$np.json" 2>"$tmp/err"
            check "poisson $alg np=$np $st exit" "[ \$? -eq 0 ]"
            for k in log_likelihood startprob transmat lambdas; do
                check "poisson $alg np=$np $st $k" \
                    "rel_close $tmp/p$np.json $tmp/p1$alg.json $k 1e-10"
            done
        done
    done
done

# Raw float64 shares (row offsets of whole sequences) and more ranks than sequences.
"$VEM" fit hmm "$tmp/wm.f64" --binary-cols 3 --init-model "$tmp/ginit.json" --lengths "$tmp/wm.len" \
    --tol 1e-10 --max-iter 40 --json >"$tmp/b1.json" 2>/dev/null
run 3 fit hmm "$tmp/wm.f64" --binary-cols 3 --init-model "$tmp/ginit.json" --lengths "$tmp/wm.len" \
    --tol 1e-10 --max-iter 40 --json >"$tmp/b3.json" 2>"$tmp/err"
check "binary np=3 log_likelihood" "rel_close $tmp/b3.json $tmp/b1.json log_likelihood 1e-10"
"$VEM" fit hmm "$tmp/few.csv" -k 2 --emission gaussian --sequence-column month --tol 1e-9 \
    --json >"$tmp/e1.json" 2>/dev/null
run 5 fit hmm "$tmp/few.csv" -k 2 --emission gaussian --sequence-column month --tol 1e-9 \
    --json >"$tmp/e5.json" 2>"$tmp/err"
check "5 ranks, 3 sequences: exit" "[ \$? -eq 0 ]"
check "5 ranks, 3 sequences: log_likelihood" "rel_close $tmp/e5.json $tmp/e1.json log_likelihood 1e-9"

# Default initialisation: rank 0 initialises on the one-process sample (whole sequences
# gathered in rank order; k-means for Gaussian emissions, random categorical ones), so
# the same fit as one process, to round-off, and the same number of iterations.
"$VEM" fit hmm "$WM" -k 3 --emission gaussian --covariance diag $NUM --sequence-column month \
    --tol 1e-9 --max-iter 400 --json >"$tmp/d1.json" 2>/dev/null
run 2 fit hmm "$WM" -k 3 --emission gaussian --covariance diag $NUM --sequence-column month \
    --tol 1e-9 --max-iter 400 --json >"$tmp/d2.json" 2>"$tmp/err"
check "default init np=2: one process's fit" "rel_close $tmp/d2.json $tmp/d1.json log_likelihood 1e-10"
check "default init np=2: its iterations" "same $tmp/d2.json $tmp/d1.json \"['n_iter']\""
"$VEM" fit hmm "$WM" -k 3 --emission categorical --columns weather --sequence-column month \
    --seed 4 --tol 1e-9 --max-iter 400 --json >"$tmp/r1.json" 2>/dev/null
run 3 fit hmm "$WM" -k 3 --emission categorical --columns weather --sequence-column month \
    --seed 4 --tol 1e-9 --max-iter 400 --json >"$tmp/r3.json" 2>"$tmp/err"
check "categorical default init np=3: one process's fit" "rel_close $tmp/r3.json $tmp/r1.json log_likelihood 1e-10"
check "categorical np=3 symbols" "same $tmp/r3.json $tmp/r1.json \"['symbols']\""

# Online algorithms under MPI: the engine initialises on rank 0 as one process does (the
# same draws), so incremental EM on 2 ranks reaches one process's incremental optimum.
"$VEM" fit hmm "$WM" -k 3 --emission gaussian --covariance diag $NUM --sequence-column month \
    --algorithm incremental --n-blocks 5 --tol 1e-10 --max-iter 500 --json \
    >"$tmp/inc1.json" 2>/dev/null
run 2 fit hmm "$WM" -k 3 --emission gaussian --covariance diag $NUM --sequence-column month \
    --algorithm incremental --n-blocks 5 --tol 1e-10 --max-iter 500 --json \
    >"$tmp/inc.json" 2>"$tmp/err"
check "incremental np=2 optimum" "rel_close $tmp/inc.json $tmp/inc1.json log_likelihood 1e-9"
check "incremental np=2 monotone" "[ \"\$(key $tmp/inc.json \"['monotonicity_violations']\")\" = 0 ]"
run 3 fit hmm "$WM" -k 3 --emission gaussian --covariance diag $NUM --sequence-column month \
    --algorithm stepwise --batch-size 5 --max-iter 20 --tol 0 --json >"$tmp/sw.json" 2>"$tmp/err"
check "stepwise np=3 exit" "[ \$? -eq 0 ]"
check "stepwise np=3 near optimum" \
    "[ \"\$(\"$PY\" -c \"import json; a=json.load(open('$tmp/sw.json')); b=json.load(open('$tmp/d1.json')); print(abs(a['mean_log_likelihood']-b['mean_log_likelihood']) < 0.01)\")\" = True ]"

# The engine options of online fits under MPI: --passes, --blocks, --eval-passes, --trace-steps.
ONL="fit hmm $WM -k 3 --emission gaussian --covariance diag $NUM --sequence-column month \
    --algorithm incremental --tol 0 --json"
run 2 $ONL --n-blocks 4 --max-iter 3 >"$tmp/o1.json" 2>"$tmp/err"
run 2 $ONL --blocks 4 --passes 3 --eval-passes --trace-steps >"$tmp/o2.json" 2>"$tmp/err"
check "online np=2 --passes --blocks --eval-passes --trace-steps exit" "[ \$? -eq 0 ]"
check "online np=2 --eval-passes: same fit" "rel_close $tmp/o2.json $tmp/o1.json log_likelihood 1e-12"
# Three passes, each objective exact (not the running sums), and the blocks traced too.
got=$(json "$tmp/o2.json" "len([t for t in d['trace'] if t['step'] == 0]),
      [t['objective'] for t in d['trace'] if t['step'] == 0]
      != [t['objective'] for t in json.load(open('$tmp/o1.json'))['trace']],
      any(t['step'] > 0 for t in d['trace'])")
check "online np=2 --eval-passes --trace-steps: the trace" "[ \"\$got\" = '3 True True' ]"
# --stream under --mpi: each rank streams its whole sequences; the same fit as its shares
# in memory (incremental EM's blocks follow the ranks: compare the same rank count).
run 3 $ONL --n-blocks 4 --max-iter 3 >"$tmp/m3.json" 2>"$tmp/err"
run 3 $ONL --n-blocks 4 --max-iter 3 --stream >"$tmp/o3.json" 2>"$tmp/err"
check "online np=3 --stream: exit 0" "[ \$? -eq 0 ]"
check "online np=3 --stream: the in-memory fit" "same $tmp/o3.json $tmp/m3.json \"['log_likelihood']\""

# A bad line in the second rank's share: its file:line:col, a non-zero exit, no hang.
"$PY" -c "
lines = open('$WM').read().splitlines()
c = lines[1200].split(',')
c[3] = 'abc'
lines[1200] = ','.join(c)
open('$tmp/bad.csv', 'w').write('\n'.join(lines) + '\n')"
col=$("$PY" -c "l = open('$tmp/bad.csv').read().splitlines()[1200]; print(l.index('abc') + 1)")
start=$(date +%s)
run 2 fit hmm "$tmp/bad.csv" -k 3 --emission gaussian $NUM --sequence-column month \
    >"$tmp/out" 2>"$tmp/err"
rc=$?
end=$(date +%s)
check "bad line: non-zero exit" "[ $rc -ne 0 ] && [ $rc -ne 124 ]"
check "bad line: file:line:col" "grep -q 'bad.csv:1201:$col: not a number' $tmp/err"
check "bad line: within seconds" "[ $((end - start)) -lt 20 ]"
check "bad line: nothing printed" "[ ! -s $tmp/out ]"

# Lengths that do not cover the data: one message, a non-zero exit.
head -n 47 "$tmp/wm.len" >"$tmp/short.len"
run 3 fit hmm "$WM" --init-model "$INIT" --columns weather --lengths "$tmp/short.len" \
    >"$tmp/out" 2>"$tmp/err"
rc=$?
check "short lengths: non-zero exit" "[ $rc -ne 0 ] && [ $rc -ne 124 ]"
check "short lengths: one message" "[ \$(grep -c 'add up to 1430, but the data has 1461 rows' $tmp/err) -eq 1 ]"

# A symbol the model lacks, in the last rank's share: the row as one process names it.
sed '1001s/,[a-z]*,/,hail,/' "$WM" >"$tmp/hail.csv"
"$VEM" fit hmm "$tmp/hail.csv" --init-model "$INIT" --sequence-column month 2>"$tmp/err1" >/dev/null
run 3 fit hmm "$tmp/hail.csv" --init-model "$INIT" --sequence-column month >"$tmp/out" 2>"$tmp/err"
rc=$?
check "unknown symbol: non-zero exit" "[ $rc -ne 0 ] && [ $rc -ne 124 ]"
check "unknown symbol: the row of the file" \
    "grep -q \"\$(head -n 1 $tmp/err1)\" $tmp/err && grep -q 'hail.csv:1001:' $tmp/err"

finish
