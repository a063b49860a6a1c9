#!/bin/sh
# vem fit blogr / predict / score / info (docs/blogr.md) end to end on two penguin species:
# the full-rank fit's q against the exact posterior (tests/golden/blogr_penguins_ref.txt;
# one seed, so a looser bound than tests/test_blogr.c's), probabilities in (0, 1), the
# same bits for 1 and 2 threads, and errors.
NAME=cli_blogr
. "$(dirname "$0")/harness.sh"
P=$ROOT/tests/data/blogr_penguins.csv
REF=$ROOT/tests/golden/blogr_penguins_ref.txt

run fit blogr "$P" --target chinstrap --full-rank --samples 4 --epochs 1600 --lr 0.02 -o m.json
expect_rc "fit blogr" 0
expect_out "fit blogr" "full-rank q"
run fit blogr "$P" --target chinstrap --full-rank --samples 4 --epochs 1600 --lr 0.02 \
    --threads 2 -o m2.json
expect_rc "fit blogr --threads 2" 0
if "$PY" - m.json m2.json "$REF" <<'PYEOF'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
assert a["params"] == b["params"], "1 and 2 threads differ"
ref = {}
for line in open(sys.argv[3]):
    if not line.startswith("#"):
        k, *v = line.split()
        ref[k] = [float(t) for t in v]
p = 4
for i in range(p):
    sd = ref["cov"][i * p + i] ** 0.5
    assert abs(a["q_mean"][i] - ref["mean"][i]) < 0.02 * sd, (i, a["q_mean"][i], ref["mean"][i])
num = sum((a["q_cov"][i][j] - ref["cov"][i * p + j]) ** 2 for i in range(p) for j in range(p))
den = sum(ref["cov"][k] ** 2 for k in range(p * p))
assert (num / den) ** 0.5 < 0.10, (num / den) ** 0.5
PYEOF
then pass; else fail "fit blogr: q against the reference, or thread bits"; fi

run predict m.json "$P"
expect_rc "predict blogr" 0
if "$PY" -c '
import sys
v = [float(l) for l in open("out").read().split()[1:]]
assert len(v) == 219 and all(0 < p < 1 for p in v)' ; then pass; else fail "predict: probabilities"; fi
run score m.json "$P"
expect_rc "score blogr" 0
expect_out "score blogr" "log predictive probability"
run info m.json
expect_rc "info blogr" 0
expect_out "info blogr" "flipper_length_mm"

run fit blogr "$P" --target nope
expect_rc "fit blogr: unknown target" 2
expect_err "fit blogr: unknown target" "no column 'nope'"
run fit blogr "$P" --target flipper_length_mm --epochs 4
expect_rc "fit blogr: labels not 0/1" 2
expect_err "fit blogr: labels not 0/1" "labels are 0 or 1"
run fit blogr "$P" --target chinstrap --full-rank --mean-field
expect_rc "fit blogr: two families" 1
run fit blogr "$P" --target chinstrap --algorithm batch
expect_rc "fit blogr: --algorithm" 1
finish
