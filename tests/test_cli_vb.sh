#!/bin/sh
# tests/test_cli_vb.sh — `vem fit vbgmm`, `vem fit blr` and predict/score/info on their
# model files, end to end: outputs, the reference numbers, exit statuses, bad input.
#
#     sh tests/test_cli_vb.sh PATH/TO/vem REPO_ROOT
#
# One line per failed check, finally "cli_vb: N passed, M failed"; non-zero exit
# if any check failed. JSON is checked with python3 (grep without it).

NAME=cli_vb
. "$(dirname "$0")/harness.sh"
FAITHFUL=$DATA/faithful.csv
DIABETES=$DATA/diabetes.csv

# ---- vbgmm ----

run fit vbgmm "$FAITHFUL" -k 1 --reg-covar 0 --json
expect_rc "vbgmm K=1" 0
pyjson "K=1 ELBO is the Normal-Wishart evidence" '"elbo":-1303.89751779' "
assert close(d['elbo'], -1303.8975177948587, 1e-9), d['elbo']
assert d['effective_components'] == 1
assert d['monotonicity_violations'] == 0
assert close(d['covariance_prior'][0][1], 13.977807846754931, 1e-12)
assert d['model'] == 'vbgmm' and d['objective_name'] == 'elbo' and d['objective'] == d['elbo']
assert d['n_units'] == 272 and d['n_obs'] == 272 and d['n'] == 272
assert d['objective_per_obs'] == d['mean_elbo'] and d['processes'] == 1
assert isinstance(d['trace'][0]['iter'], int) and 'objective' in d['trace'][0]"

run fit vbgmm "$FAITHFUL" -k 10 --weight-prior dp --n-init 20 --seed 2 --tol 1e-10 --max-iter 1000 \
    --json -o dp.json
expect_rc "vbgmm K=10 dp" 0
pyjson "K=10 dp keeps 2 clusters" '"effective_components":2' "
assert abs(d['elbo'] - -1180.45) < 0.01, d['elbo']
assert d['effective_components'] == 2
assert d['weight_prior'] == 'dp' and len(d['weight_concentration']) == 10
assert len(d['weights']) == 10 and len(d['means']) == 10 and len(d['covariances']) == 10
assert d['monotonicity_violations'] == 0
t = [e['objective'] for e in d['trace']]
assert all(b >= a - 1e-9 * abs(a) for a, b in zip(t, t[1:])), 'ELBO decreased'
assert sorted(round(m[1]) for w, m in zip(d['weights'], d['means']) if w > 0.3) == [55, 80]"

run fit vbgmm "$FAITHFUL" -k 10 --weight-prior dirichlet --tol 1e-10 --max-iter 1000 --json
expect_rc "vbgmm K=10 dirichlet" 0
pyjson "K=10 dirichlet ELBO" '"effective_components":2' "
assert abs(d['elbo'] - -1186.23) < 0.01, d['elbo']
assert d['effective_components'] == 2 and d['weight_prior'] == 'dirichlet'"

# ---- defaults (issue 14): stick-breaking prior, total-ELBO rule, singular data ----

# scikit-learn's BayesianGaussianMixture defaults (dirichlet_process, tol 1e-3 on the
# total bound) keep the 2 clusters of Old Faithful at K = 10 for 6 of 8 seeds; vem's
# for every seed 0-9 (weights > 1e-2, scikit-learn's notion, and counts >= 1).
# Continuing each fit to a total change of 1e-10 gains < 1.2e-5 nats (measured).
for s in 0 1 2 3 4 5 6 7 8 9; do
    run fit vbgmm "$FAITHFUL" -k 10 --seed $s --json
    cp out "dflt$s.json"
    run fit vbgmm "$FAITHFUL" -k 10 --seed $s --tol 1e-10 --max-iter 100000 --json
    cp out "cont$s.json"
    pycheck "K=10 default seed $s: 2 components, converged" "" "d = load(1)
w = d['weights']
assert d['weight_prior'] == 'dp' and d['tol'] == 1e-3 and d['converged'], d['tol']
assert sum(1 for x in w if x > 1e-2) == 2 and d['effective_components'] == 2, w
assert d['monotonicity_violations'] == 0
c = load(2)
assert 0 <= c['elbo'] - d['elbo'] < 0.1, (c['elbo'], d['elbo'])" "dflt$s.json" "cont$s.json"
done

# digits (1797 x 64, 3 constant pixels): the default covariance prior, singular, gets
# reg_covar on its diagonal; the fit runs, meets the rule, no violation, and continuing
# it to 1e-10 gains < 0.1 nats (0.0014 measured for seed 0).
DIGITS=$DATA/digits.csv
run fit vbgmm "$DIGITS" -k 10 --json
expect_rc "vbgmm digits defaults" 0
cp out dig.json
run fit vbgmm "$DIGITS" -k 10 --tol 1e-10 --max-iter 100000 --json
expect_rc "vbgmm digits continued" 0
pycheck "vbgmm digits: regularised prior, converged, no violation" "" "d = load(1)
assert d['converged'] and d['monotonicity_violations'] == 0
assert close(d['covariance_prior'][0][0], 1e-6, 1e-9), d['covariance_prior'][0][0]
c = load(2)
assert c['monotonicity_violations'] == 0
assert 0 <= c['elbo'] - d['elbo'] < 0.1, (c['elbo'], d['elbo'])" dig.json out

run fit vbgmm "$FAITHFUL" -k 3 --covariance diag --weight-concentration 2.5 --mean-precision 0.5 \
    --dof 4 --seed 3
expect_rc "vbgmm diag, text" 0
expect_out "vbgmm text" "effective components:"
expect_out "vbgmm text" "ELBO:"
expect_out "vbgmm text" "eruptions"

run fit vbgmm "$FAITHFUL" -k 1 --reg-covar 0 --mean-prior 3,70 --covariance-prior 2.385,1.5,1.5,40 \
    --mean-precision 0.37 --dof 5.5 --json
expect_rc "vbgmm set priors" 0
pyjson "set priors: exact evidence" '"elbo"' "
assert d['mean_prior'] == [3, 70] and d['covariance_prior'][1] == [1.5, 40]
assert d['degrees_of_freedom_prior'] == 5.5"
run fit vbgmm "$FAITHFUL" -k 2 --covariance-prior 1,2,2,1
expect_rc "covariance prior not PD" 3
expect_err "covariance prior not PD" "positive definite"
run fit vbgmm "$FAITHFUL" -k 2 --mean-prior 1,2,3
expect_rc "mean prior length" 1
run fit vbgmm "$FAITHFUL" -k 10 --blocks 4
expect_rc "--blocks without incremental" 1
run fit vbgmm "$FAITHFUL" -k 10 --weight-prior dirichlet --algorithm incremental --blocks 4 --tol 1e-8 \
    --max-iter 200 --json
expect_rc "incremental VB" 0
pyjson "incremental VB" '"monotonicity_violations":0' "
assert d['monotonicity_violations'] == 0 and d['algorithm'] == 'incremental'
assert abs(d['elbo'] - -1186.23) < 0.01"
run fit vbgmm "$FAITHFUL" -k 4 --algorithm stepwise --batch-size 50 --passes 20 --eval-passes --json
expect_rc "stochastic VI" 0
pyjson "stochastic VI" '"algorithm":"stepwise"' "
assert d['algorithm'] == 'stepwise' and d['effective_components'] >= 2"
run fit vbgmm "$FAITHFUL" -k 4 --algorithm stepwise --batch-size 50 --passes 20 --eval-passes --stream \
    --json
expect_rc "stochastic VI streamed" 0
pyjson "stochastic VI streamed" '"streamed":true' "
assert d['streamed'] is True"

run info dp.json
expect_rc "info vbgmm" 0
expect_out "info vbgmm" "vbgmm"
run info dp.json --json
expect_rc "info vbgmm --json" 0
pyjson "info vbgmm json" '"model":"vbgmm"' "
assert d['model'] == 'vbgmm' and d['effective_components'] == 2"
run score dp.json "$FAITHFUL" --json
expect_rc "score vbgmm" 0
pyjson "score vbgmm" '"total_log_likelihood"' "
assert d['model'] == 'vbgmm' and d['objective_name'] == 'log_likelihood'
assert d['n_units'] == 272 and d['n_obs'] == 272 and d['objective'] == d['total_log_likelihood']
assert d['density'] == 'posterior predictive'
assert d['n'] == 272 and close(d['total_log_likelihood'], 272 * d['mean_log_likelihood'], 1e-12)
assert -4.3 < d['mean_log_likelihood'] < -4.0"
run predict dp.json "$FAITHFUL"
expect_rc "predict vbgmm" 0
check_labels=$(sort out | uniq -c | wc -l)
if [ "$check_labels" -eq 2 ]; then pass; else fail "predict vbgmm: $check_labels labels, want 2"; fi
run predict dp.json "$FAITHFUL" --proba --json
expect_rc "predict vbgmm --proba" 0
pyjson "predict --proba rows sum to 1" '"proba"' "
assert d['model'] == 'vbgmm'
assert len(d['proba']) == 272 and all(abs(sum(r) - 1) < 1e-12 for r in d['proba'])"
run sample dp.json -n 3 --seed 4
expect_rc "sample vbgmm" 0
expect_out "sample vbgmm" "eruptions,waiting,component"
run sample dp.json -n 5 --json
expect_rc "sample vbgmm --json" 0
pyjson "sample vbgmm json" '"samples"' "
assert d['model'] == 'vbgmm'
assert len(d['samples']) == 5 and len(d['samples'][0]) == 2 and len(d['components']) == 5"

# errors
run fit vbgmm "$FAITHFUL"
expect_rc "vbgmm without -k" 1
expect_err "vbgmm without -k" "-k"
run fit vbgmm "$FAITHFUL" -k 2 --covariance tied
expect_rc "vbgmm tied" 1
expect_err "vbgmm tied" "full or diag"
run fit vbgmm "$FAITHFUL" -k 2 --weight-prior pitman-yor
expect_rc "bad weight prior" 1
run fit vbgmm "$FAITHFUL" -k 2 --dof 0.5
expect_rc "dof <= d - 1" 1
expect_err "dof <= d - 1" "degrees of freedom"
run fit vbgmm "$FAITHFUL" -k 2 --mean-precision 0
expect_rc "mean precision 0" 1
run fit vbgmm "$FAITHFUL" -k 300
expect_rc "K > rows" 2
run fit vbgmm "$TMP/missing.csv" -k 2
expect_rc "missing file" 2
run fit vbgmm --help
expect_rc "vbgmm --help" 0
expect_out "vbgmm --help" "--weight-prior"
echo '{"format": "vem-model", "version": 1, "model": "vbgmm", "covariance_type": "full"}' >bad.json
run info bad.json
expect_rc "bad vbgmm model file" 2
expect_err "bad vbgmm model file" "bad.json"

# ---- blr ----

run fit blr "$DIABETES" --target target --intercept --standardize --tol 0 --max-iter 3000 --json \
    -o blr.json
expect_rc "blr diabetes" 0
pyjson "blr = BayesianRidge fixed point" '"noise_precision"' "
assert close(d['noise_precision'], 3.410195071e-4, 2e-10), d['noise_precision']
assert close(d['weight_precision'], 5.066334908e-3, 2e-10), d['weight_precision']
assert len(d['coef']) == 10 and d['columns'][2] == 'bmi'
assert close(d['coef'][8], 46.200012571470509, 1e-8), d['coef'][8]
assert close(d['intercept'], -247.09264665547386, 1e-8), d['intercept']
assert d['monotonicity_violations'] == 0 and math.isfinite(d['elbo'])
assert d['model'] == 'blr' and d['objective_name'] == 'elbo' and d['objective'] == d['elbo']
assert d['n_obs'] == 442 and d['max_iter'] == 3000 and d['tol'] == 0"
run predict blr.json "$DIABETES" --json
expect_rc "predict blr" 0
pyjson "predict blr mean and sd" '"sd"' "
assert d['model'] == 'blr'
assert len(d['mean']) == 442
assert close(d['mean'][0], 202.63861243909452, 1e-8) and close(d['sd'][0], 54.529450872405242, 1e-8)"
run predict blr.json "$DIABETES"
expect_rc "predict blr text" 0
expect_out "predict blr text" "mean,sd"
run score blr.json "$DIABETES" --json
expect_rc "score blr" 0
pyjson "score blr" '"total_log_likelihood"' "
assert d['model'] == 'blr' and d['objective_name'] == 'log_likelihood' and d['n_obs'] == 442
assert d['n'] == 442 and -6 < d['mean_log_likelihood'] < -5"
run sample blr.json -n 3
expect_rc "sample blr (unsupported)" 1
expect_err "sample blr" "is a 'blr' model"
run info blr.json
expect_rc "info blr" 0
expect_out "info blr" "noise precision"
run fit blr "$DIABETES" --target 11 --columns bmi,bp,s5 --ard --prune-threshold 1e3 --json
expect_rc "blr ard, columns" 0
pyjson "blr ard" '"pruned"' "
assert len(d['coef']) == 3 and len(d['weight_precision']) == 3 and d['ard']"

# ARD by MacKay's update (the default) reaches scikit-learn's ARDRegression with its
# defaults: px36 from the 60 other non-constant pixels of digits, standardised, with an
# intercept (tests/golden/make_ard_golden.py): the same 11 pruned weights after the same
# 47 iterations, the coefficients to 1e-6 (4.4e-14 measured), --max-iter 300 and --tol
# 1e-3 (on the sum of the weights' changes) by default.
ARD_GOLDEN=$ROOT/tests/golden/ard_digits_sklearn.txt
DCOLS=$(grep '^features ' "$ARD_GOLDEN" | cut -d' ' -f2- | tr ' ' ',')
run fit blr "$DATA/digits.csv" --target px36 --columns "$DCOLS" --ard --standardize --json \
    -o ard.json
expect_rc "blr ard digits (MacKay)" 0
pycheck "blr ard digits = ARDRegression" '"n_pruned":11' "d = load(1)
g = {}
for line in open(sys.argv[2]):
    if not line.startswith('#'):
        k, *v = line.split()
        g[k] = v
pruned = [int(i) for i in g['pruned']]
assert d['n_pruned'] == 11 == int(g['n_pruned'][0]), d['n_pruned']
assert [j for j, p in enumerate(d['pruned']) if p] == pruned, d['pruned']
assert d['converged'] and d['n_iter'] == int(g['n_iter'][0]) == 47, d['n_iter']
assert d['ard_update'] == 'mackay' and d['max_iter'] == 300 and d['tol'] == 1e-3
assert max(abs(a - float(b)) for a, b in zip(d['coef'], g['coef_input'])) < 1e-6
assert close(d['intercept'], float(g['intercept_input'][0]), 1e-9)
assert close(d['noise_precision'], float(g['alpha'][0]), 1e-9)
assert abs(d['elbo'] - float(g['objective'][0])) < 1e-6
assert all(d['coef'][j] == 0.0 for j in pruned) and d['monotonicity_violations'] == 0" \
    out "$ARD_GOLDEN"
# The same with ARDRegression's settings spelt out, and from the model file.
run fit blr "$DATA/digits.csv" --target px36 --columns "$DCOLS" --ard --ard-update mackay \
    --standardize --max-iter 300 --tol 1e-3 --prune-threshold 1e4 --hyperpriors \
    1e-6,1e-6,1e-6,1e-6 --json
pycheck "blr ard digits, ARDRegression's settings given" "" "a, b = load(1), load(2)
assert a['coef'] == b['coef'] and a['n_iter'] == b['fit']['n_iter'] == 47
assert [int(p) for p in a['pruned']] == b['pruned']" \
    out ard.json
run info ard.json
expect_out "info blr ard, text" "MacKay's evidence updates"
run info ard.json --json
expect_rc "info blr ard" 0
pyjson "info blr ard: the update rule is in the model file" '"mackay"' "
assert d['ard_update'] == 'mackay' and sum(d['pruned']) == 11"
# --init-model continues from the model's precisions and pruned set (before, the ARD
# setting was re-applied and reset them: a restart from lambda = 1, beta = 1 that pruned
# 10 weights after 52 iterations).
run fit blr "$DATA/digits.csv" --target px36 --columns "$DCOLS" --init-model ard.json --json
expect_rc "blr ard --init-model" 0
pyjson "blr ard --init-model continues" '"n_pruned":11' "
assert d['n_pruned'] == 11 and d['converged'] and d['n_iter'] <= 3, d['n_iter']
assert d['ard_update'] == 'mackay' and d['monotonicity_violations'] == 0"
# --max-iter is honoured (not converged after 10; --tol 0 runs them all).
run fit blr "$DATA/digits.csv" --target px36 --columns "$DCOLS" --ard --standardize \
    --max-iter 10 --json
expect_rc "blr ard --max-iter 10" 0
expect_err "blr ard --max-iter 10" "not converged after 10"
pyjson "blr ard --max-iter 10" '"n_iter":10' "
assert d['n_iter'] == 10 and not d['converged'] and len(d['trace']) == 10"
run fit blr "$DATA/digits.csv" --target px36 --columns "$DCOLS" --ard --standardize \
    --tol 0 --max-iter 80 --json
expect_err "blr ard --tol 0" "ran 80 iterations"
pyjson "blr ard --tol 0" '"n_iter":80' "
assert d['n_iter'] == 80 and d['n_pruned'] == 11"
# The VB update stays available; its ELBO test stops before any precision reaches 1e4.
run fit blr "$DIABETES" --target target --standardize --ard --ard-update vb --json
expect_rc "blr ard vb" 0
pyjson "blr ard vb" '"vb"' "
assert d['ard_update'] == 'vb' and d['monotonicity_violations'] == 0"
run fit blr "$DIABETES" --target target --ard-update vb
expect_rc "blr --ard-update without --ard" 1
expect_err "blr --ard-update without --ard" "applies to --ard"
run fit blr "$DIABETES" --target target --ard --ard-update em
expect_rc "blr --ard-update em" 1
expect_err "blr --ard-update em" "mackay or vb"
run fit blr "$DIABETES" --target target --ard
expect_out "blr ard text" "MacKay"
# The intercept is fitted by default (scikit-learn's fit_intercept=True): the default
# fit is the --intercept fit bit for bit; --no-intercept drops it.
run fit blr "$DIABETES" --target target --json
cp out blr_default.json
run fit blr "$DIABETES" --target target --intercept --json
cp out blr_int.json
run fit blr "$DIABETES" --target target --no-intercept --json
expect_rc "blr --no-intercept" 0
pycheck "blr: intercept by default, --no-intercept drops it" "" "a, b, c = load(1), load(2), load(3)
assert a['fit_intercept'] and a['elbo'] == b['elbo'] and a['intercept'] == b['intercept']
assert a['intercept'] != 0.0 and not c['fit_intercept'] and c['intercept'] == 0.0
assert c['elbo'] < a['elbo']" blr_default.json blr_int.json out
run fit blr "$DIABETES" --target target --intercept --no-intercept
expect_rc "blr --intercept --no-intercept" 1
expect_err "blr --intercept --no-intercept" "give one"
run fit blr "$DIABETES" --target target --hyperpriors 1e-6,1e-6,2,3
expect_rc "blr hyperpriors, text" 0
expect_out "blr text" "ELBO:"

run fit blr "$DIABETES"
expect_rc "blr without --target" 1
expect_err "blr without --target" "--target"
run fit blr "$DIABETES" --target nosuch
expect_rc "blr unknown target" 2
expect_err "blr unknown target" "nosuch"
run fit blr "$DIABETES" --target target --hyperpriors 1,2,3
expect_rc "blr bad hyperpriors" 1
run fit blr --help
expect_rc "blr --help" 0
expect_out "blr --help" "--ard"

# blr --init-model: start from a saved model's hyperposteriors, its settings with it;
# the fixed point is the same as from the default start.
run fit blr "$DIABETES" --target target --intercept --standardize --json
cp out blr_cold.json
run fit blr "$DIABETES" --target target --intercept --standardize --max-iter 3 -o blr3.json
run fit blr "$DIABETES" --target target --init-model blr3.json --json
expect_rc "blr --init-model" 0
pyjson "blr --init-model: same fixed point" '"elbo"' "
c = json.load(open('blr_cold.json'))
assert close(d['elbo'], c['elbo'], 1e-9), (d['elbo'], c['elbo'])
assert close(d['noise_precision'], c['noise_precision'], 1e-6)
scale = max(abs(b) for b in c['coef'])
assert all(abs(a - b) <= 1e-6 * scale for a, b in zip(d['coef'], c['coef']))"
run fit blr "$DIABETES" --target target --init-model blr3.json --ard
expect_rc "blr --init-model --ard" 1
expect_err "blr --init-model --ard" "leave them out"

# ---- options: each verb and kind takes its own ----

# Options of the other kind, engine options blr cannot honour, options of another verb.
for case in "fit vbgmm $FAITHFUL -k 2 --ard --target x|--ard" \
    "fit vbgmm $FAITHFUL -k 2 --target eruptions|--target" \
    "fit blr $DIABETES --target target --weight-prior dp -k 7|--weight-prior" \
    "fit blr $DIABETES --target target --stream|--stream" \
    "fit blr $DIABETES --target target --n-init 3|--n-init" \
    "fit blr $DIABETES --target target --seed 3|--seed" \
    "fit blr $DIABETES --target target --algorithm stepwise|--algorithm" \
    "fit blr $DIABETES --target target --n-blocks 4|--n-blocks" \
    "info dp.json --proba|--proba" \
    "info blr.json --columns x|--columns" \
    "predict blr.json $DIABETES --proba|--proba" \
    "predict blr.json $DIABETES --target target|--target" \
    "score dp.json $FAITHFUL --target x|--target" \
    "score dp.json $FAITHFUL --proba|--proba" \
    "predict dp.json $FAITHFUL -k 2|-k" \
    "sample dp.json -n 2 --columns x|--columns"; do
    args=${case%|*}
    opt=${case#*|}
    # shellcheck disable=SC2086
    run $args
    expect_rc "vem $args" 1
    expect_err "vem $args" "'$opt' does not apply"
done

# The help of each fit lists the engine options the kind takes (vem help fit KIND prints the
# same bytes), and every option listed is accepted.
for kind in vbgmm blr; do
    run fit $kind --help
    expect_rc "fit $kind --help" 0
    cp out help_$kind.txt
    run help fit $kind
    check "vem help fit $kind == vem fit $kind --help" cmp -s out help_$kind.txt
    if [ $kind = vbgmm ]; then
        engine="n-init max-iter passes tol seed threads algorithm batch-size kappa tau n-blocks
                stream init-model eval-passes trace-steps mpi output verbose tol-rule accelerate mc-samples
                mc-schedule mc-growth mc-max-samples mc-groups average-from"
        base="fit vbgmm $FAITHFUL -k 2 --max-iter 2"
    else
        engine="max-iter passes tol threads init-model mpi output verbose"
        base="fit blr $DIABETES --target target --max-iter 2"
    fi
    for o in $engine; do
        check "fit $kind --help lists --$o" grep -q -e "--$o\\b" help_$kind.txt
    done
    if [ $kind = blr ]; then
        for o in n-init seed algorithm batch-size kappa tau n-blocks stream eval-passes \
            trace-steps; do
            check "fit blr --help leaves out --$o" sh -c "! grep -q -e '--$o ' help_blr.txt"
        done
    fi
    # Each listed option (value 1 where it takes one): no "unknown" or "does not apply".
    # --mpi starts MPI: the MPI test covers it; --help prints the help.
    sed -n 's/^  \(-[a-z], \)\{0,1\}--\([a-z-]*\)\( [A-Z]\)\{0,1\}.*/\2\3/p' help_$kind.txt |
        while read -r o v; do
            [ "$o" = mpi ] || [ "$o" = help ] && continue
            # shellcheck disable=SC2086
            if [ -n "$v" ]; then run $base --$o 1; else run $base --$o; fi
            if grep -q -e "does not apply" -e "unknown option" err; then
                echo "FAIL: fit $kind --$o listed but refused: $(errtext)"
                echo x >>refused_$kind
            fi
        done
    check "fit $kind: every listed option is accepted" test ! -e refused_$kind
done

# --opt=value and -k=2 are the same as the separate forms.
run fit vbgmm "$FAITHFUL" -k 2 --tol 1e-4 --max-iter 50 --seed 5 --json
cp out sep.json
run fit vbgmm "$FAITHFUL" -k=2 --tol=1e-4 --max-iter=50 --seed=5 --json
expect_rc "vbgmm -k=2 --tol=..." 0
pycheck "vbgmm -k=2 --tol=1e-4: the same fit" '"elbo"' "
a, b = load(1), load(2)
assert a['elbo'] == b['elbo'] and a['max_iter'] == 50 and a['tol'] == 1e-4 and a['seed'] == 5
assert a['n_iter'] == b['n_iter']" out sep.json
run fit blr "$DIABETES" --target=target --max-iter=7 --json
expect_rc "blr --target=target --max-iter=7" 0
pyjson "blr --max-iter=7" '"max_iter":7' "
assert d['max_iter'] == 7 and d['n_iter'] <= 7"

# A model file of a kind the command does not take: exit 1.
run decode dp.json "$FAITHFUL"
expect_rc "decode on a vbgmm model" 1
expect_err "decode on a vbgmm model" "is a 'vbgmm' model"
run transform blr.json "$DIABETES"
expect_rc "transform on a blr model" 1
expect_err "transform on a blr model" "is a 'blr' model"

# The defaults of each kind: vbgmm 1000 iterations, tol 1e-3 in total (issue 14: was 100
# and 1e-3 per row); blr 1000, tol 1e-12.
run fit vbgmm "$FAITHFUL" -k 2 --json
pyjson "vbgmm defaults" '"max_iter":1000' "
assert d['max_iter'] == 1000 and d['tol'] == 1e-3 and d['n_init'] == 1"
run fit blr "$DIABETES" --target target --json
pyjson "blr defaults" '"max_iter":1000' "
assert d['max_iter'] == 1000 and d['tol'] == 1e-12"
run fit vbgmm "$FAITHFUL" -k 3 --algorithm stepwise --batch-size 50 --passes 2 --trace-steps --json
expect_rc "vbgmm --trace-steps" 0
pyjson "vbgmm --trace-steps: a trace entry per minibatch" '"trace"' "
assert len(d['trace']) > d['n_iter'] and d['trace'][0]['step'] == 1"
run fit vbgmm "$FAITHFUL" --init-model dp.json --n-init 4
expect_rc "vbgmm --init-model --n-init 4" 1
expect_err "vbgmm --init-model --n-init 4" "--n-init 4"
run fit vbgmm "$FAITHFUL" -k 3 --algorithm incremental --batch-size 50
expect_rc "vbgmm incremental --batch-size" 1
expect_err "vbgmm incremental --batch-size" "--algorithm stepwise"

# ---- L-BFGS on the ELBO's gradient (issue 18) ----

# CAVI, L-BFGS and EM-then-L-BFGS from the same k-means start (seed 1), tol 1e-12 in total:
# the same optimum to 1e-8 nats per row (measured: 1e-10), every fit monotone; with the
# diagonal layout and the Dirichlet prior too.
for cov in full diag; do
    for alg in batch lbfgs em-lbfgs; do
        run fit vbgmm "$FAITHFUL" -k 5 --covariance $cov --seed 1 --tol 1e-12 --max-iter 100000 \
            --algorithm $alg --json -o "lb-$cov-$alg.model.json"
        expect_rc "vbgmm $cov --algorithm $alg" 0
        cp out "lb-$cov-$alg.json"
    done
    pycheck "vbgmm $cov: lbfgs and em-lbfgs reach CAVI's ELBO" '"elbo"' "
c, l, e = load(1), load(2), load(3)
assert c['algorithm'] == 'batch' and l['algorithm'] == 'lbfgs' and e['algorithm'] == 'em-lbfgs'
for d in (c, l, e):
    assert d['converged'] and d['monotonicity_violations'] == 0, d['algorithm']
    assert d['effective_components'] == c['effective_components'], d['algorithm']
for d in (l, e):
    assert abs(d['elbo'] - c['elbo']) / d['n'] < 1e-8, (d['algorithm'], d['elbo'], c['elbo'])
    assert all(abs(a - b) < 1e-5 for a, b in zip(d['weights'], c['weights'])), d['weights']" \
        "lb-$cov-batch.json" "lb-$cov-lbfgs.json" "lb-$cov-em-lbfgs.json"
done
run fit vbgmm "$FAITHFUL" -k 3 --weight-prior dirichlet --seed 3 --tol 1e-12 --max-iter 100000 \
    --json
cp out lb-dir-batch.json
run fit vbgmm "$FAITHFUL" -k 3 --weight-prior dirichlet --seed 3 --tol 1e-12 --max-iter 100000 \
    --algorithm lbfgs --json
expect_rc "vbgmm dirichlet --algorithm lbfgs" 0
pycheck "vbgmm dirichlet: lbfgs reaches CAVI's ELBO" '"elbo"' "
c, l = load(1), load(2)
assert l['converged'] and l['monotonicity_violations'] == 0
assert abs(l['elbo'] - c['elbo']) / l['n'] < 1e-8, (l['elbo'], c['elbo'])" lb-dir-batch.json out
# The L-BFGS fit's model file reads back (vem score: the posterior predictive density, as
# CAVI's to 1e-6), and its last stick, no part of q, is the update's (1 + N_K, alpha0).
run score lb-full-batch.model.json "$FAITHFUL" --json
cp out lb-score-batch.json
run score lb-full-lbfgs.model.json "$FAITHFUL" --json
expect_rc "vbgmm score of the L-BFGS model" 0
pycheck "vbgmm L-BFGS model file: the score and the last stick as CAVI's" '"weight_concentration"' "
c, l = load(1), load(2)
assert close(l['weight_concentration'][-1][1], c['weight_concentration'][-1][1], 1e-12)
assert close(l['weight_concentration'][-1][0], c['weight_concentration'][-1][0], 1e-5)
assert close(load(3)['log_likelihood'], load(4)['log_likelihood'], 1e-6)" \
    lb-full-batch.json lb-full-lbfgs.json lb-score-batch.json out
# Not checkpointed: liblbfgs keeps its curvature pairs to itself.
run fit vbgmm "$FAITHFUL" -k 3 --algorithm lbfgs --checkpoint ck.bin
expect_err "vbgmm lbfgs --checkpoint" "not checkpointed"

finish
