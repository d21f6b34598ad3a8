"""``livetrigger replay FILE -c CONFIG``: run a recorded stream through the rules (dry run)
and print every firing with its time in the recording."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from livetrigger.commands.check import DEFAULT_CONFIG, load_or_report
from livetrigger.commands.decode import events_of
from livetrigger.commands.options import speed_or_max
from livetrigger.commands.simulate import print_firings
from livetrigger.errors import CaptureError, CaptureFileError, ProtocolError
from livetrigger.rules.engine import Engine
from livetrigger.webcast.capture import open_input, read_input
from livetrigger.webcast.decode import Decoder


def register(sub: Any) -> None:
    p = sub.add_parser("replay", help="run a capture file through the rules (dry run)")
    p.add_argument("file", help="capture file (from `livetrigger record`) or base64 lines")
    p.add_argument("-c", "--config", default=DEFAULT_CONFIG)
    p.add_argument("--room", help="whose rules to use (default: the first room)")
    p.add_argument("--speed", type=speed_or_max, default=None, help="10x, 1x or max (default max)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    config = load_or_report(args.config)
    if isinstance(config, int):
        return config
    room = next((r for r in config.rooms if r.settings.name == args.room), config.rooms[0])
    base = config.mqtt.base_topic if config.mqtt else "livetrigger"
    engine = Engine(room.rules, room=room.settings.name, base_topic=base)
    decoder = Decoder()
    fired = events = 0
    start: float | None = None
    wall = time.monotonic()
    try:
        with open_input(args.file) as stream:
            for record in read_input(stream, args.file):
                if start is None:
                    start = record.received_at
                offset = record.received_at - start
                if args.speed is not None:
                    delay = wall + offset / args.speed - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                try:
                    batch = events_of(record.data, record.kind, decoder, record.received_at)
                except ProtocolError as exc:
                    print(f"{args.file}: skipped a corrupt frame: {exc}", file=sys.stderr)
                    continue
                for event in batch:
                    events += 1
                    firings = engine.firings(event, record.received_at)
                    fired += len(firings)
                    print_firings(firings, sys.stdout, prefix=f"[{offset:8.3f}s] ")
    except CaptureError as exc:
        print(f"livetrigger replay: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, CaptureFileError) else 1
    print(f"replay: {events} events, {fired} firings", file=sys.stderr)
    return 0
