"""What the modules scripts/gen-dataclasses writes need at run time to be dataclasses.

``dataclasses.fields()``, ``replace()``, ``asdict()`` and ``is_dataclass()`` read a class's
``__dataclass_fields__``; a written-out class carries the same ``Field`` objects ``@dataclass``
would have made. Two names here are private to the dataclasses module (the field-kind markers
and the parameters record): they have not changed since Python 3.7, and
tests/unit/test_generated_dataclasses.py compares every generated class with the
``@dataclass`` one on the Python it runs on, so a change would fail there first.
"""

from __future__ import annotations

import dataclasses
from typing import Any

_MISSING: Any = dataclasses.MISSING
_FIELD = dataclasses._FIELD  # type: ignore[attr-defined]
_CLASSVAR = dataclasses._FIELD_CLASSVAR  # type: ignore[attr-defined]

# the default an __init__ parameter shows when a factory makes the value, as @dataclass's does
FACTORY: Any = dataclasses._HAS_DEFAULT_FACTORY  # type: ignore[attr-defined]

_params_made: dict[tuple[tuple[str, bool], ...], Any] = {}


def field(name: str, type: str, **options: Any) -> dataclasses.Field[Any]:
    """The ``Field`` @dataclass makes for an annotated attribute (``options`` as ``field()``)."""
    made: dataclasses.Field[Any] = dataclasses.field(**options)
    made.name = name
    made.type = type
    made._field_type = _FIELD  # type: ignore[attr-defined]
    return made


def classvar(name: str, type: str, default: Any = _MISSING) -> dataclasses.Field[Any]:
    """The pseudo-field @dataclass records for a ``ClassVar`` (``fields()`` leaves it out)."""
    made: dataclasses.Field[Any] = dataclasses.field(default=default)
    made.name = name
    made.type = type
    made._field_type = _CLASSVAR  # type: ignore[attr-defined]
    return made


def params(**options: bool) -> Any:
    """The ``__dataclass_params__`` record of ``@dataclass(**options)``: one per set of options.

    The record's constructor grew arguments over Python versions (``kw_only``, ``slots``, ...
    since 3.12), so it gets those of ``options`` and of its defaults that it takes.
    """
    key = tuple(sorted(options.items()))
    made = _params_made.get(key)
    if made is None:
        record = dataclasses._DataclassParams  # type: ignore[attr-defined]
        code = record.__init__.__code__
        takes = code.co_varnames[1 : code.co_argcount + code.co_kwonlyargcount]
        given = {**_DEFAULT_OPTIONS, **options}
        made = _params_made[key] = record(**{name: given[name] for name in takes})
    return made


_DEFAULT_OPTIONS = {
    "init": True,
    "repr": True,
    "eq": True,
    "order": False,
    "unsafe_hash": False,
    "frozen": False,
    "match_args": True,
    "kw_only": False,
    "slots": False,
    "weakref_slot": False,
}


def _frozen_owner(self: Any, method: str, name: str) -> type[Any] | None:
    """The class past which ``method`` is looked up when ``name`` may be changed, else None.

    As @dataclass's own: an instance of a frozen class changes nothing; an instance of a
    subclass that is not a dataclass may set attributes other than the fields. Every frozen
    class in the hierarchy shares this function, so one check stands for all of theirs (a
    subclass's fields include its bases').
    """
    cls = type(self)
    owners = [c for c in cls.__mro__ if c.__dict__.get(method) is _FROZEN[method]]
    if cls is owners[0] or name in [f.name for f in dataclasses.fields(owners[0])]:
        return None
    return owners[-1]


def frozen_setattr(self: Any, name: str, value: Any) -> None:
    owner = _frozen_owner(self, "__setattr__", name)
    if owner is None:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
    super(owner, self).__setattr__(name, value)


def frozen_delattr(self: Any, name: str) -> None:
    owner = _frozen_owner(self, "__delattr__", name)
    if owner is None:
        raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
    super(owner, self).__delattr__(name)


_FROZEN = {"__setattr__": frozen_setattr, "__delattr__": frozen_delattr}


def getstate(self: Any) -> list[Any]:
    """Pickling of a frozen slotted dataclass: its field values in order."""
    return [getattr(self, f.name) for f in dataclasses.fields(self)]


def setstate(self: Any, state: list[Any]) -> None:
    for f, value in zip(dataclasses.fields(self), state, strict=False):
        object.__setattr__(self, f.name, value)  # frozen: past the class's own __setattr__


def replace(self: Any, /, **changes: Any) -> Any:
    """``copy.replace(obj, ...)`` (Python 3.13) on a dataclass: ``dataclasses.replace``."""
    return dataclasses.replace(self, **changes)
