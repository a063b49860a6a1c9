#!/bin/sh
# End-to-end checks of `vem fit glmm` and the commands on its model files (docs/glmm.md):
# exact EM against lme4 (tests/golden/glmm_lme4.txt: binomial and Poisson), the model file
# through info, score and predict, rows in any order, the boundary sigma^2 = 0, Monte-Carlo
# EM near the exact MLE with the same bits for any thread count, --stream with the bits of
# the fit in memory, checkpoints whose resumed fits have the bits of the uninterrupted ones,
# a file whose groups are not contiguous (refused by --stream, naming its line), and the
# refusals. Distributed fits: tests/test_cli_mpi_glmm.sh.
# Usage: sh test_cli_glmm.sh VEM REPO_ROOT
NAME=cli_glmm
. "$(dirname "$0")/harness.sh"

if [ -z "$PY" ]; then
    fail "python3 is needed to read the JSON"
    finish
fi
G=$DATA/glmm_mcculloch.csv
B=$DATA/glmm_boundary.csv
P=$DATA/glmm_poisson.csv
GOLD=$ROOT/tests/golden/glmm_lme4.txt
GOLDPY="
def gold(name):
    for line in open('$GOLD'):
        f = line.split()
        if f and f[0] == name:
            return [float(v) for v in f[1:]]
    raise SystemExit('no line ' + name)"

# Exact EM (AGQ, 25 nodes) = lme4's glmer(y ~ 0 + x + (1 | group), nAGQ = 25) to 1e-4.
run fit glmm "$G" --target y --group group --no-intercept -o m.json --json
expect_rc "fit glmm" 0
cp out fit.json
pycheck "fit glmm: lme4's MLE" "" "$GOLDPY
d = load(1)
b, s2, ll = gold('mcculloch_agq25')
assert d['model'] == 'glmm' and d['converged'] and not d['at_boundary'], d
assert d['algorithm'] == 'batch' and d['tol_rule'] == 'parameters', d
assert abs(d['beta'][0] - b) < 1e-4 and abs(d['sigma2'] - s2) < 1e-4, (d['beta'], d['sigma2'])
assert abs(d['log_likelihood'] - ll) < 1e-4, d['log_likelihood']
assert d['n_groups'] == 50 and d['n_units'] == 50 and d['n'] == 750, d
assert d['coef_names'] == ['x'] and d['stderr_method'] == 'louis', d
assert abs(d['beta_stderr'][0] - gold('mcculloch_agq25_se')[0]) < 0.01, d['beta_stderr']
assert d['monotonicity_violations'] == 0" fit.json

# The model file: info, score (the fit's log-likelihood, by group), predict.
run info m.json --json
expect_rc "info glmm" 0
cp out info.json
pycheck "info glmm: the fit's parameters" "" "a, b = load(1), load(2)
assert a['beta'] == b['beta'] and a['sigma2'] == b['sigma2'], (a, b)
assert a['beta_stderr'] == b['beta_stderr'] and a['n_groups'] == 50" info.json fit.json
run info m.json
expect_out "info glmm text" "sigma2 (intercepts)"
run score m.json "$G" --json
expect_rc "score glmm" 0
cp out score.json
pycheck "score glmm: the fit's log-likelihood" "" "s, f = load(1), load(2)
assert close(s['log_likelihood'], f['log_likelihood'], 1e-12), (s, f['log_likelihood'])
assert len(s['group_log_likelihood']) == 50 and s['n_groups'] == 50
assert close(sum(s['group_log_likelihood']), s['log_likelihood'], 1e-12)" score.json fit.json
run predict m.json "$G" --json
expect_rc "predict glmm" 0
pyjson "predict glmm: marginal and conditional means" "" "
m, c = d['mean'], d['conditional_mean']
assert len(m) == 750 and len(c) == 750
assert all(0 < v < 1 for v in m + c)
assert m[0] < m[14] and c[0] < c[14]
assert m[:15] != c[:15]"
# Rows in another order (groups not contiguous): the same fit.
"$PY" -c "
rows = open('$G').read().splitlines()
body = rows[1:]
open('shuf.csv', 'w').write('\n'.join([rows[0]] + body[1::2] + body[0::2]) + '\n')"
run fit glmm shuf.csv --target y --group group --no-intercept --json
expect_rc "fit glmm, rows shuffled" 0
pycheck "rows shuffled: the same fit" "" "d, f = load(1), load(2)
assert close(d['beta'][0], f['beta'][0], 1e-12) and close(d['sigma2'], f['sigma2'], 1e-12)" \
    out fit.json

# Poisson with an intercept: lme4's glmer(y ~ x + (1 | group), family = poisson, nAGQ = 25).
run fit glmm "$P" --target y --group group --family poisson --json
expect_rc "fit glmm poisson" 0
pyjson "poisson: lme4's MLE" "" "$GOLDPY
b0, b1, s2, _ = gold('poisson_agq25')
ll = gold('poisson_agq25_full_loglik')[0]
assert d['family'] == 'poisson' and d['coef_names'] == ['(Intercept)', 'x'], d
assert abs(d['beta'][0] - b0) < 1e-4 and abs(d['beta'][1] - b1) < 1e-4, d['beta']
assert abs(d['sigma2'] - s2) < 1e-4 and abs(d['log_likelihood'] - ll) < 1e-4, d
se = gold('poisson_agq25_se')
assert all(abs(a - b) < 0.01 * b for a, b in zip(d['beta_stderr'], se)), (d['beta_stderr'], se)"

# The boundary: 10 groups whose MLE of sigma^2 is 0 (lme4: singular).
run fit glmm "$B" --target y --group group --no-intercept --json
expect_rc "fit glmm boundary" 0
expect_err "boundary: the warning" "slow convergence near the boundary sigma^2 = 0"
pyjson "boundary: flagged, not converged" "" "$GOLDPY
b, s2, ll = gold('boundary_agq25')
assert d['at_boundary'] is True and d['converged'] is False, d
assert 'boundary_warning' in d and d['sigma2'] < 0.01, d['sigma2']
assert abs(d['beta'][0] - b) < 0.01 and ll - 2e-3 < d['log_likelihood'] <= ll + 1e-9, d"
# With SQUAREM sigma^2 gets below 1e-6, where the parameter rule stops: lme4's singular
# fit to 1e-4, and still flagged, not converged.
run fit glmm "$B" --target y --group group --no-intercept --accelerate squarem --json
expect_rc "fit glmm boundary squarem" 0
pyjson "boundary, squarem: lme4's singular fit, flagged" "" "$GOLDPY
b, s2, ll = gold('boundary_agq25')
assert d['at_boundary'] is True and d['converged'] is False, d
assert abs(d['beta'][0] - b) < 1e-4 and abs(d['log_likelihood'] - ll) < 1e-4, d
assert d['sigma2'] < 1e-5 and d['monotonicity_violations'] == 0, d"
# Monte-Carlo EM and SEM: their noisy steps get the log-log slope rule; the interior
# McCulloch fit is not flagged.
for alg in mcem sem; do
    run fit glmm "$B" --target y --group group --no-intercept --algorithm $alg --json
    expect_rc "fit glmm boundary $alg" 0
    pyjson "boundary, $alg: flagged, not converged" "" "
assert d['at_boundary'] is True and d['converged'] is False, (d['sigma2'], d['n_iter'])"
    run fit glmm "$G" --target y --group group --no-intercept --algorithm $alg --seed 3 \
        --tol 0 --max-iter 60 --json
    pyjson "mcculloch, $alg: not at the boundary" "" "assert d['at_boundary'] is False"
done
run fit glmm "$B" --target y --group group --no-intercept
expect_out "boundary: the text says so" "at the boundary: yes"
check "boundary: never 'converged: yes'" sh -c "! grep -q 'converged: yes' out"

# MCEM (defaults: automatic schedule, parameter rule at 1e-3) within 0.01 of the exact MLE.
run fit glmm "$G" --target y --group group --no-intercept --algorithm mcem --json
expect_rc "fit glmm mcem" 0
pycheck "mcem: within 0.01 of the exact MLE" "" "d, f = load(1), load(2)
assert d['algorithm'] == 'mcem' and d['tol_rule'] == 'parameters' and d['converged'], d
assert abs(d['beta'][0] - f['beta'][0]) < 0.01, (d['beta'], f['beta'])
assert abs(d['sigma2'] - f['sigma2']) < 0.01, (d['sigma2'], f['sigma2'])
ms = [t['mc_samples'] for t in d['trace']]
assert ms[0] == 100 and ms == sorted(ms) and ms[-1] > 100, ms" out fit.json
# Same bits for 1 and 2 threads.
MC="fit glmm $G --target y --group group --no-intercept --algorithm mcem --mc-schedule fixed --mc-samples 50 --max-iter 5 --tol 0 --json"
"$VEM" $MC --threads 1 >t1.json 2>/dev/null
"$VEM" $MC --threads 2 >t2.json 2>/dev/null
pycheck "mcem: same bits for 1 and 2 threads" "" "a, b = load(1), load(2)
assert repr(a['beta']) == repr(b['beta']) and repr(a['sigma2']) == repr(b['sigma2'])
assert [repr(t['objective']) for t in a['trace']] == [repr(t['objective']) for t in b['trace']]" \
    t1.json t2.json

# --stream: the groups read from the file in every pass, the bits of the fit in memory
# (batch EM with and without the intercept, Poisson, MCEM; also with 2 threads), and the
# same model file.
# same_json A B KEYS...: the keys of two JSON files hold the same bits (repr of the values).
same_json() {
    "$PY" -c "
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
bad = [k for k in sys.argv[3:] if repr(a.get(k)) != repr(b.get(k))]
sys.exit('differ: %s' % bad if bad else 0)" "$@"
}
FITKEYS="beta sigma2 log_likelihood beta_stderr sigma2_stderr n_iter n n_groups at_boundary converged"
for case in "mcculloch $G --no-intercept" "poisson $P --family poisson" \
    "mcem $G --no-intercept --algorithm mcem --mc-samples 50 --max-iter 6" \
    "threads $P --family poisson --threads 2"; do
    set -- $case
    c=$1
    shift
    "$VEM" fit glmm "$@" --target y --group group --json -o "mem_$c.json" >"mem_$c.out" 2>/dev/null
    run fit glmm "$@" --target y --group group --json --stream -o "str_$c.json"
    expect_rc "--stream $c" 0
    cp out "str_$c.out"
    check "--stream $c: the bits of the fit in memory" \
        same_json "str_$c.out" "mem_$c.out" $FITKEYS
    check "--stream $c: the same model file" same_json "str_$c.json" "mem_$c.json" \
        beta sigma2 stderr groups at_boundary fit
    pycheck "--stream $c: streamed" "" "assert load(1)['streamed'] is True" "str_$c.out"
done
pycheck "--stream mcculloch: lme4's MLE" "" "$GOLDPY
d = load(1)
b, s2, ll = gold('mcculloch_agq25')
assert abs(d['beta'][0] - b) < 1e-4 and abs(d['sigma2'] - s2) < 1e-4, d" str_mcculloch.out
# Rows in another order: in memory they are sorted; --stream needs each group's rows
# together and names the line where a group comes back (and where its rows were).
run fit glmm shuf.csv --target y --group group --no-intercept --stream
expect_rc "--stream, groups not contiguous" 2
expect_err "--stream, groups not contiguous: file and line" \
    "shuf.csv:377: group '1' comes back after other groups' rows (its earlier rows end at line 8)"
expect_quiet_stdout "--stream, groups not contiguous: nothing printed"
"$PY" -c "
rows = open('$G').read().splitlines()
body = rows[1:]
body.insert(100, body.pop(3))
open('late.csv', 'w').write('\n'.join([rows[0]] + body) + '\n')"
run fit glmm late.csv --target y --group group --stream
expect_rc "--stream, one row of group 1 late" 2
expect_err "--stream, one row late: its line" \
    "late.csv:102: group '1' comes back after other groups' rows (its earlier rows end at line 15)"
run fit glmm late.csv --target y --group group --no-intercept --json
expect_rc "in memory, one row of group 1 late: sorted" 0
pycheck "in memory, one row late: the fit of the sorted rows" "" "d, f = load(1), load(2)
assert close(d['beta'][0], f['beta'][0], 1e-12) and close(d['sigma2'], f['sigma2'], 1e-12)" \
    out fit.json
# A bad response in a streamed file: the file and its data row.
sed '602s/,[01]$/,2/' "$G" >badresp.csv
run fit glmm badresp.csv --target y --group group --stream
expect_rc "--stream, response 2" 2
expect_err "--stream, response 2: file and row" "badresp.csv: row 601: response 2 (binomial: 0 or 1)"

# Checkpoints (docs/reliability.md): a fit resumed from a checkpoint taken mid-fit writes
# the model of the uninterrupted fit, bit for bit: batch EM; the boundary (3 iterations
# after the checkpoint, the resumed fit flags it from the sigma2 path the checkpoint
# keeps); SQUAREM; MCEM with restarts (resumed in the last one); SEM; CEM; --stream.
# header CK KEY: a value of checkpoint CK's header.
header() {
    "$PY" -c "import json,sys; f=open('$1','rb'); f.readline(); f.readline(); print(json.loads(f.readline())['$2'])"
}
resume_case() {
    name=$1 every=$2
    shift 2
    "$VEM" "$@" -o "$name.full.json" >/dev/null 2>"$name.err"
    check "$name: the fit" test -s "$name.full.json"
    "$VEM" "$@" --checkpoint "$name.ck" --checkpoint-every "$every" -o "$name.part.json" \
        >/dev/null 2>>"$name.err"
    check "$name: with checkpoints, the same model" cmp -s "$name.part.json" "$name.full.json"
    it=$(header "$name.ck" iter) rs=$(header "$name.ck" restart)
    n=$("$PY" -c "import json; print(json.load(open('$name.full.json'))['fit']['n_iter'])")
    check "$name: the checkpoint is mid-fit (restart $rs, iteration $it of $n)" \
        test "$it" -ge 1 -a "$it" -lt "$n"
    run "$@" --resume "$name.ck" -o "$name.res.json"
    expect_rc "$name: resumed" 0
    check "$name: resumed = uninterrupted, bit for bit" cmp -s "$name.res.json" "$name.full.json"
}
GLMM="fit glmm $G --target y --group group --no-intercept"
resume_case ck_batch 40 $GLMM
resume_case ck_boundary 297 fit glmm "$B" --target y --group group --no-intercept --max-iter 300
pycheck "ck_boundary: still at the boundary" "" "assert load(1)['at_boundary'] is True" \
    ck_boundary.res.json
resume_case ck_squarem 4 fit glmm "$P" --target y --group group --family poisson \
    --accelerate squarem
resume_case ck_mcem 5 $GLMM --algorithm mcem --mc-samples 50 --n-init 3 --max-iter 12
check "ck_mcem: the checkpoint is in the last restart" test "$(header ck_mcem.ck restart)" = 2
resume_case ck_sem 10 $GLMM --algorithm sem --max-iter 40
resume_case ck_cem 3 $GLMM --algorithm cem
resume_case ck_stream 30 fit glmm "$P" --target y --group group --family poisson --stream
run $GLMM --resume ck_stream.ck
expect_rc "a checkpoint of another fit: refused" 2
expect_err "a checkpoint of another fit: says so" "not a checkpoint of this fit"

# Refusals.
run fit glmm "$G" --target y
expect_rc "no --group" 1
run fit glmm "$G" --target y --group group --family gamma
expect_rc "--family gamma" 1
run fit glmm "$G" --target y --group group --algorithm stepwise
expect_rc "--algorithm stepwise" 1
run fit glmm "$G" --target y --group group --n-init 3
expect_rc "--n-init with batch EM" 1
expect_err "--n-init: says why" "starts from the same GLM fit"
run fit glmm "$G" --target y --group group --stream --binary-cols 3
expect_rc "--stream of raw data" 1
expect_err "--stream of raw data: says why" "--stream reads a CSV/TSV file"
run fit glmm "$G" --target x --group group
expect_rc "binomial response not 0/1" 2
expect_err "the row is named" "row 1: response"
run fit glmm "$G" --target y --group nosuch
expect_rc "unknown group column" 2
expect_err "names the column" "no column 'nosuch'"
sed 's/"sigma2": [0-9.e+-]*/"sigma2": -1/' m.json >bad.json
run info bad.json
expect_rc "bad model file" 2
expect_err "bad model file: names the key" "key 'sigma2'"
finish
