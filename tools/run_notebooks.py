#!/usr/bin/env python
"""Execute the notebooks in nbs/ in place with the current code, slow cells included, then `nbdev-clean` them.

The notebooks are committed *with* their outputs (tables, printed numbers, figures as PNG), so a reader on GitHub
sees every figure without running anything. This command regenerates those outputs:

    python tools/run_notebooks.py                      # every notebook in nbs/, in name order
    python tools/run_notebooks.py 08 21_paper          # only notebooks whose name contains one of these strings
    python tools/run_notebooks.py --list               # what would run
    python tools/run_notebooks.py --timeout 3600 --skip 12_app

Each notebook runs in a fresh `python3` kernel from the nbs/ folder through `jupyter nbconvert --execute --inplace`,
as a separate process with a wall-clock limit (`--timeout`, seconds per notebook); a notebook that fails or times out
is left as it was (nbconvert writes only after a complete run) and reported at the end (exit status 1).
`#| slow` cells are plain code to Jupyter, so they run here (nbdev-test and CI skip them).
Figures stay small: matplotlib's `figure.dpi` and `savefig.dpi` are set to `--dpi` (default 72) through a
matplotlibrc given to the kernels (`MATPLOTLIBRC`). Afterwards `nbdev-clean` removes execution metadata but keeps
the outputs (`clear_all` is false in `[tool.nbdev]`); the tool checks that outputs survived and prints the size of
each notebook's outputs and the total (the repository keeps them under about 10 MB).
"""
import argparse, json, os, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / "nbs"
MAX_TOTAL_MB = 10


def find_notebooks(patterns=(), skip=()) -> list:
    "Notebooks in nbs/ (sorted) whose file name contains any of `patterns` (all if none) and none of `skip`."
    nbs = sorted(p for p in NBS.glob("*.ipynb") if not p.name.startswith("."))
    if patterns:
        nbs = [p for p in nbs if any(s in p.name for s in patterns)]
        missing = [s for s in patterns if not any(s in p.name for p in nbs)]
        if missing: raise SystemExit(f"run_notebooks: no notebook in {NBS} matches {missing}")
    return [p for p in nbs if not any(s in p.name for s in skip)]


def output_bytes(path) -> int:
    "Bytes of all cell outputs of a notebook (as stored JSON)."
    nb = json.loads(Path(path).read_text())
    return sum(len(json.dumps(c.get("outputs", []))) for c in nb["cells"] if c["cell_type"] == "code")


def n_outputs(path) -> int:
    "Number of code cells that have outputs."
    nb = json.loads(Path(path).read_text())
    return sum(bool(c.get("outputs")) for c in nb["cells"] if c["cell_type"] == "code")


def execute(path, timeout: float, rcdir: str) -> tuple:
    "Run one notebook in place; returns (ok, seconds, message)."
    env = {**os.environ, "MATPLOTLIBRC": rcdir, "MPLBACKEND": "module://matplotlib_inline.backend_inline",
           "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"), "PYTHONWARNINGS": "ignore"}
    cmd = [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--inplace",
           "--ExecutePreprocessor.timeout=-1", "--ExecutePreprocessor.kernel_name=python3", path.name]
    t0 = time.perf_counter()
    try:
        r = subprocess.run(cmd, cwd=NBS, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, time.perf_counter() - t0, f"timed out after {timeout:.0f} s (left unchanged)"
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        tail = "\n".join((r.stderr or r.stdout).strip().splitlines()[-15:])
        return False, dt, f"failed (left unchanged):\n{tail}"
    return True, dt, "ok"


def clean(paths):
    "nbdev-clean the given notebooks (keeps outputs: clear_all is false)."
    for p in paths:
        subprocess.run(["nbdev-clean", "--fname", str(p)], cwd=ROOT, check=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog="Example: python tools/run_notebooks.py 20_ 21_ --timeout 2400")
    ap.add_argument("notebooks", nargs="*", help="substrings of notebook names to run (default: all of nbs/*.ipynb)")
    ap.add_argument("--skip", nargs="*", default=[], help="substrings of notebook names not to run")
    ap.add_argument("--timeout", type=float, default=3600, help="wall-clock limit per notebook in seconds (default 3600)")
    ap.add_argument("--dpi", type=int, default=72, help="matplotlib figure.dpi and savefig.dpi (default 72)")
    ap.add_argument("--no-clean", action="store_true", help="do not run nbdev-clean afterwards")
    ap.add_argument("--list", action="store_true", help="list the selected notebooks and their output sizes, run nothing")
    a = ap.parse_args(argv)
    nbs = find_notebooks(a.notebooks, a.skip)
    if a.list:
        for p in nbs: print(f"{p.name:32s} {output_bytes(p) / 1e6:7.2f} MB outputs, {n_outputs(p)} cells with outputs")
        return 0
    failed = []
    with tempfile.TemporaryDirectory() as rcdir:
        Path(rcdir, "matplotlibrc").write_text(f"figure.dpi: {a.dpi}\nsavefig.dpi: {a.dpi}\n")
        for p in nbs:
            print(f"{p.name} ...", end=" ", flush=True)
            ok, dt, msg = execute(p, a.timeout, rcdir)
            print(f"{msg} ({dt:.0f} s)", flush=True)
            if not ok: failed.append(p.name)
    done = [p for p in nbs if p.name not in failed]
    if not a.no_clean and done:
        clean(done)
        empty = [p.name for p in done if n_outputs(p) == 0]
        if empty: print(f"warning: no outputs left after nbdev-clean in {empty}; check clear_all in [tool.nbdev]")
    total = sum(output_bytes(p) for p in NBS.glob("*.ipynb"))
    for p in nbs: print(f"  {p.name:32s} {output_bytes(p) / 1e6:6.2f} MB outputs")
    print(f"all notebooks in nbs/: {total / 1e6:.2f} MB of outputs" + (f" (over {MAX_TOTAL_MB} MB!)" if total > MAX_TOTAL_MB * 1e6 else ""))
    if failed: print(f"failed: {failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
