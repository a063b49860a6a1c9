"""The variational autoencoder with scikit-learn's transformer API over libvem
(include/vem/vae.h, docs/vae.md; python/README.md): no PyTorch, the network runs in
libvem (float32 BLAS, OpenMP over rows, the GIL released)."""
import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from . import _core
from ._common import seed as _seed, validate_data
from ._modelfile import ModelFileState

try:  # scikit-learn >= 1.2
    from sklearn.base import ClassNamePrefixFeaturesOutMixin as _FeaturesOut
except ImportError:  # pragma: no cover
    _FeaturesOut = object

__all__ = ["VariationalAutoencoder"]

# `vem score --importance-samples`'s seed of the IWAE draws: the ELBO's seed with these
# bits flipped (cli/cmd_vae.c), so that the two estimates use other noise.
_IWAE_SEED_XOR = 0x1a2b3c4d


class VariationalAutoencoder(ModelFileState, _FeaturesOut, TransformerMixin, BaseEstimator):
    """Variational autoencoder (Kingma & Welling 2014) fitted by Adam in libvem (`vem fit
    vae`): an MLP encoder maps x to a diagonal Gaussian q(z|x) in n_components dimensions,
    an MLP decoder (the hidden layers reversed) maps z to p(x|z), the prior is N(0, I).

    Parameters (the command's options and defaults): n_components (latent dimensions, 20),
    hidden_layer_sizes ((400,); () for linear maps), activation ('relu', 'tanh',
    'softplus'), likelihood ('bernoulli' for data in [0, 1], 'gaussian' with a learned
    variance per column), binarize (None, 'static': every X thresholded at 0.5, in fit
    and in every method, as the command's --binarize static; 'dynamic': a Bernoulli(x)
    draw at every visit in training), samples (reparameterised draws per row and step),
    max_iter (epochs, 50), batch_size (128), learning_rate (Adam's, 1e-3), patience
    (with validation data: stop after this many epochs without a better validation
    ELBO), warm_start (continue from the current network; Adam starts anew), random_state
    (vem's seed: initialisation, shuffles, noise; an int is `vem --seed`), n_threads
    (results do not depend on it).

    Methods: fit(X, y=None, validation_data=None) (validation rows: their ELBO after
    every epoch, the best epoch's network kept), transform(X) (the encoder's means;
    return_std=True also gives the standard deviations), reconstruct(X) (the decoder's
    mean at the encoder's means), score(X) (the mean ELBO per row, nats: the estimate
    with the model's draws and seed 0, `vem score`'s), elbo(X) (each row's estimate),
    iwae(X, k) (the importance-weighted bound, total and its standard error, `vem score
    --importance-samples k`'s), sample(n_samples) (decoder means of prior draws, `vem
    sample`'s). Attributes: lower_bound_ (the last epoch's training ELBO, total nats),
    elbo_curve_ (every epoch's), validation_elbo_curve_ (with validation data), n_iter_,
    n_features_in_, n_params_.

    elbo(X) seeds row i's draws by (seed, i): the estimate depends on the row's position,
    so it is not scikit-learn's score_samples (whose checks want results that do not
    depend on the other rows); score is its mean.
    """

    def __init__(self, n_components=20, *, hidden_layer_sizes=(400,), activation="relu",
                 likelihood="bernoulli", binarize=None, samples=1, max_iter=50,
                 batch_size=128, learning_rate=1e-3, patience=0, warm_start=False,
                 random_state=None, n_threads=0):
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.likelihood = likelihood
        self.binarize = binarize
        self.samples = samples
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.patience = patience
        self.warm_start = warm_start
        self.random_state = random_state
        self.n_threads = n_threads

    _core_class = _core.Vae  # pickled through its model file and .npy (vem._modelfile)

    # ---- helpers

    def _data(self, X, reset):
        X = validate_data(self, X, dtype=np.float64, reset=reset)
        if self.binarize == "static":
            return (X > 0.5).astype(np.float64)
        return np.ascontiguousarray(X, dtype=np.float64)

    def _hidden(self):
        h = self.hidden_layer_sizes
        if h is None:
            return ()
        if isinstance(h, (int, np.integer)):
            h = (h,)
        return tuple(int(v) for v in h)

    def _fitted(self, X):
        check_is_fitted(self, "lower_bound_")
        return self._data(X, reset=False)

    @property
    def _n_features_out(self):
        return int(self.n_components)

    # ---- fitting

    def fit(self, X, y=None, validation_data=None):
        """Fit the encoder and decoder by Adam on the ELBO; returns self."""
        if self.binarize not in (None, "none", "static", "dynamic"):
            raise ValueError("binarize=%r: None, 'static' or 'dynamic'" % (self.binarize,))
        if self.binarize == "dynamic" and self.likelihood != "bernoulli":
            raise ValueError("binarize='dynamic' needs likelihood='bernoulli'")
        warm = bool(self.warm_start) and getattr(self, "_model", None) is not None
        prev = getattr(self, "n_features_in_", None)
        X = self._data(X, reset=True)
        if int(self.max_iter) < 1:
            raise ValueError("max_iter=%r must be >= 1" % (self.max_iter,))
        if warm and prev == X.shape[1]:
            v = self._model
        else:
            v = _core.Vae(X.shape[1], int(self.n_components), self._hidden(),
                          str(self.likelihood), str(self.activation))
            warm = False
        v.set_samples(int(self.samples))
        v.set_binarize(1 if self.binarize == "dynamic" else 0)
        valid = None
        if validation_data is not None:
            valid = self._data(validation_data, reset=False)
        elif int(self.patience) > 0:
            raise ValueError("patience needs validation_data")
        opts = _core.FitOptions("engine")
        opts.set(algorithm="adam", max_iter=int(self.max_iter), tol=0.0,
                 batch_size=int(self.batch_size), lr=float(self.learning_rate),
                 patience=int(self.patience), warm_start=warm, n_threads=int(self.n_threads))
        res = v.fit(X, opts, _seed(self.random_state), valid)
        self._model = v
        self.lower_bound_ = float(res["objective"])
        self.elbo_curve_ = np.asarray(res["trace"], dtype=np.float64)
        if valid is not None:
            self.validation_elbo_curve_ = np.asarray(res["validation"], dtype=np.float64)
        self.n_iter_ = int(res["n_iter"])
        self.n_params_ = int(v.get_params().size)
        self.fit_result_ = res
        return self

    # ---- using the model

    def transform(self, X, return_std=False):
        """The means of q(z|x) (n, n_components); with return_std, also the sds."""
        mean, sd = self._model.encode(self._fitted(X))
        return (mean, sd) if return_std else mean

    def reconstruct(self, X):
        """The decoder's mean at the encoder's mean of each row (n, n_features)."""
        return self._model.reconstruct(self._fitted(X))

    def elbo(self, X, samples=None, seed=0):
        """Each row's ELBO estimate (nats) with samples draws (None: the model's), row i's
        noise seeded by (seed, i)."""
        rows, _ = self._model.elbo(self._fitted(X), 0 if samples is None else int(samples),
                                   int(seed))
        return rows

    def score(self, X, y=None):
        """The mean ELBO per row (nats), `vem score`'s estimate (the model's draws, seed 0)."""
        X = self._fitted(X)
        _, total = self._model.elbo(X, 0, 0)
        return total / X.shape[0]

    def iwae(self, X, k=5000, seed=0):
        """(total, standard error): the importance-weighted bound with k samples, `vem score
        --importance-samples k --seed seed`'s (k = 5000: the usual test log-likelihood)."""
        _, total, se = self._model.iwae(self._fitted(X), int(k),
                                        int(seed) ^ _IWAE_SEED_XOR, int(self.n_threads))
        return total, se

    def sample(self, n_samples=1, random_state=None):
        """Decoder means of n_samples prior draws z ~ N(0, I) (`vem sample -n N --seed S`);
        random_state None: the estimator's."""
        check_is_fitted(self, "lower_bound_")
        rs = self.random_state if random_state is None else random_state
        return self._model.sample(int(n_samples), _seed(rs))
