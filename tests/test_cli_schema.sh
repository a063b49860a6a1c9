#!/bin/sh
# Every command's --json, for every kind, against docs/schema.json (JSON Schema
# draft 7, validated by python3-jsonschema): fit, score, predict, decode, sample,
# info, transform, topics, corpus. Without python3 and jsonschema the test fails.
NAME=cli_schema
. "$(dirname "$0")/harness.sh"

if [ -z "$PY" ] || ! "$PY" -c 'import jsonschema' 2>/dev/null; then
    fail "python3 with jsonschema is needed (Debian: python3-jsonschema; tools/install-deps.sh)"
    finish
fi
SCHEMA=$ROOT/docs/schema.json
FAITHFUL=$DATA/faithful.csv
WEATHER=$DATA/seattle-weather.csv
DIABETES=$DATA/diabetes.csv
CORPUS=$ROOT/tests/data/lda_ok.docword.txt
VOCAB=$ROOT/tests/data/lda_ok.vocab.txt

# valid DEFINITION WHAT ARGS...: vem ARGS --json exits 0 and its object is a DEFINITION.
valid() {
    def=$1
    what=$2
    shift 2
    run "$@" --json
    if [ "$rc" -ne 0 ]; then
        fail "$what: exit status $rc ($(errtext))"
        return
    fi
    if msg=$("$PY" - "$SCHEMA" "$def" out <<'PYEOF' 2>&1
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
doc = json.load(open(sys.argv[3]))
jsonschema.Draft7Validator.check_schema(schema)
sub = dict(schema)
sub.pop("anyOf")
sub["$ref"] = "#/definitions/" + sys.argv[2]
errors = sorted(jsonschema.Draft7Validator(sub).iter_errors(doc), key=str)
if errors:
    sys.exit("; ".join(e.message[:200] for e in errors[:3]))
jsonschema.validate(doc, schema, cls=jsonschema.Draft7Validator)
PYEOF
    ); then
        pass
    else
        fail "$what: $(echo "$msg" | tail -n 2 | tr '\n' ' ')"
    fi
}

# Gaussian mixture: one fit, a selection, online, and every command on its model.
valid fit "fit gmm" fit gmm "$FAITHFUL" -k 2 -o gmm.json
valid fit "fit gmm selection" fit gmm "$FAITHFUL" -k 1-2 --covariance diag,full
valid fit "fit gmm --select icl" fit gmm "$FAITHFUL" -k 1-2 --covariance VVE,EEE --select icl
valid fit "fit gmm --prior" fit gmm "$FAITHFUL" -k 2 --covariance VEV --prior
valid fit "fit gmm --prior selection" fit gmm "$FAITHFUL" -k 1-2 --covariance all --prior
valid fit "fit gmm --prior --stream" fit gmm "$FAITHFUL" -k 2 --prior --stream
valid fit "fit gmm stepwise" fit gmm "$FAITHFUL" -k 2 --algorithm stepwise --batch-size 50 \
    --trace-steps
valid fit "fit gmm mcem" fit gmm "$FAITHFUL" -k 2 --algorithm mcem --mc-samples 20 --max-iter 5
valid fit "fit gmm sem" fit gmm "$FAITHFUL" -k 2 --algorithm sem --max-iter 20
valid fit "fit gmm cem" fit gmm "$FAITHFUL" -k 2 --algorithm cem --equal-weights
valid score "score gmm" score gmm.json "$FAITHFUL"
valid predict "predict gmm" predict gmm.json "$FAITHFUL"
valid predict "predict gmm --proba" predict gmm.json "$FAITHFUL" --proba
valid sample "sample gmm" sample gmm.json -n 5
valid info "info gmm" info gmm.json

# Hidden Markov models: Gaussian and categorical.
valid fit "fit hmm" fit hmm "$FAITHFUL" --states 2 --emission gaussian -o hmm.json
valid fit "fit hmm categorical" fit hmm "$WEATHER" --states 3 --emission categorical \
    --columns weather -o hmmc.json
valid fit "fit hmm, mixture emissions" fit hmm "$FAITHFUL" --states 2 --emission gmm --mix 2 \
    --covariance diag
valid fit "fit hmm incremental" fit hmm "$FAITHFUL" --states 2 --emission gaussian \
    --algorithm incremental --n-blocks 1 --trace-steps
valid fit "fit hmm mcem" fit hmm "$FAITHFUL" --states 2 --emission gaussian --algorithm mcem \
    --mc-samples 20 --max-iter 5
valid fit "fit hmm cem" fit hmm "$WEATHER" --states 3 --emission categorical --columns weather \
    --algorithm cem
valid fit "fit hmm poisson" fit hmm "$DATA/seattle-counts.csv" --states 3 --emission poisson \
    -o hmmp.json
valid fit "fit hmm multinomial" fit hmm "$DATA/seattle-weekly.csv" --states 2 \
    --emission multinomial --trials 7 -o hmmm.json
valid sample "sample hmm poisson" sample hmmp.json -n 5
valid sample "sample hmm multinomial" sample hmmm.json -n 5
valid info "info hmm poisson" info hmmp.json
valid score "score hmm" score hmm.json "$FAITHFUL"
valid predict "predict hmm" predict hmm.json "$FAITHFUL"
valid decode "decode hmm" decode hmm.json "$FAITHFUL"
valid decode "decode hmm --posterior" decode hmm.json "$FAITHFUL" --posterior
valid sample "sample hmm" sample hmm.json -n 5
valid info "info hmm" info hmm.json
valid info "info hmm categorical" info hmmc.json
valid fit "fit vbhmm" fit vbhmm "$FAITHFUL" --states 3 --emission gaussian -o vbhmm.json
valid fit "fit vbhmm categorical --moves" fit vbhmm "$WEATHER" --states 4 --emission categorical \
    --columns weather --moves
valid fit "fit vbhmm poisson" fit vbhmm "$DATA/seattle-counts.csv" --states 2 --emission poisson
valid fit "fit vbhmm spherical" fit vbhmm "$FAITHFUL" --states 2 --emission gaussian \
    --covariance spherical -o vbhmm_sph.json
valid fit "fit vbhmm tied" fit vbhmm "$FAITHFUL" --states 2 --emission gaussian \
    --covariance tied -o vbhmm_tied.json
valid info "info vbhmm spherical" info vbhmm_sph.json
valid info "info vbhmm tied" info vbhmm_tied.json
valid score "score vbhmm" score vbhmm.json "$FAITHFUL"
valid decode "decode vbhmm" decode vbhmm.json "$FAITHFUL"
valid predict "predict vbhmm --posterior" predict vbhmm.json "$FAITHFUL" --posterior
valid sample "sample vbhmm" sample vbhmm.json -n 5
valid info "info vbhmm" info vbhmm.json

# LDA: batch and online, and every command on its model.
valid fit "fit lda" fit lda "$CORPUS" --vocab "$VOCAB" -k 2 -o lda.json
valid fit "fit lda stepwise" fit lda "$CORPUS" --vocab "$VOCAB" -k 2 --algorithm stepwise \
    --batch-size 2
valid fit "fit lda mcem" fit lda "$CORPUS" --vocab "$VOCAB" -k 2 --algorithm mcem --mc-samples 10 \
    --max-iter 5
valid fit "fit lda sem" fit lda "$CORPUS" --vocab "$VOCAB" -k 2 --algorithm sem --max-iter 6
valid score "score lda" score lda.json "$CORPUS"
valid transform "transform lda" transform lda.json "$CORPUS"
valid topics "topics lda" topics lda.json
valid fit "fit lda from a model" fit lda "$CORPUS" --vocab "$VOCAB" --init-model lda.json
valid corpus "corpus" corpus "$ROOT/tests/data/lda_texts" -o corp
valid info "info lda" info lda.json

# Variational Bayes: the mixture and the regression.
valid fit "fit vbgmm" fit vbgmm "$FAITHFUL" -k 4 -o vbgmm.json
valid score "score vbgmm" score vbgmm.json "$FAITHFUL"
valid predict "predict vbgmm" predict vbgmm.json "$FAITHFUL"
valid info "info vbgmm" info vbgmm.json
valid sample "sample vbgmm" sample vbgmm.json -n 5
valid fit "fit vbgmm stepwise, dp" fit vbgmm "$FAITHFUL" -k 4 --weight-prior dp \
    --algorithm stepwise --batch-size 50 --trace-steps
valid fit "fit blr" fit blr "$DIABETES" --target target -o blr.json
valid score "score blr" score blr.json "$DIABETES"
valid predict "predict blr" predict blr.json "$DIABETES"
valid info "info blr" info blr.json

# The variational autoencoder (binary rows made by awk).
awk 'BEGIN { s = 5; for (i = 0; i < 60; i++) { line = ""; for (j = 0; j < 8; j++) {
    s = (s * 1103515245 + 12345) % 2147483648; line = line (j ? "," : "") (s < 1073741824) }
    print line } }' >vae.csv
valid fit "fit vae" fit vae vae.csv --latent 2 --hidden 8 --epochs 2 --validation vae.csv \
    -o vae.json
valid score "score vae" score vae.json vae.csv --importance-samples 10
valid encode "encode vae" encode vae.json vae.csv
valid reconstruct "reconstruct vae" reconstruct vae.json vae.csv
valid sample "sample vae" sample vae.json -n 3
valid info "info vae" info vae.json
valid fit "fit blr --ard" fit blr "$DIABETES" --target target --ard -o blr_ard.json
valid info "info blr --ard" info blr_ard.json
PENGUINS2=$ROOT/tests/data/blogr_penguins.csv
valid fit "fit blogr" fit blogr "$PENGUINS2" --target chinstrap --full-rank --epochs 40 -o blogr.json
valid score "score blogr" score blogr.json "$PENGUINS2"
valid predict "predict blogr" predict blogr.json "$PENGUINS2"
valid info "info blogr" info blogr.json
GLMM=$DATA/glmm_mcculloch.csv
valid fit "fit glmm" fit glmm "$GLMM" --target y --group group --no-intercept -o glmm.json
valid fit "fit glmm --stream" fit glmm "$GLMM" --target y --group group --no-intercept --stream
valid fit "fit glmm boundary" fit glmm "$DATA/glmm_boundary.csv" --target y --group group \
    --no-intercept --max-iter 300
valid fit "fit glmm mcem" fit glmm "$GLMM" --target y --group group --algorithm mcem \
    --mc-schedule fixed --mc-samples 20 --max-iter 5
valid score "score glmm" score glmm.json "$GLMM"
valid predict "predict glmm" predict glmm.json "$GLMM"
valid info "info glmm" info glmm.json

finish
