"""Checks a parsed YAML document against dataclasses and builds them: every problem of the
document at once, each at its key path, in words that say what to write instead.

The same dataclasses describe the file for people (``livetrigger schema``, in
``config/json_schema.py``) and are what the rest of the daemon receives, so the two cannot
drift apart. The reading of a field's type:

- ``float`` is a duration (``500ms``, ``3s``, ``2m``, a number of seconds) unless its
  metadata says ``number`` (on a list: the floats among its items, as OSC's ``-0.5``);
  ``int``, ``str``, ``bool`` and ``Literal`` are what they say, read leniently where YAML's
  quoting makes that natural (``"8080"`` for a port, ``"true"``);
- a ``tuple`` of a dataclass with a ``name`` field is a mapping keyed by that name
  (``outputs: {lamp: {pin: 17}}``); a ``tuple`` of pairs is a mapping (headers); any other
  ``tuple`` or ``list`` is a list;
- a dataclass is a section of keys, none of them unknown; a secret field ``x`` also
  accepts ``x_file`` (the loader reads it before the check);
- metadata (written with ``settings.key``): ``limits`` (see ``settings.limits``), ``above``
  (an exclusive lower bound), ``pattern`` (a regex the whole text must match, and what to
  write instead), ``min_items`` and ``alias`` (the key in the file, where the attribute
  cannot be spelled so: ``json``, ``if``).

A section field with metadata ``shorthand`` also takes text, standing for that one key
(``log: "hi"`` is ``log: {message: "hi"}``). A class may give a method ``mistake()`` that
returns what is wrong with the whole section once its fields are each right.

A deliberately small checker rather than a validation library: pydantic cost the daemon about
10 MiB and ``check`` a third of its time, and every library's messages and error records had to
be translated into these anyway (BENCHMARKS.md, "The config checker").
"""

from __future__ import annotations

import dataclasses
import math
import re
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal, TypeVar, Union, cast, get_args, get_origin

from livetrigger.config.durations import format_duration, parse_duration
from livetrigger.text.suggest import suggest

Loc = tuple[str | int, ...]
T = TypeVar("T")
SECRET_FIELDS = frozenset({"sign_api_key", "session_id", "password", "secret", "token", "app_key"})
NOT_SHOWN: Any = ...  # Problem.value when the message already says what was written

_INVALID: Any = object()
_TRUE = frozenset({"true", "yes", "on", "y", "t", "1"})
_FALSE = frozenset({"false", "no", "off", "n", "f", "0"})
_WHOLE = re.compile(r"^\s*[+-]?\d+\s*$")

# what a value of each kind looks like, and how to write one
SECTION = "a section of `key: value` lines"
_EXAMPLES = {
    "a whole number": "digits only, without quotes or a decimal point",
    "a number": "e.g. 0.5 or 3",
    "true or false": "write true or false without quotes",
    "text": "quote it if it looks like a number or a list",
    "a list": "write [a, b] or one `- item` per line; a single item is [item]",
    SECTION: "indent its keys under it",
}


@dataclass(frozen=True, slots=True)
class Problem:
    loc: Loc
    message: str
    value: Any = NOT_SHOWN  # what was written, for "(got …)"; the loader hides secrets


# -- what the checker knows about a class ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class Field:
    name: str  # the attribute
    key: str  # in the file
    tp: Any
    meta: Mapping[str, Any]
    required: bool
    default: Any  # for the schema; MISSING when there is none or it is made by a factory


@dataclass(frozen=True, slots=True)
class Section:
    cls: type[Any]
    fields: tuple[Field, ...]
    by_key: Mapping[str, Field]  # by key in the file and by attribute name
    keys: frozenset[str]  # what the file may write, for "did you mean"


@cache
def section(cls: Any, keyed: bool = False) -> Section:
    """``cls`` as the file writes it (``keyed``: its ``name`` is the mapping key instead)."""
    hints = typing.get_type_hints(cls)
    fields: list[Field] = []
    for f in dataclasses.fields(cls):
        if keyed and f.name == "name":
            continue
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        written = f.metadata.get("alias", f.name)
        fields.append(Field(f.name, written, hints[f.name], f.metadata, required, f.default))
    by_key = {f.key: f for f in fields} | {f.name: f for f in fields}
    keys = {f.key for f in fields} | {f"{f.name}_file" for f in fields if f.name in SECRET_FIELDS}
    return Section(cls, tuple(fields), by_key, frozenset(keys))


@cache  # types are few and asked about for every value of a big file
def is_section(tp: Any) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


@cache
def is_mapping(tp: Any) -> bool:
    """Whether the file writes a value of ``tp`` as a mapping: a section, a keyed tuple, header
    pairs or a dict."""
    return is_section(tp) or keyed_item(tp) is not None or is_pairs(tp) or get_origin(tp) is dict


@cache
def keyed_item(tp: Any) -> Any:
    """The dataclass of a ``tuple[X, ...]`` written as a mapping keyed by ``X.name``, or None."""
    args = get_args(tp)
    if get_origin(tp) is tuple and len(args) == 2 and args[1] is Ellipsis and is_section(args[0]):
        return args[0] if any(f.name == "name" for f in dataclasses.fields(args[0])) else None
    return None


@cache
def is_pairs(tp: Any) -> bool:
    args = get_args(tp)
    return get_origin(tp) is tuple and len(args) == 2 and get_origin(args[0]) is tuple


def members(tp: Any) -> tuple[Any, ...]:
    """The alternatives of a union (None left out), or ``(tp,)``, in the order written."""
    # remembered by identity: `int | str` equals `str | int`, and the order is the message's
    known = _MEMBERS.get(id(tp))
    if known is not None and known[0] is tp:
        return known[1]
    if get_origin(tp) in (Union, types.UnionType):
        found = tuple(a for a in get_args(tp) if a is not type(None))
    else:
        found = (tp,)
    if len(_MEMBERS) > 4096:  # the schema's types are a few dozen: this never happens
        _MEMBERS.clear()
    _MEMBERS[id(tp)] = (tp, found)  # holding tp keeps its id from being reused
    return found


_MEMBERS: dict[int, tuple[Any, tuple[Any, ...]]] = {}


@cache
def allows_none(tp: Any) -> bool:
    return get_origin(tp) in (Union, types.UnionType) and type(None) in get_args(tp)


_NUMBER: Mapping[str, Any] = {"number": True}


def item_meta(meta: Mapping[str, Any]) -> Mapping[str, Any]:
    """What a list's items keep of its metadata: ``number`` alone (the rest is the list's)."""
    return _NUMBER if meta.get("number") else {}


def bounds_text(meta: Mapping[str, Any], duration: bool) -> str:
    low, high, why = meta["limits"]

    def show(x: float) -> str:
        return format_duration(x) if duration else f"{x:g}"

    if low is not None and high is not None:
        text = f"from {show(low)} to {show(high)}"
    elif low is not None:
        text = f"at least {show(low)}"
    else:
        text = f"at most {show(high)}"
    return text + (f" ({why})" if why else "")


# -- checking -------------------------------------------------------------------------------


def check(cls: type[T], data: Any, loc: Loc = ()) -> tuple[T | None, list[Problem]]:
    """``cls`` built from ``data``, or None and every problem found."""
    problems: list[Problem] = []
    built = _section(section(cast(Any, cls)), data, loc, problems, None)
    return (None if built is _INVALID else built), problems


def _value(tp: Any, meta: Mapping[str, Any], value: Any, loc: Loc, out: list[Problem]) -> Any:
    if isinstance(value, str) and "shorthand" in meta:
        value = {meta["shorthand"]: value}
    if value is None:
        if allows_none(tp) or tp is Any:
            return None
        out.append(Problem(loc, _expected(members(tp), meta), value))
        return _INVALID
    options = members(tp)
    if len(options) == 1:
        return _one(options[0], meta, value, loc, out, allows_none(tp))
    # the alternatives whose type the value already has are tried first: `pin: "17"` stays
    # text under `int | str`
    ordered = sorted(options, key=lambda t: not _fits(t, meta, value))
    for option in ordered:
        scratch: list[Problem] = []
        built = _one(option, meta, value, loc, scratch, False)
        if built is not _INVALID:
            return built
    containers = [t for t in options if _container_fits(t, value)]
    if len(containers) == 1:  # a list or section with a mistake inside: say where
        return _one(containers[0], meta, value, loc, out, False)
    out.append(Problem(loc, _expected(options, meta), value))
    return _INVALID


def _one(
    tp: Any, meta: Mapping[str, Any], value: Any, loc: Loc, out: list[Problem], nullable: bool
) -> Any:
    if tp is Any:
        return value
    if is_section(tp):
        return _section(section(tp), value, loc, out, None)
    origin = get_origin(tp)
    if origin is Literal:
        return _literal(get_args(tp), value, loc, out)
    if origin is tuple or origin is list or origin is dict:
        return _collection(tp, meta, value, loc, out)
    if tp is float and not meta.get("number"):
        return _duration(meta, value, loc, out, nullable)
    scalar = _SCALARS.get(tp)
    if scalar is None:
        raise TypeError(f"the config checker cannot read {tp!r} at {loc}")
    converted = scalar(value)
    if converted is _INVALID:
        out.append(Problem(loc, _expected([tp], meta), value))
        return _INVALID
    return _limited(converted, meta, value, loc, out, duration=False)


def _section(sec: Section, value: Any, loc: Loc, out: list[Problem], name: str | None) -> Any:
    if not isinstance(value, dict):
        out.append(Problem(loc, _expected([sec.cls], {}), value))
        return _INVALID
    before = len(out)
    kwargs: dict[str, Any] = {} if name is None else {"name": name}
    for k, v in value.items():
        f = sec.by_key.get(k) if isinstance(k, str) else None
        if f is None:
            if isinstance(k, str) and k in sec.keys:  # an x_file the loader left: ignore
                continue
            out.append(Problem((*loc, str(k)), _unknown(str(k), sec.keys)))
            continue
        if f.name in kwargs:
            out.append(Problem((*loc, k), f"`{f.key}` and `{f.name}` are the same key: keep one"))
            continue
        built = _value(f.tp, f.meta, v, (*loc, f.key), out)
        if built is not _INVALID:
            kwargs[f.name] = built
    for f in sec.fields:
        if f.required and f.name not in kwargs and not _reported(out, before, (*loc, f.key)):
            out.append(Problem((*loc, f.key), f"required key `{f.key}` is missing"))
    if len(out) > before:
        return _INVALID
    built = sec.cls(**kwargs)
    mistake: Callable[[], str | None] | None = getattr(built, "mistake", None)
    if mistake is not None and (message := mistake()):
        out.append(Problem(loc, message))
        return _INVALID
    return built


def _reported(out: list[Problem], since: int, loc: Loc) -> bool:
    return any(p.loc[: len(loc)] == loc for p in out[since:])


def _collection(tp: Any, meta: Mapping[str, Any], value: Any, loc: Loc, out: list[Problem]) -> Any:
    origin, args = get_origin(tp), get_args(tp)
    item = keyed_item(tp)
    if is_mapping(tp):
        if not isinstance(value, dict):
            out.append(Problem(loc, _expected([tp], meta), value))
            return _INVALID
        entries: list[Any] = []
        failed = False
        for k, v in value.items():
            here = (*loc, str(k))
            if origin is dict and args[0] is int:  # `channels: {1: 255}`
                number = _int(k)
                if number is _INVALID:
                    out.append(Problem(here, "a key here is a whole number, like 1", k))
                    failed = True
                    continue
                entries.append((number, _value(args[1], {}, v, here, out)))
                failed |= entries[-1][1] is _INVALID
                continue
            if not isinstance(k, str):
                out.append(Problem(here, f"a key here is text: quote it, like '{k}'"))
                failed = True
                continue
            if item is not None:
                built = _section(section(item, keyed=True), v, here, out, k)
            else:
                inner = str if is_pairs(tp) else args[1]
                built = _value(inner, {}, v, here, out)
            failed |= built is _INVALID
            entries.append(built if item is not None else (k, built))
        if failed:
            return _INVALID
        return tuple(entries) if origin is tuple else dict(entries)
    if not isinstance(value, list):
        out.append(Problem(loc, _expected([tp], meta), value))
        return _INVALID
    least = meta.get("min_items")
    if least is not None and len(value) < least:
        wanted = "must not be empty" if least == 1 else f"needs at least {least} items"
        out.append(Problem(loc, wanted))
        return _INVALID
    inner = item_meta(meta)
    items = [_value(args[0], inner, v, (*loc, i), out) for i, v in enumerate(value)]
    if any(x is _INVALID for x in items):
        return _INVALID
    return tuple(items) if origin is tuple else items


def _literal(choices: tuple[Any, ...], value: Any, loc: Loc, out: list[Problem]) -> Any:
    for choice in choices:
        if value == choice and type(value) is type(choice):
            return choice
    words = [str(c) for c in choices]
    hint = suggest(value, words) if isinstance(value, str) else ""
    out.append(Problem(loc, f"expected one of {', '.join(words)}{hint}", value))
    return _INVALID


def _duration(
    meta: Mapping[str, Any], value: Any, loc: Loc, out: list[Problem], nullable: bool
) -> Any:
    try:
        seconds = parse_duration(value)
    except ValueError as exc:
        out.append(Problem(loc, str(exc)))  # it names what was written
        return _INVALID
    if seconds is None:
        if nullable:
            return None
        wanted = "expected a duration like 500ms, 3s, 2m or 1h; it cannot be off here"
        out.append(Problem(loc, wanted, value))
        return _INVALID
    return _limited(seconds, meta, value, loc, out, duration=True)


def _limited(
    number: Any, meta: Mapping[str, Any], written: Any, loc: Loc, out: list[Problem], duration: bool
) -> Any:
    if "limits" in meta and isinstance(number, (int, float)):
        low, high, _ = meta["limits"]
        if (low is not None and number < low) or (high is not None and number > high):
            out.append(Problem(loc, f"must be {bounds_text(meta, duration)}", written))
            return _INVALID
    above = meta.get("above")
    if above is not None and number <= above:
        out.append(Problem(loc, f"must be greater than {above:g}", written))
        return _INVALID
    if "pattern" in meta:
        pattern, help_text = meta["pattern"]
        if not re.fullmatch(pattern, number):  # `$` alone would let a trailing newline through
            out.append(Problem(loc, help_text or f"must match {pattern}", written))
            return _INVALID
    return number


# -- scalars, read the way YAML users write them --------------------------------------------


def _int(value: Any) -> Any:
    if isinstance(value, bool):
        return _INVALID
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _WHOLE.match(value):
        try:
            return int(value)
        except ValueError:  # over 4,300 digits: Python will not read it
            return _INVALID
    return _INVALID


def _float(value: Any) -> Any:
    if isinstance(value, bool):
        return _INVALID
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return _INVALID
    else:
        return _INVALID
    return number if math.isfinite(number) else _INVALID


def _bool(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    return _INVALID


def _str(value: Any) -> Any:
    return value if isinstance(value, str) else _INVALID


_SCALARS: dict[Any, Callable[[Any], Any]] = {int: _int, float: _float, bool: _bool, str: _str}


# -- messages -------------------------------------------------------------------------------


def shape(tp: Any, meta: Mapping[str, Any]) -> str:
    """What a value of ``tp`` looks like, in the words of someone editing YAML."""
    if is_mapping(tp):
        return SECTION
    if get_origin(tp) in (list, tuple):
        return "a list"
    if get_origin(tp) is Literal:
        return "one of " + ", ".join(str(c) for c in get_args(tp))
    if tp is float:
        return "a number" if meta.get("number") else "a duration like 500ms, 3s, 2m or 1h"
    return {int: "a whole number", bool: "true or false", str: "text"}.get(tp, "something else")


def _expected(options: list[Any] | tuple[Any, ...], meta: Mapping[str, Any]) -> str:
    shapes = list(dict.fromkeys(shape(t, meta) for t in options))
    hint = _EXAMPLES.get(shapes[0], "") if len(shapes) == 1 else ""
    return "expected " + " or ".join(shapes) + (f"; {hint}" if hint else "")


def _fits(tp: Any, meta: Mapping[str, Any], value: Any) -> bool:
    """Whether ``value`` already has the type ``tp`` reads (no conversion needed)."""
    if tp is str:
        return isinstance(value, str)
    if tp is bool:
        return isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if tp is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if get_origin(tp) is Literal:
        return any(value == c and type(value) is type(c) for c in get_args(tp))
    return _container_fits(tp, value)


def _container_fits(tp: Any, value: Any) -> bool:
    if is_mapping(tp):
        return isinstance(value, dict)
    return get_origin(tp) in (list, tuple) and isinstance(value, list)


def _unknown(name: str, keys: frozenset[str]) -> str:
    hint = suggest(name, keys)
    listing = f" (allowed: {', '.join(sorted(keys))})" if keys and not hint else ""
    return f"unknown key `{name}`{hint}{listing}"
