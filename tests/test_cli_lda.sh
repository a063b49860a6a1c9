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
assert len(j["trace"]) == 4 and all(b >= a for a, b in zip(j["trace"], j["trace"][1:]))
assert len(j["estep_converged"]) == 4 and j["monotonicity_violations"] == 0
assert len(j["topics"]) == 8 and len(j["topics"][0]) == 10' out
cp out fit1.json
run fit lda "$TRAIN" --vocab "$VOCAB" -k 8 --passes 4 --tol 0 --seed 3 --threads 2 -o m2.json --json
expect_rc "fit lda, 2 threads" 0
pycheck "1 and 2 threads give the same ELBO bits" "" 'a, b = load(1), load(2)
assert a["elbo"] == b["elbo"] and a["trace"] == b["trace"]' fit1.json out
check "1 and 2 threads give the same lambda bits" cmp -s m1.lambda.npy m2.lambda.npy

run score m1.json "$TEST" --json --completion
expect_rc "score lda" 0
pycheck "score JSON" '"perplexity"' 'import math
j = load(); assert j["n_docs"] == 50 and j["n_tokens"] == 36580
assert close(j["perplexity"], math.exp(-j["bound_per_word"]), 1e-12)
assert close(j["bound_per_word"] * j["n_tokens"], j["bound"], 1e-12)
assert 1000 < j["perplexity"] < 20000 and 1000 < j["completion_perplexity"] < 20000' out
cp out score1.json
run score m1.json "$BROWN/brown.test.ldac" --json --threads 2
expect_rc "score LDA-C" 0
pycheck "LDA-C and UCI give the same bound" "" 'assert load(1)["bound"] == load(2)["bound"]' score1.json out
run score m1.json "$TEST"
expect_rc "score text" 0
expect_out "score text" "perplexity"

run topics m1.json --top 5
expect_rc "topics" 0
check "topics: one line per topic" test "$(grep -c '^topic' out)" -eq 8
run topics m1.json --top 5 --coherence "$TRAIN" --json
expect_rc "topics --coherence" 0
pycheck "topics JSON" '"coherence"' 'j = load(); assert len(j["topics"]) == 8 and len(j["topics"][0]) == 5
assert len(j["coherence"]) == 8 and all(c <= 0 for c in j["coherence"])' out

run transform m1.json "$TEST"
expect_rc "transform" 0
pycheck "transform rows sum to 1" "" 'rows = [list(map(float, l.split(","))) for l in open(sys.argv[1])]
assert len(rows) == 50 and all(len(r) == 8 and abs(sum(r) - 1) < 1e-9 for r in rows)' out

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
expect_out "fit the built corpus" "topic  1:"

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

finish
