"""The sans-I/O session, with time passed in: enter-room, heartbeats, ACKs, stream end."""

from __future__ import annotations

from livetrigger import events as ev
from livetrigger.settings import SignBudget
from livetrigger.simulator import wire
from livetrigger.webcast._pb import webcast_pb2 as pb
from livetrigger.webcast.decode import Decoder
from livetrigger.webcast.retry import Backoff, SignQuota, retry_after_seconds
from livetrigger.webcast.session import Session

ROOM = 7140000000000000001


def kinds(frames: list[bytes]) -> list[str]:
    out = []
    for data in frames:
        f = pb.WebcastPushFrame()
        f.ParseFromString(data)
        out.append(f.payload_type)
    return out


def test_enter_room_first_then_heartbeats_with_increasing_sequence() -> None:
    s = Session(ROOM, Decoder(), heartbeat_interval=10)
    assert s.frames_to_send(0) == []  # nothing before the socket opens
    s.opened(100.0)
    assert kinds(s.frames_to_send(100.0)) == ["im_enter_room"]
    assert s.frames_to_send(105.0) == []
    assert s.next_deadline() == 110.0
    seqs = []
    for t in (110.0, 120.0, 130.0):
        (hb,) = s.frames_to_send(t)
        f = pb.WebcastPushFrame()
        f.ParseFromString(hb)
        m = pb.HeartBeatMessage()
        m.ParseFromString(f.payload)
        seqs.append(m.send_packet_seq_id)
    assert seqs == [1, 2, 3]


def test_ack_only_when_asked_and_carries_internal_ext() -> None:
    s = Session(ROOM, Decoder())
    s.opened(0)
    s.frames_to_send(0)
    chat = wire.encode_event(ev.ChatEvent(msg_id=1, text="hi"))
    frame = wire.push_frame(
        wire.fetch_result([chat], need_ack=True, internal_ext="ext:1"), log_id=77
    )
    events = s.receive(frame, 1.0, 1.0)
    assert [e.kind for e in events] == ["chat"]
    (ack,) = s.frames_to_send(1.0)
    f = pb.WebcastPushFrame()
    f.ParseFromString(ack)
    assert (f.payload_type, f.log_id, f.payload) == ("ack", 77, b"ext:1")
    plain = wire.push_frame(wire.fetch_result([wire.encode_event(ev.ChatEvent(msg_id=2))]))
    s.receive(plain, 2.0, 2.0)
    assert s.frames_to_send(2.0) == []
    assert s.internal_ext == "ext:1"


def test_stream_end_is_classified() -> None:
    s = Session(ROOM, Decoder())
    s.opened(0)
    end = wire.encode_event(ev.StreamEndedEvent(msg_id=3))
    s.receive(wire.push_frame(wire.fetch_result([end])), 1, 1)
    assert s.ended


def test_corrupt_frame_is_counted_not_raised_and_stall_uses_last_frame() -> None:
    s = Session(ROOM, Decoder())
    s.opened(0)
    assert s.receive(b"\xff\xff\xff", 5.0, 5.0) == []
    assert s.corrupt_frames == 1
    assert not s.stalled(30.0, 30.0)
    assert s.stalled(35.1, 30.0)


def test_backoff_doubles_with_jitter_and_caps() -> None:
    import random  # noqa: PLC0415

    b = Backoff(1.0, 8.0, rng=random.Random(3))
    delays = [b.next() for _ in range(6)]
    for d, cap in zip(delays, (1, 2, 4, 8, 8, 8), strict=True):
        assert cap / 2 <= d <= cap
    b.reset()
    assert b.next() <= 1.0


def test_sign_quota_windows() -> None:
    q = SignQuota(SignBudget(per_minute=2, per_hour=3, per_day=4))
    q.record(0)
    q.record(1)
    assert q.next_allowed(2) == 60
    q.record(60)
    assert q.next_allowed(61) == 3600
    assert q.left_today(61) == 1


def test_retry_after_headers() -> None:
    assert retry_after_seconds({"Retry-After": "7"}, 0) == 7
    assert retry_after_seconds({"x-ratelimit-reset": "2000000000"}, 1999999990) == 10
    assert retry_after_seconds({}, 0) is None
