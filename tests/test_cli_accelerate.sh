#!/bin/sh
# End-to-end checks of --accelerate squarem (docs/acceleration.md): the same optimum as
# EM, the passes reported, the same bits after a resume, and the refusals.
# Usage: sh test_cli_accelerate.sh VEM REPO_ROOT
NAME=cli_accelerate
. "$(dirname "$0")/harness.sh"

F=$DATA/faithful.csv
run fit gmm "$F" -k 3 --tol 1e-12 --json
cp out em.json
run fit gmm "$F" -k 3 --tol 1e-12 --accelerate squarem --json
expect_rc "squarem" 0
cp out sq.json
pycheck "squarem: EM's optimum, passes reported, monotone" "" "a, b = load(1), load(2)
assert b['accelerate'] == 'squarem' and a['accelerate'] == 'none', (a['accelerate'], b['accelerate'])
assert abs(a['objective'] - b['objective']) < 1e-8 * a['n_obs'], (a['objective'], b['objective'])
assert a['n_passes'] == a['n_iter'], a['n_passes']
assert 2 * b['n_iter'] <= b['n_passes'] <= 13 * b['n_iter'], (b['n_iter'], b['n_passes'])
assert b['monotonicity_violations'] == 0" em.json sq.json

# Resume from a checkpoint taken mid-fit: the uninterrupted bits.
FIT="fit gmm $F -k 3 --tol 0 --max-iter 12 --accelerate squarem --json"
"$VEM" $FIT >full.json 2>/dev/null
"$VEM" $FIT --checkpoint ck.bin --checkpoint-every 5 >/dev/null 2>&1
run $FIT --resume ck.bin
expect_rc "squarem resume" 0
cp out res.json
pycheck "squarem: resumed = uninterrupted" "" "a, b = load(1), load(2)
assert repr(a['objective']) == repr(b['objective']), (a['objective'], b['objective'])
assert a['n_passes'] == b['n_passes'], (a['n_passes'], b['n_passes'])" full.json res.json

# The other kinds' batch EM too.
run fit hmm "$DATA/seattle-weather.csv" --states 3 --emission categorical --columns weather \
    --accelerate squarem --json
expect_rc "hmm squarem" 0
pyjson "hmm squarem: monotone" "" "assert d['monotonicity_violations'] == 0 and d['n_passes'] >= 2"
run fit vbgmm "$F" -k 3 --accelerate squarem --json
expect_rc "vbgmm squarem" 0
pyjson "vbgmm squarem: monotone" "" "assert d['monotonicity_violations'] == 0"

# L-BFGS and EM-then-L-BFGS: the same optimum, fewer passes on a slow case, and what they
# refuse (a configuration without a gradient, checkpoints).
for alg in lbfgs em-lbfgs; do
    run fit gmm "$F" -k 3 --tol 1e-12 --algorithm $alg --json
    expect_rc "$alg" 0
    cp out $alg.json
    pycheck "$alg: EM's optimum, converged, monotone" "" "a, b = load(1), load(2)
assert b['algorithm'] == '$alg' and b['converged'], b['algorithm']
assert abs(a['objective'] - b['objective']) < 1e-8 * a['n_obs'], (a['objective'], b['objective'])
assert b['monotonicity_violations'] == 0
assert b['trace'][-1]['passes'] <= b['n_passes']" em.json $alg.json
done
# mclust's structured covariances (here EVV, Sigma_k = lambda D_k A_k D_k^T): EM's optimum
# in a sixteenth to a twentieth of its passes (EM crawls: 1456; L-BFGS 74, EM-L-BFGS 88).
run fit gmm "$F" -k 3 --covariance EVV --tol 1e-12 --json
cp out evv_em.json
for alg in lbfgs em-lbfgs; do
    run fit gmm "$F" -k 3 --covariance EVV --tol 1e-12 --algorithm $alg --json
    expect_rc "EVV $alg" 0
    cp out evv_$alg.json
    pycheck "EVV $alg: EM's optimum, converged, monotone, fewer passes" "" "a, b = load(1), load(2)
assert b['algorithm'] == '$alg' and b['converged'] and a['converged'], b['algorithm']
assert abs(a['objective'] - b['objective']) < 1e-8 * a['n_obs'], (a['objective'], b['objective'])
assert b['monotonicity_violations'] == 0
assert 5 * b['n_passes'] < a['n_passes'], (a['n_passes'], b['n_passes'])" evv_em.json evv_$alg.json
done
run fit gmm "$F" -k 3 --prior --algorithm lbfgs
expect_rc "lbfgs with --prior" 2
expect_err "lbfgs with --prior: says why" "no objective gradient"
# The HMM (categorical and Gaussian emissions): Baum-Welch's optimum from the same start
# (--seed 1, where the three share a basin), Baum-Welch run to convergence as reference.
SW="$DATA/seattle-weather.csv --states 3 --emission categorical --columns weather"
FG="$F --states 3 --emission gaussian"
for d in SW FG; do
    eval "args=\$$d"
    run fit hmm $args --seed 1 --tol 1e-12 --max-iter 10000 --json
    expect_rc "hmm $d batch" 0
    cp out hmm_em.json
    for alg in lbfgs em-lbfgs; do
        run fit hmm $args --seed 1 --tol 1e-12 --algorithm $alg --json
        expect_rc "hmm $d $alg" 0
        cp out hmm_$alg.json
        pycheck "hmm $d $alg: Baum-Welch's optimum, converged, monotone" "" "a, b = load(1), load(2)
assert b['algorithm'] == '$alg' and b['converged'] and a['converged'], b['algorithm']
assert abs(a['log_likelihood'] - b['log_likelihood']) < 1e-8 * a['n'], (a['log_likelihood'], b['log_likelihood'])
assert b['monotonicity_violations'] == 0" hmm_em.json hmm_$alg.json
    done
done
# Mixture emissions have no gradient (yet).
run fit hmm "$F" --states 3 --emission gmm --mix 2 --algorithm lbfgs
expect_rc "hmm gmm lbfgs" 2
expect_err "hmm gmm lbfgs: says why" "no objective gradient"
run fit gmm "$F" -k 3 --algorithm lbfgs --checkpoint ck2.bin
expect_rc "lbfgs with --checkpoint" 2
expect_err "lbfgs with --checkpoint: says why" "not checkpointed"

# mclust's equal proportions (--equal-weights): the weights' gradient is held at 0, so
# L-BFGS keeps them at 1 / K and reaches EM's constrained optimum.
run fit gmm "$F" -k 3 --covariance EEE --equal-weights --tol 1e-12 --max-iter 10000 --json
cp out eq_em.json
run fit gmm "$F" -k 3 --covariance EEE --equal-weights --algorithm lbfgs --json
expect_rc "--equal-weights lbfgs" 0
pycheck "--equal-weights lbfgs: weights 1/3, EM's optimum" "" "a, b = load(1), load(2)
assert all(w == 1 / 3 for w in b['weights']), b['weights']
assert abs(a['log_likelihood'] - b['log_likelihood']) < 1e-8 * 272, (a['log_likelihood'],
    b['log_likelihood'])" eq_em.json out

run fit gmm "$F" -k 2 --algorithm stepwise --accelerate squarem
expect_rc "--accelerate with stepwise" 1
expect_err "--accelerate with stepwise: says why" "--accelerate applies to --algorithm batch"
run fit gmm "$F" -k 2 --accelerate aitken
expect_rc "unknown acceleration" 1
expect_err "unknown acceleration: names them" "expected none or squarem"

finish
