"""Rules pinned to viewers, looked up by the viewer who sent the event.

A per-viewer config (a greeting, a sound or a lamp colour for each regular) holds thousands
of rules that each hold for one viewer or a few: ``user: {users: ['@ana']}``, or ``when:``
testing ``user.unique_id``, ``user.id`` or ``user.nickname`` for equality (a plain value,
``eq`` or ``in``). Running each of them on every message costs every message the whole list;
instead the engine keeps them apart, keyed by the values they accept, and runs only those of
the event's viewer. The keys are the values as the rule's own test compares them (text
lowered; handles under ``users:`` without their ``@``), so an index hit is exactly a test
that can pass, and the rule's matcher still runs every check, that one included.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Generic, TypeVar

from livetrigger import events as ev
from livetrigger.rules.model import CompiledRule

# the viewer's fields a rule can pin, by the path ``when:`` writes them with
PINNABLE = {"user.unique_id": "unique_id", "user.id": "id", "user.nickname": "nickname"}

C = TypeVar("C")


def pin(rule: CompiledRule) -> tuple[str, frozenset[Any]] | None:
    """The viewer field ``rule`` requires one of some values of, and those values; None when
    the rule may hold for any viewer."""
    if rule.user is not None and rule.user.users:
        return "unique_id", frozenset(u.lstrip("@").lower() for u in rule.user.users)
    for check in rule.checks:
        field = PINNABLE.get(check.path)
        if field is not None and check.one_of is not None:
            return field, check.one_of
    return None


class ViewerIndex(Generic[C]):
    """Pinned rules (any item type: the engine's candidates) by viewer field and value."""

    __slots__ = ("_tables",)

    def __init__(self, pinned: Iterable[tuple[str, frozenset[Any], C]]) -> None:
        tables: dict[str, dict[Any, list[C]]] = {}
        for field, values, item in pinned:
            table = tables.setdefault(field, {})
            for value in values:
                table.setdefault(value, []).append(item)
        self._tables = tuple(
            (field, {k: tuple(v) for k, v in table.items()}) for field, table in tables.items()
        )

    def __bool__(self) -> bool:
        return bool(self._tables)

    def of(self, user: ev.User) -> list[C]:
        """The items pinned to ``user``, in the order they were given per field."""
        found: list[C] = []
        for field, table in self._tables:
            value = getattr(user, field, None)
            if isinstance(value, str):
                value = value.lower()
            try:
                hit = table.get(value)
            except TypeError:  # an unhashable value equals none of the keys
                continue
            if hit:
                found.extend(hit)
        return found
