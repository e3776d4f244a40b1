"""A quiet start: `import bmprune` and every `bmprune` subcommand print no TensorFlow / absl start-up lines on stderr,
while real warnings still show and a user's own TF_CPP_MIN_LOG_LEVEL wins.

Every command runs in a fresh interpreter with TF_CPP_MIN_LOG_LEVEL removed from the environment (as a new user has it).
"""
import os, re, shutil, subprocess, sys
from pathlib import Path
import pytest

# TensorFlow's C++ start-up chatter: glog-style lines (I0000 00:00:... file.cc:NN]), absl's pre-init notice,
# CPU-feature and oneDNN notes, CUDA plugin registration. Our own messages ("bmprune: ...") and tqdm bars are fine.
STARTUP = re.compile(r"^[IW]\d{4} \d\d:\d\d:\d\d|absl::InitializeLog|cpu_feature_guard|oneDNN custom operations|"
                     r"rebuild TensorFlow with the appropriate compiler flags|cuda_(dnn|blas|fft|executor)|"
                     r"Unable to register cu(DNN|BLAS|FFT)", re.M)

_MAIN = "import sys; from bmprune.cli import main; sys.exit(main())"


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    env.update(MPLBACKEND="Agg", **extra)
    return env


def _run(cmd, timeout=300, **env):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=_env(**env), cwd=Path(__file__).parent)


def _py(code, **env): return _run([sys.executable, "-c", code], **env)


def _console(*args, timeout=300):
    "The installed `bmprune` script when it is the current entry point (bmprune.cli), else the same call of main()."
    exe = shutil.which("bmprune")
    fresh = exe and "bmprune.cli" in Path(exe).read_text(errors="replace")
    return _run(([exe] if fresh else [sys.executable, "-c", _MAIN]) + [str(a) for a in args], timeout=timeout)


def _assert_quiet(r, what):
    assert r.returncode == 0, f"{what} failed (exit {r.returncode}):\n{r.stderr[-3000:]}"
    found = STARTUP.findall(r.stderr)
    assert not found, f"{what} printed TensorFlow start-up lines on stderr:\n{r.stderr[:3000]}"


def test_detector_sees_tensorflow_startup_lines():
    "Control: TensorFlow imported on its own at log level 0 does print lines the pattern catches (where it prints any)."
    r = _py("import tensorflow as tf; tf.function(lambda x: x + 1)(tf.ones(2))", TF_CPP_MIN_LOG_LEVEL="0")
    assert r.returncode == 0, r.stderr
    if not r.stderr.strip(): pytest.skip("TensorFlow prints no start-up lines on this machine, so there is nothing to hide")
    assert STARTUP.search(r.stderr), f"the start-up pattern misses TensorFlow's lines here; update STARTUP:\n{r.stderr}"


def test_import_and_training_are_quiet():
    "One process: import, the default log level, a compiled fit and transform; nothing from TensorFlow on stderr."
    r = _py("import os, bmprune; print(os.environ['TF_CPP_MIN_LOG_LEVEL']); from bmprune.rbm import RBM; import numpy as np; "
            "RBM(6, 3, epochs=1, verbose=False).fit(np.eye(6).repeat(4, 0)).transform(np.eye(6))")
    _assert_quiet(r, "import bmprune + RBM fit")
    assert r.stdout.strip() == "2"                       # the default bmprune sets


def test_user_setting_wins_and_real_warnings_show():
    r = _py("import os, warnings, bmprune, tensorflow as tf; print(os.environ['TF_CPP_MIN_LOG_LEVEL']); "
            "warnings.warn('a real warning'); tf.get_logger().warning('a real TensorFlow warning')", TF_CPP_MIN_LOG_LEVEL="0")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "0"                      # an explicit setting is left alone
    assert "a real warning" in r.stderr and "a real TensorFlow warning" in r.stderr


@pytest.mark.parametrize("args", [["presets"], ["info"]])
def test_cli_is_quiet(args):
    _assert_quiet(_console(*args), "bmprune " + " ".join(args))


def test_cli_run_and_report_are_quiet(tmp_path):
    out = tmp_path / "run"
    _assert_quiet(_console("run", "--preset", "quick", "--criteria", "random", "--sessions", "1", "--set", "hidden=[4]",
                           "--set", "rbms.0.epochs=1", "--set", "retrain.epochs=1", "--out", out, "--quiet"), "bmprune run")
    _assert_quiet(_console("report", out), "bmprune report")
