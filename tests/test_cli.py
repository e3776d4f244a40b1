"Integration tests of the `bmprune` command line (bmprune.cli.main and the installed console script)."
import io, json, os, shutil, subprocess, sys, contextlib
from pathlib import Path
import pytest

from bmprune.cli import main
from bmprune.config import PRESETS, ExperimentConfig
from bmprune.runner import read_metrics, checkpoint_path

# A tiny version of the quick preset: a 64-6 RBM, 2 criteria x 2 sessions, a few epochs; seconds, not minutes.
TINY = ["--preset", "quick", "--criteria", "fi_variance", "random", "--sessions", "2", "--set", "hidden=[6]",
        "--set", "rbms.0.epochs=2", "--set", "retrain.epochs=1", "--set", "fi_samples=200", "--set", "fi_steps=10"]


def cli(*args):
    "Run main() in-process; returns (exit status, stdout, stderr)."
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try: rc = main([str(a) for a in args])
        except SystemExit as e: rc = e.code
    return rc, out.getvalue(), err.getvalue()


def console(*args, timeout=300):
    "Run the installed `bmprune` console script (falls back to `python -m`-style invocation of main)."
    exe = shutil.which("bmprune")
    cmd = [exe] if exe else [sys.executable, "-c", "import sys; from bmprune.cli import main; sys.exit(main())"]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(cmd + [str(a) for a in args], capture_output=True, text=True, timeout=timeout, env=env)


def test_console_script():
    "The installed entry point: lists the presets (exit 0), and a bad option gives a one-line error and exit 1."
    r = console("presets")
    assert r.returncode == 0, r.stderr
    for name in PRESETS: assert name in r.stdout
    assert "Deviations" in r.stdout                      # the fast preset documents its deviations
    r = console("run", "--criteria", "bogus", "--quiet")
    assert r.returncode == 1 and "bmprune: error: unknown criterion 'bogus'" in r.stderr


def test_preset_json():
    rc, out, _ = cli("presets", "mnist-dbm")
    assert rc == 0
    c = ExperimentConfig.from_dict(json.loads(out))
    assert (c.hidden, c.receptive_field, c.dbm["n_particles"], c.sessions, c.fraction) == ([400, 676], [5, 5], 1000, 10, 0.1)


@pytest.mark.parametrize("args, message", [
    (["--preset", "nope"], "unknown preset 'nope'"),
    (["--criteria", "bogus"], "unknown criterion 'bogus'"),
    (["--set", "rbms.0.epochs=-1"], "rbms[0].epochs must be an integer >= 0"),
    (["--set", "retrain.epochs=-5"], "retrain.epochs"),
    (["--set", "fraction=1.0"], "fraction"),
    (["--set", "fraction=-0.5"], "fraction"),
    (["--sessions", "0"], "sessions must be an integer >= 1"),
    (["--set", "no.such.key=1"], "no such configuration path"),
])
def test_bad_config_errors(args, message, tmp_path):
    rc, out, err = cli("run", *args, "--out", tmp_path / "run", "--quiet")
    assert rc != 0
    assert message in err, err
    assert err.startswith("bmprune: error:")
    assert not (tmp_path / "run").exists()               # nothing was written


def test_unwritable_out_dir(tmp_path):
    blocker = tmp_path / "a_file"; blocker.write_text("x")        # a file where a directory should be: fails even as root
    rc, _, err = cli("run", *TINY, "--out", blocker / "run", "--quiet")
    assert rc != 0 and "not writable" in err, err


def test_report_without_metrics(tmp_path):
    rc, _, err = cli("report", tmp_path)
    assert rc != 0 and "no metrics.csv" in err


def test_bench_dispatch_or_clear_message(monkeypatch):
    import importlib
    try: importlib.import_module("bmprune.bench")
    except ImportError:
        rc, _, err = cli("bench")
        assert rc == 2 and "bmprune.bench" in err
        return
    import bmprune.bench as B
    seen = []
    monkeypatch.setattr(B, "main", lambda argv: seen.append(argv) or 0)
    assert cli("bench", "--quick", "--out", "x.json")[0] == 0
    assert seen == [["--quick", "--out", "x.json"]]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "run"
    rc, stdout, err = cli("run", *TINY, "--out", out)
    assert rc == 0, err
    assert err.startswith("bmprune: computing on "), err[:300]          # the device line comes first (not with --quiet)
    return out, stdout


def test_run_writes_metrics_checkpoints_and_figures(tiny_run):
    out, stdout = tiny_run
    rows = read_metrics(out / "metrics.csv")
    crits = {r["criterion"] for r in rows}
    assert crits == {"fi_variance", "random"}
    metrics = {r["metric"] for r in rows}
    assert {"active_weights", "active_weights_0", "active_units_1", "test_log_likelihood"} <= metrics
    for c in crits:
        assert {r["session"] for r in rows if r["criterion"] == c} == {0, 1, 2}
        w = {r["session"]: r["value"] for r in rows if r["criterion"] == c and r["metric"] == "active_weights"}
        assert w[0] > w[1] > w[2]                                    # pruning removed weights every session
        for s in (1, 2): assert checkpoint_path(out, c, s).with_suffix(".npz").exists()
    ll = [r["value"] for r in rows if r["metric"] == "test_log_likelihood"]
    assert all(-64 * 0.7 < v < 0 for v in ll), ll                    # 64 binary pixels: between -64 log 2 and 0
    for fig in ("units_vs_weights.png", "metrics_vs_session.png"):
        assert (out / "figures" / fig).stat().st_size > 1000
    assert ExperimentConfig.from_json(out / "config.json").hidden == [6]
    assert "active_weights" in stdout                                # the summary table was printed


def test_no_overwrite_without_force_and_resume_checks(tiny_run, tmp_path):
    out, _ = tiny_run
    before = (out / "metrics.csv").read_bytes()
    rc, _, err = cli("run", *TINY, "--out", out, "--quiet")
    assert rc != 0 and "not empty" in err and "--resume" in err
    rc, _, err = cli("run", *TINY, "--seed", "7", "--out", out, "--resume", "--quiet")
    assert rc != 0 and "configuration differs" in err and "seed" in err
    assert (out / "metrics.csv").read_bytes() == before
    # a finished run resumes to a no-op (config read back from config.json)
    rc, _, err = cli("run", "--out", out, "--resume", "--quiet")
    assert rc == 0, err
    assert (out / "metrics.csv").read_bytes() == before
    rc, stdout, _ = cli("report", out)
    assert rc == 0 and "random" in stdout


def test_corrupt_checkpoint_on_resume(tiny_run, tmp_path):
    src, _ = tiny_run
    out = tmp_path / "copy"; shutil.copytree(src, out)
    rows = [r for r in read_metrics(out / "metrics.csv") if not (r["criterion"] == "random" and r["session"] == 2)]
    from bmprune.runner import write_metrics
    write_metrics(out / "metrics.csv", rows, ["fi_variance", "random"])     # session 2 of 'random' now incomplete
    npz = checkpoint_path(out, "random", 1).with_suffix(".npz")
    npz.write_bytes(npz.read_bytes()[:200])                               # ...and its predecessor corrupted
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    rc, _, err = cli("run", "--out", out, "--resume", "--quiet")
    assert rc != 0 and "does not match" in err, err
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before                                                # nothing overwritten


def test_force_overwrites(tiny_run, tmp_path):
    src, _ = tiny_run
    out = tmp_path / "copy"; shutil.copytree(src, out)
    (out / "my_notes.txt").write_text("keep me")
    rc, _, err = cli("run", *TINY, "--sessions", "1", "--out", out, "--force", "--quiet")
    assert rc == 0, err
    assert {r["session"] for r in read_metrics(out / "metrics.csv")} == {0, 1}
    assert not checkpoint_path(out, "random", 2).with_suffix(".npz").exists()
    assert (out / "my_notes.txt").read_text() == "keep me"


def test_info():
    "`bmprune info` names the TensorFlow version, its CUDA build and the devices it sees."
    import tensorflow as tf
    rc, out, _ = cli("info")
    assert rc == 0
    assert f"TensorFlow {tf.__version__}" in out and f"built with CUDA: {tf.test.is_built_with_cuda()}" in out
    assert "devices TensorFlow sees: " in out and "/device:CPU:0" in out


def test_deterministic_flag_and_quiet(tmp_path):
    "`--deterministic` turns on TensorFlow's op determinism (in a fresh process: it is global); `--quiet` drops the device line."
    args = ["run", "--preset", "quick", "--criteria", "random", "--sessions", "1", "--set", "hidden=[4]", "--set", "rbms.0.epochs=1",
            "--set", "retrain.epochs=1", "--set", "evaluate.features=false", "--set", "evaluate.samples=0"]
    r = console(*args, "--deterministic", "--out", tmp_path / "det")
    assert r.returncode == 0, r.stderr
    assert r.stderr.startswith("bmprune: computing on ") and "deterministic ops" in r.stderr.splitlines()[0], r.stderr[:300]
    rc, _, err = cli(*args, "--quiet", "--out", tmp_path / "quiet")
    assert rc == 0 and "computing on" not in err, err
