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
from typing import Any, TypeVar

from livetrigger.events.base import (
    ANONYMOUS,
    SET_SOURCE,
    BattleParticipant,
    BattleScore,
    Emote,
    Event,
    FollowRole,
    PollOption,
    RankEntry,
    StreakState,
    StreamEndReason,
    TopViewer,
    User,
)
from livetrigger.events.kinds import (
    AccessControlEvent,
    AccessRecallEvent,
    BarrageEvent,
    BattleEndedEvent,
    BattleEvent,
    BattleItemCardEvent,
    BattleNoticeEvent,
    BattlePointsEvent,
    BattlePunishEndedEvent,
    BattleTaskEvent,
    BoostCardEvent,
    BottomMessageEvent,
    CapsuleEvent,
    CaptionEvent,
    ChatEvent,
    ConnectedEvent,
    DisconnectedEvent,
    EmoteEvent,
    EnvelopeEvent,
    FollowEvent,
    GameRankEvent,
    GiftBroadcastEvent,
    GiftEvent,
    GiftPanelUpdateEvent,
    GiftPromptEvent,
    GiftRestrictionEvent,
    GoalEvent,
    GuestJoinedEvent,
    GuestLeftEvent,
    GuideEvent,
    HashtagEvent,
    InRoomBannerEvent,
    JoinEvent,
    LikeEvent,
    LinkEvent,
    LinkLayerEvent,
    LinkMicEvent,
    LinkMicFanTicketEvent,
    LinkMicLayoutEvent,
    LinkStateEvent,
    LiveGameIntroEvent,
    LiveIntroEvent,
    LiveStartedEvent,
    MarqueeEvent,
    MessageDeletedEvent,
    MessageDetectEvent,
    NoticeEvent,
    PartnershipDropsEvent,
    PartnershipGameOfflineEvent,
    PartnershipPunishEvent,
    PerceptionEvent,
    PinnedEvent,
    PollEvent,
    QuestionEvent,
    RankEvent,
    RankRewardEvent,
    RankTextEvent,
    RoomMessageEvent,
    RoomNotifyEvent,
    RoomVerifyEvent,
    ShareEvent,
    ShoppingEvent,
    SocialEvent,
    SpeakerEvent,
    StreamEndedEvent,
    StreamPausedEvent,
    StreamResumedEvent,
    SubPinEvent,
    SubscribeEvent,
    SystemEvent,
    ToastEvent,
    UnauthorizedMemberEvent,
    UnknownEvent,
    ViewerCountEvent,
    ViewerPicksEvent,
    WaitingForLiveEvent,
)

_E = TypeVar("_E", bound="Event")


def deferred(cls: type[_E], fill: Callable[..., None], *args: Any) -> _E:
    """An event of ``cls`` whose fields ``fill(event, *args)`` sets when one is first read
    (typically by calling ``cls.__init__(event, ...)``; livetrigger.events.base says why)."""
    event = object.__new__(cls)
    object.__setattr__(event, "_src", (fill, args))
    return event


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
    BattleEndedEvent,
    BattleTaskEvent,
    BattlePunishEndedEvent,
    BattleNoticeEvent,
    BattleItemCardEvent,
    RankEvent,
    RankTextEvent,
    RankRewardEvent,
    GameRankEvent,
    GoalEvent,
    MessageDeletedEvent,
    PinnedEvent,
    PollEvent,
    GiftBroadcastEvent,
    HashtagEvent,
    GuestJoinedEvent,
    GuestLeftEvent,
    LinkEvent,
    LinkLayerEvent,
    LinkMicEvent,
    LinkMicFanTicketEvent,
    LinkMicLayoutEvent,
    LinkStateEvent,
    UnauthorizedMemberEvent,
    CaptionEvent,
    InRoomBannerEvent,
    ShoppingEvent,
    MessageDetectEvent,
    RoomVerifyEvent,
    SystemEvent,
    NoticeEvent,
    ToastEvent,
    GuideEvent,
    BottomMessageEvent,
    CapsuleEvent,
    BoostCardEvent,
    AccessControlEvent,
    AccessRecallEvent,
    GiftRestrictionEvent,
    GiftPanelUpdateEvent,
    GiftPromptEvent,
    LiveGameIntroEvent,
    MarqueeEvent,
    PartnershipDropsEvent,
    PartnershipGameOfflineEvent,
    PartnershipPunishEvent,
    PerceptionEvent,
    RoomNotifyEvent,
    SpeakerEvent,
    SubPinEvent,
    ViewerPicksEvent,
    UnknownEvent,
    WaitingForLiveEvent,
    LiveStartedEvent,
    ConnectedEvent,
    DisconnectedEvent,
)

EVENT_KINDS: Mapping[str, type[Event]] = {cls.kind: cls for cls in EVENT_TYPES}


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
    "SET_SOURCE",
    "AccessControlEvent",
    "AccessRecallEvent",
    "BarrageEvent",
    "BattleEndedEvent",
    "BattleEvent",
    "BattleItemCardEvent",
    "BattleNoticeEvent",
    "BattleParticipant",
    "BattlePointsEvent",
    "BattlePunishEndedEvent",
    "BattleScore",
    "BattleTaskEvent",
    "BoostCardEvent",
    "BottomMessageEvent",
    "CapsuleEvent",
    "CaptionEvent",
    "ChatEvent",
    "ConnectedEvent",
    "DisconnectedEvent",
    "Emote",
    "EmoteEvent",
    "EnvelopeEvent",
    "Event",
    "FollowEvent",
    "FollowRole",
    "GameRankEvent",
    "GiftBroadcastEvent",
    "GiftEvent",
    "GiftPanelUpdateEvent",
    "GiftPromptEvent",
    "GiftRestrictionEvent",
    "GoalEvent",
    "GuestJoinedEvent",
    "GuestLeftEvent",
    "GuideEvent",
    "HashtagEvent",
    "InRoomBannerEvent",
    "JoinEvent",
    "LikeEvent",
    "LinkEvent",
    "LinkLayerEvent",
    "LinkMicEvent",
    "LinkMicFanTicketEvent",
    "LinkMicLayoutEvent",
    "LinkStateEvent",
    "LiveGameIntroEvent",
    "LiveIntroEvent",
    "LiveStartedEvent",
    "MarqueeEvent",
    "MessageDeletedEvent",
    "MessageDetectEvent",
    "NoticeEvent",
    "PartnershipDropsEvent",
    "PartnershipGameOfflineEvent",
    "PartnershipPunishEvent",
    "PerceptionEvent",
    "PinnedEvent",
    "PollEvent",
    "PollOption",
    "QuestionEvent",
    "RankEntry",
    "RankEvent",
    "RankRewardEvent",
    "RankTextEvent",
    "RoomMessageEvent",
    "RoomNotifyEvent",
    "RoomVerifyEvent",
    "ShareEvent",
    "ShoppingEvent",
    "SocialEvent",
    "SpeakerEvent",
    "StreakState",
    "StreamEndReason",
    "StreamEndedEvent",
    "StreamPausedEvent",
    "StreamResumedEvent",
    "SubPinEvent",
    "SubscribeEvent",
    "SystemEvent",
    "ToastEvent",
    "TopViewer",
    "UnauthorizedMemberEvent",
    "UnknownEvent",
    "User",
    "ViewerCountEvent",
    "ViewerPicksEvent",
    "WaitingForLiveEvent",
    "deferred",
    "event_to_dict",
]
