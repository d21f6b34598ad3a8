"""What TikTok shows in and around the room besides chat: polls, gift announcements, the
LIVE's topic, captions, banners, shopping, guides and system notices."""

from __future__ import annotations

from livetrigger import events as ev
from livetrigger.events import ANONYMOUS
from livetrigger.webcast._pb import webcast_pb2 as pb
from livetrigger.webcast.messages.common import DecodeContext, common_fields
from livetrigger.webcast.users import convert_user, pick_picture

_POLL_END_REASONS = {0: "time", 1: "owner", 2: "other", 3: "admin"}
_SUB_PIN_ACTIONS = {1: "pin", 2: "unpin"}


def _text(t: pb.Text) -> str:
    return t.default_pattern or t.key


def poll(
    ctx: DecodeContext,
    e: ev.PollEvent,
    m: pb.WebcastPollMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill a poll's start, votes or end: its options with their votes and the leader."""
    if m.HasField("end_content"):
        stage, part = "end", m.end_content
    elif m.HasField("update_votes_content"):
        stage, part = "update", m.update_votes_content  # type: ignore[assignment]
    else:
        stage, part = "start", m.start_content  # type: ignore[assignment]
    options = tuple(ev.PollOption(text=o.display_content, votes=o.votes) for o in part.option_list)
    most = max((o.votes for o in options), default=0)
    leaders = [o.text for o in options if o.votes == most]
    info = m.poll_basic_info
    ev.PollEvent.__init__(
        e,
        **common_fields(m.common, msg_id, at, history),
        user=convert_user(part.operator) if part.HasField("operator") else ANONYMOUS,
        stage=stage,
        poll_id=int(info.poll_id_str[:18]) if info.poll_id_str.isdigit() else 0,
        title=info.title or m.start_content.title,
        options=options,
        total_votes=sum(o.votes for o in options),
        winner=leaders[0] if most and len(leaders) == 1 else "",
        end_reason=_POLL_END_REASONS.get(m.end_content.end_type, "") if stage == "end" else "",
    )


def gift_broadcast(
    ctx: DecodeContext,
    e: ev.GiftBroadcastEvent,
    m: pb.WebcastGiftBroadcastMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill a big gift's announcement: sender, receiver and gift from the notice's text."""
    notify = m.notify
    shown = notify.common.display_text if notify.common.display_text.key else m.common.display_text
    users: list[ev.User] = []
    gift_id, gift_name = 0, ""
    for piece in shown.pieces:
        if piece.HasField("user_value"):
            users.append(convert_user(piece.user_value.user))
        elif piece.HasField("gift_value") and not gift_id:
            gift_id = piece.gift_value.gift_id
            gift_name = _text(piece.gift_value.name_ref)  # type: ignore[arg-type]
    if not users and notify.HasField("user"):
        users.append(convert_user(notify.user))
    ev.GiftBroadcastEvent.__init__(
        e,
        **common_fields(m.common, msg_id, at, history),
        user=users[0] if users else ANONYMOUS,
        to_user=users[1] if len(users) > 1 else None,
        gift_id=gift_id,
        gift_name=gift_name,
        display_key=shown.key,
        text=shown.default_pattern or notify.content,
    )


def hashtag(
    ctx: DecodeContext,
    e: ev.HashtagEvent,
    m: pb.WebcastHashtagMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill the LIVE's topic."""
    tag = m.hashtag
    ev.HashtagEvent.__init__(
        e,
        **common_fields(m.common, msg_id, at, history),
        hashtag_id=tag.id,
        title=tag.title or m.common.display_text.default_pattern,
        image_url=pick_picture(tag.image.url_list),
    )


def caption(
    ctx: DecodeContext,
    e: ev.CaptionEvent,
    m: pb.WebcastCaptionMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill a caption line (the first language given)."""
    first = m.content[0] if m.content else pb.CaptionContent()
    ev.CaptionEvent.__init__(
        e,
        **common_fields(m.common, msg_id, at, history),
        text=first.content,
        language=first.lang,
        duration_ms=m.duration_ms,
    )


def in_room_banner(
    ctx: DecodeContext,
    e: ev.InRoomBannerEvent,
    m: pb.WebcastInRoomBannerMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill a banner with its JSON as sent."""
    ev.InRoomBannerEvent.__init__(
        e, **common_fields(m.common, msg_id, at, history), data=m.json_data
    )


def shopping(
    ctx: DecodeContext,
    e: ev.ShoppingEvent,
    m: pb.WebcastOecLiveShoppingMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill a LIVE shopping step: the product shown."""
    p = m.pop_product
    ev.ShoppingEvent.__init__(
        e,
        **common_fields(m.common, msg_id, at, history),
        action_type=m.action_type,
        product_id=p.product_id,
        product_title=p.title,
        price=p.price,
        products=m.live_product_number,
    )


def msg_detect(
    ctx: DecodeContext,
    e: ev.MessageDetectEvent,
    m: pb.WebcastMsgDetectMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill TikTok's message-delivery probe."""
    ev.MessageDetectEvent.__init__(
        e,
        **common_fields(m.common, msg_id, at, history),
        detect_type=m.d_type,
        trigger_by=m.trigger_by,
        from_region=m.from_region,
    )


def system(
    ctx: DecodeContext,
    e: ev.SystemEvent,
    m: pb.WebcastSystemMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill a system message."""
    ev.SystemEvent.__init__(
        e,
        **common_fields(m.common, msg_id, at, history),
        text=m.message or m.common.display_text.default_pattern,
    )


def notice(
    ctx: DecodeContext,
    e: ev.NoticeEvent,
    m: pb.WebcastNoticeMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill a notice to the room."""
    ev.NoticeEvent.__init__(
        e,
        **common_fields(m.common, msg_id, at, history),
        notice_type=m.notice_type,
        title=_text(m.title),
        text=m.content,
        scene=m.scene,
    )


def toast(
    ctx: DecodeContext,
    e: ev.ToastEvent,
    m: pb.WebcastToastMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill a short pop-up."""
    ev.ToastEvent.__init__(
        e,
        **common_fields(m.common, msg_id, at, history),
        text=_text(m.common.display_text),
        scene=m.scene,
        duration_ms=m.display_duration_millisecond,
    )


def guide(
    ctx: DecodeContext,
    e: ev.GuideEvent,
    m: pb.WebcastGuideMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill a guide (e.g. a gift suggested to viewers)."""
    ev.GuideEvent.__init__(
        e,
        **common_fields(m.common, msg_id, at, history),
        guide_type=m.guide_type,
        gift_id=m.gift_id,
        text=m.description,
        scene=m.scene,
    )


def capsule(
    ctx: DecodeContext,
    e: ev.CapsuleEvent,
    m: pb.WebcastCapsuleMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill a capsule (a small card with a button)."""
    ev.CapsuleEvent.__init__(
        e,
        **common_fields(m.common, msg_id, at, history),
        text=_text(m.desc),
        button_text=_text(m.button_text),
        scene=m.scene,
    )


def boost_card(
    ctx: DecodeContext,
    e: ev.BoostCardEvent,
    m: pb.WebcastBoostCardMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill how many boost cards the message shows."""
    ev.BoostCardEvent.__init__(
        e, **common_fields(m.common, msg_id, at, history), cards=len(m.cards)
    )


def gift_panel_update(
    ctx: DecodeContext,
    e: ev.GiftPanelUpdateEvent,
    m: pb.WebcastGiftPanelUpdateMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill a change of the gift panel."""
    ev.GiftPanelUpdateEvent.__init__(
        e, **common_fields(m.common, msg_id, at, history), timestamp=m.timestamp
    )


def gift_prompt(
    ctx: DecodeContext,
    e: ev.GiftPromptEvent,
    m: pb.WebcastGiftPromptMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill a prompt about gifting."""
    ev.GiftPromptEvent.__init__(
        e, **common_fields(m.common, msg_id, at, history), title=m.title, text=m.body
    )


def live_game_intro(
    ctx: DecodeContext,
    e: ev.LiveGameIntroEvent,
    m: pb.WebcastLiveGameIntroMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill a game LIVE's intro."""
    ev.LiveGameIntroEvent.__init__(
        e,
        **common_fields(m.common, msg_id, at, history),
        text=_text(m.content),
        has_rank_info=m.has_rank_info,
    )


def marquee(
    ctx: DecodeContext,
    e: ev.MarqueeEvent,
    m: pb.WebcastMarqueeAnnouncementMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill a scrolling announcement."""
    ev.MarqueeEvent.__init__(
        e,
        **common_fields(m.common, msg_id, at, history),
        scene=m.message_scene,
        text=m.common.display_text.default_pattern,
    )


def partnership_drops(
    ctx: DecodeContext,
    e: ev.PartnershipDropsEvent,
    m: pb.WebcastPartnershipDropsUpdateMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill a game-partnership drops change."""
    ev.PartnershipDropsEvent.__init__(
        e,
        **common_fields(m.common, msg_id, at, history),
        change_mode=m.change_mode,
        drops_id=m.drops_id,
        task_id=m.task_id,
        event_id=m.event_id,
    )


def partnership_game_offline(
    ctx: DecodeContext,
    e: ev.PartnershipGameOfflineEvent,
    m: pb.WebcastPartnershipGameOfflineMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill how many partnership games went offline."""
    ev.PartnershipGameOfflineEvent.__init__(
        e, **common_fields(m.common, msg_id, at, history), games=len(m.offline_game_list)
    )


def room_notify(
    ctx: DecodeContext,
    e: ev.RoomNotifyEvent,
    m: pb.WebcastRoomNotifyMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill a room notification (its user, when it names one)."""
    ev.RoomNotifyEvent.__init__(
        e,
        **common_fields(m.common, msg_id, at, history),
        user=convert_user(m.user) if m.HasField("user") else ANONYMOUS,
        notify_type=m.notify_type,
        text=m.content or m.common.display_text.default_pattern,
        schema=m.schema,
    )


def sub_pin(
    ctx: DecodeContext,
    e: ev.SubPinEvent,
    m: pb.WebcastSubPinEventMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill a subscriber-only pin or unpin."""
    ev.SubPinEvent.__init__(
        e,
        **common_fields(m.common, msg_id, at, history),
        action=_SUB_PIN_ACTIONS.get(m.action_type, f"action_{m.action_type}"),
        operator_id=m.operator_user_id,
    )


def viewer_picks(
    ctx: DecodeContext,
    e: ev.ViewerPicksEvent,
    m: pb.WebcastViewerPicksUpdateMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill a viewer-picks update."""
    ev.ViewerPicksEvent.__init__(
        e, **common_fields(m.common, msg_id, at, history), update_type=m.update_type
    )
