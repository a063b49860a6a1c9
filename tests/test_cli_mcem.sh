#!/bin/sh
# End-to-end checks of Monte-Carlo, stochastic and classification EM in `vem fit gmm`
# (docs/mcem.md): defaults, the JSON they report, same bits for any thread count and
# after a resume, k-means from CEM, and the refusals.
# Usage: sh test_cli_mcem.sh VEM REPO_ROOT
NAME=cli_mcem
. "$(dirname "$0")/harness.sh"

F=$DATA/faithful.csv
"$VEM" fit gmm "$F" -k 2 --tol 1e-10 --json >em.json

# MCEM's defaults: the automatic schedule from 100 draws and the parameter rule at 1e-3;
# it stops by itself near the EM optimum.
run fit gmm "$F" -k 2 --algorithm mcem --json
expect_rc "mcem" 0
cp out mcem.json
pycheck "mcem: auto schedule, parameter rule, converged near EM" "" "d, e = load(1), load(2)
m = d['monte_carlo']
assert d['algorithm'] == 'mcem' and d['tol_rule'] == 'parameters' and d['converged'], d
assert m['schedule'] == 'auto' and m['first_samples'] == 100, m
assert m['last_samples'] >= 100 and m['last_samples'] % 10 == 0, m
ms = [t['mc_samples'] for t in d['trace']]
assert ms[0] == 100 and ms == sorted(ms) and ms[-1] == m['last_samples'], ms
assert abs(d['objective'] - e['objective']) < 0.01, (d['objective'], e['objective'])
assert d['monotonicity_violations'] == 0" mcem.json em.json

# Same bits with 1 and 2 threads (272 rows: one slot; 8 copies: 8 slots).
"$PY" -c "
rows = open('$F').read().splitlines()
open('f8.csv', 'w').write('\n'.join([rows[0]] + [r for _ in range(8) for r in rows[1:]]) + '\n')"
"$VEM" fit gmm f8.csv -k 2 --algorithm mcem --mc-samples 20 --max-iter 6 --json --threads 1 >t1.json
"$VEM" fit gmm f8.csv -k 2 --algorithm mcem --mc-samples 20 --max-iter 6 --json --threads 2 >t2.json
pycheck "mcem: same bits for 1 and 2 threads" "" "a, b = load(1), load(2)
assert repr(a['objective']) == repr(b['objective']), (a['objective'], b['objective'])
assert [repr(t['objective']) for t in a['trace']] == [repr(t['objective']) for t in b['trace']]" \
    t1.json t2.json

# Checkpoint and resume: the uninterrupted bits (fixed and automatic schedules, with
# averaging under way), from a checkpoint taken mid-fit (after iteration 10 of 12).
for sch in fixed auto; do
    FIT="fit gmm $F -k 2 --algorithm mcem --mc-schedule $sch --mc-samples 20 --max-iter 12 --tol 0 --average-from 5 --json"
    "$VEM" $FIT >full.json 2>/dev/null
    "$VEM" $FIT --checkpoint ck.bin --checkpoint-every 5 >/dev/null 2>&1
    it=$("$PY" -c "import json; f=open('ck.bin','rb'); f.readline(); f.readline(); print(json.loads(f.readline())['iter'])")
    check "mcem $sch: the checkpoint is mid-fit (iteration $it)" [ "$it" = 10 ]
    run $FIT --resume ck.bin
    expect_rc "mcem $sch: resume" 0
    cp out res.json
    pycheck "mcem $sch: resumed = uninterrupted" "" "a, b = load(1), load(2)
assert repr(a['objective']) == repr(b['objective']), (a['objective'], b['objective'])
assert a['monte_carlo'] == b['monte_carlo'], (a['monte_carlo'], b['monte_carlo'])
assert [t['mc_samples'] for t in a['trace']] == [t['mc_samples'] for t in b['trace']]
assert [repr(t['objective']) for t in a['trace']] == [repr(t['objective']) for t in b['trace']]" \
        full.json res.json
done

# SEM's defaults: --max-iter iterations, the second half averaged; near the EM optimum.
run fit gmm "$F" -k 2 --algorithm sem --json
expect_rc "sem" 0
expect_err "sem runs its iterations" "ran 100 iterations (--tol 0)"
cp out sem.json
pycheck "sem: 100 iterations, 50 averaged, near EM" "" "d, e = load(1), load(2)
m = d['monte_carlo']
assert d['n_iter'] == 100 and m['n_averaged'] == 50 and m['first_samples'] == 1, d
assert all(t['mc_samples'] == 1 for t in d['trace'])
assert e['objective'] - 0.05 < d['objective'] <= e['objective'] + 1e-6, (d['objective'], e['objective'])" \
    sem.json em.json

# CEM with EII and equal weights: k-means; from k-means' own start the same centres as
# vem's k-means initialisation run to convergence.
run fit gmm "$F" -k 3 --covariance EII --equal-weights --algorithm cem --json -o cem.json
expect_rc "cem" 0
pyjson "cem: equal weights, converged, no violations" "" "
assert d['converged'] and d['monotonicity_violations'] == 0, d
assert 'monte_carlo' not in d"
pycheck "cem model keeps equal weights" "" "d = load(1)
assert d['equal_weights'] is True and all(abs(w - 1 / 3) < 1e-15 for w in d['weights']), d" cem.json
run info cem.json
expect_out "info: 7 parameters (k - 1 fewer)" "parameters: 7"

# Refusals, by name.
run fit gmm "$F" -k 2 --algorithm mcem --mc-growth 1.5
expect_rc "--mc-growth without geometric" 1
expect_err "--mc-growth: says why" "--mc-growth applies to --mc-schedule geometric"
run fit gmm "$F" -k 2 --algorithm sem --mc-samples 5
expect_rc "--mc-samples with sem" 1
expect_err "--mc-samples: says why" "--mc-samples applies to --algorithm mcem"
run fit gmm "$F" -k 2 --algorithm mcem --mc-samples 50 --mc-max-samples 10
expect_rc "--mc-samples above the cap" 1
run fit gmm "$F" -k 1-2 --equal-weights
expect_rc "--equal-weights with a selection" 1
expect_err "--equal-weights: says why" "--equal-weights fits one model"
run fit gmm "$F" -k 2 --algorithm bogus
expect_rc "unknown algorithm" 1
expect_err "unknown algorithm: lists them" "mcem, sem, cem, lbfgs or em-lbfgs"

finish
