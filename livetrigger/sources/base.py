"""The live-platform seam: a ``Platform`` opens one ``Source`` per configured room.

A source connects to its room, reconnects after drops, and hands every message to the daemon
as a typed event (``livetrigger.events``); it reports where it stands (``waiting``,
``connecting``, ``connected``, ``reconnecting``, ...) through its state listener. It never
raises network errors out of ``run``: one room's trouble never stops another.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from livetrigger.config import Config, RoomConfig
    from livetrigger.events import Event

EventListener = Callable[["Event"], None]
StateListener = Callable[[str, str], None]  # (state, detail)


class Source(Protocol):
    """One room on a live platform, from connecting to the last event."""

    process_initial_data: bool
    before_sign: Callable[[], Awaitable[None]] | None
    # saves the room's state; a source awaits it before acting on what a SIGKILL right after
    # must not let the next process act on again (None: nothing is saved)
    write_ahead: Callable[[], Awaitable[None]] | None

    @property
    def state(self) -> str:
        """Where the connection stands: waiting, connecting, connected, reconnecting, ..."""
        ...

    @property
    def state_reason(self) -> str:
        """Why it is in that state, in words (empty when nothing to say)."""
        ...

    @property
    def room_id(self) -> int | None:
        """The platform's id of the room, once known."""
        ...

    def on_state(self, listener: StateListener) -> None:
        """Call ``listener(state, detail)`` at every change of state."""
        ...

    async def run(self) -> None:
        """Follow the room until cancelled; never raises network errors."""
        ...

    def reconnect_now(self) -> None:
        """Drop the connection and connect again at once (a user's button)."""
        ...

    async def send_chat(self, text: str) -> None:
        """Post a chat message in the room, where the platform allows it."""
        ...

    def stats(self) -> dict[str, int]:
        """Counters for `status` and metrics (reconnects, sign requests, ...)."""
        ...

    def snapshot(self) -> dict[str, Any]:
        """What must outlive a restart (dedupe window, open streaks, ...)."""
        ...

    def saved(self, data: dict[str, Any]) -> None:
        """This ``snapshot`` is on disk now."""
        ...

    def restore(self, data: dict[str, Any], *, clean_shutdown: bool = True) -> None:
        """Take back what ``snapshot`` gave, at start."""
        ...


class Platform(Protocol):
    """A live platform: what its rooms share (HTTP client, sign budget) and how to open one."""

    name: str

    def open(self, room: RoomConfig, on_event: EventListener) -> Source:
        """A source for one configured room (not yet running)."""
        ...

    def reconfigure(self, old: Config, new: Config, sources: list[Source]) -> None:
        """Apply a reloaded config's platform settings to the running sources."""
        ...

    def figures(self) -> dict[str, Any]:
        """Figures the daemon shows about the platform (e.g. sign requests left today)."""
        ...

    async def aclose(self) -> None:
        """Release what the rooms shared."""
        ...
