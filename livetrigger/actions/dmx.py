"""The ``dmx`` action: set channels of an ``sacn`` or ``artnet`` device's universe
(docs/devices.md), faded, for a ``duration`` after which they go back. Not kept across a
restart: a light cue from before it is stale."""

from __future__ import annotations

from dataclasses import dataclass

from livetrigger.actions.device import (
    MAX_DURATION,
    MAX_TAKES,
    Alert,
    DeviceActionKind,
    DeviceRequest,
    held,
)
from livetrigger.actions.kind import ActionKind, CompileContext
from livetrigger.devices.dmx import CHANNELS, DmxCommand
from livetrigger.settings import key


@dataclass(frozen=True, slots=True, kw_only=True)
class DmxSet(DeviceRequest):
    """Channels of one DMX device's universe (``command`` is a ``DmxCommand``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DmxAction:
    """Set channels of a DMX device from ``devices:``."""

    device: str = key(doc="an sacn or artnet device of `devices:`")
    channels: dict[int, int] = key(doc="channel (1-512): value (0-255), like {1: 255, 2: 0}")
    fade: float = key(0.0, low=0.0, high=MAX_TAKES, doc="from the values now to these")
    duration: float | None = key(
        None, above=0, high=MAX_DURATION, doc="then back to the values before the alert"
    )


def alert(entry: DmxAction, ctx: CompileContext, kind: str | None) -> Alert | None:
    if not entry.channels:
        ctx.problem("give at least one channel, like {1: 255}", "channels")
    for channel, value in entry.channels.items():
        if not 1 <= channel <= CHANNELS:
            ctx.problem(f"channel {channel}: a DMX channel is 1 to 512", "channels", str(channel))
        elif isinstance(value, bool) or not 0 <= value <= 255:
            ctx.problem(f"a DMX value is 0 to 255 (got {value!r})", "channels", str(channel))
    if ctx.failed:
        return None
    command = DmxCommand(tuple(sorted(entry.channels.items())), entry.fade)
    shown = _shown(command, entry.duration)
    return Alert(lambda c: command, shown, entry.duration, takes=entry.fade)


def _shown(command: DmxCommand, duration: float | None) -> str:
    channels = " ".join(f"{c}={v}" for c, v in command.channels[:8])
    more = f" (+{len(command.channels) - 8})" if len(command.channels) > 8 else ""
    fade = f" fade {command.fade:g}s" if command.fade else ""
    return f"{channels}{more}{fade}{held(duration)}"


KIND: ActionKind[DmxAction, DmxSet] = DeviceActionKind(  # mypy checks it against the seam
    name="dmx",
    schema=DmxAction,
    request=DmxSet,
    kinds=("sacn", "artnet"),
    alert=alert,
    shown=lambda request: _shown(request.command, request.duration),
)
