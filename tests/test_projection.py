"""Issue 16: `bmprune bench`'s protocol projection is honest.

A small DBM run of the mnist-dbm-fast protocol (real mnist-5k digits, a narrow DBM, 2 criteria x 2 sessions) is
timed end to end; the projection formula (`projection.protocol_projection`), fed with unit costs measured at that
run's sizes in the same process (first, so that the one-time compilation of the tf.functions, a few seconds per
process that a run of hours does not notice, is paid before the timed run), must land within 30% of it. Only the total carries the band: the phases are
printed for diagnosis. It compares wall-clock times, so it runs only when asked (`BMPRUNE_TIMING_TESTS=1 pytest
tests/test_projection.py` on a quiet machine) and is skipped on an overloaded one.
"""
import json, os, time

import pytest

from bmprune.projection import measure_protocol_costs, protocol_projection, protocol_settings, format_projection
from bmprune.config import get_preset
from bmprune.runner import run_experiment


def small_config():
    "mnist-dbm-fast at small sizes: every phase of the protocol runs, each for a few seconds."
    c = get_preset("mnist-dbm-fast")
    two = lambda xs: list(xs[:2])
    return c.replace(dataset="mnist-5k", data={}, hidden=[64, 48], receptive_field=None,
                     rbms=[dict(r, epochs=2, learning_rate=two(r["learning_rate"]), momentum=[0.5, 0.9]) for r in c.rbms],
                     dbm={**c.dbm, "epochs": 2, "learning_rate": two(c.dbm["learning_rate"]), "momentum": [0.5, 0.9],
                          "mf_iter": 10, "mf_tol": 0.0},
                     retrain={"epochs": 1}, criteria=["fi_variance", "magnitude"], sessions=2, fi_samples=1000, fi_steps=20,
                     evaluate={"log_likelihood": "none", "features": True, "samples": 1000, "sample_steps": 20})


def phase_table(timings: dict, p: dict, s: dict, costs: dict) -> list:
    "(phase, measured seconds from timings.json, projected seconds) for the run's phases."
    P, fits = p["seconds"], costs["fit_overhead"]
    total = lambda suffix: sum(v for k, v in timings.items() if k.endswith(suffix))
    rows = [("data", timings.get("data", 0.0), P["data"]),
            ("initial/train", timings["initial/train"],
             P["rbm_pretraining"] + P["dbm_initial_training"] + (len(s["rbm_epochs"]) + 1) * fits),
            ("prune+retrain", total("/prune+retrain"), P["pruning_fi_sampling"] + P["pruning_other"] + P["dbm_retraining"]
             + s["n_criteria"] * s["sessions"] * fits),
            ("evaluate", total("/evaluate"), sum(v for k, v in P.items() if k.startswith("evaluation_")))]
    return rows + [(f"  evaluate/{k}", total(f"/evaluate/{k}"), P[f"evaluation_{k}"])
                   for k in ("features", "logistic_regression", "sampling", "judge")]


def _overloaded() -> bool:
    "Load average above 1.5 x cores: every time is inflated by a factor that changes minute to minute."
    return os.getloadavg()[0] > 1.5 * len(os.sched_getaffinity(0))


@pytest.mark.skipif(os.environ.get("BMPRUNE_TIMING_TESTS") != "1",
                    reason="a wall-clock comparison: opt in with BMPRUNE_TIMING_TESTS=1 on a quiet machine "
                           "(speed is judged by `bmprune bench`, not by default test runs)")
@pytest.mark.skipif(_overloaded(), reason="machine overloaded (load average > 1.5 x cores): timings not comparable")
def test_projection_is_within_30_percent_of_a_measured_small_run(tmp_path, monkeypatch):
    monkeypatch.setenv("BMPRUNE_DATA", str(tmp_path / "data"))     # a fresh data cache: the judge is trained in the run
    cfg = small_config()
    s = protocol_settings(cfg, n_visible=400)
    # unit costs first: this also compiles every tf.function once (seconds per process, nothing per session), so the
    # timed run below, like a long run, is steady-state work; the projection leaves the one-time compilation out
    costs = measure_protocol_costs(s, timed_batches=10**6, repeats=1, chains=1000, chain_steps=20)
    t = time.perf_counter()
    run_experiment(cfg, tmp_path / "run", verbose=False, figures=False)
    measured = time.perf_counter() - t
    timings = json.loads((tmp_path / "run" / "timings.json").read_text())
    assert "data/judge" in timings and "initial/evaluate/logistic_regression" in timings
    p = protocol_projection(s, costs)
    print(format_projection(p)); print(f"measured {measured:.1f} s; timings {timings}")
    for name, m, q in phase_table(timings, p, s, costs): print(f"{name:24s} measured {m:8.1f} s  projected {q:8.1f} s")
    ratio = p["total_seconds"] / measured
    if _overloaded(): pytest.skip(f"machine became overloaded during the test (ratio {ratio:.2f}, not comparable)")
    assert 0.7 <= ratio <= 1.3, f"projection {p['total_seconds']:.1f} s vs measured {measured:.1f} s (ratio {ratio:.2f})"
