#!/bin/sh
# End-to-end checks of Monte-Carlo, stochastic and classification EM in `vem fit hmm`
# (forward filtering, backward sampling; Viterbi for CEM) and `vem fit lda` (topic
# assignments drawn from q(z)): docs/mcem.md. Defaults, the JSON, MCEM from the exact
# optimum near it, same bits for 1 and 2 threads, CEM's monotonicity.
# Usage: sh test_cli_mcem_models.sh VEM REPO_ROOT
NAME=cli_mcem_models
. "$(dirname "$0")/harness.sh"

W=$DATA/seattle-weather.csv
HMM="fit hmm $W --states 3 --emission categorical --columns weather"
"$VEM" $HMM --seed 1 --tol 1e-10 --max-iter 2000 --json -o em.json >emfit.json

# MCEM's defaults: the automatic schedule, the parameter rule at 1e-3, 100 iterations.
run $HMM --seed 1 --algorithm mcem --json
expect_rc "hmm mcem" 0
pyjson "hmm mcem: defaults" "" "
assert d['algorithm'] == 'mcem' and d['tol_rule'] == 'parameters' and d['tol'] == 1e-3, d
assert d['max_iter'] == 100 and d['monte_carlo']['schedule'] == 'auto', d['monte_carlo']"

# From the EM optimum, 200 paths, averaged over the last 10 of 20 iterations: within
# 0.01 nats of EM (tests/test_mcem_models.c measures 7e-4 at 500 paths).
run $HMM --init-model em.json --algorithm mcem --mc-samples 200 --mc-schedule fixed \
    --max-iter 20 --tol 0 --average-from 11 --json
expect_rc "hmm mcem from the optimum" 0
cp out mc.json
pycheck "hmm mcem: near EM" "" "d, e = load(1), load(2)
assert d['monte_carlo']['n_averaged'] == 10, d['monte_carlo']
assert e['objective'] - 0.01 < d['objective'] <= e['objective'] + 1e-6, (d['objective'], e['objective'])" \
    mc.json emfit.json

# SEM: 100 iterations, the second half averaged.
run $HMM --seed 1 --algorithm sem --json
expect_rc "hmm sem" 0
expect_err "hmm sem runs its iterations" "ran 100 iterations (--tol 0)"
pyjson "hmm sem: 50 averaged, one path" "" "
m = d['monte_carlo']
assert d['n_iter'] == 100 and m['n_averaged'] == 50 and m['first_samples'] == 1, d"

# CEM: the Viterbi log joint never decreases; it stops when no path changes.
run $HMM --seed 1 --algorithm cem --json
expect_rc "hmm cem" 0
pyjson "hmm cem: converged, monotone" "" "
assert d['converged'] and d['monotonicity_violations'] == 0, d
t = [e['objective'] for e in d['trace']]
assert all(b >= a for a, b in zip(t, t[1:])), t"

# Eight sequences, 1 and 2 threads: the same bits (MCEM, SEM, CEM); then mixture emissions.
printf '183\n183\n183\n183\n183\n182\n182\n182\n' >w.len
for alg in "mcem --mc-samples 20 --mc-schedule fixed" sem cem; do
    "$VEM" $HMM --lengths w.len --seed 2 --algorithm $alg --max-iter 6 --json --threads 1 >t1.json 2>/dev/null
    "$VEM" $HMM --lengths w.len --seed 2 --algorithm $alg --max-iter 6 --json --threads 2 >t2.json 2>/dev/null
    pycheck "hmm $alg: same bits for 1 and 2 threads" "" "a, b = load(1), load(2)
assert a['objective'] == b['objective'] and a['transmat'] == b['transmat'], (a['objective'], b['objective'])" \
        t1.json t2.json
done
F=$DATA/faithful.csv
for cov in full diag spherical tied; do
    run fit hmm "$F" --states 2 --emission gmm --mix 2 --covariance $cov --algorithm mcem \
        --mc-samples 20 --max-iter 5 --json
    expect_rc "hmm gmm emissions, $cov: mcem" 0
done

# Streamed frames (--stream, a block of whole sequences at a time): the in-memory bits.
printf '100\n172\n' >f.len
for alg in "mcem --mc-samples 20 --mc-schedule fixed" mcem sem cem; do
    FIT="fit hmm $F --states 2 --emission gmm --mix 2 --lengths f.len --algorithm $alg --max-iter 5 --json"
    "$VEM" $FIT >m.json 2>/dev/null
    "$VEM" $FIT --stream >s.json 2>/dev/null
    pycheck "hmm $alg: streamed = in memory" "" "a, b = load(1), load(2)
assert b['streamed'] and repr(a['objective']) == repr(b['objective']), (a['objective'], b['objective'])" \
        m.json s.json
done

# Checkpoint and resume (after iteration 10 of 12, averaging under way): the uninterrupted bits.
FIT="$HMM --seed 1 --algorithm mcem --mc-samples 20 --max-iter 12 --tol 0 --average-from 5 --json"
"$VEM" $FIT >full.json 2>/dev/null
"$VEM" $FIT --checkpoint ck.bin --checkpoint-every 5 >/dev/null 2>&1
run $FIT --resume ck.bin
expect_rc "hmm mcem: resume" 0
cp out res.json
pycheck "hmm mcem: resumed = uninterrupted" "" "a, b = load(1), load(2)
assert [repr(t['objective']) for t in a['trace']] == [repr(t['objective']) for t in b['trace']]
assert repr(a['objective']) == repr(b['objective']) and a['transmat'] == b['transmat']" \
    full.json res.json

# LDA: Monte-Carlo variational EM, SEM and CEM.
C=$ROOT/tests/data/lda_ok.docword.txt
run fit lda "$C" -k 2 --seed 1 --algorithm mcem --json
expect_rc "lda mcem" 0
pyjson "lda mcem: defaults" "" "
assert d['algorithm'] == 'mcem' and d['tol_rule'] == 'parameters' and d['tol'] == 1e-3, d
assert d['max_iter'] == 50, d['max_iter']"
run fit lda "$C" -k 2 --seed 1 --algorithm sem --json
expect_rc "lda sem" 0
pyjson "lda sem: 25 of 50 averaged" "" "
assert d['n_iter'] == 50 and d['monte_carlo']['n_averaged'] == 25, d"
run fit lda "$C" -k 2 --seed 1 --algorithm cem --json
expect_rc "lda cem refused" 1
expect_err "lda cem: says why" "not offered for LDA"
B=$DATA/brown/docword.brown.test.txt
n=0
for alg in "mcem --mc-samples 10 --mc-schedule fixed" sem; do
    n=$((n + 1)) # new names: a model file written over another gets a new lambda file name
    "$VEM" fit lda "$B" -k 5 --seed 3 --algorithm $alg --max-iter 3 --threads 1 -o a$n.json >/dev/null 2>&1
    "$VEM" fit lda "$B" -k 5 --seed 3 --algorithm $alg --max-iter 3 --threads 2 -o b$n.json >/dev/null 2>&1
    check "lda $alg: same lambda for 1 and 2 threads" cmp -s a$n.lambda.npy b$n.lambda.npy
    "$VEM" fit lda "$B" -k 5 --seed 3 --algorithm $alg --max-iter 3 --stream -o c$n.json >/dev/null 2>&1
    check "lda $alg: streamed = in memory" cmp -s a$n.lambda.npy c$n.lambda.npy
done
FIT="fit lda $B -k 5 --seed 3 --algorithm mcem --mc-samples 10 --max-iter 6 --tol 0 --average-from 3 --json"
"$VEM" $FIT >full.json 2>/dev/null
"$VEM" $FIT --checkpoint lck.bin --checkpoint-every 4 >/dev/null 2>&1
run $FIT --resume lck.bin
expect_rc "lda mcem: resume" 0
cp out res.json
pycheck "lda mcem: resumed = uninterrupted" "" "a, b = load(1), load(2)
assert [repr(t['objective']) for t in a['trace']] == [repr(t['objective']) for t in b['trace']]
assert repr(a['objective']) == repr(b['objective'])" full.json res.json

finish
