"""Home Assistant discovery, state and commands against a real Mosquitto, with the daemon
running in-process against the fake room."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from livetrigger import events as ev
from livetrigger.config import load_config_text
from livetrigger.daemon import Daemon
from livetrigger.errors import ConfigError
from livetrigger.homeassistant.discovery import (
    ROOM_TRIGGERS,
    DaemonEntities,
    RoomEntities,
    RuleEntity,
    daemon_discovery,
    discovery,
)
from livetrigger.simulator.server import FakeLiveRoom
from tests.support.listener import Listener, Received
from tests.support.mosquitto import MosquittoBroker

PREFIX = "homeassistant"
REQUIRED = {
    "binary_sensor": {"state_topic"},
    "sensor": {"state_topic"},
    "switch": {"command_topic"},
    "button": {"command_topic"},
    "event": {"state_topic", "event_types"},
    "device_automation": {"automation_type", "type", "subtype", "topic"},
}

RULES = """\
      - id: big_gift
        on: gift
        when: {total_diamonds: {gte: 100}}
        do: [{mqtt: {topic: "{{ base }}/{{ room }}/big", payload: "{{ total_diamonds }}"}}]
      - id: hello-chat
        on: chat
        do: [{mqtt: {topic: "{{ base }}/{{ room }}/chat", payload: "{{ text }}"}}]
"""


def config_for(  # type: ignore[no-untyped-def]
    room: FakeLiveRoom, port: int, state_dir: Path, rules: str = RULES, client_id: str = "lt-ha"
):
    text = f"""\
tiktok: {{web_url: "{room.base_url}", webcast_url: "{room.base_url}", sign_url: "{room.base_url}",
         live_check_interval: 200ms, reconnect_initial: 100ms}}
mqtt: {{host: 127.0.0.1, port: {port}, client_id: {client_id}}}
homeassistant: {{discovery: true, state_interval: 1s}}
daemon: {{state_dir: "{state_dir}", status_socket: "{state_dir}/s.sock"}}
rooms:
  - username: "@{room.unique_id}"
    rules:
{rules}"""
    return load_config_text(text)


@asynccontextmanager
async def running(config, tmp_path: Path) -> AsyncIterator[Daemon]:  # type: ignore[no-untyped-def]
    daemon = Daemon(config, pin_factory=MockFactory(pin_class=MockPWMPin))
    task = asyncio.create_task(daemon.run())
    try:
        yield daemon
    finally:
        daemon.request_stop()
        await task


def configs(listener: Listener) -> dict[str, Received]:
    return {
        m.topic: m
        for m in listener.messages
        if m.topic.startswith(PREFIX + "/") and m.topic.endswith("/config")
    }


def chats_seen(daemon: Daemon) -> int:
    """Chat events the daemon's one room has seen (and run its rules on)."""
    (room,) = daemon.rooms.values()
    return room.events["chat"]


def paused_states(listener: Listener, room: str = "demo_streamer") -> list[bytes]:
    return [m.payload for m in listener.messages if m.topic == f"livetrigger/{room}/paused"]


async def hears_commands(listener: Listener, seen_before: int = 0) -> None:
    """Wait until a daemon started after ``seen_before`` pause states listens for commands: it
    subscribes before it announces on the same connection, and the broker keeps one client's
    order, so its first pause state means its command subscription is in place."""
    await settle(listener, lambda: len(paused_states(listener)) > seen_before)


async def settle(listener: Listener, predicate, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


def test_discovery_documents_are_well_formed_for_every_kind() -> None:
    docs = discovery(
        RoomEntities("demo", "demo", [RuleEntity("big_gift"), RuleEntity("Hello-Chat")]),
        prefix=PREFIX,
        base="livetrigger",
        availability_topic="livetrigger/status",
    )
    seen_ids: set[str] = set()
    kinds = set()
    for topic, payload in docs:
        component = topic.split("/")[1]
        kinds.add(component)
        assert REQUIRED[component] <= payload.keys(), (topic, payload)
        assert payload["device"]["identifiers"] == ["livetrigger_demo"]
        assert payload["origin"]["name"] == "livetrigger"
        if component == "device_automation":
            assert payload["type"] in {"rule_fired", *(t for t, _ in ROOM_TRIGGERS)}
            continue
        assert payload["availability_topic"] == "livetrigger/status"
        assert payload["unique_id"] not in seen_ids
        seen_ids.add(payload["unique_id"])
        assert payload["default_entity_id"].startswith(component + ".")
        assert payload["object_id"] == payload["default_entity_id"].split(".", 1)[1]
        assert all(c.islower() or c.isdigit() or c in "_/-" for c in topic.removeprefix(PREFIX))
    assert kinds == set(REQUIRED)
    subtypes = [p["subtype"] for t, p in docs if p.get("type") == "rule_fired"]
    assert subtypes == ["big_gift", "Hello-Chat"]


async def test_discovery_retained_birth_reannounces_and_hostile_content_stays_data(
    tmp_path: Path, mosquitto: MosquittoBroker
) -> None:
    async with FakeLiveRoom() as room:
        config = config_for(room, mosquitto.port, tmp_path)
        async with running(config, tmp_path):
            await room.wait_for_client()
            early = Listener(mosquitto.port, f"{PREFIX}/#")
            await settle(early, lambda: len(configs(early)) >= 16)  # announced (sent later
            early.close()  # than the connect since HA publishes wait for the broker's ack)
            late = Listener(mosquitto.port, "#")  # subscribes after: sees only retained ones
            await settle(late, lambda: len(configs(late)) >= 16)
            assert all(m.retain for m in configs(late).values())
            before = len(late.messages)
            client_pub = late.client
            client_pub.publish(f"{PREFIX}/status", "online")
            await settle(
                late, lambda: len(configs(late)) >= 16 and len(late.messages) >= before + 16
            )
            hostile = 'Eve "}{" {{ 7*7 }}\n/#+\x00' + "x" * 500
            await room.send(
                ev.ChatEvent(
                    msg_id=room.next_msg_id(),
                    text=f"!hi {hostile}",
                    user=ev.User(id=6, unique_id="eve", nickname=hostile),
                ),
                ev.GiftEvent(
                    msg_id=room.next_msg_id(),
                    gift_id=1,
                    gift_name=hostile,
                    diamonds=200,
                    repeat_count=1,
                    total_diamonds=200,
                    user=ev.User(id=6, nickname=hostile),
                ),
            )
            state_topic = "livetrigger/demo_streamer/state"
            await settle(
                late,
                lambda: any(
                    m.topic == state_topic
                    and b"last_gift" in m.payload
                    and json.loads(m.payload)["diamonds"] == 200
                    for m in late.messages
                ),
            )
            for m in late.messages:
                assert "#" not in m.topic and "+" not in m.topic and "\x00" not in m.topic
                if m.topic.startswith("livetrigger/demo_streamer/") and m.payload[:1] in (
                    b"{",
                    b"[",
                ):
                    json.loads(m.payload)  # every document stays valid JSON
            state = json.loads([m for m in late.messages if m.topic == state_topic][-1].payload)
            assert state["last_gift"].startswith('Eve "}{" {{ 7*7 }}')
            assert len(state["last_chat"]) <= 255
            events = [
                json.loads(m.payload)
                for m in late.messages
                if m.topic == "livetrigger/demo_streamer/event"
            ]
            assert {e["event_type"] for e in events} >= {"gift", "chat_command"}
            late.close()


async def test_pause_switch_stops_actions_and_survives_restart(
    tmp_path: Path, mosquitto: MosquittoBroker
) -> None:
    listener = Listener(mosquitto.port, "livetrigger/#")
    async with FakeLiveRoom() as room:
        config = config_for(room, mosquitto.port, tmp_path)
        async with running(config, tmp_path) as daemon:
            await room.wait_for_client()
            await hears_commands(listener)
            listener.client.publish("livetrigger/demo_streamer/cmd/pause", "ON")
            await settle(
                listener,
                lambda: any(
                    m.topic == "livetrigger/demo_streamer/paused" and m.payload == b"ON"
                    for m in listener.messages
                ),
            )
            await room.send(ev.ChatEvent(msg_id=room.next_msg_id(), text="while paused"))
            await settle(listener, lambda: chats_seen(daemon) == 1)
            assert daemon.event_path.rule_fires["hello-chat"] == 0  # (the last check below sees MQTT)
        saved = json.loads((tmp_path / "paused.json").read_text())
        assert saved["data"] == {"rooms": {"demo_streamer": True}}
        seen = len(paused_states(listener))
        async with running(config, tmp_path) as daemon:  # a restart: still paused
            await room.wait_for_client()
            await hears_commands(listener, seen)
            assert paused_states(listener)[-1] == b"ON"
            await room.send(ev.ChatEvent(msg_id=room.next_msg_id(), text="still paused"))
            await settle(listener, lambda: chats_seen(daemon) == 1)
            assert daemon.event_path.rule_fires["hello-chat"] == 0
            listener.client.publish("livetrigger/demo_streamer/cmd/pause", "OFF")
            await settle(listener, lambda: paused_states(listener)[-1] == b"OFF")
            await room.send(ev.ChatEvent(msg_id=room.next_msg_id(), text="resumed"))
            # one room's triggers leave in order: a paused chat that fired would come first
            await settle(
                listener,
                lambda: [m.payload for m in listener.messages if m.topic.endswith("/chat")],
            )
            chats = [m.payload for m in listener.messages if m.topic.endswith("/chat")]
            assert chats == [b"resumed"]
    listener.close()


async def test_test_button_fires_exactly_that_rule_and_bad_commands_are_ignored(
    tmp_path: Path, mosquitto: MosquittoBroker
) -> None:
    listener = Listener(mosquitto.port, "livetrigger/#")
    async with FakeLiveRoom() as room:
        config = config_for(room, mosquitto.port, tmp_path)
        async with running(config, tmp_path) as daemon:
            await room.wait_for_client()
            await hears_commands(listener)
            pub = listener.client.publish
            pub("livetrigger/demo_streamer/cmd/test/nope", "PRESS")
            pub("livetrigger/demo_streamer/cmd/test/big_gift", "rm -rf /")
            pub("livetrigger/other_room/cmd/test/big_gift", "PRESS")  # another daemon's
            pub("livetrigger/demo_streamer/cmd/shell", "PRESS")
            pub("livetrigger/demo_streamer/cmd/test/big_gift", "PRESS")
            await settle(listener, lambda: any(m.topic.endswith("/big") for m in listener.messages))
            # (a late extra /big would still come before the /chat awaited below: one order)
            assert [
                m.topic
                for m in listener.messages
                if m.topic in ("livetrigger/demo_streamer/big", "livetrigger/demo_streamer/chat")
            ] == ["livetrigger/demo_streamer/big"]
            # a test runs the actions only: no device trigger, not counted as a firing
            assert [m for m in listener.messages if "/rule_fired/" in m.topic] == []
            assert daemon.homeassistant is not None and daemon.homeassistant.ignored_commands == 3
            assert (daemon.event_path.test_fires, daemon.event_path.rule_fires["big_gift"]) == (1, 0)
            # paused: a press does nothing
            pub("livetrigger/demo_streamer/cmd/pause", "ON")
            pub("livetrigger/demo_streamer/cmd/test/big_gift", "PRESS")
            pub("livetrigger/demo_streamer/cmd/pause", "OFF")
            pub("livetrigger/demo_streamer/cmd/test/hello-chat", "PRESS")  # handled in order
            await settle(
                listener, lambda: any(m.topic.endswith("/chat") for m in listener.messages)
            )
            assert len([m for m in listener.messages if m.topic.endswith("/big")]) == 1
            assert daemon.event_path.test_fires == 2
    listener.close()


async def test_reload_that_removes_a_rule_clears_its_entities_and_keeps_the_others(
    tmp_path: Path, mosquitto: MosquittoBroker
) -> None:
    listener = Listener(mosquitto.port, f"{PREFIX}/#")
    async with FakeLiveRoom() as room:
        config = config_for(room, mosquitto.port, tmp_path)
        async with running(config, tmp_path) as daemon:
            await room.wait_for_client()
            await settle(listener, lambda: len(configs(listener)) >= 16)
            before = set(configs(listener))
            smaller = config_for(
                room,
                mosquitto.port,
                tmp_path,
                rules=RULES.split("      - id: hello-chat", maxsplit=1)[0],
            )
            daemon.reloader.apply(smaller)
            # a barrier: the daemon's own publish after the reload's, on the same connection
            mqtt = daemon.outputs.mqtt
            assert mqtt is not None
            assert mqtt.publish(f"{PREFIX}/zz-after-reload", b"1", qos=1)
            await settle(
                listener,
                lambda: any(m.topic == f"{PREFIX}/zz-after-reload" for m in listener.messages),
            )
            gone = {
                f"{PREFIX}/device_automation/livetrigger_demo_streamer/rule_hello-chat/config",
                f"{PREFIX}/button/livetrigger_demo_streamer/test_hello-chat/config",
            }
            kept = before - gone
            kept_rule = {
                f"{PREFIX}/device_automation/livetrigger_demo_streamer/rule_big_gift/config",
                f"{PREFIX}/button/livetrigger_demo_streamer/test_big_gift/config",
            }
            assert gone | kept_rule <= before
            cleared = {m.topic for m in listener.messages if m.payload == b""}
            assert gone <= cleared
            assert not cleared & kept, f"kept entities deleted: {sorted(cleared & kept)}"
            # what Home Assistant finds on the broker now: every kept entity, none removed
            late = Listener(mosquitto.port, f"{PREFIX}/#")
            try:
                late.wait_until(lambda msgs: kept <= {m.topic for m in msgs})
                retained = {m.topic: m for m in late.messages if m.retain}
                assert all(retained[t].payload for t in kept)
                assert not gone & set(retained)
            finally:
                late.close()
            # the kept rule's test button still presses it
            listener.client.publish("livetrigger/demo_streamer/cmd/test/big_gift", "PRESS")
            await settle(listener, lambda: daemon.event_path.test_fires == 1)
    listener.close()


def _template_keys(payload: dict) -> set[str]:  # type: ignore[type-arg]
    keys: set[str] = set()
    for field in ("value_template", "json_attributes_template"):
        keys |= set(re.findall(r"value_json\.(\w+)", payload.get(field, "")))
    return keys


def test_daemon_device_counters_and_rooms_linked_to_it() -> None:
    daemon = DaemonEntities("lt-one", "livetrigger")
    room_docs = discovery(
        RoomEntities("demo", "demo", [RuleEntity("big_gift", "Lamp for big gifts")]),
        prefix=PREFIX,
        base="livetrigger",
        availability_topic=daemon.availability,
        daemon=daemon,
    )
    daemon_docs = dict(daemon_discovery(daemon, prefix=PREFIX))
    by_oid = {t.split("/")[-2]: p for t, p in room_docs}
    assert by_oid["viewers"]["device"]["via_device"] == "livetrigger_daemon_lt-one"
    for oid in ("likes", "diamonds", "followers_gained"):  # reset to 0 at each stream start
        assert by_oid[oid]["state_class"] == "total_increasing"
        assert by_oid[oid]["unit_of_measurement"]
    assert "sign_requests_left" not in by_oid and "latency_p99" not in by_oid  # daemon-wide
    assert by_oid["test_big_gift"]["name"] == "Test: Lamp for big gifts"
    assert by_oid["rule_big_gift"]["subtype"] == "big_gift"  # ids stay the ids
    latency = next(p for t, p in daemon_docs.items() if "/latency_p99/" in t)
    assert (latency["device_class"], latency["unit_of_measurement"]) == ("duration", "ms")
    assert {
        p["availability_topic"]
        for t, p in [*room_docs, *daemon_docs.items()]
        if "device_automation" not in t
    } == {"livetrigger/daemon/lt-one/status"}
    assert any(p.get("device_class") == "timestamp" for p in daemon_docs.values())


def test_rule_ids_that_differ_only_in_case_are_a_config_error(tmp_path: Path) -> None:
    text = RULES.replace("id: hello-chat", "id: Big_Gift")
    try:
        config_for(FakeLiveRoom(), 1883, tmp_path, rules=text)
    except ConfigError as exc:
        (problem,) = [p for p in exc.problems if "one in Home Assistant" in p]
        assert "`big_gift` (line " in problem and "`Big_Gift`" in problem
    else:
        raise AssertionError("accepted two rule ids that differ only in case")


def test_rule_ids_one_in_home_assistant_across_top_level_and_room_are_a_problem(
    tmp_path: Path,
) -> None:
    """A top-level `Big_Gift` and a room's `big_gift` would share one device trigger (a gift
    fires it twice) and one test button (which runs the top-level rule); `hello-chat` and
    `hello_chat` one entity id (Home Assistant makes every `-` a `_`)."""
    text = f"""\
mqtt: {{host: 127.0.0.1, client_id: lt-ha}}
daemon: {{state_dir: "{tmp_path}"}}
rules:
  - id: Big_Gift
    on: gift
    do: [{{mqtt: {{topic: "{{{{ base }}}}/big", payload: x}}}}]
rooms:
  - username: "@demo_streamer"
    rules:
{RULES}\
      - id: hello_chat
        on: chat
        do: [{{mqtt: {{topic: "{{{{ base }}}}/chat2", payload: x}}}}]
"""
    try:
        load_config_text(text, "lt.yaml")
    except ConfigError as exc:
        found = [p for p in exc.problems if "Home Assistant" in p]
        lines = text.splitlines()
        big = next(i for i, t in enumerate(lines, 1) if "id: big_gift" in t)
        hello = next(i for i, t in enumerate(lines, 1) if "id: hello_chat" in t)
        assert len(found) == 2, exc.problems
        assert found[0].startswith(f"lt.yaml:{big}:") and "`Big_Gift` (line 4)" in found[0]
        assert found[1].startswith(f"lt.yaml:{hello}:") and "`hello-chat` (line " in found[1]
    else:
        raise AssertionError("accepted rule ids that are one in Home Assistant")


async def test_first_state_has_every_key_and_unknowns_are_null_not_stale(
    tmp_path: Path, mosquitto: MosquittoBroker
) -> None:
    listener = Listener(mosquitto.port, "#")
    async with FakeLiveRoom(ping_interval=0.5) as room:
        config = config_for(room, mosquitto.port, tmp_path)
        async with running(config, tmp_path):
            await room.wait_for_client()
            state_topic = "livetrigger/demo_streamer/state"
            daemon_state = "livetrigger/daemon/lt-ha/state"
            await settle(
                listener,
                lambda: {state_topic, daemon_state} <= {m.topic for m in listener.messages},
            )
            firsts = {
                t: json.loads(next(m for m in listener.messages if m.topic == t).payload)
                for t in (state_topic, daemon_state)
            }
            for topic, m in configs(listener).items():
                payload = json.loads(m.payload)
                source = payload.get("state_topic")
                if source in firsts:
                    assert _template_keys(payload) <= firsts[source].keys(), topic
            assert firsts[daemon_state]["latency_p99"] is None  # no action yet: unknown
            assert firsts[state_topic]["last_gift"] is None
            await room.send(ev.ViewerCountEvent(msg_id=room.next_msg_id(), viewers=61))
            await room.send(
                ev.GiftEvent(
                    msg_id=room.next_msg_id(),
                    gift_id=1,
                    gift_name="Galaxy",
                    diamonds=500,
                    repeat_count=1,
                    total_diamonds=500,
                    user=ev.User(id=4, unique_id="leo", nickname="Leo"),
                )
            )

            def states() -> list[dict]:  # type: ignore[type-arg]
                return [json.loads(m.payload) for m in listener.messages if m.topic == state_topic]

            await settle(listener, lambda: any(s["last_gift"] == "Galaxy" for s in states()))
            gift_state = next(s for s in states() if s["last_gift"] == "Galaxy")
            # state and attributes in one message: never the previous gift's sender
            assert gift_state["last_gift_attrs"]["user"] == "leo"
            assert gift_state["last_gift_attrs"]["diamonds"] == 500
            await settle(listener, lambda: any(s["viewers"] == 61 for s in states()))
            await room.end_stream()
            await settle(listener, lambda: states()[-1]["live"] == "OFF")
            assert states()[-1]["viewers"] is None  # not the last count of an ended stream
    listener.close()


async def test_two_daemons_on_one_base_topic_keep_their_own_availability(
    tmp_path: Path, mosquitto: MosquittoBroker
) -> None:
    listener = Listener(mosquitto.port, "#")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    async with FakeLiveRoom(unique_id="alpha") as ra, FakeLiveRoom(unique_id="beta") as rb:
        one = config_for(ra, mosquitto.port, tmp_path / "a", client_id="lt-one")
        two = config_for(rb, mosquitto.port, tmp_path / "b", client_id="lt-two")
        async with running(two, tmp_path / "b"):
            async with running(one, tmp_path / "a"):
                await ra.wait_for_client()
                await rb.wait_for_client()
                await settle(
                    listener,
                    lambda: any(
                        m.topic == "livetrigger/daemon/lt-one/status" for m in listener.messages
                    ),
                )
            # the first daemon stopped: its availability says so, the other's does not move
            await settle(
                listener,
                lambda: any(
                    m.topic == "livetrigger/daemon/lt-one/status" and m.payload == b"offline"
                    for m in listener.messages
                ),
            )
            beta = [
                json.loads(m.payload)
                for t, m in configs(listener).items()
                if "livetrigger_beta" in t and "device_automation" not in t
            ]
            assert beta and {p["availability_topic"] for p in beta} == {
                "livetrigger/daemon/lt-two/status"
            }
            two_status = [
                m.payload
                for m in listener.messages
                if m.topic == "livetrigger/daemon/lt-two/status"
            ]
            assert two_status[-1] == b"online" and b"offline" not in two_status
    listener.close()


async def test_a_daemon_leaves_commands_for_other_daemons_rooms_alone_without_a_warning(
    tmp_path: Path, mosquitto: MosquittoBroker, caplog: pytest.LogCaptureFixture
) -> None:
    """Two daemons on one base topic both hear every room's commands: each one's own are
    carried out, the other's are none of its business (no warning, not counted as ignored)."""
    caplog.set_level(logging.DEBUG, logger="livetrigger.homeassistant")
    listener = Listener(mosquitto.port, "livetrigger/#")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    async with FakeLiveRoom(unique_id="alpha") as ra, FakeLiveRoom(unique_id="beta") as rb:
        one = config_for(ra, mosquitto.port, tmp_path / "a", client_id="lt-one")
        two = config_for(rb, mosquitto.port, tmp_path / "b", client_id="lt-two")
        async with running(one, tmp_path / "a") as d1, running(two, tmp_path / "b") as d2:
            await settle(listener, lambda: paused_states(listener, "alpha"))
            await settle(listener, lambda: paused_states(listener, "beta"))
            pub = listener.client.publish
            pub("livetrigger/alpha/cmd/test/big_gift", "PRESS")
            pub("livetrigger/beta/cmd/reconnect", "PRESS")
            pub("livetrigger/beta/cmd/pause", "ON")
            pub("livetrigger/alpha/cmd/pause", "ON")
            # one publisher, one order: each daemon has handled all four by the last pause
            await settle(listener, lambda: paused_states(listener, "alpha")[-1:] == [b"ON"])
            await settle(listener, lambda: paused_states(listener, "beta")[-1:] == [b"ON"])
            # (the test's action leaves through the dispatcher: it may come after the pause)
            await settle(listener, lambda: any(m.topic.endswith("/big") for m in listener.messages))
            assert [m.topic for m in listener.messages if m.topic.endswith("/big")] == [
                "livetrigger/alpha/big"
            ]
            assert (d1.event_path.test_fires, d2.event_path.test_fires) == (1, 0)
            for daemon in (d1, d2):
                assert daemon.homeassistant is not None
                assert daemon.homeassistant.ignored_commands == 0
            warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
            assert not [w for w in warnings if "ignored command" in w], warnings
            notes = [
                r.getMessage() for r in caplog.records if "not one of this daemon" in r.getMessage()
            ]
            assert len(notes) == 4, notes  # two for each: at debug level
    listener.close()
