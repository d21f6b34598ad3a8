"""The devices of ``devices:`` (lights, DMX, OSC, ...) in Home Assistant (pure: names and
states → discovery documents and one state document).

Each device is two entities on the daemon's own Home Assistant device, not a device of its
own: what livetrigger knows is its connection to the lamp or console, and the lamp itself may
already be a device of Home Assistant's own WLED or Hue integration. The entities:

- **"<name> reachable"**, a ``connectivity`` binary sensor: on when the device took the last
  command (``ok``), off when it is away, unknown before anything was sent to it (``never
  connected``: a UDP device that is switched off stays unknown or on, as nothing answers). Its
  attributes: the kind, the state, the reason it is away, since when, the counts, and the
  names the config uses that the device lacks (``unknown``, from its start-up probe);
- **"<name> alerts sent"**, a diagnostic sensor counting since the daemon started.

Every device's state is in one retained document on ``<base>/daemon/<instance>/devices``,
keyed by the device's topic-safe name and published when it changes (at most once a second,
from the daemon's tick). A template reads its own device's key with ``get``: a key that is
gone (the device removed a moment before its entities) shows unknown, never an error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from livetrigger.homeassistant.discovery import DaemonEntities, _builder
from livetrigger.text.topics import topic_safe

REACHABLE = {"ok": "ON", "away": "OFF"}  # never connected: None, unknown to Home Assistant
COUNTS = ("sent", "retries", "failures", "limited", "dropped", "queued")


@dataclass(frozen=True, slots=True)
class DeviceEntity:
    """A device of ``devices:`` as Home Assistant shows it."""

    name: str
    kind: str

    @property
    def key(self) -> str:
        """Its key in the state document and its entities' object ids."""
        return topic_safe(self.name)


def devices_topic(daemon: DaemonEntities) -> str:
    """The retained document of every device's state."""
    return f"{daemon.root}/devices"


def device_discovery(
    daemon: DaemonEntities, devices: Sequence[DeviceEntity], *, prefix: str
) -> list[tuple[str, dict[str, Any]]]:
    """The devices' entities on the daemon's device, as (config topic, payload)."""
    out: list[tuple[str, dict[str, Any]]] = []
    add = _builder(
        out,
        prefix=prefix,
        node=daemon.node,
        entity_prefix=f"livetrigger_{daemon.instance}",
        device=daemon.device(),
        availability_topic=daemon.availability,
    )
    state = devices_topic(daemon)
    for device in devices:
        this = f"value_json.get('{device.key}')"  # a topic-safe key: no quote to escape
        add(
            "binary_sensor",
            f"device_{device.key}_reachable",
            f"{device.name} reachable",
            state_topic=state,
            value_template=(
                f"{{% set d = {this} %}}"
                "{{ d.reachable if d and d.reachable is not none else 'None' }}"
            ),
            payload_on="ON",
            payload_off="OFF",
            device_class="connectivity",
            json_attributes_topic=state,
            json_attributes_template=f"{{{{ ({this} or {{}}) | tojson }}}}",
        )
        add(
            "sensor",
            f"device_{device.key}_sent",
            f"{device.name} alerts sent",
            state_topic=state,
            value_template=f"{{% set d = {this} %}}{{{{ d.sent if d else 'None' }}}}",
            state_class="total_increasing",  # counted since the daemon started
            unit_of_measurement="alerts",
            entity_category="diagnostic",
            icon="mdi:send",
        )
    return out


def device_states(
    devices: Sequence[DeviceEntity], shown: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """The state document: each device of ``devices`` from the daemon's view of it
    (``Control.devices()``); a device the outlets do not show yet is ``never connected``."""
    out: dict[str, Any] = {}
    for device in devices:
        now = shown.get(device.name, {})
        state = str(now.get("state", "never connected"))
        since = now.get("since")
        out[device.key] = {
            "reachable": REACHABLE.get(state),
            "name": device.name,
            "kind": device.kind,
            "state": state,
            "reason": now.get("reason") or None,
            "since": datetime.fromtimestamp(since, UTC).isoformat(timespec="seconds")
            if isinstance(since, int | float)
            else None,
            **{k: int(now.get(k, 0)) for k in COUNTS},
            "unknown": [str(line) for line in now.get("unknown", ())],
        }
    return out
