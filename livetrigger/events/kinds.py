"""The event kinds: one frozen, slotted dataclass per kind; ``kind`` is the name rules use in
``on:``. docs/events.md lists every field and a test keeps it in step with these classes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from livetrigger.events.base import (
    BattleParticipant,
    BattleScore,
    Emote,
    Event,
    StreakState,
    StreamEndReason,
    TopViewer,
    User,
)


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
