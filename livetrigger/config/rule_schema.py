"""What the JSON Schema says of a rule's ``on:`` and ``when:``, read from the event classes.

``on:`` lists every event kind, and for a rule with one kind ``when:`` takes that kind's field
names, each value shaped by the field's type (rules/fieldtypes.py): an editor then completes
``result`` under ``on: battle_ended`` and flags ``gte: "100"`` on a number, as ``check`` does.
Rules with several kinds, and paths into a viewer (``user.nickname``) or a command's
``args``, are checked by ``check`` alone: the schema stays no stricter than it.
"""

from __future__ import annotations

from typing import Any

from livetrigger.rules.conditions import OPERATORS
from livetrigger.rules.fields import KINDS, fields_of
from livetrigger.rules.fieldtypes import FieldType, field_types

_TEXT_OPS = ("contains", "startswith", "endswith", "regex")
# dotted paths: into a User record, or a command's arguments
_NESTED = r"^[a-z_]+\.[A-Za-z0-9_.]+$"


def _first_line(doc: str | None) -> str:
    return (doc or "").strip().split("\n", 1)[0].strip()


def on_schema() -> dict[str, Any]:
    """``on:``: one event kind or a list of them."""
    kinds = sorted(KINDS)
    one = {"type": "string", "enum": kinds}
    return {
        "anyOf": [one, {"type": "array", "items": one, "minItems": 1}, {"type": "null"}],
        "description": "the event kinds the rule reacts to (docs/events.md)",
        "default": None,
    }


def _value(t: FieldType) -> dict[str, Any] | None:
    """The JSON Schema of one value a field of type ``t`` is compared with (None: any)."""
    if t.kind == "number":
        node: dict[str, Any] = {"type": "integer" if t.whole else "number"}
    elif t.kind == "text":
        node = {"type": "string"}
    elif t.kind == "bool":
        node = {"type": "boolean"}
    elif t.kind == "choice":
        # rules write choices in any case: an enum would refuse `Won`, which `check` takes
        node = {"type": "string", "examples": list(t.choices)}
    else:
        return None
    return {"anyOf": [node, {"type": "null"}]} if t.nullable else node


def _condition(t: FieldType) -> dict[str, Any]:
    """``field: value``, ``field: [values]`` or ``field: {operator: value}``."""
    value = _value(t)
    if value is None or t.kind in ("record", "list", "binary"):
        return {}
    ops: dict[str, Any] = {"eq": value, "ne": value}
    listed = {"type": "array", "items": value}
    ops["in"] = ops["not_in"] = listed
    if t.kind == "number":  # any number bounds a whole one: `lt: 1.5` holds for 0 and 1
        ops.update({op: {"type": "number"} for op in ("gt", "gte", "lt", "lte")})
    if t.kind in ("text", "choice"):
        ops.update({op: {"type": "string"} for op in _TEXT_OPS})
    assert set(ops) <= set(OPERATORS)
    return {
        "anyOf": [
            value,
            listed,
            {
                "type": "object",
                "properties": ops,
                "additionalProperties": False,
                "minProperties": 1,
            },
        ]
    }


def _ref(t: FieldType, defs: dict[str, Any]) -> dict[str, Any]:
    """A condition on a field of type ``t``, written once in ``defs`` for every field of it."""
    if t.kind in ("record", "list", "binary"):
        return {}
    name = "when_" + t.kind + ("_whole" if t.whole else "") + ("_or_null" if t.nullable else "")
    if t.kind == "choice":
        name += "_" + "_".join(t.choices)
    if name not in defs:
        defs[name] = _condition(t)
    return {"$ref": f"#/$defs/{name}"}


def when_by_kind(defs: dict[str, Any]) -> list[dict[str, Any]]:
    """One ``if on is <kind> then when has <kind>'s fields`` per kind, for a rule's allOf;
    the conditions go to ``defs``."""
    out: list[dict[str, Any]] = []
    for kind in sorted(KINDS):
        typed = field_types(kind)
        # a field whose type rules/fieldtypes.py does not know takes any value
        properties = {
            name: _ref(typed[name], defs) if name in typed else {}
            for name in sorted(fields_of(kind))
        }
        when = {
            "type": "object",
            "properties": properties,
            "patternProperties": {_NESTED: {}},
            "additionalProperties": False,
        }
        out.append(
            {
                "if": {"properties": {"on": {"const": kind}}, "required": ["on"]},
                "then": {"properties": {"when": when}},
                "description": f"{kind}: {_first_line(KINDS[kind].__doc__)}",
            }
        )
    return out
