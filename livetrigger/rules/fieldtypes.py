"""What each field a rule reads holds, and whether a ``when:`` value fits it.

``when: {total_diamonds: {gte: "100"}}`` compares text with a number: it passed every check
and the rule never fired. Each condition is checked here against the type of its field (for
each of the rule's event kinds that has the field), so a value that cannot match is a config
problem at its line, with what to write instead. A value that can match at least one of the
rule's kinds passes, as a field does in rules/fields.py.

The types come from the event classes' own declarations, so a new field is checked without
being listed here.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Callable
from typing import Any, NamedTuple

from livetrigger import events as ev
from livetrigger.rules.fields import KINDS
from livetrigger.text.suggest import suggest

ORDERED = frozenset({"gt", "gte", "lt", "lte"})
_TEXT_OPS = frozenset({"contains", "startswith", "endswith", "regex"})
_SIGN = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
# text YAML would have read as a number had it not been quoted: "100", "-2", "1.5", "1e3"
_NUMBER_TEXT = re.compile(r"[-+]?(\d[\d_]*)?\.?\d+([eE][-+]?\d+)?")


class FieldType(NamedTuple):
    """``kind`` is number, text, bool, choice, record, list or binary."""

    kind: str
    nullable: bool = False
    choices: tuple[str, ...] = ()  # a choice's values as rules write them
    whole: bool = False  # a number that is always whole (an int)


def _parse(annotation: str) -> FieldType | None:
    parts = [p.strip() for p in annotation.split("|")]
    nullable = "None" in parts
    rest = [p for p in parts if p != "None"]
    if len(rest) != 1:
        return None
    name = rest[0]
    if name in ("int", "float"):
        return FieldType("number", nullable, whole=name == "int")
    simple = {"str": "text", "bool": "bool", "bytes": "binary", "User": "record"}
    if name in simple:
        return FieldType(simple[name], nullable)
    if name.startswith(("tuple[", "list[")):
        return FieldType("list", nullable)
    cls = getattr(ev, name, None)
    if isinstance(cls, type) and issubclass(cls, enum.Enum):
        # as rules/template.plain shows them: IntEnum by lowercase name, the rest by value
        values = tuple(m.name.lower() if isinstance(m, enum.IntEnum) else str(m.value) for m in cls)
        return FieldType("choice", nullable, values)
    return None


def _fields(cls: type) -> dict[str, FieldType]:
    out: dict[str, FieldType] = {}
    for f in dataclasses.fields(cls):
        parsed = _parse(f.type if isinstance(f.type, str) else getattr(f.type, "__name__", ""))
        if parsed is not None:
            out[f.name] = parsed
    for name in dir(cls):
        prop = getattr(cls, name, None)
        if isinstance(prop, property) and prop.fget is not None:
            ret = prop.fget.__annotations__.get("return")
            parsed = _parse(ret) if isinstance(ret, str) else None
            if parsed is not None:
                out[name] = parsed
    return out


_BY_KIND = {kind: _fields(cls) for kind, cls in KINDS.items()}
_USER = _fields(ev.User)
_ARGUMENT = FieldType("text", nullable=True)  # a command argument: a word, or None if left out


def field_types(kind: str) -> dict[str, FieldType]:
    """The type of each field of ``kind`` whose type is known (the JSON Schema's ``when``)."""
    return dict(_BY_KIND.get(kind, {}))


def types_of(path: str, kinds: list[str]) -> list[FieldType]:
    """The distinct types ``path`` has across ``kinds`` (empty: unknown, so not checked)."""
    head, _, rest = path.partition(".")
    if head == "args":
        return [_ARGUMENT] if rest and "." not in rest else []
    found: list[FieldType] = []
    for kind in kinds:
        t = _BY_KIND.get(kind, {}).get(head)
        if t is not None and rest:
            t = _USER.get(rest) if t.kind == "record" else None
        if t is not None and t not in found:
            found.append(t)
    return found


def _shown(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a section"
    return repr(value)


def _one_value(t: FieldType, field: str, value: Any) -> str | None:
    """Why ``field: value`` (equals) can never hold for a field of type ``t``, or None."""
    if value is None:
        if t.nullable:
            return None
        if t.kind in ("record", "list", "binary"):
            return _not_a_value(t, field)
        return f"`{field}` always has a value, so null never matches: write {_noun(t)}"
    if t.kind == "number":
        if isinstance(value, str) and _NUMBER_TEXT.fullmatch(value.strip()):
            return f"expected a number; write {value.strip()} without quotes"
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return f"expected a number, like 100; got {_shown(value)} (`{field}` is a number)"
        if t.whole and value != int(value):
            return f"expected a whole number: `{field}` is never {value!r}"
        return None
    if t.kind == "text":
        if isinstance(value, str):
            return None
        if isinstance(value, (int, float, bool)):
            return f'expected text; write "{_shown(value)}" in quotes (`{field}` is text)'
        return f"expected text; got {_shown(value)}"
    if t.kind == "bool":
        if isinstance(value, bool):
            return None
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return f"expected true or false; write {value.strip().lower()} without quotes"
        return f"expected true or false; got {_shown(value)} (`{field}` is true or false)"
    if t.kind == "choice":
        if isinstance(value, str) and value.lower() in t.choices:
            return None
        hint = suggest(value.lower(), t.choices) if isinstance(value, str) else ""
        return f"expected one of {', '.join(t.choices)}; got {_shown(value)}{hint}"
    return _not_a_value(t, field)


def _noun(t: FieldType) -> str:
    return {
        "number": "a number",
        "text": "text",
        "bool": "true or false",
        "choice": f"one of {', '.join(t.choices)}",
    }.get(t.kind, "one of its fields")


def _not_a_value(t: FieldType, field: str) -> str:
    if t.kind == "record":
        return (
            f"`{field}` is a viewer, not one value: compare one of its fields, "
            f"like `{field}.unique_id`"
        )
    if t.kind == "list":
        return (
            f"`{field}` is a list, and `when` compares single values: test it in `if:`, "
            f"like `if: {field} | length > 0`"
        )
    return f"`{field}` is binary data, which `when` cannot compare"


def _ordered(t: FieldType, field: str, op: str, bound: Any) -> str | None:
    sign = _SIGN[op]
    if t.kind == "number":  # any number bounds a whole one: `lt: 1.5` holds for 0 and 1
        return _one_value(t._replace(whole=False), field, bound)
    if t.kind == "text":
        number = isinstance(bound, (int, float)) or bool(_NUMBER_TEXT.fullmatch(bound.strip()))
        shown = str(bound).strip() if number else "5"
        as_number = f"to compare it as a number write `if: {field} | int {sign} {shown}`"
        if isinstance(bound, str):
            return (
                f'`{field}` is text: `{op}` would compare it letter by letter ("10" < "5"); '
                + as_number
            )
        return f"`{field}` is text and never compares with a number; {as_number}"
    if t.kind == "bool":
        return f"true/false has no order: write `{field}: true` or `{field}: false`"
    if t.kind == "choice":
        return (
            f"`{field}` is one of {', '.join(t.choices)}, which have no order here: "
            f"list the ones you mean, like `{field}: [{', '.join(t.choices[-2:])}]`"
        )
    return _not_a_value(t, field)


def _inside(t: FieldType, field: str, op: str, arg: Any, test: Callable[[Any], bool]) -> str | None:
    """Why a text operator (contains, startswith, endswith, regex) is wrong for ``t``."""
    if t.kind == "text":
        return None
    if t.kind == "choice":
        if any(test(c) for c in t.choices):
            return None
        return f"no value of `{field}` ({', '.join(t.choices)}) matches `{op}: {arg}`"
    if t.kind == "number":
        return (
            f"`{field}` is a number and `{op}` looks inside text: "
            "compare it with eq, ne, gt, gte, lt, lte or in"
        )
    if t.kind == "bool":
        return f"`{field}` is true or false: write `{field}: true` or `{field}: false`"
    return _not_a_value(t, field)


def _why_not(
    t: FieldType, field: str, op: str, arg: Any, test: Callable[[Any], bool]
) -> list[tuple[tuple[int, ...], str]]:
    """Every reason ``op: arg`` is wrong for a field of type ``t``, each with the index of the
    list item it is about (empty: the whole value)."""
    problem: str | None = None
    if op in ("eq", "ne"):
        problem = _one_value(t, field, arg)
    elif op in ORDERED:
        problem = _ordered(t, field, op, arg)
    elif op in _TEXT_OPS:
        problem = _inside(t, field, op, arg, test)
    elif t.kind in ("record", "list", "binary"):
        problem = _not_a_value(t, field)
    else:  # in, not_in
        found: list[tuple[tuple[int, ...], str]] = []
        for i, item in enumerate(arg):
            if item_problem := _one_value(t, field, item):
                found.append(((i,), f"item {i + 1}: {item_problem}"))
        return found
    return [((), problem)] if problem else []


def value_problems(
    field: str, kinds: list[str], op: str, arg: Any, test: Callable[[Any], bool]
) -> list[tuple[tuple[int, ...], str]]:
    """Why ``field: {op: arg}`` is wrong for every one of ``kinds`` that has the field: it
    could never hold (or, for ne and not_in, always would). Each comes with the list index it
    is about; empty when the value fits or the field's type is unknown. ``arg`` has passed
    the operator's own checks, and ``test`` is its compiled predicate (rules/conditions.py)."""
    types = types_of(field, kinds)
    found: list[tuple[tuple[int, ...], str]] = []
    for t in types:
        problems = _why_not(t, field, op, arg, test)
        if not problems:
            return []
        found = found or problems
    return found
