#!/bin/sh
# tests/test_cli_lda.sh — the LDA commands end to end: corpus, fit lda, topics, transform, score, info.
#
#     sh tests/test_cli_lda.sh PATH/TO/vem REPO_ROOT
#
# Prints one line per failed check and finally "cli_lda: N passed, M failed";
# exits non-zero if any check failed. JSON is checked with python3 when there
# is one, with grep otherwise.

NAME=cli_lda
. "$(dirname "$0")/harness.sh"
BROWN=$DATA/brown
TD=$ROOT/tests/data
TRAIN=$BROWN/docword.brown.train.txt
TEST=$BROWN/docword.brown.test.txt
VOCAB=$BROWN/vocab.brown.txt

# ---- fit, score, topics, transform, info on Brown ----

run fit lda "$TRAIN" --vocab "$VOCAB" -k 8 --passes 4 --tol 0 --seed 3 --threads 1 -o m1.json --json
expect_rc "fit lda" 0
check "fit lda writes the model and its .npy" test -s m1.json -a -s m1.lambda.npy
pycheck "fit lda JSON" '"elbo"' 'j = load(); assert j["model"] == "lda" and j["n_topics"] == 8
assert j["n_docs"] == 450 and j["n_tokens"] == 332627 and j["n_iter"] == 4
tr = [t["objective"] for t in j["trace"]]
assert len(tr) == 4 and all(b >= a for a, b in zip(tr, tr[1:]))
assert len(j["estep_converged"]) == 4 and j["monotonicity_violations"] == 0
assert len(j["topics"]) == 8 and len(j["topics"][0]) == 10
assert j["n_units"] == 450 and j["n_obs"] == 332627 and isinstance(j["n_tokens"], int)
assert j["objective"] == j["elbo"] and j["objective_name"] == "elbo" and j["n_init"] == 1
assert j["objective_per_obs"] == j["elbo_per_token"] and j["max_iter"] == 4 and j["seed"] == 3
assert j["tol"] == 0 and j["algorithm"] == "batch" and j["best_init"] == 0' out
cp out fit1.json
run fit lda "$TRAIN" --vocab "$VOCAB" -k 8 --passes 4 --tol 0 --seed 3 --threads 2 -o m2.json --json
expect_rc "fit lda, 2 threads" 0
pycheck "1 and 2 threads give the same ELBO bits" "" 'a, b = load(1), load(2)
obj = lambda j: [t["objective"] for t in j["trace"]]
assert a["elbo"] == b["elbo"] and obj(a) == obj(b)' fit1.json out
check "1 and 2 threads give the same lambda bits" cmp -s m1.lambda.npy m2.lambda.npy

run score m1.json "$TEST" --json --completion
expect_rc "score lda" 0
pycheck "score JSON" '"perplexity"' 'import math
j = load(); assert j["n_docs"] == 50 and j["n_tokens"] == 36580
assert close(j["perplexity"], math.exp(-j["bound_per_word"]), 1e-12)
assert close(j["bound_per_word"] * j["n_tokens"], j["bound"], 1e-12)
assert 1000 < j["perplexity"] < 20000 and 1000 < j["completion_perplexity"] < 20000
assert j["model"] == "lda" and j["n_units"] == 50 and j["n_obs"] == 36580
assert j["objective"] == j["bound"] and j["objective_name"] == "elbo"
assert isinstance(j["n_tokens"], int) and isinstance(j["completion_tokens"], int)' out
cp out score1.json
run score m1.json "$BROWN/brown.test.ldac" --json --threads 2
expect_rc "score LDA-C" 0
pycheck "LDA-C and UCI give the same bound" "" 'assert load(1)["bound"] == load(2)["bound"]' score1.json out
run score m1.json "$TEST"
expect_rc "score text" 0
expect_out "score text" "perplexity"
expect_out "score text" "tokens: 36580"
expect_out "score text" "mean ELBO: "

run topics m1.json --top 5
expect_rc "topics" 0
check "topics: one line per topic" test "$(grep -c '^topic' out)" -eq 8
run topics m1.json --top 5 --coherence "$TRAIN" --json
expect_rc "topics --coherence" 0
pycheck "topics JSON" '"coherence"' 'j = load(); assert len(j["topics"]) == 8 and len(j["topics"][0]) == 5
assert j["model"] == "lda"
assert len(j["coherence"]) == 8 and all(c <= 0 for c in j["coherence"])' out

# pyLDAvis's input: exactly the five arguments of pyLDAvis.prepare(), consistent with
# transform, the corpus and the model.
run topics m1.json --export pyldavis --corpus "$TEST" -o vis.json
expect_rc "topics --export pyldavis" 0
expect_quiet_stdout "topics --export -o"
run transform m1.json "$TEST"
cp out theta.csv
pycheck "export: pyLDAvis.prepare's arguments" "" 'd = load()
assert sorted(d) == ["doc_lengths", "doc_topic_dists", "term_frequency", "topic_term_dists", "vocab"]
V = len(open(sys.argv[2]).read().split())
assert len(d["vocab"]) == V and d["vocab"][0] == open(sys.argv[2]).readline().strip()
assert len(d["topic_term_dists"]) == 8 and all(len(r) == V and abs(sum(r) - 1) < 1e-9 for r in d["topic_term_dists"])
theta = [list(map(float, l.split(","))) for l in open(sys.argv[3])]
assert len(theta) == 50 and all(close(a, b, 1e-9) for r, q in zip(d["doc_topic_dists"], theta) for a, b in zip(r, q))
assert len(d["doc_lengths"]) == 50 and sum(d["doc_lengths"]) == 36580
assert len(d["term_frequency"]) == V and sum(d["term_frequency"]) == 36580
counts = {}
for line in open(sys.argv[4]).read().split("\n")[3:]:
    if line.strip():
        doc, w, c = map(int, line.split())
        counts[doc] = counts.get(doc, 0) + c
assert [counts[i + 1] for i in range(50)] == d["doc_lengths"]' vis.json "$VOCAB" theta.csv "$TEST"
run topics m1.json --export pyldavis --corpus "$TEST"
expect_rc "topics --export to stdout" 0
pycheck "export to stdout: the same" "" 'assert load(1) == load(2)' out vis.json
run topics m1.json --export pyldavis
expect_rc "--export without --corpus" 1
expect_err "--export without --corpus" "--export pyldavis and --corpus go together"
run topics m1.json --export ldavis --corpus "$TEST"
expect_rc "--export of an unknown format" 1
expect_err "--export of an unknown format" "pyldavis"

run transform m1.json "$TEST"
expect_rc "transform" 0
pycheck "transform rows sum to 1" "" 'rows = [list(map(float, l.split(","))) for l in open(sys.argv[1])]
assert len(rows) == 50 and all(len(r) == 8 and abs(sum(r) - 1) < 1e-9 for r in rows)' out
run transform m1.json "$TEST" --gamma --json --threads 2
expect_rc "transform --gamma --json" 0
pycheck "transform JSON" '"gamma"' 'j = load(); assert j["model"] == "lda" and len(j["gamma"]) == 50' out

run info m1.json
expect_rc "info" 0
expect_out "info" "K=8 topics"
run info m1.json --json
pycheck "info JSON" '"lda"' 'j = load(); assert j["model"] == "lda" and j["n_words"] == 10006' out

run fit lda "$BROWN/brown.train.ldac" -k 4 --passes 2 --alpha auto --algorithm stepwise --batch-size 64 --json
expect_rc "fit lda stepwise, LDA-C, alpha auto" 0
pycheck "stepwise JSON" '"stepwise"' 'j = load(); assert j["algorithm"] == "stepwise" and j["alpha"] != 0.25' out

# ---- corpus building ----

run corpus "$TD/lda_texts" -o small --stopwords "$TD/lda_stop.txt" --json
expect_rc "corpus" 0
check "corpus vocabulary" test "$(tr '\n' ' ' < small.vocab.txt)" = "bark cat dog dogs mat sat "
check "corpus docword header" test "$(head -3 small.docword.txt | tr '\n' ' ')" = "3 6 8 "
run corpus "$TD/lda_texts" -o again --vocab small.vocab.txt
expect_rc "corpus with a vocabulary" 0
check "same vocabulary, same counts" cmp -s small.docword.txt again.docword.txt
printf 'a cat and a dog\nthe mat\n\nno words here at all\n' > lines.txt
run corpus lines.txt -o lines --min-len 3 --stopwords "$ROOT/examples/data/stopwords-en.txt"
expect_rc "corpus from lines" 0
check "one document per line" test "$(head -1 lines.docword.txt)" = 4
run fit lda small.docword.txt --vocab small.vocab.txt -k 2 --passes 3 -o small.json
expect_rc "fit the built corpus" 0
expect_out "fit the built corpus" "iterations: 3, converged: "
expect_out "fit the built corpus" "model written to small.json"
expect_out "fit the built corpus" "ELBO: "

# ---- restarts (--n-init): the best ELBO kept, with its model and E-step history ----

MPI90=$TD/lda_mpi.docword.txt
run fit lda "$MPI90" -k 4 --seed 3 --alpha auto --passes 20 -o r1.json --json
cp out r1.out
run fit lda "$MPI90" -k 4 --seed 3 --alpha auto --passes 20 --n-init 3 -o r3.json --json
expect_rc "fit lda --n-init 3" 0
pycheck "--n-init 3: restart 0 is the single fit, the best is kept" '"best_init"' 'a, b = load(1), load(2)
assert b["n_init"] == 3 and 0 <= b["best_init"] < 3 and b["elbo"] >= a["elbo"]
assert len(b["estep_converged"]) == b["n_iter"] == len(b["trace"])
assert b["best_init"] != 0 or (b["elbo"] == a["elbo"] and b["alpha"] == a["alpha"])' r1.out out
cp out r3.out
run info r3.json --json
pycheck "--n-init 3: the model written is the best restart's" "" 'a, b = load(1), load(2)
assert a["alpha"] == b["alpha"]' out r3.out
run fit lda "$MPI90" -k 4 --seed 3 --alpha auto --passes 20 --n-init 2 -o r2.json --json
pycheck "--n-init 2: restart 0 best, its lambda and alpha restored" "" 'a, b = load(1), load(2)
assert b["best_init"] == 0 and b["elbo"] == a["elbo"] and b["alpha"] == a["alpha"]' r1.out out
check "--n-init 2: the first restart's lambda" cmp -s r1.lambda.npy r2.lambda.npy

# ---- help and option spelling ----

run fit lda --help
expect_rc "fit lda --help" 0
cp out help1
run help fit lda
check "vem help fit lda = vem fit lda --help" cmp -s help1 out
for o in n-init max-iter passes tol seed threads algorithm batch-size kappa tau n-blocks \
    stream init-model eval-passes trace-steps mpi output verbose trace checkpoint checkpoint-every resume components vocab alpha eta \
    gamma-tol max-sweeps warm-gamma dense-steps json; do
    check "fit lda --help lists --$o" grep -q -- "--$o\b" help1
done
# Every option the help lists parses for fit lda (with a value it takes).
SMALL=$TD/lda_ok.docword.txt
"$VEM" fit lda "$SMALL" -k 2 --passes 2 -o ok.json >/dev/null 2>&1
for o in $(grep -o -- '^  \(-., \)\?--[a-z-]*' help1 | sed 's/.*--//'); do
    alg=
    case $o in
    help) continue ;;
    n-init) v="--n-init 2" ;;
    max-iter | passes) v="--$o 3" ;;
    tol) v="--tol 1e-3" ;;
    tol-rule) v="--tol-rule total" ;;
    accelerate) v="--accelerate squarem" ;;
    seed) v="--seed 5" ;;
    threads) v="--threads 2" ;;
    algorithm) v="--algorithm incremental" ;;
    batch-size | kappa | tau | eval-passes | trace-steps | dense-steps)
        alg="--algorithm stepwise"
        case $o in batch-size) v="--batch-size 2" ;; kappa) v="--kappa 0.8" ;; tau) v="--tau 3" ;;
        *) v="--$o" ;; esac ;;
    n-blocks) v="--n-blocks 2" alg="--algorithm incremental" ;;
    init-model) v="--init-model ok.json" ;;
    mpi) v="--mpi" ;;
    output) v="--output o.json" ;;
    trace) v="--trace t.csv" ;;
    checkpoint) v="--checkpoint ck.bin" ;;
    checkpoint-every) v="--checkpoint ck.bin --checkpoint-every 2" ;;
    resume) v="--resume ck.bin" ;;
    verbose | json | warm-gamma | stream) v="--$o" ;;
    components) v="--components 3" ;;
    vocab) v="--vocab $TD/lda_ok.vocab.txt" ;;
    alpha) v="--alpha 0.3" ;;
    eta) v="--eta 0.2" ;;
    gamma-tol) v="--gamma-tol 1e-4" ;;
    max-sweeps) v="--max-sweeps 50" ;;
    mc-samples) v="--mc-samples 10" alg="--algorithm mcem" ;;
    mc-schedule) v="--mc-schedule geometric" alg="--algorithm mcem" ;;
    mc-growth) v="--mc-schedule geometric --mc-growth 1.5" alg="--algorithm mcem" ;;
    mc-max-samples) v="--mc-samples 10 --mc-max-samples 40" alg="--algorithm mcem" ;;
    mc-groups) v="--mc-samples 20 --mc-groups 4" alg="--algorithm mcem" ;;
    average-from) v="--average-from 2" alg="--algorithm sem" ;;
    *) fail "fit lda --help lists --$o: no test value for it"; continue ;;
    esac
    run fit lda "$SMALL" -k 2 $alg $v
    if [ "$o" = mpi ]; then
        # Without mpirun it may or may not start; it must not be refused as an option.
        check "fit lda $v parses" test "$(grep -c -e 'does not apply' -e 'unknown option' err)" -eq 0
    else
        expect_rc "fit lda $alg $v" 0
    fi
done
run fit lda "$SMALL" -k=2 --passes=3 --seed=4 --json
expect_rc "fit lda -k=2 --passes=3" 0
pycheck "-k=2 --passes=3 --seed=4" '"n_topics"' 'j = load()
assert j["n_topics"] == 2 and j["max_iter"] == 3 and j["n_iter"] <= 3 and j["seed"] == 4' out
run topics small.json --top=2 --json
pycheck "topics --top=2" '"topics"' 'assert len(load()["topics"][0]) == 2' out

# ---- errors ----

run fit lda "$TRAIN" --vocab "$VOCAB"
expect_rc "fit lda without -k" 1
expect_err "fit lda without -k" "-k K is required"
run fit lda "$TRAIN" -k 2 --alpha -1
expect_rc "--alpha -1" 1
run fit lda "$TRAIN" -k 2 --algorithm sideways
expect_rc "--algorithm sideways" 1
expect_err "--algorithm sideways" "sideways"
run fit lda "$TD/lda_err_range.docword.txt" -k 2
expect_rc "bad corpus" 2
expect_err "bad corpus" "lda_err_range.docword.txt:5: wordID 9 out of range"
run fit lda "$TD/lda_err_pairs.ldac" -k 2
expect_rc "bad LDA-C" 2
expect_err "bad LDA-C" "lda_err_pairs.ldac:2:"
run fit lda "$TD/lda_ok.docword.txt" --vocab "$TD/lda_err_dup.vocab.txt" -k 2
expect_rc "bad vocabulary" 2
expect_err "bad vocabulary" "repeats line 1"
run fit lda "$TRAIN" --vocab "$TD/lda_ok.vocab.txt" -k 2
expect_rc "corpus larger than the vocabulary" 2
expect_err "corpus larger than the vocabulary" "vocabulary has 5"
run score m1.json "$TD/no_such.txt"
expect_rc "missing corpus" 2
run transform nosuch.json "$TEST"
expect_rc "missing model" 2
rm -f m1.lambda.npy
run topics m1.json
expect_rc "missing .npy" 2
expect_err "missing .npy" "m1.lambda.npy"
run topics
expect_rc "topics without MODEL" 1
run corpus "$TD/lda_texts"
expect_rc "corpus without -o" 1
run transform --help
expect_rc "transform --help" 0
expect_out "transform --help" "usage: vem transform"

# ---- options and models of other kinds and commands ----

# --stream: the corpus read a block of documents at a time from temporary files; the same
# model as in memory, bit for bit, with every algorithm (online: the sparse steps too).
totals() { "$PY" -c 'import json; d = json.load(open("out")); print(repr([d["objective"], d["n_units"], d["n_obs"], d["alpha"]]))'; }
for alg in batch stepwise incremental; do
    run fit lda "$TRAIN" --vocab "$VOCAB" -k 5 --algorithm $alg --passes 3 --tol 0 --alpha auto --json
    totals >mem.txt
    run fit lda "$TRAIN" --vocab "$VOCAB" -k 5 --algorithm $alg --passes 3 --tol 0 --alpha auto --json --stream
    expect_rc "fit lda --stream ($alg)" 0
    totals >str.txt
    check "fit lda --stream ($alg): the in-memory model" cmp -s mem.txt str.txt
done
run fit lda "$SMALL" -k 2 --stream --warm-gamma
expect_rc "fit lda --stream --warm-gamma" 1
expect_err "fit lda --stream --warm-gamma" "not with --stream"
run fit lda "$SMALL" -k 2 --covariance full
expect_rc "fit lda --covariance" 1
expect_err "fit lda --covariance" "'--covariance'"
run fit lda "$SMALL" -k 2 --top 3
expect_rc "fit lda --top" 1
expect_err "fit lda --top" "'--top'"
run info small.json --proba
expect_rc "info --proba" 1
expect_err "info --proba" "'--proba' does not apply to info"
run score small.json "$SMALL" --gamma
expect_rc "score --gamma" 1
expect_err "score --gamma" "'--gamma' does not apply to score"
run corpus "$TD/lda_texts" -o x --alpha 2
expect_rc "corpus --alpha" 1
expect_err "corpus --alpha" "'--alpha' does not apply to corpus"
"$VEM" fit gmm "$DATA/faithful.csv" -k 2 -o gmm.json >/dev/null 2>&1
run topics gmm.json
expect_rc "topics of a GMM model" 1
expect_err "topics of a GMM model" "gmm"
run transform gmm.json "$SMALL"
expect_rc "transform of a GMM model" 1
run predict small.json "$DATA/faithful.csv"
expect_rc "predict of an LDA model" 1
expect_err "predict of an LDA model" "'lda' model"

finish
