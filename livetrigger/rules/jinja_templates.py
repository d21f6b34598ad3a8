"""The Jinja side of templates: the bounded immutable sandbox, and compiling templates and
``if:`` expressions with it.

Only ``livetrigger.rules.template`` imports this, and only for a template that is more than
text with ``{{ name.attr }}`` holes: a config whose templates are all of that shape (the
common case) never loads jinja2 (issue 18: 4-5 MiB and ~40 ms, bench/dependency_weight.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from jinja2 import nodes
from jinja2.environment import TemplateExpression
from jinja2.exceptions import TemplateError, TemplateSyntaxError
from jinja2.parser import Parser
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from livetrigger.rules.template import (
    TemplateSyntaxProblem,
    escaping,
    finalize_json,
    finalize_text,
    tojson,
)
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
    env.filters["tojson"] = tojson
    env.filters = {name: bounded_filter(name, f) for name, f in env.filters.items()}
    env.globals.pop("lipsum", None)  # lipsum(n=10**9) never ends
    env.globals.update({"range": bounded_range, LOOP: bounded_loop, CONCAT: bounded_concat})
    return env


TEXT_ENV = _environment(finalize_text)
JSON_ENV = _environment(finalize_json)
_ESCAPING_ENVS: dict[Callable[[str], str], ImmutableSandboxedEnvironment] = {}


def _env(escape: Callable[[str], str] | None, is_json: bool) -> ImmutableSandboxedEnvironment:
    if escape is None:
        return JSON_ENV if is_json else TEXT_ENV
    env = _ESCAPING_ENVS.get(escape)
    if env is None:
        env = _ESCAPING_ENVS[escape] = _environment(escaping(escape))
    return env


# Input nested past what Jinja's recursive parser and code generator, or Python compiling the
# code Jinja writes, can take (300 nested `{% if %}`, 200 parentheses, 25 nested
# `{% for %}`): a problem of the template, never a traceback out of `check` or a reload
_TOO_DEEP = (RecursionError, SyntaxError)
# and the deepest parsed tree compiled: Jinja's optimizer takes time cubic in the depth (a
# chain of 300 filters took 71 s, one of 37, the deepest taken, 0.2 s); a real one is ~10 deep
MAX_DEPTH = 40
_N = TypeVar("_N", bound=nodes.Node)


def _too_deep() -> TemplateSyntaxProblem:
    return TemplateSyntaxProblem(
        "template error: nested too deeply to compile (blocks such as {% if %} or {% for %}, "
        "brackets or operators inside one another): write it flatter"
    )


def _shallow(tree: _N) -> _N:
    """``tree``, once its depth is known to be at most ``MAX_DEPTH`` (measured without
    recursion); else the problem."""
    stack: list[tuple[nodes.Node, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _too_deep()
        stack.extend((child, depth + 1) for child in node.iter_child_nodes())
    return tree


def compile_text(
    source: str, escape: Callable[[str], str] | None, is_json: bool
) -> Callable[[Mapping[str, Any]], str]:
    """A template's render function, each render with a fresh budget."""
    env = _env(escape, is_json)
    try:
        tree = bound_tree(_shallow(env.parse(source)))
        check_constants(tree, env.filters)
        jinja_render = env.from_string(tree).render
    except TemplateError as exc:
        raise TemplateSyntaxProblem(describe(exc)) from None
    except _TOO_DEEP:
        raise _too_deep() from None
    return lambda context: render_bounded(jinja_render, context)


def compile_expression(source: str) -> Callable[[Mapping[str, Any]], Any]:
    """Jinja's compile_expression, with the parsed expression bounded like templates; the
    result is called with a fresh budget."""
    try:
        parser = Parser(TEXT_ENV, source, state="variable")
        expr = parser.parse_expression()
        if not parser.stream.eos:
            raise TemplateSyntaxError("chunk after expression", parser.stream.current.lineno)
        _shallow(expr)
        expr.set_environment(TEXT_ENV)
        body = [nodes.Assign(nodes.Name("result", "store"), expr, lineno=1)]
        tree = bound_tree(nodes.Template(body, lineno=1))
        check_constants(tree, TEXT_ENV.filters)
        call = TemplateExpression(TEXT_ENV.from_string(tree), undefined_to_none=True)
    except TemplateError as exc:
        raise TemplateSyntaxProblem(describe(exc)) from None
    except _TOO_DEEP:
        raise _too_deep() from None
    return lambda context: render_bounded(lambda: bounded_output(call(context)))


def describe(exc: TemplateError) -> str:
    line = getattr(exc, "lineno", None)
    msg = getattr(exc, "message", None) or str(exc)
    return f"template error: {msg}" + (f" (template line {line})" if line and line > 1 else "")


def referenced_names(text: str) -> list[tuple[str, str | None]]:
    """(variable, first attribute or None) pairs a template reads, from Jinja's parse."""
    try:
        ast = _shallow(TEXT_ENV.parse(text))
        # find_all walks the tree recursively
        names = list(ast.find_all(nodes.Name))
        getattrs = list(ast.find_all(nodes.Getattr))
    except TemplateError as exc:
        raise TemplateSyntaxProblem(describe(exc)) from None
    except _TOO_DEEP:
        raise _too_deep() from None
    assigned = {n.name for n in names if n.ctx in ("store", "param")}
    out: list[tuple[str, str | None]] = []
    seen_attr: set[int] = set()
    for node in getattrs:
        if isinstance(node.node, nodes.Name) and node.node.name not in assigned:
            out.append((node.node.name, node.attr))
            seen_attr.add(id(node.node))
    for name in names:
        if name.ctx == "load" and name.name not in assigned and id(name) not in seen_attr:
            out.append((name.name, None))
    return out


def holes_by_jinja(source: str) -> list[str | tuple[str, tuple[str, ...]]] | None:
    """What ``template.holes`` finds without Jinja, found with Jinja's parser: the test that
    both agree (tests/unit/test_rules_engine.py) keeps the two in step."""
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
    return parts
