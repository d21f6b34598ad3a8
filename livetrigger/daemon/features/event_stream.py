"""The optional MQTT event stream: every event as JSON for Node-RED and friends."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from livetrigger import events as ev
from livetrigger.daemon.features.base import Feature

if TYPE_CHECKING:
    from livetrigger.daemon.controller import Daemon
    from livetrigger.rules.engine import Firing


class EventStream(Feature):
    """Publishes each event to ``<base>/<room>/events/<kind>`` (mqtt.event_stream)."""

    name: ClassVar[str] = "event_stream"

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon

    def on_event(self, room: str, event: ev.Event, firings: Sequence[Firing]) -> None:
        """One JSON message per event of the chosen kinds."""
        mqtt, c = self.daemon.outputs.mqtt, self.daemon.config.mqtt
        if mqtt is None or c is None:
            return
        kinds = c.event_stream.kinds
        if kinds and event.kind not in kinds:
            return
        payload = json.dumps(ev.event_to_dict(event), ensure_ascii=False, default=str)
        mqtt.publish(f"{c.base_topic}/{room}/events/{event.kind}", payload, qos=c.event_stream.qos)
