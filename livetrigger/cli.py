"""The ``livetrigger`` command line.

Exit codes (docs/cli.md): 0 success; 1 the work failed (invalid config, corrupt input, a room
that could not be joined); 2 usage error or a file that cannot be read; 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from livetrigger import __version__

# Each name is a module in livetrigger.commands exposing register(subparsers).
COMMANDS = (
    "run",
    "demo",
    "check",
    "simulate",
    "replay",
    "watch",
    "fake_room",
    "schema",
    "decode",
    "status",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="livetrigger",
        description="TikTok LIVE events to MQTT, GPIO and webhooks.",
    )
    parser.add_argument("--version", action="version", version=f"livetrigger {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"livetrigger.commands.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        code: int = handler(args)
        sys.stdout.flush()
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # the reader went away (`livetrigger decode x | head`): not an error of ours; point
        # stdout at nothing so the interpreter's final flush does not raise again
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    return code


if __name__ == "__main__":
    sys.exit(main())
