"""What the event classes are built from: the enums their fields hold and the base that lets
the decoder hand out an event before reading its fields (livetrigger.events re-exports them)."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any


class FollowRole(enum.IntEnum):
    """Relation of a viewer to the streamer (``FollowInfo.follow_status``)."""

    NONE = 0
    FOLLOWER = 1
    FRIEND = 2


class StreakState(enum.StrEnum):
    """Where a gift event stands in its streak.

    Streakable gifts (``gift.type == 1``, e.g. Rose) arrive as ``start``, then ``progress``
    for each further step, then exactly one ``end`` with the final count. Every other gift
    arrives once as ``single``. ``end`` and ``single`` are *final*: count diamonds on those.
    """

    START = "start"
    PROGRESS = "progress"
    END = "end"
    SINGLE = "single"


class StreamEndReason(enum.StrEnum):
    HOST = "host"  # ControlAction 3: the streamer ended the LIVE
    MODERATOR = "moderator"  # ControlAction 4: suspended by a platform moderator
    LOST = "lost"  # no control message: the socket died and the live check says offline


class _Deferred:
    """Lets the decoder hand out an event before reading its fields out of protobuf.

    Reading a protobuf field from Python costs about as much as parsing it, so the decoder
    parses (and so validates) each message at once but copies its fields into the event only
    when something first reads one: events of a kind no rule looks at cost almost nothing.
    A deferred event is indistinguishable from an eager one; the first attribute read fills
    every field at once, in place (no second event to copy from), after which it is a plain
    frozen dataclass.
    """

    __slots__ = ("_src",)

    if not TYPE_CHECKING:  # keep mypy's attribute checking intact

        def __getattr__(self, name: str) -> Any:
            # only called when a slot is empty: the event has not been filled yet
            try:
                src = object.__getattribute__(self, "_src")
            except AttributeError:
                src = None
            if src is None or name.startswith("__"):
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            fill, args = src
            fill(self, *args)
            SET_SOURCE(self, None)
            return object.__getattribute__(self, name)


# stores into the slot directly, past the classes' frozen __setattr__ (the decoder uses it too)
SET_SOURCE = _Deferred._src.__set__  # type: ignore[attr-defined]
