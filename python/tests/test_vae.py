"""vem.VariationalAutoencoder against the `vem fit vae` command (the same data, options
and seed give the same bits) and its model-file commands (score, encode, reconstruct,
sample)."""
import json
import os
import pickle
import subprocess

import numpy as np
import pytest

import vem


def run_cli(vem_cli, *args):
    r = subprocess.run([vem_cli] + [str(a) for a in args], capture_output=True, text=True)
    assert r.returncode == 0, (args, r.stderr)
    return json.loads(r.stdout)


def pixels(n, seed):
    """n rows of 16 binary pixels from two prototypes (as tests/test_cli_vae.sh)."""
    rng = np.random.RandomState(seed)
    c = rng.rand(n) < 0.4
    p = np.where((np.arange(16)[None, :] + c[:, None]) % 2 == 1, 0.85, 0.12)
    return (rng.rand(n, 16) < p).astype(np.float64)


TRAIN, VALID = pixels(400, 7), pixels(100, 8)

CASES = [(["--latent", 2, "--hidden", 32, "--epochs", 8, "--batch-size", 32, "--lr", 0.01],
          dict(n_components=2, hidden_layer_sizes=(32,), max_iter=8, batch_size=32,
               learning_rate=0.01), False),
         (["--latent", 3, "--hidden", "16,8", "--epochs", 5, "--activation", "tanh",
           "--likelihood", "gaussian", "--samples", 2, "--patience", 2],
          dict(n_components=3, hidden_layer_sizes=(16, 8), max_iter=5, activation="tanh",
               likelihood="gaussian", samples=2, patience=2), True),
         (["--latent", 2, "--hidden", 0, "--epochs", 4, "--binarize", "dynamic"],
          dict(n_components=2, hidden_layer_sizes=(), max_iter=4, binarize="dynamic"), False)]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_equals_the_cli(vem_cli, tmp_path, case):
    """The ELBO trace and the parameters of `vem fit vae --seed 9` (with validation rows
    in one case), and on its model file `vem score` (ELBO and IWAE), `vem encode`, `vem
    reconstruct` and `vem sample`, bit for bit."""
    opts, kw, valid = CASES[case]
    train, vfile, out = tmp_path / "train.csv", tmp_path / "valid.csv", tmp_path / "v.json"
    np.savetxt(train, TRAIN, fmt="%d", delimiter=",")
    np.savetxt(vfile, VALID, fmt="%d", delimiter=",")
    extra = ["--validation", vfile] if valid else []
    d = run_cli(vem_cli, "fit", "vae", train, "--seed", 9, "--json", "-o", out, *opts, *extra)
    m = vem.VariationalAutoencoder(random_state=9, **kw).fit(
        TRAIN, validation_data=VALID if valid else None)
    assert m.n_iter_ == d["n_iter"] and m.lower_bound_ == d["elbo"]
    assert list(m.elbo_curve_) == [t["objective"] for t in d["trace"]]
    if valid:
        assert list(m.validation_elbo_curve_) == [t["validation"] for t in d["trace"]]
    with open(out) as f:
        doc = json.load(f)
    params = np.load(os.path.join(tmp_path, doc["params_file"]))
    assert np.array_equal(params.ravel(), m._model.get_params())
    assert m.n_params_ == d["n_params"]
    s = run_cli(vem_cli, "score", out, train, "--importance-samples", 50, "--json")
    assert m.score(TRAIN) == s["mean_elbo"]
    assert m.iwae(TRAIN, 50) == (s["iwae"], s["iwae_se"])
    e = run_cli(vem_cli, "encode", out, train, "--json")
    mean, sd = m.transform(TRAIN, return_std=True)
    assert np.array_equal(mean, e["mean"]) and np.array_equal(sd, e["sd"])
    r = run_cli(vem_cli, "reconstruct", out, train, "--json")
    assert np.array_equal(m.reconstruct(TRAIN), r[next(k for k in r if k != "model")])
    smp = run_cli(vem_cli, "sample", out, "-n", 5, "--seed", 3, "--json")
    assert np.array_equal(m.sample(5, random_state=3), smp[next(k for k in smp
                                                                if k != "model")])
    other = pickle.loads(pickle.dumps(m))
    files = other.__getstate__()["_vem_model_file"]
    assert sorted(files)[0] == "model.json" and any(n.endswith(".npy") for n in files)
    assert np.array_equal(other.transform(TRAIN), mean)
    assert other.score(TRAIN) == m.score(TRAIN)


def test_transformer_api():
    m = vem.VariationalAutoencoder(2, hidden_layer_sizes=(16,), max_iter=5,
                                   random_state=0).fit(TRAIN)
    z = m.transform(TRAIN)
    assert z.shape == (400, 2) and m.fit_transform(TRAIN).shape == (400, 2)
    assert list(m.get_feature_names_out()) == ["variationalautoencoder0",
                                               "variationalautoencoder1"]
    rows = m.elbo(TRAIN)
    assert rows.shape == (400,) and np.isclose(rows.mean(), m.score(TRAIN), rtol=1e-12)
    assert m.sample(7).shape == (7, 16)
    s = vem.VariationalAutoencoder(2, hidden_layer_sizes=(16,), max_iter=5, random_state=0,
                                   binarize="static").fit(TRAIN * 0.9 + 0.05)
    assert np.array_equal(s.transform(TRAIN * 0.9 + 0.05), z)  # thresholded: TRAIN again
    w = vem.VariationalAutoencoder(2, hidden_layer_sizes=(16,), max_iter=5, random_state=0,
                                   warm_start=True).fit(TRAIN)
    first = w.lower_bound_
    w.fit(TRAIN)
    assert w.lower_bound_ > first
    with pytest.raises(ValueError, match="validation"):
        vem.VariationalAutoencoder(patience=2).fit(TRAIN)
    with pytest.raises(ValueError, match="dynamic"):
        vem.VariationalAutoencoder(likelihood="gaussian", binarize="dynamic").fit(TRAIN)
    with pytest.raises(ValueError):
        vem.VariationalAutoencoder(activation="sigmoid").fit(TRAIN)
    with pytest.raises(ValueError):
        m.transform(TRAIN[:, :3])
