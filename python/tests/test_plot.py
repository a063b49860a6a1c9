"""vem.plot: each picture on the bundled data (Agg backend), checked for what a person
would see: the ellipses, the colours, the ringed BIC cell, the state bands, the topics'
words, and that it saves as a PNG of the requested size."""
import csv
import gzip
import io
import os
import struct
import subprocess
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.patches import Ellipse  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import vem  # noqa: E402
import vem.plot  # noqa: E402
from conftest import DATA, ROOT  # noqa: E402
from test_lda import read_uci  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def ellipses(ax):
    return [p for p in ax.patches if isinstance(p, Ellipse)]


def scatter_colours(ax):
    sc = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(sc) == 1
    return {to_hex(c) for c in sc[0].get_facecolors()}, sc[0]


def png_size(fig, **kw):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", **kw)
    head = buf.getvalue()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def test_import_vem_does_not_import_matplotlib():
    code = ("import sys, vem; assert 'matplotlib' not in sys.modules, 'imported'; "
            "vem.plot; assert 'matplotlib' in sys.modules; print(vem.plot.PALETTE[0])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=os.path.dirname(ROOT))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "#E69F00"


def test_palette_is_the_commands():
    with open(os.path.join(ROOT, "cli", "plot_draw.c")) as f:
        src = f.read()
    start = src.index("plot_palette[PLOT_N_COLOURS] = {")
    body = src[start:src.index("}", start)]
    hexes = ["#" + h[2:].upper() for h in body.split("{")[1].replace(" ", "").replace(
        "\n", "").split(",")]
    assert tuple(hexes) == vem.plot.PALETTE


@pytest.mark.parametrize("cov,k", [("full", 2), ("diag", 3), ("spherical", 3), ("tied", 2),
                                   ("EVE", 3), ("VEI", 2)])
def test_classification(faithful, cov, k):
    gm = vem.GaussianMixture(k, covariance_type=cov, random_state=0).fit(faithful)
    ax = vem.plot.classification(gm, faithful)
    el = ellipses(ax)
    assert len(el) == 2 * k
    colours, sc = scatter_colours(ax)
    assert len(colours) == k
    assert colours <= {c.lower() for c in vem.plot.PALETTE[:k]}
    # each point has its MAP component's colour
    labels = gm.predict(faithful)
    fc = [to_hex(c) for c in sc.get_facecolors()]
    assert fc == [vem.plot.PALETTE[z].lower() for z in labels]
    # the 1-sd ellipse's axes are the eigenvalues of the component's 2 x 2 covariance
    full = vem.plot._mixture(gm)[2]
    vals = np.linalg.eigvalsh(full[0][:2, :2])
    one = [e for e in el if e.get_linestyle() == "-"][0]
    assert sorted([one.width, one.height]) == pytest.approx(sorted(2 * np.sqrt(vals)))
    assert ax.get_xlabel() and ax.get_ylabel()


def test_full_covariances_of_each_layout(faithful):
    gm = vem.GaussianMixture(3, covariance_type="full", random_state=0).fit(faithful)
    ref = vem.plot._mixture(gm)[2]
    for cov in ("diag", "spherical", "tied", "EEI", "EII"):
        g = vem.GaussianMixture(3, covariance_type=cov, random_state=0).fit(faithful)
        full = vem.plot._mixture(g)[2]
        assert full.shape == ref.shape
        for s in full:
            assert np.allclose(s, s.T) and np.all(np.linalg.eigvalsh(s) > 0)


def test_classification_penguins_pair_and_ax(penguins):
    gm = vem.GaussianMixture(3, covariance_type="VEV", random_state=1).fit(penguins)
    fig, axes = plt.subplots(1, 2)
    ax = vem.plot.classification(gm, penguins, columns=(2, 3), ax=axes[1])
    assert ax is axes[1] and len(ellipses(axes[1])) == 6 and not axes[0].patches
    colours, sc = scatter_colours(ax)
    assert len(colours) == 3
    assert np.allclose(sc.get_offsets(), penguins[:, [2, 3]])


def test_classification_variational_draws_effective_components(faithful):
    bg = vem.BayesianGaussianMixture(n_components=6, max_iter=500,
                                     random_state=0).fit(faithful)
    eff = int(np.sum(bg.weights_ * len(faithful) >= 1.0))
    ax = vem.plot.classification(bg, faithful)
    assert len(ellipses(ax)) == 2 * eff


def test_uncertainty(faithful):
    gm = vem.GaussianMixture(3, random_state=0).fit(faithful)
    ax = vem.plot.uncertainty(gm, faithful)
    assert len(ellipses(ax)) == 6
    colours, sc = scatter_colours(ax)
    assert len(colours) == 3
    u = 1 - gm.predict_proba(faithful).max(axis=1)
    sizes = sc.get_sizes()
    assert len(sizes) == len(faithful)
    # drawn from the most certain to the most uncertain, size growing with uncertainty
    assert np.all(np.diff(sizes) >= -1e-12)
    assert sizes.max() == pytest.approx(2 + 120 * u.max() / (1 - 1 / 3))


def contour_lines(ax):
    """The vertices of each drawn contour level (matplotlib 3.6: one collection per
    level; 3.8: one ContourSet, one path per level)."""
    cs = [c for c in ax.collections if c.get_gid() == "contour"]
    if len(cs) == 1 and hasattr(cs[0], "levels"):
        return [p.vertices for p in cs[0].get_paths() if len(p.vertices)]
    return [np.concatenate([p.vertices for p in c.get_paths()]) for c in cs
            if c.get_paths()]


def test_density(faithful):
    gm = vem.GaussianMixture(2, random_state=0).fit(faithful)
    ax = vem.plot.density(gm, faithful)
    lines = contour_lines(ax)
    assert len(lines) == 6
    # each contour lies on one density level (to the grid's interpolation), and the
    # regions inside hold 99, 95, 90, 75, 50 and 25% of the rows (the pair is all of
    # faithful's 2 columns, so the marginal is the mixture's density)
    f = np.exp(gm.score_samples(faithful))
    held = []
    for v in lines:
        on = np.exp(gm.score_samples(v))
        assert np.std(on) < 0.05 * np.mean(on)
        held.append(np.mean(f >= np.mean(on)))
    assert held == pytest.approx([0.99, 0.95, 0.90, 0.75, 0.50, 0.25], abs=0.02)
    sc = [c for c in ax.collections if c.get_gid() != "contour"]
    assert len(sc) == 1 and {to_hex(c) for c in sc[0].get_facecolors()} == {"#aaaaaa"}
    means = [ln for ln in ax.lines if ln.get_marker() == "o"]
    assert [to_hex(ln.get_color()) for ln in means] == [c.lower() for c in
                                                        vem.plot.PALETTE[:2]]


def test_bic(faithful):
    table = vem.select(faithful, n_components=range(1, 5), covariance_type="all")
    ax = vem.plot.bic(table)
    ring = [ln for ln in ax.lines if ln.get_gid() == "best"]
    assert len(ring) == 1
    x, y = ring[0].get_xdata()[0], ring[0].get_ydata()[0]
    ok = [c for c in table if c["status"] == "ok" and np.isfinite(c["bic"])]
    low = min(ok, key=lambda c: c["bic"])
    assert (x, y) == (low["n_components"], low["bic"])
    structures = {c["mclust"] for c in ok}
    assert len([ln for ln in ax.lines if ln.get_gid() != "best"]) == len(structures)
    assert low["mclust"] in ax.get_title()


def test_trace_hmm_and_mixture(faithful):
    h = vem.GaussianHMM(2, n_iter=50, random_state=0).fit(faithful)
    ax = vem.plot.trace(h)
    line = ax.lines[0]
    assert np.allclose(line.get_ydata(), list(h.monitor_.history))
    assert len(line.get_xdata()) == len(h.monitor_.history) > 1
    # GaussianMixture keeps only its final lower_bound_: one point
    gm = vem.GaussianMixture(2, random_state=0).fit(faithful)
    ax = vem.plot.trace(gm)
    assert list(ax.lines[0].get_ydata()) == [gm.lower_bound_]
    assert "final" in ax.get_title()
    # a plain sequence, with a decrease marked
    ax = vem.plot.trace([-3.0, -2.0, -2.5, -1.0])
    marks = [ln for ln in ax.lines if ln.get_gid() == "violations"]
    assert len(marks) == 1 and list(marks[0].get_xdata()) == [3]


def seattle():
    with open(os.path.join(DATA, "seattle-weather.csv")) as f:
        rows = list(csv.DictReader(f))
    return np.array([[float(r["temp_max"]), float(r["wind"])] for r in rows])


def n_runs(path, lengths=None):
    ends = set(np.cumsum(lengths)) if lengths is not None else set()
    return 1 + sum(1 for t in range(1, len(path)) if path[t] != path[t - 1] or t in ends)


def test_states():
    X = seattle()
    h = vem.GaussianHMM(3, covariance_type="diag", n_iter=100, random_state=1).fit(X)
    _, path = h.decode(X)
    fig = vem.plot.states(h, X)
    axes = fig.axes
    assert len(axes) == 2
    for j, ax in enumerate(axes):
        bands = [p for p in ax.patches if p.get_gid() == "band"]
        assert len(bands) == n_runs(path)
        assert {to_hex(b.get_facecolor()) for b in bands} == \
            {vem.plot.PALETTE[k].lower() for k in set(path)}
        segs = ax.collections[0].get_segments()
        assert len(segs) == n_runs(path)
        assert segs[0][0][1] == pytest.approx(h.means_[path[0], j])
    assert png_size(fig, dpi=100) == (640, 480)
    # one column on a given Axes, with sequences: runs split at the sequences' ends
    lengths = [400, len(X) - 400]
    _, path = h.decode(X, lengths)
    _, ax = plt.subplots()
    out = vem.plot.states(h, X, lengths, columns=[1], ax=ax)
    assert out is ax
    assert len([p for p in ax.patches if p.get_gid() == "band"]) == n_runs(path, lengths)


def test_topics():
    X = read_uci(os.path.join(DATA, "brown", "docword.brown.train.txt"))
    with open(os.path.join(DATA, "brown", "vocab.brown.txt")) as f:
        vocab = [w.strip() for w in f if w.strip()]
    assert len(vocab) == X.shape[1]
    lda = vem.LatentDirichletAllocation(5, max_iter=20, random_state=3).fit(X)
    fig = vem.plot.topics(lda, vocab, n_top=8)
    axes = [a for a in fig.axes if a.get_visible()]
    assert len(axes) == 5
    for i, ax in enumerate(axes):
        top = np.argsort(-lda.components_[i], kind="stable")[:8]
        shown = [t.get_text() for t in ax.get_yticklabels()]
        # bars from the top down: the most probable word is the highest bar
        ys = [t.get_position()[1] for t in ax.get_yticklabels()]
        shown = [w for _, w in sorted(zip(ys, shown), reverse=True)]
        assert shown == [vocab[w] for w in top]
        assert len(ax.patches) == 8
        assert {to_hex(p.get_facecolor()) for p in ax.patches} == \
            {vem.plot.PALETTE[i].lower()}
    fig.set_size_inches(8, 6)
    assert png_size(fig, dpi=100) == (800, 600)


def test_pairs(penguins):
    """--pairs: a d x d matrix, each off-diagonal panel the pair's 2 x K ellipses and its
    points in their MAP colours, the diagonal naming the columns."""
    gm = vem.GaussianMixture(3, covariance_type="VEV", random_state=1).fit(penguins)
    d = penguins.shape[1]
    fig = vem.plot.pairs(gm, penguins)
    axes = np.array(fig.axes).reshape(d, d)
    labels = gm.predict(penguins)
    for i in range(d):
        for j in range(d):
            ax = axes[i, j]
            if i == j:
                assert not ellipses(ax) and not ax.collections
                assert [t.get_text() for t in ax.texts] == ["column %d" % (i + 1)]
                continue
            assert len(ellipses(ax)) == 2 * 3
            colours, sc = scatter_colours(ax)
            assert np.allclose(sc.get_offsets(), penguins[:, [j, i]])
            assert [to_hex(c) for c in sc.get_facecolors()] == \
                [vem.plot.PALETTE[z].lower() for z in labels]
    assert len(fig.legends) == 1 and len(fig.legends[0].get_texts()) == 3
    # a subset of the columns, and the uncertainty picture
    fig = vem.plot.pairs(gm, penguins, columns=[0, 2, 3], kind="uncertainty")
    assert len(fig.axes) == 9
    assert sum(len(ellipses(a)) for a in fig.axes) == 6 * 2 * 3
    with pytest.raises(ValueError, match="columns"):
        vem.plot.pairs(gm, penguins, columns=[1])


def brown_lda(k=6):
    X = read_uci(os.path.join(DATA, "brown", "docword.brown.train.txt"))
    with open(os.path.join(DATA, "brown", "vocab.brown.txt")) as f:
        vocab = [w.strip() for w in f if w.strip()]
    return vem.LatentDirichletAllocation(k, max_iter=10, random_state=3).fit(X), vocab


def test_topic_map():
    """One bubble per topic in its colour, areas proportional to the topics' shares of
    the tokens, the map keeping the order of the Jensen-Shannon distances (as
    tests/test_cli_plot.sh asserts of the command's), centred."""
    lda, vocab = brown_lda(6)
    ax = vem.plot.topic_map(lda, feature_names=vocab)
    bubbles = {int(c.get_gid().split()[1]): c for c in ax.collections
               if (c.get_gid() or "").startswith("bubble")}
    assert sorted(bubbles) == list(range(6))
    for t, c in bubbles.items():
        assert {to_hex(f) for f in c.get_facecolors()} == {vem.plot.PALETTE[t].lower()}
    lam = lda.components_
    counts = np.maximum((lam - lda.topic_word_prior_).sum(axis=1), 0)
    share = counts / counts.sum()
    area = np.array([bubbles[t].get_sizes()[0] for t in range(6)])
    assert area / area.max() == pytest.approx(share / share.max(), rel=1e-12)
    # largest drawn first
    drawn = [int(c.get_gid().split()[1]) for c in ax.collections
             if (c.get_gid() or "").startswith("bubble")]
    assert list(share[drawn]) == sorted(share, reverse=True)
    # the distances: sqrt of the JS divergence in bits, recomputed here
    beta = lam / lam.sum(axis=1, keepdims=True)
    D = ax.topic_distances_
    for i in range(6):
        for j in range(i):
            m = 0.5 * (beta[i] + beta[j])
            js = 0.5 * (np.sum(beta[i] * np.log2(beta[i] / m)) +
                        np.sum(beta[j] * np.log2(beta[j] / m)))
            assert D[i, j] == D[j, i] == pytest.approx(np.sqrt(js), rel=1e-9)
            assert 0 < D[i, j] <= 1
    xy = np.array([bubbles[t].get_offsets()[0] for t in range(6)])
    assert np.allclose(xy, ax.topic_coordinates_)
    assert np.allclose(xy.sum(axis=0), 0, atol=1e-9)
    iu = np.tril_indices(6, -1)
    flat = np.linalg.norm(xy[:, None, :] - xy[None, :, :], axis=2)[iu]
    assert np.corrcoef(D[iu], flat)[0, 1] > 0.9
    assert [t.get_text() for t in ax.texts] == [str(t) for t in range(6)]
    words = [t.get_text() for t in ax.get_legend().get_texts()]
    assert len(words) == 6 and words[0].startswith("0: ") and len(words[0].split()) == 4
    assert ax.get_aspect() == 1.0


def idx(name):
    with gzip.open(os.path.join(DATA, "fashion-mnist", name), "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims[0], -1)


@pytest.fixture(scope="module")
def fashion():
    """A tiny VAE (latent 3, 2 epochs) on Fashion-MNIST's 200 test images, bytes / 255,
    and their labels."""
    X = idx("t10k-images-idx3-ubyte.gz") / 255.0
    y = idx("t10k-labels-idx1-ubyte.gz").ravel()
    vae = vem.VariationalAutoencoder(3, hidden_layer_sizes=(16,), max_iter=2,
                                     binarize="static", random_state=1).fit(X)
    return vae, X, y


def tiles(ax):
    return [im for im in ax.images if im.get_gid() == "tile"]


def test_samples(fashion):
    vae, X, _ = fashion
    ax = vem.plot.samples(vae, n=16, random_state=4)
    t = tiles(ax)
    assert len(t) == 16
    rows, cols = ax.grid_shape_
    assert rows * cols >= 16 > (rows - 1) * cols
    x = vae.sample(16, random_state=4)
    assert np.allclose(t[5].get_array(), x[5].reshape(28, 28))
    assert all(im.get_array().shape == (28, 28) for im in t)
    # a non-square shape, and refusals
    ax = vem.plot.samples(vae, n=5, image_shape=(14, 56))
    assert len(tiles(ax)) == 5 and tiles(ax)[0].get_array().shape == (14, 56)
    with pytest.raises(ValueError, match="image_shape"):
        vem.plot.samples(vae, image_shape=(27, 28))


def test_reconstructions(fashion):
    vae, X, _ = fashion
    ax = vem.plot.reconstructions(vae, X, n=8)
    t = tiles(ax)
    assert len(t) == 16
    rows, cols = ax.grid_shape_
    assert rows % 2 == 0 and (rows // 2) * cols >= 8
    r = vae.reconstruct(X[:8])
    for i in range(8):
        assert np.allclose(t[i].get_array(), X[i].reshape(28, 28))
        assert np.allclose(t[8 + i].get_array(), r[i].reshape(28, 28))
        # each original directly above its reconstruction
        (x0, _, top0, _), (x1, _, top1, _) = (t[i].get_extent(), t[8 + i].get_extent())
        assert x0 == x1 and top1 > top0


def test_latent(fashion):
    vae, X, y = fashion
    ax = vem.plot.latent(vae, X, labels=y, dims=(0, 2))
    sc = [c for c in ax.collections if isinstance(c, PathCollection)]
    values = np.unique(y)
    assert len(sc) == len(values)
    z = vae.transform(X)
    seen = set()
    for l, (c, v) in enumerate(zip(sc, values)):
        colours = {to_hex(f) for f in c.get_facecolors()}
        assert colours == {vem.plot.PALETTE[l % 8].lower()}
        seen |= colours
        assert np.allclose(c.get_offsets(), z[y == v][:, [0, 2]])
    assert len(seen) == min(len(values), 8)
    assert ax.get_xlabel() == "z1" and ax.get_ylabel() == "z3"
    assert len(ax.get_legend().get_texts()) == len(values)
    ax = vem.plot.latent(vae, X)
    assert len(ax.collections) == 1 and ax.get_legend() is None
    with pytest.raises(ValueError, match="dims"):
        vem.plot.latent(vae, X, dims=(1, 1))


def test_savefig_png_size(faithful, tmp_path):
    gm = vem.GaussianMixture(2, random_state=0).fit(faithful)
    fig = plt.figure(figsize=(6.4, 4.8), dpi=100)
    vem.plot.classification(gm, faithful, ax=fig.add_subplot())
    path = tmp_path / "c.png"
    fig.savefig(path)
    with open(path, "rb") as f:
        head = f.read(24)
    assert struct.unpack(">II", head[16:24]) == (640, 480)
    assert png_size(fig, dpi=50) == (320, 240)


def test_refusals(faithful):
    gm = vem.GaussianMixture(2, random_state=0).fit(faithful)
    with pytest.raises(ValueError, match="columns"):
        vem.plot.classification(gm, faithful, columns=(0, 2))
    seq = np.random.RandomState(0).randint(0, 3, size=(60, 1))
    cat = vem.CategoricalHMM(2, n_iter=5, random_state=0).fit(seq)
    with pytest.raises(ValueError, match="no numeric series"):
        vem.plot.states(cat, seq)


def test_docs_block_runs(tmp_path, monkeypatch):
    """docs/plots.md's "From Python" block, as the page shows it, in a scratch directory
    that sees the repository's examples/."""
    import re
    with open(os.path.join(ROOT, "docs", "plots.md")) as f:
        text = f.read()
    mark = "<!-- tested: python/tests/test_plot.py runs this block as it is -->\n```python\n"
    code = re.search(re.escape(mark) + r"(.*?)^```", text, re.S | re.M).group(1)
    os.symlink(os.path.join(ROOT, "examples"), str(tmp_path / "examples"))
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "docs/plots.md", "exec"), {})
    with open("classification.png", "rb") as f:
        assert struct.unpack(">II", f.read(24)[16:24]) == (640, 480)
    assert os.path.getsize("topics.png") > 1000
