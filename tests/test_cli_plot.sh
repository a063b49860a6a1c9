#!/bin/sh
# tests/test_cli_plot.sh — `vem plot` end to end (docs/plots.md): every kind drawn from the
# bundled data, and what a person would see checked as numbers: the PNG's size (its IHDR),
# that it is not blank, the palette colours inside each panel's frame (as many component,
# state or topic colours as the model has, and no other), the axes' names and nice ticks,
# and the kind's numbers against the commands that compute them (predict, decode, topics,
# the selection's choice). SVG must pass xmllint --noout, PDF pdfinfo. Bad input: a column
# that does not exist, a kind of plot that does not fit the model, an output that cannot
# be written, a missing DATA. tools/make_plots.sh (the pictures of docs/plots.md) runs too.
#
#     sh tests/test_cli_plot.sh PATH/TO/vem REPO_ROOT
#
# PNGs are decoded by tests/pngstat.py (python3's zlib and struct). A vem built without
# cairo fails this test unless it was configured so on purpose (-DVEM_WITH_CAIRO=OFF), where
# the test checks the command's refusal instead; xmllint and pdfinfo missing fail it
# (tools/install-deps.sh installs libcairo2-dev, libxml2-utils and poppler-utils).

NAME=cli_plot
. "$(dirname "$0")/harness.sh"
FAITHFUL=$DATA/faithful.csv
PENGUINS=$DATA/penguins.csv
WEATHER=$DATA/seattle-weather.csv
BROWN=$DATA/brown
PENGUIN_COLS=beak_length_mm,beak_depth_mm,flipper_length_mm,body_mass_g
# The Okabe-Ito palette in the order series take it.
PALETTE="#E69F00 #56B4E9 #009E73 #0072B2 #D55E00 #CC79A7 #F0E442 #000000"

# ---- a vem without cairo ----
"$VEM" --version >version 2>&1
if grep -q '^plots: none' version; then
    run plot classification m.json "$FAITHFUL" -o p.png
    expect_rc "without cairo: plot refused" 1
    expect_err "without cairo: how to build it" "install libcairo2-dev"
    expect_err "without cairo: how to build it" "configure again"
    check "without cairo: nothing written" test ! -e p.png
    if ! grep -q 'VEM_WITH_CAIRO=OFF' version; then
        fail "this vem was built without cairo: install libcairo2-dev (sh tools/install-deps.sh) and configure again"
    fi
    finish
fi
check "--version names cairo" grep -q '^plots: cairo 1\.' version
for tool in xmllint pdfinfo; do
    command -v $tool >/dev/null 2>&1 ||
        fail "$tool is missing (libxml2-utils, poppler-utils: sh tools/install-deps.sh)"
done

# plotcheck WHAT CODE PNG JSON: python CODE with d the plot's --json (JSON), png(box,
# colours) pngstat.stats of PNG, frame(i) panel i's frame, PALETTE the palette, k_in(st, n)
# "the first n palette colours are in st's counts (each more than 20 pixels) and no other".
plotcheck() {
    what=$1
    code=$2
    shift 2
    pycheck "$what" "" "sys.path.insert(0, '$ROOT/tests')
import pngstat
d = load(2)
PALETTE = '$PALETTE'.split()
def png(box=None, colours=()):
    return pngstat.stats(sys.argv[1], box, colours)
def frame(i=0):
    return d['panels'][i]['frame']
def k_in(st, n):
    c = st['counts']
    got = [p for p in PALETTE if c.get(p, 0) > 20]
    assert got == PALETTE[:n], 'palette colours %s, want %s' % (got, PALETTE[:n])
    return True
def nice(ticks):
    import math
    step = ticks[1] - ticks[0]
    m = step / 10 ** math.floor(math.log10(step) + 1e-9)
    assert min(abs(m - v) for v in (1, 2, 5)) < 1e-9, 'step %r' % step
    assert all(abs(b - a - step) < 1e-9 * step for a, b in zip(ticks, ticks[1:]))
    assert all(abs(t / step - round(t / step)) < 1e-6 for t in ticks)
    return True
$code" "$@"
}

# ---- models fitted on the bundled data ----
"$VEM" fit gmm "$FAITHFUL" -k 2 -o faithful.json --json >fit_faithful.json ||
    fail "fit gmm faithful"
"$VEM" fit gmm "$PENGUINS" -k 3 --covariance VEV --columns "$PENGUIN_COLS" -o penguins.json \
    >/dev/null || fail "fit gmm penguins"
"$VEM" fit vbgmm "$FAITHFUL" -k 4 -o vb.json >/dev/null || fail "fit vbgmm"

# ---- classification ----
run plot classification faithful.json "$FAITHFUL" -o class.png --json
expect_rc "classification" 0
cp out class.json
"$VEM" predict faithful.json "$FAITHFUL" >labels.txt
plotcheck "classification: what a person sees" 'import collections
st = png(frame(), PALETTE)
assert st["width"] == 640 and st["height"] == 480
assert png()["distinct"] > 200 and st["non_white"] > 5000
assert k_in(st, 2)
p = d["panels"][0]
assert len(d["panels"]) == 1 and p["x_label"] == "eruptions" and p["y_label"] == "waiting"
assert p["x_ticks"] == [2, 3, 4, 5] and p["y_ticks"] == [50, 60, 70, 80, 90]
assert nice(p["x_ticks"]) and nice(p["y_ticks"])
assert p["x_range"][0] < 1.6 < 5.1 < p["x_range"][1] and p["y_range"][0] < 43 < 96 < p["y_range"][1]
assert d["colours"] == PALETTE[:2] and d["components"] == 2 and d["n_rows"] == 272
assert d["model"] == "gmm" and d["plot"] == "classification" and d["format"] == "png"
assert d["width"] == 640 and d["height"] == 480 and d["units"] == "pixels"
want = collections.Counter(int(l) for l in open("labels.txt"))
assert d["counts"] == [want[0], want[1]], (d["counts"], want)
m = json.load(open("faithful.json"))
for q in range(2):
    e = d["ellipses"][q]
    c = m["covariances"][q]
    assert e == [m["means"][q][0], m["means"][q][1], c[0][0], c[0][1], c[1][1]]' class.png class.json

run plot classification faithful.json "$FAITHFUL" -o big.png --width 800 --height 600 --title ""
expect_rc "classification --width --height" 0
pycheck "the PNG's IHDR has the size asked" "" 'import struct
b = open("big.png", "rb").read(24)
assert b[:8] == b"\x89PNG\r\n\x1a\n" and b[12:16] == b"IHDR"
assert struct.unpack(">II", b[16:24]) == (800, 600)' big.png
expect_out "the size said" "(800 x 600 pixels)"

run plot classification faithful.json "$FAITHFUL" --columns waiting,1 -o swapped.png --json
expect_rc "--columns by name and number" 0
pyjson "--columns swaps the axes" "" 'p = d["panels"][0]
assert p["x_label"] == "waiting" and p["y_label"] == "eruptions" and d["columns"] == ["waiting", "eruptions"]'

run plot classification penguins.json "$PENGUINS" --pairs -o pairs.png --json
expect_rc "classification --pairs" 0
cp out pairs.json
"$VEM" predict penguins.json "$PENGUINS" >penguin_labels.txt
plotcheck "pairs: 12 panels, each with the 3 components" 'import collections
want = collections.Counter(int(l) for l in open("penguin_labels.txt"))
assert png()["width"] == 720 and png()["height"] == 720
assert len(d["panels"]) == 12 and d["columns"] == ["beak_length_mm", "beak_depth_mm", "flipper_length_mm", "body_mass_g"]
for i, p in enumerate(d["panels"]):
    assert p["x_label"] != p["y_label"]
    assert k_in(png(p["frame"], PALETTE), 3), i
assert d["counts"] == [want[0], want[1], want[2]] and d["n_rows"] == 342' pairs.png pairs.json

run plot classification vb.json "$FAITHFUL" -o vb.png --json
expect_rc "classification of a vbgmm" 0
cp out vb.json.out
"$VEM" predict vb.json "$FAITHFUL" >vblabels.txt
plotcheck "vbgmm: the colours of the components used" 'import collections
want = collections.Counter(int(l) for l in open("vblabels.txt"))
assert d["model"] == "vbgmm" and d["counts"] == [want[q] for q in range(4)]
m = json.load(open("vb.json"))
used = [q for q in range(4) if m["mean_precision"][q] - m["mean_precision_prior"] >= 1]
assert d["drawn"] == used and len(used) == 2 and [q for q in range(4) if want[q]] == used
c = png(frame(), PALETTE)["counts"]
assert [q for q in range(8) if c.get(PALETTE[q], 0) > 20] == used' vb.png vb.json.out

# SVG and PDF: valid files of the size asked, in points.
run plot classification faithful.json "$FAITHFUL" -o class.svg
expect_rc "classification SVG" 0
expect_out "SVG in points" "(640 x 480 points)"
check "SVG passes xmllint" xmllint --noout class.svg
check "SVG's size in points" grep -q 'width="640pt" height="480pt"' class.svg
run plot density faithful.json "$FAITHFUL" -o dens.pdf --width 500 --height 400
expect_rc "density PDF" 0
check "PDF passes pdfinfo" sh -c 'pdfinfo dens.pdf >pdfinfo.txt'
check "PDF's page size" grep -q 'Page size: *500 x 400 pts' pdfinfo.txt

# ---- uncertainty ----
run plot uncertainty faithful.json "$FAITHFUL" -o unc.png --json
expect_rc "uncertainty" 0
cp out unc.json
"$VEM" predict faithful.json "$FAITHFUL" --proba >proba.csv
plotcheck "uncertainty: 1 - max responsibility" '
rows = [list(map(float, l.split(","))) for l in open("proba.csv")]
u = [1 - max(r) for r in rows]
assert abs(d["uncertainty_max"] - max(u)) < 1e-12 and abs(d["uncertainty_mean"] - sum(u) / len(u)) < 1e-12
assert k_in(png(frame(), PALETTE), 2)
c = png(frame(), PALETTE)["counts"]
k = json.load(open("class.json"))
cc = pngstat.stats("class.png", k["panels"][0]["frame"], PALETTE)["counts"]
assert c[PALETTE[0]] < cc[PALETTE[0]] and c[PALETTE[1]] < cc[PALETTE[1]]' unc.png unc.json

# ---- density ----
run plot density faithful.json "$FAITHFUL" -o dens.png --json
expect_rc "density" 0
cp out dens.json
plotcheck "density: each contour holds its share of the rows" 'import math
m = json.load(open("faithful.json"))
def f(x, y):
    s = 0
    for w, mu, c in zip(m["weights"], m["means"], m["covariances"]):
        det = c[0][0] * c[1][1] - c[0][1] ** 2
        dx, dy = x - mu[0], y - mu[1]
        q = (c[1][1] * dx * dx - 2 * c[0][1] * dx * dy + c[0][0] * dy * dy) / det
        s += w * math.exp(-q / 2) / (2 * math.pi * math.sqrt(det))
    return s
rows = [list(map(float, l.split(","))) for l in open(sys.argv[3]).read().split()[1:]]
fx = [f(*r) for r in rows]
lv = d["levels"]
assert len(lv) == 6 and lv == sorted(lv) and d["level_mass"] == [0.99, 0.95, 0.9, 0.75, 0.5, 0.25]
for level, mass in zip(lv, d["level_mass"]):
    inside = sum(v >= level for v in fx) / len(fx)
    assert abs(inside - mass) <= 1.0 / len(fx) + 1e-12, (level, mass, inside)
st = png(frame(), PALETTE + ["#222222"])
assert k_in(st, 2) and st["non_white"] > 3000' dens.png dens.json "$FAITHFUL"
run plot density faithful.json -o dens2.png --json
expect_rc "density without DATA" 0
pyjson "density without DATA: fractions of the peak" "" 'assert len(d["levels"]) == 5 and d["level_mass"] == [] and "counts" not in d
r = d["levels"][4] / d["levels"][0]
assert abs(r - 9) < 1e-9, r'

# ---- bic ----
run fit gmm "$FAITHFUL" -k 1-9 --covariance all --json
cp out selection.json
run plot bic selection.json -o bic.png --json
expect_rc "bic" 0
cp out bic.json
plotcheck "bic: 14 structures, the selection's choice ringed" '
sel = load(3)
ok = [c for c in sel["selection"] if c.get("bic") is not None]
best = min(ok, key=lambda c: c["bic"])
assert d["cells"] == len(ok) and len(d["structures"]) == 14
assert d["best"]["k"] == sel["n_components"] == best["k"] == 3
assert d["best"]["covariance"] == best["mclust"] == "EEE" and d["best"]["bic"] == best["bic"]
p = d["panels"][0]
assert p["x_label"] == "number of components K" and nice(p["x_ticks"]) and nice(p["y_ticks"])
assert all(t == int(t) for t in p["x_ticks"]) and p["x_range"][0] < 1 and p["x_range"][1] > 9
assert k_in(png(frame(), PALETTE), 7)' bic.png bic.json selection.json

# ---- trace ----
"$VEM" fit gmm "$FAITHFUL" -k 3 --init kmeans --n-init 3 --seed 2 --trace trace.csv >/dev/null
run plot trace trace.csv -o trace.png --json
expect_rc "trace from --trace CSV" 0
cp out trace.json
plotcheck "trace: one line per restart" 'import csv, collections
rows = list(csv.DictReader(open("trace.csv")))
n = collections.Counter(int(r["restart"]) for r in rows)
last = {}
for r in rows:
    last[int(r["restart"])] = float(r["objective_per_obs"])
assert [l["iterations"] for l in d["lines"]] == [n[0], n[1], n[2]]
assert [l["final"] for l in d["lines"]] == [last[0], last[1], last[2]]
assert d["best"] == max(range(3), key=lambda r: last[r]) and d["violations"] == 0
p = d["panels"][0]
assert p["x_label"] == "iteration" and all(t == int(t) for t in p["x_ticks"])
assert k_in(png(frame(), PALETTE), 3)' trace.png trace.json
run plot trace fit_faithful.json -o trace2.png --json
expect_rc "trace from --json" 0
pycheck "trace from --json: the kept restart" "" 'd, f = load(1), load(2)
assert len(d["lines"]) == 1 and d["lines"][0]["iterations"] == f["n_iter"] == len(f["trace"])
assert abs(d["lines"][0]["final"] - f["trace"][-1]["objective"] / f["n_obs"]) < 1e-12
assert d["model"] == "gmm"' out fit_faithful.json
# A decrease, as the engine flags one: marked.
{
    echo "label,restart,iter,step,objective,objective_per_obs,change,seconds,violation,validation,mc_samples,passes"
    echo ",0,1,0,-500,-5,0,0.1,0,,0,1"
    echo ",0,2,0,-420,-4.2,0.8,0.2,0,,0,2"
    echo ",0,3,0,-430,-4.3,-0.1,0.3,1,,0,3"
    echo ",0,4,0,-410,-4.1,0.2,0.4,0,,0,4"
} >viol.csv
run plot trace viol.csv -o viol.png --json
expect_rc "trace with a decrease" 0
cp out viol.json
plotcheck "trace: the decrease marked" '
assert d["violations"] == 1 and d["lines"][0]["iterations"] == 4
p = d["panels"][0]
assert p["y_ticks"][0] <= -4.9 and p["y_ticks"][-1] >= -4.2 and nice(p["y_ticks"])
assert png(frame(), ["#222222"])["counts"]["#222222"] > 20' viol.png viol.json
printf 'label,restart,iter,step,objective_per_obs\n,0,1,0,-5\n,0,2\n' >ragged.csv
run plot trace ragged.csv -o x.png
expect_rc "trace of a ragged --trace CSV" 2
expect_err "trace of a ragged --trace CSV: FILE:LINE:COL" "ragged.csv:3:"
run plot trace faithful.json -o trace3.png --json
expect_rc "trace of a model file" 0
cp out trace3.json
pycheck "trace of a model file: its fit record's trace, the --json output's" "" 'd, f = load(1), load(2)
assert len(d["lines"]) == 1 and d["lines"][0]["iterations"] == f["n_iter"] == len(f["trace"])
assert abs(d["lines"][0]["final"] - f["trace"][-1]["objective"] / f["n_obs"]) < 1e-12
assert d["model"] == "gmm" and d["violations"] == 0' trace3.json fit_faithful.json
"$PY" -c "
import json; m = json.load(open('faithful.json')); del m['fit']['trace']
json.dump(m, open('old.json', 'w'))"
run plot trace old.json -o x.png
expect_rc "trace of a model file without a trace" 2
expect_err "trace of a model file without a trace: why" "without its fit's trace"

# ---- states ----
"$VEM" fit hmm "$WEATHER" --states 3 --emission gaussian --covariance diag \
    --columns temp_max,wind --seed 1 -o hmm.json >/dev/null || fail "fit hmm"
run plot states hmm.json "$WEATHER" -o states.png --json
expect_rc "states" 0
cp out states.json
"$VEM" decode hmm.json "$WEATHER" >states.txt
plotcheck "states: the Viterbi path, one panel per column" 'import collections
z = [int(l) for l in open("states.txt")]
want = collections.Counter(z)
assert d["state_counts"] == [want[0], want[1], want[2]] and d["n_frames"] == 1461
assert d["stretches"] == 1 + sum(a != b for a, b in zip(z, z[1:]))
assert [p["y_label"] for p in d["panels"]] == ["temp_max", "wind"] and d["columns"] == ["temp_max", "wind"]
m = json.load(open("hmm.json"))
assert d["state_means"] == m["means"]
for p in d["panels"]:
    assert p["x_range"] == [-0.5, 1460.5] and nice(p["x_ticks"]) and nice(p["y_ticks"])
    assert k_in(png(p["frame"], PALETTE), 3)' states.png states.json
run plot states hmm.json "$WEATHER" --columns wind -o states1.png --json
expect_rc "states --columns" 0
pyjson "states --columns: one panel" "" 'assert len(d["panels"]) == 1 and d["panels"][0]["y_label"] == "wind"'

# ---- topics and topic-map ----
"$VEM" fit lda "$BROWN/docword.brown.train.txt" --vocab "$BROWN/vocab.brown.txt" -k 6 --passes 5 \
    --tol 0 --seed 3 -o lda.json >/dev/null 2>lda.err || fail "fit lda"
run plot topics lda.json -o topics.png --json --top 7
expect_rc "topics" 0
cp out topics.json
"$VEM" topics lda.json --top 7 --json >words.json
plotcheck "topics: the top words, a panel per topic in its colour" '
w = load(3)
assert [[e["word"] for e in t] for t in d["top_words"]] == w["topics"]
assert all(t[i]["probability"] >= t[i + 1]["probability"] for t in d["top_words"] for i in range(6))
assert png()["width"] == 800 and png()["height"] == 600 and len(d["panels"]) == 6
for t, p in enumerate(d["panels"]):
    c = png(p["frame"], PALETTE)["counts"]
    assert [q for q in PALETTE if c[q] > 20] == [PALETTE[t]], (t, c)
    assert nice(p["x_ticks"]) and p["x_ticks"][0] == 0
assert abs(sum(d["share"]) - 1) < 1e-12' topics.png topics.json words.json
run plot topic-map lda.json -o map.png --json
expect_rc "topic-map" 0
cp out map.json
plotcheck "topic-map: scaled Jensen-Shannon distances, a bubble per topic" 'import math
D = d["distances"]
k = len(D)
xy = d["coordinates"]
assert k == 6 and all(D[i][i] == 0 and 0 < D[i][j] <= 1 and D[i][j] == D[j][i] for i in range(k) for j in range(k) if i != j)
assert abs(sum(p[0] for p in xy)) < 1e-9 and abs(sum(p[1] for p in xy)) < 1e-9
# The map keeps the order of the distances: near topics near.
pairs = [(D[i][j], math.dist(xy[i], xy[j])) for i in range(k) for j in range(i)]
mx = sum(a for a, b in pairs) / len(pairs); my = sum(b for a, b in pairs) / len(pairs)
cov = sum((a - mx) * (b - my) for a, b in pairs)
r = cov / math.sqrt(sum((a - mx) ** 2 for a, b in pairs) * sum((b - my) ** 2 for a, b in pairs))
assert r > 0.9, r
s = d["share"]
assert abs(sum(s) - 1) < 1e-12 and all(abs(d["radii"][t] / max(d["radii"]) - math.sqrt(s[t] / max(s))) < 1e-12 for t in range(k))
assert k_in(png(frame(), PALETTE), 6)' map.png map.json

# ---- bad input ----
run plot classification faithful.json "$FAITHFUL" --columns eruptions,nope -o bad.png
expect_rc "a column that does not exist" 1
expect_err "a column that does not exist: named" "no column 'nope' in the model (its columns: eruptions, waiting)"
check "a column that does not exist: nothing written" test ! -e bad.png
run plot states faithful.json "$FAITHFUL" -o bad.png
expect_rc "states of a GMM" 1
expect_err "states of a GMM: the plots a GMM has" "the plots of a 'gmm' model are classification, uncertainty, density"
run plot topics hmm.json -o bad.png
expect_rc "topics of an HMM" 1
expect_err "topics of an HMM: the plots an HMM has" "the plots of a 'hmm' model are states"
run plot classification faithful.json -o bad.png
expect_rc "missing DATA" 1
expect_err "missing DATA: said" "missing DATA"
run plot classification faithful.json nowhere.csv -o bad.png
expect_rc "a DATA file that does not exist" 2
expect_err "a DATA file that does not exist: named" "nowhere.csv"
run plot classification faithful.json "$PENGUINS" -o bad.png
expect_rc "DATA without the model's columns" 2
expect_err "DATA without the model's columns: named" "no column 'eruptions'"
: >notadir
run plot classification faithful.json "$FAITHFUL" -o notadir/x.png
expect_rc "an output that cannot be written" 2
expect_err "an output that cannot be written: named" "notadir/x.png"
run plot classification faithful.json "$FAITHFUL" -o out.gif
expect_rc "an unknown format" 1
expect_err "an unknown format: said" "must end in .png, .svg or .pdf"
run plot scatter faithful.json -o bad.png
expect_rc "an unknown kind of plot" 1
expect_err "an unknown kind of plot: the kinds" "classification, uncertainty, density, bic, trace, states, topics, topic-map"
run plot bic selection.json "$FAITHFUL" -o bad.png
expect_rc "DATA where the kind takes none" 1
expect_err "DATA where the kind takes none: said" "unexpected argument"
run plot topics lda.json --pairs -o bad.png
expect_rc "an option the kind does not take" 1
expect_err "an option the kind does not take: named" "plot topics: --pairs does not apply"
run plot bic fit_faithful.json -o bad.png
expect_rc "bic without a selection" 2
expect_err "bic without a selection: how to make one" "--covariance all --json"
run plot classification faithful.json "$FAITHFUL"
expect_rc "no -o" 1
expect_err "no -o: said" "-o FILE is required"
check "no file left behind by the failures" sh -c '! ls | grep -q -e "vem-tmp" -e "^bad\.png$"'

# ---- atomic output: a picture replaces the old one whole ----
cp class.png old.png
run plot uncertainty faithful.json "$FAITHFUL" -o old.png
expect_rc "overwrite" 0
check "overwrite: the new picture" cmp -s old.png unc.png
check "overwrite: no temporary left" sh -c '! ls -a | grep -q vem-tmp'

# ---- VAE: samples, reconstructions, latent ----
# A tiny VAE (latent 2, 2 epochs) on Fashion-MNIST's 200 test images (28 x 28, bytes / 255),
# and one on 4 x 4 images of three prototypes with a label column (awk, a fixed LCG).
FM=$DATA/fashion-mnist
"$VEM" fit vae "$FM/t10k-images-idx3-ubyte.gz" --scale 255 --binarize static --latent 2 \
    --hidden 32 --epochs 2 --seed 1 -o fm.json >/dev/null || fail "fit vae on Fashion-MNIST"
awk -v s=11 'function u() { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648 }
BEGIN { for (j = 1; j <= 16; j++) printf "p%d,", j; print "class"
    for (i = 0; i < 300; i++) { c = int(3 * u()); line = "";
        for (j = 0; j < 16; j++) { p = (j % 3 == c) ? 0.9 : 0.1; line = line (u() < p ? 1 : 0) "," }
        print line (c + 1) } }' >protos.csv
cut -d, -f1-16 protos.csv >pixels.csv
cut -d, -f1-15 protos.csv >pixels15.csv
"$VEM" fit vae pixels.csv --latent 2 --hidden 16 --epochs 4 --batch-size 32 --seed 1 \
    -o protos.json >/dev/null || fail "fit vae on the 4 x 4 prototypes"
"$VEM" fit vae pixels15.csv --latent 2 --hidden 8 --epochs 1 -o p15.json >/dev/null ||
    fail "fit vae on 15 columns"

# tilecheck WHAT PNG JSON N PARTS: the --json's tiles are N x PARTS boxes of the grid, each
# an image of more than 4 grey levels with white between neighbours; counting the runs of
# pixel columns with ink across each row of tiles (and of pixel rows down the first column
# of tiles, below the title) finds the
# grid's columns and rows, the last row holding what is left of N.
tilecheck() {
    plotcheck "$1" "n, parts = $4, $5
w, h, px = pngstat.decode(sys.argv[1])
assert (w, h) == (640, 480) and png()['distinct'] > 20
t, g = d['tiles'], d['grid']
assert len(t) == n * parts and g['rows'] * g['columns'] >= n * parts
def runs(line):
    r, prev = 0, False
    for p in line:
        ink = bool(p)
        r += ink and not prev
        prev = ink
    return r
for x0, y0, x1, y1 in t:
    grey = set(px[y][x] for y in range(int(y0) + 1, int(y1) - 1) for x in range(int(x0) + 1, int(x1) - 1))
    assert len(grey) > 4 and all(p[0] == p[1] == p[2] for p in grey), len(grey)
    assert px[int(y0) - 2][int(x0) + 3] == b'\xff\xff\xff' == px[int(y0) + 3][int(x0) - 2]
rows = sorted(set((int(b[1]), int(b[3])) for b in t))
assert len(rows) == g['rows'], (rows, g)
def ink_x(y0, y1):
    return [any(px[y][x] != b'\xff\xff\xff' for y in range(y0 + 1, y1 - 1)) for x in range(w)]
per_row = [runs(ink_x(y0, y1)) for y0, y1 in rows]
cols = g['columns']
blocks = len(rows) // parts
for i, r in enumerate(per_row):
    want = cols if i // parts < blocks - 1 else n - cols * (blocks - 1)
    assert r == want, (i, r, want, per_row)
x0, x1 = int(t[0][0]), int(t[0][2])
ink_y = [any(px[y][x] != b'\xff\xff\xff' for x in range(x0 + 1, x1 - 1)) for y in range(rows[0][0] - 2, h)]
assert runs(ink_y) == g['rows'], (runs(ink_y), g)" "$2" "$3"
}

run plot samples fm.json --n 6 --seed 3 -o samples.png --json
expect_rc "samples" 0
cp out samples.json
tilecheck "samples: 6 tiles of 28 x 28 grey images" samples.png samples.json 6 1
plotcheck "samples: the --json" 'assert d["model"] == "vae" and d["n"] == 6 and d["seed"] == 3
assert d["image_shape"] == [28, 28] and d["grid"]["tile"] >= 28' samples.png samples.json
run plot samples fm.json --n 6 --seed 3 -o samples2.png
check "samples: the same seed, the same picture" cmp -s samples.png samples2.png
run plot samples fm.json --n 6 --seed 4 -o samples3.png
check "samples: another seed, another picture" test -n "$(cmp samples.png samples3.png)"
run plot samples fm.json -o samples16.png --json
expect_rc "samples: the default 16" 0
cp out samples16.json
tilecheck "samples: 16 tiles by default" samples16.png samples16.json 16 1
run plot samples protos.json --n 5 -o tiny.png --json
expect_rc "samples of 4 x 4 images" 0
cp out tiny.json
tilecheck "samples of 4 x 4 images: 5 tiles" tiny.png tiny.json 5 1

run plot reconstructions fm.json "$FM/t10k-images-idx3-ubyte.gz" --scale 255 --n 7 \
    -o recon.png --json
expect_rc "reconstructions" 0
cp out recon.json
tilecheck "reconstructions: 7 rows above 7 reconstructions" recon.png recon.json 7 2
plotcheck "reconstructions: the --json" 'assert d["n"] == 7 and d["grid"]["rows"] % 2 == 0
assert 0 < d["mean_squared_error"] < 0.5' recon.png recon.json
run plot reconstructions fm.json "$FM/t10k-images-idx3-ubyte.gz" --scale 255 -o recon.svg
expect_rc "reconstructions as SVG" 0
check "reconstructions: the SVG is well-formed" xmllint --noout recon.svg

run plot latent protos.json protos.csv --label-column class -o latent.png --json
expect_rc "latent, --label-column" 0
cp out latent.json
plotcheck "latent: z1, z2, three labels in three palette colours" 'st = png(frame(), PALETTE)
assert st["width"] == 640 and st["height"] == 480 and st["non_white"] > 2000
assert k_in(st, 3)
p = d["panels"][0]
assert p["x_label"] == "z1" and p["y_label"] == "z2" and nice(p["x_ticks"])
assert d["labels"] == [1, 2, 3] and sum(d["label_counts"]) == 300 and d["n"] == 300
assert d["colours"] == PALETTE[:3] and d["dims"] == [1, 2]' latent.png latent.json
run plot latent protos.json protos.csv --label-column 17 --dims 2,1 --n 100 -o latent2.png --json
expect_rc "latent, --dims 2,1, a column by number, --n" 0
cp out latent2.json
plotcheck "latent --dims 2,1: z2 across" 'p = d["panels"][0]
assert p["x_label"] == "z2" and p["y_label"] == "z1" and d["n"] == 100' latent2.png latent2.json
run plot latent protos.json pixels.csv -o latent3.png --json
expect_rc "latent without labels" 0
cp out latent3.json
plotcheck "latent without labels: one colour" 'assert k_in(png(frame(), PALETTE), 1)
assert d["labels"] is None' latent3.png latent3.json
run plot latent fm.json "$FM/t10k-images-idx3-ubyte.gz" --scale 255 \
    --labels "$FM/t10k-labels-idx1-ubyte.gz" -o fmlatent.png --json
expect_rc "latent, --labels (IDX)" 0
cp out fmlatent.json
plotcheck "latent: ten labels, eight colours, then markers" 'assert k_in(png(frame(), PALETTE), 8)
assert d["labels"] == list(range(10)) and sum(d["label_counts"]) == 200' fmlatent.png fmlatent.json

# errors
run plot latent protos.json protos.csv --label-column species -o bad.png
expect_rc "latent: unknown label column" 1
expect_err "latent: unknown label column named" "no column 'species' in protos.csv"
expect_err "latent: the columns listed" "p16, class"
run plot latent protos.json protos.csv -o bad.png
expect_rc "latent: DATA with a column too many" 2
expect_err "latent: DATA with a column too many" "has 17 columns; the model's rows have 16"
run plot latent protos.json protos.csv --label-column class --dims 1,3 -o bad.png
expect_rc "latent: --dims beyond the latent space" 1
expect_err "latent: --dims beyond the latent space" "between 1 and 2"
run plot latent protos.json pixels.csv --labels "$FM/t10k-labels-idx1-ubyte.gz" -o bad.png
expect_rc "latent: fewer labels than rows" 2
expect_err "latent: fewer labels than rows" "200 labels for 300 rows"
check "latent: nothing written on failure" test ! -e bad.png
run plot samples p15.json -o bad.png
expect_rc "samples: 15 columns are not a square" 1
expect_err "samples: 15 columns are not a square" "not a square number of pixels"
run plot samples p15.json --image-shape 3x5 --n 4 -o p15.png
expect_rc "samples: --image-shape 3x5" 0
run plot samples p15.json --image-shape 4x4 -o bad.png
expect_rc "samples: --image-shape of other pixels" 1
expect_err "samples: --image-shape of other pixels" "4 x 4 = 16 pixels; the model's rows have 15"
run plot samples faithful.json -o bad.png
expect_rc "samples of a gmm" 1
expect_err "samples of a gmm: its kinds" "the plots of a 'gmm' model are classification, uncertainty, density"
run plot classification fm.json "$FM/t10k-images-idx3-ubyte.gz" -o bad.png
expect_rc "classification of a vae" 1
expect_err "classification of a vae: its kinds" "the plots of a 'vae' model are samples, reconstructions, latent"
run plot samples fm.json --top 3 -o bad.png
expect_rc "samples --top" 1
expect_err "samples --top" "--top does not apply"
run plot latent protos.json protos.csv --seed 2 -o bad.png
expect_rc "latent --seed" 1
expect_err "latent --seed" "--seed does not apply"
run plot reconstructions fm.json -o bad.png
expect_rc "reconstructions without DATA" 1
expect_err "reconstructions without DATA" "missing DATA"
cp samples.png keep.png
run plot samples p15.json -o samples.png
check "samples: a failed plot leaves the old picture" cmp -s samples.png keep.png

# ---- every --json above against docs/schema.json ----
pycheck "plot --json follows docs/schema.json" "" 'import jsonschema
schema = load(1)
for f in sys.argv[2:]:
    doc = json.load(open(f))
    jsonschema.validate(doc, schema, cls=jsonschema.Draft7Validator)
    sub = dict(schema)
    sub.pop("anyOf")
    sub["$ref"] = "#/definitions/plot"
    errors = list(jsonschema.Draft7Validator(sub).iter_errors(doc))
    assert not errors, (f, errors[0].message[:200])' "$ROOT/docs/schema.json" class.json pairs.json \
    vb.json.out unc.json dens.json bic.json trace.json viol.json states.json topics.json map.json \
    samples.json recon.json latent.json fmlatent.json

# ---- help ----
run help plot
expect_rc "help plot" 0
for k in classification uncertainty density bic trace states topics topic-map samples \
    reconstructions latent; do
    expect_out "help plot lists $k" "  $k "
done
expect_out "help plot: sizes" "pixels (PNG) or points (SVG, PDF)"

# ---- the pictures of docs/plots.md ----
if sh "$ROOT/tools/make_plots.sh" "$VEM" "$TMP/img" >make_plots.log 2>&1; then
    pass
else
    fail "tools/make_plots.sh: $(tail -n 3 make_plots.log | tr '\n' ' ')"
fi
pycheck "make_plots.sh: the pictures the docs show" "" 'import os
sys.path.insert(0, sys.argv[1] + "/tests")
import pngstat
names = sorted(f for f in os.listdir(sys.argv[2]))
docs = open(sys.argv[1] + "/docs/plots.md").read()
shown = sorted(set(n for n in names if "img/" + n in docs))
assert names == shown and len(names) == 12, (names, shown)
for n in names:
    st = pngstat.stats(os.path.join(sys.argv[2], n))
    assert st["width"] <= 720 and st["height"] <= 640 and st["distinct"] > 100, (n, st)
    assert os.path.getsize(os.path.join(sys.argv[2], n)) < 256000, n' "$ROOT" "$TMP/img"

finish
