"""The feature seam: something that hears every event and state change besides the rules.

Home Assistant, the dashboard, the state directory, the MQTT event stream and metrics are
features. The daemon keeps a list of the enabled ones (``livetrigger.daemon.features.FEATURES``
decides which) and calls each at the points below, in list order; a feature overrides only
the hooks it needs. Every hook runs on the event loop and must not block it.

Order on the hot path, per event: ``before_rules`` (all features), the rules, ``hold`` (all
features), then the firings are submitted (``on_firing`` per firing), then ``on_event``. A
feature that must have something done before an event's triggers leave (the state directory
saves a stream's start or end first, so a kill in between cannot start the session twice)
returns an awaitable from ``hold``: the firings are submitted when every such awaitable is
done.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

if TYPE_CHECKING:
    from livetrigger.actions import ActionRequest
    from livetrigger.config import Config
    from livetrigger.daemon.rooms import RoomRuntime
    from livetrigger.events import Event
    from livetrigger.rules.engine import Firing


class Feature(Protocol):
    """One feature of the daemon; subclass it and override the hooks it needs."""

    name: ClassVar[str]

    async def start(self) -> None:
        """Begin: after the sinks and rooms exist, before the daemon says it is ready."""
        return

    def before_rules(self, room: str, event: Event, now: float, wall: float) -> None:
        """The rules are about to run ``event`` at ``now`` (the engine's clock: monotonic),
        ``wall`` on the wall clock: the last moment to read their state as the event found
        it. Keep it cheap."""
        return

    def hold(self, room: str, event: Event, firings: Sequence[Firing]) -> Awaitable[None] | None:
        """Something the event's firings must wait for, or None (the usual case)."""
        return None

    def on_firing(self, room: str, firing: Firing) -> Iterable[ActionRequest]:
        """A rule fired (not a test): extra requests to queue with it (a device trigger)."""
        return ()

    def on_event(self, room: str, event: Event, firings: Sequence[Firing]) -> None:
        """An event was handled; ``firings`` are what it fired (already queued)."""
        return

    def on_state(self, room: str, state: str, detail: str) -> None:
        """A room's connection changed state (waiting, connecting, connected, ...)."""
        return

    def on_room_added(self, runtime: RoomRuntime, *, restore: bool) -> None:
        """A room was added (at start with ``restore``, or by a reload)."""
        return

    def on_room_removed(self, room: str) -> None:
        """A room was removed by a reload."""
        return

    def on_reloaded(self, config: Config) -> None:
        """A reload was applied; ``config`` is the daemon's config now."""
        return

    def tick(self, now: float) -> None:
        """Once a second (``now`` is monotonic): rate-limited work."""
        return

    def room_snapshot(self, room: str) -> dict[str, Any] | None:
        """What of this room must outlive a restart (None: nothing)."""
        return None

    def restore_room(self, room: str, data: dict[str, Any]) -> None:
        """Take back what ``room_snapshot`` gave, at start."""
        return

    async def stop(self) -> None:
        """End: after the rooms have stopped, before the queues are drained."""
        return
