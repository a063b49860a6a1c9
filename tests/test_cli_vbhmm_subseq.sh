#!/bin/sh
# tests/test_cli_vbhmm_subseq.sh — stochastic VI of the variational Bayesian HMM on one
# long sequence with Foti et al.'s (2014) buffered subsequences (`vem fit vbhmm
# --algorithm stepwise --subsequence-length L --buffer B`, docs/vbhmm.md):
# - a buffer longer than the sequence makes every window the whole sequence, so the chunks'
#   statistics add up to the whole sequence's: a minibatch of every chunk gives the fit of
#   one minibatch of the whole sequence, to rounding (the windows are cut at the engine's
#   slots, so this checks that each span's statistics are counted once, none missed);
# - a subsequence longer than every sequence is whole-sequence stepwise, bit for bit;
# - on a sampled sticky 3-state series with overlapping emissions, buffers bring the
#   stochastic fit's exact ELBO closer to batch VB-EM's (40,000 frames, subsequences of
#   20: no buffer 5.2 nats short, 10 frames 1.8);
# - the reported ELBO is the exact one of the final posterior (vem score gives it back);
# - a checkpointed and resumed fit gives the uninterrupted one's bits;
# - a long sequence's emission passes spread over threads give the same bits;
# - the options' errors.
# Usage: sh test_cli_vbhmm_subseq.sh VEM REPO_ROOT
NAME=cli_vbhmm_subseq
. "$(dirname "$0")/harness.sh"

key() {
    "$PY" -c "import json; print(repr(json.load(open('$1'))$2))"
}

# A planted HMM: sticky transitions, means one standard deviation apart, so that a frame's
# state is ambiguous on its own and the neighbours matter.
cat >planted.json <<'EOF'
{"format": "vem-model", "version": 1, "model": "hmm", "emission": "gaussian",
 "n_states": 3, "covariance_type": "full", "n_features": 2, "reg_covar": 1e-06,
 "columns": ["a", "b"],
 "startprob": [1.0, 0.0, 0.0],
 "transmat": [[0.99, 0.005, 0.005], [0.01, 0.98, 0.01], [0.0075, 0.0075, 0.985]],
 "means": [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]],
 "covariances": [[[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]]]}
EOF
run sample planted.json -n 40000 --seed 11
expect_rc "sample the planted series" 0
cut -d, -f1,2 out >series.csv
check "the series: 40,000 frames and a header" test "$(wc -l <series.csv)" -eq 40001

# ---- batch VB-EM: the reference ELBO
run fit vbhmm series.csv --states 3 --emission gaussian --seed 1 --json
expect_rc "batch VB-EM" 0
cp out batch.json
BATCH=$(key batch.json "['elbo']")

# ---- a long sequence's emission passes in blocks over threads: the same bits
run fit vbhmm series.csv --states 3 --emission gaussian --seed 1 --threads 1 --max-iter 8 \
    --tol 0 -o t1.json
run fit vbhmm series.csv --states 3 --emission gaussian --seed 1 --threads 2 --max-iter 8 \
    --tol 0 -o t2.json
pycheck "40,000 frames: --threads 1 and 2 give the same model bits" '"ok"' "
import json
a, b = json.load(open('t1.json')), json.load(open('t2.json'))
assert [k for k in a if k != 'fit' and a[k] != b[k]] == []
print('ok')
"

# ---- the buffer covers the sequence: chunked statistics = whole-sequence statistics
run fit vbhmm series.csv --states 3 --emission gaussian --seed 1 --algorithm stepwise \
    --batch-size 1 --max-iter 5 --tol 0 -o whole.json --json
expect_rc "stepwise, whole sequence" 0
cp out whole_fit.json
run fit vbhmm series.csv --states 3 --emission gaussian --seed 1 --algorithm stepwise \
    --subsequence-length 100 --buffer 1000000 --batch-size 400 --max-iter 5 --tol 0 \
    -o chunked.json --json
expect_rc "stepwise, 400 chunks of 100 frames, buffer beyond the sequence" 0
cp out chunked_fit.json
pycheck "one minibatch of all chunks = one of the whole sequence (1e-9)" '"ok"' "
import json
a, b = json.load(open('whole_fit.json')), json.load(open('chunked_fit.json'))
assert b['subsequence_length'] == 100 and b['buffer'] == 1000000
assert a['subsequence_length'] == 0 and a['buffer'] == 0
def flat(x):
    return sum((flat(y) for y in x), []) if isinstance(x, list) else [x]
worst = 0.0
for k in ('transmat_posterior', 'startprob_posterior', 'means', 'scale_posterior',
          'beta_posterior', 'dof_posterior'):
    for u, v in zip(flat(a[k]), flat(b[k])):
        worst = max(worst, abs(u - v) / max(abs(u), 1e-300))
assert worst < 1e-9, worst
assert abs(a['elbo'] - b['elbo']) < 1e-9 * abs(a['elbo']), (a['elbo'], b['elbo'])
print('ok', worst)
"

# ---- a subsequence longer than the sequence: whole-sequence stepwise, bit for bit
run fit vbhmm series.csv --states 3 --emission gaussian --seed 1 --algorithm stepwise \
    --subsequence-length 50000 --buffer 7 --batch-size 1 --max-iter 5 --tol 0 -o long.json
expect_rc "stepwise, one chunk" 0
pycheck "one chunk: the whole-sequence fit's bits" '"ok"' "
import json
a, b = json.load(open('whole.json')), json.load(open('long.json'))
for k in a:
    if k != 'fit':
        assert a[k] == b[k], k
print('ok')
"

# ---- buffers: the stochastic fit's exact ELBO approaches batch VB-EM's
for B in 0 10; do
    run fit vbhmm series.csv --states 3 --emission gaussian --seed 1 --algorithm stepwise \
        --subsequence-length 10 --buffer $B --batch-size 2 --max-iter 10 --tol 0 \
        -o "b$B.json" --json
    expect_rc "subsequences of 20 frames, buffer $B" 0
    cp out "fit$B.json"
done
pycheck "buffers: closer to batch VB-EM (10 frames: within 3 nats, 0.6 of no buffer's gap)" '"ok"' "
import json
b0, b10 = (json.load(open('fit%d.json' % b))['elbo'] for b in (0, 10))
gap0, gap10 = $BATCH - b0, $BATCH - b10
print('gaps', gap0, gap10)
assert 0 < gap10 < 0.6 * gap0 and gap0 < 10 and gap10 < 3, (gap0, gap10)
print('ok')
"
pycheck "the planted transitions are recovered (0.01)" '"ok"' "
import json
d = json.load(open('fit10.json'))
diag = sorted(d['transmat'][i][i] for i in range(3))
for got, want in zip(diag, [0.98, 0.985, 0.99]):
    assert abs(got - want) < 0.01, diag
print('ok')
"

# ---- the reported ELBO is the exact one: vem score on the model gives it back
E=$(key fit10.json "['elbo']")
run score b10.json series.csv --json
expect_rc "score the stochastic fit" 0
pycheck "the fit's ELBO is the posterior's exact ELBO" '"ok"' "
import json
d = json.load(open('out'))
assert d['elbo'] == $E, (d['elbo'], $E)
print('ok')
"

# ---- checkpoint and resume: the uninterrupted fit's bits
same_model() {
    "$PY" - "$1" "$2" <<'PYEOF'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for k in set(a) | set(b):
    if k != 'fit' and a.get(k) != b.get(k):
        sys.exit('%s differs' % k)
PYEOF
}
args="series.csv --states 3 --emission gaussian --seed 2 --algorithm stepwise --subsequence-length 25 --buffer 5 --batch-size 3 --max-iter 6 --tol 0"
# shellcheck disable=SC2086
"$VEM" fit vbhmm $args -o ck.full.json >/dev/null 2>ck.err
# shellcheck disable=SC2086
"$VEM" fit vbhmm $args --checkpoint ck.ck --checkpoint-every 2 -o ck.part.json >/dev/null 2>>ck.err
check "checkpoints: the same model" same_model ck.part.json ck.full.json
it=$("$PY" -c "import json; f = open('ck.ck', 'rb'); f.readline(); f.readline(); print(json.loads(f.readline())['iter'])")
check "the checkpoint is mid-fit (pass $it of 6)" test "$it" -ge 1 -a "$it" -lt 6
# shellcheck disable=SC2086
"$VEM" fit vbhmm $args --resume ck.ck -o ck.res.json >/dev/null 2>>ck.err
check "resumed (rc $?)" test -s ck.res.json
check "resumed = uninterrupted, bit for bit" same_model ck.res.json ck.full.json

# ---- errors
run fit vbhmm series.csv --states 3 --emission gaussian --subsequence-length 10
expect_rc "--subsequence-length with batch: usage error" 1
expect_err "--subsequence-length with batch: says it needs stepwise" "--algorithm stepwise"
run fit vbhmm series.csv --states 3 --emission gaussian --buffer 3
expect_rc "--buffer alone: usage error" 1
expect_err "--buffer alone: names --subsequence-length" "--subsequence-length"
run fit vbhmm series.csv --states 3 --emission gaussian --algorithm stepwise \
    --subsequence-length 10 --stream
expect_rc "--subsequence-length with --stream: usage error" 1
expect_err "--subsequence-length with --stream: says so" "--stream"
run fit vbhmm series.csv --states 3 --emission gaussian --algorithm stepwise \
    --subsequence-length 0
expect_rc "--subsequence-length 0: usage error" 1

finish
