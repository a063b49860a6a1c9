#!/bin/sh
# tests/test_cli_hmm_counts.sh — HMMs with Poisson and multinomial emissions, and the other
# hmmlearn features of issue 19 (decoding, per-frame scores, sampling from a state, frozen
# and initialised parameters, MAP EM), on the command line, end to end:
#   - 50 Baum-Welch iterations from the same starts equal hmmlearn 0.3's (parameters to 1e-9
#     relative, 1e-12 absolute for probabilities that went to 0; log-likelihood to 1e-9) on
#     Seattle's daily counts (Poisson), its weekly weather counts (multinomial, 7 trials)
#     and a synthetic Poisson series (tests/golden/make_hmm_counts_golden.py made them all);
#   - a default fit recovers the planted parameters of the synthetic series;
#   - the model file round trip, score = the fit's log-likelihood, sample, decode, streaming,
#     stepwise EM and L-BFGS, and errors naming the file, line and column.
#
#     sh tests/test_cli_hmm_counts.sh PATH/TO/vem REPO_ROOT

NAME=cli_hmm_counts
. "$(dirname "$0")/harness.sh"
GOLDEN=$ROOT/tests/golden
REF=$GOLDEN/hmm_counts_hmmlearn.txt
COUNTS=$DATA/seattle-counts.csv
WEEKLY=$DATA/seattle-weekly.csv
SYNTH=$ROOT/tests/data/hmm_poisson_synth.csv

# ---- hmmlearn's 50 iterations from the same starts ----

for case in poisson_seattle:"$COUNTS":lambdas poisson_synth:"$SYNTH":lambdas \
    multinomial_weekly:"$WEEKLY":emissionprob; do
    name=${case%%:*}
    rest=${case#*:}
    data=${rest%:*}
    key=${rest##*:}
    run fit hmm "$data" --init-model "$GOLDEN/hmm_$name.init.json" --max-iter 50 --tol 0 \
        --json -o "$name.json"
    expect_rc "$name: fit" 0
    cp out "$name.fit.json"
    run score "$name.json" "$data" --json
    expect_rc "$name: score" 0
    cp out "$name.score.json"
    pycheck "$name: equals hmmlearn after 50 iterations" "" "
ref = {}
for line in open(sys.argv[3]):
    f = line.split()
    if f and f[0] == '$name':
        ref[f[1]] = [float(v) for v in f[2:]]
d, s = load(1), load(2)
assert d['n_iter'] == 50 and d['monotonicity_violations'] == 0
def same(got, want, what):
    got = [v for row in got for v in (row if isinstance(row, list) else [row])]
    assert len(got) == len(want), what
    for g, w in zip(got, want):
        assert abs(g - w) <= 1e-9 * abs(w) + 1e-12, (what, g, w)
same(d['startprob'], ref['startprob'], 'startprob')
same(d['transmat'], ref['transmat'], 'transmat')
same(d['$key'], ref['emission'], '$key')
assert close(s['log_likelihood'], ref['log_likelihood'][0], 1e-9), (s['log_likelihood'], ref)" \
        "$name.fit.json" "$name.score.json" "$REF"
done

# ---- the planted parameters of the synthetic series, from vem's default start ----

run fit hmm "$SYNTH" -k 3 --emission poisson --seed 1 --json -o synth.json
expect_rc "synthetic: default fit" 0
cp out synth.fit.json
pycheck "synthetic: planted rates and transitions recovered" "" "
d = load(1)
planted = {}
for line in open(sys.argv[2]):
    f = line.split()
    if f and f[0] == 'planted':
        planted[f[1]] = [float(v) for v in f[2:]]
lam = planted['lambdas']
want = [lam[0:2], lam[2:4], lam[4:6]]
order = sorted(range(3), key=lambda c: d['lambdas'][c][0])
for c, w in zip(order, want):
    for g, t in zip(d['lambdas'][c], w):
        assert abs(g - t) <= 0.08 * t + 0.05, (d['lambdas'], want)
a = planted['transmat']
for i, ci in enumerate(order):
    for j, cj in enumerate(order):
        assert abs(d['transmat'][ci][cj] - a[3 * i + j]) < 0.04, (d['transmat'], a)
assert d['converged'] and d['n_parameters'] == 2 + 6 + 6" synth.fit.json "$REF"

# ---- model file, score, decode, sample, info ----

run fit hmm "$COUNTS" -k 3 --emission poisson --json -o p3.json
expect_rc "poisson: fit" 0
cp out p3.fit.json
run score p3.json "$COUNTS" --json
pycheck "poisson: score of the saved model = the fit's log-likelihood" "" "
d, s = load(1), load(2)
assert d['emission'] == 'poisson' and d['columns'] == ['precipitation_mm', 'wind_ms']
assert len(d['lambdas']) == 3 and len(d['lambdas'][0]) == 2
assert s['log_likelihood'] == d['log_likelihood'] or close(s['log_likelihood'],
    d['log_likelihood'], 1e-7)" p3.fit.json out
run decode p3.json "$COUNTS"
expect_rc "poisson: decode" 0
check "poisson: decode gives 1461 states in 0..2" test "$(grep -c '^[012]$' out)" -eq 1461
run sample p3.json -n 500 --seed 3
expect_rc "poisson: sample" 0
check "poisson: sample header and rows" test "$(head -n 1 out)" = "precipitation_mm,wind_ms,state"
check "poisson: sampled counts are integers" test "$(tail -n +2 out | grep -c '^[0-9]*,[0-9]*,[012]$')" -eq 500
run info p3.json
expect_out "poisson: info" "Poisson emissions (2 count columns)"

run fit hmm "$WEEKLY" -k 2 --emission multinomial --trials 7 --json -o m2.json
expect_rc "multinomial: fit" 0
pyjson "multinomial: model keys" "" "
assert d['emission'] == 'multinomial' and d['n_trials'] == 7 and d['n_features'] == 5
assert all(abs(sum(r) - 1) < 1e-12 for r in d['emissionprob'])
assert d['n_parameters'] == 1 + 2 + 2 * 4"
run sample m2.json -n 50 --seed 1
expect_rc "multinomial: sample" 0
check "multinomial: every sampled week has 7 days" \
    test "$(tail -n +2 out | awk -F, '{ s = 0; for (i = 1; i <= 5; i++) s += $i; if (s == 7) n++ } END { print n }')" -eq 50
run fit hmm "$WEEKLY" -k 2 --emission multinomial -o m2any.json
expect_rc "multinomial without --trials" 0
run sample m2any.json -n 5
expect_rc "multinomial: sample needs the trials" 2
expect_err "multinomial: sample says so" "m2any.json: sampling multinomial emissions needs the number of trials of a frame: fit with --trials N"

# ---- decoding, per-frame scores, sampling from a state (every emission) ----

run score p3.json "$COUNTS" --per-frame --json
expect_rc "score --per-frame" 0
pyjson "score --per-frame: 1461 terms adding up to the total" "" "
f = d['frame_log_likelihood']
assert len(f) == 1461 and abs(sum(f) - d['log_likelihood']) < 1e-9 * abs(d['log_likelihood'])"
run score p3.json "$COUNTS" --per-frame
check "score --per-frame CSV: a header and 1461 rows" test "$(wc -l <out)" -eq 1462
run decode p3.json "$COUNTS" --algorithm map --json
expect_rc "decode --algorithm map" 0
cp out map.json
run decode p3.json "$COUNTS" --posterior --json
pycheck "decode --algorithm map: each frame's most probable state" "" "
m, p = load(1), load(2)
assert m['algorithm'] == 'map' and 'log_probability' not in m
assert m['states'] == [max(range(3), key=lambda c: r[c]) for r in p['proba']]" map.json out
run decode p3.json "$COUNTS" --algorithm map --posterior
expect_rc "decode: map with --posterior" 1
run decode p3.json "$COUNTS" --algorithm forward
expect_rc "decode: unknown algorithm" 1
expect_err "decode: unknown algorithm named" "expected viterbi or map, got 'forward'"
run sample p3.json -n 20 --start-state 2 --seed 9 --json
expect_rc "sample --start-state" 0
pyjson "sample --start-state 2: the first state is 2" "" "assert d['states'][0] == 2"
run sample p3.json -n 20 --start-state 3
expect_rc "sample --start-state beyond K" 2
expect_err "sample --start-state beyond K: says so" "start state 3: the model's states are 0 .. 2"

# ---- frozen parameters, initialised parameters, priors (MAP EM) ----

FAITHFUL=$DATA/faithful.csv
run fit hmm "$FAITHFUL" -k 2 --emission gaussian --max-iter 3 -o g2.json
run fit hmm "$FAITHFUL" --init-model g2.json --update tc --json
expect_rc "--update tc" 0
pycheck "--update tc: start and means bit for bit, transitions and covariances fitted" "" "
a, b = load(1), load(2)
assert a['startprob'] == b['startprob'] and a['means'] == b['means']
assert a['transmat'] != b['transmat'] and a['covariances'] != b['covariances']
assert b['update'] == 'tc' and b['monotonicity_violations'] == 0" g2.json out
run fit hmm "$FAITHFUL" --init-model g2.json --init-params mc --update mc --json
expect_rc "--init-params mc" 0
pycheck "--init-params mc --update mc: the model's start and transitions kept" "" "
a, b = load(1), load(2)
assert a['startprob'] == b['startprob'] and a['transmat'] == b['transmat']
assert b['init_params'] == 'mc' and b['init'] == 'kmeans'" g2.json out
run fit hmm "$FAITHFUL" -k 2 --emission gaussian --update sl
expect_rc "--update with a letter of another emission" 1
expect_err "--update: names the letter" "'l' is not one of the letters of gaussian emissions"
run fit hmm "$FAITHFUL" -k 2 --emission gaussian --update st --algorithm lbfgs
expect_rc "frozen parameters: no gradient" 2
expect_err "frozen parameters: says why" "no objective gradient"
W=$DATA/seattle-weather.csv
run fit hmm "$W" --columns weather -k 3 --emission categorical --startprob-prior 2 \
    --transmat-prior 3 --emissionprob-prior 1.5 --seed 2 --json
expect_rc "categorical MAP EM" 0
pyjson "categorical MAP EM: the log posterior monotone, its parts reported" "" "
assert d['monotonicity_violations'] == 0 and d['converged']
assert d['log_prior'] < 0 and close(d['objective'], d['log_likelihood'] + d['log_prior'], 1e-12)
assert all(b['objective'] >= a['objective'] - 1e-9 for a, b in zip(d['trace'], d['trace'][1:]))"
run fit hmm "$COUNTS" -k 1 --emission poisson --lambdas-prior 3 --lambdas-weight 2 --json
expect_rc "poisson MAP, one state" 0
pyjson "poisson MAP, one state: (a + sum x) / (b + T)" "" "
import csv
rows = list(csv.reader(open('$COUNTS')))[1:]
for j in range(2):
    want = (3 + sum(int(r[j]) for r in rows)) / (2 + len(rows))
    assert close(d['lambdas'][0][j], want, 1e-13), (d['lambdas'], want)"
run fit hmm "$FAITHFUL" -k 2 --emission gaussian --prior --json
expect_rc "gaussian --prior" 0
pyjson "gaussian --prior: MAP, monotone" "" "
assert d['monotonicity_violations'] == 0 and 'log_prior' in d
assert close(d['objective'], d['log_likelihood'] + d['log_prior'], 1e-12)"
run fit hmm "$FAITHFUL" -k 2 --emission gaussian --transmat-prior 0.5
expect_rc "a Dirichlet prior below 1" 1
run fit hmm "$COUNTS" -k 2 --emission poisson --prior
expect_rc "--prior with poisson" 1
expect_err "--prior with poisson: says so" "applies to --emission gaussian"
run fit hmm "$FAITHFUL" -k 2 --emission gaussian --prior --stream
expect_rc "--prior with --stream" 1

# ---- Gaussian emissions with mclust's structured covariances ----

run fit hmm "$FAITHFUL" -k 3 --emission gaussian --covariance EVE --seed 2 --tol 1e-12 \
    --max-iter 5000 --json -o eve.json
expect_rc "gaussian EVE" 0
cp out eve.fit.json
run score eve.json "$FAITHFUL" --json
pycheck "gaussian EVE: the model file keeps the type, score = fit, parameters counted" "" "
d, s = load(1), load(2)
assert d['covariance_type'] == 'EVE' and d['monotonicity_violations'] == 0
assert close(s['log_likelihood'], d['log_likelihood'], 1e-9)
# start 2 + transitions 6 + means 6 + EVE on 2-D, K = 3: volume 1, shapes 3, orientation 1
assert d['n_parameters'] == 2 + 6 + 6 + 5, d['n_parameters']" eve.fit.json out
run fit hmm "$FAITHFUL" -k 3 --emission gaussian --covariance EVE --seed 2 --algorithm lbfgs \
    --json
pycheck "gaussian EVE: L-BFGS reaches Baum-Welch's optimum" "" "
a, b = load(1), load(2)
assert abs(a['mean_log_likelihood'] - b['mean_log_likelihood']) < 1e-8" eve.fit.json out
run info eve.json
expect_out "gaussian EVE: info" "covariance EVE"

# ---- choosing the number of states ----

run fit hmm "$W" --columns weather -k 1-5 --emission categorical --seed 1 --json -o sel.json
expect_rc "--states 1-5: a selection" 0
cp out sel.fit.json
run fit hmm "$W" --columns weather -k 3 --emission categorical --seed 1 --json
cp out k3.json
pycheck "selection: the table, its minimum kept, each row the single fit's numbers" "" "
d, one = load(1), load(2)
t = d['selection']
assert d['criterion'] == 'bic' and [r['k'] for r in t] == [1, 2, 3, 4, 5]
best = min(t, key=lambda r: r['bic'])
assert d['n_states'] == best['k'] == 3 and d['bic'] == best['bic']
r3 = [r for r in t if r['k'] == 3][0]
assert r3['bic'] == one['bic'] and r3['log_likelihood'] == one['log_likelihood']
assert all(close(r['bic'], -2 * r['log_likelihood'] + r['n_parameters'] * math.log(1461), 1e-12)
           for r in t)
assert all(r['icl'] >= r['bic'] - 1e-9 for r in t)" sel.fit.json k3.json
run fit hmm "$COUNTS" -k 1-5 --emission poisson --select icl
expect_rc "--select icl" 0
expect_out "--select icl: the table" "* lowest ICL: 4 states"
run fit hmm "$COUNTS" -k 2-3 --emission poisson --select mdl
expect_rc "--select unknown" 1
# The fourth criterion: the VB-HMM's ELBO at each K, each the `vem fit vbhmm` fit's.
run fit hmm "$W" --columns weather -k 1-4 --emission categorical --seed 1 --select elbo --json
expect_rc "--select elbo" 0
cp out elbo.fit.json
run fit vbhmm "$W" --columns weather --states 3 --emission categorical --seed 1 --json
cp out vb3.json
pycheck "--select elbo: the VB-HMM's ELBO per K, the highest kept" "" "
d, vb = load(1), load(2)
t = d['selection']
assert d['criterion'] == 'elbo' and [r['k'] for r in t] == [1, 2, 3, 4]
best = max(t, key=lambda r: r['elbo'])
assert d['n_states'] == best['k']
assert [r for r in t if r['k'] == 3][0]['elbo'] == vb['elbo']
assert t[0]['elbo'] < t[0]['log_likelihood']  # K = 1: Baum-Welch's optimum is global" elbo.fit.json vb3.json
run fit hmm "$W" --columns weather -k 1-4 --emission categorical --seed 1 --select elbo
expect_out "--select elbo: the table" "* highest ELBO:"
run fit hmm "$COUNTS" -k 2-3 --emission multinomial --select elbo
expect_rc "--select elbo with an emission the VB-HMM lacks" 1
expect_err "--select elbo with multinomial: says why" "--select elbo"
run fit hmm "$COUNTS" -k 2-3 --emission poisson --stream
expect_rc "selection with --stream" 1
expect_err "selection with --stream: says why" "a selection over --states fits in memory"

# ---- streaming, stepwise, L-BFGS ----

run fit hmm "$COUNTS" --init-model "$GOLDEN/hmm_poisson_seattle.init.json" --max-iter 30 \
    --tol 0 --json
cp out mem.json
run fit hmm "$COUNTS" --init-model "$GOLDEN/hmm_poisson_seattle.init.json" --max-iter 30 \
    --tol 0 --json --stream
expect_rc "poisson: --stream" 0
pycheck "poisson: streamed fit = in memory, bit for bit" "" "
a, b = load(1), load(2)
assert a['lambdas'] == b['lambdas'] and a['transmat'] == b['transmat']
assert a['log_likelihood'] == b['log_likelihood']" mem.json out
run fit hmm "$WEEKLY" -k 2 --emission multinomial --algorithm stepwise --batch-size 1 \
    --json
expect_rc "multinomial: stepwise" 0
run fit hmm "$COUNTS" --init-model "$GOLDEN/hmm_poisson_seattle.init.json" --tol 1e-12 \
    --max-iter 5000 --json
cp out em.json
run fit hmm "$COUNTS" --init-model "$GOLDEN/hmm_poisson_seattle.init.json" \
    --algorithm lbfgs --json
expect_rc "poisson: lbfgs" 0
pycheck "poisson: L-BFGS reaches EM's optimum" "" "
a, b = load(1), load(2)
assert abs(a['mean_log_likelihood'] - b['mean_log_likelihood']) < 1e-8, (a['log_likelihood'],
    b['log_likelihood'])" em.json out
run fit hmm "$WEEKLY" --init-model "$GOLDEN/hmm_multinomial_weekly.init.json" --tol 1e-12 \
    --max-iter 5000 --json
cp out em.json
run fit hmm "$WEEKLY" --init-model "$GOLDEN/hmm_multinomial_weekly.init.json" \
    --algorithm lbfgs --json
expect_rc "multinomial: lbfgs" 0
pycheck "multinomial: L-BFGS reaches EM's optimum" "" "
a, b = load(1), load(2)
assert abs(a['mean_log_likelihood'] - b['mean_log_likelihood']) < 1e-8, (a['log_likelihood'],
    b['log_likelihood'])" em.json out

# ---- bad input ----

printf 'a,b\n1,2\n3,-1\n' > neg.csv
run fit hmm neg.csv -k 2 --emission poisson
expect_rc "negative count" 2
expect_err "negative count: file, line and column" "neg.csv:3: column b: -1 is not a count"
printf 'a,b\n1,2\n3,1.5\n' > frac.csv
run score p3.json frac.csv --columns a,b
expect_err "fractional count at scoring" "frac.csv:3: column b: 1.5 is not a count"
printf 'drizzle,fog,rain,snow,sun\n1,1,1,1,3\n1,1,1,1,2\n' > short.csv
run fit hmm short.csv -k 1 --emission multinomial --trials 7
expect_rc "multinomial: a week of 6 days" 2
expect_err "multinomial: names the line" "short.csv:3: the counts sum to 6, not the 7 trials"
run fit hmm neg.csv -k 2 --emission poisson --stream
expect_rc "negative count streamed" 2
expect_err "negative count streamed: row and column" "row 2, column 2: count -1"
run fit hmm "$COUNTS" -k 2 --emission poisson --covariance diag
expect_rc "--covariance with poisson" 1
run fit hmm "$COUNTS" -k 2 --emission poisson --trials 3
expect_rc "--trials with poisson" 1

finish
