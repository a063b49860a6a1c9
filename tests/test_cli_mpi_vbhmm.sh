#!/bin/sh
# Distributed variational Bayesian HMM fits: `mpirun -np P vem fit vbhmm ... --mpi` against
# one process (the same seed: restarts are initialised on rank 0, the priors resolved from
# every rank's frames). Usage: sh test_cli_mpi_vbhmm.sh VEM REPO_ROOT
# With a vem built without MPI (or no mpirun), checks that --mpi is refused clearly.
NAME=cli_mpi_vbhmm
. "$(dirname "$0")/harness_mpi.sh"
W=$ROOT/examples/data/seattle-weather.csv

if ! have_mpi; then
    "$VEM" fit vbhmm "$W" --columns weather --states 3 --emission categorical --mpi \
        >"$tmp/out" 2>"$tmp/err"
    rc=$?
    check "--mpi refused without MPI (rc $rc)" "[ $rc -eq 1 ] && grep -q 'built without MPI' $tmp/err"
    finish " (vem built without MPI: distributed runs not tested)"
fi

mpi_setup

# Seattle's days with a month column: 48 sequences.
"$PY" - "$W" "$tmp" <<'PYEOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
with open(sys.argv[2] + '/wm.csv', 'w') as f:
    f.write('month,weather,temp_max,temp_min\n')
    for r in rows:
        f.write('%s,%s,%s,%s\n' % (r['date'][:7], r['weather'], r['temp_max'], r['temp_min']))
PYEOF
WM=$tmp/wm.csv

for case in "gauss|--columns temp_max,temp_min --states 3 --emission gaussian|elbo means scale_posterior transmat_posterior means_prior" \
    "sph|--columns temp_max,temp_min --states 3 --emission gaussian --covariance spherical|elbo means scale_posterior dof_posterior" \
    "tied|--columns temp_max,temp_min --states 3 --emission gaussian --covariance tied|elbo means scale_posterior beta_posterior" \
    "cat|--columns weather --states 4 --emission categorical|elbo emissionprob_posterior transmat_posterior"; do
    name=${case%%|*}
    rest=${case#*|}
    args=${rest%%|*}
    keys=${rest#*|}
    # shellcheck disable=SC2086
    "$VEM" fit vbhmm "$WM" $args --sequence-column month --tol 0 --max-iter 40 --json \
        >"$tmp/$name.1.json" 2>/dev/null
    for np in 2 3; do
        # shellcheck disable=SC2086
        run $np fit vbhmm "$WM" $args --sequence-column month --tol 0 --max-iter 40 --json \
            >"$tmp/$name.$np.json" 2>"$tmp/err"
        rc=$?
        check "$name np=$np exit ($rc)" "[ $rc -eq 0 ]"
        check "$name np=$np processes" "[ \"\$(key $tmp/$name.$np.json \"['processes']\")\" = $np ]"
        check "$name np=$np sequences" "[ \"\$(key $tmp/$name.$np.json \"['n_sequences']\")\" = 48 ]"
        for k in $keys; do
            check "$name np=$np $k" "rel_close $tmp/$name.$np.json $tmp/$name.1.json $k 1e-10"
        done
        check "$name np=$np monotone" \
            "[ \"\$(key $tmp/$name.$np.json \"['monotonicity_violations']\")\" = 0 ]"
    done
done

# Stepwise (stochastic VI over minibatches of sequences) and moves run distributed.
run 2 fit vbhmm "$WM" --columns temp_max,temp_min --sequence-column month --states 3 \
    --emission gaussian --algorithm stepwise --batch-size 8 --max-iter 5 --json \
    >"$tmp/svi.json" 2>"$tmp/err"
check "stepwise np=2 (rc $?)" "[ -s $tmp/svi.json ]"
"$VEM" fit vbhmm "$WM" --columns weather --sequence-column month --states 6 \
    --emission categorical --moves --json >"$tmp/mv.1.json" 2>/dev/null
run 2 fit vbhmm "$WM" --columns weather --sequence-column month --states 6 \
    --emission categorical --moves --json >"$tmp/mv.2.json" 2>"$tmp/err"
check "moves np=2 (rc $?)" "[ -s $tmp/mv.2.json ]"
check "moves np=2: the one-process moves" \
    "[ \"\$(key $tmp/mv.2.json \"['moves_accepted']\")\" = \"\$(key $tmp/mv.1.json \"['moves_accepted']\")\" ]"
check "moves np=2: the one-process ELBO" "rel_close $tmp/mv.2.json $tmp/mv.1.json elbo 1e-9"

# Buffered subsequences distributed: each process cuts its own sequences. Chunks longer
# than every month are the whole-sequence stepwise fit's bits; short ones give a fit whose
# reported ELBO is the exact one of its posterior (vem score on one process).
run 2 fit vbhmm "$WM" --columns temp_max,temp_min --sequence-column month --states 3 \
    --emission gaussian --algorithm stepwise --batch-size 8 --max-iter 5 \
    --subsequence-length 40 --json >"$tmp/sub40.json" 2>"$tmp/err"
check "subsequences np=2 (rc $?)" "[ -s $tmp/sub40.json ]"
for k in elbo means scale_posterior transmat_posterior; do
    check "subsequences of 40 days np=2: whole months' $k" \
        "rel_close $tmp/sub40.json $tmp/svi.json $k 0"
done
run 2 fit vbhmm "$WM" --columns temp_max,temp_min --sequence-column month --states 3 \
    --emission gaussian --algorithm stepwise --batch-size 2 --max-iter 5 \
    --subsequence-length 7 --buffer 3 -o "$tmp/sub7.model.json" --json \
    >"$tmp/sub7.json" 2>"$tmp/err"
check "subsequences of 7 days np=2 (rc $?)" "[ -s $tmp/sub7.json ]"
"$VEM" score "$tmp/sub7.model.json" "$WM" --columns temp_max,temp_min --sequence-column month \
    --json >"$tmp/sub7.score.json" 2>/dev/null
check "subsequences of 7 days np=2: the exact ELBO" \
    "rel_close $tmp/sub7.json $tmp/sub7.score.json elbo 1e-10"

finish
