"""vem.BayesianGaussianMixture against scikit-learn's BayesianGaussianMixture."""
import math
import pickle
import warnings

import numpy as np
import pytest
from scipy.special import gammaln, multigammaln
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import BayesianGaussianMixture as SkBGM

import vem

# What a warm start reads: scikit-learn's fitted attributes, copied onto vem's estimator.
STATE = ("weight_concentration_", "mean_precision_", "means_", "degrees_of_freedom_",
         "covariances_", "precisions_cholesky_", "weight_concentration_prior_",
         "mean_precision_prior_", "mean_prior_", "degrees_of_freedom_prior_",
         "covariance_prior_", "converged_", "lower_bound_", "n_iter_", "weights_",
         "n_features_in_")


def same_start(X, k, cov, prior_type, reg, **kw):
    """scikit-learn after one iteration from its k-means start, and a vem estimator
    holding the same posterior, both set to warm-start from it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sk = SkBGM(n_components=k, covariance_type=cov, weight_concentration_prior_type=prior_type,
                   reg_covar=reg, max_iter=1, random_state=0).fit(X)
    vm = vem.BayesianGaussianMixture(n_components=k, covariance_type=cov,
                                     weight_concentration_prior_type=prior_type, reg_covar=reg,
                                     warm_start=True, **kw)
    for a in STATE:
        setattr(vm, a, getattr(sk, a))
    sk.set_params(warm_start=True, **kw)
    return sk, vm


def fit_both(sk, vm, X):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sk.fit(X)
        vm.fit(X)


@pytest.mark.parametrize("data,k", [("faithful", 4), ("penguins", 3)])
def test_same_iterations_as_sklearn(request, data, k):
    """Finite Dirichlet prior, full covariances: N CAVI iterations give scikit-learn's
    posterior to round-off."""
    X = request.getfixturevalue(data)
    sk, vm = same_start(X, k, "full", "dirichlet_distribution", 1e-6, max_iter=40, tol=0)
    fit_both(sk, vm, X)
    assert vm.n_iter_ == sk.n_iter_ == 40
    for a in ("weights_", "means_", "covariances_", "precisions_cholesky_", "mean_precision_",
              "degrees_of_freedom_", "weight_concentration_"):
        np.testing.assert_allclose(getattr(vm, a), getattr(sk, a), rtol=1e-10, atol=1e-12,
                                   err_msg=a)
    for a in ("mean_prior_", "covariance_prior_", "degrees_of_freedom_prior_",
              "mean_precision_prior_", "weight_concentration_prior_"):
        np.testing.assert_allclose(getattr(vm, a), getattr(sk, a), rtol=1e-14, err_msg=a)


def sklearn_constant(sk, n):
    """vem's ELBO minus scikit-learn's lower_bound_ at a fixed point (finite Dirichlet,
    full covariances, reg_covar = 0): the normalisers scikit-learn leaves out,
    ln C(alpha0) + K ln B(W0, nu0) + K d (d - 1) / 4 ln pi + K d / 2 ln beta0
    - n d / 2 ln 2 pi (PRML B.23, B.79; scikit-learn also drops the pi term of ln B(W_k, nu_k))."""
    k, d = sk.means_.shape
    a0, b0, nu0 = (sk.weight_concentration_prior_, sk.mean_precision_prior_,
                   sk.degrees_of_freedom_prior_)
    ln_b0 = (nu0 / 2 * np.linalg.slogdet(sk.covariance_prior_)[1] - nu0 * d / 2 * math.log(2)
             - multigammaln(nu0 / 2, d))
    ln_c0 = gammaln(k * a0) - k * gammaln(a0)
    return (ln_c0 + k * ln_b0 + k * d * (d - 1) / 4 * math.log(math.pi) + k * d / 2 * math.log(b0)
            - n * d / 2 * math.log(2 * math.pi))


@pytest.mark.parametrize("data,k", [("faithful", 4), ("penguins", 3)])
def test_lower_bound_relation(request, data, k):
    """Converged from the same start: vem's lower_bound_ (the full ELBO) is scikit-learn's
    plus the documented constant, to 1e-6 relative."""
    X = request.getfixturevalue(data)
    sk, vm = same_start(X, k, "full", "dirichlet_distribution", 0.0, max_iter=5000, tol=1e-10)
    fit_both(sk, vm, X)
    assert vm.converged_ and sk.converged_
    want = sk.lower_bound_ + sklearn_constant(sk, X.shape[0])
    assert abs(vm.lower_bound_ - want) <= 1e-6 * abs(want)
    # The bound of the fitted posterior, evaluated afresh, is the fit's.
    assert vm.elbo(X) == pytest.approx(vm.lower_bound_, rel=1e-9)
    np.testing.assert_allclose(vm.means_, sk.means_, rtol=1e-5)


def test_dirichlet_process_close_to_sklearn(faithful):
    """Stick-breaking: vem fixes the last stick (v_K = 1), scikit-learn leaves it free;
    from the same start the converged fits agree closely but not exactly."""
    sk, vm = same_start(faithful, 4, "full", "dirichlet_process", 1e-6, max_iter=5000,
                        tol=1e-10)
    fit_both(sk, vm, faithful)
    assert isinstance(vm.weight_concentration_, tuple) and len(vm.weight_concentration_) == 2
    np.testing.assert_allclose(vm.means_, sk.means_, rtol=1e-4)
    np.testing.assert_allclose(vm.weights_, sk.weights_, atol=1e-3)


def test_predictive_density_and_protocol(penguins):
    X = penguins
    vm = vem.BayesianGaussianMixture(n_components=6, random_state=1, max_iter=1000).fit(X)
    assert vm.converged_
    assert vm.weights_.shape == (6,) and vm.means_.shape == (6, 4)
    assert vm.covariances_.shape == (6, 4, 4) and vm.precisions_cholesky_.shape == (6, 4, 4)
    np.testing.assert_allclose(vm.weights_.sum(), 1.0, rtol=1e-12)
    proba = vm.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    assert np.array_equal(vm.predict(X), proba.argmax(axis=1))
    s = vm.score_samples(X)
    assert s.shape == (len(X),) and np.all(np.isfinite(s))
    assert vm.score(X) == pytest.approx(s.mean(), rel=1e-14)
    Xs, ys = vm.sample(300)
    assert Xs.shape == (300, 4) and ys.shape == (300,)
    assert np.array_equal(vm.sample(300)[0], Xs)
    # Unpickled, the model is loaded from its model file, as the fitted estimator's was
    # rebuilt from its attributes: the same bits.
    other = pickle.loads(pickle.dumps(vm))
    np.testing.assert_array_equal(other.score_samples(X), s)
    # The same seed gives the same fit.
    again = vem.BayesianGaussianMixture(n_components=6, random_state=1, max_iter=1000).fit(X)
    np.testing.assert_array_equal(again.means_, vm.means_)
    assert again.lower_bound_ == vm.lower_bound_


def test_bayesian_errors(faithful):
    with pytest.raises(ValueError, match="full.*diag|'full' or 'diag'"):
        vem.BayesianGaussianMixture(2, covariance_type="tied").fit(faithful)
    with pytest.raises(ValueError, match="weight_concentration_prior_type"):
        vem.BayesianGaussianMixture(2, weight_concentration_prior_type="x").fit(faithful)
    with pytest.raises(ValueError, match="dof|nu0|degrees"):
        vem.BayesianGaussianMixture(2, degrees_of_freedom_prior=0.5).fit(faithful)
    with pytest.raises(ValueError, match="covariance_prior"):
        vem.BayesianGaussianMixture(2, covariance_prior=np.eye(3)).fit(faithful)
