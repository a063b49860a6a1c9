#!/usr/bin/python3
"""Reference held-out perplexities for LDA on the Brown corpus from scikit-learn 1.2.

    /usr/bin/python3 tests/golden/make_lda_golden.py examples/data/brown > tests/golden/lda_brown_sklearn.txt

Fits scikit-learn's batch LatentDirichletAllocation (and, after it, the online one) with alpha = eta = 1/K, K = 20,
10 iterations, E-step until the mean change of gamma < 1e-3 or 100 sweeps, on the
450 training documents, for a few seeds, and scores the 50 test documents.

scikit-learn's perplexity() adds the global term -KL(q(beta) || p(beta)) without
scaling it to the held-out set (its issue 20032), so the held-out bound per word is
computed here as vem computes it: the local terms of the ELBO only (Hoffman, Blei &
Bach 2010, eq. 16), from components_ (lambda) and the test documents' unnormalised
gamma, summed over documents and divided by the test tokens:

  sum_w n_dw log sum_k exp(E[log theta_dk] + E[log beta_kw])
  + sum_k (alpha - gamma_dk) E[log theta_dk] + sum_k (lgamma(gamma_dk) - lgamma(alpha))
  + lgamma(K alpha) - lgamma(sum_k gamma_dk)

Document completion: the tokens of each test document, listed in word-id order,
are split alternately (even positions observed, odd positions held out); gamma is
fitted on the observed half, and the held-out half is scored with the posterior
means theta = gamma / sum(gamma), beta = lambda / rowsum(lambda):
  perplexity = exp(-sum_w n_w log sum_k theta_k beta_kw / held-out tokens).
"""
import sys
import time

import numpy as np
import scipy.sparse as sp
from scipy.special import digamma, gammaln, logsumexp
from sklearn.decomposition import LatentDirichletAllocation


def read_uci(path):
    with open(path) as f:
        d = int(f.readline())
        w = int(f.readline())
        nnz = int(f.readline())
        a = np.loadtxt(f, dtype=np.int64, ndmin=2)
    assert a.shape[0] == nnz
    return sp.csr_matrix((a[:, 2].astype(np.float64), (a[:, 0] - 1, a[:, 1] - 1)), shape=(d, w))


def local_bound(x, gamma, lam, alpha):
    """Sum over the documents of x of the ELBO's local terms (nats)."""
    elogb = digamma(lam) - digamma(lam.sum(axis=1))[:, None]
    k = lam.shape[0]
    total = 0.0
    for d in range(x.shape[0]):
        lo, hi = x.indptr[d], x.indptr[d + 1]
        ids, cts = x.indices[lo:hi], x.data[lo:hi]
        g = gamma[d]
        elogt = digamma(g) - digamma(g.sum())
        total += np.dot(cts, logsumexp(elogt[:, None] + elogb[:, ids], axis=0))
        total += np.sum((alpha - g) * elogt) + np.sum(gammaln(g) - gammaln(alpha))
        total += gammaln(k * alpha) - gammaln(g.sum())
    return total


def split_halves(x):
    """Alternate tokens (word-id order) into observed and held-out halves."""
    obs = x.copy().tolil()
    held = x.copy().tolil()
    for d in range(x.shape[0]):
        lo, hi = x.indptr[d], x.indptr[d + 1]
        t = 0
        for j in range(lo, hi):
            w, c = x.indices[j], int(x.data[j])
            even = (c + 1 - (t % 2)) // 2  # even positions among t .. t+c-1
            obs[d, w] = even
            held[d, w] = c - even
            t += c
    obs, held = obs.tocsr(), held.tocsr()
    obs.eliminate_zeros()
    held.eliminate_zeros()
    return obs, held


def completion(lda, obs, held, lam):
    gamma = lda._unnormalized_transform(obs)
    theta = gamma / gamma.sum(axis=1)[:, None]
    beta = lam / lam.sum(axis=1)[:, None]
    p = theta @ beta
    ll = held.multiply(np.log(p)).sum()
    return float(np.exp(-ll / held.sum()))


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "examples/data/brown"
    xtr = read_uci(root + "/docword.brown.train.txt")
    xte = read_uci(root + "/docword.brown.test.txt")
    k = 20
    alpha = 1.0 / k
    obs, held = split_halves(xte)
    print("# scikit-learn %s batch LDA on Brown: K=%d alpha=eta=%g max_iter=10" %
          (__import__("sklearn").__version__, k, alpha))
    print("# train %d docs %d tokens, test %d docs %d tokens" %
          (xtr.shape[0], int(xtr.sum()), xte.shape[0], int(xte.sum())))
    print("# seed bound_per_word perplexity completion_perplexity seconds")
    bounds = []
    comps = []
    for seed in range(5):
        lda = LatentDirichletAllocation(n_components=k, doc_topic_prior=alpha,
                                        topic_word_prior=alpha, learning_method="batch",
                                        max_iter=10, mean_change_tol=1e-3,
                                        max_doc_update_iter=100, evaluate_every=-1,
                                        random_state=seed, n_jobs=1)
        t0 = time.perf_counter()
        lda.fit(xtr)
        secs = time.perf_counter() - t0
        lam = lda.components_
        gamma = lda._unnormalized_transform(xte)
        b = local_bound(xte, gamma, lam, alpha) / xte.sum()
        c = completion(lda, obs, held, lam)
        bounds.append(b)
        comps.append(c)
        print("%d %.10f %.6f %.6f %.3f" % (seed, b, np.exp(-b), c, secs))
    b = float(np.mean(bounds))
    print("mean_bound_per_word %.10f" % b)
    print("mean_perplexity %.6f" % np.exp(-b))
    print("mean_completion_perplexity %.6f" % float(np.mean(comps)))
    # Online variational Bayes (Hoffman et al. 2010) with REFERENCE.md's settings:
    # minibatch 128, rho_t = (10 + t)^-0.7, 10 passes.
    print("# scikit-learn online LDA: batch_size=128 learning_offset=10 learning_decay=0.7 "
          "max_iter=10")
    online = []
    for seed in range(5):
        lda = LatentDirichletAllocation(n_components=k, doc_topic_prior=alpha,
                                        topic_word_prior=alpha, learning_method="online",
                                        batch_size=128, learning_offset=10.0, learning_decay=0.7,
                                        max_iter=10, mean_change_tol=1e-3,
                                        max_doc_update_iter=100, evaluate_every=-1,
                                        random_state=seed, n_jobs=1)
        lda.fit(xtr)
        gamma = lda._unnormalized_transform(xte)
        ob = local_bound(xte, gamma, lda.components_, alpha) / xte.sum()
        online.append(ob)
        print("online %d %.10f %.6f" % (seed, ob, np.exp(-ob)))
    print("mean_online_perplexity %.6f" % np.exp(-float(np.mean(online))))


if __name__ == "__main__":
    main()
