"""Playing a show in the fake room: timed steps, each an event to send or an action to take."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from livetrigger import events as ev

if TYPE_CHECKING:
    from livetrigger.simulator.server import FakeLiveRoom

Step = tuple[float, "ev.Event | str"]  # seconds to wait before it, then an event or an action


# what a show's ``do:`` can make the room do (show files list these names too)
ACTIONS: dict[str, Callable[[FakeLiveRoom], Awaitable[None] | None]] = {
    "go_live": lambda room: room.go_live(),
    "go_offline": lambda room: room.go_offline(),
    "end_stream": lambda room: room.end_stream(),
    "vanish": lambda room: room.vanish(),
    "drop": lambda room: room.drop(),
    "stall": lambda room: room.stall(True),
    "resume": lambda room: room.stall(False),
    "fail_check_alive": lambda room: room.fail_check_alive(503),
    "heal_check_alive": lambda room: room.fail_check_alive(None),
}


async def play(
    room: FakeLiveRoom, show: Iterable[Step], speed: float = 1.0, *, fresh: bool = False
) -> None:
    """Run a show in ``room``; ``speed`` divides the waits. ``fresh``: see ``renew``."""
    streaks: dict[int, int] = {}
    for delay, given in show:
        if delay > 0:
            await asyncio.sleep(delay / speed)
        step = renew(room, given, streaks) if fresh and not isinstance(given, str) else given
        if isinstance(step, str):
            action = ACTIONS.get(step)
            if action is None:
                raise ValueError(f"unknown show action {step!r}")
            done = action(room)
            if done is not None:
                await done
        elif isinstance(step, ev.StreamEndedEvent):
            room.go_offline()
            await room.send(step)
        else:
            await room.send(step)


def renew(room: FakeLiveRoom, event: ev.Event, streaks: dict[int, int]) -> ev.Event:
    """The event as a new message of the room's current session: a new message id, this
    session's room id and, for a gift, a new streak id (shared by the steps of one streak,
    ``streaks`` maps them). Played again unchanged, a show would be deduplicated away."""
    renewed = replace(event, msg_id=room.next_msg_id(), room_id=room.room_id)
    if isinstance(renewed, ev.GiftEvent) and renewed.streak_id:
        streak_id = streaks.setdefault(renewed.streak_id, room.next_msg_id())
        renewed = replace(renewed, streak_id=streak_id)
    return renewed
