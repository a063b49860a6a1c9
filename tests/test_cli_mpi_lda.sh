#!/bin/sh
# Distributed LDA: `mpirun -np P vem fit lda ... --mpi` against one process.
# Usage: sh test_cli_mpi_lda.sh VEM REPO_ROOT
# With a vem built without MPI (or no mpirun), checks that --mpi is refused clearly.
# Fixtures: tests/data/lda_mpi.* (90 documents, 4 topics, 40 words; documents 17
# and 58 empty), written by tests/data/lda_mpi_make.py.
NAME=cli_mpi_lda
. "$(dirname "$0")/harness_mpi.sh"
D=$ROOT/tests/data
UCI=$D/lda_mpi.docword.txt
LDAC=$D/lda_mpi.ldac
VOC=$D/lda_mpi.vocab.txt

if ! have_mpi; then
    "$VEM" fit lda "$UCI" -k 4 --mpi >"$tmp/out" 2>"$tmp/err"
    rc=$?
    check "--mpi refused without MPI (rc $rc)" "[ $rc -eq 1 ] && grep -q 'built without MPI' $tmp/err"
    finish " (vem built without MPI: distributed runs not tested)"
fi

mpi_setup
one() { "$VEM" "$@"; }

# npy_close A.npy B.npy TOL: two float64 .npy files of the same shape, entries within TOL relative.
npy_close() {
    "$PY" -c "
import ast, struct, sys
def load(p):
    b = open(p, 'rb').read()
    assert b[:6] == b'\x93NUMPY'
    n = struct.unpack('<H', b[8:10])[0]
    h = ast.literal_eval(b[10:10 + n].decode('latin1'))
    assert h['descr'] == '<f8' and not h['fortran_order']
    body = b[10 + n:]
    return h['shape'], struct.unpack('<%dd' % (len(body) // 8), body)
sa, a = load('$1'); sb, b = load('$2')
sys.exit(0 if sa == sb and len(a) > 0 and all(abs(x - y) <= $3 * abs(y) for x, y in zip(a, b)) else 1)"
}

same_key() { [ "$(key "$1" "$3")" = "$(key "$2" "$3")" ]; }

# The start every comparison shares: a model after one batch pass of one process.
one fit lda "$UCI" --vocab "$VOC" -k 4 --passes 1 -o "$tmp/init.json" >/dev/null 2>&1
check "init model written" "[ -s $tmp/init.json ] && [ -s $tmp/init.lambda.npy ]"

# Batch EM from the same --init-model: the same lambda and ELBO as one process to
# 1e-10 for 2 and 3 processes (UCI split on document boundaries, LDA-C on lines).
FIT="--init-model $tmp/init.json --passes 100 --tol 1e-9 --json"
one fit lda "$UCI" $FIT -o "$tmp/one.json" >"$tmp/one.out"
# One output per case: a second save to the same path names its .npy differently
# (docs/reliability.md, "Atomic outputs"), so each case reads its own.
i=0
for case in "2 $UCI" "3 $UCI" "3 $LDAC"; do
    set -- $case
    np=$1
    i=$((i + 1))
    name="init-model np=$np $(basename "$2")"
    run "$np" fit lda "$2" $FIT -o "$tmp/m$i.json" >"$tmp/p$np.out" 2>"$tmp/err"
    check "$name exit" "[ \$? -eq 0 ]"
    check "$name one JSON object" "[ \$(wc -l <$tmp/p$np.out) -eq 1 ]"
    check "$name processes" "[ \"\$(key $tmp/p$np.out \"['processes']\")\" = $np ]"
    check "$name documents" "[ \"\$(key $tmp/p$np.out \"['n_docs']\")\" = 90 ]"
    check "$name elbo" "rel_close $tmp/p$np.out $tmp/one.out elbo 1e-10"
    check "$name lambda" "npy_close $tmp/m$i.lambda.npy $tmp/one.lambda.npy 1e-10"
    check "$name iterations" "same_key $tmp/p$np.out $tmp/one.out \"['n_iter']\""
    check "$name topics" "same_key $tmp/p$np.out $tmp/one.out \"['topics']\""
done
check "rank 0 wrote a model that scores" "\"$VEM\" score $tmp/m3.json $UCI >/dev/null"

# The default initialisation (K x V Gamma draws from --seed, the same on every process)
# and alpha estimation (its statistics are summed like the rest): as one process.
DEF="--vocab $VOC -k 4 --seed 7 --alpha auto --passes 25 --tol 0 --json"
one fit lda "$UCI" $DEF -o "$tmp/d1.json" >"$tmp/d1.out"
run 2 fit lda "$UCI" $DEF -o "$tmp/d2.json" >"$tmp/d2.out" 2>"$tmp/err"
check "default init np=2 exit" "[ \$? -eq 0 ]"
check "default init np=2 elbo" "rel_close $tmp/d2.out $tmp/d1.out elbo 1e-10"
check "default init np=2 alpha" "rel_close $tmp/d2.out $tmp/d1.out alpha 1e-10"
check "default init np=2 lambda" "npy_close $tmp/d2.lambda.npy $tmp/d1.lambda.npy 1e-10"
run 3 fit lda "$LDAC" $DEF >"$tmp/d3.out" 2>"$tmp/err"
check "default init np=3 LDA-C elbo" "rel_close $tmp/d3.out $tmp/d1.out elbo 1e-10"
check "default init np=3 LDA-C alpha" "rel_close $tmp/d3.out $tmp/d1.out alpha 1e-10"

# Restarts (--n-init): every process runs the same restarts and keeps the same best one.
RS="--vocab $VOC -k 4 --seed 3 --alpha auto --passes 20 --n-init 3 --json"
one fit lda "$UCI" $RS >"$tmp/r1.out"
run 2 fit lda "$UCI" $RS >"$tmp/r2.out" 2>"$tmp/err"
check "restarts np=2 exit" "[ \$? -eq 0 ]"
check "restarts np=2 elbo" "rel_close $tmp/r2.out $tmp/r1.out elbo 1e-10"
check "restarts np=2 best" "same_key $tmp/r2.out $tmp/r1.out \"['best_init']\""

# Incremental EM. With one block it is batch EM pass for pass, so it must match one
# process to round-off. With 4 blocks (block b = the union of the processes' block b)
# from a start near the optimum, it must reach batch EM's optimum: both stop when the
# ELBO per token changes by < 1e-10 and share the fixed point, so 1e-8 per token
# leaves room for the stopping points only (measured: 3e-12); lambda is flatter
# there (measured: 1.4e-4), so its check is looser.
INC="--vocab $VOC -k 4 --algorithm incremental --blocks 1 --passes 12 --tol 0 --json"
one fit lda "$UCI" $INC >"$tmp/i1.out"
run 2 fit lda "$UCI" $INC >"$tmp/i2.out" 2>"$tmp/err"
check "incremental 1 block np=2 elbo" "rel_close $tmp/i2.out $tmp/i1.out elbo 1e-10"
one fit lda "$UCI" --passes 10 --vocab "$VOC" -k 4 -o "$tmp/warm.json" >/dev/null
OPT="--init-model $tmp/warm.json --passes 500 --tol 1e-10 --gamma-tol 1e-8 --json"
one fit lda "$UCI" $OPT -o "$tmp/wb.json" >"$tmp/wb.out"
run 2 fit lda "$UCI" $OPT --algorithm incremental --blocks 4 -o "$tmp/wi.json" \
    >"$tmp/wi.out" 2>"$tmp/err"
check "incremental np=2 exit" "[ \$? -eq 0 ]"
check "incremental np=2 converged" "[ \"\$(key $tmp/wi.out \"['converged']\")\" = True ]"
check "incremental np=2 optimum" "rel_close $tmp/wi.out $tmp/wb.out elbo_per_token 1e-8"
check "incremental np=2 lambda" "npy_close $tmp/wi.lambda.npy $tmp/wb.lambda.npy 1e-3"
check "incremental np=2 monotone" "[ \"\$(key $tmp/wi.out \"['monotonicity_violations']\")\" = 0 ]"
check "incremental np=2 block steps" "[ \$(key $tmp/wi.out \"['n_steps']\") -gt \$(key $tmp/wi.out \"['n_iter']\") ]"

# Stepwise (online VB): every process runs ceil(90 / 10) = 9 minibatches per pass, and
# the fit lands near the batch optimum.
run 3 fit lda "$UCI" $OPT --algorithm stepwise --batch-size 10 --passes 3 --tol 0 \
    >"$tmp/sw.out" 2>"$tmp/err"
check "stepwise np=3 exit" "[ \$? -eq 0 ]"
check "stepwise np=3 minibatches" "[ \"\$(key $tmp/sw.out \"['n_steps']\")\" = 27 ]"
check "stepwise np=3 near optimum" \
    "[ \"\$(\"$PY\" -c \"import json; a=json.load(open('$tmp/sw.out')); b=json.load(open('$tmp/wb.out')); print(abs(a['elbo_per_token']-b['elbo_per_token']) < 0.01)\")\" = True ]"

# --stream under --mpi: each process streams its share from temporary files; batch as one
# process, stepwise (its sparse steps summing only the touched words) as the shares in memory.
run 2 fit lda "$UCI" $DEF --stream >"$tmp/ds.out" 2>"$tmp/err"
check "default init np=2 --stream exit" "[ \$? -eq 0 ]"
check "default init np=2 --stream elbo" "rel_close $tmp/ds.out $tmp/d1.out elbo 1e-10"
run 3 fit lda "$UCI" $OPT --algorithm stepwise --batch-size 10 --passes 3 --tol 0 --stream \
    >"$tmp/sws.out" 2>"$tmp/err"
check "stepwise np=3 --stream exit" "[ \$? -eq 0 ]"
check "stepwise np=3 --stream: the shares in memory" "rel_close $tmp/sws.out $tmp/sw.out elbo 1e-12"

# Processes without documents (3 documents, 4 processes) still take part in every reduction.
SMALL=$D/lda_ok.docword.txt
one fit lda "$SMALL" -k 2 --passes 10 --tol 0 --json >"$tmp/s1.out"
run 4 fit lda "$SMALL" -k 2 --passes 10 --tol 0 --json >"$tmp/s4.out" 2>"$tmp/err"
check "empty shares np=4 batch elbo" "rel_close $tmp/s4.out $tmp/s1.out elbo 1e-10"
run 4 fit lda "$SMALL" -k 2 --passes 3 --algorithm stepwise --batch-size 1 --json \
    >"$tmp/s4s.out" 2>"$tmp/err"
# Three minibatches per pass (3 documents, batch size 1) cut on every process: the shares
# hold 0, 1, 0 and 2 documents, so minibatch 0 is empty everywhere and skipped (no step
# blends in nothing): 2 steps a pass.
check "empty shares np=4 stepwise" "[ \"\$(key $tmp/s4s.out \"['n_steps']\")\" = 6 ]"
run 4 fit lda "$SMALL" -k 2 --passes 3 --algorithm incremental --json >"$tmp/s4i.out" 2>"$tmp/err"
check "empty shares np=4 incremental" "[ \$? -eq 0 ] && [ -s $tmp/s4i.out ]"

# A bad line in the second process's share: its file:line, a non-zero exit, no hang.
sed '830s/.*/61 7 x/' "$UCI" >"$tmp/bad.docword.txt"
start=$(date +%s)
run 2 fit lda "$tmp/bad.docword.txt" -k 4 >"$tmp/out" 2>"$tmp/err"
rc=$?
end=$(date +%s)
check "bad line: non-zero exit" "[ $rc -ne 0 ] && [ $rc -ne 124 ]"
check "bad line: file:line" "grep -q \"bad.docword.txt:830: expected 'docID wordID count'\" $tmp/err"
check "bad line: reported once" "[ \$(grep -c 'bad.docword.txt:830' $tmp/err) -eq 1 ]"
check "bad line: within seconds" "[ $((end - start)) -lt 20 ]"
check "bad line: nothing printed" "[ ! -s $tmp/out ]"
sed '70s/.*/5 0:1 1:x/' "$LDAC" >"$tmp/bad.ldac"
run 3 fit lda "$tmp/bad.ldac" -k 4 >"$tmp/out" 2>"$tmp/err"
rc=$?
check "bad LDA-C line: file:line" "[ $rc -ne 0 ] && grep -q 'bad.ldac:70: pair 2: count is not an integer' $tmp/err"

# Errors every process meets alike (agreed in the library, vem_comm_agree): one message, exit 2.
run 3 fit lda "$tmp/no_such.docword.txt" -k 4 >"$tmp/out" 2>"$tmp/err"
rc=$?
check "missing corpus: exit 2, reported once" \
    "[ $rc -eq 2 ] && [ \$(grep -c 'no_such.docword.txt: cannot open' $tmp/err) -eq 1 ]"
run 3 fit lda "$UCI" -k 4 --alpha 1e-200 >"$tmp/out" 2>"$tmp/err"
rc=$?
check "bad --alpha: exit 2, reported once" \
    "[ $rc -eq 2 ] && [ \$(grep -c 'alpha=1e-200 must be in' $tmp/err) -eq 1 ]"
run 2 fit lda "$UCI" -k 4 --init-model "$tmp/no_such.json" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "missing --init-model: exit 2, reported once" \
    "[ $rc -eq 2 ] && [ \$(grep -c 'no_such.json' $tmp/err) -eq 1 ]"

# A UCI file not in docID order cannot be split on document boundaries: said so.
"$PY" -c "
lines = open('$UCI').read().splitlines()
head, data = lines[:3], lines[3:]
data = [l for l in data if l.split()[0] == '80'] + [l for l in data if l.split()[0] != '80']
open('$tmp/order.docword.txt', 'w').write('\n'.join(head + data) + '\n')"
run 2 fit lda "$tmp/order.docword.txt" -k 4 >"$tmp/out" 2>"$tmp/err"
rc=$?
check "out of order: refused" "[ $rc -eq 2 ] && grep -q 'order.docword.txt:4: docID 80 out of order' $tmp/err"

# Only fit lda is distributed.
run 2 score "$tmp/m3.json" "$UCI" >"$tmp/out" 2>"$tmp/err"
check "score --mpi refused" "[ \$? -ne 0 ] && grep -q \"'--mpi' does not apply to score\" $tmp/err"

finish
