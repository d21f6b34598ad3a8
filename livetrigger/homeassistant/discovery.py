"""MQTT discovery documents for Home Assistant (pure: config → (topic, payload) pairs).

Per-entity topics ``<prefix>/<component>/<node_id>/<object_id>/config`` work on every current
Home Assistant release. Every document carries its ``device`` block, an ``origin`` block, a
``unique_id`` built only from config values (stable across restarts), both ``object_id`` and
``default_entity_id`` (newer releases read the latter), and availability tied to the LWT topic
of the daemon that owns it — one per daemon instance, so several daemons on one broker and one
base topic never mark each other's entities unavailable. Each daemon is a device of its own
(as zigbee2mqtt's bridge); its rooms link to it with ``via_device``. User content never
reaches a topic: ids are sanitised config names.

Every state template reads a key the first state message already has; a value that is not
known (viewers while offline, a latency with no action yet, no gift yet) is ``null``, which
the templates turn into Home Assistant's ``None`` payload: the entity shows "unknown", never a
stale or made-up number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from livetrigger import __version__
from livetrigger.homeassistant.state import BATTLE_RESULTS, NO_BATTLE
from livetrigger.text.topics import topic_safe

EVENT_TYPES = (
    "gift",
    "follow",
    "share",
    "subscribe",
    "chat_command",
    "like_milestone",
    "stream_ended",
    "battle_won",
    "battle_lost",
    "battle_draw",
    "goal_reached",
)
# a room's device triggers besides its rules': (type, subtype), each an event type above
ROOM_TRIGGERS = (
    ("battle_won", "battle"),
    ("battle_lost", "battle"),
    ("battle_draw", "battle"),
    ("goal_reached", "goal"),
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
class RuleEntity:
    """A rule as Home Assistant shows it: its id (subtype, topics) and a friendly name."""

    id: str
    description: str = ""

    @property
    def friendly(self) -> str:
        return self.description or self.id


@dataclass(frozen=True, slots=True)
class RoomEntities:
    """What one room's device shows."""

    room: str  # RoomSettings.name
    unique_id: str  # the streamer's @handle (for the device name)
    rules: Sequence[RuleEntity]
    avatar_url: str = ""

    @property
    def rule_ids(self) -> list[str]:
        return [r.id for r in self.rules]


@dataclass(frozen=True, slots=True)
class DaemonEntities:
    """The daemon's own device: one per instance (its MQTT client id)."""

    instance: str  # topic-safe instance name
    base: str
    configuration_url: str = ""

    @property
    def node(self) -> str:
        return f"livetrigger_daemon_{self.instance}"

    @property
    def root(self) -> str:
        return f"{self.base}/daemon/{self.instance}"

    @property
    def availability(self) -> str:
        return f"{self.root}/status"

    @property
    def state(self) -> str:
        return f"{self.root}/state"

    @property
    def reload(self) -> str:
        return f"{self.root}/cmd/reload"

    @property
    def record(self) -> str:
        """Retained: what this daemon has announced (see ``homeassistant/bridge.py``)."""
        return f"{self.root}/discovery"

    def device(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "identifiers": [self.node],
            "name": f"livetrigger {self.instance}",
            "manufacturer": "livetrigger",
            "model": "livetrigger daemon",
            "sw_version": __version__,
        }
        if self.configuration_url:
            out["configuration_url"] = self.configuration_url
        return out


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

    @property
    def retained(self) -> tuple[str, ...]:
        """The room's retained states (cleared with its device when the room goes)."""
        return (self.state, self.paused_state, self.last_gift, self.last_chat)


def _device(room: RoomEntities, daemon: DaemonEntities | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "identifiers": [f"livetrigger_{topic_safe(room.room)}"],
        "name": f"TikTok LIVE @{room.unique_id or room.room}",
        "manufacturer": "livetrigger",
        "model": "TikTok LIVE room",
        "sw_version": __version__,
    }
    if daemon is not None:
        out["via_device"] = daemon.node
    if room.unique_id:
        out["configuration_url"] = f"https://www.tiktok.com/@{room.unique_id}/live"
    return out


ORIGIN = {"name": "livetrigger", "sw": __version__}
# a template that passes null through as HA's "None" payload (the entity shows unknown)
_NONE_SAFE = "{{{{ value_json.{0} if value_json.{0} is not none else 'None' }}}}"


def _value(key: str) -> str:
    return _NONE_SAFE.format(key)


_Add = Any


def _builder(
    out: list[tuple[str, dict[str, Any]]],
    *,
    prefix: str,
    node: str,
    entity_prefix: str,
    device: dict[str, Any],
    availability_topic: str,
) -> _Add:
    def add(component: str, object_id: str, name: str, **fields: Any) -> None:
        oid = topic_safe(object_id)
        entity_id = f"{entity_prefix}_{oid}"
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

    return add


def daemon_discovery(daemon: DaemonEntities, *, prefix: str) -> list[tuple[str, dict[str, Any]]]:
    """The daemon device's documents: what is shared by all its rooms."""
    out: list[tuple[str, dict[str, Any]]] = []
    add = _builder(
        out,
        prefix=prefix,
        node=daemon.node,
        entity_prefix=f"livetrigger_{daemon.instance}",
        device=daemon.device(),
        availability_topic=daemon.availability,
    )
    state = daemon.state
    add(
        "sensor",
        "version",
        "Version",
        state_topic=state,
        value_template=_value("version"),
        entity_category="diagnostic",
        icon="mdi:tag",
    )
    add(
        "sensor",
        "started",
        "Started",
        state_topic=state,
        value_template=_value("started"),
        device_class="timestamp",
        entity_category="diagnostic",
    )
    add(
        "sensor",
        "rooms_connected",
        "Rooms connected",
        state_topic=state,
        value_template=_value("rooms_connected"),
        state_class="measurement",
        unit_of_measurement="rooms",
        icon="mdi:lan-connect",
    )
    add(
        "sensor",
        "sign_requests_left",
        "Sign requests left today",
        state_topic=state,
        value_template=_value("sign_left"),
        state_class="measurement",
        unit_of_measurement="requests",
        entity_category="diagnostic",
        icon="mdi:counter",
    )
    add(
        "sensor",
        "reloads",
        "Config reloads",
        state_topic=state,
        value_template=_value("reloads"),
        state_class="total_increasing",
        entity_category="diagnostic",
        icon="mdi:reload",
    )
    add(
        "sensor",
        "config_errors",
        "Config errors",
        state_topic=state,
        value_template=_value("config_errors"),
        state_class="total_increasing",
        entity_category="diagnostic",
        icon="mdi:alert-circle",
        json_attributes_topic=state,
        json_attributes_template="{{ {'last_error': value_json.last_config_error} | tojson }}",
    )
    for oid, name, unit in (
        ("actions_failed", "Actions failed", "actions"),
        ("actions_dropped", "Actions dropped", "actions"),
    ):
        add(
            "sensor",
            oid,
            name,
            state_topic=state,
            value_template=_value(oid),
            state_class="total_increasing",
            unit_of_measurement=unit,
            entity_category="diagnostic",
            icon="mdi:alert",
        )
    add(
        "sensor",
        "latency_p99",
        "Action latency p99",
        state_topic=state,
        value_template=_value("latency_p99"),
        device_class="duration",
        unit_of_measurement="ms",
        state_class="measurement",
        suggested_display_precision=1,
        entity_category="diagnostic",
    )
    add(
        "button",
        "reload",
        "Reload config",
        command_topic=daemon.reload,
        payload_press="PRESS",
        entity_category="config",
        icon="mdi:restart",
    )
    return out


def discovery(
    room: RoomEntities,
    *,
    prefix: str,
    base: str,
    availability_topic: str,
    daemon: DaemonEntities | None = None,
) -> list[tuple[str, dict[str, Any]]]:
    """Every discovery document of one room, as (config topic, payload)."""
    t = Topics(base, topic_safe(room.room))
    out: list[tuple[str, dict[str, Any]]] = []
    add = _builder(
        out,
        prefix=prefix,
        node=f"livetrigger_{topic_safe(room.room)}",
        entity_prefix=f"tiktok_{topic_safe(room.room)}",
        device=_device(room, daemon),
        availability_topic=availability_topic,
    )
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
        value_template=_value("viewers"),
        unit_of_measurement="viewers",
        state_class="measurement",
        icon="mdi:eye",
    )
    add(
        "sensor",
        "likes",
        "Likes",
        state_topic=state,
        value_template=_value("likes"),
        unit_of_measurement="likes",
        state_class="total_increasing",  # drops to 0 at each stream start: a new cycle
        icon="mdi:heart",
    )
    add(
        "sensor",
        "diamonds",
        "Diamonds this stream",
        state_topic=state,
        value_template=_value("diamonds"),
        unit_of_measurement="diamonds",
        state_class="total_increasing",  # drops to 0 at each stream start: a new cycle
        icon="mdi:diamond-stone",
    )
    add(
        "sensor",
        "followers_gained",
        "Followers gained this stream",
        state_topic=state,
        value_template=_value("follows"),
        unit_of_measurement="followers",
        state_class="total_increasing",  # drops to 0 at each stream start: a new cycle
        icon="mdi:account-plus",
    )
    add(
        "sensor",
        "last_gift",
        "Last gift",
        state_topic=state,
        value_template=_value("last_gift"),
        # state and attributes from one message: they agree at every instant
        json_attributes_topic=state,
        json_attributes_template="{{ value_json.last_gift_attrs | tojson }}",
        icon="mdi:gift",
    )
    add(
        "sensor",
        "last_chat",
        "Last chat message",
        state_topic=state,
        value_template=_value("last_chat"),
        json_attributes_topic=state,
        json_attributes_template="{{ value_json.last_chat_attrs | tojson }}",
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
    for oid, name, unit in (
        ("rules_fired", "Rules fired", "firings"),
        ("reconnects", "Reconnects", "reconnects"),
    ):
        add(
            "sensor",
            oid,
            name,
            state_topic=state,
            value_template=_value(oid),
            entity_category="diagnostic",
            state_class="total_increasing",
            unit_of_measurement=unit,
            icon="mdi:counter",
        )
    add(
        "sensor",
        "battle_score",
        "Battle score",
        state_topic=state,
        value_template=_value("battle_points"),
        json_attributes_topic=state,
        json_attributes_template="{{ value_json.battle_attrs | tojson }}",
        unit_of_measurement="points",
        state_class="measurement",
        icon="mdi:sword-cross",
    )
    add(
        "sensor",
        "rival_score",
        "Rival score",
        state_topic=state,
        value_template=_value("rival_points"),
        unit_of_measurement="points",
        state_class="measurement",
        icon="mdi:sword",
    )
    add(
        "sensor",
        "battle_result",
        "Battle result",
        state_topic=state,
        value_template=_value("battle_result"),
        json_attributes_topic=state,
        json_attributes_template="{{ value_json.battle_attrs | tojson }}",
        device_class="enum",
        options=[*BATTLE_RESULTS, NO_BATTLE],
        icon="mdi:trophy",
    )
    add(
        "sensor",
        "rank",
        "Rank",
        state_topic=state,
        value_template=_value("rank"),
        json_attributes_topic=state,
        json_attributes_template="{{ value_json.rank_attrs | tojson }}",
        state_class="measurement",
        icon="mdi:podium",
    )
    add(
        "sensor",
        "goal_progress",
        "Goal progress",
        state_topic=state,
        value_template=_value("goal_progress"),
        json_attributes_topic=state,
        json_attributes_template="{{ value_json.goal_attrs | tojson }}",
        unit_of_measurement="%",
        state_class="measurement",
        icon="mdi:flag-checkered",
    )
    add(
        "event",
        "events",
        "Events",
        state_topic=t.event,
        event_types=list(EVENT_TYPES),
        icon="mdi:party-popper",
    )
    for trigger_type, subtype in ROOM_TRIGGERS:
        # on the event entity's topic, picked by event type: a topic no rule can publish to
        # (the event topic is the daemon's), and the payload carries the attributes
        add(
            "device_automation",
            trigger_type,
            trigger_type,
            automation_type="trigger",
            type=trigger_type,
            subtype=subtype,
            topic=t.event,
            value_template="{{ value_json.event_type }}",
            payload=trigger_type,
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
    for rule in room.rules:
        rid = topic_safe(rule.id)
        add(
            "device_automation",
            f"rule_{rid}",
            rule.id,
            automation_type="trigger",
            type="rule_fired",
            subtype=rule.id,
            topic=t.rule_fired(rule.id),
        )
        add(
            "button",
            f"test_{rid}",
            f"Test: {rule.friendly}",
            command_topic=t.test_rule(rule.id),
            payload_press="PRESS",
            entity_category="config",
            icon="mdi:play-circle",
        )
    return out


def removals(old: Sequence[str], new: Sequence[str]) -> list[str]:
    """Topics announced before and gone now: publish an empty retained payload to each."""
    keep = set(new)
    return [t for t in old if t not in keep]
