"""Every parameter of the public API is documented inline (docments: `x:int=0, # what x is`), so `show_doc` renders a
parameter table: each function and class in a module's `__all__`, each public method of an exported class, and the
fields of exported dataclasses. `self`/`cls`, `*args` and `**kwargs` are exempt, and a method that overrides a base-class
method inherits the docments of the parameters they share (a `Layer` subclass need not repeat what `Layer.mean` says).
Docments are read as `show_doc` reads them: a comment on the line of the return annotation documents the return, so
the last parameter needs its own line before `) -> T:`."""
import importlib, inspect
from dataclasses import is_dataclass
from pathlib import Path
import pytest
from fastcore.docments import docments

PKG = Path(__file__).resolve().parents[1] / "bmprune"
MODULES = sorted(f"bmprune.{p.stem}" for p in PKG.glob("*.py") if not p.stem.startswith("_"))

def _skip(p: inspect.Parameter) -> bool:
    return p.name in ("self", "cls") or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)


def _docs(obj) -> dict:
    "Parameter name -> docment (None when missing) of a function or dataclass, read as `show_doc` reads it."
    return {k: v.get("docment") for k, v in docments(obj, full=True).items() if k != "return"}


def _undocumented(obj, qualname: str, cls=None) -> list:
    "`qualname.param` for every parameter of function/dataclass `obj` (a method of `cls`) without a docment."
    try: sig = inspect.signature(obj)
    except (TypeError, ValueError): return []
    params = [p for p in sig.parameters.values() if not _skip(p)]
    if not params: return []
    docs = _docs(obj)
    for base in (cls.__mro__[1:] if cls is not None else ()):      # an override inherits what its base documents
        f = vars(base).get(obj.__name__)
        if isinstance(f, (staticmethod, classmethod)): f = f.__func__
        if inspect.isfunction(f):
            for k, v in _docs(f).items(): docs[k] = docs.get(k) or v
    return [f"{qualname}.{p.name}" for p in params if not docs.get(p.name)]


def _method_functions(cls):
    "(name, function) for the public methods defined in `cls` itself (plain, static and class methods)."
    for name, attr in vars(cls).items():
        if name.startswith("_"): continue
        if isinstance(attr, (staticmethod, classmethod)): attr = attr.__func__
        if inspect.isfunction(attr): yield name, attr


def public_callables(module) -> list:
    "(qualname, object, defining module, class or None) for everything whose parameters `module`'s API must document."
    out = []
    for name in getattr(module, "__all__", []):
        obj = getattr(module, name, None)
        if getattr(obj, "__module__", None) != module.__name__: continue     # re-exported: checked where defined
        if inspect.isfunction(obj): out.append((name, obj, module.__name__, None))
        elif inspect.isclass(obj):
            if is_dataclass(obj): out.append((name, obj, module.__name__, None))  # docments reads the field comments
            elif inspect.isfunction(vars(obj).get("__init__")): out.append((f"{name}.__init__", obj.__init__, module.__name__, obj))
            for meth, f in _method_functions(obj):
                out.append((f"{name}.{meth}", f, f.__module__, obj))              # @patch-ed on elsewhere: that module
    return out


def missing_docments() -> dict:
    "Module -> sorted list of `qualname.param` without a docment, over the whole package."
    out = {}
    for modname in MODULES:
        for qualname, obj, where, cls in public_callables(importlib.import_module(modname)):
            miss = _undocumented(obj, qualname, cls)
            if miss: out.setdefault(where, set()).update(miss)
    return {k: sorted(v) for k, v in sorted(out.items())}


def test_checker_sees_missing_and_present_docments():
    "The checker itself: a parameter with a comment passes, one without is reported; *args/**kwargs are exempt."
    import types, textwrap, sys, linecache
    src = textwrap.dedent('''
        from dataclasses import dataclass
        __all__ = ["f", "g", "C", "D", "E"]
        def f(a, # documented
              b=1, *args, **kw): "f"
        def g(a, # documented
              b=1) -> int: # on the return annotation's line: show_doc reads it as the return's doc, not b's
            "g"
        class C:
            "C"
            def __init__(self, x, # documented
                         y=0): pass
            def run(self, n: int, # documented
                    ): pass
            def _private(self, z): pass
        @dataclass
        class D:
            "D"
            name: str  # documented
            size: int = 0
        class E(C):
            "E: overrides run and documents nothing itself"
            def run(self, n: int, m=0): pass
        ''')
    fn = "<test_docs_fake_module>"
    linecache.cache[fn] = (len(src), None, src.splitlines(True), fn)
    mod = types.ModuleType("fake_docs_mod"); mod.__file__ = fn
    sys.modules["fake_docs_mod"] = mod
    try:
        exec(compile(src, fn, "exec"), mod.__dict__)
        found = sorted(m for q, o, _, cls in public_callables(mod) for m in _undocumented(o, q, cls))
    finally:
        del sys.modules["fake_docs_mod"]
    assert found == ["C.__init__.y", "D.size", "E.run.m", "f.b", "g.b"], found   # E.run.n inherits C.run's docment


def test_public_parameters_have_docments():
    missing = missing_docments()
    assert not missing, "parameters without a docments comment (`x: int = 0, # what x is`):\n" + "\n".join(
        f"  {m}: {', '.join(ps)}" for m, ps in missing.items())


@pytest.mark.parametrize("modname", MODULES)
def test_module_has_all(modname):
    "Every module declares its public API (nbdev writes `__all__` from the exported names)."
    assert hasattr(importlib.import_module(modname), "__all__"), f"{modname} has no __all__"


if __name__ == "__main__":      # `python tests/test_docs.py`: every parameter still undocumented, by module
    for mod, params in missing_docments().items(): print(f"{mod} ({len(params)}):", " ".join(params))
