#!/bin/sh
# bench/bench_glmm.sh — vem's random-intercept GLMM (docs/glmm.md) against lme4's glmer,
# Laplace (nAGQ = 1) and adaptive Gauss-Hermite (nAGQ = 25), on one simulated data set,
# side by side in one run.
#
#   sh bench/bench_glmm.sh            (from the repository root; see bench/README.md)
#
# Data: GROUPS groups (default 10,000) of PER rows (default 10): x ~ N(0, 1),
# logit p = -0.5 + x + u_i, u_i ~ N(0, 1) (python3's random, seed 2026), CSV group,x,y.
# vem: `fit glmm --target y --group group` (exact EM, 25 nodes, its default stopping rule)
# and `--algorithm mcem` (defaults), THREADS threads (default 2), wall time of the command
# (reading the CSV included). lme4: glmer(y ~ x + (1 | group), family = binomial, nAGQ),
# default control, system.time around glmer() alone (read.csv excluded).
# Environment: VEM (default build/vem), RSCRIPT (default Rscript), THREADS, GROUPS, PER,
# OUT (default bench/out). Results: $OUT/glmm/.
set -eu

VEM=${VEM:-build/vem}
RSCRIPT=${RSCRIPT:-Rscript}
THREADS=${THREADS:-2}
GROUPS=${GROUPS:-10000}
PER=${PER:-10}
OUT=${OUT:-bench/out}
D=$OUT/glmm
mkdir -p "$D"

die() { echo "bench_glmm.sh: $*" >&2; exit 1; }
[ -x "$VEM" ] || die "no vem binary at $VEM (build it, or set VEM)"
"$RSCRIPT" -e 'suppressMessages(library(lme4))' >/dev/null 2>&1 || die "R with lme4 is needed"

DATA=$D/glmm_${GROUPS}x${PER}.csv
python3 - "$DATA" "$GROUPS" "$PER" <<'PYEOF'
import math, random, sys
path, groups, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(2026)
with open(path, "w") as f:
    f.write("group,x,y\n")
    for i in range(groups):
        u = rng.gauss(0.0, 1.0)
        for _ in range(per):
            x = round(rng.gauss(0.0, 1.0), 6)
            p = 1.0 / (1.0 + math.exp(-(-0.5 + x + u)))
            f.write("%d,%.6f,%d\n" % (i + 1, x, rng.random() < p))
PYEOF

now() { date +%s.%N; }
summary() { # FILE LABEL SECONDS
    python3 - "$1" "$2" "$3" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
print("%-22s %8.2f s  iter %5d  beta %s  sigma2 %.6f  loglik %.6f  converged %s" % (
    sys.argv[2], float(sys.argv[3]), d["n_iter"], " ".join("%.6f" % b for b in d["beta"]),
    d["sigma2"], d["log_likelihood"], d["converged"]))
PYEOF
}

echo "data: $GROUPS groups x $PER rows ($DATA); vem threads $THREADS" | tee "$D/results.txt"
t0=$(now)
"$VEM" fit glmm "$DATA" --target y --group group --threads "$THREADS" --json >"$D/vem_batch.json"
t1=$(now)
summary "$D/vem_batch.json" "vem batch (AGQ 25)" "$(echo "$t1 - $t0" | bc)" | tee -a "$D/results.txt"
t0=$(now)
"$VEM" fit glmm "$DATA" --target y --group group --threads "$THREADS" --algorithm mcem \
    --json >"$D/vem_mcem.json" 2>/dev/null
t1=$(now)
summary "$D/vem_mcem.json" "vem mcem (auto)" "$(echo "$t1 - $t0" | bc)" | tee -a "$D/results.txt"

"$RSCRIPT" - "$DATA" <<'REOF' | tee -a "$D/results.txt"
suppressMessages(library(lme4))
d <- read.csv(commandArgs(TRUE)[1])
for (nagq in c(1, 25)) {
  t <- system.time(m <- glmer(y ~ x + (1 | group), data = d, family = binomial, nAGQ = nagq))
  cat(sprintf("%-22s %8.2f s  beta %s  sigma2 %.6f  loglik %.6f\n",
              sprintf("lme4 glmer nAGQ=%d", nagq), t[["elapsed"]],
              paste(sprintf("%.6f", fixef(m)), collapse = " "), VarCorr(m)$group[1],
              as.numeric(logLik(m))))
}
REOF
