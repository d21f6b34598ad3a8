"""Home Assistant as a feature: MQTT discovery of each room as a device with sensors, an event
entity, a device trigger per rule and a pause switch (livetrigger/homeassistant/ does the MQTT
side; this module ties it to the daemon's events, states and commands)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from livetrigger.daemon.features.base import Feature
from livetrigger.homeassistant.bridge import HomeAssistantBridge
from livetrigger.homeassistant.devices import DeviceEntity
from livetrigger.homeassistant.discovery import DaemonEntities, RoomEntities, RuleEntity
from livetrigger.text.topics import topic_safe

if TYPE_CHECKING:
    from livetrigger.actions import ActionRequest
    from livetrigger.config import Config
    from livetrigger.daemon.controller import Daemon
    from livetrigger.events import Event
    from livetrigger.rules.engine import Firing


def daemon_entities(c: Config) -> DaemonEntities:
    """This daemon instance, named by its MQTT client id: its own availability topic, so
    several daemons on one broker and base topic never touch each other's entities."""
    assert c.mqtt is not None
    instance = topic_safe(c.mqtt.client_id or f"livetrigger-{socket.gethostname()}")
    return DaemonEntities(instance, c.mqtt.base_topic)


def room_entities(c: Config) -> list[RoomEntities]:
    """Each room's device and its rules' entities."""
    return [
        RoomEntities(
            r.settings.name,
            r.settings.unique_id,
            [RuleEntity(rule.id, rule.description) for rule in r.rules],
        )
        for r in c.rooms
    ]


def device_entities(c: Config) -> list[DeviceEntity]:
    """Each device of ``devices:``: its entities on the daemon's device."""
    return [DeviceEntity(d.name, d.kind) for d in c.devices]


class HomeAssistant(Feature):
    """Publishes the rooms to Home Assistant and takes its commands."""

    name: ClassVar[str] = "homeassistant"

    def __init__(self, daemon: Daemon) -> None:
        c = daemon.config
        assert c.mqtt is not None and daemon.outputs.mqtt is not None
        self.daemon = daemon
        control = daemon.control
        self.bridge = HomeAssistantBridge(
            c.homeassistant,
            mqtt=daemon.outputs.mqtt,
            base_topic=c.mqtt.base_topic,
            daemon=daemon_entities(c),
            rooms=room_entities(c),
            on_pause=control.set_room_paused,
            on_test_fire=lambda room, rule: control.test_fire(rule, room),
            on_reconnect=control.reconnect_room,
            on_reload=control.reload_soon,
            paused=daemon.room_paused,
        )
        self.bridge.set_devices(device_entities(c), announce=False)

    async def start(self) -> None:
        """Announce the devices and listen for commands."""
        self.bridge.start()

    def on_firing(self, room: str, firing: Firing) -> Iterable[ActionRequest]:
        """The rule's device trigger (``rule_fired``), queued with the rule's actions."""
        trigger = self.bridge.rule_fired(room, firing.rule_id, firing.event)
        return () if trigger is None else (trigger,)

    def on_event(self, room: str, event: Event, firings: Sequence[Firing]) -> None:
        """The room's sensors and event entity."""
        self.bridge.on_event(room, event)

    def on_state(self, room: str, state: str, detail: str) -> None:
        """The room's connection sensor."""
        runtime = self.daemon.rooms.get(room)
        if runtime is not None:
            left = runtime.source.stats()["sign_requests_left_today"]
            self.bridge.set_connection(room, state, left)

    def on_reloaded(self, config: Config) -> None:
        """Rooms, rules and devices added or removed by a reload."""
        # set_rooms announces everything once and removes what is gone, devices' too
        self.bridge.set_devices(device_entities(config), announce=False)
        self.bridge.set_rooms(room_entities(config))

    def tick(self, now: float) -> None:
        """Rate-limited states (viewer counts) and the status figures, once a second."""
        control = self.daemon.control
        for name in self.daemon.rooms:
            self.bridge.set_figures(name, control.room_figures(name))
        self.bridge.set_daemon(control.daemon_figures())
        self.bridge.set_device_states(control.devices())
        self.bridge.flush(time.monotonic())

    def room_snapshot(self, room: str) -> dict[str, Any] | None:
        """The room's figures as of this save, not of the last once-a-second flush: the last
        firings before a stop are carried into the next process too."""
        if room in self.daemon.rooms:
            self.bridge.set_figures(room, self.daemon.control.room_figures(room))
        return self.bridge.room_snapshot(room)

    def restore_room(self, room: str, data: dict[str, Any]) -> None:
        """The room's figures and states from the previous process."""
        self.bridge.restore_room(room, data)
