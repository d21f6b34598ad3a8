"""The JSON Schema of the config file (``livetrigger schema``, and ``config.schema.json``
beside a starter config), read from the same dataclasses the checker builds, so editors
complete and check exactly what ``livetrigger check`` accepts (but for the checks that need
the whole file, such as rule ids that must be unique)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any, Literal, get_args, get_origin

from livetrigger.config.durations import DURATION_PATTERN
from livetrigger.config.shape import (
    SECRET_FIELDS,
    Section,
    allows_none,
    bounds_text,
    is_pairs,
    is_section,
    item_meta,
    keyed_item,
    members,
    section,
)

DRAFT = "https://json-schema.org/draft/2020-12/schema"
_DURATION_TEXT = {"type": "string", "pattern": DURATION_PATTERN}
_DURATION_DOC = "a duration: 500ms, 3s, 2m, 1h (a number is seconds)"


def schema_of(cls: Any, *, title: str) -> dict[str, Any]:
    defs: dict[str, Any] = {}
    root = _object(section(cls), defs)
    return {"$schema": DRAFT, "title": title, **root, "$defs": dict(sorted(defs.items()))}


def _object(sec: Section, defs: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for f in sec.fields:
        node = _type(f.tp, f.meta, defs)
        doc = f.meta.get("doc") or _limits_doc(f.tp, f.meta)
        if doc:
            node["description"] = doc
        default = _json_default(f.tp, f.default)
        if default is not dataclasses.MISSING:
            node["default"] = default
        properties[f.key] = node
        if f.name in SECRET_FIELDS:
            properties[f"{f.name}_file"] = {
                "anyOf": [{"type": "string"}, {"type": "null"}],
                "default": None,
                "description": f"read {f.name} from this file (mode 0600 or 0400)",
            }
    out: dict[str, Any] = {"type": "object", "properties": properties}
    required = [f.key for f in sec.fields if f.required]
    if required:
        out["required"] = required
    out["additionalProperties"] = False
    doc = (sec.cls.__doc__ or "").strip()
    if doc and not doc.startswith(sec.cls.__name__ + "("):  # not dataclass's made-up one
        out["description"] = " ".join(doc.split())
    return out


def _ref(sec: Section, name: str, defs: dict[str, Any]) -> dict[str, Any]:
    if name not in defs:
        defs[name] = {}  # taken, so a class that holds itself refers to it instead of recursing
        defs[name] = _object(sec, defs)
    return {"$ref": f"#/$defs/{name}"}


def _type(tp: Any, meta: Mapping[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    options = members(tp)
    choices = [_one(t, meta, defs) for t in options]
    if "shorthand" in meta:
        choices.append({"type": "string", "description": f"short for {{{meta['shorthand']}: …}}"})
    if allows_none(tp):
        choices.append({"type": "null"})
    if len(choices) == 1:
        return choices[0]
    flat: list[dict[str, Any]] = []
    for c in choices:  # a duration is itself a choice of a number and a text
        flat.extend(c["anyOf"] if list(c) == ["anyOf"] else [c])
    return {"anyOf": flat}


def _one(tp: Any, meta: Mapping[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    if tp is Any:
        return {}
    if is_section(tp):
        return _ref(section(tp), tp.__name__, defs)
    item = keyed_item(tp)
    if item is not None:
        return {
            "type": "object",
            "additionalProperties": _ref(section(item, keyed=True), item.__name__, defs),
        }
    if is_pairs(tp):
        return {"type": "object", "additionalProperties": {"type": "string"}}
    origin, args = get_origin(tp), get_args(tp)
    if origin is dict:
        values = _type(args[1], {}, defs) if args[1] is not Any else True
        mapping: dict[str, Any] = {"type": "object", "additionalProperties": values}
        if args[0] is int:  # JSON's keys are text: digits here
            mapping["propertyNames"] = {"pattern": "^[0-9]+$"}
        return mapping
    if origin in (list, tuple):
        node: dict[str, Any] = {"type": "array", "items": _type(args[0], item_meta(meta), defs)}
        if "min_items" in meta:
            node["minItems"] = meta["min_items"]
        return node
    if origin is Literal:
        kinds = {type(c) for c in args}
        node = {"enum": list(args)}
        if kinds == {str}:
            node["type"] = "string"
        elif kinds == {int}:
            node["type"] = "integer"
        return node
    if tp is float and not meta.get("number"):
        number = {"type": "number", "minimum": 0, **_bounds(meta)}
        return {"anyOf": [number, _DURATION_TEXT]}
    node = {"type": {str: "string", int: "integer", float: "number", bool: "boolean"}[tp]}
    node.update(_bounds(meta))
    if "pattern" in meta:
        node["pattern"] = anchored(meta["pattern"][0])
    return node


# an escape or a character class: neither holds a `|` or a parenthesis that counts
_OPAQUE = re.compile(r"\\.|\[\^?\]?(?:\\.|[^\]\\])*\]", re.S)


def anchored(regex: str) -> str:
    """``regex`` (which the checker matches against the whole text) as a schema pattern: a
    JSON Schema pattern is a search (ECMA 262), so unanchored it would pass ``x150%y``."""
    bare = _OPAQUE.sub("_", regex)
    depth = 0
    for c in bare:
        depth += (c == "(") - (c == ")")
        if c == "|" and depth == 0:  # `^a|b$` anchors each side only
            break
    else:
        if bare.startswith("^") and bare.endswith("$"):
            return regex
    return f"^(?:{regex})$"


def _bounds(meta: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    low, high, _ = meta.get("limits", (None, None, ""))
    if low is not None:
        out["minimum"] = low
    if high is not None:
        out["maximum"] = high
    if meta.get("above") is not None:
        out["exclusiveMinimum"] = meta["above"]
    return out


def _limits_doc(tp: Any, meta: Mapping[str, Any]) -> str:
    duration = float in members(tp) and not meta.get("number")
    if "limits" in meta:
        return bounds_text(meta, duration)
    return _DURATION_DOC if duration else ""


def _json_default(tp: Any, value: Any) -> Any:
    if value is dataclasses.MISSING or dataclasses.is_dataclass(value):
        return dataclasses.MISSING
    if isinstance(value, tuple):  # as the file writes it: a mapping or a list
        return dict(value) if keyed_item(tp) is not None or is_pairs(tp) else list(value)
    return value
