"""`vem plot`'s pictures through matplotlib, from fitted estimators (docs/plots.md).

    import vem.plot
    ax = vem.plot.classification(gm, X)          # a GaussianMixture and its data
    ax.figure.savefig("classification.png")

Each function draws on `ax` (a new figure's Axes when None) and returns it; `topics`, `pairs`,
and `states` with more than one column, draw a grid of panels and return the Figure. The
colours are the command's (cli/plot_draw.c): the Okabe-Ito palette, component, state and
topic i taking colour i mod 8. `import vem` does not import matplotlib; `import vem.plot`
(or the first use of `vem.plot`) does.
"""
import math

import numpy as np
import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
from matplotlib.patches import Ellipse

from .hmm import _fill_covars

__all__ = ["PALETTE", "classification", "uncertainty", "density", "pairs", "bic", "trace",
           "states", "topics", "topic_map", "samples", "reconstructions", "latent"]

#: The Okabe-Ito palette, in cli/plot_draw.c's order (plot_palette).
PALETTE = ("#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#F0E442",
           "#000000")
INK = "#222222"
_MARKERS = ("o", "s", "^", "D", "v", "P", "X")


def colour(i):
    """Colour of component, state or topic i (0-based), as `vem plot` draws it."""
    return PALETTE[int(i) % len(PALETTE)]


def _axes(ax):
    if ax is None:
        _, ax = plt.subplots()
    return ax


def _names(est, d):
    names = getattr(est, "feature_names_in_", None)
    if names is not None and len(names) == d:
        return [str(n) for n in names]
    return ["column %d" % (j + 1) for j in range(d)]


def _layout(est):
    if hasattr(est, "_layout"):
        return est._layout()
    return str(est.covariance_type)


def _mixture(est):
    """(weights, means (K, d), full covariances (K, d, d)) of a Gaussian mixture, whatever
    its covariance_type: vem's four layouts, mclust's names, the variational mixture's."""
    means = np.asarray(est.means_, dtype=np.float64)
    k, d = means.shape
    cov = _fill_covars(np.asarray(est.covariances_, dtype=np.float64), _layout(est), k, d)
    return np.asarray(est.weights_, dtype=np.float64), means, cov


def _pair(columns, d):
    a, b = (int(c) for c in columns)
    if not (0 <= a < d and 0 <= b < d):
        raise ValueError("columns=%r: two columns in 0 .. %d" % (tuple(columns), d - 1))
    return a, b


def _drawn(est, w, n):
    """The components drawn: all, or of a variational mixture those with an expected count
    of at least one row (the effective components, as `vem plot` draws them)."""
    if hasattr(est, "weight_concentration_"):
        return [i for i in range(len(w)) if w[i] * n >= 1.0]
    return list(range(len(w)))


def _ellipses(ax, est, X, a, b):
    w, mu, cov = _mixture(est)
    drawn = _drawn(est, w, X.shape[0])
    handles = []
    for i in drawn:
        s = cov[i][np.ix_([a, b], [a, b])]
        vals, vecs = np.linalg.eigh(s)
        vals = np.maximum(vals, 0.0)
        angle = math.degrees(math.atan2(vecs[1, 1], vecs[0, 1]))
        for r, ls in ((1.0, "-"), (2.0, "--")):
            ax.add_patch(Ellipse((mu[i, a], mu[i, b]), 2 * r * math.sqrt(vals[1]),
                                 2 * r * math.sqrt(vals[0]), angle=angle, fill=False,
                                 edgecolor=colour(i), linestyle=ls, linewidth=1.5,
                                 gid="ellipse"))
        ax.plot([mu[i, a]], [mu[i, b]], marker="x", color=INK, markersize=8,
                linestyle="none")
        handles.append(Line2D([], [], marker="o", linestyle="none", color=colour(i),
                              label="%d: weight %.3g" % (i, w[i])))
    ax.legend(handles=handles, loc="best", fontsize="small")


def _frame(ax, est, X, a, b):
    names = _names(est, X.shape[1])
    ax.set_xlabel(names[a])
    ax.set_ylabel(names[b])
    ax.grid(True, color="#EBEBEB")
    ax.set_axisbelow(True)


def classification(gm, X, columns=(0, 1), ax=None):
    """Rows of X coloured by gm.predict(X) (their MAP component) on the pair `columns`
    (0-based), each component's ellipses at 1 (solid) and 2 (dashed) standard deviations
    of its marginal on the pair and a cross at its mean; the legend gives the weights.
    gm: a fitted GaussianMixture (any covariance_type) or BayesianGaussianMixture."""
    X = np.asarray(X, dtype=np.float64)
    a, b = _pair(columns, X.shape[1])
    ax = _axes(ax)
    labels = np.asarray(gm.predict(X))
    ax.scatter(X[:, a], X[:, b], c=[colour(z) for z in labels], s=12, linewidths=0)
    _ellipses(ax, gm, X, a, b)
    _frame(ax, gm, X, a, b)
    ax.set_title("classification")
    return ax


def uncertainty(gm, X, columns=(0, 1), ax=None, max_size=120.0):
    """As classification, each point's area proportional to its uncertainty
    1 - max_k p(k | x), from 0 to max_size (points^2) at 1 - 1/K, the most uncertain
    drawn last."""
    X = np.asarray(X, dtype=np.float64)
    a, b = _pair(columns, X.shape[1])
    ax = _axes(ax)
    proba = np.asarray(gm.predict_proba(X))
    k = proba.shape[1]
    u = 1.0 - proba.max(axis=1)
    top = 1.0 - 1.0 / k if k > 1 else 1.0
    order = np.argsort(u, kind="stable")
    labels = proba.argmax(axis=1)
    ax.scatter(X[order, a], X[order, b], s=2.0 + max_size * u[order] / top,
               c=[colour(z) for z in labels[order]], linewidths=0)
    _ellipses(ax, gm, X, a, b)
    _frame(ax, gm, X, a, b)
    ax.set_title("uncertainty (largest %.3g, mean %.3g)" % (u.max(), u.mean()))
    return ax


def _marginal(gm, a, b, pts):
    w, mu, cov = _mixture(gm)
    f = np.zeros(len(pts))
    for i in range(len(w)):
        s = cov[i][np.ix_([a, b], [a, b])]
        dx = pts - mu[i, [a, b]]
        q = np.einsum("ni,ij,nj->n", dx, np.linalg.inv(s), dx)
        f += w[i] * np.exp(-0.5 * q) / (2 * math.pi * math.sqrt(np.linalg.det(s)))
    return f


def density(gm, X, columns=(0, 1), ax=None, mass=(0.25, 0.5, 0.75, 0.9, 0.95, 0.99),
            grid=121):
    """Contours of the mixture's marginal density on the pair: the regions of highest
    density holding each share in `mass` of the rows of X (each level the matching
    quantile of the density at the rows), over the rows in grey, the means as dots."""
    X = np.asarray(X, dtype=np.float64)
    a, b = _pair(columns, X.shape[1])
    ax = _axes(ax)
    lo, hi = X[:, [a, b]].min(axis=0), X[:, [a, b]].max(axis=0)
    pad = 0.05 * (hi - lo)
    gx = np.linspace(lo[0] - pad[0], hi[0] + pad[0], grid)
    gy = np.linspace(lo[1] - pad[1], hi[1] + pad[1], grid)
    xx, yy = np.meshgrid(gx, gy)
    zz = _marginal(gm, a, b, np.column_stack([xx.ravel(), yy.ravel()])).reshape(xx.shape)
    at_rows = _marginal(gm, a, b, X[:, [a, b]])
    levels = np.unique(np.quantile(at_rows, 1.0 - np.asarray(sorted(mass, reverse=True))))
    ax.scatter(X[:, a], X[:, b], s=6, color="#AAAAAA", linewidths=0)
    cs = ax.contour(xx, yy, zz, levels=levels, cmap="Greys", linewidths=1.2)
    # matplotlib >= 3.8 draws a ContourSet (an artist), 3.6 one collection per level
    for c in [cs] if hasattr(cs, "set_gid") else cs.collections:
        c.set_gid("contour")
    w, mu, _ = _mixture(gm)
    for i in _drawn(gm, w, X.shape[0]):
        ax.plot([mu[i, a]], [mu[i, b]], marker="o", color=colour(i), markersize=7,
                linestyle="none")
    _frame(ax, gm, X, a, b)
    ax.set_title("density")
    return ax


def bic(table, ax=None):
    """The BIC of each cell of vem.select(...)'s table against n_components, one line per
    covariance structure (mclust's names; lower is better), the chosen cell (best=True)
    ringed and named in the title. Failed cells have no point."""
    ax = _axes(ax)
    structures = []
    for c in table:
        if c["mclust"] not in structures:
            structures.append(c["mclust"])
    for j, s in enumerate(structures):
        cells = sorted((c["n_components"], c["bic"]) for c in table
                       if c["mclust"] == s and c["status"] == "ok" and math.isfinite(c["bic"]))
        if not cells:
            continue
        open_ = j >= 7
        ax.plot([k for k, _ in cells], [v for _, v in cells], color=PALETTE[j % 7],
                marker=_MARKERS[j % 7], linestyle="--" if open_ else "-",
                markerfacecolor="white" if open_ else PALETTE[j % 7], label=s)
    best = [c for c in table if c.get("best")]
    if best:
        c = best[0]
        ax.plot([c["n_components"]], [c["bic"]], marker="o", markersize=16,
                markerfacecolor="none", markeredgecolor=INK, markeredgewidth=1.5,
                linestyle="none", gid="best")
        ax.set_title("BIC: best %s, %d components (%.6g)" %
                     (c["mclust"], c["n_components"], c["bic"]))
    ax.set_xlabel("number of components")
    ax.set_ylabel("BIC (lower is better)")
    ax.grid(True, color="#EBEBEB")
    ax.legend(ncol=2, fontsize="small", loc="best")
    return ax


def _history(est):
    """(values, what): the objective per iteration that the estimator keeps."""
    if not hasattr(est, "get_params"):
        return np.asarray(est, dtype=np.float64).ravel(), "objective"
    mon = getattr(est, "monitor_", None)
    if mon is not None and len(mon.history):
        return np.asarray(mon.history, dtype=np.float64), "log-likelihood (nats)"
    for name, what in (("elbo_curve_", "ELBO per sample"), ("scores_", "ELBO")):
        v = getattr(est, name, None)
        if v is not None and len(v):
            return np.asarray(v, dtype=np.float64), what
    return None, None


def trace(est, ax=None):
    """The objective at each iteration: an HMM's monitor_.history, a
    VariationalAutoencoder's elbo_curve_, BayesianRidge's or ARDRegression's scores_
    (compute_score=True), or any sequence of numbers. Decreases are marked with crosses.
    The mixtures and LDA keep no history (only the final lower_bound_ or bound_, after
    n_iter_ iterations): for them the final value is the one point drawn."""
    ax = _axes(ax)
    h, what = _history(est)
    if h is None:
        v = getattr(est, "lower_bound_", getattr(est, "bound_", None))
        if v is None:
            raise ValueError("%s keeps no objective: fit it first" % type(est).__name__)
        n = int(getattr(est, "n_iter_", 1))
        ax.plot([n], [v], marker="o", color=PALETTE[0], linestyle="none")
        ax.set_title("%s keeps only its final objective" % type(est).__name__)
        ax.set_ylabel("final objective")
    else:
        it = np.arange(1, len(h) + 1)
        ax.plot(it, h, color=PALETTE[0], linewidth=1.8, marker="o", markersize=3)
        down = np.flatnonzero(np.diff(h) < -1e-9 * np.maximum(1.0, np.abs(h[1:]))) + 1
        if len(down):
            ax.plot(it[down], h[down], marker="x", color=PALETTE[4], markersize=9,
                    linestyle="none", gid="violations")
        ax.set_title("trace: %d iterations, final %.6g" % (len(h), h[-1]))
        ax.set_ylabel(what)
    ax.set_xlabel("iteration")
    ax.grid(True, color="#EBEBEB")
    return ax


def _state_means(hmm):
    if hasattr(hmm, "lambdas_"):
        return np.asarray(hmm.lambdas_, dtype=np.float64)
    mu = np.asarray(hmm.means_, dtype=np.float64)
    if mu.ndim == 3:  # GMMHMM: each state's mixture mean
        return np.einsum("km,kmd->kd", np.asarray(hmm.weights_, dtype=np.float64), mu)
    return mu


def runs(states, lengths=None):
    """(start, stop, state) of each run of one state, split at the sequences' ends."""
    states = np.asarray(states)
    n = len(states)
    ends = np.cumsum(lengths) if lengths is not None else np.array([n])
    out, start = [], 0
    for t in range(1, n + 1):
        if t == n or t in ends or states[t] != states[t - 1]:
            out.append((start, t, int(states[start])))
            start = t
    return out


def states(hmm, X, lengths=None, columns=None, ax=None):
    """The series of X, one panel per column (`columns`, 0-based, default all), over
    bands coloured by the Viterbi path (hmm.decode), each state's mean drawn over its
    stretches. Returns the Axes for one panel, else the Figure; ax: an Axes, or one per
    column."""
    if not (hasattr(hmm, "means_") or hasattr(hmm, "lambdas_")) or \
            np.ndim(getattr(hmm, "means_", getattr(hmm, "lambdas_", None))) < 2:
        raise ValueError("states: %s has no numeric series to draw" % type(hmm).__name__)
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 1:
        X = X.reshape(-1, 1)
    cols = list(range(X.shape[1])) if columns is None else [int(c) for c in columns]
    _, path = hmm.decode(X, lengths)
    mu = _state_means(hmm)
    if ax is None:
        fig, axes = plt.subplots(len(cols), 1, sharex=True, squeeze=False,
                                 figsize=(6.4, max(4.8, 2.0 * len(cols))))
        axes = list(axes[:, 0])
    else:
        axes = list(ax) if np.iterable(ax) else [ax]
        if len(axes) != len(cols):
            raise ValueError("ax: %d Axes for %d columns" % (len(axes), len(cols)))
        fig = axes[0].figure
    names = _names(hmm, X.shape[1])
    stretches = runs(path, lengths)
    t = np.arange(X.shape[0])
    for a, j in zip(axes, cols):
        for s0, s1, k in stretches:
            a.axvspan(s0 - 0.5, s1 - 0.5, color=colour(k), alpha=0.25, linewidth=0,
                      gid="band")
        a.plot(t, X[:, j], color=INK, linewidth=0.7)
        a.hlines([mu[k, j] for _, _, k in stretches], [s0 - 0.5 for s0, _, _ in stretches],
                 [s1 - 0.5 for _, s1, _ in stretches],
                 colors=[colour(k) for _, _, k in stretches], linewidth=2.0)
        a.set_ylabel(names[j])
        a.set_xlim(-0.5, X.shape[0] - 0.5)
    axes[-1].set_xlabel("frame")
    axes[0].set_title("states: %d stretches" % len(stretches))
    handles = [Line2D([], [], color=colour(k), linewidth=6, alpha=0.5,
                      label="state %d" % k) for k in range(mu.shape[0])]
    axes[0].legend(handles=handles, fontsize="small", loc="upper right")
    return axes[0] if len(axes) == 1 else fig


def topics(lda, feature_names, n_top=10, ncols=None, fig=None):
    """The n_top most probable words of each topic of a fitted LatentDirichletAllocation,
    as bars of E[beta_kw] (components_ normalised by row), one panel per topic, the
    most probable at the top; each heading gives the topic's share of the tokens (its
    row of components_ less the prior topic_word_prior_, summed). Returns the Figure."""
    lam = np.asarray(lda.components_, dtype=np.float64)
    words = np.asarray(feature_names)
    if len(words) != lam.shape[1]:
        raise ValueError("feature_names has %d names for %d words" % (len(words), lam.shape[1]))
    k = lam.shape[0]
    beta = lam / lam.sum(axis=1, keepdims=True)
    eta = float(getattr(lda, "topic_word_prior_", 0.0))
    counts = np.maximum(lam - eta, 0.0).sum(axis=1)
    share = counts / counts.sum() if counts.sum() > 0 else np.full(k, 1.0 / k)
    ncols = ncols or min(k, 4)
    nrows = -(-k // ncols)
    if fig is None:
        fig = plt.figure(figsize=(8.0, max(6.0, 2.2 * nrows)))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    n_top = min(int(n_top), lam.shape[1])
    for i, a in enumerate(axes.ravel()):
        if i >= k:
            a.set_visible(False)
            continue
        top = np.argsort(-beta[i], kind="stable")[:n_top]
        y = np.arange(n_top)[::-1]
        a.barh(y, beta[i, top], color=colour(i))
        a.set_yticks(y)
        a.set_yticklabels([str(w) for w in words[top]], fontsize="small")
        for yy, v in zip(y, beta[i, top]):
            a.text(v, yy, " %.3f" % v, va="center", fontsize="x-small")
        a.set_xlim(0, beta[i, top].max() * 1.35)
        a.set_title("topic %d (%.1f%%)" % (i, 100.0 * share[i]), fontsize="small")
        a.tick_params(axis="x", labelsize="x-small")
    fig.tight_layout()
    return fig


def pairs(gm, X, columns=None, kind="classification", fig=None):
    """`vem plot classification --pairs` (or uncertainty, density): a d x d matrix of
    panels over the columns (`columns`, 0-based, default all), row i showing column i up
    and column j across, each off-diagonal panel the `kind` picture of that pair (its
    ellipses, points, contours) and each diagonal panel naming its column, as R's pairs().
    One legend of the components' weights for the figure. Returns the Figure."""
    draw = {"classification": classification, "uncertainty": uncertainty,
            "density": density}.get(kind)
    if draw is None:
        raise ValueError("kind=%r: classification, uncertainty or density" % (kind,))
    X = np.asarray(X, dtype=np.float64)
    cols = list(range(X.shape[1])) if columns is None else [int(c) for c in columns]
    if len(cols) < 2 or any(not 0 <= c < X.shape[1] for c in cols):
        raise ValueError("columns=%r: at least two columns in 0 .. %d" %
                         (columns, X.shape[1] - 1))
    n = len(cols)
    if fig is None:
        fig = plt.figure(figsize=(7.2, 7.2))
    axes = fig.subplots(n, n, squeeze=False)
    names = _names(gm, X.shape[1])
    for i in range(n):
        for j in range(n):
            a = axes[i, j]
            if i == j:
                a.set_xticks([])
                a.set_yticks([])
                a.text(0.5, 0.5, names[cols[i]], ha="center", va="center",
                       transform=a.transAxes)
                continue
            draw(gm, X, columns=(cols[j], cols[i]), ax=a)
            if a.get_legend() is not None:
                a.get_legend().remove()
            a.set_title("")
            a.set_xlabel("")
            a.set_ylabel("")
            a.tick_params(labelsize="x-small")
            if i != n - 1:
                a.tick_params(labelbottom=False)
            if j != 0:
                a.tick_params(labelleft=False)
    w, _, _ = _mixture(gm)
    handles = [Line2D([], [], marker="o", linestyle="none", color=colour(i),
                      label="%d: weight %.3g" % (i, w[i])) for i in _drawn(gm, w, X.shape[0])]
    fig.subplots_adjust(right=0.8)  # the legend's column, right of the panels
    fig.legend(handles=handles, loc="upper right", fontsize="small")
    fig.suptitle("%s (pairs)" % kind)
    return fig


def _js_distance(p, q):
    """sqrt of the Jensen-Shannon divergence (bits) of p and q, as cli/plot_geom.c's
    plot_js_distance: 0 .. 1."""
    m = 0.5 * (p + q)
    with np.errstate(divide="ignore", invalid="ignore"):
        js = 0.5 * np.sum(np.where(p > 0, p * np.log(p / m), 0.0)) + \
            0.5 * np.sum(np.where(q > 0, q * np.log(q / m), 0.0))
    js /= math.log(2.0)
    return math.sqrt(min(js, 1.0)) if js > 0 else 0.0


def _mds(d):
    """Classical MDS of the distance matrix d onto 2 axes, as cli/plot_geom.c's plot_mds:
    the top two eigenvectors of -J D^2 J / 2 scaled by the roots of their eigenvalues,
    each signed so that its largest entry (the first, in ties) is positive."""
    k = d.shape[0]
    xy = np.zeros((k, 2))
    if k < 2:
        return xy
    d2 = d * d
    mean = d2.mean(axis=1)
    b = -0.5 * (d2 - mean[:, None] - mean[None, :] + d2.mean())
    vals, vecs = np.linalg.eigh(b)
    for axis in range(2):
        e = k - 1 - axis
        v = vecs[:, e]
        big = 0.0
        for x in v:
            if abs(x) > abs(big) + 1e-12:
                big = x
        scale = math.sqrt(vals[e]) if vals[e] > 0 else 0.0
        xy[:, axis] = (-1.0 if big < 0 else 1.0) * scale * v
    return xy


def _lda_view(lda):
    """(E[beta] (k, v), each topic's share of the tokens), as cli/plot_lda.c reads them."""
    lam = np.asarray(lda.components_, dtype=np.float64)
    k = lam.shape[0]
    beta = lam / lam.sum(axis=1, keepdims=True)
    eta = float(getattr(lda, "topic_word_prior_", 0.0))
    counts = np.maximum((lam - eta).sum(axis=1), 0.0)
    share = counts / counts.sum() if counts.sum() > 0 else np.full(k, 1.0 / k)
    return beta, share


def topic_map(lda, ax=None, feature_names=None, max_size=3000.0):
    """`vem plot topic-map`: the topics of a fitted LatentDirichletAllocation placed by
    classical multidimensional scaling of their Jensen-Shannon distances (sqrt of the
    divergence in bits, 0 .. 1), each bubble's area proportional to the topic's share
    of the tokens (the largest max_size points^2), the largest drawn first, one unit the
    same length on both axes (as LDAvis, Sievert & Shirley 2014). With feature_names
    (the vocabulary), the legend gives each topic's three most probable words (up to 24
    topics). The distances and coordinates are on the returned Axes as
    ax.topic_distances_ and ax.topic_coordinates_."""
    beta, share = _lda_view(lda)
    k = beta.shape[0]
    dist = np.zeros((k, k))
    for i in range(k):
        for j in range(i):
            dist[i, j] = dist[j, i] = _js_distance(beta[i], beta[j])
    xy = _mds(dist)
    ax = _axes(ax)
    order = sorted(range(k), key=lambda t: -share[t])  # stable: ties keep topic order
    smax = share.max()
    for t in order:
        ax.scatter([xy[t, 0]], [xy[t, 1]], s=max_size * share[t] / smax, color=colour(t),
                   edgecolors="white", linewidths=1.5, gid="bubble %d" % t, zorder=2)
    for t in range(k):
        ink = "#FFFFFF" if PALETTE[t % len(PALETTE)] in ("#000000", "#0072B2") else INK
        ax.text(xy[t, 0], xy[t, 1], "%d" % t, ha="center", va="center", color=ink,
                fontsize="small", zorder=3)
    span = max(np.ptp(xy[:, 0]), np.ptp(xy[:, 1]), 0.4)
    ax.set_xlim(xy[:, 0].min() - 0.25 * span, xy[:, 0].max() + 0.25 * span)
    ax.set_ylim(xy[:, 1].min() - 0.25 * span, xy[:, 1].max() + 0.25 * span)
    ax.set_aspect("equal", adjustable="datalim")
    if feature_names is not None and k <= 24:
        words = np.asarray(feature_names)
        if len(words) != beta.shape[1]:
            raise ValueError("feature_names has %d names for %d words" %
                             (len(words), beta.shape[1]))
        handles = [Line2D([], [], marker="s", linestyle="none", color=colour(t),
                          label="%d: %s" % (t, " ".join(str(w) for w in words[
                              np.argsort(-beta[t], kind="stable")[:3]])))
                   for t in range(k)]
        ax.legend(handles=handles, title="topic: top words", fontsize="small",
                  loc="center left", bbox_to_anchor=(1.02, 0.5))
    ax.set_xlabel("MDS 1 (Jensen-Shannon distance)")
    ax.set_ylabel("MDS 2")
    ax.grid(True, color="#EBEBEB")
    ax.set_axisbelow(True)
    ax.set_title("%d topics by their Jensen-Shannon distances" % k)
    ax.topic_distances_, ax.topic_coordinates_ = dist, xy
    return ax


def _image_shape(d, image_shape):
    if image_shape is None:
        s = int(math.floor(math.sqrt(d) + 0.5))
        if s * s != d:
            raise ValueError("the model's rows have %d columns, not a square number of "
                             "pixels: give image_shape=(H, W)" % d)
        return s, s
    h, w = (int(v) for v in image_shape)
    if h < 1 or w < 1 or h * w != d:
        raise ValueError("image_shape=%r: %d pixels; the model's rows have %d" %
                         (tuple(image_shape), h * w, d))
    return h, w


def _grid(ax, imgs, h, w, title):
    """Tiles of the images (a list of parts, each (n, h*w); 2 parts: each image of the
    first above its match in the second), laid out as cli/plot_vae.c's grid_layout: the
    number of columns giving the largest tiles in the Axes, a gap of a tenth of a tile
    (twice that between blocks of pairs). Grey, 0 black and 1 white, clipped; one image
    (gid "tile") per tile."""
    n, unit = imgs[0].shape[0], len(imgs)
    bbox = ax.get_position()
    width = bbox.width * ax.figure.get_figwidth()
    height = bbox.height * ax.figure.get_figheight()
    aspect = w / h
    best = (0.0, 1, 1)
    for nc in range(1, n + 1):
        nb = -(-n // nc)
        rows = nb * unit
        gx = width / (nc + 0.1 * (nc - 1))
        gy = height / (rows + 0.1 * (rows - 1) + (0.1 * (nb - 1) if unit > 1 else 0))
        side = min(gx / aspect, gy)
        if side > best[0]:
            best = (side, nc, nb)
    _, nc, nb = best
    side, gap = 1.0, 0.1  # data units: a tile's height is 1
    tw = side * aspect
    for p, part in enumerate(imgs):
        for i in range(n):
            b, q = divmod(i, nc)
            x = q * (tw + gap)
            y = (b * unit + p) * (side + gap) + (b * gap if unit > 1 else 0)
            ax.imshow(np.clip(np.nan_to_num(part[i].reshape(h, w), nan=0.0), 0, 1),
                      cmap="gray", vmin=0, vmax=1, interpolation="nearest",
                      extent=(x, x + tw, y + side, y), gid="tile")
    rows = nb * unit
    ax.set_xlim(-gap, nc * tw + (nc - 1) * gap + gap)
    ax.set_ylim(rows * side + (rows - 1) * gap + (gap * (nb - 1) if unit > 1 else 0) + gap,
                -gap)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title)
    ax.grid_shape_ = (rows, nc)
    return ax


def samples(vae, n=16, image_shape=None, random_state=None, ax=None):
    """`vem plot samples`: a grid of n images, the decoder's means at n draws from the
    prior (vae.sample(n, random_state)), H x W pixels row by row (square by default).
    The grid's (rows, columns) are on the returned Axes as ax.grid_shape_."""
    n = int(n)
    if not 1 <= n <= 4096:
        raise ValueError("n=%d: 1 .. 4096 images" % n)
    x = np.asarray(vae.sample(n, random_state=random_state), dtype=np.float64)
    h, w = _image_shape(x.shape[1], image_shape)
    return _grid(_axes(ax), [x], h, w, "%d images decoded from the prior" % n)


def reconstructions(vae, X, n=8, image_shape=None, ax=None):
    """`vem plot reconstructions`: X's first n rows, each above its reconstruction
    (vae.reconstruct: the decoder's mean at the encoder's mean)."""
    X = np.asarray(X, dtype=np.float64)
    n = int(n)
    if not 1 <= n <= 4096:
        raise ValueError("n=%d: 1 .. 4096 rows" % n)
    X = X[:n]
    r = np.asarray(vae.reconstruct(X), dtype=np.float64)
    h, w = _image_shape(X.shape[1], image_shape)
    return _grid(_axes(ax), [X, r], h, w,
                 "%d rows (above) and their reconstructions (below)" % X.shape[0])


def latent(vae, X, labels=None, dims=(0, 1), ax=None):
    """`vem plot latent`: the encoder's means of X's rows (vae.transform) on the latent
    dimensions `dims` (0-based), coloured by `labels`: label value l (in increasing order)
    colour l mod 8, marker l // 8, at most 56 values; one scatter (gid "label VALUE") per
    value, the legend giving each value's count."""
    X = np.asarray(X, dtype=np.float64)
    z = np.asarray(vae.transform(X), dtype=np.float64)
    k = z.shape[1]
    a, b = (int(v) for v in dims)
    if a == b or not (0 <= a < k and 0 <= b < k):
        raise ValueError("dims=%r: two different latent dimensions in 0 .. %d" %
                         (tuple(dims), k - 1))
    ax = _axes(ax)
    size = 4 if len(z) > 2000 else 8 if len(z) > 500 else 14
    if labels is None:
        ax.scatter(z[:, a], z[:, b], s=size, color=colour(0), linewidths=0)
        ax.set_title("encoder means of %d rows" % len(z))
    else:
        labels = np.asarray(labels)
        if len(labels) != len(z):
            raise ValueError("labels: %d for %d rows" % (len(labels), len(z)))
        values, cls = np.unique(labels, return_inverse=True)
        if len(values) > len(PALETTE) * len(_MARKERS):
            raise ValueError("%d distinct labels; at most %d can be told apart (8 colours "
                             "times 7 markers)" % (len(values),
                                                   len(PALETTE) * len(_MARKERS)))
        for l, v in enumerate(values):
            on = cls == l
            ax.scatter(z[on, a], z[on, b], s=size, color=colour(l),
                       marker=_MARKERS[l // len(PALETTE)], linewidths=0,
                       label="%s (%d)" % (v, on.sum()), gid="label %s" % v)
        ax.legend(title="label", fontsize="small", loc="center left",
                  bbox_to_anchor=(1.02, 0.5))
        ax.set_title("encoder means of %d rows by label" % len(z))
    ax.set_xlabel("z%d" % (a + 1))
    ax.set_ylabel("z%d" % (b + 1))
    ax.grid(True, color="#EBEBEB")
    ax.set_axisbelow(True)
    return ax
