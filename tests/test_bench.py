"Smoke test of `bmprune bench --quick`: it runs, and the JSON has every key with finite numbers (no timing assertions)."
import json, math

import pytest

from bmprune.bench import NUMBER_KEYS, RATIO_KEYS, TARGETS, main


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    rc = main(["--quick", "--out", str(out)])
    return rc, out, json.loads(out.read_text())


def _finite(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def test_runs_without_errors(bench_run):
    rc, _, res = bench_run
    assert res["errors"] == {}, res["errors"]
    assert rc == 0


def test_every_ratio_and_number_is_present_and_finite(bench_run):
    _, _, res = bench_run
    for key in RATIO_KEYS + NUMBER_KEYS:
        assert key in res["summary"], f"missing summary key {key}"
        assert _finite(res["summary"][key]), f"{key} = {res['summary'][key]!r} is not a finite number"
    for key in RATIO_KEYS:
        assert res["summary"][key] > 0, key
        assert res["targets"][key] == TARGETS[key]
        assert isinstance(res["met"][key], bool)


def test_schema(bench_run):
    _, out, res = bench_run
    assert res["schema"] == 1 and res["quick"] is True
    assert set(res["benchmarks"]) == {"rbm_vs_sklearn", "rbm_loop", "gibbs", "ais", "fisher", "dbm", "scaling"}
    for name, r in res["benchmarks"].items():
        assert isinstance(r.get("shapes"), dict) and r["shapes"], f"{name} does not state its shapes"
        assert isinstance(r.get("note"), str) and r["note"], f"{name} has no note"
    for name in ("gibbs", "ais"):
        r = res["benchmarks"][name]
        assert set(r["seconds"]) == set(r["gflops"]) == {name, "matmul"}
        assert all(_finite(v) and v > 0 for v in r["gflops"].values())
    sc = res["benchmarks"]["scaling"]
    assert [x["n_hidden"] for x in sc["hidden"]] == sc["shapes"]["hidden"]
    assert [x["batch"] for x in sc["batch"]] == sc["shapes"]["batches"]
    assert all(_finite(x["seconds"]) and x["seconds"] > 0 for x in sc["hidden"] + sc["batch"])
    dbm = res["benchmarks"]["dbm"]
    assert all(_finite(v) and v >= 0 for v in dbm["projected_seconds"].values())
    assert _finite(res["total_seconds"]) and "OPENBLAS_CORETYPE" in res["environment"]
    png = out.with_name("bench_scaling.png")
    assert res["plot"] == str(png) and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
