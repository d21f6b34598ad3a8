"""Side by side in one process: livetrigger's decoder, TikTokLive 7.x's, and the upb floor.

    scripts/bench-peer        # creates bench/.venv-peer with tiktoklive 7.0.1, then runs this

The peer is driven through its own receive path: ``WebcastPushFrame().parse`` and
``extract_webcast_response_message`` (what its websocket loop does per message), then
``TikTokLiveClient._parse_webcast_response`` (what turns a fetch result into its events).
Every side gets the same frames from bench/workload.py.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import platform
import sys
import time
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from decode import floor, ours
from rules import make_matching, rules_yaml
from workload import make_frames

from livetrigger.config import load_config_text


def add_minimal_handlers(client: object) -> int:
    """50 handlers in the proportions of bench/rules.py's 50 rules (25 chat, 13 gift, 6 like,
    6 follow/share), each one comparison: the least a peer user's own rules could cost."""
    from TikTokLive.events import CommentEvent, FollowEvent, GiftEvent, LikeEvent, ShareEvent

    hits = [0]
    shapes: list[tuple[type, object]] = []
    for i in range(25):
        word = f"word{i}"
        shapes.append((CommentEvent, lambda e, w=word: w in e.comment.lower()))
    for i in range(13):
        at = 10 + i * 7
        shapes.append((GiftEvent, lambda e, t=at: e.gift.diamond_count * e.repeat_count >= t))
    for i in range(6):
        step = (10 + i * 7) * 1000
        shapes.append((LikeEvent, lambda e, s=step: e.total % s < e.count))
    for i in range(6):
        shapes.append((FollowEvent if i % 2 else ShareEvent, lambda e: e.user is not None))
    for kind, test in shapes:

        def handler(event: object, test: object = test) -> None:
            if test(event):  # type: ignore[operator]
                hits[0] += 1

        client.add_listener(kind, handler)  # type: ignore[attr-defined]  # its on(kind, f) form fails
    return len(shapes)


def peer_rate(
    data: list[bytes], messages: int, repeat: int, handlers: bool = False
) -> tuple[float, int]:
    from TikTokLive import TikTokLiveClient
    from TikTokLive.client.ws.ws_utils import extract_webcast_response_message
    from TikTokLive.proto import WebcastPushFrame

    logging.getLogger("TikTokLive").setLevel(logging.CRITICAL)
    client = TikTokLiveClient(unique_id="bench")
    client._room_id = 1  # what a connected client has
    if handlers:
        add_minimal_handlers(client)

    async def run() -> int:
        produced = 0
        for raw in data:
            frame = WebcastPushFrame().parse(raw)
            result = extract_webcast_response_message(frame, logger=client.logger)
            async for event in client._parse_webcast_response(result):
                produced += 1
                if handlers:  # what the client's own receive loop does with each event
                    client.emit(event.get_type(), event)
        return produced

    best, produced = float("inf"), 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        produced = asyncio.run(run())
        best = min(best, time.perf_counter() - t0)
    return messages / best, produced


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=5_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print(
        f"python {platform.python_version()} on {platform.machine()}; "
        f"protobuf {version('protobuf')}, tiktoklive {version('tiktoklive')}, "
        f"betterproto2 {version('betterproto2')}"
    )
    for compress in (False, True):
        data = make_frames(args.messages, compress=compress)
        floor_rate = 0.0
        for _ in range(args.repeat):
            t = time.perf_counter()
            floor(data)
            floor_rate = max(floor_rate, args.messages / (time.perf_counter() - t))
        o = 0.0
        for _ in range(args.repeat):
            t = time.perf_counter()
            ours(data)
            o = max(o, args.messages / (time.perf_counter() - t))
        p, produced = peer_rate(data, args.messages, args.repeat)
        label = "gzip " if compress else "plain"
        print(
            f"{label}: peer {p:>9,.0f} msg/s ({produced} events emitted) | "
            f"livetrigger {o:>9,.0f} msg/s = {o / p:,.0f}x the peer | "
            f"upb floor {floor_rate:>9,.0f} msg/s = {floor_rate / o:.2f}x ours"
        )
        # matching: the peer with 50 one-comparison handlers against our 50 real rules
        ph, _ = peer_rate(data, args.messages, args.repeat, handlers=True)
        matching = make_matching(load_config_text(rules_yaml(50)).rooms[0].rules)
        om = 0.0
        for _ in range(args.repeat):
            t = time.perf_counter()
            matching(data)
            om = max(om, args.messages / (time.perf_counter() - t))
        print(
            f"{label}: peer + 50 minimal handlers {ph:>9,.0f} msg/s | "
            f"livetrigger + 50 rules {om:>9,.0f} msg/s = {om / ph:,.0f}x the peer"
        )


if __name__ == "__main__":
    main()
