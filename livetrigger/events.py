"""The typed events that flow from the decoder to the rules engine.

Every event is a frozen, slotted dataclass with no protobuf types inside. Field names here are
the names rules and templates use (``gift.diamonds``, ``user.unique_id``); docs/events.md lists
them all and a test keeps that document and this module in step.

Times: ``create_time`` is the server's epoch milliseconds (0 when TikTok did not say);
``received_at`` is our wall clock in epoch seconds when the websocket message arrived.
"""

from __future__ import annotations

import base64
import dataclasses
import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar


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
            _SET_SRC(self, None)
            return object.__getattribute__(self, name)


_SET_SRC = _Deferred._src.__set__  # type: ignore[attr-defined]  # the slot, past frozen setattr
_E = TypeVar("_E", bound="Event")


def deferred(cls: type[_E], fill: Callable[..., None], *args: Any) -> _E:
    """An event of ``cls`` whose fields ``fill(event, *args)`` sets when one is first read
    (typically by calling ``cls.__init__(event, ...)``)."""
    event = object.__new__(cls)
    object.__setattr__(event, "_src", (fill, args))
    return event


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


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatEvent(Event):
    kind: ClassVar[str] = "chat"
    text: str = ""
    mentions: tuple[User, ...] = ()
    emotes: tuple[Emote, ...] = ()
    language: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class GiftEvent(Event):
    kind: ClassVar[str] = "gift"
    gift_id: int = 0
    gift_name: str = ""
    diamonds: int = 0  # per unit
    repeat_count: int = 1
    streak_id: int = 0  # TikTok's group_id: one id per streak
    streak: StreakState = StreakState.SINGLE
    streakable: bool = False
    # the end frame never came: the streak ended after streak_timeout without a new step
    streak_timed_out: bool = False
    total_diamonds: int = 0  # diamonds * repeat_count so far
    image_url: str = ""
    to_user: User | None = None  # receiver in multi-guest rooms

    @property
    def is_final(self) -> bool:
        return self.streak in (StreakState.END, StreakState.SINGLE)


@dataclass(frozen=True, slots=True, kw_only=True)
class LikeEvent(Event):
    kind: ClassVar[str] = "like"
    count: int = 0  # likes in this batch
    total: int = 0  # room total so far


@dataclass(frozen=True, slots=True, kw_only=True)
class JoinEvent(Event):
    kind: ClassVar[str] = "join"
    viewers: int = 0  # member_count as TikTok reports it with the join


@dataclass(frozen=True, slots=True, kw_only=True)
class FollowEvent(Event):
    kind: ClassVar[str] = "follow"
    follow_count: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class ShareEvent(Event):
    kind: ClassVar[str] = "share"
    share_target: str = ""
    share_count: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class SocialEvent(Event):
    """A social message that is neither a follow nor a share."""

    kind: ClassVar[str] = "social"
    display_key: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class SubscribeEvent(Event):
    kind: ClassVar[str] = "subscribe"
    sub_month: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class ViewerCountEvent(Event):
    kind: ClassVar[str] = "viewers"
    viewers: int = 0  # current viewers
    total_viewers: int = 0  # cumulative, as TikTok counts it (uncertain semantics)
    top_viewers: tuple[TopViewer, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class QuestionEvent(Event):
    kind: ClassVar[str] = "question"
    question_id: int = 0
    text: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class BattleEvent(Event):
    """A link-mic battle changed state (``action``: started, finished, ...)."""

    kind: ClassVar[str] = "battle"
    battle_id: int = 0
    action: str = ""
    duration: int = 0  # seconds, when known
    participants: tuple[BattleParticipant, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class BattlePointsEvent(Event):
    kind: ClassVar[str] = "battle_points"
    battle_id: int = 0
    reason: str = ""  # score_update, battle_end, ...
    scores: tuple[BattleScore, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class EmoteEvent(Event):
    kind: ClassVar[str] = "emote"
    emotes: tuple[Emote, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class EnvelopeEvent(Event):
    """A treasure chest; ``super_fan_box`` marks the super-fan variant."""

    kind: ClassVar[str] = "envelope"
    envelope_id: str = ""
    diamonds: int = 0
    people: int = 0
    sender_name: str = ""
    super_fan_box: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveIntroEvent(Event):
    kind: ClassVar[str] = "live_intro"
    text: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class RoomMessageEvent(Event):
    kind: ClassVar[str] = "room_message"
    text: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class BarrageEvent(Event):
    """A banner message; ``super_fan`` / ``super_fan_joined`` come from its display key."""

    kind: ClassVar[str] = "barrage"
    display_key: str = ""
    text: str = ""
    super_fan: bool = False
    super_fan_joined: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamPausedEvent(Event):
    kind: ClassVar[str] = "stream_paused"


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamResumedEvent(Event):
    kind: ClassVar[str] = "stream_resumed"


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamEndedEvent(Event):
    kind: ClassVar[str] = "stream_ended"
    reason: StreamEndReason = StreamEndReason.HOST


@dataclass(frozen=True, slots=True, kw_only=True)
class UnknownEvent(Event):
    """A message whose method we do not decode (or could not): counted, never an error."""

    kind: ClassVar[str] = "unknown"
    method: str = ""
    payload: bytes = b""
    error: str = ""  # why decoding failed, when it did


# -- lifecycle events: produced by the connection scheduler, not by the decoder ------------


@dataclass(frozen=True, slots=True, kw_only=True)
class WaitingForLiveEvent(Event):
    kind: ClassVar[str] = "waiting"
    unique_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveStartedEvent(Event):
    kind: ClassVar[str] = "live"
    unique_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectedEvent(Event):
    kind: ClassVar[str] = "connected"
    unique_id: str = ""
    title: str = ""
    viewers: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class DisconnectedEvent(Event):
    kind: ClassVar[str] = "disconnected"
    reason: str = ""
    will_reconnect: bool = True


def _generate(cls: type, name: str, source: str, env: dict[str, Any]) -> Any:
    namespace: dict[str, Any] = dict(env)
    exec(compile(source, f"<livetrigger.events {cls.__name__}.{name}>", "exec"), namespace)
    return namespace[name]


def _speed_up(cls: type) -> None:
    """Give a frozen, slotted dataclass a faster ``__init__`` (deferred events fill through it).

    The ``__init__`` that ``dataclass(frozen=True)`` writes stores each field through
    ``object.__setattr__`` (a global, an attribute lookup and a generic call per field); the
    slot descriptors' own ``__set__`` does the same store in about a third of the time. Same
    keyword-only signature and defaults; an event is built for every message, so it shows.
    """
    fields = dataclasses.fields(cls)
    env: dict[str, Any] = {}
    params, body = [], []
    for f in fields:
        env[f"set_{f.name}"] = getattr(cls, f.name).__set__
        assert f.default_factory is dataclasses.MISSING, f"{cls.__name__}.{f.name}"
        if f.default is dataclasses.MISSING:
            params.append(f.name)  # required, as in the dataclass's own __init__
        else:
            env[f"default_{f.name}"] = f.default
            params.append(f"{f.name}=default_{f.name}")
        body.append(f"    set_{f.name}(self, {f.name})")
    init = _generate(
        cls,
        "__init__",
        f"def __init__(self, *, {', '.join(params)}):\n" + "\n".join(body or ["    pass"]),
        env,
    )
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__doc__ = cls.__dict__["__init__"].__doc__
    type.__setattr__(cls, "__init__", init)


EVENT_TYPES: tuple[type[Event], ...] = (
    ChatEvent,
    GiftEvent,
    LikeEvent,
    JoinEvent,
    FollowEvent,
    ShareEvent,
    SocialEvent,
    SubscribeEvent,
    ViewerCountEvent,
    QuestionEvent,
    BattleEvent,
    BattlePointsEvent,
    EmoteEvent,
    EnvelopeEvent,
    LiveIntroEvent,
    RoomMessageEvent,
    BarrageEvent,
    StreamPausedEvent,
    StreamResumedEvent,
    StreamEndedEvent,
    UnknownEvent,
    WaitingForLiveEvent,
    LiveStartedEvent,
    ConnectedEvent,
    DisconnectedEvent,
)

EVENT_KINDS: Mapping[str, type[Event]] = {cls.kind: cls for cls in EVENT_TYPES}

for _cls in (*EVENT_TYPES, User, Emote, TopViewer, BattleParticipant, BattleScore):
    _speed_up(_cls)


def _plain(value: Any) -> Any:
    if isinstance(value, enum.IntEnum):
        return value.name.lower()  # follow_role: "none" / "follower" / "friend"
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def event_to_dict(event: Event, *, include_payload: bool = False) -> dict[str, Any]:
    """A JSON-ready dict: ``{"kind": ..., <every field>}`` with the names of docs/events.md.

    Bytes are base64; enums are their values. ``payload`` of unknown events is left out unless
    ``include_payload`` (it can be large).
    """
    out: dict[str, Any] = {"kind": event.kind}
    for f in dataclasses.fields(event):
        if f.name == "payload" and not include_payload:
            continue
        out[f.name] = _plain(getattr(event, f.name))
    if isinstance(event, GiftEvent):
        out["is_final"] = event.is_final
    return out


__all__ = [
    "ANONYMOUS",
    "EVENT_KINDS",
    "EVENT_TYPES",
    "BarrageEvent",
    "BattleEvent",
    "BattleParticipant",
    "BattlePointsEvent",
    "BattleScore",
    "ChatEvent",
    "ConnectedEvent",
    "DisconnectedEvent",
    "Emote",
    "EmoteEvent",
    "EnvelopeEvent",
    "Event",
    "FollowEvent",
    "FollowRole",
    "GiftEvent",
    "JoinEvent",
    "LikeEvent",
    "LiveIntroEvent",
    "LiveStartedEvent",
    "QuestionEvent",
    "RoomMessageEvent",
    "ShareEvent",
    "SocialEvent",
    "StreakState",
    "StreamEndReason",
    "StreamEndedEvent",
    "StreamPausedEvent",
    "StreamResumedEvent",
    "SubscribeEvent",
    "TopViewer",
    "UnknownEvent",
    "User",
    "ViewerCountEvent",
    "WaitingForLiveEvent",
    "deferred",
    "event_to_dict",
]
