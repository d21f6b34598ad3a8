"""TikTok's notices: polls, gift broadcasts, hashtags, toasts, marquees, capsules, captions."""

from __future__ import annotations

from typing import Any

from livetrigger import events as ev
from livetrigger.simulator.encode.common import Encoded, Quirks, common, user_pb
from livetrigger.webcast._pb import webcast_pb2 as pb


def poll(e: ev.PollEvent, q: Quirks) -> Encoded:
    method = "WebcastPollMessage"
    p = pb.WebcastPollMessage(common=common(e, method), poll_kind=0)
    p.poll_basic_info.title = e.title
    p.poll_basic_info.poll_id_str = str(e.poll_id) if e.poll_id else ""
    p.poll_basic_info.poll_duration = 60
    if e.stage == "end":
        part: Any = p.end_content
        part.end_type = {"time": 0, "owner": 1, "other": 2, "admin": 3}.get(e.end_reason, 0)
    elif e.stage == "update":
        part = p.update_votes_content
    else:
        part = p.start_content
        part.title = e.title
    for i, option in enumerate(e.options):
        part.option_list.add(votes=option.votes, display_content=option.text, option_idx=i)
    if e.user.id:
        part.operator.CopyFrom(user_pb(e.user))
    return method, p


def gift_broadcast(e: ev.GiftBroadcastEvent, q: Quirks) -> Encoded:
    method = "WebcastGiftBroadcastMessage"
    b = pb.WebcastGiftBroadcastMessage(common=common(e, method))
    n = b.notify
    n.common.method = "WebcastRoomNotifyMessage"
    n.common.msg_id = e.msg_id
    n.common.room_id = e.room_id
    n.schema = f"sslocal://webcast_gift_dialog?gift_id={e.gift_id}"
    shown = n.common.display_text
    shown.key = e.display_key
    shown.default_pattern = e.text
    if e.user.id:
        shown.pieces.add(type=11).user_value.user.CopyFrom(user_pb(e.user))
    gift = shown.pieces.add(type=12).gift_value
    gift.gift_id = e.gift_id
    gift.name_ref.key = f"live_gift_{e.gift_id}"
    gift.name_ref.default_pattern = e.gift_name
    if e.to_user is not None:
        shown.pieces.add(type=11).user_value.user.CopyFrom(user_pb(e.to_user))
    return method, b


def hashtag(e: ev.HashtagEvent, q: Quirks) -> Encoded:
    method = "WebcastHashtagMessage"
    h = pb.WebcastHashtagMessage(
        common=common(e, method, f"pm_mt_live_topic{e.hashtag_id}", e.title)
    )
    h.hashtag.id = e.hashtag_id
    h.hashtag.title = e.title
    if e.image_url:
        h.hashtag.image.url_list.append(e.image_url)
    return method, h


def toast(e: ev.ToastEvent, q: Quirks) -> Encoded:
    method = "WebcastToastMessage"
    return method, pb.WebcastToastMessage(
        common=common(e, method, "", e.text),
        scene=e.scene,
        display_duration_millisecond=e.duration_ms,
    )


def marquee(e: ev.MarqueeEvent, q: Quirks) -> Encoded:
    method = "WebcastMarqueeAnnouncementMessage"
    return method, pb.WebcastMarqueeAnnouncementMessage(
        common=common(e, method, "", e.text), message_scene=e.scene
    )


def capsule(e: ev.CapsuleEvent, q: Quirks) -> Encoded:
    method = "WebcastCapsuleMessage"
    c = pb.WebcastCapsuleMessage(common=common(e, method), scene=e.scene)
    c.desc.default_pattern = e.text
    c.button_text.default_pattern = e.button_text
    return method, c


def room_notify(e: ev.RoomNotifyEvent, q: Quirks) -> Encoded:
    method = "WebcastRoomNotifyMessage"
    n = pb.WebcastRoomNotifyMessage(
        common=common(e, method), notify_type=e.notify_type, content=e.text, schema=e.schema
    )
    if e.user.id:
        n.user.CopyFrom(user_pb(e.user))
    return method, n


def caption(e: ev.CaptionEvent, q: Quirks) -> Encoded:
    method = "WebcastCaptionMessage"
    c = pb.WebcastCaptionMessage(common=common(e, method), duration_ms=e.duration_ms)
    c.content.add(lang=e.language, content=e.text)
    return method, c
