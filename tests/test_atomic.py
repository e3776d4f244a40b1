"Atomicity: a writer killed mid-write never destroys the previous file (issue: reliability)."
import os, signal, subprocess, sys, time, textwrap
from pathlib import Path
import numpy as np
from bmprune.core import atomic_write, load_json, save_json


WRITER = textwrap.dedent("""
    import sys, time
    from bmprune.core import atomic_write
    with atomic_write(sys.argv[1], "w") as f:
        f.write('{"version": "new", "data": [')
        f.flush()
        print("writing", flush=True)
        time.sleep(60)          # killed here, mid-write
        f.write('1]}')
""")


def test_killed_writer_leaves_old_file(tmp_path):
    target = tmp_path / "metrics.json"
    save_json({"version": "old"}, target)
    p = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "writing"
        os.kill(p.pid, signal.SIGKILL)
        p.wait(timeout=30)
    finally:
        if p.poll() is None: p.kill()
    assert load_json(target) == {"version": "old"}
    leftovers = [q.name for q in tmp_path.iterdir() if q.name != "metrics.json"]
    # a killed process cannot clean up its temp file, but the temp file never shadows the real one
    assert all(name.startswith(".metrics.json.") and name.endswith(".tmp") for name in leftovers)


def test_failed_model_save_keeps_previous_checkpoint(tmp_path):
    "A save that fails (here: non-finite weights) leaves the last good checkpoint loadable and unchanged."
    import pytest
    from bmprune.core import NumericalError
    from bmprune.layers import Bernoulli
    from bmprune.stack import Stack
    st = Stack([Bernoulli(4), Bernoulli(3)], init_std=0.1, seed=0)
    st.save(tmp_path / "model")
    good = (tmp_path / "model.npz").read_bytes()
    st.W[0].assign(np.full((4, 3), np.nan, np.float32))
    with pytest.raises(NumericalError, match="W0"):
        st.save(tmp_path / "model")
    assert (tmp_path / "model.npz").read_bytes() == good
    assert np.isfinite(Stack.load(tmp_path / "model").W[0].numpy()).all()
