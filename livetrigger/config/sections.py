"""Pydantic models generated from the settings dataclasses, so the config file, its JSON
Schema and the settings the I/O shells receive can never drift apart.

Rules for the translation: every ``float`` field of a settings class is a duration (``3s``,
``500ms``, a number of seconds); a secret field ``x`` also accepts ``x_file`` (read later by
the loader); a ``tuple`` of named settings becomes a mapping keyed by name (``outputs: {lamp:
{pin: 17}}``); header pairs are a mapping.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from functools import cache
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    create_model,
)

from livetrigger.config.durations import format_duration, parse_duration

SECRET_FIELDS = frozenset({"sign_api_key", "session_id", "password", "secret", "token"})

_DURATION_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "number", "minimum": 0},
        {"type": "string", "pattern": r"^\s*(\d+(\.\d+)?\s*(ms|s|m|h|d)\s*)+$"},
    ],
    "description": "a duration: 500ms, 3s, 2m, 1h (a number is seconds)",
}
Seconds = Annotated[float, BeforeValidator(parse_duration), WithJsonSchema(_DURATION_SCHEMA)]
OptSeconds = Annotated[
    float | None,
    BeforeValidator(parse_duration),
    WithJsonSchema({"anyOf": [*_DURATION_SCHEMA["anyOf"], {"type": "null"}]}),
]

STRICT = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def limited(tp: Any, low: float | None = None, high: float | None = None, why: str = "") -> Any:
    """``tp`` (Seconds, OptSeconds, int, int | None) refusing values outside [low, high]
    with a message that says the bounds and ``why`` (see ``settings.limits``)."""
    seconds = tp in (Seconds, OptSeconds)
    optional = tp is OptSeconds or (
        get_origin(tp) in (Union, types.UnionType) and type(None) in get_args(tp)
    )

    def show(x: float) -> str:
        return format_duration(x) if seconds else f"{x:g}"

    if low is not None and high is not None:
        bounds = f"from {show(low)} to {show(high)}"
    elif low is not None:
        bounds = f"at least {show(low)}"
    else:
        assert high is not None
        bounds = f"at most {show(high)}"
    reason = f" ({why})" if why else ""

    def check(value: Any) -> Any:
        if value is None:
            return value
        if (low is not None and value < low) or (high is not None and value > high):
            raise ValueError(f"must be {bounds}{reason}")
        return value

    number: dict[str, Any] = {"type": "number" if seconds else "integer"}
    if low is not None:
        number["minimum"] = low
    if high is not None:
        number["maximum"] = high
    choices: list[dict[str, Any]] = [number]
    if seconds:
        choices.append(_DURATION_SCHEMA["anyOf"][1])
    if optional:
        choices.append({"type": "null"})
    schema: dict[str, Any] = choices[0] if len(choices) == 1 else {"anyOf": choices}
    schema = {**schema, "description": f"{bounds}{reason}"}
    return Annotated[tp, AfterValidator(check), WithJsonSchema(schema)]


def _is_dataclass_type(tp: object) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def _translate(tp: Any) -> Any:
    """A settings field type → the type the config file accepts for it."""
    if tp is float:
        return Seconds
    origin = get_origin(tp)
    args = get_args(tp)
    if origin in (Union, types.UnionType):
        if set(args) == {float, type(None)}:
            return OptSeconds
        return Union[tuple(_translate(a) for a in args)]  # noqa: UP007 - built at runtime
    if _is_dataclass_type(tp):
        return model_for(tp)
    if origin is tuple and args and args[-1] is Ellipsis:
        item = args[0]
        if _is_dataclass_type(item) and "name" in {f.name for f in dataclasses.fields(item)}:
            return dict[str, model_for(item, keyed=True)]  # type: ignore[misc]
        if get_origin(item) is tuple:  # header pairs
            return dict[str, str]
        return list[_translate(item)]  # type: ignore[misc]
    return tp


@cache
def model_for(cls: type[Any], keyed: bool = False) -> type[BaseModel]:
    """The pydantic model for settings dataclass ``cls`` (``keyed``: its ``name`` is the key
    of the mapping it sits in, so the model leaves it out)."""
    hints = typing.get_type_hints(cls)
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if keyed and f.name == "name":
            continue
        tp = _translate(hints[f.name])
        if "limits" in f.metadata:
            tp = limited(tp, *f.metadata["limits"])
        if f.name in SECRET_FIELDS:
            fields[f.name] = (tp, Field(f.default, repr=False))
        elif f.default is not dataclasses.MISSING:
            default: Any = f.default
            if isinstance(default, tuple):
                default = dict(default) if get_origin(tp) is dict else list(default)
            fields[f.name] = (tp, default)
        elif f.default_factory is not dataclasses.MISSING:
            fields[f.name] = (tp, Field(default_factory=lambda t=tp: _empty(t)))
        else:
            fields[f.name] = (tp, ...)
        if f.name in SECRET_FIELDS:
            fields[f"{f.name}_file"] = (
                str | None,
                Field(None, description=f"read {f.name} from this file (mode 0600 or 0400)"),
            )
    return create_model(cls.__name__ + "Config", __config__=STRICT, **fields)


def _empty(tp: Any) -> Any:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp()
    origin = get_origin(tp)
    return origin() if origin in (dict, list) else None


def to_settings(cls: type[Any], model: BaseModel | None, *, name: str | None = None) -> Any:
    """Build settings dataclass ``cls`` from its validated model (secrets already resolved
    into the model by the loader)."""
    if model is None:
        return cls() if name is None else cls(name=name)
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {} if name is None else {"name": name}
    for f in dataclasses.fields(cls):
        if f.name == "name" and name is not None:
            continue
        kwargs[f.name] = _back(hints[f.name], getattr(model, f.name))
    return cls(**kwargs)


def _back(tp: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = get_origin(tp)
    args = get_args(tp)
    if origin in (Union, types.UnionType):
        for a in args:
            if _is_dataclass_type(a) and isinstance(value, BaseModel):
                return to_settings(a, value)
        return value
    if _is_dataclass_type(tp):
        return to_settings(tp, value)
    if origin is tuple and args and args[-1] is Ellipsis:
        item = args[0]
        if isinstance(value, dict):
            if _is_dataclass_type(item):
                return tuple(to_settings(item, v, name=k) for k, v in value.items())
            return tuple((str(k), str(v)) for k, v in value.items())
        return tuple(value)
    return value


__all__ = [
    "SECRET_FIELDS",
    "STRICT",
    "Literal",
    "OptSeconds",
    "Seconds",
    "limited",
    "model_for",
    "to_settings",
]
