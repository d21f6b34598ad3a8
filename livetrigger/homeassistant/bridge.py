"""The Home Assistant bridge: publishes discovery and state over the shared MQTT client and
carries out the few commands Home Assistant may send.

Retained documents (discovery, state, pause) go out latest-value per topic
(``publish_state``): an outage never queues them, so they can never crowd out a trigger.
``rule_fired`` (a device trigger: it starts automations) is a trigger publish: the daemon
queues it in its own bounded lane like a rule's MQTT action. Home Assistant events are best
effort: sent while the broker is there.

Each daemon removes only what it announced itself. It keeps a retained record of the topics
it announced (discovery configs and its rooms' retained states) on
``<base>/daemon/<instance>/discovery``, with a random id of its process, and reads every
daemon's record. What it announced before and no longer has — at a reload, and at start from
the record its previous process left — gets an empty retained message, unless another daemon's
record holds that topic: a room moved to another daemon stays in Home Assistant. At start
nothing is cleared until the daemon's own new record has come back from the broker: the broker
sends the retained records first, so by then it knows every other daemon's.

Commands arrive on ``<base>/<room>/cmd/...``: ``pause`` (ON/OFF), ``reconnect`` (PRESS),
``test/<rule>`` (PRESS), and on the daemon's ``<base>/daemon/<instance>/cmd/reload`` (PRESS).
Only live messages count: a retained one is refused and cleared (``MqttClient``). Commands are
rate-limited (``livetrigger.system.limits``) and each one that runs is logged with its topic.
Anything else — an unknown rule, a bad payload — is logged and ignored: no command can do
anything the config does not define. A command for a room this daemon does not run is
another daemon's on the same base topic: left alone, at debug level. The pause switches and each
room's state (live, totals) are given in at start and read back by the daemon, which keeps them
in its state directory, so a restart changes nothing Home Assistant shows.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from livetrigger import events as ev
from livetrigger.actions import MqttPublish
from livetrigger.homeassistant.devices import (
    DeviceEntity,
    device_discovery,
    device_states,
    devices_topic,
)
from livetrigger.homeassistant.discovery import (
    DaemonEntities,
    RoomEntities,
    Topics,
    daemon_discovery,
    discovery,
    removals,
)
from livetrigger.homeassistant.state import RoomState
from livetrigger.settings import HomeAssistantSettings
from livetrigger.system.limits import RECONNECT_INTERVAL, TEST_INTERVAL, CommandLimiter
from livetrigger.text.topics import topic_safe

log = logging.getLogger(__name__)

RULE_FIRED_LANE = "rule_fired"  # its dispatch target: mqtt:rule_fired


class MqttPort(Protocol):
    def publish(
        self, topic: str, payload: bytes | str, qos: int = 0, retain: bool = False
    ) -> bool: ...

    def publish_state(self, topic: str, payload: bytes | str) -> bool: ...

    def subscribe(
        self,
        topic_filter: str,
        handler: Callable[[str, bytes], None],
        *,
        live_only: bool = False,
    ) -> None: ...

    def on_connect(self, callback: Callable[[], None]) -> None: ...


def _json(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, default=str)


def _parse_record(payload: bytes) -> tuple[str, list[str]] | None:
    """(process, topics) of a daemon's record, or None (empty or not a record)."""
    try:
        doc = json.loads(payload)
    except (ValueError, RecursionError):
        return None
    if not isinstance(doc, dict):
        return None
    process, topics = doc.get("process"), doc.get("topics")
    if not isinstance(process, str) or not isinstance(topics, list):
        return None
    return process, [t for t in topics if isinstance(t, str)]


class HomeAssistantBridge:
    def __init__(
        self,
        settings: HomeAssistantSettings,
        *,
        mqtt: MqttPort,
        base_topic: str,
        daemon: DaemonEntities,
        rooms: Sequence[RoomEntities],
        on_pause: Callable[[str, bool], None],
        on_test_fire: Callable[[str, str], object],  # the daemon logs what it did
        on_reconnect: Callable[[str], None],
        on_reload: Callable[[], None] = lambda: None,
        paused: Mapping[str, bool] | None = None,
        clock: Callable[[], float] = time.monotonic,
        process: str | None = None,
    ) -> None:
        self.settings = settings
        self.mqtt = mqtt
        self.base = base_topic
        self.daemon = daemon
        self.availability_topic = daemon.availability
        self.on_reload = on_reload
        self.daemon_state: dict[str, Any] = {}
        self.on_pause = on_pause
        self.on_test_fire = on_test_fire
        self.on_reconnect = on_reconnect
        self.clock = clock
        self.rooms: dict[str, RoomEntities] = {}
        self.states: dict[str, RoomState] = {}
        self.paused: dict[str, bool] = dict(paused or {})
        self._announced: list[str] = []
        self.devices: list[DeviceEntity] = []  # of devices: (homeassistant/devices.py)
        self.devices_state: dict[str, Any] = {}
        self.process = process or secrets.token_hex(8)  # names this process in its record
        self.claims: dict[str, frozenset[str]] = {}  # other daemon instance -> its record
        self._stale: dict[str, None] = {}  # announced before, not now: to clear once synced
        self._synced = False  # this process's own record came back: the others' are known
        self.cleared = 0
        self.ignored_commands = 0
        self.limiter = CommandLimiter(clock)
        self.set_rooms(rooms, announce=False)

    # -- set-up -----------------------------------------------------------------------------

    def start(self) -> None:
        prefix = self.settings.prefix
        self.mqtt.subscribe(f"{prefix}/status", self._birth)
        if self.settings.discovery:
            # every daemon's record (this one's previous process's too): subscribed before
            # the first announce, so the retained ones arrive before this process's own
            self.mqtt.subscribe(f"{self.base}/daemon/+/discovery", self._record)
        # a retained command would run again at every start: commands are taken live only
        self.mqtt.subscribe(f"{self.base}/+/cmd/#", self._command, live_only=True)
        self.mqtt.subscribe(self.daemon.reload, self._reload_command, live_only=True)
        for room, paused in self.paused.items():
            if paused and room in self.rooms:
                self.on_pause(room, True)
        self.mqtt.on_connect(self.announce)

    def set_rooms(self, rooms: Sequence[RoomEntities], *, announce: bool = True) -> None:
        """(Re)define the rooms and rules shown; on reload, entities of removed rules and rooms
        are deleted from Home Assistant (empty retained config) unless another daemon
        announces them now."""
        self.rooms = {topic_safe(r.room): r for r in rooms}
        for key in self.rooms:
            self.states.setdefault(key, RoomState(self.settings.state_interval))
        for key in list(self.states):
            if key not in self.rooms:
                del self.states[key]
        if announce:
            old = list(self._announced)
            self.announce()
            self._forget(removals(old, self._announced))

    def announce(self) -> None:
        """Publish every discovery document (retained) and the current states."""
        if not self.settings.discovery:
            return
        topics: list[str] = []
        for topic, payload in daemon_discovery(self.daemon, prefix=self.settings.prefix):
            self.mqtt.publish(topic, _json(payload), qos=1, retain=True)
            topics.append(topic)
        if self.daemon_state:
            self.mqtt.publish(self.daemon.state, _json(self.daemon_state), qos=1, retain=True)
        topics += self._announce_devices()
        for key, room in self.rooms.items():
            for topic, payload in discovery(
                room,
                prefix=self.settings.prefix,
                base=self.base,
                availability_topic=self.availability_topic,
                daemon=self.daemon,
            ):
                self.mqtt.publish_state(topic, _json(payload))
                topics.append(topic)
            t = Topics(self.base, key)
            self.mqtt.publish_state(t.paused_state, "ON" if self.paused.get(key) else "OFF")
            self._publish_state(key, self.states[key].document())
            topics.extend(t.retained)
        self._announced = topics
        record = {"process": self.process, "topics": topics}
        self.mqtt.publish_state(self.daemon.record, _json(record))

    # -- the devices of devices: ----------------------------------------------------------

    def set_devices(self, devices: Sequence[DeviceEntity], *, announce: bool = True) -> None:
        """(Re)define the devices shown on the daemon's device; at a reload, the entities of
        removed devices are deleted as a removed room's are (``set_rooms``)."""
        self.devices = list(devices)
        self.devices_state = device_states(self.devices, {})
        if announce:
            old = list(self._announced)
            self.announce()
            self._forget(removals(old, self._announced))

    def set_device_states(self, shown: Mapping[str, Mapping[str, Any]]) -> None:
        """The devices' states from the daemon's view (retained; published when changed)."""
        doc = device_states(self.devices, shown)
        if self.devices and doc != self.devices_state:
            self.devices_state = doc
            self.mqtt.publish_state(devices_topic(self.daemon), _json(doc))

    def _announce_devices(self) -> list[str]:
        """The devices' discovery documents and their state; the topics announced."""
        if not self.devices:
            return []
        topics = []
        for topic, payload in device_discovery(
            self.daemon, self.devices, prefix=self.settings.prefix
        ):
            self.mqtt.publish_state(topic, _json(payload))
            topics.append(topic)
        state = devices_topic(self.daemon)
        self.mqtt.publish_state(state, _json(self.devices_state))
        return [*topics, state]

    # -- what was announced before --------------------------------------------------------

    def _record(self, topic: str, payload: bytes) -> None:
        """A daemon's record of what it announced (an empty one: it announces nothing)."""
        instance = topic.split("/")[-2]
        found = _parse_record(payload)
        if instance != self.daemon.instance:
            if found is None:
                self.claims.pop(instance, None)
            else:
                self.claims[instance] = frozenset(found[1])
            return
        if found is None or self._synced:
            return
        process, topics = found
        if process != self.process:  # the previous process's: what it left on the broker
            self._forget([t for t in topics if self._ours(t)])
        else:  # ours came back: every retained record was delivered before it
            self._synced = True
            self._clear_stale()

    def _forget(self, topics: Sequence[str]) -> None:
        """Topics this daemon announced and no longer has: cleared once the other daemons'
        records are known."""
        self._stale.update(dict.fromkeys(topics))
        if self._synced:
            self._clear_stale()

    def _clear_stale(self) -> None:
        now = set(self._announced)
        owners = {t: i for i, topics in self.claims.items() for t in topics if t in self._stale}
        cleared = 0
        for topic in self._stale:
            if topic not in now and topic not in owners:
                self.mqtt.publish_state(topic, b"")
                cleared += 1
        self._stale.clear()
        self.cleared += cleared
        if cleared or owners:
            log.info(
                "home assistant: cleared %d topic(s) this daemon announced and no longer has%s",
                cleared,
                f"; left {len(owners)} that {', '.join(sorted(set(owners.values())))} announce"
                if owners
                else "",
            )

    def _ours(self, topic: str) -> bool:
        """A topic this daemon could have announced: a livetrigger device's discovery config
        (under any prefix: the config's may have changed since) or a room's retained state
        (a record is never a way to clear anyone else's)."""
        levels = topic.split("/")
        if len(levels) >= 5 and levels[-1] == "config":
            return levels[-3].startswith("livetrigger_")
        if topic == devices_topic(self.daemon):
            return True
        base = self.base
        if topic.startswith(base + "/"):
            rest = topic[len(base) + 1 :].split("/")
            return (
                len(rest) == 2 and rest[0] != "daemon" and topic in Topics(base, rest[0]).retained
            )
        return False

    # -- inbound ----------------------------------------------------------------------------

    def _birth(self, topic: str, payload: bytes) -> None:
        if payload.strip() == b"online":
            log.info("home assistant: back online; announcing again")
            self.announce()

    def _command(self, topic: str, payload: bytes) -> None:
        parts = topic.split("/")
        base_len = len(self.base.split("/"))
        rest = parts[base_len:]  # room, "cmd", what...
        text = payload.decode("utf-8", "replace").strip().upper()
        if not text:
            return None  # an empty message (one clearing a retained command) asks nothing
        if len(rest) < 3 or rest[1] != "cmd":
            return self._ignore(topic, "unknown command")
        if rest[0] not in self.rooms:
            # every daemon on the base topic hears every room's commands: one for a room of
            # another daemon is that daemon's business, not a warning here at each press
            log.debug(
                "home assistant: command on %r is not one of this daemon's rooms", topic[:200]
            )
            return None
        key, what = rest[0], rest[2:]
        room = self.rooms[key].room
        if what == ["pause"]:
            if text not in ("ON", "OFF"):
                return self._ignore(topic, "payload must be ON or OFF")
            if self._limited(topic, ("pause", key), 0.0):
                return None
            # who sent it, by topic (an MQTT command carries no sender; never a nickname)
            log.warning("home assistant: pause %s for room %s (command on %s)", text, room, topic)
            self.set_paused(key, text == "ON")
        elif what == ["reconnect"]:
            if text != "PRESS":
                return self._ignore(topic, "payload must be PRESS")
            if self._limited(topic, ("reconnect", key), RECONNECT_INTERVAL):
                return None
            log.info("home assistant: reconnect room %s (command on %s)", room, topic)
            self.on_reconnect(room)
        elif len(what) == 2 and what[0] == "test":
            rule = next((r for r in self.rooms[key].rule_ids if topic_safe(r) == what[1]), None)
            if rule is None or text != "PRESS":
                return self._ignore(topic, "unknown rule or payload")
            if self._limited(topic, ("test", key, rule), TEST_INTERVAL):
                return None
            log.info("home assistant: test-fire %s in %s (command on %s)", rule, room, topic)
            self.on_test_fire(room, rule)
        else:
            return self._ignore(topic, "unknown command")
        return None

    def _reload_command(self, topic: str, payload: bytes) -> None:
        text = payload.strip().upper()
        if not text:
            return None
        if text != b"PRESS":
            return self._ignore(topic, "payload must be PRESS")
        if self._limited(topic, ("reload",), RECONNECT_INTERVAL):
            return None
        log.info("home assistant: reload asked on %s", topic)
        self.on_reload()
        return None

    def _limited(self, topic: str, key: tuple[str, ...], interval: float) -> bool:
        why = self.limiter.allow(key, interval)
        if why is None:
            return False
        self.limiter.refuse(topic, why)
        return True

    def _ignore(self, topic: str, why: str) -> None:
        self.ignored_commands += 1
        # any client of the broker can publish here: %r keeps a newline out of the log
        log.warning("home assistant: ignored command on %r: %s", topic[:200], why)

    def set_paused(self, key: str, paused: bool) -> None:
        self.paused[key] = paused
        self.on_pause(self.rooms[key].room, paused)
        t = Topics(self.base, key)
        self.mqtt.publish_state(t.paused_state, "ON" if paused else "OFF")

    # -- outbound ---------------------------------------------------------------------------

    def on_event(self, room: str, event: ev.Event) -> None:
        key = topic_safe(room)
        state = self.states.get(key)
        if state is None:
            return
        for event_type, attrs in state.apply(event):
            self.mqtt.publish(
                Topics(self.base, key).event, _json({"event_type": event_type, **attrs}), qos=1
            )
        self.flush(self.clock())

    def rule_fired(self, room: str, rule_id: str, event: ev.Event) -> MqttPublish | None:
        """The device trigger of a firing, as a trigger publish for the daemon to queue: an
        automation started by it is a trigger like any rule action, so it waits out an
        outage in its own bounded queue (``mqtt:rule_fired``) instead of being dropped."""
        key = topic_safe(room)
        if key not in self.rooms:
            return None
        payload = {
            "rule": rule_id,
            "kind": event.kind,
            "user": event.user.unique_id,
            "nickname": event.user.nickname,
            # TikTok's id of the message that fired it: after a broker restart the broker may
            # hand an automation a copy again (flagged DUP); the id tells the copies apart
            "msg_id": event.msg_id,
        }
        return MqttPublish(
            rule_id=rule_id,
            room=room,
            event=event,
            topic=Topics(self.base, key).rule_fired(rule_id),
            payload=_json(payload).encode(),
            qos=1,
            lane=RULE_FIRED_LANE,
        )

    def set_connection(self, room: str, state: str, sign_left: int) -> None:
        key = topic_safe(room)
        if key in self.states:
            self.states[key].set_connection(state, sign_left)
            self.flush(self.clock())

    def set_daemon(self, doc: dict[str, Any]) -> None:
        """The daemon device's state (retained; published when it changes)."""
        if doc != self.daemon_state:
            self.daemon_state = dict(doc)
            self.mqtt.publish(self.daemon.state, _json(doc), qos=1, retain=True)

    def snapshot(self) -> dict[str, Any]:
        """Every room's stream figures, for the state directory."""
        return {key: state.snapshot() for key, state in self.states.items()}

    def restore(self, data: dict[str, Any]) -> None:
        """Figures of a previous process for the rooms still configured; a foreign entry is
        a warning and that room starts fresh."""
        for key, snap in data.items():
            state = self.states.get(key)
            if state is None or not isinstance(snap, dict):
                continue
            try:
                state.restore(snap)
            except ValueError as exc:
                log.warning("home assistant: figures of %s not restored: %s", key, exc)

    def set_figures(self, room: str, figures: dict[str, float]) -> None:
        state = self.states.get(topic_safe(room))
        if state is not None:
            state.set_figures(figures)

    def flush(self, now: float) -> None:
        """Publish the states that are due (call it now and then for rate-limited ones)."""
        for key, state in self.states.items():
            doc = state.due(now)
            if doc is not None:
                self._publish_state(key, doc)

    def _publish_state(self, key: str, doc: dict[str, Any]) -> None:
        t = Topics(self.base, key)
        state = self.states[key]
        self.mqtt.publish_state(t.state, _json(doc))
        self.mqtt.publish_state(t.last_gift, _json(state.last_gift_attrs))
        self.mqtt.publish_state(t.last_chat, _json(state.last_chat_attrs))

    # -- across restarts ------------------------------------------------------------------

    def room_snapshot(self, room: str) -> dict[str, Any] | None:
        state = self.states.get(topic_safe(room))
        return None if state is None else state.snapshot()

    def restore_room(self, room: str, data: dict[str, Any]) -> None:
        """A room's state from before a restart (``ValueError`` when foreign)."""
        state = self.states.get(topic_safe(room))
        if state is not None:
            state.restore(data)
