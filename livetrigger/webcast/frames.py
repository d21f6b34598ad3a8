"""Pure codec for websocket messages: bytes ↔ ``WebcastPushFrame`` ↔ ``ProtoMessageFetchResult``.

Inbound: one websocket binary message → push frame → (gunzip, bounded) → fetch result whose
``messages`` carry the events. Outbound: the three frames a client sends (ACK, heartbeat,
enter-room), byte-for-byte as protocol.md §2.5 describes.

Only ``FrameDecodeError`` and ``FrameTooLargeError`` leave this module: protobuf's parser
raises several exception types on bad input, and they are translated here.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from google.protobuf.message import DecodeError

from livetrigger.errors import FrameDecodeError, FrameTooLargeError
from livetrigger.webcast._pb import webcast_pb2 as pb

DEFAULT_MAX_INFLATED = 8 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b\x08"
LIVE_ID = 12  # constant for every stream (protocol.md §2.5)


@dataclass(frozen=True, slots=True)
class InboundFrame:
    """A decoded ``msg`` frame: the fetch result plus what an ACK needs."""

    log_id: int
    result: pb.ProtoMessageFetchResult


def parse_push_frame(data: bytes) -> pb.WebcastPushFrame:
    """Parse one websocket binary message."""
    frame = pb.WebcastPushFrame()
    try:
        frame.ParseFromString(data)
    except (DecodeError, ValueError, RuntimeError) as exc:  # upb and python backends differ
        raise FrameDecodeError(f"not a WebcastPushFrame ({len(data)} bytes): {exc}") from None
    return frame


def parse_fetch_result(data: bytes) -> pb.ProtoMessageFetchResult:
    """Parse a ``ProtoMessageFetchResult`` (a ``msg`` payload or the signed initial fetch)."""
    result = pb.ProtoMessageFetchResult()
    try:
        result.ParseFromString(data)
    except (DecodeError, ValueError, RuntimeError) as exc:
        raise FrameDecodeError(
            f"not a ProtoMessageFetchResult ({len(data)} bytes): {exc}"
        ) from None
    return result


def header(frame: pb.WebcastPushFrame, key: str) -> str | None:
    for h in frame.headers:
        if h.key == key:
            return h.value
    return None


def inflate(data: bytes, max_size: int = DEFAULT_MAX_INFLATED) -> bytes:
    """Gunzip ``data``, refusing to produce more than ``max_size`` bytes."""
    inflater = zlib.decompressobj(wbits=31)  # 16 + MAX_WBITS: gzip container
    try:
        out = inflater.decompress(data, max_size + 1)
    except zlib.error as exc:
        raise FrameDecodeError(f"corrupt gzip payload ({len(data)} bytes): {exc}") from None
    if len(out) > max_size:
        raise FrameTooLargeError(
            f"payload inflates past {max_size} bytes (from {len(data)} compressed); rejected. "
            "Raise max_frame_size if this room really sends such frames."
        )
    if not inflater.eof:
        raise FrameDecodeError(f"truncated gzip payload ({len(data)} bytes)")
    return out


def frame_payload(frame: pb.WebcastPushFrame, max_inflated: int = DEFAULT_MAX_INFLATED) -> bytes:
    """The frame's payload, gunzipped when the header says so or the gzip magic is present."""
    payload = frame.payload
    compress = header(frame, "compress_type") if frame.headers else None
    if compress == "gzip" or payload[:3] == GZIP_MAGIC:
        return inflate(payload, max_inflated)
    return payload


def decode_ws_message(data: bytes, max_inflated: int = DEFAULT_MAX_INFLATED) -> InboundFrame | None:
    """Websocket message → fetch result, or None for frames that carry no events (hb, ack, ...)."""
    frame = parse_push_frame(data)
    if frame.payload_type != "msg" or not frame.payload:
        return None
    return InboundFrame(frame.log_id, parse_fetch_result(frame_payload(frame, max_inflated)))


# -- what the client sends ------------------------------------------------------------------


def build_ack(log_id: int, internal_ext: str) -> bytes:
    """ACK for a ``msg`` frame whose result had ``need_ack``: echoes its ``internal_ext``."""
    frame = pb.WebcastPushFrame(
        log_id=log_id,
        payload_encoding="pb",
        payload_type="ack",
        payload=(internal_ext or "-").encode(),
    )
    return frame.SerializeToString()


def build_heartbeat(room_id: int, seq: int) -> bytes:
    """Heartbeat frame; ``seq`` starts at 1 and increases per heartbeat."""
    hb = pb.HeartBeatMessage(room_id=room_id, send_packet_seq_id=seq)
    frame = pb.WebcastPushFrame(
        payload_encoding="pb", payload_type="hb", payload=hb.SerializeToString()
    )
    return frame.SerializeToString()


def build_enter_room(room_id: int, enter_unique_id: int = 0) -> bytes:
    """The ``im_enter_room`` frame sent once after the socket opens."""
    enter = pb.WebcastImEnterRoomMessage(
        room_id=room_id,
        live_id=LIVE_ID,
        identity="audience",
        enter_unique_id=enter_unique_id,
        filter_welcome_msg="0",
    )
    frame = pb.WebcastPushFrame(
        payload_encoding="pb", payload_type="im_enter_room", payload=enter.SerializeToString()
    )
    return frame.SerializeToString()


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise ValueError("truncated varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def create_time_of(payload: bytes) -> int:
    """``common.create_time`` (server epoch ms) of any Webcast message, 0 when absent or
    unreadable. Every message type keeps ``common`` in field 1, so no per-type parse."""
    pos = 0
    try:
        while pos < len(payload):
            tag, pos = _varint(payload, pos)
            field, wire = tag >> 3, tag & 7
            if wire == 0:
                _, pos = _varint(payload, pos)
            elif wire == 1:
                pos += 8
            elif wire == 5:
                pos += 4
            elif wire == 2:
                size, pos = _varint(payload, pos)
                if field == 1:
                    return max(pb.CommonView.FromString(payload[pos : pos + size]).create_time, 0)
                pos += size
            else:
                return 0
    except (ValueError, DecodeError):
        return 0
    return 0
