"""``livetrigger run -c CONFIG``: the daemon."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from livetrigger.actions.sinks.pins import NoPinsError
from livetrigger.commands.check import DEFAULT_CONFIG, load_or_report
from livetrigger.daemon import Daemon
from livetrigger.system.logs import setup_logging


def register(sub: Any) -> None:
    p = sub.add_parser("run", help="run the daemon")
    p.add_argument(
        "-c", "--config", default=DEFAULT_CONFIG, help="config file (default %(default)s)"
    )
    p.add_argument(
        "--log-format", choices=("auto", "text", "json"), help="override daemon.log_format"
    )
    p.add_argument(
        "--log-level",
        choices=("debug", "info", "warning", "error"),
        help="override daemon.log_level",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    config = load_or_report(args.config)
    if isinstance(config, int):
        return config
    redactor = setup_logging(
        args.log_level or config.daemon.log_level,
        args.log_format or config.daemon.log_format,
        secrets=config.secrets,
    )
    try:
        return asyncio.run(Daemon(config, redactor=redactor).run())
    except NoPinsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
