"""vem.LatentDirichletAllocation: the command's fit bit for bit, transform and
perplexity's definitions, Brown against scikit-learn's golden figures (docs/lda.md)."""
import copy
import os
import pickle
import subprocess

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone

import vem

from conftest import DATA


def read_uci(path):
    with open(path) as f:
        d, w, _ = int(f.readline()), int(f.readline()), int(f.readline())
        a = np.loadtxt(f, dtype=np.int64, ndmin=2)
    return sp.csr_matrix((a[:, 2].astype(float), (a[:, 0] - 1, a[:, 1] - 1)), shape=(d, w))


def write_uci(X, path):
    X = sp.coo_matrix(X)
    with open(path, "w") as f:
        f.write("%d\n%d\n%d\n" % (X.shape[0], X.shape[1], X.nnz))
        for i, j, c in sorted(zip(X.row, X.col, X.data)):
            f.write("%d %d %d\n" % (i + 1, j + 1, c))


@pytest.fixture(scope="module")
def small():
    rng = np.random.RandomState(0)
    topics = rng.dirichlet(np.full(40, 0.1), size=4)
    rows = []
    for _ in range(120):
        theta = rng.dirichlet(np.full(4, 0.3))
        rows.append(rng.multinomial(60, theta @ topics))
    return sp.csr_matrix(np.array(rows, dtype=float))


@pytest.fixture(scope="module")
def brown():
    return (read_uci(os.path.join(DATA, "brown", "docword.brown.train.txt")),
            read_uci(os.path.join(DATA, "brown", "docword.brown.test.txt")))


@pytest.mark.parametrize("method", ["batch", "online"])
def test_same_fit_as_the_command(small, vem_cli, tmp_path, method):
    """`vem fit lda` on the same corpus (a docword file), seed and options: the same
    topics (lambda) to the bit."""
    corpus = str(tmp_path / "docword.txt")
    write_uci(small, corpus)
    model = str(tmp_path / "m.json")
    args = [vem_cli, "fit", "lda", corpus, "-k", "4", "--seed", "7", "--max-iter", "6",
            "--tol", "0", "-o", model]
    if method == "online":
        args += ["--algorithm", "stepwise", "--batch-size", "32", "--kappa", "0.7",
                 "--tau", "10"]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    lam = np.load(str(tmp_path / "m.lambda.npy"))
    est = vem.LatentDirichletAllocation(4, max_iter=6, learning_method=method, batch_size=32,
                                        random_state=7).fit(small)
    assert np.array_equal(est.components_, lam)


def test_transform_and_perplexity(small):
    est = vem.LatentDirichletAllocation(4, random_state=0)
    theta = est.fit_transform(small)
    assert theta.shape == (small.shape[0], 4)
    assert np.allclose(theta.sum(axis=1), 1, atol=1e-12)
    assert np.all(theta > 0)
    gamma = est.transform(small, normalize=False)
    assert np.allclose(gamma / gamma.sum(axis=1, keepdims=True), theta, atol=1e-14)
    bound = est.score(small)
    assert est.perplexity(small) == pytest.approx(np.exp(-bound / small.sum()), rel=1e-14)
    assert est.n_iter_ == 10 and est.n_batch_iter_ == 10
    assert est.n_features_in_ == 40
    assert est.components_.shape == (4, 40)
    # exp(E[log beta]) is below the posterior mean E[beta] (Jensen), rows < 1.
    assert np.all(est.exp_dirichlet_component_ <
                  est.components_ / est.components_.sum(axis=1, keepdims=True))
    # dense input and other sparse formats give the same answer
    assert np.array_equal(est.transform(small.toarray()), theta)
    assert np.array_equal(est.transform(small.tocsc()), theta)


def test_sparse_formats_and_errors(small):
    a = vem.LatentDirichletAllocation(3, random_state=1).fit(small)
    b = vem.LatentDirichletAllocation(3, random_state=1).fit(small.tocoo())
    assert np.array_equal(a.components_, b.components_)
    with pytest.raises(ValueError, match="Negative"):
        vem.LatentDirichletAllocation(3).fit(-small)
    with pytest.raises(ValueError, match="features"):
        a.transform(small[:, :10])
    with pytest.raises(ValueError):
        vem.LatentDirichletAllocation(0).fit(small)


def test_online_and_partial_fit(small):
    est = vem.LatentDirichletAllocation(4, learning_method="online", batch_size=40,
                                        max_iter=5, random_state=0).fit(small)
    assert est.n_iter_ == 5 and est.n_batch_iter_ == 15
    p0 = est.perplexity(small)
    est.partial_fit(small[:60])
    assert est.n_batch_iter_ == 17 and est.n_iter_ == 6
    assert np.isfinite(est.perplexity(small))
    p = vem.LatentDirichletAllocation(4, batch_size=40, random_state=0)
    for _ in range(5):
        p.partial_fit(small)
    assert p.perplexity(small) < p0 * 1.5


def test_clone_pickle_deepcopy(small):
    est = vem.LatentDirichletAllocation(4, random_state=3).fit(small)
    for other in (pickle.loads(pickle.dumps(est)), copy.deepcopy(est)):
        assert np.array_equal(other.transform(small), est.transform(small))
        assert other.score(small) == est.score(small)
    c = clone(est)
    assert c.get_params() == est.get_params() and not hasattr(c, "components_")


def test_warm_start_from_components(small):
    """A components_ set by hand is where a warm-started fit starts."""
    a = vem.LatentDirichletAllocation(4, max_iter=3, random_state=0).fit(small)
    b = vem.LatentDirichletAllocation(4, max_iter=3, random_state=0).fit(small)
    b.set_params(warm_start=True, max_iter=2).fit(small)
    a2 = vem.LatentDirichletAllocation(4, max_iter=5, random_state=0).fit(small)
    assert np.allclose(b.components_, a2.components_, rtol=1e-10)


def test_brown_against_scikit_learn_golden(brown):
    """docs/lda.md's relation, through the package: K = 20, alpha = eta = 0.05, 10 batch
    passes, 3 seeds: the mean held-out perplexity within 2 % of scikit-learn's mean over
    5 seeds (tests/golden/lda_brown_sklearn.txt, the same bound: local terms only)."""
    train, test = brown
    golden = os.path.join(os.path.dirname(DATA), "..", "tests", "golden",
                          "lda_brown_sklearn.txt")
    ref = None
    with open(golden) as f:
        for line in f:
            if line.startswith("mean_perplexity "):
                ref = float(line.split()[1])
    assert ref is not None
    # The test corpus may have a smaller vocabulary header: pad it to the training one.
    test = sp.csr_matrix((test.data, test.indices, test.indptr),
                         shape=(test.shape[0], train.shape[1]))
    perp = []
    for seed in range(3):
        est = vem.LatentDirichletAllocation(20, doc_topic_prior=0.05, topic_word_prior=0.05,
                                            max_iter=10, random_state=seed).fit(train)
        perp.append(est.perplexity(test))
    assert abs(np.mean(perp) / ref - 1) < 0.02, (perp, ref)


def test_same_start_as_scikit_learn(small):
    """From scikit-learn's own initial topics (its Gamma(100, 1/100) draw), 20 batch passes:
    vem and scikit-learn end within 1 % in vem's perplexity (their E-steps start apart)."""
    from sklearn.decomposition import LatentDirichletAllocation as SkLDA
    sk = SkLDA(4, max_iter=20, random_state=0).fit(small)
    start = np.random.RandomState(0).gamma(100.0, 0.01, (4, small.shape[1]))
    est = vem.LatentDirichletAllocation(4, max_iter=1, random_state=0).fit(small)
    est.components_ = start
    est.set_params(warm_start=True, max_iter=20).fit(small)
    ours = est.perplexity(small)
    est.components_ = sk.components_
    theirs = est.perplexity(small)
    assert abs(ours / theirs - 1) < 0.01, (ours, theirs)
