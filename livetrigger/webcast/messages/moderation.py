"""Moderation and TikTok's own interventions: deleted messages, pins, viewers who are not
logged in, verification, warnings and punishments."""

from __future__ import annotations

from typing import Any

from livetrigger import events as ev
from livetrigger.events import ANONYMOUS, Event
from livetrigger.webcast._pb import webcast_pb2 as pb
from livetrigger.webcast.messages.common import DecodeContext, common_fields
from livetrigger.webcast.users import convert_user

_PIN_ACTIONS = {1: "pin", 2: "unpin"}


def plain(ctx: DecodeContext, e: Event, m: Any, msg_id: int, at: float, history: bool) -> None:
    """Fill a notice that says nothing beyond its arrival (the common fields)."""
    type(e).__init__(e, **common_fields(m.common, msg_id, at, history))


def deleted(
    ctx: DecodeContext,
    e: ev.MessageDeletedEvent,
    m: pb.WebcastImDeleteMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill which messages went, or whose."""
    msg_ids, user_ids = tuple(m.delete_msg_ids), tuple(m.delete_user_ids)
    ev.MessageDeletedEvent.__init__(
        e,
        **common_fields(m.common, msg_id, at, history),
        deleted_msg_id=msg_ids[0] if msg_ids else 0,
        deleted_user_id=user_ids[0] if user_ids else 0,
        deleted_msg_ids=msg_ids,
        deleted_user_ids=user_ids,
    )


def pinned(
    ctx: DecodeContext,
    e: ev.PinnedEvent,
    m: pb.WebcastRoomPinMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill a pin: who pinned, what and whose (a comment's text and author)."""
    author: ev.User | None = None
    pinned_id, text = 0, ""
    for name in ("chat_message", "social_message", "gift_message", "member_message"):
        if m.HasField(name):
            inner = getattr(m, name)
            author = convert_user(inner.user)
            pinned_id = inner.common.msg_id
            text = inner.content if name == "chat_message" else ""
            break
    ev.PinnedEvent.__init__(
        e,
        **common_fields(m.common, msg_id, at, history),
        user=convert_user(m.operator) if m.HasField("operator") else ANONYMOUS,
        action=_PIN_ACTIONS.get(m.action, f"action_{m.action}"),
        method=m.method,
        text=text,
        author=author,
        pinned_msg_id=pinned_id,
    )


def unauthorized_member(
    ctx: DecodeContext,
    e: ev.UnauthorizedMemberEvent,
    m: pb.WebcastUnauthorizedMemberMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill the arrival of a viewer who is not logged in (a masked nickname)."""
    ev.UnauthorizedMemberEvent.__init__(
        e,
        **common_fields(m.common, msg_id, at, history),
        action=m.action,
        nickname=m.nick_name,
        text=m.enter_text.default_pattern or m.enter_text.key,
    )


def room_verify(
    ctx: DecodeContext,
    e: ev.RoomVerifyEvent,
    m: pb.WebcastRoomVerifyMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill a verification request or result for the room."""
    ev.RoomVerifyEvent.__init__(
        e,
        **common_fields(m.common, msg_id, at, history),
        action=m.action,
        text=m.content,
        notice_type=m.notice_type,
        close_room=m.close_room,
    )


def perception(
    ctx: DecodeContext,
    e: ev.PerceptionEvent,
    m: pb.WebcastPerceptionMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill a warning about a (possible) violation."""
    ev.PerceptionEvent.__init__(
        e,
        **common_fields(m.common, msg_id, at, history),
        text=m.toast.default_pattern or m.toast.key,
        end_time=m.end_time,
        violation_warning=m.show_violation_warning,
    )


def access_recall(
    ctx: DecodeContext,
    e: ev.AccessRecallEvent,
    m: pb.WebcastAccessRecallMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill a restriction of the room (and when it ends)."""
    ev.AccessRecallEvent.__init__(
        e,
        **common_fields(m.common, msg_id, at, history),
        status=m.status,
        text=m.content.default_pattern or m.notice.default_pattern,
        scene=m.scene,
        end_time=m.end_time,
    )


def bottom(
    ctx: DecodeContext,
    e: ev.BottomMessageEvent,
    m: pb.WebcastBottomMessage,
    msg_id: int,
    at: float,
    history: bool,
) -> None:
    """Fill a message shown at the bottom of the LIVE (often a violation notice)."""
    ev.BottomMessageEvent.__init__(
        e,
        **common_fields(m.common, msg_id, at, history),
        text=m.content,
        duration=m.duration,
        violation_user_id=m.violation_user_id,
    )
