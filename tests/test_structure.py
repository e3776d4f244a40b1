"""The package's shape: no import cycle (counting imports deferred into functions), modules of readable size, the CLI
on top, and `Stack.load` reading any model class of the package without the caller importing its module first."""
import ast, os, subprocess, sys, textwrap
from pathlib import Path
import pytest

PKG = Path(__file__).resolve().parents[1] / "bmprune"
MAX_LINES = 450


def _modules() -> dict:
    "Module name ('bmprune', 'bmprune.rbm', ...) -> path, for every bmprune/*.py."
    return {("bmprune" if p.stem == "__init__" else f"bmprune.{p.stem}"): p for p in sorted(PKG.glob("*.py"))}


def _targets(node, here: str, modules) -> list:
    "The bmprune modules an import statement (or `importlib.import_module('bmprune.x')` call) in module `here` loads."
    pkg = here if here == "bmprune" else here.rsplit(".", 1)[0]
    def resolve(name):                         # a dotted name -> the bmprune module it loads (None: not ours)
        return name if name in modules else None
    if isinstance(node, ast.Import):
        return [t for a in node.names if (t := resolve(a.name))]
    if isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:                         # relative: `from . import x`, `from .x import y`
            parent = pkg
            for _ in range(node.level - 1): parent = parent.rsplit(".", 1)[0]
            base = f"{parent}.{base}" if base else parent
        out = [t for t in [resolve(base)] if t]
        for a in node.names:                   # `from bmprune import viz` loads bmprune.viz
            if (t := resolve(f"{base}.{a.name}")): out.append(t)
        return out
    if (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
            and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
        return [t for t in [resolve(node.args[0].value)] if t]
    return []


def import_graph() -> dict:
    "Module -> set of bmprune modules it imports anywhere in its code (module level, functions, methods)."
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), str(path))
        graph[name] = {t for node in ast.walk(tree) for t in _targets(node, name, modules) if t != name}
    return graph


def find_cycle(graph: dict) -> list:
    "One cycle as a list of modules [a, b, ..., a], or [] if the graph has none (iterative DFS, three colours)."
    colour, parent = {n: 0 for n in graph}, {}
    for root in graph:
        if colour[root]: continue
        stack = [(root, iter(sorted(graph[root])))]
        colour[root] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                colour[node] = 2; stack.pop(); continue
            if colour[child] == 1:             # back edge: walk the DFS stack back to `child`
                path = [n for n, _ in stack]
                return path[path.index(child):] + [child]
            if colour[child] == 0:
                colour[child] = 1; parent[child] = node
                stack.append((child, iter(sorted(graph[child]))))
    return []


def test_graph_sees_every_kind_of_import():
    "The parser finds relative, absolute, `from . import x`, function-level and import_module imports."
    src = textwrap.dedent("""
        from .core import *
        from . import viz
        import bmprune.stack
        from bmprune import prune
        def f():
            from bmprune.rbm import RBM
            import importlib; importlib.import_module("bmprune.dbm")
        """)
    modules = {m: None for m in ("bmprune", "bmprune.core", "bmprune.viz", "bmprune.stack", "bmprune.prune",
                                 "bmprune.rbm", "bmprune.dbm", "bmprune.x")}
    found = {t for node in ast.walk(ast.parse(src)) for t in _targets(node, "bmprune.x", modules)}
    assert found == {"bmprune", "bmprune.core", "bmprune.viz", "bmprune.stack", "bmprune.prune", "bmprune.rbm", "bmprune.dbm"}
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) in (["a", "b", "c", "a"],)
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) == []


def test_no_import_cycle():
    graph = import_graph()
    assert {"bmprune.config", "bmprune.runner", "bmprune.cli"} <= set(graph)
    cycle = find_cycle(graph)
    assert not cycle, "import cycle: " + " -> ".join(cycle)


def test_layering_of_config_runner_cli():
    "The CLI imports config and runner and nothing imports it; the runner never imports the CLI; bench not the CLI."
    graph = import_graph()
    assert {"bmprune.config", "bmprune.runner"} <= graph["bmprune.cli"]
    assert "bmprune.config" in graph["bmprune.runner"]
    assert not [m for m, deps in graph.items() if "bmprune.cli" in deps], "a module imports bmprune.cli"
    assert "bmprune.runner" not in graph["bmprune.config"]
    assert "bmprune.experiment" not in graph                  # split into config, runner and cli


@pytest.mark.parametrize("path", [p for p in sorted(PKG.glob("*.py")) if p.name != "_modidx.py"], ids=lambda p: p.name)
def test_module_size(path):
    n = len(path.read_text().splitlines())
    assert n <= MAX_LINES, f"{path.name} has {n} lines (limit {MAX_LINES}): split it into chapters"


def test_stack_load_needs_no_model_import(tmp_path):
    "A saved DBM (and RBM) loads through `Stack.load` in a fresh process that imported only `bmprune.stack`."
    from bmprune.dbm import DBM
    from bmprune.rbm import RBM
    DBM([6, 3, 2], seed=0, verbose=False).save(tmp_path / "dbm")
    RBM(6, 3, seed=0, verbose=False).save(tmp_path / "rbm")
    code = ("import sys; from bmprune.stack import Stack\n"
            "for p in sys.argv[1:]: m = Stack.load(p); print(type(m).__name__, m.sizes)")
    r = subprocess.run([sys.executable, "-c", code, str(tmp_path / "dbm"), str(tmp_path / "rbm")], capture_output=True,
                       text=True, timeout=300, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("\n")[:2] == ["DBM [6, 3, 2]", "RBM [6, 3]"], r.stdout
