#!/bin/sh
# tests/test_cli.sh — the vem program end to end: outputs, exit statuses, bad input.
#
#     sh tests/test_cli.sh PATH/TO/vem REPO_ROOT
#
# Prints one line per failed check and finally "cli: N passed, M failed";
# exits non-zero if any check failed. JSON is checked with python3 when there
# is one, with grep otherwise.

NAME=cli
. "$(dirname "$0")/harness.sh"
FAITHFUL=$DATA/faithful.csv
PENGUINS=$DATA/penguins.csv

# ---- help, version, usage errors (exit 1) ----

run --help
expect_rc "vem --help" 0
expect_out "vem --help" "usage: vem"
run help fit
expect_rc "vem help fit" 0
for kind in gmm hmm lda vbgmm blr; do
    expect_out "vem help fit lists every kind" "vem fit $kind "
done
expect_out "vem help fit" "--init-model"
cp out help_fit.txt
run fit --help
expect_rc "vem fit --help" 0
check "vem fit --help is vem help fit" cmp -s out help_fit.txt
run help fit gmm
expect_rc "vem help fit gmm" 0
expect_out "vem help fit gmm" "--covariance"
cp out help_fit_gmm.txt
run fit gmm --help
check "vem fit gmm --help is vem help fit gmm" cmp -s out help_fit_gmm.txt
run help predict
cp out help_predict.txt
run predict --help
check "vem predict --help is vem help predict" cmp -s out help_predict.txt
run help fit nosuch
expect_rc "vem help fit nosuch" 1
run --version
expect_rc "vem --version" 0
check "vem --version prints a version" grep -q '^vem [0-9][0-9]*\.[0-9][0-9]*\.[0-9][0-9]*\( (with MPI)\)\{0,1\}$' out
check "vem --version names the BLAS and its kernels" grep -q '^BLAS: ' out

run fit gmm "$FAITHFUL" -k 0
expect_rc "-k 0" 1
expect_err "-k 0" "K must be >= 1"
expect_quiet_stdout "-k 0"
run fit gmm "$FAITHFUL" -k abc
expect_rc "-k abc" 1
expect_err "-k abc" "abc"
run fit gmm "$FAITHFUL" -k 2 --no-such-option
expect_rc "unknown option" 1
expect_err "unknown option" "--no-such-option"
run fit gmm -k 2
expect_rc "missing DATA" 1
expect_err "missing DATA" "DATA"
run fit gmm "$FAITHFUL"
expect_rc "missing -k" 1
run fit gmm "$FAITHFUL" -k 2 --tol -1
expect_rc "--tol -1" 1
expect_err "--tol -1" "--tol"
run fit gmm "$FAITHFUL" -k 2 --max-iter 10x
expect_rc "--max-iter 10x" 1
run fit gmm "$FAITHFUL" -k 2 --covariance banana
expect_rc "--covariance banana" 1
run fit gmm "$FAITHFUL" -k 3-1
expect_rc "-k 3-1" 1
run fit banana "$FAITHFUL" -k 2
expect_rc "fit banana (unknown model)" 1
run frobnicate
expect_rc "unknown subcommand" 1
expect_err "unknown subcommand" "frobnicate"
run
expect_rc "no subcommand" 1
run sample
expect_rc "sample without MODEL" 1

# ---- one fit on Old Faithful ----

run fit gmm "$FAITHFUL" -k 2
expect_rc "fit faithful K=2" 0
expect_out "fit summary" "Gaussian mixture: K=2, covariance full, 272 rows x 2 columns"
expect_out "fit summary names the columns" "eruptions"
expect_out "fit summary" "converged: yes"
expect_out "fit summary" "BIC"

run fit gmm "$FAITHFUL" -k 2 --json -o model.json
expect_rc "fit --json -o" 0
cp out fit.json
check "fit -o wrote the model" test -s model.json
check "fit --json prints one line" test "$(wc -l <fit.json)" -eq 1
pycheck "fit --json keys and values" '"converged":true' '
d = load()
for key in ("model", "covariance_type", "n_components", "n_features", "n", "converged",
            "n_iter", "log_likelihood", "mean_log_likelihood", "bic", "aic",
            "n_parameters", "weights", "means", "covariances", "seconds",
            "monotonicity_violations", "trace"):
    assert key in d, "missing key " + key
assert d["model"] == "gmm" and d["covariance_type"] == "full"
assert d["n_components"] == 2 and d["n_features"] == 2 and d["n"] == 272
assert d["converged"] is True and d["monotonicity_violations"] == 0
assert d["n_parameters"] == 11
m = sorted(d["means"])
want = [[2.04, 54.5], [4.29, 80.0]]
for got, w in zip(m, want):
    assert all(abs(a - b) < 0.05 for a, b in zip(got, w)), "means %r" % (m,)
assert abs(sum(d["weights"]) - 1) < 1e-12
ll = d["log_likelihood"]
assert close(d["mean_log_likelihood"] * 272, ll)
assert close(d["bic"], -2 * ll + 11 * math.log(272)), "bic"
assert close(d["aic"], -2 * ll + 22), "aic"
assert len(d["covariances"]) == 2 and len(d["covariances"][0]) == 2
t = d["trace"]
assert len(t) == d["n_iter"] and len(t) >= 1
for e in t:
    assert set(e) >= {"iter", "objective", "change", "seconds", "violation"}, e
    assert e["violation"] is False
assert t[-1]["objective"] <= ll + 1e-9 * abs(ll), "EM decreased the log-likelihood"
assert d["objective"] == ll and d["objective_name"] == "log_likelihood"
assert d["n_units"] == 272 and d["n_obs"] == 272 and d["objective_per_obs"] == ll / 272
' fit.json

# `vem score` on the training data gives the fit's log-likelihood.
run score model.json "$FAITHFUL" --json
expect_rc "score --json" 0
cp out score.json
pycheck "score --json equals fit log_likelihood" '"log_likelihood"' '
f, s = load(1), load(2)
assert s["n"] == 272
assert close(s["total_log_likelihood"], f["log_likelihood"]), (s, f["log_likelihood"])
assert close(s["mean_log_likelihood"], f["mean_log_likelihood"])
' fit.json score.json
run score model.json "$FAITHFUL"
expect_rc "score" 0
expect_out "score" "rows: 272"
if [ -n "$PY" ]; then
    pycheck "score prints the total" "" '
total = [l for l in open(sys.argv[1]) if l.startswith("total log-likelihood:")]
assert len(total) == 1
assert close(float(total[0].split(":")[1].split()[0]), load(2)["log_likelihood"])
' out fit.json
fi

# predict: labels, probabilities.
run predict model.json "$FAITHFUL"
expect_rc "predict" 0
check "predict gives 272 labels" test "$(wc -l <out)" -eq 272
check "predict labels are 0 or 1" test "$(grep -c -v -x -e 0 -e 1 out)" -eq 0
check "predict uses both components" test "$(sort -u out | wc -l)" -eq 2
cp out labels.txt
run predict model.json "$FAITHFUL" --proba
expect_rc "predict --proba" 0
cp out proba.csv
pycheck "predict --proba rows sum to 1 and agree with labels" "" '
rows = [[float(v) for v in l.split(",")] for l in open(sys.argv[1])]
labels = [int(l) for l in open(sys.argv[2])]
assert len(rows) == 272 and all(len(r) == 2 for r in rows)
assert all(abs(sum(r) - 1) < 1e-12 for r in rows)
assert all(r.index(max(r)) == l for r, l in zip(rows, labels))
' proba.csv labels.txt
run predict model.json "$FAITHFUL" --json
expect_rc "predict --json" 0
pycheck "predict --json labels" '"labels":\[' '
d = load()
assert len(d["labels"]) == 272 and set(d["labels"]) == {0, 1}
' out

# sample, info.
run sample model.json -n 5 --seed 7
expect_rc "sample -n 5" 0
check "sample -n 5 gives a header and 5 rows" test "$(wc -l <out)" -eq 6
check "sample header" test "$(head -n 1 out)" = "eruptions,waiting,component"
cp out sample1.csv
run sample model.json -n 5 --seed 7
check "sample is reproducible with --seed" cmp -s out sample1.csv
run sample model.json -n 5 --json
expect_rc "sample --json" 0
pycheck "sample --json" '"samples":\[\[' '
d = load()
assert len(d["samples"]) == 5 and all(len(r) == 2 for r in d["samples"])
assert len(d["components"]) == 5 and set(d["components"]) <= {0, 1}
' out
run info model.json
expect_rc "info" 0
expect_out "info" "K=2"
expect_out "info" "full"
run info model.json --json
expect_rc "info --json" 0
cp out info.json
pycheck "info --json matches the fit" '"n_components":2' '
i, f = load(1), load(2)
assert i["model"] == "gmm" and i["n_components"] == 2 and i["n_features"] == 2
assert i["means"] == f["means"] and i["weights"] == f["weights"]
assert i["columns"] == ["eruptions", "waiting"]
' info.json fit.json

# Warm start from the saved model: converges at once, no worse.
run fit gmm "$FAITHFUL" --init-model model.json --json
expect_rc "fit --init-model" 0
cp out warm.json
pycheck "warm start" '"converged":true' '
w, f = load(1), load(2)
assert w["converged"] is True and w["n_iter"] <= 3, w["n_iter"]
assert w["log_likelihood"] >= f["log_likelihood"] - 1e-9 * abs(f["log_likelihood"])
assert w["n_components"] == 2 and w["covariance_type"] == "full"
' warm.json fit.json
run fit gmm "$FAITHFUL" --init-model model.json -k 3
expect_rc "--init-model with a conflicting -k" 1
run fit gmm "$FAITHFUL" --init-model model.json --covariance diag
expect_rc "--init-model with a conflicting --covariance" 1

# Not converged: a warning, exit 0.
run fit gmm "$FAITHFUL" -k 2 --max-iter 1
expect_rc "fit --max-iter 1" 0
expect_err "fit --max-iter 1 warns" "vem: warning: not converged after 1 iteration"
expect_out "fit --max-iter 1" "converged: no"

# The same data as TSV gives the same fit.
tr ',' '\t' <"$FAITHFUL" >faithful.tsv
run fit gmm faithful.tsv -k 2 --json
expect_rc "fit TSV" 0
pycheck "TSV and CSV give the same fit" "" '
assert load(1)["log_likelihood"] == load(2)["log_likelihood"]
' out fit.json

# ---- model selection by BIC ----

run fit gmm "$FAITHFUL" -k 1-3 --covariance all --select bic
expect_rc "select -k 1-3 --covariance all" 0
check "select table: 3 rows of 14 cells (all = mclust's 14 models)" \
    test "$(grep -c -E '^ *[1-3]( +-?[0-9.]+[*+ ]?| +-){14} *$' out)" -eq 3
check "select table marks one best cell" test "$(grep -c -E '^ *[1-3] .*[0-9]\*' out)" -eq 1
expect_out "select table names mclust models" "VVV"
expect_out "select table says lower is better" "lower is better"
expect_out "select prints the chosen model" "Gaussian mixture: K="
run fit gmm "$FAITHFUL" -k 1-3 --covariance all --json
expect_rc "select --json (implied --select bic)" 0
pycheck "select --json" '"selection":\[' '
d = load()
s = d["selection"]
assert len(s) == 42, len(s)
assert sorted((c["k"], c["covariance"]) for c in s) == sorted(
    (k, c) for k in (1, 2, 3) for c in ("full", "diag", "spherical", "tied", "EII", "EEI",
                                        "VEI", "EVI", "VEE", "EVE", "VVE", "EEV", "VEV", "EVV"))
for c in s:
    assert set(c) >= {"k", "covariance", "bic", "aic", "log_likelihood", "n_parameters",
                      "converged", "status"}, c
ok = [c for c in s if c["bic"] is not None]
best = min(ok, key=lambda c: c["bic"])
assert (d["n_components"], d["covariance_type"]) == (best["k"], best["covariance"])
assert close(d["bic"], best["bic"])
' out

# ---- the conjugate prior (--prior, mclust's priorControl()) ----

run fit gmm "$FAITHFUL" -k 1-3 --covariance all --prior --json
expect_rc "select --covariance all --prior" 0
pycheck "select --prior: the 10 models with a prior, BIC from the log-likelihood" '"prior":' '
d = load()
s = d["selection"]
assert len(s) == 30, len(s)
assert {c["covariance"] for c in s} == {"full", "diag", "spherical", "tied", "EII", "EEI",
                                        "VEI", "EVI", "EEV", "VEV"}
assert d["objective_name"] == "log_posterior"
assert close(d["objective"], d["log_likelihood"] + d["log_prior"])
assert d["log_prior"] < 0
p = d["prior"]
assert p["shrinkage"] == 0.01 and p["dof"] == 4 and len(p["mean"]) == 2
n, ll = d["n"], d["log_likelihood"]
import math
assert close(d["bic"], -2 * ll + d["n_parameters"] * math.log(n))
best = min((c for c in s if c["bic"] is not None), key=lambda c: c["bic"])
assert (d["n_components"], d["covariance_type"]) == (best["k"], best["covariance"])
' out
run fit gmm "$FAITHFUL" -k 2 --prior --json
pycheck "fit --prior and --prior --stream agree" '"prior":' '
d = load()
assert d["prior"]["dof"] == 4 and d["monotonicity_violations"] == 0
' out
cp out prior_mem.json
run fit gmm "$FAITHFUL" -k 2 --prior --stream --json
expect_rc "fit --prior --stream" 0
pycheck "fit --prior --stream equals the in-memory fit" '"prior":' '
assert load(1)["objective"] == load(2)["objective"]
assert load(1)["log_likelihood"] == load(2)["log_likelihood"]
' out prior_mem.json
run fit gmm "$FAITHFUL" -k 2 --prior
expect_out "fit --prior says it is a MAP fit" "MAP fit (--prior): log-likelihood"
expect_out "fit --prior reports the log posterior" "log-posterior:"
run fit gmm "$FAITHFUL" -k 2 --covariance EVV --prior
expect_rc "fit --covariance EVV --prior is refused (no prior in mclust)" 1
expect_err "fit --covariance EVV --prior names the reason" "has no conjugate prior"

# The default selection is Mclust(X, G = 1:9)'s: one hierarchical tree cut at every K,
# EM to convergence; every cell within 1e-6 of mclust's converged BIC table
# (tests/golden/mclust_hc.txt, mclust's sign) and mclust's choice, EEE with K = 3.
run fit gmm "$FAITHFUL" -k 1-9 --covariance all --json
expect_rc "select -k 1-9 --covariance all (defaults)" 0
pycheck "default selection is Mclust()'s table" '"init":"hc"' '
d = load()
assert d["init"] == "hc", d["init"]
order = "EII VII EEI VEI EVI VVI EEE VEE EVE VVE EEV VEV EVV VVV".split()
want = {}
for line in open(sys.argv[2]):
    f = line.split()
    if f[:3] == ["bic", "faithful", "tight"]:
        for m, v in zip(order, f[4:]):
            want[(int(f[3]), m)] = -float(v)
assert len(want) == 126, len(want)
for c in d["selection"]:
    assert c["converged"] and close(c["bic"], want[(c["k"], c["mclust"])], 1e-6), c
assert (d["n_components"], d["covariance_type"]) == (3, "tied"), d["covariance_type"]
' out "$ROOT/tests/golden/mclust_hc.txt"

# --select icl: mclustICL(X, G = 1:9)'s choice, VVE with K = 2, and its table
# (tests/golden/mclust_icl.txt, its sign negated) to 1e-3: at the defaults (reg_covar
# 1e-6, EM to a total change of 1e-8) the responsibilities of the flattest fits move by
# more than their log-likelihoods (largest 2.9e-4, VVE K = 9); test_mclust.c checks
# 1e-5 at mclust's settings. Every cell carries BIC and ICL, ICL >= BIC.
run fit gmm "$FAITHFUL" -k 1-9 --covariance all --select icl --json
expect_rc "select --select icl" 0
pycheck "--select icl is mclustICL()'s table and choice" '"criterion":"icl"' '
d = load()
assert d["criterion"] == "icl"
order = "EII VII EEI VEI EVI VVI EEE VEE EVE VVE EEV VEV EVV VVV".split()
want = {}
for line in open(sys.argv[2]):
    f = line.split()
    if f[:2] == ["icl", "faithful"]:
        for m, v in zip(order, f[3:]):
            want[(int(f[2]), m)] = -float(v)
assert len(want) == 126, len(want)
for c in d["selection"]:
    assert close(c["icl"], want[(c["k"], c["mclust"])], 1e-3), c
    assert c["icl"] >= c["bic"] - 1e-9, c
assert (d["n_components"], d["covariance_type"]) == (2, "VVE"), d["covariance_type"]
assert close(d["icl"], want[(2, "VVE")], 1e-6)
' out "$ROOT/tests/golden/mclust_icl.txt"
run fit gmm "$FAITHFUL" -k 2 --select aic
expect_rc "--select aic is refused" 1
expect_err "--select names its choices" "'bic' or 'icl'"
run fit gmm "$FAITHFUL" -k 2 --json
pycheck "one fit in memory reports its ICL, >= its BIC" '"icl":' '
d = load()
assert d["icl"] is not None and d["icl"] > d["bic"]
' out
run fit gmm "$FAITHFUL" -k 2 --stream --json
pycheck "a streamed fit has no ICL (null)" '"icl":null' '
assert load()["icl"] is None
' out

# ---- Palmer penguins: columns chosen by name ----

COLS=beak_length_mm,beak_depth_mm,flipper_length_mm,body_mass_g
run fit gmm "$PENGUINS" -k 3 --covariance diag --columns $COLS -o penguins.json --json
expect_rc "fit penguins --columns by name" 0
cp out pfit.json
pycheck "penguins fit" '"n":342' '
d = load()
assert d["n"] == 342 and d["n_features"] == 4 and d["n_components"] == 3
assert d["columns"] == sys.argv[2].split(",")
' pfit.json $COLS
run predict penguins.json "$PENGUINS"
expect_rc "predict penguins (model columns by name)" 0
check "predict penguins gives 342 labels" test "$(wc -l <out)" -eq 342
run score penguins.json "$PENGUINS" --json
expect_rc "score penguins" 0
pycheck "score penguins equals the fit" "" '
assert close(load(1)["total_log_likelihood"], load(2)["log_likelihood"])
' out pfit.json
run score penguins.json "$PENGUINS" --columns 3,4,5,6 --json
expect_rc "score penguins --columns by index" 0
pycheck "columns by index and by name agree" "" '
assert close(load(1)["total_log_likelihood"], load(2)["log_likelihood"])
' out pfit.json
run fit gmm "$PENGUINS" -k 3 --columns beak_length_mm,no_such_column
expect_rc "unknown column" 2
expect_err "unknown column" "no_such_column"

# ---- bad input: exit 2, the place named ----

printf 'a,b\n1,2\n3,abc\n5,6\n' >nonnum.csv
printf 'a,b\n1,2\n3,nan\n5,6\n' >nan.csv
printf 'a,b\n1,2\n3,4\n5,inf\n' >inf.csv
printf 'a,b\n1,2\n3,4,5\n5,6\n' >ragged.csv
: >empty.csv
printf 'a,b\n1,2\n3,4\n5,7\n' >three.csv
for case in "nonnum.csv:3:3:" "nan.csv:3:3:" "inf.csv:4:3:" "ragged.csv:3:5:" "empty.csv:"; do
    file=${case%%:*}
    run fit gmm "$file" -k 2
    expect_rc "bad data $file" 2
    expect_err "bad data $file" "vem: $case"
    expect_quiet_stdout "bad data $file"
done
run fit gmm missing.csv -k 2
expect_rc "missing data file" 2
expect_err "missing data file" "vem: missing.csv"
run fit gmm three.csv -k 5
expect_rc "fewer rows than K" 2
expect_err "fewer rows than K" "vem: three.csv: 3 rows, fewer than K=5 components"
run predict model.json nonnum.csv
expect_rc "predict on bad data" 2

printf '{"format": "vem-model", "version": 1, "model": "gmm",' >truncated.json
run predict truncated.json "$FAITHFUL"
expect_rc "truncated model file" 2
expect_err "truncated model file" "vem: truncated.json"
sed 's/"n_components": 2/"n_components": 3/' model.json >badshape.json
run score badshape.json "$FAITHFUL"
expect_rc "model file with wrong shapes" 2
expect_err "model file with wrong shapes" "vem: badshape.json"
run info no-such-model.json
expect_rc "missing model file" 2
run fit gmm "$FAITHFUL" --init-model truncated.json
expect_rc "--init-model with a bad model file" 2

# ---- nothing half-written ----

run fit gmm "$FAITHFUL" -k 2 -o no-such-dir/model.json
check "-o into a missing directory fails" test "$rc" -ne 0
check "-o into a missing directory leaves nothing" test ! -e no-such-dir
printf 'a,b\n' >same.csv
for i in 1 2 3 4 5 6; do echo "1.5,2.5" >>same.csv; done
run fit gmm same.csv -k 2 --reg-covar 0 -o failed.json
expect_rc "singular covariances: numerical failure" 3
check "a failed fit writes no model" test ! -e failed.json
check "a failed fit leaves no temporary file" test -z "$(ls | grep failed)"

# ---- results do not depend on the thread count ----

for t in 1 2; do
    run fit gmm "$PENGUINS" --columns 3,4,5,6 -k 4 --n-init 2 --threads $t --json
    expect_rc "fit --threads $t" 0
    sed -e 's/"seconds":[^,}]*//g' -e 's/"threads":[^,}]*//g' out >threads$t.json
done
check "1 and 2 threads give identical --json" cmp -s threads1.json threads2.json
for t in 1 2; do
    run fit gmm "$FAITHFUL" -k 1-3 --covariance all --threads $t --json
    sed -e 's/"seconds":[^,}]*//g' -e 's/"threads":[^,}]*//g' out >select$t.json
done
check "1 and 2 threads give identical selections" cmp -s select1.json select2.json

finish
