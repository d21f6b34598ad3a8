"""Viewers cannot write the daemon's own topics (issue 25, item 3): with a per-viewer topic
``{{ base }}/{{ room }}/{{ user.nickname }}``, nickname ``paused`` and comment ``ON`` published
``ON`` to ``livetrigger/<room>/paused``, Home Assistant's pause switch; ``state`` (live,
viewers), the device triggers and the event stream likewise. The MQTT client refuses a rule's
trigger to any topic daemons on its base topic publish to, the last step before the broker,
and ``check`` refuses a topic template whose own text points there. The real daemon with Home
Assistant on, a real Mosquitto, the fake room."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from livetrigger.config import load_config_text
from livetrigger.daemon.status_socket import fetch
from livetrigger.errors import ConfigError
from livetrigger.simulator.server import FakeLiveRoom
from livetrigger.simulator.webhook_receiver import WebhookReceiver
from tests.faults.test_command_topics import HEAD, chat, config_text, running
from tests.integration.test_daemon import wait_until
from tests.support.listener import Listener
from tests.support.mosquitto import MosquittoBroker

BASE = "livetrigger/demo_streamer"
# nicknames that make the echo rule's topic one of the daemon's
OWN = ["paused", "state", "last_gift", "last_chat", "event", "rule_fired", "events"]


async def test_nicknames_never_reach_the_daemons_own_topics(
    tmp_path: Path, mosquitto: MosquittoBroker
) -> None:
    listener = Listener(mosquitto.port, "#")
    async with (
        FakeLiveRoom() as room,
        WebhookReceiver() as rx,
        running(tmp_path, config_text(room, mosquitto.port, rx.url, tmp_path)) as proc,
    ):
        await room.wait_for_client(60)
        paused = await asyncio.to_thread(listener.wait_for, 1, 20.0, f"{BASE}/paused")
        assert [m.payload for m in paused] == [b"OFF"]
        for nickname in [*OWN, "done"]:
            await room.send(chat(room, nickname, "ON"))
        await asyncio.to_thread(listener.wait_for, 1, 20.0, f"{BASE}/done")
        # the echo rule's second action is the last message of all (one ordered queue)
        await asyncio.to_thread(listener.wait_for, 1, 20.0, f"{BASE}/done/pause")
        # each nickname fired echo's two actions, <base>/<room>/<nickname> and .../pause;
        # refused: the five state topics, and both under rule_fired/# and events/#
        refused = 5 + 2 * 2
        log = tmp_path / "daemon.log"
        await wait_until(
            lambda: log.read_text().count("livetrigger publishes") == refused, 20, "refusals"
        )
        # Home Assistant's own device trigger for the rule still goes out (its own lane)
        fired = await asyncio.to_thread(
            listener.wait_for, len(OWN) + 1, 20.0, f"{BASE}/rule_fired/echo"
        )
        assert len(fired) == len(OWN) + 1
        viewer = [m for m in listener.messages if m.payload == b"ON"]
        free = [f"{BASE}/{n}/pause" for n in OWN[:5]] + [f"{BASE}/done", f"{BASE}/done/pause"]
        assert {m.topic for m in viewer} == set(free)
        assert [m.payload for m in listener.messages if m.topic == f"{BASE}/paused"] == [b"OFF"]
        snap = fetch(tmp_path / "status.sock", 60.0)
        assert snap["actions"]["mqtt"]["failed"] == refused
        text = log.read_text()
        assert (
            f"topic '{BASE}/paused' refused before sending: livetrigger publishes a room's "
            f"paused switch there (livetrigger/+/paused)" in text
        )
        assert "triggers paused" not in text
        proc.terminate()
        assert proc.wait(60) == 0
    listener.close()


@pytest.mark.parametrize(
    ("topic", "filter_"),
    [
        ('"{{ base }}/{{ room }}/paused"', "home/lt/+/paused"),
        ('"home/lt/room/state"', "home/lt/+/state"),
        ('"{{ base }}/{{ user.nickname }}/last_gift"', "home/lt/+/last_gift"),
        ('"{{ base }}/{{ room }}/rule_fired/{{ rule }}"', "home/lt/+/rule_fired/#"),
        ('"home/lt/{{ room }}/events/gift"', "home/lt/+/events/#"),
        ('"{{ base }}/daemon/{{ room }}/status"', "home/lt/daemon/+/status"),
        ('"homeassistant/switch/{{ room }}/config"', "homeassistant/#"),
    ],
)
def test_a_topic_template_on_the_daemons_own_topics_is_a_config_error(
    topic: str, filter_: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_config_text(HEAD + f"          - mqtt: {{topic: {topic}}}\n", "c.yaml")
    (problem,) = info.value.problems
    assert "rules[0].do[0].mqtt.topic" in problem
    assert f"there ({filter_}); a trigger there would overwrite it" in problem


@pytest.mark.parametrize(
    "topic",
    [
        '"{{ base }}/{{ room }}/{{ user.nickname }}"',  # refused at the client when it lands
        '"{{ base }}/{{ room }}/paused_lamp"',
        '"{{ base }}/{{ room }}/gift/state"',
        '"lt/{{ room }}/paused"',  # another base topic
    ],
)
def test_topics_beside_the_daemons_own_load(topic: str) -> None:
    load_config_text(HEAD + f"          - mqtt: {{topic: {topic}}}\n", "c.yaml")


def test_the_discovery_prefix_is_free_when_discovery_is_off() -> None:
    text = HEAD.replace("rooms:", "homeassistant: {discovery: false}\nrooms:")
    load_config_text(text + '          - mqtt: {topic: "homeassistant/switch/x/config"}\n')
