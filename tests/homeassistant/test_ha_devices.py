"""The devices of ``devices:`` in Home Assistant (issue 28), against a real Mosquitto with the
daemon in-process on the fake room: each device's "reachable" connectivity sensor and "alerts
sent" sensor on the daemon's device, their state from one retained document (rendered here
with the same Jinja templates Home Assistant runs), and the entities of a removed device
cleared at a reload and at a restart, by the daemon that announced them only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jinja2.sandbox import ImmutableSandboxedEnvironment

from livetrigger import events as ev
from livetrigger.config import Config, load_config_text
from livetrigger.errors import ConfigError
from livetrigger.homeassistant.devices import DeviceEntity, device_discovery, device_states
from livetrigger.homeassistant.discovery import DaemonEntities
from livetrigger.simulator.server import FakeLiveRoom
from tests.devices.receivers import free_udp_port, osc_server
from tests.homeassistant.test_homeassistant import PREFIX, configs, running, settle
from tests.support.listener import Listener, Received
from tests.support.mosquitto import MosquittoBroker

NODE = "livetrigger_daemon_lt-ha"
STATE = "livetrigger/daemon/lt-ha/devices"
NOWHERE = "nowhere: {osc: {host: no-such-host.invalid, port: 9000, retries: 1, retry_wait: 10ms}}"


def config_for(room: FakeLiveRoom, port: int, state_dir: Path, devices: dict[str, str]) -> Config:
    declared = "".join(f"  {line}\n" for line in devices.values())
    declared = f"devices:\n{declared}" if declared else ""
    actions = "".join(
        f"          - osc: {{device: {name}, address: /cue/go}}\n"
        for name in devices
        if name != "spare"
    )
    text = f"""\
tiktok: {{web_url: "{room.base_url}", webcast_url: "{room.base_url}", sign_url: "{room.base_url}",
         live_check_interval: 200ms, reconnect_initial: 100ms}}
mqtt: {{host: 127.0.0.1, port: {port}, client_id: lt-ha}}
homeassistant: {{discovery: true, state_interval: 1s}}
daemon: {{state_dir: "{state_dir}", status_socket: "{state_dir}/s.sock"}}
{declared}rooms:
  - username: "@{room.unique_id}"
    rules:
      - id: cue
        on: gift
        do:
{actions or "          - log: no device"}
"""
    return load_config_text(text)


def device_topics(name: str) -> tuple[str, str]:
    """Its "reachable" and its "alerts sent" entities' discovery topics."""
    return (
        f"{PREFIX}/binary_sensor/{NODE}/device_{name}_reachable/config",
        f"{PREFIX}/sensor/{NODE}/device_{name}_sent/config",
    )


def latest(listener: Listener, topic: str) -> Received | None:
    return next((m for m in reversed(listener.messages) if m.topic == topic), None)


def payload(listener: Listener, topic: str) -> bytes | None:
    """The last payload on ``topic`` (b"": cleared), or None: nothing yet."""
    m = latest(listener, topic)
    return None if m is None else m.payload


def render(template: str, doc: dict[str, Any]) -> str:
    """A template as Home Assistant's MQTT integration renders it (value_json: the payload)."""
    env = ImmutableSandboxedEnvironment()
    return env.from_string(template).render(value_json=doc)


def gift(room: FakeLiveRoom) -> ev.GiftEvent:
    return ev.GiftEvent(
        msg_id=room.next_msg_id(),
        gift_id=5655,
        gift_name="Rose",
        diamonds=1,
        total_diamonds=1,
        user=ev.User(id=3, unique_id="amy", nickname="Amy"),
    )


async def test_each_device_is_reachable_or_not_on_the_daemons_device(
    tmp_path: Path, mosquitto: MosquittoBroker
) -> None:
    port = free_udp_port()
    devices = {
        "qlc": f"qlc: {{osc: {{host: 127.0.0.1, port: {port}}}}}",
        "nowhere": NOWHERE,
        "spare": f"spare: {{osc: {{host: 127.0.0.1, port: {free_udp_port()}}}}}",
    }
    listener = Listener(mosquitto.port, "#")
    async with osc_server(port) as heard, FakeLiveRoom() as room:
        config = config_for(room, mosquitto.port, tmp_path, devices)
        async with running(config, tmp_path):
            await room.wait_for_client()
            wanted = set().union(*(device_topics(n) for n in devices))
            await settle(listener, lambda: wanted <= set(configs(listener)))
            docs = {t: json.loads(m.payload) for t, m in configs(listener).items() if t in wanted}
            reachable, sent = (docs[t] for t in device_topics("nowhere"))
            assert reachable["name"] == "nowhere reachable"
            assert reachable["device_class"] == "connectivity"
            assert reachable["device"]["identifiers"] == [NODE]  # on the daemon's device
            assert reachable["availability_topic"] == "livetrigger/daemon/lt-ha/status"
            assert reachable["state_topic"] == STATE == reachable["json_attributes_topic"]
            assert (sent["name"], sent["state_class"]) == (
                "nowhere alerts sent",
                "total_increasing",
            )

            # before any alert: every device is known, none reached (Home Assistant: unknown)
            await settle(listener, lambda: payload(listener, STATE) is not None)
            first = json.loads(payload(listener, STATE) or b"")
            assert set(first) == {"qlc", "nowhere", "spare"}
            assert render(reachable["value_template"], first) == "None"
            assert render(sent["value_template"], first) == "0"

            await room.send(gift(room))
            await heard.first(lambda m: m[0] == "/cue/go")

            def state() -> dict[str, Any]:
                return json.loads(payload(listener, STATE) or b"{}")  # type: ignore[no-any-return]

            await settle(listener, lambda: state().get("nowhere", {}).get("failures") == 1)
            await settle(listener, lambda: state().get("qlc", {}).get("sent") == 1)
            doc = state()
            by = {n: docs[device_topics(n)[0]] for n in devices}
            assert render(by["qlc"]["value_template"], doc) == "ON"
            assert render(by["nowhere"]["value_template"], doc) == "OFF"
            assert render(by["spare"]["value_template"], doc) == "None"  # never connected
            attrs = json.loads(render(by["nowhere"]["json_attributes_template"], doc))
            assert attrs["state"] == "away" and attrs["kind"] == "osc"
            assert "cannot find host 'no-such-host.invalid'" in attrs["reason"]
            assert (attrs["failures"], attrs["retries"], attrs["sent"]) == (1, 1, 0)
            assert attrs["since"].endswith("+00:00")
            assert json.loads(render(by["qlc"]["json_attributes_template"], doc))["reason"] is None
            # a device gone from the document (removed a moment before its entity): unknown
            assert render(by["qlc"]["value_template"], {}) == "None"
            assert render(by["qlc"]["json_attributes_template"], {}) == "{}"
    listener.close()


async def test_a_removed_device_is_cleared_at_reload_and_restart(
    tmp_path: Path, mosquitto: MosquittoBroker
) -> None:
    port = free_udp_port()
    qlc = f"qlc: {{osc: {{host: 127.0.0.1, port: {port}}}}}"
    listener = Listener(mosquitto.port, "#")
    async with FakeLiveRoom() as room:
        both = config_for(room, mosquitto.port, tmp_path, {"qlc": qlc, "nowhere": NOWHERE})
        async with running(both, tmp_path) as daemon:
            await room.wait_for_client()
            everything = {*device_topics("qlc"), *device_topics("nowhere")}
            await settle(listener, lambda: everything <= set(configs(listener)))
            await settle(listener, lambda: payload(listener, STATE) is not None)
            # a reload without `nowhere`: its two entities go, qlc's stay
            daemon.reloader.apply(config_for(room, mosquitto.port, tmp_path, {"qlc": qlc}))
            gone = device_topics("nowhere")
            await settle(listener, lambda: all(payload(listener, t) == b"" for t in gone))
            assert all(payload(listener, t) for t in device_topics("qlc"))
            await settle(
                listener, lambda: set(json.loads(payload(listener, STATE) or b"{}")) == {"qlc"}
            )
        # a restart without any device: what the last process announced of them is cleared
        # (from its record), the state document too
        none = config_for(room, mosquitto.port, tmp_path, {})
        async with running(none, tmp_path):
            left = {*device_topics("qlc"), STATE}
            await settle(listener, lambda: all(payload(listener, t) == b"" for t in left))
    # what Home Assistant finds on the broker now: no device entity, no device state
    late = Listener(mosquitto.port, "#")
    try:
        late.wait_until(lambda msgs: any(m.topic.endswith("/discovery") for m in msgs))
        retained = {m.topic for m in late.messages if m.retain and m.payload}
        assert not retained & {*device_topics("qlc"), *device_topics("nowhere"), STATE}
    finally:
        late.close()
    listener.close()


def test_names_a_device_lacks_are_attributes_of_its_reachable_sensor() -> None:
    """What the start-up probe found (tests/devices/test_probe.py) shows in Home Assistant
    too, where a household looks when the lamp stayed dark."""
    desk = DeviceEntity("desk", "wled")
    lacks = "rule fireworks (lt.yaml:9): effect 'Firewroks': no effect named 'Firewroks'"
    doc = device_states([desk], {"desk": {"state": "ok", "sent": 0, "unknown": [lacks]}})
    daemon = DaemonEntities(instance="lt-ha", base="livetrigger")
    ((_, reachable), _) = device_discovery(daemon, [desk], prefix=PREFIX)
    attrs = json.loads(render(reachable["json_attributes_template"], doc))
    assert (attrs["state"], attrs["unknown"]) == ("ok", [lacks])
    assert render(reachable["value_template"], doc) == "ON"
    fine = device_states([desk], {"desk": {"state": "ok"}})
    assert json.loads(render(reachable["json_attributes_template"], fine))["unknown"] == []


def test_device_names_that_are_one_in_home_assistant_are_a_problem(tmp_path: Path) -> None:
    text = (
        "devices:\n"
        "  desk-strip: {osc: {host: 127.0.0.1, port: 7700}}\n"
        "  Desk_Strip: {osc: {host: 127.0.0.1, port: 7701}}\n"
        "rooms: [{username: '@me', rules: [{id: a, on: gift, do: [log: x]}]}]\n"
    )
    try:
        load_config_text(text, "lt.yaml")
    except ConfigError as exc:
        assert list(exc.problems) == [
            "lt.yaml:3:3: devices.Desk_Strip: device names `desk-strip` (line 2) and"
            " `Desk_Strip` are one in Home Assistant (its ids ignore case and read `-` as"
            " `_`): rename one"
        ]
    else:
        raise AssertionError("accepted two device names that are one in Home Assistant")


def test_no_rule_publishes_onto_the_devices_states() -> None:
    """A viewer's trigger must not overwrite what Home Assistant shows of a device."""
    text = (
        "mqtt: {host: 127.0.0.1, client_id: lt-ha}\n"
        "rooms: [{username: '@me', rules: [{id: a, on: gift,"
        " do: [{mqtt: {topic: '{{ base }}/daemon/lt-ha/devices', payload: '{}'}}]}]}]\n"
    )
    try:
        load_config_text(text, "lt.yaml")
    except ConfigError as exc:
        (problem,) = exc.problems
        assert "livetrigger publishes a daemon's devices' states there" in problem
    else:
        raise AssertionError("a rule may publish onto the devices' states")
