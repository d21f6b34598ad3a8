"""Gifts, with the streak fields TikTok repeats while a combo runs (protocol.md §9)."""

from __future__ import annotations

from livetrigger import events as ev
from livetrigger.simulator.encode.common import Encoded, Quirks, common, user_pb
from livetrigger.webcast._pb import webcast_pb2 as pb


def gift(e: ev.GiftEvent, q: Quirks) -> Encoded:
    # streak fields follow the event: ``streakable`` → ``gift.type = 1``, ``end`` → ``repeat_end``
    method = "WebcastGiftMessage"
    gift = pb.WebcastGiftMessage(
        common=common(e, method),
        gift_id=e.gift_id,
        repeat_count=e.repeat_count,
        combo_count=e.repeat_count,
        user=user_pb(e.user),
        repeat_end=1 if e.streak == ev.StreakState.END else 0,
        group_id=e.streak_id,
    )
    if q.embed_gift:  # TikTok sometimes leaves it out: the gift list has it (§9.8)
        g = gift.gift
        g.id = e.gift_id
        g.name = e.gift_name
        g.diamond_count = e.diamonds
        g.type = 1 if e.streakable else 2
        g.combo = e.streakable
        g.describe = f"sent {e.gift_name}"
        if e.image_url:
            g.image.url_list.append(e.image_url)
    if e.to_user is not None:
        gift.to_user.CopyFrom(user_pb(e.to_user))
    return method, gift
