"""The parts every event is built from: the viewer, the enums fields hold, the ``Event`` base
and the deferred filling that lets the decoder hand out an event before reading its fields.

Times: ``create_time`` is the server's epoch milliseconds (0 when TikTok did not say);
``received_at`` is our wall clock in epoch seconds when the websocket message arrived.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar


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


@dataclass(frozen=True, slots=True, kw_only=True)
class User:
    """A viewer, sender or host as far as the message tells.

    ``follow_role``, ``is_moderator``, ``is_subscriber``, ``top_gifter_rank``,
    ``gifter_level`` and ``fan_club_level`` are derived from the user's badges and, when the
    message carries it, the more direct ``UserIdentity`` block.
    """

    id: int = 0
    unique_id: str = ""
    nickname: str = ""
    avatar_url: str = ""
    follow_role: FollowRole = FollowRole.NONE
    is_moderator: bool = False
    is_subscriber: bool = False
    is_new_gifter: bool = False
    top_gifter_rank: int | None = None
    gifter_level: int = 0
    fan_club_level: int = 0
    verified: bool = False

    @property
    def is_follower(self) -> bool:
        return self.follow_role >= FollowRole.FOLLOWER

    @property
    def is_friend(self) -> bool:
        return self.follow_role >= FollowRole.FRIEND


ANONYMOUS = User()


@dataclass(frozen=True, slots=True, kw_only=True)
class Emote:
    emote_id: str
    image_url: str = ""
    index: int | None = None  # position in the comment text, for chat emotes


@dataclass(frozen=True, slots=True, kw_only=True)
class TopViewer:
    user: User
    coins: int
    rank: int


@dataclass(frozen=True, slots=True, kw_only=True)
class BattleParticipant:
    user_id: int
    unique_id: str
    nickname: str
    room_id: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class BattleScore:
    host_id: int
    points: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RankEntry:
    """One ranking the room is on (or just missed): its type and the room's place."""

    rank_type: str  # hourly, weekly, daily, rookie, ... (rank_<n> when new)
    rank: int  # 0: not on it
    score: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class PollOption:
    text: str
    votes: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Event(_Deferred):
    """Fields every event has. ``kind`` is the name rules use in ``on:``."""

    kind: ClassVar[str] = "event"

    room_id: int = 0
    msg_id: int = 0
    create_time: int = 0
    received_at: float = 0.0
    user: User = ANONYMOUS
    is_history: bool = False  # part of the initial batch of recent messages
