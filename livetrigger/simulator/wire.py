"""Event model → WebCast wire bytes: how the fake live room speaks.

Everything is built with the generated protobuf classes from the protocol facts (field numbers,
badge scenes, streak flags), the way TikTok's servers would send it, so a client test against
these bytes is a protocol test. Tests, benchmarks and the demo build their frames here.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from google.protobuf.message import Message

from livetrigger import events as ev
from livetrigger.webcast._pb import webcast_pb2 as pb

CDN = "https://p16-sign-va.tiktokcdn.example/tos-maliva-avt-0068"


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


def _common(
    event: ev.Event, method: str, display_key: str = "", pattern: str = ""
) -> pb.CommonMessageData:
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


@dataclass(frozen=True, slots=True)
class WireMessage:
    """One inner message: what goes into ``ProtoMessageFetchResult.messages``."""

    method: str
    payload: bytes
    msg_id: int
    is_history: bool = False


def encode_event(event: ev.Event, *, embed_gift: bool = True) -> WireMessage:
    """Encode an event as the message TikTok sends for it.

    Gift streak fields follow the event: ``streakable`` → ``gift.type = 1`` and ``end`` →
    ``repeat_end = 1``. Lifecycle events (connected, waiting, ...) have no wire form.
    """
    m: Message
    if isinstance(event, ev.ChatEvent):
        method = "WebcastChatMessage"
        chat = pb.WebcastChatMessage(
            common=_common(event, method), user=user_pb(event.user), content=event.text
        )
        chat.content_language = event.language
        for mention in event.mentions:
            chat.mention_users.append(user_pb(mention))
            chat.mention_user_list.append(mention.id)
        for emote in event.emotes:
            e = chat.emotes.add(index=emote.index or 0)
            e.emote.emote_id = emote.emote_id
            if emote.image_url:
                e.emote.image.url_list.append(emote.image_url)
        m = chat
    elif isinstance(event, ev.GiftEvent):
        method = "WebcastGiftMessage"
        gift = pb.WebcastGiftMessage(
            common=_common(event, method),
            gift_id=event.gift_id,
            repeat_count=event.repeat_count,
            combo_count=event.repeat_count,
            user=user_pb(event.user),
            repeat_end=1 if event.streak == ev.StreakState.END else 0,
            group_id=event.streak_id,
        )
        if embed_gift:  # TikTok sometimes leaves it out: the gift list has it (§9.8)
            g = gift.gift
            g.id = event.gift_id
            g.name = event.gift_name
            g.diamond_count = event.diamonds
            g.type = 1 if event.streakable else 2
            g.combo = event.streakable
            g.describe = f"sent {event.gift_name}"
            if event.image_url:
                g.image.url_list.append(event.image_url)
        if event.to_user is not None:
            gift.to_user.CopyFrom(user_pb(event.to_user))
        m = gift
    elif isinstance(event, ev.LikeEvent):
        method = "WebcastLikeMessage"
        m = pb.WebcastLikeMessage(
            common=_common(event, method, "pm_mt_msg_viewer", "{0:user} liked the LIVE"),
            user=user_pb(event.user),
            count=event.count,
            total=event.total,
        )
    elif isinstance(event, ev.JoinEvent):
        method = "WebcastMemberMessage"
        m = pb.WebcastMemberMessage(
            common=_common(event, method, "live_room_enter_toast", "{0:user} joined"),
            user=user_pb(event.user),
            member_count=event.viewers,
            action=1,
            client_enter_source="homepage_follow-live_cover",
            client_enter_type="click",
        )
    elif isinstance(event, ev.FollowEvent):
        method = "WebcastSocialMessage"
        m = pb.WebcastSocialMessage(
            common=_common(
                event, method, "pm_main_follow_message_viewer_2", "{0:user} followed the host"
            ),
            user=user_pb(event.user),
            action=1,
            follow_count=event.follow_count,
        )
    elif isinstance(event, ev.ShareEvent):
        method = "WebcastSocialMessage"
        m = pb.WebcastSocialMessage(
            common=_common(event, method, "pm_mt_guidance_share", "{0:user} shared the LIVE"),
            user=user_pb(event.user),
            action=3,
            share_type=1,
            share_target=event.share_target,
            share_count=event.share_count,
        )
    elif isinstance(event, ev.SocialEvent):
        method = "WebcastSocialMessage"
        m = pb.WebcastSocialMessage(
            common=_common(event, method, event.display_key, "{0:user}"),
            user=user_pb(event.user),
        )
    elif isinstance(event, ev.SubscribeEvent):
        method = "WebcastSubNotifyMessage"
        m = pb.WebcastSubNotifyMessage(
            common=_common(event, method), user=user_pb(event.user), sub_month=event.sub_month
        )
    elif isinstance(event, ev.ViewerCountEvent):
        method = "WebcastRoomUserSeqMessage"
        seq = pb.WebcastRoomUserSeqMessage(
            common=_common(event, method),
            total=event.viewers,
            total_user=event.total_viewers,
            popularity=event.viewers,
        )
        for top in event.top_viewers:
            seq.ranks.add(score=top.coins, rank=top.rank, user=user_pb(top.user))
        m = seq
    elif isinstance(event, ev.QuestionEvent):
        method = "WebcastQuestionNewMessage"
        q = pb.WebcastQuestionNewMessage(common=_common(event, method))
        q.data.question_id = event.question_id
        q.data.content = event.text
        q.data.user.CopyFrom(user_pb(event.user))
        m = q
    elif isinstance(event, ev.BattleEvent):
        method = "WebcastLinkMicBattle"
        actions = {"invite": 1, "started": 4, "finished": 5, "cut_short": 6, "accept": 7}
        b = pb.WebcastLinkMicBattle(
            common=_common(event, method),
            battle_id=event.battle_id,
            action=actions.get(event.action, 0),
        )
        b.battle_settings.battle_id = event.battle_id
        b.battle_settings.duration = event.duration
        for p in event.participants:
            w = b.anchors_info.add(key=p.user_id)
            w.value.user.user_id = p.user_id
            w.value.user.nick_name = p.nickname
            w.value.user.display_id = p.unique_id
            w.value.user.room_id = p.room_id
        m = b
    elif isinstance(event, ev.BattlePointsEvent):
        method = "WebcastLinkMicArmies"
        reasons = {"score_update": 1, "battle_end": 2, "keep_alive": 4}
        a = pb.WebcastLinkMicArmies(
            common=_common(event, method),
            battle_id=event.battle_id,
            trigger_reason=reasons.get(event.reason, 0),
        )
        for score in event.scores:
            a.armies[score.host_id].hostscore = score.points
            a.armies[score.host_id].anchor_id_str = str(score.host_id)
        m = a
    elif isinstance(event, ev.EmoteEvent):
        method = "WebcastEmoteChatMessage"
        em = pb.WebcastEmoteChatMessage(common=_common(event, method), user=user_pb(event.user))
        for emote in event.emotes:
            model = em.emote_list.add(emote_id=emote.emote_id)
            if emote.image_url:
                model.image.url_list.append(emote.image_url)
        m = em
    elif isinstance(event, ev.EnvelopeEvent):
        method = "WebcastEnvelopeMessage"
        env = pb.WebcastEnvelopeMessage(
            common=_common(event, method, "live_envelope_sent", "{0:user} sent a treasure chest"),
            display=1,
        )
        info = env.envelope_info
        info.envelope_id = event.envelope_id
        info.business_type = 19 if event.super_fan_box else 1
        info.diamond_count = event.diamonds
        info.people_count = event.people
        info.send_user_name = event.sender_name
        info.send_user_id = str(event.user.id)
        m = env
    elif isinstance(event, ev.LiveIntroEvent):
        method = "WebcastLiveIntroMessage"
        m = pb.WebcastLiveIntroMessage(
            common=_common(event, method), user=user_pb(event.user), content=event.text
        )
    elif isinstance(event, ev.RoomMessageEvent):
        method = "WebcastRoomMessage"
        m = pb.WebcastRoomMessage(common=_common(event, method), content=event.text)
    elif isinstance(event, ev.BarrageEvent):
        method = "WebcastBarrageMessage"
        bar = pb.WebcastBarrageMessage(common=_common(event, method), user=user_pb(event.user))
        bar.content.key = event.display_key
        bar.content.default_pattern = event.text
        m = bar
    elif isinstance(event, ev.StreamPausedEvent | ev.StreamResumedEvent | ev.StreamEndedEvent):
        method = "WebcastControlMessage"
        if isinstance(event, ev.StreamPausedEvent):
            action = 1
        elif isinstance(event, ev.StreamResumedEvent):
            action = 2
        else:
            action = 3 if event.reason == ev.StreamEndReason.HOST else 4
        m = pb.WebcastControlMessage(common=_common(event, method), action=action)
    elif isinstance(event, ev.UnknownEvent):
        return WireMessage(event.method, event.payload, event.msg_id, event.is_history)
    else:
        raise TypeError(f"{type(event).__name__} has no wire form")
    return WireMessage(method, m.SerializeToString(), event.msg_id, event.is_history)


def fetch_result(
    messages: Iterable[WireMessage],
    *,
    cursor: str = "",
    internal_ext: str = "",
    need_ack: bool = False,
    push_server: str = "",
    route_params: dict[str, str] | None = None,
    is_first: bool = False,
    now_ms: int = 0,
) -> pb.ProtoMessageFetchResult:
    result = pb.ProtoMessageFetchResult(
        cursor=cursor,
        internal_ext=internal_ext,
        need_ack=need_ack,
        push_server=push_server,
        is_first=is_first,
        now=now_ms,
        fetch_interval=1000,
        fetch_type=1,
        heartbeat_duration=10_000,
    )
    for msg in messages:
        result.messages.add(
            method=msg.method, payload=msg.payload, msg_id=msg.msg_id, is_history=msg.is_history
        )
    if route_params:
        result.route_params.update(route_params)
    return result


def push_frame(
    result: pb.ProtoMessageFetchResult | bytes,
    *,
    log_id: int = 0,
    seq_id: int = 0,
    compress: bool = False,
    payload_type: str = "msg",
) -> bytes:
    """Wrap a fetch result in a ``WebcastPushFrame``, gzipped (with header) if asked."""
    body = result if isinstance(result, bytes) else result.SerializeToString()
    frame = pb.WebcastPushFrame(
        seq_id=seq_id,
        log_id=log_id,
        service=8888,
        method=8,
        payload_encoding="pb",
        payload_type=payload_type,
    )
    if compress:
        frame.headers.add(key="compress_type", value="gzip")
        frame.payload = gzip.compress(body, compresslevel=6, mtime=0)
    else:
        frame.headers.add(key="compress_type", value="none")
        frame.payload = body
    return frame.SerializeToString()


def frame_of_events(
    events: Sequence[ev.Event],
    *,
    log_id: int = 0,
    compress: bool = False,
    need_ack: bool = False,
    internal_ext: str = "",
) -> bytes:
    """The websocket message carrying ``events`` (a convenience for tests and benchmarks)."""
    result = fetch_result(
        (encode_event(e) for e in events), need_ack=need_ack, internal_ext=internal_ext
    )
    return push_frame(result, log_id=log_id, compress=compress)
