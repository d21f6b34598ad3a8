"""Decompression bombs and oversized frames are rejected without allocating what they promise."""

from __future__ import annotations

import gc
import gzip
import resource
import zlib

import pytest

from livetrigger.errors import FrameTooLargeError, ProtocolError
from livetrigger.webcast import frames
from livetrigger.webcast._pb import webcast_pb2 as pb


def _rss() -> int:
    with open("/proc/self/statm") as f:  # noqa: PTH123
        return int(f.read().split()[1]) * resource.getpagesize()


def _bomb(size: int) -> bytes:
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"\0" * (1 << 20)
    out = [z.compress(chunk) for _ in range(size >> 20)]
    return b"".join(out) + z.flush()


def _frame(payload: bytes, gzip_header: bool = True) -> bytes:
    frame = pb.WebcastPushFrame(payload_type="msg", payload=payload)
    if gzip_header:
        frame.headers.add(key="compress_type", value="gzip")
    return frame.SerializeToString()


def test_quarter_gigabyte_bomb_is_rejected_and_memory_stays_flat() -> None:
    bomb = _frame(_bomb(256 << 20))  # ~250 KB on the wire, 256 MiB inflated
    gc.collect()
    before = _rss()
    for _ in range(20):
        with pytest.raises(FrameTooLargeError):
            frames.decode_ws_message(bomb)
    gc.collect()
    assert _rss() - before < 16 * 1024 * 1024


def test_bomb_without_header_is_caught_by_magic_sniffing() -> None:
    with pytest.raises(FrameTooLargeError):
        frames.decode_ws_message(_frame(_bomb(64 << 20), gzip_header=False), max_inflated=1 << 20)


def test_payload_just_under_the_limit_inflates() -> None:
    result = pb.ProtoMessageFetchResult(cursor="x" * 1000)
    data = _frame(gzip.compress(result.SerializeToString()))
    inbound = frames.decode_ws_message(data, max_inflated=len(result.SerializeToString()))
    assert inbound is not None and inbound.result.cursor == "x" * 1000


def test_oversized_garbage_is_a_protocol_error_not_a_crash() -> None:
    with pytest.raises(ProtocolError):
        frames.decode_ws_message(b"\x42" + b"\xff" * (4 << 20))
