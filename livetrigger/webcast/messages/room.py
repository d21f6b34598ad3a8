"""What the room itself says: viewer counts, pause/resume/end, the intro, system notices,
banners, treasure chests."""

from __future__ import annotations

from livetrigger import events as ev
from livetrigger.events import ANONYMOUS, Event
from livetrigger.webcast._pb import webcast_pb2 as pb
from livetrigger.webcast.messages.common import DecodeContext, base, common_fields
from livetrigger.webcast.users import convert_user, number, pick_picture

_SUPER_FAN_BOX_BUSINESS_TYPE = 19


def viewers(
    ctx: DecodeContext,
    e: ev.ViewerCountEvent,
    m: pb.RoomUserSeqView,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill the viewer count, the total since the start and the top gifters."""
    ev.ViewerCountEvent.__init__(
        e,
        **common_fields(m.common, msg_id, at, history),
        viewers=m.total,
        total_viewers=m.total_user,
        top_viewers=tuple(
            ev.TopViewer(user=ctx.users.get(c.user), coins=c.score, rank=c.rank) for c in m.ranks
        ),
    )


def control(
    ctx: DecodeContext, m: pb.WebcastControlMessage, msg_id: int, at: float, history: bool
) -> Event | None:
    """Pause, resume or end of the stream; None for any other control action."""
    room, mid, created, at, hist = base(m.common, msg_id, at, history)
    action = m.action
    if action == 1:
        return ev.StreamPausedEvent(
            room_id=room, msg_id=mid, create_time=created, received_at=at, is_history=hist
        )
    if action == 2:
        return ev.StreamResumedEvent(
            room_id=room, msg_id=mid, create_time=created, received_at=at, is_history=hist
        )
    if action in (3, 4):
        return ev.StreamEndedEvent(
            room_id=room,
            msg_id=mid,
            create_time=created,
            received_at=at,
            is_history=hist,
            reason=ev.StreamEndReason.HOST if action == 3 else ev.StreamEndReason.MODERATOR,
        )
    return None


def intro(
    ctx: DecodeContext,
    e: ev.LiveIntroEvent,
    m: pb.WebcastLiveIntroMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill the host's introduction of the LIVE."""
    ev.LiveIntroEvent.__init__(
        e,
        **common_fields(m.common, msg_id, at, history),
        user=convert_user(m.user),
        text=m.content,
    )


def room_message(
    ctx: DecodeContext,
    e: ev.RoomMessageEvent,
    m: pb.WebcastRoomMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill a system notice shown in the room."""
    ev.RoomMessageEvent.__init__(
        e,
        **common_fields(m.common, msg_id, at, history),
        text=m.content,
    )


def barrage(
    ctx: DecodeContext,
    e: ev.BarrageEvent,
    m: pb.WebcastBarrageMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill a banner, telling the super-fan ones apart by their display key."""
    head = common_fields(m.common, msg_id, at, history)
    key = m.content.key or m.common.display_text.key
    ev.BarrageEvent.__init__(
        e,
        **head,
        user=convert_user(m.user),
        display_key=key,
        text=m.content.default_pattern,
        super_fan="ttlive_superfan" in key,
        super_fan_joined="ttlive_superfan_commentnotif_superfanjoined" in key,
    )


def envelope(
    ctx: DecodeContext,
    e: ev.EnvelopeEvent,
    m: pb.WebcastEnvelopeMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill a treasure chest: its sender from the display text, else from the chest itself."""
    head = common_fields(m.common, msg_id, at, history)
    info = m.envelope_info
    user = ANONYMOUS
    for piece in m.common.display_text.pieces:
        if piece.HasField("user_value"):
            user = convert_user(piece.user_value.user)
            break
    if user is ANONYMOUS and (info.send_user_id or info.send_user_name):
        user = ev.User(
            id=number(info.send_user_id),
            nickname=info.send_user_name,
            avatar_url=pick_picture(info.send_user_avatar.url_list),
        )
    ev.EnvelopeEvent.__init__(
        e,
        **head,
        user=user,
        envelope_id=info.envelope_id,
        diamonds=info.diamond_count,
        people=info.people_count,
        sender_name=info.send_user_name,
        super_fan_box=info.business_type == _SUPER_FAN_BOX_BUSINESS_TYPE
        or "ttlive_superfanbox" in m.common.display_text.key,
    )
