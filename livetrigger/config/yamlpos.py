"""YAML → plain Python values, remembering where every value came from.

``yaml.safe_load`` forgets positions, and a config error without a line number sends the user
hunting. We compose the node graph with PyYAML's safe loader and build the values ourselves,
recording each path's (line, column) so any later stage can point at the exact spot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Position:
    line: int  # 1-based
    column: int  # 1-based


class _Loader(yaml.SafeLoader):
    """YAML 1.2 booleans: only true/false. YAML 1.1 also reads on/off/yes/no as booleans,
    which turns `!light on` arguments and `on: gift` keys into True."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


class Located:
    """A parsed document plus a map of path → position of its key (or item)."""

    def __init__(self, data: Any, positions: dict[Path, Position]) -> None:
        self.data = data
        self.positions = positions

    def where(self, path: Path) -> Position | None:
        """The position of ``path``, or of its nearest ancestor that has one."""
        p = tuple(path)
        while True:
            pos = self.positions.get(p)
            if pos is not None or not p:
                return pos
            p = p[:-1]


def load_located(text: str, filename: str = "<config>") -> Located:
    """Parse one YAML document; raises ``yaml.YAMLError`` (with its own marks) when malformed."""
    loader = _Loader(text)
    loader.name = filename
    try:
        node = loader.get_single_node()
    finally:
        loader.dispose()
    positions: dict[Path, Position] = {}
    if node is None:
        return Located(None, positions)
    constructor = yaml.SafeLoader(text)  # only its scalar construction is used
    try:
        data = _build(node, (), positions, constructor)
    finally:
        constructor.dispose()
    return Located(data, positions)


def _mark(node: yaml.Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


def _build(node: yaml.Node, path: Path, positions: dict[Path, Position], c: yaml.SafeLoader) -> Any:
    positions.setdefault(path, _mark(node))
    if isinstance(node, yaml.MappingNode):
        c.flatten_mapping(node)  # resolve `<<:` merge keys
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            # keys are names: YAML 1.1 would read `on:` as True and `off:` as False
            if isinstance(key_node, yaml.ScalarNode):
                key: Any = key_node.value
            else:
                key = str(c.construct_object(key_node, deep=True))
            child = (*path, str(key))
            positions[child] = _mark(key_node)
            out[key] = _build(value_node, child, positions, c)
        return out
    if isinstance(node, yaml.SequenceNode):
        items = []
        for i, item in enumerate(node.value):
            child = (*path, i)
            positions[child] = _mark(item)
            items.append(_build(item, child, positions, c))
        return items
    return c.construct_object(node, deep=True)


def format_path(path: Path) -> str:
    """``("rules", 2, "when", "diamonds")`` → ``rules[2].when.diamonds``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"
