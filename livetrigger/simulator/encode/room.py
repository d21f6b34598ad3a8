"""The room itself: viewer counts, envelopes, intros, room and barrage messages, control."""

from __future__ import annotations

from livetrigger import events as ev
from livetrigger.simulator.encode.common import Encoded, Quirks, common, user_pb
from livetrigger.webcast._pb import webcast_pb2 as pb


def viewers(e: ev.ViewerCountEvent, q: Quirks) -> Encoded:
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


def envelope(e: ev.EnvelopeEvent, q: Quirks) -> Encoded:
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


def live_intro(e: ev.LiveIntroEvent, q: Quirks) -> Encoded:
    method = "WebcastLiveIntroMessage"
    return method, pb.WebcastLiveIntroMessage(
        common=common(e, method), user=user_pb(e.user), content=e.text
    )


def room_message(e: ev.RoomMessageEvent, q: Quirks) -> Encoded:
    method = "WebcastRoomMessage"
    return method, pb.WebcastRoomMessage(common=common(e, method), content=e.text)


def barrage(e: ev.BarrageEvent, q: Quirks) -> Encoded:
    method = "WebcastBarrageMessage"
    bar = pb.WebcastBarrageMessage(common=common(e, method), user=user_pb(e.user))
    bar.content.key = e.display_key
    bar.content.default_pattern = e.text
    return method, bar


def _control(e: ev.Event, action: int) -> Encoded:
    method = "WebcastControlMessage"
    return method, pb.WebcastControlMessage(common=common(e, method), action=action)


def stream_paused(e: ev.StreamPausedEvent, q: Quirks) -> Encoded:
    return _control(e, 1)


def stream_resumed(e: ev.StreamResumedEvent, q: Quirks) -> Encoded:
    return _control(e, 2)


def stream_ended(e: ev.StreamEndedEvent, q: Quirks) -> Encoded:
    return _control(e, 3 if e.reason == ev.StreamEndReason.HOST else 4)
