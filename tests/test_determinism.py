"""Determinism on CPU: the same seed gives bit-identical results (trained weights and training state, pruning masks,
AIS log-weights), in the same process and in a fresh process; a different seed gives different results."""
import functools, os, subprocess, sys, textwrap
from pathlib import Path
import numpy as np
import pytest

X = (np.random.default_rng(123).random((60, 8)) < 0.4).astype(np.float32)     # 60 binary rows, 8 visible units


def _arrays(model, extra=True) -> dict:
    "Everything a model would save (weights, biases, masks and, with `extra`, momentum/particles/rng state)."
    out = {f"W{k}": w.numpy() for k, w in enumerate(model.W)}
    out.update({f"b{k}": b.numpy() for k, b in enumerate(model.b)})
    out.update({f"mask{k}": m.numpy() for k, m in enumerate(model.masks)})
    if extra: out.update({f"extra_{k}": np.asarray(v) for k, v in model._extra_arrays().items() if k != "history"})
    return out


def rbm_cd(seed):
    from bmprune.rbm import RBM
    return _arrays(RBM(8, 5, learning_rate=0.05, momentum=0.5, n_gibbs_steps=2, batch_size=10, epochs=3, init_std=0.1,
                       seed=seed, verbose=False).fit(X))


def rbm_pcd(seed):
    from bmprune.rbm import RBM
    return _arrays(RBM(8, 5, learning_rate=0.05, momentum=0.5, persistent=True, n_particles=7, batch_size=10, epochs=3,
                       init_std=0.1, l2=1e-3, sparsity_cost=0.1, seed=seed, verbose=False).fit(X))


def dbm(seed):
    from bmprune.dbm import DBM
    return _arrays(DBM([8, 5, 3], learning_rate=0.01, momentum=0.5, n_particles=12, batch_size=10, epochs=2, mf_iter=10,
                       init_std=0.1, seed=seed, verbose=False).fit(X))


def _fixed_dbm():
    "A DBM with fixed random parameters (independent of the code under test's seeding)."
    from bmprune.dbm import DBM
    r = np.random.default_rng(7)
    return DBM([8, 5, 3], weights=[r.normal(0, 1, (8, 5)), r.normal(0, 1, (5, 3))],
               biases=[r.normal(0, .5, n) for n in (8, 5, 3)], verbose=False)


def masks(criterion, seed):
    from bmprune.prune import prune
    m = prune(_fixed_dbm(), criterion, 0.4, seed=seed, n_samples=200, n_steps=20)
    return {f"mask{k}": x for k, x in enumerate(m)}


def ais(seed):
    from bmprune.partition import ais_log_z
    res = ais_log_z(_fixed_dbm(), data=X, n_runs=16, n_betas=200, seed=seed)
    return {"log_weights": res.log_weights, "log_z": np.array(res.log_z)}


CASES = {"rbm_cd": rbm_cd, "rbm_pcd": rbm_pcd, "dbm": dbm, "masks_fi_variance": functools.partial(masks, "fi_variance"),
         "masks_random": functools.partial(masks, "random"), "ais": ais}


def all_results(seed) -> dict:
    "Flat dict `case/array -> array` of every case (what the subprocess writes)."
    return {f"{c}/{k}": v for c, f in CASES.items() for k, v in f(seed).items()}


@functools.lru_cache(maxsize=None)
def _in_process(case, seed, run):
    "`run` distinguishes repetitions, so each one really computes again."
    return CASES[case](seed)


_CHILD = {}


@pytest.fixture(scope="module", autouse=True)
def other_process(tmp_path_factory):
    "Start the fresh process at once, so it computes while the in-process tests run."
    out = tmp_path_factory.mktemp("determinism") / "seed0.npz"
    code = textwrap.dedent(f"""
        import sys, numpy as np
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        import test_determinism as T
        np.savez(sys.argv[1], **T.all_results(0))
    """)
    p = subprocess.Popen([sys.executable, "-c", code, str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    _CHILD.update(proc=p, out=out)
    yield
    if p.poll() is None: p.kill(); p.wait()


def _other_process() -> dict:
    "The fresh process's results for seed 0 (waits for it the first time)."
    if "results" not in _CHILD:
        p = _CHILD["proc"]
        _, err = p.communicate(timeout=400)
        assert p.returncode == 0, err[-3000:]
        with np.load(_CHILD["out"]) as z: _CHILD["results"] = {k: z[k] for k in z.files}
    return _CHILD["results"]


def _assert_identical(a: dict, b: dict, what):
    assert sorted(a) == sorted(b), what
    for k in a:
        assert a[k].dtype == b[k].dtype, f"{what}: {k} dtype"
        np.testing.assert_array_equal(a[k], b[k], err_msg=f"{what}: {k} differs")


def _differs(a: dict, b: dict, keys) -> bool:
    return any(not np.array_equal(a[k], b[k]) for k in keys)


@pytest.mark.parametrize("case", list(CASES))
def test_same_seed_same_process(case):
    _assert_identical(_in_process(case, 0, 1), _in_process(case, 0, 2), f"{case}, two runs in one process")


@pytest.mark.parametrize("case", list(CASES))
def test_same_seed_other_process(case):
    other = {k.split("/", 1)[1]: v for k, v in _other_process().items() if k.startswith(case + "/")}
    _assert_identical(_in_process(case, 0, 1), other, f"{case}, this process vs a fresh one")


@pytest.mark.parametrize("case", list(CASES))
def test_different_seed_different_result(case):
    a, b = _in_process(case, 0, 1), _in_process(case, 1, 1)
    keys = {"rbm_cd": ["W0"], "rbm_pcd": ["W0", "extra_particles0"], "dbm": ["W0", "W1", "extra_particles0"],
            "masks_fi_variance": ["mask0", "mask1"], "masks_random": ["mask0", "mask1"], "ais": ["log_weights"]}[case]
    for k in keys: assert _differs(a, b, [k]), f"{case}: {k} is the same for seeds 0 and 1"


def test_masks_prune_the_requested_fraction():
    "The compared masks are real pruning results: floor(0.4 * 40) = 16 and floor(0.4 * 15) = 6 weights removed."
    for crit in ("fi_variance", "random"):
        m = _in_process(f"masks_{crit}", 0, 1)
        assert [int(m[k].size - m[k].sum()) for k in ("mask0", "mask1")] == [16, 6]


def test_copy_is_independent_and_continues_identically():
    "Stack.copy keeps parameters, masks and training state: a copy trains on exactly like the original."
    from bmprune.rbm import RBM
    from bmprune.dbm import DBM
    X = (np.random.default_rng(0).random((60, 12)) < 0.4).astype(np.float32)
    for model in (RBM(12, 5, batch_size=10, momentum=0.5, persistent=True, seed=3, verbose=False),
                  DBM([12, 5, 4], batch_size=10, n_particles=10, seed=3, verbose=False)):
        model.fit(X, epochs=1)
        twin = model.copy()
        model.partial_fit(X, epochs=2); twin.partial_fit(X, epochs=2)
        for a, b in zip(model.W + model.b + model.masks, twin.W + twin.b + twin.masks):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
        twin.W[0].assign(twin.W[0] + 1.0)
        assert not np.array_equal(model.W[0].numpy(), twin.W[0].numpy())
