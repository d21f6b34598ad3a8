"""What every encoder shares: the user, the message header, and encoders made from a table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from google.protobuf.message import Message

from livetrigger import events as ev
from livetrigger.webcast._pb import webcast_pb2 as pb

CDN = "https://p16-sign-va.tiktokcdn.example/tos-maliva-avt-0068"


@dataclass(frozen=True, slots=True)
class Quirks:
    """How this room's messages differ from the usual shape (protocol.md §9)."""

    embed_gift: bool = True  # False: gift messages leave the Gift out (§9.8)


def avatar_urls(user_key: str) -> list[str]:
    """A realistic avatar url_list: big shrunk webp, the 100x100 webp, a 100x100 jpeg."""
    return [
        f"{CDN}/{user_key}~tplv-tiktokx-cropcenter:720:720.webp?shrink=1",
        f"{CDN}/{user_key}~c5_100x100.webp?lk3s=a5d48078&x-expires=1732500000",
        f"{CDN}/{user_key}~c5_100x100.jpeg?lk3s=a5d48078&x-expires=1732500000",
    ]


def user_pb(user: ev.User) -> pb.User:
    """A protobuf ``User`` whose badges encode the roles the decoder derives."""
    u = pb.User(id=user.id, nickname=user.nickname, display_id=user.unique_id)
    u.id_str = str(user.id) if user.id else ""
    u.verified = user.verified
    if user.avatar_url:
        urls = avatar_urls(user.unique_id or str(user.id))
        urls[1] = user.avatar_url
        u.avatar_thumb.url_list.extend(urls)
    u.follow_info.follow_status = int(user.follow_role)
    u.follow_info.follower_count = 120 + user.id % 1000
    if user.is_moderator:
        b = u.badge_list.add(display_type=2, scene_type=1)
        b.text.key = "live_moderator_badge"
        b.text.default_pattern = "Moderator"
    if user.is_subscriber:
        b = u.badge_list.add(display_type=1, scene_type=4)
        b.image.image.url_list.append(f"{CDN}/webcast-va/sub_badge_1m.png")
    if user.gifter_level:
        b = u.badge_list.add(display_type=4, scene_type=8)
        b.privilege_log_extra.level = str(user.gifter_level)
        b.privilege_log_extra.privilege_id = "7138381747292542756"
        b.combine.icon.url_list.append(
            f"{CDN}/webcast-va/grade_badge_icon_lite_lv{user.gifter_level}_v2.png"
        )
        b.combine.str = str(user.gifter_level)
    if user.fan_club_level:
        b = u.badge_list.add(display_type=4, scene_type=10)
        b.privilege_log_extra.level = str(user.fan_club_level)
        b.combine.icon.url_list.append(
            f"{CDN}/webcast-va/fans_badge_icon_lv{user.fan_club_level}_v0.png"
        )
    if user.top_gifter_rank is not None:
        b = u.badge_list.add(display_type=1, scene_type=6)
        b.image.image.url_list.append(
            f"{CDN}/webcast-va/ranklist_top_gifter_{user.top_gifter_rank}.png"
        )
    if user.is_new_gifter:
        b = u.badge_list.add(display_type=2, scene_type=5)
        b.text.key = "live_ng_badge_new_gifter"
    return u


def common(
    event: ev.Event, method: str, display_key: str = "", pattern: str = ""
) -> pb.CommonMessageData:
    """The header every message carries: method, ids, time and its display text."""
    c = pb.CommonMessageData(
        method=method,
        msg_id=event.msg_id,
        room_id=event.room_id,
        create_time=event.create_time,
    )
    if display_key or pattern:
        c.display_text.key = display_key
        c.display_text.default_pattern = pattern
        if event.user.id:
            piece = c.display_text.pieces.add(type=11)
            piece.user_value.user.CopyFrom(user_pb(event.user))
    return c


Encoded = tuple[str, Message]  # the message's method name and the message


def set_path(msg: Message, path: str, value: Any) -> None:
    """Set the field at a dotted path (``title.default_pattern``) of a message."""
    *parents, name = path.split(".")
    for p in parents:
        msg = getattr(msg, p)
    setattr(msg, name, value)


def flat(method: str, cls: type[Message], **fields: str) -> Callable[[Any, Quirks], Encoded]:
    """An encoder for a message whose fields (dotted paths) each hold one event field."""

    def encode(e: ev.Event, q: Quirks) -> Encoded:
        m = cls(common=common(e, method))  # type: ignore[call-arg]
        for path, attr in fields.items():
            set_path(m, path, getattr(e, attr))
        return method, m

    return encode


def text_of(e: ev.Event, method: str, cls: type[Message], field: str) -> Encoded:
    """A message whose one text (``field``, a Text) carries the event's ``text``."""
    m = cls(common=common(e, method))  # type: ignore[call-arg]
    getattr(m, field).default_pattern = e.text  # type: ignore[attr-defined]
    return method, m


def counted(
    method: str, cls: type[Message], field: str, attr: str
) -> Callable[[Any, Quirks], Encoded]:
    """An encoder for a message whose list ``field`` is as long as the event's ``attr`` says."""

    def encode(e: ev.Event, q: Quirks) -> Encoded:
        m = cls(common=common(e, method))  # type: ignore[call-arg]
        getattr(m, field).extend([b""] * getattr(e, attr))
        return method, m

    return encode
