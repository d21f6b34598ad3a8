"""Validation errors in livetrigger's own words: what was expected and what to write instead.

pydantic's text ("Input should be a valid dictionary or instance of SignBudgetConfig") names our
class names and its own vocabulary; a person editing YAML needs the shape to write. The value
itself is added by the caller, which knows whether the field is a secret.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic_core import ErrorDetails

from livetrigger.rules.fields import suggest

_QUOTED = re.compile(r"'([^']*)'")

# What a value of each kind looks like, for "expected ..." and union errors.
_SHAPES = {
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "finite_number": "a finite number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "text",
    "list_type": "a list",
    "tuple_type": "a list",
    "set_type": "a list",
    "dict_type": "a section of `key: value` lines",
    "model_type": "a section of `key: value` lines",
    "model_attributes_type": "a section of `key: value` lines",
}

_EXAMPLES = {
    "a whole number": "digits only, without quotes or a decimal point",
    "a number": "e.g. 0.5 or 3",
    "true or false": "write true or false without quotes",
    "text": "quote it if it looks like a number or a list",
    "a list": "write [a, b] or one `- item` per line; a single item is [item]",
    "a section of `key: value` lines": "indent its keys under it",
}

_BOUNDS = {
    "greater_than": ("gt", "greater than"),
    "greater_than_equal": ("ge", "at least"),
    "less_than": ("lt", "less than"),
    "less_than_equal": ("le", "at most"),
}


def in_our_words(errors: Sequence[ErrorDetails], value: Any) -> str:
    """One message for every error pydantic reported at one location (a union reports one per
    member: "expected a whole number or text")."""
    shapes = [_SHAPES[e["type"]] for e in errors if e["type"] in _SHAPES]
    if shapes and len(shapes) == len(errors):
        wanted = " or ".join(dict.fromkeys(shapes))
        hint = _EXAMPLES.get(shapes[0], "")
        return f"expected {wanted}" + (f"; {hint}" if hint and len(set(shapes)) == 1 else "")
    return _one(errors[0], value)


def _one(err: ErrorDetails, value: Any) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind in ("literal_error", "enum"):
        choices = _QUOTED.findall(str(ctx.get("expected", "")))
        hint = suggest(str(value), choices) if isinstance(value, str) else ""
        return f"expected one of {', '.join(choices)}{hint}"
    if kind in _BOUNDS:
        key, words = _BOUNDS[kind]
        return f"must be {words} {ctx.get(key)}"
    if kind in ("too_short", "string_too_short"):
        least = ctx.get("min_length")
        return "must not be empty" if least in (1, None) else f"needs at least {least} items"
    if kind in ("too_long", "string_too_long"):
        return f"may hold at most {ctx.get('max_length')} items"
    if kind in _SHAPES:
        shape = _SHAPES[kind]
        hint = _EXAMPLES.get(shape, "")
        return f"expected {shape}" + (f"; {hint}" if hint else "")
    return str(err["msg"]).removeprefix("Value error, ")
