#!/bin/sh
# The front end as one table (issue 12): every `fit KIND --help` lists the common
# options under the same names, every option a help lists is accepted, options of
# other kinds or commands are refused by name (exit 1), unknown ones get a
# suggestion, `--opt=value` and `-k=2` work, a model file of the wrong kind for a
# command is a usage error (exit 1), and `vem help X` is `vem X --help`.
NAME=cli_options
. "$(dirname "$0")/harness.sh"

KINDS="gmm hmm lda vbgmm blr"
FAITHFUL=$DATA/faithful.csv

# The engine options, as the generic `vem help fit` lists them.
run help fit
expect_rc "vem help fit" 0
cp out help_fit.txt
engine=$(sed -n '/^engine options/,$p' help_fit.txt | grep -o -e '--[a-z][a-z-]*' | sort -u)
check "vem help fit lists the engine options" test "$(echo "$engine" | wc -l)" -ge 18
for o in --n-init --max-iter --passes --tol --seed --threads --algorithm --batch-size --kappa \
    --tau --n-blocks --stream --init-model --eval-passes --trace-steps --mpi --output --verbose \
    --trace; do
    check "vem help fit lists $o" grep -q -e "$o" help_fit.txt
done

for kind in $KINDS; do
    run help fit $kind
    expect_rc "vem help fit $kind" 0
    cp out help_$kind.txt
    run fit $kind --help
    check "vem fit $kind --help is vem help fit $kind" cmp -s out help_$kind.txt
    run fit $kind -h
    check "vem fit $kind -h is vem help fit $kind" cmp -s out help_$kind.txt
    # Every engine option: listed for this kind, or refused as not applying to it.
    for o in $engine; do
        if grep -q -e "  $o\b" -e ", $o\b" help_$kind.txt; then
            pass
        else
            run fit $kind $o 1
            expect_rc "fit $kind $o (not listed)" 1
            expect_err "fit $kind $o (not listed)" "does not apply to fit $kind"
        fi
    done
    for o in --max-iter --tol --threads --output --json --verbose --help; do
        check "fit $kind --help lists $o" grep -q -e "$o\b" help_$kind.txt
    done
    # Restarts and seeds: every kind but the regression (deterministic, one start).
    if [ $kind != blr ]; then
        for o in --n-init --seed --algorithm; do
            check "fit $kind --help lists $o" grep -q -e "$o\b" help_$kind.txt
        done
    fi
    # Every option listed is accepted: whatever else fails, not the option's name.
    for o in $(grep -o -e '^  -., --[a-z][a-z-]*' -e '^  --[a-z][a-z-]*' help_$kind.txt |
        grep -o -e '--[a-z][a-z-]*'); do
        [ "$o" = --help ] && continue
        run fit $kind $o 1
        if grep -q -e "unknown option" -e "does not apply" err; then
            fail "fit $kind $o: listed but refused: $(errtext)"
        else
            pass
        fi
    done
done

# Options of another kind or command: exit 1, naming the option.
run fit gmm "$FAITHFUL" -k 2 --target x
expect_rc "fit gmm --target" 1
expect_err "fit gmm --target" "'--target' does not apply to fit gmm"
run fit vbgmm "$FAITHFUL" -k 2 --ard --target x
expect_rc "fit vbgmm --ard" 1
expect_err "fit vbgmm --ard" "'--ard' does not apply to fit vbgmm"
run fit blr "$FAITHFUL" --target waiting --weight-prior dp -k 7
expect_rc "fit blr --weight-prior" 1
expect_err "fit blr --weight-prior" "'--weight-prior' does not apply to fit blr"
run fit hmm "$FAITHFUL" --states 2 --emission gaussian --warm-gamma
expect_rc "fit hmm --warm-gamma" 1
expect_err "fit hmm --warm-gamma" "'--warm-gamma' does not apply to fit hmm"
run fit lda x.docword.txt -k 2 --covariance full
expect_rc "fit lda --covariance" 1
expect_err "fit lda --covariance" "'--covariance' does not apply to fit lda"

# Unknown options: a suggestion when one is near.
run fit gmm "$FAITHFUL" -k 2 --covarance diag
expect_rc "fit gmm --covarance" 1
expect_err "fit gmm --covarance" "did you mean --covariance?"
run fit gmm "$FAITHFUL" -k 2 --no-such-thing
expect_rc "fit gmm --no-such-thing" 1
expect_err "fit gmm --no-such-thing" "unknown option '--no-such-thing'"

# --opt=value and -k=2 everywhere (the same JSON but for the times).
untimed() { sed 's/"seconds":[^,}]*//g' out >"$1"; }
run fit gmm "$FAITHFUL" -k 2 --json
untimed k_space.json
run fit gmm "$FAITHFUL" -k=2 --json
expect_rc "fit gmm -k=2" 0
untimed k_eq.json
check "-k=2 is -k 2" cmp -s k_eq.json k_space.json
run fit gmm "$FAITHFUL" --components=2 --max-iter=10000 --tol=1e-8 --json -o=model.json
expect_rc "fit gmm --opt=value" 0
untimed opt_eq.json
check "--opt=value is --opt value" cmp -s opt_eq.json k_space.json
run fit gmm "$FAITHFUL" -k2 --json
untimed k_attached.json
check "-k2 is -k 2" cmp -s k_attached.json k_space.json
check "-o=FILE wrote the model" test -s model.json

# A model file of the wrong kind for a command: a usage error.
run info model.json --proba
expect_rc "info --proba" 1
expect_err "info --proba" "'--proba' does not apply to info"
run decode model.json "$FAITHFUL"
expect_rc "decode on a gmm model" 1
expect_err "decode on a gmm model" "takes a model of kind hmm"
run topics model.json
expect_rc "topics on a gmm model" 1
run transform model.json "$FAITHFUL"
expect_rc "transform on a gmm model" 1
run fit nosuch "$FAITHFUL"
expect_rc "fit of an unknown kind" 1
expect_err "fit of an unknown kind" "unknown kind of model 'nosuch'"

# vem help X is vem X --help for every command.
for c in fit predict score sample info decode transform topics corpus; do
    run help $c
    expect_rc "vem help $c" 0
    cp out help_cmd.txt
    run $c --help
    expect_rc "vem $c --help" 0
    check "vem $c --help is vem help $c" cmp -s out help_cmd.txt
done

# Exit statuses, one rule for every command: usage errors 1, bad input 2.
run fit hmm "$FAITHFUL" --states 2 --emission gaussian -o hmm.json
run corpus "$ROOT/tests/data/lda_texts" -o corp
run fit lda corp.docword.txt --vocab corp.vocab.txt -k 2 -o lda.json
run fit vbgmm "$FAITHFUL" -k 2 -o vbgmm.json
run fit blr "$FAITHFUL" --target waiting -o blr.json
check "models for the exit-status checks" test -s hmm.json -a -s lda.json -a -s vbgmm.json -a -s blr.json
printf 'eruptions,waiting\nx,x\n' >bad.csv
for c in "fit gmm bad.csv -k 1" "fit hmm bad.csv --states 1 --emission gaussian" \
    "fit lda bad.csv -k 2" "fit vbgmm bad.csv -k 1" "fit blr bad.csv --target waiting" \
    "predict model.json bad.csv" "score model.json bad.csv" "predict hmm.json bad.csv" \
    "decode hmm.json bad.csv" "score hmm.json bad.csv" "score lda.json bad.csv" \
    "transform lda.json bad.csv" "predict vbgmm.json bad.csv" "score vbgmm.json bad.csv" \
    "predict blr.json bad.csv" "score blr.json bad.csv" "info nosuch.json" "sample nosuch.json -n 2" \
    "topics nosuch.json" "corpus nosuch-dir -o x"; do
    # shellcheck disable=SC2086
    run $c
    expect_rc "bad input: vem $c" 2
    # shellcheck disable=SC2086
    run $c --no-such-option
    expect_rc "usage error: vem $c --no-such-option" 1
done
for m in model.json hmm.json lda.json vbgmm.json blr.json; do
    run info $m
    expect_rc "info $m" 0
    run info $m extra-operand
    expect_rc "info $m extra-operand: usage error" 1
done

# A command of one kind refusing an option its command takes for another kind says which.
run score lda.json corp.docword.txt --columns 1
expect_rc "score lda --columns" 1
expect_err "score lda --columns" "does not apply to score of lda models (it is an option of score "
run score model.json "$FAITHFUL" --threads 2
expect_rc "score gmm --threads" 1
expect_err "score gmm --threads" "does not apply to score of gmm models (it is an option of score lda)"

# Engine options that belong to another algorithm, named.
run fit gmm "$FAITHFUL" -k 2 --algorithm stepwise --n-blocks 3
expect_rc "stepwise --n-blocks" 1
expect_err "stepwise --n-blocks" "--n-blocks applies to --algorithm incremental"
run fit gmm "$FAITHFUL" -k 2 --algorithm incremental --batch-size 3
expect_rc "incremental --batch-size" 1
expect_err "incremental --batch-size" "--batch-size applies to --algorithm stepwise"
run fit gmm "$FAITHFUL" -k 2 --blocks 3
expect_rc "batch --blocks" 1
expect_err "batch --blocks" "--n-blocks applies to --algorithm incremental (the algorithm is batch)"
run fit gmm "$FAITHFUL" -k 2 --algorithm stepwise --kappa 0.5
expect_rc "--kappa 0.5" 1
check "--kappa 0.5: one message" test "$(grep -c kappa err)" -eq 1
run fit blr "$FAITHFUL" --target waiting --prune-threshold 5
expect_rc "blr --prune-threshold without --ard" 1
expect_err "blr --prune-threshold without --ard" "--prune-threshold applies to --ard"
run fit lda corp.docword.txt --vocab corp.vocab.txt -k 2 --dense-steps
expect_rc "lda --dense-steps, batch" 1
expect_err "lda --dense-steps, batch" "--dense-steps applies to --algorithm stepwise"

# --init-model: a model of another kind is a usage error; one start, so no --n-init.
for c in "gmm $FAITHFUL -k 2 --init-model lda.json" \
    "hmm $FAITHFUL --init-model model.json" "lda corp.docword.txt -k 2 --init-model model.json" \
    "vbgmm $FAITHFUL -k 2 --init-model model.json" "blr $FAITHFUL --target waiting --init-model vbgmm.json"; do
    # shellcheck disable=SC2086
    run fit $c
    expect_rc "fit $c" 1
    expect_err "fit $c" "model, not a '${c%% *}' one"
done
run fit gmm "$FAITHFUL" --init-model model.json --n-init 3
expect_rc "fit gmm --init-model --n-init 3" 1
run fit hmm "$FAITHFUL" --init-model hmm.json --n-init 3
expect_rc "fit hmm --init-model --n-init 3" 1
run fit lda corp.docword.txt -k 2 --init-model lda.json --n-init 3
expect_rc "fit lda --init-model --n-init 3" 1
run fit gmm "$FAITHFUL" --init-model nosuch.json
expect_rc "fit gmm --init-model of a missing file: bad input" 2

# A model whose column names JSON cannot hold: --json fails (status 2), as -o does.
printf 'a\377,b\n1,2\n3,4\n5,6.5\n2,1\n' >latin1.csv
run fit gmm latin1.csv -k 1 --json
expect_rc "fit --json with a non-UTF-8 column name" 2
expect_quiet_stdout "fit --json with a non-UTF-8 column name"
expect_err "fit --json with a non-UTF-8 column name" "not valid UTF-8"

# README and vem help agree: every command, kind and engine option of the help is in README.
run help
cmds=$(sed -n '/^commands:/,/^$/p' out | awk 'NF > 1 {print $1}')
kinds=$(sed -n '/^kinds of model/,/^$/p' out | awk 'NR > 1 && NF > 1 {print $1}')
for c in $cmds; do
    check "README shows vem $c" grep -q -e "vem $c\b" "$ROOT/README.md"
done
for k in $kinds; do
    check "README shows vem fit $k" grep -q -e "fit $k\b" "$ROOT/README.md"
done
for o in $engine; do
    check "README names $o" grep -q -e "\`$o\`" -e "\`$o " "$ROOT/README.md"
done

# SIGINT: exit status 130, said on stderr.
pycheck "SIGINT gives exit status 130" "" '
import signal, subprocess, time
p = subprocess.Popen([sys.argv[1], "fit", "gmm", sys.argv[2], "-k", "30", "--max-iter", "100000",
                      "--tol", "0", "--threads", "1"],
                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
time.sleep(0.3)
p.send_signal(signal.SIGINT)
_, err = p.communicate()
assert p.returncode == 130, (p.returncode, err)
assert b"vem: interrupted" in err, err
' "$VEM" "$DATA/digits.csv"

finish
