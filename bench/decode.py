"""Decode throughput: raw websocket messages → typed events, against the upb parse floor.

    .venv/bin/python bench/decode.py [--messages 20000] [--repeat 5]

The floor parses exactly the same bytes with protobuf alone (push frame, gunzip, fetch result,
every inner message with its class) and builds nothing. Figures go to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from google.protobuf import __version__ as pb_version
from google.protobuf.internal import api_implementation
from workload import make_frames

from livetrigger.events import EVENT_TYPES
from livetrigger.webcast import frames
from livetrigger.webcast._pb import webcast_pb2 as pb
from livetrigger.webcast.decode import Decoder

FIELDS = {cls: [f.name for f in dataclasses.fields(cls)] for cls in EVENT_TYPES}
CLASSES = {
    "WebcastChatMessage": pb.WebcastChatMessage,
    "WebcastLikeMessage": pb.WebcastLikeMessage,
    "WebcastMemberMessage": pb.WebcastMemberMessage,
    "WebcastGiftMessage": pb.WebcastGiftMessage,
    "WebcastRoomUserSeqMessage": pb.WebcastRoomUserSeqMessage,
}


def floor(data: list[bytes]) -> int:
    n = 0
    for raw in data:
        frame = pb.WebcastPushFrame.FromString(raw)
        payload = frame.payload
        if payload[:3] == b"\x1f\x8b\x08":
            payload = frames.inflate(payload)
        result = pb.ProtoMessageFetchResult.FromString(payload)
        for m in result.messages:
            CLASSES[m.method].FromString(m.payload)
            n += 1
    return n


def ours(data: list[bytes]) -> int:
    decoder = Decoder()
    n = 0
    for raw in data:
        inbound = frames.decode_ws_message(raw)
        assert inbound is not None
        n += len(decoder.decode_result(inbound.result, 0.0))
    return n


def ours_every_field(data: list[bytes]) -> int:
    """As ``ours``, then reads every field of every event: the cost when rules read it all."""
    decoder = Decoder()
    n = 0
    for raw in data:
        inbound = frames.decode_ws_message(raw)
        assert inbound is not None
        for event in decoder.decode_result(inbound.result, 0.0):
            for name in FIELDS[type(event)]:
                getattr(event, name)
            n += 1
    return n


def best_rate(fn, data: list[bytes], messages: int, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        got = fn(data)
        best = min(best, time.perf_counter() - t0)
        assert got == messages, (fn.__name__, got, messages)
    return messages / best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    print(
        f"python {platform.python_version()} protobuf {pb_version} "
        f"({api_implementation.Type()}) on {platform.machine()} {platform.processor() or ''}"
    )
    for compress in (False, True):
        data = make_frames(args.messages, compress=compress)
        f = best_rate(floor, data, args.messages, args.repeat)
        o = best_rate(ours, data, args.messages, args.repeat)
        a = best_rate(ours_every_field, data, args.messages, args.repeat)
        label = "gzip " if compress else "plain"
        print(
            f"{label}: upb floor {f:>9,.0f} msg/s | livetrigger {o:>9,.0f} msg/s "
            f"(floor/ours {f / o:.2f}x) | every field read {a:>9,.0f} msg/s "
            f"(floor/that {f / a:.2f}x)"
        )


if __name__ == "__main__":
    main()
