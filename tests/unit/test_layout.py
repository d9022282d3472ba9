"""The package's shape (docs/architecture.md): each folder one concern, imports pointing
down the layers only, no import circles, no module reaching into another's private names."""

from __future__ import annotations

import ast
from pathlib import Path

import lab

ROOT = Path(lab.__file__).resolve().parent

# Bottom to top: a package may import its own layer's siblings' modules only where listed
# below, and any lower layer. `offline` is the endpoint's own world: it imports nothing of
# the client side.
LAYERS = [
    {"offline", "functions"},
    {"stack"},
    {"aws"},
    {"targets"},
    {"observe", "results"},
    {"experiments"},
    {"lessons"},
    {"walkthrough"},
    {"cli"},
]
TOP_MODULES = {"__init__", "__main__"}  # lab/__init__.py re-exports connect; __main__ runs cli


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(imported module, names) for every import in the file, including function-level."""
    out = []
    tree = ast.parse(path.read_text())
    pkg = _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level:
                base = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                mod = ".".join(base + ([mod] if mod else []))
            out.append((mod, [a.name for a in node.names]))
    return out


def _files():
    return [p for p in ROOT.rglob("*.py") if "boot" not in p.parts]


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _layer(package: str) -> int:
    for i, layer in enumerate(LAYERS):
        if package in layer:
            return i
    raise AssertionError(f"lab.{package} is in no layer of docs/architecture.md")


def test_every_package_has_a_layer():
    for child in ROOT.iterdir():
        if child.is_dir() and (child / "__init__.py").exists():
            _layer(child.name)


def test_imports_point_down_the_layers():
    wrong = []
    for path in _files():
        here = _module_name(path)
        src = _package(here)
        if src in TOP_MODULES:
            continue
        for mod, _ in _imports(path):
            if not mod.startswith("lab.") and mod != "lab":
                continue
            dst = _package(mod)
            if dst in TOP_MODULES or dst == src:
                continue
            if _layer(dst) >= _layer(src):
                wrong.append(f"{here} imports {mod}")
    assert not wrong, "imports that point up or sideways:\n" + "\n".join(wrong)


def test_no_import_circles_between_modules():
    graph: dict[str, set[str]] = {}
    names = {_module_name(p) for p in _files()}
    for path in _files():
        here = _module_name(path)
        deps = set()
        for mod, imported in _imports(path):
            for cand in [mod] + [f"{mod}.{n}" for n in imported]:
                if cand in names and cand != here:
                    deps.add(cand)
        graph[here] = deps

    # A package's __init__ that re-exports its own modules is not a circle.
    def edges(m):
        return {d for d in graph.get(m, ()) if not (m.startswith(d + ".") and d in names)}

    state: dict[str, int] = {}
    cycles = []

    def visit(m, stack):
        state[m] = 1
        for d in edges(m):
            if state.get(d) == 1:
                cycles.append(stack[stack.index(d):] + [d])
            elif d not in state:
                visit(d, stack + [d])
        state[m] = 2

    for m in graph:
        if m not in state:
            visit(m, [m])
    assert not cycles, "import circles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_no_module_imports_another_modules_private_names():
    bad = []
    for path in _files():
        for mod, imported in _imports(path):
            if mod.startswith("lab"):
                bad += [f"{_module_name(path)}: {mod}.{n}" for n in imported
                        if n.startswith("_") and not n.startswith("__")]
    assert not bad, "private names imported across modules:\n" + "\n".join(bad)


def test_lessons_are_imported_by_nothing_but_notebooks():
    users = [f"{_module_name(p)} imports {mod}" for p in _files()
             for mod, _ in _imports(p)
             if mod.startswith("lab.lessons") and "lessons" not in p.parts]
    assert not users, "\n".join(users)
