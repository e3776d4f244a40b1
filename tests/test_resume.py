"A run killed with SIGKILL part-way (twice) resumes and ends with metrics identical to an uninterrupted run."
import os, signal, subprocess, sys, time
from pathlib import Path
import numpy as np
import pytest

from bmprune.runner import read_metrics, checkpoint_path
from bmprune.cli import main

# Tiny quick-preset run: 2 criteria x 2 sessions on a 64-8 RBM; slow enough to be killed mid-way.
ARGS = ["run", "--preset", "quick", "--criteria", "fi_heuristic", "magnitude", "--sessions", "2", "--seed", "3",
        "--set", "hidden=[8]", "--set", "rbms.0.epochs=3", "--set", "retrain.epochs=2",
        "--set", "fi_samples=300", "--set", "fi_steps=10", "--set", "evaluate.samples=200", "--quiet"]


def bmprune(*args):
    cmd = [sys.executable, "-c", "import sys; from bmprune.cli import main; sys.exit(main())", *map(str, args)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})


def finish(p, timeout=400):
    out, err = p.communicate(timeout=timeout)
    assert p.returncode == 0, err
    return out


def kill_when(p, path, timeout=400):
    "SIGKILL process `p` as soon as `path` exists (no cleanup handlers run)."
    t0 = time.time()
    while not path.exists():
        assert p.poll() is None, "finished before the kill point: " + p.communicate()[1]
        assert time.time() - t0 < timeout, f"{path} never appeared"
        time.sleep(0.02)
    os.kill(p.pid, signal.SIGKILL)
    p.communicate()
    assert p.returncode == -signal.SIGKILL


@pytest.mark.timeout(900)
def test_sigkill_then_resume_is_identical(tmp_path):
    full, run = tmp_path / "full", tmp_path / "killed"
    # kill 1: inside the first criterion, right after its first session's checkpoint appeared
    kill_when(bmprune(*ARGS, "--out", run), checkpoint_path(run, "fi_heuristic", 1).with_suffix(".json"))
    rows = read_metrics(run / "metrics.csv")
    assert not any(r["criterion"] == "magnitude" and r["session"] > 0 for r in rows)   # really interrupted
    # kill 2: the resumed run, after the first criterion finished and the second started
    kill_when(bmprune(*ARGS, "--out", run, "--resume"), checkpoint_path(run, "magnitude", 1).with_suffix(".npz"))
    finish(bmprune(*ARGS, "--out", run, "--resume"))
    assert main([*ARGS, "--out", str(full)]) == 0         # the uninterrupted reference, in this (different) process
    assert (run / "metrics.csv").read_bytes() == (full / "metrics.csv").read_bytes()
    for c in ("fi_heuristic", "magnitude"):
        for s in (1, 2):
            a, b = (np.load(checkpoint_path(d, c, s).with_suffix(".npz")) for d in (run, full))
            assert sorted(a.files) == sorted(b.files)
            for k in a.files: np.testing.assert_array_equal(a[k], b[k], err_msg=f"{c} session {s} {k}")
    assert not list(run.rglob(".*.tmp"))                   # leftovers of killed writes were cleaned up


def test_resume_evaluates_a_saved_initial_model_instead_of_retraining(tmp_path):
    "A run that dies while evaluating its (saved) initial model resumes by evaluating that model, not by training anew."
    from bmprune.config import get_preset
    from bmprune.runner import BMProtocol, run_experiment
    cfg = get_preset("quick").replace(criteria=["fi_heuristic", "magnitude"], sessions=1, seed=3, hidden=[8],
                                      fi_samples=300, fi_steps=10, retrain={"epochs": 2},
                                      evaluate={**get_preset("quick").evaluate, "samples": 200})
    cfg.rbms[0]["epochs"] = 3

    class Crash(BMProtocol):
        def evaluate(self, *a, **k): raise RuntimeError("killed during the initial evaluation")

    class Counting(BMProtocol):
        trained = 0
        def initial_model(self, *a, **k):
            Counting.trained += 1
            return super().initial_model(*a, **k)

    run, full = tmp_path / "crashed", tmp_path / "full"
    with pytest.raises(RuntimeError, match="initial evaluation"): run_experiment(cfg, run, verbose=False, protocol=Crash(), figures=False)
    saved = checkpoint_path(run, "fi_heuristic", 0).with_suffix(".npz").read_bytes()
    run_experiment(cfg, run, resume=True, verbose=False, protocol=Counting(), figures=False)
    assert Counting.trained == 0                                        # the saved model was reused
    assert checkpoint_path(run, "fi_heuristic", 0).with_suffix(".npz").read_bytes() == saved
    run_experiment(cfg, full, verbose=False, figures=False)
    assert (run / "metrics.csv").read_bytes() == (full / "metrics.csv").read_bytes()
