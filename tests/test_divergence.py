"""Numerical faults: a diverging run stops with `NumericalError` naming the epoch, the batch and the parameter,
never writes non-finite numbers to disk, and leaves the last good checkpoint (and earlier experiment results) intact.

The learning rate is a schedule: the first epoch trains normally (then the model is saved), later epochs use a huge
rate. Gaussian visible units make the gradients unbounded (so 1e6 diverges); with binary units the gradients are
bounded, so divergence needs a rate near the float32 limit (1e38) plus momentum.
"""
import re
import numpy as np
import pytest

from bmprune.core import NumericalError

RNG = np.random.default_rng(0)
XB = (RNG.random((40, 6)) < 0.5).astype(np.float32)          # binary data
XG = RNG.normal(size=(40, 6)).astype(np.float32)             # real-valued data for Gaussian visible units
MSG = re.compile(r"(parameter (?P<param>.+?)|the (?P<quantity>reconstruction error)) became non-finite .* at epoch "
                 r"(?P<epoch>\d+), (after )?batch (?P<batch>\d+)")   # a non-finite reconstruction error is divergence too


def _files(folder):
    "Every file under `folder` (temp files included) with its bytes."
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _check_divergence(model, X, params, tmp_path, load):
    "Train one good epoch, save, diverge; check the error and that the checkpoint is intact and finite."
    model.fit(X, epochs=1)
    good = [w.numpy().copy() for w in model.W] + [b.numpy().copy() for b in model.b]
    model.save(tmp_path / "ckpt")
    before = _files(tmp_path)
    with pytest.raises(NumericalError) as info:
        model.partial_fit(X, epochs=30)
    m = MSG.search(str(info.value))
    assert m, f"message does not name parameter/epoch/batch: {info.value}"
    assert m["param"] in params or m["quantity"]
    epoch, batch = int(m["epoch"]), int(m["batch"])
    assert 2 <= epoch <= 31 and 1 <= batch <= len(X) // model.batch_size
    assert model.epoch_ == epoch - 1, "the epoch counter must stay at the last completed epoch"
    if m["param"]: assert not np.all([np.isfinite(v.numpy()).all() for v in list(model.W) + list(model.b)])   # it really diverged
    # the checkpoint saved before the failure: same bytes, loadable, finite, equal to the good state
    assert _files(tmp_path) == before
    loaded = load(tmp_path / "ckpt")
    for a, b in zip(good, [w.numpy() for w in loaded.W] + [x.numpy() for x in loaded.b]):
        np.testing.assert_array_equal(a, b)
    assert loaded.epoch_ == 1
    # saving the diverged model is refused, over the old checkpoint or to a new path; nothing is written
    for name in ("ckpt", "new"):
        with pytest.raises(NumericalError, match="refusing to save"):
            model.save(tmp_path / name)
    assert _files(tmp_path) == before
    return loaded


@pytest.mark.parametrize("persistent", [False, True], ids=["CD", "PCD"])
def test_rbm_gaussian_divergence(persistent, tmp_path):
    from bmprune.rbm import RBM
    rbm = RBM(6, 3, visible="gaussian", learning_rate=[1e-3, 1e6], batch_size=10, persistent=persistent,
              seed=1, verbose=False)
    loaded = _check_divergence(rbm, XG, {"W", "visible bias", "hidden bias"}, tmp_path, RBM.load)
    loaded.partial_fit(XG[:20], epochs=0)                      # the good checkpoint is still usable


def test_rbm_binary_divergence_with_momentum(tmp_path):
    from bmprune.rbm import RBM
    rbm = RBM(6, 3, learning_rate=[1e-3, 1e38], momentum=0.9, batch_size=10, seed=0, verbose=False)
    _check_divergence(rbm, XB, {"W", "visible bias", "hidden bias"}, tmp_path, RBM.load)


@pytest.mark.parametrize("gaussian", [False, True], ids=["binary-1e38", "gaussian-1e6"])
def test_dbm_divergence(gaussian, tmp_path):
    from bmprune.dbm import DBM
    from bmprune.layers import Gaussian
    layers, X, lr = ([Gaussian(6), 3, 2], XG, 1e6) if gaussian else ([6, 3, 2], XB, 1e38)
    dbm = DBM(layers, learning_rate=[1e-3, lr], batch_size=10, n_particles=10, seed=0, verbose=False)
    _check_divergence(dbm, X, {"W0", "W1", "b0", "b1", "b2"}, tmp_path, DBM.load)


def test_stack_save_refuses_inf_in_training_state(tmp_path):
    "Not only weights: a non-finite momentum buffer is refused too (it would poison a resumed run)."
    from bmprune.rbm import RBM
    rbm = RBM(6, 3, seed=0, verbose=False)
    rbm.updater.velocity[0].assign(np.full((6, 3), np.inf, np.float32))
    with pytest.raises(NumericalError, match="velocity_W"):
        rbm.save(tmp_path / "m")
    assert not list(tmp_path.iterdir())


def _tiny_config(**changes):
    "The quick preset shrunk to seconds: RBM 64-4, one criterion, one session, exact log-likelihood only."
    from bmprune.config import get_preset
    base = get_preset("quick")
    cfg = dict(hidden=[4], rbms=[dict(base.rbms[0], epochs=1)], criteria=["magnitude"], sessions=1,
               retrain={"epochs": 1}, fi_samples=50, fi_steps=2,
               evaluate={"log_likelihood": "exact", "features": False, "samples": 0})
    cfg.update(changes)
    return get_preset("quick", **cfg)


def test_experiment_divergence_keeps_earlier_results(tmp_path):
    "A run whose retraining diverges (lr 1e38 set in the config) stops; the initial model and metrics stay intact."
    from bmprune.runner import BMProtocol, run_experiment, read_metrics, checkpoint_path
    from bmprune.rbm import RBM
    snapshots = []

    class Watching(BMProtocol):
        "Records the run directory's files just before each retraining (behaviour unchanged)."
        def retrain(self, model, config, data, seed, verbose):
            snapshots.append(_files(out))
            return super().retrain(model, config, data, seed, verbose)

    out = tmp_path / "run"
    cfg = _tiny_config(retrain={"epochs": 1, "learning_rate": 1e38, "momentum": 0.9})
    with pytest.raises(NumericalError) as info:
        run_experiment(cfg, out, verbose=False, figures=False, protocol=Watching())
    assert MSG.search(str(info.value)), str(info.value)
    assert len(snapshots) == 1
    before = snapshots[0]
    assert "metrics.csv" in before and "initial/model.npz" in before
    after = _files(out)
    for name in ("metrics.csv", "initial/model.npz", "initial/model.json", "config.json"):
        assert after[name] == before[name], f"{name} changed by the failed session"
    assert not checkpoint_path(out, "magnitude", 1).with_suffix(".npz").exists()
    assert not [n for n in after if n.endswith(".tmp")]
    rows = read_metrics(out / "metrics.csv")
    assert rows and {r["session"] for r in rows} == {0} and all(np.isfinite(r["value"]) for r in rows)
    m = RBM.load(checkpoint_path(out, "magnitude", 0))
    assert all(np.isfinite(w.numpy()).all() for w in list(m.W) + list(m.b))


def test_cli_reports_divergence(tmp_path, capsys):
    "`bmprune run` turns the NumericalError into exit status 1 and a one-line message naming the parameter."
    from bmprune.cli import main
    rc = main(["run", "--preset", "quick", "--criteria", "magnitude", "--sessions", "1", "--quiet", "--out", str(tmp_path / "r"),
               "--set", "hidden=[4]", "--set", "rbms.0.epochs=1", "--set", "fi_samples=50", "--set", "fi_steps=2",
               "--set", "evaluate.features=false", "--set", "evaluate.samples=0", "--set", "evaluate.log_likelihood=exact",
               "--set", "retrain.learning_rate=1e38", "--set", "retrain.momentum=0.9", "--set", "retrain.epochs=1"])
    err = capsys.readouterr().err
    assert rc == 1
    assert MSG.search(err), err
