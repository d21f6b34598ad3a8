"""Templates and ``if:`` expressions: Jinja2's sandbox, compiled once at load.

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
import json
import re
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import Any

from jinja2 import nodes
from jinja2.environment import TemplateExpression
from jinja2.exceptions import TemplateError, TemplateSyntaxError
from jinja2.parser import Parser
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from livetrigger.rules.template_limits import (
    CONCAT,
    INTERCEPTED,
    LOOP,
    binop,
    bound_tree,
    bounded_concat,
    bounded_filter,
    bounded_loop,
    bounded_output,
    bounded_range,
    check_call,
    check_constants,
    check_format_string,
    check_result,
    render_bounded,
)

_SINGLE_EXPR = re.compile(r"^\s*\{\{(.*)\}\}\s*$", re.S)
MAX_RENDERED = 64 * 1024  # a runaway loop over user data cannot build a huge payload
_SURROGATE = re.compile("[\ud800-\udfff]")
# while a JSON template is rendered again to fit MAX_RENDERED: the longest string it may print
_STRING_LIMIT: ContextVar[int | None] = ContextVar("json_string_limit", default=None)


class RenderedTooLarge(ValueError):
    """JSON whose structure alone (without its strings) is over ``MAX_RENDERED``."""


def json_text(value: Any, default: Callable[[Any], Any] | None = None) -> str:
    """``json.dumps`` that always gives text encodable as UTF-8: a lone surrogate (possible in
    replayed captures) is written as its ``\\uXXXX`` escape instead of raw."""
    text = json.dumps(value, ensure_ascii=False, default=default)
    if _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


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


def _finalize_text(value: Any) -> Any:
    value = plain(value)
    return "" if value is None else value


def _finalize_json(value: Any) -> Any:
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


def _escaping(escape: Callable[[str], str]) -> Callable[[Any], Any]:
    def finalize(value: Any) -> str:
        value = plain(value)
        if value is None:
            return ""
        return escape(value if isinstance(value, str) else str(value))

    return finalize


def _tojson(value: Any) -> Markup:
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


class _BoundedEnvironment(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with the size of everything a template makes measured first
    (rules/template_limits.py): no template can ask for gigabytes or a 370-million-digit
    number, in `check`, at run time or on reload."""

    intercepted_binops = INTERCEPTED

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        return binop(operator, left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        name = check_call(__obj, args, kwargs)
        return check_result(name, super().call(__context, __obj, *args, **kwargs))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        fmt = value.__self__

        def checked(*args: Any, **kwargs: Any) -> str:
            check_format_string(fmt)
            check_call(wrapped, args, kwargs)
            return str(check_result("format", wrapped(*args, **kwargs)))

        return checked


def _environment(finalize: Callable[[Any], Any]) -> ImmutableSandboxedEnvironment:
    env = _BoundedEnvironment(autoescape=False, finalize=lambda v: finalize(bounded_output(v)))
    env.filters["tojson"] = _tojson
    env.filters = {name: bounded_filter(name, f) for name, f in env.filters.items()}
    env.globals.pop("lipsum", None)  # lipsum(n=10**9) never ends
    env.globals.update({"range": bounded_range, LOOP: bounded_loop, CONCAT: bounded_concat})
    return env


TEXT_ENV = _environment(_finalize_text)
JSON_ENV = _environment(_finalize_json)
GLOBAL_NAMES = frozenset(name for name in TEXT_ENV.globals if not name.startswith("__"))
_ESCAPING_ENVS: dict[Callable[[str], str], ImmutableSandboxedEnvironment] = {}


def _escaping_env(escape: Callable[[str], str]) -> ImmutableSandboxedEnvironment:
    env = _ESCAPING_ENVS.get(escape)
    if env is None:
        env = _ESCAPING_ENVS[escape] = _environment(_escaping(escape))
    return env


class TemplateSyntaxProblem(ValueError):
    """A template or expression does not compile; the message says where in it."""


def _cap(text: str) -> str:
    return text if len(text) <= MAX_RENDERED else text[:MAX_RENDERED]


def _fast_renderer(
    source: str, finalize: Callable[[Any], Any]
) -> Callable[[Mapping[str, Any]], str] | None:
    """A renderer without Jinja for the common shape — text with ``{{ name }}`` or
    ``{{ name.attr.attr }}`` holes and nothing else — or None. A Jinja render costs ~100 µs
    (it builds a new context each time); this costs a few. Same results: attribute names
    starting with ``_`` are not allowed here (the sandbox hides them), a missing name or
    attribute renders empty like Jinja's default undefined."""
    try:
        body = TEXT_ENV.parse(source).body
    except TemplateError:
        return None
    parts: list[str | tuple[str, tuple[str, ...]]] = []
    for node in body:
        if not isinstance(node, nodes.Output):
            return None
        for item in node.nodes:
            if isinstance(item, nodes.TemplateData):
                parts.append(item.data)
                continue
            child = item
            attrs: list[str] = []
            while isinstance(child, nodes.Getattr):
                if child.attr.startswith("_"):
                    return None
                attrs.append(child.attr)
                child = child.node
            if not isinstance(child, nodes.Name) or child.name.startswith("_"):
                return None
            parts.append((child.name, tuple(reversed(attrs))))

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
            env, finalize = _escaping_env(escape), _escaping(escape)
        elif self.is_json:
            env, finalize = JSON_ENV, _finalize_json
        else:
            env, finalize = TEXT_ENV, _finalize_text
        # most topics and messages have no markup at all: skip Jinja for them
        self.static = not any(mark in source for mark in ("{{", "{%", "{#"))
        try:
            tree = bound_tree(env.parse(source))
            check_constants(tree, env.filters)
            jinja_render = env.from_string(tree).render
        except TemplateError as exc:
            raise TemplateSyntaxProblem(_describe(exc)) from None
        fast = _fast_renderer(source, finalize)
        self._render = fast or (lambda context: render_bounded(jinja_render, context))

    def render(self, context: Mapping[str, Any]) -> str:
        if self.static:
            return self.source
        text = self._render(context)
        if self.escaped or len(text) <= MAX_RENDERED:
            return text
        if self.is_json:
            return _fit(lambda: self._render(context), len(text))
        return _cap(text)


class Expression:
    """A compiled ``if:`` expression (with or without the surrounding ``{{ }}``)."""

    __slots__ = ("_call", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        m = _SINGLE_EXPR.match(source)
        try:
            self._call = _compile_expression(m.group(1) if m else source)
        except TemplateError as exc:
            raise TemplateSyntaxProblem(_describe(exc)) from None

    def __call__(self, context: Mapping[str, Any]) -> Any:
        return render_bounded(lambda: bounded_output(self._call(context)))


def _compile_expression(source: str) -> TemplateExpression:
    """Jinja's compile_expression, with the parsed expression bounded like templates."""
    parser = Parser(TEXT_ENV, source, state="variable")
    expr = parser.parse_expression()
    if not parser.stream.eos:
        raise TemplateSyntaxError("chunk after expression", parser.stream.current.lineno)
    expr.set_environment(TEXT_ENV)
    body = [nodes.Assign(nodes.Name("result", "store"), expr, lineno=1)]
    tree = bound_tree(nodes.Template(body, lineno=1))
    check_constants(tree, TEXT_ENV.filters)
    return TemplateExpression(TEXT_ENV.from_string(tree), undefined_to_none=True)


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


def _describe(exc: TemplateError) -> str:
    line = getattr(exc, "lineno", None)
    msg = getattr(exc, "message", None) or str(exc)
    return f"template error: {msg}" + (f" (template line {line})" if line and line > 1 else "")


def referenced_names(source: str, *, expression: bool = False) -> list[tuple[str, str | None]]:
    """(variable, first attribute or None) pairs a template or expression reads, for checking
    names against the event fields at load time."""
    m = _SINGLE_EXPR.match(source) if expression else None
    text = "{{ " + (m.group(1) if m else source) + " }}" if expression else source
    try:
        ast = TEXT_ENV.parse(text)
    except TemplateError as exc:
        raise TemplateSyntaxProblem(_describe(exc)) from None
    assigned = {n.name for n in ast.find_all(nodes.Name) if n.ctx in ("store", "param")}
    out: list[tuple[str, str | None]] = []
    seen_attr: set[int] = set()
    for node in ast.find_all(nodes.Getattr):
        if isinstance(node.node, nodes.Name) and node.node.name not in assigned:
            out.append((node.node.name, node.attr))
            seen_attr.add(id(node.node))
    for name in ast.find_all(nodes.Name):
        if name.ctx == "load" and name.name not in assigned and id(name) not in seen_attr:
            out.append((name.name, None))
    return out
