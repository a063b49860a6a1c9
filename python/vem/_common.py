"""What the estimators share: vem's seed from a random_state, the engine options they
pass on (engine_options), and scikit-learn's input validation across its versions."""
import numpy as np
from sklearn.utils import check_random_state

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data as _sk_validate_data
except ImportError:  # pragma: no cover - older scikit-learn
    _sk_validate_data = None

__all__ = ["ENGINE_KEYS", "seed", "set_engine_options", "validate_data"]

# Fields of vem_fit_opts that an estimator's engine_options may set.
ENGINE_KEYS = ("block", "nslots", "mono_rtol", "warmup", "eval_passes", "init_sample",
               "n_batches", "checkpoint", "checkpoint_every", "checkpoint_seconds", "resume",
               "mc_samples", "mc_schedule", "mc_growth", "mc_max_samples", "mc_groups",
               "mc_alpha", "mc_window", "mc_average_from", "lbfgs_m", "em_switch_rate")


def seed(random_state):
    """vem's 64-bit seed: an int as it is (the `vem --seed` of the same number), else a
    draw from numpy's generator (None: the global RandomState, as scikit-learn)."""
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        if random_state < 0 or random_state >= 2 ** 64:
            raise ValueError("random_state=%r must be in [0, 2**64)" % (random_state,))
        return int(random_state)
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2 ** 63))
    rs = check_random_state(random_state)
    return int(rs.randint(0, 2 ** 63, dtype=np.int64))


def set_engine_options(opts, engine_options):
    """Set the dict engine_options (None: none) on the _core.FitOptions opts, after
    checking that every key is one of ENGINE_KEYS."""
    eo = dict(engine_options or {})
    bad = [k for k in eo if k not in ENGINE_KEYS]
    if bad:
        raise ValueError("engine_options: unknown option(s) %s; known: %s" %
                         (", ".join(sorted(bad)), ", ".join(ENGINE_KEYS)))
    opts.set(**eo)
    return opts


def validate_data(est, *args, **kw):
    """scikit-learn's validate_data (1.6 and later) or est._validate_data (before)."""
    if _sk_validate_data is not None:
        return _sk_validate_data(est, *args, **kw)
    return est._validate_data(*args, **kw)
