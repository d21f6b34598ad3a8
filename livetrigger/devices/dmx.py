"""What the two DMX-over-IP device kinds share (``sacn``, ``artnet``): the ``dmx`` action's
command, the settings every DMX device has, and the universe a device holds: 512 channel
values, faded in steps, sent on every change and kept alive while nothing changes, read back
for a restore, and put to the values before an alert (or blackout) when made safe.

The protocols differ only in the packet and the socket (``sacn.py``, ``artnet.py``): each
gives a ``transmit(frame)`` that sends one frame now.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from livetrigger.devices.base import DeviceAway, DeviceLimits
from livetrigger.settings import key

log = logging.getLogger(__name__)

CHANNELS = 512
FADE_STEP = 0.025  # seconds: 40 frames a second while fading, under DMX512's ~44 Hz
MIN_GAP = 1 / 44  # seconds between two frames at most (a burst of alerts is coalesced)


@dataclass(frozen=True, slots=True)
class DmxCommand:
    """Set ``channels`` ((channel 1-512, value 0-255) pairs), fading over ``fade`` seconds."""

    channels: tuple[tuple[int, int], ...]
    fade: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class DmxSettings(DeviceLimits):
    """What every DMX device takes besides its protocol's keys."""

    safe: Literal["before", "blackout"] = key(
        "before",
        doc="at the stop and on reload: the values before the alert playing, or every channel 0",
    )
    keep_alive: float = key(
        1.0, low=0.1, high=2.0, doc="resend the unchanged universe this often (E1.31: 1s)"
    )


Transmit = Callable[[bytes], None]  # sends one frame now; raises OSError


class DmxUniverse:
    """One universe a device drives (``Device`` for the DMX kinds). ``transmit`` sends a
    frame; ``terminate`` (optional) ends the stream at the close."""

    can_snapshot = True

    def __init__(
        self,
        name: str,
        settings: DmxSettings,
        transmit: Transmit,
        terminate: Callable[[bytes], None] | None = None,
        close: Callable[[], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.settings = settings
        self.frame = bytearray(CHANNELS)
        self._transmit = transmit
        self._terminate = terminate
        self._close = close
        self._clock = clock
        self._last = -1e9  # when the last frame went out
        self._pending: asyncio.TimerHandle | None = None
        self._alive: asyncio.Task[None] | None = None
        self._closed = False
        self._final = False  # made safe: the frame stays as safe() left it
        self.trouble = ""  # a send error the keep-alive saw: the next alert reports it

    # -- the Device seam --------------------------------------------------------------------

    async def send(self, command: Any) -> None:
        """Set the channels, faded in FADE_STEP steps when asked."""
        assert isinstance(command, DmxCommand)
        self._refuse_if_safe()
        self._start_keep_alive()
        target = bytearray(self.frame)
        for channel, value in command.channels:
            target[channel - 1] = value
        steps = int(command.fade / FADE_STEP)
        if steps <= 1:
            self.frame[:] = target
            self._emit_checked()
            return
        start = bytes(self.frame)
        changed = [i for i in range(CHANNELS) if start[i] != target[i]]
        for step in range(1, steps + 1):
            self._refuse_if_safe()  # a stop mid-fade: not one step more
            for i in changed:
                self.frame[i] = round(start[i] + (target[i] - start[i]) * step / steps)
            self._emit_checked()
            if step < steps:
                await asyncio.sleep(FADE_STEP)

    async def snapshot(self) -> Any:
        """The values now: this device is the source of its universe, so it knows them."""
        return bytes(self.frame)

    async def restore(self, snapshot: Any) -> None:
        self._refuse_if_safe()
        self.frame[:] = snapshot
        self._emit_checked()

    def safe(self, before: Any | None) -> None:
        """The values before the playing alert (none playing: they stay), or blackout; sent
        at once, on the caller's thread; no alert changes them afterwards."""
        self._final = True
        if self.settings.safe == "blackout":
            self.frame[:] = bytes(CHANNELS)
        elif before is not None:
            self.frame[:] = before
        self._cancel_pending()
        with contextlib.suppress(OSError):
            self._send_now()

    async def aclose(self) -> None:
        """Stop the keep-alive, end the stream where the protocol has a way, close."""
        self._closed = True
        self._cancel_pending()
        if self._alive is not None:
            self._alive.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._alive
        with contextlib.suppress(OSError):
            if self._terminate is not None:
                self._terminate(bytes(self.frame))
        if self._close is not None:
            self._close()

    # -- sending ----------------------------------------------------------------------------

    def _refuse_if_safe(self) -> None:
        if self._final:
            raise DeviceAway("made safe: sends nothing more")

    def _emit_checked(self) -> None:
        """Send now (or at MIN_GAP after the last frame); DeviceAway with the reason when the
        socket refuses, or when the keep-alive was refused since the last alert."""
        trouble, self.trouble = self.trouble, ""
        wait = self._last + MIN_GAP - self._clock()
        if wait > 0:
            if self._pending is None:  # coalesced: the frame then is the newest
                loop = asyncio.get_running_loop()
                self._pending = loop.call_later(wait, self._send_later)
        else:
            try:
                self._send_now()
            except OSError as exc:
                raise DeviceAway(_why(exc)) from None
        if trouble:
            raise DeviceAway(trouble)

    def _send_later(self) -> None:
        self._pending = None
        try:
            self._send_now()
        except OSError as exc:
            self.trouble = _why(exc)

    def _send_now(self) -> None:
        self._last = self._clock()
        self._transmit(bytes(self.frame))

    def _cancel_pending(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None

    def _start_keep_alive(self) -> None:
        if self._alive is None and not self._closed:
            loop = asyncio.get_running_loop()
            self._alive = loop.create_task(self._keep_alive(), name=f"dmx-keep-alive:{self.name}")

    async def _keep_alive(self) -> None:
        # receivers drop a source after 2.5 s of silence (E1.31): the same frame again
        while True:
            await asyncio.sleep(max(0.0, self._last + self.settings.keep_alive - self._clock()))
            if self._clock() - self._last >= self.settings.keep_alive:
                try:
                    self._send_now()
                except OSError as exc:
                    self.trouble = _why(exc)


def ip_problem(address: str | None, key: str) -> str | None:
    """Why ``address`` is not an IP address (a name would be looked up, blocking, at each
    packet), or None."""
    if address is None:
        return None
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return f"`{key}` is an IP address, like 192.168.1.60 (got {address[:60]!r})"
    return None


def _why(exc: OSError) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "refused: nothing listens there"
    return str(exc.strerror or exc)
