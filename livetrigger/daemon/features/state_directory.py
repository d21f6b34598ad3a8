"""The state directory as a feature: each room's source, engine and the features' room state
go into the room's document, written when they change and at once when a SIGKILL right after
must not make something happen twice (a session's start or end, a counter's milestone, what
the source asks for: messages beyond the saved horizon, a streak's timeout end)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING, ClassVar

from livetrigger.daemon.features.base import Feature
from livetrigger.state.directory import FnPart

if TYPE_CHECKING:
    from livetrigger.daemon.controller import Daemon
    from livetrigger.daemon.rooms import RoomRuntime
    from livetrigger.events import Event
    from livetrigger.rules.engine import Firing
    from livetrigger.state.directory import DaemonState

SESSION_KINDS = frozenset({"live", "stream_ended"})


class StateDirectory(Feature):
    """Keeps each room's state in the state directory across restarts."""

    name: ClassVar[str] = "state_directory"

    def __init__(self, daemon: Daemon, state: DaemonState) -> None:
        self.daemon = daemon
        self.state = state
        self._writer: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Every room has taken its saved state: forget it, and start the writer."""
        self.state.started()
        self._writer = asyncio.get_running_loop().create_task(self.state.run(), name="state-writer")

    def hold(self, room: str, event: Event, firings: Sequence[Firing]) -> Awaitable[None] | None:
        """A session's start or end is on disk before its triggers leave."""
        if firings and event.kind in SESSION_KINDS:
            self.state.room_changed(room)
            return self.state.save_now()
        return None

    def on_event(self, room: str, event: Event, firings: Sequence[Firing]) -> None:
        """A counter milestone, a session's start or end go to disk at once: a SIGKILL right
        after must not make them fire again."""
        urgent = event.kind in SESSION_KINDS or any(f.milestone is not None for f in firings)
        self.state.room_changed(room, urgent=urgent)

    def on_state(self, room: str, state: str, detail: str) -> None:
        """A room's connection state is part of its document."""
        self.state.room_changed(room)

    def on_room_added(self, runtime: RoomRuntime, *, restore: bool) -> None:
        """The room's parts take their saved state (at start) and go into its document."""
        state, name, source = self.state, runtime.name, runtime.source
        settings = runtime.config.settings
        follows = f"@{settings.unique_id}" if settings.unique_id else f"room {settings.room_id}"
        state.attach_room(name, follows, load=restore)
        clean = state.clean
        state.add_part(
            name,
            "scheduler",
            FnPart(
                source.snapshot,
                lambda data: source.restore(data, clean_shutdown=clean),
                source.saved,
            ),
        )
        engine = runtime.engine
        # the engine's times are monotonic, which a restart does not keep: on disk they are
        # wall-clock times, converted at the moment of each write and of the restore
        state.add_part(
            name,
            "engine",
            FnPart(
                lambda: engine.snapshot(time.monotonic(), time.time()),
                lambda data: engine.restore(data, time.monotonic(), time.time()),
            ),
        )
        source.before_sign = state.sign_recorded
        if state.enabled:
            source.write_ahead = functools.partial(state.write_room, name)
        for feature in self.daemon.features:
            if type(feature).room_snapshot is not Feature.room_snapshot:
                self._add_feature_part(feature, name)

    def _add_feature_part(self, feature: Feature, room: str) -> None:
        self.state.add_part(
            room,
            feature.name,
            FnPart(
                lambda: feature.room_snapshot(room),
                lambda data: feature.restore_room(room, data),
            ),
        )

    def on_room_removed(self, room: str) -> None:
        """A removed room's document is no longer written."""
        self.state.detach_room(room)

    async def stop(self) -> None:
        """The clean stop: every document, then the mark that says so."""
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
        await self.state.end()  # rooms are still: what is written is exactly where they stopped
