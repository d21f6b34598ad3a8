"""``livetrigger decode FILE``: capture or base64 lines → JSON lines of events."""

from __future__ import annotations

import argparse
import sys

from livetrigger.errors import CaptureError, CaptureFileError, ProtocolError
from livetrigger.events import Event, UnknownEvent, event_to_dict
from livetrigger.text.printable import escape_controls, json_line
from livetrigger.webcast import frames
from livetrigger.webcast.capture import open_input, read_input
from livetrigger.webcast.decode import Decoder


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "decode",
        help="print the events in a capture file or in base64 websocket frames, as JSON lines",
        description=(
            "Reads a livetrigger capture file, or text with one base64-encoded websocket binary "
            "message per line (copy a frame from your browser's devtools), and prints one JSON "
            "object per event. Use - for stdin."
        ),
    )
    p.add_argument("file", help="capture file, base64 text file, or - for stdin")
    p.add_argument("--raw", action="store_true", help="also print unknown and undecodable messages")
    p.set_defaults(handler=run)


def events_of(data: bytes, kind: str, decoder: Decoder, received_at: float) -> list[Event]:
    if kind == "fetch":
        return decoder.decode_result(frames.parse_fetch_result(data), received_at)
    inbound = frames.decode_ws_message(data)
    if inbound is None:
        # a pasted line may be a bare fetch result rather than a push frame
        result = frames.parse_fetch_result(data)
        return decoder.decode_result(result, received_at) if result.messages else []
    return decoder.decode_result(inbound.result, received_at)


def run(args: argparse.Namespace) -> int:
    decoder = Decoder()
    bad = printed = 0
    out = sys.stdout
    try:
        with open_input(args.file) as stream:
            for n, record in enumerate(read_input(stream, args.file), start=1):
                try:
                    events = events_of(record.data, record.kind, decoder, record.received_at)
                except ProtocolError as exc:
                    bad += 1
                    print(f"{args.file}: record {n}: {exc}", file=sys.stderr)
                    continue
                for event in events:
                    if isinstance(event, UnknownEvent) and not args.raw:
                        continue
                    d = event_to_dict(event, include_payload=args.raw)
                    out.write(json_line(d) + "\n")
                    printed += 1
    except CaptureError as exc:
        print(f"livetrigger decode: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, CaptureFileError) else 1
    s = decoder.stats
    if s.unknown or s.failed or bad:
        print(
            f"decode: {printed} events; {s.unknown} unknown, {s.failed} undecodable messages, "
            f"{bad} corrupt frames (use --raw to see unknown ones)",
            file=sys.stderr,
        )
    if s.unknown_by_method:
        top = sorted(s.unknown_by_method.items(), key=lambda kv: (-kv[1], kv[0]))
        print(
            "decode: unknown by method: " + ", ".join(f"{escape_controls(m)} {n}" for m, n in top),
            file=sys.stderr,
        )
    return 1 if bad else 0
