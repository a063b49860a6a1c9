#!/usr/bin/env python3
"""
The exact posterior of Bayesian logistic regression on two penguin species, for
tests/test_blogr.c (docs/blogr.md, "The reference").

Data: examples/data/penguins.csv, Adelie (y = 0) and Chinstrap (y = 1), the rows
with all of beak_depth_mm, flipper_length_mm, body_mass_g; written (raw scale) to
tests/data/blogr_penguins.csv. Model as vem's blogr with its defaults: the features
standardised (mean, standard deviation with divisor n), an intercept appended
last, w = (w_1..w_d, b) ~ N(0, 10 I) on that scale, p(y = 1 | z, w) = sigmoid(z^T w + b).

Posterior mean and covariance by self-normalised importance sampling from a
multivariate t (5 degrees of freedom) centred at the mode with the inverse
Hessian there as its scale matrix; Monte-Carlo standard errors of each entry
from the delta method of self-normalised sampling,
se(f) = sqrt(sum_i wbar_i^2 (f(w_i) - E f)^2). Output: tests/golden/blogr_penguins_ref.txt.
python3 + numpy only. Run from the repository root:
    python3 tests/data/make_blogr_reference.py
"""
import csv
import numpy as np

SEED = 20261207
NSAMP = 4_000_000
CHUNK = 200_000
PRIOR_VAR = 10.0
NU = 5.0
FEATURES = ["beak_depth_mm", "flipper_length_mm", "body_mass_g"]

rows = []
with open("examples/data/penguins.csv") as f:
    for r in csv.DictReader(f):
        if r["species"] not in ("Adelie", "Chinstrap"):
            continue
        try:
            v = [float(r[k]) for k in FEATURES]
        except ValueError:
            continue
        rows.append(v + [1.0 if r["species"] == "Chinstrap" else 0.0])
data = np.array(rows)
with open("tests/data/blogr_penguins.csv", "w") as f:
    f.write(",".join(FEATURES + ["chinstrap"]) + "\n")
    for r in rows:
        f.write("%.17g,%.17g,%.17g,%d\n" % (r[0], r[1], r[2], int(r[3])))

x, y = data[:, :-1], data[:, -1]
n, d = x.shape
z = (x - x.mean(0)) / x.std(0)
Z = np.hstack([z, np.ones((n, 1))])
p = d + 1


def log_post(W):
    """Unnormalised log posterior of each row of W (k x p)."""
    A = W @ Z.T
    ll = (y * A - np.logaddexp(0.0, A)).sum(1)
    return ll - 0.5 * (W * W).sum(1) / PRIOR_VAR


# The mode by Newton's method.
w = np.zeros(p)
for _ in range(100):
    a = Z @ w
    s = 1.0 / (1.0 + np.exp(-a))
    g = Z.T @ (y - s) - w / PRIOR_VAR
    H = (Z * (s * (1 - s))[:, None]).T @ Z + np.eye(p) / PRIOR_VAR
    step = np.linalg.solve(H, g)
    w = w + step
    if np.abs(step).max() < 1e-13:
        break
mode, S = w, np.linalg.inv(H)
C = np.linalg.cholesky(S)

rng = np.random.default_rng(SEED)
ws, lws = [], []
for _ in range(NSAMP // CHUNK):
    e = rng.standard_normal((CHUNK, p))
    u = rng.chisquare(NU, CHUNK)
    W = mode + (e @ C.T) * np.sqrt(NU / u)[:, None]
    q = W - mode
    maha = np.einsum("ij,ij->i", q @ np.linalg.inv(S), q)
    lq = -0.5 * (NU + p) * np.log1p(maha / NU)  # t density up to a constant
    ws.append(W)
    lws.append(log_post(W) - lq)
W = np.vstack(ws)
lw = np.concatenate(lws)
wt = np.exp(lw - lw.max())
wt /= wt.sum()
ess = 1.0 / (wt * wt).sum()
mean = wt @ W
D = W - mean
cov = (D * wt[:, None]).T @ D
mean_se = np.sqrt((wt[:, None] ** 2 * D ** 2).sum(0))
cov_se = np.zeros((p, p))
for i in range(p):
    for j in range(p):
        f = D[:, i] * D[:, j]
        cov_se[i, j] = np.sqrt((wt ** 2 * (f - cov[i, j]) ** 2).sum())


def line(name, v):
    return name + " " + " ".join("%.17g" % t for t in np.ravel(v)) + "\n"


with open("tests/golden/blogr_penguins_ref.txt", "w") as f:
    f.write("# made by tests/data/make_blogr_reference.py: exact posterior of Bayesian logistic\n")
    f.write("# regression, Adelie (0) vs Chinstrap (1) on standardised %s, intercept last,\n"
            % ", ".join(FEATURES))
    f.write("# prior N(0, %g I); self-normalised importance sampling from a t_%g at the mode.\n"
            % (PRIOR_VAR, NU))
    f.write(line("n_rows", [n]))
    f.write(line("prior_var", [PRIOR_VAR]))
    f.write(line("n_samples", [NSAMP]))
    f.write(line("seed", [SEED]))
    f.write(line("ess", [ess]))
    f.write(line("mode", mode))
    f.write(line("mean", mean))
    f.write(line("mean_se", mean_se))
    f.write(line("cov", cov))
    f.write(line("cov_se", cov_se))
print("n", n, "ess", ess)
print("mean", mean, "se", mean_se)
print("cov", cov)
print("cov_se", cov_se)
