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
    PollOption,
    RankEntry,
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
    points: int = 0  # this room's score (0 until the battle's start said which host is ours)
    rival_points: int = 0  # the best other host's score


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


UNKNOWN_METHODS_KEPT = 64
UNKNOWN_METHOD_CHARS = 80
UNKNOWN_OTHERS = "(others)"


def count_method(by: dict[str, int], method: str) -> None:
    """Count one unknown message under its method name, so the next message TikTok adds is
    seen by name. Names come off the wire: at most 64 are kept (the rest count as
    ``(others)``), each cut to 80 characters."""
    name = method[:UNKNOWN_METHOD_CHARS]
    if name not in by and len(by) >= UNKNOWN_METHODS_KEPT:
        name = UNKNOWN_OTHERS
    by[name] = by.get(name, 0) + 1


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


# -- issue 27: the rest of what TikTok sends ------------------------------------------------
# "This room" below is the room the event came from: in a battle, the host whose room it is.


@dataclass(frozen=True, slots=True, kw_only=True)
class BattleEndedEvent(Event):
    """A battle's result for this room (sent once per battle, besides ``battle``)."""

    kind: ClassVar[str] = "battle_ended"
    battle_id: int = 0
    result: str = ""  # won, lost, draw; "" when this room's side is unknown
    points: int = 0  # this room's final score
    rival_points: int = 0  # the best other side's final score
    winner_id: int = 0  # host user id of the winner (0: draw or unknown)
    scores: tuple[BattleScore, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class BattleTaskEvent(Event):
    """A battle task (speed challenge, bonus): its start, progress, result and reward."""

    kind: ClassVar[str] = "battle_task"
    battle_id: int = 0
    stage: str = ""  # start, update, settle, reward
    progress: int = 0
    prompt_key: str = ""  # TikTok's text key, e.g. pm_mt_match_speedchallenge


@dataclass(frozen=True, slots=True, kw_only=True)
class BattlePunishEndedEvent(Event):
    """The punishment time after a battle ended."""

    kind: ClassVar[str] = "battle_punish_ended"
    battle_id: int = 0
    reason: str = ""  # time_up, cut_short
    channel_id: int = 0
    operator_id: int = 0  # who cut it short


@dataclass(frozen=True, slots=True, kw_only=True)
class BattleNoticeEvent(Event):
    kind: ClassVar[str] = "battle_notice"
    notice_type: int = 0
    text: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class BattleItemCardEvent(Event):
    """A battle power-up card (critical strike, extra time, ...) obtained or used."""

    kind: ClassVar[str] = "battle_item_card"
    battle_id: int = 0
    card: str = ""  # critical_strike, smoke, extra_time, ...; obtain_guide, award_notice


@dataclass(frozen=True, slots=True, kw_only=True)
class RankEvent(Event):
    """This room's place on TikTok's hourly / weekly / ... rankings changed."""

    kind: ClassVar[str] = "rank"
    rank_type: str = ""  # of the first ranking listed: hourly, weekly, ...
    rank: int = 0  # this room's place on it (1 = top; 0 = not on it)
    score: int = 0
    on_rank: bool = False
    text: str = ""
    ranks: tuple[RankEntry, ...] = ()  # every ranking the message lists


@dataclass(frozen=True, slots=True, kw_only=True)
class RankTextEvent(Event):
    """A ranking line in the chat: "{user} just became a top 3 viewer!"."""

    kind: ClassVar[str] = "rank_text"
    rank: int = 0  # the place the text names, when it names one
    scene: int = 0
    display_key: str = ""
    text: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class RankRewardEvent(Event):
    """Hourly ranking rewards handed out."""

    kind: ClassVar[str] = "rank_reward"
    winner_ids: tuple[int, ...] = ()
    text: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class GameRankEvent(Event):
    kind: ClassVar[str] = "game_rank"
    notify_type: int = 0
    text: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class GoalEvent(Event):
    """The LIVE goal moved; ``user`` is the viewer who contributed, when one did."""

    kind: ClassVar[str] = "goal"
    goal_id: int = 0
    description: str = ""
    current: int = 0  # summed over the goal's parts
    target: int = 0
    progress: int = 0  # percent of the target, 100 when reached (may pass 100)
    reached: bool = False
    source: str = ""  # commit, progress_update, pin, unpin, suspend, ...
    contribute_count: int = 0
    contribute_score: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageDeletedEvent(Event):
    """A moderator (or TikTok) removed chat messages, or every message of a viewer."""

    kind: ClassVar[str] = "message_deleted"
    deleted_msg_id: int = 0  # the first of deleted_msg_ids (0: none named)
    deleted_user_id: int = 0  # the first of deleted_user_ids: whose messages went
    deleted_msg_ids: tuple[int, ...] = ()
    deleted_user_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class PinnedEvent(Event):
    """A message was pinned or unpinned; ``user`` is who did it."""

    kind: ClassVar[str] = "pinned"
    action: str = ""  # pin, unpin
    method: str = ""  # what was pinned: WebcastChatMessage, ...
    text: str = ""  # the pinned comment
    author: User | None = None  # who wrote it
    pinned_msg_id: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class PollEvent(Event):
    """A poll started, got votes or ended; ``user`` is who ran it, when said."""

    kind: ClassVar[str] = "poll"
    stage: str = ""  # start, update, end
    poll_id: int = 0
    title: str = ""
    options: tuple[PollOption, ...] = ()
    total_votes: int = 0
    winner: str = ""  # text of the option with the most votes ("" on a tie or none)
    end_reason: str = ""  # on end: time, owner, other, admin


@dataclass(frozen=True, slots=True, kw_only=True)
class GiftBroadcastEvent(Event):
    """A platform-wide announcement of a big gift (``user`` sent it to ``to_user``)."""

    kind: ClassVar[str] = "gift_broadcast"
    gift_id: int = 0
    gift_name: str = ""
    to_user: User | None = None
    display_key: str = ""
    text: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class HashtagEvent(Event):
    """The LIVE's topic (hashtag) was set."""

    kind: ClassVar[str] = "hashtag"
    hashtag_id: int = 0
    title: str = ""
    image_url: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class GuestJoinedEvent(Event):
    """A guest joined the LIVE (multi-guest / link-mic); ``user`` is the first guest."""

    kind: ClassVar[str] = "guest_joined"
    channel_id: int = 0
    guests: tuple[User, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class GuestLeftEvent(Event):
    kind: ClassVar[str] = "guest_left"
    channel_id: int = 0
    guest_id: int = 0
    reason: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkEvent(Event):
    """Another multi-guest step (invite, reply, close, list change, ...)."""

    kind: ClassVar[str] = "link"
    action: str = ""  # create, close, invite, apply, reply, permit, kick_out, ...
    channel_id: int = 0
    scene: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkLayerEvent(Event):
    kind: ClassVar[str] = "link_layer"
    action: str = ""  # create, invite, apply, permit, reply, kick_out, leave, finish, ...
    channel_id: int = 0
    scene: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkMicEvent(Event):
    """A co-host (link-mic) signal: fan tickets, the rival host, the layout."""

    kind: ClassVar[str] = "link_mic"
    message_type: int = 0
    channel_id: int = 0
    guest_id: int = 0
    rival_id: int = 0
    fan_tickets: int = 0
    total_fan_tickets: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkMicFanTicketEvent(Event):
    kind: ClassVar[str] = "link_mic_fan_ticket"
    total_fan_tickets: int = 0
    match_id: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkMicLayoutEvent(Event):
    kind: ClassVar[str] = "link_mic_layout"
    channel_id: int = 0
    scene: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkStateEvent(Event):
    kind: ClassVar[str] = "link_state"
    channel_id: int = 0
    scene: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class UnauthorizedMemberEvent(Event):
    """A viewer who is not logged in joined (TikTok shows only a masked name)."""

    kind: ClassVar[str] = "unauthorized_member"
    action: int = 0
    nickname: str = ""
    text: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class CaptionEvent(Event):
    """A line of the LIVE's automatic captions."""

    kind: ClassVar[str] = "caption"
    text: str = ""
    language: str = ""
    duration_ms: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class InRoomBannerEvent(Event):
    kind: ClassVar[str] = "in_room_banner"
    data: str = ""  # TikTok's JSON, as sent


@dataclass(frozen=True, slots=True, kw_only=True)
class ShoppingEvent(Event):
    """LIVE shopping: a product shown or changed."""

    kind: ClassVar[str] = "shopping"
    action_type: int = 0
    product_id: int = 0
    product_title: str = ""
    price: str = ""
    products: int = 0  # products in the LIVE


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageDetectEvent(Event):
    kind: ClassVar[str] = "msg_detect"
    detect_type: int = 0
    trigger_by: int = 0
    from_region: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class RoomVerifyEvent(Event):
    kind: ClassVar[str] = "room_verify"
    action: int = 0
    text: str = ""
    notice_type: int = 0
    close_room: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class SystemEvent(Event):
    kind: ClassVar[str] = "system"
    text: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class NoticeEvent(Event):
    kind: ClassVar[str] = "notice"
    notice_type: int = 0
    title: str = ""
    text: str = ""
    scene: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ToastEvent(Event):
    kind: ClassVar[str] = "toast"
    text: str = ""
    scene: str = ""
    duration_ms: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class GuideEvent(Event):
    kind: ClassVar[str] = "guide"
    guide_type: int = 0
    gift_id: int = 0
    text: str = ""
    scene: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class BottomMessageEvent(Event):
    kind: ClassVar[str] = "bottom_message"
    text: str = ""
    duration: int = 0
    violation_user_id: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class CapsuleEvent(Event):
    kind: ClassVar[str] = "capsule"
    text: str = ""
    button_text: str = ""
    scene: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class BoostCardEvent(Event):
    kind: ClassVar[str] = "boost_card"
    cards: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessControlEvent(Event):
    kind: ClassVar[str] = "access_control"


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessRecallEvent(Event):
    kind: ClassVar[str] = "access_recall"
    status: int = 0
    text: str = ""
    scene: str = ""
    end_time: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class GiftRestrictionEvent(Event):
    kind: ClassVar[str] = "gift_restriction"


@dataclass(frozen=True, slots=True, kw_only=True)
class GiftPanelUpdateEvent(Event):
    kind: ClassVar[str] = "gift_panel_update"
    timestamp: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class GiftPromptEvent(Event):
    kind: ClassVar[str] = "gift_prompt"
    title: str = ""
    text: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveGameIntroEvent(Event):
    kind: ClassVar[str] = "live_game_intro"
    text: str = ""
    has_rank_info: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class MarqueeEvent(Event):
    kind: ClassVar[str] = "marquee"
    scene: str = ""
    text: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class PartnershipDropsEvent(Event):
    kind: ClassVar[str] = "partnership_drops"
    change_mode: int = 0
    drops_id: str = ""
    task_id: str = ""
    event_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class PartnershipGameOfflineEvent(Event):
    kind: ClassVar[str] = "partnership_game_offline"
    games: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class PartnershipPunishEvent(Event):
    kind: ClassVar[str] = "partnership_punish"


@dataclass(frozen=True, slots=True, kw_only=True)
class PerceptionEvent(Event):
    """TikTok warns the room about a (possible) rule violation."""

    kind: ClassVar[str] = "perception"
    text: str = ""
    end_time: int = 0
    violation_warning: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class RoomNotifyEvent(Event):
    kind: ClassVar[str] = "room_notify"
    notify_type: int = 0
    text: str = ""
    schema: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class SpeakerEvent(Event):
    kind: ClassVar[str] = "speaker"


@dataclass(frozen=True, slots=True, kw_only=True)
class SubPinEvent(Event):
    kind: ClassVar[str] = "sub_pin"
    action: str = ""  # pin, unpin
    operator_id: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class ViewerPicksEvent(Event):
    kind: ClassVar[str] = "viewer_picks"
    update_type: int = 0
