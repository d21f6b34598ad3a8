"""YAML → plain Python values, remembering where every value came from.

``yaml.safe_load`` forgets positions, and a config error without a line number sends the user
hunting. We compose the node graph with PyYAML's safe loader and build the values ourselves,
recording each path's (line, column) so any later stage can point at the exact spot.

Building the values ourselves also bounds them. A config is small, so anything beyond
``MAX_VALUES`` built values (an alias "billion laughs" expands a 600-byte file into millions),
``MAX_DEPTH`` levels of nesting (a recursive alias is infinitely deep) or ``MAX_BYTES`` of text
stops with a ``ConfigLimitError`` pointing at the spot, never a RecursionError or an
out-of-memory kill. Duplicate keys, which YAML silently resolves to the last one, are
collected for the loader to report with both lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

Path = tuple[str | int, ...]

MAX_BYTES = 1 << 20  # a config with hundreds of rules is tens of kilobytes
MAX_DEPTH = 40  # the deepest real config nests rules > do > webhook > json: under 12
MAX_VALUES = 100_000  # every mapping, list and scalar built, aliases counted each time used
_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"


class ConfigLimitError(yaml.MarkedYAMLError):
    """The document is too big, too deep or expands too far; ``problem`` says what to do."""

    def __init__(self, problem: str, mark: yaml.Mark | None) -> None:
        super().__init__(problem=problem, problem_mark=mark)


@dataclass(frozen=True, slots=True)
class Position:
    line: int  # 1-based
    column: int  # 1-based


class _Composer(yaml.composer.Composer):
    """PyYAML's composer in one method per node, with what this loader needs only.

    PyYAML composes nested collections recursively: the depth is checked on the way down so
    a file of ten thousand `[` is a message, not a RecursionError. Its composer also spends
    four calls and path-resolver bookkeeping (unused here) on every node, and looks up each
    plain scalar's type by regular expressions; a 5,000-rule file has 80,000 nodes, with the
    same few hundred values written over and over, so each value's type is remembered.
    """

    _depth = 0  # collections around the node being composed

    _tags: dict[str, str]

    def get_single_node(self) -> Any:
        self._tags = {}
        return super().get_single_node()

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self._depth >= MAX_DEPTH:
            raise ConfigLimitError(_too_deep(), self.peek_event().start_mark)  # type: ignore[attr-defined]
        event: Any = self.get_event()  # type: ignore[attr-defined]
        anchor, start = event.anchor, event.start_mark
        anchors = self.anchors
        if isinstance(event, yaml.AliasEvent):
            if anchor not in anchors:
                raise yaml.composer.ComposerError(
                    None, None, f"found undefined alias {anchor!r}", start
                )
            return anchors[anchor]
        if anchor is not None and anchor in anchors:
            raise yaml.composer.ComposerError(
                f"found duplicate anchor {anchor!r}; first occurrence",
                anchors[anchor].start_mark,
                "second occurrence",
                start,
            )
        tag = event.tag
        node: Any
        if isinstance(event, yaml.ScalarEvent):
            if tag is None or tag == "!":
                tag = self._scalar_tag(event.value, event.implicit)
            end: Any = event.end_mark
            node = yaml.ScalarNode(tag, event.value, start, end, style=event.style)
            if anchor is not None:
                anchors[anchor] = node
            return node
        mapping = isinstance(event, yaml.MappingStartEvent)
        if tag is None or tag == "!":
            tag = self.DEFAULT_MAPPING_TAG if mapping else self.DEFAULT_SEQUENCE_TAG  # type: ignore[attr-defined]
        kind = yaml.MappingNode if mapping else yaml.SequenceNode
        node = kind(tag, [], start, None, flow_style=event.flow_style)
        if anchor is not None:
            anchors[anchor] = node
        items = node.value
        end = yaml.MappingEndEvent if mapping else yaml.SequenceEndEvent
        check = self.check_event  # type: ignore[attr-defined]
        self._depth += 1
        try:
            if mapping:
                while not check(end):
                    key = self.compose_node(node, None)
                    items.append((key, self.compose_node(node, key)))
            else:
                while not check(end):
                    items.append(self.compose_node(node, len(items)))
        finally:
            self._depth -= 1
        node.end_mark = self.get_event().end_mark  # type: ignore[attr-defined]
        return node

    def _scalar_tag(self, value: str, implicit: tuple[bool, bool]) -> str:
        if not implicit[0]:  # quoted: text
            return self.DEFAULT_SCALAR_TAG  # type: ignore[attr-defined,no-any-return]
        tag = self._tags.get(value)
        if tag is None:
            tag = self._tags[value] = self.resolve(yaml.ScalarNode, value, implicit)  # type: ignore[attr-defined]
        return tag


class _Loader(_Composer, yaml.SafeLoader):
    """YAML 1.2 booleans: only true/false. YAML 1.1 also reads on/off/yes/no as booleans,
    which turns `!light on` arguments and `on: gift` keys into True."""


# YAML 1.2 reads no dates: `2026-12-02` in a description or a condition is text (YAML 1.1 made
# it a date, and `2026-13-45` an exception from inside the parser)
_NOT_IMPLICIT = frozenset({"tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp"})
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _NOT_IMPLICIT]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


_CLoader: type | None = None
if getattr(yaml, "__with_libyaml__", False):
    from yaml.cyaml import CParser  # type: ignore[attr-defined]

    class _CLoaderImpl(_Composer, CParser, yaml.resolver.Resolver):
        """libyaml scans and parses (a 5,000-rule file: seconds less than PyYAML's scanner);
        the nodes are composed in Python, with the depth check and YAML 1.2 resolvers."""

        yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            _Composer.__init__(self)
            yaml.resolver.Resolver.__init__(self)

    _CLoader = _CLoaderImpl


def _compose(loader: Any, filename: str) -> Any:
    loader.name = filename
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


@dataclass(frozen=True, slots=True)
class Duplicate:
    """A key written twice in one mapping: YAML keeps the second value."""

    path: Path
    first: Position
    second: Position


class Located:
    """A parsed document plus a map of path → where its key (or item) starts: the parser's
    mark, made a ``Position`` only when asked (most never are)."""

    def __init__(
        self,
        data: Any,
        positions: dict[Path, yaml.Mark],
        duplicates: tuple[Duplicate, ...] = (),
    ) -> None:
        self.data = data
        self.positions = positions
        self.duplicates = duplicates

    def where(self, path: Path) -> Position | None:
        """The position of ``path``, or of its nearest ancestor that has one."""
        p = tuple(path)
        while True:
            mark = self.positions.get(p)
            if mark is not None:
                return _position(mark)
            if not p:
                return None
            p = p[:-1]


def load_located(text: str, filename: str = "<config>") -> Located:
    """Parse one YAML document; raises ``yaml.YAMLError`` (with its own marks) when malformed,
    ``ConfigLimitError`` (a YAMLError too) when it is too big, too deep or expands too far."""
    if len(text) > MAX_BYTES:
        raise ConfigLimitError(
            f"the file has {len(text):,} characters; a config is at most {MAX_BYTES:,}: "
            "is this the right file?",
            None,
        )
    try:
        node = _compose(_CLoader(text) if _CLoader is not None else _Loader(text), filename)
    except yaml.YAMLError:
        if _CLoader is None:
            raise
        # libyaml's marks carry no snippet: the pure-Python parser says the same, with one
        node = _compose(_Loader(text), filename)
    if node is None:
        return Located(None, {})
    constructor = yaml.SafeLoader(text)  # only its scalar construction is used
    builder = _Builder(constructor)
    try:
        data = builder.build(node, (), 0)
    finally:
        constructor.dispose()
    return Located(data, builder.positions, tuple(builder.duplicates))


def plain_value(text: str) -> Any:
    """``text`` read as the file reads a value written plainly: true/false, a number or null
    (so a whole ``${VAR}`` keeps YAML's typing); anything else is the text itself."""
    try:
        value = load_located(text).data
    except yaml.YAMLError:
        return text
    return value if value is None or isinstance(value, (bool, int, float)) else text


def _position(mark: yaml.Mark) -> Position:
    return Position(mark.line + 1, mark.column + 1)


def _too_deep() -> str:
    return (
        f"nested more than {MAX_DEPTH} levels deep (an alias that contains itself?); "
        "flatten this part of the file"
    )


class _Builder:
    """Node graph → values, counting every value built (an alias counts each time it is used)."""

    def __init__(self, constructor: yaml.SafeLoader) -> None:
        self.c = constructor
        self.positions: dict[Path, yaml.Mark] = {}
        self.duplicates: list[Duplicate] = []
        self.built = 0

    def build(self, node: yaml.Node, path: Path, depth: int) -> Any:
        self.built += 1
        if self.built > MAX_VALUES:
            raise ConfigLimitError(
                f"the file expands to more than {MAX_VALUES:,} values: an alias (*name) used "
                "inside another alias multiplies (a 'billion laughs'); write the values out "
                "or use fewer nested aliases",
                node.start_mark,
            )
        if depth > MAX_DEPTH:
            raise ConfigLimitError(_too_deep(), node.start_mark)
        positions = self.positions
        if path not in positions:
            positions[path] = node.start_mark
        if isinstance(node, yaml.ScalarNode):
            if node.tag == _STR_TAG:  # most values: no constructor to look up
                return node.value
        elif isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        elif isinstance(node, yaml.SequenceNode):
            items = []
            for i, item in enumerate(node.value):
                child = (*path, i)
                positions[child] = item.start_mark
                items.append(self.build(item, child, depth + 1))
            return items
        try:
            return self.c.construct_object(node, deep=True)
        except ValueError:
            # a number Python will not build (over 4,300 digits): kept as written, so the check
            # says at its line what belongs there
            return node.value

    def _mapping(self, node: yaml.MappingNode, path: Path, depth: int) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        pairs = [(k, v) for k, v in node.value if k.tag != _MERGE_TAG]
        # `<<: *base` first, as PyYAML does: the explicit keys below then override it
        for key_node, source in node.value:
            if key_node.tag != _MERGE_TAG:
                continue
            sources = source.value if isinstance(source, yaml.SequenceNode) else [source]
            for item in sources:
                value = self.build(item, path, depth + 1)
                if not isinstance(value, dict):
                    raise ConfigLimitError(
                        "`<<:` merges a mapping (or a list of mappings) into this one; "
                        "point it at a mapping, like `<<: *defaults`",
                        item.start_mark,
                    )
                for name, v in value.items():
                    out.setdefault(name, v)  # the first merged mapping wins, as in YAML
        written: dict[Any, yaml.Mark] = {}
        for key_node, value_node in pairs:
            # keys are names: YAML 1.1 would read `on:` as True and `off:` as False
            if isinstance(key_node, yaml.ScalarNode):
                key: Any = key_node.value
            else:
                key = str(self.build(key_node, (*path, "<key>"), depth + 1))
            child = (*path, str(key))
            here = key_node.start_mark
            if key in written:
                first = _position(written[key])
                self.duplicates.append(Duplicate(child, first, _position(here)))
            written[key] = here
            self.positions[child] = here
            out[key] = self.build(value_node, child, depth + 1)
        return out


def format_path(path: Path) -> str:
    """``("rules", 2, "when", "diamonds")`` → ``rules[2].when.diamonds``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"
