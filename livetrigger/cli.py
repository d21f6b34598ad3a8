"""The ``livetrigger`` command line.

Exit codes (docs/cli.md): 0 success; 1 the work failed (invalid config, corrupt input, a room
that could not be joined); 2 usage error or a file that cannot be read; 130 Ctrl-C; 143 SIGTERM
(or the signal's own end); ``run`` exits 0 when a signal stops it: its normal stop.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from livetrigger import __version__

# command → (module in livetrigger.commands exposing register(subparsers), one-line help).
# Only the module of the command being run is imported: `livetrigger --version` and `status`
# do not pay for the config models, the rules compiler or the network stack.
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("run", "run the daemon"),
    "demo": ("demo", "watch the example rules fire on a built-in fake live room"),
    "init": ("init", "write a commented starter config, the example and the schema"),
    "check": ("check", "validate a config file and list its rooms, rules and actions"),
    "simulate": (
        "simulate",
        "run the rules on a made-up event or a timed sequence and print what would happen",
    ),
    "replay": ("replay", "run a capture file through the rules (dry run)"),
    "watch": ("watch", "print a live room's events as they happen"),
    "record": ("watch", "record a live room's raw frames to a capture file"),
    "info": ("info", "look a streamer up: room id, live or not, title, gift catalogue"),
    "fake-room": ("fake_room", "serve a fake live room on 127.0.0.1 (for trying rules)"),
    "schema": ("schema", "print the JSON Schema of the config file"),
    "decode": ("decode", "print the events in a capture file or base64 websocket frames"),
    "status": ("status", "show what the running daemon is doing"),
    "hue-pair": ("hue_pair", "pair with a Hue bridge: press its button, run this, get a key file"),
    "install-service": ("install_service", "install livetrigger as a systemd service (as root)"),
}


def _chosen(argv: Sequence[str]) -> str | None:
    """The command word, if the arguments name one (the first argument not an option)."""
    for arg in argv:
        if not arg.startswith("-"):
            return arg if arg in COMMANDS else None
    return None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; with ``argv``, only the named command's module is imported (the others
    appear in the help by name), without it every command is fully registered."""
    parser = argparse.ArgumentParser(
        prog="livetrigger",
        description="TikTok LIVE events to MQTT, GPIO, webhooks, lights, DMX, OSC, OBS and sound.",
    )
    parser.add_argument("--version", action="version", version=f"livetrigger {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = _chosen(argv) if argv is not None else None
    modules = (
        {COMMANDS[chosen][0]}
        if chosen is not None
        else ({m for m, _ in COMMANDS.values()} if argv is None else set())
    )
    registered: set[str] = set()
    for module in dict.fromkeys(m for m, _ in COMMANDS.values()):
        if module in modules:
            importlib.import_module(f"livetrigger.commands.{module}").register(sub)
            registered |= {name for name, (m, _) in COMMANDS.items() if m == module}
    for name, (_, help_text) in COMMANDS.items():
        if name not in registered:
            sub.add_parser(name, help=help_text)  # listed in --help; loaded when used
    # argparse lists subcommands in the order they were added: keep the table's order
    sub._choices_actions.sort(key=lambda a: list(COMMANDS).index(a.dest))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    if _chosen(given) == "run":
        from livetrigger.system import early_signals  # noqa: PLC0415

        early_signals.catch()  # before the imports and the config: a stop now is clean too
    try:
        return _main(given)
    except KeyboardInterrupt:  # also while the command's modules load: a second on a Pi
        return 130


def _main(given: list[str]) -> int:
    parser = build_parser(given)
    args = parser.parse_args(given)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        code: int = handler(args)
        sys.stdout.flush()
    except BrokenPipeError:
        # the reader went away (`livetrigger decode x | head`): not an error of ours; point
        # stdout at nothing so the interpreter's final flush does not raise again
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    return code


if __name__ == "__main__":
    sys.exit(main())
