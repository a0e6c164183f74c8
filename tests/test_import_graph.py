"""The import graph of app/: no module cycle, no package cycle, and no import hidden inside a function.

A cycle means the direction of a dependency is undecided; an import inside a function is how such a cycle is
usually papered over. The graph counts every import, wherever it is written.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"

# TODO(#17): package edges that close a cycle in modules other branches of #17 own; the lead removes each pair
# once those branches are merged.
TODO_PACKAGE_EDGES: set[tuple[str, str]] = set()

# Function-level imports that stay, with the reason.
ALLOWED_LOCAL_IMPORTS: dict[tuple[str, str], str] = {
    # The factory imports its parts when called, so importing `app` (e.g. for `app.extensions`) stays cheap.
    ("app", "create_app"): "the application factory",
}


@dataclass(frozen=True)
class Import:
    source: str
    target: str
    function: str | None  # the enclosing function, or None at module level
    line: int


def _module_name(path: Path) -> str:
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(APP.rglob("*.py"))}


def _imports(name: str, path: Path, known: set[str]) -> Iterator[Import]:
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]

    def visit(node: ast.AST, function: str | None) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                yield from visit(child, function or child.name)
                continue
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name in known:
                        yield Import(name, alias.name, function, child.lineno)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parts = package.split(".")
                    base = ".".join([*parts[: len(parts) - child.level + 1], base]).rstrip(".")
                for alias in child.names:
                    # `from pkg import module` depends on the module; `from module import name` on the module.
                    target = f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                    if target in known:
                        yield Import(name, target, function, child.lineno)
            yield from visit(child, function)

    yield from visit(tree, None)


@functools.cache
def _all_imports() -> tuple[Import, ...]:
    modules = _modules()
    known = set(modules)
    return tuple(imp for name, path in modules.items() for imp in _imports(name, path, known))


def _package(module: str) -> str:
    parts = module.split(".")
    # app.integrations.pagerduty and its sync are one package; a top-level module is a node of its own.
    if parts[:2] == ["app", "integrations"]:
        return "app.integrations.pagerduty"
    return ".".join(parts[:2])


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle in the directed graph, as a path that ends where it starts; None if there is none."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def walk(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := walk(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := walk(node)):
            return found
    return None


def _module_edges(imports: tuple[Import, ...]) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for imp in imports:
        # The factory is the root that imports every feature, and a blueprint package's __init__ importing its
        # own view modules after defining `bp` is Flask's registration idiom (the views import `bp` back).
        if imp.source == "app" or imp.target.startswith(imp.source + "."):
            continue
        if imp.source != imp.target:
            edges.setdefault(imp.source, set()).add(imp.target)
    return edges


def test_it_has_no_module_cycle() -> None:
    cycle = _cycle(_module_edges(_all_imports()))
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_it_has_no_package_cycle() -> None:
    edges: dict[str, set[str]] = {}
    where: dict[tuple[str, str], str] = {}
    for imp in _all_imports():
        source, target = _package(imp.source), _package(imp.target)
        if imp.source == "app" or source == target or (source, target) in TODO_PACKAGE_EDGES:
            continue
        edges.setdefault(source, set()).add(target)
        where.setdefault((source, target), f"{imp.source}:{imp.line} imports {imp.target}")
    cycle = _cycle(edges)
    assert cycle is None, (
        "package cycle: "
        + " -> ".join(cycle or [])
        + "\n"
        + "\n".join(where[pair] for pair in zip(cycle or [], (cycle or [])[1:], strict=False))
    )


def test_it_imports_nothing_inside_functions() -> None:
    local = [
        f"{imp.source}:{imp.line} ({imp.function}) imports {imp.target}"
        for imp in _all_imports()
        if imp.function is not None and (imp.source, imp.function) not in ALLOWED_LOCAL_IMPORTS
    ]
    assert local == []


def test_it_sees_the_cycles_it_looks_for() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}}) is None
    assert _package("app.integrations.pagerduty.sync.runner") == "app.integrations.pagerduty"
    assert _package("app.alerts.jobs") == "app.alerts"
