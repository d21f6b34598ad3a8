"""The dashboard as a feature: the web page (livetrigger/web/) fed with every event, and the
stream over time its charts draw (livetrigger/web/series.py), kept across a restart."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from livetrigger.daemon.features.base import Feature
from livetrigger.rules.explain import Arrival, arrival
from livetrigger.web.series import Series

if TYPE_CHECKING:
    from livetrigger.actions import ActionRequest
    from livetrigger.daemon.controller import Daemon
    from livetrigger.daemon.rooms import RoomRuntime
    from livetrigger.events import Event
    from livetrigger.rules.engine import Firing
    from livetrigger.web.server import Dashboard as Server

log = logging.getLogger(__name__)

# the room's document is written up to once a second; its chart needs not be that fresh (a
# SIGKILL loses at most this much of it), and a full one costs ~1-2 ms to encode
SAVE_INTERVAL = 30.0


class Dashboard(Feature):
    """Serves the dashboard while the daemon runs (a busy port is logged, not fatal)."""

    name: ClassVar[str] = "dashboard"

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self.server: Server | None = None
        # the verdicts of the event the rules are running, until on_event files them with it
        self._arrival: tuple[Event, Arrival] | None = None
        self.series = Series()
        self._latency_seen = daemon.event_path.latency.count
        # per room: when its chart was last snapshotted, for which session, and the snapshot
        self._saved: dict[str, tuple[float, tuple[int | None, float | None], Any]] = {}
        self._stopping = False

    async def start(self) -> None:
        """Listen on web.host:web.port."""
        from livetrigger.web.server import Dashboard as Server  # noqa: PLC0415 - when asked

        web = self.daemon.config.web
        try:
            self.server = await Server(web, self.daemon.control, self.series).__aenter__()
        except OSError as exc:
            log.error(
                "dashboard: cannot listen on %s:%d (%s); running without it",
                web.host,
                web.port,
                exc.strerror or exc,
            )

    def before_rules(self, room: str, event: Event, now: float, wall: float) -> None:
        """Each rule's verdict as the event finds the rules (cooldowns, counters, the pause):
        kept with the event, so the page shows the verdict of that moment when tapped later."""
        runtime = self.daemon.rooms.get(room)
        if self.server is not None and runtime is not None:
            self._arrival = (event, arrival(runtime.engine, event, now, wall))

    def on_event(self, room: str, event: Event, firings: Sequence[Firing]) -> None:
        """The live feed, and the charts' counts."""
        taken, self._arrival = self._arrival, None
        self.series.on_event(room, event, time.time())
        if self.server is not None:
            verdicts = taken[1] if taken is not None and taken[0] is event else None
            self.server.on_event(room, event, tuple(f.rule_id for f in firings), verdicts)

    def on_firing(self, room: str, firing: Firing) -> Iterable[ActionRequest]:
        """A firing marked on the charts (also one a queue released later; never a test)."""
        self.series.fired(room, firing.event, firing.rule_id, time.time())
        return ()

    def tick(self, now: float) -> None:
        """The actions' latency since the last tick, and the charts' news for the page."""
        latency = self.daemon.event_path.latency
        done = latency.since(self._latency_seen)
        self._latency_seen = latency.count
        wall = time.time()
        self.series.latencies(done, wall)
        updates = self.series.updates(wall)
        if self.server is not None and updates:
            self.server.push("series", updates)

    def on_room_added(self, runtime: RoomRuntime, *, restore: bool) -> None:
        """A room's chart (already there when the state directory restored it)."""
        self.series.room(runtime.name)

    def on_room_removed(self, room: str) -> None:
        """A removed room's chart goes."""
        self.series.remove(room)
        self._saved.pop(room, None)

    def room_snapshot(self, room: str) -> dict[str, Any] | None:
        """The room's session so far: a restart inside the session keeps its chart. Taken
        anew every SAVE_INTERVAL, for a new or ended session, and at the stop."""
        series = self.series.rooms.get(room)
        if series is None:
            return None
        now, session = time.monotonic(), (series.session, series.ended)
        saved = self._saved.get(room)
        if (
            self._stopping
            or saved is None
            or saved[1] != session
            or now - saved[0] >= SAVE_INTERVAL
        ):
            saved = self._saved[room] = (now, session, series.snapshot())
        snapshot: dict[str, Any] | None = saved[2]
        return snapshot

    def restore_room(self, room: str, data: dict[str, Any]) -> None:
        """Take back the room's session (``ValueError``: the state directory says so)."""
        self.series.room(room).restore(data)

    async def stop(self) -> None:
        """Close the page's connections. The state directory stops after this feature: its
        last write takes every chart as it is now."""
        self._stopping = True
        if self.server is not None:
            await self.server.aclose()
