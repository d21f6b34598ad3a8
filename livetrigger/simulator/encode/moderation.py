"""Moderation: a message deleted, a message pinned."""

from __future__ import annotations

from livetrigger import events as ev
from livetrigger.simulator.encode.common import Encoded, Quirks, common, user_pb
from livetrigger.webcast._pb import webcast_pb2 as pb


def message_deleted(e: ev.MessageDeletedEvent, q: Quirks) -> Encoded:
    method = "WebcastImDeleteMessage"
    d = pb.WebcastImDeleteMessage(common=common(e, method))
    d.delete_msg_ids.extend(e.deleted_msg_ids or ([e.deleted_msg_id] if e.deleted_msg_id else []))
    d.delete_user_ids.extend(
        e.deleted_user_ids or ([e.deleted_user_id] if e.deleted_user_id else [])
    )
    return method, d


def pinned(e: ev.PinnedEvent, q: Quirks) -> Encoded:
    method = "WebcastRoomPinMessage"
    p = pb.WebcastRoomPinMessage(
        common=common(e, method), method=e.method, action=2 if e.action == "unpin" else 1
    )
    if e.user.id:
        p.operator.CopyFrom(user_pb(e.user))
    if e.author is not None:
        chat = p.chat_message
        chat.common.method = "WebcastChatMessage"
        chat.common.msg_id = e.pinned_msg_id
        chat.common.room_id = e.room_id
        chat.user.CopyFrom(user_pb(e.author))
        chat.content = e.text
    return method, p
