"""Viewers cannot reach the daemon's command topics (issue 19, item 5): the real daemon with
Home Assistant on, a real Mosquitto, the fake room and a local webhook receiver.

Before the fix a topic template with the nickname in it let ``cmd/test/big_gift`` test-fire a
rule (GPIO and webhook) and ``cmd/pause`` pause the room, persisted across restarts.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from livetrigger import events as ev
from livetrigger.config import load_config_text
from livetrigger.daemon.status_socket import fetch
from livetrigger.errors import ConfigError
from livetrigger.simulator.server import FakeLiveRoom
from livetrigger.simulator.webhook_receiver import WebhookReceiver
from tests.integration.test_daemon import wait_until
from tests.support.listener import Listener
from tests.support.mosquitto import MosquittoBroker

ROOT = Path(__file__).resolve().parents[2]


def config_text(room: FakeLiveRoom, broker: int, hook: str, tmp: Path) -> str:
    return f"""\
tiktok:
  web_url: {room.base_url}
  webcast_url: {room.base_url}
  sign_url: {room.base_url}
  live_check_interval: 200ms
  reconnect_initial: 100ms
mqtt: {{host: 127.0.0.1, port: {broker}, client_id: lt-cmd, reconnect_min: 1s, reconnect_max: 1s}}
homeassistant: {{discovery: true}}
webhooks:
  hook: {{url: "{hook}", retries: 0}}
daemon:
  state_dir: {tmp}/state
  status_socket: {tmp}/status.sock
  shutdown_timeout: 2s
rooms:
  - username: "@{room.unique_id}"
    rules:
      - id: big_gift
        on: gift
        when: {{total_diamonds: {{gte: 100}}}}
        do:
          - webhook: {{endpoint: hook, json: {{diamonds: "{{{{ total_diamonds }}}}"}}}}
      - id: echo
        on: chat
        do:
          - mqtt: {{topic: "{{{{ base }}}}/{{{{ room }}}}/{{{{ user.nickname }}}}", payload: "{{{{ text }}}}"}}
          - mqtt: {{topic: "{{{{ base }}}}/{{{{ room }}}}/{{{{ user.nickname }}}}/pause", payload: "{{{{ text }}}}"}}
"""


@asynccontextmanager
async def running(tmp: Path, config: str) -> AsyncIterator[subprocess.Popen[bytes]]:
    cfg = tmp / "config.yaml"
    cfg.write_text(config)
    with (tmp / "daemon.log").open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.daemon_main", str(cfg), str(tmp / "pins.log")],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


def chat(room: FakeLiveRoom, nickname: str, text: str) -> ev.ChatEvent:
    user = ev.User(id=len(nickname) + 100, unique_id="viewer", nickname=nickname)
    return ev.ChatEvent(msg_id=room.next_msg_id(), user=user, text=text)


ATTACKS = [("cmd/test/big_gift", "PRESS"), ("cmd/pause", "ON"), ("../cmd/pause", "ON")]


async def test_nicknames_never_reach_command_topics(
    tmp_path: Path, mosquitto: MosquittoBroker
) -> None:
    listener = Listener(mosquitto.port, "#")
    async with (
        FakeLiveRoom() as room,
        WebhookReceiver() as rx,
        running(tmp_path, config_text(room, mosquitto.port, rx.url, tmp_path)) as proc,
    ):
        await room.wait_for_client(60)
        base = "livetrigger/demo_streamer"
        # the pause switch's state goes out once the bridge listens for commands
        paused = await asyncio.to_thread(listener.wait_for, 1, 20.0, f"{base}/paused")
        assert [m.payload for m in paused] == [b"OFF"]
        for nickname, text in [*ATTACKS, ("cmd", "ON"), ("done", "-")]:
            await room.send(chat(room, nickname, text))
        await asyncio.to_thread(listener.wait_for, 1, 20.0, f"{base}/done")
        # the room still fires: it was not paused, and nothing was test-fired
        await room.send(
            ev.GiftEvent(
                msg_id=room.next_msg_id(),
                user=ev.User(id=5, unique_id="fan"),
                gift_id=7934,
                gift_name="Galaxy",
                diamonds=500,
                repeat_count=1,
                total_diamonds=500,
            )
        )
        await wait_until(lambda: len(rx.calls) >= 1, 20, "the gift's webhook")
        log = tmp_path / "daemon.log"
        await wait_until(
            lambda: log.read_text().count("takes commands from it") == 2, 20, "refusals"
        )
        topics = {m.topic for m in listener.messages}
        assert f"{base}/cmd%2Ftest%2Fbig_gift" in topics and f"{base}/cmd%2Fpause/pause" in topics
        assert f"{base}/..%2Fcmd%2Fpause" in topics
        assert not any(t.startswith(f"{base}/cmd/") or t == f"{base}/cmd" for t in topics)
        snap = fetch(tmp_path / "status.sock", 60.0)
        assert snap["daemon"]["test_fires"] == 0
        assert snap["rules"].get("big_gift") == 1
        assert snap["actions"]["mqtt"]["failed"] == 2
        assert len(rx.calls) == 1
        assert [m.payload for m in listener.messages if m.topic == f"{base}/paused"] == [b"OFF"]
        text = log.read_text()
        assert "rule echo: mqtt failed: topic 'livetrigger/demo_streamer/cmd' refused" in text
        assert "test-fire" not in text and "triggers paused" not in text
        proc.terminate()
        assert proc.wait(60) == 0
    listener.close()


HEAD = """\
mqtt: {host: localhost, base_topic: home/lt}
rooms:
  - username: "@room"
    rules:
      - id: r
        on: chat
        do:
"""


@pytest.mark.parametrize(
    ("topic", "filter_"),
    [
        ('"{{ base }}/{{ room }}/cmd/pause"', "home/lt/+/cmd/#"),
        ('"home/lt/room/cmd/test/{{ rule }}"', "home/lt/+/cmd/#"),
        ('"{{ base }}/{{ user.nickname }}/cmd"', "home/lt/+/cmd/#"),
        ('"{{ base }}/daemon/{{ room }}/cmd/reload"', "home/lt/daemon/+/cmd/#"),
        ('"homeassistant/status"', "homeassistant/status"),
    ],
)
def test_a_topic_template_inside_the_command_topics_is_a_config_error(
    topic: str, filter_: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_config_text(HEAD + f"          - mqtt: {{topic: {topic}}}\n", "c.yaml")
    (problem,) = info.value.problems
    assert "rules[0].do[0].mqtt.topic" in problem
    assert f"inside livetrigger's command topics ({filter_})" in problem


@pytest.mark.parametrize(
    "topic",
    [
        '"{{ base }}/{{ room }}/{{ user.nickname }}"',  # a value is one level, never `cmd/...`
        '"{{ base }}/{{ room }}/commands/pause"',
        '"lt/{{ room }}/cmd/pause"',  # another base topic
    ],
)
def test_topics_outside_the_command_topics_load(topic: str) -> None:
    load_config_text(HEAD + f"          - mqtt: {{topic: {topic}}}\n", "c.yaml")


def test_home_assistant_birth_topic_is_free_when_discovery_is_off() -> None:
    text = HEAD.replace("rooms:", "homeassistant: {discovery: false}\nrooms:")
    load_config_text(text + '          - mqtt: {topic: "homeassistant/status"}\n', "c.yaml")


async def test_commands_are_logged_with_the_topic_they_came_on(
    tmp_path: Path, mosquitto: MosquittoBroker
) -> None:
    listener = Listener(mosquitto.port, "livetrigger/#")
    async with (
        FakeLiveRoom() as room,
        WebhookReceiver() as rx,
        running(tmp_path, config_text(room, mosquitto.port, rx.url, tmp_path)) as proc,
    ):
        await room.wait_for_client(60)
        cmd = "livetrigger/demo_streamer/cmd"
        await asyncio.to_thread(listener.wait_for, 1, 20.0, "livetrigger/demo_streamer/paused")
        for topic, payload in [
            (f"{cmd}/pause", "ON"),
            (f"{cmd}/pause", "OFF"),
            (f"{cmd}/test/big_gift", "PRESS"),
            (f"{cmd}/reconnect", "PRESS"),
            (f"{cmd}/shell", "PRESS"),
        ]:
            listener.client.publish(topic, payload, qos=1)
        await wait_until(lambda: len(rx.calls) == 1, 20, "the test press's webhook")
        log = tmp_path / "daemon.log"
        await wait_until(lambda: "ignored command on" in log.read_text(), 20, "the bogus one")
        text = log.read_text()
        for line in (
            f"home assistant: pause ON for room demo_streamer (command on {cmd}/pause)",
            f"home assistant: pause OFF for room demo_streamer (command on {cmd}/pause)",
            f"home assistant: test-fire big_gift in demo_streamer (command on {cmd}/test/big_gift)",
            f"home assistant: reconnect room demo_streamer (command on {cmd}/reconnect)",
            f"ignored command on '{cmd}/shell': unknown command",
        ):
            assert line in text, line
        proc.terminate()
        assert proc.wait(10) == 0
    listener.close()
