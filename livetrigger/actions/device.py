"""What the action kinds that drive a device of ``devices:`` share (``dmx``, ``osc``, ...):
their request's base (its queue is ``device:<name>``), the check that the named device exists
and is of a kind the action can drive, and the opening of their outlet
(``actions/sinks/devices.py``: one queue per device, rate, retries, ``duration``, safe).

A device kind is driven by one action kind (``sacn`` and ``artnet`` by ``dmx``), so each
device belongs to one outlet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from livetrigger.actions.kind import ActionRequest, CompileContext
from livetrigger.actions.outlet import Outlet
from livetrigger.text.suggest import suggest

# the longest `duration` an alert may hold a device for (the device's queue waits meanwhile)
MAX_DURATION = 600.0


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceRequest(ActionRequest):
    """One alert for one device: the ``command`` its device kind carries out, and how long
    before the device goes back to the state it had (None: it stays)."""

    device: str
    command: Any
    duration: float | None = None

    @property
    def target(self) -> str:
        return f"device:{self.device}"


def _article(kind: str) -> str:
    return "an" if kind[0] in "aeio" or kind == "sacn" else "a"


def check_device(
    ctx: CompileContext, device: str, action: str, kinds: tuple[str, ...]
) -> str | None:
    """The kind of the device ``device`` when the action ``action`` can drive it (one of
    ``kinds``); None after recording why not. The name is never a template: a viewer never
    picks the device."""
    if "{{" in device or "{%" in device:
        ctx.problem("`device` is not a template: a viewer never picks the device", "device")
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


def not_a_template(ctx: CompileContext, value: str, key: str, what: str) -> bool:
    """False after recording that ``key`` (an address, a scene, a file) is not a template:
    a viewer never picks it."""
    if "{{" in value or "{%" in value:
        ctx.problem(f"`{key}` is not a template: a viewer never picks the {what}", key)
        return False
    return True


def open_devices(config: Any, kinds: tuple[str, ...]) -> Outlet | None:
    """The outlet of the config's devices of ``kinds``, or None when it has none."""
    if not any(d.kind in kinds for d in config.devices):
        return None
    from livetrigger.actions.sinks.devices import DeviceOutlet  # noqa: PLC0415

    return DeviceOutlet(config, kinds)
