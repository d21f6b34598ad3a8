"""What rules can read from an event: field names per kind, getters for dotted paths, and
what is wrong with a path that does not exist."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable
from typing import Any

from livetrigger import events as ev
from livetrigger.text.suggest import suggest

KINDS: dict[str, type[ev.Event]] = {cls.kind: cls for cls in ev.EVENT_KINDS.values()}
USER_FIELDS = frozenset(
    [f.name for f in dataclasses.fields(ev.User)] + ["is_follower", "is_friend"]
)
BASE_FIELDS = frozenset(f.name for f in dataclasses.fields(ev.Event))
_PROPERTIES: dict[type[ev.Event], tuple[str, ...]] = {ev.GiftEvent: ("is_final",)}
# nested values that are User records, so `to_user.nickname` resolves like `user.nickname`
_USER_VALUED = frozenset({"user", "to_user"})


@functools.cache  # asked for every rule and every name it reads
def fields_of(kind: str) -> frozenset[str]:
    cls = KINDS[kind]
    return frozenset([f.name for f in dataclasses.fields(cls)] + list(_PROPERTIES.get(cls, ())))


def fields_of_kinds(kinds: Iterable[str]) -> frozenset[str]:
    out: set[str] = set()
    for k in kinds:
        out |= fields_of(k)
    return frozenset(out)


def check_path(path: str, kinds: Iterable[str], extra: Iterable[str] = ()) -> str | None:
    """None when ``path`` (``diamonds``, ``user.gifter_level``, ``args.state``) exists for
    at least one of ``kinds``; otherwise the problem, with a suggestion."""
    kinds = list(kinds)
    names = fields_of_kinds(kinds) | set(extra)
    head, _, rest = path.partition(".")
    if head not in names:
        if set(kinds) >= KINDS.keys():  # `on:` itself is wrong: no list of every field
            return f"unknown field `{head}` for any event{suggest(head, names)}"
        listing = ", ".join(sorted(names - BASE_FIELDS - set(extra))) or "(none)"
        return (
            f"unknown field `{head}` for {'/'.join(kinds)} events{suggest(head, names)}"
            f" (fields: {listing}; every event also has user, room_id, msg_id, ...)"
        )
    if rest and head in _USER_VALUED:
        attr = rest.split(".")[0]
        if attr not in USER_FIELDS:
            return f"unknown user field `{attr}`{suggest(attr, USER_FIELDS)}"
    return None


def getter(path: str) -> Callable[[Any], Any]:
    """A fast getter for a dotted path; a missing attribute anywhere gives None."""
    parts = path.split(".")
    if len(parts) == 1:
        name = parts[0]
        return lambda obj: getattr(obj, name, None)

    def get(obj: Any) -> Any:
        for part in parts:
            if obj is None:
                return None
            obj = obj.get(part) if isinstance(obj, dict) else getattr(obj, part, None)
        return obj

    return get
