"""`bmprune sweep` (issue 14): on local Ray it equals the same runs done one by one without Ray, value for value; without
Ray it runs in-process with the same result; killed mid-way and re-run, only the missing work runs and the result is
identical; a different configuration on disk and GPUs that are not there are refused before anything runs."""
import io, os, signal, subprocess, sys, time
from pathlib import Path
import pandas as pd
import pytest

from bmprune.core import CheckpointError, ConfigError
from bmprune.config import get_preset, apply_overrides
from bmprune.runner import run_experiment, checkpoint_path, METRICS_FILE
from bmprune.sweep import sweep, plan_sweep, sessions_done
from bmprune.seeds import read_sweep_metrics, SWEEP_COLUMNS

ray = pytest.importorskip("ray")
psutil = pytest.importorskip("psutil")          # a dependency of ray

# The quick preset shrunk to seconds per run: a 64-6 RBM, 2 criteria x 2 seeds, 2 sessions.
CRITERIA, SEEDS = ["fi_variance", "magnitude"], [0, 1]
SETS = ["hidden=[6]", "rbms.0.epochs=2", "retrain.epochs=1", "fi_samples=200", "fi_steps=10", "evaluate.samples=100",
        "evaluate.sample_steps=20"]
CLI = ["sweep", "--preset", "quick", "--criteria", *CRITERIA, "--sessions", "2", "--seeds", *map(str, SEEDS),
       *[x for s in SETS for x in ("--set", s)], "--cpus-per-run", "1", "--quiet"]


def tiny():
    return apply_overrides(get_preset("quick").replace(criteria=CRITERIA, sessions=2), SETS)


@pytest.fixture(scope="module")
def local_ray():
    for attempt in range(3):      # Ray gives its raylet a fixed 30 s to start: a heavily loaded machine can miss it
        try:
            ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR"); break
        except Exception:
            ray.shutdown()
            if attempt == 2: raise
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    "The four runs (2 seeds x 2 criteria) done one after another without Ray, as one tidy table."
    from threadpoolctl import threadpool_limits
    base, frames = tmp_path_factory.mktemp("reference"), []
    # each run of the sweep has 1 CPU (--cpus-per-run 1); so do these: BLAS's thread count changes the last bits of
    # the feature classifier's solver diagnostics (feature_lr_iterations, feature_lr_grad_max)
    with threadpool_limits(1):
        frames = [run_experiment(tiny().replace(seed=k, criteria=[c]), base / f"seed{k}-{c}", verbose=False,
                                 figures=False).assign(preset="quick", seed=k) for k in SEEDS for c in CRITERIA]
    return pd.concat(frames)[list(SWEEP_COLUMNS)].reset_index(drop=True)


@pytest.fixture(scope="module")
def ray_sweep(local_ray, tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep") / "ray"
    return out, sweep(tiny(), SEEDS, out, verbose=False)


@pytest.mark.timeout(600)
def test_ray_sweep_equals_sequential_runs(ray_sweep, reference):
    out, res = ray_sweep
    assert res.executor == "ray" and len(res.results) == 6 and not res.skipped
    pd.testing.assert_frame_equal(res.metrics, reference, check_exact=True)
    pd.testing.assert_frame_equal(read_sweep_metrics(out), reference, check_exact=True)   # DIR/metrics.csv, bit for bit
    for r in res.results.values():
        assert r["ran"] and r["pid"] != os.getpid()            # ran in Ray's worker processes...
        assert r["threads"] == 1                               # ...with --cpus-per-run 1 TensorFlow thread
    assert res.core_hours > 0 and (out / "figures" / "metrics_vs_session.png").stat().st_size > 1000


@pytest.mark.timeout(600)
def test_without_ray_runs_in_process_identically(monkeypatch, reference, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)              # `import ray` now fails as if it were not installed
    log = io.StringIO()
    res = sweep(tiny(), SEEDS, tmp_path / "local", file=log, figures=False)
    assert res.executor == "in-process" and all(r["pid"] == os.getpid() for r in res.results.values())
    assert "Ray is not installed" in log.getvalue() and "one after another in this process" in log.getvalue()
    assert "6 of 6 tasks finished" in log.getvalue() and "core-hours" in log.getvalue()
    pd.testing.assert_frame_equal(res.metrics, reference, check_exact=True)
    with pytest.raises(ConfigError, match="Ray is not installed"):
        sweep(tiny(), SEEDS, tmp_path / "x", address="auto", verbose=False)


def _kill_tree(p):
    "SIGKILL process `p` and every process it started."
    procs = [p_ for p_ in [psutil.Process(p.pid)] + psutil.Process(p.pid).children(recursive=True)]
    for q in procs:
        try: q.send_signal(signal.SIGKILL)
        except psutil.NoSuchProcess: pass
    psutil.wait_procs(procs, timeout=30)
    p.communicate()


@pytest.mark.timeout(900)
def test_killed_sweep_reruns_only_missing_work(local_ray, ray_sweep, tmp_path):
    out = tmp_path / "killed"
    # the command line, joining the test's Ray instance (as on a cluster); killing it ends its Ray job and workers
    p = subprocess.Popen([sys.executable, "-c", "import sys; from bmprune.cli import main; sys.exit(main())", *CLI,
                          "--address", local_ray.get_runtime_context().gcs_address, "--out", str(out)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, start_new_session=True)
    watched = next(t for t in plan_sweep(tiny(), SEEDS, out) if t.criterion == CRITERIA[0] and t.seed == SEEDS[0])
    t0 = time.time()
    # kill as soon as the first pruning session is finished on disk (its checkpoint *and* its metrics rows: the .npz
    # alone can exist a moment before the session counts as done, and a kill then leaves no pruning session finished)
    while sessions_done(watched) < 1:
        assert p.poll() is None, "the sweep ended before the kill point: " + p.communicate()[1]
        assert time.time() - t0 < 600, "no session was ever saved"
        time.sleep(0.02)
    _kill_tree(p)
    tasks = plan_sweep(tiny(), SEEDS, out)
    before = {t.key: sessions_done(t) for t in tasks}
    assert 0 < sum(s == t.sessions for t, s in zip(tasks, before.values())) < len(tasks), before   # really part-way
    finished = [checkpoint_path(t.out, t.criterion, s).with_suffix(x) for t in tasks for s in range(before[t.key] + 1)
                for x in (".npz", ".json") if t.criterion or s == 0]          # every checkpoint of a finished session
    stamps = {f: f.stat().st_mtime_ns for f in finished}
    res = sweep(tiny(), SEEDS, out, verbose=False)              # the same sweep again
    done_before = {k for k, s in before.items() if s >= next(t.sessions for t in tasks if t.key == k)}
    assert set(res.skipped) == done_before and set(res.results) == set(before) - done_before
    for k, r in res.results.items(): assert r["sessions_before"] == before[k]   # each run resumed where it was
    assert len(stamps) > 4 and {f: f.stat().st_mtime_ns for f in stamps} == stamps   # finished sessions were not redone
    pd.testing.assert_frame_equal(res.metrics, ray_sweep[1].metrics, check_exact=True)


def test_refuses_a_different_configuration(ray_sweep):
    out, _ = ray_sweep
    before = (out / METRICS_FILE).read_bytes()
    with pytest.raises(CheckpointError, match=r"refusing to run.*fi_steps"):
        sweep(tiny().replace(fi_steps=11), SEEDS, out, verbose=False)
    assert (out / METRICS_FILE).read_bytes() == before


@pytest.mark.timeout(120)
def test_gpus_that_are_not_there_are_an_error_not_a_hang(local_ray, tmp_path):
    assert local_ray.cluster_resources().get("GPU", 0) == 0
    with pytest.raises(ConfigError, match="asks for GPUs, but the local Ray instance has none"):
        sweep(tiny(), [0], tmp_path / "gpu", gpus_per_run=1, verbose=False)
    assert not (tmp_path / "gpu").exists()                      # nothing was submitted or written
    with pytest.raises(ConfigError, match="no node"):
        sweep(tiny(), [0], tmp_path / "cpu", cpus_per_run=64, verbose=False)
