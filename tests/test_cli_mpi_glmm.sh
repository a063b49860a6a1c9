#!/bin/sh
# Distributed GLMM fits: `mpirun -np P vem fit glmm ... --mpi` against one process
# (docs/glmm.md, "Streaming, distributed fits and checkpoints"). Each rank reads, or
# streams, whole groups; the estimates are one process's to round-off (batch EM to 1e-10,
# MCEM, whose draws are keyed by a group's place among all the groups, to 1e-9); errors
# are said once, with every rank's exit status the same.
# Usage: sh test_cli_mpi_glmm.sh VEM REPO_ROOT
# With a vem built without MPI (or no mpirun), checks that --mpi is refused clearly.
NAME=cli_mpi_glmm
. "$(dirname "$0")/harness_mpi.sh"
G=$ROOT/examples/data/glmm_mcculloch.csv
P=$ROOT/examples/data/glmm_poisson.csv

if ! have_mpi; then
    "$VEM" fit glmm "$G" --target y --group group --mpi >"$tmp/out" 2>"$tmp/err"
    rc=$?
    check "--mpi refused without MPI (rc $rc)" "[ $rc -eq 1 ] && grep -q 'built without MPI' $tmp/err"
    finish " (vem built without MPI: distributed runs not tested)"
fi

mpi_setup

same() { [ "$(key "$1" "$3")" = "$(key "$2" "$3")" ]; }

# Batch EM (the defaults: AGQ, the parameter rule at 1e-9) and MCEM (fixed and automatic
# schedules), in memory and streamed, on 2 and 3 ranks: one process's estimates, standard
# errors and iterations; the model file rank 0 writes holds every rank's groups.
for case in "mcculloch 1e-10 $G --no-intercept" "poisson 1e-10 $P --family poisson" \
    "mcem 1e-9 $G --no-intercept --algorithm mcem --mc-samples 50 --mc-schedule fixed --max-iter 8 --tol 0" \
    "mcem_auto 1e-9 $G --no-intercept --algorithm mcem --mc-samples 50 --max-iter 8 --tol 0"; do
    set -- $case
    c=$1 tol=$2
    shift 2
    "$VEM" fit glmm "$@" --target y --group group --json -o "$tmp/$c.one.json" \
        >"$tmp/$c.one.out" 2>/dev/null
    for np in 2 3; do
        for how in memory stream; do
            s=
            [ $how = stream ] && s=--stream
            w="$c np=$np $how"
            o=$tmp/$c.$np.$how
            run $np fit glmm "$@" --target y --group group $s --json -o "$o.json" >"$o.out" \
                2>"$tmp/err"
            check "$w: exit" "[ \$? -eq 0 ]"
            check "$w: one JSON object" "[ \$(wc -l <$o.out) -eq 1 ]"
            check "$w: processes" "[ \"\$(key $o.out \"['processes']\")\" = $np ]"
            for k in beta sigma2 log_likelihood beta_stderr sigma2_stderr; do
                check "$w: $k" "rel_close $o.out $tmp/$c.one.out $k $tol"
            done
            for k in n_iter n n_groups at_boundary; do
                check "$w: $k" "same $o.out $tmp/$c.one.out \"['$k']\""
            done
            check "$w: the groups' labels" \
                "same $o.json $tmp/$c.one.json \"['groups']['labels']\""
            check "$w: the groups' effects" \
                "\"$PY\" -c \"
import json, sys
a, b = (json.load(open(p))['groups'] for p in ('$o.json', '$tmp/$c.one.json'))
sys.exit(0 if all(abs(x - y) <= $tol * max(abs(y), 1e-300) for k in ('u_mean', 'u_sd')
                  for x, y in zip(a[k], b[k])) else 1)\""
        done
        case $c in mcem*)
            check "$c np=$np: draws per group" \
                "same $tmp/$c.$np.memory.out $tmp/$c.one.out \"['monte_carlo']['last_samples']\"" ;;
        esac
        # Streamed or not, the same shares: the same bits.
        BITS="repr((d['beta'], d['sigma2'], d['log_likelihood'], d['beta_stderr']))"
        check "$c np=$np: --stream = in memory, bit for bit" \
            "[ \"\$(json $tmp/$c.$np.stream.out \"$BITS\")\" = \"\$(json $tmp/$c.$np.memory.out \"$BITS\")\" ]"
    done
done

# More ranks than groups: ranks 3 and 4 hold none and take part (no hang), same fit.
head -n 46 "$G" >"$tmp/three.csv"
"$VEM" fit glmm "$tmp/three.csv" --target y --group group --no-intercept --json \
    >"$tmp/three1.json" 2>/dev/null
for s in "" --stream; do
    run 5 fit glmm "$tmp/three.csv" --target y --group group --no-intercept $s --json \
        >"$tmp/three5.json" 2>"$tmp/err"
    check "5 ranks, 3 groups $s: exit 0" "[ \$? -eq 0 ]"
    for k in beta sigma2 log_likelihood; do
        check "5 ranks, 3 groups $s: $k" "rel_close $tmp/three5.json $tmp/three1.json $k 1e-10"
    done
    check "5 ranks, 3 groups $s: n_groups" "[ \"\$(key $tmp/three5.json \"['n_groups']\")\" = 3 ]"
done

# Checkpoints under MPI: resumed on 2 ranks, the bits of the uninterrupted 2-rank fit.
GL="fit glmm $G --target y --group group --no-intercept"
run 2 $GL -o "$tmp/ck.full.json" >/dev/null 2>"$tmp/err"
run 2 $GL -o "$tmp/ck.part.json" --checkpoint "$tmp/ck.ck" --checkpoint-every 40 \
    >/dev/null 2>"$tmp/err"
check "checkpoint np=2: a checkpoint" "[ -s $tmp/ck.ck ]"
run 2 $GL -o "$tmp/ck.res.json" --resume "$tmp/ck.ck" >/dev/null 2>"$tmp/err"
check "checkpoint np=2: resumed" "[ \$? -eq 0 ]"
check "checkpoint np=2: resumed = uninterrupted, bit for bit" \
    "cmp -s $tmp/ck.res.json $tmp/ck.full.json && cmp -s $tmp/ck.part.json $tmp/ck.full.json"
run 2 $GL --algorithm mcem --mc-samples 50 --max-iter 12 -o "$tmp/mk.full.json" \
    >/dev/null 2>"$tmp/err"
run 2 $GL --algorithm mcem --mc-samples 50 --max-iter 12 -o "$tmp/mk.part.json" \
    --checkpoint "$tmp/mk.ck" --checkpoint-every 5 >/dev/null 2>"$tmp/err"
run 2 $GL --algorithm mcem --mc-samples 50 --max-iter 12 -o "$tmp/mk.res.json" \
    --resume "$tmp/mk.ck" --stream >/dev/null 2>"$tmp/err"
check "checkpoint np=2 mcem: --stream is another fit" "grep -q 'not a checkpoint of this fit' $tmp/err"
run 2 $GL --algorithm mcem --mc-samples 50 --max-iter 12 -o "$tmp/mk.res.json" \
    --resume "$tmp/mk.ck" >/dev/null 2>"$tmp/err"
check "checkpoint np=2 mcem: resumed = uninterrupted, bit for bit" \
    "cmp -s $tmp/mk.res.json $tmp/mk.full.json"

# A group that comes back after other groups' rows: rank 0 names the line, once; every
# rank exits 2, within seconds.
"$PY" -c "
rows = open('$G').read().splitlines()
body = rows[1:]
body.insert(600, body.pop(3))
open('$tmp/late.csv', 'w').write('\n'.join([rows[0]] + body) + '\n')"
for s in "" --stream; do
    start=$(date +%s)
    run 3 fit glmm "$tmp/late.csv" --target y --group group $s >"$tmp/out" 2>"$tmp/err"
    rc=$?
    end=$(date +%s)
    check "late row $s: exit 2 (rc $rc)" "[ $rc -eq 2 ]"
    check "late row $s: the line, once" \
        "[ \$(grep -c \"late.csv:602: group '1' comes back after other groups' rows (its earlier rows end at line 15)\" $tmp/err) -eq 1 ]"
    check "late row $s: within seconds" "[ $((end - start)) -lt 20 ]"
    check "late row $s: nothing printed" "[ ! -s $tmp/out ]"
done

# A response outside {0, 1} in rank 1's share: its file and data row, once.
sed '602s/,[01]$/,2/' "$G" >"$tmp/badresp.csv"
for s in "" --stream; do
    run 2 fit glmm "$tmp/badresp.csv" --target y --group group $s >"$tmp/out" 2>"$tmp/err"
    rc=$?
    check "response 2 $s: exit 2 (rc $rc)" "[ $rc -eq 2 ]"
    check "response 2 $s: file and row, once" \
        "[ \$(grep -c 'badresp.csv: row 601: response 2 (binomial: 0 or 1)' $tmp/err) -eq 1 ]"
done

finish
