"""The whole daemon in a subprocess against the fake room, a test Mosquitto, a local webhook
receiver and MockFactory pins."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from livetrigger import events as ev
from livetrigger.daemon.status_socket import fetch
from livetrigger.simulator.server import FakeLiveRoom
from livetrigger.simulator.webhook_receiver import WebhookReceiver
from tests.support.listener import Listener
from tests.support.mosquitto import MosquittoBroker

ROOT = Path(__file__).resolve().parents[2]

RULES = """\
      - id: big_gift
        on: gift
        when: {total_diamonds: {gte: 100}}
        do:
          - gpio: {output: lamp, action: pulse, duration: 1s}
          - mqtt: {topic: "{{ base }}/{{ room }}/big_gift", json: {user: "{{ user.nickname }}", diamonds: "{{ total_diamonds }}"}}
          - webhook: {endpoint: hook, json: {diamonds: "{{ total_diamonds }}"}}
      - id: roses
        on: gift
        gift: [Rose]
        do:
          - mqtt: {topic: "{{ base }}/{{ room }}/roses", payload: "{{ repeat_count }}"}
"""

EXTRA_RULE = """\
      - id: follows
        on: follow
        do:
          - mqtt: {topic: "{{ base }}/{{ room }}/follow", payload: "{{ user.unique_id }}"}
"""


def config_text(room: FakeLiveRoom, broker: int, hook: str, tmp: Path, rules: str = RULES) -> str:
    return f"""\
tiktok:
  web_url: {room.base_url}
  webcast_url: {room.base_url}
  sign_url: {room.base_url}
  live_check_interval: 200ms
  reconnect_initial: 100ms
  heartbeat_interval: 500ms
mqtt: {{host: 127.0.0.1, port: {broker}, client_id: lt-daemon, reconnect_min: 1s, reconnect_max: 1s}}
homeassistant: {{discovery: false}}
gpio:
  pin_factory: mock
  outputs:
    lamp: {{pin: 17, kind: relay}}
webhooks:
  hook: {{url: "{hook}", secret: s3cret-canary-webhook, retries: 1}}
daemon:
  status_socket: {tmp}/status.sock
  shutdown_timeout: 2s
rooms:
  - username: "@{room.unique_id}"
    rules:
{rules}"""


@dataclass
class Running:
    proc: subprocess.Popen[bytes]
    config: Path
    pins: Path
    status: Path
    log: Path
    notify: socket.socket

    def pin_changes(self) -> list[tuple[float, str, float]]:
        """(time.monotonic(), output, value) per change: the clock is system-wide."""
        out = []
        for line in self.pins.read_text().splitlines():
            _, name, value, t = line.split()
            out.append((float(t), name, float(value)))
        return out

    def notifications(self) -> list[str]:
        out = []
        while True:
            try:
                out.append(self.notify.recv(4096).decode())
            except BlockingIOError:
                return out


async def wait_until(predicate, timeout: float = 60.0, what: str = "") -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


@asynccontextmanager
async def daemon(
    tmp_path: Path, room: FakeLiveRoom, broker: MosquittoBroker, hook: str, rules: str = RULES
) -> AsyncIterator[Running]:
    cfg = tmp_path / "config.yaml"
    cfg.write_text(config_text(room, broker.port, hook, tmp_path, rules))
    pins = tmp_path / "pins.log"
    pins.write_text("")
    log = tmp_path / "daemon.log"
    notify_path = tmp_path / "notify.sock"
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(notify_path))
    notify.setblocking(False)
    env = {**os.environ, "NOTIFY_SOCKET": str(notify_path), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.daemon_main", str(cfg), str(pins)],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    running = Running(proc, cfg, pins, tmp_path / "status.sock", log, notify)
    try:
        await room.wait_for_client(60)
        yield running
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        notify.close()


def status(r: Running) -> dict:  # type: ignore[type-arg]
    return fetch(r.status, 60.0)


def gift(
    room: FakeLiveRoom, name: str, diamonds: int, count: int, streak: ev.StreakState, group: int
) -> ev.GiftEvent:
    return ev.GiftEvent(
        msg_id=room.next_msg_id(),
        user=ev.User(id=9, unique_id="sam", nickname='Sam "{{7*7}}"'),
        gift_id=5655 if name == "Rose" else 7934,
        gift_name=name,
        diamonds=diamonds,
        repeat_count=count,
        streak_id=group,
        streak=streak,
        streakable=name == "Rose",
        total_diamonds=diamonds * count,
    )


async def test_gift_reaches_mqtt_webhook_and_pin_and_streak_fires_once(
    tmp_path: Path, mosquitto: MosquittoBroker
) -> None:
    listener = Listener(mosquitto.port, "livetrigger/#")
    async with (
        FakeLiveRoom() as room,
        WebhookReceiver(secret="s3cret-canary-webhook") as rx,
        daemon(tmp_path, room, mosquitto, rx.url + "/hook") as d,
    ):
        sent = time.monotonic()
        await room.send(gift(room, "Galaxy", 500, 1, ev.StreakState.SINGLE, 1))
        for n in range(1, 31):
            await room.send(
                gift(
                    room,
                    "Rose",
                    1,
                    n,
                    ev.StreakState.PROGRESS if n > 1 else ev.StreakState.START,
                    2,
                )
            )
        await room.send(gift(room, "Rose", 1, 30, ev.StreakState.END, 2))
        await wait_until(lambda: len(rx.calls) == 1, what="webhook")
        big = listener.wait_for(1, topic="livetrigger/demo_streamer/big_gift")
        assert json.loads(big[0].payload) == {"user": 'Sam "{{7*7}}"', "diamonds": 500}
        assert rx.calls[0].signature_ok is True
        await wait_until(lambda: len(d.pin_changes()) >= 2, what="pulse end")
        (t_on, _, on), (t_off, _, off) = d.pin_changes()[:2]
        # a 1 s pulse: on after the gift was sent, off no sooner than 1 s later (how soon after
        # is bench/e2e.py's and bench/latency_under_load.py's figure, not a test's)
        assert (on, off) == (1, 0) and sent <= t_on and t_off - t_on >= 1.0
        # a marker after the streak: its publish leaves after any the streak caused (one
        # room's events fire in order, MQTT triggers leave in order), so none is still to come
        await room.send(gift(room, "Galaxy", 500, 1, ev.StreakState.SINGLE, 3))
        listener.wait_for(2, topic="livetrigger/demo_streamer/big_gift")
        roses = [m for m in listener.messages if m.topic == "livetrigger/demo_streamer/roses"]
        assert [m.payload for m in roses] == [b"30"]
        snap = status(d)
        assert snap["rules"] == {"big_gift": 2, "roses": 1}
        assert snap["rooms"]["demo_streamer"]["state"] == "connected"
        d.proc.send_signal(signal.SIGTERM)
        assert d.proc.wait(60) == 0
    listener.close()
    assert "s3cret-canary-webhook" not in d.log.read_text()
    # one line per firing with each action's outcome and latency (the streamer's view)
    line = next(ln for ln in d.log.read_text().splitlines() if "rule big_gift fired (" in ln)
    assert "(gift Galaxy from @sam):" in line and "mqtt ok" in line and "http:hook ok" in line


async def test_sighup_broken_config_keeps_old_rules_and_good_one_applies_without_reconnect(
    tmp_path: Path, mosquitto: MosquittoBroker
) -> None:
    listener = Listener(mosquitto.port, "livetrigger/#")
    async with (
        FakeLiveRoom() as room,
        WebhookReceiver() as rx,
        daemon(tmp_path, room, mosquitto, rx.url) as d,
    ):
        good = d.config.read_text()
        for _ in range(20):
            d.config.write_text(good.replace("on: gift", "on: gfit", 1))
            d.proc.send_signal(signal.SIGHUP)
            await asyncio.sleep(0.05)
        await wait_until(
            lambda: "did you mean `gift`" in d.log.read_text(), what="the broken config's error"
        )
        assert d.proc.poll() is None
        await room.send(gift(room, "Galaxy", 500, 1, ev.StreakState.SINGLE, 5))
        await wait_until(lambda: len(rx.calls) == 1, what="old rule still firing")
        assert status(d)["daemon"]["reloads"] == 0
        d.config.write_text(good + EXTRA_RULE)
        d.proc.send_signal(signal.SIGHUP)
        await wait_until(lambda: status(d)["daemon"]["reloads"] == 1, what="reload")
        assert "room demo_streamer: rule(s) follows added" in d.log.read_text()
        await room.send(
            ev.FollowEvent(msg_id=room.next_msg_id(), user=ev.User(id=3, unique_id="neo"))
        )
        got = listener.wait_for(1, topic="livetrigger/demo_streamer/follow")
        assert got[0].payload == b"neo"
        assert room.connections == 1  # the reload did not reconnect
        d.proc.send_signal(signal.SIGTERM)
        assert d.proc.wait(60) == 0
    listener.close()


LONG_PULSE = """\
      - id: big_gift
        on: gift
        do:
          - gpio: {output: lamp, action: pulse, duration: 1h}
"""


async def test_sigterm_mid_pulse_turns_pin_off_publishes_offline_exits_zero(
    tmp_path: Path, mosquitto: MosquittoBroker
) -> None:
    listener = Listener(mosquitto.port, "livetrigger/daemon/lt-daemon/status")
    async with (
        FakeLiveRoom() as room,
        WebhookReceiver() as rx,
        daemon(tmp_path, room, mosquitto, rx.url, rules=LONG_PULSE) as d,
    ):
        await room.send(gift(room, "Galaxy", 500, 1, ev.StreakState.SINGLE, 7))
        await wait_until(lambda: len(d.pin_changes()) == 1, what="pin on")
        signalled = time.monotonic()
        d.proc.send_signal(signal.SIGTERM)
        # an hour's pulse that ends at once: the signal turned it off (how fast is
        # bench/latency_under_load.py's figure)
        await wait_until(lambda: len(d.pin_changes()) >= 2, what="pin off")
        t_off, _, value = d.pin_changes()[1]
        assert value == 0 and t_off >= signalled
        assert d.proc.wait(60) == 0
        notes = "\n".join(d.notifications())
        assert "READY=1" in notes and "STATUS=" in notes and "STOPPING=1" in notes
    got = listener.wait_for(2)
    assert [m.payload for m in got][-1] == b"offline"
    listener.close()


def test_readme_demo_command_exits_zero_and_prints_fired_actions() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "livetrigger", "demo", "--speed", "10", "--no-color"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    for expected in (
        "rule big_gift fired",
        "rule rose_streak fired",
        "rule light_command fired",
        "rule likes_1000 fired at 1000",
        "gpio lamp pulse 3s",
        "webhook receiver got POST",
        "✅ done",
    ):
        assert expected in out, expected
    assert "0 failed / 0 dropped" in out


async def test_sighup_with_changed_tiktok_settings_reconnects_and_says_which(
    tmp_path: Path, mosquitto: MosquittoBroker
) -> None:
    async with (
        FakeLiveRoom() as room,
        WebhookReceiver() as rx,
        daemon(tmp_path, room, mosquitto, rx.url) as d,
    ):
        d.config.write_text(
            d.config.read_text().replace(
                "  live_check_interval: 200ms\n",
                "  live_check_interval: 300ms\n  user_agent: NewAgent/2\n",
            )
        )
        d.proc.send_signal(signal.SIGHUP)
        await wait_until(lambda: room.connections == 2, what="a reconnect with the new settings")
        await wait_until(lambda: len(room.clients) == 1 and room.clients[0].entered.is_set())
        assert room.handshakes[-1]["user-agent"] == "NewAgent/2"
        text = d.log.read_text()
        assert "tiktok settings changed (user_agent, live_check_interval)" in text
        await room.send(gift(room, "Galaxy", 500, 1, ev.StreakState.SINGLE, 5))
        await wait_until(lambda: len(rx.calls) == 1, what="rules fire after the reconnect")
        d.proc.send_signal(signal.SIGTERM)
        assert d.proc.wait(60) == 0


async def test_status_reconnect_reconnects_the_room_at_once(
    tmp_path: Path, mosquitto: MosquittoBroker
) -> None:
    async with (
        FakeLiveRoom() as room,
        WebhookReceiver() as rx,
        daemon(tmp_path, room, mosquitto, rx.url) as d,
    ):
        result = await asyncio.to_thread(
            subprocess.run,
            [
                sys.executable,
                "-m",
                "livetrigger",
                "status",
                "--socket",
                str(d.status),
                "--reconnect",
                "demo_streamer",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        await wait_until(lambda: room.connections == 2, what="a second connection")
        wrong = await asyncio.to_thread(
            subprocess.run,
            [
                sys.executable,
                "-m",
                "livetrigger",
                "status",
                "--socket",
                str(d.status),
                "--reconnect",
                "nobody",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        assert wrong.returncode == 1 and "no room 'nobody'" in wrong.stderr
        d.proc.send_signal(signal.SIGTERM)
        assert d.proc.wait(60) == 0
