"""Templates and ``if:`` expressions: Jinja2's sandbox, compiled once at load.

Most templates are text with ``{{ name }}`` or ``{{ name.attr }}`` holes, and most ``json:``
values a single such lookup: those are read and rendered here without Jinja, which is
imported (``rules/jinja_templates.py``) only for the first template or expression that needs
more. A daemon whose templates are all plain never loads jinja2 (issue 18).

User content (nicknames, comments) only ever arrives as *values* in the render context, so it
is data and never code: ``{{ 7*7 }}`` as a nickname renders as those seven characters. The
immutable sandbox refuses attribute names starting with ``_`` and any mutation, so templates
cannot reach Python internals.

JSON: a template whose text starts with ``{`` or ``[`` is a JSON template, and every value it
prints is escaped as JSON string content, so ``"{{ user.nickname }}"`` stays valid whatever the
nickname holds. ``json:`` mappings go further: a value that is exactly one ``{{ expr }}`` keeps
its type (numbers stay numbers), and the result is serialised with ``json.dumps``. JSON output
is never cut: when it would pass ``MAX_RENDERED`` its longest strings are shortened (ending in
"…") until it fits, so it stays valid JSON whatever a viewer sent.

Topics, URL paths and headers give :class:`TextTemplate` an ``escape`` function: every value
printed is passed through it (one topic level, one path segment, ...), the template's own text
is not.
"""

from __future__ import annotations

import enum
import functools
import json
import re
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from types import ModuleType
from typing import Any

from markupsafe import Markup

from livetrigger.text.printable import json_text

_SINGLE_EXPR = re.compile(r"^\s*\{\{(.*)\}\}\s*$", re.S)
MAX_RENDERED = 64 * 1024  # a runaway loop over user data cannot build a huge payload
# while a JSON template is rendered again to fit MAX_RENDERED: the longest string it may print
_STRING_LIMIT: ContextVar[int | None] = ContextVar("json_string_limit", default=None)
# the names Jinja's environment gives every template (jinja_templates.TEXT_ENV.globals; a
# test holds the two equal), known without importing Jinja
GLOBAL_NAMES = frozenset({"cycler", "dict", "joiner", "namespace", "range"})
# template_limits.MAX_BUILT and MAX_INT_BITS (a test holds them equal): a looked-up value
# bigger than these goes through the sandbox, which refuses it with the limit's message
_MAX_BUILT = 256 * 1024
_MAX_INT_BITS = 4096


class RenderedTooLarge(ValueError):
    """JSON whose structure alone (without its strings) is over ``MAX_RENDERED``."""


def _shorten(text: str) -> str:
    limit = _STRING_LIMIT.get()
    return text if limit is None or len(text) <= limit else text[:limit] + "…"


def plain(value: Any) -> Any:
    """Enum members as the lowercase names docs/events.md promises; the rest unchanged."""
    if isinstance(value, enum.IntEnum):
        return value.name.lower()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def finalize_text(value: Any) -> Any:
    value = plain(value)
    return "" if value is None else value


def finalize_json(value: Any) -> Any:
    value = plain(value)
    if value is None:
        return "null"
    if isinstance(value, Markup):  # output of |tojson: already JSON
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return json_text(_shorten(str(value)))[1:-1]


def escaping(escape: Callable[[str], str]) -> Callable[[Any], Any]:
    def finalize(value: Any) -> str:
        value = plain(value)
        if value is None:
            return ""
        return escape(value if isinstance(value, str) else str(value))

    return finalize


def tojson(value: Any) -> Markup:
    data = _jsonable(value)
    if _STRING_LIMIT.get() is not None:
        data = _shortened(data)
    return Markup(json_text(data))


def _jsonable(value: Any) -> Any:
    value = plain(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, bytes):
        return value.hex()
    fields = getattr(value, "__dataclass_fields__", None)
    if fields is not None:
        return {name: _jsonable(getattr(value, name)) for name in fields}
    return str(value)


def _jinja() -> ModuleType:
    """The Jinja side, imported at the first template that needs it."""
    from livetrigger.rules import jinja_templates  # noqa: PLC0415

    return jinja_templates


class TemplateSyntaxProblem(ValueError):
    """A template or expression does not compile; the message says where in it."""


def _cap(text: str) -> str:
    return text if len(text) <= MAX_RENDERED else text[:MAX_RENDERED]


Part = str | tuple[str, tuple[str, ...]]  # text, or a name and the attributes read from it

_NAME = r"[A-Za-z][A-Za-z0-9_]*"
_HOLE = re.compile(r"\{\{[ \t]*(" + _NAME + r"(?:\." + _NAME + r")*)[ \t]*\}\}")
_DOTTED = re.compile(r"[ \t]*(" + _NAME + r"(?:\." + _NAME + r")*)[ \t]*")
# words Jinja reads as constants or operators where a name could stand: left to Jinja
_KEYWORDS = frozenset({"true", "false", "none", "True", "False", "None"})
_KEYWORDS |= {"and", "or", "not", "in", "is", "if", "else"}


def holes(source: str) -> list[Part] | None:
    """``source`` as text and ``{{ name.attr }}`` holes, exactly as Jinja's parser would split
    it (``jinja_templates.holes_by_jinja``; a property test holds the two equal), or None when
    it is anything else or might parse differently: other markup, ``{{-``, names Jinja reads
    as keywords, names starting with ``_`` (the sandbox hides them), a ``{`` before a hole,
    ``\\r`` or a final newline (Jinja rewrites those)."""
    if "{%" in source or "{#" in source or "\r" in source or source.endswith("\n"):
        return None
    parts: list[Part] = []
    pos = 0
    for m in _HOLE.finditer(source):
        text = source[pos : m.start()]
        if "{{" in text or text.endswith("{"):
            return None
        name, *attrs = m.group(1).split(".")
        if name in _KEYWORDS:
            return None
        if text:
            parts.append(text)
        parts.append((name, tuple(attrs)))
        pos = m.end()
    tail = source[pos:]
    if "{{" in tail:
        return None
    if tail:
        parts.append(tail)
    return parts


# the parts of the last templates split: a template is split when compiled and again when
# `check` reads its names, and a big config repeats the same few (shared: never mutated)
_split = functools.lru_cache(maxsize=1024)(holes)


def _dotted(source: str) -> tuple[str, tuple[str, ...]] | None:
    """``name`` or ``name.attr.attr`` (an expression that only looks a value up), or None."""
    m = _DOTTED.fullmatch(source)
    if m is None:
        return None
    name, *attrs = m.group(1).split(".")
    return None if name in _KEYWORDS else (name, tuple(attrs))


def _renderer(
    parts: list[Part], finalize: Callable[[Any], Any]
) -> Callable[[Mapping[str, Any]], str]:
    """A renderer without Jinja for text with ``{{ name }}`` or ``{{ name.attr.attr }}``
    holes. A Jinja render costs ~100 µs (it builds a new context each time); this costs a few.
    Same results: a missing name or attribute renders empty like Jinja's default undefined."""
    missing = object()

    def render(ctx: Mapping[str, Any]) -> str:
        out: list[str] = []
        for part in parts:
            if isinstance(part, str):
                out.append(part)
                continue
            name, attrs = part
            value = ctx.get(name, missing)
            for attr in attrs:
                if value is missing or value is None:
                    value = missing  # an attribute of nothing is undefined, as in Jinja
                    break
                value = (
                    value.get(attr, missing)
                    if isinstance(value, Mapping)
                    else getattr(value, attr, missing)
                )
            out.append("" if value is missing else str(finalize(value)))
        return "".join(out)

    return render


class TextTemplate:
    """A compiled string template (JSON-escaping when its source looks like JSON).

    With ``escape``, every printed value goes through it (the template's own text does not)
    and the result is never cut (a cut topic or URL would be another one): the caller checks
    its length against the limit of what it builds (65,535 bytes for a topic)."""

    __slots__ = ("_render", "escaped", "is_json", "source", "static")

    def __init__(self, source: str, *, escape: Callable[[str], str] | None = None) -> None:
        self.source = source
        self.escaped = escape is not None
        head = source.lstrip()
        self.is_json = (
            escape is None and head[:1] in ("{", "[") and not head.startswith(("{{", "{%", "{#"))
        )
        if escape is not None:
            finalize = escaping(escape)
        elif self.is_json:
            finalize = finalize_json
        else:
            finalize = finalize_text
        # most topics and messages have no markup at all: skip Jinja for them
        self.static = not any(mark in source for mark in ("{{", "{%", "{#"))
        parts: list[Part] | None = [source] if self.static else _split(source)
        if parts is not None:
            self._render = _renderer(parts, finalize)
        else:
            self._render = _jinja().compile_text(source, escape, self.is_json)

    def render(self, context: Mapping[str, Any]) -> str:
        if self.static:
            return self.source
        text = self._render(context)
        if self.escaped or len(text) <= MAX_RENDERED:
            return text
        if self.is_json:
            return _fit(lambda: self._render(context), len(text))
        return _cap(text)


_SLOW = object()  # a lookup the sandbox has to answer


def _lookup(context: Mapping[str, Any], name: str, attrs: tuple[str, ...]) -> Any:
    """What the sandbox gives for the expression ``name.attr.attr`` where that is plain (event
    fields, command arguments: dataclasses, dicts and scalars), else ``_SLOW``: methods,
    Jinja's globals, other objects, errors and values over the template limits are Jinja's."""
    if name not in context:  # undefined, which an expression gives as None
        return None if not attrs and name not in GLOBAL_NAMES else _SLOW
    value = context[name]
    last = len(attrs) - 1
    for i, attr in enumerate(attrs):
        if type(value) is dict:
            if hasattr(value, attr):  # the sandbox finds dict's own methods first
                return _SLOW
            if attr not in value:  # undefined again; an attribute of it is an error
                return None if i == last else _SLOW
            value = value[attr]
        elif value is None:
            return None if i == last else _SLOW
        elif attr in getattr(type(value), "__dataclass_fields__", ()):
            value = getattr(value, attr, _SLOW)
            if value is _SLOW:
                return _SLOW
        else:
            return _SLOW
    kind = type(value)
    if value is None or kind is bool or kind is float or isinstance(value, enum.Enum):
        return value
    if kind is str:
        return value if len(value) <= _MAX_BUILT else _SLOW
    if kind is int:
        return value if value.bit_length() <= _MAX_INT_BITS else _SLOW
    return _SLOW


class Expression:
    """A compiled ``if:`` expression (with or without the surrounding ``{{ }}``)."""

    __slots__ = ("_call", "_inner", "_path", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        m = _SINGLE_EXPR.match(source)
        self._inner = m.group(1) if m else source
        self._path = _dotted(self._inner)
        self._call: Callable[[Mapping[str, Any]], Any] | None = None
        if self._path is None:
            self._call = _jinja().compile_expression(self._inner)

    def __call__(self, context: Mapping[str, Any]) -> Any:
        if self._path is not None:
            value = _lookup(context, *self._path)
            if value is not _SLOW:
                return value
        if self._call is None:  # a plain lookup Jinja has to answer this time
            self._call = _jinja().compile_expression(self._inner)
        return self._call(context)


class JsonTemplate:
    """A ``json:`` mapping or list whose string leaves are templates."""

    __slots__ = ("_build", "source")

    def __init__(self, source: Any) -> None:
        self.source = source
        self._build = _compile_json(source)

    def render(self, context: Mapping[str, Any]) -> str:
        value = _jsonable(self._build(context))
        text = json_text(value)
        if len(text) <= MAX_RENDERED:
            return text
        return _fit(lambda: json_text(_shortened(value)), len(text))


def _shortened(value: Any) -> Any:
    if isinstance(value, str):
        return _shorten(value)
    if isinstance(value, dict):
        return {k: _shortened(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shortened(v) for v in value]
    return value


def _fit(render: Callable[[], str], size: int) -> str:
    """What ``render`` gives with the longest string limit that keeps it within
    ``MAX_RENDERED`` (a binary search over the limit: this only runs for oversized JSON)."""
    best: str | None = None
    low, high = 0, size
    while low <= high:
        limit = (low + high) // 2
        token = _STRING_LIMIT.set(limit)
        try:
            text = render()
        finally:
            _STRING_LIMIT.reset(token)
        if len(text) <= MAX_RENDERED:
            best, low = text, limit + 1
        else:
            high = limit - 1
    if best is None:
        raise RenderedTooLarge(
            f"JSON of more than {MAX_RENDERED:,} characters even with every string shortened"
        )
    return best


def _compile_json(value: Any) -> Callable[[Mapping[str, Any]], Any]:
    if isinstance(value, str):
        m = _SINGLE_EXPR.match(value)
        if m and "{{" not in m.group(1) and "}}" not in m.group(1):
            expr = Expression(value)
            return expr.__call__
        if "{{" in value or "{%" in value:
            tpl = TextTemplate(" " + value)  # a leading space keeps it a text template
            return lambda ctx: tpl.render(ctx)[1:]
        return lambda ctx: value
    if isinstance(value, dict):
        parts = [(str(k), _compile_json(v)) for k, v in value.items()]
        return lambda ctx: {k: build(ctx) for k, build in parts}
    if isinstance(value, list):
        items = [_compile_json(v) for v in value]
        return lambda ctx: [build(ctx) for build in items]
    return lambda ctx: value


def referenced_names(source: str, *, expression: bool = False) -> list[tuple[str, str | None]]:
    """(variable, first attribute or None) pairs a template or expression reads, for checking
    names against the event fields at load time."""
    m = _SINGLE_EXPR.match(source) if expression else None
    inner = m.group(1) if m else source
    if expression:
        path = _dotted(inner)
        if path is not None:
            return [(path[0], path[1][0] if path[1] else None)]
        return list(_jinja().referenced_names("{{ " + inner + " }}"))
    if not any(mark in source for mark in ("{{", "{%", "{#")):
        return []
    parts = _split(source)
    if parts is None:
        return list(_jinja().referenced_names(source))
    # Jinja's order: every name read with an attribute, then every bare name
    looked = [p for p in parts if isinstance(p, tuple)]
    return [(n, a[0]) for n, a in looked if a] + [(n, None) for n, a in looked if not a]
