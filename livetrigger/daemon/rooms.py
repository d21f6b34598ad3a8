"""The rooms a daemon follows: each a source (its live platform's connection) and a rules
engine, running in a task of its own so that one room's failure never stops another."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from livetrigger.rules.engine import Engine

if TYPE_CHECKING:
    from livetrigger.config import RoomConfig
    from livetrigger.events import Event
    from livetrigger.sources import Platform, Source

log = logging.getLogger(__name__)


class RoomRuntime:
    """One followed room: its config, engine, source, event counts and queue timer."""

    def __init__(self, config: RoomConfig, engine: Engine, source: Source) -> None:
        self.config = config
        self.engine = engine
        self.source = source
        self.events: Counter[str] = Counter()
        self.unknown_methods: dict[str, int] = {}  # unknown messages by method (bounded)
        self.task: asyncio.Task[None] | None = None
        self.timer: asyncio.TimerHandle | None = None

    @property
    def name(self) -> str:
        """The room's name in topics, logs and the state directory."""
        return self.config.settings.name

    def cancel(self) -> None:
        """Stop its task and its queued-release timer."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.task is not None:
            self.task.cancel()


class Rooms:
    """The running rooms by name; opens them through the platform and starts their tasks."""

    def __init__(
        self,
        platform: Platform,
        *,
        base_topic: Callable[[], str],
        on_event: Callable[[str, Event], None],
        on_state: Callable[[str, str, str], None],
    ) -> None:
        self.platform = platform
        self._base_topic = base_topic
        self._on_event = on_event
        self._on_state = on_state
        self.by_name: dict[str, RoomRuntime] = {}

    def __iter__(self) -> Iterator[RoomRuntime]:
        return iter(self.by_name.values())

    def get(self, name: str) -> RoomRuntime | None:
        """The room of that name, if it runs."""
        return self.by_name.get(name)

    def open(self, room: RoomConfig, *, paused: bool) -> RoomRuntime:
        """Build a room's engine and source and register it; ``start`` runs it."""
        name = room.settings.name
        engine = Engine(room.rules, room=name, base_topic=self._base_topic())
        engine.paused = paused
        source = self.platform.open(room, lambda event: self._on_event(name, event))
        source.on_state(lambda state, detail: self._on_state(name, state, detail))
        runtime = RoomRuntime(room, engine, source)
        self.by_name[name] = runtime
        return runtime

    def start(self, runtime: RoomRuntime) -> None:
        """Run the room's source in a task of its own."""
        runtime.task = asyncio.get_running_loop().create_task(
            self._run(runtime), name=f"room:{runtime.name}"
        )

    def remove(self, name: str) -> RoomRuntime | None:
        """Stop and forget a room."""
        runtime = self.by_name.pop(name, None)
        if runtime is not None:
            runtime.cancel()
        return runtime

    async def stop_all(self) -> None:
        """Cancel every room and wait until each has stopped."""
        for runtime in self.by_name.values():
            runtime.cancel()
        await asyncio.gather(
            *(r.task for r in self.by_name.values() if r.task), return_exceptions=True
        )

    @staticmethod
    async def _run(runtime: RoomRuntime) -> None:
        try:
            await runtime.source.run()
        except asyncio.CancelledError:
            raise
        except Exception:  # one room's bug must not take the others down
            log.exception("room %s stopped on an unexpected error", runtime.name)
