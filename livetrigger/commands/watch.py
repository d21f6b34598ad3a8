"""``livetrigger watch @user``: print a live room's events, one readable line each;
``livetrigger record @user -o FILE``: the same, and every raw frame into a capture file.
(``info`` is in commands/info.py.)"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from types import FrameType
from typing import IO, Any

import httpx

from livetrigger import events as ev
from livetrigger.errors import LivetriggerError
from livetrigger.settings import RoomSettings, TikTokSettings
from livetrigger.system.logs import setup_logging
from livetrigger.system.trust import http_context
from livetrigger.text.printable import escape_controls, json_line
from livetrigger.webcast.capture import CaptureWriter
from livetrigger.webcast.room import normalise_username
from livetrigger.webcast.scheduler import RoomScheduler

COLOURS = {
    "gift": "35",
    "chat": "36",
    "follow": "32",
    "share": "32",
    "like": "31",
    "stream_ended": "33",
    "connected": "34",
    "disconnected": "34",
}


def room_options(p: argparse.ArgumentParser) -> None:
    """The room to reach and how (watch, record, info)."""
    p.add_argument("user", help="@username, profile URL, or a numeric room id")
    p.add_argument("--base-url", help="one base URL for web, webcast and sign (e.g. a fake room)")
    p.add_argument("--sign-url", help="sign server base URL")
    p.add_argument(
        "--sign-api-key",
        default=os.environ.get("LIVETRIGGER_SIGN_KEY"),
        help="sign server API key (default: $LIVETRIGGER_SIGN_KEY)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log the connection's steps")


def register(sub: Any) -> None:
    w = sub.add_parser("watch", help="print a live room's events as they happen")
    room_options(w)
    w.add_argument("--json", action="store_true", help="JSON lines instead of text")
    w.set_defaults(handler=run_watch)
    r = sub.add_parser(
        "record",
        help="record a live room's raw frames to a capture file",
        description=(
            "Write every raw websocket frame of a live room to a capture file "
            "(docs/capture-format.md), and print each event on stdout as watch does, one "
            "line each. Status and errors go to stderr. Ctrl-C or SIGTERM closes the file whole."
        ),
    )
    room_options(r)
    r.add_argument("-o", "--output", required=True, help="capture file (.jsonl, or .jsonl.gz)")
    r.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="print no line per event (only the capture file is written)",
    )
    r.set_defaults(handler=run_record, json=False)


def line(event: ev.Event, colour: bool) -> str:
    kind = f"{event.kind:<13}"
    if colour and event.kind in COLOURS:
        kind = f"\x1b[{COLOURS[event.kind]}m{kind}\x1b[0m"
    return f"{kind} {summary(event)}".rstrip()  # one event, one line, no escapes


def summary(event: ev.Event) -> str:
    """The event in a few words, on one line, without its kind."""
    u = event.user
    who = f"{u.nickname} (@{u.unique_id})" if u.unique_id else u.nickname
    if isinstance(event, ev.GiftEvent):
        text = (
            f"{who} sent {event.repeat_count}× {event.gift_name} "
            f"[{event.streak.value}, {event.total_diamonds} diamonds]"
        )
    elif isinstance(event, ev.ChatEvent | ev.QuestionEvent):
        text = f"{who}: {event.text}"
    elif isinstance(event, ev.LikeEvent):
        text = f"{who} +{event.count} likes (room total {event.total})"
    elif isinstance(event, ev.ViewerCountEvent):
        text = f"{event.viewers} viewers"
    elif isinstance(event, ev.DisconnectedEvent):
        text = f"disconnected ({event.reason})"
    else:
        text = who
    return escape_controls(text)


def room_target(args: argparse.Namespace) -> tuple[RoomSettings, TikTokSettings]:
    overrides: dict[str, Any] = {}
    if args.base_url:
        overrides.update(web_url=args.base_url, webcast_url=args.base_url, sign_url=args.base_url)
    if args.sign_url:
        overrides["sign_url"] = args.sign_url
    if args.sign_api_key:
        overrides["sign_api_key"] = args.sign_api_key
    settings = TikTokSettings(**overrides)
    if args.user.isdigit():
        return RoomSettings(name=args.user, room_id=int(args.user)), settings
    unique = normalise_username(args.user)
    return RoomSettings(name=unique, unique_id=unique), settings


async def _run(args: argparse.Namespace, out: IO[str], writer: CaptureWriter | None) -> int:
    room, settings = room_target(args)
    colour = out.isatty() and not os.environ.get("NO_COLOR")
    printing = not getattr(args, "quiet", False)
    reader_gone = False
    watching: asyncio.Task[None] | None = None

    def show(event: ev.Event) -> None:
        nonlocal printing, reader_gone
        if not printing:
            return
        try:
            if args.json:
                data = ev.event_to_dict(event)
                out.write(json_line(data, default=str) + "\n")
            else:
                out.write(line(event, colour) + "\n")
            out.flush()
        except OSError:  # the reader went away (`| head`), or the disk is full
            printing = False
            _drop_stdout(out)
            if writer is None:
                assert watching is not None
                reader_gone = True
                watching.cancel()  # printing is all that watch does
            else:
                print(
                    f"stdout closed: no more event lines; still recording to {args.output}",
                    file=sys.stderr,
                )

    def raw(data: bytes, kind: str, at: float) -> None:
        if writer is not None:
            writer.write(data, at, kind)  # type: ignore[arg-type]

    async with httpx.AsyncClient(proxy=settings.proxy, verify=http_context()) as http:
        scheduler = RoomScheduler(
            room,
            settings,
            http=http,
            on_event=show,
            on_raw=raw,
            process_initial_data=True,
            stop_when_blocked=True,
        )
        watching = asyncio.create_task(scheduler.run())
        try:
            await watching
        except asyncio.CancelledError:
            if not reader_gone:
                raise
    return 0


def _drop_stdout(out: IO[str]) -> None:
    """Point a failed stdout at /dev/null, so the interpreter's final flush cannot fail too."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, out.fileno())
        os.close(null)
    except (OSError, ValueError):
        pass


def _main(args: argparse.Namespace, writer: CaptureWriter | None) -> int:
    setup_logging("info" if args.verbose else "warning", "text")
    logging.getLogger("livetrigger.webcast.scheduler").setLevel(logging.INFO)
    try:
        return asyncio.run(_run(args, sys.stdout, writer))
    except LivetriggerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def run_watch(args: argparse.Namespace) -> int:
    return _main(args, None)


def run_record(args: argparse.Namespace) -> int:
    room, _ = room_target(args)
    terminated: list[int] = []

    def on_term(signum: int, frame: FrameType | None) -> None:
        terminated.append(signum)
        raise KeyboardInterrupt

    # SIGTERM (systemd, `kill`) stops like Ctrl-C, so the file is closed whole (a .gz cut
    # mid-stream loses its end), and exits 143 as the other commands stopped by it do
    signal.signal(signal.SIGTERM, on_term)
    with CaptureWriter(args.output, unique_id=room.unique_id, room_id=room.room_id or 0) as writer:
        print(f"recording to {args.output} (Ctrl-C to stop)", file=sys.stderr)
        code = _main(args, writer)
    return 128 + signal.SIGTERM if terminated else code
