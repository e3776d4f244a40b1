"""The bad-input catalogue: every case must raise a specific error type whose message names the problem.

Each row: (case id, function that should fail, expected exception class, substring the message must contain).
Builders are lazy so one broken module does not hide the others' cases.
"""
import json
import numpy as np
import pytest

from bmprune.core import (BMError, CheckpointError, ConfigError, DataError, PruningError, ShapeError, as_matrix,
                          check_fraction)
from bmprune.layers import Bernoulli, Gaussian, Multinomial, make_layer
from bmprune.stack import Stack


def _stack():
    return Stack([Bernoulli(6), Bernoulli(4)], init_std=0.1, seed=0)


def _saved(tmp_path):
    s = _stack(); s.save(tmp_path / "m"); return tmp_path / "m"


def _truncate(p):
    raw = p.with_suffix(".npz").read_bytes(); p.with_suffix(".npz").write_bytes(raw[: len(raw) // 3]); return p


def _bump_version(p):
    meta = json.loads(p.with_suffix(".json").read_text()); meta["format_version"] = 999
    p.with_suffix(".json").write_text(json.dumps(meta)); return p


def _corrupt_json(p):
    p.with_suffix(".json").write_text("{not json"); return p


CORE_CASES = [
    ("data of rank 1", lambda t: as_matrix(np.zeros(5), "X"), ShapeError, "2-D"),
    ("data of rank 3", lambda t: as_matrix(np.zeros((2, 3, 4)), "X"), ShapeError, "2-D"),
    ("string dtype", lambda t: as_matrix(np.array([["a", "b"]]), "X"), DataError, "numeric"),
    ("NaN in data", lambda t: _stack().mean_field(np.full((2, 6), np.nan)), DataError, "non-finite"),
    ("inf in data", lambda t: as_matrix(np.array([[np.inf, 0.]]), "X"), DataError, "non-finite"),
    ("empty data", lambda t: _stack().mean_field(np.zeros((0, 6))), DataError, "empty"),
    ("wrong number of columns", lambda t: _stack().mean_field(np.zeros((3, 5))), ShapeError, "6 columns"),
    ("non-binary data for a Bernoulli layer", lambda t: _stack().mean_field(np.full((2, 6), 0.5)), DataError, "binary"),
    ("multinomial group not dividing layer", lambda t: Multinomial(10, 3), ConfigError, "does not divide"),
    ("multinomial data not one-hot", lambda t: Multinomial(4, 2).validate(np.ones((1, 4))), DataError, "one-hot"),
    ("gaussian sigma <= 0", lambda t: Gaussian(3, sigma=-1.0), ConfigError, "sigma"),
    ("gaussian sigma of wrong shape", lambda t: Gaussian(3, sigma=[1.0, 2.0]), ShapeError, "sigma"),
    ("unknown layer type", lambda t: make_layer("poisson", 4), ConfigError, "unknown layer type"),
    ("stack with one layer", lambda t: Stack([Bernoulli(3)]), ConfigError, "at least 2 layers"),
    ("weights of wrong shape", lambda t: Stack([Bernoulli(3), Bernoulli(2)], weights=[np.zeros((2, 3))]), ShapeError, "shape (3, 2)"),
    ("mask of wrong shape", lambda t: _stack().set_mask(0, np.ones((4, 6))), ShapeError, "shape (6, 4)"),
    ("non-binary mask", lambda t: _stack().set_mask(0, np.full((6, 4), 0.3)), DataError, "binary"),
    ("pruning fraction >= 1", lambda t: check_fraction(1.0), PruningError, "[0, 1)"),
    ("pruning fraction < 0", lambda t: check_fraction(-0.1), PruningError, "[0, 1)"),
    ("truncated checkpoint", lambda t: Stack.load(_truncate(_saved(t))), CheckpointError, "does not match"),
    ("wrong-version checkpoint", lambda t: Stack.load(_bump_version(_saved(t))), CheckpointError, "format version"),
    ("corrupted checkpoint config", lambda t: Stack.load(_corrupt_json(_saved(t))), CheckpointError, "corrupted"),
    ("missing checkpoint", lambda t: Stack.load(t / "nothing"), CheckpointError, "missing"),
    ("exact log Z of a big model", lambda t: __import__("bmprune.partition", fromlist=["x"]).exact_log_z(
        Stack([Bernoulli(50), Bernoulli(40)])), BMError, "2^40"),
]


@pytest.mark.parametrize("case", CORE_CASES, ids=[c[0] for c in CORE_CASES])
def test_bad_input(case, tmp_path):
    name, fn, exc, msg = case
    with pytest.raises(exc) as info:
        fn(tmp_path)
    assert msg in str(info.value), f"{name}: message {str(info.value)!r} does not mention {msg!r}"
