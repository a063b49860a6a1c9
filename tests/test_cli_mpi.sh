#!/bin/sh
# Distributed fits: `mpirun -np P vem fit ... --mpi` against one process.
# Usage: sh test_cli_mpi.sh VEM REPO_ROOT
# With a vem built without MPI (or no mpirun), checks that --mpi is refused clearly.
NAME=cli_mpi
. "$(dirname "$0")/harness_mpi.sh"
F=$ROOT/examples/data/faithful.csv
P=$ROOT/examples/data/penguins.csv
PCOLS=beak_length_mm,beak_depth_mm,flipper_length_mm,body_mass_g

if ! have_mpi; then
    "$VEM" fit gmm "$F" -k 2 --mpi >"$tmp/out" 2>"$tmp/err"
    rc=$?
    check "--mpi refused without MPI (rc $rc)" "[ $rc -eq 1 ] && grep -q 'built without MPI' $tmp/err"
    finish " (vem built without MPI: distributed runs not tested)"
fi

mpi_setup


# Same model as one process from the same --init-model, to 1e-10, for 2 and 3 ranks,
# CSV split by byte ranges and raw float64 by row offsets.
for case in "faithful_k2_full $F" "penguins_k3_diag $P --columns $PCOLS"; do
    set -- $case
    init=$ROOT/tests/golden/$1.init.json
    shift
    "$VEM" fit gmm "$@" --init-model "$init" --tol 1e-10 --json >"$tmp/one.json"
    for np in 2 3; do
        run $np fit gmm "$@" --init-model "$init" --tol 1e-10 --json >"$tmp/p$np.json" 2>"$tmp/err"
        check "$init np=$np exit" "[ \$? -eq 0 ]"
        check "$init np=$np one JSON object" "[ \$(wc -l <$tmp/p$np.json) -eq 1 ]"
        check "$init np=$np processes" "[ \"\$(key $tmp/p$np.json \"['processes']\")\" = $np ]"
        for k in log_likelihood means covariances weights; do
            check "$init np=$np $k" "rel_close $tmp/p$np.json $tmp/one.json $k 1e-10"
        done
        check "$init np=$np iterations" \
            "[ \"\$(key $tmp/p$np.json \"['n_iter']\")\" = \"\$(key $tmp/one.json \"['n_iter']\")\" ]"
    done
done
"$PY" -c "
import csv, struct
rows = list(csv.reader(open('$F')))[1:]
open('$tmp/f.f64', 'wb').write(b''.join(struct.pack('<dd', float(a), float(b)) for a, b in rows))"
"$VEM" fit gmm "$tmp/f.f64" --binary-cols 2 --init-model "$ROOT/tests/golden/faithful_k2_full.init.json" \
    --tol 1e-10 --json >"$tmp/bone.json"
run 3 fit gmm "$tmp/f.f64" --binary-cols 2 --init-model "$ROOT/tests/golden/faithful_k2_full.init.json" \
    --tol 1e-10 --json >"$tmp/bp3.json" 2>"$tmp/err"
check "binary np=3 log_likelihood" "rel_close $tmp/bp3.json $tmp/bone.json log_likelihood 1e-10"

# Default initialisation (k-means on a sample gathered on rank 0): the same optimum.
"$VEM" fit gmm "$F" -k 2 --tol 1e-9 --json >"$tmp/d1.json"
run 2 fit gmm "$F" -k 2 --tol 1e-9 --json -o "$tmp/m.json" >"$tmp/d2.json" 2>"$tmp/err"
check "default init np=2 optimum" "rel_close $tmp/d2.json $tmp/d1.json log_likelihood 1e-9"
check "rank 0 wrote the model" "\"$VEM\" score $tmp/m.json $F >/dev/null"

# mclust's 14 structures under MPI (the iterative M-steps see only the summed ESS):
# each model on 2 ranks is one process's fit from the same default start (hc on the
# one-process sample).
for cov in EII VII EEI VEI EVI VVI EEE VEE EVE VVE EEV VEV EVV VVV; do
    "$VEM" fit gmm "$P" --columns $PCOLS -k 3 --covariance $cov --tol 1e-9 --json >"$tmp/c1.json"
    run 2 fit gmm "$P" --columns $PCOLS -k 3 --covariance $cov --tol 1e-9 --json \
        >"$tmp/c2.json" 2>"$tmp/err"
    check "$cov np=2 exit" "[ \$? -eq 0 ]"
    check "$cov np=2 log_likelihood" "rel_close $tmp/c2.json $tmp/c1.json log_likelihood 1e-12"
    # The iterative M-steps' inner rule (1e-10 relative) lets the processes' other
    # summation order move the parameters a little more: EVE's covariances 4.2e-9.
    for k in means covariances weights; do
        check "$cov np=2 $k" "rel_close $tmp/c2.json $tmp/c1.json $k 1e-8"
    done
    check "$cov np=2 iterations" \
        "[ \"\$(key $tmp/c2.json \"['n_iter']\")\" = \"\$(key $tmp/c1.json \"['n_iter']\")\" ]"
done

# Online algorithms under MPI.
run 2 fit gmm "$F" -k 2 --algorithm incremental --blocks 5 --tol 1e-10 --max-iter 500 --json \
    >"$tmp/inc.json" 2>"$tmp/err"
check "incremental np=2 optimum" "rel_close $tmp/inc.json $tmp/d1.json log_likelihood 1e-6"
check "incremental np=2 monotone" "[ \"\$(key $tmp/inc.json \"['monotonicity_violations']\")\" = 0 ]"
run 3 fit gmm "$F" -k 2 --algorithm stepwise --batch-size 30 --passes 4 --tol 0 --json \
    >"$tmp/sw.json" 2>"$tmp/err"
check "stepwise np=3 near optimum" \
    "[ \"\$(\"$PY\" -c \"import json; a=json.load(open('$tmp/sw.json')); b=json.load(open('$tmp/d1.json')); print(abs(a['mean_log_likelihood']-b['mean_log_likelihood']) < 0.01)\")\" = True ]"
check "stepwise np=3 minibatches" "[ \"\$(key $tmp/sw.json \"['n_steps']\")\" = 40 ]"

# A bad line in the second rank's share: its file:line:col, a non-zero exit, no hang.
"$PY" -c "
lines = open('$F').read().splitlines()
lines[200] = '4.1,abc'
open('$tmp/bad.csv', 'w').write('\n'.join(lines) + '\n')"
start=$(date +%s)
run 2 fit gmm "$tmp/bad.csv" -k 2 >"$tmp/out" 2>"$tmp/err"
rc=$?
end=$(date +%s)
check "bad line: non-zero exit" "[ $rc -ne 0 ] && [ $rc -ne 124 ]"
check "bad line: file:line:col" "grep -q 'bad.csv:201:5: not a number' $tmp/err"
check "bad line: within seconds" "[ $((end - start)) -lt 20 ]"
check "bad line: nothing printed" "[ ! -s $tmp/out ]"

# More ranks than rows: a rank with no rows still takes part (no hang), same answer.
printf 'a,b\n1.5,2.5\n3.25,4.75\n' >"$tmp/two.csv"
"$VEM" fit gmm "$tmp/two.csv" -k 1 --json >"$tmp/two1.json"
for alg in batch incremental; do
    run 3 fit gmm "$tmp/two.csv" -k 1 --algorithm $alg --json >"$tmp/two3.json" 2>"$tmp/err"
    check "empty share ($alg): exit 0" "[ \$? -eq 0 ]"
    check "empty share ($alg): same means" "rel_close $tmp/two3.json $tmp/two1.json means 1e-12"
done

# --stream under --mpi: each rank streams its byte share of the CSV file (or its rows of a
# raw file); the default start is one process's (the same sample), so the same model.
"$VEM" fit gmm "$F" -k 2 --json >"$tmp/s1.json"
for np in 2 3; do
    run $np fit gmm "$F" -k 2 --stream --json >"$tmp/s$np.json" 2>"$tmp/err"
    check "--mpi --stream np=$np: exit 0" "[ \$? -eq 0 ]"
    for k in log_likelihood means n_obs; do
        check "--mpi --stream np=$np $k" "rel_close $tmp/s$np.json $tmp/s1.json $k 1e-10"
    done
done

# IDX images (issue 16): every process reads the file and keeps its rows; the same model
# as one process, from the same start, with --scale.
FM=$ROOT/examples/data/fashion-mnist/t10k-images-idx3-ubyte.gz
"$VEM" fit gmm "$FM" -k 2 --covariance diag --init kmeans --seed 1 --scale 255 --max-iter 2 \
    -o "$tmp/fm_init.json" >/dev/null 2>&1
"$VEM" fit gmm "$FM" --init-model "$tmp/fm_init.json" --scale 255 --tol 1e-10 --json \
    >"$tmp/fm_one.json"
run 2 fit gmm "$FM" --init-model "$tmp/fm_init.json" --scale 255 --tol 1e-10 --json \
    >"$tmp/fm_p2.json" 2>"$tmp/err"
check "IDX np=2 exit" "[ \$? -eq 0 ]"
check "IDX np=2 log_likelihood" "rel_close $tmp/fm_p2.json $tmp/fm_one.json log_likelihood 1e-10"
check "IDX np=2 rows" "[ \"\$(key $tmp/fm_p2.json \"['n_units']\")\" = 200 ]"

# Monte-Carlo EM (docs/mcem.md): each row draws from (key, its place among all ranks'
# rows), so 2 and 3 ranks follow one process's path, to the round-off of the sums'
# order; the automatic schedule's sample sizes are the same integers.
"$VEM" fit gmm "$F" --init-model "$ROOT/tests/golden/faithful_k2_full.init.json" --algorithm mcem \
    --mc-samples 50 --max-iter 8 --tol 0 --json >"$tmp/mc1.json" 2>/dev/null
for np in 2 3; do
    run $np fit gmm "$F" --init-model "$ROOT/tests/golden/faithful_k2_full.init.json" \
        --algorithm mcem --mc-samples 50 --max-iter 8 --tol 0 --json >"$tmp/mc$np.json" 2>"$tmp/err"
    check "mcem np=$np log_likelihood" "rel_close $tmp/mc$np.json $tmp/mc1.json log_likelihood 1e-9"
    check "mcem np=$np means" "rel_close $tmp/mc$np.json $tmp/mc1.json means 1e-9"
    check "mcem np=$np draws per row" \
        "[ \"\$(key $tmp/mc$np.json \"['monte_carlo']['last_samples']\")\" = \"\$(key $tmp/mc1.json \"['monte_carlo']['last_samples']\")\" ]"
done

# L-BFGS (docs/acceleration.md): the gradient from the ESS summed over the ranks, the same
# optimum as one process.
"$VEM" fit gmm "$F" --init-model "$ROOT/tests/golden/faithful_k2_full.init.json" --algorithm lbfgs \
    --tol 1e-12 --json >"$tmp/lb1.json" 2>/dev/null
run 2 fit gmm "$F" --init-model "$ROOT/tests/golden/faithful_k2_full.init.json" --algorithm lbfgs \
    --tol 1e-12 --json >"$tmp/lb2.json" 2>"$tmp/err"
check "lbfgs np=2 log_likelihood" "rel_close $tmp/lb2.json $tmp/lb1.json log_likelihood 1e-10"

finish
