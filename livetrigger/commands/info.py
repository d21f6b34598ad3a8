"""``livetrigger info @user``: look a streamer up (room id, live or not, title, viewers) and
the room's gift catalogue: five cheapest by default, every gift with ``--gifts`` (the ids and
names that ``gift:`` / ``gift_id`` conditions match), one JSON document with ``--json``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

import httpx

from livetrigger.commands.watch import room_options, room_target
from livetrigger.errors import LivetriggerError
from livetrigger.system.logs import setup_logging
from livetrigger.system.trust import http_context
from livetrigger.text.printable import escape_controls, json_line
from livetrigger.webcast.messages.gifts import CatalogueGift
from livetrigger.webcast.room import RoomClient


def register(sub: Any) -> None:
    """Add ``info`` to the command line."""
    p = sub.add_parser(
        "info",
        help="look a streamer up: room id, live or not, title, gift catalogue",
        description=(
            "Look a streamer up: the room id, live or not, the title and viewers when live, "
            "and the room's gift catalogue (the five cheapest; --gifts: every gift, with the "
            "id and name that rules' gift: and gift_id match)."
        ),
    )
    room_options(p)
    p.add_argument(
        "--gifts", action="store_true", help="list every gift: id, diamonds, name (cheapest first)"
    )
    p.add_argument("--json", action="store_true", help="one JSON object, every gift included")
    p.set_defaults(handler=run)


def catalogue_order(gifts: dict[int, CatalogueGift]) -> list[tuple[int, CatalogueGift]]:
    """Cheapest first, then by name and id: the order a reader looks a gift up in."""
    return sorted(
        gifts.items(), key=lambda item: (item[1].diamonds, item[1].name.casefold(), item[0])
    )


async def look_up(args: argparse.Namespace) -> dict[str, Any]:
    """What TikTok says of the streamer; ``room_id`` None when no room is shown (offline)."""
    room, settings = room_target(args)
    found: dict[str, Any] = {"unique_id": room.unique_id or None, "room_id": room.room_id}
    async with httpx.AsyncClient(proxy=settings.proxy, verify=http_context()) as http:
        client = RoomClient(http, settings)
        if room.room_id is None:
            lookup = await client.resolve(room.unique_id)
            found.update(room_id=lookup.room_id, live=lookup.live)
            if lookup.room_id is None:
                return found
        else:
            found["live"] = await client.is_live(room.room_id)
        if found["live"]:
            data = await client.room_info(found["room_id"])
            found.update(title=str(data.get("title", "")), viewers=data.get("user_count"))
        gifts = await client.gift_catalogue(found["room_id"])
        found["gifts"] = [
            {"id": gift_id, "name": g.name, "diamonds": g.diamonds, "streakable": g.streakable}
            for gift_id, g in catalogue_order(gifts)
        ]
    return found


def render(found: dict[str, Any], every_gift: bool) -> str:
    """The look-up as text; every name TikTok sent is escaped (a title is anyone's text)."""
    who = f"@{found['unique_id'] or '?'}"
    if found["room_id"] is None:
        return f"{who}: not live now (TikTok shows no room)"
    lines = [f"{who}: room id {found['room_id']}, {'LIVE' if found['live'] else 'not live'}"]
    if found["live"]:
        viewers = escape_controls(str(found["viewers"])) if found["viewers"] is not None else "?"
        lines.append(f"title: {escape_controls(found['title'])}  viewers: {viewers}")
    gifts = found["gifts"]
    if not every_gift:
        cheapest = ", ".join(
            f"{escape_controls(g['name'])} ({g['diamonds']} 💎)" for g in gifts[:5]
        )
        lines.append(f"{len(gifts)} gifts, e.g. {cheapest} (--gifts lists them all)")
        return "\n".join(lines)
    lines.append(f"{len(gifts)} gifts, cheapest first; (streak): sent in streaks (x5, x30...)")
    width = max((len(str(g["id"])) for g in gifts), default=2)
    lines.append(f"{'id':>{width}}  {'diamonds':>8}  name")
    for g in gifts:
        streak = "  (streak)" if g["streakable"] else ""
        lines.append(
            f"{g['id']:>{width}}  {g['diamonds']:>8}  {escape_controls(g['name'])}{streak}"
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    setup_logging("info" if args.verbose else "warning", "text")
    try:
        found = asyncio.run(look_up(args))
    except LivetriggerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json_line(found) if args.json else render(found, args.gifts))
    return 0
