"""MQTT discovery documents for Home Assistant (pure: config → (topic, payload) pairs).

Per-entity topics ``<prefix>/<component>/<node_id>/<object_id>/config`` work on every current
Home Assistant release. Every document carries the room's ``device`` block, an ``origin``
block, a ``unique_id`` built only from config values (stable across restarts), both
``object_id`` and ``default_entity_id`` (newer releases read the latter), and availability tied
to the daemon's LWT topic. User content never reaches a topic: ids are sanitised config names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from livetrigger import __version__
from livetrigger.topics import topic_safe

EVENT_TYPES = (
    "gift",
    "follow",
    "share",
    "subscribe",
    "chat_command",
    "like_milestone",
    "stream_ended",
)
CONNECTION_STATES = (
    "waiting",
    "connecting",
    "connected",
    "reconnecting",
    "blocked",
    "rate_limited",
    "stopped",
)


@dataclass(frozen=True, slots=True)
class RoomEntities:
    """What one room's device shows."""

    room: str  # RoomSettings.name
    unique_id: str  # the streamer's @handle (for the device name)
    rule_ids: Sequence[str]
    avatar_url: str = ""


@dataclass(frozen=True, slots=True)
class Topics:
    """Where the bridge publishes and listens, for one room."""

    base: str
    room: str

    @property
    def state(self) -> str:
        return f"{self.base}/{self.room}/state"

    @property
    def last_gift(self) -> str:
        return f"{self.base}/{self.room}/last_gift"

    @property
    def last_chat(self) -> str:
        return f"{self.base}/{self.room}/last_chat"

    @property
    def event(self) -> str:
        return f"{self.base}/{self.room}/event"

    def rule_fired(self, rule_id: str) -> str:
        return f"{self.base}/{self.room}/rule_fired/{topic_safe(rule_id)}"

    def test_rule(self, rule_id: str) -> str:
        return f"{self.base}/{self.room}/cmd/test/{topic_safe(rule_id)}"

    @property
    def pause(self) -> str:
        return f"{self.base}/{self.room}/cmd/pause"

    @property
    def paused_state(self) -> str:
        return f"{self.base}/{self.room}/paused"

    @property
    def reconnect(self) -> str:
        return f"{self.base}/{self.room}/cmd/reconnect"


def _device(room: RoomEntities) -> dict[str, Any]:
    return {
        "identifiers": [f"livetrigger_{topic_safe(room.room)}"],
        "name": f"TikTok LIVE @{room.unique_id or room.room}",
        "manufacturer": "livetrigger",
        "model": "TikTok LIVE room",
        "sw_version": __version__,
    }


ORIGIN = {"name": "livetrigger", "sw": __version__}


def discovery(
    room: RoomEntities, *, prefix: str, base: str, availability_topic: str
) -> list[tuple[str, dict[str, Any]]]:
    """Every discovery document of one room, as (config topic, payload)."""
    t = Topics(base, topic_safe(room.room))
    node = f"livetrigger_{topic_safe(room.room)}"
    device = _device(room)
    out: list[tuple[str, dict[str, Any]]] = []

    def add(component: str, object_id: str, name: str, **fields: Any) -> None:
        oid = topic_safe(object_id)
        entity_id = f"tiktok_{topic_safe(room.room)}_{oid}"
        payload: dict[str, Any] = {
            "name": name,
            "unique_id": f"{node}_{oid}",
            "object_id": entity_id,
            "default_entity_id": f"{component}.{entity_id}",
            "device": device,
            "origin": ORIGIN,
            "availability_topic": availability_topic,
            "payload_available": "online",
            "payload_not_available": "offline",
            **fields,
        }
        if component == "device_automation":
            # device triggers have no name, entity id or availability
            for key in (
                "name",
                "unique_id",
                "object_id",
                "default_entity_id",
                "availability_topic",
                "payload_available",
                "payload_not_available",
            ):
                payload.pop(key)
        out.append((f"{prefix}/{component}/{node}/{oid}/config", payload))

    state = t.state
    add(
        "binary_sensor",
        "live",
        "Live",
        state_topic=state,
        value_template="{{ value_json.live }}",
        payload_on="ON",
        payload_off="OFF",
        icon="mdi:broadcast",
        **({"entity_picture": room.avatar_url} if room.avatar_url else {}),
    )
    add(
        "sensor",
        "viewers",
        "Viewers",
        state_topic=state,
        value_template="{{ value_json.viewers }}",
        unit_of_measurement="viewers",
        state_class="measurement",
        icon="mdi:eye",
    )
    add(
        "sensor",
        "likes",
        "Likes",
        state_topic=state,
        value_template="{{ value_json.likes }}",
        unit_of_measurement="likes",
        state_class="total",
        icon="mdi:heart",
    )
    add(
        "sensor",
        "diamonds",
        "Diamonds this stream",
        state_topic=state,
        value_template="{{ value_json.diamonds }}",
        unit_of_measurement="diamonds",
        state_class="total",
        icon="mdi:diamond-stone",
    )
    add(
        "sensor",
        "followers_gained",
        "Followers gained this stream",
        state_topic=state,
        value_template="{{ value_json.follows }}",
        state_class="total",
        icon="mdi:account-plus",
    )
    add(
        "sensor",
        "last_gift",
        "Last gift",
        state_topic=state,
        value_template="{{ value_json.last_gift }}",
        json_attributes_topic=t.last_gift,
        icon="mdi:gift",
    )
    add(
        "sensor",
        "last_chat",
        "Last chat message",
        state_topic=state,
        value_template="{{ value_json.last_chat }}",
        json_attributes_topic=t.last_chat,
        icon="mdi:message-text",
    )
    add(
        "sensor",
        "connection",
        "Connection",
        state_topic=state,
        value_template="{{ value_json.connection }}",
        device_class="enum",
        options=list(CONNECTION_STATES),
        entity_category="diagnostic",
        icon="mdi:lan-connect",
    )
    add(
        "sensor",
        "sign_requests_left",
        "Sign requests left today",
        state_topic=state,
        value_template="{{ value_json.sign_left }}",
        entity_category="diagnostic",
        icon="mdi:counter",
    )
    for oid, name, unit in (
        ("rules_fired", "Rules fired", "firings"),
        ("actions_failed", "Actions failed", "actions"),
        ("actions_dropped", "Actions dropped", "actions"),
        ("reconnects", "Reconnects", None),
        ("latency_p99", "Action latency p99", "ms"),
    ):
        add(
            "sensor",
            oid,
            name,
            state_topic=state,
            value_template=f"{{{{ value_json.{oid} }}}}",
            entity_category="diagnostic",
            state_class="measurement" if oid == "latency_p99" else "total_increasing",
            **({"unit_of_measurement": unit} if unit else {}),
        )
    add(
        "event",
        "events",
        "Events",
        state_topic=t.event,
        event_types=list(EVENT_TYPES),
        icon="mdi:party-popper",
    )
    add(
        "switch",
        "pause",
        "Pause triggers",
        command_topic=t.pause,
        state_topic=t.paused_state,
        payload_on="ON",
        payload_off="OFF",
        state_on="ON",
        state_off="OFF",
        icon="mdi:pause-circle",
    )
    add(
        "button",
        "reconnect",
        "Reconnect now",
        command_topic=t.reconnect,
        payload_press="PRESS",
        entity_category="config",
        icon="mdi:restart",
    )
    for rule_id in room.rule_ids:
        rid = topic_safe(rule_id)
        add(
            "device_automation",
            f"rule_{rid}",
            rule_id,
            automation_type="trigger",
            type="rule_fired",
            subtype=rule_id,
            topic=t.rule_fired(rule_id),
        )
        add(
            "button",
            f"test_{rid}",
            f"Test rule {rule_id}",
            command_topic=t.test_rule(rule_id),
            payload_press="PRESS",
            entity_category="config",
            icon="mdi:play-circle",
        )
    return out


def removals(old: Sequence[str], new: Sequence[str]) -> list[str]:
    """Config topics announced before and gone now: publish an empty retained payload to each."""
    keep = set(new)
    return [t for t in old if t not in keep]
