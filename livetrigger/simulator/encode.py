"""One encoder per event kind: the protobuf message TikTok sends for it.

Everything is built with the generated protobuf classes from the protocol facts (field numbers,
badge scenes, streak flags), the way TikTok's servers would send it. A new event kind the fake
room can play is one function here plus one line in ``ENCODERS``.
"""

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


def _chat(e: ev.ChatEvent, q: Quirks) -> Encoded:
    method = "WebcastChatMessage"
    chat = pb.WebcastChatMessage(common=common(e, method), user=user_pb(e.user), content=e.text)
    chat.content_language = e.language
    for mention in e.mentions:
        chat.mention_users.append(user_pb(mention))
        chat.mention_user_list.append(mention.id)
    for emote in e.emotes:
        item = chat.emotes.add(index=emote.index or 0)
        item.emote.emote_id = emote.emote_id
        if emote.image_url:
            item.emote.image.url_list.append(emote.image_url)
    return method, chat


def _gift(e: ev.GiftEvent, q: Quirks) -> Encoded:
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


def _like(e: ev.LikeEvent, q: Quirks) -> Encoded:
    method = "WebcastLikeMessage"
    return method, pb.WebcastLikeMessage(
        common=common(e, method, "pm_mt_msg_viewer", "{0:user} liked the LIVE"),
        user=user_pb(e.user),
        count=e.count,
        total=e.total,
    )


def _join(e: ev.JoinEvent, q: Quirks) -> Encoded:
    method = "WebcastMemberMessage"
    return method, pb.WebcastMemberMessage(
        common=common(e, method, "live_room_enter_toast", "{0:user} joined"),
        user=user_pb(e.user),
        member_count=e.viewers,
        action=1,
        client_enter_source="homepage_follow-live_cover",
        client_enter_type="click",
    )


def _follow(e: ev.FollowEvent, q: Quirks) -> Encoded:
    method = "WebcastSocialMessage"
    return method, pb.WebcastSocialMessage(
        common=common(e, method, "pm_main_follow_message_viewer_2", "{0:user} followed the host"),
        user=user_pb(e.user),
        action=1,
        follow_count=e.follow_count,
    )


def _share(e: ev.ShareEvent, q: Quirks) -> Encoded:
    method = "WebcastSocialMessage"
    return method, pb.WebcastSocialMessage(
        common=common(e, method, "pm_mt_guidance_share", "{0:user} shared the LIVE"),
        user=user_pb(e.user),
        action=3,
        share_type=1,
        share_target=e.share_target,
        share_count=e.share_count,
    )


def _social(e: ev.SocialEvent, q: Quirks) -> Encoded:
    method = "WebcastSocialMessage"
    return method, pb.WebcastSocialMessage(
        common=common(e, method, e.display_key, "{0:user}"), user=user_pb(e.user)
    )


def _subscribe(e: ev.SubscribeEvent, q: Quirks) -> Encoded:
    method = "WebcastSubNotifyMessage"
    return method, pb.WebcastSubNotifyMessage(
        common=common(e, method), user=user_pb(e.user), sub_month=e.sub_month
    )


def _viewers(e: ev.ViewerCountEvent, q: Quirks) -> Encoded:
    method = "WebcastRoomUserSeqMessage"
    seq = pb.WebcastRoomUserSeqMessage(
        common=common(e, method),
        total=e.viewers,
        total_user=e.total_viewers,
        popularity=e.viewers,
    )
    for top in e.top_viewers:
        seq.ranks.add(score=top.coins, rank=top.rank, user=user_pb(top.user))
    return method, seq


def _question(e: ev.QuestionEvent, q: Quirks) -> Encoded:
    method = "WebcastQuestionNewMessage"
    question = pb.WebcastQuestionNewMessage(common=common(e, method))
    question.data.question_id = e.question_id
    question.data.content = e.text
    question.data.user.CopyFrom(user_pb(e.user))
    return method, question


BATTLE_ACTIONS = {"invite": 1, "started": 4, "finished": 5, "cut_short": 6, "accept": 7}


def _battle(e: ev.BattleEvent, q: Quirks) -> Encoded:
    method = "WebcastLinkMicBattle"
    b = pb.WebcastLinkMicBattle(
        common=common(e, method), battle_id=e.battle_id, action=BATTLE_ACTIONS.get(e.action, 0)
    )
    b.battle_settings.battle_id = e.battle_id
    b.battle_settings.duration = e.duration
    for p in e.participants:
        w = b.anchors_info.add(key=p.user_id)
        w.value.user.user_id = p.user_id
        w.value.user.nick_name = p.nickname
        w.value.user.display_id = p.unique_id
        w.value.user.room_id = p.room_id
    return method, b


ARMIES_REASONS = {"score_update": 1, "battle_end": 2, "keep_alive": 4}


def _battle_points(e: ev.BattlePointsEvent, q: Quirks) -> Encoded:
    method = "WebcastLinkMicArmies"
    a = pb.WebcastLinkMicArmies(
        common=common(e, method),
        battle_id=e.battle_id,
        trigger_reason=ARMIES_REASONS.get(e.reason, 0),
    )
    for score in e.scores:
        a.armies[score.host_id].hostscore = score.points
        a.armies[score.host_id].anchor_id_str = str(score.host_id)
    return method, a


def _emote(e: ev.EmoteEvent, q: Quirks) -> Encoded:
    method = "WebcastEmoteChatMessage"
    em = pb.WebcastEmoteChatMessage(common=common(e, method), user=user_pb(e.user))
    for emote in e.emotes:
        model = em.emote_list.add(emote_id=emote.emote_id)
        if emote.image_url:
            model.image.url_list.append(emote.image_url)
    return method, em


def _envelope(e: ev.EnvelopeEvent, q: Quirks) -> Encoded:
    method = "WebcastEnvelopeMessage"
    env = pb.WebcastEnvelopeMessage(
        common=common(e, method, "live_envelope_sent", "{0:user} sent a treasure chest"),
        display=1,
    )
    info = env.envelope_info
    info.envelope_id = e.envelope_id
    info.business_type = 19 if e.super_fan_box else 1
    info.diamond_count = e.diamonds
    info.people_count = e.people
    info.send_user_name = e.sender_name
    info.send_user_id = str(e.user.id)
    return method, env


def _live_intro(e: ev.LiveIntroEvent, q: Quirks) -> Encoded:
    method = "WebcastLiveIntroMessage"
    return method, pb.WebcastLiveIntroMessage(
        common=common(e, method), user=user_pb(e.user), content=e.text
    )


def _room_message(e: ev.RoomMessageEvent, q: Quirks) -> Encoded:
    method = "WebcastRoomMessage"
    return method, pb.WebcastRoomMessage(common=common(e, method), content=e.text)


def _barrage(e: ev.BarrageEvent, q: Quirks) -> Encoded:
    method = "WebcastBarrageMessage"
    bar = pb.WebcastBarrageMessage(common=common(e, method), user=user_pb(e.user))
    bar.content.key = e.display_key
    bar.content.default_pattern = e.text
    return method, bar


def _control(e: ev.Event, action: int) -> Encoded:
    method = "WebcastControlMessage"
    return method, pb.WebcastControlMessage(common=common(e, method), action=action)


def _stream_paused(e: ev.StreamPausedEvent, q: Quirks) -> Encoded:
    return _control(e, 1)


def _stream_resumed(e: ev.StreamResumedEvent, q: Quirks) -> Encoded:
    return _control(e, 2)


def _stream_ended(e: ev.StreamEndedEvent, q: Quirks) -> Encoded:
    return _control(e, 3 if e.reason == ev.StreamEndReason.HOST else 4)


# event class → its encoder. Lifecycle events (connected, waiting, ...) have no wire form;
# UnknownEvent carries its own method and payload (wire.encode_event).
ENCODERS: dict[type[ev.Event], Callable[[Any, Quirks], Encoded]] = {
    ev.ChatEvent: _chat,
    ev.GiftEvent: _gift,
    ev.LikeEvent: _like,
    ev.JoinEvent: _join,
    ev.FollowEvent: _follow,
    ev.ShareEvent: _share,
    ev.SocialEvent: _social,
    ev.SubscribeEvent: _subscribe,
    ev.ViewerCountEvent: _viewers,
    ev.QuestionEvent: _question,
    ev.BattleEvent: _battle,
    ev.BattlePointsEvent: _battle_points,
    ev.EmoteEvent: _emote,
    ev.EnvelopeEvent: _envelope,
    ev.LiveIntroEvent: _live_intro,
    ev.RoomMessageEvent: _room_message,
    ev.BarrageEvent: _barrage,
    ev.StreamPausedEvent: _stream_paused,
    ev.StreamResumedEvent: _stream_resumed,
    ev.StreamEndedEvent: _stream_ended,
}
