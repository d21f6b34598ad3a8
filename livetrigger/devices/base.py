"""The seam of one kind of device (``devices: {stage: {sacn: {...}}}``): what a device kind's
module provides (``DeviceKind``), the running connection it opens (``Device``) and the state
``status`` shows of it (``DeviceState``).

A device is declared once by name and driven by the action kinds that can drive its kind
(``dmx`` drives ``sacn`` and ``artnet``). The generic outlet (``actions/sinks/devices.py``)
owns the queue, the rate limit, the retries and the alert's ``duration``; a device only
sends, reads its state where it can, and goes safe. This package sits at the bottom layer:
it imports no other part of livetrigger but settings, errors and text, and a device kind
imports its library only in ``open``, so a config without devices loads nothing new.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar, runtime_checkable

from livetrigger.settings import key


class DeviceAway(Exception):
    """The device did not take a command: unreachable, refusing, slow. The text is the
    reason, shown in the log and in ``status``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceLimits:
    """What every device kind's settings start with: its queue, its rate, its retries."""

    queue_size: int = key(
        20, low=1, high=1000, doc="alerts waiting for this device; the oldest is dropped"
    )
    max_per_minute: int | None = key(None, low=1, doc="alerts beyond this in a minute are refused")
    retries: int = key(2, low=0, high=10, doc="tries again when the device is away")
    retry_wait: float = key(0.5, low=0.01, high=60.0, doc="before the first retry; doubles")
    timeout: float = key(2.0, low=0.05, high=60.0, doc="for one command to the device")


@dataclass(frozen=True, slots=True)
class Name:
    """A name the config gives for something on a device: the ``what`` (effect, preset,
    scene, source, filter, light, group) called ``name``; ``of`` is what it belongs to (a
    filter's source, the scene a source is shown in), or None."""

    what: str
    name: str
    of: str | None = None

    def __str__(self) -> str:
        return f"{self.what} {self.name!r}" + (f" of {self.of!r}" if self.of else "")


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbedLimits(DeviceLimits):
    """The settings of a device kind that can be probed (``Probes``): ``probe`` too."""

    probe: bool = key(True, doc="at the start, check on the device the names the rules use")


S = TypeVar("S", bound=DeviceLimits)


class DeviceState:
    """What ``status`` shows of one device: never connected, ok, or away with the reason;
    what was sent, retried, failed and refused by its rate limit."""

    def __init__(self) -> None:
        self.state: Literal["never connected", "ok", "away"] = "never connected"
        self.reason = ""
        self.since = time.time()
        self.sent = 0
        self.retries = 0
        self.failures = 0
        self.limited = 0
        self.restores = 0
        self.unknown: list[str] = []  # names the config uses that the device lacks (probe)

    def ok(self) -> bool:
        """It answered: True when this is a change (the device was away or never reached)."""
        changed = self.state != "ok"
        if changed:
            self.state, self.reason, self.since = "ok", "", time.time()
        return changed

    def away(self, reason: str) -> bool:
        """Not sent: True when this is a change (log it once, not per alert)."""
        changed = self.state != "away" or reason != self.reason
        if self.state != "away":
            self.since = time.time()
        self.state, self.reason = "away", reason
        return changed

    def as_dict(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"state": self.state}
        if self.reason:
            shown["reason"] = self.reason
        shown |= {
            "since": round(self.since, 3),
            "sent": self.sent,
            "retries": self.retries,
            "failures": self.failures,
            "limited": self.limited,
            "restores": self.restores,
        }
        if self.unknown:
            shown["unknown"] = list(self.unknown)
        return shown


class Device(Protocol):
    """One device while the daemon runs: the connection its kind opened."""

    @property
    def can_snapshot(self) -> bool:
        """Whether ``snapshot`` reads the state back (an alert with ``duration`` needs it)."""
        ...

    async def send(self, command: Any) -> None:
        """Carry out one command (its action kind built it); raise DeviceAway with the
        reason when the device did not take it."""
        ...

    async def snapshot(self) -> Any:
        """The device's state now, to restore after an alert; DeviceAway when unreadable."""
        ...

    async def restore(self, snapshot: Any) -> None:
        """Back to ``snapshot``; DeviceAway when the device did not take it."""
        ...

    def safe(self, before: Any | None) -> None:
        """To its safe state now: synchronous and fast (SIGTERM, reload, crash). ``before``:
        the snapshot of the alert that is playing, if one is."""
        ...

    async def aclose(self) -> None:
        """Release the connection (after ``safe``)."""
        ...


@runtime_checkable
class Probes(Protocol):
    """What a device offers when it can say which names it has (``Device`` plus this one
    method; a kind without it is never probed and costs nothing)."""

    async def probe(self, names: Collection[Name]) -> dict[Name, str]:
        """Read what the device has (read-only requests: the device never changes) and give
        each of ``names``, and of the names in its own settings, that it lacks, with the
        message that says so (with a "did you mean"). DeviceAway when it cannot be read."""
        ...


class DeviceKind(Protocol[S]):
    """One kind of device: its key under the device's name and how to open it."""

    @property
    def key(self) -> str:
        """The key under a device's name, e.g. ``sacn``."""
        ...

    @property
    def settings(self) -> type[S]:
        """The dataclass of its settings, checked by ``config/shape.py``."""
        ...

    @property
    def extra(self) -> str:
        """The extra of livetrigger that installs its library: ``pip install
        'livetrigger[dmx]'``."""
        ...

    @property
    def module(self) -> str | None:
        """The module its library is imported as (``check`` looks for it); None: none."""
        ...

    def open(self, name: str, settings: S) -> Device:
        """The running device (imports the library); no I/O may block here."""
        ...
