"""The safe state of a device whose state is read and written over the network (a WLED
strip, a Hue bridge): back to what it showed before the alert that was playing.

``Device.safe`` must be synchronous, but putting a light back is a request. So ``safe`` starts
the request at once as a task, and ``aclose`` (which the stop awaits before the connection
closes) waits for it, bounded by the device's timeout. The device's I/O holds one lock, so
the way back goes out after a command already on the wire, never before it.

The snapshot to go back to is the outlet's (the alert under way), or else the last one the
device read and did not restore yet: one the outlet has not had back yet.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)


class GoingBack:
    """What one network device keeps to go back to the state before an alert."""

    def __init__(
        self, name: str, timeout: float, put_back: Callable[[Any], Awaitable[None]]
    ) -> None:
        self.name = name
        self.timeout = timeout
        self.put_back = put_back  # the device's restore, taking its lock itself
        self.lock = asyncio.Lock()  # one request at a time, the way back included
        self._taken: Any = None  # read before an alert and not restored yet
        self._pending: Any = None  # safe() outside a loop: aclose goes back
        self._task: asyncio.Task[None] | None = None

    def took(self, snapshot: Any) -> None:
        """A snapshot was read for an alert."""
        self._taken = snapshot

    def restored(self) -> None:
        """The device is back where the snapshot said."""
        self._taken = None

    def safe(self, before: Any | None) -> None:
        """Start going back to ``before`` (or the snapshot not restored yet), at once."""
        back = before if before is not None else self._taken
        self._taken = None
        if back is None or self._task is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop here: aclose goes back
            self._pending = back
            return
        self._task = loop.create_task(self._go(back))

    async def settle(self) -> None:
        """The way back done (or given up after the timeout): before the connection closes."""
        if self._pending is not None:
            back, self._pending = self._pending, None
            await self._go(back)
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _go(self, back: Any) -> None:
        limit = self.timeout * 2  # the lock may first wait for one request on the wire
        try:
            async with asyncio.timeout(limit):
                await self.put_back(back)
        except Exception as exc:  # DeviceAway, a timeout, a library's own error: the stop goes on
            reason = f"no answer within {limit:g}s" if isinstance(exc, TimeoutError) else str(exc)
            log.warning(
                "device %s: cannot go back to the state before the alert: %s", self.name, reason
            )
        else:
            log.info("device %s: back to the state before the alert", self.name)
