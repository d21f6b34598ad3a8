"""``livetrigger simulate -c CONFIG KIND [options]``: run the real engine on one synthetic
event and print which rules fired and what they would do. No hardware, no network."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from livetrigger import events as ev
from livetrigger.actions.describe import describe
from livetrigger.commands.check import DEFAULT_CONFIG, load_or_report
from livetrigger.rules.engine import Engine, Firing
from livetrigger.rules.explain import explain
from livetrigger.rules.fields import KINDS

# diamonds per unit of a few well-known gifts, so `--gift Rose` needs no --diamonds
KNOWN_GIFTS = {
    "rose": (5655, 1),
    "tiktok": (5269, 1),
    "galaxy": (11046, 1000),
    "lion": (6369, 29999),
}


def register(sub: Any) -> None:
    p = sub.add_parser(
        "simulate",
        help="run the rules on one made-up event and print what would happen",
        description="Example: livetrigger simulate -c config.yaml gift --gift Rose --count 30",
    )
    p.add_argument("-c", "--config", default=DEFAULT_CONFIG)
    p.add_argument("kind", choices=sorted(k for k in KINDS if k != "unknown"))
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
    p.add_argument("--count", type=int, default=1, help="gift repeat count, or likes in the batch")
    p.add_argument("--total", type=int, help="like total of the room")
    p.add_argument("--text", default="", help="chat or question text")
    p.add_argument("--viewers", type=int, default=0)
    p.add_argument(
        "--history", action="store_true", help="the event came in the initial fetch (history)"
    )
    p.add_argument(
        "--explain",
        action="store_true",
        help="say for every rule why it fires or which condition stops it",
    )
    p.set_defaults(handler=run)


def build_event(args: argparse.Namespace, now: float) -> ev.Event:
    role = (
        ev.FollowRole.FRIEND
        if args.friend
        else (ev.FollowRole.FOLLOWER if args.follower else ev.FollowRole.NONE)
    )
    user = ev.User(
        id=abs(hash(args.user)) % 10**12,
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
        gift_id, price = KNOWN_GIFTS.get(args.gift.lower(), (args.gift_id or 0, 1))
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
    now = time.time()
    event = build_event(args, now)
    verdicts = explain(engine, event, now)  # before firing: it reads the counters as they were
    firings = engine.firings(event, now)
    if firings:
        print_firings(firings, sys.stdout)
    else:
        print(f"no rule fired for this {event.kind} event", file=sys.stdout)
    if args.explain:
        print("\nwhy:", file=sys.stdout)
        for v in verdicts:
            print(f"  {v.line()}", file=sys.stdout)
    elif not firings:
        # the --why note: the rules that listen to this kind, and what stopped each
        relevant = [v for v in verdicts if v.decided_by != "kind"]
        if relevant:
            print("why:", file=sys.stdout)
            for v in relevant:
                print(f"  {v.line()}", file=sys.stdout)
        else:
            print(f"why: no rule listens to {event.kind} events", file=sys.stdout)
    return 0
