#!/bin/sh
# Checkpoint and resume (docs/reliability.md, "Checkpoint and resume"): for every model
# and algorithm a fit resumed from a checkpoint taken mid-fit writes the model of the
# uninterrupted fit, bit for bit; SIGTERM stops a fit after its iteration with the
# checkpoint and the best model so far (exit 130); a kill -9 / resume loop reaches the
# uninterrupted model; bad checkpoints are refused. Under MPI (when built with it): the
# same with 1 and 2 processes, and resuming on another number of processes.
# Usage: sh test_cli_checkpoint.sh VEM REPO_ROOT
NAME=cli_checkpoint
. "$(dirname "$0")/harness_mpi.sh"
D=$ROOT/examples/data
F=$D/faithful.csv
P="$D/penguins.csv --columns beak_length_mm,beak_depth_mm,flipper_length_mm,body_mass_g"
W="$D/seattle-weather.csv --columns weather"
DOCS=$ROOT/tests/data/lda_mpi.docword.txt
DIAB="$D/diabetes.csv --target target"

# same_model A B: the two model files hold the same bits: every key equal, and the
# files a key *_file names (LDA's lambda) equal byte for byte.
same_model() {
    "$PY" - "$1" "$2" <<'EOF'
import json, os, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
da, db = (os.path.dirname(p) for p in sys.argv[1:3])
for k in set(a) | set(b):
    if k.endswith('_file'):
        if open(os.path.join(da, a[k]), 'rb').read() != open(os.path.join(db, b[k]), 'rb').read():
            sys.exit('%s differs' % k)
    elif a.get(k) != b.get(k):
        sys.exit('%s differs' % k)
EOF
}

# header CK KEY: a value of checkpoint CK's header.
header() {
    "$PY" -c "import json,sys; f=open('$1','rb'); f.readline(); f.readline(); print(json.loads(f.readline())['$2'])"
}

# resume_case NAME EVERY FIT-ARGS...: the fit uninterrupted; again with a checkpoint every
# EVERY iterations (the last one is taken before the end); resumed from that checkpoint.
resume_case() {
    name=$1 every=$2
    shift 2
    c=$tmp/$name
    "$VEM" "$@" -o "$c.full.json" >/dev/null 2>"$c.err"
    check "$name: the fit (rc $?)" "[ -s $c.full.json ]"
    "$VEM" "$@" --checkpoint "$c.ck" --checkpoint-every "$every" -o "$c.part.json" \
        >/dev/null 2>>"$c.err"
    check "$name: with checkpoints, the same model" "same_model $c.part.json $c.full.json"
    check "$name: a checkpoint" "[ -s $c.ck ]"
    it=$(header "$c.ck" iter) rs=$(header "$c.ck" restart)
    n=$(key "$c.full.json" "['fit']['n_iter']")
    check "$name: the checkpoint is mid-fit (restart $rs, iteration $it of $n)" \
        "[ $it -ge 1 ] && [ $it -lt $n ]"
    "$VEM" "$@" --resume "$c.ck" -o "$c.res.json" >/dev/null 2>>"$c.err"
    rc=$?
    check "$name: resumed (rc $rc)" "[ $rc -eq 0 ]"
    check "$name: resumed = uninterrupted, bit for bit" "same_model $c.res.json $c.full.json"
    [ -s "$c.res.json" ] && ! same_model "$c.res.json" "$c.full.json" && cat "$c.err"
}

GMM="fit gmm $P -k 4 --covariance VVV --tol 0 --max-iter 60"
ONLINE="fit gmm $P -k 4 --covariance VVV --tol 0"
resume_case gmm_batch 25 $GMM
resume_case gmm_restarts 25 $GMM --n-init 3 --init kmeans
resume_case gmm_vve 7 fit gmm $P -k 3 --covariance VVE --max-iter 40 --tol 0
resume_case gmm_eev 7 fit gmm $F -k 3 --covariance EEV --max-iter 40 --tol 0
resume_case gmm_converging 10 fit gmm $F -k 3
resume_case gmm_stepwise 3 $ONLINE --algorithm stepwise --batch-size 50 --passes 8 --n-init 2
resume_case gmm_incremental 3 $ONLINE --algorithm incremental --blocks 4 --passes 8
resume_case gmm_streamed 25 $GMM --stream
resume_case gmm_streamed_stepwise 3 $ONLINE --stream --algorithm stepwise --batch-size 50 --passes 8
resume_case hmm_gaussian 10 fit hmm $F --states 3 --emission gaussian --tol 0 --max-iter 30
resume_case hmm_categorical 10 fit hmm $W --states 3 --emission categorical --tol 0 \
    --max-iter 30 --n-init 2
resume_case hmm_stepwise 2 fit hmm $F --states 2 --emission gaussian --algorithm stepwise \
    --passes 6 --batch-size 1 --tol 0
resume_case hmm_poisson 10 fit hmm "$ROOT/examples/data/seattle-counts.csv" --states 3 \
    --emission poisson --tol 0 --max-iter 30 --n-init 2
resume_case hmm_multinomial_incremental 2 fit hmm "$ROOT/examples/data/seattle-weekly.csv" \
    --states 2 --emission multinomial --algorithm incremental --blocks 1 --passes 6 --tol 0
resume_case hmm_map_frozen 10 fit hmm $W --states 3 --emission categorical --tol 0 \
    --max-iter 30 --transmat-prior 2 --update te
resume_case lda_batch 4 fit lda $DOCS -k 3 --passes 10 --tol 0
resume_case lda_online 2 fit lda $DOCS -k 3 --algorithm stepwise --batch-size 8 --passes 6 \
    --tol 0
resume_case lda_online_dense 2 fit lda $DOCS -k 3 --algorithm stepwise --batch-size 8 \
    --passes 6 --tol 0 --dense-steps
resume_case vbgmm 10 fit vbgmm $P -k 5 --tol 0 --max-iter 40 --n-init 2
resume_case blr 3 fit blr $DIAB --tol 0 --max-iter 10

# Model selection: checkpoints between (K, covariance) pairs; resumed, the same table and
# model; SIGTERM stops after the pair being fitted with the best model so far.
SEL="fit gmm $F -k 1-5 --covariance all"
"$VEM" $SEL -o "$tmp/sel.full.json" >"$tmp/sel.full.out" 2>&1
"$VEM" $SEL --checkpoint "$tmp/sel.ck" --checkpoint-every 30 -o "$tmp/sel.part.json" >/dev/null 2>&1
check "selection: the checkpoint holds 60 of the 70 pairs" \
    "[ \"\$(header $tmp/sel.ck cells | grep -o \"'k'\" | wc -l)\" = 60 ]"
"$VEM" $SEL --resume "$tmp/sel.ck" -o "$tmp/sel.res.json" >"$tmp/sel.res.out" 2>&1
check "selection resumed: the same model, bit for bit" "same_model $tmp/sel.res.json $tmp/sel.full.json"
check "selection resumed: the same table" \
    "[ \"\$(head -n 17 $tmp/sel.res.out)\" = \"\$(head -n 17 $tmp/sel.full.out)\" ]"
SELL="fit gmm $P -k 1-9 --covariance all --tol 1e-10"
"$VEM" $SELL -o "$tmp/sell.full.json" >/dev/null 2>&1
"$VEM" $SELL --checkpoint "$tmp/sell.ck" -o "$tmp/sell.part.json" --json >"$tmp/sell.part.out" \
    2>"$tmp/sell.err" &
pid=$!
sleep 0.3
kill -TERM $pid
wait $pid
rc=$?
check "selection SIGTERM: exit 130 (rc $rc)" "[ $rc -eq 130 ]"
check "selection SIGTERM: the best so far, marked" \
    "[ \"\$(key $tmp/sell.part.json \"['fit'].get('interrupted')\")\" = True ]"
check "selection SIGTERM: --json says interrupted, the pairs not fitted too" \
    "json $tmp/sell.part.out 'd[\"interrupted\"] and \"interrupted\" in [c[\"status\"] for c in d[\"selection\"]]' | grep -q True"
"$VEM" $SELL --resume "$tmp/sell.ck" -o "$tmp/sell.res.json" >/dev/null 2>&1
check "selection SIGTERM then resume: the uninterrupted model" \
    "same_model $tmp/sell.res.json $tmp/sell.full.json"

# A checkpoint of another fit is refused, naming what differs.
c=$tmp/gmm_batch
"$VEM" $GMM --covariance diag --resume "$c.ck" -o "$tmp/x.json" >/dev/null 2>"$tmp/err"
rc=$?
check "another fit's checkpoint: exit 2 (rc $rc)" "[ $rc -eq 2 ] && [ ! -e $tmp/x.json ]"
check "another fit's checkpoint: says so" "grep -q 'not a checkpoint of this fit' $tmp/err"
"$VEM" fit hmm $F --states 3 --emission gaussian --resume "$c.ck" >/dev/null 2>"$tmp/err"
check "a gmm checkpoint for an hmm: refused" "[ \$? -eq 2 ] && grep -q \"of a 'gmm' fit\" $tmp/err"
# Damaged: cut short, a byte changed, not a checkpoint at all.
head -c 1000 "$c.ck" >"$tmp/short.ck"
"$VEM" $GMM --resume "$tmp/short.ck" >/dev/null 2>"$tmp/err"
check "a checkpoint cut short: exit 2 and why" "[ \$? -eq 2 ] && grep -q 'cut short' $tmp/err"
"$PY" -c "
b = bytearray(open('$c.ck', 'rb').read()); b[-9] ^= 1; open('$tmp/flip.ck', 'wb').write(b)"
"$VEM" $GMM --resume "$tmp/flip.ck" >/dev/null 2>"$tmp/err"
check "a changed byte: exit 2, checksum" "[ \$? -eq 2 ] && grep -q 'checksum' $tmp/err"
"$VEM" $GMM --resume "$F" >/dev/null 2>"$tmp/err"
check "not a checkpoint: exit 2" "[ \$? -eq 2 ] && grep -q 'not a vem checkpoint' $tmp/err"
"$VEM" $GMM --resume "$tmp/none.ck" >/dev/null 2>"$tmp/err"
check "no such checkpoint: exit 2" "[ \$? -eq 2 ] && grep -q 'none.ck' $tmp/err"
"$VEM" $GMM --checkpoint-every 5 >/dev/null 2>"$tmp/err"
check "--checkpoint-every without --checkpoint: usage" "[ \$? -eq 1 ]"
for bad in 0 -3 5x 1.5 s; do
    "$VEM" $GMM --checkpoint "$tmp/c" --checkpoint-every "$bad" >/dev/null 2>"$tmp/err"
    check "--checkpoint-every $bad: usage" "[ \$? -eq 1 ] && grep -q 'checkpoint-every' $tmp/err"
done

# SIGTERM: the fit stops after its iteration, writes the checkpoint and the best model so
# far marked interrupted, exits 130; resuming gives the uninterrupted model.
LONG="fit gmm $P -k 4 --covariance VVV --tol 0 --max-iter 40000 --n-init 2 --init kmeans"
"$VEM" $LONG -o "$tmp/long.full.json" >/dev/null 2>&1
"$VEM" $LONG --checkpoint "$tmp/long.ck" -o "$tmp/long.part.json" >/dev/null 2>"$tmp/long.err" &
pid=$!
sleep 0.5
kill -TERM $pid
wait $pid
rc=$?
check "SIGTERM: exit 130 (rc $rc)" "[ $rc -eq 130 ]"
check "SIGTERM: says it stops after the iteration" "grep -q 'stopping after this iteration' $tmp/long.err"
check "SIGTERM: the model marked interrupted" \
    "[ \"\$(key $tmp/long.part.json \"['fit'].get('interrupted')\")\" = True ]"
check "SIGTERM: the checkpoint written" "[ -s $tmp/long.ck ]"
check "SIGTERM: no temporaries left" "[ -z \"\$(ls $tmp | grep vem-tmp)\" ]"
"$VEM" $LONG --resume "$tmp/long.ck" -o "$tmp/long.res.json" >/dev/null 2>&1
check "SIGTERM then resume: the uninterrupted model" "same_model $tmp/long.res.json $tmp/long.full.json"
# A second SIGTERM during the stop is the default action (the process ends at once); a
# SIGINT without --checkpoint still stops after the iteration and writes the model.
"$VEM" $LONG -o "$tmp/noint.json" >/dev/null 2>"$tmp/err" &
pid=$!
sleep 0.5
kill -TERM $pid
wait $pid
rc=$?
check "SIGTERM without --checkpoint: exit 130, model written" \
    "[ $rc -eq 130 ] && [ \"\$(key $tmp/noint.json \"['fit'].get('interrupted')\")\" = True ]"

# SIGINT (from a driver that does not ignore it, as an interactive shell): the first one
# stops the fit after its iteration like SIGTERM; a second one exits at once.
"$PY" - "$VEM" "$tmp" $LONG <<'EOF'
import os, signal, subprocess, sys, time
vem, tmp, args = sys.argv[1], sys.argv[2], sys.argv[3:]
def start(name):
    return subprocess.Popen([vem] + args + ['--checkpoint', tmp + '/%s.ck' % name,
                            '-o', tmp + '/%s.json' % name],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
p = start('int1')
time.sleep(0.5)
p.send_signal(signal.SIGINT)
err = p.communicate(timeout=60)[1].decode()
ok = p.returncode == 130 and 'stopping after this iteration' in err and \
    os.path.exists(tmp + '/int1.ck') and '"interrupted": true' in open(tmp + '/int1.json').read()
print('one SIGINT: rc %d, checkpoint and interrupted model: %s' % (p.returncode, ok))
p = start('int2')
time.sleep(0.5)
p.send_signal(signal.SIGINT)
time.sleep(0.01)
t0 = time.time()
p.send_signal(signal.SIGINT)
err = p.communicate(timeout=60)[1].decode()
ok2 = p.returncode == 130 and time.time() - t0 < 1.0 and \
    not [f for f in os.listdir(tmp) if 'vem-tmp' in f]
print('two SIGINTs: rc %d, at once, no temporaries: %s' % (p.returncode, ok2))
sys.exit(0 if ok and ok2 else 1)
EOF
check "SIGINT once: stops after the iteration; twice: exits at once" "[ \$? -eq 0 ]"

# kill -9 at random moments, then resume from whatever checkpoint is there, until the fit
# ends: the uninterrupted model.
LOOP="fit gmm $P -k 4 --covariance VVV --tol 0 --max-iter 30000 --n-init 2 --init kmeans"
"$VEM" $LOOP -o "$tmp/loop.full.json" >/dev/null 2>&1
rm -f "$tmp/loop.ck" "$tmp/loop.json"
kills=0
for i in $(seq 1 40); do
    res=
    [ -e "$tmp/loop.ck" ] && res="--resume $tmp/loop.ck"
    "$VEM" $LOOP $res --checkpoint "$tmp/loop.ck" --checkpoint-every 300 -o "$tmp/loop.json" \
        >/dev/null 2>&1 &
    pid=$!
    sleep "0.$(awk -v s=$i 'BEGIN { srand(s); printf "%d", 1 + rand() * 4 }')"
    if kill -9 $pid 2>/dev/null; then
        kills=$((kills + 1))
        wait $pid 2>/dev/null
    else
        wait $pid
        break
    fi
done
# On a loaded machine the 40 kills may all come before the end: finish uninterrupted.
[ -s "$tmp/loop.json" ] || "$VEM" $LOOP --resume "$tmp/loop.ck" --checkpoint "$tmp/loop.ck" \
    --checkpoint-every 300 -o "$tmp/loop.json" >/dev/null 2>&1
check "kill -9 loop: $kills kills, then the fit ended" "[ $kills -ge 2 ] && [ -s $tmp/loop.json ]"
check "kill -9 loop: the uninterrupted model" "same_model $tmp/loop.json $tmp/loop.full.json"

if ! have_mpi; then
    finish " (vem built without MPI: distributed checkpoints not tested)"
fi
mpi_setup

# mpi_case NAME EVERY TOL FIT-ARGS...: as resume_case on 2 processes; then resumed on 1
# process (the statistics are additive): the same objective to TOL (relative), the same
# iterations. Batch EM differs by round-off (the sums are grouped differently); online EM
# takes other minibatches (each process shuffles its share) or other blocks (refilled
# in one pass), so another path to the same optimum. TOL "refused": the units differ
# (one sequence is cut at the processes' shares), and the checkpoint is refused.
mpi_case() {
    name=$1 every=$2 tol=$3
    shift 3
    c=$tmp/mpi_$name
    run 2 "$@" -o "$c.full.json" >/dev/null 2>"$c.err"
    check "mpi $name: the fit" "[ -s $c.full.json ]"
    run 2 "$@" --checkpoint "$c.ck" --checkpoint-every "$every" -o "$c.part.json" \
        >/dev/null 2>>"$c.err"
    check "mpi $name: a checkpoint of 2 processes" "[ \"\$(header $c.ck processes)\" = 2 ]"
    run 2 "$@" --resume "$c.ck" -o "$c.res.json" >/dev/null 2>>"$c.err"
    check "mpi $name: resumed on 2 = uninterrupted, bit for bit" "same_model $c.res.json $c.full.json"
    run 1 "$@" --resume "$c.ck" -o "$c.res1.json" >/dev/null 2>"$c.err1"
    rc=$?
    if [ "$tol" = refused ]; then
        check "mpi $name: resumed on 1 process: refused (rc $rc)" \
            "[ $rc -eq 2 ] && grep -q 'not a checkpoint of this fit: the number of units' $c.err1"
        return
    fi
    check "mpi $name: resumed on 1 process (rc $rc)" "[ $rc -eq 0 ]"
    check "mpi $name: resumed on 1 = uninterrupted on 2, to $tol" \
        "\"$PY\" -c \"
import json, sys
a = json.load(open('$c.res1.json'))['fit']; b = json.load(open('$c.full.json'))['fit']
k = [x for x in a if x in ('log_likelihood', 'elbo', 'log_posterior')][0]
sys.exit(0 if abs(a[k] - b[k]) <= $tol * abs(b[k]) and a['n_iter'] == b['n_iter'] else 1)\""
}
mpi_case gmm_batch 25 1e-9 $GMM
mpi_case gmm_stepwise 3 1e-3 $ONLINE --algorithm stepwise --batch-size 50 --passes 8
mpi_case gmm_incremental 3 1e-5 $ONLINE --algorithm incremental --blocks 4 --passes 8
mpi_case hmm 10 refused fit hmm $F --states 3 --emission gaussian --tol 0 --max-iter 30
mpi_case lda_online 2 1e-2 fit lda $DOCS -k 3 --algorithm stepwise --batch-size 8 --passes 6 --tol 0
mpi_case vbgmm 10 1e-9 fit vbgmm $P -k 5 --tol 0 --max-iter 40
mpi_case blr 3 1e-9 fit blr $DIAB --tol 0 --max-iter 10
# 1 process's checkpoint resumed on 2: the same fit to round-off.
c=$tmp/gmm_batch
run 2 $GMM --resume "$c.ck" -o "$tmp/r2.json" >/dev/null 2>"$tmp/err"
check "1 process's checkpoint resumed on 2" "rel_close $tmp/r2.json $c.full.json means 1e-9"

finish
