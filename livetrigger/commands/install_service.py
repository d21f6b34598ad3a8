"""``livetrigger install-service``: the system user, /etc/livetrigger, the hardened unit."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from livetrigger.commands import init
from livetrigger.system.service_install import Installer, InstallError, default_program


def register(sub: Any) -> None:
    p = sub.add_parser(
        "install-service",
        help="install livetrigger as a systemd service (user, config, unit); as root",
        description=(
            "Make the livetrigger system user (in the gpio group where there is one), "
            "/etc/livetrigger with a starter config (an existing one is kept) and an "
            "environment file at 0600, the state and runtime directories, and the hardened "
            "unit, enabled. Safe to run again: it changes only what differs."
        ),
    )
    p.add_argument(
        "--root",
        default="/",
        help="install under this directory (default /); one without etc/passwd is a staging "
        "tree whose user is made at first boot (docs/raspberry-pi.md)",
    )
    p.add_argument("--dry-run", action="store_true", help="say what would change, change nothing")
    p.add_argument(
        "--exec",
        dest="program",
        help="the livetrigger program the service runs (default: this one)",
    )
    p.add_argument(
        "--uninstall",
        action="store_true",
        help="stop and remove the service; keep the config, secrets, state and user",
    )
    p.set_defaults(handler=run)


def _say(line: str) -> None:
    """Print a step; once the reader has gone (`install-service | head`), stop printing but
    never stop installing: a half-made install is worse than an unread report."""
    if sys.stdout.closed:
        return
    try:
        print(line, flush=True)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # the final flush must not raise again


def run(args: argparse.Namespace) -> int:
    root = Path(args.root).resolve()
    if os.geteuid() != 0 and not args.dry_run:
        print("error: install-service changes system files: run it as root (sudo)", file=sys.stderr)
        return 2
    if not root.is_dir():
        print(f"error: --root {args.root}: no such directory", file=sys.stderr)
        return 2
    installer = Installer(
        root=root, program=args.program or default_program(), dry_run=args.dry_run, say=_say
    )
    try:
        if args.uninstall:
            installer.uninstall()
        else:
            installer.install(
                starter_config=init.starter_text(),
                example=init.example_text(),
                schema=init.schema_text(),
            )
    except InstallError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {exc.filename or root}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0
