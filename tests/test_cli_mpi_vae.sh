#!/bin/sh
# Distributed VAE fits: `mpirun -np 2 vem fit vae ... --mpi` against one process.
# Usage: sh test_cli_mpi_vae.sh VEM REPO_ROOT
# With a vem built without MPI (or no mpirun), checks that --mpi is refused clearly.
NAME=cli_mpi_vae
. "$(dirname "$0")/harness_mpi.sh"

# gen N SEED: N rows of 16 zeros and ones from two prototypes (awk, a fixed LCG).
gen() {
    awk -v n="$1" -v s="$2" 'function u() { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648 }
    BEGIN { for (i = 0; i < n; i++) { c = u() < 0.4; line = "";
        for (j = 0; j < 16; j++) { p = ((j + c) % 2) ? 0.85 : 0.12; line = line (j ? "," : "") (u() < p ? 1 : 0) }
        print line } }'
}
gen 600 11 >"$tmp/train.csv"
gen 200 12 >"$tmp/test.csv"
FIT="fit vae $tmp/train.csv --latent 2 --hidden 24 --epochs 10 --batch-size 32 --lr 0.01 --seed 5"

if ! have_mpi; then
    "$VEM" $FIT --mpi >"$tmp/out" 2>"$tmp/err"
    rc=$?
    check "fit vae --mpi refused without MPI (rc $rc)" \
        "[ $rc -eq 1 ] && grep -q 'built without MPI' $tmp/err"
    finish " (vem built without MPI: distributed runs not tested)"
fi

mpi_setup

# One process, and two: the gradients of each minibatch summed over the ranks. The noise
# differs (each rank draws its rows'), so the fits differ; both reach the same test ELBO
# within 0.5 nats per row.
"$VEM" $FIT --validation "$tmp/test.csv" -o "$tmp/one.json" --json >"$tmp/one.out" 2>"$tmp/err"
check "one process (rc $?)" "[ -s $tmp/one.json ]"
run 2 $FIT --validation "$tmp/test.csv" -o "$tmp/two.json" --json >"$tmp/two.out" 2>"$tmp/err"
rc=$?
check "2 ranks (rc $rc)" "[ $rc -eq 0 ] && [ -s $tmp/two.json ]"
[ $rc -eq 0 ] || cat "$tmp/err"
check "2 ranks: one JSON object" "[ \$(wc -l <$tmp/two.out) -eq 1 ]"
check "2 ranks: processes 2, all 600 rows" \
    "[ \"\$(key $tmp/two.out \"['processes']\")\" = 2 ] && [ \"\$(key $tmp/two.out \"['n']\")\" = 600 ]"
"$VEM" score "$tmp/one.json" "$tmp/test.csv" --json >"$tmp/s1.json"
"$VEM" score "$tmp/two.json" "$tmp/test.csv" --json >"$tmp/s2.json"
a=$(key "$tmp/s1.json" "['mean_elbo']") b=$(key "$tmp/s2.json" "['mean_elbo']")
check "test ELBO per row: one process $a, 2 ranks $b (within 0.5 nats)" \
    "$PY -c 'import sys; sys.exit(abs($a - ($b)) > 0.5 or $b < -9)'"
echo "test ELBO per row: one process $a, 2 ranks $b"
finish
