"""``when:`` conditions compiled into plain predicates.

A condition maps a field path to either a value (equals), a list (one of), or operators::

    when:
      diamonds: {gte: 100}
      gift_name: [Rose, "Galaxy"]
      user.follow_role: follower
      text: {regex: "^!(on|off)$"}

Enum fields compare by their documented lowercase names. Text matched by ``contains``,
``startswith``, ``endswith`` and ``regex`` is capped in length first, so a hostile 1 MB comment
costs no more than a short one; ``regex`` runs on RE2 (rules/patterns.py), in time linear in
that text whatever the pattern.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable
from typing import Any, NamedTuple

from livetrigger.rules.command import argument_problem
from livetrigger.rules.fields import check_path, getter
from livetrigger.rules.fieldtypes import value_problems
from livetrigger.rules.patterns import PatternProblem, compile_search
from livetrigger.rules.template import plain as normalise
from livetrigger.text.suggest import suggest

MAX_MATCH_TEXT = 1000
OPERATORS = (
    "eq",
    "ne",
    "gt",
    "gte",
    "lt",
    "lte",
    "in",
    "not_in",
    "contains",
    "startswith",
    "endswith",
    "regex",
)

Predicate = Callable[[Any], bool]
Problem = tuple[tuple[str | int, ...], str]


class Check(NamedTuple):
    """One ``when`` entry: the field path, a getter for it, and the test its value must pass.

    ``inline`` is the same test as a Python expression for the rule's generated matcher
    (rules/matcher.py), when the operator has a cheaper form for the common value type:
    ``{v}`` is the value, ``{x}`` the operand, ``{p}`` the predicate as the fallback for
    every other type, so both forms agree by construction.
    """

    path: str
    get: Callable[[Any], Any]
    test: Predicate
    inline: str | None = None
    operand: Any = None
    op: str | None = None  # the operator, when the entry has exactly one
    arg: Any = None  # its argument as written
    # the values the field must equal one of (`eq`, `in`, a plain value or list), text lowered
    # as the test compares it: what the engine indexes rules by (rules/pins.py); None for any
    # other test, or values whose equality has rules of its own (true/false, decimals, null)
    one_of: frozenset[Any] | None = None


def _text(value: Any) -> str:
    if value is None:
        return ""
    s = value if isinstance(value, str) else str(normalise(value))
    return s[:MAX_MATCH_TEXT]


_last_lowered: list[tuple[Any, str]] = [(None, "")]


def lower_text(value: Any) -> str:
    """``_text(value).lower()``, remembered for the last value: a dozen rules testing the same
    comment lowercase it once. (The cache holds the value, so its identity cannot be reused.)"""
    last = _last_lowered[0]
    if value is last[0]:
        return last[1]
    lowered = (value[:MAX_MATCH_TEXT] if type(value) is str else _text(value)).lower()
    _last_lowered[0] = (value, lowered)  # one store: a reader never sees half of it
    return lowered


def _ordered(op: str, bound: Any) -> Callable[[Any], bool]:
    def test(v: Any) -> bool:
        v = normalise(v)
        if v is None or isinstance(v, str) != isinstance(bound, str):
            return False
        try:
            if op == "gt":
                return bool(v > bound)
            if op == "gte":
                return bool(v >= bound)
            if op == "lt":
                return bool(v < bound)
            return bool(v <= bound)
        except TypeError:
            return False

    return test


def _as_set(values: Iterable[Any]) -> frozenset[Any]:
    return frozenset(str(v).lower() if isinstance(v, str) else v for v in values)


def _member(v: Any, options: frozenset[Any]) -> bool:
    v = normalise(v)
    if isinstance(v, str):
        v = v.lower()
    try:
        return v in options
    except TypeError:
        return False


def _equal(v: Any, want: Any) -> bool:
    v = normalise(v)
    if isinstance(v, str) and isinstance(want, str):
        return v.lower() == want.lower()
    if isinstance(v, bool) or isinstance(want, bool):
        return v is want or (isinstance(v, bool) and v == want)
    return bool(v == want)


def _operator(op: str, arg: Any) -> Callable[[Any], bool]:
    if isinstance(arg, float) and math.isnan(arg):  # YAML's .nan: nothing is equal, above, below
        raise ValueError(
            "`.nan` is not a number to compare with (it equals nothing): write a number"
        )
    if op == "eq":
        return lambda v: _equal(v, arg)
    if op == "ne":
        return lambda v: not _equal(v, arg)
    if op in ("gt", "gte", "lt", "lte"):
        if not isinstance(arg, (int, float, str)) or isinstance(arg, bool):
            raise ValueError(f"`{op}` needs a number, got {arg!r}")
        return _ordered(op, arg)
    if op in ("in", "not_in"):
        if not isinstance(arg, list):
            raise ValueError(f"`{op}` needs a list, like [Rose, Lion]; got {arg!r}")
        for i, item in enumerate(arg):
            if isinstance(item, (list, dict)):
                raise ValueError(
                    f"`{op}` lists plain values (text, numbers, true/false); item {i + 1} is a"
                    f" {'list' if isinstance(item, list) else 'section'}: {item!r}"
                )
        options = _as_set(arg)
        if op == "in":
            return lambda v: _member(v, options)
        return lambda v: not _member(v, options)
    if op in ("contains", "startswith", "endswith"):
        if not isinstance(arg, str):
            raise ValueError(f"`{op}` needs text, got {arg!r}")
        needle = arg.lower()
        if op == "contains":
            return lambda v: needle in lower_text(v)
        if op == "startswith":
            return lambda v: lower_text(v).startswith(needle)
        return lambda v: lower_text(v).endswith(needle)
    if op == "regex":
        if not isinstance(arg, str):
            raise ValueError(f"`regex` needs a pattern in quotes, got {arg!r}")
        try:
            search = compile_search(arg)
        except PatternProblem as exc:
            raise ValueError(str(exc)) from None
        return lambda v: search(_text(v)) is not None
    raise AssertionError(op)


def _inline(op: str, arg: Any) -> tuple[str, Any] | None:
    """The fast expression for ``op`` and its operand, or None to always call the predicate."""
    if op in ("gt", "gte", "lt", "lte") and type(arg) in (int, float):
        sign = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[op]
        # ints and floats compare directly; bools, enums, None and text take the slow path
        return (
            f"({{v}} {sign} {{x}} if type({{v}}) is int or type({{v}}) is float else {{p}}({{v}}))",
            arg,
        )
    if op in ("contains", "startswith", "endswith"):
        needle = arg.lower()
        if op == "contains":
            return "({x} in lower({v}))", needle
        return f"lower({{v}}).{op}({{x}})", needle
    if op == "regex":
        search = compile_search(arg)
        return (
            "({x}({v}) is not None"
            f" if type({{v}}) is str and len({{v}}) <= {MAX_MATCH_TEXT} else {{p}}({{v}}))"
        ), search
    return None


def _one_of(op: str, arg: Any) -> frozenset[Any] | None:
    """The values ``op: arg`` holds for exactly, as ``_equal``/``_member`` compare them."""
    values = [arg] if op == "eq" else arg if op == "in" else None
    if values is None or any(type(v) is not str and type(v) is not int for v in values):
        return None
    return _as_set(values)


def _all_of(tests: tuple[Predicate, ...]) -> Predicate:
    return lambda v: all(t(v) for t in tests)


def _typed(
    field: str,
    kinds: list[str],
    op: str,
    arg: Any,
    here: tuple[str | int, ...],
    problems: list[Problem],
) -> Predicate | None:
    """The test for ``field: {op: arg}``, or None after adding why it is wrong: the
    operator's own checks, then the value against the field's type (a rule that could never
    fire is a problem, not a silent no)."""
    try:
        test = _operator(op, arg)
    except ValueError as exc:
        problems.append((here, str(exc)))
        return None
    wrong = value_problems(field, kinds, op, arg, test)
    for at, message in wrong:
        problems.append(((*here, *at), message))
    return None if wrong else test


def compile_when(
    when: dict[str, Any],
    kinds: Iterable[str],
    path: tuple[str | int, ...],
    arguments: Collection[str] | None = None,
) -> tuple[list[Check], list[Problem]]:
    """The checks, all of which must hold, plus every problem found; ``args.x`` paths are
    checked against the command's ``arguments`` (None: the rule has no command)."""
    kinds = list(kinds)
    checks: list[Check] = []
    problems: list[Problem] = []
    for key, spec in when.items():
        field_path = str(key)
        here = (*path, field_path)
        head, _, rest = field_path.partition(".")
        if head == "args" and rest:  # a name the command lacks is never set: never fires
            problem = argument_problem(rest.split(".")[0], arguments)
        else:
            problem = check_path(field_path, kinds, ("args",))
        if problem:
            problems.append((here, problem))
            continue
        tests: list[Predicate] = []
        fast: tuple[str, Any] | None = None
        single: tuple[str | None, Any] = (None, None)
        one_of: frozenset[Any] | None = None
        if isinstance(spec, dict):
            for op, arg in spec.items():
                if op not in OPERATORS:
                    problems.append(
                        (
                            (*here, str(op)),
                            f"unknown operator `{op}`{suggest(str(op), OPERATORS)}"
                            f" (operators: {', '.join(OPERATORS)})",
                        )
                    )
                    continue
                test = _typed(field_path, kinds, op, arg, (*here, str(op)), problems)
                if test is not None:
                    tests.append(test)
                    if len(spec) == 1:
                        fast, single = _inline(op, arg), (op, arg)
                        one_of = _one_of(op, arg)
        else:
            op = "in" if isinstance(spec, list) else "eq"
            test = _typed(field_path, kinds, op, spec, here, problems)
            if test is not None:
                tests.append(test)
                one_of = _one_of(op, spec)
        if len(tests) == 1:
            inline, operand = fast if fast is not None else (None, None)
            checks.append(
                Check(field_path, getter(field_path), tests[0], inline, operand, *single, one_of)
            )
        elif tests:
            checks.append(Check(field_path, getter(field_path), _all_of(tuple(tests))))
    return checks, problems
