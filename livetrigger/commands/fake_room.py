"""``livetrigger fake-room``: serve the fake live room on loopback, optionally playing a show
file, so rules can be tried end to end (``run`` with its URLs) without TikTok."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from livetrigger.commands.check import print_problems
from livetrigger.commands.interrupt import run_until_signalled
from livetrigger.commands.options import speed
from livetrigger.errors import ConfigError, ConfigFileError
from livetrigger.simulator.demo_show import demo_show
from livetrigger.simulator.server import FakeLiveRoom
from livetrigger.simulator.shows import load_show


def register(sub: Any) -> None:
    """Add ``fake-room`` to the command line."""
    p = sub.add_parser("fake-room", help="serve a fake live room on 127.0.0.1 (for trying rules)")
    p.add_argument("--show", help="a show file (YAML); default: the demo's show")
    p.add_argument("--http-port", type=int, default=0, help="port of the web/sign endpoints")
    p.add_argument("--ws-port", type=int, default=0, help="port of the websocket push server")
    p.add_argument("--user", default="demo_streamer", help="the streamer's username")
    p.add_argument(
        "--speed", type=speed, default=1.0, help="play the show faster (2 = twice as fast)"
    )
    p.add_argument("--loop", action="store_true", help="play the show again after it ends")
    p.add_argument(
        "--ping-interval",
        type=float,
        default=10.0,
        help="heartbeat interval (s) the push server advertises, as TikTok does (default 10)",
    )
    p.set_defaults(handler=run)


async def _serve(args: argparse.Namespace) -> int:
    async with FakeLiveRoom(
        unique_id=args.user,
        http_port=args.http_port,
        ws_port=args.ws_port,
        ping_interval=args.ping_interval,
    ) as room:
        print(
            f"fake live room @{room.unique_id}: base URL {room.base_url} "
            f"(tiktok: web_url, webcast_url and sign_url), push server {room.push_url}",
            flush=True,
        )
        steps = load_show(args.show) if args.show else list(demo_show())
        while True:
            # after a pass that ended the stream: a client of the new session
            client = await room.wait_for_client(timeout=10**9, room_id=room.room_id)
            print(f"client connected ({client.ws.remote_address}); playing the show", flush=True)
            # new message ids on every pass: a client drops messages it has seen
            await room.play(steps, speed=args.speed, fresh=True)
            if not args.loop:
                await asyncio.sleep(1)
                return 0
            room.go_live()


def run(args: argparse.Namespace) -> int:
    """Serve the room until the show ends (``--loop``: until SIGINT or SIGTERM)."""
    try:
        if args.show:
            load_show(args.show)  # report a broken show before serving
        return run_until_signalled(_serve(args))
    except ConfigError as exc:
        print_problems(exc)
        return 2 if isinstance(exc, ConfigFileError) else 1
    except KeyboardInterrupt:
        return 130
    except OSError as exc:  # a port in use, a host that is not ours
        print(
            f"livetrigger fake-room: cannot listen ({exc.strerror or exc}); pick other ports "
            "with --http-port/--ws-port, or 0 for any free one",
            file=sys.stderr,
        )
        return 2
    finally:
        sys.stdout.flush()
