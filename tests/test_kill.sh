#!/bin/sh
# tests/test_kill.sh — every output written with -o survives kill -9 at any moment
# (docs/reliability.md, "Atomic outputs").
#
#     sh tests/test_kill.sh PATH/TO/vem REPO_ROOT          # KILL_TRIALS=8 per command (CI)
#     KILL_TRIALS=50 sh tests/test_kill.sh PATH/TO/vem REPO_ROOT
#
# For each writing command (fit gmm, fit lda and fit vae: JSON + .npy, fit hmm, fit vbgmm,
# fit blr, corpus: docword + vocabulary; predict, decode, score, transform write no files) it
# writes version A of the output, then starts the command that writes version B over it
# and kills it with SIGKILL: most trials at a random moment inside the write (after
# the first temporary appears, within the write's measured length), the others at a
# random moment of the whole run. After each kill the output must be the whole of A or
# the whole of B (checksums of the files, the .npy the JSON names, the docword and
# vocabulary as a pair; `vem info` loads a model), and the next write of the output
# (A again) must leave no temporary of the killed one behind. Prints, per command, the
# trials, how many kills left a temporary (landed inside the write), how many found A
# or B, and the corrupt outputs (must be 0). Needs python3.

NAME=kill
. "$(dirname "$0")/harness.sh"
[ -n "$PY" ] || finish
TRIALS=${KILL_TRIALS:-8}

cat >kill.py <<'EOF'
import hashlib, json, os, random, re, signal, subprocess, sys, time

vem, trials = sys.argv[1], int(sys.argv[2])
rng = random.Random(15)
bad = []

# ---- data: outputs of about 1-3 MB, so that a write takes milliseconds ----
r = random.Random(1)
with open("g.csv", "w") as f:
    d = 100
    f.write(",".join("x%d" % j for j in range(d)) + "\n")
    for i in range(500):
        f.write(",".join("%.6f" % r.gauss((i % 3) * 2, 1) for j in range(d)) + "\n")
words = ["".join(r.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(r.randint(3, 9)))
         for _ in range(30000)]
with open("texts.txt", "w") as f:
    for i in range(2000):
        f.write(" ".join(r.choice(words) for _ in range(120)) + "\n")

def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()

TMP = re.compile(r"\.vem-tmp\.\d+\.[A-Za-z0-9]{6}$")

# Each kind: the two commands (A, B) for output directory D, the state of the output
# (a hashable value, None when absent), the leftovers of a write.
def json_kind(fit):
    def cmds(d):
        return [fit(d, 1), fit(d, 2)]
    def state(d):
        p = d + "/out.json"
        if not os.path.exists(p):
            return None
        ok = subprocess.run([vem, "info", p], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL).returncode == 0
        return (sha(p), ok)
    def leftovers(d):
        return [n for n in os.listdir(d) if TMP.search(n)]
    return cmds, state, leftovers

def fit_gmm(d, s):
    return [vem, "fit", "gmm", "g.csv", "-k", "3", "--init", "kmeans", "--max-iter", "2",
            "--tol", "0", "--seed", str(s), "--threads", "1", "-o", d + "/out.json"]
def fit_hmm(d, s):
    return [vem, "fit", "hmm", "g.csv", "-k", "6", "--emission", "gaussian", "--max-iter",
            "1", "--tol", "0", "--seed", str(s), "--threads", "1", "-o", d + "/out.json"]
def fit_vbgmm(d, s):
    return [vem, "fit", "vbgmm", "g.csv", "-k", "3", "--max-iter", "2", "--tol", "0",
            "--seed", str(s), "--threads", "1", "-o", d + "/out.json"]
def fit_blr(d, s):
    return [vem, "fit", "blr", "g.csv", "--target", "x%d" % s, "--max-iter", "5",
            "--threads", "1", "-o", d + "/out.json"]

brown = os.environ["DATA"] + "/brown"
def lda_cmds(d):
    return [[vem, "fit", "lda", brown + "/docword.brown.test.txt", "--vocab",
             brown + "/vocab.brown.txt", "-k", "40", "--passes", "1", "--tol", "0",
             "--seed", str(s), "--threads", "1", "-o", d + "/out.json"] for s in (1, 2)]
def lda_state(d):
    p = d + "/out.json"
    if not os.path.exists(p):
        return None
    with open(p) as f:
        j = json.load(f)
    npy = d + "/" + j.pop("lambda_file")
    ok = subprocess.run([vem, "info", p], stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL).returncode == 0
    return (hashlib.sha256(json.dumps(j, sort_keys=True).encode()).hexdigest(),
            sha(npy) if os.path.exists(npy) else "missing", ok)
def lda_leftovers(d):
    named = None
    if os.path.exists(d + "/out.json"):
        with open(d + "/out.json") as f:
            named = json.load(f)["lambda_file"]
    return [n for n in os.listdir(d)
            if TMP.search(n) or (n.endswith(".npy") and n != named)]

# The VAE: the JSON and its parameters' .npy (params_file), committed as LDA's pair.
def vae_cmds(d):
    return [[vem, "fit", "vae", "g.csv", "--latent", "8", "--hidden", "300", "--epochs", "1",
             "--likelihood", "gaussian", "--seed", str(s), "--threads", "1",
             "-o", d + "/out.json"] for s in (1, 2)]
def vae_state(d):
    p = d + "/out.json"
    if not os.path.exists(p):
        return None
    with open(p) as f:
        j = json.load(f)
    npy = d + "/" + j.pop("params_file")
    ok = subprocess.run([vem, "info", p], stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL).returncode == 0
    return (hashlib.sha256(json.dumps(j, sort_keys=True).encode()).hexdigest(),
            sha(npy) if os.path.exists(npy) else "missing", ok)
def vae_leftovers(d):
    named = None
    if os.path.exists(d + "/out.json"):
        with open(d + "/out.json") as f:
            named = json.load(f)["params_file"]
    return [n for n in os.listdir(d)
            if TMP.search(n) or (n.endswith(".npy") and n != named)]

def corpus_cmds(d):
    return [[vem, "corpus", "texts.txt", "-o", d + "/c", "--min-df", str(s)] for s in (1, 2)]
def corpus_state(d):
    p, q = d + "/c.docword.txt", d + "/c.vocab.txt"
    if not os.path.exists(p) and not os.path.exists(q):
        return None
    ok = os.path.exists(p) and os.path.exists(q)
    return (sha(p) if os.path.exists(p) else "missing", sha(q) if os.path.exists(q) else "missing",
            ok)
def corpus_leftovers(d):
    live = os.readlink(d + "/c.corpus") if os.path.islink(d + "/c.corpus") else None
    return [n for n in os.listdir(d)
            if TMP.search(n) or (re.fullmatch(r"c\.corpus\.[A-Za-z0-9]{6}", n) and n != live)]

KINDS = [("fit gmm", *json_kind(fit_gmm)), ("fit lda", lda_cmds, lda_state, lda_leftovers),
         ("fit hmm", *json_kind(fit_hmm)), ("fit vbgmm", *json_kind(fit_vbgmm)),
         ("fit blr", *json_kind(fit_blr)), ("fit vae", vae_cmds, vae_state, vae_leftovers),
         ("corpus", corpus_cmds, corpus_state, corpus_leftovers)]

def writing(d, before):
    """A name that was not there before the run: the write has begun."""
    return any(n not in before for n in os.listdir(d))

def run_whole(cmd):
    return subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

def timed(cmd, d, leftovers):
    """Run cmd to the end; (seconds from the first new name to the last moment a
    temporary was seen, or None; seconds in all)."""
    before = set(os.listdir(d))
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first = last = None
    while p.poll() is None:
        now = time.monotonic()
        if first is None and writing(d, before):
            first = now
        if first is not None and leftovers(d):
            last = time.monotonic()
    return (last - first if first is not None and last is not None else None,
            time.monotonic() - t0)

total_corrupt = 0
for name, cmds, state, leftovers in KINDS:
    d = "k_" + name.replace(" ", "_")
    os.mkdir(d)
    a_cmd, b_cmd = cmds(d)
    # The two versions, and how long B's write takes (from its first temporary to the end).
    if run_whole(b_cmd).returncode != 0:
        bad.append(name + ": B fails"); continue
    sb = state(d)
    windows, totals = [], []
    for _ in range(3):
        if run_whole(a_cmd).returncode != 0:
            break
        window, total = timed(b_cmd, d, leftovers)
        totals.append(total)
        if window is not None:
            windows.append(window)
    rc = run_whole(a_cmd).returncode
    sa = state(d)
    if rc != 0 or sa == sb or not sa[-1] or not sb[-1]:
        bad.append("%s: versions A and B not distinct and loadable" % name); continue
    win = max(windows) if windows else 0.005
    tot = max(totals)
    n_during = n_a = n_b = corrupt = unclean = 0
    for t in range(trials):
        # Reset to A by a whole write, which must also remove the killed run's leftovers.
        res = run_whole(a_cmd)
        left = leftovers(d)
        if res.returncode != 0 or state(d) != sa or left:
            unclean += 1
            bad.append("%s trial %d: rewriting A: rc %d, leftovers %s, %s" %
                       (name, t, res.returncode, left, res.stderr.decode()[:200]))
            continue
        before = set(os.listdir(d))
        p = subprocess.Popen(b_cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if rng.random() < 0.8:  # inside the write: after the first temporary appears
            while p.poll() is None and not writing(d, before):
                pass
            time.sleep(rng.uniform(0, win))
        else:  # anywhere in the run
            time.sleep(rng.uniform(0, tot))
        try:
            p.send_signal(signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()
        left = leftovers(d)
        s = state(d)
        if left:
            n_during += 1
        if s == sa:
            n_a += 1
        elif s == sb:
            n_b += 1
        else:
            corrupt += 1
            bad.append("%s trial %d: output is neither A nor B: %s (leftovers %s)" %
                       (name, t, s, left))
    # The last kill's leftovers go with the next write.
    res = run_whole(a_cmd)
    if res.returncode != 0 or state(d) != sa or leftovers(d):
        unclean += 1
        bad.append("%s: the final write left %s" % (name, leftovers(d)))
    # Signals that can be caught: the temporaries go at once, the output stays whole.
    n_sig, n_late, sig_trials = 0, 0, max(3, trials // 2)
    for t in range(sig_trials):
        sig = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)[t % 3]
        run_whole(a_cmd)
        before = set(os.listdir(d))
        p = subprocess.Popen(b_cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        while p.poll() is None and not writing(d, before):
            pass
        time.sleep(rng.uniform(0, win))
        try:
            p.send_signal(sig)
        except ProcessLookupError:
            pass
        rc = p.wait()
        s, left = state(d), leftovers(d)
        want = 130 if sig == signal.SIGINT else -sig
        n_sig += rc == want and s == sa
        # A signal after the commit may come before the old version's files are removed:
        # what is left is the old version, never read, removed by the next write.
        n_late += bool(left) and s == sb
        if s not in (sa, sb):
            corrupt += 1
        if (left and s != sb) or s not in (sa, sb) or rc not in (0, want):
            unclean += s in (sa, sb)
            bad.append("%s: %s: exit %d, leftovers %s, output %s" %
                       (name, signal.Signals(sig).name, rc, left,
                        "A" if s == sa else "B" if s == sb else s))
    total_corrupt += corrupt
    print("%-9s %d trials: %d kills inside the write (a temporary left), %d found A, %d found B, "
          "%d corrupt, %d failures to clean up (write window %.1f ms of %.0f ms)" %
          (name + ":", trials, n_during, n_a, n_b, corrupt, unclean, win * 1e3, tot * 1e3))
    print("%-9s %d SIGTERM/SIGINT/SIGHUP: %d inside the write (exit by the signal, A kept, "
          "nothing left), %d after the commit left the old version's files" %
          (name + ":", sig_trials, n_sig, n_late))
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad or total_corrupt else 0)
EOF

if DATA=$DATA "$PY" kill.py "$VEM" "$TRIALS"; then pass; else fail "kill.py: a corrupt output or files left"; fi

# ---- what the next write removes, and what it keeps ----
G="fit gmm g.csv -k 2 --init kmeans --max-iter 2 --tol 0 --seed 1 --threads 1"
: >x.json.vem-tmp.999999999.abcdef  # a PID no process has (above pid_max)
: >x.json.vem-tmp.$$.abcdef         # this shell's: a live writer's
: >x.json.tmp.abcdef                # the name of earlier versions of vem
: >x.json.vem-tmp.999999999.ABCDEF.keep  # not of the pattern
touch -d '1 hour ago' x.json.vem-tmp.999999999.abcdef x.json.vem-tmp.$$.abcdef x.json.tmp.abcdef \
    x.json.vem-tmp.999999999.ABCDEF.keep
run $G -o x.json
expect_rc "fit gmm -o x.json" 0
check "a dead writer's temporary is removed" test ! -e x.json.vem-tmp.999999999.abcdef
check "an old-style temporary is removed" test ! -e x.json.tmp.abcdef
check "a live writer's temporary is kept" test -e x.json.vem-tmp.$$.abcdef
check "a name outside the pattern is kept" test -e x.json.vem-tmp.999999999.ABCDEF.keep

L="fit lda $DATA/brown/docword.brown.test.txt -k 3 --passes 1 --tol 0 --seed 1 --threads 1"
for i in 1 2 3; do run $L -o l.json; expect_rc "fit lda -o l.json ($i)" 0; done
check "three saves leave one .npy" test "$(ls l.lambda*.npy | wc -l)" -eq 1
check "the .npy is the one the JSON names" \
    grep -q "\"lambda_file\": \"$(ls l.lambda*.npy)\"" l.json
run info l.json
expect_rc "the model loads" 0

printf 'the cat sat\nthe dog ran\n' >t.txt
echo "old docword" >p.docword.txt
echo "old vocab" >p.vocab.txt
run corpus t.txt -o p
expect_rc "corpus over regular files" 0
check "the names become links" test -L p.docword.txt -a -L p.vocab.txt -a -L p.corpus
check "the new vocabulary" grep -qx sat p.vocab.txt
check "one generation left" test "$(ls -d p.corpus.* | wc -l)" -eq 1
mkdir q.corpus
run corpus t.txt -o q
expect_rc "a PREFIX.corpus that is not a link is refused" 2

finish
