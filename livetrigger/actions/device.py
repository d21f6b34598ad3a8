"""What the action kinds that drive a device of ``devices:`` share (``dmx``, ``osc``, ...):
their request's base (its queue is ``device:<name>``), the kind itself (``DeviceActionKind``:
the device named checked, the request built, the outlet opened), and the check that a key a
viewer must never pick is no template.

A device action's module keeps what is its own: its request class, its config entry, an
``alert`` function that checks the rest of the entry and gives the command, and a ``shown``
function for its describe line. The outlet (``actions/sinks/devices.py``) queues, rates,
retries, times the ``duration`` and goes safe for every device alike.

A device kind is driven by one action kind (``sacn`` and ``artnet`` by ``dmx``), so each
device belongs to one outlet.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from livetrigger import events as ev
from livetrigger.actions.kind import (
    ActionRequest,
    CompileContext,
    CompiledAction,
    Context,
    DeviceNames,
)
from livetrigger.actions.outlet import Outlet, OutletContext
from livetrigger.devices.base import Name
from livetrigger.text.suggest import suggest

# the longest `duration` an alert may hold a device for (the device's queue waits meanwhile)
MAX_DURATION = 600.0
# the longest a command may play out on this side before its send returns (a DMX fade)
MAX_TAKES = 60.0


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceRequest(ActionRequest):
    """One alert for one device: the ``command`` its device kind carries out, and how long
    before the device goes back to the state it had (None: it stays)."""

    device: str
    command: Any
    duration: float | None = None
    takes: float = 0.0  # seconds the command plays out here (a DMX fade): not the device's wait

    @property
    def target(self) -> str:
        return f"device:{self.device}"


class DeviceEntry(Protocol):
    """What every device action's config entry holds: the device's name (never a template)."""

    @property
    def device(self) -> str: ...


E = TypeVar("E", bound=DeviceEntry)
D = TypeVar("D", bound=DeviceRequest)


@dataclass(frozen=True, slots=True)
class Alert:
    """What one entry compiles to: ``command`` gives the command for a firing's context (a
    template renders here; a fixed command is returned as is), ``hint`` is what ``check``
    shows after the action's and the device's names, ``duration`` how long the alert holds
    the device, ``names`` what it needs the device to have (the start-up probe checks them),
    ``takes`` how long its send plays out on this side (a DMX fade, up to MAX_TAKES): the
    device's ``timeout`` counts on top of it."""

    command: Callable[[Context], Any]
    hint: str
    duration: float | None = None
    names: tuple[Name, ...] = ()
    takes: float = 0.0


class DeviceActionKind(Generic[E, D]):
    """An action kind (``ActionKind``) that drives the devices of ``kinds``. ``compile``
    checks the device named, then hands the entry to ``alert(entry, ctx, kind)``: the rest
    of the checks and the command (``kind`` is the device's, None when it is not one the
    action drives: said already). ``shown(request)`` is the describe line after the action's
    and the device's names. A bare string fills nothing, and the requests never outlive a
    restart: an alert from before it is stale."""

    shorthand = None
    outbox = None

    def __init__(
        self,
        *,
        name: str,
        schema: type[E],
        request: type[D],
        kinds: tuple[str, ...],
        alert: Callable[[E, CompileContext, str | None], Alert | None],
        shown: Callable[[D], str],
    ) -> None:
        self.name = name
        self.schema = schema
        self.request = request
        self.kinds = kinds
        self.alert = alert
        self.shown = shown

    def compile(self, entry: E, ctx: CompileContext) -> CompiledAction | None:
        kind = check_device(ctx, entry.device, self.name, self.kinds)
        alert = self.alert(entry, ctx, kind)
        if alert is None or ctx.failed:
            return None
        request, device = self.request, entry.device

        def build(c: Context, rule: str, room: str, event: ev.Event) -> D:
            return request(
                rule_id=rule,
                room=room,
                event=event,
                device=device,
                command=alert.command(c),
                duration=alert.duration,
                takes=alert.takes,
            )

        asks = DeviceNames(device, alert.names) if alert.names else None
        return CompiledAction(self.name, f"{self.name} {device} {alert.hint}", build, asks)

    def describe(self, request: D) -> str:
        return f"{self.name} {request.device} {self.shown(request)}"

    def open(self, config: Any, ctx: OutletContext) -> Outlet | None:
        """The outlet of the config's devices of ``kinds``, or None."""
        return open_devices(config, self.kinds)


def held(duration: float | None) -> str:
    """`` for 5s`` when an alert holds its device for ``duration`` (describe lines, hints)."""
    return f" for {duration:g}s" if duration else ""


def _article(kind: str) -> str:
    return "an" if kind[0] in "aeio" or kind == "sacn" else "a"


def check_device(
    ctx: CompileContext, device: str, action: str, kinds: tuple[str, ...]
) -> str | None:
    """The kind of the device ``device`` when the action ``action`` can drive it (one of
    ``kinds``); None after recording why not. The name is never a template: a viewer never
    picks the device."""
    if not not_a_template(ctx, device, "device"):
        return None
    devices = ctx.targets.devices
    kind = devices.get(device)
    if kind is None:
        have = ", ".join(sorted(devices)) or "none: add a `devices:` section"
        ctx.problem(
            f"unknown device `{device}`{suggest(device, devices)} (devices: {have})", "device"
        )
        return None
    if kind not in kinds:
        wanted = " or ".join(kinds)
        ctx.problem(
            f"`{action}` needs {_article(kinds[0])} {wanted} device; `{device}` is {kind}",
            "device",
        )
        return None
    return kind


def not_a_template(ctx: CompileContext, value: str, *keys: str, what: str = "") -> bool:
    """False after recording at ``keys`` that the key (a device, an address, a scene, a
    file) is not a template: a viewer never picks the ``what`` (the last key's name)."""
    if "{{" in value or "{%" in value:
        key = keys[-1]
        ctx.problem(f"`{key}` is not a template: a viewer never picks the {what or key}", *keys)
        return False
    return True


def open_devices(config: Any, kinds: tuple[str, ...]) -> Outlet | None:
    """The outlet of the config's devices of ``kinds``, or None when it has none."""
    if not any(d.kind in kinds for d in config.devices):
        return None
    from livetrigger.actions.sinks.devices import DeviceOutlet  # noqa: PLC0415

    return DeviceOutlet(config, kinds)
