#!/bin/sh
# Issue 15's reproducers (docs/reliability.md, "Limits"): memory bombs refused in under
# 1 s with under 50 MB resident (measured with /usr/bin/time), non-finite results exit 3
# naming the row, never printed as numbers; control bytes escaped in messages; a BOM in
# a docword; usage errors exit 1.
NAME=cli_limits
. "$(dirname "$0")/harness.sh"

TIME=/usr/bin/time
[ -x "$TIME" ] || fail "no $TIME: the bomb checks need GNU time (tools/install-deps.sh installs it)"

# bomb WHAT WANT_RC TEXT ARGS...: vem ARGS exits WANT_RC with TEXT in its message, in under
# 1 s of wall-clock time and 50 MB (51200 kB) of maximum resident memory. Under
# AddressSanitizer (tools/test.sh sets VEM_TEST_SANITIZED=1 there) the budget is twice
# that: its shadow memory and quarantine, not vem's, double a 20 MB line's footprint.
RSS_KB=51200
[ -n "${VEM_TEST_SANITIZED:-}" ] && RSS_KB=102400
bomb() {
    what=$1
    want=$2
    text=$3
    shift 3
    if [ -x "$TIME" ]; then
        "$TIME" -f '%e %M' -o timing "$VEM" "$@" >out 2>err
        rc=$?
    else
        run "$@"
        echo "0 0" >timing
    fi
    expect_rc "$what" "$want"
    expect_err "$what" "$text"
    # The last line: time writes "Command exited with non-zero status N" before it.
    secs=$(tail -n 1 timing | cut -d ' ' -f 1)
    kb=$(tail -n 1 timing | cut -d ' ' -f 2)
    if awk -v s="$secs" -v k="$kb" -v lim="$RSS_KB" 'BEGIN { exit !(s < 1.0 && k < lim) }'; then
        pass
    else
        fail "$what: $secs s and $kb kB resident, want < 1 s and < $RSS_KB kB"
    fi
    echo "$what: $secs s, $kb kB"
}

# ---- models and data to change ----
run fit lda "$ROOT/tests/data/lda_ok.docword.txt" -k 2 -o lda.json
expect_rc "fit lda" 0
run fit hmm "$DATA/faithful.csv" -k 2 --emission gaussian -o hmm.json
expect_rc "fit hmm" 0
run fit blr "$DATA/diabetes.csv" --target target -o blr.json
expect_rc "fit blr" 0
run fit gmm "$DATA/faithful.csv" -k 2 -o gmm.json
expect_rc "fit gmm" 0
run fit vbgmm "$DATA/faithful.csv" -k 2 -o vb.json
expect_rc "fit vbgmm" 0

# ---- memory bombs ----
# An LDA model declaring 30,000 x 30,000 beside a .npy whose header says so (no data).
sed -e 's/"n_topics": 2/"n_topics": 30000/' -e 's/"n_words": 5/"n_words": 30000/' \
    -e 's/"lambda_file": "[^"]*"/"lambda_file": "bomb.lambda.npy"/' lda.json >ldabomb.json
hdr="{'descr': '<f8', 'fortran_order': False, 'shape': (30000, 30000), }"
pad=$((117 - ${#hdr}))
{
    printf '\223NUMPY\001\000\166\000%s' "$hdr"
    printf "%${pad}s\n" ''
} >bomb.lambda.npy
check "the LDA bomb declares 30000 topics" grep -q '"n_topics": 30000' ldabomb.json
bomb "info on an LDA model of 30000 x 30000" 2 "n_topics x n_words = 9e+08 doubles (7.2 GB) exceeds the file's" info ldabomb.json

# An HMM model with 30,000 states.
sed 's/"n_states": 2/"n_states": 30000/' hmm.json >hmmbomb.json
check "the HMM bomb declares 30000 states" grep -q '"n_states": 30000' hmmbomb.json
bomb "info on an HMM of 30000 states" 2 "exceeds the file's" info hmmbomb.json
bomb "score with an HMM of 30000 states" 2 "exceeds the file's" score hmmbomb.json "$DATA/faithful.csv"

# A VB GMM of a million components, a BLR of 16,000 features.
sed 's/"n_components": 2/"n_components": 1000000/' vb.json >vbbomb.json
check "the VB bomb declares 1e6 components" grep -q '"n_components": 1000000' vbbomb.json
bomb "info on a VB GMM of 1e6 components" 2 "exceeds the file's" info vbbomb.json
if [ -n "$PY" ]; then
    "$PY" -c 'import json; m = json.load(open("blr.json")); m["n_features"] = 16000; del m["columns"]
json.dump(m, open("blrbomb.json", "w"))'
    bomb "info on a BLR of 16000 features" 2 "n_features x n_features = 2.56e+08 doubles" info blrbomb.json
fi

# A 17-byte docword header declaring 3e8 documents.
printf '300000000\n5\n1\n' >docbomb.txt
bomb "fit lda on a docword declaring 3e8 documents" 2 "D = 3e+08 documents" fit lda docbomb.txt -k 2

# 2 rows x 20,000 columns: under a 4 GB limit (the default, half the physical memory,
# depends on the machine), and 2 x 100,000 columns under the default limit.
wide() {
    awk -v n="$1" 'BEGIN { for (r = 0; r < 3; r++) { s = r ? 2.385 * r : "c1";
        for (j = 2; j <= n; j++) s = s "," (r ? (j % 7) * 0.5 + r : "c" j); print s } }'
}
wide 20000 >wide.csv
wide 100000 >wider.csv
VEM_MEMORY_LIMIT=4G
export VEM_MEMORY_LIMIT
bomb "fit blr on 2 x 20000 (4 GB limit)" 2 "more than the memory limit of 4 GB" fit blr wide.csv --target c1
bomb "fit gmm -k 1 on 2 x 20000 (4 GB limit)" 2 "more than the memory limit of 4 GB" fit gmm wide.csv -k 1
unset VEM_MEMORY_LIMIT
bomb "fit blr on 2 x 100000" 2 "more than the memory limit" fit blr wider.csv --target c1
bomb "fit gmm -k 1 on 2 x 100000" 2 "more than the memory limit" fit gmm wider.csv -k 1
bomb "fit vbgmm -k 1 on 2 x 100000" 2 "more than the memory limit" fit vbgmm wider.csv -k 1
bomb "fit hmm with 100000 states" 2 "a hidden Markov model of 100000 states" fit hmm "$DATA/faithful.csv" -k 100000 --emission gaussian
printf '1\n4000000000\n1\n1 1 1\n' >wbomb.txt
bomb "fit lda on a docword declaring W = 4e9" 2 "LDA with 100 topics over 4000000000 words" fit lda wbomb.txt -k 100
VEM_MEMORY_LIMIT=lots run info gmm.json
expect_rc "a bad VEM_MEMORY_LIMIT is a usage error" 1
expect_err "a bad VEM_MEMORY_LIMIT" "VEM_MEMORY_LIMIT"

# A 20 MB CSV of 2 lines with 5 million columns.
yes 0 | head -n 5000000 | paste -s -d , - >line.csv
cat line.csv line.csv >cols.csv
check "the wide CSV is 20 MB" test "$(wc -c <cols.csv)" -eq 20000000
bomb "fit gmm on a CSV of 5e6 columns" 2 "cols.csv:1: 5000000 columns, more than the limit of 4194304" fit gmm cols.csv -k 1

# ---- non-finite results: exit 3 naming the row, nothing printed ----
printf 'eruptions,waiting\n3.6,79\n1e308,-1e308\n' >big.csv
for cmd in score predict "predict --proba" "score --json"; do
    # shellcheck disable=SC2086
    run $cmd gmm.json big.csv
    expect_rc "gmm: $cmd on +-1e308" 3
    expect_err "gmm: $cmd on +-1e308" "data row 2"
    expect_quiet_stdout "gmm: $cmd on +-1e308"
    # shellcheck disable=SC2086
    run $cmd vb.json big.csv
    expect_rc "vbgmm: $cmd on +-1e308" 3
    expect_err "vbgmm: $cmd on +-1e308" "data row 2"
    expect_quiet_stdout "vbgmm: $cmd on +-1e308"
done
run score hmm.json big.csv
expect_rc "hmm: score on +-1e308" 3
expect_err "hmm: score on +-1e308" "sequence 1"
expect_quiet_stdout "hmm: score on +-1e308"
{
    head -n 2 "$DATA/diabetes.csv"
    echo "1e308,1e308,1e308,1e308,1e308,-1e308,-1e308,-1e308,-1e308,-1e308,1"
} >bigblr.csv
for cmd in predict score; do
    run $cmd blr.json bigblr.csv
    expect_rc "blr: $cmd on +-1e308" 3
    expect_err "blr: $cmd on +-1e308" "data row 2"
    expect_quiet_stdout "blr: $cmd on +-1e308"
done
printf '3\n5\n0\n' >empty.docword
run fit lda empty.docword -k 2 -o empty.json
expect_rc "fit lda on documents without words" 2
expect_err "fit lda on documents without words" "empty.docword: no words: all 3 documents are empty"
check "fit lda on documents without words writes no model" test ! -e empty.json
run score lda.json empty.docword
expect_rc "score of documents without words" 2
expect_err "score of documents without words" "empty.docword: no words: all 3 documents are empty"
expect_quiet_stdout "score of documents without words"

# The BLR loader: sigma not positive definite, coef of the wrong length, noise_precision <= 0.
if [ -n "$PY" ]; then
    "$PY" - <<'EOF'
import json
m = json.load(open("blr.json"))
def put(name, change):
    a = json.loads(json.dumps(m))
    change(a)
    json.dump(a, open(name, "w"))
def npd(a):
    v = 3 * (a["sigma"][0][0] * a["sigma"][1][1]) ** 0.5
    a["sigma"][0][1] = a["sigma"][1][0] = v
put("blr_npd.json", npd)
put("blr_coef.json", lambda a: a.update(coef=a["coef"][:-1]))
put("blr_noise.json", lambda a: a.update(noise_precision=-2.0))
EOF
    for f in blr_npd:"not positive definite" blr_coef:"key 'coef'" blr_noise:"key 'noise_precision'"; do
        run predict "${f%%:*}.json" "$DATA/diabetes.csv"
        expect_rc "blr loader: ${f%%:*}" 2
        expect_err "blr loader: ${f%%:*}" "${f#*:}"
        expect_quiet_stdout "blr loader: ${f%%:*}"
    done
fi

# ---- messages ----
# Control bytes of the input and of arguments are escaped, never echoed.
printf 'a,b\n1,\033[31mred\n' >esc.csv
run fit gmm esc.csv -k 1
expect_rc "a cell with an escape sequence" 2
expect_err "a cell with an escape sequence" "'\\x1b[31mred'"
check "no escape byte on stderr" test "$(tr -d -c '\033' <err | wc -c)" -eq 0
run fit gmm "$DATA/faithful.csv" -k "$(printf '\033[2J\007')"
expect_rc "an option value with control bytes" 1
check "no control byte on stderr" test "$(tr -d -c '\033\007' <err | wc -c)" -eq 0
expect_err "an option value with control bytes" "\\x1b[2J\\x07"

# A categorical code beyond the model's symbols: FILE:LINE:COL.
printf 'sym\na\nb\na\nb\na\nc\n' >sym.csv
run fit hmm sym.csv -k 2 --emission categorical -o cat.json
expect_rc "fit hmm categorical" 0
printf 'sym\n0\n1\n7\n' >codes.csv
for cmd in decode score; do
    run $cmd cat.json codes.csv
    expect_rc "$cmd: a code beyond the symbols" 2
    expect_err "$cmd: a code beyond the symbols" "codes.csv:4: symbol code 7 is not an integer in [0, 3)"
done

# A UTF-8 byte-order mark is accepted in a docword as in a CSV.
printf '\357\273\277' >bom.docword
cat "$ROOT/tests/data/lda_ok.docword.txt" >>bom.docword
run fit lda bom.docword -k 2 --seed 3
expect_rc "fit lda on a docword with a BOM" 0
cp out bom.out
run fit lda "$ROOT/tests/data/lda_ok.docword.txt" -k 2 --seed 3
check "the BOM changes nothing" cmp -s out bom.out

# Out-of-range option values are usage errors (exit 1), --max-df 2 as --max-df 0.
for v in 0 2 -1; do
    run corpus "$ROOT/tests/data/lda_texts" -o c --max-df "$v"
    expect_rc "corpus --max-df $v" 1
    expect_err "corpus --max-df $v" "--max-df"
done

finish
