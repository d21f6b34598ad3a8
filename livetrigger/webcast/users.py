"""Protobuf ``User`` → our ``User``: picks the avatar and derives roles from badges.

The roles (moderator, subscriber, top gifter, gifter and fan-club levels) are not protocol
fields: the community clients read them from badges, and so do we, preferring the direct
``UserIdentity`` block where a message carries one (protocol.md §3.1).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from google.protobuf.message import DecodeError

from livetrigger.events import ANONYMOUS, FollowRole, User
from livetrigger.webcast._pb import webcast_pb2 as pb

# BadgeSceneType values we read
_SCENE_ADMIN = 1
_SCENE_SUBSCRIBER = 4
_SCENE_NEW_SUBSCRIBER = 7
_SCENE_USER_GRADE = 8
_SCENE_FANS = 10

# ASCII digits only, and few of them: `\d` also matches "²" and "٣", which int() refuses or
# reads, and a 5,000-digit level would be refused by int() too (a crafted badge, issue 19)
_TOP_GIFTER = re.compile(r"ranklist_top_gifter_([0-9]{1,9})(?![0-9])")
_GRADE_ICON = re.compile(r"grade_badge_icon_lite_lv([0-9]{1,9})_v")
_FANS_ICON = re.compile(r"fans_badge_icon_lv([0-9]{1,9})_v")
_MAX_DIGITS = 19  # an int64 id


def pick_picture(urls: Sequence[str]) -> str:
    """The URL a viewer would see: a 100x100 webp, else 100x100 jpeg, else unshrunk, else first."""
    if not urls:
        return ""
    for url in urls:
        if "100x100" in url and ".webp" in url:
            return url
    for url in urls:
        if "100x100" in url and ".jpeg" in url:
            return url
    for url in urls:
        if "shrink" not in url:
            return url
    return urls[0]


def number(text: str) -> int:
    """A decimal string field (ids, levels) as an int; 0 unless it is plain ASCII digits of
    reasonable length: ``str.isdigit`` accepts "²", which ``int`` then refuses."""
    return int(text) if 0 < len(text) <= _MAX_DIGITS and text.isascii() and text.isdigit() else 0


_int = number


def follow_role(status: int) -> FollowRole:
    """``follow_status`` (0 none, 1 follower, 2 friend) as the enum; anything else is clamped:
    negative is none, above 2 is friend."""
    return FollowRole(min(max(status, FollowRole.NONE), FollowRole.FRIEND))


def convert_user(u: pb.User, identity: pb.UserIdentity | None = None) -> User:
    """Build a ``User``; ``identity`` is the message's ``UserIdentity`` block when it has one."""
    if not u.id and not u.display_id and not u.nickname:
        return ANONYMOUS

    follow = u.follow_info.follow_status
    moderator = u.user_attr.is_admin or u.user_attr.is_super_admin
    subscriber = False
    new_gifter = False
    top_rank: int | None = None
    gifter_level = 0
    fan_level = u.fans_club.data.level

    for badge in u.badge_list:
        scene = badge.scene_type
        if scene == _SCENE_ADMIN:
            moderator = True
        elif scene in (_SCENE_SUBSCRIBER, _SCENE_NEW_SUBSCRIBER):
            subscriber = True
        elif scene == _SCENE_USER_GRADE:
            gifter_level = _int(badge.privilege_log_extra.level) or gifter_level
        elif scene == _SCENE_FANS:
            fan_level = _int(badge.privilege_log_extra.level) or fan_level
        which = badge.WhichOneof("badge")
        if which == "image":
            for url in badge.image.image.url_list[:1]:
                if "ranklist_top_gifter_" in url:
                    m = _TOP_GIFTER.search(url)
                    top_rank = int(m.group(1)) if m else top_rank
                elif "/sub_" in url:
                    subscriber = True
                elif not gifter_level and "grade_badge_icon" in url:
                    m = _GRADE_ICON.search(url)
                    gifter_level = int(m.group(1)) if m else 0
                elif not fan_level and "fans_badge_icon" in url:
                    m = _FANS_ICON.search(url)
                    fan_level = int(m.group(1)) if m else 0
        elif which == "text":
            key = badge.text.key
            if "moderator" in key.lower():
                moderator = True
            elif "live_ng_" in key:
                new_gifter = True

    if identity is not None:
        moderator = moderator or identity.is_moderator_of_anchor
        subscriber = subscriber or identity.is_subscriber_of_anchor
        if identity.is_mutual_following_with_anchor:
            follow = max(follow, FollowRole.FRIEND)
        elif identity.is_follower_of_anchor:
            follow = max(follow, FollowRole.FOLLOWER)

    return User(
        id=u.id or _int(u.id_str),
        unique_id=u.display_id,
        nickname=u.nickname,
        avatar_url=pick_picture(u.avatar_thumb.url_list),
        follow_role=follow_role(follow),
        is_moderator=moderator,
        is_subscriber=subscriber,
        is_new_gifter=new_gifter,
        top_gifter_rank=top_rank,
        gifter_level=gifter_level,
        fan_club_level=fan_level,
        verified=u.verified,
    )


class UserCache:
    """Raw ``User`` bytes (plus the message's ``UserIdentity`` bytes) → ``User``.

    The same viewer sends the same bytes again and again (chat, likes, joins), so parsing and
    deriving roles once per distinct byte string makes the hot path a dict lookup. The key is
    the exact bytes: a viewer whose badges or follow status change gets a new entry, never a
    stale one. Bounded: when full it starts over (cheap, and busy rooms refill it at once).
    """

    __slots__ = ("_entries", "_max", "corrupt", "hits", "misses")

    def __init__(self, max_entries: int = 8192) -> None:
        self._entries: dict[tuple[bytes, bytes], User] = {}
        self._max = max_entries
        self.hits = 0
        self.misses = 0
        self.corrupt = 0

    def get(self, raw: bytes, identity: bytes = b"") -> User:
        if not raw:
            return ANONYMOUS
        key = (raw, identity)
        user = self._entries.get(key)
        if user is not None:
            self.hits += 1
            return user
        self.misses += 1
        try:
            parsed = pb.User.FromString(raw)
            ident = pb.UserIdentity.FromString(identity) if identity else None
        except DecodeError:
            # the message itself parsed; only its user blob is corrupt: keep the event
            self.corrupt += 1
            return ANONYMOUS
        user = convert_user(parsed, ident)
        if len(self._entries) >= self._max:
            self._entries.clear()
        self._entries[key] = user
        return user
