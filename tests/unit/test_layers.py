"""No arrow runs back up between livetrigger's packages (issue 24): every import, at the top of
a module, inside a function or for type checking only, goes to a package of the same layer or
a lower one, and the packages' imports form no cycle. Read from the source with ast."""

from __future__ import annotations

import ast
from collections import defaultdict
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "livetrigger"

# bottom to top; a package imports only from its own layer and the ones below. The root
# package itself (``livetrigger``: its version) and the root modules count as packages.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"livetrigger", "errors", "settings", "text", "system", "events", "devices"}),
    frozenset({"actions"}),
    frozenset({"rules"}),
    frozenset({"config"}),
    frozenset(
        {
            "state",
            "webcast",
            "simulator",
            "sources",
            "homeassistant",
            "web",
            "daemon",
        }
    ),
    frozenset({"commands", "cli", "__main__"}),
)
# known arrows that close a cycle, each with the change that removes it; delete the line then
# (the test fails on a line no longer needed)
KNOWN_CYCLE_EDGES: set[tuple[str, str]] = set()


def _top(name: str) -> str:
    """The package (or root module) of ``livetrigger.x.y``: ``x``; ``livetrigger`` itself."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "livetrigger"


def _module_name(path: Path) -> tuple[str, bool]:
    rel = path.relative_to(PACKAGE.parent).with_suffix("").parts
    is_package = rel[-1] == "__init__"
    return ".".join(rel[:-1] if is_package else rel), is_package


def _imported(path: Path) -> set[str]:
    """Every livetrigger module ``path`` imports, wherever the import statement is."""
    return _imports_of(path.read_text(encoding="utf-8"), *_module_name(path))


def _imports_of(source: str, name: str, is_package: bool) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found.add(module)
            # `from livetrigger import settings as s` imports the module settings
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return {m for m in found if m == "livetrigger" or m.startswith("livetrigger.")}


def _is_module(name: str) -> bool:
    rel = Path(*name.split("."))
    return (PACKAGE.parent / rel).with_suffix(".py").exists() or (PACKAGE.parent / rel).is_dir()


@cache
def package_imports() -> dict[tuple[str, str], set[str]]:
    """(importing package, imported package) → the modules whose imports make the arrow."""
    arrows: dict[tuple[str, str], set[str]] = defaultdict(set)
    for path in sorted(PACKAGE.rglob("*.py")):
        if "_pb" in path.parts:  # protoc's output
            continue
        name, _ = _module_name(path)
        for target in _imported(path):
            if not _is_module(target):
                continue  # a name imported from a module, counted as the module itself
            a, b = _top(name), _top(target)
            if a != b:
                arrows[(a, b)].add(name)
    return arrows


def _layer(package: str) -> int:
    return next(i for i, layer in enumerate(LAYERS) if package in layer)


def test_every_package_has_a_layer() -> None:
    found = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    found |= {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"} | {"livetrigger"}
    listed = set().union(*LAYERS)
    assert found <= listed, f"give these a layer in LAYERS: {sorted(found - listed)}"


def test_no_import_runs_up_a_layer() -> None:
    upward = [
        f"{a} -> {b} (in {', '.join(sorted(modules))})"
        for (a, b), modules in sorted(package_imports().items())
        if _layer(b) > _layer(a)
    ]
    assert upward == []


def test_packages_import_each_other_in_no_cycle() -> None:
    arrows = package_imports()
    edges: dict[str, set[str]] = defaultdict(set)
    for a, b in arrows:
        if (a, b) not in KNOWN_CYCLE_EDGES:
            edges[a].add(b)
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    shown = [" -> ".join(c) + f" (first arrow in {sorted(arrows[(c[0], c[1])])})" for c in cycles]
    assert cycles == [], shown
    stale = {edge for edge in KNOWN_CYCLE_EDGES if edge not in arrows}
    assert not stale, f"these arrows are gone: delete them from KNOWN_CYCLE_EDGES: {stale}"


def test_the_reader_sees_function_level_relative_and_type_checking_imports() -> None:
    """The reader itself: an import inside a function, under TYPE_CHECKING or relative counts."""
    source = """
from typing import TYPE_CHECKING
from livetrigger import settings as s
if TYPE_CHECKING:
    from livetrigger.config.model import Config
def later():
    import livetrigger.daemon
    from ..rules import engine
    from . import helpers
"""
    assert _imports_of(source, "livetrigger.actions.toy", False) == {
        "livetrigger",
        "livetrigger.settings",
        "livetrigger.config.model",
        "livetrigger.config.model.Config",
        "livetrigger.daemon",
        "livetrigger.rules",
        "livetrigger.rules.engine",
        "livetrigger.actions",
        "livetrigger.actions.helpers",
    }
