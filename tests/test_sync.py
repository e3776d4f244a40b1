"The generated files are in sync with the notebooks: the package (nbdev-export) and README.md (nbconvert)."
import filecmp, shutil, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_package_matches_notebooks(tmp_path):
    "Exporting the notebooks afresh reproduces bmprune/ exactly (nobody edited a module by hand)."
    for name in ("nbs", "bmprune"): shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    for f in (tmp_path / "bmprune").glob("*.py"):
        if f.name != "__init__.py": f.unlink()
    subprocess.run([sys.executable, "-c", "from nbdev.doclinks import nbdev_export; nbdev_export()"], cwd=tmp_path, check=True)
    fresh = sorted(p.name for p in (tmp_path / "bmprune").glob("*.py"))
    committed = sorted(p.name for p in (ROOT / "bmprune").glob("*.py"))
    assert fresh == committed, f"modules differ: fresh {fresh} vs committed {committed}"
    stale = [n for n in fresh if not filecmp.cmp(tmp_path / "bmprune" / n, ROOT / "bmprune" / n, shallow=False)]
    assert not stale, f"run nbdev-export: these modules differ from their notebooks: {stale}"


def test_readme_matches_index_notebook(tmp_path):
    "README.md is what nbconvert makes of nbs/index.ipynb."
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "markdown", str(ROOT / "nbs" / "index.ipynb"),
                    "--output-dir", str(tmp_path), "--output", "README"], check=True, capture_output=True)
    assert (tmp_path / "README.md").read_text() == (ROOT / "README.md").read_text(), (
        "README.md is stale: run `jupyter nbconvert --to markdown nbs/index.ipynb --output-dir . --output README`")
