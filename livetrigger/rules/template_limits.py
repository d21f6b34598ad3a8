"""Bounded work and output for templates (issue 19, item 3).

Jinja's sandbox keeps templates away from Python internals, but not from their own cost:
``{{ 'a' * 2000000000 }}`` asks for 2 GB, ``{{ 9 ** (9 ** 9) }}`` for a number with 370
million digits, two nested loops over ``range(100000)`` for 10^10 steps. Any of these, in a
config or a reload, would stop the event loop or the machine. Here every way a template can
make something big is measured before it is made:

- ``*``, ``**``, ``%`` and ``+`` (the sandbox's intercepted operators): repeated text and lists,
  numbers beyond ``MAX_INT_BITS``, ``%`` widths;
- filters, method calls and ``~`` check the size of what they are given and of what they
  would make (``center``, ``indent``, ``ljust``, ``replace``, ``join``, ``format`` widths, ...);
- loops and ``range`` count steps; printed values count against the render's output.

A render has a budget (a context variable set around it): ``MAX_LOOP_STEPS`` loop steps and
``MAX_WORK`` units of work (characters or items measured, made or printed). Exceeding any of
these raises ``TemplateLimitError`` with what was asked and the limit. ``check`` evaluates the
constant parts of every template (``'a' * 2000000000`` needs no event) with the same rules, so
those are config errors with file:line.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from string import Formatter
from typing import Any

from jinja2 import nodes
from jinja2.exceptions import SecurityError

MAX_BUILT = 256 * 1024  # characters or items in one value a template makes
MAX_WORK = 4 * 1024 * 1024  # characters or items measured, made or printed in one render
MAX_LOOP_STEPS = 10_000  # loop iterations (and range() items) in one render
MAX_INT_BITS = 4096  # about 1,233 decimal digits
MAX_WIDTH = 10_000  # a padding width or count given to a filter or method

LOOP = "__livetrigger_loop"
CONCAT = "__livetrigger_concat"


class TemplateLimitError(SecurityError):
    """A template asked for more than a render may make or do; the message says what."""


class Budget:
    __slots__ = ("steps", "work")

    def __init__(self) -> None:
        self.steps = MAX_LOOP_STEPS
        self.work = MAX_WORK


_budget: ContextVar[Budget | None] = ContextVar("template_budget", default=None)


def render_bounded(render: Callable[..., Any], *args: Any) -> Any:
    """Call ``render(*args)`` with a fresh budget."""
    token = _budget.set(Budget())
    try:
        return render(*args)
    finally:
        _budget.reset(token)


def _charge(units: int, what: str) -> None:
    budget = _budget.get()
    if budget is None:
        return
    budget.work -= units
    if budget.work < 0:
        raise TemplateLimitError(
            f"template limit: {what} went over {MAX_WORK:,} characters or items of work"
            " in one render"
        )


def size(value: Any, limit: int = MAX_BUILT) -> int:
    """Characters and items ``value`` holds (text by length, containers by their contents,
    counted through shared parts as printing would); stops counting past ``limit``."""
    total = 0
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            total += len(v)
        elif isinstance(v, (list, tuple, set, frozenset, dict)):
            total += len(v) + 1
            if total <= limit:
                stack.extend(v)
                if isinstance(v, dict):
                    stack.extend(v.values())
        elif isinstance(v, int) and not isinstance(v, bool) and v.bit_length() > MAX_INT_BITS:
            total += v.bit_length() // 3
        else:
            total += 1
        if total > limit:
            return total
    return total


def _check_size(value: Any, what: str) -> None:
    budget = _budget.get()
    limit = MAX_BUILT if budget is None else min(MAX_BUILT, max(budget.work, 0))
    n = size(value, limit)
    if n > MAX_BUILT:
        raise TemplateLimitError(
            f"template limit: {what} would hold more than {MAX_BUILT:,} characters or items"
        )
    _charge(n, what)


def _too_big(what: str, n: int) -> TemplateLimitError:
    return TemplateLimitError(
        f"template limit: {what} would make {n:,} characters or items"
        f" (at most {MAX_BUILT:,} in one value)"
    )


# -- operators -------------------------------------------------------------------------------

_BINOPS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "//": operator.floordiv,
    "**": operator.pow,
    "%": operator.mod,
}
INTERCEPTED = frozenset({"+", "*", "**", "%"})
_PERCENT = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def binop(op: str, left: Any, right: Any) -> Any:
    """``left op right``, refused when the result would be too big to make."""
    if op == "*":
        _check_repeat(left, right)
    elif op == "**":
        _check_power(left, right)
    elif op == "%" and isinstance(left, str):
        check_percent_format(left)
    result = _BINOPS[op](left, right)
    if isinstance(result, (str, list, tuple)) and op in ("+", "%"):
        _check_size(result, f"the result of `{op}`")
    return result


def _check_repeat(left: Any, right: Any) -> None:
    if _is_int(left) and _is_int(right):
        if left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise TemplateLimitError(
                f"template limit: a product of numbers over {MAX_INT_BITS:,} bits"
                " (about 1,233 digits)"
            )
        return
    seq, times = (left, right) if _is_int(right) else (right, left)
    if isinstance(seq, (str, list, tuple)) and _is_int(times) and times > 1:
        n = size(seq) * times
        if n > MAX_BUILT:
            kind = "characters" if isinstance(seq, str) else "items"
            raise _too_big(f"repeating {size(seq):,} {kind} {times:,} times", n)
        _charge(n, "`*`")


def _check_power(base: Any, exponent: Any) -> None:
    if not (_is_int(base) and _is_int(exponent)) or exponent <= 1 or abs(base) <= 1:
        return  # floats overflow quickly with an OverflowError; 0, 1, -1 stay small
    bits = base.bit_length() * exponent
    if bits > MAX_INT_BITS:
        digits = int(math.log10(abs(base)) * exponent) + 1
        raise TemplateLimitError(
            f"template limit: {base} ** {exponent} has about {digits:,} digits"
            f" (numbers in templates are limited to {MAX_INT_BITS:,} bits, about 1,233 digits)"
        )


def check_percent_format(fmt: str) -> None:
    for m in _PERCENT.finditer(fmt):
        for part in m.groups():
            if part == "*":
                raise TemplateLimitError("template limit: write `%` widths as numbers, not `*`")
            if part is not None and int(part) > MAX_WIDTH:
                raise TemplateLimitError(
                    f"template limit: a width or precision of {int(part):,} (at most {MAX_WIDTH:,})"
                )


def check_format_string(fmt: str) -> None:
    """Widths and precisions in a ``str.format`` string, before it is formatted."""
    for _, field, spec, _ in Formatter().parse(fmt):
        if field is None or not spec:
            continue
        if "{" in spec:
            raise TemplateLimitError("template limit: write format widths as numbers, not {}")
        for number in re.findall(r"\d+", spec):
            if int(number) > MAX_WIDTH:
                raise TemplateLimitError(
                    f"template limit: a width or precision of {int(number):,}"
                    f" (at most {MAX_WIDTH:,})"
                )


# -- filters, calls, loops -------------------------------------------------------------------

_WIDTH_ARGS = {  # filter or method name -> positions of arguments that pad or repeat
    "center": (0,),
    "ljust": (0,),
    "rjust": (0,),
    "zfill": (0,),
    "expandtabs": (0,),
    "to_bytes": (0,),
    "batch": (0,),
    "slice": (0,),
    "indent": (0,),
}


def _check_arguments(name: str, value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    for i in _WIDTH_ARGS.get(name, ()):
        width = args[i] if i < len(args) else kwargs.get("width", kwargs.get("length"))
        if isinstance(width, int) and not isinstance(width, bool) and width > MAX_WIDTH:
            raise TemplateLimitError(
                f"template limit: `{name}` with {width:,} (at most {MAX_WIDTH:,})"
            )
    for arg in (value, *args, *kwargs.values()):
        _check_size(arg, f"a value given to `{name}`")
    if not isinstance(value, str):
        return
    if name == "indent":
        width = args[0] if args else kwargs.get("width", 4)
        pad = len(width) if isinstance(width, str) else width if _is_int(width) else 0
        _expect(name, len(value) + (value.count("\n") + 1) * pad)
    elif name == "replace" and len(args) >= 2 and isinstance(args[0], str):
        old, new = args[0], str(args[1])
        hits = value.count(old) if old else len(value) + 1
        _expect(name, len(value) + hits * max(len(new) - len(old), 0))
    elif name == "wordwrap":
        wrap = kwargs.get("wrapstring", args[2] if len(args) > 2 else None) or "\n"
        width = args[0] if args else kwargs.get("width", 79)
        lines = len(value) // max(width if _is_int(width) else 1, 1) + 1
        _expect(name, len(value) + lines * len(str(wrap)))
    elif name == "format":
        check_percent_format(value)
    elif name == "join" and args and isinstance(args[0], (list, tuple)):  # str.join
        _expect(name, size(args[0]) + len(value) * len(args[0]))
    if name == "join" and isinstance(value, (list, tuple)):  # the join filter
        sep = args[0] if args else kwargs.get("d", "")
        _expect(name, size(value) + len(str(sep)) * len(value))


def _expect(name: str, n: int) -> None:
    if n > MAX_BUILT:
        raise _too_big(f"`{name}`", n)


def _check_result(name: str, result: Any) -> Any:
    if isinstance(result, (str, list, tuple, bytes)):
        n = len(result)
        if n > MAX_BUILT:
            raise _too_big(f"`{name}`", n)
        _charge(n, f"`{name}`")
    return result


def bounded_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` with its arguments and result measured (keeps Jinja's pass_* marker)."""
    pass_arg = getattr(func, "jinja_pass_arg", None)

    def bounded(*args: Any, **kwargs: Any) -> Any:
        value_at = 1 if pass_arg is not None else 0
        value = args[value_at] if len(args) > value_at else None
        _check_arguments(name, value, tuple(args[value_at + 1 :]), kwargs)
        return _check_result(name, func(*args, **kwargs))

    if pass_arg is not None:
        bounded.jinja_pass_arg = pass_arg  # type: ignore[attr-defined]
    return bounded


def check_call(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """Before a sandboxed call: the name to report, after refusing padding and sizes."""
    name = getattr(obj, "__name__", type(obj).__name__)
    owner = getattr(obj, "__self__", None)
    if isinstance(owner, (str, bytes, int, list, tuple, dict)):
        _check_arguments(name, owner, args, kwargs)
    else:
        for arg in (*args, *kwargs.values()):
            _check_size(arg, f"a value given to `{name}`")
    return str(name)


def check_result(name: str, result: Any) -> Any:
    return _check_result(name, result)


def bounded_range(*args: int) -> range:
    steps = range(*args)
    _step(len(steps), "range()")
    return steps


def _step(n: int, what: str) -> None:
    budget = _budget.get()
    if n > MAX_LOOP_STEPS:
        raise TemplateLimitError(
            f"template limit: {what} of {n:,} steps (at most {MAX_LOOP_STEPS:,} in one render)"
        )
    if budget is None:
        return
    budget.steps -= n
    if budget.steps < 0:
        raise TemplateLimitError(
            f"template limit: loops went over {MAX_LOOP_STEPS:,} steps in one render"
        )


def bounded_loop(items: Any) -> Iterator[Any]:
    for item in items:
        _step(1, "a loop")
        yield item


def bounded_concat(*parts: Any) -> str:
    for part in parts:
        _check_size(part, "a value joined with `~`")
    return str(_check_result("~", "".join(str(p) for p in parts)))


def bounded_output(value: Any) -> Any:
    """For ``finalize``: a printed value is measured before it becomes text."""
    _check_size(value, "a printed value")
    return value


# -- the template itself ---------------------------------------------------------------------


def bound_tree(tree: nodes.Template) -> nodes.Template:
    """Loops count their steps and ``~`` measures its parts: the parsed template rewritten."""
    for loop in tree.find_all(nodes.For):
        if loop.recursive:
            raise TemplateLimitError(
                "recursive loops are not supported in livetrigger templates: write the"
                " levels out, or use a macro"
            )
        loop.iter = nodes.Call(nodes.Name(LOOP, "load"), [loop.iter], [], None, None)
    _replace_concat(tree)
    return tree


def _replace_concat(node: nodes.Node) -> None:
    for name, value in node.iter_fields():
        if isinstance(value, nodes.Concat):
            setattr(node, name, _concat_call(value))
        elif isinstance(value, list):
            value[:] = [_concat_call(v) if isinstance(v, nodes.Concat) else v for v in value]
        for child in value if isinstance(value, list) else [value]:
            if isinstance(child, nodes.Node):
                _replace_concat(child)


def _concat_call(node: nodes.Concat) -> nodes.Call:
    call = nodes.Call(nodes.Name(CONCAT, "load"), list(node.nodes), [], None, None)
    call.set_lineno(node.lineno)
    return call


_NOT_CONSTANT = object()


def check_constants(tree: nodes.Node, filters: dict[str, Callable[..., Any]]) -> None:
    """Evaluate what needs no event (``'a' * 2000000000``, ``9 ** (9 ** 9)``,
    ``'x'|center(10**9)``) with the render rules, so ``check`` refuses it."""
    for node in tree.find_all(nodes.Expr):
        _constant(node, filters)


def _constant(node: nodes.Node, filters: dict[str, Callable[..., Any]]) -> Any:
    if isinstance(node, nodes.Const):
        return node.value
    if isinstance(node, (nodes.List, nodes.Tuple)):
        items = [_constant(item, filters) for item in node.items]
        if any(i is _NOT_CONSTANT for i in items):
            return _NOT_CONSTANT
        return items if isinstance(node, nodes.List) else tuple(items)
    if isinstance(node, nodes.Neg):
        value = _constant(node.node, filters)
        return _NOT_CONSTANT if value is _NOT_CONSTANT else _safe(operator.neg, value)
    if isinstance(node, nodes.BinExpr) and node.operator in _BINOPS:
        left, right = _constant(node.left, filters), _constant(node.right, filters)
        if left is _NOT_CONSTANT or right is _NOT_CONSTANT:
            return _NOT_CONSTANT
        return _safe(binop, node.operator, left, right)
    if isinstance(node, nodes.Filter) and node.node is not None and not node.dyn_args:
        func = filters.get(node.name)
        value = _constant(node.node, filters)
        args = [_constant(a, filters) for a in node.args]
        kwargs = {str(kw.key): _constant(kw.value, filters) for kw in node.kwargs}
        if (
            func is None
            or getattr(func, "jinja_pass_arg", None) is not None
            or any(v is _NOT_CONSTANT for v in (value, *args, *kwargs.values()))
        ):
            return _NOT_CONSTANT
        return _safe(func, value, *args, **kwargs)
    return _NOT_CONSTANT


def _safe(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """A constant's value, raising only our limits (other errors show at render)."""
    try:
        return func(*args, **kwargs)
    except TemplateLimitError:
        raise
    except Exception:
        return _NOT_CONSTANT
