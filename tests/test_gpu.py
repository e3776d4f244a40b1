"""Device tests: they run when TensorFlow sees a GPU and are skipped otherwise (`bmprune info` says why it sees none).

Op determinism is global to a process, so the determinism checks run in fresh subprocesses."""
import os, subprocess, sys, textwrap
import pytest
import tensorflow as tf

pytestmark = pytest.mark.skipif(not tf.config.list_physical_devices("GPU"), reason="TensorFlow sees no GPU (see `bmprune info`)")


def _run(code: str, timeout: int = 600) -> str:
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=timeout,
                       env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert r.returncode == 0, r.stderr[-3000:]
    return r.stdout


def test_info_reports_the_gpu():
    from bmprune.cli import device_info, device_summary
    d = device_info()
    assert d["built_with_cuda"] and d["gpus"] and not d["advice"], d
    assert device_summary(d).startswith("bmprune: computing on GPU")


def test_rbm_and_dbm_fit_on_gpu_repeat_bit_for_bit_with_determinism():
    "The same seeds on the same GPU, op determinism on: two fits give identical weights, and they live on the GPU."
    out = _run("""
        import numpy as np, tensorflow as tf
        tf.config.experimental.enable_op_determinism()
        from bmprune.rbm import RBM
        from bmprune.dbm import DBM
        X = (np.random.default_rng(0).random((600, 64)) < 0.3).astype("float32")
        for make in (lambda: RBM(64, 32, learning_rate=0.05, batch_size=50, epochs=3, seed=1, verbose=False),
                     lambda: DBM([64, 32, 16], learning_rate=0.01, batch_size=50, n_particles=50, epochs=2, seed=1, verbose=False)):
            ws = []
            for _ in range(2):
                with tf.device("/GPU:0"):
                    m = make().fit(X)
                assert "GPU" in m.W[0].device, m.W[0].device
                ws.append([w.numpy() for w in m.W])
            for a, b in zip(*ws): np.testing.assert_array_equal(a, b)
            print(type(m).__name__, "identical")
        """)
    assert out.split() == ["RBM", "identical", "DBM", "identical"], out


def test_ais_and_sampling_on_gpu_are_seeded():
    "AIS log Z and Gibbs samples: the same seed gives the same numbers on the GPU (determinism on)."
    out = _run("""
        import numpy as np, tensorflow as tf
        tf.config.experimental.enable_op_determinism()
        from bmprune.rbm import RBM
        from bmprune.partition import ais_log_z, exact_log_z
        r = RBM(20, 12, init_std=0.3, seed=2, verbose=False)
        a, b = (ais_log_z(r, n_runs=50, n_betas=2000, seed=3).log_z for _ in range(2))
        assert a == b, (a, b)
        assert abs(a - float(exact_log_z(r))) < 0.1, (a, float(exact_log_z(r)))
        s1, s2 = (np.asarray(r.sample(100, n_steps=50, seed=4)) for _ in range(2))
        np.testing.assert_array_equal(s1, s2)
        print("ok")
        """)
    assert out.strip().endswith("ok"), out
