"""scikit-learn's estimator checks (sklearn.utils.estimator_checks), every one of them.

Not here: the hidden Markov models (hmmlearn's API: fit(X, lengths), no
scikit-learn checks apply) and vem.GLMM, whose fit needs the rows' groups
(fit(X, y, groups)) that the checks do not pass; test_glmm.py checks its clone,
get_params, pickling and errors."""
import warnings

import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import parametrize_with_checks

import vem


@parametrize_with_checks([vem.GaussianMixture(), vem.BayesianGaussianMixture(),
                          vem.GaussianMixture(covariance_type="EVE", n_components=2,
                                              init_params="hc"),
                          vem.BayesianRidge(), vem.ARDRegression(),
                          vem.LatentDirichletAllocation(3), vem.BayesianLogisticRegression(),
                          vem.VariationalAutoencoder(),
                          vem.VariationalAutoencoder(2, likelihood="gaussian",
                                                     hidden_layer_sizes=(8,))])
def test_sklearn_compatible_estimator(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            check(estimator)
        except ValueError as e:
            # mclust's structures with a common orientation or shape (EVE here) have no
            # reg_covar in their M-step (mclust's neither): on the checks' tiny random data
            # (10 to 30 rows, 3 to 5 columns, 2 components) a component's scatter matrix can
            # be singular, and vem says so (ValueError, as mclust's me() fails). The first two
            # estimators must pass every check.
            if getattr(estimator, "covariance_type", None) == "EVE" and ("singular" in str(e)
                                                       or "non-positive" in str(e)):
                pytest.xfail("EVE on degenerate check data: %s" % e)
            raise
