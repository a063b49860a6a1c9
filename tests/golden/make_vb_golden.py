#!/usr/bin/env python3
"""Reference numbers for vem's variational Bayes (tests/test_vbgmm.c, tests/test_blr.c).

    /usr/bin/python3 tests/golden/make_vb_golden.py > tests/golden/vb_golden.txt
    /usr/bin/python3 tests/golden/make_vb_golden.py --export   # (re)write examples/data/diabetes.csv

Independent of vem: scikit-learn 1.2.1 (BayesianRidge, ARDRegression), numpy and
scipy, in closed form where one exists. Output: one reference per line,
"name value value ...", values printed with 17 significant digits.

- nw_evidence_*: the exact log evidence ln p(X) of one Gaussian with a
  Normal-Wishart prior (full) or D independent Normal-Gamma priors (diag) on
  Old Faithful, with scikit-learn's default priors: mean prior = data mean,
  mean precision 1, dof D, W0^-1 = np.cov(X.T) (divisor n - 1; diag: the
  column variances, ddof=1). Bishop PRML eq. 2.154 family; ln p(X) =
  -N D/2 ln pi + ln Gamma_D(nu_N/2) - ln Gamma_D(nu_0/2) + nu_0/2 ln|W0^-1|
  - nu_N/2 ln|W_N^-1| + D/2 ln(beta_0/beta_N). A variational fit with K = 1
  and reg_covar = 0 is exact, so its ELBO must equal this.
- br_*: scikit-learn's BayesianRidge (hyperpriors 1e-6) run to its fixed point
  (tol 1e-12, 100000 iterations) on the diabetes data in three set-ups:
  z = standardised columns (divisor n) with an intercept (= centred target);
  z without an intercept; raw columns with an intercept. Fields: noise
  precision (alpha_), weight precision (lambda_), intercept, coefficients on
  the input scale, then predictive mean and standard deviation
  (predict(return_std=True)) of rows 1, 2 and 442. scikit-learn's return_std
  computes x^T Sigma x with the rows uncentred, although Sigma belongs to the
  centred features; with standardised features (mean zero) that is the same as
  vem's (x - mean)^T Sigma (x - mean), so the test compares the standard
  deviations of the two standardised set-ups only.
"""
import os
import sys

import numpy as np
import scipy
import sklearn
from scipy.special import gammaln, multigammaln
from sklearn.linear_model import BayesianRidge

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "examples", "data")


def export_diabetes():
    from sklearn.datasets import load_diabetes
    d = load_diabetes(scaled=False)
    path = os.path.join(DATA, "diabetes.csv")
    with open(path, "w") as f:
        f.write(",".join(d.feature_names + ["target"]) + "\n")
        for row, t in zip(d.data, d.target):
            f.write(",".join(repr(float(v)) for v in row) + "," + repr(float(t)) + "\n")
    print("wrote", path, file=sys.stderr)


def fmt(name, values):
    return name + " " + " ".join("%.17g" % v for v in values)


def nw_evidence(X, diag):
    n, d = X.shape
    m0 = X.mean(0)
    b0, nu0 = 1.0, float(d)
    xb = X.mean(0)
    bn, nun = b0 + n, nu0 + n
    if not diag:
        c0 = np.cov(X.T)
        s = (X - xb).T @ (X - xb)
        wn = c0 + s + b0 * n / bn * np.outer(xb - m0, xb - m0)
        return (-n * d / 2 * np.log(np.pi) + multigammaln(nun / 2, d) - multigammaln(nu0 / 2, d)
                + nu0 / 2 * np.linalg.slogdet(c0)[1] - nun / 2 * np.linalg.slogdet(wn)[1]
                + d / 2 * np.log(b0 / bn))
    total = 0.0
    c0 = np.var(X, axis=0, ddof=1)
    for j in range(d):
        x = X[:, j]
        s = ((x - xb[j]) ** 2).sum()
        wn = c0[j] + s + b0 * n / bn * (xb[j] - m0[j]) ** 2
        total += (-n / 2 * np.log(np.pi) + gammaln(nun / 2) - gammaln(nu0 / 2)
                  + nu0 / 2 * np.log(c0[j]) - nun / 2 * np.log(wn) + 0.5 * np.log(b0 / bn))
    return total


def main():
    if "--export" in sys.argv:
        export_diabetes()
        return
    print("# vem variational Bayes references (see make_vb_golden.py)")
    print("# python %s, numpy %s, scipy %s, scikit-learn %s" % (
        sys.version.split()[0], np.__version__, scipy.__version__, sklearn.__version__))
    faithful = np.loadtxt(os.path.join(DATA, "faithful.csv"), delimiter=",", skiprows=1)
    print(fmt("nw_evidence_full", [nw_evidence(faithful, False)]))
    print(fmt("nw_evidence_diag", [nw_evidence(faithful, True)]))

    raw = np.loadtxt(os.path.join(DATA, "diabetes.csv"), delimiter=",", skiprows=1)
    X, y = raw[:, :10], raw[:, 10]
    mean, sd = X.mean(0), X.std(0)
    Z = (X - mean) / sd
    rows = [0, 1, len(y) - 1]
    for name, feats, icpt, scale in (("br_std_icpt", Z, True, sd), ("br_std_noicpt", Z, False, sd),
                                     ("br_raw_icpt", X, True, np.ones(10))):
        m = BayesianRidge(tol=1e-12, n_iter=100000, fit_intercept=icpt).fit(feats, y)
        coef = m.coef_ / scale
        intercept = m.intercept_ - (coef * mean).sum() if feats is Z else m.intercept_
        if feats is Z and not icpt:
            intercept = -(coef * mean).sum()
        mu, sdev = m.predict(feats[rows], return_std=True)
        vals = [m.alpha_, m.lambda_, intercept] + list(coef)
        for a, b in zip(mu, sdev):
            vals += [a, b]
        print(fmt(name, vals))


if __name__ == "__main__":
    main()
