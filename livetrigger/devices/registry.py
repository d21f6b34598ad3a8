"""The device kinds, in the order ``check`` names them. The config file's ``devices:``
entry, its JSON Schema, ``check``'s missing-library problem and the outlets read this list.
A new device kind is its module plus a line here; each module imports its library only in
``open``."""

from __future__ import annotations

from typing import Any

from livetrigger.devices import artnet, hue, obs, osc, sacn, serial, sound, wled
from livetrigger.devices.base import DeviceKind

DEVICE_KINDS: tuple[DeviceKind[Any], ...] = (
    sacn.KIND,
    artnet.KIND,
    osc.KIND,
    serial.KIND,
    sound.KIND,
    wled.KIND,
    hue.KIND,
    obs.KIND,
)


def named(key: str) -> DeviceKind[Any] | None:
    """The device kind written ``key`` under a device's name, or None."""
    return next((k for k in DEVICE_KINDS if k.key == key), None)
