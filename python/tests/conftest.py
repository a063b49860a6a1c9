"""Shared data and paths for the vem package's tests (run against the installed package)."""
import csv
import os

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "examples", "data")
PENGUIN_COLS = ["beak_length_mm", "beak_depth_mm", "flipper_length_mm", "body_mass_g"]


def load_faithful():
    return np.loadtxt(os.path.join(DATA, "faithful.csv"), delimiter=",", skiprows=1)


def load_penguins():
    with open(os.path.join(DATA, "penguins.csv")) as f:
        rows = list(csv.DictReader(f))
    return np.array([[float(r[c]) for c in PENGUIN_COLS] for r in rows])


@pytest.fixture(scope="session")
def faithful():
    return load_faithful()


@pytest.fixture(scope="session")
def penguins():
    return load_penguins()


@pytest.fixture(scope="session")
def vem_cli():
    """The `vem` program of the same build (tests/run.sh passes VEM_CLI)."""
    path = os.environ.get("VEM_CLI")
    if path:
        if not os.access(path, os.X_OK):
            pytest.fail("VEM_CLI=%s is not an executable" % path)
        return path
    path = os.path.join(ROOT, "build", "vem")
    if not os.access(path, os.X_OK):
        pytest.skip("no vem program (set VEM_CLI): %s" % path)
    return path
