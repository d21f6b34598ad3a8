"""Playing a show in the fake room: timed steps, each an event to send or an action to take."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
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


async def play(room: FakeLiveRoom, show: Iterable[Step], speed: float = 1.0) -> None:
    """Run a show in ``room``; ``speed`` divides the waits."""
    for delay, step in show:
        if delay > 0:
            await asyncio.sleep(delay / speed)
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
