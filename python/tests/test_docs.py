"""docs/python.md's code, run as the page shows it: the pipeline and the GridSearchCV
blocks (marked "tested"), whose choice on Old Faithful must be the BIC minimiser
computed directly, and the examples block, which must run."""
import os
import re
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

import vem
from conftest import ROOT

DOC = os.path.join(ROOT, "docs", "python.md")
MARK = "<!-- tested: python/tests/test_docs.py runs this block as it is -->"


def blocks():
    """(tested, code) of every python block of the page, in order."""
    with open(DOC) as f:
        text = f.read()
    out = []
    for m in re.finditer(r"(?:^(<!--[^\n]*-->)\n)?```python\n(.*?)^```", text, re.S | re.M):
        out.append((m.group(1) == MARK, m.group(2)))
    return out


def run(code, ns):
    cwd = os.getcwd()
    os.chdir(ROOT)  # the page's paths are relative to the repository
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            exec(compile(code, DOC, "exec"), ns)
    finally:
        os.chdir(cwd)


def test_pipeline_and_grid_search_as_shown():
    tested = [code for t, code in blocks() if t]
    assert len(tested) == 2, "docs/python.md: the pipeline and GridSearchCV blocks"
    ns = {}
    run(tested[0], ns)
    pipe, X = ns["pipe"], ns["X"]
    assert X.shape == (272, 2) and ns["labels"].shape == (272,)
    assert np.array_equal(ns["density"], pipe.score_samples(X))
    run(tested[1], ns)
    bic = [vem.GaussianMixture(k, covariance_type="full", random_state=0).fit(X).bic(X)
           for k in range(1, 7)]
    assert ns["best"] == 1 + int(np.argmin(bic)) == 2


def test_examples_run():
    untested = [code for t, code in blocks() if not t]
    assert len(untested) == 1
    ns = {}
    run(untested[0], ns)
    assert ns["gm"].converged_ and ns["mm"].sigma2_ > 0
