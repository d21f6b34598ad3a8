"""The dashboard as a feature: the web page (livetrigger/web/) fed with every event."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from livetrigger.daemon.features.base import Feature
from livetrigger.rules.explain import Arrival, arrival

if TYPE_CHECKING:
    from livetrigger.daemon.controller import Daemon
    from livetrigger.events import Event
    from livetrigger.rules.engine import Firing
    from livetrigger.web.server import Dashboard as Server

log = logging.getLogger(__name__)


class Dashboard(Feature):
    """Serves the dashboard while the daemon runs (a busy port is logged, not fatal)."""

    name: ClassVar[str] = "dashboard"

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self.server: Server | None = None
        # the verdicts of the event the rules are running, until on_event files them with it
        self._arrival: tuple[Event, Arrival] | None = None

    async def start(self) -> None:
        """Listen on web.host:web.port."""
        from livetrigger.web.server import Dashboard as Server  # noqa: PLC0415 - when asked

        web = self.daemon.config.web
        try:
            self.server = await Server(web, self.daemon.control).__aenter__()
        except OSError as exc:
            log.error(
                "dashboard: cannot listen on %s:%d (%s); running without it",
                web.host,
                web.port,
                exc.strerror or exc,
            )

    def before_rules(self, room: str, event: Event, now: float) -> None:
        """Each rule's verdict as the event finds the rules (cooldowns, counters, the pause):
        kept with the event, so the page shows the verdict of that moment when tapped later."""
        runtime = self.daemon.rooms.get(room)
        if self.server is not None and runtime is not None:
            self._arrival = (event, arrival(runtime.engine, event, now))

    def on_event(self, room: str, event: Event, firings: Sequence[Firing]) -> None:
        """The live feed."""
        taken, self._arrival = self._arrival, None
        if self.server is not None:
            verdicts = taken[1] if taken is not None and taken[0] is event else None
            self.server.on_event(room, event, tuple(f.rule_id for f in firings), verdicts)

    async def stop(self) -> None:
        """Close the page's connections."""
        if self.server is not None:
            await self.server.aclose()
