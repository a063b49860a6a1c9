#!/bin/sh
# tests/test_cli_vbhmm.sh — variational Bayesian HMMs on the command line, end to end:
# fits (Gaussian full, diag, spherical and tied, categorical, Poisson), the ELBO's bookkeeping, every
# command on a vbhmm model file, stepwise (stochastic VI over sequences), --stream,
# --init-model, checkpoint and resume bit for bit, and errors naming the file, line and
# column. Usage: sh test_cli_vbhmm.sh VEM REPO_ROOT
NAME=cli_vbhmm
. "$(dirname "$0")/harness.sh"

F=$DATA/faithful.csv
W=$DATA/seattle-weather.csv
printf '366\n365\n365\n365\n' >years.txt

# key FILE EXPR: a value of the JSON in FILE ("['elbo']").
key() {
    "$PY" -c "import json; print(repr(json.load(open('$1'))$2))"
}

# same_model A B: two model files hold the same bits (every key but the fit record's time).
same_model() {
    "$PY" - "$1" "$2" <<'EOF'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for k in set(a) | set(b):
    if k == 'fit':
        continue
    if a.get(k) != b.get(k):
        sys.exit('%s differs' % k)
EOF
}

# ---- Gaussian, full covariance: the fit's JSON
run fit vbhmm "$F" --states 3 --emission gaussian -o g.json --json
expect_rc "fit vbhmm gaussian" 0
pyjson "fit vbhmm gaussian: the ELBO and its parts" '"elbo"' '
assert d["model"] == "vbhmm" and d["objective_name"] == "elbo"
assert d["elbo"] == d["objective"] and close(d["elbo_per_frame"], d["elbo"] / 272)
assert d["n"] == 272 and d["n_sequences"] == 1 and d["monotonicity_violations"] == 0
assert d["converged"] and d["covariance_type"] == "full"
assert 1 <= d["effective_states"] <= 3
assert d["effective_states"] == sum(o >= 1 for o in d["occupancy"])
assert close(sum(d["occupancy"]), 272, 1e-9)
assert len(d["covariances"]) == 3 and len(d["scale_posterior"][0]) == 2
for s, b, n in zip(d["scale_posterior"], d["beta_posterior"], d["dof_posterior"]):
    assert abs(n - b - 1.0) < 1e-9   # nu0 = d = 2, beta0 = 1
assert d["means_prior"] and d["scale_prior"] == [[1e-3, 0.0], [0.0, 1e-3]]
assert abs(sum(d["startprob"]) - 1) < 1e-12
for r in d["trace"][1:]:
    assert r["objective"] >= -1e9
'
check "fit vbhmm: the model file" test -s g.json

# score on the fit's frames: the fit's ELBO, bit for bit
E=$(key out "['elbo']")
run score g.json "$F" --json
expect_rc "score vbhmm" 0
pyjson "score vbhmm: the fit's ELBO" '"elbo"' "
assert d['elbo'] == $E and d['objective_name'] == 'elbo' and d['n'] == 272"
run score g.json "$F"
expect_out "score vbhmm: text" "ELBO"

run decode g.json "$F"
expect_rc "decode vbhmm" 0
if [ "$(wc -l <out)" -eq 272 ] && ! grep -q -v '^[0-2]$' out; then pass; else
    fail "decode vbhmm: 272 states in 0..2"; fi
run predict g.json "$F" --posterior --json
expect_rc "predict vbhmm --posterior" 0
pyjson "predict --posterior: rows of probabilities" '"proba"' '
assert len(d["proba"]) == 272 and all(abs(sum(r) - 1) < 1e-9 for r in d["proba"])'
run sample g.json -n 20 --seed 3 --json
expect_rc "sample vbhmm" 0
pyjson "sample vbhmm" '"samples"' 'assert len(d["samples"]) == 20 and len(d["states"]) == 20'
run info g.json
expect_rc "info vbhmm" 0
expect_out "info vbhmm: text" "Variational Bayesian HMM: K=3 states"
run info g.json --json
pyjson "info vbhmm --json: the variational parameters" '"scale_posterior"' '
for k in ("startprob_prior", "transmat_posterior", "means", "beta_posterior", "dof_posterior",
          "scale_posterior", "covariances", "effective_states"):
    assert k in d, k'

# ---- diagonal covariance, hmmlearn-named priors from the command line
run fit vbhmm "$F" --states 2 --emission gaussian --covariance diag --startprob-prior 0.7 \
    --transmat-prior 0.3,0.2,0.1,0.4 --means-prior 3,70 --beta-prior 0.5 --dof-prior 3.5 \
    --scale-prior 0.2,30 --json -o d.json
expect_rc "fit vbhmm diag with priors" 0
pyjson "the priors as given" '"scale_prior"' '
assert d["covariance_type"] == "diag" and d["startprob_prior"] == [0.7, 0.7]
assert d["transmat_prior"] == [[0.3, 0.2], [0.1, 0.4]] and d["means_prior"] == [3, 70]
assert d["beta_prior"] == 0.5 and d["dof_prior"] == 3.5 and d["scale_prior"] == [0.2, 30]
assert d["monotonicity_violations"] == 0'

# ---- spherical and tied covariances: the fit, the model file's shapes, every command on it
for cov in spherical tied; do
    run fit vbhmm "$F" --states 3 --emission gaussian --covariance $cov -o $cov.json --json
    expect_rc "fit vbhmm $cov" 0
    pyjson "fit vbhmm $cov: shapes and the ELBO" '"elbo"' "
cov = '$cov'
assert d['covariance_type'] == cov and d['monotonicity_violations'] == 0 and d['converged']
assert close(sum(d['occupancy']), 272, 1e-9)
if cov == 'tied':
    assert len(d['scale_posterior']) == 2 and len(d['covariances'][0]) == 2
    assert close(d['dof_posterior'], 2 + 272, 1e-12)   # nu0 = d, all the frames
    assert d['scale_prior'] == [[1e-3, 0.0], [0.0, 1e-3]]
else:
    assert len(d['scale_posterior']) == 3 and len(d['dof_posterior']) == 3
    assert d['scale_prior'] == 1e-3 and d['dof_prior'] == 2
    for s, n, c in zip(d['scale_posterior'], d['dof_posterior'], d['covariances']):
        assert close(c, s / n, 1e-15)"
    EC=$(key out "['elbo']")
    run score $cov.json "$F" --json
    expect_rc "score vbhmm $cov" 0
    pyjson "score vbhmm $cov: the fit's ELBO" '"elbo"' "assert d['elbo'] == $EC"
    run decode $cov.json "$F"
    expect_rc "decode vbhmm $cov" 0
    if [ "$(wc -l <out)" -eq 272 ] && ! grep -q -v '^[0-2]$' out; then pass; else
        fail "decode vbhmm $cov: 272 states in 0..2"; fi
    run sample $cov.json -n 5 --seed 2
    expect_rc "sample vbhmm $cov" 0
    run info $cov.json
    expect_out "info vbhmm $cov" "covariance $cov"
    run fit vbhmm "$F" --init-model $cov.json --json
    expect_rc "fit vbhmm $cov --init-model" 0
    pyjson "$cov --init-model: the same ELBO" '"init"' "
assert d['covariance_type'] == '$cov' and abs(d['elbo'] - $EC) < 1e-6 * abs($EC)"
done
run fit vbhmm "$F" --states 2 --emission gaussian --covariance spherical --scale-prior 0.5 \
    --dof-prior 0.7 --means-prior 3,70 --json
expect_rc "spherical with priors" 0
pyjson "spherical: the priors as given" '"scale_prior"' '
assert d["scale_prior"] == 0.5 and d["dof_prior"] == 0.7 and d["means_prior"] == [3, 70]'
run fit vbhmm "$F" --states 2 --emission gaussian --covariance tied --scale-prior 0.5,0.1,0.1,20 \
    --dof-prior 1.5 --json
expect_rc "tied with priors" 0
pyjson "tied: the priors as given" '"scale_prior"' '
assert d["scale_prior"] == [[0.5, 0.1], [0.1, 20]] and d["dof_prior"] == 1.5'
run fit vbhmm "$F" --states 2 --emission gaussian --covariance spherical --scale-prior 1,2
expect_rc "spherical: a scale prior of d numbers" 1
expect_err "spherical scale prior: says how many" "expected 1 comma-separated"
run fit vbhmm "$F" --states 2 --emission gaussian --covariance tied --dof-prior 0.5
expect_rc "tied: dof prior <= d - 1" 1

# ---- categorical: Seattle's weather with K = 8 states, plain and with moves
run fit vbhmm "$W" --states 8 --emission categorical --columns weather -o c.json --json
expect_rc "fit vbhmm categorical" 0
pyjson "categorical: symbols, monotone, unused states" '"emissionprob"' '
assert d["symbols"] == ["drizzle", "fog", "rain", "snow", "sun"]
assert d["symbol_column"] == "weather" and d["monotonicity_violations"] == 0
assert d["effective_states"] < 8 and d["emissionprob_prior"][0][0] == 0.2'
PLAIN=$(key out "['elbo']")
run fit vbhmm "$W" --states 8 --emission categorical --columns weather --moves --json
expect_rc "fit vbhmm --moves" 0
pyjson "--moves: fewer states, a higher ELBO" '"moves_accepted"' "
assert d['moves'] and d['moves_accepted'] >= 1 and d['elbo'] > $PLAIN
assert d['monotonicity_violations'] == 0 and d['effective_states'] <= 6"
run decode c.json "$W" --json
expect_rc "decode categorical (symbol names)" 0
run sample c.json -n 5
expect_rc "sample categorical" 0
expect_out "sample categorical: the symbol column" "weather,state"

# ---- Poisson counts
run fit vbhmm "$DATA/seattle-counts.csv" --states 3 --emission poisson --json -o p.json
expect_rc "fit vbhmm poisson" 0
pyjson "poisson: rates and their Gamma factors" '"lambdas"' '
assert len(d["lambdas"]) == 3 and len(d["lambdas_rate_prior"]) == 2
assert d["monotonicity_violations"] == 0'
run score p.json "$DATA/seattle-counts.csv"
expect_rc "score poisson" 0

# ---- sequences, stepwise (stochastic VI over minibatches of whole sequences), --stream
run fit vbhmm "$W" --columns temp_max,temp_min --lengths years.txt --states 3 \
    --emission gaussian --json -o t.json
expect_rc "fit vbhmm with --lengths" 0
pyjson "four sequences" '"n_sequences"' 'assert d["n_sequences"] == 4 and d["n_units"] == 4'
run fit vbhmm "$W" --columns temp_max,temp_min --lengths years.txt --states 3 \
    --emission gaussian --algorithm stepwise --batch-size 2 --max-iter 20 --json
expect_rc "fit vbhmm stepwise" 0
pycheck "stepwise: a finite ELBO near batch VB-EM's" '"algorithm"' "
d, b = load(1), load(2)
assert d['algorithm'] == 'stepwise' and math.isfinite(d['elbo'])
assert abs(d['elbo'] - b['fit']['elbo']) < 0.02 * abs(b['fit']['elbo'])" out t.json
cp out stepwise.json
run fit vbhmm "$W" --columns temp_max,temp_min --lengths years.txt --states 3 \
    --emission gaussian --stream -o ts.json
expect_rc "fit vbhmm --stream" 0
check "--stream: the in-memory model, bit for bit" same_model ts.json t.json
for cov in spherical tied; do
    run fit vbhmm "$W" --columns temp_max,temp_min --lengths years.txt --states 3 \
        --emission gaussian --covariance $cov -o t_$cov.json
    run fit vbhmm "$W" --columns temp_max,temp_min --lengths years.txt --states 3 \
        --emission gaussian --covariance $cov --stream -o ts_$cov.json
    check "--stream $cov: the in-memory model, bit for bit" same_model ts_$cov.json t_$cov.json
done
run fit vbhmm "$W" --states 2 --emission gaussian --columns temp_max,temp_min \
    --algorithm stepwise --moves
expect_rc "--moves with stepwise: usage error" 1
expect_err "--moves with stepwise: says why" "--moves"

# ---- --init-model: a warm start continues from the model's posterior
run fit vbhmm "$F" --init-model g.json --json
expect_rc "fit vbhmm --init-model" 0
pyjson "--init-model: already converged, the same ELBO" '"init"' "
assert d['init'] == 'model' and abs(d['elbo'] - $E) < 1e-6 * abs($E)"
run fit vbhmm "$F" --init-model g.json --states 4
expect_rc "--init-model with another K: usage error" 1
run fit vbhmm "$F" --init-model g.json --beta-prior 2
expect_rc "--init-model with a prior option: usage error" 1

# ---- checkpoint and resume: the uninterrupted fit's bits
for case in "gauss|$F --states 3 --emission gaussian --tol 0 --max-iter 30" \
    "cat|$W --columns weather --states 4 --emission categorical --tol 0 --max-iter 30" \
    "svi|$W --columns temp_max,temp_min --lengths years.txt --states 3 --emission gaussian --algorithm stepwise --batch-size 2 --max-iter 6" \
    "tied|$F --states 3 --emission gaussian --covariance tied --tol 0 --max-iter 30" \
    "sphsvi|$W --columns temp_max,temp_min --lengths years.txt --states 3 --emission gaussian --covariance spherical --algorithm stepwise --batch-size 2 --max-iter 6"; do
    name=${case%%|*}
    args=${case#*|}
    # shellcheck disable=SC2086
    "$VEM" fit vbhmm $args -o "$name.full.json" >/dev/null 2>"$name.err"
    # shellcheck disable=SC2086
    "$VEM" fit vbhmm $args --checkpoint "$name.ck" --checkpoint-every 2 -o "$name.part.json" \
        >/dev/null 2>>"$name.err"
    check "$name: with checkpoints, the same model" same_model "$name.part.json" "$name.full.json"
    check "$name: a checkpoint" test -s "$name.ck"
    it=$("$PY" -c "import json; f = open('$name.ck', 'rb'); f.readline(); f.readline(); print(json.loads(f.readline())['iter'])")
    n=$(key "$name.full.json" "['fit']['n_iter']")
    check "$name: the checkpoint is mid-fit (iteration $it of $n)" test "$it" -ge 1 -a "$it" -lt "$n"
    # shellcheck disable=SC2086
    "$VEM" fit vbhmm $args --resume "$name.ck" -o "$name.res.json" >/dev/null 2>>"$name.err"
    check "$name: resumed (rc $?)" test -s "$name.res.json"
    check "$name: resumed = uninterrupted, bit for bit" same_model "$name.res.json" \
        "$name.full.json"
done

# ---- errors: usage, and bad input named by file, line and column
run fit vbhmm "$F" --emission gaussian
expect_rc "missing --states" 1
expect_err "missing --states: says so" "missing --states"
run fit vbhmm "$F" --states 2 --emission gmm
expect_rc "gmm emissions: usage error" 1
run fit vbhmm "$F" --states 2 --emission gaussian --covariance EII
expect_rc "an mclust covariance: usage error" 1
expect_err "an mclust covariance: says which" "spherical or tied"
run fit vbhmm "$W" --columns weather --states 2 --emission categorical --beta-prior 2
expect_rc "a Gaussian prior for categorical emissions: usage error" 1
expect_err "a Gaussian prior for categorical emissions: names it" "--beta-prior"
run fit vbhmm "$F" --states 2 --emission gaussian --dof-prior 0.5
expect_rc "dof prior <= d - 1: usage error" 1
expect_err "dof prior: says why" "dof prior"
run fit vbhmm "$F" --states 2 --emission gaussian --means-prior 1,2,3
expect_rc "means prior of the wrong length" 1
expect_err "means prior: says how many" "expected 2 comma-separated numbers"
run fit vbhmm "$F" --states 2 --emission gaussian --scale-prior 1,2,2,1
expect_rc "scale prior not positive definite" 1
printf 'a,b\n1,2\n3,x\n5,6\n' >bad.csv
run fit vbhmm bad.csv --states 2 --emission gaussian
expect_rc "a bad number" 2
expect_err "a bad number: file, line and column" "bad.csv:3:3"
printf 'weather\nsun\nrain\nhail\n' >hail.csv
run decode c.json hail.csv
expect_rc "an unknown symbol" 2
expect_err "an unknown symbol: file, line and column" "hail.csv:4:1"
printf 'a,b\n1,2\n3,4\n' >two.csv
run fit vbhmm two.csv --states 3 --emission gaussian
expect_rc "fewer frames than states" 2
printf 'c\n1\n-2\n' >neg.csv
run fit vbhmm neg.csv --states 1 --emission poisson
expect_rc "a negative count" 2
expect_err "a negative count: file and line" "neg.csv:3:"
run score g.json "$W" --columns temp_max
expect_rc "score with the wrong columns" 2
run score hmmlike.json "$F"
expect_rc "score: a missing model" 2

finish
