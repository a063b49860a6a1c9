"""vem: EM and variational inference (libvem) with scikit-learn's estimator API.

    import vem
    gm = vem.GaussianMixture(2, covariance_type="full", random_state=0).fit(X)
    table = vem.select(X, n_components=range(1, 10), covariance_type="all")
    h = vem.GaussianHMM(3, covariance_type="full", n_iter=100).fit(X, lengths)
    vem.plot.classification(gm, X)      # matplotlib, imported on first use

See python/README.md in the repository.
"""
from ._core import __version__
from .mixture import BayesianGaussianMixture, GaussianMixture, select
from . import hmm
from .decomposition import LatentDirichletAllocation
from .linear_model import ARDRegression, BayesianLogisticRegression, BayesianRidge, GLMM
from .neural_network import VariationalAutoencoder
from .hmm import (CategoricalHMM, GaussianHMM, GMMHMM, MultinomialHMM, PoissonHMM,
                  VariationalCategoricalHMM, VariationalGaussianHMM, VariationalPoissonHMM)

__all__ = ["GaussianMixture", "BayesianGaussianMixture", "select", "hmm", "GaussianHMM",
           "GMMHMM", "CategoricalHMM", "PoissonHMM", "MultinomialHMM",
           "VariationalGaussianHMM", "VariationalCategoricalHMM", "VariationalPoissonHMM",
           "LatentDirichletAllocation", "BayesianRidge", "ARDRegression", "GLMM",
           "BayesianLogisticRegression", "VariationalAutoencoder", "__version__"]


def __getattr__(name):
    # vem.plot (matplotlib) is imported on first use, so that `import vem` does not need
    # matplotlib (PEP 562).
    if name == "plot":
        import importlib
        return importlib.import_module(".plot", __name__)
    raise AttributeError("module %r has no attribute %r" % (__name__, name))
