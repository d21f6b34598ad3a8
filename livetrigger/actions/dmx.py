"""The ``dmx`` action: set channels of an ``sacn`` or ``artnet`` device's universe
(docs/devices.md), faded, for a ``duration`` after which they go back. Not kept across a
restart: a light cue from before it is stale."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from livetrigger import events as ev
from livetrigger.actions.device import (
    MAX_DURATION,
    DeviceRequest,
    check_device,
    open_devices,
)
from livetrigger.actions.kind import ActionKind, CompileContext, CompiledAction, Context
from livetrigger.actions.outlet import Outlet, OutletContext
from livetrigger.devices.dmx import CHANNELS, DmxCommand
from livetrigger.settings import key

DEVICE_KINDS = ("sacn", "artnet")


@dataclass(frozen=True, slots=True, kw_only=True)
class DmxSet(DeviceRequest):
    """Channels of one DMX device's universe (``command`` is a ``DmxCommand``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DmxAction:
    """Set channels of a DMX device from ``devices:``."""

    device: str = key(doc="an sacn or artnet device of `devices:`")
    channels: dict[int, int] = key(doc="channel (1-512): value (0-255), like {1: 255, 2: 0}")
    fade: float = key(0.0, low=0.0, high=60.0, doc="from the values now to these")
    duration: float | None = key(
        None, above=0, high=MAX_DURATION, doc="then back to the values before the alert"
    )


class Dmx:
    """Drive an sACN or Art-Net universe."""

    name = "dmx"
    schema = DmxAction
    shorthand = None
    request = DmxSet
    outbox = None

    def compile(self, entry: DmxAction, ctx: CompileContext) -> CompiledAction | None:
        check_device(ctx, entry.device, self.name, DEVICE_KINDS)
        if not entry.channels:
            ctx.problem("give at least one channel, like {1: 255}", "channels")
        for channel, value in entry.channels.items():
            if not 1 <= channel <= CHANNELS:
                ctx.problem(
                    f"channel {channel}: a DMX channel is 1 to 512", "channels", str(channel)
                )
            elif isinstance(value, bool) or not 0 <= value <= 255:
                ctx.problem(f"a DMX value is 0 to 255 (got {value!r})", "channels", str(channel))
        if ctx.failed:
            return None
        command = DmxCommand(tuple(sorted(entry.channels.items())), entry.fade)
        device, duration = entry.device, entry.duration

        def build_dmx(c: Context, rule: str, room: str, event: ev.Event) -> DmxSet:
            return DmxSet(
                rule_id=rule,
                room=room,
                event=event,
                device=device,
                command=command,
                duration=duration,
            )

        return CompiledAction(self.name, f"dmx {_shown(command, duration, device)}", build_dmx)

    def describe(self, request: DmxSet) -> str:
        return f"dmx {_shown(request.command, request.duration, request.device)}"

    def open(self, config: Any, ctx: OutletContext) -> Outlet | None:
        """The config's sacn and artnet devices, or None."""
        return open_devices(config, DEVICE_KINDS)


def _shown(command: DmxCommand, duration: float | None, device: str) -> str:
    channels = " ".join(f"{c}={v}" for c, v in command.channels[:8])
    more = f" (+{len(command.channels) - 8})" if len(command.channels) > 8 else ""
    fade = f" fade {command.fade:g}s" if command.fade else ""
    held = f" for {duration:g}s" if duration else ""
    return f"{device} {channels}{more}{fade}{held}"


KIND: ActionKind[DmxAction, DmxSet] = Dmx()  # mypy checks it against the seam
