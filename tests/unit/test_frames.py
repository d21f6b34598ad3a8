"""The frames codec against the constructed vectors of protocol.md §2.5 and bad input."""

from __future__ import annotations

import gzip

import pytest

from livetrigger.errors import FrameDecodeError, FrameTooLargeError
from livetrigger.simulator import wire
from livetrigger.webcast import frames
from livetrigger.webcast._pb import webcast_pb2 as pb

ROOM = 7140000000000000001


def test_heartbeat_matches_vector() -> None:
    assert frames.build_heartbeat(ROOM, 1).hex() == "320270623a026862420c088180a882bb85988b631001"


def test_heartbeat_payload_matches_vector() -> None:
    frame = frames.parse_push_frame(frames.build_heartbeat(ROOM, 1))
    assert frame.payload.hex() == "088180a882bb85988b631001"


def test_enter_room_matches_vector() -> None:
    assert frames.build_enter_room(ROOM).hex() == (
        "320270623a0d696d5f656e7465725f726f6f6d4219088180a882bb85988b63200c2a08"
        "61756469656e63654a0130"
    )


def test_ack_matches_vector() -> None:
    assert frames.build_ack(123456789, "internal_src:dim|seq:1").hex() == (
        "10959aef3a320270623a0361636b4216696e7465726e616c5f7372633a64696d7c7365713a31"
    )


def test_ack_with_empty_internal_ext_sends_dash() -> None:
    assert frames.parse_push_frame(frames.build_ack(5, "")).payload == b"-"


def test_plain_and_gzip_frames_decode_to_the_same_result() -> None:
    result = wire.fetch_result([wire.WireMessage("WebcastChatMessage", b"", 1)], cursor="c1")
    plain = frames.decode_ws_message(wire.push_frame(result, log_id=9))
    zipped = frames.decode_ws_message(wire.push_frame(result, log_id=9, compress=True))
    assert plain is not None and zipped is not None
    assert plain.result == zipped.result == result
    assert plain.log_id == zipped.log_id == 9


def test_gzip_is_sniffed_without_header() -> None:
    result = wire.fetch_result([], cursor="abc")
    frame = pb.WebcastPushFrame(
        payload_type="msg", payload=gzip.compress(result.SerializeToString())
    )
    inbound = frames.decode_ws_message(frame.SerializeToString())
    assert inbound is not None and inbound.result.cursor == "abc"


def test_non_msg_frames_carry_no_events() -> None:
    assert frames.decode_ws_message(frames.build_heartbeat(ROOM, 3)) is None


def test_inflate_rejects_bombs_before_allocating() -> None:
    bomb = gzip.compress(b"\0" * (9 * 1024 * 1024))
    with pytest.raises(FrameTooLargeError):
        frames.inflate(bomb, max_size=8 * 1024 * 1024)


def test_truncated_gzip_is_a_decode_error() -> None:
    data = gzip.compress(b"x" * 1000)[:-12]
    with pytest.raises(FrameDecodeError):
        frames.inflate(data)


def test_garbage_is_a_decode_error() -> None:
    with pytest.raises(FrameDecodeError):
        frames.parse_push_frame(b"\xff\xff\xff\xff")
