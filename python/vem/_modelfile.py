"""Pickling and copy.deepcopy through vem's model files (docs/formats.md).

A fitted estimator's state holds its model file, the JSON that `vem fit ... -o
model.json` writes (and, for LDA and the VAE, the .npy file beside it), with the
Python-side attributes; unpickling loads the C model from those files as `vem
predict` loads them. Each estimator predicts with the model its file describes, so an
unpickled copy predicts and scores bit for bit as the original.

An estimator opts in with ModelFileState. By default the core model is the attribute
_model (an object of vem._core with save(path), or None when there is nothing to keep)
and _core_class.load(path) loads it back; an estimator whose model is built otherwise
overrides the hooks: _state_model() returns the core model to keep, _state_files() the
files, and _restore_model(path) loads the core model from the files written under a
temporary directory (path names the JSON) and makes it the estimator's.
"""
import os
import tempfile

STATE_KEY = "_vem_model_file"
_JSON = "model.json"

__all__ = ["ModelFileState", "dump", "load"]


def dump(save):
    """The files that save(path) writes, as {name: contents}: the JSON as text, the
    other files (a .npy) as bytes."""
    with tempfile.TemporaryDirectory(prefix="vem-state-") as d:
        save(os.path.join(d, _JSON))
        out = {}
        for name in sorted(os.listdir(d)):
            with open(os.path.join(d, name), "rb") as f:
                data = f.read()
            out[name] = data.decode("utf-8") if name == _JSON else data
        return out


def load(files, loader):
    """loader(path of the JSON) with the files of dump() written to a temporary
    directory; returns what loader returns."""
    if not isinstance(files, dict) or _JSON not in files:
        raise ValueError("not a vem model-file state: no %r" % _JSON)
    with tempfile.TemporaryDirectory(prefix="vem-state-") as d:
        for name, data in files.items():
            if os.path.basename(name) != name or name in ("", ".", ".."):
                raise ValueError("model-file state: bad file name %r" % (name,))
            with open(os.path.join(d, name), "wb") as f:
                f.write(data.encode("utf-8") if isinstance(data, str) else data)
        return loader(os.path.join(d, _JSON))


class ModelFileState:
    """__getstate__ / __setstate__ through the model file (mixed in before
    sklearn's BaseEstimator, whose own methods add and check _sklearn_version)."""

    # Attributes that hold core models (rebuilt, never pickled).
    _transient_attrs = ("_model", "_model_key")
    # The vem._core class of _model.
    _core_class = None

    def _state_model(self):
        return getattr(self, "_model", None)

    def _state_files(self):
        m = self._state_model()
        return None if m is None else dump(m.save)

    def _restore_model(self, path):
        self._model = self._core_class.load(path)

    def __getstate__(self):
        parent = getattr(super(), "__getstate__", None)
        state = dict(parent() if parent is not None else self.__dict__)
        for key in self._transient_attrs:
            state.pop(key, None)
        files = self._state_files()
        if files is not None:
            state[STATE_KEY] = files
        return state

    def __setstate__(self, state):
        state = dict(state)
        files = state.pop(STATE_KEY, None)
        parent = getattr(super(), "__setstate__", None)
        if parent is not None:
            parent(state)
        else:
            self.__dict__.update(state)
        if files is not None:
            load(files, self._restore_model)
