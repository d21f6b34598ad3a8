"""``livetrigger simulate -c CONFIG KIND [options]``: run the real engine on one made-up
event and print which rules fired and what they would do. No hardware, no network.

``--event``/``--events`` play a sequence instead, with times (``simulate_input.py`` says the
format), on a simulated clock: nothing sleeps, and ``--explain`` shows each rule's verdict as
it stood at each event (cooldowns, rate limits, counters). ``--state`` starts from a daemon's
state directory or a written state."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from livetrigger import events as ev
from livetrigger.actions.describe import describe
from livetrigger.commands.check import DEFAULT_CONFIG, load_or_report
from livetrigger.commands.options import count
from livetrigger.commands.simulate_input import (
    InputError,
    load_state,
    read_sequence,
    timed_events,
    user_id,
)
from livetrigger.commands.watch import summary
from livetrigger.rules.engine import Engine, Firing
from livetrigger.rules.explain import Verdict, explain
from livetrigger.rules.fields import KINDS
from livetrigger.simulator.gifts import known_gift

# also cli.COMMANDS' line, which `livetrigger --help` shows without importing this module
SUMMARY = "run the rules on a made-up event or a timed sequence and print what would happen"
SEQUENCE_HELP = """\
a sequence: --event '{at: 0s, gift: Rose, count: 5}' --event '{at: 10s, follow: bob}' ...,
or --events FILE (- reads stdin), a YAML list of the same:
  - {at: 0s, gift: Rose, count: 5}
  - {at: 10s, follow: bob}
  - {at: 12s, chat: "!light on", user: mia, moderator: true}
  - {at: 1m, like: 15}
`at` is the time from the start (0s, 1.5s, 2m); the kind is a key (gift: NAME, chat: TEXT,
like: COUNT, viewers: N, follow: HANDLE, ...) or kind: NAME; the other keys are the options
below without dashes (user, count, diamonds, moderator, ...). Time is simulated: nothing waits.
Likes add up to the room's total unless `total` is given.

--state starts from a state: a daemon's state directory (daemon.state_dir: its counters and
cooldowns as they are now), or per rule id, times before the first event:
  --state '{calm: {last_fired: 20s ago}, likes_1000: {counter: 950},
            burst: {fired: [50s ago, 5s ago]}, greet: {viewers: {bob: {last_fired: 1m ago}}}}'
"""


def register(sub: Any) -> None:
    p = sub.add_parser(
        "simulate",
        help=SUMMARY,
        description="Examples:\n"
        "  livetrigger simulate -c config.yaml gift --gift Rose --count 30\n"
        "  livetrigger simulate -c config.yaml --explain \\\n"
        "      --event '{at: 0s, follow: bob}' --event '{at: 5s, follow: amy}'\n\n" + SEQUENCE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("-c", "--config", default=DEFAULT_CONFIG)
    p.add_argument(
        "kind",
        nargs="?",
        choices=sorted(k for k in KINDS if k != "unknown"),
        help="the kind of one event (or give a sequence with --event / --events)",
    )
    p.add_argument(
        "--event",
        action="append",
        default=[],
        metavar="YAML",
        help="one event of a sequence, e.g. '{at: 10s, follow: bob}' (repeat it)",
    )
    p.add_argument(
        "--events", metavar="FILE", help="a sequence: a YAML list of events (- reads stdin)"
    )
    p.add_argument(
        "--state",
        metavar="DIR|FILE|YAML",
        help="start from a daemon's state directory, or a state such as "
        "'{calm: {last_fired: 20s ago}}'",
    )
    p.add_argument("--room", help="room name (default: the first room)")
    p.add_argument("--user", default="viewer", help="the @handle of who did it")
    p.add_argument("--nickname")
    p.add_argument("--moderator", action="store_true")
    p.add_argument("--subscriber", action="store_true")
    p.add_argument("--follower", action="store_true")
    p.add_argument("--friend", action="store_true")
    p.add_argument("--gifter-level", type=int, default=0)
    p.add_argument("--top-gifter-rank", type=int)
    p.add_argument("--gift", default="Rose", help="gift name")
    p.add_argument("--gift-id", type=int)
    p.add_argument("--diamonds", type=int, help="diamonds per unit")
    p.add_argument(
        "--count", type=count, default=1, help="gift repeat count, or likes in the batch (≥ 1)"
    )
    p.add_argument("--total", type=int, help="like total of the room")
    p.add_argument("--text", default="", help="chat or question text")
    p.add_argument("--viewers", type=int, default=0)
    p.add_argument(
        "--history", action="store_true", help="the event came in the initial fetch (history)"
    )
    p.add_argument(
        "--explain",
        action="store_true",
        help="say for every rule why it fires or which condition stops it (at each event)",
    )
    p.set_defaults(handler=run)


def build_event(args: argparse.Namespace, now: float) -> ev.Event:
    role = (
        ev.FollowRole.FRIEND
        if args.friend
        else (ev.FollowRole.FOLLOWER if args.follower else ev.FollowRole.NONE)
    )
    user = ev.User(
        id=user_id(args.user),
        unique_id=args.user.lstrip("@"),
        nickname=args.nickname or args.user.lstrip("@"),
        follow_role=role,
        is_moderator=args.moderator,
        is_subscriber=args.subscriber,
        gifter_level=args.gifter_level,
        top_gifter_rank=args.top_gifter_rank,
    )
    common: dict[str, Any] = {
        "user": user,
        "received_at": now,
        "create_time": int(now * 1000),
        "is_history": bool(getattr(args, "history", False)),
    }
    kind = args.kind
    if kind == "gift":
        # the fake room's gifts (the demo's), so `--gift Galaxy` needs no --diamonds
        known = known_gift(args.gift)
        gift_id = known["id"] if known else 0
        price = known["diamond_count"] if known else 1
        price = args.diamonds if args.diamonds is not None else price
        streak = ev.StreakState.END if args.count > 1 else ev.StreakState.SINGLE
        return ev.GiftEvent(
            **common,
            gift_id=args.gift_id or gift_id,
            gift_name=args.gift,
            diamonds=price,
            repeat_count=args.count,
            streak=streak,
            streakable=args.count > 1,
            total_diamonds=price * args.count,
        )
    if kind == "like":
        return ev.LikeEvent(**common, count=args.count, total=args.total or args.count)
    if kind in ("chat", "question"):
        cls: Any = KINDS[kind]
        return cls(**common, text=args.text)  # type: ignore[no-any-return]
    if kind == "viewers":
        return ev.ViewerCountEvent(**common, viewers=args.viewers)
    if kind == "join":
        return ev.JoinEvent(**common, viewers=args.viewers)
    return KINDS[kind](**common)


def print_firings(firings: list[Firing], out: Any, prefix: str = "") -> None:
    for f in firings:
        label = f" (milestone {f.milestone})" if f.milestone is not None else ""
        print(f"{prefix}rule {f.rule_id} fired{label}", file=out)
        for r in f.requests:
            print(f"{prefix}  → {describe(r)}", file=out)


def run(args: argparse.Namespace) -> int:
    sequence = bool(args.event or args.events)
    if sequence == (args.kind is not None):
        print(
            "error: give the kind of one event, or a sequence with --event / --events (not both)",
            file=sys.stderr,
        )
        return 2
    config = load_or_report(args.config)
    if isinstance(config, int):
        return config
    room = config.rooms[0]
    if args.room:
        found = [r for r in config.rooms if r.settings.name == args.room]
        if not found:
            names = ", ".join(r.settings.name for r in config.rooms)
            print(f"error: no room {args.room!r} (rooms: {names})", file=sys.stderr)
            return 2
        room = found[0]
    base = config.mqtt.base_topic if config.mqtt else "livetrigger"
    engine = Engine(room.rules, room=room.settings.name, base_topic=base)
    start = time.time()
    try:
        plan = _plan(args) if sequence else [(0.0, args)]
        if args.state:
            print(load_state(args.state, room.settings.name, engine, start), file=sys.stdout)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not sequence:
        _judge(engine, build_event(args, start), start, args.explain, "")
        return 0
    like_total = 0
    for at, event_args in plan:
        now = start + at
        _release(engine, start, until=now)
        if event_args.kind == "like" and event_args.total is None:
            like_total += event_args.count
            event_args.total = like_total
        event = build_event(event_args, now)
        print(f"at {at:g}s: {event.kind}: {summary(event)}", file=sys.stdout)
        _judge(engine, event, now, args.explain, "  ")
    _release(engine, start, until=None)
    return 0


def _plan(args: argparse.Namespace) -> list[tuple[float, argparse.Namespace]]:
    sources: list[tuple[str, str]] = []
    if args.events:
        name = "stdin" if args.events == "-" else args.events
        try:
            text = sys.stdin.read() if args.events == "-" else Path(args.events).read_text()
        except OSError as exc:
            raise InputError(f"{name}: {exc.strerror or exc}") from None
        sources.append((name, text))
    # one --event is named as such; of several, by its place on the command line
    several = len(args.event) > 1
    sources.extend(
        (f"--event {i}" if several else "--event", text) for i, text in enumerate(args.event, 1)
    )
    return timed_events(read_sequence(sources), args)


def _judge(engine: Engine, event: ev.Event, now: float, explaining: bool, indent: str) -> None:
    """Run one event: what fired, and why (every rule with ``explaining``, else the rules
    that listen to the event when none fired)."""
    out = sys.stdout
    verdicts = explain(engine, event, now)  # before firing: it reads the counters as they were
    firings = engine.firings(event, now)
    if firings:
        print_firings(firings, out, prefix=indent)
    else:
        print(f"{indent}no rule fired for this {event.kind} event", file=out)
    if explaining:
        _why(verdicts, indent, out, blank=not indent)
    elif not firings:
        # the --why note: the rules that listen to this kind, and what stopped each
        relevant = [v for v in verdicts if v.decided_by != "kind"]
        if relevant:
            _why(relevant, indent, out)
        else:
            print(f"{indent}why: no rule listens to {event.kind} events", file=out)


def _why(verdicts: list[Verdict], indent: str, out: Any, blank: bool = False) -> None:
    print(f"{chr(10) if blank else ''}{indent}why:", file=out)
    for v in verdicts:
        print(f"{indent}  {v.line()}", file=out)


def _release(engine: Engine, start: float, until: float | None) -> None:
    """Fire what rate limits queued, at the simulated times they become free (up to
    ``until``; None: all that is left)."""
    while (due := engine.next_due()) is not None and (until is None or due <= until):
        at = max(due, start)
        print(f"at {at - start:g}s: the queue releases", file=sys.stdout)
        print_firings(engine.due(at), sys.stdout, prefix="  ")
