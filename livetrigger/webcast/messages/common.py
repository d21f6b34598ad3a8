"""What every message decoder shares: its table entry, the decoder state it may use, the ids
every event carries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from google.protobuf.message import Message

from livetrigger.events import Event
from livetrigger.events.kinds import count_method
from livetrigger.webcast._pb import webcast_pb2 as pb
from livetrigger.webcast.users import UserCache

if TYPE_CHECKING:
    from livetrigger.webcast.messages.battles import Battles
    from livetrigger.webcast.messages.gifts import CatalogueGift, GiftStreaks


@dataclass(slots=True)
class DecoderStats:
    """Counters the daemon exposes (``livetrigger status``, Prometheus)."""

    messages: int = 0
    duplicates: int = 0
    unknown: int = 0
    failed: int = 0
    streak_steps_dropped: int = 0
    streaks_timed_out: int = 0
    # unknown messages by method, so the next new message TikTok adds is seen by name
    unknown_by_method: dict[str, int] = field(default_factory=dict)

    def count_unknown(self, method: str) -> None:
        """One more message of a method no decoder knows."""
        self.unknown += 1
        count_method(self.unknown_by_method, method)


class DecodeContext(Protocol):
    """What a message decoder may use of the ``Decoder`` it runs in (one per room)."""

    users: UserCache
    stats: DecoderStats
    gift_catalogue: dict[int, CatalogueGift]
    streaks: GiftStreaks
    battles: Battles


V = TypeVar("V", bound=Message)
E = TypeVar("E", bound=Event)

# fill(ctx, event, view, msg_id, received_at, history) sets the fields of an event made
# beforehand; build(ctx, view, msg_id, received_at, history) makes the event (or None: dropped;
# or a tuple: a message that is two events, like a battle's finish and its result)
Built = Event | tuple[Event, ...] | None
Fill = Callable[[DecodeContext, Any, Any, int, float, bool], None]
Build = Callable[[DecodeContext, Any, int, float, bool], Built]


@dataclass(frozen=True, slots=True)
class MessageDecoder:
    """How one WebCast method becomes an event: the table entry ``registry.MESSAGES`` holds.

    ``event`` is the event class, or a function choosing it from the parsed message; the event
    is then handed out at once and ``decode`` (a ``Fill``) fills it on its first field read.
    ``event`` None makes ``decode`` a ``Build``, run at once: for messages that change decoder
    state (gift streaks) or may be dropped. ``kinds`` are the event kinds the method can become:
    when nothing listens to any of them the message is not parsed; empty means always parsed.
    """

    view: type[Message]
    event: type[Event] | Callable[[Any], type[Event]] | None
    decode: Callable[..., Any]
    kinds: frozenset[str]


def deferred(
    view: type[V],
    event: type[E] | Callable[[V], type[E]],
    fill: Callable[[DecodeContext, E, V, int, float, bool], None],
    *kinds: str,
) -> MessageDecoder:
    """An entry whose event is made at once and filled by ``fill`` on its first field read."""
    return MessageDecoder(view, event, fill, frozenset(kinds))


def eager(
    view: type[V],
    build: Callable[[DecodeContext, V, int, float, bool], Built],
    *kinds: str,
) -> MessageDecoder:
    """An entry whose event ``build`` makes at once (or drops, returning None; or makes
    several, returning a tuple)."""
    return MessageDecoder(view, None, build, frozenset(kinds))


Base = tuple[int, int, int, float, bool]  # room_id, msg_id, create_time, received_at, history


def common_fields(
    common: pb.CommonMessageData | pb.CommonView, msg_id: int, received_at: float, history: bool
) -> dict[str, Any]:
    """The fields every event has, by name, for an event's ``__init__``."""
    room_id, mid, created, at, hist = base(common, msg_id, received_at, history)
    return {
        "room_id": room_id,
        "msg_id": mid,
        "create_time": created,
        "received_at": at,
        "is_history": hist,
    }


def base(
    common: pb.CommonMessageData | pb.CommonView, msg_id: int, received_at: float, history: bool
) -> Base:
    """The fields every event has: the message's own ids, else the envelope's msg_id."""
    return (common.room_id, common.msg_id or msg_id, common.create_time, received_at, history)
