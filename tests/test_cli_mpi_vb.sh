#!/bin/sh
# Distributed variational fits: `mpirun -np P vem fit vbgmm|blr ... --mpi` against one process.
# Usage: sh test_cli_mpi_vb.sh VEM REPO_ROOT
# With a vem built without MPI (or no mpirun), checks that --mpi is refused clearly.
NAME=cli_mpi_vb
. "$(dirname "$0")/harness_mpi.sh"
F=$ROOT/examples/data/faithful.csv
D=$ROOT/examples/data/diabetes.csv

if ! have_mpi; then
    for m in "vbgmm $F -k 2" "blr $D --target target"; do
        "$VEM" fit $m --mpi >"$tmp/out" 2>"$tmp/err"
        rc=$?
        check "fit $m --mpi refused without MPI (rc $rc)" \
            "[ $rc -eq 1 ] && grep -q 'built without MPI' $tmp/err"
    done
    finish " (vem built without MPI: distributed runs not tested)"
fi

mpi_setup


# vbgmm from the same --init-model (a one-process fit stopped early): the same
# posterior and ELBO as one process to 1e-10, for 2 and 3 ranks, full and diag.
for cov in full diag; do
    "$VEM" fit vbgmm "$F" -k 3 --covariance $cov --max-iter 3 -o "$tmp/init_$cov.json" \
        >/dev/null 2>&1
    "$VEM" fit vbgmm "$F" --init-model "$tmp/init_$cov.json" --tol 1e-10 --max-iter 1000 --json \
        >"$tmp/one.json"
    check "vbgmm $cov one process from --init-model" "[ \$? -eq 0 ]"
    for np in 2 3; do
        run $np fit vbgmm "$F" --init-model "$tmp/init_$cov.json" --tol 1e-10 --max-iter 1000 \
            --json >"$tmp/p$np.json" 2>"$tmp/err"
        check "vbgmm $cov np=$np exit" "[ \$? -eq 0 ]"
        check "vbgmm $cov np=$np one JSON object" "[ \$(wc -l <$tmp/p$np.json) -eq 1 ]"
        check "vbgmm $cov np=$np processes" "[ \"\$(key $tmp/p$np.json \"['processes']\")\" = $np ]"
        for k in elbo weights means covariances counts; do
            check "vbgmm $cov np=$np $k" "rel_close $tmp/p$np.json $tmp/one.json $k 1e-10"
        done
        check "vbgmm $cov np=$np iterations" \
            "[ \"\$(key $tmp/p$np.json \"['n_iter']\")\" = \"\$(key $tmp/one.json \"['n_iter']\")\" ]"
    done
done

# Default initialisation (k-means on a sample gathered on rank 0) with the default,
# data-dependent priors (data mean and covariance from all-reduced sums).
# K = 1 is deterministic: the exact Normal-Wishart evidence under MPI too.
run 3 fit vbgmm "$F" -k 1 --reg-covar 0 --json >"$tmp/k1.json" 2>"$tmp/err"
check "vbgmm K=1 np=3 exit" "[ \$? -eq 0 ]"
check "vbgmm K=1 np=3 exact evidence" "\"$PY\" -c \"
import json, sys
e = json.load(open('$tmp/k1.json'))['elbo']
sys.exit(0 if abs(e - -1303.8975177948587) <= 1e-10 * 1303.9 else 1)\""
"$VEM" fit vbgmm "$F" -k 1 --reg-covar 0 --json >"$tmp/k1one.json"
check "vbgmm K=1 np=3 data mean and covariance priors as one process" "\"$PY\" -c \"
import json, sys
a, b = (dict((k, v) for k, v in json.load(open(f)).items() if k.endswith('_prior')) for f in ('$tmp/k1.json', '$tmp/k1one.json'))
flat = lambda v: sum(map(flat, v), []) if isinstance(v, list) else [v]
sys.exit(0 if all(abs(x - y) <= 1e-12 * abs(y) for key in ('mean_prior', 'covariance_prior')
                  for x, y in zip(flat(a[key]), flat(b[key]))) else 1)\""
"$VEM" fit vbgmm "$F" -k 2 --tol 1e-9 --max-iter 500 --json >"$tmp/d1.json"
run 2 fit vbgmm "$F" -k 2 --tol 1e-9 --max-iter 500 --json -o "$tmp/m.json" \
    >"$tmp/d2.json" 2>"$tmp/err"
check "vbgmm default init np=2 exit" "[ \$? -eq 0 ]"
check "vbgmm default init np=2 same ELBO" "rel_close $tmp/d2.json $tmp/d1.json elbo 1e-9"
check "vbgmm default init np=2 same weights" "rel_close $tmp/d2.json $tmp/d1.json weights 1e-6"
check "rank 0 wrote the model" "\"$VEM\" score $tmp/m.json $F >/dev/null"
check "vbgmm np=2 common JSON fields (all rows, processes, all-reduce stats)" "\"$PY\" -c \"
import json, sys
d = json.load(open('$tmp/d2.json'))
sys.exit(0 if d['objective_name'] == 'elbo' and d['n_obs'] == 272 and d['n_units'] == 272
         and d['processes'] == 2 and d['mpi']['allreduce_calls'] > 0 else 1)\""
run 2 fit vbgmm "$F" -k 2 --max-iter 5 >"$tmp/text.out" 2>"$tmp/err"
check "vbgmm np=2 text: processes line" "grep -q '^processes: 2$' $tmp/text.out"
check "vbgmm np=2 text: ELBO per row" "grep -q '^ELBO: .* per row (nats)$' $tmp/text.out"
run 3 fit vbgmm "$F" -k 10 --weight-prior dp --n-init 3 --seed 2 --tol 1e-8 --max-iter 1000 --json \
    >"$tmp/dp.json" 2>"$tmp/err"
check "vbgmm dp restarts np=3 two clusters" \
    "[ \"\$(key $tmp/dp.json \"['effective_components']\")\" = 2 ]"

# Online algorithms under MPI.
run 2 fit vbgmm "$F" -k 2 --algorithm incremental --blocks 5 --tol 1e-10 --max-iter 500 --json \
    >"$tmp/inc.json" 2>"$tmp/err"
check "vbgmm incremental np=2 exit" "[ \$? -eq 0 ]"
check "vbgmm incremental np=2 optimum" "rel_close $tmp/inc.json $tmp/d1.json elbo 1e-6"
check "vbgmm incremental np=2 monotone" \
    "[ \"\$(key $tmp/inc.json \"['monotonicity_violations']\")\" = 0 ]"
run 3 fit vbgmm "$F" -k 2 --algorithm stepwise --batch-size 30 --passes 4 --tol 0 --json \
    >"$tmp/sw.json" 2>"$tmp/err"
check "vbgmm stepwise np=3 exit" "[ \$? -eq 0 ]"
check "vbgmm stepwise np=3 near optimum" \
    "[ \"\$(\"$PY\" -c \"import json; a=json.load(open('$tmp/sw.json')); b=json.load(open('$tmp/d1.json')); print(abs(a['mean_elbo']-b['mean_elbo']) < 0.05)\")\" = True ]"
check "vbgmm stepwise np=3 minibatches (10 per pass)" \
    "[ \"\$(key $tmp/sw.json \"['n_steps']\")\" = 40 ]"

# Bayesian linear regression: global standardisation and centring, the same fit to 1e-10.
for opts in "" "--standardize --intercept" "--intercept --ard"; do
    "$VEM" fit blr "$D" --target target $opts --json >"$tmp/b1.json" 2>/dev/null
    for np in 2 3; do
        run $np fit blr "$D" --target target $opts --json >"$tmp/b$np.json" 2>"$tmp/err"
        check "blr '$opts' np=$np exit" "[ \$? -eq 0 ]"
        for k in elbo coef intercept noise_precision weight_precision coef_covariance; do
            check "blr '$opts' np=$np $k" "rel_close $tmp/b$np.json $tmp/b1.json $k 1e-10"
        done
        check "blr '$opts' np=$np rows" "[ \"\$(key $tmp/b$np.json \"['n']\")\" = 442 ]"
        check "blr '$opts' np=$np n_obs" "[ \"\$(key $tmp/b$np.json \"['n_obs']\")\" = 442 ]"
        check "blr '$opts' np=$np processes" \
            "[ \"\$(key $tmp/b$np.json \"['processes']\")\" = $np ]"
    done
done
# blr from the same --init-model: 2 ranks as one process.
"$VEM" fit blr "$D" --target target --intercept --standardize --max-iter 3 -o "$tmp/blr3.json" \
    >/dev/null 2>&1
"$VEM" fit blr "$D" --target target --init-model "$tmp/blr3.json" --json >"$tmp/bw1.json" 2>/dev/null
run 2 fit blr "$D" --target target --init-model "$tmp/blr3.json" --json >"$tmp/bw2.json" 2>"$tmp/err"
check "blr --init-model np=2 exit" "[ \$? -eq 0 ]"
for k in elbo coef noise_precision; do
    check "blr --init-model np=2 $k" "rel_close $tmp/bw2.json $tmp/bw1.json $k 1e-10"
done
run 2 fit blr "$D" --target target --algorithm stepwise >"$tmp/out" 2>"$tmp/err"
check "blr stepwise refused" "[ \$? -eq 1 ] && grep -q \"'--algorithm' does not apply\" $tmp/err"

# A bad line in the second rank's share: its file:line:col, a non-zero exit, no hang.
"$PY" -c "
lines = open('$F').read().splitlines()
lines[200] = '4.1,abc'
open('$tmp/bad.csv', 'w').write('\n'.join(lines) + '\n')
lines = open('$D').read().splitlines()
lines[400] = lines[400].replace(',', ',x', 1)
open('$tmp/badd.csv', 'w').write('\n'.join(lines) + '\n')"
for m in "vbgmm $tmp/bad.csv -k 2" "blr $tmp/badd.csv --target target"; do
    start=$(date +%s)
    run 2 fit $m >"$tmp/out" 2>"$tmp/err"
    rc=$?
    end=$(date +%s)
    check "bad line ($m): non-zero exit" "[ $rc -ne 0 ] && [ $rc -ne 124 ]"
    check "bad line ($m): within seconds" "[ $((end - start)) -lt 20 ]"
    check "bad line ($m): nothing printed" "[ ! -s $tmp/out ]"
done
run 2 fit vbgmm "$tmp/bad.csv" -k 2 >"$tmp/out" 2>"$tmp/err"
check "bad line vbgmm: file:line:col" "grep -q 'bad.csv:201:5: not a number' $tmp/err"
run 2 fit blr "$tmp/badd.csv" --target target >"$tmp/out" 2>"$tmp/err"
check "bad line blr: file:line" "grep -q 'badd.csv:401:[0-9]*: not a number' $tmp/err"

# --stream under --mpi: each rank streams its share; the priors from every rank's rows,
# the start one process's: the same posterior as one process.
"$VEM" fit vbgmm "$F" -k 5 --json >"$tmp/s1.json"
run 3 fit vbgmm "$F" -k 5 --stream --json >"$tmp/s3.json" 2>"$tmp/err"
check "vbgmm --mpi --stream: exit 0" "[ \$? -eq 0 ]"
check "vbgmm --mpi --stream: same ELBO" "rel_close $tmp/s3.json $tmp/s1.json objective 1e-10"
check "vbgmm --mpi --stream: all rows" "rel_close $tmp/s3.json $tmp/s1.json n_obs 0"

finish
