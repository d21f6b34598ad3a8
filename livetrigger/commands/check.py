"""``livetrigger check [CONFIG]``: validate a config and show what it will do."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from livetrigger.config import Config, ConfigFileError, load_config
from livetrigger.config.durations import format_duration
from livetrigger.errors import ConfigError
from livetrigger.rules.explain import traps

DEFAULT_CONFIG = "/etc/livetrigger/config.yaml"


def register(sub: Any) -> None:
    p = sub.add_parser("check", help="validate a config file and list its rooms, rules and actions")
    p.add_argument(
        "config", nargs="?", default=DEFAULT_CONFIG, help="config file (default %(default)s)"
    )
    p.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    p.set_defaults(handler=run)


def load_or_report(path: str) -> Config | int:
    """The config, or the exit code after printing every problem (2: unreadable, 1: invalid)."""
    try:
        return load_config(path)
    except ConfigFileError as exc:
        print_problems(exc)
        return 2
    except ConfigError as exc:
        print_problems(exc)
        return 1


def print_problems(exc: ConfigError) -> None:
    print(f"error: {exc}", file=sys.stderr)
    if len(exc.problems) > 1 or exc.problems[0] != str(exc):
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    config = load_or_report(args.config)
    if isinstance(config, int):
        return config
    seen: set[str] = set()
    for room in config.rooms:
        for rule in room.rules:
            for warning in traps(rule):
                if warning not in seen:  # a shared rule is in every room
                    seen.add(warning)
                    print(f"warning: {args.config}: {warning}", file=sys.stderr)
    if args.quiet:
        return 0
    out = sys.stdout
    print(f"{args.config}: OK", file=out)
    targets = []
    if config.mqtt:
        targets.append(
            f"mqtt {config.mqtt.host}:{config.mqtt.port} (base {config.mqtt.base_topic})"
        )
    for o in config.gpio.outputs:
        limits = ", ".join(
            x
            for x in (
                f"max_on {format_duration(o.max_on)}" if o.max_on else "",
                f"min_off {format_duration(o.min_off)}" if o.min_off else "",
                f"{o.max_per_minute}/min" if o.max_per_minute else "",
            )
            if x
        )
        targets.append(f"gpio {o.name}: pin {o.pin} {o.kind}" + (f" ({limits})" if limits else ""))
    for w in config.webhooks:
        targets.append(f"webhook {w.name}: {w.method}" + (" signed" if w.secret else ""))
    for d in config.devices:
        s = d.settings
        where = " ".join(
            f"{k} {getattr(s, k)}"
            for k in (
                "host",
                "destination",
                "bridge",
                "port",
                "universe",
                "light",
                "group",
                "scene",
            )
            if getattr(s, k, None) is not None
        )
        rate = f" ({s.max_per_minute}/min)" if s.max_per_minute else ""
        targets.append(f"device {d.name}: {d.kind} {where or 'default'}{rate}".rstrip())
    print("\ntargets:", file=out)
    for t in targets or ["(none)"]:
        print(f"  {t}", file=out)
    for room in config.rooms:
        s = room.settings
        who = f"@{s.unique_id}" if s.unique_id else f"room id {s.room_id}"
        n = len(room.rules)
        print(f"\nroom {s.name} ({who}): {n} rule{'s' * (n != 1)}", file=out)
        width = max((len(r.id) for r in room.rules), default=4)
        for rule in room.rules:
            on = ",".join(sorted(rule.kinds))
            state = "" if rule.enabled else " [disabled]"
            print(f"  {rule.id:<{width}}  on {on}{state}", file=out)
            if rule.description:
                print(f"  {'':<{width}}    {rule.description}", file=out)
            for action in rule.actions:
                print(f"  {'':<{width}}    → {action.target_hint}", file=out)
    return 0
